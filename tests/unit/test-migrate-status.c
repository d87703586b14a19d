/* migrate's pure parts: which workloads a run takes (--wave, --only, the
 * report's waves) and the rows of --status from a journal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"
#include "migrate/migrate.h"
#include "tests/unit/unit.h"

/* pbx01 (paravirt) moves in wave 1, dc01 (full) in wave 2; fax01 stays
 * physical. */
#define PLAN "tests/data/good/plan.yaml"

static const char *
name_of (const struct core_plan *plan, const mig_pick_vector *v, size_t i)
{
  return plan->workloads.ptr[v->ptr[i].w].name;
}

static void
test_select (void **state)
{
  CLEANUP_FREE_PLAN struct core_plan plan;
  mig_pick_vector v = { 0 };
  core_string_vector only = { 0 };

  (void) state;
  if (core_plan_read (PLAN, &plan) == -1)
    fail_msg ("%s", core_errmsg ());

  /* Neither --wave nor --only: every placed workload, in wave order. */
  assert_int_equal (mig_select (&plan, PLAN, 0, NULL, &v), 0);
  assert_int_equal (v.len, 2);
  assert_string_equal (name_of (&plan, &v, 0), "pbx01");
  assert_int_equal (v.ptr[0].wave, 1);
  assert_string_equal (name_of (&plan, &v, 1), "dc01");
  assert_int_equal (v.ptr[1].wave, 2);

  assert_int_equal (mig_select (&plan, PLAN, 2, NULL, &v), 0);
  assert_int_equal (v.len, 1);
  assert_string_equal (name_of (&plan, &v, 0), "dc01");

  assert_int_equal (mig_select (&plan, PLAN, 3, NULL, &v), -1);
  assert_string_equal (core_errmsg (), "--wave: " PLAN " has 2 waves, there is no wave 3");

  assert_int_equal (core_string_vector_printf (&only, "dc01"), 0);
  assert_int_equal (mig_select (&plan, PLAN, 0, &only, &v), 0);
  assert_int_equal (v.len, 1);
  assert_string_equal (name_of (&plan, &v, 0), "dc01");
  assert_int_equal (mig_select (&plan, PLAN, 1, &only, &v), -1);
  assert_string_equal (core_errmsg (), "--only: workload 'dc01' moves in wave 2 of "
                       PLAN ", not in --wave 1");

  /* A workload the plan keeps physical, and a typo. */
  assert_int_equal (core_string_vector_printf (&only, "fax01"), 0);
  assert_int_equal (mig_select (&plan, PLAN, 0, &only, &v), -1);
  assert_string_equal (core_errmsg (), "--only: " PLAN " places on no host the workload 'fax01'");
  free (only.ptr[1]);
  only.ptr[1] = strdup ("pbx1");
  assert_int_equal (mig_select (&plan, PLAN, 0, &only, &v), -1);
  assert_string_equal (core_errmsg (), "--only: " PLAN " has no workload 'pbx1'");

  core_string_vector_free (&only);
  free (v.ptr);
}

static void
test_status_rows (void **state)
{
  const char *dir = *state;
  CLEANUP_FREE_PLAN struct core_plan plan;
  CLEANUP_FREE_JOURNAL struct mig_journal j;
  mig_pick_vector v = { 0 };
  mig_status_vector rows = { 0 };
  const struct mig_output out = {
    (char *) "/srv/pbx01.img", 1024,
    (char *) "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  };

  if (core_plan_read (PLAN, &plan) == -1)
    fail_msg ("%s", core_errmsg ());
  assert_int_equal (mig_select (&plan, PLAN, 0, NULL, &v), 0);
  assert_int_equal (mig_journal_open (dir, &j), 0);

  /* pbx01: captured in 10 s, its conversion failed after 5 s. */
  assert_int_equal (mig_step_start (&j, "pbx01", MIG_CAPTURE, 1000), 0);
  assert_int_equal (mig_step_complete (&j, "pbx01", MIG_CAPTURE, 1010, &out, 1), 0);
  assert_int_equal (mig_step_start (&j, "pbx01", MIG_CONVERT, 1011), 0);
  assert_int_equal (mig_step_fail (&j, "pbx01", MIG_CONVERT, 1016, "no OS found"), 0);
  /* dc01: its capture under way. */
  assert_int_equal (mig_step_start (&j, "dc01", MIG_CAPTURE, 1000), 0);

  assert_int_equal (mig_status_rows (&plan, &v, &j, &rows), 0);
  assert_int_equal (rows.len, 2);
  assert_string_equal (rows.ptr[0].workload, "pbx01");
  assert_int_equal (rows.ptr[0].wave, 1);
  assert_string_equal (rows.ptr[0].step, "convert");
  assert_string_equal (rows.ptr[0].state, "failed");
  assert_int_equal (rows.ptr[0].seconds, 15);
  assert_string_equal (rows.ptr[0].why, "no OS found");
  assert_false (rows.ptr[0].verified);
  assert_string_equal (rows.ptr[1].workload, "dc01");
  assert_string_equal (rows.ptr[1].step, "capture");
  assert_string_equal (rows.ptr[1].state, "started");
  assert_int_equal (rows.ptr[1].seconds, CORE_UNSET);
  assert_string_equal (rows.ptr[1].why, "capture did not end (interrupted, or running)");
  mig_status_free (&rows);

  /* pbx01 to the end; dc01 captured. */
  assert_int_equal (mig_step_start (&j, "pbx01", MIG_CONVERT, 2000), 0);
  assert_int_equal (mig_step_complete (&j, "pbx01", MIG_CONVERT, 2100, NULL, 0), 0);
  assert_int_equal (mig_step_start (&j, "pbx01", MIG_DEPLOY, 2100), 0);
  assert_int_equal (mig_step_complete (&j, "pbx01", MIG_DEPLOY, 2110, NULL, 0), 0);
  assert_int_equal (mig_step_start (&j, "pbx01", MIG_VERIFY, 2110), 0);
  assert_int_equal (mig_step_complete (&j, "pbx01", MIG_VERIFY, 2170, NULL, 0), 0);
  assert_int_equal (mig_step_complete (&j, "dc01", MIG_CAPTURE, 1002, NULL, 0), 0);
  assert_int_equal (mig_status_rows (&plan, &v, &j, &rows), 0);
  assert_string_equal (rows.ptr[0].step, "verify");
  assert_string_equal (rows.ptr[0].state, "completed");
  assert_int_equal (rows.ptr[0].seconds, 10 + 100 + 10 + 60);
  assert_string_equal (rows.ptr[0].why, "");
  assert_true (rows.ptr[0].verified);
  assert_string_equal (rows.ptr[1].why, "missing: convert, deploy, verify");
  assert_false (rows.ptr[1].verified);
  mig_status_free (&rows);

  /* No journal yet: nothing started. */
  mig_journal_clear (&j);
  mig_journal_init (&j);
  assert_int_equal (mig_status_rows (&plan, &v, &j, &rows), 0);
  assert_string_equal (rows.ptr[1].step, "-");
  assert_string_equal (rows.ptr[1].state, "not started");
  assert_string_equal (rows.ptr[1].why, "missing: capture, convert, deploy, verify");
  mig_status_free (&rows);
  free (v.ptr);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_select),
    cmocka_unit_test_setup_teardown (test_status_rows, unit_make_tmpdir,
                                     unit_remove_tmpdir),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, unit_chdir_srcdir, NULL);
}
