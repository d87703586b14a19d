/* Cloning source disks with qemu-img.  The source is opened read-only
 * and shared (-U), so a disk in use elsewhere can be read and nothing is
 * ever written to it; zeroes and unallocated ranges are not written to
 * the output (qemu-img's default sparse detection, and qcow2 or a sparse
 * raw file on the output side). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "converter/converter.h"

/* ---- qemu-img's JSON ----
 * A small reader of qemu-img info's output: every member whose value is
 * a string or a number, with its depth (1: the top object).  qemu-img
 * prints its members in hash order, and "format" is also a key inside
 * "format-specific", so a text search for the first "format" could find
 * the wrong one. */

typedef int (*json_member_fn) (void *opaque, int depth, const char *key,
                               const char *value);

struct json_rd {
  const char *p;
  json_member_fn fn;
  void *opaque;
};

static void
json_ws (struct json_rd *j)
{
  while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')
    j->p++;
}

/* A string at J->p, unescaped (a \u escape beyond ASCII becomes '?':
 * such a name never equals a real one, which only refuses more). */
static char *
json_string (struct json_rd *j)
{
  core_buffer s = { 0 };

  if (*j->p != '"')
    return NULL;
  j->p++;
  for (;;) {
    char c = *j->p++;

    if (c == '\0')
      goto fail;
    if (c == '"')
      break;
    if (c == '\\') {
      c = *j->p++;
      switch (c) {
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'u': {
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
          char h = *j->p++;
          v <<= 4;
          if (h >= '0' && h <= '9') v |= h - '0';
          else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
          else
            goto fail;
        }
        c = v >= 1 && v < 0x80 ? (char) v : '?';
        break;
      }
      case '"': case '\\': case '/': break;
      default:
        goto fail;
      }
    }
    if (core_buffer_add (&s, &c, 1) == -1)
      goto fail;
  }
  return core_buffer_take (&s);
 fail:
  core_buffer_reset (&s);
  return NULL;
}

static int json_value_of (struct json_rd *j, int depth, const char *key);

/* An object, whose members are one level deeper, or an array, whose
 * items are at DEPTH and bear the array's KEY. */
static int
json_container (struct json_rd *j, int depth, const char *key)
{
  bool object = *j->p == '{';
  char close = object ? '}' : ']';

  j->p++;
  json_ws (j);
  if (*j->p == close) {
    j->p++;
    return 0;
  }
  for (;;) {
    CLEANUP_FREE char *name = NULL;

    json_ws (j);
    if (object) {
      if ((name = json_string (j)) == NULL)
        return -1;
      json_ws (j);
      if (*j->p++ != ':')
        return -1;
      json_ws (j);
    }
    if (json_value_of (j, object ? depth + 1 : depth, object ? name : key) == -1)
      return -1;
    json_ws (j);
    if (*j->p == ',') {
      j->p++;
      continue;
    }
    return *j->p++ == close ? 0 : -1;
  }
}

static int
json_value_of (struct json_rd *j, int depth, const char *key)
{
  /* qemu-img's objects nest a few levels; anything deeper is not its. */
  if (depth > 32)
    return -1;
  if (*j->p == '{' || *j->p == '[')
    return json_container (j, depth, key);
  if (*j->p == '"') {
    CLEANUP_FREE char *s = json_string (j);

    if (s == NULL)
      return -1;
    return j->fn (j->opaque, depth, key, s);
  }
  else {
    size_t n = strspn (j->p, "+-.0123456789eEtruefalsn");
    CLEANUP_FREE char *s = n ? core_strndup (j->p, n) : NULL;

    if (s == NULL)
      return -1;
    j->p += n;
    return j->fn (j->opaque, depth, key, s);
  }
}

/* Calls FN for each scalar member of JSON; -1 when it is not JSON or FN
 * fails. */
static int
json_each (const char *json, json_member_fn fn, void *opaque)
{
  struct json_rd j = { .p = json, .fn = fn, .opaque = opaque };

  json_ws (&j);
  if (*j.p != '{' || json_container (&j, 0, NULL) == -1)
    return -1;
  json_ws (&j);
  return *j.p == '\0' ? 0 : -1;
}

/* What qemu-img info says about one image. */
struct image_info {
  char *format;                 /* top-level "format" */
  char *filename;               /* top-level "filename" */
  char *size;                   /* top-level "virtual-size" */
  char *backing;                /* "backing-filename" */
  char *data_file;              /* "data-file" (qcow2's external data) */
  core_string_vector files;     /* other "filename"s: VMDK extents */
};

static void
image_info_clear (struct image_info *i)
{
  free (i->format);
  free (i->filename);
  free (i->size);
  free (i->backing);
  free (i->data_file);
  core_string_vector_free (&i->files);
}

static int
set_once (char **slot, const char *value)
{
  if (*slot == NULL && (*slot = core_strdup (value)) == NULL)
    return -1;
  return 0;
}

static int
info_member (void *opaque, int depth, const char *key, const char *value)
{
  struct image_info *i = opaque;

  if (key == NULL)
    return 0;
  if (depth == 1 && strcmp (key, "format") == 0)
    return set_once (&i->format, value);
  if (depth == 1 && strcmp (key, "filename") == 0)
    return set_once (&i->filename, value);
  if (depth == 1 && strcmp (key, "virtual-size") == 0)
    return set_once (&i->size, value);
  if (strcmp (key, "backing-filename") == 0
      || strcmp (key, "full-backing-filename") == 0)
    return set_once (&i->backing, value);
  if (strcmp (key, "data-file") == 0)
    return set_once (&i->data_file, value);
  if (depth > 1 && strcmp (key, "filename") == 0) {
    char *f = core_strdup (value);

    if (f == NULL || core_string_vector_append (&i->files, f) == -1) {
      free (f);
      return -1;
    }
  }
  return 0;
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

  if (core_read_head (path, sec, sizeof sec, &st, &n) == -1)
    return -1;
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

/* The formats p2vkit reads, by qemu-img's name, and the names of
 * --source-format (vhd is qemu's vpc). */
static const struct {
  const char *name;
  const char *qemu;
} formats[] = {
  { "raw", "raw" }, { "qcow2", "qcow2" }, { "vmdk", "vmdk" },
  { "vpc", "vpc" }, { "vhd", "vpc" }, { "vhdx", "vhdx" }, { "vdi", "vdi" },
};

const char *
conv_source_format (const char *name)
{
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    if (strcmp (formats[i].name, name) == 0)
      return formats[i].qemu;
  return NULL;
}

/* The format a file's name says: the extensions of raw images of whole
 * disks, and those of the container formats.  NULL: the name says
 * nothing. */
static const char *
format_of_name (const char *path)
{
  static const struct { const char *ext, *format; } exts[] = {
    { "img", "raw" }, { "raw", "raw" }, { "dd", "raw" }, { "bin", "raw" },
    { "qcow2", "qcow2" }, { "vmdk", "vmdk" }, { "vhd", "vpc" },
    { "vpc", "vpc" }, { "vhdx", "vhdx" }, { "vdi", "vdi" },
  };
  const char *base = strrchr (path, '/');
  const char *dot;

  base = base ? base + 1 : path;
  dot = strrchr (base, '.');
  if (dot == NULL || dot == base)
    return NULL;
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
    if (strcasecmp (dot + 1, exts[i].ext) == 0)
      return exts[i].format;
  return NULL;
}

/* PATH as qemu-img must get it: a relative name such as "nbd:x" or
 * "json:{...}" would be read as a protocol, never as a file. */
static char *
qemu_path (const char *path)
{
  return path[0] == '/' ? core_strdup (path) : core_sprintf ("./%s", path);
}

/* DIR of the real path of PATH (malloc'd), or NULL. */
static char *
real_dir (const char *path)
{
  char *r = realpath (path, NULL);
  char *slash;

  if (r == NULL)
    return NULL;
  slash = strrchr (r, '/');
  if (slash == r)
    slash[1] = '\0';
  else
    *slash = '\0';
  return r;
}

/* Files of INFO other than the image: a backing file or an external data
 * file always; VMDK extents unless they are files in the image's own
 * folder (a descriptor and its -flat or -sNNN extents travel together).
 * The first one found, or NULL. */
static const char *
other_file (const char *path, const struct image_info *info, const char **what)
{
  CLEANUP_FREE char *dir = NULL;

  if (info->backing) {
    *what = "a backing file";
    return info->backing;
  }
  if (info->data_file) {
    *what = "an external data file";
    return info->data_file;
  }
  for (size_t i = 0; i < info->files.len; i++) {
    CLEANUP_FREE char *edir = NULL;

    if (dir == NULL)
      dir = real_dir (path);
    edir = real_dir (info->files.ptr[i]);
    if (dir == NULL || edir == NULL || strcmp (dir, edir) != 0) {
      *what = "an extent outside its folder";
      return info->files.ptr[i];
    }
  }
  return NULL;
}

int
conv_probe_source (const char *path, const char *source_format,
                   bool allow_backing, char **format, int64_t *virtual_size)
{
  CLEANUP_FREE char *out = NULL, *qpath = NULL;
  const char *fmt = source_format;
  const char *why = "--source-format";
  struct image_info info = { 0 };
  struct stat st;
  int fd, ret = -1;

  /* A clear reason for the common cases before qemu-img's own. */
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    if (errno == ENOENT)
      core_error ("%s: no such file or device", path);
    else
      core_error_errno ("%s: cannot read", path);
    return -1;
  }
  if (fstat (fd, &st) == -1) {
    core_error_errno ("%s", path);
    close (fd);
    return -1;
  }
  close (fd);

  /* The format is never taken from a disk's own first bytes when
   * anything else tells it: a physical server's disk is whatever its
   * owner wrote, qcow2 headers included (docs/converter.md). */
  if (fmt == NULL && !S_ISREG (st.st_mode)) {
    fmt = "raw";
    why = "a device";
  }
  if (fmt == NULL && (fmt = format_of_name (path)) != NULL)
    why = "its name";
  if ((qpath = qemu_path (path)) == NULL)
    return -1;
  {
    const char *argv[8];
    size_t n = 0;

    argv[n++] = "qemu-img";
    argv[n++] = "info";
    argv[n++] = "-U";
    argv[n++] = "--output=json";
    if (fmt) {
      argv[n++] = "-f";
      argv[n++] = fmt;
    }
    argv[n++] = qpath;
    argv[n] = NULL;

    if (core_run ((char **) argv, &out) != 0) {
      char msg[1024];

      snprintf (msg, sizeof msg, "%s", core_errmsg ());
      if (fmt)
        core_error ("%s: not a %s image (as %s says): %s", path, fmt, why, msg);
      else
        core_error ("%s: not a disk image qemu-img can read (%s)", path, msg);
      return -1;
    }
  }
  if (json_each (out, info_member, &info) == -1 || info.format == NULL
      || info.size == NULL
      || core_parse_int64 (info.size, "virtual-size", 0, INT64_MAX, virtual_size) == -1) {
    core_error ("%s: qemu-img info gave no format or size", path);
    goto out;
  }
  if (fmt == NULL) {
    /* Neither a device nor a name that says: what qemu-img finds, among
     * the formats p2vkit reads. */
    if (conv_source_format (info.format) == NULL) {
      core_error ("%s: a %s image: p2vkit reads raw, qcow2, vmdk, vpc (vhd), "
                  "vhdx and vdi (--source-format)", path, info.format);
      goto out;
    }
  }
  else if (strcmp (info.format, fmt) != 0) {
    core_error ("%s: qemu-img read it as %s, not %s", path, info.format, fmt);
    goto out;
  }
  if (!allow_backing) {
    const char *what = NULL;
    const char *other = other_file (path, &info, &what);

    if (other) {
      core_error ("%s: %s image with %s (%s): refused, since converting would "
                  "copy that file of this machine into the VM; --allow-backing "
                  "reads it", path, info.format, what, other);
      goto out;
    }
  }
  if (strcmp (info.format, "raw") == 0 && check_raw (path) == -1)
    goto out;
  if (*virtual_size == 0) {
    core_error ("%s: not a disk image (empty)", path);
    goto out;
  }
  if ((*format = core_strdup (info.format)) == NULL)
    goto out;
  ret = 0;
 out:
  image_info_clear (&info);
  return ret;
}

int
conv_clone (const char *src, const char *src_format, int64_t virtual_size,
            const char *dst, const char *format,
            const struct core_notify *notify)
{
  /* -U: share the source with whoever else has it open; qemu-img opens a
   * convert source read-only.  -p prints "(NN.NN/100%)" as it goes. */
  CLEANUP_FREE char *qsrc = qemu_path (src);
  CLEANUP_FREE char *qdst = qemu_path (dst);
  const char *argv[] = {
    "qemu-img", "convert", "-p", "-U", "-f", src_format, "-O", format,
    qsrc, qdst, NULL
  };
  struct core_child c = {
    .io = { CORE_CHILD_INHERIT, CORE_CHILD_PIPE, CORE_CHILD_PIPE },
  };
  CLEANUP_FREE char *err = NULL;
  int status;
  char line[256];
  size_t ll = 0;

  if (qsrc == NULL || qdst == NULL)
    return -1;
  if (core_child_start (&c, (char **) argv) == -1)
    return -1;
  /* stdout: progress, stderr: errors (read after; qemu-img says little). */
  for (;;) {
    char ch;
    ssize_t n = read (c.fd[1], &ch, 1);

    if (n == -1 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (ch == '\r' || ch == '\n') {
      double pct;
      char *open = memchr (line, '(', ll);

      line[ll] = '\0';
      if (open && sscanf (open, "(%lf/100%%)", &pct) == 1) {
        uint64_t done = (uint64_t) (pct / 100.0 * virtual_size);
        core_notify_progress (notify, NULL, done, done, (uint64_t) virtual_size);
      }
      ll = 0;
    }
    else if (ll < sizeof line - 1)
      line[ll++] = ch;
  }
  core_child_close (&c, 1);
  /* The error is at the end. */
  err = core_child_read (c.fd[2], 1023, 0, NULL);
  if (core_child_wait (&c, &status) == -1)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    const char *last = core_last_line (err);

    if (WIFSIGNALED (status))
      core_error ("%s: copying to %s: qemu-img killed by signal %d", src, dst,
                  WTERMSIG (status));
    else
      core_error ("%s: copying to %s failed: %s", src, dst,
                  last ? last : "qemu-img failed");
    return -1;
  }
  core_notify_progress (notify, NULL, (uint64_t) virtual_size,
                        (uint64_t) virtual_size, (uint64_t) virtual_size);
  return 0;
}
