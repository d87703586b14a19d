#!/bin/sh
# p2vkit inventory on this machine: its facts match what lscpu, free,
# lsblk, df and ip say; sampling, Ctrl-C, bad command lines and outputs;
# missing files of a tree; --summary.
. "$(dirname "$0")/functions.sh"

for tool in lscpu free lsblk ip df; do
    command -v $tool >/dev/null 2>&1 || t_skip_all "no $tool to compare with"
done
t_tmpdir
t_plan 48

p=$t_tmp/live.yaml
t_ok "profile this machine" "$P2VKIT" inventory -q --samples 0 -o "$p"
t_ok "the profile validates" "$P2VKIT" validate -q "$p"
prof=$(cat "$p")

# A field of the profile's flow mapping "cpu: {...}" or of a list item.
cpu_field () { printf '%s\n' "$prof" | sed -n "s/^  cpu: .*[{ ]$1: \([^,}]*\).*/\1/p"; }
lscpu_field () { lscpu | sed -n "s/^$1:[[:space:]]*//p"; }

t_is "threads = lscpu CPU(s)" "$(lscpu_field 'CPU(s)')" "$(cpu_field threads)"
t_is "sockets = lscpu Socket(s)" "$(lscpu_field 'Socket(s)')" "$(cpu_field sockets)"
t_is "cores = lscpu sockets x cores per socket" \
    "$(( $(lscpu_field 'Socket(s)') * $(lscpu_field 'Core(s) per socket') ))" "$(cpu_field cores)"
t_is "model = lscpu Model name" "$(lscpu_field 'Model name')" "$(cpu_field model)"
case "$(lscpu_field 'Virtualization')" in
    VT-x) virt=vmx ;; AMD-V) virt=svm ;; *) virt=none ;;
esac
t_is "virt matches lscpu Virtualization" "$virt" "$(cpu_field virt)"
maxmhz=$(lscpu_field 'CPU max MHz')
if [ -n "$maxmhz" ]; then
    t_is "mhz = lscpu CPU max MHz" "$(printf '%.0f' "$maxmhz")" "$(cpu_field mhz)"
else
    # No cpufreq here: the agent takes the highest "cpu MHz".
    t_is "mhz = the highest cpu MHz (no cpufreq here)" \
        "$(awk -F: '/^cpu MHz/ { v = $2 + 0; if (v > m) m = v } END { printf "%.0f", m }' /proc/cpuinfo)" \
        "$(cpu_field mhz)"
fi

mem=$(printf '%s\n' "$prof" | sed -n 's/^  memory_mib: //p')
total=$(free -m | awk '/^Mem:/ { print $2 }')
diff=$((mem - total))
t_is "memory_mib = free -m total (+-1 for rounding)" ok "$( [ ${diff#-} -le 1 ] && echo ok || echo "$mem vs $total")"

# Disks: lsblk's whole disks without RAM-backed ones (zram, ram), loops
# and optical drives, which the agent leaves out by rule.
want=$(lsblk -d -b -n -P -o NAME,SIZE,ROTA,TYPE | sed -n 's/^NAME="\([^"]*\)" SIZE="\([0-9]*\)" ROTA="\([01]\)" TYPE="disk"$/\1 \2 \3/p' \
       | grep -Ev '^(zram|ram|loop|sr|fd)' | sed 's/ 1$/ true/; s/ 0$/ false/' | sort)
got=$(printf '%s\n' "$prof" | sed -n 's/^  - {name: \([^,]*\), size_bytes: \([0-9]*\).*rotational: \([a-z]*\)}$/\1 \2 \3/p' | sort)
t_is "disks, sizes and rotational = lsblk" "$want" "$got"

# NICs: the links ip shows with a parent bus (physical devices).
want=$(ip -d -o link | awk '/parentbus/ { name = $2; sub(":$", "", name); sub("@.*", "", name);
       for (i = 1; i < NF; i++) if ($i == "link/ether") print name, $(i + 1) }' | sort)
got=$(printf '%s\n' "$prof" | sed -n 's/^  - {name: \([^,]*\), mac: "\([^"]*\)".*/\1 \2/p' | sort)
t_is "NICs and MACs = ip's links with a parent bus" "$want" "$got"

rootdev=$(df -B1 --output=size / | tail -1 | tr -d ' ')
t_match "the root file system's size = df" "\{mount: /, device: [^,]*, type: [^,]*, size_bytes: $rootdev," "$prof"
t_match "os: family, kernel and arch" "family: linux" "$prof"
t_is "os.kernel = uname -r" "\"$(uname -r)\"" "$(printf '%s\n' "$prof" | sed -n 's/^  kernel: //p')"
t_is "os.arch = uname -m" "$(uname -m)" "$(printf '%s\n' "$prof" | sed -n 's/^  arch: //p')"
t_is "--samples 0: no utilization" "" "$(printf '%s\n' "$prof" | grep '^utilization')"

# Sampling: one value per interval in every series.
t_ok "sample twice a second apart" "$P2VKIT" inventory -q --samples 2 --interval 1 -o "$t_tmp/s.yaml"
s=$(cat "$t_tmp/s.yaml")
t_match "interval_s is the interval" "^  interval_s: 1$" "$s"
for series in cpu_pct mem_used_mib disk_iops disk_mbps net_mbps; do
    t_match "$series has two values" "^  $series: \[[0-9.]+, [0-9.]+\]$" "$s"
done
# Memory moves on a shared machine (a guest starting or ending beside
# this test changes it by a GiB in a second): free's used is read just
# before and just after a one-sample run, and the agent's value must lie
# within 1 GiB of that range.  Three tries: a wrong unit or method (KiB,
# total, or buffers and cache counted as used) misses every time.
mem_check () {
    for t__try in 1 2 3; do
        before=$(free -m | awk '/^Mem:/ { print $3 }')
        "$P2VKIT" inventory -q --samples 1 --interval 1 -o "$t_tmp/m.yaml" 2>/dev/null \
            || { echo "inventory failed"; return; }
        after=$(free -m | awk '/^Mem:/ { print $3 }')
        used=$(sed -n 's/^  mem_used_mib: \[\([0-9]*\).*/\1/p' "$t_tmp/m.yaml")
        lo=$before hi=$after
        [ "$lo" -le "$hi" ] || { lo=$after hi=$before; }
        if [ -n "$used" ] && [ "$used" -ge $((lo - 1024)) ] && [ "$used" -le $((hi + 1024)) ]; then
            echo ok
            return
        fi
    done
    echo "$used vs free's $before..$after"
}
t_is "used memory is free's used (within 1 GiB)" ok "$(mem_check)"
t_ok "--duration 2 --interval 1 samples twice" "$P2VKIT" inventory -q --duration 2 --interval 1 -o "$t_tmp/d.yaml"
t_match "... and says so" "^  cpu_pct: \[[0-9.]+, [0-9.]+\]$" "$(cat "$t_tmp/d.yaml")"

# Ctrl-C during sampling writes the profile with the samples so far.
"$P2VKIT" inventory -q --samples 1000 --interval 1 -o "$t_tmp/int.yaml" 2>"$t_tmp/int.err" &
pid=$!
sleep 3
kill -INT $pid
wait $pid; st=$?
t_is "Ctrl-C: exit 0" 0 $st
t_ok "Ctrl-C: the profile is written and valid" "$P2VKIT" validate -q "$t_tmp/int.yaml"
t_match "Ctrl-C: it says how many samples it kept" "interrupted: the profile keeps [0-9]+ of 1000 samples" "$(cat "$t_tmp/int.err")"
n=$(sed -n 's/^  cpu_pct: \[\(.*\)\]$/\1/p' "$t_tmp/int.yaml" | tr ',' '\n' | grep -c .)
t_is "Ctrl-C: fewer samples than asked, as many as the message says" \
    "$(sed -n 's/.*keeps \([0-9]*\) of.*/\1/p' "$t_tmp/int.err")" "$n"
t_is "Ctrl-C: no temporary file left" "int.err int.yaml" "$(cd "$t_tmp" && ls int.* | tr '\n' ' ' | sed 's/ $//')"

# Bad command lines: exit 2, one line, nothing written.
t_exit "--interval 0 is a usage error" 2 "$P2VKIT" inventory --interval 0 -o "$t_tmp/u1.yaml"
t_match "... naming the option" "^p2vkit: inventory: --interval: 0 is out of range \(1 to 86400\)" \
    "$("$P2VKIT" inventory --interval 0 2>&1)"
t_exit "negative --samples is a usage error" 2 "$P2VKIT" inventory --samples -1 -o "$t_tmp/u2.yaml"
t_exit "huge --samples is a usage error" 2 "$P2VKIT" inventory --samples 100001 -o "$t_tmp/u3.yaml"
t_exit "--samples and --duration together" 2 "$P2VKIT" inventory --samples 1 --duration 10
t_exit "--duration shorter than the interval" 2 "$P2VKIT" inventory --duration 4 --interval 5
t_exit "an operand" 2 "$P2VKIT" inventory stray
t_is "usage errors write nothing" "" "$(cd "$t_tmp" && ls u1.yaml u2.yaml u3.yaml 2>/dev/null)"

# An output that cannot be written fails before sampling, and leaves
# nothing.
err=$("$P2VKIT" inventory --samples 1000 -o "$t_tmp/nodir/p.yaml" 2>&1); st=$?
t_match "an unwritable output: exit 1, named" "^1 p2vkit: $t_tmp/nodir/p.yaml: cannot create the output file" "$st $err"
t_exit "an output that is a folder: exit 1" 1 "$P2VKIT" inventory --samples 0 -o "$t_tmp"

# Missing files of a tree: a warning naming them, the facts left out.
cp -R tests/data/roots/centos5-pbx "$t_tmp/tree"
rm "$t_tmp/tree/proc/net/tcp" "$t_tmp/tree/proc/net/udp" "$t_tmp/tree/proc/diskstats"
out=$("$P2VKIT" inventory --root "$t_tmp/tree" --samples 1 --interval 1 2>"$t_tmp/tree.err")
t_match "missing /proc/net files are named in a warning" \
    "^p2vkit: warning: cannot read $t_tmp/tree/proc/net/tcp or udp; services are left out" "$(cat "$t_tmp/tree.err")"
t_is "... and services are left out" "" "$(printf '%s\n' "$out" | grep '^services')"
t_is "a series that cannot be read is left out, the others are kept" \
    "cpu_pct mem_used_mib net_mbps" "$(printf '%s\n' "$out" | grep -Eo '^  (cpu_pct|mem_used_mib|disk_iops|disk_mbps|net_mbps):' | tr -d ' :' | tr '\n' ' ' | sed 's/ $//')"
rm "$t_tmp/tree/proc/meminfo"
err=$("$P2VKIT" inventory --root "$t_tmp/tree" --samples 0 -o "$t_tmp/tree.yaml" 2>&1); st=$?
t_match "no meminfo: a warning naming it, then exit 1 (memory is required)" \
    "^1 p2vkit: warning: cannot read $t_tmp/tree/proc/meminfo: No such file or directory" "$st $err"
t_is "... and no profile" "no" "$( [ -e "$t_tmp/tree.yaml" ] && echo yes || echo no)"

# --summary of the recorded trees' profiles.
sum=$("$P2VKIT" inventory --summary tests/data/roots/centos5-pbx.yaml tests/data/roots/debian6-novirt.yaml)
t_match "--summary: a header" "^NAME +OS +CORES +MEM_MIB +DISK_GIB +CPU_P95% +MEM_P95_MIB +IOPS_P95 +HINT" "$sum"
t_match "--summary: the PBX, paravirtual with a device to pass through" \
    "pbx01 +centos5.5 +2 +3035 +465.8 +0.0 +485 +0.0 +paravirt\+passthrough" "$sum"
t_done
