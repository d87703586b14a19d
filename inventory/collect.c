/* A whole profile: the snapshot of hardware, OS and services, then the
 * utilization samples. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "inventory/inventory.h"

char *
inv_format_time (time_t t)
{
  struct tm tm;
  char buf[32];

  if (gmtime_r (&t, &tm) == NULL
      || strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    core_error ("cannot format the time %lld", (long long) t);
    return NULL;
  }
  return core_strdup (buf);
}

/* A host name that names nothing: the kernel's before one is set. */
static bool
unset_hostname (const char *h)
{
  return h == NULL || *h == '\0' || strcmp (h, "(none)") == 0;
}

/* The running kernel's host name, else the configured one: systemd's
 * /etc/hostname, Red Hat's before 7 (CentOS 5, RHEL 6: HOSTNAME= in
 * /etc/sysconfig/network), SUSE's before 12 (/etc/HOSTNAME). */
static char *
default_name (struct inv_src *s)
{
  CLEANUP_FREE char *host = inv_src_line (s, "/proc/sys/kernel/hostname");

  if (unset_hostname (host)) {
    free (host);
    host = inv_src_line (s, "/etc/hostname");
  }
  if (unset_hostname (host)) {
    CLEANUP_FREE char *net = inv_src_read (s, "/etc/sysconfig/network",
                                           64 << 10, NULL);
    free (host);
    host = net ? inv_os_release_get (net, "HOSTNAME") : NULL;
  }
  if (unset_hostname (host)) {
    free (host);
    host = inv_src_line (s, "/etc/HOSTNAME");
  }
  if (unset_hostname (host)) {
    core_error ("cannot read a host name in %s/proc/sys/kernel/hostname, "
                "%s/etc/hostname, %s/etc/sysconfig/network (HOSTNAME=) or "
                "%s/etc/HOSTNAME to name the profile; give --name", s->root,
                s->root, s->root, s->root);
    return NULL;
  }
  return inv_name_from_hostname (host);
}

struct core_profile *
inv_collect (const struct inv_options *o)
{
  CLEANUP_FREE_PROFILE struct core_profile *p = core_profile_new ();
  struct core_profile *ret = NULL;
  struct inv_src s;
  int done;

  if (p == NULL)
    return NULL;
  if (o->interval_s < 1 || o->interval_s > INV_MAX_INTERVAL) {
    core_error ("interval: %lld is out of range (1 to %d seconds)",
                (long long) o->interval_s, INV_MAX_INTERVAL);
    return NULL;
  }
  if (o->samples < 0 || o->samples > INV_MAX_SAMPLES) {
    core_error ("samples: %lld is out of range (0 to %d)",
                (long long) o->samples, INV_MAX_SAMPLES);
    return NULL;
  }
  if (inv_src_init (&s, o->root, o->record, o->notify) == -1)
    goto out;
  /* A root that is not there is a mistake, not a machine without facts. */
  if (!inv_src_live (&s) && !inv_src_exists (&s, "/proc")) {
    core_error ("%s: no proc folder there; is it a recorded tree?", s.root);
    goto out;
  }

  p->name = o->name ? core_strdup (o->name) : default_name (&s);
  if (p->name == NULL
      || inv_read_hardware (&s, &p->hardware) == -1
      || inv_read_os (&s, &p->os) == -1
      || inv_read_services (&s, &p->services) == -1)
    goto out;
  /* cores and mhz are required by the profile format: a profile without
   * them could not be read back, so the agent fails rather than write
   * one. */
  if (p->hardware.cpu.cores == CORE_UNSET || p->hardware.cpu.mhz == CORE_UNSET
      || p->hardware.memory_mib == CORE_UNSET) {
    core_error ("%s: cannot tell the number of cores, their frequency and "
                "the memory size (see the warnings); no profile written",
                *s.root ? s.root : "this system");
    goto out;
  }
  done = inv_sample (&s, p, o->interval_s, o->samples);
  if (done == -1)
    goto out;
  /* The series end when the sampling ends: the planner lines up the
   * workloads' days from collected_at back. */
  p->collected_at = inv_format_time (o->collected_at + (time_t) done * o->interval_s);
  if (p->collected_at == NULL)
    goto out;
  ret = p;
  p = NULL;
 out:
  inv_src_clear (&s);
  return ret;
}
