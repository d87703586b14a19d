#!/bin/sh
# generate.sh - build the server profiles of the fleet example.
#
# Usage: sh examples/fleet/generate.sh [TRACE_DIR]
#
# TRACE_DIR holds the PlanetLab CPU traces of 2011-03-03 (one file per
# machine, 288 lines of one integer CPU percent per 5-minute interval).
# The default is ../shared/benchmarks/traces/planetlab-20110303 relative
# to the top of the source tree.
#
# The fleet is described by fleet.tables next to this script. For each
# server a trace is picked by its position in the byte-sorted list of trace
# files, shaped to the daily pattern of the server's role (office hours,
# nightly batch or backup window, or flat round the clock) and scaled to
# the server's load. Memory, disk and network series are synthetic,
# follow the CPU series and come from a fixed-seed generator, so the output
# is the same on every run and every POSIX system.
#
# Output: examples/fleet/servers/*.yaml (existing *.yaml files there are
# replaced; servers/legacy.csv is left alone).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
traces=${1:-$top/../shared/benchmarks/traces/planetlab-20110303}
out=$here/servers
tables=$here/fleet.tables

LC_ALL=C
export LC_ALL

if [ ! -f "$tables" ]; then
    echo "generate.sh: table file not found: $tables" >&2
    exit 1
fi
if [ ! -d "$traces" ]; then
    echo "generate.sh: trace directory not found: $traces" >&2
    exit 1
fi

list=$(mktemp "${TMPDIR:-/tmp}/p2vkit-traces.XXXXXX")
trap 'rm -f "$list"' EXIT
trap 'exit 1' HUP INT TERM
(cd "$traces" && ls) | sort > "$list"
ntraces=$(wc -l < "$list" | tr -d ' ')
if [ "$ntraces" -lt 100 ]; then
    echo "generate.sh: expected the 1052 PlanetLab traces in $traces, found $ntraces files" >&2
    exit 1
fi

mkdir -p "$out"
rm -f "$out"/*.yaml

prog='
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function big(x) { return sprintf("%.0f", x) }

# daily shapes, h = hour of day (0 <= h < 24)
function office(h) {
    if (h < 6.5) return 0.15
    if (h < 8) return 0.15 + 0.85 * (h - 6.5) / 1.5
    if (h < 12) return 1
    if (h < 13) return 0.7
    if (h < 17) return 1
    if (h < 19) return 1 - 0.7 * (h - 17) / 2
    if (h < 22) return 0.3 - 0.15 * (h - 19) / 3
    return 0.15
}
function window15(h, lo) {          # busy 01:00-05:00, lo outside
    if (h < 0.75 || h >= 5.5) return lo
    if (h < 1) return lo + (1 - lo) * (h - 0.75) / 0.25
    if (h < 5) return 1
    return 1 - (1 - lo) * (h - 5) / 0.5
}
function shape(p, h,   a, b) {
    if (p == "office") return office(h)
    if (p == "night") return window15(h, 0.25)
    if (p == "backup") return window15(h, 0.06)
    if (p == "build") { a = 0.45 * office(h); b = window15(h, 0); return a > b ? a : b }
    return 1                        # flat
}

# load trace number i (1-based) of the sorted list into t[]; returns its mean
function load(i,   path, v, n, s) {
    path = tdir "/" tname[i]
    n = 0; s = 0
    while ((getline v < path) > 0) { t[n] = v + 0; s += t[n]; n++ }
    close(path)
    if (n != 288) return -1
    return s / n
}

function fsline(f, mount, dev, type, size, ufrac) {
    size = size - size % 4096
    printf "    - {mount: %s, device: %s, type: %s, size_bytes: %s, used_bytes: %s}\n", \
        mount, dev, type, big(size), big(size * ufrac - (size * ufrac) % 4096) > f
}

function series(f, key, a,   s, i) {
    s = "  " key ": ["
    for (i = 0; i < 288; i++) s = s (i ? ", " : "") a[i]
    print s "]" > f
}

BEGIN { FS = "|"; sec = "" }
/^[ \t]*(#|$)/ { next }
/^\[/ { sec = $0; next }
{
    for (i = 1; i <= NF; i++) $i = trim($i)
    if (sec == "[hw]") {
        k = $1; hwv[k] = $2; hwp[k] = $3; hwfw[k] = $4; hwcpu[k] = $5; hwsock[k] = $6
        hwcore[k] = $7; hwthr[k] = $8; hwmhz[k] = $9; hwvirt[k] = $10; hwnic[k] = $11
        hwnnic[k] = $12; hwoui[k] = $13; hww[k] = $14; hwctl[k] = $15
    } else if (sec == "[ctl]") {
        k = $1; ctlv[k] = $2; ctld[k] = $3; ctlc[k] = $4; ctlld[k] = $5; ctlbd[k] = $6; ctln[k] = $7
    } else if (sec == "[disk]") {
        k = $1; dsize[k] = $2; dmodel[k] = $3; drot[k] = $4
    } else if (sec == "[os]") {
        k = $1; ofam[k] = $2; oid[k] = $3; oname[k] = $4; okern[k] = $5; oarch[k] = $6; opv[k] = $7
    } else if (sec == "[role]") {
        k = $1; rpat[k] = $2; rmlo[k] = $3; rmhi[k] = $4; riolo[k] = $5; riohi[k] = $6
        rkb[k] = $7; rnlo[k] = $8; rnhi[k] = $9; rmnt[k] = $10; rsvc[k] = $11
    } else if (sec == "[server]") {
        ns++; sname[ns] = $1; srole[ns] = $2; sgroup[ns] = $3; shw[ns] = $4; sos[ns] = $5
        smem[ns] = $6; sdisks[ns] = $7; starget[ns] = $8
    }
}

END {
    nt = 0
    while ((getline line < listfile) > 0) tname[++nt] = line
    close(listfile)

    for (k = 1; k <= ns; k++) {
        name = sname[k]; role = srole[k]; hw = shw[k]; os = sos[k]
        if (!(role in rpat) || !(hw in hwv) || !(os in ofam)) {
            print "generate.sh: bad table entry for " name > "/dev/stderr"; exit 1
        }
        f = outdir "/" name ".yaml"
        fam = ofam[os]

        # pick a trace: spread over the sorted list, skip idle or used ones
        i = ((k - 1) * 89 + 7) % nt + 1
        for (tries = 0; tries < nt; tries++) {
            if (!(i in used)) { mean = load(i); if (mean >= 3) break }
            i = i % nt + 1
        }
        used[i] = 1

        # CPU: shaped, scaled trace; burstiness damped, 0..100, one decimal
        seed = 1000 + 7919 * k
        pat = rpat[role]; tg = starget[k]; cmax = 0.1
        for (j = 0; j < 288; j++) {
            r = t[j] / mean; r = 0.35 + 0.65 * r; if (r > 3.5) r = 3.5
            v = 0.3 + 0.04 * tg + tg * r * shape(pat, j / 12)
            if (v > 100) v = 100
            cpu[j] = sprintf("%.1f", v)
            cv[j] = cpu[j] + 0
            if (cv[j] > cmax) cmax = cv[j]
        }
        # the other series follow the CPU series
        memmib = smem[k] * 1024; us = 0
        for (j = 0; j < 288; j++) {
            u = cv[j] / cmax
            us = (j == 0) ? u : us + 0.15 * (u - us)
            m = memmib * (rmlo[role] + (rmhi[role] - rmlo[role]) * us + 0.006 * (rnd() - 0.5))
            if (m > memmib * 0.97) m = memmib * 0.97
            mem[j] = sprintf("%d", m)
            io = riolo[role] + (riohi[role] - riolo[role]) * u * (0.85 + 0.3 * rnd())
            iops[j] = sprintf("%d", io + 0.5)
            mbps[j] = sprintf("%.1f", io * rkb[role] / 1024 * (0.8 + 0.4 * rnd()))
            net[j] = sprintf("%.1f", rnlo[role] + (rnhi[role] - rnlo[role]) * u * (0.8 + 0.4 * rnd()))
        }

        print "schema: p2vkit/profile/v1" > f
        print "# Generated by examples/fleet/generate.sh; cpu_pct derived from PlanetLab trace " tname[i] > f
        print "name: " name > f
        print "collected_at: \"2026-11-25T00:00:00Z\"" > f
        print "role: " role > f
        if (sgroup[k] != "-") print "group: " sgroup[k] > f
        # The groups are of servers that back each other up.
        if (sgroup[k] != "-") print "anti_affinity: " sgroup[k] > f
        print "hardware:" > f
        printf "  vendor: \"%s\"\n  product: \"%s\"\n  firmware: %s\n", hwv[hw], hwp[hw], hwfw[hw] > f
        printf "  cpu: {model: \"%s\", sockets: %d, cores: %d, threads: %d, mhz: %d, virt: %s}\n", \
            hwcpu[hw], hwsock[hw], hwcore[hw], hwthr[hw], hwmhz[hw], hwvirt[hw] > f
        printf "  memory_mib: %d\n  watts: %d\n", memmib, hww[hw] > f

        # disks
        print "  disks:" > f
        nd = split(sdisks[k], dl, "+")
        for (d = 1; d <= nd; d++) {
            dk = dl[d]
            if (!(dk in dsize)) { print "generate.sh: unknown disk " dk > "/dev/stderr"; exit 1 }
            if (fam == "windows") dn[d] = "PhysicalDrive" (d - 1)
            else if (fam == "bsd") dn[d] = (hwctl[hw] ~ /^perc/ ? "mfid" : "da") (d - 1)
            else if (os == "rhl9") dn[d] = "cciss!c0d" (d - 1)
            else dn[d] = "sd" substr("abcdefgh", d, 1)
            printf "    - {name: \"%s\", size_bytes: %s, model: \"%s\", rotational: %s}\n", \
                dn[d], dsize[dk], dmodel[dk], drot[dk] > f
        }

        # filesystems
        print "  filesystems:" > f
        # system volume: a share of the disk, but rarely more than tens of GiB
        size0 = dsize[dl[1]]
        uroot = 0.05 + 0.3 * rnd(); udata = 0.4 + 0.4 * rnd()
        cap = (fam == "windows" ? 12 + 40 * rnd() : 3 + 30 * rnd()) * 1073741824
        if (size0 * uroot > cap) uroot = cap / size0
        if (fam == "windows") {
            res = (oid[os] ~ /^win2k3/) ? 0 : 104857600 * (oid[os] == "win2k8r2" ? 1 : 3)
            fsline(f, "\"C:\"", "\"PhysicalDrive0\"", "ntfs", size0 - res - 1048576, uroot)
            for (d = 2; d <= nd; d++)
                fsline(f, "\"" substr("DEFGH", d - 1, 1) ":\"", "\"PhysicalDrive" (d - 1) "\"", "ntfs", \
                    dsize[dl[d]] - 1048576, udata)
        } else if (fam == "bsd") {
            fsline(f, "/", "/dev/" dn[1] "p2", "ufs", size0 - 8589934592 - 1048576, uroot)
        } else {
            swap = memmib * 1048576; if (swap > 8589934592) swap = 8589934592
            fstype = "ext4"
            if (os ~ /^(centos5|rhel4|rhl9|debian6|trixbox)/) fstype = "ext3"
            if (os == "centos7") fstype = "xfs"
            p0 = "/dev/" dn[1]
            if (os == "rhl9") p0 = "/dev/cciss/c0d0p"
            rest = size0 - swap - 1048576
            if (hwfw[hw] == "uefi") {
                fsline(f, "/boot/efi", p0 "1", "vfat", 209715200, 0.05)
                rest -= 209715200
            }
            if (os ~ /^(centos|rhel|rhl|trixbox)/) {
                bsz = (os ~ /^(centos5|rhel4|rhl9|trixbox)/) ? 104857600 : (os == "centos7" ? 1073741824 : 524288000)
                fsline(f, "/boot", p0 (hwfw[hw] == "uefi" ? "2" : "1"), fstype, bsz, 0.12 + 0.2 * rnd())
                rest -= bsz
                lv = (os ~ /^(centos5|rhel4|trixbox)/) ? "/dev/mapper/VolGroup00-LogVol00" : "/dev/mapper/vg_" name "-lv_root"
                if (os == "centos7") lv = "/dev/mapper/centos-root"
                if (os == "rhl9") lv = p0 "2"
                fsline(f, "/", lv, fstype, rest, uroot)
            } else {
                fsline(f, "/", p0 (hwfw[hw] == "uefi" ? "2" : "1"), fstype, rest, uroot)
            }
            for (d = 2; d <= nd; d++)
                fsline(f, (d == 2 ? rmnt[role] : rmnt[role] (d - 1)), "/dev/" dn[d] "1", \
                    (fstype == "xfs" ? "xfs" : fstype), dsize[dl[d]] - 1048576, udata)
        }

        # nics: consecutive MACs on one board, unique per server
        print "  nics:" > f
        for (n = 1; n <= hwnnic[hw]; n++) {
            if (fam == "windows") nn = (oid[os] ~ /^win2k(3|8)/) ? "Local Area Connection" (n > 1 ? " " n : "") : "Ethernet" (n > 1 ? " " n : "")
            else if (fam == "bsd") nn = (hwnic[hw] == "bnx2" ? "bce" : "em") (n - 1)
            else nn = "eth" (n - 1)
            drv = hwnic[hw]
            if (fam == "bsd") drv = (drv == "bnx2" ? "bce" : "em")
            printf "    - {name: \"%s\", mac: \"%s:%02x:%02x:%02x\", speed_mbps: 1000, driver: %s}\n", \
                nn, hwoui[hw], (k * 73 + 16) % 256, k, (k * 29 + n) % 256, drv > f
        }

        # pci: storage controller (not on Windows inventories) and special cards
        npci = 0; pl = ""
        c = hwctl[hw]
        if (fam != "windows" && c in ctlv) {
            pl = pl sprintf("    - {address: \"0000:%02x:00.0\", vendor: \"%s\", device: \"%s\", class: \"%s\", driver: %s, name: \"%s\", passthrough: false}\n", \
                3 + k % 3, ctlv[c], ctld[c], ctlc[c], (fam == "bsd" ? ctlbd[c] : ctlld[c]), ctln[c])
            npci++
        }
        if (role == "pbx") {
            pl = pl "    - {address: \"0000:07:04.0\", vendor: \"d161\", device: \"8005\", class: \"0780\", driver: wctdm24xxp, name: \"Digium TDM410P\", passthrough: true}\n"
            npci++
        }
        if (role == "fax") {
            pl = pl "    - {address: \"0000:05:00.0\", vendor: \"12b9\", device: \"1008\", class: \"0700\", driver: serial, name: \"US Robotics 56K FaxModem 5610\", passthrough: true}\n"
            npci++
        }
        if (role == "license-server") {
            pl = pl "    - {name: \"USB license dongle (SafeNet Sentinel)\", passthrough: true}\n"
            npci++
        }
        if (npci) printf "  pci:\n%s", pl > f
        else print "  pci: []" > f

        print "os:" > f
        printf "  family: %s\n  id: %s\n  name: \"%s\"\n", fam, oid[os], oname[os] > f
        if (okern[os] != "-") printf "  kernel: \"%s\"\n", okern[os] > f
        printf "  arch: %s\n  pv_drivers: [%s]\n", oarch[os], (opv[os] == "-" ? "" : opv[os]) > f

        print "services:" > f
        nsv = split(rsvc[role], sv, " ")
        for (s = 1; s <= nsv; s++) {
            split(sv[s], sp, "/")
            printf "  - {name: %s, proto: %s, port: %d}\n", sp[1], sp[2], sp[3] > f
        }

        print "utilization:" > f
        print "  interval_s: 300" > f
        series(f, "cpu_pct", cpu); series(f, "mem_used_mib", mem)
        series(f, "disk_iops", iops); series(f, "disk_mbps", mbps); series(f, "net_mbps", net)
        close(f)
    }
    printf "generate.sh: wrote %d profiles to %s\n", ns, outdir > "/dev/stderr"
}
'

awk -v tdir="$traces" -v listfile="$list" -v outdir="$out" "$prog" "$tables"
