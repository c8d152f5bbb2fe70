#!/bin/sh
# Bounded-work figures for hostile input (issue 17): time and peak memory of
# `srekb check` on generated pages. Usage: benches/hostile.sh [path/to/srekb]
set -eu
bin=${1:-target/release/srekb}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/kb/content"
printf 'title = "t"\n' > "$tmp/kb/site-config.toml"
printf '# b\n' > "$tmp/kb/content/b.md"

# Runs `check` on content/a.md (written from the Python expression $2) and prints
# the figures; a cap keeps a regression from taking the machine down.
measure() {
    python3 -c "import sys; sys.stdout.write('# a\n\n' + ($2))" > "$tmp/kb/content/a.md"
    printf '%s (%s bytes): ' "$1" "$(wc -c < "$tmp/kb/content/a.md" | tr -d ' ')"
    (ulimit -v 8000000; timeout 300 /usr/bin/time -f '%e s, peak %M KB' \
        "$bin" --root "$tmp/kb" check 2>&1 >/dev/null | tail -1) || echo "failed or capped"
}

# Item 9: 300,000 internal links in one page, ten per line.
measure '300k internal links, 10 per line' \
    "''.join('[x](b.md) ' + ('\n' if i % 10 == 9 else '') for i in range(300000))"
# Item 9: 300,000 links with (broken) anchors on ONE line: 300k diagnostics there.
measure '300k anchor links on one line' "'[x](b.md#b) ' * 300000 + '\n'"
# Item 10: a 1.4 MB file of reference links whose definitions point at each other
# in a loop (#r1 -> #r2 -> ... -> #r0), every one used once.
measure '1.4 MB reference-link loop' \
    "''.join(f'[r{i}][r{(i+1)%42000}] ' for i in range(42000)) + '\n\n' + ''.join(f'[r{i}]: #r{(i+1)%42000}\n' for i in range(42000))"
# 20,000 headings with the same text (numbered ids).
measure '20k equal headings' "'## a\n\n' * 20000"
# A Japanese paragraph of 160,000 lines (line breaks between wide characters dropped).
measure '160k-line Japanese paragraph' "'あ\n' * 160000"
# 10,000 broken anchors into a page of 10,000 headings (the ids offered as help).
measure '10k broken anchors, 10k headings' "''.join(f'## h{i}\n\n' for i in range(10000)) + '[x](#nope) ' * 10000 + '\n'"
