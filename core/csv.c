/* An RFC 4180 CSV reader, with the usual leniencies: a UTF-8 byte order
 * mark, LF, CRLF or CR line ends, no line end after the last row, and
 * empty lines (zero bytes between two line ends) are skipped.
 *
 * Positions in messages are LINE:COL, both 1-based.  COL counts bytes
 * from the start of the line; the byte order mark is not part of line 1.
 * A line break inside a quoted field starts a new line, so a row can
 * span several lines: a row records the line it starts on.
 *
 * The text must be UTF-8, as everything p2vkit reads and writes is: a
 * file saved in a legacy code page is refused at its first foreign byte
 * rather than carried into profiles that could not be written. */
#include <string.h>

#include "core.h"

/* A row of servers is a few hundred bytes; a longer one is not a list of
 * servers, and the limit keeps one runaway quoted field from being copied
 * whole before the error. */
#define MAX_ROW (64 * 1024)

DEFINE_VECTOR_TYPE (byte_vector, char)

struct scanner {
  const char *name;
  const char *buf;
  size_t len;
  size_t pos;
  size_t line;                  /* of pos */
  size_t line_start;            /* offset of the first byte of that line */
  size_t row_line;              /* where the current row starts */
  size_t row_end;               /* offset past which the row is too long */
};

static void
row_too_long (const struct scanner *s)
{
  core_error_at (s->name, s->row_line, 0, "a row longer than %d KiB",
                 MAX_ROW / 1024);
}

static size_t
col_of (const struct scanner *s, size_t pos)
{
  return pos - s->line_start + 1;
}

/* At a line end (CR, LF or CRLF) at s->pos: step over it.  INTO, when not
 * NULL, receives the bytes as they are (line breaks inside quotes are
 * part of the field). */
static int
line_end (struct scanner *s, byte_vector *into)
{
  size_t n = 1;

  if (s->buf[s->pos] == '\r' && s->pos + 1 < s->len
      && s->buf[s->pos + 1] == '\n')
    n = 2;
  if (into) {
    if (byte_vector_reserve (into, n) == -1)
      return -1;
    memcpy (into->ptr + into->len, s->buf + s->pos, n);
    into->len += n;
  }
  s->pos += n;
  s->line++;
  s->line_start = s->pos;
  return 0;
}

/* The length of the UTF-8 character at the position, or 0 with the error
 * set. */
static size_t
utf8_here (const struct scanner *s)
{
  size_t n = core_utf8_len ((const unsigned char *) s->buf + s->pos,
                            s->len - s->pos);

  if (n == 0)
    core_error_at (s->name, s->line, col_of (s, s->pos), "invalid UTF-8");
  return n;
}

static bool
at_line_end (const struct scanner *s)
{
  return s->buf[s->pos] == '\n' || s->buf[s->pos] == '\r';
}

/* One field starting at s->pos.  On return s->pos is at the ',' or line
 * end that ends it, or at the end of the buffer. */
static char *
field (struct scanner *s, byte_vector *tmp)
{
  const char *buf = s->buf;

  /* Also here: a row of commas has no field bytes to check. */
  if (s->pos > s->row_end) {
    row_too_long (s);
    return NULL;
  }
  if (s->pos < s->len && buf[s->pos] == '"') {
    size_t open_line = s->line, open_col = col_of (s, s->pos);

    tmp->len = 0;
    s->pos++;
    for (;;) {
      char c;

      if (s->pos >= s->len) {
        core_error_at (s->name, open_line, open_col,
                       "unterminated quoted field");
        return NULL;
      }
      if (s->pos > s->row_end) {
        row_too_long (s);
        return NULL;
      }
      c = buf[s->pos];
      if (c == '\0') {
        core_error_at (s->name, s->line, col_of (s, s->pos),
                       "NUL byte in CSV");
        return NULL;
      }
      if (c == '"') {
        if (s->pos + 1 < s->len && buf[s->pos + 1] == '"') {
          if (byte_vector_append (tmp, '"') == -1)
            return NULL;
          s->pos += 2;
          continue;
        }
        s->pos++;
        break;
      }
      if (c == '\n' || c == '\r') {
        if (line_end (s, tmp) == -1)
          return NULL;
        continue;
      }
      if ((unsigned char) c >= 0x80) {
        size_t n = utf8_here (s);

        if (n == 0)
          return NULL;
        if (byte_vector_reserve (tmp, n) == -1)
          return NULL;
        memcpy (tmp->ptr + tmp->len, buf + s->pos, n);
        tmp->len += n;
        s->pos += n;
        continue;
      }
      if (byte_vector_append (tmp, c) == -1)
        return NULL;
      s->pos++;
    }
    if (s->pos < s->len && buf[s->pos] != ',' && !at_line_end (s)) {
      if (buf[s->pos] == '\0')
        core_error_at (s->name, s->line, col_of (s, s->pos),
                       "NUL byte in CSV");
      else
        core_error_at (s->name, s->line, col_of (s, s->pos),
                       "unexpected character after closing quote");
      return NULL;
    }
    return core_strndup (tmp->ptr ? tmp->ptr : "", tmp->len);
  }
  else {
    size_t start = s->pos;

    while (s->pos < s->len) {
      char c = buf[s->pos];

      if (c == ',' || c == '\n' || c == '\r')
        break;
      if (s->pos > s->row_end) {
        row_too_long (s);
        return NULL;
      }
      if (c == '"') {
        core_error_at (s->name, s->line, col_of (s, s->pos),
                       "quote in unquoted field");
        return NULL;
      }
      if (c == '\0') {
        core_error_at (s->name, s->line, col_of (s, s->pos),
                       "NUL byte in CSV");
        return NULL;
      }
      if ((unsigned char) c >= 0x80) {
        size_t n = utf8_here (s);

        if (n == 0)
          return NULL;
        s->pos += n;
        continue;
      }
      s->pos++;
    }
    return core_strndup (buf + start, s->pos - start);
  }
}

static void
row_free (struct core_csv_row *row)
{
  core_string_vector_free (&row->fields);
}

void
core_csv_clear (struct core_csv *csv)
{
  if (csv == NULL)
    return;
  for (size_t i = 0; i < csv->rows.len; i++)
    row_free (&csv->rows.ptr[i]);
  core_csv_row_vector_reset (&csv->rows);
}

void
core_cleanup_csv (struct core_csv *csv)
{
  core_csv_clear (csv);
}

/* OUT must be empty (zeroed or cleared); on success it holds the rows,
 * on failure it is left empty. */
int
core_csv_parse (const char *name, const char *buf, size_t len,
                struct core_csv *out)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };
  struct scanner s = { .name = name, .buf = buf, .len = len, .line = 1 };
  byte_vector tmp = { 0 };
  int r = -1;

  if (len > CORE_INPUT_MAX) {
    core_error ("%s: larger than %d MiB, the most a p2vkit file may hold",
                name, CORE_INPUT_MAX >> 20);
    return -1;
  }
  if (len >= 3 && memcmp (buf, "\xef\xbb\xbf", 3) == 0)
    s.pos = s.line_start = 3;

  while (s.pos < s.len) {
    struct core_csv_row row = { .line = s.line };

    s.row_line = s.line;
    s.row_end = s.pos + MAX_ROW;

    /* An empty line. */
    if (at_line_end (&s)) {
      line_end (&s, NULL);
      continue;
    }

    for (;;) {
      char *f = field (&s, &tmp);

      if (f == NULL || core_string_vector_append (&row.fields, f) == -1) {
        free (f);
        row_free (&row);
        goto out;
      }
      if (s.pos >= s.len)
        break;
      if (buf[s.pos] == ',') {
        s.pos++;
        continue;
      }
      /* A line end. */
      line_end (&s, NULL);
      break;
    }

    if (csv.rows.len > 0 && row.fields.len != csv.rows.ptr[0].fields.len) {
      core_error_at (name, row.line, 0, "expected %zu fields, got %zu",
                     csv.rows.ptr[0].fields.len, row.fields.len);
      row_free (&row);
      goto out;
    }
    if (core_csv_row_vector_append (&csv.rows, row) == -1) {
      row_free (&row);
      goto out;
    }
  }

  *out = csv;
  csv = (struct core_csv) { 0 };
  r = 0;
 out:
  byte_vector_reset (&tmp);
  return r;
}
