#!/bin/sh
# p2vkit import: all or nothing, and what it writes reads back.
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 15

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

# More rows than the temporary files a run may track at once (64): every
# profile written, nothing else left.
{ echo "name,os,cores,mhz,memory_mib,disk_gib"
  i=1; while [ $i -le 100 ]; do echo "s$i,debian11,2,2000,2048,20"; i=$((i + 1)); done
} > "$t_tmp/many.csv"
t_ok "import 100 rows" "$P2VKIT" import -q "$t_tmp/many.csv" -o "$t_tmp/many"
t_is "100 profiles and nothing else" "100 100" "$(ls -A "$t_tmp/many" | grep -c '^s[0-9]*\.yaml$') $(ls -A "$t_tmp/many" | wc -l)"

# Ctrl-C while the profiles are written: the private folder and what it
# holds are removed, and what was in the output folder stays.
{ echo "name,os,cores,mhz,memory_mib,disk_gib"
  i=1; while [ $i -le 3000 ]; do echo "s$i,debian11,2,2000,2048,20"; i=$((i + 1)); done
} > "$t_tmp/big.csv"
mkdir "$t_tmp/int" && echo keep > "$t_tmp/int/other.txt"
"$P2VKIT" import -q "$t_tmp/big.csv" -o "$t_tmp/int" & pid=$!
# Wait until profiles are being written (at most 60 s), then interrupt.
n=0
while [ $n -lt 600 ] && ! ls "$t_tmp"/int/.p2vkit-import.*/s1.yaml >/dev/null 2>&1; do
    sleep 0.1; n=$((n + 1))
done
kill -INT $pid
wait $pid; st=$?
t_is "Ctrl-C ends the import as a signal" 130 "$st"
t_is "and leaves the output folder as it was" "other.txt" "$(ls -A "$t_tmp/int")"

t_exit "no -o is a usage error" 2 "$P2VKIT" import tests/data/golden/legacy.csv
t_exit "a missing input file is a failure" 1 "$P2VKIT" import "$t_tmp/nonexistent.csv" -o "$t_tmp/x"
t_done
