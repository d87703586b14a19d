/* migrate: which workloads a run takes (--wave, --only), and where each
 * one stands (--status), from the plan and the journal alone. */
#include <string.h>

#include "migrate/migrate.h"

/* The waves as the report and deploy --wave cut them. */
static const struct core_wave_options wave_options = {
  CORE_WAVE_RATE_MBS, CORE_WAVE_WINDOW_H, CORE_WAVE_SIZE
};

static bool
named (const core_string_vector *only, const char *name)
{
  for (size_t i = 0; i < only->len; i++)
    if (strcmp (only->ptr[i], name) == 0)
      return true;
  return false;
}

int
mig_select (const struct core_plan *plan, const char *plan_file, int64_t wave,
            const core_string_vector *only, mig_pick_vector *out)
{
  CLEANUP_FREE struct core_wave_item *items = NULL;
  size_t n, nwaves;
  bool some = only && only->len > 0;

  out->len = 0;
  if ((items = core_plan_waves (plan, &wave_options, &n, &nwaves)) == NULL)
    return -1;
  if (wave > 0 && (size_t) wave > nwaves) {
    core_error ("--wave: %s has %zu wave%s, there is no wave %lld", plan_file,
                nwaves, nwaves == 1 ? "" : "s", (long long) wave);
    return -1;
  }
  /* Every --only name is a workload the plan moves: a typo would
   * otherwise migrate nothing and say that all is well. */
  for (size_t i = 0; some && i < only->len; i++) {
    const char *name = only->ptr[i];
    size_t k;

    for (k = 0; k < n; k++)
      if (strcmp (plan->workloads.ptr[items[k].w].name, name) == 0)
        break;
    if (k == n) {
      bool known = false;
      for (size_t w = 0; w < plan->workloads.len; w++)
        known |= strcmp (plan->workloads.ptr[w].name, name) == 0;
      core_error ("--only: %s %s '%s'", plan_file,
                  known ? "places on no host the workload" : "has no workload",
                  name);
      return -1;
    }
    if (wave > 0 && items[k].wave != (size_t) wave) {
      core_error ("--only: workload '%s' moves in wave %zu of %s, not in "
                  "--wave %lld", name, items[k].wave, plan_file,
                  (long long) wave);
      return -1;
    }
  }
  for (size_t k = 0; k < n; k++) {
    struct mig_pick p = { items[k].w, items[k].wave };

    if (wave > 0 && items[k].wave != (size_t) wave)
      continue;
    if (some && !named (only, plan->workloads.ptr[p.w].name))
      continue;
    if (mig_pick_vector_append (out, p) == -1) {
      core_error ("out of memory");
      return -1;
    }
  }
  return 0;
}

/* The steps a run carries out (cutover is a command of its own). */
#define LAST_STEP MIG_VERIFY

int
mig_status_rows (const struct core_plan *plan, const mig_pick_vector *picks,
                 const struct mig_journal *j, mig_status_vector *out)
{
  for (size_t i = 0; i < picks->len; i++) {
    const char *name = plan->workloads.ptr[picks->ptr[i].w].name;
    struct mig_status_row row = {
      .workload = name, .wave = picks->ptr[i].wave, .step = "-",
      .state = "not started", .seconds = CORE_UNSET,
    };
    enum mig_step next = mig_next_step (j, name);
    const struct mig_record *last = NULL;
    core_buffer why = { 0 };

    for (int s = 0; s <= LAST_STEP; s++) {
      const struct mig_record *r = mig_journal_record (j, name, s);
      if (r == NULL)
        continue;
      last = r;
      if (r->ended != CORE_UNSET && r->ended >= r->started)
        row.seconds = (row.seconds == CORE_UNSET ? 0 : row.seconds)
          + (r->ended - r->started);
    }
    if (last) {
      row.step = mig_step_names[last->step];
      row.state = mig_state_names[last->state];
    }
    row.verified = next > LAST_STEP;
    if (last && last->state == MIG_FAILED)
      core_buffer_printf (&why, "%s", last->reason ? last->reason : "failed");
    else if (last && last->state == MIG_STARTED)
      core_buffer_printf (&why, "%s did not end (interrupted, or running)",
                          mig_step_names[last->step]);
    else
      for (int s = next; s <= LAST_STEP; s++)
        core_buffer_printf (&why, "%s%s", s == (int) next ? "missing: " : ", ",
                            mig_step_names[s]);
    row.why = core_buffer_take (&why);
    if (row.why == NULL || mig_status_vector_append (out, row) == -1) {
      free (row.why);
      core_error ("out of memory");
      return -1;
    }
  }
  return 0;
}

void
mig_status_free (mig_status_vector *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->len; i++)
    free (v->ptr[i].why);
  free (v->ptr);
  v->ptr = NULL;
  v->len = v->cap = 0;
}
