#!/bin/bash
# p2vkit convert end to end on real Debian test guests (tests/guests/build.sh):
# each is converted and booted by QEMU to a login prompt on its serial
# console (--verify-boot): paravirt with virtio disks and NIC for every
# guest, full with IDE for plain.  Checked too: the source's checksum does
# not change, the unconverted guest does not boot on virtio, the domain XML
# validates, the report records what was done.
#
# Slow (TCG where KVM does not work): conversions run two at a time.  The
# time limits (30 minutes a boot) leave room for make check's other lane
# on a loaded 2-core machine; a guest that boots is not slowed by them.
# P2VKIT_GUESTS_ONLY="plain lvm" limits the guests (for development).
. "$(dirname "$0")/../functions.sh"

for tool in qemu-img qemu-system-x86_64 guestfish debootstrap virt-xml-validate; do
    command -v $tool >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
    command -v $tool >/dev/null 2>&1 || t_skip_all "$tool is not installed"
done
[ "$(id -u)" -eq 0 ] || t_skip_all "building test guests needs root (debootstrap)"

all="plain-full vmdk lvm gpt data vmtools old"
jobs=${P2VKIT_GUESTS_ONLY:-$all}
set -- $jobs
# Per job: convert, source unchanged, XML valid, report mode, boot,
# fstab by UUID, commands ok; plus extras below.
extras=0
for j in $jobs; do
    case $j in vmtools|data|plain-full) extras=$((extras + 1)) ;; esac
done
t_plan $(( 2 + 7 * $# + extras ))
t_tmpdir
log=$t_tmp/log
mkdir -p "$log"

# Build the guests (cached), two at a time, the slowest first: plain and
# old each debootstrap a release (the others wait for plain's tarball, and
# vmdk for plain, through build.sh's locks).
guest_of () { case $1 in plain-full) echo plain ;; *) echo "$1" ;; esac; }
variants=$( { echo plain; for j in $jobs; do guest_of "$j"; done; } \
    | awk '!seen[$0]++ { print index("plain old lvm gpt vmtools data vmdk", $0), $0 }' \
    | sort -n | cut -d' ' -f2)
if printf '%s\n' $variants | xargs -P 2 -I{} sh -c \
       'tests/guests/build.sh {} > "$1/{}.path" 2> "$1/{}.build"' _ "$log"; then
    t_pass "test guests built: $(echo $variants)"
else
    t_fail "test guests built" "$(tail -n 20 "$log"/*.build)"
    t_done
fi

# The unconverted plain guest does not reach its root on virtio: what
# makes the conversion necessary.  (Its initramfs has no virtio driver.)
plain=$(head -n 1 "$log/plain.path")
accel=tcg
[ -c /dev/kvm ] && printf 'quit\n' | timeout 30 qemu-system-x86_64 -accel kvm -machine pc \
    -cpu host -m 64 -nodefaults -display none -S -monitor stdio >/dev/null 2>&1 && accel=kvm
novirtio () {
    # The console goes to a file that is watched: in its initramfs shell
    # the guest writes nothing more, so a pipe to grep would only end when
    # the timeout stops QEMU.
    local console=$log/novirtio.console q pattern='login:|ALERT!|Gave up waiting'
    timeout 1800 qemu-system-x86_64 -accel $accel -machine q35 -m 1024 -nodefaults \
        -display none -serial file:"$console" -snapshot -no-reboot \
        -drive file="$plain",format=qcow2,if=virtio </dev/null >/dev/null 2>&1 &
    q=$!
    while kill -0 $q 2>/dev/null && ! grep -q -a -E "$pattern" "$console" 2>/dev/null; do
        sleep 1
    done
    kill $q 2>/dev/null
    wait $q
    grep -a -m 1 -E "$pattern" "$console"
}

# plain-full takes its mode (full), vCPUs (1) and memory (768 MiB) from a
# real plan: the thesis lab's, where its name is dc01's.
"$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml \
    --policy examples/thesis/policy.yaml -q -o "$t_tmp/plan.yaml"
name_of () { case $1 in plain-full) echo dc01 ;; *) echo "$1" ;; esac; }

# convert JOB: the conversion and its boot, into $t_tmp/JOB; status in log.
convert () {
    [ "$1" = novirtio ] && { novirtio > "$log/novirtio"; return; }
    job=$1 variant=$(guest_of "$1")
    how="--mode paravirt"
    [ "$job" = plain-full ] && how="--plan $t_tmp/plan.yaml"
    srcs=$(cat "$log/$variant.path")
    sha256sum $srcs | cut -d' ' -f1 > "$log/$job.sum-before"
    # shellcheck disable=SC2086
    "$P2VKIT" convert $srcs -o "$t_tmp/$job" --name "$(name_of "$job")" $how \
        --verify-boot --boot-timeout 1800 > "$log/$job.out" 2> "$log/$job.err"
    echo $? > "$log/$job.status"
    sha256sum $srcs | cut -d' ' -f1 > "$log/$job.sum-after"
}
export -f convert guest_of novirtio name_of
export P2VKIT t_tmp log plain accel

# At most two guests (conversions or boots) at a time.
printf '%s\n' novirtio $jobs | xargs -P 2 -I{} bash -c 'convert {}'
t_match "the unconverted guest fails on virtio" "ALERT!|Gave up waiting" "$(cat "$log/novirtio")"

yaml () { sed -n "s/^$1: //p" "$2" | tr -d '"'; }
for job in $jobs; do
    name=$(name_of "$job")
    rep=$t_tmp/$job/$name.report.yaml
    xml=$t_tmp/$job/$name.xml
    st=$(cat "$log/$job.status" 2>/dev/null)
    if [ "$st" = 0 ]; then t_pass "$job: converted and booted"
    else t_fail "$job: converted and booted" "exit $st" "$(tail -n 5 "$log/$job.err")"; fi
    t_is "$job: source unchanged" "$(cat "$log/$job.sum-before")" "$(cat "$log/$job.sum-after" 2>/dev/null)"
    t_ok "$job: the domain XML validates" virt-xml-validate "$xml" domain
    want=paravirt; [ "$job" = plain-full ] && want=full
    t_is "$job: mode" "$want" "$(yaml mode "$rep" 2>/dev/null)"
    t_match "$job: booted to a login prompt" "verified: true" "$(grep -A1 '^boot:' "$rep" 2>/dev/null)"
    t_match "$job: fstab names devices by UUID" "UUID=" "$(grep -A8 'file: "/etc/fstab"' "$rep" 2>/dev/null)"
    failed=$(awk '/^- command:/{c=$0} /^  status:/{ if ($2 != 0) print c }' "$rep" 2>/dev/null)
    t_is "$job: every command in the guest exited 0" "" "$failed"
    case $job in
        vmtools)
            t_match "vmtools: open-vm-tools removed" "open-vm-tools" \
                "$(sed -n '/^removed_packages:/,/^[a-z]/p' "$rep")" ;;
        data)
            t_is "data: two disks" "2" "$(grep -c '<disk ' "$xml")" ;;
        plain-full)
            t_match "plain-full: the plan's vCPUs and memory, IDE disks and e1000" \
                "<memory unit=\"MiB\">768</memory>.*<vcpu>1</vcpu>.*bus=\"ide\".*e1000" \
                "$(tr -d '\n' < "$xml")" ;;
    esac
done
# Kept for a look when something failed.
if [ "$t_failed" -ne 0 ]; then
    for f in "$log"/*.err; do echo "# $f"; tail -n 3 "$f" | sed 's/^/#   /'; done
fi
t_done
