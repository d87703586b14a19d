/* Loading the profiles a command is given: files, CSV files, folders. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"

/* P (NULL: it could not be read, the error is set) onto OUT. */
static int
add_profile (core_profile_vector *out, struct core_profile *p)
{
  if (p == NULL)
    return -1;
  if (core_profile_vector_append (out, p) == -1) {
    core_profile_free (p);
    return -1;
  }
  return 0;
}

static int
load_one (const char *path, core_profile_vector *out)
{
  if (core_ends_with_nocase (path, ".csv"))
    return core_import_csv (path, out);
  return add_profile (out, core_profile_read (path));
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
load_folder (const char *dir, core_profile_vector *out)
{
  core_string_vector names = { 0 };
  struct dirent *d;
  DIR *dp;
  int ret = 0;

  dp = opendir (dir);
  if (dp == NULL) {
    core_error_errno ("%s", dir);
    return -1;
  }
  while ((d = readdir (dp)) != NULL) {
    char *name;

    if (d->d_name[0] == '.'
        || !(core_ends_with_nocase (d->d_name, ".yaml")
             || core_ends_with_nocase (d->d_name, ".yml")
             || core_ends_with_nocase (d->d_name, ".csv")))
      continue;
    name = core_sprintf ("%s/%s", dir, d->d_name);
    if (name == NULL || core_string_vector_append (&names, name) == -1) {
      free (name);
      ret = -1;
      break;
    }
  }
  closedir (dp);
  if (ret == 0) {
    /* Name order, so that every run plans the same input the same way. */
    if (names.len > 1)
      qsort (names.ptr, names.len, sizeof *names.ptr, cmp_str);
    for (size_t i = 0; i < names.len && ret == 0; i++)
      ret = load_one (names.ptr[i], out);
  }
  core_string_vector_free (&names);
  return ret;
}

/* Sort key for finding duplicate names: the name, then input order. */
struct name_pos {
  const struct core_profile *p;
  size_t pos;
};

static int
cmp_name_pos (const void *a, const void *b)
{
  const struct name_pos *x = a, *y = b;
  int c = strcmp (x->p->name, y->p->name);

  if (c)
    return c;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* "-": standard input holds one profile document, or a CSV file (a
 * first line without a colon but with a comma is a CSV header). */
static int
load_stdin (core_profile_vector *out)
{
  CLEANUP_FREE char *buf = NULL;
  const char *line;
  size_t len, n;

  buf = core_read_file ("-", &len);
  if (buf == NULL)
    return -1;
  for (line = buf; *line == '\n' || *line == '\r' || *line == ' '; line++)
    ;
  n = strcspn (line, "\r\n");
  if (memchr (line, ',', n) && !memchr (line, ':', n) && line[0] != '#')
    return core_import_csv_parse ("-", buf, len, out);
  return add_profile (out, core_profile_parse ("-", buf, len));
}

static int
load_profiles (char *const *paths, size_t n, core_profile_vector *out,
               bool unique)
{
  core_profile_vector v = { 0 };
  struct name_pos *sorted = NULL;
  size_t bytes;

  for (size_t i = 0; i < n; i++) {
    struct stat st;
    int r;

    if (strcmp (paths[i], "-") == 0) {
      if (load_stdin (&v) == -1)
        goto fail;
      continue;
    }
    if (stat (paths[i], &st) == -1) {
      core_error_errno ("%s", paths[i]);
      goto fail;
    }
    r = S_ISDIR (st.st_mode) ? load_folder (paths[i], &v) : load_one (paths[i], &v);
    if (r == -1)
      goto fail;
  }
  if (v.len == 0) {
    if (n == 1)
      core_error ("%s: no profiles found (*.yaml, *.yml, *.csv)", paths[0]);
    else
      core_error ("no profiles given");
    goto fail;
  }

  /* One name, one workload: the name becomes a VM and a file name. */
  if (!unique)
    goto done;
  if (!core_mul_size (v.len, sizeof *sorted, &bytes)
      || (sorted = malloc (bytes)) == NULL) {
    core_error ("out of memory");
    goto fail;
  }
  for (size_t i = 0; i < v.len; i++)
    sorted[i] = (struct name_pos) { v.ptr[i], i };
  qsort (sorted, v.len, sizeof *sorted, cmp_name_pos);
  for (size_t i = 1; i < v.len; i++)
    if (strcmp (sorted[i - 1].p->name, sorted[i].p->name) == 0) {
      core_error ("%s: duplicate workload name '%s' (also in %s)",
                  sorted[i].p->source, sorted[i].p->name,
                  sorted[i - 1].p->source);
      free (sorted);
      goto fail;
    }
  free (sorted);

 done:
  if (core_profile_vector_reserve (out, v.len) == -1)
    goto fail;
  memcpy (out->ptr + out->len, v.ptr, v.len * sizeof *v.ptr);
  out->len += v.len;
  core_profile_vector_reset (&v);
  return 0;

 fail:
  core_profiles_free (&v);
  return -1;
}

int
core_load_profiles (char *const *paths, size_t n, core_profile_vector *out)
{
  return load_profiles (paths, n, out, true);
}

int
core_load_profiles_all (char *const *paths, size_t n, core_profile_vector *out)
{
  return load_profiles (paths, n, out, false);
}
