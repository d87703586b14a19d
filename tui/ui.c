/* The terminal side of the wizard: curses set-up and restore (on exit,
 * Ctrl-C and crashes), the event loop, the tab line, the status line and
 * key bar, and the line editor every form uses.  The loop never blocks
 * for long: it wakes every 100 ms to show the worker's progress.
 */
#include <curses.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "tui/tui.h"

#define MIN_COLS 80
#define MIN_LINES 24

static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t curses_on;

static void
restore_terminal (void)
{
  if (curses_on) {
    curses_on = 0;
    endwin ();
  }
}

/* Ctrl-C, kill, hang-up: the loop ends at its next wake-up and restores
 * the terminal there. */
static void
on_interrupt (int sig)
{
  interrupted = sig;
}

/* A crash: put the terminal back before dying of the signal, so the
 * shell is usable and the message readable. */
static void
on_crash (int sig)
{
  if (curses_on)
    endwin ();
  core_tmpfiles_cleanup ();
  signal (sig, SIG_DFL);
  raise (sig);
}

int
tui_look (const struct tui_ui *ui, enum tui_look look)
{
  if (ui->colour)
    switch (look) {
    case TUI_LOOK_TITLE: return COLOR_PAIR (1) | A_BOLD;
    case TUI_LOOK_TAB: return COLOR_PAIR (2) | A_BOLD;
    case TUI_LOOK_SEL: return COLOR_PAIR (2);
    case TUI_LOOK_ERR: return COLOR_PAIR (3) | A_BOLD;
    case TUI_LOOK_OK: return COLOR_PAIR (4);
    case TUI_LOOK_KEY: return COLOR_PAIR (1) | A_BOLD;
    case TUI_LOOK_BAR: return COLOR_PAIR (4) | A_BOLD;
    case TUI_LOOK_BAR_HOT: return COLOR_PAIR (5) | A_BOLD;
    case TUI_LOOK_HEAD: return A_BOLD | A_UNDERLINE;
    case TUI_LOOK_DIM: return A_DIM;
    }
  switch (look) {
  case TUI_LOOK_TITLE: return A_REVERSE;
  case TUI_LOOK_TAB: return A_BOLD;
  case TUI_LOOK_SEL: return A_REVERSE;
  case TUI_LOOK_ERR: return A_BOLD;
  case TUI_LOOK_KEY: return A_REVERSE;
  case TUI_LOOK_HEAD: return A_BOLD | A_UNDERLINE;
  default: return A_NORMAL;
  }
}

void
tui_put (int y, int x, int width, const char *text)
{
  int n = 0;

  if (y < 0 || y >= LINES || x >= COLS || width <= 0)
    return;
  if (x + width > COLS)
    width = COLS - x;
  move (y, x);
  for (; text[n] && n < width; n++)
    addch ((unsigned char) text[n] < ' ' ? ' ' : (unsigned char) text[n]);
  for (; n < width; n++)
    addch (' ');
}

void
tui_putf (int y, int x, int width, const char *fmt, ...)
{
  char buf[2048];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  tui_put (y, x, width, buf);
}

void
tui_status (struct tui_ui *ui, bool error, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (ui->status, sizeof ui->status, fmt, ap);
  va_end (ap);
  ui->status_error = error;
}

void
tui_status_warning (struct tui_ui *ui, const char *warning, size_t more)
{
  size_t n = strlen (ui->status);
  char also[64] = "";

  if (warning[0] == '\0')
    return;
  if (more)
    snprintf (also, sizeof also, " (and %zu more warning%s)", more,
              more == 1 ? "" : "s");
  /* After a sentence, another; after a phrase, a clause. */
  snprintf (ui->status + n, sizeof ui->status - n, "%swarning: %s%s",
            n == 0 ? "" : ui->status[n - 1] == '.' ? " " : "; ", warning, also);
  ui->status_error = true;
}

/* Warnings in the event loop's thread (core_warning while a file loads). */
static void
on_notice (void *opaque, enum core_notice kind, const char *msg)
{
  struct tui_ui *ui = opaque;

  if (kind != CORE_NOTICE_WARNING)
    return;
  if (ui->warning[0] == '\0')
    snprintf (ui->warning, sizeof ui->warning, "%s", msg);
  else
    ui->more_warnings++;
}

/* After a step of the event loop: its warnings, on the status line. */
static void
show_warnings (struct tui_ui *ui)
{
  tui_status_warning (ui, ui->warning, ui->more_warnings);
  ui->warning[0] = '\0';
  ui->more_warnings = 0;
}

void
tui_draw_bar (const struct tui_ui *ui, int y, int x, int width, double fraction)
{
  int inner = width - 2, full;

  if (inner < 1)
    return;
  if (!(fraction >= 0))
    fraction = 0;
  full = (int) lround (fmin (fraction, 1) * inner);
  mvaddch (y, x, '[');
  attron (tui_look (ui, fraction > 0.9 ? TUI_LOOK_BAR_HOT : TUI_LOOK_BAR));
  for (int i = 0; i < full; i++)
    addch ('#');
  attroff (tui_look (ui, fraction > 0.9 ? TUI_LOOK_BAR_HOT : TUI_LOOK_BAR));
  for (int i = full; i < inner; i++)
    addch ('.');
  addch (']');
}

void
tui_keybar (const struct tui_ui *ui, const char *const *pairs)
{
  int x = 0, y = LINES - 1;

  move (y, 0);
  clrtoeol ();
  for (size_t i = 0; pairs[i] && pairs[i + 1]; i += 2) {
    int need = (int) (strlen (pairs[i]) + strlen (pairs[i + 1]) + 2);
    if (x + need > COLS)
      break;
    attron (tui_look (ui, TUI_LOOK_KEY));
    mvaddstr (y, x, pairs[i]);
    attroff (tui_look (ui, TUI_LOOK_KEY));
    mvaddstr (y, x + (int) strlen (pairs[i]), pairs[i + 1]);
    x += need - 1;
    if (x < COLS)
      mvaddch (y, x++, ' ');
  }
}

static void
draw_tabs (struct tui_ui *ui)
{
  int x;

  attron (tui_look (ui, TUI_LOOK_TITLE));
  tui_put (0, 0, COLS, " p2vkit wizard");
  attroff (tui_look (ui, TUI_LOOK_TITLE));
  x = 15;
  for (int s = 0; s < TUI_HELP; s++) {
    char label[32];
    int look = s == (int) ui->screen ? tui_look (ui, TUI_LOOK_TAB) | (int) A_REVERSE
      : tui_look (ui, TUI_LOOK_TITLE);
    snprintf (label, sizeof label, " %d %s ", s + 1, tui_screens[s].title);
    attron (look);
    tui_put (0, x, (int) strlen (label), label);
    attroff (look);
    x += strlen (label);
  }
  if (ui->m.dirty) {
    attron (tui_look (ui, TUI_LOOK_TITLE));
    tui_put (0, COLS - 2, 2, " *");
    attroff (tui_look (ui, TUI_LOOK_TITLE));
  }
}

static void
draw_status (struct tui_ui *ui)
{
  int y = LINES - 2;

  if (ui->job.running) {
    char stage[64];
    double f;
    pthread_mutex_lock (&ui->job.lock);
    snprintf (stage, sizeof stage, "%s", ui->job.stage);
    f = ui->job.fraction;
    pthread_mutex_unlock (&ui->job.lock);
    tui_putf (y, 0, COLS, "%s: %s %3.0f%% %.1f s",
              ui->job_kind == TUI_JOB_PLAN ? "Planning"
              : ui->job_kind == TUI_JOB_SIZE ? "Sizing" : "Exporting", stage,
              100 * f, core_monotonic () - ui->job.started);
    tui_draw_bar (ui, y, COLS - 32, 30, f);
    return;
  }
  if (ui->status_error)
    attron (tui_look (ui, TUI_LOOK_ERR));
  tui_put (y, 0, COLS, ui->status);
  if (ui->status_error)
    attroff (tui_look (ui, TUI_LOOK_ERR));
}

void
tui_redraw (struct tui_ui *ui)
{
  erase ();
  if (COLS < MIN_COLS || LINES < MIN_LINES) {
    char msg[128];
    snprintf (msg, sizeof msg, "Terminal too small: %dx%d; the wizard needs "
              "at least %dx%d.", COLS, LINES, MIN_COLS, MIN_LINES);
    mvaddnstr (LINES / 2, 0, msg, COLS);
    mvaddnstr (LINES / 2 + 1, 0, "Enlarge it, or press F10 to quit.", COLS);
    refresh ();
    return;
  }
  draw_tabs (ui);
  tui_screens[ui->screen].draw (ui, 1, LINES - 3);
  draw_status (ui);
  tui_keybar (ui, tui_screen_bar (ui));
  refresh ();
}

bool
tui_busy (struct tui_ui *ui)
{
  if (!ui->job.running)
    return false;
  tui_status (ui, true, "%s is running: wait for it to end",
              ui->job_kind == TUI_JOB_PLAN ? "The planner"
              : ui->job_kind == TUI_JOB_SIZE ? "The sizing" : "The export");
  return true;
}

/* Collect the worker's result once it has ended. */
static void
finish_job (struct tui_ui *ui)
{
  if (!tui_job_poll (&ui->job))
    return;
  if (ui->job_kind == TUI_JOB_PLAN) {
    if (ui->job.result == 0) {
      tui_model_set_plan (&ui->m, &ui->pj.plan);
      tui_status (ui, false, "Planned: %lld workloads, "
                  "%lld placed on %lld hosts (at least %lld needed), %lld stay "
                  "physical",
                  (long long) ui->m.plan.summary.workloads,
                  (long long) ui->m.plan.summary.placed,
                  (long long) tui_model_hosts_used (&ui->m),
                  (long long) ui->m.plan.summary.lower_bound,
                  (long long) ui->m.plan.summary.unplaced);
      tui_status_warning (ui, ui->job.warning, ui->job.more_warnings);
      ui->plan_cur = ui->plan_top = 0;
    }
    else
      tui_status (ui, true, "Planning failed: %s", ui->job.error);
    core_plan_clear (&ui->pj.plan);
  }
  else if (ui->job_kind == TUI_JOB_SIZE) {
    ssize_t i = -1;
    if (ui->job.result == 0
        && (i = tui_model_take_sizing (&ui->m, &ui->sj.plan)) >= 0) {
      const struct core_plan_sizing *sz = &ui->m.sized.sizing;
      ui->host_cur = i;
      tui_status (ui, false, "Sized: %g cores at %g MHz, %g GiB, %s binds; "
                  "added as model sized", sz->cores.spec, sz->core_mhz,
                  sz->memory_gib.spec, core_resource_names[sz->binding]);
    }
    else
      tui_status (ui, true, "Sizing failed: %s",
                  ui->job.result == 0 ? core_errmsg () : ui->job.error);
    core_plan_clear (&ui->sj.plan);
  }
  else if (ui->job_kind == TUI_JOB_EXPORT) {
    if (ui->job.result == 0) {
      ui->m.dirty = false;
      tui_status (ui, false, "Exported %zu files next to %s", ui->ex.done.len,
                  ui->ex.plan_file);
    }
    else
      tui_status (ui, true, "Export failed: %s", ui->job.error);
  }
  ui->job_kind = TUI_JOB_NONE;
}

void
tui_start_plan (struct tui_ui *ui)
{
  if (tui_busy (ui))
    return;
  if (ui->m.profiles.len == 0) {
    tui_status (ui, true, "No workloads to plan: add profiles on the Inventory "
                "screen (a)");
    return;
  }
  if (ui->m.hosts.models.len == 0) {
    tui_status (ui, true, "No host models: load a catalog or add one on the "
                "Hosts screen");
    return;
  }
  core_plan_init (&ui->pj.plan);
  tui_model_plan_config (&ui->m, &ui->pj.cfg);
  if (tui_job_start (&ui->job, tui_plan_work, &ui->pj) == -1) {
    tui_status (ui, true, "%s", core_errmsg ());
    return;
  }
  ui->job_kind = TUI_JOB_PLAN;
  ui->screen = TUI_PLAN;
}

void
tui_start_size (struct tui_ui *ui)
{
  if (tui_busy (ui))
    return;
  if (ui->m.profiles.len == 0) {
    tui_status (ui, true, "No workloads to size a host for: add profiles on "
                "the Inventory screen (a)");
    return;
  }
  core_plan_init (&ui->sj.plan);
  tui_size_config (&ui->m, &ui->sj);
  if (tui_job_start (&ui->job, tui_size_work, &ui->sj) == -1) {
    tui_status (ui, true, "%s", core_errmsg ());
    return;
  }
  ui->job_kind = TUI_JOB_SIZE;
}

void
tui_start_export (struct tui_ui *ui)
{
  if (tui_busy (ui))
    return;
  if (!ui->m.planned) {
    tui_status (ui, true, "Nothing to export yet: plan first (F5)");
    return;
  }
  if (ui->m.stale) {
    tui_status (ui, true, "The inputs changed since the plan was made: plan "
                "again (F5) before exporting");
    return;
  }
  ui->ex.model = &ui->m;
  if (tui_job_start (&ui->job, tui_export_work, &ui->ex) == -1) {
    tui_status (ui, true, "%s", core_errmsg ());
    return;
  }
  ui->job_kind = TUI_JOB_EXPORT;
}

static bool
too_small (void)
{
  return COLS < MIN_COLS || LINES < MIN_LINES;
}

int
tui_prompt (struct tui_ui *ui, const char *label, const char *initial,
            char *out, size_t len,
            int (*accept) (struct tui_ui *ui, const char *text, void *arg),
            void *arg)
{
  size_t n;

  snprintf (out, len, "%s", initial ? initial : "");
  n = strlen (out);
  ui->status_error = false;
  for (;;) {
    int y = LINES - 2, ch, lw;

    finish_job (ui);
    tui_redraw (ui);
    if (!too_small ()) {
      static const char *const bar[] = {
        "Enter", "Accept", "Up/Dn", "Accept, move", "Esc", "Cancel", "^U", "Clear",
        NULL
      };
      /* A refusal stays in view above the field being corrected. */
      if (ui->status_error) {
        attron (tui_look (ui, TUI_LOOK_ERR));
        tui_put (y - 1, 0, COLS, ui->status);
        attroff (tui_look (ui, TUI_LOOK_ERR));
      }
      tui_keybar (ui, bar);
      lw = (int) strlen (label);
      attron (A_BOLD);
      tui_put (y, 0, COLS, label);
      attroff (A_BOLD);
      /* The end of a long text stays in view. */
      tui_put (y, lw, COLS - lw, n + lw + 2 > (size_t) COLS
               ? out + (n - (size_t) (COLS - lw - 2)) : out);
      move (y, lw + (n + lw + 2 > (size_t) COLS ? COLS - lw - 2 : (int) n));
      curs_set (1);
      refresh ();
    }
    ch = getch ();
    curs_set (0);
    if (interrupted)
      return -1;
    switch (ch) {
    case ERR: case KEY_RESIZE: continue;
    case 27: tui_status (ui, false, "Cancelled"); return -1;
    case KEY_BACKSPACE: case 127: case 8:
      if (n)
        out[--n] = '\0';
      continue;
    case 21:                    /* ^U: clear */
      n = 0;
      out[0] = '\0';
      continue;
    case '\n': case '\r': case KEY_ENTER: case KEY_UP: case KEY_DOWN: case '\t':
      if (accept && accept (ui, out, arg) == -1) {
        tui_status (ui, true, "%s", core_errmsg ());
        continue;
      }
      return ch == '\r' || ch == KEY_ENTER || ch == '\t' ? '\n' : ch;
    default:
      if (ch >= ' ' && ch < 127 && n + 1 < len) {
        out[n++] = ch;
        out[n] = '\0';
      }
    }
  }
}

bool
tui_confirm (struct tui_ui *ui, const char *question)
{
  for (;;) {
    int ch;
    tui_redraw (ui);
    if (!too_small ()) {
      attron (tui_look (ui, TUI_LOOK_ERR));
      tui_put (LINES - 2, 0, COLS, question);
      attroff (tui_look (ui, TUI_LOOK_ERR));
      refresh ();
    }
    ch = getch ();
    if (interrupted)
      return false;
    if (ch == ERR || ch == KEY_RESIZE)
      continue;
    return ch == 'y' || ch == 'Y';
  }
}

static void
ask_quit (struct tui_ui *ui)
{
  if (ui->m.dirty
      && !tui_confirm (ui, "Changes not exported. Quit anyway? (y/N)")) {
    tui_status (ui, false, "Not quitting; export on the Export screen (6)");
    return;
  }
  ui->quit = true;
}

/* Keys every screen shares; the screen has had its look first. */
static void
global_key (struct tui_ui *ui, int ch)
{
  switch (ch) {
  case KEY_F(1): case '?':
    if (ui->screen != TUI_HELP) {
      ui->back = ui->screen;
      ui->screen = TUI_HELP;
      ui->help_top = 0;
    }
    break;
  case '\t':
    ui->screen = ui->screen >= TUI_EXPORT ? TUI_INVENTORY : ui->screen + 1;
    break;
  case KEY_BTAB:
    ui->screen = ui->screen == TUI_INVENTORY || ui->screen == TUI_HELP
      ? TUI_EXPORT : ui->screen - 1;
    break;
  case '1': case '2': case '3': case '4': case '5': case '6':
    ui->screen = ch - '1';
    break;
  case KEY_F(5): tui_start_plan (ui); break;
  case KEY_F(6): ui->screen = TUI_EXPORT; tui_start_export (ui); break;
  case KEY_F(10): case 'q': ask_quit (ui); break;
  case 12: clearok (curscr, TRUE); break;  /* ^L */
  default: break;
  }
}

static void
load_initial (struct tui_ui *ui, const struct tui_options *o)
{
  char msg[1024] = "";

  /* Problems are shown, not fatal: the user can fix them in the wizard. */
  for (size_t i = 0; i < o->npaths; i++)
    if (tui_model_add_path (&ui->m, o->paths[i]) == -1 && msg[0] == '\0')
      snprintf (msg, sizeof msg, "%s", core_errmsg ());
  if (o->hosts_file && tui_model_load_hosts (&ui->m, o->hosts_file) == -1
      && msg[0] == '\0')
    snprintf (msg, sizeof msg, "%s", core_errmsg ());
  if (o->policy_file && tui_model_load_policy (&ui->m, o->policy_file) == -1
      && msg[0] == '\0')
    snprintf (msg, sizeof msg, "%s", core_errmsg ());
  ui->m.dirty = false;          /* what was given is not a change */
  if (msg[0])
    tui_status (ui, true, "%s", msg);
  else
    tui_status (ui, false, "%zu workloads, %zu host models loaded. F1 for help; "
                "Tab for the next screen.", ui->m.profiles.len,
                ui->m.hosts.models.len);
  show_warnings (ui);
}

int
tui_main (const struct tui_options *o)
{
  static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
  static const int stop[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
  struct tui_ui *ui = calloc (1, sizeof *ui);
  struct sigaction sa = { 0 };
  const char *no_colour = getenv ("NO_COLOR");
  const struct core_notify *prev_notify;
  int status = 0;

  if (ui == NULL) {
    fprintf (stderr, "p2vkit: wizard: out of memory\n");
    return 1;
  }
  tui_model_init (&ui->m);
  ui->notify.notice = on_notice;
  ui->notify.opaque = ui;
  prev_notify = core_thread_notify ();
  core_set_notify (&ui->notify);
  ui->m.time_limit = o->time_limit;
  ui->m.seed = o->seed;
  tui_job_init (&ui->job);
  ui->ex.plan_file = core_strdup (o->output ? o->output : "plan.yaml");
  ui->ex.html = ui->ex.md = ui->ex.commands = ui->ex.policy = true;
  /* Found once, to show on the export screen; NULL leaves the error to
   * the export. */
  ui->ex.templates = rep_find_templates (rep_format_main (REP_HTML));
  load_initial (ui, o);

  sigemptyset (&sa.sa_mask);
  sa.sa_handler = on_interrupt;
  for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++)
    sigaction (stop[i], &sa, NULL);
  sa.sa_handler = on_crash;
  sa.sa_flags = SA_RESETHAND;
  for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++)
    sigaction (crash[i], &sa, NULL);
  atexit (restore_terminal);

  setlocale (LC_ALL, "");
  /* newterm, not initscr, which would exit on an unknown $TERM. */
  if (newterm (NULL, stdout, stdin) == NULL) {
    const char *term = getenv ("TERM");
    fprintf (stderr, "p2vkit: wizard: cannot use the terminal (TERM=%s)\n",
             term ? term : "");
    tui_export_clear (&ui->ex);
    tui_model_clear (&ui->m);
    core_set_notify (prev_notify);
    free (ui);
    return 1;
  }
  curses_on = 1;
  cbreak ();                    /* Ctrl-C still interrupts */
  noecho ();
  nonl ();
  keypad (stdscr, TRUE);
  set_escdelay (25);
  timeout (100);
  curs_set (0);
  ui->colour = has_colors () && !(no_colour && *no_colour);
  if (ui->colour) {
    start_color ();
    use_default_colors ();
    init_pair (1, COLOR_BLACK, COLOR_CYAN);
    init_pair (2, COLOR_BLACK, COLOR_YELLOW);
    init_pair (3, COLOR_RED, -1);
    init_pair (4, COLOR_GREEN, -1);
    init_pair (5, COLOR_RED, -1);
  }

  while (!ui->quit && !interrupted) {
    int ch;

    finish_job (ui);
    tui_redraw (ui);
    ch = getch ();
    if (ch == ERR || ch == KEY_RESIZE || interrupted)
      continue;
    if (too_small ()) {
      if (ch == KEY_F(10) || ch == 'q')
        ask_quit (ui);
      continue;
    }
    if (!tui_screens[ui->screen].key (ui, ch))
      global_key (ui, ch);
    show_warnings (ui);
  }

  restore_terminal ();
  /* The planner stops at its time limit; the export after its files. */
  tui_job_wait (&ui->job);
  if (ui->job_kind == TUI_JOB_PLAN)
    core_plan_clear (&ui->pj.plan);
  if (ui->job_kind == TUI_JOB_SIZE)
    core_plan_clear (&ui->sj.plan);
  if (interrupted) {
    fprintf (stderr, "p2vkit: wizard: interrupted%s\n",
             ui->m.dirty ? "; changes not exported are lost" : "");
    status = 128 + interrupted;
  }
  tui_export_clear (&ui->ex);
  tui_model_clear (&ui->m);
  free (ui->modes);
  core_set_notify (prev_notify);
  free (ui);
  return status;
}
