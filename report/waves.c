/* Migration waves and runbooks, for the report.  Which workloads move
 * in which wave, and why in that order, is core_plan_waves's
 * (core/waves.c), which deploy --wave shares.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "report/report.h"

/* S quoted for a POSIX shell when it needs it; control characters (which
 * no device or file name here should hold) become '?'. */
static char *
shell_quote (const char *s)
{
  size_t n = 2, len = strlen (s);
  bool plain = len > 0;
  char *out, *p;

  for (const char *c = s; *c; c++) {
    if (!(isalnum ((unsigned char) *c) || strchr ("_./:=@%+-,", *c)))
      plain = false;
    n += *c == '\'' ? 4 : 1;
  }
  if (plain)
    return core_strdup (s);
  out = malloc (n + 1);
  if (out == NULL) {
    core_error ("out of memory");
    return NULL;
  }
  p = out;
  *p++ = '\'';
  for (const char *c = s; *c; c++) {
    if (*c == '\'') {
      memcpy (p, "'\\''", 4);
      p += 4;
    }
    else
      *p++ = iscntrl ((unsigned char) *c) ? '?' : *c;
  }
  *p++ = '\'';
  *p = '\0';
  return out;
}

/* The device a disk is read from by `p2vkit capture`: on Linux its own
 * name under /dev; elsewhere (and for disks known only by number) the
 * name a live Linux system gives the Nth disk, to be checked. */
static char *
capture_device (const struct core_plan_server *s, size_t i, bool *guessed)
{
  const char *name = s->disks.ptr[i];
  unsigned k;
  char dev[32];

  if (s->family == CORE_OS_LINUX && strncmp (name, "disk", 4) != 0) {
    CLEANUP_FREE char *path = core_sprintf ("/dev/%s", name);
    return path ? shell_quote (path) : NULL;
  }
  *guessed = true;
  k = i;
  if (k < 26)
    snprintf (dev, sizeof dev, "/dev/sd%c", 'a' + k);
  else
    snprintf (dev, sizeof dev, "/dev/sd%c%c", 'a' + k / 26 - 1, 'a' + k % 26);
  return core_strdup (dev);
}

static const char *const wave_titles[] =
  { "Low risk", "Medium risk", "High risk" };
static const char *const wave_whys[] = {
  "Systems with paravirtual drivers of their own: the conversion only "
  "adapts how they boot. Least data first, to prove the process.",
  "Systems without paravirtual drivers (fully virtualized on emulated "
  "devices), Windows systems that get virtio drivers during the "
  "conversion, and much data to copy.",
  "Devices passed through, very much data or memory: moved last, with "
  "what the earlier waves taught.",
};

int
rep_waves_build (const struct core_plan *plan, const struct rep_options *opts,
                 struct rep_value *root, struct rep_value **wmaps,
                 struct rep_waves_stats *stats)
{
  const core_plan_workload_vector *ws = &plan->workloads;
  const struct core_wave_options wopts = { opts->rate_mbs, opts->window_h,
                                           opts->wave_size };
  CLEANUP_FREE struct core_wave_item *items = NULL;
  CLEANUP_FREE char *plan_sh = NULL;
  struct rep_value *waves = rep_list (), *runbooks = rep_list ();
  struct rep_value *mig = rep_map (), *wave = NULL, *wlist = NULL;
  size_t n = 0, nwaves = 0;
  double wave_s = 0, wave_gib = 0;
  bool failed = false;
  char buf[64], buf2[64];

  memset (stats, 0, sizeof *stats);
  items = core_plan_waves (plan, &wopts, &n, NULL);
  plan_sh = shell_quote (opts->plan_file ? opts->plan_file : "PLAN.yaml");
  if (items == NULL || plan_sh == NULL) {
    rep_value_free (waves);
    rep_value_free (runbooks);
    rep_value_free (mig);
    if (plan_sh == NULL)
      core_error ("out of memory");
    return -1;
  }

  for (size_t w = 0; w < ws->len; w++) {
    rep_set (&failed, wmaps[w], "wave", rep_null ());
    rep_set (&failed, wmaps[w], "infrastructure", rep_bool (false));
    if (ws->ptr[w].host == NULL) {
      rep_set (&failed, wmaps[w], "risk", rep_null ());
      rep_set (&failed, wmaps[w], "risk_why", rep_null ());
      rep_set (&failed, wmaps[w], "transfer", rep_null ());
    }
  }

  for (size_t i = 0; i < n; i++) {
    struct core_wave_item *it = &items[i];
    const struct core_plan_workload *wl = &ws->ptr[it->w];
    struct rep_value *entry;

    if (it->wave != nwaves) {
      if (wave) {
        rep_set (&failed, wave, "transfer",
                 rep_string (rep_fmt_duration (buf, sizeof buf, wave_s)));
        rep_set (&failed, wave, "data", rep_string (rep_fmt_gib (buf, sizeof buf, wave_gib)));
      }
      nwaves = it->wave;
      wave = rep_map ();
      wlist = rep_list ();
      /* The wave holds its list and the list of waves holds the wave
       * before either is filled: on failure neither may be used. */
      if (wave == NULL || wlist == NULL
          || rep_map_set (wave, "workloads", wlist) == -1) {
        rep_value_free (wave ? wave : wlist);
        wave = NULL;
        failed = true;
        break;
      }
      if (rep_list_add (waves, wave) == -1) {
        wave = NULL;
        failed = true;
        break;
      }
      rep_set (&failed, wave, "number", rep_int (nwaves));
      rep_set (&failed, wave, "infrastructure", rep_bool (it->infra));
      if (it->infra) {
        rep_set (&failed, wave, "title", rep_stringf ("Infrastructure services%s",
                                                      it->rank || it->part > 1 ? ", continued" : ""));
        rep_set (&failed, wave, "why", rep_string (
                   it->rank == 0 && it->part == 1
                   ? "Directory, name and address services and the like move "
                     "first, so that the servers moved after them find them in "
                     "place. Of each redundant group only one server moves in "
                     "a wave, so that its twin keeps serving."
                   : "The second server of each redundant group, once its twin "
                     "runs well as a virtual machine."));
      }
      else {
        rep_set (&failed, wave, "title", it->part > 1
                 ? rep_stringf ("%s, continued", wave_titles[it->risk])
                 : rep_string (wave_titles[it->risk]));
        rep_set (&failed, wave, "why", rep_string (wave_whys[it->risk]));
      }
      wave_s = wave_gib = 0;
    }
    wave_s += it->seconds;
    wave_gib += it->disk_gib;
    stats->seconds += it->seconds;
    stats->disk_gib += it->disk_gib;
    stats->infrastructure += it->infra;

    rep_set (&failed, wmaps[it->w], "wave", rep_int (nwaves));
    rep_set (&failed, wmaps[it->w], "infrastructure", rep_bool (it->infra));
    rep_set (&failed, wmaps[it->w], "risk", rep_string (core_risk_names[it->risk]));
    rep_set (&failed, wmaps[it->w], "risk_why", rep_string (it->risk_why));
    rep_set (&failed, wmaps[it->w], "transfer",
             rep_string (rep_fmt_duration (buf, sizeof buf, it->seconds)));

    entry = rep_map ();
    rep_set (&failed, entry, "name", rep_string (wl->name));
    rep_set (&failed, entry, "host", rep_string (wl->host));
    rep_set (&failed, entry, "mode_label", rep_string (wl->mode == CORE_MODE_FULL
                                                       ? "fully virtualized" : "paravirtualized"));
    rep_set (&failed, entry, "data", rep_string (rep_fmt_gib (buf, sizeof buf, it->disk_gib)));
    rep_set (&failed, entry, "transfer",
             rep_string (rep_fmt_duration (buf, sizeof buf, it->seconds)));
    rep_set (&failed, entry, "risk", rep_string (core_risk_names[it->risk]));
    rep_set (&failed, entry, "infrastructure", rep_bool (it->infra));
    rep_add (&failed, wlist, entry);
  }
  if (wave) {
    rep_set (&failed, wave, "transfer", rep_string (rep_fmt_duration (buf, sizeof buf, wave_s)));
    rep_set (&failed, wave, "data", rep_string (rep_fmt_gib (buf, sizeof buf, wave_gib)));
  }
  stats->waves = nwaves;
  stats->moved = n;

  /* Runbooks, in the order of the waves. */
  for (size_t i = 0; i < n; i++) {
    const struct core_wave_item *it = &items[i];
    const struct core_plan_workload *wl = &ws->ptr[it->w];
    const struct core_plan_server *s = &wl->server;
    const struct core_plan_host *host = NULL;
    struct rep_value *rb = rep_map (), *disks = rep_list ();
    bool linux = s->given && s->family == CORE_OS_LINUX, guessed = false;

    for (size_t h = 0; h < plan->hosts.len && host == NULL; h++)
      if (strcmp (plan->hosts.ptr[h].name, wl->host) == 0)
        host = &plan->hosts.ptr[h];
    rep_set (&failed, rb, "name", rep_string (wl->name));
    rep_set (&failed, rb, "anchor", rep_stringf ("runbook-%s", wl->name));
    rep_set (&failed, rb, "wave", rep_int (it->wave));
    rep_set (&failed, rb, "host", rep_string (wl->host));
    rep_set (&failed, rb, "uri", rep_stringf ("%s+ssh://%s/system",
                                              host && host->hypervisor == CORE_HV_XEN
                                              ? "xen" : "qemu", wl->host));
    rep_set (&failed, rb, "mode_label", rep_string (wl->mode == CORE_MODE_FULL
                                                    ? "fully virtualized" : "paravirtualized"));
    rep_set (&failed, rb, "os", rep_string (s->given && s->os ? s->os : "an unknown system"));
    rep_set (&failed, rb, "risk", rep_string (core_risk_names[it->risk]));
    rep_set (&failed, rb, "risk_why", rep_string (it->risk_why));
    rep_set (&failed, rb, "data", rep_string (rep_fmt_gib (buf, sizeof buf, it->disk_gib)));
    rep_set (&failed, rb, "transfer", rep_string (rep_fmt_duration (buf, sizeof buf, it->seconds)));
    /* Linux runs the capture itself, while in service; anything else is
     * captured from a live Linux system booted on the server. */
    rep_set (&failed, rb, "live", rep_bool (linux));
    rep_set (&failed, rb, "live_boot", rep_bool (!linux));
    for (size_t d = 0; s->given && d < s->disks.len; d++) {
      struct rep_value *dm = rep_map ();
      char *dev = capture_device (s, d, &guessed);
      rep_set (&failed, dm, "name", rep_string (s->disks.ptr[d]));
      rep_set (&failed, dm, "dev", rep_string (dev));
      if (dev == NULL)
        failed = true;
      free (dev);
      rep_add (&failed, disks, dm);
    }
    if (disks && disks->len == 0) {
      struct rep_value *dm = rep_map ();
      rep_set (&failed, dm, "name", rep_string ("(not in the plan)"));
      rep_set (&failed, dm, "dev", rep_string ("/dev/sda"));
      rep_add (&failed, disks, dm);
      guessed = true;
    }
    {
      /* "PhysicalDrive0 as /dev/sda, PhysicalDrive1 as /dev/sdb" */
      CLEANUP_FREE char *text = core_strdup ("");
      for (size_t d = 0; disks && text && d < disks->len; d++) {
        const struct rep_value *nm = rep_map_get (disks->items[d], "name");
        const struct rep_value *dv = rep_map_get (disks->items[d], "dev");
        char *t = core_sprintf ("%s%s%s as %s", text, d ? ", " : "",
                                nm ? nm->s : "", dv ? dv->s : "");
        free (text);
        text = t;
      }
      rep_set (&failed, rb, "disks_text", rep_string (text));
      if (text == NULL)
        failed = true;
    }
    rep_set (&failed, rb, "disks", disks);
    rep_set (&failed, rb, "disks_guessed", rep_bool (guessed));
    rep_set (&failed, rb, "windows", rep_bool (s->given && s->family == CORE_OS_WINDOWS));
    rep_set (&failed, rb, "windows_drivers",
             rep_bool (wl->mode == CORE_MODE_PARAVIRT && s->family == CORE_OS_WINDOWS));
    rep_set (&failed, rb, "passthrough", rep_bool (wl->passthrough.len > 0));
    {
      struct rep_value *pt = rep_list ();
      CLEANUP_FREE char *text = core_strdup ("");
      for (size_t k = 0; k < wl->passthrough.len; k++) {
        char *t = text ? core_sprintf ("%s%s%s", text, k ? ", " : "",
                                       wl->passthrough.ptr[k]) : NULL;
        free (text);
        text = t;
        rep_add (&failed, pt, rep_string (wl->passthrough.ptr[k]));
      }
      rep_set (&failed, rb, "devices", pt);
      rep_set (&failed, rb, "devices_text", rep_string (text));
      if (text == NULL)
        failed = true;
    }
    rep_add (&failed, runbooks, rb);
  }

  rep_set (&failed, mig, "plan", rep_string (plan_sh));
  rep_set (&failed, mig, "receiver", rep_string ("conversion-server:10809"));
  rep_set (&failed, mig, "listen", rep_string ("0.0.0.0:10809"));
  rep_set (&failed, mig, "captures", rep_string ("/var/lib/p2vkit/captures"));
  rep_set (&failed, mig, "images", rep_string ("/var/lib/p2vkit/images"));
  rep_set (&failed, mig, "psk", rep_string ("/etc/p2vkit/psk.txt"));
  rep_set (&failed, mig, "virtio_win", rep_string ("/usr/share/virtio-win"));
  rep_set (&failed, mig, "rate", rep_stringf ("%s MB/s", rep_fmt_num (buf, sizeof buf, opts->rate_mbs, 1)));
  rep_set (&failed, mig, "window", rep_stringf ("%s h", rep_fmt_num (buf, sizeof buf, opts->window_h, 1)));
  rep_set (&failed, mig, "wave_size", rep_int (opts->wave_size));
  rep_set (&failed, mig, "waves", rep_int (nwaves));
  rep_set (&failed, mig, "waves_label", rep_stringf ("%zu wave%s", nwaves, nwaves == 1 ? "" : "s"));
  rep_set (&failed, mig, "moved", rep_int (n));
  rep_set (&failed, mig, "data", rep_string (rep_fmt_gib (buf, sizeof buf, stats->disk_gib)));
  rep_set (&failed, mig, "transfer", rep_string (rep_fmt_duration (buf2, sizeof buf2, stats->seconds)));
  rep_set (&failed, root, "waves", waves);
  rep_set (&failed, root, "runbooks", runbooks);
  rep_set (&failed, root, "migration", mig);
  return failed ? -1 : 0;
}
