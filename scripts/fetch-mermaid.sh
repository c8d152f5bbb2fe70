#!/usr/bin/env bash
# Bumps the mermaid bundle vendored in the default theme (the only time npm is needed):
#   scripts/fetch-mermaid.sh 11.4.1
# Fetches mermaid@VERSION from the npm registry and replaces
# themes/default/static/vendor/mermaid.min.js and its MIT licence (MERMAID_LICENSE), then
# pins the new sha256 in themes/default/vendor.lock, which build.rs checks on every
# build. Commit the three files together. The build itself never fetches anything.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-${MERMAID_VERSION:-}}
if [ -z "$VERSION" ]; then
  echo "usage: $0 VERSION   (e.g. $0 11.4.1)" >&2
  exit 2
fi
THEME=themes/default
DEST=$THEME/static/vendor
LOCK=$THEME/vendor.lock
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# npm pack checks the tarball against the registry's integrity hash.
(cd "$TMP" && npm pack --silent "mermaid@$VERSION" >/dev/null && tar -xzf mermaid-*.tgz)
mkdir -p "$DEST"
cp "$TMP/package/dist/mermaid.min.js" "$DEST/mermaid.min.js"
cp "$TMP/package/LICENSE" "$DEST/MERMAID_LICENSE"
if command -v sha256sum >/dev/null 2>&1; then
  SUM=$(sha256sum "$DEST/mermaid.min.js" | cut -d' ' -f1)
else
  SUM=$(shasum -a 256 "$DEST/mermaid.min.js" | cut -d' ' -f1)
fi
# Replace mermaid's line in the lock file, keeping its comments and other entries.
grep -v '^mermaid ' "$LOCK" >"$TMP/lock" || true
echo "mermaid $VERSION $SUM static/vendor/mermaid.min.js" >>"$TMP/lock"
cp "$TMP/lock" "$LOCK"
echo "mermaid $VERSION → $DEST/mermaid.min.js ($(wc -c <"$DEST/mermaid.min.js") bytes, sha256 $SUM)"
echo "commit $DEST/mermaid.min.js $DEST/MERMAID_LICENSE $LOCK"
