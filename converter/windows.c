/* Windows guests.  This version cannot convert them yet: the registry
 * editing (hivex) that injects the virtio storage driver as a boot-start
 * service is not here, so a Windows guest is refused with a clear reason
 * and nothing is changed. */
#include "converter/converter.h"

int
conv_windows_convert (guestfs_h *g, const char *root, enum conv_mode mode,
                      const char *virtio_win, int64_t vcpus,
                      struct conv_report *report)
{
  (void) g; (void) mode; (void) virtio_win; (void) vcpus; (void) report;
  core_error ("%s: Windows conversion needs the registry editing "
              "(virtio driver injection with hivex) that this version of "
              "p2vkit does not have", root);
  return -1;
}
