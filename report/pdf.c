/* HTML to PDF through headless Chromium (Debian's chromium package).
 *
 * Chromium needs files: the page to print, a profile folder, the PDF it
 * writes.  They go into a scratch folder that a small guardian process
 * removes when this process ends, however it ends (Ctrl-C, kill), so no
 * partial work stays behind; the PDF reaches OUTPUT through
 * core_write_atomic, whole or not at all.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* A child that waits for the end of the pipe it reads (this process
 * closing it, or dying) and then removes DIR.  Returns its pid and the
 * write end of the pipe in *FD. */
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
    char c;

    /* Ctrl-C reaches the whole process group: outlive it. */
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
      signal (sigs[i], SIG_IGN);
    close (p[1]);
    while (read (p[0], &c, 1) == -1 && errno == EINTR)
      ;
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
  size_t done = 0;

  if (fd == -1) {
    core_error_errno ("%s", path);
    return -1;
  }
  while (done < len) {
    ssize_t r = write (fd, buf + done, len - done);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      core_error_errno ("%s", path);
      close (fd);
      return -1;
    }
    done += r;
  }
  if (close (fd) == -1) {
    core_error_errno ("%s", path);
    return -1;
  }
  return 0;
}

struct pdf_copy {
  const char *data;
  size_t len;
};

static int
copy_pdf (FILE *fp, void *opaque)
{
  const struct pdf_copy *c = opaque;

  if (fwrite (c->data, 1, c->len, fp) != c->len) {
    core_error_errno ("write error");
    return -1;
  }
  return 0;
}

int
rep_pdf_write (const char *html, size_t len, const char *output,
               const char *chromium)
{
  CLEANUP_FREE char *dir = NULL, *page = NULL, *pdf = NULL, *profile = NULL;
  CLEANUP_FREE char *print_arg = NULL, *profile_arg = NULL, *url = NULL;
  CLEANUP_FREE char *data = NULL;
  const char *tmp = getenv ("TMPDIR");
  struct pdf_copy copy;
  size_t pdf_len;
  pid_t guardian;
  int fd = -1, r, ret = -1;

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
  profile = core_sprintf ("%s/profile", dir);
  print_arg = core_sprintf ("--print-to-pdf=%s", pdf ? pdf : "");
  profile_arg = core_sprintf ("--user-data-dir=%s", profile ? profile : "");
  url = core_sprintf ("file://%s", page ? page : "");
  if (!page || !pdf || !profile || !print_arg || !profile_arg || !url)
    goto out;
  if (write_all (page, html, len) == -1)
    goto out;
  {
    char *argv[] = {
      (char *) chromium, (char *) "--headless", (char *) "--no-sandbox",
      (char *) "--disable-gpu", (char *) "--disable-background-networking",
      (char *) "--no-first-run", (char *) "--no-pdf-header-footer",
      (char *) "--timeout=120000", profile_arg, print_arg, url, NULL
    };
    r = core_run (argv, NULL);
  }
  if (r != 0) {
    if (r > 0 && r != 127)
      goto out;             /* core_run said why */
    if (r == 127)
      core_error ("%s: cannot run it (install the chromium package, or set "
                  "P2VKIT_CHROMIUM)", chromium);
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
  copy = (struct pdf_copy) { data, pdf_len };
  if (core_write_atomic (output, copy_pdf, &copy) == -1)
    goto out;
  ret = 0;

 out:
  /* Remove the scratch folder now; the guardian then finds it gone. */
  remove_tree (dir);
  close (fd);
  while (waitpid (guardian, NULL, 0) == -1 && errno == EINTR)
    ;
  return ret;
}
