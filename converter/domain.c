/* The libvirt domain of a converted guest, written with libxml2's
 * xmlTextWriter so that names and paths are escaped correctly.
 *
 * Paravirt: q35, virtio-blk disks, virtio-net, virtio RNG, virtio balloon.
 * Full: emulated devices every OS of the last twenty years drives itself:
 * IDE disks on the pc machine under BIOS (Windows 2003 has no AHCI
 * driver), SATA on q35 under UEFI or with more than four disks; e1000.
 * Both: serial console on ttyS0, VNC, the firmware the source booted. */
#include <libxml/xmlwriter.h>
#include <string.h>

#include "converter/converter.h"

#define W(call) do { if ((call) < 0) goto fail; } while (0)

static int
start (xmlTextWriterPtr w, const char *name)
{
  return xmlTextWriterStartElement (w, BAD_CAST name);
}

static int
attr (xmlTextWriterPtr w, const char *name, const char *value)
{
  return xmlTextWriterWriteAttribute (w, BAD_CAST name, BAD_CAST value);
}

static int
end (xmlTextWriterPtr w)
{
  return xmlTextWriterEndElement (w);
}

static int
text_element (xmlTextWriterPtr w, const char *name, const char *text)
{
  return xmlTextWriterWriteElement (w, BAD_CAST name, BAD_CAST text);
}

int
conv_domain_write (FILE *fp, const struct conv_report *r)
{
  bool pv = r->mode == CONV_MODE_PARAVIRT;
  bool uefi = r->firmware == CORE_FIRMWARE_UEFI;
  bool windows = r->os_type && strcmp (r->os_type, "windows") == 0;
  /* IDE holds four disks, one of them usually the CD-ROM's place. */
  bool ide = !pv && !uefi && r->disks.len <= 4;
  xmlBufferPtr buf = xmlBufferCreate ();
  xmlTextWriterPtr w = NULL;
  char num[32];
  int ret = -1;

  if (buf == NULL || (w = xmlNewTextWriterMemory (buf, 0)) == NULL) {
    core_error ("libxml2: out of memory");
    xmlBufferFree (buf);
    return -1;
  }
  W (xmlTextWriterSetIndent (w, 1));
  W (xmlTextWriterSetIndentString (w, BAD_CAST "  "));
  W (xmlTextWriterStartDocument (w, NULL, NULL, NULL));
  W (start (w, "domain"));
  /* What the conversion ran with (report->accel), so that the XML depends
   * on the report alone. */
  W (attr (w, "type", r->accel && strcmp (r->accel, "kvm") == 0 ? "kvm" : "qemu"));
  W (text_element (w, "name", r->name));
  W (start (w, "memory"));
  W (attr (w, "unit", "MiB"));
  snprintf (num, sizeof num, "%lld", (long long) r->memory_mib);
  W (xmlTextWriterWriteString (w, BAD_CAST num));
  W (end (w));
  snprintf (num, sizeof num, "%lld", (long long) r->vcpus);
  W (text_element (w, "vcpu", num));

  W (start (w, "os"));
  if (uefi)
    W (attr (w, "firmware", "efi"));
  W (start (w, "type"));
  W (attr (w, "arch", "x86_64"));
  W (attr (w, "machine", ide ? "pc" : "q35"));
  W (xmlTextWriterWriteString (w, BAD_CAST "hvm"));
  W (end (w));
  W (start (w, "boot"));
  W (attr (w, "dev", "hd"));
  W (end (w));
  W (end (w));                  /* os */

  W (start (w, "features"));
  W (start (w, "acpi")); W (end (w));
  W (start (w, "apic")); W (end (w));
  W (end (w));
  W (start (w, "clock"));
  /* Windows keeps its clock in local time. */
  W (attr (w, "offset", windows ? "localtime" : "utc"));
  W (end (w));
  W (text_element (w, "on_poweroff", "destroy"));
  W (text_element (w, "on_reboot", "restart"));
  W (text_element (w, "on_crash", "restart"));

  W (start (w, "devices"));
  for (size_t i = 0; i < r->disks.len; i++) {
    const struct conv_disk_out *d = &r->disks.ptr[i];
    char dev[16];

    snprintf (dev, sizeof dev, "%s%c", pv ? "vd" : ide ? "hd" : "sd",
              (char) ('a' + (i % 26)));
    W (start (w, "disk"));
    W (attr (w, "type", "file"));
    W (attr (w, "device", "disk"));
    W (start (w, "driver"));
    W (attr (w, "name", "qemu"));
    W (attr (w, "type", d->format));
    W (end (w));
    W (start (w, "source"));
    W (attr (w, "file", d->path));
    W (end (w));
    W (start (w, "target"));
    W (attr (w, "dev", dev));
    W (attr (w, "bus", pv ? "virtio" : ide ? "ide" : "sata"));
    W (end (w));
    W (end (w));                /* disk */
  }
  for (size_t i = 0; i < r->nic_macs.len; i++) {
    W (start (w, "interface"));
    W (attr (w, "type", "network"));
    W (start (w, "mac"));
    W (attr (w, "address", r->nic_macs.ptr[i]));
    W (end (w));
    W (start (w, "source"));
    W (attr (w, "network", "default"));
    W (end (w));
    W (start (w, "model"));
    W (attr (w, "type", pv ? "virtio" : "e1000"));
    W (end (w));
    W (end (w));
  }
  W (start (w, "serial"));
  W (attr (w, "type", "pty"));
  W (start (w, "target")); W (attr (w, "port", "0")); W (end (w));
  W (end (w));
  W (start (w, "console"));
  W (attr (w, "type", "pty"));
  W (start (w, "target")); W (attr (w, "type", "serial")); W (attr (w, "port", "0")); W (end (w));
  W (end (w));
  W (start (w, "input"));
  W (attr (w, "type", "tablet")); W (attr (w, "bus", "usb"));
  W (end (w));
  W (start (w, "graphics"));
  W (attr (w, "type", "vnc")); W (attr (w, "autoport", "yes"));
  W (end (w));
  W (start (w, "video"));
  W (start (w, "model")); W (attr (w, "type", "vga")); W (end (w));
  W (end (w));
  if (pv) {
    W (start (w, "rng"));
    W (attr (w, "model", "virtio"));
    W (start (w, "backend"));
    W (attr (w, "model", "random"));
    W (xmlTextWriterWriteString (w, BAD_CAST "/dev/urandom"));
    W (end (w));
    W (end (w));
  }
  W (start (w, "memballoon"));
  W (attr (w, "model", pv ? "virtio" : "none"));
  W (end (w));
  W (end (w));                  /* devices */
  W (end (w));                  /* domain */
  W (xmlTextWriterEndDocument (w));
  xmlFreeTextWriter (w);
  w = NULL;
  if (fwrite (buf->content, 1, buf->use, fp) != buf->use) {
    core_error_errno ("write error");
    goto out;
  }
  ret = 0;
  goto out;

 fail:
  core_error ("libxml2: cannot write the domain XML");
 out:
  if (w)
    xmlFreeTextWriter (w);
  xmlBufferFree (buf);
  return ret;
}
