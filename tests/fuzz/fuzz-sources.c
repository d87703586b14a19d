/* libFuzzer target: the sources file reader (core_sources_parse).
 * Whatever the input, the reader must fail cleanly or give a value that
 * the writer writes and the reader reads back equal.
 * Seeds: tests/data/good tests/data/bad
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "fuzz.h"

FUZZ_ROUND_TRIP (struct core_sources,
                 core_sources_parse, core_sources_write,
                 core_sources_equal, core_sources_clear)
