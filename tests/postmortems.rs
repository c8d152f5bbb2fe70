//! Postmortems: checks with file:line, the English template, the sample site's report
//! and the JSON export.

mod common;

use common::*;
use predicates::prelude::*;

fn check_output(site: &std::path::Path) -> (i32, String) {
    let (code, _, stderr) = run({
        let mut c = srekb(site);
        c.arg("check");
        c
    });
    (code, stderr)
}

#[test]
fn every_mistake_is_reported_with_its_line() {
    let site = fixture("postmortem-mistakes");
    let (code, out) = check_output(site.path());
    assert_eq!(code, 1, "{out}");
    let f = "content/postmortems/bad.md";
    let expect = [
        ("unknown severity `SEV9`", format!("{f}:6:1")),
        (
            "`detected_at` (2025-04-01T09:50:00+09:00) is before `started_at`",
            format!("{f}:9:1"),
        ),
        ("unknown detection source `pager`", format!("{f}:13:1")),
        (
            "related `../runbooks/none.md` is not a page",
            format!("{f}:11:1"),
        ),
        ("missing required section `detection`", format!("{f}:16:1")),
        (
            "section `発生要因` is empty, but the postmortem is reviewed",
            format!("{f}:29:1"),
        ),
        (
            "action item `監視を追加する` has no owner",
            format!("{f}:42:1"),
        ),
        ("action item `手順に注意する` is vague", format!("{f}:41:1")),
        ("`ヒューマンエラー`: blames a person", format!("{f}:19:8")),
        ("`すべきだった`: is a counterfactual", format!("{f}:27:6")),
        (
            "timeline entry `10:10` is earlier than the one before it",
            format!("{f}:53:1"),
        ),
        (
            "timeline entry `2025-04-01 13:00` is after `resolved_at`",
            format!("{f}:54:1"),
        ),
    ];
    for (msg, loc) in expect {
        let found = out
            .split("\n\n")
            .any(|block| block.contains(msg) && block.contains(&loc));
        assert!(found, "expected `{msg}` at {loc} in:\n{out}");
    }
    // Errors and warnings are told apart.
    assert!(out.contains("error[postmortem]: unknown severity"));
    assert!(out.contains("warning[blame-language]"));
    assert!(out.contains("error[action-item]: action item `監視を追加する` has no owner"));
}

#[test]
fn blame_hints_can_be_silenced_inline() {
    let site = fixture("postmortem-mistakes");
    let path = site.path().join("content/postmortems/bad.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("原因は担当者の", "<!-- srekb-ignore -->\n原因は担当者の"),
    )
    .unwrap();
    let (_, out) = check_output(site.path());
    assert!(!out.contains("ヒューマンエラー"), "{out}");
    assert!(out.contains("すべきだった"));
}

#[test]
fn a_draft_is_held_to_fewer_rules() {
    let site = fixture("postmortem-mistakes");
    let path = site.path().join("content/postmortems/bad.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("status = \"reviewed\"", "status = \"draft\""),
    )
    .unwrap();
    let (_, out) = check_output(site.path());
    assert!(!out.contains("is empty, but"), "{out}");
    assert!(
        out.contains("warning[action-item]: action item `監視を追加する` has no owner"),
        "{out}"
    );
    assert!(
        out.contains("warning[postmortem-section]: missing required section `detection`"),
        "{out}"
    );
}

#[test]
fn english_postmortem_with_task_list_and_list_timeline() {
    let site = fixture("postmortem-english");
    srekb(site.path())
        .args(["check", "--strict"])
        .assert()
        .success();
    srekb(site.path()).arg("build").assert().success();
    let p = site.path().join("public");
    let html = read(&p, "postmortems/2025-02-01-dns/index.html");
    assert!(html.contains("<span class=\"sev sev-sev3\">SEV3</span>"));
    assert!(
        html.contains("<dt>Time to detect</dt><dd>6m</dd>"),
        "{html}"
    );
    assert!(html.contains("<ol class=\"timeline\">") || html.contains("CoreDNSErrors"));
    let json: serde_json::Value = serde_json::from_str(&read(&p, "postmortems.json")).unwrap();
    let pm = &json["postmortems"][0];
    assert_eq!(pm["action_items"][1]["owner"], "@ops");
    assert_eq!(pm["action_items"][1]["due"], "2025-03-01");
    assert_eq!(pm["action_items"][0]["status"], "done");
    assert_eq!(pm["timeline"].as_array().unwrap().len(), 5);
    assert_eq!(pm["timeline"][2]["marks"], "detected");
    assert_eq!(pm["detection"]["alert"], "CoreDNSErrors");
}

#[test]
fn sample_report_has_one_bar_per_month_with_incidents() {
    let (_keep, p) = build_sample();
    let json: serde_json::Value = serde_json::from_str(&read(&p, "postmortems.json")).unwrap();
    let pms = json["postmortems"].as_array().unwrap();
    assert!(pms.len() >= 5);
    let months: std::collections::BTreeSet<String> = pms
        .iter()
        .map(|p| p["started_at"].as_str().unwrap()[..7].to_string())
        .collect();
    let report = read(&p, "postmortems/report/index.html");
    let start = report
        .find("<svg class=\"chart chart-bars\"")
        .expect("per-month chart");
    let svg = &report[start..start + report[start..].find("</svg>").unwrap()];
    assert_eq!(
        svg.matches("<g class=\"bar\"").count(),
        months.len(),
        "{months:?}"
    );
    for m in &months {
        assert!(svg.contains(&format!("data-category=\"{m}\"")), "{m}");
    }
    // The other charts and tables are there too.
    for needle in [
        "pm-ttr-t",
        "pm-ttd-t",
        "pm-service-t",
        "pm-detection-t",
        "class=\"heatmap\"",
    ] {
        assert!(report.contains(needle), "{needle}");
    }
}

#[test]
fn postmortems_json_matches_front_matter() {
    let (_keep, p) = build_sample();
    let json: serde_json::Value = serde_json::from_str(&read(&p, "postmortems.json")).unwrap();
    let pm = json["postmortems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == "/postmortems/2026-11-05-checkout-payment-timeouts/")
        .expect("checkout postmortem");
    assert_eq!(pm["severity"], "SEV2");
    assert_eq!(pm["status"], "in-review");
    assert_eq!(
        pm["services"],
        serde_json::json!(["payments-api", "checkout-web"])
    );
    assert_eq!(pm["started_at"], "2026-11-05T19:32:00+09:00");
    assert_eq!(pm["minutes_to_detect"], 4);
    assert_eq!(pm["minutes_to_mitigate"], 33);
    assert_eq!(pm["minutes_to_resolve"], 98);
    assert_eq!(pm["action_items"].as_array().unwrap().len(), 4);
    assert_eq!(pm["open_action_items"], 3);
    assert_eq!(pm["detection"]["source"], "alert");
    assert_eq!(pm["error_budget_consumed"], "52 min");
}

#[test]
fn index_filters_and_action_items_pages() {
    let (_keep, p) = build_sample();
    let sev2 = read(&p, "postmortems/severity/sev2/index.html");
    assert!(sev2.contains("決済 API のタイムアウト多発"));
    assert!(!sev2.contains("検索インデックスの再構築中"));
    let open = read(&p, "postmortems/status/in-review/index.html");
    assert!(open.contains("決済 API のタイムアウト多発"));
    assert!(p.join("postmortems/year/2025/index.html").is_file());
    assert!(p
        .join("postmortems/service/payments-api/index.html")
        .is_file());
    let actions = read(&p, "postmortems/action-items/index.html");
    assert!(actions.contains("@watanabe"));
    assert!(actions.contains("リトライに上限と指数バックオフを入れる"));
    assert!(
        !actions.contains("ステータスページを監視"),
        "done items are not listed"
    );
    assert!(read(&p, "postmortems/atom.xml").contains("<entry"));
}

#[test]
fn new_postmortem_scaffolds_every_section_and_checks() {
    let site = site(&[("site-config.toml", CONFIG), ("content/_index.md", "")]);
    srekb(site.path())
        .args([
            "new",
            "postmortem",
            "決済APIのタイムアウト多発",
            "--severity",
            "sev2",
            "--service",
            "payments-api",
        ])
        .assert()
        .success();
    let dir = site.path().join("content/postmortems");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .ends_with("-決済apiのタイムアウト多発.md"));
    let text = std::fs::read_to_string(&file).unwrap();
    for h in [
        "## サマリ",
        "## 影響",
        "## 根本原因",
        "## 発生要因",
        "## 対応",
        "## 検出",
        "## アクションアイテム",
        "## 教訓",
        "### うまくいったこと",
        "## タイムライン",
        "## 参考情報",
    ] {
        assert!(text.contains(h), "{h}");
    }
    assert!(text.contains("severity = \"SEV2\""));
    assert!(text.contains("| アクション | 種類 | 優先度 | 担当 | 期限 | チケット | 状態 |"));
    // A fresh draft has warnings (window not filled in) but no errors.
    srekb(site.path())
        .arg("check")
        .assert()
        .success()
        .stderr(predicate::str::contains("no `started_at`"));
    srekb(site.path())
        .args(["new", "postmortem", "決済APIのタイムアウト多発"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
}

const PM_WITH_TABLES: &str = "+++
title = \"DNS failures\"
date = 2025-02-03
status = \"draft\"
severity = \"SEV3\"
services = [\"payments-api\"]
started_at = 2025-02-01T08:00:00Z
+++

## Summary

Resolvers failed.

## Action Items

| Action | Type | Owner | Due | Status |
|---|---|---|---|---|
| Alert on CoreDNS OOM kills | detect | @ops | 2025-01-01 | open |
| Pin the cache below 2 &lt; 3 & x < y | prevent | @ops | | in progress |

## Timeline

| Time | Event |
|---|---|
| 2025-02-01 07:58 | ConfigMap change applied |
| 2025-02-01 08:00 | Errors start |
";

/// Issue 16: the action table and timeline are theme templates
/// (`partials/pm-actions.html`, `partials/pm-timeline.html`) translated through
/// i18n: English headers, statuses and timeline badges on an English site, text
/// escaped, and a site's own theme replaces them like any template.
#[test]
fn action_table_and_timeline_come_from_the_theme_in_the_site_language() {
    let dir = site(&[
        ("site-config.toml", "title = \"t\"\nlanguage = \"en\"\n"),
        ("content/postmortems/dns.md", PM_WITH_TABLES),
    ]);
    srekb(dir.path()).arg("build").assert().success();
    let html = read(&dir.path().join("public"), "postmortems/dns/index.html");
    for want in [
        "<table class=\"action-items\">",
        "<th>Action</th><th>Type</th><th>Priority</th><th>Owner</th><th>Due</th>",
        "<span class=\"ai-status ai-status-in-progress\">in progress</span>",
        "<span class=\"badge badge-overdue\">overdue</span>",
        // Dates read in the site's language, the machine-readable date kept.
        "<time datetime=\"2025-01-01\">Jan 1, 2025</time>",
        "Pin the cache below 2 &lt; 3 &amp; x &lt; y",
        "<ol class=\"timeline\">",
        "<li class=\"tl-entry tl-started\">",
        "<span class=\"tl-mark\">Started</span>",
    ] {
        assert!(html.contains(want), "missing {want}:\n{html}");
    }
    assert!(!html.contains("アクション"), "{html}");

    // Japanese site: the same page in Japanese.
    common::write(
        dir.path(),
        "site-config.toml",
        "title = \"t\"\nlanguage = \"ja\"\n",
    );
    srekb(dir.path()).arg("build").assert().success();
    let html = read(&dir.path().join("public"), "postmortems/dns/index.html");
    for want in [
        "<th>アクション</th>",
        ">対応中</span>",
        "<span class=\"tl-mark\">発生</span>",
        "<time datetime=\"2025-01-01\">2025/1/1</time>",
    ] {
        assert!(html.contains(want), "missing {want}:\n{html}");
    }

    // A site theme overrides the partial.
    common::write(
        dir.path(),
        "site-config.toml",
        "title = \"t\"\nlanguage = \"en\"\ntheme = \"mine\"\n",
    );
    common::write(
        dir.path(),
        "themes/mine/templates/partials/pm-timeline.html",
        "<p class=\"my-timeline\">{{ pm.timeline | length }} events</p>",
    );
    srekb(dir.path()).arg("build").assert().success();
    let html = read(&dir.path().join("public"), "postmortems/dns/index.html");
    assert!(
        html.contains("<p class=\"my-timeline\">2 events</p>"),
        "{html}"
    );
    assert!(!html.contains("<ol class=\"timeline\">"), "{html}");
    assert!(html.contains("<table class=\"action-items\">"), "{html}");
}

/// A draft postmortem for `services`, started at `started_at` (or only dated).
fn draft_pm(title: &str, services: &str, when: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\ndate = 2025-06-30\nstatus = \"draft\"\nseverity = \"SEV3\"\nservices = {services}\n{when}\n+++\n\n## Summary\n\nx.\n"
    )
}

/// Issue 19: the report shows the mean time between incidents per service (the mean
/// gap between consecutive starts, falling back to the page date), most frequently
/// failing first; `postmortems.json` carries the same under `services`.
#[test]
fn the_report_shows_the_mean_time_between_incidents_per_service() {
    let a = draft_pm(
        "a",
        "[\"api\", \"db\"]",
        "started_at = 2025-01-01T00:00:00Z",
    );
    let b = draft_pm("b", "[\"api\"]", "started_at = 2025-01-11T12:00:00Z");
    let c = draft_pm(
        "c",
        "[\"api\", \"db\"]",
        "started_at = 2025-01-31T00:00:00Z",
    );
    let d = draft_pm("d", "[\"web\"]", "started_at = 2025-03-01T00:00:00Z");
    // No start time: the page date counts (2025-06-30 00:00 in the site's default
    // offset, +09:00, so 179.6 days after the first db incident at 00:00 UTC).
    let e = draft_pm("e", "[\"db\"]", "");
    let dir = site(&[
        ("site-config.toml", "title = \"t\"\nlanguage = \"en\"\n"),
        ("content/postmortems/a.md", &a),
        ("content/postmortems/b.md", &b),
        ("content/postmortems/c.md", &c),
        ("content/postmortems/d.md", &d),
        ("content/postmortems/e.md", &e),
    ]);
    srekb(dir.path()).arg("build").assert().success();
    let p = dir.path().join("public");
    let json: serde_json::Value = serde_json::from_str(&read(&p, "postmortems.json")).unwrap();
    // api: 30 days over two gaps; db: 179.6 days over two gaps; web: one incident.
    assert_eq!(
        json["services"],
        serde_json::json!([
            { "service": "api", "incidents": 3, "first": "2025-01-01", "last": "2025-01-31", "mtbf_days": 15.0 },
            { "service": "db", "incidents": 3, "first": "2025-01-01", "last": "2025-06-30", "mtbf_days": 89.8 },
            { "service": "web", "incidents": 1, "first": "2025-03-01", "last": "2025-03-01", "mtbf_days": null },
        ])
    );
    let html = read(&p, "postmortems/report/index.html");
    let table = &html[html.find("<table class=\"mtbf\">").expect("MTBF table")..];
    let table = &table[..table.find("</table>").unwrap()];
    let rows: Vec<&str> = table.split("<tr><th scope=\"row\">").skip(1).collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(
        rows[0].starts_with("api</th><td>3</td><td class=\"nowrap\">15 days</td>"),
        "{table}"
    );
    assert!(rows[0].contains(">Jan 1, 2025</time>") && rows[0].contains(">Jan 31, 2025</time>"));
    assert!(
        rows[1].starts_with("db</th><td>3</td><td class=\"nowrap\">90 days</td>"),
        "{table}"
    );
    assert!(
        rows[2].starts_with("web</th><td>1</td><td class=\"nowrap\">—</td>"),
        "{table}"
    );
    assert!(html.contains("<h2 id=\"pm-mtbf-h\">Mean time between incidents per service</h2>"));

    // The Japanese site says it in Japanese.
    common::write(
        dir.path(),
        "site-config.toml",
        "title = \"t\"\nlanguage = \"ja\"\n",
    );
    srekb(dir.path()).arg("build").assert().success();
    let html = read(&p, "postmortems/report/index.html");
    assert!(html.contains("<td class=\"nowrap\">15日</td>"), "{html}");
    assert!(html.contains(">2025/1/31</time>"));
}
