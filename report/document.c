/* A plan as a whole document: the template search, the rendering and the
 * output, for every front end (`p2vkit report`, the wizard's export).
 */
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"

int
rep_format_parse (const char *name, enum rep_format *out)
{
  if (strcmp (name, "html") == 0)
    *out = REP_HTML;
  else if (strcmp (name, "md") == 0 || strcmp (name, "markdown") == 0)
    *out = REP_MD;
  else if (strcmp (name, "pdf") == 0)
    *out = REP_PDF;
  else {
    core_error ("--format: expected html, md or pdf, got '%s'", name);
    return -1;
  }
  return 0;
}

enum rep_format
rep_format_of_output (const char *output)
{
  return core_ends_with_nocase (output, ".md") ? REP_MD : core_ends_with_nocase (output, ".pdf") ? REP_PDF
    : REP_HTML;
}

const char *
rep_format_main (enum rep_format format)
{
  return format == REP_MD ? "report.md" : "report.html";
}

static bool
is_file (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

/* The installed templates: next to the program (a build tree), under the
 * prefix it is installed in (BINDIR/../share/p2vkit/templates), the data
 * folder it was built for, then the source tree it was built from (so a
 * program in a build folder such as build/san works uninstalled). */
char *
rep_find_templates (const char *main_name)
{
  char exe[PATH_MAX], *slash;
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  char *candidates[4] = { NULL, NULL, NULL, NULL };
  char *found = NULL;
  char looked[2048];
  size_t used = 0;

  if (n > 0) {
    exe[n] = '\0';
    slash = strrchr (exe, '/');
    if (slash) {
      *slash = '\0';
      candidates[0] = core_sprintf ("%s/templates", exe);
      candidates[1] = core_sprintf ("%s/../share/p2vkit/templates", exe);
    }
  }
  candidates[2] = core_strdup (P2VKIT_DATADIR "/templates");
  candidates[3] = core_strdup (P2VKIT_SRCDIR "/templates");
  looked[0] = '\0';
  for (int i = 0; i < 4; i++) {
    CLEANUP_FREE char *file = NULL;

    if (candidates[i] == NULL)
      continue;
    file = core_sprintf ("%s/%s", candidates[i], main_name);
    if (found == NULL && file && is_file (file)) {
      found = candidates[i];
      candidates[i] = NULL;
    }
    else if (found == NULL && used < sizeof looked)
      used += snprintf (looked + used, sizeof looked - used, "%s%s",
                        used ? ", " : "", candidates[i]);
  }
  for (int i = 0; i < 4; i++)
    free (candidates[i]);
  if (found == NULL)
    core_error ("report: no templates found (looked in %s); give --template DIR",
                looked);
  return found;
}

static int
write_values (FILE *fp, void *opaque)
{
  return rep_value_write_json (fp, opaque);
}

int
rep_write_document (const struct core_plan *plan, const struct rep_document *d)
{
  CLEANUP_FREE char *dir = NULL, *text = NULL;
  const char *template_dir = d->template_dir, *main_name = rep_format_main (d->format);
  struct rep_templates *tpl = NULL;
  struct rep_value *values = NULL;
  size_t len;
  int ret = -1;

  if (d->format == REP_VALUES) {
    if ((values = rep_plan_values (plan, &d->opts)) == NULL
        || core_write_atomic (d->output, write_values, values) == -1)
      goto out;
    ret = 0;
    goto out;
  }
  if (template_dir == NULL) {
    if ((dir = rep_find_templates (main_name)) == NULL)
      return -1;
    template_dir = dir;
  }
  else {
    struct stat st;
    if (stat (template_dir, &st) == -1 || !S_ISDIR (st.st_mode)) {
      core_error ("%s: not a folder of templates", template_dir);
      return -1;
    }
  }

  /* Everything is read and rendered before anything is written. */
  tpl = rep_templates_new (template_dir);
  if (tpl == NULL || rep_templates_load (tpl, main_name) == -1
      || (values = rep_plan_values (plan, &d->opts)) == NULL
      || (text = rep_render (tpl, main_name, values, &len)) == NULL)
    goto out;
  if (d->format == REP_PDF) {
    if (rep_pdf_write (text, len, d->output, d->chromium) == -1)
      goto out;
  }
  else if (core_write_atomic_data (d->output, text, len) == -1)
    goto out;
  ret = 0;

 out:
  rep_value_free (values);
  rep_templates_free (tpl);
  return ret;
}
