/* The receiving side: a control server that, per capture, makes
 * DIR/NAME/ with a sparse raw image per announced disk of exactly the
 * announced size and serves each through its own qemu-nbd (TLS with the
 * pre-shared key when one is given).  qemu-nbd enforces the size: a client
 * cannot write past it, and the name is checked before it becomes a
 * folder, so a client writes nowhere but in its own images.  Chunks are
 * confirmed by reading them back from the image and comparing checksums;
 * confirmed chunks are kept in DIR/NAME/chunks so an interrupted capture
 * resumes.  A complete capture's images become qcow2. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "p2v/p2v.h"

struct rdisk {
  uint64_t size;
  char label[256];
  uint64_t nchunks;
  char (*confirmed)[P2V_SUM_HEX + 1];
  struct core_child server;     /* qemu-nbd */
  char port[16];
  int fd;                       /* the raw image, to read chunks back */
};

struct session {
  const struct p2v_receive_options *o;
  struct p2v_conn *conn;
  char peer[128];
  char name[80];
  char *folder;                 /* DIR/NAME */
  char *tls_dir;                /* DIR/NAME/.tls while serving, escaped */
  char nbd_psk[128];            /* this session's IDENTITY:HEXKEY for NBD */
  bool made;                    /* a new capture's folder, made and locked */
  bool completed;               /* "complete" written */
  int folder_fd;
  int log_fd;
  int chunks_fd;
  struct rdisk *disks;
  size_t ndisks;
  uint64_t *nchunks;            /* per disk, for p2v_parse_sum */
  bool resume;
  uint8_t *buf;
  uint8_t *digests;
  bool *hole;                   /* per block of the chunk being summed */
  char pending[16384];          /* confirmed, not yet in the chunk map */
  size_t pending_len;
  double last_durable;
};

#define DURABLE_INTERVAL 5.0

/* ---- limits on peers ---- */

static double
handshake_timeout (const struct p2v_receive_options *o)
{
  return o->handshake_timeout > 0 ? o->handshake_timeout : P2V_HANDSHAKE_TIMEOUT;
}

static double
idle_timeout (const struct p2v_receive_options *o)
{
  return o->idle_timeout > 0 ? o->idle_timeout : P2V_IDLE_TIMEOUT;
}

/* In a session process: the pipe on which it tells the receiver that
 * its peer passed the handshake. */
static int auth_fd = -1;
/* When the receiver accepted the session's connection: the handshake's
 * deadline counts from then, not from when the process got to run. */
static double accepted_at;

static void
event (struct session *s, enum core_notice ev, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* To the user (through notify) and to the capture's log.  Messages
 * carry bytes from the client (names, commands, profile values): control
 * characters are escaped so that they reach no terminal or log as they
 * are. */
static void
event (struct session *s, enum core_notice ev, const char *fmt, ...)
{
  char raw[1536], msg[2048];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (raw, sizeof raw, fmt, ap);
  va_end (ap);
  core_escape (raw, strlen (raw), msg, sizeof msg);
  if (s->log_fd >= 0) {
    char stamp[32];
    time_t t = time (NULL);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    dprintf (s->log_fd, "%s %s%s\n", stamp,
             ev == CORE_NOTICE_WARNING ? "warning: " : "", msg);
  }
  core_notice (s->o->notify, ev, "%s: %s", s->name[0] ? s->name : s->peer, msg);
}

static int
refuse (struct session *s, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* Tell the client why, log it, and end the session. */
static int
refuse (struct session *s, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  event (s, CORE_NOTICE_WARNING, "refused: %s", msg);
  {
    char safe[900];       /* a protocol line */
    p2v_conn_printf (s->conn, "ERR %s", core_escape (msg, strlen (msg), safe, sizeof safe));
  }
  core_error ("%s", msg);
  return -1;
}

/* ---- folder files ---- */

static int
write_file_at (int dirfd, const char *name, const char *text, size_t len)
{
  char tmp[128];
  int fd;

  snprintf (tmp, sizeof tmp, ".%s.tmp", name);
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd == -1) {
    core_error_errno ("%s", name);
    return -1;
  }
  if (core_write_fd (fd, text, len) == -1) {
    core_error_errno ("%s", name);
    close (fd);
    unlinkat (dirfd, tmp, 0);
    return -1;
  }
  if (fsync (fd) == -1 || close (fd) == -1 || renameat (dirfd, tmp, dirfd, name) == -1) {
    core_error_errno ("%s", name);
    unlinkat (dirfd, tmp, 0);
    return -1;
  }
  return 0;
}

static char *
read_file_at (int dirfd, const char *name, size_t max, size_t *len)
{
  int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char *buf;
  ssize_t r;

  if (fd == -1)
    return NULL;
  buf = malloc (max + 1);
  if (buf == NULL) {
    close (fd);
    return NULL;
  }
  *len = 0;
  while (*len < max && (r = read (fd, buf + *len, max - *len)) > 0)
    *len += r;
  buf[*len] = '\0';
  close (fd);
  return buf;
}

/* "INDEX SIZE LABEL" per disk: what a resume must announce again. */
static char *
disks_text (struct session *s)
{
  char *text = core_strdup ("");

  for (size_t i = 0; text && i < s->ndisks; i++) {
    char *t = core_sprintf ("%s%zu %llu %s\n", text, i,
                            (unsigned long long) s->disks[i].size,
                            s->disks[i].label);
    free (text);
    text = t;
  }
  return text;
}

/* The confirmed chunks of an interrupted capture.  A torn or damaged
 * line is ignored: that chunk is sent again. */
static int
load_chunks (struct session *s)
{
  size_t len;
  CLEANUP_FREE char *text = read_file_at (s->folder_fd, "chunks",
                                          64 * 1024 * 1024, &len);
  char *save = NULL;

  if (text == NULL)
    return 0;
  for (char *line = strtok_r (text, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save)) {
    unsigned long long d, k;
    char hex[P2V_SUM_HEX + 1];
    int n = 0;

    /* "DISK CHUNK -": the stored chunk was found changed after it was
     * confirmed (at DONE); it is to be sent again. */
    if (sscanf (line, "%llu %llu -%n", &d, &k, &n) == 2 && line[n] == '\0'
        && d < s->ndisks && k < s->disks[d].nchunks) {
      s->disks[d].confirmed[k][0] = '\0';
      continue;
    }
    n = 0;
    if (sscanf (line, "%llu %llu %64[0-9a-f]%n", &d, &k, hex, &n) != 3
        || line[n] != '\0' || strlen (hex) != P2V_SUM_HEX
        || d >= s->ndisks || k >= s->disks[d].nchunks)
      continue;
    memcpy (s->disks[d].confirmed[k], hex, sizeof hex);
  }
  return 0;
}

/* ---- qemu-nbd ---- */

/* qemu-nbd rather than nbdkit: both serve a raw file, refuse requests
 * past its size and punch holes for zero requests, but only qemu-nbd
 * takes a TLS priority at run time (nbdkit's is fixed when it is built,
 * NORMAL in the distributions), and with NORMAL on both ends a TLS 1.3
 * pre-shared key gets ChaCha20-Poly1305 (see conn.c). */

/* The priority for the disks' connections: the cipher the capture chose
 * on the control connection tells whether its CPU has AES instructions;
 * if so the server's order decides (libnbd's own is NORMAL's), and AES
 * comes first; if not, NORMAL (ChaCha20). */
static const char *
data_priority (struct session *s)
{
  const char *cipher = p2v_conn_cipher (s->conn);

  if (cipher && strncmp (cipher, "AES-", 4) == 0)
    return "NORMAL:%SERVER_PRECEDENCE:-CHACHA20-POLY1305:+CHACHA20-POLY1305";
  return "NORMAL";
}

/* Diffie-Hellman parameters: RFC 7919's ffdhe2048 group (certtool
 * --get-dh-params).  Without them qemu-nbd generates a group when it
 * starts, which takes it most of a second of CPU before it answers. */
static const char dh_params[] =
  "-----BEGIN DH PARAMETERS-----\n"
  "MIIBDAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz\n"
  "+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a\n"
  "87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7\n"
  "YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi\n"
  "7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD\n"
  "ssbzSibBsu/6iGtCOGEoXJf//////////wIBAgICAQA=\n"
  "-----END DH PARAMETERS-----\n";

/* The disks' connections have a key of their own, made for this session
 * and given to its client over the control connection: the receiver's
 * key file lets a client announce a capture, not write to the images of
 * another one.  IDENTITY:HEXKEY in S->nbd_psk. */
static int
session_key (struct session *s)
{
  uint8_t rnd[8 + 32];
  size_t k;

  for (size_t got = 0; got < sizeof rnd; ) {
    ssize_t r = getrandom (rnd + got, sizeof rnd - got, 0);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      core_error_errno ("getrandom");
      return -1;
    }
    got += r;
  }
  k = (size_t) snprintf (s->nbd_psk, sizeof s->nbd_psk, "p2vkit-");
  for (size_t i = 0; i < sizeof rnd; i++)
    k += (size_t) snprintf (s->nbd_psk + k, sizeof s->nbd_psk - k, "%s%02x",
                            i == 8 ? ":" : "", rnd[i]);
  memset (rnd, 0, sizeof rnd);
  return 0;
}

/* DIR/NAME/.tls, opened without following a link: a link there (or
 * anything but a folder) is refused, never followed. */
static int
open_tls_folder (struct session *s)
{
  int fd = openat (s->folder_fd, ".tls",
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd == -1) {
    if (errno == ELOOP || errno == ENOTDIR)
      core_error ("%s/.tls: a symbolic link or not a folder; refusing to "
                  "use it (remove it)", s->folder);
    else
      core_error_errno ("%s/.tls", s->folder);
  }
  return fd;
}

/* NAME in DIRFD made anew (never through a link), readable by the
 * owner only. */
static int
write_new_at (int dirfd, const char *name, const char *text, size_t len)
{
  int fd;

  unlinkat (dirfd, name, 0);
  fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
               | O_CLOEXEC, 0600);
  if (fd == -1 || write (fd, text, len) != (ssize_t) len) {
    if (fd >= 0)
      close (fd);
    return -1;
  }
  return close (fd);
}

/* qemu's PSK credentials are a folder holding keys.psk: DIR/NAME/.tls
 * (0700), with this session's key (0600) and the DH parameters, while
 * the servers run. */
static char *
psk_folder (struct session *s)
{
  CLEANUP_FREE char *keyline = NULL;
  int fd;

  if (mkdirat (s->folder_fd, ".tls", 0700) == -1 && errno != EEXIST) {
    core_error_errno ("%s/.tls", s->folder);
    return NULL;
  }
  fd = open_tls_folder (s);
  if (fd == -1)
    return NULL;
  keyline = core_sprintf ("%s\n", s->nbd_psk);
  if (keyline == NULL || fchmod (fd, 0700) == -1
      || write_new_at (fd, "keys.psk", keyline, strlen (keyline)) == -1
      || write_new_at (fd, "dh-params.pem", dh_params,
                       sizeof dh_params - 1) == -1) {
    core_error_errno ("%s/.tls", s->folder);
    close (fd);
    return NULL;
  }
  memset (keyline, 0, strlen (keyline));
  close (fd);
  return core_sprintf ("%s/.tls", s->folder);
}

/* S with each ',' doubled, as qemu's option syntax wants. */
static char *
qemu_escape (const char *str)
{
  size_t n = strlen (str), k = 0;
  char *out = malloc (2 * n + 1);

  if (out == NULL) {
    core_error ("out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    out[k++] = str[i];
    if (str[i] == ',')
      out[k++] = ',';
  }
  out[k] = '\0';
  return out;
}

/* In qemu-nbd's process: the listening socket as descriptor 3, as
 * socket activation has it, and the allocator kept from unmapping. */
static void
nbd_setup (void *opaque)
{
  int lfd = *(int *) opaque;
  char pidstr[32];

  if (lfd != 3) {
    dup2 (lfd, 3);
    close (lfd);
  }
  else
    fcntl (3, F_SETFD, 0);
  snprintf (pidstr, sizeof pidstr, "%d", (int) getpid ());
  setenv ("LISTEN_FDS", "1", 1);
  setenv ("LISTEN_PID", pidstr, 1);
  /* qemu-nbd allocates a buffer per request and frees it; with glibc's
   * defaults a 256 KiB buffer is a fresh mmap each time, and faulting
   * its pages in cost qemu-nbd a third of its CPU (perf).  Keep freed
   * memory in the heap instead (mallopt(3)). */
  setenv ("MALLOC_MMAP_THRESHOLD_", "4194304", 1);
  setenv ("MALLOC_TRIM_THRESHOLD_", "134217728", 1);
}

static int
start_server (struct session *s, size_t i)
{
  struct rdisk *d = &s->disks[i];
  const char *qemu_nbd = s->o->qemu_nbd ? s->o->qemu_nbd : "qemu-nbd";
  CLEANUP_FREE char *image = core_sprintf ("%s/disk%zu.raw", s->folder, i);
  CLEANUP_FREE char *object = NULL;
  /* Its output goes to the session's log; stdout too, since qemu-nbd
   * prints nothing a caller reads. */
  int log = s->log_fd >= 0 ? s->log_fd : 2;
  struct core_child c = {
    .io = { CORE_CHILD_INHERIT, CORE_CHILD_FD, CORE_CHILD_FD },
    .fd = { -1, log, log },
    /* The server ends with the receiver. */
    .death_signal = SIGTERM,
    .setup = nbd_setup,
  };
  const char *argv[20];
  int n = 0, lfd, r;

  if (image == NULL)
    return -1;
  if (s->o->psk) {
    if (s->tls_dir == NULL) {
      CLEANUP_FREE char *dir = session_key (s) == 0 ? psk_folder (s) : NULL;
      s->tls_dir = dir ? qemu_escape (dir) : NULL;
      if (s->tls_dir == NULL)
        return -1;
    }
    object = core_sprintf ("tls-creds-psk,id=tls0,endpoint=server,dir=%s,"
                           "priority=%s", s->tls_dir, data_priority (s));
    if (object == NULL)
      return -1;
  }
  /* A listening socket qemu-nbd inherits (systemd socket activation):
   * the port is known before it starts, and no other program can take
   * it in between. */
  lfd = p2v_tcp_listen (s->o->host, "0");
  /* qemu-nbd's connections inherit the keepalive: a capture that
   * vanished does not keep them open. */
  if (lfd == -1 || p2v_tcp_keepalive (lfd, idle_timeout (s->o)) == -1
      || p2v_socket_port (lfd, d->port, sizeof d->port) == -1) {
    if (lfd >= 0)
      close (lfd);
    return -1;
  }
  argv[n++] = qemu_nbd;
  argv[n++] = "--format=raw";
  /* The capture's connections, and its reconnections on resume. */
  argv[n++] = "--persistent";
  argv[n++] = "--shared=0";
  /* Zero requests become holes, as the read-back expects. */
  argv[n++] = "--discard=unmap";
  if (object) {
    argv[n++] = "--object";
    argv[n++] = object;
    argv[n++] = "--tls-creds=tls0";
  }
  /* The export is the file's size; qemu-nbd refuses any request past
   * it. */
  argv[n++] = image;
  argv[n] = NULL;
  fflush (NULL);
  c.opaque = &lfd;
  r = core_child_start (&c, (char **) argv);
  close (lfd);
  if (r == -1)
    return -1;
  d->server = c;
  return 0;
}

static void
stop_servers (struct session *s)
{
  for (size_t i = 0; s->disks && i < s->ndisks; i++) {
    struct rdisk *d = &s->disks[i];
    core_child_stop (&d->server, SIGTERM);
  }
  if (s->tls_dir) {
    /* The session's key goes with it. */
    int fd = open_tls_folder (s);
    if (fd >= 0) {
      unlinkat (fd, "keys.psk", 0);
      unlinkat (fd, "dh-params.pem", 0);
      close (fd);
      unlinkat (s->folder_fd, ".tls", AT_REMOVEDIR);
    }
    free (s->tls_dir);
    s->tls_dir = NULL;
  }
}

/* ---- checksums read back ---- */

/* The checksum of chunk K as stored: blocks in holes (SEEK_DATA) count
 * as zero blocks without being read or compared, the rest is read back
 * from the image. */
static int
chunk_sum (struct session *s, size_t i, uint64_t k, char *hex)
{
  struct rdisk *d = &s->disks[i];
  uint64_t off = k * P2V_CHUNK;
  uint64_t len = d->size - off < P2V_CHUNK ? d->size - off : P2V_CHUNK;
  uint64_t nb = (len + P2V_BLOCK - 1) / P2V_BLOCK;
  uint64_t pos = 0;

  for (uint64_t x = 0; x < nb; x++)
    s->hole[x] = true;
  while (pos < len) {
    off_t data = lseek (d->fd, off + pos, SEEK_DATA);
    off_t hole;
    uint64_t dstart, dend;

    if (data == -1 && errno != ENXIO) {
      core_error_errno ("disk%zu: SEEK_DATA", i);
      return -1;
    }
    if (data == -1 || (uint64_t) data >= off + len)
      break;
    /* Whole blocks: from the start of the one holding the first data
     * byte to the end of the one holding the last. */
    dstart = (data - off) / P2V_BLOCK * P2V_BLOCK;
    hole = lseek (d->fd, data, SEEK_HOLE);
    dend = hole == -1 || (uint64_t) hole >= off + len ? len : hole - off;
    dend = (dend + P2V_BLOCK - 1) / P2V_BLOCK * P2V_BLOCK;
    if (dend > len)
      dend = len;
    for (uint64_t p = dstart; p < dend; ) {
      ssize_t r = pread (d->fd, s->buf + p, dend - p, off + p);
      if (r == -1 && errno == EINTR)
        continue;
      if (r <= 0) {
        core_error_errno ("disk%zu: read back at byte %llu", i,
                          (unsigned long long) (off + p));
        return -1;
      }
      p += r;
    }
    for (uint64_t x = dstart / P2V_BLOCK; x * P2V_BLOCK < dend; x++)
      s->hole[x] = false;
    pos = dend;
  }
  for (uint64_t x = 0; x < nb; x++) {
    uint64_t bs = x * P2V_BLOCK, bl = len - bs < P2V_BLOCK ? len - bs : P2V_BLOCK;
    bool isz = s->hole[x] || p2v_is_zero (s->buf + bs, bl);
    if (p2v_block_digest (s->buf + bs, bl, isz, s->digests + 32 * x) == -1)
      return -1;
  }
  return p2v_chunk_sum (s->digests, nb, hex);
}

/* ---- the control lines, parsed without I/O (fuzzed on their own) ---- */

static int
parse_u64 (const char *tok, const char *field, uint64_t max, uint64_t *out)
{
  int64_t v;

  if (tok == NULL) {
    core_error ("%s: missing", field);
    return -1;
  }
  if (core_parse_int64 (tok, field, 0, (int64_t) max, &v) == -1)
    return -1;
  *out = v;
  return 0;
}

/* The error so far, after PREFIX (core_error cannot format its own
 * buffer into itself). */
static void
prefix_error (const char *prefix)
{
  char msg[1024];

  snprintf (msg, sizeof msg, "%s", core_errmsg ());
  core_error ("%s: %s", prefix, msg);
}

int
p2v_parse_capture (char *line, struct p2v_capture_ann *out)
{
  char *save = NULL, *tok[6];
  size_t n = 0;

  memset (out, 0, sizeof *out);
  for (char *t = strtok_r (line, " ", &save); t; t = strtok_r (NULL, " ", &save)) {
    if (n == 6) {
      core_error ("CAPTURE: too many fields");
      return -1;
    }
    tok[n++] = t;
  }
  if (n != 5 || strcmp (tok[0], "CAPTURE") != 0) {
    core_error ("expected CAPTURE NAME NEW|RESUME DISKS PROFILE-BYTES");
    return -1;
  }
  if (!p2v_name_ok (tok[1])) {
    core_error ("'%.70s' is not a capture name (letters, digits, '.', "
                "'_', '-'; not starting with '.' or '-')", tok[1]);
    return -1;
  }
  snprintf (out->name, sizeof out->name, "%s", tok[1]);
  if (strcmp (tok[2], "NEW") != 0 && strcmp (tok[2], "RESUME") != 0) {
    core_error ("expected NEW or RESUME, got '%.20s'", tok[2]);
    return -1;
  }
  out->resume = strcmp (tok[2], "RESUME") == 0;
  if (parse_u64 (tok[3], "disks", P2V_MAX_DISKS, &out->ndisks) == -1
      || out->ndisks == 0) {
    core_error ("between 1 and %d disks per capture", P2V_MAX_DISKS);
    return -1;
  }
  if (parse_u64 (tok[4], "profile bytes", P2V_MAX_PROFILE, &out->profile_len) == -1) {
    core_error ("a profile of at most %d bytes", P2V_MAX_PROFILE);
    return -1;
  }
  return 0;
}

int
p2v_parse_disk (char *line, size_t i, uint64_t *size, char *label, size_t label_len)
{
  char *save = NULL, *kw, *sz, *lb, *extra;

  kw = strtok_r (line, " ", &save);
  sz = strtok_r (NULL, " ", &save);
  lb = strtok_r (NULL, " ", &save);
  extra = strtok_r (NULL, " ", &save);
  if (kw == NULL || strcmp (kw, "DISK") != 0 || lb == NULL || extra
      || strlen (lb) >= label_len) {
    core_error ("expected DISK SIZE LABEL");
    return -1;
  }
  if (parse_u64 (sz, "disk size", P2V_MAX_DISK_SIZE, size) == -1
      || *size == 0 || *size % 512) {
    core_error ("disk %zu: size '%.30s' is not a whole number of "
                "512-byte sectors up to 1 PiB", i, sz);
    return -1;
  }
  /* The label lands in the folder's files and the log, one word. */
  for (const char *p = lb; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f) {
      core_error ("disk %zu: the label holds control characters", i);
      return -1;
    }
  strcpy (label, lb);
  return 0;
}

int
p2v_parse_map (const char *arg, size_t ndisks, uint64_t *disk)
{
  if (ndisks == 0)
    core_error ("disk: no disks announced");
  if (ndisks == 0 || parse_u64 (arg, "disk", ndisks - 1, disk) == -1) {
    prefix_error ("MAP");
    return -1;
  }
  return 0;
}

int
p2v_parse_sum (char *args, size_t ndisks, const uint64_t *nchunks,
               uint64_t *disk, uint64_t *chunk, char hex[P2V_SUM_HEX + 1])
{
  char *save = NULL;
  char *ti = strtok_r (args, " ", &save), *tk = strtok_r (NULL, " ", &save);
  char *th = strtok_r (NULL, " ", &save);

  if (ndisks == 0)
    core_error ("disk: no disks announced");
  if (ndisks == 0 || parse_u64 (ti, "disk", ndisks - 1, disk) == -1) {
    prefix_error ("SUM");
    return -1;
  }
  if (nchunks[*disk] == 0)
    core_error ("chunk: disk %llu has none", (unsigned long long) *disk);
  if (nchunks[*disk] == 0
      || parse_u64 (tk, "chunk", nchunks[*disk] - 1, chunk) == -1) {
    prefix_error ("SUM");
    return -1;
  }
  if (th == NULL || strlen (th) != P2V_SUM_HEX
      || strspn (th, "0123456789abcdef") != P2V_SUM_HEX
      || strtok_r (NULL, " ", &save)) {
    core_error ("SUM: expected DISK CHUNK SHA256-HEX");
    return -1;
  }
  memcpy (hex, th, P2V_SUM_HEX + 1);
  return 0;
}

/* ---- the commands ---- */

/* CAPTURE NAME NEW|RESUME NDISKS PROFILELEN, then NDISKS lines
 * DISK SIZE LABEL, then the profile. */
static int
cmd_capture (struct session *s, char *line)
{
  struct p2v_capture_ann ann;
  uint64_t ndisks, plen;
  CLEANUP_FREE char *profile = NULL, *disks = NULL, *old = NULL;
  CLEANUP_FREE_PROFILE struct core_profile *p = NULL;
  CLEANUP_FREE char *pname = NULL;
  size_t oldlen;
  int dirfd = -1;
  int r = p2v_parse_capture (line, &ann);

  /* Named from then on, even when the rest is refused. */
  snprintf (s->name, sizeof s->name, "%s", ann.name);
  if (r == -1)
    return refuse (s, "%s", core_errmsg ());
  s->resume = ann.resume;
  ndisks = ann.ndisks;
  plen = ann.profile_len;

  s->disks = calloc (ndisks, sizeof *s->disks);
  if (s->disks == NULL)
    return refuse (s, "out of memory");
  s->ndisks = ndisks;
  for (size_t i = 0; i < ndisks; i++)
    s->disks[i].fd = -1;
  s->nchunks = calloc (ndisks, sizeof *s->nchunks);
  if (s->nchunks == NULL)
    return refuse (s, "out of memory");
  for (size_t i = 0; i < ndisks; i++) {
    CLEANUP_FREE char *dl = p2v_conn_getline (s->conn);
    struct rdisk *d = &s->disks[i];

    if (dl == NULL)
      return -1;
    if (p2v_parse_disk (dl, i, &d->size, d->label, sizeof d->label) == -1)
      return refuse (s, "%s", core_errmsg ());
    d->nchunks = (d->size + P2V_CHUNK - 1) / P2V_CHUNK;
    s->nchunks[i] = d->nchunks;
    d->confirmed = calloc (d->nchunks, sizeof *d->confirmed);
    if (d->confirmed == NULL)
      return refuse (s, "out of memory");
  }
  profile = malloc (plen + 1);
  if (profile == NULL)
    return refuse (s, "out of memory");
  if (p2v_conn_read (s->conn, profile, plen) == -1)
    return -1;
  profile[plen] = '\0';
  pname = core_sprintf ("%s/profile.yaml", s->name);
  if (pname == NULL)
    return -1;
  p = core_profile_parse (pname, profile, plen);
  if (p == NULL)
    return refuse (s, "%s", core_errmsg ());
  if (p->name == NULL || strcmp (p->name, s->name) != 0)
    return refuse (s, "the profile is of the server '%.80s', not of %s "
                   "(a capture's name is its server's)",
                   p->name ? p->name : "", s->name);

  /* The folder: made here for a new capture, found for a resume; locked
   * for the session so that two clients never write one capture. */
  dirfd = open (s->o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd == -1)
    return refuse (s, "%s: %s", s->o->dir, strerror (errno));
  if (!s->resume && mkdirat (dirfd, s->name, 0750) == -1) {
    int e = errno;
    close (dirfd);
    if (e == EEXIST)
      return refuse (s, "a capture named %s exists; resume it (--resume) or "
                     "remove it from the receiver", s->name);
    return refuse (s, "%s/%s: %s", s->o->dir, s->name, strerror (e));
  }
  s->folder_fd = openat (dirfd, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (s->folder_fd == -1) {
    int e = errno;
    close (dirfd);
    if (s->resume && e == ENOENT)
      return refuse (s, "no capture named %s to resume", s->name);
    return refuse (s, "%s: cannot open its folder: %s", s->name, strerror (e));
  }
  close (dirfd);
  if (flock (s->folder_fd, LOCK_EX | LOCK_NB) == -1)
    return refuse (s, "%s is being received by another connection", s->name);
  s->made = !s->resume;
  s->folder = core_sprintf ("%s/%s", s->o->dir, s->name);
  if (s->folder == NULL)
    return refuse (s, "out of memory");
  s->log_fd = openat (s->folder_fd, "capture.log",
                      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
  event (s, CORE_NOTICE_INFO, "%s capture from %s: %zu disk(s)%s%s",
         s->resume ? "resuming the" : "new", s->peer, s->ndisks,
         p2v_conn_cipher (s->conn) ? ", TLS cipher " : "",
         p2v_conn_cipher (s->conn) ? p2v_conn_cipher (s->conn) : "");

  disks = disks_text (s);
  if (disks == NULL)
    return refuse (s, "out of memory");
  if (s->resume) {
    if (faccessat (s->folder_fd, "complete", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
      return refuse (s, "the capture %s is complete already", s->name);
    old = read_file_at (s->folder_fd, "disks", 64 * 1024, &oldlen);
    if (old == NULL || strcmp (old, disks) != 0)
      return refuse (s, "the disks announced differ from those of the "
                     "interrupted capture %s", s->name);
    if (load_chunks (s) == -1)
      return refuse (s, "%s", core_errmsg ());
  }
  else {
    if (write_file_at (s->folder_fd, "disks", disks, strlen (disks)) == -1)
      return refuse (s, "%s", core_errmsg ());
  }
  /* Raw sparse images while receiving (read back directly for the
   * checksums), qcow2 once complete. */
  for (size_t i = 0; i < s->ndisks; i++) {
    struct rdisk *d = &s->disks[i];
    char raw[32];
    struct stat st;

    snprintf (raw, sizeof raw, "disk%zu.raw", i);
    d->fd = openat (s->folder_fd, raw, O_RDWR | O_NOFOLLOW | O_CLOEXEC
                    | (s->resume ? 0 : O_CREAT | O_EXCL), 0640);
    if (d->fd == -1)
      return refuse (s, "%s: %s", raw, strerror (errno));
    if (!s->resume && ftruncate (d->fd, d->size) == -1)
      return refuse (s, "%s: %s", raw, strerror (errno));
    if (fstat (d->fd, &st) == -1 || (uint64_t) st.st_size != d->size)
      return refuse (s, "%s: not of the announced size", raw);
  }
  if (write_file_at (s->folder_fd, "profile.yaml", profile, plen) == -1)
    return refuse (s, "%s", core_errmsg ());
  s->chunks_fd = openat (s->folder_fd, "chunks",
                         O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (s->chunks_fd == -1)
    return refuse (s, "chunks: %s", strerror (errno));

  for (size_t i = 0; i < s->ndisks; i++)
    if (start_server (s, i) == -1)
      return refuse (s, "cannot serve disk%zu: %s", i, core_errmsg ());

  {
    char reply[P2V_MAX_LINE] = "OK";
    size_t rl = 2;
    int r;
    for (size_t i = 0; i < s->ndisks; i++)
      rl += snprintf (reply + rl, sizeof reply - rl, " %s", s->disks[i].port);
    /* With TLS, the key of this session's disks. */
    if (s->o->psk)
      snprintf (reply + rl, sizeof reply - rl, " %s", s->nbd_psk);
    r = p2v_conn_printf (s->conn, "%s", reply);
    memset (reply, 0, sizeof reply);
    if (r == -1)
      return -1;
  }
  return 0;
}

static int
cmd_map (struct session *s, const char *arg)
{
  uint64_t i, n = 0;
  struct rdisk *d;

  if (p2v_parse_map (arg, s->ndisks, &i) == -1)
    return refuse (s, "%s", core_errmsg ());
  d = &s->disks[i];
  for (uint64_t k = 0; k < d->nchunks; k++)
    n += d->confirmed[k][0] != '\0';
  if (p2v_conn_printf (s->conn, "OK %llu", (unsigned long long) n) == -1)
    return -1;
  for (uint64_t k = 0; k < d->nchunks; k++)
    if (d->confirmed[k][0]
        && p2v_conn_printf (s->conn, "%llu %s", (unsigned long long) k,
                            d->confirmed[k]) == -1)
      return -1;
  return 0;
}

/* Confirmed chunks reach the chunk map only once the images are flushed:
 * a receiver killed at any time finds every chunk the map names in its
 * image.  Flushing per chunk would cost a disk sync per 32 MiB, so it
 * is done every DURABLE_INTERVAL seconds; a kill loses at most that much
 * of confirmed work, which a resume sends again. */
static int
make_durable (struct session *s)
{
  s->last_durable = core_monotonic ();
  if (s->pending_len == 0)
    return 0;
  for (size_t i = 0; i < s->ndisks; i++)
    if (s->disks[i].fd >= 0 && fdatasync (s->disks[i].fd) == -1) {
      core_error_errno ("disk%zu: flush", i);
      return -1;
    }
  if (write (s->chunks_fd, s->pending, s->pending_len) != (ssize_t) s->pending_len
      || fdatasync (s->chunks_fd) == -1) {
    core_error_errno ("chunks");
    return -1;
  }
  s->pending_len = 0;
  return 0;
}

static int
cmd_sum (struct session *s, char *args)
{
  uint64_t i, k;
  char hex[P2V_SUM_HEX + 1], th[P2V_SUM_HEX + 1];
  char line[200];
  int n;

  if (p2v_parse_sum (args, s->ndisks, s->nchunks, &i, &k, th) == -1)
    return refuse (s, "%s", core_errmsg ());
  if (chunk_sum (s, i, k, hex) == -1)
    return refuse (s, "%s", core_errmsg ());
  if (strcmp (hex, th) != 0) {
    event (s, CORE_NOTICE_WARNING, "disk%llu chunk %llu: checksum mismatch",
           (unsigned long long) i, (unsigned long long) k);
    return p2v_conn_printf (s->conn, "MISMATCH %s", hex);
  }
  n = snprintf (line, sizeof line, "%llu %llu %s\n", (unsigned long long) i,
                (unsigned long long) k, hex);
  if (s->pending_len + n > sizeof s->pending && make_durable (s) == -1)
    return refuse (s, "%s", core_errmsg ());
  memcpy (s->pending + s->pending_len, line, n);
  s->pending_len += n;
  memcpy (s->disks[i].confirmed[k], hex, sizeof hex);
  /* The answer first: the client goes on while this end writes back. */
  if (p2v_conn_printf (s->conn, "OK") == -1)
    return -1;
  /* Start writing the chunk to the disk now, so that the flush before
   * the chunk map is written finds little left to do. */
  sync_file_range (s->disks[i].fd, k * P2V_CHUNK, P2V_CHUNK,
                   SYNC_FILE_RANGE_WRITE);
  if (core_monotonic () - s->last_durable >= DURABLE_INTERVAL
      && make_durable (s) == -1)
    return refuse (s, "%s", core_errmsg ());
  return 0;
}

static int
run_convert (struct session *s)
{
  core_string_vector argv = { 0 };
  CLEANUP_FREE char *out = core_sprintf ("%s/converted", s->folder);
  int r = -1;

  if (out == NULL)
    return -1;
  if (core_string_vector_append (&argv, core_strdup (s->o->convert)) == -1
      || core_string_vector_append (&argv, core_strdup ("convert")) == -1)
    goto done;
  for (size_t i = 0; i < s->ndisks; i++)
    if (core_string_vector_append (&argv, core_sprintf ("%s/disk%zu.qcow2",
                                                        s->folder, i)) == -1)
      goto done;
  /* The images are the qcow2 files cmd_done wrote from the raw ones:
   * their format is said, not probed. */
  if (core_string_vector_append (&argv, core_strdup ("--source-format=qcow2")) == -1
      || core_string_vector_append (&argv, core_strdup ("-o")) == -1
      || core_string_vector_append (&argv, core_strdup (out)) == -1
      || core_string_vector_append (&argv, core_strdup ("--name")) == -1
      || core_string_vector_append (&argv, core_strdup (s->name)) == -1)
    goto done;
  for (size_t i = 0; i < s->o->convert_args.len; i++)
    if (core_string_vector_append (&argv, core_strdup (s->o->convert_args.ptr[i])) == -1)
      goto done;
  if (core_string_vector_append (&argv, NULL) == -1)
    goto done;
  for (size_t i = 0; i + 1 < argv.len; i++)
    if (argv.ptr[i] == NULL)
      goto done;
  event (s, CORE_NOTICE_INFO, "converting into %s", out);
  r = core_run (argv.ptr, NULL);
  if (r == 0)
    event (s, CORE_NOTICE_INFO, "converted into %s", out);
  else
    event (s, CORE_NOTICE_WARNING, "conversion failed (exit %d): %s", r,
           core_errmsg ());
 done:
  core_string_vector_free (&argv);
  return r == 0 ? 0 : -1;
}

/* At DONE, with the servers stopped: every chunk as stored now, against
 * the checksum it was confirmed with.  A chunk changed since (by anything
 * but this capture's confirmed writes) is withdrawn from the chunk map and
 * the capture is refused: a resume sends it again.  Holes are not read,
 * and the next chunk is read ahead while one is hashed; the images were
 * just written, so most of them is still in the page cache. */
static int
verify_stored (struct session *s)
{
  uint64_t changed = 0, checked = 0;
  char first[64] = "";
  double t0 = core_monotonic ();

  for (size_t i = 0; i < s->ndisks; i++) {
    struct rdisk *d = &s->disks[i];

    posix_fadvise (d->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    for (uint64_t k = 0; k < d->nchunks; k++) {
      char hex[P2V_SUM_HEX + 1];

      if (k + 1 < d->nchunks)
        posix_fadvise (d->fd, (k + 1) * P2V_CHUNK, P2V_CHUNK,
                       POSIX_FADV_WILLNEED);
      if (chunk_sum (s, i, k, hex) == -1)
        return -1;
      checked++;
      if (strcmp (hex, d->confirmed[k]) == 0)
        continue;
      if (changed++ == 0)
        snprintf (first, sizeof first, "disk%zu chunk %llu", i,
                  (unsigned long long) k);
      d->confirmed[k][0] = '\0';
      if (s->pending_len + 64 > sizeof s->pending && make_durable (s) == -1)
        return -1;
      s->pending_len += snprintf (s->pending + s->pending_len,
                                  sizeof s->pending - s->pending_len,
                                  "%zu %llu -\n", i, (unsigned long long) k);
    }
  }
  if (changed) {
    /* No image flush is needed for these lines; make_durable does one
     * anyway. */
    if (make_durable (s) == -1)
      return -1;
    core_error ("%llu chunk(s) changed on the receiver after they were "
                "confirmed (first: %s); resume the capture to send them "
                "again", (unsigned long long) changed, first);
    return -1;
  }
  event (s, CORE_NOTICE_INFO, "verified %llu chunk(s) as stored in %.1f s",
         (unsigned long long) checked, core_monotonic () - t0);
  return 0;
}

static int
cmd_done (struct session *s)
{
  uint64_t missing = 0;

  for (size_t i = 0; i < s->ndisks; i++)
    for (uint64_t k = 0; k < s->disks[i].nchunks; k++)
      missing += s->disks[i].confirmed[k][0] == '\0';
  if (missing)
    return refuse (s, "DONE with %llu chunk(s) not confirmed",
                   (unsigned long long) missing);
  if (make_durable (s) == -1)
    return refuse (s, "%s", core_errmsg ());
  /* The servers are stopped and the raw images become qcow2 before the
   * capture is called complete; a receiver killed in between leaves the
   * raw images, and a resume does this again. */
  stop_servers (s);
  if (verify_stored (s) == -1)
    return refuse (s, "%s", core_errmsg ());
  for (size_t i = 0; i < s->ndisks; i++) {
    const char *qemu_img = s->o->qemu_img ? s->o->qemu_img : "qemu-img";
    CLEANUP_FREE char *raw = core_sprintf ("%s/disk%zu.raw", s->folder, i);
    CLEANUP_FREE char *tmp = core_sprintf ("%s/.disk%zu.qcow2.tmp", s->folder, i);
    CLEANUP_FREE char *qcow2 = core_sprintf ("%s/disk%zu.qcow2", s->folder, i);
    /* The image is flushed before the capture is called complete (the
     * raw image goes then): -t none writes around the page cache (no
     * copy through it: half the CPU) and flushes at the end; -t
     * writeback, for filesystems without O_DIRECT, flushes too. */
    const char *argv[] = { qemu_img, "convert", "-q", "-t", "none", "-f", "raw",
                           "-O", "qcow2", raw, tmp, NULL };

    if (raw == NULL || tmp == NULL || qcow2 == NULL)
      return refuse (s, "out of memory");
    event (s, CORE_NOTICE_INFO, "disk%zu: writing disk%zu.qcow2", i, i);
    if (core_run ((char **) argv, NULL) != 0) {
      unlink (tmp);
      argv[4] = "writeback";
      if (core_run ((char **) argv, NULL) != 0) {
        unlink (tmp);
        return refuse (s, "qemu-img convert disk%zu.raw: %s", i, core_errmsg ());
      }
    }
    if (rename (tmp, qcow2) == -1) {
      unlink (tmp);
      return refuse (s, "disk%zu.qcow2: %s", i, strerror (errno));
    }
  }
  if (write_file_at (s->folder_fd, "complete", "", 0) == -1)
    return refuse (s, "%s", core_errmsg ());
  s->completed = true;
  for (size_t i = 0; i < s->ndisks; i++) {
    char raw[32];
    snprintf (raw, sizeof raw, "disk%zu.raw", i);
    unlinkat (s->folder_fd, raw, 0);
  }
  event (s, CORE_NOTICE_INFO, "complete: %s", s->folder);
  if (p2v_conn_printf (s->conn, "OK") == -1)
    return -1;
  p2v_conn_free (s->conn);
  s->conn = NULL;
  if (s->o->convert)
    return run_convert (s);
  return 0;
}

/* The peer passed the TLS handshake and the greeting: it no longer
 * counts against the limits on connections in their handshake, and
 * from now on only silence ends it. */
static void
authenticated (struct session *s)
{
  pid_t pid = getpid ();

  if (auth_fd >= 0) {
    /* Atomic (less than PIPE_BUF); a full pipe only delays the count. */
    if (write (auth_fd, &pid, sizeof pid) == -1) {
      /* The receiver ends handshakes that last too long itself. */
    }
    close (auth_fd);
    auth_fd = -1;
  }
  p2v_conn_set_deadline (s->conn, 0);
  p2v_conn_set_idle (s->conn, idle_timeout (s->o));
}

/* A new capture whose announcement failed after its folder was made (a
 * disk larger than the filesystem takes, a server that did not start)
 * leaves nothing: such a folder could be neither resumed nor made again.
 * Only what this session made is there (it made the folder and holds its
 * lock). */
static void
discard_new (struct session *s)
{
  static const char *const files[] = {
    "disks", ".disks.tmp", "profile.yaml", ".profile.yaml.tmp", "chunks",
    "capture.log",
  };
  CLEANUP_FREE char *path = core_sprintf ("%s/%s", s->o->dir, s->name);

  stop_servers (s);
  for (size_t i = 0; s->disks && i < s->ndisks; i++) {
    char raw[32];
    if (s->disks[i].fd >= 0)
      close (s->disks[i].fd);
    s->disks[i].fd = -1;
    snprintf (raw, sizeof raw, "disk%zu.raw", i);
    unlinkat (s->folder_fd, raw, 0);
  }
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    unlinkat (s->folder_fd, files[i], 0);
  if (s->chunks_fd >= 0)
    close (s->chunks_fd);
  if (s->log_fd >= 0)
    close (s->log_fd);
  s->chunks_fd = s->log_fd = -1;
  if (path == NULL || rmdir (path) == -1)
    event (s, CORE_NOTICE_WARNING, "%s: could not remove the refused "
           "capture's folder: %s", path ? path : s->name, strerror (errno));
  free (s->folder);
  s->folder = NULL;
  s->made = false;
}

static int
session (struct session *s)
{
  CLEANUP_FREE char *hello = p2v_conn_getline (s->conn);

  if (hello == NULL)
    return -1;
  if (strcmp (hello, P2V_PROTOCOL) != 0)
    return refuse (s, "expected %s", P2V_PROTOCOL);
  authenticated (s);
  /* The idle limit, so that the client says something in time. */
  if (p2v_conn_printf (s->conn, "OK IDLE %.0f", idle_timeout (s->o)) == -1)
    return -1;
  {
    CLEANUP_FREE char *line = p2v_conn_getline (s->conn);
    if (line == NULL || cmd_capture (s, line) == -1) {
      if (s->made)
        discard_new (s);
      return -1;
    }
  }
  for (;;) {
    CLEANUP_FREE char *line = p2v_conn_getline (s->conn);
    int r;

    if (line == NULL)
      return -1;
    if (strncmp (line, "SUM ", 4) == 0)
      r = cmd_sum (s, line + 4);
    else if (strncmp (line, "MAP ", 4) == 0)
      r = cmd_map (s, line + 4);
    else if (strcmp (line, "DONE") == 0)
      return cmd_done (s);
    else if (strcmp (line, "NOOP") == 0)
      r = 0;                    /* the client is there: see idle_timeout */
    else
      r = refuse (s, "unknown command '%.40s'", line);
    if (r == -1)
      return -1;
  }
}

/* How a session process ends: 0 a completed capture (converted when
 * asked), 1 no completed capture, SESSION_CONVERT_FAILED completed but its
 * conversion failed. */
#define SESSION_CONVERT_FAILED 2

/* Only an authenticated client that completed a capture ends --once: a
 * port scan, a wrong key or a refused announcement does not. */
static bool
completed_capture (int status)
{
  return WIFEXITED (status) && (WEXITSTATUS (status) == 0
                                || WEXITSTATUS (status) == SESSION_CONVERT_FAILED);
}

/* One connection, in its own process; 0, -1 or SESSION_CONVERT_FAILED. */
static int
serve_one (const struct p2v_receive_options *o, int fd, const char *peer)
{
  struct session s = { .o = o, .folder_fd = -1, .log_fd = -1, .chunks_fd = -1 };
  int ret = -1;

  snprintf (s.peer, sizeof s.peer, "%s", peer);
  /* What the session makes (images, qcow2 from qemu-img, conversions) is
   * for the receiver's user and group only, as its folder is. */
  umask (umask (0) | 027);
  s.buf = malloc (P2V_CHUNK);
  s.digests = malloc (32 * (P2V_CHUNK / P2V_BLOCK));
  s.hole = malloc (sizeof *s.hole * (P2V_CHUNK / P2V_BLOCK));
  if (s.buf == NULL || s.digests == NULL || s.hole == NULL) {
    close (fd);
    goto out;
  }
  /* The handshake and the greeting have so long in all, however the
   * peer spreads its bytes. */
  p2v_tcp_keepalive (fd, idle_timeout (o));
  s.conn = p2v_conn_server_until (fd, o->psk,
                                  accepted_at > 0 ? accepted_at
                                  : core_monotonic (), handshake_timeout (o));
  if (s.conn == NULL) {
    event (&s, CORE_NOTICE_WARNING, "%s; connection closed", core_errmsg ());
    goto out;
  }
  s.last_durable = core_monotonic ();
  ret = session (&s);
  /* A client that went away keeps what was confirmed (when the images
   * can still be flushed: not when the receiver itself is killed). */
  if (ret == -1 && s.folder) {
    char why[1024];
    snprintf (why, sizeof why, "%s", core_errmsg ());
    if (s.chunks_fd >= 0 && make_durable (&s) == -1)
      event (&s, CORE_NOTICE_WARNING, "%s", core_errmsg ());
    if (p2v_conn_timed_out (s.conn))
      event (&s, CORE_NOTICE_WARNING, "capture from %s: no data for %.0f s, "
             "session closed; resume with --resume", s.peer, idle_timeout (o));
    else
      event (&s, CORE_NOTICE_WARNING, "interrupted: %s; the client can resume",
             why);
  }
  else if (ret == -1 && p2v_conn_timed_out (s.conn))
    event (&s, CORE_NOTICE_WARNING, "%s; connection closed", core_errmsg ());
 out:
  stop_servers (&s);
  p2v_conn_free (s.conn);
  for (size_t i = 0; s.disks && i < s.ndisks; i++) {
    free (s.disks[i].confirmed);
    if (s.disks[i].fd >= 0)
      close (s.disks[i].fd);
  }
  free (s.disks);
  free (s.nchunks);
  free (s.folder);
  free (s.buf);
  free (s.digests);
  free (s.hole);
  if (s.folder_fd >= 0)
    close (s.folder_fd);
  if (s.log_fd >= 0)
    close (s.log_fd);
  if (s.chunks_fd >= 0)
    close (s.chunks_fd);
  return ret == 0 ? 0 : s.completed ? SESSION_CONVERT_FAILED : -1;
}

/* A session dies of a signal; its qemu-nbd children follow it
 * (PR_SET_PDEATHSIG). */
static void
session_signal (int sig)
{
  core_tmpfiles_cleanup ();
  signal (sig, SIG_DFL);
  raise (sig);
}

static void
peer_name (int fd, char *buf, size_t len)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char h[128], p[16];

  snprintf (buf, len, "?");
  if (getpeername (fd, (struct sockaddr *) &ss, &sl) == 0
      && getnameinfo ((struct sockaddr *) &ss, sl, h, sizeof h, p, sizeof p,
                      NI_NUMERICHOST | NI_NUMERICSERV) == 0)
    snprintf (buf, len, "%s:%s", h, p);
}

/* ---- the receiver: connections still in their handshake ---- */

/* A session process.  Until its peer is authenticated it counts against
 * the limits on handshakes: a peer that does not know the key costs a
 * process for at most the handshake timeout, and cannot take every
 * place (a new connection ends the oldest handshake) nor, from one
 * address, more than its share (a new one beyond is refused). */
struct child {
  pid_t pid;
  char addr[INET6_ADDRSTRLEN + 4];      /* the peer's address (IPv6: /64) */
  double start;
  bool handshaking;
};
DEFINE_VECTOR_TYPE(child_vector, struct child)

struct admission {
  const struct p2v_receive_options *o;
  child_vector children;
  int auth[2];                  /* session processes -> receiver */
  /* Refusals are logged at most once a second, with a count. */
  double last_note;
  unsigned int refused, ended;
  char last_addr[INET6_ADDRSTRLEN + 4];
};

static unsigned int
max_handshakes (const struct p2v_receive_options *o)
{
  return o->max_handshakes ? o->max_handshakes : P2V_MAX_HANDSHAKES;
}

static unsigned int
max_handshakes_per_addr (const struct p2v_receive_options *o)
{
  return o->max_handshakes_per_addr ? o->max_handshakes_per_addr
    : P2V_MAX_HANDSHAKES_PER_ADDR;
}

/* The address the per-address limit counts: an IPv4 address, or an IPv6
 * /64 (one host commonly has a whole /64). */
static void
addr_key (const struct sockaddr_storage *ss, char *buf, size_t len)
{
  snprintf (buf, len, "?");
  if (ss->ss_family == AF_INET)
    inet_ntop (AF_INET, &((const struct sockaddr_in *) ss)->sin_addr, buf, len);
  else if (ss->ss_family == AF_INET6) {
    struct in6_addr a = ((const struct sockaddr_in6 *) ss)->sin6_addr;
    char h[INET6_ADDRSTRLEN];
    if (IN6_IS_ADDR_V4MAPPED (&a)) {
      inet_ntop (AF_INET, &a.s6_addr[12], buf, len);
      return;
    }
    memset (&a.s6_addr[8], 0, 8);
    inet_ntop (AF_INET6, &a, h, sizeof h);
    snprintf (buf, len, "%s/64", h);
  }
}

static void
admission_note (struct admission *a, bool force)
{
  char msg[300], refused[120] = "", ended[80] = "";
  double now = core_monotonic ();

  if (a->refused + a->ended == 0
      || (!force && now - a->last_note < 1.0) || a->o->notify == NULL)
    return;
  if (a->refused)
    snprintf (refused, sizeof refused, "%u refused (%u from %s already)",
              a->refused, max_handshakes_per_addr (a->o), a->last_addr);
  if (a->ended)
    snprintf (ended, sizeof ended, "%s%u of the oldest ended (%u in all)",
              a->refused ? ", " : "", a->ended, max_handshakes (a->o));
  snprintf (msg, sizeof msg, "connections not authenticated yet: %s%s",
            refused, ended);
  core_notice (a->o->notify, CORE_NOTICE_WARNING, "%s", msg);
  a->last_note = now;
  a->refused = a->ended = 0;
}

/* Session processes that told they are authenticated, and those that
 * ended; handshakes beyond their time (the session enforces it; this is
 * the backstop) are ended. */
static void
admission_update (struct admission *a, pid_t exited)
{
  pid_t pid;
  double now = core_monotonic ();

  while (read (a->auth[0], &pid, sizeof pid) == sizeof pid)
    for (size_t i = 0; i < a->children.len; i++)
      if (a->children.ptr[i].pid == pid)
        a->children.ptr[i].handshaking = false;
  for (size_t i = 0; i < a->children.len; ) {
    struct child *c = &a->children.ptr[i];
    if (c->pid == exited) {
      *c = a->children.ptr[--a->children.len];
      continue;
    }
    if (c->handshaking && now - c->start > handshake_timeout (a->o) + 5) {
      kill (c->pid, SIGKILL);
      c->handshaking = false;
    }
    i++;
  }
}

/* Whether a new connection from SS may have a session process: not
 * beyond the limit per address; beyond the limit in all, a handshake
 * makes room: the oldest of the address that holds the most (the new
 * connection counted).  So a flood from a few addresses ends its own
 * handshakes, not the one of a client that has a single connection
 * open, however slow its handshake. */
static bool
admit (struct admission *a, const struct sockaddr_storage *ss)
{
  char key[sizeof a->last_addr];
  size_t from = 0, all = 0, victim = SIZE_MAX, victim_n = 0;

  addr_key (ss, key, sizeof key);
  admission_update (a, 0);
  for (size_t i = 0; i < a->children.len; i++) {
    struct child *c = &a->children.ptr[i];
    if (!c->handshaking)
      continue;
    all++;
    from += strcmp (c->addr, key) == 0;
  }
  if (from >= max_handshakes_per_addr (a->o)) {
    a->refused++;
    snprintf (a->last_addr, sizeof a->last_addr, "%s", key);
    admission_note (a, false);
    return false;
  }
  if (all < max_handshakes (a->o))
    return true;
  for (size_t i = 0; i < a->children.len; i++) {
    struct child *c = &a->children.ptr[i];
    size_t n = strcmp (c->addr, key) == 0;     /* the new connection */
    if (!c->handshaking)
      continue;
    for (size_t j = 0; j < a->children.len; j++)
      n += a->children.ptr[j].handshaking
        && strcmp (a->children.ptr[j].addr, c->addr) == 0;
    if (victim == SIZE_MAX || n > victim_n
        || (n == victim_n && c->start < a->children.ptr[victim].start)) {
      victim = i;
      victim_n = n;
    }
  }
  if (victim != SIZE_MAX) {
    kill (a->children.ptr[victim].pid, SIGKILL);
    a->children.ptr[victim].handshaking = false;
    a->ended++;
    admission_note (a, false);
  }
  return true;
}

static void
admission_add (struct admission *a, pid_t pid,
               const struct sockaddr_storage *ss, double accepted)
{
  struct child c = { .pid = pid, .start = accepted, .handshaking = true };

  addr_key (ss, c.addr, sizeof c.addr);
  /* Without room to count it, it is not counted: the session still has
   * its own deadline. */
  child_vector_append (&a->children, c);
}

int
p2v_receive (const struct p2v_receive_options *o)
{
  struct stat st;
  int lfd;
  char port[16];
  int once_status = -1;
  struct admission adm = { .auth = { -1, -1 } };
  struct p2v_receive_options ro;
  CLEANUP_FREE char *absdir = NULL;

  if (stat (o->dir, &st) == -1 || !S_ISDIR (st.st_mode)) {
    core_error ("%s: not a folder", o->dir);
    return -1;
  }
  /* Every path handed to a child (qemu-nbd's image and credentials
   * folder, qemu-img, convert) is absolute: qemu refuses a relative
   * credentials folder. */
  absdir = realpath (o->dir, NULL);
  if (absdir == NULL) {
    core_error_errno ("%s", o->dir);
    return -1;
  }
  ro = *o;
  ro.dir = absdir;
  o = &ro;
  adm.o = o;
  lfd = p2v_tcp_listen (o->host, o->port);
  if (lfd == -1)
    return -1;
  if (p2v_socket_port (lfd, port, sizeof port) == -1) {
    close (lfd);
    return -1;
  }
  if (pipe2 (adm.auth, O_CLOEXEC | O_NONBLOCK) == -1) {
    core_error_errno ("pipe");
    close (lfd);
    return -1;
  }
  core_notice (o->notify, CORE_NOTICE_INFO, "listening on %s:%s%s", o->host,
               port, o->psk ? " (TLS, pre-shared key)"
               : " (no TLS: trusted network only)");
  for (;;) {
    struct pollfd pfd[2] = { { .fd = lfd, .events = POLLIN },
                             { .fd = adm.auth[0], .events = POLLIN } };
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int status, cfd;
    pid_t pid;

    while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
      admission_update (&adm, pid);
      if (o->once && completed_capture (status)) {
        once_status = status;
        goto finished;
      }
    }
    admission_update (&adm, 0);
    admission_note (&adm, false);
    if (core_cancelled (o->notify))
      break;
    if (poll (pfd, 2, 200) <= 0 || !(pfd[0].revents & POLLIN))
      continue;
    cfd = accept4 (lfd, (struct sockaddr *) &ss, &sl, SOCK_CLOEXEC);
    if (cfd == -1)
      continue;
    if (!admit (&adm, &ss)) {
      close (cfd);
      continue;
    }
    accepted_at = core_monotonic ();
    fflush (NULL);
    /* A session is this program forked, running no other: not a
     * core_child_start. */
    pid = fork ();
    if (pid == -1) {
      close (cfd);
      continue;
    }
    if (pid == 0) {
      char peer[128];
      int r;
      close (lfd);
      close (adm.auth[0]);
      auth_fd = adm.auth[1];
      signal (SIGINT, session_signal);
      signal (SIGTERM, session_signal);
      signal (SIGHUP, session_signal);
      /* Sessions end with the receiver. */
      prctl (PR_SET_PDEATHSIG, SIGTERM);
      peer_name (cfd, peer, sizeof peer);
      r = serve_one (o, cfd, peer);
      fflush (NULL);
      _exit (r == -1 ? 1 : r);
    }
    close (cfd);
    admission_add (&adm, pid, &ss, accepted_at);
  }
 finished:
  admission_note (&adm, true);
  close (adm.auth[0]);
  close (adm.auth[1]);
  child_vector_reset (&adm.children);
  close (lfd);
  if (o->once && once_status == -1) {
    core_error ("stopped before a capture completed");
    return -1;
  }
  if (o->once && !(WIFEXITED (once_status) && WEXITSTATUS (once_status) == 0)) {
    core_error ("the capture completed; its conversion failed");
    return -1;
  }
  return 0;
}
