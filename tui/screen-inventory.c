/* The wizard's inventory screen: the profiles, one per row, sorted and
 * filtered, and one opened whole.
 */
#include <curses.h>
#include <math.h>
#include <string.h>

#include "tui/tui.h"

/* ================================================================== */
/* 1. Inventory */

const char *const tui_inv_bar[] = {
  "F1", "Help", "a", "Add", "d", "Drop", "Enter", "Open", "s", "Sort",
  "r", "Reverse", "/", "Filter", "F5", "Plan", "F10", "Quit", NULL
};
const char *const tui_open_bar[] = {
  "F1", "Help", "Up/Dn", "Scroll", "Esc", "Back", "F10", "Quit", NULL
};

static int
inv_os_width (void)
{
  return COLS - 60 > 10 ? COLS - 60 : 10;
}

static void
draw_profile (struct tui_ui *ui, size_t i, int top, int rows)
{
  const struct core_profile *p = ui->m.profiles.ptr[i];
  struct tui_row r = tui_model_row (&ui->m, i);
  CLEANUP_FREE char *text = NULL;
  size_t len = 0, nb = COLS - 8 > 96 ? 96 : COLS - 8;
  double b[96];
  int y = top, chart_rows = 6;
  FILE *fp;

  attron (A_BOLD);
  tui_putf (y++, 0, COLS, "%s  %s  (%s)", p->name, r.os, p->source ? p->source : "");
  attroff (A_BOLD);
  tui_putf (y++, 0, COLS, "%lld cores at %.0f MHz, %.1f GiB memory, %.0f GiB disk%s%s",
            (long long) p->hardware.cpu.cores, p->hardware.cpu.mhz, r.memory_gib,
            r.disk_gib, p->role ? ", role " : "", p->role ? p->role : "");
  if (tui_model_cpu_day (&ui->m, i, b, nb)) {
    double top_pct = 10;
    /* The scale goes to the day's peak (in tens), so that a quiet server
     * still shows its shape. */
    for (size_t k = 0; k < nb; k++)
      top_pct = fmax (top_pct, ceil (b[k] / 10) * 10);
    top_pct = fmin (top_pct, 100);
    tui_put (y++, 0, COLS, "CPU over the day (% of the server, largest in each interval):");
    for (int row = 0; row < chart_rows; row++, y++) {
      double level = top_pct * (chart_rows - row) / chart_rows;
      tui_putf (y, 0, 6, "%4.0f%%", level);
      move (y, 6);
      addch ('|');
      attron (tui_look (ui, TUI_LOOK_BAR));
      for (size_t k = 0; k < nb; k++)
        addch (b[k] >= level - top_pct / chart_rows / 2 ? '#' : ' ');
      attroff (tui_look (ui, TUI_LOOK_BAR));
    }
    tui_put (y, 0, 7, "      +");
    for (size_t k = 0; k < nb; k++)
      addch ('-');
    y++;
    move (y, 0);
    clrtoeol ();
    for (int h = 0; h <= 24; h += 6) {
      size_t x = 7 + (size_t) h * nb / 24;
      if (x + 5 > (size_t) COLS)
        x = COLS - 5;
      mvprintw (y, (int) x - (h ? 2 : 0), "%02d:00", h);
    }
    y++;
  }
  else
    tui_put (y++, 0, COLS, "No CPU series in this profile (from a CSV row?).");

  /* The whole profile as its file says it, written by the same writer. */
  fp = open_memstream (&text, &len);
  if (fp == NULL || core_profile_write (fp, p) == -1) {
    if (fp)
      fclose (fp);
    tui_put (y, 0, COLS, core_errmsg ());
    return;
  }
  fclose (fp);
  {
    size_t line = 0;
    char *s = text;
    attron (tui_look (ui, TUI_LOOK_HEAD));
    tui_put (y++, 0, COLS, "Profile:");
    attroff (tui_look (ui, TUI_LOOK_HEAD));
    while (s && *s && y < top + rows) {
      char *nl = strchr (s, '\n');
      if (nl)
        *nl = '\0';
      if (line++ >= ui->open_top)
        tui_put (y++, 0, COLS, s);
      s = nl ? nl + 1 : NULL;
    }
  }
}

void
tui_draw_inventory (struct tui_ui *ui, int top, int rows)
{
  size_t n, *idx = tui_model_view (&ui->m, ui->inv_sort, ui->inv_desc, ui->filter, &n);
  static const char *const heads[TUI_NCOLS] = {
    "Name", "OS", "Cores", "Mem GiB", "Disk GiB", "CPU95%", "Mem95%", "IOPS95"
  };
  static const int widths[TUI_NCOLS] = { 12, 0, 5, 7, 8, 6, 6, 7 };
  int x = 0, y = top;

  if (idx == NULL)
    return;
  if (ui->inv_cur >= n)
    ui->inv_cur = n ? n - 1 : 0;
  if (ui->inv_open && n) {
    draw_profile (ui, idx[ui->inv_cur], top, rows);
    free (idx);
    return;
  }
  ui->inv_open = false;
  {
    char shown[192] = "";
    if (ui->filter[0])
      snprintf (shown, sizeof shown, "; filter '%s' shows %zu", ui->filter, n);
    tui_putf (y++, 0, COLS, "%zu workloads%s, sorted by %s (%s)", ui->m.profiles.len,
              shown, tui_col_names[ui->inv_sort],
              ui->inv_desc ? "descending" : "ascending");
  }
  attron (tui_look (ui, TUI_LOOK_HEAD));
  for (int c = 0; c < TUI_NCOLS; c++) {
    int w = c == TUI_COL_OS ? inv_os_width () : widths[c];
    char h[64];
    snprintf (h, sizeof h, "%s%s", heads[c], c == (int) ui->inv_sort
              ? (ui->inv_desc ? "v" : "^") : "");
    if (c >= TUI_COL_CORES)
      tui_putf (y, x, w + 1, "%*s", w, h);
    else
      tui_put (y, x, w + 1, h);
    x += w + 1;
  }
  attroff (tui_look (ui, TUI_LOOK_HEAD));
  y++;
  rows -= 2;
  tui_scroll_to (ui->inv_cur, &ui->inv_top, rows);
  if (n == 0)
    tui_put (y, 0, COLS, ui->m.profiles.len ? "No workload matches the filter (Esc clears it)."
             : "No workloads yet: press a to add profile files, CSV files or folders.");
  for (size_t k = ui->inv_top; k < n && y < top + 2 + rows; k++, y++) {
    struct tui_row r = tui_model_row (&ui->m, idx[k]);
    char cpu[16], mem[16], iops[16];
    core_format_cell (cpu, sizeof cpu, r.cpu95_pct, 1);
    core_format_cell (mem, sizeof mem, r.mem95_pct, 1);
    core_format_cell (iops, sizeof iops, r.iops95, 0);
    if (k == ui->inv_cur)
      attron (tui_look (ui, TUI_LOOK_SEL));
    tui_putf (y, 0, COLS, "%-12.12s %-*.*s %5lld %7.1f %8.0f %6s %6s %7s",
              r.name, inv_os_width (), inv_os_width (), r.os,
              (long long) r.cores, r.memory_gib, r.disk_gib, cpu, mem, iops);
    if (k == ui->inv_cur)
      attroff (tui_look (ui, TUI_LOOK_SEL));
  }
  free (idx);
}

static int
accept_add (struct tui_ui *ui, const char *text, void *arg)
{
  ssize_t n;

  (void) arg;
  if (*text == '\0')
    return 0;
  n = tui_model_add_path (&ui->m, text);
  if (n == -1)
    return -1;
  tui_status (ui, false, "Added %zd workload%s from %s", n, n == 1 ? "" : "s", text);
  return 0;
}

bool
tui_key_inventory (struct tui_ui *ui, int ch)
{
  size_t n = 0, *idx;
  char buf[4096];

  if (ui->inv_open) {
    switch (ch) {
    case TUI_ESC: case 'q': case KEY_LEFT: case '\r': case '\n': case KEY_ENTER:
      ui->inv_open = false;
      return true;
    case KEY_UP: if (ui->open_top) ui->open_top--; return true;
    case KEY_DOWN: ui->open_top++; return true;
    case KEY_PPAGE: ui->open_top = ui->open_top > 10 ? ui->open_top - 10 : 0; return true;
    case KEY_NPAGE: ui->open_top += 10; return true;
    default: return false;
    }
  }
  idx = tui_model_view (&ui->m, ui->inv_sort, ui->inv_desc, ui->filter, &n);
  if (idx == NULL)
    return false;
  if (tui_move_cursor (&ui->inv_cur, n, ch, LINES - 6)) {
    free (idx);
    return true;
  }
  switch (ch) {
  case '\r': case '\n': case KEY_ENTER: case KEY_RIGHT:
    if (n) {
      ui->inv_open = true;
      ui->open_top = 0;
    }
    break;
  case 'a': case KEY_IC:
    if (!tui_busy (ui))
      tui_prompt (ui, "Add profiles (file, CSV or folder): ", "", buf, sizeof buf,
                  accept_add, NULL);
    break;
  case 'd': case KEY_DC:
    if (n && !tui_busy (ui)) {
      char name[256];
      snprintf (name, sizeof name, "%s", ui->m.profiles.ptr[idx[ui->inv_cur]]->name);
      tui_model_drop (&ui->m, idx[ui->inv_cur]);
      tui_status (ui, false, "Dropped %s", name);
    }
    break;
  case 's': ui->inv_sort = (ui->inv_sort + 1) % TUI_NCOLS; break;
  case 'S': ui->inv_sort = (ui->inv_sort + TUI_NCOLS - 1) % TUI_NCOLS; break;
  case 'r': ui->inv_desc = !ui->inv_desc; break;
  case '/':
    if (tui_prompt (ui, "Filter (name, OS or role): ", ui->filter, buf,
                    sizeof ui->filter, NULL, NULL) != -1)
      snprintf (ui->filter, sizeof ui->filter, "%s", buf);
    ui->inv_cur = ui->inv_top = 0;
    break;
  case TUI_ESC: ui->filter[0] = '\0'; break;
  default:
    free (idx);
    return false;
  }
  free (idx);
  return true;
}
