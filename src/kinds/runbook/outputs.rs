//! Site-wide runbook outputs: one stable page per alert (`runbooks/alerts/<Alert>/`,
//! for Prometheus' `runbook_url`), the alert index, `runbooks/alerts.json`, and the
//! coverage report against the configured rule files; plus the rule-file checks.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::content::Page;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::kinds::runbook::alert_rules::Rule;
use crate::kinds::runbook::Runbook;
use crate::markdown::links;
use crate::output::Output;
use crate::render::site::{out_file, Pages, SiteRef};
use crate::render::views;

fn rb_section(site: &SiteRef<'_>) -> Option<usize> {
    site.top_section(crate::kinds::runbook::KIND)
}

fn runbooks<'a>(site: &SiteRef<'a>) -> Vec<(&'a Page, &'a Runbook)> {
    let mut v: Vec<(&Page, &Runbook)> = site
        .lib
        .pages
        .iter()
        .filter_map(|p| p.data::<crate::kinds::runbook::Runbook>().map(|r| (p, r)))
        .collect();
    v.sort_by(|a, b| a.0.doc.title.cmp(&b.0.doc.title));
    v
}

/// The URL segment of an alert: its name as written (Prometheus names are ASCII),
/// with `:` (legal in names, confusing in relative URLs) as `_`.
pub fn alert_segment(alert: &str) -> String {
    alert.replace(':', "_")
}

/// Site path of an alert's stable page.
pub fn alert_path(site: &SiteRef<'_>, alert: &str) -> Option<String> {
    let si = rb_section(site)?;
    Some(format!(
        "{}alerts/{}/",
        site.lib.sections[si].doc.path,
        alert_segment(alert)
    ))
}

#[derive(Serialize)]
struct AlertEntry<'a> {
    alert: &'a str,
    /// Relative href of the stable alert page.
    href: String,
    /// Absolute URL for `runbook_url`.
    url: String,
    runbook: &'a str,
    runbook_href: String,
    runbook_url: String,
    service: Option<&'a str>,
    owner: Option<&'a str>,
    severity: Option<&'a str>,
    stale: bool,
}

fn entries<'a>(site: &'a SiteRef<'a>, rbs: &[(&'a Page, &'a Runbook)]) -> Vec<AlertEntry<'a>> {
    let mut v = Vec::new();
    for (p, rb) in rbs {
        for a in &rb.alerts {
            let Some(path) = alert_path(site, a) else {
                continue;
            };
            v.push(AlertEntry {
                alert: a,
                href: views::site_href(&path),
                url: site.url(&path),
                runbook: &p.doc.title,
                runbook_href: views::site_href(&p.doc.path),
                runbook_url: site.url(&p.doc.path),
                service: rb.service.as_deref(),
                owner: rb.owner.as_deref(),
                severity: rb.severity.as_deref(),
                stale: rb.stale,
            });
        }
    }
    v.sort_by(|a, b| a.alert.cmp(b.alert));
    v
}

pub(crate) fn render(site: &SiteRef<'_>, pages: &Pages<'_>) -> Result<()> {
    let (renderer, ctx, home) = (pages.renderer, pages.cx, pages.home);
    let Some(si) = rb_section(site) else {
        return Ok(());
    };
    let rules: &[Rule] = site
        .lib
        .state::<super::RuleSet>(super::KIND)
        .map_or(&[], |s| &s.rules);
    let section = &site.lib.sections[si];
    let base = section.doc.path.clone();
    let rbs = runbooks(site);
    let all = entries(site, &rbs);
    let config = &site.config;
    let render_to = |template: &str, c: &tera::Context, file: &str| -> Result<()> {
        pages.render(template, c, file)
    };
    let crumbs = |extra: &[(&str, String)]| {
        let mut t: Vec<(&str, &str)> = vec![(&section.doc.title, &base)];
        t.extend(extra.iter().map(|(title, p)| (*title, p.as_str())));
        views::trail(home, &t)
    };
    let alerts_path = format!("{base}alerts/");
    let alerts_title = renderer.t("rb.alerts");
    for e in &all {
        let path = format!("{alerts_path}{}/", alert_segment(e.alert));
        let root = links::root_prefix(&path);
        let mut c = ctx.base(&path, &root, &config.base_url);
        c.insert("alert", e);
        c.insert(
            "breadcrumbs",
            &crumbs(&[(alerts_title, alerts_path.clone()), (e.alert, path.clone())]),
        );
        render_to("runbook-alert.html", &c, &out_file(&path))?;
    }
    let root = links::root_prefix(&alerts_path);
    let mut c = ctx.base(&alerts_path, &root, &config.base_url);
    c.insert("alerts", &all);
    c.insert("base_href", &views::site_href(&base));
    c.insert(
        "breadcrumbs",
        &crumbs(&[(alerts_title, alerts_path.clone())]),
    );
    render_to("runbook-alerts.html", &c, &out_file(&alerts_path))?;

    // Coverage against the configured rule files.
    let covered: BTreeMap<&str, &AlertEntry> = all.iter().map(|e| (e.alert, e)).collect();
    #[derive(Serialize)]
    struct Row<'a> {
        alert: &'a str,
        group: &'a str,
        severity: &'a str,
        file: String,
        runbook: Option<&'a str>,
        href: Option<String>,
    }
    let rows: Vec<Row> = rules
        .iter()
        .map(|r| Row {
            alert: &r.alert,
            group: &r.group,
            severity: r.severity.as_deref().unwrap_or("none"),
            file: r.file.display().to_string(),
            runbook: covered.get(r.alert.as_str()).map(|e| e.runbook),
            href: covered
                .get(r.alert.as_str())
                .map(|e| e.runbook_href.clone()),
        })
        .collect();
    let mut by_severity: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in &rows {
        let e = by_severity.entry(r.severity).or_default();
        e.0 += 1;
        if r.runbook.is_some() {
            e.1 += 1;
        }
    }
    let severity_rows: Vec<serde_json::Value> = by_severity
        .iter()
        .map(|(s, (total, with))| serde_json::json!({ "severity": s, "total": total, "covered": with, "missing": total - with, "percent": if *total == 0 { 100 } else { with * 100 / total } }))
        .collect();
    let known: std::collections::BTreeSet<&str> = rules.iter().map(|r| r.alert.as_str()).collect();
    let orphaned: Vec<&AlertEntry> = if rules.is_empty() {
        Vec::new()
    } else {
        all.iter().filter(|e| !known.contains(e.alert)).collect()
    };
    let path = format!("{base}coverage/");
    let root = links::root_prefix(&path);
    let mut c = ctx.base(&path, &root, &config.base_url);
    c.insert("rules", &rows);
    c.insert("by_severity", &severity_rows);
    c.insert("orphaned", &orphaned);
    c.insert("rule_files", &config.runbook.alert_rules);
    c.insert(
        "covered",
        &rows.iter().filter(|r| r.runbook.is_some()).count(),
    );
    c.insert("base_href", &views::site_href(&base));
    c.insert(
        "breadcrumbs",
        &crumbs(&[(renderer.t("rb.coverage"), path.clone())]),
    );
    render_to("runbook-coverage.html", &c, &out_file(&path))?;
    Ok(())
}

pub(crate) fn write_json(site: &SiteRef<'_>, out: &Output) -> Result<()> {
    let Some(si) = rb_section(site) else {
        return Ok(());
    };
    let rbs = runbooks(site);
    let all = entries(site, &rbs);
    let map: BTreeMap<&str, serde_json::Value> = all
        .iter()
        .map(|e| (e.alert, serde_json::json!({ "url": e.url, "runbook": e.runbook, "runbook_url": e.runbook_url, "service": e.service, "owner": e.owner, "severity": e.severity, "stale": e.stale })))
        .collect();
    let path = format!("{}alerts.json", site.lib.sections[si].doc.path);
    out.write(&path, &crate::output::json_bytes(&map, true)?)
}

/// Alerts in rule files without a runbook, `runbook_url`s that point elsewhere, and
/// runbooks for alerts that no rule defines. `as_errors` for `check --alert-rules`.
pub fn check_rules(site: &SiteRef<'_>, rules: &[Rule], as_errors: bool, diags: &Diagnostics) {
    let mk = |code: &'static str, msg: String| {
        if as_errors {
            Diagnostic::error(code, msg)
        } else {
            Diagnostic::warning(code, msg)
        }
    };
    let rbs = runbooks(site);
    let mut by_alert: BTreeMap<&str, &Page> = BTreeMap::new();
    for (p, rb) in &rbs {
        for a in &rb.alerts {
            by_alert.entry(a).or_insert(p);
        }
    }
    let base = site.config.base_url.trim_end_matches('/');
    // A relative runbook_url is read against `[runbook] url_base` (default: base_url).
    let url_base = site.config.runbook.url_base.as_deref().unwrap_or(base);
    for r in rules {
        match by_alert.get(r.alert.as_str()) {
            None => diags.push(
                r.diagnostic(mk(
                    "alert-without-runbook",
                    format!("alert `{}` has no runbook", r.alert),
                ))
                .with_help(format!(
                "run `srekb new runbook \"<title>\" --alert {}`, or add it to a runbook's `alerts`",
                r.alert
            )),
            ),
            Some(page) => {
                let stable = alert_path(site, &r.alert)
                    .map(|p| crate::render::views::absolute_url(base, &p))
                    .unwrap_or_default();
                let direct = crate::render::views::absolute_url(base, &page.doc.path);
                match &r.runbook_url {
                    Some(_) if r.url_matches(&[&stable, &direct], url_base) => {}
                    Some(u) => diags.push(
                        r.diagnostic(mk(
                            "runbook-url",
                            format!(
                                "runbook_url of `{}` is `{u}`, not the runbook's URL",
                                r.alert
                            ),
                        ))
                        .with_help(format!("set runbook_url: {stable}")),
                    ),
                    None => diags.push(
                        r.diagnostic(Diagnostic::warning(
                            "runbook-url",
                            format!("alert `{}` has no runbook_url annotation", r.alert),
                        ))
                        .with_help(format!("add runbook_url: {stable}")),
                    ),
                }
            }
        }
    }
    if !rules.is_empty() {
        let known: std::collections::BTreeSet<&str> =
            rules.iter().map(|r| r.alert.as_str()).collect();
        for (p, rb) in &rbs {
            for a in rb.alerts.iter().filter(|a| !known.contains(a.as_str())) {
                diags.push(
                    Diagnostic::warning(
                        "orphan-runbook",
                        format!("runbook lists alert `{a}`, which no rule file defines"),
                    )
                    .at(&p.doc.source, p.doc.key_span("alerts"), &p.doc.text)
                    .with_help("remove the alert from `alerts`, or check the rule files"),
                );
            }
        }
    }
}
