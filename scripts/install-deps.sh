#!/bin/sh
# Install every Debian 12 package p2vkit needs to build, test and run.
# A no-op when all are present.  Called by `make check` and `make demo`.
#
# Each package and why:
#   build-essential pkg-config  compiler, make, pkg-config
#   libyaml-dev                 the YAML file formats (core/)
#   libosinfo-1.0-dev osinfo-db what an OS ships and supports (core/osinfo.c)
#   libcmocka-dev               unit tests (tests/unit/)
#   clang libclang-rt-14-dev    fuzz targets (make fuzz): libFuzzer runtime
#   perl                        prove, the TAP runner of make check
#   openssh-server openssh-client  fleet collection tests run real sshd/ssh
#   chromium                    p2vkit report --format pdf prints the HTML with it
#   fonts-liberation2           the fonts the report's HTML asks for
#   poppler-utils               report tests read the PDF's text (pdftotext)
#   libncurses-dev              p2vkit wizard's terminal interface (ncursesw, tui/)
#   tmux                        wizard tests drive it in real terminals (tests/wizard.sh)
#   libguestfs-dev              convert: inspects and edits the copied disks (C API)
#   libguestfs-tools            guestfish: the tests lay test guests onto disks
#   linux-image-amd64           the kernel libguestfs' appliance boots
#   qemu-utils                  qemu-img: convert clones disks with it; qemu-nbd:
#                               receive serves each disk being captured
#   qemu-system-x86             libguestfs' appliance, --verify-boot and test boots
#   libxml2-dev                 convert writes the libvirt domain XML (xmlTextWriter)
#   libvirt-clients             virt-xml-validate checks that XML in the tests
#   debootstrap                 the tests build Debian test guests with it
#   ovmf                        UEFI firmware for booting UEFI guests
#   libhivex-dev                Windows guests: convert edits registry hives with hivex
#   libwin-hivex-perl           hivexregedit: the tests export converted hives to compare
#   libhivex-bin                hivexget: the tests read single registry values
#   gcab                        convert restores drivers from Windows' driver cache cabinets
#   ntfs-3g                     the tests make a synthetic Windows disk (mkfs ntfs in libguestfs)
#   libnbd-dev                  capture writes disks over NBD (p2v/capture.c)
#   libgnutls28-dev             capture/receive control channel in TLS-PSK, SHA-256 chunk sums
#   gnutls-bin                  psktool: p2v tests make pre-shared keys
#   e2fsprogs                   p2v tests and the test guests: ext4 filled from a folder (mke2fs -d)
#   fdisk                       sfdisk: p2v tests and the test guests partition disk images
#   python3-libnbd              p2v tests play a hostile NBD client (nbdsh)
#   iptables                    p2v-limits.sh drops a capture's packets in the
#                               receiver's network namespace (a half-open session)
#   libvirt-dev                 deploy: the libvirt C API (deploy/)
#   libvirt-daemon-system       deploy's tests run a real libvirtd and virtlogd
#                               (they start them with -d when no service did)
#   libvirt-daemon-driver-qemu  libvirtd's QEMU driver: the domains deploy defines
#   libunistring-dev            libunistring.a: the static capture program migrate
#                               copies to servers links GnuTLS's idn2 statically
#
# `scripts/install-deps.sh bench` also installs what tests/bench/ compares
# against or measures with (not needed by make check):
#   prometheus-node-exporter    the footprint reference (footprint.sh)
#   curl                        scrapes node_exporter (footprint.sh)
#   time bc                     GNU time and arithmetic in the scripts
#   virt-v2v                    the reference the converter is compared with (convert.sh)
#   libnbd-bin                  nbdcopy, the reference of tests/bench/p2v.sh
#   nbdkit                      its other server (file plugin), as received before
set -eu

packages="
build-essential
pkg-config
libyaml-dev
libosinfo-1.0-dev
osinfo-db
libcmocka-dev
clang
libclang-rt-14-dev
perl
openssh-server
openssh-client
chromium
fonts-liberation2
poppler-utils
libncurses-dev
tmux
libguestfs-dev
libguestfs-tools
linux-image-amd64
qemu-utils
qemu-system-x86
libxml2-dev
libvirt-clients
debootstrap
ovmf
libhivex-dev
libwin-hivex-perl
libhivex-bin
gcab
ntfs-3g
libnbd-dev
libgnutls28-dev
gnutls-bin
e2fsprogs
fdisk
python3-libnbd
iptables
libvirt-dev
libvirt-daemon-system
libvirt-daemon-driver-qemu
libunistring-dev
"

if [ "${1:-}" = bench ]; then
    packages="$packages prometheus-node-exporter curl time bc libnbd-bin nbdkit"
fi
if [ "${1:-}" = bench ]; then
    packages="$packages virt-v2v"
fi

missing=
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        "install ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=sudo
    else
        echo "install-deps: need root to install:$missing" >&2
        exit 1
    fi
else
    sudo=
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run (a parallel make check, an unattended upgrade)
# instead of failing on the dpkg lock.
apt="$sudo apt-get -o DPkg::Lock::Timeout=900"
# shellcheck disable=SC2086
if ! $apt install -y --no-install-recommends $missing; then
    # Package lists may be stale on a fresh machine.
    $apt update
    $apt install -y --no-install-recommends $missing
fi
