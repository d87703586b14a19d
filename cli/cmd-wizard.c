/* p2vkit wizard: plan interactively in a terminal (tui/). */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tui/tui.h"

static const struct cli_option opts[] = {
  { "hosts", required_argument, 'H', "FILE", "the host catalog (p2vkit/hosts/v1) to start from" },
  { "policy", required_argument, 'p', "FILE", "the policy (p2vkit/policy/v1) to start from; defaults otherwise" },
  { "output", required_argument, 'o', "FILE", "the plan file to export to (default plan.yaml)" },
  { "time-limit", required_argument, 't', "SEC", "the planner searches for at most SEC seconds (default 5)" },
  { "seed", required_argument, 's', "N", "seed of the planner's random choices (default 1)" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "[PROFILES...] [--hosts HOSTS.yaml] [--policy POLICY.yaml] [-o PLAN.yaml]",
  "Walk through a consolidation plan in a terminal: the servers' profiles,\n"
  "the host models to buy, the policy, the mode of each workload and why,\n"
  "the plan host by host (with moves checked against every constraint), and\n"
  "the export of the plan, its report and the convert and deploy commands.\n"
  "PROFILES are profile files, CSV files or folders, as for 'p2vkit plan'.\n"
  "It needs a terminal of at least 80x24; F1 in it lists the keys."
};

int
cli_cmd_wizard (const struct cli_command *cmd, int argc, char **argv)
{
  struct tui_options o = { .time_limit = 5, .seed = 1 };
  int rc;
  int c;

  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'H': o.hosts_file = optarg; break;
    case 'p': o.policy_file = optarg; break;
    case 'o': o.output = optarg; break;
    case 't': case 's':
      if ((rc = cli_search_option (cmd, c, &o.time_limit, &o.seed)) != EXIT_OK)
        return rc;
      break;
    case 'h': cli_print_help (cmd, &usage, opts); return EXIT_OK;
    default: return cli_option_error (cmd, argv, c);
    }
  }
  if (!isatty (0) || !isatty (1)) {
    cli_error ("wizard: needs a terminal on standard input and output; "
               "use 'p2vkit plan' in scripts");
    return EXIT_USAGE;
  }
  o.paths = argv + optind;
  o.npaths = argc - optind;
  return tui_main (&o);
}
