#!/bin/sh
# The bundled examples are valid input, and the fleet has what its README
# promises: 40 to 80 servers, a day of 5-minute utilization each.
. "$(dirname "$0")/functions.sh"
t_plan 6

for ex in thesis overhead fleet; do
    set -- examples/$ex/servers*/* examples/$ex/hosts.yaml
    [ -f examples/$ex/policy.yaml ] && set -- "$@" examples/$ex/policy.yaml
    [ -f examples/$ex/sources.yaml ] && set -- "$@" examples/$ex/sources.yaml
    t_ok "examples/$ex validates" "$P2VKIT" validate -q "$@"
done

yaml=$(ls examples/fleet/servers/*.yaml | wc -l)
rows=$(tail -n +2 examples/fleet/servers/legacy.csv | grep -c .)
total=$((yaml + rows))
t_is "the fleet has 40 to 80 servers" yes "$( [ $total -ge 40 ] && [ $total -le 80 ] && echo yes || echo "no ($total)")"
short=
for f in examples/fleet/servers/*.yaml; do
    n=$(sed -n 's/^  cpu_pct: \[\(.*\)\]$/\1/p' "$f" | tr ',' '\n' | wc -l)
    [ "$n" -eq 288 ] || short="$short $(basename "$f"):$n"
done
t_is "every fleet profile has 288 five-minute CPU samples" "" "$short"
t_is "every fleet profile samples every 300 s" "$yaml" "$(grep -l '^  interval_s: 300$' examples/fleet/servers/*.yaml | wc -l)"
t_done
