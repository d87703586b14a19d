/* deploy: undoing what this run changed, in reverse order. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/uri.h>

#include "deploy/deploy.h"

int
dep_push_undo (struct dep_run *r, enum undo_kind kind, size_t host, size_t wl,
           const char *name)
{
  struct undo u = { kind, host, wl, core_strdup (name) };

  if (u.name == NULL || undo_vector_append (&r->undo, u) == -1) {
    free (u.name);
    return -1;
  }
  return 0;
}

void
dep_run_undo (struct dep_run *r)
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
      dep_say (r, "undo: stopped %s", u->name);
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
      dep_say (r, "undo: undefined %s", u->name);
      break;
    case UNDO_DOM_REDEFINE: {
      struct dep_wl *w = &r->wls.ptr[u->wl];
      virDomainPtr d = virDomainDefineXML (h->conn, w->old_xml);
      if (d) {
        if (w->autostart >= 0)
          virDomainSetAutostart (d, w->autostart);
        virDomainFree (d);
        dep_say (r, "undo: restored the earlier definition of %s", u->name);
      }
      else
        dep_say (r, "undo: could not restore the earlier definition of %s: %s",
             u->name, dep_verr ());
      break;
    }
    case UNDO_VOL_DELETE:
      /* A volume's mark is gone once its upload finished. */
      if ((pool = virStoragePoolLookupByName (h->conn, h->pool))
          && (vol = virStorageVolLookupByName (pool, u->name))) {
        virStorageVolDelete (vol, 0);
        virStorageVolFree (vol);
        dep_say (r, "undo: deleted volume %s", u->name);
      }
      break;
    case UNDO_POOL_STOP:
      if ((pool = virStoragePoolLookupByName (h->conn, u->name)))
        virStoragePoolDestroy (pool);
      dep_say (r, "undo: stopped pool %s", u->name);
      break;
    case UNDO_POOL_REMOVE:
      if ((pool = virStoragePoolLookupByName (h->conn, u->name))) {
        if (virStoragePoolIsActive (pool) == 1)
          virStoragePoolDestroy (pool);
        virStoragePoolDelete (pool, 0);   /* its folder, when it was made */
        virStoragePoolUndefine (pool);
      }
      dep_say (r, "undo: removed pool %s", u->name);
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
