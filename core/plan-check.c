/* The checks of a plan against itself, after the walk of yaml-read.c
 * has read it: names are unique, every reference resolves, the summary
 * counts what the lists hold, the hosts' models are in its catalog.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core.h"

#define fail core_yaml_fail
#define node_at core_yaml_node
#define value_of core_yaml_value_of
#define FOR_PAIRS CORE_FOR_PAIRS

static const char *
scalar (const yaml_node_t *n)
{
  return (const char *) n->data.scalar.value;
}

/* What a reader can check without the planner: names are unique and every
 * reference resolves.  Plans can hold 100,000 workloads, so look names up
 * in sorted indexes rather than by scanning. */
static int
cmp_name_ptr (const void *a, const void *b)
{
  return strcmp (**(char *const *const *) a, **(char *const *const *) b);
}

/* Sorted pointers to the NAME fields of N structs of SIZE bytes at BASE. */
static char ***
name_index (void *base, size_t n, size_t size)
{
  char ***idx;
  size_t bytes;

  if (!core_mul_size (n ? n : 1, sizeof *idx, &bytes) || !(idx = malloc (bytes))) {
    core_error ("out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    idx[i] = (char **) ((char *) base + i * size);
  qsort (idx, n, sizeof *idx, cmp_name_ptr);
  return idx;
}

static char **
find_name (char ***idx, size_t n, const char *name)
{
  const char *key = name;
  const char *const *keyp = &key;
  char ***hit = bsearch (&keyp, idx, n, sizeof *idx, cmp_name_ptr);

  return hit ? *hit : NULL;
}

/* The node of item I of the top-level list KEY, for pointing at it in
 * an error; the root when there is none. */
static yaml_node_t *
top_item (struct core_reader *r, yaml_node_t *root, const char *key, size_t i)
{
  yaml_node_t *k, *v;

  FOR_PAIRS (r, root, k, v)
    if (k->type == YAML_SCALAR_NODE && strcmp (scalar (k), key) == 0
        && v->type == YAML_SEQUENCE_NODE
        && i < (size_t) (v->data.sequence.items.top - v->data.sequence.items.start))
      return node_at (r, v->data.sequence.items.start[i]);
  return root;
}

static int
check_plan_refs (struct core_reader *r, yaml_node_t *root, struct core_plan *plan)
{
  /* name is the first member of both structs. */
  CLEANUP_FREE char ***hosts = name_index (plan->hosts.ptr, plan->hosts.len,
                                           sizeof *plan->hosts.ptr);
  CLEANUP_FREE char ***works = name_index (plan->workloads.ptr,
                                           plan->workloads.len,
                                           sizeof *plan->workloads.ptr);

  if (hosts == NULL || works == NULL)
    return -1;
  /* The later of two equal names is the one to point at. */
  for (size_t i = 1; i < plan->hosts.len; i++)
    if (strcmp (*hosts[i - 1], *hosts[i]) == 0) {
      size_t a = (struct core_plan_host *) hosts[i - 1] - plan->hosts.ptr;
      size_t b = (struct core_plan_host *) hosts[i] - plan->hosts.ptr;
      size_t at = a > b ? a : b;
      return fail (r, top_item (r, root, "hosts", at),
                   "hosts[%zu]: host name '%s' is used twice", at, *hosts[i]);
    }
  for (size_t i = 1; i < plan->workloads.len; i++)
    if (strcmp (*works[i - 1], *works[i]) == 0) {
      size_t a = (struct core_plan_workload *) works[i - 1] - plan->workloads.ptr;
      size_t b = (struct core_plan_workload *) works[i] - plan->workloads.ptr;
      size_t at = a > b ? a : b;
      return fail (r, top_item (r, root, "workloads", at),
                   "workloads[%zu]: workload name '%s' is used twice", at,
                   *works[i]);
    }
  for (size_t i = 0; i < plan->hosts.len; i++) {
    struct core_plan_host *h = &plan->hosts.ptr[i];

    for (size_t j = 0; j < h->workloads.len; j++) {
      char **w = find_name (works, plan->workloads.len, h->workloads.ptr[j]);
      struct core_plan_workload *wp = (struct core_plan_workload *) w;

      if (wp == NULL || wp->host == NULL || strcmp (wp->host, h->name) != 0)
        return fail (r, top_item (r, root, "hosts", i),
                     "hosts[%zu]: workload '%s' is not a workload "
                     "placed on host '%s'", i, h->workloads.ptr[j], h->name);
    }
  }
  for (size_t i = 0; i < plan->workloads.len; i++) {
    struct core_plan_workload *w = &plan->workloads.ptr[i];

    if (w->host && find_name (hosts, plan->hosts.len, w->host) == NULL)
      return fail (r, top_item (r, root, "workloads", i),
                   "workloads[%zu]: host '%s' is not in hosts", i, w->host);
  }
  return 0;
}

/* The summary's counts are those of the lists, and every placed workload
 * is listed by its host exactly once. */
static int
check_plan_counts (struct core_reader *r, yaml_node_t *root, struct core_plan *plan)
{
  int64_t placed = 0, listed = 0;
  yaml_node_t *k, *v, *summary = root;

  FOR_PAIRS (r, root, k, v)
    if (strcmp (scalar (k), "summary") == 0)
      summary = v;
  for (size_t i = 0; i < plan->workloads.len; i++)
    placed += plan->workloads.ptr[i].host != NULL;
  for (size_t i = 0; i < plan->hosts.len; i++)
    listed += plan->hosts.ptr[i].workloads.len;
  if (plan->summary.workloads != (int64_t) plan->workloads.len)
    return fail (r, summary, "summary.workloads: %lld, but the plan lists %zu "
                 "workloads", (long long) plan->summary.workloads,
                 plan->workloads.len);
  if (plan->summary.placed != placed)
    return fail (r, summary, "summary.placed: %lld, but %lld workloads have a "
                 "host", (long long) plan->summary.placed, (long long) placed);
  if (plan->summary.unplaced != (int64_t) plan->unplaced.len)
    return fail (r, summary, "summary.unplaced: %lld, but the plan lists %zu "
                 "unplaced workloads", (long long) plan->summary.unplaced,
                 plan->unplaced.len);
  if (plan->summary.hosts_used != (int64_t) plan->hosts.len)
    return fail (r, summary, "summary.hosts_used: %lld, but the plan lists %zu "
                 "hosts", (long long) plan->summary.hosts_used, plan->hosts.len);
  /* Each host's list names only its own workloads (check_plan_refs), so
   * equal totals mean each placed workload is listed once. */
  if (listed != placed)
    return fail (r, summary, "hosts list %lld workloads, but %lld workloads "
                 "have a host", (long long) listed, (long long) placed);
  for (size_t i = 0; i < plan->unplaced.len; i++) {
    bool found = false;
    for (size_t j = 0; j < plan->workloads.len && !found; j++)
      found = strcmp (plan->workloads.ptr[j].name, plan->unplaced.ptr[i].name) == 0
        && plan->workloads.ptr[j].host == NULL;
    if (!found)
      return fail (r, top_item (r, root, "unplaced", i), "unplaced[%zu]: '%s' "
                   "is not a workload without a host", i,
                   plan->unplaced.ptr[i].name);
  }
  return 0;
}

/* The catalog entries of the models the hosts use, as in a host catalog;
 * when given, every host's model must be among them. */
static int
check_plan_models (struct core_reader *r, yaml_node_t *root, struct core_plan *plan)
{
  if (plan->models.len == 0)
    return 0;
  for (size_t i = 0; i < plan->hosts.len; i++) {
    bool found = false;

    for (size_t j = 0; j < plan->models.len && !found; j++)
      found = strcmp (plan->hosts.ptr[i].model, plan->models.ptr[j].model) == 0;
    if (!found)
      return fail (r, top_item (r, root, "hosts", i),
                   "hosts[%zu]: model '%s' is not in models", i,
                   plan->hosts.ptr[i].model);
  }
  return 0;
}

/* Names in sizing and growth refer to the plan's workloads and hosts. */
static int
check_sizing_refs (struct core_reader *r, yaml_node_t *root, struct core_plan *plan)
{
  const core_string_vector *lists[2] = { &plan->sizing.virt, &plan->sizing.iommu };

  for (int f = 0; f < 2 && plan->sizing.given; f++)
    for (size_t i = 0; i < lists[f]->len; i++) {
      bool found = false;
      for (size_t j = 0; j < plan->workloads.len && !found; j++)
        found = strcmp (plan->workloads.ptr[j].name, lists[f]->ptr[i]) == 0;
      if (!found)
        return fail (r, value_of (r, value_of (r, root, "sizing"), "features"),
                     "sizing.features: '%s' is not a workload of the plan",
                     lists[f]->ptr[i]);
    }
  for (size_t i = 0; plan->growth.given && i < plan->growth.hosts.len; i++) {
    const char *h = plan->growth.hosts.ptr[i].host;
    bool found = false;
    for (size_t j = 0; j < plan->hosts.len && !found; j++)
      found = strcmp (plan->hosts.ptr[j].name, h) == 0;
    for (size_t j = 0; j < i && found; j++)
      if (strcmp (plan->growth.hosts.ptr[j].host, h) == 0)
        return fail (r, value_of (r, value_of (r, root, "growth"), "hosts"),
                     "growth.hosts[%zu]: host '%s' is listed twice", i, h);
    if (!found)
      return fail (r, value_of (r, value_of (r, root, "growth"), "hosts"),
                   "growth.hosts[%zu]: host '%s' is not in hosts", i, h);
  }
  return 0;
}

int
core_plan_check (struct core_reader *r, yaml_node_t *root,
                 struct core_plan *plan)
{
  if (check_plan_refs (r, root, plan) == -1
      || check_plan_models (r, root, plan) == -1
      || check_sizing_refs (r, root, plan) == -1)
    return -1;
  return check_plan_counts (r, root, plan);
}
