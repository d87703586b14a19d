/* The template language: a logic-less subset of Mustache
 * (docs/templates.md).
 *
 *   {{name}}  {{a.b}}  {{.}}   a value, escaped for the output format
 *   {{{name}}}  {{&name}}      a value as it is
 *   {{#name}}...{{/name}}      a section: once per item of a list, once
 *                              for a map (which becomes the context) or
 *                              any other true value, never for a false one
 *   {{^name}}...{{/name}}      an inverted section: once when false
 *   {{> file}}                 a partial: another template of the folder
 *   {{! comment }}
 *
 * Unlike Mustache, a name that no context defines is an error, so that a
 * misspelled name in an edited template is caught, with the template's
 * file, line and column.  A section, inverted section, partial or comment
 * tag alone on its line takes the whole line with it ("standalone" in
 * Mustache's terms), so that templates can be laid out readably.
 * Templates are compiled into trees once and rendered as often as
 * wanted.
 */
#include <string.h>

#include "report/report.h"

/* Sections nest at most this deep (counting partials). */
#define MAX_DEPTH 64

enum node_kind { N_TEXT, N_VAR, N_RAW, N_SECTION, N_INVERTED, N_PARTIAL };

struct template;

struct node {
  enum node_kind kind;
  char *text;                   /* N_TEXT: the text; else the name */
  size_t len;
  size_t line, col;             /* of the tag's "{{" */
  struct node *children;        /* sections */
  size_t nchildren;
  struct template *partial;     /* N_PARTIAL, once loaded */
};
DEFINE_VECTOR_TYPE (node_vector, struct node)

struct template {
  char *name;                   /* as named in the folder */
  char *file;                   /* for messages: DIR/NAME, or NAME */
  bool markdown;                /* escaping of {{x}} */
  struct node *nodes;
  size_t nnodes;
};
DEFINE_VECTOR_TYPE (template_vector, struct template *)

struct rep_templates {
  char *dir;
  template_vector loaded;
};

/* Templates --------------------------------------------------------- */

static void
nodes_free (struct node *nodes, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free (nodes[i].text);
    nodes_free (nodes[i].children, nodes[i].nchildren);
  }
  free (nodes);
}

static void
template_free (struct template *t)
{
  if (t == NULL)
    return;
  free (t->name);
  free (t->file);
  nodes_free (t->nodes, t->nnodes);
  free (t);
}

struct rep_templates *
rep_templates_new (const char *dir)
{
  struct rep_templates *t = calloc (1, sizeof *t);

  if (t == NULL) {
    core_error ("out of memory");
    return NULL;
  }
  if (dir && (t->dir = core_strdup (dir)) == NULL) {
    free (t);
    return NULL;
  }
  return t;
}

void
rep_templates_free (struct rep_templates *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->loaded.len; i++)
    template_free (t->loaded.ptr[i]);
  template_vector_reset (&t->loaded);
  free (t->dir);
  free (t);
}

static struct template *
find_loaded (struct rep_templates *t, const char *name)
{
  for (size_t i = 0; i < t->loaded.len; i++)
    if (strcmp (t->loaded.ptr[i]->name, name) == 0)
      return t->loaded.ptr[i];
  return NULL;
}

/* Scanning ---------------------------------------------------------- */

enum token_kind { T_TEXT, T_VAR, T_RAW, T_SECTION, T_INVERTED, T_CLOSE,
                  T_PARTIAL };

struct token {
  enum token_kind kind;
  const char *s;                /* text, or the tag's name */
  size_t len;
  size_t line, col;
};
DEFINE_VECTOR_TYPE (token_vector, struct token)

struct scanner {
  const struct template *tpl;
  const char *src;
  size_t n;
  /* Line and column of position POS, advanced as the scan goes on. */
  size_t pos, line, col;
};

static void
advance_to (struct scanner *sc, size_t to)
{
  for (; sc->pos < to; sc->pos++) {
    if (sc->src[sc->pos] == '\n') {
      sc->line++;
      sc->col = 1;
    }
    else
      sc->col++;
  }
}

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

static bool
valid_name (const char *s, size_t len, bool partial)
{
  if (len == 0)
    return false;
  if (!partial && len == 1 && s[0] == '.')
    return true;
  if (partial && s[0] == '.')
    return false;               /* no hidden files, no ".." */
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
          || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'
          || s[i] == '.'))
      return false;
  /* Dotted names have no empty part. */
  if (!partial && (s[0] == '.' || s[len - 1] == '.' || memmem (s, len, "..", 2)))
    return false;
  return true;
}

static const char *
find (const char *hay, size_t from, size_t n, const char *needle)
{
  size_t nl = strlen (needle);

  if (from > n)
    return NULL;
  return memmem (hay + from, n - from, needle, nl);
}

static int
scan (struct scanner *sc, token_vector *out)
{
  const char *src = sc->src;
  size_t n = sc->n, text_start = 0, pos = 0;
  const char *open;

  while ((open = find (src, pos, n, "{{")) != NULL) {
    size_t p = open - src, inner, inner_end, end, ls, next;
    enum token_kind kind;
    bool comment = false, standalone = false;
    const char *close, *name;
    size_t name_len;

    advance_to (sc, p);
    if (p + 2 < n && src[p + 2] == '{') {
      close = find (src, p + 3, n, "}}}");
      if (close == NULL) {
        core_error_at (sc->tpl->file, sc->line, sc->col,
                       "'{{{' has no matching '}}}'");
        return -1;
      }
      kind = T_RAW;
      inner = p + 3;
      inner_end = close - src;
      end = inner_end + 3;
    }
    else {
      close = find (src, p + 2, n, "}}");
      if (close == NULL) {
        core_error_at (sc->tpl->file, sc->line, sc->col,
                       "'{{' has no matching '}}'");
        return -1;
      }
      inner = p + 2;
      inner_end = close - src;
      end = inner_end + 2;
      kind = T_VAR;
      if (inner < inner_end) {
        switch (src[inner]) {
        case '#': kind = T_SECTION; inner++; break;
        case '^': kind = T_INVERTED; inner++; break;
        case '/': kind = T_CLOSE; inner++; break;
        case '>': kind = T_PARTIAL; inner++; break;
        case '&': kind = T_RAW; inner++; break;
        case '!': comment = true; break;
        case '=':
          core_error_at (sc->tpl->file, sc->line, sc->col,
                         "changing the delimiters ('{{=') is not supported");
          return -1;
        case '{': case '}':
          break;
        }
      }
    }
    name = src + inner;
    name_len = inner_end - inner;
    while (name_len && (is_blank (*name) || *name == '\n')) {
      name++;
      name_len--;
    }
    while (name_len && (is_blank (name[name_len - 1]) || name[name_len - 1] == '\n'))
      name_len--;
    if (!comment && !valid_name (name, name_len, kind == T_PARTIAL)) {
      if (name_len == 0)
        core_error_at (sc->tpl->file, sc->line, sc->col, "empty tag");
      else if (kind == T_PARTIAL)
        core_error_at (sc->tpl->file, sc->line, sc->col,
                       "'%.*s' is not a file name in the template folder "
                       "(letters, digits, '.', '-', '_')", (int) name_len, name);
      else
        core_error_at (sc->tpl->file, sc->line, sc->col,
                       "'%.*s' is not a name (letters, digits, '-', '_', "
                       "parts joined by '.')", (int) name_len, name);
      return -1;
    }

    /* A standalone tag takes its whole line with it. */
    next = end;
    if (comment || (kind != T_VAR && kind != T_RAW)) {
      size_t eol = end;

      ls = p;
      while (ls > 0 && src[ls - 1] != '\n')
        ls--;
      standalone = ls >= text_start;
      for (size_t i = ls; standalone && i < p; i++)
        standalone = is_blank (src[i]);
      while (standalone && eol < n && src[eol] != '\n') {
        standalone = is_blank (src[eol]);
        eol++;
      }
      if (standalone)
        next = eol < n ? eol + 1 : n;
    }
    if ((standalone ? ls : p) > text_start
        && token_vector_append (out, (struct token) {
            T_TEXT, src + text_start, (standalone ? ls : p) - text_start,
            0, 0 }) == -1)
      return -1;
    if (!comment
        && token_vector_append (out, (struct token) {
            kind, name, name_len, sc->line, sc->col }) == -1)
      return -1;
    pos = text_start = next;
  }
  if (text_start < n
      && token_vector_append (out, (struct token) {
          T_TEXT, src + text_start, n - text_start, 0, 0 }) == -1)
    return -1;
  return 0;
}

/* Trees ------------------------------------------------------------- */

static int load_template (struct rep_templates *t, const char *name,
                          const char *text, size_t len, struct template **out);

/* Nodes from tokens[*i] up to the close of OPEN (NULL: the end). */
static int
build (struct rep_templates *set, const struct template *tpl,
       const struct token *tokens, size_t ntokens, size_t *i,
       const struct token *open, struct node **out, size_t *nout)
{
  node_vector nodes = { 0 };

  while (*i < ntokens) {
    const struct token *tk = &tokens[(*i)++];
    struct node nd = { 0 };

    if (tk->kind == T_CLOSE) {
      if (open == NULL) {
        core_error_at (tpl->file, tk->line, tk->col,
                       "'{{/%.*s}}' closes no open section", (int) tk->len,
                       tk->s);
        goto fail;
      }
      if (tk->len != open->len || memcmp (tk->s, open->s, tk->len) != 0) {
        core_error_at (tpl->file, tk->line, tk->col,
                       "'{{/%.*s}}' does not close section '%.*s' (opened "
                       "at %zu:%zu)", (int) tk->len, tk->s, (int) open->len,
                       open->s, open->line, open->col);
        goto fail;
      }
      *out = nodes.ptr;
      *nout = nodes.len;
      return 0;
    }
    nd.line = tk->line;
    nd.col = tk->col;
    nd.text = core_strndup (tk->s, tk->len);
    nd.len = tk->len;
    if (nd.text == NULL)
      goto fail;
    switch (tk->kind) {
    case T_TEXT: nd.kind = N_TEXT; break;
    case T_VAR: nd.kind = N_VAR; break;
    case T_RAW: nd.kind = N_RAW; break;
    case T_PARTIAL: nd.kind = N_PARTIAL; break;
    case T_SECTION:
    case T_INVERTED:
      nd.kind = tk->kind == T_SECTION ? N_SECTION : N_INVERTED;
      if (build (set, tpl, tokens, ntokens, i, tk, &nd.children,
                 &nd.nchildren) == -1) {
        free (nd.text);
        goto fail;
      }
      break;
    case T_CLOSE:
      break;
    }
    if (nd.kind == N_PARTIAL) {
      /* Load it now, so that a missing partial is an error before any
       * rendering.  A partial naming itself finds itself loaded. */
      if (load_template (set, nd.text, NULL, 0, &nd.partial) == -1) {
        char msg[1024];
        snprintf (msg, sizeof msg, "%s", core_errmsg ());
        core_error_at (tpl->file, nd.line, nd.col, "partial '%s': %s",
                       nd.text, msg);
        free (nd.text);
        goto fail;
      }
    }
    if (node_vector_append (&nodes, nd) == -1) {
      nodes_free (nd.children, nd.nchildren);
      free (nd.text);
      goto fail;
    }
  }
  if (open) {
    core_error_at (tpl->file, open->line, open->col,
                   "section '%.*s' is not closed", (int) open->len, open->s);
    goto fail;
  }
  *out = nodes.ptr;
  *nout = nodes.len;
  return 0;

 fail:
  nodes_free (nodes.ptr, nodes.len);
  return -1;
}

/* Find NAME among the loaded templates, else compile TEXT (or, when TEXT
 * is NULL, the file NAME of the folder) and keep it. */
static int
load_template (struct rep_templates *t, const char *name, const char *text,
               size_t len, struct template **out)
{
  CLEANUP_FREE char *buf = NULL;
  token_vector tokens = { 0 };
  struct template *tpl;
  struct scanner sc;
  size_t i = 0;
  int ret = -1;

  if (text == NULL && (*out = find_loaded (t, name)) != NULL)
    return 0;
  tpl = calloc (1, sizeof *tpl);
  if (tpl == NULL) {
    core_error ("out of memory");
    return -1;
  }
  tpl->name = core_strdup (name);
  tpl->file = t->dir && text == NULL ? core_sprintf ("%s/%s", t->dir, name)
    : core_strdup (name);
  tpl->markdown = core_ends_with (name, ".md");
  if (tpl->name == NULL || tpl->file == NULL) {
    template_free (tpl);
    return -1;
  }
  if (text == NULL) {
    if (t->dir == NULL) {
      core_error ("%s: no such template", name);
      template_free (tpl);
      return -1;
    }
    buf = core_read_file (tpl->file, &len);
    if (buf == NULL) {
      template_free (tpl);
      return -1;
    }
    text = buf;
  }
  /* TEXT need not end in a NUL: only LEN bytes are read. */
  if (memchr (text, '\0', len)) {
    core_error ("%s: holds a NUL byte", tpl->file);
    template_free (tpl);
    return -1;
  }
  /* Known before its body is compiled, so that recursion finds it. */
  if (template_vector_append (&t->loaded, tpl) == -1) {
    template_free (tpl);
    return -1;
  }
  sc = (struct scanner) { tpl, text, len, 0, 1, 1 };
  if (scan (&sc, &tokens) == 0
      && build (t, tpl, tokens.ptr, tokens.len, &i, NULL, &tpl->nodes,
                &tpl->nnodes) == 0)
    ret = 0;
  token_vector_reset (&tokens);
  if (ret == -1) {
    /* Forget it, and whatever it loaded after it (partials that point
     * at it). */
    while (t->loaded.len && t->loaded.ptr[t->loaded.len - 1] != tpl)
      template_free (t->loaded.ptr[--t->loaded.len]);
    t->loaded.len--;
    template_free (tpl);
    return -1;
  }
  *out = tpl;
  return 0;
}

int
rep_templates_load (struct rep_templates *t, const char *name)
{
  struct template *tpl;

  return load_template (t, name, NULL, 0, &tpl);
}

int
rep_templates_add (struct rep_templates *t, const char *name,
                   const char *text, size_t len)
{
  struct template *tpl;

  if (find_loaded (t, name)) {
    core_error ("%s: template added twice", name);
    return -1;
  }
  return load_template (t, name, text, len, &tpl);
}

/* Rendering --------------------------------------------------------- */

struct render {
  char *out;
  size_t len, cap;
  const struct rep_value *stack[MAX_DEPTH];
  size_t depth;
  size_t partials;              /* nesting of partials, for the limit */
};

static int
put (struct render *r, const char *s, size_t n)
{
  if (r->len + n + 1 > r->cap) {
    size_t want, cap = r->cap ? r->cap : 65536;
    char *p;

    if (!core_add_size (r->len, n + 1, &want)) {
      core_error ("document too large");
      return -1;
    }
    while (cap < want)
      if (!core_mul_size (cap, 2, &cap)) {
        core_error ("document too large");
        return -1;
      }
    p = realloc (r->out, cap);
    if (p == NULL) {
      core_error ("out of memory");
      return -1;
    }
    r->out = p;
    r->cap = cap;
  }
  memcpy (r->out + r->len, s, n);
  r->len += n;
  r->out[r->len] = '\0';
  return 0;
}

static int
put_escaped (struct render *r, const char *s, bool markdown)
{
  const char *run = s;

  for (; *s; s++) {
    const char *rep = NULL;
    char esc[3] = "\\";

    switch (*s) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '"': rep = "&quot;"; break;
    /* An apostrophe can only end an HTML attribute, and with '<'
     * escaped Markdown has none: left readable there. */
    case '\'': if (!markdown) rep = "&#39;"; break;
    case '\\': case '`': case '*': case '_': case '[': case ']': case '|':
      if (markdown) {
        esc[1] = *s;
        rep = esc;
      }
      break;
    case '\n':
      /* A line break would end a Markdown table row or list item. */
      if (markdown)
        rep = " ";
      break;
    }
    if (rep) {
      if (put (r, run, s - run) == -1 || put (r, rep, strlen (rep)) == -1)
        return -1;
      run = s + 1;
    }
  }
  return put (r, run, s - run);
}

/* The first part of the dotted NAME into PART (SIZE bytes), and *DOT the
 * dot after it (NULL after the last part); -1 when it does not fit. */
static int
name_part (const char *name, const char **dot, char *part, size_t size)
{
  size_t plen;

  *dot = strchr (name, '.');
  plen = *dot ? (size_t) (*dot - name) : strlen (name);
  if (plen >= size)
    return -1;
  memcpy (part, name, plen);
  part[plen] = '\0';
  return 0;
}

/* NAME through the context stack, then through its dotted parts. */
static const struct rep_value *
lookup (struct render *r, const struct template *tpl, const struct node *nd)
{
  const char *dot;
  const struct rep_value *v = NULL;
  char part[256];

  if (strcmp (nd->text, ".") == 0)
    return r->stack[r->depth - 1];
  if (name_part (nd->text, &dot, part, sizeof part) == -1)
    goto unknown;
  for (size_t i = r->depth; i > 0 && v == NULL; i--)
    v = rep_map_get (r->stack[i - 1], part);
  while (v && dot) {
    if (name_part (dot + 1, &dot, part, sizeof part) == -1)
      goto unknown;
    v = rep_map_get (v, part);
  }
  if (v)
    return v;
 unknown:
  core_error_at (tpl->file, nd->line, nd->col, "unknown variable '%s'",
                 nd->text);
  return NULL;
}

static int render_nodes (struct render *r, const struct template *tpl,
                         const struct node *nodes, size_t n);

static int
push (struct render *r, const struct template *tpl, const struct node *nd,
      const struct rep_value *v)
{
  if (r->depth == MAX_DEPTH) {
    core_error_at (tpl->file, nd->line, nd->col,
                   "sections nested more than %d deep", MAX_DEPTH);
    return -1;
  }
  r->stack[r->depth++] = v;
  return 0;
}

static int
render_section (struct render *r, const struct template *tpl,
                const struct node *nd, const struct rep_value *v)
{
  switch (v->kind) {
  case REP_LIST:
    for (size_t i = 0; i < v->len; i++) {
      if (push (r, tpl, nd, v->items[i]) == -1)
        return -1;
      if (render_nodes (r, tpl, nd->children, nd->nchildren) == -1)
        return -1;
      r->depth--;
    }
    return 0;
  case REP_MAP:
  case REP_STRING:
    /* The value becomes the context: its keys, or {{.}}. */
    if (push (r, tpl, nd, v) == -1
        || render_nodes (r, tpl, nd->children, nd->nchildren) == -1)
      return -1;
    r->depth--;
    return 0;
  default:
    return render_nodes (r, tpl, nd->children, nd->nchildren);
  }
}

static int
render_nodes (struct render *r, const struct template *tpl,
              const struct node *nodes, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const struct node *nd = &nodes[i];
    const struct rep_value *v;

    switch (nd->kind) {
    case N_TEXT:
      if (put (r, nd->text, nd->len) == -1)
        return -1;
      break;
    case N_VAR:
    case N_RAW:
      if ((v = lookup (r, tpl, nd)) == NULL)
        return -1;
      switch (v->kind) {
      case REP_NULL:
        break;
      case REP_BOOL:
        if (put (r, v->b ? "true" : "false", v->b ? 4 : 5) == -1)
          return -1;
        break;
      case REP_STRING:
        if ((nd->kind == N_RAW ? put (r, v->s, strlen (v->s))
             : put_escaped (r, v->s, tpl->markdown)) == -1)
          return -1;
        break;
      case REP_LIST:
      case REP_MAP:
        core_error_at (tpl->file, nd->line, nd->col, "'%s' is a %s, not a "
                       "value: use it as a section ({{#%s}}...{{/%s}})",
                       nd->text, v->kind == REP_LIST ? "list" : "map",
                       nd->text, nd->text);
        return -1;
      }
      break;
    case N_SECTION:
      if ((v = lookup (r, tpl, nd)) == NULL)
        return -1;
      if (rep_truthy (v) && render_section (r, tpl, nd, v) == -1)
        return -1;
      break;
    case N_INVERTED:
      if ((v = lookup (r, tpl, nd)) == NULL)
        return -1;
      if (!rep_truthy (v)
          && render_nodes (r, tpl, nd->children, nd->nchildren) == -1)
        return -1;
      break;
    case N_PARTIAL:
      if (r->partials == MAX_DEPTH) {
        core_error_at (tpl->file, nd->line, nd->col,
                       "partials nested more than %d deep", MAX_DEPTH);
        return -1;
      }
      r->partials++;
      if (render_nodes (r, nd->partial, nd->partial->nodes,
                        nd->partial->nnodes) == -1)
        return -1;
      r->partials--;
      break;
    }
  }
  return 0;
}

char *
rep_render (struct rep_templates *t, const char *name,
            const struct rep_value *data, size_t *len)
{
  struct render r = { 0 };
  struct template *tpl;

  if (load_template (t, name, NULL, 0, &tpl) == -1)
    return NULL;
  r.stack[r.depth++] = data;
  if (put (&r, "", 0) == -1
      || render_nodes (&r, tpl, tpl->nodes, tpl->nnodes) == -1) {
    free (r.out);
    return NULL;
  }
  *len = r.len;
  return r.out;
}
