#!/bin/sh
# p2vkit convert on bad input: every case exits 1 with one line naming the
# input and the reason, and leaves nothing in OUTDIR (not even OUTDIR when
# the run made it).  Real qemu-img and libguestfs; no test guest needed.
. "$(dirname "$0")/functions.sh"

t_need_libguestfs qemu-img guestfish sfdisk mkfs.ext4 cryptsetup

t_plan 35
t_tmpdir
cd "$t_tmp" || exit 1

# check_fail DESC PATTERN OUTDIR ARGS...: exit 1, one line matching
# PATTERN, OUTDIR absent afterwards.
check_fail () {
    desc=$1 pat=$2 dir=$3; shift 3
    err=$("$P2VKIT" convert -q "$@" 2>&1 >/dev/null); st=$?
    t_is "$desc: exit 1" 1 "$st"
    t_match "$desc: says why in one line" "^p2vkit: $pat" "$err"
    if [ -e "$dir" ]; then
        t_fail "$desc: nothing left" "$(ls -la "$dir")"
    else
        t_pass "$desc: nothing left"
    fi
}

# A raw disk with an MBR and one partition (start 1 MiB) of SIZE MiB.
mbr_disk () {
    truncate -s $(( ($2 + 2) * 1048576 )) "$1"
    printf 'start=2048, size=%d, type=83\n' $(( $2 * 2048 )) | sfdisk -q "$1" >/dev/null
}

check_fail "missing source" "nosuch.img: no such file or device" out1 nosuch.img -o out1

echo "hello" > notes.txt
check_fail "text file" "notes.txt: not a disk image" out2 notes.txt -o out2

truncate -s 1048576 zeros.img
check_fail "raw without a partition table" "zeros.img: not a disk image \\(no partition table" out3 zeros.img -o out3

# Unreadable: root reads anything, so the program runs as nobody.
mbr_disk secret.img 8
chmod 600 secret.img
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$t_tmp"
    err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$P2VKIT" convert -q secret.img -o out4 2>&1); st=$?
    t_is "unreadable source: exit 1" 1 "$st"
    t_match "unreadable source: says so" "^p2vkit: secret.img: cannot read: Permission denied" "$err"
    [ -e out4 ] && t_fail "unreadable source: nothing left" || t_pass "unreadable source: nothing left"
else
    err=$("$P2VKIT" convert -q secret.img -o out4 2>&1); st=$?
    t_is "unreadable source: exit 1" 1 "$st"
    t_match "unreadable source: says so" "^p2vkit: secret.img: cannot read: Permission denied" "$err"
    [ -e out4 ] && t_fail "unreadable source: nothing left" || t_pass "unreadable source: nothing left"
fi

# A disk with an empty ext4 file system: copied, inspected, refused.
mbr_disk blank.img 32
mkfs.ext4 -q -F -E offset=1048576 blank.img 32M
sum=$(sha256sum < blank.img)
check_fail "no operating system" "blank.img: no operating system found" out5 blank.img -o out5
t_is "no operating system: source unchanged" "$sum" "$(sha256sum < blank.img)"

# LUKS in the partition.
truncate -s 32M luks.part
printf 'p2vkit' > key
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --key-file key luks.part >/dev/null 2>&1
mbr_disk luks.img 32
dd if=luks.part of=luks.img bs=1M seek=1 conv=notrunc status=none
check_fail "encrypted disk" "luks.img: the disk is encrypted \\(LUKS\\)" out6 luks.img -o out6

# A "Linux" without a kernel: an OS p2vkit cannot convert.
mbr_disk nokernel.img 32
mkfs.ext4 -q -F -E offset=1048576 nokernel.img 32M
guestfish --format=raw -a nokernel.img <<'EOF' >/dev/null 2>&1
run
mount /dev/sda1 /
mkdir-p /etc
mkdir-p /bin
mkdir-p /usr/lib
write /etc/os-release "ID=debian\nVERSION_ID=12\nNAME=\"Debian GNU/Linux\"\n"
write /etc/fstab "/dev/sda1 / ext4 defaults 0 1\n"
EOF
check_fail "no kernel" "nokernel: no kernel found" out7 nokernel.img -o out7

# OUTDIR holding a previous conversion: refused, and left as it was.
mkdir out8
echo '<domain/>' > out8/blank.xml
err=$("$P2VKIT" convert -q blank.img -o out8 2>&1); st=$?
t_is "previous conversion: exit 1" 1 "$st"
t_match "previous conversion: says so" "^p2vkit: out8: holds a previous conversion of blank \\(blank.xml\\); use --force" "$err"
t_is "previous conversion: left as it was" "blank.xml" "$(ls out8)"

# A full output disk: a 24 MiB file system for a disk of 48 MiB of data.
mbr_disk big.img 48
dd if=/dev/urandom of=big.img bs=1M seek=1 count=48 conv=notrunc status=none
mkdir small
if mount -t tmpfs -o size=24M tmpfs small 2>/dev/null; then
    err=$("$P2VKIT" convert -q big.img -o small/out 2>&1); st=$?
    t_is "full output disk: exit 1" 1 "$st"
    t_match "full output disk: says so" "No space left on device" "$err"
    t_is "full output disk: nothing left" "" "$(ls -A small)"
    umount small
else
    t_pass "# SKIP full output disk: cannot mount a tmpfs here"
    t_pass "# SKIP full output disk"
    t_pass "# SKIP full output disk"
fi

# Ctrl-C while copying: the partial copy and the folder go.
mbr_disk huge.img 1500
dd if=/dev/urandom of=huge.img bs=1M seek=1 count=1500 conv=notrunc status=none
"$P2VKIT" convert -q huge.img -o out9 2>/dev/null &
pid=$!
# Up to 60 s for the copy to start (the inspection before it is slow on a
# loaded machine).
for _ in $(seq 600); do ls out9/huge-disk1.qcow2.tmp?????? >/dev/null 2>&1 && break; sleep 0.1; done
t_ok "Ctrl-C: the copy had started" ls out9/huge-disk1.qcow2.tmp??????
kill -INT $pid
wait $pid; st=$?
t_is "Ctrl-C: died of SIGINT" 130 "$st"
sleep 1
[ -e out9 ] && t_fail "Ctrl-C: nothing left" "$(ls -la out9)" || t_pass "Ctrl-C: nothing left"

# Usage errors.
t_exit "no -o: usage error" 2 "$P2VKIT" convert blank.img
t_exit "bad --mode: usage error" 2 "$P2VKIT" convert blank.img -o x --mode turbo
t_exit "bad --format: usage error" 2 "$P2VKIT" convert blank.img -o x --format vdi
t_exit "--vcpus 0: usage error" 2 "$P2VKIT" convert blank.img -o x --vcpus 0
t_done
