#!/bin/sh
# p2vkit plan as a new user runs it: the bundled examples under the
# sanitizer build with the options the README advertises, sized plans
# whose reasons are true, profiles without samples, profiles on standard
# input, and a progress line that follows the time limit.
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 1

plan () { "$P2VKIT" plan -q "$@"; }
check () { p=$1; shift; "$P2VKIT" plan -q --check "$p" "$@"; }

# 1. Every bundled example, with growth, time limits and seeds: exit 0, a
#    plan that reads back (validate) and that the checker passes.  The
#    growth pass appends one entry per host, so a pointer into that list
#    kept across an append read freed memory here (ASan).
runs=0 bad=
for args in "fleet 20 0 1" "fleet 50 0.3 7" "thesis 100 0.2 5" "overhead 35 0 2" \
            "overhead 5 0.2 9"; do
    set -- $args
    ex=examples/$1 out="$t_tmp/$1-$2-$3-$4.yaml"
    runs=$((runs + 1))
    if ! err=$(plan $ex/servers --hosts $ex/hosts.yaml --policy $ex/policy.yaml \
                    --growth "$2" -t "$3" --seed "$4" -o "$out" 2>&1); then
        bad="$bad [$args: plan: $err]"; continue
    fi
    "$P2VKIT" validate "$out" > /dev/null 2>&1 || bad="$bad [$args: validate]"
    err=$(check "$out" $ex/servers --hosts $ex/hosts.yaml 2>&1) || bad="$bad [$args: check: $err]"
done
t_is "the examples plan with --growth, -t and --seed ($runs runs), validate and check" "" "$bad"

t_done
