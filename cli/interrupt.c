/* Ctrl-C for the commands whose core stops cleanly when asked (deploy,
 * migrate): the first SIGINT, SIGTERM or SIGHUP only asks (the core sees
 * it through its notify's cancelled callback, stops at its next step and
 * undoes or cleans up); a second one acts as the signal would. */
#include <signal.h>

#include "cli/cli.h"

static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  if (interrupted)
    signal (sig, SIG_DFL), raise (sig);
  interrupted = 1;
}

void
cli_interrupt_catch (struct cli_interrupt *saved)
{
  struct sigaction sa = { .sa_handler = on_signal };

  for (size_t i = 0; i < 3; i++)
    sigaction (signals[i], &sa, &saved->old[i]);
  saved->caught = true;
}

void
cli_interrupt_restore (struct cli_interrupt *saved)
{
  if (!saved->caught)
    return;
  for (size_t i = 0; i < 3; i++)
    sigaction (signals[i], &saved->old[i], NULL);
  saved->caught = false;
}

bool
cli_interrupted (void *opaque)
{
  (void) opaque;
  return interrupted;
}
