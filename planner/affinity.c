/* Which workloads must run on different hosts: the members of each
 * anti_affinity name, and (policy separate_redundant_roles) the servers
 * of each redundant infrastructure role, recognized by their role words,
 * service names and ports (docs/formats.md, "Keeping servers apart").
 * `group` is a label and plays no part here; plan_group_warning tells
 * users of files that relied on it keeping servers apart.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "planner/planner.h"

const char *const plan_role_names[PLAN_NROLES] = { "directory", "dns", "dhcp" };

static const char *const role_words[PLAN_NROLES][8] = {
  { "dc", "ad", "ldap", "kerberos", "kdc", "directory", "domaincontroller", NULL },
  { "dns", "nameserver", "named", "bind", NULL },
  { "dhcp", "dhcpd", NULL },
};
static const char *const service_names[PLAN_NROLES][8] = {
  { "ldap", "slapd", "kerberos", "kdc", "krb5kdc", "gc", NULL },
  { "dns", "named", "bind", "unbound", "pdns_server", "nsd", "knotd", NULL },
  { "dhcp", "dhcpd", "kea-dhcp4", "kea-dhcp6", NULL },
};
static const int64_t role_ports[PLAN_NROLES][6] = {
  { 88, 389, 636, 3268, 3269, 0 },
  { 53, 0 },
  { 67, 547, 0 },
};
/* Programs that listen on those ports on servers that serve nobody:
 * stub resolvers and caches. */
static const char *const local_programs[] = {
  "systemd-resolve", "systemd-resolved", "dnsmasq", "nscd", NULL
};

static bool
in_list (const char *const *list, const char *s)
{
  for (size_t i = 0; list[i]; i++)
    if (strcasecmp (list[i], s) == 0)
      return true;
  return false;
}

/* The roles the words of TEXT name ("dns-dhcp": dns and dhcp; "domain
 * controller": directory). */
static unsigned
roles_of_words (const char *text)
{
  char word[64], prev[64] = "";
  unsigned roles = 0;
  size_t n = 0;

  if (text == NULL)
    return 0;
  for (const char *s = text;; s++) {
    if (*s && isalnum ((unsigned char) *s)) {
      if (n + 1 < sizeof word)
        word[n++] = tolower ((unsigned char) *s);
      continue;
    }
    word[n] = '\0';
    if (n) {
      for (int r = 0; r < PLAN_NROLES; r++)
        if (in_list (role_words[r], word))
          roles |= 1u << r;
      if (strcmp (prev, "domain") == 0 && strcmp (word, "controller") == 0)
        roles |= 1u << PLAN_ROLE_DIRECTORY;
      memcpy (prev, word, n + 1);
    }
    n = 0;
    if (*s == '\0')
      return roles;
  }
}

unsigned
plan_redundant_roles (const struct core_profile *p)
{
  unsigned roles = roles_of_words (p->role);

  for (size_t i = 0; i < p->services.len; i++) {
    const struct core_service *s = &p->services.ptr[i];
    for (int r = 0; r < PLAN_NROLES; r++) {
      if (s->name && in_list (service_names[r], s->name))
        roles |= 1u << r;
      else if (s->name == NULL || !in_list (local_programs, s->name))
        for (size_t k = 0; role_ports[r][k]; k++)
          if (s->port == role_ports[r][k])
            roles |= 1u << r;
    }
  }
  return roles;
}

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;

  return (x > y) - (x < y);
}

/* Set NAME of KIND, created when new; its index in *IX. */
static int
find_set (struct plan_sets *s, enum plan_set_kind kind, const char *name,
          size_t *ix)
{
  struct plan_set *n;

  for (size_t i = 0; i < s->nsets; i++)
    if (s->sets[i].kind == kind && strcmp (s->sets[i].name, name) == 0) {
      *ix = i;
      return 0;
    }
  n = realloc (s->sets, (s->nsets + 1) * sizeof *n);
  if (n == NULL) {
    core_error ("out of memory");
    return -1;
  }
  s->sets = n;
  n = &s->sets[s->nsets];
  memset (n, 0, sizeof *n);
  n->kind = kind;
  n->name = core_strdup (name);
  if (n->name == NULL)
    return -1;
  *ix = s->nsets++;
  return 0;
}

static int
add_member (struct plan_set *set, size_t w)
{
  size_t *m = realloc (set->members, (set->nmembers + 1) * sizeof *m);

  if (m == NULL) {
    core_error ("out of memory");
    return -1;
  }
  set->members = m;
  m[set->nmembers++] = w;
  return 0;
}

int
plan_sets_build (const core_profile_vector *profiles,
                 const struct core_policy *pol, struct plan_sets *out)
{
  size_t nw = profiles->len, kept = 0;

  memset (out, 0, sizeof *out);
  out->nprofiles = nw;
  out->of = calloc (nw ? nw : 1, sizeof *out->of);
  out->nof = calloc (nw ? nw : 1, sizeof *out->nof);
  if (out->of == NULL || out->nof == NULL) {
    core_error ("out of memory");
    goto fail;
  }
  for (size_t w = 0; w < nw; w++) {
    const struct core_profile *p = profiles->ptr[w];
    unsigned roles = pol->separate_redundant_roles ? plan_redundant_roles (p) : 0;
    size_t ix;

    for (size_t k = 0; k < p->anti_affinity.len; k++)
      if (find_set (out, PLAN_SET_ANTI_AFFINITY, p->anti_affinity.ptr[k], &ix) == -1
          || add_member (&out->sets[ix], w) == -1)
        goto fail;
    for (int r = 0; r < PLAN_NROLES; r++)
      if ((roles & (1u << r))
          && (find_set (out, PLAN_SET_ROLE, plan_role_names[r], &ix) == -1
              || add_member (&out->sets[ix], w) == -1))
        goto fail;
  }
  /* A set of one constrains nothing: drop it. */
  for (size_t i = 0; i < out->nsets; i++) {
    if (out->sets[i].nmembers < 2) {
      free (out->sets[i].name);
      free (out->sets[i].members);
      continue;
    }
    out->sets[kept++] = out->sets[i];
  }
  out->nsets = kept;
  for (size_t i = 0; i < out->nsets; i++)
    for (size_t m = 0; m < out->sets[i].nmembers; m++)
      out->nof[out->sets[i].members[m]]++;
  for (size_t w = 0; w < nw; w++) {
    if (out->nof[w] == 0)
      continue;
    out->of[w] = malloc (out->nof[w] * sizeof **out->of);
    if (out->of[w] == NULL) {
      core_error ("out of memory");
      goto fail;
    }
    out->nof[w] = 0;
  }
  for (size_t i = 0; i < out->nsets; i++)
    for (size_t m = 0; m < out->sets[i].nmembers; m++) {
      size_t w = out->sets[i].members[m];
      out->of[w][out->nof[w]++] = (int) i;
    }
  for (size_t w = 0; w < nw; w++)
    if (out->nof[w] > 1)
      qsort (out->of[w], out->nof[w], sizeof **out->of, cmp_int);
  return 0;

 fail:
  plan_sets_clear (out);
  return -1;
}

void
plan_sets_clear (struct plan_sets *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->nsets; i++) {
    free (s->sets[i].name);
    free (s->sets[i].members);
  }
  free (s->sets);
  if (s->of)
    for (size_t w = 0; w < s->nprofiles; w++)
      free (s->of[w]);
  free (s->of);
  free (s->nof);
  memset (s, 0, sizeof *s);
}

int
plan_sets_common (const int *a, size_t na, const int *b, size_t nb)
{
  for (size_t x = 0, y = 0; x < na && y < nb;) {
    if (a[x] == b[y])
      return a[x];
    if (a[x] < b[y])
      x++;
    else
      y++;
  }
  return -1;
}

int
plan_sets_shared (const struct plan_sets *s, size_t a, size_t b)
{
  return plan_sets_common (s->of[a], s->nof[a], s->of[b], s->nof[b]);
}

void
plan_set_label (const struct plan_set *set, char *buf, size_t len)
{
  if (set->kind == PLAN_SET_ANTI_AFFINITY)
    snprintf (buf, len, "anti_affinity %s", set->name);
  else
    snprintf (buf, len, "redundant role %s; policy separate_redundant_roles",
              set->name);
}

int
plan_group_warning (const core_profile_vector *profiles, char **msg)
{
  size_t nw = profiles->len, shared = 0, first = SIZE_MAX;
  FILE *fp;
  size_t len;

  *msg = NULL;
  /* Files that already use anti_affinity ask for what they want. */
  for (size_t w = 0; w < nw; w++)
    if (profiles->ptr[w]->anti_affinity.len)
      return 0;
  /* Groups of two or more, counted at their first member. */
  for (size_t w = 0; w < nw; w++) {
    const char *g = profiles->ptr[w]->group;
    bool earlier = false, later = false;
    if (g == NULL)
      continue;
    for (size_t v = 0; v < w && !earlier; v++)
      earlier = profiles->ptr[v]->group && strcmp (profiles->ptr[v]->group, g) == 0;
    for (size_t v = w + 1; v < nw && !later; v++)
      later = profiles->ptr[v]->group && strcmp (profiles->ptr[v]->group, g) == 0;
    if (!earlier && later) {
      if (shared++ == 0)
        first = w;
    }
  }
  if (shared == 0)
    return 0;
  fp = open_memstream (msg, &len);
  if (fp == NULL) {
    core_error_errno ("open_memstream");
    return -1;
  }
  fprintf (fp, "group no longer keeps servers on different hosts: '%s' (",
           profiles->ptr[first]->group);
  for (size_t v = first, n = 0; v < nw; v++) {
    const char *g = profiles->ptr[v]->group;
    if (g == NULL || strcmp (g, profiles->ptr[first]->group) != 0)
      continue;
    if (n == 3) {
      fputs (", ...", fp);
      break;
    }
    fprintf (fp, "%s%s", n++ ? ", " : "", profiles->ptr[v]->name);
  }
  if (shared > 1)
    fprintf (fp, ") and %zu more group%s are labels only", shared - 1,
             shared > 2 ? "s" : "");
  else
    fputs (") is a label only", fp);
  fputs ("; to keep servers apart give them a shared anti_affinity name "
         "(profile key or CSV column)", fp);
  return core_memstream_close (fp, msg);
}
