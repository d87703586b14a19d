/* libFuzzer target: the migration journal reader (mig_journal_parse).
 * Whatever the input, the reader must fail cleanly or give a value that
 * the writer writes and the reader reads back equal.
 * Seeds: tests/data/good tests/data/bad
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "migrate/migrate.h"
#include "fuzz.h"

FUZZ_ROUND_TRIP (struct mig_journal,
                 mig_journal_parse, mig_journal_write,
                 mig_journal_equal, mig_journal_clear)
