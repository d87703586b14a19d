/* deploy: the check phase (connect, look, change nothing) and what it
 * would change (--dry-run, --xml-dir). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/uri.h>

#include "deploy/deploy.h"

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

/* Whether --only and --wave leave workload NAME in (everything without
 * either; both given: the workloads both name). */
static bool
selected (const struct dep_run *r, const char *name)
{
  bool in = r->o.only == NULL || r->o.only->len == 0;

  for (size_t i = 0; !in && i < r->o.only->len; i++)
    in = strcmp (r->o.only->ptr[i], name) == 0;
  for (size_t i = 0; in && r->wave_of && i < r->plan->workloads.len; i++)
    if (strcmp (r->plan->workloads.ptr[i].name, name) == 0)
      return r->wave_of[i] == (size_t) r->o.wave;
  return in;
}

/* --wave N: which wave each workload moves in, the report's waves. */
static int
check_wave (struct dep_run *r)
{
  const struct core_plan *p = r->plan;
  const struct core_wave_options wopts = {
    CORE_WAVE_RATE_MBS, CORE_WAVE_WINDOW_H, CORE_WAVE_SIZE
  };
  CLEANUP_FREE struct core_wave_item *items = NULL;
  size_t n, nwaves;

  free (r->wave_of);
  r->wave_of = NULL;
  if (r->o.wave <= 0)
    return 0;
  if ((items = core_plan_waves (p, &wopts, &n, &nwaves)) == NULL)
    return -1;
  if ((size_t) r->o.wave > nwaves) {
    core_error ("--wave: %s has %zu wave%s, there is no wave %lld",
                r->o.plan_file, nwaves, nwaves == 1 ? "" : "s",
                (long long) r->o.wave);
    return -1;
  }
  if ((r->wave_of = calloc (p->workloads.len + 1, sizeof *r->wave_of)) == NULL) {
    core_error ("out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    r->wave_of[items[i].w] = items[i].wave;
  /* An --only name outside the wave is a mistake, not an empty run. */
  for (size_t i = 0; r->o.only && i < r->o.only->len; i++)
    for (size_t j = 0; j < p->workloads.len; j++)
      if (strcmp (p->workloads.ptr[j].name, r->o.only->ptr[i]) == 0
          && r->wave_of[j] != (size_t) r->o.wave) {
        core_error ("--only: workload '%s' moves in wave %zu of %s, not in "
                    "--wave %lld", r->o.only->ptr[i], r->wave_of[j],
                    r->o.plan_file, (long long) r->o.wave);
        return -1;
      }
  return 0;
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
int
dep_gather (struct dep_run *r, core_string_vector *problems, bool need_images,
        bool need_uris)
{
  const struct core_plan *p = r->plan;

  if (check_only (r) == -1 || check_wave (r) == -1)
    return -1;

  for (size_t i = 0; i < p->hosts.len; i++) {
    const struct core_plan_host *ph = &p->hosts.ptr[i];
    struct dep_host h = { .ph = ph };
    const char *uri = dep_map_get (&r->o.uris, ph->name, r->o.default_uri);
    const char *path = dep_map_get (&r->o.pool_paths, ph->name, r->o.default_pool_path);

    h.pool = dep_map_get (&r->o.pools, ph->name, r->o.default_pool);
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
      r->hosts.ptr[r->hosts.len - 1].local = dep_uri_is_local (uri);
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
                    h->ph->name, h->uri, dep_verr ());
  /* Remote hosts that stop answering are noticed, not waited on. */
  if (!h->local)
    virConnectSetKeepAlive (h->conn, 5, 3);
  type = virConnectGetType (h->conn);
  if (type == NULL)
    return problem (problems, "host %s: %s: %s", h->ph->name, h->uri, dep_verr ());
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
      return problem (problems, "host %s: %s: capabilities: %s", h->ph->name, h->uri, dep_verr ());
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
        core_error ("host %s: %s: %s", h->ph->name, name, dep_verr ());
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
    CLEANUP_FREE char *mark = dep_partial_mark (vol);
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

/* Once the hosts have no problem, every workload, adding what is wrong
 * with them to PROBLEMS: -1 when the hosts had problems or a check could
 * not be made. */
static int
check_workloads (struct dep_run *r, core_string_vector *problems)
{
  if (problems->len > 0)
    return -1;
  for (size_t i = 0; i < r->wls.len; i++)
    if (check_workload (r, &r->wls.ptr[i], problems) == -1)
      return -1;
  return 0;
}

int
dep_check (struct dep_run *r, core_string_vector *problems)
{
  size_t before;

  if (dep_gather (r, problems, true, true) == -1)
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
  if (check_workloads (r, problems) == -1)
    return -1;
  r->checked = true;
  return problems->len > 0 ? -1 : 0;
}

/* Write every definition without connecting to a host (--xml-dir). */
int
dep_xml_only (struct dep_run *r, core_string_vector *problems)
{
  if (dep_gather (r, problems, true, false) == -1)
    return -1;
  /* No host to ask: the domain type a KVM host would get when KVM works. */
  for (size_t i = 0; i < r->hosts.len; i++) {
    struct dep_host *h = &r->hosts.ptr[i];
    h->type = core_strdup (h->xen ? "xen" : "kvm");
    if (h->type == NULL)
      return -1;
  }
  if (check_workloads (r, problems) == -1)
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

size_t
dep_host_changes (const struct dep_run *r, size_t hi)
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
    n += dep_host_changes (r, i);
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

const char *
dep_state_words (const struct dep_wl *w)
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
    dep_say (r, "host %s (%s, domain type %s, pool %s at %s): %zu change%s",
         h->ph->name, h->uri ? h->uri : "no URI", h->type ? h->type : "?",
         h->pool, h->pool_path, dep_host_changes (r, hi), dep_host_changes (r, hi) == 1 ? "" : "s");
    if (!h->pool_exists)
      dep_say (r, "  create pool %s (dir) at %s, autostart", h->pool, h->pool_path);
    else if (!h->pool_active)
      dep_say (r, "  start pool %s", h->pool);
    for (size_t i = 0; i < r->wls.len; i++) {
      struct dep_wl *w = &r->wls.ptr[i];
      bool any = false;
      char size[32];

      if (w->host != hi)
        continue;
      for (size_t d = 0; d < w->img.disks.len; d++)
        if (d < w->vol_exists.len && !w->vol_exists.ptr[d]) {
          human (size, sizeof size, w->img.disks.ptr[d].file_size);
          dep_say (r, "  upload %s as volume %s (%s %s)%s", w->img.disks.ptr[d].image,
               w->img.disks.ptr[d].vol, size, w->img.disks.ptr[d].format,
               d < w->vol_partial.len && w->vol_partial.ptr[d]
               ? ", again: an earlier upload of it never finished" : "");
          any = true;
        }
      if (w->do_define) {
        dep_say (r, "  %s domain %s (%s, %lld vCPU, %lld MiB)", dep_state_words (w),
             w->pw->name, core_mode_names[w->pw->mode], (long long) w->pw->vcpus,
             (long long) w->pw->memory_mib);
        if (with_xml)
          dep_say (r, "%s", w->xml);
        any = true;
      }
      if (w->do_autostart) {
        dep_say (r, "  autostart %s", w->pw->name);
        any = true;
      }
      if (w->do_start) {
        dep_say (r, "  start %s", w->pw->name);
        any = true;
      }
      if (!any)
        dep_say (r, "  %s: deployed as planned%s, nothing to do", w->pw->name,
             w->running ? ", running" : "");
    }
  }
}
