/* Running other programs (qemu-img, virt-xml-validate, chromium...):
 * fork and exec, no shell, stdout captured on request. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

/* Read all of FD into a NUL-terminated string. */
static char *
slurp (int fd)
{
  char *buf = NULL;
  size_t len = 0, cap = 0;

  for (;;) {
    ssize_t r;

    if (len + 4096 + 1 > cap) {
      size_t newcap = cap ? cap * 2 : 8192;
      char *p = realloc (buf, newcap);
      if (p == NULL) {
        free (buf);
        core_error ("out of memory");
        return NULL;
      }
      buf = p;
      cap = newcap;
    }
    r = read (fd, buf + len, cap - len - 1);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      free (buf);
      core_error_errno ("read from child process");
      return NULL;
    }
    if (r == 0)
      break;
    len += r;
  }
  buf[len] = '\0';
  return buf;
}

int
core_run (char *const *argv, char **out)
{
  int outpipe[2] = { -1, -1 }, errpipe[2] = { -1, -1 };
  CLEANUP_FREE char *err = NULL;
  char *output = NULL;
  pid_t pid;
  int status;

  if ((out && pipe2 (outpipe, O_CLOEXEC) == -1) || pipe2 (errpipe, O_CLOEXEC) == -1) {
    core_error_errno ("pipe");
    return -1;
  }
  pid = fork ();
  if (pid == -1) {
    core_error_errno ("fork");
    return -1;
  }
  if (pid == 0) {
    if (out)
      dup2 (outpipe[1], 1);
    dup2 (errpipe[1], 2);
    execvp (argv[0], argv);
    dprintf (2, "%s: %s\n", argv[0], strerror (errno));
    _exit (127);
  }
  if (out)
    close (outpipe[1]);
  close (errpipe[1]);
  /* Output first, then stderr: fine for the short error text tools print
   * when stdout is big; a tool printing huge stderr too would need poll. */
  if (out) {
    output = slurp (outpipe[0]);
    close (outpipe[0]);
  }
  err = slurp (errpipe[0]);
  close (errpipe[0]);
  while (waitpid (pid, &status, 0) == -1)
    if (errno != EINTR) {
      core_error_errno ("waitpid");
      free (output);
      return -1;
    }
  if (out && output == NULL)
    return -1;

  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    /* The last non-empty line of stderr says what went wrong. */
    char *last = NULL;
    if (err) {
      for (char *line = strtok (err, "\n"); line; line = strtok (NULL, "\n"))
        last = line;
    }
    if (WIFSIGNALED (status))
      core_error ("%s: killed by signal %d", argv[0], WTERMSIG (status));
    else
      core_error ("%s: exited with status %d%s%s", argv[0],
                  WEXITSTATUS (status), last ? ": " : "", last ? last : "");
  }
  if (out)
    *out = output;
  else
    free (output);
  if (WIFSIGNALED (status))
    return -1;
  return WEXITSTATUS (status);
}
