/* Read a running libvirt domain's serial console until the facts block
 * of its first boot has been written, and verify it against a profile,
 * as p2vkit migrate's verify step does (dep_console_until,
 * mig_facts_parse, mig_verify_facts): for the end-to-end tests.
 *
 *   facts-verify URI DOMAIN PROFILE TIMEOUT CONSOLE-FILE
 *   facts-verify --file CONSOLE-FILE PROFILE      (console text saved before)
 *
 * Prints the facts read ("listen ADDR PORT", "address IF ADDR/PREFIX up"),
 * each thing missing ("missing: ..."), and the seconds it waited; writes
 * the console's text to CONSOLE-FILE.  Exit 0 when nothing is missing, 1
 * when something is, 3 when there were no facts (error or time out).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"
#include "migrate/migrate.h"

int
main (int argc, char **argv)
{
  struct core_profile *p;
  struct mig_facts f;
  core_string_vector missing = { 0 };
  char *text = NULL;
  double timeout, t0 = core_monotonic ();
  FILE *fp;
  int r;

  if (argc == 4 && strcmp (argv[1], "--file") == 0) {
    size_t len;
    if ((p = core_profile_read (argv[3])) == NULL
        || (text = core_read_file (argv[2], &len)) == NULL) {
      fprintf (stderr, "facts-verify: %s\n", core_errmsg ());
      core_profile_free (p);
      return 2;
    }
    r = 0;
  }
  else if (argc == 6) {
    if (core_parse_double (argv[4], "TIMEOUT", 1, 86400, &timeout) == -1
        || (p = core_profile_read (argv[3])) == NULL) {
      fprintf (stderr, "facts-verify: %s\n", core_errmsg ());
      return 2;
    }
    r = dep_console_until (argv[1], argv[2], MIG_FACTS_END, timeout, NULL, &text);
    printf ("console read for %.0f s\n", core_monotonic () - t0);
    if (text && (fp = fopen (argv[5], "w"))) {
      fputs (text, fp);
      fclose (fp);
    }
  }
  else {
    fprintf (stderr, "usage: facts-verify URI DOMAIN PROFILE TIMEOUT CONSOLE-FILE\n"
             "       facts-verify --file CONSOLE-FILE PROFILE\n");
    return 2;
  }
  if (r == -1) {
    fprintf (stderr, "facts-verify: %s\n", core_errmsg ());
    core_profile_free (p);
    return 3;
  }
  r = mig_facts_parse (text, strlen (text), &f);
  free (text);
  if (r != 0) {
    fprintf (stderr, "facts-verify: %s\n", r == 1 ? "no complete facts block" : core_errmsg ());
    core_profile_free (p);
    return 3;
  }
  printf ("os %s\n", f.os);
  for (size_t i = 0; i < f.listening.len; i++)
    printf ("listen %s %lld\n", f.listening.ptr[i].address, (long long) f.listening.ptr[i].port);
  for (size_t i = 0; i < f.addresses.len; i++)
    printf ("address %s %s/%d %s\n", f.addresses.ptr[i].ifname, f.addresses.ptr[i].address,
            f.addresses.ptr[i].prefix, f.addresses.ptr[i].up ? "up" : "down");
  r = mig_verify_facts (p, &f, &missing);
  for (size_t i = 0; i < missing.len; i++)
    printf ("missing: %s\n", missing.ptr[i]);
  if (r == -1)
    fprintf (stderr, "facts-verify: %s\n", core_errmsg ());
  core_string_vector_free (&missing);
  mig_facts_clear (&f);
  core_profile_free (p);
  return r == 0 ? 0 : r == 1 ? 1 : 3;
}
