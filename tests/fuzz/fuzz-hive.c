/* libFuzzer target: what the Windows converter reads from registry hives
 * (conv_win_inspect over hivex).  The input is one hive used as both
 * SYSTEM and SOFTWARE (the seeds hold both hives' keys).  Whatever the
 * input, the reader must fail cleanly or give a control set name and
 * adapters with at least one address each.
 * Seeds: tests/data/hives
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "converter/converter.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char path[] = "/tmp/p2vkit-fuzz-hive.XXXXXX";
  static int fd = -1;
  struct conv_win_guest g;

  if (fd == -1 && (fd = mkstemp (path)) == -1)
    abort ();
  if (ftruncate (fd, 0) == -1 || pwrite (fd, data, size, 0) != (ssize_t) size)
    abort ();
  if (conv_win_inspect (path, path, &g) == 0) {
    if (!g.controlset || strncmp (g.controlset, "ControlSet", 10) != 0)
      abort ();
    for (size_t i = 0; i < g.nics.len; i++)
      if (g.nics.ptr[i].addresses.len == 0)
        abort ();
    conv_win_guest_clear (&g);
  }
  return 0;
}
