#!/bin/bash
# Build (or find in the cache) a test guest: a minimal Debian laid on a
# disk image the way a physical install looks, and print its image path.
#
# Usage: tests/guests/build.sh VARIANT
#   Prints the path of the system disk on stdout (the `data` variant prints
#   a second line: its data disk).  Exit 0 when the image is ready, 1 on
#   failure (with the reason on stderr), 2 on a bad variant.  Progress goes
#   to stderr.  Images are read-only to their users: copy them, or open
#   them read-only / with -snapshot, never write to them.
#
# Usage: tests/guests/build.sh --prefetch
#   Starts building every variant in the background, two at a time, and
#   returns at once (output in the cache's prefetch.log); make check calls
#   it first so that the builds overlap the compiling and the other tests.
#   A test that asks for a variant still being built waits for it (flock).
#   Does nothing unless run as root.
#
# Variants (every one boots with emulated IDE/SATA and an e1000 NIC, and
# fails to find its root under virtio until converted):
#   plain    Debian 12, MBR: sda1 ext4 root, sda2 swap
#   lvm      Debian 12, MBR: sda1 ext4 /boot, sda2 LVM PV: vg0/root, vg0/swap
#   gpt      Debian 12, GPT: sda1 BIOS boot, sda2 ext4 root, sda3 swap
#            (the last partition ends at sector -34)
#   data     plain, plus a second disk (sdb1 ext4 on /srv/data in fstab)
#   vmtools  plain with open-vm-tools installed (a VMware guest)
#   old      Debian 11 (bullseye), laid out as plain
#   vmdk     plain converted to VMDK with qemu-img (a VMware Workstation disk)
#
# What makes them look physical: root, /boot and swap are /dev/sdXN in
# /etc/fstab and on the kernel command line (GRUB_DISABLE_LINUX_UUID=true),
# the initramfs is built with MODULES=list holding only ahci, ata_piix,
# sd_mod, ext4 and e1000 (no virtio), the console is ttyS0 (a getty prints
# "login:" there), /etc/network/interfaces names the NIC (ens3, which an
# e1000 in slot 3 of QEMU's pc machine gets), root's password is "p2vkit".
#
# Cache: ${P2VKIT_GUESTS:-/var/tmp/p2vkit-guests}/VARIANT-HASH.{qcow2,...}
# where HASH is of this script and the variant, so a changed recipe builds
# anew (the tarballs are keyed by their own part of the recipe).  One debootstrap tarball per Debian release (rootfs-RELEASE-HASH.tar)
# is shared by every guest of that release; the vmtools tarball is made
# from it.  flock serializes builds of one item across processes.  Older
# versions of an item are never removed here: checkouts of other versions
# of this script may be using them (remove /var/tmp/p2vkit-guests by hand).
#
# Needs: root, debootstrap, sfdisk, mke2fs, guestfish (libguestfs-tools), qemu-img, and
# deb.debian.org (or $DEBIAN_MIRROR) reachable for the first build.
set -euo pipefail

cache=${P2VKIT_GUESTS:-/var/tmp/p2vkit-guests}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
self=$(readlink -f "$0")
variant=${1:-}

die () { echo "build.sh: $*" >&2; exit 1; }
say () { echo "build.sh: $*" >&2; }

all_variants="plain old lvm gpt vmtools data vmdk"     # the slowest first
case "$variant" in
    plain|lvm|gpt|data|vmtools|old|vmdk) ;;
    --prefetch)
        [ "$(id -u)" -eq 0 ] || exit 0
        mkdir -p "$cache"
        # The names come from -a, so that the builds' stdin is /dev/null.
        setsid xargs -P 2 -I{} -a <(printf '%s\n' $all_variants) "$self" {} \
            </dev/null >>"$cache/prefetch.log" 2>&1 &
        exit 0 ;;
    *) echo "usage: build.sh plain|lvm|gpt|data|vmtools|old|vmdk|--prefetch" >&2; exit 2 ;;
esac

mkdir -p "$cache"
hash_of () { sha256sum | cut -c1-12; }
script_hash=$(hash_of < "$self")

# libguestfs without usable KVM: the direct backend and TCG.  (p2vkit
# itself detects this; here a guest build asks QEMU the same question.)
kvm_works () {
    [ -c /dev/kvm ] || return 1
    printf 'quit\n' | timeout 30 qemu-system-x86_64 -accel kvm -machine pc -cpu host \
        -m 64 -nodefaults -display none -S -monitor stdio >/dev/null 2>&1
}
if ! kvm_works; then
    export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi

# The packages of every guest: a kernel, GRUB for BIOS, systemd, ifupdown,
# OpenSSH, and LVM (its initramfs hook is needed by the lvm guest).
packages=linux-image-amd64,grub-pc,systemd-sysv,ifupdown,openssh-server,initramfs-tools,lvm2,isc-dhcp-client,udev,kmod

# rootfs RELEASE [EXTRA]: print the path of the tarball of a debootstrapped
# RELEASE, configured as described above, with EXTRA packages installed
# (built once, cached).
rootfs () {
    local release=$1 extra=${2:-} base key tar lock tmp
    # Keyed by its own recipe only: layout changes keep the tarballs.
    key=$( { declare -f rootfs configure_rootfs; echo "$release $packages $extra"; } | hash_of)
    tar=$cache/rootfs-$release${extra:+-extra}-$key.tar
    lock=$cache/rootfs-$release${extra:+-extra}.lock
    exec 8>"$lock"
    flock 8
    if [ ! -f "$tar" ]; then
        tmp=$(mktemp -d "$cache/tmp-rootfs.XXXXXX")
        # shellcheck disable=SC2064
        trap "umount -R '$tmp/root/proc' '$tmp/root/sys' '$tmp/root/dev' 2>/dev/null; rm -rf '$tmp'" EXIT
        if [ -n "$extra" ]; then
            base=$(rootfs "$release")
            say "rootfs $release + $extra"
            mkdir "$tmp/root"
            tar -C "$tmp/root" -xf "$base"
            mount -t proc proc "$tmp/root/proc"
            mount --rbind /dev "$tmp/root/dev"
            cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
            # shellcheck disable=SC2086
            chroot "$tmp/root" env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y --no-install-recommends ${extra//,/ } >&2
            chroot "$tmp/root" apt-get clean
            umount -R "$tmp/root/dev" "$tmp/root/proc"
        else
            say "debootstrap $release (once per release; a few minutes)"
            debootstrap --variant=minbase --include="$packages" "$release" \
                "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
                || { tail -20 "$tmp/debootstrap.log" >&2; die "debootstrap $release failed"; }
            configure_rootfs "$tmp/root" "$release"
        fi
        rm -f "$tmp/root/etc/resolv.conf"
        tar -C "$tmp/root" --numeric-owner -cf "$tmp/rootfs.tar" .
        mv "$tmp/rootfs.tar" "$tar"
        rm -rf "$tmp"
        trap - EXIT
    fi
    exec 8>&-
    echo "$tar"
}

# What every guest has, done on the host in the chroot where it is fast:
# console, password, network naming the NIC, and the initramfs with
# physical drivers only.
configure_rootfs () {
    local root=$1 release=$2
    echo "p2vkit-guest" > "$root/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 p2vkit-guest\n' > "$root/etc/hosts"
    echo 'root:p2vkit' | chroot "$root" chpasswd
    cat > "$root/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

# The onboard NIC (e1000).
allow-hotplug ens3
iface ens3 inet dhcp
EOF
    cat > "$root/etc/default/grub" <<'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200n8"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --speed=115200"
GRUB_DISABLE_LINUX_UUID=true
GRUB_DISABLE_OS_PROBER=true
EOF
    # Only the drivers of the "physical" machine: no virtio.
    sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
    printf '%s\n' ahci ata_piix sd_mod ext4 e1000 > "$root/etc/initramfs-tools/modules"
    # The kernel's postinst ran with MODULES=most: build it again.
    mount -t proc proc "$root/proc"
    chroot "$root" update-initramfs -u -k all >&2 || { umount "$root/proc"; die "update-initramfs failed"; }
    umount "$root/proc"
    chroot "$root" apt-get clean
}

# Where the time goes: writing a few hundred MiB of files through the
# libguestfs appliance (tar-in) under TCG takes minutes, so the file
# systems are made on the host instead, filled straight from the unpacked
# tarball (mke2fs -d) at their partition's offset in a raw image; the
# appliance is started only for what must run inside the guest:
# grub-install and update-grub.  The LVM layout stays wholly in the
# appliance (device-mapper volumes need it; loop partitions are not
# scanned on every host).
#
#   layout IMAGE TARBALL plain|lvm|gpt [DATA_IMAGE]
layout () {
    local img=$1 tar=$2 kind=$3 data=${4:-}
    if [ "$kind" = lvm ]; then layout_in_appliance "$img" "$tar"; return; fi
    local raw=$img.raw tree=$img.tree root_part swap_part parts fstab
    rm -rf "$raw" "$tree"
    truncate -s 3G "$raw"
    case $kind in
        plain)
            # 2.5 GiB root, swap to the end.
            parts='label: dos
start=2048, size=5240832, type=83
start=5242880, type=82'
            root_part=1 swap_part=2 ;;
        gpt)
            # BIOS boot, root, swap; sfdisk ends the last partition at the
            # last usable sector (-34).
            parts='label: gpt
start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649
start=4096, size=5238784, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
start=5242880, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F'
            root_part=2 swap_part=3 ;;
    esac
    printf '%s\n' "$parts" | sfdisk -q "$raw" >&2
    mkdir "$tree"
    tar -C "$tree" --numeric-owner -xpf "$tar"
    fstab="/dev/sda$root_part / ext4 errors=remount-ro 0 1
/dev/sda$swap_part none swap sw 0 0"
    if [ -n "$data" ]; then
        mkdir -p "$tree/srv/data"
        fstab="$fstab
/dev/sdb1 /srv/data ext4 defaults 0 2"
        make_data_disk "$data"
    fi
    printf '%s\n' "$fstab" > "$tree/etc/fstab"
    mkfs_at "$raw" $root_part mkfs "$tree"
    mkfs_at "$raw" $swap_part mkswap
    rm -rf "$tree"
    # grub-install through sh (through `command` it fails on the LVM
    # layout: "embedding is not possible").  Inside `sh` device names are
    # the appliance's, not guestfish's: its kernel may name the guest's
    # disk sdb when it finds its own disk first.  So the disk comes from
    # grub-probe, and the kernel command line gets the name the guest
    # will see.
    guestfish --format=raw -a "$raw" >&2 <<EOF || return 1
run
mount /dev/sda$root_part /
$grub_sh
umount-all
EOF
    qemu-img convert -f raw -O qcow2 "$raw" "$img"
    rm -f "$raw"
}

# grub-install and update-grub inside the guest (see layout).
grub_sh="sh 'disk=\$(grub-probe --target=disk /boot) && grub-install --target=i386-pc \$disk && update-grub && sed -i \"s#root=\$disk#root=/dev/sda#\" /boot/grub/grub.cfg && grep -q \"root=/dev/sda\\\\|root=/dev/mapper/\" /boot/grub/grub.cfg'"

# mkfs_at RAW PARTNO mkfs TREE | mkswap: make an ext4 file system filled
# from TREE, or swap, inside partition PARTNO of the raw image RAW.
mkfs_at () {
    local raw=$1 n=$2 what=$3 tree=${4:-} start size
    read -r start size < <(sfdisk -d "$raw" | sed -n "s|^$raw$n : start= *\([0-9]*\), size= *\([0-9]*\),.*|\1 \2|p")
    [ -n "$size" ] || die "no partition $n in $raw"
    case $what in
        mkfs)
            mke2fs -q -t ext4 -E offset=$((start * 512)),nodiscard -d "$tree" \
                "$raw" $((size / 2))k >&2 ;;
        mkswap)
            # mkswap has no offset: made in a file of the partition's size,
            # then copied into place.
            truncate -s $((size * 512)) "$raw.swap"
            mkswap -q "$raw.swap" >&2
            dd if="$raw.swap" of="$raw" bs=1M seek=$((start * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
            rm -f "$raw.swap" ;;
    esac
}

# The data disk of the `data` variant: one ext4 partition with a README.
make_data_disk () {
    local data=$1 raw=$1.raw tree=$1.tree
    rm -rf "$raw" "$tree"
    truncate -s 512M "$raw"
    printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$raw" >&2
    mkdir "$tree"
    echo 'data disk of the data test guest' > "$tree/README"
    mkfs_at "$raw" 1 mkfs "$tree"
    rm -rf "$tree"
    qemu-img convert -f raw -O qcow2 "$raw" "$data"
    rm -f "$raw"
}

# The LVM guest, laid out wholly in the appliance: MBR, sda1 ext4 /boot,
# sda2 LVM PV with vg0/root and vg0/swap, the tarball unpacked by tar-in.
layout_in_appliance () {
    local img=$1 tar=$2
    qemu-img create -q -f qcow2 "$img" 3G
    guestfish --format=qcow2 -a "$img" >&2 <<EOF || return 1
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 1050623
part-add /dev/sda p 1050624 -1
part-set-mbr-id /dev/sda 2 0x8e
pvcreate /dev/sda2
vgcreate vg0 /dev/sda2
lvcreate-free root vg0 85
lvcreate-free swap vg0 100
mkfs ext4 /dev/sda1
mkfs ext4 /dev/mapper/vg0-root
mkswap /dev/mapper/vg0-swap
mount /dev/mapper/vg0-root /
mkdir /boot
mount /dev/sda1 /boot
tar-in $tar /
write /etc/fstab "/dev/mapper/vg0-root / ext4 errors=remount-ro 0 1\n/dev/sda1 /boot ext4 defaults 0 2\n/dev/mapper/vg0-swap none swap sw 0 0\n"
$grub_sh
umount-all
EOF
}

key=$(printf '%s %s' "$script_hash" "$variant" | hash_of)
out=$cache/$variant-$key
exec 9>"$cache/$variant.lock"
flock 9

case $variant in
    vmdk) final=$out.vmdk ;;
    *) final=$out.qcow2 ;;
esac
if [ ! -f "$final" ]; then
    tmpimg=$out.tmp.qcow2
    tmpdata=
    trap 'rm -rf "$tmpimg" "$tmpimg".raw* "$tmpimg.tree" ${tmpdata:+"$tmpdata" "$tmpdata".raw* "$tmpdata.tree"}' EXIT
    case $variant in
        plain|gpt|lvm)
            say "laying out $variant"
            layout "$tmpimg" "$(rootfs bookworm)" "$variant" ;;
        data)
            tmpdata=$out-data.tmp.qcow2
            say "laying out data (two disks)"
            layout "$tmpimg" "$(rootfs bookworm)" plain "$tmpdata"
            mv "$tmpdata" "$out-data.qcow2"; tmpdata= ;;
        vmtools)
            say "laying out vmtools"
            layout "$tmpimg" "$(rootfs bookworm open-vm-tools)" plain ;;
        old)
            say "laying out old (bullseye)"
            layout "$tmpimg" "$(rootfs bullseye)" plain ;;
        vmdk)
            plain=$("$self" plain)
            say "converting plain to VMDK"
            qemu-img convert -f qcow2 -O vmdk "$plain" "$tmpimg" ;;
    esac
    mv "$tmpimg" "$final"
    trap - EXIT
fi
echo "$final"
[ "$variant" = data ] && echo "$out-data.qcow2"
exit 0
