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

#define EPS 1e-9

/* Proxy dimensions for scoring: constants, then series peaks. */
enum { PX_MEM, PX_DISK, PX_VCPU, PX_CPU, PX_IOPS, PX_NET, NPX };

/* Dimensions of the one-slot vectors: memory, disk, vCPUs, the series. */
#define ND (3 + PLAN_NSERIES)

struct packer {
  const struct plan_problem *pb;
  size_t n, ntypes, T;
  /* Per (item, type): -1 when the item cannot go there. */
  int *mode;
  double *mem;                  /* memory reserved, with overhead */
  double *cpu_a, *cpu_b;        /* CPU demand = series * a + b */
  double *size;                 /* normalized size: fills of bins */
  double *weight;               /* the pool's objective (= size; squared
                                 * sizes did worse on the benchmarks) */
  double refcap[NPX];           /* largest finite capacity per proxy */
  /* With one slot (no day series) every demand is a vector of ND numbers:
   * VEC per (item, type) and CAPV per type make the fit test a few
   * additions. */
  double *vec, *capv;
  /* The dimensions that can bind (find_active): the others are left
   * out of the fit test (on the one-dimensional benchmarks only CPU is
   * left, and the test is one comparison). */
  int act[ND], nact;
  bool all_modes;               /* every item can go on every type */
  /* One host type, one binding dimension, no groups: a one-dimensional
   * problem, where the search works on SZ (each item's demand there)
   * against CAP1 and finds its exchanges by binary search. */
  bool one_d;
  double *sz, cap1;
  bool has_groups;
  struct plan_solution sol;
  int64_t *model_used;          /* hosts per model in sol */
  uint64_t rng;
  double deadline;
  plan_progress_fn progress;
  void *opaque;
  double start;
  /* For the progress line: the best solution so far, and when the line
   * was last told. */
  size_t best_bins, best_placed;
  double best_cost, last_report;
  char stage[128];
};

static uint64_t
next_random (struct packer *pk)
{
  /* xorshift64*: small, fast, and the same on every machine. */
  pk->rng ^= pk->rng >> 12;
  pk->rng ^= pk->rng << 25;
  pk->rng ^= pk->rng >> 27;
  return pk->rng * UINT64_C(2685821657736338717);
}

static size_t
random_below (struct packer *pk, size_t n)
{
  return n ? next_random (pk) % n : 0;
}

static bool
out_of_time (const struct packer *pk)
{
  return core_monotonic () >= pk->deadline;
}

#define IX(pk, i, t) ((i) * (pk)->ntypes + (t))

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
item_at (const struct packer *pk, size_t i, size_t t, int r, size_t s)
{
  double v = pk->pb->items[i].d->series[r][s];

  return r == PLAN_CPU ? v * pk->cpu_a[IX (pk, i, t)] + pk->cpu_b[IX (pk, i, t)] : v;
}

static inline double
item_peak (const struct packer *pk, size_t i, size_t t, int r)
{
  double v = pk->pb->items[i].d->peak[r];

  return r == PLAN_CPU ? v * pk->cpu_a[IX (pk, i, t)] + pk->cpu_b[IX (pk, i, t)] : v;
}

/* Bins ----------------------------------------------------------------- */

static int
bin_init (struct packer *pk, struct plan_bin *b, size_t type)
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

static void
bin_clear (struct plan_bin *b)
{
  for (int r = 0; r < PLAN_NSERIES; r++)
    free (b->series[r]);
  free (b->items);
  memset (b, 0, sizeof *b);
}

static int
bin_copy (struct packer *pk, struct plan_bin *dst, const struct plan_bin *src)
{
  if (bin_init (pk, dst, src->type) == -1)
    return -1;
  for (int r = 0; r < PLAN_NSERIES; r++)
    memcpy (dst->series[r], src->series[r], pk->T * sizeof (double));
  dst->memory_mib = src->memory_mib;
  dst->disk_gib = src->disk_gib;
  dst->vcpus = src->vcpus;
  if (src->nitems) {
    dst->items = malloc (src->nitems * sizeof *dst->items);
    if (dst->items == NULL) {
      bin_clear (dst);
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
static double
bin_peak (const struct packer *pk, const struct plan_bin *b, int r)
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
group_clash (const struct packer *pk, const struct plan_bin *b, size_t i,
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
groups_allow (const struct packer *pk, const struct plan_bin *b,
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
fits_move_1 (const struct packer *pk, const struct plan_bin *b,
             const size_t *in, size_t nin, const size_t *out, size_t nout)
{
  size_t t = b->type;
  const double *cv = pk->capv + t * ND;
  double load[ND] = { b->memory_mib, b->disk_gib, b->vcpus };

  if (!pk->all_modes)
    for (size_t q = 0; q < nin; q++)
      if (pk->mode[IX (pk, in[q], t)] < 0)
        return false;
  if (pk->nact == 1) {
    /* One binding dimension: the common case, kept short. */
    int d = pk->act[0];
    double l = d < 3 ? load[d] : b->series[d - 3][0];
    for (size_t q = 0; q < nin; q++)
      l += pk->vec[IX (pk, in[q], t) * ND + d];
    for (size_t q = 0; q < nout; q++)
      l -= pk->vec[IX (pk, out[q], t) * ND + d];
    if (l > cv[d])
      return false;
    return !pk->has_groups || groups_allow (pk, b, in, nin, out, nout);
  }
  for (int r = 0; r < PLAN_NSERIES; r++)
    load[3 + r] = b->series[r][0];
  for (size_t q = 0; q < nin; q++) {
    const double *v = pk->vec + IX (pk, in[q], t) * ND;
    for (int a = 0; a < pk->nact; a++)
      load[pk->act[a]] += v[pk->act[a]];
  }
  for (size_t q = 0; q < nout; q++) {
    const double *v = pk->vec + IX (pk, out[q], t) * ND;
    for (int a = 0; a < pk->nact; a++)
      load[pk->act[a]] -= v[pk->act[a]];
  }
  for (int a = 0; a < pk->nact; a++)
    if (load[pk->act[a]] > cv[pk->act[a]])
      return false;
  return !pk->has_groups || groups_allow (pk, b, in, nin, out, nout);
}

static bool
fits_move (const struct packer *pk, const struct plan_bin *b,
           const size_t *in, size_t nin, const size_t *out, size_t nout)
{
  if (pk->vec)
    return fits_move_1 (pk, b, in, nin, out, nout);

  size_t t = b->type;
  const struct plan_capacity *c = &pk->pb->cap[t];
  double mem = b->memory_mib, disk = b->disk_gib, vcpus = b->vcpus;

  for (size_t q = 0; q < nin; q++) {
    if (pk->mode[IX (pk, in[q], t)] < 0)
      return false;
    mem += pk->mem[IX (pk, in[q], t)];
    disk += pk->pb->items[in[q]].d->disk_gib;
    vcpus += pk->pb->items[in[q]].d->vcpus;
  }
  for (size_t q = 0; q < nout; q++) {
    mem -= pk->mem[IX (pk, out[q], t)];
    disk -= pk->pb->items[out[q]].d->disk_gib;
    vcpus -= pk->pb->items[out[q]].d->vcpus;
  }
  if (mem > c->memory_mib * (1 + EPS) + EPS
      || disk > c->disk_gib * (1 + EPS) + EPS
      || vcpus > c->vcpus + EPS)
    return false;
  if (pk->has_groups && !groups_allow (pk, b, in, nin, out, nout))
    return false;
  for (int r = 0; r < PLAN_NSERIES; r++) {
    double cap = c->series[r] * (1 + EPS) + EPS;

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

static inline bool
fits_swap (const struct packer *pk, const struct plan_bin *b, size_t i,
           const size_t *out, size_t nout)
{
  return fits_move (pk, b, &i, 1, out, nout);
}

static inline bool
fits (const struct packer *pk, const struct plan_bin *b, size_t i)
{
  return fits_swap (pk, b, i, NULL, 0);
}

/* One-dimensional: bin B's load in the binding dimension. */
static inline double
load1 (const struct packer *pk, const struct plan_bin *b)
{
  int d = pk->act[0];

  return d == 0 ? b->memory_mib : d == 1 ? b->disk_gib
    : d == 2 ? b->vcpus : b->series[d - 3][0];
}

static int
bin_add (struct packer *pk, struct plan_bin *b, size_t i)
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
  b->memory_mib += pk->mem[IX (pk, i, t)];
  b->disk_gib += pk->pb->items[i].d->disk_gib;
  b->vcpus += pk->pb->items[i].d->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    for (size_t s = 0; s < pk->T; s++)
      b->series[r][s] += item_at (pk, i, t, r, s);
  return 0;
}

static void
bin_remove (struct packer *pk, struct plan_bin *b, size_t i)
{
  size_t t = b->type;

  for (size_t k = 0; k < b->nitems; k++)
    if (b->items[k] == i) {
      b->items[k] = b->items[--b->nitems];
      break;
    }
  b->memory_mib -= pk->mem[IX (pk, i, t)];
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
    bin_clear (&s->bins[k]);
  free (s->bins);
  free (s->bin_of);
  memset (s, 0, sizeof *s);
}

/* What a host of model M costs, for its HA spares. */
static double
model_cost (const struct packer *pk, size_t m)
{
  for (size_t t = 0; t < pk->ntypes; t++)
    if (pk->pb->cap[t].model == m)
      return pk->pb->cap[t].cost;
  return 0;
}

/* The hosts' cost and, per model in use, its ha_spare_hosts empty spares:
 * the plan pays for those too, so a model used for one host costs a
 * spare more than its host. */
static double
solution_cost (const struct packer *pk, const struct plan_solution *s)
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
        c += (double) spares * model_cost (pk, m);
    }
  return c;
}

static int
solution_copy (struct packer *pk, struct plan_solution *dst,
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

static int
open_bin (struct packer *pk, size_t type)
{
  struct plan_bin *p = realloc (pk->sol.bins, (pk->sol.nbins + 1) * sizeof *p);

  if (p == NULL) {
    core_error ("out of memory");
    return -1;
  }
  pk->sol.bins = p;
  if (bin_init (pk, &p[pk->sol.nbins], type) == -1)
    return -1;
  pk->sol.nbins++;
  pk->model_used[pk->pb->cap[type].model]++;
  return (int) pk->sol.nbins - 1;
}

/* Remove empty bin K, moving the last bin into its place. */
static void
drop_bin (struct packer *pk, size_t k)
{
  struct plan_solution *s = &pk->sol;
  size_t last = s->nbins - 1;

  pk->model_used[pk->pb->cap[s->bins[k].type].model]--;
  bin_clear (&s->bins[k]);
  if (k != last) {
    s->bins[k] = s->bins[last];
    for (size_t q = 0; q < s->bins[k].nitems; q++)
      s->bin_of[s->bins[k].items[q]] = k;
  }
  memset (&s->bins[last], 0, sizeof s->bins[last]);
  s->nbins--;
}

static bool
model_available (const struct packer *pk, size_t type)
{
  const struct plan_capacity *c = &pk->pb->cap[type];

  return c->count == CORE_UNSET || pk->model_used[c->model] < c->count;
}

/* Proxies and sizes ------------------------------------------------------ */

static void
item_proxy (const struct packer *pk, size_t i, size_t t, double *v)
{
  v[PX_MEM] = pk->mem[IX (pk, i, t)];
  v[PX_DISK] = pk->pb->items[i].d->disk_gib;
  v[PX_VCPU] = pk->pb->items[i].d->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    v[PX_CPU + r] = item_peak (pk, i, t, r);
}

static void
cap_proxy (const struct packer *pk, size_t t, double *v)
{
  const struct plan_capacity *c = &pk->pb->cap[t];

  v[PX_MEM] = c->memory_mib;
  v[PX_DISK] = c->disk_gib;
  v[PX_VCPU] = c->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    v[PX_CPU + r] = c->series[r];
}

/* Item orders: the size measures of the constructive heuristics. */
enum measure { M_MAX, M_SUM, M_L2, M_CPU_AVG, NMEASURES };

static double
item_size (const struct packer *pk, size_t i, enum measure m)
{
  double v[NPX], s = 0;
  size_t t = 0;

  /* Measured on the first type the item can use. */
  while (t + 1 < pk->ntypes && pk->mode[IX (pk, i, t)] < 0)
    t++;
  item_proxy (pk, i, t, v);
  if (m == M_CPU_AVG) {
    /* Time-aware: the average CPU over the day plus the constants. */
    double avg = 0;
    for (size_t q = 0; q < pk->T; q++)
      avg += item_at (pk, i, t, PLAN_CPU, q);
    v[PX_CPU] = avg / pk->T;
  }
  for (int d = 0; d < NPX; d++) {
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

struct order_entry {
  double key;
  size_t i;
};

static int
cmp_order (const void *a, const void *b)
{
  const struct order_entry *x = a, *y = b;

  if (x->key != y->key)
    return x->key > y->key ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Constructive heuristics ------------------------------------------------ */

enum rule { R_FIRST_FIT, R_DOT, R_L2, NRULES };

/* Score of putting I into B: higher is better. */
static double
placement_score (const struct packer *pk, const struct plan_bin *b, size_t i,
                 enum rule rule)
{
  double iv[NPX], cv[NPX], lv[NPX], s = 0;

  item_proxy (pk, i, b->type, iv);
  cap_proxy (pk, b->type, cv);
  lv[PX_MEM] = b->memory_mib;
  lv[PX_DISK] = b->disk_gib;
  lv[PX_VCPU] = b->vcpus;
  for (int r = 0; r < PLAN_NSERIES; r++)
    lv[PX_CPU + r] = bin_peak (pk, b, r);
  for (int d = 0; d < NPX; d++) {
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
choose_new_type (struct packer *pk, size_t i, int preferred)
{
  double best = INFINITY;
  int pick = -1;

  if (preferred >= 0 && pk->mode[IX (pk, i, preferred)] >= 0
      && model_available (pk, preferred)) {
    struct plan_bin empty;
    if (bin_init (pk, &empty, preferred) == 0) {
      bool ok = fits (pk, &empty, i);
      bin_clear (&empty);
      if (ok)
        return preferred;
    }
  }
  for (size_t t = 0; t < pk->ntypes; t++) {
    double cv[NPX], per = 0, score;
    struct plan_bin empty;
    bool ok;

    if (pk->mode[IX (pk, i, t)] < 0 || !model_available (pk, t))
      continue;
    if (bin_init (pk, &empty, t) == -1)
      return -1;
    ok = fits (pk, &empty, i);
    bin_clear (&empty);
    if (!ok)
      continue;
    /* Cost per unit of capacity, capacity measured against the largest
     * of each resource. */
    cap_proxy (pk, t, cv);
    for (int d = 0; d < NPX; d++)
      if (pk->refcap[d] > 0 && isfinite (pk->refcap[d]))
        per += fmin (cv[d], pk->refcap[d]) / pk->refcap[d];
    score = pk->pb->cap[t].cost / (per > 0 ? per : 1);
    if (score < best - EPS) {
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
bin_closed (const struct packer *pk, const struct plan_bin *b, const double *min)
{
  const double *cv = pk->capv + b->type * ND;
  double load[ND] = { b->memory_mib, b->disk_gib, b->vcpus };

  for (int r = 0; r < PLAN_NSERIES; r++)
    load[3 + r] = b->series[r][0];
  for (int d = 0; d < ND; d++)
    if (load[d] + min[d] > cv[d])
      return true;
  return false;
}

/* One constructive pass into pk->sol (emptied first). */
static int
construct (struct packer *pk, const size_t *order, enum rule rule, int preferred)
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
    sufmin = malloc ((pk->n + 1) * ND * sizeof *sufmin);
  if (pk->sol.bin_of == NULL || open == NULL || (pk->vec && sufmin == NULL)) {
    core_error ("out of memory");
    goto out;
  }
  for (size_t i = 0; i < pk->n; i++)
    pk->sol.bin_of[i] = -1;
  if (sufmin) {
    for (int d = 0; d < ND; d++)
      sufmin[pk->n * ND + d] = INFINITY;
    for (size_t q = pk->n; q > 0; q--)
      for (int d = 0; d < ND; d++) {
        double m = sufmin[q * ND + d];
        for (size_t t = 0; t < pk->ntypes; t++)
          if (pk->mode[IX (pk, order[q - 1], t)] >= 0)
            m = fmin (m, pk->vec[IX (pk, order[q - 1], t) * ND + d]);
        sufmin[(q - 1) * ND + d] = m;
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
      if (!fits (pk, b, i)) {
        if (sufmin && bin_closed (pk, b, sufmin + q * ND)) {
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
      best = open_bin (pk, t);
      if (best < 0)
        goto out;
      open[nopen++] = best;
    }
    if (bin_add (pk, &pk->sol.bins[best], i) == -1)
      goto out;
    pk->sol.bin_of[i] = best;
  }
  pk->sol.cost = solution_cost (pk, &pk->sol);
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

struct mbs {
  const size_t *cand;           /* decreasing demand */
  const double *sz;             /* their demands */
  const double *suffix;         /* sums of sz from q on */
  size_t nc;
  size_t *cur, *best;
  size_t nbest;
  double cap, best_load;
  long nodes;
};

/* A host this close to its capacity (which has the fit test's margin
 * for rounding) is full: nothing better is to be found. */
static inline double
full_at (double cap)
{
  return cap - 2e-9 * (1 + fabs (cap));
}

static void
mbs_dfs (struct mbs *m, size_t start, size_t depth, double load)
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
    if (m->best_load >= full_at (m->cap) || load + m->suffix[q] <= m->best_load
        || --m->nodes < 0)
      return;
    /* Equal demands: trying the second after the first adds nothing. */
    if (q > lo && m->sz[q] == m->sz[q - 1])
      continue;
    m->cur[depth] = m->cand[q];
    mbs_dfs (m, q + 1, depth + 1, load + m->sz[q]);
  }
}

/* ORDER: the workloads by decreasing demand in the binding dimension. */
static int
construct_mbs (struct packer *pk, const size_t *order)
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
    if (pk->mode[IX (pk, order[q], 0)] >= 0 && pk->vec[IX (pk, order[q], 0) * ND + d] <= cap)
      left[nleft++] = order[q];
  while (nleft > 0) {
    size_t seed = left[0], nc = 0, n2 = 0;
    struct mbs m = { .cand = cand, .sz = sz, .suffix = suffix, .cur = cur,
                     .best = bestset, .cap = cap, .nodes = MBS_NODES };
    int k;

    if (!model_available (pk, 0))
      break;                    /* the count is used up: the rest unplaced */
    k = open_bin (pk, 0);
    if (k < 0 || bin_add (pk, &pk->sol.bins[k], seed) == -1)
      goto out;
    pk->sol.bin_of[seed] = k;
    for (size_t q = 1; q < nleft; q++) {
      cand[nc] = left[q];
      sz[nc++] = pk->vec[IX (pk, left[q], 0) * ND + d];
    }
    suffix[nc] = 0;
    for (size_t q = nc; q > 0; q--)
      suffix[q - 1] = suffix[q] + sz[q - 1];
    m.nc = nc;
    m.best_load = pk->vec[IX (pk, seed, 0) * ND + d];
    mbs_dfs (&m, 0, 0, m.best_load);
    for (size_t j = 0; j < m.nbest; j++) {
      if (bin_add (pk, &pk->sol.bins[k], bestset[j]) == -1)
        goto out;
      pk->sol.bin_of[bestset[j]] = k;
    }
    for (size_t q = 1; q < nleft; q++)
      if (pk->sol.bin_of[left[q]] < 0)
        left[n2++] = left[q];
    nleft = n2;
  }
  pk->sol.cost = solution_cost (pk, &pk->sol);
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
placed_count (const struct packer *pk, const struct plan_solution *s)
{
  size_t n = 0;

  for (size_t i = 0; i < pk->n; i++)
    n += s->bin_of[i] >= 0;
  return n;
}

/* Better: more items placed, then lower cost, then fewer hosts. */
static bool
better (const struct packer *pk, const struct plan_solution *a,
        const struct plan_solution *b)
{
  size_t pa = placed_count (pk, a), pb = placed_count (pk, b);

  if (pa != pb)
    return pa > pb;
  if (fabs (a->cost - b->cost) > EPS * (1 + fabs (b->cost)))
    return a->cost < b->cost;
  return a->nbins < b->nbins;
}

/* The progress line: the share of the time limit used (the search runs
 * until it), and the best solution so far.  At most ten times a second
 * unless FORCE. */
static void
report (struct packer *pk, const char *what, bool force)
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

static void
note_best (struct packer *pk, const struct plan_solution *s)
{
  pk->best_bins = s->nbins;
  pk->best_cost = solution_cost (pk, s);
  pk->best_placed = placed_count (pk, s);
}

/* Local search ----------------------------------------------------------- */

/* Hosts whose load fits a cheaper type get that type. */
static void
downgrade (struct packer *pk)
{
  for (size_t k = 0; k < pk->sol.nbins; k++) {
    struct plan_bin *b = &pk->sol.bins[k];
    size_t old = b->type;

    for (size_t t = 0; t < pk->ntypes; t++) {
      struct plan_bin trial;
      bool ok = true;

      if (pk->pb->cap[t].cost >= pk->pb->cap[b->type].cost - EPS)
        continue;
      if (pk->pb->cap[t].model != pk->pb->cap[old].model && !model_available (pk, t))
        continue;
      if (bin_init (pk, &trial, t) == -1)
        return;
      for (size_t q = 0; q < b->nitems && ok; q++) {
        ok = fits (pk, &trial, b->items[q]);
        if (ok && bin_add (pk, &trial, b->items[q]) == -1)
          ok = false;
      }
      if (ok) {
        /* Cheaper in total, spares counted: a model that comes into use
         * brings its spares, one that goes out of use takes them. */
        size_t mo = pk->pb->cap[b->type].model, mn = pk->pb->cap[t].model;
        double delta = pk->pb->cap[t].cost - pk->pb->cap[b->type].cost;
        if (mo != mn) {
          double sp = (double) pk->pb->pol->ha_spare_hosts;
          if (pk->model_used[mn] == 0)
            delta += sp * model_cost (pk, mn);
          if (pk->model_used[mo] == 1)
            delta -= sp * model_cost (pk, mo);
        }
        ok = delta < -EPS * (1 + pk->pb->cap[b->type].cost);
      }
      if (ok) {
        pk->model_used[pk->pb->cap[b->type].model]--;
        pk->model_used[pk->pb->cap[t].model]++;
        bin_clear (b);
        *b = trial;
      }
      else
        bin_clear (&trial);
    }
  }
  pk->sol.cost = solution_cost (pk, &pk->sol);
}

/* Depth-first search for an assignment of ORDER[Q..] to the NT hosts
 * FRESH, within a budget of *NODES steps; *OOM set on allocation
 * failure. */
static bool
pool_dfs (struct packer *pk, struct plan_bin *fresh, size_t nt,
          const size_t *order, size_t npool, size_t q, long *nodes, bool *oom,
          const double *rem)
{
  size_t i;

  if (q == npool)
    return true;
  i = order[q];
  if (rem) {
    /* One dimension: what is left must fit the room that is left. */
    double room = 0;
    for (size_t k = 0; k < nt; k++)
      room += pk->cap1 - load1 (pk, &fresh[k]);
    if (rem[q] > room)
      return false;
  }
  for (size_t k = 0; k < nt; k++) {
    bool same = false;

    /* Empty hosts of one type are interchangeable: try the first. */
    for (size_t j = 0; j < k && !same; j++)
      same = fresh[j].nitems == 0 && fresh[k].nitems == 0
        && fresh[j].type == fresh[k].type;
    if (same)
      continue;
    if (--*nodes < 0)
      return false;
    if (!fits (pk, &fresh[k], i))
      continue;
    if (bin_add (pk, &fresh[k], i) == -1) {
      *oom = true;
      return false;
    }
    if (pool_dfs (pk, fresh, nt, order, npool, q + 1, nodes, oom, rem))
      return true;
    bin_remove (pk, &fresh[k], i);
    if (*nodes < 0 || *oom)
      return false;
  }
  return false;
}

/* Can the NPOOL items of POOL be packed into new hosts of the NT types
 * TYPES?  A depth-first search, heaviest first (so its first leaf is
 * first fit decreasing), with a budget: exact on the small pools the
 * search leaves, where first fit alone misses packings that fill hosts
 * exactly.  On success the hosts are added to the solution. */
#define POOL_NODES 4000
#define POOL_MAX 64

static int
pool_into_new_bins (struct packer *pk, const size_t *pool, size_t npool,
                    const size_t *types, size_t nt, bool commit)
{
  struct plan_bin fresh[3];
  size_t order[POOL_MAX];
  double rem[POOL_MAX + 1];
  long nodes = POOL_NODES;
  bool ok, oom = false;

  if (npool > POOL_MAX || nt > 3)
    return 0;
  if (pk->vec) {
    /* Necessary: the pool's total fits the hosts' total, per dimension. */
    for (int d = 0; d < ND; d++) {
      double sum = 0, cap = 0;
      for (size_t k = 0; k < nt; k++)
        cap += pk->capv[types[k] * ND + d];
      for (size_t q = 0; q < npool; q++) {
        double m = INFINITY;
        for (size_t k = 0; k < nt; k++)
          m = fmin (m, pk->vec[IX (pk, pool[q], types[k]) * ND + d]);
        sum += m;
      }
      if (sum > cap)
        return 0;
    }
  }
  for (size_t q = 0; q < npool; q++)
    order[q] = pool[q];
  /* Heaviest first: insertion sort, the pool is small. */
  for (size_t q = 1; q < npool; q++)
    for (size_t j = q; j > 0 && pk->size[order[j]] > pk->size[order[j - 1]]; j--) {
      size_t t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
    }
  for (size_t k = 0; k < nt; k++)
    if (bin_init (pk, &fresh[k], types[k]) == -1) {
      for (size_t j = 0; j < k; j++)
        bin_clear (&fresh[j]);
      return -1;
    }
  if (pk->one_d) {
    rem[npool] = 0;
    for (size_t q = npool; q > 0; q--)
      rem[q - 1] = rem[q] + pk->sz[order[q - 1]];
  }
  ok = pool_dfs (pk, fresh, nt, order, npool, 0, &nodes, &oom,
                 pk->one_d ? rem : NULL);
  if (oom) {
    for (size_t k = 0; k < nt; k++)
      bin_clear (&fresh[k]);
    return -1;
  }
  if (ok && commit) {
    for (size_t k = 0; k < nt; k++) {
      int idx;
      if (fresh[k].nitems == 0) {
        bin_clear (&fresh[k]);
        continue;
      }
      idx = open_bin (pk, fresh[k].type);
      if (idx < 0) {
        for (size_t j = k; j < nt; j++)
          bin_clear (&fresh[j]);
        return -1;
      }
      bin_clear (&pk->sol.bins[idx]);
      pk->sol.bins[idx] = fresh[k];
      for (size_t q = 0; q < fresh[k].nitems; q++)
        pk->sol.bin_of[fresh[k].items[q]] = idx;
    }
    return 1;
  }
  for (size_t k = 0; k < nt; k++)
    bin_clear (&fresh[k]);
  return ok ? 1 : 0;
}

/* The refill descent: host K takes, from its own workloads and the pool,
 * the subset of greatest weight that fits (a depth-first search with a
 * bound, as a subset-sum; unlimited add/drop moves where the tabu search
 * moves at most two in and two out). */
#define REFILL_MAX 28
#define REFILL_NODES 3000

struct refill {
  struct packer *pk;
  struct plan_bin scratch;
  size_t cand[REFILL_MAX], cur[REFILL_MAX], best[REFILL_MAX];
  double suffix[REFILL_MAX + 1];
  size_t nc, nbest;
  double best_w;
  long nodes;
  bool oom;
};

static void
refill_dfs (struct refill *rf, size_t q, size_t depth, double w)
{
  if (w > rf->best_w + 1e-12) {
    rf->best_w = w;
    rf->nbest = depth;
    memcpy (rf->best, rf->cur, depth * sizeof *rf->cur);
  }
  if (q == rf->nc || w + rf->suffix[q] <= rf->best_w + 1e-12
      || --rf->nodes < 0 || rf->oom)
    return;
  if (fits (rf->pk, &rf->scratch, rf->cand[q])) {
    if (bin_add (rf->pk, &rf->scratch, rf->cand[q]) == -1) {
      rf->oom = true;
      return;
    }
    rf->cur[depth] = rf->cand[q];
    refill_dfs (rf, q + 1, depth + 1, w + rf->pk->weight[rf->cand[q]]);
    bin_remove (rf->pk, &rf->scratch, rf->cand[q]);
  }
  refill_dfs (rf, q + 1, depth, w);
}

/* Returns 1 when host K gained weight (POOL updated), 0 when not, -1 on
 * error. */
static int
refill (struct packer *pk, size_t k, size_t *pool, size_t *npool)
{
  struct plan_bin *b = &pk->sol.bins[k];
  struct refill *rf;
  double have = 0;
  int ret = 0;

  if (b->nitems > REFILL_MAX / 2 || *npool == 0)
    return 0;
  rf = calloc (1, sizeof *rf);
  if (rf == NULL || bin_init (pk, &rf->scratch, b->type) == -1) {
    free (rf);
    core_error ("out of memory");
    return -1;
  }
  rf->pk = pk;
  for (size_t q = 0; q < b->nitems; q++) {
    rf->cand[rf->nc++] = b->items[q];
    have += pk->weight[b->items[q]];
  }
  /* The pool is kept heaviest first: its heaviest that can go there. */
  for (size_t q = 0; q < *npool && rf->nc < REFILL_MAX; q++)
    if (pk->mode[IX (pk, pool[q], b->type)] >= 0)
      rf->cand[rf->nc++] = pool[q];
  for (size_t q = 1; q < rf->nc; q++)
    for (size_t j = q; j > 0 && pk->weight[rf->cand[j]] > pk->weight[rf->cand[j - 1]]; j--) {
      size_t t = rf->cand[j]; rf->cand[j] = rf->cand[j - 1]; rf->cand[j - 1] = t;
    }
  rf->suffix[rf->nc] = 0;
  for (size_t q = rf->nc; q > 0; q--)
    rf->suffix[q - 1] = rf->suffix[q] + pk->weight[rf->cand[q - 1]];
  rf->best_w = have + 1e-9;     /* only a strict gain is worth a change */
  rf->nbest = SIZE_MAX;
  rf->nodes = REFILL_NODES;
  if (pk->one_d) {
    /* The subset that fills the host most, jumping to the largest
     * candidate that fits (they are sorted by weight, so by demand). */
    double sz[REFILL_MAX], suffix[REFILL_MAX + 1], own = 0;
    struct mbs m = { .cand = rf->cand, .sz = sz, .suffix = suffix,
                     .nc = rf->nc, .cur = rf->cur, .best = rf->best,
                     .nbest = SIZE_MAX, .cap = pk->cap1, .nodes = REFILL_NODES };
    for (size_t q = 0; q < rf->nc; q++)
      sz[q] = pk->sz[rf->cand[q]];
    suffix[rf->nc] = 0;
    for (size_t q = rf->nc; q > 0; q--)
      suffix[q - 1] = suffix[q] + sz[q - 1];
    for (size_t q = 0; q < b->nitems; q++)
      own += pk->sz[b->items[q]];
    m.best_load = own + 1e-9 * pk->cap1;
    mbs_dfs (&m, 0, 0, 0);
    rf->nbest = m.nbest;
  }
  else
    refill_dfs (rf, 0, 0, 0);
  if (rf->oom) {
    core_error ("out of memory");
    ret = -1;
  }
  else if (rf->nbest != SIZE_MAX) {
    /* Out what is not in the best set, then in what is new. */
    for (size_t q = 0; q < b->nitems; ) {
      size_t i = b->items[q];
      bool keep = false;
      for (size_t j = 0; j < rf->nbest && !keep; j++)
        keep = rf->best[j] == i;
      if (keep) {
        q++;
        continue;
      }
      bin_remove (pk, b, i);
      pk->sol.bin_of[i] = -1;
      pool[(*npool)++] = i;
    }
    for (size_t j = 0; j < rf->nbest; j++) {
      size_t i = rf->best[j];
      if (pk->sol.bin_of[i] == (ssize_t) k)
        continue;
      if (bin_add (pk, b, i) == -1) {
        ret = -1;
        break;
      }
      pk->sol.bin_of[i] = k;
      for (size_t p = 0; p < *npool; p++)
        if (pool[p] == i) {
          pool[p] = pool[--*npool];
          break;
        }
    }
    if (ret == 0)
      ret = 1;
  }
  bin_clear (&rf->scratch);
  free (rf);
  return ret;
}

/* One-dimensional: the first X in [LO, HI) with LIN - LSZ[X] <= CAP,
 * LSZ increasing (HI when none). */
static size_t
first_room (const double *lsz, size_t lo, size_t hi, double lin, double cap)
{
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (lin - lsz[mid] <= cap)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* Hosts looked at per step of the search, from a random start.  Looking
 * at all of them finds the best exchange but makes every step slow; a
 * random few make many more, more varied steps, which on the benchmark
 * sets reaches more optima in the same time (docs/benchmarks.md). */
#define SCAN_HOSTS 16
/* Hosts refilled per step: fewer, more frequent tabu steps in between did
 * best on the Falkenauer triplets (8 solved 22 of 26 sampled in 1 s where
 * 16 solved 19). */
#define REFILL_HOSTS 8

/* Reduce the solution by one host: take out the three lightest hosts
 * (R in general), put their workloads in a pool, and search over the
 * remaining hosts, exchanging workloads with the pool, until the pool
 * fits into R-1 new hosts (after the consistent neighborhood search of
 * Buljubasic and Vasquez).  Returns 0 on success, 1 when it gave up (the
 * solution is then as before), -1 on error. */
static int
reduce_one (struct packer *pk, const size_t *victims_in, size_t r,
            long max_iter)
{
  struct plan_solution backup;
  size_t *pool = NULL, npool = 0, types[3], victims[3];
  long *tabu_until = NULL;
  size_t *light = NULL, cap_light = 0;   /* a host's movable items */
  double *lsz = NULL;                    /* and their demands (one_d) */
  long iter = 0;
  int ret = 1, fitted;
  size_t nb, nt;

  if (solution_copy (pk, &backup, &pk->sol) == -1)
    return -1;
  pool = malloc ((pk->n ? pk->n : 1) * sizeof *pool);
  tabu_until = calloc (pk->n ? pk->n : 1, sizeof *tabu_until);
  if (pool == NULL || tabu_until == NULL) {
    core_error ("out of memory");
    ret = -1;
    goto out;
  }
  /* The new hosts: the victims' types less the dearest one. */
  memcpy (victims, victims_in, r * sizeof *victims);
  for (size_t q = 0; q < r; q++)
    types[q] = pk->sol.bins[victims[q]].type;
  for (size_t q = 1; q < r; q++)
    for (size_t j = q; j > 0 && pk->pb->cap[types[j]].cost < pk->pb->cap[types[j - 1]].cost; j--) {
      size_t t = types[j]; types[j] = types[j - 1]; types[j - 1] = t;
    }
  nt = r - 1;
  /* Empty the victims into the pool, highest index first so that
   * dropping one does not move another. */
  for (size_t q = 1; q < r; q++)
    for (size_t j = q; j > 0 && victims[j] > victims[j - 1]; j--) {
      size_t t = victims[j]; victims[j] = victims[j - 1]; victims[j - 1] = t;
    }
  for (size_t q = 0; q < r; q++) {
    struct plan_bin *b = &pk->sol.bins[victims[q]];
    for (size_t j = 0; j < b->nitems; j++) {
      pool[npool++] = b->items[j];
      pk->sol.bin_of[b->items[j]] = -1;
    }
    b->nitems = 0;
    drop_bin (pk, victims[q]);
  }
  nb = pk->sol.nbins;

  for (;;) {
    ssize_t bk = -1;
    size_t bin_[2], bout[2], bnin = 0, bnout = 0;
    double bgain = -INFINITY;
    size_t start;
    bool pool_pairs = npool <= 24;

    fitted = pool_into_new_bins (pk, pool, npool, types, nt, true);
    if (fitted == -1) {
      ret = -1;
      goto out;
    }
    if (fitted == 1) {
      pk->sol.cost = solution_cost (pk, &pk->sol);
      ret = 0;
      goto out;
    }
    if (++iter > max_iter || nb == 0 || ((iter & 15) == 0 && out_of_time (pk)))
      break;
    if ((iter & 15) == 0)
      report (pk, "improving", false);

    /* Descent first: refill a few hosts from the pool; the tabu step
     * below only when none gains. */
    for (size_t q = 1; q < npool; q++)
      for (size_t j = q; j > 0 && pk->weight[pool[j]] > pk->weight[pool[j - 1]]; j--) {
        size_t t = pool[j]; pool[j] = pool[j - 1]; pool[j - 1] = t;
      }
    {
      bool gained = false;
      start = random_below (pk, nb);
      for (size_t kk = 0; kk < nb && kk < REFILL_HOSTS; kk++) {
        int g = refill (pk, (start + kk) % nb, pool, &npool);
        if (g == -1) {
          ret = -1;
          goto out;
        }
        gained |= g == 1;
      }
      if (gained)
        continue;
    }

    /* The best move: into bin K put pool items IN (one or two), taking out
     * bin items OUT (none, one or two, not tabu), scored by how much
     * weight leaves the pool.  The best non-tabu move is made even when it
     * adds weight to the pool, so the search does not stall; tabu keeps
     * it from undoing its last moves.  Heaviest pool items first and
     * lightest host items first, so that gains only fall along each loop
     * and a loop stops as soon as it cannot beat the best move found. */
    for (size_t q = 1; q < npool; q++)
      for (size_t j = q; j > 0 && pk->weight[pool[j]] > pk->weight[pool[j - 1]]; j--) {
        size_t t = pool[j]; pool[j] = pool[j - 1]; pool[j - 1] = t;
      }
    start = random_below (pk, nb);
    for (size_t kk = 0; kk < nb && kk < SCAN_HOSTS; kk++) {
      size_t k = (start + kk) % nb;
      struct plan_bin *b = &pk->sol.bins[k];
      size_t m = 0;
      bool bin_pairs = b->nitems <= 40;

      double load = 0;

      if (b->nitems > cap_light) {
        size_t *p = realloc (light, b->nitems * sizeof *p);
        double *ps = p ? realloc (lsz, b->nitems * sizeof *ps) : NULL;
        if (p) light = p;
        if (ps) lsz = ps;
        if (p == NULL || ps == NULL) {
          core_error ("out of memory");
          ret = -1;
          goto out;
        }
        cap_light = b->nitems;
      }
      for (size_t q = 0; q < b->nitems; q++)
        if (tabu_until[b->items[q]] <= iter)
          light[m++] = b->items[q];
      for (size_t q = 1; q < m; q++)
        for (size_t j = q; j > 0 && pk->weight[light[j]] < pk->weight[light[j - 1]]; j--) {
          size_t t = light[j]; light[j] = light[j - 1]; light[j - 1] = t;
        }
      if (pk->one_d) {
        load = load1 (pk, b);
        for (size_t q = 0; q < m; q++)
          lsz[q] = pk->sz[light[q]];
      }

      for (size_t p1 = 0; p1 < npool; p1++) {
        if (pk->mode[IX (pk, pool[p1], b->type)] < 0)
          continue;
        /* Pairs first (heavier), the single last; P2 > P1. */
        for (size_t p2 = p1 + 1; p2 <= (pool_pairs ? npool : p1 + 1); p2++) {
          bool single = p2 == npool || !pool_pairs;
          size_t in[2] = { pool[p1], single ? pool[p1] : pool[p2] };
          size_t nin = single ? 1 : 2;
          double win = pk->weight[in[0]] + (nin == 2 ? pk->weight[in[1]] : 0);

          if (single)
            p2 = npool;         /* the last round of this loop */
          else if (pk->mode[IX (pk, in[1], b->type)] < 0)
            continue;
          if (win <= bgain + 1e-12) {
            if (single)
              break;
            p2 = npool - 1;     /* lighter pairs cannot win: the single */
            continue;
          }
          if (pk->one_d) {
            /* The same moves, found by binary search on the host's
             * workloads (sorted by weight, so by demand): for each
             * first one out, the lightest second that makes room.  The
             * sums are formed as fits_move forms them. */
            double lin = load + pk->sz[in[0]];
            if (nin == 2)
              lin += pk->sz[in[1]];
            if (lin <= pk->cap1) {
              bgain = win; bk = k; bnin = nin; bnout = 0;
              bin_[0] = in[0]; bin_[1] = in[1];
            }
            {
              size_t x = first_room (lsz, 0, m, lin, pk->cap1);
              if (x < m && win - pk->weight[light[x]] > bgain + 1e-12) {
                bgain = win - pk->weight[light[x]]; bk = k; bnin = nin; bnout = 1;
                bin_[0] = in[0]; bin_[1] = in[1]; bout[0] = light[x];
              }
            }
            for (size_t x = 0; x < m && bin_pairs; x++) {
              double g1 = win - pk->weight[light[x]];
              size_t y;
              if (g1 <= bgain + 1e-12)
                break;
              y = first_room (lsz, x + 1, m, lin - lsz[x], pk->cap1);
              if (y < m && g1 - pk->weight[light[y]] > bgain + 1e-12) {
                bgain = g1 - pk->weight[light[y]]; bk = k; bnin = nin; bnout = 2;
                bin_[0] = in[0]; bin_[1] = in[1]; bout[0] = light[x]; bout[1] = light[y];
              }
            }
            continue;
          }
          if (fits_move (pk, b, in, nin, NULL, 0)) {
            bgain = win; bk = k; bnin = nin; bnout = 0;
            bin_[0] = in[0]; bin_[1] = in[1];
          }
          for (size_t x = 0; x < m; x++) {
            size_t a = light[x];
            double g1 = win - pk->weight[a];
            if (g1 <= bgain + 1e-12)
              break;
            {
              size_t out1[1] = { a };
              if (fits_move (pk, b, in, nin, out1, 1)) {
                bgain = g1; bk = k; bnin = nin; bnout = 1;
                bin_[0] = in[0]; bin_[1] = in[1]; bout[0] = a;
              }
            }
            if (!bin_pairs)
              continue;
            for (size_t y = x + 1; y < m; y++) {
              size_t c = light[y];
              double g2 = g1 - pk->weight[c];
              if (g2 <= bgain + 1e-12)
                break;
              size_t out2[2] = { a, c };
              if (fits_move (pk, b, in, nin, out2, 2)) {
                bgain = g2; bk = k; bnin = nin; bnout = 2;
                bin_[0] = in[0]; bin_[1] = in[1]; bout[0] = a; bout[1] = c;
              }
            }
          }
        }
      }
    }
    if (bk < 0)
      break;                    /* nothing can move at all */
    {
      struct plan_bin *b = &pk->sol.bins[bk];
      for (size_t q = 0; q < bnout; q++) {
        bin_remove (pk, b, bout[q]);
        pk->sol.bin_of[bout[q]] = -1;
      }
      for (size_t q = 0; q < bnin; q++) {
        if (bin_add (pk, b, bin_[q]) == -1) {
          ret = -1;
          goto out;
        }
        pk->sol.bin_of[bin_[q]] = bk;
        /* What just went in stays for a while. */
        tabu_until[bin_[q]] = iter + 3 + (long) random_below (pk, 8);
        for (size_t p = 0; p < npool; p++)
          if (pool[p] == bin_[q]) {
            pool[p] = pool[--npool];
            break;
          }
      }
      for (size_t q = 0; q < bnout; q++)
        pool[npool++] = bout[q];
    }
  }

  /* Gave up: back to the solution as it was. */
  plan_solution_clear (&pk->sol);
  pk->sol = backup;
  memset (&backup, 0, sizeof backup);
  memset (pk->model_used, 0, pk->pb->nmodels * sizeof *pk->model_used);
  for (size_t k = 0; k < pk->sol.nbins; k++)
    pk->model_used[pk->pb->cap[pk->sol.bins[k].type].model]++;
  ret = 1;

 out:
  plan_solution_clear (&backup);
  free (pool);
  free (tabu_until);
  free (light);
  free (lsz);
  return ret;
}

/* How full bin B is: its largest share of any resource at any time. */
static double
bin_fill (const struct packer *pk, const struct plan_bin *b)
{
  double cv[NPX], f = 0;

  cap_proxy (pk, b->type, cv);
  if (cv[PX_MEM] > 0) f = fmax (f, b->memory_mib / cv[PX_MEM]);
  if (cv[PX_DISK] > 0 && isfinite (cv[PX_DISK])) f = fmax (f, b->disk_gib / cv[PX_DISK]);
  if (cv[PX_VCPU] > 0) f = fmax (f, b->vcpus / cv[PX_VCPU]);
  for (int r = 0; r < PLAN_NSERIES; r++)
    if (cv[PX_CPU + r] > 0 && isfinite (cv[PX_CPU + r]))
      f = fmax (f, bin_peak (pk, b, r) / cv[PX_CPU + r]);
  return f;
}

/* Sum of normalized demand of a bin's items: a finer "how full". */
static double
bin_weight (const struct packer *pk, const struct plan_bin *b)
{
  double w = 0;

  for (size_t q = 0; q < b->nitems; q++)
    w += pk->size[b->items[q]];
  return w;
}

#define IMPROVE_ROUNDS 3

static int
improve (struct packer *pk, int64_t lower_bound)
{
  long attempt = 0;
  int failures = 0, rounds = 0;
  long budget = 2000 + 50 * (long) pk->n;

  downgrade (pk);
  while (!out_of_time (pk)) {
    size_t nb = pk->sol.nbins, r = nb < 3 ? nb : 3, victims[3];
    struct order_entry *cand;
    int res;

    if (nb == 0 || ((int64_t) nb <= lower_bound && pk->ntypes == 1))
      break;
    /* The lightest hosts relative to their cost, with a rotating choice
     * of the third so that repeated attempts differ. */
    cand = malloc (nb * sizeof *cand);
    if (cand == NULL) {
      core_error ("out of memory");
      return -1;
    }
    for (size_t k = 0; k < nb; k++) {
      cand[k].key = -(bin_weight (pk, &pk->sol.bins[k]) / pk->pb->cap[pk->sol.bins[k].type].cost);
      cand[k].i = k;
    }
    qsort (cand, nb, sizeof *cand, cmp_order);
    for (size_t q = 0; q < r; q++)
      victims[q] = cand[q].i;
    if (r == 3 && nb > 3)
      victims[2] = cand[2 + (size_t) attempt % (nb - 2)].i;
    {
      /* Hosts of many workloads each (thousands of workloads): three
       * would overflow the pool, so empty one host into the others,
       * the lightest first, then the next. */
      size_t held = 0;
      for (size_t q = 0; q < r; q++)
        held += pk->sol.bins[victims[q]].nitems;
      if (held > POOL_MAX) {
        r = 1;
        victims[0] = cand[(size_t) failures % nb].i;
      }
    }
    free (cand);
    res = reduce_one (pk, victims, r, budget);
    if (res == -1)
      return -1;
    attempt++;
    if (res == 0) {
      failures = 0;
      downgrade (pk);
      note_best (pk, &pk->sol);
    }
    else if (++failures > (int) nb + 2) {
      /* Every host tried as the third: again with searches twice as
       * long, a few times (some reductions need long searches; giving
       * up at the first round left time unused on the benchmarks). */
      if (++rounds == IMPROVE_ROUNDS)
        break;
      failures = 0;
      budget *= 2;
    }
    report (pk, "improving", false);
  }
  return 0;
}

/* Even out the hosts' peak utilization without changing their number:
 * move an item from the fullest host to another when that lowers the
 * larger of the two fills. */
static void
balance (struct packer *pk)
{
  for (int round = 0; round < 200 && !out_of_time (pk); round++) {
    size_t nb = pk->sol.nbins, hi = 0;
    double hif = -1;
    bool moved = false;

    if (nb < 2)
      return;
    for (size_t k = 0; k < nb; k++) {
      double f = bin_fill (pk, &pk->sol.bins[k]);
      if (f > hif) {
        hif = f;
        hi = k;
      }
    }
    struct plan_bin *h = &pk->sol.bins[hi];
    for (size_t q = 0; q < h->nitems && !moved; q++) {
      size_t i = h->items[q];
      for (size_t k = 0; k < nb && !moved; k++) {
        struct plan_bin *b = &pk->sol.bins[k];
        if (k == hi || b->type != h->type || !fits (pk, b, i))
          continue;
        bin_add (pk, b, i);
        bin_remove (pk, h, i);
        if (fmax (bin_fill (pk, b), bin_fill (pk, h)) < hif - 1e-6 && h->nitems > 0) {
          pk->sol.bin_of[i] = k;
          moved = true;
        }
        else {
          bin_remove (pk, b, i);
          bin_add (pk, h, i);
        }
      }
    }
    if (!moved)
      return;
  }
}

/* Place what the search left out when the catalog's counts (or a sized
 * plan's host count) stop it opening hosts: construction fills the hosts
 * in order, so a small workload kept off the one host with room by its
 * anti-affinity group was left out although others have room once the
 * load is spread.  Each left-out item goes to a host with room, to a new
 * host when a count allows, or to a host made room on by moving one of
 * its items to another host.  0, or -1 on error. */
static int
place_left (struct packer *pk)
{
  struct plan_solution *s = &pk->sol;

  /* The hosts in use per model, of this solution. */
  memset (pk->model_used, 0, pk->pb->nmodels * sizeof *pk->model_used);
  for (size_t k = 0; k < s->nbins; k++)
    pk->model_used[pk->pb->cap[s->bins[k].type].model]++;
  for (size_t i = 0; i < pk->n; i++) {
    ssize_t to = -1;

    if (s->bin_of[i] >= 0)
      continue;
    for (size_t k = 0; k < s->nbins && to < 0; k++)
      if (fits (pk, &s->bins[k], i))
        to = (ssize_t) k;
    for (size_t t = 0; t < pk->ntypes && to < 0; t++) {
      struct plan_bin empty;
      bool ok;
      int k;
      if (pk->mode[IX (pk, i, t)] < 0 || !model_available (pk, t))
        continue;
      if (bin_init (pk, &empty, t) == -1)
        return -1;
      ok = fits (pk, &empty, i);
      bin_clear (&empty);
      if (!ok)
        continue;
      if ((k = open_bin (pk, t)) < 0)
        return -1;
      to = k;
    }
    /* One item J of host K moves to host K2, and I takes its room. */
    for (size_t k = 0; k < s->nbins && to < 0; k++) {
      struct plan_bin *b = &s->bins[k];
      for (size_t q = 0; q < b->nitems && to < 0; q++) {
        size_t j = b->items[q];
        if (!fits_swap (pk, b, i, &j, 1))
          continue;
        for (size_t k2 = 0; k2 < s->nbins; k2++) {
          if (k2 == k || !fits (pk, &s->bins[k2], j))
            continue;
          bin_remove (pk, b, j);
          if (bin_add (pk, &s->bins[k2], j) == -1)
            return -1;
          s->bin_of[j] = (ssize_t) k2;
          to = (ssize_t) k;
          break;
        }
      }
    }
    if (to < 0)
      continue;
    if (bin_add (pk, &s->bins[to], i) == -1)
      return -1;
    s->bin_of[i] = to;
  }
  s->cost = solution_cost (pk, s);
  return 0;
}

static int
cmp_double_asc (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Fills pk->act and pk->nact (see there). */
static int
find_active (struct packer *pk)
{
  bool binds[ND] = { false };
  double *v = malloc ((pk->n ? pk->n : 1) * ND * sizeof *v);
  size_t *cnt = malloc (ND * sizeof *cnt);

  if (v == NULL || cnt == NULL) {
    free (v);
    free (cnt);
    core_error ("out of memory");
    return -1;
  }
  for (size_t t = 0; t < pk->ntypes; t++) {
    const double *cv = pk->capv + t * ND;
    size_t k = SIZE_MAX;
    int kd = 0;

    for (int d = 0; d < ND; d++) {
      double *col = v + (size_t) d * (pk->n ? pk->n : 1), sum = 0;
      cnt[d] = 0;
      for (size_t i = 0; i < pk->n; i++)
        if (pk->mode[IX (pk, i, t)] >= 0)
          col[cnt[d]++] = pk->vec[IX (pk, i, t) * ND + d];
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
    for (int d = 0; d < ND; d++) {
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
  for (int d = 0; d < ND; d++)
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
  struct packer pk = { .pb = pb, .n = pb->nitems, .ntypes = pb->ntypes,
                       .T = pb->slots, .progress = progress, .opaque = opaque };
  struct plan_solution best = { 0 };
  struct order_entry *ord = NULL;
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
      pk.mode[IX (&pk, i, t)] = m;
      pk.cpu_a[IX (&pk, i, t)] = 1 + o->cpu_pct / 100;
      pk.cpu_b[IX (&pk, i, t)] = o->cpu_mhz;
      pk.mem[IX (&pk, i, t)] = plan_item_memory (pb, i, t);
    }
  for (int d = 0; d < NPX; d++)
    pk.refcap[d] = 0;
  for (size_t t = 0; t < pk.ntypes; t++) {
    double cv[NPX];
    cap_proxy (&pk, t, cv);
    for (int d = 0; d < NPX; d++)
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
    pk.vec = malloc ((nn ? nn : 1) * ND * sizeof *pk.vec);
    pk.capv = malloc ((pk.ntypes ? pk.ntypes : 1) * ND * sizeof *pk.capv);
    if (pk.vec == NULL || pk.capv == NULL) {
      core_error ("out of memory");
      goto out;
    }
    for (size_t t = 0; t < pk.ntypes; t++) {
      const struct plan_capacity *c = &pb->cap[t];
      double *cv = pk.capv + t * ND;
      cv[0] = c->memory_mib * (1 + EPS) + EPS;
      cv[1] = c->disk_gib * (1 + EPS) + EPS;
      cv[2] = c->vcpus + EPS;
      for (int r = 0; r < PLAN_NSERIES; r++)
        cv[3 + r] = c->series[r] * (1 + EPS) + EPS;
      for (size_t i = 0; i < pk.n; i++) {
        double *v = pk.vec + IX (&pk, i, t) * ND;
        v[0] = pk.mem[IX (&pk, i, t)];
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
      pk.sz[i] = pk.vec[i * ND + pk.act[0]];
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
      qsort (ord, pk.n, sizeof *ord, cmp_order);
      for (size_t i = 0; i < pk.n; i++)
        order[i] = ord[i].i;
      for (int r = 0; r < NRULES; r++)
        for (int p = 0; p < prefs; p++) {
          /* First fit over thousands of hosts is slow and no better:
           * on big inputs keep the cheap rules. */
          if (pk.n > 20000 && r != R_FIRST_FIT)
            continue;
          /* The time limit covers construction too, past the first. */
          if (best.bin_of != NULL && out_of_time (&pk))
            continue;
          /* New hosts by cost per capacity first, then of each type in
           * turn: when the time limit cuts construction short, the plan
           * has at least the choice that looks at costs. */
          if (construct (&pk, order, r, p == 0 || prefs == 1 ? -1 : p - 1) == -1)
            goto out;
          if (best.bin_of == NULL || better (&pk, &pk.sol, &best)) {
            plan_solution_clear (&best);
            if (solution_copy (&pk, &best, &pk.sol) == -1)
              goto out;
            note_best (&pk, &best);
          }
          done++;
          report (&pk, "constructing", done == 1);
        }
    }
  }

  /* One-dimensional and not too many workloads: minimum bin slack too. */
  if (pk.one_d && pk.n <= 20000 && !out_of_time (&pk)) {
    for (size_t i = 0; i < pk.n; i++) {
      ord[i].key = pk.vec[IX (&pk, i, 0) * ND + pk.act[0]];
      ord[i].i = i;
    }
    qsort (ord, pk.n, sizeof *ord, cmp_order);
    for (size_t i = 0; i < pk.n; i++)
      order[i] = ord[i].i;
    if (construct_mbs (&pk, order) == -1)
      goto out;
    if (better (&pk, &pk.sol, &best)) {
      plan_solution_clear (&best);
      if (solution_copy (&pk, &best, &pk.sol) == -1)
        goto out;
    }
  }

  /* 2. Local search from the best constructed solution. */
  plan_solution_clear (&pk.sol);
  if (solution_copy (&pk, &pk.sol, &best) == -1)
    goto out;
  memset (pk.model_used, 0, pb->nmodels * sizeof *pk.model_used);
  for (size_t k = 0; k < pk.sol.nbins; k++)
    pk.model_used[pb->cap[pk.sol.bins[k].type].model]++;
  if (improve (&pk, lb) == -1)
    goto out;
  if (better (&pk, &pk.sol, &best) || pk.sol.cost <= best.cost) {
    plan_solution_clear (&best);
    if (solution_copy (&pk, &best, &pk.sol) == -1)
      goto out;
  }

  /* 3. Even the load out. */
  plan_solution_clear (&pk.sol);
  if (solution_copy (&pk, &pk.sol, &best) == -1)
    goto out;
  if (placed_count (&pk, &pk.sol) < pk.n && place_left (&pk) == -1)
    goto out;
  balance (&pk);
  if (placed_count (&pk, &pk.sol) < pk.n && place_left (&pk) == -1)
    goto out;

  *out = pk.sol;
  memset (&pk.sol, 0, sizeof pk.sol);
  out->cost = solution_cost (&pk, out);
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

/* Lower bound ------------------------------------------------------------ */

static int
cmp_desc (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x > y ? -1 : x < y;
}

/* Martello and Toth's L2 for weights W (sorted decreasing) and capacity
 * C; also >= L1. */
static int64_t
bound_l2 (const double *w, size_t n, double C)
{
  double total = 0, *prefix;
  int64_t best;

  if (n == 0 || !(C > 0) || isinf (C))
    return 0;
  for (size_t i = 0; i < n; i++)
    total += w[i];
  best = (int64_t) ceil (total / C - 1e-9);
  prefix = malloc ((n + 1) * sizeof *prefix);
  if (prefix == NULL)
    return best;
  prefix[0] = 0;
  for (size_t i = 0; i < n; i++)
    prefix[i + 1] = prefix[i] + w[i];

  /* Candidates K: 0 and every weight up to C/2. */
  for (size_t kidx = 0; kidx <= n; kidx++) {
    double K = kidx == n ? 0 : w[kidx];
    size_t j1 = 0, j2, j3;
    double sum2, sum3, v;
    int64_t l;

    if (K > C / 2 + 1e-12)
      continue;
    if (kidx < n && kidx > 0 && w[kidx] == w[kidx - 1])
      continue;
    /* w sorted decreasing: J1 = w > C-K; J2 = C-K >= w > C/2;
     * J3 = C/2 >= w >= K. */
    while (j1 < n && w[j1] > C - K + 1e-12)
      j1++;
    j2 = j1;
    while (j2 < n && w[j2] > C / 2 + 1e-12)
      j2++;
    j3 = j2;
    while (j3 < n && w[j3] >= K - 1e-12)
      j3++;
    sum2 = prefix[j2] - prefix[j1];
    sum3 = prefix[j3] - prefix[j2];
    v = (sum3 - ((double) (j2 - j1) * C - sum2)) / C;
    l = (int64_t) j2 + (v > 1e-9 ? (int64_t) ceil (v - 1e-9) : 0);
    if (l > best)
      best = l;
  }
  free (prefix);
  return best;
}

/* Fekete and Schepers' bound from dual feasible functions: for EPS, a
 * weight above C - EPS counts C and one below EPS counts nothing (as in
 * L2); then u_k maps x to x when (k+1)x/C is whole and to
 * floor((k+1)x/C) C/k otherwise.  Any packing stays a packing under
 * these maps, so the mapped total over C, rounded up, bounds the hosts.
 * It is at least L2 and proves the optimum of many instances where L2
 * falls one short (items just over a third or a quarter of a host).  W
 * is sorted decreasing; EPS runs over up to 48 of its values. */
#define DFF_K 12
#define DFF_EPS 48

static int64_t
bound_dff (const double *w, size_t n, double C)
{
  int64_t best = 0;
  size_t first = 0, nsmall;

  if (n == 0 || !(C > 0) || isinf (C))
    return 0;
  while (first < n && w[first] > C / 2 + 1e-12)
    first++;
  nsmall = n - first;           /* the candidates for EPS: w <= C/2 */
  for (size_t e = 0; e <= DFF_EPS && e <= nsmall; e++) {
    /* EPS = 0, then spread over the small weights, largest first. */
    double eps = e == 0 ? 0 : w[first + (e - 1) * nsmall / (nsmall < DFF_EPS ? nsmall : DFF_EPS)];
    for (int k = 1; k <= DFF_K; k++) {
      double sum = 0;
      int64_t l;
      for (size_t i = 0; i < n; i++) {
        double x = w[i], y;
        if (x > C - eps + 1e-9 * C)
          x = C;
        else if (x < eps - 1e-9 * C)
          continue;
        if (x < C) {
          y = (k + 1) * x / C;
          if (fabs (y - round (y)) > 1e-9)
            x = floor (y) * C / k;
        }
        sum += x;
      }
      l = (int64_t) ceil (sum / C - 1e-9);
      if (l > best)
        best = l;
    }
  }
  return best;
}

int64_t
plan_lower_bound (const struct plan_problem *pb)
{
  size_t n = pb->nitems, T = pb->slots;
  double *w = malloc ((n ? n : 1) * sizeof *w);
  double capmax[3 + PLAN_NSERIES] = { 0 };
  int64_t best = 0;

  if (w == NULL)
    return 0;
  /* The largest capacity of any type: a bound on the count of hosts of
   * any mix of types.  Each item counts with its smallest demand over the
   * types it can use. */
  for (size_t t = 0; t < pb->ntypes; t++) {
    const struct plan_capacity *c = &pb->cap[t];
    capmax[0] = fmax (capmax[0], c->memory_mib);
    capmax[1] = fmax (capmax[1], c->disk_gib);
    capmax[2] = fmax (capmax[2], c->vcpus);
    for (int r = 0; r < PLAN_NSERIES; r++)
      capmax[3 + r] = fmax (capmax[3 + r], c->series[r]);
  }
  for (int dim = 0; dim < 3 + PLAN_NSERIES; dim++) {
    size_t slots = dim < 3 ? 1 : T;
    for (size_t s = 0; s < slots; s++) {
      size_t m = 0;
      int64_t l;

      for (size_t i = 0; i < n; i++) {
        double v = INFINITY;
        for (size_t t = 0; t < pb->ntypes; t++) {
          double x;
          if (pb->items[i].mode[t] < 0)
            continue;
          switch (dim) {
          case 0: x = plan_item_memory (pb, i, t); break;
          case 1: x = pb->items[i].d->disk_gib; break;
          case 2: x = pb->items[i].d->vcpus; break;
          default: x = plan_item_series (pb, i, t, dim - 3, s); break;
          }
          v = fmin (v, x);
        }
        if (isfinite (v) && v > 0)
          w[m++] = v;
      }
      qsort (w, m, sizeof *w, cmp_desc);
      l = bound_l2 (w, m, capmax[dim]);
      if (l > best)
        best = l;
      /* The stronger bound costs DFF_EPS x DFF_K passes: on problems
       * without a day, or small ones. */
      if (m * slots <= 20000) {
        l = bound_dff (w, m, capmax[dim]);
        if (l > best)
          best = l;
      }
    }
  }
  free (w);
  /* Workloads of one anti-affinity set need a host each. */
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < pb->items[i].nsets; k++) {
      int64_t same = 0;
      int g = pb->items[i].sets[k];
      for (size_t j = 0; j < n; j++)
        same += plan_sets_common (&g, 1, pb->items[j].sets, pb->items[j].nsets) >= 0;
      if (same > best)
        best = same;
    }
  return best;
}
