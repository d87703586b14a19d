/* p2vkit migrate: carry a plan's workloads from their sources to verified
 * VMs (capture, convert, deploy, verify), resumably; --status shows where
 * each one stands. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "migrate/migrate.h"

enum {
  OPT_SOURCES = 256, OPT_WORK, OPT_WAVE, OPT_ONLY, OPT_DEFAULT_URI, OPT_POOL,
  OPT_POOL_PATH, OPT_NETWORK, OPT_LISTEN, OPT_TLS_PSK, OPT_SSH_OPTION, OPT_BOOT_TIMEOUT,
  OPT_STATUS, OPT_JSON
};

static const struct cli_option opts[] = {
  { "sources", required_argument, OPT_SOURCES, "FILE", "where each workload comes from (p2vkit/sources/v1)" },
  { "work", required_argument, OPT_WORK, "DIR", "the work folder: the journal and the converted images (required)" },
  { "wave", required_argument, OPT_WAVE, "N", "only the workloads of migration wave N, the report's waves" },
  { "only", required_argument, OPT_ONLY, "NAME[,NAME...]", "only these workloads of the plan (repeatable)" },
  { "uri", required_argument, 'u', "HOST=URI", "libvirt URI of the plan's host HOST (repeat per host)" },
  { "default-uri", required_argument, OPT_DEFAULT_URI, "URI", "libvirt URI of every host without --uri" },
  { "pool", required_argument, OPT_POOL, "NAME", "storage pool for the volumes (default p2vkit)" },
  { "pool-path", required_argument, OPT_POOL_PATH, "DIR", "where a missing pool is made (default /var/lib/libvirt/images/p2vkit)" },
  { "network", required_argument, OPT_NETWORK, "SPEC", "NICs on network:NAME, bridge:NAME or user (default: as converted)" },
  { "jobs", required_argument, 'j', "N", "conversions at once (default: from this machine's cores and memory)" },
  { "listen", required_argument, OPT_LISTEN, "ADDR:PORT", "where the receiver of ssh captures listens (default 0.0.0.0:0)" },
  { "tls-psk", required_argument, OPT_TLS_PSK, "FILE", "the receiver's TLS pre-shared key" },
  { "ssh-option", required_argument, OPT_SSH_OPTION, "OPT", "pass -o OPT to ssh for ssh sources (repeatable)" },
  { "boot-timeout", required_argument, OPT_BOOT_TIMEOUT, "SECONDS", "how long verify waits for a login prompt and the first boot's facts (default 600)" },
  { "dry-run", no_argument, 'n', NULL, "print what would run for each workload, change nothing" },
  { "status", no_argument, OPT_STATUS, NULL, "show where each workload stands, from the journal" },
  { "json", no_argument, OPT_JSON, NULL, "with --status: print the rows as JSON" },
  { "quiet", no_argument, 'q', NULL, "print no progress, only the outcome" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "PLAN.yaml --sources FILE --work DIR [--wave N] [--only NAME,...]\n"
  "         [--uri HOST=URI ...] [--default-uri URI] [--jobs N] [--listen ADDR:PORT]\n"
  "         [--tls-psk FILE] [--ssh-option OPT ...] [--dry-run] [-q]\n"
  "       p2vkit migrate --status PLAN.yaml --work DIR [--wave N] [--only NAME,...]\n"
  "         [--json]",
  "Carry a plan out: for each workload placed on a host (or those of --wave\n"
  "and --only), capture its disks from its source, convert them in the mode\n"
  "the plan chose, deploy the VM to its planned host and start it, and verify\n"
  "it boots.  Every step is recorded in DIR/journal.yaml; running again resumes\n"
  "each workload at its first unfinished step.  Exit 0 when every workload is\n"
  "verified.  Details: p2vkit-migrate(1), docs/migrate.md."
};

/* The progress line of each workload, found by the "NAME: " its progress
 * starts with. */
#define MAX_LINES 64
struct ui {
  bool quiet;
  size_t n;
  char names[MAX_LINES][128];
  struct cli_progress lines[MAX_LINES];
  struct cli_progress *cur;     /* the one the last progress was of */
};

static struct cli_progress *
line_of (struct ui *ui, const char *what)
{
  size_t len = strcspn (what, ":");

  for (size_t i = 0; i < ui->n; i++)
    if (strlen (ui->names[i]) == len && strncmp (ui->names[i], what, len) == 0)
      return &ui->lines[i];
  if (ui->n == MAX_LINES || len >= sizeof ui->names[0])
    return &ui->lines[0];
  snprintf (ui->names[ui->n], sizeof ui->names[0], "%.*s", (int) len, what);
  ui->lines[ui->n].quiet = ui->quiet;
  return &ui->lines[ui->n++];
}

static void
on_start (void *opaque, const char *what, uint64_t total)
{
  struct ui *ui = opaque;

  ui->cur = line_of (ui, what);
  cli_progress_start (ui->cur, what, total);
}

static void
on_progress (void *opaque, const char *what, uint64_t done, uint64_t sent,
             uint64_t total)
{
  struct ui *ui = opaque;

  ui->cur = line_of (ui, what);
  cli_progress (ui->cur, what, done, sent, total);
}

static void
on_end (void *opaque, const char *outcome, uint64_t done, uint64_t sent)
{
  struct ui *ui = opaque;

  if (ui->cur)
    cli_progress_end (ui->cur, outcome, done, sent);
}

static void
on_notice (void *opaque, enum core_notice kind, const char *line)
{
  struct ui *ui = opaque;

  switch (kind) {
  case CORE_NOTICE_ITEM_FAILED:
    fprintf (stderr, "p2vkit: migrate: %s\n", line);
    break;
  case CORE_NOTICE_WARNING:
    fprintf (stderr, "p2vkit: warning: %s\n", line);
    break;
  case CORE_NOTICE_ITEM_START:
    if (!ui->quiet)
      printf ("%s: started\n", line);
    break;
  case CORE_NOTICE_ITEM_OK:
    if (!ui->quiet)
      printf ("%s\n", line);
    break;
  default:
    if (!ui->quiet)
      printf ("%s\n", line);
  }
  fflush (stdout);
}

static int
status_table (const struct core_plan *plan, const mig_pick_vector *picks,
              const struct mig_journal *j, bool json)
{
  mig_status_vector rows = { 0 };
  int ret = EXIT_OK;

  if (mig_status_rows (plan, picks, j, &rows) == -1) {
    cli_core_error ();
    mig_status_free (&rows);
    return EXIT_FAILURE_;
  }
  if (json) {
    struct core_json js;

    core_json_begin (&js, stdout);
    core_json_array_begin (&js);
    for (size_t i = 0; i < rows.len; i++) {
      const struct mig_status_row *r = &rows.ptr[i];
      core_json_object_begin (&js);
      core_json_key (&js, "workload"); core_json_string (&js, r->workload);
      core_json_key (&js, "wave"); core_json_int (&js, r->wave);
      core_json_key (&js, "step"); core_json_string (&js, strcmp (r->step, "-") ? r->step : NULL);
      core_json_key (&js, "state"); core_json_string (&js, r->state);
      core_json_key (&js, "seconds");
      if (r->seconds == CORE_UNSET)
        core_json_null (&js);
      else
        core_json_int (&js, r->seconds);
      core_json_key (&js, "verified"); core_json_bool (&js, r->verified);
      core_json_key (&js, "why"); core_json_string (&js, *r->why ? r->why : NULL);
      core_json_object_end (&js);
    }
    core_json_array_end (&js);
    ret = cli_json_end (&js, EXIT_OK);
  }
  else {
    size_t w[3] = { 8, 7, 5 };
    for (size_t i = 0; i < rows.len; i++) {
      size_t l[3] = { strlen (rows.ptr[i].workload), strlen (rows.ptr[i].step),
                      strlen (rows.ptr[i].state) };
      for (int k = 0; k < 3; k++)
        if (l[k] > w[k])
          w[k] = l[k];
    }
    printf ("%-*s  %4s  %-*s  %-*s  %7s  %s\n", (int) w[0], "WORKLOAD", "WAVE",
            (int) w[1], "STEP", (int) w[2], "STATE", "SECONDS", "MISSING/WHY");
    for (size_t i = 0; i < rows.len; i++) {
      const struct mig_status_row *r = &rows.ptr[i];
      char secs[32] = "-";
      if (r->seconds != CORE_UNSET)
        snprintf (secs, sizeof secs, "%lld", (long long) r->seconds);
      printf ("%-*s  %4zu  %-*s  %-*s  %7s  %s\n", (int) w[0], r->workload, r->wave,
              (int) w[1], r->step, (int) w[2], r->state, secs, *r->why ? r->why : "-");
    }
  }
  mig_status_free (&rows);
  return ret;
}

int
cli_cmd_migrate (const struct cli_command *cmd, int argc, char **argv)
{
  CLEANUP_FREE_PLAN struct core_plan plan;
  CLEANUP_FREE_SOURCES struct core_sources sources;
  CLEANUP_FREE_JOURNAL struct mig_journal journal;
  static struct ui ui;
  const struct core_notify notify = {
    .progress_start = on_start, .progress = on_progress, .progress_end = on_end,
    .notice = on_notice, .cancelled = cli_interrupted, .opaque = &ui,
  };
  struct mig_run_config c = { .jobs = 0, .boot_timeout_s = 600, .notify = &notify };
  core_string_vector only = { 0 }, uris = { 0 }, problems = { 0 }, ssh_options = { 0 };
  mig_pick_vector picks = { 0 };
  const char *sources_file = NULL;
  int64_t wave = 0;
  bool want_status = false, json = false, dry_run = false, made = false;
  struct cli_interrupt saved = { .caught = false };
  int c_, ret = EXIT_FAILURE_, left;

  /* libvirt's remote driver writes to its ssh child's pipe: a dead one
   * must be an error, not the end of the run (as deploy does). */
  signal (SIGPIPE, SIG_IGN);
  core_plan_init (&plan);
  core_sources_init (&sources);
  mig_journal_init (&journal);
  while ((c_ = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c_) {
    case OPT_SOURCES: sources_file = optarg; break;
    case OPT_WORK: c.work = optarg; break;
    case OPT_WAVE:
      if (core_parse_int64 (optarg, "--wave", 1, 1000000, &wave) == -1) {
        ret = cli_usage_error (cmd, "%s", core_errmsg ());
        goto out;
      }
      break;
    case OPT_ONLY:
      for (const char *p = optarg; ; ) {
        size_t n = strcspn (p, ",");
        if (n == 0) {
          ret = cli_usage_error (cmd, "--only: an empty workload name in '%s'", optarg);
          goto out;
        }
        if (core_string_vector_printf (&only, "%.*s", (int) n, p) == -1) {
          cli_core_error ();
          goto out;
        }
        if (p[n] == '\0')
          break;
        p += n + 1;
      }
      break;
    case 'u': {
      const char *eq = strchr (optarg, '=');
      if (eq == NULL || eq == optarg || eq[1] == '\0') {
        ret = cli_usage_error (cmd, "--uri: expected HOST=URI, got '%s'", optarg);
        goto out;
      }
      if (core_string_vector_printf (&uris, "%s", optarg) == -1) {
        cli_core_error ();
        goto out;
      }
      break;
    }
    case OPT_DEFAULT_URI: c.default_uri = optarg; break;
    case OPT_POOL: c.pool = optarg; break;
    case OPT_POOL_PATH: c.pool_path = optarg; break;
    case OPT_NETWORK:
      if (strcmp (optarg, "user") != 0 && strncmp (optarg, "network:", 8) != 0
          && strncmp (optarg, "bridge:", 7) != 0) {
        ret = cli_usage_error (cmd, "--network: expected network:NAME, bridge:NAME "
                               "or user, got '%s'", optarg);
        goto out;
      }
      c.network = optarg;
      break;
    case 'j':
      if (core_parse_int64 (optarg, "--jobs", 1, 256, &c.jobs) == -1) {
        ret = cli_usage_error (cmd, "%s", core_errmsg ());
        goto out;
      }
      break;
    case OPT_LISTEN: c.listen = optarg; break;
    case OPT_TLS_PSK: c.tls_psk = optarg; break;
    case OPT_SSH_OPTION:
      if (core_string_vector_printf (&ssh_options, "%s", optarg) == -1) {
        cli_core_error ();
        goto out;
      }
      break;
    case OPT_BOOT_TIMEOUT:
      if (core_parse_int64 (optarg, "--boot-timeout", 1, 86400, &c.boot_timeout_s) == -1) {
        ret = cli_usage_error (cmd, "%s", core_errmsg ());
        goto out;
      }
      break;
    case 'n': dry_run = true; break;
    case OPT_STATUS: want_status = true; break;
    case OPT_JSON: json = true; break;
    case 'q': ui.quiet = true; break;
    case 'h': cli_print_help (cmd, &usage, opts); ret = EXIT_OK; goto out;
    default: ret = cli_option_error (cmd, argv, c_); goto out;
    }
  }
  if (optind >= argc) {
    ret = cli_usage_error (cmd, "no plan given");
    goto out;
  }
  if (optind + 1 < argc) {
    ret = cli_usage_error (cmd, "one plan at a time, got '%s' too", argv[optind + 1]);
    goto out;
  }
  c.plan_file = argv[optind];
  if (c.work == NULL) {
    ret = cli_usage_error (cmd, "--work DIR is needed");
    goto out;
  }
  if (json && !want_status) {
    ret = cli_usage_error (cmd, "--json goes with --status");
    goto out;
  }
  if (want_status && dry_run) {
    ret = cli_usage_error (cmd, "--status shows, it takes no --dry-run");
    goto out;
  }
  if (!want_status && sources_file == NULL) {
    ret = cli_usage_error (cmd, "--sources FILE is needed");
    goto out;
  }

  if (core_plan_read (c.plan_file, &plan) == -1
      || mig_select (&plan, c.plan_file, wave, &only, &picks) == -1) {
    cli_core_error ();
    goto out;
  }
  c.plan = &plan;
  c.picks = &picks;
  c.uris = &uris;
  c.ssh_options = &ssh_options;

  if (want_status) {
    struct stat st;
    if (stat (c.work, &st) == 0 && mig_journal_open (c.work, &journal) == -1) {
      cli_core_error ();
      goto out;
    }
    ret = status_table (&plan, &picks, &journal, json);
    goto out;
  }

  /* Everything is checked before anything starts. */
  if (core_sources_read (sources_file, &sources) == -1) {
    cli_core_error ();
    goto out;
  }
  c.sources = &sources;
  if (core_sources_check_plan (&sources, &plan, &problems) == -1
      || mig_check (&c, &problems) == -1) {
    cli_core_error ();
    goto out;
  }
  if (problems.len > 0) {
    for (size_t i = 0; i < problems.len; i++)
      cli_error ("migrate: %s", problems.ptr[i]);
    cli_error ("migrate: %zu problem%s found; nothing was started", problems.len,
               problems.len == 1 ? "" : "s");
    goto out;
  }
  if (c.jobs == 0)
    c.jobs = mig_default_jobs ();

  if (dry_run) {
    struct stat st;
    /* The journal so far, when there is one; none is written. */
    if (stat (c.work, &st) == 0 && mig_journal_open (c.work, &journal) == -1) {
      cli_core_error ();
      goto out;
    }
    ui.quiet = false;
    if (mig_describe (&c, &journal) == -1) {
      cli_core_error ();
      goto out;
    }
    printf ("dry run: %zu workload%s, %lld conversion%s at once; nothing was changed\n",
            picks.len, picks.len == 1 ? "" : "s", (long long) c.jobs,
            c.jobs == 1 ? "" : "s");
    ret = EXIT_OK;
    goto out;
  }

  if (cli_output_dir (c.work, &made) == -1)
    goto out;
  if (mig_journal_open (c.work, &journal) == -1) {
    cli_core_error ();
    goto out;
  }
  /* The first signal stops every job (their half-made outputs go); a
   * second kills (the children die with this process). */
  cli_interrupt_catch (&saved);
  left = mig_run (&c, &journal);
  cli_interrupt_restore (&saved);
  if (left == -1) {
    cli_core_error ();
    goto out;
  }
  if (cli_interrupted (NULL))
    cli_error ("migrate: interrupted; run again to resume");
  else if (left > 0)
    cli_error ("migrate: %d of %zu workload%s not verified; --status says why, "
               "running again resumes", left, picks.len, picks.len == 1 ? "" : "s");
  else if (!ui.quiet)
    printf ("migrated: %zu workload%s verified\n", picks.len, picks.len == 1 ? "" : "s");
  ret = left == 0 && !cli_interrupted (NULL) ? EXIT_OK : EXIT_FAILURE_;

 out:
  core_string_vector_free (&only);
  core_string_vector_free (&uris);
  core_string_vector_free (&ssh_options);
  core_string_vector_free (&problems);
  free (picks.ptr);
  return ret;
}
