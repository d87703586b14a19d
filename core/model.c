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
  struct core_profile *p = calloc (1, sizeof *p);

  if (p == NULL) {
    core_error ("out of memory");
    return NULL;
  }
  p->hardware.cpu.sockets = p->hardware.cpu.cores = CORE_UNSET;
  p->hardware.cpu.threads = CORE_UNSET;
  p->hardware.cpu.mhz = CORE_UNSET;
  p->hardware.memory_mib = CORE_UNSET;
  p->hardware.watts = CORE_UNSET;
  p->growth_pct = CORE_UNSET;
  p->os.pv_drivers = CORE_UNSET;
  p->utilization.interval_s = CORE_UNSET;
  return p;
}

void
core_profile_free (struct core_profile *p)
{
  if (p == NULL)
    return;
  free (p->source);
  free (p->name);
  free (p->collected_at);
  free (p->role);
  free (p->group);
  core_string_vector_free (&p->anti_affinity);
  free (p->hardware.vendor);
  free (p->hardware.product);
  free (p->hardware.cpu.model);
  for (size_t i = 0; i < p->hardware.disks.len; i++) {
    free (p->hardware.disks.ptr[i].name);
    free (p->hardware.disks.ptr[i].model);
  }
  core_disk_vector_reset (&p->hardware.disks);
  for (size_t i = 0; i < p->hardware.filesystems.len; i++) {
    struct core_filesystem *f = &p->hardware.filesystems.ptr[i];
    free (f->mount);
    free (f->device);
    free (f->type);
  }
  core_filesystem_vector_reset (&p->hardware.filesystems);
  for (size_t i = 0; i < p->hardware.nics.len; i++) {
    struct core_nic *n = &p->hardware.nics.ptr[i];
    free (n->name);
    free (n->mac);
    free (n->driver);
  }
  core_nic_vector_reset (&p->hardware.nics);
  for (size_t i = 0; i < p->hardware.pci.len; i++) {
    struct core_pci *d = &p->hardware.pci.ptr[i];
    free (d->address);
    free (d->vendor);
    free (d->device);
    free (d->class_);
    free (d->driver);
    free (d->name);
  }
  core_pci_vector_reset (&p->hardware.pci);
  free (p->os.id);
  free (p->os.name);
  free (p->os.kernel);
  free (p->os.arch);
  for (size_t i = 0; i < p->services.len; i++)
    free (p->services.ptr[i].name);
  core_service_vector_reset (&p->services);
  core_double_vector_reset (&p->utilization.cpu_pct);
  core_double_vector_reset (&p->utilization.mem_used_mib);
  core_double_vector_reset (&p->utilization.disk_iops);
  core_double_vector_reset (&p->utilization.disk_mbps);
  core_double_vector_reset (&p->utilization.net_mbps);
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
  const struct core_hardware *ha = &a->hardware, *hb = &b->hardware;

  if (!str_eq (a->name, b->name) || !str_eq (a->collected_at, b->collected_at)
      || !str_eq (a->role, b->role) || !str_eq (a->group, b->group)
      || !strings_eq (&a->anti_affinity, &b->anti_affinity)
      || a->growth_pct != b->growth_pct)
    return false;
  if (!str_eq (ha->vendor, hb->vendor) || !str_eq (ha->product, hb->product)
      || ha->firmware != hb->firmware
      || !str_eq (ha->cpu.model, hb->cpu.model)
      || ha->cpu.sockets != hb->cpu.sockets || ha->cpu.cores != hb->cpu.cores
      || ha->cpu.threads != hb->cpu.threads || ha->cpu.mhz != hb->cpu.mhz
      || ha->cpu.virt != hb->cpu.virt || ha->memory_mib != hb->memory_mib
      || ha->watts != hb->watts)
    return false;
  if (ha->disks.len != hb->disks.len
      || ha->filesystems.len != hb->filesystems.len
      || ha->nics.len != hb->nics.len || ha->pci.len != hb->pci.len)
    return false;
  for (size_t i = 0; i < ha->disks.len; i++) {
    const struct core_disk *x = &ha->disks.ptr[i], *y = &hb->disks.ptr[i];
    if (!str_eq (x->name, y->name) || x->size_bytes != y->size_bytes
        || !str_eq (x->model, y->model) || x->rotational != y->rotational)
      return false;
  }
  for (size_t i = 0; i < ha->filesystems.len; i++) {
    const struct core_filesystem *x = &ha->filesystems.ptr[i];
    const struct core_filesystem *y = &hb->filesystems.ptr[i];
    if (!str_eq (x->mount, y->mount) || !str_eq (x->device, y->device)
        || !str_eq (x->type, y->type) || x->size_bytes != y->size_bytes
        || x->used_bytes != y->used_bytes)
      return false;
  }
  for (size_t i = 0; i < ha->nics.len; i++) {
    const struct core_nic *x = &ha->nics.ptr[i], *y = &hb->nics.ptr[i];
    if (!str_eq (x->name, y->name) || !str_eq (x->mac, y->mac)
        || x->speed_mbps != y->speed_mbps || !str_eq (x->driver, y->driver))
      return false;
  }
  for (size_t i = 0; i < ha->pci.len; i++) {
    const struct core_pci *x = &ha->pci.ptr[i], *y = &hb->pci.ptr[i];
    if (!str_eq (x->address, y->address) || !str_eq (x->vendor, y->vendor)
        || !str_eq (x->device, y->device) || !str_eq (x->class_, y->class_)
        || !str_eq (x->driver, y->driver) || !str_eq (x->name, y->name)
        || x->passthrough != y->passthrough)
      return false;
  }
  if (a->os.family != b->os.family || !str_eq (a->os.id, b->os.id)
      || !str_eq (a->os.name, b->os.name)
      || !str_eq (a->os.kernel, b->os.kernel)
      || !str_eq (a->os.arch, b->os.arch)
      || a->os.pv_drivers != b->os.pv_drivers)
    return false;
  if (a->services.len != b->services.len)
    return false;
  for (size_t i = 0; i < a->services.len; i++) {
    const struct core_service *x = &a->services.ptr[i], *y = &b->services.ptr[i];
    if (!str_eq (x->name, y->name) || x->proto != y->proto || x->port != y->port)
      return false;
  }
  return a->utilization.interval_s == b->utilization.interval_s
    && series_eq (&a->utilization.cpu_pct, &b->utilization.cpu_pct)
    && series_eq (&a->utilization.mem_used_mib, &b->utilization.mem_used_mib)
    && series_eq (&a->utilization.disk_iops, &b->utilization.disk_iops)
    && series_eq (&a->utilization.disk_mbps, &b->utilization.disk_mbps)
    && series_eq (&a->utilization.net_mbps, &b->utilization.net_mbps);
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
