/* How long work tells its caller what happens: progress, notices,
 * warnings, and whether to stop.  Every module takes one struct
 * core_notify from its front end; code with none to hand (readers,
 * import) warns through the one the front end set for its thread. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core.h"

void
core_vnotice (const struct core_notify *n, enum core_notice kind,
              const char *fmt, va_list ap)
{
  char *msg;

  if (n == NULL || n->notice == NULL)
    return;
  /* Out of memory here only loses the notice. */
  if (vasprintf (&msg, fmt, ap) == -1)
    return;
  n->notice (n->opaque, kind, msg);
  free (msg);
}

void
core_notice (const struct core_notify *n, enum core_notice kind,
             const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  core_vnotice (n, kind, fmt, ap);
  va_end (ap);
}

void
core_notify_start (const struct core_notify *n, const char *what,
                   uint64_t total)
{
  if (n && n->progress_start)
    n->progress_start (n->opaque, what, total);
}

void
core_notify_progress (const struct core_notify *n, const char *what,
                      uint64_t done, uint64_t sent, uint64_t total)
{
  if (n && n->progress)
    n->progress (n->opaque, what, done, sent, total);
}

void
core_notify_end (const struct core_notify *n, const char *outcome,
                 uint64_t done, uint64_t sent)
{
  if (n && n->progress_end)
    n->progress_end (n->opaque, outcome, done, sent);
}

bool
core_cancelled (const struct core_notify *n)
{
  return n && n->cancelled && n->cancelled (n->opaque);
}

/* The thread's own: the front end sets it, core_warning uses it. */
static _Thread_local const struct core_notify *thread_notify;

void
core_set_notify (const struct core_notify *n)
{
  thread_notify = n;
}

const struct core_notify *
core_thread_notify (void)
{
  return thread_notify;
}

void
core_warning (const char *fmt, ...)
{
  char msg[2048];
  va_list ap;

  if (thread_notify == NULL || thread_notify->notice == NULL)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  /* One line per warning: a line break would break a log's layout. */
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  thread_notify->notice (thread_notify->opaque, CORE_NOTICE_WARNING, msg);
}
