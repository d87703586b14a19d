/* What a conversion found and did, written as NAME.report.yaml through
 * libyaml's emitter (so every string is quoted correctly).  Schema
 * p2vkit/convert-report/v1, described in docs/converter.md. */
#include <stdarg.h>
#include <string.h>
#include <yaml.h>

#include "converter/converter.h"

const char *const conv_mode_names[] = { "auto", "paravirt", "full" };

void
conv_report_init (struct conv_report *r)
{
  memset (r, 0, sizeof *r);
  r->major = r->minor = -1;
  r->mode = CONV_MODE_AUTO;
  r->vcpus = r->memory_mib = CORE_UNSET;
  r->boot_seconds = -1;
}

void
conv_report_clear (struct conv_report *r)
{
  if (r == NULL)
    return;
  free (r->name); free (r->root); free (r->os_type); free (r->distro);
  free (r->product); free (r->arch); free (r->hostname);
  free (r->package_format); free (r->mode_reason); free (r->accel);
  core_string_vector_free (&r->kernels);
  for (size_t i = 0; i < r->disks.len; i++) {
    struct conv_disk_out *d = &r->disks.ptr[i];
    free (d->source); free (d->source_format); free (d->path); free (d->format);
  }
  conv_disk_out_vector_reset (&r->disks);
  for (size_t i = 0; i < r->changes.len; i++) {
    struct conv_change *c = &r->changes.ptr[i];
    free (c->path); free (c->what);
    core_string_vector_free (&c->before);
    core_string_vector_free (&c->after);
  }
  conv_change_vector_reset (&r->changes);
  for (size_t i = 0; i < r->commands.len; i++) {
    free (r->commands.ptr[i].command);
    free (r->commands.ptr[i].output);
  }
  conv_command_vector_reset (&r->commands);
  core_string_vector_free (&r->warnings);
  core_string_vector_free (&r->removed_packages);
  core_string_vector_free (&r->nic_macs);
  core_string_vector_free (&r->nic_names);
  conv_report_init (r);
}

/* Split TEXT into lines (without the newlines). */
static int
split_lines (const char *text, core_string_vector *out)
{
  const char *p = text;

  while (p && *p) {
    const char *nl = strchr (p, '\n');
    size_t n = nl ? (size_t) (nl - p) : strlen (p);
    char *line = core_strndup (p, n);

    if (line == NULL || core_string_vector_append (out, line) == -1) {
      free (line);
      return -1;
    }
    p = nl ? nl + 1 : NULL;
  }
  return 0;
}

static bool
contains (const core_string_vector *v, const char *s)
{
  for (size_t i = 0; i < v->len; i++)
    if (strcmp (v->ptr[i], s) == 0)
      return true;
  return false;
}

/* Append to OUT a copy of each line of X that Y does not have. */
static int
only_in (const core_string_vector *x, const core_string_vector *y,
         core_string_vector *out)
{
  for (size_t i = 0; i < x->len; i++)
    if (!contains (y, x->ptr[i])) {
      char *s = core_strdup (x->ptr[i]);
      if (s == NULL || core_string_vector_append (out, s) == -1) {
        free (s);
        return -1;
      }
    }
  return 0;
}

int
conv_report_change (struct conv_report *r, const char *path, const char *what,
                    const char *before, const char *after)
{
  core_string_vector b = { 0 }, a = { 0 };
  struct conv_change c = { 0 };

  if (split_lines (before, &b) == -1 || split_lines (after, &a) == -1)
    goto fail;
  c.path = core_strdup (path);
  c.what = core_strdup (what);
  if (c.path == NULL || c.what == NULL)
    goto fail;
  /* The lines only one side has: a config file's edits are a few lines
   * among many, and both sides whole would bury them. */
  if (only_in (&b, &a, &c.before) == -1 || only_in (&a, &b, &c.after) == -1)
    goto fail;
  if (conv_change_vector_append (&r->changes, c) == -1)
    goto fail;
  core_string_vector_free (&b);
  core_string_vector_free (&a);
  return 0;
 fail:
  core_string_vector_free (&b);
  core_string_vector_free (&a);
  free (c.path); free (c.what);
  core_string_vector_free (&c.before);
  core_string_vector_free (&c.after);
  return -1;
}

int
conv_report_command (struct conv_report *r, const char *command, int status,
                     const char *output, double seconds)
{
  struct conv_command c = { .status = status, .seconds = seconds };
  size_t len = output ? strlen (output) : 0;
  const size_t keep = 2000;

  c.command = core_strdup (command);
  /* The end of the output: where tools say what went wrong. */
  c.output = core_strdup (output == NULL ? "" : len > keep ? output + len - keep : output);
  if (c.command == NULL || c.output == NULL
      || conv_command_vector_append (&r->commands, c) == -1) {
    free (c.command);
    free (c.output);
    return -1;
  }
  return 0;
}

int
conv_report_warn (struct conv_report *r, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = core_string_vector_vprintf (&r->warnings, fmt, ap);
  va_end (ap);
  return ret;
}

/* ------------------------------------------------------------------ */
/* The writer. */

/* The emitter is core's (core_yw_*); these shorthands add the report's
 * conventions: nulls are written, strings are double-quoted. */

static void
map_begin (struct core_yaml_writer *w)
{
  core_yw_map_begin (w, false);
}

static void
map_end (struct core_yaml_writer *w)
{
  core_yw_map_end (w);
}

static void
seq_begin (struct core_yaml_writer *w)
{
  core_yw_seq_begin (w, false);
}

static void
seq_end (struct core_yaml_writer *w)
{
  core_yw_seq_end (w);
}

static void
scalar (struct core_yaml_writer *w, const char *s, bool plain_ok)
{
  /* Strings are double-quoted unless the caller knows they are plain
   * (keys, numbers): "yes", "1.0" or "null" must read back as strings. */
  core_yw_scalar (w, s, plain_ok ? YAML_ANY_SCALAR_STYLE
                  : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static void
key (struct core_yaml_writer *w, const char *k)
{
  scalar (w, k, true);
}

static void
kv_str (struct core_yaml_writer *w, const char *k, const char *v)
{
  key (w, k);
  if (v)
    scalar (w, v, false);
  else
    scalar (w, "null", true);
}

static void
kv_int (struct core_yaml_writer *w, const char *k, int64_t v)
{
  char buf[32];

  key (w, k);
  if (v == CORE_UNSET)
    scalar (w, "null", true);
  else {
    snprintf (buf, sizeof buf, "%lld", (long long) v);
    scalar (w, buf, true);
  }
}

static void
kv_num (struct core_yaml_writer *w, const char *k, double v, bool set)
{
  char buf[64];

  key (w, k);
  if (!set)
    scalar (w, "null", true);
  else {
    snprintf (buf, sizeof buf, "%.1f", v);
    scalar (w, buf, true);
  }
}

static void
kv_bool (struct core_yaml_writer *w, const char *k, bool v)
{
  key (w, k);
  scalar (w, v ? "true" : "false", true);
}

static void
kv_strings (struct core_yaml_writer *w, const char *k, const core_string_vector *v)
{
  key (w, k);
  seq_begin (w);
  for (size_t i = 0; i < v->len; i++)
    scalar (w, v->ptr[i], false);
  seq_end (w);
}

int
conv_report_write (FILE *fp, const struct conv_report *r)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, 100);
  map_begin (&w);
  kv_str (&w, "schema", "p2vkit/convert-report/v1");
  kv_str (&w, "name", r->name);

  key (&w, "os");
  map_begin (&w);
  kv_str (&w, "type", r->os_type);
  kv_str (&w, "distro", r->distro);
  kv_str (&w, "product", r->product);
  {
    char ver[32] = "";

    if (r->major >= 0)
      snprintf (ver, sizeof ver, "%d.%d", r->major, r->minor < 0 ? 0 : r->minor);
    kv_str (&w, "version", r->major >= 0 ? ver : NULL);
  }
  kv_str (&w, "arch", r->arch);
  kv_str (&w, "hostname", r->hostname);
  kv_str (&w, "root", r->root);
  kv_str (&w, "package_format", r->package_format);
  kv_strings (&w, "kernels", &r->kernels);
  kv_str (&w, "firmware", r->firmware == CORE_FIRMWARE_UNSET ? NULL
          : core_firmware_names[r->firmware]);
  map_end (&w);

  kv_str (&w, "mode", conv_mode_names[r->mode]);
  kv_str (&w, "mode_reason", r->mode_reason);
  kv_int (&w, "vcpus", r->vcpus);
  kv_int (&w, "memory_mib", r->memory_mib);

  key (&w, "disks");
  seq_begin (&w);
  for (size_t i = 0; i < r->disks.len; i++) {
    const struct conv_disk_out *d = &r->disks.ptr[i];

    map_begin (&w);
    kv_str (&w, "source", d->source);
    kv_str (&w, "source_format", d->source_format);
    kv_int (&w, "virtual_size", d->virtual_size);
    kv_str (&w, "output", d->path);
    kv_str (&w, "format", d->format);
    kv_num (&w, "clone_seconds", d->seconds, true);
    map_end (&w);
  }
  seq_end (&w);

  key (&w, "nics");
  seq_begin (&w);
  for (size_t i = 0; i < r->nic_macs.len; i++) {
    map_begin (&w);
    kv_str (&w, "mac", r->nic_macs.ptr[i]);
    kv_str (&w, "guest_name", i < r->nic_names.len ? r->nic_names.ptr[i] : NULL);
    map_end (&w);
  }
  seq_end (&w);

  kv_strings (&w, "removed_packages", &r->removed_packages);

  key (&w, "changes");
  seq_begin (&w);
  for (size_t i = 0; i < r->changes.len; i++) {
    const struct conv_change *c = &r->changes.ptr[i];

    map_begin (&w);
    kv_str (&w, "file", c->path);
    kv_str (&w, "why", c->what);
    kv_strings (&w, "before", &c->before);
    kv_strings (&w, "after", &c->after);
    map_end (&w);
  }
  seq_end (&w);

  key (&w, "commands");
  seq_begin (&w);
  for (size_t i = 0; i < r->commands.len; i++) {
    const struct conv_command *c = &r->commands.ptr[i];

    map_begin (&w);
    kv_str (&w, "command", c->command);
    kv_int (&w, "status", c->status);
    kv_num (&w, "seconds", c->seconds, c->seconds >= 0);
    kv_str (&w, "output", c->output);
    map_end (&w);
  }
  seq_end (&w);

  kv_strings (&w, "warnings", &r->warnings);

  key (&w, "boot");
  map_begin (&w);
  kv_bool (&w, "verified", r->verified_boot);
  kv_num (&w, "seconds", r->boot_seconds, r->boot_seconds >= 0);
  kv_str (&w, "accel", r->accel);
  map_end (&w);

  map_end (&w);
  return core_yw_end (&w);
}
