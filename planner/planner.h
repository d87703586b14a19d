/* planner: from profiles, a host catalog and a policy to a plan.
 *
 * The planner answers two questions per workload: can it be virtualized,
 * and should it run fully virtualized or paravirtualized; then it packs the
 * workloads onto the fewest (or cheapest) hosts such that at every
 * interval of the day the summed demand fits every resource of every host.
 * docs/planner.md describes the rules; this header has one section per .c
 * file.  Nothing here prints: progress and warnings go through the
 * caller's struct core_notify.
 */
#ifndef P2VKIT_PLANNER_H
#define P2VKIT_PLANNER_H

#include <math.h>

#include "core/core.h"

/* Resources with a time series; the rest are constant per workload. */
enum plan_series { PLAN_CPU, PLAN_IOPS, PLAN_NET, PLAN_NSERIES };

/* ------------------------------------------------------------------ */
/* demand.c: sizing each workload on its percentile, on a common grid   */
/* of the day.                                                          */

/* The grid: SLOTS intervals of INTERVAL_S seconds from 00:00. */
struct plan_grid {
  int64_t interval_s;
  size_t slots;
};

/* What a workload needs, before any mode's overhead. */
struct plan_demand {
  double *series[PLAN_NSERIES]; /* grid.slots values each: MHz, IOPS, Mb/s */
  double peak[PLAN_NSERIES];    /* the largest value of each series */
  double memory_mib;            /* the VM's memory (right-sized) */
  double disk_gib;
  int64_t vcpus;
  double cpu_sized_mhz;         /* the percentile value of the CPU demand */
  double mem_sized_mib;         /* the percentile value of used memory */
};

/* The grid every workload is put on: 300 s unless every series is coarser
 * (then the finest interval), and one slot when no workload has a series
 * of more than one value. */
void plan_grid_choose (const core_profile_vector *profiles, struct plan_grid *grid);

/* Size workload P; OUT's series are allocated (plan_demand_clear frees). */
int plan_demand_compute (const struct core_profile *p, const struct core_policy *pol,
                         const struct plan_grid *grid, struct plan_demand *out);
void plan_demand_clear (struct plan_demand *d);

/* Nearest-rank percentile PCT (1..100) of N values (copied, not changed). */
double plan_percentile (const double *v, size_t n, double pct);

/* ------------------------------------------------------------------ */
/* mode.c: full or paravirtualization, per workload and hypervisor.     */

/* A kind of host a workload may go to: a catalog model running one of the
 * hypervisors it offers. */
struct plan_host_type {
  size_t model;                 /* index into the catalog */
  unsigned hypervisor;          /* CORE_HV_KVM or CORE_HV_XEN */
};

/* What a guest OS brings, resolved once per workload. */
struct plan_guest {
  enum core_os_family family;
  unsigned pv;                  /* CORE_PV_* the installed OS has */
  bool virtio_win;              /* Windows that current virtio-win supports */
  bool win_known;               /* a Windows release core/windows.c knows */
  int win_pv;                   /* enum core_win_pv of that release */
  const char *os_label;         /* for sentences: the OS name or id */
  const char *pv_source;        /* where pv came from, for sentences */
  bool os_known;                /* libosinfo knows the OS */
  bool pv_known;                /* something says whether it has virtio */
  bool xen_known;               /* something says whether it has Xen's */
};

void plan_guest_resolve (const struct core_profile *p, struct plan_guest *g);

/* Mode of workload P on host type T; -1 when it cannot run there, with
 * *WHY set to a sentence (static or in the buffer) saying why.  On
 * success *WHY says why this mode. */
int plan_mode_on (const struct core_profile *p, const struct plan_guest *g,
                  const struct core_host_model *m, unsigned hypervisor,
                  const struct core_policy *pol, char *why, size_t whylen);

/* ------------------------------------------------------------------ */
/* affinity.c: which workloads must run on different hosts.            */

enum plan_role { PLAN_ROLE_DIRECTORY, PLAN_ROLE_DNS, PLAN_ROLE_DHCP, PLAN_NROLES };
extern const char *const plan_role_names[PLAN_NROLES];

/* The redundant roles P serves (bits 1 << PLAN_ROLE_*), from its role
 * words, service names and ports. */
unsigned plan_redundant_roles (const struct core_profile *p);

enum plan_set_kind { PLAN_SET_ANTI_AFFINITY, PLAN_SET_ROLE };

/* Workloads that must run on different hosts. */
struct plan_set {
  enum plan_set_kind kind;
  char *name;                   /* the anti_affinity name, or the role */
  size_t *members;              /* profile indices, in input order */
  size_t nmembers;              /* at least 2 */
};

struct plan_sets {
  struct plan_set *sets;
  size_t nsets;
  size_t nprofiles;
  int **of;                     /* per profile: its sets, ascending */
  size_t *nof;
};

/* The sets of PROFILES: every anti_affinity name, and with
 * POL->separate_redundant_roles every redundant role, held by two
 * workloads or more. */
int plan_sets_build (const core_profile_vector *profiles,
                     const struct core_policy *pol, struct plan_sets *out);
void plan_sets_clear (struct plan_sets *s);
/* A set both ascending lists hold, or -1. */
int plan_sets_common (const int *a, size_t na, const int *b, size_t nb);
/* A set profiles A and B are both in, or -1. */
int plan_sets_shared (const struct plan_sets *s, size_t a, size_t b);
/* "anti_affinity ad", "redundant role dns; policy separate_redundant_roles". */
void plan_set_label (const struct plan_set *set, char *buf, size_t len);

/* Files written when `group` kept servers apart: *MSG is a warning (to
 * free) when two servers share a group and no profile uses
 * anti_affinity, else NULL. */
int plan_group_warning (const core_profile_vector *profiles, char **msg);

/* ------------------------------------------------------------------ */
/* pack.c: vector bin packing over the grid.                            */

/* One workload as the packer sees it. */
struct plan_item {
  size_t profile;               /* index into the profiles */
  const int *sets;              /* plan_sets ids, ascending: items that
                                 * share one go to different hosts */
  size_t nsets;
  bool passthrough;             /* needs an IOMMU host */
  const struct plan_demand *d;
  /* Per host type: mode (-1 = cannot run there). */
  int *mode;
};

/* Capacity of one host type after headroom. */
struct plan_capacity {
  double series[PLAN_NSERIES];  /* per slot; INFINITY when unconstrained */
  double memory_mib;
  double disk_gib;
  double vcpus;
  double cost;                  /* what one host of the type costs (>0) */
  int64_t count;                /* CORE_UNSET: no limit (shared per model) */
  size_t model;
};

struct plan_problem {
  size_t slots;
  size_t ntypes;
  const struct plan_host_type *types;
  const struct plan_capacity *cap;  /* per type */
  size_t nmodels;
  size_t nitems;
  struct plan_item *items;
  const struct core_policy *pol;    /* overheads */
  uint64_t seed;
  double time_limit;                /* seconds */
};

/* A host in a solution: its type and its items. */
struct plan_bin {
  size_t type;
  size_t *items;
  size_t nitems, capitems;
  /* Loads with overhead: series[r][slot], then constants. */
  double *series[PLAN_NSERIES];
  double memory_mib, disk_gib, vcpus;
};

struct plan_solution {
  struct plan_bin *bins;
  size_t nbins;
  ssize_t *bin_of;              /* per item: its bin, -1 not placed */
  double cost;
};

typedef void (*plan_progress_fn) (void *opaque, const char *stage, double fraction);

/* Pack every item that can be placed.  An item no single host can take is
 * left out (bin_of = -1); the caller has already removed items with no
 * possible host type. */
int plan_pack (const struct plan_problem *pb, struct plan_solution *out,
               plan_progress_fn progress, void *opaque);
void plan_solution_clear (struct plan_solution *s);

/* The demand item I adds to a host of type T, with T's mode overhead. */
double plan_item_series (const struct plan_problem *pb, size_t i, size_t t,
                         enum plan_series r, size_t slot);
double plan_item_memory (const struct plan_problem *pb, size_t i, size_t t);

/* A proven lower bound on the number of hosts (of any type) the items
 * need: the larger of the per-resource, per-slot continuous bound (L1)
 * and Martello and Toth's L2 on each resource and slot. */
int64_t plan_lower_bound (const struct plan_problem *pb);

/* ------------------------------------------------------------------ */
/* pack.c, search.c: the packer's state, and the host and solution     */
/* operations that construction (pack.c) and local search (search.c)   */
/* share.                                                               */

#define PLAN_EPS 1e-9

/* Proxy dimensions for scoring: constants, then series peaks. */
enum { PLAN_PX_MEM, PLAN_PX_DISK, PLAN_PX_VCPU, PLAN_PX_CPU, PLAN_PX_IOPS, PLAN_PX_NET, PLAN_NPX };

/* Dimensions of the one-slot vectors: memory, disk, vCPUs, the series. */
#define PLAN_ND (3 + PLAN_NSERIES)

struct plan_packer {
  const struct plan_problem *pb;
  size_t n, ntypes, T;
  /* Per (item, type): -1 when the item cannot go there. */
  int *mode;
  double *mem;                  /* memory reserved, with overhead */
  double *cpu_a, *cpu_b;        /* CPU demand = series * a + b */
  double *size;                 /* normalized size: fills of bins */
  double *weight;               /* the pool's objective (= size; squared
                                 * sizes did worse on the benchmarks) */
  double refcap[PLAN_NPX];           /* largest finite capacity per proxy */
  /* With one slot (no day series) every demand is a vector of PLAN_ND numbers:
   * VEC per (item, type) and CAPV per type make the fit test a few
   * additions. */
  double *vec, *capv;
  /* The dimensions that can bind (find_active): the others are left
   * out of the fit test (on the one-dimensional benchmarks only CPU is
   * left, and the test is one comparison). */
  int act[PLAN_ND], nact;
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

#define PLAN_IX(pk, i, t) ((i) * (pk)->ntypes + (t))

struct plan_order_entry {
  double key;
  size_t i;
};

int plan_cmp_order (const void *a, const void *b);

struct plan_mbs {
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
plan_full_at (double cap)
{
  return cap - 2e-9 * (1 + fabs (cap));
}

size_t plan_random_below (struct plan_packer *pk, size_t n);
bool plan_out_of_time (const struct plan_packer *pk);
int plan_bin_init (struct plan_packer *pk, struct plan_bin *b, size_t type);
void plan_bin_clear (struct plan_bin *b);
double plan_bin_peak (const struct plan_packer *pk, const struct plan_bin *b, int r);
bool plan_fits_move (const struct plan_packer *pk, const struct plan_bin *b,
                     const size_t *in, size_t nin, const size_t *out, size_t nout);
int plan_bin_add (struct plan_packer *pk, struct plan_bin *b, size_t i);
void plan_bin_remove (struct plan_packer *pk, struct plan_bin *b, size_t i);
double plan_model_cost (const struct plan_packer *pk, size_t m);
double plan_solution_cost (const struct plan_packer *pk, const struct plan_solution *s);
int plan_solution_copy (struct plan_packer *pk, struct plan_solution *dst,
                        const struct plan_solution *src);
int plan_open_bin (struct plan_packer *pk, size_t type);
void plan_drop_bin (struct plan_packer *pk, size_t k);
bool plan_model_available (const struct plan_packer *pk, size_t type);
int plan_fits_empty (struct plan_packer *pk, size_t i, size_t t);
void plan_cap_proxy (const struct plan_packer *pk, size_t t, double *v);
void plan_mbs_dfs (struct plan_mbs *m, size_t start, size_t depth, double load);
void plan_pack_report (struct plan_packer *pk, const char *what, bool force);
void plan_note_best (struct plan_packer *pk, const struct plan_solution *s);

static inline bool
plan_fits_swap (const struct plan_packer *pk, const struct plan_bin *b, size_t i,
           const size_t *out, size_t nout)
{
  return plan_fits_move (pk, b, &i, 1, out, nout);
}

static inline bool
plan_fits (const struct plan_packer *pk, const struct plan_bin *b, size_t i)
{
  return plan_fits_swap (pk, b, i, NULL, 0);
}

/* One-dimensional: bin B's load in the binding dimension. */
static inline double
plan_load1 (const struct plan_packer *pk, const struct plan_bin *b)
{
  int d = pk->act[0];

  return d == 0 ? b->memory_mib : d == 1 ? b->disk_gib
    : d == 2 ? b->vcpus : b->series[d - 3][0];
}

/* ------------------------------------------------------------------ */
/* search.c: local search from the best constructed solution, and the  */
/* balancing pass.                                                      */

int plan_improve (struct plan_packer *pk, int64_t lower_bound);
void plan_balance (struct plan_packer *pk);
int plan_place_left (struct plan_packer *pk);

/* ------------------------------------------------------------------ */
/* plan.c: the whole job.                                               */

struct plan_config {
  const core_profile_vector *profiles;
  const struct core_hosts *hosts;
  struct core_policy policy;
  double time_limit;            /* seconds, default 5 */
  uint64_t seed;
  /* NULL, or where the stages' progress (see plan_notify_progress) and
   * warnings go; the front end shows them. */
  const struct core_notify *notify;
  /* NULL, or per profile the mode it must run in (a CORE_MODE_*), or -1
   * for the rules' choice: host types whose rules give another mode are
   * left out for it, and CORE_MODE_PHYSICAL leaves it physical. */
  const int *force;
  /* The catalog is one sized spec (plan_size): reasons speak of the
   * sizing's host count, not of a catalog. */
  bool sized;
};

int plan_run (const struct plan_config *cfg, struct core_plan *out);

/* Appends sentence S (malloc'd; NULL when making it failed) to V, which
 * owns it then; -1 (S freed) on error. */
int plan_add_sentence (core_string_vector *v, char *s);

/* Progress of a stage ("packing", "improving: best ...", "sizing",
 * "done") as a FRACTION of the whole: DONE of PLAN_PROGRESS_TOTAL, the
 * stage's text as WHAT. */
#define PLAN_PROGRESS_TOTAL 1000000
void plan_notify_progress (const struct core_notify *n, const char *stage,
                           double fraction);

/* A host's summed CPU demand over the grid as a plan file holds it: at
 * most 96 points, each the largest of the slots it covers. */
int plan_downsample_series (const struct plan_grid *grid, const double *slots,
                            struct core_plan_series *out);

/* ------------------------------------------------------------------ */
/* move.c: moving one workload of a plan to another host by hand.       */

/* Moves WORKLOAD to HOST: its mode becomes the one the rules give there,
 * both hosts' peaks and series are recomputed, and the result is checked
 * with plan_check.  A host left empty is removed (with its model's spares
 * when no host of the model is left), and the summary follows.  Returns 0 when moved, 1 when refused (the plan is
 * left as it was and *WHY holds the reasons, one per line), -1 on error. */
int plan_move (struct core_plan *plan, const core_profile_vector *profiles,
               const struct core_hosts *hosts, const char *workload,
               const char *host, char **why);

/* ------------------------------------------------------------------ */
/* size.c: the smallest host spec that carries the workloads.          */

struct plan_size_config {
  int64_t hosts_max;            /* 0: one host (plus the HA spares) */
  double core_mhz;              /* the clock the spec's cores are assumed at */
  double growth_pct;            /* CORE_UNSET: no growth */
  double grow_months;           /* size for the demand grown this long */
  bool spec_only;               /* only out->sizing; no hosts */
};

/* Writes a whole plan onto hosts of the sized spec (model "sized") with
 * out->sizing filled, or with SPEC_ONLY just out->sizing. */
int plan_size (const struct plan_config *cfg, const struct plan_size_config *sc,
               struct core_plan *out);

/* The host model of sizing SZ, named NAME (malloc'd into HM->model): the
 * spec's cores, clock, memory, disk, IOPS and network, KVM with hardware
 * virtualization, an IOMMU when a workload needs one, and a count of the
 * sized hosts plus the HA spares. */
int plan_sized_model (const struct core_plan_sizing *sz, const char *name,
                      struct core_host_model *hm);

/* (1 + pct/100)^(months/12), pct being the profile's growth_pct when it
 * has one, else DEFAULT_PCT (CORE_UNSET: no growth). */
double plan_growth_factor (const struct core_profile *p, double default_pct,
                           double months);
/* Scale a workload's demand (series, memory, disk; not its vCPUs). */
void plan_demand_grow (struct plan_demand *d, size_t slots, double f);

/* ------------------------------------------------------------------ */
/* growth.c: how long each host of a plan lasts as demand grows.        */

/* Fills plan->growth (and plan->sizing's runs_out when the plan has a
 * sizing): per non-spare host, the month its workloads, grown by PCT a
 * year (or their own growth_pct), first exceed its capacity after
 * headroom, the resource, and the most used resource per month.  The
 * capacities come from plan->models. */
int plan_growth (struct core_plan *plan, const core_profile_vector *profiles,
                 double pct, int64_t years);

/* ------------------------------------------------------------------ */
/* check.c: an independent check of a plan against its inputs.          */

/* Re-derives every host's demand from the profiles and fails (with every
 * violation in *REPORT, one per line) when a constraint is broken.
 * Returns 0 valid, 1 violations, -1 error. */
int plan_check (const struct core_plan *plan, const core_profile_vector *profiles,
                const struct core_hosts *hosts, char **report);

/* The profile or plan entry named NAME, or NULL. */
const struct core_profile *plan_find_profile (const core_profile_vector *v,
                                              const char *name);
const struct core_plan_workload *plan_find_workload (const struct core_plan *plan,
                                                     const char *name);

#endif /* P2VKIT_PLANNER_H */
