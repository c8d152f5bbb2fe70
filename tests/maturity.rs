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
