/* p2vkit plan: profiles + host catalog + policy -> plan. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "planner/planner.h"

enum { OPT_JSON = 256 };

static const struct cli_option opts[] = {
  { "hosts", required_argument, 'H', "FILE", "the host catalog (p2vkit/hosts/v1)" },
  { "policy", required_argument, 'p', "FILE", "the policy (p2vkit/policy/v1); defaults otherwise" },
  { "output", required_argument, 'o', "FILE", "write the plan to FILE (default: standard output)" },
  { "time-limit", required_argument, 't', "SEC", "search for at most SEC seconds (default 5)" },
  { "seed", required_argument, 's', "N", "seed of the search's random choices (default 1)" },
  { "check", required_argument, 'c', "PLAN", "check PLAN against the profiles and catalog instead of planning" },
  { "size", no_argument, 'S', NULL, "size the host to buy instead of packing onto a catalog" },
  { "hosts-max", required_argument, 'N', "N", "with --size: the spec of which N identical hosts carry the workloads" },
  { "core-mhz", required_argument, 'M', "MHZ", "with --size: the clock the spec's cores are assumed at (default 2600)" },
  { "growth", required_argument, 'g', "PCT", "demand grows PCT a year (0 to 1000): say when the hosts run out" },
  { "years", required_argument, 'y', "Y", "with --growth: how many years to look ahead (1 to 20, default 3)" },
  { "json", no_argument, OPT_JSON, NULL, "print the summary as JSON on standard output (the plan goes to -o FILE)" },
  { "quiet", no_argument, 'q', NULL, "print no progress and no summary" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "PROFILES... --hosts HOSTS.yaml [--policy POLICY.yaml] [-o PLAN.yaml]\n"
  "       p2vkit plan PROFILES... --size [--hosts-max N] [--policy POLICY.yaml] [-o PLAN.yaml]\n"
  "       p2vkit plan --check PLAN.yaml PROFILES... --hosts HOSTS.yaml",
  "Size every workload on a percentile of its utilization, decide whether it\n"
  "runs paravirtualized, fully virtualized or stays physical (with reasons),\n"
  "and place it on the fewest (or cheapest) hosts of the catalog such that at\n"
  "every interval of the day every host keeps its headroom.  With --size,\n"
  "find the smallest host to buy that carries them instead; with --growth,\n"
  "say in which month each host runs out.  PROFILES are profile files, CSV\n"
  "files, or folders of them.  The rules: docs/planner.md."
};

struct progress_state {
  bool tty, quiet;
  char last[32];                /* the stage's first word */
};

/* A tty gets one line rewritten in place: the stage, the best solution
 * so far, and the share of the time limit used; a log gets a line per
 * stage. */
static void
show_progress (void *opaque, const char *stage, uint64_t done, uint64_t sent,
               uint64_t total)
{
  struct progress_state *ps = opaque;
  size_t word = strcspn (stage, " ");
  double fraction = total ? (double) done / total : 0;

  (void) sent;
  if (ps->quiet)
    return;
  if (ps->tty) {
    fprintf (stderr, "\rplan: %s %3.0f%%\033[K", stage, 100 * fraction);
    if (strcmp (stage, "done") == 0)
      fputs ("\r\033[K", stderr);
  }
  else if (strlen (ps->last) != word || strncmp (ps->last, stage, word) != 0) {
    if (strcmp (stage, "done") != 0)
      fprintf (stderr, "plan: %.*s\n", (int) word, stage);
  }
  snprintf (ps->last, sizeof ps->last, "%.*s", (int) word, stage);
}

static void
show_warning (void *opaque, enum core_notice kind, const char *msg)
{
  struct progress_state *ps = opaque;

  if (ps->tty && !ps->quiet)
    fputs ("\r\033[K", stderr);
  fprintf (stderr, "p2vkit: %s%s\n",
           kind == CORE_NOTICE_WARNING ? "warning: " : "", msg);
}

static int
write_plan (FILE *fp, void *opaque)
{
  return core_plan_write (fp, opaque);
}

static void
json_strings (struct core_json *j, const char *key, const core_string_vector *v)
{
  core_json_key (j, key);
  core_json_array_begin (j);
  for (size_t i = 0; i < v->len; i++)
    core_json_string (j, v->ptr[i]);
  core_json_array_end (j);
}

/* --json: the summary line's facts, per host and per workload left
 * physical, for scripts. */
static int
print_json (const struct core_plan *plan, const char *output)
{
  struct core_json j;

  core_json_begin (&j, stdout);
  core_json_object_begin (&j);
  core_json_key (&j, "output"); core_json_string (&j, output);
  core_json_number (&j, "workloads", plan->summary.workloads);
  core_json_number (&j, "placed", plan->summary.placed);
  core_json_number (&j, "unplaced", plan->summary.unplaced);
  core_json_number (&j, "hosts_used", plan->summary.hosts_used);
  core_json_number (&j, "lower_bound", plan->summary.lower_bound);
  core_json_number (&j, "cost", plan->summary.cost);
  core_json_number (&j, "watts_before", plan->summary.watts_before);
  core_json_number (&j, "watts_after", plan->summary.watts_after);
  core_json_key (&j, "hosts");
  core_json_array_begin (&j);
  for (size_t i = 0; i < plan->hosts.len; i++) {
    const struct core_plan_host *h = &plan->hosts.ptr[i];

    core_json_object_begin (&j);
    core_json_key (&j, "name"); core_json_string (&j, h->name);
    core_json_key (&j, "model"); core_json_string (&j, h->model);
    core_json_key (&j, "hypervisor");
    core_json_string (&j, h->hypervisor == CORE_HV_XEN ? "xen" : "kvm");
    core_json_key (&j, "spare"); core_json_bool (&j, h->spare);
    json_strings (&j, "workloads", &h->workloads);
    core_json_key (&j, "peak_pct");
    core_json_object_begin (&j);
    core_json_number (&j, "cpu", h->peak.cpu_pct);
    core_json_number (&j, "memory", h->peak.memory_pct);
    core_json_number (&j, "disk", h->peak.disk_pct);
    core_json_number (&j, "iops", h->peak.iops_pct);
    core_json_number (&j, "net", h->peak.net_pct);
    core_json_object_end (&j);
    core_json_object_end (&j);
  }
  core_json_array_end (&j);
  core_json_key (&j, "workloads_placed");
  core_json_array_begin (&j);
  for (size_t i = 0; i < plan->workloads.len; i++) {
    const struct core_plan_workload *w = &plan->workloads.ptr[i];

    if (w->host == NULL)
      continue;
    core_json_object_begin (&j);
    core_json_key (&j, "name"); core_json_string (&j, w->name);
    core_json_key (&j, "host"); core_json_string (&j, w->host);
    core_json_key (&j, "mode"); core_json_string (&j, core_mode_names[w->mode]);
    core_json_number (&j, "vcpus", w->vcpus);
    core_json_number (&j, "memory_mib", w->memory_mib);
    core_json_object_end (&j);
  }
  core_json_array_end (&j);
  core_json_key (&j, "unplaced_workloads");
  core_json_array_begin (&j);
  for (size_t i = 0; i < plan->unplaced.len; i++) {
    core_json_object_begin (&j);
    core_json_key (&j, "name"); core_json_string (&j, plan->unplaced.ptr[i].name);
    core_json_key (&j, "reason"); core_json_string (&j, plan->unplaced.ptr[i].reason);
    core_json_object_end (&j);
  }
  core_json_array_end (&j);
  core_json_key (&j, "sizing");
  if (!plan->sizing.given)
    core_json_null (&j);
  else {
    const struct core_plan_sizing *s = &plan->sizing;
    core_json_object_begin (&j);
    core_json_number (&j, "hosts", s->hosts);
    core_json_number (&j, "spare_hosts", s->spare_hosts);
    core_json_number (&j, "cores", s->cores.spec);
    core_json_number (&j, "core_mhz", s->core_mhz);
    core_json_number (&j, "memory_gib", s->memory_gib.spec);
    core_json_number (&j, "disk_gb", s->disk_gb.spec);
    core_json_number (&j, "disk_iops", s->disk_iops.spec);
    core_json_number (&j, "nic_ports", s->nic_ports.spec);
    core_json_number (&j, "port_mbps", s->port_mbps);
    core_json_key (&j, "binding"); core_json_string (&j, core_resource_names[s->binding]);
    core_json_number (&j, "binding_pct", s->binding_pct);
    core_json_object_end (&j);
  }
  core_json_key (&j, "growth");
  if (!plan->growth.given)
    core_json_null (&j);
  else {
    core_json_object_begin (&j);
    core_json_number (&j, "pct", plan->growth.pct);
    core_json_number (&j, "years", plan->growth.years);
    core_json_key (&j, "hosts");
    core_json_array_begin (&j);
    for (size_t i = 0; i < plan->growth.hosts.len; i++) {
      const struct core_plan_growth_host *g = &plan->growth.hosts.ptr[i];
      core_json_object_begin (&j);
      core_json_key (&j, "host"); core_json_string (&j, g->host);
      /* null: the host lasts the whole period. */
      core_json_number (&j, "runs_out_month", g->runs_out.month);
      core_json_key (&j, "runs_out_of");
      core_json_string (&j, g->runs_out.month == CORE_UNSET ? NULL
                        : core_resource_names[g->runs_out.resource]);
      core_json_object_end (&j);
    }
    core_json_array_end (&j);
    core_json_object_end (&j);
  }
  core_json_object_end (&j);
  return cli_json_end (&j, EXIT_OK);
}

int
cli_cmd_plan (const struct cli_command *cmd, int argc, char **argv)
{
  CLEANUP_FREE_PROFILES core_profile_vector profiles = { 0 };
  CLEANUP_FREE_HOSTS struct core_hosts hosts;
  CLEANUP_FREE_PLAN struct core_plan plan;
  struct plan_config cfg = { .time_limit = 5, .seed = 1 };
  struct progress_state ps = { .tty = isatty (2) };
  const struct core_notify notify = { .progress = show_progress,
                                      .notice = show_warning, .opaque = &ps };
  const char *hosts_file = NULL, *policy_file = NULL, *output = "-";
  const char *check = NULL;
  struct plan_size_config sc = { .core_mhz = 2600, .growth_pct = CORE_UNSET };
  bool size = false, grow = false, core_mhz_given = false, years_given = false;
  bool json = false;
  double growth = 0;
  int64_t years = 3;
  int rc;
  int c;

  core_hosts_init (&hosts);
  core_plan_init (&plan);
  core_policy_defaults (&cfg.policy);
  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'H': hosts_file = optarg; break;
    case 'p': policy_file = optarg; break;
    case 'o': output = optarg; break;
    case 'c': check = optarg; break;
    case 'q': ps.quiet = true; break;
    case OPT_JSON: json = true; break;
    case 'S': size = true; break;
    case 'N':
      if (core_parse_int64 (optarg, "--hosts-max", 1, 1000000, &sc.hosts_max) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      break;
    case 'M':
      if (core_parse_double (optarg, "--core-mhz", 1, 1e6, &sc.core_mhz) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      core_mhz_given = true;
      break;
    case 'g':
      if (core_parse_double (optarg, "--growth", 0, 1000, &growth) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      grow = true;
      break;
    case 'y':
      if (core_parse_int64 (optarg, "--years", 1, 20, &years) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      years_given = true;
      break;
    case 't': case 's':
      if ((rc = cli_search_option (cmd, c, &cfg.time_limit, &cfg.seed)) != EXIT_OK)
        return rc;
      break;
    case 'h': cli_print_help (cmd, &usage, opts); return EXIT_OK;
    default: return cli_option_error (cmd, argv, c);
    }
  }
  if (optind >= argc)
    return cli_usage_error (cmd, "no profiles given");
  if (hosts_file == NULL && !size && !check)
    return cli_usage_error (cmd, "no host catalog given (--hosts FILE), and no --size");
  if (check && policy_file)
    return cli_usage_error (cmd, "--check uses the plan's own policy; drop --policy");
  if (check && (size || grow || years_given))
    return cli_usage_error (cmd, "--check checks a plan: drop --size, --growth and --years");
  if (years_given && !grow)
    return cli_usage_error (cmd, "--years needs --growth PCT");
  if (size && hosts_file && !grow)
    return cli_usage_error (cmd, "--size sizes a host to buy instead of using the "
                            "catalog: drop --hosts, or add --growth to size one "
                            "that lasts while the catalog's hosts run out");
  if (json && check)
    return cli_usage_error (cmd, "--json goes with planning, not --check");
  if (json && core_output_is_stdout (output))
    return cli_usage_error (cmd, "--json prints the summary on standard output: "
                            "write the plan to a file (-o FILE)");
  if (!size && (sc.hosts_max || core_mhz_given))
    return cli_usage_error (cmd, "--hosts-max and --core-mhz go with --size");

  if ((hosts_file && core_hosts_read (hosts_file, &hosts) == -1)
      || (policy_file && core_policy_read (policy_file, &cfg.policy) == -1)
      || core_load_profiles (argv + optind, argc - optind, &profiles) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }

  if (check) {
    CLEANUP_FREE char *report = NULL;
    int r;

    if (core_plan_read (check, &plan) == -1) {
      cli_core_error ();
      return EXIT_FAILURE_;
    }
    /* Without a catalog, the plan's own models are the catalog (a sized
     * plan has no other). */
    if (hosts_file == NULL) {
      if (plan.models.len == 0) {
        cli_error ("%s: the plan lists no models; give the catalog (--hosts FILE)", check);
        return EXIT_FAILURE_;
      }
      for (size_t i = 0; i < plan.models.len; i++) {
        struct core_host_model m = plan.models.ptr[i];
        m.model = core_strdup (m.model);
        if (m.model == NULL || core_host_model_vector_append (&hosts.models, m) == -1) {
          free (m.model);
          cli_core_error ();
          return EXIT_FAILURE_;
        }
      }
    }
    r = plan_check (&plan, &profiles, &hosts, &report);
    if (r == -1) {
      cli_core_error ();
      return EXIT_FAILURE_;
    }
    if (r == 1) {
      /* Every violation, one per line, then the one-line verdict. */
      fputs (report, stderr);
      cli_error ("%s: the plan breaks its constraints", check);
      return EXIT_FAILURE_;
    }
    if (!ps.quiet)
      printf ("%s: valid: %zu hosts, %zu workloads, every constraint holds\n",
              check, plan.hosts.len, plan.workloads.len);
    return EXIT_OK;
  }

  cfg.profiles = &profiles;
  cfg.hosts = &hosts;
  cfg.notify = &notify;
  if (hosts_file) {
    if (plan_run (&cfg, &plan) == -1) {
      cli_core_error ();
      return EXIT_FAILURE_;
    }
  }
  else if (plan_size (&cfg, &sc, &plan) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  if (grow && plan_growth (&plan, &profiles, growth, years) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  if (size && hosts_file) {
    /* Next to the catalog's plan: the spec that lasts the whole period. */
    CLEANUP_FREE_PLAN struct core_plan sized;

    core_plan_init (&sized);
    sc.spec_only = true;
    sc.growth_pct = growth;
    sc.grow_months = 12.0 * years;
    if (plan_size (&cfg, &sc, &sized) == -1) {
      cli_core_error ();
      return EXIT_FAILURE_;
    }
    plan.sizing = sized.sizing;
    memset (&sized.sizing, 0, sizeof sized.sizing);
    plan.sizing.has_runs_out = true;
    plan.sizing.runs_out.month = CORE_UNSET;
  }
  if (core_write_atomic (output, write_plan, &plan) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  if (json)
    return print_json (&plan, output);
  if (!ps.quiet) {
    FILE *fp = core_output_is_stdout (output) ? stderr : stdout;
    fprintf (fp, "plan: %lld workloads, %lld placed on %lld hosts",
             (long long) plan.summary.workloads, (long long) plan.summary.placed,
             (long long) plan.summary.hosts_used);
    if (plan.summary.lower_bound != CORE_UNSET)
      fprintf (fp, " (at least %lld needed%s)", (long long) plan.summary.lower_bound,
               /* The bound counts hosts; with costs, more cheaper hosts
                * can be the better plan (docs/planner.md). */
               plan.summary.cost != CORE_UNSET
               && plan.summary.hosts_used > plan.summary.lower_bound
               ? "; the plan minimizes cost, not hosts" : "");
    if (plan.summary.unplaced)
      fprintf (fp, ", %lld stay physical", (long long) plan.summary.unplaced);
    if (plan.sizing.given)
      fprintf (fp, "; sized: %lld x %g cores at %g MHz, %g GiB, %g GB, %g IOPS, "
               "%g x %g Mb/s (%s binds)", (long long) plan.sizing.hosts,
               plan.sizing.cores.spec, plan.sizing.core_mhz,
               plan.sizing.memory_gib.spec, plan.sizing.disk_gb.spec,
               plan.sizing.disk_iops.spec, plan.sizing.nic_ports.spec,
               plan.sizing.port_mbps, core_resource_names[plan.sizing.binding]);
    if (plan.growth.given) {
      int64_t first = CORE_UNSET;
      const char *res = NULL;
      for (size_t i = 0; i < plan.growth.hosts.len; i++) {
        const struct core_runs_out *r = &plan.growth.hosts.ptr[i].runs_out;
        if (r->month != CORE_UNSET && (first == CORE_UNSET || r->month < first)) {
          first = r->month;
          res = core_resource_names[r->resource];
        }
      }
      if (first == CORE_UNSET)
        fprintf (fp, "; the hosts last %lld years", (long long) years);
      else
        fprintf (fp, "; first out of %s in month %lld", res, (long long) first);
    }
    if (!core_output_is_stdout (output))
      fprintf (fp, "; written to %s", output);
    fputc ('\n', fp);
  }
  return EXIT_OK;
}
