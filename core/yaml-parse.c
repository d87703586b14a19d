/* The formats' entry points: a buffer or a file to its struct.  Each
 * loads the document (yaml-load.c, bounded), checks its schema, walks the
 * format's table (the tables are in yaml-read.c, the walker in schema.c)
 * and keeps the name the document was read from; on error the struct is
 * left empty, as its init makes it.
 */
#include <yaml.h>

#include "core.h"

/* Read the document NAME into OBJ against T, the top-level table of the
 * format of KIND. */
int
core_yaml_parse_top (const char *name, const char *buf, size_t len,
                     enum core_file_kind kind, const struct core_table *t, void *obj)
{
  yaml_document_t doc;
  struct core_reader r = { .doc = &doc };
  yaml_node_t *root;
  int ret = -1;

  if (core_yaml_load (&r, name, buf, len) == -1)
    return -1;
  root = yaml_document_get_root_node (&doc);
  if (core_yaml_expect_kind (&r, root, kind) == 0)
    ret = core_schema_read (&r, t, root, "", obj);
  yaml_document_delete (&doc);
  return ret;
}

struct core_profile *
core_profile_parse (const char *name, const char *buf, size_t len)
{
  yaml_document_t doc;
  struct core_reader r = { .doc = &doc };
  struct core_profile *p;
  yaml_node_t *root;

  if (core_yaml_load (&r, name, buf, len) == -1)
    return NULL;
  root = yaml_document_get_root_node (&doc);
  p = core_profile_new ();
  if (p == NULL || core_yaml_expect_kind (&r, root, CORE_FILE_PROFILE) == -1
      || core_schema_read (&r, &core_profile_table, root, "", p) == -1
      || (p->source = core_strdup (name)) == NULL) {
    core_profile_free (p);
    p = NULL;
  }
  yaml_document_delete (&doc);
  return p;
}

int
core_hosts_parse (const char *name, const char *buf, size_t len,
                  struct core_hosts *out)
{
  int ret;

  core_hosts_init (out);
  ret = core_yaml_parse_top (name, buf, len, CORE_FILE_HOSTS, &core_hosts_table, out);
  if (ret == 0 && (out->source = core_strdup (name)) == NULL)
    ret = -1;
  if (ret == -1)
    core_hosts_clear (out);
  return ret;
}

int
core_policy_parse (const char *name, const char *buf, size_t len,
                   struct core_policy *out)
{
  core_policy_defaults (out);
  return core_yaml_parse_top (name, buf, len, CORE_FILE_POLICY, &core_policy_table, out);
}

int
core_plan_parse (const char *name, const char *buf, size_t len,
                 struct core_plan *out)
{
  int ret;

  core_plan_init (out);
  /* A plan that does not say it kept redundant roles apart was made
   * before the planner did: checking it against that rule would fail
   * what was valid when it was written. */
  out->policy.separate_redundant_roles = false;
  ret = core_yaml_parse_top (name, buf, len, CORE_FILE_PLAN, &core_plan_table, out);
  if (ret == 0 && (out->source = core_strdup (name)) == NULL)
    ret = -1;
  if (ret == -1)
    core_plan_clear (out);
  return ret;
}

struct core_profile *
core_profile_read (const char *path)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  buf = core_read_input (path, &len);
  return buf ? core_profile_parse (path, buf, len) : NULL;
}

int
core_hosts_read (const char *path, struct core_hosts *out)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  core_hosts_init (out);
  buf = core_read_input (path, &len);
  return buf ? core_hosts_parse (path, buf, len, out) : -1;
}

int
core_policy_read (const char *path, struct core_policy *out)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  core_policy_defaults (out);
  buf = core_read_input (path, &len);
  return buf ? core_policy_parse (path, buf, len, out) : -1;
}

int
core_plan_read (const char *path, struct core_plan *out)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  core_plan_init (out);
  buf = core_read_input (path, &len);
  return buf ? core_plan_parse (path, buf, len, out) : -1;
}
