/* libFuzzer target: the plan reader (core_plan_parse).
 * Whatever the input, the reader must fail cleanly or give a value that
 * the writer writes and the reader reads back equal.
 * Seeds: tests/data/good tests/data/bad tests/data/report
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "fuzz.h"


int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct core_plan a, b;
  char *text = NULL;
  size_t len;
  FILE *fp;

  if (core_plan_parse ("fuzz", (const char *) data, size, &a) == -1)
    return 0;
  fp = open_memstream (&text, &len);
  if (core_plan_write (fp, &a) == -1)
    abort ();
  fclose (fp);
  fuzz_check_expansion (size, len);
  if (core_plan_parse ("again", text, len, &b) == -1 || !core_plan_equal (&a, &b))
    abort ();
  core_plan_clear (&a);
  core_plan_clear (&b);
  free (text);
  return 0;
}
