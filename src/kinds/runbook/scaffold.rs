//! `srekb new runbook`: the sections an on-call engineer looks for, per alert.

use anyhow::{bail, Result};

use crate::config::Language;
use crate::kinds::scaffold::{
    create_new, plain_segment, section_dir, today, toml_list, toml_str, ScaffoldCx,
};

pub(crate) fn runbook(
    cx: &ScaffoldCx<'_>,
    title: &str,
    service: Option<String>,
    alerts: Vec<String>,
    slug: Option<String>,
) -> Result<i32> {
    let config = cx.config;
    let root = cx.root;
    for a in &alerts {
        if !crate::kinds::runbook::valid_alert_name(a) {
            bail!("`{a}` is not a valid Prometheus alert name");
        }
    }
    let dir = section_dir(config, crate::kinds::runbook::KIND, "runbooks");
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
        today(config),
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
            crate::kinds::runbook::outputs::alert_segment(a)
        );
    }
    Ok(0)
}
