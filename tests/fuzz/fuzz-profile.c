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
  struct core_profile *b;
  char *text = NULL;
  size_t len;
  FILE *fp;

  if (a == NULL)
    return 0;
  fp = open_memstream (&text, &len);
  if (core_profile_write (fp, a) == -1)
    abort ();
  fclose (fp);
  fuzz_check_expansion (size, len);
  b = core_profile_parse ("again", text, len);
  if (b == NULL || !core_profile_equal (a, b))
    abort ();
  core_profile_free (a);
  core_profile_free (b);
  free (text);
  return 0;
}
