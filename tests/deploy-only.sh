#!/bin/sh
# p2vkit deploy --only and --wave against a real libvirtd (started as
# tests/e2e/deploy.sh does when none runs): of the thesis plan's two
# workloads only the one named is checked, uploaded and defined; --status
# --only shows it alone, and --json gives it as JSON; a name not in the
# plan is refused with the nearest one.  --wave N takes the report's
# waves (the domain controller in wave 1, the PBX in wave 2), alone or
# with --only.  The images are small empty qcow2/raw files made here with
# the converter's definitions of tests/data/deploy/images: nothing boots.
# Workload names get a per-run prefix; libvirtd is shared (t_net_lock).
. "$(dirname "$0")/functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "needs root to run libvirtd"
PATH=$PATH:/usr/sbin
for p in virsh libvirtd virtlogd qemu-img python3; do
    command -v $p >/dev/null 2>&1 || t_skip_all "no $p"
done
t_net_lock

t_tmpdir
t_deploy_thesis only

t_plan 16
mkdir "$t_tmp/images"
cp tests/data/deploy/images/dc01.xml "$t_tmp/images/$DC.xml"
cp tests/data/deploy/images/pbx01.xml "$t_tmp/images/$PBX.xml"
qemu-img create -q -f qcow2 "$t_tmp/images/dc01-disk1.qcow2" 64M
qemu-img create -q -f qcow2 "$t_tmp/images/pbx01-disk1.qcow2" 64M
truncate -s 1M "$t_tmp/images/dc01-disk2.raw"
URIS="--default-uri qemu:///system --pool $POOL --pool-path $POOLDIR --network user"

# shellcheck disable=SC2086
out=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" --only "$PBX" $URIS 2>&1); st=$?
t_is "deploy --only $PBX: exit 0" 0 "$st"
t_is "only $PBX is defined" "$PBX" "$($V list --all --name | grep "^$pfx" | tr '\n' ' ' | sed 's/ $//')"
t_is "only its volume is in the pool" "pbx01-disk1" \
    "$($V vol-list "$POOL" 2>/dev/null | awk '{print $1}' | sed 's/-[^-]*$//' | sort -u | tr '\n' ' ' | sed 's/ $//')"
# Without the other workload's images: --only does not look at them.
rm "$t_tmp/images/dc01-disk1.qcow2"
# shellcheck disable=SC2086
t_ok "a second run with --only changes nothing and needs only its images" \
    "$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" --only "$PBX" $URIS
# shellcheck disable=SC2086
err=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" $URIS 2>&1); st=$?
t_match "without --only the missing image of $DC is a problem" "^1 .*$DC" "$st $err"

out=$("$P2VKIT" deploy --status "$t_tmp/plan.yaml" --only "$PBX" --default-uri qemu:///system --boot-timeout 1)
t_is "--status --only: one row" 2 "$(printf '%s\n' "$out" | wc -l)"
json=$("$P2VKIT" deploy --status "$t_tmp/plan.yaml" --default-uri qemu:///system --boot-timeout 1 --json); st=$?
t_is "--status --json: exit 0, both rows, defined true/false, state, booted null" \
    "0 $PBX True shut off None / $DC False None None" \
    "$st $(printf '%s' "$json" | python3 -c 'import json,sys
rows = {r["workload"]: r for r in json.load(sys.stdin)}
print(" / ".join("%s %s %s %s" % (n, rows[n]["defined"], rows[n]["state"], rows[n]["booted"]) for n in sorted(rows, key=lambda n: "dc01" in n)))' 2>&1)"

err=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" --only "${pfx}pbx1" --default-uri qemu:///system 2>&1); st=$?
t_is "--only NAME not in the plan: exit 1, the nearest one named" \
    "1 p2vkit: --only: no workload '${pfx}pbx1' in $t_tmp/plan.yaml (did you mean '$PBX'?)" "$st $err"
# --wave: the waves the report shows for this plan.
"$P2VKIT_PLAIN" report "$t_tmp/plan.yaml" --template "$srcdir/templates" -q --format md \
    -o "$t_tmp/report.md"
t_is "the report puts $DC in wave 1 and $PBX in wave 2" "1 2" \
    "$(for w in $DC $PBX; do grep -m1 "^| $w " "$t_tmp/report.md" | awk -F'|' '{gsub(/ /, "", $(NF-1)); printf "%s ", $(NF-1)}'; done | sed 's/ $//')"
# shellcheck disable=SC2086
t_ok "deploy --wave 2 changes nothing and needs only its wave's images" \
    "$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" --wave 2 $URIS
out=$("$P2VKIT" deploy --status "$t_tmp/plan.yaml" --wave 2 --default-uri qemu:///system --boot-timeout 1)
t_is "--status --wave 2: the row of $PBX alone" "2 $PBX" \
    "$(printf '%s\n' "$out" | wc -l) $(printf '%s\n' "$out" | sed -n 2p | awk '{print $1}')"
mkdir "$t_tmp/xml"
"$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" --xml-dir "$t_tmp/xml" --wave 2 --only "$PBX" -q
t_is "--xml-dir --wave 2 --only $PBX: exit 0, its definition alone" "0 $PBX.xml" "$? $(ls "$t_tmp/xml" | tr '\n' ' ' | sed 's/ $//')"
err=$("$P2VKIT" deploy --status "$t_tmp/plan.yaml" --wave 1 --only "$PBX" --default-uri qemu:///system 2>&1); st=$?
t_is "--only a workload of another wave: exit 1, its wave named" \
    "1 p2vkit: --only: workload '$PBX' moves in wave 2 of $t_tmp/plan.yaml, not in --wave 1" "$st $err"
err=$("$P2VKIT" deploy --status "$t_tmp/plan.yaml" --wave 3 --default-uri qemu:///system 2>&1); st=$?
t_is "--wave past the last wave: exit 1" \
    "1 p2vkit: --wave: $t_tmp/plan.yaml has 2 waves, there is no wave 3" "$st $err"

err=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" --only "$PBX," 2>&1); st=$?
t_match "--only with an empty name: usage error" "^2 p2vkit: deploy: --only: an empty workload name" "$st $err"
err=$("$P2VKIT" deploy "$t_tmp/plan.yaml" --images "$t_tmp/images" --json 2>&1); st=$?
t_match "--json without --status: usage error" "^2 .*--json goes with --status" "$st $err"
t_done
