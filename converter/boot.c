/* --verify-boot: start the converted guest in QEMU with -snapshot (the
 * images stay as they are) on the devices of its mode, and watch its
 * serial console for a login prompt.  KVM when it works, TCG otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "converter/converter.h"

/* Short, for the long argument list below. */
#define push core_string_vector_printf

/* The last lines of the console, for the error message. */
static void
last_lines (const char *buf, size_t len, int n, char *out, size_t outlen)
{
  size_t start = len;
  int lines = 0;

  while (start > 0 && lines <= n) {
    start--;
    if (buf[start] == '\n')
      lines++;
  }
  snprintf (out, outlen, "%.*s", (int) (len - start), buf + start);
  /* One line for the error buffer: newlines become " | ". */
  for (char *p = out; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
}

double
conv_verify_boot (const struct conv_report *r, double timeout)
{
  bool pv = r->mode == CONV_MODE_PARAVIRT;
  bool uefi = r->firmware == CORE_FIRMWARE_UEFI;
  bool ide = !pv && !uefi && r->disks.len <= 4;
  bool kvm = core_kvm_usable ();
  int64_t mem = r->memory_mib > 0 && r->memory_mib < 2048 ? r->memory_mib : 2048;
  core_string_vector args = { 0 };
  /* stdin /dev/null, stdout and stderr the serial console. */
  struct core_child c = {
    .io = { CORE_CHILD_NULL, CORE_CHILD_PIPE, CORE_CHILD_STDOUT },
  };
  char console[16384];
  size_t clen = 0;
  double start, ret = -1;

  if (push (&args, "qemu-system-x86_64") == -1
      || push (&args, "-accel") == -1 || push (&args, "%s", kvm ? "kvm" : "tcg") == -1
      || push (&args, "-machine") == -1 || push (&args, "%s", ide ? "pc" : "q35") == -1
      || push (&args, "-cpu") == -1 || push (&args, "%s", kvm ? "host" : "max") == -1
      || push (&args, "-m") == -1 || push (&args, "%lld", (long long) mem) == -1
      || push (&args, "-smp") == -1
      || push (&args, "%lld", (long long) (r->vcpus > 0 && r->vcpus <= 4 ? r->vcpus : 2)) == -1
      || push (&args, "-nodefaults") == -1 || push (&args, "-display") == -1
      || push (&args, "none") == -1 || push (&args, "-serial") == -1
      || push (&args, "stdio") == -1 || push (&args, "-snapshot") == -1
      || push (&args, "-no-reboot") == -1)
    goto out;
  if (uefi && (push (&args, "-bios") == -1
               || push (&args, "/usr/share/ovmf/OVMF.fd") == -1))
    goto out;
  if (!pv && !ide && (push (&args, "-device") == -1 || push (&args, "ahci,id=sata") == -1))
    goto out;
  for (size_t i = 0; i < r->disks.len; i++) {
    const struct conv_disk_out *d = &r->disks.ptr[i];

    if (pv) {
      if (push (&args, "-drive") == -1
          || push (&args, "file=%s,format=%s,if=virtio", d->path, d->format) == -1)
        goto out;
    }
    else if (ide) {
      if (push (&args, "-drive") == -1
          || push (&args, "file=%s,format=%s,if=ide,index=%zu", d->path, d->format, i) == -1)
        goto out;
    }
    else if (push (&args, "-drive") == -1
             || push (&args, "file=%s,format=%s,if=none,id=d%zu", d->path, d->format, i) == -1
             || push (&args, "-device") == -1
             || push (&args, "ide-hd,drive=d%zu,bus=sata.%zu", i, i) == -1)
      goto out;
  }
  for (size_t i = 0; i < r->nic_macs.len; i++)
    if (push (&args, "-nic") == -1
        || push (&args, "user,model=%s,mac=%s", pv ? "virtio-net-pci" : "e1000",
                 r->nic_macs.ptr[i]) == -1)
      goto out;
  if (pv && (push (&args, "-device") == -1 || push (&args, "virtio-rng-pci") == -1
             || push (&args, "-device") == -1 || push (&args, "virtio-balloon-pci") == -1))
    goto out;
  if (core_string_vector_append (&args, NULL) == -1)
    goto out;

  start = core_monotonic ();
  if (core_child_start (&c, args.ptr) == -1)
    goto out;
  for (;;) {
    struct pollfd pfd = { .fd = c.fd[1], .events = POLLIN };
    double left = start + timeout - core_monotonic ();
    int n;

    if (left <= 0) {
      char tail[2048];
      last_lines (console, clen, 8, tail, sizeof tail);
      core_error ("%s: no login prompt on the serial console after %.0f s "
                  "(%s); last console lines: %s", r->name, timeout,
                  kvm ? "KVM" : "TCG", tail);
      break;
    }
    n = poll (&pfd, 1, (int) (left * 1000) + 1);
    if (n == -1 && errno == EINTR)
      continue;
    if (n <= 0)
      continue;
    {
      char buf[4096];
      ssize_t got = read (c.fd[1], buf, sizeof buf);

      if (got <= 0) {
        char tail[2048];
        last_lines (console, clen, 8, tail, sizeof tail);
        core_error ("%s: QEMU stopped before a login prompt; last console lines: %s",
                    r->name, tail);
        break;
      }
      /* Keep the last 16 KiB. */
      if (clen + got > sizeof console) {
        size_t drop = clen + got - sizeof console;
        if (drop > clen)
          drop = clen;
        memmove (console, console + drop, clen - drop);
        clen -= drop;
      }
      if ((size_t) got > sizeof console)
        got = sizeof console;
      memcpy (console + clen, buf, got);
      clen += got;
      if (memmem (console, clen, "login:", 6)) {
        ret = core_monotonic () - start;
        break;
      }
    }
  }
  core_child_stop (&c, SIGKILL);
 out:
  core_string_vector_free (&args);
  return ret;
}
