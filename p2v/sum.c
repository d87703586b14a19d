/* Chunk checksums: SHA-256 over the SHA-256 of each block, with 32 zero
 * bytes standing for an all-zero block, so that neither end spends time
 * hashing zeroes (the receiver learns them from NBD block status). */
#include <string.h>

#include <gnutls/crypto.h>

#include "p2v/p2v.h"

bool
p2v_is_zero (const void *buf, size_t len)
{
  const unsigned char *p = buf;

  /* The first 16 bytes, then the buffer against itself shifted by 16:
   * memcmp is vectorised, a byte loop is not. */
  if (len <= 16) {
    for (size_t i = 0; i < len; i++)
      if (p[i])
        return false;
    return true;
  }
  for (size_t i = 0; i < 16; i++)
    if (p[i])
      return false;
  return memcmp (p, p + 16, len - 16) == 0;
}

int
p2v_block_digest (const void *buf, size_t len, bool zero, uint8_t *out)
{
  int r;

  if (zero) {
    memset (out, 0, 32);
    return 0;
  }
  r = gnutls_hash_fast (GNUTLS_DIG_SHA256, buf, len, out);
  if (r < 0) {
    core_error ("SHA-256: %s", gnutls_strerror (r));
    return -1;
  }
  return 0;
}

int
p2v_chunk_sum (const uint8_t *digests, size_t n, char *hex)
{
  uint8_t d[32];
  size_t len;
  int r;

  if (!core_mul_size (n, 32, &len)) {
    core_error ("chunk too large");
    return -1;
  }
  r = gnutls_hash_fast (GNUTLS_DIG_SHA256, digests, len, d);
  if (r < 0) {
    core_error ("SHA-256: %s", gnutls_strerror (r));
    return -1;
  }
  for (size_t i = 0; i < 32; i++)
    sprintf (hex + 2 * i, "%02x", d[i]);
  return 0;
}
