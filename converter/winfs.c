/* A folder on this machine as a Windows tree (conv_win_fs): paths matched
 * without regard to case, as Windows does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "converter/converter.h"

static char *
local_resolve (void *opaque, const char *path)
{
  const char *root = opaque;
  CLEANUP_FREE char *copy = core_strdup (path);
  char *cur = core_strdup (root), *save = NULL;

  if (!copy || !cur) {
    free (cur);
    return NULL;
  }
  for (char *part = strtok_r (copy, "/", &save); part; part = strtok_r (NULL, "/", &save)) {
    DIR *d = opendir (cur);
    char *found = NULL;
    if (!d) {
      free (cur);
      return NULL;
    }
    for (struct dirent *e; !found && (e = readdir (d)) != NULL;)
      if (strcasecmp (e->d_name, part) == 0)
        found = core_sprintf ("%s/%s", cur, e->d_name);
    closedir (d);
    free (cur);
    if (!found)
      return NULL;
    cur = found;
  }
  /* Back to a path below the root, as the callbacks take. */
  size_t rl = strlen (root);
  char *rel = core_strdup (cur[rl] == '/' ? cur + rl + 1 : cur + rl);
  free (cur);
  return rel;
}

static char *
local_path (void *opaque, const char *path)
{
  return core_sprintf ("%s/%s", (const char *) opaque, path);
}

static int
local_list (void *opaque, const char *path, core_string_vector *names)
{
  CLEANUP_FREE char *full = local_path (opaque, path);
  DIR *d = full ? opendir (full) : NULL;

  if (!d) {
    if (full)
      core_error_errno ("%s", full);
    return -1;
  }
  for (struct dirent *e; (e = readdir (d)) != NULL;) {
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
      continue;
    char *s = core_strdup (e->d_name);
    if (!s || core_string_vector_append (names, s) == -1) {
      free (s);
      closedir (d);
      return -1;
    }
  }
  closedir (d);
  return 0;
}

static int
copy_file (const char *from, const char *to)
{
  int in = open (from, O_RDONLY | O_CLOEXEC), out = -1;
  char buf[65536];
  ssize_t n;

  if (in == -1) {
    core_error_errno ("%s", from);
    return -1;
  }
  out = open (to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out == -1) {
    core_error_errno ("%s", to);
    close (in);
    return -1;
  }
  while ((n = read (in, buf, sizeof buf)) > 0)
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write (out, buf + done, n - done);
      if (w <= 0) {
        core_error_errno ("%s: write", to);
        close (in);
        close (out);
        return -1;
      }
      done += w;
    }
  if (n < 0) {
    core_error_errno ("%s: read", from);
    close (in);
    close (out);
    return -1;
  }
  close (in);
  if (close (out) == -1) {
    core_error_errno ("%s: close", to);
    return -1;
  }
  return 0;
}

static int
local_download (void *opaque, const char *path, const char *local)
{
  CLEANUP_FREE char *full = local_path (opaque, path);
  return full ? copy_file (full, local) : -1;
}

static int
local_upload (void *opaque, const char *local, const char *path)
{
  CLEANUP_FREE char *full = local_path (opaque, path);
  return full ? copy_file (local, full) : -1;
}

static int
local_mkdir_p (void *opaque, const char *path)
{
  CLEANUP_FREE char *full = local_path (opaque, path);
  if (!full)
    return -1;
  for (char *p = full + strlen ((const char *) opaque) + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir (full, 0755) == -1 && errno != EEXIST) {
        core_error_errno ("mkdir %s", full);
        return -1;
      }
      *p = c;
      if (!c)
        break;
    }
  }
  return 0;
}

void
conv_win_fs_local (struct conv_win_fs *fs, const char *root)
{
  fs->opaque = (void *) root;
  fs->resolve = local_resolve;
  fs->list = local_list;
  fs->download = local_download;
  fs->upload = local_upload;
  fs->mkdir_p = local_mkdir_p;
}
