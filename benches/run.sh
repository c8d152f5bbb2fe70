#!/usr/bin/env bash
# Benchmarks srekb on generated knowledge bases and compares with Hugo on the same
# markdown. Prints, per size N: full build wall time, pages/s, peak RSS, output size,
# search-index times, static search index size, rebuild after one edit, `srekb search`
# p50/p99, browser bytes per query, and the srekb/Hugo wall-time ratio.
#
#   benches/run.sh                 # N = 1000 and 10000
#   benches/run.sh 2000 30000      # other sizes
#   ROUNDS=5 BENCH_DIR=/dev/shm/b benches/run.sh
#   REAL=/path/to/gitlab-handbook-ja benches/run.sh 10000
#       also a real Japanese documentation set (a work tree or a bare clone of a Hugo
#       docs repository, normalised by benches/corpus/normalise.py into an srekb site
#       and a Hugo site with the same pages; REAL_SECTION, default content/handbook)
#   HUGO=/path/to/hugo             # the Hugo binary (default: `hugo` on PATH)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}
WORK=${BENCH_DIR:-/tmp/srekb-bench}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(1000 10000)
QUERIES=(障害対応 ポストモーテム エラーバジェット 監視 SLO kubernetes "サービスレベル 目標"
  レプリケーション遅延 postgresql トイル オンコール 証明書 タイムアウト runbook 障害
  キャパシティ カナリアリリース アラート 自動化 インシデント)

command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
HUGO=${HUGO:-hugo}
if ! command -v "$HUGO" >/dev/null 2>&1; then
  echo "== installing hugo (Debian package)"
  SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null
fi
hugo() { "$HUGO" "$@"; }
(cd "$ROOT" && cargo build --release --quiet)
BIN="$ROOT/target/release/srekb"

echo "== machine"
echo "  $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "  $("$BIN" --version), $(hugo version | cut -d' ' -f1-2), work dir $WORK"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if(i<1)i=1; print a[i]}'; }

TABLE=()
SITES=("${SIZES[@]}")
[ -n "${REAL:-}" ] && SITES+=(real)
for N in "${SITES[@]}"; do
  echo "== N = $N"
  KB="$WORK/kb-$N"; HS="$WORK/hugo-$N"
  rm -rf "$KB" "$HS"
  if [ "$N" = real ]; then
    python3 "$ROOT/benches/corpus/normalise.py" "$REAL" "$WORK/real" \
      --section "${REAL_SECTION:-content/handbook}" | sed 's/^/  /'
    rm -rf "$KB" "$HS"; mv "$WORK/real/srekb" "$KB"; mv "$WORK/real/hugo" "$HS"
    ln -sfn "$KB/content" "$HS/content"; rm -rf "$WORK/real"
  else
    "$BIN" dev gen-corpus --pages "$N" --seed 1 --out "$KB" >/dev/null
    mkdir -p "$HS"; cp -r "$ROOT/benches/hugo/." "$HS/"; ln -s "$KB/content" "$HS/content"
  fi
  pages=$(find "$KB/content" -name '*.md' | wc -l)

  # Warm the page cache, then alternate srekb and Hugo.
  "$BIN" build --root "$KB" >/dev/null
  hugo --quiet --source "$HS" -d "$HS/public" >/dev/null
  # A full build each round: the output and the search index are removed first.
  S_T=(); S_M=(); S_C=(); H_T=(); H_M=(); H_C=()
  for r in $(seq "$ROUNDS"); do
    rm -rf "$KB/public" "$KB/.srekb"
    read -r t m u y < <({ /usr/bin/time -f "%e %M %U %S" "$BIN" build --root "$KB" >/dev/null; } 2>&1 | tail -1)
    S_T+=("$t"); S_M+=("$m"); S_C+=("$(awk -v a="$u" -v b="$y" 'BEGIN {print a+b}')")
    rm -rf "$HS/public"
    read -r t m u y < <({ /usr/bin/time -f "%e %M %U %S" "$HUGO" --quiet --source "$HS" -d "$HS/public" >/dev/null; } 2>&1 | tail -1)
    H_T+=("$t"); H_M+=("$m"); H_C+=("$(awk -v a="$u" -v b="$y" 'BEGIN {print a+b}')")
    echo "  round $r: srekb ${S_T[-1]} s (CPU ${S_C[-1]} s) / ${S_M[-1]} KB, hugo ${H_T[-1]} s (CPU ${H_C[-1]} s) / ${H_M[-1]} KB"
  done
  st=$(printf '%s\n' "${S_T[@]}" | median); sm=$(printf '%s\n' "${S_M[@]}" | sort -n | tail -1)
  ht=$(printf '%s\n' "${H_T[@]}" | median); hm=$(printf '%s\n' "${H_M[@]}" | sort -n | tail -1)
  sc=$(printf '%s\n' "${S_C[@]}" | median); hc=$(printf '%s\n' "${H_C[@]}" | median)
  ratio=$(awk -v a="$st" -v b="$ht" 'BEGIN {printf "%.2f", a/b}')
  pps=$(awk -v n="$pages" -v t="$st" 'BEGIN {printf "%.0f", n/t}')
  out=$(du -sb "$KB/public" | cut -f1); hout=$(du -sb "$HS/public" | cut -f1)
  # The search step analyses once for both stores; a fresh tantivy index is forced
  # (an unchanged site keeps it), and the step timed in a second build without the
  # build cache (which keeps the export's postings) shows the export alone.
  rm -rf "$KB/.srekb/index"
  steps=$("$BIN" build --root "$KB" -v 2>&1)
  index_ms=$(awk '$1=="search" && $2 ~ /^[0-9.]+$/ {print $2}' <<<"$steps")
  steps=$("$BIN" build --root "$KB" --no-cache -v 2>&1)
  export_ms=$(awk '$1=="search" && $2 ~ /^[0-9.]+$/ {print $2}' <<<"$steps")
  sidx=$(du -sb "$KB/public/search" | cut -f1); sfiles=$(find "$KB/public/search" -type f | wc -l)
  tidx=$(du -sb "$KB/.srekb/index" | cut -f1)

  # One page edited, then `srekb build` again (its build cache renders what depends on it;
  # see benches/serve.sh).
  page=$(find "$KB/content" -name '*.md' ! -name '_index.md' | sort | awk 'NR == 1')
  echo "編集 $(date +%s%N)" >>"$page"
  read -r rt _ < <({ /usr/bin/time -f "%e %M" "$BIN" build --root "$KB" >/dev/null; } 2>&1 | tail -1)

  # srekb search, whole process, every query 10 times.
  LAT=()
  for i in $(seq 10); do
    for q in "${QUERIES[@]}"; do
      a=$(date +%s%N); "$BIN" search --root "$KB" "$q" >/dev/null; b=$(date +%s%N)
      LAT+=($(( (b - a) / 1000 )))
    done
  done
  p50=$(printf '%s\n' "${LAT[@]}" | pct 50); p99=$(printf '%s\n' "${LAT[@]}" | pct 99)

  echo "  srekb: ${st} s (${pps} pages/s), peak ${sm} KB, output $((out / 1048576)) MB"
  echo "  hugo:  ${ht} s, peak ${hm} KB, output $((hout / 1048576)) MB  → ratio srekb/hugo ${ratio}"
  echo "  search step: tantivy + browser ${index_ms} ms ($((tidx / 1048576)) MB), browser alone (index kept) ${export_ms} ms ($((sidx / 1048576)) MB in ${sfiles} files)"
  echo "  build after one edit (with the build cache): ${rt} s"
  echo "  srekb search (process): p50 $(awk -v u="$p50" 'BEGIN{printf "%.1f", u/1000}') ms, p99 $(awk -v u="$p99" 'BEGIN{printf "%.1f", u/1000}') ms"
  bytes="n/a"
  if command -v node >/dev/null 2>&1; then
    js=$(ls "$KB"/public/assets/search.*.js)
    node "$ROOT/benches/search-bytes.mjs" "$KB/public" "$js" "${QUERIES[@]}" | tee "$WORK/bytes-$N.txt" | sed 's/^/  /'
    bytes=$(grep -m1 '^first query' "$WORK/bytes-$N.txt" | sed 's/first query //')
  fi
  TABLE+=("| $N ($pages md) | ${st} s (CPU ${sc} s) | ${pps} | $((sm / 1024)) MB | $((out / 1048576)) MB | ${index_ms} + ${export_ms} ms | ${rt} s | $(awk -v u="$p50" 'BEGIN{printf "%.1f", u/1000}') / $(awk -v u="$p99" 'BEGIN{printf "%.1f", u/1000}') ms | ${ht} s (CPU ${hc} s), $((hm / 1024)) MB | **${ratio}** |")
  TABLE_B+=("| $N | $((sidx / 1048576)) MB, ${sfiles} files | ${bytes} |")
done

echo
echo "| pages | srekb build | pages/s | peak RSS | output | search index (tantivy + browser) | rebuild after 1 edit | \`srekb search\` p50 / p99 | Hugo build, peak RSS | srekb/Hugo (wall) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${TABLE[@]}"
echo
echo "| pages | browser index | bytes per query (20 queries, top 10 shown) |"
echo "|---|---|---|"
printf '%s\n' "${TABLE_B[@]}"

echo
echo "== serve: save → reload on a generated 1,000-page site (cargo bench --bench serve)"
(cd "$ROOT" && cargo bench --quiet --bench serve 2>/dev/null | sed 's/^/  /')
