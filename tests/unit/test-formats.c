/* docs/formats.md against the readers' field tables: every mapping a
 * reader takes is documented, as a table of keys ("| `key` | ...") under
 * its label ("`hardware.cpu`:", "Top level:", "### `sizing`") or as a
 * paragraph that starts with its label and names each key; a documented
 * table lists exactly the reader's keys; and the docs have no table the
 * readers do not know.  The wizard's forms name the fields and ranges
 * the tables have. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"
#include "converter/converter.h"
#include "tui/tui.h"
#include "migrate/migrate.h"

#define DOC "docs/formats.md"
#define MAX_TABLES 64

struct doc_table {
  char *section;                /* the "## " heading above it */
  char *label;                  /* "" for the top level */
  core_string_vector keys;
  bool used;
};

struct doc {
  core_string_vector lines;
  struct doc_table tables[128];
  size_t n;
};

/* "## Plan" and "## Sizing a host" both hold the plan's keys. */
static const struct {
  const char *section;
  const struct core_table *table;
} formats[] = {
  { "Server profile", &core_profile_table },
  { "Host catalog", &core_hosts_table },
  { "Policy", &core_policy_table },
  { "Plan", &core_plan_table },
  { "Sizing a host", &core_plan_table },
  { "Convert report", &conv_report_table },
  { "Sources", &core_sources_table },
  { "Migration journal", &mig_journal_table },
};

static bool
blank (const char *s)
{
  return s[strspn (s, " \t")] == '\0';
}

/* The text between the first two backticks of S, or NULL. */
static char *
first_code (const char *s)
{
  const char *a = strchr (s, '`'), *b = a ? strchr (a + 1, '`') : NULL;

  return b ? strndup (a + 1, b - a - 1) : NULL;
}

/* The label of the paragraph or heading above line I (a table's header). */
static char *
label_above (struct doc *d, size_t i)
{
  size_t j = i;

  while (j > 0 && blank (d->lines.ptr[j - 1]))
    j--;
  if (j == 0)
    return NULL;
  if (strcmp (d->lines.ptr[j - 1], "### Keys") == 0
      || strcmp (d->lines.ptr[j - 1], "Top level:") == 0)
    return strdup ("");
  if (strncmp (d->lines.ptr[j - 1], "### ", 4) == 0)
    return first_code (d->lines.ptr[j - 1]);
  while (j > 1 && !blank (d->lines.ptr[j - 2]))
    j--;
  return d->lines.ptr[j - 1][0] == '`' ? first_code (d->lines.ptr[j - 1]) : NULL;
}

static void
read_doc (struct doc *d)
{
  FILE *fp = fopen (DOC, "r");
  char *line = NULL, *section = NULL;
  size_t cap = 0;
  ssize_t len;

  assert_non_null (fp);
  memset (d, 0, sizeof *d);
  while ((len = getline (&line, &cap, fp)) != -1) {
    if (len > 0 && line[len - 1] == '\n')
      line[len - 1] = '\0';
    assert_int_equal (core_string_vector_append (&d->lines, strdup (line)), 0);
  }
  free (line);
  fclose (fp);
  for (size_t i = 0; i < d->lines.len; i++) {
    const char *l = d->lines.ptr[i];
    struct doc_table *t;

    if (strncmp (l, "## ", 3) == 0)
      section = d->lines.ptr[i] + 3;
    if (strncmp (l, "| Key ", 6) != 0)
      continue;
    assert_true (d->n < sizeof d->tables / sizeof d->tables[0]);
    t = &d->tables[d->n++];
    t->section = section;
    t->label = label_above (d, i);
    if (t->label == NULL)
      fail_msg (DOC ":%zu: a table of keys without a label above it", i + 1);
    for (i += 2; i < d->lines.len && d->lines.ptr[i][0] == '|'; i++) {
      char *key = first_code (d->lines.ptr[i]);
      if (key)
        assert_int_equal (core_string_vector_append (&t->keys, key), 0);
    }
  }
}

static void
free_doc (struct doc *d)
{
  for (size_t i = 0; i < d->n; i++) {
    free (d->tables[i].label);
    core_string_vector_free (&d->tables[i].keys);
  }
  core_string_vector_free (&d->lines);
}

static bool
has_key (const core_string_vector *v, const char *key)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i], key) == 0)
      return true;
  return false;
}

static struct doc_table *
find_table (struct doc *d, const char *section, const char *label)
{
  for (size_t i = 0; i < d->n; i++)
    if (strcmp (d->tables[i].section, section) == 0
        && strcmp (d->tables[i].label, label) == 0)
      return &d->tables[i];
  return NULL;
}

/* A paragraph of SECTION that starts with `LABEL`, or NULL (the caller
 * frees the joined text). */
static char *
find_prose (struct doc *d, const char *section, const char *label)
{
  const char *cur = "";
  char want[256];

  snprintf (want, sizeof want, "`%s`", label);
  for (size_t i = 0; i < d->lines.len; i++) {
    if (strncmp (d->lines.ptr[i], "## ", 3) == 0)
      cur = d->lines.ptr[i] + 3;
    if (strcmp (cur, section) == 0
        && (i == 0 || blank (d->lines.ptr[i - 1]))
        && strncmp (d->lines.ptr[i], want, strlen (want)) == 0) {
      char *text = NULL;
      size_t len = 0;
      FILE *fp = open_memstream (&text, &len);

      for (; i < d->lines.len && !blank (d->lines.ptr[i]); i++)
        fprintf (fp, "%s ", d->lines.ptr[i]);
      fclose (fp);
      return text;
    }
  }
  return NULL;
}

/* Does TABLE of FORMATS[F] have the docs it should?  Returns the number
 * of problems, each printed. */
static int
check_table (struct doc *d, size_t f, const struct core_table *t)
{
  const char *section = formats[f].section;
  struct doc_table *dt = NULL;
  int bad = 0;

  /* A table documented in a section of the same format counts. */
  for (size_t g = 0; g < sizeof formats / sizeof formats[0] && !dt; g++)
    if (formats[g].table == formats[f].table)
      dt = find_table (d, formats[g].section, t->name);
  if (dt) {
    dt->used = true;
    for (size_t i = 0; i < t->n; i++)
      if (!has_key (&dt->keys, t->fields[i].key)) {
        print_error ("%s: '%s%s%s' is read but not in the docs' table\n",
                     section, t->name, t->name[0] ? "." : "", t->fields[i].key);
        bad++;
      }
    for (size_t i = 0; i < dt->keys.len; i++)
      if (core_schema_field (t, dt->keys.ptr[i]) == NULL) {
        print_error ("%s: '%s%s%s' is documented but not read\n", section,
                     t->name, t->name[0] ? "." : "", dt->keys.ptr[i]);
        bad++;
      }
    return bad;
  }
  for (size_t g = 0; g < sizeof formats / sizeof formats[0]; g++) {
    char *text;

    if (formats[g].table != formats[f].table
        || (text = find_prose (d, formats[g].section, t->name)) == NULL)
      continue;
    for (size_t i = 0; i < t->n; i++) {
      char want[128];

      snprintf (want, sizeof want, "`%s`", t->fields[i].key);
      if (strstr (text, want) == NULL) {
        print_error ("%s: '%s.%s' is read but not in the docs' paragraph\n",
                     section, t->name, t->fields[i].key);
        bad++;
      }
    }
    free (text);
    return bad;
  }
  print_error ("%s: '%s' is not documented\n", section, t->name);
  return 1;
}

static void
test_docs_match_tables (void **state)
{
  struct doc d;
  int bad = 0;

  (void) state;
  read_doc (&d);
  for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
    const struct core_table *tables[MAX_TABLES];
    size_t n = core_schema_tables (formats[f].table, tables, MAX_TABLES);

    if (f > 0 && formats[f - 1].table == formats[f].table)
      continue;                 /* checked with its first section */

    assert_true (n < MAX_TABLES);
    for (size_t i = 0; i < n; i++) {
      /* A table of an earlier format (the plan's models are host
       * catalog entries) is checked with that format. */
      bool other = false;
      for (size_t g = 0; g < f; g++)
        if (formats[g].table != formats[f].table) {
          const struct core_table *o[MAX_TABLES];
          size_t m = core_schema_tables (formats[g].table, o, MAX_TABLES);
          for (size_t k = 0; k < m; k++)
            other |= o[k] == tables[i];
        }
      if (tables[i]->name && !other)
        bad += check_table (&d, f, tables[i]);
    }
  }
  for (size_t i = 0; i < d.n; i++) {
    bool known = false;
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++)
      known |= strcmp (formats[f].section, d.tables[i].section) == 0;
    if (known && !d.tables[i].used) {
      print_error ("%s: the docs' table '%s' is no mapping a reader takes\n",
                   d.tables[i].section, d.tables[i].label);
      bad++;
    }
  }
  free_doc (&d);
  assert_int_equal (bad, 0);
}

/* The test can fail: a key added to the docs alone is found. */
static void
test_docs_drift_is_found (void **state)
{
  struct doc d;
  struct doc_table *t;

  (void) state;
  read_doc (&d);
  t = find_table (&d, "Host catalog", "hosts[]");
  assert_non_null (t);
  assert_true (has_key (&t->keys, "count"));
  assert_int_equal (core_string_vector_append (&t->keys, strdup ("racks")), 0);
  assert_int_equal (check_table (&d, 1, &core_host_model_table), 1);
  free_doc (&d);
}

/* The field named NAME ("full cpu_pct" is overhead.full.cpu_pct) of T. */
static const struct core_field *
field_path (const struct core_table *t, const char *name)
{
  char buf[128], *part, *save = NULL;
  const struct core_field *f = NULL;

  snprintf (buf, sizeof buf, "%s%s", strchr (name, ' ') ? "overhead " : "",
            name);
  for (part = strtok_r (buf, " ", &save); part;
       part = strtok_r (NULL, " ", &save)) {
    if (f)
      t = f->sub;
    if (t == NULL || (f = core_schema_field (t, part)) == NULL)
      return NULL;
  }
  return f;
}

/* "A..B" (B may be 2^N) at the start of RANGE is the field's range. */
static int
check_range (const struct core_field *f, const char *range)
{
  char *end;
  double lo, hi;

  if (strncmp (range, ">= 0", 4) == 0)
    return f->min == 0 && f->max >= 0x1p63 ? 0 : 1;
  lo = strtoll (range, &end, 10);   /* strtod would take "1." */
  if (end == range)
    return 0;                   /* words: an enum or a boolean */
  if (strncmp (end, "..", 2) != 0)
    return 1;
  if (strncmp (end + 2, "2^", 2) == 0)
    hi = ldexp (1, strtol (end + 4, NULL, 10));
  else
    hi = strtod (end + 2, NULL);
  return lo == f->min && hi == f->max ? 0 : 1;
}

/* The fields of one of the wizard's forms, not as TABLE has them: each
 * printed, and their count returned. */
static void
host_range (int i, char *buf, size_t len)
{
  tui_host_field_range (i, buf, len);
}

static void
policy_range (int i, char *buf, size_t len)
{
  tui_policy_field_range (i, buf, len);
}

static int
form_differs (const char *form, const struct core_table *table,
              const struct tui_field_info *fields, int n,
              void (*range_of) (int, char *, size_t))
{
  int bad = 0;

  for (int i = 0; i < n; i++) {
    const struct core_field *f = field_path (table, fields[i].name);
    char range[128];

    range_of (i, range, sizeof range);
    if (f == NULL || *range == '\0' || check_range (f, range)) {
      print_error ("%s form: %s (%s)\n", form, fields[i].name, range);
      bad++;
    }
  }
  return bad;
}

/* The wizard's forms name the fields and their ranges as the tables do. */
static void
test_wizard_fields (void **state)
{
  (void) state;
  assert_int_equal (form_differs ("host", &core_host_model_table, tui_host_fields,
                                  TUI_NHF, host_range)
                    + form_differs ("policy", &core_policy_table, tui_policy_fields,
                                    TUI_NPF, policy_range),
                    0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_docs_match_tables),
    cmocka_unit_test (test_docs_drift_is_found),
    cmocka_unit_test (test_wizard_fields),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
