/* Sizing a host: the smallest buyable host specification (cores at an
 * assumed clock, memory, disk, IOPS, network, NIC ports and the features
 * it must have) that carries every workload in its mode with the policy's
 * headroom, overheads and HA spares; with --hosts-max N, the smallest one
 * of which N identical hosts carry them.  Time-aware like the packer: the
 * spec covers the workloads' summed demand at every interval of the day,
 * not the sum of their peaks.  docs/formats.md, "Sizing a host".
 */
#include <math.h>
#include <string.h>

#include "planner/planner.h"

/* Dimensions the search shrinks: the series, then the constants. */
enum { D_CPU, D_IOPS, D_NET, D_MEM, D_DISK, D_VCPUS, ND_SIZE };

struct sizer {
  const struct plan_config *cfg;
  const struct plan_size_config *sc;
  const struct core_policy *pol;
  double keep;                  /* 1 - headroom */
  struct plan_grid grid;
  size_t nw;
  struct plan_demand *d;        /* per workload */
  int *mode;                    /* per workload: -1 left physical */
  size_t nitems;
  struct plan_item *items;
  int *item_mode;               /* per item, for the one host type */
  /* Per item with overhead: peaks and constants. */
  double (*load)[ND_SIZE];
  /* Summed over all items: series per slot, and the peaks of the sums. */
  double *sum[PLAN_NSERIES];
  double total[ND_SIZE];
  double peaksum[ND_SIZE];      /* sum of the items' own peaks */
  double maxitem[ND_SIZE];
  int64_t max_vm_vcpus;
  int64_t networks;             /* the most NICs a workload has */
  /* The largest anti-affinity set: the fewest hosts. */
  struct plan_sets sets;
  int64_t group_hosts;
  char *group_name;
  int64_t n;                    /* hosts that carry the workloads */
  int64_t grown;                /* hosts added after the trial packings */
  size_t short_by;              /* sized workloads still unplaced after that */
  bool few_workloads;           /* --hosts-max above the workloads */
  size_t peak_slot[PLAN_NSERIES];     /* where the summed series peak */
  size_t bind_slot[PLAN_NSERIES];     /* where the fullest host peaks */
  double cap[ND_SIZE];          /* the capacities sized for (after headroom) */
};

/* A host's unrounded needs, headroom included. */
struct needs {
  double cores, gib, gb, iops, net;
};

double
plan_growth_factor (const struct core_profile *p, double default_pct,
                    double months)
{
  double pct = p->growth_pct != CORE_UNSET ? p->growth_pct : default_pct;

  if (pct == CORE_UNSET || pct <= 0 || months <= 0)
    return 1;
  return pow (1 + pct / 100, months / 12);
}

void
plan_demand_grow (struct plan_demand *d, size_t slots, double f)
{
  if (f == 1)
    return;
  for (int r = 0; r < PLAN_NSERIES; r++) {
    for (size_t s = 0; s < slots; s++)
      d->series[r][s] *= f;
    d->peak[r] *= f;
  }
  d->memory_mib *= f;
  d->disk_gib *= f;
  d->cpu_sized_mhz *= f;
  d->mem_sized_mib *= f;
}

static const struct core_overhead *
overhead (const struct core_policy *pol, int mode)
{
  return mode == CORE_MODE_FULL ? &pol->overhead_full : &pol->overhead_paravirt;
}

static void
sizer_clear (struct sizer *z)
{
  if (z->d)
    for (size_t w = 0; w < z->nw; w++)
      plan_demand_clear (&z->d[w]);
  free (z->d);
  free (z->mode);
  free (z->items);
  free (z->item_mode);
  free (z->load);
  for (int r = 0; r < PLAN_NSERIES; r++)
    free (z->sum[r]);
  plan_sets_clear (&z->sets);
  free (z->group_name);
}

/* The packer's host type for capacities CAP (after headroom) and a count
 * of N hosts. */
static void
capacity_of (const double *cap, int64_t n, struct plan_capacity *c)
{
  memset (c, 0, sizeof *c);
  c->series[PLAN_CPU] = cap[D_CPU];
  c->series[PLAN_IOPS] = cap[D_IOPS];
  c->series[PLAN_NET] = cap[D_NET];
  c->memory_mib = cap[D_MEM];
  c->disk_gib = cap[D_DISK];
  c->vcpus = cap[D_VCPUS];
  c->cost = 1;
  c->count = n;
  c->model = 0;
}

/* Whether N hosts of capacities CAP carry every item.  1 yes, 0 no, -1
 * error.  When they do and USED is not NULL, USED gets what the packing
 * found uses of each dimension on its fullest host, and SLOT the interval
 * where that host peaks, for the series. */
static int
carries_used (struct sizer *z, const double *cap, int64_t n, double *used,
              size_t *slot)
{
  struct plan_host_type type = { 0, CORE_HV_KVM };
  struct plan_capacity c;
  struct plan_solution sol = { 0 };
  struct plan_problem pb = {
    .slots = z->grid.slots, .ntypes = 1, .types = &type, .cap = &c,
    .nmodels = 1, .nitems = z->nitems, .items = z->items, .pol = z->pol,
    .seed = z->cfg->seed,
    /* Many trials: each gets a small share of the time limit; the last,
     * whose packing the sentences quote, a larger one, so that the
     * packer's last step evens the hosts out. */
    .time_limit = z->cfg->time_limit / (used ? 5 : 100),
  };
  int ok = 1;

  /* No count: the search may use more hosts on its way to fewer, which
   * finds tighter packings than first fit held to N. */
  capacity_of (cap, CORE_UNSET, &c);
  if (plan_pack (&pb, &sol, NULL, NULL) == -1)
    return -1;
  for (size_t i = 0; i < z->nitems; i++)
    if (sol.bin_of[i] < 0)
      ok = 0;
  if (sol.nbins > (size_t) n)
    ok = 0;
  if (ok && used) {
    for (int k = 0; k < ND_SIZE; k++)
      used[k] = 0;
    for (size_t k = 0; k < sol.nbins; k++) {
      const struct plan_bin *b = &sol.bins[k];
      static const int dim[PLAN_NSERIES] = { D_CPU, D_IOPS, D_NET };
      for (int r = 0; r < PLAN_NSERIES; r++)
        for (size_t s = 0; s < z->grid.slots; s++)
          if (b->series[r][s] > used[dim[r]]) {
            used[dim[r]] = b->series[r][s];
            slot[r] = s;
          }
      used[D_MEM] = fmax (used[D_MEM], b->memory_mib);
      used[D_DISK] = fmax (used[D_DISK], b->disk_gib);
      used[D_VCPUS] = fmax (used[D_VCPUS], b->vcpus);
    }
  }
  plan_solution_clear (&sol);
  return ok;
}

static int
carries (struct sizer *z, const double *cap, int64_t n)
{
  return carries_used (z, cap, n, NULL, NULL);
}

/* The smallest capacities (after headroom) of which N hosts carry the
 * items, into CAP: from the bound max(largest item, total / N) upwards
 * along the way to the one-host capacities, then each dimension shrunk on
 * its own. */
static int
search (struct sizer *z, int64_t n, double *cap, size_t *slot)
{
  double lo[ND_SIZE], hi[ND_SIZE], a = 0, b = 1, used[ND_SIZE];
  int r;

  for (int k = 0; k < ND_SIZE; k++) {
    lo[k] = fmax (z->maxitem[k], z->total[k] / n);
    hi[k] = fmax (z->total[k], lo[k]);
    cap[k] = lo[k];
  }
  r = carries (z, cap, n);
  if (r != 0)
    return r < 0 ? -1 : 0;
  /* Along the line from LO to HI (which is feasible: one host takes all). */
  for (int it = 0; it < 12; it++) {
    double mid = (a + b) / 2;
    for (int k = 0; k < ND_SIZE; k++)
      cap[k] = lo[k] + mid * (hi[k] - lo[k]);
    r = carries (z, cap, n);
    if (r < 0)
      return -1;
    if (r)
      b = mid;
    else
      a = mid;
    plan_notify_progress (z->cfg->notify, "sizing", it / 24.0);
  }
  for (int k = 0; k < ND_SIZE; k++)
    cap[k] = lo[k] + b * (hi[k] - lo[k]);
  /* One dimension at a time, memory and CPU first (they cost most);
   * twice, as shrinking one can make room in another. */
  static const int order[ND_SIZE] = { D_MEM, D_CPU, D_DISK, D_IOPS, D_NET, D_VCPUS };
  for (int q = 0; q < 2 * ND_SIZE; q++) {
    int k = order[q % ND_SIZE];
    double l = lo[k], h = cap[k];
    for (int it = 0; it < 8 && h - l > 1e-6 * fmax (1, h); it++) {
      cap[k] = (l + h) / 2;
      r = carries (z, cap, n);
      if (r < 0)
        return -1;
      if (r)
        h = cap[k];
      else
        l = cap[k];
    }
    cap[k] = h;
    plan_notify_progress (z->cfg->notify, "sizing", 0.5 + q / 24.0);
  }
  /* The bisection stops short of what a packing uses (a few steps per
   * dimension, each trial a short search): what the packing at CAP puts
   * on its fullest host is carried too, and is what the sentences may
   * say the workloads need. */
  r = carries_used (z, cap, n, used, slot);
  if (r < 0)
    return -1;
  if (r)
    for (int k = 0; k < ND_SIZE; k++)
      cap[k] = fmin (cap[k], used[k]);
  return 0;
}

/* Buyable sizes: the first of SIZES (N, ascending) that holds V, and
 * past the largest a multiple of STEP. */
static double
round_to_sizes (double v, const double *sizes, size_t n, double step)
{
  if (v <= 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (v <= sizes[i] + 1e-9)
      return sizes[i];
  return ceil (v / step - 1e-9) * step;
}

static double
round_memory_gib (double gib)
{
  static const double small[] = { 1, 2, 3, 4, 6, 8, 12, 16 };

  return round_to_sizes (gib, small, sizeof small / sizeof *small, 16);
}

static double
round_disk_gb (double gb)
{
  /* Solid-state and spinning drives as sold; past the largest, several. */
  static const double sizes[] =
    { 120, 240, 480, 500, 960, 1000, 1920, 2000, 3840, 4000, 7680, 8000,
      15360, 16000 };

  return round_to_sizes (gb, sizes, sizeof sizes / sizeof *sizes, 16000);
}

static double
round1 (double v)
{
  return round (v * 10) / 10;
}

static double
round2 (double v)
{
  return round (v * 100) / 100;
}

/* Up to the next 0.01: a value that must hold a spec is never under it. */
static double
ceil2 (double v)
{
  return ceil (v * 100) / 100;
}

/* "a, b and c" of the first names, "and N more" past 5. */
static char *
name_list (const core_string_vector *v)
{
  char *s = core_strdup ("");

  for (size_t i = 0; s && i < v->len && i < 5; i++) {
    const char *sep = i == 0 ? "" : (i + 1 == v->len ? " and " : ", ");
    char *n = core_sprintf ("%s%s%s", s, sep, v->ptr[i]);
    free (s);
    s = n;
  }
  if (s && v->len > 5) {
    char *n = core_sprintf ("%s and %zu more", s, v->len - 5);
    free (s);
    s = n;
  }
  return s;
}

static const char *
interval_text (const struct plan_grid *grid, size_t slot, char *buf, size_t len)
{
  int64_t t0 = (int64_t) slot * grid->interval_s, t1 = t0 + grid->interval_s;

  if (t1 > 86400)
    t1 = 86400;
  snprintf (buf, len, "%02d:%02d-%02d:%02d", (int) (t0 / 3600),
            (int) (t0 % 3600 / 60), (int) (t1 / 3600), (int) (t1 % 3600 / 60));
  return buf;
}

/* The binding dimension: the one the rounding left the least room in,
 * and for a series the interval where it is most used. */
static int
set_binding (struct core_plan_sizing *sz, const struct plan_grid *grid,
             const struct needs *nd, const size_t *slot)
{
  double ratio[CORE_NRES];

  ratio[CORE_RES_CPU] = nd->cores / sz->cores.spec;
  ratio[CORE_RES_MEMORY] = sz->memory_gib.spec > 0 ? nd->gib / sz->memory_gib.spec : 0;
  ratio[CORE_RES_DISK] = sz->disk_gb.spec > 0 ? nd->gb / sz->disk_gb.spec : 0;
  ratio[CORE_RES_IOPS] = sz->disk_iops.spec > 0 ? nd->iops / sz->disk_iops.spec : 0;
  ratio[CORE_RES_NET] = nd->net / sz->net_mbps.spec;
  sz->binding = CORE_RES_CPU;
  for (int k = 1; k < CORE_NRES; k++)
    if (ratio[k] > ratio[sz->binding] + 1e-12)
      sz->binding = k;
  sz->binding_pct = round1 (100 * ratio[sz->binding]);
  free (sz->interval);
  sz->interval = NULL;
  if (grid->slots > 1 && (sz->binding == CORE_RES_CPU || sz->binding == CORE_RES_IOPS
                          || sz->binding == CORE_RES_NET)) {
    char buf[32];
    int r = sz->binding == CORE_RES_CPU ? PLAN_CPU
      : sz->binding == CORE_RES_IOPS ? PLAN_IOPS : PLAN_NET;
    sz->interval = core_strdup (interval_text (grid, slot[r], buf, sizeof buf));
    if (sz->interval == NULL)
      return -1;
  }
  return 0;
}

/* What plan OUT puts on its fullest host, per dimension (overheads
 * included), and where that host peaks.  -1 when a workload of the plan
 * is not among the sized ones. */
static int
plan_used (const struct sizer *z, const core_profile_vector *profiles,
           const struct core_plan *out, double *used, size_t *slot)
{
  const struct core_policy *pol = z->pol;
  size_t S = z->grid.slots;
  double *sum = calloc (S * PLAN_NSERIES, sizeof *sum);

  if (sum == NULL)
    return -1;
  for (int k = 0; k < ND_SIZE; k++)
    used[k] = 0;
  for (size_t h = 0; h < out->hosts.len; h++) {
    const struct core_plan_host *ph = &out->hosts.ptr[h];
    double mem = 0, disk = 0, vcpus = 0;
    memset (sum, 0, S * PLAN_NSERIES * sizeof *sum);
    for (size_t q = 0; q < ph->workloads.len; q++) {
      size_t w;
      const struct core_overhead *o;
      for (w = 0; w < z->nw; w++)
        if (strcmp (profiles->ptr[w]->name, ph->workloads.ptr[q]) == 0)
          break;
      if (w == z->nw || z->mode[w] < 0) {
        free (sum);
        return -1;
      }
      o = overhead (pol, z->mode[w]);
      for (size_t s = 0; s < S; s++) {
        sum[s] += z->d[w].series[PLAN_CPU][s] * (1 + o->cpu_pct / 100) + o->cpu_mhz;
        sum[S + s] += z->d[w].series[PLAN_IOPS][s];
        sum[2 * S + s] += z->d[w].series[PLAN_NET][s];
      }
      mem += z->d[w].memory_mib / pol->memory_overcommit + o->memory_mib;
      disk += z->d[w].disk_gib;
      vcpus += z->d[w].vcpus;
    }
    static const int dim[PLAN_NSERIES] = { D_CPU, D_IOPS, D_NET };
    for (int r = 0; r < PLAN_NSERIES; r++)
      for (size_t s = 0; s < S; s++)
        if (sum[r * S + s] > used[dim[r]]) {
          used[dim[r]] = sum[r * S + s];
          slot[r] = s;
        }
    used[D_MEM] = fmax (used[D_MEM], mem);
    used[D_DISK] = fmax (used[D_DISK], disk);
    used[D_VCPUS] = fmax (used[D_VCPUS], vcpus);
  }
  free (sum);
  return 0;
}

int
plan_sized_model (const struct core_plan_sizing *sz, const char *name,
                  struct core_host_model *hm)
{
  core_host_model_init (hm);
  hm->model = core_strdup (name);
  if (hm->model == NULL)
    return -1;
  hm->cores = (int64_t) sz->cores.spec;
  hm->mhz = sz->core_mhz;
  hm->memory_mib = (int64_t) (sz->memory_gib.spec * 1024);
  if (hm->memory_mib < 1)
    hm->memory_mib = 1;
  hm->disk_gib = sz->disk_gb.spec > 0 ? ceil2 (sz->disk_gb.spec * 1e9 / 1073741824.0) : CORE_UNSET;
  hm->disk_iops = sz->disk_iops.spec > 0 ? sz->disk_iops.spec : CORE_UNSET;
  hm->net_mbps = sz->net_mbps.spec;
  hm->virt = CORE_VIRT_VMX;
  hm->iommu = sz->iommu.len > 0;
  hm->hypervisors = CORE_HV_KVM;
  hm->count = sz->hosts + sz->spare_hosts;
  return 0;
}

/* Per workload: its demand (grown), its mode on the sized host, and one
 * item for the packer with its loads and overheads; the features the
 * host needs, and the NIC ports. */
static int
size_workloads (struct sizer *z, const struct core_host_model *m0,
                struct core_plan_sizing *sz)
{
  const core_profile_vector *profiles = z->cfg->profiles;
  const struct core_policy *pol = z->pol;

  for (size_t w = 0; w < z->nw; w++) {
    const struct core_profile *p = profiles->ptr[w];
    struct plan_guest g;
    char why[512];
    bool pt = false;

    if (plan_demand_compute (p, pol, &z->grid, &z->d[w]) == -1)
      return -1;
    plan_demand_grow (&z->d[w], z->grid.slots,
                      plan_growth_factor (p, z->sc->growth_pct, z->sc->grow_months));
    plan_guest_resolve (p, &g);
    z->mode[w] = plan_mode_on (p, &g, m0, CORE_HV_KVM, pol, why, sizeof why);
    if (z->mode[w] < 0)
      continue;                 /* stays physical; plan_run says why */
    for (size_t k = 0; k < p->hardware.pci.len; k++)
      pt |= p->hardware.pci.ptr[k].passthrough;
    {
      char *name = core_strdup (p->name);
      if (name == NULL || core_string_vector_append (&sz->virt, name) == -1) {
        free (name);
        return -1;
      }
      if (pt) {
        name = core_strdup (p->name);
        if (name == NULL || core_string_vector_append (&sz->iommu, name) == -1) {
          free (name);
          return -1;
        }
      }
    }
    if ((int64_t) p->hardware.nics.len > z->networks)
      z->networks = p->hardware.nics.len;

    /* One item for the packer, and its loads with overhead. */
    {
      size_t i = z->nitems++;
      const struct core_overhead *o = overhead (pol, z->mode[w]);
      double *l = z->load[i];

      z->item_mode[i] = z->mode[w];
      z->items[i] = (struct plan_item) { .profile = w,
                                         .passthrough = pt, .d = &z->d[w],
                                         .mode = &z->item_mode[i] };
      l[D_CPU] = z->d[w].peak[PLAN_CPU] * (1 + o->cpu_pct / 100) + o->cpu_mhz;
      l[D_IOPS] = z->d[w].peak[PLAN_IOPS];
      l[D_NET] = z->d[w].peak[PLAN_NET];
      l[D_MEM] = z->d[w].memory_mib / pol->memory_overcommit + o->memory_mib;
      l[D_DISK] = z->d[w].disk_gib;
      l[D_VCPUS] = z->d[w].vcpus;
      if (z->d[w].vcpus > z->max_vm_vcpus)
        z->max_vm_vcpus = z->d[w].vcpus;
      for (int k = 0; k < ND_SIZE; k++) {
        z->peaksum[k] += l[k];
        z->maxitem[k] = fmax (z->maxitem[k], l[k]);
      }
      for (size_t s = 0; s < z->grid.slots; s++) {
        z->sum[PLAN_CPU][s] += z->d[w].series[PLAN_CPU][s] * (1 + o->cpu_pct / 100) + o->cpu_mhz;
        z->sum[PLAN_IOPS][s] += z->d[w].series[PLAN_IOPS][s];
        z->sum[PLAN_NET][s] += z->d[w].series[PLAN_NET][s];
      }
    }
  }
  return 0;
}

/* Anti-affinity sets: their members go to different hosts, so the
 * largest set sets the fewest hosts. */
static int
anti_affinity (struct sizer *z)
{
  size_t *members = NULL;
  char label[256];

  if (plan_sets_build (z->cfg->profiles, z->pol, &z->sets) == -1)
    return -1;
  for (size_t i = 0; i < z->nitems; i++) {
    z->items[i].sets = z->sets.of[z->items[i].profile];
    z->items[i].nsets = z->sets.nof[z->items[i].profile];
  }
  members = calloc (z->sets.nsets ? z->sets.nsets : 1, sizeof *members);
  if (members == NULL) {
    core_error ("out of memory");
    return -1;
  }
  for (size_t i = 0; i < z->nitems; i++)
    for (size_t k = 0; k < z->items[i].nsets; k++) {
      int g = z->items[i].sets[k];
      if (++members[g] > (size_t) z->group_hosts) {
        z->group_hosts = members[g];
        plan_set_label (&z->sets.sets[g], label, sizeof label);
        free (z->group_name);
        z->group_name = core_strdup (label);
      }
    }
  free (members);
  if (z->group_hosts > 1 && z->group_name == NULL)
    return -1;
  return 0;
}

/* The peaks of the summed series, and where they are; the constants'
 * sums. */
static void
totals (struct sizer *z)
{
  for (int r = 0; r < PLAN_NSERIES; r++) {
    double m = 0;
    for (size_t s = 0; s < z->grid.slots; s++)
      if (z->sum[r][s] > m) {
        m = z->sum[r][s];
        z->peak_slot[r] = s;
      }
    z->total[r == PLAN_CPU ? D_CPU : r == PLAN_IOPS ? D_IOPS : D_NET] = m;
  }
  z->total[D_MEM] = z->peaksum[D_MEM];
  z->total[D_DISK] = z->peaksum[D_DISK];
  z->total[D_VCPUS] = z->peaksum[D_VCPUS];
}

/* Unrounded needs, headroom included, of a host of capacities CAP. */
static void
needs_of (const struct sizer *z, const double *cap, struct needs *nd)
{
  nd->cores = fmax (cap[D_CPU] / z->keep / z->sc->core_mhz,
                    fmax (cap[D_VCPUS] / z->pol->cpu_overcommit, (double) z->max_vm_vcpus));
  nd->gib = cap[D_MEM] / z->keep / 1024;
  nd->gb = cap[D_DISK] / z->keep * 1073741824.0 / 1e9;
  nd->iops = cap[D_IOPS] / z->keep;
  nd->net = cap[D_NET] / z->keep;
}

/* What can be bought for needs ND: cores in pairs, memory, disk and NIC
 * speeds as sold. */
static void
spec_of (struct sizer *z, const struct needs *nd, struct core_plan_sizing *sz)
{
  int64_t ports_bw = 1;

  sz->given = true;
  sz->hosts = z->n;
  sz->spare_hosts = z->pol->ha_spare_hosts;
  sz->core_mhz = z->sc->core_mhz;
  sz->cores.need = round2 (nd->cores);
  sz->cores.spec = fmax (2, ceil (nd->cores - 1e-9));
  if ((int64_t) sz->cores.spec % 2)
    sz->cores.spec += 1;
  sz->memory_gib.need = round2 (nd->gib);
  sz->memory_gib.spec = round_memory_gib (nd->gib);
  sz->disk_gb.need = round1 (nd->gb);
  sz->disk_gb.spec = round_disk_gb (nd->gb);
  sz->disk_iops.need = round1 (nd->iops);
  sz->disk_iops.spec = nd->iops > 0 ? ceil (nd->iops / 100 - 1e-9) * 100 : 0;
  {
    static const double speeds[] = { 1000, 10000, 25000, 100000 };
    size_t k;
    for (k = 0; k + 1 < sizeof speeds / sizeof *speeds; k++)
      if (nd->net <= speeds[k] + 1e-9)
        break;
    sz->port_mbps = speeds[k];
    if (nd->net > sz->port_mbps)
      ports_bw = (int64_t) ceil (nd->net / sz->port_mbps - 1e-9);
  }
  sz->net_mbps.need = round1 (nd->net);
  sz->net_mbps.spec = sz->port_mbps * ports_bw;
  sz->nic_ports.need = z->networks > ports_bw ? z->networks : ports_bw;
  sz->nic_ports.spec = sz->nic_ports.need;
}

/* Frees a sizing kept aside from a plan. */
static void
sizing_clear (struct core_plan_sizing *sz)
{
  struct core_plan tmp;

  core_plan_init (&tmp);
  tmp.sizing = *sz;
  core_plan_clear (&tmp);
}

/* The whole plan on hosts of the sized spec, into OUT (whose sizing is
 * kept): made again with other seeds when it leaves out a workload the
 * trial packings placed, then with more hosts. */
static int
plan_on_spec (struct sizer *z, struct core_plan *out)
{
  const struct plan_config *cfg = z->cfg;
  struct core_plan_sizing *sz = &out->sizing;
  struct core_hosts catalog = { 0 };
  struct plan_config c2 = *cfg;
  struct core_host_model hm;
  int ret = -1;

  if (plan_sized_model (sz, "sized", &hm) == -1)
    return -1;
  if (core_host_model_vector_append (&catalog.models, hm) == -1) {
    free (hm.model);
    return -1;
  }
  c2.hosts = &catalog;
  c2.sized = true;
  {
    /* plan_run starts the plan afresh: keep the sizing aside. */
    struct core_plan_sizing keep_sz = *sz;
    memset (sz, 0, sizeof *sz);
    /* The search proved a packing of every sized workload onto N hosts
     * of the spec; a plan that misses one (the search is a heuristic
     * with a time limit) is made again with other seeds, a few times. */
    for (int attempt = 0; ; attempt++) {
      if (plan_run (&c2, out) == -1) {
        sizing_clear (&keep_sz);
        goto out;
      }
      if (out->unplaced.len <= z->nw - z->nitems || attempt == 2)
        break;
      core_plan_clear (out);
      c2.seed = cfg->seed + 1 + attempt;
    }
    /* Still short (the plan's packing is not the trial's): unless the
     * user fixed the count, one more host of the spec at a time, a few
     * times, so that every sized workload is placed; the sentences say
     * so. */
    while (out->unplaced.len > z->nw - z->nitems && z->sc->hosts_max == 0
           && z->grown < 3) {
      struct core_host_model *sm = &catalog.models.ptr[catalog.models.len - 1];
      core_plan_clear (out);
      keep_sz.hosts++;
      z->n++;
      z->grown++;
      sm->count = keep_sz.hosts + keep_sz.spare_hosts;
      c2.seed = cfg->seed;
      if (plan_run (&c2, out) == -1) {
        sizing_clear (&keep_sz);
        goto out;
      }
    }
    if (out->unplaced.len > z->nw - z->nitems)
      z->short_by = out->unplaced.len - (z->nw - z->nitems);
    out->sizing = keep_sz;
  }
  ret = 0;
 out:
  for (size_t i = 0; i < catalog.models.len; i++)
    free (catalog.models.ptr[i].model);
  core_host_model_vector_reset (&catalog.models);
  return ret;
}

/* The search's trial capacities are not what the plan uses (its packing
 * differs, on a rounded spec): what the plan puts on its fullest host is
 * the need the sentences may state, or they would contradict the plan's
 * own peaks.  It fits the spec after headroom; the spec stays, the plan
 * is made on it. */
static int
restate_needs (struct sizer *z, struct core_plan *out, struct needs *nd)
{
  struct core_plan_sizing *sz = &out->sizing;
  double used[ND_SIZE];

  if (plan_used (z, z->cfg->profiles, out, used, z->bind_slot) != 0)
    return 0;
  memcpy (z->cap, used, sizeof used);
  needs_of (z, z->cap, nd);
  sz->cores.need = round2 (nd->cores);
  sz->memory_gib.need = round2 (nd->gib);
  sz->disk_gb.need = round1 (nd->gb);
  sz->disk_iops.need = round1 (nd->iops);
  sz->net_mbps.need = round1 (nd->net);
  return set_binding (sz, &z->grid, nd, z->bind_slot);
}

/* The sizing's sentences. */
static int
sentences (const struct sizer *z, const struct needs *nd,
           struct core_plan_sizing *sz)
{
  const struct plan_size_config *sc = z->sc;
  const struct core_policy *pol = z->pol;
  int64_t n = z->n, grown = z->grown;
  CLEANUP_FREE char *virt = name_list (&sz->virt);
  CLEANUP_FREE char *iommu = name_list (&sz->iommu);
  char buf[32];
  const char *unit[CORE_NRES] = { "cores", "memory", "disk", "IOPS", "network" };

  if (virt == NULL || iommu == NULL)
    return -1;
  {
    /* Disk and IOPS only when the profiles give any. */
    char disk[64] = "", iops[64] = "", udisk[64] = "", uiops[64] = "";
    if (sz->disk_gb.spec > 0) {
      snprintf (disk, sizeof disk, ", %g GB of disk", sz->disk_gb.spec);
      snprintf (udisk, sizeof udisk, ", %.1f GB", nd->gb);
    }
    if (sz->disk_iops.spec > 0) {
      snprintf (iops, sizeof iops, ", %g IOPS", sz->disk_iops.spec);
      snprintf (uiops, sizeof uiops, ", %.1f IOPS", nd->iops);
    }
    if (plan_add_sentence (&sz->reasons, core_sprintf (
          "%lld host%s of %g cores at %g MHz, %g GiB of memory%s%s and "
          "%lld network port%s of %g Mb/s carr%s the %zu workload%s with "
          "%g%% headroom; unrounded, %s needs %.2f cores, %.2f GiB%s%s "
          "and %.1f Mb/s.",
          (long long) n, n == 1 ? "" : "s", sz->cores.spec, sc->core_mhz,
          sz->memory_gib.spec, disk, iops,
          (long long) sz->nic_ports.spec, sz->nic_ports.spec == 1 ? "" : "s",
          sz->port_mbps, n == 1 ? "ies" : "y", z->nitems, z->nitems == 1 ? "" : "s",
          pol->headroom_pct, n == 1 ? "it" : "each", nd->cores, nd->gib,
          udisk, uiops, nd->net)) == -1)
      return -1;
  }
  if (z->grid.slots > 1 && z->nitems > 1
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "Sized on the workloads' summed demand at every %lld-minute "
           "interval of the day: CPU peaks at %.0f MHz (%s), where their "
           "own peaks add up to %.0f MHz.",
           (long long) (z->grid.interval_s / 60), z->total[D_CPU],
           interval_text (&z->grid, z->peak_slot[PLAN_CPU], buf, sizeof buf),
           z->peaksum[D_CPU])) == -1)
    return -1;
  /* The growth gives up after a few hosts: say whether it was enough. */
  if (grown > 0
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "%lld host%s more than the trial packings needed: the plan's own "
           "packing of the workloads onto %lld host%s of this spec left some "
           "physical, so the count grew %s.", (long long) grown, grown == 1 ? "" : "s",
           (long long) (n - grown), n - grown == 1 ? "" : "s",
           z->short_by == 0 ? "until every sized workload was placed"
           : "and some sized workloads are still physical (see their reasons)")) == -1)
    return -1;
  if (z->group_hosts > 1 && sc->hosts_max == 0 && n == z->group_hosts
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "%lld hosts, not one: the %lld workloads of one anti-affinity "
           "set (%s) must run on different hosts.", (long long) n,
           (long long) z->group_hosts, z->group_name)) == -1)
    return -1;
  if (z->few_workloads
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "Sized for %lld host%s, one per workload: --hosts-max %lld would "
           "leave hosts empty.", (long long) n, n == 1 ? "" : "s",
           (long long) sc->hosts_max)) == -1)
    return -1;
  /* The spec was sized for the count before it grew. */
  if (n - grown > 1 && plan_add_sentence (&sz->reasons, core_sprintf (
        "The smallest spec of which %lld hosts carry the workloads (found "
        "by packing them onto trial specs); the work spread evenly would "
        "need %.2f cores and %.2f GiB per host.", (long long) (n - grown),
        z->total[D_CPU] / (n - grown) / z->keep / sc->core_mhz,
        z->total[D_MEM] / (n - grown) / z->keep / 1024)) == -1)
    return -1;
  if (plan_add_sentence (&sz->reasons, sz->interval
                  ? core_sprintf ("%s binds: the workloads need %.1f%% of "
                                  "the spec's %s%s, most at %s.",
                                  sz->binding == CORE_RES_CPU ? "CPU"
                                  : sz->binding == CORE_RES_IOPS ? "IOPS" : "Network",
                                  sz->binding_pct, unit[sz->binding],
                                  n > 1 ? " on the fullest host" : "", sz->interval)
                  : core_sprintf ("%s binds: the workloads need %.1f%% of "
                                  "the spec's %s%s.",
                                  sz->binding == CORE_RES_CPU ? "CPU"
                                  : sz->binding == CORE_RES_MEMORY ? "Memory"
                                  : sz->binding == CORE_RES_DISK ? "Disk"
                                  : sz->binding == CORE_RES_IOPS ? "IOPS" : "Network",
                                  sz->binding_pct, unit[sz->binding],
                                  n > 1 ? " on the fullest host" : "")) == -1)
    return -1;
  if (sz->virt.len
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "Hardware virtualization (Intel VT-x or AMD-V) is required: the "
           "host runs KVM, which needs it for %s%s.", virt,
           sz->virt.len > 1 ? " alike" : "")) == -1)
    return -1;
  if (sz->iommu.len
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "An IOMMU (Intel VT-d or AMD-Vi) is required to pass devices "
           "through to %s.", iommu)) == -1)
    return -1;
  if (z->max_vm_vcpus > 1 && nd->cores <= z->max_vm_vcpus + 1e-9
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "At least %lld cores, as many as the largest VM has vCPUs.",
           (long long) z->max_vm_vcpus)) == -1)
    return -1;
  if (pol->ha_spare_hosts > 0
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "%lld more host%s of the same spec %s kept empty as HA spare%s "
           "(ha_spare_hosts).", (long long) pol->ha_spare_hosts,
           pol->ha_spare_hosts == 1 ? "" : "s",
           pol->ha_spare_hosts == 1 ? "is" : "are",
           pol->ha_spare_hosts == 1 ? "" : "s")) == -1)
    return -1;
  if (z->nitems < z->nw
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "%zu workload%s stay%s physical and %s not sized for (see "
           "unplaced).", z->nw - z->nitems, z->nw - z->nitems == 1 ? "" : "s",
           z->nw - z->nitems == 1 ? "s" : "", z->nw - z->nitems == 1 ? "is" : "are")) == -1)
    return -1;
  if (sc->spec_only && sc->grow_months > 0
      && plan_add_sentence (&sz->reasons, core_sprintf (
           "Sized for the demand after %g months of growth, so that it "
           "lasts the whole period.", sc->grow_months)) == -1)
    return -1;
  return 0;
}

int
plan_size (const struct plan_config *cfg, const struct plan_size_config *sc,
           struct core_plan *out)
{
  const core_profile_vector *profiles = cfg->profiles;
  const struct core_policy *pol = &cfg->policy;
  struct core_plan_sizing *sz = &out->sizing;
  struct sizer z = { .cfg = cfg, .sc = sc, .pol = pol, .nw = profiles->len,
                     .keep = 1 - pol->headroom_pct / 100, .networks = 1,
                     .group_hosts = 1 };
  struct core_host_model m0;
  struct needs nd;
  int ret = -1;

  core_plan_init (out);
  out->policy = *pol;
  if (z.nw == 0) {
    core_error ("no workloads to size a host for");
    return -1;
  }
  z.n = (sc->hosts_max > 0 ? sc->hosts_max : 1 + pol->ha_spare_hosts) - pol->ha_spare_hosts;
  if (z.n < 1) {
    core_error ("--hosts-max %lld leaves no host to carry the workloads once "
                "the policy's %lld HA spare hosts are kept empty",
                (long long) sc->hosts_max, (long long) pol->ha_spare_hosts);
    return -1;
  }

  /* The host being sized runs KVM with hardware virtualization, and has
   * an IOMMU when the policy allows passthrough (it is only required when
   * a workload passes a device through). */
  core_host_model_init (&m0);
  m0.model = (char *) "sized";
  m0.cores = 1;
  m0.mhz = sc->core_mhz;
  m0.memory_mib = 1;
  m0.virt = CORE_VIRT_VMX;
  m0.iommu = pol->allow_passthrough;
  m0.hypervisors = CORE_HV_KVM;

  plan_grid_choose (profiles, &z.grid);
  z.d = calloc (z.nw, sizeof *z.d);
  z.mode = calloc (z.nw, sizeof *z.mode);
  z.items = calloc (z.nw, sizeof *z.items);
  z.item_mode = calloc (z.nw, sizeof *z.item_mode);
  z.load = calloc (z.nw, sizeof *z.load);
  for (int r = 0; r < PLAN_NSERIES; r++)
    z.sum[r] = calloc (z.grid.slots, sizeof (double));
  if (!z.d || !z.mode || !z.items || !z.item_mode || !z.load || !z.sum[0]
      || !z.sum[1] || !z.sum[2]) {
    core_error ("out of memory");
    goto out;
  }
  if (size_workloads (&z, &m0, sz) == -1 || anti_affinity (&z) == -1)
    goto out;
  /* More hosts than workloads would stand empty. */
  if (z.n > 1 && (size_t) z.n > z.nitems) {
    z.few_workloads = true;
    z.n = z.nitems > 0 ? (int64_t) z.nitems : 1;
  }
  if (z.group_hosts > z.n) {
    if (sc->hosts_max > 0) {
      core_error ("anti-affinity set (%s) has %lld workloads, which need as "
                  "many hosts; --hosts-max %lld leaves %lld to carry them",
                  z.group_name, (long long) z.group_hosts, (long long) sc->hosts_max,
                  (long long) z.n);
      goto out;
    }
    z.n = z.group_hosts;
  }

  totals (&z);
  memcpy (z.bind_slot, z.peak_slot, sizeof z.bind_slot);
  if (z.n == 1 || z.nitems <= 1)
    memcpy (z.cap, z.total, sizeof z.cap);
  else if (search (&z, z.n, z.cap, z.bind_slot) == -1)
    goto out;
  needs_of (&z, z.cap, &nd);
  spec_of (&z, &nd, sz);
  if (set_binding (sz, &z.grid, &nd, z.bind_slot) == -1)
    goto out;

  /* The whole plan on hosts of that spec, unless only the spec is asked
   * for (sized for grown demand, next to a catalog's plan). */
  if (!sc->spec_only) {
    if (plan_on_spec (&z, out) == -1)
      goto out;
    if (out->summary.lower_bound != CORE_UNSET
        && out->summary.lower_bound > z.n + pol->ha_spare_hosts)
      out->summary.lower_bound = z.n + pol->ha_spare_hosts;
    if (z.n > 1 && z.nitems > 1 && out->unplaced.len == z.nw - z.nitems
        && restate_needs (&z, out, &nd) == -1)
      goto out;
  }

  if (sentences (&z, &nd, sz) == -1)
    goto out;
  ret = 0;

 out:
  if (ret == -1)
    core_plan_clear (out);
  sizer_clear (&z);
  return ret;
}
