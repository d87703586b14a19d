/* The control channel: lines over TCP, inside TLS with a pre-shared key
 * (gnutls, the library libnbd and qemu-nbd use for the same key file)
 * when a key is given. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__aarch64__)
#include <sys/auxv.h>
#include <asm/hwcap.h>
#endif

#include <linux/tcp.h>

#include <gnutls/gnutls.h>

#include "p2v/p2v.h"

/* The key file, refused when others than its owner may read or write it
 * (as ssh refuses such a private key: whoever reads it can send captures
 * and write to a receiver) and when its lines end in CR LF (gnutls would
 * take the CR as part of the key). */
static char *
psk_file_read (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  char *buf;
  size_t len = 0;
  const size_t max = 64 * 1024;

  if (fd == -1 || fstat (fd, &st) == -1) {
    core_error_errno ("%s", path);
    if (fd >= 0)
      close (fd);
    return NULL;
  }
  if (!S_ISREG (st.st_mode)) {
    core_error ("%s: not a regular file", path);
    close (fd);
    return NULL;
  }
  if (st.st_mode & 077) {
    core_error ("%s: permissions %04o are too open: a pre-shared key must be "
                "readable by its owner only (chmod 600 %s)", path,
                (unsigned) (st.st_mode & 07777), path);
    close (fd);
    return NULL;
  }
  buf = malloc (max + 1);
  if (buf == NULL) {
    core_error ("out of memory");
    close (fd);
    return NULL;
  }
  for (;;) {
    ssize_t r = read (fd, buf + len, max - len);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      core_error_errno ("%s", path);
      free (buf);
      close (fd);
      return NULL;
    }
    if (r == 0 || (len += r) == max)
      break;
  }
  close (fd);
  buf[len] = '\0';
  if (memchr (buf, '\r', len)) {
    const char *cr = memchr (buf, '\r', len);
    size_t line = 1;
    for (const char *p = buf; p < cr; p++)
      line += *p == '\n';
    core_error_at (path, line, 0, "line ends in CR LF (a Windows text "
                   "file); gnutls reads the CR as part of the key: convert "
                   "the file to LF line ends (dos2unix)");
    free (buf);
    return NULL;
  }
  return buf;
}

int
p2v_psk_read (const char *path, struct p2v_psk *out)
{
  CLEANUP_FREE char *buf = NULL;
  char *colon, *end;

  memset (out, 0, sizeof *out);
  buf = psk_file_read (path);
  if (buf == NULL)
    return -1;
  end = strchr (buf, '\n');
  if (end)
    *end = '\0';
  colon = strchr (buf, ':');
  if (colon == NULL || colon == buf) {
    core_error_at (path, 1, 0, "expected 'username:hexkey' (as psktool writes)");
    return -1;
  }
  *colon = '\0';
  if (strlen (colon + 1) < 32 || strspn (colon + 1, "0123456789abcdefABCDEF")
      != strlen (colon + 1) || strlen (colon + 1) % 2) {
    core_error_at (path, 1, (size_t) (colon - buf) + 2,
                   "the key must be at least 16 bytes in hex");
    return -1;
  }
  out->file = realpath (path, NULL);
  out->user = core_strdup (buf);
  out->hexkey = core_strdup (colon + 1);
  if (out->file == NULL || out->user == NULL || out->hexkey == NULL) {
    if (out->file == NULL)
      core_error_errno ("%s", path);
    p2v_psk_clear (out);
    return -1;
  }
  return 0;
}

void
p2v_psk_clear (struct p2v_psk *psk)
{
  if (psk == NULL)
    return;
  free (psk->file);
  free (psk->user);
  if (psk->hexkey)
    memset (psk->hexkey, 0, strlen (psk->hexkey));
  free (psk->hexkey);
  memset (psk, 0, sizeof *psk);
}

int
p2v_parse_addr (const char *s, char **host, char **port)
{
  const char *colon;
  size_t hlen;

  *host = *port = NULL;
  if (s[0] == '[') {
    const char *close = strchr (s, ']');
    if (close == NULL || close[1] != ':') {
      core_error ("'%s': expected [ADDRESS]:PORT", s);
      return -1;
    }
    *host = core_strndup (s + 1, close - s - 1);
    colon = close + 1;
  }
  else {
    colon = strrchr (s, ':');
    if (colon == NULL || colon == s) {
      core_error ("'%s': expected HOST:PORT", s);
      return -1;
    }
    hlen = colon - s;
    *host = core_strndup (s, hlen);
  }
  if (*host == NULL)
    return -1;
  int64_t p;
  if (core_parse_int64 (colon + 1, "port", 0, 65535, &p) == -1) {
    free (*host);
    *host = NULL;
    return -1;
  }
  *port = core_sprintf ("%lld", (long long) p);
  if (*port == NULL) {
    free (*host);
    *host = NULL;
    return -1;
  }
  return 0;
}

static struct addrinfo *
resolve (const char *host, const char *port, bool passive)
{
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                            .ai_flags = passive ? AI_PASSIVE : 0 };
  struct addrinfo *res;
  int r;

  r = getaddrinfo (host, port, &hints, &res);
  if (r != 0) {
    core_error ("%s:%s: %s", host, port, gai_strerror (r));
    return NULL;
  }
  return res;
}

/* A TCP socket connected to HOST:PORT, or (LISTENING) bound to it and
 * listening, on the first of its addresses that takes it; -1 with the
 * error of the last one tried. */
static int
tcp_socket (const char *host, const char *port, bool listening)
{
  struct addrinfo *res = resolve (host, port, listening);
  int fd = -1, one = 1;

  if (res == NULL)
    return -1;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    fd = socket (a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd == -1)
      continue;
    if (listening) {
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind (fd, a->ai_addr, a->ai_addrlen) == 0 && listen (fd, 16) == 0)
        break;
      core_error_errno ("listen on %s:%s", host, port);
    }
    else {
      if (connect (fd, a->ai_addr, a->ai_addrlen) == 0)
        break;
      core_error_errno ("connect to %s:%s", host, port);
    }
    close (fd);
    fd = -1;
  }
  freeaddrinfo (res);
  return fd;
}

int
p2v_tcp_connect (const char *host, const char *port)
{
  int fd = tcp_socket (host, port, false), one = 1;

  if (fd >= 0)
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int
p2v_tcp_listen (const char *host, const char *port)
{
  return tcp_socket (host, port, true);
}

int
p2v_socket_port (int fd, char *buf, size_t len)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char h[NI_MAXHOST];

  if (getsockname (fd, (struct sockaddr *) &ss, &sl) == -1) {
    core_error_errno ("getsockname");
    return -1;
  }
  if (getnameinfo ((struct sockaddr *) &ss, sl, h, sizeof h, buf, len,
                   NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    core_error ("getnameinfo failed");
    return -1;
  }
  return 0;
}

int
p2v_tcp_bytes (int fd, uint64_t *sent, uint64_t *received)
{
  struct tcp_info ti;
  socklen_t len = sizeof ti;

  memset (&ti, 0, sizeof ti);
  if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1) {
    core_error_errno ("TCP_INFO");
    return -1;
  }
  /* bytes_acked counts what the peer got; bytes_sent would also count
   * retransmissions, which are on the wire too. */
  *sent = ti.tcpi_bytes_sent ? ti.tcpi_bytes_sent : ti.tcpi_bytes_acked;
  *received = ti.tcpi_bytes_received;
  return 0;
}

/* Keepalive probes and a user timeout, so that a peer that vanished
 * (powered off, cable cut: no FIN, no RST) is noticed within about
 * TIMEOUT seconds instead of never: probes after TIMEOUT/2 s of silence,
 * 4 of them TIMEOUT/8 s apart; data unacknowledged for TIMEOUT s (and a
 * receive window closed that long) ends the connection too.  Accepted
 * sockets inherit these from a listening one. */
int
p2v_tcp_keepalive (int fd, double timeout)
{
  int one = 1;
  int idle = timeout / 2 >= 1 ? (int) (timeout / 2) : 1;
  int intvl = timeout / 8 >= 1 ? (int) (timeout / 8) : 1;
  int cnt = 4;
  unsigned int user = timeout * 1000 < UINT_MAX ? (unsigned) (timeout * 1000) : UINT_MAX;

  if (timeout <= 0)
    return 0;
  if (setsockopt (fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) == -1
      || setsockopt (fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) == -1
      || setsockopt (fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) == -1
      || setsockopt (fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) == -1
      || setsockopt (fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user, sizeof user) == -1) {
    core_error_errno ("TCP keepalive");
    return -1;
  }
  return 0;
}

bool
p2v_name_ok (const char *name)
{
  size_t n = strlen (name);

  if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
    return false;
  return strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789._-") == n;
}

/* ---- connections ---- */

struct p2v_conn {
  int fd;
  /* Reads and writes fail once core_monotonic () passes DEADLINE, or
   * after IDLE seconds without progress (0: no limit); TIMED_OUT says
   * which ended the connection.  LIMIT: the seconds the first deadline
   * was given as, for the error (a session may start after its clock). */
  double deadline, idle, limit;
  enum { NOT_TIMED_OUT, DEADLINE_PASSED, IDLE_TOO_LONG } timed_out;
  gnutls_session_t tls;
  gnutls_psk_client_credentials_t ccred;
  gnutls_psk_server_credentials_t scred;
  char buf[8192];
  size_t start, end;
};

/* TLS 1.3 and 1.2, PSK key exchanges only: there are no certificates.
 * With a pre-shared key TLS 1.3 can only use suites with its hash,
 * SHA-256, so NORMAL's first suite (AES-256-GCM-SHA384) is skipped and
 * ChaCha20-Poly1305 comes next: 10 x slower than AES-128-GCM on a CPU
 * with AES instructions (gnutls-cli --benchmark-ciphers).  Where the CPU
 * has them, ChaCha20 goes after AES-128-GCM. */
static const char priority_base[] =
  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+ECDHE-PSK:+DHE-PSK:+PSK";
static const char priority_aes[] =
  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+ECDHE-PSK:+DHE-PSK:+PSK"
  ":-CHACHA20-POLY1305:+CHACHA20-POLY1305";

/* AES and carry-less multiplication (GHASH) in hardware. */
static bool
aes_gcm_fast (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("aes") && __builtin_cpu_supports ("pclmul");
#elif defined(__aarch64__)
  unsigned long hw = getauxval (AT_HWCAP);
  return (hw & HWCAP_AES) && (hw & HWCAP_PMULL);
#else
  return false;
#endif
}

static const char *
priority (void)
{
  return aes_gcm_fast () ? priority_aes : priority_base;
}

/* Wait until FD is ready for EVENTS, within the connection's deadline
 * and idle limit; -1 with errno ETIMEDOUT when one passed. */
static int
wait_fd (struct p2v_conn *c, short events)
{
  double now = core_monotonic (), until = 0;

  if (c->deadline > 0)
    until = c->deadline;
  if (c->idle > 0 && (until == 0 || now + c->idle < until))
    until = now + c->idle;
  for (;;) {
    struct pollfd p = { .fd = c->fd, .events = events };
    int ms = -1, r;

    if (until > 0) {
      double left = until - core_monotonic ();
      ms = left <= 0 ? 0 : left > INT_MAX / 1000 ? INT_MAX : (int) ceil (left * 1000);
    }
    r = poll (&p, 1, ms);
    if (r > 0)
      return 0;
    if (r == -1 && errno == EINTR)
      continue;
    if (r == 0) {
      c->timed_out = c->deadline > 0 && core_monotonic () >= c->deadline
        ? DEADLINE_PASSED : IDLE_TOO_LONG;
      errno = ETIMEDOUT;
    }
    return -1;
  }
}

/* gnutls' transport: the socket, through wait_fd, so that the deadline
 * covers the handshake as a whole (gnutls' own handshake timeout applies
 * per read: a peer sending a byte now and then kept it going). */
static ssize_t
tls_pull (gnutls_transport_ptr_t p, void *buf, size_t len)
{
  struct p2v_conn *c = p;
  ssize_t r;

  if (wait_fd (c, POLLIN) == -1) {
    gnutls_transport_set_errno (c->tls, errno);
    return -1;
  }
  r = recv (c->fd, buf, len, MSG_DONTWAIT);
  if (r == -1)
    gnutls_transport_set_errno (c->tls, errno == EWOULDBLOCK ? EAGAIN : errno);
  return r;
}

static ssize_t
tls_push (gnutls_transport_ptr_t p, const void *buf, size_t len)
{
  struct p2v_conn *c = p;
  ssize_t r;

  if (wait_fd (c, POLLOUT) == -1) {
    gnutls_transport_set_errno (c->tls, errno);
    return -1;
  }
  r = send (c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (r == -1)
    gnutls_transport_set_errno (c->tls, errno == EWOULDBLOCK ? EAGAIN : errno);
  return r;
}

static int
tls_pull_timeout (gnutls_transport_ptr_t p, unsigned int ms)
{
  struct p2v_conn *c = p;
  struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
  int r;

  if (ms == GNUTLS_INDEFINITE_TIMEOUT)
    return wait_fd (c, POLLIN) == 0 ? 1 : -1;
  do
    r = poll (&pfd, 1, ms > INT_MAX ? INT_MAX : (int) ms);
  while (r == -1 && errno == EINTR);
  return r;
}

/* Without a deadline of its own, the handshake has this long. */
#define HANDSHAKE_TIMEOUT 30

static int
handshake (struct p2v_conn *c)
{
  double saved = c->deadline;
  int r;

  if (c->deadline == 0) {
    c->deadline = core_monotonic () + HANDSHAKE_TIMEOUT;
    c->limit = HANDSHAKE_TIMEOUT;
  }
  gnutls_transport_set_ptr (c->tls, c);
  gnutls_transport_set_pull_function (c->tls, tls_pull);
  gnutls_transport_set_pull_timeout_function (c->tls, tls_pull_timeout);
  gnutls_transport_set_push_function (c->tls, tls_push);
  gnutls_handshake_set_timeout (c->tls, 0);
  do
    r = gnutls_handshake (c->tls);
  while (r < 0 && !gnutls_error_is_fatal (r));
  if (r < 0 && c->timed_out) {
    core_error ("TLS handshake not finished within %.0f s", c->limit);
    return -1;
  }
  c->deadline = saved;
  if (r < 0) {
    core_error ("TLS handshake failed (a different pre-shared key, or the "
                "other end does not use TLS): %s", gnutls_strerror (r));
    return -1;
  }
  return 0;
}

static struct p2v_conn *
conn_new (int fd)
{
  struct p2v_conn *c = calloc (1, sizeof *c);

  if (c == NULL) {
    core_error ("out of memory");
    close (fd);
    return NULL;
  }
  c->fd = fd;
  return c;
}

struct p2v_conn *
p2v_conn_client (int fd, const struct p2v_psk *psk)
{
  return p2v_conn_client_until (fd, psk, 0, 0);
}

struct p2v_conn *
p2v_conn_server (int fd, const struct p2v_psk *psk)
{
  return p2v_conn_server_until (fd, psk, 0, 0);
}

/* The TLS session of C as FLAGS says (client or server) with the PSK
 * credentials CRED, whose setup answered R, and its handshake: C, or NULL
 * (said, C freed). */
static struct p2v_conn *
tls_start (struct p2v_conn *c, int r, unsigned flags, void *cred)
{
  if (r >= 0
      && (r = gnutls_init (&c->tls, flags | GNUTLS_NO_SIGNAL)) >= 0
      && (r = gnutls_priority_set_direct (c->tls, priority (), NULL)) >= 0)
    r = gnutls_credentials_set (c->tls, GNUTLS_CRD_PSK, cred);
  if (r < 0) {
    core_error ("TLS setup: %s", gnutls_strerror (r));
    p2v_conn_free (c);
    return NULL;
  }
  if (handshake (c) == -1) {
    p2v_conn_free (c);
    return NULL;
  }
  return c;
}

struct p2v_conn *
p2v_conn_client_until (int fd, const struct p2v_psk *psk, double since,
                     double seconds)
{
  struct p2v_conn *c = conn_new (fd);
  gnutls_datum_t key;
  int r;

  if (c && seconds > 0) {
    c->deadline = since + seconds;
    c->limit = seconds;
  }
  if (c == NULL || psk == NULL)
    return c;
  key.data = (unsigned char *) psk->hexkey;
  key.size = strlen (psk->hexkey);
  if ((r = gnutls_psk_allocate_client_credentials (&c->ccred)) >= 0)
    r = gnutls_psk_set_client_credentials (c->ccred, psk->user, &key,
                                           GNUTLS_PSK_KEY_HEX);
  return tls_start (c, r, GNUTLS_CLIENT, c->ccred);
}

struct p2v_conn *
p2v_conn_server_until (int fd, const struct p2v_psk *psk, double since,
                     double seconds)
{
  struct p2v_conn *c = conn_new (fd);
  int r;

  if (c && seconds > 0) {
    c->deadline = since + seconds;
    c->limit = seconds;
  }
  if (c == NULL || psk == NULL)
    return c;
  if ((r = gnutls_psk_allocate_server_credentials (&c->scred)) >= 0)
    r = gnutls_psk_set_server_credentials_file (c->scred, psk->file);
  return tls_start (c, r, GNUTLS_SERVER, c->scred);
}

void
p2v_conn_free (struct p2v_conn *c)
{
  if (c == NULL)
    return;
  if (c->tls) {
    /* Not to a peer that stopped answering: it would wait once more. */
    if (c->timed_out == NOT_TIMED_OUT)
      gnutls_bye (c->tls, GNUTLS_SHUT_WR);
    gnutls_deinit (c->tls);
  }
  if (c->ccred)
    gnutls_psk_free_client_credentials (c->ccred);
  if (c->scred)
    gnutls_psk_free_server_credentials (c->scred);
  if (c->fd >= 0)
    close (c->fd);
  free (c);
}

int
p2v_conn_fd (const struct p2v_conn *c)
{
  return c->fd;
}

void
p2v_conn_set_deadline (struct p2v_conn *c, double deadline)
{
  c->deadline = deadline;
}

void
p2v_conn_set_idle (struct p2v_conn *c, double seconds)
{
  c->idle = seconds;
}

bool
p2v_conn_timed_out (const struct p2v_conn *c)
{
  return c != NULL && c->timed_out != NOT_TIMED_OUT;
}

/* The error for a read or write that ended at a limit. */
static void
timeout_error (struct p2v_conn *c, const char *what)
{
  if (c->timed_out == DEADLINE_PASSED)
    core_error ("%s: the handshake's time limit passed", what);
  else
    core_error ("no data from the other end for %.0f s", c->idle);
}

const char *
p2v_conn_cipher (const struct p2v_conn *c)
{
  if (c->tls == NULL)
    return NULL;
  return gnutls_cipher_get_name (gnutls_cipher_get (c->tls));
}

/* One send (OUT) or receive of up to LEN bytes: their count, 0 at the end
 * of a receive, or -1 with the error set.  Again while nothing could move
 * yet or a signal came. */
static ssize_t
transfer (struct p2v_conn *c, bool out, void *buf, size_t len)
{
  const char *what = out ? "send" : "receive";
  ssize_t r;

  for (;;) {
    if (c->tls) {
      r = out ? gnutls_record_send (c->tls, buf, len)
        : gnutls_record_recv (c->tls, buf, len);
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        continue;
      if (!out && r == GNUTLS_E_PREMATURE_TERMINATION)
        r = 0;
      if (r < 0 && c->timed_out) {
        timeout_error (c, what);
        return -1;
      }
      if (r < 0) {
        core_error ("%s: %s", what, gnutls_strerror (r));
        return -1;
      }
      return r;
    }
    if (wait_fd (c, out ? POLLOUT : POLLIN) == -1) {
      if (c->timed_out)
        timeout_error (c, what);
      else
        core_error_errno ("%s", what);
      return -1;
    }
    r = out ? send (c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT)
      : recv (c->fd, buf, len, MSG_DONTWAIT);
    if (r == -1 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
      continue;
    if (r == -1) {
      core_error_errno ("%s", what);
      return -1;
    }
    return r;
  }
}

int
p2v_conn_write (struct p2v_conn *c, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0) {
    ssize_t r = transfer (c, true, (void *) p, len);

    if (r == -1)
      return -1;
    p += r;
    len -= r;
  }
  return 0;
}

int
p2v_conn_printf (struct p2v_conn *c, const char *fmt, ...)
{
  char line[P2V_MAX_LINE + 2];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (line, sizeof line - 1, fmt, ap);
  va_end (ap);
  if (n < 0 || (size_t) n >= sizeof line - 1) {
    core_error ("protocol line too long");
    return -1;
  }
  line[n++] = '\n';
  return p2v_conn_write (c, line, n);
}

/* Refill the buffer; 0 on EOF. */
static ssize_t
fill (struct p2v_conn *c)
{
  ssize_t r;

  if (c->start > 0) {
    memmove (c->buf, c->buf + c->start, c->end - c->start);
    c->end -= c->start;
    c->start = 0;
  }
  r = transfer (c, false, c->buf + c->end, sizeof c->buf - c->end);
  if (r == -1)
    return -1;
  c->end += r;
  return r;
}

char *
p2v_conn_getline (struct p2v_conn *c)
{
  for (;;) {
    char *nl = memchr (c->buf + c->start, '\n', c->end - c->start);
    ssize_t r;

    if (nl) {
      size_t n = nl - (c->buf + c->start);
      char *line;

      if (memchr (c->buf + c->start, '\0', n)) {
        core_error ("protocol line holds a NUL byte");
        return NULL;
      }
      line = core_strndup (c->buf + c->start, n);
      c->start += n + 1;
      return line;
    }
    if (c->end - c->start > P2V_MAX_LINE) {
      core_error ("protocol line longer than %d bytes", P2V_MAX_LINE);
      return NULL;
    }
    r = fill (c);
    if (r == -1)
      return NULL;
    if (r == 0) {
      core_error ("connection closed by the other end");
      return NULL;
    }
  }
}

int
p2v_conn_read (struct p2v_conn *c, void *buf, size_t len)
{
  char *p = buf;

  while (len > 0) {
    size_t have = c->end - c->start;
    ssize_t r;

    if (have > 0) {
      size_t n = have < len ? have : len;
      memcpy (p, c->buf + c->start, n);
      c->start += n;
      p += n;
      len -= n;
      continue;
    }
    r = fill (c);
    if (r == -1)
      return -1;
    if (r == 0) {
      core_error ("connection closed by the other end");
      return -1;
    }
  }
  return 0;
}
