/* libFuzzer target: the host catalog reader (core_hosts_parse).
 * Whatever the input, the reader must fail cleanly or give a value that
 * the writer writes and the reader reads back equal.
 * Seeds: tests/data/good tests/data/bad
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "fuzz.h"


int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct core_hosts a, b;
  char *text = NULL;
  size_t len;
  FILE *fp;

  if (core_hosts_parse ("fuzz", (const char *) data, size, &a) == -1)
    return 0;
  fp = open_memstream (&text, &len);
  if (core_hosts_write (fp, &a) == -1)
    abort ();
  fclose (fp);
  fuzz_check_expansion (size, len);
  if (core_hosts_parse ("again", text, len, &b) == -1 || !core_hosts_equal (&a, &b))
    abort ();
  core_hosts_clear (&a);
  core_hosts_clear (&b);
  free (text);
  return 0;
}
