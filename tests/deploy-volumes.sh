#!/bin/sh
# p2vkit deploy's volumes against a real libvirtd (shared: t_net_lock): an
# upload killed half way (SIGKILL, so nothing is undone) leaves a volume
# that is never used as it is; the next run refuses it, and --replace uploads it again, byte for byte.  And
# an image's format is the one its definition says, never a guess from its
# first bytes: a raw image whose first sector is a qcow2 header naming a
# backing file stays raw, and a qcow2 image with a backing file is refused.
# The thesis plan's two workloads, with small images made by qemu-img and
# one of 96 MiB of data so that the upload can be caught; nothing boots.
. "$(dirname "$0")/functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "needs root to run libvirtd"
PATH=$PATH:/usr/sbin
for p in virsh libvirtd virtlogd qemu-img; do
    command -v $p >/dev/null 2>&1 || t_skip_all "no $p (scripts/install-deps.sh installs it)"
done
t_net_lock

t_tmpdir
t_deploy_thesis dv

t_plan 16
ARGS="--default-uri qemu:///system --pool $POOL --pool-path $POOLDIR --network user"

# Images: dc01's first disk 96 MiB of data (its upload takes long enough
# to be caught), its second the lying raw disk, pbx01's a small qcow2.
mkdir "$t_tmp/images" "$t_tmp/host"
cp tests/data/deploy/images/dc01.xml "$t_tmp/images/$DC.xml"
cp tests/data/deploy/images/pbx01.xml "$t_tmp/images/$PBX.xml"
yes p2vkit | head -c 96M > "$t_tmp/big.raw"
qemu-img convert -f raw -O qcow2 "$t_tmp/big.raw" "$t_tmp/images/dc01-disk1.qcow2"
rm "$t_tmp/big.raw"
marker=SECRET-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
{ printf '%s' "$marker"; head -c 1048000 /dev/zero; } > "$t_tmp/host/secret"
qemu-img create -q -f qcow2 -b "$t_tmp/host/secret" -F raw "$t_tmp/images/dc01-disk2.raw"
truncate -s 1M "$t_tmp/images/dc01-disk2.raw"
qemu-img create -q -f qcow2 "$t_tmp/images/pbx01-disk1.qcow2" 64M

# ---------------------------------------------------------- formats
"$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" --xml-dir "$t_tmp/xml" \
    --network user >/dev/null 2>&1
t_match "a raw image with a qcow2 header stays raw (its definition says so)" \
    '<driver name="qemu" type="raw"/> *<source pool="[^"]*" volume="dc01-disk2-[0-9a-f]*.raw"/>' \
    "$(tr -d '\n' < "$t_tmp/xml/$DC.xml" 2>/dev/null)"
mkdir "$t_tmp/backed"
cp "$t_tmp/images/$DC.xml" "$t_tmp/images/$PBX.xml" "$t_tmp/backed/"
ln -s "$t_tmp"/images/dc01-disk* "$t_tmp/backed/"
qemu-img create -q -f qcow2 -b "$t_tmp/host/secret" -F raw "$t_tmp/backed/pbx01-disk1.qcow2"
err=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/backed" --xml-dir "$t_tmp/xml2" \
      --network user 2>&1); st=$?
t_match "a qcow2 image with a backing file: refused" \
    "^1 .*pbx01-disk1.qcow2: qcow2 image with a backing file: refused" "$st $err"

# ----------------------------------------------------- killed upload
"$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" $ARGS >"$t_tmp/kill.out" 2>&1 &
pid=$!
vol=
for i in $(seq 1 1000); do
    vol=$(ls "$POOLDIR"/dc01-disk1-*.qcow2 2>/dev/null) && [ -n "$vol" ] && break
    sleep 0.01
done
kill -KILL $pid
wait $pid 2>/dev/null
t_ok "the upload began (its volume appeared)" test -n "$vol"
$V pool-refresh "$POOL" >/dev/null 2>&1
t_match "the killed upload left its volume and the mark" \
    "dc01-disk1-[0-9a-f]+\.qcow2 .*dc01-disk1-[0-9a-f]+\.qcow2\.partial" \
    "$($V vol-list "$POOL" | awk '{print $1}' | sort | tr '\n' ' ')"
if cmp -s "$t_tmp/images/dc01-disk1.qcow2" "$vol"; then
    t_fail "the volume is half written" "the upload finished before the kill"
else
    t_pass "the volume is half written"
fi
t_is "no domain was defined" "" "$($V list --all --name | grep "^$pfx")"

err=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" $ARGS 2>&1); st=$?
t_match "without --replace: the unfinished volume is a problem" \
    "^1 .*volume 'dc01-disk1-[0-9a-f]+\.qcow2' in pool '$POOL' is an upload that never finished .*--replace uploads it again" \
    "$st $err"
out=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" $ARGS --dry-run --replace 2>&1)
t_match "--dry-run --replace: uploaded again, and why" \
    "upload .*dc01-disk1.qcow2 as volume dc01-disk1-[0-9a-f]+\.qcow2 .*again: an earlier upload of it never finished" "$out"
out=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" $ARGS --replace 2>&1); st=$?
t_is "--replace: exit 0" 0 "$st"
[ "$st" -eq 0 ] || printf '%s\n' "$out" | tail -5 | sed 's/^/# /'
t_match "--replace: the unfinished volume deleted and uploaded again" \
    "upload .*dc01-disk1.qcow2 as volume .*delete volume dc01-disk1-[0-9a-f]+\.qcow2 \(an upload of it never finished\).*dc01-disk1-[0-9a-f]+\.qcow2: done" \
    "$(printf '%s' "$out" | tr '\n' ' ')"
t_ok "--replace: the volume is the image, byte for byte" cmp "$t_tmp/images/dc01-disk1.qcow2" "$vol"
v=$(ls "$POOLDIR"/dc01-disk2-*.raw 2>/dev/null)
t_ok "--replace: the other volumes are their images too" sh -c \
    "cmp '$t_tmp/images/dc01-disk2.raw' '$v' && cmp '$t_tmp/images/pbx01-disk1.qcow2' $POOLDIR/pbx01-disk1-*.qcow2"
t_is "no mark is left" "" "$($V vol-list "$POOL" | awk '{print $1}' | grep partial)"
t_match "the lying raw volume is raw in libvirt" "<format type='raw'/>" \
    "$($V vol-dumpxml --pool "$POOL" "$(basename "$v")")"
t_is "both domains defined" "$DC $PBX" "$($V list --all --name | grep "^$pfx" | sort | tr '\n' ' ' | sed 's/ $//')"
out=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" $ARGS --replace 2>&1); st=$?
t_match "a second run uploads nothing" "^0 .*nothing to change" "$st $out"
t_done
