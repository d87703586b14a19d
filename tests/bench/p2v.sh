#!/bin/sh
# P2V capture on loopback, side by side in one run with the references:
#   1. p2vkit receive + p2vkit capture (TLS-PSK; the receiver also checks
#      every chunk and writes qcow2 at the end);
#   2. nbdcopy from the image to qemu-nbd started as the receiver starts
#      it, with the same key (the same two ends, without the control
#      channel and checks); then again with --flush, since the receiver
#      makes what it confirms durable and nbdcopy alone leaves it in the
#      page cache;
#   3. the same two to nbdkit's file plugin (the receiver's server before
#      it used qemu-nbd: its TLS priority is fixed, NORMAL);
#   4. dd | ssh | dd into a file (OpenSSH on loopback, its default cipher).
# Every TLS connection here but ssh's goes through gnutls (libnbd,
# qemu-nbd, nbdkit, the control channel): the ciphers negotiated are
# printed.
# The disk: 2 GiB with an ext4 filesystem holding 200 MiB of random files
# (mixed data and zeroes).  Prints wall time, MB/s of disk covered, and
# bytes on the wire (loopback's tx counter: every packet once, headers
# included).  One run each.  For p2vkit, also the copy alone (from the
# capture's progress: after the profile and the connections, before the
# receiver's qcow2 conversion).
#
#   tests/bench/p2v.sh            (as root; P2VKIT=path to the program)
#
# Needs nbdcopy (libnbd-bin), nbdkit, qemu-nbd, openssh-server, psktool:
# scripts/install-deps.sh bench.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
P2VKIT=${P2VKIT:-$top/p2vkit}
for p in nbdcopy nbdkit qemu-nbd psktool mkfs.ext4 qemu-img /usr/sbin/sshd ssh; do
    command -v $p >/dev/null || { echo "p2v.sh: needs $p (scripts/install-deps.sh bench)" >&2; exit 1; }
done
w=$(mktemp -d)
pids=
trap 'for p in $pids; do kill -TERM -$p 2>/dev/null || kill $p 2>/dev/null || :; done; rm -rf "$w"' EXIT

lo () { cat /sys/class/net/lo/statistics/tx_bytes; }
now () { date +%s.%N; }
report () {   # NAME T0 T1 B0 B1
    awk -v n="$1" -v t0="$2" -v t1="$3" -v b0="$4" -v b1="$5" 'BEGIN {
        t = t1 - t0; printf "%-34s %7.1f s %8.1f MB/s %10.1f MiB on the wire\n",
            n, t, 2147.483648 / t, (b1 - b0) / 1048576 }'
}

mkdir "$w/files"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    head -c 10485760 /dev/urandom > "$w/files/f$i"
done
truncate -s 2G "$w/src.img"
mkfs.ext4 -q -F -d "$w/files" "$w/src.img"
psktool -u bench -p "$w/key.psk" >/dev/null 2>&1
cat "$w/src.img" > /dev/null          # all three read from the page cache
echo "p2vkit capture benchmark, $(date -u +%Y-%m-%d), load: $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. p2vkit
mkdir "$w/recv"
setsid "$P2VKIT" receive --listen 127.0.0.1:0 --dir "$w/recv" --tls-psk "$w/key.psk" \
    > "$w/recv.out" 2>&1 &
pids="$pids $!"
while ! grep -q '^listening' "$w/recv.out" 2>/dev/null; do sleep 0.1; done
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$w/recv.out")
b0=$(lo); t0=$(now)
"$P2VKIT" capture --to 127.0.0.1:$port --disk "$w/src.img" --name bench \
    --tls-psk "$w/key.psk" > "$w/cap.out" 2> "$w/cap.err"
t1=$(now); b1=$(lo)
report "p2vkit capture + receive" "$t0" "$t1" "$b0" "$b1"
sed 's/^/    /' "$w/cap.out"
sed -n 's/^.*: done in \([0-9.]*\) s:.*/    of which the copy: \1 s/p' "$w/cap.err"
qemu-img compare -q -f raw -F qcow2 "$w/src.img" "$w/recv/bench/disk0.qcow2" \
    || echo "    (images differ!)"

sed -n 's/.*capture from .*, TLS cipher \(.*\)$/    TLS cipher (control connection): \1/p' "$w/recv.out"
# The disks' connections (libnbd's debug output, on a small disk: it
# slows libnbd down).
truncate -s 64M "$w/small.img"
LIBNBD_DEBUG=1 "$P2VKIT" capture --to 127.0.0.1:$port --disk "$w/small.img" \
    --name cipher --tls-psk "$w/key.psk" 2>&1 >/dev/null \
    | sed -n 's/.*connection is using TLS: cipher \([^ ]*\).*/    TLS cipher (capture to qemu-nbd): \1/p' | sort -u

# 2. and 3. nbdcopy to qemu-nbd (started as p2v/receive.c starts it) and
# to nbdkit, with the same key
mkdir -m 700 "$w/tls"
ln -s "$w/key.psk" "$w/tls/keys.psk"
certtool --get-dh-params --bits 2048 2>/dev/null \
    | sed -n '/BEGIN DH/,/END DH/p' > "$w/tls/dh-params.pem"
nport=$((port + 1))
nbdcopy_to () {   # NAME URI
    b0=$(lo); t0=$(now)
    nbdcopy -- "$w/src.img" "$2"
    t1=$(now); b1=$(lo)
    report "nbdcopy -> $1 (TLS-PSK)" "$t0" "$t1" "$b0" "$b1"
    cmp -s "$w/src.img" "$w/nbdcopy.raw" || echo "    (images differ!)"
    LIBNBD_DEBUG=1 nbdinfo --size "$2" 2>&1 \
        | sed -n "s/.*connection is using TLS: cipher \([^ ]*\).*/    TLS cipher (libnbd to $1): \1/p"
    # Emptied in place: qemu-nbd keeps the file it opened.
    truncate -s 0 "$w/nbdcopy.raw"; truncate -s 2G "$w/nbdcopy.raw"
    b0=$(lo); t0=$(now)
    nbdcopy --flush -- "$w/src.img" "$2"
    t1=$(now); b1=$(lo)
    report "nbdcopy --flush -> $1" "$t0" "$t1" "$b0" "$b1"
    cmp -s "$w/src.img" "$w/nbdcopy.raw" || echo "    (images differ!)"
    rm "$w/nbdcopy.raw"
}
truncate -s 2G "$w/nbdcopy.raw"
MALLOC_MMAP_THRESHOLD_=4194304 MALLOC_TRIM_THRESHOLD_=134217728 \
setsid qemu-nbd --format=raw --persistent --shared=0 --discard=unmap \
    -b 127.0.0.1 -p $nport --tls-creds=tls0 --object \
    "tls-creds-psk,id=tls0,endpoint=server,dir=$w/tls,priority=NORMAL:%SERVER_PRECEDENCE:-CHACHA20-POLY1305:+CHACHA20-POLY1305" \
    "$w/nbdcopy.raw" &
qpid=$!
pids="$pids $qpid"
sleep 1
nbdcopy_to qemu-nbd "nbds://bench@127.0.0.1:$nport?tls-psk-file=$w/key.psk"
kill -TERM -$qpid; wait $qpid 2>/dev/null || true

nport=$((port + 3))
truncate -s 2G "$w/nbdcopy.raw"
setsid nbdkit --foreground --exit-with-parent -i 127.0.0.1 -p $nport \
    --tls=require --tls-psk="$w/key.psk" file "$w/nbdcopy.raw" &
pids="$pids $!"
sleep 1
nbdcopy_to nbdkit "nbds://bench@127.0.0.1:$nport?tls-psk-file=$w/key.psk"

# 4. dd | ssh | dd
ssh-keygen -q -t ed25519 -N '' -f "$w/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$w/id"
cp "$w/id.pub" "$w/authorized_keys"
mkdir -p /run/sshd
sport=$((port + 2))
cat > "$w/sshd_config" <<EOF
Port $sport
ListenAddress 127.0.0.1
HostKey $w/hostkey
AuthorizedKeysFile $w/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
UsePAM no
StrictModes no
EOF
/usr/sbin/sshd -D -e -f "$w/sshd_config" 2> "$w/sshd.log" &
pids="$pids $!"
sleep 1
b0=$(lo); t0=$(now)
dd if="$w/src.img" bs=4M status=none \
    | ssh -p $sport -i "$w/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
          -o LogLevel=ERROR root@127.0.0.1 "dd of=$w/ssh.raw bs=4M status=none"
t1=$(now); b1=$(lo)
report "dd | ssh | dd" "$t0" "$t1" "$b0" "$b1"
cmp -s "$w/src.img" "$w/ssh.raw" || echo "    (images differ!)"
