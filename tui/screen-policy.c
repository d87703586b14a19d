/* The wizard's policy screen: the policy's keys, edited in place.
 */
#include <curses.h>
#include <math.h>
#include <string.h>

#include "tui/tui.h"

/* ================================================================== */
/* 3. Policy */

const char *const tui_policy_bar[] = {
  "F1", "Help", "Enter", "Edit", "Space", "Toggle", "l", "Load", "F5", "Plan",
  "F10", "Quit", NULL
};

void
tui_draw_policy (struct tui_ui *ui, int top, int rows)
{
  int y = top;

  tui_put (y++, 0, COLS, "The rules the planner follows. Enter edits a value; "
           "each is checked as you leave it.");
  attron (tui_look (ui, TUI_LOOK_HEAD));
  tui_putf (y++, 0, COLS, "%-22s %-10s %s", "Setting", "Value", "Allowed");
  attroff (tui_look (ui, TUI_LOOK_HEAD));
  for (int k = 0; k < TUI_NPF && y < top + rows; k++, y++) {
    char v[64], range[128];
    tui_model_policy_get (&ui->m, k, v, sizeof v);
    tui_policy_field_range (k, range, sizeof range);
    if ((size_t) k == ui->pol_cur)
      attron (tui_look (ui, TUI_LOOK_SEL));
    tui_putf (y, 0, COLS, "%-24s %-10s %s", tui_policy_fields[k].name, v,
              range);
    if ((size_t) k == ui->pol_cur)
      attroff (tui_look (ui, TUI_LOOK_SEL));
  }
  if (y + 1 < top + rows)
    tui_put (y + 1, 0, COLS, "Overheads: what each guest costs its host, per mode "
             "(full virtualization, paravirtualization).");
}

static int
accept_policy (struct tui_ui *ui, const char *text, void *arg)
{
  (void) arg;
  return tui_model_policy_set (&ui->m, ui->pol_cur, text);
}

static int
accept_load_policy (struct tui_ui *ui, const char *text, void *arg)
{
  (void) arg;
  if (*text == '\0')
    return 0;
  if (tui_model_load_policy (&ui->m, text) == -1)
    return -1;
  tui_status (ui, false, "Loaded the policy from %s", text);
  return 0;
}

bool
tui_key_policy (struct tui_ui *ui, int ch)
{
  char buf[4096];

  if (tui_move_cursor (&ui->pol_cur, TUI_NPF, ch, 5))
    return true;
  if (ch == 'l') {
    if (!tui_busy (ui))
      tui_prompt (ui, "Load policy: ", "", buf, sizeof buf, accept_load_policy, NULL);
    return true;
  }
  if (!TUI_IS_ENTER (ch) && ch != ' ' && ch != 'e')
    return false;
  if (tui_busy (ui))
    return true;
  if (tui_policy_field_is_bool (ui->pol_cur)) {
    char v[16];
    tui_model_policy_get (&ui->m, ui->pol_cur, v, sizeof v);
    tui_model_policy_set (&ui->m, ui->pol_cur, strcmp (v, "true") == 0 ? "false" : "true");
    return true;
  }
  if (ch == ' ')
    return true;
  for (;;) {
    char label[256], range[128], v[64];
    int r;
    tui_model_policy_get (&ui->m, ui->pol_cur, v, sizeof v);
    tui_policy_field_range (ui->pol_cur, range, sizeof range);
    snprintf (label, sizeof label, "%s (%s): ", tui_policy_fields[ui->pol_cur].name,
              range);
    r = tui_prompt (ui, label, v, buf, 64, accept_policy, NULL);
    if (r != -1)
      tui_status (ui, false, "%s is %s", tui_policy_fields[ui->pol_cur].name, buf);
    if (r == KEY_UP && ui->pol_cur > 0)
      ui->pol_cur--;
    else if (r == KEY_DOWN && ui->pol_cur + 1 < TUI_NPF)
      ui->pol_cur++;
    else
      break;
    if (tui_policy_field_is_bool (ui->pol_cur))
      break;
  }
  return true;
}
