#!/bin/sh
# The receiver against its own clients: each capture's disks take only
# that session's key, what is stored is verified at DONE, and what a
# client sends reaches no terminal, no other folder and does not end
# --once.  On loopback, with qemu-nbd, libnbd (python3-libnbd), gnutls-cli
# and qemu-img for real.
. "$(dirname "$0")/functions.sh"

t_need qemu-nbd qemu-img psktool gnutls-cli
PY=/usr/bin/python3
$PY -c 'import nbd' 2>/dev/null || t_skip_all "python3-libnbd is not installed"

t_plan 39
t_tmpdir
T=$t_tmp
addr=127.0.0.1
rpid=
wpid=
gpid=
cleanup () {
    [ -n "$gpid" ] && kill "$gpid" 2>/dev/null
    [ -n "$wpid" ] && kill "$wpid" 2>/dev/null
    t_receiver_stop
    rm -rf "$T"
}
trap cleanup EXIT

capture () {
    "$P2VKIT" capture --to "$addr:$port" --disk "$T/src.img" -q "$@"
}

psktool -u alice -p "$T/key.psk" >/dev/null 2>&1
chmod 600 "$T/key.psk"
key=$(cut -d: -f2 "$T/key.psk")
# 100 MiB, 5 MiB of data in its second chunk.
truncate -s 100M "$T/src.img"
head -c 5242880 /dev/urandom | dd of="$T/src.img" bs=1M seek=40 conv=notrunc 2>/dev/null

cat > "$T/client.py" <<'PY'
# A client of the control protocol without TLS, and an NBD client.
import hashlib, socket, sys, nbd
CHUNK, BLOCK = 32 << 20, 64 << 10

def announce(host, port, name, size, label, profile):
    s = socket.create_connection((host, port))
    f = s.makefile('rwb')
    f.write(b'P2VKIT/1\n'); f.flush(); f.readline()
    f.write(b'CAPTURE %s NEW 1 %d\nDISK %d %s\n' % (name, len(profile), size, label)
            + profile)
    f.flush()
    return s, f, f.readline().decode().strip()

def chunk_sum(data):
    d = b''
    for o in range(0, len(data), BLOCK):
        b = data[o:o + BLOCK]
        d += bytes(32) if b.count(0) == len(b) else hashlib.sha256(b).digest()
    return hashlib.sha256(d).hexdigest()

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == 'tamper':
    # Send SRC honestly, every chunk confirmed, then change a confirmed
    # chunk through the same export and say DONE.
    src, profile = sys.argv[4], open(sys.argv[5], 'rb').read()
    data = open(src, 'rb').read()
    s, f, reply = announce(host, port, b'tamper', len(data), b'src.img', profile)
    print('announce', reply)
    h = nbd.NBD()
    h.connect_tcp(host, reply.split()[1])
    for k in range(0, (len(data) + CHUNK - 1) // CHUNK):
        c = data[k * CHUNK:(k + 1) * CHUNK]
        for o in range(0, len(c), 1 << 20):
            piece = c[o:o + (1 << 20)]
            if piece.count(0) != len(piece):
                h.pwrite(piece, k * CHUNK + o)
        h.flush()
        f.write(b'SUM 0 %d %s\n' % (k, chunk_sum(c).encode())); f.flush()
        print('sum', k, f.readline().decode().strip())
    h.pwrite(b'X' * 4096, 40 << 20)
    h.flush()
    h.shutdown()
    f.write(b'DONE\n'); f.flush()
    print('done', f.readline().decode().strip())
elif mode == 'nbd':
    # Connect to an export with a key file and write to it.
    psk, user = sys.argv[4], sys.argv[5]
    h = nbd.NBD()
    h.set_tls(nbd.TLS_REQUIRE)
    h.set_tls_psk_file(psk)
    h.set_tls_username(user)
    try:
        h.connect_tcp(host, str(port))
        h.pwrite(b'Y' * 512, 0)
        print('written')
    except nbd.Error as e:
        print('refused:', e)
elif mode == 'escape':
    profile = open(sys.argv[4], 'rb').read()
    s, f, reply = announce(host, port, b'a\x1b[31mX', 1 << 20, b'sda', profile)
    print('name', reply)
    s, f, reply = announce(host, port, b'esc2', 1 << 20, b'sd\x1b[2Ja', profile)
    print('label', reply)
    s, f, reply = announce(host, port, b'esc1', 1 << 20, b'sda',
                           profile.replace(b'name: web1', b'name: esc1'))
    print('announce', reply)
    f.write(b'\x1b]0;owned\x07\x9b31m\n'); f.flush()
    print('unknown', f.readline().decode().strip())
    s, f, reply = announce(host, port, b'other1', 1 << 20, b'sda', profile)
    print('profile', reply)
elif mode == 'scan':
    # A port scan: connect and close; then a line without TLS.
    socket.create_connection((host, port)).close()
    s = socket.create_connection((host, port))
    s.sendall(b'P2VKIT/1\n'); s.recv(100); s.close()
    print('scanned')
PY

# ---- 1. a relative --dir with TLS (#7); what a session makes is 0640 ----
t_receiver recv --tls-psk "$T/key.psk"
capture --name web1 --tls-psk "$T/key.psk" 2> "$T/cap.err"
st=$?
t_is "receive --dir RELATIVE --tls-psk: the capture exits 0" 0 "$st"
[ $st -eq 0 ] || sed 's/^/# /' "$T/cap.err" "$T/recv.err"
t_ok "... and the image arrives identical" \
    qemu-img compare -q -f raw -F qcow2 "$T/src.img" "$T/recv/web1/disk0.qcow2"
t_match "the stored image was verified at DONE" "web1: verified 4 chunk\(s\) as stored" "$(cat "$T/recv.out")"
t_is "the qcow2 image is 0640, as the other files (umask 022)" \
    "640 640 640 640" \
    "$(stat -c %a "$T/recv/web1/disk0.qcow2" "$T/recv/web1/chunks" "$T/recv/web1/profile.yaml" "$T/recv/web1/complete" | tr '\n' ' ' | sed 's/ $//')"
t_ok "no credentials folder is left" test ! -e "$T/recv/web1/.tls"
sed 's/^name: .*/name: victim/' "$T/recv/web1/profile.yaml" > "$T/victim.yaml"
sed 's/^name: .*/name: tamper/' "$T/recv/web1/profile.yaml" > "$T/tamper.yaml"

# ---- 2. a second key holder and a running session's disks (#3) ----
# (An absolute --dir: this holds whatever became of relative ones.)
t_receiver_stop
t_receiver "$T/recv" --tls-psk "$T/key.psk"
# gnutls-cli holds a session open (the same key file), announcing victim.
mkfifo "$T/ctl"
(printf 'P2VKIT/1\nCAPTURE victim NEW 1 %d\nDISK 104857600 src.img\n' \
    "$(wc -c < "$T/victim.yaml")"; cat "$T/victim.yaml"; sleep 60) > "$T/ctl" &
wpid=$!
gnutls-cli --pskusername=alice --pskkey="$key" \
    --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+ECDHE-PSK:+DHE-PSK:+PSK' \
    -p "$port" "$addr" < "$T/ctl" > "$T/gcli.out" 2>&1 &
gpid=$!
i=0
# Up to 30 s: gnutls-cli and the session start slowly on a loaded machine.
while ! grep -q '^OK [0-9]' "$T/gcli.out" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
reply=$(grep '^OK [0-9]' "$T/gcli.out")
nport=$(echo "$reply" | cut -d' ' -f2)
skey=$(echo "$reply" | cut -d' ' -f3)
t_match "the CAPTURE reply gives the port and this session's key" \
    "^OK [0-9]+ p2vkit-[0-9a-f]+:[0-9a-f]{64}$" "$reply"
t_is "qemu-nbd's key is the session's own file, 0600, not the key file" \
    "regular file 600" "$(stat -c '%F %a' "$T/recv/victim/.tls/keys.psk" 2>&1)"
$PY "$T/client.py" nbd "$addr" "${nport:-1}" "$T/key.psk" alice > "$T/holder.out" 2>&1
t_match "another holder of the receiver's key cannot connect to its disk" \
    "^refused: .*(TLS|handshake|PSK|psk)" "$(cat "$T/holder.out")"
printf '%s\n' "$skey" > "$T/session.psk"; chmod 600 "$T/session.psk"
$PY "$T/client.py" nbd "$addr" "${nport:-1}" "$T/session.psk" "${skey%%:*}" > "$T/own.out" 2>&1
t_is "the session's key can (the export is there)" "written" "$(cat "$T/own.out")"
kill "$gpid" "$wpid" 2>/dev/null; wait "$gpid" "$wpid" 2>/dev/null; gpid= wpid=
i=0
while [ -e "$T/recv/victim/.tls" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_ok "the session's key is gone with the session" test ! -e "$T/recv/victim/.tls"

# ---- 3. a symbolic link as a capture's .tls is refused (#8) ----
mkdir -p "$T/recv/fab" "$T/elsewhere"
printf '0 104857600 src.img\n' > "$T/recv/fab/disks"
truncate -s 100M "$T/recv/fab/disk0.raw"
ln -s "$T/elsewhere" "$T/recv/fab/.tls"
capture --name fab --resume --tls-psk "$T/key.psk" 2> "$T/fab.err"
t_is "resuming a capture whose .tls is a symbolic link exits 1" 1 $?
t_match "... refusing the link" "\.tls: a symbolic link or not a folder" "$(cat "$T/fab.err")"
t_is "nothing was written where it points" "" "$(ls -A "$T/elsewhere")"
t_receiver_stop

# ---- 4. an image changed after its chunks were confirmed (#3) ----
t_receiver plain
$PY "$T/client.py" tamper "$addr" "$port" "$T/src.img" "$T/tamper.yaml" > "$T/tamper.out" 2>&1
t_is "every chunk was confirmed" "sum 0 OK sum 1 OK sum 2 OK sum 3 OK" \
    "$(grep '^sum' "$T/tamper.out" | tr '\n' ' ' | sed 's/ $//')"
t_match "DONE after a confirmed chunk changed is refused" \
    "^done ERR 1 chunk\(s\) changed on the receiver after they were confirmed \(first: disk0 chunk 1\)" \
    "$(cat "$T/tamper.out")"
t_ok "... not marked complete" test ! -e "$T/plain/tamper/complete"
t_ok "... no qcow2 image made" test ! -e "$T/plain/tamper/disk0.qcow2"
t_match "the chunk is withdrawn from the chunk map" "^0 1 -$" "$(cat "$T/plain/tamper/chunks")"
capture --name tamper --resume > "$T/tres.out" 2> "$T/tres.err"
st=$?
t_is "a resume then completes" 0 "$st"
[ $st -eq 0 ] || sed 's/^/# /' "$T/tres.err"
t_ok "... with the image identical to the source" \
    qemu-img compare -q -f raw -F qcow2 "$T/src.img" "$T/plain/tamper/disk0.qcow2"

# ---- 5. client bytes reach no terminal or log unescaped; a profile of
# another server is refused (#8) ----
$PY "$T/client.py" escape "$addr" "$port" "$T/recv/web1/profile.yaml" > "$T/esc.out" 2>&1
t_match "a name with an escape sequence is refused" "^name ERR .*not a capture name" "$(cat "$T/esc.out")"
t_match "a label with control characters is refused" "^label ERR disk 0: the label holds control characters" "$(cat "$T/esc.out")"
t_match "an unknown command is refused" "^unknown ERR unknown command" "$(cat "$T/esc.out")"
t_match "a profile of another server is refused" \
    "^profile ERR the profile is of the server 'web1', not of other1" "$(cat "$T/esc.out")"
t_ok "... leaving no folder" test ! -e "$T/plain/other1"
esc=$(printf '\033')
bel=$(printf '\007')
t_is "no escape or bell byte reached the receiver's output or a log" 0 \
    "$(cat "$T/recv.out" "$T/recv.err" "$T/plain/esc1/capture.log" | grep -c "[$esc$bel]")"
t_match "the unknown command is logged escaped" \
    'unknown command .\\x1b]0;owned\\x07\\x9b31m' "$(cat "$T/plain/esc1/capture.log")"
t_match "the name is printed escaped" 'a\\x1b\[31mX' "$(cat "$T/recv.err")"
t_receiver_stop

# ---- 6. a refused announcement leaves no folder (#8) ----
LIMIT=65536 t_receiver small
capture --name big 2> "$T/big.err"
t_is "a disk larger than the receiver can store is refused" 1 $?
t_match "... saying why" "the receiver refused: disk0.raw: File too large" "$(cat "$T/big.err")"
t_ok "... and leaves no folder" test ! -e "$T/small/big"
capture --name big 2> "$T/big2.err"
t_match "so the same capture is refused again for the same reason, not as existing" \
    "File too large" "$(cat "$T/big2.err")"
t_receiver_stop

# ---- 7. a readable key file, a CR LF key file (#8) ----
cp "$T/key.psk" "$T/open.psk"; chmod 644 "$T/open.psk"
timeout 10 "$P2VKIT" receive --listen "$addr:0" --dir "$T/recv" --tls-psk "$T/open.psk" > /dev/null 2> "$T/open1.err"
st1=$?
capture --name x --tls-psk "$T/open.psk" 2> "$T/open2.err"
st2=$?
t_is "receive and capture refuse a key file others can read (exit 1)" "1 1" "$st1 $st2"
t_match "... saying chmod 600" "^p2vkit: .*open.psk: permissions 0644 are too open.*chmod 600 " \
    "$(cat "$T/open1.err" "$T/open2.err")"
printf '%s\r\n' "$(cat "$T/key.psk")" > "$T/crlf.psk"; chmod 600 "$T/crlf.psk"
timeout 10 "$P2VKIT" receive --listen "$addr:0" --dir "$T/recv" --tls-psk "$T/crlf.psk" > /dev/null 2> "$T/crlf1.err"
st1=$?
capture --name x --tls-psk "$T/crlf.psk" 2> "$T/crlf2.err"
st2=$?
t_is "... and a key file with CR LF line ends" "1 1" "$st1 $st2"
t_match "... saying so" "crlf.psk:1: line ends in CR LF.*dos2unix" "$(cat "$T/crlf1.err" "$T/crlf2.err")"

# ---- 8. receive --once is not used up by a port scan (#8) ----
t_receiver once --tls-psk "$T/key.psk" --once
$PY "$T/client.py" scan "$addr" "$port" > /dev/null 2>&1
psktool -u alice -p "$T/other.psk" >/dev/null 2>&1
capture --name intruder --tls-psk "$T/other.psk" 2> /dev/null
sleep 0.5
t_ok "after a port scan, a client without TLS and one with another key, it still serves" \
    kill -0 "$rpid"
capture --name once1 --tls-psk "$T/key.psk" 2> "$T/once.err"
t_is "a capture completes" 0 $?
i=0
while kill -0 "$rpid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$rpid" 2>/dev/null && kill -TERM "-$rpid"
wait "$rpid"
t_is "then receive --once exits 0" 0 $?
rpid=

t_done
