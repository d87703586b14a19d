/* Loading a YAML document for the readers, bounded before it is parsed
 * (size, nesting, alias expansion), and the top-level schema key; reading
 * input files whole.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core.h"

#define fail core_yaml_fail
#define type_name core_yaml_type_name
#define is_null core_yaml_is_null
#define FOR_PAIRS CORE_FOR_PAIRS

static const char *
scalar (const yaml_node_t *n)
{
  return (const char *) n->data.scalar.value;
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

int
core_yaml_load (struct core_reader *r, const char *name, const char *buf, size_t len)
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
  ok = yaml_parser_load (&parser, r->doc);
  if (!ok) {
    syntax_error (name, &parser);
    yaml_parser_delete (&parser);
    return -1;
  }
  if (yaml_document_get_root_node (r->doc) == NULL) {
    yaml_document_delete (r->doc);
    yaml_parser_delete (&parser);
    core_error ("%s: empty file", name);
    return -1;
  }
  /* One document per file. */
  ok = yaml_parser_load (&parser, &extra);
  if (ok && yaml_document_get_root_node (&extra) != NULL) {
    yaml_mark_t m = extra.start_mark;
    yaml_document_delete (&extra);
    yaml_document_delete (r->doc);
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
    yaml_document_delete (r->doc);
    yaml_parser_delete (&parser);
    return -1;
  }
  yaml_parser_delete (&parser);
  return 0;
}

static const char *const schema_names[] = {
  CORE_SCHEMA_PROFILE, CORE_SCHEMA_HOSTS, CORE_SCHEMA_POLICY, CORE_SCHEMA_PLAN,
  CORE_SCHEMA_SOURCES, CORE_SCHEMA_JOURNAL, NULL
};
_Static_assert (sizeof schema_names / sizeof schema_names[0]
                == CORE_FILE_JOURNAL + 2, "a schema name per file kind");

/* Check the root is a mapping whose "schema" key names a known schema;
 * return its kind. */
static int
root_kind (struct core_reader *r, yaml_node_t *root, enum core_file_kind *kind)
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

int
core_yaml_expect_kind (struct core_reader *r, yaml_node_t *root, enum core_file_kind want)
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
  yaml_document_t doc;
  struct core_reader r = { .doc = &doc };
  int ret;

  if (core_yaml_load (&r, name, buf, len) == -1)
    return -1;
  ret = root_kind (&r, yaml_document_get_root_node (r.doc), out);
  yaml_document_delete (r.doc);
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

