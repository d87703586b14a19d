/* Shared by the unit tests that read files of the source tree. */
#ifndef P2VKIT_TESTS_UNIT_H
#define P2VKIT_TESTS_UNIT_H

#include <stdlib.h>
#include <unistd.h>

/* A group setup: into $srcdir (make check sets it), so that paths such
 * as tests/data/... name the files of the tree under test. */
static int
unit_chdir_srcdir (void **state)
{
  const char *srcdir = getenv ("srcdir");

  (void) state;
  if (srcdir && chdir (srcdir) == -1)
    return -1;
  return 0;
}

#endif
