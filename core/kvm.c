/* Whether KVM really works here, asked once per process.
 *
 * /dev/kvm existing is not enough: on some hosts (nested virtualization)
 * the device opens and a VM is created, but QEMU then fails on its first
 * vCPU setup ("failed to set MSR 0x10a").  So the probe goes as far as
 * QEMU does: create a VM and a vCPU through ioctls, and, when
 * qemu-system-x86_64 is installed, start it paused with -accel kvm and a
 * real machine (which sets the vCPU's MSRs at reset) and quit it through
 * its monitor.  Everything that runs guests (libguestfs, QEMU, libvirt)
 * asks here and falls back to TCG when the answer is no. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <guestfs.h>

#include "core.h"

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool kvm_ok;
static char kvm_why[256];

static const char *qemu_binary = "qemu-system-x86_64";

/* The ioctl part: VM and vCPU creation, the first things that fail
 * without hardware support. */
static bool
probe_ioctl (void)
{
  int kvm, vm = -1, vcpu = -1;
  bool ok = false;
  int api;

  kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm == -1) {
    snprintf (kvm_why, sizeof kvm_why, "/dev/kvm: %s", strerror (errno));
    return false;
  }
  api = ioctl (kvm, KVM_GET_API_VERSION, 0);
  if (api != KVM_API_VERSION) {
    snprintf (kvm_why, sizeof kvm_why, "/dev/kvm: API version %d, not %d",
              api, KVM_API_VERSION);
    goto out;
  }
  vm = ioctl (kvm, KVM_CREATE_VM, 0);
  if (vm == -1) {
    snprintf (kvm_why, sizeof kvm_why, "KVM_CREATE_VM: %s", strerror (errno));
    goto out;
  }
  vcpu = ioctl (vm, KVM_CREATE_VCPU, 0);
  if (vcpu == -1) {
    snprintf (kvm_why, sizeof kvm_why, "KVM_CREATE_VCPU: %s", strerror (errno));
    goto out;
  }
  ok = true;
 out:
  if (vcpu >= 0)
    close (vcpu);
  if (vm >= 0)
    close (vm);
  close (kvm);
  return ok;
}

static bool
qemu_installed (void)
{
  const char *path = getenv ("PATH");
  CLEANUP_FREE char *copy = NULL;
  char *save = NULL;

  if (path == NULL || (copy = strdup (path)) == NULL)
    return false;
  for (char *dir = strtok_r (copy, ":", &save); dir;
       dir = strtok_r (NULL, ":", &save)) {
    char full[4096];

    snprintf (full, sizeof full, "%s/%s", dir, qemu_binary);
    if (access (full, X_OK) == 0)
      return true;
  }
  return false;
}

/* The QEMU part: a paused pc machine with -cpu host under KVM.  It is
 * told to quit on its monitor (stdin); KVM failures make it exit non-zero
 * before reading it.  Killed after 30 s, which also counts as a no.  The
 * probe answers through kvm_why, so the caller's error message is kept. */
static bool
probe_qemu (void)
{
  char *const argv[] = {
    (char *) qemu_binary, (char *) "-accel", (char *) "kvm",
    (char *) "-machine", (char *) "pc", (char *) "-cpu", (char *) "host",
    (char *) "-m", (char *) "64", (char *) "-nodefaults",
    (char *) "-display", (char *) "none", (char *) "-S",
    (char *) "-monitor", (char *) "stdio", NULL
  };
  struct core_child c = {
    .io = { CORE_CHILD_PIPE, CORE_CHILD_NULL, CORE_CHILD_PIPE },
  };
  CLEANUP_FREE char *msg = NULL;
  char saved[1024];
  bool timed_out = false, ok = false;
  int status;
  size_t len;

  snprintf (saved, sizeof saved, "%s", core_errmsg ());
  if (core_child_start (&c, argv) == -1) {
    snprintf (kvm_why, sizeof kvm_why, "%s", core_errmsg ());
    goto out;
  }
  /* SIGPIPE would kill us if QEMU already died: ignore it for the write. */
  {
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;

    sigemptyset (&ign.sa_mask);
    sigaction (SIGPIPE, &ign, &old);
    if (write (c.fd[0], "quit\n", 5) != 5) {
      /* QEMU gone already: its status says why. */
    }
    sigaction (SIGPIPE, &old, NULL);
  }
  core_child_close (&c, 0);

  /* Its stderr ends when it does. */
  msg = core_child_read (c.fd[2], 4095, 30, &timed_out);
  if (msg == NULL || timed_out) {
    if (msg == NULL)
      snprintf (kvm_why, sizeof kvm_why, "%s", core_errmsg ());
    else
      snprintf (kvm_why, sizeof kvm_why, "%s -accel kvm did not start in 30 s",
                qemu_binary);
    core_child_stop (&c, SIGKILL);
    goto out;
  }
  if (core_child_wait (&c, &status) == -1) {
    snprintf (kvm_why, sizeof kvm_why, "%s", core_errmsg ());
    goto out;
  }
  len = strlen (msg);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0) {
    ok = true;
    goto out;
  }

  /* The first line of QEMU's complaint says why. */
  {
    char *nl = strchr (msg, '\n');

    if (nl)
      *nl = '\0';
    /* 127: core_child_start's "cannot run it". */
    if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
      snprintf (kvm_why, sizeof kvm_why, "%s could not be run", qemu_binary);
    else
      snprintf (kvm_why, sizeof kvm_why, "%s -accel kvm failed%s%s",
                qemu_binary, len ? ": " : "", msg);
  }
 out:
  core_error ("%s", saved);
  return ok;
}

static void
probe (void)
{
  kvm_ok = probe_ioctl ();
  if (kvm_ok && qemu_installed ())
    kvm_ok = probe_qemu ();
  if (kvm_ok)
    snprintf (kvm_why, sizeof kvm_why, "KVM works");
}

bool
core_kvm_usable (void)
{
  pthread_once (&probe_once, probe);
  return kvm_ok;
}

const char *
core_kvm_reason (void)
{
  pthread_once (&probe_once, probe);
  return kvm_why;
}

const char *
core_qemu_accel (void)
{
  return core_kvm_usable () ? "kvm" : "tcg";
}

const char *
core_libvirt_domain_type (void)
{
  return core_kvm_usable () ? "kvm" : "qemu";
}

int
core_guestfs_set_accel (guestfs_h *g)
{
  /* With KVM, libguestfs' own defaults are right.  Without it, the direct
   * backend with force_tcg: the libvirt backend would need a running
   * libvirtd, and libguestfs' own KVM check only looks at /dev/kvm. */
  if (core_kvm_usable ())
    return 0;
  char *settings[] = { (char *) "force_tcg", NULL };

  if (guestfs_set_backend (g, "direct") == -1
      || guestfs_set_backend_settings (g, settings) == -1) {
    core_error ("libguestfs: cannot select TCG: %s", guestfs_last_error (g));
    return -1;
  }
  return 0;
}
