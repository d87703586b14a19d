#!/bin/sh
# p2vkit migrate against a real libvirtd, from image sources: a plan of
# three workloads on one host, two copies of the plain Debian test guest
# (one paravirtualized, one fully virtualized) and a blank disk with no OS
# on it, run with --jobs 2.  The run is killed
# (SIGKILL) while it converts; run again, it resumes: the finished
# captures are not redone (the journal's attempts and times say so), both
# guests are deployed to qemu:///system (QEMU user networking, never
# libvirt's default network) and boot to a login prompt, while the blank
# disk's conversion fails without stopping them: exit 1, and --status
# (table and JSON) shows all three.  Bad input (a broken sources file, a
# workload with no source) starts nothing and writes no journal; --dry-run
# writes nothing either.  Two boots in all.
#
# Names get a prefix per run (mig<PID>-); the script holds t_net_lock
# throughout, since it uses libvirtd.
. "$(dirname "$0")/functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "needs root to run libvirtd"
t_need_libguestfs virsh libvirtd virtlogd qemu-system-x86_64 qemu-img
t_net_lock
t_tmpdir

pfx=mig$$-
DC=${pfx}dc
PBX=${pfx}pbx
BLANK=${pfx}blank
POOL=p2vkit-mig-$$
POOLDIR=/var/lib/libvirt/images/$POOL
V="virsh -q -c qemu:///system"
mig_pid=

cleanup () {
    [ -n "$mig_pid" ] && kill -9 "$mig_pid" 2>/dev/null
    for d in $DC $PBX $BLANK; do
        $V destroy "$d" >/dev/null 2>&1
        $V undefine "$d" >/dev/null 2>&1
    done
    for v in $($V vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
        $V vol-delete --pool "$POOL" "$v" >/dev/null 2>&1
    done
    $V pool-destroy "$POOL" >/dev/null 2>&1
    $V pool-delete "$POOL" >/dev/null 2>&1
    $V pool-undefine "$POOL" >/dev/null 2>&1
    rm -rf "$t_tmp" "$POOLDIR"
}
trap cleanup EXIT
t_libvirtd

t_plan 33
t0=$(date +%s)

# ------------------------------------------------------------ the input
# A plan of three workloads on one KVM host (as p2vkit plan writes one).
cat > "$t_tmp/plan.yaml" <<EOF
schema: p2vkit/plan/v1
summary: {workloads: 3, placed: 3, unplaced: 0, hosts_used: 1, lower_bound: 1, cost: null, watts_before: null, watts_after: null}
policy:
  percentile: 95
  headroom_pct: 20
  cpu_overcommit: 4
  memory_overcommit: 1
  ha_spare_hosts: 0
  thin_disks: false
  windows_pv_drivers: true
  allow_passthrough: true
  overhead:
    full: {cpu_pct: 10, cpu_mhz: 0, memory_mib: 64}
    paravirt: {cpu_pct: 2, cpu_mhz: 0, memory_mib: 32}
hosts:
  - name: host1
    model: lab
    hypervisor: kvm
    spare: false
    workloads: [$PBX, $DC, $BLANK]
    peak: {cpu_pct: 30, memory_pct: 60, disk_pct: 10, iops_pct: 10, net_pct: 1}
workloads:
  - name: $PBX
    host: host1
    mode: paravirt
    vcpus: 1
    memory_mib: 512
    demand: {cpu_mhz: 400, memory_mib: 512, disk_gib: 2, iops: 10, net_mbps: 1}
    reasons: ["Debian has virtio drivers: paravirtualized."]
  - name: $DC
    host: host1
    mode: full
    vcpus: 1
    memory_mib: 512
    demand: {cpu_mhz: 400, memory_mib: 512, disk_gib: 2, iops: 10, net_mbps: 1}
    reasons: ["fully virtualized."]
  - name: $BLANK
    host: host1
    mode: paravirt
    vcpus: 1
    memory_mib: 512
    demand: {cpu_mhz: 100, memory_mib: 512, disk_gib: 1, iops: 5, net_mbps: 0}
    reasons: ["paravirtualized."]
EOF
guest=$(tests/guests/build.sh plain 2>"$t_tmp/guest.log") || guest=
[ -n "$guest" ] || { cat "$t_tmp/guest.log" >&2; t_skip_all "the plain test guest could not be built"; }
qemu-img create -q -f qcow2 "$t_tmp/blank.qcow2" 1G
# What the server ran, as its profile says: sshd, and the address QEMU's
# user networking gives (verify compares the VM's first-boot facts with it).
cat > "$t_tmp/pbx-profile.yaml" <<EOF
schema: p2vkit/profile/v1
name: $PBX
hardware:
  cpu: {cores: 1, mhz: 2000}
  memory_mib: 512
  nics:
    - {name: eth0, addresses: [10.0.2.15/24]}
os:
  family: linux
services:
  - {name: sshd, proto: tcp, port: 22}
EOF
cat > "$t_tmp/sources.yaml" <<EOF
schema: p2vkit/sources/v1
sources:
  - name: $PBX
    images: [$guest]
    profile: $t_tmp/pbx-profile.yaml
  - name: $DC
    images: [$guest]
  - name: $BLANK
    images: [$t_tmp/blank.qcow2]
EOF
W=$t_tmp/work
ARGS="$t_tmp/plan.yaml --sources $t_tmp/sources.yaml --default-uri qemu:///system
      --pool $POOL --pool-path $POOLDIR --network user --jobs 2 --boot-timeout 1800"
t_ok "the plan is valid" "$P2VKIT" validate "$t_tmp/plan.yaml"
sum_before=$(sha256sum "$guest" | cut -d' ' -f1)

# ------------------------------------------------------------ bad input
sed 's/images:/imagez:/' "$t_tmp/sources.yaml" > "$t_tmp/bad.yaml"
err=$("$P2VKIT" migrate $ARGS --sources "$t_tmp/bad.yaml" --work "$t_tmp/w-bad" 2>&1); st=$?
t_is "a broken sources file: exit 1" 1 $st
t_match "a broken sources file: one line, FILE:LINE:COL" "^p2vkit: $t_tmp/bad.yaml:[0-9]+:[0-9]+: .*imagez" "$err"
t_is "a broken sources file: one line" 1 "$(printf '%s\n' "$err" | wc -l)"
t_ok "a broken sources file: nothing started, no work folder" test ! -e "$t_tmp/w-bad"

grep -v -e "name: $BLANK" -e blank.qcow2 "$t_tmp/sources.yaml" > "$t_tmp/two.yaml"
err=$("$P2VKIT" migrate $ARGS --sources "$t_tmp/two.yaml" --work "$t_tmp/w-bad" 2>&1); st=$?
t_match "a workload without a source: exit 1, named, nothing started" \
    "^1 .*$BLANK has no source.*nothing was started" "$st $(printf '%s' "$err" | tr '\n' ' ')"
t_ok "a workload without a source: no work folder" test ! -e "$t_tmp/w-bad"

out=$("$P2VKIT" migrate $ARGS --work "$W" --dry-run 2>&1); st=$?
t_match "--dry-run: the steps, host, URI and mode of each workload" \
    "^0 .*$PBX: wave 1, paravirt, .*host host1, qemu:///system; capture -> convert -> deploy -> verify.*$DC: wave [0-9]+, full" \
    "$st $(printf '%s' "$out" | tr '\n' ' ')"
t_ok "--dry-run: nothing written" test ! -e "$W"

# ------------------------------------------- killed during the conversion
# Journal fields: jget WORKLOAD STEP KEY.
jget () {
    awk -v w="$1" -v s="$2" -v k="$3" '
        $1 == "-" && $2 == "name:" { inw = ($3 == w) }
        $1 == "-" && $2 == "step:" { ins = ($3 == s) }
        inw && ins && $1 == k ":" { print $2; exit }' "$W/journal.yaml"
}
"$P2VKIT" migrate $ARGS --work "$W" >"$t_tmp/run1.log" 2>&1 &
mig_pid=$!
# Both conversions under way, a few seconds in.
i=0
while [ $i -lt 1200 ] && kill -0 $mig_pid 2>/dev/null; do
    [ "$(jget "$PBX" convert state 2>/dev/null)" = started ] \
        && [ "$(jget "$DC" convert state 2>/dev/null)" = started ] && break
    sleep 0.5; i=$((i + 1))
done
sleep 5
kill -9 $mig_pid 2>/dev/null; killed=$?
wait $mig_pid 2>/dev/null
mig_pid=
t_is "killed while both conversions run (--jobs 2)" "0 started started" \
    "$killed $(jget "$PBX" convert state) $(jget "$DC" convert state)"
cap_started=$(jget "$PBX" capture started)
t_is "the captures completed before, once each" "completed 1 completed 1" \
    "$(jget "$PBX" capture state) $(jget "$PBX" capture attempts) $(jget "$DC" capture state) $(jget "$DC" capture attempts)"
# What the killed run left running ends with it.
sleep 2
t_is "no step of the killed run is left running" "" \
    "$(pgrep -f "qemu.*$W/" 2>/dev/null; pgrep -f "qemu-img.*$W/" 2>/dev/null)"

out=$("$P2VKIT" migrate --status "$t_tmp/plan.yaml" --work "$W" 2>&1)
t_match "--status after the kill: the conversion did not end" \
    "$PBX +1 +convert +started .*convert did not end" "$out"

# ------------------------------------------------------- run again
start2=$(date +%s)
"$P2VKIT" migrate $ARGS --work "$W" >"$t_tmp/run2.log" 2>&1; st=$?
end2=$(date +%s)
t_is "run again: exit 1 (the blank disk does not convert)" 1 $st
t_match "run again: it says what did not end last time" \
    "$PBX: convert did not end last time \(attempt 1\); trying again" "$(cat "$t_tmp/run2.log")"
t_is "the capture was not redone: attempt 1, same start" "completed 1 $cap_started" \
    "$(jget "$PBX" capture state) $(jget "$PBX" capture attempts) $(jget "$PBX" capture started)"
t_is "the conversion was: attempt 2" "completed 2" \
    "$(jget "$PBX" convert state) $(jget "$PBX" convert attempts)"
t_is "both guests verified" "completed completed" \
    "$(jget "$PBX" verify state) $(jget "$DC" verify state)"
t_match "$PBX: its first boot reported sshd listening and 10.0.2.15/24, as its profile says" \
    "P2VKIT-FACTS-BEGIN v1.*:22 .*inet 10\.0\.2\.15/24 .*P2VKIT-FACTS-END" \
    "$(tr -d '\r' < "$W/$PBX/console.log" | tr '\n' ' ')"
t_match "the blank disk's conversion failed, said with its reason" \
    "p2vkit: migrate: $BLANK: convert failed: $t_tmp/blank.qcow2: no operating system" "$(cat "$t_tmp/run2.log")"
t_is "its half-made output was removed" "" "$(ls -A "$W/$BLANK" 2>/dev/null)"
t_is "the source image was not written" "$sum_before" "$(sha256sum "$guest" | cut -d' ' -f1)"
t_is "the capture recorded the image's SHA-256" "$sum_before" \
    "$(awk -v w="$PBX" '$1 == "-" && $2 == "name:" { inw = ($3 == w) } inw && /sha256:/ { print; exit }' \
        "$W/journal.yaml" | sed -n 's/.*sha256: "\{0,1\}\([0-9a-f]*\).*/\1/p')"

# The domains as planned: TCG, user networking, the mode's devices.
xml_pbx=$($V dumpxml "$PBX" 2>&1)
xml_dc=$($V dumpxml "$DC" 2>&1)
t_match "$PBX: running, paravirt (virtio), user networking" \
    "running.*type=.qemu.*bus=.virtio.*interface type=.user.*model type=.virtio" \
    "$($V domstate "$PBX") $(printf '%s' "$xml_pbx" | tr '\n' ' ')"
t_match "$DC: running, full (no virtio disk or NIC), user networking" \
    "^running .*interface type=.user." \
    "$($V domstate "$DC") $(printf '%s' "$xml_dc" | tr '\n' ' ')"
t_is "$DC: no virtio device" 0 "$(printf '%s' "$xml_dc" | grep -c "bus='virtio'\|model type='virtio'")"

# ------------------------------------------------------------- status
out=$("$P2VKIT" migrate --status "$t_tmp/plan.yaml" --work "$W" 2>&1)
t_match "--status: a table with both guests verified and the failure" \
    "WORKLOAD +WAVE +STEP +STATE +SECONDS +MISSING/WHY.*$BLANK +1 +convert +failed +[0-9]+ +$t_tmp/blank.qcow2: no operating system.*$PBX +1 +verify +completed +[0-9]+ +- .*$DC +[0-9]+ +verify +completed +[0-9]+ +-$" \
    "$(printf '%s' "$out" | tr '\n' ' ')"
json=$("$P2VKIT" migrate --status --json "$t_tmp/plan.yaml" --work "$W" 2>&1)
t_is "--status --json: the same rows" \
    "$BLANK convert failed False True|$PBX verify completed True False|$DC verify completed True False" \
    "$(printf '%s' "$json" | python3 -c '
import json, sys
print("|".join("%s %s %s %s %s" % (r["workload"], r["step"], r["state"], r["verified"],
      "no operating system" in (r["why"] or "")) for r in json.load(sys.stdin)))' 2>&1)"

# ---------------------------------------- a third run redoes nothing
before=$(cat "$W/journal.yaml")
out=$("$P2VKIT" migrate $ARGS --work "$W" --only "$PBX,$DC" 2>&1); st=$?
t_match "--only the verified two: exit 0, nothing redone" "^0 .*$PBX: verified already.*migrated: 2 workloads verified" \
    "$st $(printf '%s' "$out" | tr '\n' ' ')"
t_is "... and the journal is as it was" "$before" "$(cat "$W/journal.yaml")"

# ------------------------------------------ Ctrl-C during a conversion
# The blank disk's conversion is tried again and interrupted
# while its appliance starts: every job stops, its half-made output goes,
# the journal says "interrupted".
a0=$(jget "$BLANK" convert attempts)
"$P2VKIT" migrate $ARGS --work "$W" --only "$BLANK" >"$t_tmp/run4.log" 2>&1 &
mig_pid=$!
i=0
while [ $i -lt 600 ] && kill -0 $mig_pid 2>/dev/null; do
    [ "$(jget "$BLANK" convert attempts)" = $((a0 + 1)) ] && [ "$(jget "$BLANK" convert state)" = started ] && break
    sleep 0.5; i=$((i + 1))
done
sleep 3
kill -INT $mig_pid; wait $mig_pid; st=$?
mig_pid=
t_is "Ctrl-C: exit 1, the step recorded as interrupted" "1 failed interrupted" \
    "$st $(jget "$BLANK" convert state) $(jget "$BLANK" convert reason)"
t_is "Ctrl-C: no half-made output left" "" "$(ls -A "$W/$BLANK" 2>/dev/null)"
t_match "Ctrl-C: it says so" "interrupted; run again to resume" "$(cat "$t_tmp/run4.log")"

echo "# migrate: second run ${end2}-${start2} = $((end2 - start2)) s; whole test $(( $(date +%s) - t0 )) s"
t_done
