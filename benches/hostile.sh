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
# 300,000 internal links in one page, ten per line (item 9).
python3 -c "
import sys
sys.stdout.write('# a\n\n' + ''.join('[x](b.md) ' + ('\n' if i % 10 == 9 else '') for i in range(300000)))
" > "$tmp/kb/content/a.md"
printf '300k internal links in one page: '
/usr/bin/time -f '%e s, peak %M KB' "$bin" --root "$tmp/kb" check 2>&1 >/dev/null | tail -1
