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

/* ------------------------------------------------------------------ */
/* verify.c: what the converted guest reported on its first boot (the   */
/* facts block its serial console shows, docs/converter.md) against    */
/* the server's profile.  The verify step reads the console with       */
/* dep_console_until (deploy/deploy.h) until MIG_FACTS_END appears,    */
/* then calls mig_facts_parse and mig_verify_facts.                    */

#define MIG_FACTS_BEGIN "P2VKIT-FACTS-BEGIN"  /* followed by " v1" */
#define MIG_FACTS_END "P2VKIT-FACTS-END"

/* A TCP port listening in the guest. */
struct mig_fact_port {
  char *address;                /* "0.0.0.0", "::", "*", "127.0.0.1" */
  int64_t port;
};
DEFINE_VECTOR_TYPE(mig_fact_port_vector, struct mig_fact_port)

/* An address configured in the guest. */
struct mig_fact_addr {
  char *ifname;                 /* "eth0", "Local Area Connection" */
  char *address;                /* without prefix or zone */
  int prefix;                   /* -1: not reported (Windows' IPv6) */
  bool up;                      /* its interface is administratively up */
};
DEFINE_VECTOR_TYPE(mig_fact_addr_vector, struct mig_fact_addr)

struct mig_facts {
  char *os;                     /* "linux", "windows" */
  mig_fact_port_vector listening;
  mig_fact_addr_vector addresses;
};

void mig_facts_init(struct mig_facts *f);
void mig_facts_clear(struct mig_facts *f);
/* The last complete facts block (MIG_FACTS_BEGIN v1 ... MIG_FACTS_END,
 * each at the start of a line) in TEXT, LEN bytes of console output with
 * any noise around and between its lines.  0 with OUT filled; 1 when
 * there is no complete block yet (none, or one cut off: read on); -1
 * with the error set when the block is malformed (another version, no
 * "os" line).  OUT is initialized either way; mig_facts_clear it. */
int mig_facts_parse(const char *text, size_t len, struct mig_facts *out);
/* Compare F with profile P: every TCP service of P.services listening
 * (on any address), and every address of P.hardware.nics configured,
 * with its prefix length when the guest reports one, on an interface
 * that is up.  Each thing missing is appended to MISSING as one line
 * for people ("tcp/5060 (asterisk) not listening", "192.0.2.10/24 (eth0
 * on the server) not configured on an interface that is up").  0 when
 * nothing is missing, 1 when something is, -1 on error.  UDP services
 * are not checked: nothing tells whether a UDP port is served. */
int mig_verify_facts(const struct core_profile *p, const struct mig_facts *f,
                     core_string_vector *missing);

/* ------------------------------------------------------------------ */
/* status.c: which workloads a run takes, and where each one stands.   */

/* A workload a run takes: its index in the plan's workloads and its
 * migration wave (the report's waves, core_plan_waves' defaults). */
struct mig_pick {
  size_t w;
  size_t wave;
};
DEFINE_VECTOR_TYPE(mig_pick_vector, struct mig_pick)

/* The workloads of PLAN (read from PLAN_FILE, for messages) that WAVE (0:
 * every wave) and ONLY (NULL or empty: all) leave in, in the order they
 * move: without either, every workload placed on a host.  A name of ONLY
 * the plan does not place, or outside WAVE, and a wave the plan does not
 * have are errors. */
int mig_select(const struct core_plan *plan, const char *plan_file,
               int64_t wave, const core_string_vector *only,
               mig_pick_vector *out);

/* One row of --status. */
struct mig_status_row {
  const char *workload;
  size_t wave;
  const char *step;             /* the furthest step recorded, or "-" */
  const char *state;            /* started completed failed, or "not started" */
  int64_t seconds;              /* of the steps that ended; CORE_UNSET: none */
  char *why;                    /* failed: its reason; else the steps
                                 * missing ("convert, deploy, verify");
                                 * "" when verified */
  bool verified;
};
DEFINE_VECTOR_TYPE(mig_status_vector, struct mig_status_row)
int mig_status_rows(const struct core_plan *plan, const mig_pick_vector *picks,
                    const struct mig_journal *j, mig_status_vector *out);
void mig_status_free(mig_status_vector *v);

/* ------------------------------------------------------------------ */
/* run.c: carrying the steps out (docs/migrate.md).                    */

struct mig_run_config {
  const char *plan_file;
  const struct core_plan *plan;
  const struct core_sources *sources;   /* checked against the plan */
  const mig_pick_vector *picks;         /* mig_select's */
  const char *work;                     /* the work folder */
  const core_string_vector *uris;       /* "HOST=URI" (--uri) */
  const char *default_uri;              /* NULL: none */
  const char *pool, *pool_path;         /* NULL: deploy's defaults */
  const char *network;                  /* NULL: as converted */
  int64_t jobs;                         /* conversions at once, >= 1 */
  int64_t boot_timeout_s;               /* verify's wait for a login prompt */
  const char *listen;                   /* ADDR:PORT of the receiver of
                                         * ssh captures; NULL: default */
  const char *tls_psk;                  /* its PSK file; NULL: default */
  const core_string_vector *ssh_options;  /* -o options for ssh */
  /* Progress ("NAME: STEP: ..."), notices ("NAME: ...": ITEM_START when a
   * step starts, ITEM_OK and ITEM_FAILED when it ends, INFO for what it
   * says as it goes) and cancellation (stops every job). */
  const struct core_notify *notify;
};

/* The default of --jobs on this machine (docs/migrate.md says why). */
int64_t mig_default_jobs(void);

/* Every problem that would stop a workload before it starts (a host with
 * no URI), one line each in PROBLEMS; returns how many, -1 on error. */
int mig_check(const struct mig_run_config *c, core_string_vector *problems);

/* What a run would do, as INFO notices, one line per workload; J is the
 * journal so far (may be empty).  Changes nothing. */
int mig_describe(const struct mig_run_config *c, const struct mig_journal *j);

/* Run each picked workload from its next step on, recording every step
 * in J (opened in c->work).  Returns how many picked workloads are not
 * verified at the end (0: all are), or -1 with the error set when the
 * run itself could not go on (the journal could not be saved); each
 * workload's failure is a notice, never an error. */
int mig_run(const struct mig_run_config *c, struct mig_journal *j);

#endif /* P2VKIT_MIGRATE_H */
