/* p2vkit receive: accept captures into DIR/NAME/ (p2v/receive.c). */
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "p2v/p2v.h"

enum {
  OPT_TLS_PSK = 256, OPT_CONVERT, OPT_CONVERT_OPTION, OPT_ONCE,
  OPT_HANDSHAKE_TIMEOUT, OPT_IDLE_TIMEOUT, OPT_MAX_HANDSHAKES,
  OPT_MAX_HANDSHAKES_PER_ADDRESS,
};

static const struct cli_option opts[] = {
  { "listen", required_argument, 'l', "ADDR:PORT",
    "accept captures on ADDR:PORT (port 0: any free port, printed)" },
  { "dir", required_argument, 'd', "DIR",
    "store each capture in DIR/NAME/" },
  { "tls-psk", required_argument, OPT_TLS_PSK, "FILE",
    "require TLS with a key of FILE (psktool's username:hexkey lines)" },
  { "convert", no_argument, OPT_CONVERT, NULL,
    "run p2vkit convert on each completed capture" },
  { "convert-option", required_argument, OPT_CONVERT_OPTION, "OPT",
    "with --convert, pass OPT to p2vkit convert (repeatable)" },
  { "once", no_argument, OPT_ONCE, NULL,
    "exit once a capture completes (other connections do not count)" },
  { "handshake-timeout", required_argument, OPT_HANDSHAKE_TIMEOUT, "SECONDS",
    "close a connection not authenticated (TLS handshake and greeting) "
    "within SECONDS in all (default 30)" },
  { "idle-timeout", required_argument, OPT_IDLE_TIMEOUT, "SECONDS",
    "end a session whose client sends nothing for SECONDS, resumable; also "
    "the TCP keepalive limit (default 300)" },
  { "max-handshakes", required_argument, OPT_MAX_HANDSHAKES, "N",
    "at most N connections not authenticated yet; a new one ends the "
    "oldest of the address with the most (default 16)" },
  { "max-handshakes-per-address", required_argument,
    OPT_MAX_HANDSHAKES_PER_ADDRESS, "N",
    "at most N of them from one address (IPv6: one /64); more are closed "
    "at once (default 4)" },
  { "quiet", no_argument, 'q', NULL, "print only warnings and errors" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "--listen ADDR:PORT --dir DIR [--tls-psk FILE] [--convert] [--once]\n"
  "       [--handshake-timeout SECONDS] [--idle-timeout SECONDS]\n"
  "       [--max-handshakes N] [--max-handshakes-per-address N]",
  "Accept captures from p2vkit capture: per server, DIR/NAME/ with a qcow2\n"
  "image per disk (served to the client through qemu-nbd, which enforces\n"
  "the announced size), its profile, the confirmed chunks and a log.\n"
  "Runs until interrupted.  See p2vkit-receive(1) and docs/p2v.md."
};

struct front {
  bool quiet;
};

static void
on_notice (void *opaque, enum core_notice kind, const char *msg)
{
  struct front *f = opaque;

  if (kind == CORE_NOTICE_WARNING) {
    fprintf (stderr, "p2vkit: receive: %s\n", msg);
    fflush (stderr);
  }
  else if (!f->quiet) {
    printf ("%s\n", msg);
    fflush (stdout);
  }
}

static volatile sig_atomic_t stop;

static void
on_stop (int sig)
{
  (void) sig;
  stop = 1;
}

static bool
on_cancelled (void *opaque)
{
  (void) opaque;
  return stop;
}

int
cli_cmd_receive (const struct cli_command *cmd, int argc, char **argv)
{
  struct p2v_receive_options o = { 0 };
  struct p2v_psk psk = { 0 };
  struct front f = { 0 };
  const struct core_notify notify = { .notice = on_notice,
                                      .cancelled = on_cancelled, .opaque = &f };
  CLEANUP_FREE char *host = NULL, *port = NULL;
  const char *listen = NULL, *psk_file = NULL;
  char self[PATH_MAX];
  bool convert = false;
  int64_t n;
  int c, ret;

  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'l': listen = optarg; break;
    case 'd': o.dir = optarg; break;
    case OPT_TLS_PSK: psk_file = optarg; break;
    case OPT_CONVERT: convert = true; break;
    case OPT_CONVERT_OPTION:
      if (core_string_vector_append (&o.convert_args, optarg) == -1) {
        cli_core_error ();
        free (o.convert_args.ptr);
        return EXIT_FAILURE_;
      }
      break;
    case OPT_ONCE: o.once = true; break;
    case OPT_HANDSHAKE_TIMEOUT:
    case OPT_IDLE_TIMEOUT:
      if (core_parse_double (optarg, c == OPT_IDLE_TIMEOUT ? "--idle-timeout"
                             : "--handshake-timeout", 1, 1e6,
                             c == OPT_IDLE_TIMEOUT ? &o.idle_timeout
                             : &o.handshake_timeout) == -1) {
        free (o.convert_args.ptr);
        return cli_usage_error (cmd, "%s", core_errmsg ());
      }
      break;
    case OPT_MAX_HANDSHAKES:
    case OPT_MAX_HANDSHAKES_PER_ADDRESS:
      if (core_parse_int64 (optarg, c == OPT_MAX_HANDSHAKES ? "--max-handshakes"
                            : "--max-handshakes-per-address", 1, 100000,
                            &n) == -1) {
        free (o.convert_args.ptr);
        return cli_usage_error (cmd, "%s", core_errmsg ());
      }
      if (c == OPT_MAX_HANDSHAKES)
        o.max_handshakes = n;
      else
        o.max_handshakes_per_addr = n;
      break;
    case 'q': f.quiet = true; break;
    case 'h':
      cli_print_help (cmd, &usage, opts);
      return EXIT_OK;
    default:
      return cli_option_error (cmd, argv, c);
    }
  }
  if (optind < argc || listen == NULL || o.dir == NULL) {
    free (o.convert_args.ptr);
    if (optind < argc)
      return cli_usage_error (cmd, "unexpected operand '%s'", argv[optind]);
    return cli_usage_error (cmd, "give --listen ADDR:PORT and --dir DIR");
  }
  if (o.convert_args.len > 0 && !convert) {
    free (o.convert_args.ptr);
    return cli_usage_error (cmd, "--convert-option needs --convert");
  }
  if (p2v_parse_addr (listen, &host, &port) == -1) {
    free (o.convert_args.ptr);
    return cli_usage_error (cmd, "--listen: %s", core_errmsg ());
  }
  if (psk_file && p2v_psk_read (psk_file, &psk) == -1) {
    cli_core_error ();
    free (o.convert_args.ptr);
    return EXIT_FAILURE_;
  }
  if (convert) {
    ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
      cli_error ("receive: cannot find this program for --convert");
      p2v_psk_clear (&psk);
      free (o.convert_args.ptr);
      return EXIT_FAILURE_;
    }
    self[n] = '\0';
    o.convert = self;
  }
  cli_on_stop_signals (on_stop);
  o.host = host;
  o.port = port;
  o.psk = psk_file ? &psk : NULL;
  o.notify = &notify;
  ret = p2v_receive (&o) == 0 ? EXIT_OK : EXIT_FAILURE_;
  if (ret != EXIT_OK)
    cli_core_error ();
  p2v_psk_clear (&psk);
  free (o.convert_args.ptr);
  return ret;
}
