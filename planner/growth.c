/* Growth: how long the hosts of a plan last when every workload's demand
 * grows by a percentage a year (its own growth_pct, or the plan's).
 * Growth compounds monthly: in month M a workload needs
 * (1 + pct/100)^(M/12) times what it needs now, in CPU (every interval of
 * the day), memory, disk, IOPS and network; the per-guest overheads of
 * its mode stay what they are.  A host runs out in the first month some
 * resource, at some interval, exceeds its capacity less the headroom.
 * The workloads stay where the plan put them.
 */
#include <math.h>
#include <string.h>

#include "planner/planner.h"

/* Workloads of one host that grow at one rate. */
struct rate {
  double pct;
  double *cpu, *iops, *net;     /* per slot */
  double mem, disk;
};

static void
rates_free (struct rate *rates, size_t n)
{
  for (size_t g = 0; g < n; g++) {
    free (rates[g].cpu);
    free (rates[g].iops);
    free (rates[g].net);
  }
  free (rates);
}

static const char *const res_text[CORE_NRES] =
  { "CPU", "memory", "disk", "IOPS", "network" };

/* One host: fills H (runs_out, peak_pct).  *WORST_PCT is the largest
 * share of any resource at the end, for the sentence. */
static int
host_growth (const struct core_plan *plan, const core_profile_vector *profiles,
             const struct plan_grid *grid, const struct core_plan_host *ph,
             const struct core_host_model *hm, double pct, int64_t years,
             struct core_plan_growth_host *h, double *limit_pct)
{
  const struct core_policy *pol = &plan->policy;
  double keep = 1 - pol->headroom_pct / 100;
  double cap[CORE_NRES], fixed_cpu = 0, fixed_mem = 0;
  struct rate *rates = NULL;
  size_t nrates = 0;
  int ret = -1;

  cap[CORE_RES_CPU] = hm->cores * hm->mhz;
  cap[CORE_RES_MEMORY] = hm->memory_mib;
  cap[CORE_RES_DISK] = hm->disk_gib;
  cap[CORE_RES_IOPS] = hm->disk_iops;
  cap[CORE_RES_NET] = hm->net_mbps;
  *limit_pct = 100 * keep;
  rates = calloc (ph->workloads.len ? ph->workloads.len : 1, sizeof *rates);
  if (rates == NULL) {
    core_error ("out of memory");
    return -1;
  }

  for (size_t q = 0; q < ph->workloads.len; q++) {
    const char *name = ph->workloads.ptr[q];
    const struct core_profile *p = plan_find_profile (profiles, name);
    const struct core_plan_workload *w = plan_find_workload (plan, name);
    const struct core_overhead *o;
    struct plan_demand d;
    double wp;
    size_t g;

    if (p == NULL || w == NULL) {
      core_error ("host %s: workload %s has no profile", ph->name, name);
      goto out;
    }
    wp = p->growth_pct != CORE_UNSET ? p->growth_pct : pct;
    for (g = 0; g < nrates; g++)
      if (rates[g].pct == wp)
        break;
    if (g == nrates) {
      rates[g].pct = wp;
      rates[g].cpu = calloc (grid->slots, sizeof (double));
      rates[g].iops = calloc (grid->slots, sizeof (double));
      rates[g].net = calloc (grid->slots, sizeof (double));
      nrates++;
      if (!rates[g].cpu || !rates[g].iops || !rates[g].net) {
        core_error ("out of memory");
        goto out;
      }
    }
    if (plan_demand_compute (p, pol, grid, &d) == -1)
      goto out;
    o = w->mode == CORE_MODE_FULL ? &pol->overhead_full : &pol->overhead_paravirt;
    for (size_t s = 0; s < grid->slots; s++) {
      rates[g].cpu[s] += d.series[PLAN_CPU][s] * (1 + o->cpu_pct / 100);
      rates[g].iops[s] += d.series[PLAN_IOPS][s];
      rates[g].net[s] += d.series[PLAN_NET][s];
    }
    rates[g].mem += d.memory_mib / pol->memory_overcommit;
    rates[g].disk += d.disk_gib;
    fixed_cpu += o->cpu_mhz;
    fixed_mem += o->memory_mib;
    plan_demand_clear (&d);
  }

  h->runs_out.month = CORE_UNSET;
  for (int64_t m = 0; m <= 12 * years; m++) {
    double load[CORE_NRES] = { 0 }, worst = 0;
    int over = -1;
    double over_ratio = 0;

    for (size_t s = 0; s < grid->slots; s++) {
      double c = fixed_cpu, io = 0, nt = 0;
      for (size_t g = 0; g < nrates; g++) {
        double f = pow (1 + rates[g].pct / 100, m / 12.0);
        c += rates[g].cpu[s] * f;
        io += rates[g].iops[s] * f;
        nt += rates[g].net[s] * f;
      }
      load[CORE_RES_CPU] = fmax (load[CORE_RES_CPU], c);
      load[CORE_RES_IOPS] = fmax (load[CORE_RES_IOPS], io);
      load[CORE_RES_NET] = fmax (load[CORE_RES_NET], nt);
    }
    load[CORE_RES_MEMORY] = fixed_mem;
    for (size_t g = 0; g < nrates; g++) {
      double f = pow (1 + rates[g].pct / 100, m / 12.0);
      load[CORE_RES_MEMORY] += rates[g].mem * f;
      load[CORE_RES_DISK] += rates[g].disk * f;
    }
    for (int r = 0; r < CORE_NRES; r++) {
      double ratio;
      if (cap[r] == CORE_UNSET || cap[r] <= 0)
        continue;               /* not a constraint of the model */
      ratio = load[r] / cap[r];
      worst = fmax (worst, ratio);
      if (load[r] > cap[r] * keep * (1 + 1e-9) + 1e-6 && ratio > over_ratio) {
        over = r;
        over_ratio = ratio;
      }
    }
    if (core_double_vector_append (&h->peak_pct, round (1000 * worst) / 10) == -1)
      goto out;
    if (over >= 0 && h->runs_out.month == CORE_UNSET) {
      h->runs_out.month = m;
      h->runs_out.resource = over;
    }
  }
  ret = 0;
 out:
  rates_free (rates, nrates);
  return ret;
}

int
plan_growth (struct core_plan *plan, const core_profile_vector *profiles,
             double pct, int64_t years)
{
  struct core_plan_growth *gr = &plan->growth;
  struct plan_grid grid;
  /* The first host to run out, by index: gr->hosts grows below, and a
   * pointer into it would not survive the next append. */
  ssize_t first_ix = -1;
  const struct core_plan_growth_host *first;
  size_t own = 0, lasting = 0;

  gr->given = true;
  gr->pct = pct;
  gr->years = years;
  plan_grid_choose (profiles, &grid);
  for (size_t i = 0; i < profiles->len; i++)
    own += profiles->ptr[i]->growth_pct != CORE_UNSET;

  if (plan_add_sentence (&gr->reasons, core_sprintf (
        "Demand grows %g%% a year, compounded monthly (x%.4f a month)%s, "
        "for %lld year%s; the workloads stay on their hosts and the "
        "overheads per guest stay the same.", pct, pow (1 + pct / 100, 1 / 12.0),
        own ? "; workloads with their own growth_pct grow by it" : "",
        (long long) years, years == 1 ? "" : "s")) == -1)
    return -1;

  for (size_t i = 0; i < plan->hosts.len; i++) {
    const struct core_plan_host *ph = &plan->hosts.ptr[i];
    const struct core_host_model *hm;
    struct core_plan_growth_host h = { 0 };
    struct core_plan_growth_host *hp;
    double limit;

    if (ph->spare)
      continue;
    hm = core_find_host_model (&plan->models, ph->model);
    if (hm == NULL) {
      core_error ("host %s: model %s is not in the plan's models", ph->name,
                  ph->model);
      return -1;
    }
    h.host = core_strdup (ph->name);
    if (h.host == NULL || core_plan_growth_host_vector_append (&gr->hosts, h) == -1) {
      free (h.host);
      return -1;
    }
    hp = &gr->hosts.ptr[gr->hosts.len - 1];
    if (host_growth (plan, profiles, &grid, ph, hm, pct, years, hp, &limit) == -1)
      return -1;
    if (hp->runs_out.month == CORE_UNSET) {
      lasting++;
      if (plan_add_sentence (&gr->reasons, core_sprintf (
            "%s keeps its headroom for all %lld months: at the end its most "
            "used resource is at %g%% of capacity (the headroom allows %g%%).",
            ph->name, (long long) (12 * years),
            hp->peak_pct.ptr[hp->peak_pct.len - 1], limit)) == -1)
        return -1;
    }
    else {
      if (plan_add_sentence (&gr->reasons, core_sprintf (
            "%s runs out of %s headroom in month %lld: its workloads then "
            "need %g%% of its busiest resource, above the %g%% the headroom "
            "allows.", ph->name, res_text[hp->runs_out.resource],
            (long long) hp->runs_out.month,
            hp->peak_pct.ptr[hp->runs_out.month], limit)) == -1)
        return -1;
      if (first_ix < 0
          || hp->runs_out.month < gr->hosts.ptr[first_ix].runs_out.month)
        first_ix = gr->hosts.len - 1;
    }
  }
  first = first_ix >= 0 ? &gr->hosts.ptr[first_ix] : NULL;
  if (first
      && plan_add_sentence (&gr->reasons, core_sprintf (
           "The hosts last %lld month%s: %s is the first to run out (%s, "
           "month %lld)%s.", (long long) (first->runs_out.month > 0 ? first->runs_out.month - 1 : 0),
           first->runs_out.month - 1 == 1 ? "" : "s", first->host,
           res_text[first->runs_out.resource], (long long) first->runs_out.month,
           lasting ? "" : "; no host lasts the whole period")) == -1)
    return -1;

  if (plan->sizing.given) {
    struct core_plan_sizing *sz = &plan->sizing;
    sz->has_runs_out = true;
    sz->runs_out.month = first ? first->runs_out.month : CORE_UNSET;
    sz->runs_out.resource = first ? first->runs_out.resource : CORE_RES_CPU;
    if (plan_add_sentence (&sz->reasons, first
                    ? core_sprintf ("Under %g%% yearly growth the spec runs out "
                                    "of %s headroom in month %lld.", pct,
                                    res_text[first->runs_out.resource],
                                    (long long) first->runs_out.month)
                    : core_sprintf ("Under %g%% yearly growth the spec keeps "
                                    "its headroom for all %lld months.", pct,
                                    (long long) (12 * years))) == -1)
      return -1;
  }
  return 0;
}
