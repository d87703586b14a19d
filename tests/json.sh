#!/bin/sh
# --json for scripts: plan (the summary, plan in -o FILE), validate and
# inventory --summary (and report --values) print documents that python3's json module reads,
# with numbers as JSON numbers and the values of the text outputs.
# (deploy --status --json: tests/deploy-only.sh, against libvirtd.)
. "$(dirname "$0")/functions.sh"

command -v python3 >/dev/null 2>&1 || t_skip_all "no python3"
t_tmpdir
t_plan 14

# py EXPR < JSON: EXPR over the document d.
py () { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

out=$("$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml \
      -o "$t_tmp/plan.yaml" --json 2>/dev/null); st=$?
t_is "plan --json: exit 0" 0 "$st"
t_is "plan --json: workloads, placed, hosts used and cost are numbers" "2 2 1 1200 int" \
    "$(printf '%s' "$out" | py 'd["workloads"], d["placed"], d["hosts_used"], d["cost"], type(d["cost"]).__name__' | tr -d '(),' )"
t_is "plan --json: the host and its workloads" "athlon-x2-5200-1 ['dc01', 'pbx01'] float" \
    "$(printf '%s' "$out" | py 'd["hosts"][0]["name"], d["hosts"][0]["workloads"], type(d["hosts"][0]["peak_pct"]["cpu"]).__name__' | tr -d '(),' | sed "s/' '/', '/")"
t_match "plan --json: the plan itself went to -o" "schema: p2vkit/plan/v1" "$(cat "$t_tmp/plan.yaml")"
err=$("$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml --json 2>&1); st=$?
t_match "plan --json without -o FILE: usage error" "^2 p2vkit: plan: --json prints the summary on standard output" "$st $err"
out=$("$P2VKIT" plan examples/thesis/servers --size -o "$t_tmp/sized.yaml" --growth 20 --json 2>/dev/null)
t_is "plan --size --growth --json: sizing and growth objects" "True True" \
    "$(printf '%s' "$out" | py 'isinstance(d["sizing"]["hosts"], int), isinstance(d["growth"]["hosts"], list)' | tr -d '(),')"

printf 'schema: p2vkit/hosts/v1\nmodels: [\n' > "$t_tmp/bad.yaml"
out=$("$P2VKIT" validate --json "$t_tmp/plan.yaml" examples/thesis/hosts.yaml tests/data/csv/fleet.csv "$t_tmp/bad.yaml" 2>"$t_tmp/err"); st=$?
t_is "validate --json: exit 1 for the bad file, nothing on stderr" "1 " "$st $(cat "$t_tmp/err")"
t_is "validate --json: kinds and counts as numbers" "plan 2 1 / hosts 1 / csv 5 / None False" \
    "$(printf '%s' "$out" | py '"%s %r %r / %s %r / %s %r / %s %s" % (d[0]["kind"], d[0]["workloads"], d[0]["hosts"], d[1]["kind"], d[1]["models"], d[2]["kind"], d[2]["servers"], d[3]["kind"], d[3]["ok"])')"
t_match "validate --json: the bad file's error names it" "^$t_tmp/bad.yaml:" \
    "$(printf '%s' "$out" | py 'd[3]["error"]')"
t_is "validate --json: the CSV's warning (an OS libosinfo does not know) is in its object" \
    "1 0 True" "$(printf '%s' "$out" | py '"%d %d %s" % (len(d[2]["warnings"]), len(d[1]["warnings"]), "Trixbox" in d[2]["warnings"][0])')"

out=$("$P2VKIT" inventory --summary --json examples/thesis/servers); st=$?
t_is "inventory --summary --json: exit 0, one object per profile" "0 2" "$st $(printf '%s' "$out" | py 'len(d)')"
t_is "inventory --summary --json: numbers are numbers" "dc01 2 1024 15 <class 'int'>" \
    "$(printf '%s' "$out" | py '"%s %r %r %r %s" % (d[0]["name"], d[0]["cores"], d[0]["memory_mib"], d[0]["cpu_p95_pct"], type(d[0]["cores"]))')"
t_exit "inventory --json without --summary: usage error" 2 "$P2VKIT" inventory --json

out=$("$P2VKIT" report tests/data/report/thesis-plan.yaml --values)
t_is "report --values: counts are JSON numbers" "2 1 1 2 1" \
    "$(printf '%s' "$out" | py '"%r %r %r %r %r" % (d["summary"]["servers"], d["waves"][0]["number"], d["runbooks"][0]["wave"], d["migration"]["waves"], d["hosts"][0]["count"] - 1)')"
t_done
