/* p2vkit core: the data model and file formats every part of p2vkit shares.
 *
 * Rules for everything declared here (see DEVELOPERS.md):
 * - The core never prints and never exits.  A function that fails returns -1
 *   (or NULL) and leaves one whole, greppable message in the thread's error
 *   buffer, read with core_errmsg().  Front ends (cli/, tui/) decide how to
 *   report it.
 * - Every *_free function accepts NULL.
 * - Non-static symbols start with core_.
 *
 * One section per .c file in this folder.
 */
#ifndef P2VKIT_CORE_H
#define P2VKIT_CORE_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <yaml.h>

#define P2VKIT_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Cleanup attributes, as in nbdkit and libguestfs.                    */

#define CLEANUP_FREE __attribute__((cleanup(core_cleanup_free)))
#define CLEANUP_FCLOSE __attribute__((cleanup(core_cleanup_fclose)))
#define CLEANUP_FREE_PROFILE __attribute__((cleanup(core_cleanup_profile)))
#define CLEANUP_FREE_PROFILES __attribute__((cleanup(core_cleanup_profiles)))
#define CLEANUP_FREE_HOSTS __attribute__((cleanup(core_cleanup_hosts)))
#define CLEANUP_FREE_PLAN __attribute__((cleanup(core_cleanup_plan)))
#define CLEANUP_FREE_CSV __attribute__((cleanup(core_cleanup_csv)))

void core_cleanup_free(void *ptr);
void core_cleanup_fclose(void *ptr);

/* ------------------------------------------------------------------ */
/* Typed growable vectors (after nbdkit's common/utils/vector.h).      */

int core_vector_reserve(void **ptr, size_t *cap, size_t len, size_t n,
                        size_t elemsize);

#define DEFINE_VECTOR_TYPE(name, type)                                      \
  typedef struct {                                                          \
    type *ptr;                                                              \
    size_t len;                                                             \
    size_t cap;                                                             \
  } name;                                                                   \
  static inline __attribute__((unused)) int name##_reserve(name *v,         \
                                                           size_t n)        \
  {                                                                         \
    return core_vector_reserve((void **)&v->ptr, &v->cap, v->len, n,        \
                               sizeof(type));                               \
  }                                                                         \
  static inline __attribute__((unused)) int name##_append(name *v,          \
                                                          type elem)        \
  {                                                                         \
    if (name##_reserve(v, 1) == -1)                                         \
      return -1;                                                            \
    v->ptr[v->len++] = elem;                                                \
    return 0;                                                               \
  }                                                                         \
  static inline __attribute__((unused)) void name##_reset(name *v)          \
  {                                                                         \
    free(v->ptr);                                                           \
    v->ptr = NULL;                                                          \
    v->len = v->cap = 0;                                                    \
  }

DEFINE_VECTOR_TYPE(core_string_vector, char *)
DEFINE_VECTOR_TYPE(core_double_vector, double)

/* Frees every string, then the vector's storage. */
void core_string_vector_free(core_string_vector *v);
/* Append a string made from FMT.  0, or -1 with the error set. */
int core_string_vector_printf(core_string_vector *v, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
int core_string_vector_vprintf(core_string_vector *v, const char *fmt,
                               va_list ap) __attribute__((format(printf, 2, 0)));

/* Text built piece by piece: a char vector whose ptr, once anything was
 * appended, is NUL-terminated (the NUL not counted in len).  Free ptr, or
 * core_buffer_reset. */
DEFINE_VECTOR_TYPE(core_buffer, char)
/* Append N bytes of DATA.  0, or -1 with the error set. */
int core_buffer_add(core_buffer *b, const void *data, size_t n);
/* Append ARG single-quoted for a POSIX shell (a remote command line). */
int core_buffer_add_shell_word(core_buffer *b, const char *arg);
int core_buffer_printf(core_buffer *b, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
/* The text, "" when nothing was added, for the caller to free; B is left
 * empty.  NULL with the error set when out of memory. */
char *core_buffer_take(core_buffer *b);

/* ------------------------------------------------------------------ */
/* error.c: the per-thread error message.                              */

void core_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "FILE:LINE:COL: message"; col 0 leaves the column out. */
void core_error_at(const char *file, size_t line, size_t col, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
/* "message: strerror(errno)" */
void core_error_errno(const char *fmt, ...)
  __attribute__((format(printf, 1, 2)));
const char *core_errmsg(void);


/* ------------------------------------------------------------------ */
/* util.c: checked arithmetic, strings, numbers.                        */

/* *OUT = A op B; true when it fits, false on overflow (the opposite of
 * __builtin_*_overflow, so that "if (!core_add_size (...))" reads as
 * "if it does not fit"). */
bool core_mul_size(size_t a, size_t b, size_t *out);
bool core_add_size(size_t a, size_t b, size_t *out);

/* NULL on out-of-memory, with the error set (a library must not abort);
 * callers check.  core_strdup (NULL) is NULL too, with no error set. */
char *core_strdup(const char *s);
char *core_strndup(const char *s, size_t n);
char *core_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Close FP, opened by open_memstream on *TEXT: 0, or -1 with the error
 * set and *TEXT freed and NULL when the text could not be completed. */
int core_memstream_close(FILE *fp, char **text);

/* Open PATH, stat it into *ST and read up to N bytes of its start into
 * BUF; *GOT is pread's answer (-1 with errno on a read error, which the
 * caller judges).  Returns 0, or -1 with the error set when PATH cannot be
 * opened or stat'd. */
struct stat;
int core_read_head(const char *path, void *buf, size_t n, struct stat *st,
                   ssize_t *got);

/* Write all LEN bytes of BUF to FD, again after a signal or a short
 * write.  0, or -1 with errno set (the caller names the file). */
int core_write_fd(int fd, const void *buf, size_t len);

/* S ends with SUFFIX (a whole S equal to SUFFIX does); _nocase ignores
 * ASCII case, for file names typed by people (".CSV"). */
bool core_ends_with(const char *s, const char *suffix);
bool core_ends_with_nocase(const char *s, const char *suffix);

/* Parse a whole string as a number.  FIELD names the value in the error
 * ("cores: expected an integer, got 'x'").  Decimal only: no hex, no inf
 * or nan, no trailing characters. */
int core_parse_int64(const char *s, const char *field, int64_t min,
                     int64_t max, int64_t *out);
int core_parse_double(const char *s, const char *field, double min,
                      double max, double *out);

/* An IP address with its prefix length, "192.0.2.10/24" or
 * "2001:db8::10/64" (inet_pton's forms).  Fills FAMILY (AF_INET or
 * AF_INET6), ADDR (4 or 16 bytes) and PREFIX; -1 with an error naming
 * FIELD when S is not one. */
int core_parse_ip_prefix(const char *s, const char *field, int *family,
                         unsigned char addr[16], int *prefix);

/* Format a double in the shortest form that reads back exactly. */
void core_format_double(double v, char *buf, size_t len);
/* V for a table cell: DECIMALS decimals, or "-" when it is CORE_UNSET. */
void core_format_cell(char *buf, size_t len, double v, int decimals);

/* The length of the UTF-8 sequence at P (at most AVAIL bytes), or 0 when
 * it is not valid: overlong forms, surrogates and code points above
 * U+10FFFF are not. */
size_t core_utf8_len(const unsigned char *p, size_t avail);

/* S (LEN bytes, from a file or a peer) made safe to show on a terminal or
 * in a log, into BUF of SIZE bytes: control characters (C0, DEL, C1) and
 * bytes that are not UTF-8, and bidirectional embeddings and overrides,
 * become \xHH (tab, line feed and carriage
 * return \t, \n, \r); everything else is copied.  Cut short, never
 * inside an escape or a character, when BUF is too small.  Returns BUF.
 * Every core error message passes through it (error.c). */
char *core_escape(const char *s, size_t len, char *buf, size_t size);

/* The candidate nearest to WORD by edit distance, for "did you mean"
 * hints: within about one edit in three characters, else the one
 * candidate WORD begins, else NULL. */
const char *core_nearest(const char *word, const char *const *candidates,
                         size_t n);

/* ------------------------------------------------------------------ */
/* model.c: the data model.                                             */

/* Integer and number fields that are optional hold CORE_UNSET when the
 * input did not give them; every real value of such a field is >= 0. */
#define CORE_UNSET (-1)

enum core_firmware { CORE_FIRMWARE_UNSET, CORE_FIRMWARE_BIOS, CORE_FIRMWARE_UEFI };
enum core_virt { CORE_VIRT_UNSET, CORE_VIRT_NONE, CORE_VIRT_VMX, CORE_VIRT_SVM };
enum core_os_family {
  CORE_OS_UNSET, CORE_OS_LINUX, CORE_OS_WINDOWS, CORE_OS_BSD, CORE_OS_OTHER
};
enum core_proto { CORE_PROTO_TCP, CORE_PROTO_UDP };
enum core_mode { CORE_MODE_PARAVIRT, CORE_MODE_FULL, CORE_MODE_PHYSICAL };

/* Bit sets. */
#define CORE_PV_VIRTIO 1u
#define CORE_PV_XEN 2u
#define CORE_HV_KVM 1u
#define CORE_HV_XEN 2u

/* Names as they appear in the files, indexed by the enums above
 * (the UNSET slots are NULL). */
extern const char *const core_firmware_names[];
extern const char *const core_virt_names[];
extern const char *const core_os_family_names[];
extern const char *const core_proto_names[];
extern const char *const core_mode_names[];
extern const char *const core_pv_names[];  /* bit 0: virtio, bit 1: xen */
extern const char *const core_hv_names[];  /* bit 0: kvm, bit 1: xen */

struct core_disk {
  char *name;
  int64_t size_bytes;
  char *model;
  int rotational;               /* CORE_UNSET, 0 or 1 */
};
struct core_filesystem {
  char *mount;
  char *device;
  char *type;
  int64_t size_bytes;
  int64_t used_bytes;
};
struct core_nic {
  char *name;
  char *mac;
  int64_t speed_mbps;
  char *driver;
  core_string_vector addresses; /* "192.0.2.10/24", "2001:db8::10/64" */
};
struct core_pci {
  char *address;
  char *vendor;                 /* 4 hex digits */
  char *device;
  char *class_;                 /* 4 hex digits: class and subclass */
  char *driver;
  char *name;
  bool passthrough;
};
struct core_service {
  char *name;
  enum core_proto proto;
  int64_t port;
};
DEFINE_VECTOR_TYPE(core_disk_vector, struct core_disk)
DEFINE_VECTOR_TYPE(core_filesystem_vector, struct core_filesystem)
DEFINE_VECTOR_TYPE(core_nic_vector, struct core_nic)
DEFINE_VECTOR_TYPE(core_pci_vector, struct core_pci)
DEFINE_VECTOR_TYPE(core_service_vector, struct core_service)

struct core_utilization {
  int64_t interval_s;           /* CORE_UNSET when no utilization at all */
  core_double_vector cpu_pct;   /* empty vector: not given */
  core_double_vector mem_used_mib;
  core_double_vector disk_iops;
  core_double_vector disk_mbps;
  core_double_vector net_mbps;
};

struct core_cpu {
  char *model;
  int64_t sockets, cores, threads;   /* cores is required */
  double mhz;                        /* required */
  enum core_virt virt;
};
struct core_hardware {
  char *vendor;
  char *product;
  enum core_firmware firmware;
  struct core_cpu cpu;
  int64_t memory_mib;                /* required */
  double watts;                      /* an extension: what the server draws */
  core_disk_vector disks;
  core_filesystem_vector filesystems;
  core_nic_vector nics;
  core_pci_vector pci;
};
struct core_os {
  enum core_os_family family;
  char *id;
  char *name;
  char *kernel;
  char *arch;
  int pv_drivers;                    /* CORE_UNSET or a set of CORE_PV_* */
};
struct core_profile {
  char *source;                 /* where it was read from; not written */
  char *name;
  char *collected_at;
  char *role;
  char *group;                  /* a label (department, site) */
  core_string_vector anti_affinity;  /* names of the sets whose members
                                      * run on different hosts */
  struct core_hardware hardware;
  struct core_os os;
  core_service_vector services;
  struct core_utilization utilization;
  double growth_pct;            /* yearly growth of its demand; CORE_UNSET:
                                 * the plan's --growth */
};
DEFINE_VECTOR_TYPE(core_profile_vector, struct core_profile *)

struct core_host_model {
  char *model;
  int64_t cores;
  double mhz;
  int64_t memory_mib;
  double disk_gib;              /* CORE_UNSET: not a constraint */
  double disk_iops;             /* CORE_UNSET: not a constraint */
  double net_mbps;              /* CORE_UNSET: not a constraint */
  enum core_virt virt;
  bool iommu;
  unsigned hypervisors;         /* set of CORE_HV_* */
  double cost;                  /* CORE_UNSET: not given */
  double watts;                 /* CORE_UNSET: not given */
  int64_t count;                /* CORE_UNSET: no limit */
};
DEFINE_VECTOR_TYPE(core_host_model_vector, struct core_host_model)

/* The catalog entry of MODEL in V (a catalog's or a plan's models), or
 * NULL. */
const struct core_host_model *core_find_host_model(const core_host_model_vector *v,
                                                   const char *model);

struct core_hosts {
  char *source;
  core_host_model_vector models;
};

struct core_overhead {
  double cpu_pct;               /* percent of the guest's own CPU demand */
  double cpu_mhz;               /* fixed per guest */
  double memory_mib;
};
struct core_policy {
  double percentile;
  double headroom_pct;
  double cpu_overcommit;
  double memory_overcommit;
  int64_t ha_spare_hosts;
  bool thin_disks;
  bool windows_pv_drivers;
  bool allow_passthrough;
  bool separate_redundant_roles;  /* servers of one redundant role (two
                                   * DNS servers) on different hosts */
  struct core_overhead overhead_full;
  struct core_overhead overhead_paravirt;
};

struct core_demand {
  double cpu_mhz;
  double memory_mib;
  double disk_gib;
  double iops;
  double net_mbps;
};
struct core_peak {
  double cpu_pct, memory_pct, disk_pct, iops_pct, net_pct;
};
/* A host's summed CPU demand over the day, overhead included, from 00:00
 * UTC in steps of interval_s (an optional extension for reports; empty
 * cpu_mhz: not given). */
struct core_plan_series {
  int64_t interval_s;
  core_double_vector cpu_mhz;
};
struct core_plan_host {
  char *name;
  char *model;
  unsigned hypervisor;          /* one CORE_HV_* bit */
  bool spare;
  core_string_vector workloads;
  struct core_peak peak;
  struct core_plan_series series;
};
/* What the physical server is and does, copied from its profile (an
 * optional extension for reports and runbooks).  Numbers are CORE_UNSET
 * and strings NULL when not known. */
struct core_plan_server {
  bool given;                   /* false: the plan has no `server` */
  char *machine;                /* vendor and product */
  int64_t cores;
  double mhz;
  int64_t memory_mib;
  enum core_virt virt;
  enum core_firmware firmware;
  core_string_vector disks;     /* device names */
  double disk_gib;              /* all disks together */
  double used_gib;              /* in use on its file systems */
  char *os;
  enum core_os_family family;
  char *role;
  char *group;
  core_string_vector services;  /* service names, each once */
  double watts;
};
struct core_plan_workload {
  char *name;
  char *host;                   /* NULL: not placed */
  enum core_mode mode;
  int64_t vcpus;
  int64_t memory_mib;
  struct core_demand demand;
  core_string_vector passthrough;  /* devices to pass through */
  core_string_vector reasons;
  struct core_plan_server server;
};
struct core_plan_unplaced {
  char *name;
  char *reason;
};
/* What host to buy (p2vkit plan --size): per dimension the unrounded
 * capacity the workloads need (headroom included) and the buyable spec. */
enum core_resource {
  CORE_RES_CPU, CORE_RES_MEMORY, CORE_RES_DISK, CORE_RES_IOPS, CORE_RES_NET,
  CORE_NRES
};
extern const char *const core_resource_names[];  /* cpu memory disk iops net */
struct core_size_dim {
  double need;
  double spec;
};
struct core_runs_out {
  int64_t month;                /* CORE_UNSET: lasts the whole period */
  enum core_resource resource;
};
struct core_plan_sizing {
  bool given;
  int64_t hosts;                /* hosts that carry the workloads */
  int64_t spare_hosts;
  double core_mhz;
  struct core_size_dim cores, memory_gib, disk_gb, disk_iops, net_mbps, nic_ports;
  double port_mbps;
  enum core_resource binding;
  char *interval;               /* "HH:MM-HH:MM" UTC; NULL: all day */
  double binding_pct;           /* need / spec of the binding dimension */
  core_string_vector virt;      /* workloads needing hardware virtualization */
  core_string_vector iommu;     /* workloads needing an IOMMU */
  bool has_runs_out;            /* with growth only */
  struct core_runs_out runs_out;
  core_string_vector reasons;
};
/* How long each host lasts when demand grows (--growth, --years). */
struct core_plan_growth_host {
  char *host;
  struct core_runs_out runs_out;
  core_double_vector peak_pct;  /* months 0..12*years: the most used
                                 * resource, % of the host's capacity */
};
DEFINE_VECTOR_TYPE(core_plan_growth_host_vector, struct core_plan_growth_host)
struct core_plan_growth {
  bool given;
  double pct;
  int64_t years;
  core_plan_growth_host_vector hosts;
  core_string_vector reasons;
};

DEFINE_VECTOR_TYPE(core_plan_host_vector, struct core_plan_host)
DEFINE_VECTOR_TYPE(core_plan_workload_vector, struct core_plan_workload)
DEFINE_VECTOR_TYPE(core_plan_unplaced_vector, struct core_plan_unplaced)

struct core_plan {
  char *source;
  struct {
    int64_t workloads, placed, unplaced, hosts_used;
    int64_t lower_bound;        /* CORE_UNSET: written as null */
    double cost;                /* CORE_UNSET: null */
    double watts_before;        /* CORE_UNSET: null */
    double watts_after;         /* CORE_UNSET: null */
  } summary;
  struct core_policy policy;
  core_plan_host_vector hosts;
  core_plan_workload_vector workloads;
  core_plan_unplaced_vector unplaced;
  core_host_model_vector models;  /* catalog entries of the hosts' models
                                   * (optional; empty: not given) */
  struct core_plan_sizing sizing;   /* optional */
  struct core_plan_growth growth;   /* optional */
};

/* Allocate a profile with every optional field unset. */
struct core_profile *core_profile_new(void);
void core_profile_free(struct core_profile *p);
void core_profiles_free(core_profile_vector *v);   /* frees the profiles too */
void core_cleanup_profile(struct core_profile **p);
void core_cleanup_profiles(core_profile_vector *v);

void core_hosts_init(struct core_hosts *h);
void core_hosts_clear(struct core_hosts *h);
void core_cleanup_hosts(struct core_hosts *h);
void core_host_model_init(struct core_host_model *m);

void core_policy_defaults(struct core_policy *p);

void core_plan_init(struct core_plan *plan);
/* Every field unknown, given false. */
void core_plan_server_init(struct core_plan_server *s);
void core_plan_clear(struct core_plan *plan);
void core_cleanup_plan(struct core_plan *plan);

/* Equality of the values a file carries (source is ignored); for the
 * round-trip tests and for deploy's "nothing changed" check. */
bool core_profile_equal(const struct core_profile *a, const struct core_profile *b);
bool core_hosts_equal(const struct core_hosts *a, const struct core_hosts *b);
bool core_policy_equal(const struct core_policy *a, const struct core_policy *b);
bool core_plan_equal(const struct core_plan *a, const struct core_plan *b);

/* ------------------------------------------------------------------ */
/* yaml-parse.c: readers.  Errors are "FILE:LINE:COL: what".            */

#define CORE_SCHEMA_PROFILE "p2vkit/profile/v1"
#define CORE_SCHEMA_HOSTS "p2vkit/hosts/v1"
#define CORE_SCHEMA_POLICY "p2vkit/policy/v1"
#define CORE_SCHEMA_PLAN "p2vkit/plan/v1"
#define CORE_SCHEMA_SOURCES "p2vkit/sources/v1"
#define CORE_SCHEMA_JOURNAL "p2vkit/journal/v1"

enum core_file_kind {
  CORE_FILE_PROFILE, CORE_FILE_HOSTS, CORE_FILE_POLICY, CORE_FILE_PLAN,
  CORE_FILE_SOURCES, CORE_FILE_JOURNAL
};

/* From memory; NAME is used in messages.  The *_read functions read a
 * file ("-" is stdin). */
struct core_profile *core_profile_parse(const char *name, const char *buf, size_t len);
struct core_profile *core_profile_read(const char *path);
int core_hosts_parse(const char *name, const char *buf, size_t len, struct core_hosts *out);
int core_hosts_read(const char *path, struct core_hosts *out);
/* OUT is reset to the defaults first; the file overrides what it gives. */
int core_policy_parse(const char *name, const char *buf, size_t len, struct core_policy *out);
int core_policy_read(const char *path, struct core_policy *out);
int core_plan_parse(const char *name, const char *buf, size_t len, struct core_plan *out);
int core_plan_read(const char *path, struct core_plan *out);

/* Which schema a YAML file declares; -1 with the error set when it has
 * none or an unknown one. */
int core_file_kind(const char *name, const char *buf, size_t len, enum core_file_kind *out);

/* Whole file into memory, NUL-terminated; "-" reads stdin. */
char *core_read_file(const char *path, size_t *len);

/* The most a YAML or CSV input may hold: a year of one-minute samples
 * can make a profile of over 16 MiB.  The parsers refuse larger buffers;
 * core_read_input stops reading there, so /dev/zero is refused at once. */
#define CORE_INPUT_MAX (64 << 20)

/* core_read_file for the readers' inputs: at most CORE_INPUT_MAX bytes. */
char *core_read_input(const char *path, size_t *len);

/* ------------------------------------------------------------------ */
/* schema.c: one table of fields per format, and the walker that reads  */
/* a YAML mapping against it.                                           */

/* Where a value lives in its struct, and how it is read. */
enum core_field_type {
  CORE_FIELD_SKIP,              /* read elsewhere (the top-level schema) */
  CORE_FIELD_STRING,            /* char * */
  CORE_FIELD_STRING_OR_NULL,    /* char *; null gives NULL */
  CORE_FIELD_NAME,              /* char *, a name (letters, digits, . - _) */
  CORE_FIELD_INT,               /* int64_t in [min, max] */
  CORE_FIELD_INT_OR_NULL,       /* int64_t; null gives CORE_UNSET */
  CORE_FIELD_DOUBLE,            /* double in [min, max] */
  CORE_FIELD_DOUBLE_OR_NULL,    /* double; null gives CORE_UNSET */
  CORE_FIELD_BOOL,              /* bool */
  CORE_FIELD_TRISTATE,          /* int: CORE_UNSET, 0 or 1 */
  CORE_FIELD_ENUM,              /* an int-sized enum indexed in names */
  CORE_FIELD_FLAGS,             /* unsigned: a list of names as bits */
  CORE_FIELD_STRINGS,           /* core_string_vector */
  CORE_FIELD_SERIES,            /* core_double_vector, each in [min, max] */
  CORE_FIELD_STRUCT,            /* a mapping read against sub */
  CORE_FIELD_VECTOR,            /* a list of mappings: a vector of sub's */
  CORE_FIELD_CUSTOM,            /* read by the hook */
  CORE_FIELD_BIT,               /* unsigned: one name of names, as its bit */
  CORE_FIELD_NTYPES
};

struct core_reader;
struct core_table;
struct yaml_node_s;             /* libyaml's yaml_node_t */
struct core_yaml_writer;

struct core_field {
  const char *key;
  enum core_field_type type;
  size_t offset;                /* of the member in the table's struct */
  const char *unit;             /* for people: "MiB", "%"; or NULL */
  double min, max;              /* numbers and series; CORE_FIELD_INT_MAX */
  bool required;
  double dflt;                  /* numbers: what core_schema_init sets */
  const char *doc;              /* one line, or NULL: docs/formats.md */
  const char *const *names;     /* ENUM and FLAGS; a NULL first slot is
                                 * the enum's UNSET */
  const struct core_table *sub; /* STRUCT and VECTOR */
  /* CUSTOM: read V (at PATH) into OBJ, the table's struct.  Others: when
   * set, called after the value was read, to check it. */
  int (*hook)(struct core_reader *r, const struct core_field *f,
              struct yaml_node_s *v, const char *path, void *obj);
  /* VECTOR: called after item N was read, to check it against the
   * items before it (duplicates). */
  int (*each)(struct core_reader *r, struct yaml_node_s *item,
              const char *path, const void *items, size_t n);
  unsigned flags;               /* CORE_FIELD_OMIT_EMPTY ... below */
  /* When not 0: 1 + the offset in the table's struct of a bool that
   * says whether the key is there; the walker sets it on reading the
   * key, and the field is written and compared only when it is true
   * (optional mappings: a plan's sizing, a workload's server). */
  size_t given;
  /* When set: writes the key and its value, instead of the type's
   * writer (a value with a layout of its own: a plan's features). */
  void (*write)(struct core_yaml_writer *w, const struct core_field *f,
                const void *obj);
};
/* Field flags.  The writer leaves out what the reader would read as
 * unset (a NULL string, CORE_UNSET, an enum's UNSET slot, an empty
 * series); these say what else it leaves out, or how it writes a field.
 * OMIT_EMPTY: written only when it holds something: a list with items,
 *   a STRUCT one of whose lists has items (compared only then too).
 * FLOW: a list of strings written on one line.
 * HOOK_READS: the hook alone reads the value (its own syntax, or a value
 *   that depends on keys after it); the type says what it is in memory,
 *   for writing, comparing and freeing.
 * NULL_UNSET: a STRUCT written as null when its first field (a number)
 *   is CORE_UNSET, and then compared by that field alone.
 * NO_UNSET: a number written as it is, even CORE_UNSET or below its min
 *   (a duration of -1 s).
 * OMIT_UNSET: left out when it says nothing: false (BOOL), a mapping
 *   whose every member is left out (STRUCT).
 * ONE_OR_LIST: a list of strings with one item written as that item.
 * FIRST_GIVES: a STRUCT whose first member, an int64_t, says whether it
 *   was given: CORE_UNSET (not its default) after core_schema_init, and
 *   then the mapping is not written. */
#define CORE_FIELD_OMIT_EMPTY 1u
#define CORE_FIELD_FLOW 2u
#define CORE_FIELD_HOOK_READS 4u
#define CORE_FIELD_NULL_UNSET 8u
#define CORE_FIELD_NO_UNSET 16u
#define CORE_FIELD_OMIT_UNSET 32u
#define CORE_FIELD_ONE_OR_LIST 64u
#define CORE_FIELD_FIRST_GIVES 128u
/* An int64_t range's top as a double: INT64_MAX. */
#define CORE_FIELD_INT_MAX 0x1p63

struct core_table {
  const char *name;             /* its label in docs/formats.md: "" for the
                                 * top level, "hardware.disks[]"; NULL: the
                                 * docs give it within another's table */
  size_t size;                  /* of the struct, for VECTOR items */
  const struct core_field *fields;
  size_t n;
  /* After the walk: the cross-field checks; SEEN is the set of keys read
   * (bit I: fields[I]). */
  int (*check)(struct core_reader *r, struct yaml_node_s *map,
               const char *path, void *obj, uint64_t seen);
  bool flow;                    /* written on one line: {a: 1, b: 2} */
};
#define CORE_TABLE_STYLE(label, type, fields_, check_, flow_)           \
  { label, sizeof (type), fields_, sizeof fields_ / sizeof fields_[0],  \
    check_, flow_ }
#define CORE_TABLE(label, type, fields_, check_)                         \
  CORE_TABLE_STYLE (label, type, fields_, check_, false)
/* A table whose mappings are written on one line. */
#define CORE_TABLE_FLOW(label, type, fields_, check_)                    \
  CORE_TABLE_STYLE (label, type, fields_, check_, true)

/* The formats' tables (yaml-read.c). */
extern const struct core_table core_profile_table;
extern const struct core_table core_hosts_table;
extern const struct core_table core_host_model_table;
extern const struct core_table core_utilization_table;
extern const struct core_table core_policy_table;
extern const struct core_table core_plan_table;

/* A document being read: errors are "FILE:LINE:COL: what". */
struct yaml_document_s;
struct core_reader {
  const char *file;
  struct yaml_document_s *doc;
};

/* Read mapping MAP at PATH ("" for the top level) into OBJ against T:
 * unknown keys (with "did you mean"), duplicate keys, wrong types, ranges
 * and missing required keys are errors, then T's check runs. */
int core_schema_read(struct core_reader *r, const struct core_table *t,
                     struct yaml_node_s *map, const char *path, void *obj);
/* One field's value V (at PATH) into OBJ. */
int core_schema_read_field(struct core_reader *r, const struct core_field *f,
                           struct yaml_node_s *v, const char *path, void *obj);
/* Zero OBJ and set T's numeric defaults. */
void core_schema_init(const struct core_table *t, void *obj);
/* Free what T's strings and lists hold in OBJ (not OBJ itself). */
void core_schema_free(const struct core_table *t, void *obj);
/* Whether A and B, structs of T, hold the same values. */
bool core_schema_equal(const struct core_table *t, const void *a,
                       const void *b);
/* The field of T named KEY, or NULL. */
const struct core_field *core_schema_field(const struct core_table *t,
                                           const char *key);
/* Whether one of the lists of OBJ, a struct of T, has items. */
bool core_schema_holds_items(const struct core_table *t, const void *obj);
/* Whether F, a number of OBJ, is CORE_UNSET. */
bool core_schema_is_unset(const struct core_field *f, const void *obj);
/* Set field KEY of OBJ (a struct of T) from TEXT, a YAML value as it
 * would follow "KEY: " in a file, then run T's checks; KEY may name a
 * field of a nested mapping ("overhead.full.cpu_pct").  Empty TEXT leaves
 * an optional field out.  On error OBJ is unchanged and the message is
 * "KEY: what", as the reader would say it without its position. */
int core_schema_set(const struct core_table *t, void *obj, const char *key,
                    const char *text);
/* For a VECTOR's each hook: the first of the N items before item N
 * (ITEMS of SIZE bytes) whose string at OFFSET is item N's, or -1. */
ssize_t core_schema_same_before(const void *items, size_t n, size_t size,
                                size_t offset);
/* The tables below T (T first, each once), for listing and for the test
 * against docs/formats.md; returns how many, at most MAX. */
size_t core_schema_tables(const struct core_table *t,
                          const struct core_table **out, size_t max);

/* Load NAME's BUF into R's document, bounded before it is parsed
 * (yaml-load.c); the caller deletes the document. */
int core_yaml_load(struct core_reader *r, const char *name, const char *buf,
                   size_t len);
/* Read the document NAME into OBJ against T, the top-level table of the
 * format of KIND (the schema key is checked, then the walker reads the
 * rest); OBJ must be initialized. */
int core_yaml_parse_top(const char *name, const char *buf, size_t len,
                        enum core_file_kind kind, const struct core_table *t,
                        void *obj);
/* The root ROOT is a mapping whose schema is WANT's. */
int core_yaml_expect_kind(struct core_reader *r, struct yaml_node_s *root,
                          enum core_file_kind want);

/* What the hand-written parts of the readers share with the walker. */
struct yaml_node_s *core_yaml_node(struct core_reader *r, int index);
int core_yaml_fail(struct core_reader *r, const struct yaml_node_s *n,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool core_yaml_is_null(const struct yaml_node_s *n);
const char *core_yaml_type_name(const struct yaml_node_s *n);
int core_yaml_expect_mapping(struct core_reader *r, const struct yaml_node_s *n,
                             const char *path);
int core_yaml_expect_list(struct core_reader *r, const struct yaml_node_s *n,
                          const char *path);
int core_yaml_get_string(struct core_reader *r, const struct yaml_node_s *n,
                         const char *path, char **out);
int core_yaml_get_int(struct core_reader *r, const struct yaml_node_s *n,
                      const char *path, int64_t min, int64_t max, int64_t *out);
int core_yaml_get_double(struct core_reader *r, const struct yaml_node_s *n,
                         const char *path, double min, double max, double *out);
int core_yaml_get_enum(struct core_reader *r, const struct yaml_node_s *n,
                       const char *path, const char *const *names, int *out);
int core_yaml_get_strings(struct core_reader *r, const struct yaml_node_s *n,
                          const char *path, core_string_vector *out);
int core_yaml_get_series(struct core_reader *r, const struct yaml_node_s *n,
                         const char *path, double max, core_double_vector *out);
int core_yaml_check_name(struct core_reader *r, const struct yaml_node_s *n,
                         const char *path, const char *name);
/* PATH.KEY into BUF, cut short if it does not fit (a label). */
void core_yaml_subpath(char *buf, size_t len, const char *path, const char *key);
/* The value node of KEY in mapping MAP, or MAP itself. */
struct yaml_node_s *core_yaml_value_of(struct core_reader *r,
                                       struct yaml_node_s *map, const char *key);

/* Iterate over a mapping's pairs with K and V bound to the key and value
 * nodes, and over a list's items with I and ITEM (libyaml's yaml.h). */
#define CORE_FOR_PAIRS(r, map, k, v)                                        \
  for (yaml_node_pair_t *pair_ = (map)->data.mapping.pairs.start;           \
       pair_ < (map)->data.mapping.pairs.top                                \
         && ((k) = core_yaml_node ((r), pair_->key)) != NULL                \
         && ((v) = core_yaml_node ((r), pair_->value)) != NULL;             \
       pair_++)
#define CORE_FOR_ITEMS(r, seq, i, item)                                     \
  for (yaml_node_item_t *item_ = (seq)->data.sequence.items.start;          \
       item_ < (seq)->data.sequence.items.top                               \
         && ((item) = core_yaml_node ((r), *item_)) != NULL                 \
         && ((i) = item_ - (seq)->data.sequence.items.start, 1);            \
       item_++)

/* ------------------------------------------------------------------ */
/* plan-check.c: a plan checked against itself once read.              */

/* Names unique, references resolved, summary counts and models as the
 * lists hold them; ROOT is the plan's mapping, for the positions. */
int core_plan_check(struct core_reader *r, struct yaml_node_s *root,
                    struct core_plan *plan);

/* ------------------------------------------------------------------ */
/* yaml-write.c: writers.  They write to an open stream.                */

int core_profile_write(FILE *fp, const struct core_profile *p);
int core_hosts_write(FILE *fp, const struct core_hosts *h);
int core_policy_write(FILE *fp, const struct core_policy *p);
int core_plan_write(FILE *fp, const struct core_plan *plan);
/* The writer of a plan's sizing.features (its field's write). */
void core_plan_write_features(struct core_yaml_writer *w,
                              const struct core_field *f, const void *sizing);
/* A document of SCHEMA holding OBJ, a struct of T (T's fields in order;
 * unset numbers, NULL strings and empty lists left out). */
int core_yaml_write_top(FILE *fp, const char *schema,
                        const struct core_table *t, const void *obj);

/* The libyaml emitter under those writers, for other modules' YAML
 * outputs: begin, events, end.  After the first failure every call does
 * nothing and core_yw_end returns -1 with the error set. */
struct core_yaml_writer {
  yaml_emitter_t e;
  FILE *fp;
  bool failed;
  /* How core_schema_write writes values, set after core_yw_begin: every
   * string double-quoted (not only those a reader would take for
   * something else); an unset value (NULL, CORE_UNSET, an enum's UNSET,
   * a DOUBLE below its field's min) as null rather than left out;
   * numbers with this many decimals (0: the shortest that reads back
   * the same).  The formats with a reader leave them all off. */
  bool quote_strings;
  bool nulls;
  int decimals;
};
/* WIDTH: the emitter's line width, -1 for unlimited. */
void core_yw_begin(struct core_yaml_writer *w, FILE *fp, int width);
/* The fields of OBJ, a struct of T, in T's order, into the mapping W is
 * in (the format writers' own way, for documents without a reader). */
void core_schema_write(struct core_yaml_writer *w, const struct core_table *t,
                       const void *obj);
int core_yw_end(struct core_yaml_writer *w);
void core_yw_emit(struct core_yaml_writer *w, yaml_event_t *ev);
void core_yw_map_begin(struct core_yaml_writer *w, bool flow);
void core_yw_map_end(struct core_yaml_writer *w);
void core_yw_seq_begin(struct core_yaml_writer *w, bool flow);
void core_yw_seq_end(struct core_yaml_writer *w);
void core_yw_scalar(struct core_yaml_writer *w, const char *s, yaml_scalar_style_t style);

/* ------------------------------------------------------------------ */
/* output.c: files written whole or not at all.                          */

/* Calls WRITE_FN on a temporary file in PATH's folder, then renames it to
 * PATH.  On any failure (or a signal, see core_tmpfiles_cleanup) nothing
 * is left behind.  A symbolic link is followed to its final target, which
 * is replaced in its own folder (the link stays).  Standard output ("-",
 * /dev/stdout, /dev/fd/1), other open descriptors (/dev/stderr,
 * /dev/fd/N), character devices and FIFOs are written in place: they
 * cannot be replaced, and output there cannot be taken back.  A folder,
 * a block device or a socket is an error. */
int core_write_atomic(const char *path, int (*write_fn)(FILE *fp, void *opaque),
                      void *opaque);

/* core_write_atomic of the LEN bytes at DATA. */
int core_write_atomic_data(const char *path, const void *data, size_t len);

/* Whether PATH names standard output: "-", /dev/stdout, /dev/fd/1. */
bool core_output_is_stdout(const char *path);

enum core_output_kind {
  CORE_OUTPUT_FILE,             /* replaced atomically (or created) */
  CORE_OUTPUT_STREAM,           /* a character device or FIFO: in place */
  CORE_OUTPUT_FD                /* an open descriptor of this process */
};
/* Where writing PATH goes: the final target of its links (allocated),
 * its kind, and for CORE_OUTPUT_FD the descriptor in *FD.  NULL with the
 * error set for a folder, a block device, a socket or a broken path. */
char *core_output_target(const char *path, enum core_output_kind *kind, int *fd);

/* Fail early when PATH cannot be written (before minutes of work). */
int core_output_check(const char *path);

/* TMP, a finished file, becomes PATH the way core_write_atomic writes
 * it: renamed onto PATH's final target, or copied there (a device, a FIFO,
 * a link to another file system). */
int core_output_commit(const char *tmp, const char *path);

/* For an output another program writes (qemu-img): an empty temporary
 * file in the folder of PATH's final target (links followed), registered
 * for removal on a signal, with the mode the output will have; its name,
 * and the target in *TARGET.  Finished, core_output_commit renames it
 * into place.  PATH must be a regular file or a new path. */
char *core_output_temp(const char *path, char **target);

/* The signals front ends clean up on (INT, TERM, HUP, QUIT), blocked
 * around creating a temporary file and registering it, so that no signal
 * comes between the two. */
void core_signals_block(sigset_t *old);
void core_signals_restore(const sigset_t *old);
/* mkstemp, mkdtemp and mkdir whose result is registered with
 * core_tmpfiles_add before any of those signals is delivered.  mkdir of
 * a folder that exists succeeds with *MADE false (nothing registered). */
int core_mkstemp_registered(char *tmpl);
char *core_mkdtemp_registered(char *tmpl);
int core_mkdir_registered(const char *path, mode_t mode, bool *made);

/* Temporary files that exist right now; a front end's signal handler calls
 * core_tmpfiles_cleanup (async-signal-safe) to remove them.  A path may
 * be a folder of files (no subfolders): the files and the folder go. */
int core_tmpfiles_add(const char *path);
void core_tmpfiles_remove(const char *path);
void core_tmpfiles_cleanup(void);

/* ------------------------------------------------------------------ */
/* json.c: JSON for scripts (--json): written as it goes, indented.      */

struct core_json {
  FILE *fp;
  int depth;
  bool first;                   /* no value yet in the open container */
  bool after_key;
  bool failed;
};
void core_json_begin(struct core_json *j, FILE *fp);
void core_json_object_begin(struct core_json *j);
void core_json_object_end(struct core_json *j);
void core_json_array_begin(struct core_json *j);
void core_json_array_end(struct core_json *j);
/* In an object: the key of the value that follows. */
void core_json_key(struct core_json *j, const char *key);
void core_json_string(struct core_json *j, const char *s);   /* NULL: null */
void core_json_int(struct core_json *j, int64_t v);
void core_json_double(struct core_json *j, double v);  /* not finite: null */
/* KEY and V, with CORE_UNSET (not known) as null. */
void core_json_number(struct core_json *j, const char *key, double v);
void core_json_bool(struct core_json *j, bool b);
void core_json_null(struct core_json *j);
/* A final newline; -1 with the error set when the containers do not
 * balance or the stream failed. */
int core_json_end(struct core_json *j);

/* ------------------------------------------------------------------ */
/* csv.c: RFC 4180 reader.                                               */

struct core_csv_row {
  size_t line;                  /* 1-based line the row starts on */
  core_string_vector fields;
};
DEFINE_VECTOR_TYPE(core_csv_row_vector, struct core_csv_row)

struct core_csv {
  core_csv_row_vector rows;     /* rows[0] is the header when there is one */
};

/* Accepts a UTF-8 BOM, LF or CRLF line ends, quoted fields with "" and
 * line breaks inside, and skips empty lines.  Every row must have as many
 * fields as the first. */
int core_csv_parse(const char *name, const char *buf, size_t len, struct core_csv *out);
void core_csv_clear(struct core_csv *csv);
void core_cleanup_csv(struct core_csv *csv);

/* ------------------------------------------------------------------ */
/* import.c: CSV rows to profiles.                                       */

/* Appends one profile per row to OUT; on error appends nothing. */
int core_import_csv_parse(const char *name, const char *buf, size_t len,
                          core_profile_vector *out);
int core_import_csv(const char *path, core_profile_vector *out);

/* ------------------------------------------------------------------ */
/* load.c: profiles from files, folders and CSV files.                   */

/* Each path is a profile (.yaml/.yml), a CSV file (.csv) or a folder of
 * them (not recursive, read in name order); "-" is standard input, one
 * profile document or a CSV file (told apart by its first line).  Fails
 * on no profile at all and on two profiles with one name. */
int core_load_profiles(char *const *paths, size_t n, core_profile_vector *out);
/* The same, keeping profiles that share a name (for listings). */
int core_load_profiles_all(char *const *paths, size_t n, core_profile_vector *out);

/* ------------------------------------------------------------------ */
/* osinfo.c: what libosinfo's database knows about an OS.               */

struct core_osinfo {
  char *id;                     /* short-id, e.g. "win2k3" */
  char *name;                   /* e.g. "Microsoft Windows Server 2003" */
  enum core_os_family family;
  int pv_drivers;               /* CORE_UNSET when the database has no answer */
  /* The OS found stands for the one named, which the database does not
   * list as such: a major version alone ("Oracle Linux 6" -> ol6.0, the
   * first release of 6; "RHEL 7" -> rhel7-unknown), or a service pack it
   * does not list.  NAME is then the database's, not the one named. */
  bool inexact;
};
/* Find an OS by short-id, or by name (case-insensitive, with or without
 * the vendor's name in front), or by the spellings of inventories and
 * release files: abbreviations (RHEL, SLES, OEL, Win2k8, W2K3, SBS),
 * editions, architectures, "LTS", "R2", "SP2", point releases
 * ("Ubuntu 18.04.6 LTS", "Microsoft Windows Server 2008 R2 Enterprise",
 * "CentOS Linux release 7.9.2009 (Core)").  Returns 1 when found, 0 when
 * not, -1 on error (database not loadable). */
int core_osinfo_lookup(const char *id_or_name, struct core_osinfo *out);
/* The short-ids of up to N OSes nearest to TEXT, "a, b, c": other
 * releases of the same system, or systems of a near spelling; "" when
 * none is near; NULL on error. */
char *core_osinfo_nearest(const char *text, size_t n);
void core_osinfo_clear(struct core_osinfo *o);

/* ------------------------------------------------------------------ */
/* windows.c: Windows releases and what virtio-win has for them.        */

/* A Windows release as its registry names it. */
struct core_win_version {
  int major, minor;             /* CurrentVersion / CurrentMajorVersionNumber */
  int build;                    /* CurrentBuildNumber; 0 unknown */
  bool server;                  /* InstallationType or ProductName */
  char *product_name;           /* the registry's; NULL from a short-id */
  char arch[8];                 /* "x86" or "amd64" (virtio-win's names);
                                 * "" from a short-id */
};

/* What p2vkit can do for a release in paravirt mode. */
enum core_win_pv {
  CORE_WIN_PV_NONE,             /* no virtio drivers were ever made for it */
  CORE_WIN_PV_LEGACY,           /* only withdrawn virtio-win releases had them */
  CORE_WIN_PV_CURRENT,          /* current virtio-win releases have them */
};
enum core_win_pv core_win_pv_supported (const struct core_win_version *v);
/* The release of a libosinfo short-id ("win2k3", "win2k19", ...); false
 * for an id that is not Windows or not known. */
bool core_win_version_from_osinfo (const char *id, struct core_win_version *v);
/* The folder name virtio-win's ISO uses for V ("2k3", "2k19", "w10"). */
const char *core_win_virtio_dir (const struct core_win_version *v);
/* Older virtio-win trees used the DDK's names for the same folders
 * ("wxp", "wnet", "wlh"); NULL for releases after Vista. */
const char *core_win_virtio_dir_old (const struct core_win_version *v);

/* ------------------------------------------------------------------ */
/* child.c: running other programs.                                     */

/* Run ARGV (no shell) and wait.  Captures stdout into *OUT when OUT is not
 * NULL (NUL-terminated), and stderr's last line into the error message on
 * failure.  Returns the exit status (0..255), or -1 when it could not be
 * run or was killed by a signal. */
int core_run(char *const *argv, char **out);

/* What one of a child's standard descriptors is. */
enum core_child_io {
  CORE_CHILD_INHERIT,           /* this process's */
  CORE_CHILD_NULL,              /* /dev/null */
  CORE_CHILD_PIPE,              /* a pipe; this end in fd[] once started */
  CORE_CHILD_FD,                /* the descriptor in fd[] */
  CORE_CHILD_STDOUT,            /* (stderr) where its stdout goes */
};

/* A program running in the background, for work core_run does not fit:
 * progress read as it comes, input written, a deadline, a server. */
struct core_child {
  /* Set before core_child_start; zero is "inherit all, nothing else". */
  enum core_child_io io[3];     /* stdin, stdout, stderr */
  int fd[3];                    /* CORE_CHILD_FD's descriptors; once started,
                                 * this end of each pipe, else -1 */
  bool group;                   /* a process group of its own, which
                                 * core_child_kill ends whole */
  int death_signal;             /* sent to it if this process dies; 0: none */
  void (*setup)(void *opaque);  /* in the child just before exec */
  void *opaque;
  pid_t pid;                    /* once started; -1 once waited for */
};

/* Fork and exec ARGV (searched in PATH).  A program that cannot be run
 * says why on its stderr and exits 127.  Returns 0, or -1 with the error
 * set. */
int core_child_start(struct core_child *c, char *const *argv);
/* Close this end of the child's descriptor WHICH (0..2), if open. */
void core_child_close(struct core_child *c, int which);
/* Close the pipes left, wait for the child, put its wait status in
 * *STATUS.  Returns 0, or -1 with the error set. */
int core_child_wait(struct core_child *c, int *status);
/* Send SIG to the child (to its whole group with .group). */
void core_child_kill(struct core_child *c, int sig);
/* Cancel: send SIG, close the pipes, wait.  Keeps errno and the error
 * message; C NULL or not started is fine. */
void core_child_stop(struct core_child *c, int sig);
/* Read FD (a child's pipe) to its end into a NUL-terminated string.  MAX
 * > 0 keeps only the last MAX bytes; SECONDS > 0 stops after that long,
 * setting *TIMED_OUT (may be NULL).  NULL on error. */
char *core_child_read(int fd, size_t max, double seconds, bool *timed_out);
/* The last non-empty line of TEXT (cut in place, with strtok), or NULL. */
char *core_last_line(char *text);
/* Set the error of a child NAME that ended with wait status STATUS
 * other than 0: "NAME: exited with status N: LAST LINE OF ERR", "NAME:
 * killed by signal N".  ERR (its stderr, may be NULL) is cut. */
void core_child_error(const char *name, int status, char *err);

/* ------------------------------------------------------------------ */
/* notify.c: how long work tells its caller what happens.              */

enum core_notice {
  CORE_NOTICE_INFO,             /* an action being taken or a fact found */
  CORE_NOTICE_WARNING,          /* noticed, not failed on */
  /* One of many independent items (a fleet's host): begins, ends well
   * ("HOST: NAME -> FILE"), or fails while the others go on ("HOST: why"). */
  CORE_NOTICE_ITEM_START,
  CORE_NOTICE_ITEM_OK,
  CORE_NOTICE_ITEM_FAILED,
};

/* What a front end passes to a module's long work.  Any member may be
 * NULL.  Progress: WHAT starts with TOTAL units (0: unknown); then DONE
 * of TOTAL, of which SENT were moved as data (less than DONE when a copy
 * skips holes), WHAT saying what is under way now (it may change: the
 * planner's best so far); then the end with OUTCOME ("done", "failed",
 * "interrupted").  A notice is text to show as it is, with no
 * "p2vkit: " in front: one line, but for what is shown whole (deploy
 * --dry-run's definitions).  CANCELLED is asked at each step of long work: true stops
 * it (undoing what it must) as soon as it can; it may read a flag a
 * signal handler sets, nothing more. */
struct core_notify {
  void (*progress_start) (void *opaque, const char *what, uint64_t total);
  void (*progress) (void *opaque, const char *what, uint64_t done,
                    uint64_t sent, uint64_t total);
  void (*progress_end) (void *opaque, const char *outcome, uint64_t done,
                        uint64_t sent);
  void (*notice) (void *opaque, enum core_notice kind, const char *msg);
  bool (*cancelled) (void *opaque);
  void *opaque;
};

/* Each does nothing (or returns false) when N or its member is NULL. */
void core_notice(const struct core_notify *n, enum core_notice kind,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void core_vnotice(const struct core_notify *n, enum core_notice kind,
                  const char *fmt, va_list ap)
  __attribute__((format(printf, 3, 0)));
void core_notify_start(const struct core_notify *n, const char *what,
                       uint64_t total);
void core_notify_progress(const struct core_notify *n, const char *what,
                          uint64_t done, uint64_t sent, uint64_t total);
void core_notify_end(const struct core_notify *n, const char *outcome,
                     uint64_t done, uint64_t sent);
bool core_cancelled(const struct core_notify *n);

/* Code with no notify to hand (readers, import) warns through the one the
 * front end set for its thread, one line; none set: dropped.  Front ends set it to
 * the notify they pass to modules, so that every warning takes one way. */
void core_set_notify(const struct core_notify *n);
const struct core_notify *core_thread_notify(void);
void core_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------ */
/* progress.c: progress lines for long work.                            */

struct core_progress {
  const char *what;             /* "copying sda" */
  uint64_t total;               /* bytes or items; 0 = unknown */
  double start;                 /* monotonic seconds */
  double last_draw;
  bool tty;                     /* redraw one line, else plain lines */
  FILE *fp;
};
/* Front ends own the stream; the core only reports numbers through
 * struct core_notify (notify.c). */

void core_progress_start(struct core_progress *p, FILE *fp, const char *what,
                         uint64_t total);
void core_progress_update(struct core_progress *p, uint64_t done);
/* The same for a copy that skips holes: the rate is of SENT, the bytes
 * actually moved, the percentage and time left of DONE. */
void core_progress_update_sparse(struct core_progress *p, uint64_t done,
                                 uint64_t sent);
void core_progress_finish(struct core_progress *p, uint64_t done);
/* The last line of work that ended with OUTCOME ("done", "failed",
 * "interrupted"): how far it got (DONE of the total), and the rate of the
 * bytes actually moved, SENT, which is less than DONE when a sparse copy
 * skipped holes (then said with their size). */
void core_progress_end(struct core_progress *p, const char *outcome,
                       uint64_t done, uint64_t sent);
/* That line's text after "WHAT: ". */
void core_progress_end_format(char *buf, size_t len, const char *outcome,
                              uint64_t done, uint64_t total, uint64_t sent,
                              double elapsed);
/* "42% 12.3 MB/s ETA 0:31"-style text for DONE of TOTAL after ELAPSED s. */
void core_progress_format(char *buf, size_t len, uint64_t done, uint64_t total,
                          double elapsed);
double core_monotonic(void);

/* ------------------------------------------------------------------ */
/* kvm.c: whether KVM works here, and TCG when it does not.             */

/* Tries KVM once per process (VM and vCPU through ioctls, then QEMU
 * itself paused under -accel kvm when it is installed) and caches the
 * answer.  /dev/kvm may exist and still fail on first use. */
bool core_kvm_usable(void);
/* Why not (or "KVM works"), for notices and reports. */
const char *core_kvm_reason(void);
/* "kvm" or "tcg", for qemu-system's -accel. */
const char *core_qemu_accel(void);
/* "kvm" or "qemu", for a libvirt domain's type attribute. */
const char *core_libvirt_domain_type(void);

/* Before guestfs_launch: without usable KVM, the direct backend with
 * force_tcg; with KVM, libguestfs' defaults.  (guestfs.h's guestfs_h is
 * this struct; callers include <guestfs.h>.) */
struct guestfs_h;
int core_guestfs_set_accel(struct guestfs_h *g);

/* ------------------------------------------------------------------ */
/* sources.c: where each workload of a plan is migrated from.          */

/* One workload's source: a running server reached over OpenSSH, or
 * images of its disks. */
struct core_source {
  char *name;                   /* the plan's workload */
  char *ssh;                    /* USER@HOST, or NULL for images */
  int64_t port;                 /* with ssh: 1..65535 (22 when not given);
                                 * CORE_UNSET with images */
  core_string_vector disks;     /* with ssh: devices; empty: the profile's */
  core_string_vector images;    /* without ssh: at least one path */
  char *profile;                /* the server's profile, for verify; NULL:
                                 * the one an ssh capture takes */
  size_t line, col;             /* of the entry in its file, for messages */
};
DEFINE_VECTOR_TYPE(core_source_vector, struct core_source)
struct core_sources {
  char *source;                 /* the file read */
  core_source_vector sources;
};
#define CLEANUP_FREE_SOURCES __attribute__((cleanup(core_sources_clear)))
extern const struct core_table core_sources_table;

void core_sources_init(struct core_sources *s);
/* Frees what S holds and initializes it again; S may be NULL. */
void core_sources_clear(struct core_sources *s);
int core_sources_parse(const char *name, const char *buf, size_t len,
                       struct core_sources *out);
int core_sources_read(const char *path, struct core_sources *out);
int core_sources_write(FILE *fp, const struct core_sources *s);
bool core_sources_equal(const struct core_sources *a,
                        const struct core_sources *b);
/* The source named NAME, or NULL. */
const struct core_source *core_sources_find(const struct core_sources *s,
                                            const char *name);
/* S against PLAN: every workload the plan places on a host has a source,
 * and every source names a workload of the plan.  Appends one message
 * per problem to PROBLEMS ("FILE: ..." or "FILE:LINE:COL: ...") and
 * returns how many; -1 with the error set when out of memory. */
int core_sources_check_plan(const struct core_sources *s,
                            const struct core_plan *plan,
                            core_string_vector *problems);

/* ------------------------------------------------------------------ */
/* waves.c: the order in which a plan's workloads move, in waves.       */

/* What the waves are cut by; the defaults are the report's. */
struct core_wave_options {
  double rate_mbs;              /* transfer rate, MB/s */
  double window_h;              /* longest transfer a wave may take, h */
  size_t wave_size;             /* most workloads in a wave */
};
#define CORE_WAVE_RATE_MBS 100
#define CORE_WAVE_WINDOW_H 8
#define CORE_WAVE_SIZE 10

enum core_risk { CORE_RISK_LOW, CORE_RISK_MEDIUM, CORE_RISK_HIGH };
extern const char *const core_risk_names[];  /* low medium high */

/* One workload that moves, where it goes in the order. */
struct core_wave_item {
  size_t w;                     /* index in plan->workloads */
  bool infra;                   /* an infrastructure service */
  int rank;                     /* infrastructure: place in its group */
  enum core_risk risk;
  const char *risk_why;         /* static text */
  double disk_gib;              /* data to copy */
  double seconds;               /* its transfer at the rate */
  size_t wave;                  /* 1-based */
  size_t part;                  /* 1, or 2... for a wave that continues
                                 * the one before it (window or size) */
};
/* The workloads PLAN places on a host, in the order they move, each with
 * its wave; *N of them (the array is allocated; free it), *WAVES waves
 * (WAVES may be NULL).  NULL with the error set when out of memory. */
struct core_wave_item *core_plan_waves(const struct core_plan *plan,
                                       const struct core_wave_options *opts,
                                       size_t *n, size_t *waves);

#endif /* P2VKIT_CORE_H */
