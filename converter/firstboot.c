/* The first boot of a converted Windows guest: a script that installs the
 * rest of the virtio drivers and gives the new adapters the old fixed
 * addresses, run once by a service (and RunOnce) that removes itself.
 * With it, on Windows and Linux, the facts reporter: what the guest
 * listens on and its addresses, written once to the serial console for
 * p2vkit migrate's verify step (migrate/verify.c reads it), which needs
 * no network path to the guest.
 */
#include <stdio.h>
#include <string.h>

#include "converter/converter.h"

#define FIRSTBOOT_SERVICE "p2vkit-firstboot"

/* The first-boot script: install the rest of the virtio drivers with
 * pnputil (Vista and later) and give each adapter that had a fixed
 * address that address again.  The address was bound to the old NIC's
 * GUID; the new NIC is a new adapter.  Static adapter I goes to the I-th
 * connected adapter that netsh lists. */
char *
conv_win_firstboot_script (const struct conv_win_guest *g, const char *const *drivers,
                           bool facts)
{
  char *out = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&out, &len);
  int ver = g->ver.major * 10 + g->ver.minor;

  if (!fp) {
    core_error_errno ("open_memstream");
    return NULL;
  }
#define L(...) (fprintf (fp, __VA_ARGS__), fputs ("\r\n", fp))
  L ("@echo off");
  L ("rem Written by p2vkit convert.  Runs once at the first boot on KVM (service");
  L ("rem " FIRSTBOOT_SERVICE ", or at the first logon from RunOnce), then removes");
  L ("rem the service.  What it did is in %%SystemDrive%%\\" CONV_WIN_FIRSTBOOT_DIR "\\firstboot.log.");
  L ("setlocal enabledelayedexpansion");
  L ("set DIR=%%SystemDrive%%\\" CONV_WIN_FIRSTBOOT_DIR);
  L ("if exist \"%%DIR%%\\firstboot.done\" exit /b 0");
  L ("set LOG=%%DIR%%\\firstboot.log");
  L ("echo %%DATE%% %%TIME%% first boot >> \"%%LOG%%\"");
  for (size_t i = 0; drivers[i]; i++) {
    if (ver >= 60)
      L ("pnputil -i -a \"%%DIR%%\\drivers\\%s\\%s.inf\" >> \"%%LOG%%\" 2>&1", drivers[i],
         drivers[i]);
  }
  for (size_t n = 0; n < g->nics.len; n++) {
    const struct conv_win_nic *nic = &g->nics.ptr[n];
    L ("rem Adapter %s", nic->guid);
    L ("call :adapter %zu", n + 1);
    L ("if not defined IFNAME echo no adapter %zu for %s >> \"%%LOG%%\"", n + 1, nic->guid);
    for (size_t a = 0; a < nic->addresses.len; a++) {
      const char *mask = a < nic->masks.len ? nic->masks.ptr[a] : "255.255.255.0";
      if (a == 0)
        L ("if defined IFNAME netsh interface ip set address name=\"!IFNAME!\" "
           "source=static addr=%s mask=%s gateway=%s%s >> \"%%LOG%%\" 2>&1",
           nic->addresses.ptr[a], mask,
           nic->gateways.len ? nic->gateways.ptr[0] : "none",
           nic->gateways.len ? " gwmetric=1" : "");
      else
        L ("if defined IFNAME netsh interface ip add address name=\"!IFNAME!\" "
           "addr=%s mask=%s >> \"%%LOG%%\" 2>&1", nic->addresses.ptr[a], mask);
    }
    for (size_t g = 1; g < nic->gateways.len; g++)
      L ("if defined IFNAME netsh interface ip add address name=\"!IFNAME!\" "
         "gateway=%s gwmetric=%zu >> \"%%LOG%%\" 2>&1", nic->gateways.ptr[g], g + 1);
    for (size_t d = 0; d < nic->dns.len; d++) {
      if (d == 0)
        L ("if defined IFNAME netsh interface ip set dns name=\"!IFNAME!\" "
           "source=static addr=%s register=primary >> \"%%LOG%%\" 2>&1", nic->dns.ptr[d]);
      else
        L ("if defined IFNAME netsh interface ip add dns name=\"!IFNAME!\" "
           "addr=%s index=%zu >> \"%%LOG%%\" 2>&1", nic->dns.ptr[d], d + 1);
    }
  }
  if (facts) {
    /* After the addresses: wait until the number of listening ports has
     * stayed the same for three looks 2 s apart (at most 2 minutes), as
     * services start after this one; then the facts to COM1.  The
     * redirection goes first so that a line ending in a digit is not
     * read as a handle ("...0>>"). */
    L ("rem The facts reporter: listening TCP ports and addresses to COM1, once.");
    L ("set PREV=");
    L ("set SAME=0");
    L ("for /l %%%%i in (1,1,60) do if !SAME! lss 3 (");
    L ("  set NOW=");
    L ("  for /f %%%%n in ('netstat -an -p tcp ^| find /c \"LISTENING\"') do set NOW=%%%%n");
    L ("  if \"!NOW!\"==\"!PREV!\" (set /a SAME+=1) else (set SAME=0& set \"PREV=!NOW!\")");
    L ("  ping -n 3 127.0.0.1 > nul");
    L (")");
    L ("set FACTS=%%DIR%%\\facts.txt");
    L ("> \"%%FACTS%%\" echo " "P2VKIT-FACTS-BEGIN v1");
    L (">> \"%%FACTS%%\" echo os windows");
    L ("for /f \"delims=\" %%%%l in ('netstat -an -p tcp') do >> \"%%FACTS%%\" echo tcp-netstat %%%%l");
    L ("for /f \"delims=\" %%%%l in ('netstat -an -p tcpv6 2^>nul') do >> \"%%FACTS%%\" echo tcp-netstat %%%%l");
    L ("for /f \"delims=\" %%%%l in ('ipconfig') do >> \"%%FACTS%%\" echo ipconfig %%%%l");
    L (">> \"%%FACTS%%\" echo " "P2VKIT-FACTS-END");
    L ("mode COM1: baud=115200 parity=n data=8 stop=1 > nul 2>&1");
    L ("type \"%%FACTS%%\" > COM1");
    L ("echo %%DATE%% %%TIME%% facts written to COM1 >> \"%%LOG%%\"");
  }
  L ("sc delete " FIRSTBOOT_SERVICE " >> \"%%LOG%%\" 2>&1");
  L ("echo done > \"%%DIR%%\\firstboot.done\"");
  L ("exit /b 0");
  fputs ("\r\n", fp);
  L (":adapter");
  L ("rem The Nth connected adapter; the new NIC's driver may take a while to load.");
  L ("set IFNAME=");
  L ("for /l %%%%t in (1,1,30) do if not defined IFNAME (");
  L ("  set N=0");
  L ("  for /f \"tokens=1,2,3,*\" %%%%a in ('netsh interface show interface') do (");
  L ("    if /i \"%%%%b\"==\"Connected\" if /i \"%%%%c\"==\"Dedicated\" (");
  L ("      set /a N+=1");
  L ("      if \"!N!\"==\"%%1\" set \"IFNAME=%%%%d\"");
  L ("    )");
  L ("  )");
  L ("  if not defined IFNAME ping -n 11 127.0.0.1 > nul");
  L (")");
  L ("goto :eof");
#undef L
  if (core_memstream_close (fp, &out) == -1)
    return NULL;
  return out;
}

int
conv_win_firstboot_register (struct conv_hive *sys, struct conv_hive *sw, const char *cs)
{
  /* A service runs at boot without anyone logging on, as a domain
   * controller needs; cmd.exe is no real service, so the service
   * control manager logs a timeout (event 7009) while the script goes
   * on.  RunOnce at the first logon is the fallback. */
  CLEANUP_FREE char *key = core_sprintf ("%s\\Services\\" FIRSTBOOT_SERVICE, cs);
  const char *cmd = "%SystemRoot%\\system32\\cmd.exe /c \"%SystemDrive%\\"
    CONV_WIN_FIRSTBOOT_DIR "\\firstboot.cmd\"";
  if (!key
      || conv_hive_set_dword (sys, key, "Type", 0x10) == -1
      || conv_hive_set_dword (sys, key, "Start", 2) == -1
      || conv_hive_set_dword (sys, key, "ErrorControl", 0) == -1
      || conv_hive_set_str (sys, key, "ImagePath", hive_t_REG_EXPAND_SZ, cmd) == -1
      || conv_hive_set_str (sys, key, "DisplayName", hive_t_REG_SZ, "p2vkit first boot") == -1
      || conv_hive_set_str (sys, key, "ObjectName", hive_t_REG_SZ, "LocalSystem") == -1
      || conv_hive_set_str (sw, "Microsoft\\Windows\\CurrentVersion\\RunOnce", "p2vkit",
                            hive_t_REG_EXPAND_SZ, cmd) == -1)
    return -1;
  return 0;
}

/* The Linux facts reporter: a POSIX sh script for every generation of
 * server p2vkit converts (sh, sed, grep and sleep; ss or netstat or
 * /proc/net/tcp; ip or ifconfig), run once by a systemd unit or by rc
 * links of sysvinit (and upstart's rc), whichever the guest has.  The
 * hooks go first, so that a failure part way cannot make it run at
 * every boot; the script itself goes last. */
const char conv_linux_facts_script[] =
  "#!/bin/sh\n"
  "# Written by p2vkit convert.  At the first boot on KVM it writes this\n"
  "# machine's listening TCP ports and addresses to the serial console\n"
  "# (/dev/ttyS0), between P2VKIT-FACTS-BEGIN v1 and P2VKIT-FACTS-END, for\n"
  "# p2vkit migrate's verify step; then it removes itself.  A copy of what\n"
  "# it wrote is in /var/log/p2vkit-facts.log.\n"
  "PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH\n"
  "case \"$1\" in\n"
  "  run) ;;\n"
  "  start) sh " CONV_LINUX_FACTS_SCRIPT " run >/dev/null 2>&1 </dev/null &\n"
  "         exit 0 ;;\n"
  "  *) exit 0 ;;\n"
  "esac\n"
  "mkdir /tmp/.p2vkit-facts.lock 2>/dev/null || exit 0\n"
  "rm -f " CONV_LINUX_FACTS_UNIT " /etc/systemd/system/multi-user.target.wants/p2vkit-facts.service \\\n"
  "  /etc/rc[2345].d/S99p2vkit-facts /etc/rc.d/rc[2345].d/S99p2vkit-facts\n"
  "tcp () {\n"
  "  if ss -ltnH >/dev/null 2>&1; then ss -ltnH | sed 's/^/tcp-ss /'\n"
  "  elif ss -ltn >/dev/null 2>&1; then ss -ltn | sed 's/^/tcp-ss /'\n"
  "  elif netstat -ltn >/dev/null 2>&1; then netstat -ltn | sed 's/^/tcp-netstat /'\n"
  "  else cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep ' 0A ' | sed 's/^/tcp-proc /'\n"
  "  fi\n"
  "}\n"
  "addrs () {\n"
  "  if ip -o addr >/dev/null 2>&1; then\n"
  "    ip -o addr | sed 's/^/ip-addr /'\n"
  "    ip -o link | sed 's/^/ip-link /'\n"
  "  else ifconfig -a | sed 's/^/ifconfig /'\n"
  "  fi\n"
  "}\n"
  "# Services start after this, and DHCP may still be at work: wait until\n"
  "# the listening ports and the addresses stay the same for three looks\n"
  "# 2 s apart, at most 2 minutes.\n"
  "prev=x same=0 n=0\n"
  "while [ $n -lt 60 ] && [ $same -lt 3 ]; do\n"
  "  now=$(tcp | sort; addrs | sed -n 's/.* \\(inet6\\{0,1\\}\\) \\([^ ]*\\).*/\\1 \\2/p' | sort)\n"
  "  if [ \"$now\" = \"$prev\" ]; then same=$((same + 1)); else same=0; prev=$now; fi\n"
  "  sleep 2\n"
  "  n=$((n + 1))\n"
  "done\n"
  "log=/var/log/p2vkit-facts.log\n"
  "{\n"
  "  echo\n"
  "  echo " "P2VKIT-FACTS-BEGIN v1\n"
  "  echo os linux\n"
  "  tcp\n"
  "  addrs\n"
  "  echo " "P2VKIT-FACTS-END\n"
  "} > $log 2>/dev/null\n"
  "# CLOCAL: opening the port must not wait for a modem's carrier.\n"
  "stty -F /dev/ttyS0 clocal 2>/dev/null\n"
  "cat $log > /dev/ttyS0\n"
  "rm -f " CONV_LINUX_FACTS_SCRIPT "\n"
  "rmdir /etc/p2vkit 2>/dev/null\n"
  "exit 0\n";

/* Started after the network is online and the system is up (After=
 * multi-user.target: the services it wants have started). */
const char conv_linux_facts_unit[] =
  "# Written by p2vkit convert: the facts reporter, run once at the first\n"
  "# boot on KVM (" CONV_LINUX_FACTS_SCRIPT " removes this unit).\n"
  "[Unit]\n"
  "Description=p2vkit: report listening ports and addresses on the serial console, once\n"
  "Wants=network-online.target\n"
  "After=network-online.target multi-user.target\n"
  "\n"
  "[Service]\n"
  "Type=oneshot\n"
  "ExecStart=/bin/sh " CONV_LINUX_FACTS_SCRIPT " run\n"
  "TimeoutStartSec=300\n"
  "\n"
  "[Install]\n"
  "WantedBy=multi-user.target\n";
