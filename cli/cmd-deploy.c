/* p2vkit deploy: define, upload and start a plan's converted guests on
 * their hosts through libvirt; --status shows where they stand. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "deploy/deploy.h"

enum {
  OPT_DEFAULT_URI = 256, OPT_POOL, OPT_POOL_PATH, OPT_NETWORK, OPT_VERIFY_BOOT,
  OPT_BOOT_TIMEOUT, OPT_REPLACE, OPT_STATUS, OPT_XML_DIR, OPT_ONLY, OPT_JSON,
  OPT_WAVE
};

static const struct cli_option opts[] = {
  { "images", required_argument, 'i', "DIR", "the converted images: DIR/NAME.xml (or DIR/NAME/NAME.xml) and the disks it names" },
  { "uri", required_argument, 'u', "HOST=URI", "libvirt URI of the plan's host HOST (repeat per host)" },
  { "default-uri", required_argument, OPT_DEFAULT_URI, "URI", "libvirt URI of every host without --uri" },
  { "pool", required_argument, OPT_POOL, "[HOST=]NAME", "storage pool for the volumes (default " DEP_DEFAULT_POOL ")" },
  { "pool-path", required_argument, OPT_POOL_PATH, "[HOST=]DIR", "where a missing pool is made (default " DEP_DEFAULT_POOL_PATH ")" },
  { "network", required_argument, OPT_NETWORK, "SPEC", "NICs on network:NAME, bridge:NAME or user (default: as converted)" },
  { "start", no_argument, 's', NULL, "start the guests that are not running" },
  { "verify-boot", no_argument, OPT_VERIFY_BOOT, NULL, "start, then wait for each guest's login prompt on its serial console" },
  { "boot-timeout", required_argument, OPT_BOOT_TIMEOUT, "SECONDS", "how long --verify-boot and --status wait (default 300, --status 10)" },
  { "dry-run", no_argument, 'n', NULL, "print every action and definition, change nothing" },
  { "replace", no_argument, OPT_REPLACE, NULL, "replace domains defined differently, use volumes left from earlier runs" },
  { "only", required_argument, OPT_ONLY, "NAME[,NAME...]", "deploy (or show) only these workloads of the plan (repeatable)" },
  { "wave", required_argument, OPT_WAVE, "N", "deploy (or show) only the workloads of migration wave N, the report's waves" },
  { "status", no_argument, OPT_STATUS, NULL, "show each workload's host, definition, state and boot" },
  { "json", no_argument, OPT_JSON, NULL, "with --status: print the rows as JSON" },
  { "xml-dir", required_argument, OPT_XML_DIR, "DIR", "write each definition to DIR/NAME.xml without connecting to any host" },
  { "quiet", no_argument, 'q', NULL, "print no progress" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "PLAN.yaml --images DIR [--uri HOST=URI ...] [--default-uri URI] [--start]\n"
  "         [--verify-boot] [--dry-run] [--replace] [--only NAME,...] [--wave N]\n"
  "       p2vkit deploy --status PLAN.yaml [--uri HOST=URI ...] [--default-uri URI]\n"
  "         [--only NAME,...] [--wave N] [--json]",
  "Deploy a plan's converted guests through libvirt: for each host, check\n"
  "everything first (images, URIs, pools, domains), then upload the disks into\n"
  "a storage pool over libvirt's stream API, define each domain from the\n"
  "converter's definition adjusted to the plan, turn autostart on, and with\n"
  "--start start it.  A second run changes nothing; a failed run undoes its\n"
  "own changes.  Details: p2vkit-deploy(1), docs/deploy.md."
};

static void
on_notice (void *opaque, enum core_notice kind, const char *line)
{
  (void) opaque; (void) kind;
  printf ("%s\n", line);
  fflush (stdout);
}

static int
print_problems (core_string_vector *problems, const char *plan_file)
{
  if (problems->len == 0)
    cli_core_error ();
  for (size_t i = 0; i < problems->len; i++)
    cli_error ("deploy: %s", problems->ptr[i]);
  if (problems->len > 0)
    cli_error ("deploy: %s: %zu problem%s found; nothing was changed", plan_file,
               problems->len, problems->len == 1 ? "" : "s");
  core_string_vector_free (problems);
  return EXIT_FAILURE_;
}

/* "HOST=VALUE" to the map, or VALUE as the default. */
static int
host_or_default (dep_map *map, const char **dflt, const char *option, const char *arg)
{
  const char *eq = strchr (arg, '=');

  if (eq == NULL || memchr (arg, '/', eq - arg)) {
    *dflt = arg;
    return 0;
  }
  return dep_map_add (map, option, arg);
}

/* --status --json: an array of objects, one per row. */
static int
status_json (const dep_status_vector *rows)
{
  struct core_json j;
  int ret = EXIT_OK;

  core_json_begin (&j, stdout);
  core_json_array_begin (&j);
  for (size_t i = 0; i < rows->len; i++) {
    const struct dep_status_row *r = &rows->ptr[i];
    bool unknown = r->defined[0] == '?';

    core_json_object_begin (&j);
    core_json_key (&j, "workload"); core_json_string (&j, r->workload);
    core_json_key (&j, "host"); core_json_string (&j, r->host);
    core_json_key (&j, "uri"); core_json_string (&j, strcmp (r->uri, "-") ? r->uri : NULL);
    /* defined: true, false, or null when the host could not be asked
     * (then error says why). */
    core_json_key (&j, "defined");
    if (unknown)
      core_json_null (&j);
    else
      core_json_bool (&j, strncmp (r->defined, "yes", 3) == 0);
    core_json_key (&j, "by_p2vkit");
    if (unknown || strncmp (r->defined, "yes", 3) != 0)
      core_json_null (&j);
    else
      core_json_bool (&j, strcmp (r->defined, "yes") == 0);
    core_json_key (&j, "state"); core_json_string (&j, strcmp (r->state, "-") ? r->state : NULL);
    core_json_key (&j, "booted");
    if (strcmp (r->booted, "-") == 0)
      core_json_null (&j);
    else
      core_json_bool (&j, strcmp (r->booted, "yes") == 0);
    core_json_key (&j, "error");
    if (unknown) {
      /* "? (why)" */
      const char *why = r->defined + 1;
      size_t n;
      while (*why == ' ' || *why == '(')
        why++;
      n = strlen (why);
      if (n > 0 && why[n - 1] == ')')
        n--;
      CLEANUP_FREE char *s = core_strndup (why, n);
      core_json_string (&j, s ? s : "unknown");
      ret = EXIT_FAILURE_;
    }
    else
      core_json_null (&j);
    core_json_object_end (&j);
  }
  core_json_array_end (&j);
  return cli_json_end (&j, ret);
}

static int
status (struct dep_run *run, bool json)
{
  dep_status_vector rows = { 0 };
  size_t w[4] = { 8, 4, 7, 5 };
  int ret = EXIT_OK;

  if (dep_status (run, &rows) == -1) {
    cli_core_error ();
    dep_status_free (&rows);
    return EXIT_FAILURE_;
  }
  if (json) {
    ret = status_json (&rows);
    dep_status_free (&rows);
    return ret;
  }
  for (size_t i = 0; i < rows.len; i++) {
    size_t l[4] = { strlen (rows.ptr[i].workload), strlen (rows.ptr[i].host),
                    strlen (rows.ptr[i].defined), strlen (rows.ptr[i].state) };
    for (int k = 0; k < 4; k++)
      if (l[k] > w[k])
        w[k] = l[k];
  }
  printf ("%-*s  %-*s  %-*s  %-*s  %s\n", (int) w[0], "WORKLOAD", (int) w[1], "HOST",
          (int) w[2], "DEFINED", (int) w[3], "STATE", "BOOTED");
  for (size_t i = 0; i < rows.len; i++) {
    printf ("%-*s  %-*s  %-*s  %-*s  %s\n", (int) w[0], rows.ptr[i].workload,
            (int) w[1], rows.ptr[i].host, (int) w[2], rows.ptr[i].defined,
            (int) w[3], rows.ptr[i].state, rows.ptr[i].booted);
    if (rows.ptr[i].defined[0] == '?')
      ret = EXIT_FAILURE_;
  }
  dep_status_free (&rows);
  return ret;
}

int
cli_cmd_deploy (const struct cli_command *cmd, int argc, char **argv)
{
  CLEANUP_FREE_PLAN struct core_plan plan;
  struct dep_options o = { 0 };
  struct cli_progress ui = { .sparse = true };
  const struct core_notify notify = {
    .progress_start = cli_progress_start, .progress = cli_progress,
    .progress_end = cli_progress_end, .notice = on_notice,
    .cancelled = cli_interrupted, .opaque = &ui,
  };
  core_string_vector problems = { 0 }, only = { 0 };
  struct dep_run *run = NULL;
  const char *xml_dir = NULL;
  bool json = false;
  bool want_status = false, timeout_given = false;
  struct cli_interrupt saved = { .caught = false };
  int64_t timeout;
  int c, ret = EXIT_FAILURE_;

  /* libvirt's remote driver writes to the pipe of its ssh child: if the
   * child died first (a host that cannot be reached, a connection closed),
   * SIGPIPE would kill us where an error should come back, half way
   * through a deployment.  virsh ignores it for the same reason. */
  signal (SIGPIPE, SIG_IGN);

  core_plan_init (&plan);
  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'i': o.images_dir = optarg; break;
    case 'u':
      if (dep_map_add (&o.uris, "--uri", optarg) == -1) {
        ret = cli_usage_error (cmd, "%s", core_errmsg ());
        goto out;
      }
      break;
    case OPT_DEFAULT_URI: o.default_uri = optarg; break;
    case OPT_POOL:
      if (host_or_default (&o.pools, &o.default_pool, "--pool", optarg) == -1) {
        ret = cli_usage_error (cmd, "%s", core_errmsg ());
        goto out;
      }
      break;
    case OPT_POOL_PATH:
      if (host_or_default (&o.pool_paths, &o.default_pool_path, "--pool-path", optarg) == -1) {
        ret = cli_usage_error (cmd, "%s", core_errmsg ());
        goto out;
      }
      break;
    case OPT_NETWORK:
      if (strcmp (optarg, "user") != 0 && strncmp (optarg, "network:", 8) != 0
          && strncmp (optarg, "bridge:", 7) != 0) {
        ret = cli_usage_error (cmd, "--network: expected network:NAME, bridge:NAME "
                               "or user, got '%s'", optarg);
        goto out;
      }
      o.network = optarg;
      break;
    case 's': o.start = true; break;
    case OPT_VERIFY_BOOT: o.verify_boot = o.start = true; break;
    case OPT_BOOT_TIMEOUT:
      if (core_parse_int64 (optarg, "--boot-timeout", 1, 86400, &timeout) == -1) {
        ret = cli_usage_error (cmd, "%s", core_errmsg ());
        goto out;
      }
      o.boot_timeout_s = timeout;
      timeout_given = true;
      break;
    case 'n': o.dry_run = true; break;
    case OPT_REPLACE: o.replace = true; break;
    case OPT_STATUS: want_status = true; break;
    case OPT_XML_DIR: xml_dir = optarg; break;
    case OPT_JSON: json = true; break;
    case OPT_ONLY:
      /* NAME[,NAME...]; repeatable. */
      for (const char *p = optarg; ; ) {
        size_t n = strcspn (p, ",");
        char *name;

        if (n == 0) {
          ret = cli_usage_error (cmd, "--only: an empty workload name in '%s'", optarg);
          goto out;
        }
        name = core_strndup (p, n);
        if (name == NULL || core_string_vector_append (&only, name) == -1) {
          free (name);
          cli_core_error ();
          goto out;
        }
        if (p[n] == '\0')
          break;
        p += n + 1;
      }
      o.only = &only;
      break;
    case OPT_WAVE:
      if (core_parse_int64 (optarg, "--wave", 1, 1000000, &o.wave) == -1) {
        ret = cli_usage_error (cmd, "%s", core_errmsg ());
        goto out;
      }
      break;
    case 'q': ui.quiet = true; break;
    case 'h': cli_print_help (cmd, &usage, opts); ret = EXIT_OK; goto out;
    default: ret = cli_option_error (cmd, argv, c); goto out;
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
  o.plan_file = argv[optind];
  if (want_status && (o.start || o.dry_run || o.replace || xml_dir)) {
    ret = cli_usage_error (cmd, "--status shows, it takes no --start, --verify-boot, "
                           "--dry-run, --replace or --xml-dir");
    goto out;
  }
  if (json && !want_status) {
    ret = cli_usage_error (cmd, "--json goes with --status");
    goto out;
  }
  if (!want_status && o.images_dir == NULL) {
    ret = cli_usage_error (cmd, "--images DIR is needed");
    goto out;
  }
  if (xml_dir && (o.start || o.dry_run || o.replace)) {
    ret = cli_usage_error (cmd, "--xml-dir writes definitions only; it takes no "
                           "--start, --verify-boot, --dry-run or --replace");
    goto out;
  }
  if (o.images_dir) {
    struct stat st;
    if (stat (o.images_dir, &st) == -1 || !S_ISDIR (st.st_mode)) {
      cli_error ("deploy: --images: %s is not a folder", o.images_dir);
      goto out;
    }
  }
  if (want_status && !timeout_given)
    o.boot_timeout_s = 10;

  if (core_plan_read (o.plan_file, &plan) == -1) {
    cli_core_error ();
    goto out;
  }
  if ((run = dep_run_new (&plan, &o, &notify)) == NULL) {
    cli_core_error ();
    goto out;
  }
  if (want_status) {
    ret = status (run, json);
    goto out;
  }

  if (xml_dir) {
    const char *name, *xml;
    if (dep_xml_only (run, &problems) == -1) {
      ret = print_problems (&problems, o.plan_file);
      goto out;
    }
    if (mkdir (xml_dir, 0777) == -1 && errno != EEXIST) {
      cli_error ("deploy: %s: %s", xml_dir, strerror (errno));
      goto out;
    }
    for (size_t i = 0; (xml = dep_xml_of (run, i, &name)) != NULL; i++) {
      CLEANUP_FREE char *path = core_sprintf ("%s/%s.xml", xml_dir, name);
      if (path == NULL
          || core_write_atomic_data (path, xml, strlen (xml)) == -1) {
        cli_core_error ();
        goto out;
      }
      printf ("%s\n", path);
    }
    ret = EXIT_OK;
    goto out;
  }

  /* From here on a signal stops the run at its next step, and what it
   * changed is undone before it exits. */
  cli_interrupt_catch (&saved);
  if (dep_check (run, &problems) == -1) {
    ret = print_problems (&problems, o.plan_file);
    goto restore;
  }
  if (o.dry_run) {
    dep_describe (run, true);
    printf ("dry run: %zu change%s, none made\n", dep_changes (run),
            dep_changes (run) == 1 ? "" : "s");
    ret = EXIT_OK;
    goto restore;
  }
  if (dep_changes (run) == 0)
    printf ("nothing to change: every workload is deployed as planned\n");
  else if (dep_apply (run) == -1) {
    cli_error ("deploy: %s; this run's changes were undone", core_errmsg ());
    goto restore;
  }
  else
    printf ("deployed: %zu change%s made\n", dep_done (run),
            dep_done (run) == 1 ? "" : "s");
  ret = EXIT_OK;
  if (o.verify_boot) {
    int failed = dep_verify_boot (run);
    if (failed != 0) {
      if (failed == -1)
        cli_core_error ();
      else
        cli_error ("deploy: %d guest%s showed no login prompt (they stay deployed)",
                   failed, failed == 1 ? "" : "s");
      ret = EXIT_FAILURE_;
    }
  }
  if (cli_interrupted (NULL))
    ret = EXIT_FAILURE_;

 restore:
  cli_interrupt_restore (&saved);
 out:
  dep_run_free (run);
  dep_map_free (&o.uris);
  dep_map_free (&o.pools);
  dep_map_free (&o.pool_paths);
  core_string_vector_free (&problems);
  core_string_vector_free (&only);
  return ret;
}
