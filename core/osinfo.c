/* What libosinfo's database knows about an operating system: its short-id,
 * its name, its family and whether it ships paravirtualized drivers. */
#include <string.h>

#include <osinfo/osinfo.h>

#include "core.h"

/* The database, loaded once per process on the first lookup and kept
 * until exit, with three indexes into it (the keys are owned by the
 * tables, the values by the database):
 *   by_id:       every short-id of every OS, as written
 *   by_name:     the OS's name, in ASCII lower case
 *   by_bare:     the name without the vendor's name in front
 *                ("microsoft windows server 2003" -> "windows server 2003")
 * A lookup is then three hash lookups instead of a walk over the ~1,500
 * OSes of the database, which matters when a CSV file has thousands of
 * rows. */
static OsinfoLoader *loader;
static GHashTable *by_id;
static GHashTable *by_name;
static GHashTable *by_bare;
/* pv_drivers_of's answers: walking an OS's devices along its derivation
 * chain costs a tenth of a millisecond, too much for every row of a big
 * CSV file. */
static GHashTable *pv_cache;

/* Several OSes may share a name: then the one whose short-id is lowest in
 * byte order wins, so that the answer does not depend on the order the
 * loader read the files in. */
static void
index_add (GHashTable *table, char *key, OsinfoOs *os)
{
  OsinfoOs *old = g_hash_table_lookup (table, key);

  if (old) {
    const char *a = osinfo_product_get_short_id (OSINFO_PRODUCT (old));
    const char *b = osinfo_product_get_short_id (OSINFO_PRODUCT (os));

    if (a && b && strcmp (b, a) < 0)
      g_hash_table_insert (table, key, os);
    else
      g_free (key);
    return;
  }
  g_hash_table_insert (table, key, os);
}

/* The name without the vendor in front: try the whole vendor, then drop
 * its last words one by one ("Microsoft Corporation", then "Microsoft"),
 * and strip the longest that prefixes the name followed by a space.  A
 * remainder without a letter ("Debian 11" -> "11") is not indexed: a bare
 * version number names no OS. */
static void
add_bare_name (const char *name, const char *vendor, OsinfoOs *os)
{
  size_t vlen = strlen (vendor);

  while (vlen > 0) {
    size_t n = vlen;
    const char *rest;

    while (n > 0 && (vendor[n - 1] == ',' || vendor[n - 1] == '.'))
      n--;
    if (n > 0 && g_ascii_strncasecmp (name, vendor, n) == 0
        && name[n] == ' ') {
      rest = name + n + 1;
      for (const char *p = rest; *p; p++)
        if (g_ascii_isalpha (*p)) {
          index_add (by_bare, g_ascii_strdown (rest, -1), os);
          break;
        }
      return;
    }
    /* Drop the last word. */
    while (vlen > 0 && vendor[vlen - 1] != ' ')
      vlen--;
    while (vlen > 0 && vendor[vlen - 1] == ' ')
      vlen--;
  }
}

static int
load_db (void)
{
  GError *err = NULL;
  OsinfoDb *db;
  OsinfoOsList *list;
  gint n;

  if (by_id)
    return 0;

  if (loader == NULL)
    loader = osinfo_loader_new ();
  osinfo_loader_process_default_path (loader, &err);
  if (err) {
    core_error ("libosinfo: cannot load the OS database: %s", err->message);
    g_error_free (err);
    /* Start again from nothing on the next call. */
    g_object_unref (loader);
    loader = NULL;
    return -1;
  }
  db = osinfo_loader_get_db (loader);
  list = osinfo_db_get_os_list (db);
  n = osinfo_list_get_length (OSINFO_LIST (list));
  if (n == 0) {
    core_error ("libosinfo: cannot load the OS database: "
                "it lists no operating systems (is osinfo-db installed?)");
    g_object_unref (list);
    g_object_unref (loader);
    loader = NULL;
    return -1;
  }

  by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  by_bare = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  pv_cache = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (gint i = 0; i < n; i++) {
    OsinfoOs *os = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (list), i));
    OsinfoProduct *prod = OSINFO_PRODUCT (os);
    const char *name = osinfo_product_get_name (prod);
    const char *vendor = osinfo_product_get_vendor (prod);
    GList *ids = osinfo_product_get_short_id_list (prod);

    for (GList *l = ids; l; l = l->next)
      index_add (by_id, g_strdup (l->data), os);
    g_list_free (ids);

    if (name == NULL)
      continue;
    index_add (by_name, g_ascii_strdown (name, -1), os);
    if (vendor)
      add_bare_name (name, vendor, os);
  }
  /* The database keeps its own reference to every OS. */
  g_object_unref (list);
  return 0;
}

static enum core_os_family
family_of (OsinfoOs *os)
{
  const char *f = osinfo_os_get_family (os);
  size_t n;

  if (f == NULL)
    return CORE_OS_OTHER;
  if (strcmp (f, "linux") == 0)
    return CORE_OS_LINUX;
  /* win16 (Windows 3.x) and win9x are Windows too; msdos is not, and has
   * no business with Windows drivers, so it is "other". */
  if (strcmp (f, "winnt") == 0 || strcmp (f, "win9x") == 0
      || strcmp (f, "win16") == 0)
    return CORE_OS_WINDOWS;
  /* freebsd, netbsd, openbsd, dragonflybsd. */
  n = strlen (f);
  if (n >= 3 && strcmp (f + n - 3, "bsd") == 0)
    return CORE_OS_BSD;
  return CORE_OS_OTHER;
}

/* The database lists, for each OS, the devices it has drivers for
 * (inherited along derives-from and clones when using get_all_devices).
 * An OS that lists a virtio block device (PCI 1af4:1001 transitional or
 * 1af4:1042 modern) and a virtio network device (1af4:1000 or 1af4:1041)
 * can run paravirtualized under KVM.  An OS that lists devices but not
 * that pair cannot; an OS that lists none is one the database says nothing
 * about, so the answer is "unknown".
 *
 * Xen's front-ends (vbd, vif) are not in the database's device lists of
 * any OS, so the database cannot tell whether an OS ships them: the Xen
 * bit is never set from here, only from what the user says. */
static int
pv_drivers_of (OsinfoOs *os)
{
  OsinfoDeviceList *devs;
  gint n;
  bool blk = false, net = false;
  int r;
  gpointer cached;

  /* Stored as r + 2, so that CORE_UNSET is not NULL. */
  cached = g_hash_table_lookup (pv_cache, os);
  if (cached)
    return GPOINTER_TO_INT (cached) - 2;

  devs = osinfo_os_get_all_devices (os, NULL);
  n = osinfo_list_get_length (OSINFO_LIST (devs));

  for (gint i = 0; i < n; i++) {
    OsinfoDevice *d =
      OSINFO_DEVICE (osinfo_list_get_nth (OSINFO_LIST (devs), i));
    const char *bus = osinfo_device_get_bus_type (d);
    const char *vendor = osinfo_device_get_vendor_id (d);
    const char *product = osinfo_device_get_product_id (d);

    if (bus == NULL || vendor == NULL || product == NULL
        || strcmp (bus, "pci") != 0 || g_ascii_strcasecmp (vendor, "1af4") != 0)
      continue;
    if (g_ascii_strcasecmp (product, "1001") == 0
        || g_ascii_strcasecmp (product, "1042") == 0)
      blk = true;
    else if (g_ascii_strcasecmp (product, "1000") == 0
             || g_ascii_strcasecmp (product, "1041") == 0)
      net = true;
  }
  g_object_unref (devs);

  if (n == 0)
    r = CORE_UNSET;
  else if (blk && net)
    r = CORE_PV_VIRTIO;
  else
    r = 0;
  g_hash_table_insert (pv_cache, os, GINT_TO_POINTER (r + 2));
  return r;
}

int
core_osinfo_lookup (const char *id_or_name, struct core_osinfo *out)
{
  OsinfoOs *os;
  const char *id, *name;

  out->id = out->name = NULL;
  out->family = CORE_OS_UNSET;
  out->pv_drivers = CORE_UNSET;

  if (load_db () == -1)
    return -1;

  os = g_hash_table_lookup (by_id, id_or_name);
  if (os == NULL) {
    char *lower = g_ascii_strdown (id_or_name, -1);

    os = g_hash_table_lookup (by_name, lower);
    if (os == NULL)
      os = g_hash_table_lookup (by_bare, lower);
    g_free (lower);
  }
  if (os == NULL)
    return 0;

  /* The first short-id is the OS's own; later ones are aliases
   * ("centos7" for "centos7.0"). */
  id = osinfo_product_get_short_id (OSINFO_PRODUCT (os));
  name = osinfo_product_get_name (OSINFO_PRODUCT (os));
  out->id = core_strdup (id);
  out->name = core_strdup (name);
  if ((id && out->id == NULL) || (name && out->name == NULL)) {
    core_osinfo_clear (out);
    return -1;
  }
  out->family = family_of (os);
  out->pv_drivers = pv_drivers_of (os);
  return 1;
}

void
core_osinfo_clear (struct core_osinfo *o)
{
  if (o == NULL)
    return;
  free (o->id);
  free (o->name);
  o->id = o->name = NULL;
  o->family = CORE_OS_UNSET;
  o->pv_drivers = CORE_UNSET;
}
