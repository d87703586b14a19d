/* Packing workloads onto hosts: a vector bin-packing problem whose
 * dimensions are memory, disk and vCPUs (constant per workload) and CPU,
 * IOPS and network at every slot of the day (time-aware: workloads busy at
 * different hours share a host).  Hosts come in types (a model running a
 * hypervisor) with a cost and, per model, a count limit.
 *
 * 1. Constructive heuristics, as compared in the vector bin-packing
 *    literature: items in decreasing order of several size measures, placed
 *    by first fit or by best fit with dot-product and L2-norm scoring, new
 *    hosts chosen by preferred type or by cost per capacity; and, for one
 *    host type and one binding dimension, minimum bin slack, which fills
 *    one host at a time as full as it goes.  The best result is kept.
 * 2. Local search under a time budget: cheaper types for hosts whose
 *    load fits them, and emptying hosts one at a time by a tabu search
 *    that moves their workloads into the other hosts, ejecting smaller
 *    ones to make room (after the consistent neighborhood search of
 *    Buljubasic and Vasquez for bin packing): a descent refills hosts
 *    with the heaviest subset of their own and the pool's workloads that
 *    fits, tabu swaps of up to two in and two out take over when no host
 *    gains, and a bounded exhaustive search tells when the pool fits the
 *    hosts it may still use.  When only one dimension can bind (one
 *    slot, one host type, no groups: the one-dimensional benchmarks),
 *    the search works on that dimension's demands and finds its
 *    exchanges by binary search.
 * 3. A balancing pass that evens the hosts' peak utilization.
 *
 * The random choices come from one generator seeded by --seed, so a run
 * is repeatable as long as the time limit does not cut it short.
 */
#include <math.h>
#include <string.h>

#include "planner/planner.h"

static uint64_t
next_random (struct plan_packer *pk)
{
  /* xorshift64*: small, fast, and the same on every machine. */
  pk->rng ^= pk->rng >> 12;
  pk->rng ^= pk->rng << 25;
  pk->rng ^= pk->rng >> 27;
  return pk->rng * UINT64_C(2685821657736338717);
}

size_t
plan_random_below (struct plan_packer *pk, size_t n)
{
  return n ? next_random (pk) % n : 0;
}

bool
plan_out_of_time (const struct plan_packer *pk)
{
  return core_monotonic () >= pk->deadline;
}

double
plan_item_series (const struct plan_problem *pb, size_t i, size_t t,
                  enum plan_series r, size_t slot)
{
  const struct plan_item *it = &pb->items[i];
  double v = it->d->series[r][slot];

  if (r == PLAN_CPU) {
    const struct core_overhead *o = it->mode[t] == CORE_MODE_FULL
      ? &pb->pol->overhead_full : &pb->pol->overhead_paravirt;
    v = v * (1 + o->cpu_pct / 100) + o->cpu_mhz;
  }
  return v;
}

double
plan_item_memory (const struct plan_problem *pb, size_t i, size_t t)
{
  const struct plan_item *it = &pb->items[i];
  const struct core_overhead *o = it->mode[t] == CORE_MODE_FULL
    ? &pb->pol->overhead_full : &pb->pol->overhead_paravirt;

  return it->d->memory_mib / pb->pol->memory_overcommit + o->memory_mib;
}

/* Demand of item I on type T for series R at slot S. */
static inline double
item_at (const struct plan_packer *pk, size_t i, size_t t, int r, size_t s)
{
  double v = pk->pb->items[i].d->series[r][s];

  return r == PLAN_CPU ? v * pk->cpu_a[PLAN_IX (pk, i, t)] + pk->cpu_b[PLAN_IX (pk, i, t)] : v;
}

static inline double
item_peak (const struct plan_packer *pk, size_t i, size_t t, int r)
{
  double v = pk->pb->items[i].d->peak[r];

  return r == PLAN_CPU ? v * pk->cpu_a[PLAN_IX (pk, i, t)] + pk->cpu_b[PLAN_IX (pk, i, t)] : v;
}

/* Bins ----------------------------------------------------------------- */

int
plan_bin_init (struct plan_packer *pk, struct plan_bin *b, size_t type)
{
  memset (b, 0, sizeof *b);
  b->type = type;
  for (int r = 0; r < PLAN_NSERIES; r++) {
    b->series[r] = calloc (pk->T, sizeof (double));
    if (b->series[r] == NULL) {
      core_error ("out of memory");
      return -1;
    }
  }
  return 0;
}

void
plan_bin_clear (struct plan_bin *b)
{
  for (int r = 0; r < PLAN_NSERIES; r++)
    free (b->series[r]);
  free (b->items);
  memset (b, 0, sizeof *b);
}

static int
bin_copy (struct plan_packer *pk, struct plan_bin *dst, const struct plan_bin *src)
{
  if (plan_bin_init (pk, dst, src->type) == -1)
    return -1;
  for (int r = 0; r < PLAN_NSERIES; r++)
    memcpy (dst->series[r], src->series[r], pk->T * sizeof (double));
  dst->memory_mib = src->memory_mib;
  dst->disk_gib = src->disk_gib;
  dst->vcpus = src->vcpus;
  if (src->nitems) {
    dst->items = malloc (src->nitems * sizeof *dst->items);
    if (dst->items == NULL) {
      plan_bin_clear (dst);
      core_error ("out of memory");
      return -1;
    }
    memcpy (dst->items, src->items, src->nitems * sizeof *dst->items);
  }
  dst->nitems = dst->capitems = src->nitems;
  return 0;
}

/* Peak of series R in bin B (the bins keep no cached peak: removals would
 * make it stale, and the scan is short). */
double
plan_bin_peak (const struct plan_packer *pk, const struct plan_bin *b, int r)
{
  double m = 0;

  for (size_t s = 0; s < pk->T; s++)
    if (b->series[r][s] > m)
      m = b->series[r][s];
  return m;
}

static bool
items_clash (const struct plan_item *a, const struct plan_item *b)
{
  return a->nsets && b->nsets
    && plan_sets_common (a->sets, a->nsets, b->sets, b->nsets) >= 0;
}

static bool
group_clash (const struct plan_packer *pk, const struct plan_bin *b, size_t i,
             const size_t *skip, size_t nskip)
{
  const struct plan_item *it = &pk->pb->items[i];

  if (it->nsets == 0)
    return false;
  for (size_t k = 0; k < b->nitems; k++) {
    size_t j = b->items[k];
    bool skipped = false;
    for (size_t q = 0; q < nskip; q++)
      skipped |= skip[q] == j;
    if (!skipped && items_clash (it, &pk->pb->items[j]))
      return true;
  }
  return false;
}

/* Would bin B (of its type) hold the NIN items IN after removing the
 * NOUT items OUT?  The core feasibility test of the packer. */

static bool
groups_allow (const struct plan_packer *pk, const struct plan_bin *b,
              const size_t *in, size_t nin, const size_t *out, size_t nout)
{
  for (size_t q = 0; q < nin; q++) {
    if (group_clash (pk, b, in[q], out, nout))
      return false;
    for (size_t q2 = q + 1; q2 < nin; q2++)
      if (items_clash (&pk->pb->items[in[q]], &pk->pb->items[in[q2]]))
        return false;
  }
  return true;
}

/* fits_move for one slot. */
static bool
fits_move_1 (const struct plan_packer *pk, const struct plan_bin *b,
             const size_t *in, size_t nin, const size_t *out, size_t nout)
{
  size_t t = b->type;
  const double *cv = pk->capv + t * PLAN_ND;
  double load[PLAN_ND] = { b->memory_mib, b->disk_gib, b->vcpus };

  if (!pk->all_modes)
    for (size_t q = 0; q < nin; q++)
      if (pk->mode[PLAN_IX (pk, in[q], t)] < 0)
        return false;
  if (pk->nact == 1) {
    /* One binding dimension: the common case, kept short. */
    int d = pk->act[0];
    double l = d < 3 ? load[d] : b->series[d - 3][0];
    for (size_t q = 0; q < nin; q++)
      l += pk->vec[PLAN_IX (pk, in[q], t) * PLAN_ND + d];
    for (size_t q = 0; q < nout; q++)
      l -= pk->vec[PLAN_IX (pk, out[q], t) * PLAN_ND + d];
    if (l > cv[d])
      return false;
    return !pk->has_groups || groups_allow (pk, b, in, nin, out, nout);
  }
  for (int r = 0; r < PLAN_NSERIES; r++)
    load[3 + r] = b->series[r][0];
  for (size_t q = 0; q < nin; q++) {
    const double *v = pk->vec + PLAN_IX (pk, in[q], t) * PLAN_ND;
    for (int a = 0; a < pk->nact; a++)
      load[pk->act[a]] += v[pk->act[a]];
  }
  for (size_t q = 0; q < nout; q++) {
    const double *v = pk->vec + PLAN_IX (pk, out[q], t) * PLAN_ND;
    for (int a = 0; a < pk->nact; a++)
      load[pk->act[a]] -= v[pk->act[a]];
  }
  for (int a = 0; a < pk->nact; a++)
    if (load[pk->act[a]] > cv[pk->act[a]])
      return false;
  return !pk->has_groups || groups_allow (pk, b, in, nin, out, nout);
}

bool
plan_fits_move (const struct plan_packer *pk, const struct plan_bin *b,
                const size_t *in, size_t nin, const size_t *out, size_t nout)
{
  if (pk->vec)
    return fits_move_1 (pk, b, in, nin, out, nout);

  size_t t = b->type;
  const struct plan_capacity *c = &pk->pb->cap[t];
  double mem = b->memory_mib, disk = b->disk_gib, vcpus = b->vcpus;

  for (size_t q = 0; q < nin; q++) {
    if (pk->mode[PLAN_IX (pk, in[q], t)] < 0)
      return false;
    mem += pk->mem[PLAN_IX (pk, in[q], t)];
    disk += pk->pb->items[in[q]].d->disk_gib;
    vcpus += pk->pb->items[in[q]].d->vcpus;
  }
  for (size_t q = 0; q < nout; q++) {
    mem -= pk->mem[PLAN_IX (pk, out[q], t)];
    disk -= pk->pb->items[out[q]].d->disk_gib;
    vcpus -= pk->pb->items[out[q]].d->vcpus;
  }
  if (mem > c->memory_mib * (1 + PLAN_EPS) + PLAN_EPS
      || disk > c->disk_gib * (1 + PLAN_EPS) + PLAN_EPS
      || vcpus > c->vcpus + PLAN_EPS)
    return false;
  if (pk->has_groups && !groups_allow (pk, b, in, nin, out, nout))
    return false;
  for (int r = 0; r < PLAN_NSERIES; r++) {
    double cap = c->series[r] * (1 + PLAN_EPS) + PLAN_EPS;

    if (isinf (cap))
      continue;
    if (nout == 0) {
      /* Quick accept: even at the bin's peak the items fit. */
      double peak = 0;
      for (size_t s = 0; s < pk->T; s++)
        if (b->series[r][s] > peak)
          peak = b->series[r][s];
      for (size_t q = 0; q < nin; q++)
        peak += item_peak (pk, in[q], t, r);
      if (peak <= cap)
        continue;
    }
    for (size_t s = 0; s < pk->T; s++) {
      double v = b->series[r][s];
      for (size_t q = 0; q < nin; q++)
        v += item_at (pk, in[q], t, r, s);
      for (size_t q = 0; q < nout; q++)
        v -= item_at (pk, out[q], t, r, s);
      if (v > cap)
        return false;
    }
  }
  return true;
}

int
plan_bin_add (struct plan_packer *pk, struct plan_bin *b, size_t i)
{
  size_t t = b->type;

  if (b->nitems == b->capitems) {
    size_t nc = b->capitems ? b->capitems * 2 : 8;
    size_t *p = realloc (b->items, nc * sizeof *p);
    if (p == NULL) {
      core_error ("out of memory");
      return -1;
    }
    b->items = p;
    b->capitems = nc;
  }
  b->items[b->nitems++] = i;
  b->memory_mib += pk->mem[PLAN_IX (pk, i, t)];
  b->disk_gib += pk->pb->items[i].d->disk_gib;
  b->vcpus += pk->pb->items[i].d->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    for (size_t s = 0; s < pk->T; s++)
      b->series[r][s] += item_at (pk, i, t, r, s);
  return 0;
}

void
plan_bin_remove (struct plan_packer *pk, struct plan_bin *b, size_t i)
{
  size_t t = b->type;

  for (size_t k = 0; k < b->nitems; k++)
    if (b->items[k] == i) {
      b->items[k] = b->items[--b->nitems];
      break;
    }
  b->memory_mib -= pk->mem[PLAN_IX (pk, i, t)];
  b->disk_gib -= pk->pb->items[i].d->disk_gib;
  b->vcpus -= pk->pb->items[i].d->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    for (size_t s = 0; s < pk->T; s++)
      b->series[r][s] -= item_at (pk, i, t, r, s);
  if (b->nitems == 0) {
    /* Exactly empty: no rounding residue. */
    b->memory_mib = b->disk_gib = b->vcpus = 0;
    for (int r = 0; r < PLAN_NSERIES; r++)
      memset (b->series[r], 0, pk->T * sizeof (double));
  }
}

/* Solutions ------------------------------------------------------------- */

void
plan_solution_clear (struct plan_solution *s)
{
  if (s == NULL)
    return;
  for (size_t k = 0; k < s->nbins; k++)
    plan_bin_clear (&s->bins[k]);
  free (s->bins);
  free (s->bin_of);
  memset (s, 0, sizeof *s);
}

/* What a host of model M costs, for its HA spares. */
double
plan_model_cost (const struct plan_packer *pk, size_t m)
{
  for (size_t t = 0; t < pk->ntypes; t++)
    if (pk->pb->cap[t].model == m)
      return pk->pb->cap[t].cost;
  return 0;
}

/* The hosts' cost and, per model in use, its ha_spare_hosts empty spares:
 * the plan pays for those too, so a model used for one host costs a
 * spare more than its host. */
double
plan_solution_cost (const struct plan_packer *pk, const struct plan_solution *s)
{
  double c = 0;
  int64_t spares = pk->pb->pol->ha_spare_hosts;

  for (size_t k = 0; k < s->nbins; k++)
    c += pk->pb->cap[s->bins[k].type].cost;
  if (spares > 0)
    for (size_t m = 0; m < pk->pb->nmodels; m++) {
      bool used = false;
      for (size_t k = 0; k < s->nbins && !used; k++)
        used = pk->pb->cap[s->bins[k].type].model == m;
      if (used)
        c += (double) spares * plan_model_cost (pk, m);
    }
  return c;
}

int
plan_solution_copy (struct plan_packer *pk, struct plan_solution *dst,
                    const struct plan_solution *src)
{
  memset (dst, 0, sizeof *dst);
  dst->bins = calloc (src->nbins ? src->nbins : 1, sizeof *dst->bins);
  dst->bin_of = malloc ((pk->n ? pk->n : 1) * sizeof *dst->bin_of);
  if (dst->bins == NULL || dst->bin_of == NULL) {
    plan_solution_clear (dst);
    core_error ("out of memory");
    return -1;
  }
  memcpy (dst->bin_of, src->bin_of, pk->n * sizeof *dst->bin_of);
  for (size_t k = 0; k < src->nbins; k++) {
    if (bin_copy (pk, &dst->bins[k], &src->bins[k]) == -1) {
      dst->nbins = k;
      plan_solution_clear (dst);
      return -1;
    }
    dst->nbins = k + 1;
  }
  dst->cost = src->cost;
  return 0;
}

/* DST (a solution or zeroed) becomes a copy of SRC. */
static int
solution_set (struct plan_packer *pk, struct plan_solution *dst,
              const struct plan_solution *src)
{
  plan_solution_clear (dst);
  return plan_solution_copy (pk, dst, src);
}

int
plan_open_bin (struct plan_packer *pk, size_t type)
{
  struct plan_bin *p = realloc (pk->sol.bins, (pk->sol.nbins + 1) * sizeof *p);

  if (p == NULL) {
    core_error ("out of memory");
    return -1;
  }
  pk->sol.bins = p;
  if (plan_bin_init (pk, &p[pk->sol.nbins], type) == -1)
    return -1;
  pk->sol.nbins++;
  pk->model_used[pk->pb->cap[type].model]++;
  return (int) pk->sol.nbins - 1;
}

/* Remove empty bin K, moving the last bin into its place. */
void
plan_drop_bin (struct plan_packer *pk, size_t k)
{
  struct plan_solution *s = &pk->sol;
  size_t last = s->nbins - 1;

  pk->model_used[pk->pb->cap[s->bins[k].type].model]--;
  plan_bin_clear (&s->bins[k]);
  if (k != last) {
    s->bins[k] = s->bins[last];
    for (size_t q = 0; q < s->bins[k].nitems; q++)
      s->bin_of[s->bins[k].items[q]] = k;
  }
  memset (&s->bins[last], 0, sizeof s->bins[last]);
  s->nbins--;
}

bool
plan_model_available (const struct plan_packer *pk, size_t type)
{
  const struct plan_capacity *c = &pk->pb->cap[type];

  return c->count == CORE_UNSET || pk->model_used[c->model] < c->count;
}

/* Whether item I can go to a new host of type T: its mode allows it, the
 * model's count has room, and it fits an empty host.  1 yes, 0 no, -1
 * error. */
int
plan_fits_empty (struct plan_packer *pk, size_t i, size_t t)
{
  struct plan_bin empty;
  bool ok;

  if (pk->mode[PLAN_IX (pk, i, t)] < 0 || !plan_model_available (pk, t))
    return 0;
  if (plan_bin_init (pk, &empty, t) == -1)
    return -1;
  ok = plan_fits (pk, &empty, i);
  plan_bin_clear (&empty);
  return ok;
}

/* Proxies and sizes ------------------------------------------------------ */

static void
item_proxy (const struct plan_packer *pk, size_t i, size_t t, double *v)
{
  v[PLAN_PX_MEM] = pk->mem[PLAN_IX (pk, i, t)];
  v[PLAN_PX_DISK] = pk->pb->items[i].d->disk_gib;
  v[PLAN_PX_VCPU] = pk->pb->items[i].d->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    v[PLAN_PX_CPU + r] = item_peak (pk, i, t, r);
}

void
plan_cap_proxy (const struct plan_packer *pk, size_t t, double *v)
{
  const struct plan_capacity *c = &pk->pb->cap[t];

  v[PLAN_PX_MEM] = c->memory_mib;
  v[PLAN_PX_DISK] = c->disk_gib;
  v[PLAN_PX_VCPU] = c->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    v[PLAN_PX_CPU + r] = c->series[r];
}

/* Item orders: the size measures of the constructive heuristics. */
enum measure { M_MAX, M_SUM, M_L2, M_CPU_AVG, NMEASURES };

static double
item_size (const struct plan_packer *pk, size_t i, enum measure m)
{
  double v[PLAN_NPX], s = 0;
  size_t t = 0;

  /* Measured on the first type the item can use. */
  while (t + 1 < pk->ntypes && pk->mode[PLAN_IX (pk, i, t)] < 0)
    t++;
  item_proxy (pk, i, t, v);
  if (m == M_CPU_AVG) {
    /* Time-aware: the average CPU over the day plus the constants. */
    double avg = 0;
    for (size_t q = 0; q < pk->T; q++)
      avg += item_at (pk, i, t, PLAN_CPU, q);
    v[PLAN_PX_CPU] = avg / pk->T;
  }
  for (int d = 0; d < PLAN_NPX; d++) {
    double x = pk->refcap[d] > 0 && isfinite (pk->refcap[d]) ? v[d] / pk->refcap[d] : 0;
    switch (m) {
    case M_MAX: if (x > s) s = x; break;
    case M_SUM: case M_CPU_AVG: s += x; break;
    case M_L2: s += x * x; break;
    default: break;
    }
  }
  return s;
}

int
plan_cmp_order (const void *a, const void *b)
{
  const struct plan_order_entry *x = a, *y = b;

  if (x->key != y->key)
    return x->key > y->key ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Constructive heuristics ------------------------------------------------ */

enum rule { R_FIRST_FIT, R_DOT, R_L2, NRULES };

/* Score of putting I into B: higher is better. */
static double
placement_score (const struct plan_packer *pk, const struct plan_bin *b, size_t i,
                 enum rule rule)
{
  double iv[PLAN_NPX], cv[PLAN_NPX], lv[PLAN_NPX], s = 0;

  item_proxy (pk, i, b->type, iv);
  plan_cap_proxy (pk, b->type, cv);
  lv[PLAN_PX_MEM] = b->memory_mib;
  lv[PLAN_PX_DISK] = b->disk_gib;
  lv[PLAN_PX_VCPU] = b->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    lv[PLAN_PX_CPU + r] = plan_bin_peak (pk, b, r);
  for (int d = 0; d < PLAN_NPX; d++) {
    if (!(cv[d] > 0) || isinf (cv[d]))
      continue;
    if (rule == R_DOT)
      s += (iv[d] / cv[d]) * (lv[d] / cv[d]);
    else {
      double residual = 1 - (lv[d] + iv[d]) / cv[d];
      s -= residual * residual;
    }
  }
  return s;
}

/* The type a new host for item I should have, or -1. */
static int
choose_new_type (struct plan_packer *pk, size_t i, int preferred)
{
  double best = INFINITY;
  int pick = -1;

  if (preferred >= 0 && plan_fits_empty (pk, i, preferred) == 1)
    return preferred;
  for (size_t t = 0; t < pk->ntypes; t++) {
    double cv[PLAN_NPX], per = 0, score;
    int ok = plan_fits_empty (pk, i, t);

    if (ok == -1)
      return -1;
    if (!ok)
      continue;
    /* Cost per unit of capacity, capacity measured against the largest
     * of each resource. */
    plan_cap_proxy (pk, t, cv);
    for (int d = 0; d < PLAN_NPX; d++)
      if (pk->refcap[d] > 0 && isfinite (pk->refcap[d]))
        per += fmin (cv[d], pk->refcap[d]) / pk->refcap[d];
    score = pk->pb->cap[t].cost / (per > 0 ? per : 1);
    if (score < best - PLAN_EPS) {
      best = score;
      pick = (int) t;
    }
  }
  return pick;
}

#define WINDOW 128

/* With one slot: can bin B take nothing of demand at least MIN per
 * dimension? */
static bool
bin_closed (const struct plan_packer *pk, const struct plan_bin *b, const double *min)
{
  const double *cv = pk->capv + b->type * PLAN_ND;
  double load[PLAN_ND] = { b->memory_mib, b->disk_gib, b->vcpus };

  for (int r = 0; r < PLAN_NSERIES; r++)
    load[3 + r] = b->series[r][0];
  for (int d = 0; d < PLAN_ND; d++)
    if (load[d] + min[d] > cv[d])
      return true;
  return false;
}

/* One constructive pass into pk->sol (emptied first). */
static int
construct (struct plan_packer *pk, const size_t *order, enum rule rule, int preferred)
{
  /* With one slot, a host whose slack in some dimension is below every
   * remaining workload's demand there can take none of them: it is
   * closed and no longer scanned (exact, and what keeps first fit fast
   * over thousands of hosts).  SUFMIN[q] is the least demand per
   * dimension of the workloads from position q on. */
  double *sufmin = NULL;
  size_t *open = NULL, nopen = 0;
  int ret = -1;

  plan_solution_clear (&pk->sol);
  memset (pk->model_used, 0, pk->pb->nmodels * sizeof *pk->model_used);
  pk->sol.bin_of = malloc ((pk->n ? pk->n : 1) * sizeof *pk->sol.bin_of);
  open = malloc ((pk->n ? pk->n : 1) * sizeof *open);
  if (pk->vec)
    sufmin = malloc ((pk->n + 1) * PLAN_ND * sizeof *sufmin);
  if (pk->sol.bin_of == NULL || open == NULL || (pk->vec && sufmin == NULL)) {
    core_error ("out of memory");
    goto out;
  }
  for (size_t i = 0; i < pk->n; i++)
    pk->sol.bin_of[i] = -1;
  if (sufmin) {
    for (int d = 0; d < PLAN_ND; d++)
      sufmin[pk->n * PLAN_ND + d] = INFINITY;
    for (size_t q = pk->n; q > 0; q--)
      for (int d = 0; d < PLAN_ND; d++) {
        double m = sufmin[q * PLAN_ND + d];
        for (size_t t = 0; t < pk->ntypes; t++)
          if (pk->mode[PLAN_IX (pk, order[q - 1], t)] >= 0)
            m = fmin (m, pk->vec[PLAN_IX (pk, order[q - 1], t) * PLAN_ND + d]);
        sufmin[(q - 1) * PLAN_ND + d] = m;
      }
  }

  for (size_t q = 0; q < pk->n; q++) {
    size_t i = order[q];
    ssize_t best = -1;
    double best_score = -INFINITY;

    for (size_t o = 0; o < nopen; o++) {
      /* Past 20,000 workloads scan only the first and the last WINDOW
       * open hosts: the fullest and the newest, where first fit places
       * nearly everything anyway. */
      if (pk->n > 20000 && o == WINDOW && nopen > 2 * WINDOW)
        o = nopen - WINDOW;
      size_t k = open[o];
      struct plan_bin *b = &pk->sol.bins[k];
      if (!plan_fits (pk, b, i)) {
        if (sufmin && bin_closed (pk, b, sufmin + q * PLAN_ND)) {
          memmove (&open[o], &open[o + 1], (nopen - o - 1) * sizeof *open);
          nopen--;
          o--;
        }
        continue;
      }
      if (rule == R_FIRST_FIT) {
        best = k;
        break;
      }
      double sc = placement_score (pk, b, i, rule);
      if (sc > best_score) {
        best_score = sc;
        best = k;
      }
    }
    if (best < 0) {
      int t = choose_new_type (pk, i, preferred);
      if (t < 0)
        continue;               /* no host can take it: left unplaced */
      best = plan_open_bin (pk, t);
      if (best < 0)
        goto out;
      open[nopen++] = best;
    }
    if (plan_bin_add (pk, &pk->sol.bins[best], i) == -1)
      goto out;
    pk->sol.bin_of[i] = best;
  }
  pk->sol.cost = plan_solution_cost (pk, &pk->sol);
  ret = 0;
 out:
  free (sufmin);
  free (open);
  return ret;
}

/* Minimum bin slack (after Gupta and Ho, in Fleszar and Hindi's variant
 * that seeds each host with the largest workload left): hosts are filled
 * one at a time, each with the subset of the remaining workloads that
 * fills it most, found by a bounded depth-first search.  Where first fit
 * leaves a little room in every host, this fills hosts exactly (the
 * Falkenauer triplets, where first fit decreasing is never optimal).
 * For one host type and one binding dimension (the one-dimensional
 * benchmarks): the workloads sorted by their demand there let each step
 * of the search jump to the largest one that fits. */
#define MBS_NODES 2000

void
plan_mbs_dfs (struct plan_mbs *m, size_t start, size_t depth, double load)
{
  size_t lo, hi;

  if (load > m->best_load) {
    m->best_load = load;
    m->nbest = depth;
    memcpy (m->best, m->cur, depth * sizeof *m->cur);
  }
  /* The first candidate from START that fits: binary search. */
  lo = start;
  hi = m->nc;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (load + m->sz[mid] <= m->cap)
      hi = mid;
    else
      lo = mid + 1;
  }
  for (size_t q = lo; q < m->nc; q++) {
    if (m->best_load >= plan_full_at (m->cap) || load + m->suffix[q] <= m->best_load
        || --m->nodes < 0)
      return;
    /* Equal demands: trying the second after the first adds nothing. */
    if (q > lo && m->sz[q] == m->sz[q - 1])
      continue;
    m->cur[depth] = m->cand[q];
    plan_mbs_dfs (m, q + 1, depth + 1, load + m->sz[q]);
  }
}

/* ORDER: the workloads by decreasing demand in the binding dimension. */
static int
construct_mbs (struct plan_packer *pk, const size_t *order)
{
  size_t *left = NULL, *cand = NULL, *cur = NULL, *bestset = NULL, nleft = 0;
  double *sz = NULL, *suffix = NULL;
  int d = pk->act[0], ret = -1;
  double cap = pk->capv[d];

  plan_solution_clear (&pk->sol);
  memset (pk->model_used, 0, pk->pb->nmodels * sizeof *pk->model_used);
  pk->sol.bin_of = malloc ((pk->n ? pk->n : 1) * sizeof *pk->sol.bin_of);
  left = malloc ((pk->n ? pk->n : 1) * sizeof *left);
  cand = malloc ((pk->n ? pk->n : 1) * sizeof *cand);
  cur = malloc ((pk->n ? pk->n : 1) * sizeof *cur);
  bestset = malloc ((pk->n ? pk->n : 1) * sizeof *bestset);
  sz = malloc ((pk->n ? pk->n : 1) * sizeof *sz);
  suffix = malloc ((pk->n + 1) * sizeof *suffix);
  if (!pk->sol.bin_of || !left || !cand || !cur || !bestset || !sz || !suffix) {
    core_error ("out of memory");
    goto out;
  }
  for (size_t i = 0; i < pk->n; i++)
    pk->sol.bin_of[i] = -1;
  /* Workloads no host can take stay unplaced. */
  for (size_t q = 0; q < pk->n; q++)
    if (pk->mode[PLAN_IX (pk, order[q], 0)] >= 0 && pk->vec[PLAN_IX (pk, order[q], 0) * PLAN_ND + d] <= cap)
      left[nleft++] = order[q];
  while (nleft > 0) {
    size_t seed = left[0], nc = 0, n2 = 0;
    struct plan_mbs m = { .cand = cand, .sz = sz, .suffix = suffix, .cur = cur,
                     .best = bestset, .cap = cap, .nodes = MBS_NODES };
    int k;

    if (!plan_model_available (pk, 0))
      break;                    /* the count is used up: the rest unplaced */
    k = plan_open_bin (pk, 0);
    if (k < 0 || plan_bin_add (pk, &pk->sol.bins[k], seed) == -1)
      goto out;
    pk->sol.bin_of[seed] = k;
    for (size_t q = 1; q < nleft; q++) {
      cand[nc] = left[q];
      sz[nc++] = pk->vec[PLAN_IX (pk, left[q], 0) * PLAN_ND + d];
    }
    suffix[nc] = 0;
    for (size_t q = nc; q > 0; q--)
      suffix[q - 1] = suffix[q] + sz[q - 1];
    m.nc = nc;
    m.best_load = pk->vec[PLAN_IX (pk, seed, 0) * PLAN_ND + d];
    plan_mbs_dfs (&m, 0, 0, m.best_load);
    for (size_t j = 0; j < m.nbest; j++) {
      if (plan_bin_add (pk, &pk->sol.bins[k], bestset[j]) == -1)
        goto out;
      pk->sol.bin_of[bestset[j]] = k;
    }
    for (size_t q = 1; q < nleft; q++)
      if (pk->sol.bin_of[left[q]] < 0)
        left[n2++] = left[q];
    nleft = n2;
  }
  pk->sol.cost = plan_solution_cost (pk, &pk->sol);
  ret = 0;
 out:
  free (left);
  free (cand);
  free (cur);
  free (bestset);
  free (sz);
  free (suffix);
  return ret;
}

static size_t
placed_count (const struct plan_packer *pk, const struct plan_solution *s)
{
  size_t n = 0;

  for (size_t i = 0; i < pk->n; i++)
    n += s->bin_of[i] >= 0;
  return n;
}

/* Better: more items placed, then lower cost, then fewer hosts. */
static bool
better (const struct plan_packer *pk, const struct plan_solution *a,
        const struct plan_solution *b)
{
  size_t pa = placed_count (pk, a), pb = placed_count (pk, b);

  if (pa != pb)
    return pa > pb;
  if (fabs (a->cost - b->cost) > PLAN_EPS * (1 + fabs (b->cost)))
    return a->cost < b->cost;
  return a->nbins < b->nbins;
}

/* The progress line: the share of the time limit used (the search runs
 * until it), and the best solution so far.  At most ten times a second
 * unless FORCE. */
void
plan_pack_report (struct plan_packer *pk, const char *what, bool force)
{
  double now, limit, f;
  bool costs = false;

  if (pk->progress == NULL)
    return;
  now = core_monotonic ();
  if (!force && now - pk->last_report < 0.1)
    return;
  pk->last_report = now;
  limit = pk->deadline - pk->start;
  f = limit > 0 ? fmin (1, (now - pk->start) / limit) : 1;
  for (size_t t = 0; t < pk->ntypes; t++)
    costs |= pk->pb->cap[t].cost != 1;
  if (pk->best_bins == 0)
    snprintf (pk->stage, sizeof pk->stage, "%s", what);
  else if (costs)
    snprintf (pk->stage, sizeof pk->stage, "%s (best so far: %zu hosts%s, "
              "cost %.0f%s)", what, pk->best_bins,
              pk->pb->pol->ha_spare_hosts > 0 ? " + spares" : "", pk->best_cost,
              pk->best_placed < pk->n ? ", some left out" : "");
  else
    snprintf (pk->stage, sizeof pk->stage, "%s (best so far: %zu hosts%s%s)",
              what, pk->best_bins,
              pk->pb->pol->ha_spare_hosts > 0 ? " + spares" : "",
              pk->best_placed < pk->n ? ", some left out" : "");
  pk->progress (pk->opaque, pk->stage, f);
}

void
plan_note_best (struct plan_packer *pk, const struct plan_solution *s)
{
  pk->best_bins = s->nbins;
  pk->best_cost = plan_solution_cost (pk, s);
  pk->best_placed = placed_count (pk, s);
}


static int
cmp_double_asc (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Fills pk->act and pk->nact (see there). */
static int
find_active (struct plan_packer *pk)
{
  bool binds[PLAN_ND] = { false };
  double *v = malloc ((pk->n ? pk->n : 1) * PLAN_ND * sizeof *v);
  size_t *cnt = malloc (PLAN_ND * sizeof *cnt);

  if (v == NULL || cnt == NULL) {
    free (v);
    free (cnt);
    core_error ("out of memory");
    return -1;
  }
  for (size_t t = 0; t < pk->ntypes; t++) {
    const double *cv = pk->capv + t * PLAN_ND;
    size_t k = SIZE_MAX;
    int kd = 0;

    for (int d = 0; d < PLAN_ND; d++) {
      double *col = v + (size_t) d * (pk->n ? pk->n : 1), sum = 0;
      cnt[d] = 0;
      for (size_t i = 0; i < pk->n; i++)
        if (pk->mode[PLAN_IX (pk, i, t)] >= 0)
          col[cnt[d]++] = pk->vec[PLAN_IX (pk, i, t) * PLAN_ND + d];
      qsort (col, cnt[d], sizeof *col, cmp_double_asc);
      /* The most workloads this dimension lets into one host. */
      size_t q = 0;
      while (q < cnt[d] && sum + col[q] <= cv[d]) {
        sum += col[q];
        q++;
      }
      if (q < k) {
        k = q;
        kd = d;
      }
    }
    for (int d = 0; d < PLAN_ND; d++) {
      double *col = v + (size_t) d * (pk->n ? pk->n : 1), sum = 0;
      /* Dimension KD, which gives K, stays unless everything fits. */
      size_t kk = d == kd ? cnt[d] : k;
      for (size_t q = 0; q < kk && q < cnt[d]; q++)
        sum += col[cnt[d] - 1 - q];
      if (!(sum <= cv[d] * (1 - 1e-6)))
        binds[d] = true;
    }
  }
  pk->nact = 0;
  for (int d = 0; d < PLAN_ND; d++)
    if (binds[d])
      pk->act[pk->nact++] = d;
  free (v);
  free (cnt);
  return 0;
}

/* Entry point ------------------------------------------------------------ */

int
plan_pack (const struct plan_problem *pb, struct plan_solution *out,
           plan_progress_fn progress, void *opaque)
{
  struct plan_packer pk = { .pb = pb, .n = pb->nitems, .ntypes = pb->ntypes,
                       .T = pb->slots, .progress = progress, .opaque = opaque };
  struct plan_solution best = { 0 };
  struct plan_order_entry *ord = NULL;
  size_t *order = NULL;
  int64_t lb;
  int ret = -1;
  size_t nn = pk.n * pk.ntypes;

  memset (out, 0, sizeof *out);
  pk.rng = pb->seed * UINT64_C(0x9E3779B97F4A7C15) + 0x2545F4914F6CDD1D;
  if (pk.rng == 0)
    pk.rng = 1;
  pk.start = core_monotonic ();
  pk.deadline = pk.start + pb->time_limit;
  pk.mode = malloc ((nn ? nn : 1) * sizeof *pk.mode);
  pk.mem = malloc ((nn ? nn : 1) * sizeof *pk.mem);
  pk.cpu_a = malloc ((nn ? nn : 1) * sizeof *pk.cpu_a);
  pk.cpu_b = malloc ((nn ? nn : 1) * sizeof *pk.cpu_b);
  pk.weight = malloc ((pk.n ? pk.n : 1) * sizeof *pk.weight);
  pk.size = malloc ((pk.n ? pk.n : 1) * sizeof *pk.size);
  pk.model_used = calloc (pb->nmodels ? pb->nmodels : 1, sizeof *pk.model_used);
  ord = malloc ((pk.n ? pk.n : 1) * sizeof *ord);
  order = malloc ((pk.n ? pk.n : 1) * sizeof *order);
  if (!pk.mode || !pk.mem || !pk.cpu_a || !pk.cpu_b || !pk.weight || !pk.size
      || !pk.model_used || !ord || !order) {
    core_error ("out of memory");
    goto out;
  }
  for (size_t i = 0; i < pk.n; i++)
    for (size_t t = 0; t < pk.ntypes; t++) {
      int m = pb->items[i].mode[t];
      const struct core_overhead *o = m == CORE_MODE_FULL
        ? &pb->pol->overhead_full : &pb->pol->overhead_paravirt;
      pk.mode[PLAN_IX (&pk, i, t)] = m;
      pk.cpu_a[PLAN_IX (&pk, i, t)] = 1 + o->cpu_pct / 100;
      pk.cpu_b[PLAN_IX (&pk, i, t)] = o->cpu_mhz;
      pk.mem[PLAN_IX (&pk, i, t)] = plan_item_memory (pb, i, t);
    }
  for (int d = 0; d < PLAN_NPX; d++)
    pk.refcap[d] = 0;
  for (size_t t = 0; t < pk.ntypes; t++) {
    double cv[PLAN_NPX];
    plan_cap_proxy (&pk, t, cv);
    for (int d = 0; d < PLAN_NPX; d++)
      if (isfinite (cv[d]) && cv[d] > pk.refcap[d])
        pk.refcap[d] = cv[d];
  }
  for (size_t i = 0; i < pk.n; i++) {
    pk.size[i] = item_size (&pk, i, M_SUM);
    pk.weight[i] = pk.size[i];
  }

  for (size_t i = 0; i < pk.n; i++)
    pk.has_groups |= pb->items[i].nsets > 0;
  if (pk.T == 1) {
    pk.vec = malloc ((nn ? nn : 1) * PLAN_ND * sizeof *pk.vec);
    pk.capv = malloc ((pk.ntypes ? pk.ntypes : 1) * PLAN_ND * sizeof *pk.capv);
    if (pk.vec == NULL || pk.capv == NULL) {
      core_error ("out of memory");
      goto out;
    }
    for (size_t t = 0; t < pk.ntypes; t++) {
      const struct plan_capacity *c = &pb->cap[t];
      double *cv = pk.capv + t * PLAN_ND;
      cv[0] = c->memory_mib * (1 + PLAN_EPS) + PLAN_EPS;
      cv[1] = c->disk_gib * (1 + PLAN_EPS) + PLAN_EPS;
      cv[2] = c->vcpus + PLAN_EPS;
      for (int r = 0; r < PLAN_NSERIES; r++)
        cv[3 + r] = c->series[r] * (1 + PLAN_EPS) + PLAN_EPS;
      for (size_t i = 0; i < pk.n; i++) {
        double *v = pk.vec + PLAN_IX (&pk, i, t) * PLAN_ND;
        v[0] = pk.mem[PLAN_IX (&pk, i, t)];
        v[1] = pb->items[i].d->disk_gib;
        v[2] = pb->items[i].d->vcpus;
        for (int r = 0; r < PLAN_NSERIES; r++)
          v[3 + r] = item_at (&pk, i, t, r, 0);
      }
    }
    /* A dimension is left out of the fit test when no host can hold
     * enough workloads to fill it: at most K fit a host of type T (the K
     * smallest in dimension KD fill it), and the K largest fit in this
     * one, with a margin for rounding.  KD itself stays in the test
     * (unless all the workloads fit it), so the count holds. */
    if (find_active (&pk) == -1)
      goto out;
  }
  pk.all_modes = true;
  for (size_t q = 0; q < nn; q++)
    pk.all_modes &= pk.mode[q] >= 0;
  pk.one_d = pk.vec && pk.ntypes == 1 && pk.nact == 1 && !pk.has_groups
    && pk.all_modes;
  if (pk.one_d) {
    /* The weights too are the demand there: the other dimensions never
     * bind, and counting them would make the objective prefer moving
     * many small workloads over an equal demand in fewer. */
    pk.sz = malloc ((pk.n ? pk.n : 1) * sizeof *pk.sz);
    if (pk.sz == NULL) {
      core_error ("out of memory");
      goto out;
    }
    pk.cap1 = pk.capv[pk.act[0]];
    for (size_t i = 0; i < pk.n; i++) {
      pk.sz[i] = pk.vec[i * PLAN_ND + pk.act[0]];
      pk.size[i] = pk.weight[i] = pk.sz[i] / pk.cap1;
    }
  }

  lb = plan_lower_bound (pb);

  /* 1. Constructive heuristics: every measure x rule x new-host choice. */
  {
    int prefs = pk.ntypes > 1 ? (int) pk.ntypes + 1 : 1;
    int done = 0;

    for (int m = 0; m < NMEASURES; m++) {
      if (m == M_CPU_AVG && pk.T == 1)
        continue;               /* the same as M_SUM without a day */
      for (size_t i = 0; i < pk.n; i++) {
        ord[i].key = item_size (&pk, i, m);
        ord[i].i = i;
      }
      qsort (ord, pk.n, sizeof *ord, plan_cmp_order);
      for (size_t i = 0; i < pk.n; i++)
        order[i] = ord[i].i;
      for (int r = 0; r < NRULES; r++)
        for (int p = 0; p < prefs; p++) {
          /* First fit over thousands of hosts is slow and no better:
           * on big inputs keep the cheap rules. */
          if (pk.n > 20000 && r != R_FIRST_FIT)
            continue;
          /* The time limit covers construction too, past the first. */
          if (best.bin_of != NULL && plan_out_of_time (&pk))
            continue;
          /* New hosts by cost per capacity first, then of each type in
           * turn: when the time limit cuts construction short, the plan
           * has at least the choice that looks at costs. */
          if (construct (&pk, order, r, p == 0 || prefs == 1 ? -1 : p - 1) == -1)
            goto out;
          if (best.bin_of == NULL || better (&pk, &pk.sol, &best)) {
            if (solution_set (&pk, &best, &pk.sol) == -1)
              goto out;
            plan_note_best (&pk, &best);
          }
          done++;
          plan_pack_report (&pk, "constructing", done == 1);
        }
    }
  }

  /* One-dimensional and not too many workloads: minimum bin slack too. */
  if (pk.one_d && pk.n <= 20000 && !plan_out_of_time (&pk)) {
    for (size_t i = 0; i < pk.n; i++) {
      ord[i].key = pk.vec[PLAN_IX (&pk, i, 0) * PLAN_ND + pk.act[0]];
      ord[i].i = i;
    }
    qsort (ord, pk.n, sizeof *ord, plan_cmp_order);
    for (size_t i = 0; i < pk.n; i++)
      order[i] = ord[i].i;
    if (construct_mbs (&pk, order) == -1)
      goto out;
    if (better (&pk, &pk.sol, &best) && solution_set (&pk, &best, &pk.sol) == -1)
      goto out;
  }

  /* 2. Local search from the best constructed solution. */
  if (solution_set (&pk, &pk.sol, &best) == -1)
    goto out;
  memset (pk.model_used, 0, pb->nmodels * sizeof *pk.model_used);
  for (size_t k = 0; k < pk.sol.nbins; k++)
    pk.model_used[pb->cap[pk.sol.bins[k].type].model]++;
  if (plan_improve (&pk, lb) == -1)
    goto out;
  if ((better (&pk, &pk.sol, &best) || pk.sol.cost <= best.cost)
      && solution_set (&pk, &best, &pk.sol) == -1)
    goto out;

  /* 3. Even the load out. */
  if (solution_set (&pk, &pk.sol, &best) == -1)
    goto out;
  if (placed_count (&pk, &pk.sol) < pk.n && plan_place_left (&pk) == -1)
    goto out;
  plan_balance (&pk);
  if (placed_count (&pk, &pk.sol) < pk.n && plan_place_left (&pk) == -1)
    goto out;

  *out = pk.sol;
  memset (&pk.sol, 0, sizeof pk.sol);
  out->cost = plan_solution_cost (&pk, out);
  if (progress)
    progress (opaque, "done", 1);
  ret = 0;

 out:
  plan_solution_clear (&pk.sol);
  plan_solution_clear (&best);
  free (pk.mode);
  free (pk.mem);
  free (pk.cpu_a);
  free (pk.cpu_b);
  free (pk.weight);
  free (pk.size);
  free (pk.vec);
  free (pk.capv);
  free (pk.sz);
  free (pk.model_used);
  free (ord);
  free (order);
  return ret;
}
