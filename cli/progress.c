/* Progress lines on standard error for the subcommands that copy disks
 * (convert, deploy), as the callbacks of their struct core_notify. */
#include "cli/cli.h"

void
cli_progress_start (void *opaque, const char *what, uint64_t total)
{
  struct cli_progress *p = opaque;

  snprintf (p->what, sizeof p->what, "%s%s", p->prefix ? p->prefix : "", what);
  if (!p->quiet)
    core_progress_start (&p->progress, stderr, p->what, total);
}

void
cli_progress (void *opaque, const char *what, uint64_t done, uint64_t sent,
              uint64_t total)
{
  struct cli_progress *p = opaque;

  (void) what; (void) total;
  if (p->quiet)
    return;
  if (p->sparse)
    core_progress_update_sparse (&p->progress, done, sent);
  else
    core_progress_update (&p->progress, done);
}

void
cli_progress_end (void *opaque, const char *outcome, uint64_t done,
                  uint64_t sent)
{
  struct cli_progress *p = opaque;

  if (p->quiet)
    return;
  if (p->sparse)
    core_progress_end (&p->progress, outcome, done, sent);
  else if (done)
    core_progress_finish (&p->progress, done);
  else if (p->progress.tty)
    fputs ("\n", stderr);
}
