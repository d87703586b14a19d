/* migrate: carry a plan's workloads through capture, convert, deploy and
 * verify, each step recorded in the journal (docs/migrate.md).
 *
 * Each step runs in a child process of its own (fork, no exec), and this
 * process only schedules, journals and relays progress.  Why not threads:
 * a conversion cannot be stopped part way from outside (conv_run never
 * asks whether to stop, and its libguestfs appliance and qemu-img run as
 * children of the process that called it), but a child in a process group
 * of its own is stopped whole with one kill; libguestfs and libvirt keep
 * per-process state that is simplest to keep apart that way too; and the
 * journal has a single writer, this process, so no locking.  A child tells
 * its parent what happens through a pipe, one line per event (see
 * "Protocol" below), and ends with 0 (done) or 1 (failed).
 *
 * The child dies with its parent (PR_SET_PDEATHSIG): a migrate that is
 * killed leaves no step running behind it, and the journal shows the
 * step as started, which the next run tries again (a convert's leftovers
 * are removed first). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "migrate/migrate.h"
#include "converter/converter.h"
#include "deploy/deploy.h"

/* Protocol, child to parent, one line each ('\n' in texts turned into
 * spaces):
 *   S TOTAL WHAT          progress starts
 *   P DONE SENT TOTAL     progress
 *   E DONE SENT OUTCOME   progress ends
 *   N TEXT                a notice
 *   O BYTES SHA256 PATH   an output the step made
 *   X TEXT                why the step failed */

/* --jobs: a conversion runs a libguestfs appliance (about 1.3 GiB with
 * qemu-img beside it) that keeps about one core busy. */
#define JOB_MEMORY_MIB 1536

/* MiB of memory available (MemAvailable: free memory and what the page
 * cache would give back), or -1. */
static int64_t
available_mib (void)
{
  FILE *fp = fopen ("/proc/meminfo", "re");
  char line[256];
  int64_t kib = -1;

  if (fp == NULL)
    return -1;
  while (fgets (line, sizeof line, fp))
    if (strncmp (line, "MemAvailable:", 13) == 0) {
      char *p = line + 13, *end;
      while (*p == ' ')
        p++;
      end = strchr (p, ' ');
      if (end)
        *end = '\0';
      if (core_parse_int64 (p, "MemAvailable", 0, INT64_MAX / 2, &kib) == -1)
        kib = -1;
      break;
    }
  fclose (fp);
  return kib < 0 ? -1 : kib / 1024;
}

int64_t
mig_default_jobs (void)
{
  long cores = sysconf (_SC_NPROCESSORS_ONLN);
  int64_t mib = available_mib (), by_mem, jobs;

  if (cores < 1)
    cores = 1;
  if (mib < 0) {
    long pages = sysconf (_SC_AVPHYS_PAGES), psize = sysconf (_SC_PAGESIZE);
    mib = pages > 0 && psize > 0 ? (int64_t) pages / (1048576 / psize) : 0;
  }
  by_mem = mib / JOB_MEMORY_MIB;
  jobs = cores < by_mem ? cores : by_mem;
  return jobs < 1 ? 1 : jobs;
}

/* The URI of plan host HOST: its --uri, else --default-uri, else NULL. */
static const char *
uri_of (const struct mig_run_config *c, const char *host)
{
  size_t n = strlen (host);

  for (size_t i = 0; c->uris && i < c->uris->len; i++) {
    const char *s = c->uris->ptr[i];
    if (strncmp (s, host, n) == 0 && s[n] == '=')
      return s + n + 1;
  }
  return c->default_uri;
}

static const struct core_plan_workload *
workload_of (const struct mig_run_config *c, size_t i)
{
  return &c->plan->workloads.ptr[c->picks->ptr[i].w];
}

int
mig_check (const struct mig_run_config *c, core_string_vector *problems)
{
  int n = 0;

  for (size_t i = 0; i < c->picks->len; i++) {
    const struct core_plan_workload *pw = workload_of (c, i);
    const struct core_source *src = core_sources_find (c->sources, pw->name);

    if (src == NULL) {
      if (core_string_vector_printf (problems, "%s: %s has no source",
                                     c->sources->source, pw->name) == -1)
        return -1;
      n++;
    }
    if (uri_of (c, pw->host) == NULL) {
      if (core_string_vector_printf (problems, "%s: host %s has no libvirt URI "
                                     "(--uri %s=URI or --default-uri URI)",
                                     pw->name, pw->host, pw->host) == -1)
        return -1;
      n++;
    }
  }
  return n;
}

static const char *
mode_name (const struct core_plan_workload *pw)
{
  return pw->mode == CORE_MODE_PARAVIRT ? "paravirt" : "full";
}

int
mig_describe (const struct mig_run_config *c, const struct mig_journal *j)
{
  for (size_t i = 0; i < c->picks->len; i++) {
    const struct core_plan_workload *pw = workload_of (c, i);
    const struct core_source *src = core_sources_find (c->sources, pw->name);
    enum mig_step next = mig_next_step (j, pw->name);
    core_buffer b = { 0 };
    CLEANUP_FREE char *line = NULL;

    core_buffer_printf (&b, "%s: wave %zu, %s, %u vCPU, %lld MiB, host %s, %s; ",
                        pw->name, c->picks->ptr[i].wave, mode_name (pw),
                        (unsigned) pw->vcpus, (long long) pw->memory_mib,
                        pw->host, uri_of (c, pw->host));
    if (next > MIG_VERIFY)
      core_buffer_printf (&b, "verified already, nothing to do");
    else {
      for (int s = next; s <= MIG_VERIFY; s++)
        core_buffer_printf (&b, "%s%s", s == (int) next ? "" : " -> ",
                            mig_step_names[s]);
      if (next == MIG_CAPTURE && src && src->ssh)
        core_buffer_printf (&b, " (capture over SSH from %s port %lld)",
                            src->ssh, (long long) src->port);
      else if (next == MIG_CAPTURE && src)
        core_buffer_printf (&b, " (capture: %zu image%s)", src->images.len,
                            src->images.len == 1 ? "" : "s");
      if (next > MIG_CAPTURE)
        core_buffer_printf (&b, " (resumes at %s)", mig_step_names[next]);
    }
    if ((line = core_buffer_take (&b)) == NULL)
      return -1;
    core_notice (c->notify, CORE_NOTICE_INFO, "%s", line);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* In the child: each step, reporting through the pipe.                */

static int child_fd = -1;
static volatile sig_atomic_t child_stop;

static void
say (const char *fmt, ...)
{
  char line[4096];
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (line, sizeof line - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t) n > sizeof line - 2)
    n = sizeof line - 2;
  for (int i = 0; i < n; i++)
    if (line[i] == '\n' || line[i] == '\r')
      line[i] = ' ';
  line[n++] = '\n';
  if (write (child_fd, line, n) < 0) {
    /* The parent is gone; PR_SET_PDEATHSIG ends us. */
  }
}

static void
ch_start (void *o, const char *what, uint64_t total)
{
  (void) o;
  say ("S %llu %s", (unsigned long long) total, what);
}

static void
ch_progress (void *o, const char *what, uint64_t done, uint64_t sent, uint64_t total)
{
  static double last;
  double now = core_monotonic ();

  (void) o; (void) what;
  /* A few lines a second are plenty for a progress line. */
  if (done < total && now - last < 0.25)
    return;
  last = now;
  say ("P %llu %llu %llu", (unsigned long long) done, (unsigned long long) sent,
       (unsigned long long) total);
}

static void
ch_end (void *o, const char *outcome, uint64_t done, uint64_t sent)
{
  (void) o;
  say ("E %llu %llu %s", (unsigned long long) done, (unsigned long long) sent, outcome);
}

static void
ch_notice (void *o, enum core_notice kind, const char *msg)
{
  (void) o;
  say ("N %s%s", kind == CORE_NOTICE_WARNING ? "warning: " : "", msg);
}

static bool
ch_cancelled (void *o)
{
  (void) o;
  return child_stop;
}

static const struct core_notify child_notify = {
  .progress_start = ch_start, .progress = ch_progress, .progress_end = ch_end,
  .notice = ch_notice, .cancelled = ch_cancelled,
};

/* PATH's size and SHA-256, read only (a source image is never written),
 * as an O line. */
static int
hash_output (const char *path, const char *label)
{
  gnutls_hash_hd_t h;
  static unsigned char buf[1 << 20];
  unsigned char digest[32];
  char hex[65];
  struct stat st;
  uint64_t done = 0;
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd == -1 || fstat (fd, &st) == -1) {
    core_error_errno ("%s", path);
    if (fd != -1)
      close (fd);
    return -1;
  }
  if (!S_ISREG (st.st_mode) && !S_ISBLK (st.st_mode)) {
    core_error ("%s: not a file or a block device", path);
    close (fd);
    return -1;
  }
  if (gnutls_hash_init (&h, GNUTLS_DIG_SHA256) < 0) {
    core_error ("%s: SHA-256 is not available", path);
    close (fd);
    return -1;
  }
  if (label)
    core_notify_start (&child_notify, label, st.st_size);
  while ((n = read (fd, buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR && !child_stop)
        continue;
      core_error_errno ("%s", path);
      break;
    }
    gnutls_hash (h, buf, n);
    done += n;
    if (label)
      core_notify_progress (&child_notify, label, done, done, st.st_size);
    if (child_stop) {
      core_error ("%s: interrupted", path);
      n = -1;
      break;
    }
  }
  close (fd);
  gnutls_hash_deinit (h, digest);
  if (label)
    core_notify_end (&child_notify, n == 0 ? "done" : "failed", done, done);
  if (n != 0)
    return -1;
  for (int i = 0; i < 32; i++)
    snprintf (hex + 2 * i, 3, "%02x", digest[i]);
  say ("O %llu %s %s", (unsigned long long) done, hex, path);
  return 0;
}

/* Capture from images: each is read whole once, for its size and
 * checksum in the journal; convert reads them where they are. */
static int
capture_images (const char *name, const struct core_source *src)
{
  for (size_t i = 0; i < src->images.len; i++) {
    CLEANUP_FREE char *label = core_sprintf ("checking %s", src->images.ptr[i]);
    if (hash_output (src->images.ptr[i], label) == -1) {
      const char *e = core_errmsg ();
      core_error ("%s: capture: %s", name, e);
      return -1;
    }
  }
  return 0;
}

/* Where an ssh source's capture lands: WORK/captures/NAME (the
 * receiver's folder is WORK/captures). */
static char *
captures_dir (const struct mig_run_config *c)
{
  return core_sprintf ("%s/captures", c->work);
}

/* The images an ssh source's capture made, in disk order, into IMAGES. */
static int
captured_images (const struct mig_run_config *c, const char *name,
                 core_string_vector *images)
{
  for (size_t i = 0; ; i++) {
    CLEANUP_FREE char *path = core_sprintf ("%s/captures/%s/disk%zu.qcow2",
                                            c->work, name, i);
    if (path == NULL)
      return -1;
    if (access (path, R_OK) == -1)
      break;
    if (core_string_vector_printf (images, "%s", path) == -1)
      return -1;
  }
  if (images->len == 0) {
    core_error ("%s: no captured image in %s/captures/%s", name, c->work, name);
    return -1;
  }
  return 0;
}

/* Capture over SSH: the running server's disks streamed to a receiver
 * this program runs (c->listen, c->tls_psk), resuming what an earlier
 * attempt confirmed.  The server is running, so the capture is --live
 * (a copy, then a last pass over what changed with its filesystems
 * frozen); unused blocks of ext2/3/4 and swap are not sent. */
static int
capture_ssh (const struct mig_run_config *c, const struct core_plan_workload *pw,
             const struct core_source *src)
{
  CLEANUP_FREE char *dir = captures_dir (c);
  core_string_vector images = { 0 };
  struct mig_ssh_capture o = {
    .name = pw->name, .ssh = src->ssh,
    .port = src->port > 0 ? (int) src->port : 0,
    .disks = src->disks.len ? &src->disks : &pw->server.disks,
    .dir = dir, .listen = c->listen ? c->listen : "0.0.0.0:0",
    .psk_file = c->tls_psk, .live = true, .resume = true, .used_only = true,
    .ssh_options = c->ssh_options,
    .notify = &child_notify,
  };
  int ret = -1;

  if (dir == NULL)
    return -1;
  if (mkdir (dir, 0700) == -1 && errno != EEXIST) {
    core_error_errno ("%s: capture: %s", pw->name, dir);
    return -1;
  }
  if (o.disks->len == 0) {
    core_error ("%s: capture: no disks: the sources file names none and the "
                "plan knows none of the server", pw->name);
    return -1;
  }
  if (mig_ssh_capture (&o, &images) == -1) {
    const char *e = core_errmsg ();
    core_error ("%s: capture: %s", pw->name, e);
    goto out;
  }
  for (size_t i = 0; i < images.len; i++)
    if (hash_output (images.ptr[i], NULL) == -1)
      goto out;
  ret = 0;
 out:
  core_string_vector_free (&images);
  return ret;
}

/* The folder of a workload's converted images: WORK/NAME. */
static char *
out_dir (const struct mig_run_config *c, const char *name)
{
  return core_sprintf ("%s/%s", c->work, name);
}

static int
convert_step (const struct mig_run_config *c, const struct core_plan_workload *pw,
              const struct core_source *src)
{
  CLEANUP_FREE char *dir = out_dir (c, pw->name);
  struct conv_options o = {
    .name = pw->name, .sources = src->images.ptr, .nsources = src->images.len,
    .outdir = dir, .format = "qcow2",
    .mode = pw->mode == CORE_MODE_PARAVIRT ? CONV_MODE_PARAVIRT : CONV_MODE_FULL,
    .vcpus = pw->vcpus > 0 ? pw->vcpus : CORE_UNSET,
    .memory_mib = pw->memory_mib > 0 ? pw->memory_mib : CORE_UNSET,
    /* What a run before this one left is half-made: replace it. */
    .force = true, .notify = &child_notify,
  };
  struct conv_report report;
  core_string_vector captured = { 0 };
  int ret = -1;

  if (dir == NULL)
    return -1;
  if (src->ssh) {
    if (captured_images (c, pw->name, &captured) == -1)
      return -1;
    o.sources = captured.ptr;
    o.nsources = captured.len;
  }
  if (mkdir (dir, 0777) == -1 && errno != EEXIST) {
    core_error_errno ("%s", dir);
    return -1;
  }
  conv_report_init (&report);
  if (conv_run (&o, &report) == -1) {
    const char *e = core_errmsg ();
    core_error ("%s: convert: %s", pw->name, e);
    goto out;
  }
  for (size_t i = 0; i < report.disks.len; i++)
    if (hash_output (report.disks.ptr[i].path, NULL) == -1)
      goto out;
  {
    CLEANUP_FREE char *xml = core_sprintf ("%s/%s.xml", dir, pw->name);
    CLEANUP_FREE char *rep = core_sprintf ("%s/%s.report.yaml", dir, pw->name);
    if (xml == NULL || rep == NULL || hash_output (xml, NULL) == -1
        || hash_output (rep, NULL) == -1)
      goto out;
  }
  ret = 0;
 out:
  conv_report_clear (&report);
  core_string_vector_free (&captured);
  return ret;
}

/* A deploy run of workload NAME alone, as `deploy --only NAME --start`
 * would make it. */
static struct dep_run *
dep_run_of (const struct mig_run_config *c, const struct core_plan_workload *pw,
            struct dep_options *o, core_string_vector *only)
{
  o->plan_file = c->plan_file;
  o->images_dir = c->work;
  o->default_uri = c->default_uri;
  o->default_pool = c->pool;
  o->default_pool_path = c->pool_path;
  o->network = c->network;
  o->start = true;
  o->boot_timeout_s = c->boot_timeout_s;
  for (size_t i = 0; c->uris && i < c->uris->len; i++)
    if (dep_map_add (&o->uris, "--uri", c->uris->ptr[i]) == -1)
      return NULL;
  if (core_string_vector_printf (only, "%s", pw->name) == -1)
    return NULL;
  o->only = only;
  return dep_run_new (c->plan, o, &child_notify);
}

/* dep_check's problems as one line. */
static void
problems_error (const char *name, const char *step, core_string_vector *problems)
{
  core_buffer b = { 0 };
  CLEANUP_FREE char *s = NULL;

  if (problems->len == 0) {
    const char *e = core_errmsg ();
    core_error ("%s: %s: %s", name, step, e);
    return;
  }
  for (size_t i = 0; i < problems->len; i++)
    core_buffer_printf (&b, "%s%s", i ? "; " : "", problems->ptr[i]);
  s = core_buffer_take (&b);
  core_error ("%s: %s: %s", name, step, s ? s : "problems found");
}

static int
deploy_step (const struct mig_run_config *c, const struct core_plan_workload *pw)
{
  struct dep_options o = { 0 };
  core_string_vector only = { 0 }, problems = { 0 };
  struct dep_run *run = dep_run_of (c, pw, &o, &only);
  int ret = -1;

  if (run == NULL) {
    const char *e = core_errmsg ();
    core_error ("%s: deploy: %s", pw->name, e);
    goto out;
  }
  if (dep_check (run, &problems) == -1) {
    problems_error (pw->name, "deploy", &problems);
    goto out;
  }
  if (dep_changes (run) > 0 && dep_apply (run) == -1) {
    const char *e = core_errmsg ();
    core_error ("%s: deploy: %s (undone)", pw->name, e);
    goto out;
  }
  ret = 0;
 out:
  dep_run_free (run);
  dep_map_free (&o.uris);
  core_string_vector_free (&only);
  core_string_vector_free (&problems);
  return ret;
}

/* The profile verify compares the VM with: the source's `profile`, else
 * the one an ssh capture took (WORK/captures/NAME/profile.yaml); NULL
 * (no error set) when there is none. */
static struct core_profile *
profile_of (const struct mig_run_config *c, const char *name,
            const struct core_source *src, bool *failed)
{
  CLEANUP_FREE char *captured = NULL;
  const char *path = src ? src->profile : NULL;

  *failed = false;
  if (path == NULL && src && src->ssh) {
    captured = core_sprintf ("%s/captures/%s/profile.yaml", c->work, name);
    if (captured && access (captured, R_OK) == 0)
      path = captured;
  }
  if (path == NULL)
    return NULL;
  {
    struct core_profile *p = core_profile_read (path);
    *failed = p == NULL;
    return p;
  }
}

/* Verify the migrated VM NAME on URI: it boots (a login prompt, or the
 * facts block a Windows guest writes), and when a profile of the server
 * is known (profile_of), what its first boot reported (the facts block
 * the converter's reporter writes to the serial console, docs/
 * converter.md) has every TCP service of the profile listening and every
 * address of its NICs on an interface that is up.  The console is read
 * from the start of the step: the reporter runs on the first boot only,
 * soon after the deploy step started the VM.  What was read is kept in
 * WORK/NAME/console.log. */
static int
verify_step (const struct mig_run_config *c, const struct core_plan_workload *pw,
             const struct core_source *src, const char *uri, const char *name)
{
  struct dep_options o = { 0 };
  core_string_vector only = { 0 }, problems = { 0 }, missing = { 0 };
  struct dep_run *run = dep_run_of (c, pw, &o, &only);
  CLEANUP_FREE char *text = NULL, *log = NULL;
  struct core_profile *profile = NULL;
  struct mig_facts facts;
  bool booted, bad_profile;
  int ret = -1, r, have_facts = 1;

  mig_facts_init (&facts);
  if (run == NULL) {
    const char *e = core_errmsg ();
    core_error ("%s: verify: %s", name, e);
    goto out;
  }
  profile = profile_of (c, name, src, &bad_profile);
  if (bad_profile) {
    const char *e = core_errmsg ();
    core_error ("%s: verify: %s", name, e);
    goto out;
  }
  if (dep_check (run, &problems) == -1) {
    problems_error (name, "verify", &problems);
    goto out;
  }
  /* A VM stopped since its deploy is started again to be checked. */
  if (dep_changes (run) > 0 && dep_apply (run) == -1) {
    const char *e = core_errmsg ();
    core_error ("%s: verify: %s", name, e);
    goto out;
  }
  r = dep_console_until (uri, name, MIG_FACTS_END, (double) c->boot_timeout_s,
                         &child_notify, &text);
  if (r == -1) {
    const char *e = core_errmsg ();
    core_error ("%s: verify: %s", name, e);
    goto out;
  }
  log = core_sprintf ("%s/%s/console.log", c->work, name);
  if (log == NULL || core_write_atomic_data (log, text, strlen (text)) == -1
      || hash_output (log, NULL) == -1) {
    const char *e = core_errmsg ();
    core_error ("%s: verify: %s", name, e);
    goto out;
  }
  if (child_stop) {
    core_error ("%s: verify: interrupted", name);
    goto out;
  }
  have_facts = mig_facts_parse (text, strlen (text), &facts);
  if (have_facts == -1) {
    const char *e = core_errmsg ();
    core_error ("%s: verify: %s", name, e);
    goto out;
  }
  booted = have_facts == 0 || strstr (text, " login:") != NULL;
  if (!booted) {
    core_error ("%s: verify: no login prompt and no facts on the serial "
                "console of %s on %s within %lld s", name, name, uri,
                (long long) c->boot_timeout_s);
    goto out;
  }
  if (profile == NULL) {
    ret = 0;                    /* nothing known to compare with */
    goto out;
  }
  if (have_facts == 1) {
    core_error ("%s: verify: booted, but no facts from its first boot on the "
                "serial console within %lld s (converted with "
                "--no-facts-reporter, or the VM booted before this step)",
                name, (long long) c->boot_timeout_s);
    goto out;
  }
  r = mig_verify_facts (profile, &facts, &missing);
  if (r == -1) {
    const char *e = core_errmsg ();
    core_error ("%s: verify: %s", name, e);
    goto out;
  }
  if (r == 1) {
    core_buffer b = { 0 };
    CLEANUP_FREE char *list = NULL;
    for (size_t i = 0; i < missing.len; i++)
      core_buffer_printf (&b, "%s%s", i ? "; " : "", missing.ptr[i]);
    list = core_buffer_take (&b);
    core_error ("%s: verify: missing: %s", name, list ? list : "?");
    goto out;
  }
  ret = 0;
 out:
  mig_facts_clear (&facts);
  core_profile_free (profile);
  dep_run_free (run);
  dep_map_free (&o.uris);
  core_string_vector_free (&only);
  core_string_vector_free (&problems);
  core_string_vector_free (&missing);
  return ret;
}

static void
on_child_stop (int sig)
{
  (void) sig;
  child_stop = 1;
}

static void
on_child_die (int sig)
{
  /* Half-written files of this step, then everything it started (its
   * process group), then itself. */
  core_tmpfiles_cleanup ();
  signal (SIGTERM, SIG_IGN);
  kill (0, SIGTERM);
  signal (sig, SIG_DFL);
  raise (sig);
}

static void __attribute__((noreturn))
child_main (const struct mig_run_config *c, size_t i, enum mig_step step, int fd,
            pid_t parent)
{
  const struct core_plan_workload *pw = workload_of (c, i);
  const struct core_source *src = core_sources_find (c->sources, pw->name);
  struct sigaction sa = { 0 };
  int r = -1;

  child_fd = fd;
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () != parent)
    _exit (1);
  /* Deploy and verify stop at their next step and undo (libvirt has no
   * children to kill); capture and convert end at once, removing their
   * temporary files and every program they started. */
  sa.sa_handler = step >= MIG_DEPLOY ? on_child_stop : on_child_die;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  core_set_notify (&child_notify);

  switch (step) {
  case MIG_CAPTURE:
    r = src->ssh ? capture_ssh (c, pw, src) : capture_images (pw->name, src);
    break;
  case MIG_CONVERT:
    r = convert_step (c, pw, src);
    break;
  case MIG_DEPLOY:
    r = deploy_step (c, pw);
    break;
  case MIG_VERIFY:
    r = verify_step (c, pw, src, uri_of (c, pw->host), pw->name);
    break;
  default:
    core_error ("%s: %s: not a step of a run", pw->name, mig_step_names[step]);
  }
  if (r == -1)
    say ("X %s", core_errmsg ());
  /* No exit handlers: they belong to the parent (and its leak check). */
  _exit (r == 0 ? 0 : 1);
}

/* ------------------------------------------------------------------ */
/* In the parent.                                                      */

struct job {
  pid_t pid;                    /* 0: none running */
  int fd;
  enum mig_step step;
  char buf[8192];
  size_t len;
  mig_output_vector outputs;
  char *error;
  char what[256];               /* "NAME: STEP: ..." of its progress */
  uint64_t total;
  bool progress;
  bool done;                    /* verified, or failed in this run */
};

static void
outputs_clear (mig_output_vector *v)
{
  for (size_t i = 0; i < v->len; i++) {
    free (v->ptr[i].path);
    free (v->ptr[i].sha256);
  }
  free (v->ptr);
  v->ptr = NULL;
  v->len = v->cap = 0;
}

/* Remove the files of folder DIR (a half-made conversion). */
static void
remove_files (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *e;

  if (d == NULL)
    return;
  while ((e = readdir (d)) != NULL) {
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
      continue;
    unlinkat (dirfd (d), e->d_name, 0);
  }
  closedir (d);
}

static void
handle_line (const struct mig_run_config *c, const char *name, struct job *jb, char *line)
{
  const struct core_notify *n = c->notify;
  char *rest;

  if (line[0] == '\0' || line[1] != ' ')
    return;
  rest = line + 2;
  switch (line[0]) {
  case 'S': {
    unsigned long long total = strtoull (rest, &rest, 10);
    snprintf (jb->what, sizeof jb->what, "%s: %s: %s", name,
              mig_step_names[jb->step], *rest ? rest + 1 : "");
    jb->progress = true;
    jb->total = total;
    core_notify_start (n, jb->what, total);
    break;
  }
  case 'P': {
    unsigned long long done = strtoull (rest, &rest, 10);
    unsigned long long sent = strtoull (rest, &rest, 10);
    unsigned long long total = strtoull (rest, &rest, 10);
    if (jb->progress)
      core_notify_progress (n, jb->what, done, sent, total);
    break;
  }
  case 'E': {
    unsigned long long done = strtoull (rest, &rest, 10);
    unsigned long long sent = strtoull (rest, &rest, 10);
    if (jb->progress) {
      /* The end names no WHAT: a last progress says whose it is. */
      jb->progress = false;
      core_notify_progress (n, jb->what, done, sent, jb->total);
      core_notify_end (n, *rest ? rest + 1 : "done", done, sent);
    }
    break;
  }
  case 'N':
    core_notice (n, CORE_NOTICE_INFO, "%s: %s", name, rest);
    break;
  case 'O': {
    struct mig_output o = { 0 };
    char *sha, *path;
    o.bytes = strtoll (rest, &sha, 10);
    if (*sha != ' ')
      break;
    sha++;
    path = strchr (sha, ' ');
    if (path == NULL)
      break;
    *path++ = '\0';
    o.sha256 = strdup (sha);
    o.path = strdup (path);
    if (o.sha256 == NULL || o.path == NULL
        || mig_output_vector_append (&jb->outputs, o) == -1) {
      free (o.sha256);
      free (o.path);
    }
    break;
  }
  case 'X':
    free (jb->error);
    jb->error = strdup (rest);
    break;
  }
}

/* Read what job JB's child wrote; false at its end. */
static bool
read_job (const struct mig_run_config *c, const char *name, struct job *jb)
{
  ssize_t n = read (jb->fd, jb->buf + jb->len, sizeof jb->buf - 1 - jb->len);
  char *nl;

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  jb->len += n;
  jb->buf[jb->len] = '\0';
  while ((nl = memchr (jb->buf, '\n', jb->len)) != NULL) {
    *nl = '\0';
    handle_line (c, name, jb, jb->buf);
    memmove (jb->buf, nl + 1, jb->len - (nl + 1 - jb->buf));
    jb->len -= nl + 1 - jb->buf;
  }
  if (jb->len == sizeof jb->buf - 1)
    jb->len = 0;                /* a line too long: dropped */
  return true;
}

static int
start_job (const struct mig_run_config *c, struct mig_journal *j, size_t i,
           struct job *jb, enum mig_step step)
{
  const struct core_plan_workload *pw = workload_of (c, i);
  int fds[2];
  pid_t parent = getpid ();

  if (mig_step_start (j, pw->name, step, time (NULL)) == -1)
    return -1;
  if (step == MIG_CONVERT) {
    /* Anything in WORK/NAME is what an earlier attempt left half-made. */
    CLEANUP_FREE char *dir = out_dir (c, pw->name);
    if (dir)
      remove_files (dir);
  }
  if (pipe2 (fds, O_CLOEXEC) == -1) {
    core_error_errno ("pipe");
    return -1;
  }
  fflush (NULL);
  jb->pid = fork ();
  if (jb->pid == -1) {
    core_error_errno ("fork");
    close (fds[0]);
    close (fds[1]);
    jb->pid = 0;
    return -1;
  }
  if (jb->pid == 0) {
    close (fds[0]);
    child_main (c, i, step, fds[1], parent);
  }
  /* Here too, so that a signal to its group cannot come before the child
   * made it. */
  setpgid (jb->pid, jb->pid);
  close (fds[1]);
  jb->fd = fds[0];
  jb->step = step;
  jb->len = 0;
  jb->progress = false;
  core_notice (c->notify, CORE_NOTICE_ITEM_START, "%s: %s", pw->name,
               mig_step_names[step]);
  return 0;
}

/* Job JB's child ended with wait status STATUS: journal the outcome. */
static int
end_job (const struct mig_run_config *c, struct mig_journal *j, size_t i,
         struct job *jb, int status, bool stopping)
{
  const struct core_plan_workload *pw = workload_of (c, i);
  bool ok = WIFEXITED (status) && WEXITSTATUS (status) == 0 && jb->error == NULL;
  int r;

  if (jb->progress) {
    jb->progress = false;
    core_notify_progress (c->notify, jb->what, 0, 0, jb->total);
    core_notify_end (c->notify, ok ? "done" : stopping ? "interrupted" : "failed", 0, 0);
  }
  if (ok) {
    r = mig_step_complete (j, pw->name, jb->step, time (NULL),
                           jb->outputs.ptr, jb->outputs.len);
    if (r == 0)
      core_notice (c->notify, CORE_NOTICE_ITEM_OK, "%s: %s completed", pw->name,
                   mig_step_names[jb->step]);
  }
  else {
    CLEANUP_FREE char *why = NULL;
    if (stopping)
      why = core_strdup ("interrupted");
    else if (jb->error) {
      /* The reason goes without the "NAME: STEP: " the message begins
       * with: the journal's record says both. */
      const char *e = jb->error, *step = mig_step_names[jb->step];
      size_t n = strlen (pw->name), m = strlen (step);
      if (strncmp (e, pw->name, n) == 0 && strncmp (e + n, ": ", 2) == 0)
        e += n + 2;
      if (strncmp (e, step, m) == 0 && strncmp (e + m, ": ", 2) == 0)
        e += m + 2;
      why = core_strdup (e);
    }
    else if (WIFSIGNALED (status))
      why = core_sprintf ("%s: killed by signal %d", mig_step_names[jb->step],
                          WTERMSIG (status));
    else
      why = core_sprintf ("%s: exited with status %d", mig_step_names[jb->step],
                          WEXITSTATUS (status));
    if (jb->step == MIG_CONVERT) {
      CLEANUP_FREE char *dir = out_dir (c, pw->name);
      if (dir)
        remove_files (dir);
    }
    r = mig_step_fail (j, pw->name, jb->step, time (NULL), why ? why : "failed");
    core_notice (c->notify, CORE_NOTICE_ITEM_FAILED, "%s: %s failed: %s", pw->name,
                 mig_step_names[jb->step], why ? why : "failed");
    jb->done = true;
  }
  close (jb->fd);
  jb->fd = -1;
  jb->pid = 0;
  outputs_clear (&jb->outputs);
  free (jb->error);
  jb->error = NULL;
  return r;
}

int
mig_run (const struct mig_run_config *c, struct mig_journal *j)
{
  size_t n = c->picks->len, left = 0;
  struct job *jobs = calloc (n + 1, sizeof *jobs);
  CLEANUP_FREE struct pollfd *pfd = calloc (n + 1, sizeof *pfd);
  CLEANUP_FREE size_t *pfd_job = calloc (n + 1, sizeof *pfd_job);
  bool stopping = false;
  double stop_t = 0;
  int ret = -1;

  if (jobs == NULL || pfd == NULL || pfd_job == NULL) {
    core_error ("out of memory");
    free (jobs);
    return -1;
  }
  /* What failed last time is said now, and tried again. */
  for (size_t i = 0; i < n; i++) {
    const char *name = workload_of (c, i)->name;
    enum mig_step next = mig_next_step (j, name);
    const struct mig_record *r = next <= MIG_VERIFY ? mig_journal_record (j, name, next) : NULL;

    jobs[i].fd = -1;
    if (next > MIG_VERIFY) {
      jobs[i].done = true;
      core_notice (c->notify, CORE_NOTICE_INFO, "%s: verified already", name);
    }
    else if (r && r->state == MIG_FAILED)
      core_notice (c->notify, CORE_NOTICE_INFO, "%s: %s failed last time (attempt %lld): "
                   "%s; trying again", name, mig_step_names[next],
                   (long long) r->attempts, r->reason ? r->reason : "");
    else if (r && r->state == MIG_STARTED)
      core_notice (c->notify, CORE_NOTICE_INFO, "%s: %s did not end last time "
                   "(attempt %lld); trying again", name, mig_step_names[next],
                   (long long) r->attempts);
    else if (next > MIG_CAPTURE)
      core_notice (c->notify, CORE_NOTICE_INFO, "%s: resuming at %s", name,
                   mig_step_names[next]);
  }

  for (;;) {
    size_t running = 0, converting = 0, deploying = 0, np = 0;

    if (!stopping && core_cancelled (c->notify)) {
      stopping = true;
      stop_t = core_monotonic ();
      for (size_t i = 0; i < n; i++)
        if (jobs[i].pid > 0)
          kill (-jobs[i].pid, SIGTERM);
    }
    /* A step that undoes what it did gets a minute for it. */
    if (stopping && stop_t > 0 && core_monotonic () - stop_t > 60) {
      stop_t = 0;
      for (size_t i = 0; i < n; i++)
        if (jobs[i].pid > 0)
          kill (-jobs[i].pid, SIGKILL);
    }
    for (size_t i = 0; i < n; i++)
      if (jobs[i].pid > 0) {
        running++;
        converting += jobs[i].step == MIG_CONVERT;
        deploying += jobs[i].step == MIG_DEPLOY;
      }
    /* Start what may start: conversions up to --jobs; deploys one at a
     * time (two at once could both make a missing pool); captures and
     * verifies alongside. */
    for (size_t i = 0; !stopping && i < n; i++) {
      struct job *jb = &jobs[i];
      enum mig_step next;

      if (jb->pid > 0 || jb->done)
        continue;
      next = mig_next_step (j, workload_of (c, i)->name);
      if (next > MIG_VERIFY) {
        jb->done = true;
        continue;
      }
      if (next == MIG_CONVERT && converting >= (size_t) c->jobs)
        continue;
      if (next == MIG_DEPLOY && deploying >= 1)
        continue;
      if (start_job (c, j, i, jb, next) == -1)
        goto stop;
      running++;
      converting += next == MIG_CONVERT;
      deploying += next == MIG_DEPLOY;
    }
    if (running == 0)
      break;

    for (size_t i = 0; i < n; i++)
      if (jobs[i].pid > 0 && jobs[i].fd >= 0) {
        pfd[np] = (struct pollfd) { .fd = jobs[i].fd, .events = POLLIN };
        pfd_job[np++] = i;
      }
    if (poll (pfd, np, 200) < 0 && errno != EINTR) {
      core_error_errno ("poll");
      goto stop;
    }
    for (size_t k = 0; k < np; k++) {
      size_t i = pfd_job[k];
      int status;

      if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      if (read_job (c, workload_of (c, i)->name, &jobs[i]))
        continue;
      /* Its pipe closed: it ended (or is about to). */
      while (waitpid (jobs[i].pid, &status, 0) == -1 && errno == EINTR)
        ;
      if (end_job (c, j, i, &jobs[i], status, stopping) == -1)
        goto stop;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (mig_next_step (j, workload_of (c, i)->name) <= MIG_VERIFY)
      left++;
  ret = (int) left;
  goto out;

 stop:
  /* The run cannot go on (the journal could not be saved): end every
   * job, keeping the error. */
  {
    CLEANUP_FREE char *err = core_strdup (core_errmsg ());
    for (size_t i = 0; i < n; i++)
      if (jobs[i].pid > 0) {
        int status;
        kill (-jobs[i].pid, SIGTERM);
        while (waitpid (jobs[i].pid, &status, 0) == -1 && errno == EINTR)
          ;
        end_job (c, j, i, &jobs[i], status, true);
      }
    core_error ("%s", err ? err : "out of memory");
  }
 out:
  for (size_t i = 0; i < n; i++) {
    if (jobs[i].fd >= 0)
      close (jobs[i].fd);
    outputs_clear (&jobs[i].outputs);
    free (jobs[i].error);
  }
  free (jobs);
  return ret;
}
