/* Readers of the four YAML formats (docs/formats.md).
 *
 * libyaml loads the whole document into a node tree; each reader walks it
 * against the schema.  Every error names the file and the line and column
 * of the offending node (libyaml's marks are 0-based; ours are 1-based):
 * unknown or duplicate keys, missing required keys, wrong types, values out
 * of range.
 */
#include <errno.h>
#include <float.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core.h"

/* Series longer than a year of one-minute samples are surely a mistake. */
#define MAX_SERIES (366 * 24 * 60)

struct reader {
  const char *file;
  yaml_document_t doc;
};

static yaml_node_t *
node_at (struct reader *r, int index)
{
  return yaml_document_get_node (&r->doc, index);
}

static int __attribute__((format(printf, 3, 4)))
fail (struct reader *r, const yaml_node_t *n, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  core_error_at (r->file, n->start_mark.line + 1, n->start_mark.column + 1,
                 "%s", msg);
  return -1;
}

/* Re-raise the message of a core_parse_* failure at node N. */
static int
fail_parse (struct reader *r, const yaml_node_t *n)
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
static bool
is_null (const yaml_node_t *n)
{
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  return n->data.scalar.length == 0 || strcmp (scalar (n), "~") == 0
    || strcmp (scalar (n), "null") == 0 || strcmp (scalar (n), "Null") == 0
    || strcmp (scalar (n), "NULL") == 0;
}

static const char *
type_name (const yaml_node_t *n)
{
  switch (n->type) {
  case YAML_MAPPING_NODE: return "a mapping";
  case YAML_SEQUENCE_NODE: return "a list";
  default: return is_null (n) ? "null" : "a scalar";
  }
}

static int
expect_mapping (struct reader *r, const yaml_node_t *n, const char *path)
{
  if (n->type != YAML_MAPPING_NODE)
    return fail (r, n, "%s: expected a mapping, got %s", path, type_name (n));
  return 0;
}

static int
expect_list (struct reader *r, const yaml_node_t *n, const char *path)
{
  if (n->type != YAML_SEQUENCE_NODE)
    return fail (r, n, "%s: expected a list, got %s", path, type_name (n));
  return 0;
}

/* Keys -------------------------------------------------------------- */

/* The known key nearest to WORD among those not SEEN yet, for "did you
 * mean" (core_nearest's rule), or NULL. */
static const char *
yaml_nearest_key (const char *word, const char *const *keys, uint64_t seen)
{
  const char *unseen[64];
  size_t n = 0;

  for (int i = 0; keys[i] && n < 64; i++, n++)
    unseen[n] = (seen & (UINT64_C(1) << i)) ? NULL : keys[i];
  return core_nearest (word, unseen, n);
}

/* Look KEY up in the NULL-terminated KEYS; fail on an unknown key or on
 * one seen before in this mapping (SEEN is a bit set over KEYS).  PATH
 * names the mapping; "" is the top level, named by no path. */
static int
key_index (struct reader *r, const yaml_node_t *k, const char *const *keys,
           uint64_t *seen, const char *path)
{
  const char *sep = path[0] ? ": " : "", *near;

  if (k->type != YAML_SCALAR_NODE)
    return fail (r, k, "%s%sa key must be a string, got %s", path, sep,
                 type_name (k));
  for (int i = 0; keys[i]; i++) {
    if (strcmp (keys[i], scalar (k)) == 0) {
      if (*seen & (UINT64_C(1) << i))
        return fail (r, k, "%s%sduplicate key '%s'", path, sep, keys[i]);
      *seen |= UINT64_C(1) << i;
      return i;
    }
  }
  near = yaml_nearest_key (scalar (k), keys, *seen);
  if (near)
    return fail (r, k, "%s%sunknown key '%.64s' (did you mean '%s'?)", path,
                 sep, scalar (k), near);
  return fail (r, k, "%s%sunknown key '%.64s'", path, sep, scalar (k));
}

/* REQUIRED is a bit set over KEYS. */
static int
check_required (struct reader *r, const yaml_node_t *map,
                const char *const *keys, uint64_t seen, uint64_t required,
                const char *path)
{
  for (int i = 0; keys[i]; i++) {
    if ((required & (UINT64_C(1) << i)) && !(seen & (UINT64_C(1) << i))) {
      if (path[0])
        return fail (r, map, "%s: missing required key '%s'", path, keys[i]);
      return fail (r, map, "missing required key '%s'", keys[i]);
    }
  }
  return 0;
}

#define BIT(i) (UINT64_C(1) << (i))

/* Iterate over a mapping's pairs with K and V bound to the key and value
 * nodes. */
#define FOR_PAIRS(r, map, k, v)                                             \
  for (yaml_node_pair_t *pair_ = (map)->data.mapping.pairs.start;           \
       pair_ < (map)->data.mapping.pairs.top                                \
         && ((k) = node_at ((r), pair_->key)) != NULL                       \
         && ((v) = node_at ((r), pair_->value)) != NULL;                    \
       pair_++)

#define FOR_ITEMS(r, seq, i, item)                                          \
  for (yaml_node_item_t *item_ = (seq)->data.sequence.items.start;          \
       item_ < (seq)->data.sequence.items.top                               \
         && ((item) = node_at ((r), *item_)) != NULL                        \
         && ((i) = item_ - (seq)->data.sequence.items.start, 1);            \
       item_++)

/* PATH.KEY into BUF, cut short if it does not fit (it is only a label in
 * error messages). */
static void
subpath (char *buf, size_t len, const char *path, const char *key)
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

/* Scalars ----------------------------------------------------------- */

static int
get_string (struct reader *r, const yaml_node_t *n, const char *path,
            char **out)
{
  if (n->type != YAML_SCALAR_NODE || is_null (n))
    return fail (r, n, "%s: expected a string, got %s", path, type_name (n));
  if (strlen (scalar (n)) != n->data.scalar.length)
    return fail (r, n, "%s: string contains a NUL byte", path);
  free (*out);
  *out = core_strdup (scalar (n));
  return *out ? 0 : -1;
}

/* Nullable string: null gives NULL. */
static int
get_string_or_null (struct reader *r, const yaml_node_t *n, const char *path,
                    char **out)
{
  if (is_null (n)) {
    free (*out);
    *out = NULL;
    return 0;
  }
  return get_string (r, n, path, out);
}

/* Numbers are plain scalars: "12" in quotes is a string, not a number. */
static int
number_text (struct reader *r, const yaml_node_t *n, const char *path,
             const char *what)
{
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE
      || is_null (n))
    return fail (r, n, "%s: expected %s, got %s", path, what,
                 n->type == YAML_SCALAR_NODE && !is_null (n)
                 ? "a quoted string" : type_name (n));
  return 0;
}

static int
get_int (struct reader *r, const yaml_node_t *n, const char *path,
         int64_t min, int64_t max, int64_t *out)
{
  if (number_text (r, n, path, "an integer") == -1)
    return -1;
  if (core_parse_int64 (scalar (n), path, min, max, out) == -1)
    return fail_parse (r, n);
  return 0;
}

static int
get_double (struct reader *r, const yaml_node_t *n, const char *path,
            double min, double max, double *out)
{
  if (number_text (r, n, path, "a number") == -1)
    return -1;
  if (core_parse_double (scalar (n), path, min, max, out) == -1)
    return fail_parse (r, n);
  return 0;
}

static int
get_double_or_null (struct reader *r, const yaml_node_t *n, const char *path,
                    double min, double max, double *out)
{
  if (is_null (n)) {
    *out = CORE_UNSET;
    return 0;
  }
  return get_double (r, n, path, min, max, out);
}

static int
get_int_or_null (struct reader *r, const yaml_node_t *n, const char *path,
                 int64_t min, int64_t max, int64_t *out)
{
  if (is_null (n)) {
    *out = CORE_UNSET;
    return 0;
  }
  return get_int (r, n, path, min, max, out);
}

static int
get_bool (struct reader *r, const yaml_node_t *n, const char *path, bool *out)
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

/* One of NAMES (NULL slots are skipped, the list ends at the first NULL
 * after index 0... so pass FIRST, the index of the first real name). */
static int
get_enum (struct reader *r, const yaml_node_t *n, const char *path,
          const char *const *names, int first, int *out)
{
  char allowed[256] = "";
  size_t len = 0;
  int i;

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
get_flags (struct reader *r, const yaml_node_t *n, const char *path,
           const char *const *names, unsigned *out)
{
  yaml_node_t *item;
  size_t i;

  if (expect_list (r, n, path) == -1)
    return -1;
  *out = 0;
  FOR_ITEMS (r, n, i, item) {
    char ipath[256];
    int bit;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (get_enum (r, item, ipath, names, 0, &bit) == -1)
      return -1;
    if (*out & (1u << bit))
      return fail (r, item, "%s: '%s' is listed twice", ipath, names[bit]);
    *out |= 1u << bit;
  }
  return 0;
}

static int
get_strings (struct reader *r, const yaml_node_t *n, const char *path,
             core_string_vector *out)
{
  yaml_node_t *item;
  size_t i;

  if (expect_list (r, n, path) == -1)
    return -1;
  core_string_vector_free (out);
  FOR_ITEMS (r, n, i, item) {
    char ipath[256];
    char *s = NULL;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (get_string (r, item, ipath, &s) == -1)
      return -1;
    if (core_string_vector_append (out, s) == -1) {
      free (s);
      return -1;
    }
  }
  return 0;
}

static int
get_series (struct reader *r, const yaml_node_t *n, const char *path,
            double max, core_double_vector *out)
{
  yaml_node_t *item;
  size_t i;

  if (expect_list (r, n, path) == -1)
    return -1;
  if (n->data.sequence.items.top - n->data.sequence.items.start > MAX_SERIES)
    return fail (r, n, "%s: more than %d values", path, MAX_SERIES);
  core_double_vector_reset (out);
  if (core_double_vector_reserve (out, n->data.sequence.items.top
                                  - n->data.sequence.items.start) == -1)
    return -1;
  FOR_ITEMS (r, n, i, item) {
    char ipath[256];
    double v;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (get_double (r, item, ipath, 0, max, &v) == -1)
      return -1;
    out->ptr[out->len++] = v;
  }
  return 0;
}

/* Names of workloads and hosts become file and domain names. */
static int
check_name (struct reader *r, const yaml_node_t *n, const char *path,
            const char *name)
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

/* anti_affinity: one name, or a list of them (a server in two sets). */
static int
get_anti_affinity (struct reader *r, const yaml_node_t *n, const char *path,
                   core_string_vector *out)
{
  yaml_node_t *item;
  size_t i;

  core_string_vector_free (out);
  if (n->type == YAML_SCALAR_NODE && !is_null (n)) {
    char *s = NULL;
    if (get_string (r, n, path, &s) == -1 || check_name (r, n, path, s) == -1
        || core_string_vector_append (out, s) == -1) {
      free (s);
      return -1;
    }
    return 0;
  }
  if (n->type != YAML_SEQUENCE_NODE)
    return fail (r, n, "%s: expected a name or a list of names, got %s",
                 path, type_name (n));
  if (n->data.sequence.items.top == n->data.sequence.items.start)
    return fail (r, n, "%s: the list is empty", path);
  FOR_ITEMS (r, n, i, item) {
    char ipath[256];
    char *s = NULL;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (get_string (r, item, ipath, &s) == -1)
      return -1;
    if (check_name (r, item, ipath, s) == -1) {
      free (s);
      return -1;
    }
    for (size_t j = 0; j < out->len; j++)
      if (strcmp (out->ptr[j], s) == 0) {
        free (s);
        return fail (r, item, "%s: '%s' is listed twice", ipath, out->ptr[j]);
      }
    if (core_string_vector_append (out, s) == -1) {
      free (s);
      return -1;
    }
  }
  return 0;
}

/* Documents --------------------------------------------------------- */

/* What a document may cost beyond its size.  libyaml's loader keeps an
 * alias as a reference, but the readers walk it as a copy, so a small
 * file of nested aliases ("billion laughs") would be walked as gigabytes;
 * and deep nesting makes libyaml's scanner and its recursive loader take
 * quadratic time and deep stacks.  Every reader's schema is less than ten
 * levels deep. */
#define MAX_DEPTH 64
/* Aliases may repeat at most as much as the file holds, plus this. */
#define ALIAS_SLACK (64 * 1024)

static void
syntax_error (const char *name, const yaml_parser_t *parser)
{
  yaml_mark_t m = parser->problem_mark;

  if (parser->error == YAML_MEMORY_ERROR)
    core_error ("%s: out of memory", name);
  else
    core_error_at (name, m.line + 1, m.column + 1, "YAML syntax error: %s%s%s",
                   parser->problem ? parser->problem : "unknown",
                   parser->context ? " " : "",
                   parser->context ? parser->context : "");
}

/* The anchors of the document, by name: what each weighs (see prescan),
 * or that it is still open (its collection has not ended yet).  Open
 * addressing, so a file of many anchors and aliases stays linear. */
struct anchor {
  char *name;
  size_t weight;
  bool open;
};

struct anchors {
  struct anchor *slots;
  size_t mask, count;
};

static size_t
anchor_hash (const char *s)
{
  size_t h = 14695981039346656037u;     /* FNV-1a */

  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211u;
  return h;
}

static struct anchor *
anchor_slot (struct anchor *slots, size_t mask, const char *name)
{
  size_t i = anchor_hash (name) & mask;

  while (slots[i].name && strcmp (slots[i].name, name) != 0)
    i = (i + 1) & mask;
  return &slots[i];
}

static struct anchor *
anchor_find (struct anchors *t, const char *name)
{
  struct anchor *a;

  if (t->slots == NULL)
    return NULL;
  a = anchor_slot (t->slots, t->mask, name);
  return a->name ? a : NULL;
}

/* Record anchor NAME (taken over); return its entry.  A name given twice
 * keeps one entry: the loader refuses the file afterwards anyway. */
static struct anchor *
anchor_put (struct anchors *t, char *name, size_t weight, bool open)
{
  struct anchor *a;

  if (t->count + 1 > (t->mask + 1) / 2) {
    size_t cap = t->slots ? (t->mask + 1) * 2 : 64;
    struct anchor *slots = calloc (cap, sizeof *slots);

    if (slots == NULL) {
      free (name);
      core_error ("out of memory");
      return NULL;
    }
    for (size_t i = 0; t->slots && i <= t->mask; i++)
      if (t->slots[i].name)
        *anchor_slot (slots, cap - 1, t->slots[i].name) = t->slots[i];
    free (t->slots);
    t->slots = slots;
    t->mask = cap - 1;
  }
  a = anchor_slot (t->slots, t->mask, name);
  if (a->name)
    free (name);
  else {
    a->name = name;
    t->count++;
  }
  a->weight = weight;
  a->open = open;
  return a;
}

static void
anchors_free (struct anchors *t)
{
  for (size_t i = 0; t->slots && i <= t->mask; i++)
    free (t->slots[i].name);
  free (t->slots);
}

/* Go through the events of the stream once, before any tree is built,
 * and refuse nesting deeper than MAX_DEPTH and aliases that repeat more
 * than the file holds plus ALIAS_SLACK.  A node weighs 1, plus its bytes
 * for a scalar, plus what it contains for a collection; an alias weighs
 * what its anchor does, so aliases of aliases multiply as a reader
 * walking the tree would. */
static int
prescan (const char *name, const char *buf, size_t len)
{
  struct { size_t weight; char *anchor; } stack[MAX_DEPTH];
  struct anchors anchors = { 0 };
  size_t depth = 0, aliased = 0, budget = len + ALIAS_SLACK;
  yaml_parser_t parser;
  bool done = false;
  int ret = -1;

  if (!yaml_parser_initialize (&parser)) {
    core_error ("%s: cannot initialize the YAML parser", name);
    return -1;
  }
  yaml_parser_set_input_string (&parser, (const unsigned char *) buf, len);
  while (!done) {
    yaml_event_t ev;
    yaml_mark_t m;
    struct anchor *a;
    size_t w = 0;

    if (!yaml_parser_parse (&parser, &ev)) {
      syntax_error (name, &parser);
      goto out;
    }
    m = ev.start_mark;
    switch (ev.type) {
    case YAML_STREAM_END_EVENT:
      done = true;
      break;
    case YAML_SCALAR_EVENT:
      w = 1 + ev.data.scalar.length;
      if (ev.data.scalar.anchor) {
        a = anchor_put (&anchors, (char *) ev.data.scalar.anchor, w, false);
        ev.data.scalar.anchor = NULL;
        if (a == NULL)
          goto fail_event;
      }
      break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
      yaml_char_t **anchor = ev.type == YAML_SEQUENCE_START_EVENT
        ? &ev.data.sequence_start.anchor : &ev.data.mapping_start.anchor;

      if (depth == MAX_DEPTH) {
        core_error_at (name, m.line + 1, m.column + 1,
                       "nested deeper than %d levels", MAX_DEPTH);
        goto fail_event;
      }
      stack[depth].weight = 1;
      stack[depth].anchor = NULL;
      if (*anchor) {
        a = anchor_put (&anchors, (char *) *anchor, 0, true);
        *anchor = NULL;
        if (a == NULL)
          goto fail_event;
        stack[depth].anchor = a->name;
      }
      depth++;
      break;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      depth--;
      w = stack[depth].weight;
      if (stack[depth].anchor
          && (a = anchor_find (&anchors, stack[depth].anchor)) != NULL) {
        a->weight = w;
        a->open = false;
      }
      break;
    case YAML_ALIAS_EVENT:
      a = anchor_find (&anchors, (const char *) ev.data.alias.anchor);
      if (a && a->open) {
        core_error_at (name, m.line + 1, m.column + 1,
                       "alias '*%.64s' is inside the node it names",
                       (const char *) ev.data.alias.anchor);
        goto fail_event;
      }
      /* An unknown anchor is the loader's to report. */
      w = a ? a->weight : 1;
      if (!core_add_size (aliased, w, &aliased) || aliased > budget) {
        core_error_at (name, m.line + 1, m.column + 1,
                       "alias '*%.64s' expands too far: aliases may repeat "
                       "at most the file's own size plus %d KiB",
                       (const char *) ev.data.alias.anchor, ALIAS_SLACK / 1024);
        goto fail_event;
      }
      break;
    default:
      break;
    }
    /* Weights stay below the file's size plus the budget: no overflow. */
    if (depth > 0)
      stack[depth - 1].weight += w;
    yaml_event_delete (&ev);
    continue;
  fail_event:
    yaml_event_delete (&ev);
    goto out;
  }
  ret = 0;
 out:
  anchors_free (&anchors);
  yaml_parser_delete (&parser);
  return ret;
}

static int
load (struct reader *r, const char *name, const char *buf, size_t len)
{
  yaml_parser_t parser;
  yaml_document_t extra;
  int ok;

  r->file = name;
  if (len > CORE_INPUT_MAX) {
    core_error ("%s: larger than %d MiB, the most a p2vkit file may hold",
                name, CORE_INPUT_MAX >> 20);
    return -1;
  }
  if (prescan (name, buf, len) == -1)
    return -1;
  if (!yaml_parser_initialize (&parser)) {
    core_error ("%s: cannot initialize the YAML parser", name);
    return -1;
  }
  yaml_parser_set_input_string (&parser, (const unsigned char *) buf, len);
  ok = yaml_parser_load (&parser, &r->doc);
  if (!ok) {
    syntax_error (name, &parser);
    yaml_parser_delete (&parser);
    return -1;
  }
  if (yaml_document_get_root_node (&r->doc) == NULL) {
    yaml_document_delete (&r->doc);
    yaml_parser_delete (&parser);
    core_error ("%s: empty file", name);
    return -1;
  }
  /* One document per file. */
  ok = yaml_parser_load (&parser, &extra);
  if (ok && yaml_document_get_root_node (&extra) != NULL) {
    yaml_mark_t m = extra.start_mark;
    yaml_document_delete (&extra);
    yaml_document_delete (&r->doc);
    yaml_parser_delete (&parser);
    core_error_at (name, m.line + 1, m.column + 1,
                   "more than one YAML document in the file");
    return -1;
  }
  if (ok)
    yaml_document_delete (&extra);
  else {
    yaml_mark_t m = parser.problem_mark;
    core_error_at (name, m.line + 1, m.column + 1, "YAML syntax error: %s",
                   parser.problem ? parser.problem : "unknown");
    yaml_document_delete (&r->doc);
    yaml_parser_delete (&parser);
    return -1;
  }
  yaml_parser_delete (&parser);
  return 0;
}

static const char *const schema_names[] = {
  CORE_SCHEMA_PROFILE, CORE_SCHEMA_HOSTS, CORE_SCHEMA_POLICY, CORE_SCHEMA_PLAN,
  NULL
};

/* Check the root is a mapping whose "schema" key names a known schema;
 * return its kind. */
static int
root_kind (struct reader *r, yaml_node_t *root, enum core_file_kind *kind)
{
  yaml_node_t *k, *v;

  if (root->type != YAML_MAPPING_NODE)
    return fail (r, root, "expected a mapping at the top, got %s",
                 type_name (root));
  FOR_PAIRS (r, root, k, v) {
    if (k->type == YAML_SCALAR_NODE && strcmp (scalar (k), "schema") == 0) {
      if (v->type != YAML_SCALAR_NODE || is_null (v))
        return fail (r, v, "schema: expected a string, got %s", type_name (v));
      for (int i = 0; schema_names[i]; i++)
        if (strcmp (scalar (v), schema_names[i]) == 0) {
          *kind = i;
          return 0;
        }
      return fail (r, v, "unknown schema '%.64s'", scalar (v));
    }
  }
  return fail (r, root, "missing required key 'schema'");
}

static int
expect_kind (struct reader *r, yaml_node_t *root, enum core_file_kind want)
{
  enum core_file_kind kind;
  yaml_node_t *k, *v;

  if (root_kind (r, root, &kind) == -1)
    return -1;
  if (kind != want) {
    FOR_PAIRS (r, root, k, v)
      if (k->type == YAML_SCALAR_NODE && strcmp (scalar (k), "schema") == 0)
        return fail (r, v, "schema is '%s', expected '%s'", schema_names[kind],
                     schema_names[want]);
  }
  return 0;
}

int
core_file_kind (const char *name, const char *buf, size_t len,
                enum core_file_kind *out)
{
  struct reader r;
  int ret;

  if (load (&r, name, buf, len) == -1)
    return -1;
  ret = root_kind (&r, yaml_document_get_root_node (&r.doc), out);
  yaml_document_delete (&r.doc);
  return ret;
}

/* Profile ----------------------------------------------------------- */

static int
read_cpu (struct reader *r, yaml_node_t *map, struct core_cpu *cpu)
{
  static const char *const keys[] =
    { "model", "sockets", "cores", "threads", "mhz", "virt", NULL };
  const char *path = "hardware.cpu";
  uint64_t seen = 0;
  yaml_node_t *k, *v;
  int e;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0: if (get_string (r, v, p, &cpu->model) == -1) return -1; break;
    case 1: if (get_int (r, v, p, 1, 1024, &cpu->sockets) == -1) return -1; break;
    case 2: if (get_int (r, v, p, 1, 65536, &cpu->cores) == -1) return -1; break;
    case 3: if (get_int (r, v, p, 1, 65536, &cpu->threads) == -1) return -1; break;
    case 4:
      /* 0 is excluded: the planner divides by it. */
      if (get_double (r, v, p, 1, 1e6, &cpu->mhz) == -1) return -1;
      break;
    case 5:
      if (get_enum (r, v, p, core_virt_names, 1, &e) == -1) return -1;
      cpu->virt = e;
      break;
    }
  }
  return check_required (r, map, keys, seen, BIT(2) | BIT(4), path);
}

static int
read_disks (struct reader *r, yaml_node_t *list, core_disk_vector *out)
{
  static const char *const keys[] =
    { "name", "size_bytes", "model", "rotational", NULL };
  yaml_node_t *item, *k, *v;
  size_t n;

  if (expect_list (r, list, "hardware.disks") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_disk d = { .size_bytes = CORE_UNSET, .rotational = CORE_UNSET };
    char path[64];
    uint64_t seen = 0;

    snprintf (path, sizeof path, "hardware.disks[%zu]", n);
    if (expect_mapping (r, item, path) == -1 || core_disk_vector_append (out, d) == -1)
      return -1;
    struct core_disk *dp = &out->ptr[out->len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, keys, &seen, path);
      bool b;

      if (i == -1)
        return -1;
      subpath (p, sizeof p, path, keys[i]);
      switch (i) {
      case 0: if (get_string (r, v, p, &dp->name) == -1) return -1; break;
      case 1: if (get_int (r, v, p, 0, INT64_MAX, &dp->size_bytes) == -1) return -1; break;
      case 2: if (get_string (r, v, p, &dp->model) == -1) return -1; break;
      case 3:
        if (get_bool (r, v, p, &b) == -1) return -1;
        dp->rotational = b;
        break;
      }
    }
    if (check_required (r, item, keys, seen, BIT(0), path) == -1)
      return -1;
  }
  return 0;
}

static int
read_filesystems (struct reader *r, yaml_node_t *list,
                  core_filesystem_vector *out)
{
  static const char *const keys[] =
    { "mount", "device", "type", "size_bytes", "used_bytes", NULL };
  yaml_node_t *item, *k, *v;
  size_t n;

  if (expect_list (r, list, "hardware.filesystems") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_filesystem f = { .size_bytes = CORE_UNSET, .used_bytes = CORE_UNSET };
    char path[64];
    uint64_t seen = 0;

    snprintf (path, sizeof path, "hardware.filesystems[%zu]", n);
    if (expect_mapping (r, item, path) == -1
        || core_filesystem_vector_append (out, f) == -1)
      return -1;
    struct core_filesystem *fp = &out->ptr[out->len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, keys, &seen, path);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, path, keys[i]);
      switch (i) {
      case 0: if (get_string (r, v, p, &fp->mount) == -1) return -1; break;
      case 1: if (get_string (r, v, p, &fp->device) == -1) return -1; break;
      case 2: if (get_string (r, v, p, &fp->type) == -1) return -1; break;
      case 3: if (get_int (r, v, p, 0, INT64_MAX, &fp->size_bytes) == -1) return -1; break;
      case 4: if (get_int (r, v, p, 0, INT64_MAX, &fp->used_bytes) == -1) return -1; break;
      }
    }
    if (check_required (r, item, keys, seen, BIT(0), path) == -1)
      return -1;
    if (fp->size_bytes != CORE_UNSET && fp->used_bytes > fp->size_bytes)
      return fail (r, item, "%s: used_bytes is larger than size_bytes", path);
  }
  return 0;
}

static int
read_nics (struct reader *r, yaml_node_t *list, core_nic_vector *out)
{
  static const char *const keys[] =
    { "name", "mac", "speed_mbps", "driver", NULL };
  yaml_node_t *item, *k, *v;
  size_t n;

  if (expect_list (r, list, "hardware.nics") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_nic nic = { .speed_mbps = CORE_UNSET };
    char path[64];
    uint64_t seen = 0;

    snprintf (path, sizeof path, "hardware.nics[%zu]", n);
    if (expect_mapping (r, item, path) == -1 || core_nic_vector_append (out, nic) == -1)
      return -1;
    struct core_nic *np = &out->ptr[out->len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, keys, &seen, path);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, path, keys[i]);
      switch (i) {
      case 0: if (get_string (r, v, p, &np->name) == -1) return -1; break;
      case 1: if (get_string (r, v, p, &np->mac) == -1) return -1; break;
      case 2: if (get_int (r, v, p, 0, INT64_MAX, &np->speed_mbps) == -1) return -1; break;
      case 3: if (get_string (r, v, p, &np->driver) == -1) return -1; break;
      }
    }
    if (check_required (r, item, keys, seen, BIT(0), path) == -1)
      return -1;
  }
  return 0;
}

static int
read_pci (struct reader *r, yaml_node_t *list, core_pci_vector *out)
{
  static const char *const keys[] =
    { "address", "vendor", "device", "class", "driver", "name", "passthrough",
      NULL };
  yaml_node_t *item, *k, *v;
  size_t n;

  if (expect_list (r, list, "hardware.pci") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_pci d = { 0 };
    char path[64];
    uint64_t seen = 0;

    snprintf (path, sizeof path, "hardware.pci[%zu]", n);
    if (expect_mapping (r, item, path) == -1 || core_pci_vector_append (out, d) == -1)
      return -1;
    struct core_pci *dp = &out->ptr[out->len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, keys, &seen, path);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, path, keys[i]);
      switch (i) {
      case 0: if (get_string (r, v, p, &dp->address) == -1) return -1; break;
      case 1: if (get_string (r, v, p, &dp->vendor) == -1) return -1; break;
      case 2: if (get_string (r, v, p, &dp->device) == -1) return -1; break;
      case 3: if (get_string (r, v, p, &dp->class_) == -1) return -1; break;
      case 4: if (get_string (r, v, p, &dp->driver) == -1) return -1; break;
      case 5: if (get_string (r, v, p, &dp->name) == -1) return -1; break;
      case 6: if (get_bool (r, v, p, &dp->passthrough) == -1) return -1; break;
      }
    }
    /* A device must be identifiable somehow. */
    if (!(seen & (BIT(0) | BIT(5))))
      return fail (r, item, "%s: needs an 'address' or a 'name'", path);
  }
  return 0;
}

static int
read_hardware (struct reader *r, yaml_node_t *map, struct core_hardware *hw)
{
  static const char *const keys[] =
    { "vendor", "product", "firmware", "cpu", "memory_mib", "watts", "disks",
      "filesystems", "nics", "pci", NULL };
  const char *path = "hardware";
  uint64_t seen = 0;
  yaml_node_t *k, *v;
  int e;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0: if (get_string (r, v, p, &hw->vendor) == -1) return -1; break;
    case 1: if (get_string (r, v, p, &hw->product) == -1) return -1; break;
    case 2:
      if (get_enum (r, v, p, core_firmware_names, 1, &e) == -1) return -1;
      hw->firmware = e;
      break;
    case 3: if (read_cpu (r, v, &hw->cpu) == -1) return -1; break;
    case 4:
      if (get_int (r, v, p, 1, INT64_C(1) << 40, &hw->memory_mib) == -1) return -1;
      break;
    case 5: if (get_double (r, v, p, 0, 1e6, &hw->watts) == -1) return -1; break;
    case 6: if (read_disks (r, v, &hw->disks) == -1) return -1; break;
    case 7: if (read_filesystems (r, v, &hw->filesystems) == -1) return -1; break;
    case 8: if (read_nics (r, v, &hw->nics) == -1) return -1; break;
    case 9: if (read_pci (r, v, &hw->pci) == -1) return -1; break;
    }
  }
  return check_required (r, map, keys, seen, BIT(3) | BIT(4), path);
}

static int
read_os (struct reader *r, yaml_node_t *map, struct core_os *os)
{
  static const char *const keys[] =
    { "family", "id", "name", "kernel", "arch", "pv_drivers", NULL };
  const char *path = "os";
  uint64_t seen = 0;
  yaml_node_t *k, *v;
  unsigned flags;
  int e;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0:
      if (get_enum (r, v, p, core_os_family_names, 1, &e) == -1) return -1;
      os->family = e;
      break;
    case 1: if (get_string (r, v, p, &os->id) == -1) return -1; break;
    case 2: if (get_string (r, v, p, &os->name) == -1) return -1; break;
    case 3: if (get_string (r, v, p, &os->kernel) == -1) return -1; break;
    case 4: if (get_string (r, v, p, &os->arch) == -1) return -1; break;
    case 5:
      if (get_flags (r, v, p, core_pv_names, &flags) == -1) return -1;
      os->pv_drivers = flags;
      break;
    }
  }
  return 0;
}

static int
read_services (struct reader *r, yaml_node_t *list, core_service_vector *out)
{
  static const char *const keys[] = { "name", "proto", "port", NULL };
  yaml_node_t *item, *k, *v;
  size_t n;

  if (expect_list (r, list, "services") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_service s = { .port = CORE_UNSET };
    char path[64];
    uint64_t seen = 0;
    int e;

    snprintf (path, sizeof path, "services[%zu]", n);
    if (expect_mapping (r, item, path) == -1
        || core_service_vector_append (out, s) == -1)
      return -1;
    struct core_service *sp = &out->ptr[out->len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, keys, &seen, path);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, path, keys[i]);
      switch (i) {
      case 0: if (get_string (r, v, p, &sp->name) == -1) return -1; break;
      case 1:
        if (get_enum (r, v, p, core_proto_names, 0, &e) == -1) return -1;
        sp->proto = e;
        break;
      case 2: if (get_int (r, v, p, 0, 65535, &sp->port) == -1) return -1; break;
      }
    }
    if (check_required (r, item, keys, seen, BIT(1) | BIT(2), path) == -1)
      return -1;
  }
  return 0;
}

static int
read_utilization (struct reader *r, yaml_node_t *map,
                  struct core_utilization *u)
{
  static const char *const keys[] =
    { "interval_s", "cpu_pct", "mem_used_mib", "disk_iops", "disk_mbps",
      "net_mbps", NULL };
  core_double_vector *series[] =
    { NULL, &u->cpu_pct, &u->mem_used_mib, &u->disk_iops, &u->disk_mbps,
      &u->net_mbps };
  const char *path = "utilization";
  uint64_t seen = 0;
  yaml_node_t *k, *v;
  const char *first = NULL;
  size_t first_len = 0;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  u->interval_s = 300;          /* the default of docs/formats.md */
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    if (i == 0) {
      if (get_int (r, v, p, 1, 86400, &u->interval_s) == -1)
        return -1;
      continue;
    }
    if (get_series (r, v, p, i == 1 ? 100 : DBL_MAX, series[i]) == -1)
      return -1;
    /* All present series have one value per interval. */
    if (first == NULL) {
      first = keys[i];
      first_len = series[i]->len;
    }
    else if (series[i]->len != first_len)
      return fail (r, v, "%s: has %zu values but %s has %zu", p,
                   series[i]->len, first, first_len);
    if (series[i]->len == 0)
      return fail (r, v, "%s: the list is empty", p);
  }
  return 0;
}

static int
read_profile (struct reader *r, yaml_node_t *root, struct core_profile *p)
{
  static const char *const keys[] =
    { "schema", "name", "collected_at", "role", "group", "hardware", "os",
      "services", "utilization", "growth_pct", "anti_affinity", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_kind (r, root, CORE_FILE_PROFILE) == -1)
    return -1;
  FOR_PAIRS (r, root, k, v) {
    int i = key_index (r, k, keys, &seen, "");

    if (i == -1)
      return -1;
    switch (i) {
    case 0: break;                      /* checked by expect_kind */
    case 1:
      if (get_string (r, v, "name", &p->name) == -1
          || check_name (r, v, "name", p->name) == -1)
        return -1;
      break;
    case 2: if (get_string (r, v, "collected_at", &p->collected_at) == -1) return -1; break;
    case 3: if (get_string (r, v, "role", &p->role) == -1) return -1; break;
    case 4: if (get_string (r, v, "group", &p->group) == -1) return -1; break;
    case 5: if (read_hardware (r, v, &p->hardware) == -1) return -1; break;
    case 6: if (read_os (r, v, &p->os) == -1) return -1; break;
    case 7: if (read_services (r, v, &p->services) == -1) return -1; break;
    case 8: if (read_utilization (r, v, &p->utilization) == -1) return -1; break;
    case 9: if (get_double (r, v, "growth_pct", 0, 1000, &p->growth_pct) == -1) return -1; break;
    case 10: if (get_anti_affinity (r, v, "anti_affinity", &p->anti_affinity) == -1) return -1; break;
    }
  }
  return check_required (r, root, keys, seen, BIT(1) | BIT(5), "");
}

struct core_profile *
core_profile_parse (const char *name, const char *buf, size_t len)
{
  struct reader r;
  struct core_profile *p;

  if (load (&r, name, buf, len) == -1)
    return NULL;
  p = core_profile_new ();
  if (p == NULL
      || read_profile (&r, yaml_document_get_root_node (&r.doc), p) == -1
      || (p->source = core_strdup (name)) == NULL) {
    core_profile_free (p);
    p = NULL;
  }
  yaml_document_delete (&r.doc);
  return p;
}

/* Host catalog ------------------------------------------------------ */

static int
read_host_model (struct reader *r, yaml_node_t *map, const char *path,
                 struct core_host_model *m)
{
  static const char *const keys[] =
    { "model", "cores", "mhz", "memory_mib", "disk_gib", "disk_iops",
      "net_mbps", "virt", "iommu", "hypervisors", "cost", "watts", "count",
      NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;
  int e;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0:
      if (get_string (r, v, p, &m->model) == -1
          || check_name (r, v, p, m->model) == -1)
        return -1;
      break;
    case 1: if (get_int (r, v, p, 1, 65536, &m->cores) == -1) return -1; break;
    case 2: if (get_double (r, v, p, 1, 1e6, &m->mhz) == -1) return -1; break;
    case 3:
      if (get_int (r, v, p, 1, INT64_C(1) << 40, &m->memory_mib) == -1) return -1;
      break;
    case 4: if (get_double (r, v, p, 0, DBL_MAX, &m->disk_gib) == -1) return -1; break;
    case 5: if (get_double (r, v, p, 0, DBL_MAX, &m->disk_iops) == -1) return -1; break;
    case 6: if (get_double (r, v, p, 0, DBL_MAX, &m->net_mbps) == -1) return -1; break;
    case 7:
      if (get_enum (r, v, p, core_virt_names, 1, &e) == -1) return -1;
      m->virt = e;
      break;
    case 8: if (get_bool (r, v, p, &m->iommu) == -1) return -1; break;
    case 9:
      if (get_flags (r, v, p, core_hv_names, &m->hypervisors) == -1) return -1;
      if (m->hypervisors == 0)
        return fail (r, v, "%s: lists no hypervisor", p);
      break;
    case 10: if (get_double (r, v, p, 0, DBL_MAX, &m->cost) == -1) return -1; break;
    case 11: if (get_double (r, v, p, 0, 1e6, &m->watts) == -1) return -1; break;
    case 12: if (get_int (r, v, p, 0, INT64_C(1) << 31, &m->count) == -1) return -1; break;
    }
  }
  if (check_required (r, map, keys, seen,
                      BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(7) | BIT(9),
                      path) == -1)
    return -1;
  /* KVM runs only on hardware virtualization; Xen paravirtualizes
   * without it. */
  if ((m->hypervisors & CORE_HV_KVM) && m->virt == CORE_VIRT_NONE) {
    FOR_PAIRS (r, map, k, v)
      if (strcmp (scalar (k), "hypervisors") == 0)
        return fail (r, v, "%s.hypervisors: kvm needs hardware virtualization, "
                     "and virt is none", path);
  }
  return 0;
}

static int
read_hosts (struct reader *r, yaml_node_t *root, struct core_hosts *h)
{
  static const char *const keys[] = { "schema", "hosts", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v, *item;
  size_t n;

  if (expect_kind (r, root, CORE_FILE_HOSTS) == -1)
    return -1;
  FOR_PAIRS (r, root, k, v) {
    int i = key_index (r, k, keys, &seen, "");

    if (i == -1)
      return -1;
    if (i != 1)
      continue;
    if (expect_list (r, v, "hosts") == -1)
      return -1;
    if (v->data.sequence.items.top == v->data.sequence.items.start)
      return fail (r, v, "hosts: the catalog lists no host model");
    FOR_ITEMS (r, v, n, item) {
      struct core_host_model m;
      char path[64];

      snprintf (path, sizeof path, "hosts[%zu]", n);
      core_host_model_init (&m);
      if (core_host_model_vector_append (&h->models, m) == -1
          || read_host_model (r, item, path, &h->models.ptr[h->models.len - 1]) == -1)
        return -1;
      for (size_t j = 0; j + 1 < h->models.len; j++)
        if (strcmp (h->models.ptr[j].model, h->models.ptr[n].model) == 0)
          return fail (r, item, "%s: model '%s' is listed twice", path,
                       h->models.ptr[n].model);
    }
  }
  return check_required (r, root, keys, seen, BIT(1), "");
}

int
core_hosts_parse (const char *name, const char *buf, size_t len,
                  struct core_hosts *out)
{
  struct reader r;
  int ret;

  core_hosts_init (out);
  if (load (&r, name, buf, len) == -1)
    return -1;
  ret = read_hosts (&r, yaml_document_get_root_node (&r.doc), out);
  if (ret == 0 && (out->source = core_strdup (name)) == NULL)
    ret = -1;
  if (ret == -1)
    core_hosts_clear (out);
  yaml_document_delete (&r.doc);
  return ret;
}

/* Policy ------------------------------------------------------------ */

static int
read_overhead (struct reader *r, yaml_node_t *map, const char *path,
               struct core_overhead *o)
{
  static const char *const keys[] = { "cpu_pct", "cpu_mhz", "memory_mib", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0: if (get_double (r, v, p, 0, 1000, &o->cpu_pct) == -1) return -1; break;
    case 1: if (get_double (r, v, p, 0, 1e6, &o->cpu_mhz) == -1) return -1; break;
    case 2: if (get_double (r, v, p, 0, 1e9, &o->memory_mib) == -1) return -1; break;
    }
  }
  return 0;
}

/* The policy's keys, shared by the policy file and the plan's copy. */
static int
read_policy_body (struct reader *r, yaml_node_t *map, const char *path,
                  bool with_schema, struct core_policy *pol)
{
  static const char *const keys[] =
    { "schema", "percentile", "headroom_pct", "cpu_overcommit",
      "memory_overcommit", "ha_spare_hosts", "thin_disks",
      "windows_pv_drivers", "allow_passthrough", "overhead",
      "separate_redundant_roles", NULL };
  static const char *const okeys[] = { "full", "paravirt", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v, *k2, *v2;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i;

    if (!with_schema && k->type == YAML_SCALAR_NODE
        && strcmp (scalar (k), "schema") == 0)
      return fail (r, k, "%s: unknown key 'schema'", path);
    i = key_index (r, k, keys, &seen, path);
    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0: break;
    case 1: if (get_double (r, v, p, 1, 100, &pol->percentile) == -1) return -1; break;
    case 2:
      /* 100% headroom would leave nothing to place on. */
      if (get_double (r, v, p, 0, 99, &pol->headroom_pct) == -1) return -1;
      break;
    case 3: if (get_double (r, v, p, 1, 1000, &pol->cpu_overcommit) == -1) return -1; break;
    case 4: if (get_double (r, v, p, 1, 100, &pol->memory_overcommit) == -1) return -1; break;
    case 5: if (get_int (r, v, p, 0, 1000, &pol->ha_spare_hosts) == -1) return -1; break;
    case 6: if (get_bool (r, v, p, &pol->thin_disks) == -1) return -1; break;
    case 7: if (get_bool (r, v, p, &pol->windows_pv_drivers) == -1) return -1; break;
    case 8: if (get_bool (r, v, p, &pol->allow_passthrough) == -1) return -1; break;
    case 10: if (get_bool (r, v, p, &pol->separate_redundant_roles) == -1) return -1; break;
    case 9: {
      uint64_t oseen = 0;

      if (expect_mapping (r, v, p) == -1)
        return -1;
      FOR_PAIRS (r, v, k2, v2) {
        char p2[256];
        int j = key_index (r, k2, okeys, &oseen, p);

        if (j == -1)
          return -1;
        subpath (p2, sizeof p2, p, okeys[j]);
        if (read_overhead (r, v2, p2, j == 0 ? &pol->overhead_full
                           : &pol->overhead_paravirt) == -1)
          return -1;
      }
      break;
    }
    }
  }
  return 0;
}

int
core_policy_parse (const char *name, const char *buf, size_t len,
                   struct core_policy *out)
{
  struct reader r;
  yaml_node_t *root;
  int ret = -1;

  core_policy_defaults (out);
  if (load (&r, name, buf, len) == -1)
    return -1;
  root = yaml_document_get_root_node (&r.doc);
  if (expect_kind (&r, root, CORE_FILE_POLICY) == 0)
    ret = read_policy_body (&r, root, "", true, out);
  yaml_document_delete (&r.doc);
  return ret;
}

/* Plan -------------------------------------------------------------- */

static int
read_summary (struct reader *r, yaml_node_t *map, struct core_plan *plan)
{
  static const char *const keys[] =
    { "workloads", "placed", "unplaced", "hosts_used", "lower_bound", "cost",
      "watts_before", "watts_after", NULL };
  const char *path = "summary";
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);
    int ret = 0;

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0: ret = get_int (r, v, p, 0, INT64_MAX, &plan->summary.workloads); break;
    case 1: ret = get_int (r, v, p, 0, INT64_MAX, &plan->summary.placed); break;
    case 2: ret = get_int (r, v, p, 0, INT64_MAX, &plan->summary.unplaced); break;
    case 3: ret = get_int (r, v, p, 0, INT64_MAX, &plan->summary.hosts_used); break;
    case 4: ret = get_int_or_null (r, v, p, 0, INT64_MAX, &plan->summary.lower_bound); break;
    case 5: ret = get_double_or_null (r, v, p, 0, DBL_MAX, &plan->summary.cost); break;
    case 6: ret = get_double_or_null (r, v, p, 0, DBL_MAX, &plan->summary.watts_before); break;
    case 7: ret = get_double_or_null (r, v, p, 0, DBL_MAX, &plan->summary.watts_after); break;
    }
    if (ret == -1)
      return -1;
  }
  return check_required (r, map, keys, seen,
                         BIT(0) | BIT(1) | BIT(2) | BIT(3), path);
}

static int
read_peak (struct reader *r, yaml_node_t *map, const char *path,
           struct core_peak *peak)
{
  static const char *const keys[] =
    { "cpu_pct", "memory_pct", "disk_pct", "iops_pct", "net_pct", NULL };
  double *fields[] = { &peak->cpu_pct, &peak->memory_pct, &peak->disk_pct,
                       &peak->iops_pct, &peak->net_pct };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    /* Above 100 is allowed: a hand-edited plan may overload a host, and
     * `plan --check` is the place that says so. */
    if (get_double (r, v, p, 0, DBL_MAX, fields[i]) == -1)
      return -1;
  }
  return 0;
}

static int
read_plan_series (struct reader *r, yaml_node_t *map, const char *path,
                  struct core_plan_series *series)
{
  static const char *const keys[] = { "interval_s", "cpu_mhz", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    if (i == 0) {
      if (get_int (r, v, p, 1, 86400, &series->interval_s) == -1)
        return -1;
    }
    else {
      if (get_series (r, v, p, DBL_MAX, &series->cpu_mhz) == -1)
        return -1;
      if (series->cpu_mhz.len == 0)
        return fail (r, v, "%s: expected at least one value", p);
    }
  }
  return check_required (r, map, keys, seen, BIT(0) | BIT(1), path);
}

static int
read_plan_hosts (struct reader *r, yaml_node_t *list, struct core_plan *plan)
{
  static const char *const keys[] =
    { "name", "model", "hypervisor", "spare", "workloads", "peak", "series",
      NULL };
  yaml_node_t *item, *k, *v;
  size_t n;

  if (expect_list (r, list, "hosts") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_plan_host h = { 0 };
    char path[64];
    uint64_t seen = 0;
    int e;

    snprintf (path, sizeof path, "hosts[%zu]", n);
    if (expect_mapping (r, item, path) == -1
        || core_plan_host_vector_append (&plan->hosts, h) == -1)
      return -1;
    struct core_plan_host *hp = &plan->hosts.ptr[plan->hosts.len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, keys, &seen, path);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, path, keys[i]);
      switch (i) {
      case 0:
        if (get_string (r, v, p, &hp->name) == -1
            || check_name (r, v, p, hp->name) == -1)
          return -1;
        break;
      case 1: if (get_string (r, v, p, &hp->model) == -1) return -1; break;
      case 2:
        if (get_enum (r, v, p, core_hv_names, 0, &e) == -1) return -1;
        hp->hypervisor = 1u << e;
        break;
      case 3: if (get_bool (r, v, p, &hp->spare) == -1) return -1; break;
      case 4: if (get_strings (r, v, p, &hp->workloads) == -1) return -1; break;
      case 5: if (read_peak (r, v, p, &hp->peak) == -1) return -1; break;
      case 6: if (read_plan_series (r, v, p, &hp->series) == -1) return -1; break;
      }
    }
    if (check_required (r, item, keys, seen, BIT(0) | BIT(1) | BIT(2), path) == -1)
      return -1;
  }
  return 0;
}

static int
read_demand (struct reader *r, yaml_node_t *map, const char *path,
             struct core_demand *d)
{
  static const char *const keys[] =
    { "cpu_mhz", "memory_mib", "disk_gib", "iops", "net_mbps", NULL };
  double *fields[] = { &d->cpu_mhz, &d->memory_mib, &d->disk_gib, &d->iops,
                       &d->net_mbps };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    if (get_double (r, v, p, 0, DBL_MAX, fields[i]) == -1)
      return -1;
  }
  return 0;
}

static int
read_plan_server (struct reader *r, yaml_node_t *map, const char *path,
                  struct core_plan_server *s)
{
  static const char *const keys[] =
    { "machine", "cores", "mhz", "memory_mib", "virt", "firmware", "disks",
      "disk_gib", "used_gib", "os", "family", "role", "group", "services",
      "watts", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  s->given = true;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);
    int e, ret = 0;

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0: ret = get_string (r, v, p, &s->machine); break;
    case 1: ret = get_int (r, v, p, 1, 65536, &s->cores); break;
    case 2: ret = get_double (r, v, p, 1, 1e6, &s->mhz); break;
    case 3: ret = get_int (r, v, p, 1, INT64_C(1) << 40, &s->memory_mib); break;
    case 4:
      ret = get_enum (r, v, p, core_virt_names, 1, &e);
      s->virt = ret == 0 ? e : CORE_VIRT_UNSET;
      break;
    case 5:
      ret = get_enum (r, v, p, core_firmware_names, 1, &e);
      s->firmware = ret == 0 ? e : CORE_FIRMWARE_UNSET;
      break;
    case 6: ret = get_strings (r, v, p, &s->disks); break;
    case 7: ret = get_double (r, v, p, 0, DBL_MAX, &s->disk_gib); break;
    case 8: ret = get_double (r, v, p, 0, DBL_MAX, &s->used_gib); break;
    case 9: ret = get_string (r, v, p, &s->os); break;
    case 10:
      ret = get_enum (r, v, p, core_os_family_names, 1, &e);
      s->family = ret == 0 ? e : CORE_OS_UNSET;
      break;
    case 11: ret = get_string (r, v, p, &s->role); break;
    case 12: ret = get_string (r, v, p, &s->group); break;
    case 13: ret = get_strings (r, v, p, &s->services); break;
    case 14: ret = get_double (r, v, p, 0, 1e6, &s->watts); break;
    }
    if (ret == -1)
      return -1;
  }
  return 0;
}

static int
read_plan_workloads (struct reader *r, yaml_node_t *list,
                     struct core_plan *plan)
{
  static const char *const keys[] =
    { "name", "host", "mode", "vcpus", "memory_mib", "demand", "passthrough",
      "reasons", "server", NULL };
  yaml_node_t *item, *k, *v;
  size_t n;

  if (expect_list (r, list, "workloads") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_plan_workload w = { 0 };
    char path[64];
    uint64_t seen = 0;
    int e;

    snprintf (path, sizeof path, "workloads[%zu]", n);
    if (expect_mapping (r, item, path) == -1
        || core_plan_workload_vector_append (&plan->workloads, w) == -1)
      return -1;
    struct core_plan_workload *wp = &plan->workloads.ptr[plan->workloads.len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, keys, &seen, path);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, path, keys[i]);
      switch (i) {
      case 0:
        if (get_string (r, v, p, &wp->name) == -1
            || check_name (r, v, p, wp->name) == -1)
          return -1;
        break;
      case 1: if (get_string_or_null (r, v, p, &wp->host) == -1) return -1; break;
      case 2:
        if (get_enum (r, v, p, core_mode_names, 0, &e) == -1) return -1;
        wp->mode = e;
        break;
      case 3: if (get_int (r, v, p, 0, 65536, &wp->vcpus) == -1) return -1; break;
      case 4:
        if (get_int (r, v, p, 0, INT64_C(1) << 40, &wp->memory_mib) == -1) return -1;
        break;
      case 5: if (read_demand (r, v, p, &wp->demand) == -1) return -1; break;
      case 6: if (get_strings (r, v, p, &wp->passthrough) == -1) return -1; break;
      case 7: if (get_strings (r, v, p, &wp->reasons) == -1) return -1; break;
      case 8:
        core_plan_server_init (&wp->server);
        if (read_plan_server (r, v, p, &wp->server) == -1) return -1;
        break;
      }
    }
    if (check_required (r, item, keys, seen, BIT(0) | BIT(2), path) == -1)
      return -1;
  }
  return 0;
}

static int
read_unplaced (struct reader *r, yaml_node_t *list, struct core_plan *plan)
{
  static const char *const keys[] = { "name", "reason", NULL };
  yaml_node_t *item, *k, *v;
  size_t n;

  if (expect_list (r, list, "unplaced") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_plan_unplaced u = { 0 };
    char path[64];
    uint64_t seen = 0;

    snprintf (path, sizeof path, "unplaced[%zu]", n);
    if (expect_mapping (r, item, path) == -1
        || core_plan_unplaced_vector_append (&plan->unplaced, u) == -1)
      return -1;
    struct core_plan_unplaced *up = &plan->unplaced.ptr[plan->unplaced.len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, keys, &seen, path);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, path, keys[i]);
      if (get_string (r, v, p, i == 0 ? &up->name : &up->reason) == -1)
        return -1;
    }
    if (check_required (r, item, keys, seen, BIT(0) | BIT(1), path) == -1)
      return -1;
  }
  return 0;
}

/* What a reader can check without the planner: names are unique and every
 * reference resolves.  Plans can hold 100,000 workloads, so look names up
 * in sorted indexes rather than by scanning. */
static int
cmp_name_ptr (const void *a, const void *b)
{
  return strcmp (**(char *const *const *) a, **(char *const *const *) b);
}

/* Sorted pointers to the NAME fields of N structs of SIZE bytes at BASE. */
static char ***
name_index (void *base, size_t n, size_t size)
{
  char ***idx;
  size_t bytes;

  if (!core_mul_size (n ? n : 1, sizeof *idx, &bytes) || !(idx = malloc (bytes))) {
    core_error ("out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    idx[i] = (char **) ((char *) base + i * size);
  qsort (idx, n, sizeof *idx, cmp_name_ptr);
  return idx;
}

static char **
find_name (char ***idx, size_t n, const char *name)
{
  const char *key = name;
  const char *const *keyp = &key;
  char ***hit = bsearch (&keyp, idx, n, sizeof *idx, cmp_name_ptr);

  return hit ? *hit : NULL;
}

/* The node of item I of the top-level list KEY, for pointing at it in
 * an error; the root when there is none. */
static yaml_node_t *
top_item (struct reader *r, yaml_node_t *root, const char *key, size_t i)
{
  yaml_node_t *k, *v;

  FOR_PAIRS (r, root, k, v)
    if (k->type == YAML_SCALAR_NODE && strcmp (scalar (k), key) == 0
        && v->type == YAML_SEQUENCE_NODE
        && i < (size_t) (v->data.sequence.items.top - v->data.sequence.items.start))
      return node_at (r, v->data.sequence.items.start[i]);
  return root;
}

static int
check_plan_refs (struct reader *r, yaml_node_t *root, struct core_plan *plan)
{
  /* name is the first member of both structs. */
  CLEANUP_FREE char ***hosts = name_index (plan->hosts.ptr, plan->hosts.len,
                                           sizeof *plan->hosts.ptr);
  CLEANUP_FREE char ***works = name_index (plan->workloads.ptr,
                                           plan->workloads.len,
                                           sizeof *plan->workloads.ptr);

  if (hosts == NULL || works == NULL)
    return -1;
  /* The later of two equal names is the one to point at. */
  for (size_t i = 1; i < plan->hosts.len; i++)
    if (strcmp (*hosts[i - 1], *hosts[i]) == 0) {
      size_t a = (struct core_plan_host *) hosts[i - 1] - plan->hosts.ptr;
      size_t b = (struct core_plan_host *) hosts[i] - plan->hosts.ptr;
      size_t at = a > b ? a : b;
      return fail (r, top_item (r, root, "hosts", at),
                   "hosts[%zu]: host name '%s' is used twice", at, *hosts[i]);
    }
  for (size_t i = 1; i < plan->workloads.len; i++)
    if (strcmp (*works[i - 1], *works[i]) == 0) {
      size_t a = (struct core_plan_workload *) works[i - 1] - plan->workloads.ptr;
      size_t b = (struct core_plan_workload *) works[i] - plan->workloads.ptr;
      size_t at = a > b ? a : b;
      return fail (r, top_item (r, root, "workloads", at),
                   "workloads[%zu]: workload name '%s' is used twice", at,
                   *works[i]);
    }
  for (size_t i = 0; i < plan->hosts.len; i++) {
    struct core_plan_host *h = &plan->hosts.ptr[i];

    for (size_t j = 0; j < h->workloads.len; j++) {
      char **w = find_name (works, plan->workloads.len, h->workloads.ptr[j]);
      struct core_plan_workload *wp = (struct core_plan_workload *) w;

      if (wp == NULL || wp->host == NULL || strcmp (wp->host, h->name) != 0)
        return fail (r, top_item (r, root, "hosts", i),
                     "hosts[%zu]: workload '%s' is not a workload "
                     "placed on host '%s'", i, h->workloads.ptr[j], h->name);
    }
  }
  for (size_t i = 0; i < plan->workloads.len; i++) {
    struct core_plan_workload *w = &plan->workloads.ptr[i];

    if (w->host && find_name (hosts, plan->hosts.len, w->host) == NULL)
      return fail (r, top_item (r, root, "workloads", i),
                   "workloads[%zu]: host '%s' is not in hosts", i, w->host);
  }
  return 0;
}

/* The summary's counts are those of the lists, and every placed workload
 * is listed by its host exactly once. */
static int
check_plan_counts (struct reader *r, yaml_node_t *root, struct core_plan *plan)
{
  int64_t placed = 0, listed = 0;
  yaml_node_t *k, *v, *summary = root;

  FOR_PAIRS (r, root, k, v)
    if (strcmp (scalar (k), "summary") == 0)
      summary = v;
  for (size_t i = 0; i < plan->workloads.len; i++)
    placed += plan->workloads.ptr[i].host != NULL;
  for (size_t i = 0; i < plan->hosts.len; i++)
    listed += plan->hosts.ptr[i].workloads.len;
  if (plan->summary.workloads != (int64_t) plan->workloads.len)
    return fail (r, summary, "summary.workloads: %lld, but the plan lists %zu "
                 "workloads", (long long) plan->summary.workloads,
                 plan->workloads.len);
  if (plan->summary.placed != placed)
    return fail (r, summary, "summary.placed: %lld, but %lld workloads have a "
                 "host", (long long) plan->summary.placed, (long long) placed);
  if (plan->summary.unplaced != (int64_t) plan->unplaced.len)
    return fail (r, summary, "summary.unplaced: %lld, but the plan lists %zu "
                 "unplaced workloads", (long long) plan->summary.unplaced,
                 plan->unplaced.len);
  if (plan->summary.hosts_used != (int64_t) plan->hosts.len)
    return fail (r, summary, "summary.hosts_used: %lld, but the plan lists %zu "
                 "hosts", (long long) plan->summary.hosts_used, plan->hosts.len);
  /* Each host's list names only its own workloads (check_plan_refs), so
   * equal totals mean each placed workload is listed once. */
  if (listed != placed)
    return fail (r, summary, "hosts list %lld workloads, but %lld workloads "
                 "have a host", (long long) listed, (long long) placed);
  for (size_t i = 0; i < plan->unplaced.len; i++) {
    bool found = false;
    for (size_t j = 0; j < plan->workloads.len && !found; j++)
      found = strcmp (plan->workloads.ptr[j].name, plan->unplaced.ptr[i].name) == 0
        && plan->workloads.ptr[j].host == NULL;
    if (!found)
      return fail (r, top_item (r, root, "unplaced", i), "unplaced[%zu]: '%s' "
                   "is not a workload without a host", i,
                   plan->unplaced.ptr[i].name);
  }
  return 0;
}

/* The catalog entries of the models the hosts use, as in a host catalog;
 * when given, every host's model must be among them. */
static int
read_plan_models (struct reader *r, yaml_node_t *list, struct core_plan *plan)
{
  yaml_node_t *item;
  size_t n;

  if (expect_list (r, list, "models") == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct core_host_model m;
    char path[64];

    snprintf (path, sizeof path, "models[%zu]", n);
    core_host_model_init (&m);
    if (core_host_model_vector_append (&plan->models, m) == -1
        || read_host_model (r, item, path,
                            &plan->models.ptr[plan->models.len - 1]) == -1)
      return -1;
    for (size_t j = 0; j + 1 < plan->models.len; j++)
      if (strcmp (plan->models.ptr[j].model, plan->models.ptr[n].model) == 0)
        return fail (r, item, "%s: model '%s' is listed twice", path,
                     plan->models.ptr[n].model);
  }
  return 0;
}

static int
check_plan_models (struct reader *r, yaml_node_t *root, struct core_plan *plan)
{
  if (plan->models.len == 0)
    return 0;
  for (size_t i = 0; i < plan->hosts.len; i++) {
    bool found = false;

    for (size_t j = 0; j < plan->models.len && !found; j++)
      found = strcmp (plan->hosts.ptr[i].model, plan->models.ptr[j].model) == 0;
    if (!found)
      return fail (r, top_item (r, root, "hosts", i),
                   "hosts[%zu]: model '%s' is not in models", i,
                   plan->hosts.ptr[i].model);
  }
  return 0;
}

/* Sizing and growth ------------------------------------------------ */

static int
read_dim (struct reader *r, yaml_node_t *map, const char *path, double max,
          struct core_size_dim *d)
{
  static const char *const keys[] = { "need", "spec", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    if (get_double (r, v, p, 0, max, i == 0 ? &d->need : &d->spec) == -1)
      return -1;
  }
  return check_required (r, map, keys, seen, BIT(0) | BIT(1), path);
}

/* At most 20 years of months. */
#define MAX_MONTHS (12 * 20)

static int
read_runs_out (struct reader *r, yaml_node_t *n, const char *path,
               struct core_runs_out *out)
{
  static const char *const keys[] = { "month", "resource", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  out->month = CORE_UNSET;
  if (is_null (n))
    return 0;
  if (expect_mapping (r, n, path) == -1)
    return -1;
  FOR_PAIRS (r, n, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path), e;

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    if (i == 0) {
      if (get_int (r, v, p, 0, MAX_MONTHS, &out->month) == -1)
        return -1;
    }
    else {
      if (get_enum (r, v, p, core_resource_names, 0, &e) == -1)
        return -1;
      out->resource = e;
    }
  }
  return check_required (r, n, keys, seen, BIT(0) | BIT(1), path);
}

/* "HH:MM-HH:MM", from 00:00 to 24:00, the end after the start. */
static int
check_interval (struct reader *r, const yaml_node_t *n, const char *path,
                const char *s)
{
  int h1, m1, h2, m2, len = 0;

  if (sscanf (s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &len) != 4
      || len != 11 || (size_t) len != strlen (s) || s[2] != ':' || s[8] != ':'
      || h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24
      || m2 < 0 || m2 > 59 || (h2 == 24 && m2 != 0)
      || h2 * 60 + m2 <= h1 * 60 + m1)
    return fail (r, n, "%s: expected HH:MM-HH:MM within the day, got '%.64s'",
                 path, s);
  return 0;
}

static int
read_binding (struct reader *r, yaml_node_t *map, const char *path,
              struct core_plan_sizing *s)
{
  static const char *const keys[] = { "resource", "interval", "used_pct", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path), e;

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0:
      if (get_enum (r, v, p, core_resource_names, 0, &e) == -1)
        return -1;
      s->binding = e;
      break;
    case 1:
      if (get_string_or_null (r, v, p, &s->interval) == -1
          || (s->interval && check_interval (r, v, p, s->interval) == -1))
        return -1;
      break;
    case 2:
      if (get_double (r, v, p, 0, DBL_MAX, &s->binding_pct) == -1)
        return -1;
      break;
    }
  }
  return check_required (r, map, keys, seen, BIT(0) | BIT(1) | BIT(2), path);
}

static int
read_features (struct reader *r, yaml_node_t *list, const char *path,
               struct core_plan_sizing *s)
{
  static const char *const keys[] = { "feature", "workloads", NULL };
  static const char *const names[] = { "virt", "iommu", NULL };
  yaml_node_t *item, *k, *v;
  unsigned have = 0;
  size_t n;

  if (expect_list (r, list, path) == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    char ipath[256];
    uint64_t seen = 0;
    int feature = -1;
    yaml_node_t *wl = NULL;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, n);
    if (expect_mapping (r, item, ipath) == -1)
      return -1;
    FOR_PAIRS (r, item, k, v) {
      char p[300];
      int i = key_index (r, k, keys, &seen, ipath);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, ipath, keys[i]);
      if (i == 0) {
        if (get_enum (r, v, p, names, 0, &feature) == -1)
          return -1;
      }
      else
        wl = v;
    }
    if (check_required (r, item, keys, seen, BIT(0) | BIT(1), ipath) == -1)
      return -1;
    if (have & (1u << feature))
      return fail (r, item, "%s: feature '%s' is listed twice", ipath,
                   names[feature]);
    have |= 1u << feature;
    {
      char p[300];
      core_string_vector *out = feature == 0 ? &s->virt : &s->iommu;
      subpath (p, sizeof p, ipath, "workloads");
      if (get_strings (r, wl, p, out) == -1)
        return -1;
      if (out->len == 0)
        return fail (r, wl, "%s: the list is empty", p);
    }
  }
  return 0;
}

static int
read_sizing (struct reader *r, yaml_node_t *map, struct core_plan_sizing *s)
{
  static const char *const keys[] =
    { "hosts", "spare_hosts", "core_mhz", "cores", "memory_gib", "disk_gb",
      "disk_iops", "net_mbps", "nic_ports", "port_mbps", "binding", "features",
      "runs_out", "reasons", NULL };
  const char *path = "sizing";
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  s->given = true;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);
    int ret = 0;

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0: ret = get_int (r, v, p, 1, 1000000, &s->hosts); break;
    case 1: ret = get_int (r, v, p, 0, 1000, &s->spare_hosts); break;
    case 2: ret = get_double (r, v, p, 1, 1e6, &s->core_mhz); break;
    case 3: ret = read_dim (r, v, p, 65536, &s->cores); break;
    case 4: ret = read_dim (r, v, p, DBL_MAX, &s->memory_gib); break;
    case 5: ret = read_dim (r, v, p, DBL_MAX, &s->disk_gb); break;
    case 6: ret = read_dim (r, v, p, DBL_MAX, &s->disk_iops); break;
    case 7: ret = read_dim (r, v, p, DBL_MAX, &s->net_mbps); break;
    case 8: ret = read_dim (r, v, p, 65536, &s->nic_ports); break;
    case 9: ret = get_double (r, v, p, 1, DBL_MAX, &s->port_mbps); break;
    case 10: ret = read_binding (r, v, p, s); break;
    case 11: ret = read_features (r, v, p, s); break;
    case 12:
      s->has_runs_out = true;
      ret = read_runs_out (r, v, p, &s->runs_out);
      break;
    case 13: ret = get_strings (r, v, p, &s->reasons); break;
    }
    if (ret == -1)
      return -1;
  }
  return check_required (r, map, keys, seen, BIT(12) - 1, path);
}

static int
read_growth (struct reader *r, yaml_node_t *map, struct core_plan_growth *g)
{
  static const char *const keys[] = { "pct", "years", "hosts", "reasons", NULL };
  static const char *const hkeys[] = { "host", "runs_out", "peak_pct", NULL };
  const char *path = "growth";
  uint64_t seen = 0;
  yaml_node_t *k, *v, *hosts = NULL, *item;
  size_t n;

  if (expect_mapping (r, map, path) == -1)
    return -1;
  g->given = true;
  FOR_PAIRS (r, map, k, v) {
    char p[256];
    int i = key_index (r, k, keys, &seen, path);
    int ret = 0;

    if (i == -1)
      return -1;
    subpath (p, sizeof p, path, keys[i]);
    switch (i) {
    case 0: ret = get_double (r, v, p, 0, 1000, &g->pct); break;
    case 1: ret = get_int (r, v, p, 1, 20, &g->years); break;
    case 2: ret = expect_list (r, v, p); hosts = v; break;
    case 3: ret = get_strings (r, v, p, &g->reasons); break;
    }
    if (ret == -1)
      return -1;
  }
  if (check_required (r, map, keys, seen, BIT(0) | BIT(1) | BIT(2), path) == -1)
    return -1;
  /* The hosts last: their curves' length depends on years. */
  FOR_ITEMS (r, hosts, n, item) {
    struct core_plan_growth_host h = { .runs_out.month = CORE_UNSET };
    char ipath[64];
    uint64_t hseen = 0;

    snprintf (ipath, sizeof ipath, "growth.hosts[%zu]", n);
    if (expect_mapping (r, item, ipath) == -1
        || core_plan_growth_host_vector_append (&g->hosts, h) == -1)
      return -1;
    struct core_plan_growth_host *hp = &g->hosts.ptr[g->hosts.len - 1];
    FOR_PAIRS (r, item, k, v) {
      char p[256];
      int i = key_index (r, k, hkeys, &hseen, ipath);

      if (i == -1)
        return -1;
      subpath (p, sizeof p, ipath, hkeys[i]);
      switch (i) {
      case 0: if (get_string (r, v, p, &hp->host) == -1) return -1; break;
      case 1:
        if (read_runs_out (r, v, p, &hp->runs_out) == -1)
          return -1;
        if (hp->runs_out.month > 12 * g->years)
          return fail (r, v, "%s: month %lld is after the %lld months of "
                       "growth", p, (long long) hp->runs_out.month,
                       (long long) (12 * g->years));
        break;
      case 2:
        if (get_series (r, v, p, DBL_MAX, &hp->peak_pct) == -1)
          return -1;
        if (hp->peak_pct.len != (size_t) (12 * g->years + 1))
          return fail (r, v, "%s: expected %lld values (months 0 to %lld), "
                       "got %zu", p, (long long) (12 * g->years + 1),
                       (long long) (12 * g->years), hp->peak_pct.len);
        break;
      }
    }
    if (check_required (r, item, hkeys, hseen, BIT(0) | BIT(1) | BIT(2), ipath) == -1)
      return -1;
  }
  return 0;
}

/* The value node of KEY in mapping MAP, or MAP itself. */
static yaml_node_t *
value_of (struct reader *r, yaml_node_t *map, const char *key)
{
  yaml_node_t *k, *v;

  if (map->type != YAML_MAPPING_NODE)
    return map;
  FOR_PAIRS (r, map, k, v)
    if (k->type == YAML_SCALAR_NODE && strcmp (scalar (k), key) == 0)
      return v;
  return map;
}

/* Names in sizing and growth refer to the plan's workloads and hosts. */
static int
check_sizing_refs (struct reader *r, yaml_node_t *root, struct core_plan *plan)
{
  const core_string_vector *lists[2] = { &plan->sizing.virt, &plan->sizing.iommu };

  for (int f = 0; f < 2 && plan->sizing.given; f++)
    for (size_t i = 0; i < lists[f]->len; i++) {
      bool found = false;
      for (size_t j = 0; j < plan->workloads.len && !found; j++)
        found = strcmp (plan->workloads.ptr[j].name, lists[f]->ptr[i]) == 0;
      if (!found)
        return fail (r, value_of (r, value_of (r, root, "sizing"), "features"),
                     "sizing.features: '%s' is not a workload of the plan",
                     lists[f]->ptr[i]);
    }
  for (size_t i = 0; plan->growth.given && i < plan->growth.hosts.len; i++) {
    const char *h = plan->growth.hosts.ptr[i].host;
    bool found = false;
    for (size_t j = 0; j < plan->hosts.len && !found; j++)
      found = strcmp (plan->hosts.ptr[j].name, h) == 0;
    for (size_t j = 0; j < i && found; j++)
      if (strcmp (plan->growth.hosts.ptr[j].host, h) == 0)
        return fail (r, value_of (r, value_of (r, root, "growth"), "hosts"),
                     "growth.hosts[%zu]: host '%s' is listed twice", i, h);
    if (!found)
      return fail (r, value_of (r, value_of (r, root, "growth"), "hosts"),
                   "growth.hosts[%zu]: host '%s' is not in hosts", i, h);
  }
  return 0;
}

static int
read_plan (struct reader *r, yaml_node_t *root, struct core_plan *plan)
{
  static const char *const keys[] =
    { "schema", "summary", "policy", "hosts", "workloads", "unplaced",
      "models", "sizing", "growth", NULL };
  uint64_t seen = 0;
  yaml_node_t *k, *v;

  if (expect_kind (r, root, CORE_FILE_PLAN) == -1)
    return -1;
  /* A plan that does not say it kept redundant roles apart was made
   * before the planner did: checking it against that rule would fail
   * what was valid when it was written. */
  plan->policy.separate_redundant_roles = false;
  FOR_PAIRS (r, root, k, v) {
    int i = key_index (r, k, keys, &seen, "");
    int ret = 0;

    if (i == -1)
      return -1;
    switch (i) {
    case 0: break;
    case 1: ret = read_summary (r, v, plan); break;
    case 2: ret = read_policy_body (r, v, "policy", false, &plan->policy); break;
    case 3: ret = read_plan_hosts (r, v, plan); break;
    case 4: ret = read_plan_workloads (r, v, plan); break;
    case 5: ret = read_unplaced (r, v, plan); break;
    case 6: ret = read_plan_models (r, v, plan); break;
    case 7: ret = read_sizing (r, v, &plan->sizing); break;
    case 8: ret = read_growth (r, v, &plan->growth); break;
    }
    if (ret == -1)
      return -1;
  }
  if (check_required (r, root, keys, seen, BIT(1) | BIT(2) | BIT(3) | BIT(4),
                      "") == -1)
    return -1;
  if (check_plan_refs (r, root, plan) == -1
      || check_plan_models (r, root, plan) == -1
      || check_sizing_refs (r, root, plan) == -1)
    return -1;
  return check_plan_counts (r, root, plan);
}

int
core_plan_parse (const char *name, const char *buf, size_t len,
                 struct core_plan *out)
{
  struct reader r;
  int ret;

  core_plan_init (out);
  if (load (&r, name, buf, len) == -1)
    return -1;
  ret = read_plan (&r, yaml_document_get_root_node (&r.doc), out);
  if (ret == 0 && (out->source = core_strdup (name)) == NULL)
    ret = -1;
  if (ret == -1)
    core_plan_clear (out);
  yaml_document_delete (&r.doc);
  return ret;
}

/* Files ------------------------------------------------------------- */

/* The whole file, or an error once it holds more than MAX bytes. */
static char *
read_file_max (const char *path, size_t max, size_t *len)
{
  CLEANUP_FCLOSE FILE *fp = NULL;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  bool is_stdin = strcmp (path, "-") == 0;
  struct stat st;

  if (is_stdin)
    fp = fdopen (dup (0), "r");
  else
    fp = fopen (path, "r");
  if (fp == NULL) {
    core_error_errno ("%s", path);
    return NULL;
  }
  if (fstat (fileno (fp), &st) == 0 && S_ISDIR (st.st_mode)) {
    core_error ("%s: is a folder, not a file", path);
    return NULL;
  }
  for (;;) {
    size_t got;

    if (n + 1 >= cap) {
      size_t newcap;
      char *p;

      if (!core_mul_size (cap ? cap : 32768, 2, &newcap)) {
        free (buf);
        core_error ("%s: file too large", path);
        return NULL;
      }
      /* Room for one byte past MAX, to tell "MAX" from "more". */
      if (max < SIZE_MAX - 2 && newcap > max + 2)
        newcap = max + 2;
      p = realloc (buf, newcap);
      if (p == NULL) {
        free (buf);
        core_error ("%s: out of memory", path);
        return NULL;
      }
      buf = p;
      cap = newcap;
    }
    got = fread (buf + n, 1, cap - n - 1, fp);
    n += got;
    if (n > max) {
      free (buf);
      core_error ("%s: larger than %zu MiB, the most a p2vkit file may hold",
                  path, max >> 20);
      return NULL;
    }
    if (got == 0) {
      if (ferror (fp)) {
        free (buf);
        core_error_errno ("%s: read error", path);
        return NULL;
      }
      break;
    }
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

char *
core_read_file (const char *path, size_t *len)
{
  return read_file_max (path, SIZE_MAX, len);
}

char *
core_read_input (const char *path, size_t *len)
{
  return read_file_max (path, CORE_INPUT_MAX, len);
}

struct core_profile *
core_profile_read (const char *path)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  buf = core_read_input (path, &len);
  return buf ? core_profile_parse (path, buf, len) : NULL;
}

int
core_hosts_read (const char *path, struct core_hosts *out)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  core_hosts_init (out);
  buf = core_read_input (path, &len);
  return buf ? core_hosts_parse (path, buf, len, out) : -1;
}

int
core_policy_read (const char *path, struct core_policy *out)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  core_policy_defaults (out);
  buf = core_read_input (path, &len);
  return buf ? core_policy_parse (path, buf, len, out) : -1;
}

int
core_plan_read (const char *path, struct core_plan *out)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  core_plan_init (out);
  buf = core_read_input (path, &len);
  return buf ? core_plan_parse (path, buf, len, out) : -1;
}
