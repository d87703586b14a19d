/* Writers of the four YAML formats, through libyaml's emitter so that
 * every string is quoted correctly.  Layout follows docs/formats.md:
 * block mappings, list items and small records in flow style, series on
 * one line.  What the reader would read as unset is not written. */
#include <string.h>
#include <yaml.h>

#include "core.h"

/* The emitter the writers share (converter/report.c uses it too). */

void
core_yw_emit (struct core_yaml_writer *w, yaml_event_t *ev)
{
  if (w->failed)
    return;
  if (!yaml_emitter_emit (&w->e, ev)) {
    w->failed = true;
    core_error ("YAML emitter: %s", w->e.problem ? w->e.problem : "write error");
  }
}

void
core_yw_map_begin (struct core_yaml_writer *w, bool flow)
{
  yaml_event_t ev;

  yaml_mapping_start_event_initialize (&ev, NULL, NULL, 1,
                                       flow ? YAML_FLOW_MAPPING_STYLE
                                       : YAML_BLOCK_MAPPING_STYLE);
  core_yw_emit (w, &ev);
}

void
core_yw_map_end (struct core_yaml_writer *w)
{
  yaml_event_t ev;

  yaml_mapping_end_event_initialize (&ev);
  core_yw_emit (w, &ev);
}

void
core_yw_seq_begin (struct core_yaml_writer *w, bool flow)
{
  yaml_event_t ev;

  yaml_sequence_start_event_initialize (&ev, NULL, NULL, 1,
                                        flow ? YAML_FLOW_SEQUENCE_STYLE
                                        : YAML_BLOCK_SEQUENCE_STYLE);
  core_yw_emit (w, &ev);
}

void
core_yw_seq_end (struct core_yaml_writer *w)
{
  yaml_event_t ev;

  yaml_sequence_end_event_initialize (&ev);
  core_yw_emit (w, &ev);
}

void
core_yw_scalar (struct core_yaml_writer *w, const char *s, yaml_scalar_style_t style)
{
  yaml_event_t ev;

  yaml_scalar_event_initialize (&ev, NULL, NULL, (yaml_char_t *) s,
                                strlen (s), 1, 1, style);
  core_yw_emit (w, &ev);
}

static int
output_handler (void *data, unsigned char *buffer, size_t size)
{
  return fwrite (buffer, 1, size, data) == size;
}

void
core_yw_begin (struct core_yaml_writer *w, FILE *fp, int width)
{
  yaml_event_t ev;

  memset (w, 0, sizeof *w);
  if (!yaml_emitter_initialize (&w->e)) {
    w->failed = true;
    core_error ("cannot initialize the YAML emitter");
    return;
  }
  w->fp = fp;
  yaml_emitter_set_output (&w->e, output_handler, fp);
  yaml_emitter_set_unicode (&w->e, 1);
  yaml_emitter_set_width (&w->e, width);
  yaml_emitter_set_indent (&w->e, 2);
  yaml_stream_start_event_initialize (&ev, YAML_UTF8_ENCODING);
  core_yw_emit (w, &ev);
  yaml_document_start_event_initialize (&ev, NULL, NULL, NULL, 1);
  core_yw_emit (w, &ev);
}

int
core_yw_end (struct core_yaml_writer *w)
{
  yaml_event_t ev;
  bool initialized = w->fp != NULL;

  yaml_document_end_event_initialize (&ev, 1);
  core_yw_emit (w, &ev);
  yaml_stream_end_event_initialize (&ev);
  core_yw_emit (w, &ev);
  if (!w->failed && !yaml_emitter_flush (&w->e)) {
    w->failed = true;
    core_error ("YAML emitter: write error");
  }
  if (initialized)
    yaml_emitter_delete (&w->e);
  if (!w->failed && (fflush (w->fp) != 0 || ferror (w->fp))) {
    core_error_errno ("write error");
    w->failed = true;
  }
  return w->failed ? -1 : 0;
}

/* A string that a YAML reader would not take for a string when written
 * plain (a number, a boolean, null, a date...) is double-quoted; anything
 * else is left to the emitter, which quotes what needs quoting. */
static bool
needs_quotes (const char *s)
{
  static const char *const words[] =
    { "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n", NULL };
  char *end;

  if (*s == '\0')
    return true;
  for (int i = 0; words[i]; i++)
    if (strcasecmp (s, words[i]) == 0)
      return true;
  strtod (s, &end);
  if (*end == '\0')
    return true;
  /* Digits with ':', '-' or '.' may be sexagesimals, dates or versions:
   * quote anything that starts with a digit and holds no letter... */
  if ((s[0] >= '0' && s[0] <= '9') || s[0] == '.' || s[0] == '+' || s[0] == '-')
    return true;
  return false;
}

static void
str (struct core_yaml_writer *w, const char *s)
{
  core_yw_scalar (w, s, w->quote_strings || needs_quotes (s)
                  ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

static void
key (struct core_yaml_writer *w, const char *k)
{
  core_yw_scalar (w, k, YAML_PLAIN_SCALAR_STYLE);
}

static void
num (struct core_yaml_writer *w, double v)
{
  char buf[64];

  if (w->decimals > 0)
    snprintf (buf, sizeof buf, "%.*f", w->decimals, v);
  else
    core_format_double (v, buf, sizeof buf);
  core_yw_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void
integer (struct core_yaml_writer *w, int64_t v)
{
  char buf[32];

  snprintf (buf, sizeof buf, "%lld", (long long) v);
  core_yw_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void
null (struct core_yaml_writer *w)
{
  core_yw_scalar (w, "null", YAML_PLAIN_SCALAR_STYLE);
}

static void
boolean (struct core_yaml_writer *w, bool b)
{
  core_yw_scalar (w, b ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
}

/* key: value pairs that are skipped when unset (or written as null:
 * W's nulls). */
static void
kv_str (struct core_yaml_writer *w, const char *k, const char *v)
{
  if (v) {
    key (w, k);
    str (w, v);
  }
  else if (w->nulls) {
    key (w, k);
    null (w);
  }
}

static void
kv_int (struct core_yaml_writer *w, const char *k, int64_t v)
{
  if (v != CORE_UNSET) {
    key (w, k);
    integer (w, v);
  }
  else if (w->nulls) {
    key (w, k);
    null (w);
  }
}

static void
kv_num (struct core_yaml_writer *w, const char *k, double v)
{
  if (v != CORE_UNSET) {
    key (w, k);
    num (w, v);
  }
  else if (w->nulls) {
    key (w, k);
    null (w);
  }
}

static void
kv_bool (struct core_yaml_writer *w, const char *k, bool v)
{
  key (w, k);
  boolean (w, v);
}

static void
kv_enum (struct core_yaml_writer *w, const char *k, const char *const *names, int v)
{
  if (names[v]) {
    key (w, k);
    core_yw_scalar (w, names[v], w->quote_strings
                    ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
  }
  else if (w->nulls) {
    key (w, k);
    null (w);
  }
}

static void
kv_flags (struct core_yaml_writer *w, const char *k, const char *const *names,
          unsigned flags)
{
  key (w, k);
  core_yw_seq_begin (w, true);
  for (int i = 0; names[i]; i++)
    if (flags & (1u << i))
      core_yw_scalar (w, names[i], YAML_PLAIN_SCALAR_STYLE);
  core_yw_seq_end (w);
}

static void
kv_series (struct core_yaml_writer *w, const char *k, const core_double_vector *v)
{
  if (v->len == 0)
    return;
  key (w, k);
  core_yw_seq_begin (w, true);
  for (size_t i = 0; i < v->len; i++)
    num (w, v->ptr[i]);
  core_yw_seq_end (w);
}

static void
kv_strings (struct core_yaml_writer *w, const char *k, const core_string_vector *v,
            bool flow)
{
  key (w, k);
  core_yw_seq_begin (w, flow);
  for (size_t i = 0; i < v->len; i++)
    str (w, v->ptr[i]);
  core_yw_seq_end (w);
}

/* Whether write_fields writes field F, whose value is at P, by the
 * field flags (core.h).  Unset strings, numbers and enums the kv_
 * writers leave out themselves; for MEMBER, a member of an OMIT_UNSET
 * mapping, they are judged here too. */
static bool
written (const struct core_field *f, const void *p, bool member)
{
  const struct { const char *ptr; size_t len, cap; } *v = p;
  bool omit_empty = f->flags & CORE_FIELD_OMIT_EMPTY;
  bool omit_unset = f->flags & CORE_FIELD_OMIT_UNSET;

  switch (f->type) {
  case CORE_FIELD_SKIP:
    return false;
  case CORE_FIELD_TRISTATE: case CORE_FIELD_FLAGS:
    return *(const int *) p != CORE_UNSET;
  case CORE_FIELD_BOOL:
    return !omit_unset || *(const bool *) p;
  case CORE_FIELD_STRINGS: case CORE_FIELD_VECTOR:
    return !omit_empty || v->len > 0;
  case CORE_FIELD_STRUCT:
    if (f->flags & CORE_FIELD_FIRST_GIVES)
      return *(const int64_t *) p != CORE_UNSET;
    for (size_t i = 0; omit_unset && i < f->sub->n; i++)
      if (written (&f->sub->fields[i],
                   (const char *) p + f->sub->fields[i].offset, true))
        return true;
    return !omit_unset;
  case CORE_FIELD_STRING: case CORE_FIELD_NAME:
    return !member || *(char *const *) p != NULL;
  case CORE_FIELD_INT:
    return !member || *(const int64_t *) p != CORE_UNSET;
  case CORE_FIELD_DOUBLE:
    return !member || *(const double *) p != CORE_UNSET;
  case CORE_FIELD_ENUM:
    return !member || f->names[*(const int *) p] != NULL;
  case CORE_FIELD_SERIES:
    return !member || v->len > 0;
  default:
    return true;
  }
}

/* The fields of OBJ, a struct of T, in T's order, each as the kv_
 * writers above write it, the _OR_NULL types as null when unset.  SKIP
 * fields (schema) are the caller's; a type without a plain writing (the
 * formats whose writers are still written out by hand use them) fails
 * the document rather than leave it out. */
static void
write_fields (struct core_yaml_writer *w, const struct core_table *t,
              const void *obj)
{
  for (size_t i = 0; i < t->n; i++) {
    const struct core_field *f = &t->fields[i];
    const void *p = (const char *) obj + f->offset;
    /* Every vector of DEFINE_VECTOR_TYPE has this layout. */
    const struct { const char *ptr; size_t len, cap; } *v = p;
    const core_string_vector *sv = p;
    unsigned bit;

    if (f->given && !*(const bool *) ((const char *) obj + f->given - 1))
      continue;
    if (f->write) {
      f->write (w, f, obj);
      continue;
    }
    if (!written (f, p, false))
      continue;
    switch (f->type) {
    case CORE_FIELD_SKIP:
      break;
    case CORE_FIELD_STRING: case CORE_FIELD_NAME:
      kv_str (w, f->key, *(char *const *) p);
      break;
    case CORE_FIELD_INT:
      if (f->flags & CORE_FIELD_NO_UNSET) {
        key (w, f->key);
        integer (w, *(const int64_t *) p);
      }
      else
        kv_int (w, f->key, *(const int64_t *) p);
      break;
    case CORE_FIELD_DOUBLE:
      if (f->flags & CORE_FIELD_NO_UNSET) {
        key (w, f->key);
        num (w, *(const double *) p);
      }
      else if (w->nulls && *(const double *) p < f->min) {
        key (w, f->key);
        null (w);
      }
      else
        kv_num (w, f->key, *(const double *) p);
      break;
    case CORE_FIELD_STRING_OR_NULL:
      key (w, f->key);
      if (*(char *const *) p)
        str (w, *(char *const *) p);
      else
        null (w);
      break;
    case CORE_FIELD_INT_OR_NULL:
      key (w, f->key);
      if (*(const int64_t *) p == CORE_UNSET)
        null (w);
      else
        integer (w, *(const int64_t *) p);
      break;
    case CORE_FIELD_DOUBLE_OR_NULL:
      key (w, f->key);
      if (*(const double *) p == CORE_UNSET)
        null (w);
      else
        num (w, *(const double *) p);
      break;
    case CORE_FIELD_BIT:
      /* Its one bit's name; none or several: the first name. */
      bit = *(const unsigned *) p;
      key (w, f->key);
      core_yw_scalar (w, f->names[bit && !(bit & (bit - 1))
                                  ? __builtin_ctz (bit) : 0],
                      YAML_PLAIN_SCALAR_STYLE);
      break;
    case CORE_FIELD_BOOL:
      kv_bool (w, f->key, *(const bool *) p);
      break;
    case CORE_FIELD_ENUM:
      kv_enum (w, f->key, f->names, *(const int *) p);
      break;
    case CORE_FIELD_FLAGS:
      kv_flags (w, f->key, f->names, *(const unsigned *) p);
      break;
    case CORE_FIELD_SERIES:
      kv_series (w, f->key, p);
      break;
    case CORE_FIELD_STRUCT:
      if ((f->flags & CORE_FIELD_OMIT_EMPTY)
          && !core_schema_holds_items (f->sub, p))
        break;
      key (w, f->key);
      if ((f->flags & CORE_FIELD_NULL_UNSET)
          && core_schema_is_unset (&f->sub->fields[0], p)) {
        null (w);
        break;
      }
      core_yw_map_begin (w, f->sub->flow);
      write_fields (w, f->sub, p);
      core_yw_map_end (w);
      break;
    case CORE_FIELD_VECTOR:
      /* written () left out an empty OMIT_EMPTY list. */
      key (w, f->key);
      core_yw_seq_begin (w, false);
      for (size_t j = 0; j < v->len; j++) {
        core_yw_map_begin (w, f->sub->flow);
        write_fields (w, f->sub, v->ptr + j * f->sub->size);
        core_yw_map_end (w);
      }
      core_yw_seq_end (w);
      break;
    case CORE_FIELD_TRISTATE:
      kv_bool (w, f->key, *(const int *) p);
      break;
    case CORE_FIELD_STRINGS:
      /* written () left out an empty OMIT_EMPTY list. */
      if ((f->flags & CORE_FIELD_ONE_OR_LIST) && sv->len == 1)
        kv_str (w, f->key, sv->ptr[0]);
      else
        kv_strings (w, f->key, sv, f->flags & CORE_FIELD_FLOW);
      break;
    default:
      if (!w->failed)
        core_error ("%s: no writer for a field of type %d", f->key, f->type);
      w->failed = true;
      break;
    }
  }
}

void
core_schema_write (struct core_yaml_writer *w, const struct core_table *t,
                   const void *obj)
{
  write_fields (w, t, obj);
}

/* Profile ----------------------------------------------------------- */

int
core_profile_write (FILE *fp, const struct core_profile *p)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", CORE_SCHEMA_PROFILE);
  write_fields (&w, &core_profile_table, p);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}

/* Host catalog ------------------------------------------------------ */

int
core_hosts_write (FILE *fp, const struct core_hosts *h)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", CORE_SCHEMA_HOSTS);
  write_fields (&w, &core_hosts_table, h);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}

/* Policy ------------------------------------------------------------ */

int
core_policy_write (FILE *fp, const struct core_policy *p)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", CORE_SCHEMA_POLICY);
  write_fields (&w, &core_policy_table, p);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}

/* Plan -------------------------------------------------------------- */

/* sizing.features: a list item per feature that workloads need, the
 * feature named by its list's key in F's sub. */
void
core_plan_write_features (struct core_yaml_writer *w,
                          const struct core_field *f, const void *sizing)
{
  key (w, f->key);
  core_yw_seq_begin (w, false);
  for (size_t i = 0; i < f->sub->n; i++) {
    const core_string_vector *v = (const void *)
      ((const char *) sizing + f->offset + f->sub->fields[i].offset);

    if (v->len) {
      core_yw_map_begin (w, true);
      kv_str (w, "feature", f->sub->fields[i].key);
      kv_strings (w, "workloads", v, true);
      core_yw_map_end (w);
    }
  }
  core_yw_seq_end (w);
}

int
core_plan_write (FILE *fp, const struct core_plan *plan)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", CORE_SCHEMA_PLAN);
  write_fields (&w, &core_plan_table, plan);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}

/* For the formats whose writers live with their readers (sources.c,
 * migrate/journal.c). */
int
core_yaml_write_top (FILE *fp, const char *schema, const struct core_table *t,
                     const void *obj)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", schema);
  write_fields (&w, t, obj);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}
