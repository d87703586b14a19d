#!/bin/sh
# Packing quality on the one-dimensional bin-packing sets with known
# optima (../shared/benchmarks/binpacking-1d, see its README), through the
# planner's public interface: every item becomes a workload (a profile
# whose server's one core has the item's weight as MHz and no utilization
# series, so it is sized at all of it), every bin a host of the bin's
# capacity, with no headroom and no overhead.  Prints per set: instances,
# how many the plan solves optimally, mean hosts over the optimum, mean
# seconds, and the same two quality figures for plain first-fit
# decreasing (computed here, in awk) as the reference.
#
#   tests/bench/binpack-1d.sh [--time-limit SEC] [--jobs N] [--every K] [SET...]
#
# --every K runs every Kth instance of each set (in name order), a sample
# for when the whole 1398 would take too long.
# SETs are folder names (falkenauer_u falkenauer_t scholl_1 scholl_2
# scholl_3 hard28); default all.
. "$(dirname "$0")/common.sh"
data=${BENCH_DATA:-$top/../shared/benchmarks/binpacking-1d}
limit=2
jobs=2
every=1
while [ $# -gt 0 ]; do
    case $1 in
        --time-limit) limit=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        --every) every=$2; shift 2 ;;
        *) break ;;
    esac
done
sets=${*:-falkenauer_u falkenauer_t scholl_1 scholl_2 scholl_3 hard28}
# First-fit decreasing on one instance: prints its bin count.
ffd () {
    awk '{ sub(/\r$/, "") } NR == 1 { next } NR == 2 { C = $1; next } NF { w[n++] = $1 }
        END {
            # insertion sort, decreasing (n <= 1000)
            for (i = 1; i < n; i++) { x = w[i]; for (j = i - 1; j >= 0 && w[j] < x; j--) w[j + 1] = w[j]; w[j + 1] = x }
            nb = 0
            for (i = 0; i < n; i++) {
                for (b = 0; b < nb && load[b] + w[i] > C; b++) ;
                if (b == nb) nb++
                load[b] += w[i]
            }
            print nb
        }' "$1"
}

# One instance: prints "hosts seconds".  Every item is a profile (not a
# CSV row: a CSV row names its OS, and looking it up loads libosinfo's
# database, which would cost more than packing the small instances).
run_one () {
    inst=$1 dir=$2
    mkdir -p "$dir/items"
    awk -v dir="$dir" '{ sub(/\r$/, "") } NR == 1 { n = $1; next }
        NR == 2 {
            printf "schema: p2vkit/hosts/v1\nhosts:\n  - {model: bin, cores: 1, mhz: %s, memory_mib: 1099511627776, virt: vmx, hypervisors: [kvm]}\n", $1 > dir "/hosts.yaml"
            next }
        NF {
            f = dir "/items/i" (NR - 2) ".yaml"
            printf "schema: p2vkit/profile/v1\nname: i%d\nhardware:\n  cpu: {cores: 1, mhz: %s}\n  memory_mib: 1\nos: {family: linux, pv_drivers: [virtio]}\n", NR - 2, $1 > f
            close(f) }' "$inst"
    bench_plan "$dir/items" "$dir/hosts.yaml" "$dir/plan.yaml"
}

printf '%-14s %9s %8s %10s %8s %8s %10s\n' set instances optimal hosts/opt seconds ffd-opt ffd/opt
for set in $sets; do
    out=$work/$set.results
    : > "$out"
    ls "$data/$set"/*.txt | sort | awk -v k="$every" '(NR - 1) % k == 0' > "$work/list"
    # N at a time.
    i=0
    while read -r inst; do
        i=$((i + 1))
        rel=$set/$(basename "$inst")
        opt=$(awk -v k="$rel" '{ sub(/\r$/, "") } $1 == k { print $2 }' "$data/optima.tsv")
        d=$work/$set.$i
        mkdir -p "$d"
        ( r=$(run_one "$inst" "$d"); echo "$rel $opt $r $(ffd "$inst")" >> "$out"; rm -rf "$d" ) &
        if [ $((i % jobs)) -eq 0 ]; then wait; fi
    done < "$work/list"
    wait
    sort "$out" > "$out.sorted"
    [ -n "${BENCH_KEEP:-}" ] && cp "$out.sorted" "$BENCH_KEEP.$set"
    awk -v set="$set" '{ n++; if ($3 == $2) o++; r += $3 / $2; s += $4; if ($5 == $2) fo++; fr += $5 / $2 }
        END { printf "%-14s %9d %8d %10.4f %8.2f %8d %10.4f\n", set, n, o, r / n, s / n, fo, fr / n }' "$out.sorted"
done
