/* What a conversion found and did, written as NAME.report.yaml through
 * libyaml's emitter (so every string is quoted correctly).  Schema
 * p2vkit/convert-report/v1, described in docs/converter.md. */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <yaml.h>

#include "converter/converter.h"

const char *const conv_mode_names[] = { "auto", "paravirt", "full", NULL };

/* The report's keys (docs/converter.md): written from these tables, with
 * the report's own conventions (every string quoted, unknowns as null,
 * seconds to a tenth).  It has no reader. */

#define FIELD(st, m, t, ...) FIELDK (st, m, #m, t, __VA_ARGS__)
#define FIELDK(st, m, k, t, ...) \
  { .key = k, .type = CORE_FIELD_##t, .offset = offsetof (st, m), __VA_ARGS__ }

/* os.version: MAJOR.MINOR, or null when inspection found none. */
static void
write_version (struct core_yaml_writer *w, const struct core_field *f,
               const void *obj)
{
  const struct conv_report *r = obj;
  char ver[32];

  core_yw_scalar (w, f->key, YAML_ANY_SCALAR_STYLE);
  if (r->major < 0)
    core_yw_scalar (w, "null", YAML_ANY_SCALAR_STYLE);
  else {
    snprintf (ver, sizeof ver, "%d.%d", r->major, r->minor < 0 ? 0 : r->minor);
    core_yw_scalar (w, ver, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
  }
}

#define S struct conv_report
static const struct core_field os_fields[] = {
  FIELDK (S, os_type, "type", STRING),
  FIELD (S, distro, STRING),
  FIELD (S, product, STRING),
  { .key = "version", .type = CORE_FIELD_CUSTOM, .write = write_version },
  FIELD (S, arch, STRING),
  FIELD (S, hostname, STRING),
  FIELD (S, root, STRING),
  FIELD (S, package_format, STRING),
  FIELD (S, kernels, STRINGS),
  FIELD (S, firmware, ENUM, .names = core_firmware_names),
};
static const struct core_table os_table =
  CORE_TABLE ("os", S, os_fields, NULL);

/* nics: the MACs the domain gives, each with the name the guest had. */
static const struct core_field nic_fields[] = {
  FIELDK (S, nic_macs, "mac", STRINGS),
  FIELDK (S, nic_names, "guest_name", STRINGS),
};
static const struct core_table nic_table =
  CORE_TABLE ("nics[]", S, nic_fields, NULL);

static void
write_nics (struct core_yaml_writer *w, const struct core_field *f,
            const void *obj)
{
  const struct conv_report *r = obj;

  core_yw_scalar (w, f->key, YAML_ANY_SCALAR_STYLE);
  core_yw_seq_begin (w, false);
  for (size_t i = 0; i < r->nic_macs.len; i++) {
    const char *name = i < r->nic_names.len ? r->nic_names.ptr[i] : NULL;

    core_yw_map_begin (w, false);
    core_yw_scalar (w, nic_fields[0].key, YAML_ANY_SCALAR_STYLE);
    core_yw_scalar (w, r->nic_macs.ptr[i], YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    core_yw_scalar (w, nic_fields[1].key, YAML_ANY_SCALAR_STYLE);
    core_yw_scalar (w, name ? name : "null", name
                    ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
    core_yw_map_end (w);
  }
  core_yw_seq_end (w);
}

static const struct core_field boot_fields[] = {
  FIELDK (S, verified_boot, "verified", BOOL),
  /* Negative: not verified, null. */
  FIELDK (S, boot_seconds, "seconds", DOUBLE, .dflt = CORE_UNSET, .unit = "s"),
  FIELD (S, accel, STRING),
};
static const struct core_table boot_table =
  CORE_TABLE ("boot", S, boot_fields, NULL);
#undef S

#define S struct conv_disk_out
static const struct core_field disk_fields[] = {
  FIELD (S, source, STRING),
  FIELD (S, source_format, STRING),
  FIELD (S, virtual_size, INT, .unit = "bytes"),
  FIELDK (S, path, "output", STRING),
  FIELD (S, format, STRING),
  /* Written as it is, even when negative. */
  FIELDK (S, seconds, "clone_seconds", DOUBLE, .flags = CORE_FIELD_NO_UNSET,
          .unit = "s"),
};
static const struct core_table disk_table =
  CORE_TABLE ("disks[]", S, disk_fields, NULL);
#undef S

#define S struct conv_change
static const struct core_field change_fields[] = {
  FIELDK (S, path, "file", STRING),
  FIELDK (S, what, "why", STRING),
  FIELD (S, before, STRINGS),
  FIELD (S, after, STRINGS),
};
static const struct core_table change_table =
  CORE_TABLE ("changes[]", S, change_fields, NULL);
#undef S

#define S struct conv_command
static const struct core_field command_fields[] = {
  FIELD (S, command, STRING),
  FIELD (S, status, INT),
  FIELD (S, seconds, DOUBLE, .unit = "s"),   /* negative: null */
  FIELD (S, output, STRING),
};
static const struct core_table command_table =
  CORE_TABLE ("commands[]", S, command_fields, NULL);
#undef S

#define S struct conv_report
static const struct core_field report_fields[] = {
  { .key = "schema", .type = CORE_FIELD_SKIP },
  FIELD (S, name, STRING),
  { .key = "os", .type = CORE_FIELD_STRUCT, .sub = &os_table },
  FIELD (S, mode, ENUM, .names = conv_mode_names),
  FIELD (S, mode_reason, STRING),
  FIELD (S, vcpus, INT, .dflt = CORE_UNSET),
  FIELD (S, memory_mib, INT, .dflt = CORE_UNSET, .unit = "MiB"),
  FIELD (S, disks, VECTOR, .sub = &disk_table),
  { .key = "nics", .type = CORE_FIELD_STRUCT, .sub = &nic_table,
    .write = write_nics },
  FIELD (S, removed_packages, STRINGS),
  FIELD (S, changes, VECTOR, .sub = &change_table),
  FIELD (S, commands, VECTOR, .sub = &command_table),
  FIELD (S, warnings, STRINGS),
  { .key = "boot", .type = CORE_FIELD_STRUCT, .sub = &boot_table },
};
const struct core_table conv_report_table =
  CORE_TABLE ("", S, report_fields, NULL);
#undef S

void
conv_report_init (struct conv_report *r)
{
  core_schema_init (&conv_report_table, r);
  r->major = r->minor = -1;
}

void
conv_report_clear (struct conv_report *r)
{
  if (r == NULL)
    return;
  core_schema_free (&conv_report_table, r);
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

int
conv_report_write (FILE *fp, const struct conv_report *r)
{
  struct core_yaml_writer w;

  core_yw_begin (&w, fp, 100);
  w.quote_strings = w.nulls = true;
  w.decimals = 1;
  core_yw_map_begin (&w, false);
  core_yw_scalar (&w, report_fields[0].key, YAML_ANY_SCALAR_STYLE);
  core_yw_scalar (&w, "p2vkit/convert-report/v1", YAML_DOUBLE_QUOTED_SCALAR_STYLE);
  core_schema_write (&w, &conv_report_table, r);
  core_yw_map_end (&w);
  return core_yw_end (&w);
}
