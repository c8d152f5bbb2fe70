//! `srekb new …`: scaffold files from templates with today's date; never overwrite.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::{Language, SiteConfig};
use crate::diagnostics::Diagnostics;

/// Loads the site's config, or explains how to get one.
pub fn config_for(root: &Path) -> Result<SiteConfig> {
    let diags = Diagnostics::default();
    match crate::site::load_config(root, &diags) {
        Some(c) => Ok(c),
        None => {
            let ds = diags.into_sorted();
            super::eprint_diagnostics(&ds);
            bail!("cannot scaffold without a valid site-config.toml")
        }
    }
}

pub fn today(config: &SiteConfig) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&config.offset())
        .date_naive()
}

/// Quotes a string for TOML.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Creates `path` with `text`, failing if it already exists.
pub fn create_new(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut f = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} already exists; not overwriting it", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    };
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Refuses a command-line value that becomes one path segment (a team, a slug) unless
/// it is a plain name: no separators, no `..`, nothing hidden, nothing absolute.
pub fn plain_segment(what: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && !value.starts_with('.')
        && !value.contains(['/', '\\', '\0'])
        && !value.chars().any(char::is_control)
        && crate::content::slug::path_segment(value) == value.to_lowercase();
    if !ok {
        bail!(
            "{what} `{value}` is not a plain name (use letters, digits and `-`; it becomes \
             a path inside content/)"
        );
    }
    Ok(())
}

/// Resolves a path given on the command line to a file under content/.
pub fn content_path(root: &Path, given: &str) -> Result<PathBuf> {
    let given = given.trim_start_matches("content/").trim_start_matches('/');
    if given.is_empty() || given.split('/').any(|s| s == "..") {
        bail!("`{given}` is not a path inside content/");
    }
    let mut p = root.join("content").join(given);
    if p.extension().is_none_or(|e| e != "md") {
        let mut s = p.into_os_string();
        s.push(".md");
        p = PathBuf::from(s);
    }
    Ok(p)
}

pub fn page(root: &Path, path: &str, title: Option<String>) -> Result<i32> {
    let config = config_for(root)?;
    let file = content_path(root, path)?;
    let title = title.unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
            .unwrap_or_default()
    });
    let (desc_hint, body) = match config.language {
        Language::Ja => (
            "一行の説明（一覧と検索結果に表示されます）",
            "## 概要\n\nこのページで伝えたいことを書きます。\n",
        ),
        Language::En => (
            "One-line description (shown in lists and search results)",
            "## Overview\n\nWhat this page is about.\n",
        ),
    };
    let text = format!(
        "+++\ntitle = {}\ndate = {}\ndescription = \"\"  # {desc_hint}\ntags = []\n+++\n\n{body}",
        toml_str(&title),
        today(&config)
    );
    create_new(&file, &text)?;
    println!("Created {}", file.display());
    Ok(0)
}

/// The directory of the first section mapped to `kind` (e.g. `postmortems`).
fn section_dir(config: &SiteConfig, kind: crate::content::Kind, default: &str) -> String {
    crate::kinds::section_of(config, kind).unwrap_or_else(|| default.to_string())
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}

pub fn postmortem(
    root: &Path,
    title: &str,
    slug: Option<String>,
    severity: Option<String>,
    services: Vec<String>,
) -> Result<i32> {
    let config = config_for(root)?;
    let sevs = &config.postmortem.severities;
    let severity = match severity {
        Some(s) => match sevs.iter().find(|x| x.eq_ignore_ascii_case(&s)) {
            Some(x) => x.clone(),
            None => bail!("unknown severity `{s}`; use one of {}", sevs.join(", ")),
        },
        None => sevs
            .get(sevs.len().saturating_sub(2))
            .cloned()
            .unwrap_or_default(),
    };
    let today = today(&config);
    if let Some(s) = &slug {
        plain_segment("--slug", s)?;
    }
    let slug = crate::content::slug::path_segment(slug.as_deref().unwrap_or(title));
    let dir = section_dir(&config, crate::kinds::postmortem::KIND, "postmortems");
    let file = root
        .join("content")
        .join(&dir)
        .join(format!("{today}-{slug}.md"));
    let offset = config.timezone.clone();
    let ja = config.language == Language::Ja;
    let h = |ja_text: &'static str, en_text: &'static str| if ja { ja_text } else { en_text };
    let mut text = format!(
        "+++\ntitle = {}\ndate = {today}\nauthors = []          # {}\nstatus = \"draft\"      # draft → in-review → reviewed → closed\nseverity = {}      # {}\nservices = {}\ntags = []\n\n# {}\n# started_at = {today}T00:00:00{offset}\n# detected_at = {today}T00:00:00{offset}\n# mitigated_at = {today}T00:00:00{offset}\n# resolved_at = {today}T00:00:00{offset}\n# reviewed_at = {today}T00:00:00{offset}\n\n# {}\n# [detection]\n# source = \"alert\"\n# alert = \"AlertName\"\n+++\n\n",
        toml_str(title),
        h("書いた人（例: \"@tanaka\"）", "who wrote it (e.g. \"@tanaka\")"),
        toml_str(&severity),
        sevs.join(" / "),
        toml_list(&services),
        h("インシデントの期間（RFC 3339）。影響の開始、検知、緩和、解決、レビュー完了", "The incident window (RFC 3339): impact start, detection, mitigation, resolution, review"),
        h("どう気づいたか: alert（アラート名も）/ user-report / internal", "How it was noticed: alert (with the alert name) / user-report / internal"),
    );
    let sections: &[(&str, &str, &str, &str)] = &[
        (
            "サマリ",
            "Summary",
            "何が起きたかを 2〜3 行で。",
            "What happened, in two or three lines.",
        ),
        (
            "影響",
            "Impact",
            "誰に、どれだけ、どのくらいの時間。数字で。",
            "Who was affected, how much, for how long. Use numbers.",
        ),
        (
            "根本原因",
            "Root Causes",
            "なぜ起きたのか。人ではなく仕組みの視点で。",
            "Why it happened, in terms of systems, not people.",
        ),
        (
            "発生要因",
            "Trigger",
            "何が引き金になったか（デプロイ、設定変更、外部要因…）。",
            "What set it off (a deploy, a config change, an external event…).",
        ),
        (
            "対応",
            "Resolution",
            "どう止血し、どう復旧したか。",
            "How it was mitigated and resolved.",
        ),
        (
            "検出",
            "Detection",
            "どう気づいたか。アラートは鳴ったか、鳴るべきだったか。",
            "How it was noticed; did an alert fire?",
        ),
    ];
    for (ja_h, en_h, ja_hint, en_hint) in sections {
        text.push_str(&format!(
            "## {}\n\n<!-- {} -->\n\n",
            h(ja_h, en_h),
            h(ja_hint, en_hint)
        ));
    }
    text.push_str(&format!(
        "## {}\n\n<!-- {} -->\n\n| {} | {} | {} | {} | {} | {} | {} |\n|---|---|---|---|---|---|---|\n|  |  |  |  |  |  |  |\n\n",
        h("アクションアイテム", "Action Items"),
        h("種類は prevent / mitigate / detect / process。担当者は必須。「注意する」のような確認できない対策は避ける。", "Type is prevent / mitigate / detect / process. Every item needs an owner; avoid items nobody can verify, like \"be more careful\"."),
        h("アクション", "Action"), h("種類", "Type"), h("優先度", "Priority"), h("担当", "Owner"), h("期限", "Due"), h("チケット", "Ticket"), h("状態", "Status"),
    ));
    text.push_str(&format!(
        "## {}\n\n### {}\n\n<!-- {} -->\n\n### {}\n\n<!-- {} -->\n\n### {}\n\n<!-- {} -->\n\n",
        h("教訓", "Lessons Learned"),
        h("うまくいったこと", "What went well"),
        h("次も続けたいこと。", "What to keep doing."),
        h("うまくいかなかったこと", "What went wrong"),
        h(
            "つまずいた点。誰かを責める書き方はしない。",
            "Where we stumbled, without blaming anyone."
        ),
        h("幸運だったこと", "Where we got lucky"),
        h(
            "運に助けられた点は、次は運に頼らないための宿題。",
            "Luck we should not count on next time."
        ),
    ));
    text.push_str(&format!(
        "## {}\n\n<!-- {} -->\n\n| {} | {} |\n|---|---|\n|  |  |\n\n## {}\n\n<!-- {} -->\n",
        h("タイムライン", "Timeline"),
        h(
            "時刻は HH:MM（日付は started_at の日）か YYYY-MM-DD HH:MM。古い順に。",
            "Times as HH:MM (on the started_at date) or YYYY-MM-DD HH:MM, oldest first."
        ),
        h("時刻", "Time"),
        h("出来事", "Event"),
        h("参考情報", "Supporting information"),
        h(
            "ダッシュボード、ログ、関連チケットへのリンク。",
            "Links to dashboards, logs and tickets."
        ),
    ));
    create_new(&file, &text)?;
    println!("Created {}", file.display());
    Ok(0)
}

pub fn assessment(root: &Path, team: &str, date: Option<String>) -> Result<i32> {
    plain_segment("--team", team)?;
    let config = config_for(root)?;
    let dir = section_dir(&config, crate::kinds::assessment::KIND, "maturity");
    let model_path = root.join("content").join(&dir).join("model.toml");
    let text = std::fs::read_to_string(&model_path)
        .with_context(|| format!("reading the maturity model {}", model_path.display()))?;
    let model = match crate::kinds::assessment::model::Model::parse(&text, &model_path) {
        Ok(m) => m,
        Err(ds) => {
            super::eprint_diagnostics(&ds);
            bail!("the maturity model has errors");
        }
    };
    if !model.teams.is_empty() && model.team(team).is_none() {
        let ids: Vec<&str> = model.teams.iter().map(|t| t.id.as_str()).collect();
        bail!(
            "unknown team `{team}`; teams in model.toml: {}",
            ids.join(", ")
        );
    }
    let date = match date {
        Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .with_context(|| format!("`{d}` is not YYYY-MM-DD"))?,
        None => today(&config),
    };
    let team_dir = root.join("content").join(&dir).join(team);
    // The latest earlier assessment's levels, to start from.
    let mut previous: Option<(String, toml::Table)> = None;
    if let Ok(entries) = std::fs::read_dir(&team_dir) {
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                n.ends_with(".md") && n.len() == 13 && n.as_str() < format!("{date}.md").as_str()
            })
            .collect();
        names.sort();
        if let Some(last) = names.last() {
            let text = std::fs::read_to_string(team_dir.join(last)).unwrap_or_default();
            if let Ok(split) = crate::content::frontmatter::split(&text) {
                if let Ok(t) = split.raw.parse::<toml::Table>() {
                    previous = Some((last.trim_end_matches(".md").to_string(), t));
                }
            }
        }
    }
    let prev_levels = previous
        .as_ref()
        .and_then(|(_, t)| t.get("levels"))
        .and_then(|v| v.as_table());
    let ja = config.language == Language::Ja;
    let mut out = format!(
        "+++\nteam = {}\ndate = {date}\nassessors = []\n\n[levels]\n",
        toml_str(team)
    );
    if let Some((d, _)) = &previous {
        out.push_str(&format!(
            "# {} {d}\n",
            if ja {
                "前回の評価から引き継いだレベル:"
            } else {
                "levels carried over from"
            }
        ));
    }
    for area in model.assessed() {
        out.push_str(&format!("# {} ({})\n", area.name, area.id));
        for (i, c) in area.levels.iter().enumerate() {
            out.push_str(&format!("#   {}: {c}\n", i + 1));
        }
        let level = prev_levels
            .and_then(|t| t.get(&area.id))
            .and_then(|v| v.as_integer())
            .unwrap_or(1);
        out.push_str(&format!("{} = {level}\n", area.id));
    }
    out.push_str(&format!(
        "\n# {}\n# {}\n[delegation]\n\n# {}\n[evidence]\n+++\n\n{}\n",
        if ja {
            "いまの委譲レベル（任意）:"
        } else {
            "current delegation level (optional):"
        },
        model.delegation.join(" / "),
        if ja {
            "レベルの根拠（任意）: 領域 = \"ダッシュボードやドキュメントへのリンク\""
        } else {
            "evidence (optional): area = \"link to a dashboard or document\""
        },
        if ja { "評価のメモ。" } else { "Notes." }
    ));
    let file = team_dir.join(format!("{date}.md"));
    create_new(&file, &out)?;
    println!("Created {}", file.display());
    Ok(0)
}

pub fn runbook(
    root: &Path,
    title: &str,
    service: Option<String>,
    alerts: Vec<String>,
    slug: Option<String>,
) -> Result<i32> {
    let config = config_for(root)?;
    for a in &alerts {
        if !crate::kinds::runbook::valid_alert_name(a) {
            bail!("`{a}` is not a valid Prometheus alert name");
        }
    }
    let dir = section_dir(&config, crate::kinds::runbook::KIND, "runbooks");
    let default_slug = alerts
        .first()
        .map(|a| a.to_string())
        .unwrap_or_else(|| title.to_string());
    if let Some(s) = &slug {
        plain_segment("--slug", s)?;
    }
    let slug = crate::content::slug::path_segment(slug.as_deref().unwrap_or(&default_slug));
    let file = root.join("content").join(&dir).join(format!("{slug}.md"));
    let ja = config.language == Language::Ja;
    let h = |j: &'static str, e: &'static str| if ja { j } else { e };
    let mut text = format!(
        "+++\ntitle = {}\nservice = {}\nalerts = {}\nseverity = \"\"        # {}\nowner = \"\"           # {}\nlast_reviewed = {}\n# review_every = {}  # {}\ntags = []\n+++\n\n",
        toml_str(title),
        toml_str(service.as_deref().unwrap_or("")),
        toml_list(&alerts),
        config.postmortem.severities.join(" / "),
        h("このランブックを保守するチーム", "team that keeps this runbook current"),
        today(&config),
        config.runbook.review_every,
        h("見直しの間隔（日）", "days between reviews"),
    );
    let marker = if ja { "記入:" } else { "fill in:" };
    let sections: &[(&str, &str, &str, &str)] = &[
        (
            "意味",
            "Meaning",
            "このアラートが何を意味するか。どの SLI のどのしきい値か。",
            "what this alert means: which SLI crossed which threshold.",
        ),
        (
            "影響",
            "Impact",
            "利用者と事業にどんな影響があるか。放置するとどうなるか。",
            "the impact on users and the business, and what happens if it is ignored.",
        ),
        (
            "調査",
            "Diagnosis",
            "最初に見るダッシュボードとコマンド。原因の切り分け方。",
            "the dashboards and commands to look at first, and how to narrow the cause.",
        ),
        (
            "対応",
            "Mitigation",
            "影響を止める手順。コピーしてそのまま使えるコマンドで。",
            "steps that stop the impact, as commands that can be copied as they are.",
        ),
        (
            "エスカレーション",
            "Escalation",
            "誰に、いつ、どうやって連絡するか。",
            "who to call, when, and how.",
        ),
    ];
    for (jh, eh, jt, et) in sections {
        text.push_str(&format!("## {}\n\n{marker} {}\n\n", h(jh, eh), h(jt, et)));
        if *eh == "Diagnosis" {
            text.push_str("```bash\nkubectl -n <namespace> get pods\n```\n\n");
        }
    }
    create_new(&file, &text)?;
    println!("Created {}", file.display());
    for a in &alerts {
        println!(
            "  runbook_url for {a}: {}/{dir}/alerts/{}/",
            config.base_url,
            crate::site::runbooks::alert_segment(a)
        );
    }
    Ok(0)
}

/// `srekb new slo`: the text comes from the SLO kind's scaffold.
pub fn slo(
    root: &Path,
    title: &str,
    service: &str,
    alerts: &[String],
    slug: Option<String>,
) -> Result<i32> {
    let config = config_for(root)?;
    for a in alerts {
        if !crate::kinds::runbook::valid_alert_name(a) {
            bail!("`{a}` is not a valid Prometheus alert name");
        }
    }
    if let Some(s) = &slug {
        plain_segment("--slug", s)?;
    }
    let dir = section_dir(&config, crate::kinds::slo::KIND, "slos");
    let slug = crate::content::slug::path_segment(slug.as_deref().unwrap_or(title));
    let file = root.join("content").join(&dir).join(format!("{slug}.md"));
    let ja = config.language == Language::Ja;
    create_new(
        &file,
        &crate::kinds::slo::scaffold::text(title, service, alerts, ja),
    )?;
    println!("Created {}", file.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_paths() {
        let r = Path::new("/kb");
        assert_eq!(
            content_path(r, "docs/foo").unwrap(),
            Path::new("/kb/content/docs/foo.md")
        );
        assert_eq!(
            content_path(r, "content/docs/foo.md").unwrap(),
            Path::new("/kb/content/docs/foo.md")
        );
        assert!(content_path(r, "../etc/passwd").is_err());
    }

    #[test]
    fn path_arguments_must_be_plain_names() {
        for bad in [
            "../../../x",
            "/abs",
            "a/b",
            "..",
            ".hidden",
            "",
            "a\\b",
            "x\u{1b}[2J",
        ] {
            assert!(plain_segment("--team", bad).is_err(), "{bad:?}");
        }
        for good in ["sre", "platform-team", "チームa", "db2"] {
            assert!(plain_segment("--team", good).is_ok(), "{good:?}");
        }
    }
}
