/* Build the SYSTEM and SOFTWARE hives of a synthetic Windows install.
 *
 *   mkhive empty FILE                 a valid hive with nothing in it
 *   mkhive pe i386|x86_64 FILE        an empty PE executable (cmd.exe, by
 *                                     whose architecture libguestfs knows
 *                                     the guest's)
 *   mkhive both 2003|2019 FILE        SYSTEM's and SOFTWARE's keys in one
 *                                     hive (the fuzz target's seeds)
 *   mkhive 2003|2019 SYSTEM SOFTWARE  what libguestfs inspection and
 *                                     p2vkit's converter read of Windows
 *                                     Server 2003 (5.2) or 2019 (10.0)
 *
 * hivex edits hives but cannot create one, so the empty hive is written
 * here byte by byte (the regf layout as hivex's lib/hivex-internal.h
 * describes it), then filled through hivex.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hivex.h>

static void
put32 (unsigned char *p, uint32_t v)
{
  p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void
put16 (unsigned char *p, uint16_t v)
{
  p[0] = v; p[1] = v >> 8;
}

/* Base block, one 4 KiB hive bin holding the root key and its security
 * descriptor, and the rest of the bin free. */
static int
write_empty (const char *file)
{
  static unsigned char buf[0x2000];
  unsigned char *h = buf, *bin = buf + 0x1000;
  const char *name = "ROOT";
  const uint32_t nk = 0x20, sk = 0x78, freecell = 0xa8;

  memset (buf, 0, sizeof buf);
  memcpy (h, "regf", 4);
  put32 (h + 0x04, 1);                  /* sequence numbers, equal: clean */
  put32 (h + 0x08, 1);
  put32 (h + 0x14, 1);                  /* version 1.3 */
  put32 (h + 0x18, 3);
  put32 (h + 0x20, 1);                  /* flat file */
  put32 (h + 0x24, nk);                 /* root key, from the first bin */
  put32 (h + 0x28, 0x1000);             /* bins' size */
  put32 (h + 0x2c, 1);
  uint32_t sum = 0;
  for (int i = 0; i < 0x1fc; i += 4)
    sum ^= (uint32_t) h[i] | h[i + 1] << 8 | h[i + 2] << 16 | (uint32_t) h[i + 3] << 24;
  put32 (h + 0x1fc, sum);

  memcpy (bin, "hbin", 4);
  put32 (bin + 0x04, 0);
  put32 (bin + 0x08, 0x1000);

  unsigned char *k = bin + nk;
  put32 (k, (uint32_t) -0x58);          /* allocated: negative size */
  memcpy (k + 0x04, "nk", 2);
  put16 (k + 0x06, 0x2c);               /* hive entry, no delete, ASCII name */
  put32 (k + 0x20, 0xffffffff);         /* no subkeys */
  put32 (k + 0x24, 0xffffffff);
  put32 (k + 0x2c, 0xffffffff);         /* no values */
  put32 (k + 0x30, sk);
  put32 (k + 0x34, 0xffffffff);         /* no class name */
  put16 (k + 0x4c, strlen (name));
  memcpy (k + 0x50, name, strlen (name));

  unsigned char *s = bin + sk;
  put32 (s, (uint32_t) -0x30);
  memcpy (s + 0x04, "sk", 2);
  put32 (s + 0x08, sk);                 /* a list of one: itself */
  put32 (s + 0x0c, sk);
  put32 (s + 0x10, 1);                  /* used by the root key */
  put32 (s + 0x14, 20);
  s[0x18] = 1;                          /* self-relative, NULL DACL */
  put16 (s + 0x1a, 0x8004);

  put32 (bin + freecell, 0x1000 - freecell);

  FILE *fp = fopen (file, "wb");
  if (!fp || fwrite (buf, sizeof buf, 1, fp) != 1 || fclose (fp) != 0) {
    fprintf (stderr, "mkhive: %s: %s\n", file, strerror (errno));
    return -1;
  }
  return 0;
}

static hive_h *h;
static const char *hfile;
static bool both;                       /* SYSTEM and SOFTWARE in one hive */

static void
die (const char *what)
{
  fprintf (stderr, "mkhive: %s: %s: %s\n", hfile, what, strerror (errno));
  exit (1);
}

static hive_node_h
key (const char *path)
{
  char copy[512], *save = NULL;
  hive_node_h node = hivex_root (h);

  snprintf (copy, sizeof copy, "%s", path);
  for (char *p = strtok_r (copy, "\\", &save); p; p = strtok_r (NULL, "\\", &save)) {
    hive_node_h c = hivex_node_get_child (h, node, p);
    if (!c && !(c = hivex_node_add_child (h, node, p)))
      die (path);
    node = c;
  }
  return node;
}

static void
set (const char *path, const char *name, hive_type t, const char *data, size_t len)
{
  hive_set_value v = { .key = (char *) name, .t = t, .len = len, .value = (char *) data };
  if (hivex_node_set_value (h, key (path), &v, 0) == -1)
    die (name);
}

static void
dword (const char *path, const char *name, uint32_t d)
{
  unsigned char b[4];
  put32 (b, d);
  set (path, name, hive_t_REG_DWORD, (char *) b, 4);
}

/* ASCII to UTF-16LE; a list separated by '|' becomes a REG_MULTI_SZ. */
static void
str (const char *path, const char *name, hive_type t, const char *s)
{
  char buf[1024];
  size_t n = 0;
  for (; *s && n < sizeof buf - 6; s++) {
    buf[n++] = t == hive_t_REG_MULTI_SZ && *s == '|' ? 0 : *s;
    buf[n++] = 0;
  }
  buf[n++] = 0; buf[n++] = 0;
  if (t == hive_t_REG_MULTI_SZ) { buf[n++] = 0; buf[n++] = 0; }
  set (path, name, t, buf, n);
}

static void
sz (const char *path, const char *name, const char *s)
{
  str (path, name, hive_t_REG_SZ, s);
}

static void
service (const char *cs, const char *name, uint32_t type, uint32_t start,
         const char *group, const char *image)
{
  char path[256];
  snprintf (path, sizeof path, "%s\\Services\\%s", cs, name);
  dword (path, "Type", type);
  dword (path, "Start", start);
  dword (path, "ErrorControl", 1);
  if (group)
    sz (path, "Group", group);
  str (path, "ImagePath", hive_t_REG_EXPAND_SZ, image);
}

static void
open_hive (const char *file)
{
  if (both && h)
    return;
  hfile = file;
  if (write_empty (file) == -1)
    exit (1);
  if (!(h = hivex_open (file, HIVEX_OPEN_WRITE)))
    die ("hivex_open");
}

static void
close_hive (void)
{
  if (hivex_commit (h, NULL, 0) == -1)
    die ("hivex_commit");
  hivex_close (h);
  h = NULL;
}

static void
windows (int year, const char *system, const char *software)
{
  const char *cv = "Microsoft\\Windows NT\\CurrentVersion";
  const char *cs = "ControlSet001";
  const char *nic = year == 2003 ? "{6B3F1B2C-4D5E-4F60-8A71-92B3C4D5E6F7}"
    : "{0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}";
  char path[256];

  open_hive (software);
  if (year == 2003) {
    sz (cv, "ProductName", "Microsoft Windows Server 2003");
    sz (cv, "CurrentVersion", "5.2");
    sz (cv, "CurrentBuildNumber", "3790");
    sz (cv, "CSDVersion", "Service Pack 2");
  }
  else {
    sz (cv, "ProductName", "Windows Server 2019 Standard");
    sz (cv, "CurrentVersion", "6.3");
    dword (cv, "CurrentMajorVersionNumber", 10);
    dword (cv, "CurrentMinorVersionNumber", 0);
    sz (cv, "CurrentBuildNumber", "17763");
    sz (cv, "CurrentBuild", "17763");
    sz (cv, "InstallationType", "Server");
    sz (cv, "EditionID", "ServerStandard");
  }
  sz (cv, "SystemRoot", "C:\\WINDOWS");
  str ("Microsoft\\Windows\\CurrentVersion", "DevicePath", hive_t_REG_EXPAND_SZ,
       "%SystemRoot%\\inf");
  key ("Microsoft\\Windows\\CurrentVersion\\RunOnce");
  if (!both) {
    close_hive ();
    open_hive (system);
  }
  dword ("Select", "Current", 1);
  dword ("Select", "Default", 1);
  dword ("Select", "LastKnownGood", 2);
  dword ("Select", "Failed", 0);
  /* LastKnownGood, as Windows keeps it: not what boots. */
  snprintf (path, sizeof path, "ControlSet002\\Services\\atapi");
  dword (path, "Start", 3);
  /* Where inspection finds the drive letters. */
  key ("MountedDevices");
  snprintf (path, sizeof path, "%s\\Control\\Session Manager\\Environment", cs);
  sz (path, "PROCESSOR_ARCHITECTURE", year == 2003 ? "x86" : "AMD64");
  snprintf (path, sizeof path, "%s\\Control\\ComputerName\\ComputerName", cs);
  sz (path, "ComputerName", year == 2003 ? "DC01" : "APP19");
  snprintf (path, sizeof path, "%s\\Services\\Tcpip\\Parameters", cs);
  sz (path, "Hostname", year == 2003 ? "dc01" : "app19");
  sz (path, "Domain", "example.lan");

  /* The one NIC, fixed address; and a DHCP adapter that needs nothing. */
  snprintf (path, sizeof path, "%s\\Services\\Tcpip\\Parameters\\Interfaces\\%s", cs, nic);
  dword (path, "EnableDHCP", 0);
  if (year == 2003) {
    str (path, "IPAddress", hive_t_REG_MULTI_SZ, "192.168.10.2");
    str (path, "SubnetMask", hive_t_REG_MULTI_SZ, "255.255.255.0");
    str (path, "DefaultGateway", hive_t_REG_MULTI_SZ, "192.168.10.1");
    str (path, "DefaultGatewayMetric", hive_t_REG_MULTI_SZ, "0");
    /* The DC is its own first DNS server. */
    sz (path, "NameServer", "192.168.10.2,192.168.10.3");
  }
  else {
    str (path, "IPAddress", hive_t_REG_MULTI_SZ, "10.20.0.15|10.20.0.16");
    str (path, "SubnetMask", hive_t_REG_MULTI_SZ, "255.255.0.0|255.255.0.0");
    str (path, "DefaultGateway", hive_t_REG_MULTI_SZ, "10.20.0.1");
    sz (path, "NameServer", "10.20.0.2 10.20.0.3");
  }
  snprintf (path, sizeof path, "%s\\Services\\Tcpip\\Parameters\\Interfaces\\"
            "{11111111-2222-3333-4444-555555555555}", cs);
  dword (path, "EnableDHCP", 1);
  str (path, "IPAddress", hive_t_REG_MULTI_SZ, "0.0.0.0");

  /* In-box storage drivers as setup leaves them on a machine that boots
   * from another controller: demand start. */
  service (cs, "atapi", 1, 3, "SCSI miniport", "system32\\DRIVERS\\atapi.sys");
  service (cs, "intelide", 1, 3, "System Bus Extender", "system32\\DRIVERS\\intelide.sys");
  service (cs, "disk", 1, 0, "SCSI Class", "system32\\DRIVERS\\disk.sys");
  if (year == 2003) {
    /* An HP ProLiant with its agents, a uniprocessor ACPI HAL. */
    service (cs, "CqMgHost", 0x10, 2, NULL, "C:\\hp\\cqmghost.exe");
    service (cs, "CpqNicMgmt", 0x10, 2, NULL, "C:\\hp\\cpqnicmgmt.exe");
    service (cs, "cpqcissm", 1, 0, "SCSI miniport", "system32\\DRIVERS\\cpqcissm.sys");
    snprintf (path, sizeof path, "%s\\Enum\\Root\\ACPI_HAL\\0000", cs);
    str (path, "HardwareID", hive_t_REG_MULTI_SZ, "acpiapic_up");
  }
  else {
    /* A former VMware VM: Tools and a Dell agent from its physical days. */
    service (cs, "VMTools", 0x10, 2, NULL, "\"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe\"");
    service (cs, "vmci", 1, 0, "System Bus Extender", "System32\\drivers\\vmci.sys");
    service (cs, "omsad", 0x10, 2, NULL, "C:\\Program Files\\Dell\\omsad.exe");
    service (cs, "storahci", 1, 3, "SCSI miniport", "System32\\drivers\\storahci.sys");
    snprintf (path, sizeof path, "%s\\Services\\storahci\\StartOverride", cs);
    dword (path, "0", 3);
    key ("DriverDatabase\\DeviceIds\\PCI");
  }
  close_hive ();
}

/* DOS stub, PE signature, COFF header and an optional header with no
 * sections: enough for file(1), which libguestfs asks. */
static int
write_pe (bool x64, const char *file)
{
  unsigned char buf[0x200];
  unsigned char *pe = buf + 0x40, *opt = pe + 24;

  memset (buf, 0, sizeof buf);
  memcpy (buf, "MZ", 2);
  put32 (buf + 0x3c, 0x40);
  memcpy (pe, "PE\0\0", 4);
  put16 (pe + 4, x64 ? 0x8664 : 0x14c);
  put16 (pe + 20, x64 ? 0xf0 : 0xe0);
  put16 (pe + 22, x64 ? 0x0022 : 0x0102);
  put16 (opt, x64 ? 0x20b : 0x10b);
  put32 (opt + 32, 0x1000);             /* section alignment */
  put32 (opt + 36, 0x200);              /* file alignment */
  put16 (opt + 40, x64 ? 6 : 5);        /* OS version */
  put16 (opt + 48, x64 ? 6 : 4);        /* subsystem version */
  put16 (opt + 68, 3);                  /* console */
  FILE *fp = fopen (file, "wb");
  if (!fp || fwrite (buf, sizeof buf, 1, fp) != 1 || fclose (fp) != 0) {
    fprintf (stderr, "mkhive: %s: %s\n", file, strerror (errno));
    return -1;
  }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "pe") == 0
      && (strcmp (argv[2], "i386") == 0 || strcmp (argv[2], "x86_64") == 0))
    return write_pe (strcmp (argv[2], "x86_64") == 0, argv[3]) == -1;
  if (argc == 3 && strcmp (argv[1], "empty") == 0)
    return write_empty (argv[2]) == -1;
  if (argc == 4 && strcmp (argv[1], "both") == 0
      && (strcmp (argv[2], "2003") == 0 || strcmp (argv[2], "2019") == 0)) {
    both = true;
    windows (strcmp (argv[2], "2003") == 0 ? 2003 : 2019, argv[3], argv[3]);
    return 0;
  }
  if (argc == 4 && (strcmp (argv[1], "2003") == 0 || strcmp (argv[1], "2019") == 0)) {
    windows (strcmp (argv[1], "2003") == 0 ? 2003 : 2019, argv[2], argv[3]);
    return 0;
  }
  fprintf (stderr, "usage: mkhive empty FILE | mkhive pe i386|x86_64 FILE | "
           "mkhive 2003|2019 SYSTEM SOFTWARE\n");
  return 2;
}
