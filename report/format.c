/* Numbers as documents show them: thousands separated, trailing zeros
 * dropped, memory and disk in the unit that reads best, durations in
 * hours and minutes.  Every function writes into BUF and returns it. */
#include <math.h>
#include <string.h>

#include "report/report.h"

char *
rep_fmt_num (char *buf, size_t len, double v, int decimals)
{
  char tmp[64], *dot, *end;
  size_t n = 0, digits;
  const char *p = tmp;

  if (!isfinite (v))
    v = 0;
  snprintf (tmp, sizeof tmp, "%.*f", decimals, v);
  /* -0.0 and values that round to zero print as 0. */
  if (strspn (tmp, "-0.") == strlen (tmp))
    snprintf (tmp, sizeof tmp, "0");
  dot = strchr (tmp, '.');
  if (dot) {
    end = tmp + strlen (tmp);
    while (end[-1] == '0')
      *--end = '\0';
    if (end[-1] == '.')
      *--end = '\0';
    dot = strchr (tmp, '.');
  }
  if (*p == '-' && n + 1 < len) {
    buf[n++] = '-';
    p++;
  }
  digits = dot ? (size_t) (dot - p) : strlen (p);
  for (size_t i = 0; *p && n + 1 < len; i++, p++) {
    if (i < digits && i > 0 && (digits - i) % 3 == 0 && n + 2 < len)
      buf[n++] = ',';
    buf[n++] = *p;
  }
  buf[n] = '\0';
  return buf;
}

char *
rep_fmt_mib (char *buf, size_t len, double mib)
{
  char n[64];

  if (mib < 1024)
    snprintf (buf, len, "%s MiB", rep_fmt_num (n, sizeof n, mib, 0));
  else if (mib < 1024.0 * 1024)
    snprintf (buf, len, "%s GiB", rep_fmt_num (n, sizeof n, mib / 1024, 1));
  else
    snprintf (buf, len, "%s TiB", rep_fmt_num (n, sizeof n, mib / (1024.0 * 1024), 1));
  return buf;
}

char *
rep_fmt_gib (char *buf, size_t len, double gib)
{
  return rep_fmt_mib (buf, len, gib * 1024);
}

char *
rep_fmt_mhz (char *buf, size_t len, double mhz)
{
  char n[64];

  if (mhz < 1000)
    snprintf (buf, len, "%s MHz", rep_fmt_num (n, sizeof n, mhz, 0));
  else
    snprintf (buf, len, "%s GHz", rep_fmt_num (n, sizeof n, mhz / 1000, mhz < 100000 ? 2 : 1));
  return buf;
}

char *
rep_fmt_duration (char *buf, size_t len, double seconds)
{
  double min = ceil (seconds / 60);

  if (seconds <= 0)
    snprintf (buf, len, "0 min");
  else if (min < 60)
    snprintf (buf, len, "%.0f min", min);
  else if (min < 48 * 60)
    snprintf (buf, len, "%.0f h %02.0f min", floor (min / 60), fmod (min, 60));
  else
    snprintf (buf, len, "%.0f d %.0f h", floor (min / 1440),
              floor (fmod (min, 1440) / 60));
  return buf;
}
