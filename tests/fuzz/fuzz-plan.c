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

FUZZ_ROUND_TRIP (struct core_plan,
                 core_plan_parse, core_plan_write,
                 core_plan_equal, core_plan_clear)
