/* Sizing: each workload's demand per resource, clipped at its percentile
 * and laid on one grid over the day so that workloads busy at different
 * hours can share a host.
 *
 * Alignment (docs/planner.md): a series starts at collected_at minus its
 * length (UTC time of day), or at 00:00 when collected_at is absent.  A
 * grid slot takes the largest sample that overlaps it, so a series longer
 * than a day folds onto one day conservatively; slots a short series does
 * not cover take its percentile value.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "planner/planner.h"

#define DAY 86400

void
plan_grid_choose (const core_profile_vector *profiles, struct plan_grid *grid)
{
  int64_t finest = 0;

  for (size_t i = 0; i < profiles->len; i++) {
    const struct core_utilization *u = &profiles->ptr[i]->utilization;
    size_t n = u->cpu_pct.len;

    if (u->mem_used_mib.len > n) n = u->mem_used_mib.len;
    if (u->disk_iops.len > n) n = u->disk_iops.len;
    if (u->net_mbps.len > n) n = u->net_mbps.len;
    if (n > 1 && (finest == 0 || u->interval_s < finest))
      finest = u->interval_s;
  }
  if (finest == 0) {
    /* Nothing varies over time: one slot is the whole day. */
    grid->interval_s = DAY;
    grid->slots = 1;
    return;
  }
  /* Five minutes is fine enough for consolidation and keeps 10,000
   * workloads in memory; finer samples fold into it by their maximum. */
  grid->interval_s = finest < 300 ? 300 : finest;
  if (grid->interval_s > DAY)
    grid->interval_s = DAY;
  grid->slots = (DAY + grid->interval_s - 1) / grid->interval_s;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

double
plan_percentile (const double *v, size_t n, double pct)
{
  double *copy, r;
  size_t rank;

  if (n == 0)
    return 0;
  if (n == 1)
    return v[0];
  copy = malloc (n * sizeof *copy);
  if (copy == NULL) {
    /* Without memory to sort, the peak is a safe answer. */
    r = v[0];
    for (size_t i = 1; i < n; i++)
      if (v[i] > r)
        r = v[i];
    return r;
  }
  memcpy (copy, v, n * sizeof *copy);
  qsort (copy, n, sizeof *copy, cmp_double);
  /* Nearest rank: the smallest value with at least PCT% of the values at
   * or below it. */
  rank = (size_t) ceil (pct / 100.0 * n);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  r = copy[rank - 1];
  free (copy);
  return r;
}

/* Seconds after 00:00 UTC at which a series of LEN intervals ending at
 * COLLECTED_AT began; 0 when the time cannot be read. */
static int64_t
series_start (const char *collected_at, int64_t interval_s, size_t len)
{
  struct tm tm = { 0 };
  const char *rest;
  int64_t t, off = 0;

  if (collected_at == NULL)
    return 0;
  rest = strptime (collected_at, "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == NULL)
    return 0;
  if (*rest == '.')             /* fractions of a second */
    while (*++rest >= '0' && *rest <= '9')
      ;
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (sscanf (rest + 1, "%2d:%2d", &hh, &mm) >= 1)
      off = (hh * 3600 + mm * 60) * (*rest == '+' ? 1 : -1);
  }
  t = (int64_t) timegm (&tm) - off;
  t -= (int64_t) len * interval_s;
  t %= DAY;
  if (t < 0)
    t += DAY;
  return t;
}

/* Lay the clipped series V (N samples of INTERVAL_S from START) on the
 * grid OUT; FLAT fills what it does not cover. */
static void
lay_on_grid (const double *v, size_t n, int64_t interval_s, int64_t start,
             double clip, double flat, const struct plan_grid *grid,
             double *out)
{
  size_t slots = grid->slots;
  bool *covered;

  if (n <= 1 || slots == 1) {
    double c = n == 0 ? flat : (n == 1 ? fmin (v[0], clip) : clip);
    for (size_t s = 0; s < slots; s++)
      out[s] = c;
    return;
  }
  covered = calloc (slots, sizeof *covered);
  for (size_t s = 0; s < slots; s++)
    out[s] = 0;
  for (size_t k = 0; k < n; k++) {
    double x = fmin (v[k], clip);
    int64_t t0 = (start + (int64_t) k * interval_s) % DAY;
    int64_t t1 = t0 + interval_s;           /* exclusive */
    /* Every slot the sample overlaps, wrapping past midnight. */
    for (int64_t t = t0 - t0 % grid->interval_s; t < t1; t += grid->interval_s) {
      size_t s = (size_t) ((t % DAY) / grid->interval_s) % slots;
      if (x > out[s])
        out[s] = x;
      if (covered)
        covered[s] = true;
    }
  }
  if (covered) {
    for (size_t s = 0; s < slots; s++)
      if (!covered[s])
        out[s] = flat;
    free (covered);
  }
}

int
plan_demand_compute (const struct core_profile *p, const struct core_policy *pol,
                     const struct plan_grid *grid, struct plan_demand *out)
{
  const struct core_utilization *u = &p->utilization;
  const struct core_hardware *hw = &p->hardware;
  double full_mhz = hw->cpu.cores * hw->cpu.mhz;
  double headroom = 1 + pol->headroom_pct / 100;
  const core_double_vector *src[PLAN_NSERIES] =
    { &u->cpu_pct, &u->disk_iops, &u->net_mbps };
  int64_t start = 0;
  size_t len = 0;

  memset (out, 0, sizeof *out);
  for (int r = 0; r < PLAN_NSERIES; r++) {
    out->series[r] = calloc (grid->slots, sizeof (double));
    if (out->series[r] == NULL) {
      plan_demand_clear (out);
      core_error ("out of memory");
      return -1;
    }
    if (src[r]->len > len)
      len = src[r]->len;
  }
  if (len > 1)
    start = series_start (p->collected_at, u->interval_s, len);

  for (int r = 0; r < PLAN_NSERIES; r++) {
    const core_double_vector *v = src[r];
    double scale = r == PLAN_CPU ? full_mhz / 100 : 1;
    double *scaled = NULL, clip, flat;

    if (v->len == 0) {
      /* No samples: CPU is sized on what the server has (all cores
       * busy); IOPS and network are then unknown and count as zero. */
      flat = r == PLAN_CPU ? full_mhz : 0;
      lay_on_grid (NULL, 0, 1, 0, flat, flat, grid, out->series[r]);
    }
    else {
      scaled = malloc (v->len * sizeof *scaled);
      if (scaled == NULL) {
        plan_demand_clear (out);
        core_error ("out of memory");
        return -1;
      }
      for (size_t k = 0; k < v->len; k++)
        scaled[k] = v->ptr[k] * scale;
      clip = plan_percentile (scaled, v->len, pol->percentile);
      lay_on_grid (scaled, v->len, u->interval_s, start, clip, clip, grid,
                   out->series[r]);
      free (scaled);
      if (r == PLAN_CPU)
        out->cpu_sized_mhz = clip;
    }
    out->peak[r] = 0;
    for (size_t s = 0; s < grid->slots; s++)
      if (out->series[r][s] > out->peak[r])
        out->peak[r] = out->series[r][s];
  }
  if (u->cpu_pct.len == 0)
    out->cpu_sized_mhz = full_mhz;

  /* Memory: a VM's memory is allocated whole, so it is sized once: the
   * percentile of used memory plus headroom, rounded up to 256 MiB, never
   * more than the server has. */
  if (u->mem_used_mib.len)
    out->mem_sized_mib = plan_percentile (u->mem_used_mib.ptr,
                                          u->mem_used_mib.len, pol->percentile);
  else
    out->mem_sized_mib = hw->memory_mib;
  {
    double want = ceil (out->mem_sized_mib * headroom / 256) * 256;
    if (want < 256)
      want = 256;
    if (want > hw->memory_mib)
      want = hw->memory_mib;
    out->memory_mib = want;
  }

  /* Disk: what is allocated, or with thin disks what the filesystems
   * use (when the profile says). */
  {
    double alloc = 0, used = 0;
    bool have_used = false;

    for (size_t i = 0; i < hw->disks.len; i++)
      if (hw->disks.ptr[i].size_bytes > 0)
        alloc += hw->disks.ptr[i].size_bytes / 1073741824.0;
    for (size_t i = 0; i < hw->filesystems.len; i++)
      if (hw->filesystems.ptr[i].used_bytes >= 0) {
        used += hw->filesystems.ptr[i].used_bytes / 1073741824.0;
        have_used = true;
      }
    out->disk_gib = pol->thin_disks && have_used ? used : alloc;
  }

  /* vCPUs: enough of the server's own cores for the sized demand plus
   * headroom, at least one, never more than the server has threads. */
  {
    int64_t max = hw->cpu.threads > 0 ? hw->cpu.threads : hw->cpu.cores;
    double v = ceil (out->cpu_sized_mhz * headroom / hw->cpu.mhz - 1e-9);
    out->vcpus = v < 1 ? 1 : v > max ? max : (int64_t) v;
  }
  return 0;
}

void
plan_demand_clear (struct plan_demand *d)
{
  if (d == NULL)
    return;
  for (int r = 0; r < PLAN_NSERIES; r++) {
    free (d->series[r]);
    d->series[r] = NULL;
  }
}
