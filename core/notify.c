/* How long work tells its caller what happens: progress, notices,
 * warnings, and whether to stop.  Every module takes one struct
 * core_notify from its front end; code with none to hand (readers,
 * import) warns through the one the front end set for its thread. */
#include <stdarg.h>
#include <stdio.h>

#include "core.h"

/* One line per notice: a line break would break the front end's layout. */
static void
one_line (char *msg)
{
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
}

static void
notice_v (const struct core_notify *n, enum core_notice kind, const char *fmt,
          va_list ap)
{
  char msg[2048];

  if (n == NULL || n->notice == NULL)
    return;
  vsnprintf (msg, sizeof msg, fmt, ap);
  one_line (msg);
  n->notice (n->opaque, kind, msg);
}

void
core_notice (const struct core_notify *n, enum core_notice kind,
             const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  notice_v (n, kind, fmt, ap);
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
  va_list ap;

  va_start (ap, fmt);
  notice_v (thread_notify, CORE_NOTICE_WARNING, fmt, ap);
  va_end (ap);
}
