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

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_map),
    cmocka_unit_test (test_caps),
    cmocka_unit_test (test_metadata),
    cmocka_unit_test (test_small_xml),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
