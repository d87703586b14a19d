/* Unit tests of core/util.c's string helpers and text buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/core.h"

/* { text, suffix, core_ends_with, core_ends_with_nocase } */
static const struct {
  const char *s, *suffix;
  bool exact, nocase;
} ends[] = {
  { "freebsd", "bsd", true, true },
  { "bsd", "bsd", true, true },
  { "x", "", true, true },
  { "sd", "bsd", false, false },
  { "bsdx", "bsd", false, false },
  { "hosts.CSV", ".csv", false, true },
  { "hosts.csv", ".CSV", false, true },
  { "csv", ".csv", false, false },
};

static void
test_ends_with (void **state)
{
  (void) state;
  for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
    assert_int_equal (core_ends_with (ends[i].s, ends[i].suffix), ends[i].exact);
    assert_int_equal (core_ends_with_nocase (ends[i].s, ends[i].suffix),
                      ends[i].nocase);
  }
}

static void
test_buffer (void **state)
{
  core_buffer b = { 0 };

  (void) state;
  assert_int_equal (core_buffer_add (&b, "", 0), 0);
  assert_string_equal (b.ptr, "");
  assert_int_equal (core_buffer_add (&b, "ab", 2), 0);
  for (int i = 0; i < 1000; i++)
    assert_int_equal (core_buffer_printf (&b, " %d", i), 0);
  assert_int_equal (b.len, strlen (b.ptr));
  assert_memory_equal (b.ptr, "ab 0 1 2", 8);
  assert_string_equal (b.ptr + b.len - 4, " 999");
  core_buffer_reset (&b);
  assert_null (b.ptr);
  /* Nothing added is "" too. */
  {
    char *text = core_buffer_take (&b);
    assert_string_equal (text, "");
    assert_null (b.ptr);
    free (text);
  }
}

/* Words quoted for a remote shell come back whole through sh -c. */
static void
test_shell_word (void **state)
{
  static const char *const words[] = {
    "", "plain", "two words", "it's", "'", "''", "$(id) `id` \\ \"q\" ; | &",
    "--name", "a\nb",
  };

  (void) state;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    core_buffer b = { 0 };
    CLEANUP_FREE char *cmd = NULL, *out = NULL;
    FILE *fp;
    size_t n;

    assert_int_equal (core_buffer_add (&b, "printf %s ", 10), 0);
    assert_int_equal (core_buffer_add_shell_word (&b, words[i]), 0);
    cmd = core_buffer_take (&b);
    fp = popen (cmd, "r");
    assert_non_null (fp);
    out = calloc (1, 256);
    n = fread (out, 1, 255, fp);
    assert_int_equal (pclose (fp), 0);
    out[n] = '\0';
    assert_string_equal (out, words[i]);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_ends_with),
    cmocka_unit_test (test_buffer),
    cmocka_unit_test (test_shell_word),
  };
  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
