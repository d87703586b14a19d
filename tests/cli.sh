#!/bin/sh
# The program's command line: help, version, dispatch, exit statuses.
. "$(dirname "$0")/functions.sh"

commands="inventory import validate plan report convert capture receive deploy migrate wizard"
t_plan $((10 + 2 * 11))

help=$("$P2VKIT" --help); st=$?
t_is "--help exits 0" 0 "$st"
listed=$(printf '%s\n' "$help" | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' | tr '\n' ' ')
t_is "--help lists every subcommand in order" "$commands " "$listed"
t_match "--version prints the version" '^p2vkit [0-9]+\.[0-9]+\.[0-9]+$' "$("$P2VKIT" --version)"
t_exit "no command is a usage error" 2 "$P2VKIT"
err=$("$P2VKIT" frobnicate 2>&1); st=$?
t_is "unknown command: one line, exit 2" "2:p2vkit: unknown command 'frobnicate'; see 'p2vkit --help'" "$st:$err"
err=$("$P2VKIT" --frob 2>&1); st=$?
t_is "unknown global option: exit 2" "2:p2vkit: unknown option '--frob'; see 'p2vkit --help'" "$st:$err"

# The nearest name by edit distance, when one is near.
err=$("$P2VKIT" plna 2>&1); st=$?
t_is "a mistyped command: the nearest one suggested" "2:p2vkit: unknown command 'plna' (did you mean 'plan'?); see 'p2vkit --help'" "$st:$err"
err=$("$P2VKIT" inv 2>&1)
t_match "a shortened command: the one it begins suggested" "did you mean 'inventory'\?" "$err"
err=$("$P2VKIT" plan --ouput=x.yaml 2>&1); st=$?
t_is "a mistyped option: the nearest one suggested" "2:p2vkit: plan: unknown option '--ouput=x.yaml' (did you mean '--output'?); see 'p2vkit plan --help'" "$st:$err"
err=$("$P2VKIT" deploy --stauts 2>&1)
t_match "a transposition counts as one edit" "did you mean '--status'\?" "$err"

for c in $commands; do
    out=$("$P2VKIT" "$c" --help); st=$?
    t_is "$c --help exits 0" 0 "$st"
    t_match "$c --help starts with its usage" "^Usage: p2vkit $c " "$(printf '%s\n' "$out" | head -n 1)"
done

t_done
