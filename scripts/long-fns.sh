#!/bin/sh
# Lists Rust functions longer than N lines (default 150), longest first:
#   scripts/long-fns.sh [N] [DIR]
# A function runs from its `fn` line to the brace closing its body, found by brace
# depth. Braces inside strings, chars and comments are skipped roughly (a `"`
# toggles string state; `//` ends the line), which is enough for this code base.
set -eu
limit=${1:-150}
dir=${2:-src}
find "$dir" -name '*.rs' | sort | xargs awk -v limit="$limit" '
FNR == 1 { depth = 0; open_fn = 0 }
{
    line = $0
    sub(/\/\/.*/, "", line)
    if (!open_fn && match(line, /(^|[^a-z_])fn [A-Za-z_][A-Za-z0-9_]*/)) {
        name = substr(line, RSTART, RLENGTH); sub(/^[^f]*fn /, "", name)
        pending = 1; start = FNR; base = depth
    }
    instr = 0
    n = length(line)
    for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        if (c == "\\" && instr) { i++; continue }
        if (c == "\"") { instr = !instr; continue }
        if (instr) continue
        if (c == "\x27" && substr(line, i + 2, 1) == "\x27") { i += 2; continue }
        if (c == "{") {
            depth++
            if (pending && !open_fn) { open_fn = 1; pending = 0; fn_depth = depth }
        } else if (c == "}") {
            if (open_fn && depth == fn_depth) {
                len = FNR - start + 1
                if (len > limit) printf "%5d  %s:%d  %s\n", len, FILENAME, start, name
                open_fn = 0
            }
            depth--
        } else if (c == ";" && pending && !open_fn) {
            pending = 0
        }
    }
}' | sort -rn
