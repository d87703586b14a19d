#!/bin/sh
# p2vkit capture and receive for real: qemu-nbd, libnbd, TLS-PSK, qemu-img,
# ext4 made by mkfs.ext4, loop devices.  The receiver runs in a network
# namespace behind a veth pair when one can be made (so that the bytes
# on the wire are also counted by the kernel's interface), else on
# loopback.
. "$(dirname "$0")/functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "needs root (loop devices, mounts, network namespaces)"
t_need qemu-nbd qemu-img mkfs.ext4 psktool losetup sfdisk mkswap e2fsck debugfs
PY=/usr/bin/python3
$PY -c 'import nbd' 2>/dev/null || t_skip_all "python3-libnbd is not installed"
t_net_lock

t_plan 54
t_tmpdir
T=$t_tmp
loops=
mnt=
ns=
cpid=
cleanup () {
    [ -n "$cpid" ] && { kill -CONT "$cpid" 2>/dev/null; kill -KILL "$cpid" 2>/dev/null; }
    [ -n "$mnt" ] && { fsfreeze -u "$mnt" 2>/dev/null; umount "$mnt" 2>/dev/null; }
    for l in $loops; do losetup -d "$l" 2>/dev/null; done
    t_receiver_stop
    t_netns_del
    rm -rf "$T"
}
trap cleanup EXIT

# ---- the network: a namespace with a veth pair, or loopback ----
t_netns p2vt$$ 10.213.7

rpid=
kill_receiver () {
    kill -KILL "-$rpid" 2>/dev/null
    wait "$rpid" 2>/dev/null
    rpid=
}
veth_bytes () {
    if [ -n "$veth" ]; then
        echo $(( $(cat /sys/class/net/$veth/statistics/tx_bytes) + $(cat /sys/class/net/$veth/statistics/rx_bytes) ))
    else
        echo 0
    fi
}
wire_of () { sed -n 's/^on the wire: \([0-9]*\) bytes.*/\1/p' "$1"; }

psktool -u alice -p "$T/key.psk" >/dev/null 2>&1
psktool -u alice -p "$T/bad.psk" >/dev/null 2>&1

# ---- a 2 GiB disk with an ext4 filesystem and 200 MiB of files ----
mkdir "$T/files"
i=1
while [ $i -le 20 ]; do
    head -c 10485760 /dev/urandom > "$T/files/f$i"; i=$((i + 1))
done
data_bytes=$(cat "$T/files"/* | wc -c)
truncate -s 2G "$T/src.img"
mkfs.ext4 -q -F -d "$T/files" "$T/src.img" >/dev/null
sum_before=$(md5sum < "$T/src.img")

# ---- 1. capture and receive, TLS-PSK ----
t_receiver "$T/recv" --tls-psk "$T/key.psk"
t_match "receive says where it listens, with TLS" "^listening on $addr:[0-9]+ \(TLS" "$(head -n 1 "$T/recv.out")"
v0=$(veth_bytes)
t_capture "$T/src.img" web1 --tls-psk "$T/key.psk" > "$T/cap.out" 2> "$T/cap.err"
st=$?
v1=$(veth_bytes)
t_is "capture of a 2 GiB ext4 disk exits 0" 0 "$st"
[ $st -eq 0 ] || cat "$T/cap.err" | sed 's/^/# /'
t_ok "the image arrives identical (qemu-img compare)" \
    qemu-img compare -q -f raw -F qcow2 "$T/src.img" "$T/recv/web1/disk0.qcow2"
t_is "the receiver's folder has the images, profile, map, log" \
    "capture.log chunks complete disk0.qcow2 disks profile.yaml" \
    "$(ls "$T/recv/web1" | tr '\n' ' ' | sed 's/ $//')"
t_ok "the profile it received is valid" "$P2VKIT" validate -q "$T/recv/web1/profile.yaml"
t_match "the profile's disk is the captured one" "name: src.img" "$(cat "$T/recv/web1/profile.yaml")"
wire=$(wire_of "$T/cap.out")
limit=$((data_bytes * 11 / 10))
t_ok "bytes on the wire ($wire) under 1.1 x the data ($data_bytes)" test "${wire:-999999999999}" -lt "$limit"
if [ -n "$veth" ]; then
    t_ok "the veth counted under 1.1 x the data too ($((v1 - v0)) bytes, frames included)" \
        test $((v1 - v0)) -lt "$limit"
else
    t_ok "no veth (loopback): the capture's own count is under 1.1 x" test "${wire:-999999999999}" -lt "$limit"
fi
t_is "every chunk was confirmed (64 lines in the map)" 64 "$(wc -l < "$T/recv/web1/chunks")"
t_match "the progress says what was sent and skipped" "src.img: done in .*MiB data sent" "$(cat "$T/cap.err")"
t_is "the source was not written" "$sum_before" "$(md5sum < "$T/src.img")"
t_match "the receiver logged the completion" "complete: " "$(cat "$T/recv.out")"

# A second capture under the same name is refused.
t_capture "$T/src.img" web1 --tls-psk "$T/key.psk" -q > /dev/null 2> "$T/cap2.err"
t_is "a second capture named web1 exits 1" 1 $?
t_match "... saying that it exists" "a capture named web1 exists" "$(cat "$T/cap2.err")"

# ---- 2. a wrong key, and no TLS, are refused ----
t_capture "$T/src.img" intruder --tls-psk "$T/bad.psk" -q > /dev/null 2> "$T/bad.err"
t_is "a capture with another key exits 1" 1 $?
t_match "... at the TLS handshake" "TLS handshake failed" "$(cat "$T/bad.err")"
t_capture "$T/src.img" intruder -q > /dev/null 2> "$T/plain.err"
t_is "a capture without TLS exits 1" 1 $?
t_ok "neither made a folder" test ! -e "$T/recv/intruder"
t_receiver_stop

# ---- 3. the link cut half way, then --resume ----
# The receiver writes its chunk map at most every 5 s; a fast capture
# (holes are skipped) can be over by then.  So the link is slowed to
# 80 Mbit/s (about 20 s for the 200 MiB of data) while it is cut, and the
# capture is held stopped (t_stop_when_confirmed) while the receiver is
# killed: it cannot finish in between, however loaded the machine.
shaped=
[ -n "$veth" ] && tc qdisc add dev "$veth" root tbf rate 80mbit burst 256kb latency 500ms \
    2>/dev/null && shaped=yes
t_receiver "$T/recv" --tls-psk "$T/key.psk"
# Not through t_capture: a function in the background is a subshell, and
# the capture itself is to be stopped.
"$P2VKIT" capture --to "$addr:$port" --disk "$T/src.img" --name web2 \
    --tls-psk "$T/key.psk" > "$T/cut.out" 2> "$T/cut.err" &
cpid=$!
# Cut once the receiver has recorded some chunks, before the end.
t_stop_when_confirmed $cpid "$T/recv/web2" || echo "# web2: no chunk confirmed while it ran"
kill_receiver
kill -CONT $cpid
wait $cpid
st=$?
cpid=
[ -n "$shaped" ] && tc qdisc del dev "$veth" root 2>/dev/null
confirmed=$(wc -l < "$T/recv/web2/chunks")
t_is "the capture fails when the receiver is killed" 1 "$st"
t_ok "it was killed part way ($confirmed of 64 chunks confirmed)" test "$confirmed" -lt 64
t_match "the capture says to resume" "with --resume to continue" "$(cat "$T/cut.err")"
t_receiver "$T/recv" --tls-psk "$T/key.psk"
t_capture "$T/src.img" web2 --tls-psk "$T/key.psk" --resume > "$T/resume.out" 2> "$T/resume.err"
t_is "capture --resume exits 0" 0 $?
t_ok "the resumed image is identical" \
    qemu-img compare -q -f raw -F qcow2 "$T/src.img" "$T/recv/web2/disk0.qcow2"
resumed=$(sed -n 's/.*, \([0-9]*\) bytes already on the receiver.*/\1/p' "$T/resume.out")
t_ok "the resume did not send the confirmed chunks again ($resumed bytes kept)" \
    test "${resumed:-0}" -ge $((confirmed * 33554432 - 33554432))
t_capture "$T/src.img" web2 --tls-psk "$T/key.psk" --resume -q > /dev/null 2> "$T/again.err"
t_match "resuming a complete capture is refused" "complete already" "$(cat "$T/again.err")"
t_receiver_stop

# ---- 4. a hostile client (no TLS, so that Python speaks the protocol) ----
mkdir -p "$T/hostile"
echo canary > "$T/canary"
# What exists around the receiver's folder, with sizes; the test's own
# output files aside.
listing () {
    (cd "$T" && find . -path ./hostile/evil -prune -o ! -name 'recv.*' \
        ! -name 'hostile.*' -printf '%p %s\n' | sort | md5sum)
}
before=$(listing)
canary_before=$(md5sum < "$T/canary")
t_receiver "$T/hostile"
cat > "$T/hostile.py" <<'EOF'
import socket, sys, nbd
host, port = sys.argv[1], int(sys.argv[2])
profile = open(sys.argv[3], 'rb').read()

def session(name, size, prof=None):
    if prof is None:            # the profile of the server it names
        prof = profile.replace(b'name: web1', b'name: ' + name)
    s = socket.create_connection((host, port))
    f = s.makefile('rwb')
    f.write(b'P2VKIT/1\n'); f.flush(); f.readline()
    f.write(b'CAPTURE %s NEW 1 %d\nDISK %d sda\n' % (name, len(prof), size) + prof)
    f.flush()
    return s, f, f.readline().decode().strip()

for name, size in ((b'../escape', 1 << 30), (b'a/b', 1 << 30), (b'odd', 1000)):
    s, f, reply = session(name, size)
    print(name.decode(), reply)
s, f, reply = session(b'bad', 1 << 30, b'schema: p2vkit/profile/v1\nname: [\n')
print('badprofile', reply)

s, f, reply = session(b'evil', 1 << 30)
print('evil', reply)
port2 = int(reply.split()[1])
h = nbd.NBD()
h.set_strict_mode(0)              # let requests past the end go out
h.connect_tcp(host, str(port2))
print('size', h.get_size())
h.pwrite(b'x' * 512, 0)
for what, fn in (('past', lambda: h.pwrite(b'x' * 4096, 1 << 30)),
                 ('across', lambda: h.pwrite(b'x' * 8192, (1 << 30) - 4096)),
                 ('far', lambda: h.pwrite(b'x' * 512, 1 << 40)),
                 ('zero', lambda: h.zero(1 << 20, 1 << 30))):
    try:
        fn(); print(what, 'WRITTEN')
    except nbd.Error as e:
        print(what, 'refused')
f.write(b'SUM 5 0 ' + b'0' * 64 + b'\n'); f.flush()
print('sum', f.readline().decode().strip())
EOF
$run_recv $PY "$T/hostile.py" "$addr" "$port" "$T/recv/web1/profile.yaml" > "$T/hostile.out" 2>&1
h=$(cat "$T/hostile.out")
t_match "a name with ../ is refused" "^\.\./escape ERR .*not a capture name" "$h"
t_match "a name with / is refused" "^a/b ERR .*not a capture name" "$h"
t_match "a size that is not whole sectors is refused" "^odd ERR .*512-byte sectors" "$h"
t_match "a bad profile is refused with its line and column" "^badprofile ERR bad/profile.yaml:[0-9]+:[0-9]+: " "$h"
t_match "the 1 GiB disk is served with 1 GiB" "^size 1073741824$" "$h"
t_match "a write past the end is refused" "^past refused$" "$h"
t_match "a write across the end is refused" "^across refused$" "$h"
t_match "a write far past the end is refused" "^far refused$" "$h"
t_match "a zero request past the end is refused" "^zero refused$" "$h"
t_match "a checksum request for a disk it did not announce is refused" "^sum ERR " "$h"
t_receiver_stop
t_is "the image still has 1 GiB" 1073741824 "$(stat -c %s "$T/hostile/evil/disk0.raw")"
after=$(listing)
t_is "nothing outside its folder appeared or went" "$before" "$after"
t_is "a file outside is unchanged" "$canary_before" "$(md5sum < "$T/canary")"

# ---- 5. a read-write mounted filesystem ----
truncate -s 256M "$T/small.img"
mkfs.ext4 -q -F -d "$T/files" "$T/small.img" >/dev/null 2>&1 || mkfs.ext4 -q -F "$T/small.img" >/dev/null
loop=$(losetup -f --show "$T/small.img")
loops="$loop"
mnt=$T/mnt
mkdir -p "$mnt"
mount "$loop" "$mnt"
echo "written while mounted" > "$mnt/live.txt"
t_receiver "$T/recv" --tls-psk "$T/key.psk"
t_capture "$loop" rw1 --tls-psk "$T/key.psk" -q > /dev/null 2> "$T/rw.err"
t_is "capture of a loop device mounted read-write exits 1" 1 $?
t_match "... naming the mount point and --live" "mounted read-write at $mnt.*--live" "$(cat "$T/rw.err")"
t_capture "$T/small.img" rw2 --tls-psk "$T/key.psk" -q > /dev/null 2> "$T/rwfile.err"
t_match "so is the image file under that loop device" "mounted read-write at $mnt" "$(cat "$T/rwfile.err")"
t_capture "$loop" rw3 --tls-psk "$T/key.psk" --live > "$T/live.out" 2> "$T/live.err"
st=$?
t_is "with --live it is captured" 0 "$st"
[ $st -eq 0 ] || sed 's/^/# /' "$T/live.err"
qemu-img convert -f qcow2 -O raw "$T/recv/rw3/disk0.qcow2" "$T/rw3.raw" 2>/dev/null
t_ok "the live capture is a clean filesystem (e2fsck -fn)" e2fsck -fn "$T/rw3.raw"
t_is "... holding the file written while mounted" "written while mounted" \
    "$(debugfs -R 'cat /live.txt' "$T/rw3.raw" 2>/dev/null)"
t_ok "the filesystem was thawed (a write succeeds)" sh -c "echo more > '$mnt/after.txt' && sync"
umount "$mnt"; mnt=

# ---- 6. --used-only: an MBR disk, ext4 and swap partitions over old data ----
head -c 201326592 /dev/urandom > "$T/mbr.img"
printf 'label: dos\nstart=2048, size=262144, type=83\nstart=264192, size=120832, type=82\n' \
    | sfdisk -q "$T/mbr.img" >/dev/null 2>&1
mkdir "$T/files6"
cp "$T/files/f1" "$T/files/f2" "$T/files/f3" "$T/files6/"
mkfs.ext4 -q -F -E offset=1048576,nodiscard -d "$T/files6" "$T/mbr.img" 128M >/dev/null 2>&1
truncate -s $((120832 * 512)) "$T/swap.img"
mkswap "$T/swap.img" >/dev/null 2>&1
dd if="$T/swap.img" of="$T/mbr.img" bs=4096 count=1 seek=$((264192 / 8)) conv=notrunc 2>/dev/null
mbr_sum=$(md5sum < "$T/mbr.img")
t_capture "$T/mbr.img" used1 --tls-psk "$T/key.psk" --used-only > "$T/used.out" 2> "$T/used.err"
st=$?
t_is "capture --used-only of an MBR disk exits 0" 0 "$st"
[ $st -eq 0 ] || sed 's/^/# /' "$T/used.err"
t_match "it found the ext4 partition" "ext2/3/4 at byte 1048576: [0-9]+ MiB unused" "$(cat "$T/used.err")"
t_match "it found the swap partition" "swap at byte $((264192 * 512)): [0-9]+ MiB unused" "$(cat "$T/used.err")"
wire=$(wire_of "$T/used.out")
dd if="$T/mbr.img" of="$T/src-p1.raw" bs=1M skip=1 count=128 2>/dev/null
used=$(dumpe2fs -h "$T/src-p1.raw" 2>/dev/null | awk -F: '
    /^Block count/ { n = $2 } /^Free blocks/ { f = $2 } /^Block size/ { b = $2 }
    END { print (n - f) * b }')
# What the filesystem uses, plus the first MiB (the partition table and
# the gap before the partition) and the swap header, 10% for framing.
limit=$(( (used + 1048576 + 65536) * 11 / 10 ))
t_ok "it sent $wire bytes of a 192 MiB disk full of old data: under $limit (ext4 uses $used)" \
    test "${wire:-999999999}" -lt "$limit"
qemu-img convert -f qcow2 -O raw "$T/recv/used1/disk0.qcow2" "$T/used.raw" 2>/dev/null
dd if="$T/used.raw" of="$T/used-p1.raw" bs=1M skip=1 count=128 2>/dev/null
t_ok "the ext4 partition is clean (e2fsck -fn)" e2fsck -fn "$T/used-p1.raw"
t_is "its files are intact" "$(md5sum < "$T/files/f2")" \
    "$(debugfs -R 'cat /f2' "$T/used-p1.raw" 2>/dev/null | md5sum)"
t_ok "the partition table arrived" cmp -n 1048576 "$T/mbr.img" "$T/used.raw"
t_is "the swap header arrived" SWAPSPACE2 \
    "$(dd if="$T/used.raw" bs=1 skip=$((264192 * 512 + 4086)) count=10 2>/dev/null)"
t_is "the source was not written" "$mbr_sum" "$(md5sum < "$T/mbr.img")"
t_receiver_stop

t_done
