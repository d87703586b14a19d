/* The operating system: distribution (os-release, or the older
 * redhat-release and debian_version), kernel, architecture, and the
 * paravirtual driver families the installed kernel already has. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "inventory/inventory.h"

char *
inv_osinfo_candidate (const char *id, const char *version_id)
{
  CLEANUP_FREE char *lid = NULL, *ver = NULL;
  size_t major_len;

  if (id == NULL || version_id == NULL || *id == '\0' || *version_id == '\0')
    return NULL;
  lid = core_strdup (id);
  ver = core_strdup (version_id);
  if (lid == NULL || ver == NULL)
    return NULL;
  for (char *p = lid; *p; p++) {
    *p = tolower ((unsigned char) *p);
    if (!isalnum ((unsigned char) *p) && *p != '-' && *p != '_')
      return NULL;
  }
  for (char *p = ver; *p; p++)
    if (!isdigit ((unsigned char) *p) && *p != '.')
      return NULL;
  major_len = strcspn (ver, ".");
  /* libosinfo's short-ids are the distribution's ID and version, with a
   * few exceptions: Debian is known by its major version only, SUSE's
   * service packs are "spN", and openSUSE Leap is "opensuse". */
  if (strcmp (lid, "debian") == 0)
    return core_sprintf ("debian%.*s", (int) major_len, ver);
  if (strcmp (lid, "sles") == 0 || strcmp (lid, "sled") == 0) {
    if (ver[major_len] == '.' && strcmp (ver + major_len + 1, "0") != 0)
      return core_sprintf ("%s%.*ssp%s", lid, (int) major_len, ver,
                           ver + major_len + 1);
    return core_sprintf ("%s%.*s", lid, (int) major_len, ver);
  }
  if (strcmp (lid, "opensuse-leap") == 0)
    return core_sprintf ("opensuse%s", ver);
  return core_sprintf ("%s%s", lid, ver);
}

/* "CentOS release 5.5 (Final)" -> name "CentOS 5.5", id "centos5.5". */
static void
parse_redhat_release (const char *line, struct core_os *os)
{
  static const struct { const char *prefix, *id; } distros[] = {
    { "CentOS", "centos" },
    { "Red Hat Enterprise Linux", "rhel" },
    { "Fedora", "fedora" },
    { NULL, NULL }
  };
  const char *rel = strstr (line, " release ");
  const char *v, *end;

  if (rel == NULL) {
    os->name = core_strdup (line);
    return;
  }
  const char *update;
  char version[32];

  v = rel + strlen (" release ");
  end = v + strspn (v, "0123456789.");
  if (end == v) {
    os->name = core_sprintf ("%.*s", (int) (rel - line), line);
    return;
  }
  snprintf (version, sizeof version, "%.*s", (int) (end - v), v);
  /* RHEL 2.1 to 4 give the minor release as an update: "Red Hat
   * Enterprise Linux ES release 4 (Nahant Update 8)" is 4.8. */
  update = strstr (end, " Update ");
  if (update && strchr (version, '.') == NULL) {
    const char *u = update + strlen (" Update ");
    size_t nd = strspn (u, "0123456789"), n = strlen (version);

    if (nd > 0 && nd <= 2)
      snprintf (version + n, sizeof version - n, ".%.*s", (int) nd, u);
  }
  os->name = core_sprintf ("%.*s %s", (int) (rel - line), line, version);
  for (int i = 0; distros[i].prefix; i++)
    if (strncmp (line, distros[i].prefix, strlen (distros[i].prefix)) == 0) {
      os->id = inv_osinfo_candidate (distros[i].id, version);
      break;
    }
}

static void
read_distribution (struct inv_src *s, struct core_os *os)
{
  static const char *const os_release[] = { "/etc/os-release", "/usr/lib/os-release", NULL };
  CLEANUP_FREE char *line = NULL;

  for (int i = 0; os_release[i]; i++) {
    CLEANUP_FREE char *text = inv_src_read (s, os_release[i], 64 << 10, NULL);
    CLEANUP_FREE char *id = NULL, *version_id = NULL;

    if (text == NULL)
      continue;
    os->name = inv_os_release_get (text, "PRETTY_NAME");
    if (os->name == NULL) {
      CLEANUP_FREE char *name = inv_os_release_get (text, "NAME");
      CLEANUP_FREE char *version = inv_os_release_get (text, "VERSION");
      if (name)
        os->name = version ? core_sprintf ("%s %s", name, version)
          : core_strdup (name);
    }
    id = inv_os_release_get (text, "ID");
    version_id = inv_os_release_get (text, "VERSION_ID");
    os->id = inv_osinfo_candidate (id, version_id);
    return;
  }
  /* Before os-release (2012): Red Hat's and Debian's own files. */
  if ((line = inv_src_line (s, "/etc/redhat-release")) != NULL) {
    parse_redhat_release (line, os);
    return;
  }
  if ((line = inv_src_line (s, "/etc/debian_version")) != NULL) {
    os->name = core_sprintf ("Debian %s", line);
    if (isdigit ((unsigned char) line[0]))
      os->id = inv_osinfo_candidate ("debian", line);
    return;
  }
  inv_warn (s, "none of %s/etc/os-release, /usr/lib/os-release, "
            "/etc/redhat-release, /etc/debian_version can be read; the "
            "distribution is left out", s->root);
}

/* The architecture of the userland, from the ELF header of /bin/sh, for
 * kernels without /proc/sys/kernel/arch (before 6.1). */
static char *
elf_arch (struct inv_src *s)
{
  static const char *const files[] = { "/bin/sh", "/sbin/init", NULL };

  for (int i = 0; files[i]; i++) {
    size_t len;
    CLEANUP_FREE char *h = inv_src_read (s, files[i], 20, &len);
    unsigned machine;

    if (h == NULL || len < 20 || memcmp (h, "\177ELF", 4) != 0)
      continue;
    /* e_machine, in the file's byte order (EI_DATA). */
    machine = h[5] == 2 ? ((unsigned char) h[18] << 8) | (unsigned char) h[19]
      : ((unsigned char) h[19] << 8) | (unsigned char) h[18];
    switch (machine) {
    case 3: return core_strdup ("i686");
    case 62: return core_strdup ("x86_64");
    case 183: return core_strdup ("aarch64");
    case 40: return core_strdup ("armv7l");
    case 21: return core_strdup (h[4] == 2 ? "ppc64" : "ppc");
    case 22: return core_strdup ("s390x");
    case 243: return core_strdup ("riscv64");
    default: return NULL;
    }
  }
  return NULL;
}

/* Paravirtual drivers ------------------------------------------------------- */

/* The driver module names the kernel may know each front-end by. */
static const char *const virtio_blk[] = { "virtio_blk", NULL };
static const char *const virtio_net[] = { "virtio_net", NULL };
/* Mainline's front-ends, RHEL 5's kernel-xen (xenblk, xennet) and RHEL
 * 5's PV-on-HVM drivers (xen-vbd, xen-vnif). */
static const char *const xen_blk[] = { "xen_blkfront", "xenblk", "xen_vbd", NULL };
static const char *const xen_net[] = { "xen_netfront", "xennet", "xen_vnif", NULL };
static const char *const *const all_drivers[] =
  { virtio_blk, virtio_net, xen_blk, xen_net, NULL };

/* "kernel/drivers/block/virtio_blk.ko.xz: ..." -> "virtio_blk" */
static bool
module_name (const char *line, char *out, size_t len)
{
  size_t n = strcspn (line, ":");
  const char *start = line;

  for (size_t i = 0; i < n; i++)
    if (line[i] == '/')
      start = line + i + 1;
  n -= start - line;
  if (n == 0 || n >= len)
    return false;
  memcpy (out, start, n);
  out[n] = '\0';
  char *ko = strstr (out, ".ko");
  if (ko == NULL)
    return false;
  *ko = '\0';
  for (char *p = out; *p; p++)
    if (*p == '-')
      *p = '_';
  return true;
}

/* Marks in FOUND the drivers of all_drivers that modules.dep or
 * modules.builtin under DIR lists.  Returns whether the file was read. */
static bool
scan_modules_file (struct inv_src *s, const char *rel, bool found[][4])
{
  FILE *fp = inv_src_fopen (s, rel);
  char line[4096], name[256];

  if (fp == NULL)
    return false;
  while (fgets (line, sizeof line, fp)) {
    bool used = false;

    line[strcspn (line, "\n")] = '\0';
    if (!module_name (line, name, sizeof name))
      continue;
    for (int g = 0; all_drivers[g]; g++)
      for (int k = 0; all_drivers[g][k]; k++)
        if (strcmp (name, all_drivers[g][k]) == 0) {
          found[g][k] = true;
          used = true;
        }
    /* Recorded trees keep only the lines that matter. */
    if (used)
      inv_src_record_line (s, rel, line);
  }
  fclose (fp);
  return true;
}

static int
read_pv_drivers (struct inv_src *s, const char *kernel, int *out)
{
  bool found[4][4] = { { false } };
  bool have_sys, have_modules = false;
  bool any[4] = { false };
  int pv = 0;

  /* Loaded modules, and built-in drivers that have parameters, appear in
   * /sys/module. */
  have_sys = inv_src_exists (s, "/sys/module");
  for (int g = 0; all_drivers[g]; g++)
    for (int k = 0; all_drivers[g][k]; k++) {
      CLEANUP_FREE char *rel = core_sprintf ("/sys/module/%s", all_drivers[g][k]);
      if (rel == NULL)
        return -1;
      if (have_sys && inv_src_exists (s, rel))
        found[g][k] = true;
    }
  /* Installed modules and the list of built-in ones. */
  if (kernel) {
    CLEANUP_FREE char *dep = core_sprintf ("/lib/modules/%s/modules.dep", kernel);
    CLEANUP_FREE char *builtin = core_sprintf ("/lib/modules/%s/modules.builtin", kernel);
    if (dep == NULL || builtin == NULL)
      return -1;
    have_modules = scan_modules_file (s, dep, found);
    have_modules |= scan_modules_file (s, builtin, found);
  }
  if (!have_sys && !have_modules) {
    inv_warn (s, "neither %s/sys/module nor %s/lib/modules/%s can be read; "
              "pv_drivers is left out", s->root, s->root,
              kernel ? kernel : "KERNEL");
    *out = CORE_UNSET;
    return 0;
  }
  if (!have_modules)
    inv_warn (s, "cannot read %s/lib/modules/%s/modules.dep: drivers that are "
              "installed but not loaded are not seen", s->root,
              kernel ? kernel : "KERNEL");
  for (int g = 0; all_drivers[g]; g++)
    for (int k = 0; all_drivers[g][k]; k++)
      any[g] |= found[g][k];
  if (any[0] && any[1])
    pv |= CORE_PV_VIRTIO;
  if (any[2] && any[3])
    pv |= CORE_PV_XEN;
  *out = pv;
  return 0;
}

int
inv_read_os (struct inv_src *s, struct core_os *os)
{
  os->family = CORE_OS_LINUX;
  read_distribution (s, os);
  os->kernel = inv_src_line (s, "/proc/sys/kernel/osrelease");
  if (os->kernel == NULL)
    inv_warn (s, "cannot read %s/proc/sys/kernel/osrelease: %s; the kernel "
              "is left out", s->root, strerror (errno));
  os->arch = inv_src_line (s, "/proc/sys/kernel/arch");
  if (os->arch == NULL)
    os->arch = elf_arch (s);
  if (os->arch == NULL)
    inv_warn (s, "neither %s/proc/sys/kernel/arch nor the ELF header of "
              "%s/bin/sh tells the architecture; it is left out", s->root,
              s->root);
  return read_pv_drivers (s, os->kernel, &os->pv_drivers);
}
