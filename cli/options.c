/* Option tables: getopt_long's arrays and --help text built from one
 * description per subcommand. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

#define MAX_OPTIONS 64

/* The table of the last cli_getopt call, for hints on unknown options. */
static const struct cli_option *last_opts;

int
cli_getopt (int argc, char **argv, const struct cli_option *opts,
            int *longindex)
{
  struct option longopts[MAX_OPTIONS + 2];
  char shortopts[MAX_OPTIONS * 2 + 4] = ":h";
  size_t n = 0, s = 2;
  int c;

  last_opts = opts;
  for (const struct cli_option *o = opts; o->name && n < MAX_OPTIONS; o++, n++) {
    longopts[n] = (struct option) { o->name, o->has_arg, NULL, o->val };
    if (o->val < 256) {
      shortopts[s++] = o->val;
      if (o->has_arg == required_argument)
        shortopts[s++] = ':';
    }
  }
  longopts[n++] = (struct option) { "help", no_argument, NULL, 'h' };
  longopts[n] = (struct option) { NULL, 0, NULL, 0 };
  shortopts[s] = '\0';

  opterr = 0;                   /* we say it ourselves, in one line */
  c = getopt_long (argc, argv, shortopts, longopts, longindex);
  return c;
}

static void
option_label (char *buf, size_t len, const struct cli_option *o)
{
  int n;

  if (o->val < 256)
    n = snprintf (buf, len, "-%c, --%s", o->val, o->name);
  else
    n = snprintf (buf, len, "    --%s", o->name);
  if (o->has_arg == required_argument && n > 0 && (size_t) n < len)
    snprintf (buf + n, len - n, "=%s", o->arg ? o->arg : "ARG");
}

void
cli_print_help (const struct cli_command *cmd, const struct cli_usage *u,
                const struct cli_option *opts)
{
  char label[128];

  printf ("Usage: p2vkit %s %s\n", cmd->name, u->synopsis);
  printf ("%s\n\nOptions:\n", u->description);
  for (const struct cli_option *o = opts; o->name; o++) {
    option_label (label, sizeof label, o);
    printf ("  %-24s %s\n", label, o->help);
  }
  printf ("  %-24s %s\n", "-h, --help", "show this help and exit");
}

void
cli_error (const char *fmt, ...)
{
  va_list ap;

  fflush (stdout);
  fputs ("p2vkit: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

void
cli_core_error (void)
{
  cli_error ("%s", core_errmsg ());
}

int
cli_usage_error (const struct cli_command *cmd, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  cli_error ("%s: %s; see 'p2vkit %s --help'", cmd->name, msg, cmd->name);
  return EXIT_USAGE;
}

int
cli_option_error (const struct cli_command *cmd, char **argv, int c)
{
  const char *arg = argv[optind - 1];

  if (c == ':') {
    if (arg[0] == '-' && arg[1] == '-')
      return cli_usage_error (cmd, "option '%s' needs an argument", arg);
    return cli_usage_error (cmd, "option '-%c' needs an argument", optopt);
  }
  if (optopt && optopt < 256 && !(arg[0] == '-' && arg[1] == '-'))
    return cli_usage_error (cmd, "unknown option '-%c'", optopt);
  if (arg[0] == '-' && arg[1] == '-' && last_opts) {
    const char *names[MAX_OPTIONS + 1];
    const char *near;
    char word[128];
    size_t n = 0;

    /* "--ouput=FILE": the name alone. */
    snprintf (word, sizeof word, "%.*s", (int) strcspn (arg + 2, "="), arg + 2);
    for (const struct cli_option *o = last_opts; o->name && n < MAX_OPTIONS; o++)
      names[n++] = o->name;
    names[n++] = "help";
    near = core_nearest (word, names, n);
    if (near)
      return cli_usage_error (cmd, "unknown option '%s' (did you mean '--%s'?)",
                              arg, near);
  }
  return cli_usage_error (cmd, "unknown option '%s'", arg);
}

#ifndef P2VKIT_AGENT             /* the agent has no JSON writer */
int
cli_json_end (struct core_json *j, int ret)
{
  if (core_json_end (j) == -1) {
    cli_core_error ();
    return EXIT_FAILURE_;
  }
  return ret;
}
#endif

int
cli_output_dir (const char *dir, bool *made)
{
  if (mkdir (dir, 0777) == 0)
    *made = true;
  else if (errno != EEXIST) {
    cli_error ("%s: cannot create the folder: %s", dir, strerror (errno));
    return -1;
  }
  return 0;
}

void
cli_on_stop_signals (void (*handler) (int))
{
  struct sigaction sa = { .sa_handler = handler };

  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
}

int
cli_search_option (const struct cli_command *cmd, int c,
                   double *time_limit, uint64_t *seed)
{
  int64_t n;

  switch (c) {
  case 't':
    if (core_parse_double (optarg, "--time-limit", 0, 86400, time_limit) == -1)
      return cli_usage_error (cmd, "%s", core_errmsg ());
    return EXIT_OK;
  case 's':
    if (core_parse_int64 (optarg, "--seed", 0, INT64_MAX, &n) == -1)
      return cli_usage_error (cmd, "%s", core_errmsg ());
    *seed = n;
    return EXIT_OK;
  }
  return -1;
}
