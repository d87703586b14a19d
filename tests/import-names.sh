#!/bin/sh
# OS names as CMDBs and spreadsheets write them: import finds their
# libosinfo ids, warns with the nearest ids for a name it does not know,
# and the plan and report state nothing about an unknown OS's drivers or
# about hardware virtualization the file does not give (no virt column).
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 15

csv=tests/data/csv/os-names.csv
out=$t_tmp/profiles
err=$("$P2VKIT" import -q "$csv" -o "$out" 2>&1); st=$?
t_is "the names import" 0 "$st"
id () { sed -n 's/^  id: //p' "$out/$1.yaml"; }
t_is "the spellings find their ids" \
    "ubuntu18.04 ubuntu18.04 rhel7-unknown rhel7-unknown win2k12r2 win2k8 sles11 ol6.0 win2k8r2 win2k3r2 centos5.11 win2k8r2" \
    "$(for n in web01 web02 db01 db02 files01 dc01 app01 ora01 sbs01 dc02 pbx01 erp01; do id $n; done | tr '\n' ' ' | sed 's/ $//')"
t_is "a major version alone keeps the name written" "name: Oracle Linux 6" \
    "$(grep '^  name:' "$out/ora01.yaml" | sed 's/^  //')"
t_is "two warnings: one per unknown name" 2 "$(echo "$err" | grep -c '^p2vkit: warning: ')"
t_match "the unknown Debian is warned of with the nearest ids" \
    "^p2vkit: warning: $csv:13: column 'os': libosinfo does not know 'Debian GNU/Linux 12 .bookworm.' .and 1 more row. .nearest ids: debian11, debian10, debian9." \
    "$(echo "$err" | grep bookworm)"
t_match "and says what it means for the plan" "whether it has virtio drivers is unknown, so it is planned fully virtualized: give os as a libosinfo id" \
    "$(echo "$err" | grep bookworm)"
t_match "a name near no id says so" "'Trixbox 2.8' .no id is near" "$(echo "$err" | grep Trixbox)"
if "$P2VKIT" import -q "$csv" -o "$t_tmp/p2" 2>/dev/null >/dev/null; then :; fi
t_is "import -q still warns (on stderr)" 2 "$("$P2VKIT" import -q "$csv" -o "$t_tmp/p3" 2>&1 >/dev/null | grep -c warning)"

# The plan, from the CSV itself and from the profiles.
"$P2VKIT" plan "$csv" --hosts examples/fleet/hosts.yaml -o "$t_tmp/plan.yaml" >/dev/null 2>"$t_tmp/plan.err"
st=$?
t_is "the plan is written" 0 "$st"
t_is "plan warns too" 2 "$(grep -c '^p2vkit: warning: ' "$t_tmp/plan.err")"
t_is "no 'has no virtio drivers' for an OS nobody knows" "" \
    "$(grep -E "(bookworm|Trixbox).*has no virtio|Ubuntu 18.04.*has no virtio" "$t_tmp/plan.yaml")"
t_match "the unknown OS is 'not recognised', with the consequence" \
    "OS not recognised: libosinfo does not know '*Debian GNU/Linux 12 .bookworm.'*, so whether it has virtio drivers is unknown; it is assumed to need full virtualization" \
    "$(cat "$t_tmp/plan.yaml")"
t_match "Ubuntu 18.04 runs paravirtualized" "Ubuntu 18.04 LTS has virtio drivers" "$(cat "$t_tmp/plan.yaml")"

"$P2VKIT" report "$t_tmp/plan.yaml" -o "$t_tmp/report.md" >/dev/null 2>&1
t_is "no virt column: hardware virtualization is unknown, not 'none'" "" \
    "$(grep -E "none of the [0-9]+ servers has hardware virtualization" "$t_tmp/report.md")"
t_match "and the report says it is unknown" \
    "Whether the existing hardware can serve.\*\* Unknown: the plan does not say whether any of the 15 servers has hardware virtualization" \
    "$(cat "$t_tmp/report.md")"
t_done
