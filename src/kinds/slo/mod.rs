//! Service level objectives (`kind = "slo"`): an SLO per page or per OpenSLO `SLO`
//! resource, its error budget over the current window, the incidents that burned it,
//! and a catalogue per service.

pub mod budget;
pub mod catalog;
pub mod chart;
pub mod kind;
pub mod model;
pub mod openslo;
pub mod scaffold;
pub mod window;

pub use kind::{SloKind, KIND};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde::Serialize;
use serde_json::{Map, Value};

use budget::Ledger;
use catalog::{AlertLink, PmRef};
use model::{At, Meta, Problem, Slo};

/// The front-matter keys of an SLO page, for locating a wrong type at its key.
const KEYS: [&str; 7] = [
    "service",
    "sli",
    "objective",
    "window",
    "error_budget_policy",
    "owners",
    "alerts",
];

/// Reads and checks an SLO page's front matter (`extra` keys). A value of the wrong
/// type is reported at its key and the rest is still checked.
pub fn from_front_matter(id: &str, extra: &Map<String, Value>) -> (Slo, Vec<Problem>) {
    let mut map = extra.clone();
    let mut problems = Vec::new();
    // Each key alone, so one bad value does not hide the others.
    for key in KEYS {
        let Some(v) = map.get(key) else { continue };
        let one = Value::Object(Map::from_iter([(key.to_string(), v.clone())]));
        if let Err(e) = serde_path_to_error::deserialize::<_, Meta>(&one) {
            let path = e.path().to_string();
            problems.push(Problem::error(
                At::Key(key),
                format!("front matter key `{path}`: {}", e.into_inner()),
            ));
            map.remove(key);
        }
    }
    let meta: Meta = serde_json::from_value(Value::Object(map)).unwrap_or_default();
    let (slo, more) = model::resolve(id, meta);
    problems.extend(more);
    (slo, problems)
}

/// "Now" for a build on `today`: the end of that day, so today's incidents count.
pub fn now(today: NaiveDate, offset: FixedOffset) -> DateTime<FixedOffset> {
    let next = today.succ_opt().unwrap_or(today);
    offset
        .from_local_datetime(&next.and_time(NaiveTime::MIN))
        .single()
        .unwrap_or_else(|| offset.from_utc_datetime(&next.and_time(NaiveTime::MIN)))
}

/// Everything an SLO page shows, serialised for its template and for `slos.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SloData {
    pub slo: Slo,
    pub title: String,
    pub description: Option<String>,
    /// `markdown` or `openslo`.
    pub source: &'static str,
    pub alerts: Vec<AlertLink>,
    pub ledger: Option<Ledger>,
    /// The burn chart (inline SVG), when the budget is known.
    pub chart: Option<String>,
    #[serde(skip)]
    pub span: Option<crate::diagnostics::Span>,
}

/// An SLO as read from its page or OpenSLO file, before it is linked to other pages.
#[derive(Debug, Clone)]
pub struct Found {
    pub slo: Slo,
    pub title: String,
    pub description: Option<String>,
    /// `markdown` or `openslo`.
    pub source: &'static str,
    /// Where an OpenSLO SLO starts in its file (markdown pages locate keys instead).
    pub span: Option<crate::diagnostics::Span>,
}

/// Strings the chart needs in the site's language: (title, description with `{n}`).
pub struct ChartText<'a> {
    pub title: &'a str,
    pub desc: &'a str,
}

/// Links an SLO to the other pages: its incidents in the current window, its budget,
/// its alerts' runbooks. Returns the names of alerts without a runbook.
pub fn link(
    found: Found,
    now: DateTime<FixedOffset>,
    pms: &[PmRef],
    runbook_of: impl Fn(&str) -> Option<(String, String)>,
    text: &ChartText<'_>,
) -> (SloData, Vec<String>) {
    let Found {
        slo,
        title,
        description,
        source,
        span,
    } = found;
    let ledger = catalog::ledger(&slo, now, pms);
    let alerts = catalog::alert_links(&slo, runbook_of);
    let missing = alerts
        .iter()
        .filter(|a| a.runbook_href.is_none())
        .map(|a| a.name.clone())
        .collect();
    let chart = ledger.as_ref().map(|l| {
        let desc = text.desc.replace("{n}", &l.incidents.len().to_string());
        chart::burn_chart(
            &format!("burn-{}", slug_id(&slo.id)),
            l,
            now,
            text.title,
            &desc,
        )
    });
    (
        SloData {
            slo,
            title,
            description,
            source,
            alerts,
            ledger,
            chart,
            span,
        },
        missing,
    )
}

/// An id safe inside an XML id attribute.
fn slug_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

impl SloData {
    /// The catalogue / `slos.json` row of this SLO, whose page is at `href`.
    pub fn entry(&self, href: &str) -> catalog::Entry {
        catalog::Entry::new(
            &self.slo,
            &self.title,
            href,
            self.ledger.as_ref(),
            self.alerts.clone(),
            self.source,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_types_are_reported_at_their_key_and_the_rest_is_checked() {
        let extra = json!({"service": ["a"], "objective": 120, "window": "28d", "sli": "x"});
        let (slo, problems) = from_front_matter("s", extra.as_object().unwrap());
        let keys: Vec<&At> = problems.iter().map(|p| &p.at).collect();
        assert!(keys.contains(&&At::Key("service")), "{problems:?}");
        assert!(keys.contains(&&At::Key("objective")), "{problems:?}");
        assert_eq!(slo.window_label.as_deref(), Some("28d"));
    }

    #[test]
    fn now_is_the_end_of_today() {
        let off = FixedOffset::east_opt(9 * 3600).unwrap();
        let n = now(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), off);
        assert_eq!(n.to_rfc3339(), "2026-11-23T00:00:00+09:00");
    }

    #[test]
    fn link_reports_alerts_without_runbooks() {
        let extra = json!({"service": "a", "objective": 99.9, "window": "28d", "sli": "x", "alerts": ["A", "B"]});
        let (slo, _) = from_front_matter("s", extra.as_object().unwrap());
        let off = FixedOffset::east_opt(0).unwrap();
        let now = now(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), off);
        let text = ChartText {
            title: "t",
            desc: "{n} incidents",
        };
        let found = Found {
            slo,
            title: "T".into(),
            description: None,
            source: "markdown",
            span: None,
        };
        let (data, missing) = link(
            found,
            now,
            &[],
            |a| (a == "A").then(|| ("RB".into(), "runbooks/a/".into())),
            &text,
        );
        assert_eq!(missing, vec!["B"]);
        assert!(data.chart.as_deref().unwrap().contains("0 incidents"));
        assert_eq!(data.entry("slos/s/").budget_minutes, Some(40.32));
    }
}
