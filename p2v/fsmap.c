/* Which blocks of a disk no filesystem uses (capture --used-only), read
 * from the on-disk formats rather than from the mounted filesystem, so it
 * works on unmounted disks and on a disk booted from a live system.
 *
 * Everything counts as used unless it lies inside a recognised ext2/3/4
 * or swap area and that format says it is free.  Input is untrusted (a
 * damaged disk): every number read is checked before use, and anything
 * that does not add up leaves its area counted as used. */
#include <string.h>

#include "p2v/p2v.h"

static uint16_t le16 (const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t le32 (const uint8_t *p)
{ return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24; }
static uint64_t le64 (const uint8_t *p)
{ return le32 (p) | (uint64_t) le32 (p + 4) << 32; }

struct ctx {
  p2v_pread_fn rd;
  void *opaque;
  struct p2v_fsmap *m;
  uint8_t *used;                /* bit per P2V_BLOCK: set = used */
};

static void
set_bit (uint8_t *map, uint64_t i, bool v)
{
  if (v)
    map[i / 8] |= 1u << (i % 8);
  else
    map[i / 8] &= ~(1u << (i % 8));
}

/* Bytes [OFF, OFF+LEN) are used: every block they touch is. */
static void
mark_used (struct ctx *c, uint64_t off, uint64_t len)
{
  if (len == 0 || off >= c->m->size)
    return;
  if (len > c->m->size - off)
    len = c->m->size - off;
  for (uint64_t b = off / P2V_BLOCK; b <= (off + len - 1) / P2V_BLOCK; b++)
    set_bit (c->used, b, true);
}

/* Bytes [OFF, OFF+LEN) may be free: the blocks wholly inside become
 * unused until something marks them used again. */
static void
mark_free (struct ctx *c, uint64_t off, uint64_t len)
{
  uint64_t first, end;

  if (off >= c->m->size)
    return;
  if (len > c->m->size - off)
    len = c->m->size - off;
  first = (off + P2V_BLOCK - 1) / P2V_BLOCK;
  end = (off + len) / P2V_BLOCK;
  if (off + len == c->m->size)
    end = c->m->nblocks;        /* the disk's last, partial block */
  for (uint64_t b = first; b < end; b++)
    set_bit (c->used, b, false);
}

static int
add_area (struct ctx *c, uint64_t off, uint64_t len, const char *fmt,
          unsigned long long arg)
{
  struct p2v_area a = { .off = off, .len = len };

  a.what = core_sprintf (fmt, arg);
  if (a.what == NULL || p2v_area_vector_append (&c->m->areas, a) == -1) {
    free (a.what);
    return -1;
  }
  return 0;
}

/* ---- ext2/3/4 ---- */

#define EXT_MAGIC 0xEF53
#define EXT_INCOMPAT_RECOVER 0x4
#define EXT_INCOMPAT_JOURNAL_DEV 0x8
#define EXT_INCOMPAT_META_BG 0x10
#define EXT_INCOMPAT_64BIT 0x80
#define EXT_RO_COMPAT_GDT_CSUM 0x10
#define EXT_RO_COMPAT_METADATA_CSUM 0x400
#define EXT_BG_BLOCK_UNINIT 0x2

static bool
is_ext (struct ctx *c, uint64_t off, uint64_t len, uint8_t *sb)
{
  if (len < 2048 || c->rd (c->opaque, sb, 1024, off + 1024) == -1)
    return false;
  return le16 (sb + 0x38) == EXT_MAGIC;
}

/* Returns 0 when the area was mapped or left used with a reason; -1 only
 * on a read error or out of memory. */
static int
map_ext (struct ctx *c, uint64_t off, uint64_t len, const uint8_t *sb)
{
  uint32_t log_bs = le32 (sb + 0x18);
  uint32_t first_data = le32 (sb + 0x14);
  uint32_t bpg = le32 (sb + 0x20);
  uint32_t ipg = le32 (sb + 0x28);
  uint32_t rev = le32 (sb + 0x4C);
  uint32_t incompat = le32 (sb + 0x60);
  uint32_t ro_compat = le32 (sb + 0x64);
  uint16_t inode_size = rev >= 1 ? le16 (sb + 0x58) : 128;
  uint16_t reserved_gdt = le16 (sb + 0xCE);
  uint64_t bs, blocks, groups, desc_size, gdt_bytes, gdt_blocks, itb;
  CLEANUP_FREE uint8_t *gdt = NULL, *bitmap = NULL;
  bool uninit_ok = ro_compat & (EXT_RO_COMPAT_GDT_CSUM | EXT_RO_COMPAT_METADATA_CSUM);
  const char *why = NULL;
  size_t area_idx;

  blocks = le32 (sb + 0x04);
  if (incompat & EXT_INCOMPAT_64BIT)
    blocks |= (uint64_t) le32 (sb + 0x150) << 32;
  desc_size = (incompat & EXT_INCOMPAT_64BIT) ? le16 (sb + 0xFE) : 32;
  bs = log_bs <= 6 ? UINT64_C(1024) << log_bs : 0;

  if (add_area (c, off, len, "ext2/3/4 at byte %llu", (unsigned long long) off) == -1)
    return -1;
  area_idx = c->m->areas.len - 1;

  if (bs == 0 || bpg == 0 || bpg > 8 * bs || ipg == 0 || inode_size < 128
      || inode_size > bs || blocks == 0 || blocks > len / bs
      || first_data >= blocks || desc_size < 32 || desc_size > 1024
      || (desc_size & (desc_size - 1)))
    why = "superblock does not add up";
  else if (incompat & EXT_INCOMPAT_RECOVER)
    why = "needs journal recovery: bitmaps may be stale";
  else if (incompat & EXT_INCOMPAT_META_BG)
    why = "meta_bg layout is not read";
  else if (incompat & EXT_INCOMPAT_JOURNAL_DEV)
    why = "external journal device";
  if (why) {
    char *w = core_sprintf ("%s (all used: %s)", c->m->areas.ptr[area_idx].what, why);
    if (w) {
      free (c->m->areas.ptr[area_idx].what);
      c->m->areas.ptr[area_idx].what = w;
    }
    return 0;
  }

  groups = (blocks - first_data + bpg - 1) / bpg;
  gdt_bytes = groups * desc_size;
  if (gdt_bytes > 256 * 1024 * 1024)
    return 0;
  gdt_blocks = (gdt_bytes + bs - 1) / bs;
  itb = ((uint64_t) ipg * inode_size + bs - 1) / bs;
  gdt = malloc (gdt_blocks * bs);
  bitmap = malloc (bs);
  if (gdt == NULL || bitmap == NULL) {
    core_error ("out of memory");
    return -1;
  }
  if (c->rd (c->opaque, gdt, gdt_blocks * bs, off + (first_data + 1) * bs) == -1)
    return -1;

  /* Free what the bitmaps say is free, then mark every group's own
   * metadata used whatever its bitmap says. */
  mark_free (c, off, blocks * bs);
  mark_used (c, off, (first_data + 1 + gdt_blocks + reserved_gdt) * bs);
  for (uint64_t g = 0; g < groups; g++) {
    const uint8_t *d = gdt + g * desc_size;
    uint64_t bb = le32 (d), ib = le32 (d + 4), it = le32 (d + 8);
    uint16_t flags = le16 (d + 0x12);
    uint64_t start = first_data + g * bpg;
    uint64_t n = blocks - start < bpg ? blocks - start : bpg;

    if (desc_size >= 64) {
      bb |= (uint64_t) le32 (d + 0x20) << 32;
      ib |= (uint64_t) le32 (d + 0x24) << 32;
      it |= (uint64_t) le32 (d + 0x28) << 32;
    }
    if (bb >= blocks || ib >= blocks || it >= blocks || itb > blocks - it) {
      mark_used (c, off + start * bs, n * bs);
      continue;
    }
    mark_used (c, off + bb * bs, bs);
    mark_used (c, off + ib * bs, bs);
    mark_used (c, off + it * bs, itb * bs);
    if (uninit_ok && (flags & EXT_BG_BLOCK_UNINIT)) {
      /* No bitmap on disk; only a backup superblock and descriptors can
       * be there, at the group's start: counted used whether or not this
       * group holds a backup. */
      mark_used (c, off + start * bs, (1 + gdt_blocks + reserved_gdt) * bs);
      continue;
    }
    if (c->rd (c->opaque, bitmap, bs, off + bb * bs) == -1)
      return -1;
    for (uint64_t i = 0; i < n; ) {
      uint64_t j;
      if (!(bitmap[i / 8] & (1u << (i % 8)))) {
        i++;
        continue;
      }
      for (j = i; j < n && (bitmap[j / 8] & (1u << (j % 8))); j++)
        ;
      mark_used (c, off + (start + i) * bs, (j - i) * bs);
      i = j;
    }
  }
  return 0;
}

/* ---- swap ---- */

static uint64_t
swap_page (struct ctx *c, uint64_t off, uint64_t len)
{
  static const uint64_t pages[] = { 4096, 8192, 16384, 65536 };
  char magic[10];

  for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
    if (len < 2 * pages[i])
      break;
    if (c->rd (c->opaque, magic, 10, off + pages[i] - 10) == -1)
      return 0;
    if (memcmp (magic, "SWAPSPACE2", 10) == 0
        || memcmp (magic, "SWAP-SPACE", 10) == 0)
      return pages[i];
  }
  return 0;
}

/* ---- one area: a filesystem or swap at OFF ---- */

static int
probe (struct ctx *c, uint64_t off, uint64_t len)
{
  uint8_t sb[1024];
  uint64_t page;

  if (off >= c->m->size)
    return 0;
  if (len > c->m->size - off)
    len = c->m->size - off;
  if (is_ext (c, off, len, sb))
    return map_ext (c, off, len, sb);
  page = swap_page (c, off, len);
  if (page) {
    if (add_area (c, off, len, "swap at byte %llu", (unsigned long long) off) == -1)
      return -1;
    mark_free (c, off + page, len - page);
  }
  return 0;
}

/* ---- partition tables ---- */

static int
gpt (struct ctx *c, uint64_t sector, bool *found)
{
  uint8_t h[92];
  uint64_t entries_lba;
  uint32_t n, esize;
  CLEANUP_FREE uint8_t *e = NULL;

  *found = false;
  if (c->m->size < 3 * sector
      || c->rd (c->opaque, h, sizeof h, sector) == -1)
    return 0;
  if (memcmp (h, "EFI PART", 8) != 0)
    return 0;
  entries_lba = le64 (h + 0x48);
  n = le32 (h + 0x50);
  esize = le32 (h + 0x54);
  if (n == 0 || n > 1024 || esize < 128 || esize > 4096
      || entries_lba >= c->m->size / sector)
    return 0;
  *found = true;
  e = malloc ((size_t) n * esize);
  if (e == NULL) {
    core_error ("out of memory");
    return -1;
  }
  if (c->rd (c->opaque, e, (size_t) n * esize, entries_lba * sector) == -1)
    return 0;                   /* a table past the end: all used */
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *p = e + (size_t) i * esize;
    uint64_t first = le64 (p + 0x20), last = le64 (p + 0x28);
    static const uint8_t unused_type[16];

    if (memcmp (p, unused_type, 16) == 0 || last < first
        || last >= c->m->size / sector)
      continue;
    if (probe (c, first * sector, (last - first + 1) * sector) == -1)
      return -1;
  }
  return 0;
}

static bool
is_extended (uint8_t type)
{
  return type == 0x05 || type == 0x0F || type == 0x85;
}

static int
mbr (struct ctx *c, const uint8_t *s)
{
  for (int i = 0; i < 4; i++) {
    const uint8_t *p = s + 446 + 16 * i;
    uint64_t start = le32 (p + 8), count = le32 (p + 12);

    if (p[4] == 0 || count == 0)
      continue;
    if (!is_extended (p[4])) {
      if (probe (c, start * 512, count * 512) == -1)
        return -1;
      continue;
    }
    /* Logical partitions: a chain of EBRs, each relative to the
     * extended partition's start; bounded against loops. */
    uint64_t ebr = start;
    for (int k = 0; k < 128 && ebr * 512 + 512 <= c->m->size; k++) {
      uint8_t e[512];
      if (c->rd (c->opaque, e, 512, ebr * 512) == -1 || e[510] != 0x55 || e[511] != 0xAA)
        break;
      const uint8_t *l = e + 446, *next = e + 446 + 16;
      if (l[4] && le32 (l + 12)
          && probe (c, (ebr + le32 (l + 8)) * 512, (uint64_t) le32 (l + 12) * 512) == -1)
        return -1;
      if (!is_extended (next[4]) || le32 (next + 8) == 0)
        break;
      ebr = start + le32 (next + 8);
    }
  }
  return 0;
}

int
p2v_fsmap_read (p2v_pread_fn rd, void *opaque, uint64_t size,
                struct p2v_fsmap *out)
{
  struct ctx c = { .rd = rd, .opaque = opaque, .m = out };
  uint8_t sb[1024], s0[512];
  size_t bytes;
  bool found = false;

  memset (out, 0, sizeof *out);
  out->size = size;
  out->nblocks = (size + P2V_BLOCK - 1) / P2V_BLOCK;
  if (out->nblocks > (UINT64_C(1) << 36)) {
    core_error ("disk too large for a map of used blocks");
    return -1;
  }
  bytes = (out->nblocks + 7) / 8;
  c.used = malloc (bytes ? bytes : 1);
  out->unused = calloc (bytes ? bytes : 1, 1);
  if (c.used == NULL || out->unused == NULL) {
    free (c.used);
    core_error ("out of memory");
    return -1;
  }
  memset (c.used, 0xff, bytes);

  if (size >= 2048 && is_ext (&c, 0, size, sb)) {
    if (map_ext (&c, 0, size, sb) == -1)
      goto fail;
  }
  else if (swap_page (&c, 0, size)) {
    if (probe (&c, 0, size) == -1)
      goto fail;
  }
  else {
    if (gpt (&c, 512, &found) == -1)
      goto fail;
    if (!found && gpt (&c, 4096, &found) == -1)
      goto fail;
    if (!found && size >= 512 && rd (opaque, s0, 512, 0) == 0
        && s0[510] == 0x55 && s0[511] == 0xAA && mbr (&c, s0) == -1)
      goto fail;
  }

  for (uint64_t b = 0; b < out->nblocks; b++)
    if (!(c.used[b / 8] & (1u << (b % 8))))
      set_bit (out->unused, b, true);
  /* What each area leaves out, for the log. */
  for (size_t i = 0; i < out->areas.len; i++) {
    struct p2v_area *a = &out->areas.ptr[i];
    for (uint64_t b = a->off / P2V_BLOCK;
         b < out->nblocks && b * P2V_BLOCK < a->off + a->len; b++)
      if (p2v_fsmap_unused (out, b)) {
        uint64_t s = b * P2V_BLOCK, e = s + P2V_BLOCK;
        if (e > size)
          e = size;
        a->unused += e - s;
      }
  }
  free (c.used);
  return 0;

 fail:
  free (c.used);
  p2v_fsmap_clear (out);
  return -1;
}

bool
p2v_fsmap_unused (const struct p2v_fsmap *m, uint64_t block)
{
  if (m == NULL || m->unused == NULL || block >= m->nblocks)
    return false;
  return m->unused[block / 8] & (1u << (block % 8));
}

void
p2v_fsmap_clear (struct p2v_fsmap *m)
{
  if (m == NULL)
    return;
  free (m->unused);
  for (size_t i = 0; i < m->areas.len; i++)
    free (m->areas.ptr[i].what);
  p2v_area_vector_reset (&m->areas);
  memset (m, 0, sizeof *m);
}
