/* Drive mig_ssh_capture (migrate/ssh.c) from a shell test:
 *
 *   ssh-capture --name NAME --ssh USER@HOST [--port N] --disk DEV...
 *               --dir DIR --listen ADDR:PORT [--connect-to HOST[:PORT]]
 *               [--psk FILE] [--program P2VKIT] [--capture FILE]
 *               [--ssh-option OPT]... [--live] [--resume] [--used-only]
 *
 * Notices and progress go to stderr, the images to stdout one a line.
 * SIGINT or SIGTERM cancels (as Ctrl-C in migrate).  Exit 0 or 1.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate/migrate.h"

static volatile sig_atomic_t stop;

static void
on_stop (int sig)
{
  (void) sig;
  stop = 1;
}

static bool
cancelled (void *opaque)
{
  (void) opaque;
  return stop;
}

static void
notice (void *opaque, enum core_notice kind, const char *msg)
{
  (void) opaque;
  fprintf (stderr, "%s%s\n", kind == CORE_NOTICE_WARNING ? "warning: " : "", msg);
}

static void
progress (void *opaque, const char *what, uint64_t done, uint64_t sent,
          uint64_t total)
{
  (void) opaque; (void) sent;
  fprintf (stderr, "progress: %s %llu/%llu\n", what, (unsigned long long) done,
           (unsigned long long) total);
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "name", required_argument, NULL, 'n' },
    { "ssh", required_argument, NULL, 's' },
    { "port", required_argument, NULL, 'p' },
    { "disk", required_argument, NULL, 'd' },
    { "dir", required_argument, NULL, 'D' },
    { "listen", required_argument, NULL, 'l' },
    { "connect-to", required_argument, NULL, 'c' },
    { "psk", required_argument, NULL, 'k' },
    { "program", required_argument, NULL, 'P' },
    { "capture", required_argument, NULL, 'C' },
    { "ssh-option", required_argument, NULL, 'o' },
    { "live", no_argument, NULL, 'L' },
    { "resume", no_argument, NULL, 'r' },
    { "used-only", no_argument, NULL, 'u' },
    { NULL, 0, NULL, 0 }
  };
  core_string_vector disks = { 0 }, opts = { 0 }, images = { 0 };
  struct core_notify n = { .notice = notice, .progress = progress,
                           .cancelled = cancelled };
  struct mig_ssh_capture o = { .disks = &disks, .ssh_options = &opts,
                               .notify = &n };
  struct sigaction sa = { .sa_handler = on_stop };
  int64_t port;
  int c, ret;

  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'n': o.name = optarg; break;
    case 's': o.ssh = optarg; break;
    case 'p':
      if (core_parse_int64 (optarg, "--port", 1, 65535, &port) == -1) {
        fprintf (stderr, "ssh-capture: %s\n", core_errmsg ());
        return 2;
      }
      o.port = (int) port;
      break;
    case 'd': core_string_vector_append (&disks, optarg); break;
    case 'D': o.dir = optarg; break;
    case 'l': o.listen = optarg; break;
    case 'c': o.connect_to = optarg; break;
    case 'k': o.psk_file = optarg; break;
    case 'P': o.program = optarg; break;
    case 'C': o.capture_program = optarg; break;
    case 'o': core_string_vector_append (&opts, optarg); break;
    case 'L': o.live = true; break;
    case 'r': o.resume = true; break;
    case 'u': o.used_only = true; break;
    default: return 2;
    }
  }
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  ret = mig_ssh_capture (&o, &images);
  if (ret == -1)
    fprintf (stderr, "p2vkit: %s\n", core_errmsg ());
  for (size_t i = 0; i < images.len; i++)
    printf ("%s\n", images.ptr[i]);
  core_string_vector_free (&images);
  free (disks.ptr);
  free (opts.ptr);
  return ret == -1 ? 1 : 0;
}
