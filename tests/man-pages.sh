#!/bin/sh
# Every subcommand has a man page, and the page documents exactly the long
# options that its --help lists.
. "$(dirname "$0")/functions.sh"

commands=$("$P2VKIT" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
n=$(printf '%s\n' "$commands" | wc -l)
t_plan $((1 + 2 * n))

# The long options a text names, one per line, sorted.
options () { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }

missing=
for c in $commands; do
    grep -q "p2vkit\\\\-$c" docs/man/p2vkit.1 || grep -q "fB$c\\\\fR" docs/man/p2vkit.1 || missing="$missing $c"
done
t_is "p2vkit.1 names every subcommand" "" "$missing"

for c in $commands; do
    page=docs/man/p2vkit-$c.1
    if [ ! -f "$page" ]; then
        t_fail "$page exists"
        t_fail "$page documents the options of '$c --help'" "no page"
        continue
    fi
    t_pass "$page exists"
    from_help=$("$P2VKIT" "$c" --help | options | tr '\n' ' ')
    from_page=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page" | options | tr '\n' ' ')
    t_is "$page documents the options of '$c --help'" "$from_help" "$from_page"
done
t_done
