/* The wizard's export screen: where the plan, its report and the
 * commands go.
 */
#include <curses.h>
#include <math.h>
#include <string.h>

#include "tui/tui.h"

/* ================================================================== */
/* 6. Export */

const char *const tui_export_bar[] = {
  "F1", "Help", "Enter", "Change", "F6", "Export", "F5", "Plan", "F10", "Quit", NULL
};

enum { EX_FILE, EX_HTML, EX_MD, EX_PDF, EX_CMDS, EX_INPUTS, EX_GO, EX_N };

void
tui_draw_export (struct tui_ui *ui, int top, int rows)
{
  struct tui_export *ex = &ui->ex;
  CLEANUP_FREE char *base = tui_export_name (ex->plan_file, "");
  const char *lines[EX_N];
  char l[EX_N][512];
  int y = top;

  snprintf (l[EX_FILE], sizeof l[0], "Plan file:  %s", ex->plan_file);
  snprintf (l[EX_HTML], sizeof l[0], "[%c] HTML report       %s.html", ex->html ? 'x' : ' ', base);
  snprintf (l[EX_MD], sizeof l[0], "[%c] Markdown report   %s.md", ex->md ? 'x' : ' ', base);
  snprintf (l[EX_PDF], sizeof l[0], "[%c] PDF report        %s.pdf (Chromium; slower)",
            ex->pdf ? 'x' : ' ', base);
  snprintf (l[EX_CMDS], sizeof l[0], "[%c] Commands          %s-commands.sh (convert, deploy)",
            ex->commands ? 'x' : ' ', base);
  snprintf (l[EX_INPUTS], sizeof l[0], "[%c] Policy and hosts  %s-policy.yaml, %s-hosts.yaml",
            ex->policy ? 'x' : ' ', base, base);
  snprintf (l[EX_GO], sizeof l[0], "    Export now (F6)");
  for (int k = 0; k < EX_N; k++)
    lines[k] = l[k];

  tui_put (y++, 0, COLS, !ui->m.planned ? "Nothing to export yet: plan first (F5)."
           : ui->m.stale ? "The plan is out of date: plan again (F5) before exporting."
           : ui->m.dirty ? "The plan is ready to export." : "Exported; nothing changed since.");
  y++;
  for (int k = 0; k < EX_N && y < top + rows; k++, y++) {
    if ((size_t) k == ui->exp_cur)
      attron (tui_look (ui, TUI_LOOK_SEL));
    tui_put (y, 0, COLS, lines[k]);
    if ((size_t) k == ui->exp_cur)
      attroff (tui_look (ui, TUI_LOOK_SEL));
  }
  y++;
  tui_putf (y++, 0, COLS, "Report templates: %s",
            ex->templates ? ex->templates : "(none found: reports will fail)");
  if (ui->job_kind != TUI_JOB_EXPORT)
    for (size_t k = 0; k < ex->done.len && y < top + rows; k++)
      tui_putf (y++, 0, COLS, "  written: %s", ex->done.ptr[k]);
}

static int
accept_file (struct tui_ui *ui, const char *text, void *arg)
{
  char *s;

  (void) arg;
  if (*text == '\0') {
    core_error ("give the plan file's name");
    return -1;
  }
  if ((s = core_strdup (text)) == NULL)
    return -1;
  free (ui->ex.plan_file);
  ui->ex.plan_file = s;
  return 0;
}

bool
tui_key_export (struct tui_ui *ui, int ch)
{
  char buf[4096];

  if (tui_move_cursor (&ui->exp_cur, EX_N, ch, 5))
    return true;
  if (ch == 'e') {
    tui_start_export (ui);
    return true;
  }
  if (!TUI_IS_ENTER (ch) && ch != ' ')
    return false;
  if (tui_busy (ui))
    return true;
  switch (ui->exp_cur) {
  case EX_FILE:
    tui_prompt (ui, "Plan file: ", ui->ex.plan_file, buf, sizeof buf, accept_file, NULL);
    break;
  case EX_HTML: ui->ex.html = !ui->ex.html; break;
  case EX_MD: ui->ex.md = !ui->ex.md; break;
  case EX_PDF: ui->ex.pdf = !ui->ex.pdf; break;
  case EX_CMDS: ui->ex.commands = !ui->ex.commands; break;
  case EX_INPUTS: ui->ex.policy = !ui->ex.policy; break;
  case EX_GO: tui_start_export (ui); break;
  }
  return true;
}
