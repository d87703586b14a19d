#!/bin/sh
# What keeps servers on different hosts: anti_affinity and redundant roles,
# never `group` (a label), with the reasons in the plan, the warning for
# files that used group to keep servers apart, and plan --check.
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 27

plan () { "$P2VKIT" plan -q --time-limit 1 "$@"; }
# Workload lists of the plan's hosts, one host a line.
host_lists () { sed -n 's/^  workloads: \[\(.*\)\]$/\1/p' "$1"; }
nhosts () { host_lists "$1" | wc -l | tr -d ' '; }
# The reasons of workload NAME in PLAN, one line.
reasons () { awk -v n="$2" '$0 == "- name: " n { inw = 1; next } /^- name: / { inw = 0 } inw' "$1" | tr '\n' ' '; }

# A host holds five of the servers below by memory.
cat > "$t_tmp/hosts.yaml" <<EOT
schema: p2vkit/hosts/v1
hosts:
  - {model: box, cores: 8, mhz: 2500, memory_mib: 8192, virt: vmx, hypervisors: [kvm]}
EOT
head='name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,role,group'

# 1. A CSV grouped by department plans onto as few hosts as without the
#    column, and says once that group no longer keeps servers apart.
mkdir "$t_tmp/dept" "$t_tmp/nodept"
cat > "$t_tmp/dept/office.csv" <<EOT
$head
acct01,debian11,2,2000,2048,40,20,900,accounting,finance
acct02,debian11,2,2000,2048,40,20,900,accounting,finance
pay01,debian11,2,2000,2048,40,20,900,payroll,finance
crm01,debian11,2,2000,2048,40,20,900,crm,sales
EOT
cut -d, -f1-9 "$t_tmp/dept/office.csv" > "$t_tmp/nodept/office.csv"
t_ok "plan the CSV grouped by department" plan "$t_tmp/dept" --hosts "$t_tmp/hosts.yaml" -o "$t_tmp/dept.yaml"
t_ok "plan it without the group column" plan "$t_tmp/nodept" --hosts "$t_tmp/hosts.yaml" -o "$t_tmp/nodept.yaml"
t_is "both on one host" "1 1" "$(nhosts "$t_tmp/dept.yaml") $(nhosts "$t_tmp/nodept.yaml")"
err=$("$P2VKIT" plan -q --time-limit 1 "$t_tmp/dept" --hosts "$t_tmp/hosts.yaml" -o "$t_tmp/dept2.yaml" 2>&1)
t_is "the old meaning of group gets one warning saying what to do" \
    "p2vkit: warning: group no longer keeps servers on different hosts: 'finance' (acct01, acct02, pay01) is a label only; to keep servers apart give them a shared anti_affinity name (profile key or CSV column)" \
    "$err"
t_is "no warning without shared groups" "" "$("$P2VKIT" plan -q --time-limit 1 "$t_tmp/nodept" --hosts "$t_tmp/hosts.yaml" -o "$t_tmp/nodept2.yaml" 2>&1)"
t_is "the group stays in the plan, as a label for reports" "3" "$(grep -c 'group: finance' "$t_tmp/dept.yaml")"

# 2. Two domain controllers with no group: different hosts, with the
#    reason; the policy turns it off.
mkdir "$t_tmp/dcs"
cat > "$t_tmp/dcs/dcs.csv" <<EOT
$head
dc01,debian11,2,2000,2048,40,20,900,domain-controller,
dc02,debian11,2,2000,2048,40,20,900,Domain Controller,
web01,debian11,2,2000,2048,40,20,900,web,
EOT
t_ok "plan two DCs and a web server" plan "$t_tmp/dcs" --hosts "$t_tmp/hosts.yaml" -o "$t_tmp/dcs.yaml"
t_is "the DCs are on different hosts" "" "$(host_lists "$t_tmp/dcs.yaml" | grep dc01 | grep dc02)"
t_match "dc01 says why" "Kept apart from dc02 \\(redundant role directory; policy separate_redundant_roles\\)\\." "$(reasons "$t_tmp/dcs.yaml" dc01)"
t_match "dc02 says why" "Kept apart from dc01 \\(redundant role directory; policy separate_redundant_roles\\)\\." "$(reasons "$t_tmp/dcs.yaml" dc02)"
t_is "web01 is kept apart from nothing" "" "$(reasons "$t_tmp/dcs.yaml" web01 | grep 'Kept apart')"
t_ok "--check passes on it" plan --check "$t_tmp/dcs.yaml" "$t_tmp/dcs" --hosts "$t_tmp/hosts.yaml"
printf 'schema: p2vkit/policy/v1\nseparate_redundant_roles: false\n' > "$t_tmp/together.yaml"
t_ok "plan them with separate_redundant_roles: false" plan "$t_tmp/dcs" --hosts "$t_tmp/hosts.yaml" --policy "$t_tmp/together.yaml" -o "$t_tmp/dcs-together.yaml"
t_is "then they share a host" "dc01, dc02, web01" "$(host_lists "$t_tmp/dcs-together.yaml")"

# 3. Roles from the services an inventory lists: named on port 53 is a
#    DNS server; systemd-resolved's stub on 53 is not.
mkdir "$t_tmp/ns"
for n in ns01 ns02 app01 app02; do
    svc='{name: named, proto: udp, port: 53}'
    case $n in app*) svc='{name: systemd-resolve, proto: udp, port: 53}';; esac
    cat > "$t_tmp/ns/$n.yaml" <<EOT
schema: p2vkit/profile/v1
name: $n
hardware:
  cpu: {cores: 2, mhz: 2000}
  memory_mib: 1024
os: {family: linux, id: debian12}
services:
  - $svc
EOT
done
t_ok "plan two DNS servers and two servers with a stub resolver" plan "$t_tmp/ns" --hosts "$t_tmp/hosts.yaml" -o "$t_tmp/ns.yaml"
t_is "the DNS servers on different hosts" "" "$(host_lists "$t_tmp/ns.yaml" | grep ns01 | grep ns02)"
t_is "the stub resolvers are kept apart from nothing" "" "$( (reasons "$t_tmp/ns.yaml" app01; reasons "$t_tmp/ns.yaml" app02) | grep "Kept apart")"

# 4. An explicit anti_affinity pair (YAML and CSV), with the reason.
mkdir "$t_tmp/aa"
sed -e 's/^name: ns01/name: app11\nanti_affinity: [app, db]/' -e '/^services:/,$d' "$t_tmp/ns/ns01.yaml" > "$t_tmp/aa/app11.yaml"
printf '%s,anti_affinity\napp12,debian11,2,2000,1024,20,20,500,app,,app\n' "$head" > "$t_tmp/aa/app12.csv"
t_ok "plan an anti_affinity pair" plan "$t_tmp/aa" --hosts "$t_tmp/hosts.yaml" -o "$t_tmp/aa.yaml"
t_is "on different hosts" "app11
app12" "$(host_lists "$t_tmp/aa.yaml")"
t_match "with the reason naming the other and the set" "Kept apart from app12 \\(anti_affinity app\\)\\." "$(reasons "$t_tmp/aa.yaml" app11)"

# 5. plan --check fails a plan that puts them on one host.
mkdir "$t_tmp/aa-none"
sed '/^anti_affinity:/d' "$t_tmp/aa/app11.yaml" > "$t_tmp/aa-none/app11.yaml"
cut -d, -f1-10 "$t_tmp/aa/app12.csv" > "$t_tmp/aa-none/app12.csv"
plan "$t_tmp/aa-none" --hosts "$t_tmp/hosts.yaml" -o "$t_tmp/aa-none.yaml"
err=$("$P2VKIT" plan --check "$t_tmp/aa-none.yaml" "$t_tmp/aa" --hosts "$t_tmp/hosts.yaml" 2>&1); st=$?
t_is "--check fails it" 1 "$st"
t_match "naming the pair and the set" "host box-1: app11 and app12 must run on different hosts \\(anti_affinity app\\)" "$err"

# 6. When the catalog allows one host, the second of the pair stays
#    physical, and the reason names the constraint and the other.
printf 'schema: p2vkit/hosts/v1\nhosts:\n  - {model: box, cores: 8, mhz: 2500, memory_mib: 8192, virt: vmx, hypervisors: [kvm], count: 1}\n' > "$t_tmp/one.yaml"
t_ok "plan the pair on one allowed host" plan "$t_tmp/aa" --hosts "$t_tmp/one.yaml" -o "$t_tmp/aa-one.yaml"
t_match "app12 stays physical, kept apart from app11" \
    "name: app12, reason: .*every host with room left for it carries a workload it must be kept apart from: app11 \\(anti_affinity app\\)" \
    "$(grep 'name: app12, reason' "$t_tmp/aa-one.yaml")"
t_ok "--check passes on it" plan --check "$t_tmp/aa-one.yaml" "$t_tmp/aa" --hosts "$t_tmp/one.yaml"

# 7. --size sizes for as many hosts as the largest set.
t_ok "size for the two DCs" plan "$t_tmp/dcs" --size -o "$t_tmp/dcs-size.yaml"
t_match "two hosts, and the sizing says why" "workloads of one anti-affinity set \\(redundant role directory" "$(cat "$t_tmp/dcs-size.yaml")"
t_done
