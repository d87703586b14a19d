/* Every field of the plan's table is written and compared: for each
 * field (found by walking core_plan_table, so a field added to it is
 * covered at once), change it alone in a plan read from a file and check
 * that core_plan_equal and core_plan_write both see the change.  A field
 * whose type has no writer or no equality fails here; the sanitizer
 * build also finds one that is not freed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"

#define DATA "tests/data/good/"

/* Plans that between them hold every optional part of the format. */
static const char *const bases[] = {
  DATA "plan.yaml", DATA "plan-extended.yaml", DATA "plan-sized.yaml",
};
#define NBASES (sizeof bases / sizeof bases[0])

#define MAX_DEPTH 8
#define MAX_PATHS 512

/* A field reached from the top: the fields on the way, last the leaf. */
struct path {
  const struct core_field *f[MAX_DEPTH];
  size_t n;
};

static struct path paths[MAX_PATHS];
static size_t npaths;

static void
collect (const struct core_table *t, struct path *up)
{
  for (size_t i = 0; i < t->n; i++) {
    const struct core_field *f = &t->fields[i];
    struct path p = *up;

    if (f->type == CORE_FIELD_SKIP)
      continue;                 /* the schema line, the writer's own */
    assert_true (p.n < MAX_DEPTH);
    p.f[p.n++] = f;
    if (f->type == CORE_FIELD_STRUCT || f->type == CORE_FIELD_VECTOR)
      collect (f->sub, &p);
    else {
      assert_true (npaths < MAX_PATHS);
      paths[npaths++] = p;
    }
  }
}

static void
path_name (const struct path *p, char *buf, size_t len)
{
  size_t n = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < p->n && n < len; i++)
    n += snprintf (buf + n, len - n, "%s%s%s", i ? "." : "", p->f[i]->key,
                   p->f[i]->type == CORE_FIELD_VECTOR ? "[0]" : "");
}

/* Every vector of DEFINE_VECTOR_TYPE has this layout. */
struct any_vector { char *ptr; size_t len, cap; };

/* The leaf's struct in A and B, walking P; NULL when this plan does not
 * hold it (an empty list, a mapping not given, a series not given). */
static bool
reach (const struct path *p, void **a, void **b)
{
  for (size_t i = 0; i + 1 < p->n; i++) {
    const struct core_field *f = p->f[i];
    char *x = (char *) *a + f->offset, *y = (char *) *b + f->offset;

    if (f->given && !*(bool *) ((char *) *a + f->given - 1))
      return false;
    if (f->type == CORE_FIELD_VECTOR) {
      struct any_vector *v = (void *) x, *w = (void *) y;

      if (v->len == 0)
        return false;
      x = v->ptr;
      y = w->ptr;
    }
    else if ((f->flags & CORE_FIELD_OMIT_EMPTY)
             && !core_schema_holds_items (f->sub, x))
      return false;
    else if ((f->flags & CORE_FIELD_NULL_UNSET)
             && p->f[i + 1] != &f->sub->fields[0]
             && core_schema_is_unset (&f->sub->fields[0], x)) {
      /* A null mapping holds nothing else: give both plans the same
       * first value, so that the other fields count. */
      const struct core_field *first = &f->sub->fields[0];

      if (first->type == CORE_FIELD_INT || first->type == CORE_FIELD_INT_OR_NULL)
        *(int64_t *) (x + first->offset) = *(int64_t *) (y + first->offset) = 1;
      else
        *(double *) (x + first->offset) = *(double *) (y + first->offset) = 1;
    }
    *a = x;
    *b = y;
  }
  return !p->f[p->n - 1]->given
    || *(bool *) ((char *) *a + p->f[p->n - 1]->given - 1);
}

/* Change field F of OBJ to another value of its type. */
static void
change (const struct core_field *f, void *obj)
{
  void *p = (char *) obj + f->offset;
  int e;

  switch (f->type) {
  case CORE_FIELD_STRING: case CORE_FIELD_STRING_OR_NULL:
  case CORE_FIELD_NAME:
    free (*(char **) p);
    *(char **) p = strdup ("changed");
    break;
  case CORE_FIELD_INT: case CORE_FIELD_INT_OR_NULL:
    *(int64_t *) p = *(int64_t *) p == CORE_UNSET ? 7 : *(int64_t *) p + 1;
    break;
  case CORE_FIELD_DOUBLE: case CORE_FIELD_DOUBLE_OR_NULL:
    *(double *) p = *(double *) p == CORE_UNSET ? 7.5 : *(double *) p + 0.5;
    break;
  case CORE_FIELD_BOOL:
    *(bool *) p = !*(bool *) p;
    break;
  case CORE_FIELD_TRISTATE:
    *(int *) p = *(int *) p == 1 ? 0 : 1;
    break;
  case CORE_FIELD_ENUM:
    e = f->names[0] == NULL;
    if (*(int *) p == e)
      e++;
    assert_non_null (f->names[e]);
    *(int *) p = e;
    break;
  case CORE_FIELD_BIT:
    *(unsigned *) p = *(unsigned *) p == 1 ? 2 : 1;
    break;
  case CORE_FIELD_FLAGS:
    *(unsigned *) p ^= 1;
    break;
  case CORE_FIELD_STRINGS:
    assert_int_equal (core_string_vector_append (p, strdup ("changed")), 0);
    break;
  case CORE_FIELD_SERIES:
    assert_int_equal (core_double_vector_append (p, 1.25), 0);
    break;
  default:
    fail_msg ("%s: a field of type %d has no generic value to change",
              f->key, f->type);
  }
}

static char *
text_of (const struct core_plan *plan)
{
  char *buf = NULL;
  size_t len;
  FILE *fp = open_memstream (&buf, &len);

  assert_non_null (fp);
  if (core_plan_write (fp, plan) == -1)
    fail_msg ("%s", core_errmsg ());
  assert_int_equal (fclose (fp), 0);
  return buf;
}

static void
test_every_field_written_and_compared (void **state)
{
  struct path top = { .n = 0 };

  (void) state;
  collect (&core_plan_table, &top);
  assert_true (npaths > 100);
  for (size_t i = 0; i < npaths; i++) {
    char name[512];
    bool covered = false;

    path_name (&paths[i], name, sizeof name);
    for (size_t k = 0; k < NBASES; k++) {
      struct core_plan a, b;
      void *x = &a, *y = &b;
      char *ta, *tb;

      if (core_plan_read (bases[k], &a) == -1
          || core_plan_read (bases[k], &b) == -1)
        fail_msg ("%s", core_errmsg ());
      if (reach (&paths[i], &x, &y)) {
        covered = true;
        assert_true (core_plan_equal (&a, &b));
        change (paths[i].f[paths[i].n - 1], y);
        if (core_plan_equal (&a, &b))
          fail_msg ("%s (%s): a change is not seen by core_plan_equal",
                    name, bases[k]);
        ta = text_of (&a);
        tb = text_of (&b);
        if (strcmp (ta, tb) == 0)
          fail_msg ("%s (%s): a change is not written", name, bases[k]);
        free (ta);
        free (tb);
      }
      core_plan_clear (&a);
      core_plan_clear (&b);
    }
    if (!covered)
      fail_msg ("%s: no plan of the test holds it; add one that does", name);
  }
}

/* What the test above would fail on: a change that is neither written
 * nor compared. */
static void
test_a_lost_field_is_found (void **state)
{
  struct core_plan a, b;
  char *ta, *tb;

  (void) state;
  if (core_plan_read (DATA "plan-extended.yaml", &a) == -1
      || core_plan_read (DATA "plan-extended.yaml", &b) == -1)
    fail_msg ("%s", core_errmsg ());
  /* Without cpu_mhz the series is not there: interval_s is neither
   * written nor compared. */
  core_double_vector_reset (&a.hosts.ptr[0].series.cpu_mhz);
  core_double_vector_reset (&b.hosts.ptr[0].series.cpu_mhz);
  b.hosts.ptr[0].series.interval_s++;
  /* Nor is what no table holds. */
  free (b.source);
  b.source = strdup ("elsewhere");
  assert_true (core_plan_equal (&a, &b));
  ta = text_of (&a);
  tb = text_of (&b);
  assert_string_equal (ta, tb);
  free (ta);
  free (tb);
  core_plan_clear (&a);
  core_plan_clear (&b);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_every_field_written_and_compared),
    cmocka_unit_test (test_a_lost_field_is_found),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
