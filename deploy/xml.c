/* Domain definitions: the converter's XML adjusted to the plan for
 * KVM/QEMU hosts, a Xen definition written anew for Xen hosts, and the
 * metadata that lets a second run recognise what the first one defined.
 * Built and edited as libxml2 trees, never by pasting strings. */
#include <string.h>

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "deploy/deploy.h"

static xmlNodePtr
child (xmlNodePtr parent, const char *name)
{
  for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual (c->name, BAD_CAST name))
      return c;
  return NULL;
}

static xmlNodePtr
ensure (xmlNodePtr parent, const char *name)
{
  xmlNodePtr c = child (parent, name);

  return c ? c : xmlNewChild (parent, NULL, BAD_CAST name, NULL);
}

/* Text content of an element, replaced (escaped by libxml2). */
static void
set_text (xmlNodePtr node, const char *text)
{
  xmlNodeSetContent (node, NULL);
  xmlNodeAddContent (node, BAD_CAST text);
}

static void
remove_children (xmlNodePtr parent, const char *name)
{
  xmlNodePtr c = parent ? parent->children : NULL, next;

  for (; c; c = next) {
    next = c->next;
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual (c->name, BAD_CAST name)) {
      xmlUnlinkNode (c);
      xmlFreeNode (c);
    }
  }
}

static xmlNodePtr
add (xmlNodePtr parent, const char *name, const char *text)
{
  return xmlNewTextChild (parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void
num_text (xmlNodePtr parent, const char *name, int64_t v, const char *unit)
{
  char buf[32];
  xmlNodePtr n;

  snprintf (buf, sizeof buf, "%lld", (long long) v);
  n = ensure (parent, name);
  xmlUnsetProp (n, BAD_CAST "current");
  set_text (n, buf);
  if (unit)
    xmlSetProp (n, BAD_CAST "unit", BAD_CAST unit);
}

static char *
dump (xmlDocPtr doc)
{
  xmlChar *mem = NULL;
  int len = 0;
  char *s;

  xmlDocDumpFormatMemory (doc, &mem, &len, 1);
  if (mem == NULL) {
    core_error ("libxml2: cannot write the domain XML");
    return NULL;
  }
  s = core_strndup ((const char *) mem, len);
  xmlFree (mem);
  return s;
}

/* The interface's source as --network asks, or as it was. */
static void
set_network (xmlNodePtr iface, const char *network)
{
  xmlNodePtr src;

  if (network == NULL)
    return;
  remove_children (iface, "source");
  if (strcmp (network, "user") == 0) {
    xmlSetProp (iface, BAD_CAST "type", BAD_CAST "user");
    return;
  }
  if (strncmp (network, "bridge:", 7) == 0) {
    xmlSetProp (iface, BAD_CAST "type", BAD_CAST "bridge");
    src = xmlNewChild (iface, NULL, BAD_CAST "source", NULL);
    xmlSetProp (src, BAD_CAST "bridge", BAD_CAST (network + 7));
    return;
  }
  xmlSetProp (iface, BAD_CAST "type", BAD_CAST "network");
  src = xmlNewChild (iface, NULL, BAD_CAST "source", NULL);
  xmlSetProp (src, BAD_CAST "network",
              BAD_CAST (strncmp (network, "network:", 8) == 0 ? network + 8 : network));
}

/* Hash the definition as it stands, then add <metadata> naming the hash,
 * the plan's host and the volumes with the images they came from. */
static char *
finish (xmlDocPtr doc, const struct dep_image *img,
        const struct dep_domain_spec *spec, char **hash)
{
  xmlNodePtr root = xmlDocGetRootElement (doc), md, dep;
  xmlNsPtr ns;
  CLEANUP_FREE char *bare = dump (doc);
  gchar *sum;

  if (bare == NULL)
    return NULL;
  sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, bare, -1);
  *hash = core_strdup (sum);
  g_free (sum);
  if (*hash == NULL)
    return NULL;
  md = xmlNewChild (root, NULL, BAD_CAST "metadata", NULL);
  dep = xmlNewChild (md, NULL, BAD_CAST "deploy", NULL);
  ns = xmlNewNs (dep, BAD_CAST DEP_XMLNS, BAD_CAST DEP_XMLNS_PREFIX);
  xmlSetNs (dep, ns);
  xmlSetProp (dep, BAD_CAST "definition", BAD_CAST *hash);
  if (spec->host)
    xmlSetProp (dep, BAD_CAST "host", BAD_CAST spec->host);
  for (size_t i = 0; i < img->disks.len; i++) {
    xmlNodePtr v = xmlNewChild (dep, ns, BAD_CAST "volume", NULL);
    xmlSetProp (v, BAD_CAST "pool", BAD_CAST spec->pool);
    xmlSetProp (v, BAD_CAST "name", BAD_CAST img->disks.ptr[i].vol);
    xmlSetProp (v, BAD_CAST "image", BAD_CAST img->disks.ptr[i].image);
  }
  return dump (doc);
}

char *
dep_domain_xml (const struct dep_image *img, const struct dep_domain_spec *spec,
                char **hash)
{
  xmlDocPtr doc = xmlCopyDoc (img->doc, 1);
  xmlNodePtr root, devices, os, type, next;
  xmlChar *machine;
  bool pv = spec->mode == CORE_MODE_PARAVIRT, ide;
  size_t ndisk = 0, nide = 0;
  char *ret = NULL;

  *hash = NULL;
  if (doc == NULL) {
    core_error ("libxml2: out of memory");
    return NULL;
  }
  root = xmlDocGetRootElement (doc);
  xmlSetProp (root, BAD_CAST "type", BAD_CAST spec->type);
  set_text (ensure (root, "name"), spec->name);
  /* A new UUID per host; the converter's file may be deployed twice. */
  remove_children (root, "uuid");
  remove_children (root, "metadata");
  num_text (root, "memory", spec->memory_mib, "MiB");
  if (child (root, "currentMemory"))
    num_text (root, "currentMemory", spec->memory_mib, "MiB");
  num_text (root, "vcpu", spec->vcpus, NULL);
  xmlUnsetProp (child (root, "vcpu"), BAD_CAST "current");

  os = ensure (root, "os");
  type = child (os, "type");
  machine = type ? xmlGetProp (type, BAD_CAST "machine") : NULL;
  devices = ensure (root, "devices");
  /* The host's default emulator for the domain type, not the path the
   * converting machine had. */
  remove_children (devices, "emulator");

  /* CD-ROMs and floppies holding files of the converting machine would
   * not exist on the host. */
  for (xmlNodePtr d = devices->children; d; d = next) {
    xmlChar *dev;
    next = d->next;
    if (d->type != XML_ELEMENT_NODE || !xmlStrEqual (d->name, BAD_CAST "disk"))
      continue;
    dev = xmlGetProp (d, BAD_CAST "device");
    if (dev && !xmlStrEqual (dev, BAD_CAST "disk")) {
      if (child (d, "source")) {
        xmlUnlinkNode (d);
        xmlFreeNode (d);
      }
      else if (child (d, "target")) {
        xmlChar *bus = xmlGetProp (child (d, "target"), BAD_CAST "bus");
        if (bus && xmlStrEqual (bus, BAD_CAST "ide"))
          nide++;
        xmlFree (bus);
      }
    }
    xmlFree (dev);
  }
  /* Full virtualization: IDE on the pc machine while its four places
   * suffice (the oldest guests have no AHCI driver), SATA otherwise. */
  ide = !pv && machine && strncmp ((const char *) machine, "pc", 2) == 0
    && strstr ((const char *) machine, "q35") == NULL
    && img->disks.len + nide <= 4;
  xmlFree (machine);

  for (xmlNodePtr d = devices->children; d; d = d->next) {
    xmlChar *dev;
    xmlNodePtr n;
    char name[16];
    const struct dep_disk *disk;

    if (d->type != XML_ELEMENT_NODE)
      continue;
    if (xmlStrEqual (d->name, BAD_CAST "disk")) {
      dev = xmlGetProp (d, BAD_CAST "device");
      if (dev && !xmlStrEqual (dev, BAD_CAST "disk")) {
        xmlFree (dev);
        continue;
      }
      xmlFree (dev);
      if (ndisk >= img->disks.len)
        continue;
      disk = &img->disks.ptr[ndisk];
      snprintf (name, sizeof name, "%s%c", pv ? "vd" : ide ? "hd" : "sd",
                (char) ('a' + ndisk % 26));
      ndisk++;
      xmlSetProp (d, BAD_CAST "type", BAD_CAST "volume");
      remove_children (d, "driver");
      remove_children (d, "source");
      remove_children (d, "target");
      remove_children (d, "address");
      remove_children (d, "backingStore");
      n = xmlNewChild (d, NULL, BAD_CAST "driver", NULL);
      xmlSetProp (n, BAD_CAST "name", BAD_CAST "qemu");
      xmlSetProp (n, BAD_CAST "type", BAD_CAST disk->format);
      n = xmlNewChild (d, NULL, BAD_CAST "source", NULL);
      xmlSetProp (n, BAD_CAST "pool", BAD_CAST spec->pool);
      xmlSetProp (n, BAD_CAST "volume", BAD_CAST disk->vol);
      n = xmlNewChild (d, NULL, BAD_CAST "target", NULL);
      xmlSetProp (n, BAD_CAST "dev", BAD_CAST name);
      xmlSetProp (n, BAD_CAST "bus", BAD_CAST (pv ? "virtio" : ide ? "ide" : "sata"));
    }
    else if (xmlStrEqual (d->name, BAD_CAST "interface")) {
      set_network (d, spec->network);
      remove_children (d, "address");
      n = ensure (d, "model");
      xmlSetProp (n, BAD_CAST "type", BAD_CAST (pv ? "virtio" : "e1000"));
    }
    else if (xmlStrEqual (d->name, BAD_CAST "memballoon")) {
      remove_children (d, "address");
      xmlSetProp (d, BAD_CAST "model", BAD_CAST (pv ? "virtio" : "none"));
    }
  }
  /* The paravirtual extras follow the mode. */
  remove_children (devices, "rng");
  if (pv) {
    xmlNodePtr rng = add (devices, "rng", NULL), be;
    xmlSetProp (rng, BAD_CAST "model", BAD_CAST "virtio");
    be = add (rng, "backend", "/dev/urandom");
    xmlSetProp (be, BAD_CAST "model", BAD_CAST "random");
  }
  if (!child (devices, "memballoon"))
    xmlSetProp (add (devices, "memballoon", NULL), BAD_CAST "model",
                BAD_CAST (pv ? "virtio" : "none"));
  /* A serial console: where --verify-boot and --status look for the
   * login prompt. */
  if (!child (devices, "serial")) {
    xmlNodePtr s = add (devices, "serial", NULL), t;
    xmlSetProp (s, BAD_CAST "type", BAD_CAST "pty");
    t = add (s, "target", NULL);
    xmlSetProp (t, BAD_CAST "port", BAD_CAST "0");
  }
  if (!child (devices, "console")) {
    xmlNodePtr s = add (devices, "console", NULL), t;
    xmlSetProp (s, BAD_CAST "type", BAD_CAST "pty");
    t = add (s, "target", NULL);
    xmlSetProp (t, BAD_CAST "type", BAD_CAST "serial");
    xmlSetProp (t, BAD_CAST "port", BAD_CAST "0");
  }
  if (ndisk < img->disks.len)
    core_error ("internal error: %zu disks in the definition, %zu images",
                ndisk, img->disks.len);
  else
    ret = finish (doc, img, spec, hash);
  xmlFreeDoc (doc);
  return ret;
}

char *
dep_xen_domain_xml (const struct dep_image *img, const struct dep_domain_spec *spec,
                    char **hash)
{
  bool pv = spec->mode == CORE_MODE_PARAVIRT;
  xmlDocPtr doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNodePtr root, os, t, dev, n, features;
  xmlNodePtr src_devices = child (xmlDocGetRootElement (img->doc), "devices");
  char *ret;

  *hash = NULL;
  if (doc == NULL) {
    core_error ("libxml2: out of memory");
    return NULL;
  }
  root = xmlNewNode (NULL, BAD_CAST "domain");
  xmlDocSetRootElement (doc, root);
  xmlSetProp (root, BAD_CAST "type", BAD_CAST "xen");
  add (root, "name", spec->name);
  num_text (root, "memory", spec->memory_mib, "MiB");
  num_text (root, "currentMemory", spec->memory_mib, "MiB");
  num_text (root, "vcpu", spec->vcpus, NULL);
  if (pv)
    /* pygrub reads the guest's own grub configuration from its disk, so
     * the guest keeps booting the kernels it installs. */
    add (root, "bootloader", "pygrub");
  os = add (root, "os", NULL);
  t = add (os, "type", pv ? "linux" : "hvm");
  xmlSetProp (t, BAD_CAST "arch", BAD_CAST img->arch);
  xmlSetProp (t, BAD_CAST "machine", BAD_CAST (pv ? "xenpv" : "xenfv"));
  if (!pv) {
    add (os, "loader", "/usr/lib/xen/boot/hvmloader");
    xmlSetProp (add (os, "boot", NULL), BAD_CAST "dev", BAD_CAST "hd");
    features = add (root, "features", NULL);
    add (features, "acpi", NULL);
    add (features, "apic", NULL);
    add (features, "pae", NULL);
  }
  add (root, "on_poweroff", "destroy");
  add (root, "on_reboot", "restart");
  add (root, "on_crash", "restart");
  dev = add (root, "devices", NULL);
  for (size_t i = 0; i < img->disks.len; i++) {
    const struct dep_disk *d = &img->disks.ptr[i];
    CLEANUP_FREE char *path = core_sprintf ("%s/%s", spec->pool_path, d->vol);
    char name[16];

    if (path == NULL) {
      xmlFreeDoc (doc);
      return NULL;
    }
    snprintf (name, sizeof name, "%s%c", pv ? "xvd" : "hd", (char) ('a' + i % 26));
    n = add (dev, "disk", NULL);
    xmlSetProp (n, BAD_CAST "type", BAD_CAST "file");
    xmlSetProp (n, BAD_CAST "device", BAD_CAST "disk");
    t = add (n, "driver", NULL);
    xmlSetProp (t, BAD_CAST "name", BAD_CAST "qemu");
    xmlSetProp (t, BAD_CAST "type", BAD_CAST d->format);
    t = add (n, "source", NULL);
    xmlSetProp (t, BAD_CAST "file", BAD_CAST path);
    t = add (n, "target", NULL);
    xmlSetProp (t, BAD_CAST "dev", BAD_CAST name);
    xmlSetProp (t, BAD_CAST "bus", BAD_CAST (pv ? "xen" : "ide"));
  }
  /* One NIC per NIC of the converted guest, with its MAC; on Xen's
   * bridge unless --network says otherwise. */
  for (xmlNodePtr s = src_devices ? src_devices->children : NULL; s; s = s->next) {
    xmlNodePtr mac;
    if (s->type != XML_ELEMENT_NODE || !xmlStrEqual (s->name, BAD_CAST "interface"))
      continue;
    n = add (dev, "interface", NULL);
    if ((mac = child (s, "mac")) != NULL) {
      xmlChar *a = xmlGetProp (mac, BAD_CAST "address");
      if (a)
        xmlSetProp (add (n, "mac", NULL), BAD_CAST "address", a);
      xmlFree (a);
    }
    set_network (n, spec->network ? spec->network : "bridge:xenbr0");
    if (!pv)
      xmlSetProp (add (n, "model", NULL), BAD_CAST "type", BAD_CAST "e1000");
  }
  if (!pv) {
    n = add (dev, "serial", NULL);
    xmlSetProp (n, BAD_CAST "type", BAD_CAST "pty");
    xmlSetProp (add (n, "target", NULL), BAD_CAST "port", BAD_CAST "0");
  }
  n = add (dev, "console", NULL);
  xmlSetProp (n, BAD_CAST "type", BAD_CAST "pty");
  t = add (n, "target", NULL);
  xmlSetProp (t, BAD_CAST "type", BAD_CAST (pv ? "xen" : "serial"));
  xmlSetProp (t, BAD_CAST "port", BAD_CAST "0");
  if (!pv) {
    n = add (dev, "graphics", NULL);
    xmlSetProp (n, BAD_CAST "type", BAD_CAST "vnc");
    xmlSetProp (n, BAD_CAST "autoport", BAD_CAST "yes");
  }
  ret = finish (doc, img, spec, hash);
  xmlFreeDoc (doc);
  return ret;
}

int
dep_metadata_parse (const char *xml, char **hash, core_string_vector *volumes)
{
  xmlDocPtr doc = xmlReadMemory (xml, strlen (xml), "metadata", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlNodePtr root;
  xmlChar *h;

  *hash = NULL;
  if (doc == NULL) {
    core_error ("domain metadata: not XML");
    return -1;
  }
  root = xmlDocGetRootElement (doc);
  h = root ? xmlGetProp (root, BAD_CAST "definition") : NULL;
  if (h) {
    *hash = core_strdup ((const char *) h);
    xmlFree (h);
  }
  for (xmlNodePtr c = root ? root->children : NULL; c && volumes; c = c->next) {
    xmlChar *name;
    if (c->type != XML_ELEMENT_NODE || !xmlStrEqual (c->name, BAD_CAST "volume"))
      continue;
    name = xmlGetProp (c, BAD_CAST "name");
    if (name) {
      char *s = core_strdup ((const char *) name);
      xmlFree (name);
      if (s == NULL || core_string_vector_append (volumes, s) == -1) {
        free (s);
        xmlFreeDoc (doc);
        return -1;
      }
    }
  }
  xmlFreeDoc (doc);
  return 0;
}

static char *
xpath_string (const char *xml, const char *expr)
{
  xmlDocPtr doc = xmlReadMemory (xml, strlen (xml), "caps", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlXPathContextPtr ctx = doc ? xmlXPathNewContext (doc) : NULL;
  xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression (BAD_CAST expr, ctx) : NULL;
  char *s = NULL;

  if (o && o->stringval && o->stringval[0])
    s = core_strdup ((const char *) o->stringval);
  xmlXPathFreeObject (o);
  xmlXPathFreeContext (ctx);
  if (doc)
    xmlFreeDoc (doc);
  return s;
}

char *
dep_caps_domain_type (const char *caps_xml, const char *arch)
{
  CLEANUP_FREE char *kvm = NULL, *qemu = NULL;
  CLEANUP_FREE char *e1 = core_sprintf (
    "string(/capabilities/guest[os_type='hvm' and arch/@name='%s']/arch/domain[@type='kvm']/@type)", arch);
  CLEANUP_FREE char *e2 = core_sprintf (
    "string(/capabilities/guest[os_type='hvm' and arch/@name='%s']/arch/domain[@type='qemu']/@type)", arch);

  if (e1 == NULL || e2 == NULL)
    return NULL;
  if ((kvm = xpath_string (caps_xml, e1)) != NULL)
    return core_strdup ("kvm");
  if ((qemu = xpath_string (caps_xml, e2)) != NULL)
    return core_strdup ("qemu");
  return NULL;
}

char *
dep_pool_target_path (const char *pool_xml)
{
  return xpath_string (pool_xml, "string(/pool/target/path)");
}

/* Small definitions for libvirt, escaped by libxml2. */
static char *
simple_doc (xmlNodePtr root)
{
  xmlDocPtr doc = xmlNewDoc (BAD_CAST "1.0");
  char *s;

  if (doc == NULL) {
    xmlFreeNode (root);
    core_error ("libxml2: out of memory");
    return NULL;
  }
  xmlDocSetRootElement (doc, root);
  s = dump (doc);
  xmlFreeDoc (doc);
  return s;
}

char *
dep_pool_xml (const char *name, const char *path)
{
  xmlNodePtr root = xmlNewNode (NULL, BAD_CAST "pool"), t;

  xmlSetProp (root, BAD_CAST "type", BAD_CAST "dir");
  add (root, "name", name);
  t = add (root, "target", NULL);
  add (t, "path", path);
  return simple_doc (root);
}

char *
dep_volume_xml (const char *name, uint64_t capacity, const char *format)
{
  xmlNodePtr root = xmlNewNode (NULL, BAD_CAST "volume"), n;
  char buf[32];

  add (root, "name", name);
  snprintf (buf, sizeof buf, "%llu", (unsigned long long) capacity);
  n = add (root, "capacity", buf);
  xmlSetProp (n, BAD_CAST "unit", BAD_CAST "bytes");
  n = add (root, "allocation", "0");
  xmlSetProp (n, BAD_CAST "unit", BAD_CAST "bytes");
  n = add (root, "target", NULL);
  xmlSetProp (add (n, "format", NULL), BAD_CAST "type", BAD_CAST format);
  return simple_doc (root);
}

char *
dep_xml_networks (const char *domain_xml)
{
  return xpath_string (domain_xml, "string(/domain/devices/interface[@type='network']/source/@network)");
}

char *
dep_xml_set_uuid (const char *domain_xml, const char *uuid)
{
  xmlDocPtr doc = xmlReadMemory (domain_xml, strlen (domain_xml), "domain", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOBLANKS
                                 | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlNodePtr root, name, u;
  char *s;

  if (doc == NULL) {
    core_error ("internal error: the definition is not XML");
    return NULL;
  }
  root = xmlDocGetRootElement (doc);
  remove_children (root, "uuid");
  u = xmlNewTextChild (root, NULL, BAD_CAST "uuid", BAD_CAST uuid);
  if ((name = child (root, "name")) != NULL)
    xmlAddNextSibling (name, u);
  s = dump (doc);
  xmlFreeDoc (doc);
  return s;
}
