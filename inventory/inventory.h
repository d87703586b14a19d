/* The inventory agent: profiles a Linux server from /proc, /sys and /etc
 * (or from a recorded copy of them under a root folder), samples its
 * utilization, and collects the profiles of a fleet over SSH.
 *
 * Like all of the core, nothing here prints or exits: errors are returned
 * as -1 (or NULL) with core_error set, and warnings, progress and the
 * question whether to stop go to the struct core_notify the front end
 * passes: a fact that could not be read is a warning (and left out);
 * sampling is progress "sample", DONE of TOTAL intervals; a fleet's hosts
 * are items ("HOST", "HOST: NAME -> FILE", "HOST: why").
 *
 * The static agent copied to servers (build/p2vkit-agent) links every file
 * of this folder but enrich.c, fleet.c and summary.c, which need
 * libosinfo or the SSH client and run on the collecting machine only.
 *
 * One section per .c file in this folder.
 */
#ifndef P2VKIT_INVENTORY_H
#define P2VKIT_INVENTORY_H

#include <signal.h>
#include <time.h>

#include "core/core.h"

/* ------------------------------------------------------------------ */
/* source.c: reading the files of the profiled system.                  */

/* Where the facts come from.  ROOT is "" for the running system, or a
 * folder holding a copy of proc/, sys/, etc/... .  When RECORD is set,
 * every file, link and folder read is also copied under RECORD, so that
 * --root RECORD later gives the same profile. */
struct inv_src {
  char *root;
  char *record;
  const struct core_notify *notify;
  core_string_vector warned;    /* warn once per path */
};

/* ROOT NULL, "" or "/" is the running system. */
int inv_src_init (struct inv_src *s, const char *root, const char *record,
                  const struct core_notify *notify);
void inv_src_clear (struct inv_src *s);
bool inv_src_live (const struct inv_src *s);

/* A warning through the notify callback, once per distinct message. */
void inv_warn (struct inv_src *s, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* The whole file REL ("/proc/cpuinfo") read under the root, at most MAX
 * bytes, NUL-terminated.  NULL with errno set when it cannot be read;
 * the _warn variant also warns, naming the file. */
char *inv_src_read (struct inv_src *s, const char *rel, size_t max,
                    size_t *len);
char *inv_src_read_warn (struct inv_src *s, const char *rel, size_t max,
                         size_t *len);
/* The first line, without its line end and surrounding blanks; NULL when
 * the file cannot be read or is empty. */
char *inv_src_line (struct inv_src *s, const char *rel);
/* An integer file of sysfs; -1 when missing or not a number. */
int inv_src_int64 (struct inv_src *s, const char *rel, int64_t *out);
/* Target of a symbolic link; NULL when it is none. */
char *inv_src_readlink (struct inv_src *s, const char *rel);
/* The last component of a link's target (a driver's name). */
char *inv_src_link_name (struct inv_src *s, const char *rel);
/* Whether REL exists (following links). */
bool inv_src_exists (struct inv_src *s, const char *rel);
/* Names in folder REL, sorted, without "." and ".."; -1 with errno when
 * it cannot be listed. */
int inv_src_list (struct inv_src *s, const char *rel, core_string_vector *out);
/* Open REL for reading line by line; what is used of it is recorded with
 * inv_src_record_line. */
FILE *inv_src_fopen (struct inv_src *s, const char *rel);
void inv_src_record_line (struct inv_src *s, const char *rel,
                          const char *line);
/* Record a link read without inv_src_readlink. */
void inv_src_record_link (struct inv_src *s, const char *rel,
                          const char *target);
/* The full path of REL, for statvfs and messages. */
char *inv_src_path (const struct inv_src *s, const char *rel);

/* ------------------------------------------------------------------ */
/* parse.c: parsers of the text files of /proc and /etc.  They take the
 * text as read and never fail on odd input: what they cannot parse they
 * leave unset. */

/* Key of "key : value" lines (cpuinfo, meminfo, status); the value with
 * blanks trimmed, or NULL.  LINE is modified. */
bool inv_split_colon (char *line, char **key, char **value);

struct inv_cpuinfo {
  char *model;
  int64_t sockets, cores, threads;      /* CORE_UNSET when unknown */
  double mhz;                           /* max "cpu MHz"; CORE_UNSET */
  enum core_virt virt;                  /* UNSET without a flags line */
};
void inv_parse_cpuinfo (const char *text, struct inv_cpuinfo *out);
void inv_cpuinfo_clear (struct inv_cpuinfo *c);

struct inv_meminfo {
  int64_t total_kib, free_kib, available_kib, buffers_kib, cached_kib,
    sreclaimable_kib;                   /* CORE_UNSET when absent */
};
void inv_parse_meminfo (const char *text, struct inv_meminfo *out);
/* Used memory without page cache and buffers, as free(1) counts it; -1
 * when the file lacks what is needed. */
int64_t inv_meminfo_used_kib (const struct inv_meminfo *m);

/* os-release: the unquoted value of KEY, or NULL. */
char *inv_os_release_get (const char *text, const char *key);

/* One mount of /proc/mounts, with octal escapes decoded. */
struct inv_mount {
  char *device, *mount, *type;
};
DEFINE_VECTOR_TYPE(inv_mount_vector, struct inv_mount)
int inv_parse_mounts (const char *text, inv_mount_vector *out);
void inv_mounts_free (inv_mount_vector *v);

/* A listening socket of /proc/net/{tcp,tcp6,udp,udp6}. */
struct inv_socket {
  enum core_proto proto;
  int64_t port;
  uint64_t inode;
};
DEFINE_VECTOR_TYPE(inv_socket_vector, struct inv_socket)
int inv_parse_net_sockets (const char *text, enum core_proto proto,
                           inv_socket_vector *out);

/* Counters of one device of /proc/diskstats or /proc/net/dev. */
struct inv_counter {
  char name[64];
  uint64_t a, b;                /* disks: I/Os, sectors; NICs: rx, tx bytes */
};
DEFINE_VECTOR_TYPE(inv_counter_vector, struct inv_counter)
int inv_parse_diskstats (const char *text, inv_counter_vector *out);
int inv_parse_netdev (const char *text, inv_counter_vector *out);
/* The first line of /proc/stat: total and idle (idle + iowait) jiffies. */
int inv_parse_stat_cpu (const char *text, uint64_t *total, uint64_t *idle);

/* /proc/PID/stat: the command name between the parentheses. */
char *inv_parse_stat_comm (const char *text);

/* One line of a fleet's hosts file: "[user@]host[:port] [NAME]", '#'
 * comments and blank lines.  Returns 1 with the fields set, 0 for a line
 * without a host, -1 with the error set. */
struct inv_host {
  char *line_text;              /* the destination as written */
  char *user, *host, *name;     /* user and name may be NULL */
  int64_t port;                 /* CORE_UNSET: ssh's default */
  size_t line;
};
DEFINE_VECTOR_TYPE(inv_host_vector, struct inv_host)
int inv_parse_host_line (const char *file, size_t lineno, const char *line,
                         struct inv_host *out);
int inv_parse_hosts (const char *file, const char *text, inv_host_vector *out);
void inv_hosts_free (inv_host_vector *v);

/* A profile name made of the characters profiles allow, from a host
 * name (its first label); NULL when nothing usable is left. */
char *inv_name_from_hostname (const char *hostname);

/* ------------------------------------------------------------------ */
/* hardware.c: CPU, memory, firmware, DMI, disks, filesystems, NICs.     */

int inv_read_hardware (struct inv_src *s, struct core_hardware *hw);
/* Whole disks: /sys/block entries backed by a device (not partitions,
 * loop, ram, zram, device-mapper or md), without floppy and optical
 * drives. */
int inv_list_disks (struct inv_src *s, core_string_vector *out);
/* Physical NICs: /sys/class/net entries backed by a device (not lo,
 * veth, bridges, bonds, VLANs, tunnels). */
int inv_list_nics (struct inv_src *s, core_string_vector *out);
/* The addresses of interface NAME ("192.0.2.10/24", "2001:db8::10/64";
 * no link-local IPv6), appended to OUT; none unless S is the running
 * system. */
int inv_nic_addresses (struct inv_src *s, const char *name, core_string_vector *out);

/* ------------------------------------------------------------------ */
/* pci.c: PCI devices, USB dongles, names from pci.ids, passthrough.      */

int inv_read_devices (struct inv_src *s, core_pci_vector *out);
/* The passthrough rule (p2vkit-inventory(1), "Devices that must be passed through"): VENDOR and CLASS as 4 hex
 * digits ("d161", "0780"). */
bool inv_pci_passthrough (const char *vendor, const char *class_);
/* A USB device that is a license dongle or capture device; NAME is set
 * to what it is. */
bool inv_usb_passthrough (const char *vendor, const char *product,
                          const char **name);

/* Names from a pci.ids file for the devices whose name is NULL. */
struct inv_pci_lookup {
  const char *vendor, *device;          /* 4 hex digits, lower case */
  const char *subvendor, *subdevice;    /* NULL when unknown */
  char *name;                           /* out: malloc'd, or NULL */
};
/* Streams FP once; LINE_FN (may be NULL) is told each line used. */
int inv_pciids_lookup (FILE *fp, struct inv_pci_lookup *devs, size_t n,
                       void (*line_fn) (void *opaque, const char *line),
                       void *opaque);
/* Names from the pci.ids file FP, which is closed, for the devices of PCI
 * that have none and are not USB; SUBS (NULL: unknown) holds each device's
 * subsystem vendor and device, two a device.  LINE_FN as above. */
int inv_pciids_name (FILE *fp, core_pci_vector *pci,
                     const core_string_vector *subs,
                     void (*line_fn) (void *opaque, const char *line),
                     void *opaque);
/* The pci.ids files searched, in order, under a root. */
extern const char *const inv_pciids_paths[];

/* ------------------------------------------------------------------ */
/* os.c: distribution, kernel, architecture, paravirtual drivers.       */

int inv_read_os (struct inv_src *s, struct core_os *os);
/* A candidate libosinfo short-id from os-release's ID and VERSION_ID
 * ("debian" "12" -> "debian12", "sles" "15.4" -> "sles15sp4"); NULL
 * when there is none.  The collector checks it against libosinfo. */
char *inv_osinfo_candidate (const char *id, const char *version_id);

/* ------------------------------------------------------------------ */
/* services.c: listening sockets and the processes that own them.        */

int inv_read_services (struct inv_src *s, core_service_vector *out);

/* ------------------------------------------------------------------ */
/* sample.c: utilization over time.                                     */

struct inv_counters {
  bool cpu_ok, mem_ok, disk_ok, net_ok;
  uint64_t cpu_total, cpu_idle;
  int64_t mem_used_kib;
  inv_counter_vector disks, nics;
  double t;                     /* monotonic seconds */
};
void inv_counters_clear (struct inv_counters *c);
/* Reads the counters of the whole disks DISKS and NICs NICS. */
int inv_counters_read (struct inv_src *s, const core_string_vector *disks,
                       const core_string_vector *nics,
                       struct inv_counters *out);
/* One interval from two readings; a value that cannot be computed is
 * CORE_UNSET.  Devices present in only one reading are left out of the
 * sums, and a counter that went backwards (a device replaced) counts 0. */
struct inv_rates {
  double cpu_pct, mem_used_mib, disk_iops, disk_mbps, net_mbps;
};
void inv_rates_compute (const struct inv_counters *a,
                        const struct inv_counters *b, struct inv_rates *out);

/* Sample SAMPLES intervals of INTERVAL_S seconds into P->utilization,
 * using P's disks and NICs.  Stops early, keeping the whole intervals
 * done, when the notify says to stop.  A series missing in any interval is
 * dropped with a warning (all series have one value per interval).
 * Returns the number of whole intervals sampled, or -1. */
int inv_sample (struct inv_src *s, struct core_profile *p,
                int64_t interval_s, int64_t samples);

/* ------------------------------------------------------------------ */
/* collect.c: a whole profile.                                          */

#define INV_MAX_INTERVAL 86400  /* the profile reader's limit */
#define INV_MAX_SAMPLES 100000

struct inv_options {
  const char *root;             /* NULL: the running system */
  const char *record;           /* NULL, or a folder to copy what is read */
  const char *name;             /* NULL: from the host name */
  int64_t interval_s;
  int64_t samples;              /* 0: snapshot only */
  time_t collected_at;          /* when collection starts; the profile's
                                 * collected_at is this plus the intervals
                                 * sampled: the end of its series */
  const struct core_notify *notify;     /* cancelled: stop sampling */
};

struct core_profile *inv_collect (const struct inv_options *o);
/* "2026-11-26T06:00:00Z" */
char *inv_format_time (time_t t);

/* ------------------------------------------------------------------ */
/* enrich.c: what the collecting machine adds (libosinfo; not in the
 * static agent). */

/* Replace os.id by libosinfo's short-id for it, or drop it (with a
 * warning) when libosinfo has no such OS. */
int inv_resolve_os_id (struct core_os *os, const struct core_notify *notify);
/* Fill the names of PCI devices that have none from this machine's
 * pci.ids (for servers that have no pci.ids of their own). */
int inv_fill_pci_names (core_pci_vector *pci);

/* ------------------------------------------------------------------ */
/* fleet.c: profiles of many servers over SSH.                          */

struct inv_fleet_options {
  const char *agent;            /* the static agent to copy */
  const char *outdir;
  int64_t jobs;
  core_string_vector agent_args;        /* passed to the remote agent */
  core_string_vector ssh_options;       /* each passed as -o OPT */
  const char *ssh;              /* the ssh program; NULL: "ssh" */
  const struct core_notify *notify;
};
/* Collects every host; returns the number of hosts that failed (each
 * reported through notify), or -1 when nothing could be tried. */
int inv_fleet_collect (const inv_host_vector *hosts,
                       const struct inv_fleet_options *o);

/* ------------------------------------------------------------------ */
/* summary.c: one line per profile for a person to check.               */

struct inv_summary {
  char *name, *os, *hint;
  int64_t cores;                /* CORE_UNSET when unknown */
  int64_t memory_mib;
  double disk_gib;              /* CORE_UNSET without disks */
  double cpu_p95, mem_p95_mib, iops_p95;        /* CORE_UNSET without samples */
};
int inv_summarize (const struct core_profile *p, struct inv_summary *out);
void inv_summary_clear (struct inv_summary *s);
/* Nearest-rank percentile (0 < PCT <= 100) of V; CORE_UNSET when empty. */
double inv_percentile (const core_double_vector *v, double pct);

#endif /* P2VKIT_INVENTORY_H */
