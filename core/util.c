/* Small helpers: cleanup functions, vectors, checked arithmetic, strings
 * and number parsing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

int
core_string_vector_vprintf (core_string_vector *v, const char *fmt, va_list ap)
{
  char *s;

  if (vasprintf (&s, fmt, ap) < 0) {
    core_error ("out of memory");
    return -1;
  }
  if (core_string_vector_append (v, s) == -1) {
    free (s);
    return -1;
  }
  return 0;
}

int
core_string_vector_printf (core_string_vector *v, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = core_string_vector_vprintf (v, fmt, ap);
  va_end (ap);
  return r;
}

int
core_memstream_close (FILE *fp, char **text)
{
  if (fclose (fp) != 0) {
    core_error_errno ("open_memstream");
    free (*text);
    *text = NULL;
    return -1;
  }
  return 0;
}

int
core_buffer_add (core_buffer *b, const void *data, size_t n)
{
  size_t room;

  /* One more for the NUL. */
  if (!core_add_size (n, 1, &room)) {
    core_error ("vector size overflow");
    return -1;
  }
  if (core_vector_reserve ((void **) &b->ptr, &b->cap, b->len, room, 1) == -1)
    return -1;
  if (n)
    memcpy (b->ptr + b->len, data, n);
  b->len += n;
  b->ptr[b->len] = '\0';
  return 0;
}

int
core_buffer_add_shell_word (core_buffer *b, const char *arg)
{
  if (core_buffer_add (b, "'", 1) == -1)
    return -1;
  for (const char *p = arg; *p; p++) {
    if (*p == '\'') {
      if (core_buffer_add (b, "'\\''", 4) == -1)
        return -1;
    }
    else if (core_buffer_add (b, p, 1) == -1)
      return -1;
  }
  return core_buffer_add (b, "'", 1);
}

char *
core_buffer_take (core_buffer *b)
{
  char *text;

  if (core_buffer_add (b, "", 0) == -1) {
    core_buffer_reset (b);
    return NULL;
  }
  text = b->ptr;
  *b = (core_buffer) { 0 };
  return text;
}

int
core_buffer_printf (core_buffer *b, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (NULL, 0, fmt, ap);
  va_end (ap);
  if (n < 0) {
    core_error ("bad format");
    return -1;
  }
  if (core_vector_reserve ((void **) &b->ptr, &b->cap, b->len, (size_t) n + 1, 1) == -1)
    return -1;
  va_start (ap, fmt);
  vsnprintf (b->ptr + b->len, (size_t) n + 1, fmt, ap);
  va_end (ap);
  b->len += n;
  return 0;
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

int
core_read_head (const char *path, void *buf, size_t n, struct stat *st,
                ssize_t *got)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC), e;

  if (fd == -1) {
    core_error_errno ("%s", path);
    return -1;
  }
  if (fstat (fd, st) == -1) {
    core_error_errno ("%s", path);
    close (fd);
    return -1;
  }
  *got = pread (fd, buf, n, 0);
  e = errno;
  close (fd);
  errno = e;
  return 0;
}

int
core_write_fd (int fd, const void *buf, size_t len)
{
  for (size_t done = 0; done < len; ) {
    ssize_t r = write (fd, (const char *) buf + done, len - done);

    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1)
      return -1;
    done += r;
  }
  return 0;
}

bool
core_ends_with (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcmp (s + n - m, suffix) == 0;
}

bool
core_ends_with_nocase (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcasecmp (s + n - m, suffix) == 0;
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

/* "FIELD: S is out of range (MIN to MAX)", or "(at least MIN)" when MAX
 * is NULL.  Returns -1. */
static int
out_of_range (const char *field, const char *s, const char *min,
              const char *max)
{
  char shortbuf[64];

  if (max == NULL)
    core_error ("%s: %s is out of range (at least %s)", field,
                shorten (s, shortbuf, sizeof shortbuf), min);
  else
    core_error ("%s: %s is out of range (%s to %s)", field,
                shorten (s, shortbuf, sizeof shortbuf), min, max);
  return -1;
}

/* "FIELD: EXPECTED, got 'S'".  Returns -1. */
static int
not_a_number (const char *field, const char *s, const char *expected)
{
  char shortbuf[64];

  core_error ("%s: %s, got '%s'", field, expected,
              shorten (s, shortbuf, sizeof shortbuf));
  return -1;
}

int
core_parse_int64 (const char *s, const char *field, int64_t min, int64_t max,
                  int64_t *out)
{
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
    char a[32], b[32];

    snprintf (a, sizeof a, "%lld", (long long) min);
    snprintf (b, sizeof b, "%lld", (long long) max);
    return out_of_range (field, s, a, max == INT64_MAX ? NULL : b);
  }
  *out = v;
  return 0;

 bad:
  return not_a_number (field, s, "expected an integer");
}

int
core_parse_double (const char *s, const char *field, double min, double max,
                   double *out)
{
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
    return out_of_range (field, s, a, max == DBL_MAX ? NULL : b);
  }
  *out = v == 0 ? 0 : v;        /* no negative zero */
  return 0;

 bad:
  return not_a_number (field, s, "expected a number");
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

void
core_format_cell (char *buf, size_t len, double v, int decimals)
{
  if (v == CORE_UNSET)
    snprintf (buf, len, "-");
  else
    snprintf (buf, len, "%.*f", decimals, v);
}

size_t
core_utf8_len (const unsigned char *p, size_t avail)
{
  size_t n;
  unsigned lo = 0x80, hi = 0xbf;

  if (avail == 0)
    return 0;
  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    n = 2;
  else if (p[0] >= 0xe0 && p[0] <= 0xef) {
    n = 3;
    if (p[0] == 0xe0)
      lo = 0xa0;
    else if (p[0] == 0xed)
      hi = 0x9f;
  }
  else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
    n = 4;
    if (p[0] == 0xf0)
      lo = 0x90;
    else if (p[0] == 0xf4)
      hi = 0x8f;
  }
  else
    return 0;
  if (avail < n || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return n;
}

char *
core_escape (const char *s, size_t len, char *buf, size_t size)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t i = 0, o = 0;

  if (size == 0)
    return buf;
  if (!s)
    len = 0;
  while (i < len) {
    char esc[16];
    size_t n = core_utf8_len (p + i, len - i), m;

    if (n == 1 && p[i] >= 0x20 && p[i] != 0x7f) {
      esc[0] = p[i];
      m = 1;
    }
    else if (n == 1 && (p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) {
      esc[0] = '\\';
      esc[1] = p[i] == '\t' ? 't' : p[i] == '\n' ? 'n' : 'r';
      m = 2;
    }
    /* C1 controls (U+0080..U+009F): some terminals act on them too. */
    else if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
      m = snprintf (esc, sizeof esc, "\\x%02x\\x%02x", p[i], p[i + 1]);
    /* Bidirectional embeddings, overrides and isolates (U+202A..U+202E,
     * U+2066..U+2069) reorder what a terminal shows after them. */
    else if (n == 3 && p[i] == 0xe2
             && ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae)
                 || (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
      m = snprintf (esc, sizeof esc, "\\x%02x\\x%02x\\x%02x",
                    p[i], p[i + 1], p[i + 2]);
    else if (n >= 2) {
      memcpy (esc, p + i, n);
      m = n;
    }
    else {
      /* Another control character or a byte that is not UTF-8. */
      n = 1;
      m = snprintf (esc, sizeof esc, "\\x%02x", p[i]);
    }
    /* Stop before an escape or a character that would not fit whole. */
    if (o + m >= size)
      break;
    memcpy (buf + o, esc, m);
    o += m;
    i += n;
  }
  buf[o] = '\0';
  return buf;
}

/* ASCII lower case, whatever the locale: "Memory_MB" is a slip of
 * "memory_mib", not four edits away. */
static int
fold (char c)
{
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Edit distance with transpositions (optimal string alignment: "plna" is
 * one edit from "plan"), capped: past MAX the answer is MAX + 1. */
static size_t
edit_distance (const char *a, const char *b, size_t max)
{
  enum { N = 64 };
  size_t la = strlen (a), lb = strlen (b);
  size_t d[3][N + 1];           /* rows i-2, i-1, i, rotating */

  if (la > N || lb > N || (la > lb ? la - lb : lb - la) > max)
    return max + 1;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i - 2) % 3];
    size_t best;

    cur[0] = best = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t v = prev[j - 1] + (fold (a[i - 1]) != fold (b[j - 1]));

      if (prev[j] + 1 < v)
        v = prev[j] + 1;
      if (cur[j - 1] + 1 < v)
        v = cur[j - 1] + 1;
      if (i > 1 && j > 1 && fold (a[i - 1]) == fold (b[j - 2])
          && fold (a[i - 2]) == fold (b[j - 1])
          && prev2[j - 2] + 1 < v)
        v = prev2[j - 2] + 1;
      cur[j] = v;
      if (v < best)
        best = v;
    }
    if (best > max)
      return max + 1;
  }
  return d[la % 3][lb];
}

const char *
core_nearest (const char *word, const char *const *candidates, size_t n)
{
  const char *best = NULL, *prefixed = NULL;
  size_t len, max, best_d, nprefixed = 0;

  if (word == NULL || *word == '\0')
    return NULL;
  len = strlen (word);
  /* About one edit in three characters: "polcy" finds "policy", "xyz"
   * finds nothing. */
  max = len < 3 ? 1 : len / 3;
  best_d = max + 1;
  for (size_t i = 0; i < n; i++) {
    size_t d;

    if (candidates[i] == NULL)
      continue;
    d = edit_distance (word, candidates[i], max);
    if (d < best_d && d < strlen (candidates[i])) {
      best_d = d;
      best = candidates[i];
    }
    if (len >= 2 && strncmp (candidates[i], word, len) == 0) {
      nprefixed++;
      prefixed = candidates[i];
    }
  }
  if (best)
    return best;
  /* A shortened word, "inv" for "inventory", when only one fits. */
  return nprefixed == 1 ? prefixed : NULL;
}

int
core_parse_ip_prefix (const char *s, const char *field, int *family,
                      unsigned char addr[16], int *prefix)
{
  const char *slash = s ? strchr (s, '/') : NULL;
  char host[INET6_ADDRSTRLEN + 1];
  int64_t len;
  int af;

  if (slash == NULL || (size_t) (slash - s) >= sizeof host) {
    core_error ("%s: expected an address with its prefix length "
                "(192.0.2.10/24, 2001:db8::10/64), got '%s'", field, s ? s : "");
    return -1;
  }
  memcpy (host, s, slash - s);
  host[slash - s] = '\0';
  af = strchr (host, ':') ? AF_INET6 : AF_INET;
  if (inet_pton (af, host, addr) != 1) {
    core_error ("%s: '%s' is not an IPv%c address", field, host, af == AF_INET ? '4' : '6');
    return -1;
  }
  if (core_parse_int64 (slash + 1, field, 0, af == AF_INET ? 32 : 128, &len) == -1)
    return -1;
  *family = af;
  *prefix = (int) len;
  return 0;
}
