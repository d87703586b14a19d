/* The inventory's parsers, rules and arithmetic on inputs written here:
 * old and new formats of the /proc files, odd input, the passthrough and
 * pv_drivers rules, rates from counters, percentiles, hosts files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "inventory/inventory.h"

static void
test_cpuinfo (void **state)
{
  /* Two sockets of two cores with hyperthreading: 8 threads. */
  char text[4096] = "";
  struct inv_cpuinfo c;

  (void) state;
  for (int i = 0; i < 8; i++) {
    char b[512];
    snprintf (b, sizeof b,
              "processor\t: %d\nmodel name\t: Xeon X\nphysical id\t: %d\n"
              "core id\t\t: %d\ncpu MHz\t\t: %s\nflags\t\t: fpu vmx sse2\n\n",
              i, i / 4, (i % 4) / 2, i == 5 ? "2400.499" : "1200.000");
    strcat (text, b);
  }
  inv_parse_cpuinfo (text, &c);
  assert_string_equal (c.model, "Xeon X");
  assert_int_equal (c.sockets, 2);
  assert_int_equal (c.cores, 4);
  assert_int_equal (c.threads, 8);
  assert_true (c.mhz == 2400.499);
  assert_int_equal (c.virt, CORE_VIRT_VMX);
  inv_cpuinfo_clear (&c);

  /* No topology (old single-CPU kernels): every processor is a core;
   * "svm" only as a whole word. */
  inv_parse_cpuinfo ("processor : 0\nflags : svmx svm_lock\n\n"
                     "processor : 1\nflags : svmx\n", &c);
  assert_null (c.model);
  assert_int_equal (c.sockets, CORE_UNSET);
  assert_int_equal (c.cores, 2);
  assert_int_equal (c.threads, 2);
  assert_int_equal (c.virt, CORE_VIRT_NONE);
  assert_true (c.mhz == CORE_UNSET);
  inv_cpuinfo_clear (&c);

  /* Not x86: no flags line, virt unknown. */
  inv_parse_cpuinfo ("Processor : ARMv7\nprocessor : 0\nBogoMIPS : 38\n", &c);
  assert_int_equal (c.threads, 1);
  assert_int_equal (c.virt, CORE_VIRT_UNSET);
  inv_cpuinfo_clear (&c);

  inv_parse_cpuinfo ("", &c);
  assert_int_equal (c.cores, CORE_UNSET);
  inv_cpuinfo_clear (&c);
}

static void
test_meminfo (void **state)
{
  struct inv_meminfo m;

  (void) state;
  inv_parse_meminfo ("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\n"
                     "Buffers: 50 kB\nCached: 200 kB\n", &m);
  assert_int_equal (inv_meminfo_used_kib (&m), 400);
  /* Before MemAvailable (3.14): total - free - buffers - cache - slab. */
  inv_parse_meminfo ("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\n"
                     "Cached: 200 kB\nSReclaimable: 50 kB\n", &m);
  assert_int_equal (inv_meminfo_used_kib (&m), 600);
  inv_parse_meminfo ("MemTotal: x kB\n", &m);
  assert_int_equal (inv_meminfo_used_kib (&m), -1);
  inv_parse_meminfo ("MemTotal: 1000 kB\n", &m);
  assert_int_equal (inv_meminfo_used_kib (&m), -1);
}

/* The value of KEY in the os-release text T is WANT. */
static void
check_os_release (const char *t, const char *key, const char *want)
{
  CLEANUP_FREE char *v = inv_os_release_get (t, key);

  assert_string_equal (v, want);
}

static void
test_os_release (void **state)
{
  const char *t = "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID='12'\n"
    "PRETTY_NAME=\"A \\\"quoted\\\" name\"\nEMPTY=\n";

  (void) state;
  check_os_release (t, "ID", "debian");
  check_os_release (t, "VERSION_ID", "12");
  check_os_release (t, "PRETTY_NAME", "A \"quoted\" name");
  assert_null (inv_os_release_get (t, "EMPTY"));
  assert_null (inv_os_release_get (t, "NAM"));
}

static void
test_osinfo_candidate (void **state)
{
  static const char *const cases[][3] = {
    { "debian", "12", "debian12" },
    { "debian", "6.0.10", "debian6" },
    { "centos", "5.5", "centos5.5" },
    { "rhel", "9.2", "rhel9.2" },
    { "ubuntu", "22.04", "ubuntu22.04" },
    { "sles", "15.4", "sles15sp4" },
    { "sles", "12", "sles12" },
    { "opensuse-leap", "15.5", "opensuse15.5" },
    { "Fedora", "38", "fedora38" },
  };
  (void) state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *c = inv_osinfo_candidate (cases[i][0], cases[i][1]);
    assert_non_null (c);
    assert_string_equal (c, cases[i][2]);
    free (c);
  }
  assert_null (inv_osinfo_candidate ("debian", "bookworm/sid"));
  assert_null (inv_osinfo_candidate ("a b", "1"));
  assert_null (inv_osinfo_candidate (NULL, "1"));
}

static void
test_mounts (void **state)
{
  inv_mount_vector v = { 0 };

  (void) state;
  assert_int_equal (inv_parse_mounts ("/dev/sda1 /mnt/a\\040b ext4 rw 0 0\n"
                                      "broken\n"
                                      "/dev/sdb /x\\134y xfs rw 0 0", &v), 0);
  assert_int_equal (v.len, 2);
  assert_string_equal (v.ptr[0].mount, "/mnt/a b");
  assert_string_equal (v.ptr[0].type, "ext4");
  assert_string_equal (v.ptr[1].mount, "/x\\y");
  inv_mounts_free (&v);
}

static void
test_sockets (void **state)
{
  inv_socket_vector v = { 0 };
  const char *tcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0\n"
    "   1: 0100007F:0CEA 0A000001:D431 01 00000000:00000000 00:00000000 00000000     0        0 112 1 0\n"
    "   2: 00000000:ZZZZ 00000000:0000 0A 0 0 0 0 0 113\n";
  const char *udp6 =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
    "  10: 00000000000000000000000000000000:13C4 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 221 2 0 0\n"
    "  11: 00000000000000000000000000000000:9C40 0000000000000000000000000100007F:0035 07 00000000:00000000 00:00000000 00000000     0        0 222 2 0 0\n";

  (void) state;
  assert_int_equal (inv_parse_net_sockets (tcp, CORE_PROTO_TCP, &v), 0);
  assert_int_equal (v.len, 1);
  assert_int_equal (v.ptr[0].port, 22);
  assert_int_equal (v.ptr[0].inode, 111);
  assert_int_equal (inv_parse_net_sockets (udp6, CORE_PROTO_UDP, &v), 0);
  assert_int_equal (v.len, 2);
  assert_int_equal (v.ptr[1].port, 5060);
  assert_int_equal (v.ptr[1].proto, CORE_PROTO_UDP);
  inv_socket_vector_reset (&v);
}

static void
test_counters (void **state)
{
  inv_counter_vector v = { 0 };
  uint64_t total, idle;

  (void) state;
  /* 2.6.18 partitions have four counters: not whole disks, skipped. */
  assert_int_equal (inv_parse_diskstats (
    "   8    0 sda 10 0 100 0 20 0 300 0 0 0 0\n"
    "   8    1 sda1 1 2 3 4\n"
    " 254    0 vda 31210 7730 2441346 24034 9144 14784 732152 3025 0 15284 27408 5924 1 252216 317 1110 31\n", &v), 0);
  assert_int_equal (v.len, 2);
  assert_string_equal (v.ptr[0].name, "sda");
  assert_int_equal (v.ptr[0].a, 30);
  assert_int_equal (v.ptr[0].b, 400);
  assert_int_equal (v.ptr[1].a, 31210 + 9144);
  v.len = 0;
  assert_int_equal (inv_parse_netdev (
    "Inter-|   Receive\n face |bytes packets\n"
    "  eth0:100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n"
    "eth1:5 1 0 0 0 0 0 0 7 2 0 0 0 0 0 0\n"
    "  bad: 1 2\n", &v), 0);
  assert_int_equal (v.len, 2);
  assert_int_equal (v.ptr[0].a, 100);
  assert_int_equal (v.ptr[0].b, 200);
  assert_string_equal (v.ptr[1].name, "eth1");
  inv_counter_vector_reset (&v);

  assert_int_equal (inv_parse_stat_cpu ("cpu  10 0 10 70 10 0 0 0 0 0\ncpu0 1\n", &total, &idle), 0);
  assert_int_equal (total, 100);
  assert_int_equal (idle, 80);
  /* 2.4-era four fields. */
  assert_int_equal (inv_parse_stat_cpu ("cpu 1 2 3 4\n", &total, &idle), 0);
  assert_int_equal (total, 10);
  assert_int_equal (inv_parse_stat_cpu ("cpu0 1 2 3 4\n", &total, &idle), -1);
  assert_int_equal (inv_parse_stat_cpu ("cpu 1 x 3 4\n", &total, &idle), -1);
}

static void
test_stat_comm (void **state)
{
  char *c;

  (void) state;
  c = inv_parse_stat_comm ("42 (a (weird) name) S 1 2");
  assert_string_equal (c, "a (weird) name");
  free (c);
  assert_null (inv_parse_stat_comm ("42 S"));
  assert_null (inv_parse_stat_comm ("42 () S"));
}

static void
add (inv_counter_vector *v, const char *name, uint64_t a, uint64_t b)
{
  struct inv_counter c = { .a = a, .b = b };
  strcpy (c.name, name);
  inv_counter_vector_append (v, c);
}

static void
test_rates (void **state)
{
  struct inv_counters a = { 0 }, b = { 0 };
  struct inv_rates r;

  (void) state;
  a.cpu_ok = b.cpu_ok = a.mem_ok = b.mem_ok = true;
  a.disk_ok = b.disk_ok = a.net_ok = b.net_ok = true;
  a.t = 100; b.t = 102;
  a.cpu_total = 1000; a.cpu_idle = 900;
  b.cpu_total = 1200; b.cpu_idle = 1050;
  b.mem_used_kib = 2048;
  /* sdb disappears between the readings, sdc appears: neither counts.
   * eth0's counters went backwards (the NIC was replaced): 0. */
  add (&a.disks, "sda", 100, 1000);
  add (&a.disks, "sdb", 5, 5);
  add (&b.disks, "sda", 300, 1000 + 2 * 1000000 / 512 * 4);
  add (&b.disks, "sdc", 999, 999);
  add (&a.nics, "eth0", 5000, 5000);
  add (&b.nics, "eth0", 10, 10);
  add (&a.nics, "eth1", 0, 0);
  add (&b.nics, "eth1", 125000, 125000);
  inv_rates_compute (&a, &b, &r);
  assert_true (r.cpu_pct == 25);
  assert_true (r.mem_used_mib == 2);
  assert_true (r.disk_iops == 100);
  assert_true (r.disk_mbps == 4);
  assert_true (r.net_mbps == 1);

  /* No tick in between, missing readings. */
  b.cpu_total = a.cpu_total;
  b.cpu_idle = a.cpu_idle;
  b.disk_ok = false;
  b.mem_ok = false;
  inv_rates_compute (&a, &b, &r);
  assert_true (r.cpu_pct == 0);
  assert_true (r.disk_iops == CORE_UNSET);
  assert_true (r.mem_used_mib == CORE_UNSET);
  inv_counters_clear (&a);
  inv_counters_clear (&b);
}

static void
test_passthrough (void **state)
{
  const char *name;

  (void) state;
  assert_true (inv_pci_passthrough ("d161", "0780"));      /* Digium */
  assert_true (inv_pci_passthrough ("e159", "0280"));      /* Tiger Jet FXO */
  assert_true (inv_pci_passthrough ("1923", NULL));        /* Sangoma */
  assert_true (inv_pci_passthrough ("109e", "0400"));      /* Bt878 capture */
  assert_true (inv_pci_passthrough ("1393", "0700"));      /* Moxa serial */
  assert_true (inv_pci_passthrough ("14f1", "0703"));      /* modem */
  assert_false (inv_pci_passthrough ("8086", "0780"));     /* Intel MEI */
  assert_false (inv_pci_passthrough ("1022", "0700"));     /* AMD chipset */
  assert_false (inv_pci_passthrough ("8086", "0200"));     /* a plain NIC */
  assert_false (inv_pci_passthrough ("8086", "0280"));     /* Wi-Fi */
  assert_false (inv_pci_passthrough ("1000", "0104"));     /* RAID */
  assert_false (inv_pci_passthrough (NULL, "0780"));
  assert_true (inv_usb_passthrough ("0529", "0001", &name));
  assert_string_equal (name, "Aladdin HASP / eToken dongle");
  assert_true (inv_usb_passthrough ("064F", "2af9", &name));
  assert_false (inv_usb_passthrough ("04b9", "1000", &name));  /* iKey token */
  assert_false (inv_usb_passthrough ("046d", "c077", &name));  /* a mouse */
}

static void
test_pciids (void **state)
{
  const char *db =
    "# comment\n"
    "1af4  Red Hat, Inc.\n"
    "\t1041  Virtio 1.0 network device\n"
    "e159  Tiger Jet Network Inc. / ICP DAS\n"
    "\t0001  Tiger3XX Modem/ISDN interface\n"
    "\t\t0059 0001  128k ISDN-S/T Adapter\n"
    "\t\t8086 0003  Digium X100P/X101P analogue PSTN FXO interface\n"
    "\t0002  Tiger100APC ISDN chipset\n"
    "C 00  Unclassified device\n"
    "\t00  Non-VGA\n"
    "1234  After the classes\n";
  struct inv_pci_lookup look[] = {
    { "1af4", "1041", NULL, NULL, NULL },
    { "e159", "0001", "8086", "0003", NULL },
    { "E159", "0001", "1111", "2222", NULL },
    { "e159", "0003", NULL, NULL, NULL },
    { "1234", "0000", NULL, NULL, NULL },
  };
  FILE *fp = fmemopen ((void *) db, strlen (db), "r");

  (void) state;
  assert_non_null (fp);
  assert_int_equal (inv_pciids_lookup (fp, look, 5, NULL, NULL), 0);
  fclose (fp);
  assert_string_equal (look[0].name, "Red Hat, Inc. Virtio 1.0 network device");
  assert_string_equal (look[1].name, "Tiger Jet Network Inc. / ICP DAS Tiger3XX "
                       "Modem/ISDN interface (Digium X100P/X101P analogue PSTN FXO interface)");
  assert_string_equal (look[2].name, "Tiger Jet Network Inc. / ICP DAS Tiger3XX "
                       "Modem/ISDN interface");
  assert_null (look[3].name);
  assert_null (look[4].name);
  for (int i = 0; i < 5; i++)
    free (look[i].name);
}

static void
test_hosts (void **state)
{
  inv_host_vector v = { 0 };
  struct inv_host h;

  (void) state;
  assert_int_equal (inv_parse_hosts ("hosts",
    "# the fleet\n"
    "pbx01\n"
    "\n"
    "admin@10.0.0.5:2222 web01   # comment\n"
    "root@[fe80::1]:22\n"
    "fe80::2\n", &v), 0);
  assert_int_equal (v.len, 4);
  assert_string_equal (v.ptr[0].host, "pbx01");
  assert_null (v.ptr[0].user);
  assert_int_equal (v.ptr[0].port, CORE_UNSET);
  assert_int_equal (v.ptr[0].line, 2);
  assert_string_equal (v.ptr[1].user, "admin");
  assert_string_equal (v.ptr[1].host, "10.0.0.5");
  assert_int_equal (v.ptr[1].port, 2222);
  assert_string_equal (v.ptr[1].name, "web01");
  assert_string_equal (v.ptr[1].line_text, "admin@10.0.0.5:2222");
  assert_string_equal (v.ptr[2].host, "fe80::1");
  assert_int_equal (v.ptr[2].port, 22);
  assert_string_equal (v.ptr[3].host, "fe80::2");
  assert_int_equal (v.ptr[3].port, CORE_UNSET);
  inv_hosts_free (&v);

  assert_int_equal (inv_parse_host_line ("h", 3, "a:0", &h), -1);
  assert_string_equal (core_errmsg (), "h:3: port: 0 is out of range (1 to 65535)");
  assert_int_equal (inv_parse_host_line ("h", 4, "-oProxyCommand=x", &h), -1);
  assert_string_equal (core_errmsg (), "h:4: '-oProxyCommand=x' is not [user@]host[:port]");
  assert_int_equal (inv_parse_host_line ("h", 5, "a b c", &h), -1);
  assert_int_equal (inv_parse_host_line ("h", 6, "a b/c", &h), -1);
  assert_int_equal (inv_parse_host_line ("h", 7, "@a", &h), -1);
  assert_int_equal (inv_parse_host_line ("h", 8, "[::1", &h), -1);
  assert_int_equal (inv_parse_host_line ("h", 9, "  # nothing", &h), 0);
  assert_int_equal (inv_parse_hosts ("h", "a x\nb x\n", &v), -1);
  assert_string_equal (core_errmsg (), "h:2: name 'x' is also given on line 1");
  inv_hosts_free (&v);
  assert_int_equal (inv_parse_hosts ("h", "# none\n", &v), -1);
  assert_string_equal (core_errmsg (), "h: lists no host");
  inv_hosts_free (&v);
}

static void
test_names (void **state)
{
  char *n;

  (void) state;
  n = inv_name_from_hostname ("pbx01.example.com");
  assert_string_equal (n, "pbx01");
  free (n);
  n = inv_name_from_hostname ("my host");
  assert_string_equal (n, "my-host");
  free (n);
  assert_null (inv_name_from_hostname (".local"));
  n = inv_format_time (0);
  assert_string_equal (n, "1970-01-01T00:00:00Z");
  free (n);
}

static void
test_percentile (void **state)
{
  core_double_vector v = { 0 };

  (void) state;
  assert_true (inv_percentile (&v, 95) == CORE_UNSET);
  for (int i = 20; i >= 1; i--)
    core_double_vector_append (&v, i);
  assert_true (inv_percentile (&v, 95) == 19);
  assert_true (inv_percentile (&v, 100) == 20);
  assert_true (inv_percentile (&v, 50) == 10);
  assert_true (inv_percentile (&v, 1) == 1);
  core_double_vector_reset (&v);
}

/* A whole profile from a recorded tree, through the library. */
static void
test_collect_tree (void **state)
{
  struct inv_options o = {
    .root = "tests/data/roots/centos5-pbx", .interval_s = 1, .samples = 0,
  };
  struct core_profile *p;

  (void) state;
  p = inv_collect (&o);
  if (p == NULL)
    fail_msg ("%s", core_errmsg ());
  assert_string_equal (p->name, "pbx01");
  assert_int_equal (p->hardware.cpu.cores, 2);
  assert_true (p->hardware.cpu.mhz == 2600);
  assert_int_equal (p->hardware.cpu.virt, CORE_VIRT_SVM);
  assert_int_equal (p->hardware.pci.len, 4);
  assert_true (p->hardware.pci.ptr[3].passthrough);
  assert_string_equal (p->os.id, "centos5.5");
  assert_int_equal (p->os.pv_drivers, CORE_PV_VIRTIO | CORE_PV_XEN);
  assert_int_equal (p->utilization.interval_s, CORE_UNSET);
  core_profile_free (p);

  o.interval_s = 0;
  assert_null (inv_collect (&o));
  assert_string_equal (core_errmsg (), "interval: 0 is out of range (1 to 86400 seconds)");
  o.interval_s = 1;
  o.root = "tests/data/roots/nonexistent";
  assert_null (inv_collect (&o));
}

/* The running system's loopback: its addresses with their prefix
 * lengths, read as a NIC's are; none from a tree that is not running. */
static void
test_nic_addresses (void **state)
{
  struct inv_src live, tree;
  core_string_vector v = { 0 };
  bool v4 = false;

  (void) state;
  assert_int_equal (inv_src_init (&live, NULL, NULL, NULL), 0);
  assert_int_equal (inv_nic_addresses (&live, "lo", &v), 0);
  for (size_t i = 0; i < v.len; i++)
    v4 |= strcmp (v.ptr[i], "127.0.0.1/8") == 0;
  assert_true (v4);
  core_string_vector_free (&v);
  assert_int_equal (inv_nic_addresses (&live, "p2vkit-no-such-nic", &v), 0);
  assert_int_equal (v.len, 0);
  inv_src_clear (&live);
  assert_int_equal (inv_src_init (&tree, "tests/data/roots/centos5-pbx", NULL, NULL), 0);
  assert_int_equal (inv_nic_addresses (&tree, "lo", &v), 0);
  assert_int_equal (v.len, 0);
  inv_src_clear (&tree);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cpuinfo),
    cmocka_unit_test (test_nic_addresses),
    cmocka_unit_test (test_meminfo),
    cmocka_unit_test (test_os_release),
    cmocka_unit_test (test_osinfo_candidate),
    cmocka_unit_test (test_mounts),
    cmocka_unit_test (test_sockets),
    cmocka_unit_test (test_counters),
    cmocka_unit_test (test_stat_comm),
    cmocka_unit_test (test_rates),
    cmocka_unit_test (test_passthrough),
    cmocka_unit_test (test_pciids),
    cmocka_unit_test (test_hosts),
    cmocka_unit_test (test_names),
    cmocka_unit_test (test_percentile),
    cmocka_unit_test (test_collect_tree),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
