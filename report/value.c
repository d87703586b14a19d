/* The tree of values a template renders: null, booleans, strings, lists
 * and maps.  Numbers are formatted into strings when the tree is built,
 * so that every document shows them the same way. */
#include <stdarg.h>
#include <string.h>

#include "report/report.h"

static struct rep_value *
new_value (enum rep_kind kind)
{
  struct rep_value *v = calloc (1, sizeof *v);

  if (v == NULL) {
    core_error ("out of memory");
    return NULL;
  }
  v->kind = kind;
  return v;
}

struct rep_value *
rep_null (void)
{
  return new_value (REP_NULL);
}

struct rep_value *
rep_bool (bool b)
{
  struct rep_value *v = new_value (REP_BOOL);

  if (v)
    v->b = b;
  return v;
}

struct rep_value *
rep_string (const char *s)
{
  struct rep_value *v;

  if (s == NULL)
    return rep_null ();
  v = new_value (REP_STRING);
  if (v && (v->s = core_strdup (s)) == NULL) {
    free (v);
    return NULL;
  }
  return v;
}

struct rep_value *
rep_stringf (const char *fmt, ...)
{
  struct rep_value *v = new_value (REP_STRING);
  va_list ap;
  int r;

  if (v == NULL)
    return NULL;
  va_start (ap, fmt);
  r = vasprintf (&v->s, fmt, ap);
  va_end (ap);
  if (r == -1) {
    free (v);
    core_error ("out of memory");
    return NULL;
  }
  return v;
}

struct rep_value *
rep_int (int64_t v)
{
  struct rep_value *r = rep_stringf ("%lld", (long long) v);

  if (r)
    r->number = true;
  return r;
}

struct rep_value *
rep_list (void)
{
  return new_value (REP_LIST);
}

struct rep_value *
rep_map (void)
{
  return new_value (REP_MAP);
}

/* Room for one more item (and key); CAP grows only when both arrays
 * did, so they always have room for CAP entries. */
static int
grow (struct rep_value *c)
{
  size_t cap = c->cap, kcap = c->cap;

  if (core_vector_reserve ((void **) &c->items, &cap, c->len, 1,
                           sizeof *c->items) == -1)
    return -1;
  if (c->kind == REP_MAP
      && core_vector_reserve ((void **) &c->keys, &kcap, c->len, 1,
                              sizeof *c->keys) == -1)
    return -1;
  c->cap = cap;
  return 0;
}

int
rep_list_add (struct rep_value *list, struct rep_value *v)
{
  if (v == NULL)
    return -1;
  if (list == NULL || list->kind != REP_LIST || grow (list) == -1) {
    if (list && list->kind != REP_LIST)
      core_error ("rep_list_add: not a list");
    rep_value_free (v);
    return -1;
  }
  list->items[list->len++] = v;
  return 0;
}

int
rep_map_set (struct rep_value *map, const char *key, struct rep_value *v)
{
  char *k;

  if (v == NULL)
    return -1;
  if (map == NULL || map->kind != REP_MAP) {
    if (map)
      core_error ("rep_map_set: not a map");
    rep_value_free (v);
    return -1;
  }
  for (size_t i = 0; i < map->len; i++)
    if (strcmp (map->keys[i], key) == 0) {
      rep_value_free (map->items[i]);
      map->items[i] = v;
      return 0;
    }
  if (grow (map) == -1 || (k = core_strdup (key)) == NULL) {
    rep_value_free (v);
    return -1;
  }
  map->keys[map->len] = k;
  map->items[map->len++] = v;
  return 0;
}

const struct rep_value *
rep_map_get (const struct rep_value *map, const char *key)
{
  if (map == NULL || map->kind != REP_MAP)
    return NULL;
  for (size_t i = 0; i < map->len; i++)
    if (strcmp (map->keys[i], key) == 0)
      return map->items[i];
  return NULL;
}

bool
rep_truthy (const struct rep_value *v)
{
  if (v == NULL)
    return false;
  switch (v->kind) {
  case REP_NULL: return false;
  case REP_BOOL: return v->b;
  case REP_STRING: return v->s[0] != '\0';
  case REP_LIST: return v->len > 0;
  case REP_MAP: return true;
  }
  return false;
}

void
rep_value_free (struct rep_value *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->len; i++) {
    rep_value_free (v->items[i]);
    if (v->keys)
      free (v->keys[i]);
  }
  free (v->items);
  free (v->keys);
  free (v->s);
  free (v);
}

void
rep_set (bool *failed, struct rep_value *map, const char *key,
         struct rep_value *v)
{
  if (rep_map_set (map, key, v) == -1)
    *failed = true;
}

void
rep_add (bool *failed, struct rep_value *list, struct rep_value *v)
{
  if (rep_list_add (list, v) == -1)
    *failed = true;
}

static void
json_string (FILE *fp, const char *s)
{
  fputc ('"', fp);
  for (; *s; s++) {
    unsigned char c = *s;
    if (c == '"' || c == '\\')
      fprintf (fp, "\\%c", c);
    else if (c == '\n')
      fputs ("\\n", fp);
    else if (c < 0x20)
      fprintf (fp, "\\u%04x", c);
    else
      fputc (c, fp);
  }
  fputc ('"', fp);
}

static void
json_value (FILE *fp, const struct rep_value *v, int indent)
{
  switch (v->kind) {
  case REP_NULL: fputs ("null", fp); return;
  case REP_BOOL: fputs (v->b ? "true" : "false", fp); return;
  case REP_STRING:
    if (v->number)
      fputs (v->s, fp);
    else
      json_string (fp, v->s);
    return;
  case REP_LIST:
  case REP_MAP:
    if (v->len == 0) {
      fputs (v->kind == REP_LIST ? "[]" : "{}", fp);
      return;
    }
    fputc (v->kind == REP_LIST ? '[' : '{', fp);
    for (size_t i = 0; i < v->len; i++) {
      fprintf (fp, "%s\n%*s", i ? "," : "", indent + 2, "");
      if (v->kind == REP_MAP) {
        json_string (fp, v->keys[i]);
        fputs (": ", fp);
      }
      json_value (fp, v->items[i], indent + 2);
    }
    fprintf (fp, "\n%*s%c", indent, "", v->kind == REP_LIST ? ']' : '}');
    return;
  }
}

int
rep_value_write_json (FILE *fp, const struct rep_value *v)
{
  json_value (fp, v, 0);
  fputc ('\n', fp);
  if (ferror (fp)) {
    core_error_errno ("write error");
    return -1;
  }
  return 0;
}
