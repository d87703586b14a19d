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

FUZZ_ROUND_TRIP (struct core_hosts,
                 core_hosts_parse, core_hosts_write,
                 core_hosts_equal, core_hosts_clear)
