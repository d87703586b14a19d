#!/bin/sh
# Packing quality and objective of p2vkit plan on cases built here: a
# bin-packing instance whose optimum fills every host exactly, and a
# catalog where the HA spares decide which model is cheapest.
. "$(dirname "$0")/functions.sh"
t_tmpdir
t_plan 11

plan () { "$P2VKIT" plan -q "$@"; }
summary () { sed -n "s/^  $2: //p" "$1" | head -1; }
# No headroom and no overhead: workloads are exactly their items.
exact=tests/data/good/policy-exact.yaml

# 1. Twenty triplets that each fill a 1000 MHz host exactly (as in
#    Falkenauer's "t" instances), shuffled: first fit decreasing puts the
#    largest items together and needs more hosts; the optimum is 20, the
#    lower bound proves it, and the search must reach it.
cat > "$t_tmp/bin.yaml" <<EOT
schema: p2vkit/hosts/v1
hosts:
  - {model: bin, cores: 1, mhz: 1000, memory_mib: 1048576, virt: vmx, hypervisors: [kvm]}
EOT
awk 'BEGIN {
    srand(7)
    print "name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,pv_drivers"
    for (k = 0; k < 20; k++) {
        a = 380 + int(rand() * 110); b = 250 + int(rand() * (1000 - a - 500)); c = 1000 - a - b
        w[n++] = a; w[n++] = b; w[n++] = c
    }
    for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = w[i]; w[i] = w[j]; w[j] = t }
    for (i = 0; i < n; i++) printf "i%02d,debian11,1,%d,1,0,100,1,virtio\n", i + 1, w[i]
}' > "$t_tmp/triplets.csv"
ffd=$(awk -F, 'NR > 1 { w[n++] = $4 } END {
    for (i = 1; i < n; i++) { x = w[i]; for (j = i - 1; j >= 0 && w[j] < x; j--) w[j + 1] = w[j]; w[j + 1] = x }
    for (i = 0; i < n; i++) { for (b = 0; b < nb && load[b] + w[i] > 1000; b++) ; if (b == nb) nb++; load[b] += w[i] }
    print nb }' "$t_tmp/triplets.csv")
t_ok "plan 60 items that fill 20 hosts exactly" plan "$t_tmp/triplets.csv" --hosts "$t_tmp/bin.yaml" --policy "$exact" -o "$t_tmp/triplets.yaml"
t_is "the lower bound is the optimum, 20" 20 "$(summary "$t_tmp/triplets.yaml" lower_bound)"
t_is "the plan reaches it (first fit decreasing needs $ffd)" 20 "$(summary "$t_tmp/triplets.yaml" hosts_used)"
t_ok "--check passes on it" "$P2VKIT" plan -q --check "$t_tmp/triplets.yaml" "$t_tmp/triplets.csv" --hosts "$t_tmp/bin.yaml"

# 2. A bound stronger than L2: five workloads of 34 MHz on 100 MHz hosts.
#    No three share a host, so three hosts are needed; the total (170)
#    and Martello and Toth's L2 say two, the dual feasible function that
#    counts anything over a third of a host as half of one says three.
sed 's/mhz: 1000,/mhz: 100,/' "$t_tmp/bin.yaml" > "$t_tmp/bin100.yaml"
{ echo "name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,pv_drivers"
  for i in 1 2 3 4 5; do echo "t$i,debian11,1,34,1,0,100,1,virtio"; done; } > "$t_tmp/thirds.csv"
t_ok "plan five workloads of a third of a host and a bit" plan "$t_tmp/thirds.csv" --hosts "$t_tmp/bin100.yaml" --policy "$exact" -o "$t_tmp/thirds.yaml"
t_is "the lower bound proves three hosts" 3 "$(summary "$t_tmp/thirds.yaml" lower_bound)"
t_is "and the plan uses three" 3 "$(summary "$t_tmp/thirds.yaml" hosts_used)"

# 3. The plan pays for each model's HA spare: five 1000 MHz workloads on
#    a 4000 MHz model costing 5 and a 1000 MHz one costing 2.  Hosts alone
#    are cheapest mixed (5 + 2 = 7 against 10), but mixing brings two
#    spares (7 + 7 = 14) where five small hosts bring one (10 + 2 = 12).
cat > "$t_tmp/two.yaml" <<EOT
schema: p2vkit/hosts/v1
hosts:
  - {model: big, cores: 4, mhz: 1000, memory_mib: 1048576, virt: vmx, hypervisors: [kvm], cost: 5}
  - {model: small, cores: 1, mhz: 1000, memory_mib: 1048576, virt: vmx, hypervisors: [kvm], cost: 2}
EOT
sed 's/^cpu_overcommit: 1000$/cpu_overcommit: 1000\nha_spare_hosts: 1/' "$exact" > "$t_tmp/spare.yaml"
{ echo "name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,pv_drivers"
  for i in 1 2 3 4 5; do echo "w$i,debian11,1,1000,1,0,100,1,virtio"; done; } > "$t_tmp/five.csv"
t_ok "plan five workloads with one spare per model" plan "$t_tmp/five.csv" --hosts "$t_tmp/two.yaml" --policy "$t_tmp/spare.yaml" -o "$t_tmp/five.yaml"
t_is "one model, spare included: cost 12" 12 "$(summary "$t_tmp/five.yaml" cost)"
t_is "five small hosts and a small spare" "6 small" "$(sed -n 's/^  model: //p' "$t_tmp/five.yaml" | sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')"
t_ok "--check passes on it" "$P2VKIT" plan -q --check "$t_tmp/five.yaml" "$t_tmp/five.csv" --hosts "$t_tmp/two.yaml"
t_done
