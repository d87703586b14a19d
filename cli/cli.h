/* The command-line front end: the only code (with tui/) that prints to the
 * user and decides exit statuses.  Each subcommand lives in cmd-NAME.c and
 * is listed once in the table in main.c, which drives dispatch and
 * `p2vkit --help`. */
#ifndef P2VKIT_CLI_H
#define P2VKIT_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#include "core/core.h"

/* Exit statuses, the same for every subcommand. */
#define EXIT_OK 0
#define EXIT_FAILURE_ 1         /* bad input, failed operation */
#define EXIT_USAGE 2            /* bad command line, or not available yet */

struct cli_command {
  const char *name;
  const char *summary;          /* one line for `p2vkit --help` */
  int (*run) (const struct cli_command *cmd, int argc, char **argv);
};

/* One option, described once: getopt_long's table, the short option
 * string and the --help text are all built from an array of these, which
 * ends with an entry whose name is NULL. */
struct cli_option {
  const char *name;             /* long name */
  int has_arg;                  /* no_argument, required_argument */
  int val;                      /* short option letter, or a code >= 256 */
  const char *arg;              /* argument name in --help, e.g. "FILE" */
  const char *help;
};

/* Text of a subcommand's --help. */
struct cli_usage {
  const char *synopsis;         /* after "Usage: p2vkit CMD " */
  const char *description;      /* one paragraph, may hold '\n' */
};

/* getopt_long over OPTS; the caller loops on the returned value like
 * getopt_long's. --help is handled here (prints, returns 'h'). */
int cli_getopt (int argc, char **argv, const struct cli_option *opts,
                int *longindex);
void cli_print_help (const struct cli_command *cmd, const struct cli_usage *u,
                     const struct cli_option *opts);

/* After cli_getopt returned '?' or ':': say which option was wrong and
 * return EXIT_USAGE. */
int cli_option_error (const struct cli_command *cmd, char **argv, int c);

/* Messages: "p2vkit: ..." on stderr. */
void cli_error (const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The core's last error as "p2vkit: MESSAGE". */
void cli_core_error (void);
/* A usage error: prints it with a pointer to --help, returns EXIT_USAGE. */
int cli_usage_error (const struct cli_command *cmd, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* Ends a JSON document on standard output: RET, or EXIT_FAILURE_ (said)
 * when it could not be written. */
int cli_json_end (struct core_json *j, int ret);
/* SIGINT, SIGTERM and SIGHUP call HANDLER (a long run that stops
 * cleanly when asked). */
void cli_on_stop_signals (void (*handler) (int));
/* The planner's search options, the same in plan and wizard: when C is
 * 't' (--time-limit) or 's' (--seed), parses optarg into *TIME_LIMIT or
 * *SEED and returns EXIT_OK, or a usage error; -1 for any other C. */
int cli_search_option (const struct cli_command *cmd, int c,
                       double *time_limit, uint64_t *seed);

/* Progress of a copy on standard error, "PREFIXWHAT: ..." (nothing when
 * QUIET): the callbacks of a struct core_notify whose opaque is a struct
 * cli_progress.  SPARSE: a copy that skips holes, with the rate of what was
 * sent and core_progress_end's last line; else the rate of what was done
 * and core_progress_finish's. */
struct cli_progress {
  const char *prefix;
  bool sparse;
  bool quiet;
  struct core_progress progress;
  char what[256];
};
void cli_progress_start (void *opaque, const char *what, uint64_t total);
void cli_progress (void *opaque, const char *what, uint64_t done,
                   uint64_t sent, uint64_t total);
void cli_progress_end (void *opaque, const char *outcome, uint64_t done,
                       uint64_t sent);

/* interrupt.c: the first SIGINT, SIGTERM or SIGHUP after
 * cli_interrupt_catch makes cli_interrupted (a core_notify cancelled
 * callback) true, so that the core stops at its next step; a second acts
 * as the signal would.  cli_interrupt_restore puts back what was there
 * (nothing when nothing was caught). */
struct cli_interrupt {
  struct sigaction old[3];
  bool caught;
};
void cli_interrupt_catch (struct cli_interrupt *saved);
void cli_interrupt_restore (struct cli_interrupt *saved);
bool cli_interrupted (void *opaque);

/* An output folder: made unless it is there (*MADE then true); -1 (said)
 * when it cannot be. */
int cli_output_dir (const char *dir, bool *made);

/* Subcommands. */
int cli_cmd_capture (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_receive (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_import (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_inventory (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_plan (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_report (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_validate (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_wizard (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_convert (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_deploy (const struct cli_command *cmd, int argc, char **argv);
int cli_cmd_migrate (const struct cli_command *cmd, int argc, char **argv);

#endif /* P2VKIT_CLI_H */
