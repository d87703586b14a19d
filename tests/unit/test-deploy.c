/* Unit tests of deploy's pure parts: HOST=VALUE options, the domain type
 * a host's capabilities offer, deploy's metadata, pool and volume XML
 * (deploy/deploy.c, deploy/xml.c).  What needs libvirtd is in
 * tests/deploy.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "deploy/deploy.h"

static void
test_map (void **state)
{
  dep_map m = { 0 };

  (void) state;
  assert_int_equal (dep_map_add (&m, "--uri", "kvm-1=qemu+ssh://root@h/system?a=b"), 0);
  assert_string_equal (m.ptr[0].host, "kvm-1");
  assert_string_equal (m.ptr[0].value, "qemu+ssh://root@h/system?a=b");
  assert_int_equal (dep_map_add (&m, "--uri", "kvm-1=qemu:///system"), -1);
  assert_string_equal (core_errmsg (), "--uri: host 'kvm-1' is given twice");
  assert_int_equal (dep_map_add (&m, "--uri", "qemu:///system"), -1);
  assert_string_equal (core_errmsg (), "--uri: expected HOST=VALUE, got 'qemu:///system'");
  assert_int_equal (dep_map_add (&m, "--uri", "=x"), -1);
  assert_int_equal (dep_map_add (&m, "--uri", "h="), -1);
  assert_int_equal (m.len, 1);
  dep_map_free (&m);
  dep_map_free (NULL);
}

static const char caps_tcg[] =
  "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>"
  "<guest><os_type>hvm</os_type><arch name='i686'><domain type='qemu'/><domain type='kvm'/></arch></guest>"
  "<guest><os_type>hvm</os_type><arch name='x86_64'><wordsize>64</wordsize>"
  "<domain type='qemu'/></arch></guest></capabilities>";
static const char caps_kvm[] =
  "<capabilities><guest><os_type>hvm</os_type><arch name='x86_64'>"
  "<domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>";
static const char caps_xen[] =
  "<capabilities><guest><os_type>xen</os_type><arch name='x86_64'>"
  "<domain type='xen'/></arch></guest></capabilities>";

static void
test_caps (void **state)
{
  char *t;

  (void) state;
  /* kvm for another architecture does not count. */
  t = dep_caps_domain_type (caps_tcg, "x86_64");
  assert_string_equal (t, "qemu");
  free (t);
  t = dep_caps_domain_type (caps_kvm, "x86_64");
  assert_string_equal (t, "kvm");
  free (t);
  assert_null (dep_caps_domain_type (caps_xen, "x86_64"));
  assert_null (dep_caps_domain_type (caps_kvm, "aarch64"));
  assert_null (dep_caps_domain_type ("not xml", "x86_64"));
}

static void
test_metadata (void **state)
{
  core_string_vector vols = { 0 };
  char *hash;

  (void) state;
  assert_int_equal (dep_metadata_parse (
    "<p2vkit:deploy xmlns:p2vkit='" DEP_XMLNS "' definition='abc' host='h'>"
    "<p2vkit:volume pool='p' name='a-disk1-1.qcow2' image='/i/a-disk1.qcow2'/>"
    "<p2vkit:volume pool='p' name='a-disk2-2.raw' image='/i/a-disk2.raw'/>"
    "</p2vkit:deploy>", &hash, &vols), 0);
  assert_string_equal (hash, "abc");
  assert_int_equal (vols.len, 2);
  assert_string_equal (vols.ptr[1], "a-disk2-2.raw");
  free (hash);
  core_string_vector_free (&vols);
  /* Someone else's element: no hash, not ours. */
  assert_int_equal (dep_metadata_parse ("<other/>", &hash, NULL), 0);
  assert_null (hash);
  assert_int_equal (dep_metadata_parse ("<unclosed", &hash, NULL), -1);
}

static void
test_small_xml (void **state)
{
  char *x, *p;

  (void) state;
  /* Names with XML's special characters are escaped, not pasted. */
  x = dep_pool_xml ("p<&>", "/srv/a&b");
  assert_non_null (strstr (x, "<name>p&lt;&amp;&gt;</name>"));
  p = dep_pool_target_path (x);
  assert_string_equal (p, "/srv/a&b");
  free (p);
  free (x);
  x = dep_volume_xml ("v.qcow2", 21474836480ull, "qcow2");
  assert_non_null (strstr (x, "<capacity unit=\"bytes\">21474836480</capacity>"));
  assert_non_null (strstr (x, "<format type=\"qcow2\"/>"));
  free (x);
}

/* The last line of an upload (core_progress_end_format, through deploy's
 * progress_end): an interrupted one says so, and the rate is of the
 * bytes sent, the holes skipped being said apart. */
static void
test_upload_end_line (void **state)
{
  char buf[256];

  (void) state;
  /* 1000 MB image, 400 MB reached of which 100 MB data, in 10 s. */
  core_progress_end_format (buf, sizeof buf, "interrupted", 400000000,
                            1000000000, 100000000, 10);
  assert_string_equal (buf, "interrupted, 40% of 1000.0 MB in 10.0 s, 100.0 MB "
                       "sent at 10.0 MB/s, 300.0 MB of holes skipped");
  core_progress_end_format (buf, sizeof buf, "done", 1000000000, 1000000000,
                            1000000000, 4);
  assert_string_equal (buf, "done, 100% of 1000.0 MB in 4.0 s, 1000.0 MB sent "
                       "at 250.0 MB/s");
  core_progress_end_format (buf, sizeof buf, "failed", 0, 0, 0, 0);
  assert_string_equal (buf, "failed, 0.0 MB in 0.0 s, 0.0 MB sent at 0.0 MB/s");
}

/* The lines while it runs (not on a terminal: one per 10%) say the rate
 * is of what was sent; the last one how it ended. */
static void
test_upload_progress_lines (void **state)
{
  struct core_progress p;
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&text, &len);

  (void) state;
  assert_non_null (fp);
  core_progress_start (&p, fp, "h: v.qcow2", 1000000000);
  core_progress_update_sparse (&p, 500000000, 0);
  core_progress_end (&p, "interrupted", 500000000, 0);
  fclose (fp);
  assert_non_null (strstr (text, "h: v.qcow2:  50% 0.0 MB/s sent ETA "));
  assert_non_null (strstr (text, "\nh: v.qcow2: interrupted, 50% of 1000.0 MB in "));
  assert_non_null (strstr (text, "0.0 MB sent at 0.0 MB/s, 500.0 MB of holes skipped\n"));
  assert_null (strstr (text, "done"));
  free (text);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_map),
    cmocka_unit_test (test_caps),
    cmocka_unit_test (test_metadata),
    cmocka_unit_test (test_upload_end_line),
    cmocka_unit_test (test_upload_progress_lines),
    cmocka_unit_test (test_small_xml),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
