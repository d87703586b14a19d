/* The template language (report/template.c): unit tests of each construct
 * and error, then the golden cases of tests/data/templates/.
 *
 * A golden case is a folder holding data.yaml (the values), main.html or
 * main.md (the template rendered), any partials, and either expected.html
 * / expected.md (the document) or expected.err (the one-line error).
 * `test-template --regen` (run by `make regen-golden`) rewrites the
 * expected files from the current engine; review the diff.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>
#include <cmocka.h>

#include "report/report.h"

#define GOLDEN "tests/data/templates/"

static bool regen;

/* Values from YAML: mappings, lists, strings; plain true/false are
 * booleans and plain null/~/nothing is null. */
static struct rep_value *
from_node (yaml_document_t *doc, yaml_node_t *n)
{
  struct rep_value *v;

  switch (n->type) {
  case YAML_MAPPING_NODE:
    v = rep_map ();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         v && p < n->data.mapping.pairs.top; p++) {
      yaml_node_t *k = yaml_document_get_node (doc, p->key);
      if (rep_map_set (v, (char *) k->data.scalar.value,
                       from_node (doc, yaml_document_get_node (doc, p->value))) == -1) {
        rep_value_free (v);
        return NULL;
      }
    }
    return v;
  case YAML_SEQUENCE_NODE:
    v = rep_list ();
    for (yaml_node_item_t *i = n->data.sequence.items.start;
         v && i < n->data.sequence.items.top; i++)
      if (rep_list_add (v, from_node (doc, yaml_document_get_node (doc, *i))) == -1) {
        rep_value_free (v);
        return NULL;
      }
    return v;
  case YAML_SCALAR_NODE: {
    const char *s = (const char *) n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
      if (strcmp (s, "true") == 0 || strcmp (s, "false") == 0)
        return rep_bool (s[0] == 't');
      if (s[0] == '\0' || strcmp (s, "null") == 0 || strcmp (s, "~") == 0)
        return rep_null ();
    }
    return rep_string (s);
  }
  default:
    return NULL;
  }
}

static struct rep_value *
values_from_yaml (const char *text)
{
  yaml_parser_t parser;
  yaml_document_t doc;
  struct rep_value *v = NULL;

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) text, strlen (text));
  if (yaml_parser_load (&parser, &doc)) {
    yaml_node_t *root = yaml_document_get_root_node (&doc);
    if (root)
      v = from_node (&doc, root);
    yaml_document_delete (&doc);
  }
  yaml_parser_delete (&parser);
  return v;
}

/* Render TEXT as template NAME over the values of YAML; returns the
 * document or NULL (the error in core_errmsg). */
static char *
render_text (const char *name, const char *text, const char *yaml)
{
  struct rep_templates *t = rep_templates_new (NULL);
  struct rep_value *v = values_from_yaml (yaml);
  char *out = NULL;
  size_t len;

  assert_non_null (t);
  assert_non_null (v);
  if (rep_templates_add (t, name, text, strlen (text)) == 0)
    out = rep_render (t, name, v, &len);
  rep_value_free (v);
  rep_templates_free (t);
  return out;
}

static void
expect (const char *name, const char *text, const char *yaml, const char *want)
{
  char *got = render_text (name, text, yaml);

  if (got == NULL)
    fail_msg ("%s: %s", text, core_errmsg ());
  assert_string_equal (got, want);
  free (got);
}

static void
expect_error (const char *name, const char *text, const char *yaml,
              const char *want)
{
  char *got = render_text (name, text, yaml);

  if (got)
    fail_msg ("%s: rendered '%s', expected the error '%s'", text, got, want);
  assert_string_equal (core_errmsg (), want);
}

static void
test_variables (void **state)
{
  (void) state;
  expect ("t.html", "Hi {{name}}!", "name: Ann", "Hi Ann!");
  expect ("t.html", "{{ name }}", "name: Ann", "Ann");
  expect ("t.html", "<{{x}}>", "x: \"<script>a&b 'c' \\\"d\\\"</script>\"",
          "<&lt;script&gt;a&amp;b &#39;c&#39; &quot;d&quot;&lt;/script&gt;>");
  expect ("t.html", "{{{x}}}|{{&x}}", "x: \"<b>&\"", "<b>&|<b>&");
  expect ("t.html", "[{{x}}]", "x: null", "[]");
  expect ("t.html", "{{t}} {{f}}", "{t: true, f: false}", "true false");
  expect ("t.html", "{{a.b.c}}", "a: {b: {c: deep}}", "deep");
  /* Markdown: HTML's escapes, plus its own punctuation; lines joined. */
  expect ("t.md", "{{x}}", "x: \"a_b *c* [d] | e`f` <g> & 'h' \\\"i\\\"\\\\\"",
          "a\\_b \\*c\\* \\[d\\] \\| e\\`f\\` &lt;g&gt; &amp; 'h' &quot;i&quot;\\\\");
  expect ("t.md", "{{x}}", "x: \"two\\nlines\"", "two lines");
  expect ("t.md", "{{{x}}}", "x: \"a_b\"", "a_b");
}

static void
test_sections (void **state)
{
  (void) state;
  expect ("t.html", "{{#l}}<{{n}}>{{/l}}", "l: [{n: 1}, {n: 2}, {n: 3}]",
          "<1><2><3>");
  expect ("t.html", "{{#l}}{{.}},{{/l}}", "l: [a, b]", "a,b,");
  expect ("t.html", "{{#l}}x{{/l}}{{^l}}none{{/l}}", "l: []", "none");
  expect ("t.html", "{{#b}}yes{{/b}}{{^b}}no{{/b}}", "b: true", "yes");
  expect ("t.html", "{{#b}}yes{{/b}}{{^b}}no{{/b}}", "b: false", "no");
  expect ("t.html", "{{#b}}yes{{/b}}{{^b}}no{{/b}}", "b: null", "no");
  expect ("t.html", "{{#s}}[{{.}}]{{/s}}{{^s}}empty{{/s}}", "s: \"\"", "empty");
  expect ("t.html", "{{#s}}[{{.}}]{{/s}}", "s: text", "[text]");
  /* A map is the context; names not in it are found further out. */
  expect ("t.html", "{{#m}}{{a}}{{top}}{{/m}}", "{m: {a: 1}, top: 2}", "12");
  expect ("t.html", "{{#l}}{{#in}}{{v}}{{out}}{{/in}};{{/l}}",
          "{out: o, l: [{in: [{v: 1}, {v: 2}]}, {in: []}]}", "1o2o;;");
}

static void
test_standalone (void **state)
{
  (void) state;
  /* Section, comment and partial tags alone on a line take the line. */
  expect ("t.md", "| h |\n|---|\n{{#rows}}\n| {{n}} |\n  {{/rows}}  \nend\n",
          "rows: [{n: 1}, {n: 2}]", "| h |\n|---|\n| 1 |\n| 2 |\nend\n");
  expect ("t.html", "a\n{{! note }}\nb\n", "{}", "a\nb\n");
  expect ("t.html", "a {{#b}}x{{/b}} c\n", "b: true", "a x c\n");
  expect ("t.html", "{{#b}}\nx\n{{/b}}", "b: true", "x\n");
  expect ("t.html", "{{! a\ncomment over lines }}x", "{}", "x");
}

static int
add (struct rep_templates *t, const char *name, const char *text)
{
  return rep_templates_add (t, name, text, strlen (text));
}

static void
test_partials (void **state)
{
  struct rep_templates *t = rep_templates_new (NULL);
  struct rep_value *v = values_from_yaml ("{items: [{n: a}, {n: b}], title: T}");
  char *out;
  size_t len;

  (void) state;
  assert_int_equal (add (t, "item.html", "<li>{{n}}</li>\n"), 0);
  assert_int_equal (add (t, "main.html",
                         "{{title}}\n{{#items}}\n{{> item.html}}\n{{/items}}\n"), 0);
  out = rep_render (t, "main.html", v, &len);
  if (out == NULL)
    fail_msg ("%s", core_errmsg ());
  assert_string_equal (out, "T\n<li>a</li>\n<li>b</li>\n");
  assert_int_equal (len, strlen (out));
  free (out);
  /* Escaping follows the partial's own name. */
  assert_int_equal (add (t, "cell.md", "{{title}}_"), 0);
  assert_int_equal (add (t, "page.html", "{{> cell.md}}{{title}}"), 0);
  /* Only LEN bytes of the text are read: it need not end in a NUL. */
  assert_int_equal (rep_templates_add (t, "part.html", "{{title}}]]]", 9), 0);
  assert_int_equal (rep_templates_add (t, "nul.html", "a\0b", 3), -1);
  assert_string_equal (core_errmsg (), "nul.html: holds a NUL byte");
  /* A template of that name is there already. */
  assert_int_equal (add (t, "page.html", "x"), -1);
  rep_value_free (v);
  v = values_from_yaml ("title: a_b");
  out = rep_render (t, "page.html", v, &len);
  assert_non_null (out);
  assert_string_equal (out, "a\\_b_a_b");
  free (out);
  out = rep_render (t, "part.html", v, &len);
  assert_non_null (out);
  assert_string_equal (out, "a_b");
  free (out);
  rep_value_free (v);
  rep_templates_free (t);
  rep_templates_free (NULL);
}

static void
test_errors (void **state)
{
  (void) state;
  expect_error ("t.html", "a\n  {{nmae}}", "name: x",
                "t.html:2:3: unknown variable 'nmae'");
  expect_error ("t.html", "{{a.c}}", "a: {b: 1}", "t.html:1:1: unknown variable 'a.c'");
  expect_error ("t.html", "x\n{{#list}}\n{{.}}\n", "list: []",
                "t.html:2:1: section 'list' is not closed");
  expect_error ("t.html", "{{#a}}{{/b}}", "{}",
                "t.html:1:7: '{{/b}}' does not close section 'a' (opened at 1:1)");
  expect_error ("t.html", "x{{/a}}", "{}", "t.html:1:2: '{{/a}}' closes no open section");
  expect_error ("t.html", "ab {{x", "{}", "t.html:1:4: '{{' has no matching '}}'");
  expect_error ("t.html", "{{{x}}", "{}", "t.html:1:1: '{{{' has no matching '}}}'");
  expect_error ("t.html", "{{ }}", "{}", "t.html:1:1: empty tag");
  expect_error ("t.html", "{{a b}}", "{}",
                "t.html:1:1: 'a b' is not a name (letters, digits, '-', '_', parts joined by '.')");
  expect_error ("t.html", "{{a..b}}", "{}",
                "t.html:1:1: 'a..b' is not a name (letters, digits, '-', '_', parts joined by '.')");
  expect_error ("t.html", "{{=<% %>=}}", "{}",
                "t.html:1:1: changing the delimiters ('{{=') is not supported");
  expect_error ("t.html", "{{> ../etc/passwd}}", "{}",
                "t.html:1:1: '../etc/passwd' is not a file name in the template folder (letters, digits, '.', '-', '_')");
  expect_error ("t.html", "\n {{> nothere.html}}", "{}",
                "t.html:2:2: partial 'nothere.html': nothere.html: no such template");
  expect_error ("t.html", "{{l}}", "l: [1]",
                "t.html:1:1: 'l' is a list, not a value: use it as a section ({{#l}}...{{/l}})");
  /* An unknown name inside a section over an empty list is not looked
   * up: templates are logic-less, values decide what is rendered. */
  expect ("t.html", "{{#l}}{{nope}}{{/l}}", "l: []", "");
}

/* A template that includes itself ends at the depth limit, not in a
 * crash. */
static void
test_recursion (void **state)
{
  (void) state;
  expect_error ("self.html", "x{{> self.html}}", "{}",
                "self.html:1:2: partials nested more than 64 deep");
}

/* Golden cases ------------------------------------------------------ */

static char *
slurp (const char *path)
{
  size_t len;

  return core_read_file (path, &len);
}

static int
write_file (const char *path, const char *text)
{
  FILE *fp = fopen (path, "w");

  if (fp == NULL)
    return -1;
  fputs (text, fp);
  return fclose (fp);
}

static void
run_case (const char *dir)
{
  char path[512], main_name[16] = "main.html", expected[512], err_path[512];
  struct rep_templates *t;
  struct rep_value *v;
  char *data, *out, *want;
  size_t len;

  snprintf (path, sizeof path, "%s/main.md", dir);
  if (access (path, F_OK) == 0)
    strcpy (main_name, "main.md");
  snprintf (expected, sizeof expected, "%s/expected.%s", dir,
            strcmp (main_name, "main.md") == 0 ? "md" : "html");
  snprintf (err_path, sizeof err_path, "%s/expected.err", dir);
  snprintf (path, sizeof path, "%s/data.yaml", dir);
  data = slurp (path);
  if (data == NULL)
    fail_msg ("%s", core_errmsg ());
  v = values_from_yaml (data);
  free (data);
  if (v == NULL)
    fail_msg ("%s: not YAML", path);
  t = rep_templates_new (dir);
  out = rep_render (t, main_name, v, &len);
  rep_value_free (v);
  rep_templates_free (t);

  if (regen) {
    unlink (expected);
    unlink (err_path);
    if (out)
      assert_int_equal (write_file (expected, out), 0);
    else {
      char line[1100];
      snprintf (line, sizeof line, "%s\n", core_errmsg ());
      assert_int_equal (write_file (err_path, line), 0);
    }
    free (out);
    return;
  }
  if (out) {
    want = slurp (expected);
    if (want == NULL)
      fail_msg ("%s rendered, but: %s", dir, core_errmsg ());
    if (strcmp (want, out) != 0)
      fail_msg ("%s: the document differs from %s:\n%s", dir, expected, out);
    free (want);
    free (out);
  }
  else {
    char msg[1100];
    snprintf (msg, sizeof msg, "%s\n", core_errmsg ());
    want = slurp (err_path);
    if (want == NULL)
      fail_msg ("%s failed: %s", dir, msg);
    assert_string_equal (msg, want);
    free (want);
  }
}

static void
test_golden (void **state)
{
  struct dirent **names;
  int n, cases = 0;

  (void) state;
  n = scandir (GOLDEN, &names, NULL, alphasort);
  assert_true (n > 0);
  for (int i = 0; i < n; i++) {
    char dir[512];
    if (names[i]->d_name[0] != '.') {
      snprintf (dir, sizeof dir, GOLDEN "%s", names[i]->d_name);
      run_case (dir);
      cases++;
    }
    free (names[i]);
  }
  free (names);
  print_message ("# %d golden template cases%s\n", cases,
                 regen ? " regenerated" : "");
  assert_true (cases >= 5);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_variables),
    cmocka_unit_test (test_sections),
    cmocka_unit_test (test_standalone),
    cmocka_unit_test (test_partials),
    cmocka_unit_test (test_errors),
    cmocka_unit_test (test_recursion),
    cmocka_unit_test (test_golden),
  };

  regen = argc > 1 && strcmp (argv[1], "--regen") == 0;
  cmocka_set_message_output (CM_OUTPUT_TAP);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
