#!/bin/sh
# p2vkit receive and capture against peers that do not play along: a flood
# of connections that drip bytes into their TLS handshake while a real
# capture goes on; a capture whose packets stop arriving (half-open); a
# receiver that stops answering.  The receiver runs in a network
# namespace behind a veth pair when one can be made, else on loopback.
# Fixed addresses: the script takes t_net_lock.
. "$(dirname "$0")/functions.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "needs root (network namespaces, tc)"
t_need qemu-nbd qemu-img psktool ip
PY=/usr/bin/python3
[ -x $PY ] || t_skip_all "python3 is not installed"
t_net_lock

t_plan 23
t_tmpdir
T=$t_tmp
ns=
rpid=
cpid=
cleanup () {
    [ -n "$cpid" ] && { kill -CONT "$cpid" 2>/dev/null; kill -KILL "$cpid" 2>/dev/null; }
    t_receiver_stop
    t_netns_del
    rm -rf "$T"
}
trap cleanup EXIT

# ---- the network: a namespace with a veth pair, or loopback ----
# The capture comes from the first address; the flood from eight others.
floods="127.0.0.10 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 127.0.0.15 127.0.0.16 127.0.0.17"
if t_netns p2vl$$ 10.213.8; then
    floods=
    for i in 10 11 12 13 14 15 16 17; do
        ip addr add 10.213.8.$i/24 dev "$veth" && floods="$floods 10.213.8.$i"
    done
fi
first_flood=$(echo $floods | cut -d' ' -f1)

# wait_for FILE PATTERN TENTHS: until FILE matches, at most TENTHS/10 s.
wait_for () {
    i=0
    while ! grep -Eq -- "$2" "$1" 2>/dev/null && [ $i -lt "$3" ]; do
        sleep 0.1; i=$((i + 1))
    done
    grep -Eq -- "$2" "$1" 2>/dev/null
}
# resume_completes NAME: capture --resume of NAME exits 0, and its image
# is the source's.
resume_completes () {
    t_capture "$T/src.img" "$1" --tls-psk "$T/key.psk" --resume -q > "$T/$1.resume.out" 2> "$T/$1.resume.err"
    st=$?
    t_is "capture --resume then completes" 0 "$st"
    [ $st -eq 0 ] || sed 's/^/# /' "$T/$1.resume.err"
    t_ok "... to an identical image" \
        qemu-img compare -q -f raw -F qcow2 "$T/src.img" "$T/recv/$1/disk0.qcow2"
}
# Seconds since the epoch, with a fraction.
now () { date +%s.%N; }
elapsed () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

psktool -u alice -p "$T/key.psk" >/dev/null 2>&1

# A 512 MiB disk with 96 MiB of data: 6 MiB at the start of each of its
# 16 chunks (32 MiB).  A capture sends 3 chunks at a time, so on a slowed
# link they are confirmed in rounds: after the first, most of the capture
# is still to come (with all the data in the first 3 chunks, they were
# confirmed together at the end, and a cut "part way" came too late).
truncate -s 512M "$T/src.img"
for k in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    head -c 6291456 /dev/urandom |
        dd of="$T/src.img" bs=1M seek=$((k * 32)) conv=notrunc status=none
done

# The drippers: each connection sends one byte every 2 s of a TLS
# handshake record that announces 512 bytes, and never finishes it.
# drip.py HOST PORT SECONDS N once|again ADDR...: N connections per
# address (in turn) for SECONDS at most (until the file $T/stop exists),
# with "again" each reconnecting 0.5 s after it is closed; prints per
# connection its source, how long it lived once connected, and whether
# it was still open at the end.
cat > "$T/drip.py" <<'EOF'
import socket, sys, threading, time
host, port, secs, n = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
again = sys.argv[5] == 'again'
addrs = sys.argv[6:]
stop = sys.argv[0].rsplit('/', 1)[0] + '/stop'
import os
def going():
    return time.monotonic() < end and not os.path.exists(stop)
end = time.monotonic() + secs
lock = threading.Lock()
out = []
def drip(src):
    while going():
        try:
            s = socket.create_connection((host, port), timeout=5, source_address=(src, 0))
        except OSError:
            time.sleep(0.5)
            continue
        t0 = time.monotonic()
        state = 'open'
        s.settimeout(0.2)
        next_byte = t0
        record = b'\x16\x03\x01\x02\x00' + b'\x00' * 512
        while going():
            try:
                if time.monotonic() >= next_byte:
                    s.send(record[:1])
                    record = record[1:]
                    next_byte += 2
                if s.recv(100) == b'':
                    state = 'closed'; break
            except socket.timeout:
                pass
            except OSError:
                state = 'closed'; break
        with lock:
            out.append('%s %.2f %s' % (src, time.monotonic() - t0, state))
        s.close()
        if not again:
            break
        if state == 'closed':
            time.sleep(0.5)
ts = []
for i in range(n):
    for a in addrs:
        t = threading.Thread(target=drip, args=(a,))
        t.start(); ts.append(t)
        time.sleep(0.02)
for t in ts:
    t.join()
print('\n'.join(out))
EOF

# ---- 1. a handshake dripped one byte at a time is cut at its deadline ----
t_receiver "$T/recv" --tls-psk "$T/key.psk" --handshake-timeout 4
$PY "$T/drip.py" "$addr" "$port" 10 4 once "$first_flood" > "$T/drip1.out" 2>&1
lives=$(awk '{ print $2 }' "$T/drip1.out" | sort -n | tr '\n' ' ')
t_is "4 dripping connections from one address were all closed by the receiver" \
    "0" "$(grep -c ' open$' "$T/drip1.out")"
# The deadline counts from the receiver's accept, after the dripper's
# connect: not before 3.5 s.  A loaded machine adds its delays (the
# accept, the dripper's turn to see the close), so the upper bound is
# 8 s: below what a connection would live without the deadline (9 s, when
# the receiver kills a session still in its handshake; 10 s, the
# dripper's own end, with a per-read timeout).
t_ok "... each after 3.5 to 8 s (the 4 s deadline), not per byte: $lives" \
    awk '$2 < 3.5 || $2 > 8 { bad = 1 } END { exit bad + (NR == 0) }' "$T/drip1.out"
# The limit as configured, however late a session process started.
t_match "the receiver logged the cut" "TLS handshake not finished within 4 s; connection closed" \
    "$(cat "$T/recv.err")"
t_receiver_stop

# ---- 2. a flood of 40 dripping connections while a real capture runs ----
# 10 from one address, then 30 from seven others: the address limit (4)
# refuses the extras of the first; the total limit (16) ends the oldest.
t_receiver "$T/recv" --tls-psk "$T/key.psk" --handshake-timeout 4
rm -f "$T/stop"
f0=$(now)
$PY "$T/drip.py" "$addr" "$port" 120 10 again "$first_flood" > "$T/drip2a.out" 2>&1 &
dpid1=$!
sleep 1
$PY "$T/drip.py" "$addr" "$port" 120 5 again $(echo $floods | cut -d' ' -f2-) > "$T/drip2b.out" 2>&1 &
dpid2=$!
# The most session processes the receiver has at once (zombies aside).
( m=0
  while kill -0 $dpid2 2>/dev/null; do
      n=$(ps --ppid "$rpid" -o stat= 2>/dev/null | grep -vc '^Z')
      [ "$n" -gt "$m" ] && m=$n && echo $m > "$T/most"
      sleep 0.1
  done ) &
spid=$!
sleep 2
t0=$(now)
t_capture "$T/src.img" flood1 --tls-psk "$T/key.psk" > "$T/cap.out" 2> "$T/cap.err"
st=$?
t1=$(now)
kill -0 $dpid1 2>/dev/null && kill -0 $dpid2 2>/dev/null
flooding=$?
# The flood goes on for 14 s at least, so that a dripper the limits
# missed would outlive the bound below.
while awk "BEGIN { exit !($(elapsed $f0 $(now)) < 14) }"; do sleep 0.2; done
touch "$T/stop"
f1=$(now)
t_is "a capture during the flood exits 0 (in $(elapsed $t0 $t1) s)" 0 "$st"
[ $st -eq 0 ] || sed 's/^/# /' "$T/cap.err"
t_is "... while the flood was still going on" 0 "$flooding"
t_ok "... and its image is identical (qemu-img compare)" \
    qemu-img compare -q -f raw -F qcow2 "$T/src.img" "$T/recv/flood1/disk0.qcow2"
wait $dpid1 $dpid2 $spid
cat "$T/drip2a.out" "$T/drip2b.out" > "$T/drip2.out"
conns=$(wc -l < "$T/drip2.out")
longest=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$T/drip2.out")
# Each lifetime is counted by the dripper from its connect: under load a
# connection waits in the listen queue before the receiver accepts it
# (its 4 s start there), and one the receiver ends for a newer one closes
# only once its session process has exited (slow with the sanitizers);
# 7.9 s was seen at a load of 4-14.  Without the limits a dripper lives
# as long as the flood (14 s at least) or the 30 s a handshake has by
# default.  The deadline itself is checked in 1, without a flood.
t_ok "$conns dripping connections, none lived past the 4 s deadline and the delays of a loaded machine (longest $longest s, at most 10)" \
    awk 'BEGIN { exit !('"$longest"' <= 10) }'
# 16 in their handshake and the capture's session, plus processes
# killed but still exiting (slow with the sanitizers on a loaded
# machine: 24 seen); without the limits, each of the 40 drippers holds one.
t_ok "the receiver had at most 32 session processes at a time ($(cat "$T/most"))" \
    test "$(cat "$T/most")" -le 32
t_match "the receiver refused connections beyond 4 from one address" \
    "connections not authenticated yet: [0-9]+ refused \(4 from $first_flood already\)" \
    "$(cat "$T/recv.err")"
t_match "and ended the oldest beyond 16 in all" \
    "[0-9]+ of the oldest ended \(16 in all\)" "$(cat "$T/recv.err")"
# Refusals are logged once a second at most, not once per connection:
# about one line per second of the flood.
flood_s=$(awk "BEGIN { printf \"%d\", $(elapsed $f0 $f1) + 1 }")
t_ok "its log of the flood is short ($(wc -l < "$T/recv.err") lines for $conns connections in about $flood_s s)" \
    test "$(grep -c 'not authenticated yet' "$T/recv.err")" -le $((flood_s + 5))
t_receiver_stop

# ---- 3. a half-open capture: its packets stop arriving ----
# With a veth the capture's packets are dropped (netem loss 100%, or an
# iptables DROP in the receiver's namespace where netem is missing), as
# when a server loses power; on loopback the capture is stopped.  The
# capture is held stopped (t_stop_when_confirmed) while its packets
# begin to be dropped, so that it is still running then; the link is
# slowed too, to keep the capture short of its end while it runs.
t_receiver "$T/recv" --tls-psk "$T/key.psk" --idle-timeout 3
[ -n "$veth" ] && tc qdisc replace dev "$veth" root tbf rate 40mbit burst 256kb latency 500ms 2>/dev/null
"$P2VKIT" capture --to "$addr:$port" --disk "$T/src.img" --name half1 \
    --tls-psk "$T/key.psk" --idle-timeout 5 > "$T/half.out" 2> "$T/half.err" &
cpid=$!
t_stop_when_confirmed $cpid "$T/recv/half1" || echo "# half1: no chunk confirmed while it ran"
if [ -n "$veth" ] && tc qdisc replace dev "$veth" root netem loss 100% 2>/dev/null; then
    how="its packets dropped"
# Without netem: every TCP packet that reaches the receiver's namespace
# dropped by the firewall there (iptables, a netfilter rule).
elif [ -n "$ns" ] && ip netns exec "$ns" iptables -I INPUT -p tcp -j DROP 2>/dev/null; then
    how="its packets dropped (iptables)"
else
    how="stopped"
fi
[ "$how" = stopped ] || kill -CONT $cpid
t0=$(now)
wait_for "$T/recv.err" "half1: capture from .*: no data for 3 s, session closed; resume with --resume" 300
st=$?
t1=$(now)
t_is "a capture $how: the receiver closes its session (after $(elapsed $t0 $t1) s, limit 3 s)" 0 "$st"
# The message says the limit was the idle one (3 s, as configured); the
# time, counted from when the capture's packets stopped (they may have
# stopped up to 0.3 s earlier, while it was held), is bounded at 3 x the
# limit: a loaded machine delays the session and this script's polling
# by seconds, not by that, and a session the limit missed stays until
# this wait gives up (30 s).
t_ok "... within 9 s" awk "BEGIN { exit !($(elapsed $t0 $t1) < 9) }"
t_ok "... its folder's lock is released" flock -n "$T/recv/half1" true
t_ok "... and its chunk map kept" test -s "$T/recv/half1/chunks"
if [ "$how" = stopped ]; then
    kill -KILL $cpid
    wait $cpid
    t_pass "the stopped capture was killed (the capture side is tested in 4)"
else
    t0=$(now)
    wait $cpid
    st=$?
    t1=$(now)
    t_match "the capture, cut off, fails ($st, $(elapsed $t0 $t1) s later) and says to resume" \
        "^1 .*--resume to continue" "$st $(tr '\n' ' ' < "$T/half.err")"
fi
cpid=
[ -n "$veth" ] && tc qdisc del dev "$veth" root 2>/dev/null
[ "$how" = "its packets dropped (iptables)" ] && ip netns exec "$ns" iptables -D INPUT -p tcp -j DROP
resume_completes half1

# ---- 4. a receiver that stops answering ----
[ -n "$veth" ] && tc qdisc replace dev "$veth" root tbf rate 40mbit burst 256kb latency 500ms 2>/dev/null
"$P2VKIT" capture --to "$addr:$port" --disk "$T/src.img" --name silent1 \
    --tls-psk "$T/key.psk" --idle-timeout 3 > "$T/silent.out" 2> "$T/silent.err" &
cpid=$!
t_stop_when_confirmed $cpid "$T/recv/silent1"
held=$?
# The receiver, its session and its qemu-nbd: all stopped; then the
# capture goes on.
kill -STOP "-$rpid"
kill -CONT $cpid
t0=$(now)
wait $cpid
st=$?
t1=$(now)
cpid=
kill -CONT "-$rpid"
[ -n "$veth" ] && tc qdisc del dev "$veth" root 2>/dev/null
t_is "held part way, then with the receiver stopped, the capture fails" "0 1" "$held $st"
# Bounded at 3 x the limit, as in 3 (4.6 s seen at a load of 5); without
# the limit the capture would wait for ever.
t_ok "... within its 3 s limit ($(elapsed $t0 $t1) s, at most 9)" awk "BEGIN { exit !($(elapsed $t0 $t1) < 9) }"
t_match "... saying so, and to resume" \
    "no data from the (receiver|other end) for 3 s.*run the same command with --resume" \
    "$(tr '\n' ' ' < "$T/silent.err")"
# The receiver, running again, sees the capture gone and lets it resume.
wait_for "$T/recv.err" "silent1: (interrupted|capture from)" 100
resume_completes silent1
t_receiver_stop

t_done
