/* The wizard's screens: each a drawing function over the rows between the
 * tab line and the status line, and a key handler that returns false for
 * keys it leaves to the event loop (screen switching, F5, quit).
 */
#include <curses.h>
#include <math.h>
#include <string.h>

#include "tui/tui.h"

#define IS_ENTER(ch) ((ch) == '\n' || (ch) == '\r' || (ch) == KEY_ENTER)
#define ESC 27

/* Move a cursor CUR over N rows for KEY; true when KEY was a movement. */
static bool
move_cursor (size_t *cur, size_t n, int key, int page)
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
static void
scroll_to (size_t cur, size_t *top, int rows)
{
  if (rows <= 0)
    return;
  if (cur < *top)
    *top = cur;
  if (cur >= *top + rows)
    *top = cur - rows + 1;
}

static void
fmt_num (char *buf, size_t len, double v, int decimals)
{
  if (v == CORE_UNSET)
    snprintf (buf, len, "-");
  else
    snprintf (buf, len, "%.*f", decimals, v);
}

/* ================================================================== */
/* 1. Inventory */

static const char *const inv_bar[] = {
  "F1", "Help", "a", "Add", "d", "Drop", "Enter", "Open", "s", "Sort",
  "r", "Reverse", "/", "Filter", "F5", "Plan", "F10", "Quit", NULL
};
static const char *const open_bar[] = {
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

static void
draw_inventory (struct tui_ui *ui, int top, int rows)
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
  scroll_to (ui->inv_cur, &ui->inv_top, rows);
  if (n == 0)
    tui_put (y, 0, COLS, ui->m.profiles.len ? "No workload matches the filter (Esc clears it)."
             : "No workloads yet: press a to add profile files, CSV files or folders.");
  for (size_t k = ui->inv_top; k < n && y < top + 2 + rows; k++, y++) {
    struct tui_row r = tui_model_row (&ui->m, idx[k]);
    char cpu[16], mem[16], iops[16];
    fmt_num (cpu, sizeof cpu, r.cpu95_pct, 1);
    fmt_num (mem, sizeof mem, r.mem95_pct, 1);
    fmt_num (iops, sizeof iops, r.iops95, 0);
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

static bool
key_inventory (struct tui_ui *ui, int ch)
{
  size_t n = 0, *idx;
  char buf[4096];

  if (ui->inv_open) {
    switch (ch) {
    case ESC: case 'q': case KEY_LEFT: case '\r': case '\n': case KEY_ENTER:
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
  if (move_cursor (&ui->inv_cur, n, ch, LINES - 6)) {
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
  case ESC: ui->filter[0] = '\0'; break;
  default:
    free (idx);
    return false;
  }
  free (idx);
  return true;
}

/* ================================================================== */
/* 2. Hosts */

static const char *const hosts_bar[] = {
  "F1", "Help", "Enter", "Edit", "a", "Add", "d", "Drop", "l", "Load",
  "s", "Size for me", "F5", "Plan", "F10", "Quit", NULL
};
static const char *const form_bar[] = {
  "F1", "Help", "Enter", "Edit field", "Up/Dn", "Field", "Esc", "Close",
  "F10", "Quit", NULL
};

/* The last sizing, on three lines from Y: the spec, what binds, and
 * whether it still matches the inputs. */
static void
draw_sizing (struct tui_ui *ui, int y)
{
  const struct core_plan_sizing *sz = &ui->m.sized.sizing;
  char disk[32] = "", iops[32] = "", when[32] = "";

  if (sz->disk_gb.spec > 0)
    snprintf (disk, sizeof disk, ", %g GB", sz->disk_gb.spec);
  if (sz->disk_iops.spec > 0)
    snprintf (iops, sizeof iops, ", %g IOPS", sz->disk_iops.spec);
  if (sz->interval)
    snprintf (when, sizeof when, " at %s", sz->interval);
  attron (tui_look (ui, TUI_LOOK_HEAD));
  tui_putf (y++, 0, COLS, "Sized: %lld x %g cores at %g MHz, %g GiB%s%s, "
            "%lld x %g Mb/s", (long long) sz->hosts, sz->cores.spec,
            sz->core_mhz, sz->memory_gib.spec, disk, iops,
            (long long) sz->nic_ports.spec, sz->port_mbps);
  attroff (tui_look (ui, TUI_LOOK_HEAD));
  tui_putf (y++, 0, COLS, "Binding: %s, %.1f%% of the spec used%s; unrounded "
            "%.2f cores, %.2f GiB", core_resource_names[sz->binding],
            sz->binding_pct, when, sz->cores.need, sz->memory_gib.need);
  if (ui->m.gen != ui->m.sized_gen)
    tui_put (y, 0, COLS, "The inputs changed since this sizing: s sizes again.");
  else
    tui_put (y, 0, COLS, "Model sized is in the catalog: F5 plans (drop the "
             "others to plan on it alone).");
}

static void
draw_hosts (struct tui_ui *ui, int top, int rows)
{
  const core_host_model_vector *v = &ui->m.hosts.models;
  bool net = COLS >= 100;
  int y = top;

  tui_putf (y++, 0, COLS, "Host catalog: %s, %zu model%s",
            ui->m.hosts_file ? ui->m.hosts_file : "entered here", v->len,
            v->len == 1 ? "" : "s");
  if (ui->host_cur >= v->len)
    ui->host_cur = v->len ? v->len - 1 : 0;
  attron (tui_look (ui, TUI_LOOK_HEAD));
  tui_putf (y++, 0, COLS, "%-16s %5s %6s %7s %8s %8s %s%-8s %9s %5s", "Model", "Cores",
            "MHz", "Mem GiB", "Disk GiB", "IOPS", net ? "Net Mb/s " : "",
            "Hyperv.", "Cost", "Count");
  attroff (tui_look (ui, TUI_LOOK_HEAD));
  if (v->len == 0)
    tui_put (y, 0, COLS, "No host models: press l to load a catalog or a to add a model.");
  for (size_t i = 0; i < v->len && y < top + rows; i++, y++) {
    char f[TUI_NHF][64], netcol[16] = "";
    for (int k = 0; k < TUI_NHF; k++)
      tui_model_host_get (&ui->m, i, k, f[k], sizeof f[k]);
    if (net)
      snprintf (netcol, sizeof netcol, "%8s ", f[TUI_HF_NET][0] ? f[TUI_HF_NET] : "-");
    if (i == ui->host_cur)
      attron (tui_look (ui, TUI_LOOK_SEL));
    tui_putf (y, 0, COLS, "%-16.16s %5s %6s %7.0f %8s %8s %s%-8s %9s %5s",
              f[TUI_HF_MODEL], f[TUI_HF_CORES], f[TUI_HF_MHZ],
              v->ptr[i].memory_mib / 1024.0,
              f[TUI_HF_DISK][0] ? f[TUI_HF_DISK] : "-",
              f[TUI_HF_IOPS][0] ? f[TUI_HF_IOPS] : "-", netcol,
              f[TUI_HF_HYPERVISORS], f[TUI_HF_COST][0] ? f[TUI_HF_COST] : "-",
              f[TUI_HF_COUNT][0] ? f[TUI_HF_COUNT] : "any");
    if (i == ui->host_cur)
      attroff (tui_look (ui, TUI_LOOK_SEL));
  }
  if (ui->host_form && v->len) {
    y++;
    attron (tui_look (ui, TUI_LOOK_HEAD));
    tui_putf (y++, 0, COLS, "Model %s (Enter edits; empty optional values mean "
              "no limit)", v->ptr[ui->host_cur].model);
    attroff (tui_look (ui, TUI_LOOK_HEAD));
    for (int k = 0; k < TUI_NHF && y < top + rows; k++, y++) {
      char val[64];
      tui_model_host_get (&ui->m, ui->host_cur, k, val, sizeof val);
      if ((size_t) k == ui->host_field)
        attron (tui_look (ui, TUI_LOOK_SEL));
      tui_putf (y, 2, COLS - 2, "%-12s %-16s (%s)", tui_host_fields[k].name, val,
                tui_host_fields[k].range);
      if ((size_t) k == ui->host_field)
        attroff (tui_look (ui, TUI_LOOK_SEL));
    }
  }
  else {
    if (ui->m.sized.sizing.given && y + 4 < top + rows)
      draw_sizing (ui, top + rows - 4);
    tui_put (top + rows - 1, 0, COLS, "Enter edits the selected model; s sizes "
             "a host to buy for the workloads.");
  }
}

static int
accept_host_field (struct tui_ui *ui, const char *text, void *arg)
{
  (void) arg;
  return tui_model_host_set (&ui->m, ui->host_cur, ui->host_field, text);
}

/* Edit the form's fields one after the other while Up/Down leave them. */
static void
edit_host_fields (struct tui_ui *ui)
{
  for (;;) {
    char label[128], val[256], out[256];
    int r;
    tui_model_host_get (&ui->m, ui->host_cur, ui->host_field, val, sizeof val);
    snprintf (label, sizeof label, "%s (%s): ", tui_host_fields[ui->host_field].name,
              tui_host_fields[ui->host_field].range);
    r = tui_prompt (ui, label, val, out, sizeof out, accept_host_field, NULL);
    if (r == KEY_UP && ui->host_field > 0)
      ui->host_field--;
    else if (r == KEY_DOWN && ui->host_field + 1 < TUI_NHF)
      ui->host_field++;
    else {
      if (r != -1)
        tui_status (ui, false, "%s set", tui_host_fields[ui->host_field].name);
      return;
    }
  }
}

static int
accept_load_hosts (struct tui_ui *ui, const char *text, void *arg)
{
  (void) arg;
  if (*text == '\0')
    return 0;
  if (tui_model_load_hosts (&ui->m, text) == -1)
    return -1;
  tui_status (ui, false, "Loaded %zu host models from %s", ui->m.hosts.models.len, text);
  return 0;
}

static int
accept_new_host (struct tui_ui *ui, const char *text, void *arg)
{
  ssize_t i;

  (void) arg;
  if (*text == '\0')
    return 0;
  if ((i = tui_model_host_add (&ui->m, text)) == -1)
    return -1;
  ui->host_cur = i;
  ui->host_form = true;
  ui->host_field = TUI_HF_CORES;
  return 0;
}

static bool
key_hosts (struct tui_ui *ui, int ch)
{
  size_t n = ui->m.hosts.models.len;
  char buf[4096];

  if (ui->host_form) {
    if (move_cursor (&ui->host_field, TUI_NHF, ch, 5))
      return true;
    if (ch == ESC || ch == 'q' || ch == KEY_LEFT) {
      ui->host_form = false;
      return true;
    }
    if (IS_ENTER (ch) || ch == 'e') {
      if (!tui_busy (ui))
        edit_host_fields (ui);
      return true;
    }
    return false;
  }
  if (move_cursor (&ui->host_cur, n, ch, LINES - 6))
    return true;
  switch (ch) {
  case '\r': case '\n': case KEY_ENTER: case 'e':
    if (n) {
      ui->host_form = true;
      ui->host_field = TUI_HF_CORES;
    }
    return true;
  case 'a': case KEY_IC:
    if (!tui_busy (ui))
      tui_prompt (ui, "New host model's name: ", "", buf, 128, accept_new_host, NULL);
    return true;
  case 'd': case KEY_DC:
    if (n && !tui_busy (ui)) {
      char name[256];
      snprintf (name, sizeof name, "%s", ui->m.hosts.models.ptr[ui->host_cur].model);
      tui_model_host_drop (&ui->m, ui->host_cur);
      tui_status (ui, false, "Dropped host model %s", name);
    }
    return true;
  case 'l':
    if (!tui_busy (ui))
      tui_prompt (ui, "Load host catalog: ", ui->m.hosts_file, buf, sizeof buf,
                  accept_load_hosts, NULL);
    return true;
  case 's':
    /* `p2vkit plan --size` in the background; the spec joins the catalog. */
    tui_start_size (ui);
    return true;
  default:
    return false;
  }
}

/* ================================================================== */
/* 3. Policy */

static const char *const policy_bar[] = {
  "F1", "Help", "Enter", "Edit", "Space", "Toggle", "l", "Load", "F5", "Plan",
  "F10", "Quit", NULL
};

static void
draw_policy (struct tui_ui *ui, int top, int rows)
{
  int y = top;

  tui_put (y++, 0, COLS, "The rules the planner follows. Enter edits a value; "
           "each is checked as you leave it.");
  attron (tui_look (ui, TUI_LOOK_HEAD));
  tui_putf (y++, 0, COLS, "%-22s %-10s %s", "Setting", "Value", "Allowed");
  attroff (tui_look (ui, TUI_LOOK_HEAD));
  for (int k = 0; k < TUI_NPF && y < top + rows; k++, y++) {
    char v[64];
    tui_model_policy_get (&ui->m, k, v, sizeof v);
    if ((size_t) k == ui->pol_cur)
      attron (tui_look (ui, TUI_LOOK_SEL));
    tui_putf (y, 0, COLS, "%-24s %-10s %s", tui_policy_fields[k].name, v,
              tui_policy_fields[k].range);
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

static bool
key_policy (struct tui_ui *ui, int ch)
{
  char buf[4096];

  if (move_cursor (&ui->pol_cur, TUI_NPF, ch, 5))
    return true;
  if (ch == 'l') {
    if (!tui_busy (ui))
      tui_prompt (ui, "Load policy: ", "", buf, sizeof buf, accept_load_policy, NULL);
    return true;
  }
  if (!IS_ENTER (ch) && ch != ' ' && ch != 'e')
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
    char label[128], v[64];
    int r;
    tui_model_policy_get (&ui->m, ui->pol_cur, v, sizeof v);
    snprintf (label, sizeof label, "%s (%s): ", tui_policy_fields[ui->pol_cur].name,
              tui_policy_fields[ui->pol_cur].range);
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

/* ================================================================== */
/* 4. Decisions */

static const char *const dec_bar[] = {
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

static void
draw_decisions (struct tui_ui *ui, int top, int rows)
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
  scroll_to (ui->dec_cur, &ui->dec_top, list);
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

static bool
key_decisions (struct tui_ui *ui, int ch)
{
  int mode;

  if (move_cursor (&ui->dec_cur, ui->m.profiles.len, ch, LINES - 12))
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

static const char *const plan_bar[] = {
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

static const struct core_plan_workload *
plan_workload (const struct core_plan *p, const char *name)
{
  for (size_t i = 0; i < p->workloads.len; i++)
    if (strcmp (p->workloads.ptr[i].name, name) == 0)
      return &p->workloads.ptr[i];
  return NULL;
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

static void
draw_plan (struct tui_ui *ui, int top, int rows)
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
  scroll_to (ui->plan_cur, &ui->plan_top, rows);
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
      const struct core_plan_workload *w = plan_workload (p, h->workloads.ptr[pr[k].item]);
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

static bool
key_plan (struct tui_ui *ui, int ch)
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
  if (move_cursor (&ui->plan_cur, n, ch, LINES - 8))
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

/* ================================================================== */
/* 6. Export */

static const char *const export_bar[] = {
  "F1", "Help", "Enter", "Change", "F6", "Export", "F5", "Plan", "F10", "Quit", NULL
};

enum { EX_FILE, EX_HTML, EX_MD, EX_PDF, EX_CMDS, EX_INPUTS, EX_GO, EX_N };

static void
draw_export (struct tui_ui *ui, int top, int rows)
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

static bool
key_export (struct tui_ui *ui, int ch)
{
  char buf[4096];

  if (move_cursor (&ui->exp_cur, EX_N, ch, 5))
    return true;
  if (ch == 'e') {
    tui_start_export (ui);
    return true;
  }
  if (!IS_ENTER (ch) && ch != ' ')
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
  case ESC: case 'q': case KEY_F(1): case '?': case '\r': case '\n': case KEY_ENTER:
    ui->screen = ui->back;
    return true;
  case KEY_UP: if (ui->help_top) ui->help_top--; return true;
  case KEY_DOWN: ui->help_top++; return true;
  default: return false;
  }
}

const struct tui_screen_def tui_screens[TUI_NSCREENS] = {
  [TUI_INVENTORY] = { "Inventory", draw_inventory, key_inventory, inv_bar },
  [TUI_HOSTS] = { "Hosts", draw_hosts, key_hosts, hosts_bar },
  [TUI_POLICY] = { "Policy", draw_policy, key_policy, policy_bar },
  [TUI_DECISIONS] = { "Decisions", draw_decisions, key_decisions, dec_bar },
  [TUI_PLAN] = { "Plan", draw_plan, key_plan, plan_bar },
  [TUI_EXPORT] = { "Export", draw_export, key_export, export_bar },
  [TUI_HELP] = { "Help", draw_help, key_help, help_bar },
};

const char *const *
tui_screen_bar (const struct tui_ui *ui)
{
  if (ui->screen == TUI_INVENTORY && ui->inv_open)
    return open_bar;
  if (ui->screen == TUI_HOSTS && ui->host_form)
    return form_bar;
  return tui_screens[ui->screen].bar;
}
