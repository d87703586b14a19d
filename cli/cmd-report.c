/* p2vkit report: a plan rendered as a deployment-plan document (HTML,
 * Markdown, or PDF printed from the HTML by headless Chromium). */
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

int
cli_cmd_report (const struct cli_command *cmd, int argc, char **argv)
{
  CLEANUP_FREE_PLAN struct core_plan plan;
  struct rep_document d = {
    .output = "-", .opts = { .rate_mbs = CORE_WAVE_RATE_MBS, .window_h = CORE_WAVE_WINDOW_H,
              .wave_size = CORE_WAVE_SIZE },
  };
  int64_t wave_size;
  const char *format = NULL;
  bool quiet = false, values_only = false;
  int c;

  core_plan_init (&plan);
  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 'o': d.output = optarg; break;
    case 't': d.template_dir = optarg; break;
    case 'q': quiet = true; break;
    case 'V': values_only = true; break;
    case 'r':
      if (core_parse_double (optarg, "--rate", 0.001, 1e6, &d.opts.rate_mbs) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      break;
    case 'w':
      if (core_parse_double (optarg, "--window", 0.01, 1e4, &d.opts.window_h) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      break;
    case 'n':
      if (core_parse_int64 (optarg, "--wave-size", 1, 1000000, &wave_size) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      d.opts.wave_size = wave_size;
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
    d.format = rep_format_of_output (d.output);
  else if (rep_format_parse (format, &d.format) == -1)
    return cli_usage_error (cmd, "%s", core_errmsg ());
  if (d.format == REP_PDF && core_output_is_stdout (d.output) && isatty (1))
    return cli_usage_error (cmd, "a PDF does not go to a terminal; give -o FILE");
  d.opts.plan_file = argv[optind];

  if (core_plan_read (argv[optind], &plan) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  if (values_only)
    d.format = REP_VALUES;
  if (rep_write_document (&plan, &d) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  if (!quiet && !values_only && !core_output_is_stdout (d.output))
    printf ("report: %s of %zu workload%s on %zu host%s written to %s\n",
            d.format == REP_PDF ? "PDF" : d.format == REP_MD ? "Markdown" : "HTML",
            plan.workloads.len, plan.workloads.len == 1 ? "" : "s",
            plan.hosts.len, plan.hosts.len == 1 ? "" : "s", d.output);
  return EXIT_OK;
}
