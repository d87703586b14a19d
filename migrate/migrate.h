/* p2vkit migrate: carrying a plan out, workload by workload.
 *
 * Rules as in core/core.h: nothing here prints or exits; functions return
 * -1 (or NULL) with the error set; every free function accepts NULL;
 * non-static symbols start with mig_.
 *
 * One section per .c file in this folder.
 */
#ifndef P2VKIT_MIGRATE_H
#define P2VKIT_MIGRATE_H

#include <time.h>

#include "core/core.h"

/* ------------------------------------------------------------------ */
/* journal.c: what has been done, per workload and step, kept in       */
/* DIR/journal.yaml (docs/formats.md, "Migration journal").             */

/* The steps of one workload, in the order they run. */
enum mig_step {
  MIG_CAPTURE, MIG_CONVERT, MIG_DEPLOY, MIG_VERIFY, MIG_CUTOVER, MIG_NSTEPS
};
extern const char *const mig_step_names[];   /* capture ... cutover */

enum mig_state { MIG_STARTED, MIG_COMPLETED, MIG_FAILED, MIG_NSTATES };
extern const char *const mig_state_names[];  /* started completed failed */

/* A file a step made: its size and SHA-256 (64 hex digits). */
struct mig_output {
  char *path;
  int64_t bytes;
  char *sha256;
};
DEFINE_VECTOR_TYPE(mig_output_vector, struct mig_output)

/* The last attempt at one step of one workload. */
struct mig_record {
  enum mig_step step;
  enum mig_state state;
  int64_t attempts;             /* 1 the first time */
  int64_t started;              /* seconds since the epoch, UTC */
  int64_t ended;                /* CORE_UNSET while started */
  char *reason;                 /* failed: why */
  mig_output_vector outputs;    /* completed: what it made */
};
DEFINE_VECTOR_TYPE(mig_record_vector, struct mig_record)

struct mig_workload {
  char *name;
  mig_record_vector steps;      /* in step order, each at most once */
};
DEFINE_VECTOR_TYPE(mig_workload_vector, struct mig_workload)

struct mig_journal {
  char *path;                   /* where it is saved */
  mig_workload_vector workloads;
  bool end;                     /* true: the file's last key */
};
#define CLEANUP_FREE_JOURNAL __attribute__((cleanup(mig_journal_clear)))
extern const struct core_table mig_journal_table;

/* The journal's file in work folder DIR. */
#define MIG_JOURNAL_FILE "journal.yaml"

void mig_journal_init(struct mig_journal *j);
void mig_journal_clear(struct mig_journal *j);
/* Strict, as every reader: FILE:LINE:COL errors, and a journal whose
 * records contradict one another (a step after an unfinished one, a
 * completed step with a reason) is refused. */
int mig_journal_parse(const char *name, const char *buf, size_t len,
                      struct mig_journal *out);
/* DIR/journal.yaml, or an empty journal when DIR has none yet; either
 * way it is saved there. */
int mig_journal_open(const char *dir, struct mig_journal *out);
int mig_journal_write(FILE *fp, const struct mig_journal *j);
/* Written whole or not at all (core_write_atomic). */
int mig_journal_save(const struct mig_journal *j);
bool mig_journal_equal(const struct mig_journal *a,
                       const struct mig_journal *b);

/* Each records the step of WORKLOAD at time NOW and saves the journal;
 * on error the journal in memory is as before.  A step may start only
 * when every step before it completed and it did not; starting a failed
 * or interrupted (started) step again counts one more attempt. */
int mig_step_start(struct mig_journal *j, const char *workload,
                   enum mig_step step, time_t now);
/* The step must be started.  OUTPUTS (N of them, copied) say what it
 * made. */
int mig_step_complete(struct mig_journal *j, const char *workload,
                      enum mig_step step, time_t now,
                      const struct mig_output *outputs, size_t n);
int mig_step_fail(struct mig_journal *j, const char *workload,
                  enum mig_step step, time_t now, const char *reason);

/* The record of STEP of WORKLOAD, or NULL when it never started. */
const struct mig_record *mig_journal_record(const struct mig_journal *j,
                                            const char *workload,
                                            enum mig_step step);
/* The first step of WORKLOAD that has not completed (MIG_NSTEPS when
 * every one has): where a run resumes. */
enum mig_step mig_next_step(const struct mig_journal *j, const char *workload);

/* ------------------------------------------------------------------ */
/* ssh.c: the capture step of a running server reached over OpenSSH:   */
/* a receiver runs here (p2vkit receive --once, TLS with a key made    */
/* for the run), the static capture program is copied to the server    */
/* over ssh into a private temporary folder (removed afterwards) and   */
/* runs there, sending the server's disks to the receiver.              */

struct mig_ssh_capture {
  const char *name;             /* the capture's (and workload's) name */
  const char *ssh;              /* USER@HOST */
  int port;                     /* ssh's port; 0: 22 */
  const core_string_vector *disks;  /* devices on the server; must not be
                                     * empty: the caller picks them */
  const char *dir;              /* the receiver's folder: DIR/NAME */
  const char *listen;           /* ADDR:PORT the receiver listens on;
                                 * port 0: any free one */
  const char *connect_to;       /* HOST[:PORT] the server connects to
                                 * (an address: the static program has no
                                 * name lookup); NULL: the address the
                                 * server sees the ssh connection come
                                 * from, and the receiver's port */
  const char *psk_file;         /* NULL: a key made under DIR for this run,
                                 * removed afterwards */
  bool live;                    /* capture --live */
  bool resume;                  /* capture --resume */
  bool used_only;               /* capture --used-only */
  const struct core_notify *notify;  /* the capture's and receiver's lines
                                      * as notices; progress; cancel */
  /* Optional: */
  const char *program;          /* the p2vkit that runs receive; NULL:
                                 * this program */
  const char *capture_program;  /* the static p2vkit-capture to copy; NULL:
                                 * $P2VKIT_CAPTURE, beside PROGRAM, or the
                                 * installed one */
  const char *ssh_program;      /* NULL: "ssh" */
  const core_string_vector *ssh_options;  /* more "-o" options */
};

/* Runs the capture to its end.  IMAGES gets DIR/NAME/disk0.qcow2 ...,
 * one per disk, in order.  On failure (the error says why; what the
 * receiver confirmed is kept, so that a call with RESUME continues) and
 * on cancellation the capture on the server and the receiver are
 * stopped. */
int mig_ssh_capture(const struct mig_ssh_capture *o,
                    core_string_vector *images);

#endif /* P2VKIT_MIGRATE_H */
