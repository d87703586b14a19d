/* The wizard's state and every change to it, without a terminal: the
 * screens only call these, and tests/unit/test-tui-model.c drives them
 * directly.  Values typed into forms are checked against the readers'
 * own field tables (core_schema_set), so the wizard accepts exactly what
 * the files accept.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "tui/tui.h"

const char *const tui_col_names[TUI_NCOLS] = {
  "name", "os", "cores", "memory", "disk", "cpu95", "mem95", "iops95"
};

/* The ranges, units and kinds of value are the readers' tables' own
 * (tui_*_field_range); these say only what a unit is per and what an
 * empty value means. */
const struct tui_field_info tui_host_fields[TUI_NHF] = {
  { .name = "model" },
  { .name = "cores" },
  { .name = "mhz" },
  { .name = "memory_mib" },
  { .name = "disk_gib", .empty = "no limit" },
  { .name = "disk_iops", .empty = "no limit" },
  { .name = "net_mbps", .empty = "no limit" },
  { .name = "virt" },
  { .name = "iommu" },
  { .name = "hypervisors" },
  { .name = "cost", .empty = "not given" },
  { .name = "watts", .empty = "not given" },
  { .name = "count", .empty = "no limit" },
};

const struct tui_field_info tui_policy_fields[TUI_NPF] = {
  { .name = "percentile" },
  { .name = "headroom_pct" },
  { .name = "cpu_overcommit", .per = "vCPUs per core" },
  { .name = "memory_overcommit" },
  { .name = "ha_spare_hosts", .per = "per model" },
  { .name = "thin_disks" },
  { .name = "windows_pv_drivers" },
  { .name = "allow_passthrough" },
  { .name = "separate_redundant_roles" },
  { .name = "full cpu_pct", .per = "of the guest's CPU" },
  { .name = "full cpu_mhz", .per = "per guest" },
  { .name = "full memory_mib", .per = "per guest" },
  { .name = "paravirt cpu_pct", .per = "of the guest's CPU" },
  { .name = "paravirt cpu_mhz", .per = "per guest" },
  { .name = "paravirt memory_mib", .per = "per guest" },
};

/* A bound as people write it: 65536, 1000000, 2^40, 1e9. */
static void
format_bound (double v, char *buf, size_t len)
{
  int e;

  if (v == floor (v) && fabs (v) < 1e7)
    snprintf (buf, len, "%.0f", v);
  else if (v > 0 && frexp (v, &e) == 0.5)
    snprintf (buf, len, "2^%d", e - 1);
  else if (v > 0 && v == pow (10, round (log10 (v))))
    snprintf (buf, len, "1e%.0f", log10 (v));
  else
    snprintf (buf, len, "%g", v);
}

/* NAMES from START joined with SEP, the last with LAST: "a, b or c". */
static size_t
join_names (const char *const *names, size_t start, const char *last,
            const char *sep, char *buf, size_t len)
{
  size_t n = 0, used = 0;

  while (names[start + n])
    n++;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < len; i++)
    used += snprintf (buf + used, len - used, "%s%s",
                      i == 0 ? "" : (i + 1 == n ? last : sep), names[start + i]);
  return used < len ? used : len;
}

/* What field F of a form accepts, from its reader's table: the range and
 * the unit of a number, the names of an enum, then INFO's words. */
static void
field_range (const struct core_field *f, const struct tui_field_info *info,
             char *buf, size_t len)
{
  char lo[32], hi[32];
  size_t used = 0;

  buf[0] = '\0';
  if (f == NULL)
    return;
  switch (f->type) {
  case CORE_FIELD_INT: case CORE_FIELD_INT_OR_NULL:
  case CORE_FIELD_DOUBLE: case CORE_FIELD_DOUBLE_OR_NULL:
    format_bound (f->min, lo, sizeof lo);
    format_bound (f->max, hi, sizeof hi);
    /* No top worth saying: the largest number the type holds. */
    if (f->max >= CORE_FIELD_INT_MAX)
      used = snprintf (buf, len, ">= %s", lo);
    else
      used = snprintf (buf, len, "%s..%s", lo, hi);
    /* The unit is named with what it is per ("MiB per guest"). */
    if (info->per && used < len)
      used += snprintf (buf + used, len - used, "%s%s %s", f->unit ? " " : "",
                        f->unit ? f->unit : "", info->per);
    break;
  case CORE_FIELD_BOOL: case CORE_FIELD_TRISTATE:
    used = snprintf (buf, len, "true or false");
    break;
  case CORE_FIELD_NAME:
    used = snprintf (buf, len, "a name: letters, digits, . _ -");
    break;
  case CORE_FIELD_ENUM:
    /* A NULL first slot is the enum's unset, not a name. */
    used = join_names (f->names, f->names[0] == NULL, " or ", ", ", buf, len);
    break;
  case CORE_FIELD_FLAGS:
    /* One name, or several separated by spaces. */
    used = join_names (f->names, 0, ", ", ", ", buf, len);
    if (used < len)
      used += snprintf (buf + used, len - used, " or ");
    if (used < len)
      used += join_names (f->names, 0, " ", " ", buf + used, len - used);
    break;
  default:
    break;
  }
  if (info->empty && used < len)
    snprintf (buf + used, len - used, ", empty: %s", info->empty);
}

/* The policy table's key of form field F: "full cpu_pct" is
 * overhead.full.cpu_pct in the file. */
static void
policy_key (enum tui_policy_field f, char *key, size_t len)
{
  if (f >= TUI_PF_FULL_CPU_PCT)
    snprintf (key, len, "overhead.%s", tui_policy_fields[f].name);
  else
    snprintf (key, len, "%s", tui_policy_fields[f].name);
  if (strchr (key, ' '))
    *strchr (key, ' ') = '.';
}

/* The field of T at the dotted KEY, or NULL. */
static const struct core_field *
field_at (const struct core_table *t, const char *key)
{
  const struct core_field *f = NULL;
  char part[128];

  for (const char *k = key; ; k += strcspn (k, ".") + 1) {
    snprintf (part, sizeof part, "%.*s", (int) strcspn (k, "."), k);
    if (t == NULL || (f = core_schema_field (t, part)) == NULL)
      return NULL;
    if (k[strcspn (k, ".")] == '\0')
      return f;
    t = f->sub;
  }
}

void
tui_host_field_range (enum tui_host_field f, char *buf, size_t len)
{
  if (len == 0)
    return;
  if (f >= TUI_NHF) {
    buf[0] = '\0';
    return;
  }
  field_range (core_schema_field (&core_host_model_table,
                                  tui_host_fields[f].name),
               &tui_host_fields[f], buf, len);
}

void
tui_policy_field_range (enum tui_policy_field f, char *buf, size_t len)
{
  char key[128];

  if (len == 0)
    return;
  if (f >= TUI_NPF) {
    buf[0] = '\0';
    return;
  }
  policy_key (f, key, sizeof key);
  field_range (field_at (&core_policy_table, key), &tui_policy_fields[f], buf,
               len);
}

void
tui_model_init (struct tui_model *m)
{
  memset (m, 0, sizeof *m);
  core_hosts_init (&m->hosts);
  core_policy_defaults (&m->policy);
  core_plan_init (&m->plan);
  core_plan_init (&m->sized);
  m->time_limit = 5;
  m->seed = 1;
}

void
tui_model_clear (struct tui_model *m)
{
  if (m == NULL)
    return;
  core_profiles_free (&m->profiles);
  core_string_vector_free (&m->paths);
  free (m->force);
  core_hosts_clear (&m->hosts);
  free (m->hosts_file);
  core_plan_clear (&m->plan);
  core_plan_clear (&m->sized);
  m->force = NULL;
  m->hosts_file = NULL;
}

/* Inputs changed: the plan no longer matches them. */
static void
changed (struct tui_model *m)
{
  m->dirty = true;
  m->gen++;
  if (m->planned)
    m->stale = true;
}

/* ------------------------------------------------------------------ */
/* Inventory. */

ssize_t
tui_model_add_path (struct tui_model *m, const char *path)
{
  CLEANUP_FREE_PROFILES core_profile_vector add = { 0 };
  char *paths[1] = { (char *) path };
  int *force;
  size_t total;

  if (core_load_profiles (paths, 1, &add) == -1)
    return -1;
  for (size_t i = 0; i < add.len; i++)
    for (size_t j = 0; j < m->profiles.len; j++)
      if (strcmp (add.ptr[i]->name, m->profiles.ptr[j]->name) == 0) {
        core_error ("%s: workload '%s' is loaded already (from %s)",
                    add.ptr[i]->source ? add.ptr[i]->source : path,
                    add.ptr[i]->name,
                    m->profiles.ptr[j]->source ? m->profiles.ptr[j]->source : "?");
        return -1;
      }
  if (!core_add_size (m->profiles.len, add.len, &total)
      || core_profile_vector_reserve (&m->profiles, add.len) == -1) {
    core_error ("out of memory");
    return -1;
  }
  force = realloc (m->force, (total ? total : 1) * sizeof *force);
  if (force == NULL) {
    core_error ("out of memory");
    return -1;
  }
  m->force = force;
  for (size_t i = 0; i < add.len; i++) {
    m->force[m->profiles.len] = -1;
    m->profiles.ptr[m->profiles.len++] = add.ptr[i];
  }
  total = add.len;
  add.len = 0;                  /* taken over */
  {
    char *s = core_strdup (path);
    if (s == NULL || core_string_vector_append (&m->paths, s) == -1)
      free (s);                 /* only the script's comment misses it */
  }
  changed (m);
  return (ssize_t) total;
}

void
tui_model_drop (struct tui_model *m, size_t i)
{
  if (i >= m->profiles.len)
    return;
  core_profile_free (m->profiles.ptr[i]);
  memmove (&m->profiles.ptr[i], &m->profiles.ptr[i + 1],
           (m->profiles.len - i - 1) * sizeof *m->profiles.ptr);
  memmove (&m->force[i], &m->force[i + 1],
           (m->profiles.len - i - 1) * sizeof *m->force);
  m->profiles.len--;
  m->dropped++;
  changed (m);
}

static double
pct_of (const core_double_vector *v, double pct)
{
  return v->len ? plan_percentile (v->ptr, v->len, pct) : CORE_UNSET;
}

struct tui_row
tui_model_row (const struct tui_model *m, size_t i)
{
  const struct core_profile *p = m->profiles.ptr[i];
  const struct core_utilization *u = &p->utilization;
  struct tui_row r = { 0 };
  double bytes = 0;

  r.name = p->name;
  r.os = p->os.name ? p->os.name : p->os.id ? p->os.id
    : p->os.family ? core_os_family_names[p->os.family] : "?";
  r.cores = p->hardware.cpu.cores;
  r.memory_gib = p->hardware.memory_mib / 1024.0;
  for (size_t k = 0; k < p->hardware.disks.len; k++)
    if (p->hardware.disks.ptr[k].size_bytes > 0)
      bytes += p->hardware.disks.ptr[k].size_bytes;
  r.disk_gib = bytes / (1024.0 * 1024 * 1024);
  r.cpu95_pct = pct_of (&u->cpu_pct, 95);
  r.mem95_pct = pct_of (&u->mem_used_mib, 95);
  if (r.mem95_pct != CORE_UNSET && p->hardware.memory_mib > 0)
    r.mem95_pct = 100 * r.mem95_pct / p->hardware.memory_mib;
  r.iops95 = pct_of (&u->disk_iops, 95);
  return r;
}

/* For qsort_r: the rows, the column, the order. */
struct view_sort {
  const struct tui_row *rows;
  enum tui_col col;
  bool desc;
};

static double
row_number (const struct tui_row *r, enum tui_col col)
{
  switch (col) {
  case TUI_COL_CORES: return r->cores;
  case TUI_COL_MEMORY: return r->memory_gib;
  case TUI_COL_DISK: return r->disk_gib;
  case TUI_COL_CPU95: return r->cpu95_pct;
  case TUI_COL_MEM95: return r->mem95_pct;
  case TUI_COL_IOPS: return r->iops95;
  default: return 0;
  }
}

static int
cmp_view (const void *a, const void *b, void *opaque)
{
  const struct view_sort *vs = opaque;
  struct tui_row x = vs->rows[*(const size_t *) a];
  struct tui_row y = vs->rows[*(const size_t *) b];
  int c = 0;

  if (vs->col == TUI_COL_NAME)
    c = strcmp (x.name, y.name);
  else if (vs->col == TUI_COL_OS)
    c = strcasecmp (x.os, y.os);
  else {
    double p = row_number (&x, vs->col), q = row_number (&y, vs->col);
    c = p < q ? -1 : p > q;
  }
  if (vs->desc)
    c = -c;
  return c ? c : strcmp (x.name, y.name);
}

size_t *
tui_model_view (const struct tui_model *m, enum tui_col col, bool desc,
                const char *filter, size_t *n)
{
  size_t count = m->profiles.len ? m->profiles.len : 1;
  size_t *idx = malloc (count * sizeof *idx);
  /* Rows are computed once: percentiles are not cheap to compare on. */
  struct tui_row *rows = malloc (count * sizeof *rows);
  struct view_sort vs = { rows, col, desc };

  *n = 0;
  if (idx == NULL || rows == NULL) {
    free (idx);
    free (rows);
    core_error ("out of memory");
    return NULL;
  }
  for (size_t i = 0; i < m->profiles.len; i++) {
    const struct core_profile *p = m->profiles.ptr[i];
    rows[i] = tui_model_row (m, i);
    if (filter && *filter && !strcasestr (p->name, filter)
        && !strcasestr (rows[i].os, filter)
        && !(p->role && strcasestr (p->role, filter)))
      continue;
    idx[(*n)++] = i;
  }
  qsort_r (idx, *n, sizeof *idx, cmp_view, &vs);
  free (rows);
  return idx;
}

bool
tui_model_cpu_day (const struct tui_model *m, size_t i, double *out,
                   size_t nbuckets)
{
  const struct core_utilization *u = &m->profiles.ptr[i]->utilization;
  double day = 86400, step;

  if (u->cpu_pct.len == 0 || u->interval_s <= 0 || nbuckets == 0)
    return false;
  step = day / nbuckets;
  for (size_t b = 0; b < nbuckets; b++)
    out[b] = 0;
  for (size_t k = 0; k < u->cpu_pct.len; k++) {
    /* A sample covers [k*interval, (k+1)*interval): it counts in every
     * bucket it overlaps, so that one value over the day fills them all. */
    double t0 = (double) k * u->interval_s, t1 = t0 + u->interval_s;
    for (size_t b = (size_t) (t0 / step); b < nbuckets && b * step < t1; b++)
      out[b] = fmax (out[b], u->cpu_pct.ptr[k]);
  }
  return true;
}

/* ------------------------------------------------------------------ */
/* Text checked by a reader: only what a YAML scalar of a number, a
 * name, a boolean or a list of names can hold, so that no text changes
 * another key. */

static int
check_text (const char *field, const char *text)
{
  if (*text == '\0') {
    core_error ("%s: give a value", field);
    return -1;
  }
  for (const char *c = text; *c; c++)
    if (!isalnum ((unsigned char) *c) && !strchr ("._-+ ,", *c)) {
      core_error ("%s: '%c' cannot be part of a value", field, *c);
      return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Hosts. */

int
tui_model_load_hosts (struct tui_model *m, const char *path)
{
  struct core_hosts h;
  char *file = core_strdup (path);

  if (file == NULL)
    return -1;
  core_hosts_init (&h);
  if (core_hosts_read (path, &h) == -1) {
    free (file);
    return -1;
  }
  core_hosts_clear (&m->hosts);
  m->hosts = h;
  free (m->hosts_file);
  m->hosts_file = file;
  changed (m);
  return 0;
}

static void
fmt_opt (double v, char *buf, size_t len)
{
  if (v == CORE_UNSET)
    buf[0] = '\0';
  else
    core_format_double (v, buf, len);
}

void
tui_model_host_get (const struct tui_model *m, size_t i, enum tui_host_field f,
                    char *buf, size_t len)
{
  const struct core_host_model *h = &m->hosts.models.ptr[i];

  buf[0] = '\0';
  switch (f) {
  case TUI_HF_MODEL: snprintf (buf, len, "%s", h->model); break;
  case TUI_HF_CORES: snprintf (buf, len, "%lld", (long long) h->cores); break;
  case TUI_HF_MHZ: core_format_double (h->mhz, buf, len); break;
  case TUI_HF_MEMORY: snprintf (buf, len, "%lld", (long long) h->memory_mib); break;
  case TUI_HF_DISK: fmt_opt (h->disk_gib, buf, len); break;
  case TUI_HF_IOPS: fmt_opt (h->disk_iops, buf, len); break;
  case TUI_HF_NET: fmt_opt (h->net_mbps, buf, len); break;
  case TUI_HF_VIRT:
    snprintf (buf, len, "%s", h->virt ? core_virt_names[h->virt] : "");
    break;
  case TUI_HF_IOMMU: snprintf (buf, len, "%s", h->iommu ? "true" : "false"); break;
  case TUI_HF_HYPERVISORS:
    snprintf (buf, len, "%s%s%s", h->hypervisors & CORE_HV_KVM ? "kvm" : "",
              h->hypervisors == (CORE_HV_KVM | CORE_HV_XEN) ? " " : "",
              h->hypervisors & CORE_HV_XEN ? "xen" : "");
    break;
  case TUI_HF_COST: fmt_opt (h->cost, buf, len); break;
  case TUI_HF_WATTS: fmt_opt (h->watts, buf, len); break;
  case TUI_HF_COUNT:
    if (h->count != CORE_UNSET)
      snprintf (buf, len, "%lld", (long long) h->count);
    break;
  case TUI_NHF: break;
  }
}

int
tui_model_host_set (struct tui_model *m, size_t i, enum tui_host_field f,
                    const char *text)
{
  const char *name = tui_host_fields[f].name;
  char list[256];

  if (i >= m->hosts.models.len) {
    core_error ("no host model %zu", i);
    return -1;
  }
  /* Optional numbers may be emptied; the rest need a value. */
  if (!(*text == '\0' && tui_host_fields[f].empty)
      && check_text (name, text) == -1)
    return -1;
  if (f == TUI_HF_MODEL)
    for (size_t k = 0; k < m->hosts.models.len; k++)
      if (k != i && strcmp (m->hosts.models.ptr[k].model, text) == 0) {
        core_error ("model: '%s' is in the catalog already", text);
        return -1;
      }
  /* The form takes "kvm xen"; the file, a list. */
  if (f == TUI_HF_HYPERVISORS) {
    size_t n = snprintf (list, sizeof list, "[");
    char val[256], *w, *save = NULL;

    snprintf (val, sizeof val, "%s", text);
    for (w = strtok_r (val, " ,", &save); w; w = strtok_r (NULL, " ,", &save))
      n += snprintf (list + n, n < sizeof list ? sizeof list - n : 0, "%s%s",
                     n > 1 ? ", " : "", w);
    if (n + 1 >= sizeof list) {
      core_error ("%s: too long", name);
      return -1;
    }
    snprintf (list + n, sizeof list - n, "]");
    text = list;
  }
  if (core_schema_set (&core_host_model_table, &m->hosts.models.ptr[i], name,
                       text) == -1)
    return -1;
  changed (m);
  return 0;
}

ssize_t
tui_model_host_add (struct tui_model *m, const char *name)
{
  struct core_host_model hm;

  for (size_t k = 0; k < m->hosts.models.len; k++)
    if (strcmp (m->hosts.models.ptr[k].model, name) == 0) {
      core_error ("model: '%s' is in the catalog already", name);
      return -1;
    }
  core_host_model_init (&hm);
  /* A small current two-socket server, for the user to edit. */
  hm.model = core_strdup ("new");
  hm.cores = 16;
  hm.mhz = 2400;
  hm.memory_mib = 131072;
  hm.virt = CORE_VIRT_VMX;
  hm.iommu = true;
  hm.hypervisors = CORE_HV_KVM;
  if (hm.model == NULL || core_host_model_vector_append (&m->hosts.models, hm) == -1) {
    free (hm.model);
    return -1;
  }
  if (tui_model_host_set (m, m->hosts.models.len - 1, TUI_HF_MODEL, name) == -1) {
    tui_model_host_drop (m, m->hosts.models.len - 1);
    return -1;
  }
  changed (m);
  return m->hosts.models.len - 1;
}

void
tui_model_host_drop (struct tui_model *m, size_t i)
{
  core_host_model_vector *v = &m->hosts.models;

  if (i >= v->len)
    return;
  free (v->ptr[i].model);
  memmove (&v->ptr[i], &v->ptr[i + 1], (v->len - i - 1) * sizeof *v->ptr);
  v->len--;
  changed (m);
}

/* ------------------------------------------------------------------ */
/* Policy. */

bool
tui_policy_field_is_bool (enum tui_policy_field f)
{
  return f == TUI_PF_THIN_DISKS || f == TUI_PF_WINDOWS_PV || f == TUI_PF_PASSTHROUGH
    || f == TUI_PF_REDUNDANT;
}

int
tui_model_load_policy (struct tui_model *m, const char *path)
{
  struct core_policy p;

  if (core_policy_read (path, &p) == -1)
    return -1;
  m->policy = p;
  changed (m);
  return 0;
}

void
tui_model_policy_get (const struct tui_model *m, enum tui_policy_field f,
                      char *buf, size_t len)
{
  const struct core_policy *p = &m->policy;
  double v = 0;

  switch (f) {
  case TUI_PF_PERCENTILE: v = p->percentile; break;
  case TUI_PF_HEADROOM: v = p->headroom_pct; break;
  case TUI_PF_CPU_OVERCOMMIT: v = p->cpu_overcommit; break;
  case TUI_PF_MEMORY_OVERCOMMIT: v = p->memory_overcommit; break;
  case TUI_PF_HA_SPARES: v = p->ha_spare_hosts; break;
  case TUI_PF_THIN_DISKS: snprintf (buf, len, "%s", p->thin_disks ? "true" : "false"); return;
  case TUI_PF_WINDOWS_PV: snprintf (buf, len, "%s", p->windows_pv_drivers ? "true" : "false"); return;
  case TUI_PF_PASSTHROUGH: snprintf (buf, len, "%s", p->allow_passthrough ? "true" : "false"); return;
  case TUI_PF_REDUNDANT: snprintf (buf, len, "%s", p->separate_redundant_roles ? "true" : "false"); return;
  case TUI_PF_FULL_CPU_PCT: v = p->overhead_full.cpu_pct; break;
  case TUI_PF_FULL_CPU_MHZ: v = p->overhead_full.cpu_mhz; break;
  case TUI_PF_FULL_MEMORY: v = p->overhead_full.memory_mib; break;
  case TUI_PF_PV_CPU_PCT: v = p->overhead_paravirt.cpu_pct; break;
  case TUI_PF_PV_CPU_MHZ: v = p->overhead_paravirt.cpu_mhz; break;
  case TUI_PF_PV_MEMORY: v = p->overhead_paravirt.memory_mib; break;
  case TUI_NPF: buf[0] = '\0'; return;
  }
  core_format_double (v, buf, len);
}

int
tui_model_policy_set (struct tui_model *m, enum tui_policy_field f,
                      const char *text)
{
  struct core_policy p = m->policy;
  char key[128];

  if (check_text (tui_policy_fields[f].name, text) == -1)
    return -1;
  policy_key (f, key, sizeof key);
  if (core_schema_set (&core_policy_table, &p, key, text) == -1)
    return -1;
  if (!core_policy_equal (&p, &m->policy)) {
    m->policy = p;
    changed (m);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Decisions. */

unsigned
tui_model_modes (const struct tui_model *m, size_t i, char why[3][512])
{
  const struct core_profile *p = m->profiles.ptr[i];
  struct plan_guest g;
  unsigned mask = 1u << CORE_MODE_PHYSICAL;
  char first_no[512] = "";

  for (int k = 0; k < 3; k++)
    why[k][0] = '\0';
  plan_guest_resolve (p, &g);
  for (size_t t = 0; t < m->hosts.models.len; t++) {
    const struct core_host_model *hm = &m->hosts.models.ptr[t];
    for (unsigned hv = CORE_HV_KVM; hv <= CORE_HV_XEN; hv <<= 1) {
      char s[512];
      int mode;
      if (!(hm->hypervisors & hv))
        continue;
      mode = plan_mode_on (p, &g, hm, hv, &m->policy, s, sizeof s);
      if (mode < 0) {
        if (first_no[0] == '\0')
          snprintf (first_no, sizeof first_no, "%s", s);
        continue;
      }
      if (!(mask & (1u << mode)))
        snprintf (why[mode], sizeof why[mode], "%s (model %s)", s, hm->model);
      mask |= 1u << mode;
    }
  }
  snprintf (why[CORE_MODE_PHYSICAL], sizeof why[CORE_MODE_PHYSICAL],
            "It can always stay on its own hardware.");
  for (int mode = CORE_MODE_PARAVIRT; mode <= CORE_MODE_FULL; mode++) {
    if (mask & (1u << mode))
      continue;
    if (m->hosts.models.len == 0)
      snprintf (why[mode], sizeof why[mode], "The host catalog is empty.");
    else if (mask & (1u << !mode)) {
      char other[512];
      snprintf (other, sizeof other, "%s", why[!mode]);
      snprintf (why[mode], sizeof why[mode], "The rules give %s on every host "
                "model of the catalog, never %s: %s", core_mode_names[!mode],
                core_mode_names[mode], other);
    }
    else
      snprintf (why[mode], sizeof why[mode], "No host model of the catalog can "
                "run it: %s", first_no);
  }
  return mask;
}

int
tui_model_force (struct tui_model *m, size_t i, int mode)
{
  char why[3][512];

  if (i >= m->profiles.len) {
    core_error ("no workload %zu", i);
    return -1;
  }
  if (mode >= 0) {
    unsigned mask = tui_model_modes (m, i, why);
    if (mode > CORE_MODE_PHYSICAL || !(mask & (1u << mode))) {
      core_error ("%s cannot be forced to %s: %s", m->profiles.ptr[i]->name,
                  mode > CORE_MODE_PHYSICAL ? "?" : core_mode_names[mode],
                  mode > CORE_MODE_PHYSICAL ? "no such mode" : why[mode]);
      return -1;
    }
  }
  if (m->force[i] != mode) {
    m->force[i] = mode;
    changed (m);
  }
  return 0;
}

const struct core_plan_workload *
tui_model_decision (const struct tui_model *m, size_t i)
{
  if (!m->planned || i >= m->profiles.len)
    return NULL;
  for (size_t k = 0; k < m->plan.workloads.len; k++)
    if (strcmp (m->plan.workloads.ptr[k].name, m->profiles.ptr[i]->name) == 0)
      return &m->plan.workloads.ptr[k];
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Plan. */

void
tui_model_plan_config (const struct tui_model *m, struct plan_config *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->profiles = &m->profiles;
  cfg->hosts = &m->hosts;
  cfg->policy = m->policy;
  cfg->time_limit = m->time_limit;
  cfg->seed = m->seed;
  cfg->force = m->force;
}

void
tui_model_set_plan (struct tui_model *m, struct core_plan *plan)
{
  core_plan_clear (&m->plan);
  m->plan = *plan;
  core_plan_init (plan);
  m->planned = true;
  m->stale = false;
  m->moves = 0;
  m->dirty = true;
}

ssize_t
tui_model_take_sizing (struct tui_model *m, struct core_plan *plan)
{
  core_host_model_vector *v = &m->hosts.models;
  struct core_host_model hm;
  size_t i;

  if (!plan->sizing.given) {
    core_error ("the sizing gave no spec");
    return -1;
  }
  if (plan_sized_model (&plan->sizing, "sized", &hm) == -1)
    return -1;
  /* Sizing again replaces the last spec rather than piling up models. */
  for (i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i].model, "sized") == 0)
      break;
  if (i < v->len) {
    free (v->ptr[i].model);
    v->ptr[i] = hm;
  }
  else if (core_host_model_vector_append (v, hm) == -1) {
    free (hm.model);
    return -1;
  }
  core_plan_clear (&m->sized);
  m->sized = *plan;
  core_plan_init (plan);
  changed (m);
  m->sized_gen = m->gen;
  return i;
}

int
tui_model_move (struct tui_model *m, const char *workload, const char *host,
                char **why)
{
  int r;

  *why = NULL;
  if (!m->planned) {
    core_error ("there is no plan yet: plan first");
    return -1;
  }
  if (m->stale) {
    core_error ("the inputs changed since the plan was made: plan again first");
    return -1;
  }
  /* A forced mode holds on the new host too. */
  for (size_t i = 0; i < m->profiles.len; i++) {
    const struct core_profile *p = m->profiles.ptr[i];
    if (strcmp (p->name, workload) != 0 || m->force[i] < 0)
      continue;
    for (size_t h = 0; h < m->plan.hosts.len; h++) {
      const struct core_plan_host *ph = &m->plan.hosts.ptr[h];
      if (strcmp (ph->name, host) != 0)
        continue;
      for (size_t k = 0; k < m->hosts.models.len; k++) {
        struct plan_guest g;
        char s[512];
        int mode;
        if (strcmp (m->hosts.models.ptr[k].model, ph->model) != 0)
          continue;
        plan_guest_resolve (p, &g);
        mode = plan_mode_on (p, &g, &m->hosts.models.ptr[k], ph->hypervisor,
                             &m->plan.policy, s, sizeof s);
        if (mode >= 0 && mode != m->force[i]) {
          *why = core_sprintf ("%s is forced to %s, and on %s the rules give %s\n",
                               workload, core_mode_names[m->force[i]], host,
                               core_mode_names[mode]);
          return *why ? 1 : -1;
        }
      }
    }
  }
  r = plan_move (&m->plan, &m->profiles, &m->hosts, workload, host, why);
  if (r == 0) {
    m->moves++;
    m->dirty = true;
  }
  return r;
}

int64_t
tui_model_hosts_used (const struct tui_model *m)
{
  int64_t n = 0;

  for (size_t h = 0; h < m->plan.hosts.len; h++)
    n += !m->plan.hosts.ptr[h].spare;
  return n;
}
