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
#
# `scripts/install-deps.sh bench` also installs what tests/bench/ compares
# against or measures with (not needed by make check):
#   prometheus-node-exporter    the footprint reference (footprint.sh)
#   curl                        scrapes node_exporter (footprint.sh)
#   time bc                     GNU time and arithmetic in the scripts
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
"

if [ "${1:-}" = bench ]; then
    packages="$packages prometheus-node-exporter curl time bc"
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
