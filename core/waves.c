/* Migration waves: the order in which a plan's workloads move, shared by
 * the report (which shows the waves and their runbooks) and by deploy
 * --wave (which deploys one of them).
 *
 * The order (docs/report.md): infrastructure services first (directory,
 * DNS, DHCP, certificates...: what the other servers need to find in
 * place), one member of each redundant group per wave so that its twin
 * keeps serving; then the rest by risk (low, medium, high) and, within a
 * risk, least data first.  A wave ends where the next workload would
 * take its transfers past the window, or at the most workloads a wave
 * may hold (cutovers take people's time, too).  Transfer times are the data in use
 * on the servers' file systems (whole disks when the plan does not know
 * it) at the given rate, one transfer after the other.
 */
#include <ctype.h>
#include <string.h>

#include "core.h"

const char *const core_risk_names[] = { "low", "medium", "high", NULL };

/* Words of role, group and service names that mark infrastructure. */
static const char *const infra_words[] = {
  "dns", "named", "bind", "unbound", "dhcp", "dhcpd", "ldap", "slapd",
  "kerberos", "kdc", "gc", "domain", "directory", "ad", "radius", "ntp",
  "ntpd", "chrony", "pki", "ca", NULL
};

static bool
has_infra_word (const char *s)
{
  char word[64];
  size_t n = 0;

  if (s == NULL)
    return false;
  for (;; s++) {
    if (*s && isalnum ((unsigned char) *s)) {
      if (n + 1 < sizeof word)
        word[n++] = tolower ((unsigned char) *s);
      continue;
    }
    word[n] = '\0';
    for (int i = 0; n && infra_words[i]; i++)
      if (strcmp (word, infra_words[i]) == 0)
        return true;
    n = 0;
    if (*s == '\0')
      return false;
  }
}

static bool
is_infrastructure (const struct core_plan_workload *w)
{
  const struct core_plan_server *s = &w->server;

  if (!s->given)
    return false;
  if (has_infra_word (s->role) || has_infra_word (s->group))
    return true;
  for (size_t i = 0; i < s->services.len; i++)
    if (has_infra_word (s->services.ptr[i]))
      return true;
  return false;
}

/* What a capture sends: the data on the file systems when the plan
 * knows it (capture skips free and zero blocks), else the whole disks. */
static double
data_gib (const struct core_plan_workload *w)
{
  if (w->server.given && w->server.used_gib != CORE_UNSET)
    return w->server.used_gib;
  if (w->server.given && w->server.disk_gib != CORE_UNSET)
    return w->server.disk_gib;
  return w->demand.disk_gib;
}

static void
assess_risk (const struct core_plan_workload *w, struct core_wave_item *it)
{
  if (w->passthrough.len) {
    it->risk = CORE_RISK_HIGH;
    it->risk_why = "a device is passed through to it";
  }
  else if (it->disk_gib > 2048) {
    it->risk = CORE_RISK_HIGH;
    it->risk_why = "over 2 TiB of data to copy";
  }
  else if (w->memory_mib > 65536) {
    it->risk = CORE_RISK_HIGH;
    it->risk_why = "a large server (over 64 GiB of memory)";
  }
  else if (w->mode == CORE_MODE_FULL) {
    bool unknown = false;

    for (size_t r = 0; r < w->reasons.len; r++)
      unknown |= strstr (w->reasons.ptr[r], "is unknown") != NULL
        || strstr (w->reasons.ptr[r], "does not know") != NULL;
    it->risk = CORE_RISK_MEDIUM;
    it->risk_why = unknown
      ? "whether its system has paravirtual drivers is unknown, so it runs on emulated devices"
      : "its system has no paravirtual drivers and runs on emulated devices";
  }
  else if (w->server.family == CORE_OS_WINDOWS) {
    it->risk = CORE_RISK_MEDIUM;
    it->risk_why = "the conversion adds virtio drivers to Windows";
  }
  else if (it->disk_gib > 500) {
    it->risk = CORE_RISK_MEDIUM;
    it->risk_why = "over 500 GiB of data to copy";
  }
  else {
    it->risk = CORE_RISK_LOW;
    it->risk_why = "its system has paravirtual drivers of its own";
  }
}

static int
cmp_items (const void *a, const void *b)
{
  const struct core_wave_item *x = a, *y = b;

  if (x->infra != y->infra)
    return x->infra ? -1 : 1;
  if (x->infra && x->rank != y->rank)
    return x->rank - y->rank;
  if (x->risk != y->risk)
    return (int) x->risk - (int) y->risk;
  if (x->disk_gib != y->disk_gib)
    return x->disk_gib < y->disk_gib ? -1 : 1;
  return x->w < y->w ? -1 : x->w > y->w;
}

struct core_wave_item *
core_plan_waves (const struct core_plan *plan,
                 const struct core_wave_options *opts, size_t *n_out,
                 size_t *waves_out)
{
  const core_plan_workload_vector *ws = &plan->workloads;
  struct core_wave_item *items;
  double window_s = opts->window_h * 3600, wave_s = 0;
  size_t n = 0, nwaves = 0, part = 0, in_wave = 0;
  int last_key = -1;

  items = calloc (ws->len ? ws->len : 1, sizeof *items);
  if (items == NULL) {
    core_error ("out of memory");
    return NULL;
  }
  /* What moves: every workload with a host. */
  for (size_t w = 0; w < ws->len; w++) {
    const struct core_plan_workload *wl = &ws->ptr[w];
    struct core_wave_item *it;

    if (wl->host == NULL)
      continue;
    it = &items[n++];
    it->w = w;
    it->infra = is_infrastructure (wl);
    it->disk_gib = data_gib (wl);
    it->seconds = it->disk_gib * 1073741824.0 / (opts->rate_mbs * 1e6);
    assess_risk (wl, it);
  }
  /* Redundant infrastructure: the Nth server of a group goes in the Nth
   * infrastructure wave, in plan order within the group. */
  for (size_t i = 0; i < n; i++) {
    const char *g = ws->ptr[items[i].w].server.group;
    if (!items[i].infra || g == NULL)
      continue;
    for (size_t j = 0; j < i; j++) {
      const char *h = ws->ptr[items[j].w].server.group;
      if (items[j].infra && h && strcmp (g, h) == 0)
        items[i].rank++;
    }
  }
  qsort (items, n, sizeof *items, cmp_items);

  for (size_t i = 0; i < n; i++) {
    struct core_wave_item *it = &items[i];
    int key = it->infra ? it->rank : 1000 + (int) it->risk;

    if (key != last_key || (wave_s > 0 && wave_s + it->seconds > window_s)
        || (nwaves && in_wave >= opts->wave_size)) {
      part = key == last_key ? part + 1 : 1;
      nwaves++;
      last_key = key;
      wave_s = 0;
      in_wave = 0;
    }
    it->wave = nwaves;
    it->part = part;
    wave_s += it->seconds;
    in_wave++;
  }
  *n_out = n;
  if (waves_out)
    *waves_out = nwaves;
  return items;
}
