/* A proven lower bound on the hosts a packing needs: L1, Martello and
 * Toth's L2 and dual feasible functions per resource and slot, and the
 * largest anti-affinity set.
 */
#include <math.h>
#include <string.h>

#include "planner/planner.h"

/* Lower bound ------------------------------------------------------------ */

static int
cmp_desc (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x > y ? -1 : x < y;
}

/* Martello and Toth's L2 for weights W (sorted decreasing) and capacity
 * C; also >= L1. */
static int64_t
bound_l2 (const double *w, size_t n, double C)
{
  double total = 0, *prefix;
  int64_t best;

  if (n == 0 || !(C > 0) || isinf (C))
    return 0;
  for (size_t i = 0; i < n; i++)
    total += w[i];
  best = (int64_t) ceil (total / C - 1e-9);
  prefix = malloc ((n + 1) * sizeof *prefix);
  if (prefix == NULL)
    return best;
  prefix[0] = 0;
  for (size_t i = 0; i < n; i++)
    prefix[i + 1] = prefix[i] + w[i];

  /* Candidates K: 0 and every weight up to C/2. */
  for (size_t kidx = 0; kidx <= n; kidx++) {
    double K = kidx == n ? 0 : w[kidx];
    size_t j1 = 0, j2, j3;
    double sum2, sum3, v;
    int64_t l;

    if (K > C / 2 + 1e-12)
      continue;
    if (kidx < n && kidx > 0 && w[kidx] == w[kidx - 1])
      continue;
    /* w sorted decreasing: J1 = w > C-K; J2 = C-K >= w > C/2;
     * J3 = C/2 >= w >= K. */
    while (j1 < n && w[j1] > C - K + 1e-12)
      j1++;
    j2 = j1;
    while (j2 < n && w[j2] > C / 2 + 1e-12)
      j2++;
    j3 = j2;
    while (j3 < n && w[j3] >= K - 1e-12)
      j3++;
    sum2 = prefix[j2] - prefix[j1];
    sum3 = prefix[j3] - prefix[j2];
    v = (sum3 - ((double) (j2 - j1) * C - sum2)) / C;
    l = (int64_t) j2 + (v > 1e-9 ? (int64_t) ceil (v - 1e-9) : 0);
    if (l > best)
      best = l;
  }
  free (prefix);
  return best;
}

/* Fekete and Schepers' bound from dual feasible functions: for EPS, a
 * weight above C - EPS counts C and one below EPS counts nothing (as in
 * L2); then u_k maps x to x when (k+1)x/C is whole and to
 * floor((k+1)x/C) C/k otherwise.  Any packing stays a packing under
 * these maps, so the mapped total over C, rounded up, bounds the hosts.
 * It is at least L2 and proves the optimum of many instances where L2
 * falls one short (items just over a third or a quarter of a host).  W
 * is sorted decreasing; EPS runs over up to 48 of its values. */
#define DFF_K 12
#define DFF_EPS 48

static int64_t
bound_dff (const double *w, size_t n, double C)
{
  int64_t best = 0;
  size_t first = 0, nsmall;

  if (n == 0 || !(C > 0) || isinf (C))
    return 0;
  while (first < n && w[first] > C / 2 + 1e-12)
    first++;
  nsmall = n - first;           /* the candidates for EPS: w <= C/2 */
  for (size_t e = 0; e <= DFF_EPS && e <= nsmall; e++) {
    /* EPS = 0, then spread over the small weights, largest first. */
    double eps = e == 0 ? 0 : w[first + (e - 1) * nsmall / (nsmall < DFF_EPS ? nsmall : DFF_EPS)];
    for (int k = 1; k <= DFF_K; k++) {
      double sum = 0;
      int64_t l;
      for (size_t i = 0; i < n; i++) {
        double x = w[i], y;
        if (x > C - eps + 1e-9 * C)
          x = C;
        else if (x < eps - 1e-9 * C)
          continue;
        if (x < C) {
          y = (k + 1) * x / C;
          if (fabs (y - round (y)) > 1e-9)
            x = floor (y) * C / k;
        }
        sum += x;
      }
      l = (int64_t) ceil (sum / C - 1e-9);
      if (l > best)
        best = l;
    }
  }
  return best;
}

int64_t
plan_lower_bound (const struct plan_problem *pb)
{
  size_t n = pb->nitems, T = pb->slots;
  double *w = malloc ((n ? n : 1) * sizeof *w);
  double capmax[3 + PLAN_NSERIES] = { 0 };
  int64_t best = 0;

  if (w == NULL)
    return 0;
  /* The largest capacity of any type: a bound on the count of hosts of
   * any mix of types.  Each item counts with its smallest demand over the
   * types it can use. */
  for (size_t t = 0; t < pb->ntypes; t++) {
    const struct plan_capacity *c = &pb->cap[t];
    capmax[0] = fmax (capmax[0], c->memory_mib);
    capmax[1] = fmax (capmax[1], c->disk_gib);
    capmax[2] = fmax (capmax[2], c->vcpus);
    for (int r = 0; r < PLAN_NSERIES; r++)
      capmax[3 + r] = fmax (capmax[3 + r], c->series[r]);
  }
  for (int dim = 0; dim < 3 + PLAN_NSERIES; dim++) {
    size_t slots = dim < 3 ? 1 : T;
    for (size_t s = 0; s < slots; s++) {
      size_t m = 0;
      int64_t l;

      for (size_t i = 0; i < n; i++) {
        double v = INFINITY;
        for (size_t t = 0; t < pb->ntypes; t++) {
          double x;
          if (pb->items[i].mode[t] < 0)
            continue;
          switch (dim) {
          case 0: x = plan_item_memory (pb, i, t); break;
          case 1: x = pb->items[i].d->disk_gib; break;
          case 2: x = pb->items[i].d->vcpus; break;
          default: x = plan_item_series (pb, i, t, dim - 3, s); break;
          }
          v = fmin (v, x);
        }
        if (isfinite (v) && v > 0)
          w[m++] = v;
      }
      qsort (w, m, sizeof *w, cmp_desc);
      l = bound_l2 (w, m, capmax[dim]);
      if (l > best)
        best = l;
      /* The stronger bound costs DFF_EPS x DFF_K passes: on problems
       * without a day, or small ones. */
      if (m * slots <= 20000) {
        l = bound_dff (w, m, capmax[dim]);
        if (l > best)
          best = l;
      }
    }
  }
  free (w);
  /* Workloads of one anti-affinity set need a host each. */
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < pb->items[i].nsets; k++) {
      int64_t same = 0;
      int g = pb->items[i].sets[k];
      for (size_t j = 0; j < n; j++)
        same += plan_sets_common (&g, 1, pb->items[j].sets, pb->items[j].nsets) >= 0;
      if (same > best)
        best = same;
    }
  return best;
}
