//! `srekb dev gen-corpus`: a deterministic knowledge base of N realistic pages for
//! benchmarks — mixed Japanese/English prose, headings, tables, code blocks, tags and
//! internal links, spread over every section. The front matter is also valid for Hugo
//! so both tools can build the same markdown.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// xorshift64*: tiny, deterministic, good enough to vary text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const JA: &[&str] = &[
    "障害対応の手順を見直した結果、復旧までの時間が短くなった。",
    "監視のアラートが鳴ったら、まずランブックを開いて影響範囲を確認する。",
    "エラーバジェットを使い切りそうなときは、機能開発より信頼性の改善を優先する。",
    "ポストモーテムは誰かを責めるためではなく、仕組みを良くするために書く。",
    "トイルを計測し、繰り返し発生する手作業から順に自動化していく。",
    "データベースのレプリケーション遅延がしきい値を超えると、読み取りが古くなる。",
    "カナリアリリースで一部の利用者にだけ新しい版を届け、問題があればすぐ戻す。",
    "キャパシティプランニングでは、過去のトラフィックと事業の見通しから必要な資源を見積もる。",
    "オンコールの負荷が偏らないよう、ローテーションと引き継ぎの手順を整える。",
    "サービスレベル目標は、利用者の体験に直結する指標から選ぶ。",
];
const EN: &[&str] = &[
    "The rollout was paused when the error rate crossed the SLO burn threshold.",
    "Kubernetes evicted pods under memory pressure, and the readiness probe hid the cause.",
    "We added a Prometheus alert on replication lag with a link to this runbook.",
    "Terraform drift was detected in the staging VPC and reconciled by the pipeline.",
    "Latency p99 doubled after the cache TTL change; p50 did not move.",
    "The on-call engineer escalated to the database team after fifteen minutes.",
];
const HEADINGS: &[&str] = &[
    "概要",
    "影響",
    "根本原因",
    "対応",
    "検出",
    "調査手順",
    "復旧手順",
    "Background",
    "Mitigation",
    "エスカレーション",
    "教訓",
    "参考情報",
];
const TAGS: &[&str] = &[
    "SRE",
    "Kubernetes",
    "PostgreSQL",
    "監視",
    "インシデント対応",
    "SLO",
    "トイル",
    "Terraform",
    "オブザーバビリティ",
    "コスト管理",
    "セキュリティ",
    "CI/CD",
];
const SERVICES: &[&str] = &[
    "payments",
    "checkout",
    "search",
    "auth",
    "notifications",
    "catalog",
];
const CODE: &[(&str, &str)] = &[
    ("bash", "kubectl -n payments get pods -o wide\nkubectl -n payments logs deploy/api --since=15m | grep -i error\n"),
    ("sql", "SELECT client_addr, state, replay_lag\nFROM pg_stat_replication\nORDER BY replay_lag DESC;\n"),
    ("yaml", "groups:\n  - name: payments\n    rules:\n      - alert: PaymentsHighErrorRate\n        expr: rate(http_requests_total{code=~\"5..\"}[5m]) > 0.01\n        for: 5m\n"),
    ("go", "func retry(ctx context.Context, n int, f func() error) error {\n\tvar err error\n\tfor i := 0; i < n; i++ {\n\t\tif err = f(); err == nil {\n\t\t\treturn nil\n\t\t}\n\t}\n\treturn err\n}\n"),
    ("python", "import time\n\ndef wait_for(check, timeout=60):\n    deadline = time.time() + timeout\n    while time.time() < deadline:\n        if check():\n            return True\n        time.sleep(1)\n    return False\n"),
];
const SECTIONS: &[(&str, &str)] = &[
    ("postmortems", "ポストモーテム"),
    ("runbooks", "ランブック"),
    ("docs", "ドキュメント"),
    ("careers", "キャリアガイド"),
    ("notes", "ノート"),
];

fn paragraph(rng: &mut Rng) -> String {
    let n = 2 + rng.below(4);
    let mut s = String::new();
    for _ in 0..n {
        if rng.below(4) == 0 {
            s.push_str(rng.pick(EN));
            s.push(' ');
        } else {
            s.push_str(rng.pick(JA));
        }
    }
    s
}

/// Writes `pages` markdown files under `out/content` plus a `site-config.toml`.
pub fn generate(out: &Path, pages: usize, seed: u64) -> Result<()> {
    let mut rng = Rng(seed.max(1));
    let content = out.join("content");
    fs::create_dir_all(&content).with_context(|| format!("creating {}", content.display()))?;
    fs::write(
        out.join("site-config.toml"),
        "title = \"Generated KB\"\nbase_url = \"https://kb.example\"\nlanguage = \"ja\"\n",
    )?;
    fs::write(
        content.join("_index.md"),
        "+++\ntitle = \"Generated KB\"\n+++\n\nベンチマーク用に生成したサイト。\n",
    )?;
    for (dir, title) in SECTIONS {
        fs::create_dir_all(content.join(dir))?;
        fs::write(
            content.join(dir).join("_index.md"),
            format!("+++\ntitle = \"{title}\"\n+++\n"),
        )?;
    }
    let name = |i: usize| -> (&'static str, String) {
        let (dir, _) = SECTIONS[i % SECTIONS.len()];
        (dir, format!("page-{i:05}"))
    };
    for i in 0..pages {
        let (dir, slug) = name(i);
        let mut body = String::with_capacity(4096);
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let tags: Vec<String> = (0..1 + rng.below(3))
            .map(|_| format!("\"{}\"", rng.pick(TAGS)))
            .collect();
        let service = rng.pick(SERVICES);
        let _ = write!(
            body,
            "+++\ntitle = \"{} {i}: {}\"\ndate = 2025-{month:02}-{day:02}\ntags = [{}]\nservices = [\"{service}\"]\ndescription = \"{}\"\n",
            rng.pick(HEADINGS),
            rng.pick(&["決済APIのタイムアウト", "Replication lag", "証明書の期限切れ", "ディスク逼迫", "DNS resolution failure", "キャッシュの雪崩"]),
            tags.join(", "),
            rng.pick(JA).trim_end_matches('。'),
        );
        match dir {
            "postmortems" => {
                let sev = 1 + rng.below(4);
                let h = 9 + rng.below(10);
                let _ = write!(
                    body,
                    "authors = [\"@oncall\"]\nstatus = \"reviewed\"\nseverity = \"SEV{sev}\"\nstarted_at = 2025-{month:02}-{day:02}T{h:02}:00:00+09:00\ndetected_at = 2025-{month:02}-{day:02}T{h:02}:{:02}:00+09:00\nmitigated_at = 2025-{month:02}-{day:02}T{:02}:10:00+09:00\nresolved_at = 2025-{month:02}-{day:02}T{:02}:40:00+09:00\n[detection]\nsource = \"{}\"\n+++\n\n",
                    2 + rng.below(40),
                    h + 1,
                    h + 2,
                    rng.pick(&["alert", "alert", "user-report", "internal"]),
                );
                for (heading, text) in [
                    ("サマリ", rng.pick(JA)),
                    ("影響", rng.pick(JA)),
                    ("根本原因", rng.pick(JA)),
                    ("発生要因", rng.pick(EN)),
                    ("対応", rng.pick(JA)),
                    ("検出", rng.pick(JA)),
                ] {
                    let _ = writeln!(body, "## {heading}\n\n{text}\n");
                }
                body.push_str("## アクションアイテム\n\n| アクション | 種類 | 担当 | 状態 |\n|---|---|---|---|\n| 監視を追加する | detect | @sre | done |\n| 手順を自動化する | prevent | @dev | open |\n\n## 教訓\n\n### うまくいったこと\n\nアラートが鳴った。\n\n");
                let _ = writeln!(body, "## タイムライン\n\n| 時刻 | 出来事 |\n|---|---|\n| {h:02}:00 | 発生 |\n| {:02}:10 | 緩和 |\n| {:02}:40 | 解決 |\n", h + 1, h + 2);
            }
            "runbooks" => {
                let _ = write!(body, "service = \"{service}\"\nalerts = [\"GeneratedAlert{i}\"]\nowner = \"sre\"\nlast_reviewed = 2026-10-01\n+++\n\n");
            }
            _ => body.push_str("+++\n\n"),
        }
        for h in 0..3 + rng.below(3) {
            let _ = writeln!(body, "## {} {h}\n", rng.pick(HEADINGS));
            for _ in 0..1 + rng.below(3) {
                let _ = writeln!(body, "{}\n", paragraph(&mut rng));
            }
            match rng.below(4) {
                0 => {
                    let (lang, code) = CODE[rng.below(CODE.len())];
                    let _ = writeln!(body, "```{lang}\n{code}```\n");
                }
                1 => {
                    body.push_str("| 時刻 | 出来事 | 担当 |\n|---|---|---|\n");
                    for r in 0..3 + rng.below(4) {
                        let _ =
                            writeln!(body, "| 10:{:02} | {} | @oncall-{r} |", r * 7, rng.pick(JA));
                    }
                    body.push('\n');
                }
                2 if i > 0 => {
                    let (tdir, tslug) = name(rng.below(i));
                    let _ = writeln!(body, "関連: [以前の記録](../{tdir}/{tslug}.md) も参照。\n");
                }
                _ => {
                    body.push_str("- [ ] 監視を追加する\n- [x] ランブックを更新する\n- [ ] 負荷試験を行う\n\n");
                }
            }
        }
        fs::write(content.join(dir).join(format!("{slug}.md")), body)?;
    }
    Ok(())
}

pub fn run(out: &Path, pages: usize, seed: u64) -> Result<i32> {
    generate(out, pages, seed)?;
    println!("Generated {pages} pages in {}", out.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        generate(a.path(), 20, 7).unwrap();
        generate(b.path(), 20, 7).unwrap();
        let f = "content/docs/page-00012.md";
        assert_eq!(
            fs::read_to_string(a.path().join(f)).unwrap(),
            fs::read_to_string(b.path().join(f)).unwrap()
        );
    }
}
