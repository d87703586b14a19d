/* p2vkit validate: read files as p2vkit would and say what is wrong. */
#include <string.h>

#include "cli/cli.h"

static const struct cli_option opts[] = {
  { "quiet", no_argument, 'q', NULL, "print only errors" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "FILE...",
  "Check profiles, host catalogs, policies and plans (by their schema: key)\n"
  "and CSV files of servers, the way every other command reads them.  Prints\n"
  "one line per file; exits 1 when any file is bad."
};

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);

  return n >= m && strcasecmp (s + n - m, suffix) == 0;
}

/* Returns the description printed on success, or NULL with the error set. */
static char *
check_file (const char *path)
{
  CLEANUP_FREE char *buf = NULL;
  enum core_file_kind kind;
  size_t len;

  if (has_suffix (path, ".csv")) {
    CLEANUP_FREE_PROFILES core_profile_vector v = { 0 };

    if (core_import_csv (path, &v) == -1)
      return NULL;
    return core_sprintf ("CSV of %zu servers", v.len);
  }
  buf = core_read_input (path, &len);
  if (buf == NULL || core_file_kind (path, buf, len, &kind) == -1)
    return NULL;
  switch (kind) {
  case CORE_FILE_PROFILE: {
    CLEANUP_FREE_PROFILE struct core_profile *p =
      core_profile_parse (path, buf, len);
    return p ? core_sprintf ("profile of %s", p->name) : NULL;
  }
  case CORE_FILE_HOSTS: {
    CLEANUP_FREE_HOSTS struct core_hosts h;
    if (core_hosts_parse (path, buf, len, &h) == -1)
      return NULL;
    return core_sprintf ("host catalog of %zu models", h.models.len);
  }
  case CORE_FILE_POLICY: {
    struct core_policy pol;
    if (core_policy_parse (path, buf, len, &pol) == -1)
      return NULL;
    return core_sprintf ("policy");
  }
  case CORE_FILE_PLAN: {
    CLEANUP_FREE_PLAN struct core_plan plan;
    if (core_plan_parse (path, buf, len, &plan) == -1)
      return NULL;
    return core_sprintf ("plan of %zu workloads on %zu hosts%s%s",
                         plan.workloads.len, plan.hosts.len,
                         plan.sizing.given ? ", with a host sizing" : "",
                         plan.growth.given ? ", with growth" : "");
  }
  }
  core_error ("%s: unknown kind of file", path);
  return NULL;
}

int
cli_cmd_validate (const struct cli_command *cmd, int argc, char **argv)
{
  bool quiet = false;
  int c, ret = EXIT_OK;

  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'q': quiet = true; break;
    case 'h': cli_print_help (cmd, &usage, opts); return EXIT_OK;
    default: return cli_option_error (cmd, argv, c);
    }
  }
  if (optind >= argc)
    return cli_usage_error (cmd, "no file given");
  for (int i = optind; i < argc; i++) {
    char *what = check_file (argv[i]);

    if (what == NULL) {
      cli_core_error ();
      ret = EXIT_FAILURE_;
      continue;
    }
    if (!quiet)
      printf ("%s: ok, %s\n", argv[i], what);
    free (what);
  }
  return ret;
}
