/* Utilization over time: CPU busy (/proc/stat), used memory
 * (/proc/meminfo), disk I/O of whole disks (/proc/diskstats) and traffic
 * of physical NICs (/proc/net/dev), read at the start and end of every
 * interval.  Reads are small and few so that sampling every second costs
 * the server next to nothing (docs/benchmarks.md). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "inventory/inventory.h"

void
inv_counters_clear (struct inv_counters *c)
{
  if (c == NULL)
    return;
  inv_counter_vector_reset (&c->disks);
  inv_counter_vector_reset (&c->nics);
  memset (c, 0, sizeof *c);
}

static bool
listed (const core_string_vector *names, const char *name)
{
  for (size_t i = 0; i < names->len; i++)
    if (strcmp (names->ptr[i], name) == 0)
      return true;
  return false;
}

/* Keep the counters of the named devices only. */
static void
filter (inv_counter_vector *v, const core_string_vector *names)
{
  size_t w = 0;

  for (size_t i = 0; i < v->len; i++)
    if (listed (names, v->ptr[i].name))
      v->ptr[w++] = v->ptr[i];
  v->len = w;
}

/* PATH's per-device counters by PARSE, those of NAMES kept; *OK when
 * PATH could be read (a warning otherwise). */
static int
read_devices (struct inv_src *s, const char *path,
              int (*parse) (const char *text, inv_counter_vector *out),
              const core_string_vector *names, inv_counter_vector *v, bool *ok)
{
  char *text = inv_src_read_warn (s, path, 16 << 20, NULL);
  int r;

  if (text == NULL)
    return 0;
  r = parse (text, v);
  free (text);
  if (r == -1)
    return -1;
  filter (v, names);
  *ok = true;
  return 0;
}

int
inv_counters_read (struct inv_src *s, const core_string_vector *disks,
                   const core_string_vector *nics, struct inv_counters *out)
{
  char *text;

  out->cpu_ok = out->mem_ok = out->disk_ok = out->net_ok = false;
  out->disks.len = out->nics.len = 0;
  out->t = core_monotonic ();

  /* The first line is all that is needed; the rest of /proc/stat (one
   * line per CPU, and the interrupt counts) can be long. */
  if ((text = inv_src_read_warn (s, "/proc/stat", 1024, NULL)) != NULL) {
    out->cpu_ok = inv_parse_stat_cpu (text, &out->cpu_total, &out->cpu_idle) == 0;
    if (!out->cpu_ok)
      inv_warn (s, "%s/proc/stat: no 'cpu' line; CPU utilization is left out",
                s->root);
    free (text);
  }
  if ((text = inv_src_read_warn (s, "/proc/meminfo", 1 << 20, NULL)) != NULL) {
    struct inv_meminfo m;
    inv_parse_meminfo (text, &m);
    out->mem_used_kib = inv_meminfo_used_kib (&m);
    out->mem_ok = out->mem_used_kib >= 0;
    free (text);
  }
  if (read_devices (s, "/proc/diskstats", inv_parse_diskstats, disks,
                    &out->disks, &out->disk_ok) == -1)
    return -1;
  return read_devices (s, "/proc/net/dev", inv_parse_netdev, nics,
                       &out->nics, &out->net_ok);
}

/* Sum of B - A over the devices present in both; a counter that went
 * backwards (device replaced, or 32-bit counters of old kernels that
 * wrapped) adds nothing rather than a made-up value. */
static void
sum_deltas (const inv_counter_vector *a, const inv_counter_vector *b,
            double *da, double *db)
{
  *da = *db = 0;
  for (size_t i = 0; i < b->len; i++)
    for (size_t j = 0; j < a->len; j++)
      if (strcmp (a->ptr[j].name, b->ptr[i].name) == 0) {
        if (b->ptr[i].a >= a->ptr[j].a)
          *da += b->ptr[i].a - a->ptr[j].a;
        if (b->ptr[i].b >= a->ptr[j].b)
          *db += b->ptr[i].b - a->ptr[j].b;
        break;
      }
}

/* Two decimals are plenty for sizing and keep profiles readable. */
static double
round2 (double v)
{
  return round (v * 100) / 100;
}

void
inv_rates_compute (const struct inv_counters *a, const struct inv_counters *b,
                   struct inv_rates *out)
{
  double dt = b->t - a->t, d1, d2;

  out->cpu_pct = out->mem_used_mib = out->disk_iops = CORE_UNSET;
  out->disk_mbps = out->net_mbps = CORE_UNSET;

  if (a->cpu_ok && b->cpu_ok && b->cpu_total >= a->cpu_total
      && b->cpu_idle >= a->cpu_idle) {
    double total = b->cpu_total - a->cpu_total;
    double idle = b->cpu_idle - a->cpu_idle;
    /* No tick in between (a recorded tree's static files): not busy. */
    out->cpu_pct = total > 0 ? round2 (fmin (100, fmax (0, 100 * (total - idle) / total))) : 0;
  }
  if (b->mem_ok)
    out->mem_used_mib = round2 (b->mem_used_kib / 1024.0);
  if (dt <= 0)
    dt = 1;                     /* only rates of zero can come of it */
  if (a->disk_ok && b->disk_ok) {
    sum_deltas (&a->disks, &b->disks, &d1, &d2);
    out->disk_iops = round2 (d1 / dt);
    /* Sectors of 512 bytes; MB of 10^6 bytes, like disk vendors. */
    out->disk_mbps = round2 (d2 * 512 / 1e6 / dt);
  }
  if (a->net_ok && b->net_ok) {
    sum_deltas (&a->nics, &b->nics, &d1, &d2);
    out->net_mbps = round2 ((d1 + d2) * 8 / 1e6 / dt);
  }
}

/* Sleep until monotonic time T or until the caller says to stop. */
static void
sleep_until (double t, const struct core_notify *n)
{
  for (;;) {
    double left = t - core_monotonic ();
    struct timespec ts;

    if (left <= 0 || core_cancelled (n))
      return;
    ts.tv_sec = (time_t) left;
    ts.tv_nsec = (long) ((left - ts.tv_sec) * 1e9);
    /* A signal (Ctrl-C) interrupts it: then the caller is asked again. */
    nanosleep (&ts, NULL);
  }
}

static const char *const series_names[] =
  { "cpu_pct", "mem_used_mib", "disk_iops", "disk_mbps", "net_mbps" };

int
inv_sample (struct inv_src *s, struct core_profile *p, int64_t interval_s,
            int64_t samples)
{
  struct core_utilization *u = &p->utilization;
  core_double_vector *series[] =
    { &u->cpu_pct, &u->mem_used_mib, &u->disk_iops, &u->disk_mbps, &u->net_mbps };
  core_string_vector disks = { 0 }, nics = { 0 };
  struct inv_counters prev = { 0 }, cur = { 0 };
  bool complete[5] = { true, true, true, true, true };
  int64_t done = 0;
  double next;
  int ret = -1;

  if (samples <= 0)
    return 0;
  for (size_t i = 0; i < p->hardware.disks.len; i++)
    if (core_string_vector_append (&disks, p->hardware.disks.ptr[i].name) == -1)
      goto out;
  for (size_t i = 0; i < p->hardware.nics.len; i++)
    if (core_string_vector_append (&nics, p->hardware.nics.ptr[i].name) == -1)
      goto out;
  for (int k = 0; k < 5; k++)
    if (core_double_vector_reserve (series[k], samples) == -1)
      goto out;

  if (inv_counters_read (s, &disks, &nics, &prev) == -1)
    goto out;
  next = prev.t;
  while (done < samples && !core_cancelled (s->notify)) {
    struct inv_rates r;
    double v[5];

    /* Intervals are kept on a fixed grid so that they do not drift by
     * the time reading takes. */
    next += interval_s;
    sleep_until (next, s->notify);
    if (core_cancelled (s->notify))
      break;                    /* the interval is not whole: drop it */
    if (inv_counters_read (s, &disks, &nics, &cur) == -1)
      goto out;
    inv_rates_compute (&prev, &cur, &r);
    v[0] = r.cpu_pct; v[1] = r.mem_used_mib; v[2] = r.disk_iops;
    v[3] = r.disk_mbps; v[4] = r.net_mbps;
    for (int k = 0; k < 5; k++) {
      if (v[k] == CORE_UNSET)
        complete[k] = false;
      else
        series[k]->ptr[series[k]->len++] = v[k];
    }
    /* Swap, so that the buffers are reused. */
    {
      struct inv_counters t = prev;
      prev = cur;
      cur = t;
    }
    done++;
    core_notify_progress (s->notify, "sample", done, done, samples);
  }

  /* All series present have one value per interval: a series with a
   * hole is dropped rather than padded. */
  for (int k = 0; k < 5; k++)
    if (!complete[k] || done == 0) {
      if (!complete[k] && done > 0)
        inv_warn (s, "%s is left out: it could not be read in every interval",
                  series_names[k]);
      series[k]->len = 0;
    }
  if (done > 0 && (u->cpu_pct.len || u->mem_used_mib.len || u->disk_iops.len
                   || u->disk_mbps.len || u->net_mbps.len))
    u->interval_s = interval_s;
  ret = done > INT_MAX ? INT_MAX : (int) done;
 out:
  /* The names belong to the profile. */
  core_string_vector_reset (&disks);
  core_string_vector_reset (&nics);
  inv_counters_clear (&prev);
  inv_counters_clear (&cur);
  return ret;
}
