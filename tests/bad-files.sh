#!/bin/sh
# Every broken file in tests/data/bad/ is rejected with exactly the message
# in its .err file, exit status 1, and nothing on stdout.
. "$(dirname "$0")/functions.sh"

files=$(ls tests/data/bad/*.yaml tests/data/bad/*.csv 2>/dev/null)
t_plan $(printf '%s\n' "$files" | wc -l)
for f in $files; do
    if [ ! -f "$f.err" ]; then
        t_fail "$f" "no $f.err with the expected message"
        continue
    fi
    want="p2vkit: $(cat "$f.err")"
    out=$("$P2VKIT" validate "$f" 2>/tmp/p2vkit-bad.$$); st=$?
    got=$(cat /tmp/p2vkit-bad.$$)
    rm -f /tmp/p2vkit-bad.$$
    if [ "$st" -eq 1 ] && [ -z "$out" ] && [ "$got" = "$want" ]; then
        t_pass "$f"
    else
        t_fail "$f" "exit $st (wanted 1)" "expected: $want" "     got: $got"
    fi
done
t_done
