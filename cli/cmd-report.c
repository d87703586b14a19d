/* p2vkit report: a plan rendered as a deployment-plan document (HTML,
 * Markdown, or PDF printed from the HTML by headless Chromium). */
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report/report.h"

static const struct cli_option opts[] = {
  { "format", required_argument, 'f', "FORMAT", "html, md or pdf (default: from the name of -o, else html)" },
  { "output", required_argument, 'o', "FILE", "write the document to FILE (default: standard output)" },
  { "template", required_argument, 't', "DIR", "use the templates in DIR instead of the installed ones" },
  { "rate", required_argument, 'r', "MBPS", "transfer rate for the migration waves, MB/s (default 100)" },
  { "window", required_argument, 'w', "HOURS", "longest transfer time of one wave (default 8)" },
  { "wave-size", required_argument, 'n', "N", "most workloads in one wave (default 10)" },
  { "values", no_argument, 'V', NULL, "write the values the templates see, as JSON, instead of a document" },
  { "quiet", no_argument, 'q', NULL, "print nothing but errors" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "PLAN.yaml [--format html|md|pdf] [-o FILE] [--template DIR]",
  "Render a plan as a deployment-plan document: summary and bill of\n"
  "materials, every workload with its mode and why, every host with its load\n"
  "over the day, the workloads left physical, migration waves with a runbook\n"
  "per workload, and a decision guide.  PDF is the HTML printed by headless\n"
  "Chromium.  The templates and their language: docs/templates.md."
};

enum format { FMT_HTML, FMT_MD, FMT_PDF };

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);

  return a >= b && strcasecmp (s + a - b, suffix) == 0;
}

static bool
is_file (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

/* The installed templates: next to the program (a build tree), under the
 * prefix it is installed in (BINDIR/../share/p2vkit/templates), the data
 * folder it was built for, then the source tree it was built from (so a
 * program in a build folder such as build/san works uninstalled). */
static char *
find_templates (const char *main_name, char *looked, size_t looked_len)
{
  char exe[PATH_MAX], *slash;
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  char *candidates[4] = { NULL, NULL, NULL, NULL };
  char *found = NULL;
  size_t used = 0;

  if (n > 0) {
    exe[n] = '\0';
    slash = strrchr (exe, '/');
    if (slash) {
      *slash = '\0';
      candidates[0] = core_sprintf ("%s/templates", exe);
      candidates[1] = core_sprintf ("%s/../share/p2vkit/templates", exe);
    }
  }
  candidates[2] = core_strdup (P2VKIT_DATADIR "/templates");
  candidates[3] = core_strdup (P2VKIT_SRCDIR "/templates");
  looked[0] = '\0';
  for (int i = 0; i < 4; i++) {
    CLEANUP_FREE char *file = NULL;

    if (candidates[i] == NULL)
      continue;
    file = core_sprintf ("%s/%s", candidates[i], main_name);
    if (found == NULL && file && is_file (file)) {
      found = candidates[i];
      candidates[i] = NULL;
    }
    else if (found == NULL && used < looked_len)
      used += snprintf (looked + used, looked_len - used, "%s%s",
                        used ? ", " : "", candidates[i]);
  }
  for (int i = 0; i < 3; i++)
    free (candidates[i]);
  return found;
}

struct doc {
  const char *text;
  size_t len;
};

static int
write_doc (FILE *fp, void *opaque)
{
  const struct doc *d = opaque;

  if (fwrite (d->text, 1, d->len, fp) != d->len) {
    core_error_errno ("write error");
    return -1;
  }
  return 0;
}

static int
write_values (FILE *fp, void *opaque)
{
  return rep_value_write_json (fp, opaque);
}

int
cli_cmd_report (const struct cli_command *cmd, int argc, char **argv)
{
  CLEANUP_FREE_PLAN struct core_plan plan;
  CLEANUP_FREE char *dir = NULL, *text = NULL;
  struct rep_options ro = { .rate_mbs = 100, .window_h = 8, .wave_size = 10 };
  int64_t wave_size;
  struct rep_templates *tpl = NULL;
  struct rep_value *values = NULL;
  const char *format = NULL, *output = "-", *template_dir = NULL, *main_name;
  enum format fmt;
  bool quiet = false, values_only = false;
  size_t len;
  int c, ret = EXIT_FAILURE_;

  core_plan_init (&plan);
  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 'o': output = optarg; break;
    case 't': template_dir = optarg; break;
    case 'q': quiet = true; break;
    case 'V': values_only = true; break;
    case 'r':
      if (core_parse_double (optarg, "--rate", 0.001, 1e6, &ro.rate_mbs) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      break;
    case 'w':
      if (core_parse_double (optarg, "--window", 0.01, 1e4, &ro.window_h) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      break;
    case 'n':
      if (core_parse_int64 (optarg, "--wave-size", 1, 1000000, &wave_size) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      ro.wave_size = wave_size;
      break;
    case 'h': cli_print_help (cmd, &usage, opts); return EXIT_OK;
    default: return cli_option_error (cmd, argv, c);
    }
  }
  if (optind >= argc)
    return cli_usage_error (cmd, "no plan given");
  if (optind + 1 < argc)
    return cli_usage_error (cmd, "one plan at a time, got '%s' too", argv[optind + 1]);
  if (format == NULL)
    format = has_suffix (output, ".md") ? "md" : has_suffix (output, ".pdf") ? "pdf" : "html";
  if (strcmp (format, "html") == 0)
    fmt = FMT_HTML;
  else if (strcmp (format, "md") == 0 || strcmp (format, "markdown") == 0)
    fmt = FMT_MD;
  else if (strcmp (format, "pdf") == 0)
    fmt = FMT_PDF;
  else
    return cli_usage_error (cmd, "--format: expected html, md or pdf, got '%s'", format);
  if (fmt == FMT_PDF && core_output_is_stdout (output) && isatty (1))
    return cli_usage_error (cmd, "a PDF does not go to a terminal; give -o FILE");
  main_name = fmt == FMT_MD ? "report.md" : "report.html";
  ro.plan_file = argv[optind];

  if (core_plan_read (argv[optind], &plan) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  if (values_only) {
    if ((values = rep_plan_values (&plan, &ro)) == NULL
        || core_write_atomic (output, write_values, values) == -1) {
      cli_core_error ();
      goto out;
    }
    ret = EXIT_OK;
    goto out;
  }

  if (template_dir == NULL) {
    char looked[2048];
    dir = find_templates (main_name, looked, sizeof looked);
    if (dir == NULL) {
      cli_error ("report: no templates found (looked in %s); give --template DIR",
                 looked);
      return EXIT_FAILURE_;
    }
    template_dir = dir;
  }
  else {
    struct stat st;
    if (stat (template_dir, &st) == -1 || !S_ISDIR (st.st_mode)) {
      cli_error ("%s: not a folder of templates", template_dir);
      return EXIT_FAILURE_;
    }
  }

  /* Everything is read and rendered before anything is written. */
  tpl = rep_templates_new (template_dir);
  if (tpl == NULL || rep_templates_load (tpl, main_name) == -1
      || (values = rep_plan_values (&plan, &ro)) == NULL
      || (text = rep_render (tpl, main_name, values, &len)) == NULL) {
    cli_core_error ();
    goto out;
  }
  if (fmt == FMT_PDF) {
    if (rep_pdf_write (text, len, output, NULL) == -1) {
      cli_core_error ();
      goto out;
    }
  }
  else {
    struct doc d = { text, len };
    if (core_write_atomic (output, write_doc, &d) == -1) {
      cli_core_error ();
      goto out;
    }
  }
  if (!quiet && !core_output_is_stdout (output))
    printf ("report: %s of %zu workload%s on %zu host%s written to %s\n",
            fmt == FMT_PDF ? "PDF" : fmt == FMT_MD ? "Markdown" : "HTML",
            plan.workloads.len, plan.workloads.len == 1 ? "" : "s",
            plan.hosts.len, plan.hosts.len == 1 ? "" : "s", output);
  ret = EXIT_OK;

 out:
  rep_value_free (values);
  rep_templates_free (tpl);
  return ret;
}
