//! Runbooks linked from alerts, and career guides that connect.

mod common;

use common::*;
use predicates::prelude::*;

const RB_CONFIG: &str = "title = \"RB\"\nbase_url = \"https://kb.example\"\n";

fn runbook(alerts: &str, last_reviewed: &str) -> String {
    format!("+++\ntitle = \"DB lag\"\nservice = \"db\"\nalerts = {alerts}\nowner = \"team\"\nlast_reviewed = {last_reviewed}\n+++\n\n## 意味\n\n遅延。\n")
}

fn today() -> String {
    TODAY.to_string()
}

#[test]
fn alert_pages_point_at_their_runbook() {
    let (_keep, p) = build_sample();
    let page = read(&p, "runbooks/alerts/PostgresReplicationLag/index.html");
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"0; url=../../../runbooks/postgres-replication-lag/\">"), "{page}");
    assert!(page.contains("href=\"../../../runbooks/postgres-replication-lag/\""));
    let json: serde_json::Value = serde_json::from_str(&read(&p, "runbooks/alerts.json")).unwrap();
    assert_eq!(
        json["PostgresReplicationLag"]["url"],
        "https://kb.example.com/runbooks/alerts/PostgresReplicationLag/"
    );
    assert_eq!(json["PostgresReplicationLag"]["service"], "payments-db");
    assert_eq!(
        json["CheckoutErrorBudgetBurn"]["runbook_url"],
        "https://kb.example.com/runbooks/checkout-error-budget-burn/"
    );
    // Two alerts of one runbook both get pages.
    assert!(p
        .join("runbooks/alerts/PaymentsHighErrorRate/index.html")
        .is_file());
    let index = read(&p, "runbooks/alerts/index.html");
    assert!(index.contains("<code>MobileAPIHighLatency</code>"));
    // "Used in" backlinks: by `related` and by the postmortem's detection alert.
    let rb = read(&p, "runbooks/checkout-error-budget-burn/index.html");
    assert!(
        rb.contains("決済 API のタイムアウト多発でチェックアウトが失敗"),
        "related backlink"
    );
    let rb = read(&p, "runbooks/postgres-replication-lag/index.html");
    assert!(
        rb.contains("決済 DB のレプリケーション遅延で"),
        "detection-alert backlink"
    );
    // Code blocks in runbooks are highlighted with a copy button.
    assert!(rb.contains("class=\"language-sql\"") && rb.contains("copy-button"));
    // Coverage against alerts/rules.yml: every alert covered.
    let cov = read(&p, "runbooks/coverage/index.html");
    assert!(cov.contains("ランブックあり: 9 / 9"), "{cov}");
}

#[test]
fn sample_rules_pass_check() {
    srekb(&repo_root())
        .args(["check", "--alert-rules", "alerts/rules.yml"])
        .current_dir(repo_root())
        .assert()
        .success();
}

#[test]
fn stale_runbook_warns_and_gets_a_badge() {
    let site = site(&[
        ("site-config.toml", RB_CONFIG),
        (
            "content/runbooks/db.md",
            &runbook("[\"DbLag\"]", "2020-01-01"),
        ),
    ]);
    srekb(site.path())
        .arg("build")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning[stale-runbook]: last reviewed 2020-01-01",
        ))
        .stderr(predicate::str::contains("content/runbooks/db.md:6:1"));
    let html = read(&site.path().join("public"), "runbooks/db/index.html");
    assert!(html.contains("badge-stale"));
    let fresh = common::site(&[
        ("site-config.toml", RB_CONFIG),
        ("content/runbooks/db.md", &runbook("[\"DbLag\"]", &today())),
    ]);
    srekb(fresh.path())
        .args(["check", "--strict"])
        .assert()
        .success();
}

#[test]
fn an_alert_claimed_twice_is_an_error() {
    let site = site(&[
        ("site-config.toml", RB_CONFIG),
        (
            "content/runbooks/a.md",
            &runbook("[\"DbLag\", \"Other\"]", &today()),
        ),
        ("content/runbooks/b.md", &runbook("[\"DbLag\"]", &today())),
    ]);
    srekb(site.path())
        .arg("check")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("content/runbooks/a.md:4:1"))
        .stderr(predicate::str::contains(
            "alert `DbLag` is also claimed by content/runbooks/b.md",
        ))
        .stderr(predicate::str::contains(
            "alert `DbLag` is also claimed by content/runbooks/a.md",
        ));
}

#[test]
fn check_alert_rules_reports_exactly_the_missing_alerts() {
    let site = site(&[
        ("site-config.toml", RB_CONFIG),
        ("content/runbooks/db.md", &runbook("[\"DbLag\", \"Gone\"]", &today())),
        (
            "rules.yml",
            "groups:\n  - name: g\n    rules:\n      - alert: DbLag\n        expr: x\n        annotations:\n          runbook_url: https://kb.example/runbooks/alerts/DbLag/\n      - alert: NoRunbookOne\n        expr: y\n      - record: not:an:alert\n        expr: z\n  - name: h\n    rules:\n      - alert: NoRunbookTwo\n        expr: w\n",
        ),
        ("wrong-url.yml", "groups:\n- name: w\n  rules:\n  - alert: DbLag\n    expr: x\n    annotations:\n      runbook_url: https://wiki.example/old-page\n"),
    ]);
    let (code, out, _) = run({
        let mut c = srekb(site.path());
        c.args(["check", "--format", "json", "--alert-rules"])
            .arg(site.path().join("rules.yml"))
            .arg(site.path().join("wrong-url.yml"));
        c
    });
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<(&str, &str, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap(),
                d["message"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.contains(&(
        "alert-without-runbook",
        "alert `NoRunbookOne` has no runbook",
        8
    )));
    assert!(errors.contains(&(
        "alert-without-runbook",
        "alert `NoRunbookTwo` has no runbook",
        14
    )));
    assert!(errors.iter().any(|e| e.0 == "runbook-url"
        && e.1.contains("https://wiki.example/old-page")
        && e.2 == 4));
    // The runbook's alert that no rule defines is reported too (as a warning).
    assert!(out.contains("runbook lists alert `Gone`, which no rule file defines"));
    // Without the flag, the same site checks clean.
    srekb(site.path()).arg("check").assert().success();
}

#[test]
fn new_runbook_has_the_sections_and_placeholders_warn() {
    let site = site(&[("site-config.toml", RB_CONFIG), ("content/_index.md", "")]);
    srekb(site.path())
        .args([
            "new",
            "runbook",
            "PostgreSQL レプリケーション遅延",
            "--service",
            "payments-db",
            "--alert",
            "PostgresReplicationLag",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "https://kb.example/runbooks/alerts/PostgresReplicationLag/",
        ));
    let text = read(site.path(), "content/runbooks/postgresreplicationlag.md");
    for h in [
        "## 意味",
        "## 影響",
        "## 調査",
        "## 対応",
        "## エスカレーション",
    ] {
        assert!(text.contains(h), "{h}");
    }
    assert!(text.contains("alerts = [\"PostgresReplicationLag\"]"));
    srekb(site.path())
        .arg("check")
        .assert()
        .success()
        .stderr(predicate::str::contains("warning[placeholder]"))
        .stderr(predicate::str::contains(
            "content/runbooks/postgresreplicationlag.md:14:1",
        ));
    srekb(site.path())
        .args(["new", "runbook", "x", "--alert", "PostgresReplicationLag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
}

#[test]
fn career_related_jobs_resolve_and_missing_ones_warn() {
    let guide = |slug: &str, related: &str| {
        format!("---json\n{{\n  \"title\": \"{slug} guide\",\n  \"slug\": \"{slug}\",\n  \"related_jobs\": {related},\n  \"meta_description\": \"About {slug}\",\n  \"hero_image\": \"/img/{slug}.png\",\n  \"tags\": [\"SRE\"]\n}}\n---\n## Body\n")
    };
    let site = site(&[
        ("site-config.toml", RB_CONFIG),
        (
            "content/careers/a.md",
            &guide(
                "site_reliability_engineer",
                "[\"devops_engineer\", \"backend_developer\"]",
            ),
        ),
        ("content/careers/b.md", &guide("devops_engineer", "[]")),
    ]);
    srekb(site.path())
        .arg("build")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "related job `backend_developer` has no career guide",
        ))
        .stderr(predicate::str::contains("content/careers/a.md:5:3"));
    let html = read(
        &site.path().join("public"),
        "careers/site_reliability_engineer/index.html",
    );
    assert!(
        html.contains("href=\"../../careers/devops_engineer/\""),
        "{html}"
    );
    assert!(
        html.contains("<meta name=\"description\" content=\"About site_reliability_engineer\">")
    );
    assert!(html.contains(
        "<meta property=\"og:description\" content=\"About site_reliability_engineer\">"
    ));
    assert!(html.contains("src=\"../../img/site_reliability_engineer.png\""));
    let index = read(&site.path().join("public"), "careers/index.html");
    assert!(index.contains("devops_engineer guide"));
}

/// The PrometheusRule fixture: two resources in one file, templated and relative URLs.
fn prometheus_rule_site(config: &str) -> tempfile::TempDir {
    let rules = std::fs::read_to_string(
        repo_root().join("tests/fixtures/alert-rules/prometheus-rule.yaml"),
    )
    .unwrap();
    site(&[
        ("site-config.toml", config),
        (
            "content/runbooks/db.md",
            &runbook("[\"PostgresReplicationLag\"]", &today()),
        ),
        (
            "content/runbooks/pay.md",
            &runbook("[\"PaymentsHighErrorRate\", \"PaymentsLatency\"]", &today()),
        ),
        ("alerts/prometheus-rule.yaml", &rules),
    ])
}

#[test]
fn prometheus_rule_resources_with_templated_and_relative_urls_check_clean() {
    let config = format!(
        "{RB_CONFIG}[runbooks]\nurl_base = \"https://kb.example/runbooks/\"\nalert_rules = [\"alerts/prometheus-rule.yaml\"]\n"
    );
    let site = prometheus_rule_site(&config);
    let (code, out, err) = run({
        let mut c = srekb(site.path());
        c.args(["check", "--format", "json", "--alert-rules"])
            .arg(site.path().join("alerts/prometheus-rule.yaml"));
        c
    });
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|d| d["code"] != "runbook-url"
                && d["code"] != "alert-without-runbook"
                && d["code"] != "alert-rules"),
        "{out}"
    );
    // All three alerts of both documents reach the coverage report.
    srekb(site.path()).arg("build").assert().success();
    let coverage = read(site.path(), "public/runbooks/coverage/index.html");
    for a in [
        "PostgresReplicationLag",
        "PaymentsHighErrorRate",
        "PaymentsLatency",
    ] {
        assert!(coverage.contains(a), "{a} missing from coverage");
    }
}

#[test]
fn relative_runbook_url_without_the_right_base_is_reported_at_its_alert() {
    // Without url_base the relative URL is read against base_url and points elsewhere.
    let site = prometheus_rule_site(RB_CONFIG);
    let (code, out, _) = run({
        let mut c = srekb(site.path());
        c.args(["check", "--format", "json", "--alert-rules"])
            .arg(site.path().join("alerts/prometheus-rule.yaml"));
        c
    });
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<(String, u64, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(errors, [("runbook-url".to_string(), 32, 11)], "{out}");
}

#[test]
fn broken_rule_file_is_an_error_at_the_parser_position() {
    let site = site(&[
        ("site-config.toml", RB_CONFIG),
        ("content/runbooks/db.md", &runbook("[\"DbLag\"]", &today())),
        ("dup.yml", "groups:\n- name: g\n  rules:\n  - alert: DbLag\n    annotations:\n      runbook_url: a\n      runbook_url: b\n"),
    ]);
    srekb(site.path())
        .args(["check", "--alert-rules"])
        .arg(site.path().join("dup.yml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("dup.yml:7:7"))
        .stderr(predicate::str::contains("first at line 6 column 7"));
}
