/* Unit tests of core/child.c: programs run for real (sh, cat, sleep). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"

static void
test_run (void **state)
{
  char *const ok[] = { "sh", "-c", "echo out; echo err >&2", NULL };
  char *const bad[] = { "sh", "-c", "echo first >&2; echo last >&2; exit 3", NULL };
  char *const none[] = { "/nonexistent/program", NULL };
  char *out = NULL;

  (void) state;
  assert_int_equal (core_run (ok, &out), 0);
  assert_string_equal (out, "out\n");
  free (out);
  assert_int_equal (core_run (bad, NULL), 3);
  assert_string_equal (core_errmsg (), "sh: exited with status 3: last");
  assert_int_equal (core_run (none, NULL), 127);
  assert_non_null (strstr (core_errmsg (), "No such file or directory"));
}

static void
test_pipes (void **state)
{
  char *const argv[] = { "cat", NULL };
  struct core_child c = {
    .io = { CORE_CHILD_PIPE, CORE_CHILD_PIPE, CORE_CHILD_INHERIT },
  };
  char *text;
  int status;

  (void) state;
  assert_int_equal (core_child_start (&c, argv), 0);
  assert_int_equal (write (c.fd[0], "abcdef", 6), 6);
  core_child_close (&c, 0);
  /* The last 4 bytes only. */
  text = core_child_read (c.fd[1], 4, 0, NULL);
  assert_string_equal (text, "cdef");
  free (text);
  assert_int_equal (core_child_wait (&c, &status), 0);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  assert_int_equal (c.pid, -1);
}

static void
test_stdout_stderr (void **state)
{
  char *const argv[] = { "sh", "-c", "echo a; echo b >&2", NULL };
  struct core_child c = {
    .io = { CORE_CHILD_NULL, CORE_CHILD_PIPE, CORE_CHILD_STDOUT },
  };
  char *text;

  (void) state;
  assert_int_equal (core_child_start (&c, argv), 0);
  text = core_child_read (c.fd[1], 0, 0, NULL);
  assert_string_equal (text, "a\nb\n");
  free (text);
  assert_int_equal (core_child_wait (&c, NULL), 0);
}

/* A deadline stops the read; stopping the group ends the shell's own
 * child too, which holds the pipe open. */
static void
test_timeout_group (void **state)
{
  char *const argv[] = { "sh", "-c", "sleep 30; echo never", NULL };
  struct core_child c = {
    .io = { CORE_CHILD_NULL, CORE_CHILD_PIPE, CORE_CHILD_INHERIT },
    .group = true,
  };
  bool timed_out = false;
  double t0 = core_monotonic ();
  char *text;

  (void) state;
  assert_int_equal (core_child_start (&c, argv), 0);
  text = core_child_read (c.fd[1], 0, 0.3, &timed_out);
  assert_true (timed_out);
  assert_string_equal (text, "");
  free (text);
  core_child_stop (&c, SIGKILL);
  assert_int_equal (c.pid, -1);
  assert_true (core_monotonic () - t0 < 10);
}

static void
test_last_line (void **state)
{
  char text[] = "one\ntwo\n\n";

  (void) state;
  assert_string_equal (core_last_line (text), "two");
  assert_null (core_last_line (NULL));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_run),
    cmocka_unit_test (test_pipes),
    cmocka_unit_test (test_stdout_stderr),
    cmocka_unit_test (test_timeout_group),
    cmocka_unit_test (test_last_line),
  };
  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
