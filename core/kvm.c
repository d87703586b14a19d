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
 * before reading it.  Killed after 30 s, which also counts as a no. */
static bool
probe_qemu (void)
{
  int in[2], err[2];
  pid_t pid;
  int status;
  char msg[4096];
  size_t len = 0;
  double deadline;

  if (pipe2 (in, O_CLOEXEC) == -1 || pipe2 (err, O_CLOEXEC) == -1) {
    snprintf (kvm_why, sizeof kvm_why, "pipe: %s", strerror (errno));
    return false;
  }
  pid = fork ();
  if (pid == -1) {
    snprintf (kvm_why, sizeof kvm_why, "fork: %s", strerror (errno));
    close (in[0]); close (in[1]); close (err[0]); close (err[1]);
    return false;
  }
  if (pid == 0) {
    int devnull = open ("/dev/null", O_WRONLY);

    dup2 (in[0], 0);
    if (devnull >= 0)
      dup2 (devnull, 1);
    dup2 (err[1], 2);
    execlp (qemu_binary, qemu_binary, "-accel", "kvm", "-machine", "pc",
            "-cpu", "host", "-m", "64", "-nodefaults", "-display", "none",
            "-S", "-monitor", "stdio", (char *) NULL);
    _exit (127);
  }
  close (in[0]);
  close (err[1]);
  /* SIGPIPE would kill us if QEMU already died: ignore it for the write. */
  {
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;

    sigemptyset (&ign.sa_mask);
    sigaction (SIGPIPE, &ign, &old);
    if (write (in[1], "quit\n", 5) != 5) {
      /* QEMU gone already: its status says why. */
    }
    sigaction (SIGPIPE, &old, NULL);
  }
  close (in[1]);

  fcntl (err[0], F_SETFL, O_NONBLOCK);
  deadline = core_monotonic () + 30;
  for (;;) {
    pid_t r = waitpid (pid, &status, WNOHANG);
    ssize_t n;

    while (len < sizeof msg - 1
           && (n = read (err[0], msg + len, sizeof msg - 1 - len)) > 0)
      len += n;
    if (r == pid)
      break;
    if (r == -1 && errno != EINTR) {
      snprintf (kvm_why, sizeof kvm_why, "waitpid: %s", strerror (errno));
      close (err[0]);
      return false;
    }
    if (core_monotonic () > deadline) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      snprintf (kvm_why, sizeof kvm_why, "%s -accel kvm did not start in 30 s",
                qemu_binary);
      close (err[0]);
      return false;
    }
    nanosleep (&(struct timespec) { .tv_nsec = 20000000 }, NULL);
  }
  close (err[0]);
  msg[len] = '\0';
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return true;

  /* The first line of QEMU's complaint says why. */
  {
    char *nl = strchr (msg, '\n');

    if (nl)
      *nl = '\0';
    if (WIFEXITED (status) && WEXITSTATUS (status) == 127 && len == 0)
      snprintf (kvm_why, sizeof kvm_why, "%s could not be run", qemu_binary);
    else
      snprintf (kvm_why, sizeof kvm_why, "%s -accel kvm failed%s%s",
                qemu_binary, len ? ": " : "", msg);
  }
  return false;
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
