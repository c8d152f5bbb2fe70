//! `srekb new postmortem`: a dated file with the sections a review needs.

use anyhow::{bail, Result};

use crate::config::Language;
use crate::kinds::scaffold::{
    create_new, plain_segment, section_dir, today, toml_list, toml_str, ScaffoldCx,
};

pub(crate) fn postmortem(
    cx: &ScaffoldCx<'_>,
    title: &str,
    slug: Option<String>,
    severity: Option<String>,
    services: Vec<String>,
) -> Result<i32> {
    let config = cx.config;
    let root = cx.root;
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
    let today = today(config);
    if let Some(s) = &slug {
        plain_segment("--slug", s)?;
    }
    let slug = crate::content::slug::path_segment(slug.as_deref().unwrap_or(title));
    let dir = section_dir(config, crate::kinds::postmortem::KIND, "postmortems");
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
