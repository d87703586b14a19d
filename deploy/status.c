/* deploy: --status. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/uri.h>

#include "deploy/deploy.h"

void
dep_status_free (dep_status_vector *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->len; i++) {
    free (v->ptr[i].uri);
    free (v->ptr[i].defined);
    free (v->ptr[i].state);
    free (v->ptr[i].booted);
  }
  dep_status_vector_reset (v);
}

static const char *
state_name (int state)
{
  switch (state) {
  case VIR_DOMAIN_RUNNING: return "running";
  case VIR_DOMAIN_BLOCKED: return "running";
  case VIR_DOMAIN_PAUSED: return "paused";
  case VIR_DOMAIN_SHUTDOWN: return "shutting down";
  case VIR_DOMAIN_SHUTOFF: return "shut off";
  case VIR_DOMAIN_CRASHED: return "crashed";
  case VIR_DOMAIN_PMSUSPENDED: return "suspended";
  default: return "unknown";
  }
}

int
dep_status (struct dep_run *r, dep_status_vector *out)
{
  core_string_vector problems = { 0 };
  CLEANUP_FREE bool *want = NULL;

  if (dep_gather (r, &problems, false, false) == -1) {
    core_string_vector_free (&problems);
    return -1;
  }
  core_string_vector_free (&problems);
  if ((want = calloc (r->wls.len + 1, sizeof *want)) == NULL) {
    core_error_errno ("calloc");
    return -1;
  }
  for (size_t hi = 0; hi < r->hosts.len; hi++) {
    struct dep_host *h = &r->hosts.ptr[hi];
    if (!h->used || h->uri == NULL)
      continue;
    /* Reading needs no more; the console probe needs a full connection. */
    h->conn = virConnectOpenAuth (h->uri, NULL, 0);
    if (h->conn == NULL)
      h->conn = virConnectOpenReadOnly (h->uri);
  }
  for (size_t i = 0; i < r->wls.len; i++) {
    struct dep_wl *w = &r->wls.ptr[i];
    struct dep_host *h = &r->hosts.ptr[w->host];
    struct dep_status_row row = { .workload = w->pw->name, .host = h->ph->name };
    virDomainPtr dom = h->conn ? virDomainLookupByName (h->conn, w->pw->name) : NULL;

    row.uri = core_strdup (h->uri ? h->uri : "-");
    if (h->uri == NULL)
      row.defined = core_strdup ("? (no URI)");
    else if (h->conn == NULL)
      row.defined = core_sprintf ("? (%s)", dep_verr ());
    else if (dom == NULL)
      row.defined = core_strdup ("no");
    else {
      CLEANUP_FREE char *md = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT,
                                                    DEP_XMLNS, VIR_DOMAIN_AFFECT_CONFIG);
      row.defined = core_strdup (md ? "yes" : "yes, not by p2vkit");
    }
    if (dom) {
      int state, reason;
      if (virDomainGetState (dom, &state, &reason, 0) == -1)
        state = VIR_DOMAIN_NOSTATE;
      row.state = core_strdup (state_name (state));
      if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED) {
        w->t0 = core_monotonic ();
        dep_console_open (r, w, dom, true);
        want[i] = w->console != NULL;
      }
      virDomainFree (dom);
    }
    else
      row.state = core_strdup ("-");
    if (row.uri == NULL || row.defined == NULL || row.state == NULL
        || dep_status_vector_append (out, row) == -1) {
      free (row.uri);
      free (row.defined);
      free (row.state);
      return -1;
    }
  }
  dep_wait_consoles (r, want, core_monotonic () + r->o.boot_timeout_s);
  for (size_t i = 0; i < r->wls.len; i++) {
    struct dep_wl *w = &r->wls.ptr[i];
    out->ptr[i].booted = core_strdup (!want[i] ? "-" : w->boot_s >= 0 ? "yes" : "no answer");
    dep_close_console (w);
    if (out->ptr[i].booted == NULL)
      return -1;
  }
  return 0;
}
