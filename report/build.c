/* The values a report template renders, built from a plan.  Every name
 * docs/templates.md lists is set for every plan (null when the plan does
 * not say), so that templates never meet an unknown variable because of
 * the data. */
#include <math.h>
#include <string.h>

#include "report/report.h"

struct build {
  bool failed;
  const struct core_plan *plan;
  const struct rep_options *opts;
};

#define FMT(fn, ...) fn (buf, sizeof buf, __VA_ARGS__)


static const char *
mode_label (enum core_mode m)
{
  switch (m) {
  case CORE_MODE_PARAVIRT: return "paravirtualized";
  case CORE_MODE_FULL: return "fully virtualized";
  default: return "physical";
  }
}

static struct rep_value *
num_or_null (double v, int decimals)
{
  char buf[64];

  return v == CORE_UNSET ? rep_null () : rep_string (FMT (rep_fmt_num, v, decimals));
}

/* "1 server", "2 servers". */
static const char *
plural (size_t n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

/* "a, b, c and 4 more" from up to MAX names. */
static char *
name_list (const char *const *names, size_t n, size_t max)
{
  char *s = core_strdup ("");

  for (size_t i = 0; s && i < n && i < max; i++) {
    const char *sep = i == 0 ? "" : (i + 1 == n ? " and " : ", ");
    char *t = core_sprintf ("%s%s%s", s, sep, names[i]);
    free (s);
    s = t;
  }
  if (s && n > max) {
    char *t = core_sprintf ("%s and %zu more", s, n - max);
    free (s);
    s = t;
  }
  return s;
}

/* Summary and bill of materials ------------------------------------ */

static void
build_summary (struct build *b, struct rep_value *root)
{
  const struct core_plan *plan = b->plan;
  struct rep_value *s = rep_map ();
  size_t spares = 0, running, physical = 0, paravirt = 0, full = 0;
  double srv_mhz = 0, srv_mib = 0, dem_mhz = 0, dem_mib = 0, cap_mhz = 0, cap_mib = 0;
  bool srv_known = plan->workloads.len > 0, cap_known = plan->hosts.len > 0;
  char buf[64];

  for (size_t i = 0; i < plan->hosts.len; i++) {
    const struct core_plan_host *h = &plan->hosts.ptr[i];
    const struct core_host_model *m = core_find_host_model (&plan->models, h->model);
    spares += h->spare;
    if (m && !h->spare) {
      cap_mhz += m->cores * m->mhz;
      cap_mib += m->memory_mib;
    }
    else if (!h->spare)
      cap_known = false;
  }
  running = plan->hosts.len - spares;
  for (size_t i = 0; i < plan->workloads.len; i++) {
    const struct core_plan_workload *w = &plan->workloads.ptr[i];
    const struct core_plan_server *sv = &w->server;
    if (w->host == NULL)
      physical++;
    else if (w->mode == CORE_MODE_FULL)
      full++;
    else
      paravirt++;
    if (sv->given && sv->cores != CORE_UNSET && sv->mhz != CORE_UNSET
        && sv->memory_mib != CORE_UNSET) {
      srv_mhz += sv->cores * sv->mhz;
      srv_mib += sv->memory_mib;
    }
    else
      srv_known = false;
    dem_mhz += w->demand.cpu_mhz;
    dem_mib += w->host ? w->memory_mib : w->demand.memory_mib;
  }

  rep_set (&b->failed, s, "servers", rep_int (plan->workloads.len));
  rep_set (&b->failed, s, "servers_label", rep_stringf ("%zu %s", plan->workloads.len,
                                                        plural (plan->workloads.len, "server", "servers")));
  rep_set (&b->failed, s, "hosts_label", rep_stringf ("%zu %s", plan->hosts.len,
                                                      plural (plan->hosts.len, "host", "hosts")));
  rep_set (&b->failed, s, "hosts", rep_int (plan->hosts.len));
  rep_set (&b->failed, s, "running_hosts", rep_int (running));
  rep_set (&b->failed, s, "spares", rep_int (spares));
  rep_set (&b->failed, s, "has_spares", rep_bool (spares > 0));
  rep_set (&b->failed, s, "virtualized", rep_int (paravirt + full));
  rep_set (&b->failed, s, "paravirt", rep_int (paravirt));
  rep_set (&b->failed, s, "full", rep_int (full));
  rep_set (&b->failed, s, "physical", rep_int (physical));
  rep_set (&b->failed, s, "has_physical", rep_bool (physical > 0));
  rep_set (&b->failed, s, "machines_after", rep_int (plan->hosts.len + physical));
  rep_set (&b->failed, s, "ratio", running
           ? rep_string (FMT (rep_fmt_num, (double) (paravirt + full) / running, 1))
           : rep_null ());
  if (plan->summary.lower_bound != CORE_UNSET) {
    int64_t gap = (int64_t) plan->hosts.len - plan->summary.lower_bound;
    rep_set (&b->failed, s, "lower_bound", rep_int (plan->summary.lower_bound));
    rep_set (&b->failed, s, "gap", rep_int (gap));
    rep_set (&b->failed, s, "at_lower_bound", rep_bool (gap <= 0));
  }
  else {
    rep_set (&b->failed, s, "lower_bound", rep_null ());
    rep_set (&b->failed, s, "gap", rep_null ());
    rep_set (&b->failed, s, "at_lower_bound", rep_bool (false));
  }
  rep_set (&b->failed, s, "cost", num_or_null (plan->summary.cost, 0));
  rep_set (&b->failed, s, "watts_before", num_or_null (plan->summary.watts_before, 0));
  rep_set (&b->failed, s, "watts_after", num_or_null (plan->summary.watts_after, 0));
  if (plan->summary.watts_before != CORE_UNSET && plan->summary.watts_after != CORE_UNSET) {
    double before = plan->summary.watts_before, after = plan->summary.watts_after;
    rep_set (&b->failed, s, "has_power", rep_bool (true));
    rep_set (&b->failed, s, "watts_saved", rep_string (FMT (rep_fmt_num, before - after, 0)));
    rep_set (&b->failed, s, "watts_saved_pct", before > 0
             ? rep_string (FMT (rep_fmt_num, 100 * (before - after) / before, 1)) : rep_null ());
    rep_set (&b->failed, s, "kwh_year_before", rep_string (FMT (rep_fmt_num, before * 8.76, 0)));
    rep_set (&b->failed, s, "kwh_year_after", rep_string (FMT (rep_fmt_num, after * 8.76, 0)));
    rep_set (&b->failed, s, "kwh_year_saved", rep_string (FMT (rep_fmt_num, (before - after) * 8.76, 0)));
  }
  else {
    rep_set (&b->failed, s, "has_power", rep_bool (false));
    rep_set (&b->failed, s, "watts_saved", rep_null ());
    rep_set (&b->failed, s, "watts_saved_pct", rep_null ());
    rep_set (&b->failed, s, "kwh_year_before", rep_null ());
    rep_set (&b->failed, s, "kwh_year_after", rep_null ());
    rep_set (&b->failed, s, "kwh_year_saved", rep_null ());
  }
  rep_set (&b->failed, s, "server_cpu", srv_known ? rep_string (FMT (rep_fmt_mhz, srv_mhz)) : rep_null ());
  rep_set (&b->failed, s, "server_memory", srv_known ? rep_string (FMT (rep_fmt_mib, srv_mib)) : rep_null ());
  rep_set (&b->failed, s, "demand_cpu", rep_string (FMT (rep_fmt_mhz, dem_mhz)));
  rep_set (&b->failed, s, "demand_memory", rep_string (FMT (rep_fmt_mib, dem_mib)));
  rep_set (&b->failed, s, "demand_cpu_pct", srv_known && srv_mhz > 0
           ? rep_string (FMT (rep_fmt_num, 100 * dem_mhz / srv_mhz, 1)) : rep_null ());
  rep_set (&b->failed, s, "demand_memory_pct", srv_known && srv_mib > 0
           ? rep_string (FMT (rep_fmt_num, 100 * dem_mib / srv_mib, 1)) : rep_null ());
  rep_set (&b->failed, s, "host_cpu", cap_known && running ? rep_string (FMT (rep_fmt_mhz, cap_mhz)) : rep_null ());
  rep_set (&b->failed, s, "host_memory", cap_known && running ? rep_string (FMT (rep_fmt_mib, cap_mib)) : rep_null ());
  rep_set (&b->failed, root, "summary", s);
}

static void
build_bom (struct build *b, struct rep_value *root)
{
  const struct core_plan *plan = b->plan;
  struct rep_value *bom = rep_list ();
  double total_cost = 0, total_watts = 0;
  bool cost_known = true, watts_known = true;
  size_t total = 0;
  char buf[64];

  /* One line per model, in the order the hosts first name them. */
  for (size_t i = 0; i < plan->hosts.len; i++) {
    const char *model = plan->hosts.ptr[i].model;
    const struct core_host_model *m = core_find_host_model (&plan->models, model);
    size_t count = 0, spares = 0;
    struct rep_value *line;
    bool seen = false;

    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp (plan->hosts.ptr[j].model, model) == 0;
    if (seen)
      continue;
    for (size_t j = i; j < plan->hosts.len; j++)
      if (strcmp (plan->hosts.ptr[j].model, model) == 0) {
        count++;
        spares += plan->hosts.ptr[j].spare;
      }
    total += count;
    line = rep_map ();
    rep_set (&b->failed, line, "model", rep_string (model));
    rep_set (&b->failed, line, "count", rep_int (count));
    rep_set (&b->failed, line, "spares", rep_int (spares));
    rep_set (&b->failed, line, "known", rep_bool (m != NULL));
    rep_set (&b->failed, line, "cores", m ? rep_int (m->cores) : rep_null ());
    rep_set (&b->failed, line, "clock", m ? rep_string (FMT (rep_fmt_mhz, m->mhz)) : rep_null ());
    rep_set (&b->failed, line, "memory", m ? rep_string (FMT (rep_fmt_mib, m->memory_mib)) : rep_null ());
    rep_set (&b->failed, line, "disk", m && m->disk_gib != CORE_UNSET
             ? rep_string (FMT (rep_fmt_gib, m->disk_gib)) : rep_null ());
    rep_set (&b->failed, line, "iommu", rep_bool (m && m->iommu));
    rep_set (&b->failed, line, "unit_cost", m ? num_or_null (m->cost, 0) : rep_null ());
    rep_set (&b->failed, line, "cost", m && m->cost != CORE_UNSET
             ? rep_string (FMT (rep_fmt_num, m->cost * count, 0)) : rep_null ());
    rep_set (&b->failed, line, "unit_watts", m ? num_or_null (m->watts, 0) : rep_null ());
    rep_set (&b->failed, line, "watts", m && m->watts != CORE_UNSET
             ? rep_string (FMT (rep_fmt_num, m->watts * count, 0)) : rep_null ());
    if (m && m->cost != CORE_UNSET)
      total_cost += m->cost * count;
    else
      cost_known = false;
    if (m && m->watts != CORE_UNSET)
      total_watts += m->watts * count;
    else
      watts_known = false;
    rep_add (&b->failed, bom, line);
  }
  rep_set (&b->failed, root, "bom", bom);
  rep_set (&b->failed, root, "has_models", rep_bool (plan->models.len > 0));
  rep_set (&b->failed, root, "bom_count", rep_int (total));
  rep_set (&b->failed, root, "bom_cost", cost_known && total
           ? rep_string (FMT (rep_fmt_num, total_cost, 0)) : rep_null ());
  rep_set (&b->failed, root, "bom_watts", watts_known && total
           ? rep_string (FMT (rep_fmt_num, total_watts, 0)) : rep_null ());
}

static void
build_policy (struct build *b, struct rep_value *root)
{
  const struct core_policy *p = &b->plan->policy;
  struct rep_value *m = rep_map ();
  char buf[64];

  rep_set (&b->failed, m, "percentile", rep_string (FMT (rep_fmt_num, p->percentile, 2)));
  rep_set (&b->failed, m, "headroom_pct", rep_string (FMT (rep_fmt_num, p->headroom_pct, 2)));
  rep_set (&b->failed, m, "cpu_overcommit", rep_string (FMT (rep_fmt_num, p->cpu_overcommit, 2)));
  rep_set (&b->failed, m, "memory_overcommit", rep_string (FMT (rep_fmt_num, p->memory_overcommit, 2)));
  rep_set (&b->failed, m, "ha_spare_hosts", rep_int (p->ha_spare_hosts));
  rep_set (&b->failed, m, "thin_disks", rep_bool (p->thin_disks));
  rep_set (&b->failed, m, "windows_pv_drivers", rep_bool (p->windows_pv_drivers));
  rep_set (&b->failed, m, "allow_passthrough", rep_bool (p->allow_passthrough));
  rep_set (&b->failed, m, "full_cpu_pct", rep_string (FMT (rep_fmt_num, p->overhead_full.cpu_pct, 2)));
  rep_set (&b->failed, m, "full_cpu_mhz", rep_string (FMT (rep_fmt_num, p->overhead_full.cpu_mhz, 2)));
  rep_set (&b->failed, m, "full_memory_mib", rep_string (FMT (rep_fmt_num, p->overhead_full.memory_mib, 2)));
  rep_set (&b->failed, m, "paravirt_cpu_pct", rep_string (FMT (rep_fmt_num, p->overhead_paravirt.cpu_pct, 2)));
  rep_set (&b->failed, m, "paravirt_cpu_mhz", rep_string (FMT (rep_fmt_num, p->overhead_paravirt.cpu_mhz, 2)));
  rep_set (&b->failed, m, "paravirt_memory_mib", rep_string (FMT (rep_fmt_num, p->overhead_paravirt.memory_mib, 2)));
  rep_set (&b->failed, root, "policy", m);
}

/* Workloads --------------------------------------------------------- */

static struct rep_value *
server_values (struct build *b, const struct core_plan_server *s)
{
  struct rep_value *m = rep_map ();
  char buf[64];
  CLEANUP_FREE char *services = NULL;

  if (s->given && s->services.len)
    services = name_list ((const char *const *) s->services.ptr, s->services.len,
                          s->services.len);
  rep_set (&b->failed, m, "known", rep_bool (s->given));
  rep_set (&b->failed, m, "machine", rep_string (s->given ? s->machine : NULL));
  rep_set (&b->failed, m, "os", rep_string (s->given ? s->os : NULL));
  rep_set (&b->failed, m, "family", rep_string (s->given && s->family ? core_os_family_names[s->family] : NULL));
  rep_set (&b->failed, m, "role", rep_string (s->given ? s->role : NULL));
  rep_set (&b->failed, m, "group", rep_string (s->given ? s->group : NULL));
  rep_set (&b->failed, m, "services", rep_string (services));
  rep_set (&b->failed, m, "cores", s->given && s->cores != CORE_UNSET
           ? rep_int (s->cores) : rep_null ());
  rep_set (&b->failed, m, "clock", s->given && s->mhz != CORE_UNSET
           ? rep_string (FMT (rep_fmt_mhz, s->mhz)) : rep_null ());
  rep_set (&b->failed, m, "cpu", s->given && s->cores != CORE_UNSET && s->mhz != CORE_UNSET
           ? rep_string (FMT (rep_fmt_mhz, s->cores * s->mhz)) : rep_null ());
  rep_set (&b->failed, m, "memory", s->given && s->memory_mib != CORE_UNSET
           ? rep_string (FMT (rep_fmt_mib, s->memory_mib)) : rep_null ());
  rep_set (&b->failed, m, "disk", s->given && s->disk_gib != CORE_UNSET
           ? rep_string (FMT (rep_fmt_gib, s->disk_gib)) : rep_null ());
  rep_set (&b->failed, m, "watts", s->given ? num_or_null (s->watts, 0) : rep_null ());
  rep_set (&b->failed, m, "virt", rep_string (!s->given ? NULL
                                              : s->virt == CORE_VIRT_VMX ? "Intel VT-x"
                                              : s->virt == CORE_VIRT_SVM ? "AMD-V"
                                              : s->virt == CORE_VIRT_NONE ? "none" : NULL));
  return m;
}

/* The planner's sentences for a workload left physical, by the words that
 * tell them apart (the first that matches), and what would change it. */
static const struct {
  const char *words, *advice;
} advice[] = {
  { "hardware virtualization",
    "A host model with hardware virtualization (Intel VT-x or AMD-V), "
    "or Xen paravirtual drivers in its system." },
  { "vCPUs",
    "A higher cpu_overcommit in the policy, or a host model with more "
    "cores." },
  { "MiB of memory",
    "A host model with more memory, or less headroom_pct in the policy." },
  { "MHz of CPU",
    "A host model with more or faster cores, or less headroom_pct in "
    "the policy." },
  { "GiB of disk",
    "A host model with more disk space, or thin_disks: true in the "
    "policy." },
  { "IOPS", "A host model with faster storage (more disk_iops)." },
  { "network", "A host model with more network capacity." },
  { "hypervisor", "A host model offering a hypervisor that runs on it." },
};

/* What would let a workload left physical be virtualized: from the plan's
 * data first, then from the planner's sentence. */
static const char *
what_would_change (const struct core_plan *plan, const struct core_plan_workload *w,
                   const char *reason)
{
  bool any_iommu = false;

  for (size_t i = 0; i < plan->models.len; i++)
    any_iommu |= plan->models.ptr[i].iommu;
  if (w->passthrough.len && !plan->policy.allow_passthrough)
    return "Allowing passthrough in the policy (allow_passthrough: true), on "
      "a host model with an IOMMU.";
  if (w->passthrough.len && (!any_iommu || strstr (reason, "IOMMU")))
    return "A host model with an IOMMU (Intel VT-d or AMD-Vi) in the host "
      "catalog: its device would then be passed through to the VM.";
  for (size_t i = 0; i < sizeof advice / sizeof advice[0]; i++)
    if (strstr (reason, advice[i].words))
      return advice[i].advice;
  return "The plan does not say; review its profile and the host catalog.";
}

static const char *
unplaced_reason (const struct core_plan *plan, const struct core_plan_workload *w)
{
  for (size_t i = 0; i < plan->unplaced.len; i++)
    if (strcmp (plan->unplaced.ptr[i].name, w->name) == 0)
      return plan->unplaced.ptr[i].reason;
  return w->reasons.len ? w->reasons.ptr[w->reasons.len - 1] : "No reason given.";
}

static struct rep_value *
workload_values (struct build *b, const struct core_plan_workload *w)
{
  struct rep_value *m = rep_map (), *reasons = rep_list (), *pt = rep_list ();
  char buf[64];

  rep_set (&b->failed, m, "name", rep_string (w->name));
  rep_set (&b->failed, m, "anchor", rep_stringf ("w-%s", w->name));
  rep_set (&b->failed, m, "mode", rep_string (core_mode_names[w->mode]));
  rep_set (&b->failed, m, "mode_label", rep_string (w->host ? mode_label (w->mode) : "physical"));
  rep_set (&b->failed, m, "paravirt", rep_bool (w->host && w->mode == CORE_MODE_PARAVIRT));
  rep_set (&b->failed, m, "full", rep_bool (w->host && w->mode == CORE_MODE_FULL));
  rep_set (&b->failed, m, "physical", rep_bool (w->host == NULL));
  rep_set (&b->failed, m, "host", rep_string (w->host));
  rep_set (&b->failed, m, "host_anchor", w->host ? rep_stringf ("host-%s", w->host) : rep_null ());
  rep_set (&b->failed, m, "vcpus", rep_int (w->vcpus));
  rep_set (&b->failed, m, "memory", rep_string (FMT (rep_fmt_mib, w->memory_mib)));
  rep_set (&b->failed, m, "cpu", rep_string (FMT (rep_fmt_mhz, w->demand.cpu_mhz)));
  rep_set (&b->failed, m, "host_memory", rep_string (FMT (rep_fmt_mib, w->demand.memory_mib)));
  rep_set (&b->failed, m, "disk", rep_string (FMT (rep_fmt_gib, w->demand.disk_gib)));
  rep_set (&b->failed, m, "iops", rep_string (FMT (rep_fmt_num, w->demand.iops, 1)));
  rep_set (&b->failed, m, "net", rep_stringf ("%s Mb/s", FMT (rep_fmt_num, w->demand.net_mbps, 1)));
  for (size_t i = 0; i < w->reasons.len; i++)
    rep_add (&b->failed, reasons, rep_string (w->reasons.ptr[i]));
  rep_set (&b->failed, m, "reasons", reasons);
  for (size_t i = 0; i < w->passthrough.len; i++)
    rep_add (&b->failed, pt, rep_string (w->passthrough.ptr[i]));
  rep_set (&b->failed, m, "passthrough", pt);
  rep_set (&b->failed, m, "server", server_values (b, &w->server));
  return m;
}

/* Sizing and growth ------------------------------------------------- */

static const char *const resource_label[CORE_NRES] =
  { "CPU", "memory", "disk", "IOPS", "network" };

/* A feature the host must have, added to FEATURES when some WORKLOADS
 * need it. */
static void
feature_line (struct build *b, struct rep_value *features, const char *label,
              const core_string_vector *workloads)
{
  struct rep_value *f;
  CLEANUP_FREE char *names = NULL;

  if (workloads->len == 0)
    return;
  f = rep_map ();
  names = name_list ((const char *const *) workloads->ptr, workloads->len, 8);
  rep_set (&b->failed, f, "label", rep_string (label));
  rep_set (&b->failed, f, "workloads", rep_string (names));
  rep_add (&b->failed, features, f);
}

static struct rep_value *
spec_line (struct build *b, const char *label, const char *spec, const char *need)
{
  struct rep_value *m = rep_map ();

  rep_set (&b->failed, m, "label", rep_string (label));
  rep_set (&b->failed, m, "spec", rep_string (spec));
  rep_set (&b->failed, m, "need", rep_string (need));
  return m;
}

static void
build_sizing (struct build *b, struct rep_value *root)
{
  const struct core_plan_sizing *sz = &b->plan->sizing;
  const struct core_plan_growth *gr = &b->plan->growth;
  struct rep_value *m, *spec, *features, *reasons;
  char buf[64];

  if (!sz->given)
    rep_set (&b->failed, root, "sizing", rep_null ());
  else {
    m = rep_map ();
    spec = rep_list ();
    features = rep_list ();
    reasons = rep_list ();
    rep_set (&b->failed, m, "hosts", rep_int (sz->hosts));
    rep_set (&b->failed, m, "hosts_label", rep_stringf ("%lld %s", (long long) sz->hosts,
                                                       plural (sz->hosts, "host", "identical hosts")));
    rep_set (&b->failed, m, "spares", rep_int (sz->spare_hosts));
    rep_set (&b->failed, m, "has_spares", rep_bool (sz->spare_hosts > 0));
    {
      char a[64], c[64], need[96], have[96];

      snprintf (have, sizeof have, "%s at %s", rep_fmt_num (a, sizeof a, sz->cores.spec, 0),
                rep_fmt_mhz (c, sizeof c, sz->core_mhz));
      rep_add (&b->failed, spec, spec_line (b, "Cores", have, rep_fmt_num (need, sizeof need, sz->cores.need, 2)));
      snprintf (have, sizeof have, "%s GiB", rep_fmt_num (a, sizeof a, sz->memory_gib.spec, 0));
      snprintf (need, sizeof need, "%s GiB", rep_fmt_num (c, sizeof c, sz->memory_gib.need, 2));
      rep_add (&b->failed, spec, spec_line (b, "Memory", have, need));
      snprintf (have, sizeof have, "%s GB", rep_fmt_num (a, sizeof a, sz->disk_gb.spec, 0));
      snprintf (need, sizeof need, "%s GB", rep_fmt_num (c, sizeof c, sz->disk_gb.need, 1));
      rep_add (&b->failed, spec, spec_line (b, "Disk", have, need));
      rep_fmt_num (have, sizeof have, sz->disk_iops.spec, 0);
      rep_fmt_num (need, sizeof need, sz->disk_iops.need, 1);
      rep_add (&b->failed, spec, spec_line (b, "IOPS", have, need));
      snprintf (have, sizeof have, "%s × %s Mb/s", rep_fmt_num (a, sizeof a, sz->nic_ports.spec, 0),
                rep_fmt_num (c, sizeof c, sz->port_mbps, 0));
      snprintf (need, sizeof need, "%s Mb/s, %s port%s", rep_fmt_num (a, sizeof a, sz->net_mbps.need, 1),
                rep_fmt_num (c, sizeof c, sz->nic_ports.need, 0), sz->nic_ports.need == 1 ? "" : "s");
      rep_add (&b->failed, spec, spec_line (b, "Network", have, need));
    }
    rep_set (&b->failed, m, "spec", spec);
    rep_set (&b->failed, m, "binding", rep_string (resource_label[sz->binding]));
    rep_set (&b->failed, m, "binding_when", rep_string (sz->interval));
    rep_set (&b->failed, m, "binding_pct", rep_string (FMT (rep_fmt_num, sz->binding_pct, 1)));
    feature_line (b, features, "Hardware virtualization (Intel VT-x or AMD-V)", &sz->virt);
    feature_line (b, features, "IOMMU (Intel VT-d or AMD-Vi)", &sz->iommu);
    rep_set (&b->failed, m, "features", features);
    if (sz->has_runs_out && sz->runs_out.month != CORE_UNSET)
      rep_set (&b->failed, m, "runs_out", rep_stringf ("runs out of %s headroom in month %lld",
                                                       resource_label[sz->runs_out.resource],
                                                       (long long) sz->runs_out.month));
    else if (sz->has_runs_out)
      rep_set (&b->failed, m, "runs_out", rep_string ("lasts the whole period"));
    else
      rep_set (&b->failed, m, "runs_out", rep_null ());
    for (size_t i = 0; i < sz->reasons.len; i++)
      rep_add (&b->failed, reasons, rep_string (sz->reasons.ptr[i]));
    rep_set (&b->failed, m, "reasons", reasons);
    rep_set (&b->failed, root, "sizing", m);
  }

  if (!gr->given)
    rep_set (&b->failed, root, "growth", rep_null ());
  else {
    m = rep_map ();
    reasons = rep_list ();
    rep_set (&b->failed, m, "pct", rep_string (FMT (rep_fmt_num, gr->pct, 1)));
    rep_set (&b->failed, m, "years", rep_int (gr->years));
    rep_set (&b->failed, m, "months", rep_int ((12 * gr->years)));
    for (size_t i = 0; i < gr->reasons.len; i++)
      rep_add (&b->failed, reasons, rep_string (gr->reasons.ptr[i]));
    rep_set (&b->failed, m, "reasons", reasons);
    rep_set (&b->failed, root, "growth", m);
  }
}

/* A host's growth: when it runs out and its curve, or null. */
static struct rep_value *
host_growth (struct build *b, const struct core_plan_host *h)
{
  const struct core_plan_growth *gr = &b->plan->growth;
  const struct core_plan_growth_host *g = NULL;
  struct rep_value *m, *chart;

  for (size_t i = 0; gr->given && i < gr->hosts.len && !g; i++)
    if (strcmp (gr->hosts.ptr[i].host, h->name) == 0)
      g = &gr->hosts.ptr[i];
  if (g == NULL)
    return rep_null ();
  m = rep_map ();
  if (g->runs_out.month != CORE_UNSET)
    rep_set (&b->failed, m, "runs_out", rep_stringf ("runs out of %s headroom in month %lld",
                                                     resource_label[g->runs_out.resource],
                                                     (long long) g->runs_out.month));
  else
    rep_set (&b->failed, m, "runs_out", rep_null ());
  rep_set (&b->failed, m, "lasts", rep_bool (g->runs_out.month == CORE_UNSET));
  rep_set (&b->failed, m, "months", rep_int ((12 * gr->years)));
  chart = rep_growth_chart_values (g->peak_pct.ptr, g->peak_pct.len,
                                   b->plan->policy.headroom_pct, g->runs_out.month);
  if (chart == NULL)
    b->failed = true;
  rep_set (&b->failed, m, "chart", chart);
  return m;
}

/* Hosts ------------------------------------------------------------- */

static struct rep_value *
bar (struct build *b, const char *label, double pct, bool constrained,
     const char *used, double headroom)
{
  struct rep_value *m = rep_map ();
  char buf[64];

  rep_set (&b->failed, m, "label", rep_string (label));
  rep_set (&b->failed, m, "constrained", rep_bool (constrained));
  rep_set (&b->failed, m, "pct", rep_string (FMT (rep_fmt_num, pct, 1)));
  rep_set (&b->failed, m, "width", rep_stringf ("%.1f", fmin (fmax (pct, 0), 100)));
  rep_set (&b->failed, m, "limit", rep_stringf ("%.1f", 100 - headroom));
  rep_set (&b->failed, m, "over", rep_bool (pct > 100 - headroom + 0.05));
  rep_set (&b->failed, m, "used", rep_string (used));
  return m;
}

/* "A of C UNIT" in USED: PCT of the capacity CAP (A with DECIMALS
 * decimals); NULL when CAP is not known. */
static const char *
used_of (char *used, size_t len, double pct, double cap, int decimals,
         const char *unit)
{
  char a[64], c[64];

  if (cap <= 0)
    return NULL;
  snprintf (used, len, "%s of %s %s",
            rep_fmt_num (a, sizeof a, pct / 100 * cap, decimals),
            rep_fmt_num (c, sizeof c, cap, 0), unit);
  return used;
}

static void
build_hosts (struct build *b, struct rep_value *root, const size_t *windex)
{
  const struct core_plan *plan = b->plan;
  const struct core_plan_workload *ws = plan->workloads.ptr;
  double headroom = plan->policy.headroom_pct;
  struct rep_value *hosts = rep_list (), *spares = rep_list ();
  bool any_chart = false;

  for (size_t i = 0; i < plan->hosts.len; i++) {
    const struct core_plan_host *h = &plan->hosts.ptr[i];
    const struct core_host_model *m = core_find_host_model (&plan->models, h->model);
    struct rep_value *hm = rep_map (), *wl = rep_list (), *bars = rep_list ();
    double vcpus = 0, mem = 0;
    char buf[64], used[128], a[64], c[64];

    for (size_t j = 0; j < h->workloads.len; j++) {
      const struct core_plan_workload *w = NULL;
      struct rep_value *e = rep_map ();
      /* The reader checked that every name is a workload of this host;
       * windex holds the plan's workloads sorted by name. */
      size_t lo = 0, hi = plan->workloads.len;
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp (ws[windex[mid]].name, h->workloads.ptr[j]);
        if (r == 0) {
          w = &ws[windex[mid]];
          break;
        }
        if (r < 0)
          lo = mid + 1;
        else
          hi = mid;
      }
      if (w == NULL) {
        rep_value_free (e);
        continue;
      }
      vcpus += w->vcpus;
      mem += w->memory_mib;
      rep_set (&b->failed, e, "name", rep_string (w->name));
      rep_set (&b->failed, e, "anchor", rep_stringf ("w-%s", w->name));
      rep_set (&b->failed, e, "mode_label", rep_string (mode_label (w->mode)));
      rep_set (&b->failed, e, "vcpus", rep_int (w->vcpus));
      rep_set (&b->failed, e, "memory", rep_string (FMT (rep_fmt_mib, w->memory_mib)));
      rep_set (&b->failed, e, "cpu", rep_string (FMT (rep_fmt_mhz, w->demand.cpu_mhz)));
      rep_set (&b->failed, e, "disk", rep_string (FMT (rep_fmt_gib, w->demand.disk_gib)));
      rep_add (&b->failed, wl, e);
    }
    rep_set (&b->failed, hm, "name", rep_string (h->name));
    rep_set (&b->failed, hm, "anchor", rep_stringf ("host-%s", h->name));
    rep_set (&b->failed, hm, "model", rep_string (h->model));
    rep_set (&b->failed, hm, "hypervisor", rep_string (h->hypervisor == CORE_HV_XEN ? "Xen" : "KVM"));
    rep_set (&b->failed, hm, "spare", rep_bool (h->spare));
    rep_set (&b->failed, hm, "workloads", wl);
    rep_set (&b->failed, hm, "count", rep_int (h->workloads.len));
    rep_set (&b->failed, hm, "vcpus", rep_string (FMT (rep_fmt_num, vcpus, 0)));
    rep_set (&b->failed, hm, "memory", rep_string (FMT (rep_fmt_mib, mem)));
    rep_set (&b->failed, hm, "cores", m ? rep_int (m->cores) : rep_null ());
    rep_set (&b->failed, hm, "clock", m ? rep_string (FMT (rep_fmt_mhz, m->mhz)) : rep_null ());
    rep_set (&b->failed, hm, "memory_capacity", m ? rep_string (FMT (rep_fmt_mib, m->memory_mib)) : rep_null ());

    /* Bars: the peaks, with the used amount when the model is known. */
#define USED(pct, cap, fmt) \
    (m && (cap) > 0 ? (snprintf (used, sizeof used, "%s of %s", fmt (a, sizeof a, (pct) / 100 * (cap)), \
                                 fmt (c, sizeof c, (cap))), used) : NULL)
    rep_add (&b->failed, bars, bar (b, "CPU", h->peak.cpu_pct, true,
                                    USED (h->peak.cpu_pct, m ? m->cores * m->mhz : 0, rep_fmt_mhz), headroom));
    rep_add (&b->failed, bars, bar (b, "Memory", h->peak.memory_pct, true,
                                    USED (h->peak.memory_pct, m ? (double) m->memory_mib : 0, rep_fmt_mib), headroom));
    rep_add (&b->failed, bars, bar (b, "Disk", h->peak.disk_pct, !m || m->disk_gib != CORE_UNSET,
                                    USED (h->peak.disk_pct, m ? m->disk_gib : 0, rep_fmt_gib), headroom));
    rep_add (&b->failed, bars, bar (b, "IOPS", h->peak.iops_pct,
                                    !m || m->disk_iops != CORE_UNSET,
                                    m ? used_of (used, sizeof used, h->peak.iops_pct, m->disk_iops,
                                                 0, "IOPS") : NULL, headroom));
    rep_add (&b->failed, bars, bar (b, "Network", h->peak.net_pct,
                                    !m || m->net_mbps != CORE_UNSET,
                                    m ? used_of (used, sizeof used, h->peak.net_pct, m->net_mbps,
                                                 1, "Mb/s") : NULL, headroom));
#undef USED
    rep_set (&b->failed, hm, "bars", bars);
    rep_set (&b->failed, hm, "growth", h->spare ? rep_null () : host_growth (b, h));

    if (m && h->series.cpu_mhz.len && !h->spare) {
      struct rep_value *chart = rep_chart_values (h->series.cpu_mhz.ptr, h->series.cpu_mhz.len,
                                                  h->series.interval_s, m->cores * m->mhz,
                                                  headroom);
      if (chart == NULL)
        b->failed = true;
      rep_set (&b->failed, hm, "chart", chart);
      any_chart = true;
    }
    else
      rep_set (&b->failed, hm, "chart", rep_null ());
    if (h->spare) {
      struct rep_value *sp = rep_map ();
      rep_set (&b->failed, sp, "name", rep_string (h->name));
      rep_set (&b->failed, sp, "model", rep_string (h->model));
      rep_add (&b->failed, spares, sp);
    }
    rep_add (&b->failed, hosts, hm);
  }
  rep_set (&b->failed, root, "hosts", hosts);
  rep_set (&b->failed, root, "spares", spares);
  rep_set (&b->failed, root, "has_charts", rep_bool (any_chart));
}

/* The decision guide ------------------------------------------------ */

static void
guide_item (struct build *b, struct rep_value *guide, const char *question,
            char *answer)
{
  struct rep_value *m = rep_map ();

  if (answer == NULL)
    b->failed = true;
  rep_set (&b->failed, m, "question", rep_string (question));
  rep_set (&b->failed, m, "answer", rep_string (answer));
  free (answer);
  rep_add (&b->failed, guide, m);
}

static void
build_guide (struct build *b, struct rep_value *root,
             const struct rep_waves_stats *ws)
{
  const struct core_plan *plan = b->plan;
  const struct rep_value *s = rep_map_get (root, "summary");
  struct rep_value *guide = rep_list ();
  size_t n = plan->workloads.len, nphys = 0, nfull = 0, npv_own = 0, npv_win = 0;
  size_t nvirt = 0, nknown = 0, nvirt_known = 0, ninfra = 0, nfull_unknown = 0;
  const char **phys = calloc (n + 1, sizeof *phys);
  const char **full = calloc (n + 1, sizeof *full);
  const char **virt = calloc (n + 1, sizeof *virt);
  const char **reuse = calloc (n + 1, sizeof *reuse);
  const char **infra = calloc (n + 1, sizeof *infra);
  const struct core_host_model *smallest = NULL;
  size_t nreuse = 0;
  char *answer;
  char buf[64], buf2[64];

  if (!phys || !full || !virt || !reuse || !infra) {
    core_error ("out of memory");
    b->failed = true;
    goto out;
  }
#define SV(k) (rep_map_get (s, k) && rep_map_get (s, k)->kind == REP_STRING ? rep_map_get (s, k)->s : NULL)

  for (size_t i = 0; i < plan->models.len; i++) {
    const struct core_host_model *m = &plan->models.ptr[i];
    if (smallest == NULL || m->cores * m->mhz < smallest->cores * smallest->mhz)
      smallest = m;
  }
  for (size_t i = 0; i < n; i++) {
    const struct core_plan_workload *w = &plan->workloads.ptr[i];
    const struct core_plan_server *sv = &w->server;
    if (w->host == NULL)
      phys[nphys++] = w->name;
    else if (w->mode == CORE_MODE_FULL)
    {
      full[nfull++] = w->name;
      /* Full because nothing says the system has drivers: not "no
       * drivers exist". */
      for (size_t r = 0; r < w->reasons.len; r++)
        if (strstr (w->reasons.ptr[r], "is unknown")
            || strstr (w->reasons.ptr[r], "does not know")) {
          nfull_unknown++;
          break;
        }
    }
    else if (sv->family == CORE_OS_WINDOWS)
      npv_win++;
    else
      npv_own++;
    if (sv->given) {
      nknown++;
      if (sv->virt != CORE_VIRT_UNSET)
        nvirt_known++;
      if (sv->virt == CORE_VIRT_VMX || sv->virt == CORE_VIRT_SVM) {
        virt[nvirt++] = w->name;
        if (smallest && sv->cores != CORE_UNSET && sv->mhz != CORE_UNSET
            && sv->memory_mib != CORE_UNSET
            && sv->cores * sv->mhz >= smallest->cores * smallest->mhz
            && sv->memory_mib >= smallest->memory_mib)
          reuse[nreuse++] = w->name;
      }
    }
  }
  {
    const struct rep_value *wl = rep_map_get (root, "workloads");
    for (size_t i = 0; wl && i < wl->len; i++) {
      const struct rep_value *inf = rep_map_get (wl->items[i], "infrastructure");
      if (inf && inf->kind == REP_BOOL && inf->b)
        infra[ninfra++] = rep_map_get (wl->items[i], "name")->s;
    }
  }

  /* When to virtualize. */
  if (SV ("server_cpu") && SV ("demand_cpu_pct"))
    answer = core_sprintf (
      "When servers use a small part of what they have and their hardware "
      "is due for renewal. Here the %zu servers have %s of CPU and %s of "
      "memory; at the %sth percentile of their use they need %s of CPU "
      "(%s%%) and %s of memory (%s%%), overheads included. %s",
      n, SV ("server_cpu"), SV ("server_memory"),
      rep_map_get (rep_map_get (root, "policy"), "percentile")->s,
      SV ("demand_cpu"), SV ("demand_cpu_pct"), SV ("demand_memory"),
      SV ("demand_memory_pct"),
      !rep_truthy (rep_map_get (s, "has_physical"))
      ? "They all fit in virtual machines on the hosts of this plan."
      : "Most of them fit in virtual machines on the hosts of this plan.");
  else
    answer = core_sprintf (
      "When servers use a small part of what they have and their hardware "
      "is due for renewal. This plan does not say what the servers have (it "
      "was written without their details); at the %sth percentile of their "
      "use they need %s of CPU and %s of memory.",
      rep_map_get (rep_map_get (root, "policy"), "percentile")->s,
      SV ("demand_cpu"), SV ("demand_memory"));
  if (answer && SV ("watts_saved")) {
    char *t = core_sprintf ("%s Their power draw falls from %s W to %s W "
                            "(%s kWh a year less).", answer, SV ("watts_before"),
                            SV ("watts_after"), SV ("kwh_year_saved"));
    free (answer);
    answer = t;
  }
  guide_item (b, guide, "When to virtualize", answer);

  /* What to virtualize. */
  {
    CLEANUP_FREE char *pl = name_list (phys, nphys, 8);
    CLEANUP_FREE char *il = name_list (infra, ninfra, 8);
    answer = core_sprintf (
      "Every server whose system can run as a guest and fits a host: %zu of "
      "the %zu here, %zu paravirtualized and %zu fully virtualized. %s%s%s%s%s",
      n - nphys, n, npv_own + npv_win, nfull,
      nphys ? "Left physical: " : "None is left physical.",
      nphys && pl ? pl : "",
      nphys ? " (see Workloads left physical for why, and what would change it)." : "",
      ninfra && il ? " The infrastructure services move first: " : "",
      ninfra && il ? il : "");
    if (answer && ninfra) {
      char *t = core_sprintf ("%s.", answer);
      free (answer);
      answer = t;
    }
  }
  guide_item (b, guide, "What to virtualize", answer);

  /* Whether the existing hardware can serve. */
  if (nknown == 0)
    answer = core_strdup (
      "This plan does not say what hardware the servers have (it was written "
      "without their details); plan again with p2vkit plan to answer.");
  else if (nvirt_known == 0)
    answer = core_sprintf (
      "Unknown: the plan does not say whether any of the %zu servers has "
      "hardware virtualization (Intel VT-x or AMD-V), which KVM needs (a CSV "
      "file without a virt column, for one); an inventory of the servers "
      "(p2vkit inventory) or a virt column answers.", n);
  else if (nvirt == 0 && nvirt_known < n)
    answer = core_sprintf (
      "Not as far as is known: none of the %zu servers whose CPUs are known "
      "has hardware virtualization (Intel VT-x or AMD-V), which KVM needs; "
      "for the other %zu it is unknown.", nvirt_known, n - nvirt_known);
  else if (nvirt == 0)
    answer = core_sprintf (
      "No: none of the %zu servers has hardware virtualization (Intel VT-x "
      "or AMD-V), which KVM and fully virtualized guests need. Only Linux "
      "systems with Xen drivers could run paravirtualized on them under Xen.",
      n);
  else {
    CLEANUP_FREE char *rl = name_list (reuse, nreuse, 8);
    if (smallest && nreuse)
      answer = core_sprintf (
        "Partly. %zu of the %zu servers have hardware virtualization (Intel "
        "VT-x or AMD-V) and could run KVM. %zu of them (%s) have at least the "
        "CPU and memory of the smallest host model of this plan (%s: %lld "
        "cores at %s, %s): once emptied by the migration they could serve as "
        "hosts in place of new ones, if their age and support allow.",
        nvirt, n, nreuse, rl ? rl : "", smallest->model,
        (long long) smallest->cores, FMT (rep_fmt_mhz, smallest->mhz),
        rep_fmt_mib (buf2, sizeof buf2, smallest->memory_mib));
    else if (smallest)
      answer = core_sprintf (
        "Hardly. %zu of the %zu servers have hardware virtualization (Intel "
        "VT-x or AMD-V) and could run KVM, but none has the CPU and memory "
        "of the smallest host model of this plan (%s: %lld cores at %s, %s): "
        "they would hold few guests each.",
        nvirt, n, smallest->model, (long long) smallest->cores,
        FMT (rep_fmt_mhz, smallest->mhz), rep_fmt_mib (buf2, sizeof buf2, smallest->memory_mib));
    else
      answer = core_sprintf (
        "%zu of the %zu servers have hardware virtualization (Intel VT-x or "
        "AMD-V) and could run KVM; the plan does not carry the host models' "
        "sizes to compare them with.", nvirt, n);
  }
  guide_item (b, guide, "Whether the existing hardware can serve", answer);

  /* How to migrate. */
  {
    const struct rep_value *mig = rep_map_get (root, "migration");
    if (ws->waves)
      answer = core_sprintf (
        "In %zu %s (see Migration waves): infrastructure services first, "
        "then by risk and size. The %s %s to move %s %s of data: at "
        "%s, about %s of transfer in all. Linux servers are captured while "
        "they run (p2vkit capture --live); the others from a live Linux "
        "system booted on them. Each disk arrives on the conversion server, "
        "is converted there (p2vkit convert) and deployed to its host "
        "(p2vkit deploy). Capture never writes to a server's disks, so every "
        "step can be undone by stopping the VM and starting the server "
        "again.",
        ws->waves, plural (ws->waves, "wave", "waves"), rep_map_get (mig, "moved")->s,
        plural (ws->moved, "server", "servers"), plural (ws->moved, "holds", "hold"),
        rep_map_get (mig, "data")->s,
        rep_map_get (mig, "rate")->s, rep_map_get (mig, "transfer")->s);
    else
      answer = core_strdup ("Nothing moves: no workload has a host in this plan.");
  }
  guide_item (b, guide, "How to migrate", answer);

  /* Full or paravirtualization. */
  {
    CLEANUP_FREE char *fl = name_list (full, nfull, 8);
    const struct core_policy *p = &plan->policy;
    answer = core_sprintf (
      "A paravirtualized guest costs its host %s%% of its own CPU%s and %s MiB "
      "of memory; a fully virtualized one %s%%%s and %s MiB (the policy's "
      "overheads; a published comparison measured about 2%% against 10%%), "
      "so every workload runs paravirtualized when its system can. Here "
      "%zu %s paravirtual drivers of %s own; %zu Windows %s virtio drivers "
      "during the conversion%s; %zu %s fully virtualized%s%s%s%s.",
      FMT (rep_fmt_num, p->overhead_paravirt.cpu_pct, 2),
      p->overhead_paravirt.cpu_mhz > 0 ? " plus a fixed share" : "",
      rep_fmt_num (buf2, sizeof buf2, p->overhead_paravirt.memory_mib, 1),
      rep_fmt_num ((char[64]) { 0 }, 64, p->overhead_full.cpu_pct, 2),
      p->overhead_full.cpu_mhz > 0 ? " plus a fixed share" : "",
      rep_fmt_num ((char[64]) { 0 }, 64, p->overhead_full.memory_mib, 1),
      npv_own, plural (npv_own, "system has", "systems have"),
      plural (npv_own, "its", "their"),
      npv_win, plural (npv_win, "system gets", "systems get"),
      p->windows_pv_drivers ? "" : " (none: the policy leaves Windows fully virtualized)",
      nfull, plural (nfull, "runs", "run"),
      nfull_unknown == 0 ? (nfull == 1 ? " because no paravirtual drivers exist for its system"
                            : " because no paravirtual drivers exist for their systems")
      : nfull_unknown == nfull && nfull == 1 ? " because whether its system has paravirtual drivers is unknown"
      : nfull_unknown == nfull ? " because whether their systems have paravirtual drivers is unknown"
      : ", because no paravirtual drivers exist for their systems or whether they have them is unknown",
      nfull ? " (" : "", nfull && fl ? fl : "", nfull ? ")" : "");
  }
  guide_item (b, guide, "Full or paravirtualization", answer);
#undef SV

 out:
  rep_set (&b->failed, root, "guide", guide);
  free (phys);
  free (full);
  free (virt);
  free (reuse);
  free (infra);
}

/* All of it --------------------------------------------------------- */

static int
cmp_windex (const void *a, const void *b, void *base)
{
  const struct core_plan_workload *ws = base;

  return strcmp (ws[*(const size_t *) a].name, ws[*(const size_t *) b].name);
}

struct rep_value *
rep_plan_values (const struct core_plan *plan, const struct rep_options *opts)
{
  struct build b = { false, plan, opts };
  struct rep_value *root = rep_map (), *wl = rep_list (), *phys = rep_list ();
  CLEANUP_FREE struct rep_value **wmaps = NULL;
  CLEANUP_FREE size_t *windex = NULL;
  struct rep_waves_stats stats;
  size_t n = plan->workloads.len;

  wmaps = calloc (n ? n : 1, sizeof *wmaps);
  windex = calloc (n ? n : 1, sizeof *windex);
  if (root == NULL || wl == NULL || phys == NULL || !wmaps || !windex) {
    rep_value_free (root);
    rep_value_free (wl);
    rep_value_free (phys);
    core_error ("out of memory");
    return NULL;
  }
  rep_set (&b.failed, root, "title", rep_string ("Deployment plan"));
  rep_set (&b.failed, root, "generator", rep_stringf ("p2vkit %s", P2VKIT_VERSION));
  rep_set (&b.failed, root, "plan_file", rep_string (opts->plan_file));
  build_summary (&b, root);
  build_bom (&b, root);
  build_policy (&b, root);
  build_sizing (&b, root);

  for (size_t i = 0; i < n; i++) {
    const struct core_plan_workload *w = &plan->workloads.ptr[i];
    wmaps[i] = workload_values (&b, w);
    /* The list owns the map; wmaps keeps a pointer for the waves. */
    if (rep_list_add (wl, wmaps[i]) == -1) {
      wmaps[i] = NULL;
      b.failed = true;
      break;
    }
    if (w->host == NULL) {
      struct rep_value *p = rep_map ();
      const char *reason = unplaced_reason (plan, w);
      rep_set (&b.failed, p, "name", rep_string (w->name));
      rep_set (&b.failed, p, "anchor", rep_stringf ("w-%s", w->name));
      rep_set (&b.failed, p, "reason", rep_string (reason));
      rep_set (&b.failed, p, "change", rep_string (what_would_change (plan, w, reason)));
      rep_set (&b.failed, p, "os", rep_string (w->server.given ? w->server.os : NULL));
      rep_set (&b.failed, p, "role", rep_string (w->server.given ? w->server.role : NULL));
      rep_add (&b.failed, phys, p);
    }
  }
  rep_set (&b.failed, root, "workloads", wl);
  rep_set (&b.failed, root, "physical", phys);
  if (b.failed)
    goto fail;

  for (size_t i = 0; i < n; i++)
    windex[i] = i;
  qsort_r (windex, n, sizeof *windex, cmp_windex, plan->workloads.ptr);
  build_hosts (&b, root, windex);
  if (b.failed || rep_waves_build (plan, opts, root, wmaps, &stats) == -1)
    goto fail;
  build_guide (&b, root, &stats);
  if (b.failed)
    goto fail;
  return root;

 fail:
  rep_value_free (root);
  if (core_errmsg ()[0] == '\0')
    core_error ("out of memory");
  return NULL;
}
