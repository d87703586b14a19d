/* The capture step of a server reached over OpenSSH.
 *
 * Here: `p2vkit receive --once` in the background, with a TLS key made for
 * the run.  There, through one ssh connection: the static capture program
 * arrives on the remote shell's standard input (its length known in
 * advance), lands in a private temporary folder and runs, sending the
 * disks straight to the receiver (NBD over TLS, not through ssh: ssh's
 * single stream would halve the rate).  The rest of the standard input
 * stays open: when it ends (this process or ssh gone), the remote shell
 * stops the capture, and its exit trap removes the folder.  The capture's
 * lines come back on ssh's standard error as notices.
 *
 * The key follows the program on standard input, one line that the
 * remote shell's read builtin takes (never on a command line, which other
 * users of the server could see), into a file of mode 600 in the private
 * folder. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migrate/migrate.h"

#if defined(__x86_64__)
#define CAPTURE_ARCH "x86_64"
#elif defined(__aarch64__)
#define CAPTURE_ARCH "aarch64"
#else
#define CAPTURE_ARCH ""
#endif

/* Bounds on what is kept of a line and waited for. */
#define MAX_LINE 4096
#define MAX_CAPTURE (256 << 20)         /* the program copied */
#define LISTEN_SECONDS 60.0             /* the receiver's "listening" line */
#define STOP_SECONDS 30.0               /* a stopped child's exit */

/* ARG single-quoted for the remote shell, with a space before. */
static int
append_quoted (core_buffer *b, const char *arg)
{
  if (core_buffer_add (b, " ", 1) == -1)
    return -1;
  return core_buffer_add_shell_word (b, arg);
}

static int
append_str (core_buffer *b, const char *s)
{
  return core_buffer_add (b, s, strlen (s));
}

/* A capture name as the receiver takes it (p2v_name_ok's rule). */
static bool
name_ok (const char *s)
{
  size_t n = s ? strlen (s) : 0;

  if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
    return false;
  return strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789._-") == n;
}

/* Lines of a child's pipe, read as they come. */
struct lines {
  int fd;                       /* -1 once at its end */
  char buf[MAX_LINE];
  size_t len;
};

/* FN on the line in L, made safe to show (the server's lines are its
 * own: no control characters reach a terminal or log from them). */
static void
emit (struct lines *l, void (*fn) (void *opaque, char *line), void *opaque)
{
  char safe[MAX_LINE * 4 + 1];

  core_escape (l->buf, l->len, safe, sizeof safe);
  l->len = 0;
  fn (opaque, safe);
}

/* Read what FD has; call FN for each whole line (a line beyond MAX_LINE
 * is cut).  0, or -1 at the end of the pipe. */
static int
lines_read (struct lines *l, void (*fn) (void *opaque, char *line),
            void *opaque)
{
  char tmp[4096];
  ssize_t r = read (l->fd, tmp, sizeof tmp);

  if (r == -1 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (r <= 0) {
    if (l->len)
      emit (l, fn, opaque);
    close (l->fd);
    l->fd = -1;
    return -1;
  }
  for (ssize_t i = 0; i < r; i++) {
    /* A terminal's progress redraws end in '\r'. */
    if (tmp[i] == '\n' || tmp[i] == '\r') {
      if (l->len)
        emit (l, fn, opaque);
    }
    else if (l->len < sizeof l->buf - 1)
      l->buf[l->len++] = tmp[i];
  }
  return 0;
}

static void
close_lines (struct lines *l)
{
  if (l->fd >= 0)
    close (l->fd);
  l->fd = -1;
}

struct run {
  const struct mig_ssh_capture *o;
  char port[16];                /* the receiver's, once it listens */
  char *capture_error;          /* the capture's (or ssh's) last error */
  char *receiver_error;         /* the receiver's last warning */
  bool resumable;
  int percent;                  /* of the disk under way; -1: none yet */
  char disk[64];
};

static void
set_string (char **p, const char *s)
{
  char *copy = core_strdup (s);

  if (copy) {
    free (*p);
    *p = copy;
  }
}

/* The receiver's standard output: its notices ("listening on ...",
 * "complete: ..."). */
static void
on_receiver_out (void *opaque, char *line)
{
  struct run *r = opaque;
  const char *p = strstr (line, "listening on ");

  if (p && r->port[0] == '\0') {
    const char *colon, *end;

    p += strlen ("listening on ");
    end = strchr (p, ' ');
    if (end == NULL)
      end = p + strlen (p);
    for (colon = end; colon > p && colon[-1] != ':'; colon--)
      ;
    if (colon > p && end - colon > 0 && (size_t) (end - colon) < sizeof r->port) {
      memcpy (r->port, colon, end - colon);
      r->port[end - colon] = '\0';
    }
  }
  core_notice (r->o->notify, CORE_NOTICE_INFO, "%s: receive: %s",
               r->o->name, line);
}

static void
on_receiver_err (void *opaque, char *line)
{
  struct run *r = opaque;
  const char *msg = line;

  if (strncmp (msg, "p2vkit: ", 8) == 0)
    msg += 8;
  if (strncmp (msg, "receive: ", 9) == 0)
    msg += 9;
  set_string (&r->receiver_error, msg);
  core_notice (r->o->notify, CORE_NOTICE_WARNING, "%s: receive: %s",
               r->o->name, msg);
}

/* The capture's standard error (through ssh): progress lines "DISK: N%
 * ...", warnings and its one-line error; ssh's own errors. */
static void
on_capture_err (void *opaque, char *line)
{
  struct run *r = opaque;
  const char *msg = line;

  if (strstr (line, "run the same command with --resume")) {
    r->resumable = true;
    return;
  }
  if (strncmp (msg, "p2vkit: warning: ", 17) == 0) {
    core_notice (r->o->notify, CORE_NOTICE_WARNING, "%s: %s", r->o->name,
                 msg + 17);
    return;
  }
  if (strncmp (msg, "p2vkit: ", 8) == 0) {
    msg += 8;
    if (strncmp (msg, "profile: ", 9) == 0) {
      core_notice (r->o->notify, CORE_NOTICE_INFO, "%s: %s", r->o->name, msg);
      return;
    }
    set_string (&r->capture_error, msg);
  }
  else {
    /* "sda: 40% ...": the disk's progress. */
    const char *colon = strstr (line, ": ");
    char *end;
    long pct = colon ? strtol (colon + 2, &end, 10) : -1;

    if (colon && end != colon + 2 && *end == '%' && pct >= 0 && pct <= 100
        && (size_t) (colon - line) < sizeof r->disk) {
      if (r->percent == -1 || strncmp (r->disk, line, colon - line) != 0
          || r->disk[colon - line] != '\0') {
        memcpy (r->disk, line, colon - line);
        r->disk[colon - line] = '\0';
        core_notify_start (r->o->notify, r->disk, 100);
      }
      r->percent = (int) pct;
      core_notify_progress (r->o->notify, r->disk, pct, pct, 100);
    }
    else if (strncmp (line, "ssh: ", 5) == 0 || strstr (line, "Permission denied")
             || strstr (line, "Host key verification failed"))
      set_string (&r->capture_error, line);
  }
  core_notice (r->o->notify, CORE_NOTICE_INFO, "%s: %s", r->o->name, msg);
}

static void
on_capture_out (void *opaque, char *line)
{
  struct run *r = opaque;

  core_notice (r->o->notify, CORE_NOTICE_INFO, "%s: %s", r->o->name, line);
}

/* ssh and the receiver take SIGPIPE's default and an empty mask. */
static void
child_setup (void *opaque)
{
  sigset_t none;

  (void) opaque;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
}

/* Wait up to SECONDS for C to exit, then kill its group. */
static void
stop_child (struct core_child *c, int sig, double seconds)
{
  double deadline = core_monotonic () + seconds;
  int status;

  if (c->pid <= 0)
    return;
  if (sig)
    kill (c->pid, sig);
  while (core_monotonic () < deadline) {
    pid_t w = waitpid (c->pid, &status, WNOHANG);
    if (w == c->pid || (w == -1 && errno != EINTR)) {
      c->pid = -1;
      break;
    }
    usleep (50000);
  }
  core_child_stop (c, SIGKILL);
}

/* The static capture program: given, $P2VKIT_CAPTURE, beside PROGRAM
 * (./p2vkit with build/p2vkit-capture, or build/san/p2vkit with
 * build/san/p2vkit-capture), or the installed one. */
static char *
find_capture (const struct mig_ssh_capture *o, const char *program)
{
  char exe[PATH_MAX];
  char *slash;

  if (o->capture_program)
    return core_strdup (o->capture_program);
  if (getenv ("P2VKIT_CAPTURE") && *getenv ("P2VKIT_CAPTURE"))
    return core_strdup (getenv ("P2VKIT_CAPTURE"));
  if (strlen (program) < sizeof exe) {
    strcpy (exe, program);
    slash = strrchr (exe, '/');
    if (slash) {
      char *path;

      *slash = '\0';
      path = core_sprintf ("%s/p2vkit-capture", exe);
      if (path && access (path, R_OK) == 0)
        return path;
      free (path);
      path = core_sprintf ("%s/build/p2vkit-capture", exe);
      if (path && access (path, R_OK) == 0)
        return path;
      free (path);
    }
  }
#ifdef P2VKIT_CAPTURE_PATH
  if (access (P2VKIT_CAPTURE_PATH, R_OK) == 0)
    return core_strdup (P2VKIT_CAPTURE_PATH);
#endif
  core_error ("cannot find the static capture program p2vkit-capture "
              "(build it with 'make', or set P2VKIT_CAPTURE)");
  return NULL;
}

/* A key for this run, "p2vkit-NAME:HEX" as psktool writes: DIR/.NAME.psk,
 * mode 600, registered for removal on a signal. */
static char *
make_psk (const struct mig_ssh_capture *o)
{
  unsigned char key[32];
  char line[160];
  size_t n = 0;
  CLEANUP_FREE char *path = core_sprintf ("%s/.%s.psk", o->dir, o->name);
  char *ret = NULL;
  sigset_t old;
  int fd;

  if (path == NULL)
    return NULL;
  if (getrandom (key, sizeof key, 0) != (ssize_t) sizeof key) {
    core_error_errno ("getrandom");
    return NULL;
  }
  n = (size_t) snprintf (line, sizeof line, "p2vkit-%.64s:", o->name);
  for (size_t i = 0; i < sizeof key && n + 3 < sizeof line; i++)
    n += (size_t) snprintf (line + n, sizeof line - n, "%02x", key[i]);
  line[n++] = '\n';
  memset (key, 0, sizeof key);
  core_signals_block (&old);
  unlink (path);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0 && core_tmpfiles_add (path) == -1) {
    close (fd);
    unlink (path);
    fd = -1;
  }
  core_signals_restore (&old);
  if (fd == -1) {
    if (errno)
      core_error_errno ("%s", path);
    memset (line, 0, sizeof line);
    return NULL;
  }
  if (write (fd, line, n) != (ssize_t) n || close (fd) == -1) {
    core_error_errno ("%s", path);
    core_tmpfiles_remove (path);
    unlink (path);
  }
  else {
    ret = path;
    path = NULL;
  }
  memset (line, 0, sizeof line);
  return ret;
}

/* The remote command: any POSIX sh.  Check the architecture, make a
 * private folder (/tmp, or the home folder), remove it on exit whatever
 * happens, read the program (SIZE bytes) and the key, run the capture in
 * the background with the key file's path, and stop it when standard
 * input ends. */
static char *
remote_command (const struct mig_ssh_capture *o, size_t size,
                const char *to_host, const char *to_port)
{
  core_buffer b = { 0 };
  char num[32];

  snprintf (num, sizeof num, "%zu", size);
  if (append_str (&b,
        "umask 077; "
        "case $(uname -m) in " CAPTURE_ARCH ") ;; *) "
        "echo \"p2vkit: the capture program is built for " CAPTURE_ARCH
        ", this server is $(uname -m)\" >&2; exit 125;; esac; "
        "d=$(mktemp -d /tmp/p2vkit.XXXXXX 2>/dev/null || mktemp -d \"$HOME/.p2vkit.XXXXXX\") || "
        "{ echo 'p2vkit: cannot make a temporary folder' >&2; exit 125; }; "
        "trap 'rm -rf \"$d\"' 0; trap 'exit 143' TERM HUP INT; "
        "head -c ") == -1
      || append_str (&b, num) == -1
      || append_str (&b, " > \"$d/p2vkit-capture\" && [ \"$(wc -c < \"$d/p2vkit-capture\")\" -eq ") == -1
      || append_str (&b, num) == -1
      || append_str (&b, " ] && chmod 700 \"$d/p2vkit-capture\" || "
                     "{ echo 'p2vkit: the capture program did not arrive whole' >&2; exit 125; }; "
                     "IFS= read -r k && printf '%s\\n' \"$k\" > \"$d/key.psk\" && k= || "
                     "{ echo 'p2vkit: no key arrived' >&2; exit 125; }; ") == -1)
    goto fail;
  /* The receiver's address: given, or where this connection comes from. */
  if (to_host) {
    if (append_str (&b, "to=") == -1 || core_buffer_add_shell_word (&b, to_host) == -1)
      goto fail;
  }
  else if (append_str (&b, "to=${SSH_CONNECTION%% *}; "
                       "case $to in *:*) to=\"[$to]\";; esac") == -1)
    goto fail;
  if (append_str (&b, "; to=\"$to\":") == -1
      || core_buffer_add_shell_word (&b, to_port) == -1
      || append_str (&b, "; exec 3<&0; \"$d/p2vkit-capture\" capture --to \"$to\" "
                     "--tls-psk \"$d/key.psk\" --name") == -1
      || append_quoted (&b, o->name) == -1)
    goto fail;
  for (size_t i = 0; i < o->disks->len; i++)
    if (append_str (&b, " --disk") == -1
        || append_quoted (&b, o->disks->ptr[i]) == -1)
      goto fail;
  if ((o->resume && append_str (&b, " --resume") == -1)
      || (o->live && append_str (&b, " --live") == -1)
      || (o->used_only && append_str (&b, " --used-only") == -1))
    goto fail;
  /* The end of standard input stops the capture (SIGTERM: it thaws what
   * --live froze); the watcher goes when the capture ends. */
  if (append_str (&b, " </dev/null & p=$!; "
                  "( cat <&3 >/dev/null 2>&1; kill -TERM $p 2>/dev/null ) & w=$!; "
                  "exec 3<&-; wait $p; s=$?; kill $w 2>/dev/null; exit $s") == -1)
    goto fail;
  return b.ptr;
 fail:
  free (b.ptr);
  return NULL;
}

/* "HOST[:PORT]", "[V6]" or "[V6]:PORT", or a bare IPv6 address: HOST
 * (IPv6 in brackets) and PORT (NULL when not given), malloc'd. */
static int
split_connect_to (const char *s, char **host, char **port)
{
  const char *colon = strchr (s, ':'), *p = NULL;
  int64_t v;

  *host = *port = NULL;
  if (s[0] == '[') {
    const char *close = strchr (s, ']');
    if (close == NULL || close == s + 1 || (close[1] && close[1] != ':')) {
      core_error ("'%s': expected HOST[:PORT] or [ADDRESS]:PORT", s);
      return -1;
    }
    *host = strndup (s, close - s + 1);
    p = close[1] ? close + 2 : NULL;
  }
  else if (colon && strchr (colon + 1, ':') == NULL) {
    *host = strndup (s, colon - s);
    p = colon + 1;
  }
  else
    *host = colon ? core_sprintf ("[%s]", s) : core_strdup (s);
  if (*host == NULL) {
    core_error ("out of memory");
    return -1;
  }
  if ((*host)[0] == '\0') {
    core_error ("'%s': no host", s);
    return -1;
  }
  if (p) {
    if (core_parse_int64 (p, "port", 1, 65535, &v) == -1)
      return -1;
    *port = core_strdup (p);
    if (*port == NULL)
      return -1;
  }
  return 0;
}

static int
check_options (const struct mig_ssh_capture *o)
{
  struct stat st;

  if (!name_ok (o->name)) {
    core_error ("'%s' is not a capture name (letters, digits, '.', '_', '-')",
                o->name ? o->name : "");
    return -1;
  }
  if (o->ssh == NULL || o->ssh[0] == '\0' || o->ssh[0] == '-') {
    core_error ("%s: no ssh destination (USER@HOST)", o->name);
    return -1;
  }
  if (o->port < 0 || o->port > 65535) {
    core_error ("%s: ssh port %d is out of range", o->name, o->port);
    return -1;
  }
  if (o->disks == NULL || o->disks->len == 0) {
    core_error ("%s: no disks to capture", o->name);
    return -1;
  }
  if (o->dir == NULL) {
    core_error ("%s: no receiver folder", o->name);
    return -1;
  }
  if (stat (o->dir, &st) == -1) {
    core_error_errno ("%s: receiver folder %s", o->name, o->dir);
    return -1;
  }
  if (!S_ISDIR (st.st_mode)) {
    core_error ("%s: receiver folder %s: not a folder", o->name, o->dir);
    return -1;
  }
  if (o->listen == NULL || strchr (o->listen, ':') == NULL) {
    core_error ("%s: the receiver's address must be ADDR:PORT", o->name);
    return -1;
  }
  return 0;
}

static int collect (const struct mig_ssh_capture *o, core_string_vector *images);

/* DIR/NAME/disk0.qcow2 ... of a complete capture appended to IMAGES;
 * on error IMAGES is as before. */
static int
collect_images (const struct mig_ssh_capture *o, core_string_vector *images)
{
  size_t before = images->len;

  if (collect (o, images) == 0)
    return 0;
  while (images->len > before)
    free (images->ptr[--images->len]);
  return -1;
}

static int
collect (const struct mig_ssh_capture *o, core_string_vector *images)
{
  CLEANUP_FREE char *complete = core_sprintf ("%s/%s/complete", o->dir, o->name);

  if (complete == NULL)
    return -1;
  if (access (complete, F_OK) == -1) {
    core_error ("%s: the receiver did not complete the capture (%s/%s has no "
                "'complete')", o->name, o->dir, o->name);
    return -1;
  }
  for (size_t i = 0; i < o->disks->len; i++) {
    char *img = core_sprintf ("%s/%s/disk%zu.qcow2", o->dir, o->name, i);
    if (img == NULL)
      return -1;
    if (access (img, R_OK) == -1) {
      core_error_errno ("%s: %s", o->name, img);
      free (img);
      return -1;
    }
    if (core_string_vector_append (images, img) == -1) {
      free (img);
      return -1;
    }
  }
  return 0;
}

int
mig_ssh_capture (const struct mig_ssh_capture *o, core_string_vector *images)
{
  struct run r = { .o = o, .percent = -1 };
  struct core_child recv = {
    .io = { CORE_CHILD_NULL, CORE_CHILD_PIPE, CORE_CHILD_PIPE },
    .group = true, .death_signal = SIGTERM, .setup = child_setup,
  };
  struct core_child ssh = {
    .io = { CORE_CHILD_PIPE, CORE_CHILD_PIPE, CORE_CHILD_PIPE },
    .group = true, .death_signal = SIGTERM, .setup = child_setup,
  };
  struct lines recv_out = { .fd = -1 }, recv_err = { .fd = -1 };
  struct lines ssh_out = { .fd = -1 }, ssh_err = { .fd = -1 };
  CLEANUP_FREE char *program = NULL, *capture_path = NULL, *capture = NULL;
  CLEANUP_FREE char *made_psk = NULL, *psk_text = NULL, *cmd = NULL;
  CLEANUP_FREE char *to_host = NULL, *to_port = NULL, *sshport = NULL;
  CLEANUP_FREE char *folder = NULL;
  size_t capture_len = 0, payload_len = 0, written = 0;
  char *payload = NULL;
  const char *psk;
  core_string_vector argv = { 0 };
  sigset_t pipe_set, old_mask;
  bool cancelled = false, resume;
  int ret = -1, in = -1, status = 0;
  struct mig_ssh_capture oo;

  if (o == NULL || images == NULL) {
    core_error ("mig_ssh_capture: no options");
    return -1;
  }
  if (check_options (o) == -1)
    return -1;
  if (o->connect_to && split_connect_to (o->connect_to, &to_host, &to_port) == -1) {
    core_error ("%s: connect_to: %s", o->name, core_errmsg ());
    return -1;
  }

  /* A resume of a capture the receiver finished returns its images; one
   * of a capture that never reached the receiver starts anew. */
  resume = o->resume;
  folder = core_sprintf ("%s/%s", o->dir, o->name);
  if (folder == NULL)
    return -1;
  if (resume) {
    if (collect_images (o, images) == 0) {
      core_notice (o->notify, CORE_NOTICE_INFO, "%s: already captured in %s",
                   o->name, folder);
      return 0;
    }
    if (access (folder, F_OK) == -1)
      resume = false;
  }
  oo = *o;
  oo.resume = resume;
  r.o = &oo;

  if (o->program)
    program = core_strdup (o->program);
  else {
    char exe[PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
      core_error_errno ("%s: cannot find this program to run receive", o->name);
      return -1;
    }
    exe[n] = '\0';
    program = core_strdup (exe);
  }
  if (program == NULL || (capture_path = find_capture (o, program)) == NULL)
    return -1;
  capture = core_read_file (capture_path, &capture_len);
  if (capture == NULL)
    return -1;
  if (capture_len < 4 || capture_len > MAX_CAPTURE
      || memcmp (capture, "\177ELF", 4) != 0) {
    core_error ("%s: not a capture program (ELF)", capture_path);
    return -1;
  }

  /* Writing to a dead ssh must fail, not kill this process. */
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_mask);

  if (o->psk_file)
    psk = o->psk_file;
  else {
    made_psk = make_psk (o);
    if (made_psk == NULL)
      return -1;
    psk = made_psk;
  }
  {
    /* What goes down ssh's standard input: the program, then the key's
     * line. */
    size_t len;
    char *nl;
    psk_text = core_read_file (psk, &len);
    if (psk_text == NULL)
      goto out;
    nl = strchr (psk_text, '\n');
    if (nl)
      *nl = '\0';
    if (strchr (psk_text, ':') == NULL || strlen (psk_text) > 1024) {
      core_error ("%s:1: expected 'username:hexkey' (as psktool writes)", psk);
      goto out;
    }
    len = strlen (psk_text);
    payload_len = capture_len + len + 1;
    payload = malloc (payload_len);
    if (payload == NULL) {
      core_error ("out of memory");
      goto out;
    }
    memcpy (payload, capture, capture_len);
    memcpy (payload + capture_len, psk_text, len);
    payload[payload_len - 1] = '\n';
  }

  /* The receiver. */
#define ARG(s) do { if (core_string_vector_append (&argv, (char *) (s)) == -1) goto out; } while (0)
  ARG (program); ARG ("receive"); ARG ("--listen"); ARG (o->listen);
  ARG ("--dir"); ARG (o->dir); ARG ("--tls-psk"); ARG (psk); ARG ("--once");
  ARG (NULL);
  if (core_child_start (&recv, argv.ptr) == -1) {
    core_error ("%s: receive: %s", o->name, core_errmsg ());
    goto out;
  }
  core_string_vector_reset (&argv);
  recv_out.fd = recv.fd[1];
  recv_err.fd = recv.fd[2];
  recv.fd[1] = recv.fd[2] = -1;
  fcntl (recv_out.fd, F_SETFL, O_NONBLOCK);
  fcntl (recv_err.fd, F_SETFL, O_NONBLOCK);
  {
    double deadline = core_monotonic () + LISTEN_SECONDS;
    while (r.port[0] == '\0' && recv_out.fd >= 0) {
      struct pollfd p[2] = { { .fd = recv_out.fd, .events = POLLIN },
                             { .fd = recv_err.fd, .events = POLLIN } };
      double left = deadline - core_monotonic ();
      if (left <= 0 || core_cancelled (o->notify))
        break;
      if (poll (p, 2, left > 0.2 ? 200 : (int) (left * 1000) + 1) <= 0)
        continue;
      if (p[0].revents)
        lines_read (&recv_out, on_receiver_out, &r);
      if (recv_err.fd >= 0 && p[1].revents)
        lines_read (&recv_err, on_receiver_err, &r);
    }
  }
  if (r.port[0] == '\0') {
    if (core_cancelled (o->notify))
      core_error ("%s: capture cancelled", o->name);
    else
      core_error ("%s: the receiver did not start listening on %s%s%s",
                  o->name, o->listen, r.receiver_error ? ": " : "",
                  r.receiver_error ? r.receiver_error : "");
    goto out;
  }

  /* The capture, over ssh. */
  cmd = remote_command (&oo, capture_len, to_host, to_port ? to_port : r.port);
  if (cmd == NULL)
    goto out;
  ARG (o->ssh_program ? o->ssh_program : "ssh");
  /* Never prompt (no terminal to answer), and give up on a dead link, as
   * inventory --ssh does; host keys are checked as ssh's configuration
   * says (an unknown host fails in batch mode). */
  ARG ("-o"); ARG ("BatchMode=yes");
  ARG ("-o"); ARG ("ConnectTimeout=15");
  ARG ("-o"); ARG ("ServerAliveInterval=15");
  ARG ("-o"); ARG ("ServerAliveCountMax=4");
  if (o->ssh_options)
    for (size_t i = 0; i < o->ssh_options->len; i++) {
      ARG ("-o");
      ARG (o->ssh_options->ptr[i]);
    }
  if (o->port) {
    sshport = core_sprintf ("%d", o->port);
    if (sshport == NULL)
      goto out;
    ARG ("-p");
    ARG (sshport);
  }
  ARG ("--");
  ARG (o->ssh);
  ARG (cmd);
  ARG (NULL);
#undef ARG
  core_notice (o->notify, CORE_NOTICE_INFO, "%s: copying the capture program "
               "to %s and capturing %zu disk(s)%s", o->name, o->ssh,
               o->disks->len, resume ? " (resuming)" : "");
  if (core_child_start (&ssh, argv.ptr) == -1) {
    core_error ("%s: ssh: %s", o->name, core_errmsg ());
    goto out;
  }
  in = ssh.fd[0];
  ssh_out.fd = ssh.fd[1];
  ssh_err.fd = ssh.fd[2];
  ssh.fd[0] = ssh.fd[1] = ssh.fd[2] = -1;
  fcntl (in, F_SETFL, O_NONBLOCK);
  fcntl (ssh_out.fd, F_SETFL, O_NONBLOCK);
  fcntl (ssh_err.fd, F_SETFL, O_NONBLOCK);

  /* Until ssh has nothing more to say: the program in, lines out. */
  while (ssh_out.fd >= 0 || ssh_err.fd >= 0) {
    struct pollfd p[5] = {
      { .fd = ssh_out.fd, .events = POLLIN },
      { .fd = ssh_err.fd, .events = POLLIN },
      { .fd = recv_out.fd, .events = POLLIN },
      { .fd = recv_err.fd, .events = POLLIN },
      { .fd = written < payload_len ? in : -1, .events = POLLOUT },
    };

    if (core_cancelled (o->notify)) {
      cancelled = true;
      break;
    }
    if (poll (p, 5, 200) <= 0)
      continue;
    if (p[0].revents)
      lines_read (&ssh_out, on_capture_out, &r);
    if (p[1].revents)
      lines_read (&ssh_err, on_capture_err, &r);
    if (p[2].revents)
      lines_read (&recv_out, on_receiver_out, &r);
    if (p[3].revents)
      lines_read (&recv_err, on_receiver_err, &r);
    if (p[4].revents) {
      ssize_t w = write (in, payload + written, payload_len - written);
      if (w > 0)
        written += (size_t) w;
      else if (w == -1 && errno != EAGAIN && errno != EINTR)
        written = payload_len;          /* the remote side is gone */
    }
  }

  if (cancelled) {
    /* ssh gone, the remote shell's input ends: the capture stops there. */
    core_child_stop (&ssh, SIGTERM);
    core_error ("%s: capture cancelled; what the receiver confirmed is kept",
                o->name);
    goto out;
  }
  close (in);
  in = -1;
  if (core_child_wait (&ssh, &status) == -1)
    goto out;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    if (WIFSIGNALED (status))
      core_error ("%s: ssh was killed by signal %d", o->name, WTERMSIG (status));
    else if (WEXITSTATUS (status) == 255)
      core_error ("%s: ssh %s failed%s%s", o->name, o->ssh,
                  r.capture_error ? ": " : "",
                  r.capture_error ? r.capture_error : "");
    else
      core_error ("%s: the capture on %s failed (exit %d)%s%s%s", o->name,
                  o->ssh, WEXITSTATUS (status), r.capture_error ? ": " : "",
                  r.capture_error ? r.capture_error : "",
                  r.resumable ? "; what the receiver confirmed is kept: "
                  "resume to continue" : "");
    goto out;
  }

  /* The capture had its OK: the receiver (--once) ends by itself. */
  {
    double deadline = core_monotonic () + STOP_SECONDS;
    while ((recv_out.fd >= 0 || recv_err.fd >= 0) && core_monotonic () < deadline) {
      struct pollfd p[2] = { { .fd = recv_out.fd, .events = POLLIN },
                             { .fd = recv_err.fd, .events = POLLIN } };
      if (poll (p, 2, 200) <= 0)
        continue;
      if (p[0].revents)
        lines_read (&recv_out, on_receiver_out, &r);
      if (p[1].revents)
        lines_read (&recv_err, on_receiver_err, &r);
    }
  }
  stop_child (&recv, 0, STOP_SECONDS);
  if (collect_images (o, images) == -1)
    goto out;
  if (r.percent >= 0)
    core_notify_end (o->notify, "done", 100, 100);
  ret = 0;

 out:
  if (ret == -1 && r.percent >= 0)
    core_notify_end (o->notify, cancelled ? "interrupted" : "failed",
                     r.percent, r.percent);
  core_string_vector_reset (&argv);
  free (argv.ptr);
  if (in >= 0)
    close (in);
  /* Keep the error message across the cleanup. */
  {
    CLEANUP_FREE char *msg = ret == -1 ? core_strdup (core_errmsg ()) : NULL;
    core_child_stop (&ssh, SIGTERM);
    stop_child (&recv, SIGTERM, STOP_SECONDS);
    if (msg)
      core_error ("%s", msg);
  }
  close_lines (&recv_out);
  close_lines (&recv_err);
  close_lines (&ssh_out);
  close_lines (&ssh_err);
  if (made_psk) {
    unlink (made_psk);
    core_tmpfiles_remove (made_psk);
  }
  if (psk_text)
    memset (psk_text, 0, strlen (psk_text));
  if (payload)
    memset (payload + capture_len, 0, payload_len - capture_len);
  free (payload);
  {
    /* SIGPIPEs of writes to a dead ssh: consumed, not delivered. */
    struct timespec zero = { 0, 0 };
    while (sigtimedwait (&pipe_set, NULL, &zero) > 0)
      ;
  }
  pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
  free (r.capture_error);
  free (r.receiver_error);
  return ret;
}
