#!/bin/sh
# p2vkit import: all or nothing, and what it writes reads back.
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 11

out=$t_tmp/profiles
t_ok "import the golden CSV" "$P2VKIT" import -q tests/data/golden/legacy.csv -o "$out"
t_is "one profile per row" "bsd01.yaml dc01.yaml dc02.yaml old01.yaml pbx01.yaml" "$(ls "$out" | tr '\n' ' ' | sed 's/ $//')"
t_ok "the profiles validate" "$P2VKIT" validate -q "$out"/bsd01.yaml "$out"/dc01.yaml "$out"/dc02.yaml "$out"/old01.yaml "$out"/pbx01.yaml
t_is "nothing else is left in the folder" 5 "$(ls -A "$out" | wc -l)"

# A bad row anywhere: exit 1, no folder created, no file written.
t_exit "a bad row fails the import" 1 "$P2VKIT" import tests/data/golden/legacy.csv tests/data/bad/non-numeric.csv -o "$t_tmp/none"
t_is "and leaves no output folder" "no" "$( [ -e "$t_tmp/none" ] && echo yes || echo no)"

# Into an existing folder: a failure leaves what was there untouched.
mkdir "$t_tmp/keep" && echo keep > "$t_tmp/keep/other.txt"
t_exit "a failing import into an existing folder" 1 "$P2VKIT" import tests/data/bad/duplicate-name.csv -o "$t_tmp/keep"
t_is "leaves the folder as it was" "other.txt" "$(ls -A "$t_tmp/keep")"

# A folder that cannot be written: the error names it.
mkdir "$t_tmp/ro" && chmod 555 "$t_tmp/ro"
if [ "$(id -u)" -eq 0 ]; then
    # root writes anyway; use a path under a regular file instead.
    touch "$t_tmp/file"
    err=$("$P2VKIT" import tests/data/golden/legacy.csv -o "$t_tmp/file/sub" 2>&1); st=$?
    t_match "an impossible output folder is named in the error" "^1 p2vkit: $t_tmp/file/sub: cannot create the folder" "$st $err"
else
    err=$("$P2VKIT" import tests/data/golden/legacy.csv -o "$t_tmp/ro" 2>&1); st=$?
    t_match "an unwritable output folder is named in the error" "$t_tmp/ro" "$err"
fi

t_exit "no -o is a usage error" 2 "$P2VKIT" import tests/data/golden/legacy.csv
t_exit "a missing input file is a failure" 1 "$P2VKIT" import "$t_tmp/nonexistent.csv" -o "$t_tmp/x"
t_done
