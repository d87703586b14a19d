/* Round trips of every YAML format (read, write, read gives the same), the
 * writer's output read by the reader for hand-made values, and the
 * readers' errors on inputs built here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"

#define DATA "tests/data/good/"

/* Write with WRITE_FN into memory. */
static char *
to_text (int (*write_fn) (FILE *, const void *), const void *obj, size_t *len)
{
  char *buf = NULL;
  FILE *fp = open_memstream (&buf, len);

  assert_non_null (fp);
  assert_int_equal (write_fn (fp, obj), 0);
  assert_int_equal (fclose (fp), 0);
  return buf;
}

static int w_profile (FILE *fp, const void *o) { return core_profile_write (fp, o); }
static int w_hosts (FILE *fp, const void *o) { return core_hosts_write (fp, o); }
static int w_policy (FILE *fp, const void *o) { return core_policy_write (fp, o); }
static int w_plan (FILE *fp, const void *o) { return core_plan_write (fp, o); }

/* Read the plan PATH into A, which must succeed. */
static void
plan_read (const char *path, struct core_plan *a)
{
  if (core_plan_read (path, a) == -1)
    fail_msg ("%s", core_errmsg ());
}

/* Write A and read it back into B: equal. */
static void
plan_round_trip (const struct core_plan *a, struct core_plan *b)
{
  size_t len;
  CLEANUP_FREE char *text = to_text (w_plan, a, &len);

  if (core_plan_parse ("written", text, len, b) == -1)
    fail_msg ("%s\n%s", core_errmsg (), text);
  assert_true (core_plan_equal (a, b));
}

static void
profile_round_trip (const char *path)
{
  struct core_profile *a = core_profile_read (path), *b;
  size_t len;
  char *text;

  if (a == NULL)
    fail_msg ("%s", core_errmsg ());
  text = to_text (w_profile, a, &len);
  b = core_profile_parse ("written", text, len);
  if (b == NULL)
    fail_msg ("%s\n%s", core_errmsg (), text);
  assert_true (core_profile_equal (a, b));
  /* Writing again gives the same bytes: the writer is deterministic. */
  {
    size_t len2;
    char *text2 = to_text (w_profile, b, &len2);
    assert_int_equal (len, len2);
    assert_memory_equal (text, text2, len);
    free (text2);
  }
  free (text);
  core_profile_free (a);
  core_profile_free (b);
}

static void test_profile_full (void **s) { (void) s; profile_round_trip (DATA "profile-full.yaml"); }
static void test_profile_minimal (void **s) { (void) s; profile_round_trip (DATA "profile-minimal.yaml"); }
static void test_profile_quoting (void **s) { (void) s; profile_round_trip (DATA "profile-quoting.yaml"); }

static void
test_profile_values (void **state)
{
  struct core_profile *p = core_profile_read (DATA "profile-full.yaml");

  (void) state;
  assert_non_null (p);
  assert_string_equal (p->name, "pbx01");
  assert_int_equal (p->hardware.cpu.cores, 2);
  assert_true (p->hardware.cpu.mhz == 2600);
  assert_int_equal (p->hardware.cpu.virt, CORE_VIRT_SVM);
  assert_int_equal (p->hardware.firmware, CORE_FIRMWARE_BIOS);
  assert_int_equal (p->hardware.memory_mib, 3072);
  assert_true (p->growth_pct == 12.5);
  assert_int_equal (p->hardware.disks.len, 1);
  assert_int_equal (p->hardware.disks.ptr[0].size_bytes, INT64_C(500107862016));
  assert_int_equal (p->hardware.disks.ptr[0].rotational, 1);
  assert_int_equal (p->hardware.pci.len, 1);
  assert_true (p->hardware.pci.ptr[0].passthrough);
  assert_string_equal (p->hardware.pci.ptr[0].class_, "0780");
  assert_int_equal (p->os.family, CORE_OS_LINUX);
  assert_int_equal (p->os.pv_drivers, CORE_PV_VIRTIO | CORE_PV_XEN);
  assert_int_equal (p->services.len, 1);
  assert_int_equal (p->services.ptr[0].proto, CORE_PROTO_UDP);
  assert_int_equal (p->services.ptr[0].port, 5060);
  assert_int_equal (p->utilization.interval_s, 300);
  assert_int_equal (p->utilization.cpu_pct.len, 2);
  assert_true (p->utilization.cpu_pct.ptr[0] == 12.5);
  assert_true (p->utilization.net_mbps.ptr[1] == 2.7);
  core_profile_free (p);

  p = core_profile_read (DATA "profile-minimal.yaml");
  assert_non_null (p);
  assert_int_equal (p->os.pv_drivers, CORE_UNSET);
  assert_int_equal (p->utilization.interval_s, CORE_UNSET);
  assert_int_equal (p->hardware.cpu.threads, CORE_UNSET);
  core_profile_free (p);

  p = core_profile_read (DATA "profile-quoting.yaml");
  assert_non_null (p);
  assert_string_equal (p->name, "0123");
  assert_string_equal (p->role, "yes");
  assert_int_equal (p->os.pv_drivers, 0);
  assert_int_equal (p->utilization.interval_s, 300);
  core_profile_free (p);
}

static void
test_hosts (void **state)
{
  struct core_hosts a, b;
  size_t len;
  char *text;

  (void) state;
  if (core_hosts_read (DATA "hosts.yaml", &a) == -1)
    fail_msg ("%s", core_errmsg ());
  assert_int_equal (a.models.len, 2);
  assert_int_equal (a.models.ptr[0].hypervisors, CORE_HV_KVM | CORE_HV_XEN);
  assert_int_equal (a.models.ptr[0].count, 4);
  assert_true (a.models.ptr[1].disk_gib == CORE_UNSET);
  assert_true (a.models.ptr[1].cost == CORE_UNSET);
  assert_int_equal (a.models.ptr[1].count, CORE_UNSET);
  assert_int_equal (a.models.ptr[1].hypervisors, CORE_HV_XEN);
  text = to_text (w_hosts, &a, &len);
  if (core_hosts_parse ("written", text, len, &b) == -1)
    fail_msg ("%s\n%s", core_errmsg (), text);
  assert_true (core_hosts_equal (&a, &b));
  free (text);
  core_hosts_clear (&a);
  core_hosts_clear (&b);
  core_hosts_clear (NULL);
}

static void
test_policy (void **state)
{
  struct core_policy a, b, def;
  size_t len;
  char *text;

  (void) state;
  core_policy_defaults (&def);
  assert_int_equal (core_policy_read (DATA "policy.yaml", &a), 0);
  /* The full example in docs/formats.md is the defaults. */
  assert_true (core_policy_equal (&a, &def));
  assert_int_equal (core_policy_read (DATA "policy-partial.yaml", &a), 0);
  assert_true (a.percentile == 99.5);
  assert_int_equal (a.ha_spare_hosts, 1);
  assert_true (a.overhead_paravirt.cpu_mhz == 52);
  assert_true (a.overhead_paravirt.cpu_pct == 2);    /* untouched default */
  assert_true (a.headroom_pct == 20);
  text = to_text (w_policy, &a, &len);
  assert_int_equal (core_policy_parse ("written", text, len, &b), 0);
  assert_true (core_policy_equal (&a, &b));
  free (text);
}

static void
test_plan (void **state)
{
  struct core_plan a, b;

  (void) state;
  plan_read (DATA "plan.yaml", &a);
  assert_int_equal (a.summary.workloads, 3);
  assert_int_equal (a.summary.lower_bound, 1);
  assert_true (a.summary.watts_after == CORE_UNSET);
  assert_int_equal (a.hosts.len, 1);
  assert_int_equal (a.hosts.ptr[0].workloads.len, 2);
  assert_null (a.workloads.ptr[2].host);
  assert_int_equal (a.workloads.ptr[2].mode, CORE_MODE_PHYSICAL);
  assert_int_equal (a.workloads.ptr[2].passthrough.len, 1);
  assert_int_equal (a.unplaced.len, 1);
  plan_round_trip (&a, &b);
  core_plan_clear (&a);
  core_plan_clear (&b);
  core_plan_clear (NULL);
}

/* A sized plan with growth: sizing and growth are read, written and read
 * back equal. */
static void
test_plan_sized (void **state)
{
  struct core_plan a, b;

  (void) state;
  plan_read (DATA "plan-sized.yaml", &a);
  assert_true (a.sizing.given);
  assert_int_equal (a.sizing.hosts, 1);
  assert_true (a.sizing.cores.spec == 2);
  assert_true (a.sizing.memory_gib.need == 2.27);
  assert_true (a.sizing.memory_gib.spec == 3);
  assert_int_equal (a.sizing.binding, CORE_RES_MEMORY);
  assert_null (a.sizing.interval);
  assert_int_equal (a.sizing.iommu.len, 1);
  assert_string_equal (a.sizing.iommu.ptr[0], "fax01");
  assert_int_equal (a.sizing.virt.len, 2);
  assert_true (a.sizing.has_runs_out);
  assert_int_equal (a.sizing.runs_out.month, CORE_UNSET);
  assert_true (a.growth.given);
  assert_true (a.growth.pct == 40);
  assert_int_equal (a.growth.years, 1);
  assert_int_equal (a.growth.hosts.len, 1);
  assert_int_equal (a.growth.hosts.ptr[0].peak_pct.len, 13);
  plan_round_trip (&a, &b);
  /* A month the growth runs out in, and sizing without it, compare. */
  b.growth.hosts.ptr[0].runs_out.month = 3;
  b.growth.hosts.ptr[0].runs_out.resource = CORE_RES_CPU;
  assert_false (core_plan_equal (&a, &b));
  core_plan_clear (&a);
  core_plan_clear (&b);
}

/* The optional keys for reports: models, hosts[].series and
 * workloads[].server are read, written and read back equal; a plan
 * without them reads as before (test_plan). */
static void
test_plan_extended (void **state)
{
  struct core_plan a, b;
  const struct core_plan_server *s;

  (void) state;
  plan_read (DATA "plan-extended.yaml", &a);
  assert_int_equal (a.models.len, 1);
  assert_string_equal (a.models.ptr[0].model, "athlon-x2-5200");
  assert_int_equal (a.models.ptr[0].count, 2);
  assert_int_equal (a.hosts.ptr[0].series.interval_s, 21600);
  assert_int_equal (a.hosts.ptr[0].series.cpu_mhz.len, 4);
  assert_true (a.hosts.ptr[0].series.cpu_mhz.ptr[1] == 850.5);
  assert_int_equal (a.hosts.ptr[1].series.cpu_mhz.len, 0);
  s = &a.workloads.ptr[0].server;
  assert_true (s->given);
  assert_string_equal (s->machine, "Dell Inc. OptiPlex GX620");
  assert_int_equal (s->cores, 2);
  assert_int_equal (s->virt, CORE_VIRT_NONE);
  assert_int_equal (s->family, CORE_OS_LINUX);
  assert_int_equal (s->services.len, 2);
  assert_true (s->used_gib == 4.2);
  assert_true (s->watts == 95);
  s = &a.workloads.ptr[1].server;
  assert_true (s->given);
  assert_null (s->os);
  assert_true (s->mhz == CORE_UNSET);
  assert_int_equal (s->virt, CORE_VIRT_UNSET);
  plan_round_trip (&a, &b);
  /* Equality sees the new fields. */
  b.hosts.ptr[0].series.cpu_mhz.ptr[2] += 1;
  assert_false (core_plan_equal (&a, &b));
  b.hosts.ptr[0].series.cpu_mhz.ptr[2] -= 1;
  b.workloads.ptr[0].server.cores = 4;
  assert_false (core_plan_equal (&a, &b));
  core_plan_clear (&a);
  core_plan_clear (&b);
}

/* A profile built in code, with every field, survives write and read. */
static void
test_profile_built (void **state)
{
  struct core_profile *p = core_profile_new (), *q;
  struct core_disk d = { core_strdup ("vda"), INT64_MAX, NULL, 0 };
  size_t len;
  char *text;

  (void) state;
  p->name = core_strdup ("built");
  p->hardware.cpu.cores = 4;
  p->hardware.cpu.mhz = 2400.1 + 0.2;  /* not exactly representable */
  p->hardware.memory_mib = 1;
  p->os.pv_drivers = CORE_PV_XEN;
  p->os.name = core_strdup ("line1\nline2\t\"quoted\"");
  assert_int_equal (core_disk_vector_append (&p->hardware.disks, d), 0);
  p->utilization.interval_s = 60;
  for (int i = 0; i < 1440; i++)
    assert_int_equal (core_double_vector_append (&p->utilization.cpu_pct,
                                                 (i * 7919) % 10000 / 100.0), 0);
  text = to_text (w_profile, p, &len);
  q = core_profile_parse ("written", text, len);
  if (q == NULL)
    fail_msg ("%s\n%s", core_errmsg (), text);
  assert_true (core_profile_equal (p, q));
  free (text);
  core_profile_free (p);
  core_profile_free (q);
  core_profile_free (NULL);
}

/* Change leaf number *N of OBJ, a struct of T (its leaves in table
 * order, a list's first item standing for the list), to another value
 * the reader takes; returns its field, or NULL when *N is past the last
 * leaf (then *N is what was left). */
static const struct core_field *
change_leaf (const struct core_table *t, void *obj, size_t *n)
{
  for (size_t i = 0; i < t->n; i++) {
    const struct core_field *f = &t->fields[i];
    void *p = (char *) obj + f->offset;
    struct { char *ptr; size_t len, cap; } *v = p;
    const struct core_field *got;
    int64_t *i64 = p;
    double *d = p;
    int *e = p;

    switch (f->type) {
    case CORE_FIELD_SKIP:
      continue;
    case CORE_FIELD_STRUCT:
      if ((got = change_leaf (f->sub, p, n)))
        return got;
      continue;
    case CORE_FIELD_VECTOR:
      if (v->len == 0)
        fail_msg ("%s: the profile needs an item to change", f->key);
      if ((got = change_leaf (f->sub, v->ptr, n)))
        return got;
      continue;
    default:
      break;
    }
    if ((*n)-- > 0)
      continue;
    switch (f->type) {
    case CORE_FIELD_STRING: case CORE_FIELD_NAME:
      {
        char *old = *(char **) p;
        *(char **) p = core_sprintf ("%s-x", old ? old : "new");
        free (old);
      }
      break;
    case CORE_FIELD_INT:
      *i64 = *i64 != CORE_UNSET && *i64 < f->max ? *i64 + 1 : (int64_t) f->min;
      break;
    case CORE_FIELD_DOUBLE:
      *d = *d != CORE_UNSET && *d + 1 <= f->max ? *d + 1 : f->min;
      break;
    case CORE_FIELD_BOOL:
      *(bool *) p = !*(bool *) p;
      break;
    case CORE_FIELD_TRISTATE:
      *e = *e != 1;
      break;
    case CORE_FIELD_ENUM:
      *e = f->names[*e + 1] ? *e + 1 : f->names[0] ? 0 : 1;
      break;
    case CORE_FIELD_FLAGS:
      *e = *e == 1 ? 2 : 1;
      break;
    case CORE_FIELD_STRINGS:
      assert_int_equal (core_string_vector_append ((core_string_vector *) p,
                                                   /* addresses: each an address with its prefix length */
                                                   strcmp (f->key, "addresses") == 0
                                                   ? core_sprintf ("198.51.100.%zu/24", v->len)
                                                   : core_sprintf ("set%zu", v->len)), 0);
      break;
    case CORE_FIELD_SERIES:
      if (v->len == 0)
        fail_msg ("%s: the profile needs a value to change", f->key);
      d = (double *) v->ptr;
      *d = *d + 1 <= f->max ? *d + 1 : 0;
      break;
    default:
      fail_msg ("%s: no way to change a field of type %d (a field read by "
                "its hook says what it stores: CORE_FIELD_HOOK_READS)",
                f->key, f->type);
    }
    return f;
  }
  return NULL;
}

/* Every field of the profile's tables is written, read back, compared
 * and freed through the tables alone: each leaf of a full profile is
 * changed in turn (twice: a list of names has one name, then two); the
 * change must make the profile differ from before (core_profile_equal
 * sees it), and what is written must read back equal (the writer wrote
 * it).  A field added to a table with no way to write it fails here. */
static void
test_profile_every_field (void **state)
{
  size_t leaf;

  (void) state;
  for (leaf = 0;; leaf++) {
    struct core_profile *p = core_profile_read (DATA "profile-full.yaml");
    struct core_profile *before = core_profile_read (DATA "profile-full.yaml");
    const struct core_field *f = NULL;

    assert_non_null (p);
    assert_non_null (before);
    for (int round = 0; round < 2; round++) {
      struct core_profile *q;
      size_t n = leaf, len;
      char *text;

      if ((f = change_leaf (&core_profile_table, p, &n)) == NULL)
        break;
      if (core_profile_equal (p, before))
        fail_msg ("%s: a change is not seen by core_profile_equal", f->key);
      text = to_text (w_profile, p, &len);
      q = core_profile_parse ("written", text, len);
      if (q == NULL)
        fail_msg ("%s: %s\n%s", f->key, core_errmsg (), text);
      if (!core_profile_equal (p, q))
        fail_msg ("%s: not written, or not read back\n%s", f->key, text);
      free (text);
      core_profile_free (before);
      before = q;
    }
    core_profile_free (p);
    core_profile_free (before);
    if (f == NULL)
      break;
  }
  /* Every leaf of profile-full.yaml was changed. */
  assert_int_equal (leaf, 53);
}

/* Readers reject what is not theirs, with the place of the error. */
static void
expect_profile_error (const char *text, const char *msg)
{
  struct core_profile *p = core_profile_parse ("in.yaml", text, strlen (text));

  assert_null (p);
  assert_string_equal (core_errmsg (), msg);
}

static void
test_profile_errors (void **state)
{
  (void) state;
  expect_profile_error ("", "in.yaml: empty file");
  expect_profile_error ("schema: p2vkit/hosts/v1\nhosts: []\n",
                        "in.yaml:1:9: schema is 'p2vkit/hosts/v1', expected 'p2vkit/profile/v1'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware:\n  cpu: {cores: 1, mhz: 1}\n  memory_mib: 1\n---\nfoo: 1\n",
                        "in.yaml:6:1: more than one YAML document in the file");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nname: y\n",
                        "in.yaml:3:1: duplicate key 'name'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware:\n  cpu: {cores: \"1\", mhz: 1}\n",
                        "in.yaml:4:16: hardware.cpu.cores: expected an integer, got a quoted string");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware:\n  cpu: {cores: 1, mhz: 0x10}\n",
                        "in.yaml:4:24: hardware.cpu.mhz: expected a number, got '0x10'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware:\n  cpu: {cores: 1, mhz: .nan}\n",
                        "in.yaml:4:24: hardware.cpu.mhz: expected a number, got '.nan'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware: {cpu: {cores: 1, mhz: 1}, memory_mib: 1}\n"
                        "utilization: {cpu_pct: [1, 2], net_mbps: [1]}\n",
                        "in.yaml:4:42: utilization.net_mbps: has 1 values but cpu_pct has 2");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware: {cpu: {cores: 1, mhz: 1}, memory_mib: 1}\n"
                        "utilization: {cpu_pct: [1, 200]}\n",
                        "in.yaml:4:28: utilization.cpu_pct[1]: 200 is out of range (0 to 100)");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware: {cpu: {cores: 1, mhz: 1}, memory_mib: 1}\n"
                        "os: {pv_drivers: [virtio, virtio]}\n",
                        "in.yaml:4:27: os.pv_drivers[1]: 'virtio' is listed twice");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware: {cpu: {cores: 1, mhz: 1}, memory_mib: 1}\n"
                        "os: {pv_drivers: [kvm]}\n",
                        "in.yaml:4:19: os.pv_drivers[0]: expected virtio or xen, got 'kvm'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware:\n  cpu: {cores: 1, mhz: 1, virt: yes}\n",
                        "in.yaml:4:33: hardware.cpu.virt: expected none, vmx or svm, got 'yes'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: \"a b\"\n",
                        "in.yaml:2:7: name: 'a b' is not a valid name (letters, digits, '.', '-', '_')");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware:\n  cpu: {cores: 1, mhz: 1}\n",
                        "in.yaml:4:3: hardware: missing required key 'memory_mib'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: [x\n",
                        "in.yaml:3:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence");
}

/* What the receiver and inventory --ssh do with a peer's answer: parse it
 * from memory.  Aliases that multiply, deep nesting and oversized buffers
 * are refused there, before any tree is walked. */
static void
test_limits (void **state)
{
  const char *head = "schema: p2vkit/profile/v1\nname: x\n"
    "hardware: {cpu: {cores: 1, mhz: 1}, memory_mib: 1}\n";
  char *text, *big;
  FILE *fp;
  size_t len;

  (void) state;
  /* A 10 KB string repeated 200 times through one alias. */
  fp = open_memstream (&text, &len);
  assert_non_null (fp);
  fprintf (fp, "%srole: &r \"%0*d\"\nos: {pv_drivers: [", head, 10000, 0);
  for (int i = 0; i < 200; i++)
    fprintf (fp, "%s*r", i ? ", " : "");
  fprintf (fp, "]}\n");
  assert_int_equal (fclose (fp), 0);
  assert_null (core_profile_parse ("in.yaml", text, len));
  assert_string_equal (core_errmsg (), "in.yaml:5:47: alias '*r' expands too far: "
                       "aliases may repeat at most the file's own size plus 64 KiB");
  free (text);

  /* The same alias a few times is fine (the reader then checks it). */
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\n"
                        "hardware: {cpu: {cores: 1, mhz: 1}, memory_mib: 1}\n"
                        "role: &r virtio\nos: {pv_drivers: [*r, *r]}\n",
                        "in.yaml:4:7: os.pv_drivers[1]: 'virtio' is listed twice");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nos: &o {pv_drivers: *o}\n",
                        "in.yaml:3:21: alias '*o' is inside the node it names");

  /* 65 levels (the root mapping is the first). */
  fp = open_memstream (&text, &len);
  assert_non_null (fp);
  fprintf (fp, "%srole: ", head);
  for (int i = 0; i < 100000; i++)
    fputc ('[', fp);
  fprintf (fp, "\n");
  assert_int_equal (fclose (fp), 0);
  assert_null (core_profile_parse ("in.yaml", text, len));
  assert_string_equal (core_errmsg (), "in.yaml:4:70: nested deeper than 64 levels");
  free (text);

  /* calloc: zero pages cost no memory until touched, and none is. */
  big = calloc (1, CORE_INPUT_MAX + 1);
  assert_non_null (big);
  assert_null (core_profile_parse ("in.yaml", big, CORE_INPUT_MAX + 1));
  assert_string_equal (core_errmsg (), "in.yaml: larger than 64 MiB, the most a p2vkit file may hold");
  free (big);
}

/* Messages quote keys as they are, escaped; near keys are suggested. */
static void
test_key_messages (void **state)
{
  char buf[64];

  (void) state;
  expect_profile_error ("schema: p2vkit/profile/v1\n\"\\e[2J\\t\\x9b\\xe9\": 1\n",
                        "in.yaml:2:1: unknown key '\\x1b[2J\\t\\xc2\\x9b\xc3\xa9'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware: {memory_mb: 1}\n",
                        "in.yaml:3:12: hardware: unknown key 'memory_mb' (did you mean 'memory_mib'?)");
  /* Not a key already given, and not a far one. */
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nnmae: y\n",
                        "in.yaml:3:1: unknown key 'nmae'");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\ncolour: y\n",
                        "in.yaml:3:1: unknown key 'colour'");
  expect_profile_error ("schema: p2vkit/profile/v1\n[a]: 1\n",
                        "in.yaml:2:1: a key must be a string, got a list");
  expect_profile_error ("schema: p2vkit/profile/v1\nname: x\nhardware: {[a]: 1}\n",
                        "in.yaml:3:12: hardware: a key must be a string, got a list");

  /* core_escape itself: invalid UTF-8, C1 controls, and cutting short. */
  assert_string_equal (core_escape ("a\x1b\x7f\xc2\x9b\xc3\xa9\xe2\x82", 9, buf, sizeof buf),
                       "a\\x1b\\x7f\\xc2\\x9b\xc3\xa9\\xe2\\x82");
  assert_string_equal (core_escape ("ab\x1b", 3, buf, 5), "ab");
  assert_string_equal (core_escape ("\xc3\xa9\xc3\xa9", 4, buf, 4), "\xc3\xa9");
}

/* A long series and many small files must not be slow or big. */
static void
test_number_helpers (void **state)
{
  int64_t i;
  double d;
  char buf[64];

  (void) state;
  assert_int_equal (core_parse_int64 ("42", "f", 0, 100, &i), 0);
  assert_int_equal (i, 42);
  assert_int_equal (core_parse_int64 ("", "f", 0, 100, &i), -1);
  assert_string_equal (core_errmsg (), "f: expected an integer, got ''");
  assert_int_equal (core_parse_int64 ("101", "f", 0, 100, &i), -1);
  assert_string_equal (core_errmsg (), "f: 101 is out of range (0 to 100)");
  assert_int_equal (core_parse_int64 ("99999999999999999999", "f", 0, INT64_MAX, &i), -1);
  assert_string_equal (core_errmsg (), "f: 99999999999999999999 is out of range (at least 0)");
  assert_int_equal (core_parse_int64 ("1.5", "f", 0, 100, &i), -1);
  assert_int_equal (core_parse_double ("1e3", "f", 0, 1e4, &d), 0);
  assert_true (d == 1000);
  assert_int_equal (core_parse_double ("inf", "f", 0, 1e4, &d), -1);
  assert_int_equal (core_parse_double ("-0", "f", 0, 1, &d), 0);
  assert_true (d == 0 && !signbit (d));
  core_format_double (0.1 + 0.2, buf, sizeof buf);
  assert_string_equal (buf, "0.30000000000000004");
  core_format_double (12.5, buf, sizeof buf);
  assert_string_equal (buf, "12.5");
  core_format_double (2600, buf, sizeof buf);
  assert_string_equal (buf, "2600");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_profile_full),
    cmocka_unit_test (test_profile_minimal),
    cmocka_unit_test (test_profile_quoting),
    cmocka_unit_test (test_profile_values),
    cmocka_unit_test (test_profile_built),
    cmocka_unit_test (test_profile_every_field),
    cmocka_unit_test (test_hosts),
    cmocka_unit_test (test_policy),
    cmocka_unit_test (test_plan),
    cmocka_unit_test (test_plan_extended),
    cmocka_unit_test (test_plan_sized),
    cmocka_unit_test (test_profile_errors),
    cmocka_unit_test (test_limits),
    cmocka_unit_test (test_key_messages),
    cmocka_unit_test (test_number_helpers),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
