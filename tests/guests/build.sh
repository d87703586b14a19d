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
# Needs: root, debootstrap, guestfish (libguestfs-tools), qemu-img, and
# deb.debian.org (or $DEBIAN_MIRROR) reachable for the first build.
set -euo pipefail

cache=${P2VKIT_GUESTS:-/var/tmp/p2vkit-guests}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
self=$(readlink -f "$0")
variant=${1:-}

die () { echo "build.sh: $*" >&2; exit 1; }
say () { echo "build.sh: $*" >&2; }

case "$variant" in
    plain|lvm|gpt|data|vmtools|old|vmdk) ;;
    *) echo "usage: build.sh plain|lvm|gpt|data|vmtools|old|vmdk" >&2; exit 2 ;;
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

# Lay a rootfs tarball onto a new disk image with guestfish; grub-install
# and update-grub run inside the guest.
#   layout IMAGE TARBALL plain|lvm|gpt [DATA_IMAGE]
layout () {
    local img=$1 tar=$2 kind=$3 data=${4:-} fstab gf root swap boot=
    qemu-img create -q -f qcow2 "$img" 3G
    gf=(guestfish --format=qcow2 -a "$img")
    [ -n "$data" ] && { qemu-img create -q -f qcow2 "$data" 512M; gf+=(-a "$data"); }
    {
        echo run
        case $kind in
            plain)
                echo "part-init /dev/sda mbr"
                echo "part-add /dev/sda p 2048 5242879"      # 2.5 GiB root
                echo "part-add /dev/sda p 5242880 -1"        # swap
                root=/dev/sda1 swap=/dev/sda2 ;;
            gpt)
                echo "part-init /dev/sda gpt"
                echo "part-add /dev/sda p 2048 4095"         # BIOS boot
                echo "part-set-gpt-type /dev/sda 1 21686148-6449-6E6F-744E-656564454649"
                echo "part-add /dev/sda p 4096 5242879"
                echo "part-add /dev/sda p 5242880 -34"
                root=/dev/sda2 swap=/dev/sda3 ;;
            lvm)
                echo "part-init /dev/sda mbr"
                echo "part-add /dev/sda p 2048 1050623"      # 512 MiB /boot
                echo "part-add /dev/sda p 1050624 -1"
                echo "part-set-mbr-id /dev/sda 2 0x8e"
                echo "pvcreate /dev/sda2"
                echo "vgcreate vg0 /dev/sda2"
                echo "lvcreate-free root vg0 85"
                echo "lvcreate-free swap vg0 100"
                boot=/dev/sda1 root=/dev/mapper/vg0-root swap=/dev/mapper/vg0-swap
                echo "mkfs ext4 $boot" ;;
        esac
        echo "mkfs ext4 $root"
        echo "mkswap $swap"
        echo "mount $root /"
        [ -n "$boot" ] && { echo "mkdir /boot"; echo "mount $boot /boot"; }
        echo "tar-in $tar /"
        fstab="$root / ext4 errors=remount-ro 0 1\\n"
        [ -n "$boot" ] && fstab="$fstab$boot /boot ext4 defaults 0 2\\n"
        fstab="${fstab}$swap none swap sw 0 0\\n"
        if [ -n "$data" ]; then
            echo "part-disk /dev/sdb mbr"
            echo "mkfs ext4 /dev/sdb1"
            echo "mkdir-p /srv/data"
            echo "mount /dev/sdb1 /srv/data"
            echo "write /srv/data/README 'data disk of the data test guest'"
            fstab="${fstab}/dev/sdb1 /srv/data ext4 defaults 0 2\\n"
        fi
        echo "write /etc/fstab \"$fstab\""
        # (The initramfs needs nothing more for LVM: Debian's lvm2 hook
        # adds LVM whether or not the root is on it.)  grub-install through
        # sh: through `command` it fails on the LVM layout ("embedding is
        # not possible").  Inside `sh` device names are the appliance's,
        # not guestfish's: its kernel may name the guest's disk sdb when it
        # finds its own disk first.  So the disk comes from grub-probe, and
        # the kernel command line gets the name the guest will see.
        echo "sh 'disk=\$(grub-probe --target=disk /boot) && grub-install --target=i386-pc \$disk && update-grub && sed -i \"s#root=\$disk#root=/dev/sda#\" /boot/grub/grub.cfg && grep -q \"root=/dev/sda\\\\|root=/dev/mapper/\" /boot/grub/grub.cfg'"
        echo "umount-all"
    } > "$img.gf"
    "${gf[@]}" -f "$img.gf" >&2 || { rm -f "$img.gf"; return 1; }
    rm -f "$img.gf"
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
    trap 'rm -f "$tmpimg" "$tmpimg.gf" ${tmpdata:+"$tmpdata"}' EXIT
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
