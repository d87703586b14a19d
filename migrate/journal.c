/* The migration journal: per workload, the last attempt at each step
 * (docs/formats.md, "Migration journal").  It is rewritten whole after
 * every change (core_write_atomic), so a crash leaves the journal as it
 * was before the change or after it, never between; reading it back is
 * as strict as every other reader, since a run decides from it what not
 * to do again.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "migrate/migrate.h"

#define fail core_yaml_fail
#define subpath core_yaml_subpath
#define value_of core_yaml_value_of

#define FIELD(st, m, t, ...) \
  { .key = #m, .type = CORE_FIELD_##t, .offset = offsetof (st, m), __VA_ARGS__ }
#define REQ .required = true

const char *const mig_step_names[] = {
  "capture", "convert", "deploy", "verify", "cutover", NULL
};
_Static_assert (sizeof mig_step_names / sizeof mig_step_names[0]
                == MIG_NSTEPS + 1, "a name per step");
const char *const mig_state_names[] = {
  "started", "completed", "failed", NULL
};
_Static_assert (sizeof mig_state_names / sizeof mig_state_names[0]
                == MIG_NSTATES + 1, "a name per state");
_Static_assert (sizeof (enum mig_step) == sizeof (int)
                && sizeof (enum mig_state) == sizeof (int),
                "enums are read through an int");

/* Reader ------------------------------------------------------------ */

static bool
is_sha256 (const char *s)
{
  size_t n = strspn (s, "0123456789abcdef");

  return n == 64 && s[n] == '\0';
}

static int
check_sha256 (struct core_reader *r, const struct core_field *f,
              yaml_node_t *v, const char *path, void *obj)
{
  const char *s = *(char **) ((char *) obj + f->offset);

  if (!is_sha256 (s))
    return fail (r, v, "%s: expected 64 lowercase hex digits, got '%.80s'",
                 path, s);
  return 0;
}

#define S struct mig_output
static const struct core_field output_fields[] = {
  FIELD (S, path, STRING, REQ),
  FIELD (S, bytes, INT, .max = CORE_FIELD_INT_MAX, REQ, .unit = "bytes"),
  FIELD (S, sha256, STRING, REQ, .hook = check_sha256),
};
static const struct core_table output_table =
  CORE_TABLE_FLOW ("workloads[].steps[].outputs[]", S, output_fields, NULL);
#undef S

/* What each state implies about the other keys. */
static int
check_record (struct core_reader *r, yaml_node_t *map, const char *path,
              void *obj, uint64_t seen)
{
  struct mig_record *rec = obj;
  const char *state = mig_state_names[rec->state];
  char p[256];

  (void) seen;
  if (rec->state == MIG_STARTED && rec->ended != CORE_UNSET) {
    subpath (p, sizeof p, path, "ended");
    return fail (r, value_of (r, map, "ended"), "%s: a started step has not "
                 "ended", p);
  }
  if (rec->state != MIG_STARTED && rec->ended == CORE_UNSET)
    return fail (r, map, "%s: a %s step needs 'ended'", path, state);
  if (rec->ended != CORE_UNSET && rec->ended < rec->started) {
    subpath (p, sizeof p, path, "ended");
    return fail (r, value_of (r, map, "ended"), "%s: %lld is before started "
                 "(%lld)", p, (long long) rec->ended,
                 (long long) rec->started);
  }
  if (rec->state == MIG_FAILED && rec->reason == NULL)
    return fail (r, map, "%s: a failed step needs 'reason'", path);
  if (rec->state != MIG_FAILED && rec->reason) {
    subpath (p, sizeof p, path, "reason");
    return fail (r, value_of (r, map, "reason"), "%s: only a failed step "
                 "has a reason, and this one is %s", p, state);
  }
  if (rec->state != MIG_COMPLETED && rec->outputs.len) {
    subpath (p, sizeof p, path, "outputs");
    return fail (r, value_of (r, map, "outputs"), "%s: only a completed "
                 "step has outputs, and this one is %s", p, state);
  }
  return 0;
}

#define S struct mig_record
static const struct core_field record_fields[] = {
  FIELD (S, step, ENUM, .names = mig_step_names, REQ),
  FIELD (S, state, ENUM, .names = mig_state_names, REQ),
  FIELD (S, attempts, INT, .min = 1, .max = CORE_FIELD_INT_MAX, REQ),
  FIELD (S, started, INT, .max = CORE_FIELD_INT_MAX, REQ, .unit = "s"),
  FIELD (S, ended, INT, .max = CORE_FIELD_INT_MAX, .dflt = CORE_UNSET,
         .unit = "s"),
  FIELD (S, reason, STRING),
  FIELD (S, outputs, VECTOR, .sub = &output_table),
};
static const struct core_table record_table =
  CORE_TABLE ("workloads[].steps[]", S, record_fields, check_record);
#undef S

/* Steps run in order, each once, and one starts only when the one before
 * it completed. */
static int
step_in_order (struct core_reader *r, yaml_node_t *item, const char *path,
               const void *items, size_t n)
{
  const struct mig_record *rec = items;

  if (n == 0 && rec[0].step != MIG_CAPTURE)
    return fail (r, value_of (r, item, "step"), "%s: %s before %s", path,
                 mig_step_names[rec[0].step], mig_step_names[MIG_CAPTURE]);
  if (n == 0)
    return 0;
  if (rec[n].step != rec[n - 1].step + 1)
    return fail (r, value_of (r, item, "step"), "%s: %s after %s (the steps "
                 "are %s, %s, %s, %s, %s, in that order, each once)", path,
                 mig_step_names[rec[n].step], mig_step_names[rec[n - 1].step],
                 mig_step_names[0], mig_step_names[1], mig_step_names[2],
                 mig_step_names[3], mig_step_names[4]);
  if (rec[n - 1].state != MIG_COMPLETED)
    return fail (r, value_of (r, item, "step"), "%s: %s, but %s before it "
                 "is %s, not completed", path, mig_step_names[rec[n].step],
                 mig_step_names[rec[n - 1].step],
                 mig_state_names[rec[n - 1].state]);
  return 0;
}

#define S struct mig_workload
static const struct core_field workload_fields[] = {
  FIELD (S, name, NAME, REQ),
  FIELD (S, steps, VECTOR, .sub = &record_table, REQ, .each = step_in_order),
};
static const struct core_table workload_table =
  CORE_TABLE ("workloads[]", S, workload_fields, NULL);
#undef S

static int
unique_workload (struct core_reader *r, yaml_node_t *item, const char *path,
                 const void *items, size_t n)
{
  const struct mig_workload *w = items;

  if (core_schema_same_before (items, n, sizeof *w,
                               offsetof (struct mig_workload, name)) >= 0)
    return fail (r, value_of (r, item, "name"), "%s: workload '%s' is "
                 "listed twice", path, w[n].name);
  return 0;
}

/* Written last, so that a journal cut short is never taken for a
 * shorter one. */
static int
check_end (struct core_reader *r, const struct core_field *f,
           yaml_node_t *v, const char *path, void *obj)
{
  if (!*(bool *) ((char *) obj + f->offset))
    return fail (r, v, "%s: must be true (the journal's last line)", path);
  return 0;
}

#define S struct mig_journal
static const struct core_field journal_fields[] = {
  { .key = "schema", .type = CORE_FIELD_SKIP, REQ },
  FIELD (S, workloads, VECTOR, .sub = &workload_table, REQ,
         .each = unique_workload),
  FIELD (S, end, BOOL, REQ, .hook = check_end),
};
const struct core_table mig_journal_table =
  CORE_TABLE ("", S, journal_fields, NULL);
#undef S

void
mig_journal_init (struct mig_journal *j)
{
  memset (j, 0, sizeof *j);
  j->end = true;
}

void
mig_journal_clear (struct mig_journal *j)
{
  if (j == NULL)
    return;
  free (j->path);
  core_schema_free (&mig_journal_table, j);
  mig_journal_init (j);
}

int
mig_journal_parse (const char *name, const char *buf, size_t len,
                   struct mig_journal *out)
{
  mig_journal_init (out);
  if (core_yaml_parse_top (name, buf, len, CORE_FILE_JOURNAL,
                           &mig_journal_table, out) == -1) {
    mig_journal_clear (out);
    return -1;
  }
  return 0;
}

int
mig_journal_open (const char *dir, struct mig_journal *out)
{
  CLEANUP_FREE char *path = NULL, *buf = NULL;
  struct stat st;
  size_t len;

  mig_journal_init (out);
  if ((path = core_sprintf ("%s/%s", dir, MIG_JOURNAL_FILE)) == NULL)
    return -1;
  if (stat (dir, &st) == -1) {
    core_error ("%s: %s", dir, strerror (errno));
    return -1;
  }
  if (!S_ISDIR (st.st_mode)) {
    core_error ("%s: not a folder", dir);
    return -1;
  }
  if (stat (path, &st) == -1 && errno == ENOENT) {
    out->path = path;
    path = NULL;
    return 0;
  }
  if ((buf = core_read_input (path, &len)) == NULL
      || mig_journal_parse (path, buf, len, out) == -1)
    return -1;
  out->path = path;
  path = NULL;
  return 0;
}

/* Writer ------------------------------------------------------------ */

int
mig_journal_write (FILE *fp, const struct mig_journal *j)
{
  return core_yaml_write_top (fp, CORE_SCHEMA_JOURNAL, &mig_journal_table, j);
}

static int
write_cb (FILE *fp, void *opaque)
{
  return mig_journal_write (fp, opaque);
}

int
mig_journal_save (const struct mig_journal *j)
{
  if (j->path == NULL) {
    core_error ("the journal has no file to be saved in");
    return -1;
  }
  return core_write_atomic (j->path, write_cb, (void *) j);
}

bool
mig_journal_equal (const struct mig_journal *a, const struct mig_journal *b)
{
  return core_schema_equal (&mig_journal_table, a, b);
}

/* Records ----------------------------------------------------------- */

static struct mig_workload *
find_workload (const struct mig_journal *j, const char *name)
{
  for (size_t i = 0; i < j->workloads.len; i++)
    if (strcmp (j->workloads.ptr[i].name, name) == 0)
      return &j->workloads.ptr[i];
  return NULL;
}

const struct mig_record *
mig_journal_record (const struct mig_journal *j, const char *workload,
                    enum mig_step step)
{
  const struct mig_workload *w = find_workload (j, workload);

  for (size_t i = 0; w && i < w->steps.len; i++)
    if (w->steps.ptr[i].step == step)
      return &w->steps.ptr[i];
  return NULL;
}

enum mig_step
mig_next_step (const struct mig_journal *j, const char *workload)
{
  const struct mig_workload *w = find_workload (j, workload);
  size_t i = 0;

  /* The records are the steps in order (the reader and mig_step_start
   * keep them so): the first one not completed, or the one after. */
  while (w && i < w->steps.len && w->steps.ptr[i].state == MIG_COMPLETED)
    i++;
  return (enum mig_step) i;
}

static int
bad_step (const char *workload, enum mig_step step)
{
  if (workload == NULL || (unsigned) step >= MIG_NSTEPS) {
    core_error ("journal: no such workload or step");
    return -1;
  }
  return 0;
}

int
mig_step_start (struct mig_journal *j, const char *workload,
                enum mig_step step, time_t now)
{
  struct mig_workload *w;
  struct mig_record *rec, old;
  enum mig_step next;
  bool new_workload = false;

  if (bad_step (workload, step) == -1)
    return -1;
  next = mig_next_step (j, workload);
  if (step > next) {
    core_error ("%s: %s of %s cannot start: %s has not completed", j->path,
                mig_step_names[step], workload, mig_step_names[next]);
    return -1;
  }
  if (step < next) {
    core_error ("%s: %s of %s has completed already", j->path,
                mig_step_names[step], workload);
    return -1;
  }
  if ((w = find_workload (j, workload)) == NULL) {
    struct mig_workload nw = { .name = core_strdup (workload) };

    if (nw.name == NULL || mig_workload_vector_append (&j->workloads, nw) == -1) {
      free (nw.name);
      core_error ("out of memory");
      return -1;
    }
    w = &j->workloads.ptr[j->workloads.len - 1];
    new_workload = true;
  }
  if ((size_t) step < w->steps.len) {
    /* A failed or interrupted attempt: this is the next one. */
    rec = &w->steps.ptr[step];
    old = *rec;
    rec->state = MIG_STARTED;
    rec->attempts++;
    rec->started = now;
    rec->ended = CORE_UNSET;
    rec->reason = NULL;
    if (mig_journal_save (j) == -1) {
      *rec = old;
      return -1;
    }
    free (old.reason);
    return 0;
  }
  if (mig_record_vector_append (&w->steps, (struct mig_record) {
        .step = step, .state = MIG_STARTED, .attempts = 1, .started = now,
        .ended = CORE_UNSET }) == -1) {
    core_error ("out of memory");
  }
  else if (mig_journal_save (j) == 0)
    return 0;
  else
    w->steps.len--;
  if (new_workload) {
    mig_record_vector_reset (&w->steps);
    free (w->name);
    j->workloads.len--;
  }
  return -1;
}

/* The started record of STEP of WORKLOAD, or NULL with the error set. */
static struct mig_record *
started_record (struct mig_journal *j, const char *workload,
                enum mig_step step)
{
  struct mig_record *rec;

  if (bad_step (workload, step) == -1)
    return NULL;
  rec = (struct mig_record *) mig_journal_record (j, workload, step);
  if (rec == NULL || rec->state != MIG_STARTED) {
    core_error ("%s: %s of %s has not started", j->path,
                mig_step_names[step], workload);
    return NULL;
  }
  return rec;
}

static void
free_outputs (mig_output_vector *v)
{
  for (size_t i = 0; i < v->len; i++) {
    free (v->ptr[i].path);
    free (v->ptr[i].sha256);
  }
  mig_output_vector_reset (v);
}

int
mig_step_complete (struct mig_journal *j, const char *workload,
                   enum mig_step step, time_t now,
                   const struct mig_output *outputs, size_t n)
{
  struct mig_record *rec = started_record (j, workload, step);
  mig_output_vector outs = { 0 };

  if (rec == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    struct mig_output o = { core_strdup (outputs[i].path), outputs[i].bytes,
                            core_strdup (outputs[i].sha256) };

    if (outputs[i].path == NULL || outputs[i].sha256 == NULL
        || !is_sha256 (outputs[i].sha256) || outputs[i].bytes < 0) {
      free (o.path);
      free (o.sha256);
      free_outputs (&outs);
      core_error ("%s: output %zu of %s of %s: a path, a size and a SHA-256 "
                  "are needed", j->path, i, mig_step_names[step], workload);
      return -1;
    }
    if (o.path == NULL || o.sha256 == NULL
        || mig_output_vector_append (&outs, o) == -1) {
      free (o.path);
      free (o.sha256);
      free_outputs (&outs);
      core_error ("out of memory");
      return -1;
    }
  }
  rec->state = MIG_COMPLETED;
  rec->ended = now < rec->started ? rec->started : now;
  rec->outputs = outs;
  if (mig_journal_save (j) == -1) {
    rec->state = MIG_STARTED;
    rec->ended = CORE_UNSET;
    rec->outputs = (mig_output_vector) { 0 };
    free_outputs (&outs);
    return -1;
  }
  return 0;
}

int
mig_step_fail (struct mig_journal *j, const char *workload,
               enum mig_step step, time_t now, const char *reason)
{
  struct mig_record *rec = started_record (j, workload, step);
  char *why;

  if (rec == NULL)
    return -1;
  if ((why = core_strdup (reason && reason[0] ? reason : "unknown")) == NULL)
    return -1;
  rec->state = MIG_FAILED;
  rec->ended = now < rec->started ? rec->started : now;
  rec->reason = why;
  if (mig_journal_save (j) == -1) {
    rec->state = MIG_STARTED;
    rec->ended = CORE_UNSET;
    rec->reason = NULL;
    free (why);
    return -1;
  }
  return 0;
}
