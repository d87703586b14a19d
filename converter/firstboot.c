/* The first boot of a converted Windows guest: a script that installs the
 * rest of the virtio drivers and gives the new adapters the old fixed
 * addresses, run once by a service (and RunOnce) that removes itself.
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
conv_win_firstboot_script (const struct conv_win_guest *g, const char *const *drivers)
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
