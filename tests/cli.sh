#!/bin/sh
# The program's command line: help, version, dispatch, exit statuses.
. "$(dirname "$0")/functions.sh"

commands="inventory import validate plan report convert capture receive deploy wizard"
t_plan $((6 + 2 * 10))

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

for c in $commands; do
    out=$("$P2VKIT" "$c" --help); st=$?
    t_is "$c --help exits 0" 0 "$st"
    t_match "$c --help starts with its usage" "^Usage: p2vkit $c " "$(printf '%s\n' "$out" | head -n 1)"
done

t_done
