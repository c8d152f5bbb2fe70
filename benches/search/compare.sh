#!/usr/bin/env bash
# Search quality, index size, bytes per query and build time: srekb (CLI and browser)
# against Pagefind, on a public Japanese documentation set (see README, "Search quality
# and size"). One command:
#
#   benches/search/compare.sh [SNAPSHOT]
#
# SNAPSHOT: a clone (work tree or git dir) of github.com/kyama0/gitlab-handbook-ja
# (required). Environment: CORPUS_DIR (default $BENCH_HOME/gitlab-ja-site; normalised
# site, builds and Pagefind output go there, never into the repo), BENCH_HOME (default
# ${XDG_CACHE_HOME:-~/.cache}/srekb-bench), PAGEFIND (pagefind_extended binary; default:
# npm's, installed into $BENCH_HOME/tools if missing), ROUNDS (srekb builds, fastest kept; default 2), LABEL (table title),
# SREKB_BIN (an srekb binary to measure instead of this checkout's release build, e.g.
# one built from another branch).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SNAPSHOT=${1:?usage: $0 SNAPSHOT (a clone of kyama0/gitlab-handbook-ja)}
BENCH_HOME=${BENCH_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/srekb-bench}
CORPUS_DIR=${CORPUS_DIR:-$BENCH_HOME/gitlab-ja-site}
TOOLS=${TOOLS:-$BENCH_HOME/tools}
PAGEFIND=${PAGEFIND:-$TOOLS/node_modules/@pagefind/linux-x64/bin/pagefind_extended}
LABEL=${LABEL:-srekb $(git -C "$ROOT" rev-parse --abbrev-ref HEAD)@$(git -C "$ROOT" rev-parse --short HEAD)}

[ -e "$SNAPSHOT" ] || { echo "no corpus at $SNAPSHOT (fetch kyama0/gitlab-handbook-ja first)"; exit 1; }
if [ ! -x "$PAGEFIND" ]; then
  echo "== installing pagefind (npm) into $TOOLS" >&2
  mkdir -p "$TOOLS" && (cd "$TOOLS" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent pagefind)
fi
if [ -z "${SREKB_BIN:-}" ]; then
  echo "== cargo build --release" >&2
  (cd "$ROOT" && nice cargo build --release --quiet)
  SREKB_BIN="$ROOT/target/release/srekb"
fi
python3 "$ROOT/benches/corpus/normalise.py" "$SNAPSHOT" "$CORPUS_DIR" >&2
echo "== machine: $(nproc) cores, $("$SREKB_BIN" --version), $("$PAGEFIND" --version), $(chromium --version 2>/dev/null | head -1)" >&2
python3 "$ROOT/benches/search/compare.py" --bin "$SREKB_BIN" \
  --site "$CORPUS_DIR/srekb" --pagefind-bin "$PAGEFIND" --work "$CORPUS_DIR/bench" \
  --rounds "${ROUNDS:-2}" --label "$LABEL" --details "$CORPUS_DIR/bench/details.json"
