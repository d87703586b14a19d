/* A small JSON writer for the --json outputs: values written as they come,
 * indented two spaces per level, strings escaped, numbers as JSON numbers
 * (non-finite ones, which JSON lacks, as null). */
#include <math.h>
#include <string.h>

#include "core.h"

void
core_json_begin (struct core_json *j, FILE *fp)
{
  memset (j, 0, sizeof *j);
  j->fp = fp;
  j->first = true;
}

/* Before a value: the comma and line break after the previous one. */
static void
before_value (struct core_json *j)
{
  if (j->after_key) {
    j->after_key = false;
    return;
  }
  if (j->depth > 0)
    fprintf (j->fp, "%s\n%*s", j->first ? "" : ",", 2 * j->depth, "");
  j->first = false;
}

static void
write_string (FILE *fp, const char *s)
{
  fputc ('"', fp);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    switch (*p) {
    case '"': fputs ("\\\"", fp); break;
    case '\\': fputs ("\\\\", fp); break;
    case '\n': fputs ("\\n", fp); break;
    case '\r': fputs ("\\r", fp); break;
    case '\t': fputs ("\\t", fp); break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        fprintf (fp, "\\u%04x", *p);
      else
        fputc (*p, fp);
    }
  }
  fputc ('"', fp);
}

static void
open_container (struct core_json *j, char c)
{
  before_value (j);
  fputc (c, j->fp);
  j->depth++;
  j->first = true;
}

static void
close_container (struct core_json *j, char c)
{
  if (j->depth == 0) {
    j->failed = true;
    return;
  }
  j->depth--;
  if (!j->first)
    fprintf (j->fp, "\n%*s", 2 * j->depth, "");
  fputc (c, j->fp);
  j->first = false;
}

void core_json_object_begin (struct core_json *j) { open_container (j, '{'); }
void core_json_object_end (struct core_json *j) { close_container (j, '}'); }
void core_json_array_begin (struct core_json *j) { open_container (j, '['); }
void core_json_array_end (struct core_json *j) { close_container (j, ']'); }

void
core_json_key (struct core_json *j, const char *key)
{
  before_value (j);
  write_string (j->fp, key ? key : "");
  fputs (": ", j->fp);
  j->after_key = true;
}

void
core_json_string (struct core_json *j, const char *s)
{
  if (s == NULL) {
    core_json_null (j);
    return;
  }
  before_value (j);
  write_string (j->fp, s);
}

void
core_json_int (struct core_json *j, int64_t v)
{
  before_value (j);
  fprintf (j->fp, "%lld", (long long) v);
}

void
core_json_double (struct core_json *j, double v)
{
  char buf[64];

  if (!isfinite (v)) {
    core_json_null (j);
    return;
  }
  before_value (j);
  core_format_double (v, buf, sizeof buf);
  fputs (buf, j->fp);
}

void
core_json_number (struct core_json *j, const char *key, double v)
{
  core_json_key (j, key);
  if (v == CORE_UNSET)
    core_json_null (j);
  else
    core_json_double (j, v);
}

void
core_json_bool (struct core_json *j, bool b)
{
  before_value (j);
  fputs (b ? "true" : "false", j->fp);
}

void
core_json_null (struct core_json *j)
{
  before_value (j);
  fputs ("null", j->fp);
}

int
core_json_end (struct core_json *j)
{
  if (j->failed || j->depth != 0) {
    core_error ("JSON output: unbalanced objects or arrays");
    return -1;
  }
  fputc ('\n', j->fp);
  if (fflush (j->fp) != 0 || ferror (j->fp)) {
    core_error_errno ("write error");
    return -1;
  }
  return 0;
}
