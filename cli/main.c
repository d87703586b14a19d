/* p2vkit: one program, a subcommand per job.  The table below is the one
 * list of subcommands: dispatch and `p2vkit --help` both read it. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct cli_command commands[] = {
  { "inventory", "profile this server (hardware, OS, services, utilization)",
    cli_cmd_inventory },
  { "import", "turn a CSV of servers into profiles", cli_cmd_import },
  { "validate", "check p2vkit files (profiles, hosts, policy, plans, CSV)",
    cli_cmd_validate },
  { "plan", "choose a mode and a host for every workload", cli_cmd_plan },
  { "report", "render a plan as a deployment-plan document", cli_cmd_report },
  { "convert", "clone disks and make them boot as a VM", cli_cmd_convert },
  { "capture", "stream a running server's disks to a receiver",
    cli_cmd_capture },
  { "receive", "accept disk captures on the conversion server",
    cli_cmd_receive },
  { "deploy", "define and start the planned VMs through libvirt",
    cli_cmd_deploy },
  { "migrate", "carry a plan out: capture, convert, deploy, verify",
    cli_cmd_migrate },
  { "wizard", "plan interactively in a terminal", cli_cmd_wizard },
  { NULL, NULL, NULL }
};

static void
print_main_help (FILE *fp)
{
  fprintf (fp,
           "Usage: p2vkit COMMAND [OPTIONS] [ARGS]\n"
           "       p2vkit --help | --version\n"
           "Consolidate physical servers onto virtualization hosts: profile them,\n"
           "plan full or paravirtualization and a host for each, convert their\n"
           "disks and deploy them with libvirt.\n"
           "\n"
           "Commands:\n");
  for (const struct cli_command *c = commands; c->name; c++)
    fprintf (fp, "  %-10s %s\n", c->name, c->summary);
  fprintf (fp,
           "\n"
           "'p2vkit COMMAND --help' describes a command.\n"
           "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static void
on_signal (int sig)
{
  /* Remove half-written outputs, then die of the signal as the shell
   * expects. */
  core_tmpfiles_cleanup ();
  signal (sig, SIG_DFL);
  raise (sig);
}

/* The core's warnings, on stderr as the commands' own are. */
static void
on_notice (void *opaque, enum core_notice kind, const char *msg)
{
  (void) opaque;
  fprintf (stderr, "p2vkit: %s%s\n",
           kind == CORE_NOTICE_WARNING ? "warning: " : "", msg);
}

int
main (int argc, char **argv)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
  struct sigaction sa = { .sa_handler = on_signal };
  static const struct core_notify notify = { .notice = on_notice };

  sigemptyset (&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction (sigs[i], &sa, NULL);

  core_set_notify (&notify);
  if (argc < 2) {
    print_main_help (stderr);
    return EXIT_USAGE;
  }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0) {
    print_main_help (stdout);
    return EXIT_OK;
  }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0) {
    printf ("p2vkit %s\n", P2VKIT_VERSION);
    return EXIT_OK;
  }
  for (const struct cli_command *c = commands; c->name; c++)
    if (strcmp (argv[1], c->name) == 0)
      return c->run (c, argc - 1, argv + 1);

  if (argv[1][0] == '-')
    cli_error ("unknown option '%s'; see 'p2vkit --help'", argv[1]);
  else {
    const char *names[sizeof commands / sizeof commands[0]];
    const char *near;
    size_t n = 0;

    for (const struct cli_command *c = commands; c->name; c++)
      names[n++] = c->name;
    near = core_nearest (argv[1], names, n);
    if (near)
      cli_error ("unknown command '%s' (did you mean '%s'?); see 'p2vkit --help'",
                 argv[1], near);
    else
      cli_error ("unknown command '%s'; see 'p2vkit --help'", argv[1]);
  }
  return EXIT_USAGE;
}
