/* The facts a converted guest writes to its serial console on its first
 * boot: found in console text with noise around and inside the block,
 * in each tool's format (ss, netstat, /proc/net/tcp, ip, ifconfig of
 * both generations, Windows' netstat and ipconfig), and compared with a
 * profile (a service not listening, an address missing or down). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"
#include "migrate/migrate.h"

/* A PBX: sshd and asterisk's manager interface on TCP, SIP on UDP (not
 * checked), one address of each family, and one that SLAAC made from its
 * MAC (EUI-64), which no guest below has: it follows the MAC, a VM has
 * its own, so it is not checked (every check that expects nothing
 * missing fails if it were). */
static const char profile_text[] =
  "schema: p2vkit/profile/v1\n"
  "name: pbx01\n"
  "hardware:\n"
  "  cpu: {cores: 2, mhz: 2600}\n"
  "  memory_mib: 2048\n"
  "  nics:\n"
  "    - {name: eth0, addresses: [192.0.2.10/24, \"2001:db8::10/64\", \"fec0::5054:ff:fe12:3456/64\"]}\n"
  "services:\n"
  "  - {name: sshd, proto: tcp, port: 22}\n"
  "  - {name: asterisk, proto: tcp, port: 5038}\n"
  "  - {name: asterisk, proto: udp, port: 5060}\n";

/* A Debian guest's console: kernel lines, a login prompt, then the
 * block with a kernel message in the middle of it. */
static const char linux_ss[] =
  "[    0.000000] Linux version 6.1.0-13-amd64\r\n"
  "[    2.345678] virtio_net virtio0 eth0: renamed from ens3\r\n"
  "\r\n"
  "Debian GNU/Linux 12 pbx01 ttyS0\r\n"
  "\r\n"
  "pbx01 login: P2VKIT-FACTS-BEGIN v1\r\n"
  "P2VKIT-FACTS-BEGIN v1\r\n"
  "os linux\r\n"
  "tcp-ss LISTEN 0      128          0.0.0.0:22        0.0.0.0:*\r\n"
  "tcp-ss LISTEN 0      128             [::]:22           [::]:*\r\n"
  "[   31.000001] random: crng init done\r\n"
  "tcp-ss LISTEN 0      32     127.0.0.53%lo:53        0.0.0.0:*\r\n"
  "tcp-ss LISTEN 0      5         *:5038            *:*\r\n"
  "ip-addr 1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\r\n"
  "ip-addr 2: eth0    inet 192.0.2.10/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever\r\n"
  "ip-addr 2: eth0    inet6 2001:db8::10/64 scope global \\       valid_lft forever preferred_lft forever\r\n"
  "ip-addr 2: eth0    inet6 fe80::5054:ff:fe12:3456/64 scope link \\       valid_lft forever preferred_lft forever\r\n"
  "ip-link 1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT\r\n"
  "ip-link 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP mode DEFAULT qlen 1000\r\n"
  "P2VKIT-FACTS-END\r\n"
  "\r\n"
  "pbx01 login: ";

static struct core_profile *
profile (void)
{
  struct core_profile *p = core_profile_parse ("pbx01.yaml", profile_text,
                                               sizeof profile_text - 1);
  if (p == NULL)
    fail_msg ("%s", core_errmsg ());
  return p;
}

/* Parse TEXT (must give 0) and verify it against the profile; MISSING
 * gets what is missing; returns mig_verify_facts' status. */
static int
check (const char *text, core_string_vector *missing)
{
  struct core_profile *p = profile ();
  struct mig_facts f;
  int r;

  r = mig_facts_parse (text, strlen (text), &f);
  if (r != 0)
    fail_msg ("mig_facts_parse gave %d: %s", r, r == -1 ? core_errmsg () : "");
  r = mig_verify_facts (p, &f, missing);
  for (size_t i = 0; i < missing->len; i++)
    print_message ("# missing: %s\n", missing->ptr[i]);
  mig_facts_clear (&f);
  core_profile_free (p);
  return r;
}

static void
test_linux_ss (void **state)
{
  core_string_vector missing = { 0 };
  struct mig_facts f;

  (void) state;
  assert_int_equal (mig_facts_parse (linux_ss, strlen (linux_ss), &f), 0);
  assert_string_equal (f.os, "linux");
  assert_int_equal (f.listening.len, 4);
  assert_string_equal (f.listening.ptr[1].address, "::");
  assert_string_equal (f.listening.ptr[2].address, "127.0.0.53");
  assert_int_equal (f.listening.ptr[3].port, 5038);
  assert_int_equal (f.addresses.len, 4);
  assert_string_equal (f.addresses.ptr[1].ifname, "eth0");
  assert_string_equal (f.addresses.ptr[1].address, "192.0.2.10");
  assert_int_equal (f.addresses.ptr[1].prefix, 24);
  assert_true (f.addresses.ptr[1].up);
  mig_facts_clear (&f);
  mig_facts_clear (NULL);

  assert_int_equal (check (linux_ss, &missing), 0);
  assert_int_equal (missing.len, 0);
  core_string_vector_free (&missing);
}

/* A block not ended yet (the console read stopped in the middle) is no
 * block: the caller reads on.  An earlier complete one is taken. */
static void
test_cut_off (void **state)
{
  size_t cut = strstr (linux_ss, "ip-link 2:") - linux_ss;
  char *twice;
  struct mig_facts f;

  (void) state;
  assert_int_equal (mig_facts_parse (linux_ss, cut, &f), 1);
  assert_int_equal (mig_facts_parse ("", 0, &f), 1);
  assert_int_equal (mig_facts_parse ("login: ", 7, &f), 1);
  /* The end marker not at a line's start is not the end. */
  const char *quoted = "P2VKIT-FACTS-BEGIN v1\nos linux\necho P2VKIT-FACTS-END\n";
  assert_int_equal (mig_facts_parse (quoted, strlen (quoted), &f), 1);

  /* A complete block, then a second one cut off: the first counts. */
  twice = core_sprintf ("%s%.*s", linux_ss, (int) cut, linux_ss);
  assert_non_null (twice);
  assert_int_equal (mig_facts_parse (twice, strlen (twice), &f), 0);
  assert_int_equal (f.listening.len, 4);
  mig_facts_clear (&f);
  free (twice);
}

/* A later block (the guest booted again) wins over an earlier one. */
static void
test_last_block (void **state)
{
  const char *text =
    "P2VKIT-FACTS-BEGIN v1\nos linux\ntcp-ss LISTEN 0 128 0.0.0.0:80 0.0.0.0:*\nP2VKIT-FACTS-END\n"
    "noise\n"
    "P2VKIT-FACTS-BEGIN v1\nos linux\ntcp-ss LISTEN 0 128 0.0.0.0:443 0.0.0.0:*\nP2VKIT-FACTS-END\n";
  struct mig_facts f;

  (void) state;
  assert_int_equal (mig_facts_parse (text, strlen (text), &f), 0);
  assert_int_equal (f.listening.len, 1);
  assert_int_equal (f.listening.ptr[0].port, 443);
  mig_facts_clear (&f);
}

static void
test_malformed (void **state)
{
  const char *v2 = "P2VKIT-FACTS-BEGIN v2\nos linux\nP2VKIT-FACTS-END\n";
  const char *noos = "boot\nP2VKIT-FACTS-BEGIN v1\ntcp-ss LISTEN 0 1 *:22 *:*\nP2VKIT-FACTS-END\n";
  struct mig_facts f;

  (void) state;
  assert_int_equal (mig_facts_parse (v2, strlen (v2), &f), -1);
  assert_string_equal (core_errmsg (), "console line 1: facts block of version 'v2': "
                       "p2vkit reads version v1");
  assert_int_equal (f.listening.len, 0);
  assert_int_equal (mig_facts_parse (noos, strlen (noos), &f), -1);
  assert_non_null (strstr (core_errmsg (), "console line 2: the facts block has no 'os' line"));
}

/* Old servers: netstat -ltn and /proc/net/tcp{,6} (no ss), ifconfig of
 * net-tools before 2.10 (no ip). */
static void
test_linux_old_tools (void **state)
{
  const char *netstat =
    "P2VKIT-FACTS-BEGIN v1\n"
    "os linux\n"
    "tcp-netstat Active Internet connections (only servers)\n"
    "tcp-netstat Proto Recv-Q Send-Q Local Address               Foreign Address             State\n"
    "tcp-netstat tcp        0      0 0.0.0.0:22                  0.0.0.0:*                   LISTEN\n"
    "tcp-netstat tcp        0      0 :::5038                     :::*                        LISTEN\n"
    "ifconfig eth0      Link encap:Ethernet  HWaddr 52:54:00:12:34:56\n"
    "ifconfig           inet addr:192.0.2.10  Bcast:192.0.2.255  Mask:255.255.255.0\n"
    "ifconfig           inet6 addr: 2001:db8::10/64 Scope:Global\n"
    "ifconfig           UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n"
    "ifconfig \n"
    "ifconfig lo        Link encap:Local Loopback\n"
    "ifconfig           inet addr:127.0.0.1  Mask:255.0.0.0\n"
    "ifconfig           UP LOOPBACK RUNNING  MTU:16436  Metric:1\n"
    "P2VKIT-FACTS-END\n";
  const char *proc =
    "P2VKIT-FACTS-BEGIN v1\n"
    "os linux\n"
    "tcp-proc   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0\n"
    "tcp-proc   1: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1235 1 0000000000000000 100 0 0 10 0\n"
    "tcp-proc   2: 0A0200C0:0016 0B0200C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 1236 1 0000000000000000 100 0 0 10 0\n"
    "tcp-proc   0: 00000000000000000000000000000000:13AE 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0\n"
    "ifconfig eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n"
    "ifconfig         inet 192.0.2.10  netmask 255.255.255.0  broadcast 192.0.2.255\n"
    "ifconfig         inet6 2001:db8::10  prefixlen 64  scopeid 0x0<global>\n"
    "ifconfig         ether 52:54:00:12:34:56  txqueuelen 1000  (Ethernet)\n"
    "ifconfig \n"
    "P2VKIT-FACTS-END\n";
  core_string_vector missing = { 0 };
  struct mig_facts f;

  (void) state;
  assert_int_equal (check (netstat, &missing), 0);
  assert_int_equal (check (proc, &missing), 0);
  assert_int_equal (missing.len, 0);

  assert_int_equal (mig_facts_parse (proc, strlen (proc), &f), 0);
  assert_int_equal (f.listening.len, 3);       /* the connection (01) is not listening */
  assert_string_equal (f.listening.ptr[1].address, "127.0.0.1");
  assert_int_equal (f.listening.ptr[1].port, 25);
  assert_string_equal (f.listening.ptr[2].address, "::");
  assert_int_equal (f.listening.ptr[2].port, 5038);
  assert_int_equal (f.addresses.len, 2);
  assert_int_equal (f.addresses.ptr[0].prefix, 24);
  assert_int_equal (f.addresses.ptr[1].prefix, 64);
  assert_true (f.addresses.ptr[1].up);
  mig_facts_clear (&f);
  core_string_vector_free (&missing);
}

/* Windows Server 2008's netstat -an -p tcp and ipconfig, CRLF lines. */
static void
test_windows (void **state)
{
  const char *text =
    "P2VKIT-FACTS-BEGIN v1\r\n"
    "os windows\r\n"
    "tcp-netstat Active Connections\r\n"
    "tcp-netstat   Proto  Local Address          Foreign Address        State\r\n"
    "tcp-netstat   TCP    0.0.0.0:22             0.0.0.0:0              LISTENING\r\n"
    "tcp-netstat   TCP    0.0.0.0:135            0.0.0.0:0              LISTENING\r\n"
    "tcp-netstat   TCP    192.0.2.10:139         0.0.0.0:0              LISTENING\r\n"
    "tcp-netstat   TCP    192.0.2.10:49158       192.0.2.1:445          ESTABLISHED\r\n"
    "tcp-netstat   TCP    [::]:5038              [::]:0                 LISTENING\r\n"
    "ipconfig Windows IP Configuration\r\n"
    "ipconfig Ethernet adapter Local Area Connection 2:\r\n"
    "ipconfig    Connection-specific DNS Suffix  . : \r\n"
    "ipconfig    IPv6 Address. . . . . . . . . . . : 2001:db8::10\r\n"
    "ipconfig    Link-local IPv6 Address . . . . . : fe80::c1a:2b3c:4d5e:6f70%11\r\n"
    "ipconfig    IPv4 Address. . . . . . . . . . . : 192.0.2.10\r\n"
    "ipconfig    Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n"
    "ipconfig    Default Gateway . . . . . . . . . : 192.0.2.1\r\n"
    "ipconfig Tunnel adapter isatap.{5D2E6B8C-0E52-4C51-9E9E-1B6A3C1F2D3E}:\r\n"
    "ipconfig    Media State . . . . . . . . . . . : Media disconnected\r\n"
    "ipconfig    Connection-specific DNS Suffix  . : \r\n"
    "P2VKIT-FACTS-END\r\n";
  /* XP and 2003 say "IP Address"; an adapter whose cable is out. */
  const char *old =
    "P2VKIT-FACTS-BEGIN v1\r\n"
    "os windows\r\n"
    "tcp-netstat   TCP    0.0.0.0:22             0.0.0.0:0              LISTENING\r\n"
    "tcp-netstat   TCP    0.0.0.0:5038           0.0.0.0:0              LISTENING\r\n"
    "ipconfig Ethernet adapter Local Area Connection:\r\n"
    "ipconfig         Media State . . . . . . . . . . . : Media disconnected\r\n"
    "ipconfig Ethernet adapter Local Area Connection 2:\r\n"
    "ipconfig         Connection-specific DNS Suffix  . : \r\n"
    "ipconfig         IP Address. . . . . . . . . . . . : 192.0.2.10\r\n"
    "ipconfig         Subnet Mask . . . . . . . . . . . : 255.255.0.0\r\n"
    "ipconfig         Default Gateway . . . . . . . . . : 192.0.2.1\r\n"
    "P2VKIT-FACTS-END\r\n";
  core_string_vector missing = { 0 };
  struct mig_facts f;

  (void) state;
  assert_int_equal (mig_facts_parse (text, strlen (text), &f), 0);
  assert_string_equal (f.os, "windows");
  assert_int_equal (f.listening.len, 4);
  assert_int_equal (f.addresses.len, 3);
  assert_string_equal (f.addresses.ptr[0].ifname, "Local Area Connection 2");
  assert_int_equal (f.addresses.ptr[0].prefix, -1);
  assert_string_equal (f.addresses.ptr[1].address, "fe80::c1a:2b3c:4d5e:6f70");
  assert_int_equal (f.addresses.ptr[2].prefix, 24);
  assert_true (f.addresses.ptr[2].up);
  mig_facts_clear (&f);
  /* Windows gives no IPv6 prefix length: the address alone counts. */
  assert_int_equal (check (text, &missing), 0);

  assert_int_equal (check (old, &missing), 1);
  assert_int_equal (missing.len, 2);
  assert_string_equal (missing.ptr[0], "192.0.2.10/24 configured as 192.0.2.10/16 on "
                       "Local Area Connection 2");
  assert_string_equal (missing.ptr[1], "2001:db8::10/64 (eth0 on the server) not configured "
                       "on an interface that is up");
  core_string_vector_free (&missing);
}

/* What is missing is said, each in one line. */
static void
test_missing (void **state)
{
  const char *text =
    "P2VKIT-FACTS-BEGIN v1\n"
    "os linux\n"
    "tcp-ss LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n"
    "ip-addr 2: eth0    inet 192.0.2.10/24 brd 192.0.2.255 scope global eth0\n"
    "ip-addr 3: eth1    inet6 2001:db8::10/64 scope global\n"
    "ip-link 2: eth0: <BROADCAST,MULTICAST> mtu 1500 state DOWN\n"
    "ip-link 3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n"
    "P2VKIT-FACTS-END\n";
  const char *v6_missing =
    "P2VKIT-FACTS-BEGIN v1\n"
    "os linux\n"
    "tcp-ss LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n"
    "tcp-ss LISTEN 0 128 0.0.0.0:5038 0.0.0.0:*\n"
    "ip-addr 2: eth0    inet 192.0.2.10/24 brd 192.0.2.255 scope global eth0\n"
    "ip-addr 2: eth0    inet6 2001:db8::11/64 scope global\n"
    "ip-link 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n"
    "P2VKIT-FACTS-END\n";
  core_string_vector missing = { 0 };

  (void) state;
  assert_int_equal (check (text, &missing), 1);
  assert_int_equal (missing.len, 2);
  assert_string_equal (missing.ptr[0], "tcp/5038 (asterisk) not listening");
  assert_string_equal (missing.ptr[1], "192.0.2.10/24 configured on eth0, which is down");
  core_string_vector_free (&missing);

  assert_int_equal (check (v6_missing, &missing), 1);
  assert_int_equal (missing.len, 1);
  assert_string_equal (missing.ptr[0], "2001:db8::10/64 (eth0 on the server) not configured "
                       "on an interface that is up");
  core_string_vector_free (&missing);
}

/* The address is compared as an address, not as text. */
static void
test_ipv6_forms (void **state)
{
  const char *text =
    "P2VKIT-FACTS-BEGIN v1\n"
    "os linux\n"
    "tcp-ss LISTEN 0 128 [::]:22 [::]:*\n"
    "tcp-ss LISTEN 0 128 [::]:5038 [::]:*\n"
    "ip-addr 2: eth0@if7    inet 192.0.2.10/24 scope global eth0\n"
    "ip-addr 2: eth0@if7    inet6 2001:0db8:0000::0010/64 scope global\n"
    "ip-link 2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n"
    "P2VKIT-FACTS-END\n";
  core_string_vector missing = { 0 };

  (void) state;
  assert_int_equal (check (text, &missing), 0);
  core_string_vector_free (&missing);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_linux_ss),
    cmocka_unit_test (test_cut_off),
    cmocka_unit_test (test_last_block),
    cmocka_unit_test (test_malformed),
    cmocka_unit_test (test_linux_old_tools),
    cmocka_unit_test (test_windows),
    cmocka_unit_test (test_missing),
    cmocka_unit_test (test_ipv6_forms),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
