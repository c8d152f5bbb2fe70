//! Adopting existing content: a collection written for Hugo, Docsy, MkDocs and a
//! GitHub folder (tests/fixtures/import) builds as-is, with what srekb could not
//! interpret reported as warnings, grouped and counted, with file:line.

mod common;

use common::*;

/// The import fixture, built once for all the tests here; returns (site, stderr).
fn built() -> (SharedSite, String) {
    build_fixture_once("import")
}

#[test]
fn unknown_shortcodes_are_warnings_grouped_and_counted_with_lines() {
    let (_site, stderr) = built();
    assert!(
        stderr.contains("3 unknown shortcodes in 2 files: pageinfo ×1, param ×1, tabpane ×1"),
        "{stderr}"
    );
    for (name, at) in [
        ("param", "content/ops/node/NodeDiskFull.md:10:1"),
        ("tabpane", "content/ops/node/NodeDiskFull.md:23:1"),
        ("pageinfo", "content/docsy/guide.md:15:1"),
    ] {
        let msg = format!("unknown shortcode `{name}`");
        let i = stderr
            .find(&msg)
            .unwrap_or_else(|| panic!("{msg}: {stderr}"));
        assert!(stderr[i..].contains(at), "{name} at {at}: {stderr}");
    }
    assert!(
        stderr.contains("0 errors, 4 warnings (shortcode ×4)"),
        "{stderr}"
    );
    // Known constructs are not warned about.
    for quiet in ["ref", "relref", "alert", "details"] {
        assert!(
            !stderr.contains(&format!("shortcode `{quiet}`")),
            "{stderr}"
        );
    }
}

#[test]
fn hugo_refs_and_zola_links_resolve_and_are_checked() {
    let (site, _) = built();
    let p = site.path().join("public");
    let pressure = read(&p, "ops/node/nodediskpressure/index.html");
    assert!(pressure.contains("<a href=\"../../../ops/node/nodediskfull/\">Node Disk Full</a>"));
    let full = read(&p, "ops/node/nodediskfull/index.html");
    assert!(full.contains("href=\"../../../ops/node/nodediskpressure/\">disk pressure"));
    assert!(
        full.contains("href=\"../../../handbook/oncall/#%E5%BC%95%E3%81%8D%E7%B6%99%E3%81%8E\"")
    );
    assert!(
        full.contains("Shown literally: {{&lt; ref \"x\" &gt;}}."),
        "{full}"
    );
    assert!(full.contains("Tab content stays."));
    let guide = read(&p, "docsy/guide/index.html");
    assert!(
        guide.contains("href=\"../../handbook/oncall/\""),
        "Zola @/ link"
    );

    // A ref to a page that does not exist is a broken link with its line.
    write(
        site.path(),
        "content/ops/node/Broken.md",
        "---\ntitle: Broken\n---\n\nSee [x]({{< ref \"Missing.md\" >}}).\n",
    );
    let (code, _, stderr) = run({
        let mut c = srekb(site.path());
        c.arg("check");
        c
    });
    assert_eq!(code, 1);
    assert!(stderr.contains("content/ops/node/Broken.md:5:"), "{stderr}");
    assert!(stderr.contains("broken-link"), "{stderr}");
}

#[test]
fn callouts_headings_front_matter_and_file_names() {
    let (site, _) = built();
    let p = site.path().join("public");
    // Docsy alert shortcode, GitHub alert, MkDocs admonitions, ::: containers.
    let guide = read(&p, "docsy/guide/index.html");
    assert!(guide.contains(
        "<div class=\"callout callout-warning\" role=\"note\"><p class=\"callout-title\">注意</p>"
    ));
    assert!(guide.contains("<strong>レビュー必須</strong>"));
    // `{#id}` sets the anchor.
    assert!(guide.contains("id=\"approval-flow\""));
    let incident = read(&p, "incidents/2024-01-15-db-outage/index.html");
    assert!(incident.contains("callout callout-warning"));
    assert!(
        incident.contains("<p class=\"callout-title\">警告</p>"),
        "default label in the site's language"
    );
    // No front matter: the title is the first heading; spaces in the file name work.
    assert!(incident.contains("<title>DB outage on 2024-01-15 | Imported KB</title>"));
    let oncall = read(&p, "handbook/oncall/index.html");
    assert!(oncall.contains("<p class=\"callout-title\">引き継ぎ</p>"));
    assert!(oncall.contains("<strong>必ず</strong>"));
    assert!(oncall.contains("callout callout-tip"), "??? tip");
    assert!(oncall.contains("<p class=\"callout-title\">夜間の作業</p>"));
    assert!(oncall.contains("<pre class=\"mermaid\">graph LR\n  A[アラート] --&gt; B[一次対応]"));
    // index.md and README.md are section indexes.
    assert!(read(&p, "handbook/index.html").contains("オンコールハンドブック"));
    assert!(read(&p, "incidents/index.html").contains("Incident reports"));
    // `aliases` leave redirect pages; `weight` orders the section (weighted pages
    // first, as in Hugo).
    let redirect = read(&p, "runbooks/node/nodediskfull/index.html");
    assert!(redirect.contains("url=../../../ops/node/nodediskfull/"));
    let list = read(&p, "ops/node/index.html");
    let (a, b) = (
        list.find("Node Disk Full").unwrap(),
        list.find("Node Disk Pressure").unwrap(),
    );
    assert!(b < a, "the weighted page comes first");
}

#[test]
fn mermaid_can_be_turned_off() {
    let site = fixture("import");
    let cfg = std::fs::read_to_string(site.path().join("site-config.toml")).unwrap();
    std::fs::write(
        site.path().join("site-config.toml"),
        format!("{cfg}\n[markdown]\nmermaid = false\n"),
    )
    .unwrap();
    srekb(site.path()).arg("build").assert().success();
    let oncall = read(&site.path().join("public"), "handbook/oncall/index.html");
    assert!(!oncall.contains("<pre class=\"mermaid\">"));
    assert!(oncall.contains("language-mermaid"));
}

/// With the mermaid bundle vendored in the theme (themes/default/vendor.lock), the
/// diagram is drawn as SVG in the browser.
#[test]
fn mermaid_diagrams_are_drawn_in_the_browser() {
    let Some(chromium) = chromium() else { return };
    let (site, _) = built();
    let p = site.path().join("public");
    assert!(p.join("vendor/mermaid.min.js").is_file());
    let dom = dump_dom(
        &chromium,
        &format!("file://{}", p.join("handbook/oncall/index.html").display()),
    );
    assert!(
        dom.contains("data-mermaid=\"done\""),
        "{}",
        &dom[..dom.len().min(2000)]
    );
    assert!(dom.contains("<svg"), "diagram drawn");
    assert!(dom.contains("一次対応"));
}

/// Issue 16, stage order: the import rewrite runs before kinds analyse a body, so a
/// postmortem with an MkDocs admonition, a GitHub alert and a Hugo shortcode keeps
/// its rendered timeline and action-item table, and a warning inside the rewritten
/// admonition still points at the author's line and column.
#[test]
fn imported_syntax_in_a_postmortem_keeps_its_timeline_and_action_table() {
    let pm = "---
title: DNS failures
date: 2025-02-03
status: draft
severity: SEV3
services: [payments-api]
started_at: 2025-02-01T08:00:00Z
---

## Summary

!!! note \"Context\"
    The careless rollout of a cache change.

> [!NOTE]
> Payments were retried.

{{< alert title=\"Heads up\" >}}
Low traffic on Saturday.
{{< /alert >}}

## Action Items

| Action | Type | Owner | Status |
|---|---|---|---|
| Alert on CoreDNS OOM kills | detect | @ops | open |

## Timeline

| Time | Event |
|---|---|
| 2025-02-01 07:58 | ConfigMap change applied |
| 2025-02-01 08:06 | CoreDNSErrors alert fires |
";
    let dir = site(&[
        ("site-config.toml", "title = \"t\"\nlanguage = \"en\"\n"),
        ("content/postmortems/dns.md", pm),
    ]);
    let (code, _out, err) = run({
        let mut c = srekb(dir.path());
        c.arg("build");
        c
    });
    assert_eq!(code, 0, "{err}");
    let html = read(&dir.path().join("public"), "postmortems/dns/index.html");
    assert!(html.contains("<ol class=\"timeline\">"), "{html}");
    assert!(html.contains("ConfigMap change applied"), "{html}");
    assert!(html.contains("<table class=\"action-items\">"), "{html}");
    assert!(html.contains("Alert on CoreDNS OOM kills"), "{html}");
    // The three imported constructs became callouts.
    assert!(html.matches("callout").count() >= 3, "{html}");
    // `careless` sits on line 13, column 9 of the file as written (the rewrite
    // turned the indented admonition body into a `> ` quote line).
    assert!(
        err.contains("content/postmortems/dns.md:13:9"),
        "blame warning at the original line:col: {err}"
    );
}
