#!/bin/sh
# p2vkit deploy's definitions, golden files: the converter's domain XML
# (tests/data/deploy/images) adjusted to the thesis plan for a KVM host and
# written anew for a Xen host (--xml-dir, no host needed), compared with
# tests/data/deploy/expected/ and validated against libvirt's schema.
# `tests/deploy-xml.sh --regen` (make regen-golden) rewrites the expected
# files.  The fixtures were converted for the other mode than the plan's,
# so the mode's devices must follow the plan.
. "$(dirname "$0")/functions.sh"

regen=false
[ "${1:-}" = --regen ] && regen=true
data=tests/data/deploy
t_tmpdir
command -v virt-xml-validate >/dev/null 2>&1 || t_skip_all "no virt-xml-validate (libvirt-clients)"

# Disks with fixed contents and times: the volume names' tags derive from
# the image's name, size and modification time.
mkdir "$t_tmp/images"
cp "$data"/images/*.xml "$t_tmp/images/"
qcow2 () {   # a qcow2 header for a 1 GiB disk, padded to 512 bytes
    { printf 'QFI\373\000\000\000\003'; head -c 16 /dev/zero
      printf '\000\000\000\000\100\000\000\000'; head -c 480 /dev/zero; } > "$1"
}
qcow2 "$t_tmp/images/dc01-disk1.qcow2"
qcow2 "$t_tmp/images/pbx01-disk1.qcow2"
truncate -s 1M "$t_tmp/images/dc01-disk2.raw"
touch -d '2026-01-01 00:00:00 UTC' "$t_tmp"/images/*-disk*

"$P2VKIT" plan examples/thesis/servers --hosts examples/thesis/hosts.yaml \
    -o "$t_tmp/thesis.yaml" >/dev/null 2>&1
sed 's/hypervisor: kvm/hypervisor: xen/' "$t_tmp/thesis.yaml" > "$t_tmp/xen.yaml"

t_plan 15
for kind in kvm xen; do
    # KVM on QEMU's user networking; Xen on its default bridge.
    plan=$t_tmp/thesis.yaml net="--network user"
    [ $kind = xen ] && plan=$t_tmp/xen.yaml net=
    t_ok "$kind: --xml-dir writes the definitions" "$P2VKIT" deploy "$plan" \
        --images "$t_tmp/images" --xml-dir "$t_tmp/$kind" $net
    for w in dc01 pbx01; do
        # The images' folder is this run's; the golden files say @IMAGES@.
        sed "s|$t_tmp/images|@IMAGES@|g" "$t_tmp/$kind/$w.xml" > "$t_tmp/$kind/$w.norm"
        if $regen; then
            mkdir -p "$data/expected/$kind"
            cp "$t_tmp/$kind/$w.norm" "$data/expected/$kind/$w.xml"
        fi
        if diff -u "$data/expected/$kind/$w.xml" "$t_tmp/$kind/$w.norm" > "$t_tmp/diff"; then
            t_pass "$kind: $w.xml is as expected"
        else
            t_fail "$kind: $w.xml is as expected" "$(head -40 "$t_tmp/diff")"
        fi
    done
    t_ok "$kind: the definitions validate (virt-xml-validate)" \
        sh -c "virt-xml-validate '$t_tmp/$kind/dc01.xml' domain && virt-xml-validate '$t_tmp/$kind/pbx01.xml' domain"
done
# The same input gives the same definition (the hash a second run compares).
"$P2VKIT" deploy "$t_tmp/thesis.yaml" --images "$t_tmp/images" --xml-dir "$t_tmp/again" --network user >/dev/null
t_ok "a second run writes the same definitions" cmp "$t_tmp/kvm/pbx01.xml" "$t_tmp/again/pbx01.xml"
# A plan's vCPUs change the definition, and so its hash.
sed '/^- name: pbx01$/,/^- name:/ s/^  vcpus: 1$/  vcpus: 2/' "$t_tmp/thesis.yaml" > "$t_tmp/vcpus.yaml"
"$P2VKIT" deploy "$t_tmp/vcpus.yaml" --images "$t_tmp/images" --xml-dir "$t_tmp/vcpus" --network user >/dev/null
h1=$(sed -n 's/.*definition="\([0-9a-f]*\)".*/\1/p' "$t_tmp/kvm/pbx01.xml")
h2=$(sed -n 's/.*definition="\([0-9a-f]*\)".*/\1/p' "$t_tmp/vcpus/pbx01.xml")
if [ -n "$h1" ] && [ -n "$h2" ] && [ "$h1" != "$h2" ] && grep -q '<vcpu>2</vcpu>' "$t_tmp/vcpus/pbx01.xml"; then
    t_pass "another vCPU count gives another definition hash"
else
    t_fail "another vCPU count gives another definition hash" "$h1 / $h2"
fi
err=$("$P2VKIT" deploy "$t_tmp/xen.yaml" --images "$t_tmp/images" --xml-dir "$t_tmp/bad" --network user 2>&1)
t_match "Xen has no user networking: refused" "^p2vkit: deploy: host athlon-x2-5200-1: --network user: Xen has no user networking" "$err"
# A disk with two <source> elements (found by fuzz-image, where the first
# name leaked): the first is used, as libvirt does.
mkdir "$t_tmp/two"
cp "$t_tmp"/images/*-disk* "$t_tmp/two/"
cp "$t_tmp/images/dc01.xml" "$t_tmp/two/"
sed 's|\(<source file="/srv/convert/out/pbx01-disk1.qcow2"/>\)|\1<source file="/elsewhere/none.qcow2"/>|' \
    "$t_tmp/images/pbx01.xml" > "$t_tmp/two/pbx01.xml"
t_ok "two sources: the definitions are written" "$P2VKIT" deploy "$t_tmp/thesis.yaml" \
    --images "$t_tmp/two" --xml-dir "$t_tmp/two-out" --network user
t_match "two sources: the first one's image is used" "pbx01-disk1-" "$(cat "$t_tmp/two-out/pbx01.xml" 2>/dev/null)"

# An ssh transport that closes its end at once (a host that drops the
# connection): libvirt's write to it must come back as an error, not as a
# SIGPIPE that kills deploy half way (exit 141).  The write races with the
# close, so besides the exit statuses of tries side by side (before the fix
# some died in most rounds of 40), the transport reads whether deploy, its
# parent, ignores SIGPIPE (bit 13 of SigIgn): that check does not race.
cat > "$t_tmp/closing-ssh" <<EOF
#!/bin/sh
sed -n 's/^SigIgn:[[:space:]]*//p' /proc/\$PPID/status > "$t_tmp/sigign.\$PPID"
exec 0<&- 1>&-
EOF
chmod +x "$t_tmp/closing-ssh"
for i in $(seq 40); do
    { "$P2VKIT" deploy --status "$t_tmp/thesis.yaml" \
          --default-uri "qemu+ssh://root@127.0.0.9:1/system?command=$t_tmp/closing-ssh" >/dev/null 2>&1
      echo $? > "$t_tmp/st.$i"; } &
done
wait
t_is "a connection closed at once: exit 1 in each of 40 tries, never SIGPIPE's 141" \
    "40" "$(cat "$t_tmp"/st.* | grep -c '^1$')"
ign=$(cat "$t_tmp"/sigign.* 2>/dev/null | head -n 1)
t_ok "deploy ignores SIGPIPE while it talks to libvirt (SigIgn ${ign:-unread})" \
    test -n "$ign" -a $(( 0x${ign:-0} >> 12 & 1 )) -eq 1
t_done
