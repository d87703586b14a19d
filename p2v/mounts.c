/* Is a source disk in use by a read-write filesystem?  Its own device,
 * its partitions, whatever is stacked on them (device-mapper: LVM, LUKS)
 * and loop devices over an image file all count.  And fsfreeze for
 * capture --live. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/fs.h>

#include "p2v/p2v.h"

DEFINE_VECTOR_TYPE(dev_vector, dev_t)

static bool
has_dev (const dev_vector *v, dev_t d)
{
  for (size_t i = 0; i < v->len; i++)
    if (v->ptr[i] == d)
      return true;
  return false;
}

static dev_t
sysfs_dev (const char *dir)
{
  CLEANUP_FREE char *path = core_sprintf ("%s/dev", dir);
  unsigned ma, mi;
  FILE *fp;
  int n;

  if (path == NULL || (fp = fopen (path, "re")) == NULL)
    return 0;
  n = fscanf (fp, "%u:%u", &ma, &mi);
  fclose (fp);
  return n == 2 ? makedev (ma, mi) : 0;
}

/* DEV, its partitions and holders, recursively (bounded depth). */
static int
add_tree (dev_vector *v, dev_t dev, int depth)
{
  CLEANUP_FREE char *link = NULL, *holders = NULL;
  char real[PATH_MAX];
  DIR *d;
  struct dirent *e;

  if (dev == 0 || has_dev (v, dev) || depth > 8)
    return 0;
  if (dev_vector_append (v, dev) == -1)
    return -1;
  link = core_sprintf ("/sys/dev/block/%u:%u", major (dev), minor (dev));
  if (link == NULL)
    return -1;
  if (realpath (link, real) == NULL)
    return 0;
  /* Partitions: subfolders with a "partition" file. */
  if ((d = opendir (real)) != NULL) {
    while ((e = readdir (d)) != NULL) {
      CLEANUP_FREE char *sub = NULL, *part = NULL;
      if (e->d_name[0] == '.')
        continue;
      sub = core_sprintf ("%s/%s", real, e->d_name);
      part = core_sprintf ("%s/%s/partition", real, e->d_name);
      if (sub && part && access (part, F_OK) == 0
          && add_tree (v, sysfs_dev (sub), depth + 1) == -1) {
        closedir (d);
        return -1;
      }
    }
    closedir (d);
  }
  holders = core_sprintf ("%s/holders", real);
  if (holders && (d = opendir (holders)) != NULL) {
    while ((e = readdir (d)) != NULL) {
      CLEANUP_FREE char *sub = NULL;
      if (e->d_name[0] == '.')
        continue;
      sub = core_sprintf ("/sys/class/block/%s", e->d_name);
      if (sub && add_tree (v, sysfs_dev (sub), depth + 1) == -1) {
        closedir (d);
        return -1;
      }
    }
    closedir (d);
  }
  return 0;
}

/* Loop devices whose backing file is FILE. */
static int
add_loops (dev_vector *v, const char *file)
{
  DIR *d = opendir ("/sys/block");
  struct dirent *e;

  if (d == NULL)
    return 0;
  while ((e = readdir (d)) != NULL) {
    CLEANUP_FREE char *bf = NULL, *dir = NULL, *text = NULL;
    size_t len;

    if (strncmp (e->d_name, "loop", 4) != 0)
      continue;
    dir = core_sprintf ("/sys/block/%s", e->d_name);
    bf = core_sprintf ("/sys/block/%s/loop/backing_file", e->d_name);
    if (dir == NULL || bf == NULL || access (bf, F_OK) != 0)
      continue;
    text = core_read_file (bf, &len);
    if (text == NULL)
      continue;
    while (len > 0 && text[len - 1] == '\n')
      text[--len] = '\0';
    if (strcmp (text, file) == 0 && add_tree (v, sysfs_dev (dir), 0) == -1) {
      closedir (d);
      return -1;
    }
  }
  closedir (d);
  return 0;
}

/* mountinfo escapes blanks as \040 and so on. */
static void
unescape (char *s)
{
  char *o = s;

  while (*s) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0'
        && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
      *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 4;
    }
    else
      *o++ = *s++;
  }
  *o = '\0';
}

static bool
has_rw (const char *opts)
{
  return strcmp (opts, "rw") == 0 || strncmp (opts, "rw,", 3) == 0
    || strstr (opts, ",rw,") != NULL
    || core_ends_with (opts, ",rw");
}

int
p2v_rw_mounts (const char *path, core_string_vector *out)
{
  dev_vector devs = { 0 };
  struct stat st;
  char real[PATH_MAX];
  FILE *fp;
  char *line = NULL;
  size_t cap = 0;
  int ret = -1;

  if (stat (path, &st) == -1) {
    core_error_errno ("%s", path);
    return -1;
  }
  if (S_ISBLK (st.st_mode)) {
    if (add_tree (&devs, st.st_rdev, 0) == -1)
      goto out;
  }
  else if (realpath (path, real) && add_loops (&devs, real) == -1)
    goto out;
  if (devs.len == 0) {
    ret = 0;
    goto out;
  }

  fp = fopen ("/proc/self/mountinfo", "re");
  if (fp == NULL) {
    core_error_errno ("/proc/self/mountinfo");
    goto out;
  }
  while (getline (&line, &cap, fp) > 0) {
    /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SOURCE SUPEROPTS */
    unsigned ma, mi;
    char mnt[4096], *dash, type[256], source[4096], superopts[4096];
    struct stat sst;
    bool match;

    if (sscanf (line, "%*u %*u %u:%u %*s %4095s", &ma, &mi, mnt) != 3)
      continue;
    dash = strstr (line, " - ");
    if (dash == NULL
        || sscanf (dash + 3, "%255s %4095s %4095s", type, source, superopts) != 3)
      continue;
    unescape (mnt);
    unescape (source);
    match = has_dev (&devs, makedev (ma, mi));
    /* btrfs and others show an anonymous device number: the source's. */
    if (!match && source[0] == '/' && stat (source, &sst) == 0
        && S_ISBLK (sst.st_mode))
      match = has_dev (&devs, sst.st_rdev);
    if (!match || !has_rw (superopts))
      continue;
    char *m = core_strdup (mnt);
    if (m == NULL || core_string_vector_append (out, m) == -1) {
      free (m);
      fclose (fp);
      goto out;
    }
  }
  fclose (fp);
  ret = 0;
 out:
  free (line);
  dev_vector_reset (&devs);
  return ret;
}

/* ---- fsfreeze ---- */

#define MAX_FROZEN 64
static volatile int frozen[MAX_FROZEN];
static volatile sig_atomic_t nfrozen;

int
p2v_freeze (const char *mountpoint)
{
  int fd;

  if (nfrozen >= MAX_FROZEN) {
    core_error ("too many filesystems to freeze");
    return -1;
  }
  fd = open (mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd == -1) {
    core_error_errno ("%s", mountpoint);
    return -1;
  }
  if (ioctl (fd, FIFREEZE, 0) == -1) {
    core_error_errno ("freeze %s", mountpoint);
    close (fd);
    return -1;
  }
  frozen[nfrozen] = fd;
  nfrozen++;
  return 0;
}

void
p2v_thaw_all (void)
{
  while (nfrozen > 0) {
    int fd = frozen[nfrozen - 1];
    ioctl (fd, FITHAW, 0);
    close (fd);
    nfrozen--;
  }
}
