/* Windows guests: what the registry says, and the edits that make one
 * boot on KVM's emulated (full) or virtio (paravirt) disk controller.
 *
 * Windows boots only from a disk controller whose driver is a boot-start
 * service and, before Windows 8, is named for the controller's PCI ID in
 * the CriticalDeviceDatabase; otherwise it stops with 0x7B
 * (INACCESSIBLE_BOOT_DEVICE).  This is Microsoft's "MergeIDE" fix
 * (KB314082) for the emulated controllers, and virt-v2v's way of adding
 * viostor for virtio.  Hives are edited with hivex on local copies; the
 * tree (folder or libguestfs handle) is reached through conv_win_fs.
 * Here: what the hives say, and the conversion from start to end; the
 * drivers are drivers.c's, the first-boot script firstboot.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "converter/converter.h"

static const char *
version_label (const struct core_win_version *v, char *buf, size_t len)
{
  if (v->product_name && *v->product_name)
    snprintf (buf, len, "%s", v->product_name);
  else
    snprintf (buf, len, "Windows %d.%d", v->major, v->minor);
  return buf;
}

/* ------------------------------------------------------------------ */
/* Inspection.                                                          */

static void
nic_clear (struct conv_win_nic *n)
{
  free (n->guid);
  core_string_vector_free (&n->addresses);
  core_string_vector_free (&n->masks);
  core_string_vector_free (&n->gateways);
  core_string_vector_free (&n->dns);
}

void
conv_win_guest_clear (struct conv_win_guest *g)
{
  if (!g)
    return;
  free (g->ver.product_name);
  free (g->controlset);
  free (g->hal);
  for (size_t i = 0; i < g->nics.len; i++)
    nic_clear (&g->nics.ptr[i]);
  conv_win_nic_vector_reset (&g->nics);
  memset (g, 0, sizeof *g);
}

static bool
static_address (const core_string_vector *v)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i], "0.0.0.0") != 0)
      return true;
  return false;
}

static int
read_nics (struct conv_hive *sys, const char *cs, struct conv_win_guest *g)
{
  char path[256];
  snprintf (path, sizeof path, "%s\\Services\\Tcpip\\Parameters\\Interfaces", cs);
  hive_node_h ifs = conv_hive_key (sys, path, false);
  if (!ifs)
    return 0;
  CLEANUP_FREE hive_node_h *kids = hivex_node_children (sys->h, ifs);
  if (!kids) {
    core_error_errno ("SYSTEM hive %s: %s", sys->file, path);
    return -1;
  }
  for (size_t i = 0; kids[i]; i++) {
    struct conv_win_nic n = { 0 };
    n.dhcp = conv_hive_get_dword (sys, kids[i], "EnableDHCP", 0) == 1;
    if (!(n.guid = hivex_node_name (sys->h, kids[i]))
        || conv_hive_get_strings (sys, kids[i], "IPAddress", &n.addresses) == -1
        || conv_hive_get_strings (sys, kids[i], "SubnetMask", &n.masks) == -1
        || conv_hive_get_strings (sys, kids[i], "DefaultGateway", &n.gateways) == -1
        || conv_hive_get_strings (sys, kids[i], "NameServer", &n.dns) == -1) {
      if (!n.guid)
        core_error_errno ("SYSTEM hive %s: interface name", sys->file);
      nic_clear (&n);
      return -1;
    }
    /* Only adapters with a fixed address need anything at first boot. */
    if (n.dhcp || !static_address (&n.addresses)) {
      nic_clear (&n);
      continue;
    }
    if (conv_win_nic_vector_append (&g->nics, n) == -1) {
      nic_clear (&n);
      return -1;
    }
  }
  return 0;
}

static int
inspect (const char *system_hive, const char *software_hive, const char *sysname,
         const char *swname, struct conv_win_guest *out)
{
  struct conv_hive sys = { 0 }, sw = { 0 };
  struct conv_win_guest g = { 0 };
  /* Declared before the first goto, which must not skip them. */
  CLEANUP_FREE char *cur = NULL, *build = NULL, *type = NULL, *arch = NULL;
  int r = -1;

  memset (out, 0, sizeof *out);
  if (conv_hive_open (&sw, software_hive, swname, "SOFTWARE", false) == -1
      || conv_hive_open (&sys, system_hive, sysname, "SYSTEM", false) == -1)
    goto out;

  hive_node_h cv = conv_hive_key (&sw, "Microsoft\\Windows NT\\CurrentVersion", false);
  if (!cv) {
    core_error ("SOFTWARE hive %s: no Microsoft\\Windows NT\\CurrentVersion key: "
                "not a Windows NT SOFTWARE hive", swname);
    goto out;
  }
  cur = conv_hive_get_string (&sw, cv, "CurrentVersion");
  build = conv_hive_get_string (&sw, cv, "CurrentBuildNumber");
  type = conv_hive_get_string (&sw, cv, "InstallationType");
  g.ver.product_name = conv_hive_get_string (&sw, cv, "ProductName");
  if (!cur || sscanf (cur, "%d.%d", &g.ver.major, &g.ver.minor) != 2) {
    core_error ("SOFTWARE hive %s: CurrentVersion is %s%s%s, not MAJOR.MINOR",
                swname, cur ? "\"" : "", cur ? cur : "missing", cur ? "\"" : "");
    goto out;
  }
  /* Windows 10 and later keep "6.3" for old programs' sake. */
  int64_t maj = conv_hive_get_dword (&sw, cv, "CurrentMajorVersionNumber", -1);
  if (maj > 0) {
    g.ver.major = maj;
    g.ver.minor = conv_hive_get_dword (&sw, cv, "CurrentMinorVersionNumber", 0);
  }
  if (build) {
    int64_t b;
    /* An odd build number is no reason to refuse; it only picks folders. */
    if (core_parse_int64 (build, "CurrentBuildNumber", 1, 999999, &b) == 0)
      g.ver.build = b;
  }
  g.ver.server = (type && strstr (type, "Server"))
    || (g.ver.product_name && strstr (g.ver.product_name, "Server"));

  int64_t current = conv_hive_get_dword (&sys, conv_hive_key (&sys, "Select", false), "Current", -1);
  if (current < 1 || current > 999) {
    core_error ("SYSTEM hive %s: no Select\\Current: not a Windows SYSTEM hive",
                sysname);
    goto out;
  }
  if (asprintf (&g.controlset, "ControlSet%03d", (int) current) < 0) {
    g.controlset = NULL;
    core_error_errno ("asprintf");
    goto out;
  }
  if (!conv_hive_key (&sys, g.controlset, false)) {
    core_error ("SYSTEM hive %s: Select\\Current names %s, which is not there",
                sysname, g.controlset);
    goto out;
  }

  char path[256];
  snprintf (path, sizeof path, "%s\\Control\\Session Manager\\Environment", g.controlset);
  arch = conv_hive_get_string (&sys, conv_hive_key (&sys, path, false), "PROCESSOR_ARCHITECTURE");
  snprintf (g.ver.arch, sizeof g.ver.arch, "%s",
            arch && strcasecmp (arch, "AMD64") == 0 ? "amd64" : "x86");

  snprintf (path, sizeof path, "%s\\Enum\\Root\\ACPI_HAL\\0000", g.controlset);
  core_string_vector hal = { 0 };
  if (conv_hive_get_strings (&sys, conv_hive_key (&sys, path, false), "HardwareID", &hal) == -1)
    goto out;
  if (hal.len > 0) {
    g.hal = hal.ptr[0];
    hal.ptr[0] = NULL;
  }
  core_string_vector_free (&hal);

  if (read_nics (&sys, g.controlset, &g) == -1)
    goto out;
  *out = g;
  memset (&g, 0, sizeof g);
  r = 0;
 out:
  conv_win_guest_clear (&g);
  conv_hive_close (&sys);
  conv_hive_close (&sw);
  return r;
}

int
conv_win_inspect (const char *system_hive, const char *software_hive,
                  struct conv_win_guest *out)
{
  return inspect (system_hive, software_hive, system_hive, software_hive, out);
}

void
conv_win_log_clear (struct conv_win_log *log)
{
  if (!log)
    return;
  for (size_t i = 0; i < log->changes.len; i++) {
    struct conv_win_change *c = &log->changes.ptr[i];
    free (c->line); free (c->path); free (c->what); free (c->before); free (c->after);
  }
  conv_win_change_vector_reset (&log->changes);
  free (log->mode_reason);
  log->mode_reason = NULL;
  core_string_vector_free (&log->disabled);
  core_string_vector_free (&log->warnings);
}

/* ------------------------------------------------------------------ */
/* Conversion.                                                          */

/* Vendor agents for RAID controllers, NICs and management boards that
 * stay behind with the physical machine; they fail or hang at boot
 * without their hardware. */
const char *const conv_win_gone_services[] = {
  /* HP/Compaq Insight agents, NIC teaming, array management */
  "CqMgHost", "CqMgServ", "CqMgStor", "CpqNicMgmt", "CpqRcmc", "sysdown",
  "hpsmhd", "HPWMISTOR", "CPQTeamMP",
  /* Dell OpenManage, PERC */
  "dcstor32", "dcevt32", "omsad", "mr2kserv",
  /* LSI/Avago MegaRAID Storage Manager */
  "MSMFramework", "MrMonitor",
  /* IBM Director */
  "IBMSPSVC",
  NULL
};

/* VMware Tools' services and drivers of VMware's virtual hardware.
 * Filter drivers (vmmouse) are left alone: disabling a class filter
 * takes the whole class down. */
static const char *const vmware_services[] = {
  "VMTools", "VMUpgradeHelper", "vmvss", "VGAuthService", "vmhgfs",
  "vmmemctl", "vmci", "vsock", "vmxnet", "vmxnet3ndis6", "vmx_svga",
  "vm3dmp", "vmrawdsk", NULL
};

int
conv_win_put_add (struct conv_win_job *j, char *local, const char *dest, char *what)
{
  struct conv_win_put p = { local, core_strdup (dest), what, NULL };
  if (!p.dest || !what || !local || conv_win_put_vector_append (&j->puts, p) == -1) {
    free (p.local);
    free (p.dest);
    free (p.what);
    return -1;
  }
  return 0;
}

char *
conv_win_scratch_name (struct conv_win_job *j, const char *base)
{
  return core_sprintf ("%s/%u-%s", j->scratch, j->nscratch++, base);
}

/* Services of hardware that stays behind: Start=4, each in the log. */
static int
disable_services (struct conv_win_job *j, struct conv_hive *sys, const char *const *list)
{
  for (size_t i = 0; list[i]; i++) {
    CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\%s", j->g->controlset, list[i]);
    if (!key)
      return -1;
    hive_node_h node = conv_hive_key (sys, key, false);
    if (!node)
      continue;
    int64_t start = conv_hive_get_dword (sys, node, "Start", -1);
    if (start == 4)
      continue;
    CLEANUP_FREE char *name = hivex_node_name (sys->h, node);
    if (conv_hive_set_dword (sys, key, "Start", 4) == -1
        || core_string_vector_printf (&j->log->disabled, "%s (was Start=%lld)", name ? name : list[i],
                                      (long long) start) == -1)
      return -1;
  }
  return 0;
}

static int
write_local (const char *path, const char *text)
{
  FILE *fp = fopen (path, "w");
  if (!fp || fputs (text, fp) == EOF || fclose (fp) == EOF) {
    core_error_errno ("%s", path);
    return -1;
  }
  return 0;
}

static int
rm_scratch (struct conv_win_job *j)
{
  DIR *d = opendir (j->scratch);
  if (!d)
    return 0;
  for (struct dirent *e; (e = readdir (d)) != NULL;) {
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
      continue;
    CLEANUP_FREE char *p = core_sprintf ("%s/%s", j->scratch, e->d_name);
    struct stat st;
    if (p && lstat (p, &st) == 0 && S_ISDIR (st.st_mode)) {
      /* Unpacked cabinets: one level of files. */
      DIR *s = opendir (p);
      for (struct dirent *f; s && (f = readdir (s)) != NULL;) {
        CLEANUP_FREE char *q = core_sprintf ("%s/%s", p, f->d_name);
        if (q && strcmp (f->d_name, ".") && strcmp (f->d_name, ".."))
          unlink (q);
      }
      if (s)
        closedir (s);
      rmdir (p);
    }
    else if (p)
      unlink (p);
  }
  closedir (d);
  rmdir (j->scratch);
  return 0;
}

/* VMware Tools' service is there: the guest was a VMware VM. */
static bool
vmware_tools (struct conv_win_job *j, struct conv_hive *sys)
{
  CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\VMTools", j->g->controlset);
  return key && conv_hive_key (sys, key, false) != 0;
}

/* Edits of SYSTEM and SOFTWARE; the hive files are local. */
static int
edit_hives (struct conv_win_job *j, const char *sysfile, const char *swfile, bool firstboot,
            const char *const *pv_drivers)
{
  struct conv_hive sys = { 0 }, sw = { 0 };
  const char *cs = j->g->controlset;
  int r = -1;

  if (conv_hive_open (&sys, sysfile, j->sysname, "SYSTEM", true) == -1
      || conv_hive_open (&sw, swfile, j->swname, "SOFTWARE", true) == -1)
    goto out;
  sys.log = sw.log = j->log;

  if (conv_win_register_drivers (j, &sys, &sw, pv_drivers) == -1)
    goto out;

  if (disable_services (j, &sys, j->o->gone_services ? j->o->gone_services
                        : conv_win_gone_services) == -1
      || ((j->o->from_vmware || vmware_tools (j, &sys))
          && disable_services (j, &sys, vmware_services) == -1))
    goto out;

  if (firstboot && conv_win_firstboot_register (&sys, &sw, cs) == -1)
    goto out;

  if (conv_hive_commit (&sys) == -1 || conv_hive_commit (&sw) == -1)
    goto out;
  r = 0;
 out:
  conv_hive_close (&sys);
  conv_hive_close (&sw);
  return r;
}

static void
puts_clear (conv_win_put_vector *v)
{
  for (size_t i = 0; i < v->len; i++) {
    free (v->ptr[i].local);
    free (v->ptr[i].dest);
    free (v->ptr[i].what);
  }
  conv_win_put_vector_reset (v);
}

int
conv_win_convert_tree (const struct conv_win_fs *fs, const struct conv_win_opts *o,
                       struct conv_win_guest *g, struct conv_win_log *log)
{
  struct conv_win_job j = { .fs = fs, .o = o, .g = g, .log = log };
  CLEANUP_FREE char *sys_path = fs->resolve (fs->opaque, "Windows/System32/config/system");
  CLEANUP_FREE char *sw_path = fs->resolve (fs->opaque, "Windows/System32/config/software");

  j.sysname = sys_path;
  j.swname = sw_path;
  CLEANUP_FREE char *sysfile = NULL, *swfile = NULL, *script = NULL;
  const char *pv_drivers[4] = { NULL };
  int r = -1;

  memset (g, 0, sizeof *g);
  if (!sys_path || !sw_path) {
    core_error ("no Windows\\System32\\config\\%s: not a Windows system drive",
                sys_path ? "SOFTWARE" : "SYSTEM");
    return -1;
  }
  const char *tmp = getenv ("TMPDIR");
  snprintf (j.scratch, sizeof j.scratch, "%s/p2vkit-win.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp (j.scratch)) {
    core_error_errno ("mkdtemp %s", j.scratch);
    return -1;
  }
  sysfile = core_sprintf ("%s/system", j.scratch);
  swfile = core_sprintf ("%s/software", j.scratch);
  if (!sysfile || !swfile
      || fs->download (fs->opaque, sys_path, sysfile) == -1
      || fs->download (fs->opaque, sw_path, swfile) == -1
      || inspect (sysfile, swfile, sys_path, sw_path, g) == -1)
    goto out;
  if (o->arch)
    snprintf (g->ver.arch, sizeof g->ver.arch, "%s",
              strcmp (o->arch, "x86_64") == 0 ? "amd64" : "x86");
  version_label (&g->ver, j.label, sizeof j.label);
  j.paravirt = o->paravirt;
  if (o->mode_auto && conv_win_choose_mode (&j) == -1)
    goto out;
  log->paravirt = j.paravirt;

  /* Everything is found before anything is written. */
  if (conv_win_find_drivers (&j, pv_drivers) == -1)
    goto out;

  /* The HAL of 2000/XP/2003 is chosen at setup: a uniprocessor one uses
   * one processor whatever the VM has.  Vista and later have one HAL. */
  if (g->ver.major == 5 && g->hal && core_ends_with_nocase (g->hal, "_up") && o->vcpus > 1
      && core_string_vector_printf (&log->warnings, "%s runs a uniprocessor HAL (%s): it will use 1 of "
                                    "its %d vCPUs; after the first boot update the Computer device in "
                                    "Device Manager to \"ACPI Multiprocessor PC\", or give it 1 vCPU",
                                    j.label, g->hal, o->vcpus) == -1)
    goto out;

  bool firstboot = g->nics.len > 0 || (j.paravirt && g->ver.major >= 6) || o->facts;
  if (firstboot) {
    CLEANUP_FREE char *local = conv_win_scratch_name (&j, "firstboot.cmd");
    if (!local || !(script = conv_win_firstboot_script (g, pv_drivers, o->facts))
        || write_local (local, script) == -1
        || conv_win_put_add (&j, core_strdup (local), CONV_WIN_FIRSTBOOT_DIR "/firstboot.cmd",
                             core_strdup ("wrote \\" CONV_WIN_FIRSTBOOT_DIR "\\firstboot.cmd")) == -1)
      goto out;
    j.puts.ptr[j.puts.len - 1].text = script;
  }
  if (g->nics.len > 1
      && core_string_vector_printf (&log->warnings, "%zu adapters had fixed addresses: the first-boot "
                                    "script gives them to the new adapters in the order netsh lists them; "
                                    "check which address each adapter got", g->nics.len) == -1)
    goto out;

  if (edit_hives (&j, sysfile, swfile, firstboot, pv_drivers) == -1)
    goto out;

  /* Write: files first, the hives (which point at them) last. */
  for (size_t i = 0; i < j.puts.len; i++) {
    struct conv_win_put *p = &j.puts.ptr[i];
    char *slash = strrchr (p->dest, '/');
    if (slash) {
      *slash = '\0';
      int m = fs->mkdir_p (fs->opaque, p->dest);
      *slash = '/';
      if (m == -1)
        goto out;
    }
    CLEANUP_FREE char *winpath = core_sprintf ("\\%s", p->dest);
    if (!winpath)
      goto out;
    for (char *c = winpath; *c; c++)
      if (*c == '/')
        *c = '\\';
    if (fs->upload (fs->opaque, p->local, p->dest) == -1
        || conv_win_change_add (log, winpath, p->what, NULL, p->text, "%s", p->what) == -1)
      goto out;
  }
  if (fs->upload (fs->opaque, sysfile, sys_path) == -1
      || fs->upload (fs->opaque, swfile, sw_path) == -1)
    goto out;
  r = 0;
 out:
  puts_clear (&j.puts);
  rm_scratch (&j);
  return r;
}
