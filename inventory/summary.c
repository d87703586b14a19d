/* One line per profile, for a person to check what was collected before
 * planning: size, the 95th percentiles of its samples, and a hint of the
 * mode it may run in. */
#include <math.h>
#include <string.h>

#include "inventory/inventory.h"

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

double
inv_percentile (const core_double_vector *v, double pct)
{
  double *sorted;
  size_t rank;
  double r;

  if (v->len == 0 || pct <= 0 || pct > 100)
    return CORE_UNSET;
  sorted = malloc (v->len * sizeof *sorted);
  if (sorted == NULL)
    return CORE_UNSET;
  memcpy (sorted, v->ptr, v->len * sizeof *sorted);
  qsort (sorted, v->len, sizeof *sorted, compare_doubles);
  /* Nearest rank: the smallest value with at least PCT% of the samples
   * at or below it. */
  rank = (size_t) ceil (pct / 100 * v->len);
  if (rank < 1)
    rank = 1;
  r = sorted[rank - 1];
  free (sorted);
  return r;
}

int
inv_summarize (const struct core_profile *p, struct inv_summary *out)
{
  const struct core_utilization *u = &p->utilization;
  bool passthrough = false;
  const char *mode;

  memset (out, 0, sizeof *out);
  out->cores = p->hardware.cpu.cores;
  out->memory_mib = p->hardware.memory_mib;
  out->disk_gib = CORE_UNSET;
  for (size_t i = 0; i < p->hardware.disks.len; i++)
    if (p->hardware.disks.ptr[i].size_bytes != CORE_UNSET) {
      if (out->disk_gib == CORE_UNSET)
        out->disk_gib = 0;
      out->disk_gib += p->hardware.disks.ptr[i].size_bytes / 1073741824.0;
    }
  out->cpu_p95 = inv_percentile (&u->cpu_pct, 95);
  out->mem_p95_mib = inv_percentile (&u->mem_used_mib, 95);
  out->iops_p95 = inv_percentile (&u->disk_iops, 95);
  for (size_t i = 0; i < p->hardware.pci.len; i++)
    passthrough |= p->hardware.pci.ptr[i].passthrough;

  /* The hint: paravirtual when the OS already has the drivers, full
   * virtualization when it is known to have none, "?" when unknown; and
   * a device to pass through says so. */
  if (p->os.pv_drivers == CORE_UNSET)
    mode = "?";
  else if (p->os.pv_drivers & CORE_PV_VIRTIO)
    mode = "paravirt";
  else if (p->os.pv_drivers & CORE_PV_XEN)
    mode = "paravirt-xen";
  else
    mode = "full";
  out->name = core_strdup (p->name);
  out->os = core_strdup (p->os.id ? p->os.id : p->os.name ? p->os.name : "?");
  out->hint = core_sprintf ("%s%s", mode, passthrough ? "+passthrough" : "");
  if (out->name == NULL || out->os == NULL || out->hint == NULL) {
    inv_summary_clear (out);
    return -1;
  }
  return 0;
}

void
inv_summary_clear (struct inv_summary *s)
{
  if (s == NULL)
    return;
  free (s->name);
  free (s->os);
  free (s->hint);
  s->name = s->os = s->hint = NULL;
}
