/* p2vkit import: one profile per CSV row, for servers that cannot run the
 * inventory agent. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct cli_option opts[] = {
  { "output", required_argument, 'o', "DIR",
    "write DIR/NAME.yaml per row (DIR is created if missing)" },
  { "quiet", no_argument, 'q', NULL, "print nothing on success" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "FILE.csv... -o DIR",
  "Read CSV files of servers (one row per server, a header row naming the\n"
  "columns) and write one profile per row.  Nothing is written when any row\n"
  "is bad.  The columns are described in p2vkit-import(1)."
};

static int
write_profile (FILE *fp, void *opaque)
{
  return core_profile_write (fp, opaque);
}

int
cli_cmd_import (const struct cli_command *cmd, int argc, char **argv)
{
  CLEANUP_FREE_PROFILES core_profile_vector profiles = { 0 };
  core_string_vector written = { 0 };
  const char *outdir = NULL;
  char *stage = NULL;
  bool quiet = false, made_dir = false;
  int c, ret = EXIT_FAILURE_;

  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'o': outdir = optarg; break;
    case 'q': quiet = true; break;
    case 'h': cli_print_help (cmd, &usage, opts); return EXIT_OK;
    default: return cli_option_error (cmd, argv, c);
    }
  }
  if (optind >= argc)
    return cli_usage_error (cmd, "no CSV file given");
  if (outdir == NULL)
    return cli_usage_error (cmd, "no output folder given (-o DIR)");

  /* Read everything first: a bad row anywhere means nothing is written. */
  for (int i = optind; i < argc; i++)
    if (core_import_csv (argv[i], &profiles) == -1) {
      cli_core_error ();
      return EXIT_FAILURE_;
    }
  for (size_t i = 1; i < profiles.len; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp (profiles.ptr[i]->name, profiles.ptr[j]->name) == 0) {
        cli_error ("%s: duplicate workload name '%s' (also in %s)",
                   profiles.ptr[i]->source, profiles.ptr[i]->name,
                   profiles.ptr[j]->source);
        return EXIT_FAILURE_;
      }

  if (cli_output_dir (outdir, &made_dir) == -1)
    return EXIT_FAILURE_;
  /* Two phases, so that a failure leaves older profiles of the same names
   * as they were: every profile into a private hidden folder in DIR
   * first, then all renamed into place.  The folder is one entry of the
   * temporary files however many rows there are, and a signal removes it
   * with what it holds. */
  stage = core_sprintf ("%s/.p2vkit-import.XXXXXX", outdir);
  if (stage == NULL) {
    cli_core_error ();
    goto out;
  }
  if (core_mkdtemp_registered (stage) == NULL) {
    cli_core_error ();
    free (stage);
    stage = NULL;
    goto out;
  }
  for (size_t i = 0; i < profiles.len; i++) {
    char *tmp = core_sprintf ("%s/%s.yaml", stage, profiles.ptr[i]->name);

    if (tmp == NULL || core_string_vector_append (&written, tmp) == -1) {
      cli_core_error ();
      free (tmp);
      goto out;
    }
    if (core_write_atomic (tmp, write_profile, profiles.ptr[i]) == -1) {
      cli_core_error ();
      goto out;
    }
  }
  for (size_t i = 0; i < profiles.len; i++) {
    CLEANUP_FREE char *path = core_sprintf ("%s/%s.yaml", outdir,
                                            profiles.ptr[i]->name);
    if (path == NULL) {
      cli_core_error ();
      goto out;
    }
    /* Through a link to its target, like every output. */
    if (core_output_commit (written.ptr[i], path) == -1) {
      cli_core_error ();
      goto out;
    }
  }
  if (!quiet)
    printf ("imported %zu server%s into %s\n", profiles.len,
            profiles.len == 1 ? "" : "s", outdir);
  ret = EXIT_OK;

 out:
  if (stage) {
    /* Renamed files are gone from it; on failure the rest are removed. */
    for (size_t i = 0; i < written.len; i++)
      unlink (written.ptr[i]);
    rmdir (stage);
    core_tmpfiles_remove (stage);
    free (stage);
  }
  if (ret != EXIT_OK && made_dir)
    rmdir (outdir);
  core_string_vector_free (&written);
  return ret;
}
