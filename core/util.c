/* Small helpers: cleanup functions, vectors, checked arithmetic, strings
 * and number parsing. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void
core_cleanup_free (void *ptr)
{
  free (*(void **) ptr);
}

void
core_cleanup_fclose (void *ptr)
{
  FILE *fp = *(FILE **) ptr;

  if (fp)
    fclose (fp);
}

bool
core_mul_size (size_t a, size_t b, size_t *out)
{
  return !__builtin_mul_overflow (a, b, out);
}

bool
core_add_size (size_t a, size_t b, size_t *out)
{
  return !__builtin_add_overflow (a, b, out);
}

int
core_vector_reserve (void **ptr, size_t *cap, size_t len, size_t n,
                     size_t elemsize)
{
  size_t want, newcap, bytes;
  void *p;

  if (!core_add_size (len, n, &want)) {
    core_error ("vector size overflow");
    return -1;
  }
  if (want <= *cap)
    return 0;
  /* Grow by half again, so appends are amortized O(1). */
  newcap = *cap + *cap / 2;
  if (newcap < want)
    newcap = want;
  if (newcap < 8)
    newcap = 8;
  if (!core_mul_size (newcap, elemsize, &bytes)) {
    core_error ("vector size overflow");
    return -1;
  }
  p = realloc (*ptr, bytes);
  if (p == NULL) {
    core_error ("out of memory");
    return -1;
  }
  *ptr = p;
  *cap = newcap;
  return 0;
}

void
core_string_vector_free (core_string_vector *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->len; i++)
    free (v->ptr[i]);
  core_string_vector_reset (v);
}

char *
core_strdup (const char *s)
{
  char *r;

  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    core_error ("out of memory");
  return r;
}

char *
core_strndup (const char *s, size_t n)
{
  char *r = strndup (s, n);

  if (r == NULL)
    core_error ("out of memory");
  return r;
}

char *
core_sprintf (const char *fmt, ...)
{
  va_list ap;
  char *r;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&r, fmt, ap);
  va_end (ap);
  if (n < 0) {
    core_error ("out of memory");
    return NULL;
  }
  return r;
}

/* Show at most this much of a bad value in an error message. */
static const char *
shorten (const char *s, char *buf, size_t len)
{
  size_t n = strlen (s);

  if (n < len)
    return s;
  snprintf (buf, len, "%.*s...", (int) (len - 4), s);
  return buf;
}

int
core_parse_int64 (const char *s, const char *field, int64_t min, int64_t max,
                  int64_t *out)
{
  char shortbuf[64];
  const char *p = s;
  long long v;
  char *end;

  if (*p == '+' || *p == '-')
    p++;
  if (*p < '0' || *p > '9')
    goto bad;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (*end != '\0')
    goto bad;
  if (errno == ERANGE || v < min || v > max) {
    if (max == INT64_MAX)
      core_error ("%s: %s is out of range (at least %lld)", field,
                  shorten (s, shortbuf, sizeof shortbuf), (long long) min);
    else
      core_error ("%s: %s is out of range (%lld to %lld)", field,
                  shorten (s, shortbuf, sizeof shortbuf),
                  (long long) min, (long long) max);
    return -1;
  }
  *out = v;
  return 0;

 bad:
  core_error ("%s: expected an integer, got '%s'", field,
              shorten (s, shortbuf, sizeof shortbuf));
  return -1;
}

int
core_parse_double (const char *s, const char *field, double min, double max,
                   double *out)
{
  char shortbuf[64];
  const char *p = s;
  double v;
  char *end;

  /* strtod also takes hex, inf and nan; a number in these files is
   * plain decimal, so check the characters first. */
  if (*p == '+' || *p == '-')
    p++;
  if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
    goto bad;
  for (; *p; p++)
    if (!strchr ("0123456789.eE+-", *p))
      goto bad;
  errno = 0;
  v = strtod (s, &end);
  if (*end != '\0')
    goto bad;
  if (errno == ERANGE || !isfinite (v) || v < min || v > max) {
    char a[32], b[32];

    core_format_double (min, a, sizeof a);
    core_format_double (max, b, sizeof b);
    if (max == DBL_MAX)
      core_error ("%s: %s is out of range (at least %s)", field,
                  shorten (s, shortbuf, sizeof shortbuf), a);
    else
      core_error ("%s: %s is out of range (%s to %s)", field,
                  shorten (s, shortbuf, sizeof shortbuf), a, b);
    return -1;
  }
  *out = v == 0 ? 0 : v;        /* no negative zero */
  return 0;

 bad:
  core_error ("%s: expected a number, got '%s'", field,
              shorten (s, shortbuf, sizeof shortbuf));
  return -1;
}

void
core_format_double (double v, char *buf, size_t len)
{
  /* Integers print as integers; otherwise the shortest of %.15g..%.17g
   * that reads back as the same double.  The range is tested before the
   * cast: casting a double beyond long long's range is undefined (found
   * by fuzz-hosts on "out of range" messages naming DBL_MAX). */
  if (fabs (v) < 1e15 && v == (double) (long long) v) {
    snprintf (buf, len, "%lld", (long long) v);
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf (buf, len, "%.*g", prec, v);
    if (strtod (buf, NULL) == v)
      return;
  }
}

/* The length of the UTF-8 sequence at S that is safe to print as it is
 * (valid, shortest form, not a C1 control, surrogate or bidirectional
 * override), or 0. */
static size_t
utf8_printable (const unsigned char *s)
{
  uint32_t c;
  size_t n;

  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2, c = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3, c = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4, c = s[0] & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = c << 6 | (s[i] & 0x3f);
  }
  if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff))
      || c < 0xa0 || (c >= 0xd800 && c <= 0xdfff)
      || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
    return 0;
  return n;
}

/* The escaped form of the character at P into PIECE (16 bytes); its
 * length, and in *USED the bytes of P it stands for. */
static size_t
escape_one (const unsigned char *p, char *piece, size_t *used)
{
  size_t n;

  *used = 1;
  if (*p == '\\')
    return (size_t) snprintf (piece, 16, "\\\\");
  if (*p >= 0x20 && *p < 0x7f) {
    piece[0] = (char) *p;
    return 1;
  }
  if (*p >= 0x80 && (n = utf8_printable (p)) > 0) {
    memcpy (piece, p, n);
    *used = n;
    return n;
  }
  return (size_t) snprintf (piece, 16, "\\x%02x", *p);
}

const char *
core_escape (const char *s, char *buf, size_t len)
{
  const unsigned char *p = (const unsigned char *) (s ? s : "");
  size_t k = 0, total = 0, used;
  char piece[16];
  bool cut;

  if (len < 4) {
    if (len > 0)
      buf[0] = '\0';
    return buf;
  }
  for (const unsigned char *q = p; *q && total < len; q += used)
    total += escape_one (q, piece, &used);
  /* When it does not fit, room is kept for "...". */
  cut = total > len - 1;
  for (; *p; p += used) {
    size_t n = escape_one (p, piece, &used);
    if (k + n + (cut ? 3 : 0) > len - 1)
      break;
    memcpy (buf + k, piece, n);
    k += n;
  }
  if (cut) {
    memcpy (buf + k, "...", 3);
    k += 3;
  }
  buf[k] = '\0';
  return buf;
}
