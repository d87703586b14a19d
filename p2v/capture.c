/* The sending side: announce the capture on the control channel, write
 * each disk through NBD (libnbd) chunk by chunk, and have the receiver
 * confirm every chunk's checksum.  Sources are opened read-only and never
 * written. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>

#include <libnbd.h>

#include "p2v/p2v.h"

/* Requests of at most 256 KiB, many in flight: the server allocates a
 * buffer per request, which costs more than the framing of smaller
 * requests (with 8 MiB requests nbdkit, which also clears it, used twice
 * the CPU; qemu-nbd measured the same with 1 MiB). */
#define MAX_WRITE (256 * 1024)
/* A zero request carries no data: one per run of zero blocks in a chunk.
 * In requests of MAX_WRITE, the 1.8 GiB of zeroes of the benchmark's
 * disk were 7,400 requests, and the server's hole punching for them
 * took most of a second at the end of the copy. */
#define MAX_ZERO P2V_CHUNK
#define MAX_IN_FLIGHT 64
#define MAX_TRIES 3
/* Worker threads per disk, each with its own chunk buffer and NBD
 * connection: reading, summing and TLS encryption of different chunks
 * run on all cores. */
#define NBD_CONNS 3
/* Chunks written and awaiting their checksum's answer, at most. */
#define SUM_WINDOW 8
#define MAX_PENDING (NBD_CONNS + SUM_WINDOW)

struct nbd_conn {
  struct nbd_handle *nbd;
  int fd;
  double idle;                  /* seconds without progress: failure */
  int write_error;              /* errno of a failed aio request */
};

struct disk {
  const char *path;
  char *label;
  int fd;
  bool is_file;                 /* an image file: holes are found, not read */
  uint64_t size;
  uint64_t nchunks;
  struct nbd_conn nbd[NBD_CONNS];
  char (*confirmed)[P2V_SUM_HEX + 1];   /* per chunk; "" when not */
  core_string_vector rw_mounts;
  struct p2v_fsmap map;
  bool have_map;
  struct p2v_disk_progress pr;
};

/* A chunk on its way: read and summed, written, its checksum asked. */
struct slot {
  uint8_t *buf;                 /* P2V_CHUNK */
  uint8_t *kind;                /* per block: 0 data, 1 zero, 2 unused */
  uint8_t *digests;             /* per block */
  uint64_t k, len;
  char hex[P2V_SUM_HEX + 1];
};

struct sum_entry {
  uint64_t k;
  char hex[P2V_SUM_HEX + 1];
};

/* A FIFO of checksums, at most MAX_PENDING. */
struct sum_ring {
  struct sum_entry e[MAX_PENDING];
  size_t head, len;
};

struct cap {
  const struct p2v_capture_options *o;
  struct p2v_capture_result *res;
  struct p2v_conn *conn;
  struct disk *disks;
  size_t ndisks;
  struct slot slots[NBD_CONNS];  /* one per worker */

  /* The pipeline of one pass over a disk (see run_chunks), under LOCK:
   * a worker takes the next chunk of LIST, reads and sums it, sends it
   * on its NBD connection and, once every request of it completed,
   * queues its checksum (TOSEND); the control thread sends the
   * checksums and matches the answers (ASKED). */
  pthread_mutex_t lock;
  pthread_cond_t cond;
  size_t disk;                  /* the disk of the pass */
  const uint64_t *list;         /* the chunks to send; NULL: all */
  uint64_t nlist, next;
  bool resend;
  struct sum_ring tosend, asked;
  size_t pending;               /* taken by a worker .. answered */
  bool closing;                 /* every chunk answered */
  bool failed;
  char err[1024];               /* the first error of a thread */
  uint64_t *redo;               /* mismatched: to send again */
  size_t nredo;
  /* Every PING seconds of silence the control thread sends NOOP, so
   * that the receiver's idle limit (it says which) only ends captures
   * that stopped; 0: the receiver did not say. */
  double ping, last_sent;
  /* With TLS, the key the receiver made for this session's disks, in a
   * memory file that libnbd reads by name while connecting. */
  int nbd_psk_fd;
  bool nbd_psk_open;
  char nbd_psk_path[48];
  char nbd_user[64];
};

static double
idle_timeout (const struct p2v_capture_options *o)
{
  return o->idle_timeout > 0 ? o->idle_timeout : P2V_IDLE_TIMEOUT;
}

/* Wait for progress on an NBD connection: a receiver that takes no data
 * and answers nothing for N->idle seconds (stopped, or a link that
 * drops everything) fails the capture instead of hanging it. */
static int
nbd_wait (struct nbd_conn *n, const char *path)
{
  int ms = n->idle > 0 ? (int) (n->idle * 1000) : -1;
  int r = nbd_poll (n->nbd, ms);

  if (r == 0) {
    core_error ("%s: NBD: no data from the receiver for %.0f s", path, n->idle);
    return -1;
  }
  if (r == -1) {
    core_error ("%s: NBD: %s", path, nbd_get_error ());
    return -1;
  }
  return 0;
}
#define notify(c, kind, ...) core_notice ((c)->o->notify, kind, __VA_ARGS__)

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
  else if (S_ISREG (st.st_mode)) {
    d->size = st.st_size;
    d->is_file = true;
  }
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
  {
    /* The receiver's bytes, made safe for the terminal. */
    char safe[1100];
    if (strncmp (line, "ERR ", 4) == 0)
      core_error ("the receiver refused: %s",
                  core_escape (line + 4, strlen (line + 4), safe, sizeof safe));
    else
      core_error ("%s: unexpected reply from the receiver: '%s'", what,
                  core_escape (line, strlen (line), safe, 100));
  }
  free (line);
  return NULL;
}

static int
connect_nbd (struct cap *c, struct disk *d, struct nbd_conn *n,
             const char *port)
{
  const struct p2v_capture_options *o = c->o;
  int64_t size;

  n->nbd = nbd_create ();
  if (n->nbd == NULL) {
    core_error ("libnbd: %s", nbd_get_error ());
    return -1;
  }
  if (o->psk
      && (nbd_set_tls (n->nbd, LIBNBD_TLS_REQUIRE) == -1
          || nbd_set_tls_psk_file (n->nbd, c->nbd_psk_path) == -1
          || nbd_set_tls_username (n->nbd, c->nbd_user) == -1)) {
    core_error ("libnbd: %s", nbd_get_error ());
    return -1;
  }
  n->fd = p2v_tcp_connect (o->host, port);
  if (n->fd == -1)
    return -1;
  n->idle = idle_timeout (o);
  if (p2v_tcp_keepalive (n->fd, n->idle) == -1)
    return -1;
  /* Connected without blocking, so that a receiver that stops answering
   * in the NBD handshake fails it in time too. */
  if (nbd_aio_connect_socket (n->nbd, n->fd) == -1) {
    core_error ("%s: NBD connection to %s:%s: %s", d->path, o->host, port,
                nbd_get_error ());
    return -1;
  }
  while (nbd_aio_is_connecting (n->nbd))
    if (nbd_wait (n, d->path) == -1)
      return -1;
  if (!nbd_aio_is_ready (n->nbd)) {
    core_error ("%s: NBD connection to %s:%s: %s", d->path, o->host, port,
                nbd_get_error () ? nbd_get_error () : "closed");
    return -1;
  }
  size = nbd_get_size (n->nbd);
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

/* Record the first error of any thread of the pipeline (core_error is
 * per thread) and stop the others. */
static void
fail_locked (struct cap *c, const char *msg)
{
  if (!c->failed) {
    c->failed = true;
    snprintf (c->err, sizeof c->err, "%s", msg);
  }
  pthread_cond_broadcast (&c->cond);
}

static void
fail (struct cap *c)
{
  char msg[1024];

  snprintf (msg, sizeof msg, "%s", core_errmsg ());
  pthread_mutex_lock (&c->lock);
  fail_locked (c, msg);
  pthread_mutex_unlock (&c->lock);
}

/* Read the used blocks in [S, T) of chunk K (byte offsets in the chunk,
 * S a multiple of P2V_BLOCK).  In an image file, blocks wholly in holes
 * are zero without being read. */
static int
read_used (struct disk *d, struct slot *sl, uint64_t off, uint64_t s,
           uint64_t t)
{
  while (s < t) {
    uint64_t ds = s, de = t;

    if (d->is_file) {
      off_t data = lseek (d->fd, off + s, SEEK_DATA);
      if (data == -1 && errno != ENXIO) {
        core_error_errno ("%s: SEEK_DATA", d->path);
        return -1;
      }
      if (data == -1 || (uint64_t) data >= off + t) {
        for (uint64_t b = s / P2V_BLOCK; b * P2V_BLOCK < t; b++)
          sl->kind[b] = 1;
        break;
      }
      /* From the start of the block holding the first data byte. */
      ds = (data - off) / P2V_BLOCK * P2V_BLOCK;
      for (uint64_t b = s / P2V_BLOCK; b < ds / P2V_BLOCK; b++)
        sl->kind[b] = 1;
      off_t hole = lseek (d->fd, data, SEEK_HOLE);
      de = hole == -1 || (uint64_t) hole >= off + t ? t : hole - off;
      de = (de + P2V_BLOCK - 1) / P2V_BLOCK * P2V_BLOCK;
      if (de > t)
        de = t;
    }
    if (pread_full (d->fd, sl->buf + ds, de - ds, off + ds, d->path) == -1)
      return -1;
    s = de;
  }
  return 0;
}

/* Read chunk K into SL, classify its blocks, compute its checksum. */
static int
read_chunk (struct disk *d, uint64_t k, struct slot *sl)
{
  uint64_t off = k * P2V_CHUNK;
  uint64_t n = d->size - off < P2V_CHUNK ? d->size - off : P2V_CHUNK;
  uint64_t nb = (n + P2V_BLOCK - 1) / P2V_BLOCK;

  sl->k = k;
  sl->len = n;
  /* Runs of blocks to read: skip the unused ones. */
  for (uint64_t b = 0; b < nb; ) {
    uint64_t e = b;
    bool unused = d->have_map && p2v_fsmap_unused (&d->map, off / P2V_BLOCK + b);
    while (e < nb && (d->have_map && p2v_fsmap_unused (&d->map, off / P2V_BLOCK + e)) == unused)
      e++;
    uint64_t s = b * P2V_BLOCK, t = e * P2V_BLOCK < n ? e * P2V_BLOCK : n;
    for (uint64_t i = b; i < e; i++)
      sl->kind[i] = unused ? 2 : 0;
    if (!unused && read_used (d, sl, off, s, t) == -1)
      return -1;
    b = e;
  }
  for (uint64_t b = 0; b < nb; b++) {
    uint64_t s = b * P2V_BLOCK, l = n - s < P2V_BLOCK ? n - s : P2V_BLOCK;
    if (sl->kind[b] == 0 && p2v_is_zero (sl->buf + s, l))
      sl->kind[b] = 1;
    if (p2v_block_digest (sl->buf + s, l, sl->kind[b] != 0, sl->digests + 32 * b) == -1)
      return -1;
  }
  return p2v_chunk_sum (sl->digests, nb, sl->hex);
}

/* What a chunk adds to the progress counters. */
static void
count_chunk (struct disk *d, const struct slot *sl, bool resent)
{
  uint64_t nb = (sl->len + P2V_BLOCK - 1) / P2V_BLOCK;

  if (resent) {
    d->pr.resent += sl->len;
    return;
  }
  for (uint64_t b = 0; b < nb; b++) {
    uint64_t bl = b * P2V_BLOCK + P2V_BLOCK <= sl->len ? P2V_BLOCK
      : sl->len - b * P2V_BLOCK;
    if (sl->kind[b] == 0)
      d->pr.data += bl;
    else if (sl->kind[b] == 1)
      d->pr.zero += bl;
    else
      d->pr.skipped += bl;
  }
}

static int
check_done (void *opaque, int *error)
{
  struct nbd_conn *n = opaque;

  if (*error && n->write_error == 0)
    n->write_error = *error;
  return 1;                     /* retire the command */
}

/* Write the chunk in SL on connection N: data as writes, zero and unused
 * blocks as zero requests (which the receiver may turn into holes), and
 * wait until every request completed. */
static int
write_chunk (struct disk *d, struct nbd_conn *n, const struct slot *sl)
{
  uint64_t off = sl->k * P2V_CHUNK;
  uint64_t len = sl->len;
  uint64_t nb = (len + P2V_BLOCK - 1) / P2V_BLOCK;

  for (uint64_t b = 0; b < nb; ) {
    bool data = sl->kind[b] == 0;
    uint64_t e = b + 1;
    while (e < nb && (sl->kind[e] == 0) == data
           && (e - b) * P2V_BLOCK < (data ? MAX_WRITE : MAX_ZERO))
      e++;
    uint64_t s = b * P2V_BLOCK, t = e * P2V_BLOCK < len ? e * P2V_BLOCK : len;
    nbd_completion_callback cb = { .callback = check_done, .user_data = n };
    int64_t r;
    /* Several requests in flight: the receiver stores one while the next
     * is encrypted and sent. */
    while (nbd_aio_in_flight (n->nbd) >= MAX_IN_FLIGHT)
      if (nbd_wait (n, d->path) == -1)
        return -1;
    r = data
      ? nbd_aio_pwrite (n->nbd, sl->buf + s, t - s, off + s, cb, 0)
      : nbd_aio_zero (n->nbd, t - s, off + s, cb, 0);
    if (r == -1)
      goto nbd_error;
    b = e;
  }
  while (nbd_aio_in_flight (n->nbd) > 0)
    if (nbd_wait (n, d->path) == -1)
      return -1;
  if (n->write_error) {
    core_error ("%s: NBD write in chunk %llu: %s", d->path,
                (unsigned long long) sl->k, strerror (n->write_error));
    return -1;
  }
  return 0;

 nbd_error:
  core_error ("%s: NBD: %s", d->path, nbd_get_error ());
  return -1;
}

static void
ring_push (struct sum_ring *r, const struct sum_entry *e)
{
  r->e[(r->head + r->len) % MAX_PENDING] = *e;
  r->len++;
}

static struct sum_entry
ring_pop (struct sum_ring *r)
{
  struct sum_entry e = r->e[r->head];

  r->head = (r->head + 1) % MAX_PENDING;
  r->len--;
  return e;
}

struct worker {
  struct cap *c;
  struct nbd_conn *n;
  struct slot *sl;
};

/* A worker thread: takes the next chunk, reads and sums it, and unless
 * the receiver has it already, sends it on the worker's NBD connection;
 * the chunk's checksum is asked only once all of its requests completed,
 * so the receiver reads back what was written. */
static void *
worker_thread (void *opaque)
{
  struct worker *w = opaque;
  struct cap *c = w->c;
  struct disk *d = &c->disks[c->disk];
  struct slot *sl = w->sl;

  pthread_mutex_lock (&c->lock);
  for (;;) {
    struct sum_entry e;
    uint64_t k;

    while (!c->failed && c->next < c->nlist && c->pending >= MAX_PENDING)
      pthread_cond_wait (&c->cond, &c->lock);
    if (c->failed || c->next >= c->nlist)
      break;
    k = c->list ? c->list[c->next] : c->next;
    c->next++;
    c->pending++;
    pthread_mutex_unlock (&c->lock);

    if (read_chunk (d, k, sl) == -1)
      goto failed;
    if (!c->resend && strcmp (d->confirmed[k], sl->hex) == 0) {
      pthread_mutex_lock (&c->lock);
      d->pr.resumed += sl->len;
      d->pr.done += sl->len;
      c->pending--;
      pthread_cond_broadcast (&c->cond);
      continue;
    }
    if (c->resend)
      notify (c, CORE_NOTICE_WARNING, "%s: chunk %llu: checksum mismatch, "
              "sending it again", d->path, (unsigned long long) k);
    if (write_chunk (d, w->n, sl) == -1)
      goto failed;
    e.k = k;
    memcpy (e.hex, sl->hex, sizeof e.hex);
    pthread_mutex_lock (&c->lock);
    count_chunk (d, sl, c->resend);
    if (!c->resend)
      d->pr.done += sl->len;
    ring_push (&c->tosend, &e);
    pthread_cond_broadcast (&c->cond);
  }
  pthread_mutex_unlock (&c->lock);
  return NULL;

 failed:
  fail (c);
  return NULL;
}

/* The receiver's answer to SUM for E: 1 confirmed, 0 mismatch, -1 error. */
static int
sum_reply (struct cap *c, struct disk *d, const struct sum_entry *e)
{
  CLEANUP_FREE char *line = p2v_conn_getline (c->conn);

  if (line == NULL) {
    char why[1024];
    snprintf (why, sizeof why, "%s", core_errmsg ());
    core_error ("%s: chunk %llu: %s", d->path, (unsigned long long) e->k, why);
    return -1;
  }
  if (strcmp (line, "OK") == 0)
    return 1;
  if (strncmp (line, "MISMATCH", 8) == 0)
    return 0;
  {
    char safe[1100];
    if (strncmp (line, "ERR ", 4) == 0)
      core_error ("%s: chunk %llu: the receiver says: %s", d->path,
                  (unsigned long long) e->k,
                  core_escape (line + 4, strlen (line + 4), safe, sizeof safe));
    else
      core_error ("%s: chunk %llu: unexpected reply '%s'", d->path,
                  (unsigned long long) e->k, core_escape (line, strlen (line), safe, 100));
  }
  return -1;
}

/* The control thread: the only one on the control connection.  It sends
 * the checksums of written chunks as they come and reads an answer only
 * when it has nothing to send, so the receiver verifies chunks while the
 * next ones are read and written.  A chunk counts as confirmed only on
 * the receiver's OK. */
static void *
control_thread (void *opaque)
{
  struct cap *c = opaque;
  struct disk *d = &c->disks[c->disk];

  pthread_mutex_lock (&c->lock);
  for (;;) {
    struct sum_entry e;
    int r;

    while (!c->failed && c->tosend.len == 0 && c->asked.len == 0
           && !(c->closing && c->pending == 0)) {
      if (c->ping > 0 && core_monotonic () - c->last_sent >= c->ping)
        break;
      if (c->ping > 0) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait (&c->cond, &c->lock, &ts);
      }
      else
        pthread_cond_wait (&c->cond, &c->lock);
    }
    if (c->failed || (c->closing && c->pending == 0))
      break;
    if (c->tosend.len > 0 || c->asked.len == 0) {
      char line[64 + P2V_SUM_HEX];

      if (c->tosend.len > 0) {
        e = ring_pop (&c->tosend);
        ring_push (&c->asked, &e);
        snprintf (line, sizeof line, "SUM %zu %llu %s", c->disk,
                  (unsigned long long) e.k, e.hex);
      }
      else
        /* Silent for a while (the chunks are read, and found confirmed
         * already): tell the receiver the capture goes on. */
        snprintf (line, sizeof line, "NOOP");
      pthread_mutex_unlock (&c->lock);
      r = p2v_conn_printf (c->conn, "%s", line);
      c->last_sent = core_monotonic ();
      pthread_mutex_lock (&c->lock);
      if (r == -1) {
        pthread_mutex_unlock (&c->lock);
        fail (c);
        pthread_mutex_lock (&c->lock);
        break;
      }
      continue;
    }
    e = c->asked.e[c->asked.head];
    pthread_mutex_unlock (&c->lock);
    r = sum_reply (c, d, &e);
    if (r == -1) {
      fail (c);
      pthread_mutex_lock (&c->lock);
      break;
    }
    pthread_mutex_lock (&c->lock);
    ring_pop (&c->asked);
    if (r == 1)
      memcpy (d->confirmed[e.k], e.hex, sizeof e.hex);
    else
      c->redo[c->nredo++] = e.k;
    c->pending--;
    pthread_cond_broadcast (&c->cond);
  }
  pthread_mutex_unlock (&c->lock);
  return NULL;
}

static void *
opaque_of (const struct cap *c)
{
  return c->o->notify ? c->o->notify->opaque : NULL;
}

static void
progress (struct cap *c, struct disk *d)
{
  if (c->o->progress)
    c->o->progress (opaque_of (c), &d->pr);
}

/* Send chunks LIST[0..N) of disk I (all of them when LIST is NULL) and
 * have each confirmed: a worker thread per NBD connection reads, sums
 * and writes chunks; a control thread asks for their checksums; this
 * thread reports progress.  With RESEND, chunks are sent whatever the
 * receiver has (after a mismatch); otherwise a chunk confirmed with the
 * same checksum is skipped.  Mismatched chunks end up in c->redo. */
static int
run_chunks (struct cap *c, size_t i, const uint64_t *list, uint64_t n,
            bool resend)
{
  struct disk *d = &c->disks[i];
  struct worker w[NBD_CONNS];
  pthread_t wt[NBD_CONNS], ct;
  size_t nwt = 0;
  bool have_ct = false;
  uint64_t shown = d->pr.done;  /* the caller showed it */
  int ret = 0;

  c->disk = i;
  c->list = list;
  c->nlist = n;
  c->next = 0;
  c->resend = resend;
  c->tosend.head = c->tosend.len = c->asked.head = c->asked.len = 0;
  c->pending = 0;
  c->closing = c->failed = false;
  c->nredo = 0;
  c->last_sent = core_monotonic ();
  if (pthread_create (&ct, NULL, control_thread, c) != 0) {
    core_error ("cannot start a thread");
    fail (c);
    goto join;
  }
  have_ct = true;
  for (size_t t = 0; t < NBD_CONNS; t++) {
    w[t] = (struct worker) { .c = c, .n = &d->nbd[t], .sl = &c->slots[t] };
    if (pthread_create (&wt[t], NULL, worker_thread, &w[t]) != 0) {
      core_error ("cannot start a thread");
      fail (c);
      goto join;
    }
    nwt++;
  }

  pthread_mutex_lock (&c->lock);
  while (!c->failed && !(c->next >= c->nlist && c->pending == 0)) {
    struct timespec ts;

    if (d->pr.done != shown) {
      struct p2v_disk_progress pr = d->pr;
      shown = pr.done;
      pthread_mutex_unlock (&c->lock);
      if (c->o->progress)
        c->o->progress (opaque_of (c), &pr);
      pthread_mutex_lock (&c->lock);
      continue;
    }
    if (core_cancelled (c->o->notify)) {
      fail_locked (c, "interrupted");
      break;
    }
    /* Woken by every change; the timeout is for *stop. */
    clock_gettime (CLOCK_REALTIME, &ts);
    ts.tv_nsec += 200 * 1000 * 1000;
    if (ts.tv_nsec >= 1000 * 1000 * 1000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000 * 1000 * 1000;
    }
    pthread_cond_timedwait (&c->cond, &c->lock, &ts);
  }
  pthread_mutex_unlock (&c->lock);

 join:
  pthread_mutex_lock (&c->lock);
  c->closing = true;
  pthread_cond_broadcast (&c->cond);
  pthread_mutex_unlock (&c->lock);
  for (size_t t = 0; t < nwt; t++)
    pthread_join (wt[t], NULL);
  if (have_ct)
    pthread_join (ct, NULL);
  if (c->failed) {
    core_error ("%s", c->err);
    ret = -1;
  }
  return ret;
}

/* One pass over disk I: every chunk not confirmed with the same checksum
 * is sent and confirmed; mismatched chunks are sent again at the end of
 * the pass. */
static int
pass (struct cap *c, size_t i)
{
  struct disk *d = &c->disks[i];
  CLEANUP_FREE uint64_t *redo = NULL;
  int t;

  /* A filesystem mounted on a block device writes its data around the
   * device's page cache: drop what an earlier pass cached, so that the
   * frozen pass reads what is on the disk now.  An image file's page
   * cache is the file's own, and current. */
  if (!d->is_file)
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
      notify (c, CORE_NOTICE_INFO, "%s: %s: %llu MiB unused", d->path,
              d->map.areas.ptr[a].what,
              (unsigned long long) (d->map.areas.ptr[a].unused >> 20));
    if (d->map.areas.len == 0)
      notify (c, CORE_NOTICE_INFO, "%s: no ext2/3/4 or swap found: every "
              "block is sent", d->path);
  }
  free (c->redo);
  c->redo = calloc (d->nchunks, sizeof *c->redo);
  redo = calloc (d->nchunks, sizeof *redo);
  if (c->redo == NULL || redo == NULL) {
    core_error ("out of memory");
    return -1;
  }
  progress (c, d);
  if (run_chunks (c, i, NULL, d->nchunks, false) == -1)
    return -1;
  for (t = 0; t < MAX_TRIES && c->nredo > 0; t++) {
    size_t n = c->nredo;
    memcpy (redo, c->redo, n * sizeof *redo);
    if (run_chunks (c, i, redo, n, true) == -1)
      return -1;
  }
  if (c->nredo > 0) {
    core_error ("%s: chunk %llu: checksums still differ after %d tries",
                d->path, (unsigned long long) c->redo[0], MAX_TRIES);
    return -1;
  }
  d->pr.finished = true;
  progress (c, d);
  return 0;
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
    for (size_t t = 0; t < NBD_CONNS; t++) {
      struct nbd_conn *n = &c->disks[i].nbd[t];
      if (n->nbd && n->fd >= 0 && p2v_tcp_bytes (n->fd, &s, &r) == 0) {
        c->res->wire_sent += s;
        c->res->wire_received += r;
        n->fd = -1;
      }
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

/* The receiver's key for this session's disks, TOK "IDENTITY:HEXKEY",
 * into a memory file (never on disk) that libnbd reads as
 * /proc/self/fd/N. */
static int
session_psk (struct cap *c, const char *tok)
{
  const char *colon = tok ? strchr (tok, ':') : NULL;
  size_t ulen = colon ? (size_t) (colon - tok) : 0;
  size_t klen = colon ? strlen (colon + 1) : 0;
  CLEANUP_FREE char *line = NULL;

  if (colon == NULL || ulen == 0 || ulen >= sizeof c->nbd_user
      || strspn (tok, "abcdefghijklmnopqrstuvwxyz0123456789-") != ulen
      || klen < 32 || klen % 2
      || strspn (colon + 1, "0123456789abcdef") != klen) {
    core_error ("CAPTURE: the receiver gave no key for its disks (a "
                "receiver of another version?)");
    return -1;
  }
  memcpy (c->nbd_user, tok, ulen);
  c->nbd_user[ulen] = '\0';
  line = core_sprintf ("%s\n", tok);
  if (line == NULL)
    return -1;
  c->nbd_psk_fd = memfd_create ("p2vkit-psk", MFD_CLOEXEC);
  if (c->nbd_psk_fd == -1) {
    core_error_errno ("memfd_create");
    return -1;
  }
  c->nbd_psk_open = true;
  if (write (c->nbd_psk_fd, line, strlen (line)) != (ssize_t) strlen (line)) {
    core_error_errno ("the session's key");
    memset (line, 0, strlen (line));
    return -1;
  }
  memset (line, 0, strlen (line));
  snprintf (c->nbd_psk_path, sizeof c->nbd_psk_path, "/proc/self/fd/%d",
            c->nbd_psk_fd);
  return 0;
}

static int
announce (struct cap *c)
{
  const struct p2v_capture_options *o = c->o;
  size_t plen = strlen (o->profile_yaml);
  CLEANUP_FREE char *ok = NULL;
  char *save = NULL, *tok;
  const char *ports[P2V_MAX_DISKS];

  if (p2v_conn_printf (c->conn, "%s", P2V_PROTOCOL) == -1)
    return -1;
  free (ok);
  if ((ok = expect_ok (c, "greeting")) == NULL)
    return -1;
  /* "OK IDLE SECONDS": NOOP well within it. */
  {
    double idle;
    if (sscanf (ok, "OK IDLE %lf", &idle) == 1 && idle >= 1 && idle <= 1e6)
      c->ping = idle / 4 >= 1 ? idle / 4 : 1;
  }
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
  /* "OK PORT0 PORT1 ...", then with TLS "IDENTITY:HEXKEY", the key of
   * this session's disks. */
  tok = strtok_r (ok + 2, " ", &save);
  for (size_t i = 0; i < c->ndisks; i++, tok = strtok_r (NULL, " ", &save)) {
    int64_t port;
    if (tok == NULL || core_parse_int64 (tok, "NBD port", 1, 65535, &port) == -1) {
      core_error ("CAPTURE: the receiver gave no NBD port for disk %zu", i);
      return -1;
    }
    ports[i] = tok;
  }
  if (o->psk) {
    int r = session_psk (c, tok);
    if (tok)
      memset (tok, 0, strlen (tok));
    if (r == -1)
      return -1;
  }
  for (size_t i = 0; i < c->ndisks; i++) {
    for (size_t t = 0; t < NBD_CONNS; t++)
      if (connect_nbd (c, &c->disks[i], &c->disks[i].nbd[t], ports[i]) == -1)
        return -1;
    if (o->resume && read_map (c, i) == -1)
      return -1;
  }
  /* Only connecting reads the key. */
  if (c->nbd_psk_open) {
    close (c->nbd_psk_fd);
    c->nbd_psk_open = false;
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
  pthread_mutex_init (&c.lock, NULL);
  pthread_cond_init (&c.cond, NULL);
  c.disks = calloc (c.ndisks, sizeof *c.disks);
  if (c.disks == NULL) {
    core_error ("out of memory");
    goto out;
  }
  for (size_t s = 0; s < NBD_CONNS; s++) {
    c.slots[s].buf = malloc (P2V_CHUNK);
    c.slots[s].kind = malloc (P2V_CHUNK / P2V_BLOCK);
    c.slots[s].digests = malloc (32 * (P2V_CHUNK / P2V_BLOCK));
    if (c.slots[s].buf == NULL || c.slots[s].kind == NULL
        || c.slots[s].digests == NULL) {
      core_error ("out of memory");
      goto out;
    }
  }
  for (size_t i = 0; i < c.ndisks; i++) {
    c.disks[i].fd = -1;
    for (size_t t = 0; t < NBD_CONNS; t++)
      c.disks[i].nbd[t].fd = -1;
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
  if (p2v_tcp_keepalive (fd, idle_timeout (o)) == -1) {
    close (fd);
    goto out;
  }
  c.conn = p2v_conn_client_until (fd, o->psk, core_monotonic (),
                                  idle_timeout (o) < P2V_HANDSHAKE_TIMEOUT
                                  ? idle_timeout (o) : P2V_HANDSHAKE_TIMEOUT);
  if (c.conn) {
    p2v_conn_set_deadline (c.conn, 0);
    p2v_conn_set_idle (c.conn, idle_timeout (o));
  }
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
      notify (&c, CORE_NOTICE_INFO, "freezing the mounted filesystems for the "
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
      notify (&c, CORE_NOTICE_INFO, "thawed");
      /* The second pass's resumed bytes are the first pass's sends. */
      for (size_t i = 0; i < c.ndisks; i++)
        c.disks[i].pr.resumed = 0;
    }
  }
  /* The NBD connections end first: the receiver stops its servers and
   * converts the images on DONE. */
  wire_bytes (&c);
  for (size_t i = 0; i < c.ndisks; i++)
    for (size_t t = 0; t < NBD_CONNS; t++) {
      struct nbd_conn *n = &c.disks[i].nbd[t];
      /* nbd_shutdown would wait without a limit: a receiver that went
       * silent right at the end must fail the capture, resumable, not
       * hang it.  The same steps, each wait bounded by the idle limit. */
      while (nbd_aio_in_flight (n->nbd) > 0)
        if (nbd_wait (n, c.disks[i].path) == -1)
          goto out;
      if (nbd_aio_disconnect (n->nbd, 0) == -1) {
        core_error ("%s: NBD: %s", c.disks[i].path, nbd_get_error ());
        goto out;
      }
      while (!nbd_aio_is_closed (n->nbd) && !nbd_aio_is_dead (n->nbd))
        if (nbd_wait (n, c.disks[i].path) == -1)
          goto out;
      if (nbd_aio_is_dead (n->nbd)) {
        core_error ("%s: NBD: the connection failed while closing", c.disks[i].path);
        goto out;
      }
      nbd_close (n->nbd);
      n->nbd = NULL;
    }
  {
    CLEANUP_FREE char *ok = NULL;
    /* The receiver converts the images before it answers, which takes
     * as long as it takes: only TCP keepalive watches it then. */
    p2v_conn_set_idle (c.conn, 0);
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
  {
    /* Counting bytes on a connection that died (libnbd closed it) fails
     * too; the error to report is the one that ended the capture. */
    char why[1024];
    snprintf (why, sizeof why, "%s", core_errmsg ());
    wire_bytes (&c);
    wire_bytes_control (&c);
    if (ret == -1)
      core_error ("%s", why);
  }
  for (size_t i = 0; c.disks && i < c.ndisks; i++) {
    struct disk *d = &c.disks[i];
    for (size_t t = 0; t < NBD_CONNS; t++) {
      if (d->nbd[t].nbd)
        nbd_close (d->nbd[t].nbd);
      else if (d->nbd[t].fd >= 0)
        close (d->nbd[t].fd);
    }
    if (d->fd >= 0)
      close (d->fd);
    free (d->label);
    free (d->confirmed);
    core_string_vector_free (&d->rw_mounts);
    p2v_fsmap_clear (&d->map);
  }
  p2v_conn_free (c.conn);
  if (c.nbd_psk_open)
    close (c.nbd_psk_fd);
  free (c.disks);
  free (c.redo);
  for (size_t s = 0; s < NBD_CONNS; s++) {
    free (c.slots[s].buf);
    free (c.slots[s].kind);
    free (c.slots[s].digests);
  }
  pthread_cond_destroy (&c.cond);
  pthread_mutex_destroy (&c.lock);
  return ret;
}
