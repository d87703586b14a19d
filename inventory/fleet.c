/* Fleet collection: for each host, one ssh connection that receives the
 * static agent on its standard input, runs it in a private temporary
 * folder and prints the profile on its standard output; N hosts at a
 * time.  A host that fails is reported and the others go on. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inventory/inventory.h"

#if defined(__x86_64__)
#define AGENT_ARCH "x86_64"
#elif defined(__aarch64__)
#define AGENT_ARCH "aarch64"
#elif defined(__i386__)
#define AGENT_ARCH "i686"
#else
#define AGENT_ARCH ""
#endif

/* Output kept of a host's standard error: enough for every warning of an
 * agent, and bounded whatever the host sends. */
#define MAX_STDERR (64 << 10)
#define MAX_PROFILE (64 << 20)

/* Output of a host, cut at a bound. */
struct buffer {
  core_buffer text;
  bool truncated;
};

static int
buffer_append (struct buffer *b, const char *data, size_t n, size_t max)
{
  if (b->text.len + n > max) {
    b->truncated = true;
    n = max - b->text.len;
  }
  if (n == 0)
    return 0;
  return core_buffer_add (&b->text, data, n);
}

struct job {
  const struct inv_host *host;
  struct core_child ssh;        /* its pipes moved to in, out, err */
  int in, out, err;             /* -1 once closed */
  size_t written;               /* bytes of the agent sent */
  struct buffer stdout_, stderr_;
};

/* ARG single-quoted for the remote shell, with a space before. */
static int
append_quoted (core_buffer *b, const char *arg)
{
  if (core_buffer_add (b, " ", 1) == -1)
    return -1;
  return core_buffer_add_shell_word (b, arg);
}

/* The command the remote shell runs (any POSIX sh, down to CentOS 5's):
 * check the architecture before reading the agent, make a private folder
 * (/tmp, or the home folder when /tmp cannot be used), remove it on exit
 * whatever happens, and run the agent writing the profile to stdout. */
static char *
remote_command (const struct inv_host *h, const struct inv_fleet_options *o)
{
  core_buffer b = { 0 };
  const char *script =
    "umask 077; "
    "case $(uname -m) in " AGENT_ARCH ") ;; *) "
    "echo \"p2vkit: the agent is built for " AGENT_ARCH ", this server is $(uname -m)\" >&2; "
    "exit 125;; esac; "
    "d=$(mktemp -d /tmp/p2vkit.XXXXXX 2>/dev/null || mktemp -d \"$HOME/.p2vkit.XXXXXX\") || "
    "{ echo 'p2vkit: cannot make a temporary folder' >&2; exit 125; }; "
    "trap 'rm -rf \"$d\"' 0; "
    "cat > \"$d/p2vkit-agent\" && chmod 700 \"$d/p2vkit-agent\" && "
    "\"$d/p2vkit-agent\" inventory --output -";

  if (core_buffer_add (&b, script, strlen (script)) == -1)
    goto fail;
  if (h->name && (append_quoted (&b, "--name") == -1
                  || append_quoted (&b, h->name) == -1))
    goto fail;
  for (size_t i = 0; i < o->agent_args.len; i++)
    if (append_quoted (&b, o->agent_args.ptr[i]) == -1)
      goto fail;
  return b.ptr;
 fail:
  free (b.ptr);
  return NULL;
}

/* The collector ignores SIGPIPE; ssh must not inherit that. */
static void
default_sigpipe (void *opaque)
{
  (void) opaque;
  signal (SIGPIPE, SIG_DFL);
}

static int
start_job (struct job *j, const struct inv_host *h,
           const struct inv_fleet_options *o)
{
  struct core_child c = {
    .io = { CORE_CHILD_PIPE, CORE_CHILD_PIPE, CORE_CHILD_PIPE },
    .setup = default_sigpipe,
  };
  CLEANUP_FREE char *cmd = remote_command (h, o);
  CLEANUP_FREE char *dest = NULL, *port = NULL;
  core_string_vector argv = { 0 };
  char **opts = NULL;
  int ret = -1;

  memset (j, 0, sizeof *j);
  j->host = h;
  j->in = j->out = j->err = -1;
  if (cmd == NULL)
    return -1;
  dest = h->user ? core_sprintf ("%s@%s", h->user, h->host) : core_strdup (h->host);
  if (dest == NULL)
    return -1;
  /* argv's strings are borrowed: the vector is reset, not freed. */
#define ARG(s) do { if (core_string_vector_append (&argv, (char *) (s)) == -1) goto out; } while (0)
  ARG (o->ssh ? o->ssh : "ssh");
  /* Never prompt (no terminal to answer), and give up on a dead link. */
  ARG ("-o"); ARG ("BatchMode=yes");
  ARG ("-o"); ARG ("ConnectTimeout=15");
  ARG ("-o"); ARG ("ServerAliveInterval=15");
  ARG ("-o"); ARG ("ServerAliveCountMax=4");
  for (size_t i = 0; i < o->ssh_options.len; i++) {
    ARG ("-o");
    ARG (o->ssh_options.ptr[i]);
  }
  if (h->port != CORE_UNSET) {
    port = core_sprintf ("%lld", (long long) h->port);
    if (port == NULL)
      goto out;
    ARG ("-p");
    ARG (port);
  }
  ARG (dest);
  ARG (cmd);
  ARG (NULL);
#undef ARG
  opts = argv.ptr;

  if (core_child_start (&c, opts) == -1)
    goto out;
  j->in = c.fd[0];
  j->out = c.fd[1];
  j->err = c.fd[2];
  j->ssh = c;
  j->ssh.fd[0] = j->ssh.fd[1] = j->ssh.fd[2] = -1;
  fcntl (j->in, F_SETFL, O_NONBLOCK);
  fcntl (j->out, F_SETFL, O_NONBLOCK);
  fcntl (j->err, F_SETFL, O_NONBLOCK);
  ret = 0;
 out:
  core_string_vector_reset (&argv);
  return ret;
}

static void
close_fd (int *fd)
{
  if (*fd != -1) {
    close (*fd);
    *fd = -1;
  }
}

/* Read what is there from *FD into B; closes it at the end. */
static int
drain (int *fd, struct buffer *b, size_t max)
{
  char buf[65536];

  for (;;) {
    ssize_t r = read (*fd, buf, sizeof buf);
    if (r > 0) {
      if (buffer_append (b, buf, r, max) == -1)
        return -1;
      continue;
    }
    if (r == 0 || (errno != EAGAIN && errno != EINTR))
      close_fd (fd);
    return 0;
  }
}

#define notify(o, kind, ...) core_notice ((o)->notify, kind, __VA_ARGS__)

/* The last non-empty line of TEXT that is not a warning: what went wrong. */
static void
last_error_line (const char *text, char *out, size_t len)
{
  const char *p = text, *best = NULL;
  size_t best_len = 0;

  out[0] = '\0';
  while (p && *p) {
    size_t n = strcspn (p, "\n");
    if (n > 0 && strncmp (p, "p2vkit: warning: ", 17) != 0) {
      best = p;
      best_len = n;
    }
    p += n;
    if (*p == '\n')
      p++;
  }
  if (best) {
    if (best_len >= len)
      best_len = len - 1;
    memcpy (out, best, best_len);
    out[best_len] = '\0';
  }
}

static int
write_profile (FILE *fp, void *opaque)
{
  return core_profile_write (fp, opaque);
}

/* A host whose connection has ended: check, complete and write its
 * profile.  Returns 0 when it succeeded, 1 when it failed (reported), -1
 * on an error that stops everything. */
static int
finish_job (struct job *j, const struct inv_fleet_options *o,
            core_string_vector *written_names)
{
  const char *label = j->host->line_text;
  CLEANUP_FREE_PROFILE struct core_profile *p = NULL;
  CLEANUP_FREE char *path = NULL, *agent_os_id = NULL;
  char why[1024];
  int status;

  if (core_child_wait (&j->ssh, &status) == -1)
    return -1;
  /* The agent's warnings, passed on with the host's name. */
  for (const char *l = j->stderr_.text.ptr; l && *l; ) {
    size_t n = strcspn (l, "\n");
    if (strncmp (l, "p2vkit: warning: ", 17) == 0)
      notify (o, CORE_NOTICE_WARNING, "%s: %.*s", label, (int) (n - 17), l + 17);
    l += n;
    if (*l == '\n')
      l++;
  }
  last_error_line (j->stderr_.text.ptr ? j->stderr_.text.ptr : "", why, sizeof why);

  if (WIFSIGNALED (status)) {
    notify (o, CORE_NOTICE_ITEM_FAILED, "%s: ssh was killed by signal %d",
            label, WTERMSIG (status));
    return 1;
  }
  if (WEXITSTATUS (status) == 255) {
    notify (o, CORE_NOTICE_ITEM_FAILED, "%s: cannot connect: %s", label,
            *why ? why : "ssh failed");
    return 1;
  }
  if (WEXITSTATUS (status) == 126) {
    notify (o, CORE_NOTICE_ITEM_FAILED, "%s: the agent cannot be run there "
            "(a temporary folder mounted noexec?)%s%s", label,
            *why ? ": " : "", why);
    return 1;
  }
  if (WEXITSTATUS (status) != 0) {
    /* The agent's own one-line error starts with "p2vkit: ". */
    const char *w = strncmp (why, "p2vkit: ", 8) == 0 ? why + 8 : why;
    notify (o, CORE_NOTICE_ITEM_FAILED, "%s: the agent failed (exit %d)%s%s",
            label, WEXITSTATUS (status), *w ? ": " : "", w);
    return 1;
  }
  if (j->stdout_.truncated) {
    notify (o, CORE_NOTICE_ITEM_FAILED, "%s: the profile is larger than %d MiB",
            label, MAX_PROFILE >> 20);
    return 1;
  }
  {
    char name[512];
    snprintf (name, sizeof name, "%s:profile", label);
    p = core_profile_parse (name, j->stdout_.text.ptr ? j->stdout_.text.ptr : "",
                            j->stdout_.text.len);
  }
  if (p == NULL) {
    notify (o, CORE_NOTICE_ITEM_FAILED, "%s: the agent printed no valid profile: "
            "%s", label, core_errmsg ());
    return 1;
  }
  if (p->os.id && (agent_os_id = core_strdup (p->os.id)) == NULL)
    return -1;
  for (size_t i = 0; i < written_names->len; i++)
    if (strcmp (written_names->ptr[i], p->name) == 0) {
      notify (o, CORE_NOTICE_ITEM_FAILED, "%s: another host of this run is also "
              "named '%s'; give this line a NAME after the host", label,
              p->name);
      return 1;
    }
  /* What only the collecting machine can add. */
  if (inv_resolve_os_id (&p->os, NULL) == -1
      || inv_fill_pci_names (&p->hardware.pci) == -1) {
    notify (o, CORE_NOTICE_ITEM_FAILED, "%s: %s", label, core_errmsg ());
    return 1;
  }
  if (agent_os_id && p->os.id == NULL)
    notify (o, CORE_NOTICE_WARNING, "%s: libosinfo does not know '%s'; os.id "
            "is left out", label, agent_os_id);
  path = core_sprintf ("%s/%s.yaml", o->outdir, p->name);
  if (path == NULL)
    return -1;
  if (core_write_atomic (path, write_profile, p) == -1) {
    notify (o, CORE_NOTICE_ITEM_FAILED, "%s: %s", label, core_errmsg ());
    return 1;
  }
  {
    char *copy = core_strdup (p->name);
    if (copy == NULL || core_string_vector_append (written_names, copy) == -1) {
      free (copy);
      return -1;
    }
  }
  notify (o, CORE_NOTICE_ITEM_OK, "%s: %s -> %s", label, p->name, path);
  return 0;
}

int
inv_fleet_collect (const inv_host_vector *hosts,
                   const struct inv_fleet_options *o)
{
  CLEANUP_FREE char *agent = NULL;
  CLEANUP_FREE struct job *jobs = NULL;
  CLEANUP_FREE struct pollfd *pfds = NULL;
  core_string_vector written = { 0 };
  size_t agent_len, next = 0, running = 0, njobs;
  int failed = 0, ret = -1;

  agent = core_read_file (o->agent, &agent_len);
  if (agent == NULL)
    return -1;
  if (agent_len < 4 || memcmp (agent, "\177ELF", 4) != 0) {
    core_error ("%s: not an executable agent (ELF) file", o->agent);
    return -1;
  }
  njobs = o->jobs < 1 ? 1 : (size_t) o->jobs;
  if (njobs > hosts->len)
    njobs = hosts->len;
  jobs = calloc (njobs, sizeof *jobs);
  pfds = calloc (njobs * 3, sizeof *pfds);
  if (jobs == NULL || pfds == NULL) {
    core_error ("out of memory");
    return -1;
  }
  while (next < hosts->len || running > 0) {
    size_t np = 0;

    /* Fill free slots. */
    for (size_t k = 0; k < njobs && next < hosts->len; k++) {
      if (jobs[k].ssh.pid > 0)
        continue;
      notify (o, CORE_NOTICE_ITEM_START, "%s", hosts->ptr[next].line_text);
      if (start_job (&jobs[k], &hosts->ptr[next], o) == -1) {
        notify (o, CORE_NOTICE_ITEM_FAILED, "%s: %s", hosts->ptr[next].line_text,
                core_errmsg ());
        failed++;
        next++;
        continue;
      }
      next++;
      running++;
    }
    if (running == 0)
      break;

    for (size_t k = 0; k < njobs; k++) {
      struct job *j = &jobs[k];
      if (j->ssh.pid <= 0)
        continue;
      if (j->in != -1)
        pfds[np++] = (struct pollfd) { j->in, POLLOUT, 0 };
      if (j->out != -1)
        pfds[np++] = (struct pollfd) { j->out, POLLIN, 0 };
      if (j->err != -1)
        pfds[np++] = (struct pollfd) { j->err, POLLIN, 0 };
    }
    if (np > 0 && poll (pfds, np, -1) == -1 && errno != EINTR) {
      core_error_errno ("poll");
      goto out;
    }

    for (size_t k = 0; k < njobs; k++) {
      struct job *j = &jobs[k];
      int r;

      if (j->ssh.pid <= 0)
        continue;
      if (j->in != -1) {
        ssize_t w = write (j->in, agent + j->written, agent_len - j->written);
        if (w > 0)
          j->written += w;
        /* EPIPE: the remote side gave up before reading it all; its
         * exit status says why. */
        if (j->written == agent_len || (w == -1 && errno != EAGAIN && errno != EINTR))
          close_fd (&j->in);
      }
      if (j->out != -1 && drain (&j->out, &j->stdout_, MAX_PROFILE) == -1)
        goto out;
      if (j->err != -1 && drain (&j->err, &j->stderr_, MAX_STDERR) == -1)
        goto out;
      if (j->out != -1 || j->err != -1)
        continue;
      close_fd (&j->in);
      r = finish_job (j, o, &written);
      free (j->stdout_.text.ptr);
      free (j->stderr_.text.ptr);
      memset (j, 0, sizeof *j);
      j->in = j->out = j->err = -1;
      running--;
      if (r == -1)
        goto out;
      failed += r;
    }
  }
  ret = failed;
 out:
  if (ret == -1)
    /* Stop the others: nothing more can be written. */
    for (size_t k = 0; k < njobs; k++)
      if (jobs[k].ssh.pid > 0) {
        core_child_stop (&jobs[k].ssh, SIGTERM);
        close_fd (&jobs[k].in);
        close_fd (&jobs[k].out);
        close_fd (&jobs[k].err);
        free (jobs[k].stdout_.text.ptr);
        free (jobs[k].stderr_.text.ptr);
      }
  core_string_vector_free (&written);
  return ret;
}
