/* Shared by the unit tests that read files of the source tree. */
#ifndef P2VKIT_TESTS_UNIT_H
#define P2VKIT_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A group setup: into $srcdir (make check sets it), so that paths such
 * as tests/data/... name the files of the tree under test. */
static inline int
unit_chdir_srcdir (void **state)
{
  const char *srcdir = getenv ("srcdir");

  (void) state;
  if (srcdir && chdir (srcdir) == -1)
    return -1;
  return 0;
}

/* A setup and teardown pair: a fresh folder under /tmp for each test,
 * its path in *STATE; removed with what the test left in it. */
static inline int
unit_make_tmpdir (void **state)
{
  char *dir = strdup ("/tmp/p2vkit-test-unit.XXXXXX");

  if (dir == NULL || mkdtemp (dir) == NULL) {
    free (dir);
    return -1;
  }
  *state = dir;
  return 0;
}

static inline int
unit_remove_tmpdir (void **state)
{
  char *dir = *state, cmd[64];
  int r;

  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  r = system (cmd);
  free (dir);
  return r == 0 ? 0 : -1;
}

#endif
