/* Devices: PCI functions from /sys/bus/pci/devices, named from the
 * pci.ids database, and USB license dongles from /sys/bus/usb/devices;
 * and the rule that marks the ones a workload cannot run without
 * (passthrough: true).  The rule is told in
 * p2vkit-inventory(1), "Devices that must be passed through". */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "inventory/inventory.h"

/* Makers of telephony, fax and ISDN cards: every card of theirs is there
 * for a PBX or fax server, which stops working without it. */
static const char *const telephony_vendors[] = {
  "d161",                       /* Digium */
  "e159",                       /* Tiger Jet: Digium X100P/TDM400P, OpenVox A400P */
  "1923",                       /* Sangoma */
  "1b74",                       /* OpenVox */
  "b100",                       /* OpenVox (older cards) */
  "12c7",                       /* Dialogic */
  "1397",                       /* Cologne Chip: HFC ISDN cards */
  NULL
};

/* PCI classes (class and subclass) of devices a workload may be built
 * around; plain NICs (0200), storage, graphics and USB controllers are
 * not among them: a VM has its own. */
static const char *const passthrough_classes[] = {
  "0204",                       /* ISDN controller */
  "0400",                       /* video capture (multimedia video) */
  "0480",                       /* other multimedia: capture and broadcast cards */
  "0700",                       /* serial: modems, UPS and PBX links */
  "0701",                       /* parallel: printer-port license dongles */
  "0702",                       /* multiport serial */
  "0703",                       /* modem */
  "0705",                       /* smart card reader */
  "0780",                       /* other communication controller */
  NULL
};

bool
inv_pci_passthrough (const char *vendor, const char *class_)
{
  if (vendor == NULL)
    return false;
  for (int i = 0; telephony_vendors[i]; i++)
    if (strcasecmp (vendor, telephony_vendors[i]) == 0)
      return true;
  if (class_ == NULL)
    return false;
  /* Intel's and AMD's own communication functions are the chipset's
   * management engine (MEI, AMT serial-over-LAN, PSP): every host has
   * its own, no workload needs the old one's. */
  if (strncmp (class_, "07", 2) == 0
      && (strcasecmp (vendor, "8086") == 0 || strcasecmp (vendor, "1022") == 0))
    return false;
  for (int i = 0; passthrough_classes[i]; i++)
    if (strcasecmp (class_, passthrough_classes[i]) == 0)
      return true;
  return false;
}

/* USB license dongles (vendor, product or NULL for all of the vendor's). */
static const struct {
  const char *vendor, *product, *name;
} usb_dongles[] = {
  { "0529", NULL, "Aladdin HASP / eToken dongle" },
  { "04b9", "0300", "SafeNet Sentinel SuperPro/UltraPro dongle" },
  { "064f", NULL, "WIBU-Systems CodeMeter / WibuKey dongle" },
  { "096e", "0006", "Feitian HID dongle" },
  { "096e", "0120", "Microcosm Dinkey dongle" },
  { "096e", "0405", "Feitian Zzkey dongle" },
  { "0d7a", NULL, "MARX CryptoBox dongle" },
  { "1bc0", NULL, "Senseshield dongle" },
  { NULL, NULL, NULL }
};

bool
inv_usb_passthrough (const char *vendor, const char *product,
                     const char **name)
{
  for (int i = 0; usb_dongles[i].vendor; i++)
    if (strcasecmp (vendor, usb_dongles[i].vendor) == 0
        && (usb_dongles[i].product == NULL
            || strcasecmp (product, usb_dongles[i].product) == 0)) {
      *name = usb_dongles[i].name;
      return true;
    }
  return false;
}

/* pci.ids ------------------------------------------------------------------ */

const char *const inv_pciids_paths[] = {
  "/usr/share/misc/pci.ids",    /* Debian, Ubuntu */
  "/usr/share/hwdata/pci.ids",  /* Red Hat, CentOS, Fedora, SUSE */
  "/usr/share/pci.ids",
  NULL
};

static bool
hex4 (const char *p)
{
  for (int i = 0; i < 4; i++)
    if (!isxdigit ((unsigned char) p[i]))
      return false;
  return true;
}

/* "XXXX  Name" after LEVEL tabs; returns the name or NULL. */
static const char *
id_name (const char *line, int level, char id[5])
{
  for (int i = 0; i < level; i++)
    if (line[i] != '\t')
      return NULL;
  line += level;
  if (line[0] == '\t' || !hex4 (line) || (line[4] != ' ' && line[4] != '\t'))
    return NULL;
  for (int i = 0; i < 4; i++)
    id[i] = tolower ((unsigned char) line[i]);
  id[4] = '\0';
  line += 4;
  while (*line == ' ' || *line == '\t')
    line++;
  return line;
}

int
inv_pciids_lookup (FILE *fp, struct inv_pci_lookup *devs, size_t n,
                   void (*line_fn) (void *opaque, const char *line),
                   void *opaque)
{
  char line[1024], vendor[5] = "", vid[5], did[5];
  char *vname = NULL, *dname = NULL;
  bool wanted_vendor = false, vendor_told = false;
  size_t cur = n;               /* the device whose lines follow */

  /* One pass over the file (about 1.5 MB) line by line, so that the
   * agent's memory stays small.  The file lists vendors, their devices
   * after one tab, subsystems after two; "C xx" starts the class lists at
   * the end, where the search stops. */
  while (fgets (line, sizeof line, fp)) {
    const char *name;

    line[strcspn (line, "\r\n")] = '\0';
    if (line[0] == '#' || line[0] == '\0')
      continue;
    if (line[0] == 'C' && line[1] == ' ')
      break;
    if ((name = id_name (line, 0, vid)) != NULL) {
      strcpy (vendor, vid);
      free (vname);
      vname = NULL;
      wanted_vendor = vendor_told = false;
      cur = n;
      for (size_t i = 0; i < n; i++)
        if (devs[i].name == NULL && strcasecmp (devs[i].vendor, vendor) == 0)
          wanted_vendor = true;
      if (wanted_vendor && (vname = core_strdup (name)) == NULL)
        goto fail;
      continue;
    }
    if (!wanted_vendor)
      continue;
    if ((name = id_name (line, 1, did)) != NULL) {
      bool told = false;

      cur = n;
      for (size_t i = 0; i < n; i++) {
        if (devs[i].name || strcasecmp (devs[i].vendor, vendor) != 0
            || strcasecmp (devs[i].device, did) != 0)
          continue;
        devs[i].name = core_sprintf ("%s %s", vname, name);
        if (devs[i].name == NULL)
          goto fail;
        cur = i;
        if (line_fn && !told) {
          if (!vendor_told) {
            char vline[1100];
            snprintf (vline, sizeof vline, "%s  %s", vendor, vname);
            line_fn (opaque, vline);
            vendor_told = true;
          }
          line_fn (opaque, line);
          told = true;
        }
      }
      free (dname);
      dname = core_strdup (name);
      if (dname == NULL)
        goto fail;
      continue;
    }
    if (cur < n && line[0] == '\t' && line[1] == '\t' && hex4 (line + 2)
        && line[6] == ' ' && hex4 (line + 7)) {
      char sv[5], sd[5];

      for (int i = 0; i < 4; i++) {
        sv[i] = tolower ((unsigned char) line[2 + i]);
        sd[i] = tolower ((unsigned char) line[7 + i]);
      }
      sv[4] = sd[4] = '\0';
      name = line + 11;
      while (*name == ' ' || *name == '\t')
        name++;
      /* A subsystem line names the card built around the chip: the
       * Tiger Jet chip of a Digium X100P. */
      for (size_t i = 0; i < n; i++) {
        char *full;

        if (devs[i].name == NULL || devs[i].subvendor == NULL
            || devs[i].subdevice == NULL
            || strcasecmp (devs[i].vendor, vendor) != 0
            || strcasecmp (devs[i].device, devs[cur].device) != 0
            || strcasecmp (devs[i].subvendor, sv) != 0
            || strcasecmp (devs[i].subdevice, sd) != 0)
          continue;
        full = core_sprintf ("%s %s (%s)", vname, dname, name);
        if (full == NULL)
          goto fail;
        free (devs[i].name);
        devs[i].name = full;
        if (line_fn)
          line_fn (opaque, line);
      }
    }
  }
  free (vname);
  free (dname);
  if (ferror (fp)) {
    core_error_errno ("pci.ids: read error");
    return -1;
  }
  return 0;

 fail:
  free (vname);
  free (dname);
  return -1;
}

int
inv_pciids_name (FILE *fp, core_pci_vector *pci, const core_string_vector *subs,
                 void (*line_fn) (void *opaque, const char *line), void *opaque)
{
  CLEANUP_FREE struct inv_pci_lookup *look = calloc (pci->len, sizeof *look);
  int r;

  if (look == NULL) {
    fclose (fp);
    core_error ("out of memory");
    return -1;
  }
  for (size_t i = 0; i < pci->len; i++) {
    struct core_pci *d = &pci->ptr[i];
    bool skip = d->name || d->vendor == NULL || d->device == NULL
      || (d->address && strncmp (d->address, "usb:", 4) == 0);

    /* An empty vendor matches no line: named ones and USB devices are
     * not looked up. */
    look[i].vendor = skip ? "" : d->vendor;
    look[i].device = skip ? "" : d->device;
    if (subs) {
      look[i].subvendor = subs->ptr[2 * i];
      look[i].subdevice = subs->ptr[2 * i + 1];
    }
  }
  r = inv_pciids_lookup (fp, look, pci->len, line_fn, opaque);
  fclose (fp);
  for (size_t i = 0; i < pci->len; i++)
    if (look[i].name)
      pci->ptr[i].name = look[i].name;
  return r;
}

/* PCI and USB devices -------------------------------------------------------- */

/* "0x8086" -> "8086"; "0x078000" -> "0780" (class and subclass). */
static char *
read_hex_id (struct inv_src *s, const char *rel, size_t digits)
{
  CLEANUP_FREE char *line = inv_src_line (s, rel);
  const char *p;

  if (line == NULL)
    return NULL;
  p = line;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    p += 2;
  if (strlen (p) < digits)
    return NULL;
  for (size_t i = 0; i < digits; i++)
    if (!isxdigit ((unsigned char) p[i]))
      return NULL;
  {
    char *r = core_strndup (p, digits);
    for (char *q = r; q && *q; q++)
      *q = tolower ((unsigned char) *q);
    return r;
  }
}

struct record_ctx {
  struct inv_src *s;
  const char *rel;
};

static void
record_pciids_line (void *opaque, const char *line)
{
  struct record_ctx *c = opaque;

  inv_src_record_line (c->s, c->rel, line);
}

static int
name_pci (struct inv_src *s, core_pci_vector *pci, core_string_vector *subs)
{
  struct record_ctx ctx = { s, NULL };
  FILE *fp = NULL;

  if (pci->len == 0)
    return 0;
  for (int i = 0; inv_pciids_paths[i] && fp == NULL; i++) {
    fp = inv_src_fopen (s, inv_pciids_paths[i]);
    ctx.rel = inv_pciids_paths[i];
  }
  if (fp == NULL) {
    inv_warn (s, "no pci.ids under %s/usr/share; PCI names are left out",
              s->root);
    return 0;
  }
  return inv_pciids_name (fp, pci, subs,
                          s->record ? record_pciids_line : NULL, &ctx);
}

static int
read_pci (struct inv_src *s, core_pci_vector *out)
{
  core_string_vector addrs = { 0 }, subs = { 0 };
  size_t first = out->len;
  int ret = -1;

  if (inv_src_list (s, "/sys/bus/pci/devices", &addrs) == -1) {
    inv_warn (s, "cannot list %s/sys/bus/pci/devices: %s; PCI devices are "
              "left out", s->root, strerror (errno));
    return 0;
  }
  for (size_t i = 0; i < addrs.len; i++) {
    const char *a = addrs.ptr[i];
    CLEANUP_FREE char *vendor = NULL, *device = NULL, *class_ = NULL;
    CLEANUP_FREE char *p_vendor = core_sprintf ("/sys/bus/pci/devices/%s/vendor", a);
    CLEANUP_FREE char *p_device = core_sprintf ("/sys/bus/pci/devices/%s/device", a);
    CLEANUP_FREE char *p_class = core_sprintf ("/sys/bus/pci/devices/%s/class", a);
    CLEANUP_FREE char *p_sv = core_sprintf ("/sys/bus/pci/devices/%s/subsystem_vendor", a);
    CLEANUP_FREE char *p_sd = core_sprintf ("/sys/bus/pci/devices/%s/subsystem_device", a);
    CLEANUP_FREE char *p_drv = core_sprintf ("/sys/bus/pci/devices/%s/driver", a);
    struct core_pci d = { 0 };

    if (!p_vendor || !p_device || !p_class || !p_sv || !p_sd || !p_drv)
      goto out;
    vendor = read_hex_id (s, p_vendor, 4);
    device = read_hex_id (s, p_device, 4);
    class_ = read_hex_id (s, p_class, 4);
    if (vendor == NULL || device == NULL) {
      inv_warn (s, "cannot read the IDs of PCI device %s; it is left out", a);
      continue;
    }
    /* Bridges (class 06) are the platform itself. */
    if (class_ && strncmp (class_, "06", 2) == 0)
      continue;
    d.address = core_strdup (a);
    d.driver = inv_src_link_name (s, p_drv);
    d.passthrough = inv_pci_passthrough (vendor, class_);
    d.vendor = vendor;
    d.device = device;
    d.class_ = class_;
    vendor = device = class_ = NULL;
    if (d.address == NULL || core_pci_vector_append (out, d) == -1) {
      free (d.address); free (d.driver); free (d.vendor); free (d.device);
      free (d.class_);
      goto out;
    }
    /* Subsystem IDs name the card; kept aside, not in the profile. */
    if (core_string_vector_append (&subs, read_hex_id (s, p_sv, 4)) == -1
        || core_string_vector_append (&subs, read_hex_id (s, p_sd, 4)) == -1)
      goto out;
  }
  {
    core_pci_vector view = { out->ptr + first, out->len - first, 0 };
    ret = name_pci (s, &view, &subs);
  }
 out:
  core_string_vector_free (&addrs);
  core_string_vector_free (&subs);
  return ret;
}

static int
read_usb (struct inv_src *s, core_pci_vector *out)
{
  core_string_vector names = { 0 };
  int ret = -1;

  /* A machine without USB has no such folder: nothing to say. */
  if (inv_src_list (s, "/sys/bus/usb/devices", &names) == -1)
    return 0;
  for (size_t i = 0; i < names.len; i++) {
    const char *n = names.ptr[i];
    CLEANUP_FREE char *p_v = core_sprintf ("/sys/bus/usb/devices/%s/idVendor", n);
    CLEANUP_FREE char *p_p = core_sprintf ("/sys/bus/usb/devices/%s/idProduct", n);
    CLEANUP_FREE char *p_m = core_sprintf ("/sys/bus/usb/devices/%s/manufacturer", n);
    CLEANUP_FREE char *p_n = core_sprintf ("/sys/bus/usb/devices/%s/product", n);
    CLEANUP_FREE char *p_drv = core_sprintf ("/sys/bus/usb/devices/%s/driver", n);
    CLEANUP_FREE char *vendor = NULL, *product = NULL;
    const char *what;
    struct core_pci d = { 0 };

    if (!p_v || !p_p || !p_m || !p_n || !p_drv)
      goto out;
    /* "1-1.2" is a device, "1-1.2:1.0" one of its interfaces. */
    if (strchr (n, ':'))
      continue;
    vendor = read_hex_id (s, p_v, 4);
    product = read_hex_id (s, p_p, 4);
    if (vendor == NULL || product == NULL
        || !inv_usb_passthrough (vendor, product, &what))
      continue;
    {
      CLEANUP_FREE char *m = inv_src_line (s, p_m);
      CLEANUP_FREE char *pn = inv_src_line (s, p_n);
      d.name = (m && pn) ? core_sprintf ("%s %s (%s)", m, pn, what)
        : core_strdup (what);
    }
    d.address = core_sprintf ("usb:%s", n);
    d.driver = inv_src_link_name (s, p_drv);
    d.vendor = vendor;
    d.device = product;
    d.passthrough = true;
    vendor = product = NULL;
    if (d.name == NULL || d.address == NULL
        || core_pci_vector_append (out, d) == -1) {
      free (d.name); free (d.address); free (d.driver); free (d.vendor);
      free (d.device);
      goto out;
    }
  }
  ret = 0;
 out:
  core_string_vector_free (&names);
  return ret;
}

int
inv_read_devices (struct inv_src *s, core_pci_vector *out)
{
  if (read_pci (s, out) == -1 || read_usb (s, out) == -1)
    return -1;
  return 0;
}
