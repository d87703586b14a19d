/* An independent check of a plan: from the profiles and the host
 * catalog, re-derive what every host carries, slot by slot, with the
 * plan's own policy, and list every broken constraint.  It shares only
 * the sizing (demand.c) and the mode rules (mode.c) with the planner,
 * never its packing code, so a packing bug cannot hide from it.
 */
#include <math.h>
#include <string.h>

#include "planner/planner.h"

struct report {
  char *text;
  size_t len;
  FILE *fp;
  int count;
};

static void __attribute__((format(printf, 2, 3)))
violation (struct report *r, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vfprintf (r->fp, fmt, ap);
  va_end (ap);
  fputc ('\n', r->fp);
  r->count++;
}

const struct core_profile *
plan_find_profile (const core_profile_vector *v, const char *name)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i]->name, name) == 0)
      return v->ptr[i];
  return NULL;
}

const struct core_plan_workload *
plan_find_workload (const struct core_plan *plan, const char *name)
{
  for (size_t i = 0; i < plan->workloads.len; i++)
    if (strcmp (plan->workloads.ptr[i].name, name) == 0)
      return &plan->workloads.ptr[i];
  return NULL;
}

/* P's index in V (P is one of V's profiles). */
static size_t
profile_index (const core_profile_vector *v, const struct core_profile *p)
{
  for (size_t i = 0; i < v->len; i++)
    if (v->ptr[i] == p)
      return i;
  return 0;
}

/* Capacity after headroom, with slack for the rounding of sums. */
static bool
over (double load, double capacity)
{
  return load > capacity * (1 + 1e-9) + 1e-6;
}

/* What the check derived for one host of the plan. */
struct host_load {
  const struct core_host_model *hm;   /* NULL: not in the catalog */
  double *load[PLAN_NSERIES];         /* per slot, overheads included */
  double mem, disk, vcpus;
};

/* Whether demand D in MODE fits on top of loads L (NULL: an empty host)
 * of model HM after headroom. */
static bool
room_for (const struct plan_demand *d, int mode, const struct host_load *l,
          const struct core_host_model *hm, const struct core_policy *pol,
          const struct plan_grid *grid)
{
  const struct core_overhead *o = mode == CORE_MODE_FULL
    ? &pol->overhead_full : &pol->overhead_paravirt;
  double keep = 1 - pol->headroom_pct / 100;

  if (over ((l ? l->mem : 0) + d->memory_mib / pol->memory_overcommit + o->memory_mib,
            hm->memory_mib * keep)
      || (hm->disk_gib != CORE_UNSET && over ((l ? l->disk : 0) + d->disk_gib, hm->disk_gib * keep))
      || over ((l ? l->vcpus : 0) + d->vcpus, pol->cpu_overcommit * hm->cores))
    return false;
  for (size_t s = 0; s < grid->slots; s++) {
    if (over ((l ? l->load[PLAN_CPU][s] : 0)
              + d->series[PLAN_CPU][s] * (1 + o->cpu_pct / 100) + o->cpu_mhz,
              hm->cores * hm->mhz * keep)
        || (hm->disk_iops != CORE_UNSET
            && over ((l ? l->load[PLAN_IOPS][s] : 0) + d->series[PLAN_IOPS][s],
                     hm->disk_iops * keep))
        || (hm->net_mbps != CORE_UNSET
            && over ((l ? l->load[PLAN_NET][s] : 0) + d->series[PLAN_NET][s],
                     hm->net_mbps * keep)))
      return false;
  }
  return true;
}

/* A workload the plan leaves physical must have no place to go: no host
 * of the plan with room for it (in the mode the rules give there, and
 * carrying nothing it must be kept apart from), and no model whose count allows one
 * more host that it fits empty.  Otherwise the reason the plan gives
 * for leaving it physical is false.  A mode forced by hand is taken at
 * its word. */
static int
check_unplaced (const struct core_plan *plan, const core_profile_vector *profiles,
                const struct core_hosts *hosts, const struct plan_grid *grid,
                const struct host_load *hl, const struct plan_sets *sets,
                struct report *r)
{
  const struct core_policy *pol = &plan->policy;

  for (size_t u = 0; u < plan->unplaced.len; u++) {
    const struct core_plan_unplaced *up = &plan->unplaced.ptr[u];
    const struct core_profile *p = plan_find_profile (profiles, up->name);
    struct plan_demand d;
    struct plan_guest g;
    bool found = false;

    if (p == NULL || (up->reason && strstr (up->reason, "forced to")))
      continue;
    plan_guest_resolve (p, &g);
    if (plan_demand_compute (p, pol, grid, &d) == -1)
      return -1;
    for (size_t h = 0; h < plan->hosts.len && !found; h++) {
      const struct core_plan_host *ph = &plan->hosts.ptr[h];
      const char *clash = NULL;
      char why[512];
      int mode;

      if (ph->spare || hl[h].hm == NULL)
        continue;
      mode = plan_mode_on (p, &g, hl[h].hm, ph->hypervisor, pol, why, sizeof why);
      if (mode < 0 || !room_for (&d, mode, &hl[h], hl[h].hm, pol, grid))
        continue;
      for (size_t q = 0; q < ph->workloads.len && !clash; q++) {
        const struct core_profile *p2 = plan_find_profile (profiles, ph->workloads.ptr[q]);
        if (p2 && plan_sets_shared (sets, profile_index (profiles, p),
                                    profile_index (profiles, p2)) >= 0)
          clash = p2->name;
      }
      if (clash)
        continue;
      violation (r, "workload %s: stays physical (\"%s\"), but host %s has "
                 "room for it", p->name, up->reason ? up->reason : "", ph->name);
      found = true;
    }
    for (size_t m = 0; m < hosts->models.len && !found; m++) {
      const struct core_host_model *hm = &hosts->models.ptr[m];
      int64_t used = 0;

      for (size_t h = 0; h < plan->hosts.len; h++)
        used += !plan->hosts.ptr[h].spare && strcmp (plan->hosts.ptr[h].model, hm->model) == 0;
      if (hm->count != CORE_UNSET && used + pol->ha_spare_hosts >= hm->count)
        continue;               /* the count is used up */
      for (unsigned hv = CORE_HV_KVM; hv <= CORE_HV_XEN && !found; hv <<= 1) {
        char why[512];
        int mode;
        if (!(hm->hypervisors & hv) || (hv == CORE_HV_KVM && hm->virt == CORE_VIRT_NONE))
          continue;
        mode = plan_mode_on (p, &g, hm, hv, pol, why, sizeof why);
        if (mode < 0 || !room_for (&d, mode, NULL, hm, pol, grid))
          continue;
        char allows[64] = "any number";
        if (hm->count != CORE_UNSET)
          snprintf (allows, sizeof allows, "%lld less %lld spare",
                    (long long) hm->count, (long long) pol->ha_spare_hosts);
        violation (r, "workload %s: stays physical (\"%s\"), but one more "
                   "host of model %s would take it (%lld in use, the catalog "
                   "allows %s)", p->name, up->reason ? up->reason : "", hm->model,
                   (long long) used, allows);
        found = true;
      }
    }
    plan_demand_clear (&d);
  }
  return 0;
}

int
plan_check (const struct core_plan *plan, const core_profile_vector *profiles,
            const struct core_hosts *hosts, char **report)
{
  const struct core_policy *pol = &plan->policy;
  struct report r = { 0 };
  struct plan_sets sets = { 0 };
  struct plan_grid grid;
  double keep = 1 - pol->headroom_pct / 100;
  struct host_load *hl = NULL;
  int ret = -1;

  *report = NULL;
  if (plan_sets_build (profiles, pol, &sets) == -1)
    return -1;
  r.fp = open_memstream (&r.text, &r.len);
  if (r.fp == NULL) {
    plan_sets_clear (&sets);
    core_error_errno ("open_memstream");
    return -1;
  }
  plan_grid_choose (profiles, &grid);
  hl = calloc (plan->hosts.len ? plan->hosts.len : 1, sizeof *hl);
  if (hl == NULL) {
    core_error ("out of memory");
    goto fail;
  }

  /* Every profile is in the plan once, and nothing else is. */
  for (size_t i = 0; i < profiles->len; i++)
    if (plan_find_workload (plan, profiles->ptr[i]->name) == NULL)
      violation (&r, "workload %s: in the profiles but not in the plan",
                 profiles->ptr[i]->name);
  for (size_t i = 0; i < plan->workloads.len; i++) {
    const struct core_plan_workload *w = &plan->workloads.ptr[i];
    if (plan_find_profile (profiles, w->name) == NULL)
      violation (&r, "workload %s: in the plan but not in the profiles", w->name);
    if ((w->host == NULL) != (w->mode == CORE_MODE_PHYSICAL))
      violation (&r, "workload %s: mode %s but %s", w->name,
                 core_mode_names[w->mode], w->host ? "placed on a host" : "not placed");
  }

  /* Per model: hosts used, spares. */
  for (size_t m = 0; m < hosts->models.len; m++) {
    const struct core_host_model *hm = &hosts->models.ptr[m];
    int64_t used = 0, spares = 0;
    for (size_t h = 0; h < plan->hosts.len; h++)
      if (strcmp (plan->hosts.ptr[h].model, hm->model) == 0) {
        used++;
        spares += plan->hosts.ptr[h].spare;
      }
    if (hm->count != CORE_UNSET && used > hm->count)
      violation (&r, "model %s: %lld hosts planned, the catalog allows %lld",
                 hm->model, (long long) used, (long long) hm->count);
    if (used > 0 && spares < pol->ha_spare_hosts)
      violation (&r, "model %s: %lld spare hosts, the policy wants %lld",
                 hm->model, (long long) spares, (long long) pol->ha_spare_hosts);
  }

  for (size_t h = 0; h < plan->hosts.len; h++) {
    const struct core_plan_host *ph = &plan->hosts.ptr[h];
    const struct core_host_model *hm = core_find_host_model (&hosts->models, ph->model);
    double *load[PLAN_NSERIES] = { NULL };
    double mem = 0, disk = 0, vcpus = 0, peak[PLAN_NSERIES] = { 0 };

    if (hm == NULL) {
      violation (&r, "host %s: model %s is not in the catalog", ph->name, ph->model);
      continue;
    }
    if (!(hm->hypervisors & ph->hypervisor))
      violation (&r, "host %s: model %s does not offer %s", ph->name, hm->model,
                 ph->hypervisor == CORE_HV_KVM ? "kvm" : "xen");
    if (ph->hypervisor == CORE_HV_KVM && hm->virt == CORE_VIRT_NONE)
      violation (&r, "host %s: KVM on model %s, which has no hardware "
                 "virtualization", ph->name, hm->model);
    if (ph->spare && ph->workloads.len)
      violation (&r, "host %s: a spare host carries workloads", ph->name);

    for (int k = 0; k < PLAN_NSERIES; k++) {
      load[k] = hl[h].load[k] = calloc (grid.slots, sizeof (double));
      if (load[k] == NULL) {
        core_error ("out of memory");
        goto fail;
      }
    }
    hl[h].hm = hm;
    for (size_t q = 0; q < ph->workloads.len; q++) {
      const char *name = ph->workloads.ptr[q];
      const struct core_plan_workload *w = plan_find_workload (plan, name);
      const struct core_profile *p = plan_find_profile (profiles, name);
      const struct core_overhead *o;
      struct plan_demand d;
      struct plan_guest g;
      char why[512];
      int mode;

      if (w == NULL || p == NULL) {
        violation (&r, "host %s: carries %s, which is not a workload of the "
                   "plan and the profiles", ph->name, name);
        continue;
      }
      if (w->host == NULL || strcmp (w->host, ph->name) != 0)
        violation (&r, "host %s: carries %s, whose host is %s", ph->name, name,
                   w->host ? w->host : "none");
      /* The mode must be the one the rules give for this host. */
      plan_guest_resolve (p, &g);
      mode = plan_mode_on (p, &g, hm, ph->hypervisor, pol, why, sizeof why);
      if (mode < 0)
        violation (&r, "workload %s: cannot run on host %s: %s", name, ph->name, why);
      else if (mode != (int) w->mode)
        violation (&r, "workload %s: mode %s on host %s, the rules give %s",
                   name, core_mode_names[w->mode], ph->name, core_mode_names[mode]);
      /* Anti-affinity: names and, when the plan's policy says so,
       * redundant roles. */
      for (size_t q2 = q + 1; sets.nof[profile_index (profiles, p)] && q2 < ph->workloads.len; q2++) {
        const struct core_profile *p2 = plan_find_profile (profiles, ph->workloads.ptr[q2]);
        int g = p2 ? plan_sets_shared (&sets, profile_index (profiles, p),
                                       profile_index (profiles, p2)) : -1;
        if (g >= 0) {
          char label[256];
          plan_set_label (&sets.sets[g], label, sizeof label);
          violation (&r, "host %s: %s and %s must run on different hosts (%s)",
                     ph->name, name, p2->name, label);
        }
      }
      if (plan_demand_compute (p, pol, &grid, &d) == -1)
        goto fail;
      o = w->mode == CORE_MODE_FULL ? &pol->overhead_full : &pol->overhead_paravirt;
      for (size_t s = 0; s < grid.slots; s++) {
        load[PLAN_CPU][s] += d.series[PLAN_CPU][s] * (1 + o->cpu_pct / 100) + o->cpu_mhz;
        load[PLAN_IOPS][s] += d.series[PLAN_IOPS][s];
        load[PLAN_NET][s] += d.series[PLAN_NET][s];
      }
      mem += d.memory_mib / pol->memory_overcommit + o->memory_mib;
      disk += d.disk_gib;
      vcpus += d.vcpus;
      if (w->vcpus != d.vcpus || w->memory_mib != (int64_t) d.memory_mib)
        violation (&r, "workload %s: sized %lld vCPUs and %lld MiB in the plan, "
                   "%lld and %.0f from its profile", name, (long long) w->vcpus,
                   (long long) w->memory_mib, (long long) d.vcpus, d.memory_mib);
      plan_demand_clear (&d);
    }
    for (size_t s = 0; s < grid.slots; s++)
      for (int k = 0; k < PLAN_NSERIES; k++)
        peak[k] = fmax (peak[k], load[k][s]);
    if (over (peak[PLAN_CPU], hm->cores * hm->mhz * keep))
      violation (&r, "host %s: CPU demand peaks at %.1f MHz, above the %.1f MHz "
                 "left after headroom", ph->name, peak[PLAN_CPU],
                 hm->cores * hm->mhz * keep);
    if (over (mem, hm->memory_mib * keep))
      violation (&r, "host %s: %.1f MiB of memory reserved, above the %.1f MiB "
                 "left after headroom", ph->name, mem, hm->memory_mib * keep);
    if (hm->disk_gib != CORE_UNSET && over (disk, hm->disk_gib * keep))
      violation (&r, "host %s: %.1f GiB of disk, above the %.1f GiB left after "
                 "headroom", ph->name, disk, hm->disk_gib * keep);
    if (hm->disk_iops != CORE_UNSET && over (peak[PLAN_IOPS], hm->disk_iops * keep))
      violation (&r, "host %s: IOPS peak at %.1f, above the %.1f left after "
                 "headroom", ph->name, peak[PLAN_IOPS], hm->disk_iops * keep);
    if (hm->net_mbps != CORE_UNSET && over (peak[PLAN_NET], hm->net_mbps * keep))
      violation (&r, "host %s: network peaks at %.1f Mb/s, above the %.1f left "
                 "after headroom", ph->name, peak[PLAN_NET], hm->net_mbps * keep);
    if (over (vcpus, pol->cpu_overcommit * hm->cores))
      violation (&r, "host %s: %.0f vCPUs, above %g per core x %lld cores",
                 ph->name, vcpus, pol->cpu_overcommit, (long long) hm->cores);
    /* The peaks the plan states must be what the workloads add up to. */
    if (fabs (ph->peak.cpu_pct - 100 * peak[PLAN_CPU] / (hm->cores * hm->mhz)) > 0.11)
      violation (&r, "host %s: the plan says CPU peaks at %g%%, the workloads "
                 "add up to %.1f%%", ph->name, ph->peak.cpu_pct,
                 100 * peak[PLAN_CPU] / (hm->cores * hm->mhz));
    if (fabs (ph->peak.memory_pct - 100 * mem / hm->memory_mib) > 0.11)
      violation (&r, "host %s: the plan says memory at %g%%, the workloads add "
                 "up to %.1f%%", ph->name, ph->peak.memory_pct,
                 100 * mem / hm->memory_mib);
    hl[h].mem = mem;
    hl[h].disk = disk;
    hl[h].vcpus = vcpus;
  }

  if (check_unplaced (plan, profiles, hosts, &grid, hl, &sets, &r) == -1)
    goto fail;

  /* A sized plan: what to buy covers what is needed, and its hosts are
   * of that spec. */
  if (plan->sizing.given) {
    const struct core_plan_sizing *sz = &plan->sizing;
    const struct core_host_model *hm = core_find_host_model (&hosts->models, "sized");
    const struct { const char *name; const struct core_size_dim *d; } dims[] = {
      { "cores", &sz->cores }, { "memory_gib", &sz->memory_gib },
      { "disk_gb", &sz->disk_gb }, { "disk_iops", &sz->disk_iops },
      { "net_mbps", &sz->net_mbps }, { "nic_ports", &sz->nic_ports },
    };
    for (size_t k = 0; k < sizeof dims / sizeof *dims; k++)
      if (dims[k].d->spec + 1e-9 < dims[k].d->need)
        violation (&r, "sizing: %s to buy (%g) is less than needed (%g)",
                   dims[k].name, dims[k].d->spec, dims[k].d->need);
    if (hm && plan->hosts.len) {
      if (hm->cores != (int64_t) sz->cores.spec)
        violation (&r, "sizing: %g cores, but model sized has %lld",
                   sz->cores.spec, (long long) hm->cores);
      if (hm->memory_mib != (int64_t) (sz->memory_gib.spec * 1024) && sz->memory_gib.spec > 0)
        violation (&r, "sizing: %g GiB of memory, but model sized has %lld MiB",
                   sz->memory_gib.spec, (long long) hm->memory_mib);
      if (hm->mhz != sz->core_mhz)
        violation (&r, "sizing: cores at %g MHz, but model sized has %g",
                   sz->core_mhz, hm->mhz);
      if (sz->iommu.len && !hm->iommu)
        violation (&r, "sizing: an IOMMU is required, but model sized has none");
    }
  }

  ret = 0;
 fail:
  if (hl)
    for (size_t h = 0; h < plan->hosts.len; h++)
      for (int k = 0; k < PLAN_NSERIES; k++)
        free (hl[h].load[k]);
  free (hl);
  plan_sets_clear (&sets);
  if (fclose (r.fp) != 0 && ret == 0) {
    core_error_errno ("plan check report");
    ret = -1;
  }
  if (ret == -1) {
    free (r.text);
    return -1;
  }
  *report = r.text;
  return r.count > 0;
}
