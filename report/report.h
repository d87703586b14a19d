/* report: a plan rendered as a deployment-plan document.
 *
 * A small logic-less template language (a subset of Mustache, described in
 * docs/templates.md) renders a tree of values built from the plan; the
 * templates live in a folder (templates/ by default) that users may copy
 * and edit.  HTML is printed to PDF by headless Chromium.  Nothing here
 * prints: errors go through core_error, as everywhere in the library.
 * One section per .c file.
 */
#ifndef P2VKIT_REPORT_H
#define P2VKIT_REPORT_H

#include "core/core.h"

/* ------------------------------------------------------------------ */
/* value.c: the tree of values templates render.                      */

enum rep_kind { REP_NULL, REP_BOOL, REP_STRING, REP_LIST, REP_MAP };

struct rep_value {
  enum rep_kind kind;
  bool b;                       /* REP_BOOL */
  char *s;                      /* REP_STRING */
  bool number;                  /* REP_STRING holding a count: JSON shows
                                 * it as a number */
  struct rep_value **items;     /* REP_LIST items, REP_MAP values */
  char **keys;                  /* REP_MAP keys, parallel to items */
  size_t len, cap;
};

/* Constructors return NULL (error set) when out of memory. */
struct rep_value *rep_null (void);
struct rep_value *rep_bool (bool b);
/* A copy of S; S NULL gives a null value. */
struct rep_value *rep_string (const char *s);
struct rep_value *rep_stringf (const char *fmt, ...)
  __attribute__((format(printf, 1, 2)));
/* A count: rendered as its decimal text, a JSON number in --values. */
struct rep_value *rep_int (int64_t v);
struct rep_value *rep_list (void);
struct rep_value *rep_map (void);

/* Both take V over: it belongs to the container, or is freed when adding
 * fails.  V NULL (a constructor that failed) makes them fail, so calls
 * can be chained without checking each constructor.  Setting a key that
 * is there replaces its value. */
int rep_list_add (struct rep_value *list, struct rep_value *v);
int rep_map_set (struct rep_value *map, const char *key, struct rep_value *v);

/* NULL when MAP is not a map or has no KEY. */
const struct rep_value *rep_map_get (const struct rep_value *map, const char *key);

/* What sections test: false for null, false, "" and an empty list. */
bool rep_truthy (const struct rep_value *v);

void rep_value_free (struct rep_value *v);

/* The tree as JSON, keys in the order they were set (for people writing
 * templates: `p2vkit report --values`). */
int rep_value_write_json (FILE *fp, const struct rep_value *v);

/* For building many values with one check at the end: like rep_map_set
 * and rep_list_add (V is taken over in any case), but a failure sets
 * *FAILED instead of returning it. */
void rep_set (bool *failed, struct rep_value *map, const char *key,
              struct rep_value *v);
void rep_add (bool *failed, struct rep_value *list, struct rep_value *v);

/* ------------------------------------------------------------------ */
/* template.c: the template language.                                  */

/* A folder of templates, compiled when first named and kept. */
struct rep_templates;

/* DIR NULL: only templates added with rep_templates_add. */
struct rep_templates *rep_templates_new (const char *dir);
void rep_templates_free (struct rep_templates *t);

/* Compile template NAME (a file in the folder) and the partials it names,
 * recursively.  Errors name the template file, line and column. */
int rep_templates_load (struct rep_templates *t, const char *name);
/* Compile TEXT as template NAME (for tests and fuzzing). */
int rep_templates_add (struct rep_templates *t, const char *name,
                       const char *text, size_t len);

/* Render template NAME (loaded if it is not yet) with DATA as the
 * context.  {{x}} escapes for the template's format, chosen by its name:
 * Markdown for NAME ending in ".md", HTML otherwise.  Returns the
 * document (NUL-terminated, *LEN bytes), or NULL with the error set. */
char *rep_render (struct rep_templates *t, const char *name,
                  const struct rep_value *data, size_t *len);

/* What a report is made with, besides the plan and its templates. */
struct rep_options {
  const char *plan_file;        /* shown in the document and runbooks */
  double rate_mbs;              /* transfer rate for the waves, MB/s */
  double window_h;              /* longest transfer a wave may take, h */
  size_t wave_size;             /* most workloads in a wave */
};

/* ------------------------------------------------------------------ */
/* format.c: numbers as documents show them.  Each writes into BUF and */
/* returns it.                                                          */

/* Thousands separated, at most DECIMALS decimals, trailing zeros dropped:
 * 16690 -> "16,690", 4.50 -> "4.5". */
char *rep_fmt_num (char *buf, size_t len, double v, int decimals);
/* "768 MiB", "14.3 GiB", "12 TiB". */
char *rep_fmt_mib (char *buf, size_t len, double mib);
char *rep_fmt_gib (char *buf, size_t len, double gib);
/* "800 MHz", "2.27 GHz". */
char *rep_fmt_mhz (char *buf, size_t len, double mhz);
/* "12 min", "2 h 05 min", "3 d 4 h". */
char *rep_fmt_duration (char *buf, size_t len, double seconds);

/* ------------------------------------------------------------------ */
/* chart.c: a host's CPU chart, as numbers for an SVG template.        */

/* N values of summed demand (MHz), each covering INTERVAL_S seconds from
 * 00:00, against CAPACITY_MHZ of which HEADROOM_PCT is kept free. */
struct rep_value *rep_chart_values (const double *mhz, size_t n,
                                    int64_t interval_s, double capacity_mhz,
                                    double headroom_pct);

/* A host's growth curve: PCT[m] (months 0 to N-1) is its most used
 * resource in percent of capacity; above 100 - HEADROOM_PCT it has run
 * out, which RUNS_OUT (a month, or CORE_UNSET) marks. */
struct rep_value *rep_growth_chart_values (const double *pct, size_t n,
                                           double headroom_pct, int64_t runs_out);

/* ------------------------------------------------------------------ */
/* waves.c: migration waves and runbooks.                              */

struct rep_waves_stats {
  size_t waves;
  size_t moved;                 /* workloads with a host */
  size_t infrastructure;        /* workloads moved in the first waves */
  double seconds;               /* all transfers, one after the other */
  double disk_gib;              /* data to copy */
};

/* Orders the plan's virtualized workloads into waves; sets wave, risk and
 * infrastructure in each of WORKLOADS (the plan's workloads' maps, in
 * plan order) and adds waves, runbooks and migration to ROOT. */
int rep_waves_build (const struct core_plan *plan,
                     const struct rep_options *opts, struct rep_value *root,
                     struct rep_value **workloads,
                     struct rep_waves_stats *stats);

/* ------------------------------------------------------------------ */
/* build.c: the values of a plan, as docs/templates.md lists them.     */

struct rep_value *rep_plan_values (const struct core_plan *plan,
                                   const struct rep_options *opts);

/* ------------------------------------------------------------------ */
/* pdf.c: HTML to PDF through headless Chromium.                       */

/* Print HTML (LEN bytes) to the PDF file OUTPUT, whole or not at all:
 * Chromium writes into a scratch folder that is removed afterwards, even
 * when this process is killed.  CHROMIUM NULL: $P2VKIT_CHROMIUM, else
 * "chromium". */
int rep_pdf_write (const char *html, size_t len, const char *output,
                   const char *chromium);

/* ------------------------------------------------------------------ */
/* document.c: a plan as a whole document, for every front end.        */

enum rep_format {
  REP_HTML, REP_MD,
  REP_PDF,                      /* the HTML printed by Chromium */
  REP_VALUES,                   /* the values templates see, as JSON */
};

/* "html", "md" (or "markdown"), "pdf"; -1 with the error set otherwise. */
int rep_format_parse (const char *name, enum rep_format *out);
/* The format a file name asks for: .md, .pdf, else HTML. */
enum rep_format rep_format_of_output (const char *output);
/* The template a format starts from: "report.md" or "report.html". */
const char *rep_format_main (enum rep_format format);

/* The installed folder of templates that holds MAIN_NAME (malloc'd), or
 * NULL with an error naming the folders looked in. */
char *rep_find_templates (const char *main_name);

struct rep_document {
  enum rep_format format;
  const char *output;           /* a file, or "-" for standard output */
  const char *template_dir;     /* NULL: rep_find_templates */
  const char *chromium;         /* NULL: as rep_pdf_write */
  struct rep_options opts;
};

/* Render PLAN as D says and write it whole, or nothing (-1, error set):
 * templates are read and rendered before the output is opened. */
int rep_write_document (const struct core_plan *plan, const struct rep_document *d);

#endif /* P2VKIT_REPORT_H */
