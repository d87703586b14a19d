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
