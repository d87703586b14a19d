/* The wizard's screens: each a drawing function over the rows between the
 * tab line and the status line, and a key handler that returns false for
 * keys it leaves to the event loop (screen switching, F5, quit).
 */
#include <curses.h>
#include <math.h>
#include <string.h>

#include "tui/tui.h"

/* Move a cursor CUR over N rows for KEY; true when KEY was a movement. */
bool
tui_move_cursor (size_t *cur, size_t n, int key, int page)
{
  switch (key) {
  case KEY_UP: case 'k': if (*cur > 0) (*cur)--; return true;
  case KEY_DOWN: case 'j': if (*cur + 1 < n) (*cur)++; return true;
  case KEY_PPAGE: *cur = *cur > (size_t) page ? *cur - page : 0; return true;
  case KEY_NPAGE: *cur = n ? (*cur + page < n ? *cur + page : n - 1) : 0; return true;
  case KEY_HOME: case 'g': *cur = 0; return true;
  case KEY_END: case 'G': *cur = n ? n - 1 : 0; return true;
  default: return false;
  }
}

/* Keep CUR within the ROWS shown from *TOP. */
void
tui_scroll_to (size_t cur, size_t *top, int rows)
{
  if (rows <= 0)
    return;
  if (cur < *top)
    *top = cur;
  if (cur >= *top + rows)
    *top = cur - rows + 1;
}

/* ================================================================== */
/* Help */

static const char *const help_bar[] = {
  "Esc", "Back", "Up/Dn", "Scroll", "F10", "Quit", NULL
};

static const char *const help_text[] = {
  "p2vkit wizard: plan a consolidation step by step.",
  "",
  "Screens (Tab / Shift-Tab, or their number):",
  "  1 Inventory  the servers' profiles. a adds files, CSV files or folders;",
  "               d drops one; Enter opens one (its profile and CPU over the",
  "               day); s / S choose the sort column, r reverses; / filters",
  "               on name, OS or role, Esc clears the filter.",
  "  2 Hosts      the host models to buy. Enter edits a model's capacity,",
  "               cost and count; a adds a model; d drops one; l loads a",
  "               catalog (p2vkit/hosts/v1); s sizes a host to buy for",
  "               the workloads (as p2vkit plan --size) and adds it to",
  "               the catalog as model sized.",
  "  3 Policy     percentile, headroom, overcommit, HA spares, overheads per",
  "               mode, Windows drivers, passthrough. Enter edits, Space",
  "               toggles; values are checked as you leave them; l loads.",
  "  4 Decisions  per workload the mode the rules allow and the planner",
  "               chose, with reasons. p / f / h force paravirt, full or",
  "               physical (refused when the rules do not allow it); a",
  "               gives the choice back to the planner.",
  "  5 Plan       hosts with their peak utilization per resource, their",
  "               workloads, those that stay physical, and the lower bound.",
  "               m moves the selected workload to another host; the move",
  "               is checked against every constraint. / finds a workload.",
  "  6 Export     writes the plan, the policy and hosts it was made with,",
  "               the report (HTML, Markdown, PDF through p2vkit report)",
  "               and a script of the convert and deploy commands.",
  "",
  "Everywhere:",
  "  F1 or ?      this help          F5   run the planner",
  "  Tab          next screen        F6   export",
  "  Shift-Tab    previous screen    F10 or q   quit (asks when changes",
  "  1 to 6       a screen                      are not exported)",
  "  Ctrl-L       redraw             Ctrl-C     quit at once",
  "",
  "In a prompt: Enter accepts, Esc cancels, Ctrl-U clears; in forms Up and",
  "Down accept and move to the previous or next field.",
  "",
  "A * at the right of the top line: changes not exported yet.",
  NULL
};

static void
draw_help (struct tui_ui *ui, int top, int rows)
{
  size_t n = 0;

  while (help_text[n])
    n++;
  if (ui->help_top + rows > n)
    ui->help_top = n > (size_t) rows ? n - rows : 0;
  for (int y = 0; y < rows && ui->help_top + y < n; y++)
    tui_put (top + y, 0, COLS, help_text[ui->help_top + y]);
}

static bool
key_help (struct tui_ui *ui, int ch)
{
  switch (ch) {
  case TUI_ESC: case 'q': case KEY_F(1): case '?': case '\r': case '\n': case KEY_ENTER:
    ui->screen = ui->back;
    return true;
  case KEY_UP: if (ui->help_top) ui->help_top--; return true;
  case KEY_DOWN: ui->help_top++; return true;
  default: return false;
  }
}

const struct tui_screen_def tui_screens[TUI_NSCREENS] = {
  [TUI_INVENTORY] = { "Inventory", tui_draw_inventory, tui_key_inventory, tui_inv_bar },
  [TUI_HOSTS] = { "Hosts", tui_draw_hosts, tui_key_hosts, tui_hosts_bar },
  [TUI_POLICY] = { "Policy", tui_draw_policy, tui_key_policy, tui_policy_bar },
  [TUI_DECISIONS] = { "Decisions", tui_draw_decisions, tui_key_decisions, tui_dec_bar },
  [TUI_PLAN] = { "Plan", tui_draw_plan, tui_key_plan, tui_plan_bar },
  [TUI_EXPORT] = { "Export", tui_draw_export, tui_key_export, tui_export_bar },
  [TUI_HELP] = { "Help", draw_help, key_help, help_bar },
};

const char *const *
tui_screen_bar (const struct tui_ui *ui)
{
  if (ui->screen == TUI_INVENTORY && ui->inv_open)
    return tui_open_bar;
  if (ui->screen == TUI_HOSTS && ui->host_form)
    return tui_form_bar;
  return tui_screens[ui->screen].bar;
}
