/* Unit tests of struct core_notify (core/notify.c): what reaches the
 * front end, and that a missing notify or member is no error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"

struct seen {
  char text[4096];
  enum core_notice kind;
  int notices, starts, steps, ends;
  uint64_t done, sent, total;
  char what[64], outcome[64];
  bool stop;
};

static void
on_notice (void *opaque, enum core_notice kind, const char *msg)
{
  struct seen *s = opaque;

  snprintf (s->text, sizeof s->text, "%s", msg);
  s->kind = kind;
  s->notices++;
}

static void
on_start (void *opaque, const char *what, uint64_t total)
{
  struct seen *s = opaque;

  snprintf (s->what, sizeof s->what, "%s", what);
  s->total = total;
  s->starts++;
}

static void
on_progress (void *opaque, const char *what, uint64_t done, uint64_t sent,
             uint64_t total)
{
  struct seen *s = opaque;

  (void) what;
  s->done = done, s->sent = sent, s->total = total;
  s->steps++;
}

static void
on_end (void *opaque, const char *outcome, uint64_t done, uint64_t sent)
{
  struct seen *s = opaque;

  snprintf (s->outcome, sizeof s->outcome, "%s", outcome);
  s->done = done, s->sent = sent;
  s->ends++;
}

static bool
on_cancelled (void *opaque)
{
  return ((struct seen *) opaque)->stop;
}

static void
test_all (void **state)
{
  struct seen s = { 0 };
  const struct core_notify n = {
    .progress_start = on_start, .progress = on_progress,
    .progress_end = on_end, .notice = on_notice, .cancelled = on_cancelled,
    .opaque = &s,
  };

  (void) state;
  core_notice (&n, CORE_NOTICE_INFO, "host %s: %d", "h1", 3);
  assert_string_equal (s.text, "host h1: 3");
  assert_int_equal (s.kind, CORE_NOTICE_INFO);
  /* A notice is shown as it is: deploy --dry-run's definitions span
   * lines and are longer than a line buffer. */
  {
    char *xml = malloc (3001);
    assert_non_null (xml);
    memset (xml, 'x', 3000);
    xml[1000] = '\n';
    xml[3000] = '\0';
    core_notice (&n, CORE_NOTICE_INFO, "%s", xml);
    assert_string_equal (s.text, xml);
    free (xml);
  }
  core_notify_start (&n, "copying sda", 100);
  core_notify_progress (&n, NULL, 50, 20, 100);
  core_notify_end (&n, "done", 100, 40);
  assert_int_equal (s.starts, 1);
  assert_int_equal (s.steps, 1);
  assert_int_equal (s.ends, 1);
  assert_string_equal (s.what, "copying sda");
  assert_string_equal (s.outcome, "done");
  assert_int_equal (s.done, 100);
  assert_int_equal (s.sent, 40);
  assert_false (core_cancelled (&n));
  s.stop = true;
  assert_true (core_cancelled (&n));
}

static void
test_missing (void **state)
{
  const struct core_notify empty = { 0 };

  (void) state;
  core_notice (NULL, CORE_NOTICE_WARNING, "dropped");
  core_notice (&empty, CORE_NOTICE_WARNING, "dropped");
  core_notify_start (NULL, "x", 1);
  core_notify_progress (&empty, "x", 1, 1, 1);
  core_notify_end (NULL, "done", 1, 1);
  assert_false (core_cancelled (NULL));
  assert_false (core_cancelled (&empty));
  core_set_notify (NULL);
  core_warning ("dropped");
}

/* core_warning goes to the thread's notify, one line. */
static void
test_warning (void **state)
{
  struct seen s = { 0 };
  const struct core_notify n = { .notice = on_notice, .opaque = &s };

  (void) state;
  core_set_notify (&n);
  assert_ptr_equal (core_thread_notify (), &n);
  core_warning ("t.csv:%d: two\nlines", 3);
  core_set_notify (NULL);
  assert_int_equal (s.notices, 1);
  assert_int_equal (s.kind, CORE_NOTICE_WARNING);
  assert_string_equal (s.text, "t.csv:3: two lines");
  core_warning ("not seen");
  assert_int_equal (s.notices, 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_all),
    cmocka_unit_test (test_missing),
    cmocka_unit_test (test_warning),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
