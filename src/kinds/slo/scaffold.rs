//! `srekb new slo "<title>" --service S`: a page with every key present and a word of
//! guidance on each, in the site's language.

use anyhow::{bail, Result};

use super::model::Meta;
use crate::config::Language;
use crate::kinds::scaffold::{create_new, plain_segment, section_dir, ScaffoldCx};

/// Writes the new SLO page under the SLO section and prints its path.
pub(crate) fn create(
    cx: &ScaffoldCx<'_>,
    title: &str,
    service: &str,
    alerts: &[String],
    slug: Option<String>,
) -> Result<i32> {
    for a in alerts {
        if !crate::kinds::runbook::valid_alert_name(a) {
            bail!("`{a}` is not a valid Prometheus alert name");
        }
    }
    if let Some(s) = &slug {
        plain_segment("--slug", s)?;
    }
    let dir = section_dir(cx.config, super::KIND, "slos");
    let slug = crate::content::slug::path_segment(slug.as_deref().unwrap_or(title));
    let file = cx
        .root
        .join("content")
        .join(&dir)
        .join(format!("{slug}.md"));
    let ja = cx.config.language == Language::Ja;
    create_new(&file, &text(title, service, alerts, ja))?;
    println!("Created {}", file.display());
    Ok(0)
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The new file's text. `ja` picks Japanese guidance; `alerts` pre-fills guarding alerts.
pub fn text(title: &str, service: &str, alerts: &[String], ja: bool) -> String {
    let alerts: Vec<String> = alerts.iter().map(|a| toml_str(a)).collect();
    let g = if ja {
        [
            "対象のサービス（ポストモーテムの services と同じ名前）",
            "目標（%）。0 より大きく 100 より小さい値",
            "期間: 28d, 30d, 4w などのローリング期間、または calendar-month",
            "この SLO を守るアラート（各アラートにランブックを用意する）",
            "何を測るか",
            "良いイベントを数えるクエリ",
            "全イベントを数えるクエリ",
            "## エラーバジェットポリシー\n\nバジェットを使い切ったときに何をするか（リリース凍結、信頼性の作業を優先する、など）を書きます。\n\n## 根拠\n\nこの目標値と期間を選んだ理由（利用者の期待、依存先の SLO）を書きます。\n",
            "バジェットを使い切ったら、回復するまで機能リリースを止めて信頼性の作業を優先する。",
        ]
    } else {
        [
            "Service covered (the name postmortems use in `services`)",
            "Objective in percent, strictly between 0 and 100",
            "Window: a rolling 28d, 30d, 4w…, or calendar-month",
            "Alerts that guard this SLO (each should have a runbook)",
            "What is measured",
            "Query counting good events",
            "Query counting all events",
            "## Error budget policy\n\nWhat the team does when the budget is spent (freeze releases, prioritise reliability work…).\n\n## Rationale\n\nWhy this objective and window (user expectations, dependencies' SLOs).\n",
            "When the budget is spent, feature releases stop until it recovers.",
        ]
    };
    let text = format!(
        "+++\ntitle = {}\nkind = \"slo\"\nservice = {}  # {}\nobjective = 99.9  # {}\nwindow = \"28d\"  # {}\nowners = []\nalerts = [{}]  # {}\nerror_budget_policy = {}\n\n[sli]\ndescription = \"\"  # {}\ngood = \"\"  # {}\ntotal = \"\"  # {}\n+++\n\n{}",
        toml_str(title),
        toml_str(service),
        g[0],
        g[1],
        g[2],
        alerts.join(", "),
        g[3],
        toml_str(g[8]),
        g[4],
        g[5],
        g[6],
        g[7],
    );
    debug_assert!(toml_parses(&text));
    text
}

/// The front matter of a scaffold reads as [`Meta`] (used by the tests).
fn toml_parses(text: &str) -> bool {
    let fm = text
        .strip_prefix("+++\n")
        .and_then(|t| t.split_once("\n+++\n"))
        .map(|(fm, _)| fm);
    fm.and_then(|fm| toml::from_str::<toml::Table>(fm).ok())
        .and_then(|t| serde_json::to_value(t).ok())
        .is_some_and(|v| serde_json::from_value::<Meta>(v).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaffold_is_a_valid_slo() {
        for ja in [true, false] {
            let t = text(
                "決済 \"API\" の可用性",
                "payments-api",
                &["CheckoutErrorBudgetBurn".into()],
                ja,
            );
            assert!(toml_parses(&t), "{t}");
            let fm = t.split("+++").nth(1).unwrap();
            let v = serde_json::to_value(toml::from_str::<toml::Table>(fm).unwrap()).unwrap();
            let meta: Meta = serde_json::from_value(v).unwrap();
            let (slo, problems) = super::super::model::resolve("x", meta);
            assert!(problems.iter().all(|p| !p.error), "{problems:?}");
            assert_eq!(slo.alerts, vec!["CheckoutErrorBudgetBurn"]);
            assert_eq!(slo.objective, Some(99.9));
        }
    }
}
