/* libFuzzer target: the policy reader (core_policy_parse).
 * Whatever the input, the reader must fail cleanly or give a value that
 * the writer writes and the reader reads back equal.
 * Seeds: tests/data/good tests/data/bad
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "fuzz.h"

FUZZ_ROUND_TRIP (struct core_policy,
                 core_policy_parse, core_policy_write,
                 core_policy_equal, FUZZ_NO_CLEAR)
