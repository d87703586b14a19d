/* HTML to PDF through headless Chromium (Debian's chromium package).
 *
 * Chromium needs files: the page to print, a profile, a home, the PDF it
 * writes.  They all go into one scratch folder, and Chromium runs in a
 * process group of its own.  A small guardian process waits for this
 * process to end, however it ends (success, error, Ctrl-C, kill): then it
 * kills whatever is left of Chromium's group and removes the scratch
 * folder, so no partial work stays behind.  The PDF reaches OUTPUT
 * through core_write_atomic, whole or not at all.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) flag;
  (void) ftw;
  remove (path);
  return 0;
}

static void
remove_tree (const char *dir)
{
  nftw (dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
pause_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

  while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
    ;
}

/* The guardian: reads the process group of Chromium from the pipe, and at
 * its end (this process closing it or dying) kills that group and removes
 * DIR.  Returns its pid; the write end of the pipe is in *FD.  A fork
 * that runs no program, so core_child_start does not fit it. */
static pid_t
start_guardian (const char *dir, int *fd)
{
  int p[2];
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) == -1) {
    core_error_errno ("pipe");
    return -1;
  }
  pid = fork ();
  if (pid == -1) {
    core_error_errno ("fork");
    close (p[0]);
    close (p[1]);
    return -1;
  }
  if (pid == 0) {
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
    int null = open ("/dev/null", O_RDWR);
    pid_t group = 0, got;
    ssize_t r;

    /* Ctrl-C reaches the whole foreground group: outlive it.  Hold no
     * one's terminal or pipe open. */
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
      signal (sigs[i], SIG_IGN);
    close (p[1]);
    if (null >= 0) {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
    }
    while ((r = read (p[0], &got, sizeof got)) != 0) {
      if (r == sizeof got)
        group = got;
      else if (r == -1 && errno != EINTR)
        break;
    }
    if (group > 0 && killpg (group, SIGKILL) == 0)
      pause_ms (200);           /* let the kernel reap them */
    remove_tree (dir);
    _exit (0);
  }
  close (p[0]);
  *fd = p[1];
  return pid;
}

static int
write_all (const char *path, const char *buf, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd == -1) {
    core_error_errno ("%s", path);
    return -1;
  }
  if (core_write_fd (fd, buf, len) == -1) {
    core_error_errno ("%s", path);
    close (fd);
    return -1;
  }
  if (close (fd) == -1) {
    core_error_errno ("%s", path);
    return -1;
  }
  return 0;
}

/* The last non-empty line of FILE that is not one of Chromium's routine
 * complaints about D-Bus (there is no session bus in a headless run). */
static char *
last_line (const char *file)
{
  CLEANUP_FREE char *text = NULL;
  char *last = NULL;
  size_t len;

  text = core_read_file (file, &len);
  if (text == NULL)
    return NULL;
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    if (strstr (line, "dbus") == NULL && strstr (line, "DBus") == NULL)
      last = line;
  return last ? core_strdup (last) : NULL;
}

/* In Chromium's process, before exec: its home and temporary files in
 * DIR, and the signals a report run ignores back to their defaults. */
static void
chromium_setup (void *opaque)
{
  const char *dir = opaque;

  setenv ("HOME", dir, 1);
  setenv ("TMPDIR", dir, 1);
  unsetenv ("XDG_CONFIG_HOME");
  unsetenv ("XDG_CACHE_HOME");
  signal (SIGINT, SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
}

/* Run Chromium in a process group of its own, with its home and temporary
 * files in DIR and its output in DIR/chromium.log; tell the guardian the
 * group through FD.  Returns its exit status, or -1. */
static int
run_chromium (char *const *argv, const char *dir, int fd)
{
  CLEANUP_FREE char *log = core_sprintf ("%s/chromium.log", dir);
  /* Dies with this process rather than print for no one. */
  struct core_child c = {
    .group = true, .death_signal = SIGKILL,
    .setup = chromium_setup, .opaque = (void *) dir,
  };
  int out, r, status;
  pid_t pid;

  if (log == NULL)
    return -1;
  out = open (log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out >= 0) {
    c.io[1] = CORE_CHILD_FD;
    c.fd[1] = out;
    c.io[2] = CORE_CHILD_STDOUT;
  }
  r = core_child_start (&c, argv);
  if (out >= 0)
    close (out);
  if (r == -1)
    return -1;
  pid = c.pid;
  if (write (fd, &pid, sizeof pid) != sizeof pid) {
    core_error_errno ("guardian pipe");
    kill (pid, SIGKILL);
  }
  if (core_child_wait (&c, &status) == -1)
    return -1;
  /* Its helpers end with it; any that does not is not waited for. */
  killpg (pid, SIGKILL);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127) {
    core_error ("%s: cannot run it (install the chromium package, or set "
                "P2VKIT_CHROMIUM)", argv[0]);
    return -1;
  }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    CLEANUP_FREE char *why = last_line (log);
    core_child_error (argv[0], status, why);
    return -1;
  }
  return 0;
}

int
rep_pdf_write (const char *html, size_t len, const char *output,
               const char *chromium)
{
  CLEANUP_FREE char *dir = NULL, *page = NULL, *pdf = NULL;
  CLEANUP_FREE char *print_arg = NULL, *profile_arg = NULL, *url = NULL;
  CLEANUP_FREE char *data = NULL;
  const char *tmp = getenv ("TMPDIR");
  size_t pdf_len;
  pid_t guardian;
  int fd = -1, ret = -1;

  if (chromium == NULL)
    chromium = getenv ("P2VKIT_CHROMIUM");
  if (chromium == NULL || chromium[0] == '\0')
    chromium = "chromium";
  dir = core_sprintf ("%s/p2vkit-report.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (dir == NULL)
    return -1;
  if (mkdtemp (dir) == NULL) {
    core_error_errno ("%s: cannot make a scratch folder", dir);
    return -1;
  }
  guardian = start_guardian (dir, &fd);
  if (guardian == -1) {
    rmdir (dir);
    return -1;
  }
  page = core_sprintf ("%s/report.html", dir);
  pdf = core_sprintf ("%s/report.pdf", dir);
  print_arg = core_sprintf ("--print-to-pdf=%s", pdf ? pdf : "");
  profile_arg = core_sprintf ("--user-data-dir=%s/profile", dir);
  url = core_sprintf ("file://%s", page ? page : "");
  if (!page || !pdf || !print_arg || !profile_arg || !url)
    goto out;
  if (write_all (page, html, len) == -1)
    goto out;
  {
    char *argv[] = {
      (char *) chromium, (char *) "--headless", (char *) "--no-sandbox",
      (char *) "--disable-gpu", (char *) "--disable-background-networking",
      (char *) "--disable-crash-reporter", (char *) "--no-first-run",
      (char *) "--no-pdf-header-footer", (char *) "--timeout=120000",
      profile_arg, print_arg, url, NULL
    };
    if (run_chromium (argv, dir, fd) == -1)
      goto out;
  }
  data = core_read_file (pdf, &pdf_len);
  if (data == NULL) {
    core_error ("%s printed no PDF", chromium);
    goto out;
  }
  if (pdf_len < 5 || memcmp (data, "%PDF-", 5) != 0) {
    core_error ("%s printed something that is not a PDF", chromium);
    goto out;
  }
  if (core_write_atomic_data (output, data, pdf_len) == -1)
    goto out;
  ret = 0;

 out:
  /* The guardian removes the scratch folder once the pipe ends. */
  close (fd);
  while (waitpid (guardian, NULL, 0) == -1 && errno == EINTR)
    ;
  return ret;
}
