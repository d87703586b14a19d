/* The capture step over ssh (migrate/ssh.c) before it reaches a server:
 * options refused with one message naming the workload, and a resume of
 * a capture the receiver completed returns its images without running
 * anything.  tests/e2e/ssh-capture.sh captures a booted guest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"
#include "migrate/migrate.h"
#include "tests/unit/unit.h"

/* ssh that must never run: the options are refused first. */
#define NO_SSH "/nonexistent/ssh"

static void
refused (const struct mig_ssh_capture *o, const char *want)
{
  core_string_vector images = { 0 };

  assert_int_equal (mig_ssh_capture (o, &images), -1);
  if (strstr (core_errmsg (), want) == NULL)
    fail_msg ("error '%s' lacks '%s'", core_errmsg (), want);
  assert_int_equal (images.len, 0);
  core_string_vector_free (&images);
}

static void
test_bad_options (void **state)
{
  const char *dir = *state;
  char *disk = (char *) "/dev/sda";
  core_string_vector disks = { .ptr = &disk, .len = 1, .cap = 1 };
  core_string_vector none = { 0 };
  struct mig_ssh_capture o = {
    .name = "srv1", .ssh = "root@192.0.2.1", .disks = &disks, .dir = dir,
    .listen = "127.0.0.1:0", .ssh_program = NO_SSH,
    .capture_program = "/nonexistent/p2vkit-capture",
  };
  struct mig_ssh_capture b;

  b = o; b.name = "../x";
  refused (&b, "'../x' is not a capture name");
  b = o; b.ssh = "-oProxyCommand=x";
  refused (&b, "srv1: no ssh destination");
  b = o; b.disks = &none;
  refused (&b, "srv1: no disks to capture");
  b = o; b.dir = "/nonexistent/recv";
  refused (&b, "srv1: receiver folder /nonexistent/recv: No such file");
  b = o; b.listen = "127.0.0.1";
  refused (&b, "srv1: the receiver's address must be ADDR:PORT");
  b = o; b.connect_to = "10.0.2.2:99999";
  refused (&b, "srv1: connect_to: ");
  b = o; b.connect_to = "[::1";
  refused (&b, "srv1: connect_to: '[::1': expected HOST[:PORT]");
  b = o; b.port = 70000;
  refused (&b, "srv1: ssh port 70000 is out of range");
  /* Valid, but the program to copy is missing: refused before ssh. */
  refused (&o, "/nonexistent/p2vkit-capture");
}

static void
touch (const char *dir, const char *name)
{
  char *path = core_sprintf ("%s/srv1/%s", dir, name);
  FILE *fp = path ? fopen (path, "w") : NULL;

  assert_non_null (fp);
  fclose (fp);
  free (path);
}

static void
test_resume_complete (void **state)
{
  const char *dir = *state;
  char *d[] = { (char *) "/dev/sda", (char *) "/dev/sdb" };
  core_string_vector disks = { .ptr = d, .len = 2, .cap = 2 };
  core_string_vector images = { 0 };
  char *folder = core_sprintf ("%s/srv1", dir), *want0, *want1;
  struct mig_ssh_capture o = {
    .name = "srv1", .ssh = "root@192.0.2.1", .disks = &disks, .dir = dir,
    .listen = "127.0.0.1:0", .ssh_program = NO_SSH, .resume = true,
    .capture_program = "/nonexistent/p2vkit-capture",
  };

  assert_non_null (folder);
  assert_int_equal (mkdir (folder, 0750), 0);
  touch (dir, "disk0.qcow2");
  touch (dir, "disk1.qcow2");
  /* Not complete yet: a resume runs the capture (and fails here, before
   * ssh, for want of the program). */
  assert_int_equal (mig_ssh_capture (&o, &images), -1);
  assert_int_equal (images.len, 0);
  touch (dir, "complete");
  assert_int_equal (mig_ssh_capture (&o, &images), 0);
  want0 = core_sprintf ("%s/disk0.qcow2", folder);
  want1 = core_sprintf ("%s/disk1.qcow2", folder);
  assert_int_equal (images.len, 2);
  assert_string_equal (images.ptr[0], want0);
  assert_string_equal (images.ptr[1], want1);
  /* Without resume a complete capture is not taken for done. */
  o.resume = false;
  core_string_vector_free (&images);
  assert_int_equal (mig_ssh_capture (&o, &images), -1);
  core_string_vector_free (&images);
  free (want0);
  free (want1);
  free (folder);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_bad_options, unit_make_tmpdir,
                                     unit_remove_tmpdir),
    cmocka_unit_test_setup_teardown (test_resume_complete, unit_make_tmpdir,
                                     unit_remove_tmpdir),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
