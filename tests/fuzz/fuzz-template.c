/* libFuzzer target: the template language (rep_templates_add, rep_render).
 * Whatever the input, compiling it as a template and rendering it over a
 * fixed tree of values must fail cleanly (with a message) or give a
 * NUL-terminated document of the length reported, in both escapings.
 * Seeds: tests/data/templates templates
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static struct rep_value *
values (void)
{
  struct rep_value *root = rep_map (), *list = rep_list (), *item = rep_map ();

  rep_map_set (item, "name", rep_string ("a<b>&\"c\"_d"));
  rep_map_set (item, "on", rep_bool (true));
  rep_list_add (list, item);
  rep_list_add (list, rep_string ("plain"));
  rep_map_set (root, "list", list);
  rep_map_set (root, "name", rep_string ("top|level*"));
  rep_map_set (root, "empty", rep_list ());
  rep_map_set (root, "none", rep_null ());
  rep_map_set (root, "off", rep_bool (false));
  return root;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const names[] = { "main.html", "main.md" };
  struct rep_value *v = values ();

  if (v == NULL)
    abort ();
  for (int i = 0; i < 2; i++) {
    struct rep_templates *t = rep_templates_new (NULL);
    size_t len;
    char *out = NULL;

    if (rep_templates_add (t, names[i], (const char *) data, size) == 0)
      out = rep_render (t, names[i], v, &len);
    if (out && strlen (out) != len)
      abort ();
    if (out == NULL && core_errmsg ()[0] == '\0')
      abort ();
    free (out);
    rep_templates_free (t);
  }
  rep_value_free (v);
  return 0;
}
