#!/bin/sh
# Every command a report's runbooks tell an operator to run exists as
# written: each `p2vkit CMD ...` line of the Markdown and HTML reports of
# the committed plans (and of a fresh plan of the bundled fleet) names a
# subcommand, and every option it uses is one that `p2vkit CMD --help`
# lists; each `virsh CMD` is a virsh command.  No runbook waits for a
# serial-console login prompt (--verify-boot), which Windows never gives
# and most physical servers do not offer.
. "$(dirname "$0")/functions.sh"

command -v python3 >/dev/null 2>&1 || t_skip_all "no python3"
t_tmpdir
D=tests/data/report
TPL="--template $srcdir/templates"

"$P2VKIT" plan -q examples/fleet/servers --hosts examples/fleet/hosts.yaml \
    -o "$t_tmp/fleet-plan.yaml" 2>/dev/null
plans="$D/thesis-plan.yaml $D/fleet-plan.yaml $D/hostile-plan.yaml $D/sized-plan.yaml $t_tmp/fleet-plan.yaml"
t_plan 9

# The command lines of every report, one per line: Markdown code blocks
# and HTML <pre> blocks (entities decoded).
for p in $plans; do
    n=$(basename "$p" .yaml)
    "$P2VKIT" report "$p" $TPL -q --format md -o "$t_tmp/$n.md"
    "$P2VKIT" report "$p" $TPL -q --format html -o "$t_tmp/$n.html"
done
python3 - "$t_tmp" > "$t_tmp/lines" <<'PY'
import glob, html, re, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.md")):
    inside = False
    for line in open(f):
        s = line.strip()
        if s.startswith("```"):
            inside = not inside
        elif inside and re.match(r"(p2vkit|virsh) ", s):
            print(s)
for f in sorted(glob.glob(sys.argv[1] + "/*.html")):
    for block in re.findall(r"<pre>(.*?)</pre>", open(f).read(), re.S):
        for s in html.unescape(re.sub(r"<[^>]*>", "", block)).splitlines():
            s = s.strip()
            if re.match(r"(p2vkit|virsh) ", s):
                print(s)
PY
total=$(grep -c '^p2vkit ' "$t_tmp/lines")
t_match "the reports hold p2vkit command lines ($total)" '^[1-9][0-9]*$' "$total"
t_is "... from both the Markdown and the HTML runbooks" 2 \
    "$(grep -c -- '--only' "$t_tmp"/thesis-plan.md "$t_tmp"/thesis-plan.html | grep -c ':[1-9]')"

# Options of each subcommand, from its --help.
python3 - "$P2VKIT" "$t_tmp/lines" > "$t_tmp/bad" <<'PY'
import re, shlex, subprocess, sys
prog, lines = sys.argv[1], sys.argv[2]
known = {}
def options(cmd):
    if cmd not in known:
        r = subprocess.run([prog, cmd, "--help"], capture_output=True, text=True)
        opts = set()
        if r.returncode == 0:
            for l in r.stdout.splitlines():
                m = re.match(r"\s+(?:(-\w), )?(--[\w-]+)", l)
                if m:
                    opts.update(o for o in m.groups() if o)
        known[cmd] = (r.returncode == 0, opts)
    return known[cmd]
seen = set()
for line in open(lines):
    line = line.strip()
    if not line.startswith("p2vkit ") or line in seen:
        continue
    seen.add(line)
    words = shlex.split(line)
    ok, opts = options(words[1])
    if not ok:
        print("no subcommand '%s': %s" % (words[1], line))
        continue
    for w in words[2:]:
        if w.startswith("-") and w != "-":
            name = w.split("=", 1)[0]
            if name not in opts:
                print("%s: no option %s: %s" % (words[1], name, line))
PY
t_is "every option of every runbook command is in its subcommand's --help" "" "$(head -20 "$t_tmp/bad")"
t_is "no runbook waits for a serial-console login (--verify-boot)" "" \
    "$(grep -- '--verify-boot' "$t_tmp/lines" | head -3)"
t_match "each workload is deployed alone (deploy --only NAME)" \
    "^p2vkit deploy .* --only [a-z0-9-]+ .*--start$" "$(grep '^p2vkit deploy ' "$t_tmp/lines")"
t_match "... and then checked (deploy --status --only NAME)" \
    "^p2vkit deploy --status .* --only [a-z0-9-]+ " "$(grep '^p2vkit deploy ' "$t_tmp/lines")"
# A Windows workload (dc01 in the thesis plan) is told how to look at it.
t_match "a Windows runbook says how to check it without a serial console" \
    "vncdisplay dc01" "$(sed -n '/Runbook: dc01/,/Runbook: pbx01/p' "$t_tmp/thesis-plan.md")"
t_is "... a Linux runbook does not" "" \
    "$(sed -n '/Runbook: pbx01/,$p' "$t_tmp/thesis-plan.md" | grep vncdisplay)"

# virsh's commands exist (virsh help CMD fails on an unknown one).
if command -v virsh >/dev/null 2>&1; then
    bad=
    for c in $(grep -o '^virsh -c [^ ]* [a-z-]*' "$t_tmp/lines" | awk '{print $4}' | sort -u); do
        virsh help "$c" >/dev/null 2>&1 || bad="$bad $c"
    done
    t_is "every virsh command of the runbooks exists" "" "$bad"
else
    t_pass "# SKIP no virsh"
fi
t_done
