/* libFuzzer target: the profile reader (core_profile_parse).
 * Whatever the input, the reader must fail cleanly or give a value that
 * the writer writes and the reader reads back equal.
 * Seeds: tests/data/good tests/data/bad examples/thesis/servers
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "fuzz.h"


int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct core_profile *a = core_profile_parse ("fuzz", (const char *) data, size);

  if (a == NULL)
    return 0;
  fuzz_check_expansion (size, fuzz_profile_round_trip (a));
  core_profile_free (a);
  return 0;
}
