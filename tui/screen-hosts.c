/* The wizard's hosts screen: the catalog's models, the form that edits
 * one, and the sizing ("size for me").
 */
#include <curses.h>
#include <math.h>
#include <string.h>

#include "tui/tui.h"

/* ================================================================== */
/* 2. Hosts */

const char *const tui_hosts_bar[] = {
  "F1", "Help", "Enter", "Edit", "a", "Add", "d", "Drop", "l", "Load",
  "s", "Size for me", "F5", "Plan", "F10", "Quit", NULL
};
const char *const tui_form_bar[] = {
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

void
tui_draw_hosts (struct tui_ui *ui, int top, int rows)
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
      char val[64], range[128];
      tui_model_host_get (&ui->m, ui->host_cur, k, val, sizeof val);
      tui_host_field_range (k, range, sizeof range);
      if ((size_t) k == ui->host_field)
        attron (tui_look (ui, TUI_LOOK_SEL));
      tui_putf (y, 2, COLS - 2, "%-12s %-16s (%s)", tui_host_fields[k].name, val,
                range);
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
    char label[256], range[128], val[256], out[256];
    int r;
    tui_model_host_get (&ui->m, ui->host_cur, ui->host_field, val, sizeof val);
    tui_host_field_range (ui->host_field, range, sizeof range);
    snprintf (label, sizeof label, "%s (%s): ", tui_host_fields[ui->host_field].name,
              range);
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

bool
tui_key_hosts (struct tui_ui *ui, int ch)
{
  size_t n = ui->m.hosts.models.len;
  char buf[4096];

  if (ui->host_form) {
    if (tui_move_cursor (&ui->host_field, TUI_NHF, ch, 5))
      return true;
    if (ch == TUI_ESC || ch == 'q' || ch == KEY_LEFT) {
      ui->host_form = false;
      return true;
    }
    if (TUI_IS_ENTER (ch) || ch == 'e') {
      if (!tui_busy (ui))
        edit_host_fields (ui);
      return true;
    }
    return false;
  }
  if (tui_move_cursor (&ui->host_cur, n, ch, LINES - 6))
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
