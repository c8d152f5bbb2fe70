#!/usr/bin/env bash
# Puts mermaid's browser bundle into the default theme (themes/default/static/vendor/),
# from the npm registry, at development time. Pages then draw ```mermaid blocks as
# diagrams with no CDN at view time; without it they stay readable code blocks.
# The file is not committed (3 MB); `cargo build` embeds it when present.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${MERMAID_VERSION:-11.4.1}
DEST=themes/default/static/vendor
if [ -f "$DEST/mermaid.min.js" ] && grep -q "$VERSION" "$DEST/MERMAID_VERSION" 2>/dev/null; then
  exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "mermaid@$VERSION" >/dev/null && tar -xzf mermaid-*.tgz)
mkdir -p "$DEST"
cp "$TMP/package/dist/mermaid.min.js" "$DEST/mermaid.min.js"
cp "$TMP/package/LICENSE" "$DEST/MERMAID_LICENSE"
echo "$VERSION" >"$DEST/MERMAID_VERSION"
echo "mermaid $VERSION → $DEST/mermaid.min.js ($(wc -c <"$DEST/mermaid.min.js") bytes)"
