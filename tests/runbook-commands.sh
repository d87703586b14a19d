#!/bin/sh
# Every `p2vkit ...` command line that the report of the bundled fleet
# writes into its runbooks (Markdown and HTML) parses as written: a
# subcommand that has --dry-run runs the line with it added and must not
# end in a usage error (exit 2); every other line names only options that
# its subcommand's --help lists.  The check is shown to fail by rendering
# the report again with a template that names an option no subcommand has.
# The runbooks' folder of images on the conversion server is an empty
# local folder here, so deploy reads the plan and checks the names --only
# gives; nothing reaches the network: `ssh` (which libvirt's qemu+ssh URIs
# run) is a program that refuses at once, so deploy ends with exit 1.
. "$(dirname "$0")/functions.sh"

command -v python3 >/dev/null 2>&1 || t_skip_all "no python3"
t_tmpdir
t_plan 8

mkdir "$t_tmp/bin" "$t_tmp/images"
printf '#!/bin/sh\necho "ssh: no network in this test" >&2\nexit 255\n' > "$t_tmp/bin/ssh"
chmod +x "$t_tmp/bin/ssh"
PATH=$t_tmp/bin:$PATH
export PATH

"$P2VKIT" plan -q examples/fleet/servers --hosts examples/fleet/hosts.yaml \
    --policy examples/fleet/policy.yaml -o "$t_tmp/plan.yaml" 2>/dev/null
t_ok "a plan of examples/fleet" test -s "$t_tmp/plan.yaml"

# The command lines of a report rendered with templates $1: Markdown code
# blocks and HTML <pre> blocks (entities decoded), one per line, each once.
lines () {
    "$P2VKIT" report "$t_tmp/plan.yaml" --template "$1" -q --format md -o "$t_tmp/r.md" &&
    "$P2VKIT" report "$t_tmp/plan.yaml" --template "$1" -q --format html -o "$t_tmp/r.html" &&
    python3 - "$t_tmp/r.md" "$t_tmp/r.html" <<'PY'
import html, re, sys
seen = []
def add(s):
    s = s.strip()
    if s.startswith("p2vkit ") and s not in seen:
        seen.append(s)
inside = False
for line in open(sys.argv[1]):
    if line.strip().startswith("```"):
        inside = not inside
    elif inside:
        add(line)
for block in re.findall(r"<pre>(.*?)</pre>", open(sys.argv[2]).read(), re.S):
    for s in html.unescape(re.sub(r"<[^>]*>", "", block)).splitlines():
        add(s)
print("\n".join(seen))
PY
}

# Each line that does not parse, with why; nothing when all do.
check () {
    python3 - "$P2VKIT" "$1" "$t_tmp/images" <<'PY'
import re, shlex, subprocess, sys
prog, path, images = sys.argv[1], sys.argv[2], sys.argv[3]
# The conversion server's folder of images is a local one here.
local = {"/var/lib/p2vkit/images": images}
helps = {}
def options(cmd):
    if cmd not in helps:
        r = subprocess.run([prog, cmd, "--help"], capture_output=True, text=True)
        opts = set()
        for l in r.stdout.splitlines():
            m = re.match(r"\s+(?:(-\w), )?(--[\w-]+)", l)
            if m:
                opts.update(o for o in m.groups() if o)
        helps[cmd] = (r.returncode == 0, opts)
    return helps[cmd]
for line in open(path):
    words = shlex.split(line)
    if not words:
        continue
    ok, opts = options(words[1])
    if not ok:
        print("no subcommand '%s': %s" % (words[1], line.strip()))
        continue
    if "--dry-run" in opts and "--status" not in words:
        args = [local.get(w, w) for w in words[1:]]
        r = subprocess.run([prog] + args + ["--dry-run"], capture_output=True,
                           text=True, timeout=60)
        # A usage error, or an error about an option's value (an --only
        # name that is no workload of the plan).
        if r.returncode == 2 or r.returncode < 0 \
           or re.search(r"^p2vkit: (\w+: )?--", r.stderr, re.M):
            print("exit %d: %s: %s" % (r.returncode, line.strip(),
                                       r.stderr.strip().splitlines()[:1]))
        else:
            print("# ran with --dry-run, exit %d: %s" % (r.returncode, line.strip()))
        continue
    for w in words[2:]:
        if w.startswith("-") and w != "-":
            name = w.split("=", 1)[0]
            if name not in opts:
                print("%s: no option %s: %s" % (words[1], name, line.strip()))
PY
}

lines "$srcdir/templates" > "$t_tmp/lines"
n=$(grep -c '^p2vkit ' "$t_tmp/lines")
t_match "the fleet's runbooks hold command lines ($n)" '^[1-9][0-9]*$' "$n"
t_is "... of capture, convert, deploy and receive" "capture convert deploy receive" \
    "$(awk '{print $2}' "$t_tmp/lines" | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "$t_tmp/lines" > "$t_tmp/out"
t_is "every command line parses" "" "$(grep -v '^#' "$t_tmp/out" | head -20)"
t_match "... the deploy lines ran with --dry-run (exit 1: no converted images here)" \
    "^# ran with --dry-run, exit 1: p2vkit deploy " "$(grep '^#' "$t_tmp/out")"

# A template that names an option nobody has: the check finds it, in the
# command run with --dry-run and in one checked against --help.
cp -r "$srcdir/templates" "$t_tmp/bad-templates"
sed -i 's/ --start$/ --start --launch-now/; s/ --live$/ --live --fast/' \
    "$t_tmp/bad-templates/runbook.md"
lines "$t_tmp/bad-templates" > "$t_tmp/bad-lines"
check "$t_tmp/bad-lines" > "$t_tmp/bad-out"
t_match "an option that does not exist fails the check (deploy, run with --dry-run)" \
    "^exit 2: p2vkit deploy .*--launch-now" "$(grep -v '^#' "$t_tmp/bad-out")"
t_match "... and so does one checked against --help (capture)" \
    "^capture: no option --fast: p2vkit capture " "$(grep -v '^#' "$t_tmp/bad-out")"
cp -r "$srcdir/templates" "$t_tmp/bad-names"
sed -i 's/--only {{{name}}} --uri \(.*\) --start$/--only {{{name}}}x --uri \1 --start/' \
    "$t_tmp/bad-names/runbook.md"
lines "$t_tmp/bad-names" > "$t_tmp/bad-lines"
check "$t_tmp/bad-lines" > "$t_tmp/bad-out"
t_match "... and a name that is no workload of the plan (deploy --only)" \
    "^exit 1: p2vkit deploy .*--only [a-z0-9-]+x .*no workload" "$(grep -v '^#' "$t_tmp/bad-out")"
t_done
