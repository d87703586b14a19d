/* libFuzzer target: the used-block map of capture --used-only
 * (p2v_fsmap_read), which reads partition tables, ext2/3/4 superblocks,
 * group descriptors and bitmaps, and swap headers from a disk that may be
 * damaged.  The input is the start of a 64 MiB disk (zeroes after it).
 * Whatever the input, the map must be made or fail cleanly, and only
 * blocks inside a recognised area may be called unused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2v/p2v.h"

#define DISK (64 * 1024 * 1024)

struct mem {
  const uint8_t *data;
  size_t size;
};

static int
mem_pread (void *opaque, void *buf, size_t len, uint64_t off)
{
  const struct mem *m = opaque;

  if (off > DISK || len > DISK - off)
    abort ();                   /* the map must never read past the disk */
  memset (buf, 0, len);
  if (off < m->size) {
    size_t n = m->size - off < len ? m->size - off : len;
    memcpy (buf, m->data + off, n);
  }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct mem m = { data, size };
  struct p2v_fsmap map;

  if (p2v_fsmap_read (mem_pread, &m, DISK, &map) == 0) {
    for (uint64_t b = 0; b < map.nblocks; b++) {
      bool inside = false;
      if (!p2v_fsmap_unused (&map, b))
        continue;
      for (size_t i = 0; i < map.areas.len; i++)
        if (b * P2V_BLOCK >= map.areas.ptr[i].off
            && b * P2V_BLOCK < map.areas.ptr[i].off + map.areas.ptr[i].len)
          inside = true;
      if (!inside)
        abort ();
    }
    for (size_t i = 0; i < map.areas.len; i++)
      if (map.areas.ptr[i].unused > map.areas.ptr[i].len + P2V_BLOCK)
        abort ();
  }
  p2v_fsmap_clear (&map);
  return 0;
}
