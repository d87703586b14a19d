/* Progress for long work: on a terminal one line redrawn in place with
 * percent, rate and ETA; otherwise a plain line every 10% so that logs
 * stay readable. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

double
core_monotonic (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
format_duration (char *buf, size_t len, double s)
{
  long t = (long) (s + 0.5);

  if (t >= 3600)
    snprintf (buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf (buf, len, "%ld:%02ld", t / 60, t % 60);
}

/* The line's figures: the rate is of SENT (WORD says what that is when
 * it differs from DONE), the time left from how fast DONE grows (holes
 * included: they take no time). */
static void
format_line (char *buf, size_t len, uint64_t done, uint64_t total,
             uint64_t sent, const char *word, double elapsed)
{
  double pace = elapsed > 0 ? done / elapsed : 0;
  double rate = elapsed > 0 ? sent / elapsed : 0;
  char eta[32] = "--:--";

  if (total > 0 && pace > 0 && done <= total)
    format_duration (eta, sizeof eta, (total - done) / pace);
  if (total > 0)
    snprintf (buf, len, "%3d%% %.1f MB/s%s ETA %s",
              (int) (done > total ? 100 : done * 100 / total), rate / 1e6, word, eta);
  else
    snprintf (buf, len, "%.1f MB %.1f MB/s%s", done / 1e6, rate / 1e6, word);
}

void
core_progress_format (char *buf, size_t len, uint64_t done, uint64_t total,
                      double elapsed)
{
  format_line (buf, len, done, total, done, "", elapsed);
}

void
core_progress_start (struct core_progress *p, FILE *fp, const char *what,
                     uint64_t total)
{
  memset (p, 0, sizeof *p);
  p->fp = fp;
  p->what = what;
  p->total = total;
  p->start = core_monotonic ();
  p->tty = isatty (fileno (fp));
  p->last_draw = -1;
}

/* For a copy that skips holes: the rate of what was sent. */
static void
sparse_format (char *buf, size_t len, uint64_t done, uint64_t total,
               uint64_t sent, double elapsed)
{
  format_line (buf, len, done, total, sent, " sent", elapsed);
}

/* DONE of the total, SENT of it moved (UINT64_MAX: all of it). */
static void
update (struct core_progress *p, uint64_t done, uint64_t sent)
{
  double now = core_monotonic ();
  char text[128];

  if (p->tty) {
    if (now - p->last_draw < 0.2)
      return;
  }
  else {
    /* Plain lines: one per 10% step (or per 10 s without a total). */
    int step = p->total ? (int) (done * 10 / (p->total ? p->total : 1)) : (int) ((now - p->start) / 10);
    if (p->last_draw >= 0 && step == (int) p->last_draw)
      return;
    p->last_draw = step;
  }
  if (sent == UINT64_MAX)
    core_progress_format (text, sizeof text, done, p->total, now - p->start);
  else
    sparse_format (text, sizeof text, done, p->total, sent, now - p->start);
  if (p->tty) {
    fprintf (p->fp, "\r%s: %s\033[K", p->what, text);
    p->last_draw = now;
  }
  else
    fprintf (p->fp, "%s: %s\n", p->what, text);
  fflush (p->fp);
}

void
core_progress_update (struct core_progress *p, uint64_t done)
{
  update (p, done, UINT64_MAX);
}

void
core_progress_update_sparse (struct core_progress *p, uint64_t done, uint64_t sent)
{
  update (p, done, sent);
}

void
core_progress_finish (struct core_progress *p, uint64_t done)
{
  char text[128];
  double elapsed = core_monotonic () - p->start;

  core_progress_format (text, sizeof text, done, p->total ? p->total : done,
                        elapsed);
  fprintf (p->fp, "%s%s: done, %s in %.1f s\n", p->tty ? "\r" : "", p->what,
           text, elapsed);
  fflush (p->fp);
}

void
core_progress_end_format (char *buf, size_t len, const char *outcome,
                          uint64_t done, uint64_t total, uint64_t sent,
                          double elapsed)
{
  char of[64] = "", holes[64] = "";

  if (total > 0)
    snprintf (of, sizeof of, "%d%% of %.1f MB",
              (int) (done >= total ? 100 : done * 100 / total), total / 1e6);
  else
    snprintf (of, sizeof of, "%.1f MB", done / 1e6);
  if (done > sent)
    snprintf (holes, sizeof holes, ", %.1f MB of holes skipped",
              (done - sent) / 1e6);
  snprintf (buf, len, "%s, %s in %.1f s, %.1f MB sent at %.1f MB/s%s",
            outcome, of, elapsed, sent / 1e6,
            elapsed > 0 ? sent / elapsed / 1e6 : 0.0, holes);
}

void
core_progress_end (struct core_progress *p, const char *outcome,
                   uint64_t done, uint64_t sent)
{
  char text[256];
  double elapsed = core_monotonic () - p->start;

  core_progress_end_format (text, sizeof text, outcome, done, p->total, sent,
                            elapsed);
  fprintf (p->fp, "%s%s: %s\n", p->tty ? "\r\033[K" : "", p->what, text);
  fflush (p->fp);
}
