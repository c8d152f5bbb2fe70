//! Runbooks: the page an alert links to. Typed front matter (service, alerts, owner,
//! review dates), staleness, leftover template placeholders, and one stable URL per
//! alert (`/runbooks/alerts/<AlertName>/`) for Prometheus' `runbook_url`.

pub mod alert_rules;
pub(crate) mod outputs;
mod scaffold;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::SiteConfig;
use crate::content::frontmatter::one_or_many;
use std::collections::BTreeMap;

use super::postmortem::Postmortem;
use super::{Analysis, AnalyzeCx, ContentKind, Pages, PrepareCx, Prepared, SearchFields, SiteRef};
use crate::content::{slug, Date, Kind, KindData, Library, Page, Target};
use crate::diagnostics::Diagnostics;
use crate::diagnostics::{Diagnostic, Span};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Meta {
    service: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    alerts: Vec<String>,
    severity: Option<String>,
    owner: Option<String>,
    last_reviewed: Option<String>,
    review_every: Option<i64>,
}

/// A postmortem that refers to this runbook.
#[derive(Debug, Clone, Serialize)]
pub struct UsedIn {
    pub title: String,
    pub href: String,
    pub severity: Option<String>,
    pub date: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Runbook {
    pub service: Option<String>,
    pub alerts: Vec<String>,
    pub severity: Option<String>,
    pub owner: Option<String>,
    pub last_reviewed: Option<NaiveDate>,
    pub review_every: i64,
    pub next_review: Option<NaiveDate>,
    pub stale: bool,
    pub days_since_review: Option<i64>,
    /// Filled after every page is analysed.
    pub used_in: Vec<UsedIn>,
}

/// Alert names as Prometheus allows them: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn valid_alert_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

pub fn analyze(page: &Page, config: &SiteConfig, today: NaiveDate) -> (Runbook, Vec<Diagnostic>) {
    let doc = &page.doc;
    let (meta, err): (Meta, _) = super::read_meta(page, "runbook");
    let mut diags: Vec<Diagnostic> = err.into_iter().collect();
    let mut push = |d: Diagnostic, span: Span| diags.push(d.at(&doc.source, span, &doc.text));
    let mut rb = Runbook {
        service: meta.service,
        severity: meta.severity,
        owner: meta.owner,
        review_every: meta.review_every.unwrap_or(config.runbook.review_every),
        ..Runbook::default()
    };
    for a in meta.alerts {
        let a = a.trim().to_string();
        if !valid_alert_name(&a) {
            push(
                Diagnostic::error(
                    "runbook",
                    format!("`{a}` is not a valid Prometheus alert name"),
                )
                .with_help("alert names match [a-zA-Z_:][a-zA-Z0-9_:]*"),
                doc.key_span("alerts"),
            );
            continue;
        }
        if !rb.alerts.contains(&a) {
            rb.alerts.push(a);
        }
    }
    if rb.owner.is_none() {
        push(
            Diagnostic::warning("runbook", "no `owner`: who keeps this runbook up to date?"),
            doc.key_span("title"),
        );
    }
    match meta.last_reviewed.as_deref() {
        None => push(
            Diagnostic::warning(
                "stale-runbook",
                "no `last_reviewed` date; the runbook counts as stale",
            )
            .with_help("add last_reviewed = YYYY-MM-DD after checking the steps still work"),
            doc.key_span("title"),
        ),
        Some(s) => match Date::parse(s, config.offset()) {
            Some(d) => {
                let d = d.date_naive();
                rb.last_reviewed = Some(d);
                rb.next_review = Some(d + chrono::Duration::days(rb.review_every));
                rb.days_since_review = Some((today - d).num_days());
            }
            None => push(
                Diagnostic::error(
                    "runbook",
                    format!("`last_reviewed`: `{s}` is not a date (YYYY-MM-DD)"),
                ),
                doc.key_span("last_reviewed"),
            ),
        },
    }
    rb.stale = match rb.next_review {
        Some(next) => next < today,
        None => true,
    };
    if let (Some(next), Some(last)) = (rb.next_review, rb.last_reviewed) {
        if next < today {
            push(
                Diagnostic::warning(
                    "stale-runbook",
                    format!(
                        "last reviewed {last}, more than {} days ago (review was due {next})",
                        rb.review_every
                    ),
                )
                .with_help("walk through the steps, fix what changed, and update last_reviewed"),
                doc.key_span("last_reviewed"),
            );
        }
    }
    // Leftover placeholders from `srekb new runbook`.
    let body = doc.body();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        for marker in &config.runbook.placeholder_markers {
            if let Some(i) = line.find(marker.as_str()) {
                let span = doc.body_span(offset + i);
                push(
                    Diagnostic::warning(
                        "placeholder",
                        format!("template placeholder left in the runbook: {}", line.trim()),
                    )
                    .with_help("replace it with the real content, or delete it"),
                    span,
                );
                break;
            }
        }
        offset += line.len();
    }
    (rb, diags)
}

/// `kind = "runbook"`.
pub const KIND: Kind = Kind::named("runbook");

/// The alerting rules configured for the site (the runbook kind's prepared state).
pub struct RuleSet {
    pub rules: Vec<alert_rules::Rule>,
}

/// The runbook kind: what to do when an alert fires.
pub struct RunbookKind;

impl ContentKind for RunbookKind {
    fn kind(&self) -> Kind {
        KIND
    }

    fn default_section(&self) -> Option<&'static str> {
        Some("runbooks")
    }

    /// The alerting rules of `[runbook] alert_rules`, read once per build for the
    /// coverage report and the rule checks (page analysis does not depend on them).
    fn prepare(&self, cx: &PrepareCx<'_>, diags: &Diagnostics) -> Option<Prepared> {
        let mut rules = Vec::new();
        for f in &cx.config.runbook.alert_rules {
            match alert_rules::load(&cx.root.join(f), std::path::Path::new(f)) {
                Ok(r) => rules.extend(r),
                Err(d) => diags.push(*d),
            }
        }
        Some(Prepared {
            state: std::sync::Arc::new(RuleSet { rules }),
            cache_key: Vec::new(),
        })
    }

    fn check(&self, site: &SiteRef<'_>, diags: &Diagnostics) {
        if let Some(set) = site.lib.state::<RuleSet>(KIND) {
            outputs::check_rules(site, &set.rules, false, diags);
        }
    }

    fn outputs(&self, site: &SiteRef<'_>, pages: &Pages<'_>) -> anyhow::Result<()> {
        outputs::render(site, pages)?;
        outputs::write_json(site, pages.out)
    }

    fn new_command(&self) -> Option<clap::Command> {
        use clap::{Arg, ArgAction};
        Some(
            clap::Command::new("runbook")
                .about("A runbook: `srekb new runbook \"PostgreSQL レプリケーション遅延\" --service payments-db --alert PostgresReplicationLag`.")
                .arg(Arg::new("title").value_name("TITLE").required(true).help("Title of the runbook."))
                .arg(Arg::new("service").long("service").value_name("SERVICE").help("The service the runbook is for."))
                .arg(Arg::new("alert").long("alert").value_name("ALERTS").action(ArgAction::Append).help("Alert name (repeatable)."))
                .arg(Arg::new("slug").long("slug").value_name("SLUG").help("File name (default: from the title).")),
        )
    }

    fn scaffold(
        &self,
        cx: &super::scaffold::ScaffoldCx<'_>,
        args: &clap::ArgMatches,
    ) -> anyhow::Result<i32> {
        let s = |id: &str| args.get_one::<String>(id).cloned();
        let alerts: Vec<String> = args
            .get_many::<String>("alert")
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        scaffold::runbook(
            cx,
            &s("title").unwrap_or_default(),
            s("service"),
            alerts,
            s("slug"),
        )
    }

    fn analyze(&self, page: &Page, cx: &AnalyzeCx<'_>, diags: &Diagnostics) -> Analysis {
        let (rb, ds) = analyze(page, cx.config, cx.today);
        diags.extend(ds);
        Analysis::data(rb)
    }

    fn link(&self, lib: &mut Library, _cx: &super::LinkCx<'_>, diags: &Diagnostics) {
        duplicate_alerts(lib, diags);
        runbook_backlinks(lib);
    }

    fn search_fields<'a>(&self, page: &'a Page) -> SearchFields<'a> {
        let Some(r) = page.data::<Runbook>() else {
            return SearchFields::default();
        };
        SearchFields {
            keywords: r
                .alerts
                .iter()
                .map(String::as_str)
                .chain(r.service.as_deref())
                .collect(),
            severity: None,
        }
    }
}

impl KindData for Runbook {
    crate::kind_data_basics!();
}

/// Each alert may have one runbook: Prometheus' `runbook_url` points at one page.
fn duplicate_alerts(lib: &Library, diags: &Diagnostics) {
    let mut owners: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in lib.pages.iter().enumerate() {
        if let Some(rb) = p.data::<Runbook>() {
            for a in &rb.alerts {
                owners.entry(a).or_default().push(i);
            }
        }
    }
    for (alert, pages) in owners.into_iter().filter(|(_, v)| v.len() > 1) {
        for &i in &pages {
            let doc = &lib.pages[i].doc;
            let others: Vec<String> = pages
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| lib.pages[j].doc.source.display().to_string())
                .collect();
            diags.push(
                Diagnostic::error("duplicate-alert", format!("alert `{alert}` is also claimed by {}", others.join(", ")))
                    .at(&doc.source, doc.key_span("alerts"), &doc.text)
                    .with_help("one alert, one runbook: move the steps into one page and link to it from the other"),
            );
        }
    }
}

/// Runbook pages list the postmortems that name them in `related`, or whose
/// detection alert is one of theirs.
fn runbook_backlinks(lib: &mut Library) {
    let mut by_alert: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in lib.pages.iter().enumerate() {
        if let Some(rb) = p.data::<Runbook>() {
            for a in &rb.alerts {
                by_alert.entry(a.clone()).or_insert(i);
            }
        }
    }
    let mut links: Vec<(usize, UsedIn)> = Vec::new();
    for p in &lib.pages {
        let Some(pm) = p.data::<Postmortem>() else {
            continue;
        };
        let used = UsedIn {
            title: p.doc.title.clone(),
            href: slug::encode_path(&p.doc.path),
            severity: pm.severity.clone(),
            date: pm.started_at.or(p.doc.date).map(|d| d.to_string_short()),
        };
        let mut targets: Vec<usize> = pm
            .related
            .iter()
            .filter_map(|r| match r.target {
                Some(Target::Page(t)) if lib.pages[t].kind == KIND => Some(t),
                _ => None,
            })
            .collect();
        if let Some(alert) = pm.detection.as_ref().and_then(|d| d.alert.as_ref()) {
            if let Some(&t) = by_alert.get(alert) {
                targets.push(t);
            }
        }
        targets.sort_unstable();
        targets.dedup();
        for t in targets {
            links.push((t, used.clone()));
        }
    }
    for (t, used) in links {
        if let Some(rb) = lib.pages[t].data_mut::<Runbook>() {
            rb.used_in.push(used);
        }
    }
    for p in &mut lib.pages {
        // One or no backlink is in order (and not copied out of serve's cache).
        if p.data::<Runbook>().is_some_and(|rb| rb.used_in.len() > 1) {
            if let Some(rb) = p.data_mut::<Runbook>() {
                rb.used_in.sort_by(|a, b| b.date.cmp(&a.date));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names() {
        assert!(valid_alert_name("PostgresReplicationLag"));
        assert!(valid_alert_name("job:errors:rate5m"));
        assert!(!valid_alert_name("1Bad"));
        assert!(!valid_alert_name("has space"));
        assert!(!valid_alert_name("<script>"));
    }
}
