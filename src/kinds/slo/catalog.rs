//! Across pages: which postmortems an SLO's budget is charged with, which alerts have
//! runbooks, postmortems naming SLOs that do not exist, and the catalogue per service
//! that the section page (from each page's list summary) and `slos.json` show.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::budget::{self, Incident, Ledger};
use super::model::Slo;

/// What an SLO needs to know of a postmortem.
#[derive(Debug, Clone)]
pub struct PmRef {
    pub incident: Incident,
    pub services: Vec<String>,
    /// SLO ids named in the postmortem's `slos` key.
    pub slos: Vec<String>,
}

/// A postmortem counts against an SLO when it names the SLO in `slos`, or names no SLO
/// and lists the SLO's service in `services`.
pub fn concerns(pm: &PmRef, slo: &Slo) -> bool {
    if !pm.slos.is_empty() {
        return pm.slos.contains(&slo.id);
    }
    slo.service
        .as_ref()
        .is_some_and(|svc| pm.services.iter().any(|s| s == svc))
}

/// The budget and its ledger for the window containing `now`; `None` while the
/// objective or the window is invalid (already reported).
pub fn ledger(slo: &Slo, now: DateTime<FixedOffset>, pms: &[PmRef]) -> Option<Ledger> {
    let (objective, window) = (slo.objective?, slo.window?);
    let bounds = window.bounds(now);
    let minutes = (bounds.1 - bounds.0).num_minutes();
    let incidents: Vec<Incident> = pms
        .iter()
        .filter(|pm| concerns(pm, slo))
        .map(|pm| pm.incident.clone())
        .collect();
    Some(budget::ledger(
        budget::budget_minutes(minutes, objective),
        bounds,
        &incidents,
    ))
}

/// An alert guarding an SLO, with the runbook that answers it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertLink {
    pub name: String,
    pub runbook_title: Option<String>,
    /// Site path of the runbook page (relative to the root).
    pub runbook_href: Option<String>,
}

/// Looks up each alert's runbook (`(title, href)`) through the runbook kind's index.
pub fn alert_links(
    slo: &Slo,
    runbook_of: impl Fn(&str) -> Option<(String, String)>,
) -> Vec<AlertLink> {
    slo.alerts
        .iter()
        .map(|a| {
            let rb = runbook_of(a);
            AlertLink {
                name: a.clone(),
                runbook_title: rb.as_ref().map(|r| r.0.clone()),
                runbook_href: rb.map(|r| r.1),
            }
        })
        .collect()
}

/// `slos = [...]` names in postmortems that match no SLO: (postmortem index, name).
pub fn unknown_refs<'a>(known: &BTreeSet<&str>, pms: &'a [PmRef]) -> Vec<(usize, &'a str)> {
    pms.iter()
        .enumerate()
        .flat_map(|(i, pm)| pm.slos.iter().map(move |s| (i, s.as_str())))
        .filter(|(_, s)| !known.contains(s))
        .collect()
}

/// One SLO as listed in the catalogue and in `slos.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    pub title: String,
    /// Site path (relative to the root) of the SLO's page.
    pub href: String,
    pub service: Option<String>,
    #[serde(serialize_with = "budget::whole_opt")]
    pub objective: Option<f64>,
    pub window: Option<String>,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    #[serde(serialize_with = "budget::whole_opt")]
    pub budget_minutes: Option<f64>,
    #[serde(serialize_with = "budget::whole_opt")]
    pub burned_minutes: Option<f64>,
    #[serde(serialize_with = "budget::whole_opt")]
    pub remaining_minutes: Option<f64>,
    #[serde(serialize_with = "budget::whole_opt")]
    pub remaining_percent: Option<f64>,
    pub owners: Vec<String>,
    pub alerts: Vec<AlertLink>,
    pub postmortems: Vec<budget::Burn>,
    /// `markdown` or `openslo`.
    pub source: &'static str,
}

impl Entry {
    pub fn new(
        slo: &Slo,
        title: &str,
        href: &str,
        ledger: Option<&Ledger>,
        alerts: Vec<AlertLink>,
        source: &'static str,
    ) -> Entry {
        Entry {
            id: slo.id.clone(),
            title: title.to_string(),
            href: href.to_string(),
            service: slo.service.clone(),
            objective: slo.objective,
            window: slo.window_label.clone(),
            window_start: ledger.map(|l| l.window_start.clone()),
            window_end: ledger.map(|l| l.window_end.clone()),
            budget_minutes: ledger.map(|l| l.budget_minutes),
            burned_minutes: ledger.map(|l| l.burned_minutes),
            remaining_minutes: ledger.map(|l| l.remaining_minutes),
            remaining_percent: ledger.map(|l| l.remaining_percent),
            owners: slo.owners.clone(),
            alerts,
            postmortems: ledger.map(|l| l.incidents.clone()).unwrap_or_default(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{resolve, Meta};
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn slo(id: &str, service: &str) -> Slo {
        let meta: Meta = serde_json::from_value(json!({
            "service": service, "objective": 99.9, "window": "28d",
            "alerts": ["A", "B"], "sli": "x"
        }))
        .unwrap();
        resolve(id, meta).0
    }

    fn pm(start: &str, services: &[&str], slos: &[&str], consumed: &str) -> PmRef {
        PmRef {
            incident: Incident {
                title: start.into(),
                href: start.into(),
                severity: None,
                started: at(start),
                impact_end: None,
                consumed: Some(consumed.into()),
            },
            services: services.iter().map(|s| s.to_string()).collect(),
            slos: slos.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn incidents_by_service_or_by_name() {
        let avail = slo("checkout-availability", "payments-api");
        let latency = slo("checkout-latency", "payments-api");
        let pms = vec![
            pm("2026-11-20T00:00:00Z", &["payments-api"], &[], "10"),
            pm(
                "2026-11-21T00:00:00Z",
                &["payments-api"],
                &["checkout-latency"],
                "7",
            ),
            pm("2026-11-22T00:00:00Z", &["search"], &[], "99"),
            pm("2026-10-01T00:00:00Z", &["payments-api"], &[], "99"),
        ];
        let now = at("2026-12-01T00:00:00Z");
        let a = ledger(&avail, now, &pms).unwrap();
        assert_eq!(a.burned_minutes, 10.0);
        assert_eq!(a.budget_minutes, 40.32);
        let l = ledger(&latency, now, &pms).unwrap();
        assert_eq!(l.burned_minutes, 17.0);
        let known: BTreeSet<&str> = ["checkout-availability"].into();
        assert_eq!(unknown_refs(&known, &pms), vec![(1, "checkout-latency")]);
    }

    #[test]
    fn alerts_find_their_runbooks() {
        let s = slo("a", "svc");
        let links = alert_links(&s, |a| {
            (a == "A").then(|| ("RB".into(), "runbooks/a/".into()))
        });
        assert_eq!(links[0].runbook_href.as_deref(), Some("runbooks/a/"));
        assert_eq!(links[1].runbook_href, None);
    }
}

/// `slos.json`: every SLO with absolute URLs (`base_url` + site path) for its page,
/// its alerts' runbooks and the postmortems charged to it.
pub fn json(entries: &[Entry], base_url: &str) -> serde_json::Value {
    let base = base_url.trim_end_matches('/');
    let abs = |href: &str| serde_json::Value::String(format!("{base}/{href}"));
    let slos: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            v["url"] = abs(&e.href);
            for (i, a) in e.alerts.iter().enumerate() {
                v["alerts"][i]["runbook_url"] = a
                    .runbook_href
                    .as_deref()
                    .map_or(serde_json::Value::Null, abs);
            }
            for (i, p) in e.postmortems.iter().enumerate() {
                v["postmortems"][i]["url"] = abs(&p.href);
            }
            v
        })
        .collect();
    serde_json::json!({ "slos": slos })
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn urls_are_absolute() {
        let (slo, _) = super::super::model::resolve(
            "a",
            serde_json::from_value(serde_json::json!({"service": "s", "objective": 99, "window": "1h", "alerts": ["X"]})).unwrap(),
        );
        let links = alert_links(&slo, |_| Some(("RB".into(), "runbooks/x/".into())));
        let e = Entry::new(&slo, "A", "slos/a/", None, links, "markdown");
        let v = json(&[e], "https://kb.example/");
        assert_eq!(v["slos"][0]["url"], "https://kb.example/slos/a/");
        assert_eq!(
            v["slos"][0]["alerts"][0]["runbook_url"],
            "https://kb.example/runbooks/x/"
        );
        assert_eq!(v["slos"][0]["objective"], 99);
        assert_eq!(v["slos"][0]["objective"].to_string(), "99");
    }
}
