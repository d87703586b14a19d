/* p2vkit convert, the whole job: check the inputs, clone every source
 * disk under a temporary name, convert the copy with libguestfs, write
 * the domain XML and the report, rename the disks into place.  Whatever
 * fails, nothing of this run stays in OUTDIR (and the sources are only
 * ever read). */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "converter/converter.h"

#define notice(o, ...) core_notice ((o)->notify, CORE_NOTICE_INFO, __VA_ARGS__)

/* A previous conversion of NAME in OUTDIR: its report, XML or disks. */
static int
previous_conversion (const char *outdir, const char *name, char **found)
{
  DIR *d = opendir (outdir);
  struct dirent *e;
  CLEANUP_FREE char *disk = core_sprintf ("%s-disk[0-9]*.*", name);
  CLEANUP_FREE char *report = core_sprintf ("%s.report.yaml", name);
  CLEANUP_FREE char *xml = core_sprintf ("%s.xml", name);

  *found = NULL;
  if (d == NULL) {
    if (errno == ENOENT)
      return 0;
    core_error_errno ("%s", outdir);
    return -1;
  }
  if (!disk || !report || !xml) {
    closedir (d);
    return -1;
  }
  while ((e = readdir (d)) != NULL)
    if (strcmp (e->d_name, report) == 0 || strcmp (e->d_name, xml) == 0
        || fnmatch (disk, e->d_name, 0) == 0) {
      struct stat st;

      /* A link to a file not made yet holds nothing: it says where the
       * output goes. */
      if (fstatat (dirfd (d), e->d_name, &st, 0) == -1 && errno == ENOENT)
        continue;
      *found = core_strdup (e->d_name);
      break;
    }
  closedir (d);
  return 0;
}

/* Where output PATH goes (its links followed): the target, allocated, or
 * NULL when it cannot be written, or FILE_ONLY and it is no file, or it is
 * one of the sources, which are never written to. */
static char *
output_target (const struct conv_options *o, const char *path, bool file_only,
               enum core_output_kind *kind)
{
  char *target;
  struct stat ts, ss;
  int fd;

  target = core_output_target (path, kind, &fd);
  if (target == NULL)
    return NULL;
  if (file_only && *kind != CORE_OUTPUT_FILE) {
    core_error ("%s: is a character device, a FIFO or a descriptor; a disk "
                "image is written to a file", path);
    free (target);
    return NULL;
  }
  if (*kind == CORE_OUTPUT_FILE && stat (target, &ts) == 0)
    for (size_t i = 0; i < o->nsources; i++)
      if (stat (o->sources[i], &ss) == 0 && ss.st_dev == ts.st_dev
          && ss.st_ino == ts.st_ino) {
        core_error ("%s: is the source %s, which convert never writes to; "
                    "choose another output folder or --name", path, o->sources[i]);
        free (target);
        return NULL;
      }
  return target;
}

static int
write_report (FILE *fp, void *opaque)
{
  return conv_report_write (fp, opaque);
}

static int
write_domain (FILE *fp, void *opaque)
{
  return conv_domain_write (fp, opaque);
}

/* The results: the domain XML, then the report.  Once both are written,
 * what this run made stays. */
static int
write_results (const struct conv_options *o, struct conv_report *r,
               const char *xml, const char *report,
               const core_string_vector *tmp, bool made_outdir,
               bool *wrote_xml)
{
  if (core_write_atomic (xml, write_domain, r) == -1)
    return -1;
  *wrote_xml = true;
  if (core_write_atomic (report, write_report, r) == -1)
    return -1;
  for (size_t i = 0; i < tmp->len; i++)
    core_tmpfiles_remove (tmp->ptr[i]);
  if (made_outdir)
    core_tmpfiles_remove (o->outdir);
  return 0;
}

static void
silent (guestfs_h *g, void *opaque, const char *msg)
{
  /* The core never prints: errors are read with guestfs_last_error. */
  (void) g; (void) opaque; (void) msg;
}

/* Mount the inspected root's filesystems, shortest mount point first. */
static int
mount_root (guestfs_h *g, const char *root)
{
  char **mps = guestfs_inspect_get_mountpoints (g, root);
  size_t n = 0;

  if (mps == NULL) {
    core_error ("libguestfs: %s", guestfs_last_error (g));
    return -1;
  }
  while (mps[n])
    n += 2;
  for (size_t len = 1; len < 4096; len++) {
    bool more = false;
    for (size_t i = 0; i < n; i += 2) {
      size_t l = strlen (mps[i]);
      if (l > len)
        more = true;
      if (l == len && guestfs_mount (g, mps[i + 1], mps[i]) == -1) {
        /* A filesystem that does not mount (swap named as one, a missing
         * device) is not fatal unless it is the root. */
        if (strcmp (mps[i], "/") == 0) {
          core_error ("%s: cannot mount the root: %s", mps[i + 1], guestfs_last_error (g));
          for (size_t j = 0; j < n; j++)
            free (mps[j]);
          free (mps);
          return -1;
        }
      }
    }
    if (!more)
      break;
  }
  for (size_t j = 0; j < n; j++)
    free (mps[j]);
  free (mps);
  return 0;
}

static int
inspect (guestfs_h *g, const struct conv_options *o, struct conv_report *r,
         char **root_out)
{
  char **roots = guestfs_inspect_os (g);
  char *root;
  char *s;

  if (roots == NULL) {
    core_error ("libguestfs inspection: %s", guestfs_last_error (g));
    return -1;
  }
  if (roots[0] == NULL) {
    /* Say why when it is clear: LUKS volumes hide what is in them. */
    bool luks = false;

    for (int pass = 0; pass < 2 && !luks; pass++) {
      char **devs = pass ? guestfs_list_devices (g) : guestfs_list_partitions (g);

      for (size_t i = 0; devs && devs[i]; i++) {
        char *type = guestfs_vfs_type (g, devs[i]);

        if (type && strcmp (type, "crypto_LUKS") == 0)
          luks = true;
        free (type);
        free (devs[i]);
      }
      free (devs);
    }
    free (roots);
    if (luks)
      core_error ("%s: the disk is encrypted (LUKS) and no operating system "
                  "is visible outside it: p2vkit cannot convert it",
                  o->sources[0]);
    else
      core_error ("%s: no operating system found on the disk%s", o->sources[0],
                  o->nsources > 1 ? "s" : "");
    return -1;
  }
  if (roots[1] != NULL)
    conv_report_warn (r, "%s operating systems found; converting the first, on %s",
                      "several", roots[0]);
  root = roots[0];
  for (size_t i = 1; roots[i]; i++)
    free (roots[i]);
  free (roots);
  *root_out = root;

  r->root = core_strdup (root);
  r->os_type = guestfs_inspect_get_type (g, root);
  r->distro = guestfs_inspect_get_distro (g, root);
  r->product = guestfs_inspect_get_product_name (g, root);
  r->major = guestfs_inspect_get_major_version (g, root);
  r->minor = guestfs_inspect_get_minor_version (g, root);
  r->arch = guestfs_inspect_get_arch (g, root);
  r->hostname = guestfs_inspect_get_hostname (g, root);
  s = guestfs_inspect_get_package_format (g, root);
  r->package_format = s;
  if (r->os_type == NULL) {
    core_error ("libguestfs inspection: %s", guestfs_last_error (g));
    return -1;
  }
  /* UEFI when the disk has an EFI system partition the OS uses. */
  r->firmware = CORE_FIRMWARE_BIOS;
  {
    char **mps = guestfs_inspect_get_mountpoints (g, root);
    for (size_t i = 0; mps && mps[i]; i += 2)
      if (strcmp (mps[i], "/boot/efi") == 0)
        r->firmware = CORE_FIRMWARE_UEFI;
    for (size_t i = 0; mps && mps[i]; i++)
      free (mps[i]);
    free (mps);
  }
  return 0;
}

int
conv_run (const struct conv_options *o, struct conv_report *r)
{
  core_string_vector tmp = { 0 };       /* temporary outputs */
  core_string_vector targets = { 0 };   /* the disks' paths, links followed */
  CLEANUP_FREE char *found = NULL;
  CLEANUP_FREE char *root = NULL;
  CLEANUP_FREE char *xml = NULL, *report = NULL;
  CLEANUP_FREE char *xml_target = NULL, *report_target = NULL;
  enum core_output_kind xml_kind = CORE_OUTPUT_FD, report_kind;
  bool made_outdir = false, wrote_xml = false;
  guestfs_h *g = NULL;
  int ret = -1;

  r->name = core_strdup (o->name);
  if (r->name == NULL)
    return -1;

  /* 1. Inputs, before anything is written. */
  if (previous_conversion (o->outdir, o->name, &found) == -1)
    return -1;
  if (found && !o->force) {
    core_error ("%s: holds a previous conversion of %s (%s); use --force to "
                "replace it", o->outdir, o->name, found);
    return -1;
  }
  for (size_t i = 0; i < o->nsources; i++) {
    struct conv_disk_out d = { 0 };

    if (conv_probe_source (o->sources[i], o->source_format, o->allow_backing,
                           &d.source_format, &d.virtual_size) == -1)
      return -1;
    d.source = core_strdup (o->sources[i]);
    d.format = core_strdup (o->format);
    d.path = core_sprintf ("%s/%s-disk%zu.%s", o->outdir, o->name, i + 1, o->format);
    if (!d.source || !d.format || !d.path
        || conv_disk_out_vector_append (&r->disks, d) == -1) {
      free (d.source); free (d.format); free (d.path); free (d.source_format);
      return -1;
    }
  }
  xml = core_sprintf ("%s/%s.xml", o->outdir, o->name);
  report = core_sprintf ("%s/%s.report.yaml", o->outdir, o->name);
  if (xml == NULL || report == NULL)
    return -1;
  for (size_t i = 0; i < r->disks.len; i++) {
    enum core_output_kind kind;
    char *t = output_target (o, r->disks.ptr[i].path, true, &kind);

    if (t == NULL || core_string_vector_append (&targets, t) == -1) {
      free (t);
      goto out;
    }
  }
  if ((xml_target = output_target (o, xml, false, &xml_kind)) == NULL
      || (report_target = output_target (o, report, false, &report_kind)) == NULL)
    goto out;

  /* 2. OUTDIR, and the temporary files beside the disks' targets (removed
   * on failure or signal). */
  if (core_mkdir_registered (o->outdir, 0777, &made_outdir) == -1)
    goto out;
  if (access (o->outdir, W_OK) == -1) {
    core_error_errno ("%s: cannot write there", o->outdir);
    goto out;
  }
  for (size_t i = 0; i < r->disks.len; i++) {
    CLEANUP_FREE char *target = NULL;
    char *t = core_output_temp (r->disks.ptr[i].path, &target);

    if (t == NULL)
      goto out;
    if (core_string_vector_append (&tmp, t) == -1) {
      unlink (t);
      core_tmpfiles_remove (t);
      free (t);
      goto out;
    }
  }

  /* 3. Clone. */
  for (size_t i = 0; i < r->disks.len; i++) {
    struct conv_disk_out *d = &r->disks.ptr[i];
    double t0 = core_monotonic ();
    char what[256];

    snprintf (what, sizeof what, "copying %s", d->source);
    core_notify_start (o->notify, what, d->virtual_size);
    if (conv_clone (d->source, d->source_format, d->virtual_size, tmp.ptr[i],
                    o->format, o->notify) == -1) {
      core_notify_end (o->notify, "failed", 0, 0);
      goto out;
    }
    d->seconds = core_monotonic () - t0;
    core_notify_end (o->notify, "done", d->virtual_size, d->virtual_size);
    /* From here on the guest is edited in the copy, named as at the end
     * so that the report and XML name the final files. */
  }

  /* 4. Inspect and convert the copy. */
  notice (o, "starting libguestfs (%s)", core_kvm_usable () ? "KVM" : "TCG: KVM is not usable here");
  g = guestfs_create ();
  if (g == NULL) {
    core_error ("libguestfs: cannot create a handle");
    goto out;
  }
  guestfs_set_error_handler (g, silent, NULL);
  if (core_guestfs_set_accel (g) == -1)
    goto out;
  for (size_t i = 0; i < tmp.len; i++)
    if (guestfs_add_drive_opts (g, tmp.ptr[i], GUESTFS_ADD_DRIVE_OPTS_FORMAT, o->format,
                                -1) == -1) {
      core_error ("%s: %s", tmp.ptr[i], guestfs_last_error (g));
      goto out;
    }
  if (guestfs_launch (g) == -1) {
    core_error ("libguestfs could not start its appliance: %s", guestfs_last_error (g));
    goto out;
  }
  notice (o, "inspecting");
  if (inspect (g, o, r, &root) == -1 || mount_root (g, root) == -1)
    goto out;
  notice (o, "found %s (%s %s) on %s", r->product ? r->product : "?",
          r->os_type, r->distro ? r->distro : "?", root);

  if (r->vcpus == CORE_UNSET)
    r->vcpus = o->vcpus;
  if (r->memory_mib == CORE_UNSET)
    r->memory_mib = o->memory_mib;
  if (r->vcpus == CORE_UNSET) {
    r->vcpus = 2;
    conv_report_warn (r, "vCPUs not given (--plan or --vcpus): 2");
  }
  if (r->memory_mib == CORE_UNSET) {
    r->memory_mib = 2048;
    conv_report_warn (r, "memory not given (--plan or --memory): 2048 MiB");
  }

  if (strcmp (r->os_type, "linux") == 0) {
    notice (o, "converting (%s); the guest's own tools run under %s",
            conv_mode_names[o->mode], core_kvm_usable () ? "KVM" : "TCG and take a while");
    if (conv_linux_convert (g, root, o->mode, !o->no_facts_reporter, r) == -1)
      goto out;
  }
  else if (strcmp (r->os_type, "windows") == 0) {
    if (conv_windows_convert (g, root, o->mode, o->virtio_win, r->vcpus,
                              !o->no_facts_reporter, r) == -1)
      goto out;
  }
  else {
    core_error ("%s: %s (%s) found; p2vkit converts Linux and Windows only",
                o->sources[0], r->product ? r->product : r->os_type, r->os_type);
    goto out;
  }
  if (guestfs_umount_all (g) == -1 || guestfs_shutdown (g) == -1) {
    /* A failed shutdown may mean unwritten data: the copy is not trusted. */
    core_error ("libguestfs: finishing the writes failed: %s", guestfs_last_error (g));
    goto out;
  }
  guestfs_close (g);
  g = NULL;

  /* 5. Into place: disks, then the XML and the report, which name them. */
  {
    /* The XML needs absolute paths: OUTDIR's real path + the name (a link
     * there stays what the XML names). */
    CLEANUP_FREE char *abs = realpath (o->outdir, NULL);

    if (abs == NULL) {
      core_error_errno ("%s", o->outdir);
      goto out;
    }
    for (size_t i = 0; i < r->disks.len; i++) {
      char *p = core_sprintf ("%s/%s", abs, strrchr (r->disks.ptr[i].path, '/') + 1);

      if (p == NULL)
        goto out;
      free (r->disks.ptr[i].path);
      r->disks.ptr[i].path = p;
    }
  }
  r->accel = core_strdup (core_qemu_accel ());
  /* From now on the disks' targets are what to remove on failure; no
   * signal comes between a rename and the swap on the list. */
  for (size_t i = 0; i < tmp.len; i++) {
    char *target = core_strdup (targets.ptr[i]);
    sigset_t old;
    int err;

    if (target == NULL)
      goto out;
    core_signals_block (&old);
    err = core_output_commit (tmp.ptr[i], r->disks.ptr[i].path);
    if (err == 0) {
      core_tmpfiles_remove (tmp.ptr[i]);
      free (tmp.ptr[i]);
      tmp.ptr[i] = target;
      err = core_tmpfiles_add (target);
    }
    else
      free (target);
    core_signals_restore (&old);
    if (err == -1)
      goto out;
  }

  if (o->verify_boot) {
    notice (o, "booting the result (%s, %s) to a login prompt",
            conv_mode_names[r->mode], core_kvm_usable () ? "KVM" : "TCG");
    r->boot_seconds = conv_verify_boot (r, o->boot_timeout);
    if (r->boot_seconds < 0) {
      /* Keep the result and say in the report why it is not verified. */
      char msg[2048];
      snprintf (msg, sizeof msg, "%s", core_errmsg ());
      conv_report_warn (r, "boot verification failed: %s", msg);
      if (write_results (o, r, xml, report, &tmp, made_outdir,
                         &wrote_xml) == -1)
        goto out;
      core_error ("%s", msg);
      ret = -1;
      goto done;
    }
    r->verified_boot = true;
  }
  if (write_results (o, r, xml, report, &tmp, made_outdir, &wrote_xml) == -1)
    goto out;
  ret = 0;
  goto done;

 out:
  /* Nothing of this run stays: the clones (under either name), the XML,
   * and OUTDIR itself when this run made it. */
  if (g)
    guestfs_close (g);
  g = NULL;
  for (size_t i = 0; i < tmp.len; i++) {
    unlink (tmp.ptr[i]);
    core_tmpfiles_remove (tmp.ptr[i]);
  }
  if (wrote_xml && xml_kind == CORE_OUTPUT_FILE)
    unlink (xml_target);
  if (made_outdir) {
    core_tmpfiles_remove (o->outdir);
    rmdir (o->outdir);
  }
 done:
  if (g)
    guestfs_close (g);
  core_string_vector_free (&tmp);
  core_string_vector_free (&targets);
  return ret;
}
