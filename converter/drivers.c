/* The drivers a Windows guest needs to boot on KVM: which files each mode
 * needs, where to find the ones that are missing (dllcache, the driver
 * cache's cabinets, the DriverStore, virtio-win), and their services and
 * device IDs in the SYSTEM hive.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "converter/converter.h"

#define HDC_CLASS "{4D36E96A-E325-11CE-BFC1-08002BE10318}"
#define SCSI_CLASS "{4D36E97B-E325-11CE-BFC1-08002BE10318}"

/* A boot-start storage service. */
struct service {
  const char *name, *group, *file;
};

/* What each mode needs of a release. */
struct need {
  struct service services[5];   /* set to boot start */
  const char *files[8];         /* in System32\drivers */
  struct cdd { const char *key, *service, *cls; } cdd[12];
  const char *override;         /* service whose StartOverride goes */
};

static void
full_needs (const struct core_win_version *v, struct need *n)
{
  int ver = v->major * 10 + v->minor;
  size_t s = 0, f = 0, c = 0;

  memset (n, 0, sizeof *n);
  n->services[s++] = (struct service) { "atapi", "SCSI miniport", "atapi.sys" };
  n->services[s++] = (struct service) { "intelide", "System Bus Extender", "intelide.sys" };
  n->services[s++] = (struct service) { "pciide", "System Bus Extender", "pciide.sys" };
  n->files[f++] = "atapi.sys";
  n->files[f++] = "intelide.sys";
  n->files[f++] = "pciide.sys";
  n->files[f++] = "pciidex.sys";     /* the library intelide and pciide use */
  if (ver >= 60) {
    n->files[f++] = "ataport.sys";
    if (ver >= 62) {
      n->services[s++] = (struct service) { "storahci", "SCSI miniport", "storahci.sys" };
      n->files[f++] = "storahci.sys";
      n->files[f++] = "storport.sys";
      /* Windows 8 and later set StartOverride on AHCI when it was not
       * the boot controller; it would keep storahci from starting. */
      n->override = "storahci";
    }
    else {
      n->services[s++] = (struct service) { "msahci", "SCSI miniport", "msahci.sys" };
      n->files[f++] = "msahci.sys";
    }
  }
  /* Windows 8 replaced the CriticalDeviceDatabase with the DriverDatabase,
   * where its in-box controllers are already listed. */
  if (ver >= 62)
    return;
  n->cdd[c++] = (struct cdd) { "primary_ide_channel", "atapi", HDC_CLASS };
  n->cdd[c++] = (struct cdd) { "secondary_ide_channel", "atapi", HDC_CLASS };
  n->cdd[c++] = (struct cdd) { "*pnp0600", "atapi", HDC_CLASS };
  n->cdd[c++] = (struct cdd) { "pci#ven_8086&dev_7010", "intelide", HDC_CLASS }; /* PIIX3 */
  n->cdd[c++] = (struct cdd) { "pci#ven_8086&dev_7111", "intelide", HDC_CLASS }; /* PIIX4 */
  n->cdd[c++] = (struct cdd) { "pci#cc_0101", "pciide", HDC_CLASS };
  n->cdd[c++] = (struct cdd) { "gendisk", "disk", "{4D36E967-E325-11CE-BFC1-08002BE10318}" };
  if (ver >= 60) {
    n->cdd[c++] = (struct cdd) { "pci#cc_0106", "msahci", HDC_CLASS };
    n->cdd[c++] = (struct cdd) { "pci#ven_8086&dev_2922&cc_0106", "msahci", HDC_CLASS }; /* ICH9, q35 */
  }
}

/* virtio PCI IDs: transitional (1001/1004) and modern (1042/1048) devices. */
static const struct virtio_drv {
  const char *name, *desc;
  const char *ids[2];
} viostor_drv = {
  "viostor", "Red Hat VirtIO SCSI controller",
  { "VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01" },
}, vioscsi_drv = {
  "vioscsi", "Red Hat VirtIO SCSI pass-through controller",
  { "VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00", "VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01" },
};

static void
lower (char *s)
{
  for (; *s; s++)
    *s = tolower ((unsigned char) *s);
}


static int
name_cmp_desc (const void *a, const void *b)
{
  return -strcasecmp (*(char *const *) a, *(char *const *) b);
}

/* FILE from Windows\Driver Cache\ARCH\*.cab: service-pack cabinets
 * (sp2.cab) sort after driver.cab in reverse order, so the newest copy
 * wins.  Returns a local path, NULL with no error when absent. */
static char *
from_cabinets (struct conv_win_job *j, const char *file, char **where)
{
  const char *archdir = strcmp (j->g->ver.arch, "amd64") == 0 ? "amd64" : "i386";
  CLEANUP_FREE char *dir_want = core_sprintf ("Windows/Driver Cache/%s", archdir);
  CLEANUP_FREE char *dir = dir_want ? j->fs->resolve (j->fs->opaque, dir_want) : NULL;
  core_string_vector names = { 0 };
  char *found = NULL;

  if (!dir)
    return NULL;
  if (j->fs->list (j->fs->opaque, dir, &names) == -1)
    return NULL;
  qsort (names.ptr, names.len, sizeof *names.ptr, name_cmp_desc);
  for (size_t i = 0; !found && i < names.len; i++) {
    if (!core_ends_with_nocase (names.ptr[i], ".cab"))
      continue;
    CLEANUP_FREE char *cab = core_sprintf ("%s/%s", dir, names.ptr[i]);
    CLEANUP_FREE char *local = conv_win_scratch_name (j, "cab");
    CLEANUP_FREE char *out = conv_win_scratch_name (j, "x");
    CLEANUP_FREE char *listing = NULL;
    if (!cab || !local || !out || j->fs->download (j->fs->opaque, cab, local) == -1)
      break;
    char *ls[] = { "gcab", "-t", local, NULL };
    if (core_run (ls, &listing) != 0) {
      /* A cabinet gcab cannot read is skipped, not fatal: others may do. */
      unlink (local);
      continue;
    }
    char *save = NULL, *member = NULL;
    for (char *line = strtok_r (listing, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
      char *tab = strpbrk (line, "\t ");
      if (tab)
        *tab = '\0';
      if (strcasecmp (line, file) == 0)
        member = line;
    }
    if (member) {
      if (mkdir (out, 0700) == -1) {
        core_error_errno ("mkdir %s", out);
        unlink (local);
        break;
      }
      char *x[] = { "gcab", "-x", "-C", out, local, NULL };
      if (core_run (x, NULL) != 0) {
        unlink (local);
        break;
      }
      found = core_sprintf ("%s/%s", out, member);
      *where = core_sprintf ("%s\\%s", archdir, names.ptr[i]);
    }
    unlink (local);
  }
  core_string_vector_free (&names);
  return found;
}

/* FILE from DriverStore\FileRepository\*\FILE (Vista and later). */
static char *
from_driverstore (struct conv_win_job *j, const char *file, char **where)
{
  CLEANUP_FREE char *repo = j->fs->resolve (j->fs->opaque,
                                            "Windows/System32/DriverStore/FileRepository");
  core_string_vector names = { 0 };
  char *found = NULL;

  if (!repo || j->fs->list (j->fs->opaque, repo, &names) == -1)
    return NULL;
  qsort (names.ptr, names.len, sizeof *names.ptr, name_cmp_desc);
  for (size_t i = 0; !found && i < names.len; i++) {
    CLEANUP_FREE char *want = core_sprintf ("%s/%s/%s", repo, names.ptr[i], file);
    CLEANUP_FREE char *path = want ? j->fs->resolve (j->fs->opaque, want) : NULL;
    if (!path)
      continue;
    char *local = conv_win_scratch_name (j, file);
    if (!local || j->fs->download (j->fs->opaque, path, local) == -1) {
      free (local);
      break;
    }
    found = local;
    *where = core_sprintf ("DriverStore\\FileRepository\\%s", names.ptr[i]);
  }
  core_string_vector_free (&names);
  return found;
}

/* Make sure System32\drivers\FILE will be there: present, or restored
 * from dllcache, the driver cache's cabinets or the DriverStore. */
static int
need_driver_file (struct conv_win_job *j, const char *file, const char *forwhat)
{
  CLEANUP_FREE char *want = core_sprintf ("Windows/System32/drivers/%s", file);
  CLEANUP_FREE char *have = want ? j->fs->resolve (j->fs->opaque, want) : NULL;
  char *where = NULL, *local = NULL;

  if (!want)
    return -1;
  if (have)
    return 0;
  CLEANUP_FREE char *dc_want = core_sprintf ("Windows/System32/dllcache/%s", file);
  CLEANUP_FREE char *dc = dc_want ? j->fs->resolve (j->fs->opaque, dc_want) : NULL;
  if (dc) {
    local = conv_win_scratch_name (j, file);
    if (!local || j->fs->download (j->fs->opaque, dc, local) == -1) {
      free (local);
      return -1;
    }
    where = core_strdup ("System32\\dllcache");
  }
  if (!local)
    local = from_cabinets (j, file, &where);
  if (!local)
    local = from_driverstore (j, file, &where);
  if (!local) {
    core_error ("%s needs %s for %s: it is not in Windows\\System32\\drivers, "
                "and not in System32\\dllcache, the cabinets of Windows\\Driver Cache "
                "or the DriverStore; copy it there from the installation media and "
                "convert again", j->label, file, forwhat);
    return -1;
  }
  CLEANUP_FREE char *dir = j->fs->resolve (j->fs->opaque, "Windows/System32/drivers");
  CLEANUP_FREE char *dest = core_sprintf ("%s/%s", dir ? dir : "Windows/System32/drivers", file);
  return conv_win_put_add (j, local, dest,
                           core_sprintf ("restored Windows\\System32\\drivers\\%s from %s",
                                file, where ? where : "?")) == -1
    ? (free (where), -1) : (free (where), 0);
}

/* DRIVER's folder in the virtio-win tree for this release and arch:
 * DRIVER/OS/ARCH, with OS from core_win_virtio_dir or the older names. */
static char *
virtio_folder (struct conv_win_job *j, const char *driver, char **rel)
{
  const char *oses[2] = { core_win_virtio_dir (&j->g->ver), core_win_virtio_dir_old (&j->g->ver) };
  struct conv_win_fs tree;

  conv_win_fs_local (&tree, j->o->virtio_win);
  for (int i = 0; i < 2; i++) {
    if (!oses[i])
      continue;
    CLEANUP_FREE char *want = core_sprintf ("%s/%s/%s", driver, oses[i], j->g->ver.arch);
    CLEANUP_FREE char *r = want ? tree.resolve (tree.opaque, want) : NULL;
    if (r) {
      *rel = core_strdup (r);
      return core_sprintf ("%s/%s", j->o->virtio_win, r);
    }
  }
  return NULL;
}

/* Copy DRIVER's .sys to System32\drivers and its whole folder to
 * \p2vkit\drivers\DRIVER for the first boot.  REQUIRED: refuse without. */
static int
virtio_driver (struct conv_win_job *j, const char *driver, const char *sys, bool required,
               bool boot, bool *found)
{
  CLEANUP_FREE char *folder = core_strdup (driver);
  CLEANUP_FREE char *rel = NULL;
  CLEANUP_FREE char *dir = virtio_folder (j, driver, &rel);
  core_string_vector names = { 0 };
  char *lsys = NULL;

  *found = false;
  if (!dir) {
    if (!required)
      return 0;
    const char *os = core_win_virtio_dir (&j->g->ver);
    core_error ("%s: no %s driver for %s %s in the virtio-win tree %s "
                "(looked for %s/%s/%s)", j->o->virtio_win, driver, j->label,
                j->g->ver.arch, j->o->virtio_win, driver, os ? os : "?", j->g->ver.arch);
    return -1;
  }
  if (!folder)
    return -1;
  lower (folder);
  struct conv_win_fs lfs;
  conv_win_fs_local (&lfs, dir);
  if (lfs.list (lfs.opaque, "", &names) == -1)
    return -1;
  qsort (names.ptr, names.len, sizeof *names.ptr, name_cmp_desc);
  for (size_t i = 0; i < names.len; i++) {
    char *src = core_sprintf ("%s/%s", dir, names.ptr[i]);
    CLEANUP_FREE char *dest = core_sprintf (CONV_WIN_FIRSTBOOT_DIR "/drivers/%s/%s", folder,
                                            names.ptr[i]);
    struct stat st;
    if (!src || !dest || stat (src, &st) == -1 || !S_ISREG (st.st_mode)) {
      free (src);
      continue;
    }
    if (strcasecmp (names.ptr[i], sys) == 0)
      lsys = core_strdup (src);
    if (conv_win_put_add (j, src, dest, core_sprintf ("copied %s/%s to \\" CONV_WIN_FIRSTBOOT_DIR
                                             "\\drivers\\%s\\%s", rel, names.ptr[i],
                                             folder, names.ptr[i])) == -1) {
      core_string_vector_free (&names);
      free (lsys);
      return -1;
    }
  }
  core_string_vector_free (&names);
  if (!lsys) {
    if (!required)
      return 0;
    core_error ("%s/%s: no %s in this folder of the virtio-win tree", j->o->virtio_win,
                rel, sys);
    return -1;
  }
  *found = true;
  if (!boot) {
    free (lsys);
    return 0;
  }
  CLEANUP_FREE char *ddir = j->fs->resolve (j->fs->opaque, "Windows/System32/drivers");
  CLEANUP_FREE char *dest = core_sprintf ("%s/%s", ddir ? ddir : "Windows/System32/drivers", sys);
  return conv_win_put_add (j, lsys, dest, core_sprintf ("copied %s/%s to Windows\\System32\\drivers\\%s",
                                               rel, sys, sys));
}

static int
set_service (struct conv_hive *sys, const char *cs, const struct service *s, bool tag)
{
  CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\%s", cs, s->name);
  CLEANUP_FREE char *image = core_sprintf ("system32\\DRIVERS\\%s", s->file);

  if (!key || !image
      || conv_hive_set_dword (sys, key, "Type", 1) == -1
      || conv_hive_set_dword (sys, key, "Start", 0) == -1
      || conv_hive_set_dword (sys, key, "ErrorControl", 1) == -1
      || conv_hive_set_str (sys, key, "Group", hive_t_REG_SZ, s->group) == -1
      || conv_hive_set_str (sys, key, "ImagePath", hive_t_REG_EXPAND_SZ, image) == -1)
    return -1;
  /* As virt-v2v does: a tag inside the "SCSI miniport" group. */
  if (tag && conv_hive_set_dword (sys, key, "Tag", 0x21) == -1)
    return -1;
  return 0;
}

static int
set_cdd (struct conv_hive *sys, const char *cs, const char *id, const char *service,
         const char *cls)
{
  CLEANUP_FREE char *key = core_sprintf ("%s\\Control\\CriticalDeviceDatabase\\%s", cs, id);
  if (!key
      || conv_hive_set_str (sys, key, "Service", hive_t_REG_SZ, service) == -1
      || conv_hive_set_str (sys, key, "ClassGUID", hive_t_REG_SZ, cls) == -1)
    return -1;
  return 0;
}

/* The virtio storage driver DRV for the boot disk: a boot-start service,
 * and its PCI IDs in the CriticalDeviceDatabase (before Windows 8) or in
 * the DriverDatabase (8 and later), as virt-v2v registers viostor. */
static int
register_virtio (struct conv_win_job *j, struct conv_hive *sys, const struct virtio_drv *drv)
{
  const char *cs = j->g->controlset;
  struct service s = { drv->name, "SCSI miniport", NULL };
  CLEANUP_FREE char *file = core_sprintf ("%s.sys", drv->name);
  int ver = j->g->ver.major * 10 + j->g->ver.minor;

  s.file = file;
  if (!file || set_service (sys, cs, &s, true) == -1)
    return -1;
  for (int i = 0; i < 2; i++) {
    /* The full hardware ID and the bare vendor/device pair: Windows looks
     * each of a device's IDs up in turn. */
    CLEANUP_FREE char *full = core_sprintf ("pci#%s", drv->ids[i]);
    CLEANUP_FREE char *bare = core_strndup (drv->ids[i], strlen ("VEN_1AF4&DEV_1001"));
    CLEANUP_FREE char *barekey = bare ? core_sprintf ("pci#%s", bare) : NULL;
    if (!full || !barekey)
      return -1;
    lower (full);
    lower (barekey);
    if (ver < 62) {
      if (set_cdd (sys, cs, full, drv->name, SCSI_CLASS) == -1
          || set_cdd (sys, cs, barekey, drv->name, SCSI_CLASS) == -1)
        return -1;
      continue;
    }
    CLEANUP_FREE char *inf = core_sprintf ("%s.inf", drv->name);
    CLEANUP_FREE char *dev = core_sprintf ("DriverDatabase\\DeviceIds\\PCI\\%s", drv->ids[i]);
    static const char rank[4] = { 0x01, (char) 0xff, 0x00, 0x00 };
    if (!inf || !dev || conv_hive_set (sys, dev, inf, hive_t_REG_BINARY, rank, 4) == -1)
      return -1;
  }
  if (ver < 62)
    return 0;

  CLEANUP_FREE char *inf = core_sprintf ("%s.inf", drv->name);
  CLEANUP_FREE char *pkg = core_sprintf ("%s.inf_%s_p2vkit", drv->name, j->g->ver.arch);
  CLEANUP_FREE char *infkey = core_sprintf ("DriverDatabase\\DriverInfFiles\\%s", inf);
  CLEANUP_FREE char *pkgkey = core_sprintf ("DriverDatabase\\DriverPackages\\%s", pkg);
  CLEANUP_FREE char *cfgkey = core_sprintf ("%s\\Configurations\\p2vkit_inst", pkgkey);
  CLEANUP_FREE char *oem = core_sprintf ("C:\\" CONV_WIN_FIRSTBOOT_DIR "\\drivers\\%s", drv->name);
  if (!inf || !pkg || !infkey || !pkgkey || !cfgkey || !oem)
    return -1;
  const char *pkglist[] = { pkg, NULL }, *cfglist[] = { "p2vkit_inst", NULL };
  if (conv_hive_set_multi (sys, infkey, "", pkglist) == -1
      || conv_hive_set_str (sys, infkey, "Active", hive_t_REG_SZ, pkg) == -1
      || conv_hive_set_multi (sys, infkey, "Configurations", cfglist) == -1
      || conv_hive_set_str (sys, pkgkey, "", hive_t_REG_SZ, inf) == -1
      || conv_hive_set_dword (sys, pkgkey, "F6", 1) == -1
      || conv_hive_set_str (sys, pkgkey, "InfName", hive_t_REG_SZ, inf) == -1
      || conv_hive_set_str (sys, pkgkey, "OemPath", hive_t_REG_SZ, oem) == -1
      || conv_hive_set_str (sys, pkgkey, "Provider", hive_t_REG_SZ, "Red Hat, Inc.") == -1
      || conv_hive_set_dword (sys, pkgkey, "SignerScore", 0x0d000005) == -1
      || conv_hive_set_dword (sys, pkgkey, "StatusFlags", 0x12) == -1
      || conv_hive_set_dword (sys, cfgkey, "ConfigFlags", 0) == -1
      || conv_hive_set_str (sys, cfgkey, "Service", hive_t_REG_SZ, drv->name) == -1)
    return -1;
  for (int i = 0; i < 2; i++) {
    CLEANUP_FREE char *d = core_sprintf ("%s\\Descriptors\\PCI\\%s", pkgkey, drv->ids[i]);
    if (!d
        || conv_hive_set_str (sys, d, "Configuration", hive_t_REG_SZ, "p2vkit_inst") == -1
        || conv_hive_set_str (sys, d, "Manufacturer", hive_t_REG_SZ, "Red Hat, Inc.") == -1
        || conv_hive_set_str (sys, d, "Description", hive_t_REG_SZ, drv->desc) == -1)
      return -1;
  }
  return 0;
}


/* Auto mode: paravirt when the virtio-win tree has the storage and
 * network drivers for this release, else full; the reason goes to the
 * log. */
int
conv_win_choose_mode (struct conv_win_job *j)
{
  CLEANUP_FREE char *r1 = NULL, *r2 = NULL, *d1 = NULL, *d2 = NULL;
  const char *os = core_win_virtio_dir (&j->g->ver);
  const char *arch = j->g->ver.arch;

  j->paravirt = false;
  if (!j->o->virtio_win)
    j->log->mode_reason = core_sprintf ("no virtio-win tree was given (--virtio-win), so "
                                        "%s gets an emulated IDE disk and e1000 network",
                                        j->label);
  else if (core_win_pv_supported (&j->g->ver) == CORE_WIN_PV_NONE)
    j->log->mode_reason = core_sprintf ("no virtio drivers were ever made for %s, so it "
                                        "gets an emulated IDE disk and e1000 network",
                                        j->label);
  else if (!(d1 = virtio_folder (j, "viostor", &r1)) || !(d2 = virtio_folder (j, "NetKVM", &r2)))
    j->log->mode_reason = core_sprintf ("the virtio-win tree %s has no %s/%s/%s, so %s gets "
                                        "an emulated IDE disk and e1000 network",
                                        j->o->virtio_win, d1 ? "NetKVM" : "viostor",
                                        os ? os : "?", arch, j->label);
  else {
    j->paravirt = true;
    j->log->mode_reason = core_sprintf ("the virtio-win tree has viostor and NetKVM for "
                                        "%s (%s, %s)", j->label, r1, r2);
  }
  return j->log->mode_reason ? 0 : -1;
}

int
conv_win_find_drivers (struct conv_win_job *j, const char **pv_drivers)
{
  size_t npv = 0;

  if (!j->paravirt) {
    struct need n;
    full_needs (&j->g->ver, &n);
    for (size_t i = 0; i < 8 && n.files[i]; i++)
      if (need_driver_file (j, n.files[i], "the emulated IDE/SATA disk controller") == -1)
        return -1;
  }
  else {
    bool found;
    if (!j->o->virtio_win) {
      core_error ("paravirt mode for %s needs --virtio-win DIR", j->label);
      return -1;
    }
    if (core_win_pv_supported (&j->g->ver) == CORE_WIN_PV_NONE) {
      core_error ("%s has no virtio drivers; convert it in full mode", j->label);
      return -1;
    }
    if (virtio_driver (j, "viostor", "viostor.sys", true, true, &found) == -1)
      return -1;
    pv_drivers[npv++] = "viostor";
    if (virtio_driver (j, "vioscsi", "vioscsi.sys", false, true, &found) == -1)
      return -1;
    j->paravirt_vioscsi = found;
    if (found)
      pv_drivers[npv++] = "vioscsi";
    if (virtio_driver (j, "NetKVM", "netkvm.sys", true, false, &found) == -1)
      return -1;
    pv_drivers[npv++] = "netkvm";
  }
  return 0;
}

/* The services and device IDs of the drivers the mode needs. */
int
conv_win_register_drivers (struct conv_win_job *j, struct conv_hive *sys,
                           struct conv_hive *sw, const char *const *pv_drivers)
{
  const char *cs = j->g->controlset;

  if (!j->paravirt) {
    struct need n;
    full_needs (&j->g->ver, &n);
    for (size_t i = 0; i < 5 && n.services[i].name; i++)
      if (set_service (sys, cs, &n.services[i], false) == -1)
        return -1;
    for (size_t i = 0; i < 12 && n.cdd[i].key; i++)
      if (set_cdd (sys, cs, n.cdd[i].key, n.cdd[i].service, n.cdd[i].cls) == -1)
        return -1;
    if (n.override) {
      CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\%s", cs, n.override);
      hive_node_h node = key ? conv_hive_key (sys, key, false) : 0;
      hive_node_h ov = node ? hivex_node_get_child (sys->h, node, "StartOverride") : 0;
      if (ov) {
        if (hivex_node_delete_child (sys->h, ov) == -1) {
          core_error_errno ("SYSTEM hive: cannot delete %s\\StartOverride", key);
          return -1;
        }
        CLEANUP_FREE char *hk = core_sprintf ("HKLM\\SYSTEM\\%s\\StartOverride", key);
        if (!hk || conv_win_change_add (j->log, hk, "registry key deleted (it kept the driver from "
                                        "starting)", "StartOverride", NULL,
                                        "SYSTEM\\%s\\StartOverride: deleted", key) == -1)
          return -1;
      }
    }
  }
  else {
    if (register_virtio (j, sys, &viostor_drv) == -1
        || (j->paravirt_vioscsi && register_virtio (j, sys, &vioscsi_drv) == -1))
      return -1;
    /* Plug and Play looks here for drivers of new devices (the NIC). */
    hive_node_h cv = conv_hive_key (sw, "Microsoft\\Windows\\CurrentVersion", true);
    CLEANUP_FREE char *dp = cv ? conv_hive_get_string (sw, cv, "DevicePath") : NULL;
    char *path = core_strdup (dp ? dp : "%SystemRoot%\\inf");
    for (size_t i = 0; path && pv_drivers[i]; i++) {
      CLEANUP_FREE char *add = core_sprintf ("%%SystemDrive%%\\" CONV_WIN_FIRSTBOOT_DIR "\\drivers\\%s",
                                             pv_drivers[i]);
      if (add && !strstr (path, add)) {
        char *np = core_sprintf ("%s;%s", path, add);
        free (path);
        path = np;
      }
    }
    if (!path || conv_hive_set_str (sw, "Microsoft\\Windows\\CurrentVersion", "DevicePath",
                                    hive_t_REG_EXPAND_SZ, path) == -1) {
      free (path);
      return -1;
    }
    free (path);
  }
  return 0;
}
