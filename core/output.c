/* Output files are written whole or not at all: into a temporary file in
 * the same folder (so rename is atomic), renamed on success, removed on
 * failure or, through core_tmpfiles_cleanup, on a signal. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

/* Fixed slots so that the signal handler never walks memory that is being
 * reallocated: a slot is filled before its path is published. */
#define MAX_TMPFILES 64
static char tmpfiles[MAX_TMPFILES][PATH_MAX];
static volatile sig_atomic_t tmpfile_used[MAX_TMPFILES];

int
core_tmpfiles_add (const char *path)
{
  if (strlen (path) >= PATH_MAX) {
    core_error ("%s: path too long", path);
    return -1;
  }
  for (int i = 0; i < MAX_TMPFILES; i++) {
    if (!tmpfile_used[i]) {
      strcpy (tmpfiles[i], path);
      tmpfile_used[i] = 1;
      return 0;
    }
  }
  core_error ("too many temporary files at once");
  return -1;
}

void
core_tmpfiles_remove (const char *path)
{
  for (int i = 0; i < MAX_TMPFILES; i++)
    if (tmpfile_used[i] && strcmp (tmpfiles[i], path) == 0) {
      tmpfile_used[i] = 0;
      return;
    }
}

/* Remove the files in folder PATH, then the folder.  Only system calls:
 * it runs in signal handlers, where opendir and readdir (malloc) may not. */
static void
remove_folder (const char *path)
{
  char buf[4096];
  long n;
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd == -1)
    return;
  while ((n = syscall (SYS_getdents64, fd, buf, sizeof buf)) > 0)
    for (long off = 0; off < n; ) {
      /* struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name */
      unsigned short reclen;
      const char *name = buf + off + 19;

      memcpy (&reclen, buf + off + 16, sizeof reclen);
      if (strcmp (name, ".") != 0 && strcmp (name, "..") != 0)
        unlinkat (fd, name, 0);
      off += reclen;
    }
  close (fd);
  rmdir (path);
}

void
core_tmpfiles_cleanup (void)
{
  /* Called from signal handlers: unlink, rmdir and the calls of
   * remove_folder are async-signal-safe. */
  for (int i = 0; i < MAX_TMPFILES; i++)
    if (tmpfile_used[i]) {
      if (unlink (tmpfiles[i]) == -1 && errno == EISDIR)
        remove_folder (tmpfiles[i]);
      tmpfile_used[i] = 0;
    }
}

int
core_write_atomic (const char *path,
                   int (*write_fn) (FILE *fp, void *opaque), void *opaque)
{
  CLEANUP_FREE char *tmp = NULL;
  FILE *fp;
  int fd;

  if (strcmp (path, "-") == 0) {
    if (write_fn (stdout, opaque) == -1)
      return -1;
    if (fflush (stdout) != 0) {
      core_error_errno ("stdout");
      return -1;
    }
    return 0;
  }

  tmp = core_sprintf ("%s.tmpXXXXXX", path);
  if (tmp == NULL)
    return -1;
  fd = mkstemp (tmp);
  if (fd == -1) {
    core_error_errno ("%s: cannot create the output file", path);
    return -1;
  }
  if (core_tmpfiles_add (tmp) == -1) {
    close (fd);
    unlink (tmp);
    return -1;
  }
  /* mkstemp makes 0600 files; outputs are ordinary files. */
  mode_t mask = umask (0);
  umask (mask);
  fchmod (fd, 0666 & ~mask);
  fp = fdopen (fd, "w");
  if (fp == NULL) {
    core_error_errno ("%s", tmp);
    close (fd);
    goto fail;
  }
  if (write_fn (fp, opaque) == -1) {
    char msg[1024];

    snprintf (msg, sizeof msg, "%s", core_errmsg ());
    fclose (fp);
    core_error ("%s: %s", path, msg);
    goto fail;
  }
  if (fflush (fp) != 0 || fsync (fileno (fp)) != 0) {
    core_error_errno ("%s: write error", path);
    fclose (fp);
    goto fail;
  }
  if (fclose (fp) != 0) {
    core_error_errno ("%s: write error", path);
    goto fail;
  }
  if (rename (tmp, path) == -1) {
    core_error_errno ("%s: cannot rename the output into place", path);
    goto fail;
  }
  core_tmpfiles_remove (tmp);
  return 0;

 fail:
  unlink (tmp);
  core_tmpfiles_remove (tmp);
  return -1;
}
