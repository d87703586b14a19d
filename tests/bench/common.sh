# Sourced by the benchmarks here: the source tree ($top), the program
# ($P2VKIT), a scratch folder ($work, removed at exit), and a plan timed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
P2VKIT=${P2VKIT:-$top/p2vkit}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# bench_plan IN HOSTS OUT: `p2vkit plan` of IN onto HOSTS with no headroom
# and no overhead, within $limit seconds, to OUT; prints the hosts it uses
# and the wall seconds it took.
bench_plan () {
    bench__start=$(date +%s.%N)
    "$P2VKIT" plan -q "$1" --hosts "$2" --policy "$top/tests/data/good/policy-exact.yaml" \
        --time-limit "$limit" -o "$3"
    bench__end=$(date +%s.%N)
    echo "$(sed -n 's/^  hosts_used: //p' "$3") $(echo "$bench__end - $bench__start" | bc)"
}
