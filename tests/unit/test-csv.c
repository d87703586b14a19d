/* Unit tests of the CSV reader (core/csv.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/core.h"

/* Parse S (without its NUL: the reader must not look past LEN). */
static int
parse (const char *s, struct core_csv *csv)
{
  size_t len = strlen (s);
  char *copy = malloc (len ? len : 1);
  int r;

  assert_non_null (copy);
  memcpy (copy, s, len);
  r = core_csv_parse ("t.csv", copy, len, csv);
  free (copy);
  return r;
}

/* Parse S, which must fail with MSG, leaving CSV empty. */
static void
parse_fails (const char *s, const char *msg)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };

  assert_int_equal (parse (s, &csv), -1);
  assert_string_equal (core_errmsg (), msg);
  assert_int_equal (csv.rows.len, 0);
  assert_null (csv.rows.ptr);
}

static const char *
cell (const struct core_csv *csv, size_t row, size_t col)
{
  assert_true (row < csv->rows.len);
  assert_true (col < csv->rows.ptr[row].fields.len);
  return csv->rows.ptr[row].fields.ptr[col];
}

static void
check_row (const struct core_csv *csv, size_t row, size_t line, size_t n, ...)
{
  va_list ap;

  assert_true (row < csv->rows.len);
  assert_int_equal (csv->rows.ptr[row].line, line);
  assert_int_equal (csv->rows.ptr[row].fields.len, n);
  va_start (ap, n);
  for (size_t i = 0; i < n; i++)
    assert_string_equal (cell (csv, row, i), va_arg (ap, const char *));
  va_end (ap);
}

/* An input that parses: every row it gives, with the line the row starts
 * on and its fields. */
struct rows_case
{
  const char *input;
  size_t n;
  struct
  {
    size_t line, n;
    const char *field[3];
  } row[5];
};

static void
test_rows (void **state)
{
  const struct rows_case *c = *state;
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };

  assert_int_equal (parse (c->input, &csv), 0);
  assert_int_equal (csv.rows.len, c->n);
  for (size_t r = 0; r < c->n; r++) {
    assert_int_equal (csv.rows.ptr[r].line, c->row[r].line);
    assert_int_equal (csv.rows.ptr[r].fields.len, c->row[r].n);
    for (size_t i = 0; i < c->row[r].n; i++)
      assert_string_equal (cell (&csv, r, i), c->row[r].field[i]);
  }
}

static struct rows_case simple = {
  "a,b,c\n1,2,3\n", 2, { { 1, 3, { "a", "b", "c" } }, { 2, 3, { "1", "2", "3" } } }
};

static struct rows_case empty_fields = {
  "a,b,c\n,,\n\"\",x,\n", 3,
  { { 1, 3, { "a", "b", "c" } }, { 2, 3, { "", "", "" } }, { 3, 3, { "", "x", "" } } }
};

/* Line breaks inside quotes are kept as they are, and counted: the third
 * row spans lines 3 to 6. */
static struct rows_case quoting = {
  "a,b,c\n"
  "\"x,y\",\"say \"\"hi\"\"\",\"\"\"\"\n"
  "\"two\nlines\",\"crlf\r\ninside\",\"cr\rinside\"\n"
  "\"\",\" spaces \",\"a\"\"\"\n"
  "last,row,here\n", 5,
  { { 1, 3, { "a", "b", "c" } },
    { 2, 3, { "x,y", "say \"hi\"", "\"" } },
    { 3, 3, { "two\nlines", "crlf\r\ninside", "cr\rinside" } },
    { 7, 3, { "", " spaces ", "a\"" } },
    { 8, 3, { "last", "row", "here" } } }
};

/* RFC 4180: spaces are part of a field. */
static struct rows_case spaces_kept = { " a , b \n", 1, { { 1, 2, { " a ", " b " } } } };

static struct rows_case bom = {
  "\xef\xbb\xbfname,os\nx,y\n", 2, { { 1, 2, { "name", "os" } }, { 2, 2, { "x", "y" } } }
};

static struct rows_case bom_only = { "\xef\xbb\xbf", 0, { { 0 } } };

/* Only at the very start is it a byte order mark. */
static struct rows_case bom_elsewhere = {
  "a\n\xef\xbb\xbf" "b\n", 2, { { 1, 1, { "a" } }, { 2, 1, { "\xef\xbb\xbf" "b" } } }
};

static struct rows_case crlf = {
  "a,b\r\n1,2\r\n\"3\",\"4\"\r\n", 3,
  { { 1, 2, { "a", "b" } }, { 2, 2, { "1", "2" } }, { 3, 2, { "3", "4" } } }
};

static struct rows_case lone_cr = {
  "a,b\r1,2\r\"3\",4\r", 3,
  { { 1, 2, { "a", "b" } }, { 2, 2, { "1", "2" } }, { 3, 2, { "3", "4" } } }
};

static struct rows_case mixed_line_ends = {
  "a\r\nb\nc\rd", 4, { { 1, 1, { "a" } }, { 2, 1, { "b" } }, { 3, 1, { "c" } }, { 4, 1, { "d" } } }
};

static struct rows_case empty_lines = {
  "\n\r\na,b\n\n\r\n1,2\r\r\n\n3,4\n\n", 3,
  { { 3, 2, { "a", "b" } }, { 6, 2, { "1", "2" } }, { 9, 2, { "3", "4" } } }
};
static void
test_bom_not_counted (void **state)
{
  (void) state;
  /* The byte order mark is not a column of line 1. */
  parse_fails ("\xef\xbb\xbf" "ab\"c\n", "t.csv:1:3: quote in unquoted field");
}

static void
test_blank_line_is_a_row (void **state)
{
  (void) state;
  /* Only empty lines are skipped: a line of spaces is a row of one
   * field. */
  parse_fails ("a,b\n  \n1,2\n", "t.csv:2: expected 2 fields, got 1");
}

static void
test_no_final_newline (void **state)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };

  (void) state;
  assert_int_equal (parse ("a,b\n1,2", &csv), 0);
  assert_int_equal (csv.rows.len, 2);
  check_row (&csv, 1, 2, 2, "1", "2");
  core_csv_clear (&csv);

  assert_int_equal (parse ("a,b\n1,\"2\"", &csv), 0);
  check_row (&csv, 1, 2, 2, "1", "2");
  core_csv_clear (&csv);

  /* A trailing comma: the last field is empty. */
  assert_int_equal (parse ("a,b\n1,", &csv), 0);
  check_row (&csv, 1, 2, 2, "1", "");
}

static void
test_empty_input (void **state)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };

  (void) state;
  assert_int_equal (core_csv_parse ("t.csv", NULL, 0, &csv), 0);
  assert_int_equal (csv.rows.len, 0);
  assert_int_equal (parse ("\n\n\r\n", &csv), 0);
  assert_int_equal (csv.rows.len, 0);
}

static void
test_len_honoured (void **state)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };
  const char *s = "a,b\n1,2\nignored,\"";

  (void) state;
  assert_int_equal (core_csv_parse ("t.csv", s, 7, &csv), 0);
  assert_int_equal (csv.rows.len, 2);
  check_row (&csv, 1, 2, 2, "1", "2");
}

static void
test_unterminated (void **state)
{
  (void) state;
  parse_fails ("a,b\n1,\"2\n", "t.csv:2:3: unterminated quoted field");
  /* Where the quote opened, however far the field runs. */
  parse_fails ("a,b\nx,y\n\"one\ntwo\nthree,", "t.csv:3:1: unterminated quoted field");
  parse_fails ("\"", "t.csv:1:1: unterminated quoted field");
  parse_fails ("a,\"b\"\"", "t.csv:1:3: unterminated quoted field");
}

static void
test_quote_in_unquoted (void **state)
{
  (void) state;
  parse_fails ("a,b\n12\"3,4\n", "t.csv:2:3: quote in unquoted field");
  parse_fails ("a,b\nx, \"y\"\n", "t.csv:2:4: quote in unquoted field");
}

static void
test_after_closing_quote (void **state)
{
  (void) state;
  parse_fails ("a,b\n\"x\"y,z\n", "t.csv:2:4: unexpected character after closing quote");
  parse_fails ("a,b\n\"x\" ,z\n", "t.csv:2:4: unexpected character after closing quote");
  /* The column of a later line of a multi-line field. */
  parse_fails ("a,b\n1,\"x\ny\"z\n", "t.csv:3:3: unexpected character after closing quote");
}

static void
test_field_count (void **state)
{
  (void) state;
  parse_fails ("a,b,c\n1,2,3\n1,2\n", "t.csv:3: expected 3 fields, got 2");
  parse_fails ("a,b\n1,2,3\n", "t.csv:2: expected 2 fields, got 3");
  /* The line the row starts on. */
  parse_fails ("a,b\n\n\"x\ny\",2,3\n", "t.csv:3: expected 2 fields, got 3");
}

static void
test_nul (void **state)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };

  (void) state;
  assert_int_equal (core_csv_parse ("t.csv", "a,b\n1,\0002\n", 9, &csv), -1);
  assert_string_equal (core_errmsg (), "t.csv:2:3: NUL byte in CSV");
  assert_int_equal (core_csv_parse ("t.csv", "a,\"b\0\"\n", 7, &csv), -1);
  assert_string_equal (core_errmsg (), "t.csv:1:5: NUL byte in CSV");
  assert_int_equal (core_csv_parse ("t.csv", "a,\"b\"\0\n", 7, &csv), -1);
  assert_string_equal (core_errmsg (), "t.csv:1:6: NUL byte in CSV");
  assert_int_equal (core_csv_parse ("t.csv", "\0", 1, &csv), -1);
  assert_string_equal (core_errmsg (), "t.csv:1:1: NUL byte in CSV");
  assert_int_equal (csv.rows.len, 0);
}

static void
test_utf8 (void **state)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };

  (void) state;
  assert_int_equal (parse ("caf\xc3\xa9,\"\xe2\x82\xac 5\",\xf0\x9f\x98\x80\n", &csv), 0);
  check_row (&csv, 0, 1, 3, "caf\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9f\x98\x80");

  /* Latin-1, as a legacy spreadsheet saves it. */
  parse_fails ("a,b\ncaf\xe9,x\n", "t.csv:2:4: invalid UTF-8");
  parse_fails ("a,b\nx,\"caf\xe9\"\n", "t.csv:2:7: invalid UTF-8");
  /* Overlong, surrogate, above U+10FFFF, a lone continuation byte. */
  parse_fails ("\xc0\xaf", "t.csv:1:1: invalid UTF-8");
  parse_fails ("\xe0\x80\xaf", "t.csv:1:1: invalid UTF-8");
  parse_fails ("ab\xed\xa0\x80", "t.csv:1:3: invalid UTF-8");
  parse_fails ("\xf4\x90\x80\x80", "t.csv:1:1: invalid UTF-8");
  parse_fails ("\x80", "t.csv:1:1: invalid UTF-8");
  /* Cut short by the end of the buffer. */
  parse_fails ("a,\xe2\x82", "t.csv:1:3: invalid UTF-8");
  parse_fails ("a,\"\xf0\x9f\x98", "t.csv:1:4: invalid UTF-8");
}

static void
test_clear_null (void **state)
{
  struct core_csv csv = { 0 };

  (void) state;
  core_csv_clear (NULL);
  core_csv_clear (&csv);
  core_csv_clear (&csv);
}

static void
test_many_rows (void **state)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };
  CLEANUP_FREE char *buf = NULL;
  size_t size = 0;
  FILE *fp = open_memstream (&buf, &size);

  (void) state;
  assert_non_null (fp);
  fprintf (fp, "n,sq,text\n");
  for (int i = 0; i < 10000; i++)
    fprintf (fp, "%d,%d,\"row %d, \"\"quoted\"\"\"\r\n", i, i * i, i);
  assert_int_equal (fclose (fp), 0);

  assert_int_equal (core_csv_parse ("big.csv", buf, size, &csv), 0);
  assert_int_equal (csv.rows.len, 10001);
  check_row (&csv, 10000, 10001, 3, "9999", "99980001",
             "row 9999, \"quoted\"");
}

/* One test per case, named as a test function would be. */
#define ROWS_TEST(c) { "test_" #c, test_rows, NULL, NULL, &c }

int
main (void)
{
  const struct CMUnitTest tests[] = {
    ROWS_TEST (simple),
    ROWS_TEST (empty_fields),
    ROWS_TEST (quoting),
    ROWS_TEST (spaces_kept),
    ROWS_TEST (bom),
    cmocka_unit_test (test_bom_not_counted),
    ROWS_TEST (bom_only),
    ROWS_TEST (bom_elsewhere),
    ROWS_TEST (crlf),
    ROWS_TEST (lone_cr),
    ROWS_TEST (mixed_line_ends),
    ROWS_TEST (empty_lines),
    cmocka_unit_test (test_blank_line_is_a_row),
    cmocka_unit_test (test_no_final_newline),
    cmocka_unit_test (test_empty_input),
    cmocka_unit_test (test_len_honoured),
    cmocka_unit_test (test_unterminated),
    cmocka_unit_test (test_quote_in_unquoted),
    cmocka_unit_test (test_after_closing_quote),
    cmocka_unit_test (test_field_count),
    cmocka_unit_test (test_nul),
    cmocka_unit_test (test_utf8),
    cmocka_unit_test (test_clear_null),
    cmocka_unit_test (test_many_rows),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
