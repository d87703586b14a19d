/* Windows releases: a libosinfo short-id as the NT version the registry
 * names, and what virtio-win builds for each.  The planner decides a
 * workload's mode from these and the converter installs by them, so both
 * read the same facts.
 */
#include <string.h>

#include "core.h"

static const struct {
  const char *id;
  int major, minor, build;
  bool server;
} osinfo_ids[] = {
  { "win2k", 5, 0, 2195, false }, { "winxp", 5, 1, 2600, false },
  { "win2k3", 5, 2, 3790, true }, { "win2k3r2", 5, 2, 3790, true },
  { "winvista", 6, 0, 6002, false }, { "win2k8", 6, 0, 6002, true },
  { "win7", 6, 1, 7601, false }, { "win2k8r2", 6, 1, 7601, true },
  { "win8", 6, 2, 9200, false }, { "win2k12", 6, 2, 9200, true },
  { "win8.1", 6, 3, 9600, false }, { "win2k12r2", 6, 3, 9600, true },
  { "win10", 10, 0, 10240, false }, { "win2k16", 10, 0, 14393, true },
  { "win2k19", 10, 0, 17763, true }, { "win2k22", 10, 0, 20348, true },
  { "win11", 10, 0, 22000, false }, { "win2k25", 10, 0, 26100, true },
};

bool
core_win_version_from_osinfo (const char *id, struct core_win_version *v)
{
  memset (v, 0, sizeof *v);
  for (size_t i = 0; id && i < sizeof osinfo_ids / sizeof osinfo_ids[0]; i++)
    if (strcmp (id, osinfo_ids[i].id) == 0) {
      v->major = osinfo_ids[i].major;
      v->minor = osinfo_ids[i].minor;
      v->build = osinfo_ids[i].build;
      v->server = osinfo_ids[i].server;
      return true;
    }
  return false;
}

/* Current virtio-win releases build for Vista/2008 onward; XP and 2003
 * drivers were in releases that are withdrawn; Windows 2000 and older
 * never had any. */
enum core_win_pv
core_win_pv_supported (const struct core_win_version *v)
{
  if (v->major >= 6)
    return CORE_WIN_PV_CURRENT;
  if (v->major == 5 && v->minor >= 1)
    return CORE_WIN_PV_LEGACY;
  return CORE_WIN_PV_NONE;
}

const char *
core_win_virtio_dir (const struct core_win_version *v)
{
  int ver = v->major * 10 + v->minor;

  if (ver == 51)
    return "xp";
  if (ver == 52)
    return v->server ? "2k3" : "xp";
  if (ver == 60)
    return v->server ? "2k8" : "vista";
  if (ver == 61)
    return v->server ? "2k8R2" : "w7";
  if (ver == 62)
    return v->server ? "2k12" : "w8";
  if (ver == 63)
    return v->server ? "2k12R2" : "w8.1";
  if (v->major == 10 && !v->server)
    return v->build >= 22000 ? "w11" : "w10";
  if (v->major == 10)
    return v->build >= 26100 ? "2k25" : v->build >= 20348 ? "2k22"
      : v->build >= 17763 ? "2k19" : "2k16";
  return NULL;
}

const char *
core_win_virtio_dir_old (const struct core_win_version *v)
{
  int ver = v->major * 10 + v->minor;
  return ver == 51 ? "wxp" : ver == 52 ? "wnet" : ver == 60 ? "wlh" : NULL;
}
