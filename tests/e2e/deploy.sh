#!/bin/sh
# p2vkit deploy against a real libvirtd: the thesis plan (one host, two
# workloads) and a two-host plan whose second host is reached through
# qemu+ssh:// to an OpenSSH server on 127.0.0.2.  Both workloads are
# copies of the plain Debian test guest converted by p2vkit convert with
# the plan: dc01 (Windows 2003 in the plan, fully virtualized) becomes a
# Debian guest on IDE and e1000, pbx01 (the PBX, paravirtualized) a Debian
# guest on virtio.  Workload names get a prefix per run (dep<PID>-) so that
# nothing else on this libvirtd is touched; the script holds t_net_lock
# throughout, since it compares all of libvirt's domains and pools before
# and after, and its sshd has a fixed address.
#
# The guests are started and their login prompts awaited; on the first
# boot of the two-host plan's guests, the facts that convert's first-boot
# reporter writes to the serial console are read and verified against a
# profile (sshd listening, the guest's address up); a second run is a
# no-op; bad input and a failure half way (a pool folder that cannot be
# made) leave libvirt as it was, compared through virsh before and after.
. "$(dirname "$0")/../functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "needs root to run libvirtd and sshd"
for p in virsh libvirtd virtlogd virt-xml-validate qemu-system-x86_64 qemu-img; do
    command -v $p >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v $p >/dev/null 2>&1 \
        || t_skip_all "no $p (scripts/install-deps.sh installs it)"
done
PATH=$PATH:/usr/sbin
[ -x /usr/sbin/sshd ] || t_skip_all "no /usr/sbin/sshd (openssh-server)"
t_net_lock

t_tmpdir
pfx=dep$$-
DC=${pfx}dc01
PBX=${pfx}pbx01
POOL=p2vkit-test-$$
POOLDIR=/var/lib/libvirt/images/$POOL
BADPOOL=p2vkit-test-$$-bad
sshd_pid=
V="virsh -q -c qemu:///system"

cleanup () {
    for d in $DC $PBX; do
        $V destroy "$d" >/dev/null 2>&1
        $V undefine "$d" --nvram >/dev/null 2>&1 || $V undefine "$d" >/dev/null 2>&1
    done
    for p in $POOL $BADPOOL; do
        for v in $($V vol-list "$p" 2>/dev/null | awk '{print $1}'); do
            $V vol-delete --pool "$p" "$v" >/dev/null 2>&1
        done
        $V pool-destroy "$p" >/dev/null 2>&1
        $V pool-delete "$p" >/dev/null 2>&1
        $V pool-undefine "$p" >/dev/null 2>&1
    done
    [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" 2>/dev/null
    rm -rf "$t_tmp"
}
trap cleanup EXIT

# libvirtd and virtlogd as daemons when no service runs them; they are left
# running for whoever comes next (stopping a shared daemon under another
# user would be worse).
t_libvirtd

t_plan 61

# ---------------------------------------------------------------- plans
# The thesis plan, with this run's names.
# (Plans come from the plain build when there is one: they are input here.)
: "${P2VKIT_PLAIN:=$P2VKIT}"
"$P2VKIT_PLAIN" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml \
    -o "$t_tmp/thesis0.yaml" >/dev/null 2>&1
sed "s/\bdc01\b/$DC/g; s/\bpbx01\b/$PBX/g" "$t_tmp/thesis0.yaml" > "$t_tmp/thesis.yaml"
H1=$(sed -n 's/^- name: \(athlon.*\)/\1/p' "$t_tmp/thesis.yaml")
# Two hosts of 1.25 GiB: the two workloads no longer fit on one.
sed 's/memory_mib: 3072/memory_mib: 1280/; s/count: 1/count: 2/' examples/thesis/hosts.yaml \
    > "$t_tmp/hosts2.yaml"
"$P2VKIT_PLAIN" plan examples/thesis/servers --hosts "$t_tmp/hosts2.yaml" -o "$t_tmp/two0.yaml" >/dev/null 2>&1
sed "s/\bdc01\b/$DC/g; s/\bpbx01\b/$PBX/g" "$t_tmp/two0.yaml" > "$t_tmp/two.yaml"
hosts2=$(sed -n 's/^- name: \(athlon.*\)/\1/p' "$t_tmp/two.yaml" | tr '\n' ' ')
set -- $hosts2
HA=$1 HB=${2:-}
t_is "the thesis plan has one host, the two-host plan two" "1 2" \
    "$(echo $H1 | wc -w) $(echo $hosts2 | wc -w)"

# --------------------------------------------------------------- images
guest=$(tests/guests/build.sh plain 2>"$t_tmp/guest.log") || guest=
mkdir -p "$t_tmp/images"
# The two conversions side by side (each runs one TCG appliance), each into
# its own folder, then gathered into one images folder.
conv () {
    "$P2VKIT" convert -q "$guest" -o "$t_tmp/conv-$1" --name "$1" --plan "$t_tmp/thesis.yaml" \
        >"$t_tmp/convert-$1.log" 2>&1
}
if [ -n "$guest" ]; then
    conv "$DC" & dc_pid=$!
    conv "$PBX"; pbx_st=$?
    wait $dc_pid; dc_st=$?
fi
if [ -n "$guest" ] && [ "$dc_st" -eq 0 ] && [ "$pbx_st" -eq 0 ] \
   && mv "$t_tmp/conv-$DC"/* "$t_tmp/conv-$PBX"/* "$t_tmp/images/"; then
    t_pass "the plain test guest converts as $DC (full) and $PBX (paravirt)"
else
    t_fail "the plain test guest converts as $DC (full) and $PBX (paravirt)" \
        "$(tail -5 "$t_tmp/guest.log" "$t_tmp"/convert-*.log 2>/dev/null)"
fi

# What libvirt holds: domains, pools, and the volumes of every active pool.
snapshot () {
    $V list --all --name | sort
    echo --
    $V pool-list --all --name | sort
    for p in $($V pool-list --name); do
        echo "-- $p"; $V vol-list "$p" | awk '{print $1}' | sort
    done
}

URIS1="--default-uri qemu:///system --pool $POOL --pool-path $POOLDIR --network user"

# ------------------------------------------------------------ bad input
before=$(snapshot)
mkdir "$t_tmp/empty"
err=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/empty" $URIS1 2>&1); st=$?
t_is "images missing: exit 1" 1 $st
t_match "images missing: both workloads named" "no converted images for '$DC'.*
.*no converted images for '$PBX'" "$err"
t_match "images missing: nothing changed, says so" "2 problems found; nothing was changed" "$err"

err=$("$P2VKIT" deploy "$t_tmp/two.yaml" --images "$t_tmp/images" --uri "$HA=qemu:///system" \
      --pool $POOL --pool-path $POOLDIR 2>&1); st=$?
t_is "a host without a URI: exit 1" 1 $st
t_match "a host without a URI: named" "host $HB: no libvirt URI" "$err"

err=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" \
      --default-uri "qemu+ssh://root@127.0.0.9:1/system?command=$t_tmp/ssh" 2>&1); st=$?
t_is "an unreachable URI: exit 1" 1 $st
t_match "an unreachable URI: named with the host" "host $H1: cannot connect to qemu\+ssh://root@127.0.0.9:1/system" "$err"

err=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" $URIS1 --uri nosuch=qemu:///system 2>&1); st=$?
t_match "a --uri host not in the plan: exit 1, named" "^1 .*--uri: no host 'nosuch'" "$st $err"

sed 's/hypervisor: kvm/hypervisor: xen/' "$t_tmp/thesis.yaml" > "$t_tmp/xen.yaml"
err=$("$P2VKIT" deploy "$t_tmp/xen.yaml" --images "$t_tmp/images" $URIS1 2>&1); st=$?
t_match "a Xen host in the plan behind a QEMU URI: exit 1" "^1 .*runs Xen in the plan, but qemu:///system is a QEMU host" "$st $err"

cp -r "$t_tmp/images" "$t_tmp/images-broken"
rm -f "$t_tmp/images-broken/$PBX"-disk1.*
err=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images-broken" $URIS1 2>&1); st=$?
t_match "one disk image missing: exit 1, the image named" "^1 .*$PBX-disk1.qcow2: image of disk 1 of '$PBX' is missing" "$st $err"
t_is "bad input changed nothing in libvirt" "$before" "$(snapshot)"

# ------------------------------------------------ definitions, dry run
t_ok "--xml-dir writes the definitions" "$P2VKIT" deploy "$t_tmp/thesis.yaml" \
    --images "$t_tmp/images" --xml-dir "$t_tmp/xml" --pool $POOL --network user
ok=0
for f in "$t_tmp"/xml/*.xml; do virt-xml-validate "$f" domain >/dev/null 2>&1 && ok=$((ok + 1)); done
t_is "both KVM definitions validate with virt-xml-validate" 2 $ok
t_match "paravirt: virtio disk from the pool" "<source pool=\"$POOL\" volume=\"$PBX-disk1-[0-9a-f]{8}.qcow2\"/>.*<target dev=\"vda\" bus=\"virtio\"/>" \
    "$(tr -d '\n' < "$t_tmp/xml/$PBX.xml")"
t_match "full: IDE disk and e1000 NIC" "<target dev=\"hda\" bus=\"ide\"/>.*<model type=\"e1000\"/>" \
    "$(tr -d '\n' < "$t_tmp/xml/$DC.xml")"
t_match "the plan's vCPUs and memory" "<memory unit=\"MiB\">512</memory>.*<vcpu>1</vcpu>" \
    "$(tr -d '\n' < "$t_tmp/xml/$PBX.xml")"

# Xen: no Xen host is available here, so the Xen definitions are validated
# against libvirt's schema and not defined.
t_ok "--xml-dir writes Xen definitions for a Xen host" "$P2VKIT" deploy "$t_tmp/xen.yaml" \
    --images "$t_tmp/images" --xml-dir "$t_tmp/xen" --pool $POOL --pool-path /srv/xen
ok=0
for f in "$t_tmp"/xen/*.xml; do virt-xml-validate "$f" domain >/dev/null 2>&1 && ok=$((ok + 1)); done
t_is "both Xen definitions validate (no Xen host here: validated only)" 2 $ok
t_match "Xen paravirt: PV through pygrub, xvda, Xen console" \
    "<domain type=\"xen\">.*<bootloader>pygrub</bootloader>.*machine=\"xenpv\">linux</type>.*/srv/xen/$PBX-disk1-.*<target dev=\"xvda\" bus=\"xen\"/>.*<target type=\"xen\" port=\"0\"/>" \
    "$(tr -d '\n' < "$t_tmp/xen/$PBX.xml")"
t_match "Xen full: HVM through hvmloader" "machine=\"xenfv\">hvm</type>.*hvmloader" \
    "$(tr -d '\n' < "$t_tmp/xen/$DC.xml")"

out=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" $URIS1 --start --dry-run 2>&1); st=$?
t_is "--dry-run: exit 0" 0 $st
t_match "--dry-run: every action" "create pool $POOL .*upload .*define domain $DC .*<domain type=\"(qemu|kvm)\">.*autostart $DC.*start $DC.*define domain $PBX.*start $PBX.*dry run: 9 changes, none made" \
    "$(printf '%s' "$out" | tr '\n' ' ')"
t_is "--dry-run changed nothing" "$before" "$(snapshot)"

# ------------------------------------------------- interrupted
# SIGINT while the first volume uploads: the pool made and the volume
# begun are removed again.
"$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" $URIS1 --start \
    >"$t_tmp/int.out" 2>&1 &
pid=$!
for i in $(seq 1 2400); do grep -q ': upload ' "$t_tmp/int.out" && break; sleep 0.05; done
kill -INT $pid
wait $pid; st=$?
t_match "SIGINT during an upload: exit 1, undone" "^1 .*interrupted; this run's changes were undone" \
    "$st $(tr '\n' ' ' < "$t_tmp/int.out")"
t_is "... and libvirt is as it was" "$before" "$(snapshot)"

# ------------------------------------------------- the thesis plan
# (The time limits are generous for TCG boots beside make check's other
# lane on a loaded machine; when the guests boot they cost nothing.)
t0=$(date +%s)
out=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" $URIS1 \
      --verify-boot --boot-timeout 1800 2>"$t_tmp/err"); st=$?
t_is "thesis plan: deployed, started, booted: exit 0" 0 $st
[ $st -eq 0 ] || { printf '%s\n' "$out" | tail -20 | sed 's/^/# /'; tail -5 "$t_tmp/err" | sed 's/^/# /'; }
t_match "a login prompt from each guest, with seconds" "$DC: login prompt after [0-9]+ s.*$PBX: login prompt after [0-9]+ s|$PBX: login prompt after [0-9]+ s.*$DC: login prompt after [0-9]+ s" \
    "$(printf '%s' "$out" | tr '\n' ' ')"
t_match "a progress line per volume" "$H1: $DC-disk1-[0-9a-f]+.qcow2: done.*$H1: $PBX-disk1-[0-9a-f]+.qcow2: done" \
    "$(tr '\r\n' '  ' < "$t_tmp/err")"
echo "# thesis deploy and boot: $(( $(date +%s) - t0 )) s"
t_is "both domains run" "running running" "$($V domstate $DC) $($V domstate $PBX)"
t_match "autostart is on" "Autostart: +enable" "$($V dominfo $PBX)"
t_match "the pool was made at the path asked, autostart" "^$POOL +active +yes" "$($V pool-list --all | sed 's/^ *//')"
t_match "the plan's memory (768 MiB for $DC)" "Max memory: +786432 KiB" "$($V dominfo $DC)"
dtype=$($V dumpxml $DC | sed -n "s/^<domain type='\([a-z]*\)'.*/\1/p")
t_match "domain type from the host's capabilities" "^(qemu|kvm)$" "$dtype"
echo "# domain type: $dtype"
status=$("$P2VKIT" deploy --status "$t_tmp/thesis.yaml" --default-uri qemu:///system --boot-timeout 120 2>&1)
t_match "--status: defined, running, booted" "$DC +$H1 +yes +running +yes.*$PBX +$H1 +yes +running +yes" \
    "$(printf '%s' "$status" | tr '\n' ' ')"

xml_before=$($V dumpxml --inactive $DC; $V dumpxml --inactive $PBX)
snap_before=$(snapshot)
out=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" $URIS1 --start 2>&1); st=$?
t_match "a second run is a no-op and says so" "^0 .*nothing to change: every workload is deployed as planned" "$st $out"
t_is "... and changed no definition" "$xml_before" "$($V dumpxml --inactive $DC; $V dumpxml --inactive $PBX)"
t_is "... nor any volume" "$snap_before" "$(snapshot)"

# A definition that differs (another network) is reported, not replaced;
# --replace refuses while the domain runs.
err=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" --default-uri qemu:///system \
      --pool $POOL --pool-path $POOLDIR --network bridge:br-p2vkit-none 2>&1); st=$?
t_match "a different definition is reported, exit 1" "^1 .*domain '$DC' exists with a different definition \(deployed by p2vkit from other images or settings\); left as it is" "$st $err"
err=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" --default-uri qemu:///system \
      --pool $POOL --pool-path $POOLDIR --network bridge:br-p2vkit-none --replace 2>&1); st=$?
t_match "--replace refuses a running domain" "^1 .*domain '$DC' is running; shut it down" "$st $err"
t_is "... and nothing changed" "$xml_before" "$($V dumpxml --inactive $DC; $V dumpxml --inactive $PBX)"

# --replace on shut-off domains: the definitions change, the volumes stay.
$V destroy $DC >/dev/null; $V destroy $PBX >/dev/null
out=$("$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" --default-uri qemu:///system \
      --pool $POOL --pool-path $POOLDIR --network bridge:br-p2vkit-none --replace 2>&1); st=$?
t_match "--replace replaces shut-off domains' definitions" "^0 .*replace the definition of domain $DC" "$st $out"
t_match "... on the new network" "<source bridge='br-p2vkit-none'/>" "$($V dumpxml --inactive $PBX)"
t_is "... using the volumes there (no upload)" "" "$(printf '%s\n' "$out" | grep upload)"

# Back to what the plan and user networking say, for the next part.
"$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" $URIS1 --replace >/dev/null 2>&1
for d in $DC $PBX; do $V undefine $d >/dev/null 2>&1; done
for v in $($V vol-list $POOL | awk '{print $1}'); do $V vol-delete --pool $POOL "$v" >/dev/null; done
$V pool-destroy $POOL >/dev/null; $V pool-delete $POOL >/dev/null; $V pool-undefine $POOL >/dev/null
t_is "thesis domains and pool removed between the two parts" "$before" "$(snapshot)"

# ------------------------------------------- sshd on 127.0.0.2 for host 2
ssh-keygen -q -t ed25519 -N '' -f "$t_tmp/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$t_tmp/id"
cp "$t_tmp/id.pub" "$t_tmp/authorized_keys"
mkdir -p /run/sshd
port=$((20000 + $$ % 20000 + 7))
t_sshd_config "$t_tmp/sshd_config" 127.0.0.2 $port
/usr/sbin/sshd -D -e -f "$t_tmp/sshd_config" 2>"$t_tmp/sshd.log" &
sshd_pid=$!
echo "[127.0.0.2]:$port $(cat "$t_tmp/hostkey.pub")" > "$t_tmp/known_hosts"
cat > "$t_tmp/ssh_config" <<CONF
UserKnownHostsFile $t_tmp/known_hosts
StrictHostKeyChecking yes
IdentityFile $t_tmp/id
IdentitiesOnly yes
BatchMode yes
CONF
# libvirt's ssh transport runs this instead of ssh (URI parameter command=).
printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$t_tmp/ssh_config" > "$t_tmp/ssh"
chmod +x "$t_tmp/ssh"
REMOTE="qemu+ssh://root@127.0.0.2:$port/system?command=$t_tmp/ssh"
for i in $(seq 1 300); do
    "$t_tmp/ssh" -p $port root@127.0.0.2 true 2>/dev/null && break
    sleep 0.1
done
t_ok "virsh reaches libvirtd through sshd on 127.0.0.2" $V -c "$REMOTE" version

URIS2="--uri $HA=qemu:///system --uri $HB=$REMOTE --pool $POOL --pool-path $POOLDIR --network user"

# A failure half way: host 1 is done (pool made, volume uploaded, domain
# defined and started) when host 2's pool folder cannot be made.
out=$("$P2VKIT" deploy "$t_tmp/two.yaml" --images "$t_tmp/images" $URIS2 --start \
      --pool "$HB=$BADPOOL" --pool-path "$HB=/proc/p2vkit-cannot-be-made" 2>&1); st=$?
t_is "failure half way: exit 1" 1 $st
t_match "... after host 1 was deployed" "host $HA: define domain" "$out"
t_match "... names the pool folder" "cannot make the folder of pool $BADPOOL \(/proc/p2vkit-cannot-be-made\).*this run's changes were undone" "$(printf '%s' "$out" | tr '\n' ' ')"
t_is "... and leaves libvirt as it was" "$before" "$(snapshot)"

# The two-host plan, host 2 through ssh.
out=$("$P2VKIT" deploy "$t_tmp/two.yaml" --images "$t_tmp/images" $URIS2 --start 2>"$t_tmp/err2"); st=$?
t_is "two-host plan: deployed and started: exit 0" 0 $st
[ $st -eq 0 ] || { printf '%s\n' "$out" | tail -20 | sed 's/^/# /'; tail -5 "$t_tmp/err2" | sed 's/^/# /'; }

# Each guest's first boot, its serial console read from the start as
# p2vkit migrate's verify step reads it (dep_console_until, then
# mig_facts_parse and mig_verify_facts; tests/guests/facts-verify): a
# login prompt, then the block of the facts reporter that convert added,
# which must verify against a profile written for the guest (sshd on
# tcp/22, the address QEMU's user networking gives ens3).
cat > "$t_tmp/guest-profile.yaml" <<PROFILE
schema: p2vkit/profile/v1
name: p2vkit-guest
hardware:
  cpu: {cores: 1, mhz: 1000}
  memory_mib: 512
  nics:
    - {name: ens3, addresses: [10.0.2.15/24]}
services:
  - {name: sshd, proto: tcp, port: 22}
PROFILE
sed 's#addresses: \[10.0.2.15/24\]#addresses: [10.0.2.15/24, "2001:db8::10/64"]#' "$t_tmp/guest-profile.yaml" \
    > "$t_tmp/more-profile.yaml"
printf '  - {name: asterisk, proto: tcp, port: 5038}\n' >> "$t_tmp/more-profile.yaml"
bindir=$(dirname "$P2VKIT")
[ "$bindir" = "$srcdir" ] && bindir=$srcdir/build
FACTS=$bindir/tests/guests/facts-verify
t0=$(date +%s)
pids=
for d in $DC $PBX; do
    uri=qemu:///system
    $V domstate $d >/dev/null 2>&1 || uri=$REMOTE
    "$FACTS" "$uri" $d "$t_tmp/guest-profile.yaml" 1800 "$t_tmp/console-$d.txt" \
        >"$t_tmp/facts-$d.out" 2>&1 &
    pids="$pids $!"
done
sts=
for p in $pids; do wait $p; sts="$sts $?"; done
echo "# first boots read to their facts blocks: $(( $(date +%s) - t0 )) s"
n=0
for d in $DC $PBX; do grep -q ' login:' "$t_tmp/console-$d.txt" 2>/dev/null && n=$((n + 1)); done
t_is "the first boot of each guest: a login prompt on its console" 2 $n
t_is "the facts each guest reported on its console verify against its profile" " 0 0" "$sts"
[ "$sts" = " 0 0" ] || tail -8 "$t_tmp"/facts-*.out | sed 's/^/# /'
t_match "... sshd listening on tcp/22, 10.0.2.15/24 on ens3, up" \
    "listen [0-9a-f.:*]+ 22 .*address ens3 10.0.2.15/24 up" "$(tr '\n' ' ' < "$t_tmp/facts-$PBX.out")"
out=$("$FACTS" --file "$t_tmp/console-$DC.txt" "$t_tmp/more-profile.yaml" 2>&1); st=$?
t_match "a service and an address the guest lacks are named, exit 1" "^1 .*missing: tcp/5038 \(asterisk\) not listening.*missing: 2001:db8::10/64 \(ens3 on the server\) not configured on an interface that is up" \
    "$st $(printf '%s' "$out" | tr '\n' ' ')"

# The guests are up: deploy --verify-boot finds both at their prompts
# (through qemu+ssh for host 2), and changes nothing.
out=$("$P2VKIT" deploy "$t_tmp/two.yaml" --images "$t_tmp/images" $URIS2 \
      --verify-boot --boot-timeout 1800 2>"$t_tmp/err2"); st=$?
t_is "two-host plan: booted: exit 0" 0 $st
[ $st -eq 0 ] || { printf '%s\n' "$out" | tail -20 | sed 's/^/# /'; tail -5 "$t_tmp/err2" | sed 's/^/# /'; }
t_match "host 2 was deployed through qemu+ssh" "host $HB \(qemu\+ssh://root@127.0.0.2:$port/system" \
    "$("$P2VKIT" deploy "$t_tmp/two.yaml" --images "$t_tmp/images" $URIS2 --dry-run 2>&1)"
t_is "both guests showed a login prompt" 2 "$(printf '%s\n' "$out" | grep -c ': login prompt after [0-9]* s')"
status=$("$P2VKIT" deploy --status "$t_tmp/two.yaml" --uri "$HA=qemu:///system" --uri "$HB=$REMOTE" \
      --boot-timeout 120 2>&1)
t_is "--status over both URIs: two booted rows" 2 "$(printf '%s\n' "$status" | grep -cE ' yes +running +yes$')"
out=$("$P2VKIT" deploy "$t_tmp/two.yaml" --images "$t_tmp/images" $URIS2 --start 2>&1); st=$?
t_match "two-host plan: a second run is a no-op" "^0 .*nothing to change" "$st $out"

t_done
