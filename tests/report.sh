#!/bin/sh
# p2vkit report: golden Markdown of the committed plans, escaping, HTML in
# headless Chromium (a screenshot that is not blank), PDF whose text holds
# every workload, bad plans and template folders, and the clean-up of a
# PDF interrupted by Ctrl-C.
#
#   tests/report.sh --regen   rewrites tests/data/report/*.md from the
#                             current program (review the diff)
. "$(dirname "$0")/functions.sh"

regen=false
[ "${1:-}" = "--regen" ] && regen=true
t_tmpdir
D=tests/data/report
TPL="--template $srcdir/templates"
plans="thesis fleet hostile sized"

# The Markdown of every committed plan, and of a plan from before the
# report's extensions, is exactly the expected file.
golden () {     # NAME PLAN
    out=$t_tmp/$1.md
    if ! msg=$("$P2VKIT" report "$2" $TPL -q -o "$out" 2>&1); then
        t_fail "report $2 as Markdown" "$msg"
    elif $regen; then
        cp "$out" "$D/$1.md"
        t_pass "regenerated $D/$1.md"
    elif diff=$(diff -u "$D/$1.md" "$out" 2>&1); then
        t_pass "Markdown of $2 matches $D/$1.md"
    else
        t_fail "Markdown of $2 matches $D/$1.md" "$diff"
    fi
}
if $regen; then
    t_plan 5
    for p in $plans; do golden "$p" "$D/$p-plan.yaml"; done
    golden old tests/data/good/plan.yaml
    t_done
fi

command -v chromium >/dev/null || t_skip_all "chromium is not installed (scripts/install-deps.sh)"
command -v pdftotext >/dev/null || t_skip_all "pdftotext is not installed (poppler-utils)"
t_plan 51

for p in $plans; do golden "$p" "$D/$p-plan.yaml"; done
golden old tests/data/good/plan.yaml

# HTML: found without --template next to the program, self-contained.
html=$t_tmp/fleet.html
t_ok "HTML of the fleet with the templates next to the program" \
    "${P2VKIT_PLAIN:-$P2VKIT}" report "$D/fleet-plan.yaml" -o "$html"
t_is "the HTML refers to nothing outside itself" "" \
    "$(grep -Eo '(src|href)="[a-z]+:[^"]*"|url\([^)#]|@import' "$html" | head -3)"
t_is "one chart per running host" 12 "$(grep -c 'aria-label="CPU demand of' "$html")"
# A sized plan with growth: the host to buy, and a growth curve per
# running host that marks the month it runs out.
"$P2VKIT" report "$D/sized-plan.yaml" $TPL -q -o "$t_tmp/sized.html"
t_match "HTML of a sized plan: the host to buy" '<h3 id="sizing">The host to buy</h3>' "$(cat "$t_tmp/sized.html")"
t_is "one growth chart per running host" 1 "$(grep -c 'aria-label="Growth of sized-1' "$t_tmp/sized.html")"
t_match "marking month 7" 'runs out: month 7' "$(cat "$t_tmp/sized.html")"
"$P2VKIT" report "$D/fleet-plan.yaml" $TPL -q -o "$t_tmp/fleet-san.html"
t_ok "the sanitizer build writes the same HTML" cmp "$html" "$t_tmp/fleet-san.html"

# Names holding <script>, quotes and ampersands come out escaped.
"$P2VKIT" report "$D/hostile-plan.yaml" $TPL -q -o "$t_tmp/hostile.html"
h=$(cat "$t_tmp/hostile.html")
t_is "HTML: no <script>, <b>, <i> or <card> from the plan" "" \
    "$(printf '%s\n' "$h" | grep -Eio '<(script|b|i|card|nt|co|s)>' | head -3)"
t_match "HTML: <script> escaped" '&lt;script&gt;alert\(&#39;web&#39;\)&lt;/script&gt;' "$h"
t_match "HTML: quotes and ampersands escaped" 'Linux &lt;script&gt;x&lt;/script&gt; &amp; &quot;friends&quot;' "$h"
t_match "HTML: a device name with a quote is shell-quoted, then escaped" \
    "--disk &#39;/dev/my disk&#39;\\\\&#39;&#39;s &lt;1&gt;&#39;" "$h"
m=$(cat "$D/hostile.md")
t_is "Markdown: no <script> or other tag from the plan" "" \
    "$(printf '%s\n' "$m" | grep -v '^   p2vkit capture' | grep -Eio '<(script|b|i|card|nt|co|s)>' | head -3)"
t_match "Markdown: <script>, quotes and ampersands escaped" \
    '&lt;script&gt;alert\('"'"'web'"'"'\)&lt;/script&gt; runs &quot;paravirtualized&quot; &amp; fast' "$m"
t_match "Markdown: its own punctuation escaped" '\| web\\_01 \| ' "$m"

# Chromium renders the HTML: a screenshot with the report's colours (the
# mode badges: paravirtualized green, fully virtualized amber).
png=$t_tmp/fleet.png
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --user-data-dir="$t_tmp/chromium" --window-size=1000,3000 \
    --screenshot="$png" "file://$html" >/dev/null 2>&1
if [ -s "$png" ]; then
    colours=$(perl tests/image-colours.pl "$png" 2e7d4f b26a00 1d2329)
    t_pass "chromium took a screenshot of the HTML"
    n=$(printf '%s\n' "$colours" | head -n 1)
    t_match "the screenshot is not blank: $n colours" '^([5-9][0-9]|[1-9][0-9]{2,})$' "$n"
    t_match "the screenshot shows the paravirtualized and fully virtualized badges" \
        '^2e7d4f [1-9][0-9]{2,}.*b26a00 [1-9][0-9]{2,}' "$(printf '%s\n' "$colours" | tail -n +2 | tr '\n' ' ')"
else
    t_fail "chromium took a screenshot of the HTML"
    t_fail "the screenshot is not blank"
    t_fail "the screenshot shows the paravirtualized and fully virtualized badges"
fi

# PDF: printed by Chromium, its text holds every workload name, and the
# page of the first host has the chart (its line, area and limit colours).
pdf=$t_tmp/fleet.pdf
TMPDIR=$t_tmp/scratch; export TMPDIR; mkdir -p "$TMPDIR"
t_ok "PDF of the fleet" "$P2VKIT" report "$D/fleet-plan.yaml" $TPL --format pdf -q -o "$pdf"
t_is "it is a PDF" "%PDF-" "$(head -c 5 "$pdf")"
text=$(pdftotext "$pdf" - 2>/dev/null)
missing=
for w in $(sed -n 's/^- name: \([^ ]*\)$/\1/p' "$D/fleet-plan.yaml" | sort -u); do
    printf '%s\n' "$text" | grep -qw -- "$w" || missing="$missing $w"
done
t_is "the PDF's text holds every workload name of the plan" "" "$missing"
t_is "that is 64 workloads and 14 hosts" "64" \
    "$(sed -n '/^workloads:/,$s/^- name: //p' "$D/fleet-plan.yaml" | wc -l | tr -d ' ')"
page=$(pdftotext "$pdf" - | awk 'BEGIN{RS="\f"} /r760-2x24-1\n/ && /Virtual machine/ {print NR; exit}')
pdftoppm -r 60 -f "${page:-1}" -l "${page:-1}" "$pdf" "$t_tmp/page" 2>/dev/null
ppm=$(ls "$t_tmp"/page*.ppm 2>/dev/null | head -n 1)
t_match "the host's page has its chart: line, area and limit colours" \
    '^2f6db5 [1-9][0-9]+ dce8f6 [1-9][0-9]{2,} c0392b [1-9][0-9]+ $' \
    "$( [ -n "$ppm" ] && perl tests/image-colours.pl "$ppm" 2f6db5 dce8f6 c0392b | tail -n +2 | tr '\n' ' ')"
t_is "Chromium's scratch folder is gone" "" "$(ls -A "$TMPDIR")"

# Without Chromium: exit 1 saying so, nothing written.
err=$(P2VKIT_CHROMIUM=/nonexistent/chromium "$P2VKIT" report "$D/thesis-plan.yaml" $TPL \
      -f pdf -o "$t_tmp/none.pdf" 2>&1); st=$?
t_is "without Chromium: exit 1" 1 "$st"
t_match "... naming it" '^p2vkit: /nonexistent/chromium: cannot run it' "$err"
t_is "... no PDF, no scratch folder" "" "$(ls "$t_tmp" | grep '^none\.pdf'; ls -A "$TMPDIR")"

# Ctrl-C while Chromium prints: no PDF, no temporary file, no scratch.
"$P2VKIT" report "$D/fleet-plan.yaml" $TPL -f pdf -q -o "$t_tmp/int.pdf" 2>/dev/null &
pid=$!
i=0
while [ $i -lt 100 ] && [ -z "$(ls "$TMPDIR")" ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
kill -INT $pid
wait $pid; st=$?
i=0
while [ $i -lt 50 ] && [ -n "$(ls "$TMPDIR")" ]; do sleep 0.1; i=$((i + 1)); done
t_is "interrupted: killed by SIGINT" 130 "$st"
t_is "interrupted: no PDF and no temporary file" "" "$(ls "$t_tmp" | grep '^int\.pdf')"
t_is "interrupted: the scratch folder is removed" "" "$(ls -A "$TMPDIR")"
unset TMPDIR

# Bad input: exit 1, one line naming the file, no output.
err=$("$P2VKIT" report examples/thesis/hosts.yaml $TPL -o "$t_tmp/bad.html" 2>&1); st=$?
t_is "a host catalog is not a plan: exit 1" 1 "$st"
t_is "... naming the file and its schema" \
    "p2vkit: examples/thesis/hosts.yaml:1:9: schema is 'p2vkit/hosts/v1', expected 'p2vkit/plan/v1'" "$err"
t_is "... no document" "" "$(ls "$t_tmp" | grep '^bad\.html')"
err=$("$P2VKIT" report tests/data/bad/plan-unknown-host.yaml $TPL -o "$t_tmp/bad.md" 2>&1); st=$?
t_is "a broken plan: exit 1 with its position" \
    "1 p2vkit: tests/data/bad/plan-unknown-host.yaml:6:5: workloads[0]: host 'h1' is not in hosts" "$st $err"

cp -R templates "$t_tmp/tpl"
rm "$t_tmp/tpl/runbook.html"
err=$("$P2VKIT" report "$D/thesis-plan.yaml" --template "$t_tmp/tpl" -o "$t_tmp/bad.html" 2>&1); st=$?
t_is "a template folder without runbook.html: exit 1" 1 "$st"
t_match "... naming the missing file and where it is included" \
    "^p2vkit: $t_tmp/tpl/report.html:[0-9]+:1: partial 'runbook.html': $t_tmp/tpl/runbook.html: No such file or directory\$" "$err"
t_is "... no document" "" "$(ls "$t_tmp" | grep '^bad\.html')"
rm "$t_tmp/tpl/report.md"
err=$("$P2VKIT" report "$D/thesis-plan.yaml" --template "$t_tmp/tpl" -f md -o "$t_tmp/bad.md" 2>&1); st=$?
t_is "a template folder without report.md: exit 1 naming it" \
    "1 p2vkit: $t_tmp/tpl/report.md: No such file or directory" "$st $err"
cp templates/runbook.html "$t_tmp/tpl/"
sed 's/{{count}}/{{cuont}}/' templates/host.html > "$t_tmp/tpl/host.html"
err=$("$P2VKIT" report "$D/thesis-plan.yaml" --template "$t_tmp/tpl" -o "$t_tmp/bad.html" 2>&1); st=$?
t_match "a misspelled name in an edited template: exit 1 at its line and column" \
    "^1 p2vkit: $t_tmp/tpl/host.html:[0-9]+:[0-9]+: unknown variable 'cuont'\$" "$st $err"
err=$("$P2VKIT" report "$D/thesis-plan.yaml" --template "$t_tmp/nothere" 2>&1); st=$?
t_is "a template folder that does not exist: exit 1" \
    "1 p2vkit: $t_tmp/nothere: not a folder of templates" "$st $err"

# Usage errors: exit 2.
t_exit "an unknown format: exit 2" 2 "$P2VKIT" report "$D/thesis-plan.yaml" -f docx
t_exit "no plan: exit 2" 2 "$P2VKIT" report
t_exit "two plans: exit 2" 2 "$P2VKIT" report "$D/thesis-plan.yaml" "$D/fleet-plan.yaml"
t_exit "a zero rate: exit 2" 2 "$P2VKIT" report "$D/thesis-plan.yaml" --rate 0

# The format follows -o's name; --values gives JSON with the documented names.
"$P2VKIT" report "$D/thesis-plan.yaml" $TPL -q -o "$t_tmp/by-name.md"
t_is "-o NAME.md writes Markdown" "# Deployment plan" "$(head -n 1 "$t_tmp/by-name.md")"
keys=$("$P2VKIT" report "$D/thesis-plan.yaml" --values | perl -MJSON::PP -0777 -ne \
    'my $v = decode_json ($_); print join (" ", sort grep { $_ ne "generator" } keys %$v)')
t_is "--values: JSON with the top-level names of docs/templates.md" \
    "bom bom_cost bom_count bom_watts growth guide has_charts has_models hosts migration physical plan_file policy runbooks sizing spares summary title waves workloads" "$keys"

# Installed: the program finds the templates under its prefix.
if make -s -C "$srcdir" install DESTDIR="$t_tmp/root" PREFIX=/opt/p2vkit >/dev/null 2>&1; then
    t_ok "installed under a prefix, it finds its templates" \
        "$t_tmp/root/opt/p2vkit/bin/p2vkit" report "$D/thesis-plan.yaml" -q -o "$t_tmp/installed.html"
else
    t_fail "installed under a prefix, it finds its templates" "make install failed"
fi
t_done
