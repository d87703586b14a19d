/* Writers of the four YAML formats, through libyaml's emitter so that
 * every string is quoted correctly.  Layout follows docs/formats.md:
 * block mappings, list items and small records in flow style, series on
 * one line.  What the reader would read as unset is not written. */
#include <string.h>
#include <yaml.h>

#include "core.h"

/* The emitter the writers share (converter/report.c uses it too). */

void
core_yw_emit (struct core_yaml_writer *w, yaml_event_t *ev)
{
  if (w->failed)
    return;
  if (!yaml_emitter_emit (&w->e, ev)) {
    w->failed = true;
    core_error ("YAML emitter: %s", w->e.problem ? w->e.problem : "write error");
  }
}

void
core_yw_map_begin (struct core_yaml_writer *w, bool flow)
{
  yaml_event_t ev;

  yaml_mapping_start_event_initialize (&ev, NULL, NULL, 1,
                                       flow ? YAML_FLOW_MAPPING_STYLE
                                       : YAML_BLOCK_MAPPING_STYLE);
  core_yw_emit (w, &ev);
}

void
core_yw_map_end (struct core_yaml_writer *w)
{
  yaml_event_t ev;

  yaml_mapping_end_event_initialize (&ev);
  core_yw_emit (w, &ev);
}

void
core_yw_seq_begin (struct core_yaml_writer *w, bool flow)
{
  yaml_event_t ev;

  yaml_sequence_start_event_initialize (&ev, NULL, NULL, 1,
                                        flow ? YAML_FLOW_SEQUENCE_STYLE
                                        : YAML_BLOCK_SEQUENCE_STYLE);
  core_yw_emit (w, &ev);
}

void
core_yw_seq_end (struct core_yaml_writer *w)
{
  yaml_event_t ev;

  yaml_sequence_end_event_initialize (&ev);
  core_yw_emit (w, &ev);
}

void
core_yw_scalar (struct core_yaml_writer *w, const char *s, yaml_scalar_style_t style)
{
  yaml_event_t ev;

  yaml_scalar_event_initialize (&ev, NULL, NULL, (yaml_char_t *) s,
                                strlen (s), 1, 1, style);
  core_yw_emit (w, &ev);
}

static int
output_handler (void *data, unsigned char *buffer, size_t size)
{
  return fwrite (buffer, 1, size, data) == size;
}

void
core_yw_begin (struct core_yaml_writer *w, FILE *fp, int width)
{
  yaml_event_t ev;

  memset (w, 0, sizeof *w);
  if (!yaml_emitter_initialize (&w->e)) {
    w->failed = true;
    core_error ("cannot initialize the YAML emitter");
    return;
  }
  w->fp = fp;
  yaml_emitter_set_output (&w->e, output_handler, fp);
  yaml_emitter_set_unicode (&w->e, 1);
  yaml_emitter_set_width (&w->e, width);
  yaml_emitter_set_indent (&w->e, 2);
  yaml_stream_start_event_initialize (&ev, YAML_UTF8_ENCODING);
  core_yw_emit (w, &ev);
  yaml_document_start_event_initialize (&ev, NULL, NULL, NULL, 1);
  core_yw_emit (w, &ev);
}

int
core_yw_end (struct core_yaml_writer *w)
{
  yaml_event_t ev;
  bool initialized = w->fp != NULL;

  yaml_document_end_event_initialize (&ev, 1);
  core_yw_emit (w, &ev);
  yaml_stream_end_event_initialize (&ev);
  core_yw_emit (w, &ev);
  if (!w->failed && !yaml_emitter_flush (&w->e)) {
    w->failed = true;
    core_error ("YAML emitter: write error");
  }
  if (initialized)
    yaml_emitter_delete (&w->e);
  if (!w->failed && (fflush (w->fp) != 0 || ferror (w->fp))) {
    core_error_errno ("write error");
    w->failed = true;
  }
  return w->failed ? -1 : 0;
}

/* A string that a YAML reader would not take for a string when written
 * plain (a number, a boolean, null, a date...) is double-quoted; anything
 * else is left to the emitter, which quotes what needs quoting. */
static bool
needs_quotes (const char *s)
{
  static const char *const words[] =
    { "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n", NULL };
  char *end;

  if (*s == '\0')
    return true;
  for (int i = 0; words[i]; i++)
    if (strcasecmp (s, words[i]) == 0)
      return true;
  strtod (s, &end);
  if (*end == '\0')
    return true;
  /* Digits with ':', '-' or '.' may be sexagesimals, dates or versions:
   * quote anything that starts with a digit and holds no letter... */
  if ((s[0] >= '0' && s[0] <= '9') || s[0] == '.' || s[0] == '+' || s[0] == '-')
    return true;
  return false;
}

static void
str (struct core_yaml_writer *w, const char *s)
{
  core_yw_scalar (w, s, needs_quotes (s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
              : YAML_ANY_SCALAR_STYLE);
}

static void
key (struct core_yaml_writer *w, const char *k)
{
  core_yw_scalar (w, k, YAML_PLAIN_SCALAR_STYLE);
}

static void
num (struct core_yaml_writer *w, double v)
{
  char buf[64];

  core_format_double (v, buf, sizeof buf);
  core_yw_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void
integer (struct core_yaml_writer *w, int64_t v)
{
  char buf[32];

  snprintf (buf, sizeof buf, "%lld", (long long) v);
  core_yw_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void
null (struct core_yaml_writer *w)
{
  core_yw_scalar (w, "null", YAML_PLAIN_SCALAR_STYLE);
}

static void
boolean (struct core_yaml_writer *w, bool b)
{
  core_yw_scalar (w, b ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
}

/* key: value pairs that are skipped when unset. */
static void
kv_str (struct core_yaml_writer *w, const char *k, const char *v)
{
  if (v) {
    key (w, k);
    str (w, v);
  }
}

static void
kv_int (struct core_yaml_writer *w, const char *k, int64_t v)
{
  if (v != CORE_UNSET) {
    key (w, k);
    integer (w, v);
  }
}

static void
kv_num (struct core_yaml_writer *w, const char *k, double v)
{
  if (v != CORE_UNSET) {
    key (w, k);
    num (w, v);
  }
}

static void
kv_bool (struct core_yaml_writer *w, const char *k, bool v)
{
  key (w, k);
  boolean (w, v);
}

static void
kv_enum (struct core_yaml_writer *w, const char *k, const char *const *names, int v)
{
  if (names[v]) {
    key (w, k);
    core_yw_scalar (w, names[v], YAML_PLAIN_SCALAR_STYLE);
  }
}

static void
kv_flags (struct core_yaml_writer *w, const char *k, const char *const *names,
          unsigned flags)
{
  key (w, k);
  core_yw_seq_begin (w, true);
  for (int i = 0; names[i]; i++)
    if (flags & (1u << i))
      core_yw_scalar (w, names[i], YAML_PLAIN_SCALAR_STYLE);
  core_yw_seq_end (w);
}

static void
kv_series (struct core_yaml_writer *w, const char *k, const core_double_vector *v)
{
  if (v->len == 0)
    return;
  key (w, k);
  core_yw_seq_begin (w, true);
  for (size_t i = 0; i < v->len; i++)
    num (w, v->ptr[i]);
  core_yw_seq_end (w);
}

static void
kv_strings (struct core_yaml_writer *w, const char *k, const core_string_vector *v,
            bool flow)
{
  key (w, k);
  core_yw_seq_begin (w, flow);
  for (size_t i = 0; i < v->len; i++)
    str (w, v->ptr[i]);
  core_yw_seq_end (w);
}

/* The fields of OBJ, a struct of T, in T's order, each as the kv_
 * writers above write it.  SKIP fields (schema) are the caller's; a type
 * without a plain writing (the formats whose writers are still written
 * out by hand use them) fails the document rather than leave it out. */
static void
write_fields (struct core_yaml_writer *w, const struct core_table *t,
              const void *obj)
{
  for (size_t i = 0; i < t->n; i++) {
    const struct core_field *f = &t->fields[i];
    const void *p = (const char *) obj + f->offset;
    /* Every vector of DEFINE_VECTOR_TYPE has this layout. */
    const struct { const char *ptr; size_t len, cap; } *v = p;

    switch (f->type) {
    case CORE_FIELD_SKIP:
      break;
    case CORE_FIELD_STRING: case CORE_FIELD_NAME:
      kv_str (w, f->key, *(char *const *) p);
      break;
    case CORE_FIELD_INT:
      kv_int (w, f->key, *(const int64_t *) p);
      break;
    case CORE_FIELD_DOUBLE:
      kv_num (w, f->key, *(const double *) p);
      break;
    case CORE_FIELD_BOOL:
      kv_bool (w, f->key, *(const bool *) p);
      break;
    case CORE_FIELD_ENUM:
      kv_enum (w, f->key, f->names, *(const int *) p);
      break;
    case CORE_FIELD_FLAGS:
      kv_flags (w, f->key, f->names, *(const unsigned *) p);
      break;
    case CORE_FIELD_SERIES:
      kv_series (w, f->key, p);
      break;
    case CORE_FIELD_STRINGS:
      /* Empty is absent: the readers refuse an empty list. */
      if (((const core_string_vector *) p)->len)
        kv_strings (w, f->key, p, true);
      break;
    case CORE_FIELD_STRUCT:
      key (w, f->key);
      core_yw_map_begin (w, f->sub->flow);
      write_fields (w, f->sub, p);
      core_yw_map_end (w);
      break;
    case CORE_FIELD_VECTOR:
      key (w, f->key);
      core_yw_seq_begin (w, false);
      for (size_t j = 0; j < v->len; j++) {
        core_yw_map_begin (w, f->sub->flow);
        write_fields (w, f->sub, v->ptr + j * f->sub->size);
        core_yw_map_end (w);
      }
      core_yw_seq_end (w);
      break;
    default:
      if (!w->failed)
        core_error ("%s: no writer for a field of type %d", f->key, f->type);
      w->failed = true;
      break;
    }
  }
}

/* Profile ----------------------------------------------------------- */

static void
write_hardware (struct core_yaml_writer *w, const struct core_hardware *hw)
{
  key (w, "hardware");
  core_yw_map_begin (w, false);
  kv_str (w, "vendor", hw->vendor);
  kv_str (w, "product", hw->product);
  kv_enum (w, "firmware", core_firmware_names, hw->firmware);
  key (w, "cpu");
  core_yw_map_begin (w, true);
  kv_str (w, "model", hw->cpu.model);
  kv_int (w, "sockets", hw->cpu.sockets);
  kv_int (w, "cores", hw->cpu.cores);
  kv_int (w, "threads", hw->cpu.threads);
  kv_num (w, "mhz", hw->cpu.mhz);
  kv_enum (w, "virt", core_virt_names, hw->cpu.virt);
  core_yw_map_end (w);
  kv_int (w, "memory_mib", hw->memory_mib);
  kv_num (w, "watts", hw->watts);
  if (hw->disks.len) {
    key (w, "disks");
    core_yw_seq_begin (w, false);
    for (size_t i = 0; i < hw->disks.len; i++) {
      const struct core_disk *d = &hw->disks.ptr[i];
      core_yw_map_begin (w, true);
      kv_str (w, "name", d->name);
      kv_int (w, "size_bytes", d->size_bytes);
      kv_str (w, "model", d->model);
      if (d->rotational != CORE_UNSET)
        kv_bool (w, "rotational", d->rotational);
      core_yw_map_end (w);
    }
    core_yw_seq_end (w);
  }
  if (hw->filesystems.len) {
    key (w, "filesystems");
    core_yw_seq_begin (w, false);
    for (size_t i = 0; i < hw->filesystems.len; i++) {
      const struct core_filesystem *f = &hw->filesystems.ptr[i];
      core_yw_map_begin (w, true);
      kv_str (w, "mount", f->mount);
      kv_str (w, "device", f->device);
      kv_str (w, "type", f->type);
      kv_int (w, "size_bytes", f->size_bytes);
      kv_int (w, "used_bytes", f->used_bytes);
      core_yw_map_end (w);
    }
    core_yw_seq_end (w);
  }
  if (hw->nics.len) {
    key (w, "nics");
    core_yw_seq_begin (w, false);
    for (size_t i = 0; i < hw->nics.len; i++) {
      const struct core_nic *n = &hw->nics.ptr[i];
      core_yw_map_begin (w, true);
      kv_str (w, "name", n->name);
      kv_str (w, "mac", n->mac);
      kv_int (w, "speed_mbps", n->speed_mbps);
      kv_str (w, "driver", n->driver);
      core_yw_map_end (w);
    }
    core_yw_seq_end (w);
  }
  if (hw->pci.len) {
    key (w, "pci");
    core_yw_seq_begin (w, false);
    for (size_t i = 0; i < hw->pci.len; i++) {
      const struct core_pci *d = &hw->pci.ptr[i];
      core_yw_map_begin (w, true);
      kv_str (w, "address", d->address);
      kv_str (w, "vendor", d->vendor);
      kv_str (w, "device", d->device);
      kv_str (w, "class", d->class_);
      kv_str (w, "driver", d->driver);
      kv_str (w, "name", d->name);
      if (d->passthrough)
        kv_bool (w, "passthrough", true);
      core_yw_map_end (w);
    }
    core_yw_seq_end (w);
  }
  core_yw_map_end (w);
}

static void
write_os (struct core_yaml_writer *w, const struct core_os *os)
{
  if (os->family == CORE_OS_UNSET && !os->id && !os->name && !os->kernel
      && !os->arch && os->pv_drivers == CORE_UNSET)
    return;
  key (w, "os");
  core_yw_map_begin (w, false);
  kv_enum (w, "family", core_os_family_names, os->family);
  kv_str (w, "id", os->id);
  kv_str (w, "name", os->name);
  kv_str (w, "kernel", os->kernel);
  kv_str (w, "arch", os->arch);
  if (os->pv_drivers != CORE_UNSET)
    kv_flags (w, "pv_drivers", core_pv_names, os->pv_drivers);
  core_yw_map_end (w);
}

int
core_profile_write (FILE *fp, const struct core_profile *p)
{
  struct core_yaml_writer w;
  const struct core_utilization *u = &p->utilization;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", CORE_SCHEMA_PROFILE);
  kv_str (&w, "name", p->name);
  kv_str (&w, "collected_at", p->collected_at);
  kv_str (&w, "role", p->role);
  kv_str (&w, "group", p->group);
  if (p->anti_affinity.len == 1)
    kv_str (&w, "anti_affinity", p->anti_affinity.ptr[0]);
  else if (p->anti_affinity.len > 1)
    kv_strings (&w, "anti_affinity", &p->anti_affinity, true);
  kv_num (&w, "growth_pct", p->growth_pct);
  write_hardware (&w, &p->hardware);
  write_os (&w, &p->os);
  if (p->services.len) {
    key (&w, "services");
    core_yw_seq_begin (&w, false);
    for (size_t i = 0; i < p->services.len; i++) {
      const struct core_service *s = &p->services.ptr[i];
      core_yw_map_begin (&w, true);
      kv_str (&w, "name", s->name);
      kv_enum (&w, "proto", core_proto_names, s->proto);
      kv_int (&w, "port", s->port);
      core_yw_map_end (&w);
    }
    core_yw_seq_end (&w);
  }
  if (u->interval_s != CORE_UNSET) {
    key (&w, "utilization");
    core_yw_map_begin (&w, false);
    kv_int (&w, "interval_s", u->interval_s);
    kv_series (&w, "cpu_pct", &u->cpu_pct);
    kv_series (&w, "mem_used_mib", &u->mem_used_mib);
    kv_series (&w, "disk_iops", &u->disk_iops);
    kv_series (&w, "disk_mbps", &u->disk_mbps);
    kv_series (&w, "net_mbps", &u->net_mbps);
    core_yw_map_end (&w);
  }
  core_yw_map_end (&w);
  return core_yw_end (&w);
}

/* Host catalog ------------------------------------------------------ */

/* Also the items of a plan's `models`. */
static void
write_host_model (struct core_yaml_writer *w, const struct core_host_model *m)
{
  core_yw_map_begin (w, false);
  write_fields (w, &core_host_model_table, m);
  core_yw_map_end (w);
}

int
core_hosts_write (FILE *fp, const struct core_hosts *h)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", CORE_SCHEMA_HOSTS);
  write_fields (&w, &core_hosts_table, h);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}

/* Policy ------------------------------------------------------------ */

int
core_policy_write (FILE *fp, const struct core_policy *p)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", CORE_SCHEMA_POLICY);
  write_fields (&w, &core_policy_table, p);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}

/* Plan -------------------------------------------------------------- */

static void
kv_num_or_null (struct core_yaml_writer *w, const char *k, double v)
{
  key (w, k);
  if (v == CORE_UNSET)
    null (w);
  else
    num (w, v);
}

static void
write_plan_server (struct core_yaml_writer *w, const struct core_plan_server *s)
{
  key (w, "server");
  core_yw_map_begin (w, true);
  kv_str (w, "machine", s->machine);
  kv_int (w, "cores", s->cores);
  kv_num (w, "mhz", s->mhz);
  kv_int (w, "memory_mib", s->memory_mib);
  kv_enum (w, "virt", core_virt_names, s->virt);
  kv_enum (w, "firmware", core_firmware_names, s->firmware);
  if (s->disks.len)
    kv_strings (w, "disks", &s->disks, true);
  kv_num (w, "disk_gib", s->disk_gib);
  kv_num (w, "used_gib", s->used_gib);
  kv_str (w, "os", s->os);
  kv_enum (w, "family", core_os_family_names, s->family);
  kv_str (w, "role", s->role);
  kv_str (w, "group", s->group);
  if (s->services.len)
    kv_strings (w, "services", &s->services, true);
  kv_num (w, "watts", s->watts);
  core_yw_map_end (w);
}

static void
kv_dim (struct core_yaml_writer *w, const char *k, const struct core_size_dim *d)
{
  key (w, k);
  core_yw_map_begin (w, true);
  kv_num (w, "need", d->need);
  kv_num (w, "spec", d->spec);
  core_yw_map_end (w);
}

static void
kv_runs_out (struct core_yaml_writer *w, const struct core_runs_out *r)
{
  key (w, "runs_out");
  if (r->month == CORE_UNSET) {
    null (w);
    return;
  }
  core_yw_map_begin (w, true);
  kv_int (w, "month", r->month);
  kv_enum (w, "resource", core_resource_names, r->resource);
  core_yw_map_end (w);
}

static void
write_sizing (struct core_yaml_writer *w, const struct core_plan_sizing *s)
{
  key (w, "sizing");
  core_yw_map_begin (w, false);
  kv_int (w, "hosts", s->hosts);
  kv_int (w, "spare_hosts", s->spare_hosts);
  kv_num (w, "core_mhz", s->core_mhz);
  kv_dim (w, "cores", &s->cores);
  kv_dim (w, "memory_gib", &s->memory_gib);
  kv_dim (w, "disk_gb", &s->disk_gb);
  kv_dim (w, "disk_iops", &s->disk_iops);
  kv_dim (w, "net_mbps", &s->net_mbps);
  kv_dim (w, "nic_ports", &s->nic_ports);
  kv_num (w, "port_mbps", s->port_mbps);
  key (w, "binding");
  core_yw_map_begin (w, true);
  kv_enum (w, "resource", core_resource_names, s->binding);
  key (w, "interval");
  if (s->interval)
    str (w, s->interval);
  else
    null (w);
  kv_num (w, "used_pct", s->binding_pct);
  core_yw_map_end (w);
  key (w, "features");
  core_yw_seq_begin (w, false);
  if (s->virt.len) {
    core_yw_map_begin (w, true);
    kv_str (w, "feature", "virt");
    kv_strings (w, "workloads", &s->virt, true);
    core_yw_map_end (w);
  }
  if (s->iommu.len) {
    core_yw_map_begin (w, true);
    kv_str (w, "feature", "iommu");
    kv_strings (w, "workloads", &s->iommu, true);
    core_yw_map_end (w);
  }
  core_yw_seq_end (w);
  if (s->has_runs_out)
    kv_runs_out (w, &s->runs_out);
  kv_strings (w, "reasons", &s->reasons, false);
  core_yw_map_end (w);
}

static void
write_growth (struct core_yaml_writer *w, const struct core_plan_growth *g)
{
  key (w, "growth");
  core_yw_map_begin (w, false);
  kv_num (w, "pct", g->pct);
  kv_int (w, "years", g->years);
  key (w, "hosts");
  core_yw_seq_begin (w, false);
  for (size_t i = 0; i < g->hosts.len; i++) {
    const struct core_plan_growth_host *h = &g->hosts.ptr[i];
    core_yw_map_begin (w, false);
    kv_str (w, "host", h->host);
    kv_runs_out (w, &h->runs_out);
    key (w, "peak_pct");
    core_yw_seq_begin (w, true);
    for (size_t m = 0; m < h->peak_pct.len; m++)
      num (w, h->peak_pct.ptr[m]);
    core_yw_seq_end (w);
    core_yw_map_end (w);
  }
  core_yw_seq_end (w);
  kv_strings (w, "reasons", &g->reasons, false);
  core_yw_map_end (w);
}

int
core_plan_write (FILE *fp, const struct core_plan *plan)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", CORE_SCHEMA_PLAN);

  key (&w, "summary");
  core_yw_map_begin (&w, false);
  kv_int (&w, "workloads", plan->summary.workloads);
  kv_int (&w, "placed", plan->summary.placed);
  kv_int (&w, "unplaced", plan->summary.unplaced);
  kv_int (&w, "hosts_used", plan->summary.hosts_used);
  key (&w, "lower_bound");
  if (plan->summary.lower_bound == CORE_UNSET)
    null (&w);
  else
    integer (&w, plan->summary.lower_bound);
  kv_num_or_null (&w, "cost", plan->summary.cost);
  kv_num_or_null (&w, "watts_before", plan->summary.watts_before);
  kv_num_or_null (&w, "watts_after", plan->summary.watts_after);
  core_yw_map_end (&w);

  key (&w, "policy");
  core_yw_map_begin (&w, false);
  write_fields (&w, &core_policy_table, &plan->policy);
  core_yw_map_end (&w);

  if (plan->models.len) {
    key (&w, "models");
    core_yw_seq_begin (&w, false);
    for (size_t i = 0; i < plan->models.len; i++)
      write_host_model (&w, &plan->models.ptr[i]);
    core_yw_seq_end (&w);
  }

  key (&w, "hosts");
  core_yw_seq_begin (&w, false);
  for (size_t i = 0; i < plan->hosts.len; i++) {
    const struct core_plan_host *h = &plan->hosts.ptr[i];
    core_yw_map_begin (&w, false);
    kv_str (&w, "name", h->name);
    kv_str (&w, "model", h->model);
    key (&w, "hypervisor");
    core_yw_scalar (&w, h->hypervisor == CORE_HV_XEN ? "xen" : "kvm",
                YAML_PLAIN_SCALAR_STYLE);
    kv_bool (&w, "spare", h->spare);
    kv_strings (&w, "workloads", &h->workloads, true);
    key (&w, "peak");
    core_yw_map_begin (&w, true);
    kv_num (&w, "cpu_pct", h->peak.cpu_pct);
    kv_num (&w, "memory_pct", h->peak.memory_pct);
    kv_num (&w, "disk_pct", h->peak.disk_pct);
    kv_num (&w, "iops_pct", h->peak.iops_pct);
    kv_num (&w, "net_pct", h->peak.net_pct);
    core_yw_map_end (&w);
    if (h->series.cpu_mhz.len) {
      key (&w, "series");
      core_yw_map_begin (&w, false);
      kv_int (&w, "interval_s", h->series.interval_s);
      kv_series (&w, "cpu_mhz", &h->series.cpu_mhz);
      core_yw_map_end (&w);
    }
    core_yw_map_end (&w);
  }
  core_yw_seq_end (&w);

  key (&w, "workloads");
  core_yw_seq_begin (&w, false);
  for (size_t i = 0; i < plan->workloads.len; i++) {
    const struct core_plan_workload *wl = &plan->workloads.ptr[i];
    core_yw_map_begin (&w, false);
    kv_str (&w, "name", wl->name);
    key (&w, "host");
    if (wl->host)
      str (&w, wl->host);
    else
      null (&w);
    kv_enum (&w, "mode", core_mode_names, wl->mode);
    kv_int (&w, "vcpus", wl->vcpus);
    kv_int (&w, "memory_mib", wl->memory_mib);
    key (&w, "demand");
    core_yw_map_begin (&w, true);
    kv_num (&w, "cpu_mhz", wl->demand.cpu_mhz);
    kv_num (&w, "memory_mib", wl->demand.memory_mib);
    kv_num (&w, "disk_gib", wl->demand.disk_gib);
    kv_num (&w, "iops", wl->demand.iops);
    kv_num (&w, "net_mbps", wl->demand.net_mbps);
    core_yw_map_end (&w);
    if (wl->passthrough.len)
      kv_strings (&w, "passthrough", &wl->passthrough, true);
    kv_strings (&w, "reasons", &wl->reasons, false);
    if (wl->server.given)
      write_plan_server (&w, &wl->server);
    core_yw_map_end (&w);
  }
  core_yw_seq_end (&w);

  key (&w, "unplaced");
  core_yw_seq_begin (&w, false);
  for (size_t i = 0; i < plan->unplaced.len; i++) {
    core_yw_map_begin (&w, true);
    kv_str (&w, "name", plan->unplaced.ptr[i].name);
    kv_str (&w, "reason", plan->unplaced.ptr[i].reason);
    core_yw_map_end (&w);
  }
  core_yw_seq_end (&w);

  if (plan->sizing.given)
    write_sizing (&w, &plan->sizing);
  if (plan->growth.given)
    write_growth (&w, &plan->growth);

  core_yw_map_end (&w);
  return core_yw_end (&w);
}

/* For the formats whose writers live with their readers (sources.c,
 * migrate/journal.c). */
int
core_yaml_write_top (FILE *fp, const char *schema, const struct core_table *t,
                     const void *obj)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, -1);
  core_yw_map_begin (&w, false);
  kv_str (&w, "schema", schema);
  write_fields (&w, t, obj);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}
