/* Unit tests of core/util.c's string helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"

static void
test_ends_with (void **state)
{
  (void) state;
  assert_true (core_ends_with ("freebsd", "bsd"));
  assert_true (core_ends_with ("bsd", "bsd"));
  assert_true (core_ends_with ("x", ""));
  assert_false (core_ends_with ("sd", "bsd"));
  assert_false (core_ends_with ("hosts.CSV", ".csv"));
  assert_false (core_ends_with ("bsdx", "bsd"));
}

static void
test_ends_with_nocase (void **state)
{
  (void) state;
  assert_true (core_ends_with_nocase ("hosts.CSV", ".csv"));
  assert_true (core_ends_with_nocase ("hosts.csv", ".CSV"));
  assert_false (core_ends_with_nocase ("csv", ".csv"));
  assert_false (core_ends_with_nocase ("hosts.csvx", ".csv"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_ends_with),
    cmocka_unit_test (test_ends_with_nocase),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
