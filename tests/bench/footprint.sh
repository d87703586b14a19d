#!/bin/sh
# The inventory agent's cost on a production server, side by side with
# Prometheus node_exporter in the same run: each samples this machine every
# second for DURATION seconds (the agent with --interval 1; node_exporter
# scraped once a second with curl).  Prints CPU seconds used, percent of
# one core, and peak RSS for each.
#
#   tests/bench/footprint.sh [DURATION]     (default 60)
#
# Needs prometheus-node-exporter and curl: scripts/install-deps.sh bench.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
agent=${AGENT:-$top/build/p2vkit-agent}
duration=${1:-60}
exporter=/usr/bin/prometheus-node-exporter
[ -x "$agent" ] || { echo "footprint.sh: no agent at $agent (make)" >&2; exit 1; }
[ -x "$exporter" ] || { echo "footprint.sh: needs $exporter (scripts/install-deps.sh bench)" >&2; exit 1; }
command -v curl >/dev/null || { echo "footprint.sh: needs curl (scripts/install-deps.sh bench)" >&2; exit 1; }
work=$(mktemp -d)
exp_pid=
trap '[ -n "$exp_pid" ] && kill "$exp_pid" 2>/dev/null; rm -rf "$work"' EXIT

ticks=$(getconf CLK_TCK)
# CPU seconds (user + system) of PID so far.
cpu_of () { awk -v t="$ticks" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$1/stat"; }
hwm_of () { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# node_exporter on a free loopback port; its start-up is not counted.
port=19100
"$exporter" --web.listen-address=127.0.0.1:$port >"$work/exporter.log" 2>&1 &
exp_pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/metrics" >/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "footprint.sh: node_exporter did not start" >&2; cat "$work/exporter.log" >&2; exit 1; }
    sleep 0.1
done
exp_cpu0=$(cpu_of $exp_pid)

# Both at once, for DURATION seconds.
/usr/bin/time -f "%U %S %M" -o "$work/agent.time" \
    "$agent" -q --interval 1 --samples "$duration" -o "$work/profile.yaml" &
agent_pid=$!
s=0
while [ $s -lt "$duration" ]; do
    curl -sf "http://127.0.0.1:$port/metrics" >/dev/null
    sleep 1
    s=$((s + 1))
done
wait $agent_pid
exp_cpu=$(echo "$(cpu_of $exp_pid) - $exp_cpu0" | bc -l)
exp_hwm=$(hwm_of $exp_pid)
read -r au as akib < "$work/agent.time"
agent_cpu=$(echo "$au + $as" | bc -l)

printf '%-28s %10s %12s %10s\n' program cpu-seconds "% of a core" "peak RSS"
printf '%-28s %10.2f %12.3f %6d KiB\n' "p2vkit agent (static)" "$agent_cpu" "$(echo "100 * $agent_cpu / $duration" | bc -l)" "$akib"
printf '%-28s %10.2f %12.3f %6d KiB\n' "node_exporter $("$exporter" --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)" "$exp_cpu" "$(echo "100 * $exp_cpu / $duration" | bc -l)" "$exp_hwm"
