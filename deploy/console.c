/* deploy: serial consoles, for --verify-boot and --status. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/uri.h>

#include "deploy/deploy.h"

static void
tail_add (struct dep_wl *w, const char *buf, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (buf[i] == '\0')
      continue;
    if (w->tail_len + 1 >= sizeof w->tail) {
      /* Keep the newer half. */
      size_t keep = sizeof w->tail / 2;
      memmove (w->tail, w->tail + w->tail_len - keep, keep);
      w->tail_len = keep;
    }
    w->tail[w->tail_len++] = buf[i];
    w->tail[w->tail_len] = '\0';
  }
}

static void
console_event (virStreamPtr st, int events, void *opaque)
{
  struct dep_wl *w = opaque;
  char buf[4096];
  int n = -2;

  if (events & VIR_STREAM_EVENT_READABLE)
    while ((n = virStreamRecv (st, buf, sizeof buf)) > 0)
      tail_add (w, buf, n);
  if (w->boot_s < 0 && strstr (w->tail, " login:"))
    w->boot_s = core_monotonic () - w->t0;
  if (n == 0 || n == -1 || (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))) {
    w->console_eof = true;
    virStreamEventRemoveCallback (st);
  }
}

void
dep_console_open (struct dep_run *r, struct dep_wl *w, virDomainPtr dom, bool poke)
{
  struct dep_host *h = &r->hosts.ptr[w->host];
  virStreamPtr st = virStreamNew (h->conn, VIR_STREAM_NONBLOCK);

  w->tail_len = 0;
  w->tail[0] = '\0';
  w->console_eof = false;
  if (st == NULL || virDomainOpenConsole (dom, NULL, st, VIR_DOMAIN_CONSOLE_FORCE) == -1
      || virStreamEventAddCallback (st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR
                                    | VIR_STREAM_EVENT_HANGUP, console_event, w, NULL) == -1) {
    dep_say (r, "%s: cannot open its console: %s", w->pw->name, dep_verr ());
    if (st)
      virStreamFree (st);
    w->console_eof = true;
    return;
  }
  w->console = st;
  /* A guest already at its prompt prints it again on a new line. */
  if (poke)
    virStreamSend (st, "\r", 1);
}

static void
tick (int timer, void *opaque)
{
  (void) timer; (void) opaque;
}

/* Run libvirt's event loop until every console in WANT showed a prompt
 * or closed, or until DEADLINE. */
void
dep_wait_consoles (struct dep_run *r, const bool *want, double deadline)
{
  int timer = virEventAddTimeout (250, tick, NULL, NULL);

  while (!dep_cancelled (r) && core_monotonic () < deadline) {
    bool waiting = false;
    for (size_t i = 0; i < r->wls.len; i++)
      if (want[i] && r->wls.ptr[i].boot_s < 0 && !r->wls.ptr[i].console_eof)
        waiting = true;
    if (!waiting)
      break;
    if (virEventRunDefaultImpl () == -1)
      break;
  }
  if (timer >= 0)
    virEventRemoveTimeout (timer);
}

/* The last few lines of what a console showed, for the failure message. */
static void
last_lines (struct dep_run *r, struct dep_wl *w)
{
  const char *end = w->tail + w->tail_len, *p = end;
  int lines = 0;

  while (p > w->tail && lines < 6)
    if (*--p == '\n')
      lines++;
  dep_say (r, "%s: last console lines:", w->pw->name);
  for (const char *s = p; s < end;) {
    const char *nl = memchr (s, '\n', end - s);
    size_t len = nl ? (size_t) (nl - s) : (size_t) (end - s);
    while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n'))
      len--;
    if (len)
      dep_say (r, "  | %.*s", (int) len, s);
    s = nl ? nl + 1 : end;
  }
}

int
dep_verify_boot (struct dep_run *r)
{
  CLEANUP_FREE bool *want = calloc (r->wls.len + 1, sizeof *want);
  int failed = 0;
  double now = core_monotonic ();

  if (want == NULL) {
    core_error_errno ("calloc");
    return -1;
  }
  for (size_t i = 0; i < r->wls.len; i++) {
    struct dep_wl *w = &r->wls.ptr[i];
    struct dep_host *h = &r->hosts.ptr[w->host];
    virDomainPtr dom;

    if (h->conn == NULL)
      continue;
    if (w->console) {
      want[i] = true;
      continue;
    }
    dom = virDomainLookupByName (h->conn, w->pw->name);
    if (dom && virDomainIsActive (dom) == 1) {
      w->t0 = now;
      want[i] = true;
      dep_console_open (r, w, dom, true);
    }
    else
      dep_say (r, "%s: not running, no boot to verify (--start starts it)", w->pw->name);
    if (dom)
      virDomainFree (dom);
  }
  dep_say (r, "waiting up to %d s for login prompts on the serial consoles",
       r->o.boot_timeout_s);
  dep_wait_consoles (r, want, now + r->o.boot_timeout_s);
  for (size_t i = 0; i < r->wls.len; i++) {
    struct dep_wl *w = &r->wls.ptr[i];
    if (!want[i])
      continue;
    if (w->boot_s >= 0)
      dep_say (r, "%s: login prompt after %.0f s (host %s)", w->pw->name, w->boot_s,
           r->hosts.ptr[w->host].ph->name);
    else {
      dep_say (r, "%s: no login prompt %s", w->pw->name,
           dep_cancelled (r) ? "(interrupted)"
           : w->console_eof ? "(the console closed)" : "within the time allowed");
      last_lines (r, w);
      failed++;
    }
    dep_close_console (w);
  }
  return failed;
}

/* dep_console_until: one console read into a buffer. */
struct until {
  core_buffer text;
  const char *until;
  size_t ulen;
  bool found, eof;
};

#define UNTIL_MAX (4u << 20)

static void
until_event (virStreamPtr st, int events, void *opaque)
{
  struct until *u = opaque;
  char buf[4096];
  int n = -2;

  if (events & VIR_STREAM_EVENT_READABLE)
    while ((n = virStreamRecv (st, buf, sizeof buf)) > 0) {
      size_t from = u->text.len > u->ulen ? u->text.len - u->ulen : 0, m = 0;
      for (int i = 0; i < n; i++)
        if (buf[i] != '\0')
          buf[m++] = buf[i];
      if (core_buffer_add (&u->text, buf, m) == -1) {
        u->eof = true;
        break;
      }
      if (!u->found && memmem (u->text.ptr + from, u->text.len - from, u->until, u->ulen))
        u->found = true;
      if (u->text.len > UNTIL_MAX) {
        /* Keep the newer half (and the NUL after it). */
        size_t keep = UNTIL_MAX / 2;
        memmove (u->text.ptr, u->text.ptr + u->text.len - keep, keep + 1);
        u->text.len = keep;
      }
    }
  if (n == 0 || n == -1 || (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))) {
    u->eof = true;
    virStreamEventRemoveCallback (st);
  }
}

int
dep_console_until (const char *uri, const char *domain, const char *until,
                   double timeout_s, const struct core_notify *notify, char **text)
{
  struct until u = { .until = until, .ulen = strlen (until) };
  double deadline = core_monotonic () + timeout_s;
  virConnectPtr conn = NULL;
  virDomainPtr dom = NULL;
  virStreamPtr st = NULL;
  bool callback = false;
  int timer = -1, ret = -1;

  *text = NULL;
  if (u.ulen == 0) {
    core_error ("console of %s: nothing to wait for", domain);
    return -1;
  }
  dep_libvirt_init ();
  if ((conn = virConnectOpenAuth (uri, NULL, 0)) == NULL) {
    core_error ("%s: %s", uri, dep_verr ());
    goto out;
  }
  if ((dom = virDomainLookupByName (conn, domain)) == NULL) {
    core_error ("%s: no domain %s: %s", uri, domain, dep_verr ());
    goto out;
  }
  if (virDomainIsActive (dom) != 1) {
    core_error ("%s: domain %s is not running: no console to read", uri, domain);
    goto out;
  }
  if ((st = virStreamNew (conn, VIR_STREAM_NONBLOCK)) == NULL
      || virDomainOpenConsole (dom, NULL, st, VIR_DOMAIN_CONSOLE_FORCE) == -1
      || virStreamEventAddCallback (st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR
                                    | VIR_STREAM_EVENT_HANGUP, until_event, &u, NULL) == -1) {
    core_error ("%s: cannot open the console of %s: %s", uri, domain, dep_verr ());
    goto out;
  }
  callback = true;
  core_notice (notify, CORE_NOTICE_INFO, "%s: reading its console for up to %.0f s, until '%s'",
               domain, timeout_s, until);
  virStreamSend (st, "\r", 1);
  timer = virEventAddTimeout (250, tick, NULL, NULL);
  while (!u.found && !u.eof && core_monotonic () < deadline) {
    if (core_cancelled (notify)) {
      core_error ("console of %s: interrupted", domain);
      goto out;
    }
    if (virEventRunDefaultImpl () == -1) {
      core_error ("console of %s: libvirt's event loop: %s", domain, dep_verr ());
      goto out;
    }
  }
  if ((*text = core_buffer_take (&u.text)) == NULL)
    goto out;
  ret = u.found ? 0 : 1;
 out:
  if (timer >= 0)
    virEventRemoveTimeout (timer);
  if (st) {
    if (callback && !u.eof)
      virStreamEventRemoveCallback (st);
    virStreamAbort (st);
    virStreamFree (st);
  }
  if (dom)
    virDomainFree (dom);
  if (conn)
    virConnectClose (conn);
  core_buffer_reset (&u.text);
  return ret;
}
