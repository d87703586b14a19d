/* CSV rows to profiles: the quick way to describe a fleet that has no
 * collected inventory.  One row per server; the header names the columns,
 * in any order, in any case.  See docs/formats.md for the columns.
 *
 * Values have their surrounding spaces and tabs removed ("4, 2600" is
 * read as "4" and "2600"), like the names in the header. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core.h"

enum column {
  COL_NAME, COL_OS, COL_CORES, COL_MHZ, COL_MEMORY_MIB, COL_DISK_GIB,
  COL_CPU_PCT, COL_MEM_USED, COL_DISK_IOPS, COL_DISK_MBPS, COL_NET_MBPS,
  COL_ROLE, COL_GROUP, COL_PV_DRIVERS, COL_PASSTHROUGH, COL_FIRMWARE,
  COL_VIRT, COL_WATTS, COL_GROWTH_PCT, COL_ANTI_AFFINITY,
  NR_COLUMNS
};

static const struct {
  const char *name;
  bool required;
} columns[NR_COLUMNS] = {
  [COL_NAME] = { "name", true },
  [COL_OS] = { "os", true },
  [COL_CORES] = { "cores", true },
  [COL_MHZ] = { "mhz", true },
  [COL_MEMORY_MIB] = { "memory_mib", true },
  [COL_DISK_GIB] = { "disk_gib", true },
  [COL_CPU_PCT] = { "cpu_pct_p95", false },
  [COL_MEM_USED] = { "mem_used_mib_p95", false },
  [COL_DISK_IOPS] = { "disk_iops_p95", false },
  [COL_DISK_MBPS] = { "disk_mbps_p95", false },
  [COL_NET_MBPS] = { "net_mbps_p95", false },
  [COL_ROLE] = { "role", false },
  [COL_GROUP] = { "group", false },
  [COL_PV_DRIVERS] = { "pv_drivers", false },
  [COL_PASSTHROUGH] = { "passthrough", false },
  [COL_FIRMWARE] = { "firmware", false },
  [COL_VIRT] = { "virt", false },
  [COL_WATTS] = { "watts", false },
  [COL_GROWTH_PCT] = { "growth_pct", false },
  [COL_ANTI_AFFINITY] = { "anti_affinity", false },
};

/* The limits of the contract. */
#define MAX_CORES 4096
#define MAX_MHZ 1e6
#define MAX_MEMORY_MIB (INT64_C (1) << 40)
#define MAX_DISK_GIB 1e9
#define GIB 1073741824.0

/* Names seen so far, to find duplicates in time linear in the rows: an
 * open-addressing table of row numbers into the CSV file. */
struct name_set {
  size_t *slots;                /* row + 1; 0 is empty */
  size_t mask;
};

/* An OS name libosinfo does not know: the first line that gives it and
 * how many rows do. */
struct unknown_os {
  char *name;
  size_t line;
  size_t rows;
};
DEFINE_VECTOR_TYPE(unknown_os_vector, struct unknown_os)

/* What one file is being read: the header's map and the current row. */
struct importer {
  const char *name;             /* the file, for messages */
  const struct core_csv *csv;
  int index[NR_COLUMNS];        /* field of each column, -1 when absent */
  const struct core_csv_row *row;
  struct name_set *names;       /* the names of the rows before */
  /* OS names libosinfo does not know, each once, in the order seen: a
   * warning each once the file has read (not one per row of a big
   * file). */
  unknown_os_vector unknown;
};

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* Remove surrounding spaces and tabs, in place. */
static char *
trim (char *s)
{
  size_t a = 0, n = strlen (s);

  while (a < n && is_blank (s[a]))
    a++;
  while (n > a && is_blank (s[n - 1]))
    n--;
  memmove (s, s + a, n - a);
  s[n - a] = '\0';
  return s;
}

/* The value of column C in the current row, trimmed; NULL when the file
 * has no such column or the value is empty. */
static const char *
value (const struct importer *im, enum column c)
{
  const char *v;

  if (im->index[c] < 0)
    return NULL;
  v = im->row->fields.ptr[im->index[c]];
  return *v ? v : NULL;
}

/* "FILE:LINE: column 'x': ..." */
static void __attribute__((format (printf, 3, 4)))
row_error (const struct importer *im, enum column c, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  core_error_at (im->name, im->row->line, 0, "column '%s': %s",
                 columns[c].name, msg);
}

/* core_parse_* have set "column 'x': what"; put the position in front. */
static void
prefix_error (const struct importer *im)
{
  char msg[1024];

  snprintf (msg, sizeof msg, "%s", core_errmsg ());
  core_error_at (im->name, im->row->line, 0, "%s", msg);
}

static const char *
required (const struct importer *im, enum column c)
{
  const char *v = value (im, c);

  if (v == NULL)
    row_error (im, c, "empty value");
  return v;
}

static int
get_int (const struct importer *im, enum column c, int64_t min, int64_t max,
         int64_t *out)
{
  char field[64];
  const char *v = required (im, c);

  if (v == NULL)
    return -1;
  snprintf (field, sizeof field, "column '%s'", columns[c].name);
  if (core_parse_int64 (v, field, min, max, out) == -1) {
    prefix_error (im);
    return -1;
  }
  return 0;
}

/* A number; DEF when the column is absent or empty (REQUIRED: an
 * error). */
static int
get_double (const struct importer *im, enum column c, bool req, double def,
            double min, double max, double *out)
{
  char field[64];
  const char *v = req ? required (im, c) : value (im, c);

  if (v == NULL) {
    if (req)
      return -1;
    *out = def;
    return 0;
  }
  snprintf (field, sizeof field, "column '%s'", columns[c].name);
  if (core_parse_double (v, field, min, max, out) == -1) {
    prefix_error (im);
    return -1;
  }
  return 0;
}

/* One of NAMES (case-insensitive), as its index; DEF when absent. */
static int
get_enum (const struct importer *im, enum column c,
          const char *const *names, size_t n, const char *expected, int def,
          int *out)
{
  const char *v = value (im, c);

  if (v == NULL) {
    *out = def;
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if (names[i] && strcasecmp (v, names[i]) == 0) {
      *out = i;
      return 0;
    }
  row_error (im, c, "expected %s, got '%s'", expected, v);
  return -1;
}

/* "virtio", "xen", "virtio;xen" (in any order) or "none". */
static int
get_pv_drivers (const struct importer *im, int def, int *out)
{
  const char *v = value (im, COL_PV_DRIVERS);
  unsigned set = 0;
  const char *p;

  if (v == NULL) {
    *out = def;
    return 0;
  }
  if (strcasecmp (v, "none") == 0) {
    *out = 0;
    return 0;
  }
  p = v;
  for (;;) {
    size_t n = strcspn (p, ";");
    size_t a = 0, b = n;
    unsigned bit = 0;

    while (a < b && is_blank (p[a]))
      a++;
    while (b > a && is_blank (p[b - 1]))
      b--;
    for (unsigned i = 0; core_pv_names[i]; i++)
      if (b - a == strlen (core_pv_names[i])
          && strncasecmp (p + a, core_pv_names[i], b - a) == 0)
        bit = 1u << i;
    if (bit == 0) {
      row_error (im, COL_PV_DRIVERS,
                 "expected virtio, xen, virtio;xen or none, got '%s'", v);
      return -1;
    }
    set |= bit;
    if (p[n] == '\0')
      break;
    p += n + 1;
  }
  *out = set;
  return 0;
}

/* Usable as a file name and as a libvirt domain name. */
static bool
valid_name (const char *s)
{
  if (*s == '.' || *s == '-')
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
          || (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'))
      return false;
  return true;
}

/* anti_affinity: names separated by ';' (a server in two sets), like
 * pv_drivers. */
static int
get_anti_affinity (const struct importer *im, core_string_vector *out)
{
  const char *v = value (im, COL_ANTI_AFFINITY);
  const char *p = v;

  if (v == NULL)
    return 0;
  for (;;) {
    size_t n = strcspn (p, ";");
    size_t a = 0, b = n;
    char *s;

    while (a < b && is_blank (p[a]))
      a++;
    while (b > a && is_blank (p[b - 1]))
      b--;
    s = core_strndup (p + a, b - a);
    if (s == NULL)
      goto fail;
    if (*s == '\0' || !valid_name (s)) {
      row_error (im, COL_ANTI_AFFINITY, "'%s' is not a valid name (letters, "
                 "digits, '.', '-', '_'; several separated by ';')", s);
      free (s);
      goto fail;
    }
    for (size_t j = 0; j < out->len; j++)
      if (strcmp (out->ptr[j], s) == 0) {
        row_error (im, COL_ANTI_AFFINITY, "'%s' is listed twice", s);
        free (s);
        goto fail;
      }
    if (core_string_vector_append (out, s) == -1) {
      free (s);
      goto fail;
    }
    if (p[n] == '\0')
      return 0;
    p += n + 1;
  }
 fail:
  core_string_vector_free (out);
  return -1;
}

/* The family when libosinfo does not know the OS: a guess from words in
 * what the user wrote. */
static enum core_os_family
guess_family (const char *os)
{
  static const char *const linux_words[] = {
    "linux", "centos", "debian", "ubuntu", "red hat", "redhat", "rhel",
    "suse", "sles", "fedora", "trixbox", "mandriva", "mandrake", "gentoo",
    "slackware", "alpine", "rocky", "almalinux", NULL
  };

  if (strcasestr (os, "windows"))
    return CORE_OS_WINDOWS;
  if (strcasestr (os, "bsd"))
    return CORE_OS_BSD;
  for (size_t i = 0; linux_words[i]; i++)
    if (strcasestr (os, linux_words[i]))
      return CORE_OS_LINUX;
  return CORE_OS_OTHER;
}

static size_t
hash_str (const char *s)
{
  uint64_t h = UINT64_C (14695981039346656037);   /* FNV-1a */

  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * UINT64_C (1099511628211);
  return (size_t) h;
}

static int
name_set_init (struct name_set *set, size_t n)
{
  size_t cap = 16, want, bytes;

  if (!core_mul_size (n, 2, &want)) {
    core_error ("too many rows");
    return -1;
  }
  while (cap < want)
    cap *= 2;                   /* want <= SIZE_MAX / 2 + 1: cannot wrap */
  if (!core_mul_size (cap, sizeof *set->slots, &bytes)) {
    core_error ("too many rows");
    return -1;
  }
  set->slots = calloc (1, bytes);
  if (set->slots == NULL) {
    core_error ("out of memory");
    return -1;
  }
  set->mask = cap - 1;
  return 0;
}

/* The name of row I of the CSV file. */
static const char *
row_name (const struct importer *im, size_t i)
{
  return im->csv->rows.ptr[i].fields.ptr[im->index[COL_NAME]];
}

/* Add the current row's name; when an earlier row has it, return that
 * row, else NULL. */
static const struct core_csv_row *
name_set_add (const struct importer *im)
{
  struct name_set *set = im->names;
  size_t i = im->row - im->csv->rows.ptr;
  const char *name = row_name (im, i);

  for (size_t h = hash_str (name) & set->mask;; h = (h + 1) & set->mask) {
    if (set->slots[h] == 0) {
      set->slots[h] = i + 1;
      return NULL;
    }
    if (strcmp (row_name (im, set->slots[h] - 1), name) == 0)
      return &im->csv->rows.ptr[set->slots[h] - 1];
  }
}

/* Remember OS, which libosinfo does not know, for the warnings. */
static int
note_unknown_os (struct importer *im, const char *os)
{
  struct unknown_os u = { .line = im->row->line, .rows = 1 };

  for (size_t i = 0; i < im->unknown.len; i++)
    if (strcmp (im->unknown.ptr[i].name, os) == 0) {
      im->unknown.ptr[i].rows++;
      return 0;
    }
  if ((u.name = core_strdup (os)) == NULL)
    return -1;
  if (unknown_os_vector_append (&im->unknown, u) == -1) {
    free (u.name);
    return -1;
  }
  return 0;
}

/* "t.csv:3: column 'os': libosinfo does not know 'Debian 12' (nearest
 * ids: debian11, debian10, debian9); ..." */
static void
warn_unknown_os (const struct importer *im)
{
  for (size_t i = 0; i < im->unknown.len; i++) {
    const struct unknown_os *u = &im->unknown.ptr[i];
    CLEANUP_FREE char *near = core_osinfo_nearest (u->name, 3);
    char more[64] = "";

    if (u->rows > 1)
      snprintf (more, sizeof more, " (and %zu more row%s)", u->rows - 1,
                u->rows > 2 ? "s" : "");
    core_warning ("%s:%zu: column 'os': libosinfo does not know '%s'%s "
                  "(%s%s); whether it has virtio drivers is unknown, so it "
                  "is planned fully virtualized: give os as a libosinfo id "
                  "to decide", im->name, u->line, u->name, more,
                  near && *near ? "nearest ids: " : "no id is near; "
                  "'osinfo-query os' lists them", near ? near : "");
  }
}

/* One row into P. */
static int
import_row (struct importer *im, struct core_profile *p)
{
  struct core_osinfo info = { .family = CORE_OS_UNSET,
                              .pv_drivers = CORE_UNSET };
  const char *v, *os;
  double disk_gib, bytes, mem_used, x;
  int found, e, pv;
  struct core_disk disk = { .rotational = CORE_UNSET };
  struct core_utilization *u = &p->utilization;
  const struct core_csv_row *first;

  p->source = core_sprintf ("%s:%zu", im->name, im->row->line);
  if (p->source == NULL)
    return -1;

  v = required (im, COL_NAME);
  if (v == NULL)
    return -1;
  if (!valid_name (v)) {
    row_error (im, COL_NAME,
               "'%s' is not a valid workload name (letters, digits, "
               "'.', '-', '_')", v);
    return -1;
  }
  first = name_set_add (im);
  if (first) {
    row_error (im, COL_NAME, "duplicate name '%s' (first on line %zu)", v,
               first->line);
    return -1;
  }
  if ((p->name = core_strdup (v)) == NULL)
    return -1;

  os = required (im, COL_OS);
  if (os == NULL)
    return -1;

  if (get_int (im, COL_CORES, 1, MAX_CORES, &p->hardware.cpu.cores) == -1)
    return -1;
  /* The same range as a profile's hardware.cpu.mhz, so that every
   * imported profile reads back. */
  if (get_double (im, COL_MHZ, true, 0, 1, MAX_MHZ,
                  &p->hardware.cpu.mhz) == -1)
    return -1;
  if (get_int (im, COL_MEMORY_MIB, 1, MAX_MEMORY_MIB,
               &p->hardware.memory_mib) == -1)
    return -1;
  if (get_double (im, COL_DISK_GIB, true, 0, 0, MAX_DISK_GIB,
                  &disk_gib) == -1)
    return -1;

  /* The utilization columns are 95th percentiles over the whole period
   * the figures were taken from (typically a day or more of monitoring).
   * They become a series of one sample with an interval of a day: one
   * sample that stands for the day, so that any percentile the planner
   * asks for is that value. */
  u->interval_s = 86400;
  if (get_double (im, COL_CPU_PCT, false, 100, 0, 100, &x) == -1
      || core_double_vector_append (&u->cpu_pct, x) == -1)
    return -1;
  if (get_double (im, COL_MEM_USED, false, p->hardware.memory_mib, 0,
                  DBL_MAX, &mem_used) == -1
      || core_double_vector_append (&u->mem_used_mib, mem_used) == -1)
    return -1;
  if (get_double (im, COL_DISK_IOPS, false, 0, 0, DBL_MAX, &x) == -1
      || core_double_vector_append (&u->disk_iops, x) == -1)
    return -1;
  if (get_double (im, COL_DISK_MBPS, false, 0, 0, DBL_MAX, &x) == -1
      || core_double_vector_append (&u->disk_mbps, x) == -1)
    return -1;
  if (get_double (im, COL_NET_MBPS, false, 0, 0, DBL_MAX, &x) == -1
      || core_double_vector_append (&u->net_mbps, x) == -1)
    return -1;

  if ((v = value (im, COL_ROLE)) && (p->role = core_strdup (v)) == NULL)
    return -1;
  if ((v = value (im, COL_GROUP)) && (p->group = core_strdup (v)) == NULL)
    return -1;
  if (get_anti_affinity (im, &p->anti_affinity) == -1)
    return -1;

  if (get_enum (im, COL_FIRMWARE, core_firmware_names + 1, 2,
                "bios or uefi", -1, &e) == -1)
    return -1;
  p->hardware.firmware = e == -1 ? CORE_FIRMWARE_UNSET : e + 1;
  if (get_enum (im, COL_VIRT, core_virt_names + 1, 3,
                "vmx, svm or none", -1, &e) == -1)
    return -1;
  p->hardware.cpu.virt = e == -1 ? CORE_VIRT_UNSET : e + 1;
  if (get_double (im, COL_WATTS, false, CORE_UNSET, 0, 1e6,
                  &p->hardware.watts) == -1)
    return -1;
  if (get_double (im, COL_GROWTH_PCT, false, CORE_UNSET, 0, 1000,
                  &p->growth_pct) == -1)
    return -1;

  /* Check pv_drivers before the (slower) OS lookup. */
  if (get_pv_drivers (im, CORE_UNSET, &pv) == -1)
    return -1;

  /* disk_gib <= 1e9, so the size fits in an int64_t; check all the same
   * in case the limit grows. */
  bytes = round (disk_gib * GIB);
  if (!(bytes < 9223372036854775808.0)) {
    row_error (im, COL_DISK_GIB, "%s GiB is too large",
               value (im, COL_DISK_GIB));
    return -1;
  }
  disk.size_bytes = (int64_t) bytes;
  if ((disk.name = core_strdup ("disk0")) == NULL)
    return -1;
  if (core_disk_vector_append (&p->hardware.disks, disk) == -1) {
    free (disk.name);
    return -1;
  }

  if ((v = value (im, COL_PASSTHROUGH))) {
    struct core_pci pci = { .passthrough = true };

    if ((pci.name = core_strdup (v)) == NULL)
      return -1;
    if (core_pci_vector_append (&p->hardware.pci, pci) == -1) {
      free (pci.name);
      return -1;
    }
  }

  found = core_osinfo_lookup (os, &info);
  if (found == -1)
    return -1;
  if (found) {
    p->os.id = info.id;
    p->os.family = info.family;
    info.id = NULL;
    /* "Oracle Linux 6" found as ol6.0 stays "Oracle Linux 6": the
     * database's name would claim a release nobody named. */
    if (info.inexact) {
      if ((p->os.name = core_strdup (os)) == NULL)
        return -1;
    }
    else {
      p->os.name = info.name;
      info.name = NULL;
    }
  }
  else {
    if ((p->os.name = core_strdup (os)) == NULL)
      return -1;
    p->os.family = guess_family (os);
    if (note_unknown_os (im, os) == -1)
      return -1;
  }
  p->os.pv_drivers = value (im, COL_PV_DRIVERS) ? pv : info.pv_drivers;
  core_osinfo_clear (&info);
  return 0;
}

int
core_import_csv_parse (const char *name, const char *buf, size_t len,
                       core_profile_vector *out)
{
  CLEANUP_FREE_CSV struct core_csv csv = { 0 };
  CLEANUP_FREE_PROFILES core_profile_vector profiles = { 0 };
  struct name_set names = { 0 };
  struct importer im = { .name = name, .csv = &csv, .names = &names };
  const struct core_csv_row *header;
  int r = -1;

  if (core_csv_parse (name, buf, len, &csv) == -1)
    return -1;
  if (csv.rows.len == 0) {
    core_error ("%s: no rows", name);
    return -1;
  }

  /* The header. */
  header = &csv.rows.ptr[0];
  for (size_t c = 0; c < NR_COLUMNS; c++)
    im.index[c] = -1;
  for (size_t i = 0; i < header->fields.len; i++) {
    const char *h = trim (header->fields.ptr[i]);
    size_t c;

    if (*h == '\0') {
      core_error_at (name, header->line, 0, "column %zu has no name", i + 1);
      return -1;
    }
    for (c = 0; c < NR_COLUMNS; c++)
      if (strcasecmp (h, columns[c].name) == 0)
        break;
    if (c == NR_COLUMNS) {
      core_error_at (name, header->line, 0, "unknown column '%s'", h);
      return -1;
    }
    if (im.index[c] >= 0) {
      core_error_at (name, header->line, 0, "duplicate column '%s'", h);
      return -1;
    }
    if (i > INT32_MAX) {
      core_error_at (name, header->line, 0, "too many columns");
      return -1;
    }
    im.index[c] = i;
  }
  for (size_t c = 0; c < NR_COLUMNS; c++)
    if (columns[c].required && im.index[c] < 0) {
      core_error_at (name, header->line, 0, "missing required column '%s'",
                     columns[c].name);
      return -1;
    }
  if (csv.rows.len == 1) {
    core_error ("%s: no rows", name);
    return -1;
  }

  /* The rows. */
  if (core_profile_vector_reserve (&profiles, csv.rows.len - 1) == -1
      || name_set_init (&names, csv.rows.len - 1) == -1)
    goto out;
  for (size_t i = 1; i < csv.rows.len; i++) {
    struct core_profile *p = core_profile_new ();

    if (p == NULL)
      goto out;
    im.row = &csv.rows.ptr[i];
    for (size_t j = 0; j < im.row->fields.len; j++)
      trim (im.row->fields.ptr[j]);
    if (import_row (&im, p) == -1) {
      core_profile_free (p);
      goto out;
    }
    /* Reserved above: cannot fail. */
    core_profile_vector_append (&profiles, p);
  }

  /* Move the profiles to OUT, all or none. */
  if (core_profile_vector_reserve (out, profiles.len) == -1)
    goto out;
  for (size_t i = 0; i < profiles.len; i++)
    out->ptr[out->len++] = profiles.ptr[i];
  core_profile_vector_reset (&profiles);
  r = 0;
  /* Warnings only for a file that read: an error says enough. */
  warn_unknown_os (&im);
 out:
  free (names.slots);
  for (size_t i = 0; i < im.unknown.len; i++)
    free (im.unknown.ptr[i].name);
  unknown_os_vector_reset (&im.unknown);
  return r;
}

int
core_import_csv (const char *path, core_profile_vector *out)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  buf = core_read_input (path, &len);
  if (buf == NULL)
    return -1;
  return core_import_csv_parse (path, buf, len, out);
}
