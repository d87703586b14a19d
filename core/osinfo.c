/* What libosinfo's database knows about an operating system: its short-id,
 * its name, its family and whether it ships paravirtualized drivers. */
#include <math.h>
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
/* by_key: the names above reduced to their key (os_key below), so that
 * the spellings people write ("RHEL 7.9", "Windows 2008 R2 Enterprise",
 * "Ubuntu 18.04.6 LTS") find the OS.  A key two OSes share names
 * neither: the value is then AMBIGUOUS. */
static GHashTable *by_key;
static char ambiguous_mark;
#define AMBIGUOUS ((OsinfoOs *) &ambiguous_mark)
/* Every OS with its key, for the nearest names to one not found. */
struct keyed {
  char *key;
  OsinfoOs *os;
};
static GArray *all_keys;
static char *os_key (const char *text);
static void key_add (char *key, OsinfoOs *os);
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
      key_add (os_key (rest), os);
      return;
    }
    /* Drop the last word. */
    while (vlen > 0 && vendor[vlen - 1] != ' ')
      vlen--;
    while (vlen > 0 && vendor[vlen - 1] == ' ')
      vlen--;
  }
}

/* Keys ---------------------------------------------------------------- */

/* Words that do not tell one OS from another: editions, architectures,
 * marks, and the filler of release files ("CentOS Linux release 7.9"). */
static const char *const noise_words[] = {
  "microsoft", "corporation", "tm", "server", "edition", "standard",
  "datacenter", "enterprise", "web", "foundation", "essentials",
  "professional", "pro", "home", "ultimate", "premium", "starter",
  "business", "storage", "x64", "x86", "x86_64", "amd64", "i386", "i586",
  "i686", "ia64", "64bit", "32bit", "lts", "release", "linux", "gnu",
  "terminal",                   /* NT 4.0 Terminal Server Edition */
  "final", "inc", "ltd", NULL
};

/* Abbreviations, one word for words. */
static const struct { const char *word, *words; } word_aliases[] = {
  { "win", "windows" },
  { "redhat", "red hat" },
  { "oel", "oracle linux" },
  { "ol", "oracle linux" },
  { "sbs", "small business server" },
  { NULL, NULL }
};

/* Names, words for words (after word_aliases). */
static const struct { const char *words, *to; } phrases[] = {
  { "red hat enterprise linux", "rhel" },
  { "rhel es", "rhel" },        /* RHEL 2.1 to 4's editions */
  { "rhel as", "rhel" },
  { "rhel ws", "rhel" },
  { "suse linux enterprise server", "sles" },
  { "suse linux enterprise desktop", "sled" },
  { "oracle enterprise linux", "oracle linux" },
  { "small business server", "sbs" },
  { NULL, NULL }
};

static bool
in_list (const char *w, const char *const *list)
{
  for (size_t i = 0; list[i]; i++)
    if (strcmp (w, list[i]) == 0)
      return true;
  return false;
}

static bool
all_digits (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!g_ascii_isdigit (*s))
      return false;
  return true;
}

/* "7", "7.9", "18.04.6" */
static bool
is_version (const char *s)
{
  if (!g_ascii_isdigit (*s))
    return false;
  for (; *s; s++)
    if (!g_ascii_isdigit (*s) && *s != '.')
      return false;
  return true;
}

/* Append the words of WORDS (separated by spaces) to T. */
static void
push_words (GPtrArray *t, const char *words)
{
  gchar **v = g_strsplit (words, " ", -1);

  for (gchar **p = v; *p; p++)
    if (**p)
      g_ptr_array_add (t, g_strdup (*p));
  g_strfreev (v);
}

/* One word of the text into T: Windows' "2k" abbreviations spelt out
 * ("w2k8r2" -> windows 2008 r2), then split where letters meet digits
 * ("rhel7.9" -> rhel 7.9, "2008r2" -> 2008 r2), keeping "r2" and "spN"
 * whole. */
static void
push_word (GPtrArray *t, const char *w)
{
  const char *p = w;
  const char *k;

  if (g_str_has_prefix (p, "windows"))
    p += 7;
  else if (g_str_has_prefix (p, "win"))
    p += 3;
  else if (*p == 'w')
    p++;
  k = p;
  if (k[0] == '2' && k[1] == 'k' && (p != w || t->len > 0)) {
    const char *d = k + 2;
    size_t nd = strspn (d, "0123456789");
    const char *rest = d + nd;

    if (nd <= 2 && (*rest == '\0' || strcmp (rest, "r2") == 0)) {
      const char *prev = t->len ? g_ptr_array_index (t, t->len - 1) : "";
      if (strcmp (prev, "windows") != 0)
        g_ptr_array_add (t, g_strdup ("windows"));
      if (nd == 0)
        g_ptr_array_add (t, g_strdup ("2000"));
      else
        g_ptr_array_add (t, g_strdup_printf ("20%02d", atoi (d)));
      if (*rest)
        g_ptr_array_add (t, g_strdup ("r2"));
      return;
    }
  }
  if (in_list (w, noise_words)) {
    g_ptr_array_add (t, g_strdup (w));
    return;
  }
  /* Runs of letters and of digits (with dots). */
  for (p = w; *p;) {
    const char *q = p;
    bool digits = g_ascii_isdigit (*p);

    while (*q && (digits ? (g_ascii_isdigit (*q) || *q == '.')
                  : !g_ascii_isdigit (*q)))
      q++;
    /* "r2", "sp2": one word. */
    if (!digits && ((q - p == 1 && *p == 'r') || (q - p == 2 && p[0] == 's'
                                                   && p[1] == 'p'))
        && g_ascii_isdigit (*q)) {
      while (g_ascii_isdigit (*q))
        q++;
    }
    {
      char *run = g_strndup (p, q - p);
      const char *alias = NULL;

      for (size_t i = 0; !digits && word_aliases[i].word; i++)
        if (strcmp (run, word_aliases[i].word) == 0)
          alias = word_aliases[i].words;
      if (alias) {
        push_words (t, alias);
        g_free (run);
      }
      else
        g_ptr_array_add (t, run);
    }
    p = q;
  }
}

/* Replace the words of FROM, where they occur in T, by those of TO. */
static void
replace_phrase (GPtrArray *t, const char *from, const char *to)
{
  gchar **f = g_strsplit (from, " ", -1);
  guint n = g_strv_length (f);

  for (guint i = 0; i + n <= t->len; i++) {
    guint j;

    for (j = 0; j < n; j++)
      if (strcmp (g_ptr_array_index (t, i + j), f[j]) != 0)
        break;
    if (j < n)
      continue;
    g_ptr_array_remove_range (t, i, n);
    {
      GPtrArray *ins = g_ptr_array_new ();
      push_words (ins, to);
      for (guint m = 0; m < ins->len; m++)
        g_ptr_array_insert (t, i + m, g_ptr_array_index (ins, m));
      i += ins->len - 1;
      g_ptr_array_free (ins, TRUE);
    }
  }
  g_strfreev (f);
}

/* TEXT as a list of words that name its OS the way the database's names
 * do: ASCII lower case, parenthesized parts ("(Final)", "(64-bit)",
 * "(R)") dropped, abbreviations spelt out, noise words dropped, a Small
 * Business Server as the Windows Server it is built on.  Free with
 * g_ptr_array_unref. */
static GPtrArray *
os_words (const char *text)
{
  GPtrArray *t = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *u;
  GString *w = g_string_new (NULL);
  int depth = 0;

  for (const char *p = text;; p++) {
    unsigned char c = *p;
    bool word = c && depth == 0 && (g_ascii_isalnum (c) || c == '.' || c == '_');

    if (word)
      g_string_append_c (w, g_ascii_tolower (c));
    else if (w->len) {
      /* Dots only inside numbers: "Inc." is "inc". */
      while (w->len && w->str[w->len - 1] == '.')
        g_string_truncate (w, w->len - 1);
      if (w->len && w->str[0] != '.') {
        const char *alias = NULL;
        for (size_t i = 0; word_aliases[i].word; i++)
          if (strcmp (w->str, word_aliases[i].word) == 0)
            alias = word_aliases[i].words;
        if (alias)
          push_words (t, alias);
        else
          push_word (t, w->str);
      }
      g_string_truncate (w, 0);
    }
    if (c == '(')
      depth++;
    else if (c == ')' && depth > 0)
      depth--;
    if (c == '\0')
      break;
  }
  g_string_free (w, TRUE);

  for (size_t i = 0; phrases[i].words; i++)
    replace_phrase (t, phrases[i].words, phrases[i].to);

  /* Drop the noise; "64-bit" and "32 bit" too. */
  u = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < t->len; i++) {
    const char *x = g_ptr_array_index (t, i);
    const char *next = i + 1 < t->len ? g_ptr_array_index (t, i + 1) : "";

    if (in_list (x, noise_words) || strcmp (x, "bit") == 0)
      continue;
    if ((strcmp (x, "64") == 0 || strcmp (x, "32") == 0)
        && strcmp (next, "bit") == 0)
      continue;
    g_ptr_array_add (u, g_strdup (x));
  }
  g_ptr_array_unref (t);
  t = u;

  /* Small Business Server 2003 and 2008 are Windows Server 2003 and
   * 2008; 2011 is 2008 R2. */
  for (guint i = 0; i < t->len; i++)
    if (strcmp (g_ptr_array_index (t, i), "sbs") == 0) {
      g_ptr_array_remove_index (t, i);
      if (t->len == 0 || strcmp (g_ptr_array_index (t, 0), "windows") != 0)
        g_ptr_array_insert (t, 0, g_strdup ("windows"));
      for (guint j = 0; j < t->len; j++)
        if (strcmp (g_ptr_array_index (t, j), "2011") == 0) {
          g_free (g_ptr_array_index (t, j));
          t->pdata[j] = g_strdup ("2008");
          g_ptr_array_insert (t, j + 1, g_strdup ("r2"));
          break;
        }
      break;
    }

  /* SUSE's os-release VERSION_ID "11.4" is 11 SP4. */
  if (t->len >= 2 && (strcmp (g_ptr_array_index (t, 0), "sles") == 0
                      || strcmp (g_ptr_array_index (t, 0), "sled") == 0)) {
    const char *v = g_ptr_array_index (t, 1);
    const char *dot = strchr (v, '.');

    if (is_version (v) && dot && all_digits (dot + 1)
        && strcmp (dot + 1, "0") != 0) {
      char *sp = g_strdup_printf ("sp%s", dot + 1);
      char *major = g_strndup (v, dot - v);
      g_free (t->pdata[1]);
      t->pdata[1] = major;
      g_ptr_array_insert (t, 2, sp);
    }
  }
  return t;
}

static char *
join_words (GPtrArray *t, guint skip_sp)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < t->len; i++) {
    const char *x = g_ptr_array_index (t, i);
    if (skip_sp && x[0] == 's' && x[1] == 'p' && all_digits (x + 2))
      continue;
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, x);
  }
  return g_string_free (s, FALSE);
}

/* The key of a name: its words, one space apart. */
static char *
os_key (const char *text)
{
  GPtrArray *t = os_words (text);
  char *k = join_words (t, 0);

  g_ptr_array_unref (t);
  return k;
}

/* Index KEY (taken) for OS; a key another OS has already is ambiguous. */
static void
key_add (char *key, OsinfoOs *os)
{
  OsinfoOs *old;
  bool alpha = false;

  for (const char *p = key; *p; p++)
    alpha |= g_ascii_isalpha (*p);
  if (!alpha) {
    g_free (key);
    return;
  }
  old = g_hash_table_lookup (by_key, key);
  if (old == NULL || old == os)
    g_hash_table_insert (by_key, key, os);
  else
    g_hash_table_insert (by_key, key, AMBIGUOUS);
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
  by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  all_keys = g_array_new (FALSE, FALSE, sizeof (struct keyed));
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
    key_add (os_key (name), os);
    {
      struct keyed k = { os_key (name), os };
      g_array_append_val (all_keys, k);
    }
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
  if (core_ends_with (f, "bsd"))
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

static OsinfoOs *
key_get (const char *key)
{
  OsinfoOs *os = g_hash_table_lookup (by_key, key);

  return os == AMBIGUOUS ? NULL : os;
}

/* The words T by their key, then by looser keys: without service packs
 * ("Windows Server 2003 R2 SP2"; the database lists SUSE's only), with
 * the version cut to fewer parts ("Ubuntu 18.04.6" -> 18.04, "CentOS
 * 7.9.2009" -> 7), and a major version alone as the database's "minor
 * release unknown" entry ("RHEL 7" -> rhel7-unknown) or else as its
 * first release ("Oracle Linux 6" -> ol6.0: the release with the fewest
 * drivers, so nothing is promised that a later one added).  Those last
 * three set *INEXACT: the OS found stands for the one named. */
static OsinfoOs *
lookup_words (GPtrArray *t, bool *inexact)
{
  OsinfoOs *os = NULL;
  bool has_sp = false;
  gint vi = -1;

  for (guint i = 0; i < t->len; i++) {
    const char *x = g_ptr_array_index (t, i);
    if (x[0] == 's' && x[1] == 'p' && all_digits (x + 2))
      has_sp = true;
    else if (vi < 0 && is_version (x))
      vi = i;
  }
  for (;;) {
    for (int skip = 0; skip <= (int) has_sp && os == NULL; skip++) {
      char *k = join_words (t, skip);
      const char *last = t->len ? g_ptr_array_index (t, t->len - 1) : "";

      os = key_get (k);
      if (os && skip)
        *inexact = true;
      if (os == NULL && all_digits (last) && vi >= 0) {
        static const char *const suffixes[] = { " unknown", ".0" };
        for (int j = 0; j < 2 && os == NULL; j++) {
          char *k2 = g_strconcat (k, suffixes[j], NULL);
          os = key_get (k2);
          g_free (k2);
        }
        if (os)
          *inexact = true;
      }
      g_free (k);
    }
    if (os || vi < 0)
      break;
    /* One version part less, if it has more than one. */
    {
      char *v = g_ptr_array_index (t, vi);
      char *dot = strrchr (v, '.');
      if (dot == NULL)
        break;
      *dot = '\0';
    }
  }
  return os;
}

static OsinfoOs *
lookup_key (const char *text, bool *inexact)
{
  GPtrArray *t = os_words (text);
  OsinfoOs *os = lookup_words (t, inexact);

  g_ptr_array_unref (t);
  /* SUSE Linux Enterprise 15 is one name for its Server and Desktop. */
  if (os == NULL) {
    t = os_words (text);
    if (t->len && (strcmp (g_ptr_array_index (t, 0), "sles") == 0
                   || strcmp (g_ptr_array_index (t, 0), "sled") == 0)) {
      g_free (t->pdata[0]);
      t->pdata[0] = g_strdup ("suse");
      os = lookup_words (t, inexact);
    }
    g_ptr_array_unref (t);
  }
  return os;
}

/* The words of a key before its version ("red hat" of "red hat 9"), and
 * the version's first number (-1 when none). */
static size_t
product_len (const char *key, double *version)
{
  const char *p = key;

  *version = -1;
  while (*p) {
    if (g_ascii_isdigit (*p) && (p == key || p[-1] == ' ')) {
      *version = g_ascii_strtod (p, NULL);
      return p > key ? (size_t) (p - key - 1) : 0;
    }
    p++;
  }
  return strlen (key);
}

static size_t
edit_distance (const char *a, const char *b)
{
  size_t n = strlen (b), *row = g_new (size_t, n + 1), d;

  for (size_t j = 0; j <= n; j++)
    row[j] = j;
  for (const char *p = a; *p; p++) {
    size_t diag = row[0];
    row[0]++;
    for (size_t j = 1; j <= n; j++) {
      size_t up = row[j];
      size_t best = diag + (*p != b[j - 1]);
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  d = row[n];
  g_free (row);
  return d;
}

char *
core_osinfo_nearest (const char *text, size_t n)
{
  GString *out;
  char *key, *r;
  double want, *score;
  bool *taken;
  size_t plen;

  if (load_db () == -1)
    return NULL;
  key = os_key (text);
  plen = product_len (key, &want);
  score = g_new (double, all_keys->len);
  taken = g_new (bool, all_keys->len);
  memset (taken, 0, all_keys->len * sizeof *taken);
  /* The same product's releases by how far their version is; then the
   * other names by edit distance. */
  for (guint i = 0; i < all_keys->len; i++) {
    const struct keyed *k = &g_array_index (all_keys, struct keyed, i);
    double v;
    size_t l = product_len (k->key, &v);

    if (l == plen && strncmp (k->key, key, l) == 0)
      score[i] = want >= 0 && v >= 0 ? fabs (v - want) : 1e6;
    else {
      /* Another product only when its name is a near spelling of this
       * one ("ubunto"): otherwise no suggestion beats a wrong one. */
      char *a = g_strndup (key, plen), *b = g_strndup (k->key, l);
      size_t d = edit_distance (a, b);
      score[i] = d > (plen < 6 ? 1 : plen / 3) ? -1
        : 1e9 + d * 1e6 + (want >= 0 && v >= 0 ? fabs (v - want) : 1e5);
      g_free (a);
      g_free (b);
    }
  }
  out = g_string_new (NULL);
  for (size_t m = 0; m < n; m++) {
    gint best = -1;
    const char *best_id = NULL;

    for (guint i = 0; i < all_keys->len; i++) {
      const struct keyed *k = &g_array_index (all_keys, struct keyed, i);
      const char *id = osinfo_product_get_short_id (OSINFO_PRODUCT (k->os));

      if (taken[i] || id == NULL || score[i] < 0)
        continue;
      if (best < 0 || score[i] < score[best]
          || (score[i] == score[best] && strcmp (id, best_id) < 0)) {
        best = i;
        best_id = id;
      }
    }
    if (best < 0)
      break;
    taken[best] = true;
    g_string_append_printf (out, "%s%s", out->len ? ", " : "", best_id);
  }
  r = core_strdup (out->str);
  g_string_free (out, TRUE);
  g_free (score);
  g_free (taken);
  g_free (key);
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
  out->inexact = false;

  if (load_db () == -1)
    return -1;

  os = g_hash_table_lookup (by_id, id_or_name);
  if (os == NULL) {
    char *lower = g_ascii_strdown (id_or_name, -1);

    os = g_hash_table_lookup (by_name, lower);
    if (os == NULL)
      os = g_hash_table_lookup (by_bare, lower);
    if (os == NULL)
      os = g_hash_table_lookup (by_id, lower);
    g_free (lower);
  }
  if (os == NULL)
    os = lookup_key (id_or_name, &out->inexact);
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
