#!/bin/sh
# How long `p2vkit report` takes on a plan of 2,000 workloads, side by side
# with reading the same plan (`p2vkit validate`, the reference: what any
# command pays before it starts) in one run.
#
#   tests/bench/report-2000.sh [N]
#
# The plan: the 60 profiles of examples/fleet, copied under new names until
# there are N (default 2000), planned on the fleet's host catalog.  Prints
# the plan's size and the best of three wall-clock times of each command
# (one for the PDF, which takes minutes),
# and the peak memory of the report (GNU time's maximum resident size).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
P2VKIT=${P2VKIT:-$top/p2vkit}
n=${1:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/servers"

i=0
copy=0
while [ "$i" -lt "$n" ]; do
    for f in "$top"/examples/fleet/servers/*.yaml; do
        [ "$i" -lt "$n" ] || break
        name=$(sed -n 's/^name: //p' "$f")
        sed "s/^name: .*/name: $name-$copy/" "$f" > "$work/servers/$name-$copy.yaml"
        i=$((i + 1))
    done
    copy=$((copy + 1))
done
"$P2VKIT" plan "$work/servers" --hosts "$top/examples/fleet/hosts.yaml" \
    --policy "$top/examples/fleet/policy.yaml" --time-limit 10 -q -o "$work/plan.yaml"
echo "plan: $(grep -c '^  server:' "$work/plan.yaml") workloads, $(sed -n 's/^  hosts_used: //p' "$work/plan.yaml") hosts, $(wc -c < "$work/plan.yaml") bytes"

best () {       # [-1] LABEL CMD...: the best of three runs (one with -1), in seconds
    runs="1 2 3"
    [ "$1" = -1 ] && { runs=1; shift; }
    label=$1; shift
    b=
    for _ in $runs; do
        t0=$(date +%s.%N)
        "$@" > /dev/null
        t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    printf '%-34s %6.2f s\n' "$label" "$b"
}
best "validate (reference)" "$P2VKIT" validate "$work/plan.yaml"
best "report --format md" "$P2VKIT" report "$work/plan.yaml" -f md -o "$work/r.md"
best "report --format html" "$P2VKIT" report "$work/plan.yaml" -f html -o "$work/r.html"
best -1 "report --format pdf (one run)" "$P2VKIT" report "$work/plan.yaml" -f pdf -o "$work/r.pdf"
echo "sizes: md $(wc -c < "$work/r.md") bytes, html $(wc -c < "$work/r.html") bytes, pdf $(wc -c < "$work/r.pdf") bytes, $(pdfinfo "$work/r.pdf" 2>/dev/null | sed -n 's/^Pages: *//p') pages"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "report --format html: %M KiB peak resident" \
        "$P2VKIT" report "$work/plan.yaml" -f html -o "$work/r.html" -q
fi
