#!/bin/sh
# p2vkit inventory --ssh: real OpenSSH servers on loopback addresses
# (127.0.0.2-4, one port each), with host and user keys made here; the
# static agent is copied to each, runs there and its profile comes back.
# A fourth host that nobody serves must fail alone.
. "$(dirname "$0")/functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "needs root to run sshd"
[ -x /usr/sbin/sshd ] || t_skip_all "no /usr/sbin/sshd (openssh-server)"
command -v ssh >/dev/null 2>&1 || t_skip_all "no ssh (openssh-client)"
command -v ssh-keygen >/dev/null 2>&1 || t_skip_all "no ssh-keygen"
: "${P2VKIT_PLAIN:=$srcdir/p2vkit}"
agent=$(dirname "$P2VKIT")/p2vkit-agent
[ -x "$agent" ] || agent=$srcdir/build/p2vkit-agent
[ -x "$agent" ] || t_skip_all "no static agent built (make)"
t_net_lock

t_tmpdir
pids=
cleanup () {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -rf "$t_tmp"
}
trap cleanup EXIT

t_plan 14

ssh-keygen -q -t ed25519 -N '' -f "$t_tmp/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$t_tmp/id"
cp "$t_tmp/id.pub" "$t_tmp/authorized_keys"
mkdir -p /run/sshd
: > "$t_tmp/known_hosts"
: > "$t_tmp/hosts"
# Ports from the PID keep two runs of this test apart.
base=$((20000 + $$ % 20000))
n=0
for last in 2 3 4; do
    port=$((base + last))
    t_sshd_config "$t_tmp/sshd_config.$last" 127.0.0.$last $port
    /usr/sbin/sshd -D -e -f "$t_tmp/sshd_config.$last" 2>"$t_tmp/sshd.$last.log" &
    pids="$pids $!"
    echo "[127.0.0.$last]:$port $(cat "$t_tmp/hostkey.pub")" >> "$t_tmp/known_hosts"
    n=$((n + 1))
    echo "root@127.0.0.$last:$port srv-$n" >> "$t_tmp/hosts"
done
# Nothing listens on 127.0.0.5.
echo "root@127.0.0.5:$((base + 5))   # down" >> "$t_tmp/hosts"

# Wait until each sshd accepts connections (a readiness check, not a
# timing assertion: it gives up after a while and the test then fails).
ready=0
for i in $(seq 1 100); do
    ready=0
    for last in 2 3 4; do
        ssh -o BatchMode=yes -o UserKnownHostsFile="$t_tmp/known_hosts" \
            -o StrictHostKeyChecking=yes -o IdentityFile="$t_tmp/id" \
            -o IdentitiesOnly=yes -p $((base + last)) root@127.0.0.$last true \
            2>/dev/null && ready=$((ready + 1))
    done
    [ "$ready" -eq 3 ] && break
    sleep 0.1
done
t_is "three sshd servers accept the generated key" 3 "$ready"

sshopts="--ssh-option UserKnownHostsFile=$t_tmp/known_hosts --ssh-option StrictHostKeyChecking=yes --ssh-option IdentityFile=$t_tmp/id --ssh-option IdentitiesOnly=yes"
# shellcheck disable=SC2086
out=$("$P2VKIT" inventory --ssh "$t_tmp/hosts" --jobs 2 -o "$t_tmp/out" \
      --samples 1 --interval 1 --agent "$agent" $sshopts 2>"$t_tmp/err"); st=$?
t_is "one host down: exit 1" 1 "$st"
t_is "a progress line per host" 4 "$(printf '%s\n' "$out" | grep -c '^\[[1-4]/4\] ')"
t_match "the down host is reported" "FAILED root@127.0.0.5:[0-9]+: cannot connect: .*refused" "$out"
t_match "the summary counts the failure" "^3 of 4 servers profiled; 1 failed" "$out"
t_is "one profile per reachable server" "srv-1.yaml srv-2.yaml srv-3.yaml" "$(ls "$t_tmp/out" | tr '\n' ' ' | sed 's/ $//')"
t_ok "the profiles validate" "$P2VKIT" validate -q "$t_tmp"/out/srv-1.yaml "$t_tmp"/out/srv-2.yaml "$t_tmp"/out/srv-3.yaml
t_match "each was profiled by the remote agent, with the sampling asked" \
    "interval_s: 1" "$(cat "$t_tmp/out/srv-2.yaml")"
port3=$((base + 3))
t_match "the remote agent saw its own sshd listening" \
    "\{name: sshd, proto: tcp, port: $port3\}" "$(cat "$t_tmp/out/srv-2.yaml")"
t_match "warnings of the remote agent are passed on with the host" \
    "^p2vkit: warning: root@127.0.0.[234]:[0-9]+: " "$(cat "$t_tmp/err")"
t_is "no temporary agent folder is left on the servers" "" "$(ls -d /tmp/p2vkit.* 2>/dev/null)"

# All up: exit 0.
grep -v '127.0.0.5' "$t_tmp/hosts" > "$t_tmp/hosts.up"
# shellcheck disable=SC2086
t_ok "all hosts up: exit 0" "$P2VKIT" inventory -q --ssh "$t_tmp/hosts.up" --jobs 3 \
    -o "$t_tmp/out2" --samples 0 --agent "$agent" $sshopts

# A bad hosts file and a missing -o are refused before connecting.
echo "root@127.0.0.2:99999" > "$t_tmp/bad"
err=$("$P2VKIT" inventory --ssh "$t_tmp/bad" -o "$t_tmp/out3" --agent "$agent" 2>&1); st=$?
t_match "a bad port in the hosts file is named with its line" "^1 p2vkit: $t_tmp/bad:1: port: 99999 is out of range" "$st $err"
t_exit "--ssh without -o is a usage error" 2 "$P2VKIT" inventory --ssh "$t_tmp/hosts"
t_done
