/* Making a copied Linux system boot as a KVM/QEMU guest.
 *
 * Every step uses the guest's own tools (run inside it through
 * libguestfs' sh, which chroots into it with /dev, /proc and /sys
 * bound) or edits its configuration files, and records what it did in the
 * report.  The steps, and why (docs/converter.md says more):
 *  - device names (sdX, hdX, xvdX, vdX, cciss) in fstab, crypttab, the
 *    bootloader's configuration and resume settings become UUID=: names
 *    change with the disk bus, UUIDs do not;
 *  - paravirt: the virtio drivers go into the initramfs of every kernel
 *    that has them (initramfs-tools, dracut or mkinitrd), since a
 *    physical install's initramfs holds only its own disk drivers;
 *  - the bootloader configuration is generated again (update-grub,
 *    grub2-mkconfig, grub-mkconfig) or edited (grub-legacy menu.lst);
 *  - network: the NICs get MACs chosen here (written into the domain XML)
 *    and a udev rule or systemd .link file gives each the name the old
 *    NIC had, so ifupdown/netplan/NetworkManager/ifcfg configurations that
 *    name it keep working;
 *  - other hypervisors' guest tools are removed with the package manager;
 *  - SELinux guests are relabelled on first boot;
 *  - the facts reporter (firstboot.c) is installed to run once at the
 *    first boot, by systemd and by sysvinit's rc links. */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "converter/converter.h"

#define STATUS_MARK "__p2vkit_status="

/* Run CMD in the guest through sh; record it and its exit status.
 * Returns the status (0..255) or -1 when it could not run at all. */
static int
guest_sh (guestfs_h *g, struct conv_report *r, const char *cmd, char **output)
{
  CLEANUP_FREE char *wrapped = NULL;
  char *out, *mark;
  int status = -1;
  double start = core_monotonic ();

  wrapped = core_sprintf ("PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH; "
                          "DEBIAN_FRONTEND=noninteractive; export DEBIAN_FRONTEND; "
                          "( %s ) </dev/null 2>&1; echo \"" STATUS_MARK "$?\"",
                          cmd);
  if (wrapped == NULL)
    return -1;
  out = guestfs_sh (g, wrapped);
  if (out == NULL) {
    conv_report_command (r, cmd, -1, guestfs_last_error (g), core_monotonic () - start);
    core_error ("in the guest: %s: %s", cmd, guestfs_last_error (g));
    return -1;
  }
  mark = strstr (out, STATUS_MARK);
  if (mark) {
    char *num = mark + strlen (STATUS_MARK);
    int64_t v;

    num[strcspn (num, "\r\n")] = '\0';
    if (core_parse_int64 (num, "exit status in the guest", 0, 255, &v) == 0)
      status = v;
    *mark = '\0';
  }
  conv_report_command (r, cmd, status, out, core_monotonic () - start);
  if (output)
    *output = out;
  else
    free (out);
  return status;
}

static bool
guest_exists (guestfs_h *g, const char *path)
{
  return guestfs_exists (g, path) > 0;
}

static bool
guest_is_file (guestfs_h *g, const char *path)
{
  return guestfs_is_file (g, path) > 0;
}

/* The first of PATHS that exists in the guest, or NULL. */
static const char *
guest_which (guestfs_h *g, const char *const *paths)
{
  for (; *paths; paths++)
    if (guest_exists (g, *paths))
      return *paths;
  return NULL;
}

/* A file's content as a NUL-terminated string (NULL on error). */
static char *
guest_read (guestfs_h *g, const char *path)
{
  size_t size;
  char *content = guestfs_read_file (g, path, &size);
  char *s;

  if (content == NULL) {
    core_error ("%s: %s", path, guestfs_last_error (g));
    return NULL;
  }
  s = core_strndup (content, size);
  free (content);
  return s;
}

/* Replace PATH's content by AFTER and record the change. */
static int
guest_write (guestfs_h *g, struct conv_report *r, const char *path,
             const char *what, const char *before, const char *after)
{
  if (before && strcmp (before, after) == 0)
    return 0;
  if (guestfs_write (g, path, after, strlen (after)) == -1) {
    core_error ("%s: %s", path, guestfs_last_error (g));
    return -1;
  }
  return conv_report_change (r, path, what, before, after);
}

static void
free_strings (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

/* Files matching GLOB in the guest (a NULL-terminated list, never NULL
 * unless out of memory). */
static char **
guest_glob (guestfs_h *g, const char *glob)
{
  char **v = guestfs_glob_expand (g, glob);

  if (v == NULL)
    v = calloc (1, sizeof *v);
  return v;
}

/* ------------------------------------------------------------------ */
/* Device names to UUID=. */

struct devmap {
  char **devices;               /* the appliance's whole disks, in order */
  guestfs_h *g;
};

/* Letters "a".."z", "aa".. as a disk index. */
static int
letters_index (const char *s, size_t n)
{
  int idx = 0;

  for (size_t i = 0; i < n; i++)
    idx = idx * 26 + (s[i] - 'a' + 1);
  return idx - 1;
}

/* A guest device name at S (/dev/sda1, /dev/hdb, /dev/xvda2, /dev/vda3,
 * /dev/cciss/c0d0p1): its length, the disk index and partition number (0:
 * whole disk).  0 when S is not one. */
static size_t
parse_device (const char *s, int *disk, int *part)
{
  static const char *const prefixes[] = { "/dev/sd", "/dev/hd", "/dev/xvd", "/dev/vd", NULL };
  const char *p;
  size_t n;

  for (const char *const *pre = prefixes; *pre; pre++) {
    size_t pl = strlen (*pre);

    if (strncmp (s, *pre, pl) != 0)
      continue;
    p = s + pl;
    n = 0;
    while (p[n] >= 'a' && p[n] <= 'z' && n < 3)
      n++;
    if (n == 0)
      return 0;
    *disk = letters_index (p, n);
    p += n;
    *part = 0;
    while (isdigit ((unsigned char) *p))
      *part = *part * 10 + (*p++ - '0');
    if (isalnum ((unsigned char) *p) || *p == '_')
      return 0;
    return p - s;
  }
  if (strncmp (s, "/dev/cciss/c", 12) == 0) {
    p = s + 12;
    while (isdigit ((unsigned char) *p))
      p++;
    if (*p++ != 'd' || !isdigit ((unsigned char) *p))
      return 0;
    *disk = 0;
    while (isdigit ((unsigned char) *p))
      *disk = *disk * 10 + (*p++ - '0');
    *part = 0;
    if (*p == 'p') {
      p++;
      while (isdigit ((unsigned char) *p))
        *part = *part * 10 + (*p++ - '0');
    }
    if (isalnum ((unsigned char) *p))
      return 0;
    return p - s;
  }
  return 0;
}

/* "UUID=..." for the guest's device DISK/PART, or NULL when it has none. */
static char *
device_uuid (struct devmap *m, int disk, int part)
{
  CLEANUP_FREE char *dev = NULL;
  size_t ndev = 0;
  char *uuid;

  while (m->devices[ndev])
    ndev++;
  if (disk < 0 || (size_t) disk >= ndev)
    return NULL;
  dev = part ? core_sprintf ("%s%d", m->devices[disk], part)
    : core_strdup (m->devices[disk]);
  if (dev == NULL)
    return NULL;
  uuid = guestfs_vfs_uuid (m->g, dev);
  if (uuid == NULL || uuid[0] == '\0') {
    free (uuid);
    return NULL;
  }
  char *ret = core_sprintf ("UUID=%s", uuid);
  free (uuid);
  return ret;
}

/* TEXT with every device name that has a UUID replaced by UUID=...;
 * comment lines are left as they are. */
static char *
rewrite_devices (struct devmap *m, const char *text)
{
  core_buffer out = { 0 };
  bool line_start = true, comment = false;

  /* Room for the usual case in one go. */
  if (core_buffer_reserve (&out, strlen (text) * 2 + 256) == -1)
    return NULL;
  for (const char *p = text; *p; ) {
    int disk, part;
    size_t n;

    if (line_start) {
      const char *q = p;
      while (*q == ' ' || *q == '\t')
        q++;
      comment = *q == '#';
      line_start = false;
    }
    if (!comment && *p == '/' && (p == text || !isalnum ((unsigned char) p[-1]))
        && (n = parse_device (p, &disk, &part)) > 0) {
      CLEANUP_FREE char *uuid = device_uuid (m, disk, part);

      if (uuid) {
        if (core_buffer_add (&out, uuid, strlen (uuid)) == -1)
          goto fail;
        p += n;
        continue;
      }
    }
    if (*p == '\n')
      line_start = true;
    if (core_buffer_add (&out, p++, 1) == -1)
      goto fail;
  }
  return core_buffer_take (&out);
 fail:
  core_buffer_reset (&out);
  return NULL;
}

static int
rewrite_file (guestfs_h *g, struct conv_report *r, struct devmap *m,
              const char *path)
{
  CLEANUP_FREE char *before = NULL, *after = NULL;

  if (!guest_is_file (g, path))
    return 0;
  if ((before = guest_read (g, path)) == NULL
      || (after = rewrite_devices (m, before)) == NULL)
    return -1;
  return guest_write (g, r, path, "device names to UUID= (names change with the disk bus)",
                      before, after);
}

/* GRUB 2's defaults: root=UUID= needs GRUB_DISABLE_LINUX_UUID unset. */
static int
edit_grub_defaults (guestfs_h *g, struct conv_report *r, struct devmap *m)
{
  const char *path = "/etc/default/grub";
  CLEANUP_FREE char *before = NULL, *rewritten = NULL;
  char *p;

  if (!guest_is_file (g, path))
    return 0;
  if ((before = guest_read (g, path)) == NULL
      || (rewritten = rewrite_devices (m, before)) == NULL)
    return -1;
  /* Comment out the setting that makes grub name the root by device. */
  for (p = rewritten; (p = strstr (p, "GRUB_DISABLE_LINUX_UUID=")) != NULL; p++) {
    if (p == rewritten || p[-1] == '\n') {
      CLEANUP_FREE char *head = core_strndup (rewritten, p - rewritten);
      char *edited = core_sprintf ("%s#%s", head ? head : "", p);

      if (head == NULL || edited == NULL) {
        free (edited);
        return -1;
      }
      p = edited + (p - rewritten) + 1;
      free (rewritten);
      rewritten = edited;
    }
  }
  return guest_write (g, r, path,
                      "the kernel finds its root by UUID (GRUB_DISABLE_LINUX_UUID off)",
                      before, rewritten);
}

/* ------------------------------------------------------------------ */
/* Kernels and their virtio drivers. */

struct kernel {
  char *version;
  bool has_virtio;              /* virtio_blk and virtio_pci, module or built in */
};
DEFINE_VECTOR_TYPE(kernel_vector, struct kernel)

static void
kernels_free (kernel_vector *v)
{
  for (size_t i = 0; i < v->len; i++)
    free (v->ptr[i].version);
  kernel_vector_reset (v);
}

/* Whether kernel VERSION has driver NAME (e.g. "virtio_blk"), as a module
 * file or built in (modules.builtin). */
static bool
kernel_has (guestfs_h *g, const char *version, const char *name)
{
  CLEANUP_FREE char *pattern = NULL, *builtin = NULL, *needle = NULL;
  char **found;
  bool ok;

  pattern = core_sprintf ("/lib/modules/%s/kernel/drivers/*/%s.ko*", version, name);
  if (pattern == NULL)
    return false;
  found = guest_glob (g, pattern);
  ok = found && found[0];
  free_strings (found);
  if (ok)
    return true;
  free (pattern);
  pattern = core_sprintf ("/lib/modules/%s/kernel/drivers/*/*/%s.ko*", version, name);
  found = pattern ? guest_glob (g, pattern) : NULL;
  ok = found && found[0];
  free_strings (found);
  if (ok)
    return true;
  builtin = core_sprintf ("/lib/modules/%s/modules.builtin", version);
  needle = core_sprintf ("/%s.ko", name);
  if (builtin && needle && guest_is_file (g, builtin)) {
    CLEANUP_FREE char *text = guest_read (g, builtin);
    return text && strstr (text, needle);
  }
  return false;
}

static int
find_kernels (guestfs_h *g, kernel_vector *out)
{
  char **dirs = guestfs_ls (g, "/lib/modules");

  if (dirs == NULL)
    return 0;                   /* no modules at all: no kernels */
  for (char **d = dirs; *d; d++) {
    CLEANUP_FREE char *vmlinuz = core_sprintf ("/boot/vmlinuz-%s", *d);
    CLEANUP_FREE char *vmlinuz2 = core_sprintf ("/boot/vmlinux-%s", *d);
    struct kernel k = { 0 };

    /* Module trees of removed kernels linger: only installed ones count. */
    if (!vmlinuz || !vmlinuz2
        || (!guest_exists (g, vmlinuz) && !guest_exists (g, vmlinuz2)))
      continue;
    k.version = core_strdup (*d);
    k.has_virtio = kernel_has (g, *d, "virtio_blk") && kernel_has (g, *d, "virtio_pci");
    if (k.version == NULL || kernel_vector_append (out, k) == -1) {
      free (k.version);
      free_strings (dirs);
      return -1;
    }
  }
  free_strings (dirs);
  return 0;
}

/* ------------------------------------------------------------------ */
/* The initramfs. */

/* The drivers a virtio guest needs early: the PCI transport, disks
 * (blk and scsi), and the NIC for network roots. */
static const char *const virtio_modules[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", "virtio_console", NULL
};

enum initrd_tool { INITRD_NONE, INITRD_TOOLS, INITRD_DRACUT, INITRD_MKINITRD };

static enum initrd_tool
detect_initrd_tool (guestfs_h *g)
{
  static const char *const update_initramfs[] = {
    "/usr/sbin/update-initramfs", "/sbin/update-initramfs", NULL };
  static const char *const dracut[] = { "/usr/bin/dracut", "/sbin/dracut", "/usr/sbin/dracut", NULL };
  static const char *const mkinitrd[] = { "/sbin/mkinitrd", "/usr/sbin/mkinitrd", NULL };

  if (guest_which (g, update_initramfs) && guest_exists (g, "/etc/initramfs-tools"))
    return INITRD_TOOLS;
  if (guest_which (g, dracut))
    return INITRD_DRACUT;
  if (guest_which (g, mkinitrd))
    return INITRD_MKINITRD;
  return INITRD_NONE;
}

static const char *const initrd_tool_names[] = {
  "none", "initramfs-tools", "dracut", "mkinitrd"
};

static int
add_virtio_to_initramfs (guestfs_h *g, struct conv_report *r,
                         enum initrd_tool tool, const kernel_vector *kernels)
{
  switch (tool) {
  case INITRD_TOOLS: {
    const char *path = "/etc/initramfs-tools/modules";
    CLEANUP_FREE char *before = guest_is_file (g, path) ? guest_read (g, path) : core_strdup ("");
    CLEANUP_FREE char *after = NULL;
    size_t len;

    if (before == NULL)
      return -1;
    len = strlen (before);
    after = core_sprintf ("%s%s# virtio drivers, for booting as a KVM guest (p2vkit)\n",
                          before, len && before[len - 1] != '\n' ? "\n" : "");
    for (const char *const *m = virtio_modules; *m && after; m++) {
      char *more = core_sprintf ("%s%s\n", after, *m);
      free (after);
      after = more;
    }
    if (after == NULL
        || guest_write (g, r, path, "virtio drivers into the initramfs", before, after) == -1)
      return -1;
    break;
  }
  case INITRD_DRACUT: {
    const char *path = "/etc/dracut.conf.d/p2vkit-virtio.conf";
    const char *conf = "# virtio drivers, for booting as a KVM guest (p2vkit)\n"
      "add_drivers+=\" virtio_pci virtio_blk virtio_scsi virtio_net virtio_console \"\n";

    if (guestfs_mkdir_p (g, "/etc/dracut.conf.d") == -1
        || guest_write (g, r, path, "virtio drivers into the initramfs", NULL, conf) == -1)
      return -1;
    break;
  }
  default:
    break;
  }

  for (size_t i = 0; i < kernels->len; i++) {
    const char *v = kernels->ptr[i].version;
    CLEANUP_FREE char *cmd = NULL;
    CLEANUP_FREE char *out = NULL;
    int status;

    if (!kernels->ptr[i].has_virtio)
      continue;
    switch (tool) {
    case INITRD_TOOLS: {
      CLEANUP_FREE char *initrd = core_sprintf ("/boot/initrd.img-%s", v);
      cmd = core_sprintf ("update-initramfs %s -k '%s'",
                          initrd && guest_exists (g, initrd) ? "-u" : "-c", v);
      break;
    }
    case INITRD_DRACUT: {
      /* Where the distribution keeps it: initramfs-V.img (Red Hat),
       * initrd-V (SUSE). */
      CLEANUP_FREE char *suse = core_sprintf ("/boot/initrd-%s", v);
      if (suse && guest_exists (g, suse))
        cmd = core_sprintf ("dracut -f '/boot/initrd-%s' '%s'", v, v);
      else
        cmd = core_sprintf ("dracut -f '/boot/initramfs-%s.img' '%s'", v, v);
      break;
    }
    case INITRD_MKINITRD:
      cmd = core_sprintf ("mkinitrd -f --with=virtio_pci --with=virtio_blk "
                          "--with=virtio_scsi --with=virtio_net "
                          "'/boot/initrd-%s.img' '%s'", v, v);
      break;
    default:
      return 0;
    }
    if (cmd == NULL)
      return -1;
    status = guest_sh (g, r, cmd, &out);
    if (status != 0) {
      char *nl;
      /* The last line of its output says why. */
      while (out && (nl = strrchr (out, '\n')) && nl[1] == '\0')
        *nl = '\0';
      nl = out ? strrchr (out, '\n') : NULL;
      core_error ("%s: the initramfs of kernel %s could not be rebuilt (%s "
                  "exited with %d%s%s)", r->name, v, initrd_tool_names[tool], status,
                  out ? ": " : "", out ? (nl ? nl + 1 : out) : "");
      return -1;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* The bootloader. */

static int
regenerate_bootloader (guestfs_h *g, struct conv_report *r, struct devmap *m)
{
  static const char *const update_grub[] = { "/usr/sbin/update-grub", "/sbin/update-grub", NULL };
  static const char *const grub2_mkconfig[] = {
    "/usr/sbin/grub2-mkconfig", "/sbin/grub2-mkconfig", NULL };
  static const char *const grub_mkconfig[] = {
    "/usr/sbin/grub-mkconfig", "/sbin/grub-mkconfig", NULL };
  const char *cmd = NULL;
  CLEANUP_FREE char *owned = NULL;

  if (edit_grub_defaults (g, r, m) == -1)
    return -1;
  /* Legacy and BLS configurations carry the kernel arguments themselves. */
  if (rewrite_file (g, r, m, "/boot/grub/menu.lst") == -1
      || rewrite_file (g, r, m, "/boot/grub/grub.conf") == -1)
    return -1;
  {
    char **entries = guest_glob (g, "/boot/loader/entries/*.conf");
    for (char **e = entries; e && *e; e++)
      if (rewrite_file (g, r, m, *e) == -1) {
        free_strings (entries);
        return -1;
      }
    free_strings (entries);
  }

  if (guest_is_file (g, "/boot/grub/grub.cfg") && guest_which (g, update_grub))
    cmd = "update-grub";
  else if (guest_which (g, grub2_mkconfig)) {
    const char *cfg = guest_is_file (g, "/boot/grub2/grub.cfg") ? "/boot/grub2/grub.cfg" : NULL;
    if (cfg == NULL) {
      char **efi = guest_glob (g, "/boot/efi/EFI/*/grub.cfg");
      if (efi && efi[0])
        owned = core_sprintf ("grub2-mkconfig -o '%s'", efi[0]);
      free_strings (efi);
      cmd = owned;
    }
    else
      cmd = "grub2-mkconfig -o /boot/grub2/grub.cfg";
  }
  else if (guest_is_file (g, "/boot/grub/grub.cfg") && guest_which (g, grub_mkconfig))
    cmd = "grub-mkconfig -o /boot/grub/grub.cfg";

  if (cmd) {
    int status = guest_sh (g, r, cmd, NULL);
    if (status != 0) {
      core_error ("%s: the bootloader configuration could not be generated "
                  "again (%s exited with %d; see the report's commands)",
                  r->name, cmd, status);
      return -1;
    }
  }
  else if (!guest_is_file (g, "/boot/grub/menu.lst")
           && !guest_is_file (g, "/boot/grub/grub.conf"))
    conv_report_warn (r, "no GRUB configuration found: the bootloader was not updated");
  return 0;
}

/* ------------------------------------------------------------------ */
/* Network names. */

static bool
nic_like (const char *name)
{
  /* Physical NIC names: kernel (eth), predictable (en*, em*, p1p1), old
   * Red Hat biosdevname (em1), others' (nic0). */
  static const char *const pats[] = {
    "eth[0-9]*", "en*", "em[0-9]*", "p[0-9]*p[0-9]*", "nic[0-9]*", NULL
  };
  if (strchr (name, ':') || strchr (name, '.'))
    return false;               /* aliases and VLANs ride on their NIC */
  for (const char *const *p = pats; *p; p++)
    if (fnmatch (*p, name, 0) == 0)
      return true;
  return false;
}

static int
add_name (core_string_vector *v, const char *s, size_t n)
{
  char *name = core_strndup (s, n);

  if (name == NULL)
    return -1;
  if (!nic_like (name)) {
    free (name);
    return 0;
  }
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i], name) == 0) {
      free (name);
      return 0;
    }
  if (core_string_vector_append (v, name) == -1) {
    free (name);
    return -1;
  }
  return 0;
}

/* After each of the words KEYS in TEXT, the names that follow on that
 * line (ifupdown: "iface eth0", "auto eth0 eth1", "bridge_ports eth0"). */
static int
names_after (const char *text, const char *const *keys, bool all_words,
             core_string_vector *out)
{
  for (const char *line = text; line && *line; ) {
    const char *end = strchr (line, '\n');
    const char *p = line;
    size_t ll = end ? (size_t) (end - line) : strlen (line);

    while (*p == ' ' || *p == '\t')
      p++;
    for (const char *const *k = keys; *k; k++) {
      size_t kl = strlen (*k);

      if ((size_t) (p - line) + kl < ll && strncmp (p, *k, kl) == 0
          && (p[kl] == ' ' || p[kl] == '\t' || p[kl] == '=')) {
        const char *q = p + kl;
        do {
          size_t n;
          while (*q == ' ' || *q == '\t' || *q == '=' || *q == '"')
            q++;
          n = strcspn (q, " \t\n\"");
          if (n == 0 || (size_t) (q - line) >= ll)
            break;
          if (add_name (out, q, n) == -1)
            return -1;
          q += n;
        } while (all_words);
      }
    }
    line = end ? end + 1 : NULL;
  }
  return 0;
}

/* The NIC names the guest's network configuration uses. */
static int
find_nic_names (guestfs_h *g, core_string_vector *out)
{
  static const char *const ifupdown[] = {
    "iface", "auto", "allow-hotplug", "allow-auto", "bridge_ports",
    "bridge-ports", "bond-slaves", "slaves", NULL };
  static const char *const ifcfg[] = { "DEVICE", NULL };
  static const char *const nm[] = { "interface-name", NULL };
  static const char *const globs[] = {
    "/etc/network/interfaces", "/etc/network/interfaces.d/*",
    "/etc/sysconfig/network-scripts/ifcfg-*", "/etc/sysconfig/network/ifcfg-*",
    "/etc/NetworkManager/system-connections/*", "/etc/netplan/*.yaml", NULL };

  for (const char *const *gl = globs; *gl; gl++) {
    char **files = guest_glob (g, *gl);

    for (char **f = files; f && *f; f++) {
      CLEANUP_FREE char *text = NULL;
      int r = 0;

      if (!guest_is_file (g, *f) || (text = guest_read (g, *f)) == NULL)
        continue;
      if (strstr (*gl, "interfaces"))
        r = names_after (text, ifupdown, true, out);
      else if (strstr (*gl, "ifcfg-")) {
        const char *base = strrchr (*f, '/') + strlen ("/ifcfg-");
        r = names_after (text, ifcfg, false, out);
        if (r == 0)
          r = add_name (out, base, strlen (base));
      }
      else if (strstr (*gl, "NetworkManager"))
        r = names_after (text, nm, false, out);
      else {
        /* netplan: the keys under "ethernets:" that look like NIC names. */
        const char *eth = strstr (text, "ethernets:");
        for (const char *line = eth ? strchr (eth, '\n') : NULL; line && r == 0; ) {
          const char *p = ++line, *colon;
          size_t n;
          while (*p == ' ')
            p++;
          colon = strchr (p, ':');
          n = strcspn (p, ":\n");
          if (colon && p[n] == ':' && (p[n + 1] == '\n' || p[n + 1] == ' ' || p[n + 1] == '\0'))
            r = add_name (out, p, n);
          line = strchr (line, '\n');
        }
      }
      if (r == -1) {
        free_strings (files);
        return -1;
      }
    }
    free_strings (files);
  }
  return 0;
}

/* A MAC in QEMU's locally administered range, fixed by the guest's name
 * and the NIC's index so that converting again gives the same. */
static char *
make_mac (const char *name, size_t index)
{
  uint32_t h = 2166136261u;

  for (const char *p = name; *p; p++)
    h = (h ^ (unsigned char) *p) * 16777619u;
  h = (h ^ (uint32_t) index) * 16777619u;
  return core_sprintf ("52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff,
                       (h >> 8) & 0xff, h & 0xff);
}

static int
keep_nic_names (guestfs_h *g, struct conv_report *r)
{
  static const char *const udevd[] = {
    "/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd", NULL };
  core_string_vector names = { 0 };
  bool systemd = guest_which (g, udevd) != NULL;
  int ret = -1;

  if (find_nic_names (g, &names) == -1)
    goto out;
  for (size_t i = 0; i < (names.len ? names.len : 1); i++) {
    char *mac = make_mac (r->name, i);

    if (mac == NULL || core_string_vector_append (&r->nic_macs, mac) == -1) {
      free (mac);
      goto out;
    }
  }
  for (size_t i = 0; i < names.len; i++) {
    char *n = core_strdup (names.ptr[i]);

    if (n == NULL || core_string_vector_append (&r->nic_names, n) == -1) {
      free (n);
      goto out;
    }
    if (systemd) {
      /* Before 99-default.link, whose name policy would give the new NIC
       * a name from its new PCI slot. */
      CLEANUP_FREE char *path = core_sprintf ("/etc/systemd/network/70-p2vkit-%s.link", n);
      CLEANUP_FREE char *text = core_sprintf (
        "# The NIC of the converted server keeps its name (p2vkit).\n"
        "[Match]\nMACAddress=%s\n\n[Link]\nName=%s\n", r->nic_macs.ptr[i], n);

      if (path == NULL || text == NULL
          || guestfs_mkdir_p (g, "/etc/systemd/network") == -1
          || guest_write (g, r, path, "the new NIC keeps the old NIC's name", NULL, text) == -1)
        goto out;
    }
  }
  if (!systemd && names.len) {
    /* udev without systemd: persistent-net rules by MAC.  Old rules for
     * these names (the physical NICs' MACs) would make the new NICs eth1... */
    const char *path = "/etc/udev/rules.d/70-persistent-net.rules";
    CLEANUP_FREE char *before = guest_is_file (g, path) ? guest_read (g, path) : NULL;
    CLEANUP_FREE char *after = core_strdup ("");

    for (const char *line = before; line && *line && after; ) {
      const char *end = strchr (line, '\n');
      size_t n = end ? (size_t) (end - line) : strlen (line);
      bool old = false;
      char *more;

      for (size_t i = 0; i < names.len; i++) {
        CLEANUP_FREE char *pat = core_sprintf ("NAME=\"%s\"", names.ptr[i]);
        if (pat && line[0] != '#' && memmem (line, n, pat, strlen (pat)))
          old = true;
      }
      more = core_sprintf ("%s%s%.*s\n", after, old ? "# (p2vkit: the physical NIC) " : "",
                           (int) n, line);
      free (after);
      after = more;
      line = end ? end + 1 : NULL;
    }
    for (size_t i = 0; i < names.len && after; i++) {
      char *more = core_sprintf ("%sSUBSYSTEM==\"net\", ACTION==\"add\", "
                                 "ATTR{address}==\"%s\", NAME=\"%s\"\n",
                                 after, r->nic_macs.ptr[i], names.ptr[i]);
      free (after);
      after = more;
    }
    if (after == NULL
        || guest_write (g, r, path, "the new NICs keep the old NICs' names", before, after) == -1)
      goto out;
  }
  ret = 0;
 out:
  core_string_vector_free (&names);
  return ret;
}

/* ------------------------------------------------------------------ */
/* Other hypervisors' guest tools. */

static bool
foreign_tool (const char *pkg)
{
  static const char *const pats[] = {
    "open-vm-tools*", "vmware-tools*", "VMwareTools*", "virtualbox-guest-*",
    "VirtualBox-guest*", "xe-guest-utilities*", "xenserver-guest-utilities*", NULL };

  for (const char *const *p = pats; *p; p++)
    if (fnmatch (*p, pkg, 0) == 0)
      return true;
  return false;
}

static int
remove_foreign_tools (guestfs_h *g, const char *root, struct conv_report *r)
{
  struct guestfs_application2_list *apps = guestfs_inspect_list_applications2 (g, root);
  CLEANUP_FREE char *list = core_strdup ("");
  int ret = 0;

  if (apps == NULL) {
    conv_report_warn (r, "the guest's packages could not be listed: %s",
                      guestfs_last_error (g));
    return 0;
  }
  for (uint32_t i = 0; i < apps->len && list; i++) {
    const char *n = apps->val[i].app2_name;

    if (foreign_tool (n)) {
      char *more = core_sprintf ("%s '%s'", list, n);
      char *copy = core_strdup (n);

      free (list);
      list = more;
      if (copy == NULL || core_string_vector_append (&r->removed_packages, copy) == -1)
        free (copy);
    }
  }
  guestfs_free_application2_list (apps);
  if (list == NULL)
    return -1;
  if (list[0]) {
    CLEANUP_FREE char *cmd = NULL;
    int status;

    if (r->package_format && strcmp (r->package_format, "deb") == 0)
      /* apt-get purge needs no network; dpkg alone when apt is absent. */
      cmd = core_sprintf ("if command -v apt-get >/dev/null; then apt-get -y purge%s; "
                          "else dpkg --purge%s; fi", list, list);
    else if (r->package_format && strcmp (r->package_format, "rpm") == 0)
      cmd = core_sprintf ("rpm -e%s", list);
    if (cmd) {
      status = guest_sh (g, r, cmd, NULL);
      if (status != 0)
        conv_report_warn (r, "removing%s exited with %d: other hypervisors' "
                          "tools may still be installed", list, status);
    }
    else
      conv_report_warn (r, "packages%s are another hypervisor's tools, and "
                        "this package format cannot be handled", list);
  }
  /* Installed from VMware's and VirtualBox's own installers. */
  if (guest_is_file (g, "/usr/bin/vmware-uninstall-tools.pl")) {
    if (guest_sh (g, r, "/usr/bin/vmware-uninstall-tools.pl", NULL) != 0)
      conv_report_warn (r, "VMware Tools' uninstaller failed");
  }
  {
    char **vbox = guest_glob (g, "/opt/VBoxGuestAdditions-*/uninstall.sh");
    for (char **v = vbox; v && *v; v++) {
      CLEANUP_FREE char *cmd = core_sprintf ("'%s'", *v);
      if (cmd && guest_sh (g, r, cmd, NULL) != 0)
        conv_report_warn (r, "%s failed", *v);
    }
    free_strings (vbox);
  }
  return ret;
}

/* ------------------------------------------------------------------ */

static int
selinux_relabel (guestfs_h *g, struct conv_report *r)
{
  CLEANUP_FREE char *config = NULL;

  if (!guest_is_file (g, "/etc/selinux/config")
      || (config = guest_read (g, "/etc/selinux/config")) == NULL)
    return 0;
  if (!strstr (config, "\nSELINUX=enforcing") && !strstr (config, "\nSELINUX=permissive")
      && strncmp (config, "SELINUX=enforcing", 17) != 0
      && strncmp (config, "SELINUX=permissive", 18) != 0)
    return 0;
  /* Files written here have no labels: the guest relabels on first boot. */
  return guest_write (g, r, "/.autorelabel", "SELinux relabels the files on first boot",
                      NULL, "");
}

/* The facts reporter: the script, a systemd unit when the guest has
 * systemd, S99 links in the rc folders of runlevels 2 to 5 when it has
 * them (sysvinit, and upstart's rc).  Both when it has both: the script
 * runs once whichever starts it first, and removes the other hook. */
static int
install_facts_reporter (guestfs_h *g, struct conv_report *r)
{
  static const char *const systemd_bins[] = {
    "/lib/systemd/systemd", "/usr/lib/systemd/systemd", NULL };
  static const char wants[] = "/etc/systemd/system/multi-user.target.wants";
  static const char want[] = "/etc/systemd/system/multi-user.target.wants/p2vkit-facts.service";
  bool hooked = false;

#define GFS(call) \
  do { if ((call) == -1) { \
      core_error ("installing the facts reporter: %s", guestfs_last_error (g)); \
      return -1; } } while (0)
  GFS (guestfs_mkdir_p (g, "/etc/p2vkit"));
  if (guest_write (g, r, CONV_LINUX_FACTS_SCRIPT, "the facts reporter, run once at the first "
                   "boot (p2vkit migrate reads what it writes to the serial console)",
                   NULL, conv_linux_facts_script) == -1)
    return -1;
  GFS (guestfs_chmod (g, 0755, CONV_LINUX_FACTS_SCRIPT));
  if (guest_which (g, systemd_bins)) {
    GFS (guestfs_mkdir_p (g, wants));
    if (guest_write (g, r, CONV_LINUX_FACTS_UNIT, "runs the facts reporter once",
                     NULL, conv_linux_facts_unit) == -1)
      return -1;
    GFS (guestfs_ln_sf (g, CONV_LINUX_FACTS_UNIT, want));
    if (conv_report_change (r, want, "enables the facts reporter's unit", NULL,
                            CONV_LINUX_FACTS_UNIT) == -1)
      return -1;
    hooked = true;
  }
  for (int level = 2; level <= 5; level++) {
    CLEANUP_FREE char *d1 = core_sprintf ("/etc/rc%d.d", level);
    CLEANUP_FREE char *d2 = core_sprintf ("/etc/rc.d/rc%d.d", level);
    CLEANUP_FREE char *link = NULL;
    const char *dir;

    if (d1 == NULL || d2 == NULL)
      return -1;
    /* /etc/rcN.d is a link to rc.d/rcN.d on Red Hat's systems. */
    dir = guestfs_is_dir_opts (g, d1, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 1, -1) > 0 ? d1
      : guestfs_is_dir_opts (g, d2, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 1, -1) > 0 ? d2 : NULL;
    if (dir == NULL)
      continue;
    if ((link = core_sprintf ("%s/S99p2vkit-facts", dir)) == NULL)
      return -1;
    GFS (guestfs_ln_sf (g, CONV_LINUX_FACTS_SCRIPT, link));
    if (conv_report_change (r, link, "runs the facts reporter once (sysvinit)", NULL,
                            CONV_LINUX_FACTS_SCRIPT) == -1)
      return -1;
    hooked = true;
  }
#undef GFS
  if (!hooked)
    return conv_report_warn (r, "neither systemd nor rc folders (/etc/rc2.d) found: the facts "
                             "reporter will not run, and p2vkit migrate cannot verify "
                             "this guest's services and addresses");
  return 0;
}

int
conv_linux_convert (guestfs_h *g, const char *root, enum conv_mode mode,
                    bool facts, struct conv_report *r)
{
  kernel_vector kernels = { 0 };
  struct devmap m = { .g = g };
  enum initrd_tool tool;
  size_t with_virtio = 0;
  int ret = -1;

  if (find_kernels (g, &kernels) == -1)
    goto out;
  for (size_t i = 0; i < kernels.len; i++) {
    char *v = core_strdup (kernels.ptr[i].version);
    if (v == NULL || core_string_vector_append (&r->kernels, v) == -1) {
      free (v);
      goto out;
    }
    with_virtio += kernels.ptr[i].has_virtio;
  }
  if (kernels.len == 0) {
    core_error ("%s: no kernel found in /boot and /lib/modules: p2vkit cannot "
                "convert this guest", r->name);
    goto out;
  }
  tool = detect_initrd_tool (g);

  /* The decision. */
  if (mode != CONV_MODE_FULL) {
    const char *why = NULL;

    if (with_virtio == 0)
      why = "no kernel in the guest has virtio drivers (virtio_blk, virtio_pci)";
    else if (tool == INITRD_NONE)
      why = "the guest has no initramfs tool p2vkit knows (initramfs-tools, dracut, mkinitrd) to add the virtio drivers with";
    if (why && mode == CONV_MODE_PARAVIRT) {
      core_error ("%s: paravirtualization is impossible: %s; convert it with "
                  "--mode full (or auto)", r->name, why);
      goto out;
    }
    if (why) {
      mode = CONV_MODE_FULL;
      r->mode_reason = core_sprintf ("auto: full, because %s", why);
    }
    else {
      if (!r->mode_reason)
        r->mode_reason = core_sprintf ("%s: %zu of %zu kernels have virtio drivers, "
                                       "added to the initramfs with %s",
                                       mode == CONV_MODE_AUTO ? "auto: paravirt"
                                       : "paravirt requested",
                                       with_virtio, kernels.len, initrd_tool_names[tool]);
      mode = CONV_MODE_PARAVIRT;
    }
  }
  else if (!r->mode_reason)
    r->mode_reason = core_strdup ("full requested: the guest keeps its drivers");
  r->mode = mode;
  for (size_t i = 0; i < kernels.len; i++)
    if (mode == CONV_MODE_PARAVIRT && !kernels.ptr[i].has_virtio)
      conv_report_warn (r, "kernel %s has no virtio drivers: it will not boot "
                        "as a paravirtualized guest", kernels.ptr[i].version);

  m.devices = guestfs_list_devices (g);
  if (m.devices == NULL) {
    core_error ("libguestfs: %s", guestfs_last_error (g));
    goto out;
  }
  if (remove_foreign_tools (g, root, r) == -1
      || rewrite_file (g, r, &m, "/etc/fstab") == -1
      || rewrite_file (g, r, &m, "/etc/crypttab") == -1
      || rewrite_file (g, r, &m, "/etc/initramfs-tools/conf.d/resume") == -1
      || keep_nic_names (g, r) == -1
      || (facts && install_facts_reporter (g, r) == -1)
      || selinux_relabel (g, r) == -1)
    goto out;
  /* The initramfs after the files it copies (fstab, resume, .link). */
  if (mode == CONV_MODE_PARAVIRT
      && add_virtio_to_initramfs (g, r, tool, &kernels) == -1)
    goto out;
  if (regenerate_bootloader (g, r, &m) == -1)
    goto out;
  ret = 0;
 out:
  free_strings (m.devices);
  kernels_free (&kernels);
  return ret;
}
