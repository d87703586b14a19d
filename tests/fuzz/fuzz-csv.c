/* libFuzzer target: the CSV import (core_import_csv_parse over core_csv_parse).
 * Whatever the input, the reader must fail cleanly or give a value that
 * the writer writes and the reader reads back equal.
 * Seeds: tests/data/csv tests/data/bad examples/thesis/servers examples/fleet/servers
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "fuzz.h"

/* Load libosinfo's database once before the first input, so that its
 * seconds are not counted against that input's -timeout. */
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  struct core_osinfo o = { 0 };

  (void) argc;
  (void) argv;
  core_osinfo_lookup ("debian12", &o);
  core_osinfo_clear (&o);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  core_profile_vector v = { 0 };

  if (core_import_csv_parse ("fuzz", (const char *) data, size, &v) == 0) {
    /* Every imported profile must survive the profile writer and reader. */
    for (size_t i = 0; i < v.len; i++)
      fuzz_profile_round_trip (v.ptr[i]);
  }
  core_profiles_free (&v);
  return 0;
}
