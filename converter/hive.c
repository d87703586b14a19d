/* Windows registry hives through hivex: reading values, and setting
 * them with every change in the conversion's log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "converter/converter.h"

/* NAME is what messages call FILE (the path in the guest for a copy). */
int
conv_hive_open (struct conv_hive *hv, const char *file, const char *name, const char *label,
                bool write)
{
  hv->h = hivex_open (file, write ? HIVEX_OPEN_WRITE : 0);
  hv->label = label;
  hv->file = name;
  hv->log = NULL;
  if (!hv->h) {
    core_error_errno ("%s hive %s: cannot open", label, name);
    return -1;
  }
  return 0;
}

void
conv_hive_close (struct conv_hive *hv)
{
  if (hv->h)
    hivex_close (hv->h);
  hv->h = NULL;
}

/* PATH's node (backslashes between keys), created when CREATE; 0 with no
 * error when it does not exist and !CREATE. */
hive_node_h
conv_hive_key (struct conv_hive *hv, const char *path, bool create)
{
  hive_node_h node = hivex_root (hv->h);
  CLEANUP_FREE char *copy = core_strdup (path);
  char *save = NULL;

  if (!copy || !node) {
    if (!node)
      core_error ("%s hive %s: no root key", hv->label, hv->file);
    return 0;
  }
  for (char *part = strtok_r (copy, "\\", &save); part;
       part = strtok_r (NULL, "\\", &save)) {
    errno = 0;
    hive_node_h child = hivex_node_get_child (hv->h, node, part);
    if (!child && errno) {
      core_error_errno ("%s hive %s: key %s", hv->label, hv->file, path);
      return 0;
    }
    if (!child && create) {
      child = hivex_node_add_child (hv->h, node, part);
      if (!child) {
        core_error_errno ("%s hive %s: cannot add key %s", hv->label, hv->file, path);
        return 0;
      }
    }
    if (!child)
      return 0;
    node = child;
  }
  return node;
}

/* A REG_SZ/REG_EXPAND_SZ value as UTF-8, or NULL (no error) when absent
 * or of another type. */
char *
conv_hive_get_string (struct conv_hive *hv, hive_node_h node, const char *name)
{
  hive_type t;
  size_t len;
  hive_value_h v;

  if (!node || !(v = hivex_node_get_value (hv->h, node, name)))
    return NULL;
  if (hivex_value_type (hv->h, v, &t, &len) == -1
      || (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ))
    return NULL;
  return hivex_value_string (hv->h, v);
}

/* A REG_DWORD, or DEF. */
int64_t
conv_hive_get_dword (struct conv_hive *hv, hive_node_h node, const char *name, int64_t def)
{
  hive_type t;
  size_t len;
  hive_value_h v;

  if (!node || !(v = hivex_node_get_value (hv->h, node, name)))
    return def;
  if (hivex_value_type (hv->h, v, &t, &len) == -1 || t != hive_t_REG_DWORD || len < 4)
    return def;
  return (uint32_t) hivex_value_dword (hv->h, v);
}

/* A REG_MULTI_SZ (or a REG_SZ list separated by commas or spaces, as
 * NameServer is) appended to OUT, empty strings left out. */
int
conv_hive_get_strings (struct conv_hive *hv, hive_node_h node, const char *name,
                       core_string_vector *out)
{
  hive_type t;
  size_t len;
  hive_value_h v;

  if (!node || !(v = hivex_node_get_value (hv->h, node, name)))
    return 0;
  if (hivex_value_type (hv->h, v, &t, &len) == -1)
    return 0;
  if (t == hive_t_REG_MULTI_SZ) {
    char **list = hivex_value_multiple_strings (hv->h, v);
    int r = 0;
    for (size_t i = 0; list && list[i]; i++) {
      if (r == 0 && *list[i] && core_string_vector_append (out, list[i]) == 0)
        continue;
      if (*list[i] && r == 0)
        r = -1;
      free (list[i]);
    }
    free (list);
    return r;
  }
  if (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ) {
    CLEANUP_FREE char *s = hivex_value_string (hv->h, v);
    char *save = NULL;
    for (char *p = s ? strtok_r (s, ", ", &save) : NULL; p; p = strtok_r (NULL, ", ", &save)) {
      char *dup = core_strdup (p);
      if (!dup || core_string_vector_append (out, dup) == -1) {
        free (dup);
        return -1;
      }
    }
  }
  return 0;
}

/* UTF-8 to UTF-16LE with a terminating NUL (two for the end of a list is
 * the caller's); BUF grows. */
static int
utf16_append (char **buf, size_t *len, const char *s)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t n = strlen (s), cap;

  /* At most two UTF-16 units per input byte, plus the NUL. */
  if (!core_mul_size (n + 1, 4, &cap) || !core_add_size (cap, *len, &cap)) {
    core_error ("string too long for the registry");
    return -1;
  }
  char *nb = realloc (*buf, cap);
  if (!nb) {
    core_error_errno ("realloc");
    return -1;
  }
  *buf = nb;
  while (*p) {
    uint32_t c;
    int extra;
    if (*p < 0x80) { c = *p; extra = 0; }
    else if ((*p & 0xe0) == 0xc0) { c = *p & 0x1f; extra = 1; }
    else if ((*p & 0xf0) == 0xe0) { c = *p & 0x0f; extra = 2; }
    else if ((*p & 0xf8) == 0xf0) { c = *p & 0x07; extra = 3; }
    else { core_error ("invalid UTF-8 in \"%s\"", s); return -1; }
    p++;
    for (int i = 0; i < extra; i++, p++) {
      if ((*p & 0xc0) != 0x80) { core_error ("invalid UTF-8 in \"%s\"", s); return -1; }
      c = (c << 6) | (*p & 0x3f);
    }
    if (c >= 0x10000) {
      c -= 0x10000;
      uint16_t hi = 0xd800 | (c >> 10), lo = 0xdc00 | (c & 0x3ff);
      nb[(*len)++] = hi & 0xff; nb[(*len)++] = hi >> 8;
      nb[(*len)++] = lo & 0xff; nb[(*len)++] = lo >> 8;
    }
    else {
      nb[(*len)++] = c & 0xff; nb[(*len)++] = c >> 8;
    }
  }
  nb[(*len)++] = 0;
  nb[(*len)++] = 0;
  return 0;
}

/* A value as text for the change log. */
static char *
value_text (hive_type t, const char *data, size_t len)
{
  char *out = NULL;
  size_t olen = 0;
  FILE *fp = open_memstream (&out, &olen);

  if (!fp) {
    core_error_errno ("open_memstream");
    return NULL;
  }
  if (t == hive_t_REG_DWORD && len == 4)
    fprintf (fp, "dword:%u", (unsigned) ((uint8_t) data[0] | (uint8_t) data[1] << 8
                                         | (uint8_t) data[2] << 16
                                         | (uint32_t) (uint8_t) data[3] << 24));
  else if (t == hive_t_REG_SZ || t == hive_t_REG_EXPAND_SZ || t == hive_t_REG_MULTI_SZ) {
    /* ASCII is all p2vkit writes; anything else shows as '?'. */
    fputs (t == hive_t_REG_EXPAND_SZ ? "expand:\"" : t == hive_t_REG_MULTI_SZ ? "multi:\"" : "\"", fp);
    for (size_t i = 0; i + 1 < len; i += 2) {
      unsigned c = (uint8_t) data[i] | (uint8_t) data[i + 1] << 8;
      if (c == 0) {
        if (t != hive_t_REG_MULTI_SZ || i + 3 >= len || (data[i + 2] == 0 && data[i + 3] == 0))
          break;
        fputs ("\",\"", fp);
      }
      else
        fputc (c < 0x80 && c >= 0x20 ? (int) c : '?', fp);
    }
    fputc ('"', fp);
  }
  else {
    fprintf (fp, "hex(%d):", (int) t);
    for (size_t i = 0; i < len; i++)
      fprintf (fp, "%s%02x", i ? "," : "", (uint8_t) data[i]);
  }
  if (core_memstream_close (fp, &out) == -1)
    return NULL;
  return out;
}

int
conv_win_change_add (struct conv_win_log *log, const char *path, const char *what,
                     const char *before, const char *after, const char *fmt, ...)
{
  struct conv_win_change c = { 0 };
  va_list ap;

  va_start (ap, fmt);
  int r = vasprintf (&c.line, fmt, ap);
  va_end (ap);
  if (r < 0) {
    c.line = NULL;
    core_error_errno ("vasprintf");
    return -1;
  }
  c.path = core_strdup (path);
  c.what = core_strdup (what);
  c.before = before ? core_strdup (before) : NULL;
  c.after = after ? core_strdup (after) : NULL;
  if (!c.path || !c.what || (before && !c.before) || (after && !c.after)
      || conv_win_change_vector_append (&log->changes, c) == -1) {
    free (c.line); free (c.path); free (c.what); free (c.before); free (c.after);
    return -1;
  }
  return 0;
}

/* Set NAME under key PATH (created) to T/DATA/LEN; logs the change with
 * the old value, and nothing when the value is already so. */
int
conv_hive_set (struct conv_hive *hv, const char *path, const char *name, hive_type t,
               const char *data, size_t len)
{
  hive_node_h node = conv_hive_key (hv, path, true);
  CLEANUP_FREE char *old = NULL, *new = NULL;
  hive_value_h v;

  if (!node)
    return -1;
  if ((v = hivex_node_get_value (hv->h, node, name)) != 0) {
    hive_type ot;
    size_t olen;
    CLEANUP_FREE char *odata = hivex_value_value (hv->h, v, &ot, &olen);
    if (odata && ot == t && olen == len && memcmp (odata, data, len) == 0)
      return 0;
    if (odata && !(old = value_text (ot, odata, olen)))
      return -1;
  }
  hive_set_value sv = { .key = (char *) name, .t = t, .len = len, .value = (char *) data };
  if (hivex_node_set_value (hv->h, node, &sv, 0) == -1) {
    core_error_errno ("%s hive %s: cannot set %s\\%s", hv->label, hv->file, path, name);
    return -1;
  }
  if (!(new = value_text (t, data, len)))
    return -1;
  const char *vname = *name ? name : "@";
  CLEANUP_FREE char *key = core_sprintf ("HKLM\\%s\\%s", hv->label, path);
  CLEANUP_FREE char *before = old ? core_sprintf ("%s = %s", vname, old) : NULL;
  CLEANUP_FREE char *after = core_sprintf ("%s = %s", vname, new);
  if (!key || !after || (old && !before))
    return -1;
  return conv_win_change_add (hv->log, key, "registry value", before, after,
                              "%s\\%s: %s = %s (%s%s)", hv->label, path, vname, new,
                              old ? "was " : "new", old ? old : "");
}

int
conv_hive_set_dword (struct conv_hive *hv, const char *path, const char *name, uint32_t d)
{
  char b[4] = { d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, (d >> 24) & 0xff };
  return conv_hive_set (hv, path, name, hive_t_REG_DWORD, b, 4);
}

int
conv_hive_set_str (struct conv_hive *hv, const char *path, const char *name, hive_type t,
                   const char *s)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len = 0;
  if (utf16_append (&buf, &len, s) == -1)
    return -1;
  return conv_hive_set (hv, path, name, t, buf, len);
}

/* A REG_MULTI_SZ of the NULL-terminated LIST. */
int
conv_hive_set_multi (struct conv_hive *hv, const char *path, const char *name,
                     const char *const *list)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len = 0;
  for (size_t i = 0; list[i]; i++)
    if (utf16_append (&buf, &len, list[i]) == -1)
      return -1;
  if (utf16_append (&buf, &len, "") == -1)
    return -1;
  return conv_hive_set (hv, path, name, hive_t_REG_MULTI_SZ, buf, len);
}

int
conv_hive_commit (struct conv_hive *hv)
{
  if (hivex_commit (hv->h, NULL, 0) == -1) {
    core_error_errno ("%s hive %s: cannot write", hv->label, hv->file);
    return -1;
  }
  return 0;
}

