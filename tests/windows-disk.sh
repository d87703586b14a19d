#!/bin/sh
# p2vkit convert on synthetic Windows disks: an NTFS partition (libguestfs
# mkfs ntfs) holding the Windows directory layout, the hives of
# tests/guests/mkhive and the driver files of tests/guests/windows-tree.sh.
# libguestfs inspection must see Windows Server 2003 as Windows 5.2 (and
# 2019 as 10.0); each converts in full and in paravirt mode through
# conv_windows_convert, and the hives of the output image equal the golden
# files of the registry-level test (tests/windows-registry.sh), which
# converts the same trees in local folders.  No Windows boots here: see
# docs/converter.md.
. "$(dirname "$0")/functions.sh"

command -v guestfish >/dev/null || t_skip_all "guestfish is not installed (libguestfs-tools)"
command -v hivexregedit >/dev/null || t_skip_all "hivexregedit is not installed (libwin-hivex-perl)"
command -v gcab >/dev/null || t_skip_all "gcab is not installed"
[ -x /sbin/mkntfs ] || command -v mkntfs >/dev/null || t_skip_all "mkntfs is not installed (ntfs-3g)"
bindir=$(dirname "$P2VKIT")
[ "$bindir" = "$srcdir" ] && bindir=$srcdir/build
MKHIVE=$bindir/tests/guests/mkhive
[ -x "$MKHIVE" ] || t_skip_all "$MKHIVE not built (make unit-tests)"
G=tests/data/golden/windows
t_tmpdir
. tests/guests/windows-tree.sh
mkvirtio "$t_tmp/virtio-win"

# This script's own guestfish runs need what p2vkit finds out for itself.
export LIBGUESTFS_BACKEND=direct
if ! { [ -c /dev/kvm ] && printf 'quit\n' | timeout 30 qemu-system-x86_64 -accel kvm \
         -machine pc -cpu host -m 64 -nodefaults -display none -S -monitor stdio >/dev/null 2>&1; }; then
    export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi

# The disk of YEAR, built once per recipe into the shared guest cache.
cache=${P2VKIT_GUESTS:-/var/tmp/p2vkit-guests}
mkdir -p "$cache"
recipe=$(cat tests/guests/windows-tree.sh tests/guests/mkhive.c "$0" | sha256sum | cut -c1-12)
disk () {
    img=$cache/windows-$1-$recipe.img
    (
        flock 9
        [ -f "$img" ] && exit 0
        rm -f "$cache"/windows-"$1"-*.img
        mktree "$t_tmp/tree-$1" "$1" || exit 1
        guestfish -N "$img.tmp=disk:256M" -- \
            part-disk /dev/sda mbr : part-set-mbr-id /dev/sda 1 0x07 : \
            part-set-bootable /dev/sda 1 true : mkfs ntfs /dev/sda1 label:SYSTEM : \
            mount /dev/sda1 / : copy-in "$(ls -d "$t_tmp/tree-$1"/[Ww]*)" / >&2 || exit 1
        mv "$img.tmp" "$img"
    ) 9> "$cache/windows-$1.lock" || return 1
    echo "$img"
}

t_plan 25
d2003=$(disk 2003) && t_pass "build the Windows Server 2003 disk" || t_fail "build the Windows Server 2003 disk"
d2019=$(disk 2019) && t_pass "build the Windows Server 2019 disk" || t_fail "build the Windows Server 2019 disk"
sum2003=$(sha256sum < "$d2003")

# convert NAME DISK MODE OPTS...
convert () {
    name=$1 src=$2 mode=$3; shift 3
    out=$t_tmp/$name
    t_ok "$name: p2vkit convert in $mode mode" "$P2VKIT" convert "$src" -o "$out" --name "$name" --mode "$mode" "$@"
}
convert 2003-full "$d2003" full --vcpus 2
convert 2003-paravirt "$d2003" paravirt --virtio-win "$t_tmp/virtio-win" --vcpus 1
convert 2019-full "$d2019" full --vcpus 4
convert 2019-paravirt "$d2019" paravirt --virtio-win "$t_tmp/virtio-win" --vcpus 4
t_is "the source disk is unchanged" "$sum2003" "$(sha256sum < "$d2003")"

r=$t_tmp/2003-full/2003-full.report.yaml
t_match "inspection: Windows 5.2" '^  version: "5.2"$' "$(cat "$r")"
t_match "inspection: Microsoft Windows Server 2003" '^  product: "Microsoft Windows Server 2003"$' "$(cat "$r")"
t_match "2019 inspected as Windows 10.0" '^  version: "10.0"$' "$(cat "$t_tmp/2019-full/2019-full.report.yaml")"
t_match "the report names the registry changes" 'file: "HKLM\\\\SYSTEM\\\\ControlSet001\\\\Control\\\\CriticalDeviceDatabase\\\\pci#ven_8086&dev_7010"' "$(cat "$r")"
t_match "the report has the uniprocessor HAL warning" 'uniprocessor HAL \(acpiapic_up\)' "$(cat "$r")"
t_match "full mode: the disk is on IDE" 'bus="ide"' "$(cat "$t_tmp/2003-full/2003-full.xml")"
t_match "full mode: an e1000 NIC" "type=\"e1000\"" "$(cat "$t_tmp/2003-full/2003-full.xml")"
t_match "paravirt mode: the disk is on virtio" 'bus="virtio"' "$(cat "$t_tmp/2003-paravirt/2003-paravirt.xml")"

# One appliance reads every output: hives and the first-boot script.
gf=
n=0
for name in 2003-full 2003-paravirt 2019-full 2019-paravirt; do
    n=$((n + 1)); dev=/dev/sd$(echo "$n" | tr 1234 abcd)1
    case $name in 2003*) cfg=/WINDOWS/system32/config; s=system; w=software ;;
                  *) cfg=/Windows/System32/config; s=SYSTEM; w=SOFTWARE ;; esac
    gf="$gf : mount-ro $dev /
        : download $cfg/$s $t_tmp/$name.system : download $cfg/$w $t_tmp/$name.software
        : download /p2vkit/firstboot.cmd $t_tmp/$name.firstboot.cmd : umount /"
done
# shellcheck disable=SC2086
t_ok "read the converted hives back" guestfish --ro --format=qcow2 -a "$t_tmp/2003-full/2003-full-disk1.qcow2" \
    -a "$t_tmp/2003-paravirt/2003-paravirt-disk1.qcow2" -a "$t_tmp/2019-full/2019-full-disk1.qcow2" \
    -a "$t_tmp/2019-paravirt/2019-paravirt-disk1.qcow2" -- run $gf
for name in 2003-full 2003-paravirt 2019-full 2019-paravirt; do
    for h in system software; do
        hivexregedit --export --unsafe-printable-strings "$t_tmp/$name.$h" '\' > "$t_tmp/$name.$h.reg" 2>&1
        if d=$(diff -u "$G/$name.$h.reg" "$t_tmp/$name.$h.reg"); then
            t_pass "$name: the disk's $h hive matches $G/$name.$h.reg"
        else
            t_fail "$name: the disk's $h hive matches $G/$name.$h.reg" "$d"
        fi
    done
done
t_is "2003-full: the first-boot script on the disk is the golden one" "" \
    "$(diff "$G/2003-full.firstboot.cmd" "$t_tmp/2003-full.firstboot.cmd")"

# The refusals (a driver found nowhere, a virtio-win tree without the
# release's drivers) are the same code on a local folder: see
# tests/windows-registry.sh.  Each conversion here starts an appliance,
# which takes minutes under TCG on a loaded machine.
t_done
