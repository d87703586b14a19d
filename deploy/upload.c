/* deploy: storage pools, and uploading images into their volumes. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/uri.h>

#include "deploy/deploy.h"

int
dep_ensure_pool (struct dep_run *r, size_t hi, virStoragePoolPtr *out)
{
  struct dep_host *h = &r->hosts.ptr[hi];
  virStoragePoolPtr pool = virStoragePoolLookupByName (h->conn, h->pool);
  CLEANUP_FREE char *xml = NULL;

  if (pool == NULL) {
    /* Another plan host may be this same libvirtd: the pool can have
     * appeared since the check, and is then used, not made. */
    r->done++, dep_say (r, "host %s: create pool %s at %s", h->ph->name, h->pool, h->pool_path);
    if ((xml = dep_pool_xml (h->pool, h->pool_path)) == NULL)
      return -1;
    pool = virStoragePoolDefineXML (h->conn, xml, 0);
    if (pool == NULL) {
      core_error ("host %s: pool %s: %s", h->ph->name, h->pool, dep_verr ());
      return -1;
    }
    if (dep_push_undo (r, UNDO_POOL_REMOVE, hi, 0, h->pool) == -1)
      goto fail;
    if (virStoragePoolBuild (pool, 0) == -1) {
      core_error ("host %s: cannot make the folder of pool %s (%s): %s",
                  h->ph->name, h->pool, h->pool_path, dep_verr ());
      goto fail;
    }
    if (virStoragePoolCreate (pool, 0) == -1 || virStoragePoolSetAutostart (pool, 1) == -1) {
      core_error ("host %s: cannot start pool %s: %s", h->ph->name, h->pool, dep_verr ());
      goto fail;
    }
  }
  else if (virStoragePoolIsActive (pool) != 1) {
    r->done++, dep_say (r, "host %s: start pool %s", h->ph->name, h->pool);
    if (virStoragePoolCreate (pool, 0) == -1) {
      core_error ("host %s: cannot start pool %s: %s", h->ph->name, h->pool, dep_verr ());
      goto fail;
    }
    if (dep_push_undo (r, UNDO_POOL_STOP, hi, 0, h->pool) == -1)
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
  if (dep_cancelled (rd->r)) {
    rd->err = -1;
    return -1;
  }
  do
    n = read (rd->fd, buf, nbytes);
  while (n == -1 && errno == EINTR && !dep_cancelled (rd->r));
  if (n == -1) {
    rd->err = dep_cancelled (rd->r) ? -1 : errno;
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
int
dep_upload (struct dep_run *r, size_t hi, virStoragePoolPtr pool, const struct dep_disk *d)
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
  if ((mark = dep_partial_mark (d->vol)) == NULL
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
                h->ph->name, mark, h->pool, dep_verr ());
    goto out;
  }
  if (dep_push_undo (r, UNDO_VOL_DELETE, hi, 0, mark) == -1)
    goto out;
  if (vol) {
    dep_say (r, "host %s: delete volume %s (an upload of it never finished)",
         h->ph->name, d->vol);
    if (virStorageVolDelete (vol, 0) == -1) {
      core_error ("host %s: cannot delete volume %s: %s", h->ph->name, d->vol, dep_verr ());
      goto out;
    }
    virStorageVolFree (vol);
  }
  vol = virStorageVolCreateXML (pool, xml, 0);
  if (vol == NULL) {
    core_error ("host %s: cannot create volume %s in pool %s: %s",
                h->ph->name, d->vol, h->pool, dep_verr ());
    goto out;
  }
  if (dep_push_undo (r, UNDO_VOL_DELETE, hi, 0, d->vol) == -1)
    goto out;
  if ((st = virStreamNew (h->conn, 0)) == NULL
      || virStorageVolUpload (vol, st, 0, d->file_size,
                              VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) == -1) {
    core_error ("host %s: cannot upload to volume %s: %s", h->ph->name, d->vol, dep_verr ());
    goto out;
  }
  core_notify_start (r->notify, what, d->file_size);
  if (virStreamSparseSendAll (st, reader_data, reader_hole, reader_skip, &rd) == -1) {
    if (rd.err == -1 || dep_cancelled (r))
      core_error ("interrupted");
    else if (rd.err > 0) {
      errno = rd.err;
      core_error_errno ("%s", d->image);
    }
    else
      core_error ("host %s: upload of %s failed: %s", h->ph->name, d->vol, dep_verr ());
    virStreamAbort (st);
  }
  else if (virStreamFinish (st) == -1)
    core_error ("host %s: upload of %s failed: %s", h->ph->name, d->vol, dep_verr ());
  else if (virStorageVolDelete (mvol, 0) == -1)
    core_error ("host %s: cannot delete volume %s: %s", h->ph->name, mark, dep_verr ());
  else
    ret = 0;
  core_notify_end (r->notify,
                   ret == 0 ? "done" : dep_cancelled (r) ? "interrupted" : "failed",
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
