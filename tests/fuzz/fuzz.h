/* What the YAML fuzz targets check beyond a clean failure or an equal
 * read-back: the readers' limits (docs/formats.md, General rules). */
#include <stdlib.h>

/* Aliases may repeat at most the input's size plus 64 KiB, so what a
 * reader takes in, and the writer writes back, is a small multiple of
 * the input: without the limit a 64 KiB input of nested aliases reads
 * as gigabytes.  (Deep nesting shows as a timeout or a stack overflow;
 * make fuzz runs the targets with -timeout.) */
static inline void
fuzz_check_expansion (size_t in, size_t out)
{
  if (out > 16 * (2 * in + 65536) + 65536)
    abort ();
}
