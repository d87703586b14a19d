/* Unit tests of the control connection's limits (p2v/conn.c): a deadline
 * over the whole TLS handshake, the idle limit, TCP keepalive. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p2v/p2v.h"

/* A child that writes one byte to FD every 200 ms for SECONDS, as a
 * peer that drips a handshake: the header of a TLS handshake record of
 * 512 bytes, then zeroes. */
static pid_t
dripper (int fd, double seconds)
{
  pid_t pid = fork ();

  assert_true (pid >= 0);
  if (pid == 0) {
    static const char record[8] = "\x16\x03\x01\x02\x00";
    for (int i = 0; i < seconds * 5; i++) {
      if (write (fd, &record[i < 5 ? i : 6], 1) != 1)
        break;
      usleep (200 * 1000);
    }
    _exit (0);
  }
  return pid;
}

static void
end_child (pid_t pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

/* A read of C that must fail on its time limit, with MSG, 1 s after START
 * (give or take a loaded machine); the child PID is ended, C freed. */
static void
getline_times_out (struct p2v_conn *c, double start, pid_t pid, const char *msg)
{
  char *line = p2v_conn_getline (c);
  double took = core_monotonic () - start;

  end_child (pid);
  assert_null (line);
  assert_true (p2v_conn_timed_out (c));
  assert_string_equal (core_errmsg (), msg);
  assert_true (took >= 0.9 && took < 3);
  p2v_conn_free (c);
}

/* A TLS handshake dripped by the peer, on a server whose clock for it
 * started BEFORE s earlier with a limit of SECONDS: it fails with MSG
 * when the limit has passed, SECONDS - BEFORE after the start. */
static void
handshake_times_out (double before, double seconds, const char *msg)
{
  char keyfile[] = "/tmp/p2vkit-unit-psk.XXXXXX";
  struct p2v_psk psk;
  int sv[2], kfd;
  pid_t pid;
  double start, took;
  struct p2v_conn *c;
  const char key[] = "alice:000102030405060708090a0b0c0d0e0f\n";

  kfd = mkstemp (keyfile);
  assert_true (kfd >= 0);
  assert_int_equal (write (kfd, key, sizeof key - 1), sizeof key - 1);
  close (kfd);
  assert_int_equal (p2v_psk_read (keyfile, &psk), 0);
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  pid = dripper (sv[1], 10);
  close (sv[1]);
  start = core_monotonic ();
  c = p2v_conn_server_until (sv[0], &psk, start - before, seconds);
  took = core_monotonic () - start;
  end_child (pid);
  assert_null (c);
  assert_string_equal (core_errmsg (), msg);
  assert_true (took >= seconds - before - 0.1 && took < seconds - before + 2);
  p2v_psk_clear (&psk);
  unlink (keyfile);
}

/* gnutls' handshake timeout counted per read: a byte every 200 ms kept
 * it going for as long as the peer liked.  The deadline is in all. */
static void
test_tls_handshake_deadline (void **state)
{
  (void) state;
  handshake_times_out (0, 1, "TLS handshake not finished within 1 s");
}

/* A session that starts after its clock (a receiver's session process
 * forked 1 s after the accept): the error states the limit it was given,
 * not the time that was left. */
static void
test_tls_handshake_deadline_late (void **state)
{
  (void) state;
  handshake_times_out (1, 2, "TLS handshake not finished within 2 s");
}

/* Without TLS, the deadline covers the reads until it is lifted. */
static void
test_plain_deadline (void **state)
{
  int sv[2];
  pid_t pid;
  double start;
  struct p2v_conn *c;

  (void) state;
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  pid = dripper (sv[1], 10);
  close (sv[1]);
  start = core_monotonic ();
  c = p2v_conn_server_until (sv[0], NULL, start, 1);
  assert_non_null (c);
  getline_times_out (c, start, pid, "receive: the handshake's time limit passed");
}

/* The idle limit: silence ends a read, data keeps it going. */
static void
test_idle (void **state)
{
  int sv[2];
  pid_t pid;
  struct p2v_conn *c;
  char *line;

  (void) state;
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  c = p2v_conn_server (sv[0], NULL);
  assert_non_null (c);
  p2v_conn_set_idle (c, 1);
  /* Bytes every 200 ms for 2 s, then a line: longer than the limit,
   * never silent that long. */
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0) {
    for (int i = 0; i < 10; i++) {
      if (write (sv[1], "x", 1) != 1)
        _exit (1);
      usleep (200 * 1000);
    }
    if (write (sv[1], "\n", 1) != 1)
      _exit (1);
    pause ();
    _exit (0);
  }
  line = p2v_conn_getline (c);
  assert_non_null (line);
  assert_string_equal (line, "xxxxxxxxxx");
  free (line);
  getline_times_out (c, core_monotonic (), pid, "no data from the other end for 1 s");
  close (sv[1]);
}

static int
sockopt (int fd, int level, int name)
{
  int v = -1;
  socklen_t len = sizeof v;

  assert_int_equal (getsockopt (fd, level, name, &v, &len), 0);
  return v;
}

/* Keepalive set on a listening socket reaches the accepted ones: what
 * the receiver relies on for the sockets qemu-nbd accepts. */
static void
test_keepalive_inherited (void **state)
{
  char port[16];
  int lfd, cfd, afd;

  (void) state;
  lfd = p2v_tcp_listen ("127.0.0.1", "0");
  assert_true (lfd >= 0);
  assert_int_equal (p2v_tcp_keepalive (lfd, 40), 0);
  assert_int_equal (p2v_socket_port (lfd, port, sizeof port), 0);
  cfd = p2v_tcp_connect ("127.0.0.1", port);
  assert_true (cfd >= 0);
  afd = accept (lfd, NULL, NULL);
  assert_true (afd >= 0);
  assert_int_equal (sockopt (afd, SOL_SOCKET, SO_KEEPALIVE), 1);
  assert_int_equal (sockopt (afd, IPPROTO_TCP, TCP_KEEPIDLE), 20);
  assert_int_equal (sockopt (afd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
  assert_int_equal (sockopt (afd, IPPROTO_TCP, TCP_KEEPCNT), 4);
  assert_int_equal (sockopt (afd, IPPROTO_TCP, TCP_USER_TIMEOUT), 40000);
  assert_int_equal (sockopt (cfd, SOL_SOCKET, SO_KEEPALIVE), 0);
  close (afd);
  close (cfd);
  close (lfd);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_tls_handshake_deadline),
    cmocka_unit_test (test_tls_handshake_deadline_late),
    cmocka_unit_test (test_plain_deadline),
    cmocka_unit_test (test_idle),
    cmocka_unit_test (test_keepalive_inherited),
  };

  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
