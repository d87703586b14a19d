#!/bin/sh
# p2vkit inventory --root: each recorded tree in tests/data/roots/NAME/
# gives exactly NAME.yaml, with exactly the warnings of NAME.err.
#
# The trees: debian12-vm was recorded on the project's reference machine
# with --record; centos5-pbx (a Trixbox PBX with a Digium card) and
# debian6-novirt (a file server whose CPUs lack vmx/svm, with a HASP
# dongle and a serial card) were written by hand from real machines of
# that era; rhel5-web (a RHEL 5 web server) likewise, with its host name
# only in /etc/sysconfig/network and no os-release.  The output is made deterministic by SOURCE_DATE_EPOCH=0 and
# by sampling once: a tree's counters do not move, so every rate is 0
# and used memory is what its meminfo says.
#
#   tests/inventory-roots.sh --regen   rewrites the expected files
. "$(dirname "$0")/functions.sh"

regen=no
[ "${1:-}" = --regen ] && regen=yes
roots=$(cd tests/data/roots && for d in */; do echo "${d%/}"; done)
n=$(echo "$roots" | wc -l)
t_tmpdir
[ $regen = no ] && t_plan $((2 * n + 9))

for r in $roots; do
    SOURCE_DATE_EPOCH=0 "$P2VKIT" inventory --root "tests/data/roots/$r" \
        --samples 1 --interval 1 > "$t_tmp/$r.yaml" 2> "$t_tmp/$r.err"
    if [ $regen = yes ]; then
        cp "$t_tmp/$r.yaml" "tests/data/roots/$r.yaml"
        cp "$t_tmp/$r.err" "tests/data/roots/$r.err"
        echo "regenerated tests/data/roots/$r.yaml and .err"
        continue
    fi
    if diff -u "tests/data/roots/$r.yaml" "$t_tmp/$r.yaml" > "$t_tmp/diff"; then
        t_pass "$r gives its expected profile"
    else
        t_fail "$r gives its expected profile" "$(cat "$t_tmp/diff")"
    fi
    if diff -u "tests/data/roots/$r.err" "$t_tmp/$r.err" > "$t_tmp/diff"; then
        t_pass "$r gives its expected warnings"
    else
        t_fail "$r gives its expected warnings" "$(cat "$t_tmp/diff")"
    fi
done
[ $regen = yes ] && exit 0

# Recording a recorded tree gives a tree that gives the same profile.
SOURCE_DATE_EPOCH=0 "$P2VKIT" inventory -q --root tests/data/roots/centos5-pbx \
    --record "$t_tmp/again" --samples 1 --interval 1 > /dev/null 2>&1
SOURCE_DATE_EPOCH=0 "$P2VKIT" inventory --root "$t_tmp/again" --samples 1 \
    --interval 1 > "$t_tmp/again.yaml" 2>/dev/null
t_is "a tree recorded from a tree gives the same profile" \
    "$(cat tests/data/roots/centos5-pbx.yaml)" "$(cat "$t_tmp/again.yaml")"
# collected_at is when the series end: the start plus the intervals
# sampled (the planner lines up the days from it), and the start for a
# snapshot.
at () { sed -n 's/^collected_at: "\(.*\)"$/\1/p'; }
t_is "collected_at is the end of 3 samples of 1 s" "1970-01-01T00:00:03Z" \
    "$(SOURCE_DATE_EPOCH=0 "$P2VKIT" inventory -q --root tests/data/roots/centos5-pbx --samples 3 --interval 1 2>/dev/null | at)"
t_is "and the start for a snapshot" "1970-01-01T00:00:00Z" \
    "$(SOURCE_DATE_EPOCH=0 "$P2VKIT" inventory -q --root tests/data/roots/centos5-pbx --samples 0 2>/dev/null | at)"
# Old Red Hat trees: the host name from /etc/sysconfig/network, also
# when the kernel's is unset; RHEL 4's "Update N" is the minor release;
# a release name libosinfo knows gives the id when the file gives none.
old=$t_tmp/old-rh
cp -a tests/data/roots/rhel5-web "$old"
echo "(none)" > "$old/proc/sys/kernel/hostname"
field () { sed -n "s/^$1: //p;s/^  $1: //p" | head -1; }
t_is "an unset kernel host name falls back to /etc/sysconfig/network" "web01" \
    "$("$P2VKIT" inventory -q --root "$old" --samples 0 2>/dev/null | field name)"
echo "Red Hat Enterprise Linux ES release 4 (Nahant Update 8)" > "$old/etc/redhat-release"
out=$("$P2VKIT" inventory -q --root "$old" --samples 0 2>/dev/null)
t_is "RHEL 4 Update 8 is rhel4.8" "rhel4.8" "$(echo "$out" | sed -n 's/^  id: //p')"
echo "Scientific Linux release 6.4 (Carbon)" > "$old/etc/redhat-release"
out=$("$P2VKIT" inventory -q --root "$old" --samples 0 2>/dev/null)
t_is "a Red Hat rebuild's release name gives its id" "scientificlinux6.4" "$(echo "$out" | sed -n 's/^  id: //p')"
rm "$old/etc/sysconfig/network" "$old/proc/sys/kernel/hostname"
err=$("$P2VKIT" inventory -q --root "$old" --samples 0 2>&1 >/dev/null); st=$?
t_is "no host name anywhere asks for --name" 1 "$st"
t_match "and names the places looked in" "etc/sysconfig/network .HOSTNAME=. or .*give --name" "$err"
t_exit "a root without proc/ is an error" 1 "$P2VKIT" inventory --root "$t_tmp/nonexistent" --samples 0
t_done
