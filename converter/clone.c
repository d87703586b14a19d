/* Cloning source disks with qemu-img.  The source is opened read-only
 * and shared (-U), so a disk in use elsewhere can be read and nothing is
 * ever written to it; zeroes and unallocated ranges are not written to
 * the output (qemu-img's default sparse detection, and qcow2 or a sparse
 * raw file on the output side). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "converter/converter.h"

/* The value of "KEY": in qemu-img's JSON (flat object, our own keys only):
 * a string or a number, as text. */
static char *
json_value (const char *json, const char *k)
{
  CLEANUP_FREE char *pat = core_sprintf ("\"%s\":", k);
  const char *p, *e;

  if (pat == NULL || (p = strstr (json, pat)) == NULL)
    return NULL;
  p += strlen (pat);
  while (*p == ' ')
    p++;
  if (*p == '"') {
    p++;
    e = strchr (p, '"');
  }
  else
    e = p + strcspn (p, ",}\n ");
  if (e == NULL)
    return NULL;
  return core_strndup (p, e - p);
}

/* A raw "disk image" that is not one: a text file, a tarball...  A disk
 * has a partition table (MBR or GPT, both end their first sector with
 * 55 AA) or is an LVM physical volume. */
static int
check_raw (const char *path)
{
  unsigned char sec[1024];
  struct stat st;
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd == -1) {
    core_error_errno ("%s", path);
    return -1;
  }
  if (fstat (fd, &st) == -1) {
    core_error_errno ("%s", path);
    close (fd);
    return -1;
  }
  n = pread (fd, sec, sizeof sec, 0);
  close (fd);
  if (S_ISREG (st.st_mode) && (st.st_size == 0 || st.st_size % 512 != 0)) {
    core_error ("%s: not a disk image (its size, %lld bytes, is not a whole "
                "number of sectors)", path, (long long) st.st_size);
    return -1;
  }
  if (n < (ssize_t) sizeof sec) {
    core_error ("%s: not a disk image (shorter than two sectors)", path);
    return -1;
  }
  if ((sec[510] == 0x55 && sec[511] == 0xaa)
      || memcmp (sec + 512, "LABELONE", 8) == 0)
    return 0;
  core_error ("%s: not a disk image (no partition table in its first sector)",
              path);
  return -1;
}

int
conv_probe_source (const char *path, char **format, int64_t *virtual_size)
{
  CLEANUP_FREE char *out = NULL, *fmt = NULL, *size = NULL;
  char *const argv[] = { (char *) "qemu-img", (char *) "info", (char *) "-U",
                         (char *) "--output=json", (char *) path, NULL };
  int fd;

  /* A clear reason for the common cases before qemu-img's own. */
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    if (errno == ENOENT)
      core_error ("%s: no such file or device", path);
    else
      core_error_errno ("%s: cannot read", path);
    return -1;
  }
  close (fd);
  if (core_run (argv, &out) != 0) {
    char msg[1024];

    snprintf (msg, sizeof msg, "%s", core_errmsg ());
    core_error ("%s: not a disk image qemu-img can read (%s)", path, msg);
    return -1;
  }
  fmt = json_value (out, "format");
  size = json_value (out, "virtual-size");
  if (fmt == NULL || size == NULL
      || core_parse_int64 (size, "virtual-size", 0, INT64_MAX, virtual_size) == -1) {
    core_error ("%s: qemu-img info gave no format or size", path);
    return -1;
  }
  if (strcmp (fmt, "raw") == 0 && check_raw (path) == -1)
    return -1;
  if (*virtual_size == 0) {
    core_error ("%s: not a disk image (empty)", path);
    return -1;
  }
  *format = fmt;
  fmt = NULL;
  return 0;
}

int
conv_clone (const char *src, const char *src_format, int64_t virtual_size,
            const char *dst, const char *format,
            core_progress_fn progress, void *opaque)
{
  /* -U: share the source with whoever else has it open; qemu-img opens a
   * convert source read-only.  -p prints "(NN.NN/100%)" as it goes. */
  const char *argv[] = {
    "qemu-img", "convert", "-p", "-U", "-f", src_format, "-O", format,
    src, dst, NULL
  };
  int outp[2], errp[2];
  pid_t pid;
  int status;
  char line[256], errtail[1024] = "";
  size_t ll = 0, el = 0;

  if (pipe2 (outp, O_CLOEXEC) == -1 || pipe2 (errp, O_CLOEXEC) == -1) {
    core_error_errno ("pipe");
    return -1;
  }
  pid = fork ();
  if (pid == -1) {
    core_error_errno ("fork");
    return -1;
  }
  if (pid == 0) {
    dup2 (outp[1], 1);
    dup2 (errp[1], 2);
    execvp (argv[0], (char **) argv);
    dprintf (2, "qemu-img: %s\n", strerror (errno));
    _exit (127);
  }
  close (outp[1]);
  close (errp[1]);
  /* stdout: progress, stderr: errors (read after; qemu-img says little). */
  for (;;) {
    char c;
    ssize_t n = read (outp[0], &c, 1);

    if (n == -1 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (c == '\r' || c == '\n') {
      double pct;
      char *open = memchr (line, '(', ll);

      line[ll] = '\0';
      if (open && sscanf (open, "(%lf/100%%)", &pct) == 1 && progress)
        progress (opaque, (uint64_t) (pct / 100.0 * virtual_size),
                  (uint64_t) virtual_size);
      ll = 0;
    }
    else if (ll < sizeof line - 1)
      line[ll++] = c;
  }
  close (outp[0]);
  for (;;) {
    ssize_t n = read (errp[0], errtail + el, sizeof errtail - 1 - el);

    if (n == -1 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    el += n;
    if (el == sizeof errtail - 1) {
      /* Keep the last half: the error is at the end. */
      memmove (errtail, errtail + el / 2, el - el / 2);
      el -= el / 2;
    }
  }
  errtail[el] = '\0';
  close (errp[0]);
  while (waitpid (pid, &status, 0) == -1)
    if (errno != EINTR) {
      core_error_errno ("waitpid");
      return -1;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    char *last = NULL;

    for (char *l = strtok (errtail, "\n"); l; l = strtok (NULL, "\n"))
      last = l;
    if (WIFSIGNALED (status))
      core_error ("%s: copying to %s: qemu-img killed by signal %d", src, dst,
                  WTERMSIG (status));
    else
      core_error ("%s: copying to %s failed: %s", src, dst,
                  last ? last : "qemu-img failed");
    return -1;
  }
  if (progress)
    progress (opaque, (uint64_t) virtual_size, (uint64_t) virtual_size);
  return 0;
}
