#!/bin/sh
# A new user's journey through the README's commands on the bundled
# examples, with the options it advertises (--growth, --size, -o -, -o
# into a symbolic link and into a FIFO), against the program under test
# (the sanitizer build in make check): every command exits 0 and leaves
# the output it promises, in the place it promises.
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 21

W=$t_tmp
ex=examples/fleet
tl="-t 0"   # no improvement search: the same result on a loaded machine; its quality is not what is checked here

t_ok "import a CSV of servers into a folder of profiles" \
    "$P2VKIT" import tests/data/csv/fleet.csv -q -o "$W/servers"
t_is "one profile per row" "$(($(grep -c . tests/data/csv/fleet.csv) - 1))" "$(ls "$W/servers" | wc -l)"
t_ok "inventory --summary of the example fleet" "$P2VKIT" inventory --summary $ex/servers

# plan onto the catalog, with growth (this crashed with --growth 20)
t_ok "plan the fleet onto its catalog" \
    "$P2VKIT" plan $ex/servers --hosts $ex/hosts.yaml --policy $ex/policy.yaml $tl -q -o "$W/plan.yaml"
t_ok "... with --growth 20" \
    "$P2VKIT" plan $ex/servers --hosts $ex/hosts.yaml --policy $ex/policy.yaml --growth 20 $tl -q -o "$W/growth.yaml"
t_ok "... and the growth plan validates" "$P2VKIT" validate -q "$W/growth.yaml"
t_ok "plan --check passes on the plan it wrote" \
    "$P2VKIT" plan --check "$W/plan.yaml" $ex/servers --hosts $ex/hosts.yaml

# --size with growth: every workload placed, or a true reason (check)
t_ok "plan --size --growth 20 (what to buy)" \
    "$P2VKIT" plan $ex/servers --size --growth 20 --policy $ex/policy.yaml $tl -q -o "$W/sized.yaml"
t_ok "... and plan --check passes on it" \
    "$P2VKIT" plan --check "$W/sized.yaml" $ex/servers

# -o -: the plan on standard output, the summary not mixed into it
"$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml \
    --policy examples/thesis/policy.yaml $tl -o - > "$W/stdout.yaml" 2> "$W/stdout.err"
t_is "plan -o - exits 0" 0 $?
t_ok "... and what it printed is a plan that validates" "$P2VKIT" validate -q "$W/stdout.yaml"

# -o into a symbolic link: the target is written, the link stays a link
mkdir "$W/plans"
ln -s plans/current.yaml "$W/link.yaml"
t_ok "plan -o LINK (a link to a file not made yet)" \
    "$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml \
    --policy examples/thesis/policy.yaml $tl -q -o "$W/link.yaml"
t_is "... the link is still a link" "link" "$([ -L "$W/link.yaml" ] && echo link)"
t_ok "... and its target holds the plan" "$P2VKIT" validate -q "$W/plans/current.yaml"

# -o into a FIFO: written in place, read whole by the other end
mkfifo "$W/fifo"
cat "$W/fifo" > "$W/from-fifo.yaml" &
reader=$!
t_ok "plan -o FIFO" \
    "$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml \
    --policy examples/thesis/policy.yaml $tl -q -o "$W/fifo"
wait $reader
t_is "... the FIFO is still a FIFO" "fifo" "$([ -p "$W/fifo" ] && echo fifo)"
t_ok "... and its reader got a plan that validates" "$P2VKIT" validate -q "$W/from-fifo.yaml"

# the report, into a link too
ln -s plans/report.html "$W/report.html"
t_ok "report the plan (HTML) into a link" "$P2VKIT" report "$W/plan.yaml" -q -o "$W/report.html"
t_match "... the report went to the link's target" "<html" "$(head -c 2000 "$W/plans/report.html")"
t_ok "report the growth plan as Markdown on standard output" \
    sh -c '"$1" report "$2" --format md -o - | grep -q .' sh "$P2VKIT" "$W/growth.yaml"

# nothing half-written was left behind anywhere
t_is "no temporary files left" "" "$(find "$W" -name '*.tmp*')"

t_done
