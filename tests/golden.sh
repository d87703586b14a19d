#!/bin/sh
# Golden-file tests: each tests/data/golden/NAME.csv imported gives exactly
# the profiles in tests/data/golden/NAME.expected/.  After a deliberate
# change, `make regen-golden` rewrites the expected files; review the diff.
. "$(dirname "$0")/functions.sh"

regen=false
[ "${1:-}" = "--regen" ] && regen=true
t_tmpdir

inputs=$(ls tests/data/golden/*.csv)
t_plan $(printf '%s\n' "$inputs" | wc -l)
for csv in $inputs; do
    name=$(basename "$csv" .csv)
    expected=tests/data/golden/$name.expected
    out=$t_tmp/$name
    if ! msg=$("$P2VKIT" import -q "$csv" -o "$out" 2>&1); then
        t_fail "import $csv" "$msg"
        continue
    fi
    t_golden "import $csv matches $expected" "$expected" "$out"
done
t_done
