/* Hardware facts: CPU (/proc/cpuinfo, cpufreq), memory (/proc/meminfo),
 * firmware (/sys/firmware), DMI (/sys/class/dmi/id), disks (/sys/block),
 * file systems (/proc/mounts and statvfs) and NICs (/sys/class/net). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/statvfs.h>

#include "inventory/inventory.h"

static int
read_cpu (struct inv_src *s, struct core_cpu *cpu)
{
  CLEANUP_FREE char *text = inv_src_read_warn (s, "/proc/cpuinfo", 16 << 20, NULL);
  struct inv_cpuinfo ci;
  int64_t khz;

  if (text == NULL)
    return 0;
  inv_parse_cpuinfo (text, &ci);
  cpu->model = ci.model;
  ci.model = NULL;
  cpu->sockets = ci.sockets;
  cpu->cores = ci.cores;
  cpu->threads = ci.threads;
  cpu->virt = ci.virt;
  /* The rated top frequency when cpufreq gives it; "cpu MHz" is the
   * current one, lower when the CPU is idle and scaled down. */
  if (inv_src_int64 (s, "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq",
                     &khz) == 0 && khz >= 1000)
    cpu->mhz = round (khz / 1000.0);
  else if (ci.mhz != CORE_UNSET)
    cpu->mhz = round (ci.mhz);
  if (cpu->cores == CORE_UNSET)
    inv_warn (s, "%s/proc/cpuinfo lists no processor; the CPU count is left out",
              s->root);
  if (cpu->mhz == CORE_UNSET)
    inv_warn (s, "%s/proc/cpuinfo gives no frequency; cpu.mhz is left out",
              s->root);
  return 0;
}

static int
read_memory (struct inv_src *s, struct core_hardware *hw)
{
  CLEANUP_FREE char *text = inv_src_read_warn (s, "/proc/meminfo", 1 << 20, NULL);
  struct inv_meminfo m;

  if (text == NULL)
    return 0;
  inv_parse_meminfo (text, &m);
  /* MemTotal: what the kernel manages, a little less than the modules
   * installed (firmware and the kernel image take the rest). */
  if (m.total_kib > 0)
    hw->memory_mib = (m.total_kib + 512) / 1024;
  else
    inv_warn (s, "%s/proc/meminfo has no MemTotal; memory_mib is left out",
              s->root);
  return 0;
}

static void
read_platform (struct inv_src *s, struct core_hardware *hw)
{
  /* /sys/firmware/efi exists when the kernel was booted by UEFI. */
  if (inv_src_exists (s, "/sys/firmware/efi"))
    hw->firmware = CORE_FIRMWARE_UEFI;
  else if (inv_src_exists (s, "/sys/firmware"))
    hw->firmware = CORE_FIRMWARE_BIOS;
  else
    inv_warn (s, "%s/sys/firmware is missing; firmware is left out", s->root);

  hw->vendor = inv_src_line (s, "/sys/class/dmi/id/sys_vendor");
  hw->product = inv_src_line (s, "/sys/class/dmi/id/product_name");
  if (hw->vendor == NULL && hw->product == NULL)
    inv_warn (s, "%s/sys/class/dmi/id gives no vendor or product "
              "(no DMI tables, or a kernel before 2.6.23); they are left out",
              s->root);
}

/* Disks ---------------------------------------------------------------- */

static bool
has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

/* The entries NAME of DIR (/sys/block, /sys/class/net) that KEEP
 * accepts, given DIR/NAME/device; WHAT names them in the warning when DIR
 * cannot be listed. */
static int
list_devices (struct inv_src *s, const char *dir, const char *what,
              bool (*keep) (struct inv_src *s, const char *dev, const char *name),
              core_string_vector *out)
{
  core_string_vector names = { 0 };
  int ret = -1;

  if (inv_src_list (s, dir, &names) == -1) {
    inv_warn (s, "cannot list %s%s: %s; %s are left out", s->root, dir,
              strerror (errno), what);
    return 0;
  }
  for (size_t i = 0; i < names.len; i++) {
    CLEANUP_FREE char *dev = core_sprintf ("%s/%s/device", dir, names.ptr[i]);

    if (dev == NULL)
      goto fail;
    if (!keep (s, dev, names.ptr[i]))
      continue;
    if (core_string_vector_append (out, names.ptr[i]) == -1)
      goto fail;
    names.ptr[i] = NULL;
  }
  ret = 0;
 fail:
  core_string_vector_free (&names);
  return ret;
}

static bool
is_disk (struct inv_src *s, const char *dev, const char *n)
{
  /* Floppies and optical drives are backed by devices too, but hold no
   * server's data. */
  if (has_prefix (n, "fd") || has_prefix (n, "sr") || has_prefix (n, "scd"))
    return false;
  if (!inv_src_exists (s, dev))
    return false;
  /* Old IDE drives (hda...) say what they are in "media". */
  if (has_prefix (n, "hd")) {
    CLEANUP_FREE char *mp = core_sprintf ("/sys/block/%s/device/media", n);
    CLEANUP_FREE char *media = mp ? inv_src_line (s, mp) : NULL;
    if (media && strcmp (media, "disk") != 0)
      return false;
  }
  return true;
}

int
inv_list_disks (struct inv_src *s, core_string_vector *out)
{
  return list_devices (s, "/sys/block", "disks", is_disk, out);
}

/* Each device that LIST names, read by READ_ONE into OUT (it takes the
 * name by setting *NAME to NULL); -1 when one cannot be read. */
static int
read_each (struct inv_src *s,
           int (*list) (struct inv_src *s, core_string_vector *names),
           int (*read_one) (struct inv_src *s, char **name, void *out),
           void *out)
{
  core_string_vector names = { 0 };
  int ret = 0;

  if (list (s, &names) == -1)
    return -1;
  for (size_t i = 0; i < names.len && ret == 0; i++)
    ret = read_one (s, &names.ptr[i], out);
  core_string_vector_free (&names);
  return ret;
}

static int
read_disk (struct inv_src *s, char **name, void *opaque)
{
  core_disk_vector *out = opaque;
  struct core_disk d = { .size_bytes = CORE_UNSET, .rotational = CORE_UNSET };
  CLEANUP_FREE char *size = core_sprintf ("/sys/block/%s/size", *name);
  CLEANUP_FREE char *model = core_sprintf ("/sys/block/%s/device/model", *name);
  CLEANUP_FREE char *rot = core_sprintf ("/sys/block/%s/queue/rotational", *name);
  CLEANUP_FREE char *removable = core_sprintf ("/sys/block/%s/removable", *name);
  int64_t v;

  if (size == NULL || model == NULL || rot == NULL || removable == NULL)
    return -1;
  /* sysfs counts 512-byte sectors whatever the disk's block size. */
  if (inv_src_int64 (s, size, &v) == 0 && v >= 0 && v <= INT64_MAX / 512)
    d.size_bytes = v * 512;
  else
    inv_warn (s, "cannot read %s%s; the size of %s is left out", s->root,
              size, *name);
  /* An empty card reader or removable drive. */
  if (d.size_bytes == 0 && inv_src_int64 (s, removable, &v) == 0 && v == 1)
    return 0;
  /* queue/rotational appeared in 2.6.29. */
  if (inv_src_int64 (s, rot, &v) == 0 && (v == 0 || v == 1))
    d.rotational = v;
  d.model = inv_src_line (s, model);
  d.name = *name;
  *name = NULL;
  if (core_disk_vector_append (out, d) == -1) {
    free (d.name);
    free (d.model);
    return -1;
  }
  return 0;
}

/* File systems ---------------------------------------------------------- */

/* File systems on local block devices: what would move with the server.
 * Network file systems and the kernel's own (proc, tmpfs, cgroup...) are
 * left out; a device mounted twice (bind mounts) counts once. */
static int
read_filesystems (struct inv_src *s, core_filesystem_vector *out)
{
  CLEANUP_FREE char *text = inv_src_read_warn (s, "/proc/mounts", 16 << 20, NULL);
  inv_mount_vector mounts = { 0 };
  bool warned = false;
  int ret = -1;

  if (text == NULL)
    return 0;
  if (inv_parse_mounts (text, &mounts) == -1)
    return -1;
  for (size_t i = 0; i < mounts.len; i++) {
    struct inv_mount *m = &mounts.ptr[i];
    struct core_filesystem f = { .size_bytes = CORE_UNSET, .used_bytes = CORE_UNSET };
    bool dup = false;

    if (!has_prefix (m->device, "/dev/") || strcmp (m->type, "nfs") == 0
        || strcmp (m->type, "nfs4") == 0 || strcmp (m->type, "cifs") == 0
        || strcmp (m->type, "smbfs") == 0 || strcmp (m->type, "swap") == 0)
      continue;
    for (size_t j = 0; j < out->len; j++)
      if (strcmp (out->ptr[j].device, m->device) == 0)
        dup = true;
    if (dup)
      continue;
    /* Sizes come from statvfs, a system call: only the running system
     * has them, a recorded tree does not. */
    if (inv_src_live (s)) {
      struct statvfs sv;
      if (statvfs (m->mount, &sv) == 0) {
        uint64_t frsize = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
        if (sv.f_blocks <= (uint64_t) INT64_MAX / frsize) {
          f.size_bytes = sv.f_blocks * frsize;
          f.used_bytes = (sv.f_blocks - (sv.f_bfree <= sv.f_blocks ? sv.f_bfree : sv.f_blocks)) * frsize;
        }
      }
      else
        inv_warn (s, "statvfs %s: %s; its size is left out", m->mount,
                  strerror (errno));
    }
    else if (!warned) {
      inv_warn (s, "file system sizes come from statvfs and are left out "
                "with --root");
      warned = true;
    }
    f.mount = m->mount;
    f.device = m->device;
    f.type = m->type;
    m->mount = m->device = m->type = NULL;
    if (core_filesystem_vector_append (out, f) == -1) {
      free (f.mount);
      free (f.device);
      free (f.type);
      goto out;
    }
  }
  ret = 0;
 out:
  inv_mounts_free (&mounts);
  return ret;
}

/* NICs ------------------------------------------------------------------ */

static bool
is_nic (struct inv_src *s, const char *dev, const char *name)
{
  (void) name;
  return inv_src_exists (s, dev);
}

int
inv_list_nics (struct inv_src *s, core_string_vector *out)
{
  return list_devices (s, "/sys/class/net", "NICs", is_nic, out);
}

/* The addresses of NIC NAME on the running system (getifaddrs: netlink,
 * which the static agent has), with their prefix lengths, for p2vkit
 * migrate to find on the VM.  IPv4 aliases ("eth0:1") count as NAME's.
 * Link-local IPv6 addresses are left out: made from the MAC, they change
 * with the new NIC. */
int
inv_nic_addresses (struct inv_src *s, const char *name, core_string_vector *out)
{
  struct ifaddrs *all;
  size_t nlen = strlen (name);

  if (!inv_src_live (s))
    return 0;
  if (getifaddrs (&all) == -1) {
    inv_warn (s, "getifaddrs: %s: the NICs' addresses are not in the profile", strerror (errno));
    return 0;
  }
  for (struct ifaddrs *i = all; i; i = i->ifa_next) {
    char host[INET6_ADDRSTRLEN];
    const unsigned char *mask;
    size_t mlen;
    int prefix = 0;
    bool seen = false;

    if (i->ifa_addr == NULL || i->ifa_netmask == NULL || strncmp (i->ifa_name, name, nlen) != 0
        || (i->ifa_name[nlen] != '\0' && i->ifa_name[nlen] != ':'))
      continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const struct sockaddr_in *a = (const void *) i->ifa_addr;
      inet_ntop (AF_INET, &a->sin_addr, host, sizeof host);
      mask = (const void *) &((const struct sockaddr_in *) (const void *) i->ifa_netmask)->sin_addr;
      mlen = 4;
    }
    else if (i->ifa_addr->sa_family == AF_INET6) {
      const struct sockaddr_in6 *a = (const void *) i->ifa_addr;
      if (IN6_IS_ADDR_LINKLOCAL (&a->sin6_addr))
        continue;
      inet_ntop (AF_INET6, &a->sin6_addr, host, sizeof host);
      mask = (const void *) &((const struct sockaddr_in6 *) (const void *) i->ifa_netmask)->sin6_addr;
      mlen = 16;
    }
    else
      continue;
    for (size_t k = 0; k < mlen; k++)
      for (unsigned b = mask[k]; b; b &= b - 1)
        prefix++;
    CLEANUP_FREE char *text = core_sprintf ("%s/%d", host, prefix);
    if (text == NULL) {
      freeifaddrs (all);
      return -1;
    }
    for (size_t k = 0; k < out->len; k++)
      seen |= strcmp (out->ptr[k], text) == 0;
    if (!seen && core_string_vector_append (out, text) == -1) {
      freeifaddrs (all);
      return -1;
    }
    if (!seen)
      text = NULL;
  }
  freeifaddrs (all);
  return 0;
}

static int
read_nic (struct inv_src *s, char **name, void *opaque)
{
  core_nic_vector *out = opaque;
  struct core_nic n = { .speed_mbps = CORE_UNSET };
  CLEANUP_FREE char *addr = core_sprintf ("/sys/class/net/%s/address", *name);
  CLEANUP_FREE char *speed = core_sprintf ("/sys/class/net/%s/speed", *name);
  CLEANUP_FREE char *drv = core_sprintf ("/sys/class/net/%s/device/driver", *name);
  int64_t v;

  if (addr == NULL || speed == NULL || drv == NULL)
    return -1;
  n.mac = inv_src_line (s, addr);
  /* speed is -1, or cannot be read (EINVAL), while the link is down
   * and on virtual hardware. */
  if (inv_src_int64 (s, speed, &v) == 0 && v > 0)
    n.speed_mbps = v;
  n.driver = inv_src_link_name (s, drv);
  n.name = *name;
  *name = NULL;
  if (inv_nic_addresses (s, n.name, &n.addresses) == -1
      || core_nic_vector_append (out, n) == -1) {
    free (n.name);
    free (n.mac);
    free (n.driver);
    core_string_vector_free (&n.addresses);
    return -1;
  }
  return 0;
}

int
inv_read_hardware (struct inv_src *s, struct core_hardware *hw)
{
  read_platform (s, hw);
  if (read_cpu (s, &hw->cpu) == -1
      || read_memory (s, hw) == -1
      || read_each (s, inv_list_disks, read_disk, &hw->disks) == -1
      || read_filesystems (s, &hw->filesystems) == -1
      || read_each (s, inv_list_nics, read_nic, &hw->nics) == -1
      || inv_read_devices (s, &hw->pci) == -1)
    return -1;
  return 0;
}
