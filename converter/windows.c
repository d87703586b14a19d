/* Windows guests through libguestfs: the tree is the mounted system
 * drive, and converter/registry.c does the work (the hives are copied
 * out, edited with hivex and copied back).  Here: the conv_win_fs
 * callbacks over a guestfs handle, and the results into the report. */
#include <string.h>

#include "converter/converter.h"

/* Paths from registry.c are relative to the system drive's root. */
static char *
abs_path (const char *path)
{
  return core_sprintf ("/%s", path);
}

static char *
gfs_resolve (void *opaque, const char *path)
{
  guestfs_h *g = opaque;
  CLEANUP_FREE char *want = abs_path (path);
  char *found;

  if (!want)
    return NULL;
  /* case_sensitive_path gives the path with the case on disk for the
   * parts that exist; the whole path must exist. */
  guestfs_push_error_handler (g, NULL, NULL);
  found = guestfs_case_sensitive_path (g, want);
  int exists = found ? guestfs_exists (g, found) : 0;
  guestfs_pop_error_handler (g);
  if (!found || exists != 1) {
    free (found);
    return NULL;
  }
  char *rel = core_strdup (found[0] == '/' ? found + 1 : found);
  free (found);
  return rel;
}

static int
gfs_list (void *opaque, const char *path, core_string_vector *names)
{
  guestfs_h *g = opaque;
  CLEANUP_FREE char *dir = abs_path (path);
  char **ls = dir ? guestfs_ls (g, dir) : NULL;
  int r = 0;

  if (!ls) {
    if (dir)
      core_error ("%s: %s", dir, guestfs_last_error (g));
    return -1;
  }
  for (size_t i = 0; ls[i]; i++) {
    if (r == 0 && core_string_vector_append (names, ls[i]) == 0)
      continue;
    r = -1;
    free (ls[i]);
  }
  free (ls);
  return r;
}

static int
gfs_download (void *opaque, const char *path, const char *local)
{
  guestfs_h *g = opaque;
  CLEANUP_FREE char *p = abs_path (path);
  if (!p)
    return -1;
  if (guestfs_download (g, p, local) == -1) {
    core_error ("%s: %s", p, guestfs_last_error (g));
    return -1;
  }
  return 0;
}

static int
gfs_upload (void *opaque, const char *local, const char *path)
{
  guestfs_h *g = opaque;
  CLEANUP_FREE char *p = abs_path (path);
  if (!p)
    return -1;
  if (guestfs_upload (g, local, p) == -1) {
    core_error ("%s: %s", p, guestfs_last_error (g));
    return -1;
  }
  return 0;
}

static int
gfs_mkdir_p (void *opaque, const char *path)
{
  guestfs_h *g = opaque;
  CLEANUP_FREE char *p = abs_path (path);
  if (!p)
    return -1;
  if (guestfs_mkdir_p (g, p) == -1) {
    core_error ("%s: %s", p, guestfs_last_error (g));
    return -1;
  }
  return 0;
}

/* A stable locally administered MAC per guest name and NIC (QEMU's
 * 52:54:00 prefix), as the Linux side makes them. */
static char *
nic_mac (const char *name, size_t index)
{
  uint32_t h = 2166136261u;
  for (const char *p = name ? name : ""; *p; p++)
    h = (h ^ (unsigned char) *p) * 16777619u;
  h = (h ^ (uint32_t) index) * 16777619u;
  return core_sprintf ("52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff,
                       (h >> 8) & 0xff, h & 0xff);
}

int
conv_windows_convert (guestfs_h *g, const char *root, enum conv_mode mode,
                      const char *virtio_win, int64_t vcpus, bool facts,
                      struct conv_report *report)
{
  struct conv_win_fs fs = {
    .opaque = g, .resolve = gfs_resolve, .list = gfs_list,
    .download = gfs_download, .upload = gfs_upload, .mkdir_p = gfs_mkdir_p,
  };
  struct conv_win_opts o = {
    .paravirt = mode == CONV_MODE_PARAVIRT,
    .mode_auto = mode == CONV_MODE_AUTO,
    .virtio_win = virtio_win,
    .vcpus = vcpus > 0 && vcpus < 4096 ? (int) vcpus : 0,
    .facts = facts,
  };
  struct conv_win_guest wg = { 0 };
  struct conv_win_log log = { 0 };
  CLEANUP_FREE char *arch = guestfs_inspect_get_arch (g, root);
  int r = -1;

  o.arch = arch;
  /* A VMDK came from VMware (registry.c also looks for VMware Tools). */
  for (size_t i = 0; i < report->disks.len; i++)
    if (report->disks.ptr[i].source_format
        && strcmp (report->disks.ptr[i].source_format, "vmdk") == 0)
      o.from_vmware = true;

  if (conv_win_convert_tree (&fs, &o, &wg, &log) == -1)
    goto out;

  report->mode = log.paravirt ? CONV_MODE_PARAVIRT : CONV_MODE_FULL;
  if (!report->mode_reason)
    report->mode_reason = log.mode_reason
      ? core_sprintf ("auto: %s, because %s", log.paravirt ? "paravirt" : "full",
                      log.mode_reason)
      : core_strdup (log.paravirt ? "paravirt requested: viostor and NetKVM from the "
                     "virtio-win tree" : "full requested: Windows' own IDE drivers "
                     "made boot-start");
  if (!report->mode_reason)
    goto out;
  /* One NIC per adapter that had a fixed address (at least one): the
   * first-boot script gives the I-th address to the I-th adapter. */
  for (size_t i = 0; i < (wg.nics.len ? wg.nics.len : 1); i++) {
    char *mac = nic_mac (report->name, i);
    char *guid = i < wg.nics.len ? core_strdup (wg.nics.ptr[i].guid) : NULL;
    if (!mac || core_string_vector_append (&report->nic_macs, mac) == -1) {
      free (mac);
      free (guid);
      goto out;
    }
    if (guid && core_string_vector_append (&report->nic_names, guid) == -1) {
      free (guid);
      goto out;
    }
  }
  for (size_t i = 0; i < log.changes.len; i++) {
    const struct conv_win_change *c = &log.changes.ptr[i];
    if (conv_report_change (report, c->path, c->what, c->before, c->after) == -1)
      goto out;
  }
  for (size_t i = 0; i < log.disabled.len; i++)
    if (conv_report_warn (report, "service %s disabled: its hardware stays behind",
                          log.disabled.ptr[i]) == -1)
      goto out;
  for (size_t i = 0; i < log.warnings.len; i++)
    if (conv_report_warn (report, "%s", log.warnings.ptr[i]) == -1)
      goto out;
  if (wg.nics.len > 0
      && conv_report_warn (report, "the fixed address of %zu adapter%s is given back "
                           "at first boot by \\p2vkit\\firstboot.cmd; see "
                           "\\p2vkit\\firstboot.log in the guest", wg.nics.len,
                           wg.nics.len > 1 ? "s" : "") == -1)
    goto out;
  r = 0;
 out:
  conv_win_guest_clear (&wg);
  conv_win_log_clear (&log);
  return r;
}
