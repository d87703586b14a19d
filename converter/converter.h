/* converter: from a server's disks to a guest that boots under KVM.
 *
 * One section per .c file in this folder.
 */
#ifndef P2VKIT_CONVERTER_H
#define P2VKIT_CONVERTER_H

#include "core/core.h"

/* ------------------------------------------------------------------ */
/* registry.c: Windows guests at the level of hive files and a Windows  */
/* tree reached through conv_win_fs (a local folder or a libguestfs     */
/* handle).  Everything a Windows conversion changes is decided here;   */
/* docs/converter.md ("Windows") says what and why.                     */

/* A Windows release as its registry names it. */
struct conv_win_version {
  int major, minor;             /* CurrentVersion / CurrentMajorVersionNumber */
  int build;                    /* CurrentBuildNumber; 0 unknown */
  bool server;                  /* InstallationType or ProductName */
  char *product_name;
  char arch[8];                 /* "x86" or "amd64" (virtio-win's names) */
};

/* What p2vkit can do for a release in paravirt mode. */
enum conv_win_pv {
  CONV_WIN_PV_NONE,             /* no virtio drivers were ever made for it */
  CONV_WIN_PV_LEGACY,           /* only withdrawn virtio-win releases had them */
  CONV_WIN_PV_CURRENT,          /* current virtio-win releases have them */
};
enum conv_win_pv conv_win_pv_supported (const struct conv_win_version *v);
/* The release of a libosinfo short-id ("win2k3", "win2k19", ...); false
 * for an id that is not Windows or not known. */
bool conv_win_version_from_osinfo (const char *id, struct conv_win_version *v);
/* The folder name virtio-win's ISO uses for V ("2k3", "2k19", "w10"). */
const char *conv_win_virtio_dir (const struct conv_win_version *v);

/* The static IPv4 configuration of one adapter (Tcpip\...\Interfaces). */
struct conv_win_nic {
  char *guid;
  bool dhcp;
  core_string_vector addresses, masks, gateways, dns;
};
DEFINE_VECTOR_TYPE (conv_win_nic_vector, struct conv_win_nic)

/* What the SYSTEM and SOFTWARE hives say. */
struct conv_win_guest {
  struct conv_win_version ver;
  char *controlset;             /* "ControlSet001", from Select\Current */
  char *hal;                    /* Enum\Root\ACPI_HAL\0000 HardwareID, or NULL */
  conv_win_nic_vector nics;
};

int conv_win_inspect (const char *system_hive, const char *software_hive,
                      struct conv_win_guest *out);
void conv_win_guest_clear (struct conv_win_guest *g);

/* A Windows tree: paths are Windows paths below the system drive with '/'
 * ("Windows/System32/drivers/atapi.sys"), matched without regard to case.
 * A callback fails with -1 and the error set. */
struct conv_win_fs {
  void *opaque;
  /* The path as it is in the tree (malloc'd), or NULL with no error when
   * it does not exist. */
  char *(*resolve) (void *opaque, const char *path);
  /* Names in folder PATH (resolved). */
  int (*list) (void *opaque, const char *path, core_string_vector *names);
  /* Copies between the tree (resolved paths) and local files. */
  int (*download) (void *opaque, const char *path, const char *local);
  int (*upload) (void *opaque, const char *local, const char *path);
  int (*mkdir_p) (void *opaque, const char *path);
};

/* A folder on this machine as a Windows tree. */
void conv_win_fs_local (struct conv_win_fs *fs, const char *root);

struct conv_win_opts {
  bool paravirt;
  const char *virtio_win;       /* the virtio-win tree (paravirt) */
  int vcpus;                    /* 0: not known */
  bool from_vmware;             /* the source was a VMware VM */
  /* Services of hardware that will be gone, disabled when present; NULL
   * takes conv_win_gone_services. */
  const char *const *gone_services;
  const char *arch;             /* inspection's "i386"/"x86_64"; NULL: the registry's */
};
extern const char *const conv_win_gone_services[];

/* What a conversion did, for the report. */
struct conv_win_log {
  core_string_vector changes;   /* registry values and files, one per line */
  core_string_vector disabled;  /* services disabled: "NAME (was Start=N)" */
  core_string_vector warnings;
};
void conv_win_log_clear (struct conv_win_log *log);

/* Convert the Windows tree FS for KVM: the hives are copied to a scratch
 * folder, edited with hivex and copied back, driver files checked,
 * restored from the driver cache or copied from virtio-win, and a
 * first-boot script written.  Refuses (-1, nothing written to FS) when a
 * driver the guest needs can be found nowhere.  G is filled. */
int conv_win_convert_tree (const struct conv_win_fs *fs, const struct conv_win_opts *opts,
                           struct conv_win_guest *g, struct conv_win_log *log);

#endif /* P2VKIT_CONVERTER_H */
