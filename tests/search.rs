//! Search from the CLI on the sample site: the query set in tests/search_queries.toml
//! (expected page in the top 10), kind filter, JSON and escaping.

mod common;

use common::*;

#[derive(serde::Deserialize)]
struct Set {
    query: Vec<Q>,
}

#[derive(serde::Deserialize)]
struct Q {
    q: String,
    expect: Vec<String>,
}

fn built_sample() -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    for d in ["content", "alerts"] {
        copy_dir(&repo_root().join(d), &site.path().join(d));
    }
    std::fs::copy(
        repo_root().join("site-config.toml"),
        site.path().join("site-config.toml"),
    )
    .unwrap();
    srekb(site.path()).arg("build").assert().success();
    assert!(site.path().join(".srekb/index").is_dir());
    site
}

fn hits(site: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let (code, out, err) = run({
        let mut c = srekb(site);
        c.arg("search").args(args).arg("--json");
        c
    });
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Vec<serde_json::Value>>(&out).unwrap()
}

#[test]
fn every_query_of_the_set_finds_its_pages_in_the_top_ten() {
    let site = built_sample();
    let set: Set = toml::from_str(
        &std::fs::read_to_string(repo_root().join("tests/search_queries.toml")).unwrap(),
    )
    .unwrap();
    assert!(set.query.len() >= 30);
    let mut failures = Vec::new();
    for q in &set.query {
        let urls: Vec<String> = hits(site.path(), &[&q.q, "--limit", "10"])
            .iter()
            .map(|h| h["url"].as_str().unwrap().to_string())
            .collect();
        for e in &q.expect {
            if !urls.contains(e) {
                failures.push(format!("{} → missing {e} (got {urls:?})", q.q));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn compounds_match_as_phrases_not_scattered_characters() {
    let site = built_sample();
    // 新幹線 appears nowhere; its characters alone must not produce hits.
    assert!(hits(site.path(), &["新幹線"]).is_empty());
    assert!(hits(site.path(), &["ガベージコレクション"]).is_empty());
}

#[test]
fn kind_filter_limit_and_escaped_snippets() {
    let site = built_sample();
    let all = hits(site.path(), &["監視", "--limit", "50"]);
    let pm = hits(site.path(), &["監視", "--kind", "runbook", "--limit", "50"]);
    assert!(!pm.is_empty() && pm.len() < all.len());
    assert!(pm.iter().all(|h| h["kind"] == "runbook"));
    assert_eq!(hits(site.path(), &["監視", "--limit", "2"]).len(), 2);
    let h = &hits(site.path(), &["エラーバジェット"])[0];
    let snippet = h["snippet_html"].as_str().unwrap();
    assert!(
        snippet.contains("<mark>エラーバジェット</mark>"),
        "{snippet}"
    );
}
