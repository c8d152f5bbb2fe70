//! Error-budget arithmetic: the budget of an objective over a window, the budget each
//! incident burned (from the postmortem's `error_budget_consumed`, else its impact
//! duration), and what remains.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

/// Reads an objective written as `99.9`, `"99.9%"` or `"99.9 %"`; it must lie strictly
/// between 0 and 100 (100 % leaves no budget, 0 % promises nothing).
pub fn parse_objective(v: &serde_json::Value) -> Result<f64, String> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("`{v}` is not a percentage such as 99.9"))?;
    check_objective(n)
}

/// Checks a percentage objective: finite and in (0, 100).
pub fn check_objective(n: f64) -> Result<f64, String> {
    if n.is_finite() && n > 0.0 && n < 100.0 {
        Ok(n)
    } else {
        Err(format!(
            "objective {n} % is outside (0, 100): write a percentage such as 99.9"
        ))
    }
}

/// Serialises a whole number as an integer (`52`, not `52.0`): pages and JSON show
/// minutes and percentages as people write them.
pub fn whole<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

/// [`whole`] for an optional number.
pub fn whole_opt<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => whole(v, s),
        None => s.serialize_none(),
    }
}

/// Minutes of allowed unreliability in a window: `window × (1 − objective / 100)`.
pub fn budget_minutes(window_minutes: i64, objective: f64) -> f64 {
    window_minutes as f64 * (1.0 - objective / 100.0)
}

/// How an incident's burn was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BurnSource {
    /// `error_budget_consumed` in minutes.
    Minutes,
    /// `error_budget_consumed` as a percentage of this SLO's budget.
    Percent,
    /// Minutes from `started_at` to `mitigated_at` (or `resolved_at`).
    ImpactWindow,
    /// Nothing to go on: counted as zero.
    Unknown,
}

/// What the budget calculation needs from a postmortem.
#[derive(Debug, Clone)]
pub struct Incident {
    pub title: String,
    pub href: String,
    pub severity: Option<String>,
    pub started: DateTime<FixedOffset>,
    /// `mitigated_at`, else `resolved_at`.
    pub impact_end: Option<DateTime<FixedOffset>>,
    /// `error_budget_consumed` as written (`"52 min"`, `"12%"`, `"月間エラーバジェットの 310%"`).
    pub consumed: Option<String>,
}

/// One incident's share of a budget.
#[derive(Debug, Clone, Serialize)]
pub struct Burn {
    pub title: String,
    pub href: String,
    pub severity: Option<String>,
    pub started: String,
    /// Day of the incident as `YYYY-MM-DD`.
    pub date: String,
    #[serde(serialize_with = "whole")]
    pub burned_minutes: f64,
    pub source: BurnSource,
    /// Budget left after this incident, in minutes and percent of the budget.
    #[serde(serialize_with = "whole")]
    pub remaining_after: f64,
    #[serde(serialize_with = "whole")]
    pub remaining_after_percent: f64,
    #[serde(skip)]
    pub at: Option<DateTime<FixedOffset>>,
}

/// The first number in `s` (ASCII or full-width digits, with a decimal point).
fn first_number(s: &str) -> Option<f64> {
    let folded: String = s
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '％' => '%',
            c => c,
        })
        .collect();
    let start = folded.find(|c: char| c.is_ascii_digit())?;
    let rest = &folded[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].trim_end_matches('.').parse().ok()
}

/// Reads `error_budget_consumed`: a percentage of the budget when it holds `%`, else
/// minutes (a number, `"52 min"`, `"52分"`, `"1.5h"`/`"2時間"` as hours).
pub fn parse_consumed(s: &str, budget: f64) -> Option<(f64, BurnSource)> {
    let n = first_number(s)?;
    if s.contains('%') || s.contains('％') {
        return Some((budget * n / 100.0, BurnSource::Percent));
    }
    let lower = s.to_lowercase();
    let hours = lower.contains("時間")
        || lower
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
            .starts_with('h');
    Some((if hours { n * 60.0 } else { n }, BurnSource::Minutes))
}

/// The budget one incident burned.
pub fn burned(incident: &Incident, budget: f64) -> (f64, BurnSource) {
    if let Some(found) = incident
        .consumed
        .as_deref()
        .and_then(|s| parse_consumed(s, budget))
    {
        return found;
    }
    match incident.impact_end {
        Some(end) if end >= incident.started => (
            (end - incident.started).num_seconds() as f64 / 60.0,
            BurnSource::ImpactWindow,
        ),
        _ => (0.0, BurnSource::Unknown),
    }
}

/// The budget's state in the current window.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    pub window_start: String,
    pub window_end: String,
    #[serde(serialize_with = "whole")]
    pub budget_minutes: f64,
    #[serde(serialize_with = "whole")]
    pub burned_minutes: f64,
    /// Negative when the budget is overspent.
    #[serde(serialize_with = "whole")]
    pub remaining_minutes: f64,
    #[serde(serialize_with = "whole")]
    pub remaining_percent: f64,
    pub incidents: Vec<Burn>,
    #[serde(skip)]
    pub bounds: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Charges the incidents that started inside `[start, end)` to `budget`, oldest first.
pub fn ledger(
    budget: f64,
    (start, end): (DateTime<FixedOffset>, DateTime<FixedOffset>),
    incidents: &[Incident],
) -> Ledger {
    let mut inside: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.started >= start && i.started < end)
        .collect();
    inside.sort_by(|a, b| a.started.cmp(&b.started).then(a.href.cmp(&b.href)));
    let pct = |left: f64| {
        if budget > 0.0 {
            round2(left / budget * 100.0)
        } else {
            0.0
        }
    };
    let mut left = budget;
    let mut burns = Vec::new();
    for i in inside {
        let (m, source) = burned(i, budget);
        left -= m;
        burns.push(Burn {
            title: i.title.clone(),
            href: i.href.clone(),
            severity: i.severity.clone(),
            started: i.started.to_rfc3339(),
            date: i.started.format("%Y-%m-%d").to_string(),
            burned_minutes: round2(m),
            source,
            remaining_after: round2(left),
            remaining_after_percent: pct(left),
            at: Some(i.started),
        });
    }
    Ledger {
        window_start: start.to_rfc3339(),
        window_end: end.to_rfc3339(),
        budget_minutes: round2(budget),
        burned_minutes: round2(budget - left),
        remaining_minutes: round2(left),
        remaining_percent: pct(left),
        incidents: burns,
        bounds: Some((start, end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn incident(start: &str, end: Option<&str>, consumed: Option<&str>) -> Incident {
        Incident {
            title: start.into(),
            href: format!("pm/{start}/"),
            severity: None,
            started: at(start),
            impact_end: end.map(at),
            consumed: consumed.map(str::to_string),
        }
    }

    #[test]
    fn objectives() {
        assert_eq!(parse_objective(&json!(99.9)), Ok(99.9));
        assert_eq!(parse_objective(&json!("99.95 %")), Ok(99.95));
        assert_eq!(parse_objective(&json!(99)), Ok(99.0));
        for bad in [
            json!(100),
            json!(0),
            json!(-1),
            json!(100.5),
            json!("abc"),
            json!(true),
        ] {
            assert!(parse_objective(&bad).is_err(), "{bad}");
        }
        assert!(parse_objective(&json!(100))
            .unwrap_err()
            .contains("(0, 100)"));
    }

    #[test]
    fn budget_of_common_objectives() {
        // 99.9 % over 28 days: 40.32 minutes; over 30 days: 43.2 minutes.
        assert!((budget_minutes(28 * 1440, 99.9) - 40.32).abs() < 1e-9);
        assert!((budget_minutes(30 * 1440, 99.9) - 43.2).abs() < 1e-9);
        assert!((budget_minutes(30 * 1440, 99.0) - 432.0).abs() < 1e-9);
    }

    #[test]
    fn consumed_forms() {
        assert_eq!(
            parse_consumed("52 min", 40.0),
            Some((52.0, BurnSource::Minutes))
        );
        assert_eq!(
            parse_consumed("38", 40.0),
            Some((38.0, BurnSource::Minutes))
        );
        assert_eq!(
            parse_consumed("25%", 40.0),
            Some((10.0, BurnSource::Percent))
        );
        assert_eq!(
            parse_consumed("月間エラーバジェットの 310%", 40.0),
            Some((124.0, BurnSource::Percent))
        );
        assert_eq!(
            parse_consumed("１２０分", 40.0),
            Some((120.0, BurnSource::Minutes))
        );
        assert_eq!(
            parse_consumed("1.5h", 40.0),
            Some((90.0, BurnSource::Minutes))
        );
        assert_eq!(
            parse_consumed("2時間", 40.0),
            Some((120.0, BurnSource::Minutes))
        );
        assert_eq!(parse_consumed("大きい", 40.0), None);
    }

    #[test]
    fn ledger_charges_incidents_inside_the_window() {
        let window = (
            at("2026-11-05T00:00:00+09:00"),
            at("2026-12-03T00:00:00+09:00"),
        );
        let incidents = vec![
            // Before the window: ignored.
            incident(
                "2026-11-01T10:00:00+09:00",
                Some("2026-11-01T12:00:00+09:00"),
                None,
            ),
            // Impact window: 33 minutes.
            incident(
                "2026-11-20T10:00:00+09:00",
                Some("2026-11-20T10:33:00+09:00"),
                None,
            ),
            // Explicit minutes win over the window.
            incident(
                "2026-11-10T10:00:00+09:00",
                Some("2026-11-10T15:00:00+09:00"),
                Some("5 min"),
            ),
            // No data: zero, said so.
            incident("2026-11-30T10:00:00+09:00", None, None),
        ];
        let l = ledger(40.32, window, &incidents);
        assert_eq!(l.incidents.len(), 3);
        assert_eq!(l.incidents[0].burned_minutes, 5.0);
        assert_eq!(l.incidents[0].source, BurnSource::Minutes);
        assert_eq!(l.incidents[1].burned_minutes, 33.0);
        assert_eq!(l.incidents[1].source, BurnSource::ImpactWindow);
        assert_eq!(l.incidents[2].source, BurnSource::Unknown);
        assert_eq!(l.burned_minutes, 38.0);
        assert_eq!(l.remaining_minutes, 2.32);
        assert_eq!(l.remaining_percent, 5.75);
        assert_eq!(l.incidents[0].remaining_after, 35.32);
    }

    #[test]
    fn overspent_budget_goes_negative() {
        let window = (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"));
        let l = ledger(
            43.2,
            window,
            &[incident("2026-11-02T00:00:00Z", None, Some("310%"))],
        );
        assert_eq!(l.burned_minutes, 133.92);
        assert_eq!(l.remaining_percent, -210.0);
    }
}
