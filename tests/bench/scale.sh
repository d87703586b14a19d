#!/bin/sh
# Planner speed and memory at scale, through the public interface:
#
#   1. 100,000 workloads from one CSV onto one host model;
#   2. 10,000 workloads with a day of 5-minute series (288 points of CPU,
#      memory, IOPS, disk and network), CPU from the PlanetLab traces in
#      ../shared/benchmarks/traces (cycled, shifted by a few hours per
#      copy so that copies of one trace are not busy at the same time).
#
# Prints wall seconds, CPU seconds (user + system: on a shared machine the
# wall time also counts waiting for a core) and peak RSS (GNU time) of
# `p2vkit plan` for each, with the hosts used against the lower bound.
# The inputs are generated with a fixed seed under a scratch folder.
#
#   tests/bench/scale.sh [--time-limit SEC] [--csv-rows N] [--series-workloads N]
. "$(dirname "$0")/common.sh"
traces=${BENCH_TRACES:-$top/../shared/benchmarks/traces/planetlab-20110303}
limit=5
rows=100000
series=10000
while [ $# -gt 0 ]; do
    case $1 in
        --time-limit) limit=$2; shift 2 ;;
        --csv-rows) rows=$2; shift 2 ;;
        --series-workloads) series=$2; shift 2 ;;
        *) echo "scale.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[ -x /usr/bin/time ] || { echo "scale.sh: needs GNU time (/usr/bin/time, Debian package time)" >&2; exit 1; }

cat > "$work/hosts.yaml" <<EOT
schema: p2vkit/hosts/v1
hosts:
  - {model: r650, cores: 64, mhz: 2800, memory_mib: 1048576, disk_gib: 20000, disk_iops: 200000, net_mbps: 25000, virt: vmx, iommu: true, hypervisors: [kvm]}
EOT

measure () {
    label=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$P2VKIT" plan -q "$@" --hosts "$work/hosts.yaml" \
        --time-limit "$limit" -o "$work/plan.yaml"
    read -r secs usr sys kib < "$work/time"
    used=$(sed -n 's/^  hosts_used: //p' "$work/plan.yaml")
    lb=$(sed -n 's/^  lower_bound: //p' "$work/plan.yaml")
    printf '%-34s %8s s wall %8s s CPU %6d MiB  hosts %s (lower bound %s)\n' "$label" "$secs" \
        "$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" $((kib / 1024)) "$used" "$lb"
}

# 1. A CSV of ROWS servers: 1-16 cores, p95 CPU 2-60%, 1-64 GiB.
awk -v n="$rows" 'BEGIN {
    srand(1)
    print "name,os,cores,mhz,memory_mib,disk_gib,cpu_pct_p95,mem_used_mib_p95,disk_iops_p95,disk_mbps_p95,net_mbps_p95"
    for (i = 1; i <= n; i++) {
        c = 2 ^ int(rand() * 5); m = 1024 * 2 ^ int(rand() * 7)
        printf "s%06d,debian11,%d,2400,%d,%d,%.1f,%d,%d,%.1f,%.1f\n", i, c, m, 20 + int(rand() * 480),
            2 + rand() * 58, m * (0.2 + rand() * 0.6), int(rand() * 400), rand() * 20, rand() * 100
    }
}' > "$work/servers.csv"
measure "$rows workloads from CSV" "$work/servers.csv"

# 2. SERIES profiles with 288-point series, written by one awk (a process
#    per profile took longer than the planning it measures).
mkdir "$work/profiles"
ls "$traces" | sort | sed "s|^|$traces/|" > "$work/traces"
awk -v n="$series" -v dir="$work/profiles" '
    # File names may hold spaces: read the list, then each file.
    { nt++; m = 0; while ((getline line < $0) > 0) v[nt, m++] = line + 0; close($0); len[nt] = m }
    END {
        split("cpu_pct mem_used_mib disk_iops disk_mbps net_mbps", key, " ")
        for (i = 0; i < n; i++) {
            t = i % nt + 1; m = len[t]; sh = (int(i / nt) * 36) % 288
            f = dir "/w" i ".yaml"
            srand(i)
            mem = 2048 + int(rand() * 14) * 1024
            printf "schema: p2vkit/profile/v1\nname: w%d\ncollected_at: \"2011-03-04T00:00:00Z\"\n", i > f
            printf "hardware:\n  cpu: {cores: 4, mhz: 2400, virt: vmx}\n  memory_mib: %d\n", mem > f
            printf "  disks:\n    - {name: sda, size_bytes: %d}\n", (50 + int(rand() * 450)) * 1073741824 > f
            printf "os: {family: linux, pv_drivers: [virtio]}\nutilization:\n  interval_s: 300\n" > f
            for (k = 0; k < 5; k++) {
                printf "  %s: [", key[k + 1] > f
                for (s = 0; s < m; s++) {
                    c = v[t, (s + sh) % m]
                    if (k == 0) x = c
                    else if (k == 1) x = int(mem * (0.3 + c / 200))
                    else if (k == 2) x = int(c * 3)
                    else if (k == 3) x = c / 10
                    else x = c / 2
                    printf "%s%s", (s ? ", " : ""), x > f
                }
                printf "]\n" > f
            }
            close(f)
        }
    }' "$work/traces"
measure "$series workloads x 288 x 5 series" "$work/profiles"
