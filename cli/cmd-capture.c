/* p2vkit capture: profile this server, then stream its disks to
 * `p2vkit receive` (p2v/capture.c does the work). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "inventory/inventory.h"
#include "p2v/p2v.h"

enum {
  OPT_TLS_PSK = 256, OPT_RESUME, OPT_USED_ONLY, OPT_LIVE, OPT_IDLE_TIMEOUT,
};

static const struct cli_option opts[] = {
  { "to", required_argument, 't', "HOST:PORT",
    "the receiver (p2vkit receive --listen)" },
  { "disk", required_argument, 'd', "DEV",
    "a disk to capture: a block device or an image file (repeatable)" },
  { "name", required_argument, 'n', "NAME",
    "name of the capture and of the server (default: the host name)" },
  { "tls-psk", required_argument, OPT_TLS_PSK, "FILE",
    "TLS with the pre-shared key in FILE (psktool's username:hexkey)" },
  { "resume", no_argument, OPT_RESUME, NULL,
    "continue an interrupted capture: send only chunks not confirmed" },
  { "used-only", no_argument, OPT_USED_ONLY, NULL,
    "skip blocks that no ext2/3/4 or swap area uses" },
  { "live", no_argument, OPT_LIVE, NULL,
    "capture disks with read-write mounted filesystems: copy, then freeze "
    "them (fsfreeze) and send what changed" },
  { "idle-timeout", required_argument, OPT_IDLE_TIMEOUT, "SECONDS",
    "fail (resumable) when the receiver answers nothing and takes no data "
    "for SECONDS; also the TCP keepalive limit (default 300)" },
  { "quiet", no_argument, 'q', NULL, "print only warnings and errors" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "--to HOST:PORT --disk DEV [--disk DEV...] [--name NAME] [--tls-psk FILE]\n"
  "       [--resume] [--used-only] [--live] [--idle-timeout SECONDS]",
  "Profile this server, then copy its disks to p2vkit receive over NBD: data\n"
  "as writes, zero blocks as zero requests, every 32 MiB chunk confirmed by a\n"
  "checksum the receiver computes on what it stored.  Disks are only read.\n"
  "A disk with a read-write mounted filesystem is refused unless --live.\n"
  "See p2vkit-capture(1) and docs/p2v.md."
};

struct front {
  bool quiet, tty;
  double start, last;
  int last_step;
  size_t index;
};

static void
on_notice (void *opaque, enum core_notice kind, const char *msg)
{
  struct front *f = opaque;

  if (kind == CORE_NOTICE_WARNING) {
    if (f->tty)
      fputs ("\r\033[K", stderr);
    fprintf (stderr, "p2vkit: warning: %s\n", msg);
  }
  else if (!f->quiet)
    fprintf (stderr, "%s%s\n", f->tty ? "\r\033[K" : "", msg);
}

static void
on_inv_notice (void *opaque, enum core_notice kind, const char *msg)
{
  struct front *f = opaque;

  /* What the profile lacks is the planner's concern, not the copy's. */
  if (kind == CORE_NOTICE_WARNING && !f->quiet)
    fprintf (stderr, "p2vkit: profile: %s\n", msg);
}

static void
mib (char *buf, size_t len, uint64_t bytes)
{
  if (bytes >= (UINT64_C(10) << 30))
    snprintf (buf, len, "%.1f GiB", bytes / 1073741824.0);
  else
    snprintf (buf, len, "%.1f MiB", bytes / 1048576.0);
}

static void
on_progress (void *opaque, const struct p2v_disk_progress *p)
{
  struct front *f = opaque;
  double now = core_monotonic ();
  char text[128], sent[32], skipped[32];
  int step;

  if (f->quiet)
    return;
  if (p->done == 0 && !p->finished) {
    f->start = now;
    f->last = -1;
    f->last_step = -1;
    f->index = p->index;
  }
  step = p->size ? (int) (p->done * 10 / p->size) : 0;
  if (!p->finished) {
    if (f->tty && now - f->last < 0.2)
      return;
    if (!f->tty && step == f->last_step)
      return;
  }
  f->last = now;
  f->last_step = step;
  /* The rate counts what was read: sending zeroes is nearly free. */
  core_progress_format (text, sizeof text, p->done, p->size, now - f->start);
  mib (sent, sizeof sent, p->data);
  mib (skipped, sizeof skipped, p->skipped + p->zero + p->resumed);
  if (p->finished)
    fprintf (stderr, "%s%s: done in %.1f s: %s data sent, %s not sent "
             "(%s zero, unused or already there)\n",
             f->tty ? "\r\033[K" : "", p->name, now - f->start, sent, skipped,
             skipped);
  else if (f->tty)
    fprintf (stderr, "\r%s: %s, %s sent, %s skipped\033[K", p->name, text,
             sent, skipped);
  else
    fprintf (stderr, "%s: %s, %s sent, %s skipped\n", p->name, text, sent,
             skipped);
  fflush (stderr);
}

/* The capture's profile: this server as the inventory sees it now, with
 * the captured disks as its disks (what the images will be). */
static char *
make_profile (const char *name, const core_string_vector *disks,
              struct front *f)
{
  const struct core_notify notify = { .notice = on_inv_notice, .opaque = f };
  struct inv_options io = {
    .name = name, .interval_s = 1, .samples = 0,
    .collected_at = time (NULL), .notify = &notify,
  };
  CLEANUP_FREE_PROFILE struct core_profile *p = inv_collect (&io);
  char *text = NULL;
  size_t len = 0;
  FILE *fp;

  if (p == NULL)
    return NULL;
  for (size_t i = 0; i < p->hardware.disks.len; i++) {
    free (p->hardware.disks.ptr[i].name);
    free (p->hardware.disks.ptr[i].model);
  }
  p->hardware.disks.len = 0;
  for (size_t i = 0; i < disks->len; i++) {
    const char *slash = strrchr (disks->ptr[i], '/');
    struct core_disk d = { .rotational = CORE_UNSET };
    FILE *df = fopen (disks->ptr[i], "re");
    d.name = core_strdup (slash ? slash + 1 : disks->ptr[i]);
    if (df && fseeko (df, 0, SEEK_END) == 0)
      d.size_bytes = ftello (df);
    if (df)
      fclose (df);
    if (d.name == NULL || core_disk_vector_append (&p->hardware.disks, d) == -1) {
      free (d.name);
      return NULL;
    }
  }
  fp = open_memstream (&text, &len);
  if (fp == NULL) {
    core_error_errno ("open_memstream");
    return NULL;
  }
  if (core_profile_write (fp, p) == -1) {
    fclose (fp);
    free (text);
    return NULL;
  }
  fclose (fp);
  return text;
}

static void
on_signal (int sig)
{
  /* Never leave a server's filesystems frozen. */
  p2v_thaw_all ();
  core_tmpfiles_cleanup ();
  signal (sig, SIG_DFL);
  raise (sig);
}

int
cli_cmd_capture (const struct cli_command *cmd, int argc, char **argv)
{
  struct p2v_capture_options o = { 0 };
  struct p2v_capture_result res;
  struct p2v_psk psk = { 0 };
  struct front f = { .tty = isatty (2) };
  const struct core_notify notify = { .notice = on_notice, .opaque = &f };
  CLEANUP_FREE char *host = NULL, *port = NULL, *profile = NULL;
  CLEANUP_FREE char *default_name = NULL;
  const char *to = NULL, *psk_file = NULL;
  char a[32], b[32], w[32], z[32];
  int c, ret = EXIT_FAILURE_;

  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 't': to = optarg; break;
    case 'd':
      if (core_string_vector_append (&o.disks, optarg) == -1) {
        cli_core_error ();
        return EXIT_FAILURE_;
      }
      break;
    case 'n': o.name = optarg; break;
    case OPT_TLS_PSK: psk_file = optarg; break;
    case OPT_RESUME: o.resume = true; break;
    case OPT_USED_ONLY: o.used_only = true; break;
    case OPT_LIVE: o.live = true; break;
    case OPT_IDLE_TIMEOUT:
      if (core_parse_double (optarg, "--idle-timeout", 1, 1e6,
                             &o.idle_timeout) == -1) {
        free (o.disks.ptr);
        return cli_usage_error (cmd, "%s", core_errmsg ());
      }
      break;
    case 'q': f.quiet = true; break;
    case 'h':
      cli_print_help (cmd, &usage, opts);
      free (o.disks.ptr);
      return EXIT_OK;
    default:
      free (o.disks.ptr);
      return cli_option_error (cmd, argv, c);
    }
  }
  if (optind < argc) {
    free (o.disks.ptr);
    return cli_usage_error (cmd, "unexpected operand '%s'", argv[optind]);
  }
  if (to == NULL || o.disks.len == 0) {
    free (o.disks.ptr);
    return cli_usage_error (cmd, "give the receiver (--to) and at least one --disk");
  }
  if (p2v_parse_addr (to, &host, &port) == -1) {
    free (o.disks.ptr);
    return cli_usage_error (cmd, "--to: %s", core_errmsg ());
  }
  if (o.name == NULL) {
    char hn[256] = "";
    gethostname (hn, sizeof hn - 1);
    default_name = inv_name_from_hostname (hn);
    o.name = default_name;
    if (o.name == NULL) {
      free (o.disks.ptr);
      return cli_usage_error (cmd, "no usable host name: give --name");
    }
  }
  if (!p2v_name_ok (o.name)) {
    free (o.disks.ptr);
    return cli_usage_error (cmd, "--name: '%s' is not a capture name (letters, "
                            "digits, '.', '_', '-')", o.name);
  }
  if (psk_file && p2v_psk_read (psk_file, &psk) == -1) {
    cli_core_error ();
    free (o.disks.ptr);
    return EXIT_FAILURE_;
  }

  profile = make_profile (o.name, &o.disks, &f);
  if (profile == NULL) {
    cli_core_error ();
    goto out;
  }
  cli_on_stop_signals (on_signal);
  o.host = host;
  o.port = port;
  o.psk = psk_file ? &psk : NULL;
  o.profile_yaml = profile;
  o.notify = &notify;
  o.progress = on_progress;
  if (p2v_capture (&o, &res) == -1) {
    if (f.tty)
      fputs ("\r\033[K", stderr);
    cli_core_error ();
    if (res.resumable)
      cli_error ("capture: what was confirmed is kept on the receiver; "
                 "run the same command with --resume to continue");
    goto out;
  }
  mib (a, sizeof a, res.disk_bytes);
  mib (b, sizeof b, res.data);
  mib (z, sizeof z, res.zero + res.skipped);
  mib (w, sizeof w, res.wire_sent + res.wire_received);
  if (!f.quiet)
    printf ("captured %s: %zu disk(s), %s; %s sent as data, %s as zero or "
            "unused (%llu bytes unused), %llu bytes already on the receiver, "
            "%llu bytes re-sent\n"
            "on the wire: %llu bytes (%s): %llu sent, %llu received\n",
            o.name, o.disks.len, a, b, z, (unsigned long long) res.skipped,
            (unsigned long long) res.resumed, (unsigned long long) res.resent,
            (unsigned long long) (res.wire_sent + res.wire_received), w,
            (unsigned long long) res.wire_sent,
            (unsigned long long) res.wire_received);
  ret = EXIT_OK;
 out:
  p2v_psk_clear (&psk);
  free (o.disks.ptr);
  return ret;
}

#ifdef P2VKIT_CAPTURE_PROGRAM

/* The static capture program: "p2vkit-capture capture [OPTIONS]", the
 * same command line as "p2vkit capture". */
int
main (int argc, char **argv)
{
  static const struct cli_command cmd = {
    "capture", "copy this server's disks to a receiver", cli_cmd_capture
  };

  if (argc >= 2 && (strcmp (argv[1], "--version") == 0
                    || strcmp (argv[1], "-V") == 0)) {
    printf ("p2vkit-capture %s\n", P2VKIT_VERSION);
    return EXIT_OK;
  }
  if (argc >= 2 && strcmp (argv[1], "capture") == 0)
    return cli_cmd_capture (&cmd, argc - 1, argv + 1);
  return cli_cmd_capture (&cmd, argc, argv);
}

#endif /* P2VKIT_CAPTURE_PROGRAM */
