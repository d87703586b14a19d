/* The sending side: announce the capture on the control channel, write
 * each disk through NBD (libnbd) chunk by chunk, and have the receiver
 * confirm every chunk's checksum.  Sources are opened read-only and never
 * written. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include <libnbd.h>

#include "p2v/p2v.h"

#define MAX_WRITE (8 * 1024 * 1024)
#define MAX_TRIES 3
#define MAX_IN_FLIGHT 16
#define SUM_WINDOW 8

struct disk {
  const char *path;
  char *label;
  int fd;
  uint64_t size;
  uint64_t nchunks;
  struct nbd_handle *nbd;
  int nbd_fd;
  char (*confirmed)[P2V_SUM_HEX + 1];   /* per chunk; "" when not */
  core_string_vector rw_mounts;
  struct p2v_fsmap map;
  bool have_map;
  struct p2v_disk_progress pr;
  int write_error;              /* errno of a failed aio request */
};

struct cap {
  const struct p2v_capture_options *o;
  struct p2v_capture_result *res;
  struct p2v_conn *conn;
  struct disk *disks;
  size_t ndisks;
  uint8_t *buf;                 /* one chunk */
  uint8_t *digests;
  uint8_t *kind;                /* per block: 0 data, 1 zero, 2 unused */
};

static void
notify (struct cap *c, enum p2v_event ev, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
static void
notify (struct cap *c, enum p2v_event ev, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  if (c->o->notify == NULL)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  c->o->notify (c->o->opaque, ev, msg);
}

static int
pread_full (int fd, void *buf, size_t len, uint64_t off, const char *path)
{
  char *p = buf;

  while (len > 0) {
    ssize_t r = pread (fd, p, len, off);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      core_error_errno ("%s: read at byte %llu", path, (unsigned long long) off);
      return -1;
    }
    if (r == 0) {
      core_error ("%s: ends early, at byte %llu", path, (unsigned long long) off);
      return -1;
    }
    p += r;
    len -= r;
    off += r;
  }
  return 0;
}

static int
disk_pread (void *opaque, void *buf, size_t len, uint64_t off)
{
  struct disk *d = opaque;

  if (off > d->size || len > d->size - off) {
    core_error ("%s: read past the end", d->path);
    return -1;
  }
  return pread_full (d->fd, buf, len, off, d->path);
}

static int
open_disk (struct disk *d)
{
  struct stat st;
  const char *slash;

  d->fd = open (d->path, O_RDONLY | O_CLOEXEC);
  if (d->fd == -1) {
    core_error_errno ("%s", d->path);
    return -1;
  }
  if (fstat (d->fd, &st) == -1) {
    core_error_errno ("%s", d->path);
    return -1;
  }
  if (S_ISBLK (st.st_mode)) {
    if (ioctl (d->fd, BLKGETSIZE64, &d->size) == -1) {
      core_error_errno ("%s: size", d->path);
      return -1;
    }
  }
  else if (S_ISREG (st.st_mode))
    d->size = st.st_size;
  else {
    core_error ("%s: not a block device or an image file", d->path);
    return -1;
  }
  if (d->size == 0 || d->size % 512 || d->size > (uint64_t) P2V_MAX_DISK_SIZE) {
    core_error ("%s: size %llu is not a whole number of 512-byte sectors "
                "between 512 bytes and 1 PiB", d->path,
                (unsigned long long) d->size);
    return -1;
  }
  posix_fadvise (d->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  d->nchunks = (d->size + P2V_CHUNK - 1) / P2V_CHUNK;
  d->confirmed = calloc (d->nchunks, sizeof *d->confirmed);
  if (d->confirmed == NULL) {
    core_error ("out of memory");
    return -1;
  }
  slash = strrchr (d->path, '/');
  d->label = core_strdup (slash ? slash + 1 : d->path);
  if (d->label == NULL)
    return -1;
  /* The label travels in a protocol line: keep it one word. */
  for (char *p = d->label; *p; p++)
    if (*p <= ' ' || *p == 127)
      *p = '_';
  if (p2v_rw_mounts (d->path, &d->rw_mounts) == -1)
    return -1;
  return 0;
}

/* "OK ..." -> the rest; "ERR why" -> error. */
static char *
expect_ok (struct cap *c, const char *what)
{
  char *line = p2v_conn_getline (c->conn);

  if (line == NULL) {
    char why[1024];
    snprintf (why, sizeof why, "%s", core_errmsg ());
    core_error ("%s: %s", what, why);
    return NULL;
  }
  if (strcmp (line, "OK") == 0 || strncmp (line, "OK ", 3) == 0)
    return line;
  if (strncmp (line, "ERR ", 4) == 0)
    core_error ("the receiver refused: %s", line + 4);
  else
    core_error ("%s: unexpected reply from the receiver: '%.80s'", what, line);
  free (line);
  return NULL;
}

static int
connect_nbd (struct cap *c, struct disk *d, const char *port)
{
  const struct p2v_capture_options *o = c->o;
  int64_t size;

  d->nbd = nbd_create ();
  if (d->nbd == NULL) {
    core_error ("libnbd: %s", nbd_get_error ());
    return -1;
  }
  if (o->psk
      && (nbd_set_tls (d->nbd, LIBNBD_TLS_REQUIRE) == -1
          || nbd_set_tls_psk_file (d->nbd, o->psk->file) == -1
          || nbd_set_tls_username (d->nbd, o->psk->user) == -1)) {
    core_error ("libnbd: %s", nbd_get_error ());
    return -1;
  }
  d->nbd_fd = p2v_tcp_connect (o->host, port);
  if (d->nbd_fd == -1)
    return -1;
  if (nbd_connect_socket (d->nbd, d->nbd_fd) == -1) {
    core_error ("%s: NBD connection to %s:%s: %s", d->path, o->host, port,
                nbd_get_error ());
    return -1;
  }
  size = nbd_get_size (d->nbd);
  if (size < 0 || (uint64_t) size != d->size) {
    core_error ("%s: the receiver's disk has %lld bytes, not %llu", d->path,
                (long long) size, (unsigned long long) d->size);
    return -1;
  }
  return 0;
}

static int
read_map (struct cap *c, size_t i)
{
  struct disk *d = &c->disks[i];
  CLEANUP_FREE char *ok = NULL;
  int64_t n;

  if (p2v_conn_printf (c->conn, "MAP %zu", i) == -1
      || (ok = expect_ok (c, "MAP")) == NULL)
    return -1;
  if (core_parse_int64 (ok + 3, "chunk count", 0, (int64_t) d->nchunks, &n) == -1)
    return -1;
  for (int64_t k = 0; k < n; k++) {
    CLEANUP_FREE char *line = p2v_conn_getline (c->conn);
    char hex[P2V_SUM_HEX + 1];
    unsigned long long chunk;

    if (line == NULL
        || sscanf (line, "%llu %64[0-9a-f]", &chunk, hex) != 2
        || chunk >= d->nchunks || strlen (hex) != P2V_SUM_HEX) {
      core_error ("MAP: bad chunk line from the receiver");
      return -1;
    }
    memcpy (d->confirmed[chunk], hex, sizeof hex);
  }
  return 0;
}

/* Read chunk K into c->buf, classify its blocks, compute its checksum. */
static int
read_chunk (struct cap *c, struct disk *d, uint64_t k, uint64_t *len,
            char *hex)
{
  uint64_t off = k * P2V_CHUNK;
  uint64_t n = d->size - off < P2V_CHUNK ? d->size - off : P2V_CHUNK;
  uint64_t nb = (n + P2V_BLOCK - 1) / P2V_BLOCK;

  *len = n;
  /* Runs of blocks to read: skip the unused ones. */
  for (uint64_t b = 0; b < nb; ) {
    uint64_t e = b;
    bool unused = d->have_map && p2v_fsmap_unused (&d->map, off / P2V_BLOCK + b);
    while (e < nb && (d->have_map && p2v_fsmap_unused (&d->map, off / P2V_BLOCK + e)) == unused)
      e++;
    uint64_t s = b * P2V_BLOCK, t = e * P2V_BLOCK < n ? e * P2V_BLOCK : n;
    if (unused)
      memset (c->buf + s, 0, t - s);
    else if (pread_full (d->fd, c->buf + s, t - s, off + s, d->path) == -1)
      return -1;
    for (uint64_t i = b; i < e; i++)
      c->kind[i] = unused ? 2 : 0;
    b = e;
  }
  for (uint64_t b = 0; b < nb; b++) {
    uint64_t s = b * P2V_BLOCK, l = n - s < P2V_BLOCK ? n - s : P2V_BLOCK;
    if (c->kind[b] == 0 && p2v_is_zero (c->buf + s, l))
      c->kind[b] = 1;
    if (p2v_block_digest (c->buf + s, l, c->kind[b] != 0, c->digests + 32 * b) == -1)
      return -1;
  }
  return p2v_chunk_sum (c->digests, nb, hex);
}

static int
check_done (void *opaque, int *error)
{
  struct disk *d = opaque;

  if (*error && d->write_error == 0)
    d->write_error = *error;
  return 1;                     /* retire the command */
}

/* Write the chunk in c->buf: data as writes, zero and unused blocks as
 * zero requests (which the receiver may turn into holes). */
static int
write_chunk (struct cap *c, struct disk *d, uint64_t k, uint64_t len,
             bool counting)
{
  uint64_t off = k * P2V_CHUNK;
  uint64_t nb = (len + P2V_BLOCK - 1) / P2V_BLOCK;

  for (uint64_t b = 0; b < nb; ) {
    bool data = c->kind[b] == 0;
    uint64_t e = b + 1;
    while (e < nb && (c->kind[e] == 0) == data
           && (e - b) * P2V_BLOCK < MAX_WRITE)
      e++;
    uint64_t s = b * P2V_BLOCK, t = e * P2V_BLOCK < len ? e * P2V_BLOCK : len;
    int64_t r;
    /* Several requests in flight: the receiver stores one while the next
     * is encrypted and sent. */
    while (nbd_aio_in_flight (d->nbd) >= MAX_IN_FLIGHT)
      if (nbd_poll (d->nbd, -1) == -1)
        goto nbd_error;
    r = data
      ? nbd_aio_pwrite (d->nbd, c->buf + s, t - s, off + s,
                        (nbd_completion_callback) { .callback = check_done,
                                                    .user_data = d }, 0)
      : nbd_aio_zero (d->nbd, t - s, off + s,
                      (nbd_completion_callback) { .callback = check_done,
                                                  .user_data = d }, 0);
    if (r == -1)
      goto nbd_error;
    if (counting) {
      if (data)
        d->pr.data += t - s;
      else {
        for (uint64_t i = b; i < e; i++) {
          uint64_t bl = i * P2V_BLOCK + P2V_BLOCK <= len ? P2V_BLOCK : len - i * P2V_BLOCK;
          if (c->kind[i] == 2)
            d->pr.skipped += bl;
          else
            d->pr.zero += bl;
        }
      }
    }
    b = e;
  }
  while (nbd_aio_in_flight (d->nbd) > 0)
    if (nbd_poll (d->nbd, -1) == -1)
      goto nbd_error;
  if (d->write_error) {
    core_error ("%s: NBD write in chunk %llu: %s", d->path,
                (unsigned long long) k, strerror (d->write_error));
    return -1;
  }
  return 0;

 nbd_error:
  core_error ("%s: NBD: %s", d->path, nbd_get_error ());
  return -1;
}

/* The receiver's answer to SUM: 1 confirmed, 0 mismatch, -1 error. */
static int
sum_reply (struct cap *c, struct disk *d, uint64_t k, const char *hex)
{
  CLEANUP_FREE char *line = p2v_conn_getline (c->conn);

  if (line == NULL) {
    char why[1024];
    snprintf (why, sizeof why, "%s", core_errmsg ());
    core_error ("%s: chunk %llu: %s", d->path, (unsigned long long) k, why);
    return -1;
  }
  if (strcmp (line, "OK") == 0) {
    memcpy (d->confirmed[k], hex, P2V_SUM_HEX + 1);
    return 1;
  }
  if (strncmp (line, "MISMATCH", 8) == 0)
    return 0;
  if (strncmp (line, "ERR ", 4) == 0)
    core_error ("%s: chunk %llu: the receiver says: %s", d->path,
                (unsigned long long) k, line + 4);
  else
    core_error ("%s: chunk %llu: unexpected reply '%.80s'", d->path,
                (unsigned long long) k, line);
  return -1;
}

/* Chunk K again, synchronously, after a mismatch. */
static int
resend (struct cap *c, size_t i, uint64_t k)
{
  struct disk *d = &c->disks[i];

  for (int t = 0; t < MAX_TRIES; t++) {
    char hex[P2V_SUM_HEX + 1];
    uint64_t len;
    int r;

    notify (c, P2V_EVENT_WARNING, "%s: chunk %llu: checksum mismatch, "
            "sending it again", d->path, (unsigned long long) k);
    if (read_chunk (c, d, k, &len, hex) == -1
        || write_chunk (c, d, k, len, false) == -1
        || p2v_conn_printf (c->conn, "SUM %zu %llu %s", i,
                            (unsigned long long) k, hex) == -1)
      return -1;
    d->pr.resent += len;
    r = sum_reply (c, d, k, hex);
    if (r != 0)
      return r == 1 ? 0 : -1;
  }
  core_error ("%s: chunk %llu: checksums still differ after %d tries",
              d->path, (unsigned long long) k, MAX_TRIES);
  return -1;
}

static void
progress (struct cap *c, struct disk *d)
{
  if (c->o->progress)
    c->o->progress (c->o->opaque, &d->pr);
}

/* One pass over disk I: every chunk not confirmed with the same checksum
 * is sent and confirmed.  Up to SUM_WINDOW checksum replies are awaited
 * at a time, so that the receiver verifies while the next chunks are read
 * and sent; mismatched chunks are sent again at the end of the pass. */
static int
pass (struct cap *c, size_t i)
{
  struct disk *d = &c->disks[i];
  struct { uint64_t k; char hex[P2V_SUM_HEX + 1]; } win[SUM_WINDOW];
  size_t head = 0, nwin = 0;
  uint64_t *redo = NULL;
  size_t nredo = 0;
  int ret = -1;

  /* A filesystem mounted on a block device writes its data around the
   * device's page cache: drop what an earlier pass cached, so that the
   * frozen pass reads what is on the disk now. */
  posix_fadvise (d->fd, 0, 0, POSIX_FADV_DONTNEED);
  memset (&d->pr, 0, sizeof d->pr);
  d->pr.index = i;
  d->pr.name = d->path;
  d->pr.size = d->size;
  if (c->o->used_only) {
    p2v_fsmap_clear (&d->map);
    d->have_map = false;
    if (p2v_fsmap_read (disk_pread, d, d->size, &d->map) == -1)
      return -1;
    d->have_map = true;
    for (size_t a = 0; a < d->map.areas.len; a++)
      notify (c, P2V_EVENT_INFO, "%s: %s: %llu MiB unused", d->path,
              d->map.areas.ptr[a].what,
              (unsigned long long) (d->map.areas.ptr[a].unused >> 20));
    if (d->map.areas.len == 0)
      notify (c, P2V_EVENT_INFO, "%s: no ext2/3/4 or swap found: every "
              "block is sent", d->path);
  }
  redo = calloc (d->nchunks, sizeof *redo);
  if (redo == NULL) {
    core_error ("out of memory");
    return -1;
  }
  progress (c, d);
  for (uint64_t k = 0; k <= d->nchunks; k++) {
    char hex[P2V_SUM_HEX + 1];
    uint64_t len;

    /* Collect replies: when the window is full, and all at the end. */
    while (nwin > 0 && (nwin == SUM_WINDOW || k == d->nchunks)) {
      int r = sum_reply (c, d, win[head].k, win[head].hex);
      if (r == -1)
        goto out;
      if (r == 0)
        redo[nredo++] = win[head].k;
      head = (head + 1) % SUM_WINDOW;
      nwin--;
    }
    if (k == d->nchunks)
      break;
    if (c->o->stop && *c->o->stop) {
      core_error ("interrupted");
      goto out;
    }
    if (read_chunk (c, d, k, &len, hex) == -1)
      goto out;
    if (strcmp (d->confirmed[k], hex) == 0) {
      d->pr.resumed += len;
      d->pr.done += len;
      progress (c, d);
      continue;
    }
    if (write_chunk (c, d, k, len, true) == -1
        || p2v_conn_printf (c->conn, "SUM %zu %llu %s", i,
                            (unsigned long long) k, hex) == -1)
      goto out;
    win[(head + nwin) % SUM_WINDOW].k = k;
    memcpy (win[(head + nwin) % SUM_WINDOW].hex, hex, sizeof hex);
    nwin++;
    d->pr.done += len;
    progress (c, d);
  }
  for (size_t r = 0; r < nredo; r++)
    if (resend (c, i, redo[r]) == -1)
      goto out;
  d->pr.finished = true;
  progress (c, d);
  ret = 0;
 out:
  free (redo);
  return ret;
}

static void
add_result (struct cap *c)
{
  struct p2v_capture_result *r = c->res;

  for (size_t i = 0; i < c->ndisks; i++) {
    struct disk *d = &c->disks[i];
    r->data += d->pr.data;
    r->zero += d->pr.zero;
    r->skipped += d->pr.skipped;
    r->resumed += d->pr.resumed;
    r->resent += d->pr.resent;
  }
}

/* Adds the NBD connections' bytes (each once: they are counted before
 * they close) and, at the end, the control channel's. */
static void
wire_bytes (struct cap *c)
{
  uint64_t s, r;

  for (size_t i = 0; i < c->ndisks; i++)
    if (c->disks[i].nbd && c->disks[i].nbd_fd >= 0
        && p2v_tcp_bytes (c->disks[i].nbd_fd, &s, &r) == 0) {
      c->res->wire_sent += s;
      c->res->wire_received += r;
      c->disks[i].nbd_fd = -1;
    }
}

static void
wire_bytes_control (struct cap *c)
{
  uint64_t s, r;

  if (c->conn && p2v_tcp_bytes (p2v_conn_fd (c->conn), &s, &r) == 0) {
    c->res->wire_sent += s;
    c->res->wire_received += r;
  }
}

static int
announce (struct cap *c)
{
  const struct p2v_capture_options *o = c->o;
  size_t plen = strlen (o->profile_yaml);
  CLEANUP_FREE char *ok = NULL;
  char *save = NULL, *tok;

  if (p2v_conn_printf (c->conn, "%s", P2V_PROTOCOL) == -1)
    return -1;
  free (ok);
  if ((ok = expect_ok (c, "greeting")) == NULL)
    return -1;
  if (p2v_conn_printf (c->conn, "CAPTURE %s %s %zu %zu", o->name,
                       o->resume ? "RESUME" : "NEW", c->ndisks, plen) == -1)
    return -1;
  for (size_t i = 0; i < c->ndisks; i++)
    if (p2v_conn_printf (c->conn, "DISK %llu %s",
                         (unsigned long long) c->disks[i].size,
                         c->disks[i].label) == -1)
      return -1;
  if (p2v_conn_write (c->conn, o->profile_yaml, plen) == -1)
    return -1;
  free (ok);
  if ((ok = expect_ok (c, "CAPTURE")) == NULL)
    return -1;
  /* "OK PORT0 PORT1 ..." */
  tok = strtok_r (ok + 2, " ", &save);
  for (size_t i = 0; i < c->ndisks; i++, tok = strtok_r (NULL, " ", &save)) {
    int64_t port;
    if (tok == NULL || core_parse_int64 (tok, "NBD port", 1, 65535, &port) == -1) {
      core_error ("CAPTURE: the receiver gave no NBD port for disk %zu", i);
      return -1;
    }
    if (connect_nbd (c, &c->disks[i], tok) == -1)
      return -1;
    if (o->resume && read_map (c, i) == -1)
      return -1;
  }
  return 0;
}

int
p2v_capture (const struct p2v_capture_options *o,
             struct p2v_capture_result *res)
{
  struct cap c = { .o = o, .res = res };
  bool frozen = false;
  int ret = -1;
  int fd;

  memset (res, 0, sizeof *res);
  if (!p2v_name_ok (o->name)) {
    core_error ("'%s': a capture name is letters, digits, '.', '_' and '-' "
                "(at most 64, not starting with '.' or '-')", o->name);
    return -1;
  }
  c.ndisks = o->disks.len;
  if (c.ndisks == 0 || c.ndisks > P2V_MAX_DISKS) {
    core_error ("between 1 and %d disks per capture", P2V_MAX_DISKS);
    return -1;
  }
  c.disks = calloc (c.ndisks, sizeof *c.disks);
  c.buf = malloc (P2V_CHUNK);
  c.digests = malloc (32 * (P2V_CHUNK / P2V_BLOCK));
  c.kind = malloc (P2V_CHUNK / P2V_BLOCK);
  if (c.disks == NULL || c.buf == NULL || c.digests == NULL || c.kind == NULL) {
    core_error ("out of memory");
    goto out;
  }
  for (size_t i = 0; i < c.ndisks; i++) {
    c.disks[i].fd = c.disks[i].nbd_fd = -1;
    c.disks[i].path = o->disks.ptr[i];
  }
  for (size_t i = 0; i < c.ndisks; i++) {
    struct disk *d = &c.disks[i];
    if (open_disk (d) == -1)
      goto out;
    for (size_t j = 0; j < i; j++)
      if (strcmp (c.disks[j].path, d->path) == 0) {
        core_error ("%s: given twice", d->path);
        goto out;
      }
    if (d->rw_mounts.len > 0 && !o->live) {
      core_error ("%s: a filesystem on it is mounted read-write at %s; "
                  "unmount it (or remount it read-only), or capture with --live",
                  d->path, d->rw_mounts.ptr[0]);
      goto out;
    }
    res->disk_bytes += d->size;
  }

  fd = p2v_tcp_connect (o->host, o->port);
  if (fd == -1)
    goto out;
  c.conn = p2v_conn_client (fd, o->psk);
  if (c.conn == NULL) {
    char why[1024];
    snprintf (why, sizeof why, "%s", core_errmsg ());
    core_error ("%s:%s: %s", o->host, o->port, why);
    goto out;
  }
  if (announce (&c) == -1)
    goto out;
  res->resumable = true;

  for (size_t i = 0; i < c.ndisks; i++)
    if (pass (&c, i) == -1)
      goto out;

  if (o->live) {
    /* Second pass with the filesystems frozen: only chunks that changed
     * since the first are sent, and the result is the frozen state. */
    bool any = false;
    for (size_t i = 0; i < c.ndisks; i++)
      any |= c.disks[i].rw_mounts.len > 0;
    if (any) {
      notify (&c, P2V_EVENT_INFO, "freezing the mounted filesystems for the "
              "second pass");
      frozen = true;
      for (size_t i = 0; i < c.ndisks; i++)
        for (size_t m = 0; m < c.disks[i].rw_mounts.len; m++)
          if (p2v_freeze (c.disks[i].rw_mounts.ptr[m]) == -1)
            goto out;
      add_result (&c);
      for (size_t i = 0; i < c.ndisks; i++)
        if (pass (&c, i) == -1)
          goto out;
      p2v_thaw_all ();
      frozen = false;
      notify (&c, P2V_EVENT_INFO, "thawed");
      /* The second pass's resumed bytes are the first pass's sends. */
      for (size_t i = 0; i < c.ndisks; i++)
        c.disks[i].pr.resumed = 0;
    }
  }
  /* The NBD connections end first: the receiver stops its servers and
   * converts the images on DONE. */
  wire_bytes (&c);
  for (size_t i = 0; i < c.ndisks; i++) {
    struct disk *d = &c.disks[i];
    if (nbd_shutdown (d->nbd, 0) == -1) {
      core_error ("%s: NBD: %s", d->path, nbd_get_error ());
      goto out;
    }
    nbd_close (d->nbd);
    d->nbd = NULL;
  }
  {
    CLEANUP_FREE char *ok = NULL;
    if (p2v_conn_printf (c.conn, "DONE") == -1
        || (ok = expect_ok (&c, "DONE")) == NULL)
      goto out;
  }
  ret = 0;

 out:
  if (frozen)
    p2v_thaw_all ();
  if (ret == 0)
    add_result (&c);
  wire_bytes (&c);
  wire_bytes_control (&c);
  for (size_t i = 0; c.disks && i < c.ndisks; i++) {
    struct disk *d = &c.disks[i];
    if (d->nbd)
      nbd_close (d->nbd);
    else if (d->nbd_fd >= 0)
      close (d->nbd_fd);
    if (d->fd >= 0)
      close (d->fd);
    free (d->label);
    free (d->confirmed);
    core_string_vector_free (&d->rw_mounts);
    p2v_fsmap_clear (&d->map);
  }
  p2v_conn_free (c.conn);
  free (c.disks);
  free (c.buf);
  free (c.digests);
  free (c.kind);
  return ret;
}
