/* p2vkit validate: read files as p2vkit would and say what is wrong. */
#include <string.h>

#include "cli/cli.h"
#include "migrate/migrate.h"

enum { OPT_JSON = 256 };

static const struct cli_option opts[] = {
  { "json", no_argument, OPT_JSON, NULL, "print one JSON object per file, in an array, on standard output" },
  { "quiet", no_argument, 'q', NULL, "print only errors" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "FILE...",
  "Check profiles, host catalogs, policies, plans, sources files and\n"
  "migration journals (by their schema: key) and CSV files of servers, the way every other command reads them.  Prints\n"
  "one line per file; exits 1 when any file is bad."
};

/* What a good file holds, for --json; counts are CORE_UNSET when they
 * do not apply to its kind. */
struct facts {
  const char *kind;
  char *name;                   /* a profile's workload */
  int64_t servers, models, workloads, hosts;
  bool sizing, growth;
};

/* Returns the description printed on success, or NULL with the error set. */
static char *
check_file (const char *path, struct facts *f)
{
  CLEANUP_FREE char *buf = NULL;
  enum core_file_kind kind;
  size_t len;

  if (core_ends_with_nocase (path, ".csv")) {
    CLEANUP_FREE_PROFILES core_profile_vector v = { 0 };

    if (core_import_csv (path, &v) == -1)
      return NULL;
    f->kind = "csv";
    f->servers = v.len;
    return core_sprintf ("CSV of %zu servers", v.len);
  }
  buf = core_read_input (path, &len);
  if (buf == NULL || core_file_kind (path, buf, len, &kind) == -1)
    return NULL;
  switch (kind) {
  case CORE_FILE_PROFILE: {
    CLEANUP_FREE_PROFILE struct core_profile *p =
      core_profile_parse (path, buf, len);
    f->kind = "profile";
    if (p && (f->name = core_strdup (p->name)) == NULL)
      return NULL;
    return p ? core_sprintf ("profile of %s", p->name) : NULL;
  }
  case CORE_FILE_HOSTS: {
    CLEANUP_FREE_HOSTS struct core_hosts h;
    if (core_hosts_parse (path, buf, len, &h) == -1)
      return NULL;
    f->kind = "hosts";
    f->models = h.models.len;
    return core_sprintf ("host catalog of %zu models", h.models.len);
  }
  case CORE_FILE_POLICY: {
    struct core_policy pol;
    if (core_policy_parse (path, buf, len, &pol) == -1)
      return NULL;
    f->kind = "policy";
    return core_sprintf ("policy");
  }
  case CORE_FILE_PLAN: {
    CLEANUP_FREE_PLAN struct core_plan plan;
    if (core_plan_parse (path, buf, len, &plan) == -1)
      return NULL;
    f->kind = "plan";
    f->workloads = plan.workloads.len;
    f->hosts = plan.hosts.len;
    f->sizing = plan.sizing.given;
    f->growth = plan.growth.given;
    return core_sprintf ("plan of %zu workloads on %zu hosts%s%s",
                         plan.workloads.len, plan.hosts.len,
                         plan.sizing.given ? ", with a host sizing" : "",
                         plan.growth.given ? ", with growth" : "");
  }
  case CORE_FILE_SOURCES: {
    CLEANUP_FREE_SOURCES struct core_sources s;
    if (core_sources_parse (path, buf, len, &s) == -1)
      return NULL;
    f->kind = "sources";
    f->workloads = s.sources.len;
    return core_sprintf ("sources of %zu workloads", s.sources.len);
  }
  case CORE_FILE_JOURNAL: {
    CLEANUP_FREE_JOURNAL struct mig_journal j;
    if (mig_journal_parse (path, buf, len, &j) == -1)
      return NULL;
    f->kind = "journal";
    f->workloads = j.workloads.len;
    return core_sprintf ("migration journal of %zu workloads",
                         j.workloads.len);
  }
  }
  core_error ("%s: unknown kind of file", path);
  return NULL;
}

/* With --json, a file's warnings go in its object, not to stderr. */
static void
collect_warning (void *opaque, enum core_notice kind, const char *msg)
{
  char *copy;

  if (kind != CORE_NOTICE_WARNING)
    return;
  copy = strdup (msg);

  if (copy == NULL || core_string_vector_append (opaque, copy) == -1)
    free (copy);
}

int
cli_cmd_validate (const struct cli_command *cmd, int argc, char **argv)
{
  bool quiet = false, json = false;
  struct core_json j;
  core_string_vector warnings = { 0 };
  const struct core_notify collect = { .notice = collect_warning,
                                       .opaque = &warnings };
  const struct core_notify *prev = core_thread_notify ();
  int c, ret = EXIT_OK;

  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'q': quiet = true; break;
    case OPT_JSON: json = true; break;
    case 'h': cli_print_help (cmd, &usage, opts); return EXIT_OK;
    default: return cli_option_error (cmd, argv, c);
    }
  }
  if (optind >= argc)
    return cli_usage_error (cmd, "no file given");
  if (json) {
    core_json_begin (&j, stdout);
    core_json_array_begin (&j);
    core_set_notify (&collect);
  }
  for (int i = optind; i < argc; i++) {
    struct facts f = { .servers = CORE_UNSET, .models = CORE_UNSET,
                       .workloads = CORE_UNSET, .hosts = CORE_UNSET };
    char *what = check_file (argv[i], &f);

    if (json) {
      /* Errors go in the object, not to stderr: one document to parse. */
      static const char *const keys[] = { "servers", "models", "workloads", "hosts" };
      const int64_t vals[] = { f.servers, f.models, f.workloads, f.hosts };

      core_json_object_begin (&j);
      core_json_key (&j, "file"); core_json_string (&j, argv[i]);
      core_json_key (&j, "ok"); core_json_bool (&j, what != NULL);
      core_json_key (&j, "kind"); core_json_string (&j, what ? f.kind : NULL);
      if (f.name) {
        core_json_key (&j, "name");
        core_json_string (&j, f.name);
      }
      for (size_t k = 0; what && k < 4; k++)
        if (vals[k] != CORE_UNSET) {
          core_json_key (&j, keys[k]);
          core_json_int (&j, vals[k]);
        }
      if (what && strcmp (f.kind, "plan") == 0) {
        core_json_key (&j, "sizing"); core_json_bool (&j, f.sizing);
        core_json_key (&j, "growth"); core_json_bool (&j, f.growth);
      }
      core_json_key (&j, "error"); core_json_string (&j, what ? NULL : core_errmsg ());
      core_json_key (&j, "warnings");
      core_json_array_begin (&j);
      for (size_t k = 0; k < warnings.len; k++) {
        core_json_string (&j, warnings.ptr[k]);
        free (warnings.ptr[k]);
      }
      warnings.len = 0;
      core_json_array_end (&j);
      core_json_object_end (&j);
    }
    free (f.name);
    if (what == NULL) {
      if (!json)
        cli_core_error ();
      ret = EXIT_FAILURE_;
      continue;
    }
    if (!quiet && !json)
      printf ("%s: ok, %s\n", argv[i], what);
    free (what);
  }
  if (json) {
    core_set_notify (prev);
    core_string_vector_reset (&warnings);
    core_json_array_end (&j);
    return cli_json_end (&j, ret);
  }
  return ret;
}
