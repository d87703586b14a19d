/* deploy: the apply phase: volumes, domains, autostart and start, host by
 * host. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/uri.h>

#include "deploy/deploy.h"

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
    r->done++, dep_say (r, "host %s: upload %s as volume %s", h->ph->name,
         w->img.disks.ptr[d].image, w->img.disks.ptr[d].vol);
    if (dep_upload (r, w->host, pool, &w->img.disks.ptr[d]) == -1)
      return -1;
  }
  if (dep_cancelled (r)) {
    core_error ("interrupted");
    return -1;
  }
  if (w->do_define) {
    r->done++, dep_say (r, "host %s: %s domain %s (type %s, %s, %lld vCPU, %lld MiB)", h->ph->name,
         dep_state_words (w), name, h->type, core_mode_names[w->pw->mode],
         (long long) w->pw->vcpus, (long long) w->pw->memory_mib);
    CLEANUP_FREE char *xml = NULL;
    if (w->state == DOM_OTHER) {
      virDomainPtr old = virDomainLookupByName (h->conn, name);
      char uuid[VIR_UUID_STRING_BUFLEN];
      if (old == NULL || virDomainGetUUIDString (old, uuid) == -1) {
        core_error ("host %s: domain %s went away: %s", h->ph->name, name, dep_verr ());
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
      core_error ("host %s: cannot define %s: %s", h->ph->name, name, dep_verr ());
      return -1;
    }
    if (dep_push_undo (r, w->state == DOM_OTHER ? UNDO_DOM_REDEFINE : UNDO_DOM_UNDEFINE,
                   w->host, wi, name) == -1)
      goto out;
  }
  else if ((dom = virDomainLookupByName (h->conn, name)) == NULL) {
    core_error ("host %s: domain %s went away: %s", h->ph->name, name, dep_verr ());
    return -1;
  }
  if (w->do_autostart) {
    r->done++, dep_say (r, "host %s: autostart %s", h->ph->name, name);
    if (virDomainSetAutostart (dom, 1) == -1) {
      core_error ("host %s: autostart %s: %s", h->ph->name, name, dep_verr ());
      goto out;
    }
    if (w->state != DOM_ABSENT && w->autostart == 0
        && dep_push_undo (r, UNDO_AUTOSTART_OFF, w->host, wi, name) == -1)
      goto out;
  }
  if (w->do_start) {
    r->done++, dep_say (r, "host %s: start %s", h->ph->name, name);
    if (virDomainCreate (dom) == -1) {
      core_error ("host %s: cannot start %s: %s", h->ph->name, name, dep_verr ());
      goto out;
    }
    w->t0 = core_monotonic ();
    if (dep_push_undo (r, UNDO_DOM_DESTROY, w->host, wi, name) == -1)
      goto out;
    /* Right away, so that the console's first lines are not missed. */
    if (r->o.verify_boot)
      dep_console_open (r, w, dom, false);
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

    if (!h->used || dep_host_changes (r, hi) == 0)
      continue;
    if (dep_ensure_pool (r, hi, &pool) == -1)
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
        dep_say (r, "%s: volume %s of its earlier definition is kept in pool %s "
             "(virsh vol-delete removes it)", w->pw->name, w->old_vols.ptr[v],
             r->hosts.ptr[w->host].pool);
    }
  }
  return 0;

 fail: {
    CLEANUP_FREE char *err = core_strdup (core_errmsg ());
    for (size_t i = 0; i < r->wls.len; i++)
      dep_close_console (&r->wls.ptr[i]);
    if (r->undo.len)
      dep_say (r, "undoing what this run did");
    dep_run_undo (r);
    core_error ("%s", err ? err : "failed");
  }
  return -1;
}
