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
# clone convert made, and the clone's path) and fails, or with FAKEHV_HANG
# waits to be interrupted.  convert then stops, as after any failed
# launch, and the test reads what the clone holds.  The outputs' part (7)
# also runs two whole conversions on the real appliance: one into links,
# one whose result does not boot (--verify-boot).
. "$(dirname "$0")/functions.sh"

t_need_libguestfs qemu-img qemu-system-x86_64 sfdisk mkfs.ext4

t_plan 52
t_tmpdir
cd "$t_tmp" || exit 1

cat > fakehv <<'EOF'
#!/bin/sh
for a; do
    case $a in
        file=*.tmp??????,*)
            f=${a#file=}; f=${f%%,*}
            echo "$f" >> "$FAKEHV_DIR.paths"
            cp "$f" "$FAKEHV_DIR/drive.$(ls "$FAKEHV_DIR" | wc -l)"; launch=1 ;;
    esac
done
if [ -n "${launch:-}" ] && [ -n "${FAKEHV_HANG:-}" ]; then
    echo $$ > "$FAKEHV_DIR.hang"; exec sleep 300
fi
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

# 7. Where the outputs go, as every -o of p2vkit: a link in OUTDIR is
# written through (the clone is made beside its target, the link stays);
# a failure or Ctrl-C leaves no temporary file; no output may be a source.
leftovers () { find "$t_tmp" -name '*.tmp??????' | sed "s|$t_tmp/||" | tr '\n' ' '; }
cp mbr.raw src/m.img
msum=$(sha256sum < src/m.img)
mkdir elsewhere out-15
ln -s ../elsewhere/web.raw out-15/n15-disk1.raw
conv 15 src/m.img --format raw
t_match "a disk linked to a file not made yet: no previous conversion, cloned" \
    "^1 p2vkit: libguestfs could not start" "$st $(cat err-15)"
t_match "... the clone was made beside the link's target" \
    "elsewhere/web\.raw\.tmp.{6}\$" "$(cat seen-15.paths 2>&1)"
t_is "... after the failure: the link kept, no temporary file, nothing else" \
    "yes n15-disk1.raw |  | " \
    "$([ -L out-15/n15-disk1.raw ] && echo yes) $(ls -A out-15) | $(ls -A elsewhere) | $(leftovers)"
mkdir out-16
echo old > elsewhere/old.raw
ln -s ../elsewhere/old.raw out-16/n16-disk1.raw
conv 16 src/m.img --format raw --force
t_match "a disk linked to an existing file, --force: cloned beside that file" \
    "^1 .*/elsewhere/old\.raw\.tmp.{6}\$" "$st $(cat seen-16.paths 2>&1)"
t_is "... after the failure: the link kept, the file as it was, no temporary file" \
    "yes old | " "$([ -L out-16/n16-disk1.raw ] && echo yes) $(cat elsewhere/old.raw) | $(leftovers)"
mkdir out-17
cp src/m.img out-17/n17-disk1.raw
conv 17 out-17/n17-disk1.raw --format raw --force
t_is "the source as the output disk (--force): refused, named" \
    "1 p2vkit: out-17/n17-disk1.raw: is the source out-17/n17-disk1.raw, which convert never writes to; choose another output folder or --name" \
    "$st $(cat err-17)"
mkdir out-18
ln -s ../src/m.img out-18/n18-disk1.raw
conv 18 src/m.img --format raw --force
t_match "an output disk linked to the source: refused" \
    "^1 p2vkit: out-18/n18-disk1.raw: is the source src/m.img" "$st $(cat err-18)"
mkdir out-19
ln -s ../src/m.img out-19/n19.xml
conv 19 src/m.img --format raw --force
t_match "the XML linked to the source: refused" \
    "^1 p2vkit: out-19/n19.xml: is the source src/m.img" "$st $(cat err-19)"
t_is "... no clone made, the sources unchanged, the links kept" \
    "$msum $msum yes yes" \
    "$(cat seen-17.paths seen-18.paths seen-19.paths 2>/dev/null)$(sha256sum < out-17/n17-disk1.raw) $(sha256sum < src/m.img) $([ -L out-18/n18-disk1.raw ] && echo yes) $([ -L out-19/n19.xml ] && echo yes)"
mkdir out-20
mkfifo fifo
ln -s ../fifo out-20/n20-disk1.raw
conv 20 src/m.img --format raw --force
t_match "a disk linked to a FIFO: refused before the clone" \
    "^1 p2vkit: out-20/n20-disk1.raw: is a character device, a FIFO or a descriptor; a disk image is written to a file \$" \
    "$st $(cat err-20) $(cat seen-20.paths 2>/dev/null)"
# Ctrl-C while the appliance starts on the clone made beside a link's target.
mkdir out-21 seen-21
ln -s ../elsewhere/int.raw out-21/n21-disk1.raw
FAKEHV_HANG=1 FAKEHV_DIR=$t_tmp/seen-21 "$P2VKIT" convert -q -o out-21 --name n21 \
    src/m.img --format raw >/dev/null 2>err-21 &
pid=$!
for _ in $(seq 600); do [ -s seen-21.hang ] && break; sleep 0.1; done
t_match "Ctrl-C: the appliance was starting on the clone beside the target" \
    "elsewhere/int\.raw\.tmp.{6}\$" "$(cat seen-21.paths 2>&1)"
kill -INT $pid
wait $pid; st=$?
[ -s seen-21.hang ] && kill "$(cat seen-21.hang)" 2>/dev/null
t_is "Ctrl-C: died of SIGINT; the link kept, no temporary file, nothing else" \
    "130 yes n21-disk1.raw | " "$st $([ -L out-21/n21-disk1.raw ] && echo yes) $(ls -A out-21) | $(leftovers)"

# A whole conversion (the real appliance; a minimal Linux, fully
# virtualized, so no tool of the guest runs) into an OUTDIR whose disk and
# XML are links (the XML's to an older file: --force): their targets are
# written, the links stay, and the XML names the disk by its link.
mkdir -p g/etc g/bin g/usr/lib g/lib/modules/6.1.0-p2vkit g/boot store out-22
printf 'ID=debian\nVERSION_ID=12\nNAME="Debian GNU/Linux"\n' > g/etc/os-release
printf '/dev/sda1 / ext4 defaults 0 1\n' > g/etc/fstab
: > g/boot/vmlinuz-6.1.0-p2vkit
truncate -s 34M guest.img
printf 'start=2048, type=83\n' | sfdisk -q guest.img >/dev/null
mkfs.ext4 -q -F -d g -E offset=1048576 guest.img 32M
gsum=$(sha256sum < guest.img)
ln -s ../store/vm.qcow2 out-22/g-disk1.qcow2
echo old > store/vm.xml
ln -s ../store/vm.xml out-22/g.xml
env -u LIBGUESTFS_HV "$P2VKIT" convert -q guest.img -o out-22 --name g --mode full --force \
    >/dev/null 2>err-22
st=$?
t_is "a whole conversion into links: exit 0" "0 " "$st $(cat err-22)"
t_is "... the links stay, the report beside them, the source unchanged" \
    "g-disk1.qcow2 g.report.yaml g.xml yes yes $gsum" \
    "$(ls out-22 | tr '\n' ' ')$([ -L out-22/g-disk1.qcow2 ] && echo yes) $([ -L out-22/g.xml ] && echo yes) $(sha256sum < guest.img)"
t_match "... the disk's target is the converted image" '"format": "qcow2"' \
    "$(qemu-img info -U --output=json store/vm.qcow2 2>&1)"
t_match "... the XML's target is the domain, naming the disk by its link" \
    "<source file=.$(cd out-22 && pwd -P)/g-disk1\.qcow2." "$(cat store/vm.xml 2>&1)"
t_is "... no temporary file anywhere" "" "$(leftovers)"
t_match "... the facts reporter added (a guest with neither systemd nor rc folders: a warning)" \
    "/etc/p2vkit/facts.*neither systemd nor rc folders \(/etc/rc2.d\) found: the facts reporter will not run" \
    "$(tr '\n' ' ' < out-22/g.report.yaml 2>&1 | tr -s ' ')"

# A conversion whose result does not boot (--verify-boot): the same guest
# inspects and converts, but has no boot loader, so no login prompt comes.
# The result is kept, whole, with a report that says why it is not
# verified; the exit status says it failed.
env -u LIBGUESTFS_HV "$P2VKIT" convert -q guest.img -o out-23 --name nb --mode full \
    --verify-boot --boot-timeout 5 --no-facts-reporter >out-23.out 2>err-23
st=$?
t_is "a result that does not boot: exit 1, one line on stderr, none on stdout" \
    "1 1 0" "$st $(wc -l < err-23) $(wc -c < out-23.out)"
t_match "... naming the VM, the time waited and the console" \
    "^p2vkit: nb: no login prompt on the serial console after 5 s \((KVM|TCG)\); last console lines: " \
    "$(cat err-23)"
t_match "... the report says why, and that the boot is not verified" \
    "boot verification failed: nb: no login prompt.*boot: +verified: false +seconds: null" \
    "$(tr '\n' ' ' < out-23/nb.report.yaml 2>&1)"
t_is "... the result kept whole (disk, XML, report), no temporary file anywhere" \
    "nb-disk1.qcow2 nb.report.yaml nb.xml | qcow2 | " \
    "$(ls out-23 | tr '\n' ' ')| $(qemu-img info -U --output=json out-23/nb-disk1.qcow2 | sed -n 's/.*"format": "\(.*\)".*/\1/p' | head -1) | $(leftovers)"
t_is "... the source unchanged" "$gsum" "$(sha256sum < guest.img)"
t_is "--no-facts-reporter: no facts reporter in the report" "" \
    "$(grep -e p2vkit/facts -e 'facts reporter' out-23/nb.report.yaml)"

# 8. Usage.
t_exit "--source-format qed: usage error" 2 "$P2VKIT" convert src/lie.img -o x --source-format qed
t_done
