/* The sources file (docs/formats.md, "Sources"): where each workload of
 * a plan is migrated from.  Read against its field table by the walker
 * of schema.c, like every other format; the checks across fields run
 * after the walk.
 */
#include <stddef.h>
#include <string.h>
#include <yaml.h>

#include "core.h"

#define fail core_yaml_fail
#define subpath core_yaml_subpath
#define value_of core_yaml_value_of

#define FIELD(st, m, t, ...) \
  { .key = #m, .type = CORE_FIELD_##t, .offset = offsetof (st, m), __VA_ARGS__ }

/* A word that ssh would take for an option, or that holds a space or a
 * control character, never reaches its command line. */
static bool
plain_word (const char *s)
{
  if (s[0] == '\0' || s[0] == '-')
    return false;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p <= ' ' || *p == 0x7f)
      return false;
  return true;
}

static int
check_ssh (struct core_reader *r, const struct core_field *f,
           yaml_node_t *v, const char *path, void *obj)
{
  const char *s = *(char **) ((char *) obj + f->offset);
  const char *at = strchr (s, '@');

  if (at == NULL || at == s || at[1] == '\0' || strchr (at + 1, '@')
      || !plain_word (s))
    return fail (r, v, "%s: '%.64s' is not USER@HOST", path, s);
  return 0;
}

/* Each item of a list of devices or paths: not empty, not an option. */
static int
check_words (struct core_reader *r, const struct core_field *f,
             yaml_node_t *v, const char *path, void *obj)
{
  const core_string_vector *l = (void *) ((char *) obj + f->offset);

  if (l->len == 0)
    return fail (r, v, "%s: the list is empty", path);
  for (size_t i = 0; i < l->len; i++) {
    yaml_node_t *item = core_yaml_node (r, v->data.sequence.items.start[i]);

    if (!plain_word (l->ptr[i]))
      return fail (r, item, "%s[%zu]: '%.64s' is not a %s", path, i,
                   l->ptr[i], strcmp (f->key, "disks") == 0
                   ? "device (sda, /dev/sda)" : "path without spaces");
  }
  return 0;
}

enum { F_NAME, F_SSH, F_PORT, F_DISKS, F_IMAGES, F_PROFILE };

/* Exactly one of ssh and images; port and disks go with ssh. */
static int
check_source (struct core_reader *r, yaml_node_t *map, const char *path,
              void *obj, uint64_t seen)
{
  struct core_source *s = obj;
  bool ssh = seen & (UINT64_C(1) << F_SSH);
  bool images = seen & (UINT64_C(1) << F_IMAGES);
  char p[256];

  if (ssh && images)
    return fail (r, value_of (r, map, "images"), "%s: give ssh or images, "
                 "not both", path);
  if (!ssh && !images)
    return fail (r, map, "%s: give ssh (USER@HOST) or images (a list of "
                 "paths)", path);
  if (!ssh && (seen & (UINT64_C(1) << F_PORT))) {
    subpath (p, sizeof p, path, "port");
    return fail (r, value_of (r, map, "port"), "%s: goes with ssh, and "
                 "this source has images", p);
  }
  if (!ssh && (seen & (UINT64_C(1) << F_DISKS))) {
    subpath (p, sizeof p, path, "disks");
    return fail (r, value_of (r, map, "disks"), "%s: goes with ssh (an "
                 "image source's disks are its images)", p);
  }
  if (ssh && s->port == CORE_UNSET)
    s->port = 22;
  s->line = map->start_mark.line + 1;
  s->col = map->start_mark.column + 1;
  return 0;
}

#define S struct core_source
static const struct core_field source_fields[] = {
  [F_NAME] = FIELD (S, name, NAME, .required = true),
  [F_SSH] = FIELD (S, ssh, STRING, .hook = check_ssh),
  [F_PORT] = FIELD (S, port, INT, .min = 1, .max = 65535, .dflt = CORE_UNSET),
  [F_DISKS] = FIELD (S, disks, STRINGS, .hook = check_words,
                    .flags = CORE_FIELD_OMIT_EMPTY | CORE_FIELD_FLOW),
  [F_IMAGES] = FIELD (S, images, STRINGS, .hook = check_words,
                     .flags = CORE_FIELD_OMIT_EMPTY | CORE_FIELD_FLOW),
  [F_PROFILE] = FIELD (S, profile, STRING),
};
static const struct core_table source_table =
  CORE_TABLE ("sources[]", S, source_fields, check_source);
#undef S

/* A workload has one source. */
static int
unique_name (struct core_reader *r, yaml_node_t *item, const char *path,
             const void *items, size_t n)
{
  const struct core_source *s = items;
  ssize_t j = core_schema_same_before (items, n, sizeof *s,
                                       offsetof (struct core_source, name));

  if (j >= 0)
    return fail (r, value_of (r, item, "name"), "%s: workload '%s' has a "
                 "source already (sources[%zd], line %zu)", path,
                 s[n].name, j, s[j].line);
  return 0;
}

static int
not_empty (struct core_reader *r, const struct core_field *f,
           yaml_node_t *v, const char *path, void *obj)
{
  (void) f;
  (void) obj;
  if (v->data.sequence.items.top == v->data.sequence.items.start)
    return fail (r, v, "%s: the list names no workload", path);
  return 0;
}

#define S struct core_sources
static const struct core_field sources_fields[] = {
  { .key = "schema", .type = CORE_FIELD_SKIP, .required = true },
  FIELD (S, sources, VECTOR, .sub = &source_table, .required = true,
         .hook = not_empty, .each = unique_name),
};
const struct core_table core_sources_table =
  CORE_TABLE ("", S, sources_fields, NULL);
#undef S

void
core_sources_init (struct core_sources *s)
{
  memset (s, 0, sizeof *s);
}

void
core_sources_clear (struct core_sources *s)
{
  if (s == NULL)
    return;
  free (s->source);
  core_schema_free (&core_sources_table, s);
  core_sources_init (s);
}

int
core_sources_parse (const char *name, const char *buf, size_t len,
                    struct core_sources *out)
{
  int ret;

  core_sources_init (out);
  ret = core_yaml_parse_top (name, buf, len, CORE_FILE_SOURCES,
                             &core_sources_table, out);
  if (ret == 0 && (out->source = core_strdup (name)) == NULL)
    ret = -1;
  if (ret == -1)
    core_sources_clear (out);
  return ret;
}

int
core_sources_read (const char *path, struct core_sources *out)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  core_sources_init (out);
  buf = core_read_input (path, &len);
  return buf ? core_sources_parse (path, buf, len, out) : -1;
}

int
core_sources_write (FILE *fp, const struct core_sources *s)
{
  return core_yaml_write_top (fp, CORE_SCHEMA_SOURCES, &core_sources_table, s);
}

bool
core_sources_equal (const struct core_sources *a, const struct core_sources *b)
{
  return core_schema_equal (&core_sources_table, a, b);
}

const struct core_source *
core_sources_find (const struct core_sources *s, const char *name)
{
  for (size_t i = 0; s && i < s->sources.len; i++)
    if (strcmp (s->sources.ptr[i].name, name) == 0)
      return &s->sources.ptr[i];
  return NULL;
}

static int
add_problem (core_string_vector *problems, char *msg)
{
  if (msg == NULL || core_string_vector_append (problems, msg) == -1) {
    free (msg);
    core_error ("out of memory");
    return -1;
  }
  return 0;
}

int
core_sources_check_plan (const struct core_sources *s,
                         const struct core_plan *plan,
                         core_string_vector *problems)
{
  const char *file = s->source ? s->source : "sources";
  const char *pfile = plan->source ? plan->source : "the plan";
  CLEANUP_FREE const char **names = NULL;
  int n = 0;

  for (size_t i = 0; i < plan->workloads.len; i++) {
    const struct core_plan_workload *w = &plan->workloads.ptr[i];

    if (w->host == NULL || core_sources_find (s, w->name))
      continue;
    if (add_problem (problems, core_sprintf ("%s: no source for workload "
                                             "'%s' (%s places it on %s)",
                                             file, w->name, pfile,
                                             w->host)) == -1)
      return -1;
    n++;
  }
  names = calloc (plan->workloads.len + 1, sizeof *names);
  if (names == NULL) {
    core_error ("out of memory");
    return -1;
  }
  for (size_t j = 0; j < plan->workloads.len; j++)
    names[j] = plan->workloads.ptr[j].name;
  for (size_t i = 0; i < s->sources.len; i++) {
    const struct core_source *src = &s->sources.ptr[i];
    const struct core_plan_workload *w = NULL;
    const char *near;
    char *msg;

    for (size_t j = 0; j < plan->workloads.len && w == NULL; j++)
      if (strcmp (plan->workloads.ptr[j].name, src->name) == 0)
        w = &plan->workloads.ptr[j];
    if (w && w->host)
      continue;
    near = w ? NULL : core_nearest (src->name, names, plan->workloads.len);
    if (w)
      msg = core_sprintf ("%s:%zu:%zu: sources[%zu]: workload '%s' stays "
                          "physical in %s (it has no host to go to)", file,
                          src->line, src->col, i, src->name, pfile);
    else
      msg = core_sprintf ("%s:%zu:%zu: sources[%zu]: '%s' is not a workload "
                          "of %s%s%s%s", file, src->line, src->col, i,
                          src->name, pfile, near ? " (did you mean '" : "",
                          near ? near : "", near ? "'?)" : "");
    if (add_problem (problems, msg) == -1)
      return -1;
    n++;
  }
  return n;
}
