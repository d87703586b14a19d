#!/bin/sh
# p2vkit wizard in real terminals: tmux sessions of 80x24 and 132x43 on a
# private socket, driven with send-keys through a whole flow (load the
# example fleet, change the headroom, plan, export, move a workload,
# export again), asserting the text of the captured pane at each step;
# the exported plan must equal `p2vkit plan`'s for the same inputs.  Also:
# "size for me" against `p2vkit plan --size`,
# a resize below the minimum and back, quitting with unsaved changes,
# Ctrl-C, NO_COLOR, unreadable files, and no terminal at all.
. "$(dirname "$0")/functions.sh"

command -v tmux >/dev/null 2>&1 || t_skip_all "tmux is not installed"
command -v perl >/dev/null 2>&1 || t_skip_all "perl is not installed"

: "${P2VKIT_PLAIN:=$P2VKIT}"
t_tmpdir
sock="p2vkit-wizard-$$"
T () { tmux -L "$sock" -f /dev/null "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$t_tmp"' EXIT

fleet=examples/fleet
# The fleet's policy with 30% headroom: what the flow sets in the wizard.
sed 's/^headroom_pct: 20$/headroom_pct: 30/' $fleet/policy.yaml >"$t_tmp/policy30.yaml"
grep -q '^headroom_pct: 30$' "$t_tmp/policy30.yaml" || t_skip_all "examples/fleet/policy.yaml changed"

# A server that keeps the panes of ended programs, so that their last
# state and the terminal's mode can still be read.
T new-session -d -s keep -x 80 -y 24 "sleep 100000"
T set-option -g remain-on-exit on >/dev/null

pane=
# wait_for SESSION TEXT [SECONDS]: poll the pane until it shows TEXT.
wait_for () {
    w__end=$(($(date +%s) + ${3:-90}))
    while :; do
        pane=$(T capture-pane -p -t "$1" 2>/dev/null)
        case $pane in *"$2"*) return 0 ;; esac
        [ "$(date +%s)" -ge "$w__end" ] && return 1
        sleep 0.1
    done
}
# see SESSION DESC TEXT [SECONDS]: a test that the pane comes to show TEXT.
see () {
    if wait_for "$1" "$3" "${4:-90}"; then t_pass "$2"
    else t_fail "$2" "wanted on screen: $3" "the pane:" "$pane"; fi
}
keys () { s=$1; shift; T send-keys -t "$s" "$@"; }
# type SESSION TEXT: literal text, then Enter.
type_in () { T send-keys -t "$1" -l "$2"; T send-keys -t "$1" Enter; }

# start SESSION COLS LINES ENV ARGS...: the wizard in a new session; its
# exit status goes to $t_tmp/SESSION.status, its stderr to SESSION.err.
start () {
    s=$1 x=$2 y=$3 e=$4; shift 4
    T new-session -d -s "$s" -x "$x" -y "$y" -c "$srcdir" \
        "env $e sh -c 'trap : INT; \"\$0\" wizard \"\$@\" 2>$t_tmp/$s.err; echo \$? >$t_tmp/$s.status' \
         $P2VKIT $*"
}
# ended SESSION DESC STATUS: the wizard exited with STATUS, printed no
# sanitizer report, and left the terminal in its normal screen.
ended () {
    w__end=$(($(date +%s) + 60))
    while [ ! -s "$t_tmp/$1.status" ] && [ "$(date +%s)" -lt "$w__end" ]; do sleep 0.1; done
    t_is "$2: exit status" "$3" "$(cat "$t_tmp/$1.status" 2>/dev/null)"
    if grep -q 'Sanitizer\|runtime error' "$t_tmp/$1.err" 2>/dev/null; then
        t_fail "$2: no sanitizer report" "$(cat "$t_tmp/$1.err")"
    else t_pass "$2: no sanitizer report"; fi
    t_is "$2: terminal restored (normal screen)" 0 "$(T display -p -t "$1" '#{alternate_on}')"
}

# flow SESSION COLS LINES: the whole flow in a terminal of that size.
flow () {
    s=$1 cols=$2 lines=$3 out="$t_tmp/$1"
    mkdir -p "$out"
    start "$s" "$cols" "$lines" "" --hosts $fleet/hosts.yaml --policy $fleet/policy.yaml \
        -o "$out/plan.yaml" --time-limit 0
    see "$s" "$s: starts with the catalog and no workloads" "0 workloads, 3 host models loaded"
    see "$s" "$s: says how to add workloads" "No workloads yet: press a"

    # An unreadable path at the prompt: refused with its name, still running.
    keys "$s" a
    see "$s" "$s: the add prompt" "Add profiles (file, CSV or folder):"
    type_in "$s" "$t_tmp/missing.yaml"
    see "$s" "$s: an unreadable path is named in the status line" "$t_tmp/missing.yaml: No such file"
    keys "$s" C-u
    type_in "$s" "$fleet/servers"
    see "$s" "$s: loads the example fleet" "Added 64 workloads from $fleet/servers"
    see "$s" "$s: the inventory lists its servers" "erpdb01"

    keys "$s" s s r
    see "$s" "$s: sorts on a column, descending" "sorted by cores (descending)"
    keys "$s" /
    type_in "$s" "dc0"
    see "$s" "$s: filters" "filter 'dc0' shows 2"
    keys "$s" Enter
    see "$s" "$s: opens a profile with its CPU chart" "CPU over the day"
    see "$s" "$s: ...and the whole profile" "schema: p2vkit/profile/v1"
    keys "$s" Escape
    sleep 0.2
    keys "$s" Escape
    see "$s" "$s: the filter is cleared" "64 workloads, sorted by cores"

    # Hosts: a model's count, refused when not a number, then 100.
    keys "$s" 2
    see "$s" "$s: the hosts screen lists the catalog" "r760-2x24"
    keys "$s" Enter
    see "$s" "$s: opens a model's form" "Model r660xs-2x16 (Enter edits"
    keys "$s" End Enter
    see "$s" "$s: edits the count" "count (0..2^31, empty: no limit):"
    keys "$s" C-u
    type_in "$s" lots
    see "$s" "$s: refuses a count that is not a number" "count: expected"
    keys "$s" C-u
    type_in "$s" 100
    see "$s" "$s: takes a count of 100" "count set"
    keys "$s" Escape
    see "$s" "$s: the table shows it" "14500   100"

    # Policy: a value out of range is refused in place, then 30.
    keys "$s" 3
    see "$s" "$s: the policy screen shows ranges" "0..99"
    keys "$s" Down Enter
    see "$s" "$s: edits the headroom" "headroom_pct (0..99):"
    keys "$s" C-u
    type_in "$s" 150
    see "$s" "$s: refuses 150% headroom with the range" "headroom_pct: 150 is out of range (0 to 99)"
    see "$s" "$s: ...keeping the field open" "headroom_pct (0..99): 150"
    keys "$s" C-u
    type_in "$s" 30
    see "$s" "$s: takes 30% headroom" "headroom_pct is 30"

    # Decisions: a Windows 2003 server cannot be paravirtualized.
    keys "$s" 4
    see "$s" "$s: the decisions before planning" "Before planning"
    keys "$s" p
    see "$s" "$s: refuses an infeasible mode with the reason" "Refused: app01 cannot be forced to paravirt"
    keys "$s" f
    see "$s" "$s: forces a feasible one" "app01: forced to full"
    keys "$s" a
    see "$s" "$s: gives the choice back" "app01: the planner chooses its mode"

    # Plan (F5), in the worker thread.
    keys "$s" F5
    see "$s" "$s: plans" "Planned: 64 workloads"
    see "$s" "$s: shows the lower bound" "Lower bound"
    if [ "$cols" -ge 132 ]; then
        t_match "$s: a host's five bars on one line" "kvm +CPU \[.*MEM \[.*DSK \[.*IOP \[.*NET \[" "$pane"
    else
        t_match "$s: a host's bars on two lines" "kvm +CPU \[.*MEM \[.*DSK \[" "$pane"
    fi
    if [ "$s" = w80 ]; then
        # A resize below the minimum, then back.
        T resize-window -t "$s" -x 60 -y 20
        see "$s" "$s: says when the terminal is too small" "Terminal too small: 60x20"
        T resize-window -t "$s" -x 80 -y 24
        see "$s" "$s: redraws the plan after the resize" "Lower bound"
    fi

    # Export: the plan must be what the command line makes.
    keys "$s" 6
    see "$s" "$s: the export screen" "Export now (F6)"
    keys "$s" F6
    see "$s" "$s: exports" "Exported 6 files" 180
    t_match "$s: the exported catalog has the count" "count: 100" "$(cat "$out/plan-hosts.yaml" 2>/dev/null)"
    "$P2VKIT_PLAIN" plan $fleet/servers --hosts "$out/plan-hosts.yaml" --policy "$t_tmp/policy30.yaml" \
        --time-limit 0 -q -o "$out/cli.yaml"
    if cmp -s "$out/cli.yaml" "$out/plan.yaml"; then t_pass "$s: the exported plan equals p2vkit plan's"
    else t_fail "$s: the exported plan equals p2vkit plan's" "$(diff "$out/cli.yaml" "$out/plan.yaml" | head -20)"; fi
    t_ok "$s: the exported policy reads" "$P2VKIT_PLAIN" validate "$out/plan-policy.yaml"
    t_match "$s: the HTML report" "<html" "$(head -c 2000 "$out/plan.html" 2>/dev/null)"
    t_match "$s: the Markdown report" "^# " "$(head -n 3 "$out/plan.md" 2>/dev/null)"
    t_match "$s: the commands" "p2vkit deploy $out/plan.yaml --images" "$(cat "$out/plan-commands.sh" 2>/dev/null)"

    # Move the smallest workload to the least loaded host (not a spare).
    set -- $(perl -e '
        my ($host, %peak, %spare, $in_wl, $name, %mem, %on);
        while (<>) {
            if (/^hosts:/) { $in_wl = 0; } elsif (/^workloads:/) { $in_wl = 1; }
            if (!$in_wl && /^- name: (\S+)/) { $host = $1; }
            if (!$in_wl && /^  spare: true/) { $spare{$host} = 1; }
            if (!$in_wl && /^  peak: \{cpu_pct: ([\d.]+), memory_pct: ([\d.]+), disk_pct: ([\d.]+)/) {
                my $m = $1; $m = $2 if $2 > $m; $m = $3 if $3 > $m; $peak{$host} = $m;
            }
            if ($in_wl && /^- name: (\S+)/) { $name = $1; }
            if ($in_wl && /^  host: (\S+)/) { $on{$name} = $1; }
            if ($in_wl && /^  demand: \{cpu_mhz: [\d.]+, memory_mib: ([\d.]+), disk_gib: ([\d.]+)/) {
                $mem{$name} = $1 + $2 * 1024;
            }
        }
        my ($to) = sort { $peak{$a} <=> $peak{$b} } grep { !$spare{$_} } keys %peak;
        my ($w) = sort { $mem{$a} <=> $mem{$b} || $a cmp $b } grep { $on{$_} && $on{$_} ne $to } keys %on;
        my ($sp) = sort grep { $spare{$_} } keys %peak;
        print "$w $to $sp\n";' "$out/plan.yaml")
    wl=$1 to=$2 spare=$3
    keys "$s" 5
    keys "$s" /
    see "$s" "$s: the find prompt" "Find workload:"
    type_in "$s" "$wl"
    keys "$s" m
    see "$s" "$s: the move prompt" "Move $wl to host:"
    type_in "$s" "$spare"
    see "$s" "$s: a move to a spare host is refused" "Move refused: $spare is a spare host"
    keys "$s" m
    type_in "$s" "$to"
    see "$s" "$s: a move that keeps every constraint is made" "Moved $wl to $to: every constraint holds"
    see "$s" "$s: the plan counts it" "1 moved by hand"
    keys "$s" F6
    see "$s" "$s: exports the moved plan" "Exported 6 files" 180
    t_ok "$s: p2vkit plan --check accepts the moved plan" \
        "$P2VKIT_PLAIN" plan --check "$out/plan.yaml" $fleet/servers --hosts "$out/plan-hosts.yaml" -q
    t_match "$s: the workload is on its new host" "^  host: $to\$" \
        "$(sed -n "/^- name: $wl\$/,/^- name:/p" "$out/plan.yaml")"

    # Quit with unsaved changes: asked, refused, asked, accepted.
    keys "$s" 3 Home Down Enter C-u
    type_in "$s" 25
    see "$s" "$s: a change after the export" "headroom_pct is 25"
    keys "$s" q
    see "$s" "$s: quitting with unsaved changes asks" "Changes not exported. Quit anyway? (y/N)"
    keys "$s" n
    see "$s" "$s: no keeps it running" "Not quitting"
    keys "$s" F10
    see "$s" "$s: F10 asks too" "Quit anyway? (y/N)"
    keys "$s" y
    ended "$s" "$s" 0
}

# Without a terminal: exit 2 and one line.
err=$("$P2VKIT" wizard $fleet/servers </dev/null 2>&1 >/dev/null); st=$?
t_is "no terminal on stdin: exit 2" 2 "$st"
t_match "no terminal: one line saying so" "^p2vkit: wizard: needs a terminal" "$err"
t_exit "no terminal on stdout: exit 2" 2 sh -c "\"\$0\" wizard >$t_tmp/out.txt" "$P2VKIT"

# A terminal whose type is unknown: exit 1 and one line naming it.
if command -v script >/dev/null 2>&1; then
    out=$(script -eqc "TERM=nosuchterm $P2VKIT wizard" /dev/null 2>&1); st=$?
    t_is "unknown terminal type: exit 1" 1 "$st"
    t_match "unknown terminal type: says so" "p2vkit: wizard: cannot use the terminal \(TERM=nosuchterm\)" "$out"
    t_is "unknown terminal type: one line, no sanitizer report" 1 "$(printf '%s\n' "$out" | grep -c .)"
fi

flow w80 80 24
flow w132 132 43

# "Size for me" on the Hosts screen: the thesis lab with no catalog gets
# the spec `p2vkit plan --size` writes, as model sized, and plans on it.
out="$t_tmp/size"
mkdir -p "$out"
"$P2VKIT_PLAIN" plan examples/thesis/servers --policy examples/thesis/policy.yaml \
    --size -q -o "$out/cli.yaml"
cores=$(sed -n 's/^  cores: {need: [0-9.]*, spec: \([0-9.]*\)}$/\1/p' "$out/cli.yaml")
mem=$(sed -n 's/^  memory_gib: {need: [0-9.]*, spec: \([0-9.]*\)}$/\1/p' "$out/cli.yaml")
binds=$(sed -n 's/^  binding: {resource: \([a-z]*\),.*/\1/p' "$out/cli.yaml")
t_match "size: p2vkit plan --size gives a spec to compare with" "^[0-9]+ [0-9]+ [a-z]+\$" "$cores $mem $binds"
start size 80 24 "" examples/thesis/servers --policy examples/thesis/policy.yaml \
    -o "$out/plan.yaml" --time-limit 0
see size "size: starts with the lab and no catalog" "2 workloads, 0 host models loaded"
keys size F5
see size "size: planning without a catalog is refused" "No host models"
keys size 2
see size "size: the key bar offers it" "sSize for me"
keys size s
see size "size: sizes in the background, into the status line" \
    "Sized: $cores cores at 2600 MHz, $mem GiB, $binds binds; added as model sized"
see size "size: shows the spec" "Sized: 1 x $cores cores at 2600 MHz, $mem GiB"
see size "size: ...and the binding dimension" "Binding: $binds,"
t_match "size: the catalog lists model sized" "sized +$cores +2600 +$mem " "$pane"
keys size F5
see size "size: plans on the sized model" "Planned: 2 workloads, 2 placed on 1 hosts"
keys size F6
see size "size: exports" "Exported 6 files" 180
t_match "size: the exported catalog holds the spec" \
    "model: sized.*cores: $cores.*memory_mib: $((mem * 1024))" \
    "$(tr '\n' ' ' <"$out/plan-hosts.yaml" 2>/dev/null)"
t_ok "size: p2vkit plan --check accepts the plan on it" \
    "$P2VKIT_PLAIN" plan --check "$out/plan.yaml" examples/thesis/servers \
    --hosts "$out/plan-hosts.yaml" -q
keys size q
ended size "size" 0

# Sizing with no workloads: an error in the status line, still running.
start size0 80 24 ""
see size0 "size, no workloads: running" "0 workloads, 0 host models loaded"
keys size0 2 s
see size0 "size, no workloads: says so in the status line" "No workloads to size a host for"
keys size0 q
ended size0 "size, no workloads" 0

# Unreadable files on the command line: a message, and the wizard runs.
start bad 80 24 "" $fleet/servers "$t_tmp/nothing-here" --hosts "$t_tmp/no-hosts.yaml"
see bad "unreadable profiles on the command line: named in the status line" "$t_tmp/nothing-here: No such file"
see bad "...and the rest is loaded" "64 workloads, sorted by name"
keys bad q
ended bad "quit without changes, at once" 0

# The core's warnings (an OS name libosinfo does not know, at import) are
# on the status line, for files on the command line and at the prompt;
# nothing goes to stderr under the screen.
printf 'name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95\nzz01,Plan 9 Fourth Edition,2,2600,4096,40,10,1000\n' >"$t_tmp/w1.csv"
sed 's/^zz01,/zz02,/' "$t_tmp/w1.csv" >"$t_tmp/w2.csv"
start warn 200 30 "" "$t_tmp/w1.csv"
see warn "warnings: a command line file's warning is on the status line" \
    "warning: $t_tmp/w1.csv:2: column 'os': libosinfo does not know 'Plan 9 Fourth Edition'"
keys warn a
see warn "warnings: the add prompt" "Add profiles (file, CSV or folder):"
type_in warn "$t_tmp/w2.csv"
see warn "warnings: a warning at the prompt is on the status line" \
    "Added 1 workload from $t_tmp/w2.csv; warning: $t_tmp/w2.csv:2: column 'os': libosinfo does not know"
keys warn q
see warn "warnings: quitting asks (a workload was added)" "Quit anyway? (y/N)"
keys warn y
ended warn "warnings" 0
t_is "warnings: none on stderr" "" "$(grep -v Sanitizer "$t_tmp/warn.err")"

# Ctrl-C: the terminal is restored and the status says so.
start intr 80 24 "" --hosts $fleet/hosts.yaml
see intr "Ctrl-C test: running" "3 host models loaded"
keys intr 2
see intr "Ctrl-C test: on the hosts screen" "r760-2x24"
keys intr C-c
ended intr "Ctrl-C" 130
t_match "Ctrl-C: says it was interrupted" "interrupted" "$(cat "$t_tmp/intr.err")"

# A crash (SIGSEGV sent to it): the terminal is restored before it dies.
start crash 80 24 "" --hosts $fleet/hosts.yaml
see crash "crash test: running" "3 host models loaded"
t_is "crash test: in the alternate screen while running" 1 "$(T display -p -t crash '#{alternate_on}')"
pid=$(pgrep -P "$(T display -p -t crash '#{pane_pid}')" | head -n 1)
[ -n "$pid" ] && kill -SEGV "$pid"
w__end=$(($(date +%s) + 60))
while [ ! -s "$t_tmp/crash.status" ] && [ "$(date +%s)" -lt "$w__end" ]; do sleep 0.1; done
t_is "crash: dies of the signal" 139 "$(cat "$t_tmp/crash.status")"
t_is "crash: terminal restored (normal screen)" 0 "$(T display -p -t crash '#{alternate_on}')"

# Colours, and none with NO_COLOR.
start col 80 24 "" --hosts $fleet/hosts.yaml
see col "colour test: running" "3 host models loaded"
t_match "colours by default" "$(printf '\033')\[[0-9;]*4[0-7]m" "$(T capture-pane -e -p -t col)"
keys col q
ended col "colour test" 0
start nocol 80 24 NO_COLOR=1 --hosts $fleet/hosts.yaml
see nocol "NO_COLOR test: running" "3 host models loaded"
if T capture-pane -e -p -t nocol | grep -q "$(printf '\033')\[[0-9;]*[34][0-7]m"; then
    t_fail "no colours with NO_COLOR" "$(T capture-pane -e -p -t nocol | cat -v | head -5)"
else t_pass "no colours with NO_COLOR"; fi
t_match "NO_COLOR: the selection is in reverse video" "$(printf '\033')\[[0-9;]*7m" "$(T capture-pane -e -p -t nocol)"
keys nocol q
ended nocol "NO_COLOR test" 0

echo "1..$t_count"
t_done
