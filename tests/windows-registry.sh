#!/bin/sh
# The Windows registry layer of the converter (converter/registry.c) on
# synthetic Windows Server 2003 and 2019 trees in local folders: hives
# built by tests/guests/mkhive, driver files, a driver cache cabinet, a
# DriverStore and a fake virtio-win tree of the documented layout.  The
# converted hives (exported with hivexregedit), the first-boot script and
# the log are compared with tests/data/golden/windows/; then single facts,
# the refusals, and that a refusal writes nothing.
#
#   tests/windows-registry.sh --regen   rewrites tests/data/golden/windows/
. "$(dirname "$0")/functions.sh"

regen=false
[ "${1:-}" = "--regen" ] && regen=true
command -v hivexregedit >/dev/null || t_skip_all "hivexregedit is not installed (libwin-hivex-perl)"
command -v hivexget >/dev/null || t_skip_all "hivexget is not installed (libhivex-bin)"
command -v gcab >/dev/null || t_skip_all "gcab is not installed"

# The helpers of the build P2VKIT belongs to.
bindir=$(dirname "$P2VKIT")
[ "$bindir" = "$srcdir" ] && bindir=$srcdir/build
MKHIVE=$bindir/tests/guests/mkhive
WINTREE=$bindir/tests/guests/wintree
[ -x "$MKHIVE" ] && [ -x "$WINTREE" ] || t_skip_all "$MKHIVE or $WINTREE not built (make unit-tests)"
G=tests/data/golden/windows
t_tmpdir

. tests/guests/windows-tree.sh
mkvirtio "$t_tmp/virtio-win"

export_hive () { hivexregedit --export --unsafe-printable-strings "$1" '\'; }

# convert NAME YEAR MODE OPTS...: a fresh tree converted; its hives, first
# boot script and the printed log compared with the golden files.
convert () {
    name=$1 year=$2 mode=$3; shift 3
    root=$t_tmp/$name
    mktree "$root" "$year" || { t_fail "$name: build the tree"; return; }
    if ! "$WINTREE" "$root" "$mode" "$@" > "$t_tmp/$name.log" 2> "$t_tmp/$name.err"; then
        t_fail "$name: convert in $mode mode" "$(cat "$t_tmp/$name.err")"
        return
    fi
    t_pass "$name: convert in $mode mode"
    cfg=$(cd "$root" && find . -ipath './windows/system32/config' | head -1)
    export_hive "$root/$cfg/$(ls "$root/$cfg" | grep -i '^system$')" > "$t_tmp/$name.system.reg"
    export_hive "$root/$cfg/$(ls "$root/$cfg" | grep -i '^software$')" > "$t_tmp/$name.software.reg"
    if [ -f "$root/p2vkit/firstboot.cmd" ]; then
        cp "$root/p2vkit/firstboot.cmd" "$t_tmp/$name.firstboot.cmd"
    else
        echo "(none)" > "$t_tmp/$name.firstboot.cmd"
    fi
    for f in log system.reg software.reg firstboot.cmd; do
        t_golden "$name: $f matches $G/$name.$f" "$G/$name.$f" "$t_tmp/$name.$f"
    done
}

if $regen; then
    t_plan 20
    convert 2003-full 2003 full --vcpus 2 --facts
    convert 2003-paravirt 2003 paravirt --virtio-win "$t_tmp/virtio-win" --vcpus 1 --facts
    convert 2019-full 2019 full --vcpus 4 --vmware --facts
    convert 2019-paravirt 2019 paravirt --virtio-win "$t_tmp/virtio-win" --vcpus 4 --vmware --facts
    t_done
fi

t_plan 64
convert 2003-full 2003 full --vcpus 2 --facts
convert 2003-paravirt 2003 paravirt --virtio-win "$t_tmp/virtio-win" --vcpus 1 --facts
convert 2019-full 2019 full --vcpus 4 --vmware --facts
convert 2019-paravirt 2019 paravirt --virtio-win "$t_tmp/virtio-win" --vcpus 4 --vmware --facts

# Single facts, so that a regenerated golden file cannot hide them.
get () { hivexget "$1" "$2" "$3" 2>&1; }
S3=$t_tmp/2003-full/WINDOWS/system32/config/system
t_match "2003 read as Windows 5.2, a server, x86" "^version: 5.2 build 3790 server x86$" "$(cat "$t_tmp/2003-full.log")"
t_match "2003: the static address, mask, gateway and both DNS servers" \
    "^nic \{6B3F1B2C-4D5E-4F60-8A71-92B3C4D5E6F7\}: 192.168.10.2/255.255.255.0 gw 192.168.10.1 dns 192.168.10.2 dns 192.168.10.3$" \
    "$(cat "$t_tmp/2003-full.log")"
t_is "2003 full: atapi starts at boot" 0 "$(get "$S3" '\ControlSet001\Services\atapi' Start)"
t_is "2003 full: intelide starts at boot" 0 "$(get "$S3" '\ControlSet001\Services\intelide' Start)"
t_is "2003 full: pciide is a boot-start service" "system32\\DRIVERS\\pciide.sys" "$(get "$S3" '\ControlSet001\Services\pciide' ImagePath)"
t_is "2003 full: PIIX3 IDE is in the CriticalDeviceDatabase" intelide \
    "$(get "$S3" '\ControlSet001\Control\CriticalDeviceDatabase\pci#ven_8086&dev_7010' Service)"
t_is "2003 full: the primary IDE channel too" atapi \
    "$(get "$S3" '\ControlSet001\Control\CriticalDeviceDatabase\primary_ide_channel' Service)"
t_is "2003 full: LastKnownGood is left as it was" 3 "$(get "$S3" '\ControlSet002\Services\atapi' Start)"
t_is "2003 full: pciidex.sys restored from the newest cabinet (sp2.cab)" "pciidex.sys 5.2.3790.3959" \
    "$(cat "$t_tmp/2003-full/WINDOWS/system32/drivers/pciidex.sys")"
t_is "2003 full: the HP agents are disabled" "4 4" \
    "$(get "$S3" '\ControlSet001\Services\CqMgHost' Start) $(get "$S3" '\ControlSet001\Services\CpqNicMgmt' Start)"
t_match "2003 full: a uniprocessor HAL with 2 vCPUs is a warning" "^warning: .*uniprocessor HAL \(acpiapic_up\).*2 vCPUs" \
    "$(cat "$t_tmp/2003-full.log")"
t_is "2003 paravirt: 1 vCPU, no HAL warning" "" "$(grep '^warning:' "$t_tmp/2003-paravirt.log")"
t_is "2003 full: the first-boot service runs the script" \
    '%SystemRoot%\system32\cmd.exe /c "%SystemDrive%\p2vkit\firstboot.cmd"' \
    "$(get "$S3" '\ControlSet001\Services\p2vkit-firstboot' ImagePath)"
t_match "2003 full: the script gives the new adapter the DC's address" \
    'netsh interface ip set address name="!IFNAME!" source=static addr=192.168.10.2 mask=255.255.255.0 gateway=192.168.10.1 gwmetric=1' \
    "$(cat "$t_tmp/2003-full/p2vkit/firstboot.cmd")"
t_match "2003 full: and its DNS servers in order" \
    'add dns name="!IFNAME!" addr=192.168.10.3 index=2' "$(cat "$t_tmp/2003-full/p2vkit/firstboot.cmd")"
t_match "2003 full: the facts reporter writes its block to COM1" \
    'type "%FACTS%" > COM1' "$(cat "$t_tmp/2003-full/p2vkit/firstboot.cmd")"
t_match "2019 full: the first-boot script writes the facts block" \
    '> "%FACTS%" echo P2VKIT-FACTS-BEGIN v1' "$(cat "$t_tmp/2019-full/p2vkit/firstboot.cmd")"
P3=$t_tmp/2003-paravirt/WINDOWS/system32/config/system
t_is "2003 paravirt: viostor is a boot-start service" 0 "$(get "$P3" '\ControlSet001\Services\viostor' Start)"
t_is "2003 paravirt: virtio-blk in the CriticalDeviceDatabase" viostor \
    "$(get "$P3" '\ControlSet001\Control\CriticalDeviceDatabase\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00' Service)"
t_is "2003 paravirt: viostor.sys copied from viostor/2k3/x86" "viostor/2k3/x86/viostor.sys" \
    "$(cat "$t_tmp/2003-paravirt/WINDOWS/system32/drivers/viostor.sys")"
t_is "2003 paravirt: NetKVM waits in \\p2vkit\\drivers for Plug and Play" "NetKVM/2k3/x86/netkvm.inf" \
    "$(cat "$t_tmp/2003-paravirt/p2vkit/drivers/netkvm/netkvm.inf")"
t_match "2003 paravirt: DevicePath points there" 'netkvm' \
    "$(get "$t_tmp/2003-paravirt/WINDOWS/system32/config/software" '\Microsoft\Windows\CurrentVersion' DevicePath)"
S19=$t_tmp/2019-full/Windows/System32/config/SYSTEM
t_match "2019 read as Windows 10.0 build 17763, a server, amd64" "^version: 10.0 build 17763 server amd64$" \
    "$(cat "$t_tmp/2019-full.log")"
t_is "2019 full: storahci starts at boot" 0 "$(get "$S19" '\ControlSet001\Services\storahci' Start)"
t_is "2019 full: and its StartOverride is gone" "" \
    "$(hivexregedit --export "$S19" '\ControlSet001\Services\storahci' | grep -i startoverride)"
t_is "2019 full: storahci.sys restored from the DriverStore" "storahci.sys 10.0.17763.1" \
    "$(cat "$t_tmp/2019-full/Windows/System32/drivers/storahci.sys")"
t_is "2019 full: no CriticalDeviceDatabase on Windows 8 and later" "" \
    "$(hivexregedit --export "$S19" '\ControlSet001\Control' 2>/dev/null | grep -i CriticalDevice)"
t_is "2019 full: VMware Tools and vmci disabled (source was VMware)" "4 4" \
    "$(get "$S19" '\ControlSet001\Services\VMTools' Start) $(get "$S19" '\ControlSet001\Services\vmci' Start)"
t_match "2019 full: each disabled service is in the log" "^disabled: VMTools \(was Start=2\)$" "$(cat "$t_tmp/2019-full.log")"
P19=$t_tmp/2019-paravirt/Windows/System32/config/SYSTEM
t_is "2019 paravirt: virtio-blk in the DriverDatabase" "$(printf 'viostor.inf')" \
    "$(hivexregedit --export --unsafe-printable-strings "$P19" '\DriverDatabase\DeviceIds\PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00' | sed -n 's/^"\(viostor.inf\)"=.*/\1/p')"
t_match "2019 paravirt: the script installs the drivers with pnputil" \
    'pnputil -i -a "%DIR%\\drivers\\netkvm\\netkvm.inf"' "$(cat "$t_tmp/2019-paravirt/p2vkit/firstboot.cmd")"
t_match "2019 paravirt: both addresses of the adapter come back" 'add address name="!IFNAME!" addr=10.20.0.16 mask=255.255.0.0' \
    "$(cat "$t_tmp/2019-paravirt/p2vkit/firstboot.cmd")"

# Refusals: a needed driver nowhere, a virtio-win tree without the
# release's driver, not a Windows tree.  Nothing is written to the tree.
sum () { (cd "$1" && find . -type f | sort | xargs -d '\n' sha256sum); }
mktree "$t_tmp/no-intelide" 2003
rm "$t_tmp/no-intelide/WINDOWS/system32/drivers/intelide.sys"
before=$(sum "$t_tmp/no-intelide")
err=$("$WINTREE" "$t_tmp/no-intelide" full 2>&1); st=$?
t_is "a missing intelide.sys: refused with the reason" \
    "1 wintree: Microsoft Windows Server 2003 needs intelide.sys for the emulated IDE/SATA disk controller: it is not in Windows\\System32\\drivers, and not in System32\\dllcache, the cabinets of Windows\\Driver Cache or the DriverStore; copy it there from the installation media and convert again" \
    "$st $err"
t_is "and the tree is unchanged" "$before" "$(sum "$t_tmp/no-intelide")"
mkdir -p "$t_tmp/intelide-dllcache/WINDOWS/system32/dllcache"
mktree "$t_tmp/intelide-dllcache" 2003
mv "$t_tmp/intelide-dllcache/WINDOWS/system32/drivers/intelide.sys" "$t_tmp/intelide-dllcache/WINDOWS/system32/dllcache/"
t_ok "intelide.sys in dllcache is enough" "$WINTREE" "$t_tmp/intelide-dllcache" full
t_is "and restored from there" "intelide.sys 5.2.3790.3959" "$(cat "$t_tmp/intelide-dllcache/WINDOWS/system32/drivers/intelide.sys")"

mkdir -p "$t_tmp/virtio-old/viostor/2k8/x86"
mktree "$t_tmp/pv-none" 2019
before=$(sum "$t_tmp/pv-none")
err=$("$WINTREE" "$t_tmp/pv-none" paravirt --virtio-win "$t_tmp/virtio-old" 2>&1); st=$?
t_is "no viostor for 2019 in the virtio-win tree: refused" \
    "1 wintree: $t_tmp/virtio-old: no viostor driver for Windows Server 2019 Standard amd64 in the virtio-win tree $t_tmp/virtio-old (looked for viostor/2k19/amd64)" \
    "$st $err"
t_is "and the tree is unchanged" "$before" "$(sum "$t_tmp/pv-none")"
err=$("$WINTREE" "$t_tmp/pv-none" paravirt 2>&1); st=$?
t_match "auto with a virtio-win tree for 2019: paravirt" "^mode: paravirt$" \
    "$(mktree "$t_tmp/auto19" 2019 && "$WINTREE" "$t_tmp/auto19" auto --virtio-win "$t_tmp/virtio-win")"
t_match "auto with a tree that lacks 2019: full, and says why" \
    "^mode reason: the virtio-win tree $t_tmp/virtio-old has no viostor/2k19/amd64, so Windows Server 2019 Standard gets an emulated IDE disk and e1000 network$" \
    "$(mktree "$t_tmp/auto-old" 2019 && "$WINTREE" "$t_tmp/auto-old" auto --virtio-win "$t_tmp/virtio-old")"
t_is "paravirt without --virtio-win: refused" "1 wintree: paravirt mode for Windows Server 2019 Standard needs --virtio-win DIR" "$st $err"
mkdir -p "$t_tmp/empty"
err=$("$WINTREE" "$t_tmp/empty" full 2>&1); st=$?
t_is "not a Windows tree: refused" "1 wintree: no Windows\\System32\\config\\SYSTEM: not a Windows system drive" "$st $err"
mktree "$t_tmp/bad" 2019
echo "not a hive" > "$t_tmp/bad/Windows/System32/config/SYSTEM"
err=$("$WINTREE" "$t_tmp/bad" full 2>&1); st=$?
t_is "a SYSTEM hive that is no hive: refused, naming it" \
    "1 wintree: SYSTEM hive Windows/System32/config/SYSTEM: cannot open: Invalid argument" "$st $err"
mktree "$t_tmp/bad2" 2019
"$MKHIVE" empty "$t_tmp/bad2/Windows/System32/config/SOFTWARE"
err=$("$WINTREE" "$t_tmp/bad2" full 2>&1); st=$?
t_is "an empty SOFTWARE hive: refused, naming it" \
    "1 wintree: SOFTWARE hive Windows/System32/config/SOFTWARE: no Microsoft\\Windows NT\\CurrentVersion key: not a Windows NT SOFTWARE hive" "$st $err"
t_done
