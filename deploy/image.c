/* The converter's output for one workload: NAME.xml and the disk images it
 * names.  Disks are found by file name next to the XML rather than by the
 * absolute path the converter wrote, so that the folder can be copied or
 * moved between converting and deploying. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "deploy/deploy.h"

static bool
is_regular (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

/* The image's size and, for qcow2, the guest's disk size (big-endian at
 * offset 24).  FORMAT is what the converter's XML says, never guessed from
 * the first bytes: a raw image holds a physical disk's first sector, which
 * may be a qcow2 header naming a backing file on the host.  A qcow2 image
 * naming another file (a backing file, an external data file) is refused:
 * the converter never writes one, and the host would open that file. */
static int
probe (const char *path, const char *format, uint64_t *capacity,
       uint64_t *file_size, int64_t *mtime_ns)
{
  unsigned char h[80];
  struct stat st;
  ssize_t n;

  if (core_read_head (path, h, sizeof h, &st, &n) == -1)
    return -1;
  if (n == -1) {
    core_error_errno ("%s", path);
    return -1;
  }
  *file_size = st.st_size;
  *mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  if (strcmp (format, "raw") == 0) {
    *capacity = st.st_size;
    return 0;
  }
  if (n < 72 || memcmp (h, "QFI\xfb", 4) != 0) {
    core_error ("%s: not a qcow2 image (its definition says qcow2)", path);
    return -1;
  }
  {
    uint32_t version = 0;
    uint64_t backing = 0, v = 0, incompat = 0;

    for (int i = 4; i < 8; i++)
      version = (version << 8) | h[i];
    for (int i = 8; i < 16; i++)
      backing = (backing << 8) | h[i];
    for (int i = 24; i < 32; i++)
      v = (v << 8) | h[i];
    if (version >= 3 && n >= 80)
      for (int i = 72; i < 80; i++)
        incompat = (incompat << 8) | h[i];
    if (backing != 0) {
      core_error ("%s: qcow2 image with a backing file: refused (the host "
                  "would open that file of its own)", path);
      return -1;
    }
    if (incompat & 4) {
      core_error ("%s: qcow2 image with an external data file: refused (the "
                  "host would open that file of its own)", path);
      return -1;
    }
    *capacity = v;
  }
  return 0;
}

/* The format of DISK: its <driver type=>, which the converter writes, or
 * else what its file name's extension says. */
static char *
disk_format (xmlNodePtr disk, const char *image)
{
  const char *dot = strrchr (image, '.');

  for (xmlNodePtr c = disk->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual (c->name, BAD_CAST "driver")) {
      xmlChar *type = xmlGetProp (c, BAD_CAST "type");
      char *f;

      if (type == NULL)
        break;
      f = core_strdup ((const char *) type);
      xmlFree (type);
      return f;
    }
  if (dot && strcmp (dot, ".qcow2") == 0)
    return core_strdup ("qcow2");
  if (dot && (strcmp (dot, ".raw") == 0 || strcmp (dot, ".img") == 0))
    return core_strdup ("raw");
  return core_strdup ("");
}

/* The volume name: the image's name with a tag of what it holds (size
 * and modification time), so that a converted-again image is a new
 * volume beside the old one and the same image is the same volume. */
static char *
volume_name (const char *base, uint64_t size, int64_t mtime_ns)
{
  CLEANUP_FREE char *key = core_sprintf ("%s %llu %lld", base,
                                         (unsigned long long) size,
                                         (long long) mtime_ns);
  CLEANUP_FREE char *stem = NULL;
  const char *dot = strrchr (base, '.');
  gchar *sum;
  char *name;

  if (key == NULL)
    return NULL;
  stem = dot && dot != base ? core_strndup (base, dot - base) : core_strdup (base);
  if (stem == NULL)
    return NULL;
  sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  name = core_sprintf ("%s-%.8s%s", stem, sum, dot && dot != base ? dot : "");
  g_free (sum);
  return name;
}

static void
disk_clear (struct dep_disk *d)
{
  free (d->image);
  free (d->format);
  free (d->vol);
}

void
dep_image_clear (struct dep_image *img)
{
  if (img == NULL)
    return;
  free (img->xml_path);
  if (img->doc)
    xmlFreeDoc (img->doc);
  free (img->arch);
  for (size_t i = 0; i < img->disks.len; i++)
    disk_clear (&img->disks.ptr[i]);
  dep_disk_vector_reset (&img->disks);
  memset (img, 0, sizeof *img);
}

int
dep_image_load (const char *dir, const char *name, struct dep_image *out)
{
  CLEANUP_FREE char *flat = core_sprintf ("%s/%s.xml", dir, name);
  CLEANUP_FREE char *nested = core_sprintf ("%s/%s/%s.xml", dir, name, name);
  CLEANUP_FREE char *xmldir = NULL;
  xmlXPathContextPtr ctx = NULL;
  xmlXPathObjectPtr disks = NULL;
  xmlNodePtr root;
  int ret = -1;

  memset (out, 0, sizeof *out);
  if (flat == NULL || nested == NULL)
    return -1;
  if (is_regular (flat))
    out->xml_path = core_strdup (flat);
  else if (is_regular (nested))
    out->xml_path = core_strdup (nested);
  else {
    core_error ("%s: no converted images for '%s' (neither %s.xml nor %s/%s.xml; "
                "convert it with p2vkit convert)", dir, name, name, name, name);
    return -1;
  }
  if (out->xml_path == NULL)
    return -1;
  xmldir = core_strndup (out->xml_path, strrchr (out->xml_path, '/') - out->xml_path);
  if (xmldir == NULL)
    goto out;

  out->doc = xmlReadFile (out->xml_path, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (out->doc == NULL) {
    const xmlError *e = xmlGetLastError ();
    if (e && e->message) {
      size_t n = strlen (e->message);
      while (n > 0 && e->message[n - 1] == '\n')
        n--;
      core_error ("%s:%d: %.*s", out->xml_path, e->line, (int) n, e->message);
    }
    else
      core_error ("%s: not XML", out->xml_path);
    goto out;
  }
  root = xmlDocGetRootElement (out->doc);
  if (root == NULL || !xmlStrEqual (root->name, BAD_CAST "domain")) {
    core_error ("%s: not a libvirt domain definition (no <domain>)", out->xml_path);
    goto out;
  }
  ctx = xmlXPathNewContext (out->doc);
  if (ctx == NULL) {
    core_error ("libxml2: out of memory");
    goto out;
  }
  {
    xmlXPathObjectPtr a = xmlXPathEvalExpression (BAD_CAST "string(/domain/os/type/@arch)", ctx);
    const char *arch = a && a->stringval && a->stringval[0] ? (const char *) a->stringval : "x86_64";
    out->arch = core_strdup (arch);
    xmlXPathFreeObject (a);
    if (out->arch == NULL)
      goto out;
  }
  disks = xmlXPathEvalExpression (BAD_CAST "/domain/devices/disk[@device='disk' or not(@device)]", ctx);
  if (disks == NULL || disks->nodesetval == NULL || disks->nodesetval->nodeNr == 0) {
    core_error ("%s: the domain has no disk", out->xml_path);
    goto out;
  }
  for (int i = 0; i < disks->nodesetval->nodeNr; i++) {
    xmlNodePtr disk = disks->nodesetval->nodeTab[i];
    struct dep_disk d = { 0 };
    xmlChar *file = NULL;
    const char *base;
    int64_t mtime_ns;

    /* The first <source>, as libvirt reads it (a second one leaked the
     * first's name). */
    for (xmlNodePtr c = disk->children; c; c = c->next)
      if (c->type == XML_ELEMENT_NODE && xmlStrEqual (c->name, BAD_CAST "source")) {
        file = xmlGetProp (c, BAD_CAST "file");
        if (file == NULL)
          file = xmlGetProp (c, BAD_CAST "dev");
        break;
      }
    if (file == NULL) {
      core_error ("%s:%ld: disk %d has no source file", out->xml_path,
                  xmlGetLineNo (disk), i + 1);
      goto out;
    }
    base = strrchr ((const char *) file, '/');
    base = base ? base + 1 : (const char *) file;
    d.image = core_sprintf ("%s/%s", xmldir, base);
    if (d.image == NULL) {
      xmlFree (file);
      goto out;
    }
    if (!is_regular (d.image)) {
      core_error ("%s: image of disk %d of '%s' is missing (%s names %s)",
                  d.image, i + 1, name, out->xml_path, (const char *) file);
      xmlFree (file);
      free (d.image);
      goto out;
    }
    xmlFree (file);
    if (access (d.image, R_OK) == -1) {
      core_error_errno ("%s", d.image);
      free (d.image);
      goto out;
    }
    if ((d.format = disk_format (disk, d.image)) == NULL) {
      free (d.image);
      goto out;
    }
    if (strcmp (d.format, "qcow2") != 0 && strcmp (d.format, "raw") != 0) {
      if (d.format[0])
        core_error ("%s:%ld: disk %d is a %s image; deploy uploads qcow2 and raw "
                    "images", out->xml_path, xmlGetLineNo (disk), i + 1, d.format);
      else
        core_error ("%s:%ld: disk %d: no format (<driver type=>) and a file name "
                    "that does not say it", out->xml_path, xmlGetLineNo (disk), i + 1);
      disk_clear (&d);
      goto out;
    }
    if (probe (d.image, d.format, &d.capacity, &d.file_size, &mtime_ns) == -1
        || (d.vol = volume_name (strrchr (d.image, '/') + 1, d.file_size,
                                 mtime_ns)) == NULL
        || dep_disk_vector_append (&out->disks, d) == -1) {
      disk_clear (&d);
      goto out;
    }
  }
  ret = 0;
 out:
  xmlXPathFreeObject (disks);
  xmlXPathFreeContext (ctx);
  if (ret == -1)
    dep_image_clear (out);
  return ret;
}
