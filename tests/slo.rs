//! SLOs (`kind = "slo"`): pages and the catalogue, the budget arithmetic against the
//! postmortems of the current window, OpenSLO files, `check` rules with positions,
//! `slos.json`, `srekb new slo` and search. The fixture is tests/fixtures/slo-site; the
//! tests run "on" 2026-11-22 (JST), see `common::TODAY`.

mod common;

use common::*;
use serde_json::Value;

fn built() -> (SharedSite, String) {
    build_fixture_once("slo-site")
}

fn slos_json(public: &std::path::Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&read(public, "slos.json")).unwrap()["slos"]
        .as_array()
        .unwrap()
        .clone()
}

fn by_id<'a>(all: &'a [Value], id: &str) -> &'a Value {
    all.iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no SLO {id} in {all:?}"))
}

#[test]
fn slo_page_shows_objective_budget_policy_alerts_and_burn() {
    let (site, _) = built();
    let public = site.path().join("public");
    let html = read(&public, "slos/checkout-availability/index.html");
    assert!(html.contains("<strong>99.9%</strong>"), "{html}");
    // 99.9 % of 28 days: 40.32 minutes; one incident charged 12 minutes.
    assert!(html.contains("40.32 分"), "budget");
    assert!(html.contains("28.32 分 (70.24%)"), "remaining");
    assert!(html.contains("使い切ったらリリースを止める"), "policy");
    // Alerts with their runbook, and the one without.
    assert!(html.contains("<code>CheckoutBurn</code> → <a href=\"../../runbooks/checkout-burn/\">チェックアウトのバジェット消費</a>"), "{html}");
    assert!(html.contains(
        "<code>CheckoutNoRunbook</code> → <span class=\"badge badge-stale\">ランブックなし</span>"
    ));
    // Burn chart: accessible SVG with the incident table beside it.
    assert!(html.contains("<svg class=\"chart chart-burn\""));
    assert!(html.contains("role=\"img\" aria-labelledby=\"burn-checkout-availability-t burn-checkout-availability-d\""));
    assert!(html.contains("<title id=\"burn-checkout-availability-t\">現在の期間の残りエラーバジェット（%）</title>"), "{html}");
    assert!(html.contains("期間内のインシデントは 1 件です。</desc>"));
    assert!(html.contains("<table class=\"slo-incidents\">"));
    assert!(html.contains("決済エラー"));
    // Charged only to the SLO it names; before the window: not charged.
    assert!(!html.contains("決済の遅延") && !html.contains("古い障害"));
    // The page body is still rendered.
    assert!(html.contains("利用者は再試行できる。"));
}

#[test]
fn section_is_a_catalogue_by_service() {
    let (site, _) = built();
    let html = read(&site.path().join("public"), "slos/index.html");
    let pay = html
        .find("<span class=\"svc\">payments-api</span>")
        .expect("payments-api group");
    let search = html
        .find("<span class=\"svc\">search</span>")
        .expect("search group");
    assert!(pay < search);
    let avail = html.find("チェックアウトの成功率").unwrap();
    let latency = html.find("チェックアウトの応答時間").unwrap();
    assert!(pay < avail && pay < latency && avail < search && latency < search);
    assert!(html[search..].contains("検索の応答時間"));
    // Links are relative to the page (works under any base path and from file://).
    assert!(html.contains("href=\"../slos/search-latency/\""), "{html}");
}

#[test]
fn slos_json_holds_the_budget_math() {
    let (site, _) = built();
    let all = slos_json(&site.path().join("public"));
    assert_eq!(all.len(), 3);
    let a = by_id(&all, "checkout-availability");
    assert_eq!(a["service"], "payments-api");
    assert_eq!(a["objective"], 99.9);
    assert_eq!(a["window"], "28d");
    assert_eq!(a["budget_minutes"], 40.32);
    assert_eq!(a["burned_minutes"], 12);
    assert_eq!(a["remaining_minutes"], 28.32);
    assert_eq!(a["window_start"], "2026-10-26T00:00:00+09:00");
    assert_eq!(a["window_end"], "2026-11-23T00:00:00+09:00");
    assert_eq!(a["url"], "https://kb.example/slos/checkout-availability/");
    let pms = a["postmortems"].as_array().unwrap();
    assert_eq!(pms.len(), 1);
    assert_eq!(pms[0]["source"], "minutes");
    assert_eq!(
        pms[0]["url"],
        "https://kb.example/postmortems/2026-11-10-checkout-errors/"
    );
    assert_eq!(a["alerts"][0]["name"], "CheckoutBurn");
    assert_eq!(
        a["alerts"][0]["runbook_url"],
        "https://kb.example/runbooks/checkout-burn/"
    );
    assert_eq!(a["alerts"][1]["runbook_url"], Value::Null);
    // Calendar month of November 2026: 30 days at 99 % = 432 minutes. Charged: the
    // service's incident that names no SLO (12 min) and the one that names this SLO
    // (its 20-minute impact window).
    let l = by_id(&all, "checkout-latency");
    assert_eq!(l["window"], "calendar-month");
    assert_eq!(l["budget_minutes"], 432);
    assert_eq!(l["burned_minutes"], 32);
    assert_eq!(l["remaining_minutes"], 400);
    assert_eq!(l["postmortems"][0]["source"], "minutes");
    assert_eq!(l["postmortems"][1]["source"], "impact-window");
    assert_eq!(l["postmortems"][1]["burned_minutes"], 20);
    assert_eq!(l["window_start"], "2026-11-01T00:00:00+09:00");
    assert_eq!(l["window_end"], "2026-12-01T00:00:00+09:00");
}

#[test]
fn openslo_file_becomes_an_slo_page() {
    let (site, _) = built();
    let public = site.path().join("public");
    let all = slos_json(&public);
    let s = by_id(&all, "search-latency");
    assert_eq!(s["source"], "openslo");
    assert_eq!(s["service"], "search");
    assert_eq!(s["objective"], 99.5);
    assert_eq!(s["window"], "28d");
    // 28 days at 99.5 %: 201.6 minutes.
    assert_eq!(s["budget_minutes"], 201.6);
    assert_eq!(s["owners"][0], "search-team");
    assert_eq!(
        s["alerts"][0]["runbook_url"],
        "https://kb.example/runbooks/search-slow/"
    );
    let html = read(&public, "slos/search-latency/index.html");
    assert!(
        html.contains("<h1 id=\"page-title\">検索の応答時間</h1>"),
        "{html}"
    );
    assert!(
        html.contains("search_bucket{le=&quot;0.3&quot;}")
            || html.contains("search_bucket{le=\"0.3\"}"),
        "SLI from indicatorRef"
    );
    assert!(html.contains("300ms 以内の検索"));
}

const BAD_SLO: &str = "+++\ntitle = \"壊れた SLO\"\nservice = \"svc\"\nobjective = 100\nwindow = \"28x\"\nalerts = [\"NoSuchAlert\"]\nsli = \"x\"\n+++\n";

const BAD_OPENSLO: &str = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: bad-openslo\nspec:\n  service: svc\n  indicatorRef: missing\n  objectives:\n    - target: 1.5\n  timeWindow:\n    - duration: 28d\n";

const PM_NAMING_UNKNOWN: &str = "+++\ntitle = \"障害\"\ndate = 2026-11-10\nstatus = \"draft\"\nseverity = \"SEV3\"\nservices = [\"svc\"]\nslos = [\"no-such-slo\"]\n+++\n\n## サマリ\n\nx\n";

#[test]
fn check_reports_every_slo_problem_at_its_line_and_column() {
    let site = site(&[
        ("site-config.toml", CONFIG),
        ("content/slos/bad.md", BAD_SLO),
        ("content/slos/bad.openslo.yaml", BAD_OPENSLO),
        ("content/postmortems/2026-11-10-x.md", PM_NAMING_UNKNOWN),
    ]);
    let (code, out, err) = run({
        let mut c = srekb(site.path());
        c.args(["check", "--format", "json"]);
        c
    });
    assert_eq!(code, 1, "{out}{err}");
    let diags: Vec<Value> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let has = |file: &str, line: u64, col: u64, text: &str| {
        diags.iter().any(|d| {
            d["file"].as_str().unwrap_or("").ends_with(file)
                && d["line"] == line
                && d["col"] == col
                && d["message"].as_str().unwrap_or("").contains(text)
        })
    };
    assert!(has("content/slos/bad.md", 4, 1, "(0, 100)"), "{out}");
    assert!(
        has("content/slos/bad.md", 5, 1, "unknown window unit `x`"),
        "{out}"
    );
    assert!(has("content/slos/bad.md", 6, 1, "NoSuchAlert"), "{out}");
    assert!(
        has(
            "content/slos/bad.openslo.yaml",
            7,
            3,
            "indicatorRef `missing`"
        ),
        "{out}"
    );
    assert!(
        has("content/slos/bad.openslo.yaml", 9, 7, "(0, 100)"),
        "{out}"
    );
    assert!(
        has("content/postmortems/2026-11-10-x.md", 7, 1, "no-such-slo"),
        "{out}"
    );
    // The alert without a runbook is a warning, the rest errors.
    let sev = |text: &str| {
        diags
            .iter()
            .find(|d| d["message"].as_str().unwrap_or("").contains(text))
            .map(|d| d["severity"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(sev("NoSuchAlert").as_deref(), Some("warning"));
    assert_eq!(sev("no-such-slo").as_deref(), Some("error"));
    // And `build` refuses to write anything.
    srekb(site.path()).arg("build").assert().code(1);
    assert!(!site.path().join("public").exists());
}

#[test]
fn new_slo_scaffolds_a_page_that_checks() {
    let site = site(&[("site-config.toml", CONFIG)]);
    srekb(site.path())
        .args([
            "new",
            "slo",
            "決済の可用性",
            "--service",
            "payments-api",
            "--alert",
            "CheckoutBurn",
        ])
        .assert()
        .success();
    let dir = site.path().join("content/slos");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("service = \"payments-api\""));
    assert!(text.contains("objective = 99.9"));
    assert!(text.contains("alerts = [\"CheckoutBurn\"]"));
    // No errors: only warnings (empty SLI, alert without runbook).
    srekb(site.path()).arg("check").assert().success();
    // Never overwrites.
    srekb(site.path())
        .args(["new", "slo", "決済の可用性", "--service", "payments-api"])
        .assert()
        .failure();
}

#[test]
fn search_finds_slos_by_service() {
    let (site, _) = built();
    let (code, out, err) = run({
        let mut c = srekb(site.path());
        c.args(["search", "チェックアウト", "--kind", "slo", "--json"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    let hits: Vec<Value> = serde_json::from_str(&out).unwrap();
    let urls: Vec<&str> = hits.iter().map(|h| h["url"].as_str().unwrap()).collect();
    assert!(
        urls.iter()
            .any(|u| u.ends_with("slos/checkout-availability/")),
        "{urls:?}"
    );
    assert!(hits.iter().all(|h| h["kind"] == "slo"), "{hits:?}");
    // The service is a searchable field: the OpenSLO page is found by it.
    let (code, out, _) = run({
        let mut c = srekb(site.path());
        c.args(["search", "search", "--kind", "slo", "--json"]);
        c
    });
    assert_eq!(code, 0);
    assert!(out.contains("slos/search-latency/"), "{out}");
}

#[test]
fn serve_rebuild_after_a_postmortem_edit_updates_the_slo_pages() {
    // A front-matter edit changes the site's shape, so `serve` rebuilds everything;
    // this pins that the SLO pages and slos.json follow the postmortem.
    use srekb::{build, BuildCache, BuildOptions, OutputMode};
    use std::sync::Arc;
    std::env::set_var("SOURCE_DATE_EPOCH", TODAY_EPOCH);
    let site = fixture("slo-site");
    let root = site.path();
    let cache = Arc::new(BuildCache::default());
    let opts = |changed: Option<Vec<std::path::PathBuf>>| BuildOptions {
        cache: Some(cache.clone()),
        changed,
        web_index: false,
        ..BuildOptions::new(root.to_path_buf(), OutputMode::Memory)
    };
    let mut files = build(&opts(None)).unwrap().memory.unwrap();
    let rel = "content/postmortems/2026-11-10-checkout-errors.md";
    let text = read(root, rel);
    write(
        root,
        rel,
        &text.replace("error_budget_consumed = 12", "error_budget_consumed = 30"),
    );
    let second = build(&opts(Some(vec![rel.into()]))).unwrap();
    assert!(second.ok);
    files.extend(second.memory.unwrap());
    let full = build(&BuildOptions {
        web_index: false,
        ..BuildOptions::new(root.to_path_buf(), OutputMode::Memory)
    })
    .unwrap()
    .memory
    .unwrap();
    for f in [
        "slos/checkout-availability/index.html",
        "slos/index.html",
        "slos.json",
    ] {
        assert_eq!(files.get(f), full.get(f), "{f} is stale after the rebuild");
    }
    let page = String::from_utf8(full["slos/checkout-availability/index.html"].clone()).unwrap();
    assert!(
        page.contains("10.32 分 (25.6%)"),
        "30 of 40.32 minutes burned"
    );
}

#[test]
fn browser_index_keeps_slo_pages_in_their_own_kind_range() {
    let (site, _) = built();
    let meta = read(&site.path().join("public"), "search/meta.js");
    let json = meta
        .trim()
        .strip_prefix("srekbSearch.meta(")
        .and_then(|m| m.strip_suffix(");"))
        .unwrap_or_else(|| panic!("{meta}"));
    let meta: Value = serde_json::from_str(json).unwrap();
    let kinds = meta["kinds"].as_object().unwrap();
    let slo = &kinds["slo"];
    assert_eq!(
        slo[1].as_u64().unwrap() - slo[0].as_u64().unwrap(),
        3,
        "{kinds:?}"
    );
    // Kind filters are ranges of document ids: no two kinds may overlap.
    let mut ranges: Vec<(u64, u64)> = kinds
        .values()
        .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()))
        .collect();
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlapping kind ranges: {kinds:?}");
    }
}

#[test]
fn init_includes_a_sample_slo_that_builds() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    let mut c = assert_cmd::Command::cargo_bin("srekb").unwrap();
    c.env("SOURCE_DATE_EPOCH", TODAY_EPOCH);
    c.arg("init").arg(&kb).assert().success();
    assert!(kb.join("content/slos/api-availability.md").is_file());
    srekb(&kb).arg("build").assert().success();
    let all = slos_json(&kb.join("public"));
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0]["alerts"][0]["runbook_url"],
        "https://kb.example.com/runbooks/api-high-error-rate/"
    );
}
