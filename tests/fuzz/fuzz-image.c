/* libFuzzer target: deploy's reading of the converter's domain XML
 * (dep_image_load), which may have been edited or damaged between
 * converting and deploying, and the definitions made from it for KVM
 * and Xen hosts (dep_domain_xml, dep_xen_domain_xml).  The input is
 * NAME.xml in a folder that holds the disk images the seeds name (a
 * qcow2 header and a raw file).  Whatever the input, the load must fail
 * cleanly or find only images in that folder, and the definitions made
 * from it must be XML that reads back.
 * Seeds: tests/data/deploy/images tests/data/deploy/expected/kvm tests/data/deploy/expected/xen
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "deploy/deploy.h"

static char dir[] = "/tmp/p2vkit-fuzz-image.XXXXXX";

static void
quiet (void *ctx, const char *msg, ...)
{
  (void) ctx;
  (void) msg;
}

static void
put (const char *name, const void *data, size_t size)
{
  char path[256];
  FILE *fp;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fp = fopen (path, "w");
  if (fp == NULL || fwrite (data, 1, size, fp) != size || fclose (fp) != 0)
    abort ();
}

static void
setup (void)
{
  /* A qcow2 header of a 1 GiB disk, and a raw disk of 4 KiB. */
  unsigned char q[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
  static const unsigned char raw[4096];
  static const char *const names[] = {
    "dc01-disk1.qcow2", "pbx01-disk1.qcow2", "disk.qcow2", NULL
  };

  if (mkdtemp (dir) == NULL)
    abort ();
  q[24 + 4] = 0x40;             /* big-endian 1 << 30 */
  for (size_t i = 0; names[i]; i++)
    put (names[i], q, sizeof q);
  put ("dc01-disk2.raw", raw, sizeof raw);
  put ("disk.raw", raw, sizeof raw);
  xmlSetGenericErrorFunc (NULL, quiet);
}

static void
reads_back (char *xml)
{
  xmlDocPtr doc;

  if (xml == NULL)
    return;
  doc = xmlReadMemory (xml, strlen (xml), "out", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL)
    abort ();
  xmlFreeDoc (doc);
  free (xml);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static bool init;
  struct dep_image img;

  if (!init) {
    setup ();
    init = true;
  }
  put ("fz.xml", data, size);
  core_error ("%s", "");
  if (dep_image_load (dir, "fz", &img) == 0) {
    size_t n = strlen (dir);
    if (img.disks.len == 0 || img.doc == NULL || img.arch == NULL)
      abort ();
    for (size_t i = 0; i < img.disks.len; i++) {
      const struct dep_disk *d = &img.disks.ptr[i];
      if (strncmp (d->image, dir, n) != 0 || d->image[n] != '/'
          || strchr (d->image + n + 1, '/') || d->vol == NULL
          || (strcmp (d->format, "qcow2") != 0 && strcmp (d->format, "raw") != 0))
        abort ();
    }
    for (int m = 0; m < 2; m++) {
      struct dep_domain_spec spec = {
        .name = "fz", .type = "kvm", .mode = m ? CORE_MODE_FULL : CORE_MODE_PARAVIRT,
        .vcpus = 2, .memory_mib = 2048, .pool = "p2vkit",
        .pool_path = "/var/lib/libvirt/images/p2vkit", .network = m ? "user" : NULL,
        .host = "kvm-1",
      };
      char *hash = NULL;
      reads_back (dep_domain_xml (&img, &spec, &hash));
      free (hash);
      hash = NULL;
      spec.type = "xen";
      reads_back (dep_xen_domain_xml (&img, &spec, &hash));
      free (hash);
    }
  }
  else if (core_errmsg ()[0] == '\0')
    abort ();
  dep_image_clear (&img);
  return 0;
}
