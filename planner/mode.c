/* Full virtualization or paravirtualization, per workload and per host
 * type (a catalog model running one hypervisor).  The rule table is in
 * docs/planner.md; every decision comes with a sentence for `reasons`.
 */
#include <string.h>

#include "planner/planner.h"

/* Linux kernels have had virtio and the Xen PV front-ends since 2.6.25;
 * Red Hat backported both to RHEL 5.3 (and so its rebuilds).  CORE_UNSET
 * when neither the id nor the kernel tells. */
static int
linux_pv_from_kernel (const char *kernel, const char *id)
{
  int a = 0, b = 0, c = 0;

  if (id) {
    int major = 0, minor = 0;
    if ((sscanf (id, "rhel%d.%d", &major, &minor) == 2
         || sscanf (id, "centos%d.%d", &major, &minor) == 2
         || sscanf (id, "ol%d.%d", &major, &minor) == 2
         || sscanf (id, "oel%d.%d", &major, &minor) == 2)
        && (major > 5 || (major == 5 && minor >= 3)))
      return CORE_PV_VIRTIO | CORE_PV_XEN;
  }
  if (kernel && sscanf (kernel, "%d.%d.%d", &a, &b, &c) >= 2) {
    if (a > 2 || (a == 2 && b > 6) || (a == 2 && b == 6 && c >= 25))
      return CORE_PV_VIRTIO | CORE_PV_XEN;
    return 0;
  }
  return CORE_UNSET;
}

void
plan_guest_resolve (const struct core_profile *p, struct plan_guest *g)
{
  struct core_osinfo info = { 0 };
  int found = 0, table = CORE_UNSET;

  memset (g, 0, sizeof *g);
  g->family = p->os.family;
  g->os_label = p->os.name ? p->os.name : p->os.id ? p->os.id : "an unknown OS";
  if (p->os.id || p->os.name)
    found = core_osinfo_lookup (p->os.id ? p->os.id : p->os.name, &info);
  if (found == 1 && g->family == CORE_OS_UNSET)
    g->family = info.family;
  g->os_known = found == 1;
  if (g->family == CORE_OS_LINUX)
    table = linux_pv_from_kernel (p->os.kernel, p->os.id ? p->os.id
                                  : found == 1 ? info.id : NULL);

  /* libosinfo lists no Xen front-ends for any OS: the Xen bit comes from
   * the profile or p2vkit's table, or stays unknown. */
  if (p->os.pv_drivers != CORE_UNSET) {
    g->pv = p->os.pv_drivers;
    g->pv_source = "the profile";
    g->pv_known = g->xen_known = true;
  }
  else if (found == 1 && info.pv_drivers != CORE_UNSET) {
    g->pv = info.pv_drivers;
    g->pv_source = "libosinfo";
    g->pv_known = true;
    if (table != CORE_UNSET) {
      g->pv = (g->pv & ~CORE_PV_XEN) | (table & CORE_PV_XEN);
      g->xen_known = true;
    }
  }
  else if (table != CORE_UNSET) {
    g->pv = table;
    g->pv_source = "p2vkit's table";
    g->pv_known = g->xen_known = true;
  }
  else {
    g->pv = 0;
    g->pv_source = "nothing";
  }

  /* What the converter can do for this Windows release decides between
   * paravirtualization and full virtualization (converter/registry.c). */
  if (g->family == CORE_OS_WINDOWS) {
    const char *id = p->os.id ? p->os.id : found == 1 ? info.id : NULL;
    struct core_win_version v;
    g->win_known = core_win_version_from_osinfo (id, &v)
      || (found == 1 && core_win_version_from_osinfo (info.id, &v));
    g->win_pv = g->win_known ? (int) core_win_pv_supported (&v) : CORE_WIN_PV_NONE;
    g->virtio_win = g->win_pv == CORE_WIN_PV_CURRENT;
  }
  core_osinfo_clear (&info);
}

/* The first device the workload cannot run without, or NULL. */
static const struct core_pci *
passthrough_device (const struct core_profile *p)
{
  for (size_t i = 0; i < p->hardware.pci.len; i++)
    if (p->hardware.pci.ptr[i].passthrough)
      return &p->hardware.pci.ptr[i];
  return NULL;
}

int
plan_mode_on (const struct core_profile *p, const struct plan_guest *g,
              const struct core_host_model *m, unsigned hypervisor,
              const struct core_policy *pol, char *why, size_t whylen)
{
  const struct core_pci *dev = passthrough_device (p);
  const char *os = g->os_label;
  const char *hv = hypervisor == CORE_HV_KVM ? "KVM" : "Xen";

  if (dev) {
    const char *name = dev->name ? dev->name : dev->address;
    if (!pol->allow_passthrough) {
      snprintf (why, whylen, "It needs its %s passed through, and the policy "
                "does not allow passthrough.", name);
      return -1;
    }
    if (!m->iommu) {
      snprintf (why, whylen, "It needs its %s passed through, which needs a "
                "host with an IOMMU; model %s has none.", name, m->model);
      return -1;
    }
  }
  if (hypervisor == CORE_HV_KVM) {
    if (m->virt == CORE_VIRT_NONE) {
      snprintf (why, whylen, "KVM needs hardware virtualization, which model "
                "%s lacks.", m->model);
      return -1;
    }
    if ((g->family == CORE_OS_LINUX || g->family == CORE_OS_BSD)
        && (g->pv & CORE_PV_VIRTIO)) {
      snprintf (why, whylen, "%s has virtio drivers (per %s), so it runs "
                "paravirtualized on KVM.", os, g->pv_source);
      return CORE_MODE_PARAVIRT;
    }
    if (g->family == CORE_OS_WINDOWS && g->virtio_win && pol->windows_pv_drivers) {
      snprintf (why, whylen, "virtio-win has drivers for %s and the converter "
                "installs them (viostor as the boot disk's driver, NetKVM at "
                "first boot), so it runs paravirtualized on KVM.", os);
      return CORE_MODE_PARAVIRT;
    }
    if (g->family == CORE_OS_WINDOWS && g->virtio_win)
      snprintf (why, whylen, "virtio-win has drivers for %s but the policy does "
                "not use them (windows_pv_drivers: false), so it runs fully "
                "virtualized on KVM with emulated disk and network.", os);
    else if (g->family == CORE_OS_WINDOWS && g->win_pv == CORE_WIN_PV_LEGACY)
      snprintf (why, whylen, "Current virtio-win releases have no drivers for "
                "%s (only withdrawn ones had), so it runs fully virtualized on "
                "KVM with emulated IDE disk and e1000 network; the converter "
                "makes Windows' own IDE drivers start at boot.", os);
    else if (g->family == CORE_OS_WINDOWS && g->win_known)
      snprintf (why, whylen, "No virtio drivers were ever made for %s, so it "
                "runs fully virtualized on KVM with emulated IDE disk and "
                "e1000 network; the converter makes Windows' own IDE drivers "
                "start at boot.", os);
    else if (g->family == CORE_OS_WINDOWS)
      snprintf (why, whylen, "p2vkit does not know which Windows release %s "
                "is, so it cannot choose virtio drivers for it: it runs fully "
                "virtualized on KVM with emulated disk and network.", os);
    else if (!g->os_known)
      snprintf (why, whylen, "OS not recognised: libosinfo does not know "
                "'%s', so whether it has virtio drivers is unknown; it is "
                "assumed to need full virtualization and runs fully "
                "virtualized on KVM with emulated disk and network (give os "
                "as a libosinfo id such as ubuntu18.04 to decide).", os);
    else if (!g->pv_known)
      snprintf (why, whylen, "Whether %s has virtio drivers is unknown "
                "(libosinfo lists none of its devices and no kernel version "
                "is known); it is assumed to need full virtualization and "
                "runs fully virtualized on KVM with emulated disk and network "
                "(an inventory of the server decides).", os);
    else
      snprintf (why, whylen, "%s has no virtio drivers (per %s), so it runs "
                "fully virtualized on KVM with emulated disk and network.",
                os, g->pv_source);
    return CORE_MODE_FULL;
  }

  /* Xen: PV guests need no hardware virtualization; HVM guests do. */
  if (g->family == CORE_OS_LINUX && (g->pv & CORE_PV_XEN)) {
    snprintf (why, whylen, "%s has the Xen PV front-ends (per %s), so it runs "
              "paravirtualized on Xen.", os, g->pv_source);
    return CORE_MODE_PARAVIRT;
  }
  if (m->virt == CORE_VIRT_NONE) {
    snprintf (why, whylen, "%s %s, and model %s has no hardware "
              "virtualization for a fully virtualized (HVM) guest.", os,
              g->xen_known || g->family == CORE_OS_WINDOWS
              ? "cannot run paravirtualized on Xen"
              : "is not known to have the Xen PV front-ends", m->model);
    return -1;
  }
  if (g->xen_known || g->family == CORE_OS_WINDOWS)
    snprintf (why, whylen, "%s has no Xen PV front-ends, so it runs fully "
              "virtualized (HVM) on %s.", os, hv);
  else
    snprintf (why, whylen, "Whether %s has the Xen PV front-ends is unknown "
              "(libosinfo does not list them%s), so it runs fully "
              "virtualized (HVM) on %s.", os,
              g->os_known ? "" : ", and does not know this OS", hv);
  return CORE_MODE_FULL;
}
