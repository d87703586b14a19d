#!/bin/sh
# End to end: a Debian test guest's disk (tests/guests/build.sh plain, an
# MBR disk with an ext4 root and swap) is captured with --used-only over
# TLS-PSK, received with --convert, converted and booted to its login
# prompt by p2vkit convert --verify-boot (TCG where KVM does not work; 30
# minutes allowed for the boot, as make check's other lane runs beside it).
. "$(dirname "$0")/../functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "building test guests needs root (debootstrap)"
for p in qemu-nbd qemu-img psktool qemu-system-x86_64 guestfish debootstrap; do
    command -v $p >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
    command -v $p >/dev/null 2>&1 || t_skip_all "$p is not installed"
done
[ -x tests/guests/build.sh ] || t_skip_all "no test guest builder (tests/guests/build.sh)"

t_plan 7
t_tmpdir
T=$t_tmp
rpid=
trap '[ -n "$rpid" ] && kill -TERM "-$rpid" 2>/dev/null; rm -rf "$T"' EXIT

if ! guest=$(tests/guests/build.sh plain 2> "$T/build.err"); then
    t_fail "the plain test guest builds" "$(tail -n 5 "$T/build.err")"
    t_done
fi
# The capture reads a raw disk, as it reads /dev/sda.
qemu-img convert -O raw "$guest" "$T/sda.img"
sum=$(md5sum < "$T/sda.img")
psktool -u p2v -p "$T/key.psk" >/dev/null 2>&1

mkdir "$T/recv"
setsid "$P2VKIT" receive --listen 127.0.0.1:0 --dir "$T/recv" --tls-psk "$T/key.psk" \
    --convert --convert-option=--verify-boot --convert-option=--boot-timeout=1800 --once > "$T/recv.out" 2> "$T/recv.err" &
rpid=$!
i=0
while ! grep -q '^listening on' "$T/recv.out" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$T/recv.out")

"$P2VKIT" capture --to "127.0.0.1:$port" --disk "$T/sda.img" --name deb1 \
    --tls-psk "$T/key.psk" --used-only > "$T/cap.out" 2> "$T/cap.err"
st=$?
t_is "the guest's disk is captured" 0 "$st"
[ $st -eq 0 ] || sed 's/^/# /' "$T/cap.err"
t_match "its ext4 root and swap were mapped" "ext2/3/4 at byte.*" "$(grep -E 'ext2/3/4|swap' "$T/cap.err")"
# The receiver converts (and boots) after the capture, then exits (--once);
# it waits for a completed capture, so not after a failed one.
[ $st -eq 0 ] || kill -TERM "-$rpid"
wait $rpid
st=$?
rpid=
t_is "receive --convert --once exits 0 after converting" 0 "$st"
[ $st -eq 0 ] && true || sed 's/^/# /' "$T/recv.err" "$T/recv/deb1/capture.log"
t_match "the log says it converted" "converted into .*/deb1/converted" "$(cat "$T/recv/deb1/capture.log")"
t_ok "the libvirt domain was written" test -s "$T/recv/deb1/converted/deb1.xml"
t_match "the conversion booted the guest to its login prompt" "verified: true" \
    "$(sed -n '/^boot:/,/^[a-z]/p' "$T/recv/deb1/converted/deb1.report.yaml" 2>/dev/null)"
t_is "the source was not written" "$sum" "$(md5sum < "$T/sda.img")"
t_done
