//! Maturity model, self-assessments and scorecards.

mod common;

use common::*;
use predicates::prelude::*;

/// Vertex counts of the radar's series polygons.
fn radar_vertices(html: &str) -> Vec<usize> {
    let start = html
        .find("<svg class=\"chart chart-radar\"")
        .expect("radar");
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    svg.match_indices("<polygon class=\"series ")
        .map(|(i, _)| {
            let rest = &svg[i..];
            let pts = rest
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            pts.split_whitespace().count()
        })
        .collect()
}

#[test]
fn scorecard_radar_has_one_vertex_per_assessed_area() {
    let (_k, p) = build_sample();
    let html = read(&p, "maturity/payments/index.html");
    let v = radar_vertices(&html);
    assert_eq!(v, [9, 9, 9], "target, previous and current over nine areas");
    // Area rows: current criterion, next level, change, delegation now → target.
    assert!(html.contains("<tr id=\"area-monitoring\">"));
    assert!(html.contains("ベストプラクティスに沿った監視項目と通知が設定されている"));
    assert!(html.contains("change-up"));
    assert!(html.contains("同意する → 尋ねる"));
    // Gaps sorted by target − current: cost (target 2 for this team) then the rest.
    let gaps = &html[html.find("id=\"gaps-h\"").unwrap()..];
    assert!(gaps.find("コスト管理").unwrap() < gaps.find("</ol>").unwrap());
    // History of the team's assessments, newest first.
    // (Dates read in the site's language; the machine-readable date stays.)
    assert!(
        html.find("<time datetime=\"2026-06-15\">2026/6/15</time></a>")
            .unwrap()
            < html
                .find("<time datetime=\"2025-12-08\">2025/12/8</time></a>")
                .unwrap()
    );
    // Evidence from the site next to the rating.
    assert!(
        html.contains("ポストモーテム 2 件"),
        "site evidence for the postmortem area"
    );
}

#[test]
fn organisation_page_has_the_heatmap_and_stale_teams() {
    let (_k, p) = build_sample();
    let html = read(&p, "maturity/index.html");
    let start = html
        .find("<table class=\"heatmap maturity-heatmap\">")
        .unwrap();
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    assert_eq!(body.matches("<tr>").count(), 3, "three teams");
    assert_eq!(
        body.matches("class=\"lvl lvl-").count(),
        27,
        "teams × areas cells"
    );
    assert!(html.contains("chart-lines"), "trend chart");
    let stale = &html[html.find("id=\"stale-h\"").unwrap()..];
    let stale = &stale[..stale.find("</section>").unwrap()];
    assert!(
        stale.contains("検索チーム") && stale.contains("モバイルチーム"),
        "{stale}"
    );
    assert!(!stale.contains("決済チーム"));
    // The delegation targets include the areas that are not assessed.
    assert!(html.contains("インフラ設計") && html.contains("同意する"));
    assert!(html.contains("ログの管理"));
}

#[test]
fn a_five_level_model_with_other_areas_builds() {
    let site = fixture("maturity-five");
    srekb(site.path())
        .args(["check", "--strict"])
        .assert()
        .success();
    srekb(site.path()).arg("build").assert().success();
    let html = read(&site.path().join("public"), "maturity/sre/index.html");
    assert_eq!(radar_vertices(&html), [3, 3, 3]);
    assert!(html.contains("auto-remediation"), "level 5 criterion");
    assert!(html.contains(">5</text>"), "five rings");
    let self_page = read(
        &site.path().join("public"),
        "maturity/self-assessment/index.html",
    );
    assert_eq!(self_page.matches("name=\"level-chaos\"").count(), 5);
}

#[test]
fn assessment_mistakes_are_errors_with_lines() {
    let site = fixture("maturity-five");
    write(
        site.path(),
        "content/maturity/sre/2025-09-01.md",
        "+++\nteam = \"sre\"\ndate = 2025-07-01\n[levels]\nobservability = 6\nchaos = 2\nlatency = 1\ncapacity = 3\n[delegation]\nchaos = \"shout\"\n+++\n",
    );
    write(
        site.path(),
        "content/maturity/ops/2025-01-01.md",
        "+++\ndate = 2025-01-01\n[levels]\nchaos = 1\nobservability = 1\ncapacity = 1\n+++\n",
    );
    let (code, _, err) = run({
        let mut c = srekb(site.path());
        c.arg("check");
        c
    });
    assert_eq!(code, 1);
    let f = "content/maturity/sre/2025-09-01.md";
    for (msg, loc) in [
        (
            "level of `observability` is 6, outside the model's levels 1..=5",
            format!("{f}:5:1"),
        ),
        ("unknown area `latency`", format!("{f}:7:1")),
        (
            "delegation `shout` is not in the model's scale",
            format!("{f}:10:1"),
        ),
        (
            "team `sre` already has an assessment dated 2025-07-01",
            format!("{f}:3:1"),
        ),
        (
            "unknown team `ops`",
            "content/maturity/ops/2025-01-01.md".to_string(),
        ),
    ] {
        assert!(
            err.split("\n\n")
                .any(|b| b.contains(msg) && b.contains(&loc)),
            "{msg} at {loc}\n{err}"
        );
    }
}

#[test]
fn new_assessment_starts_from_the_previous_levels() {
    let site = fixture("maturity-five");
    srekb(site.path())
        .args(["new", "assessment", "--team", "sre", "--date", "2026-01-01"])
        .assert()
        .success();
    let text = read(site.path(), "content/maturity/sre/2026-01-01.md");
    assert!(
        text.contains("observability = 5\n") && text.contains("chaos = 2\n"),
        "{text}"
    );
    assert!(text.contains("#   5: continuous"), "criteria as comments");
    srekb(site.path())
        .args(["check", "--strict"])
        .assert()
        .success();
    srekb(site.path())
        .args(["new", "assessment", "--team", "sre", "--date", "2026-01-01"])
        .assert()
        .code(2);
    srekb(site.path())
        .args(["new", "assessment", "--team", "nobody"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown team `nobody`"));
    // A team's first assessment starts at level 1.
    let site = fixture("maturity-five");
    std::fs::remove_dir_all(site.path().join("content/maturity/sre")).unwrap();
    srekb(site.path())
        .args(["new", "assessment", "--team", "sre", "--date", "2026-01-01"])
        .assert()
        .success();
    assert!(read(site.path(), "content/maturity/sre/2026-01-01.md").contains("chaos = 1\n"));
}

#[test]
fn self_assessment_page_in_chromium_produces_a_file_srekb_accepts() {
    let Some(chrome) = chromium() else { return };
    let (_k, p) = build_sample();
    let picks = [
        ("slo", 3),
        ("monitoring", 2),
        ("incident_response", 3),
        ("postmortem", 1),
        ("documentation", 2),
        ("toil", 3),
        ("cost", 2),
        ("vulnerability", 1),
        ("dev_productivity", 3),
    ];
    let fragment: Vec<String> = picks.iter().map(|(a, l)| format!("{a}={l}")).collect();
    let url = format!(
        "file://{}#team=search&date=2026-11-01&assessors=%40kato&{}",
        p.join("maturity/self-assessment/index.html").display(),
        fragment.join("&")
    );
    let dom = dump_dom(&chrome, &url);
    let start = dom
        .find("id=\"assessment-output\"")
        .expect("output textarea");
    let text = &dom[start..];
    let text = &text[text.find('>').unwrap() + 1..text.find("</textarea>").unwrap()];
    let file = html_unescape(text);
    assert!(
        file.starts_with("+++\nteam = \"search\"\ndate = 2026-11-01\nassessors = [\"@kato\"]"),
        "{file}"
    );
    // The radar was drawn live with one vertex per area.
    let radar = &dom[dom.find("id=\"live-radar\"").unwrap()..];
    let current = radar
        .split("class=\"series s-current\" points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(current.split_whitespace().count(), 9);
    // srekb reads the file back, with the picked levels.
    let site = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("content"), &site.path().join("content"));
    std::fs::copy(
        repo_root().join("site-config.toml"),
        site.path().join("site-config.toml"),
    )
    .unwrap();
    copy_dir(&repo_root().join("alerts"), &site.path().join("alerts"));
    write(site.path(), "content/maturity/search/2026-11-01.md", &file);
    srekb(site.path())
        .args(["check", "--strict"])
        .assert()
        .success();
    srekb(site.path()).arg("build").assert().success();
    let card = read(&site.path().join("public"), "maturity/search/index.html");
    assert!(card.contains("2026-11-01"));
    let json_levels: toml::Table = file
        .trim_start_matches("+++\n")
        .split("+++")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for (area, level) in picks {
        assert_eq!(
            json_levels["levels"][area].as_integer(),
            Some(level),
            "{area}"
        );
    }
}

/// Issue 19: `maturity.json` beside `postmortems.json` carries the model (activities,
/// levels, delegation scale) and per team the latest levels, targets, gaps, delegation
/// against its targets and the assessment history.
#[test]
fn maturity_json_has_the_model_teams_latest_levels_targets_delegation_and_history() {
    let (_k, p) = build_sample();
    let json: serde_json::Value = serde_json::from_str(&read(&p, "maturity.json")).unwrap();
    let model = &json["model"];
    assert_eq!(model["levels"], 3);
    assert_eq!(model["delegation"][5], "尋ねる");
    let activities = model["activities"].as_array().unwrap();
    let slo = &activities[0];
    assert_eq!(
        (
            &slo["id"],
            &slo["name"],
            &slo["assessed"],
            &slo["target_level"]
        ),
        (&"slo".into(), &"SLI/SLO".into(), &true.into(), &3.into())
    );
    assert_eq!(slo["levels"].as_array().unwrap().len(), 3);
    let infra = activities
        .iter()
        .find(|a| a["id"] == "infra_design")
        .unwrap();
    assert_eq!(infra["assessed"], false);
    assert_eq!(infra["target_level"], serde_json::Value::Null);
    assert_eq!(infra["target_delegation"], "同意する");

    let teams = json["teams"].as_array().unwrap();
    let ids: Vec<&str> = teams.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["mobile", "payments", "search"]);
    let pay = &teams[1];
    assert_eq!(pay["name"], "決済チーム");
    assert_eq!(pay["latest"], "2026-06-15");
    assert_eq!(
        pay["services"],
        serde_json::json!(["payments-api", "payments-db", "checkout-web"])
    );
    assert_eq!(pay["levels"]["monitoring"], 3);
    assert_eq!(pay["levels"]["cost"], 1);
    assert_eq!(pay["levels"].as_object().unwrap().len(), 9);
    // The team's own target for cost (2) wins over the model's default (3).
    assert_eq!(pay["targets"]["cost"], 2);
    assert_eq!(pay["targets"]["slo"], 3);
    assert_eq!(
        pay["gaps"],
        serde_json::json!([
            "cost",
            "documentation",
            "incident_response",
            "slo",
            "toil",
            "vulnerability"
        ])
    );
    assert_eq!(
        pay["delegation"]["slo"],
        serde_json::json!({ "now": "同意する", "target": "尋ねる", "gap": 2 })
    );
    assert_eq!(
        pay["delegation"]["infra_design"],
        serde_json::json!({ "now": null, "target": "同意する", "gap": null })
    );
    let history = pay["history"].as_array().unwrap();
    let dates: Vec<&str> = history
        .iter()
        .map(|h| h["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2025-06-10", "2025-12-08", "2026-06-15"]);
    assert_eq!(history[0]["levels"]["slo"], 1);
    assert_eq!(history[0]["average"], 1.4);
    assert_eq!(
        history[0]["assessors"],
        serde_json::json!(["@tanaka", "@watanabe"])
    );
    assert_eq!(history[0]["delegation"]["slo"], "相談する");
    assert_eq!(history[2]["path"], "/maturity/payments/2026-06-15/");
    assert_eq!(pay["stale"], false);
}

/// A team the model names but that never assessed itself is listed without levels;
/// a site without a model writes no `maturity.json`.
#[test]
fn maturity_json_lists_teams_never_assessed_and_needs_a_model() {
    let site = fixture("maturity-five");
    let model = site.path().join("content/maturity/model.toml");
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(
        &model,
        format!("{text}[[teams]]\nid = \"db\"\nname = \"Databases\"\nservices = [\"pg\"]\n"),
    )
    .unwrap();
    srekb(site.path()).arg("build").assert().success();
    let json: serde_json::Value =
        serde_json::from_str(&read(&site.path().join("public"), "maturity.json")).unwrap();
    assert_eq!(json["model"]["levels"], 5);
    let teams = json["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 2);
    let db = &teams[0];
    assert_eq!(db["id"], "db");
    assert_eq!(db["name"], "Databases");
    assert_eq!(db["latest"], serde_json::Value::Null);
    assert_eq!(db["levels"], serde_json::json!({}));
    assert_eq!(db["history"], serde_json::json!([]));
    assert_eq!(db["gaps"], serde_json::json!([]));
    assert_eq!(db["targets"]["chaos"], 5);
    let sre = &teams[1];
    assert_eq!(sre["levels"]["observability"], 5);
    assert_eq!(sre["targets"]["observability"], 4);
    assert_eq!(sre["gaps"], serde_json::json!(["chaos", "capacity"]));
    assert_eq!(sre["history"].as_array().unwrap().len(), 2);

    let plain = site_without_model();
    srekb(plain.path()).arg("build").assert().success();
    assert!(!plain.path().join("public/maturity.json").exists());
}

fn site_without_model() -> tempfile::TempDir {
    common::site(&[
        ("site-config.toml", "title = \"t\"\n"),
        ("content/docs/a.md", "+++\ntitle = \"a\"\n+++\n\nx\n"),
    ])
}
