/* Long work off the event loop: one worker thread at a time, whose
 * progress the loop reads under a lock, so that the screen keeps
 * redrawing and answering keys while the planner searches.
 */
#include <errno.h>
#include <string.h>

#include "tui/tui.h"

/* The work's progress stages, as the planner gives them. */
static void
job_progress (void *opaque, const char *what, uint64_t done, uint64_t sent,
              uint64_t total)
{
  (void) sent;
  tui_job_progress (opaque, what ? what : "working",
                    total ? (double) done / total : 0);
}

/* Warnings are kept for the status line once the work is done: the
 * first one, and how many came after it. */
static void
job_notice (void *opaque, enum core_notice kind, const char *msg)
{
  struct tui_job *j = opaque;

  if (kind != CORE_NOTICE_WARNING)
    return;
  pthread_mutex_lock (&j->lock);
  if (j->warning[0] == '\0')
    snprintf (j->warning, sizeof j->warning, "%s", msg);
  else
    j->more_warnings++;
  pthread_mutex_unlock (&j->lock);
}

void
tui_job_init (struct tui_job *j)
{
  memset (j, 0, sizeof *j);
  pthread_mutex_init (&j->lock, NULL);
  j->notify.progress = job_progress;
  j->notify.notice = job_notice;
  j->notify.opaque = j;
}

static void *
job_main (void *arg)
{
  struct tui_job *j = arg;
  int r;

  /* What the core warns of in this thread (core_warning) joins the
   * work's own warnings. */
  core_set_notify (&j->notify);
  r = j->fn (j, j->arg);

  pthread_mutex_lock (&j->lock);
  j->result = r;
  /* The error buffer is per thread: copy it for the event loop. */
  if (r == -1)
    snprintf (j->error, sizeof j->error, "%s", core_errmsg ());
  j->finished = true;
  pthread_mutex_unlock (&j->lock);
  return NULL;
}

int
tui_job_start (struct tui_job *j, int (*fn) (struct tui_job *, void *), void *arg)
{
  int e;

  if (j->running) {
    core_error ("busy: wait for the work under way to end");
    return -1;
  }
  j->fn = fn;
  j->arg = arg;
  j->finished = false;
  j->result = 0;
  j->error[0] = '\0';
  j->warning[0] = '\0';
  j->more_warnings = 0;
  snprintf (j->stage, sizeof j->stage, "starting");
  j->fraction = 0;
  j->started = core_monotonic ();
  e = pthread_create (&j->thread, NULL, job_main, j);
  if (e != 0) {
    errno = e;
    core_error_errno ("cannot start a thread");
    return -1;
  }
  j->running = true;
  return 0;
}

void
tui_job_progress (struct tui_job *j, const char *stage, double fraction)
{
  pthread_mutex_lock (&j->lock);
  snprintf (j->stage, sizeof j->stage, "%s", stage);
  j->fraction = fraction;
  pthread_mutex_unlock (&j->lock);
}

bool
tui_job_poll (struct tui_job *j)
{
  bool done;

  if (!j->running)
    return false;
  pthread_mutex_lock (&j->lock);
  done = j->finished;
  pthread_mutex_unlock (&j->lock);
  if (!done)
    return false;
  pthread_join (j->thread, NULL);
  j->running = false;
  return true;
}

void
tui_job_wait (struct tui_job *j)
{
  if (!j->running)
    return;
  pthread_join (j->thread, NULL);
  j->running = false;
}

int
tui_plan_work (struct tui_job *job, void *arg)
{
  struct tui_plan_job *pj = arg;

  pj->cfg.notify = &job->notify;
  return plan_run (&pj->cfg, &pj->plan);
}

void
tui_size_config (const struct tui_model *m, struct tui_size_job *sj)
{
  tui_model_plan_config (m, &sj->cfg);
  /* The spec is for a host to buy: the catalog plays no part. */
  sj->cfg.hosts = NULL;
  sj->cfg.force = NULL;
  memset (&sj->sc, 0, sizeof sj->sc);
  sj->sc.core_mhz = 2600;
  sj->sc.growth_pct = CORE_UNSET;
  sj->sc.spec_only = true;
}

int
tui_size_work (struct tui_job *job, void *arg)
{
  struct tui_size_job *sj = arg;

  sj->cfg.notify = &job->notify;
  return plan_size (&sj->cfg, &sj->sc, &sj->plan);
}
