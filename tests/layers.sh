#!/bin/sh
# The layering DEVELOPERS.md writes down ("Layers"): every #include of a
# folder's .c and .h files names its own folder, a folder its row allows,
# or a library its row allows; a library that another row names is not
# for it.  The table is read from DEVELOPERS.md, so the two cannot drift.
. "$(dirname "$0")/functions.sh"

# The table's rows as "FOLDER|INCLUDES|LIBRARIES", backquotes and the
# folders' slashes dropped.
rows=$(sed -n '/^## Layers/,/^## /p' DEVELOPERS.md | grep '^| `[a-z0-9]*/`' |
    awk -F'|' '{
        for (i = 2; i <= 4; i++) { gsub(/`/, "", $i); gsub(/^ +| +$/, "", $i); gsub(/  +/, " ", $i) }
        sub(/\/$/, "", $2); gsub(/\/( |$)/, " ", $3); sub(/ $/, "", $3)
        print $2 "|" $3 "|" $4
    }')
folders=$(printf '%s\n' "$rows" | cut -d'|' -f1)
# Every library some row names.
libraries=$(printf '%s\n' "$rows" | cut -d'|' -f3 | tr ' ' '\n' | grep . | sort -u | tr '\n' ' ')

t_plan $((1 + $(printf '%s\n' "$rows" | grep -c .)))

# Folders of the library (with .c files), each a row of the table.
missing=
for d in */; do
    d=${d%/}
    case $d in tests|build|docs|examples|scripts|templates) continue ;; esac
    ls "$d"/*.c >/dev/null 2>&1 || continue
    printf '%s\n' "$folders" | grep -qx "$d" || missing="$missing $d"
done
t_is "every folder of code has a row in DEVELOPERS.md's layers" "" "$missing"

while IFS='|' read -r folder allowed libs; do
    bad=$(for f in "$folder"/*.c "$folder"/*.h; do
        [ -f "$f" ] || continue
        grep -n '^[[:space:]]*#[[:space:]]*include' "$f" /dev/null
    done | awk -v folder="$folder" -v allowed="$allowed" -v libs="$libs" -v known="$libraries" '
        function member(x, list,   n, a, i) {
            n = split(list, a, " ")
            for (i = 1; i <= n; i++)
                if (x == a[i] || (a[i] ~ /\/$/ && index(x, a[i]) == 1)) return 1
            return 0
        }
        {
            # FILE:LINE:#include "x/y.h" or <x/y.h>
            file = $0; sub(/:.*/, "", file)
            line = $0; sub(/^[^:]*:/, "", line); text = line; sub(/:.*/, "", line)
            sub(/^[0-9]+:/, "", text)
            if (match(text, /"[^"]*"/)) {
                h = substr(text, RSTART + 1, RLENGTH - 2)
                # A path relative to the file: resolve ../ against its folder.
                if (h ~ /^\.\.\//) { sub(/^\.\.\//, "", h) }
                else if (h !~ /\//) h = folder "/" h
                target = h; sub(/\/.*/, "", target)
                if (target != folder && !member(target, allowed))
                    printf "%s:%s: includes \"%s\": %s/ may include %s\n", file, line,
                        substr(text, RSTART + 1, RLENGTH - 2), folder,
                        allowed == "" ? "nothing but itself" : allowed
            }
            else if (match(text, /<[^>]*>/)) {
                h = substr(text, RSTART + 1, RLENGTH - 2)
                if (member(h, known) && !member(h, libs))
                    printf "%s:%s: includes <%s>: a library %s/ may not use (its libraries: %s)\n",
                        file, line, h, folder, libs == "" ? "none" : libs
            }
        }')
    t_is "$folder/ includes only what its layer allows" "" "$bad"
done <<EOF
$rows
EOF

t_done
