/* What the collecting machine adds to a profile: the libosinfo short-id
 * (libosinfo and GLib cannot be linked into the static agent) and PCI
 * names for servers without a pci.ids of their own. */
#include <string.h>

#include "inventory/inventory.h"

/* The id from the distribution's name ("Oracle Linux Server 6.10",
 * "Scientific Linux 6.4"), when its file gave no id libosinfo knows. */
static int
resolve_by_name (struct core_os *os)
{
  struct core_osinfo info;
  int r;

  if (os->name == NULL)
    return 0;
  r = core_osinfo_lookup (os->name, &info);
  if (r == 1) {
    os->id = info.id;
    info.id = NULL;
  }
  core_osinfo_clear (&info);
  return r == -1 ? -1 : 0;
}

int
inv_resolve_os_id (struct core_os *os, const struct core_notify *notify)
{
  struct core_osinfo info;
  CLEANUP_FREE char *major = NULL, *cand = NULL;
  const char *tries[2];
  char *dot;
  int r = 0;

  if (os->id == NULL)
    return resolve_by_name (os);
  /* The agent's candidate is ID + VERSION_ID ("rocky9.3"); libosinfo may
   * know the release only by its major version ("rocky9"). */
  tries[0] = os->id;
  tries[1] = NULL;
  dot = strchr (os->id, '.');
  if (dot) {
    major = core_strndup (os->id, dot - os->id);
    if (major == NULL)
      return -1;
    tries[1] = major;
  }
  for (int i = 0; i < 2 && tries[i]; i++) {
    r = core_osinfo_lookup (tries[i], &info);
    if (r == -1)
      return -1;
    if (r == 1) {
      free (os->id);
      os->id = info.id;
      info.id = NULL;
      core_osinfo_clear (&info);
      return 0;
    }
  }
  /* "rhel4" from "Red Hat Enterprise Linux ES release 4 (Nahant Update
   * 8)": the name may still be one libosinfo knows. */
  cand = os->id;
  os->id = NULL;
  r = resolve_by_name (os);
  if (r != 0 || os->id)
    return r;
  core_notice (notify, CORE_NOTICE_WARNING, "libosinfo does not know '%s'; "
               "os.id is left out (osinfo-db may be older than the server's "
               "OS)", tries[0]);
  return 0;
}

int
inv_fill_pci_names (core_pci_vector *pci)
{
  size_t n = 0;
  FILE *fp = NULL;

  for (size_t i = 0; i < pci->len; i++)
    if (pci->ptr[i].name == NULL && pci->ptr[i].vendor && pci->ptr[i].device
        && strncmp (pci->ptr[i].address ? pci->ptr[i].address : "", "usb:", 4) != 0)
      n++;
  if (n == 0)
    return 0;
  for (int i = 0; inv_pciids_paths[i] && fp == NULL; i++)
    fp = fopen (inv_pciids_paths[i], "re");
  if (fp == NULL)
    return 0;                   /* no database here either */
  return inv_pciids_name (fp, pci, NULL, NULL, NULL);
}
