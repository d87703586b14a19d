#!/bin/sh
# p2vkit plan on the examples and on cases built here, and p2vkit plan
# --check on every plan the tests produce.
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 45

plan () { "$P2VKIT" plan -q "$@"; }
# check PLAN PROFILES... HOSTS: the independent checker passes.
check () { p=$1; shift; "$P2VKIT" plan -q --check "$p" "$@"; }
# The value of KEY in the first mapping of workload NAME in PLAN.
wl_field () { awk -v n="$2" -v k="$3" '
    $0 == "- name: " n { inw = 1; next }
    /^- name: / { inw = 0 }
    inw && $1 == k ":" { sub("^ *" k ": *", ""); print; exit }' "$1"; }
# Workload lists of the plan's hosts, one host a line.
host_lists () { sed -n 's/^  workloads: \[\(.*\)\]$/\1/p' "$1"; }

# 1. The thesis lab: the PBX paravirtualized, the Windows 2003 DC fully
#    virtualized with its reason, both on the one Athlon host.
ex=examples/thesis
t_ok "plan the thesis lab" plan $ex/servers --hosts $ex/hosts.yaml --policy $ex/policy.yaml -o "$t_tmp/thesis.yaml"
t_is "the Trixbox PBX runs paravirtualized" paravirt "$(wl_field "$t_tmp/thesis.yaml" pbx01 mode)"
t_is "the Windows 2003 DC runs fully virtualized" full "$(wl_field "$t_tmp/thesis.yaml" dc01 mode)"
t_match "and the plan says why" "virtio-win releases have no drivers for Microsoft Windows Server 2003" "$(grep -A9 'name: dc01' "$t_tmp/thesis.yaml")"
t_match "from what the converter can do for it" "\\(only withdrawn ones had\\).*emulated IDE disk and e1000 network; the converter makes Windows' own IDE drivers start at boot" \
    "$(grep -A9 'name: dc01' "$t_tmp/thesis.yaml")"
t_is "both share the one host" "dc01, pbx01" "$(host_lists "$t_tmp/thesis.yaml")"
# The same DC on Windows Server 2019: virtio-win has drivers the converter
# installs, so it runs paravirtualized; on 2000 there never were any.
mkdir -p "$t_tmp/dc19" "$t_tmp/dc2k"
sed 's/,win2k3,/,win2k19,/' $ex/servers/dc01.csv > "$t_tmp/dc19/dc01.csv"
sed 's/,win2k3,/,win2k,/' $ex/servers/dc01.csv > "$t_tmp/dc2k/dc01.csv"
plan "$t_tmp/dc19" --hosts $ex/hosts.yaml -o "$t_tmp/dc19.yaml"
t_is "a Windows Server 2019 DC runs paravirtualized" paravirt "$(wl_field "$t_tmp/dc19.yaml" dc01 mode)"
t_match "because the converter installs viostor and NetKVM" "virtio-win has drivers for .*2019.* and the converter installs them \\(viostor as the boot disk's driver, NetKVM at first boot\\)" \
    "$(grep -A9 'name: dc01' "$t_tmp/dc19.yaml")"
plan "$t_tmp/dc2k" --hosts $ex/hosts.yaml -o "$t_tmp/dc2k.yaml"
t_is "a Windows 2000 DC runs fully virtualized: no virtio drivers were ever made" \
    "full - No virtio drivers were ever made for Microsoft Windows 2000," \
    "$(wl_field "$t_tmp/dc2k.yaml" dc01 mode) $(grep -A9 'name: dc01' "$t_tmp/dc2k.yaml" | grep -o -- '- No virtio drivers were ever made for [^,]*,')"
t_ok "--check passes on the thesis plan" check "$t_tmp/thesis.yaml" $ex/servers --hosts $ex/hosts.yaml

# 2. The published overhead model: a 2600 MHz processor holds 5 fully
#    virtualized or 8 paravirtualized guests of 260 MHz.
ex=examples/overhead
t_ok "plan 16 paravirtualized guests" plan $ex/servers --hosts $ex/hosts.yaml --policy $ex/policy.yaml -o "$t_tmp/pv.yaml"
t_is "8 paravirtualized guests on each host" "8 8" "$(host_lists "$t_tmp/pv.yaml" | awk -F', ' '{ printf "%s%d", (NR > 1 ? " " : ""), NF }')"
t_ok "plan 10 fully virtualized guests" plan $ex/servers-full --hosts $ex/hosts.yaml --policy $ex/policy.yaml -o "$t_tmp/full.yaml"
t_is "5 fully virtualized guests on each host" "5 5" "$(host_lists "$t_tmp/full.yaml" | awk -F', ' '{ printf "%s%d", (NR > 1 ? " " : ""), NF }')"
t_ok "--check passes on both" sh -c "'$P2VKIT' plan -q --check '$t_tmp/pv.yaml' $ex/servers --hosts $ex/hosts.yaml && '$P2VKIT' plan -q --check '$t_tmp/full.yaml' $ex/servers-full --hosts $ex/hosts.yaml"

# 3. Time-aware packing: four servers busy by day and four by night, each
#    at 60% of a host at its peak.  Adding up peaks needs a host each;
#    the day-night pairs share, so half the hosts do.
mkdir "$t_tmp/ta" "$t_tmp/peaks"
cat > "$t_tmp/ta-hosts.yaml" <<EOT
schema: p2vkit/hosts/v1
hosts:
  - {model: box, cores: 4, mhz: 2500, memory_mib: 65536, virt: vmx, hypervisors: [kvm]}
EOT
for i in 1 2 3 4 5 6 7 8; do
    shift=0; [ $i -gt 4 ] && shift=144        # 12 hours later
    awk -v name=s$i -v shift=$shift 'BEGIN {
        printf "schema: p2vkit/profile/v1\nname: %s\nhardware:\n  cpu: {cores: 4, mhz: 2500}\n  memory_mib: 4096\n", name
        printf "os: {family: linux, pv_drivers: [virtio]}\nutilization:\n  interval_s: 300\n  cpu_pct: ["
        for (s = 0; s < 288; s++) {
            t = (s + shift) % 288
            printf "%s%s", s ? ", " : "", (t >= 96 && t < 192) ? 45 : 2
        }
        printf "]\n  mem_used_mib: ["
        for (s = 0; s < 288; s++) printf "%s1000", s ? ", " : ""
        print "]"
    }' > "$t_tmp/ta/s$i.yaml"
done
# The same servers as a peak-only CSV, the way a planner that adds up
# peaks sees them.
{ echo "name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,pv_drivers"
  for i in 1 2 3 4 5 6 7 8; do echo "s$i,debian11,4,2500,4096,0,45,1000,virtio"; done
} > "$t_tmp/peaks/servers.csv"
t_ok "plan the day and night servers" plan "$t_tmp/ta" --hosts "$t_tmp/ta-hosts.yaml" -o "$t_tmp/ta.yaml"
t_ok "plan them on their peaks" plan "$t_tmp/peaks" --hosts "$t_tmp/ta-hosts.yaml" -o "$t_tmp/peaks.yaml"
ta=$(sed -n 's/^  hosts_used: //p' "$t_tmp/ta.yaml")
pk=$(sed -n 's/^  hosts_used: //p' "$t_tmp/peaks.yaml")
t_is "time-aware packing needs half the hosts of peak packing" "4 of 8" "$ta of $pk"
t_is "every time-aware host pairs a day and a night server" "" "$(host_lists "$t_tmp/ta.yaml" | awk -F', ' '{ d = 0; for (i = 1; i <= NF; i++) if (substr($i, 2) + 0 <= 4) d++; if (d != 1) print }')"
t_ok "--check passes on the time-aware plan" check "$t_tmp/ta.yaml" "$t_tmp/ta" --hosts "$t_tmp/ta-hosts.yaml"

# 4. The example fleet: every server placed or left physical with a
#    reason, anti-affinity and spares respected, the checker agrees.
ex=examples/fleet
t_ok "plan the example fleet" plan $ex/servers --hosts $ex/hosts.yaml --policy $ex/policy.yaml -o "$t_tmp/fleet.yaml" --time-limit 3
t_ok "--check passes on the fleet plan" check "$t_tmp/fleet.yaml" $ex/servers --hosts $ex/hosts.yaml
t_is "the domain controllers are on different hosts" "" "$(host_lists "$t_tmp/fleet.yaml" | grep -E 'dc01' | grep -E 'dc02')"
t_match "an HA spare host per model in use" "spare: true" "$(cat "$t_tmp/fleet.yaml")"
t_match "the PBX with its Digium card has its card passed through" "passthrough: \[.*Digium" "$(grep -A8 'name: pbx01$' "$t_tmp/fleet.yaml")"

# 5. The same seed gives the same plan.
t_ok "plan the fleet again with the same seed" plan $ex/servers --hosts $ex/hosts.yaml --policy $ex/policy.yaml -o "$t_tmp/fleet2.yaml" --time-limit 3
t_ok "and get the same plan" cmp "$t_tmp/fleet.yaml" "$t_tmp/fleet2.yaml"

# 6. Workloads no host can take stay physical, with the reason.
cat > "$t_tmp/small-hosts.yaml" <<EOT
schema: p2vkit/hosts/v1
hosts:
  - {model: small, cores: 2, mhz: 2000, memory_mib: 4096, virt: vmx, iommu: false, hypervisors: [kvm]}
EOT
t_ok "plan the fleet on a small host without IOMMU" plan $ex/servers --hosts "$t_tmp/small-hosts.yaml" -o "$t_tmp/small.yaml" --time-limit 1
t_match "the PBX stays physical for want of an IOMMU" "name: pbx01, reason: .*IOMMU" "$(grep 'name: pbx01, reason' "$t_tmp/small.yaml")"
t_match "the big database stays physical, too big" "name: erpdb01, reason: .*exceed" "$(grep 'name: erpdb01, reason' "$t_tmp/small.yaml")"
t_ok "--check passes on it" check "$t_tmp/small.yaml" $ex/servers --hosts "$t_tmp/small-hosts.yaml"
cat > "$t_tmp/no-virt.yaml" <<EOT
schema: p2vkit/hosts/v1
hosts:
  - {model: old, cores: 2, mhz: 2000, memory_mib: 65536, virt: none, hypervisors: [xen]}
EOT
t_ok "plan the thesis lab on a Xen host without hardware virtualization" plan examples/thesis/servers --hosts "$t_tmp/no-virt.yaml" -o "$t_tmp/xen.yaml"
t_is "the PBX runs paravirtualized on Xen" "paravirt" "$(wl_field "$t_tmp/xen.yaml" pbx01 mode)"
t_match "the Windows DC stays physical: no HVM without VT/AMD-V" "name: dc01, reason: .*no hardware virtualization" "$(grep 'name: dc01, reason' "$t_tmp/xen.yaml")"
# A catalog whose count is used up: what does not fit the hosts it allows
# stays physical with the reason, and the plan is still written.
sed 's/hypervisors: \[kvm\]/hypervisors: [kvm]\n    count: 1/' examples/overhead/hosts.yaml > "$t_tmp/one-host.yaml"
t_ok "plan 10 full guests with one host allowed" plan examples/overhead/servers-full --hosts "$t_tmp/one-host.yaml" --policy examples/overhead/policy.yaml -o "$t_tmp/count.yaml"
t_match "the sixth guest stays physical: the count is used up" "name: guest06, reason: .*catalog's counts allow are all in use" "$(grep 'name: guest06, reason' "$t_tmp/count.yaml" | sed "s/''/'/g")"
t_ok "--check passes on it" check "$t_tmp/count.yaml" examples/overhead/servers-full --hosts "$t_tmp/one-host.yaml"

# 7. The checker catches a broken plan: one host's CPU peak edited, and a
#    workload moved onto a host it does not fit.
sed 's/\(  peak: {cpu_pct: \)[0-9.]*/\1 1/' "$t_tmp/thesis.yaml" > "$t_tmp/bad-peak.yaml"
err=$("$P2VKIT" plan --check "$t_tmp/bad-peak.yaml" examples/thesis/servers --hosts examples/thesis/hosts.yaml 2>&1); st=$?
t_match "--check fails on a wrong peak" "^1 .*the plan says CPU peaks at 1%" "$st $err"
awk '/^  workloads: \[guest01/ { sub(/\]$/, ", guest09]") } /^- name: guest09$/ { w = 1 } w && /^  host:/ { sub(/one-core-2600-2/, "one-core-2600-1"); w = 0 } { print }' "$t_tmp/pv.yaml" \
  | awk '/^  workloads: \[guest09/ { sub(/guest09, /, "") } { print }' > "$t_tmp/bad-move.yaml"
err=$("$P2VKIT" plan --check "$t_tmp/bad-move.yaml" examples/overhead/servers --hosts examples/overhead/hosts.yaml 2>&1); st=$?
t_match "--check fails on an overloaded host" "^1 .*CPU demand peaks at 2808.0 MHz, above the 2600.0 MHz" "$st $err"

# 8. Bad input: exit 1 naming the file, or 2 for the command line.
mkdir "$t_tmp/empty"
err=$("$P2VKIT" plan "$t_tmp/empty" --hosts examples/thesis/hosts.yaml 2>&1); st=$?
t_is "a folder without profiles" "1 p2vkit: $t_tmp/empty: no profiles found (*.yaml, *.yml, *.csv)" "$st $err"
err=$("$P2VKIT" plan examples/thesis/servers --hosts tests/data/bad/hosts-empty-list.yaml 2>&1); st=$?
t_is "an empty host catalog" "1 p2vkit: $(cat tests/data/bad/hosts-empty-list.yaml.err)" "$st $err"
err=$("$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml --policy tests/data/bad/policy-percentile-zero.yaml 2>&1); st=$?
t_is "a percentile out of range" "1 p2vkit: $(cat tests/data/bad/policy-percentile-zero.yaml.err)" "$st $err"
cp examples/thesis/servers/pbx01.yaml "$t_tmp/empty/copy.yaml"
err=$("$P2VKIT" plan examples/thesis/servers "$t_tmp/empty" --hosts examples/thesis/hosts.yaml 2>&1); st=$?
t_is "two profiles with one name" "1 p2vkit: $t_tmp/empty/copy.yaml: duplicate workload name 'pbx01' (also in examples/thesis/servers/pbx01.yaml)" "$st $err"
t_exit "no --hosts is a usage error" 2 "$P2VKIT" plan examples/thesis/servers
t_exit "a bad --time-limit is a usage error" 2 "$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml --time-limit soon
t_done
