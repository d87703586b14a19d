/* libFuzzer target: the inventory's parsers of untrusted text (files of a
 * recorded tree given with --root, and fleet hosts files).  The first
 * byte picks the parser; whatever the rest, each must return without
 * crashing, leaking or reading out of bounds, and leave sane values.
 * Seeds: tests/data/roots
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/inventory.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text;
  unsigned which;

  if (size < 1)
    return 0;
  which = data[0] % 12;
  text = malloc (size);
  if (text == NULL)
    return 0;
  memcpy (text, data + 1, size - 1);
  text[size - 1] = '\0';

  switch (which) {
  case 0: {
    struct inv_cpuinfo c;
    inv_parse_cpuinfo (text, &c);
    if (c.cores != CORE_UNSET && (c.cores < 1 || c.threads < c.cores))
      abort ();
    inv_cpuinfo_clear (&c);
    break;
  }
  case 1: {
    struct inv_meminfo m;
    inv_parse_meminfo (text, &m);
    if (inv_meminfo_used_kib (&m) < -1)
      abort ();
    break;
  }
  case 2: {
    char *v = inv_os_release_get (text, "ID");
    char *w = inv_os_release_get (text, "VERSION_ID");
    char *c = inv_osinfo_candidate (v, w);
    free (v);
    free (w);
    free (c);
    break;
  }
  case 3: {
    inv_mount_vector v = { 0 };
    inv_parse_mounts (text, &v);
    inv_mounts_free (&v);
    break;
  }
  case 4: case 5: {
    inv_socket_vector v = { 0 };
    inv_parse_net_sockets (text, which == 4 ? CORE_PROTO_TCP : CORE_PROTO_UDP, &v);
    for (size_t i = 0; i < v.len; i++)
      if (v.ptr[i].port < 1 || v.ptr[i].port > 65535)
        abort ();
    inv_socket_vector_reset (&v);
    break;
  }
  case 6: case 7: {
    inv_counter_vector v = { 0 };
    if (which == 6)
      inv_parse_diskstats (text, &v);
    else
      inv_parse_netdev (text, &v);
    inv_counter_vector_reset (&v);
    break;
  }
  case 8: {
    uint64_t t, i;
    if (inv_parse_stat_cpu (text, &t, &i) == 0 && i > t)
      abort ();
    free (inv_parse_stat_comm (text));
    break;
  }
  case 9: {
    inv_host_vector v = { 0 };
    inv_parse_hosts ("fuzz", text, &v);
    for (size_t i = 0; i < v.len; i++)
      if (v.ptr[i].host == NULL || v.ptr[i].host[0] == '-')
        abort ();
    inv_hosts_free (&v);
    break;
  }
  case 10: {
    struct inv_pci_lookup look[2] = {
      { "1af4", "1041", NULL, NULL, NULL },
      { "e159", "0001", "8086", "0003", NULL },
    };
    FILE *fp = fmemopen (text, strlen (text), "r");
    if (fp) {
      inv_pciids_lookup (fp, look, 2, NULL, NULL);
      fclose (fp);
    }
    free (look[0].name);
    free (look[1].name);
    break;
  }
  case 11: {
    char *n = inv_name_from_hostname (text);
    free (n);
    break;
  }
  }
  free (text);
  return 0;
}
