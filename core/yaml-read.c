/* The field tables of the profile, host catalog, policy and plan
 * (docs/formats.md): one table per mapping, read by the walker of
 * schema.c, and the checks across fields that run after it.  The entry
 * points that load a document and walk it are in yaml-parse.c.  Every error names the file and the line and column of
 * the offending node: unknown or duplicate keys, missing required keys,
 * wrong types, values out of range.
 */
#include <float.h>
#include <stddef.h>
#include <string.h>
#include <yaml.h>

#include "core.h"

#define fail core_yaml_fail
#define node_at core_yaml_node
#define is_null core_yaml_is_null
#define type_name core_yaml_type_name
#define expect_mapping core_yaml_expect_mapping
#define expect_list core_yaml_expect_list
#define get_string core_yaml_get_string
#define get_int core_yaml_get_int
#define get_double core_yaml_get_double
#define get_strings core_yaml_get_strings
#define get_series core_yaml_get_series
#define check_name core_yaml_check_name
#define subpath core_yaml_subpath
#define value_of core_yaml_value_of
#define FOR_PAIRS CORE_FOR_PAIRS
#define FOR_ITEMS CORE_FOR_ITEMS

static const char *
scalar (const yaml_node_t *n)
{
  return (const char *) n->data.scalar.value;
}

/* Field tables ------------------------------------------------------ */

/* FIELD (struct, member, TYPE, ...): the key is the member's name. */
#define FIELD(st, m, t, ...) FIELDK (st, m, #m, t, __VA_ARGS__)
#define FIELDK(st, m, k, t, ...) \
  { .key = k, .type = CORE_FIELD_##t, .offset = offsetof (st, m), __VA_ARGS__ }
#define REQ .required = true
#define UNSET .dflt = CORE_UNSET
#define OMIT_EMPTY .flags = CORE_FIELD_OMIT_EMPTY
#define OMIT_UNSET .flags = CORE_FIELD_OMIT_UNSET
#define INT_MAX64 CORE_FIELD_INT_MAX
#define MIB_MAX 0x1p40          /* 2^40 MiB */

/* Profile ----------------------------------------------------------- */

#define S struct core_cpu
static const struct core_field cpu_fields[] = {
  FIELD (S, model, STRING),
  FIELD (S, sockets, INT, .min = 1, .max = 1024, UNSET),
  FIELD (S, cores, INT, .min = 1, .max = 65536, REQ, UNSET),
  FIELD (S, threads, INT, .min = 1, .max = 65536, UNSET),
  /* 0 is excluded: the planner divides by it. */
  FIELD (S, mhz, DOUBLE, .min = 1, .max = 1e6, REQ, UNSET, .unit = "MHz"),
  FIELD (S, virt, ENUM, .names = core_virt_names),
};
static const struct core_table cpu_table =
  CORE_TABLE_FLOW ("hardware.cpu", S, cpu_fields, NULL);
#undef S

#define S struct core_disk
static const struct core_field disk_fields[] = {
  FIELD (S, name, STRING, REQ),
  FIELD (S, size_bytes, INT, .max = INT_MAX64, UNSET, .unit = "bytes"),
  FIELD (S, model, STRING),
  FIELD (S, rotational, TRISTATE, UNSET),
};
static const struct core_table disk_table =
  CORE_TABLE_FLOW ("hardware.disks[]", S, disk_fields, NULL);
#undef S

static int
check_filesystem (struct core_reader *r, yaml_node_t *map, const char *path,
                  void *obj, uint64_t seen)
{
  struct core_filesystem *f = obj;

  (void) seen;
  if (f->size_bytes != CORE_UNSET && f->used_bytes > f->size_bytes)
    return fail (r, map, "%s: used_bytes is larger than size_bytes", path);
  return 0;
}

#define S struct core_filesystem
static const struct core_field filesystem_fields[] = {
  FIELD (S, mount, STRING, REQ),
  FIELD (S, device, STRING),
  FIELD (S, type, STRING),
  FIELD (S, size_bytes, INT, .max = INT_MAX64, UNSET, .unit = "bytes"),
  FIELD (S, used_bytes, INT, .max = INT_MAX64, UNSET, .unit = "bytes"),
};
static const struct core_table filesystem_table =
  CORE_TABLE_FLOW ("hardware.filesystems[]", S, filesystem_fields, check_filesystem);
#undef S

/* Each address with its prefix length, each once. */
static int
check_addresses (struct core_reader *r, const struct core_field *f,
                 yaml_node_t *n, const char *path, void *obj)
{
  const core_string_vector *v = (void *) ((char *) obj + f->offset);
  yaml_node_t *item;
  size_t i;

  if (n->type != YAML_SEQUENCE_NODE)
    return 0;
  FOR_ITEMS (r, n, i, item) {
    char ipath[256];
    unsigned char a[16];
    int af, len;

    if (i >= v->len)
      break;
    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (core_parse_ip_prefix (v->ptr[i], ipath, &af, a, &len) == -1)
      return fail (r, item, "%s", core_errmsg ());
    for (size_t j = 0; j < i; j++)
      if (strcmp (v->ptr[j], v->ptr[i]) == 0)
        return fail (r, item, "%s: '%s' is listed twice", ipath, v->ptr[j]);
  }
  return 0;
}

#define S struct core_nic
static const struct core_field nic_fields[] = {
  FIELD (S, name, STRING, REQ),
  FIELD (S, mac, STRING),
  FIELD (S, speed_mbps, INT, .max = INT_MAX64, UNSET, .unit = "Mbit/s"),
  FIELD (S, driver, STRING),
  FIELD (S, addresses, STRINGS, .hook = check_addresses,
         .flags = CORE_FIELD_FLOW | CORE_FIELD_OMIT_EMPTY),
};
static const struct core_table nic_table =
  CORE_TABLE_FLOW ("hardware.nics[]", S, nic_fields, NULL);
#undef S

/* A device must be identifiable somehow: an address (field 0) or a name
 * (field 5). */
static int
check_pci (struct core_reader *r, yaml_node_t *map, const char *path,
           void *obj, uint64_t seen)
{
  (void) obj;
  if (!(seen & (UINT64_C(1) << 0 | UINT64_C(1) << 5)))
    return fail (r, map, "%s: needs an 'address' or a 'name'", path);
  return 0;
}

#define S struct core_pci
static const struct core_field pci_fields[] = {
  FIELD (S, address, STRING),
  FIELD (S, vendor, STRING),
  FIELD (S, device, STRING),
  FIELDK (S, class_, "class", STRING),
  FIELD (S, driver, STRING),
  FIELD (S, name, STRING),
  FIELD (S, passthrough, BOOL, OMIT_UNSET),
};
static const struct core_table pci_table =
  CORE_TABLE_FLOW ("hardware.pci[]", S, pci_fields, check_pci);
#undef S

#define S struct core_hardware
static const struct core_field hardware_fields[] = {
  FIELD (S, vendor, STRING),
  FIELD (S, product, STRING),
  FIELD (S, firmware, ENUM, .names = core_firmware_names),
  FIELD (S, cpu, STRUCT, .sub = &cpu_table, REQ),
  FIELD (S, memory_mib, INT, .min = 1, .max = MIB_MAX, REQ, UNSET, .unit = "MiB"),
  FIELD (S, watts, DOUBLE, .max = 1e6, UNSET, .unit = "W"),
  FIELD (S, disks, VECTOR, .sub = &disk_table, OMIT_EMPTY),
  FIELD (S, filesystems, VECTOR, .sub = &filesystem_table, OMIT_EMPTY),
  FIELD (S, nics, VECTOR, .sub = &nic_table, OMIT_EMPTY),
  FIELD (S, pci, VECTOR, .sub = &pci_table, OMIT_EMPTY),
};
static const struct core_table hardware_table =
  CORE_TABLE ("hardware", S, hardware_fields, NULL);
#undef S

#define S struct core_os
static const struct core_field os_fields[] = {
  FIELD (S, family, ENUM, .names = core_os_family_names),
  FIELD (S, id, STRING),
  FIELD (S, name, STRING),
  FIELD (S, kernel, STRING),
  FIELD (S, arch, STRING),
  FIELD (S, pv_drivers, FLAGS, .names = core_pv_names, UNSET),
};
static const struct core_table os_table = CORE_TABLE ("os", S, os_fields, NULL);
#undef S

#define S struct core_service
static const struct core_field service_fields[] = {
  FIELD (S, name, STRING),
  FIELD (S, proto, ENUM, .names = core_proto_names, REQ),
  FIELD (S, port, INT, .max = 65535, REQ, UNSET),
};
static const struct core_table service_table =
  CORE_TABLE_FLOW ("services[]", S, service_fields, NULL);
#undef S

/* All present series have one value per interval, and none is empty;
 * the first series in the file is the one the others are measured by. */
static int
check_utilization (struct core_reader *r, yaml_node_t *map, const char *path,
                   void *obj, uint64_t seen)
{
  const struct core_table *t = &core_utilization_table;
  const char *first = NULL;
  size_t first_len = 0;
  yaml_node_t *k, *v;

  (void) seen;
  FOR_PAIRS (r, map, k, v) {
    const struct core_field *f = core_schema_field (t, scalar (k));
    const core_double_vector *s;
    char p[256];

    if (f->type != CORE_FIELD_SERIES)
      continue;
    s = (const core_double_vector *) ((char *) obj + f->offset);
    subpath (p, sizeof p, path, f->key);
    if (first == NULL) {
      first = f->key;
      first_len = s->len;
    }
    else if (s->len != first_len)
      return fail (r, v, "%s: has %zu values but %s has %zu", p, s->len, first,
                   first_len);
    if (s->len == 0)
      return fail (r, v, "%s: the list is empty", p);
  }
  return 0;
}

#define S struct core_utilization
static const struct core_field utilization_fields[] = {
  FIELD (S, interval_s, INT, .min = 1, .max = 86400, .dflt = 300, .unit = "s"),
  FIELD (S, cpu_pct, SERIES, .max = 100, .unit = "%"),
  FIELD (S, mem_used_mib, SERIES, .max = DBL_MAX, .unit = "MiB"),
  FIELD (S, disk_iops, SERIES, .max = DBL_MAX),
  FIELD (S, disk_mbps, SERIES, .max = DBL_MAX, .unit = "MB/s"),
  FIELD (S, net_mbps, SERIES, .max = DBL_MAX, .unit = "Mbit/s"),
};
const struct core_table core_utilization_table =
  CORE_TABLE ("utilization", S, utilization_fields, check_utilization);
/* interval_s says whether utilization was given (CORE_FIELD_FIRST_GIVES). */
_Static_assert (offsetof (S, interval_s) == 0, "interval_s comes first");
#undef S

/* Given utilization starts from the table's defaults (interval_s: 300);
 * absent, interval_s stays CORE_UNSET. */
static int
read_utilization (struct core_reader *r, const struct core_field *f,
                  yaml_node_t *v, const char *path, void *obj)
{
  struct core_utilization *u = (void *) ((char *) obj + f->offset);

  if (expect_mapping (r, v, path) == -1)
    return -1;
  u->interval_s = core_utilization_table.fields[0].dflt;
  return core_schema_read (r, f->sub, v, path, u);
}

/* anti_affinity: one name, or a list of them (a server in two sets). */
static int
read_anti_affinity (struct core_reader *r, const struct core_field *f,
                    yaml_node_t *n, const char *path, void *obj)
{
  core_string_vector *out = (void *) ((char *) obj + f->offset);
  yaml_node_t *item;
  size_t i;

  core_string_vector_free (out);
  if (n->type == YAML_SCALAR_NODE && !is_null (n)) {
    char *s = NULL;
    if (get_string (r, n, path, &s) == -1 || check_name (r, n, path, s) == -1
        || core_string_vector_append (out, s) == -1) {
      free (s);
      return -1;
    }
    return 0;
  }
  if (n->type != YAML_SEQUENCE_NODE)
    return fail (r, n, "%s: expected a name or a list of names, got %s",
                 path, type_name (n));
  if (n->data.sequence.items.top == n->data.sequence.items.start)
    return fail (r, n, "%s: the list is empty", path);
  if (get_strings (r, n, path, out) == -1)
    return -1;
  FOR_ITEMS (r, n, i, item) {
    char ipath[256];

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, i);
    if (check_name (r, item, ipath, out->ptr[i]) == -1)
      return -1;
    for (size_t j = 0; j < i; j++)
      if (strcmp (out->ptr[j], out->ptr[i]) == 0)
        return fail (r, item, "%s: '%s' is listed twice", ipath, out->ptr[j]);
  }
  return 0;
}

#define S struct core_profile
static const struct core_field profile_fields[] = {
  { .key = "schema", .type = CORE_FIELD_SKIP, REQ },
  FIELD (S, name, NAME, REQ),
  FIELD (S, collected_at, STRING),
  FIELD (S, role, STRING),
  FIELD (S, group, STRING),
  FIELD (S, anti_affinity, STRINGS, .hook = read_anti_affinity,
         .flags = CORE_FIELD_HOOK_READS | CORE_FIELD_OMIT_EMPTY
         | CORE_FIELD_FLOW | CORE_FIELD_ONE_OR_LIST),
  FIELD (S, growth_pct, DOUBLE, .max = 1000, UNSET, .unit = "%"),
  FIELD (S, hardware, STRUCT, .sub = &hardware_table, REQ),
  FIELD (S, os, STRUCT, .sub = &os_table, OMIT_UNSET),
  FIELD (S, services, VECTOR, .sub = &service_table, OMIT_EMPTY),
  FIELD (S, utilization, STRUCT, .sub = &core_utilization_table,
         .hook = read_utilization,
         .flags = CORE_FIELD_HOOK_READS | CORE_FIELD_FIRST_GIVES),
};
const struct core_table core_profile_table =
  CORE_TABLE ("", S, profile_fields, NULL);
#undef S

/* Host catalog ------------------------------------------------------ */

static int
check_hypervisors (struct core_reader *r, const struct core_field *f,
                   yaml_node_t *v, const char *path, void *obj)
{
  if (*(unsigned *) ((char *) obj + f->offset) == 0)
    return fail (r, v, "%s: lists no hypervisor", path);
  return 0;
}

/* KVM runs only on hardware virtualization; Xen paravirtualizes without
 * it. */
static int
check_host_model (struct core_reader *r, yaml_node_t *map, const char *path,
                  void *obj, uint64_t seen)
{
  struct core_host_model *m = obj;
  char p[256];

  (void) seen;
  subpath (p, sizeof p, path, "hypervisors");
  if ((m->hypervisors & CORE_HV_KVM) && m->virt == CORE_VIRT_NONE)
    return fail (r, value_of (r, map, "hypervisors"), "%s: kvm needs "
                 "hardware virtualization, and virt is none", p);
  return 0;
}

#define S struct core_host_model
static const struct core_field host_model_fields[] = {
  FIELD (S, model, NAME, REQ),
  FIELD (S, cores, INT, .min = 1, .max = 65536, REQ, UNSET),
  FIELD (S, mhz, DOUBLE, .min = 1, .max = 1e6, REQ, UNSET, .unit = "MHz"),
  FIELD (S, memory_mib, INT, .min = 1, .max = MIB_MAX, REQ, UNSET, .unit = "MiB"),
  FIELD (S, disk_gib, DOUBLE, .max = DBL_MAX, UNSET, .unit = "GiB"),
  FIELD (S, disk_iops, DOUBLE, .max = DBL_MAX, UNSET),
  FIELD (S, net_mbps, DOUBLE, .max = DBL_MAX, UNSET, .unit = "Mbit/s"),
  FIELD (S, virt, ENUM, .names = core_virt_names, REQ),
  FIELD (S, iommu, BOOL),
  FIELD (S, hypervisors, FLAGS, .names = core_hv_names, REQ,
         .hook = check_hypervisors),
  FIELD (S, cost, DOUBLE, .max = DBL_MAX, UNSET),
  FIELD (S, watts, DOUBLE, .max = 1e6, UNSET, .unit = "W"),
  FIELD (S, count, INT, .max = 0x1p31, UNSET),
};
const struct core_table core_host_model_table =
  CORE_TABLE ("hosts[]", S, host_model_fields, check_host_model);
#undef S

/* Item N's model is not one of the items before it. */
static int
unique_model (struct core_reader *r, yaml_node_t *item, const char *path,
              const void *items, size_t n)
{
  const struct core_host_model *m = items;

  for (size_t j = 0; j < n; j++)
    if (strcmp (m[j].model, m[n].model) == 0)
      return fail (r, item, "%s: model '%s' is listed twice", path,
                   m[n].model);
  return 0;
}

static int
check_catalog (struct core_reader *r, const struct core_field *f,
               yaml_node_t *v, const char *path, void *obj)
{
  (void) f;
  (void) obj;
  if (v->data.sequence.items.top == v->data.sequence.items.start)
    return fail (r, v, "%s: the catalog lists no host model", path);
  return 0;
}

#define S struct core_hosts
static const struct core_field hosts_fields[] = {
  { .key = "schema", .type = CORE_FIELD_SKIP, REQ },
  FIELDK (S, models, "hosts", VECTOR, .sub = &core_host_model_table, REQ,
         .hook = check_catalog, .each = unique_model),
};
const struct core_table core_hosts_table = CORE_TABLE ("", S, hosts_fields, NULL);
#undef S

/* Policy ------------------------------------------------------------ */

#define S struct core_overhead
static const struct core_field overhead_fields[] = {
  FIELD (S, cpu_pct, DOUBLE, .max = 1000, .unit = "%"),
  FIELD (S, cpu_mhz, DOUBLE, .max = 1e6, .unit = "MHz"),
  FIELD (S, memory_mib, DOUBLE, .max = 1e9, .unit = "MiB"),
};
static const struct core_table overhead_table =
  CORE_TABLE_FLOW ("overhead", S, overhead_fields, NULL);
#undef S

/* overhead: {full: ..., paravirt: ...}, read into the policy itself. */
#define S struct core_policy
static const struct core_field overheads_fields[] = {
  FIELDK (S, overhead_full, "full", STRUCT, .sub = &overhead_table),
  FIELDK (S, overhead_paravirt, "paravirt", STRUCT, .sub = &overhead_table),
};
static const struct core_table overheads_table =
  CORE_TABLE (NULL, S, overheads_fields, NULL);

/* The policy's keys, shared by the policy file and the plan's copy (which
 * has no schema: it leaves out the first), in the order both are written. */
static const struct core_field policy_fields[] = {
  { .key = "schema", .type = CORE_FIELD_SKIP },
  FIELD (S, percentile, DOUBLE, .min = 1, .max = 100, .dflt = 95),
  /* 100% headroom would leave nothing to place on. */
  FIELD (S, headroom_pct, DOUBLE, .max = 99, .dflt = 20, .unit = "%"),
  FIELD (S, cpu_overcommit, DOUBLE, .min = 1, .max = 1000, .dflt = 4),
  FIELD (S, memory_overcommit, DOUBLE, .min = 1, .max = 100, .dflt = 1),
  FIELD (S, ha_spare_hosts, INT, .max = 1000),
  FIELD (S, thin_disks, BOOL),
  FIELD (S, windows_pv_drivers, BOOL, .dflt = true),
  FIELD (S, allow_passthrough, BOOL, .dflt = true),
  FIELD (S, separate_redundant_roles, BOOL, .dflt = true),
  { .key = "overhead", .type = CORE_FIELD_STRUCT, .sub = &overheads_table },
};
const struct core_table core_policy_table =
  CORE_TABLE ("", S, policy_fields, NULL);
static const struct core_table plan_policy_table =
  { NULL, sizeof (S), policy_fields + 1,
    sizeof policy_fields / sizeof policy_fields[0] - 1, NULL, false };
#undef S

/* Plan -------------------------------------------------------------- */

/* The field is written and compared only when ST's bool M is set (by
 * reading it). */
#define GIVEN(st, m) .given = offsetof (st, m) + 1
#define LIST_FLOW .flags = CORE_FIELD_FLOW
#define LIST_FLOW_IF_ANY .flags = CORE_FIELD_FLOW | CORE_FIELD_OMIT_EMPTY

#define S __typeof__ (((struct core_plan *) 0)->summary)
static const struct core_field summary_fields[] = {
  FIELD (S, workloads, INT, .max = INT_MAX64, REQ),
  FIELD (S, placed, INT, .max = INT_MAX64, REQ),
  FIELD (S, unplaced, INT, .max = INT_MAX64, REQ),
  FIELD (S, hosts_used, INT, .max = INT_MAX64, REQ),
  FIELD (S, lower_bound, INT_OR_NULL, .max = INT_MAX64, UNSET),
  FIELD (S, cost, DOUBLE_OR_NULL, .max = DBL_MAX, UNSET),
  FIELD (S, watts_before, DOUBLE_OR_NULL, .max = DBL_MAX, UNSET, .unit = "W"),
  FIELD (S, watts_after, DOUBLE_OR_NULL, .max = DBL_MAX, UNSET, .unit = "W"),
};
static const struct core_table summary_table =
  CORE_TABLE ("summary", S, summary_fields, NULL);
#undef S

/* Above 100 is allowed: a hand-edited plan may overload a host, and
 * `plan --check` is the place that says so. */
#define S struct core_peak
static const struct core_field peak_fields[] = {
  FIELD (S, cpu_pct, DOUBLE, .max = DBL_MAX, .unit = "%"),
  FIELD (S, memory_pct, DOUBLE, .max = DBL_MAX, .unit = "%"),
  FIELD (S, disk_pct, DOUBLE, .max = DBL_MAX, .unit = "%"),
  FIELD (S, iops_pct, DOUBLE, .max = DBL_MAX, .unit = "%"),
  FIELD (S, net_pct, DOUBLE, .max = DBL_MAX, .unit = "%"),
};
static const struct core_table peak_table =
  CORE_TABLE_FLOW ("hosts[].peak", S, peak_fields, NULL);
#undef S

static int
series_not_empty (struct core_reader *r, const struct core_field *f,
                  yaml_node_t *v, const char *path, void *obj)
{
  if (((core_double_vector *) ((char *) obj + f->offset))->len == 0)
    return fail (r, v, "%s: expected at least one value", path);
  return 0;
}

#define S struct core_plan_series
static const struct core_field plan_series_fields[] = {
  FIELD (S, interval_s, INT, .min = 1, .max = 86400, REQ, .unit = "s"),
  FIELD (S, cpu_mhz, SERIES, .max = DBL_MAX, REQ, .hook = series_not_empty,
         .unit = "MHz"),
};
static const struct core_table plan_series_table =
  CORE_TABLE ("hosts[].series", S, plan_series_fields, NULL);
#undef S

#define S struct core_plan_host
static const struct core_field plan_host_fields[] = {
  FIELD (S, name, NAME, REQ),
  FIELD (S, model, STRING, REQ),
  FIELD (S, hypervisor, BIT, REQ, .names = core_hv_names),
  FIELD (S, spare, BOOL),
  FIELD (S, workloads, STRINGS, LIST_FLOW),
  FIELD (S, peak, STRUCT, .sub = &peak_table),
  FIELD (S, series, STRUCT, .sub = &plan_series_table,
         .flags = CORE_FIELD_OMIT_EMPTY),
};
static const struct core_table plan_host_table =
  CORE_TABLE ("hosts[]", S, plan_host_fields, NULL);
#undef S

#define S struct core_demand
static const struct core_field demand_fields[] = {
  FIELD (S, cpu_mhz, DOUBLE, .max = DBL_MAX, .unit = "MHz"),
  FIELD (S, memory_mib, DOUBLE, .max = DBL_MAX, .unit = "MiB"),
  FIELD (S, disk_gib, DOUBLE, .max = DBL_MAX, .unit = "GiB"),
  FIELD (S, iops, DOUBLE, .max = DBL_MAX),
  FIELD (S, net_mbps, DOUBLE, .max = DBL_MAX, .unit = "Mbit/s"),
};
static const struct core_table demand_table =
  CORE_TABLE_FLOW ("workloads[].demand", S, demand_fields, NULL);
#undef S

#define S struct core_plan_server
static const struct core_field server_fields[] = {
  FIELD (S, machine, STRING),
  FIELD (S, cores, INT, .min = 1, .max = 65536, UNSET),
  FIELD (S, mhz, DOUBLE, .min = 1, .max = 1e6, UNSET, .unit = "MHz"),
  FIELD (S, memory_mib, INT, .min = 1, .max = MIB_MAX, UNSET, .unit = "MiB"),
  FIELD (S, virt, ENUM, .names = core_virt_names),
  FIELD (S, firmware, ENUM, .names = core_firmware_names),
  FIELD (S, disks, STRINGS, LIST_FLOW_IF_ANY),
  FIELD (S, disk_gib, DOUBLE, .max = DBL_MAX, UNSET, .unit = "GiB"),
  FIELD (S, used_gib, DOUBLE, .max = DBL_MAX, UNSET, .unit = "GiB"),
  FIELD (S, os, STRING),
  FIELD (S, family, ENUM, .names = core_os_family_names),
  FIELD (S, role, STRING),
  FIELD (S, group, STRING),
  FIELD (S, services, STRINGS, LIST_FLOW_IF_ANY),
  FIELD (S, watts, DOUBLE, .max = 1e6, UNSET, .unit = "W"),
};
static const struct core_table server_table =
  CORE_TABLE_FLOW ("workloads[].server", S, server_fields, NULL);
#undef S

#define S struct core_plan_workload
static const struct core_field plan_workload_fields[] = {
  FIELD (S, name, NAME, REQ),
  FIELD (S, host, STRING_OR_NULL),
  FIELD (S, mode, ENUM, .names = core_mode_names, REQ),
  FIELD (S, vcpus, INT, .max = 65536),
  FIELD (S, memory_mib, INT, .max = MIB_MAX, .unit = "MiB"),
  FIELD (S, demand, STRUCT, .sub = &demand_table),
  FIELD (S, passthrough, STRINGS, LIST_FLOW_IF_ANY),
  FIELD (S, reasons, STRINGS),
  FIELD (S, server, STRUCT, .sub = &server_table, GIVEN (S, server.given)),
};
static const struct core_table plan_workload_table =
  CORE_TABLE ("workloads[]", S, plan_workload_fields, NULL);
#undef S

#define S struct core_plan_unplaced
static const struct core_field unplaced_fields[] = {
  FIELD (S, name, STRING, REQ),
  FIELD (S, reason, STRING, REQ),
};
static const struct core_table unplaced_table =
  CORE_TABLE_FLOW ("unplaced[]", S, unplaced_fields, NULL);
#undef S

/* Sizing and growth ------------------------------------------------ */

#define S struct core_size_dim
static const struct core_field dim_count_fields[] = {
  FIELD (S, need, DOUBLE, .max = 65536, REQ),
  FIELD (S, spec, DOUBLE, .max = 65536, REQ),
};
static const struct core_table dim_count_table =
  CORE_TABLE_FLOW (NULL, S, dim_count_fields, NULL);
static const struct core_field dim_fields[] = {
  FIELD (S, need, DOUBLE, .max = DBL_MAX, REQ),
  FIELD (S, spec, DOUBLE, .max = DBL_MAX, REQ),
};
static const struct core_table dim_table =
  CORE_TABLE_FLOW (NULL, S, dim_fields, NULL);
#undef S

/* At most 20 years of months. */
#define MAX_MONTHS (12 * 20)

#define S struct core_runs_out
static const struct core_field runs_out_fields[] = {
  FIELD (S, month, INT, .max = MAX_MONTHS, REQ, UNSET),
  FIELD (S, resource, ENUM, .names = core_resource_names, REQ),
};
static const struct core_table runs_out_table =
  CORE_TABLE_FLOW (NULL, S, runs_out_fields, NULL);
#undef S

/* runs_out: null when nothing runs out within the period. */
static int
read_runs_out (struct core_reader *r, const struct core_field *f,
               yaml_node_t *v, const char *path, void *obj)
{
  struct core_runs_out *o = (void *) ((char *) obj + f->offset);

  o->month = CORE_UNSET;
  if (is_null (v))
    return 0;
  return core_schema_read (r, f->sub, v, path, o);
}

/* "HH:MM-HH:MM", from 00:00 to 24:00, the end after the start. */
static int
check_interval (struct core_reader *r, const struct core_field *f,
                yaml_node_t *n, const char *path, void *obj)
{
  const char *s = ((struct core_plan_sizing *) obj)->interval;
  int h1, m1, h2, m2, len = 0;

  (void) f;
  if (s == NULL)
    return 0;
  if (sscanf (s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &len) != 4
      || len != 11 || (size_t) len != strlen (s) || s[2] != ':' || s[8] != ':'
      || h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24
      || m2 < 0 || m2 > 59 || (h2 == 24 && m2 != 0)
      || h2 * 60 + m2 <= h1 * 60 + m1)
    return fail (r, n, "%s: expected HH:MM-HH:MM within the day, got '%.64s'",
                 path, s);
  return 0;
}

#define S struct core_plan_sizing
static const struct core_field binding_fields[] = {
  FIELDK (S, binding, "resource", ENUM, .names = core_resource_names, REQ),
  FIELD (S, interval, STRING_OR_NULL, REQ, .hook = check_interval),
  FIELDK (S, binding_pct, "used_pct", DOUBLE, .max = DBL_MAX, REQ, .unit = "%"),
};
static const struct core_table binding_table =
  CORE_TABLE_FLOW (NULL, S, binding_fields, NULL);
/* What sizing.features holds: the workloads that need each feature (the
 * keys are the features' names). */
static const struct core_field features_fields[] = {
  FIELD (S, virt, STRINGS),
  FIELD (S, iommu, STRINGS),
};
static const struct core_table features_table =
  CORE_TABLE (NULL, S, features_fields, NULL);
#undef S

/* One item of sizing.features: which feature, and its workloads' node,
 * read once the feature is known. */
struct feature_item {
  int feature;
  yaml_node_t *workloads;
};
static const char *const feature_names[] = { "virt", "iommu", NULL };

static int
keep_node (struct core_reader *r, const struct core_field *f, yaml_node_t *v,
           const char *path, void *obj)
{
  (void) r;
  (void) path;
  *(yaml_node_t **) ((char *) obj + f->offset) = v;
  return 0;
}

#define S struct feature_item
static const struct core_field feature_fields[] = {
  FIELD (S, feature, ENUM, .names = feature_names, REQ),
  FIELD (S, workloads, CUSTOM, .hook = keep_node, REQ),
};
static const struct core_table feature_table =
  CORE_TABLE (NULL, S, feature_fields, NULL);
#undef S

static int
read_features (struct core_reader *r, const struct core_field *f,
               yaml_node_t *list, const char *path, void *obj)
{
  struct core_plan_sizing *s = obj;
  yaml_node_t *item;
  unsigned have = 0;
  size_t n;

  (void) f;
  if (expect_list (r, list, path) == -1)
    return -1;
  FOR_ITEMS (r, list, n, item) {
    struct feature_item it = { 0 };
    char ipath[256], p[300];
    core_string_vector *out;

    snprintf (ipath, sizeof ipath, "%s[%zu]", path, n);
    if (core_schema_read (r, &feature_table, item, ipath, &it) == -1)
      return -1;
    if (have & (1u << it.feature))
      return fail (r, item, "%s: feature '%s' is listed twice", ipath,
                   feature_names[it.feature]);
    have |= 1u << it.feature;
    out = it.feature == 0 ? &s->virt : &s->iommu;
    subpath (p, sizeof p, ipath, "workloads");
    if (get_strings (r, it.workloads, p, out) == -1)
      return -1;
    if (out->len == 0)
      return fail (r, it.workloads, "%s: the list is empty", p);
  }
  return 0;
}

#define S struct core_plan_sizing
static const struct core_field sizing_fields[] = {
  FIELD (S, hosts, INT, .min = 1, .max = 1000000, REQ),
  FIELD (S, spare_hosts, INT, .max = 1000, REQ),
  FIELD (S, core_mhz, DOUBLE, .min = 1, .max = 1e6, REQ, .unit = "MHz"),
  FIELD (S, cores, STRUCT, .sub = &dim_count_table, REQ),
  FIELD (S, memory_gib, STRUCT, .sub = &dim_table, REQ, .unit = "GiB"),
  FIELD (S, disk_gb, STRUCT, .sub = &dim_table, REQ, .unit = "GB"),
  FIELD (S, disk_iops, STRUCT, .sub = &dim_table, REQ),
  FIELD (S, net_mbps, STRUCT, .sub = &dim_table, REQ, .unit = "Mbit/s"),
  FIELD (S, nic_ports, STRUCT, .sub = &dim_count_table, REQ),
  FIELD (S, port_mbps, DOUBLE, .min = 1, .max = DBL_MAX, REQ, .unit = "Mbit/s"),
  { .key = "binding", .type = CORE_FIELD_STRUCT, .sub = &binding_table, REQ },
  { .key = "features", .type = CORE_FIELD_STRUCT, .sub = &features_table,
    .hook = read_features, .flags = CORE_FIELD_HOOK_READS,
    .write = core_plan_write_features, REQ },
  FIELD (S, runs_out, STRUCT, .sub = &runs_out_table, .hook = read_runs_out,
         .flags = CORE_FIELD_HOOK_READS | CORE_FIELD_NULL_UNSET,
         GIVEN (S, has_runs_out)),
  FIELD (S, reasons, STRINGS),
};
static const struct core_table sizing_table =
  CORE_TABLE ("sizing", S, sizing_fields, NULL);
#undef S

#define S struct core_plan_growth_host
static const struct core_field growth_host_fields[] = {
  FIELD (S, host, STRING, REQ),
  FIELD (S, runs_out, STRUCT, .sub = &runs_out_table, .hook = read_runs_out,
         .flags = CORE_FIELD_HOOK_READS | CORE_FIELD_NULL_UNSET, REQ),
  FIELD (S, peak_pct, SERIES, .max = DBL_MAX, REQ, .unit = "%"),
};
static const struct core_table growth_host_table =
  CORE_TABLE ("growth.hosts[]", S, growth_host_fields, NULL);
#undef S

static int
list_only (struct core_reader *r, const struct core_field *f, yaml_node_t *v,
           const char *path, void *obj)
{
  (void) f;
  (void) obj;
  return expect_list (r, v, path);
}

static const struct core_field growth_hosts_field = {
  .key = "hosts", .type = CORE_FIELD_VECTOR, .sub = &growth_host_table,
  .offset = offsetof (struct core_plan_growth, hosts),
};

/* The hosts last: their curves' length depends on years. */
static int
check_growth (struct core_reader *r, yaml_node_t *map, const char *path,
              void *obj, uint64_t seen)
{
  struct core_plan_growth *g = obj;
  yaml_node_t *hosts = value_of (r, map, "hosts"), *item;
  long long months = 12 * g->years;
  char hpath[256];
  size_t n;

  (void) seen;
  subpath (hpath, sizeof hpath, path, "hosts");
  if (core_schema_read_field (r, &growth_hosts_field, hosts, hpath, g) == -1)
    return -1;
  FOR_ITEMS (r, hosts, n, item) {
    const struct core_plan_growth_host *h = &g->hosts.ptr[n];
    char p[300];

    snprintf (p, sizeof p, "%s[%zu].runs_out", hpath, n);
    if (h->runs_out.month > months)
      return fail (r, value_of (r, item, "runs_out"), "%s: month %lld is "
                   "after the %lld months of growth", p,
                   (long long) h->runs_out.month, months);
    snprintf (p, sizeof p, "%s[%zu].peak_pct", hpath, n);
    if (h->peak_pct.len != (size_t) months + 1)
      return fail (r, value_of (r, item, "peak_pct"), "%s: expected %lld "
                   "values (months 0 to %lld), got %zu", p, months + 1,
                   months, h->peak_pct.len);
  }
  return 0;
}

#define S struct core_plan_growth
static const struct core_field growth_fields[] = {
  FIELD (S, pct, DOUBLE, .max = 1000, REQ, .unit = "%"),
  FIELD (S, years, INT, .min = 1, .max = 20, REQ),
  FIELD (S, hosts, VECTOR, .sub = &growth_host_table, .hook = list_only,
         .flags = CORE_FIELD_HOOK_READS, REQ),
  FIELD (S, reasons, STRINGS),
};
static const struct core_table growth_table =
  CORE_TABLE ("growth", S, growth_fields, check_growth);
#undef S

/* The checks across the plan's lists (plan-check.c). */
static int
check_plan (struct core_reader *r, yaml_node_t *root, const char *path,
            void *obj, uint64_t seen)
{
  (void) path;
  (void) seen;
  return core_plan_check (r, root, obj);
}

#define S struct core_plan
static const struct core_field plan_fields[] = {
  { .key = "schema", .type = CORE_FIELD_SKIP, REQ },
  FIELD (S, summary, STRUCT, .sub = &summary_table, REQ),
  FIELD (S, policy, STRUCT, .sub = &plan_policy_table, REQ),
  FIELD (S, models, VECTOR, .sub = &core_host_model_table, .each = unique_model,
         .flags = CORE_FIELD_OMIT_EMPTY),
  FIELD (S, hosts, VECTOR, .sub = &plan_host_table, REQ),
  FIELD (S, workloads, VECTOR, .sub = &plan_workload_table, REQ),
  FIELD (S, unplaced, VECTOR, .sub = &unplaced_table),
  FIELD (S, sizing, STRUCT, .sub = &sizing_table, GIVEN (S, sizing.given)),
  FIELD (S, growth, STRUCT, .sub = &growth_table, GIVEN (S, growth.given)),
};
const struct core_table core_plan_table = CORE_TABLE ("", S, plan_fields, check_plan);
#undef S
