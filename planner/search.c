/* The packer's local search (2. in pack.c): cheaper types for hosts
 * whose load fits them, emptying hosts by a tabu search over a pool of
 * ejected workloads, the balancing pass (3.) and the retry of what was
 * left out.
 */
#include <math.h>
#include <string.h>

#include "planner/planner.h"

/* Local search ----------------------------------------------------------- */

/* Hosts whose load fits a cheaper type get that type. */
static void
downgrade (struct plan_packer *pk)
{
  for (size_t k = 0; k < pk->sol.nbins; k++) {
    struct plan_bin *b = &pk->sol.bins[k];
    size_t old = b->type;

    for (size_t t = 0; t < pk->ntypes; t++) {
      struct plan_bin trial;
      bool ok = true;

      if (pk->pb->cap[t].cost >= pk->pb->cap[b->type].cost - PLAN_EPS)
        continue;
      if (pk->pb->cap[t].model != pk->pb->cap[old].model && !plan_model_available (pk, t))
        continue;
      if (plan_bin_init (pk, &trial, t) == -1)
        return;
      for (size_t q = 0; q < b->nitems && ok; q++) {
        ok = plan_fits (pk, &trial, b->items[q]);
        if (ok && plan_bin_add (pk, &trial, b->items[q]) == -1)
          ok = false;
      }
      if (ok) {
        /* Cheaper in total, spares counted: a model that comes into use
         * brings its spares, one that goes out of use takes them. */
        size_t mo = pk->pb->cap[b->type].model, mn = pk->pb->cap[t].model;
        double delta = pk->pb->cap[t].cost - pk->pb->cap[b->type].cost;
        if (mo != mn) {
          double sp = (double) pk->pb->pol->ha_spare_hosts;
          if (pk->model_used[mn] == 0)
            delta += sp * plan_model_cost (pk, mn);
          if (pk->model_used[mo] == 1)
            delta -= sp * plan_model_cost (pk, mo);
        }
        ok = delta < -PLAN_EPS * (1 + pk->pb->cap[b->type].cost);
      }
      if (ok) {
        pk->model_used[pk->pb->cap[b->type].model]--;
        pk->model_used[pk->pb->cap[t].model]++;
        plan_bin_clear (b);
        *b = trial;
      }
      else
        plan_bin_clear (&trial);
    }
  }
  pk->sol.cost = plan_solution_cost (pk, &pk->sol);
}

/* Depth-first search for an assignment of ORDER[Q..] to the NT hosts
 * FRESH, within a budget of *NODES steps; *OOM set on allocation
 * failure. */
static bool
pool_dfs (struct plan_packer *pk, struct plan_bin *fresh, size_t nt,
          const size_t *order, size_t npool, size_t q, long *nodes, bool *oom,
          const double *rem)
{
  size_t i;

  if (q == npool)
    return true;
  i = order[q];
  if (rem) {
    /* One dimension: what is left must fit the room that is left. */
    double room = 0;
    for (size_t k = 0; k < nt; k++)
      room += pk->cap1 - plan_load1 (pk, &fresh[k]);
    if (rem[q] > room)
      return false;
  }
  for (size_t k = 0; k < nt; k++) {
    bool same = false;

    /* Empty hosts of one type are interchangeable: try the first. */
    for (size_t j = 0; j < k && !same; j++)
      same = fresh[j].nitems == 0 && fresh[k].nitems == 0
        && fresh[j].type == fresh[k].type;
    if (same)
      continue;
    if (--*nodes < 0)
      return false;
    if (!plan_fits (pk, &fresh[k], i))
      continue;
    if (plan_bin_add (pk, &fresh[k], i) == -1) {
      *oom = true;
      return false;
    }
    if (pool_dfs (pk, fresh, nt, order, npool, q + 1, nodes, oom, rem))
      return true;
    plan_bin_remove (pk, &fresh[k], i);
    if (*nodes < 0 || *oom)
      return false;
  }
  return false;
}

/* Can the NPOOL items of POOL be packed into new hosts of the NT types
 * TYPES?  A depth-first search, heaviest first (so its first leaf is
 * first fit decreasing), with a budget: exact on the small pools the
 * search leaves, where first fit alone misses packings that fill hosts
 * exactly.  On success the hosts are added to the solution. */
#define POOL_NODES 4000
#define POOL_MAX 64

static int
pool_into_new_bins (struct plan_packer *pk, const size_t *pool, size_t npool,
                    const size_t *types, size_t nt, bool commit)
{
  struct plan_bin fresh[3];
  size_t order[POOL_MAX];
  double rem[POOL_MAX + 1];
  long nodes = POOL_NODES;
  bool ok, oom = false;

  if (npool > POOL_MAX || nt > 3)
    return 0;
  if (pk->vec) {
    /* Necessary: the pool's total fits the hosts' total, per dimension. */
    for (int d = 0; d < PLAN_ND; d++) {
      double sum = 0, cap = 0;
      for (size_t k = 0; k < nt; k++)
        cap += pk->capv[types[k] * PLAN_ND + d];
      for (size_t q = 0; q < npool; q++) {
        double m = INFINITY;
        for (size_t k = 0; k < nt; k++)
          m = fmin (m, pk->vec[PLAN_IX (pk, pool[q], types[k]) * PLAN_ND + d]);
        sum += m;
      }
      if (sum > cap)
        return 0;
    }
  }
  for (size_t q = 0; q < npool; q++)
    order[q] = pool[q];
  /* Heaviest first: insertion sort, the pool is small. */
  for (size_t q = 1; q < npool; q++)
    for (size_t j = q; j > 0 && pk->size[order[j]] > pk->size[order[j - 1]]; j--) {
      size_t t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
    }
  for (size_t k = 0; k < nt; k++)
    if (plan_bin_init (pk, &fresh[k], types[k]) == -1) {
      for (size_t j = 0; j < k; j++)
        plan_bin_clear (&fresh[j]);
      return -1;
    }
  if (pk->one_d) {
    rem[npool] = 0;
    for (size_t q = npool; q > 0; q--)
      rem[q - 1] = rem[q] + pk->sz[order[q - 1]];
  }
  ok = pool_dfs (pk, fresh, nt, order, npool, 0, &nodes, &oom,
                 pk->one_d ? rem : NULL);
  if (oom) {
    for (size_t k = 0; k < nt; k++)
      plan_bin_clear (&fresh[k]);
    return -1;
  }
  if (ok && commit) {
    for (size_t k = 0; k < nt; k++) {
      int idx;
      if (fresh[k].nitems == 0) {
        plan_bin_clear (&fresh[k]);
        continue;
      }
      idx = plan_open_bin (pk, fresh[k].type);
      if (idx < 0) {
        for (size_t j = k; j < nt; j++)
          plan_bin_clear (&fresh[j]);
        return -1;
      }
      plan_bin_clear (&pk->sol.bins[idx]);
      pk->sol.bins[idx] = fresh[k];
      for (size_t q = 0; q < fresh[k].nitems; q++)
        pk->sol.bin_of[fresh[k].items[q]] = idx;
    }
    return 1;
  }
  for (size_t k = 0; k < nt; k++)
    plan_bin_clear (&fresh[k]);
  return ok ? 1 : 0;
}

/* The refill descent: host K takes, from its own workloads and the pool,
 * the subset of greatest weight that plan_fits (a depth-first search with a
 * bound, as a subset-sum; unlimited add/drop moves where the tabu search
 * moves at most two in and two out). */
#define REFILL_MAX 28
#define REFILL_NODES 3000

struct refill {
  struct plan_packer *pk;
  struct plan_bin scratch;
  size_t cand[REFILL_MAX], cur[REFILL_MAX], best[REFILL_MAX];
  double suffix[REFILL_MAX + 1];
  size_t nc, nbest;
  double best_w;
  long nodes;
  bool oom;
};

static void
refill_dfs (struct refill *rf, size_t q, size_t depth, double w)
{
  if (w > rf->best_w + 1e-12) {
    rf->best_w = w;
    rf->nbest = depth;
    memcpy (rf->best, rf->cur, depth * sizeof *rf->cur);
  }
  if (q == rf->nc || w + rf->suffix[q] <= rf->best_w + 1e-12
      || --rf->nodes < 0 || rf->oom)
    return;
  if (plan_fits (rf->pk, &rf->scratch, rf->cand[q])) {
    if (plan_bin_add (rf->pk, &rf->scratch, rf->cand[q]) == -1) {
      rf->oom = true;
      return;
    }
    rf->cur[depth] = rf->cand[q];
    refill_dfs (rf, q + 1, depth + 1, w + rf->pk->weight[rf->cand[q]]);
    plan_bin_remove (rf->pk, &rf->scratch, rf->cand[q]);
  }
  refill_dfs (rf, q + 1, depth, w);
}

/* Returns 1 when host K gained weight (POOL updated), 0 when not, -1 on
 * error. */
static int
refill (struct plan_packer *pk, size_t k, size_t *pool, size_t *npool)
{
  struct plan_bin *b = &pk->sol.bins[k];
  struct refill *rf;
  double have = 0;
  int ret = 0;

  if (b->nitems > REFILL_MAX / 2 || *npool == 0)
    return 0;
  rf = calloc (1, sizeof *rf);
  if (rf == NULL || plan_bin_init (pk, &rf->scratch, b->type) == -1) {
    free (rf);
    core_error ("out of memory");
    return -1;
  }
  rf->pk = pk;
  for (size_t q = 0; q < b->nitems; q++) {
    rf->cand[rf->nc++] = b->items[q];
    have += pk->weight[b->items[q]];
  }
  /* The pool is kept heaviest first: its heaviest that can go there. */
  for (size_t q = 0; q < *npool && rf->nc < REFILL_MAX; q++)
    if (pk->mode[PLAN_IX (pk, pool[q], b->type)] >= 0)
      rf->cand[rf->nc++] = pool[q];
  for (size_t q = 1; q < rf->nc; q++)
    for (size_t j = q; j > 0 && pk->weight[rf->cand[j]] > pk->weight[rf->cand[j - 1]]; j--) {
      size_t t = rf->cand[j]; rf->cand[j] = rf->cand[j - 1]; rf->cand[j - 1] = t;
    }
  rf->suffix[rf->nc] = 0;
  for (size_t q = rf->nc; q > 0; q--)
    rf->suffix[q - 1] = rf->suffix[q] + pk->weight[rf->cand[q - 1]];
  rf->best_w = have + 1e-9;     /* only a strict gain is worth a change */
  rf->nbest = SIZE_MAX;
  rf->nodes = REFILL_NODES;
  if (pk->one_d) {
    /* The subset that fills the host most, jumping to the largest
     * candidate that plan_fits (they are sorted by weight, so by demand). */
    double sz[REFILL_MAX], suffix[REFILL_MAX + 1], own = 0;
    struct plan_mbs m = { .cand = rf->cand, .sz = sz, .suffix = suffix,
                     .nc = rf->nc, .cur = rf->cur, .best = rf->best,
                     .nbest = SIZE_MAX, .cap = pk->cap1, .nodes = REFILL_NODES };
    for (size_t q = 0; q < rf->nc; q++)
      sz[q] = pk->sz[rf->cand[q]];
    suffix[rf->nc] = 0;
    for (size_t q = rf->nc; q > 0; q--)
      suffix[q - 1] = suffix[q] + sz[q - 1];
    for (size_t q = 0; q < b->nitems; q++)
      own += pk->sz[b->items[q]];
    m.best_load = own + 1e-9 * pk->cap1;
    plan_mbs_dfs (&m, 0, 0, 0);
    rf->nbest = m.nbest;
  }
  else
    refill_dfs (rf, 0, 0, 0);
  if (rf->oom) {
    core_error ("out of memory");
    ret = -1;
  }
  else if (rf->nbest != SIZE_MAX) {
    /* Out what is not in the best set, then in what is new. */
    for (size_t q = 0; q < b->nitems; ) {
      size_t i = b->items[q];
      bool keep = false;
      for (size_t j = 0; j < rf->nbest && !keep; j++)
        keep = rf->best[j] == i;
      if (keep) {
        q++;
        continue;
      }
      plan_bin_remove (pk, b, i);
      pk->sol.bin_of[i] = -1;
      pool[(*npool)++] = i;
    }
    for (size_t j = 0; j < rf->nbest; j++) {
      size_t i = rf->best[j];
      if (pk->sol.bin_of[i] == (ssize_t) k)
        continue;
      if (plan_bin_add (pk, b, i) == -1) {
        ret = -1;
        break;
      }
      pk->sol.bin_of[i] = k;
      for (size_t p = 0; p < *npool; p++)
        if (pool[p] == i) {
          pool[p] = pool[--*npool];
          break;
        }
    }
    if (ret == 0)
      ret = 1;
  }
  plan_bin_clear (&rf->scratch);
  free (rf);
  return ret;
}

/* One-dimensional: the first X in [LO, HI) with LIN - LSZ[X] <= CAP,
 * LSZ increasing (HI when none). */
static size_t
first_room (const double *lsz, size_t lo, size_t hi, double lin, double cap)
{
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (lin - lsz[mid] <= cap)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* Hosts looked at per step of the search, from a random start.  Looking
 * at all of them finds the best exchange but makes every step slow; a
 * random few make many more, more varied steps, which on the benchmark
 * sets reaches more optima in the same time (docs/benchmarks.md). */
#define SCAN_HOSTS 16
/* Hosts refilled per step: fewer, more frequent tabu steps in between did
 * best on the Falkenauer triplets (8 solved 22 of 26 sampled in 1 s where
 * 16 solved 19). */
#define REFILL_HOSTS 8

/* Reduce the solution by one host: take out the three lightest hosts
 * (R in general), put their workloads in a pool, and search over the
 * remaining hosts, exchanging workloads with the pool, until the pool
 * fits into R-1 new hosts (after the consistent neighborhood search of
 * Buljubasic and Vasquez).  Returns 0 on success, 1 when it gave up (the
 * solution is then as before), -1 on error. */
static int
reduce_one (struct plan_packer *pk, const size_t *victims_in, size_t r,
            long max_iter)
{
  struct plan_solution backup;
  size_t *pool = NULL, npool = 0, types[3], victims[3];
  long *tabu_until = NULL;
  size_t *light = NULL, cap_light = 0;   /* a host's movable items */
  double *lsz = NULL;                    /* and their demands (one_d) */
  long iter = 0;
  int ret = 1, fitted;
  size_t nb, nt;

  if (plan_solution_copy (pk, &backup, &pk->sol) == -1)
    return -1;
  pool = malloc ((pk->n ? pk->n : 1) * sizeof *pool);
  tabu_until = calloc (pk->n ? pk->n : 1, sizeof *tabu_until);
  if (pool == NULL || tabu_until == NULL) {
    core_error ("out of memory");
    ret = -1;
    goto out;
  }
  /* The new hosts: the victims' types less the dearest one. */
  memcpy (victims, victims_in, r * sizeof *victims);
  for (size_t q = 0; q < r; q++)
    types[q] = pk->sol.bins[victims[q]].type;
  for (size_t q = 1; q < r; q++)
    for (size_t j = q; j > 0 && pk->pb->cap[types[j]].cost < pk->pb->cap[types[j - 1]].cost; j--) {
      size_t t = types[j]; types[j] = types[j - 1]; types[j - 1] = t;
    }
  nt = r - 1;
  /* Empty the victims into the pool, highest index first so that
   * dropping one does not move another. */
  for (size_t q = 1; q < r; q++)
    for (size_t j = q; j > 0 && victims[j] > victims[j - 1]; j--) {
      size_t t = victims[j]; victims[j] = victims[j - 1]; victims[j - 1] = t;
    }
  for (size_t q = 0; q < r; q++) {
    struct plan_bin *b = &pk->sol.bins[victims[q]];
    for (size_t j = 0; j < b->nitems; j++) {
      pool[npool++] = b->items[j];
      pk->sol.bin_of[b->items[j]] = -1;
    }
    b->nitems = 0;
    plan_drop_bin (pk, victims[q]);
  }
  nb = pk->sol.nbins;

  for (;;) {
    ssize_t bk = -1;
    size_t bin_[2], bout[2], bnin = 0, bnout = 0;
    double bgain = -INFINITY;
    size_t start;
    bool pool_pairs = npool <= 24;

    fitted = pool_into_new_bins (pk, pool, npool, types, nt, true);
    if (fitted == -1) {
      ret = -1;
      goto out;
    }
    if (fitted == 1) {
      pk->sol.cost = plan_solution_cost (pk, &pk->sol);
      ret = 0;
      goto out;
    }
    if (++iter > max_iter || nb == 0 || ((iter & 15) == 0 && plan_out_of_time (pk)))
      break;
    if ((iter & 15) == 0)
      plan_pack_report (pk, "improving", false);

    /* Descent first: refill a few hosts from the pool; the tabu step
     * below only when none gains. */
    for (size_t q = 1; q < npool; q++)
      for (size_t j = q; j > 0 && pk->weight[pool[j]] > pk->weight[pool[j - 1]]; j--) {
        size_t t = pool[j]; pool[j] = pool[j - 1]; pool[j - 1] = t;
      }
    {
      bool gained = false;
      start = plan_random_below (pk, nb);
      for (size_t kk = 0; kk < nb && kk < REFILL_HOSTS; kk++) {
        int g = refill (pk, (start + kk) % nb, pool, &npool);
        if (g == -1) {
          ret = -1;
          goto out;
        }
        gained |= g == 1;
      }
      if (gained)
        continue;
    }

    /* The best move: into bin K put pool items IN (one or two), taking out
     * bin items OUT (none, one or two, not tabu), scored by how much
     * weight leaves the pool.  The best non-tabu move is made even when it
     * adds weight to the pool, so the search does not stall; tabu keeps
     * it from undoing its last moves.  Heaviest pool items first and
     * lightest host items first, so that gains only fall along each loop
     * and a loop stops as soon as it cannot beat the best move found. */
    for (size_t q = 1; q < npool; q++)
      for (size_t j = q; j > 0 && pk->weight[pool[j]] > pk->weight[pool[j - 1]]; j--) {
        size_t t = pool[j]; pool[j] = pool[j - 1]; pool[j - 1] = t;
      }
    start = plan_random_below (pk, nb);
    for (size_t kk = 0; kk < nb && kk < SCAN_HOSTS; kk++) {
      size_t k = (start + kk) % nb;
      struct plan_bin *b = &pk->sol.bins[k];
      size_t m = 0;
      bool bin_pairs = b->nitems <= 40;

      double load = 0;

      if (b->nitems > cap_light) {
        size_t *p = realloc (light, b->nitems * sizeof *p);
        double *ps = p ? realloc (lsz, b->nitems * sizeof *ps) : NULL;
        if (p) light = p;
        if (ps) lsz = ps;
        if (p == NULL || ps == NULL) {
          core_error ("out of memory");
          ret = -1;
          goto out;
        }
        cap_light = b->nitems;
      }
      for (size_t q = 0; q < b->nitems; q++)
        if (tabu_until[b->items[q]] <= iter)
          light[m++] = b->items[q];
      for (size_t q = 1; q < m; q++)
        for (size_t j = q; j > 0 && pk->weight[light[j]] < pk->weight[light[j - 1]]; j--) {
          size_t t = light[j]; light[j] = light[j - 1]; light[j - 1] = t;
        }
      if (pk->one_d) {
        load = plan_load1 (pk, b);
        for (size_t q = 0; q < m; q++)
          lsz[q] = pk->sz[light[q]];
      }

      for (size_t p1 = 0; p1 < npool; p1++) {
        if (pk->mode[PLAN_IX (pk, pool[p1], b->type)] < 0)
          continue;
        /* Pairs first (heavier), the single last; P2 > P1. */
        for (size_t p2 = p1 + 1; p2 <= (pool_pairs ? npool : p1 + 1); p2++) {
          bool single = p2 == npool || !pool_pairs;
          size_t in[2] = { pool[p1], single ? pool[p1] : pool[p2] };
          size_t nin = single ? 1 : 2;
          double win = pk->weight[in[0]] + (nin == 2 ? pk->weight[in[1]] : 0);

          if (single)
            p2 = npool;         /* the last round of this loop */
          else if (pk->mode[PLAN_IX (pk, in[1], b->type)] < 0)
            continue;
          if (win <= bgain + 1e-12) {
            if (single)
              break;
            p2 = npool - 1;     /* lighter pairs cannot win: the single */
            continue;
          }
          if (pk->one_d) {
            /* The same moves, found by binary search on the host's
             * workloads (sorted by weight, so by demand): for each
             * first one out, the lightest second that makes room.  The
             * sums are formed as fits_move forms them. */
            double lin = load + pk->sz[in[0]];
            if (nin == 2)
              lin += pk->sz[in[1]];
            if (lin <= pk->cap1) {
              bgain = win; bk = k; bnin = nin; bnout = 0;
              bin_[0] = in[0]; bin_[1] = in[1];
            }
            {
              size_t x = first_room (lsz, 0, m, lin, pk->cap1);
              if (x < m && win - pk->weight[light[x]] > bgain + 1e-12) {
                bgain = win - pk->weight[light[x]]; bk = k; bnin = nin; bnout = 1;
                bin_[0] = in[0]; bin_[1] = in[1]; bout[0] = light[x];
              }
            }
            for (size_t x = 0; x < m && bin_pairs; x++) {
              double g1 = win - pk->weight[light[x]];
              size_t y;
              if (g1 <= bgain + 1e-12)
                break;
              y = first_room (lsz, x + 1, m, lin - lsz[x], pk->cap1);
              if (y < m && g1 - pk->weight[light[y]] > bgain + 1e-12) {
                bgain = g1 - pk->weight[light[y]]; bk = k; bnin = nin; bnout = 2;
                bin_[0] = in[0]; bin_[1] = in[1]; bout[0] = light[x]; bout[1] = light[y];
              }
            }
            continue;
          }
          if (plan_fits_move (pk, b, in, nin, NULL, 0)) {
            bgain = win; bk = k; bnin = nin; bnout = 0;
            bin_[0] = in[0]; bin_[1] = in[1];
          }
          for (size_t x = 0; x < m; x++) {
            size_t a = light[x];
            double g1 = win - pk->weight[a];
            if (g1 <= bgain + 1e-12)
              break;
            {
              size_t out1[1] = { a };
              if (plan_fits_move (pk, b, in, nin, out1, 1)) {
                bgain = g1; bk = k; bnin = nin; bnout = 1;
                bin_[0] = in[0]; bin_[1] = in[1]; bout[0] = a;
              }
            }
            if (!bin_pairs)
              continue;
            for (size_t y = x + 1; y < m; y++) {
              size_t c = light[y];
              double g2 = g1 - pk->weight[c];
              if (g2 <= bgain + 1e-12)
                break;
              size_t out2[2] = { a, c };
              if (plan_fits_move (pk, b, in, nin, out2, 2)) {
                bgain = g2; bk = k; bnin = nin; bnout = 2;
                bin_[0] = in[0]; bin_[1] = in[1]; bout[0] = a; bout[1] = c;
              }
            }
          }
        }
      }
    }
    if (bk < 0)
      break;                    /* nothing can move at all */
    {
      struct plan_bin *b = &pk->sol.bins[bk];
      for (size_t q = 0; q < bnout; q++) {
        plan_bin_remove (pk, b, bout[q]);
        pk->sol.bin_of[bout[q]] = -1;
      }
      for (size_t q = 0; q < bnin; q++) {
        if (plan_bin_add (pk, b, bin_[q]) == -1) {
          ret = -1;
          goto out;
        }
        pk->sol.bin_of[bin_[q]] = bk;
        /* What just went in stays for a while. */
        tabu_until[bin_[q]] = iter + 3 + (long) plan_random_below (pk, 8);
        for (size_t p = 0; p < npool; p++)
          if (pool[p] == bin_[q]) {
            pool[p] = pool[--npool];
            break;
          }
      }
      for (size_t q = 0; q < bnout; q++)
        pool[npool++] = bout[q];
    }
  }

  /* Gave up: back to the solution as it was. */
  plan_solution_clear (&pk->sol);
  pk->sol = backup;
  memset (&backup, 0, sizeof backup);
  memset (pk->model_used, 0, pk->pb->nmodels * sizeof *pk->model_used);
  for (size_t k = 0; k < pk->sol.nbins; k++)
    pk->model_used[pk->pb->cap[pk->sol.bins[k].type].model]++;
  ret = 1;

 out:
  plan_solution_clear (&backup);
  free (pool);
  free (tabu_until);
  free (light);
  free (lsz);
  return ret;
}

/* How full bin B is: its largest share of any resource at any time. */
static double
bin_fill (const struct plan_packer *pk, const struct plan_bin *b)
{
  double cv[PLAN_NPX], f = 0;

  plan_cap_proxy (pk, b->type, cv);
  if (cv[PLAN_PX_MEM] > 0) f = fmax (f, b->memory_mib / cv[PLAN_PX_MEM]);
  if (cv[PLAN_PX_DISK] > 0 && isfinite (cv[PLAN_PX_DISK])) f = fmax (f, b->disk_gib / cv[PLAN_PX_DISK]);
  if (cv[PLAN_PX_VCPU] > 0) f = fmax (f, b->vcpus / cv[PLAN_PX_VCPU]);
  for (int r = 0; r < PLAN_NSERIES; r++)
    if (cv[PLAN_PX_CPU + r] > 0 && isfinite (cv[PLAN_PX_CPU + r]))
      f = fmax (f, plan_bin_peak (pk, b, r) / cv[PLAN_PX_CPU + r]);
  return f;
}

/* Sum of normalized demand of a bin's items: a finer "how full". */
static double
bin_weight (const struct plan_packer *pk, const struct plan_bin *b)
{
  double w = 0;

  for (size_t q = 0; q < b->nitems; q++)
    w += pk->size[b->items[q]];
  return w;
}

#define IMPROVE_ROUNDS 3

int
plan_improve (struct plan_packer *pk, int64_t lower_bound)
{
  long attempt = 0;
  int failures = 0, rounds = 0;
  long budget = 2000 + 50 * (long) pk->n;

  downgrade (pk);
  while (!plan_out_of_time (pk)) {
    size_t nb = pk->sol.nbins, r = nb < 3 ? nb : 3, victims[3];
    struct plan_order_entry *cand;
    int res;

    if (nb == 0 || ((int64_t) nb <= lower_bound && pk->ntypes == 1))
      break;
    /* The lightest hosts relative to their cost, with a rotating choice
     * of the third so that repeated attempts differ. */
    cand = malloc (nb * sizeof *cand);
    if (cand == NULL) {
      core_error ("out of memory");
      return -1;
    }
    for (size_t k = 0; k < nb; k++) {
      cand[k].key = -(bin_weight (pk, &pk->sol.bins[k]) / pk->pb->cap[pk->sol.bins[k].type].cost);
      cand[k].i = k;
    }
    qsort (cand, nb, sizeof *cand, plan_cmp_order);
    for (size_t q = 0; q < r; q++)
      victims[q] = cand[q].i;
    if (r == 3 && nb > 3)
      victims[2] = cand[2 + (size_t) attempt % (nb - 2)].i;
    {
      /* Hosts of many workloads each (thousands of workloads): three
       * would overflow the pool, so empty one host into the others,
       * the lightest first, then the next. */
      size_t held = 0;
      for (size_t q = 0; q < r; q++)
        held += pk->sol.bins[victims[q]].nitems;
      if (held > POOL_MAX) {
        r = 1;
        victims[0] = cand[(size_t) failures % nb].i;
      }
    }
    free (cand);
    res = reduce_one (pk, victims, r, budget);
    if (res == -1)
      return -1;
    attempt++;
    if (res == 0) {
      failures = 0;
      downgrade (pk);
      plan_note_best (pk, &pk->sol);
    }
    else if (++failures > (int) nb + 2) {
      /* Every host tried as the third: again with searches twice as
       * long, a few times (some reductions need long searches; giving
       * up at the first round left time unused on the benchmarks). */
      if (++rounds == IMPROVE_ROUNDS)
        break;
      failures = 0;
      budget *= 2;
    }
    plan_pack_report (pk, "improving", false);
  }
  return 0;
}

/* Even out the hosts' peak utilization without changing their number:
 * move an item from the fullest host to another when that lowers the
 * larger of the two fills. */
void
plan_balance (struct plan_packer *pk)
{
  for (int round = 0; round < 200 && !plan_out_of_time (pk); round++) {
    size_t nb = pk->sol.nbins, hi = 0;
    double hif = -1;
    bool moved = false;

    if (nb < 2)
      return;
    for (size_t k = 0; k < nb; k++) {
      double f = bin_fill (pk, &pk->sol.bins[k]);
      if (f > hif) {
        hif = f;
        hi = k;
      }
    }
    struct plan_bin *h = &pk->sol.bins[hi];
    for (size_t q = 0; q < h->nitems && !moved; q++) {
      size_t i = h->items[q];
      for (size_t k = 0; k < nb && !moved; k++) {
        struct plan_bin *b = &pk->sol.bins[k];
        if (k == hi || b->type != h->type || !plan_fits (pk, b, i))
          continue;
        plan_bin_add (pk, b, i);
        plan_bin_remove (pk, h, i);
        if (fmax (bin_fill (pk, b), bin_fill (pk, h)) < hif - 1e-6 && h->nitems > 0) {
          pk->sol.bin_of[i] = k;
          moved = true;
        }
        else {
          plan_bin_remove (pk, b, i);
          plan_bin_add (pk, h, i);
        }
      }
    }
    if (!moved)
      return;
  }
}

/* Place what the search left out when the catalog's counts (or a sized
 * plan's host count) stop it opening hosts: construction fills the hosts
 * in order, so a small workload kept off the one host with room by its
 * anti-affinity group was left out although others have room once the
 * load is spread.  Each left-out item goes to a host with room, to a new
 * host when a count allows, or to a host made room on by moving one of
 * its items to another host.  0, or -1 on error. */
int
plan_place_left (struct plan_packer *pk)
{
  struct plan_solution *s = &pk->sol;

  /* The hosts in use per model, of this solution. */
  memset (pk->model_used, 0, pk->pb->nmodels * sizeof *pk->model_used);
  for (size_t k = 0; k < s->nbins; k++)
    pk->model_used[pk->pb->cap[s->bins[k].type].model]++;
  for (size_t i = 0; i < pk->n; i++) {
    ssize_t to = -1;

    if (s->bin_of[i] >= 0)
      continue;
    for (size_t k = 0; k < s->nbins && to < 0; k++)
      if (plan_fits (pk, &s->bins[k], i))
        to = (ssize_t) k;
    for (size_t t = 0; t < pk->ntypes && to < 0; t++) {
      int k, ok = plan_fits_empty (pk, i, t);
      if (ok == -1)
        return -1;
      if (!ok)
        continue;
      if ((k = plan_open_bin (pk, t)) < 0)
        return -1;
      to = k;
    }
    /* One item J of host K moves to host K2, and I takes its room. */
    for (size_t k = 0; k < s->nbins && to < 0; k++) {
      struct plan_bin *b = &s->bins[k];
      for (size_t q = 0; q < b->nitems && to < 0; q++) {
        size_t j = b->items[q];
        if (!plan_fits_swap (pk, b, i, &j, 1))
          continue;
        for (size_t k2 = 0; k2 < s->nbins; k2++) {
          if (k2 == k || !plan_fits (pk, &s->bins[k2], j))
            continue;
          plan_bin_remove (pk, b, j);
          if (plan_bin_add (pk, &s->bins[k2], j) == -1)
            return -1;
          s->bin_of[j] = (ssize_t) k2;
          to = (ssize_t) k;
          break;
        }
      }
    }
    if (to < 0)
      continue;
    if (plan_bin_add (pk, &s->bins[to], i) == -1)
      return -1;
    s->bin_of[i] = to;
  }
  s->cost = plan_solution_cost (pk, s);
  return 0;
}
