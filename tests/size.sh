#!/bin/sh
# p2vkit plan --size (the host to buy) and --growth (when the hosts run
# out), on the thesis lab and on cases built here.
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 66

plan () { "$P2VKIT" plan -q "$@"; }
# The value of KEY of the sizing (a flow mapping is printed whole).
sz () { awk -v k="$2" '
    /^sizing:/ { ins = 1; next }
    /^[a-z]/ { ins = 0 }
    ins && $1 == k ":" { sub("^ *" k ": *", ""); print; exit }' "$1"; }
# The need or spec in the flow mapping of sizing KEY.
dim () { sz "$1" "$2" | sed -n "s/.*$3: \([0-9.]*\).*/\1/p"; }
# runs_out of growth host HOST.
runs_out () { awk -v h="$2" '
    $0 == "  - host: " h { inh = 1; next }
    /^  - host: / { inh = 0 }
    inh && $1 == "runs_out:" { sub("^ *runs_out: *", ""); print; exit }' "$1"; }
# awk arithmetic as a test: t_true DESC EXPR
t_true () {
    if awk "BEGIN { exit !($2) }"; then t_pass "$1"; else t_fail "$1" "false: $2"; fi
}

# 1. The thesis lab, with the thesis's 1 GiB per guest: the DC's CSV row
#    without a used-memory figure and the PBX's profile without its
#    memory series are sized on all their memory, 1024 MiB each.
ex=examples/thesis
mkdir "$t_tmp/lab"
sed 's/,15,620,/,15,,/' $ex/servers/dc01.csv > "$t_tmp/lab/dc01.csv"
grep -v '^  mem_used_mib:' $ex/servers/pbx01.yaml > "$t_tmp/lab/pbx01.yaml"
t_ok "size a host for the thesis lab" plan "$t_tmp/lab" --size --core-mhz 2600 --policy $ex/policy.yaml -o "$t_tmp/lab.yaml"
t_ok "the sized plan reads back" "$P2VKIT" validate "$t_tmp/lab.yaml"
t_ok "and --check passes on it, against its own model" plan --check "$t_tmp/lab.yaml" "$t_tmp/lab"
t_is "each guest has 1 GiB" "1024 1024" "$(sed -n 's/^  memory_mib: \([0-9]*\)$/\1/p' "$t_tmp/lab.yaml" | sed -n '2,3p' | tr '\n' ' ' | sed 's/ $//')"
# The real host: 2 cores at 2600 MHz, 3 GiB.
t_true "no more cores than the real host's 2" "$(dim "$t_tmp/lab.yaml" cores spec) <= 2"
t_is "at 2600 MHz" 2600 "$(sz "$t_tmp/lab.yaml" core_mhz)"
# Memory: DC fully virtualized 1024 + 64 MiB, PBX paravirtualized
# 1024 + 32 MiB: 2144 MiB / 0.8 headroom = 2680 MiB = 2.617 GiB -> 3 GiB.
t_is "memory: 2.62 GiB needed, unrounded" 2.62 "$(dim "$t_tmp/lab.yaml" memory_gib need)"
t_is "memory: 3 GiB to buy, no more than the real host's" 3 "$(dim "$t_tmp/lab.yaml" memory_gib spec)"
t_match "memory binds" "resource: memory" "$(sz "$t_tmp/lab.yaml" binding)"
# Disk: 40 GiB + 18.65 GiB = 58.65 GiB / 0.8 = 73.3 GiB = 78.7 GB -> 120 GB.
t_is "disk: 78.7 GB needed, 120 GB to buy" "78.7 120" "$(dim "$t_tmp/lab.yaml" disk_gb need) $(dim "$t_tmp/lab.yaml" disk_gb spec)"
t_is "cores: even" 0 "$(( $(dim "$t_tmp/lab.yaml" cores spec) % 2 ))"
t_match "hardware virtualization, naming the workloads" "feature: virt, workloads: \[dc01, pbx01\]" "$(cat "$t_tmp/lab.yaml")"
t_is "no IOMMU without passthrough" "" "$(grep 'feature: iommu' "$t_tmp/lab.yaml")"
t_match "the reasons say what to buy" "1 host of 2 cores at 2600 MHz, 3 GiB of memory, 120 GB of disk" "$(cat "$t_tmp/lab.yaml")"
sed 's/^  memory_gib: {need: 2.62, spec: 3}$/  memory_gib: {need: 2.62, spec: 2}/' "$t_tmp/lab.yaml" > "$t_tmp/lab-edited.yaml"
t_exit "--check fails on a spec edited below the need" 1 plan --check "$t_tmp/lab-edited.yaml" "$t_tmp/lab"
t_match "and says which" "sizing: memory_gib to buy \(2\) is less than needed \(2.62\)" "$("$P2VKIT" plan --check "$t_tmp/lab-edited.yaml" "$t_tmp/lab" 2>&1)"

# 2. 30% a year.  Demand in month m is (1.3)^(m/12) times today's, the
#    overheads fixed: memory needs 2048 f + 96 MiB, and the 3 GiB host
#    keeps 20% free, so 2457.6 MiB are usable:
#      2048 f + 96 <= 2457.6  <=>  f <= 1.153125
#      m <= 12 ln(1.153125) / ln(1.3) = 12 x 0.142474 / 0.262364 = 6.516
#    Month 6: f = 1.3^0.5 = 1.14018, 2431.1 MiB fits; month 7:
#    f = 1.3^(7/12) = 1.16542, 2482.8 MiB does not.  CPU (1741 MHz f
#    against 4160) lasts until f = 2.39, month 40; disk until month 20;
#    IOPS (55 f against 80) until month 18.  So: memory, in month 7.
t_ok "size with 30% yearly growth over 3 years" plan "$t_tmp/lab" --size --core-mhz 2600 --policy $ex/policy.yaml --growth 30 --years 3 -o "$t_tmp/grow.yaml"
t_is "the spec runs out of memory in month 7" "{month: 7, resource: memory}" "$(sz "$t_tmp/grow.yaml" runs_out)"
t_is "so does its host" "{month: 7, resource: memory}" "$(runs_out "$t_tmp/grow.yaml" sized-1)"
t_is "the curve has months 0 to 36" 37 "$(sed -n 's/^    peak_pct: \[\(.*\)\]$/\1/p' "$t_tmp/grow.yaml" | awk -F', ' '{ print NF }')"
t_ok "the grown plan reads back" "$P2VKIT" validate "$t_tmp/grow.yaml"

# 3. The same from the catalog: the real 3 GiB Athlon lasts as long.
t_ok "plan on the catalog with growth" plan "$t_tmp/lab" --hosts $ex/hosts.yaml --policy $ex/policy.yaml --growth 30 -o "$t_tmp/cat.yaml"
t_is "the Athlon runs out of memory in month 7" "{month: 7, resource: memory}" "$(runs_out "$t_tmp/cat.yaml" athlon-x2-5200-1)"
t_match "the reasons say how long the hosts last" "The hosts last 6 months" "$(cat "$t_tmp/cat.yaml")"
t_ok "with --size as well: the spec that lasts the 3 years" plan "$t_tmp/lab" --hosts $ex/hosts.yaml --policy $ex/policy.yaml --growth 30 --size -o "$t_tmp/cat-size.yaml"
# 36 months of 30%: f = 1.3^3 = 2.197; memory (2048 x 2.197 + 96) / 0.8 = 5.61 GiB -> 6 GiB.
t_is "which needs 5.61 GiB, 6 GiB to buy" "5.61 6" "$(dim "$t_tmp/cat-size.yaml" memory_gib need) $(dim "$t_tmp/cat-size.yaml" memory_gib spec)"

# 4. Growth per workload: the PBX does not grow (growth_pct: 0 in its
#    profile), the DC grows 30%: 1024 f + 64 + 1056 <= 2457.6 gives
#    f <= 1.30625, m <= 12 ln(1.30625) / ln(1.3) = 12.22: month 13.
mkdir "$t_tmp/own"
cp "$t_tmp/lab/dc01.csv" "$t_tmp/own/"
sed 's/^role: pbx$/role: pbx\ngrowth_pct: 0/' "$t_tmp/lab/pbx01.yaml" > "$t_tmp/own/pbx01.yaml"
t_ok "a profile's growth_pct overrides --growth" plan "$t_tmp/own" --size --core-mhz 2600 --growth 30 -o "$t_tmp/own.yaml"
t_is "then memory runs out in month 13" "{month: 13, resource: memory}" "$(sz "$t_tmp/own.yaml" runs_out)"
#    And the other way round, from the CSV column: the DC at 0%.
mkdir "$t_tmp/own2"
cp "$t_tmp/lab/pbx01.yaml" "$t_tmp/own2/"
awk -F, -v OFS=, 'NR == 1 { print $0, "growth_pct"; next } { print $0, 0 }' "$t_tmp/lab/dc01.csv" > "$t_tmp/own2/dc01.csv"
t_ok "a CSV row's growth_pct overrides --growth" plan "$t_tmp/own2" --size --core-mhz 2600 --growth 30 -o "$t_tmp/own2.yaml"
t_is "the same month 13 (1024 f + 32 + 1088 <= 2457.6)" "{month: 13, resource: memory}" "$(sz "$t_tmp/own2.yaml" runs_out)"

# 5. Day and night: four servers busy from 08:00 to 20:00, four from
#    20:00 to 08:00, each at 80% of 4 cores at 2600 MHz then and 5%
#    otherwise.  The sum over the day is flat at half the sum of peaks.
mkdir "$t_tmp/dn" "$t_tmp/dn-peaks"
for i in 1 2 3 4 5 6 7 8; do
    night=0; [ $i -gt 4 ] && night=1
    awk -v name=s$i -v night=$night 'BEGIN {
        printf "schema: p2vkit/profile/v1\nname: %s\ncollected_at: \"2026-11-26T00:00:00Z\"\n", name
        printf "hardware:\n  cpu: {cores: 4, mhz: 2600}\n  memory_mib: 4096\n"
        printf "os: {family: linux, pv_drivers: [virtio]}\nutilization:\n  interval_s: 300\n  cpu_pct: ["
        for (s = 0; s < 288; s++) {
            busy = s >= 96 && s < 240; if (night) busy = !busy
            printf "%s%s", s ? ", " : "", busy ? 80 : 5
        }
        printf "]\n  mem_used_mib: ["
        for (s = 0; s < 288; s++) printf "%s500", s ? ", " : ""
        print "]"
    }' > "$t_tmp/dn/s$i.yaml"
    # The same server as a CSV row of its peak: what a peak-sum sizing sees.
    [ $i -eq 1 ] && echo "name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,pv_drivers" > "$t_tmp/dn-peaks/all.csv"
    echo "s$i,debian12,4,2600,4096,0,80,500,virtio" >> "$t_tmp/dn-peaks/all.csv"
done
t_ok "size the day-and-night fleet" plan "$t_tmp/dn" --size -o "$t_tmp/dn.yaml"
t_ok "size the same fleet from its peaks" plan "$t_tmp/dn-peaks" --size -o "$t_tmp/dn-peaks.yaml"
ta=$(dim "$t_tmp/dn.yaml" cores need) pk=$(dim "$t_tmp/dn-peaks.yaml" cores need)
t_true "time-aware cores ($ta) are about half the peak sum's ($pk)" "$ta / $pk > 0.45 && $ta / $pk < 0.6"
t_true "and so is the spec to buy ($(dim "$t_tmp/dn.yaml" cores spec) against $(dim "$t_tmp/dn-peaks.yaml" cores spec))" \
    "$(dim "$t_tmp/dn.yaml" cores spec) / $(dim "$t_tmp/dn-peaks.yaml" cores spec) > 0.45 && $(dim "$t_tmp/dn.yaml" cores spec) / $(dim "$t_tmp/dn-peaks.yaml" cores spec) < 0.6"
t_match "the reasons compare the summed demand with the sum of peaks" "CPU peaks at 36067 MHz .* own peaks add up to 67891 MHz" "$(cat "$t_tmp/dn.yaml")"

# 6. --hosts-max: two identical hosts carry the fleet; each needs about
#    half of the one host.
t_ok "size two hosts for the fleet" plan "$t_tmp/dn" --size --hosts-max 2 -o "$t_tmp/dn2.yaml"
t_is "the plan uses two hosts" 2 "$(sz "$t_tmp/dn2.yaml" hosts)"
t_true "each of about half the cores" "$(dim "$t_tmp/dn2.yaml" cores need) <= $(dim "$t_tmp/dn.yaml" cores need) * 0.55"
t_ok "--check passes on the two hosts" plan --check "$t_tmp/dn2.yaml" "$t_tmp/dn"
#    HA: with one spare, --hosts-max 3 is two hosts carrying and one empty.
printf 'schema: p2vkit/policy/v1\nha_spare_hosts: 1\n' > "$t_tmp/ha.yaml"
t_ok "three hosts, one of them an HA spare" plan "$t_tmp/dn" --size --hosts-max 3 --policy "$t_tmp/ha.yaml" -o "$t_tmp/dn3.yaml"
t_is "two carry, one is spare" "2 1 1" "$(sz "$t_tmp/dn3.yaml" hosts) $(sz "$t_tmp/dn3.yaml" spare_hosts) $(grep -c 'spare: true' "$t_tmp/dn3.yaml")"
t_is "with the spec of the two" "$(sz "$t_tmp/dn2.yaml" cores)" "$(sz "$t_tmp/dn3.yaml" cores)"

# 7. Passthrough: a fax server with its card passed through needs an
#    IOMMU, and the sizing names it.
cat > "$t_tmp/fax.csv" <<EOT
name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,pv_drivers,passthrough
fax01,centos5.5,1,2000,1024,20,10,300,virtio,Brooktrout TR1034
web01,debian12,2,2000,2048,40,20,900,virtio,
EOT
t_ok "size for a fax server with a passed-through card" plan "$t_tmp/fax.csv" --size -o "$t_tmp/fax.yaml"
t_match "IOMMU required, naming fax01 only" "feature: iommu, workloads: \[fax01\]" "$(cat "$t_tmp/fax.yaml")"
t_match "the sized model has an IOMMU" "iommu: true" "$(cat "$t_tmp/fax.yaml")"
t_match "and the reasons say why" "IOMMU .* is required to pass devices through to fax01" "$(cat "$t_tmp/fax.yaml")"
printf 'schema: p2vkit/policy/v1\nallow_passthrough: false\n' > "$t_tmp/nopt.yaml"
t_ok "without passthrough allowed" plan "$t_tmp/fax.csv" --size --policy "$t_tmp/nopt.yaml" -o "$t_tmp/nopt-plan.yaml"
t_is "fax01 stays physical and needs no IOMMU" "fax01 0" "$(sed -n 's/^- {name: \([a-z0-9]*\),.*/\1/p' "$t_tmp/nopt-plan.yaml") $(grep -c 'feature: iommu' "$t_tmp/nopt-plan.yaml")"

# 8. Anti-affinity: two servers of one anti_affinity set need two hosts.
cat > "$t_tmp/dcs.csv" <<EOT
name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,anti_affinity
dc1,debian12,2,2000,2048,40,20,900,directory
dc2,debian12,2,2000,2048,40,20,900,directory
web1,debian12,2,2000,2048,40,20,900,
EOT
t_ok "size for a set of two" plan "$t_tmp/dcs.csv" --size -o "$t_tmp/dcs.yaml"
t_is "two hosts, each carrying one of the set" "2 2" "$(sz "$t_tmp/dcs.yaml" hosts) $(grep -c '^  workloads: \[dc[12]' "$t_tmp/dcs.yaml")"
t_ok "--check passes on them" plan --check "$t_tmp/dcs.yaml" "$t_tmp/dcs.csv"
t_exit "--hosts-max 1 cannot keep them apart" 1 plan "$t_tmp/dcs.csv" --size --hosts-max 1 -o "$t_tmp/never.yaml"

# 9. The sized model holds the disk bought: 480 GB is 447.0348 GiB, which
#    rounded to two places would be 447.03, under the spec.
cat > "$t_tmp/big.csv" <<EOT
name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,pv_drivers
big1,debian12,2,2000,2048,250,20,900,virtio
EOT
t_ok "size for 250 GiB of disk" plan "$t_tmp/big.csv" --size -o "$t_tmp/big.yaml"
t_is "480 GB to buy, a model of 447.04 GiB: never under the spec" "480 447.04" \
    "$(dim "$t_tmp/big.yaml" disk_gb spec) $(sed -n 's/^  disk_gib: \([0-9.]*\)$/\1/p' "$t_tmp/big.yaml")"

# 10. Bad input: exit 2 with the reason, and no plan written.
out="$t_tmp/never.yaml"
t_exit "--size with --hosts and no growth" 2 plan "$t_tmp/lab" --size --hosts $ex/hosts.yaml -o "$out"
t_match "says why" "drop --hosts, or add --growth" "$("$P2VKIT" plan "$t_tmp/lab" --size --hosts $ex/hosts.yaml 2>&1)"
t_exit "--growth 1001" 2 plan "$t_tmp/lab" --size --growth 1001 -o "$out"
t_match "says the range" "1001 is out of range \(0 to 1000\)" "$("$P2VKIT" plan "$t_tmp/lab" --size --growth 1001 2>&1)"
t_exit "--growth -5" 2 plan "$t_tmp/lab" --size --growth -5 -o "$out"
t_exit "--years 0" 2 plan "$t_tmp/lab" --size --growth 10 --years 0 -o "$out"
t_exit "--years 21" 2 plan "$t_tmp/lab" --size --growth 10 --years 21 -o "$out"
t_match "says the range" "21 is out of range \(1 to 20\)" "$("$P2VKIT" plan "$t_tmp/lab" --size --growth 10 --years 21 2>&1)"
t_exit "--years without --growth" 2 plan "$t_tmp/lab" --size --years 2 -o "$out"
t_exit "--hosts-max without --size" 2 plan "$t_tmp/lab" --hosts $ex/hosts.yaml --hosts-max 2 -o "$out"
t_exit "--hosts-max that leaves no host after the spares" 1 plan "$t_tmp/lab" --size --hosts-max 1 --policy "$t_tmp/ha.yaml" -o "$out"
t_is "no plan was written by any of them" no "$([ -e "$out" ] && echo yes || echo no)"

t_done
