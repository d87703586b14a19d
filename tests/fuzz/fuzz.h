/* What the YAML fuzz targets check beyond a clean failure or an equal
 * read-back: the readers' limits (docs/formats.md, General rules). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

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

/* No clear function: the value holds nothing on the heap. */
#define FUZZ_NO_CLEAR(p) ((void) (p))

/* The target of a reader that fills a struct TYPE: it fails cleanly, or
 * what WRITE writes of the value PARSE reads back EQUAL. */
#define FUZZ_ROUND_TRIP(type, parse, write, equal, clear)                   \
  int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);           \
  int                                                                       \
  LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)                 \
  {                                                                         \
    type a, b;                                                              \
    char *text = NULL;                                                      \
    size_t len;                                                             \
    FILE *fp;                                                               \
                                                                            \
    if (parse ("fuzz", (const char *) data, size, &a) == -1)                \
      return 0;                                                             \
    fp = open_memstream (&text, &len);                                      \
    if (write (fp, &a) == -1)                                               \
      abort ();                                                             \
    fclose (fp);                                                            \
    fuzz_check_expansion (size, len);                                       \
    if (parse ("again", text, len, &b) == -1 || !equal (&a, &b))            \
      abort ();                                                             \
    clear (&a);                                                             \
    clear (&b);                                                             \
    free (text);                                                            \
    return 0;                                                               \
  }

/* A profile the writer writes and the reader reads back equal; returns
 * the length written. */
static inline size_t
fuzz_profile_round_trip (const struct core_profile *a)
{
  struct core_profile *b;
  char *text = NULL;
  size_t len;
  FILE *fp = open_memstream (&text, &len);

  if (core_profile_write (fp, a) == -1)
    abort ();
  fclose (fp);
  b = core_profile_parse ("again", text, len);
  if (b == NULL || !core_profile_equal (a, b))
    abort ();
  core_profile_free (b);
  free (text);
  return len;
}
