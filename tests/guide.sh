#!/bin/sh
# docs/guide.md runs as written: every command of its `sh` blocks, in
# order, from a scratch folder that sees the source tree's examples/ and
# tests/ (so the guide's work/ lands there), with `p2vkit` being the
# program under test.  Then what the guide claims about the results.
. "$(dirname "$0")/functions.sh"
t_tmpdir

guide=$srcdir/docs/guide.md
# The commands: lines inside ```sh fences, with backslash continuations
# joined, one command per line.
awk '
    /^```sh$/ { run = 1; next }
    /^```/    { run = 0; next }
    run {
        if (sub(/\\$/, "")) { cont = cont $0; next }
        print cont $0; cont = ""
    }' "$guide" > "$t_tmp/commands"
n=$(wc -l < "$t_tmp/commands")

t_plan $((n + 10))

mkdir "$t_tmp/top"
ln -s "$srcdir/examples" "$t_tmp/top/examples"
ln -s "$srcdir/tests" "$t_tmp/top/tests"
while IFS= read -r cmd; do
    # shellcheck disable=SC2016
    if out=$(cd "$t_tmp/top" && P2VKIT="$P2VKIT" sh -c 'p2vkit () { "$P2VKIT" "$@"; }; '"$cmd" 2>&1); then
        t_pass "guide: $cmd"
    else
        t_fail "guide: $cmd" "$out"
    fi
done < "$t_tmp/commands"

w=$t_tmp/top/work
t_ok "the profile of this machine reads back" "$P2VKIT" validate -q "$w/this-server.yaml"
t_is "the CSV import wrote a profile per row" \
    "$(($(grep -c . "$srcdir/tests/data/csv/fleet.csv") - 1))" "$(ls "$w/imported" | wc -l)"
# The thesis lab: the PBX paravirtualized, the DC fully virtualized for
# the reason the guide gives, both on the one host.
mode_of () { awk -v n="$2" '$0 ~ "^- name: " n "$" { f = 1 } f && /^  mode:/ { print $2; exit }' "$1"; }
t_is "thesis: pbx01 runs paravirtualized" paravirt "$(mode_of "$w/thesis-plan.yaml" pbx01)"
t_is "thesis: dc01 runs fully virtualized" full "$(mode_of "$w/thesis-plan.yaml" dc01)"
t_match "thesis: the reason is Windows Server 2003's missing drivers" \
    "no drivers for Microsoft Windows Server 2003" "$(cat "$w/thesis-plan.yaml")"
hosts_in () { awk '/^hosts:/ { f = 1; next } /^[a-z]/ { f = 0 } f && /^- name:/ { n++ } END { print n + 0 }' "$1"; }
t_is "overhead: 10 full guests need 2 hosts (5 a host)" 2 "$(hosts_in "$w/overhead-full.yaml")"
t_is "overhead: 16 paravirtualized guests need 2 hosts (8 a host)" 2 "$(hosts_in "$w/overhead-pv.yaml")"
t_is "sizing: 2 cores and 2 GiB for the thesis lab, out of memory in month 9" \
    "cores: {need: 1, spec: 2} memory_gib: {need: 1.68, spec: 2} runs_out: {month: 9, resource: memory}" \
    "$(sed -n '/^sizing:/,/^[a-z]/s/^  \(cores\|memory_gib\|runs_out\): /\1: /p' "$w/thesis-sized.yaml" | tr '\n' ' ' | sed 's/ $//')"
t_match "the HTML report names both servers" "dc01.*pbx01|pbx01.*dc01" "$(tr -d '\n' < "$w/thesis-report.html")"
t_match "the Markdown report has its summary" "^# Deployment plan" "$(head -1 "$w/fleet-report.md")"
t_done
