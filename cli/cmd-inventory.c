/* p2vkit inventory: profile this server (or a recorded tree of one),
 * collect the profiles of a fleet over SSH, or summarize profiles.
 *
 * Compiled twice: into p2vkit, and with -DP2VKIT_AGENT into the static
 * agent (build/p2vkit-agent) that fleet mode copies to servers.  The
 * agent has the local mode only: no libosinfo, no ssh. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "inventory/inventory.h"

enum {
  OPT_RECORD = 256, OPT_SSH, OPT_SSH_OPTION, OPT_AGENT, OPT_SUMMARY, OPT_JSON,
};

static const struct cli_option opts[] = {
  { "output", required_argument, 'o', "FILE",
    "write the profile to FILE (default: standard output); with --ssh, "
    "the folder for NAME.yaml files" },
  { "name", required_argument, 'n', "NAME",
    "name of the workload (default: the host name)" },
  { "interval", required_argument, 'i', "SEC",
    "seconds per utilization sample (default 5)" },
  { "samples", required_argument, 's', "N",
    "number of samples, 0 for none (default 12)" },
  { "duration", required_argument, 'd', "SEC",
    "sample for SEC seconds instead of --samples" },
  { "root", required_argument, 'r', "DIR",
    "read DIR/proc, DIR/sys, DIR/etc... instead of this system's" },
  { "record", required_argument, OPT_RECORD, "DIR",
    "also copy every file read into DIR, for --root DIR later" },
#ifndef P2VKIT_AGENT
  { "ssh", required_argument, OPT_SSH, "HOSTS",
    "profile the servers listed in HOSTS ([user@]host[:port] [NAME] a line)" },
  { "jobs", required_argument, 'j', "N",
    "with --ssh: profile N servers at a time (default 4)" },
  { "ssh-option", required_argument, OPT_SSH_OPTION, "OPT",
    "with --ssh: pass -o OPT to ssh (repeatable)" },
  { "agent", required_argument, OPT_AGENT, "FILE",
    "with --ssh: the static agent to copy (default: the one built or "
    "installed with p2vkit)" },
  { "summary", no_argument, OPT_SUMMARY, NULL,
    "print a table of the profiles given as operands" },
  { "json", no_argument, OPT_JSON, NULL,
    "with --summary: print the rows as JSON" },
#endif
  { "quiet", no_argument, 'q', NULL, "print only warnings and errors" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
#ifndef P2VKIT_AGENT
  "[-o FILE] [--name NAME] [--interval SEC] [--samples N | --duration SEC] [--root DIR]\n"
  "       p2vkit inventory --ssh HOSTS [--jobs N] -o DIR [sampling options]\n"
  "       p2vkit inventory --summary [--json] FILE|DIR...",
#else
  "[-o FILE] [--name NAME] [--interval SEC] [--samples N | --duration SEC] [--root DIR]",
#endif
  "Profile this server: hardware, operating system, listening services, and\n"
  "its utilization sampled over time.  Ctrl-C during sampling writes the\n"
  "profile with the samples taken so far.  With --ssh, copy a static agent\n"
  "to each listed server, run it there and write DIR/NAME.yaml per server.\n"
  "How each fact is found is told in p2vkit-inventory(1)."
};

static volatile sig_atomic_t stop_sampling;

static void
on_stop (int sig)
{
  (void) sig;
  stop_sampling = 1;
}

struct front {
  bool quiet, tty, progress_shown;
  size_t hosts_total, hosts_done;
  struct core_notify notify;    /* to the functions below, self as opaque */
};

static void
end_progress_line (struct front *f)
{
  if (f->progress_shown) {
    fputs ("\r\033[K", stderr);
    f->progress_shown = false;
  }
}

static void
on_notice (void *opaque, enum core_notice kind, const char *msg)
{
  struct front *f = opaque;

  switch (kind) {
  case CORE_NOTICE_INFO:
  case CORE_NOTICE_WARNING:
    end_progress_line (f);
    fprintf (stderr, "p2vkit: %s%s\n",
             kind == CORE_NOTICE_WARNING ? "warning: " : "", msg);
    break;
  case CORE_NOTICE_ITEM_START:
    break;
  case CORE_NOTICE_ITEM_OK:
    f->hosts_done++;
    if (!f->quiet)
      printf ("[%zu/%zu] ok %s\n", f->hosts_done, f->hosts_total, msg);
    fflush (stdout);
    break;
  case CORE_NOTICE_ITEM_FAILED:
    f->hosts_done++;
    printf ("[%zu/%zu] FAILED %s\n", f->hosts_done, f->hosts_total, msg);
    fflush (stdout);
    break;
  }
}

/* Sampling: "sample 3/12", redrawn in place on a terminal; nothing in
 * logs. */
static void
on_progress (void *opaque, const char *what, uint64_t done, uint64_t sent,
             uint64_t total)
{
  struct front *f = opaque;

  (void) sent;
  if (!f->quiet && f->tty) {
    fprintf (stderr, "\r\033[Kp2vkit: %s %llu/%llu", what,
             (unsigned long long) done, (unsigned long long) total);
    f->progress_shown = true;
  }
}

static bool
on_cancelled (void *opaque)
{
  (void) opaque;
  return stop_sampling;
}

static int
write_profile (FILE *fp, void *opaque)
{
  return core_profile_write (fp, opaque);
}

/* Fail before sampling for minutes when the output cannot be written:
 * make and remove a temporary file where the profile will go. */
static int
check_output (const char *path)
{
  if (core_output_check (path) == -1) {
    cli_core_error ();
    return -1;
  }
  return 0;
}

static int
parse_number (const struct cli_command *cmd, const char *opt, const char *arg,
              int64_t min, int64_t max, int64_t *out)
{
  if (core_parse_int64 (arg, opt, min, max, out) == -1)
    return cli_usage_error (cmd, "%s", core_errmsg ());
  return 0;
}

static time_t
collection_time (void)
{
  /* SOURCE_DATE_EPOCH (reproducible-builds.org) fixes the time stamp, so
   * that profiles of recorded trees can be compared byte for byte. */
  const char *env = getenv ("SOURCE_DATE_EPOCH");
  int64_t t;

  if (env && *env && core_parse_int64 (env, "SOURCE_DATE_EPOCH", 0,
                                       INT64_C(253402300799), &t) == 0)
    return (time_t) t;
  return time (NULL);
}

static int
run_local (struct inv_options *o, const char *output, struct front *f)
{
  CLEANUP_FREE_PROFILE struct core_profile *p = NULL;
  struct sigaction sa = { .sa_handler = on_stop }, old_int, old_term;

  if (check_output (output) == -1)
    return EXIT_FAILURE_;
  if (o->samples > 0 && !f->quiet && f->tty)
    fprintf (stderr, "p2vkit: sampling %lld x %lld s; Ctrl-C stops and keeps "
             "the samples taken\n", (long long) o->samples,
             (long long) o->interval_s);

  /* While sampling, Ctrl-C (or a TERM) ends the sampling and the profile
   * is written; a second one kills as usual (SA_RESETHAND). */
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction (SIGINT, &sa, &old_int);
  sigaction (SIGTERM, &sa, &old_term);
  stop_sampling = 0;
  p = inv_collect (o);
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  end_progress_line (f);
  if (p == NULL) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
#ifndef P2VKIT_AGENT
  if (inv_resolve_os_id (&p->os, &f->notify) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
#endif
  if (stop_sampling && o->samples > 0)
    fprintf (stderr, "p2vkit: interrupted: the profile keeps %zu of %lld "
             "samples\n", p->utilization.cpu_pct.len, (long long) o->samples);
  if (core_write_atomic (output, write_profile, p) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  if (!f->quiet && !core_output_is_stdout (output))
    fprintf (stderr, "p2vkit: wrote the profile of %s to %s\n", p->name, output);
  return EXIT_OK;
}

#ifndef P2VKIT_AGENT

/* The agent that fleet mode copies: --agent, $P2VKIT_AGENT, the one built
 * beside this program (./p2vkit and build/p2vkit-agent, or
 * build/san/p2vkit and build/san/p2vkit-agent), or the installed one. */
static char *
find_agent (const char *given)
{
  char exe[PATH_MAX];
  ssize_t n;

  if (given)
    return core_strdup (given);
  if (getenv ("P2VKIT_AGENT") && *getenv ("P2VKIT_AGENT"))
    return core_strdup (getenv ("P2VKIT_AGENT"));
  n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    char *slash, *path;

    exe[n] = '\0';
    slash = strrchr (exe, '/');
    if (slash)
      *slash = '\0';
    path = core_sprintf ("%s/p2vkit-agent", exe);
    if (path && access (path, R_OK) == 0)
      return path;
    free (path);
    path = core_sprintf ("%s/build/p2vkit-agent", exe);
    if (path && access (path, R_OK) == 0)
      return path;
    free (path);
  }
#ifdef P2VKIT_AGENT_PATH
  if (access (P2VKIT_AGENT_PATH, R_OK) == 0)
    return core_strdup (P2VKIT_AGENT_PATH);
#endif
  core_error ("cannot find the static agent p2vkit-agent (build it with "
              "'make', or give --agent FILE)");
  return NULL;
}

static int
run_fleet (const struct cli_command *cmd, const char *hosts_file,
           const char *outdir, struct inv_fleet_options *fo, struct front *f)
{
  CLEANUP_FREE char *text = NULL, *agent = NULL;
  inv_host_vector hosts = { 0 };
  struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
  int failed = -1, ret = EXIT_FAILURE_;
  bool made_dir = false;
  size_t len;

  if (outdir == NULL || strcmp (outdir, "-") == 0)
    return cli_usage_error (cmd, "--ssh needs an output folder (-o DIR)");
  text = core_read_input (hosts_file, &len);
  if (text == NULL || inv_parse_hosts (hosts_file, text, &hosts) == -1
      || (agent = find_agent (fo->agent)) == NULL) {
    cli_core_error ();
    goto out;
  }
  if (cli_output_dir (outdir, &made_dir) == -1)
    goto out;
  fo->agent = agent;
  fo->outdir = outdir;
  fo->notify = &f->notify;
  f->hosts_total = hosts.len;
  if (!f->quiet)
    printf ("collecting %zu servers, %lld at a time, into %s\n", hosts.len,
            (long long) (fo->jobs < (int64_t) hosts.len ? fo->jobs : (int64_t) hosts.len),
            outdir);
  fflush (stdout);
  /* A host that closes its connection early must not kill the collector
   * while it writes the agent to ssh. */
  sigemptyset (&ign.sa_mask);
  sigaction (SIGPIPE, &ign, &old_pipe);
  failed = inv_fleet_collect (&hosts, fo);
  sigaction (SIGPIPE, &old_pipe, NULL);
  if (failed == -1) {
    cli_core_error ();
    goto out;
  }
  if (failed > 0)
    printf ("%zu of %zu servers profiled; %d failed (see FAILED above)\n",
            hosts.len - failed, hosts.len, failed);
  else if (!f->quiet)
    printf ("%zu of %zu servers profiled\n", hosts.len, hosts.len);
  ret = failed > 0 ? EXIT_FAILURE_ : EXIT_OK;
 out:
  /* A folder this run made and filled with nothing goes again (rmdir
   * removes only an empty one). */
  if (made_dir && (failed == -1 || (size_t) failed == hosts.len))
    rmdir (outdir);
  inv_hosts_free (&hosts);
  return ret;
}

/* --summary --json: one object per profile, numbers as numbers. */
static int
summary_json (const core_profile_vector *profiles)
{
  struct core_json j;

  core_json_begin (&j, stdout);
  core_json_array_begin (&j);
  for (size_t i = 0; i < profiles->len; i++) {
    struct inv_summary s;

    if (inv_summarize (profiles->ptr[i], &s) == -1) {
      cli_core_error ();
      return EXIT_FAILURE_;
    }
    core_json_object_begin (&j);
    core_json_key (&j, "name"); core_json_string (&j, s.name);
    core_json_key (&j, "os"); core_json_string (&j, s.os);
    core_json_number (&j, "cores", s.cores);
    core_json_number (&j, "memory_mib", s.memory_mib);
    core_json_number (&j, "disk_gib", s.disk_gib);
    core_json_number (&j, "cpu_p95_pct", s.cpu_p95);
    core_json_number (&j, "mem_p95_mib", s.mem_p95_mib);
    core_json_number (&j, "iops_p95", s.iops_p95);
    core_json_key (&j, "hint"); core_json_string (&j, s.hint);
    core_json_object_end (&j);
    inv_summary_clear (&s);
  }
  core_json_array_end (&j);
  return cli_json_end (&j, EXIT_OK);
}

static int
run_summary (const struct cli_command *cmd, int argc, char **argv, bool json)
{
  static const char *const heads[] =
    { "NAME", "OS", "CORES", "MEM_MIB", "DISK_GIB", "CPU_P95%", "MEM_P95_MIB",
      "IOPS_P95", "HINT" };
  enum { NCOLS = 9 };
  CLEANUP_FREE_PROFILES core_profile_vector profiles = { 0 };
  CLEANUP_FREE char **cells = NULL;
  size_t width[NCOLS], n;
  int ret = EXIT_FAILURE_;

  if (argc <= 0)
    return cli_usage_error (cmd, "--summary needs profiles (files or folders)");
  /* A listing shows every profile, also two with one name (a server
   * profiled twice, a copy): it says so, as plan would refuse them. */
  if (core_load_profiles_all (argv, argc, &profiles) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  if (json)
    return summary_json (&profiles);
  n = profiles.len;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp (profiles.ptr[i]->name, profiles.ptr[j]->name) == 0) {
        fprintf (stderr, "p2vkit: warning: %s: workload name '%s' is also in %s; "
                 "plan and the other commands refuse two profiles with one name\n",
                 profiles.ptr[i]->source ? profiles.ptr[i]->source : "-",
                 profiles.ptr[i]->name,
                 profiles.ptr[j]->source ? profiles.ptr[j]->source : "-");
        break;
      }
  cells = calloc ((n + 1) * NCOLS, sizeof *cells);
  if (cells == NULL) {
    cli_error ("out of memory");
    return EXIT_FAILURE_;
  }
  for (int c = 0; c < NCOLS; c++) {
    cells[c] = strdup (heads[c]);
    width[c] = strlen (heads[c]);
  }
  for (size_t i = 0; i < n; i++) {
    struct inv_summary s;
    char b[6][64];

    if (inv_summarize (profiles.ptr[i], &s) == -1) {
      cli_core_error ();
      goto out;
    }
    core_format_cell (b[0], sizeof b[0], s.cores, 0);
    core_format_cell (b[1], sizeof b[1], s.memory_mib, 0);
    core_format_cell (b[2], sizeof b[2], s.disk_gib, 1);
    core_format_cell (b[3], sizeof b[3], s.cpu_p95, 1);
    core_format_cell (b[4], sizeof b[4], s.mem_p95_mib, 0);
    core_format_cell (b[5], sizeof b[5], s.iops_p95, 1);
    char **row = &cells[(i + 1) * NCOLS];
    row[0] = s.name; row[1] = s.os; row[8] = s.hint;
    s.name = s.os = s.hint = NULL;
    for (int c = 0; c < 6; c++)
      row[2 + c] = strdup (b[c]);
    for (int c = 0; c < NCOLS; c++) {
      if (row[c] == NULL) {
        cli_error ("out of memory");
        goto out;
      }
      if (strlen (row[c]) > width[c])
        width[c] = strlen (row[c]);
    }
  }
  for (size_t i = 0; i <= n; i++) {
    for (int c = 0; c < NCOLS; c++) {
      const char *v = cells[i * NCOLS + c] ? cells[i * NCOLS + c] : "";
      /* Text left, numbers right. */
      if (c < 2 || c == NCOLS - 1)
        printf ("%-*s%s", (int) width[c], v, c == NCOLS - 1 ? "\n" : "  ");
      else
        printf ("%*s  ", (int) width[c], v);
    }
  }
  ret = EXIT_OK;
 out:
  for (size_t i = 0; i < (n + 1) * NCOLS; i++)
    free (cells[i]);
  return ret;
}

#endif /* !P2VKIT_AGENT */

int
cli_cmd_inventory (const struct cli_command *cmd, int argc, char **argv)
{
  struct inv_options o = { .interval_s = 5, .samples = 12 };
  struct front f = { .tty = isatty (2) };
  const char *output = NULL, *duration = NULL, *samples = NULL;
#ifndef P2VKIT_AGENT
  struct inv_fleet_options fo = { .jobs = 4 };
  const char *hosts_file = NULL;
  bool summary = false, jobs_given = false, json = false;
#endif
  int64_t d;
  int c, ret;

  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case 'n': o.name = optarg; break;
    case 'i':
      if (parse_number (cmd, "--interval", optarg, 1, INV_MAX_INTERVAL,
                        &o.interval_s) != 0)
        return EXIT_USAGE;
      break;
    case 's': samples = optarg; break;
    case 'd': duration = optarg; break;
    case 'r': o.root = optarg; break;
    case OPT_RECORD: o.record = optarg; break;
    case 'q': f.quiet = true; break;
#ifndef P2VKIT_AGENT
    case OPT_SSH: hosts_file = optarg; break;
    case 'j':
      if (parse_number (cmd, "--jobs", optarg, 1, 256, &fo.jobs) != 0)
        return EXIT_USAGE;
      jobs_given = true;
      break;
    case OPT_SSH_OPTION:
      {
        char *copy = strdup (optarg);
        if (copy == NULL || core_string_vector_append (&fo.ssh_options, copy) == -1) {
          free (copy);
          cli_error ("out of memory");
          return EXIT_FAILURE_;
        }
      }
      break;
    case OPT_AGENT: fo.agent = optarg; break;
    case OPT_SUMMARY: summary = true; break;
    case OPT_JSON: json = true; break;
#endif
    case 'h': cli_print_help (cmd, &usage, opts); return EXIT_OK;
    default: return cli_option_error (cmd, argv, c);
    }
  }

#ifndef P2VKIT_AGENT
  if (summary) {
    if (hosts_file || output || o.root || o.record)
      return cli_usage_error (cmd, "--summary takes profiles only");
    return run_summary (cmd, argc - optind, argv + optind, json);
  }
  if (json)
    return cli_usage_error (cmd, "--json goes with --summary");
#endif
  if (optind < argc)
    return cli_usage_error (cmd, "unexpected operand '%s'", argv[optind]);
  if (samples && duration)
    return cli_usage_error (cmd, "give --samples or --duration, not both");
  if (samples && parse_number (cmd, "--samples", samples, 0, INV_MAX_SAMPLES,
                               &o.samples) != 0)
    return EXIT_USAGE;
  if (duration) {
    if (parse_number (cmd, "--duration", duration, 1,
                      (int64_t) INV_MAX_SAMPLES * INV_MAX_INTERVAL, &d) != 0)
      return EXIT_USAGE;
    if (d < o.interval_s)
      return cli_usage_error (cmd, "--duration %lld is shorter than one "
                              "interval (%lld s)", (long long) d,
                              (long long) o.interval_s);
    if (d / o.interval_s > INV_MAX_SAMPLES)
      return cli_usage_error (cmd, "--duration %lld at --interval %lld makes "
                              "more than %d samples", (long long) d,
                              (long long) o.interval_s, INV_MAX_SAMPLES);
    o.samples = d / o.interval_s;
  }
  o.collected_at = collection_time ();
  f.notify = (struct core_notify) {
    .progress = on_progress, .notice = on_notice, .cancelled = on_cancelled,
    .opaque = &f,
  };
  o.notify = &f.notify;

#ifndef P2VKIT_AGENT
  if (hosts_file) {
    char num[32];

    if (o.root || o.record || o.name)
      return cli_usage_error (cmd, "--root, --record and --name do not go "
                              "with --ssh (name servers in HOSTS)");
    /* The remote agents sample as asked. */
    snprintf (num, sizeof num, "%lld", (long long) o.interval_s);
    if (core_string_vector_append (&fo.agent_args, strdup ("--interval")) == -1
        || core_string_vector_append (&fo.agent_args, strdup (num)) == -1)
      goto oom;
    snprintf (num, sizeof num, "%lld", (long long) o.samples);
    if (core_string_vector_append (&fo.agent_args, strdup ("--samples")) == -1
        || core_string_vector_append (&fo.agent_args, strdup (num)) == -1
        || core_string_vector_append (&fo.agent_args, strdup ("--quiet")) == -1)
      goto oom;
    for (size_t i = 0; i < fo.agent_args.len; i++)
      if (fo.agent_args.ptr[i] == NULL)
        goto oom;
    ret = run_fleet (cmd, hosts_file, output, &fo, &f);
    core_string_vector_free (&fo.agent_args);
    core_string_vector_free (&fo.ssh_options);
    return ret;
  oom:
    cli_error ("out of memory");
    core_string_vector_free (&fo.agent_args);
    core_string_vector_free (&fo.ssh_options);
    return EXIT_FAILURE_;
  }
  if (jobs_given || fo.ssh_options.len || fo.agent) {
    core_string_vector_free (&fo.ssh_options);
    return cli_usage_error (cmd, "--jobs, --ssh-option and --agent go with "
                            "--ssh only");
  }
#endif
  ret = run_local (&o, output ? output : "-", &f);
  return ret;
}

#ifdef P2VKIT_AGENT

static void
on_signal (int sig)
{
  core_tmpfiles_cleanup ();
  signal (sig, SIG_DFL);
  raise (sig);
}

/* The static agent: "p2vkit-agent inventory [OPTIONS]", the same command
 * line as "p2vkit inventory" in local mode. */
int
main (int argc, char **argv)
{
  static const struct cli_command cmd = {
    "inventory", "profile this server", cli_cmd_inventory
  };
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
  struct sigaction sa = { .sa_handler = on_signal };

  sigemptyset (&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction (sigs[i], &sa, NULL);
  if (argc >= 2 && (strcmp (argv[1], "--version") == 0
                    || strcmp (argv[1], "-V") == 0)) {
    printf ("p2vkit-agent %s\n", P2VKIT_VERSION);
    return EXIT_OK;
  }
  if (argc >= 2 && strcmp (argv[1], "inventory") == 0)
    return cli_cmd_inventory (&cmd, argc - 1, argv + 1);
  return cli_cmd_inventory (&cmd, argc, argv);
}

#endif /* P2VKIT_AGENT */
