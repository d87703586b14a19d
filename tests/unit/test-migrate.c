/* The foundations of a migration: the sources file against a plan, and
 * the journal (record, read back, where a workload resumes, a failed
 * step tried again, a broken journal refused naming its file). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"
#include "migrate/migrate.h"
#include "tests/unit/unit.h"

#define PLAN "tests/data/report/thesis-plan.yaml"
#define SOURCES "tests/data/good/sources.yaml"
#define SHA_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA_B "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

static char *
journal_path (const char *dir)
{
  return core_sprintf ("%s/%s", dir, MIG_JOURNAL_FILE);
}

/* Sources ----------------------------------------------------------- */

static int
w_sources (FILE *fp, const void *o)
{
  return core_sources_write (fp, o);
}

static void
test_sources_round_trip (void **state)
{
  CLEANUP_FREE_SOURCES struct core_sources a, b;
  char *text = NULL;
  size_t len;
  FILE *fp;
  const struct core_source *s;

  (void) state;
  if (core_sources_read (SOURCES, &a) == -1)
    fail_msg ("%s", core_errmsg ());
  assert_int_equal (a.sources.len, 2);
  s = core_sources_find (&a, "pbx01");
  assert_non_null (s);
  assert_string_equal (s->ssh, "root@pbx01.example.com");
  assert_int_equal (s->port, 2222);
  assert_int_equal (s->disks.len, 1);
  s = core_sources_find (&a, "dc01");
  assert_null (s->ssh);
  assert_int_equal (s->port, CORE_UNSET);
  assert_int_equal (s->images.len, 1);
  fp = open_memstream (&text, &len);
  assert_int_equal (w_sources (fp, &a), 0);
  fclose (fp);
  if (core_sources_parse ("written", text, len, &b) == -1)
    fail_msg ("%s\n%s", core_errmsg (), text);
  assert_true (core_sources_equal (&a, &b));
  free (text);
}

/* An ssh source without a port is on 22. */
static void
test_sources_default_port (void **state)
{
  static const char text[] =
    "schema: p2vkit/sources/v1\nsources:\n  - {name: a, ssh: root@a}\n";
  CLEANUP_FREE_SOURCES struct core_sources s;

  (void) state;
  assert_int_equal (core_sources_parse ("t", text, strlen (text), &s), 0);
  assert_int_equal (s.sources.ptr[0].port, 22);
  assert_int_equal (s.sources.ptr[0].disks.len, 0);
}

static void
test_sources_match_plan (void **state)
{
  CLEANUP_FREE_SOURCES struct core_sources s;
  CLEANUP_FREE_PLAN struct core_plan plan;
  core_string_vector problems = { 0 };

  (void) state;
  assert_int_equal (core_plan_read (PLAN, &plan), 0);
  assert_int_equal (core_sources_read (SOURCES, &s), 0);
  assert_int_equal (core_sources_check_plan (&s, &plan, &problems), 0);
  assert_int_equal (problems.len, 0);
  core_string_vector_free (&problems);
}

/* The fleet example's sources cover a plan of the fleet. */
static void
test_sources_fleet (void **state)
{
  CLEANUP_FREE_SOURCES struct core_sources s;
  CLEANUP_FREE_PLAN struct core_plan plan;
  core_string_vector problems = { 0 };

  (void) state;
  assert_int_equal (core_plan_read ("tests/data/report/fleet-plan.yaml", &plan), 0);
  assert_int_equal (core_sources_read ("examples/fleet/sources.yaml", &s), 0);
  assert_int_equal (core_sources_check_plan (&s, &plan, &problems), 0);
  assert_int_equal (s.sources.len, plan.workloads.len);
  core_string_vector_free (&problems);
}

/* One message per problem: a placed workload without a source, a source
 * of a workload the plan does not have, and one the plan leaves
 * physical. */
static void
test_sources_against_plan (void **state)
{
  static const char text[] =
    "schema: p2vkit/sources/v1\n"
    "sources:\n"
    "  - name: pbx01\n"
    "    ssh: root@pbx01\n"
    "  - name: dc1\n"
    "    images: [dc1.img]\n"
    "  - name: web01\n"
    "    images: [web01.img]\n";
  CLEANUP_FREE_SOURCES struct core_sources s;
  CLEANUP_FREE_PLAN struct core_plan plan;
  core_string_vector problems = { 0 };

  (void) state;
  assert_int_equal (core_plan_read (PLAN, &plan), 0);
  assert_int_equal (core_sources_parse ("src.yaml", text, strlen (text), &s), 0);
  assert_int_equal (core_sources_check_plan (&s, &plan, &problems), 3);
  assert_int_equal (problems.len, 3);
  assert_string_equal (problems.ptr[0], "src.yaml: no source for workload "
                       "'dc01' (" PLAN " places it on athlon-x2-5200-1)");
  assert_string_equal (problems.ptr[1], "src.yaml:5:5: sources[1]: 'dc1' is "
                       "not a workload of " PLAN " (did you mean 'dc01'?)");
  assert_string_equal (problems.ptr[2], "src.yaml:7:5: sources[2]: 'web01' "
                       "is not a workload of " PLAN);
  core_string_vector_free (&problems);

  /* pbx01 left physical: its source is a problem, and dc01 still is. */
  free (plan.workloads.ptr[1].host);
  plan.workloads.ptr[1].host = NULL;
  assert_string_equal (plan.workloads.ptr[1].name, "pbx01");
  assert_int_equal (core_sources_check_plan (&s, &plan, &problems), 4);
  assert_string_equal (problems.ptr[1], "src.yaml:3:5: sources[0]: workload "
                       "'pbx01' stays physical in " PLAN " (it has no host "
                       "to go to)");
  core_string_vector_free (&problems);
}

/* Journal ----------------------------------------------------------- */

static void
reread (const char *dir, const struct mig_journal *j)
{
  CLEANUP_FREE_JOURNAL struct mig_journal k;

  if (mig_journal_open (dir, &k) == -1)
    fail_msg ("%s", core_errmsg ());
  assert_true (mig_journal_equal (j, &k));
}

static void
test_journal_record (void **state)
{
  const char *dir = *state;
  CLEANUP_FREE_JOURNAL struct mig_journal j;
  CLEANUP_FREE char *path = journal_path (dir);
  const struct mig_output outs[] = {
    { "pbx01/sda.qcow2", 8589934592, SHA_A },
    { "pbx01/sdb.qcow2", 0, SHA_B },
  };
  const struct mig_record *rec;
  struct stat st;

  assert_int_equal (mig_journal_open (dir, &j), 0);
  assert_int_equal (j.workloads.len, 0);
  /* Opening writes nothing. */
  assert_int_equal (stat (path, &st), -1);
  assert_int_equal (mig_next_step (&j, "pbx01"), MIG_CAPTURE);

  assert_int_equal (mig_step_start (&j, "pbx01", MIG_CAPTURE, 1000), 0);
  assert_int_equal (stat (path, &st), 0);
  reread (dir, &j);
  assert_int_equal (mig_next_step (&j, "pbx01"), MIG_CAPTURE);
  assert_int_equal (mig_step_complete (&j, "pbx01", MIG_CAPTURE, 1600, outs, 2), 0);
  reread (dir, &j);
  assert_int_equal (mig_next_step (&j, "pbx01"), MIG_CONVERT);
  assert_int_equal (mig_next_step (&j, "dc01"), MIG_CAPTURE);

  rec = mig_journal_record (&j, "pbx01", MIG_CAPTURE);
  assert_non_null (rec);
  assert_int_equal (rec->state, MIG_COMPLETED);
  assert_int_equal (rec->attempts, 1);
  assert_int_equal (rec->started, 1000);
  assert_int_equal (rec->ended, 1600);
  assert_int_equal (rec->outputs.len, 2);
  assert_int_equal (rec->outputs.ptr[0].bytes, 8589934592);
  assert_string_equal (rec->outputs.ptr[1].sha256, SHA_B);
  assert_null (mig_journal_record (&j, "pbx01", MIG_CONVERT));

  /* Every step to the end. */
  for (enum mig_step s = MIG_CONVERT; s < MIG_NSTEPS; s++) {
    assert_int_equal (mig_step_start (&j, "pbx01", s, 2000 + s), 0);
    assert_int_equal (mig_step_complete (&j, "pbx01", s, 2100 + s, NULL, 0), 0);
  }
  assert_int_equal (mig_next_step (&j, "pbx01"), MIG_NSTEPS);
  reread (dir, &j);
}

/* A workload resumes at its first unfinished step; a finished one is
 * never started again, and no step starts before the one before it
 * completed. */
static void
test_journal_resume (void **state)
{
  const char *dir = *state;
  CLEANUP_FREE_JOURNAL struct mig_journal j, k;

  assert_int_equal (mig_journal_open (dir, &j), 0);
  assert_int_equal (mig_step_start (&j, "dc01", MIG_CAPTURE, 10), 0);
  assert_int_equal (mig_step_complete (&j, "dc01", MIG_CAPTURE, 20, NULL, 0), 0);
  assert_int_equal (mig_step_start (&j, "dc01", MIG_CONVERT, 30), 0);
  assert_int_equal (mig_step_start (&j, "pbx01", MIG_CAPTURE, 31), 0);
  /* The run is killed here: a new one reads the journal. */
  assert_int_equal (mig_journal_open (dir, &k), 0);
  assert_int_equal (k.workloads.len, 2);
  assert_int_equal (mig_next_step (&k, "dc01"), MIG_CONVERT);
  assert_int_equal (mig_journal_record (&k, "dc01", MIG_CONVERT)->state,
                    MIG_STARTED);
  assert_int_equal (mig_next_step (&k, "pbx01"), MIG_CAPTURE);

  assert_int_equal (mig_step_start (&k, "dc01", MIG_CAPTURE, 40), -1);
  assert_non_null (strstr (core_errmsg (), "capture of dc01 has completed already"));
  assert_int_equal (mig_step_start (&k, "dc01", MIG_DEPLOY, 40), -1);
  assert_non_null (strstr (core_errmsg (), "deploy of dc01 cannot start: "
                           "convert has not completed"));
  assert_int_equal (mig_step_complete (&k, "dc01", MIG_DEPLOY, 40, NULL, 0), -1);
  assert_non_null (strstr (core_errmsg (), "deploy of dc01 has not started"));
  /* Refusals change nothing, in memory or on disk. */
  reread (dir, &k);
  /* The interrupted conversion is its second attempt. */
  assert_int_equal (mig_step_start (&k, "dc01", MIG_CONVERT, 50), 0);
  assert_int_equal (mig_journal_record (&k, "dc01", MIG_CONVERT)->attempts, 2);
  assert_int_equal (mig_journal_record (&k, "dc01", MIG_CAPTURE)->attempts, 1);
}

static void
test_journal_retry_failed (void **state)
{
  const char *dir = *state;
  CLEANUP_FREE_JOURNAL struct mig_journal j, k;
  const struct mig_record *rec;

  assert_int_equal (mig_journal_open (dir, &j), 0);
  assert_int_equal (mig_step_start (&j, "dc01", MIG_CAPTURE, 10), 0);
  assert_int_equal (mig_step_fail (&j, "dc01", MIG_CAPTURE, 15,
                                   "ssh: connection refused"), 0);
  assert_int_equal (mig_journal_open (dir, &k), 0);
  rec = mig_journal_record (&k, "dc01", MIG_CAPTURE);
  assert_int_equal (rec->state, MIG_FAILED);
  assert_string_equal (rec->reason, "ssh: connection refused");
  assert_int_equal (rec->ended, 15);
  assert_int_equal (mig_next_step (&k, "dc01"), MIG_CAPTURE);

  assert_int_equal (mig_step_start (&k, "dc01", MIG_CAPTURE, 100), 0);
  rec = mig_journal_record (&k, "dc01", MIG_CAPTURE);
  assert_int_equal (rec->state, MIG_STARTED);
  assert_int_equal (rec->attempts, 2);
  assert_null (rec->reason);
  assert_int_equal (rec->ended, CORE_UNSET);
  reread (dir, &k);
  assert_int_equal (mig_step_complete (&k, "dc01", MIG_CAPTURE, 200, NULL, 0), 0);
  assert_int_equal (mig_next_step (&k, "dc01"), MIG_CONVERT);
  reread (dir, &k);
}

/* Whatever breaks the file, the error names it and nothing is read. */
static void
test_journal_broken (void **state)
{
  const char *dir = *state;
  CLEANUP_FREE char *path = journal_path (dir);
  CLEANUP_FREE_JOURNAL struct mig_journal j;
  struct stat st;
  FILE *fp;

  assert_int_equal (mig_journal_open (dir, &j), 0);
  for (int i = 0; i < 3; i++) {
    char name[16];

    snprintf (name, sizeof name, "web%02d", i);
    assert_int_equal (mig_step_start (&j, name, MIG_CAPTURE, 10), 0);
    assert_int_equal (mig_step_fail (&j, name, MIG_CAPTURE, 12, "no route"), 0);
  }
  mig_journal_clear (&j);
  assert_int_equal (stat (path, &st), 0);
  /* Whole, it reads. */
  assert_int_equal (mig_journal_open (dir, &j), 0);
  assert_int_equal (j.workloads.len, 3);
  mig_journal_clear (&j);

  /* Cut anywhere (short of the last newline): never read. */
  for (off_t cut = 0; cut < st.st_size - 1; cut++) {
    assert_int_equal (truncate (path, cut), 0);
    if (mig_journal_open (dir, &j) != -1)
      fail_msg ("a journal cut at byte %lld was read", (long long) cut);
    assert_non_null (strstr (core_errmsg (), path));
    assert_int_equal (j.workloads.len, 0);
  }
  /* Garbage. */
  fp = fopen (path, "w");
  assert_non_null (fp);
  fputs ("\x7f" "ELF\x02\x01\x01", fp);
  fclose (fp);
  assert_int_equal (mig_journal_open (dir, &j), -1);
  assert_non_null (strstr (core_errmsg (), path));
  /* Another format's file. */
  fp = fopen (path, "w");
  fputs ("schema: p2vkit/sources/v1\nsources: []\n", fp);
  fclose (fp);
  assert_int_equal (mig_journal_open (dir, &j), -1);
  assert_non_null (strstr (core_errmsg (), path));
  assert_non_null (strstr (core_errmsg (), "expected 'p2vkit/journal/v1'"));
  /* Empty. */
  assert_int_equal (truncate (path, 0), 0);
  assert_int_equal (mig_journal_open (dir, &j), -1);
  assert_non_null (strstr (core_errmsg (), path));
  /* No work folder. */
  assert_int_equal (mig_journal_open ("/nonexistent/p2vkit", &j), -1);
  assert_non_null (strstr (core_errmsg (), "/nonexistent/p2vkit"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_sources_round_trip),
    cmocka_unit_test (test_sources_default_port),
    cmocka_unit_test (test_sources_match_plan),
    cmocka_unit_test (test_sources_fleet),
    cmocka_unit_test (test_sources_against_plan),
    cmocka_unit_test_setup_teardown (test_journal_record, unit_make_tmpdir,
                                     unit_remove_tmpdir),
    cmocka_unit_test_setup_teardown (test_journal_resume, unit_make_tmpdir,
                                     unit_remove_tmpdir),
    cmocka_unit_test_setup_teardown (test_journal_retry_failed, unit_make_tmpdir,
                                     unit_remove_tmpdir),
    cmocka_unit_test_setup_teardown (test_journal_broken, unit_make_tmpdir,
                                     unit_remove_tmpdir),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
