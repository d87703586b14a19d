/* The whole planning job: size every workload, decide its mode per host
 * type, leave physical what no host can take (with the reason), pack the
 * rest, and write it all into a plan with sentences a person can read.
 */
#include <math.h>
#include <string.h>

#include "planner/planner.h"

/* Per workload, what the planner learned, kept for the sentences. */
struct wl {
  struct plan_demand d;
  struct plan_guest g;
  int *mode;                    /* per type */
  char **why;                   /* per type: the mode decision's sentence */
  ssize_t item;                 /* index among packed items, or -1 */
  char *unplaced;               /* reason when left physical */
};

static void
wl_clear (struct wl *w, size_t ntypes)
{
  plan_demand_clear (&w->d);
  if (w->why)
    for (size_t t = 0; t < ntypes; t++)
      free (w->why[t]);
  free (w->why);
  free (w->mode);
  free (w->unplaced);
}

static int
cmp_size (const void *a, const void *b)
{
  size_t x = *(const size_t *) a, y = *(const size_t *) b;

  return x < y ? -1 : x > y;
}

int
plan_add_sentence (core_string_vector *v, char *s)
{
  if (s == NULL)
    return -1;
  if (core_string_vector_append (v, s) == -1) {
    free (s);
    return -1;
  }
  return 0;
}

static int
add_reason (struct core_plan_workload *pw, char *sentence)
{
  return plan_add_sentence (&pw->reasons, sentence);
}

/* Why an item that some types accept fits no empty host: the first
 * resource that does not fit on the largest such type. */
static char *
too_big_reason (const struct core_profile *p, const struct plan_demand *d,
                const struct core_hosts *hosts, const struct plan_host_type *types,
                const struct plan_capacity *cap, size_t ntypes, const int *mode,
                const struct core_policy *pol)
{
  for (size_t t = 0; t < ntypes; t++) {
    const struct core_overhead *o;
    const struct core_host_model *m = &hosts->models.ptr[types[t].model];
    double mem, cpu;

    if (mode[t] < 0)
      continue;
    o = mode[t] == CORE_MODE_FULL ? &pol->overhead_full : &pol->overhead_paravirt;
    mem = d->memory_mib / pol->memory_overcommit + o->memory_mib;
    cpu = d->peak[PLAN_CPU] * (1 + o->cpu_pct / 100) + o->cpu_mhz;
    if (mem > cap[t].memory_mib)
      return core_sprintf ("Its %.0f MiB of memory exceed the %.0f MiB model "
                           "%s offers after %g%% headroom.", mem,
                           cap[t].memory_mib, m->model, pol->headroom_pct);
    if (cpu > cap[t].series[PLAN_CPU])
      return core_sprintf ("Its %.0f MHz of CPU at the %gth percentile exceed "
                           "the %.0f MHz model %s offers after %g%% headroom.",
                           cpu, pol->percentile, cap[t].series[PLAN_CPU],
                           m->model, pol->headroom_pct);
    if (d->disk_gib > cap[t].disk_gib)
      return core_sprintf ("Its %.0f GiB of disk exceed the %.0f GiB model %s "
                           "offers after %g%% headroom.", d->disk_gib,
                           cap[t].disk_gib, m->model, pol->headroom_pct);
    if (d->vcpus > cap[t].vcpus)
      return core_sprintf ("Its %lld vCPUs exceed the %.0f model %s allows "
                           "(cpu_overcommit %g per core).", (long long) d->vcpus,
                           cap[t].vcpus, m->model, pol->cpu_overcommit);
    if (d->peak[PLAN_IOPS] > cap[t].series[PLAN_IOPS])
      return core_sprintf ("Its %.0f IOPS exceed the %.0f model %s offers "
                           "after %g%% headroom.", d->peak[PLAN_IOPS],
                           cap[t].series[PLAN_IOPS], m->model, pol->headroom_pct);
    if (d->peak[PLAN_NET] > cap[t].series[PLAN_NET])
      return core_sprintf ("Its %.0f Mb/s of network exceed the %.0f model %s "
                           "offers after %g%% headroom.", d->peak[PLAN_NET],
                           cap[t].series[PLAN_NET], m->model, pol->headroom_pct);
  }
  (void) p;
  return core_sprintf ("No host model has room for it after %g%% headroom.",
                       pol->headroom_pct);
}

/* The first set items A and B both belong to (their ids are ascending),
 * or -1. */
static int
shared_set (const struct plan_item *a, const struct plan_item *b)
{
  for (size_t x = 0, y = 0; x < a->nsets && y < b->nsets; )
    if (a->sets[x] == b->sets[y])
      return a->sets[x];
    else if (a->sets[x] < b->sets[y])
      x++;
    else
      y++;
  return -1;
}

/* Whether bin B has the resources left for item I (in its mode on B's
 * type, after headroom); *MEMBER is an item B carries that I must be kept
 * apart from, or -1, and *SET the set they share. */
static bool
bin_room (const struct plan_problem *pb, const struct plan_bin *b, size_t i,
          ssize_t *member, int *set)
{
  const struct plan_capacity *c = &pb->cap[b->type];
  const struct plan_item *it = &pb->items[i];
  const double eps = 1e-9;

  *member = -1;
  *set = -1;
  for (size_t q = 0; q < b->nitems && *member < 0; q++) {
    int g = shared_set (it, &pb->items[b->items[q]]);
    if (g >= 0) {
      *member = (ssize_t) b->items[q];
      *set = g;
    }
  }
  if (it->mode[b->type] < 0
      || b->memory_mib + plan_item_memory (pb, i, b->type) > c->memory_mib * (1 + eps) + eps
      || b->disk_gib + it->d->disk_gib > c->disk_gib * (1 + eps) + eps
      || b->vcpus + it->d->vcpus > c->vcpus + eps)
    return false;
  for (int r = 0; r < PLAN_NSERIES; r++)
    for (size_t s = 0; s < pb->slots; s++)
      if (b->series[r][s] + plan_item_series (pb, i, b->type, r, s)
          > c->series[r] * (1 + eps) + eps)
        return false;
  return true;
}

/* A host's summed CPU demand for the plan file: at most PLAN_SERIES_POINTS
 * points over the day, each the largest of the grid slots it covers so
 * that no peak is hidden. */
#define PLAN_SERIES_POINTS 96

int
plan_downsample_series (const struct plan_grid *grid, const double *slots,
                        struct core_plan_series *out)
{
  size_t per = (grid->slots + PLAN_SERIES_POINTS - 1) / PLAN_SERIES_POINTS;

  if (per == 0)
    return 0;
  out->interval_s = grid->interval_s * (int64_t) per;
  if (out->interval_s > 86400)
    out->interval_s = 86400;
  for (size_t s = 0; s < grid->slots; s += per) {
    double m = 0;
    for (size_t k = s; k < s + per && k < grid->slots; k++)
      m = fmax (m, slots[k]);
    if (core_double_vector_append (&out->cpu_mhz, round (m * 10) / 10) == -1)
      return -1;
  }
  return 0;
}

/* What the physical server is, for reports and runbooks. */
static int
fill_server (struct core_plan_server *s, const struct core_profile *p)
{
  const struct core_hardware *hw = &p->hardware;
  double bytes = 0;

  core_plan_server_init (s);
  s->given = true;
  if (hw->vendor || hw->product) {
    s->machine = core_sprintf ("%s%s%s", hw->vendor ? hw->vendor : "",
                               hw->vendor && hw->product ? " " : "",
                               hw->product ? hw->product : "");
    if (s->machine == NULL)
      return -1;
  }
  s->cores = hw->cpu.cores;
  s->mhz = hw->cpu.mhz;
  s->memory_mib = hw->memory_mib;
  s->virt = hw->cpu.virt;
  s->firmware = hw->firmware;
  for (size_t i = 0; i < hw->disks.len; i++) {
    char *n = core_strdup (hw->disks.ptr[i].name);
    if (n == NULL || core_string_vector_append (&s->disks, n) == -1) {
      free (n);
      return -1;
    }
    if (hw->disks.ptr[i].size_bytes != CORE_UNSET)
      bytes += hw->disks.ptr[i].size_bytes;
  }
  if (hw->disks.len)
    s->disk_gib = round (bytes / (1024.0 * 1024 * 1024) * 10) / 10;
  bytes = 0;
  for (size_t i = 0; i < hw->filesystems.len; i++)
    if (hw->filesystems.ptr[i].used_bytes != CORE_UNSET)
      bytes += hw->filesystems.ptr[i].used_bytes;
  if (hw->filesystems.len)
    s->used_gib = round (bytes / (1024.0 * 1024 * 1024) * 10) / 10;
  if ((p->os.name && !(s->os = core_strdup (p->os.name)))
      || (!p->os.name && p->os.id && !(s->os = core_strdup (p->os.id)))
      || (p->role && !(s->role = core_strdup (p->role)))
      || (p->group && !(s->group = core_strdup (p->group))))
    return -1;
  s->family = p->os.family;
  for (size_t i = 0; i < p->services.len; i++) {
    const struct core_service *sv = &p->services.ptr[i];
    char label[64];
    const char *name = sv->name;
    bool seen = false;
    /* A listening port whose program the inventory could not see (not
     * root) has no name: its port stands for it. */
    if (name == NULL) {
      snprintf (label, sizeof label, "%s/%lld", core_proto_names[sv->proto],
                (long long) sv->port);
      name = label;
    }
    for (size_t j = 0; j < s->services.len && !seen; j++)
      seen = strcmp (s->services.ptr[j], name) == 0;
    if (seen)
      continue;
    char *n = core_strdup (name);
    if (n == NULL || core_string_vector_append (&s->services, n) == -1) {
      free (n);
      return -1;
    }
  }
  s->watts = hw->watts;
  return 0;
}

/* NAMES (profile indices) as "a", "a and b", "a, b and c", at most four
 * named. */
static void
name_list (FILE *fp, const core_profile_vector *profiles, const size_t *names,
           size_t n)
{
  for (size_t k = 0; k < n; k++) {
    if (k == 4) {
      fprintf (fp, " and %zu more", n - 4);
      return;
    }
    fprintf (fp, "%s%s", k == 0 ? "" : k + 1 == n ? " and " : ", ",
             profiles->ptr[names[k]]->name);
  }
}

/* Per set of workload W: "Kept apart from B and C (anti_affinity ad)."
 * naming the members placed on other hosts. */
static int
apart_reasons (struct core_plan_workload *pw, const struct plan_sets *sets,
               const core_profile_vector *profiles, size_t w,
               const ssize_t *host_of)
{
  for (size_t k = 0; k < sets->nof[w]; k++) {
    const struct plan_set *set = &sets->sets[sets->of[w][k]];
    size_t *others = malloc (set->nmembers * sizeof *others), n = 0;
    char label[256], *text = NULL;
    size_t len;
    FILE *fp;

    if (others == NULL) {
      core_error ("out of memory");
      return -1;
    }
    for (size_t m = 0; m < set->nmembers; m++) {
      size_t v = set->members[m];
      if (v != w && host_of[v] >= 0 && host_of[v] != host_of[w])
        others[n++] = v;
    }
    if (n == 0) {
      free (others);
      continue;
    }
    plan_set_label (set, label, sizeof label);
    fp = open_memstream (&text, &len);
    if (fp == NULL) {
      free (others);
      core_error_errno ("open_memstream");
      return -1;
    }
    fputs ("Kept apart from ", fp);
    name_list (fp, profiles, others, n);
    fprintf (fp, " (%s).", label);
    free (others);
    if (core_memstream_close (fp, &text) == -1)
      return -1;
    if (add_reason (pw, text) == -1)
      return -1;
  }
  return 0;
}

/* No utilization samples at all: the profile is a snapshot. */
static bool
no_samples (const struct core_profile *p)
{
  const struct core_utilization *u = &p->utilization;

  return u->cpu_pct.len == 0 && u->mem_used_mib.len == 0 && u->disk_iops.len == 0
    && u->disk_mbps.len == 0 && u->net_mbps.len == 0;
}

/* The mode workload W is forced to, or -1 for the rules' choice. */
static int
forced (const struct plan_config *cfg, size_t w)
{
  return cfg->force ? cfg->force[w] : -1;
}

void
plan_notify_progress (const struct core_notify *n, const char *stage,
                      double fraction)
{
  uint64_t done = (uint64_t) (fraction * PLAN_PROGRESS_TOTAL + 0.5);

  core_notify_progress (n, stage, done, done, PLAN_PROGRESS_TOTAL);
}

static void
notify (const struct plan_config *cfg, const char *stage, double f)
{
  plan_notify_progress (cfg->notify, stage, f);
}

/* plan_pack's stages, on the caller's notify. */
static void
pack_progress (void *opaque, const char *stage, double f)
{
  plan_notify_progress (opaque, stage, f);
}

/* What the steps of plan_run share. */
struct run {
  const struct plan_config *cfg;
  size_t nw, nmodels, ntypes;
  struct plan_host_type *types;
  struct plan_capacity *cap;     /* per type */
  struct plan_item *items;
  struct wl *wls;
  struct plan_solution sol;
  struct plan_grid grid;
  struct plan_sets sets;
  ssize_t *host_of;              /* per profile: its bin, -1 not placed */
  struct plan_problem pb;
  size_t nitems;
  size_t *bin_host;              /* host index in OUT per bin */
  bool all_costs;
};

/* Host types: each model with each hypervisor it offers that can run on
 * it, with its capacity after headroom. */
static int
host_types (struct run *run)
{
  const struct core_hosts *hosts = run->cfg->hosts;
  const struct core_policy *pol = &run->cfg->policy;

  run->types = calloc (2 * run->nmodels, sizeof *run->types);
  run->cap = calloc (2 * run->nmodels, sizeof *run->cap);
  run->wls = calloc (run->nw, sizeof *run->wls);
  run->items = calloc (run->nw, sizeof *run->items);
  if (!run->types || !run->cap || !run->wls || !run->items) {
    core_error ("out of memory");
    return -1;
  }
  for (size_t m = 0; m < run->nmodels; m++)
    run->all_costs &= hosts->models.ptr[m].cost != CORE_UNSET;
  for (size_t m = 0; m < run->nmodels; m++) {
    const struct core_host_model *hm = &hosts->models.ptr[m];
    double keep = 1 - pol->headroom_pct / 100;

    for (unsigned hv = CORE_HV_KVM; hv <= CORE_HV_XEN; hv <<= 1) {
      struct plan_capacity *c = &run->cap[run->ntypes];
      if (!(hm->hypervisors & hv))
        continue;
      if (hv == CORE_HV_KVM && hm->virt == CORE_VIRT_NONE)
        continue;
      run->types[run->ntypes] = (struct plan_host_type) { m, hv };
      c->series[PLAN_CPU] = hm->cores * hm->mhz * keep;
      c->series[PLAN_IOPS] = hm->disk_iops == CORE_UNSET ? INFINITY : hm->disk_iops * keep;
      c->series[PLAN_NET] = hm->net_mbps == CORE_UNSET ? INFINITY : hm->net_mbps * keep;
      c->memory_mib = hm->memory_mib * keep;
      c->disk_gib = hm->disk_gib == CORE_UNSET ? INFINITY : hm->disk_gib * keep;
      c->vcpus = pol->cpu_overcommit * hm->cores;
      /* Costs only mean something when every model has one; otherwise
       * every host counts one and the plan minimizes hosts. */
      c->cost = run->all_costs ? fmax (hm->cost, 1e-6) : 1;
      /* Spares come out of the model's count. */
      c->count = hm->count == CORE_UNSET ? CORE_UNSET
        : hm->count > pol->ha_spare_hosts ? hm->count - pol->ha_spare_hosts : 0;
      c->model = m;
      run->ntypes++;
    }
  }
  return 0;
}

/* Size each workload and decide its mode per host type; what no type can
 * take gets its reason, the rest become items. */
static int
decide (struct run *run)
{
  const struct plan_config *cfg = run->cfg;
  const core_profile_vector *profiles = run->cfg->profiles;
  const struct core_hosts *hosts = run->cfg->hosts;
  const struct core_policy *pol = &run->cfg->policy;

  plan_grid_choose (profiles, &run->grid);
  for (size_t w = 0; w < run->nw; w++) {
    const struct core_profile *p = profiles->ptr[w];
    struct wl *x = &run->wls[w];
    bool any = false, fits_one = false;

    notify (cfg, "sizing", (double) w / run->nw);
    x->item = -1;
    if (plan_demand_compute (p, pol, &run->grid, &x->d) == -1)
      return -1;
    plan_guest_resolve (p, &x->g);
    x->mode = malloc ((run->ntypes ? run->ntypes : 1) * sizeof *x->mode);
    x->why = calloc (run->ntypes ? run->ntypes : 1, sizeof *x->why);
    if (!x->mode || !x->why) {
      core_error ("out of memory");
      return -1;
    }
    for (size_t t = 0; t < run->ntypes; t++) {
      char why[512];
      x->mode[t] = plan_mode_on (p, &x->g, &hosts->models.ptr[run->types[t].model],
                                 run->types[t].hypervisor, pol, why, sizeof why);
      /* A forced mode keeps only the host types whose rules give it. */
      if (forced (cfg, w) >= 0 && x->mode[t] >= 0 && x->mode[t] != forced (cfg, w)) {
        snprintf (why, sizeof why, "Its mode is forced to %s, and on model "
                  "%s with %s the rules give %s.", core_mode_names[forced (cfg, w)],
                  hosts->models.ptr[run->types[t].model].model,
                  run->types[t].hypervisor == CORE_HV_KVM ? "KVM" : "Xen",
                  core_mode_names[x->mode[t]]);
        x->mode[t] = -1;
      }
      x->why[t] = core_strdup (why);
      if (x->why[t] == NULL)
        return -1;
      if (x->mode[t] >= 0) {
        const struct core_overhead *o = x->mode[t] == CORE_MODE_FULL
          ? &pol->overhead_full : &pol->overhead_paravirt;
        any = true;
        if (x->d.memory_mib / pol->memory_overcommit + o->memory_mib <= run->cap[t].memory_mib * (1 + 1e-9)
            && x->d.peak[PLAN_CPU] * (1 + o->cpu_pct / 100) + o->cpu_mhz
               <= run->cap[t].series[PLAN_CPU] * (1 + 1e-9) + 1e-9
            && x->d.disk_gib <= run->cap[t].disk_gib * (1 + 1e-9)
            && x->d.vcpus <= run->cap[t].vcpus + 1e-9
            && x->d.peak[PLAN_IOPS] <= run->cap[t].series[PLAN_IOPS] * (1 + 1e-9)
            && x->d.peak[PLAN_NET] <= run->cap[t].series[PLAN_NET] * (1 + 1e-9))
          fits_one = true;
        else
          x->mode[t] = -1;      /* it could run there, but not fit */
      }
    }
    if (forced (cfg, w) == CORE_MODE_PHYSICAL) {
      x->unplaced = core_strdup ("Its mode is forced to physical.");
      if (x->unplaced == NULL)
        return -1;
      continue;
    }
    if (!any) {
      /* No host type can run it: the reasons of the types, deduplicated. */
      size_t len = 0;
      char *r = NULL;
      if (run->ntypes == 0)
        r = core_strdup ("The host catalog offers no hypervisor that can run "
                         "on its models.");
      for (size_t t = 0; t < run->ntypes; t++) {
        bool seen = false;
        for (size_t u = 0; u < t; u++)
          seen |= strcmp (x->why[u], x->why[t]) == 0;
        if (seen)
          continue;
        char *n = core_sprintf ("%s%s%s", r ? r : "", r ? " " : "", x->why[t]);
        free (r);
        r = n;
        if (r == NULL)
          return -1;
        len++;
      }
      x->unplaced = r;
      if (x->unplaced == NULL)
        return -1;
      continue;
    }
    if (!fits_one) {
      int *saved = malloc ((run->ntypes ? run->ntypes : 1) * sizeof *saved);
      if (saved == NULL) {
        core_error ("out of memory");
        return -1;
      }
      /* Recompute which types could run it, for the sentence. */
      for (size_t t = 0; t < run->ntypes; t++) {
        char why[16];
        saved[t] = plan_mode_on (p, &x->g, &hosts->models.ptr[run->types[t].model],
                                 run->types[t].hypervisor, pol, why, sizeof why);
      }
      x->unplaced = too_big_reason (p, &x->d, hosts, run->types, run->cap, run->ntypes, saved, pol);
      free (saved);
      if (x->unplaced == NULL)
        return -1;
      continue;
    }
    /* A packable item. */
    {
      struct plan_item *it = &run->items[run->nitems];
      it->profile = w;
      it->d = &x->d;
      it->mode = x->mode;
      it->sets = run->sets.of[w];
      it->nsets = run->sets.nof[w];
      for (size_t k = 0; k < p->hardware.pci.len; k++)
        it->passthrough |= p->hardware.pci.ptr[k].passthrough;
      x->item = run->nitems++;
    }
  }
  return 0;
}

/* Pack the items, and note where each workload went. */
static int
pack (struct run *run, struct core_plan *out)
{
  const struct plan_config *cfg = run->cfg;
  const struct core_policy *pol = &run->cfg->policy;

  run->pb = (struct plan_problem) {
    .slots = run->grid.slots, .ntypes = run->ntypes, .types = run->types,
    .cap = run->cap, .nmodels = run->nmodels, .nitems = run->nitems,
    .items = run->items, .pol = pol,
    .seed = cfg->seed, .time_limit = cfg->time_limit,
  };
  {
    int64_t lb;

    if (plan_pack (&run->pb, &run->sol, pack_progress, (void *) cfg->notify) == -1)
      return -1;
    lb = run->nitems ? plan_lower_bound (&run->pb) : 0;
    out->summary.lower_bound = lb + (run->sol.nbins > 0 ? pol->ha_spare_hosts : 0);
  }

  run->host_of = malloc ((run->nw ? run->nw : 1) * sizeof *run->host_of);
  if (run->host_of == NULL) {
    core_error ("out of memory");
    return -1;
  }
  for (size_t w = 0; w < run->nw; w++)
    run->host_of[w] = run->wls[w].item >= 0 ? run->sol.bin_of[run->wls[w].item] : -1;
  return 0;
}

/* Appends host MODEL-N to OUT: its place in OUT, or NULL on error. */
static struct core_plan_host *
append_host (struct core_plan *out, const char *model, int64_t n,
             unsigned hypervisor, bool spare)
{
  struct core_plan_host h = { 0 };

  h.name = core_sprintf ("%s-%lld", model, (long long) n);
  h.model = core_strdup (model);
  h.hypervisor = hypervisor;
  h.spare = spare;
  if (h.name == NULL || h.model == NULL
      || core_plan_host_vector_append (&out->hosts, h) == -1) {
    free (h.name);
    free (h.model);
    return NULL;
  }
  return &out->hosts.ptr[out->hosts.len - 1];
}

/* Hosts: named MODEL-N in the order of the catalog, then the spares. */
static int
write_hosts (struct run *run, struct core_plan *out)
{
  const core_profile_vector *profiles = run->cfg->profiles;
  const struct core_hosts *hosts = run->cfg->hosts;
  const struct core_policy *pol = &run->cfg->policy;
  CLEANUP_FREE int64_t *serial = calloc (run->nmodels, sizeof *serial);
  CLEANUP_FREE bool *model_in_use = calloc (run->nmodels, sizeof *model_in_use);

  run->bin_host = malloc ((run->sol.nbins ? run->sol.nbins : 1) * sizeof *run->bin_host);
  if (run->bin_host == NULL || !serial || !model_in_use) {
    core_error ("out of memory");
    return -1;
  }
  for (size_t m = 0; m < run->nmodels; m++)
    for (size_t k = 0; k < run->sol.nbins; k++) {
      struct plan_bin *b = &run->sol.bins[k];
      const struct core_host_model *hm;
      struct core_plan_host *hp;
      double pk[PLAN_NSERIES] = { 0 };

      if (run->cap[b->type].model != m)
        continue;
      hm = &hosts->models.ptr[m];
      model_in_use[m] = true;
      run->bin_host[k] = out->hosts.len;
      hp = append_host (out, hm->model, ++serial[m],
                        run->types[b->type].hypervisor, false);
      if (hp == NULL)
        return -1;
      for (int r = 0; r < PLAN_NSERIES; r++)
        for (size_t s = 0; s < run->grid.slots; s++)
          pk[r] = fmax (pk[r], b->series[r][s]);
      /* Percent of the model's whole capacity (headroom included). */
      hp->peak.cpu_pct = round (1000 * pk[PLAN_CPU] / (hm->cores * hm->mhz)) / 10;
      hp->peak.memory_pct = round (1000 * b->memory_mib / hm->memory_mib) / 10;
      hp->peak.disk_pct = hm->disk_gib > 0 ? round (1000 * b->disk_gib / hm->disk_gib) / 10 : 0;
      hp->peak.iops_pct = hm->disk_iops > 0 ? round (1000 * pk[PLAN_IOPS] / hm->disk_iops) / 10 : 0;
      hp->peak.net_pct = hm->net_mbps > 0 ? round (1000 * pk[PLAN_NET] / hm->net_mbps) / 10 : 0;
      if (plan_downsample_series (&run->grid, b->series[PLAN_CPU], &hp->series) == -1)
        return -1;
      /* Workload names in input order on each host: items are numbered
       * in profile order. */
      qsort (b->items, b->nitems, sizeof *b->items, cmp_size);
      for (size_t q = 0; q < b->nitems; q++) {
        char *n = core_strdup (profiles->ptr[run->items[b->items[q]].profile]->name);
        if (n == NULL || core_string_vector_append (&hp->workloads, n) == -1) {
          free (n);
          return -1;
        }
      }
    }
  /* HA spares: per model in use, empty hosts of the same model. */
  for (size_t m = 0; m < run->nmodels; m++)
    for (int64_t s = 0; model_in_use[m] && s < pol->ha_spare_hosts; s++) {
      const struct core_host_model *hm = &hosts->models.ptr[m];
      if (append_host (out, hm->model, ++serial[m],
                       (hm->hypervisors & CORE_HV_KVM) && hm->virt != CORE_VIRT_NONE
                       ? CORE_HV_KVM : CORE_HV_XEN, true) == NULL)
        return -1;
    }
  /* The catalog entries of the models in use, for the bill of
   * materials and the hosts' capacities. */
  for (size_t m = 0; m < run->nmodels; m++) {
    struct core_host_model hm = hosts->models.ptr[m];
    if (!model_in_use[m])
      continue;
    hm.model = core_strdup (hm.model);
    if (hm.model == NULL
        || core_host_model_vector_append (&out->models, hm) == -1) {
      free (hm.model);
      return -1;
    }
  }
  return 0;
}

/* A workload that fits an empty host but was not placed: the hosts the
 * counts allow are in use.  Say which workloads it must be kept apart
 * from keep it off the hosts with room, so that the reason is the whole
 * truth. */
static int
left_out_reasons (struct run *run, struct core_plan *out)
{
  const struct plan_config *cfg = run->cfg;
  const core_profile_vector *profiles = run->cfg->profiles;
  const struct core_policy *pol = &run->cfg->policy;

  for (size_t w = 0; w < run->nw; w++) {
    struct wl *x = &run->wls[w];
    CLEANUP_FREE char *kept = NULL;
    size_t nkept = 0;
    char spares[64] = "";

    if (x->item < 0 || run->sol.bin_of[x->item] >= 0)
      continue;
    for (size_t k = 0; k < run->sol.nbins; k++) {
      ssize_t member;
      int set;
      char label[256];
      if (!bin_room (&run->pb, &run->sol.bins[k], (size_t) x->item, &member, &set)
          || member < 0)
        continue;
      plan_set_label (&run->sets.sets[set], label, sizeof label);
      char *n = core_sprintf ("%s%s%s (%s) on %s", kept ? kept : "",
                              kept ? ", " : "",
                              profiles->ptr[run->items[member].profile]->name, label,
                              out->hosts.ptr[run->bin_host[k]].name);
      free (kept);
      if ((kept = n) == NULL)
        return -1;
      nkept++;
    }
    if (pol->ha_spare_hosts > 0)
      snprintf (spares, sizeof spares, " (less %lld spare%s)",
                (long long) pol->ha_spare_hosts, cfg->sized ? "" : " per model");
    if (nkept == 0)
      x->unplaced = core_sprintf (
        "It fits an empty host, but the hosts the %s%s are all in use and "
        "none has room left for it.", cfg->sized ? "sizing's host count allows"
        : "catalog's counts allow", spares);
    else
      x->unplaced = core_sprintf (
        "It fits an empty host, but the hosts the %s%s are all in use, and "
        "every host with room left for it carries a workload it must be "
        "kept apart from: %s.",
        cfg->sized ? "sizing's host count allows" : "catalog's counts allow",
        spares, kept);
    if (x->unplaced == NULL)
      return -1;
  }
  return 0;
}

/* Workloads, in input order, with their sentences. */
static int
write_workloads (struct run *run, struct core_plan *out)
{
  const struct plan_config *cfg = run->cfg;
  const core_profile_vector *profiles = run->cfg->profiles;
  const struct core_hosts *hosts = run->cfg->hosts;
  const struct core_policy *pol = &run->cfg->policy;

  for (size_t w = 0; w < run->nw; w++) {
    const struct core_profile *p = profiles->ptr[w];
    struct wl *x = &run->wls[w];
    struct core_plan_workload pw = { 0 };
    ssize_t bin = x->item >= 0 ? run->sol.bin_of[x->item] : -1;
    size_t t = bin >= 0 ? run->sol.bins[bin].type : 0;

    pw.name = core_strdup (p->name);
    pw.vcpus = x->d.vcpus;
    pw.memory_mib = (int64_t) x->d.memory_mib;
    pw.demand.disk_gib = round (x->d.disk_gib * 10) / 10;
    pw.demand.iops = round (x->d.peak[PLAN_IOPS] * 10) / 10;
    pw.demand.net_mbps = round (x->d.peak[PLAN_NET] * 10) / 10;
    if (bin >= 0) {
      const struct core_overhead *o;
      pw.mode = x->mode[t];
      o = pw.mode == CORE_MODE_FULL ? &pol->overhead_full : &pol->overhead_paravirt;
      pw.demand.cpu_mhz = round ((x->d.peak[PLAN_CPU] * (1 + o->cpu_pct / 100) + o->cpu_mhz) * 10) / 10;
      pw.demand.memory_mib = round ((x->d.memory_mib / pol->memory_overcommit + o->memory_mib) * 10) / 10;
      pw.host = core_strdup (out->hosts.ptr[run->bin_host[bin]].name);
    }
    else {
      pw.mode = CORE_MODE_PHYSICAL;
      pw.demand.cpu_mhz = round (x->d.peak[PLAN_CPU] * 10) / 10;
      pw.demand.memory_mib = x->d.memory_mib;
    }
    for (size_t k = 0; k < p->hardware.pci.len; k++) {
      const struct core_pci *dev = &p->hardware.pci.ptr[k];
      if (!dev->passthrough)
        continue;
      char *s = core_sprintf ("%s%s%s", dev->address ? dev->address : "",
                              dev->address && dev->name ? " " : "",
                              dev->name ? dev->name : "");
      if (s == NULL || core_string_vector_append (&pw.passthrough, s) == -1) {
        free (s);
        goto fail_pw;
      }
    }
    if (core_plan_workload_vector_append (&out->workloads, pw) == -1)
      goto fail_pw;
    struct core_plan_workload *pwp = &out->workloads.ptr[out->workloads.len - 1];
    if (fill_server (&pwp->server, p) == -1)
      return -1;
    /* A snapshot (inventory --samples 0, or stopped before its first
     * sample) plans on what the server has, and says so. */
    if (no_samples (p)
        && add_reason (pwp, core_sprintf (
             "Its profile has no utilization samples (a snapshot): it is sized "
             "on what the server has, all %lld cores busy (%.0f MHz, %lld "
             "vCPU%s) and all its %lld MiB of memory; its IOPS and network "
             "are unknown and count as none.  Profile it with samples for a "
             "smaller VM.", (long long) p->hardware.cpu.cores, x->d.cpu_sized_mhz,
             (long long) x->d.vcpus, x->d.vcpus == 1 ? "" : "s",
             (long long) p->hardware.memory_mib)) == -1)
      return -1;

    if (bin >= 0) {
      const struct core_host_model *hm = &hosts->models.ptr[run->types[t].model];
      if (add_reason (pwp, core_strdup (x->why[t])) == -1
          || (forced (cfg, w) >= 0
              && add_reason (pwp, core_sprintf ("Its mode was forced to %s.",
                                                core_mode_names[pw.mode])) == -1)
          || (!no_samples (p) && add_reason (pwp, core_sprintf (
               "Sized on the %gth percentile of its utilization: %.0f MHz of "
               "CPU (the server has %.0f) gives %lld vCPU%s; %.0f MiB of used "
               "memory plus %g%% headroom gives %lld MiB (the server has %lld).",
               pol->percentile, x->d.cpu_sized_mhz,
               p->hardware.cpu.cores * p->hardware.cpu.mhz,
               (long long) x->d.vcpus, x->d.vcpus == 1 ? "" : "s",
               x->d.mem_sized_mib, pol->headroom_pct, (long long) pwp->memory_mib,
               (long long) p->hardware.memory_mib)) == -1)
          || add_reason (pwp, core_sprintf ("Placed on %s (model %s, %s).",
                                            pwp->host, hm->model,
                                            run->types[t].hypervisor == CORE_HV_KVM ? "KVM" : "Xen")) == -1)
        return -1;
      if (pwp->passthrough.len
          && add_reason (pwp, core_sprintf ("Its %s %s passed through to the "
                                            "VM (model %s has an IOMMU).",
                                            pwp->passthrough.ptr[0],
                                            pwp->passthrough.len > 1 ? "and others are" : "is",
                                            hm->model)) == -1)
        return -1;
      if (apart_reasons (pwp, &run->sets, profiles, w, run->host_of) == -1)
        return -1;
    }
    else {
      struct core_plan_unplaced u;
      if (add_reason (pwp, core_sprintf ("Stays physical: %s", x->unplaced)) == -1)
        return -1;
      u.name = core_strdup (p->name);
      u.reason = core_strdup (x->unplaced);
      if (!u.name || !u.reason || core_plan_unplaced_vector_append (&out->unplaced, u) == -1) {
        free (u.name);
        free (u.reason);
        return -1;
      }
    }
    continue;
  fail_pw:
    free (pw.name);
    free (pw.host);
    core_string_vector_free (&pw.passthrough);
    return -1;
  }
  return 0;
}

/* The summary: counts, cost, and power before and after. */
static int
write_summary (struct run *run, struct core_plan *out)
{
  const core_profile_vector *profiles = run->cfg->profiles;
  const struct core_hosts *hosts = run->cfg->hosts;
  bool watts_known = true, host_watts_known = true;
  double before = 0, after = 0, cost = 0;

  out->summary.workloads = run->nw;
  out->summary.unplaced = out->unplaced.len;
  out->summary.placed = run->nw - out->unplaced.len;
  out->summary.hosts_used = out->hosts.len;
  for (size_t w = 0; w < run->nw; w++) {
    double watts = profiles->ptr[w]->hardware.watts;
    if (watts == CORE_UNSET)
      watts_known = false;
    else {
      before += watts;
      if (out->workloads.ptr[w].host == NULL)
        after += watts;       /* still running on its own hardware */
    }
  }
  for (size_t h = 0; h < out->hosts.len; h++)
    for (size_t m = 0; m < run->nmodels; m++)
      if (strcmp (hosts->models.ptr[m].model, out->hosts.ptr[h].model) == 0) {
        if (hosts->models.ptr[m].watts == CORE_UNSET)
          host_watts_known = false;
        else
          after += hosts->models.ptr[m].watts;
        cost += hosts->models.ptr[m].cost;
      }
  out->summary.cost = run->all_costs ? cost : CORE_UNSET;
  out->summary.watts_before = watts_known ? before : CORE_UNSET;
  out->summary.watts_after = watts_known && host_watts_known ? after : CORE_UNSET;
  return 0;
}

int
plan_run (const struct plan_config *cfg, struct core_plan *out)
{
  const core_profile_vector *profiles = cfg->profiles;
  const struct core_policy *pol = &cfg->policy;
  struct run run = { .cfg = cfg, .nw = profiles->len,
                   .nmodels = cfg->hosts->models.len, .all_costs = true };
  int ret = -1;

  core_plan_init (out);
  out->policy = *pol;
  if (run.nw == 0) {
    core_error ("no workloads to plan");
    return -1;
  }
  if (run.nmodels == 0) {
    core_error ("the host catalog lists no host model");
    return -1;
  }
  if (cfg->notify) {
    char *msg;
    if (plan_group_warning (profiles, &msg) == -1)
      return -1;
    if (msg)
      core_notice (cfg->notify, CORE_NOTICE_WARNING, "%s", msg);
    free (msg);
  }
  if (plan_sets_build (profiles, pol, &run.sets) == -1)
    return -1;
  if (host_types (&run) == -1 || decide (&run) == -1 || pack (&run, out) == -1
      || write_hosts (&run, out) == -1 || left_out_reasons (&run, out) == -1
      || write_workloads (&run, out) == -1 || write_summary (&run, out) == -1)
    goto out;
  ret = 0;

 out:
  if (ret == -1)
    core_plan_clear (out);
  plan_solution_clear (&run.sol);
  if (run.wls)
    for (size_t w = 0; w < run.nw; w++)
      wl_clear (&run.wls[w], run.ntypes);
  free (run.wls);
  free (run.items);
  free (run.types);
  free (run.cap);
  free (run.bin_host);
  plan_sets_clear (&run.sets);
  free (run.host_of);
  return ret;
}
