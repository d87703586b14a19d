/* The wizard's decisions and plan screens: the mode per workload, and
 * the hosts of the plan with their load.
 */
#include <curses.h>
#include <math.h>
#include <string.h>

#include "tui/tui.h"

/* ================================================================== */
/* 4. Decisions */

const char *const tui_dec_bar[] = {
  "F1", "Help", "p", "Paravirt", "f", "Full", "h", "Physical", "a", "Auto",
  "F5", "Plan", "F10", "Quit", NULL
};

static const char *const mode_short[] = { "paravirt", "full", "physical" };

/* The modes the rules allow each workload, made again when the inputs
 * change (never while the planner runs: both use libosinfo). */
static void
refresh_modes (struct tui_ui *ui)
{
  char why[3][512];

  if (ui->job.running)
    return;
  if (ui->modes && ui->nmodes == ui->m.profiles.len && ui->modes_gen == ui->m.gen)
    return;
  free (ui->modes);
  ui->nmodes = 0;
  ui->modes = malloc ((ui->m.profiles.len ? ui->m.profiles.len : 1) * sizeof *ui->modes);
  if (ui->modes == NULL)
    return;
  for (size_t i = 0; i < ui->m.profiles.len; i++)
    ui->modes[i] = tui_model_modes (&ui->m, i, why);
  ui->nmodes = ui->m.profiles.len;
  ui->modes_gen = ui->m.gen;
}

static void
wrap (int *y, int ymax, int indent, const char *text)
{
  int w = COLS - indent;
  size_t len = strlen (text);

  while (len && *y < ymax) {
    size_t take = len;
    if (take > (size_t) w) {
      take = w;
      while (take > 0 && text[take] != ' ')
        take--;
      if (take == 0)
        take = w;
    }
    tui_putf ((*y)++, 0, COLS, "%*s%.*s", indent, "", (int) take, text);
    text += take;
    len -= take;
    while (*text == ' ') {
      text++;
      len--;
    }
  }
}

void
tui_draw_decisions (struct tui_ui *ui, int top, int rows)
{
  size_t n = ui->m.profiles.len;
  int list = rows - 8, y = top;

  refresh_modes (ui);
  tui_putf (y++, 0, COLS, "%s", !ui->m.planned ? "Before planning: the modes the rules allow. "
            "F5 plans." : ui->m.stale ? "The plan is out of date (inputs changed): F5 plans again."
            : "The planner's decisions. p/f/h force a mode, a gives the choice back.");
  attron (tui_look (ui, TUI_LOOK_HEAD));
  tui_putf (y++, 0, COLS, "%-14s %-9s %-9s %-26s %s", "Workload", "Mode", "Forced",
            "Allowed", "Host");
  attroff (tui_look (ui, TUI_LOOK_HEAD));
  if (ui->dec_cur >= n)
    ui->dec_cur = n ? n - 1 : 0;
  tui_scroll_to (ui->dec_cur, &ui->dec_top, list);
  for (size_t i = ui->dec_top; i < n && y < top + 2 + list; i++, y++) {
    const struct core_plan_workload *w = tui_model_decision (&ui->m, i);
    char allowed[64] = "?";
    if (ui->modes && i < ui->nmodes && ui->modes_gen == ui->m.gen) {
      allowed[0] = '\0';
      for (int k = 0; k < 3; k++)
        if (ui->modes[i] & (1u << k))
          snprintf (allowed + strlen (allowed), sizeof allowed - strlen (allowed),
                    "%s%s", allowed[0] ? " " : "", mode_short[k]);
    }
    if (i == ui->dec_cur)
      attron (tui_look (ui, TUI_LOOK_SEL));
    tui_putf (y, 0, COLS, "%-14.14s %-9s %-9s %-26s %s", ui->m.profiles.ptr[i]->name,
              w ? core_mode_names[w->mode] : "-",
              ui->m.force[i] >= 0 ? core_mode_names[ui->m.force[i]] : "auto",
              allowed, w && w->host ? w->host : "");
    if (i == ui->dec_cur)
      attroff (tui_look (ui, TUI_LOOK_SEL));
  }
  y = top + 2 + list;
  if (n == 0)
    return;
  attron (tui_look (ui, TUI_LOOK_HEAD));
  tui_putf (y++, 0, COLS, "Why, for %s:", ui->m.profiles.ptr[ui->dec_cur]->name);
  attroff (tui_look (ui, TUI_LOOK_HEAD));
  {
    const struct core_plan_workload *w = tui_model_decision (&ui->m, ui->dec_cur);
    if (w && !ui->m.stale)
      for (size_t k = 0; k < w->reasons.len; k++)
        wrap (&y, top + rows, 2, w->reasons.ptr[k]);
    else if (!ui->job.running) {
      char why[3][512];
      unsigned mask = tui_model_modes (&ui->m, ui->dec_cur, why);
      for (int k = 0; k < 2; k++) {
        char line[600];
        snprintf (line, sizeof line, "%s %s: %s", mode_short[k],
                  (mask & (1u << k)) ? "allowed" : "not allowed", why[k]);
        wrap (&y, top + rows, 2, line);
      }
    }
  }
}

bool
tui_key_decisions (struct tui_ui *ui, int ch)
{
  int mode;

  if (tui_move_cursor (&ui->dec_cur, ui->m.profiles.len, ch, LINES - 12))
    return true;
  switch (ch) {
  case 'p': mode = CORE_MODE_PARAVIRT; break;
  case 'f': mode = CORE_MODE_FULL; break;
  case 'h': mode = CORE_MODE_PHYSICAL; break;
  case 'a': mode = -1; break;
  default: return false;
  }
  if (ui->m.profiles.len == 0 || tui_busy (ui))
    return true;
  if (tui_model_force (&ui->m, ui->dec_cur, mode) == -1)
    tui_status (ui, true, "Refused: %s", core_errmsg ());
  else
    tui_status (ui, false, "%s: %s%s", ui->m.profiles.ptr[ui->dec_cur]->name,
                mode < 0 ? "the planner chooses its mode" : "forced to ",
                mode < 0 ? "" : core_mode_names[mode]);
  return true;
}

/* ================================================================== */
/* 5. Plan */

const char *const tui_plan_bar[] = {
  "F1", "Help", "F5", "Plan", "m", "Move", "/", "Find", "F6", "Export",
  "F10", "Quit", NULL
};

/* The plan as rows: a host's bar lines, its workloads, then the
 * workloads left physical. */
enum row_kind { ROW_HOST, ROW_BARS, ROW_WORKLOAD, ROW_UNPLACED_HEAD, ROW_UNPLACED };
struct prow {
  enum row_kind kind;
  size_t host, item, first_bar;
};

/* Utilization bars (CPU, memory, disk, IOPS, network) on one line after
 * the host's name: 3 on 80 columns, all 5 from 117. */
static int
bars_per_line (void)
{
  int n = (COLS - 22) / 19;

  return n > 5 ? 5 : n < 1 ? 1 : n;
}

static size_t
plan_rows (const struct tui_ui *ui, struct prow *out, size_t max)
{
  const struct core_plan *p = &ui->m.plan;
  int per_line = bars_per_line ();
  size_t n = 0;

  for (size_t h = 0; h < p->hosts.len; h++) {
    for (int b = 0; b < 5; b += per_line)
      if (n < max)
        out[n++] = (struct prow) { b ? ROW_BARS : ROW_HOST, h, 0, b };
    for (size_t q = 0; q < p->hosts.ptr[h].workloads.len; q++)
      if (n < max)
        out[n++] = (struct prow) { ROW_WORKLOAD, h, q, 0 };
  }
  if (p->unplaced.len && n < max)
    out[n++] = (struct prow) { ROW_UNPLACED_HEAD, 0, 0, 0 };
  for (size_t u = 0; u < p->unplaced.len; u++)
    if (n < max)
      out[n++] = (struct prow) { ROW_UNPLACED, 0, u, 0 };
  return n;
}

static void
draw_host_bars (struct tui_ui *ui, int y, const struct core_plan_host *h, int first)
{
  const double pct[5] = { h->peak.cpu_pct, h->peak.memory_pct, h->peak.disk_pct,
                          h->peak.iops_pct, h->peak.net_pct };
  static const char *const label[5] = { "CPU", "MEM", "DSK", "IOP", "NET" };
  int per_line = bars_per_line (), x = 22;
  int cell = (COLS - 22) / per_line;

  for (int r = first; r < first + per_line && r < 5; r++, x += cell) {
    mvaddstr (y, x, label[r]);
    tui_draw_bar (ui, y, x + 4, cell - 11, pct[r] / 100);
    mvprintw (y, x + cell - 7, "%5.1f%%", pct[r]);
  }
}

void
tui_draw_plan (struct tui_ui *ui, int top, int rows)
{
  const struct core_plan *p = &ui->m.plan;
  struct prow *pr;
  size_t n, spares = 0;
  int y = top;

  if (!ui->m.planned) {
    tui_put (y++, 0, COLS, ui->job.running ? "The planner is running; the plan "
             "appears here when it ends." : "No plan yet. Press F5 to run the planner.");
    if (ui->job.running) {
      double f;
      pthread_mutex_lock (&ui->job.lock);
      f = ui->job.fraction;
      pthread_mutex_unlock (&ui->job.lock);
      tui_draw_bar (ui, y + 1, 0, COLS, f);
    }
    return;
  }
  for (size_t h = 0; h < p->hosts.len; h++)
    spares += p->hosts.ptr[h].spare;
  {
    char moved[64] = "";
    if (ui->m.moves)
      snprintf (moved, sizeof moved, "; %zu moved by hand", ui->m.moves);
    tui_putf (y++, 0, COLS, "%lld workloads: %lld on %zu hosts + %zu spare, %lld stay "
              "physical%s", (long long) p->summary.workloads,
              (long long) p->summary.placed, p->hosts.len - spares, spares,
              (long long) p->summary.unplaced, moved);
  }
  if (p->summary.lower_bound != CORE_UNSET)
    tui_putf (y++, 0, COLS, "Lower bound %lld hosts (spares included): %lld above "
              "it%s", (long long) p->summary.lower_bound,
              (long long) p->hosts.len - (long long) p->summary.lower_bound,
              ui->m.stale ? ". OUT OF DATE: the inputs changed, F5 plans again" : "");
  else
    tui_put (y++, 0, COLS, ui->m.stale ? "OUT OF DATE: the inputs changed, F5 plans again" : "");
  rows -= 2;
  n = p->hosts.len * 3 + p->workloads.len + p->unplaced.len + 2;
  pr = malloc (n * sizeof *pr);
  if (pr == NULL)
    return;
  n = plan_rows (ui, pr, n);
  if (ui->plan_cur >= n)
    ui->plan_cur = n ? n - 1 : 0;
  tui_scroll_to (ui->plan_cur, &ui->plan_top, rows);
  for (size_t k = ui->plan_top; k < n && y < top + 2 + rows; k++, y++) {
    const struct core_plan_host *h = &p->hosts.ptr[pr[k].host];
    bool sel = k == ui->plan_cur;
    if (sel)
      attron (tui_look (ui, TUI_LOOK_SEL));
    switch (pr[k].kind) {
    case ROW_HOST:
      attron (A_BOLD);
      tui_putf (y, 0, 22, "%-16.16s %-4s", h->name, h->spare ? "spare"
                : h->hypervisor == CORE_HV_KVM ? "kvm" : "xen");
      attroff (A_BOLD);
      if (sel)
        attroff (tui_look (ui, TUI_LOOK_SEL));
      move (y, 22);
      clrtoeol ();
      draw_host_bars (ui, y, h, 0);
      break;
    case ROW_BARS:
      tui_put (y, 0, 22, "");
      if (sel)
        attroff (tui_look (ui, TUI_LOOK_SEL));
      move (y, 22);
      clrtoeol ();
      draw_host_bars (ui, y, h, pr[k].first_bar);
      break;
    case ROW_WORKLOAD: {
      const struct core_plan_workload *w = plan_find_workload (p, h->workloads.ptr[pr[k].item]);
      tui_putf (y, 0, COLS, "    %-14s %-9s %8.0f MHz %8.0f MiB  %lld vCPU", w ? w->name : "?",
                w ? core_mode_names[w->mode] : "", w ? w->demand.cpu_mhz : 0,
                w ? w->demand.memory_mib : 0, w ? (long long) w->vcpus : 0);
      break;
    }
    case ROW_UNPLACED_HEAD:
      tui_putf (y, 0, COLS, "Stay physical (%zu):", p->unplaced.len);
      break;
    case ROW_UNPLACED:
      tui_putf (y, 0, COLS, "    %-14s %s", p->unplaced.ptr[pr[k].item].name,
                p->unplaced.ptr[pr[k].item].reason);
      break;
    }
    if (sel && pr[k].kind != ROW_HOST && pr[k].kind != ROW_BARS)
      attroff (tui_look (ui, TUI_LOOK_SEL));
  }
  free (pr);
}

struct move_arg {
  const char *workload;
};

static int
accept_move (struct tui_ui *ui, const char *text, void *arg)
{
  struct move_arg *ma = arg;
  CLEANUP_FREE char *why = NULL;
  int r;

  if (*text == '\0')
    return 0;
  r = tui_model_move (&ui->m, ma->workload, text, &why);
  if (r == -1)
    return -1;
  if (r == 1) {
    /* The first reason names what breaks; the rest are alike. */
    char *nl = why ? strchr (why, '\n') : NULL;
    if (nl)
      *nl = '\0';
    tui_status (ui, true, "Move refused: %s", why ? why : "");
    return 0;
  }
  tui_status (ui, false, "Moved %s to %s: every constraint holds", ma->workload, text);
  return 0;
}

bool
tui_key_plan (struct tui_ui *ui, int ch)
{
  const struct core_plan *p = &ui->m.plan;
  size_t n = p->hosts.len * 3 + p->workloads.len + p->unplaced.len + 2;
  struct prow *pr;
  bool used = true;

  if (!ui->m.planned)
    return false;
  pr = malloc (n * sizeof *pr);
  if (pr == NULL)
    return false;
  n = plan_rows (ui, pr, n);
  if (tui_move_cursor (&ui->plan_cur, n, ch, LINES - 8))
    ;
  else if (ch == 'm' || ch == 'M') {
    if (tui_busy (ui))
      ;
    else if (ui->plan_cur < n && pr[ui->plan_cur].kind == ROW_WORKLOAD) {
      char name[256], label[300], host[256];
      struct move_arg ma = { name };
      snprintf (name, sizeof name, "%s",
                p->hosts.ptr[pr[ui->plan_cur].host].workloads.ptr[pr[ui->plan_cur].item]);
      snprintf (label, sizeof label, "Move %s to host: ", name);
      tui_prompt (ui, label, "", host, sizeof host, accept_move, &ma);
    }
    else
      tui_status (ui, true, "Select a workload under a host to move it (Up/Down)");
  }
  else if (ch == '/') {
    char name[256];
    if (tui_prompt (ui, "Find workload: ", "", name, sizeof name, NULL, NULL) != -1) {
      size_t k;
      for (k = 0; k < n; k++)
        if ((pr[k].kind == ROW_WORKLOAD
             && strcmp (p->hosts.ptr[pr[k].host].workloads.ptr[pr[k].item], name) == 0)
            || (pr[k].kind == ROW_UNPLACED
                && strcmp (p->unplaced.ptr[pr[k].item].name, name) == 0))
          break;
      if (k < n)
        ui->plan_cur = k;
      else
        tui_status (ui, true, "No workload named '%s' in the plan", name);
    }
  }
  else
    used = false;
  free (pr);
  return used;
}
