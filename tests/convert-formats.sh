#!/bin/sh
# p2vkit convert and the formats of its sources: a format is never read
# from a disk's own first bytes when its kind or name says it (a physical
# server's disk holds whatever its owner wrote, qcow2 headers included),
# and a source that names other files of this machine (a backing file, an
# external data file, VMDK extents elsewhere) is refused unless
# --allow-backing.  The lying disk: a raw image whose first sector is a
# qcow2 header with a backing file pointing at a secret file here.
#
# Real qemu-img and libguestfs; only the hypervisor is a stand-in
# (LIBGUESTFS_HV): it answers libguestfs' queries through the real QEMU,
# and when the appliance would boot it keeps a copy of each drive (the
# clone convert made) and fails.  convert then stops, as after any failed
# launch, and the test reads what the clone holds.
. "$(dirname "$0")/functions.sh"

for tool in qemu-img qemu-system-x86_64 sfdisk; do
    command -v $tool >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
    command -v $tool >/dev/null 2>&1 || t_skip_all "$tool is not installed"
done
[ -e /usr/include/guestfs.h ] || t_skip_all "libguestfs is not installed"

t_plan 28
t_tmpdir
cd "$t_tmp" || exit 1

cat > fakehv <<'EOF'
#!/bin/sh
for a; do
    case $a in
        file=*.part,*)
            f=${a#file=}; f=${f%%,*}
            cp "$f" "$FAKEHV_DIR/drive.$(ls "$FAKEHV_DIR" | wc -l)"; launch=1 ;;
    esac
done
[ -n "${launch:-}" ] && { echo "stand-in hypervisor: not booting" >&2; exit 1; }
exec qemu-system-x86_64 "$@"
EOF
chmod +x fakehv
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_HV=$t_tmp/fakehv

# conv CASE ARGS...: convert into out-CASE; the drives the appliance was
# given land in seen-CASE/, the error in err-CASE, the status in st.
conv () {
    c=$1; shift
    mkdir "seen-$c"
    FAKEHV_DIR=$t_tmp/seen-$c "$P2VKIT" convert -q -o "out-$c" --name "n$c" "$@" \
        >/dev/null 2>"err-$c"
    st=$?
}
# The secret: a file of this machine, with a marker found by nothing else.
marker=SECRET-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
mkdir host
{ printf '%s' "$marker"; head -c 1048000 /dev/zero; } > host/secret
truncate -s 1M host/secret

# The lying disk: a qcow2 header naming host/secret as its backing file,
# with an MBR's signature so that it passes as a raw disk, in whole
# sectors.
mkdir src
qemu-img create -q -f qcow2 -b "$t_tmp/host/secret" -F raw src/lie.img
truncate -s 256K src/lie.img
printf '\125\252' | dd of=src/lie.img bs=1 seek=510 conv=notrunc status=none
sum=$(sha256sum < src/lie.img)

# 1. Named as a raw image: read as raw, byte for byte.
conv 1 src/lie.img --format raw
t_match "lie.img: cloned, then the stand-in hypervisor stopped it" \
    "^1 p2vkit: libguestfs could not start its appliance" "$st $(cat err-1)"
t_ok "lie.img: the appliance was given the clone" test -f seen-1/drive.0
t_is "lie.img: the secret is not in the clone" 0 "$(grep -c -a "$marker" seen-1/drive.0 2>/dev/null)"
t_ok "lie.img: the clone is the image's own bytes (read as raw)" cmp src/lie.img seen-1/drive.0
t_is "lie.img: the source is unchanged" "$sum" "$(sha256sum < src/lie.img)"
t_ok "lie.img: nothing left in the output folder" test ! -e out-1

# 2. Read as what its header says, the backing file is refused...
conv 2 src/lie.img --source-format qcow2
t_match "--source-format qcow2: refused for its backing file, named" \
    "^1 p2vkit: src/lie.img: qcow2 image with a backing file \($t_tmp/host/secret\): refused.*--allow-backing" \
    "$st $(cat err-2)"
t_is "--source-format qcow2: the appliance never started" "" "$(ls seen-2)"
# ...unless allowed: then the secret is in the clone (what the test looks for).
conv 3 src/lie.img --source-format qcow2 --allow-backing
t_is "--allow-backing: the backing file is read (the secret is in the clone)" \
    1 "$(grep -c -a "$marker" seen-3/drive.0 2>/dev/null)"

# 3. The same file named .qcow2, or with a name that says nothing (probed).
cp src/lie.img src/lie.qcow2
conv 4 src/lie.qcow2
t_match "lie.qcow2: refused for its backing file" \
    "^1 p2vkit: src/lie.qcow2: qcow2 image with a backing file \($t_tmp/host/secret\): refused" \
    "$st $(cat err-4)"
t_ok "lie.qcow2: nothing left" test ! -e out-4
cp src/lie.img src/lie
conv 5 src/lie
t_match "lie (no extension, probed): refused for its backing file" \
    "^1 p2vkit: src/lie: qcow2 image with a backing file" "$st $(cat err-5)"
conv 6 src/lie.qcow2 --allow-backing
t_match "lie.qcow2 --allow-backing: cloned" "^1 p2vkit: libguestfs could not start" "$st $(cat err-6)"
t_is "lie.qcow2 --allow-backing: the secret is read" 1 "$(grep -c -a "$marker" seen-6/drive.0 2>/dev/null)"

# 4. A block device is raw.
if dev=$(losetup -r -f --show src/lie.img 2>/dev/null); then
    conv 7 "$dev" --format raw
    losetup -d "$dev"
    t_match "a block device ($dev): read as raw" "^1 p2vkit: libguestfs could not start" "$st $(cat err-7)"
    t_is "a block device: the secret is not in the clone" 0 "$(grep -c -a "$marker" seen-7/drive.0 2>/dev/null)"
    t_ok "a block device: the clone is the device's bytes" cmp src/lie.img seen-7/drive.0
else
    t_pass "# SKIP a block device: no loop device here"
    t_pass "# SKIP a block device"
    t_pass "# SKIP a block device"
fi

# 5. --source-format is what qemu-img is told: a qcow2 image of an MBR
# disk, named as raw.
truncate -s 4M mbr.raw
printf 'start=2048, type=83\n' | sfdisk -q mbr.raw >/dev/null
printf 'p2vkit-formats' | dd of=mbr.raw bs=1 seek=1048576 conv=notrunc status=none
qemu-img convert -f raw -O qcow2 mbr.raw src/inner.img
conv 8 src/inner.img
t_match "a qcow2 named .img: read as raw (no partition table)" \
    "^1 p2vkit: src/inner.img: not a disk image \(no partition table" "$st $(cat err-8)"
conv 9 src/inner.img --source-format qcow2 --format raw
t_match "--source-format qcow2: cloned" "^1 p2vkit: libguestfs could not start" "$st $(cat err-9)"
t_ok "--source-format qcow2: the clone is the disk inside" cmp mbr.raw seen-9/drive.0
qemu-img convert -f raw -O vpc -o subformat=fixed mbr.raw src/disk.bin
conv 10 src/disk.bin --source-format vhd --format raw
t_match "--source-format vhd (qemu's vpc): cloned" "^1 p2vkit: libguestfs could not start" "$st $(cat err-10)"
t_is "--source-format vhd: the disk inside, as qemu-img reads it" \
    "$(qemu-img convert -f vpc -O raw src/disk.bin vpc.raw && sha256sum < vpc.raw)" \
    "$(sha256sum < seen-10/drive.0)"
cp mbr.raw src/plain.qcow2
conv 11 src/plain.qcow2
t_match "a raw disk named .qcow2: refused, qemu-img's reason" \
    "^1 p2vkit: src/plain.qcow2: not a qcow2 image \(as its name says\): .*not in qcow2 format" \
    "$st $(cat err-11)"
conv 12 src/plain.qcow2 --source-format vdi
t_match "--source-format vdi on a raw disk: refused" "^1 p2vkit: src/plain.qcow2: not a vdi image \(as --source-format says\)" \
    "$st $(cat err-12)"

# 6. VMDK: extents beside the descriptor are read, any elsewhere refused.
mkdir split
qemu-img convert -f raw -O vmdk -o subformat=twoGbMaxExtentFlat mbr.raw split/web.vmdk
conv 13 split/web.vmdk --format raw
t_match "a VMDK with its extent beside it: cloned" "^1 p2vkit: libguestfs could not start" "$st $(cat err-13)"
t_ok "a VMDK with its extent beside it: the disk inside" cmp mbr.raw seen-13/drive.0
cat > src/evil.vmdk <<EOF
# Disk DescriptorFile
version=1
CID=12345678
parentCID=ffffffff
createType="monolithicFlat"

RW 2048 FLAT "$t_tmp/host/secret" 0

ddb.virtualHWVersion = "4"
ddb.geometry.cylinders = "2"
ddb.geometry.heads = "16"
ddb.geometry.sectors = "63"
ddb.adapterType = "ide"
EOF
conv 14 src/evil.vmdk
t_match "a VMDK whose extent is a file elsewhere: refused, named" \
    "^1 p2vkit: src/evil.vmdk: vmdk image with an extent outside its folder \($t_tmp/host/secret\): refused" \
    "$st $(cat err-14)"

# 7. Usage.
t_exit "--source-format qed: usage error" 2 "$P2VKIT" convert src/lie.img -o x --source-format qed
t_done
