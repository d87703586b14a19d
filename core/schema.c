/* The walker that reads a YAML mapping against a table of fields
 * (core.h, "schema.c"), and the typed getters it and the hand-written
 * parts of the readers share.
 *
 * Every error names the file and the line and column of the offending
 * node (libyaml's marks are 0-based; ours are 1-based).
 */
#include <errno.h>
#include <float.h>
#include <stddef.h>
#include <string.h>
#include <yaml.h>

#include "core.h"

/* Series longer than a year of one-minute samples are surely a mistake. */
#define MAX_SERIES (366 * 24 * 60)

/* The walker's bit sets of keys are 64 bits wide. */
#define MAX_FIELDS 64

/* Every type has a reader below: adding one without it fails here. */
static const char *const type_names[] = {
  [CORE_FIELD_SKIP] = "skip",
  [CORE_FIELD_STRING] = "string",
  [CORE_FIELD_STRING_OR_NULL] = "string or null",
  [CORE_FIELD_NAME] = "name",
  [CORE_FIELD_INT] = "integer",
  [CORE_FIELD_INT_OR_NULL] = "integer or null",
  [CORE_FIELD_DOUBLE] = "number",
  [CORE_FIELD_DOUBLE_OR_NULL] = "number or null",
  [CORE_FIELD_BOOL] = "boolean",
  [CORE_FIELD_TRISTATE] = "boolean",
  [CORE_FIELD_ENUM] = "enum",
  [CORE_FIELD_FLAGS] = "list of enum",
  [CORE_FIELD_STRINGS] = "list of strings",
  [CORE_FIELD_SERIES] = "list of numbers",
  [CORE_FIELD_STRUCT] = "mapping",
  [CORE_FIELD_VECTOR] = "list",
  [CORE_FIELD_CUSTOM] = "custom",
  [CORE_FIELD_BIT] = "enum",
};
_Static_assert (sizeof type_names / sizeof type_names[0] == CORE_FIELD_NTYPES,
                "type_names must name every enum core_field_type");
/* ENUM fields are read through an int. */
_Static_assert (sizeof (enum core_virt) == sizeof (int)
                && sizeof (enum core_firmware) == sizeof (int)
                && sizeof (enum core_os_family) == sizeof (int)
                && sizeof (enum core_proto) == sizeof (int)
                && sizeof (enum core_mode) == sizeof (int),
                "enums are int-sized");

yaml_node_t *
core_yaml_node (struct core_reader *r, int index)
{
  return yaml_document_get_node (r->doc, index);
}

int
core_yaml_fail (struct core_reader *r, const yaml_node_t *n, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  /* A value on its own (core_schema_set) has no place to name. */
  if (r->file == NULL)
    core_error ("%s", msg);
  else
    core_error_at (r->file, n->start_mark.line + 1, n->start_mark.column + 1,
                   "%s", msg);
  return -1;
}
#define fail core_yaml_fail
#define node_at core_yaml_node
#define is_null core_yaml_is_null
#define type_name core_yaml_type_name

/* Re-raise the message of a core_parse_* failure at node N. */
static int
fail_parse (struct core_reader *r, const yaml_node_t *n)
{
  char msg[1024];

  snprintf (msg, sizeof msg, "%s", core_errmsg ());
  return fail (r, n, "%s", msg);
}

static const char *
scalar (const yaml_node_t *n)
{
  return (const char *) n->data.scalar.value;
}

/* A plain scalar that YAML reads as null: ~, null, or nothing. */
bool
core_yaml_is_null (const yaml_node_t *n)
{
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  return n->data.scalar.length == 0 || strcmp (scalar (n), "~") == 0
    || strcmp (scalar (n), "null") == 0 || strcmp (scalar (n), "Null") == 0
    || strcmp (scalar (n), "NULL") == 0;
}

const char *
core_yaml_type_name (const yaml_node_t *n)
{
  switch (n->type) {
  case YAML_MAPPING_NODE: return "a mapping";
  case YAML_SEQUENCE_NODE: return "a list";
  default: return is_null (n) ? "null" : "a scalar";
  }
}

int
core_yaml_expect_mapping (struct core_reader *r, const yaml_node_t *n,
                          const char *path)
{
  if (n->type != YAML_MAPPING_NODE)
    return fail (r, n, "%s: expected a mapping, got %s", path, type_name (n));
  return 0;
}

int
core_yaml_expect_list (struct core_reader *r, const yaml_node_t *n,
                       const char *path)
{
  if (n->type != YAML_SEQUENCE_NODE)
    return fail (r, n, "%s: expected a list, got %s", path, type_name (n));
  return 0;
}

void
core_yaml_subpath (char *buf, size_t len, const char *path, const char *key)
{
  size_t n = 0;

  for (const char *s = path; *s && n + 1 < len; s++)
    buf[n++] = *s;
  if (path[0] && n + 1 < len)
    buf[n++] = '.';
  for (const char *s = key; *s && n + 1 < len; s++)
    buf[n++] = *s;
  buf[n] = '\0';
}

yaml_node_t *
core_yaml_value_of (struct core_reader *r, yaml_node_t *map, const char *key)
{
  yaml_node_t *k, *v;

  if (map->type != YAML_MAPPING_NODE)
    return map;
  CORE_FOR_PAIRS (r, map, k, v)
    if (k->type == YAML_SCALAR_NODE && strcmp (scalar (k), key) == 0)
      return v;
  return map;
}

/* Keys -------------------------------------------------------------- */

/* The field of T whose key is K; fail on an unknown key (with the known
 * key nearest to it among those not SEEN yet, for "did you mean") or on
 * one seen before in this mapping.  PATH names the mapping; "" is the top
 * level, named by no path. */
static int
key_index (struct core_reader *r, const yaml_node_t *k,
           const struct core_table *t, uint64_t *seen, const char *path)
{
  const char *sep = path[0] ? ": " : "", *near;
  const char *unseen[MAX_FIELDS];

  if (k->type != YAML_SCALAR_NODE)
    return fail (r, k, "%s%sa key must be a string, got %s", path, sep,
                 type_name (k));
  for (size_t i = 0; i < t->n; i++) {
    if (strcmp (t->fields[i].key, scalar (k)) == 0) {
      if (*seen & (UINT64_C(1) << i))
        return fail (r, k, "%s%sduplicate key '%s'", path, sep,
                     t->fields[i].key);
      *seen |= UINT64_C(1) << i;
      return i;
    }
  }
  for (size_t i = 0; i < t->n; i++)
    unseen[i] = (*seen & (UINT64_C(1) << i)) ? NULL : t->fields[i].key;
  near = core_nearest (scalar (k), unseen, t->n);
  if (near)
    return fail (r, k, "%s%sunknown key '%.64s' (did you mean '%s'?)", path,
                 sep, scalar (k), near);
  return fail (r, k, "%s%sunknown key '%.64s'", path, sep, scalar (k));
}

static int
check_required (struct core_reader *r, const yaml_node_t *map,
                const struct core_table *t, uint64_t seen, const char *path)
{
  for (size_t i = 0; i < t->n; i++) {
    if (t->fields[i].required && !(seen & (UINT64_C(1) << i))) {
      if (path[0])
        return fail (r, map, "%s: missing required key '%s'", path,
                     t->fields[i].key);
      return fail (r, map, "missing required key '%s'", t->fields[i].key);
    }
  }
  return 0;
}

/* Scalars ----------------------------------------------------------- */

int
core_yaml_get_string (struct core_reader *r, const yaml_node_t *n,
                      const char *path, char **out)
{
  if (n->type != YAML_SCALAR_NODE || is_null (n))
    return fail (r, n, "%s: expected a string, got %s", path, type_name (n));
  if (strlen (scalar (n)) != n->data.scalar.length)
    return fail (r, n, "%s: string contains a NUL byte", path);
  free (*out);
  *out = core_strdup (scalar (n));
  return *out ? 0 : -1;
}

/* Numbers are plain scalars: "12" in quotes is a string, not a number. */
static int
number_text (struct core_reader *r, const yaml_node_t *n, const char *path,
             const char *what)
{
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE
      || is_null (n))
    return fail (r, n, "%s: expected %s, got %s", path, what,
                 n->type == YAML_SCALAR_NODE && !is_null (n)
                 ? "a quoted string" : type_name (n));
  return 0;
}

int
core_yaml_get_int (struct core_reader *r, const yaml_node_t *n,
                   const char *path, int64_t min, int64_t max, int64_t *out)
{
  if (number_text (r, n, path, "an integer") == -1)
    return -1;
  if (core_parse_int64 (scalar (n), path, min, max, out) == -1)
    return fail_parse (r, n);
  return 0;
}

int
core_yaml_get_double (struct core_reader *r, const yaml_node_t *n,
                      const char *path, double min, double max, double *out)
{
  if (number_text (r, n, path, "a number") == -1)
    return -1;
  if (core_parse_double (scalar (n), path, min, max, out) == -1)
    return fail_parse (r, n);
  return 0;
}

static int
get_bool (struct core_reader *r, const yaml_node_t *n, const char *path,
          bool *out)
{
  if (n->type == YAML_SCALAR_NODE
      && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
    if (strcmp (scalar (n), "true") == 0) {
      *out = true;
      return 0;
    }
    if (strcmp (scalar (n), "false") == 0) {
      *out = false;
      return 0;
    }
  }
  if (n->type == YAML_SCALAR_NODE && !is_null (n))
    return fail (r, n, "%s: expected true or false, got '%.64s'", path,
                 scalar (n));
  return fail (r, n, "%s: expected true or false, got %s", path,
               type_name (n));
}

/* One of NAMES; a NULL first slot (an enum's UNSET) is skipped. */
int
core_yaml_get_enum (struct core_reader *r, const yaml_node_t *n,
                    const char *path, const char *const *names, int *out)
{
  char allowed[256] = "";
  size_t len = 0;
  int i, first = names[0] == NULL;

  if (n->type == YAML_SCALAR_NODE && !is_null (n)) {
    for (i = first; names[i]; i++)
      if (strcmp (names[i], scalar (n)) == 0) {
        *out = i;
        return 0;
      }
  }
  for (i = first; names[i]; i++) {
    const char *sep = names[i + 1] == NULL ? (i > first ? " or " : "") : (i > first ? ", " : "");
    len += snprintf (allowed + len, sizeof allowed - len, "%s%s", sep, names[i]);
    if (len >= sizeof allowed)
      break;
  }
  if (n->type == YAML_SCALAR_NODE && !is_null (n))
    return fail (r, n, "%s: expected %s, got '%.64s'", path, allowed,
                 scalar (n));
  return fail (r, n, "%s: expected %s, got %s", path, allowed, type_name (n));
}

/* A list of names from NAMES (at most 31) as a bit set. */
static int
get_flags (struct core_reader *r, const yaml_node_t *n, const char *path,
           const char *const *names, unsigned *out)
{
  yaml_node_t *item;
  size_t i;

  if (core_yaml_expect_list (r, n, path) == -1)
    return -1;
  *out = 0;
  CORE_FOR_ITEMS (r, n, i, item) {
    char ipath[256];
    int bit;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (core_yaml_get_enum (r, item, ipath, names, &bit) == -1)
      return -1;
    if (*out & (1u << bit))
      return fail (r, item, "%s: '%s' is listed twice", ipath, names[bit]);
    *out |= 1u << bit;
  }
  return 0;
}

int
core_yaml_get_strings (struct core_reader *r, const yaml_node_t *n,
                       const char *path, core_string_vector *out)
{
  yaml_node_t *item;
  size_t i;

  if (core_yaml_expect_list (r, n, path) == -1)
    return -1;
  core_string_vector_free (out);
  CORE_FOR_ITEMS (r, n, i, item) {
    char ipath[256];
    char *s = NULL;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (core_yaml_get_string (r, item, ipath, &s) == -1)
      return -1;
    if (core_string_vector_append (out, s) == -1) {
      free (s);
      return -1;
    }
  }
  return 0;
}

int
core_yaml_get_series (struct core_reader *r, const yaml_node_t *n,
                      const char *path, double max, core_double_vector *out)
{
  yaml_node_t *item;
  size_t i;

  if (core_yaml_expect_list (r, n, path) == -1)
    return -1;
  if (n->data.sequence.items.top - n->data.sequence.items.start > MAX_SERIES)
    return fail (r, n, "%s: more than %d values", path, MAX_SERIES);
  core_double_vector_reset (out);
  if (core_double_vector_reserve (out, n->data.sequence.items.top
                                  - n->data.sequence.items.start) == -1)
    return -1;
  CORE_FOR_ITEMS (r, n, i, item) {
    char ipath[256];
    double v;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (core_yaml_get_double (r, item, ipath, 0, max, &v) == -1)
      return -1;
    out->ptr[out->len++] = v;
  }
  return 0;
}

/* Names of workloads and hosts become file and domain names. */
int
core_yaml_check_name (struct core_reader *r, const yaml_node_t *n,
                      const char *path, const char *name)
{
  if (name[0] == '.' || name[0] == '-' || name[0] == '\0')
    goto bad;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
          || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
      goto bad;
  return 0;
 bad:
  return fail (r, n, "%s: '%.64s' is not a valid name (letters, digits, "
               "'.', '-', '_')", path, name);
}

/* The walker ------------------------------------------------------- */

static int64_t
int_bound (double d)
{
  if (d >= CORE_FIELD_INT_MAX)
    return INT64_MAX;
  if (d <= -CORE_FIELD_INT_MAX)
    return INT64_MIN;
  return (int64_t) d;
}

/* Every vector of DEFINE_VECTOR_TYPE has this layout. */
struct any_vector { char *ptr; size_t len, cap; };

/* A list of mappings, each a new item of the vector at VEC. */
static int
read_vector (struct core_reader *r, const struct core_field *f,
             yaml_node_t *list, const char *path, void *vec)
{
  struct any_vector *v = vec;
  const struct core_table *t = f->sub;
  yaml_node_t *item;
  size_t n;

  if (core_yaml_expect_list (r, list, path) == -1)
    return -1;
  CORE_FOR_ITEMS (r, list, n, item) {
    char ipath[256];
    void *obj;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, n);
    if (core_yaml_expect_mapping (r, item, ipath) == -1
        || core_vector_reserve ((void **) &v->ptr, &v->cap, v->len, 1,
                                t->size) == -1)
      return -1;
    obj = v->ptr + v->len++ * t->size;
    core_schema_init (t, obj);
    if (core_schema_read (r, t, item, ipath, obj) == -1
        || (f->each && f->each (r, item, ipath, v->ptr, n) == -1))
      return -1;
  }
  return 0;
}

int
core_schema_read_field (struct core_reader *r, const struct core_field *f,
                        yaml_node_t *v, const char *path, void *obj)
{
  void *p = (char *) obj + f->offset;
  int e, ret = 0;
  bool b;

  if (f->flags & CORE_FIELD_HOOK_READS) {
    ret = f->hook (r, f, v, path, obj);
    goto given;
  }
  switch (f->type) {
  case CORE_FIELD_SKIP:
  case CORE_FIELD_NTYPES:
    return 0;
  case CORE_FIELD_CUSTOM:
    return f->hook (r, f, v, path, obj);
  case CORE_FIELD_BIT:
    ret = core_yaml_get_enum (r, v, path, f->names, &e);
    if (ret == 0)
      *(unsigned *) p = 1u << e;
    break;
  case CORE_FIELD_STRING_OR_NULL:
    if (is_null (v)) {
      free (*(char **) p);
      *(char **) p = NULL;
      break;
    }
    /* fall through */
  case CORE_FIELD_STRING:
    ret = core_yaml_get_string (r, v, path, p);
    break;
  case CORE_FIELD_NAME:
    ret = core_yaml_get_string (r, v, path, p);
    if (ret == 0)
      ret = core_yaml_check_name (r, v, path, *(char **) p);
    break;
  case CORE_FIELD_INT_OR_NULL:
    if (is_null (v)) {
      *(int64_t *) p = CORE_UNSET;
      break;
    }
    /* fall through */
  case CORE_FIELD_INT:
    ret = core_yaml_get_int (r, v, path, int_bound (f->min), int_bound (f->max),
                             p);
    break;
  case CORE_FIELD_DOUBLE_OR_NULL:
    if (is_null (v)) {
      *(double *) p = CORE_UNSET;
      break;
    }
    /* fall through */
  case CORE_FIELD_DOUBLE:
    ret = core_yaml_get_double (r, v, path, f->min, f->max, p);
    break;
  case CORE_FIELD_BOOL:
    ret = get_bool (r, v, path, p);
    break;
  case CORE_FIELD_TRISTATE:
    ret = get_bool (r, v, path, &b);
    if (ret == 0)
      *(int *) p = b;
    break;
  case CORE_FIELD_ENUM:
    ret = core_yaml_get_enum (r, v, path, f->names, &e);
    if (ret == 0)
      *(int *) p = e;
    break;
  case CORE_FIELD_FLAGS:
    ret = get_flags (r, v, path, f->names, p);
    break;
  case CORE_FIELD_STRINGS:
    ret = core_yaml_get_strings (r, v, path, p);
    break;
  case CORE_FIELD_SERIES:
    ret = core_yaml_get_series (r, v, path, f->max, p);
    break;
  case CORE_FIELD_STRUCT:
    ret = core_schema_read (r, f->sub, v, path, p);
    break;
  case CORE_FIELD_VECTOR:
    ret = read_vector (r, f, v, path, p);
    break;
  }
  if (ret == 0 && f->hook)
    ret = f->hook (r, f, v, path, obj);
 given:
  if (ret == 0 && f->given)
    *(bool *) ((char *) obj + f->given - 1) = true;
  return ret;
}

int
core_schema_read (struct core_reader *r, const struct core_table *t,
                  yaml_node_t *map, const char *path, void *obj)
{
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (core_yaml_expect_mapping (r, map, path) == -1)
    return -1;
  CORE_FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, t, &seen, path);

    if (i == -1)
      return -1;
    core_yaml_subpath (p, sizeof p, path, t->fields[i].key);
    if (core_schema_read_field (r, &t->fields[i], v, p, obj) == -1)
      return -1;
  }
  if (check_required (r, map, t, seen, path) == -1)
    return -1;
  return t->check ? t->check (r, map, path, obj, seen) : 0;
}

/* A number's default; strings and lists are left as they are. */
static void
set_default (const struct core_field *f, void *p)
{
  switch (f->type) {
  case CORE_FIELD_INT: case CORE_FIELD_INT_OR_NULL:
    *(int64_t *) p = f->dflt;
    break;
  case CORE_FIELD_DOUBLE: case CORE_FIELD_DOUBLE_OR_NULL:
    *(double *) p = f->dflt;
    break;
  case CORE_FIELD_TRISTATE: case CORE_FIELD_ENUM: case CORE_FIELD_FLAGS:
  case CORE_FIELD_BIT:
    *(int *) p = f->dflt;
    break;
  case CORE_FIELD_BOOL:
    *(bool *) p = f->dflt != 0;
    break;
  default:
    break;
  }
}

/* A nested table may describe the same struct as its parent (policy's
 * overhead), so only the top level is zeroed. */
static void
set_defaults (const struct core_table *t, void *obj)
{
  for (size_t i = 0; i < t->n; i++) {
    const struct core_field *f = &t->fields[i];

    if (f->type == CORE_FIELD_STRUCT) {
      set_defaults (f->sub, (char *) obj + f->offset);
      if (f->flags & CORE_FIELD_FIRST_GIVES)
        *(int64_t *) ((char *) obj + f->offset) = CORE_UNSET;
    }
    else
      set_default (f, (char *) obj + f->offset);
  }
}

void
core_schema_init (const struct core_table *t, void *obj)
{
  memset (obj, 0, t->size);
  set_defaults (t, obj);
}

void
core_schema_free (const struct core_table *t, void *obj)
{
  if (obj == NULL)
    return;
  for (size_t i = 0; i < t->n; i++) {
    const struct core_field *f = &t->fields[i];
    void *p = (char *) obj + f->offset;
    struct any_vector *v = p;

    switch (f->type) {
    case CORE_FIELD_STRING: case CORE_FIELD_STRING_OR_NULL:
    case CORE_FIELD_NAME:
      free (*(char **) p);
      *(char **) p = NULL;
      break;
    case CORE_FIELD_STRINGS:
      core_string_vector_free (p);
      break;
    case CORE_FIELD_SERIES:
      core_double_vector_reset (p);
      break;
    case CORE_FIELD_STRUCT:
      core_schema_free (f->sub, p);
      break;
    case CORE_FIELD_VECTOR:
      for (size_t j = 0; j < v->len; j++)
        core_schema_free (f->sub, v->ptr + j * f->sub->size);
      free (v->ptr);
      v->ptr = NULL;
      v->len = v->cap = 0;
      break;
    default:
      break;
    }
  }
}

static bool
str_eq (const char *a, const char *b)
{
  return a == b || (a && b && strcmp (a, b) == 0);
}

bool
core_schema_holds_items (const struct core_table *t, const void *obj)
{
  for (size_t i = 0; i < t->n; i++) {
    const struct core_field *f = &t->fields[i];
    const struct any_vector *v = (const void *) ((const char *) obj + f->offset);

    if ((f->type == CORE_FIELD_STRINGS || f->type == CORE_FIELD_SERIES
         || f->type == CORE_FIELD_VECTOR) && v->len)
      return true;
  }
  return false;
}

bool
core_schema_is_unset (const struct core_field *f, const void *obj)
{
  const void *p = (const char *) obj + f->offset;

  switch (f->type) {
  case CORE_FIELD_INT: case CORE_FIELD_INT_OR_NULL:
    return *(const int64_t *) p == CORE_UNSET;
  case CORE_FIELD_DOUBLE: case CORE_FIELD_DOUBLE_OR_NULL:
    return *(const double *) p == CORE_UNSET;
  default:
    return false;
  }
}

bool
core_schema_equal (const struct core_table *t, const void *a, const void *b)
{
  for (size_t i = 0; i < t->n; i++) {
    const struct core_field *f = &t->fields[i];
    const void *p = (const char *) a + f->offset;
    const void *q = (const char *) b + f->offset;
    const struct any_vector *v = p, *w = q;
    const core_string_vector *sv = p, *sw = q;
    const core_double_vector *dv = p, *dw = q;

    if (f->given) {
      bool x = *(const bool *) ((const char *) a + f->given - 1);

      if (x != *(const bool *) ((const char *) b + f->given - 1))
        return false;
      if (!x)
        continue;
    }
    switch (f->type) {
    case CORE_FIELD_SKIP: case CORE_FIELD_CUSTOM: case CORE_FIELD_NTYPES:
      break;
    case CORE_FIELD_STRING: case CORE_FIELD_STRING_OR_NULL:
    case CORE_FIELD_NAME:
      if (!str_eq (*(char *const *) p, *(char *const *) q))
        return false;
      break;
    case CORE_FIELD_INT: case CORE_FIELD_INT_OR_NULL:
      if (*(const int64_t *) p != *(const int64_t *) q)
        return false;
      break;
    case CORE_FIELD_DOUBLE: case CORE_FIELD_DOUBLE_OR_NULL:
      if (*(const double *) p != *(const double *) q)
        return false;
      break;
    case CORE_FIELD_BOOL:
      if (*(const bool *) p != *(const bool *) q)
        return false;
      break;
    case CORE_FIELD_TRISTATE: case CORE_FIELD_ENUM: case CORE_FIELD_FLAGS:
    case CORE_FIELD_BIT:
      if (*(const int *) p != *(const int *) q)
        return false;
      break;
    case CORE_FIELD_STRINGS:
      if (sv->len != sw->len)
        return false;
      for (size_t j = 0; j < sv->len; j++)
        if (!str_eq (sv->ptr[j], sw->ptr[j]))
          return false;
      break;
    case CORE_FIELD_SERIES:
      if (dv->len != dw->len)
        return false;
      for (size_t j = 0; j < dv->len; j++)
        if (dv->ptr[j] != dw->ptr[j])
          return false;
      break;
    case CORE_FIELD_STRUCT:
      if ((f->flags & CORE_FIELD_OMIT_EMPTY)
          && !core_schema_holds_items (f->sub, p)
          && !core_schema_holds_items (f->sub, q))
        break;
      if ((f->flags & CORE_FIELD_NULL_UNSET)
          && core_schema_is_unset (&f->sub->fields[0], p)
          && core_schema_is_unset (&f->sub->fields[0], q))
        break;
      if (!core_schema_equal (f->sub, p, q))
        return false;
      break;
    case CORE_FIELD_VECTOR:
      if (v->len != w->len)
        return false;
      for (size_t j = 0; j < v->len; j++)
        if (!core_schema_equal (f->sub, v->ptr + j * f->sub->size,
                                w->ptr + j * f->sub->size))
          return false;
      break;
    }
  }
  return true;
}

const struct core_field *
core_schema_field (const struct core_table *t, const char *key)
{
  for (size_t i = 0; i < t->n; i++)
    if (strcmp (t->fields[i].key, key) == 0)
      return &t->fields[i];
  return NULL;
}

size_t
core_schema_tables (const struct core_table *t, const struct core_table **out,
                    size_t max)
{
  size_t n = 0;

  if (max == 0)
    return 0;
  out[n++] = t;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < out[i]->n; j++) {
      const struct core_table *sub = out[i]->fields[j].sub;
      bool have = sub == NULL;

      for (size_t k = 0; k < n && !have; k++)
        have = out[k] == sub;
      if (!have && n < max)
        out[n++] = sub;
    }
  return n;
}

/* The bytes of a field core_schema_set can set, 0 for the others. */
static size_t
field_size (enum core_field_type t)
{
  switch (t) {
  case CORE_FIELD_STRING: case CORE_FIELD_STRING_OR_NULL: case CORE_FIELD_NAME:
    return sizeof (char *);
  case CORE_FIELD_INT: case CORE_FIELD_INT_OR_NULL:
    return sizeof (int64_t);
  case CORE_FIELD_DOUBLE: case CORE_FIELD_DOUBLE_OR_NULL:
    return sizeof (double);
  case CORE_FIELD_BOOL:
    return sizeof (bool);
  case CORE_FIELD_TRISTATE: case CORE_FIELD_ENUM: case CORE_FIELD_FLAGS:
  case CORE_FIELD_BIT:
    return sizeof (int);
  default:
    return 0;
  }
}

/* Values typed by a person are short. */
#define MAX_VALUE 4096

int
core_schema_set (const struct core_table *t, void *obj, const char *key,
                 const char *text)
{
  const struct core_field *f;
  char *base = obj, *tmp = NULL, part[128];
  const char *k = key;
  yaml_parser_t parser;
  yaml_document_t doc;
  struct core_reader r = { .file = NULL, .doc = &doc };
  yaml_node_t *root;
  size_t size;
  bool string;
  int ret = -1;

  /* A dotted key goes down nested tables. */
  for (;;) {
    size_t n = strcspn (k, ".");

    snprintf (part, sizeof part, "%.*s", (int) n, k);
    if ((f = core_schema_field (t, part)) == NULL) {
      core_error ("%s: no such key", key);
      return -1;
    }
    if (k[n] == '\0')
      break;
    if (f->type != CORE_FIELD_STRUCT) {
      core_error ("%s: '%s' is not a mapping", key, part);
      return -1;
    }
    base += f->offset;
    t = f->sub;
    k += n + 1;
  }
  if ((size = field_size (f->type)) == 0) {
    core_error ("%s: cannot be set on its own", key);
    return -1;
  }
  if (strlen (text) > MAX_VALUE) {
    core_error ("%s: longer than %d bytes", key, MAX_VALUE);
    return -1;
  }
  string = size == sizeof (char *) && f->type != CORE_FIELD_INT
    && f->type != CORE_FIELD_INT_OR_NULL && f->type != CORE_FIELD_DOUBLE
    && f->type != CORE_FIELD_DOUBLE_OR_NULL;
  /* Read into a copy, so that nothing changes on error. */
  if ((tmp = malloc (t->size)) == NULL) {
    core_error ("out of memory");
    return -1;
  }
  memcpy (tmp, base, t->size);
  if (string)
    *(char **) (tmp + f->offset) = NULL;
  if (text[strspn (text, " ")] == '\0') {
    /* Empty: an optional value is left out, as if absent from a file. */
    if (f->required)
      core_error ("%s: give a value", key);
    else {
      set_default (f, tmp + f->offset);
      ret = 0;
    }
  }
  else if (!yaml_parser_initialize (&parser))
    core_error ("%s: cannot initialize the YAML parser", key);
  else {
    yaml_parser_set_input_string (&parser, (const unsigned char *) text,
                                  strlen (text));
    if (!yaml_parser_load (&parser, &doc))
      core_error ("%s: '%.64s' is not a value", key, text);
    else {
      if ((root = yaml_document_get_root_node (&doc)) == NULL)
        core_error ("%s: give a value", key);
      else if (core_schema_read_field (&r, f, root, key, tmp) == 0
               && (t->check == NULL
                   || t->check (&r, root, "", tmp, ~UINT64_C(0)) == 0))
        ret = 0;
      yaml_document_delete (&doc);
    }
    yaml_parser_delete (&parser);
  }
  if (ret == 0) {
    if (string)
      free (*(char **) (base + f->offset));
    memcpy (base + f->offset, tmp + f->offset, size);
  }
  else if (string)
    free (*(char **) (tmp + f->offset));
  free (tmp);
  return ret;
}

ssize_t
core_schema_same_before (const void *items, size_t n, size_t size,
                         size_t offset)
{
  const char *name = *(char *const *) ((const char *) items + n * size + offset);

  for (size_t j = 0; j < n; j++)
    if (strcmp (*(char *const *) ((const char *) items + j * size + offset),
                name) == 0)
      return j;
  return -1;
}
