/* P2V capture: `p2vkit capture` streams a physical server's disks over
 * NBD to `p2vkit receive`, which stores them as qcow2 images, one folder
 * per server.  The design and its reasons are in docs/p2v.md.
 *
 * Like all of the core, nothing here prints or exits: errors are -1 (or
 * NULL) with core_error set; progress and events go through callbacks.
 *
 * One section per .c file in this folder.
 */
#ifndef P2VKIT_P2V_H
#define P2VKIT_P2V_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

/* Sizes shared by both ends: a chunk is what is confirmed by checksum and
 * resumed; a block is the unit of zero detection and of the used map. */
#define P2V_CHUNK (32 * 1024 * 1024)
#define P2V_BLOCK (64 * 1024)
#define P2V_SUM_HEX 64               /* SHA-256 as hex */
#define P2V_MAX_DISKS 32
#define P2V_MAX_DISK_SIZE (INT64_C(1) << 50)    /* 1 PiB */
#define P2V_MAX_PROFILE (8 * 1024 * 1024)
#define P2V_MAX_LINE 1024
#define P2V_PROTOCOL "P2VKIT/1"
/* Limits on peers, the defaults of the options that change them. */
#define P2V_HANDSHAKE_TIMEOUT 30.0    /* TLS handshake and greeting, in all */
#define P2V_IDLE_TIMEOUT 300.0        /* a silent peer after that */
#define P2V_MAX_HANDSHAKES 16         /* connections not authenticated yet */
#define P2V_MAX_HANDSHAKES_PER_ADDR 4

/* ------------------------------------------------------------------ */
/* conn.c: the control channel, a line protocol over TCP, in TLS with a
 * pre-shared key when one is given. */

/* A psktool key file's first entry: "username:hexkey". */
struct p2v_psk {
  char *file;                   /* absolute path */
  char *user;
  char *hexkey;
};
int p2v_psk_read (const char *path, struct p2v_psk *out);
void p2v_psk_clear (struct p2v_psk *psk);

struct p2v_conn;

/* "HOST:PORT", "[V6ADDR]:PORT"; HOST and PORT are malloc'd. */
int p2v_parse_addr (const char *s, char **host, char **port);
/* A connected TCP socket, or -1 with the error set. */
int p2v_tcp_connect (const char *host, const char *port);
/* A listening socket on HOST:PORT ("0" picks a free port). */
int p2v_tcp_listen (const char *host, const char *port);
/* TCP keepalive probes and TCP_USER_TIMEOUT: a vanished peer ends the
 * connection after about TIMEOUT seconds (0: left alone).  Set on a
 * listening socket, accepted ones inherit it. */
int p2v_tcp_keepalive (int fd, double timeout);
/* The port a socket is bound to, as text. */
int p2v_socket_port (int fd, char *buf, size_t len);

/* Client and server ends; PSK NULL: plain TCP.  Take ownership of FD. */
struct p2v_conn *p2v_conn_client (int fd, const struct p2v_psk *psk);
struct p2v_conn *p2v_conn_server (int fd, const struct p2v_psk *psk);
/* The same with an overall deadline, SECONDS (0: none) after SINCE (a
 * core_monotonic () time, such as when the connection was accepted), on
 * the TLS handshake and on every read and write after it, until
 * p2v_conn_set_deadline changes it: a peer that sends a byte now and
 * then cannot stretch a handshake.  Its error states SECONDS.  Without a
 * deadline the handshake alone has 30 s. */
struct p2v_conn *p2v_conn_client_until (int fd, const struct p2v_psk *psk,
                                        double since, double seconds);
struct p2v_conn *p2v_conn_server_until (int fd, const struct p2v_psk *psk,
                                        double since, double seconds);
void p2v_conn_set_deadline (struct p2v_conn *c, double deadline);
/* Reads and writes fail ("no data for N s") after SECONDS without
 * progress; 0: wait for ever. */
void p2v_conn_set_idle (struct p2v_conn *c, double seconds);
/* Whether the connection ended at its deadline or idle limit. */
bool p2v_conn_timed_out (const struct p2v_conn *c);
void p2v_conn_free (struct p2v_conn *c);
int p2v_conn_fd (const struct p2v_conn *c);
/* The TLS cipher the connection negotiated ("AES-128-GCM"), or NULL
 * without TLS.  The client offers AES-GCM first only where the CPU
 * encrypts it in hardware, ChaCha20-Poly1305 first elsewhere, and the
 * server takes the client's order: the cipher tells the receiver what
 * the capture's CPU is fast at. */
const char *p2v_conn_cipher (const struct p2v_conn *c);
int p2v_conn_printf (struct p2v_conn *c, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
int p2v_conn_write (struct p2v_conn *c, const void *buf, size_t len);
/* One line without its '\n', at most P2V_MAX_LINE bytes; malloc'd.  NULL
 * with the error set on EOF, error or an over-long line. */
char *p2v_conn_getline (struct p2v_conn *c);
int p2v_conn_read (struct p2v_conn *c, void *buf, size_t len);

/* Bytes a TCP socket sent and received so far (the kernel's count of
 * payload, TLS and NBD framing included). */
int p2v_tcp_bytes (int fd, uint64_t *sent, uint64_t *received);

/* A capture name: letters, digits, '.', '_', '-', not starting with '.'
 * or '-', at most 64 characters.  Names a folder on the receiver. */
bool p2v_name_ok (const char *name);

/* ------------------------------------------------------------------ */
/* sum.c: chunk checksums.  SHA-256 over the blocks' digests, where an
 * all-zero block's digest is 32 zero bytes: both ends skip hashing
 * zeroes. */

bool p2v_is_zero (const void *buf, size_t len);
/* Digest of one block into OUT[32] (zeroes when ZERO). */
int p2v_block_digest (const void *buf, size_t len, bool zero, uint8_t *out);
/* The chunk checksum from N block digests, as hex (P2V_SUM_HEX + 1). */
int p2v_chunk_sum (const uint8_t *digests, size_t n, char *hex);

/* ------------------------------------------------------------------ */
/* fsmap.c: the blocks no filesystem uses, from the on-disk format.
 * Recognised: a whole-disk ext2/3/4 or swap, or MBR and GPT partitions
 * holding them.  ext2/3/4: the block bitmaps of the group descriptors
 * (plus every group's metadata counted as used); swap: all but the header
 * page.  Everything else (partition tables, gaps, other filesystems, an
 * ext4 that needs journal recovery) counts as used. */

typedef int (*p2v_pread_fn) (void *opaque, void *buf, size_t len,
                             uint64_t off);

struct p2v_area {
  uint64_t off, len;            /* a byte range */
  char *what;                   /* "ext4 at 1048576", "swap at ..." */
  uint64_t unused;              /* bytes of it no filesystem uses */
};
DEFINE_VECTOR_TYPE(p2v_area_vector, struct p2v_area)

struct p2v_fsmap {
  uint64_t size;
  /* Bit per P2V_BLOCK: set = unused (may be skipped). */
  uint8_t *unused;
  uint64_t nblocks;
  p2v_area_vector areas;        /* what was recognised, for the log */
};
int p2v_fsmap_read (p2v_pread_fn rd, void *opaque, uint64_t size,
                    struct p2v_fsmap *out);
void p2v_fsmap_clear (struct p2v_fsmap *m);
bool p2v_fsmap_unused (const struct p2v_fsmap *m, uint64_t block);

/* ------------------------------------------------------------------ */
/* mounts.c: what uses a source disk, and freezing it. */

/* The mount points of read-write filesystems on PATH (a block device or
 * an image file), its partitions, anything stacked on it (device-mapper)
 * and loop devices backed by it.  Fills OUT (mount points). */
int p2v_rw_mounts (const char *path, core_string_vector *out);

/* fsfreeze: freeze each mount point; p2v_thaw_all thaws what was frozen
 * and is async-signal-safe (for the front end's signal handler). */
int p2v_freeze (const char *mountpoint);
void p2v_thaw_all (void);

/* ------------------------------------------------------------------ */
/* capture.c: the sending side. */

struct p2v_disk_progress {
  size_t index;
  const char *name;
  uint64_t size, done;
  uint64_t data;                /* bytes sent as data */
  uint64_t zero;                /* bytes sent as zero requests */
  uint64_t skipped;             /* unused by any filesystem */
  uint64_t resumed;             /* already confirmed on the receiver */
  uint64_t resent;              /* re-sent after a checksum mismatch */
  bool finished;
};
/* A disk's progress has more to say than core_notify's DONE and SENT
 * (zeroes, unused blocks, resumed and re-sent chunks): its own callback,
 * called with the notify's opaque. */
typedef void (*p2v_progress_fn) (void *opaque,
                                 const struct p2v_disk_progress *p);

struct p2v_capture_options {
  const char *host, *port;
  const char *name;
  core_string_vector disks;     /* paths */
  const struct p2v_psk *psk;    /* NULL: plain TCP */
  bool resume, used_only, live;
  /* Fail when the receiver, expected to answer or to take data, does
   * neither for this long (0: P2V_IDLE_TIMEOUT); also the TCP
   * keepalive's limit. */
  double idle_timeout;
  const char *profile_yaml;     /* the server's profile */
  /* Lines for the user (INFO, WARNING), and whether to stop; may be NULL. */
  const struct core_notify *notify;
  p2v_progress_fn progress;     /* may be NULL */
};
struct p2v_capture_result {
  uint64_t disk_bytes;          /* sum of the disks' sizes */
  uint64_t data, zero, skipped, resumed, resent;
  uint64_t wire_sent, wire_received;    /* TCP payload, all connections */
  bool resumable;               /* the receiver accepted it: --resume can
                                 * continue after a failure */
};
int p2v_capture (const struct p2v_capture_options *o,
                 struct p2v_capture_result *res);

/* ------------------------------------------------------------------ */
/* receive.c: the receiving side. */

struct p2v_receive_options {
  const char *host, *port;
  const char *dir;
  const struct p2v_psk *psk;
  const char *qemu_nbd;         /* NULL: "qemu-nbd" */
  const char *qemu_img;         /* NULL: "qemu-img" */
  /* With it, each completed capture is converted:
   * CONVERT convert DISK... -o FOLDER/converted --name NAME. */
  const char *convert;
  core_string_vector convert_args;      /* more options for convert */
  bool once;                    /* exit after the first session */
  /* Limits on peers; 0: the P2V_ defaults.  A connection has
   * HANDSHAKE_TIMEOUT s in all for its TLS handshake and greeting; at
   * most MAX_HANDSHAKES connections are in that stage at once (a new one
   * beyond ends the oldest of the address with the most), at most MAX_HANDSHAKES_PER_ADDR from one
   * address (a new one beyond is closed at once).  A session whose
   * client sends nothing for IDLE_TIMEOUT s ends (resumable); TCP
   * keepalive on every connection has the same limit. */
  double handshake_timeout, idle_timeout;
  unsigned int max_handshakes, max_handshakes_per_addr;
  /* Lines for the user (INFO, WARNING), and whether to stop; may be NULL. */
  const struct core_notify *notify;
};
/* The control lines a client sends, parsed without I/O.  Each splits its
 * text in place and fails with the refusal the receiver sends back (in
 * core_errmsg).  The announcement: CAPTURE NAME NEW|RESUME DISKS
 * PROFILE-BYTES (NAME is set once it is valid, even when the rest is
 * refused); then per disk I, DISK SIZE LABEL (LABEL_LEN: the room in
 * LABEL); SUM DISK CHUNK HEX and MAP DISK name one of the NDISKS disks,
 * disk D having NCHUNKS[D] chunks. */
struct p2v_capture_ann {
  char name[80];
  bool resume;
  uint64_t ndisks;
  uint64_t profile_len;
};
int p2v_parse_capture (char *line, struct p2v_capture_ann *out);
int p2v_parse_disk (char *line, size_t i, uint64_t *size, char *label,
                    size_t label_len);
int p2v_parse_sum (char *args, size_t ndisks, const uint64_t *nchunks,
                   uint64_t *disk, uint64_t *chunk, char hex[P2V_SUM_HEX + 1]);
int p2v_parse_map (const char *arg, size_t ndisks, uint64_t *disk);

/* Serves until the notify says to stop (or after one session with ONCE).  Each session runs
 * in a child process; their events go to NOTIFY from that child. */
int p2v_receive (const struct p2v_receive_options *o);

#endif /* P2VKIT_P2V_H */
