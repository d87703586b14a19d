/* The geometry of a host's chart: its summed CPU demand over the day
 * against its capacity and the usable part of it (capacity less the
 * policy's headroom).  Templates draw the SVG from these numbers, so the
 * look stays editable; the numbers come from the plan, never by hand. */
#include <math.h>
#include <string.h>

#include "report/report.h"

#define DAY 86400.0

/* The drawing, in SVG user units (the template's viewBox). */
#define W 640.0
#define H 170.0
#define LEFT 56.0
#define RIGHT 12.0
#define TOP 12.0
#define BOTTOM 28.0

static double
xpos (double seconds)
{
  return LEFT + (W - LEFT - RIGHT) * seconds / DAY;
}

/* Append "x,y" to a list of points, a space between. */
static int
point (core_buffer *b, double x, double y)
{
  return core_buffer_printf (b, "%s%.1f,%.1f", b->len ? " " : "", x, y);
}

/* Free the parts of a chart that could not be made; returns NULL. */
static struct rep_value *
chart_fail (struct rep_value *c, struct rep_value *xt, struct rep_value *yt)
{
  rep_value_free (c);
  rep_value_free (xt);
  rep_value_free (yt);
  return NULL;
}

/* The frame every chart has: its size and the plot's edges. */
static void
chart_frame (bool *failed, struct rep_value *c, double bottom)
{
  rep_set (failed, c, "width", rep_stringf ("%.0f", W));
  rep_set (failed, c, "height", rep_stringf ("%.0f", H));
  rep_set (failed, c, "left", rep_stringf ("%.0f", LEFT));
  rep_set (failed, c, "right", rep_stringf ("%.0f", W - RIGHT));
  rep_set (failed, c, "top", rep_stringf ("%.0f", TOP));
  rep_set (failed, c, "bottom", rep_stringf ("%.0f", bottom));
}

/* The ticks into the chart; the chart, or NULL when any part failed. */
static struct rep_value *
chart_done (bool failed, struct rep_value *c, struct rep_value *xt,
            struct rep_value *yt)
{
  rep_set (&failed, c, "xticks", xt);
  rep_set (&failed, c, "yticks", yt);
  if (failed) {
    rep_value_free (c);
    return NULL;
  }
  return c;
}

struct rep_value *
rep_chart_values (const double *mhz, size_t n, int64_t interval_s,
                  double capacity_mhz, double headroom_pct)
{
  struct rep_value *c = rep_map (), *xt = rep_list (), *yt = rep_list ();
  core_buffer line = { 0 }, area = { 0 };
  size_t peak_i = 0;
  double bottom = H - BOTTOM, plot_h = H - TOP - BOTTOM, ymax, peak = 0;
  bool failed = false;
  char num[64];

  if (n == 0 || capacity_mhz <= 0 || interval_s <= 0) {
    core_error ("a chart needs a series and a capacity");
    return chart_fail (c, xt, yt);
  }
  for (size_t i = 0; i < n; i++)
    if (mhz[i] > peak) {
      peak = mhz[i];
      peak_i = i;
    }
  /* The whole capacity is the top, unless the plan overloads the host. */
  ymax = fmax (capacity_mhz, peak);

#define Y(v) (bottom - plot_h * (v) / ymax)
  /* Each value covers its interval: a step line over the day. */
  if (point (&area, xpos (0), bottom) == -1)
    failed = true;
  for (size_t i = 0; i < n && !failed; i++) {
    double t0 = fmin (i * (double) interval_s, DAY);
    double t1 = fmin ((i + 1) * (double) interval_s, DAY);

    if (n == 1)
      t1 = DAY;
    if (point (&line, xpos (t0), Y (mhz[i])) == -1
        || point (&line, xpos (t1), Y (mhz[i])) == -1
        || point (&area, xpos (t0), Y (mhz[i])) == -1
        || point (&area, xpos (t1), Y (mhz[i])) == -1)
      failed = true;
  }
  if (!failed && point (&area, xpos (n == 1 ? DAY : fmin (n * (double) interval_s, DAY)), bottom) == -1)
    failed = true;
  if (failed) {
    free (line.ptr);
    free (area.ptr);
    return chart_fail (c, xt, yt);
  }

  chart_frame (&failed, c, bottom);
  rep_set (&failed, c, "line", rep_string (line.ptr));
  rep_set (&failed, c, "area", rep_string (area.ptr));
  free (line.ptr);
  free (area.ptr);
  rep_set (&failed, c, "capacity_y", rep_stringf ("%.1f", Y (capacity_mhz)));
  rep_set (&failed, c, "capacity_label",
           rep_stringf ("capacity %s", rep_fmt_mhz (num, sizeof num, capacity_mhz)));
  rep_set (&failed, c, "limit_y",
           rep_stringf ("%.1f", Y (capacity_mhz * (1 - headroom_pct / 100))));
  rep_set (&failed, c, "limit_label",
           rep_stringf ("usable %s (%s%% headroom)",
                        rep_fmt_mhz (num, sizeof num, capacity_mhz * (1 - headroom_pct / 100)),
                        rep_fmt_num ((char[32]) { 0 }, 32, headroom_pct, 1)));
  {
    double t = n == 1 ? DAY / 2 : (peak_i + 0.5) * interval_s;
    rep_set (&failed, c, "peak_x", rep_stringf ("%.1f", xpos (fmin (t, DAY))));
  }
  rep_set (&failed, c, "peak_y", rep_stringf ("%.1f", Y (peak)));
  rep_set (&failed, c, "peak_label",
           rep_stringf ("peak %s (%s%%)", rep_fmt_mhz (num, sizeof num, peak),
                        rep_fmt_num ((char[32]) { 0 }, 32, 100 * peak / capacity_mhz, 1)));
  /* The peak's label sits left of the point in the right half. */
  rep_set (&failed, c, "peak_anchor",
           rep_string (n > 1 && peak_i * 2 >= n ? "end" : "start"));
  rep_set (&failed, c, "points", rep_int (n));
  rep_set (&failed, c, "interval", rep_stringf ("%s min", rep_fmt_num (num, sizeof num, interval_s / 60.0, 1)));

  /* For text documents: the hourly peaks as block characters, the
   * highest block being the day's peak. */
  {
    static const char *const blocks[] =
      { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
    char spark[24 * 4 + 1] = "";

    for (int h = 0; h < 24; h++) {
      double m = 0;
      for (size_t i = 0; i < n; i++) {
        double t0 = n == 1 ? 0 : i * (double) interval_s;
        double t1 = n == 1 ? DAY : (i + 1) * (double) interval_s;
        if (t0 < (h + 1) * 3600.0 && t1 > h * 3600.0)
          m = fmax (m, mhz[i]);
      }
      strcat (spark, blocks[peak > 0 ? (int) fmin (7, floor (8 * m / peak * 0.9999)) : 0]);
    }
    rep_set (&failed, c, "spark", rep_string (spark));
  }

  for (int h = 0; h <= 24; h += 3) {
    struct rep_value *tick = rep_map ();
    rep_set (&failed, tick, "x", rep_stringf ("%.1f", xpos (h * 3600.0)));
    rep_set (&failed, tick, "label", rep_stringf ("%02d:00", h));
    rep_add (&failed, xt, tick);
  }
  for (int q = 0; q <= 4; q++) {
    struct rep_value *tick = rep_map ();
    double v = capacity_mhz * q / 4;
    rep_set (&failed, tick, "y", rep_stringf ("%.1f", Y (v)));
    rep_set (&failed, tick, "label", rep_stringf ("%d%%", q * 25));
    rep_set (&failed, tick, "value", rep_string (rep_fmt_mhz (num, sizeof num, v)));
    rep_add (&failed, yt, tick);
  }
#undef Y
  return chart_done (failed, c, xt, yt);
}

/* Growth ------------------------------------------------------------ */

struct rep_value *
rep_growth_chart_values (const double *pct, size_t n, double headroom_pct,
                         int64_t runs_out)
{
  struct rep_value *c = rep_map (), *xt = rep_list (), *yt = rep_list ();
  core_buffer line = { 0 };
  double bottom = H - BOTTOM, plot_h = H - TOP - BOTTOM, ymax = 100, limit;
  double months = n > 1 ? (double) (n - 1) : 1;
  bool failed = false;
  char num[64];

  if (n == 0) {
    core_error ("a growth chart needs a curve");
    return chart_fail (c, xt, yt);
  }
  for (size_t i = 0; i < n; i++)
    ymax = fmax (ymax, pct[i]);
  /* Round the top up to a multiple of 50% so the ticks are round. */
  ymax = ceil (ymax / 50) * 50;
  limit = 100 - headroom_pct;

#define GX(m) (LEFT + (W - LEFT - RIGHT) * (m) / months)
#define GY(v) (bottom - plot_h * (v) / ymax)
  for (size_t i = 0; i < n && !failed; i++)
    if (point (&line, GX ((double) i), GY (pct[i])) == -1)
      failed = true;
  if (failed) {
    free (line.ptr);
    return chart_fail (c, xt, yt);
  }
  chart_frame (&failed, c, bottom);
  rep_set (&failed, c, "line", rep_string (line.ptr));
  free (line.ptr);
  rep_set (&failed, c, "limit_y", rep_stringf ("%.1f", GY (limit)));
  rep_set (&failed, c, "limit_label",
           rep_stringf ("usable %s%% (%s%% headroom)", rep_fmt_num (num, sizeof num, limit, 1),
                        rep_fmt_num ((char[32]) { 0 }, 32, headroom_pct, 1)));
  rep_set (&failed, c, "start_label",
           rep_stringf ("%s%% now", rep_fmt_num (num, sizeof num, pct[0], 1)));
  rep_set (&failed, c, "end_label",
           rep_stringf ("%s%% in month %zu", rep_fmt_num (num, sizeof num, pct[n - 1], 1), n - 1));
  if (runs_out != CORE_UNSET && (size_t) runs_out < n) {
    rep_set (&failed, c, "out", rep_bool (true));
    rep_set (&failed, c, "out_x", rep_stringf ("%.1f", GX ((double) runs_out)));
    rep_set (&failed, c, "out_y", rep_stringf ("%.1f", GY (pct[runs_out])));
    rep_set (&failed, c, "out_label", rep_stringf ("month %lld", (long long) runs_out));
    rep_set (&failed, c, "out_anchor", rep_string ((double) runs_out * 2 >= months ? "end" : "start"));
  }
  else
    rep_set (&failed, c, "out", rep_bool (false));
  /* A tick a year (a quarter when the curve covers one year). */
  {
    int step = n - 1 <= 12 ? 3 : 12;
    for (size_t m = 0; m < n; m += step) {
      struct rep_value *tick = rep_map ();
      rep_set (&failed, tick, "x", rep_stringf ("%.1f", GX ((double) m)));
      rep_set (&failed, tick, "label", step == 12 && m > 0
               ? rep_stringf ("year %zu", m / 12) : rep_stringf ("month %zu", m));
      rep_add (&failed, xt, tick);
    }
  }
  for (double v = 0; v <= ymax + 1e-9; v += ymax <= 200 ? 25 : 50) {
    struct rep_value *tick = rep_map ();
    rep_set (&failed, tick, "y", rep_stringf ("%.1f", GY (v)));
    rep_set (&failed, tick, "label", rep_stringf ("%.0f%%", v));
    rep_add (&failed, yt, tick);
  }
#undef GX
#undef GY
  /* For text documents: one block per year or quarter, the top block
   * being 100%; a cross past it. */
  {
    static const char *const blocks[] =
      { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
    char spark[4 * 64 + 1] = "";
    size_t step = n - 1 <= 60 ? 1 : (n - 1 + 59) / 60;

    for (size_t m = 0; m < n && strlen (spark) + 4 < sizeof spark; m += step) {
      double v = pct[m];
      strcat (spark, v > 100 ? "\u2573" : blocks[(int) fmin (7, floor (8 * v / 100 * 0.9999))]);
    }
    rep_set (&failed, c, "spark", rep_string (spark));
    rep_set (&failed, c, "spark_step", step == 1 ? rep_string ("a month")
             : rep_stringf ("every %zu months", step));
  }
  return chart_done (failed, c, xt, yt);
}
