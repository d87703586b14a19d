#!/bin/sh
# The readers' limits: aliases that multiply, deep nesting and inputs
# without end are refused at once and in little memory; input bytes quoted
# in messages are escaped.  Memory is bounded with ulimit -v around the
# plain build (AddressSanitizer reserves terabytes of address space), time
# with a timeout far above what a refusal takes (a bomb used to take
# minutes or gigabytes).
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 20

PLAIN=${P2VKIT_PLAIN:-$srcdir/p2vkit}

# bounded KIB CMD...: CMD (arguments to the plain build) in at most KIB KiB
# of address space and 10 s; sets st (exit status) and err (stderr).
bounded () {
    t__kib=$1; shift
    err=$( (ulimit -v "$t__kib"; exec timeout 10 "$PLAIN" "$@") 2>&1 >/dev/null); st=$?
}

# refused DESC PATTERN KIB ARGS...: exit 1 with an error matching PATTERN.
refused () {
    t__desc=$1 t__pat=$2; shift 2
    bounded "$@"
    t_match "$t__desc" "^1 p2vkit: $t__pat" "$st $err"
}

# The shape that took 1.3 GB: a 100 KB string repeated through an alias
# by 1500 services (a 154 KB profile).
{
    printf 'schema: p2vkit/profile/v1\nname: bomb\n'
    printf 'hardware:\n  cpu: {cores: 1, mhz: 1}\n  memory_mib: 1\n'
    printf '  disks: [{name: &s "%s"}]\nservices:\n' "$(head -c 100000 /dev/zero | tr '\0' x)"
    i=0; while [ $i -lt 1500 ]; do printf '  - {name: *s, proto: tcp, port: 1}\n'; i=$((i + 1)); done
} > "$t_tmp/scalar-bomb.yaml"
refused "a string repeated by aliases is refused in 100 MiB" \
    "$t_tmp/scalar-bomb.yaml:10:12: alias '\*s' expands too far" 102400 validate "$t_tmp/scalar-bomb.yaml"

# Billion laughs, twenty levels deep.
{
    printf 'schema: p2vkit/hosts/v1\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
    i=1; while [ $i -le 20 ]; do
        p=$((i - 1)); printf 'x%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n' $i $i $p $p $p $p $p $p $p $p $p $p
        i=$((i + 1))
    done
} > "$t_tmp/laughs.yaml"
refused "nested aliases (billion laughs) are refused in 100 MiB" \
    "$t_tmp/laughs.yaml:[0-9]+:[0-9]+: alias '\*a[0-9]+' expands too far" 102400 validate "$t_tmp/laughs.yaml"

# An alias naming the collection it is in.
printf 'schema: p2vkit/policy/v1\noverhead: &o {full: *o}\n' > "$t_tmp/loop.yaml"
refused "an alias inside its own anchor is refused" \
    "$t_tmp/loop.yaml:2:21: alias '\*o' is inside the node it names" 102400 validate "$t_tmp/loop.yaml"

# Aliases that repeat a little are ordinary YAML: accepted.
cat > "$t_tmp/hosts.yaml" <<'EOF'
schema: p2vkit/hosts/v1
hosts:
  - {model: small, cores: 16, mhz: 2400, memory_mib: 65536, virt: vmx, hypervisors: &hv [kvm, xen], cost: 4000}
  - {model: large, cores: 32, mhz: 2400, memory_mib: 262144, virt: vmx, hypervisors: *hv, cost: 9000}
EOF
bounded 102400 validate "$t_tmp/hosts.yaml"
t_is "a catalog sharing a list through an alias validates" "0" "$st"

# 100000 levels of flow nesting took 39 s: refused at the 65th.
{ printf 'schema: p2vkit/profile/v1\nname: deep\nrole: '
  head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; echo; } > "$t_tmp/flow.yaml"
refused "100000 levels of flow nesting are refused" \
    "$t_tmp/flow.yaml:3:70: nested deeper than 64 levels" 102400 validate "$t_tmp/flow.yaml"

# The same in block style (each "- " opens a list).
{ printf 'schema: p2vkit/profile/v1\nname: deep\nrole:\n  '
  i=0; while [ $i -lt 20000 ]; do printf -- '- '; i=$((i + 1)); done; echo x; } > "$t_tmp/block.yaml"
refused "20000 levels of block nesting are refused" \
    "$t_tmp/block.yaml:4:[0-9]+: nested deeper than 64 levels" 102400 validate "$t_tmp/block.yaml"

# 64 levels are allowed (then the schema says what is wrong).
{ printf 'schema: p2vkit/profile/v1\nname: deep\nrole: '
  head -c 63 /dev/zero | tr '\0' '['; head -c 63 /dev/zero | tr '\0' ']'; echo; } > "$t_tmp/64.yaml"
refused "64 levels are read, and the schema refuses them" \
    "$t_tmp/64.yaml:3:7: role: expected a string, got a list" 102400 validate "$t_tmp/64.yaml"

# Inputs without end.
refused "validate /dev/zero stops at the size limit" \
    "/dev/zero: larger than 64 MiB, the most a p2vkit file may hold" 400000 validate /dev/zero
ln -s /dev/zero "$t_tmp/zero.csv"
refused "a CSV without end stops at the size limit" \
    "$t_tmp/zero.csv: larger than 64 MiB" 400000 validate "$t_tmp/zero.csv"
refused "import of a CSV without end stops at the size limit" \
    "$t_tmp/zero.csv: larger than 64 MiB" 400000 import "$t_tmp/zero.csv" -o "$t_tmp/out"
t_is "and writes nothing" "no" "$( [ -e "$t_tmp/out" ] && echo yes || echo no)"
err=$( (ulimit -v 400000; exec timeout 10 "$PLAIN" validate - < /dev/zero) 2>&1 >/dev/null); st=$?
t_match "standard input without end stops at the size limit" "^1 p2vkit: -: larger than 64 MiB" "$st $err"

# A CSV row longer than 64 KiB, and one of a million empty fields.
{ echo "name,os,cores,mhz,memory_mib,disk_gib"
  printf 'web01,'; head -c 70000 /dev/zero | tr '\0' x; echo ",2,2600,2048,40"; } > "$t_tmp/long.csv"
refused "a CSV row longer than 64 KiB is refused" \
    "$t_tmp/long.csv:2: a row longer than 64 KiB" 102400 validate "$t_tmp/long.csv"
{ head -c 1000000 /dev/zero | tr '\0' ,; echo; } > "$t_tmp/commas.csv"
refused "a CSV header of a million empty fields is refused" \
    "$t_tmp/commas.csv:1: a row longer than 64 KiB" 102400 validate "$t_tmp/commas.csv"

# Bytes from files reach the terminal escaped.
esc=$(printf '\033')
err=$("$P2VKIT" validate tests/data/bad/profile-key-escape.yaml 2>&1)
t_match "an unknown key's escape sequence is shown escaped" "unknown key '\\\\x1b\[2J" "$err"
t_is "and no control byte is printed" "" "$(printf '%s' "$err" | tr -d '\n' | tr -d '[:print:]')"
err=$("$P2VKIT" import tests/data/bad/control-bytes.csv -o "$t_tmp/esc" 2>&1)
t_match "import shows a name's control bytes escaped" "'web01\\\\x1b\[2J\\\\x07\\\\xc2\\\\x9b' is not a valid" "$err"
t_is "and prints no control byte" "" "$(printf '%s' "$err" | tr -d '\n' | LC_ALL=C tr -d '[:print:]')"
case $err in *"$esc"*) t_fail "import's message holds no ESC";; *) t_pass "import's message holds no ESC";; esac

# A slip of the keyboard in a key gets a suggestion.
err=$("$P2VKIT" validate tests/data/bad/profile-near-key.yaml 2>&1)
t_match "an unknown key near a known one is suggested" "unknown key 'Memory_MB' \(did you mean 'memory_mib'\?\)" "$err"

t_done
