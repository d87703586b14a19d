/* The converter: clone a server's disks and make the copy boot as a full
 * or paravirtualized KVM/QEMU guest (p2vkit convert).  One section per .c
 * file.  Like the core, nothing here prints or exits: progress and
 * notices go through callbacks, errors through core_error. */
#ifndef P2VKIT_CONVERTER_H
#define P2VKIT_CONVERTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <guestfs.h>
#include <hivex.h>

#include "core/core.h"

enum conv_mode { CONV_MODE_AUTO, CONV_MODE_PARAVIRT, CONV_MODE_FULL };
extern const char *const conv_mode_names[];    /* "auto", "paravirt", "full" */

/* ------------------------------------------------------------------ */
/* report.c: what a conversion found and did (NAME.report.yaml).       */

struct conv_change {
  char *path;                   /* file in the guest */
  char *what;                   /* why it changed, one line */
  core_string_vector before;    /* lines removed (or the old content) */
  core_string_vector after;     /* lines added */
};
DEFINE_VECTOR_TYPE(conv_change_vector, struct conv_change)

struct conv_command {
  char *command;                /* as run in the guest (through sh) */
  int64_t status;               /* exit status; -1: could not run */
  char *output;                 /* the end of its output */
  double seconds;               /* how long it ran; -1: not measured */
};
DEFINE_VECTOR_TYPE(conv_command_vector, struct conv_command)

struct conv_disk_out {
  char *source;                 /* as given on the command line */
  char *source_format;          /* qemu-img's name: raw, vmdk... */
  int64_t virtual_size;
  char *path;                   /* OUTDIR/NAME-diskN.FORMAT */
  char *format;                 /* qcow2 or raw */
  int64_t copied_bytes;         /* allocated bytes of the output */
  double seconds;
};
DEFINE_VECTOR_TYPE(conv_disk_out_vector, struct conv_disk_out)

struct conv_report {
  char *name;
  /* What inspection found. */
  char *root;                   /* inspected root device */
  char *os_type;                /* linux, windows */
  char *distro;                 /* debian, rhel, windows... */
  char *product;                /* product name */
  int major, minor;
  char *arch;
  char *hostname;
  char *package_format;         /* deb, rpm */
  core_string_vector kernels;   /* kernel versions found */
  enum core_firmware firmware;
  /* What was decided and done. */
  enum conv_mode mode;          /* PARAVIRT or FULL once decided */
  char *mode_reason;
  int64_t vcpus;
  int64_t memory_mib;
  bool verified_boot;
  double boot_seconds;          /* < 0: not verified */
  char *accel;                  /* kvm or tcg: what guests ran with */
  conv_disk_out_vector disks;
  conv_change_vector changes;
  conv_command_vector commands;
  core_string_vector warnings;
  core_string_vector removed_packages;
  core_string_vector nic_macs;  /* MACs the domain gives the guest's NICs */
  core_string_vector nic_names; /* and the names the guest had for them */
};

void conv_report_init(struct conv_report *r);
void conv_report_clear(struct conv_report *r);
/* Record a change of PATH from text BEFORE to text AFTER (whole files, or
 * NULL for a new or deleted file): only the differing lines are kept. */
int conv_report_change(struct conv_report *r, const char *path,
                       const char *what, const char *before, const char *after);
int conv_report_command(struct conv_report *r, const char *command,
                        int status, const char *output, double seconds);
int conv_report_warn(struct conv_report *r, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
int conv_report_write(FILE *fp, const struct conv_report *r);
/* Its keys (docs/converter.md). */
extern const struct core_table conv_report_table;

/* ------------------------------------------------------------------ */
/* clone.c: copying source disks with qemu-img.                         */

/* qemu-img's name of a --source-format NAME (raw, qcow2, vmdk, vpc or
 * vhd, vhdx, vdi), or NULL. */
const char *conv_source_format(const char *name);

/* A source's format and size, from qemu-img info (opened read-only,
 * shared), which is told the format: SOURCE_FORMAT when given, raw for a
 * device, the one its name's extension says; only a regular file whose
 * name says nothing is probed.  A source that names other files of this
 * machine (a backing file, an external data file, VMDK extents outside its
 * folder) is refused unless ALLOW_BACKING. */
int conv_probe_source(const char *path, const char *source_format,
                      bool allow_backing, char **format, int64_t *virtual_size);

/* Copy SRC (of format SRC_FORMAT) to DST in FORMAT without writing to SRC,
 * skipping zeroes.  NOTIFY's progress gets bytes done of VIRTUAL_SIZE. */
int conv_clone(const char *src, const char *src_format, int64_t virtual_size,
               const char *dst, const char *format,
               const struct core_notify *notify);

/* ------------------------------------------------------------------ */
/* linux.c: making a Linux guest boot as full or paravirtualized.      */

/* With G launched, the disks added and ROOT inspected and mounted.  MODE
 * is AUTO, PARAVIRT or FULL; the decision goes to report->mode.  FACTS:
 * install the first-boot facts reporter. */
int conv_linux_convert(guestfs_h *g, const char *root, enum conv_mode mode,
                       bool facts, struct conv_report *report);

/* ------------------------------------------------------------------ */
/* registry.c: Windows guests at the level of hive files and a Windows  */
/* tree reached through conv_win_fs (a local folder or a libguestfs     */
/* handle): what the hives say, and the conversion as a whole (with     */
/* hive.c, drivers.c, firstboot.c).  docs/converter.md ("Windows") says */
/* what it changes and why.                                             */

/* The static IPv4 configuration of one adapter (Tcpip\...\Interfaces). */
struct conv_win_nic {
  char *guid;
  bool dhcp;
  core_string_vector addresses, masks, gateways, dns;
};
DEFINE_VECTOR_TYPE (conv_win_nic_vector, struct conv_win_nic)

/* What the SYSTEM and SOFTWARE hives say. */
struct conv_win_guest {
  struct core_win_version ver;
  char *controlset;             /* "ControlSet001", from Select\Current */
  char *hal;                    /* Enum\Root\ACPI_HAL\0000 HardwareID, or NULL */
  conv_win_nic_vector nics;
};

int conv_win_inspect (const char *system_hive, const char *software_hive,
                      struct conv_win_guest *out);
void conv_win_guest_clear (struct conv_win_guest *g);

/* A Windows tree: paths are Windows paths below the system drive with '/'
 * ("Windows/System32/drivers/atapi.sys"), matched without regard to case.
 * A callback fails with -1 and the error set. */
struct conv_win_fs {
  void *opaque;
  /* The path as it is in the tree (malloc'd), or NULL with no error when
   * it does not exist. */
  char *(*resolve) (void *opaque, const char *path);
  /* Names in folder PATH (resolved). */
  int (*list) (void *opaque, const char *path, core_string_vector *names);
  /* Copies between the tree (resolved paths) and local files. */
  int (*download) (void *opaque, const char *path, const char *local);
  int (*upload) (void *opaque, const char *local, const char *path);
  int (*mkdir_p) (void *opaque, const char *path);
};

struct conv_win_opts {
  bool paravirt;
  bool mode_auto;               /* paravirt when VIRTIO_WIN has the drivers */
  const char *virtio_win;       /* the virtio-win tree (paravirt) */
  int vcpus;                    /* 0: not known */
  bool from_vmware;             /* the source was a VMware VM (also assumed
                                 * when VMware Tools' service is there) */
  /* Services of hardware that will be gone, disabled when present; NULL
   * takes conv_win_gone_services. */
  const char *const *gone_services;
  const char *arch;             /* inspection's "i386"/"x86_64"; NULL: the registry's */
  bool facts;                   /* add the facts reporter to the first boot */
};
extern const char *const conv_win_gone_services[];

/* One registry value or file changed. */
struct conv_win_change {
  char *line;                   /* the whole change in one line, for logs */
  char *path;                   /* HKLM\SYSTEM\KEY, or a file's Windows path */
  char *what;                   /* "registry value", "copied from ..." */
  char *before, *after;         /* "NAME = VALUE" or the file's text; NULL: none */
};
DEFINE_VECTOR_TYPE (conv_win_change_vector, struct conv_win_change)

/* What a conversion did, for the report. */
struct conv_win_log {
  bool paravirt;                /* the mode used */
  char *mode_reason;            /* why, when the mode was chosen (auto) */
  conv_win_change_vector changes;
  core_string_vector disabled;  /* services disabled: "NAME (was Start=N)" */
  core_string_vector warnings;
};
void conv_win_log_clear (struct conv_win_log *log);

/* Convert the Windows tree FS for KVM: the hives are copied to a scratch
 * folder, edited with hivex and copied back, driver files checked,
 * restored from the driver cache or copied from virtio-win, and a
 * first-boot script written.  Refuses (-1, nothing written to FS) when a
 * driver the guest needs can be found nowhere.  G is filled. */
int conv_win_convert_tree (const struct conv_win_fs *fs, const struct conv_win_opts *opts,
                           struct conv_win_guest *g, struct conv_win_log *log);

/* A conversion under way, for the files that make it up. */
#define CONV_WIN_FIRSTBOOT_DIR "p2vkit" /* \p2vkit on the system drive */

/* One file to put into the tree. */
struct conv_win_put {
  char *local;                  /* source on this machine */
  char *dest;                   /* Windows path in the tree */
  char *what;                   /* for the log */
  const char *text;             /* the content when it is text we wrote */
};
DEFINE_VECTOR_TYPE (conv_win_put_vector, struct conv_win_put)

/* The conversion under way. */
struct conv_win_job {
  const struct conv_win_fs *fs;
  const struct conv_win_opts *o;
  struct conv_win_guest *g;
  struct conv_win_log *log;
  char scratch[4096];
  unsigned nscratch;
  conv_win_put_vector puts;
  bool paravirt_vioscsi;
  bool firstboot_pnputil;
  char label[160];
  const char *sysname, *swname; /* the hives' paths in the tree */
  bool paravirt;                /* the mode, once chosen */
};

/* Queue file LOCAL for DEST in the tree, logged as WHAT; takes LOCAL and
 * WHAT over (NULL: out of memory, fails). */
int conv_win_put_add (struct conv_win_job *j, char *local, const char *dest, char *what);
/* A new name for BASE in the scratch folder. */
char *conv_win_scratch_name (struct conv_win_job *j, const char *base);

/* ------------------------------------------------------------------ */
/* hive.c: registry hives through hivex, every change logged.          */

struct conv_hive {
  hive_h *h;
  const char *label;            /* "SYSTEM" */
  const char *file;             /* the file's name for messages */
  struct conv_win_log *log;     /* NULL while only reading */
};

/* NAME is what messages call FILE (the path in the guest for a copy). */
int conv_hive_open (struct conv_hive *hv, const char *file, const char *name,
                    const char *label, bool write);
void conv_hive_close (struct conv_hive *hv);
/* PATH's node (backslashes between keys), created when CREATE; 0 with no
 * error when it does not exist and !CREATE. */
hive_node_h conv_hive_key (struct conv_hive *hv, const char *path, bool create);
/* A REG_SZ/REG_EXPAND_SZ value as UTF-8, or NULL (no error) when absent
 * or of another type. */
char *conv_hive_get_string (struct conv_hive *hv, hive_node_h node, const char *name);
/* A REG_DWORD, or DEF. */
int64_t conv_hive_get_dword (struct conv_hive *hv, hive_node_h node, const char *name,
                             int64_t def);
/* A REG_MULTI_SZ (or a REG_SZ list separated by commas or spaces, as
 * NameServer is) appended to OUT, empty strings left out. */
int conv_hive_get_strings (struct conv_hive *hv, hive_node_h node, const char *name,
                           core_string_vector *out);
/* Set NAME under key PATH (created) to T/DATA/LEN; logs the change with
 * the old value, and nothing when the value is already so. */
int conv_hive_set (struct conv_hive *hv, const char *path, const char *name, hive_type t,
                   const char *data, size_t len);
int conv_hive_set_dword (struct conv_hive *hv, const char *path, const char *name,
                         uint32_t d);
int conv_hive_set_str (struct conv_hive *hv, const char *path, const char *name,
                       hive_type t, const char *s);
/* A REG_MULTI_SZ of the NULL-terminated LIST. */
int conv_hive_set_multi (struct conv_hive *hv, const char *path, const char *name,
                         const char *const *list);
int conv_hive_commit (struct conv_hive *hv);

/* Add a change of PATH to LOG: WHAT was done, BEFORE and AFTER (NULL:
 * none), and the whole change in one line. */
int conv_win_change_add (struct conv_win_log *log, const char *path, const char *what,
                         const char *before, const char *after, const char *fmt, ...)
  __attribute__((format (printf, 6, 7)));

/* ------------------------------------------------------------------ */
/* drivers.c: the drivers a Windows guest needs, found and registered. */

/* Auto mode: paravirt when the virtio-win tree has the storage and
 * network drivers for this release, else full; the reason goes to the
 * log. */
int conv_win_choose_mode (struct conv_win_job *j);
/* Queue every driver file the mode needs (J->paravirt), from the tree's
 * own copies or virtio-win; refuses (-1) when one can be found nowhere.
 * PV_DRIVERS (4 entries) gets the virtio drivers to install, NULL-ended. */
int conv_win_find_drivers (struct conv_win_job *j, const char **pv_drivers);
/* The drivers' services and device IDs in SYS, and (paravirt) the
 * folders of PV_DRIVERS in SW's DevicePath. */
int conv_win_register_drivers (struct conv_win_job *j, struct conv_hive *sys,
                               struct conv_hive *sw, const char *const *pv_drivers);

/* ------------------------------------------------------------------ */
/* firstboot.c: the first-boot script and the service that runs it.    */

/* The script for the first boot on KVM (CRLF lines): install DRIVERS
 * (NULL-ended) with pnputil and give the adapters their fixed addresses;
 * with FACTS, then write the facts block (listening ports: netstat -an,
 * addresses: ipconfig) to COM1 (migrate/migrate.h, verify.c). */
char *conv_win_firstboot_script (const struct conv_win_guest *g, const char *const *drivers,
                                 bool facts);

/* The Linux facts reporter (docs/converter.md, "The facts reporter"):
 * the script, at CONV_LINUX_FACTS_SCRIPT, and its systemd unit, at
 * CONV_LINUX_FACTS_UNIT; sysvinit runs it from S99p2vkit-facts links in
 * /etc/rc[2345].d (or /etc/rc.d/rc[2345].d).  linux.c installs them. */
#define CONV_LINUX_FACTS_SCRIPT "/etc/p2vkit/facts"
#define CONV_LINUX_FACTS_UNIT "/etc/systemd/system/p2vkit-facts.service"
extern const char conv_linux_facts_script[];
extern const char conv_linux_facts_unit[];
/* Register the script as a service of controlset CS in SYS, and in SW's
 * RunOnce as the fallback. */
int conv_win_firstboot_register (struct conv_hive *sys, struct conv_hive *sw, const char *cs);

/* ------------------------------------------------------------------ */
/* winfs.c: a folder on this machine as a Windows tree.                */

void conv_win_fs_local (struct conv_win_fs *fs, const char *root);

/* ------------------------------------------------------------------ */
/* windows.c: making a Windows guest boot (registry through hivex).    */

/* With G launched, the disks added and ROOT inspected and mounted.
 * MODE is AUTO, PARAVIRT or FULL: AUTO chooses PARAVIRT when VIRTIO_WIN
 * (an unpacked virtio-win tree, or NULL) has storage and network drivers
 * for the guest's version, FULL otherwise; the decision and its reason go
 * to report->mode and report->mode_reason.  VCPUS is what the domain
 * will have (for the HAL choice on old versions).  Every file changed
 * and every registry key set goes to REPORT (conv_report_change).
 * Returns 0, or -1 with core_error set (nothing half-done is left in a
 * way that stops the guest from booting as it was). */
int conv_windows_convert(guestfs_h *g, const char *root, enum conv_mode mode,
                         const char *virtio_win, int64_t vcpus, bool facts,
                         struct conv_report *report);

/* ------------------------------------------------------------------ */
/* domain.c: the libvirt domain XML (libxml2's xmlTextWriter).          */

/* NAME.xml for the converted guest: disks from report->disks, mode and
 * firmware, vCPUs, memory and NIC MACs from REPORT; domain type kvm when
 * report->accel is "kvm", qemu otherwise. */
int conv_domain_write(FILE *fp, const struct conv_report *report);

/* ------------------------------------------------------------------ */
/* boot.c: --verify-boot.                                               */

/* Boot the converted disks in QEMU with -snapshot (KVM when usable, TCG
 * otherwise), with the devices of REPORT's mode, until "login:" appears
 * on the serial console.  Returns the seconds it took, or -1 with the
 * last console lines in the error.  TIMEOUT in seconds. */
double conv_verify_boot(const struct conv_report *report, double timeout);

/* ------------------------------------------------------------------ */
/* convert.c: the whole job.                                           */

struct conv_options {
  const char *name;
  char *const *sources;
  size_t nsources;
  const char *outdir;
  enum conv_mode mode;
  const char *format;           /* qcow2 or raw */
  const char *source_format;    /* qemu-img's name; NULL: per source */
  bool allow_backing;           /* read sources' backing files */
  const char *virtio_win;       /* NULL: none */
  int64_t vcpus;                /* CORE_UNSET: from the plan or source */
  int64_t memory_mib;           /* CORE_UNSET: from the plan or source */
  bool force;
  bool verify_boot;
  double boot_timeout;
  /* Leave out the first-boot facts reporter (which p2vkit migrate's
   * verify step reads); it is added by default. */
  bool no_facts_reporter;
  /* Notices ("inspecting", "installing virtio drivers") and copy
   * progress; may be NULL. */
  const struct core_notify *notify;
};

/* Run a conversion; REPORT (initialized by the caller) gets everything
 * found and done.  On failure nothing is left in OUTDIR by this run. */
int conv_run(const struct conv_options *opts, struct conv_report *report);

#endif /* P2VKIT_CONVERTER_H */
