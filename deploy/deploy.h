/* Deploy: put a plan's converted guests on their hosts through libvirt
 * (p2vkit deploy).  One section per .c file.  Like the core, nothing here
 * prints or exits: actions, notices, upload progress and cancellation go
 * through the caller's struct core_notify, errors through core_error.
 *
 * A run has two phases.  dep_check() connects to every host and looks at
 * everything (images, URIs, pools, domains) without changing anything, and
 * turns what it found into a list of actions.  dep_apply() carries them
 * out host by host; when one fails, it undoes what this run did, in
 * reverse order, and leaves what was there before. */
#ifndef P2VKIT_DEPLOY_H
#define P2VKIT_DEPLOY_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>
#include <libxml/tree.h>

#include "core/core.h"

/* The pool used when none is named, and where it is created when a host
 * has no pool of that name. */
#define DEP_DEFAULT_POOL "p2vkit"
#define DEP_DEFAULT_POOL_PATH "/var/lib/libvirt/images/p2vkit"
/* The namespace of the <metadata> element deploy leaves in each domain. */
#define DEP_XMLNS "urn:p2vkit:deploy:1"
#define DEP_XMLNS_PREFIX "p2vkit"

/* ------------------------------------------------------------------ */
/* deploy.c: options, the run.                                        */

/* "HOST=VALUE" pairs of --uri, --pool and --pool-path. */
struct dep_map_entry {
  char *host;
  char *value;
};
DEFINE_VECTOR_TYPE(dep_map, struct dep_map_entry)

struct dep_options {
  const char *plan_file;
  const char *images_dir;       /* NULL: --status without images */
  dep_map uris;
  const char *default_uri;
  dep_map pools;
  const char *default_pool;     /* NULL: DEP_DEFAULT_POOL */
  dep_map pool_paths;
  const char *default_pool_path;  /* NULL: DEP_DEFAULT_POOL_PATH */
  const char *network;          /* NULL: as converted; "network:NAME",
                                 * "bridge:NAME", "user" */
  const core_string_vector *only;  /* NULL or empty: every workload; else
                                   * only these (--only) */
  int64_t wave;                 /* 0: every wave; else only the workloads
                                 * of this migration wave (--wave), as
                                 * core_plan_waves numbers them with the
                                 * report's defaults */
  bool start;
  bool verify_boot;
  bool dry_run;
  bool replace;
  int boot_timeout_s;
};

/* Parse "HOST=VALUE" into MAP; OPTION names the option in errors. */
int dep_map_add(dep_map *map, const char *option, const char *arg);
void dep_map_free(dep_map *map);

struct dep_run;

/* Allocates a run over PLAN (which must outlive it) and OPTS (copied
 * shallowly: the strings must outlive it too).  NOTIFY (NULL, or one that
 * outlives the run) gets each action or fact found as an INFO notice,
 * each upload's progress (DONE counts holes skipped, SENT the data), and
 * is asked whether to stop: long steps (uploads, waiting for boots) stop
 * at the next chunk and the run is undone. */
struct dep_run *dep_run_new(const struct core_plan *plan,
                            const struct dep_options *opts,
                            const struct core_notify *notify);
void dep_run_free(struct dep_run *r);

/* ------------------------------------------------------------------ */
/* check.c: the check phase, and what it would change.                */

/* Check everything, change nothing.  Returns 0 when every problem found
 * is none, else -1 with each problem in *PROBLEMS (one line each; the
 * caller frees them) or, for an error that stops the check, in
 * core_errmsg with *PROBLEMS empty. */
int dep_check(struct dep_run *r, core_string_vector *problems);

/* After dep_check: the number of changes the run would make, and each
 * action and definition as text as notices (--dry-run). */
size_t dep_changes(const struct dep_run *r);
void dep_describe(struct dep_run *r, bool with_xml);
/* After dep_apply: the actions it took. */
size_t dep_done(const struct dep_run *r);

/* --xml-dir: the definitions alone, without connecting to any host (a
 * KVM host's domain type is then "kvm").  Same return as dep_check. */
int dep_xml_only(struct dep_run *r, core_string_vector *problems);
/* Set libvirt up once per process: its event loop (for consoles and
 * keepalives), errors kept for dep_verr instead of printed. */
void dep_libvirt_init(void);

/* The I-th workload's definition and name; NULL past the last. */
const char *dep_xml_of(const struct dep_run *r, size_t i, const char **name);

/* ------------------------------------------------------------------ */
/* apply.c: the apply phase (undo.c undoes, upload.c fills volumes).  */

/* Carry the actions out.  On failure (or cancellation) undoes what
 * this run did and returns -1 with the first error in core_errmsg. */
int dep_apply(struct dep_run *r);

/* ------------------------------------------------------------------ */
/* console.c: serial consoles.                                        */

/* --verify-boot: wait for the login prompt on the serial console of every
 * running planned guest.  Reports each as a notice;
 * returns how many did not show one, or -1 on error. */
int dep_verify_boot(struct dep_run *r);

/* Read the serial console of DOMAIN, running on the libvirt host URI,
 * until the text UNTIL appears or TIMEOUT_S seconds have passed (or
 * NOTIFY says cancelled).  Sends one carriage return first, so that a
 * guest at its login prompt prints it again.  *TEXT gets everything
 * read (NUL bytes dropped; the newest 4 MiB when more came), for the
 * caller to parse (mig_facts_parse with UNTIL = MIG_FACTS_END) or show;
 * the caller frees it.  Returns 0 when UNTIL appeared, 1 when it did not
 * in time or the console closed (*TEXT set either way), -1 with the
 * error set (cannot connect, no such domain, not running, console busy
 * or refused, cancelled; *TEXT NULL).  A pty console keeps no history:
 * open it right after starting the domain, before the guest writes what
 * is awaited. */
int dep_console_until(const char *uri, const char *domain, const char *until,
                      double timeout_s, const struct core_notify *notify,
                      char **text);

/* ------------------------------------------------------------------ */
/* status.c: --status.                                                */

/* --status: one row per placed workload. */
struct dep_status_row {
  const char *workload;
  const char *host;
  char *uri;
  char *defined;                /* "yes", "no", "yes, not by p2vkit", "?" */
  char *state;                  /* "running", "shut off", ... or "-" */
  char *booted;                 /* "yes", "no answer", "-" */
};
DEFINE_VECTOR_TYPE(dep_status_vector, struct dep_status_row)
int dep_status(struct dep_run *r, dep_status_vector *out);
void dep_status_free(dep_status_vector *v);

/* ------------------------------------------------------------------ */
/* image.c: the converter's output for one workload.                    */

struct dep_disk {
  char *image;                  /* the converted image file */
  char *format;                 /* qcow2 or raw */
  uint64_t file_size;
  uint64_t capacity;            /* the guest's disk size */
  char *vol;                    /* its volume name in the pool */
};
DEFINE_VECTOR_TYPE(dep_disk_vector, struct dep_disk)

struct dep_image {
  char *xml_path;               /* IMAGES/NAME.xml or IMAGES/NAME/NAME.xml */
  xmlDocPtr doc;                /* the converter's domain definition */
  char *arch;                   /* from <os><type arch=> */
  dep_disk_vector disks;
};

/* Find and read the images of workload NAME under DIR.  The disks are the
 * ones NAME.xml names, looked up by file name next to it (so the folder
 * can be moved after converting). */
int dep_image_load(const char *dir, const char *name, struct dep_image *out);
void dep_image_clear(struct dep_image *img);

/* ------------------------------------------------------------------ */
/* xml.c: domain definitions.                                           */

struct dep_domain_spec {
  const char *name;
  const char *type;             /* kvm, qemu or xen */
  enum core_mode mode;
  int64_t vcpus;
  int64_t memory_mib;
  const char *pool;
  const char *pool_path;        /* where the pool keeps its volumes */
  const char *network;          /* as in dep_options */
  const char *host;             /* the plan's host name, for metadata */
};

/* The definition for a KVM/QEMU host: the converter's XML adjusted to
 * SPEC (type, name, vCPUs, memory, the mode's disk bus and NIC model,
 * disks as pool volumes, no emulator path, a serial console), with deploy's
 * metadata holding a hash of the rest.  The hash goes to *HASH. */
char *dep_domain_xml(const struct dep_image *img,
                     const struct dep_domain_spec *spec, char **hash);
/* The definition for a Xen host: PV (pygrub, xvdX disks, xen console) for
 * paravirt, HVM for full. */
char *dep_xen_domain_xml(const struct dep_image *img,
                         const struct dep_domain_spec *spec, char **hash);

/* From a domain's metadata element (virDomainGetMetadata): the definition
 * hash and the volumes it lists, or NULL hash when it is not ours. */
int dep_metadata_parse(const char *xml, char **hash,
                       core_string_vector *volumes);

/* The <domain type=> a host's capabilities XML offers for ARCH hvm guests:
 * "kvm" when listed, else "qemu", else NULL. */
char *dep_caps_domain_type(const char *caps_xml, const char *arch);

/* The target path of a pool's XML. */
char *dep_pool_target_path(const char *pool_xml);

/* A dir pool at PATH; a volume of CAPACITY bytes in FORMAT. */
char *dep_pool_xml(const char *name, const char *path);
char *dep_volume_xml(const char *name, uint64_t capacity, const char *format);
/* DOMAIN_XML with UUID: replacing a definition keeps the domain's UUID,
 * which libvirt requires. */
char *dep_xml_set_uuid(const char *domain_xml, const char *uuid);
/* The first libvirt network a definition's NICs use, or NULL. */
char *dep_xml_networks(const char *domain_xml);

/* ------------------------------------------------------------------ */
/* The run's state and helpers, shared by deploy's files (not for other */
/* modules).                                                            */

enum dom_state { DOM_ABSENT, DOM_SAME, DOM_OTHER };

struct dep_host {
  const struct core_plan_host *ph;
  char *uri;
  const char *pool;
  char *pool_path;              /* the existing pool's, or where to make it */
  bool xen;
  bool local;
  bool used;                    /* has workloads to deploy */
  virConnectPtr conn;
  char *type;                   /* kvm, qemu or xen */
  bool pool_exists, pool_active;
};
DEFINE_VECTOR_TYPE(host_vector, struct dep_host)

DEFINE_VECTOR_TYPE(bool_vector, bool)

struct dep_wl {
  const struct core_plan_workload *pw;
  size_t host;                  /* index into hosts */
  struct dep_image img;
  char *xml, *hash;
  enum dom_state state;
  bool ours;                    /* the existing domain has our metadata */
  bool running;
  int autostart;
  char *old_xml;                /* --replace: restored on failure */
  core_string_vector old_vols;  /* the volumes its metadata lists */
  bool_vector vol_exists;       /* there and complete: used as it is */
  bool_vector vol_partial;      /* there, but its upload never finished */
  bool do_define, do_autostart, do_start;
  /* --verify-boot */
  virStreamPtr console;
  char tail[4096];
  size_t tail_len;
  double t0;
  double boot_s;                /* < 0: not yet */
  bool console_eof;
};
DEFINE_VECTOR_TYPE(wl_vector, struct dep_wl)

enum undo_kind {
  UNDO_POOL_REMOVE, UNDO_POOL_STOP, UNDO_VOL_DELETE, UNDO_DOM_UNDEFINE,
  UNDO_DOM_REDEFINE, UNDO_AUTOSTART_OFF, UNDO_DOM_DESTROY
};
struct undo {
  enum undo_kind kind;
  size_t host;
  size_t wl;
  char *name;
};
DEFINE_VECTOR_TYPE(undo_vector, struct undo)

struct dep_run {
  const struct core_plan *plan;
  struct dep_options o;
  const struct core_notify *notify;
  host_vector hosts;
  wl_vector wls;
  undo_vector undo;
  bool checked;
  size_t done;                  /* actions taken */
  size_t *wave_of;              /* with --wave: each plan workload's wave
                                 * (0: it does not move) */
};

void dep_close_console (struct dep_wl *w);
void dep_console_open (struct dep_run *r, struct dep_wl *w, virDomainPtr dom, bool poke);
int dep_ensure_pool (struct dep_run *r, size_t hi, virStoragePoolPtr *out);
int dep_gather (struct dep_run *r, core_string_vector *problems, bool need_images, bool need_uris);
size_t dep_host_changes (const struct dep_run *r, size_t hi);
bool dep_cancelled (const struct dep_run *r);
const char *dep_map_get (const dep_map *map, const char *host, const char *dflt);
int dep_push_undo (struct dep_run *r, enum undo_kind kind, size_t host, size_t wl, const char *name);
void dep_run_undo (struct dep_run *r);
void dep_say (struct dep_run *r, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
const char *dep_state_words (const struct dep_wl *w);
int dep_upload (struct dep_run *r, size_t hi, virStoragePoolPtr pool, const struct dep_disk *d);
bool dep_uri_is_local (const char *uri);
const char *dep_verr (void);
void dep_wait_consoles (struct dep_run *r, const bool *want, double deadline);
char *dep_partial_mark (const char *vol);

#endif /* P2VKIT_DEPLOY_H */
