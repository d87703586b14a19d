#!/bin/bash
# Benchmark of p2vkit convert (not part of make check; figures go to
# docs/benchmarks.md).  Needs root, the test guests' tools and, for the
# second comparison, virt-v2v (scripts/install-deps.sh bench).
#
# 1. Clone step against bare `qemu-img convert -O qcow2` on the same raw
#    source (the plain test guest as a raw disk, as a physical disk's image
#    is): best of RUNS each, alternating; p2vkit's figure is the clone time
#    its report records (clone_seconds).
# 2. The whole conversion (paravirt) against virt-v2v -i disk -o local on
#    the same source, once each; both results then booted with virtio
#    (p2vkit's through --verify-boot's code path: QEMU, -snapshot).
#
# Usage: tests/bench/convert.sh [RUNS]   (default 3)
set -eu
cd "$(dirname "$0")/../.."
runs=${1:-3}
P2VKIT=${P2VKIT:-$PWD/p2vkit}
work=$(mktemp -d /var/tmp/p2vkit-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

plain=$(tests/guests/build.sh plain)
src=$work/plain.raw
qemu-img convert -O raw "$plain" "$src"
echo "source: $src ($(du -h --apparent-size "$src" | cut -f1) virtual, $(du -h "$src" | cut -f1) allocated)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

now () { date +%s.%N; }
best_qemu=999999 best_p2v=999999
for i in $(seq "$runs"); do
    rm -f "$work/bare.qcow2"
    t0=$(now)
    qemu-img convert -O qcow2 "$src" "$work/bare.qcow2"
    t=$(echo "$(now) - $t0" | bc)
    echo "run $i: qemu-img convert -O qcow2: $t s"
    best_qemu=$(echo "if ($t < $best_qemu) $t else $best_qemu" | bc)

    rm -rf "$work/out"
    t0=$(now)
    "$P2VKIT" convert -q "$src" -o "$work/out" --name bench --mode paravirt
    whole=$(echo "$(now) - $t0" | bc)
    c=$(sed -n 's/^  clone_seconds: //p' "$work/out/bench.report.yaml" | head -n 1)
    echo "run $i: p2vkit convert: clone $c s, whole $whole s"
    best_p2v=$(echo "if ($c < $best_p2v) $c else $best_p2v" | bc)
done
size=$(stat -c %s "$src")
echo "clone, best of $runs: qemu-img $best_qemu s ($(echo "$size / $best_qemu / 1000000" | bc) MB/s), p2vkit $best_p2v s ($(echo "$size / $best_p2v / 1000000" | bc) MB/s), ratio $(echo "scale=3; $best_qemu / $best_p2v" | bc)"
echo "p2vkit whole conversion (last run): $whole s"
grep -A2 '^- command:' "$work/out/bench.report.yaml" | grep -E 'command|status' | sed 's/^/  /'

if command -v virt-v2v >/dev/null; then
    mkdir -p "$work/v2v"
    t0=$(now)
    if LIBGUESTFS_BACKEND=direct virt-v2v -i disk "$src" -o local -os "$work/v2v" -on v2v \
           > "$work/v2v.log" 2>&1; then
        echo "virt-v2v -i disk -o local: $(echo "$(now) - $t0" | bc) s"
    else
        echo "virt-v2v -i disk -o local: failed after $(echo "$(now) - $t0" | bc) s: $(tail -n 3 "$work/v2v.log")"
    fi
    grep -iE 'warning|grub' "$work/v2v.log" | head -n 10 | sed 's/^/  v2v: /'
    for img in "$work"/v2v/v2v-sda "$work/out/bench-disk1.qcow2"; do
        [ -e "$img" ] || continue
        fmt=qcow2; [ "$img" = "$work/v2v/v2v-sda" ] && fmt=raw
        # The console goes to a file that is watched: a guest at its prompt
        # (or in its initramfs shell) writes nothing more, so a pipe to
        # grep would only end at the timeout.
        log=$work/boot-$(basename "$img").log
        t0=$(now)
        timeout 900 qemu-system-x86_64 -accel tcg -machine q35 -m 1024 -nodefaults \
            -display none -serial file:"$log" -snapshot -no-reboot \
            -drive file="$img",format=$fmt,if=virtio </dev/null >/dev/null 2>&1 &
        qpid=$!
        res=
        while kill -0 $qpid 2>/dev/null && [ -z "$res" ]; do
            sleep 1
            res=$(grep -a -m 1 -oE 'login:|ALERT!.*|Gave up waiting.*' "$log" 2>/dev/null || true)
        done
        kill $qpid 2>/dev/null; wait $qpid 2>/dev/null || true
        res="${res:-no login prompt in 900 s} (after $(echo "$(now) - $t0" | bc | cut -d. -f1) s)"
        echo "boot on virtio of $(basename "$img"): $res"
    done
else
    echo "virt-v2v not installed: scripts/install-deps.sh bench"
fi
