/* Output files are written whole or not at all: into a temporary file in
 * the same folder (so rename is atomic), renamed on success, removed on
 * failure or, through core_tmpfiles_cleanup, on a signal.
 *
 * What PATH is decides how: a symbolic link is followed to its final
 * target, which is replaced atomically in its own folder (the link stays);
 * a character device, a FIFO or standard output ("-", /dev/stdout,
 * /dev/fd/N) is written in place, as `cat > PATH` would, since replacing
 * it would turn a device into a file or cut off whoever reads the pipe. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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

/* The signals front ends clean up on. */
static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

void
core_signals_block (sigset_t *old)
{
  sigset_t set;

  sigemptyset (&set);
  for (size_t i = 0; i < sizeof cleanup_signals / sizeof cleanup_signals[0]; i++)
    sigaddset (&set, cleanup_signals[i]);
  pthread_sigmask (SIG_BLOCK, &set, old);
}

void
core_signals_restore (const sigset_t *old)
{
  pthread_sigmask (SIG_SETMASK, old, NULL);
}

int
core_mkstemp_registered (char *tmpl)
{
  sigset_t old;
  int fd, err;

  /* Between mkstemp and the registration a signal would leave the file
   * behind, unknown to the cleanup. */
  core_signals_block (&old);
  fd = mkstemp (tmpl);
  if (fd == -1) {
    err = errno;
    core_signals_restore (&old);
    errno = err;
    core_error_errno ("%s: cannot create a temporary file", tmpl);
    errno = err;
    return -1;
  }
  if (core_tmpfiles_add (tmpl) == -1) {
    close (fd);
    unlink (tmpl);
    core_signals_restore (&old);
    errno = 0;                  /* the error is set: no errno to add */
    return -1;
  }
  core_signals_restore (&old);
  return fd;
}

char *
core_mkdtemp_registered (char *tmpl)
{
  sigset_t old;
  char *r;
  int err;

  core_signals_block (&old);
  r = mkdtemp (tmpl);
  if (r == NULL) {
    err = errno;
    core_signals_restore (&old);
    errno = err;
    core_error_errno ("%s: cannot create a temporary folder", tmpl);
    return NULL;
  }
  if (core_tmpfiles_add (tmpl) == -1) {
    rmdir (tmpl);
    core_signals_restore (&old);
    return NULL;
  }
  core_signals_restore (&old);
  return r;
}

int
core_mkdir_registered (const char *path, mode_t mode, bool *made)
{
  sigset_t old;

  *made = false;
  core_signals_block (&old);
  if (mkdir (path, mode) == -1) {
    int err = errno;
    core_signals_restore (&old);
    if (err == EEXIST) {
      struct stat st;
      if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
        return 0;
      core_error ("%s: exists and is not a folder", path);
      return -1;
    }
    errno = err;
    core_error_errno ("%s: cannot create the folder", path);
    return -1;
  }
  if (core_tmpfiles_add (path) == -1) {
    rmdir (path);
    core_signals_restore (&old);
    return -1;
  }
  *made = true;
  core_signals_restore (&old);
  return 0;
}

/* "/dev/fd/N" or "/proc/self/fd/N": N, else -1. */
static int
fd_path (const char *path)
{
  const char *n = NULL;
  int64_t fd;

  if (strncmp (path, "/dev/fd/", 8) == 0)
    n = path + 8;
  else if (strncmp (path, "/proc/self/fd/", 14) == 0)
    n = path + 14;
  if (n == NULL || *n == '\0' || strspn (n, "0123456789") != strlen (n))
    return -1;
  if (core_parse_int64 (n, "fd", 0, INT_MAX, &fd) == -1)
    return -1;
  return (int) fd;
}

bool
core_output_is_stdout (const char *path)
{
  return path != NULL && (strcmp (path, "-") == 0 || strcmp (path, "/dev/stdout") == 0
                          || fd_path (path) == 1);
}

char *
core_output_target (const char *path, enum core_output_kind *kind, int *fd)
{
  CLEANUP_FREE char *p = NULL;
  struct stat st;

  *fd = -1;
  if (core_output_is_stdout (path)) {
    *kind = CORE_OUTPUT_FD;
    *fd = 1;
    return core_strdup (path);
  }
  /* Descriptors the caller's shell opened (2>, process substitution):
   * written through, sharing the descriptor's offset and flags. */
  if (strcmp (path, "/dev/stderr") == 0 || fd_path (path) >= 0) {
    *fd = strcmp (path, "/dev/stderr") == 0 ? 2 : fd_path (path);
    if (fcntl (*fd, F_GETFD) == -1) {
      core_error_errno ("%s", path);
      return NULL;
    }
    *kind = CORE_OUTPUT_FD;
    return core_strdup (path);
  }
  p = core_strdup (path);
  if (p == NULL)
    return NULL;
  /* Links, to the end of the chain (a dangling link names the new file). */
  for (int hops = 0; ; hops++) {
    char target[PATH_MAX];
    ssize_t n;
    char *next;

    if (lstat (p, &st) == -1) {
      if (errno != ENOENT) {
        core_error_errno ("%s", path);
        return NULL;
      }
      *kind = CORE_OUTPUT_FILE;
      next = p;
      p = NULL;
      return next;
    }
    if (!S_ISLNK (st.st_mode))
      break;
    if (hops >= 40) {
      errno = ELOOP;
      core_error_errno ("%s", path);
      return NULL;
    }
    n = readlink (p, target, sizeof target - 1);
    if (n == -1) {
      core_error_errno ("%s", p);
      return NULL;
    }
    target[n] = '\0';
    if (target[0] == '/')
      next = core_strdup (target);
    else {
      const char *slash = strrchr (p, '/');
      next = slash ? core_sprintf ("%.*s/%s", (int) (slash - p), p, target)
                   : core_strdup (target);
    }
    if (next == NULL)
      return NULL;
    free (p);
    p = next;
  }
  if (S_ISREG (st.st_mode))
    *kind = CORE_OUTPUT_FILE;
  else if (S_ISCHR (st.st_mode) || S_ISFIFO (st.st_mode))
    *kind = CORE_OUTPUT_STREAM;
  else if (S_ISDIR (st.st_mode)) {
    core_error ("%s: is a folder; give a file name", path);
    return NULL;
  }
  else {
    core_error ("%s: is a %s; p2vkit writes to files, character devices "
                "and FIFOs only", path,
                S_ISBLK (st.st_mode) ? "block device" : "socket");
    return NULL;
  }
  {
    char *ret = p;
    p = NULL;
    return ret;
  }
}

/* The temporary name for TARGET: in its folder, so rename is atomic. */
static char *
tmp_name (const char *target)
{
  return core_sprintf ("%s.tmpXXXXXX", target);
}

/* A registered temporary file beside TARGET (PATH's final target), with
 * the mode the output will have: open, its name in *TMP. */
static int
make_temp (const char *path, const char *target, char **tmp)
{
  struct stat st;
  int fd;

  *tmp = tmp_name (target);
  if (*tmp == NULL)
    return -1;
  fd = core_mkstemp_registered (*tmp);
  if (fd == -1) {
    if (errno)
      core_error_errno ("%s: cannot create the output file", path);
    return -1;
  }
  /* mkstemp makes 0600 files; outputs are ordinary files, and a file
   * replaced keeps the permissions it had. */
  if (stat (target, &st) == 0)
    fchmod (fd, st.st_mode & 07777);
  else {
    mode_t mask = umask (0);
    umask (mask);
    fchmod (fd, 0666 & ~mask);
  }
  return fd;
}

char *
core_output_temp (const char *path, char **target)
{
  enum core_output_kind kind;
  char *tmp = NULL;
  int fd;

  *target = core_output_target (path, &kind, &fd);
  if (*target == NULL)
    return NULL;
  if (kind != CORE_OUTPUT_FILE) {
    core_error ("%s: is %s; this output is written to files only", path,
                kind == CORE_OUTPUT_FD ? "an open descriptor"
                : "a character device or a FIFO");
    goto fail;
  }
  fd = make_temp (path, *target, &tmp);
  if (fd == -1)
    goto fail;
  close (fd);
  return tmp;

 fail:
  free (tmp);
  free (*target);
  *target = NULL;
  return NULL;
}

int
core_output_check (const char *path)
{
  CLEANUP_FREE char *target = NULL, *tmp = NULL;
  enum core_output_kind kind;
  int fd;

  target = core_output_target (path, &kind, &fd);
  if (target == NULL)
    return -1;
  if (kind == CORE_OUTPUT_FD)
    return 0;
  if (kind == CORE_OUTPUT_STREAM) {
    if (access (target, W_OK) == -1) {
      core_error_errno ("%s: cannot write there", path);
      return -1;
    }
    return 0;
  }
  if ((tmp = tmp_name (target)) == NULL)
    return -1;
  if ((fd = core_mkstemp_registered (tmp)) == -1) {
    core_error_errno ("%s: cannot create the output file", path);
    return -1;
  }
  close (fd);
  unlink (tmp);
  core_tmpfiles_remove (tmp);
  return 0;
}

/* Write in place: WRITE_FN on FP, flushed; FP is not closed. */
static int
write_stream (const char *path, FILE *fp,
              int (*write_fn) (FILE *fp, void *opaque), void *opaque)
{
  if (write_fn (fp, opaque) == -1) {
    char msg[1024];

    snprintf (msg, sizeof msg, "%s", core_errmsg ());
    core_error ("%s: %s", path, msg);
    return -1;
  }
  if (fflush (fp) != 0 || ferror (fp)) {
    core_error_errno ("%s: write error", path);
    return -1;
  }
  return 0;
}

/* Write in place on FD, which this closes: -1 is a failed dup or open
 * (errno set), said as PATH: WHAT, or PATH alone when WHAT is NULL. */
static int
write_fd (const char *path, int fd, const char *what,
          int (*write_fn) (FILE *fp, void *opaque), void *opaque)
{
  FILE *fp;
  int r;

  if (fd == -1 || (fp = fdopen (fd, "w")) == NULL) {
    if (what)
      core_error_errno ("%s: %s", path, what);
    else
      core_error_errno ("%s", path);
    if (fd >= 0)
      close (fd);
    return -1;
  }
  r = write_stream (path, fp, write_fn, opaque);
  if (fclose (fp) != 0 && r == 0) {
    core_error_errno ("%s: write error", path);
    r = -1;
  }
  return r;
}

int
core_write_atomic (const char *path,
                   int (*write_fn) (FILE *fp, void *opaque), void *opaque)
{
  CLEANUP_FREE char *target = NULL, *tmp = NULL;
  enum core_output_kind kind;
  FILE *fp;
  int fd;

  target = core_output_target (path, &kind, &fd);
  if (target == NULL)
    return -1;
  if (kind == CORE_OUTPUT_FD) {
    if (fd == 1)
      return write_stream (strcmp (path, "-") == 0 ? "stdout" : path, stdout,
                           write_fn, opaque);
    if (fd == 2)
      return write_stream (path, stderr, write_fn, opaque);
    return write_fd (path, dup (fd), NULL, write_fn, opaque);
  }
  if (kind == CORE_OUTPUT_STREAM) {
    /* No O_CREAT: the device or FIFO is there; no O_TRUNC: it has no
     * length.  Opening a FIFO waits for its reader, as a shell's > does. */
    return write_fd (path, open (target, O_WRONLY | O_NOCTTY | O_CLOEXEC),
                     "cannot open the output", write_fn, opaque);
  }

  fd = make_temp (path, target, &tmp);
  if (fd == -1)
    return -1;
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
  if (rename (tmp, target) == -1) {
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

struct data {
  const void *data;
  size_t len;
};

static int
write_data (FILE *fp, void *opaque)
{
  const struct data *d = opaque;

  if (fwrite (d->data, 1, d->len, fp) != d->len) {
    core_error_errno ("write error");
    return -1;
  }
  return 0;
}

int
core_write_atomic_data (const char *path, const void *data, size_t len)
{
  struct data d = { data, len };

  return core_write_atomic (path, write_data, &d);
}

/* Copy the file at FROM into FP. */
static int
copy_file (FILE *fp, void *opaque)
{
  const char *from = opaque;
  char buf[65536];
  ssize_t n;
  int fd = open (from, O_RDONLY | O_CLOEXEC);

  if (fd == -1) {
    core_error_errno ("%s", from);
    return -1;
  }
  while ((n = read (fd, buf, sizeof buf)) != 0) {
    if (n == -1) {
      if (errno == EINTR)
        continue;
      core_error_errno ("%s", from);
      close (fd);
      return -1;
    }
    if (fwrite (buf, 1, n, fp) != (size_t) n) {
      core_error_errno ("write error");
      close (fd);
      return -1;
    }
  }
  close (fd);
  return 0;
}

int
core_output_commit (const char *tmp, const char *path)
{
  CLEANUP_FREE char *target = NULL;
  enum core_output_kind kind;
  int fd;

  target = core_output_target (path, &kind, &fd);
  if (target == NULL)
    return -1;
  if (kind == CORE_OUTPUT_FILE) {
    if (rename (tmp, target) == 0)
      return 0;
    /* A link to another file system: rename cannot cross it. */
    if (errno != EXDEV) {
      core_error_errno ("%s: cannot rename into place", path);
      return -1;
    }
  }
  if (core_write_atomic (path, copy_file, (void *) tmp) == -1)
    return -1;
  unlink (tmp);
  return 0;
}
