/* p2vkit deploy: check everything, then act host by host, undoing this
 * run's changes when one fails.  See deploy.h for the phases and
 * docs/deploy.md for what is done on a host. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/uri.h>

#include "deploy/deploy.h"


enum dom_state { DOM_ABSENT, DOM_SAME, DOM_OTHER };

struct dep_host {
  const struct core_plan_host *ph;
  char *uri;
  const char *pool;
  char *pool_path;              /* the existing pool's, or where to make it */
  bool xen;
  bool local;
  bool used;                    /* has workloads to deploy */
  virConnectPtr conn;
  char *type;                   /* kvm, qemu or xen */
  bool pool_exists, pool_active;
};
DEFINE_VECTOR_TYPE(host_vector, struct dep_host)

DEFINE_VECTOR_TYPE(bool_vector, bool)

/* The volume beside VOL that exists while VOL is being uploaded. */
static char *
partial_mark (const char *vol)
{
  return core_sprintf ("%s.partial", vol);
}

struct dep_wl {
  const struct core_plan_workload *pw;
  size_t host;                  /* index into hosts */
  struct dep_image img;
  char *xml, *hash;
  enum dom_state state;
  bool ours;                    /* the existing domain has our metadata */
  bool running;
  int autostart;
  char *old_xml;                /* --replace: restored on failure */
  core_string_vector old_vols;  /* the volumes its metadata lists */
  bool_vector vol_exists;       /* there and complete: used as it is */
  bool_vector vol_partial;      /* there, but its upload never finished */
  bool do_define, do_autostart, do_start;
  /* --verify-boot */
  virStreamPtr console;
  char tail[4096];
  size_t tail_len;
  double t0;
  double boot_s;                /* < 0: not yet */
  bool console_eof;
};
DEFINE_VECTOR_TYPE(wl_vector, struct dep_wl)

enum undo_kind {
  UNDO_POOL_REMOVE, UNDO_POOL_STOP, UNDO_VOL_DELETE, UNDO_DOM_UNDEFINE,
  UNDO_DOM_REDEFINE, UNDO_AUTOSTART_OFF, UNDO_DOM_DESTROY
};
struct undo {
  enum undo_kind kind;
  size_t host;
  size_t wl;
  char *name;
};
DEFINE_VECTOR_TYPE(undo_vector, struct undo)

struct dep_run {
  const struct core_plan *plan;
  struct dep_options o;
  const struct core_notify *notify;
  host_vector hosts;
  wl_vector wls;
  undo_vector undo;
  bool checked;
  size_t done;                  /* actions taken */
};

/* ------------------------------------------------------------------ */

static void
say (struct dep_run *r, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
static void
say (struct dep_run *r, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  core_vnotice (r->notify, CORE_NOTICE_INFO, fmt, ap);
  va_end (ap);
}

/* The front end asked to stop (Ctrl-C): the run is undone. */
static bool
interrupted (const struct dep_run *r)
{
  return core_cancelled (r->notify);
}

/* libvirt's last error, without its default printing to stderr. */
static const char *
verr (void)
{
  const char *m = virGetLastErrorMessage ();
  return m ? m : "unknown libvirt error";
}

static void
silent_error (void *opaque, virErrorPtr e)
{
  (void) opaque; (void) e;
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

static const char *
map_get (const dep_map *map, const char *host, const char *dflt)
{
  for (size_t i = 0; i < map->len; i++)
    if (strcmp (map->ptr[i].host, host) == 0)
      return map->ptr[i].value;
  return dflt;
}

/* A URI without a server part (qemu:///system) is this machine. */
static bool
uri_is_local (const char *uri)
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
  static bool events;
  struct dep_run *r = calloc (1, sizeof *r);

  if (r == NULL) {
    core_error_errno ("calloc");
    return NULL;
  }
  /* Streams (consoles) and keepalives need an event loop, registered
   * before the first connection. */
  if (!events) {
    virSetErrorFunc (NULL, silent_error);
    virEventRegisterDefaultImpl ();
    events = true;
  }
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

static void
close_console (struct dep_wl *w)
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
    close_console (w);
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
  free (r);
}

static int
problem (core_string_vector *problems, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
static int
problem (core_string_vector *problems, const char *fmt, ...)
{
  va_list ap;
  char *s = NULL;

  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) == -1)
    s = NULL;
  va_end (ap);
  if (s == NULL || core_string_vector_append (problems, s) == -1) {
    free (s);
    core_error ("out of memory");
    return -1;
  }
  return 0;
}

/* Whether --only leaves workload NAME in (everything without --only). */
static bool
selected (const struct dep_run *r, const char *name)
{
  if (r->o.only == NULL || r->o.only->len == 0)
    return true;
  for (size_t i = 0; i < r->o.only->len; i++)
    if (strcmp (r->o.only->ptr[i], name) == 0)
      return true;
  return false;
}

/* Every --only name is a workload the plan places: a typo would
 * otherwise deploy nothing and say that all is well. */
static int
check_only (const struct dep_run *r)
{
  const struct core_plan *p = r->plan;

  for (size_t i = 0; r->o.only && i < r->o.only->len; i++) {
    const char *name = r->o.only->ptr[i];
    const struct core_plan_workload *found = NULL;

    for (size_t j = 0; j < p->workloads.len && !found; j++)
      if (strcmp (p->workloads.ptr[j].name, name) == 0)
        found = &p->workloads.ptr[j];
    if (found == NULL) {
      CLEANUP_FREE const char **names = calloc (p->workloads.len + 1, sizeof *names);
      const char *near;

      if (names == NULL) {
        core_error ("out of memory");
        return -1;
      }
      for (size_t j = 0; j < p->workloads.len; j++)
        names[j] = p->workloads.ptr[j].name;
      near = core_nearest (name, names, p->workloads.len);
      if (near)
        core_error ("--only: no workload '%s' in %s (did you mean '%s'?)", name,
                    r->o.plan_file, near);
      else
        core_error ("--only: no workload '%s' in %s", name, r->o.plan_file);
      return -1;
    }
    if (found->host == NULL || found->mode == CORE_MODE_PHYSICAL) {
      core_error ("--only: workload '%s' stays physical in %s: there is nothing "
                  "to deploy", name, r->o.plan_file);
      return -1;
    }
  }
  return 0;
}

/* Hosts and workloads of the plan, with the URIs, pools and images the
 * options give them.  Problems are collected, not fatal. */
static int
gather (struct dep_run *r, core_string_vector *problems, bool need_images,
        bool need_uris)
{
  const struct core_plan *p = r->plan;

  if (check_only (r) == -1)
    return -1;

  for (size_t i = 0; i < p->hosts.len; i++) {
    const struct core_plan_host *ph = &p->hosts.ptr[i];
    struct dep_host h = { .ph = ph };
    const char *uri = map_get (&r->o.uris, ph->name, r->o.default_uri);
    const char *path = map_get (&r->o.pool_paths, ph->name, r->o.default_pool_path);

    h.pool = map_get (&r->o.pools, ph->name, r->o.default_pool);
    h.xen = ph->hypervisor == CORE_HV_XEN;
    for (size_t j = 0; j < p->workloads.len; j++)
      if (p->workloads.ptr[j].host && strcmp (p->workloads.ptr[j].host, ph->name) == 0
          && p->workloads.ptr[j].mode != CORE_MODE_PHYSICAL
          && selected (r, p->workloads.ptr[j].name))
        h.used = true;
    h.uri = uri ? core_strdup (uri) : NULL;
    h.pool_path = core_strdup (path);
    if ((uri && h.uri == NULL) || h.pool_path == NULL
        || host_vector_append (&r->hosts, h) == -1) {
      free (h.uri);
      free (h.pool_path);
      return -1;
    }
    if (h.used && uri == NULL && need_uris
        && problem (problems, "host %s: no libvirt URI (give --uri %s=URI or --default-uri URI)",
                    ph->name, ph->name) == -1)
      return -1;
    if (uri)
      r->hosts.ptr[r->hosts.len - 1].local = uri_is_local (uri);
  }
  /* A host named in an option but not in the plan is a typo. */
  const dep_map *maps[] = { &r->o.uris, &r->o.pools, &r->o.pool_paths };
  const char *names[] = { "--uri", "--pool", "--pool-path" };
  for (size_t m = 0; m < 3; m++)
    for (size_t i = 0; i < maps[m]->len; i++) {
      bool found = false;
      for (size_t j = 0; j < p->hosts.len; j++)
        found |= strcmp (p->hosts.ptr[j].name, maps[m]->ptr[i].host) == 0;
      if (!found && problem (problems, "%s: no host '%s' in %s", names[m],
                             maps[m]->ptr[i].host, r->o.plan_file) == -1)
        return -1;
    }

  for (size_t i = 0; i < p->workloads.len; i++) {
    const struct core_plan_workload *pw = &p->workloads.ptr[i];
    struct dep_wl w = { .pw = pw, .boot_s = -1, .autostart = -1 };
    size_t h;

    if (pw->host == NULL || pw->mode == CORE_MODE_PHYSICAL || !selected (r, pw->name))
      continue;
    for (h = 0; h < r->hosts.len; h++)
      if (strcmp (r->hosts.ptr[h].ph->name, pw->host) == 0)
        break;
    if (h == r->hosts.len) {
      core_error ("%s: workload '%s' is placed on unknown host '%s'",
                  r->o.plan_file, pw->name, pw->host);
      return -1;
    }
    w.host = h;
    if (need_images && dep_image_load (r->o.images_dir, pw->name, &w.img) == -1
        && problem (problems, "%s", core_errmsg ()) == -1)
      return -1;
    if (wl_vector_append (&r->wls, w) == -1) {
      dep_image_clear (&w.img);
      return -1;
    }
  }
  return 0;
}

static int
connect_host (struct dep_host *h, bool readonly, core_string_vector *problems)
{
  const char *type;

  h->conn = readonly ? virConnectOpenReadOnly (h->uri)
                     : virConnectOpenAuth (h->uri, NULL, 0);
  if (h->conn == NULL)
    return problem (problems, "host %s: cannot connect to %s: %s",
                    h->ph->name, h->uri, verr ());
  /* Remote hosts that stop answering are noticed, not waited on. */
  if (!h->local)
    virConnectSetKeepAlive (h->conn, 5, 3);
  type = virConnectGetType (h->conn);
  if (type == NULL)
    return problem (problems, "host %s: %s: %s", h->ph->name, h->uri, verr ());
  if (h->xen && strcmp (type, "Xen") != 0)
    return problem (problems, "host %s runs Xen in the plan, but %s is a %s host",
                    h->ph->name, h->uri, type);
  if (!h->xen && strcmp (type, "QEMU") != 0)
    return problem (problems, "host %s runs KVM in the plan, but %s is a %s host",
                    h->ph->name, h->uri, type);
  return 0;
}

static int
check_host (struct dep_run *r, struct dep_host *h, core_string_vector *problems)
{
  virStoragePoolPtr pool;

  if (h->xen)
    h->type = core_strdup ("xen");
  else {
    CLEANUP_FREE char *caps = virConnectGetCapabilities (h->conn);
    const char *arch = "x86_64";

    for (size_t i = 0; i < r->wls.len; i++)
      if (r->wls.ptr[i].host == (size_t) (h - r->hosts.ptr) && r->wls.ptr[i].img.arch)
        arch = r->wls.ptr[i].img.arch;
    if (caps == NULL)
      return problem (problems, "host %s: %s: capabilities: %s", h->ph->name, h->uri, verr ());
    h->type = dep_caps_domain_type (caps, arch);
    if (h->type == NULL)
      return problem (problems, "host %s: %s runs no %s guests", h->ph->name, h->uri, arch);
    /* libvirt may offer kvm where /dev/kvm exists but fails on first use;
     * on this machine we can find out. */
    if (strcmp (h->type, "kvm") == 0 && h->local && !core_kvm_usable ()) {
      free (h->type);
      h->type = core_strdup ("qemu");
    }
  }
  if (h->type == NULL)
    return -1;

  pool = virStoragePoolLookupByName (h->conn, h->pool);
  if (pool) {
    CLEANUP_FREE char *xml = virStoragePoolGetXMLDesc (pool, 0);
    char *path = xml ? dep_pool_target_path (xml) : NULL;

    h->pool_exists = true;
    h->pool_active = virStoragePoolIsActive (pool) == 1;
    if (path) {
      free (h->pool_path);
      h->pool_path = path;
    }
    virStoragePoolFree (pool);
  }
  return 0;
}

/* What is there for one workload, and what to do about it. */
static int
check_workload (struct dep_run *r, struct dep_wl *w, core_string_vector *problems)
{
  struct dep_host *h = &r->hosts.ptr[w->host];
  const char *name = w->pw->name;
  struct dep_domain_spec spec = {
    .name = name, .type = h->type, .mode = w->pw->mode, .vcpus = w->pw->vcpus,
    .memory_mib = w->pw->memory_mib, .pool = h->pool, .pool_path = h->pool_path,
    .network = r->o.network, .host = h->ph->name,
  };
  virDomainPtr dom;
  virStoragePoolPtr pool = NULL;

  if (h->xen && r->o.network && strcmp (r->o.network, "user") == 0)
    return problem (problems, "host %s: --network user: Xen has no user networking "
                    "(give bridge:NAME or network:NAME)", h->ph->name);
  w->xml = h->xen ? dep_xen_domain_xml (&w->img, &spec, &w->hash)
                  : dep_domain_xml (&w->img, &spec, &w->hash);
  if (w->xml == NULL)
    return -1;
  if (h->conn == NULL)
    return 0;

  /* A NIC on a libvirt network that the host lacks would fail at start. */
  {
    CLEANUP_FREE char *net = dep_xml_networks (w->xml);
    if (net) {
      virNetworkPtr n = virNetworkLookupByName (h->conn, net);
      if (n == NULL) {
        if (problem (problems, "host %s: %s: network '%s' does not exist on %s "
                     "(give --network)", h->ph->name, name, net, h->uri) == -1)
          return -1;
      }
      else {
        if (virNetworkIsActive (n) != 1 && r->o.start
            && problem (problems, "host %s: %s: network '%s' is not active on %s "
                        "(virsh net-start %s, or give --network)",
                        h->ph->name, name, net, h->uri, net) == -1) {
          virNetworkFree (n);
          return -1;
        }
        virNetworkFree (n);
      }
    }
  }

  dom = virDomainLookupByName (h->conn, name);
  if (dom == NULL)
    w->state = DOM_ABSENT;
  else {
    CLEANUP_FREE char *md = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT,
                                                  DEP_XMLNS, VIR_DOMAIN_AFFECT_CONFIG);
    CLEANUP_FREE char *hash = NULL;

    if (md && dep_metadata_parse (md, &hash, &w->old_vols) == -1) {
      virDomainFree (dom);
      return -1;
    }
    w->ours = hash != NULL;
    w->state = hash && strcmp (hash, w->hash) == 0 ? DOM_SAME : DOM_OTHER;
    w->running = virDomainIsActive (dom) == 1;
    if (virDomainGetAutostart (dom, &w->autostart) == -1)
      w->autostart = -1;
    if (w->state == DOM_OTHER) {
      if (!r->o.replace) {
        if (problem (problems, "host %s: domain '%s' exists with a different definition "
                     "(%s); left as it is (--replace replaces it)", h->ph->name, name,
                     w->ours ? "deployed by p2vkit from other images or settings"
                     : "not deployed by p2vkit") == -1) {
          virDomainFree (dom);
          return -1;
        }
      }
      else if (w->running) {
        if (problem (problems, "host %s: domain '%s' is running; shut it down "
                     "before --replace replaces it", h->ph->name, name) == -1) {
          virDomainFree (dom);
          return -1;
        }
      }
      else if ((w->old_xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE
                                                  | VIR_DOMAIN_XML_SECURE)) == NULL) {
        core_error ("host %s: %s: %s", h->ph->name, name, verr ());
        virDomainFree (dom);
        return -1;
      }
    }
    virDomainFree (dom);
  }

  if (h->pool_exists && h->pool_active)
    pool = virStoragePoolLookupByName (h->conn, h->pool);
  if (pool)
    virStoragePoolRefresh (pool, 0);
  for (size_t i = 0; i < w->img.disks.len; i++) {
    const char *vol = w->img.disks.ptr[i].vol;
    CLEANUP_FREE char *mark = partial_mark (vol);
    virStorageVolPtr v = pool ? virStorageVolLookupByName (pool, vol) : NULL;
    virStorageVolPtr m = pool && mark ? virStorageVolLookupByName (pool, mark) : NULL;
    bool partial = v != NULL && m != NULL;
    bool exists = v != NULL && !partial;

    if (v)
      virStorageVolFree (v);
    if (m)
      virStorageVolFree (m);
    if (mark == NULL || bool_vector_append (&w->vol_exists, exists) == -1
        || bool_vector_append (&w->vol_partial, partial) == -1) {
      if (pool)
        virStoragePoolFree (pool);
      return -1;
    }
    if (partial && !r->o.replace
        && problem (problems, "host %s: volume '%s' in pool '%s' is an upload that "
                    "never finished (%s marks it); left as it is (--replace uploads "
                    "it again)", h->ph->name, vol, h->pool, mark) == -1) {
      virStoragePoolFree (pool);
      return -1;
    }
    /* A volume of this image that no definition of ours uses: left
     * from an earlier deployment, and maybe written to since. */
    if (exists && w->state == DOM_ABSENT && !r->o.replace
        && problem (problems, "host %s: volume '%s' already exists in pool '%s' but "
                    "domain '%s' does not; left as it is (remove it, or --replace "
                    "uses it)", h->ph->name, vol, h->pool, name) == -1) {
      if (pool)
        virStoragePoolFree (pool);
      return -1;
    }
  }
  if (pool)
    virStoragePoolFree (pool);

  w->do_define = w->state != DOM_SAME;
  w->do_autostart = w->do_define || w->autostart != 1;
  w->do_start = r->o.start && !w->running;
  return 0;
}

int
dep_check (struct dep_run *r, core_string_vector *problems)
{
  size_t before;

  if (gather (r, problems, true, true) == -1)
    return -1;
  if (problems->len > 0)
    return -1;
  for (size_t i = 0; i < r->hosts.len; i++) {
    struct dep_host *h = &r->hosts.ptr[i];
    if (!h->used)
      continue;
    before = problems->len;
    if (connect_host (h, r->o.dry_run, problems) == -1)
      return -1;
    if (problems->len > before)
      continue;
    if (check_host (r, h, problems) == -1)
      return -1;
  }
  if (problems->len > 0)
    return -1;
  for (size_t i = 0; i < r->wls.len; i++)
    if (check_workload (r, &r->wls.ptr[i], problems) == -1)
      return -1;
  r->checked = true;
  return problems->len > 0 ? -1 : 0;
}

/* Write every definition without connecting to a host (--xml-dir). */
int
dep_xml_only (struct dep_run *r, core_string_vector *problems)
{
  if (gather (r, problems, true, false) == -1)
    return -1;
  /* No host to ask: the domain type a KVM host would get when KVM works. */
  for (size_t i = 0; i < r->hosts.len; i++) {
    struct dep_host *h = &r->hosts.ptr[i];
    h->type = core_strdup (h->xen ? "xen" : "kvm");
    if (h->type == NULL)
      return -1;
  }
  if (problems->len > 0)
    return -1;
  for (size_t i = 0; i < r->wls.len; i++)
    if (check_workload (r, &r->wls.ptr[i], problems) == -1)
      return -1;
  return problems->len > 0 ? -1 : 0;
}

const char *
dep_xml_of (const struct dep_run *r, size_t i, const char **name)
{
  if (i >= r->wls.len)
    return NULL;
  *name = r->wls.ptr[i].pw->name;
  return r->wls.ptr[i].xml;
}

static size_t
host_changes (const struct dep_run *r, size_t hi)
{
  const struct dep_host *h = &r->hosts.ptr[hi];
  size_t n = h->used && (!h->pool_exists || !h->pool_active) ? 1 : 0;

  for (size_t i = 0; i < r->wls.len; i++) {
    const struct dep_wl *w = &r->wls.ptr[i];
    if (w->host != hi)
      continue;
    for (size_t d = 0; d < w->vol_exists.len; d++)
      n += !w->vol_exists.ptr[d];
    n += w->do_define + w->do_autostart + w->do_start;
  }
  return n;
}

size_t
dep_done (const struct dep_run *r)
{
  return r->done;
}

size_t
dep_changes (const struct dep_run *r)
{
  size_t n = 0;

  for (size_t i = 0; i < r->hosts.len; i++)
    n += host_changes (r, i);
  return n;
}

static void
human (char *buf, size_t len, uint64_t bytes)
{
  if (bytes >= (1ull << 30))
    snprintf (buf, len, "%.1f GiB", bytes / 1073741824.0);
  else
    snprintf (buf, len, "%.1f MiB", bytes / 1048576.0);
}

static const char *
state_words (const struct dep_wl *w)
{
  switch (w->state) {
  case DOM_ABSENT: return "define";
  case DOM_SAME: return "keep";
  case DOM_OTHER: return "replace the definition of";
  }
  return "?";
}

void
dep_describe (struct dep_run *r, bool with_xml)
{
  for (size_t hi = 0; hi < r->hosts.len; hi++) {
    struct dep_host *h = &r->hosts.ptr[hi];

    if (!h->used)
      continue;
    say (r, "host %s (%s, domain type %s, pool %s at %s): %zu change%s",
         h->ph->name, h->uri ? h->uri : "no URI", h->type ? h->type : "?",
         h->pool, h->pool_path, host_changes (r, hi), host_changes (r, hi) == 1 ? "" : "s");
    if (!h->pool_exists)
      say (r, "  create pool %s (dir) at %s, autostart", h->pool, h->pool_path);
    else if (!h->pool_active)
      say (r, "  start pool %s", h->pool);
    for (size_t i = 0; i < r->wls.len; i++) {
      struct dep_wl *w = &r->wls.ptr[i];
      bool any = false;
      char size[32];

      if (w->host != hi)
        continue;
      for (size_t d = 0; d < w->img.disks.len; d++)
        if (d < w->vol_exists.len && !w->vol_exists.ptr[d]) {
          human (size, sizeof size, w->img.disks.ptr[d].file_size);
          say (r, "  upload %s as volume %s (%s %s)%s", w->img.disks.ptr[d].image,
               w->img.disks.ptr[d].vol, size, w->img.disks.ptr[d].format,
               d < w->vol_partial.len && w->vol_partial.ptr[d]
               ? ", again: an earlier upload of it never finished" : "");
          any = true;
        }
      if (w->do_define) {
        say (r, "  %s domain %s (%s, %lld vCPU, %lld MiB)", state_words (w),
             w->pw->name, core_mode_names[w->pw->mode], (long long) w->pw->vcpus,
             (long long) w->pw->memory_mib);
        if (with_xml)
          say (r, "%s", w->xml);
        any = true;
      }
      if (w->do_autostart) {
        say (r, "  autostart %s", w->pw->name);
        any = true;
      }
      if (w->do_start) {
        say (r, "  start %s", w->pw->name);
        any = true;
      }
      if (!any)
        say (r, "  %s: deployed as planned%s, nothing to do", w->pw->name,
             w->running ? ", running" : "");
    }
  }
}

/* ------------------------------------------------------------------ */
/* Apply, and undo. */

static int
push_undo (struct dep_run *r, enum undo_kind kind, size_t host, size_t wl,
           const char *name)
{
  struct undo u = { kind, host, wl, core_strdup (name) };

  if (u.name == NULL || undo_vector_append (&r->undo, u) == -1) {
    free (u.name);
    return -1;
  }
  return 0;
}

static void
run_undo (struct dep_run *r)
{
  for (size_t i = r->undo.len; i-- > 0;) {
    struct undo *u = &r->undo.ptr[i];
    struct dep_host *h = &r->hosts.ptr[u->host];
    virDomainPtr dom = NULL;
    virStoragePoolPtr pool = NULL;
    virStorageVolPtr vol;

    switch (u->kind) {
    case UNDO_DOM_DESTROY:
      if ((dom = virDomainLookupByName (h->conn, u->name)))
        virDomainDestroy (dom);
      say (r, "undo: stopped %s", u->name);
      break;
    case UNDO_AUTOSTART_OFF:
      if ((dom = virDomainLookupByName (h->conn, u->name)))
        virDomainSetAutostart (dom, 0);
      break;
    case UNDO_DOM_UNDEFINE:
      if ((dom = virDomainLookupByName (h->conn, u->name))) {
        if (virDomainIsActive (dom) == 1)
          virDomainDestroy (dom);
        if (virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_NVRAM
                                    | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) == -1)
          virDomainUndefine (dom);
      }
      say (r, "undo: undefined %s", u->name);
      break;
    case UNDO_DOM_REDEFINE: {
      struct dep_wl *w = &r->wls.ptr[u->wl];
      virDomainPtr d = virDomainDefineXML (h->conn, w->old_xml);
      if (d) {
        if (w->autostart >= 0)
          virDomainSetAutostart (d, w->autostart);
        virDomainFree (d);
        say (r, "undo: restored the earlier definition of %s", u->name);
      }
      else
        say (r, "undo: could not restore the earlier definition of %s: %s",
             u->name, verr ());
      break;
    }
    case UNDO_VOL_DELETE:
      /* A volume's mark is gone once its upload finished. */
      if ((pool = virStoragePoolLookupByName (h->conn, h->pool))
          && (vol = virStorageVolLookupByName (pool, u->name))) {
        virStorageVolDelete (vol, 0);
        virStorageVolFree (vol);
        say (r, "undo: deleted volume %s", u->name);
      }
      break;
    case UNDO_POOL_STOP:
      if ((pool = virStoragePoolLookupByName (h->conn, u->name)))
        virStoragePoolDestroy (pool);
      say (r, "undo: stopped pool %s", u->name);
      break;
    case UNDO_POOL_REMOVE:
      if ((pool = virStoragePoolLookupByName (h->conn, u->name))) {
        if (virStoragePoolIsActive (pool) == 1)
          virStoragePoolDestroy (pool);
        virStoragePoolDelete (pool, 0);   /* its folder, when it was made */
        virStoragePoolUndefine (pool);
      }
      say (r, "undo: removed pool %s", u->name);
      break;
    }
    if (dom)
      virDomainFree (dom);
    if (pool)
      virStoragePoolFree (pool);
    free (u->name);
  }
  r->undo.len = 0;
}

static int
ensure_pool (struct dep_run *r, size_t hi, virStoragePoolPtr *out)
{
  struct dep_host *h = &r->hosts.ptr[hi];
  virStoragePoolPtr pool = virStoragePoolLookupByName (h->conn, h->pool);
  CLEANUP_FREE char *xml = NULL;

  if (pool == NULL) {
    /* Another plan host may be this same libvirtd: the pool can have
     * appeared since the check, and is then used, not made. */
    r->done++, say (r, "host %s: create pool %s at %s", h->ph->name, h->pool, h->pool_path);
    if ((xml = dep_pool_xml (h->pool, h->pool_path)) == NULL)
      return -1;
    pool = virStoragePoolDefineXML (h->conn, xml, 0);
    if (pool == NULL) {
      core_error ("host %s: pool %s: %s", h->ph->name, h->pool, verr ());
      return -1;
    }
    if (push_undo (r, UNDO_POOL_REMOVE, hi, 0, h->pool) == -1)
      goto fail;
    if (virStoragePoolBuild (pool, 0) == -1) {
      core_error ("host %s: cannot make the folder of pool %s (%s): %s",
                  h->ph->name, h->pool, h->pool_path, verr ());
      goto fail;
    }
    if (virStoragePoolCreate (pool, 0) == -1 || virStoragePoolSetAutostart (pool, 1) == -1) {
      core_error ("host %s: cannot start pool %s: %s", h->ph->name, h->pool, verr ());
      goto fail;
    }
  }
  else if (virStoragePoolIsActive (pool) != 1) {
    r->done++, say (r, "host %s: start pool %s", h->ph->name, h->pool);
    if (virStoragePoolCreate (pool, 0) == -1) {
      core_error ("host %s: cannot start pool %s: %s", h->ph->name, h->pool, verr ());
      goto fail;
    }
    if (push_undo (r, UNDO_POOL_STOP, hi, 0, h->pool) == -1)
      goto fail;
  }
  virStoragePoolRefresh (pool, 0);
  *out = pool;
  return 0;
 fail:
  virStoragePoolFree (pool);
  return -1;
}

/* Reading an image for a sparse upload: holes (unallocated ranges of the
 * file) are sent as their length, not as zeroes. */
struct reader {
  struct dep_run *r;
  const struct dep_disk *d;
  int fd;
  uint64_t done;                /* data and holes */
  uint64_t sent;                /* data only: what the rate is of */
  int err;                      /* errno of a failed read, or -1: interrupted */
};

static void
reader_progress (struct reader *rd)
{
  core_notify_progress (rd->r->notify, NULL, rd->done, rd->sent,
                        rd->d->file_size);
}

static int
reader_data (virStreamPtr st, char *buf, size_t nbytes, void *opaque)
{
  struct reader *rd = opaque;
  ssize_t n;

  (void) st;
  if (interrupted (rd->r)) {
    rd->err = -1;
    return -1;
  }
  do
    n = read (rd->fd, buf, nbytes);
  while (n == -1 && errno == EINTR && !interrupted (rd->r));
  if (n == -1) {
    rd->err = interrupted (rd->r) ? -1 : errno;
    return -1;
  }
  rd->done += n;
  rd->sent += n;
  reader_progress (rd);
  return n;
}

static int
reader_hole (virStreamPtr st, int *in_data, long long *length, void *opaque)
{
  struct reader *rd = opaque;
  off_t cur = lseek (rd->fd, 0, SEEK_CUR), data, hole;

  (void) st;
  if (cur == -1)
    goto fail;
  data = lseek (rd->fd, cur, SEEK_DATA);
  if (data == -1 && errno == ENXIO) {
    /* A hole to the end (or the end itself). */
    *in_data = 0;
    *length = (off_t) rd->d->file_size > cur ? (off_t) rd->d->file_size - cur : 0;
  }
  else if (data == -1)
    goto fail;
  else if (data > cur) {
    *in_data = 0;
    *length = data - cur;
  }
  else {
    if ((hole = lseek (rd->fd, cur, SEEK_HOLE)) == -1)
      goto fail;
    *in_data = 1;
    *length = hole - cur;
  }
  if (lseek (rd->fd, cur, SEEK_SET) == -1)
    goto fail;
  return 0;
 fail:
  rd->err = errno;
  return -1;
}

static int
reader_skip (virStreamPtr st, long long length, void *opaque)
{
  struct reader *rd = opaque;

  (void) st;
  if (lseek (rd->fd, length, SEEK_CUR) == -1) {
    rd->err = errno;
    return -1;
  }
  rd->done += length;
  reader_progress (rd);
  return 0;
}

/* The image's bytes through libvirt's stream API: the host needs no view
 * of this machine's files. */
static int
upload (struct dep_run *r, size_t hi, virStoragePoolPtr pool, const struct dep_disk *d)
{
  struct dep_host *h = &r->hosts.ptr[hi];
  CLEANUP_FREE char *xml = dep_volume_xml (d->vol, d->capacity, d->format);
  CLEANUP_FREE char *what = NULL, *mark = NULL, *mark_xml = NULL;
  struct reader rd = { .r = r, .d = d, .fd = -1 };
  virStorageVolPtr vol = NULL, mvol = NULL;
  virStreamPtr st = NULL;
  int ret = -1;

  if (xml == NULL || (what = core_sprintf ("%s: %s", h->ph->name, d->vol)) == NULL)
    return -1;
  if ((mark = partial_mark (d->vol)) == NULL
      || (mark_xml = dep_volume_xml (mark, 0, "raw")) == NULL)
    return -1;
  vol = virStorageVolLookupByName (pool, d->vol);
  mvol = virStorageVolLookupByName (pool, mark);
  if (vol && mvol == NULL) {
    /* Complete: made between the check and now, or left by --replace to
     * use. */
    virStorageVolFree (vol);
    return 0;
  }
  if ((rd.fd = open (d->image, O_RDONLY | O_CLOEXEC)) == -1) {
    core_error_errno ("%s", d->image);
    goto out;
  }
  /* The mark first, gone only once the volume is whole: a volume found
   * with its mark is an upload that was killed, never one to use. */
  if (mvol == NULL
      && (mvol = virStorageVolCreateXML (pool, mark_xml, 0)) == NULL) {
    core_error ("host %s: cannot create volume %s in pool %s: %s",
                h->ph->name, mark, h->pool, verr ());
    goto out;
  }
  if (push_undo (r, UNDO_VOL_DELETE, hi, 0, mark) == -1)
    goto out;
  if (vol) {
    say (r, "host %s: delete volume %s (an upload of it never finished)",
         h->ph->name, d->vol);
    if (virStorageVolDelete (vol, 0) == -1) {
      core_error ("host %s: cannot delete volume %s: %s", h->ph->name, d->vol, verr ());
      goto out;
    }
    virStorageVolFree (vol);
  }
  vol = virStorageVolCreateXML (pool, xml, 0);
  if (vol == NULL) {
    core_error ("host %s: cannot create volume %s in pool %s: %s",
                h->ph->name, d->vol, h->pool, verr ());
    goto out;
  }
  if (push_undo (r, UNDO_VOL_DELETE, hi, 0, d->vol) == -1)
    goto out;
  if ((st = virStreamNew (h->conn, 0)) == NULL
      || virStorageVolUpload (vol, st, 0, d->file_size,
                              VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) == -1) {
    core_error ("host %s: cannot upload to volume %s: %s", h->ph->name, d->vol, verr ());
    goto out;
  }
  core_notify_start (r->notify, what, d->file_size);
  if (virStreamSparseSendAll (st, reader_data, reader_hole, reader_skip, &rd) == -1) {
    if (rd.err == -1 || interrupted (r))
      core_error ("interrupted");
    else if (rd.err > 0) {
      errno = rd.err;
      core_error_errno ("%s", d->image);
    }
    else
      core_error ("host %s: upload of %s failed: %s", h->ph->name, d->vol, verr ());
    virStreamAbort (st);
  }
  else if (virStreamFinish (st) == -1)
    core_error ("host %s: upload of %s failed: %s", h->ph->name, d->vol, verr ());
  else if (virStorageVolDelete (mvol, 0) == -1)
    core_error ("host %s: cannot delete volume %s: %s", h->ph->name, mark, verr ());
  else
    ret = 0;
  core_notify_end (r->notify,
                   ret == 0 ? "done" : interrupted (r) ? "interrupted" : "failed",
                   rd.done, rd.sent);
 out:
  if (st)
    virStreamFree (st);
  if (vol)
    virStorageVolFree (vol);
  if (mvol)
    virStorageVolFree (mvol);
  if (rd.fd != -1)
    close (rd.fd);
  return ret;
}

static void console_open (struct dep_run *r, struct dep_wl *w, virDomainPtr dom,
                          bool poke);

static int
apply_workload (struct dep_run *r, size_t wi, virStoragePoolPtr pool)
{
  struct dep_wl *w = &r->wls.ptr[wi];
  struct dep_host *h = &r->hosts.ptr[w->host];
  const char *name = w->pw->name;
  virDomainPtr dom = NULL;
  int ret = -1;

  for (size_t d = 0; d < w->img.disks.len; d++) {
    if (w->vol_exists.ptr[d])
      continue;
    r->done++, say (r, "host %s: upload %s as volume %s", h->ph->name,
         w->img.disks.ptr[d].image, w->img.disks.ptr[d].vol);
    if (upload (r, w->host, pool, &w->img.disks.ptr[d]) == -1)
      return -1;
  }
  if (interrupted (r)) {
    core_error ("interrupted");
    return -1;
  }
  if (w->do_define) {
    r->done++, say (r, "host %s: %s domain %s (type %s, %s, %lld vCPU, %lld MiB)", h->ph->name,
         state_words (w), name, h->type, core_mode_names[w->pw->mode],
         (long long) w->pw->vcpus, (long long) w->pw->memory_mib);
    CLEANUP_FREE char *xml = NULL;
    if (w->state == DOM_OTHER) {
      virDomainPtr old = virDomainLookupByName (h->conn, name);
      char uuid[VIR_UUID_STRING_BUFLEN];
      if (old == NULL || virDomainGetUUIDString (old, uuid) == -1) {
        core_error ("host %s: domain %s went away: %s", h->ph->name, name, verr ());
        if (old)
          virDomainFree (old);
        return -1;
      }
      virDomainFree (old);
      if ((xml = dep_xml_set_uuid (w->xml, uuid)) == NULL)
        return -1;
    }
    dom = virDomainDefineXMLFlags (h->conn, xml ? xml : w->xml, VIR_DOMAIN_DEFINE_VALIDATE);
    if (dom == NULL) {
      core_error ("host %s: cannot define %s: %s", h->ph->name, name, verr ());
      return -1;
    }
    if (push_undo (r, w->state == DOM_OTHER ? UNDO_DOM_REDEFINE : UNDO_DOM_UNDEFINE,
                   w->host, wi, name) == -1)
      goto out;
  }
  else if ((dom = virDomainLookupByName (h->conn, name)) == NULL) {
    core_error ("host %s: domain %s went away: %s", h->ph->name, name, verr ());
    return -1;
  }
  if (w->do_autostart) {
    r->done++, say (r, "host %s: autostart %s", h->ph->name, name);
    if (virDomainSetAutostart (dom, 1) == -1) {
      core_error ("host %s: autostart %s: %s", h->ph->name, name, verr ());
      goto out;
    }
    if (w->state != DOM_ABSENT && w->autostart == 0
        && push_undo (r, UNDO_AUTOSTART_OFF, w->host, wi, name) == -1)
      goto out;
  }
  if (w->do_start) {
    r->done++, say (r, "host %s: start %s", h->ph->name, name);
    if (virDomainCreate (dom) == -1) {
      core_error ("host %s: cannot start %s: %s", h->ph->name, name, verr ());
      goto out;
    }
    w->t0 = core_monotonic ();
    if (push_undo (r, UNDO_DOM_DESTROY, w->host, wi, name) == -1)
      goto out;
    /* Right away, so that the console's first lines are not missed. */
    if (r->o.verify_boot)
      console_open (r, w, dom, false);
  }
  ret = 0;
 out:
  virDomainFree (dom);
  return ret;
}

int
dep_apply (struct dep_run *r)
{
  if (!r->checked) {
    core_error ("internal error: dep_apply before dep_check");
    return -1;
  }
  for (size_t hi = 0; hi < r->hosts.len; hi++) {
    struct dep_host *h = &r->hosts.ptr[hi];
    virStoragePoolPtr pool = NULL;

    if (!h->used || host_changes (r, hi) == 0)
      continue;
    if (ensure_pool (r, hi, &pool) == -1)
      goto fail;
    for (size_t wi = 0; wi < r->wls.len; wi++) {
      if (r->wls.ptr[wi].host != hi)
        continue;
      if (apply_workload (r, wi, pool) == -1) {
        virStoragePoolFree (pool);
        goto fail;
      }
    }
    virStoragePoolFree (pool);
  }
  /* Done: what this run made stays. */
  for (size_t i = 0; i < r->undo.len; i++)
    free (r->undo.ptr[i].name);
  r->undo.len = 0;
  /* Volumes of replaced definitions hold the old guests' data: named,
   * not deleted. */
  for (size_t i = 0; i < r->wls.len; i++) {
    struct dep_wl *w = &r->wls.ptr[i];
    if (w->state != DOM_OTHER)
      continue;
    for (size_t v = 0; v < w->old_vols.len; v++) {
      bool used = false;
      for (size_t d = 0; d < w->img.disks.len; d++)
        used |= strcmp (w->img.disks.ptr[d].vol, w->old_vols.ptr[v]) == 0;
      if (!used)
        say (r, "%s: volume %s of its earlier definition is kept in pool %s "
             "(virsh vol-delete removes it)", w->pw->name, w->old_vols.ptr[v],
             r->hosts.ptr[w->host].pool);
    }
  }
  return 0;

 fail: {
    CLEANUP_FREE char *err = core_strdup (core_errmsg ());
    for (size_t i = 0; i < r->wls.len; i++)
      close_console (&r->wls.ptr[i]);
    if (r->undo.len)
      say (r, "undoing what this run did");
    run_undo (r);
    core_error ("%s", err ? err : "failed");
  }
  return -1;
}

/* ------------------------------------------------------------------ */
/* Consoles: --verify-boot and --status look for a getty's login prompt. */

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

static void
console_open (struct dep_run *r, struct dep_wl *w, virDomainPtr dom, bool poke)
{
  struct dep_host *h = &r->hosts.ptr[w->host];
  virStreamPtr st = virStreamNew (h->conn, VIR_STREAM_NONBLOCK);

  w->tail_len = 0;
  w->tail[0] = '\0';
  w->console_eof = false;
  if (st == NULL || virDomainOpenConsole (dom, NULL, st, VIR_DOMAIN_CONSOLE_FORCE) == -1
      || virStreamEventAddCallback (st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR
                                    | VIR_STREAM_EVENT_HANGUP, console_event, w, NULL) == -1) {
    say (r, "%s: cannot open its console: %s", w->pw->name, verr ());
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
static void
wait_consoles (struct dep_run *r, const bool *want, double deadline)
{
  int timer = virEventAddTimeout (250, tick, NULL, NULL);

  while (!interrupted (r) && core_monotonic () < deadline) {
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
  say (r, "%s: last console lines:", w->pw->name);
  for (const char *s = p; s < end;) {
    const char *nl = memchr (s, '\n', end - s);
    size_t len = nl ? (size_t) (nl - s) : (size_t) (end - s);
    while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n'))
      len--;
    if (len)
      say (r, "  | %.*s", (int) len, s);
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
      console_open (r, w, dom, true);
    }
    else
      say (r, "%s: not running, no boot to verify (--start starts it)", w->pw->name);
    if (dom)
      virDomainFree (dom);
  }
  say (r, "waiting up to %d s for login prompts on the serial consoles",
       r->o.boot_timeout_s);
  wait_consoles (r, want, now + r->o.boot_timeout_s);
  for (size_t i = 0; i < r->wls.len; i++) {
    struct dep_wl *w = &r->wls.ptr[i];
    if (!want[i])
      continue;
    if (w->boot_s >= 0)
      say (r, "%s: login prompt after %.0f s (host %s)", w->pw->name, w->boot_s,
           r->hosts.ptr[w->host].ph->name);
    else {
      say (r, "%s: no login prompt %s", w->pw->name,
           interrupted (r) ? "(interrupted)"
           : w->console_eof ? "(the console closed)" : "within the time allowed");
      last_lines (r, w);
      failed++;
    }
    close_console (w);
  }
  return failed;
}

/* ------------------------------------------------------------------ */
/* --status */

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

  if (gather (r, &problems, false, false) == -1) {
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
      row.defined = core_sprintf ("? (%s)", verr ());
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
        console_open (r, w, dom, true);
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
  wait_consoles (r, want, core_monotonic () + r->o.boot_timeout_s);
  for (size_t i = 0; i < r->wls.len; i++) {
    struct dep_wl *w = &r->wls.ptr[i];
    out->ptr[i].booted = core_strdup (!want[i] ? "-" : w->boot_s >= 0 ? "yes" : "no answer");
    close_console (w);
    if (out->ptr[i].booted == NULL)
      return -1;
  }
  return 0;
}
