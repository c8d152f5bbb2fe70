#!/usr/bin/env bash
# Bounded work on hostile YAML: times `srekb check` on
#   1. a page whose YAML front matter nests 100,000 levels (200 KB): must fail < 1 s
#      with a clear error;
#   2. 10,000 alerting rules (PrometheusRule resources, two documents, templated
#      runbook_url) against 100 runbooks: must finish < 2 s.
#
#   benches/yaml.sh                       # release binary (built if needed)
#   BIN=target/debug/srekb benches/yaml.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/srekb-bench-yaml}
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release --quiet)
  BIN="$ROOT/target/release/srekb"
fi
command -v python3 >/dev/null || { echo "needs python3 (to generate the inputs)"; exit 1; }
rm -rf "$WORK"; mkdir -p "$WORK/deep/content" "$WORK/rules/content/runbooks" "$WORK/rules/alerts"

# 1. 100k-deep front matter, in flow style and as a block sequence (`- - - …`).
python3 - "$WORK/deep/content" <<'EOF'
import sys
d = sys.argv[1]
open(f"{d}/flow.md", "w").write("---\nx: " + "[" * 100000 + "]" * 100000 + "\n---\nbody\n")
open(f"{d}/block.md", "w").write("---\nx:\n  " + "- " * 100000 + "y\n---\nbody\n")
EOF
printf 'title = "deep"\n' > "$WORK/deep/site-config.toml"

# 2. 10,000 rules in two PrometheusRule documents; 100 runbooks with 100 alerts each.
python3 - "$WORK/rules" <<'EOF'
import sys
root = sys.argv[1]
n, per = 10000, 100
docs = []
for half in range(2):
    out = ["apiVersion: monitoring.coreos.com/v1", "kind: PrometheusRule",
           f"metadata:\n  name: r{half}", "spec:", "  groups:"]
    for g in range(half * n // 2 // per, (half + 1) * n // 2 // per):
        out.append(f"  - name: g{g}\n    rules:")
        for i in range(g * per, (g + 1) * per):
            out.append(f"    - alert: Alert{i}\n      expr: up{{job=\"j{i}\"}} == 0\n"
                       f"      labels:\n        severity: {'critical' if i % 3 else 'warning'}\n"
                       f"      annotations:\n        runbook_url: https://kb.example/runbooks/alerts/{{{{ $labels.alertname }}}}/")
    docs.append("\n".join(out))
open(f"{root}/alerts/rules.yaml", "w").write("\n---\n".join(docs) + "\n")
for r in range(n // per):
    alerts = ", ".join(f'"Alert{i}"' for i in range(r * per, (r + 1) * per))
    open(f"{root}/content/runbooks/rb{r}.md", "w").write(
        f'+++\ntitle = "RB {r}"\nservice = "s{r}"\nalerts = [{alerts}]\nowner = "t"\n'
        f'last_reviewed = 2026-11-01\n+++\n\n## 意味\n\nx\n')
EOF
printf 'title = "rules"\nbase_url = "https://kb.example"\n' > "$WORK/rules/site-config.toml"

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$WORK/stderr" || true; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN {printf "%.2f s", e - s}'; }
echo "== $("$BIN" --version), $(nproc) cores"
echo "  100k-deep YAML front matter (2 pages, 200 KB each): $(t "$BIN" check --root "$WORK/deep")"
grep -m2 "nested more than" "$WORK/stderr" | sed 's/^/    /'
echo "  10,000 alert rules vs 100 runbooks:                 $(t "$BIN" check --root "$WORK/rules" --alert-rules "$WORK/rules/alerts/rules.yaml")"
tail -1 "$WORK/stderr" | sed 's/^/    /'
