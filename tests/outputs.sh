#!/bin/sh
# Where -o PATH writes: a regular file or a new path is replaced atomically
# (no temporary file left, its permissions kept); a symbolic link is
# followed to its target, which is replaced and the link kept; a FIFO, a
# character device and standard output are written in place (never turned
# into a file); a folder is refused.  For every command that writes files:
# plan, report, inventory, import -o DIR, deploy --xml-dir DIR (convert's
# outputs: tests/convert-formats.sh).
. "$(dirname "$0")/functions.sh"

t_tmpdir
t_plan 27

P=$t_tmp/plan.yaml
"$P2VKIT" plan -q examples/thesis/servers --hosts examples/thesis/hosts.yaml -o "$P" 2>/dev/null
schema='schema: p2vkit/plan/v1'
plan () { "$P2VKIT" plan -q examples/thesis/servers --hosts examples/thesis/hosts.yaml "$@"; }
# The reader of a FIFO ends when the writer closes it; a writer that
# replaced the FIFO instead never opened it, so the reader is stopped.
reaped () {
    for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
}
leftovers () { find "$t_tmp" -name '*.tmp??????' | sed "s|$t_tmp/||" | tr '\n' ' '; }

# ------------------------------------------------------------ symlinks
mkdir "$t_tmp/real" "$t_tmp/links"
echo old > "$t_tmp/real/plan.yaml"
ln -s ../real/plan.yaml "$t_tmp/links/plan.yaml"
t_ok "plan -o LINK: exit 0" plan -o "$t_tmp/links/plan.yaml"
t_is "plan -o LINK: the link stays a link" yes "$([ -L "$t_tmp/links/plan.yaml" ] && echo yes)"
t_match "plan -o LINK: its target holds the plan" "$schema" "$(cat "$t_tmp/real/plan.yaml")"
# A chain of links, the last one dangling: the file it names is made.
ln -s plan2.yaml "$t_tmp/real/dangling.yaml"
ln -s ../real/dangling.yaml "$t_tmp/links/chain.yaml"
plan -o "$t_tmp/links/chain.yaml"
t_match "a chain of links ending in a new name: that file is made" "$schema" "$(cat "$t_tmp/real/plan2.yaml" 2>&1)"
t_is "... and both links stay" "yes yes" \
    "$([ -L "$t_tmp/links/chain.yaml" ] && echo yes) $([ -L "$t_tmp/real/dangling.yaml" ] && echo yes)"
# report and inventory through a link too.
echo old > "$t_tmp/real/report.md"
ln -s ../real/report.md "$t_tmp/links/report.md"
"$P2VKIT" report -q "$P" -o "$t_tmp/links/report.md"
t_is "report -o LINK: the link stays, its target is the report" "yes #" \
    "$([ -L "$t_tmp/links/report.md" ] && echo yes) $(head -c 1 "$t_tmp/real/report.md")"
echo old > "$t_tmp/real/inv.yaml"
ln -s ../real/inv.yaml "$t_tmp/links/inv.yaml"
SOURCE_DATE_EPOCH=0 "$P2VKIT" inventory -q --root tests/data/roots/debian12-vm --samples 0 \
    -o "$t_tmp/links/inv.yaml" 2>/dev/null
t_is "inventory -o LINK: the link stays, its target is the profile" "yes schema: p2vkit/profile/v1" \
    "$([ -L "$t_tmp/links/inv.yaml" ] && echo yes) $(head -n 1 "$t_tmp/real/inv.yaml")"
# import -o DIR where DIR/NAME.yaml is a link.
mkdir "$t_tmp/imp"
echo old > "$t_tmp/real/web01.yaml"
name=$(sed -n '2p' tests/data/csv/fleet.csv | cut -d, -f1)
ln -s ../real/web01.yaml "$t_tmp/imp/$name.yaml"
"$P2VKIT" import -q tests/data/csv/fleet.csv -o "$t_tmp/imp" 2>/dev/null
t_is "import -o DIR: a link in DIR stays, its target is the profile" "yes schema: p2vkit/profile/v1" \
    "$([ -L "$t_tmp/imp/$name.yaml" ] && echo yes) $(head -n 1 "$t_tmp/real/web01.yaml")"
# deploy --xml-dir DIR where DIR/NAME.xml is a link (no host needed).
mkdir "$t_tmp/images" "$t_tmp/xml"
cp tests/data/deploy/images/*.xml "$t_tmp/images/"
{ printf 'QFI\373\000\000\000\003'; head -c 16 /dev/zero
  printf '\000\000\000\000\100\000\000\000'; head -c 480 /dev/zero; } > "$t_tmp/images/dc01-disk1.qcow2"
cp "$t_tmp/images/dc01-disk1.qcow2" "$t_tmp/images/pbx01-disk1.qcow2"
truncate -s 1M "$t_tmp/images/dc01-disk2.raw"
echo old > "$t_tmp/real/dc01.xml"
ln -s ../real/dc01.xml "$t_tmp/xml/dc01.xml"
"$P2VKIT" deploy "$P" --images "$t_tmp/images" --xml-dir "$t_tmp/xml" --network user >/dev/null
t_is "deploy --xml-dir DIR: a link in DIR stays, its target is the definition" "yes <?xml" \
    "$([ -L "$t_tmp/xml/dc01.xml" ] && echo yes) $(head -c 5 "$t_tmp/real/dc01.xml")"

# ------------------------------------------------- FIFOs and devices
mkfifo "$t_tmp/fifo"
cat "$t_tmp/fifo" > "$t_tmp/from-fifo" & reader=$!
plan -o "$t_tmp/fifo"; st=$?
reaped $reader
t_is "plan -o FIFO: exit 0" 0 "$st"
t_is "plan -o FIFO: still a FIFO" yes "$([ -p "$t_tmp/fifo" ] && echo yes)"
t_match "plan -o FIFO: its reader got the plan" "$schema" "$(cat "$t_tmp/from-fifo")"
cat "$t_tmp/fifo" > "$t_tmp/from-fifo2" & reader=$!
"$P2VKIT" report -q "$P" --format md -o "$t_tmp/fifo"; st=$?
reaped $reader
t_is "report -o FIFO: exit 0, still a FIFO, the reader got the report" "0 yes #" \
    "$st $([ -p "$t_tmp/fifo" ] && echo yes) $(head -c 1 "$t_tmp/from-fifo2")"
# A null device of our own (mknod needs root), never the system's.
if [ "$(id -u)" -eq 0 ] && mknod "$t_tmp/null" c 1 3 2>/dev/null; then
    plan -o "$t_tmp/null"; st=$?
    t_is "plan -o CHARDEV: exit 0, still a character device" "0 yes" \
        "$st $([ -c "$t_tmp/null" ] && echo yes)"
    ln -s null "$t_tmp/null-link"
    "$P2VKIT" report -q "$P" --format md -o "$t_tmp/null-link"; st=$?
    t_is "report -o LINK-TO-CHARDEV: exit 0, the device stays one" "0 yes yes" \
        "$st $([ -c "$t_tmp/null" ] && echo yes) $([ -L "$t_tmp/null-link" ] && echo yes)"
else
    t_pass "# SKIP cannot make a device node here"
    t_pass "# SKIP cannot make a device node here"
fi

# ----------------------------------------------------- standard output
echo before > "$t_tmp/log"
plan -o /dev/stdout >> "$t_tmp/log"; st=$?
t_is "plan -o /dev/stdout >> LOG: exit 0, LOG appended to, not replaced" "0 before" \
    "$st $(head -n 1 "$t_tmp/log")"
t_match "... and LOG holds the plan" "$schema" "$(cat "$t_tmp/log")"
t_is "/dev/stdout is still a link" yes "$([ -L /dev/stdout ] && echo yes)"
out=$(plan -o -)
t_match "plan -o -: the plan on standard output" "$schema" "$out"
out=$("$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml -o /dev/stdout 2>/dev/null)
t_is "plan -o /dev/stdout: the summary goes to stderr, not into the plan" "" \
    "$(printf '%s\n' "$out" | grep '^plan: ')"

# ------------------------------------------------- regular files, folders
echo old > "$t_tmp/mode.yaml"
chmod 0640 "$t_tmp/mode.yaml"
plan -o "$t_tmp/mode.yaml"
t_is "a file replaced keeps its permissions" "640" "$(stat -c %a "$t_tmp/mode.yaml")"
mkdir "$t_tmp/folder"
err=$(plan -o "$t_tmp/folder" 2>&1); st=$?
t_is "plan -o FOLDER: refused, one line" "1 p2vkit: $t_tmp/folder: is a folder; give a file name" "$st $err"
ln -s folder "$t_tmp/folder-link"
err=$(plan -o "$t_tmp/folder-link" 2>&1); st=$?
t_match "plan -o LINK-TO-FOLDER: refused" "^1 p2vkit: $t_tmp/folder-link: is a folder" "$st $err"
t_is "the folder is left as it was" "yes " "$([ -d "$t_tmp/folder" ] && echo yes) $(ls "$t_tmp/folder")"
err=$(plan -o "$t_tmp/nosuch/plan.yaml" 2>&1); st=$?
t_match "plan -o into a missing folder: exit 1, named" "^1 p2vkit: $t_tmp/nosuch/plan.yaml: cannot create the output file" "$st $err"
t_is "no temporary file is left anywhere" "" "$(leftovers)"

# ----------------------------------------------- inventory --ssh, all fail
agent=$(dirname "$P2VKIT")/p2vkit-agent
[ -x "$agent" ] || agent=$srcdir/build/p2vkit-agent
if [ -x "$agent" ] && command -v ssh >/dev/null 2>&1; then
    # Nothing listens on this port of 127.0.0.1: ssh is refused at once.
    echo "root@127.0.0.1:1" > "$t_tmp/down"
    "$P2VKIT" inventory -q --ssh "$t_tmp/down" -o "$t_tmp/fleet" --agent "$agent" \
        --ssh-option BatchMode=yes >/dev/null 2>&1; st=$?
    t_is "inventory --ssh, every host down: exit 1, no empty folder left" "1 no" \
        "$st $([ -e "$t_tmp/fleet" ] && echo yes || echo no)"
else
    t_pass "# SKIP no static agent or no ssh"
fi
t_done
