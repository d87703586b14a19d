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
  core_schema_init (&core_plan_table, plan);
  /* The policy's two overheads share one table, so their defaults are
   * set by hand. */
  core_policy_defaults (&plan->policy);
}

void
core_plan_server_init (struct core_plan_server *s)
{
  const struct core_field *w = core_schema_field (&core_plan_table, "workloads");

  core_schema_init (core_schema_field (w->sub, "server")->sub, s);
}

void
core_plan_clear (struct core_plan *plan)
{
  if (plan == NULL)
    return;
  free (plan->source);
  core_schema_free (&core_plan_table, plan);
  core_plan_init (plan);
}

void
core_cleanup_plan (struct core_plan *plan)
{
  core_plan_clear (plan);
}

/* Equality ---------------------------------------------------------- */

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

bool
core_policy_equal (const struct core_policy *a, const struct core_policy *b)
{
  return core_schema_equal (&core_policy_table, a, b);
}

bool
core_plan_equal (const struct core_plan *a, const struct core_plan *b)
{
  return core_schema_equal (&core_plan_table, a, b);
}

const struct core_host_model *
core_find_host_model (const core_host_model_vector *v, const char *model)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i].model, model) == 0)
      return &v->ptr[i];
  return NULL;
}
