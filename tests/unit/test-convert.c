/* The converter's outputs that need no VM: the domain XML and the report
 * for fixed reports (golden files in tests/data/convert/, rewritten by
 * `test-convert --regen`, run by `make regen-golden`), the XML checked
 * with virt-xml-validate when it is installed, and the report's line
 * diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "converter/converter.h"

#define GOLDEN "tests/data/convert/"

static bool regen;

static char *
slurp (const char *path)
{
  size_t len;
  return core_read_file (path, &len);
}

static void
add_disk (struct conv_report *r, const char *src, const char *path)
{
  struct conv_disk_out d = {
    .source = strdup (src), .source_format = strdup ("vmdk"),
    .virtual_size = 3221225472, .path = strdup (path), .format = strdup ("qcow2"),
    .seconds = 12.5,
  };
  assert_int_equal (conv_disk_out_vector_append (&r->disks, d), 0);
}

static void
fill (struct conv_report *r, enum conv_mode mode, enum core_firmware fw, size_t ndisks)
{
  conv_report_init (r);
  r->name = strdup ("web01");
  r->root = strdup ("/dev/sda1");
  r->os_type = strdup ("linux");
  r->distro = strdup ("debian");
  r->product = strdup ("Debian GNU/Linux 12 (bookworm)");
  r->major = 12; r->minor = 4;
  r->arch = strdup ("x86_64");
  r->hostname = strdup ("web01 & <friends>");   /* escaped in XML */
  r->package_format = strdup ("deb");
  r->firmware = fw;
  r->mode = mode;
  r->mode_reason = strdup ("auto: paravirt: 1 of 1 kernels have virtio drivers");
  r->vcpus = 2;
  r->memory_mib = 1536;
  r->accel = strdup ("tcg");
  assert_int_equal (core_string_vector_append (&r->kernels, strdup ("6.1.0-50-amd64")), 0);
  for (size_t i = 0; i < ndisks; i++) {
    char src[64], path[128];
    snprintf (src, sizeof src, "/srv/web01-%zu.vmdk", i);
    snprintf (path, sizeof path, "/var/lib/vms/web01-disk%zu.qcow2", i + 1);
    add_disk (r, src, path);
  }
  assert_int_equal (core_string_vector_append (&r->nic_macs, strdup ("52:54:00:12:34:56")), 0);
  assert_int_equal (core_string_vector_append (&r->nic_names, strdup ("ens3")), 0);
  assert_int_equal (conv_report_change (r, "/etc/fstab", "device names to UUID=",
                                        "# static\n/dev/sda1 / ext4 defaults 0 1\n/dev/sda2 none swap sw 0 0\n",
                                        "# static\nUUID=1234 / ext4 defaults 0 1\nUUID=5678 none swap sw 0 0\n"), 0);
  assert_int_equal (conv_report_change (r, "/etc/systemd/network/70-p2vkit-ens3.link",
                                        "the new NIC keeps the old NIC's name", NULL,
                                        "[Match]\nMACAddress=52:54:00:12:34:56\n"), 0);
  assert_int_equal (conv_report_command (r, "update-initramfs -u -k '6.1.0-50-amd64'", 0,
                                         "update-initramfs: Generating /boot/initrd.img-6.1.0-50-amd64\n", 41.5), 0);
  assert_int_equal (conv_report_warn (r, "memory not given: %d MiB", 2048), 0);
  assert_int_equal (core_string_vector_append (&r->removed_packages, strdup ("open-vm-tools")), 0);
}

static int
to_file (const char *path, int (*fn) (FILE *, const struct conv_report *),
         const struct conv_report *r)
{
  FILE *fp = fopen (path, "w");
  if (fp == NULL)
    return -1;
  if (fn (fp, r) == -1) {
    fclose (fp);
    return -1;
  }
  return fclose (fp);
}

/* Compare (or with --regen write) NAME's golden file. */
static void
golden (const char *name, int (*fn) (FILE *, const struct conv_report *),
        const struct conv_report *r)
{
  char expected[256], actual[256];
  char *want, *got;

  snprintf (expected, sizeof expected, GOLDEN "%s", name);
  if (regen) {
    assert_int_equal (to_file (expected, fn, r), 0);
    return;
  }
  snprintf (actual, sizeof actual, "/tmp/p2vkit-test-convert-%d-%s", (int) getpid (), name);
  assert_int_equal (to_file (actual, fn, r), 0);
  want = slurp (expected);
  got = slurp (actual);
  if (want == NULL)
    fail_msg ("%s: %s", expected, core_errmsg ());
  if (strcmp (want, got) != 0)
    fail_msg ("%s differs from %s:\n%s", actual, expected, got);
  /* The XML is a libvirt domain: checked by libvirt's own schema. */
  if (strstr (name, ".xml") && access ("/usr/bin/virt-xml-validate", X_OK) == 0) {
    char cmd[512];
    snprintf (cmd, sizeof cmd, "virt-xml-validate %s domain >/dev/null 2>&1", actual);
    assert_int_equal (system (cmd), 0);
  }
  unlink (actual);
  free (want);
  free (got);
}

/* A conversion's domain XML (and report) against the golden files. */
struct domain_case
{
  enum conv_mode mode;
  enum core_firmware firmware;
  size_t ndisks;
  const char *accel;            /* NULL: fill's */
  const char *xml, *report;     /* golden file names; report may be NULL */
};

static void
test_domain (void **state)
{
  const struct domain_case *c = *state;
  struct conv_report r;

  fill (&r, c->mode, c->firmware, c->ndisks);
  if (c->accel) {
    free (r.accel);
    r.accel = strdup (c->accel);
  }
  golden (c->xml, conv_domain_write, &r);
  if (c->report)
    golden (c->report, conv_report_write, &r);
  conv_report_clear (&r);
}

static struct domain_case paravirt = {
  CONV_MODE_PARAVIRT, CORE_FIRMWARE_BIOS, 2, NULL, "paravirt.xml", "paravirt.report.yaml"
};
static struct domain_case full = {
  CONV_MODE_FULL, CORE_FIRMWARE_BIOS, 1, NULL, "full.xml", NULL
};
/* UEFI: q35 with SATA, firmware="efi". */
static struct domain_case full_uefi = {
  CONV_MODE_FULL, CORE_FIRMWARE_UEFI, 1, "kvm", "full-uefi.xml", NULL
};

static void
test_change_diff (void **state)
{
  struct conv_report r;

  (void) state;
  conv_report_init (&r);
  /* Only the lines that differ are kept. */
  assert_int_equal (conv_report_change (&r, "/etc/x", "why", "a\nb\nc\n", "a\nB\nc\nd"), 0);
  assert_int_equal (r.changes.len, 1);
  assert_int_equal (r.changes.ptr[0].before.len, 1);
  assert_string_equal (r.changes.ptr[0].before.ptr[0], "b");
  assert_int_equal (r.changes.ptr[0].after.len, 2);
  assert_string_equal (r.changes.ptr[0].after.ptr[0], "B");
  assert_string_equal (r.changes.ptr[0].after.ptr[1], "d");
  /* A new file: all of it is "after". */
  assert_int_equal (conv_report_change (&r, "/new", "why", NULL, "x\n"), 0);
  assert_int_equal (r.changes.ptr[1].before.len, 0);
  assert_int_equal (r.changes.ptr[1].after.len, 1);
  conv_report_clear (&r);
  conv_report_clear (NULL);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    { "test_paravirt", test_domain, NULL, NULL, &paravirt },
    { "test_full", test_domain, NULL, NULL, &full },
    { "test_full_uefi", test_domain, NULL, NULL, &full_uefi },
    cmocka_unit_test (test_change_diff),
  };

  regen = argc > 1 && strcmp (argv[1], "--regen") == 0;
  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
