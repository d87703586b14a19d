/* Moving one workload of a plan to another host by hand (the wizard's
 * "move"): the mode follows the rules of the new host, both hosts' peaks
 * and series are recomputed from the profiles, and plan_check, the same
 * check `p2vkit plan --check` runs, decides whether the move stands.
 */
#include <math.h>
#include <string.h>

#include "planner/planner.h"

static ssize_t
find_host (const struct core_plan *plan, const char *name)
{
  for (size_t i = 0; i < plan->hosts.len; i++)
    if (strcmp (plan->hosts.ptr[i].name, name) == 0)
      return i;
  return -1;
}

/* Where NAME is in the profiles' order (for keeping lists in it). */
static ssize_t
profile_index (const core_profile_vector *v, const char *name)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i]->name, name) == 0)
      return i;
  return -1;
}

/* The peaks and series of host H, from what it carries now, the way
 * plan_run states them. */
static int
refresh_host (struct core_plan *plan, const core_profile_vector *profiles,
              const struct core_hosts *hosts, const struct plan_grid *grid,
              struct core_plan_host *h)
{
  const struct core_policy *pol = &plan->policy;
  const struct core_host_model *hm = core_find_host_model (&hosts->models, h->model);
  double *load[PLAN_NSERIES] = { NULL };
  double mem = 0, disk = 0, pk[PLAN_NSERIES] = { 0 };
  int ret = -1;

  if (hm == NULL) {
    core_error ("host %s: model %s is not in the catalog", h->name, h->model);
    return -1;
  }
  for (int r = 0; r < PLAN_NSERIES; r++)
    if ((load[r] = calloc (grid->slots, sizeof (double))) == NULL) {
      core_error ("out of memory");
      goto out;
    }
  for (size_t q = 0; q < h->workloads.len; q++) {
    const struct core_profile *p = plan_find_profile (profiles, h->workloads.ptr[q]);
    const struct core_plan_workload *pw = plan_find_workload (plan, h->workloads.ptr[q]);
    const struct core_overhead *o;
    struct plan_demand d;

    if (p == NULL || pw == NULL) {
      core_error ("host %s: carries %s, which has no profile", h->name,
                  h->workloads.ptr[q]);
      goto out;
    }
    if (plan_demand_compute (p, pol, grid, &d) == -1)
      goto out;
    o = pw->mode == CORE_MODE_FULL
      ? &pol->overhead_full : &pol->overhead_paravirt;
    for (size_t s = 0; s < grid->slots; s++) {
      load[PLAN_CPU][s] += d.series[PLAN_CPU][s] * (1 + o->cpu_pct / 100) + o->cpu_mhz;
      load[PLAN_IOPS][s] += d.series[PLAN_IOPS][s];
      load[PLAN_NET][s] += d.series[PLAN_NET][s];
    }
    mem += d.memory_mib / pol->memory_overcommit + o->memory_mib;
    disk += d.disk_gib;
    plan_demand_clear (&d);
  }
  for (int r = 0; r < PLAN_NSERIES; r++)
    for (size_t s = 0; s < grid->slots; s++)
      pk[r] = fmax (pk[r], load[r][s]);
  h->peak.cpu_pct = round (1000 * pk[PLAN_CPU] / (hm->cores * hm->mhz)) / 10;
  h->peak.memory_pct = round (1000 * mem / hm->memory_mib) / 10;
  h->peak.disk_pct = hm->disk_gib > 0 ? round (1000 * disk / hm->disk_gib) / 10 : 0;
  h->peak.iops_pct = hm->disk_iops > 0 ? round (1000 * pk[PLAN_IOPS] / hm->disk_iops) / 10 : 0;
  h->peak.net_pct = hm->net_mbps > 0 ? round (1000 * pk[PLAN_NET] / hm->net_mbps) / 10 : 0;
  if (h->series.cpu_mhz.len) {
    core_double_vector_reset (&h->series.cpu_mhz);
    if (plan_downsample_series (grid, load[PLAN_CPU], &h->series) == -1)
      goto out;
  }
  ret = 0;
 out:
  for (int r = 0; r < PLAN_NSERIES; r++)
    free (load[r]);
  return ret;
}

/* Put NAME into V keeping the profiles' order, as plan_run lists them. */
static int
insert_in_order (core_string_vector *v, const char *name,
                 const core_profile_vector *profiles)
{
  ssize_t me = profile_index (profiles, name);
  size_t at = v->len;
  char *s = core_strdup (name);

  if (s == NULL || core_string_vector_reserve (v, 1) == -1) {
    free (s);
    return -1;
  }
  for (size_t i = 0; i < v->len; i++)
    if (profile_index (profiles, v->ptr[i]) > me) {
      at = i;
      break;
    }
  memmove (&v->ptr[at + 1], &v->ptr[at], (v->len - at) * sizeof *v->ptr);
  v->ptr[at] = s;
  v->len++;
  return 0;
}

static void
remove_name (core_string_vector *v, const char *name)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i], name) == 0) {
      free (v->ptr[i]);
      memmove (&v->ptr[i], &v->ptr[i + 1], (v->len - i - 1) * sizeof *v->ptr);
      v->len--;
      return;
    }
}

/* Move workload WI from host FROM to host TO with MODE; demand follows
 * the mode's overhead.  Used both ways (to move and to undo). */
static int
relocate (struct core_plan *plan, const core_profile_vector *profiles,
          const struct core_hosts *hosts, const struct plan_grid *grid,
          size_t wi, size_t from, size_t to, int mode)
{
  struct core_plan_workload *w = &plan->workloads.ptr[wi];
  const struct core_policy *pol = &plan->policy;
  const struct core_overhead *o_old = w->mode == CORE_MODE_FULL
    ? &pol->overhead_full : &pol->overhead_paravirt;
  const struct core_overhead *o_new = mode == CORE_MODE_FULL
    ? &pol->overhead_full : &pol->overhead_paravirt;
  char *host = core_strdup (plan->hosts.ptr[to].name);

  if (host == NULL
      || insert_in_order (&plan->hosts.ptr[to].workloads, w->name, profiles) == -1) {
    free (host);
    return -1;
  }
  remove_name (&plan->hosts.ptr[from].workloads, w->name);
  free (w->host);
  w->host = host;
  /* The plan states demand with the mode's overhead: undo the old one,
   * add the new one. */
  if (mode != (int) w->mode) {
    double cpu = (w->demand.cpu_mhz - o_old->cpu_mhz) / (1 + o_old->cpu_pct / 100);
    double mem = w->demand.memory_mib - o_old->memory_mib;
    w->demand.cpu_mhz = round ((cpu * (1 + o_new->cpu_pct / 100) + o_new->cpu_mhz) * 10) / 10;
    w->demand.memory_mib = round ((mem + o_new->memory_mib) * 10) / 10;
    w->mode = mode;
  }
  if (refresh_host (plan, profiles, hosts, grid, &plan->hosts.ptr[from]) == -1
      || refresh_host (plan, profiles, hosts, grid, &plan->hosts.ptr[to]) == -1)
    return -1;
  return 0;
}

/* Replace the sentence starting with PREFIX (or add one) by S. */
static int
set_reason (core_string_vector *reasons, const char *prefix, char *s)
{
  if (s == NULL)
    return -1;
  for (size_t i = 0; i < reasons->len; i++)
    if (strncmp (reasons->ptr[i], prefix, strlen (prefix)) == 0) {
      free (reasons->ptr[i]);
      reasons->ptr[i] = s;
      return 0;
    }
  if (core_string_vector_append (reasons, s) == -1) {
    free (s);
    return -1;
  }
  return 0;
}

static void
host_free (struct core_plan_host *h)
{
  free (h->name);
  free (h->model);
  core_string_vector_free (&h->workloads);
  core_double_vector_reset (&h->series.cpu_mhz);
}

/* A host the move emptied is not bought: it goes, and with it the spares
 * of its model when no other host of the model is left; the summary's
 * hosts, cost and power follow. */
static void
drop_empty_host (struct core_plan *plan, const struct core_hosts *hosts,
                 size_t h)
{
  const struct core_host_model *hm;
  bool model_used = false;
  char *model;

  if (plan->hosts.ptr[h].workloads.len || plan->hosts.ptr[h].spare)
    return;
  model = plan->hosts.ptr[h].model;
  for (size_t k = 0; k < plan->hosts.len; k++)
    if (k != h && !plan->hosts.ptr[k].spare
        && strcmp (plan->hosts.ptr[k].model, model) == 0)
      model_used = true;
  hm = core_find_host_model (&hosts->models, model);
  model = core_strdup (model);
  if (model == NULL)
    return;                     /* the empty host stays: still valid */
  for (size_t k = plan->hosts.len; k-- > 0;) {
    struct core_plan_host *x = &plan->hosts.ptr[k];
    if (strcmp (x->model, model) != 0 || !(k == h || (!model_used && x->spare)))
      continue;
    if (hm && plan->summary.cost != CORE_UNSET && hm->cost != CORE_UNSET)
      plan->summary.cost -= hm->cost;
    if (hm && plan->summary.watts_after != CORE_UNSET && hm->watts != CORE_UNSET)
      plan->summary.watts_after -= hm->watts;
    host_free (x);
    memmove (x, x + 1, (plan->hosts.len - k - 1) * sizeof *x);
    plan->hosts.len--;
  }
  if (!model_used)
    for (size_t m = 0; m < plan->models.len; m++)
      if (strcmp (plan->models.ptr[m].model, model) == 0) {
        free (plan->models.ptr[m].model);
        memmove (&plan->models.ptr[m], &plan->models.ptr[m + 1],
                 (plan->models.len - m - 1) * sizeof *plan->models.ptr);
        plan->models.len--;
        break;
      }
  plan->summary.hosts_used = plan->hosts.len;
  free (model);
}

int
plan_move (struct core_plan *plan, const core_profile_vector *profiles,
           const struct core_hosts *hosts, const char *workload_,
           const char *host_, char **why)
{
  /* Copies: the names may point into the plan, which changes. */
  CLEANUP_FREE char *workload = core_strdup (workload_);
  CLEANUP_FREE char *host = core_strdup (host_);
  ssize_t wi, to, from;
  const struct core_plan_workload *pw;
  const struct core_profile *p;
  const struct core_host_model *hm;
  struct core_plan_workload *w;
  struct plan_guest g;
  struct plan_grid grid;
  char sentence[512];
  int mode, old_mode, r;

  *why = NULL;
  if (workload == NULL || host == NULL)
    return -1;
  pw = plan_find_workload (plan, workload);
  to = find_host (plan, host);
  p = plan_find_profile (profiles, workload);
  if (pw == NULL || p == NULL) {
    core_error ("no workload named '%s' in the plan", workload);
    return -1;
  }
  if (to < 0) {
    *why = core_sprintf ("no host named '%s' in the plan\n", host);
    return *why ? 1 : -1;
  }
  wi = pw - plan->workloads.ptr;
  w = &plan->workloads.ptr[wi];
  if (w->host == NULL) {
    *why = core_sprintf ("%s stays physical; only placed workloads move\n", workload);
    return *why ? 1 : -1;
  }
  from = find_host (plan, w->host);
  if (from < 0) {
    core_error ("workload %s: its host %s is not in the plan", workload, w->host);
    return -1;
  }
  if (from == to) {
    *why = core_sprintf ("%s is on %s already\n", workload, host);
    return *why ? 1 : -1;
  }
  if (plan->hosts.ptr[to].spare) {
    *why = core_sprintf ("%s is a spare host for failover; it carries no workload\n",
                         host);
    return *why ? 1 : -1;
  }
  hm = core_find_host_model (&hosts->models, plan->hosts.ptr[to].model);
  if (hm == NULL) {
    core_error ("host %s: model %s is not in the catalog", host,
                plan->hosts.ptr[to].model);
    return -1;
  }
  plan_guest_resolve (p, &g);
  mode = plan_mode_on (p, &g, hm, plan->hosts.ptr[to].hypervisor,
                       &plan->policy, sentence, sizeof sentence);
  if (mode < 0) {
    *why = core_sprintf ("%s cannot run on %s: %s\n", workload, host, sentence);
    return *why ? 1 : -1;
  }

  plan_grid_choose (profiles, &grid);
  old_mode = w->mode;
  if (relocate (plan, profiles, hosts, &grid, wi, from, to, mode) == -1)
    return -1;
  r = plan_check (plan, profiles, hosts, why);
  if (r != 0) {
    /* Refused or failed: put it back as it was. */
    if (relocate (plan, profiles, hosts, &grid, wi, to, from, old_mode) == -1)
      return -1;
    return r;
  }
  w = &plan->workloads.ptr[wi];
  if (w->reasons.len && mode != old_mode) {
    char *s = core_strdup (sentence);
    if (s == NULL)
      return -1;
    free (w->reasons.ptr[0]);
    w->reasons.ptr[0] = s;
  }
  if (set_reason (&w->reasons, "Placed on ",
                  core_sprintf ("Placed on %s (model %s, %s) by hand.", host,
                                hm->model, plan->hosts.ptr[to].hypervisor
                                == CORE_HV_KVM ? "KVM" : "Xen")) == -1)
    return -1;
  drop_empty_host (plan, hosts, from);
  return 0;
}
