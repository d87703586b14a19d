/* Subcommands whose implementation has not landed: they say so and exit
 * with the usage status rather than pretend to work. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int
cli_cmd_not_yet (const struct cli_command *cmd, int argc, char **argv)
{
  static const struct cli_option opts[] = { { NULL, 0, 0, NULL, NULL } };
  const struct cli_usage usage = {
    "...",
    "This version of p2vkit does not implement this command yet: it prints\n"
    "a message and exits with status 2."
  };
  int c;

  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    if (c == 'h') {
      cli_print_help (cmd, &usage, opts);
      return EXIT_OK;
    }
    /* Any other option: the command is not there to take it. */
    break;
  }
  cli_error ("%s: not implemented yet in p2vkit %s", cmd->name,
             P2VKIT_VERSION);
  return EXIT_USAGE;
}
