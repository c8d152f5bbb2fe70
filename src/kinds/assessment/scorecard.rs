//! Scorecards: a team's latest assessment against the previous one and its targets,
//! area by area, with evidence the site itself holds (the team's postmortems,
//! runbooks and incidents) so a reader sees when a rating and the evidence disagree.

use chrono::NaiveDate;
use serde::Serialize;

use super::model::{Area, Model};
use crate::content::{slug, Library, Page};
use crate::kinds::assessment::Assessment;
use crate::kinds::postmortem::{DetectionSource, Status};

#[derive(Debug, Clone, Serialize)]
pub struct SiteEvidence {
    pub kind: String,
    pub facts: Vec<String>,
    pub links: Vec<(String, String)>,
    /// Set when the self-rating looks higher than the evidence supports.
    pub mismatch: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AreaRow {
    pub id: String,
    pub name: String,
    pub current: Option<u8>,
    pub previous: Option<u8>,
    /// "up", "down", "same" or "new".
    pub change: &'static str,
    pub target: u8,
    pub gap: i32,
    pub criterion: Option<String>,
    pub next: Option<String>,
    pub delegation_now: Option<String>,
    pub delegation_target: Option<String>,
    /// Target rank minus current rank (positive: more to hand over).
    pub delegation_gap: Option<i64>,
    pub evidence: Option<String>,
    pub site_evidence: Option<SiteEvidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub date: String,
    pub href: String,
    pub levels: Vec<Option<u8>>,
    pub average: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    pub team: String,
    pub name: String,
    pub latest: Option<String>,
    pub previous: Option<String>,
    pub days_since: Option<i64>,
    pub stale: bool,
    pub areas: Vec<AreaRow>,
    /// Area ids sorted by target − current, largest first.
    pub gaps: Vec<String>,
    pub history: Vec<HistoryEntry>,
    pub average: Option<f64>,
}

fn criterion(area: &Area, level: Option<u8>) -> Option<String> {
    level.and_then(|l| area.levels.get(l as usize - 1).cloned())
}

fn average(v: impl Iterator<Item = Option<u8>>) -> Option<f64> {
    let xs: Vec<f64> = v.flatten().map(f64::from).collect();
    if xs.is_empty() {
        None
    } else {
        Some((xs.iter().sum::<f64>() / xs.len() as f64 * 10.0).round() / 10.0)
    }
}

/// Evidence from the site for an area, for a team owning `services`.
fn evidence(
    lib: &Library,
    area: &Area,
    services: &[String],
    level: Option<u8>,
    ja: bool,
) -> Option<SiteEvidence> {
    let tr = |j: String, e: String| if ja { j } else { e };
    let kind = area.evidence.as_deref()?;
    if services.is_empty() {
        return None;
    }
    let mine = |svcs: &[String]| svcs.iter().any(|s| services.contains(s));
    let pms: Vec<(&Page, &crate::kinds::postmortem::Postmortem)> = lib
        .pages
        .iter()
        .filter_map(|p| {
            p.data::<crate::kinds::postmortem::Postmortem>()
                .map(|pm| (p, pm))
        })
        .filter(|(_, pm)| mine(&pm.services))
        .collect();
    let link = |p: &Page| (p.doc.title.clone(), slug::encode_path(&p.doc.path));
    let mut facts = Vec::new();
    let mut mismatch = None;
    let level = level.unwrap_or(0);
    let links;
    match kind {
        "postmortems" => {
            let reviewed = pms
                .iter()
                .filter(|(_, pm)| pm.status >= Status::Reviewed)
                .count();
            let items: usize = pms.iter().map(|(_, pm)| pm.action_items.len()).sum();
            let open: usize = pms.iter().map(|(_, pm)| pm.open_action_items).sum();
            let mut latency: Vec<f64> = pms
                .iter()
                .filter_map(|(_, pm)| pm.review_latency_days.map(|d| d as f64))
                .collect();
            let (median, _) = crate::render::charts::median_p90(&mut latency);
            facts.push(tr(
                format!("ポストモーテム {} 件（レビュー済み {reviewed}）", pms.len()),
                format!("postmortems: {} (reviewed {reviewed})", pms.len()),
            ));
            if items > 0 {
                facts.push(tr(
                    format!(
                        "完了したアクション {}/{items}（{}%）",
                        items - open,
                        (items - open) * 100 / items
                    ),
                    format!(
                        "action items closed: {}/{items} ({}%)",
                        items - open,
                        (items - open) * 100 / items
                    ),
                ));
            }
            if let Some(m) = median {
                facts.push(tr(
                    format!("レビューまでの日数の中央値 {m}"),
                    format!("median days to review: {m}"),
                ));
            }
            if level >= 2 && (pms.is_empty() || (items > 0 && (items - open) * 2 < items)) {
                mismatch = Some(tr(
                    "レベル 2 以上だが、ポストモーテムが少ないかアクションの完了が半分未満".into(),
                    "rated 2+ but few postmortems or under half of action items closed".into(),
                ));
            }
            links = pms.iter().map(|(p, _)| link(p)).collect();
        }
        "incidents" => {
            let with_source: Vec<DetectionSource> = pms
                .iter()
                .filter_map(|(_, pm)| pm.detection.as_ref().map(|d| d.source))
                .collect();
            let users = with_source
                .iter()
                .filter(|s| **s == DetectionSource::UserReport)
                .count();
            let mut ttd: Vec<f64> = pms
                .iter()
                .filter_map(|(_, pm)| pm.minutes_to_detect.map(|m| m as f64))
                .collect();
            let (median, _) = crate::render::charts::median_p90(&mut ttd);
            facts.push(tr(
                format!("インシデント {} 件", pms.len()),
                format!("incidents: {}", pms.len()),
            ));
            if !with_source.is_empty() {
                facts.push(tr(
                    format!("ユーザー報告で発見 {users}/{}", with_source.len()),
                    format!("found by user reports: {users}/{}", with_source.len()),
                ));
            }
            if let Some(m) = median {
                facts.push(tr(
                    format!("検知までの中央値 {m} 分"),
                    format!("median minutes to detect: {m}"),
                ));
            }
            if level >= 3 && users > 0 {
                mismatch = Some(tr(
                    "レベル 3 だが、ユーザー報告で見つかったインシデントがある".into(),
                    "rated 3 but some incidents were first reported by users".into(),
                ));
            }
            links = pms.iter().map(|(p, _)| link(p)).collect();
        }
        _ => {
            let rbs: Vec<(&Page, &crate::kinds::runbook::Runbook)> = lib
                .pages
                .iter()
                .filter_map(|p| p.data::<crate::kinds::runbook::Runbook>().map(|r| (p, r)))
                .filter(|(_, r)| r.service.as_ref().is_some_and(|s| services.contains(s)))
                .collect();
            let stale = rbs.iter().filter(|(_, r)| r.stale).count();
            let alerts: usize = rbs.iter().map(|(_, r)| r.alerts.len()).sum();
            facts.push(tr(
                format!(
                    "ランブック {} 件、アラート {alerts} 件をカバー（要見直し {stale}）",
                    rbs.len()
                ),
                format!(
                    "runbooks: {} covering {alerts} alerts ({stale} stale)",
                    rbs.len()
                ),
            ));
            if level >= 2 && (rbs.is_empty() || stale > 0) {
                mismatch = Some(tr(
                    "レベル 2 以上だが、ランブックがないか見直しが必要".into(),
                    "rated 2+ but runbooks are missing or stale".into(),
                ));
            }
            links = rbs.iter().map(|(p, _)| link(p)).collect();
        }
    }
    Some(SiteEvidence {
        kind: kind.to_string(),
        facts,
        links,
        mismatch,
    })
}

/// The scorecard of `team` from its assessments (oldest first).
pub fn team(
    model: &Model,
    lib: &Library,
    team: &str,
    assessments: &[(&Page, &Assessment)],
    today: NaiveDate,
    ja: bool,
) -> Scorecard {
    let latest = assessments.last().map(|(_, a)| *a);
    let previous = assessments.len().checked_sub(2).map(|i| assessments[i].1);
    let services = model
        .team(team)
        .map(|t| t.services.clone())
        .unwrap_or_default();
    let mut areas = Vec::new();
    for area in model.assessed() {
        let current = latest.and_then(|a| a.levels.get(&area.id).copied());
        let prev = previous.and_then(|a| a.levels.get(&area.id).copied());
        let target = latest
            .and_then(|a| a.targets.get(&area.id).copied())
            .unwrap_or_else(|| model.target_level(area));
        let change = match (current, prev) {
            (Some(c), Some(p)) if c > p => "up",
            (Some(c), Some(p)) if c < p => "down",
            (Some(_), Some(_)) => "same",
            _ => "new",
        };
        let now = latest.and_then(|a| a.delegation.get(&area.id).cloned());
        areas.push(AreaRow {
            id: area.id.clone(),
            name: area.name.clone(),
            current,
            previous: prev,
            change,
            target,
            gap: target as i32 - current.unwrap_or(0) as i32,
            criterion: criterion(area, current),
            next: criterion(area, current.map(|c| c + 1).or(Some(1))),
            delegation_gap: match (&now, &area.target_delegation) {
                (Some(n), Some(t)) => Some(
                    model.delegation_rank(t).unwrap_or(0) as i64
                        - model.delegation_rank(n).unwrap_or(0) as i64,
                ),
                _ => None,
            },
            delegation_now: now,
            delegation_target: area.target_delegation.clone(),
            evidence: latest.and_then(|a| a.evidence.get(&area.id).cloned()),
            site_evidence: evidence(lib, area, &services, current, ja),
        });
    }
    let mut gaps: Vec<&AreaRow> = areas.iter().filter(|a| a.gap > 0).collect();
    gaps.sort_by(|a, b| b.gap.cmp(&a.gap).then(a.id.cmp(&b.id)));
    let history = assessments
        .iter()
        .map(|(p, a)| {
            let levels: Vec<Option<u8>> = model
                .assessed()
                .map(|ar| a.levels.get(&ar.id).copied())
                .collect();
            HistoryEntry {
                date: a.date.map(|d| d.to_string()).unwrap_or_default(),
                href: slug::encode_path(&p.doc.path),
                average: average(levels.iter().copied()),
                levels,
            }
        })
        .collect();
    let days_since = latest.and_then(|a| a.date).map(|d| (today - d).num_days());
    Scorecard {
        team: team.to_string(),
        name: model
            .team(team)
            .map_or_else(|| team.to_string(), |t| t.name.clone()),
        latest: latest.and_then(|a| a.date).map(|d| d.to_string()),
        previous: previous.and_then(|a| a.date).map(|d| d.to_string()),
        days_since,
        stale: days_since.is_some_and(|d| d > model.reassess_every),
        average: average(areas.iter().map(|a| a.current)),
        gaps: gaps.iter().map(|a| a.id.clone()).collect(),
        areas,
        history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn model() -> Model {
        Model::parse(
            "delegation = [\"tell\", \"ask\", \"delegate\"]\n[[areas]]\nid = \"a\"\nname = \"A\"\nlevels = [\"a1\", \"a2\", \"a3\"]\ntarget_delegation = \"delegate\"\n[[areas]]\nid = \"b\"\nname = \"B\"\nlevels = [\"b1\", \"b2\", \"b3\"]\ntarget_level = 2\n",
            Path::new("m.toml"),
        )
        .unwrap()
    }

    fn assessment(date: &str, a: u8, b: u8) -> Assessment {
        Assessment {
            team: "t".into(),
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok(),
            levels: BTreeMap::from([("a".to_string(), a), ("b".to_string(), b)]),
            delegation: BTreeMap::from([("a".to_string(), "ask".to_string())]),
            ..Assessment::default()
        }
    }

    fn page() -> Page {
        Page {
            doc: crate::content::Document::synthesized(
                "maturity/t",
                "x".into(),
                "maturity/t/x/".into(),
            ),
            kind: crate::kinds::assessment::KIND,
            section: 0,
            slug: "x".into(),
            data: Default::default(),
            replacements: Vec::new(),
        }
    }

    #[test]
    fn deltas_next_level_targets_and_staleness() {
        let m = model();
        let lib = Library::default();
        let (p1, p2) = (page(), page());
        let (a1, a2) = (
            assessment("2025-01-01", 1, 2),
            assessment("2025-07-01", 2, 2),
        );
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let s = team(&m, &lib, "t", &[(&p1, &a1), (&p2, &a2)], today, false);
        let a = &s.areas[0];
        assert_eq!((a.current, a.previous, a.change), (Some(2), Some(1), "up"));
        assert_eq!(a.criterion.as_deref(), Some("a2"));
        assert_eq!(a.next.as_deref(), Some("a3"));
        assert_eq!(a.target, 3);
        assert_eq!(a.delegation_gap, Some(1));
        let b = &s.areas[1];
        assert_eq!(
            (b.change, b.gap, b.next.as_deref()),
            ("same", 0, Some("b3"))
        );
        assert_eq!(s.gaps, ["a"]);
        assert_eq!(s.days_since, Some(243));
        assert!(s.stale, "older than 180 days");
        assert_eq!(s.history.len(), 2);
        assert_eq!(s.history[1].average, Some(2.0));
        let fresh = team(
            &m,
            &lib,
            "t",
            &[(&p2, &a2)],
            NaiveDate::from_ymd_opt(2025, 8, 1).unwrap(),
            false,
        );
        assert!(!fresh.stale);
        assert_eq!(fresh.areas[0].change, "new");
    }
}
