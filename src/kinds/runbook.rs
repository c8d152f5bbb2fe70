//! Runbooks: the page an alert links to. Typed front matter (service, alerts, owner,
//! review dates), staleness, leftover template placeholders, and one stable URL per
//! alert (`/runbooks/alerts/<AlertName>/`) for Prometheus' `runbook_url`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::SiteConfig;
use crate::content::frontmatter::one_or_many;
use crate::content::{Date, Page};
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
