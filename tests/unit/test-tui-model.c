/* Unit tests of the wizard's model (tui/model.c), its worker thread
 * (tui/job.c) and its export (tui/export.c), without a terminal, on the
 * example fleet.  Run from the top of the source tree, or with $srcdir
 * set to it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "tui/tui.h"
#include "tests/unit/unit.h"

#define SERVERS "examples/fleet/servers"
#define HOSTS "examples/fleet/hosts.yaml"
#define POLICY "examples/fleet/policy.yaml"

static ssize_t
find (const struct tui_model *m, const char *name)
{
  for (size_t i = 0; i < m->profiles.len; i++)
    if (strcmp (m->profiles.ptr[i]->name, name) == 0)
      return i;
  return -1;
}

static void
load_fleet (struct tui_model *m)
{
  tui_model_init (m);
  m->time_limit = 0;            /* first fit decreasing: the same every run */
  assert_int_equal (tui_model_add_path (m, SERVERS), 64);
  assert_int_equal (tui_model_load_hosts (m, HOSTS), 0);
  assert_int_equal (tui_model_load_policy (m, POLICY), 0);
}

static char *
plan_text (const struct core_plan *plan)
{
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&text, &len);

  assert_non_null (fp);
  assert_int_equal (core_plan_write (fp, plan), 0);
  fclose (fp);
  return text;
}

static void
test_add_drop (void **state)
{
  struct tui_model m;
  ssize_t i;

  (void) state;
  tui_model_init (&m);
  assert_false (m.dirty);
  assert_int_equal (tui_model_add_path (&m, SERVERS), 64);
  assert_true (m.dirty);
  /* The same workloads again: refused whole, with the name. */
  assert_int_equal (tui_model_add_path (&m, SERVERS "/app01.yaml"), -1);
  assert_non_null (strstr (core_errmsg (), "'app01' is loaded already"));
  assert_int_equal (m.profiles.len, 64);
  /* An unreadable path: an error naming it, nothing changes. */
  assert_int_equal (tui_model_add_path (&m, "/nonexistent/x.yaml"), -1);
  assert_non_null (strstr (core_errmsg (), "/nonexistent/x.yaml"));
  assert_int_equal (m.profiles.len, 64);

  i = find (&m, "inv01");
  assert_true (i >= 0);
  m.force[i + 1] = CORE_MODE_FULL;
  tui_model_drop (&m, i);
  assert_int_equal (m.profiles.len, 63);
  assert_int_equal (find (&m, "inv01"), -1);
  /* The forced modes move with their workloads. */
  assert_int_equal (m.force[i], CORE_MODE_FULL);
  assert_int_equal (tui_model_add_path (&m, SERVERS "/inv01.yaml"), 1);
  assert_int_equal (m.force[63], -1);
  tui_model_clear (&m);
  tui_model_clear (NULL);
}

static void
test_view (void **state)
{
  struct tui_model m;
  size_t n, *idx;
  struct tui_row prev, r;

  (void) state;
  load_fleet (&m);
  idx = tui_model_view (&m, TUI_COL_CORES, true, NULL, &n);
  assert_int_equal (n, 64);
  prev = tui_model_row (&m, idx[0]);
  for (size_t k = 1; k < n; k++) {
    r = tui_model_row (&m, idx[k]);
    assert_true (r.cores <= prev.cores);
    if (r.cores == prev.cores)
      assert_true (strcmp (prev.name, r.name) < 0);
    prev = r;
  }
  free (idx);

  idx = tui_model_view (&m, TUI_COL_NAME, false, "DC0", &n);
  assert_int_equal (n, 2);
  assert_string_equal (m.profiles.ptr[idx[0]]->name, "dc01");
  assert_string_equal (m.profiles.ptr[idx[1]]->name, "dc02");
  free (idx);
  /* The filter looks at the OS too. */
  idx = tui_model_view (&m, TUI_COL_NAME, false, "Shrike", &n);
  assert_int_equal (n, 1);
  assert_string_equal (m.profiles.ptr[idx[0]]->name, "inv01");
  r = tui_model_row (&m, idx[0]);
  assert_string_equal (r.os, "Red Hat Linux release 9 (Shrike)");
  assert_true (r.cpu95_pct >= 0 && r.cpu95_pct <= 100);
  free (idx);
  tui_model_clear (&m);
}

static void
test_cpu_day (void **state)
{
  struct tui_model m;
  double b[24], top = 0;
  ssize_t i;

  (void) state;
  load_fleet (&m);
  /* The backup server is busy from 01:00 to 05:00. */
  i = find (&m, "bkp01");
  assert_true (tui_model_cpu_day (&m, i, b, 24));
  for (int h = 0; h < 24; h++)
    top = b[h] > top ? b[h] : top;
  assert_true (b[2] > b[12]);
  assert_true (top > 0 && top <= 100);
  tui_model_clear (&m);
}

static void
test_hosts (void **state)
{
  struct tui_model m;
  char buf[64];
  ssize_t k;

  (void) state;
  load_fleet (&m);
  assert_int_equal (m.hosts.models.len, 3);
  tui_model_host_get (&m, 0, TUI_HF_CORES, buf, sizeof buf);
  assert_string_equal (buf, "32");
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_CORES, "40"), 0);
  assert_int_equal (m.hosts.models.ptr[0].cores, 40);
  /* Out of range, or not a number: refused in place, naming the field. */
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_CORES, "0"), -1);
  assert_non_null (strstr (core_errmsg (), "cores"));
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_COST, "cheap"), -1);
  assert_non_null (strstr (core_errmsg (), "cost"));
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_CORES, "8\nvirt: none"), -1);
  assert_int_equal (m.hosts.models.ptr[0].cores, 40);
  assert_int_equal (m.hosts.models.ptr[0].cost, 14500);
  /* Optional values can be emptied. */
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_COUNT, "2"), 0);
  assert_int_equal (m.hosts.models.ptr[0].count, 2);
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_COUNT, ""), 0);
  assert_int_equal (m.hosts.models.ptr[0].count, CORE_UNSET);
  /* The reader's rules across fields hold too. */
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_VIRT, "none"), -1);
  assert_non_null (strstr (core_errmsg (), "kvm needs hardware virtualization"));
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_HYPERVISORS, "xen"), 0);
  assert_int_equal (m.hosts.models.ptr[0].hypervisors, CORE_HV_XEN);
  assert_int_equal (tui_model_host_set (&m, 0, TUI_HF_MODEL, "r760-2x24"), -1);

  k = tui_model_host_add (&m, "big-box");
  assert_int_equal (k, 3);
  assert_string_equal (m.hosts.models.ptr[3].model, "big-box");
  assert_int_equal (tui_model_host_add (&m, "big-box"), -1);
  assert_int_equal (tui_model_host_add (&m, "bad name!"), -1);
  assert_int_equal (m.hosts.models.len, 4);
  tui_model_host_drop (&m, 3);
  assert_int_equal (m.hosts.models.len, 3);
  tui_model_clear (&m);
}

static void
test_policy (void **state)
{
  struct tui_model m;
  char buf[64];

  (void) state;
  load_fleet (&m);
  tui_model_policy_get (&m, TUI_PF_HEADROOM, buf, sizeof buf);
  assert_string_equal (buf, "20");
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_HEADROOM, "30"), 0);
  assert_int_equal (m.policy.headroom_pct, 30);
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_HEADROOM, "100"), -1);
  assert_non_null (strstr (core_errmsg (), "headroom_pct"));
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_PERCENTILE, "x"), -1);
  assert_int_equal (m.policy.headroom_pct, 30);
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_THIN_DISKS, "true"), 0);
  assert_true (m.policy.thin_disks);
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_PV_MEMORY, "48"), 0);
  assert_int_equal (m.policy.overhead_paravirt.memory_mib, 48);
  /* Turning redundant roles off survives editing another field. */
  assert_true (m.policy.separate_redundant_roles);
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_REDUNDANT, "false"), 0);
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_HA_SPARES, "1"), 0);
  assert_false (m.policy.separate_redundant_roles);
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_FULL_CPU_PCT, "-1"), -1);
  assert_non_null (strstr (core_errmsg (), "full.cpu_pct: -1 is out of range"));
  assert_int_equal (m.policy.overhead_full.cpu_pct, 10);
  tui_model_clear (&m);
}

static void
test_modes_force (void **state)
{
  struct tui_model m;
  char why[3][512];
  unsigned mask;
  ssize_t inv, dc;

  (void) state;
  load_fleet (&m);
  /* Red Hat Linux 9 has no paravirtual drivers: full only. */
  inv = find (&m, "inv01");
  mask = tui_model_modes (&m, inv, why);
  assert_int_equal (mask, (1u << CORE_MODE_FULL) | (1u << CORE_MODE_PHYSICAL));
  assert_int_equal (tui_model_force (&m, inv, CORE_MODE_PARAVIRT), -1);
  assert_non_null (strstr (core_errmsg (), "inv01 cannot be forced to paravirt"));
  assert_int_equal (m.force[inv], -1);
  assert_int_equal (tui_model_force (&m, inv, CORE_MODE_PHYSICAL), 0);
  assert_int_equal (m.force[inv], CORE_MODE_PHYSICAL);
  /* Windows 2008 R2 with virtio-win: paravirtual on KVM, full on Xen. */
  dc = find (&m, "dc01");
  mask = tui_model_modes (&m, dc, why);
  assert_int_equal (mask, 7u);
  assert_non_null (strstr (why[CORE_MODE_FULL], "Xen"));
  assert_int_equal (tui_model_force (&m, dc, CORE_MODE_FULL), 0);
  tui_model_clear (&m);
}

static void
run_plan (struct tui_model *m)
{
  struct tui_plan_job pj;
  struct tui_job job;
  int spins = 0;

  tui_job_init (&job);
  core_plan_init (&pj.plan);
  tui_model_plan_config (m, &pj.cfg);
  assert_int_equal (tui_job_start (&job, tui_plan_work, &pj), 0);
  while (!tui_job_poll (&job)) {
    usleep (10000);
    assert_true (++spins < 6000);
  }
  assert_int_equal (job.result, 0);
  assert_false (job.running);
  tui_model_set_plan (m, &pj.plan);
  core_plan_clear (&pj.plan);
}

static void
test_plan_and_force (void **state)
{
  struct tui_model m;
  CLEANUP_FREE char *report = NULL;
  const struct core_plan_workload *w;
  ssize_t inv, dc;

  (void) state;
  load_fleet (&m);
  inv = find (&m, "inv01");
  dc = find (&m, "dc01");
  assert_int_equal (tui_model_force (&m, inv, CORE_MODE_PHYSICAL), 0);
  assert_int_equal (tui_model_force (&m, dc, CORE_MODE_FULL), 0);
  assert_null (tui_model_decision (&m, inv));
  run_plan (&m);
  assert_true (m.planned);
  assert_false (m.stale);
  w = tui_model_decision (&m, inv);
  assert_int_equal (w->mode, CORE_MODE_PHYSICAL);
  assert_null (w->host);
  w = tui_model_decision (&m, dc);
  assert_int_equal (w->mode, CORE_MODE_FULL);
  assert_non_null (strstr (w->reasons.ptr[0], "Xen"));
  /* The command line's check accepts it. */
  assert_int_equal (plan_check (&m.plan, &m.profiles, &m.hosts, &report), 0);
  /* A forced mode holds when moving: not onto a KVM host, where the rules
   * give paravirt. */
  for (size_t h = 0; h < m.plan.hosts.len; h++)
    if (!m.plan.hosts.ptr[h].spare && m.plan.hosts.ptr[h].hypervisor == CORE_HV_KVM) {
      char *why = NULL;
      assert_int_equal (tui_model_move (&m, "dc01", m.plan.hosts.ptr[h].name, &why), 1);
      assert_non_null (strstr (why, "dc01 is forced to full"));
      free (why);
      break;
    }
  assert_int_equal (m.plan.summary.unplaced, 1);
  /* Any change to the inputs makes it stale. */
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_HEADROOM, "25"), 0);
  assert_true (m.stale);
  tui_model_clear (&m);
}

static int
run_size (struct tui_model *m, struct core_plan *out)
{
  struct tui_size_job sj;
  struct tui_job job;
  int spins = 0;

  tui_job_init (&job);
  core_plan_init (&sj.plan);
  tui_size_config (m, &sj);
  assert_int_equal (tui_job_start (&job, tui_size_work, &sj), 0);
  while (!tui_job_poll (&job)) {
    usleep (10000);
    assert_true (++spins < 6000);
  }
  assert_false (job.running);
  if (job.result == -1)
    core_error ("%s", job.error);
  *out = sj.plan;
  return job.result;
}

/* "Size for me" on the thesis lab: the spec `p2vkit plan
 * examples/thesis/servers --policy examples/thesis/policy.yaml --size`
 * writes (2 cores at 2600 MHz, 2 GiB; memory binds), as model "sized". */
static void
test_size (void **state)
{
  struct tui_model m;
  struct core_plan sized;
  const struct core_host_model *h;
  ssize_t i;

  (void) state;
  tui_model_init (&m);
  m.time_limit = 0;
  /* No workloads: an error, nothing added. */
  assert_int_equal (run_size (&m, &sized), -1);
  assert_non_null (strstr (core_errmsg (), "no workloads"));
  core_plan_clear (&sized);
  assert_int_equal (m.hosts.models.len, 0);

  assert_int_equal (tui_model_add_path (&m, "examples/thesis/servers"), 2);
  assert_int_equal (tui_model_load_hosts (&m, "examples/thesis/hosts.yaml"), 0);
  assert_int_equal (tui_model_load_policy (&m, "examples/thesis/policy.yaml"), 0);
  assert_int_equal (m.hosts.models.len, 1);
  assert_int_equal (run_size (&m, &sized), 0);
  i = tui_model_take_sizing (&m, &sized);
  core_plan_clear (&sized);
  assert_int_equal (i, 1);
  assert_int_equal (m.hosts.models.len, 2);
  h = &m.hosts.models.ptr[i];
  assert_string_equal (h->model, "sized");
  assert_int_equal (h->cores, 2);
  assert_true (h->mhz == 2600);
  assert_int_equal (h->memory_mib, 2048);
  assert_int_equal (h->count, 1);
  assert_true (h->hypervisors & CORE_HV_KVM);
  assert_true (m.sized.sizing.given);
  assert_int_equal (m.sized.sizing.binding, CORE_RES_MEMORY);
  assert_int_equal (m.sized_gen, m.gen);

  /* Planning on the catalog with it: the command line's check agrees. */
  tui_model_host_drop (&m, 0);
  assert_true (m.sized_gen != m.gen);
  run_plan (&m);
  assert_int_equal (m.plan.summary.placed, 2);
  assert_int_equal (tui_model_hosts_used (&m), 1);
  assert_string_equal (m.plan.hosts.ptr[0].model, "sized");

  /* Sizing again, with more headroom: the model is replaced, not added. */
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_HEADROOM, "60"), 0);
  assert_int_equal (run_size (&m, &sized), 0);
  assert_int_equal (tui_model_take_sizing (&m, &sized), 0);
  core_plan_clear (&sized);
  assert_int_equal (m.hosts.models.len, 1);
  assert_int_equal (m.hosts.models.ptr[0].memory_mib, 6144);   /* as --size writes */
  tui_model_clear (&m);
}

static void
test_move (void **state)
{
  struct tui_model m;
  CLEANUP_FREE char *before = NULL, *after = NULL, *report = NULL;
  char *why = NULL;
  const char *name, *from;
  bool moved = false;

  (void) state;
  load_fleet (&m);
  assert_int_equal (tui_model_move (&m, "app01", "x", &why), -1);
  run_plan (&m);

  /* Onto the spare: refused, the plan unchanged. */
  before = plan_text (&m.plan);
  name = m.plan.hosts.ptr[0].workloads.ptr[0];
  for (size_t h = 0; h < m.plan.hosts.len; h++)
    if (m.plan.hosts.ptr[h].spare) {
      assert_int_equal (tui_model_move (&m, name, m.plan.hosts.ptr[h].name, &why), 1);
      assert_non_null (strstr (why, "spare"));
      free (why);
    }
  assert_int_equal (tui_model_move (&m, name, "nowhere", &why), 1);
  free (why);
  after = plan_text (&m.plan);
  assert_string_equal (before, after);
  free (after);
  after = NULL;

  /* The first workload that fits somewhere else moves, and the moved
   * plan passes the command line's check. */
  for (size_t h = 0; h < m.plan.hosts.len && !moved; h++)
    for (size_t q = 0; q < m.plan.hosts.ptr[h].workloads.len && !moved; q++) {
      /* A copy: a refused move puts the name back as a new string. */
      char copy[64];
      snprintf (copy, sizeof copy, "%s", m.plan.hosts.ptr[h].workloads.ptr[q]);
      name = copy;
      from = m.plan.hosts.ptr[h].name;
      for (size_t t = 0; t < m.plan.hosts.len && !moved; t++) {
        int r;
        if (t == h || m.plan.hosts.ptr[t].spare)
          continue;
        r = tui_model_move (&m, name, m.plan.hosts.ptr[t].name, &why);
        if (r == -1)
          fail_msg ("%s", core_errmsg ());
        if (r == 1) {
          /* Refused: the plan is as it was. */
          after = plan_text (&m.plan);
          assert_string_equal (before, after);
          free (after);
          after = NULL;
        }
        free (why);
        moved = r == 0;
      }
      (void) from;
    }
  assert_true (moved);
  assert_int_equal (m.moves, 1);
  assert_int_equal (plan_check (&m.plan, &m.profiles, &m.hosts, &report), 0);
  after = plan_text (&m.plan);
  assert_string_not_equal (before, after);
  tui_model_clear (&m);
}

/* Try to empty host VICTIM by moving its workloads anywhere they fit. */
static bool
empty_host (struct tui_model *m, const char *victim)
{
  for (;;) {
    ssize_t v = -1;
    bool moved = false;
    char name[64];

    for (size_t h = 0; h < m->plan.hosts.len; h++)
      if (strcmp (m->plan.hosts.ptr[h].name, victim) == 0)
        v = h;
    if (v < 0)
      return true;
    snprintf (name, sizeof name, "%s", m->plan.hosts.ptr[v].workloads.ptr[0]);
    for (size_t t = 0; t < m->plan.hosts.len && !moved; t++) {
      char *why = NULL, to[64];
      int r;
      if ((ssize_t) t == v || m->plan.hosts.ptr[t].spare)
        continue;
      snprintf (to, sizeof to, "%s", m->plan.hosts.ptr[t].name);
      r = tui_model_move (m, name, to, &why);
      if (r == -1)
        fail_msg ("%s", core_errmsg ());
      free (why);
      moved = r == 0;
    }
    if (!moved)
      return false;
  }
}

/* Emptying a host by hand removes it, and the plan stays valid. */
static void
test_move_empties_host (void **state)
{
  struct tui_model m;
  size_t nhosts;
  bool emptied = false;

  (void) state;
  load_fleet (&m);
  /* First fit decreasing leaves no host that single moves can empty (an
   * item opens a host only when it fits no other), and disk binds in this
   * fleet: plan with thick disks, then let the plan count thin ones (only
   * the space in use), as if the rule had changed. */
  run_plan (&m);
  nhosts = m.plan.hosts.len;
  for (size_t v = 0; v < nhosts && !emptied; v++) {
    CLEANUP_FREE char *report = NULL;
    size_t before;
    double cost;
    char victim[64];

    run_plan (&m);
    m.plan.policy.thin_disks = true;
    before = m.plan.hosts.len;
    cost = m.plan.summary.cost;
    if (m.plan.hosts.ptr[v].spare)
      continue;
    snprintf (victim, sizeof victim, "%s", m.plan.hosts.ptr[v].name);
    emptied = empty_host (&m, victim);
    assert_int_equal (plan_check (&m.plan, &m.profiles, &m.hosts, &report), 0);
    if (emptied) {
      assert_true (m.plan.hosts.len < before);
      assert_int_equal (m.plan.summary.hosts_used, m.plan.hosts.len);
      assert_true (m.plan.summary.cost < cost);
      for (size_t h = 0; h < m.plan.hosts.len; h++)
        assert_string_not_equal (m.plan.hosts.ptr[h].name, victim);
    }
    else
      assert_int_equal (m.plan.hosts.len, before);
  }
  assert_true (emptied);
  tui_model_clear (&m);
}

static void
test_export (void **state)
{
  struct tui_model m;
  struct tui_export ex = { 0 };
  struct tui_job job;
  char dir[] = "/tmp/p2vkit-tui-test.XXXXXX";
  CLEANUP_FREE_PLAN struct core_plan back;
  CLEANUP_FREE char *cmds = NULL, *name = NULL;
  struct core_policy pol;
  size_t len;

  (void) state;
  core_plan_init (&back);
  load_fleet (&m);
  assert_int_equal (tui_model_policy_set (&m, TUI_PF_HEADROOM, "30"), 0);
  run_plan (&m);
  assert_non_null (mkdtemp (dir));
  ex.plan_file = core_sprintf ("%s/plan.yaml", dir);
  ex.commands = ex.policy = true;
  ex.model = &m;
  tui_job_init (&job);
  assert_int_equal (tui_export_work (&job, &ex), 0);
  assert_int_equal (ex.done.len, 4);
  assert_int_equal (core_plan_read (ex.plan_file, &back), 0);
  assert_true (core_plan_equal (&back, &m.plan));
  name = tui_export_name (ex.plan_file, "-policy.yaml");
  assert_int_equal (core_policy_read (name, &pol), 0);
  assert_int_equal (pol.headroom_pct, 30);
  free (name);
  name = tui_export_name (ex.plan_file, "-commands.sh");
  cmds = core_read_file (name, &len);
  assert_non_null (cmds);
  assert_non_null (strstr (cmds, "p2vkit convert \"$CAPTURES\"/app01/*.qcow2"));
  assert_non_null (strstr (cmds, "p2vkit deploy "));
  unlink (name);
  free (name);
  name = tui_export_name (ex.plan_file, "-hosts.yaml");
  unlink (name);
  free (name);
  name = tui_export_name (ex.plan_file, "-policy.yaml");
  unlink (name);
  unlink (ex.plan_file);
  assert_int_equal (rmdir (dir), 0);
  tui_export_clear (&ex);
  tui_export_clear (NULL);

  free (name);
  name = tui_export_name ("a/b.yml", ".md");
  assert_string_equal (name, "a/b.md");
  tui_model_clear (&m);
}

/* The forms' texts of what each field accepts, made from the readers'
 * tables, read as they did when they were written by hand. */
static void
test_field_ranges (void **state)
{
  static const char *const hosts[TUI_NHF] = {
    "a name: letters, digits, . _ -", "1..65536", "1..1000000", "1..2^40",
    ">= 0, empty: no limit", ">= 0, empty: no limit", ">= 0, empty: no limit",
    "none, vmx or svm", "true or false", "kvm, xen or kvm xen",
    ">= 0, empty: not given", "0..1000000, empty: not given",
    "0..2^31, empty: no limit",
  };
  static const char *const policy[TUI_NPF] = {
    "1..100", "0..99", "1..1000 vCPUs per core", "1..100",
    "0..1000 per model", "true or false", "true or false", "true or false",
    "true or false", "0..1000 % of the guest's CPU",
    "0..1000000 MHz per guest", "0..1e9 MiB per guest",
    "0..1000 % of the guest's CPU", "0..1000000 MHz per guest",
    "0..1e9 MiB per guest",
  };
  char buf[128], small[8];

  (void) state;
  for (int i = 0; i < TUI_NHF; i++) {
    tui_host_field_range (i, buf, sizeof buf);
    assert_string_equal (buf, hosts[i]);
  }
  for (int i = 0; i < TUI_NPF; i++) {
    tui_policy_field_range (i, buf, sizeof buf);
    assert_string_equal (buf, policy[i]);
  }
  /* Cut short, never overrun. */
  tui_policy_field_range (TUI_PF_FULL_MEMORY, small, sizeof small);
  assert_string_equal (small, "0..1e9 ");
  tui_host_field_range (TUI_HF_HYPERVISORS, small, sizeof small);
  assert_string_equal (small, "kvm, xe");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_add_drop),
    cmocka_unit_test (test_view),
    cmocka_unit_test (test_cpu_day),
    cmocka_unit_test (test_hosts),
    cmocka_unit_test (test_policy),
    cmocka_unit_test (test_modes_force),
    cmocka_unit_test (test_plan_and_force),
    cmocka_unit_test (test_size),
    cmocka_unit_test (test_move),
    cmocka_unit_test (test_move_empties_host),
    cmocka_unit_test (test_export),
    cmocka_unit_test (test_field_ranges),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, unit_chdir_srcdir, NULL);
}
