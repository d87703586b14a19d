/* p2vkit deploy: check everything, then act host by host, undoing this
 * run's changes when one fails.  See deploy.h for the phases and
 * docs/deploy.md for what is done on a host.  This file: the run, its
 * options, and the helpers the other files share. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/uri.h>

#include "deploy/deploy.h"

/* The volume beside VOL that exists while VOL is being uploaded. */
char *
dep_partial_mark (const char *vol)
{
  return core_sprintf ("%s.partial", vol);
}

void
dep_say (struct dep_run *r, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  core_vnotice (r->notify, CORE_NOTICE_INFO, fmt, ap);
  va_end (ap);
}

/* The front end asked to stop (Ctrl-C): the run is undone. */
bool
dep_cancelled (const struct dep_run *r)
{
  return core_cancelled (r->notify);
}

/* libvirt's last error, without its default printing to stderr. */
const char *
dep_verr (void)
{
  const char *m = virGetLastErrorMessage ();
  return m ? m : "unknown libvirt error";
}

static void
silent_error (void *opaque, virErrorPtr e)
{
  (void) opaque; (void) e;
}

void
dep_libvirt_init (void)
{
  static bool events;

  /* Streams (consoles) and keepalives need an event loop, registered
   * before the first connection. */
  if (!events) {
    virSetErrorFunc (NULL, silent_error);
    virEventRegisterDefaultImpl ();
    events = true;
  }
}

int
dep_map_add (dep_map *map, const char *option, const char *arg)
{
  const char *eq = strchr (arg, '=');
  struct dep_map_entry e;

  if (eq == NULL || eq == arg || eq[1] == '\0') {
    core_error ("%s: expected HOST=VALUE, got '%s'", option, arg);
    return -1;
  }
  for (size_t i = 0; i < map->len; i++)
    if (strncmp (map->ptr[i].host, arg, eq - arg) == 0
        && map->ptr[i].host[eq - arg] == '\0') {
      core_error ("%s: host '%.*s' is given twice", option, (int) (eq - arg), arg);
      return -1;
    }
  e.host = core_strndup (arg, eq - arg);
  e.value = core_strdup (eq + 1);
  if (e.host == NULL || e.value == NULL || dep_map_append (map, e) == -1) {
    free (e.host);
    free (e.value);
    return -1;
  }
  return 0;
}

void
dep_map_free (dep_map *map)
{
  if (map == NULL)
    return;
  for (size_t i = 0; i < map->len; i++) {
    free (map->ptr[i].host);
    free (map->ptr[i].value);
  }
  dep_map_reset (map);
}

const char *
dep_map_get (const dep_map *map, const char *host, const char *dflt)
{
  for (size_t i = 0; i < map->len; i++)
    if (strcmp (map->ptr[i].host, host) == 0)
      return map->ptr[i].value;
  return dflt;
}

/* A URI without a server part (qemu:///system) is this machine. */
bool
dep_uri_is_local (const char *uri)
{
  xmlURIPtr u = xmlParseURI (uri);
  bool local = u && (u->server == NULL || u->server[0] == '\0'
                     || strcmp (u->server, "localhost") == 0);

  xmlFreeURI (u);
  return local;
}

struct dep_run *
dep_run_new (const struct core_plan *plan, const struct dep_options *opts,
             const struct core_notify *notify)
{
  struct dep_run *r = calloc (1, sizeof *r);

  if (r == NULL) {
    core_error_errno ("calloc");
    return NULL;
  }
  dep_libvirt_init ();
  r->plan = plan;
  r->o = *opts;
  if (r->o.default_pool == NULL)
    r->o.default_pool = DEP_DEFAULT_POOL;
  if (r->o.default_pool_path == NULL)
    r->o.default_pool_path = DEP_DEFAULT_POOL_PATH;
  if (r->o.boot_timeout_s <= 0)
    r->o.boot_timeout_s = 300;
  r->notify = notify;
  return r;
}

void
dep_close_console (struct dep_wl *w)
{
  if (w->console) {
    virStreamEventRemoveCallback (w->console);
    virStreamAbort (w->console);
    virStreamFree (w->console);
    w->console = NULL;
  }
}

void
dep_run_free (struct dep_run *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->wls.len; i++) {
    struct dep_wl *w = &r->wls.ptr[i];
    dep_close_console (w);
    dep_image_clear (&w->img);
    free (w->xml);
    free (w->hash);
    free (w->old_xml);
    core_string_vector_free (&w->old_vols);
    bool_vector_reset (&w->vol_exists);
    bool_vector_reset (&w->vol_partial);
  }
  wl_vector_reset (&r->wls);
  for (size_t i = 0; i < r->hosts.len; i++) {
    struct dep_host *h = &r->hosts.ptr[i];
    if (h->conn)
      virConnectClose (h->conn);
    free (h->uri);
    free (h->pool_path);
    free (h->type);
  }
  host_vector_reset (&r->hosts);
  for (size_t i = 0; i < r->undo.len; i++)
    free (r->undo.ptr[i].name);
  undo_vector_reset (&r->undo);
  free (r->wave_of);
  free (r);
}
