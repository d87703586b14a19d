#!/bin/sh
# migrate's capture step of a running server over ssh (migrate/ssh.c,
# driven by tests/guests/ssh-capture): the plain test guest booted with
# QEMU (TCG, user networking, its sshd forwarded to 127.0.0.1, a second
# disk of known data on virtio, vda, which its initramfs cannot see: sda
# stays its root disk) plays the server.  The static p2vkit-capture is
# copied to it over ssh and captures /dev/sda (root mounted read-write:
# --live; --used-only: ext4's free blocks and swap are not sent) and
# /dev/vda into a receiver on 127.0.0.1, which the guest
# reaches through QEMU's gateway 10.0.2.2.  A first capture is cancelled
# part way (as Ctrl-C would): nothing is left running or lying on the
# server.  Then `p2vkit migrate` takes the server as an ssh source: its
# capture step resumes that capture and finishes it, convert, deploy (to
# qemu:///system, user networking) and verify follow, verify comparing
# the VM's first-boot facts with the profile the capture took on the
# server (sshd listening, the server's address).  Then: vda's image
# equals vda and vda was only read, sda's image holds the guest's root
# filesystem and its first MiB (MBR and boot loader, never written while
# it runs).  Two boots (the server, its VM); 30 minutes allowed for each
# (make check's other lane runs beside them).
. "$(dirname "$0")/../functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "building test guests needs root (debootstrap)"
for p in qemu-img qemu-system-x86_64 guestfish virt-filesystems ssh ssh-keygen debootstrap virsh libvirtd virtlogd; do
    command -v $p >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
    command -v $p >/dev/null 2>&1 || t_skip_all "$p is not installed"
done
[ -x tests/guests/build.sh ] || t_skip_all "no test guest builder (tests/guests/build.sh)"
# Beside the program: build/san/p2vkit's, or ./p2vkit's in build/.
bdir=$(dirname "$P2VKIT")
[ -x "$bdir/tests/guests/ssh-capture" ] || bdir=$bdir/build
driver=$bdir/tests/guests/ssh-capture
[ -x "$driver" ] || t_skip_all "no $driver (make unit-tests builds it)"
[ -x "$bdir/p2vkit-capture" ] || t_skip_all "no static p2vkit-capture in $bdir"

t_plan 15
t_tmpdir
T=$t_tmp
qpid=
NAME=ssh$$-srv1
POOL=p2vkit-ssh-$$
POOLDIR=/var/lib/libvirt/images/$POOL
V="virsh -q -c qemu:///system"
cleanup () {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    $V destroy "$NAME" >/dev/null 2>&1
    $V undefine "$NAME" >/dev/null 2>&1
    for v in $($V vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
        $V vol-delete --pool "$POOL" "$v" >/dev/null 2>&1
    done
    $V pool-destroy "$POOL" >/dev/null 2>&1
    $V pool-delete "$POOL" >/dev/null 2>&1
    $V pool-undefine "$POOL" >/dev/null 2>&1
    rm -rf "$T" "$POOLDIR"
}
trap cleanup EXIT
t_net_lock
t_libvirtd

if ! guest=$(tests/guests/build.sh plain 2> "$T/build.err"); then
    t_fail "the plain test guest builds" "$(tail -n 5 "$T/build.err")"
    t_done
fi
start=$(date +%s)

# The server's disks: an overlay of the cached guest (never written), and
# vda, 64 MiB of which the first 40 are random.
qemu-img create -q -f qcow2 -b "$guest" -F qcow2 "$T/sda.qcow2"
head -c 40M /dev/urandom > "$T/vda.img"
truncate -s 64M "$T/vda.img"
vda_sum=$(md5sum < "$T/vda.img")
qemu-img dd -f qcow2 -O raw if="$guest" of="$T/mbr.want" bs=1M count=1

# root's key, and a host key known here: strict checking, no prompt.
ssh-keygen -q -t ed25519 -N '' -C p2vkit-test -f "$T/id"
ssh-keygen -q -t ed25519 -N '' -C p2vkit-guest -f "$T/hostkey"
guestfish -a "$T/sda.qcow2" -i <<EOF > "$T/guestfish.out" 2>&1
mkdir-p /root/.ssh
chmod 0700 /root/.ssh
upload $T/id.pub /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
upload $T/hostkey /etc/ssh/ssh_host_ed25519_key
chmod 0600 /etc/ssh/ssh_host_ed25519_key
upload $T/hostkey.pub /etc/ssh/ssh_host_ed25519_key.pub
EOF
t_is "root's key and the host key are laid onto the guest's overlay" 0 $?
laid=$(date +%s)

# A free port on the loopback for the guest's sshd.
sport=
for p in $(seq 22200 22299); do
    ss -Hltn "sport = :$p" | grep -q . || { sport=$p; break; }
done
echo "[127.0.0.1]:$sport $(cat "$T/hostkey.pub")" > "$T/known_hosts"

# The e1000 in slot 3, where the guest's /etc/network/interfaces expects
# it (ens3).
qemu-system-x86_64 -accel tcg -machine pc -m 768 -nodefaults -display none \
    -serial file:"$T/console" -no-reboot \
    -drive file="$T/sda.qcow2",format=qcow2,if=ide,index=0 \
    -drive file="$T/vda.img",format=raw,if=virtio \
    -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$sport-:22 \
    -device e1000,netdev=n0,addr=3 </dev/null >"$T/qemu.out" 2>&1 &
qpid=$!

sshopts="-o BatchMode=yes -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 -o IdentityFile=$T/id -o IdentitiesOnly=yes -o ConnectTimeout=10"
on_guest () { ssh $sshopts -p "$sport" root@127.0.0.1 "$@"; }
i=0
until on_guest true 2>/dev/null; do
    kill -0 $qpid 2>/dev/null && [ $i -lt 900 ] || break
    grep -q -a -E 'ALERT!|Gave up waiting' "$T/console" 2>/dev/null && break
    sleep 2; i=$((i + 1))
done
booted=$(date +%s)
if ! on_guest true 2>"$T/ssh.err"; then
    t_fail "the guest boots and its sshd takes root's key" "$(cat "$T/ssh.err"; tail -n 20 "$T/console")"
    t_done
fi
t_pass "the guest boots and its sshd takes root's key ($((booted - laid)) s)"

# The receiver's folder is where migrate's capture step keeps it.
W=$T/work
R=$W/captures
mkdir -p "$R"
# (exec: the driver itself is the background job that SIGINT reaches.)
capture () {
    exec "$driver" --name "$NAME" --ssh root@127.0.0.1 --port "$sport" \
        --disk /dev/sda --disk /dev/vda --live --used-only --dir "$R" \
        --listen 127.0.0.1:0 --connect-to 10.0.2.2 --program "$P2VKIT" \
        --ssh-option UserKnownHostsFile="$T/known_hosts" \
        --ssh-option StrictHostKeyChecking=yes \
        --ssh-option HostKeyAlgorithms=ssh-ed25519 \
        --ssh-option IdentityFile="$T/id" --ssh-option IdentitiesOnly=yes "$@"
}

# Cancelled once the capture sends (SIGINT: Ctrl-C).
(capture > "$T/out1" 2> "$T/err1") &
cpid=$!
i=0
while ! grep -q '^progress: /dev/sda' "$T/err1" && kill -0 $cpid 2>/dev/null && [ $i -lt 3000 ]; do
    sleep 0.2; i=$((i + 1))
done
sleep 3
kill -INT $cpid
wait $cpid
st=$?
cancelled=$(date +%s)
t_is "a cancelled capture fails" 1 "$st"
[ $st -eq 1 ] || sed 's/^/# /' "$T/err1"
t_match "it says what the receiver keeps" "capture cancelled; what the receiver confirmed is kept" \
    "$(tail -n 1 "$T/err1")"
sleep 2
t_is "nothing of it runs or lies on the server, its filesystems thawed" \
    "none" "$(on_guest 'pgrep -x p2vkit-capture; ls -d /tmp/p2vkit.* 2>/dev/null; timeout 60 touch /root/thawed && echo none')"
t_is "no receiver is left running here" "" "$(pgrep -f "receive --listen 127.0.0.1:0 --dir $R")"

# migrate, the server as an ssh source: a plan of one workload.
cat > "$T/plan.yaml" <<EOF
schema: p2vkit/plan/v1
summary: {workloads: 1, placed: 1, unplaced: 0, hosts_used: 1, lower_bound: 1, cost: null, watts_before: null, watts_after: null}
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
    workloads: [$NAME]
    peak: {cpu_pct: 30, memory_pct: 60, disk_pct: 10, iops_pct: 10, net_pct: 1}
workloads:
  - name: $NAME
    host: host1
    mode: paravirt
    vcpus: 1
    memory_mib: 512
    demand: {cpu_mhz: 400, memory_mib: 512, disk_gib: 2, iops: 10, net_mbps: 1}
    reasons: ["Debian has virtio drivers: paravirtualized."]
EOF
cat > "$T/sources.yaml" <<EOF
schema: p2vkit/sources/v1
sources:
  - name: $NAME
    ssh: root@127.0.0.1
    port: $sport
    disks: [/dev/sda, /dev/vda]
EOF
"$P2VKIT" migrate "$T/plan.yaml" --sources "$T/sources.yaml" --work "$W" \
    --default-uri qemu:///system --pool "$POOL" --pool-path "$POOLDIR" \
    --network user --boot-timeout 1800 --listen 127.0.0.1:0 \
    --ssh-option UserKnownHostsFile="$T/known_hosts" \
    --ssh-option StrictHostKeyChecking=yes \
    --ssh-option HostKeyAlgorithms=ssh-ed25519 \
    --ssh-option IdentityFile="$T/id" --ssh-option IdentitiesOnly=yes \
    > "$T/migrate.out" 2> "$T/migrate.err"
st=$?
done_at=$(date +%s)
t_is "migrate takes the server over ssh to a verified VM" 0 "$st"
[ $st -eq 0 ] || sed 's/^/# /' "$T/migrate.out" "$T/migrate.err"
t_match "its capture step resumed the cancelled capture" "resuming the capture" \
    "$(cat "$T/migrate.out" "$T/migrate.err")"
t_is "the capture made an image per disk, in the journal" "$R/$NAME/disk0.qcow2 $R/$NAME/disk1.qcow2" \
    "$(sed -n "s|.*path: \"\{0,1\}\($R/$NAME/disk[0-9].qcow2\).*|\1|p" "$W/journal.yaml" | tr '\n' ' ' | sed 's/ $//')"
t_match "verify compared the VM with the profile the capture took: the server's address, sshd" \
    "10\.0\.2\.15/24.*sshd.*tcp.*22" \
    "$(tr '\n' ' ' < "$R/$NAME/profile.yaml")"
t_match "... and the VM's first boot reported both" \
    "P2VKIT-FACTS-BEGIN v1.*:22 .*inet 10\.0\.2\.15/24 .*P2VKIT-FACTS-END" \
    "$(tr -d '\r' < "$W/$NAME/console.log" | tr '\n' ' ')"

t_ok "vda's image equals vda" qemu-img compare -q -f raw -F qcow2 "$T/vda.img" "$R/$NAME/disk1.qcow2"
t_is "vda was only read" "$vda_sum" "$(md5sum < "$T/vda.img")"
qemu-img dd -f qcow2 -O raw if="$R/$NAME/disk0.qcow2" of="$T/mbr.got" bs=1M count=1
t_ok "sda's image starts with the guest's MBR and boot loader" cmp -s "$T/mbr.want" "$T/mbr.got"
t_is "sda's image holds its root filesystem" "p2vkit-guest" \
    "$(guestfish --ro -a "$R/$NAME/disk0.qcow2" -i cat /etc/hostname 2>&1)"

echo "# guestfish $((laid - start)) s, boot $((booted - laid)) s, capture $((cancelled - booted)) s, migrate $((done_at - cancelled)) s, checks $(($(date +%s) - done_at)) s"
t_done
