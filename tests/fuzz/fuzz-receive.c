/* libFuzzer target: the receiver's control lines (p2v/receive.c), which
 * come from any client that reaches the port: the announcement (CAPTURE
 * NAME NEW|RESUME DISKS PROFILE-BYTES), its DISK SIZE LABEL lines, then
 * SUM DISK CHUNK HEX and MAP DISK lines.  The input is those lines; the
 * parsers see them as the session does.  Whatever the input, each line
 * must be refused with a message or give values inside the protocol's
 * limits: a name fit for a folder, 1 to P2V_MAX_DISKS disks, sizes in
 * whole sectors up to 1 PiB, disk and chunk numbers that exist, and a
 * lowercase SHA-256.
 * Seeds: tests/data/p2v
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2v/p2v.h"

/* The next line of DATA (without '\n'), as a string the parsers may
 * split; NULL at the end.  Lines are cut at P2V_MAX_LINE, as
 * p2v_conn_getline refuses longer ones. */
static char *
next_line (const uint8_t **data, size_t *size)
{
  const uint8_t *nl;
  size_t n;
  char *s;

  if (*size == 0)
    return NULL;
  nl = memchr (*data, '\n', *size);
  n = nl ? (size_t) (nl - *data) : *size;
  s = strndup ((const char *) *data, n > P2V_MAX_LINE ? P2V_MAX_LINE : n);
  if (s == NULL)
    abort ();
  *data += nl ? n + 1 : n;
  *size -= nl ? n + 1 : n;
  return s;
}

static bool
has_message (void)
{
  return core_errmsg ()[0] != '\0';
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct p2v_capture_ann ann;
  uint64_t nchunks[P2V_MAX_DISKS];
  char *line;
  int r;

  core_error ("%s", "");
  if ((line = next_line (&data, &size)) == NULL)
    return 0;
  r = p2v_parse_capture (line, &ann);
  free (line);
  if (r == -1) {
    if (!has_message () || (ann.name[0] && !p2v_name_ok (ann.name)))
      abort ();
    return 0;
  }
  if (!p2v_name_ok (ann.name) || ann.ndisks < 1 || ann.ndisks > P2V_MAX_DISKS
      || ann.profile_len > P2V_MAX_PROFILE)
    abort ();

  for (size_t i = 0; i < ann.ndisks; i++) {
    char label[256];
    uint64_t sz;

    if ((line = next_line (&data, &size)) == NULL)
      return 0;
    core_error ("%s", "");
    r = p2v_parse_disk (line, i, &sz, label, sizeof label);
    free (line);
    if (r == -1) {
      if (!has_message ())
        abort ();
      return 0;
    }
    if (sz == 0 || sz % 512 || sz > (uint64_t) P2V_MAX_DISK_SIZE
        || strlen (label) == 0 || strchr (label, ' '))
      abort ();
    nchunks[i] = (sz + P2V_CHUNK - 1) / P2V_CHUNK;
  }

  /* The commands, each parsed as the session parses it. */
  while ((line = next_line (&data, &size)) != NULL) {
    uint64_t d = UINT64_MAX, k = UINT64_MAX;
    char hex[P2V_SUM_HEX + 1];

    core_error ("%s", "");
    if (strncmp (line, "SUM ", 4) == 0) {
      if (p2v_parse_sum (line + 4, ann.ndisks, nchunks, &d, &k, hex) == 0) {
        if (d >= ann.ndisks || k >= nchunks[d] || strlen (hex) != P2V_SUM_HEX
            || strspn (hex, "0123456789abcdef") != P2V_SUM_HEX)
          abort ();
      }
      else if (!has_message () || strncmp (core_errmsg (), "SUM: ", 5) != 0)
        abort ();
    }
    else if (strncmp (line, "MAP ", 4) == 0) {
      if (p2v_parse_map (line + 4, ann.ndisks, &d) == 0) {
        if (d >= ann.ndisks)
          abort ();
      }
      else if (!has_message () || strncmp (core_errmsg (), "MAP: ", 5) != 0)
        abort ();
    }
    free (line);
  }
  return 0;
}
