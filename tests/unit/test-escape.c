/* Unit tests of core_escape (core/util.c): client and file bytes made
 * safe to print. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/core.h"

static const char *
esc (const char *s)
{
  static char buf[64];
  return core_escape (s, s ? strlen (s) : 0, buf, sizeof buf);
}

static void
test_plain (void **state)
{
  (void) state;
  assert_string_equal (esc ("web-1.example_x"), "web-1.example_x");
  assert_string_equal (esc (""), "");
  assert_string_equal (esc (NULL), "");
}

static void
test_controls (void **state)
{
  (void) state;
  assert_string_equal (esc ("a\033[2Jb"), "a\\x1b[2Jb");
  assert_string_equal (esc ("tab\there\r\n"), "tab\\there\\r\\n");
  assert_string_equal (esc ("del\177"), "del\\x7f");
  /* Backslashes stay: escaping twice changes nothing (core_error escapes
   * every message, some of which quote text escaped already). */
  assert_string_equal (esc ("back\\slash"), "back\\slash");
  {
    char once[64];
    strcpy (once, esc ("a\033b"));
    assert_string_equal (esc (once), "a\\x1bb");
  }
}

static void
test_utf8 (void **state)
{
  (void) state;
  assert_string_equal (esc ("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
  /* C1 control (CSI as U+009B), a lone continuation byte, an overlong
   * slash, a truncated sequence, a surrogate, a right-to-left override. */
  assert_string_equal (esc ("\xc2\x9b" "31m"), "\\xc2\\x9b31m");
  assert_string_equal (esc ("\x9b"), "\\x9b");
  assert_string_equal (esc ("\xc0\xaf"), "\\xc0\\xaf");
  assert_string_equal (esc ("\xe2\x82"), "\\xe2\\x82");
  assert_string_equal (esc ("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  assert_string_equal (esc ("\xe2\x80\xae"), "\\xe2\\x80\\xae");
}

static void
test_cut (void **state)
{
  char small[8], tiny[4];

  (void) state;
  /* Cut before an escape or a character that would not fit whole. */
  assert_string_equal (core_escape ("abcdefgh", 8, small, sizeof small), "abcdefg");
  assert_string_equal (core_escape ("abcdefg", 7, small, sizeof small), "abcdefg");
  assert_string_equal (core_escape ("abcde\033f", 7, small, sizeof small), "abcde");
  assert_string_equal (core_escape ("ab\033cdef", 7, small, sizeof small), "ab\\x1bc");
  assert_string_equal (core_escape ("abcd", 4, tiny, sizeof tiny), "abc");
  assert_string_equal (core_escape ("abc", 3, tiny, sizeof tiny), "abc");
  for (int i = 0; i < 300; i++) {
    char in[2] = { (char) (i % 255 + 1), 0 };
    char big[600];
    memset (big, 0, sizeof big);
    core_escape (in, 1, big, sizeof big);
    for (const char *p = big; *p; p++)
      assert_false ((unsigned char) *p < 0x20 || *p == 0x7f);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_plain),
    cmocka_unit_test (test_controls),
    cmocka_unit_test (test_utf8),
    cmocka_unit_test (test_cut),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
