/* Convert a Windows tree in a local folder, as `p2vkit convert` does on a
 * disk image, and print what the converter read and did: the registry
 * layer of the converter tested without an appliance.
 *
 *   wintree ROOT full|paravirt|auto [--virtio-win DIR] [--vcpus N] [--vmware]
 *           [--arch i386|x86_64] [--facts]
 */
#include <stdio.h>
#include <string.h>

#include "converter/converter.h"

int
main (int argc, char **argv)
{
  struct conv_win_opts o = { 0 };
  struct conv_win_guest g = { 0 };
  struct conv_win_log log = { 0 };
  struct conv_win_fs fs;

  if (argc < 3 || (strcmp (argv[2], "full") && strcmp (argv[2], "paravirt")
                    && strcmp (argv[2], "auto"))) {
    fprintf (stderr, "usage: wintree ROOT full|paravirt|auto [--virtio-win DIR] [--vcpus N] "
             "[--vmware] [--arch ARCH] [--facts]\n");
    return 2;
  }
  o.paravirt = strcmp (argv[2], "paravirt") == 0;
  o.mode_auto = strcmp (argv[2], "auto") == 0;
  for (int i = 3; i < argc; i++) {
    if (strcmp (argv[i], "--virtio-win") == 0 && i + 1 < argc)
      o.virtio_win = argv[++i];
    else if (strcmp (argv[i], "--vcpus") == 0 && i + 1 < argc) {
      int64_t n;
      if (core_parse_int64 (argv[++i], "--vcpus", 1, 4096, &n) == -1) {
        fprintf (stderr, "wintree: %s\n", core_errmsg ());
        return 2;
      }
      o.vcpus = n;
    }
    else if (strcmp (argv[i], "--vmware") == 0)
      o.from_vmware = true;
    else if (strcmp (argv[i], "--arch") == 0 && i + 1 < argc)
      o.arch = argv[++i];
    else if (strcmp (argv[i], "--facts") == 0)
      o.facts = true;
    else {
      fprintf (stderr, "wintree: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  conv_win_fs_local (&fs, argv[1]);
  int r = conv_win_convert_tree (&fs, &o, &g, &log);
  if (r == -1) {
    fprintf (stderr, "wintree: %s\n", core_errmsg ());
    conv_win_guest_clear (&g);
    conv_win_log_clear (&log);
    return 1;
  }
  printf ("product: %s\nversion: %d.%d build %d %s %s\ncontrol set: %s\nhal: %s\n",
          g.ver.product_name ? g.ver.product_name : "-", g.ver.major, g.ver.minor,
          g.ver.build, g.ver.server ? "server" : "client", g.ver.arch, g.controlset,
          g.hal ? g.hal : "-");
  printf ("mode: %s\n", log.paravirt ? "paravirt" : "full");
  if (log.mode_reason)
    printf ("mode reason: %s\n", log.mode_reason);
  for (size_t i = 0; i < g.nics.len; i++) {
    const struct conv_win_nic *n = &g.nics.ptr[i];
    printf ("nic %s:", n->guid);
    for (size_t a = 0; a < n->addresses.len; a++)
      printf (" %s/%s", n->addresses.ptr[a], a < n->masks.len ? n->masks.ptr[a] : "?");
    for (size_t a = 0; a < n->gateways.len; a++)
      printf (" gw %s", n->gateways.ptr[a]);
    for (size_t a = 0; a < n->dns.len; a++)
      printf (" dns %s", n->dns.ptr[a]);
    printf ("\n");
  }
  for (size_t i = 0; i < log.changes.len; i++)
    printf ("change: %s\n", log.changes.ptr[i].line);
  for (size_t i = 0; i < log.disabled.len; i++)
    printf ("disabled: %s\n", log.disabled.ptr[i]);
  for (size_t i = 0; i < log.warnings.len; i++)
    printf ("warning: %s\n", log.warnings.ptr[i]);
  conv_win_guest_clear (&g);
  conv_win_log_clear (&log);
  return 0;
}
