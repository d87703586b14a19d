/* The data model: constructors, destructors and equality. */
#include <string.h>

#include "core.h"

const char *const core_firmware_names[] = { NULL, "bios", "uefi", NULL };
const char *const core_virt_names[] = { NULL, "none", "vmx", "svm", NULL };
const char *const core_os_family_names[] =
  { NULL, "linux", "windows", "bsd", "other", NULL };
const char *const core_proto_names[] = { "tcp", "udp", NULL };
const char *const core_mode_names[] = { "paravirt", "full", "physical", NULL };
const char *const core_pv_names[] = { "virtio", "xen", NULL };
const char *const core_hv_names[] = { "kvm", "xen", NULL };
const char *const core_resource_names[] =
  { "cpu", "memory", "disk", "iops", "net", NULL };

/* Each table of names holds one name per value up to the enum's last
 * (bit sets: per bit), then its NULL: a value added to an enum without
 * its name fails here, not in a reader (libvirt's VIR_ENUM_IMPL). */
#define NAMES_UP_TO(names, last)                                          \
  _Static_assert (sizeof names / sizeof names[0] == (size_t) (last) + 2,  \
                  #names " must name every value up to " #last)
NAMES_UP_TO (core_firmware_names, CORE_FIRMWARE_UEFI);
NAMES_UP_TO (core_virt_names, CORE_VIRT_SVM);
NAMES_UP_TO (core_os_family_names, CORE_OS_OTHER);
NAMES_UP_TO (core_proto_names, CORE_PROTO_UDP);
NAMES_UP_TO (core_mode_names, CORE_MODE_PHYSICAL);
NAMES_UP_TO (core_pv_names, __builtin_ctz (CORE_PV_XEN));
NAMES_UP_TO (core_hv_names, __builtin_ctz (CORE_HV_XEN));
NAMES_UP_TO (core_resource_names, CORE_NRES - 1);

struct core_profile *
core_profile_new (void)
{
  struct core_profile *p = malloc (sizeof *p);

  if (p == NULL) {
    core_error ("out of memory");
    return NULL;
  }
  core_schema_init (&core_profile_table, p);
  return p;
}

void
core_profile_free (struct core_profile *p)
{
  if (p == NULL)
    return;
  free (p->source);
  core_schema_free (&core_profile_table, p);
  free (p);
}

void
core_profiles_free (core_profile_vector *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->len; i++)
    core_profile_free (v->ptr[i]);
  core_profile_vector_reset (v);
}

void
core_cleanup_profile (struct core_profile **p)
{
  core_profile_free (*p);
}

void
core_cleanup_profiles (core_profile_vector *v)
{
  core_profiles_free (v);
}

void
core_host_model_init (struct core_host_model *m)
{
  memset (m, 0, sizeof *m);
  m->cores = m->memory_mib = CORE_UNSET;
  m->mhz = CORE_UNSET;
  m->disk_gib = m->disk_iops = m->net_mbps = CORE_UNSET;
  m->cost = m->watts = CORE_UNSET;
  m->count = CORE_UNSET;
}

void
core_hosts_init (struct core_hosts *h)
{
  memset (h, 0, sizeof *h);
}

void
core_hosts_clear (struct core_hosts *h)
{
  if (h == NULL)
    return;
  free (h->source);
  core_schema_free (&core_hosts_table, h);
  core_hosts_init (h);
}

void
core_cleanup_hosts (struct core_hosts *h)
{
  core_hosts_clear (h);
}

void
core_policy_defaults (struct core_policy *p)
{
  /* The defaults of docs/formats.md; the overheads are the published
   * per-guest costs of full virtualization (10% CPU) and
   * paravirtualization (2% CPU). */
  core_schema_init (&core_policy_table, p);
  /* One table describes both overheads, so their defaults are here. */
  p->overhead_full = (struct core_overhead) { 10, 0, 64 };
  p->overhead_paravirt = (struct core_overhead) { 2, 0, 32 };
}

void
core_plan_init (struct core_plan *plan)
{
  memset (plan, 0, sizeof *plan);
  plan->summary.lower_bound = CORE_UNSET;
  plan->summary.cost = CORE_UNSET;
  plan->summary.watts_before = CORE_UNSET;
  plan->summary.watts_after = CORE_UNSET;
  core_policy_defaults (&plan->policy);
  plan->sizing.runs_out.month = CORE_UNSET;
}

void
core_plan_server_init (struct core_plan_server *s)
{
  memset (s, 0, sizeof *s);
  s->cores = s->memory_mib = CORE_UNSET;
  s->mhz = s->disk_gib = s->used_gib = s->watts = CORE_UNSET;
}

static void
plan_server_clear (struct core_plan_server *s)
{
  free (s->machine);
  core_string_vector_free (&s->disks);
  free (s->os);
  free (s->role);
  free (s->group);
  core_string_vector_free (&s->services);
}

void
core_plan_clear (struct core_plan *plan)
{
  if (plan == NULL)
    return;
  free (plan->source);
  for (size_t i = 0; i < plan->hosts.len; i++) {
    struct core_plan_host *h = &plan->hosts.ptr[i];
    free (h->name);
    free (h->model);
    core_string_vector_free (&h->workloads);
    core_double_vector_reset (&h->series.cpu_mhz);
  }
  core_plan_host_vector_reset (&plan->hosts);
  for (size_t i = 0; i < plan->workloads.len; i++) {
    struct core_plan_workload *w = &plan->workloads.ptr[i];
    free (w->name);
    free (w->host);
    core_string_vector_free (&w->passthrough);
    core_string_vector_free (&w->reasons);
    plan_server_clear (&w->server);
  }
  core_plan_workload_vector_reset (&plan->workloads);
  for (size_t i = 0; i < plan->unplaced.len; i++) {
    free (plan->unplaced.ptr[i].name);
    free (plan->unplaced.ptr[i].reason);
  }
  core_plan_unplaced_vector_reset (&plan->unplaced);
  for (size_t i = 0; i < plan->models.len; i++)
    free (plan->models.ptr[i].model);
  core_host_model_vector_reset (&plan->models);
  free (plan->sizing.interval);
  core_string_vector_free (&plan->sizing.virt);
  core_string_vector_free (&plan->sizing.iommu);
  core_string_vector_free (&plan->sizing.reasons);
  for (size_t i = 0; i < plan->growth.hosts.len; i++) {
    free (plan->growth.hosts.ptr[i].host);
    core_double_vector_reset (&plan->growth.hosts.ptr[i].peak_pct);
  }
  core_plan_growth_host_vector_reset (&plan->growth.hosts);
  core_string_vector_free (&plan->growth.reasons);
  core_plan_init (plan);
}

void
core_cleanup_plan (struct core_plan *plan)
{
  core_plan_clear (plan);
}

/* Equality ---------------------------------------------------------- */

static bool
str_eq (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp (a, b) == 0;
}

static bool
series_eq (const core_double_vector *a, const core_double_vector *b)
{
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++)
    if (a->ptr[i] != b->ptr[i])
      return false;
  return true;
}

static bool
strings_eq (const core_string_vector *a, const core_string_vector *b)
{
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++)
    if (!str_eq (a->ptr[i], b->ptr[i]))
      return false;
  return true;
}

bool
core_profile_equal (const struct core_profile *a, const struct core_profile *b)
{
  return core_schema_equal (&core_profile_table, a, b);
}

static bool
models_eq (const core_host_model_vector *a, const core_host_model_vector *b)
{
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++)
    if (!core_schema_equal (&core_host_model_table, &a->ptr[i], &b->ptr[i]))
      return false;
  return true;
}

bool
core_hosts_equal (const struct core_hosts *a, const struct core_hosts *b)
{
  return models_eq (&a->models, &b->models);
}

static bool
server_eq (const struct core_plan_server *x, const struct core_plan_server *y)
{
  if (x->given != y->given)
    return false;
  if (!x->given)
    return true;
  return str_eq (x->machine, y->machine) && x->cores == y->cores
    && x->mhz == y->mhz && x->memory_mib == y->memory_mib
    && x->virt == y->virt && x->firmware == y->firmware
    && strings_eq (&x->disks, &y->disks) && x->disk_gib == y->disk_gib
    && x->used_gib == y->used_gib
    && str_eq (x->os, y->os) && x->family == y->family
    && str_eq (x->role, y->role) && str_eq (x->group, y->group)
    && strings_eq (&x->services, &y->services) && x->watts == y->watts;
}

bool
core_policy_equal (const struct core_policy *a, const struct core_policy *b)
{
  return core_schema_equal (&core_policy_table, a, b);
}

static bool
dim_eq (const struct core_size_dim *a, const struct core_size_dim *b)
{
  return a->need == b->need && a->spec == b->spec;
}

static bool
runs_out_eq (const struct core_runs_out *a, const struct core_runs_out *b)
{
  return a->month == b->month && (a->month == CORE_UNSET || a->resource == b->resource);
}

static bool
sizing_eq (const struct core_plan_sizing *a, const struct core_plan_sizing *b)
{
  if (a->given != b->given)
    return false;
  if (!a->given)
    return true;
  return a->hosts == b->hosts && a->spare_hosts == b->spare_hosts
    && a->core_mhz == b->core_mhz && dim_eq (&a->cores, &b->cores)
    && dim_eq (&a->memory_gib, &b->memory_gib) && dim_eq (&a->disk_gb, &b->disk_gb)
    && dim_eq (&a->disk_iops, &b->disk_iops) && dim_eq (&a->net_mbps, &b->net_mbps)
    && dim_eq (&a->nic_ports, &b->nic_ports) && a->port_mbps == b->port_mbps
    && a->binding == b->binding && str_eq (a->interval, b->interval)
    && a->binding_pct == b->binding_pct
    && strings_eq (&a->virt, &b->virt) && strings_eq (&a->iommu, &b->iommu)
    && a->has_runs_out == b->has_runs_out
    && (!a->has_runs_out || runs_out_eq (&a->runs_out, &b->runs_out))
    && strings_eq (&a->reasons, &b->reasons);
}

static bool
growth_eq (const struct core_plan_growth *a, const struct core_plan_growth *b)
{
  if (a->given != b->given)
    return false;
  if (!a->given)
    return true;
  if (a->pct != b->pct || a->years != b->years || a->hosts.len != b->hosts.len
      || !strings_eq (&a->reasons, &b->reasons))
    return false;
  for (size_t i = 0; i < a->hosts.len; i++) {
    const struct core_plan_growth_host *x = &a->hosts.ptr[i], *y = &b->hosts.ptr[i];
    if (!str_eq (x->host, y->host) || !runs_out_eq (&x->runs_out, &y->runs_out)
        || !series_eq (&x->peak_pct, &y->peak_pct))
      return false;
  }
  return true;
}

bool
core_plan_equal (const struct core_plan *a, const struct core_plan *b)
{
  if (!sizing_eq (&a->sizing, &b->sizing) || !growth_eq (&a->growth, &b->growth))
    return false;
  if (memcmp (&a->summary, &b->summary, sizeof a->summary) != 0
      || !core_policy_equal (&a->policy, &b->policy)
      || !models_eq (&a->models, &b->models)
      || a->hosts.len != b->hosts.len || a->workloads.len != b->workloads.len
      || a->unplaced.len != b->unplaced.len)
    return false;
  for (size_t i = 0; i < a->hosts.len; i++) {
    const struct core_plan_host *x = &a->hosts.ptr[i], *y = &b->hosts.ptr[i];
    if (!str_eq (x->name, y->name) || !str_eq (x->model, y->model)
        || x->hypervisor != y->hypervisor || x->spare != y->spare
        || !strings_eq (&x->workloads, &y->workloads)
        || memcmp (&x->peak, &y->peak, sizeof x->peak) != 0
        || !series_eq (&x->series.cpu_mhz, &y->series.cpu_mhz)
        || (x->series.cpu_mhz.len && x->series.interval_s != y->series.interval_s))
      return false;
  }
  for (size_t i = 0; i < a->workloads.len; i++) {
    const struct core_plan_workload *x = &a->workloads.ptr[i];
    const struct core_plan_workload *y = &b->workloads.ptr[i];
    if (!str_eq (x->name, y->name) || !str_eq (x->host, y->host)
        || x->mode != y->mode || x->vcpus != y->vcpus
        || x->memory_mib != y->memory_mib
        || memcmp (&x->demand, &y->demand, sizeof x->demand) != 0
        || !strings_eq (&x->passthrough, &y->passthrough)
        || !strings_eq (&x->reasons, &y->reasons)
        || !server_eq (&x->server, &y->server))
      return false;
  }
  for (size_t i = 0; i < a->unplaced.len; i++)
    if (!str_eq (a->unplaced.ptr[i].name, b->unplaced.ptr[i].name)
        || !str_eq (a->unplaced.ptr[i].reason, b->unplaced.ptr[i].reason))
      return false;
  return true;
}

const struct core_host_model *
core_find_host_model (const core_host_model_vector *v, const char *model)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i].model, model) == 0)
      return &v->ptr[i];
  return NULL;
}
