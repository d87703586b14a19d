# Shell functions shared by the Windows tests (sourced): synthetic Windows
# system drives and a fake virtio-win tree, in local folders.  Needs
# $MKHIVE (tests/guests/mkhive), gcab, and $t_tmp for scratch files.

# mktree DIR 2003|2019: a system drive as setup leaves it (with the names'
# case as Windows has them, which the converter must not depend on).
mktree () {
    d=$1
    if [ "$2" = 2003 ]; then
        w=$d/WINDOWS/system32
        mkdir -p "$w/config" "$w/drivers" "$d/WINDOWS/Driver Cache/i386" "$t_tmp/cab"
        "$MKHIVE" 2003 "$w/config/system" "$w/config/software" || return 1
        for f in atapi intelide pciide disk; do echo "$f.sys 5.2.3790.3959" > "$w/drivers/$f.sys"; done
        "$MKHIVE" pe i386 "$w/cmd.exe" || return 1
        # pciidex.sys only in the cabinets; SP2's copy is the newer.
        echo "pciidex.sys 5.2.3790.0" > "$t_tmp/cab/pciidex.sys"
        echo "acpi.sys 5.2.3790.0" > "$t_tmp/cab/acpi.sys"
        (cd "$t_tmp/cab" && gcab -c "$d/WINDOWS/Driver Cache/i386/driver.cab" acpi.sys pciidex.sys) || return 1
        echo "pciidex.sys 5.2.3790.3959" > "$t_tmp/cab/pciidex.sys"
        (cd "$t_tmp/cab" && gcab -c "$d/WINDOWS/Driver Cache/i386/sp2.cab" pciidex.sys) || return 1
    else
        w=$d/Windows/System32
        s=$w/DriverStore/FileRepository/storahci.inf_amd64_3bd8c8d8d8b9a2ba
        mkdir -p "$w/config" "$w/drivers" "$s"
        "$MKHIVE" 2019 "$w/config/SYSTEM" "$w/config/SOFTWARE" || return 1
        "$MKHIVE" pe x86_64 "$w/cmd.exe" || return 1
        for f in atapi intelide pciide pciidex ataport storport disk; do
            echo "$f.sys 10.0.17763.1" > "$w/drivers/$f.sys"
        done
        # storahci.sys only in the DriverStore.
        echo "storahci.sys 10.0.17763.1" > "$s/storahci.sys"
        echo "[Version]" > "$s/storahci.inf"
    fi
}

# virtio-win's ISO layout: DRIVER/OS/ARCH/FILES.
mkvirtio () {
    v=$1
    for p in viostor/2k3/x86 NetKVM/2k3/x86 viostor/2k19/amd64 vioscsi/2k19/amd64 NetKVM/2k19/amd64; do
        drv=${p%%/*}; low=$(echo "$drv" | tr A-Z a-z)
        mkdir -p "$v/$p"
        for ext in sys inf cat; do echo "$p/$low.$ext" > "$v/$p/$low.$ext"; done
    done
}
