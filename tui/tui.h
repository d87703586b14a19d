/* tui: `p2vkit wizard`, planning interactively in a terminal.
 *
 * The state lives in a model (model.c) that knows nothing of curses and is
 * unit-tested without a terminal; long work (the planner, the export) runs
 * in a worker thread (job.c) so the screen never freezes; export.c writes
 * the files; ui.c owns the terminal (curses, signals, the event loop);
 * screen-NAME.c draw the screens and handle their keys, and screens.c
 * holds their table.  Everything is done
 * by the same readers, writers and planner as the command line.
 * One section per .c file.
 */
#ifndef P2VKIT_TUI_H
#define P2VKIT_TUI_H

#include <pthread.h>

#include "core/core.h"
#include "planner/planner.h"

/* ------------------------------------------------------------------ */
/* model.c: what the wizard holds and every change to it.             */

/* Columns of the inventory table. */
enum tui_col {
  TUI_COL_NAME, TUI_COL_OS, TUI_COL_CORES, TUI_COL_MEMORY, TUI_COL_DISK,
  TUI_COL_CPU95, TUI_COL_MEM95, TUI_COL_IOPS, TUI_NCOLS
};
extern const char *const tui_col_names[TUI_NCOLS];

/* One inventory row, computed from a profile. */
struct tui_row {
  const char *name;
  const char *os;
  int64_t cores;
  double memory_gib;
  double disk_gib;              /* all disks; 0 when none listed */
  double cpu95_pct;             /* CORE_UNSET: no CPU series */
  double mem95_pct;             /* CORE_UNSET: no memory series */
  double iops95;                /* CORE_UNSET: no IOPS series */
};

struct tui_model {
  core_profile_vector profiles;
  core_string_vector paths;     /* as added, for `p2vkit plan` lines */
  size_t dropped;               /* workloads dropped since */
  int *force;                   /* per profile: CORE_MODE_* or -1 */
  struct core_hosts hosts;
  char *hosts_file;             /* NULL: entered in the wizard */
  struct core_policy policy;
  double time_limit;            /* the planner's, seconds */
  uint64_t seed;
  struct core_plan plan;
  bool planned;                 /* PLAN holds a result */
  bool stale;                   /* inputs changed since it was made */
  size_t moves;                 /* workloads moved by hand since */
  bool dirty;                   /* changes not exported */
  unsigned long gen;            /* counts changes to the inputs */
  /* The last "size for me": its sizing (sizing.given), and the GEN it
   * matches (later changes make it out of date). */
  struct core_plan sized;
  unsigned long sized_gen;
};

void tui_model_init (struct tui_model *m);
void tui_model_clear (struct tui_model *m);

/* Add the profiles of PATH (file, CSV or folder, as `p2vkit plan` reads
 * them).  Names must be new.  Returns how many were added, or -1 (error
 * set, nothing added). */
ssize_t tui_model_add_path (struct tui_model *m, const char *path);
/* Drop profile I. */
void tui_model_drop (struct tui_model *m, size_t i);
struct tui_row tui_model_row (const struct tui_model *m, size_t i);
/* Indices of the profiles whose name, OS or role contain FILTER (case
 * folded; NULL or "" matches all), sorted on COL (then by name).  *N is
 * their number; the array is malloc'd. */
size_t *tui_model_view (const struct tui_model *m, enum tui_col col, bool desc,
                        const char *filter, size_t *n);
/* CPU utilization of profile I over the day in NBUCKETS buckets, each the
 * largest value it covers (percent of the server's CPU).  Returns false
 * when the profile has no CPU series. */
bool tui_model_cpu_day (const struct tui_model *m, size_t i, double *out,
                        size_t nbuckets);

/* Host catalog. */
int tui_model_load_hosts (struct tui_model *m, const char *path);
/* Fields of a host model as the form edits them. */
enum tui_host_field {
  TUI_HF_MODEL, TUI_HF_CORES, TUI_HF_MHZ, TUI_HF_MEMORY, TUI_HF_DISK,
  TUI_HF_IOPS, TUI_HF_NET, TUI_HF_VIRT, TUI_HF_IOMMU, TUI_HF_HYPERVISORS,
  TUI_HF_COST, TUI_HF_WATTS, TUI_HF_COUNT, TUI_NHF
};
struct tui_field_info {
  const char *name;             /* as in the file */
  const char *per;              /* what its unit is per ("per guest"), or NULL */
  const char *empty;            /* what an empty value means, or NULL when
                                 * it needs one */
};
extern const struct tui_field_info tui_host_fields[TUI_NHF];
/* The values field F accepts, for the form ("1..65536", ">= 0, empty: no
 * limit"), from the catalog reader's table. */
void tui_host_field_range (enum tui_host_field f, char *buf, size_t len);
/* The value of field F of model I as text ("" when not given). */
void tui_model_host_get (const struct tui_model *m, size_t i,
                         enum tui_host_field f, char *buf, size_t len);
/* Set field F of model I from TEXT, validated by the catalog reader
 * itself; on error nothing changes and the error names the field. */
int tui_model_host_set (struct tui_model *m, size_t i, enum tui_host_field f,
                        const char *text);
/* A new model with the values given for a small current server; its name
 * is NAME.  Returns its index or -1. */
ssize_t tui_model_host_add (struct tui_model *m, const char *name);
void tui_model_host_drop (struct tui_model *m, size_t i);

/* Policy. */
enum tui_policy_field {
  TUI_PF_PERCENTILE, TUI_PF_HEADROOM, TUI_PF_CPU_OVERCOMMIT,
  TUI_PF_MEMORY_OVERCOMMIT, TUI_PF_HA_SPARES, TUI_PF_THIN_DISKS,
  TUI_PF_WINDOWS_PV, TUI_PF_PASSTHROUGH, TUI_PF_REDUNDANT, TUI_PF_FULL_CPU_PCT,
  TUI_PF_FULL_CPU_MHZ, TUI_PF_FULL_MEMORY, TUI_PF_PV_CPU_PCT,
  TUI_PF_PV_CPU_MHZ, TUI_PF_PV_MEMORY, TUI_NPF
};
extern const struct tui_field_info tui_policy_fields[TUI_NPF];
/* The same from the policy reader's table ("0..1e9 MiB per guest"). */
void tui_policy_field_range (enum tui_policy_field f, char *buf, size_t len);
bool tui_policy_field_is_bool (enum tui_policy_field f);
int tui_model_load_policy (struct tui_model *m, const char *path);
void tui_model_policy_get (const struct tui_model *m, enum tui_policy_field f,
                           char *buf, size_t len);
/* Validated by the policy reader itself; nothing changes on error. */
int tui_model_policy_set (struct tui_model *m, enum tui_policy_field f,
                          const char *text);

/* Decisions.  What the rules allow workload I on the catalog: a set of
 * 1 << CORE_MODE_* (physical always), and per mode one sentence. */
unsigned tui_model_modes (const struct tui_model *m, size_t i,
                          char why[3][512]);
/* Force workload I to MODE (-1: the rules' choice).  Refused (-1, error
 * set to the reason) when the rules give MODE on no host model. */
int tui_model_force (struct tui_model *m, size_t i, int mode);
/* The plan's workload entry for profile I, or NULL before a plan. */
const struct core_plan_workload *tui_model_decision (const struct tui_model *m,
                                                     size_t i);

/* Plan.  The configuration plan_run gets (pointing into M). */
void tui_model_plan_config (const struct tui_model *m, struct plan_config *cfg);
/* Take PLAN over as the current plan (PLAN is left empty). */
void tui_model_set_plan (struct tui_model *m, struct core_plan *plan);
/* Move a workload; 1 refused (the reasons in *WHY, malloc'd), 0 moved,
 * -1 error.  */
int tui_model_move (struct tui_model *m, const char *workload, const char *host,
                    char **why);
/* Take the sizing of PLAN (from plan_size) over and put its spec into
 * the catalog as model "sized" (replacing a model of that name, else
 * added).  Returns the model's index, or -1 (nothing changed). */
ssize_t tui_model_take_sizing (struct tui_model *m, struct core_plan *plan);
/* Hosts in use (not spares) by the plan. */
int64_t tui_model_hosts_used (const struct tui_model *m);

/* ------------------------------------------------------------------ */
/* job.c: long work in a worker thread, polled by the event loop.      */

struct tui_job {
  pthread_t thread;
  pthread_mutex_t lock;
  bool running, finished;
  int result;                   /* the work's return value */
  char stage[64];
  double fraction;
  char error[1024];             /* the worker's core_errmsg on -1 */
  char warning[512];            /* the work's first warning, if any */
  size_t more_warnings;         /* and how many came after it */
  struct core_notify notify;    /* the work's progress and warnings */
  double started;
  int (*fn) (struct tui_job *job, void *arg);
  void *arg;
};

void tui_job_init (struct tui_job *j);
/* Run FN (ARG) in a thread; -1 when one is running or it cannot start. */
int tui_job_start (struct tui_job *j, int (*fn) (struct tui_job *, void *),
                   void *arg);
/* From the worker: where it is. */
void tui_job_progress (struct tui_job *j, const char *stage, double fraction);
/* From the event loop: true once when the work has finished (it is
 * joined, RESULT and ERROR are set). */
bool tui_job_poll (struct tui_job *j);
/* Wait for the work to end (on quit). */
void tui_job_wait (struct tui_job *j);

/* The planner as a job: runs plan_run on the model's inputs into PLAN. */
struct tui_plan_job {
  struct plan_config cfg;
  struct core_plan plan;
};
int tui_plan_work (struct tui_job *job, void *arg);

/* Sizing as a job: plan_size (the spec only) on the model's workloads and
 * policy, as `p2vkit plan --size` does, into PLAN.sizing. */
struct tui_size_job {
  struct plan_config cfg;
  struct plan_size_config sc;
  struct core_plan plan;
};
/* The job's configuration for M: one host (plus the HA spares) of cores
 * at 2600 MHz, the command line's defaults. */
void tui_size_config (const struct tui_model *m, struct tui_size_job *sj);
int tui_size_work (struct tui_job *job, void *arg);

/* ------------------------------------------------------------------ */
/* export.c: the plan, its report and the commands, as files.          */

struct tui_export {
  char *plan_file;              /* the plan; the rest go next to it */
  bool html, md, pdf, commands, policy;
  char *templates;              /* report templates; NULL: rep_find_templates */
  /* What was written, one line each, for the screen. */
  core_string_vector done;
  /* The model, which the event loop leaves alone while the job runs. */
  const struct tui_model *model;
};

/* Derived file names: PLAN "out/plan.yaml" -> "out/plan.html" etc. */
char *tui_export_name (const char *plan_file, const char *ext);
/* Write everything EX asks for; stops at the first failure. */
int tui_export_work (struct tui_job *job, void *arg);
void tui_export_clear (struct tui_export *ex);

/* ------------------------------------------------------------------ */
/* ui.c: the terminal, the event loop, and what every screen shares.   */

enum tui_screen {
  TUI_INVENTORY, TUI_HOSTS, TUI_POLICY, TUI_DECISIONS, TUI_PLAN, TUI_EXPORT,
  TUI_HELP, TUI_NSCREENS
};

/* Drawing attributes, in colour or (NO_COLOR, no colours) without. */
enum tui_look {
  TUI_LOOK_TITLE, TUI_LOOK_TAB, TUI_LOOK_SEL, TUI_LOOK_ERR, TUI_LOOK_OK,
  TUI_LOOK_KEY, TUI_LOOK_BAR, TUI_LOOK_BAR_HOT, TUI_LOOK_HEAD, TUI_LOOK_DIM
};

enum tui_job_kind { TUI_JOB_NONE, TUI_JOB_PLAN, TUI_JOB_EXPORT, TUI_JOB_SIZE };

struct tui_ui {
  struct tui_model m;
  enum tui_screen screen, back;  /* back: where help returns to */
  bool colour;
  bool quit;
  char status[1024];
  bool status_error;
  /* Warnings of work done in the event loop's thread (loading files), as
   * in struct tui_job: shown on the status line after the step. */
  char warning[512];
  size_t more_warnings;
  struct core_notify notify;
  /* Work in the worker thread. */
  struct tui_job job;
  enum tui_job_kind job_kind;
  struct tui_plan_job pj;
  struct tui_size_job sj;
  struct tui_export ex;
  /* Per screen: cursor and first row shown. */
  size_t inv_cur, inv_top;
  enum tui_col inv_sort;
  bool inv_desc;
  char filter[128];
  bool inv_open;                /* the selected profile is open */
  size_t open_top;
  size_t host_cur, host_field;
  bool host_form;               /* the selected model's form is open */
  size_t pol_cur;
  size_t dec_cur, dec_top;
  unsigned *modes;              /* per profile, tui_model_modes's set */
  size_t nmodes;
  unsigned long modes_gen;      /* the model's gen they were made at */
  size_t plan_cur, plan_top;
  size_t exp_cur;
  size_t help_top;
};

/* The status line: a message, an error in the error look. */
void tui_status (struct tui_ui *ui, bool error, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
/* WARNING (if not empty) and the count of MORE after it, added to the
 * status line, which takes the error look. */
void tui_status_warning (struct tui_ui *ui, const char *warning, size_t more);
/* TEXT at (Y, X), at most WIDTH columns, padded to WIDTH with spaces. */
void tui_put (int y, int x, int width, const char *text);
void tui_putf (int y, int x, int width, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
int tui_look (const struct tui_ui *ui, enum tui_look look);
/* [####....] of WIDTH columns for FRACTION (clipped to 0..1). */
void tui_draw_bar (const struct tui_ui *ui, int y, int x, int width, double fraction);
/* The key bar: pairs of key and label, NULL-terminated. */
void tui_keybar (const struct tui_ui *ui, const char *const *pairs);
/* Redraw everything. */
void tui_redraw (struct tui_ui *ui);
/* A line editor on the status line: LABEL, then the text (starting as
 * INITIAL).  Enter, Up and Down leave the field: ACCEPT (may be NULL)
 * checks the text, and a refusal (-1) keeps the field open with the
 * error shown.  Returns the key that left (\n, KEY_UP, KEY_DOWN), or -1
 * for Esc.  The text is in OUT. */
int tui_prompt (struct tui_ui *ui, const char *label, const char *initial,
                char *out, size_t len,
                int (*accept) (struct tui_ui *ui, const char *text, void *arg),
                void *arg);
/* A yes/no question on the status line; false unless 'y'. */
bool tui_confirm (struct tui_ui *ui, const char *question);
/* True (with a message) while work runs that the inputs must not change
 * under. */
bool tui_busy (struct tui_ui *ui);
/* Start the planner / the export in the worker thread. */
void tui_start_plan (struct tui_ui *ui);
void tui_start_export (struct tui_ui *ui);
/* Start sizing a host for the workloads ("size for me"). */
void tui_start_size (struct tui_ui *ui);

/* ------------------------------------------------------------------ */
/* screens.c, screen-*.c: each screen's drawing and keys.             */

struct tui_screen_def {
  const char *title;            /* in the tab line */
  void (*draw) (struct tui_ui *ui, int top, int rows);
  /* True when the screen used the key. */
  bool (*key) (struct tui_ui *ui, int ch);
  const char *const *bar;       /* its key bar */
};
extern const struct tui_screen_def tui_screens[TUI_NSCREENS];
/* The key bar to show now (a screen's, or its open view's). */
const char *const *tui_screen_bar (const struct tui_ui *ui);

/* What the screens share.  Each screen (or group of screens) is a file
 * screen-NAME.c with its drawing, its keys and its key bars. */
#define TUI_IS_ENTER(ch) ((ch) == '\n' || (ch) == '\r' || (ch) == KEY_ENTER)
#define TUI_ESC 27
/* Move a cursor CUR over N rows for KEY; true when KEY was a movement. */
bool tui_move_cursor (size_t *cur, size_t n, int key, int page);
/* Keep CUR within the ROWS shown from *TOP. */
void tui_scroll_to (size_t cur, size_t *top, int rows);

/* screen-inventory.c */
extern const char *const tui_inv_bar[], *const tui_open_bar[];
void tui_draw_inventory (struct tui_ui *ui, int top, int rows);
bool tui_key_inventory (struct tui_ui *ui, int ch);
/* screen-hosts.c */
extern const char *const tui_hosts_bar[], *const tui_form_bar[];
void tui_draw_hosts (struct tui_ui *ui, int top, int rows);
bool tui_key_hosts (struct tui_ui *ui, int ch);
/* screen-policy.c */
extern const char *const tui_policy_bar[];
void tui_draw_policy (struct tui_ui *ui, int top, int rows);
bool tui_key_policy (struct tui_ui *ui, int ch);
/* screen-plan.c: decisions and plan */
extern const char *const tui_dec_bar[], *const tui_plan_bar[];
void tui_draw_decisions (struct tui_ui *ui, int top, int rows);
bool tui_key_decisions (struct tui_ui *ui, int ch);
void tui_draw_plan (struct tui_ui *ui, int top, int rows);
bool tui_key_plan (struct tui_ui *ui, int ch);
/* screen-export.c */
extern const char *const tui_export_bar[];
void tui_draw_export (struct tui_ui *ui, int top, int rows);
bool tui_key_export (struct tui_ui *ui, int ch);

/* ------------------------------------------------------------------ */
/* The entry point (ui.c).                                              */

struct tui_options {
  char **paths;                 /* profiles from the command line */
  size_t npaths;
  const char *hosts_file;
  const char *policy_file;
  const char *output;           /* plan file to export to */
  double time_limit;
  uint64_t seed;
};

/* Runs the wizard; returns the exit status. */
int tui_main (const struct tui_options *opts);

#endif /* P2VKIT_TUI_H */
