/* The per-thread error message: the core's only way to say what failed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

static _Thread_local char errbuf[2048];

static void
set_error_v (const char *prefix, const char *fmt, va_list ap)
{
  char raw[sizeof errbuf];
  size_t n = 0;

  if (prefix) {
    snprintf (raw, sizeof raw, "%s", prefix);
    n = strlen (raw);
  }
  vsnprintf (raw + n, sizeof raw - n, fmt, ap);
  /* One line per error: a message never carries a line break. */
  for (char *p = raw; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  /* Messages quote names, keys and values from files and peers: their
   * control bytes must not reach a terminal or a log as they are. */
  core_escape (raw, strlen (raw), errbuf, sizeof errbuf);
}

void
core_error (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  set_error_v (NULL, fmt, ap);
  va_end (ap);
}

void
core_error_at (const char *file, size_t line, size_t col, const char *fmt, ...)
{
  char prefix[1024];
  va_list ap;

  if (col > 0)
    snprintf (prefix, sizeof prefix, "%s:%zu:%zu: ", file, line, col);
  else
    snprintf (prefix, sizeof prefix, "%s:%zu: ", file, line);
  va_start (ap, fmt);
  set_error_v (prefix, fmt, ap);
  va_end (ap);
}

void
core_error_errno (const char *fmt, ...)
{
  int saved = errno;
  char msg[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  core_error ("%s: %s", msg, strerror (saved));
  errno = saved;
}

const char *
core_errmsg (void)
{
  return errbuf[0] ? errbuf : "unknown error";
}
