/* Reading the files of the profiled system, under a root folder, and
 * optionally recording a copy of everything read: a recorded tree given
 * back as --root reproduces the profile. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory/inventory.h"

int
inv_src_init (struct inv_src *s, const char *root, const char *record,
              const struct core_notify *notify)
{
  memset (s, 0, sizeof *s);
  s->notify = notify;
  if (root == NULL || strcmp (root, "/") == 0)
    root = "";
  /* "DIR/" and "DIR" are the same root: paths are ROOT + "/proc/...". */
  s->root = core_strdup (root);
  if (s->root == NULL)
    return -1;
  for (size_t n = strlen (s->root); n > 0 && s->root[n - 1] == '/'; n--)
    s->root[n - 1] = '\0';
  if (record) {
    s->record = core_strdup (record);
    if (s->record == NULL)
      return -1;
  }
  return 0;
}

void
inv_src_clear (struct inv_src *s)
{
  if (s == NULL)
    return;
  free (s->root);
  free (s->record);
  s->root = s->record = NULL;
  core_string_vector_free (&s->warned);
}

bool
inv_src_live (const struct inv_src *s)
{
  return s->root[0] == '\0';
}

char *
inv_src_path (const struct inv_src *s, const char *rel)
{
  return core_sprintf ("%s%s", s->root, rel);
}

void
inv_warn (struct inv_src *s, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  char *copy;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  for (size_t i = 0; i < s->warned.len; i++)
    if (strcmp (s->warned.ptr[i], msg) == 0)
      return;
  /* Out of memory here only means a warning may repeat. */
  copy = strdup (msg);
  if (copy && core_string_vector_append (&s->warned, copy) == -1)
    free (copy);
  core_notice (s->notify, CORE_NOTICE_WARNING, "%s", msg);
}

/* Recording ---------------------------------------------------------- */

/* mkdir -p of the folder that holds PATH. */
static int
make_parents (char *path)
{
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir (path, 0755) == -1 && errno != EEXIST) {
      *p = '/';
      return -1;
    }
    *p = '/';
  }
  return 0;
}

static char *
record_path (struct inv_src *s, const char *rel)
{
  char *path = core_sprintf ("%s%s", s->record, rel);

  if (path && make_parents (path) == -1) {
    inv_warn (s, "cannot record %s: %s", path, strerror (errno));
    free (path);
    return NULL;
  }
  return path;
}

static void
record_file (struct inv_src *s, const char *rel, const char *buf, size_t len)
{
  CLEANUP_FREE char *path = NULL;
  int fd;

  if (s->record == NULL || (path = record_path (s, rel)) == NULL)
    return;
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1 || write (fd, buf, len) != (ssize_t) len)
    inv_warn (s, "cannot record %s: %s", path, strerror (errno));
  if (fd != -1)
    close (fd);
}

/* Version control keeps no empty folder, so a folder whose existence is
 * all that was read gets an empty .keep file. */
static void
record_dir (struct inv_src *s, const char *rel, bool keep)
{
  CLEANUP_FREE char *path = NULL;

  if (s->record == NULL)
    return;
  path = core_sprintf ("%s%s/.keep", s->record, rel);
  if (path == NULL || make_parents (path) == -1) {
    inv_warn (s, "cannot record %s%s: %s", s->record, rel, strerror (errno));
    return;
  }
  if (keep) {
    int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd != -1)
      close (fd);
  }
}

void
inv_src_record_link (struct inv_src *s, const char *rel, const char *target)
{
  CLEANUP_FREE char *path = NULL;

  if (s->record == NULL || (path = record_path (s, rel)) == NULL)
    return;
  unlink (path);
  if (symlink (target, path) == -1)
    inv_warn (s, "cannot record %s: %s", path, strerror (errno));
}

void
inv_src_record_line (struct inv_src *s, const char *rel, const char *line)
{
  CLEANUP_FREE char *path = NULL;
  FILE *fp;

  if (s->record == NULL || (path = record_path (s, rel)) == NULL)
    return;
  fp = fopen (path, "ae");
  if (fp == NULL) {
    inv_warn (s, "cannot record %s: %s", path, strerror (errno));
    return;
  }
  fprintf (fp, "%s\n", line);
  fclose (fp);
}

/* Reading ------------------------------------------------------------ */

char *
inv_src_read (struct inv_src *s, const char *rel, size_t max, size_t *lenp)
{
  CLEANUP_FREE char *path = inv_src_path (s, rel);
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int fd;

  if (path == NULL)
    return NULL;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1)
    return NULL;
  /* /proc and /sys files report no size: read until the end, in steps,
   * never more than MAX (a recorded tree is untrusted input too). */
  for (;;) {
    size_t room;
    ssize_t r;

    if (len == max)
      break;                    /* MAX reached */
    if (core_vector_reserve ((void **) &buf, &cap, len, 4096 + 1, 1) == -1) {
      free (buf);
      close (fd);
      errno = ENOMEM;
      return NULL;
    }
    room = cap - len - 1;
    if (room > max - len)
      room = max - len;
    r = read (fd, buf + len, room);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      int e = errno;
      free (buf);
      close (fd);
      errno = e;
      return NULL;
    }
    if (r == 0)
      break;
    len += r;
  }
  close (fd);
  if (buf == NULL) {            /* MAX of 0 */
    buf = malloc (1);
    if (buf == NULL) {
      errno = ENOMEM;
      return NULL;
    }
  }
  buf[len] = '\0';
  record_file (s, rel, buf, len);
  if (lenp)
    *lenp = len;
  return buf;
}

char *
inv_src_read_warn (struct inv_src *s, const char *rel, size_t max,
                   size_t *len)
{
  char *buf = inv_src_read (s, rel, max, len);

  if (buf == NULL)
    inv_warn (s, "cannot read %s%s: %s; what it tells is left out", s->root,
              rel, strerror (errno));
  return buf;
}

char *
inv_src_line (struct inv_src *s, const char *rel)
{
  char *buf = inv_src_read (s, rel, 4096, NULL);
  char *start, *end;

  if (buf == NULL)
    return NULL;
  start = buf + strspn (buf, " \t");
  end = start + strcspn (start, "\n");
  while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
    end--;
  if (end == start) {
    free (buf);
    return NULL;
  }
  memmove (buf, start, end - start);
  buf[end - start] = '\0';
  return buf;
}

int
inv_src_int64 (struct inv_src *s, const char *rel, int64_t *out)
{
  CLEANUP_FREE char *line = inv_src_line (s, rel);

  if (line == NULL || core_parse_int64 (line, rel, INT64_MIN, INT64_MAX, out) == -1)
    return -1;
  return 0;
}

char *
inv_src_readlink (struct inv_src *s, const char *rel)
{
  CLEANUP_FREE char *path = inv_src_path (s, rel);
  char buf[PATH_MAX];
  ssize_t n;

  if (path == NULL)
    return NULL;
  n = readlink (path, buf, sizeof buf - 1);
  if (n == -1)
    return NULL;
  buf[n] = '\0';
  inv_src_record_link (s, rel, buf);
  return core_strdup (buf);
}

char *
inv_src_link_name (struct inv_src *s, const char *rel)
{
  CLEANUP_FREE char *target = inv_src_readlink (s, rel);
  const char *slash;

  if (target == NULL)
    return NULL;
  slash = strrchr (target, '/');
  return core_strdup (slash ? slash + 1 : target);
}

bool
inv_src_exists (struct inv_src *s, const char *rel)
{
  CLEANUP_FREE char *path = inv_src_path (s, rel);
  struct stat st;

  if (path == NULL || stat (path, &st) == -1)
    return false;
  if (S_ISDIR (st.st_mode))
    record_dir (s, rel, true);
  else
    record_file (s, rel, "", 0);
  return true;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
inv_src_list (struct inv_src *s, const char *rel, core_string_vector *out)
{
  CLEANUP_FREE char *path = inv_src_path (s, rel);
  struct dirent *d;
  DIR *dir;

  if (path == NULL)
    return -1;
  dir = opendir (path);
  if (dir == NULL)
    return -1;
  while ((errno = 0, d = readdir (dir)) != NULL) {
    char *name;

    if (strcmp (d->d_name, ".") == 0 || strcmp (d->d_name, "..") == 0
        || strcmp (d->d_name, ".keep") == 0)
      continue;
    name = core_strdup (d->d_name);
    if (name == NULL || core_string_vector_append (out, name) == -1) {
      free (name);
      closedir (dir);
      errno = ENOMEM;
      return -1;
    }
  }
  closedir (dir);
  /* readdir's order is the file system's: sort for stable profiles. */
  if (out->len)
    qsort (out->ptr, out->len, sizeof out->ptr[0], compare_strings);
  record_dir (s, rel, false);
  return 0;
}

FILE *
inv_src_fopen (struct inv_src *s, const char *rel)
{
  CLEANUP_FREE char *path = inv_src_path (s, rel);

  FILE *fp;

  if (path == NULL)
    return NULL;
  fp = fopen (path, "re");
  /* What is used of it is recorded line by line from an empty copy. */
  if (fp)
    record_file (s, rel, "", 0);
  return fp;
}
