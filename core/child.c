/* Running other programs (qemu-img, qemu-nbd, ssh, chromium...): fork and
 * exec, no shell, with the child's standard descriptors, process group
 * and death signal chosen by the caller. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

static void
close_pair (int p[2])
{
  for (int k = 0; k < 2; k++)
    if (p[k] >= 0) {
      close (p[k]);
      p[k] = -1;
    }
}

/* In the child: make descriptor TARGET what IO says. */
static void
child_io (enum core_child_io io, int fd, int pipe_end, int target)
{
  int src;

  switch (io) {
  case CORE_CHILD_INHERIT:
    return;
  case CORE_CHILD_NULL:
    src = open ("/dev/null", O_RDWR);
    if (src < 0)
      return;
    break;
  case CORE_CHILD_PIPE:
    src = pipe_end;
    break;
  case CORE_CHILD_STDOUT:
    src = 1;
    break;
  case CORE_CHILD_FD:
  default:
    src = fd;
    break;
  }
  if (src == target)
    /* dup2 would keep close-on-exec. */
    fcntl (target, F_SETFD, 0);
  else
    dup2 (src, target);
}

int
core_child_start (struct core_child *c, char *const *argv)
{
  int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
  pid_t parent = getpid ();

  c->pid = -1;
  for (int i = 0; i < 3; i++)
    if (c->io[i] == CORE_CHILD_PIPE && pipe2 (p[i], O_CLOEXEC) == -1) {
      core_error_errno ("pipe");
      for (int k = 0; k < 3; k++)
        close_pair (p[k]);
      return -1;
    }
  c->pid = fork ();
  if (c->pid == -1) {
    core_error_errno ("fork");
    for (int k = 0; k < 3; k++)
      close_pair (p[k]);
    return -1;
  }
  if (c->pid == 0) {
    if (c->group)
      setpgid (0, 0);
    if (c->death_signal) {
      prctl (PR_SET_PDEATHSIG, c->death_signal);
      /* The parent died before the prctl: no one would stop this child. */
      if (getppid () != parent)
        _exit (126);
    }
    /* stdin's read end, the others' write ends. */
    for (int i = 0; i < 3; i++)
      child_io (c->io[i], c->fd[i], p[i][i == 0 ? 0 : 1], i);
    if (c->setup)
      c->setup (c->opaque);
    execvp (argv[0], argv);
    dprintf (2, "%s: %s\n", argv[0], strerror (errno));
    _exit (127);
  }
  /* Set in both, so that a kill of the group right after the start
   * reaches it. */
  if (c->group)
    setpgid (c->pid, c->pid);
  for (int i = 0; i < 3; i++) {
    if (c->io[i] == CORE_CHILD_PIPE) {
      c->fd[i] = p[i][i == 0 ? 1 : 0];
      close (p[i][i == 0 ? 0 : 1]);
    }
    else
      c->fd[i] = -1;
  }
  return 0;
}

void
core_child_close (struct core_child *c, int which)
{
  if (c->fd[which] >= 0) {
    close (c->fd[which]);
    c->fd[which] = -1;
  }
}

int
core_child_wait (struct core_child *c, int *status)
{
  int st;

  for (int i = 0; i < 3; i++)
    core_child_close (c, i);
  if (c->pid <= 0) {
    core_error ("no child process to wait for");
    return -1;
  }
  while (waitpid (c->pid, &st, 0) == -1)
    if (errno != EINTR) {
      core_error_errno ("waitpid");
      return -1;
    }
  c->pid = -1;
  if (status)
    *status = st;
  return 0;
}

void
core_child_kill (struct core_child *c, int sig)
{
  if (c == NULL || c->pid <= 0)
    return;
  if (c->group)
    killpg (c->pid, sig);
  else
    kill (c->pid, sig);
}

void
core_child_stop (struct core_child *c, int sig)
{
  int saved = errno;

  if (c == NULL)
    return;
  core_child_kill (c, sig);
  for (int i = 0; i < 3; i++)
    core_child_close (c, i);
  if (c->pid > 0)
    while (waitpid (c->pid, NULL, 0) == -1 && errno == EINTR)
      ;
  c->pid = -1;
  errno = saved;
}

char *
core_child_read (int fd, size_t max, double seconds, bool *timed_out)
{
  char *buf = NULL;
  size_t len = 0, cap = 0;
  double deadline = seconds > 0 ? core_monotonic () + seconds : 0;

  if (timed_out)
    *timed_out = false;
  for (;;) {
    ssize_t r;

    if (deadline > 0) {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      double left = deadline - core_monotonic ();
      int n;

      if (left <= 0) {
        if (timed_out)
          *timed_out = true;
        break;
      }
      n = poll (&pfd, 1, (int) (left * 1000) + 1);
      if (n == -1 && errno != EINTR) {
        core_error_errno ("poll on a child process");
        free (buf);
        return NULL;
      }
      if (n <= 0)
        continue;
    }
    if (core_vector_reserve ((void **) &buf, &cap, len, 4096 + 1, 1) == -1) {
      free (buf);
      return NULL;
    }
    r = read (fd, buf + len, cap - len - 1);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      core_error_errno ("read from child process");
      free (buf);
      return NULL;
    }
    if (r == 0)
      break;
    len += r;
    if (max > 0 && len > max) {
      /* Keep the end: that is where a program says what went wrong. */
      memmove (buf, buf + len - max, max);
      len = max;
    }
  }
  if (buf == NULL && core_vector_reserve ((void **) &buf, &cap, 0, 1, 1) == -1)
    return NULL;
  buf[len] = '\0';
  return buf;
}

char *
core_last_line (char *text)
{
  char *last = NULL;

  if (text == NULL)
    return NULL;
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    last = line;
  return last;
}

void
core_child_error (const char *name, int status, char *err)
{
  const char *last = core_last_line (err);

  if (WIFSIGNALED (status))
    core_error ("%s: killed by signal %d", name, WTERMSIG (status));
  else
    core_error ("%s: exited with status %d%s%s", name, WEXITSTATUS (status),
                last ? ": " : "", last ? last : "");
}

int
core_run (char *const *argv, char **out)
{
  struct core_child c = {
    .io = { CORE_CHILD_INHERIT, out ? CORE_CHILD_PIPE : CORE_CHILD_INHERIT,
            CORE_CHILD_PIPE },
  };
  CLEANUP_FREE char *err = NULL;
  char *output = NULL;
  int status;

  if (core_child_start (&c, argv) == -1)
    return -1;
  /* Output first, then stderr: fine for the short error text tools print
   * when stdout is big; a tool printing huge stderr too would need poll. */
  if (out)
    output = core_child_read (c.fd[1], 0, 0, NULL);
  err = core_child_read (c.fd[2], 0, 0, NULL);
  if (core_child_wait (&c, &status) == -1) {
    free (output);
    return -1;
  }
  if (out && output == NULL)
    return -1;

  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    core_child_error (argv[0], status, err);
  if (out)
    *out = output;
  else
    free (output);
  if (WIFSIGNALED (status))
    return -1;
  return WEXITSTATUS (status);
}
