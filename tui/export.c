/* Export: the plan (the writer `p2vkit plan` uses), the policy and host
 * catalog it was made with (so `p2vkit plan` can make it again), the
 * report (rep_write_document, as `p2vkit report` writes it), and a script
 * of the convert and deploy commands.  Runs as a job: Chromium takes
 * seconds for a PDF.
 */
#include <string.h>
#include <sys/stat.h>

#include "report/report.h"
#include "tui/tui.h"

char *
tui_export_name (const char *plan_file, const char *ext)
{
  size_t n = strlen (plan_file);

  if (n > 5 && strcmp (plan_file + n - 5, ".yaml") == 0)
    n -= 5;
  else if (n > 4 && strcmp (plan_file + n - 4, ".yml") == 0)
    n -= 4;
  return core_sprintf ("%.*s%s", (int) n, plan_file, ext);
}

void
tui_export_clear (struct tui_export *ex)
{
  if (ex == NULL)
    return;
  free (ex->plan_file);
  free (ex->templates);
  core_string_vector_free (&ex->done);
  ex->plan_file = ex->templates = NULL;
}

static int
say (struct tui_export *ex, char *line)
{
  if (line == NULL || core_string_vector_append (&ex->done, line) == -1) {
    free (line);
    return -1;
  }
  return 0;
}

static int
write_plan (FILE *fp, void *opaque)
{
  return core_plan_write (fp, opaque);
}

static int
write_policy (FILE *fp, void *opaque)
{
  return core_policy_write (fp, opaque);
}

static int
write_hosts (FILE *fp, void *opaque)
{
  return core_hosts_write (fp, opaque);
}

/* Quote S for sh when it holds anything but safe characters. */
static void
sh_word (FILE *fp, const char *s)
{
  if (*s && strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789/._-+=:,@") == strlen (s)) {
    fputs (s, fp);
    return;
  }
  fputc ('\'', fp);
  for (; *s; s++)
    if (*s == '\'')
      fputs ("'\\''", fp);
    else
      fputc (*s, fp);
  fputc ('\'', fp);
}

struct commands {
  const struct tui_export *ex;
  const char *hosts_file, *policy_file;
};

static int
write_commands (FILE *fp, void *opaque)
{
  const struct commands *c = opaque;
  const struct tui_model *m = c->ex->model;
  const struct core_plan *plan = &m->plan;

  fprintf (fp, "#!/bin/sh\n"
           "# Convert and deploy the workloads of the plan ");
  sh_word (fp, c->ex->plan_file);
  fprintf (fp, ".\n"
           "# Disk captures are read from $CAPTURES/NAME/*.qcow2 (p2vkit capture,\n"
           "# p2vkit receive); images go to $IMAGES/NAME.  The report's runbooks\n"
           "# describe each step.\n"
           "set -e\n"
           ": \"${CAPTURES:=captures}\" \"${IMAGES:=images}\"\n\n"
           "# The plan again from its inputs, the way the wizard made it:\n# p2vkit plan");
  for (size_t i = 0; i < m->paths.len; i++) {
    fputc (' ', fp);
    sh_word (fp, m->paths.ptr[i]);
  }
  fprintf (fp, " --hosts ");
  sh_word (fp, c->hosts_file);
  fprintf (fp, " --policy ");
  sh_word (fp, c->policy_file);
  fprintf (fp, "\n");
  if (m->dropped)
    fprintf (fp, "# (less the %zu workload%s dropped in the wizard)\n", m->dropped,
             m->dropped == 1 ? "" : "s");
  if (m->moves)
    fprintf (fp, "# (then %zu workload%s moved by hand)\n", m->moves,
             m->moves == 1 ? "" : "s");
  fputc ('\n', fp);
  for (size_t i = 0; i < plan->workloads.len; i++) {
    const struct core_plan_workload *w = &plan->workloads.ptr[i];
    if (w->host == NULL) {
      fprintf (fp, "# %s stays physical\n", w->name);
      continue;
    }
    fprintf (fp, "p2vkit convert \"$CAPTURES\"/%s/*.qcow2 -o \"$IMAGES\"/%s "
             "--name %s --mode %s --plan ", w->name, w->name, w->name,
             core_mode_names[w->mode]);
    sh_word (fp, c->ex->plan_file);
    fputc ('\n', fp);
  }
  fprintf (fp, "\np2vkit deploy ");
  sh_word (fp, c->ex->plan_file);
  fprintf (fp, " --images \"$IMAGES\"\n");
  return ferror (fp) ? -1 : 0;
}

/* The report of the plan as written, read back, so that it is the one
 * `p2vkit report` makes of the file. */
static int
write_report (struct tui_job *job, struct tui_export *ex,
              const struct core_plan *plan, enum rep_format format,
              const char *name, const char *ext)
{
  CLEANUP_FREE char *out = tui_export_name (ex->plan_file, ext);
  struct rep_document d = {
    .format = format, .template_dir = ex->templates,
    .opts = { .plan_file = ex->plan_file, .rate_mbs = CORE_WAVE_RATE_MBS,
              .window_h = CORE_WAVE_WINDOW_H, .wave_size = CORE_WAVE_SIZE },
  };

  if (out == NULL)
    return -1;
  tui_job_progress (job, name, 0);
  d.output = out;
  if (rep_write_document (plan, &d) == -1)
    return -1;
  return say (ex, core_sprintf ("report (%s): %s", name, out));
}

int
tui_export_work (struct tui_job *job, void *arg)
{
  struct tui_export *ex = arg;
  const struct tui_model *m = ex->model;
  CLEANUP_FREE char *policy = tui_export_name (ex->plan_file, "-policy.yaml");
  CLEANUP_FREE char *hosts = tui_export_name (ex->plan_file, "-hosts.yaml");
  CLEANUP_FREE char *cmds = tui_export_name (ex->plan_file, "-commands.sh");

  core_string_vector_free (&ex->done);
  if (!policy || !hosts || !cmds)
    return -1;
  tui_job_progress (job, "plan", 0);
  if (core_write_atomic (ex->plan_file, write_plan, (void *) &m->plan) == -1
      || say (ex, core_sprintf ("plan: %s", ex->plan_file)) == -1)
    return -1;
  if (ex->policy) {
    /* The policy the plan was made with, and the catalog. */
    if (core_write_atomic (policy, write_policy, (void *) &m->plan.policy) == -1
        || say (ex, core_sprintf ("policy: %s", policy)) == -1
        || core_write_atomic (hosts, write_hosts, (void *) &m->hosts) == -1
        || say (ex, core_sprintf ("hosts: %s", hosts)) == -1)
      return -1;
  }
  if (ex->html || ex->md || ex->pdf) {
    CLEANUP_FREE_PLAN struct core_plan back;

    core_plan_init (&back);
    if (core_plan_read (ex->plan_file, &back) == -1
        || (ex->html && write_report (job, ex, &back, REP_HTML, "html", ".html") == -1)
        || (ex->md && write_report (job, ex, &back, REP_MD, "md", ".md") == -1)
        || (ex->pdf && write_report (job, ex, &back, REP_PDF, "pdf", ".pdf") == -1))
      return -1;
  }
  if (ex->commands) {
    struct commands c = { ex, hosts, policy };
    if (core_write_atomic (cmds, write_commands, &c) == -1)
      return -1;
    chmod (cmds, 0755);
    if (say (ex, core_sprintf ("commands: %s", cmds)) == -1)
      return -1;
  }
  tui_job_progress (job, "done", 1);
  return 0;
}
