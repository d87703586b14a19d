# Shared by the shell tests: TAP output, the program under test, and
# scratch folders.  A test script sources this, calls t_plan, then t_*.
#
#   P2VKIT   the program to test (make check sets it; default ./p2vkit)
#   srcdir   the top of the source tree (default: the folder above tests/,
#            also for scripts in its subfolders)

set -u
: "${srcdir:=$(d=$(dirname "$0")/..; [ -f "$d/tests/functions.sh" ] || d=$d/..; cd "$d" && pwd)}"
: "${P2VKIT:=$srcdir/p2vkit}"
cd "$srcdir" || exit 1

t_count=0
t_failed=0

t_plan () { echo "1..$1"; }

t_pass () { t_count=$((t_count + 1)); echo "ok $t_count - $1"; }

t_fail () {
    t_count=$((t_count + 1)); t_failed=$((t_failed + 1))
    echo "not ok $t_count - $1"
    shift
    for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /'; done
}

# t_ok DESC CMD...: CMD exits 0.
t_ok () {
    t__desc=$1; shift
    if t__out=$("$@" 2>&1); then t_pass "$t__desc"; else t_fail "$t__desc" "exit $?: $t__out"; fi
}

# t_exit DESC STATUS CMD...: CMD exits with STATUS.
t_exit () {
    t__desc=$1 t__want=$2; shift 2
    t__out=$("$@" 2>&1); t__got=$?
    if [ "$t__got" -eq "$t__want" ]; then t_pass "$t__desc"
    else t_fail "$t__desc" "exit $t__got, wanted $t__want: $t__out"; fi
}

# t_is DESC EXPECTED ACTUAL
t_is () {
    if [ "$2" = "$3" ]; then t_pass "$1"
    else t_fail "$1" "expected: $2" "     got: $3"; fi
}

# t_match DESC PATTERN TEXT (grep -E pattern)
t_match () {
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then t_pass "$1"
    else t_fail "$1" "pattern: $2" "   text: $3"; fi
}

# t_golden DESC EXPECTED ACTUAL: ACTUAL (a file or a folder) is the same as
# EXPECTED (diff -ru); with regen=true, ACTUAL is copied over EXPECTED
# instead (the scripts' --regen).
t_golden () {
    if ${regen:-false}; then
        rm -rf "$2"
        mkdir -p "$(dirname "$2")"
        cp -R "$3" "$2"
        t_pass "regenerated $2"
    elif t__diff=$(diff -ru "$2" "$3" 2>&1); then
        t_pass "$1"
    else
        t_fail "$1" "$t__diff"
    fi
}

# t_need PROGRAM...: skip the script unless each PROGRAM is on $PATH
# (/sbin and /usr/sbin added to it if need be).
t_need () {
    for t__p; do
        command -v "$t__p" >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
        command -v "$t__p" >/dev/null 2>&1 || t_skip_all "$t__p is not installed"
    done
}

# t_need_libguestfs PROGRAM...: t_need, and libguestfs installed.
t_need_libguestfs () {
    t_need "$@"
    [ -e /usr/include/guestfs.h ] || t_skip_all "libguestfs is not installed"
}

# A scratch folder removed at exit.
t_tmpdir () {
    t_tmp=$(mktemp -d "${TMPDIR:-/tmp}/p2vkit-test.XXXXXX")
    trap 'rm -rf "$t_tmp"' EXIT
}

t_done () {
    [ "$t_failed" -eq 0 ]
    exit $?
}

# t_receiver_port FILE: wait (up to 30 s) for `p2vkit receive` to say
# "listening on ADDR:PORT ..." in FILE, then print PORT (nothing if it
# never did).
t_receiver_port () {
    t__i=0
    while ! grep -q '^listening on' "$1" && [ $t__i -lt 300 ]; do
        sleep 0.1; t__i=$((t__i + 1))
    done
    sed -n 's/^listening on [^ ]*:\([0-9]*\) .*/\1/p' "$1"
}

# t_stop_group PID: end the process group PID leads (a receiver, its
# sessions and their qemu-nbd), stopped or not, and reap PID.
t_stop_group () {
    kill -CONT "-$1" 2>/dev/null
    kill -TERM "-$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# t_netns NAME NET: a network namespace NAME holding one end (NAMEb,
# NET.2/24) of a veth pair whose other end (NAMEa, NET.1/24) stays here;
# sets ns=NAME, addr=NET.2, run_recv="ip netns exec NAME" and veth=NAMEa.
# Where it cannot be made, loopback: addr=127.0.0.1, ns, run_recv and veth
# empty, and returns 1.  t_netns_del removes it.
t_netns () {
    ns=$1 addr=127.0.0.1 run_recv= veth=
    if ip netns add "$ns" 2>/dev/null \
       && ip link add "${ns}a" type veth peer name "${ns}b" 2>/dev/null \
       && ip link set "${ns}b" netns "$ns" \
       && ip addr add "$2.1/24" dev "${ns}a" && ip link set "${ns}a" up \
       && ip netns exec "$ns" ip addr add "$2.2/24" dev "${ns}b" \
       && ip netns exec "$ns" ip link set "${ns}b" up \
       && ip netns exec "$ns" ip link set lo up; then
        addr=$2.2
        run_recv="ip netns exec $ns"
        veth=${ns}a
        return 0
    fi
    ip netns del "$ns" 2>/dev/null
    ns=
    return 1
}

t_netns_del () {
    [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
    [ -n "$ns" ] && ip link del "${ns}a" 2>/dev/null
}

# t_receiver DIR [OPTION...]: `p2vkit receive --listen $addr:0 --dir DIR`
# (DIR made, and relative to $t_tmp) through $run_recv (empty, or
# t_netns's), in the background, in its own process group, its output in
# $t_tmp/recv.out and recv.err; $LIMIT: a file size limit for it (ulimit
# -f, KiB).  Sets rpid and port; t_receiver_stop ends it.
t_receiver () {
    t__d=$1; shift
    : > "$t_tmp/recv.out"
    (cd "$t_tmp" && mkdir -p "$t__d" && trap '' XFSZ && ulimit -f "${LIMIT:-unlimited}" \
        && exec setsid ${run_recv:-} "$P2VKIT" receive --listen "$addr:0" --dir "$t__d" "$@" \
        > "$t_tmp/recv.out" 2> "$t_tmp/recv.err") &
    rpid=$!
    port=$(t_receiver_port "$t_tmp/recv.out")
}

# t_receiver_stop: the receiver, its sessions and their qemu-nbd (the
# process group it leads), if t_receiver started one.
t_receiver_stop () {
    [ -n "${rpid:-}" ] || return 0
    t_stop_group "$rpid"
    rpid=
}

# t_capture DISK NAME [OPTION...]: `p2vkit capture` of DISK as NAME to the
# receiver at $addr:$port.
t_capture () {
    t__disk=$1 t__name=$2; shift 2
    "$P2VKIT" capture --to "$addr:$port" --disk "$t__disk" --name "$t__name" "$@"
}

# t_stop_when_confirmed PID FOLDER: stop the capture PID (SIGSTOP; the
# caller resumes or kills it) once the receiver has confirmed some of its
# chunks (FOLDER/chunks has a line), so that a test can cut it part way;
# 0 when PID is then stopped and the capture not complete: it cannot end
# before the cut, however loaded the machine.  1 when PID ended or
# completed first (the receiver writes its chunk map every 5 s at most: a
# capture faster than that is over before), or after a minute.  PID runs
# freely until then: stopping it again and again while it starts up made
# it fail.
t_stop_when_confirmed () {
    t__i=0
    while ! grep -q . "$2/chunks" 2>/dev/null && [ $t__i -lt 600 ]; do
        sleep 0.1; t__i=$((t__i + 1))
    done
    kill -STOP "$1" 2>/dev/null || return 1
    # Until it is stopped (T); Z (kill works on a zombie too) or gone: it
    # ended.
    t__i=0
    while t__s=$(ps -o stat= -p "$1" 2>/dev/null); [ $t__i -lt 40 ]; do
        case $t__s in T*|Z*|'') break ;; esac
        sleep 0.05; t__i=$((t__i + 1))
    done
    case $t__s in T*) ;; *) return 1 ;; esac
    [ ! -e "$2/complete" ] && grep -q . "$2/chunks" 2>/dev/null
}

# t_net_lock: hold the lock of the machine's shared test resources
# ($P2VKIT_NET_LOCK, /tmp/p2vkit-net.lock) until the script ends; else
# fail the script after an hour.  Every test that uses libvirtd, network
# namespaces or fixed loopback addresses and ports takes it before it
# starts any of them, so that such tests never overlap: in make check's
# two lanes, or in two runs on one machine.  Under `flock LOCK prove ...`
# (or make check) the script inherits flock(1)'s descriptor, which holds
# the lock already (a second open of it would wait for ever): the tests
# under that one holder then take LOCK.inner among themselves.  The
# descriptor (9) is passed on to the script's children; daemons must not
# keep it (t_libvirtd).
t_net_lock () {
    t__lock=${P2VKIT_NET_LOCK:-/tmp/p2vkit-net.lock}
    for t__f in /proc/$$/fd/*; do
        if [ "$(readlink "$t__f" 2>/dev/null)" = "$t__lock" ]; then
            t__lock=$t__lock.inner
            break
        fi
    done
    { exec 9>>"$t__lock"; } 2>/dev/null || exec 9<"$t__lock" || exit 1
    flock -w "${P2VKIT_NET_LOCK_WAIT:-3600}" 9 && return 0
    echo "1..1"
    echo "not ok 1 - $t__lock: still held by another test after ${P2VKIT_NET_LOCK_WAIT:-3600} s"
    exit 1
}

# t_libvirtd: libvirtd and virtlogd running (started here when no service
# did), answering on qemu:///system; else skip the script.  Started without
# this script's descriptors: they would hold t_net_lock's lock for as long
# as they run.  A minute to answer: they start slowly on a loaded machine.
t_libvirtd () {
    for t__d in virtlogd libvirtd; do
        pgrep -x $t__d >/dev/null && continue
        # (sh cannot close descriptors above 9 itself; perl runs prove anyway)
        perl -e 'use POSIX (); POSIX::close($_) for 3 .. 1023; exec @ARGV or die "$ARGV[0]: $!\n"' $t__d -d
    done
    for t__i in $(seq 1 300); do
        virsh -q -c qemu:///system version >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    t_skip_all "libvirtd does not answer on qemu:///system"
}

# t_deploy_thesis NAME: after t_tmpdir, for a deploy of examples/thesis to
# qemu:///system under names no other run uses: its workloads DC and PBX
# (pfx=NAME$$- before dc01 and pbx01), the pool POOL (p2vkit-NAME-$$) in
# POOLDIR, V to run virsh there, and the plan under those names in
# $t_tmp/plan.yaml.  All of it is removed at exit; skips the script
# without libvirtd (t_libvirtd).
t_deploy_thesis () {
    pfx=$1$$-
    DC=${pfx}dc01
    PBX=${pfx}pbx01
    POOL=p2vkit-$1-$$
    POOLDIR=$t_tmp/pool
    V="virsh -q -c qemu:///system"
    trap t__deploy_clean EXIT
    t_libvirtd
    : "${P2VKIT_PLAIN:=$P2VKIT}"
    "$P2VKIT_PLAIN" plan -q examples/thesis/servers --hosts examples/thesis/hosts.yaml \
        -o "$t_tmp/plan0.yaml" 2>/dev/null
    sed "s/\bdc01\b/$DC/g; s/\bpbx01\b/$PBX/g" "$t_tmp/plan0.yaml" > "$t_tmp/plan.yaml"
}
t__deploy_clean () {
    for t__d in $DC $PBX; do
        $V destroy "$t__d" >/dev/null 2>&1
        $V undefine "$t__d" >/dev/null 2>&1
    done
    for t__v in $($V vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
        $V vol-delete --pool "$POOL" "$t__v" >/dev/null 2>&1
    done
    $V pool-destroy "$POOL" >/dev/null 2>&1
    $V pool-undefine "$POOL" >/dev/null 2>&1
    rm -rf "$t_tmp"
}

# t_sshd_config FILE ADDR PORT: the configuration of a test sshd on
# ADDR:PORT with the host key $t_tmp/hostkey, taking root logins only with
# a key in $t_tmp/authorized_keys.
t_sshd_config () {
    cat > "$1" <<CONF
Port $3
ListenAddress $2
HostKey $t_tmp/hostkey
PidFile none
AuthorizedKeysFile $t_tmp/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
CONF
}

# t_skip_all REASON: skip the whole script when a real prerequisite is
# missing, saying which: TAP's empty plan "1..0 # SKIP REASON" and exit 0,
# which prove counts as skipped (not automake's exit 77).
t_skip_all () { echo "1..0 # SKIP $1"; exit 0; }
