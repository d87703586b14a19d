/* p2vkit convert: clone a server's disks and make them boot as a VM. */
#include <libgen.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "converter/converter.h"

enum { OPT_VIRTIO_WIN = 256, OPT_VERIFY_BOOT, OPT_FORCE, OPT_VCPUS, OPT_MEMORY,
       OPT_BOOT_TIMEOUT, OPT_SOURCE_FORMAT, OPT_ALLOW_BACKING, OPT_NO_FACTS };

static const struct cli_option opts[] = {
  { "output", required_argument, 'o', "DIR", "write the disks, NAME.xml and NAME.report.yaml into DIR (required)" },
  { "name", required_argument, 'n', "NAME", "the VM's name (default: the first source's file name)" },
  { "mode", required_argument, 'm', "MODE", "paravirt, full or auto (default auto; or the plan's)" },
  { "plan", required_argument, 'p', "PLAN", "take mode, vCPUs and memory from PLAN's workload NAME" },
  { "format", required_argument, 'f', "FMT", "output disk format: qcow2 (default) or raw" },
  { "source-format", required_argument, OPT_SOURCE_FORMAT, "FMT", "read every source as FMT: raw, qcow2, vmdk, vhd, vhdx or vdi (default: from the name; see docs/converter.md)" },
  { "allow-backing", no_argument, OPT_ALLOW_BACKING, NULL, "read sources that name other files (backing file, data file, VMDK extents elsewhere)" },
  { "vcpus", required_argument, OPT_VCPUS, "N", "vCPUs of the VM (default: the plan's, else 2)" },
  { "memory", required_argument, OPT_MEMORY, "MIB", "memory of the VM in MiB (default: the plan's, else 2048)" },
  { "virtio-win", required_argument, OPT_VIRTIO_WIN, "DIR", "an unpacked virtio-win tree (Windows guests)" },
  { "verify-boot", no_argument, OPT_VERIFY_BOOT, NULL, "boot the result (snapshot) to a login prompt" },
  { "boot-timeout", required_argument, OPT_BOOT_TIMEOUT, "SEC", "give --verify-boot SEC seconds (default 600)" },
  { "no-facts-reporter", no_argument, OPT_NO_FACTS, NULL, "leave out the first-boot reporter of listening ports and addresses (serial console; p2vkit migrate verifies with it)" },
  { "force", no_argument, OPT_FORCE, NULL, "replace a previous conversion of NAME in DIR" },
  { "quiet", no_argument, 'q', NULL, "print no progress" },
  { NULL, 0, 0, NULL, NULL }
};

static const struct cli_usage usage = {
  "SOURCE... -o DIR [--name NAME] [--mode paravirt|full|auto] [--plan PLAN.yaml]\n"
  "       [--format qcow2|raw] [--source-format FMT] [--allow-backing]\n"
  "       [--virtio-win DIR] [--verify-boot] [--no-facts-reporter] [--force]",
  "Copy the disks of a physical server (block devices or images of them) or of\n"
  "another hypervisor's VM (VMDK, VHD/VHDX, VDI, qcow2, raw) into DIR, never\n"
  "writing to a source, and make the copy boot under KVM/QEMU: paravirtualized\n"
  "(virtio drivers added to the initramfs) or fully virtualized (emulated\n"
  "IDE/SATA and e1000).  Writes DIR/NAME-diskN.FMT, the libvirt domain\n"
  "DIR/NAME.xml and DIR/NAME.report.yaml.  See docs/converter.md."
};

static void
on_notice (void *opaque, enum core_notice kind, const char *msg)
{
  struct cli_progress *ui = opaque;

  (void) kind;
  if (!ui->quiet)
    fprintf (stderr, "convert: %s\n", msg);
}

/* The first source's file name without its extension. */
static char *
default_name (const char *source)
{
  CLEANUP_FREE char *copy = core_strdup (source);
  char *base, *dot;

  if (copy == NULL)
    return NULL;
  base = basename (copy);
  dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  return core_strdup (base);
}

static bool
valid_name (const char *name)
{
  if (!*name || name[0] == '.' || name[0] == '-')
    return false;
  for (const char *p = name; *p; p++)
    if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z')
        && !(*p >= '0' && *p <= '9') && !strchr ("._-", *p))
      return false;
  return true;
}

int
cli_cmd_convert (const struct cli_command *cmd, int argc, char **argv)
{
  struct conv_options o = { .mode = CONV_MODE_AUTO, .format = "qcow2",
                            .vcpus = CORE_UNSET, .memory_mib = CORE_UNSET,
                            .boot_timeout = 600 };
  struct conv_report report;
  struct cli_progress ui = { .prefix = "convert: " };
  const struct core_notify notify = {
    .progress_start = cli_progress_start, .progress = cli_progress,
    .progress_end = cli_progress_end, .notice = on_notice, .opaque = &ui,
  };
  CLEANUP_FREE char *name = NULL;
  CLEANUP_FREE_PLAN struct core_plan plan;
  const char *plan_file = NULL, *mode = NULL;
  int c, ret;

  core_plan_init (&plan);
  while ((c = cli_getopt (argc, argv, opts, NULL)) != -1) {
    switch (c) {
    case 'o': o.outdir = optarg; break;
    case 'n': o.name = optarg; break;
    case 'm': mode = optarg; break;
    case 'p': plan_file = optarg; break;
    case 'f': o.format = optarg; break;
    case 'q': ui.quiet = true; break;
    case OPT_VIRTIO_WIN: o.virtio_win = optarg; break;
    case OPT_VERIFY_BOOT: o.verify_boot = true; break;
    case OPT_FORCE: o.force = true; break;
    case OPT_NO_FACTS: o.no_facts_reporter = true; break;
    case OPT_ALLOW_BACKING: o.allow_backing = true; break;
    case OPT_SOURCE_FORMAT:
      if ((o.source_format = conv_source_format (optarg)) == NULL)
        return cli_usage_error (cmd, "--source-format: expected raw, qcow2, vmdk, "
                                "vhd, vhdx or vdi, got '%s'", optarg);
      break;
    case OPT_VCPUS:
      if (core_parse_int64 (optarg, "--vcpus", 1, 4096, &o.vcpus) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      break;
    case OPT_MEMORY:
      if (core_parse_int64 (optarg, "--memory", 64, INT64_C (1) << 32, &o.memory_mib) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      break;
    case OPT_BOOT_TIMEOUT:
      if (core_parse_double (optarg, "--boot-timeout", 1, 86400, &o.boot_timeout) == -1)
        return cli_usage_error (cmd, "%s", core_errmsg ());
      break;
    case 'h': cli_print_help (cmd, &usage, opts); return EXIT_OK;
    default: return cli_option_error (cmd, argv, c);
    }
  }
  if (optind >= argc)
    return cli_usage_error (cmd, "no source disk given");
  if (o.outdir == NULL)
    return cli_usage_error (cmd, "no output folder given (-o DIR)");
  if (strcmp (o.format, "qcow2") != 0 && strcmp (o.format, "raw") != 0)
    return cli_usage_error (cmd, "--format: expected qcow2 or raw, got '%s'", o.format);
  if (mode) {
    if (strcmp (mode, "paravirt") == 0) o.mode = CONV_MODE_PARAVIRT;
    else if (strcmp (mode, "full") == 0) o.mode = CONV_MODE_FULL;
    else if (strcmp (mode, "auto") == 0) o.mode = CONV_MODE_AUTO;
    else
      return cli_usage_error (cmd, "--mode: expected paravirt, full or auto, got '%s'", mode);
  }
  if (o.name == NULL) {
    name = default_name (argv[optind]);
    if (name == NULL) {
      cli_core_error ();
      return EXIT_FAILURE_;
    }
    o.name = name;
  }
  if (!valid_name (o.name))
    return cli_usage_error (cmd, "'%s' is not a usable VM name (letters, digits, '.', '_', '-'; use --name)", o.name);

  if (plan_file) {
    const struct core_plan_workload *w = NULL;

    if (core_plan_read (plan_file, &plan) == -1) {
      cli_core_error ();
      return EXIT_FAILURE_;
    }
    for (size_t i = 0; i < plan.workloads.len; i++)
      if (strcmp (plan.workloads.ptr[i].name, o.name) == 0)
        w = &plan.workloads.ptr[i];
    if (w == NULL) {
      cli_error ("%s: no workload named %s (use --name)", plan_file, o.name);
      return EXIT_FAILURE_;
    }
    if (w->mode == CORE_MODE_PHYSICAL) {
      cli_error ("%s: the plan keeps %s physical: there is nothing to convert",
                 plan_file, o.name);
      return EXIT_FAILURE_;
    }
    /* The command line wins over the plan. */
    if (mode == NULL)
      o.mode = w->mode == CORE_MODE_PARAVIRT ? CONV_MODE_PARAVIRT : CONV_MODE_FULL;
    if (o.vcpus == CORE_UNSET && w->vcpus > 0)
      o.vcpus = w->vcpus;
    if (o.memory_mib == CORE_UNSET && w->memory_mib > 0)
      o.memory_mib = w->memory_mib;
  }

  o.sources = argv + optind;
  o.nsources = argc - optind;
  o.notify = &notify;

  conv_report_init (&report);
  ret = conv_run (&o, &report);
  if (ret == -1) {
    cli_core_error ();
    conv_report_clear (&report);
    return EXIT_FAILURE_;
  }
  if (!ui.quiet) {
    printf ("%s: %s converted as %s (%s)", o.name,
            report.product ? report.product : report.os_type,
            conv_mode_names[report.mode], report.mode_reason ? report.mode_reason : "");
    if (report.verified_boot)
      printf ("; booted to a login prompt in %.0f s", report.boot_seconds);
    printf ("\n%s: wrote %s/%s.xml and %s/%s.report.yaml", o.name, o.outdir, o.name,
            o.outdir, o.name);
    if (report.warnings.len)
      printf (" (%zu warnings: see the report)", report.warnings.len);
    putchar ('\n');
  }
  conv_report_clear (&report);
  return EXIT_OK;
}
