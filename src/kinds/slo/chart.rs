//! The burn chart: remaining error budget (percent) across the current window, one step
//! down per incident. Inline SVG with `role="img"`, a title and a description; text is
//! 18 units of a 480-unit-wide chart (the theme's chart text size), so it stays at 12 px
//! or more on a phone; the template puts the incident table beside it.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset};

use super::budget::Ledger;
use crate::escape::html as esc;

const W: f64 = 480.0;
const H: f64 = 200.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 96.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 40.0;
/// Where the page template puts the chart's translated title and description
/// (`t.slo.burn_chart`, `t.slo.burn_desc`), so they follow the theme's i18n.
pub const TITLE_SLOT: &str = "%SLO_CHART_TITLE%";
pub const DESC_SLOT: &str = "%SLO_CHART_DESC%";
const FONT: &str = "font-size=\"18\" fill=\"currentColor\"";

/// Draws `ledger` up to `now` (a calendar window's future part stays empty).
pub fn burn_chart(
    id: &str,
    ledger: &Ledger,
    now: DateTime<FixedOffset>,
    title: &str,
    desc: &str,
) -> String {
    let Some((start, end)) = ledger.bounds else {
        return String::new();
    };
    let span = (end - start).num_seconds().max(1) as f64;
    let lowest = ledger
        .incidents
        .iter()
        .map(|b| b.remaining_after_percent)
        .fold(0.0f64, f64::min);
    // The y axis runs from 0 % (or the lowest overspend, in steps of 50 %) to 100 %.
    let bottom = if lowest < 0.0 {
        (lowest / 50.0).floor() * 50.0
    } else {
        0.0
    };
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |t: DateTime<FixedOffset>| {
        LEFT + plot_w * ((t - start).num_seconds() as f64 / span).clamp(0.0, 1.0)
    };
    let y = |pct: f64| TOP + plot_h * (100.0 - pct) / (100.0 - bottom);
    let id = esc(id);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart chart-burn\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    );
    let mut ticks = vec![100.0, 50.0, 0.0];
    if bottom < 0.0 {
        ticks.push(bottom);
    }
    for t in ticks {
        let ty = y(t);
        let style = if t == 0.0 {
            "stroke:currentColor;opacity:.6"
        } else {
            "stroke:currentColor;opacity:.15"
        };
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{ty:.1}\" y2=\"{ty:.1}\" style=\"{style}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" {FONT}>{t}%</text>",
            LEFT + plot_w,
            LEFT - 6.0,
            ty + 6.0
        );
    }
    for (t, anchor) in [(start, "start"), (end, "end")] {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" {FONT}>{}</text>",
            x(t),
            H - 10.0,
            t.format("%Y-%m-%d")
        );
    }
    // The step line: flat until an incident, then down by what it burned.
    let stop = now.clamp(start, end);
    let mut d = format!("M{:.1},{:.1}", x(start), y(100.0));
    let mut level = 100.0;
    let mut dots = String::new();
    for b in &ledger.incidents {
        let Some(at) = b.at else { continue };
        let bx = x(at);
        let _ = write!(d, " H{bx:.1} V{:.1}", y(b.remaining_after_percent));
        level = b.remaining_after_percent;
        let _ = write!(
            dots,
            "<circle cx=\"{bx:.1}\" cy=\"{:.1}\" r=\"4\" style=\"fill:var(--sev1, #c62828)\"><title>{} {}: −{} min</title></circle>",
            y(level),
            b.date,
            esc(&b.title),
            b.burned_minutes
        );
    }
    let _ = write!(d, " H{:.1}", x(stop).max(x(start)));
    let _ = write!(
        out,
        "<path d=\"{d}\" fill=\"none\" style=\"stroke:var(--accent, #1565c0);stroke-width:2.5\"/>{dots}<text x=\"{:.1}\" y=\"{:.1}\" {FONT} font-weight=\"700\">{level}%</text></svg>",
        x(stop) + 6.0,
        y(level) + 6.0
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::budget::{ledger, Incident};
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn accessible_and_readable() {
        let window = (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"));
        let l = ledger(
            43.2,
            window,
            &[Incident {
                title: "<決済>".into(),
                href: "a/".into(),
                severity: None,
                started: at("2026-11-15T00:00:00Z"),
                impact_end: None,
                consumed: Some("150%".into()),
            }],
        );
        let svg = burn_chart("b1", &l, at("2026-11-20T00:00:00Z"), "残り & 予算", "説明");
        assert!(svg.starts_with("<svg class=\"chart chart-burn\""));
        assert!(svg.contains("role=\"img\" aria-labelledby=\"b1-t b1-d\""));
        assert!(svg.contains("<title id=\"b1-t\">残り &amp; 予算</title>"));
        assert!(svg.contains("&lt;決済&gt;"));
        // Overspent: the axis reaches −50 %, the last value is written out.
        assert!(svg.contains(">-50%</text>"));
        assert!(svg.contains(">-50%</text></svg>"));
        // Every label at the theme's chart text size.
        assert_eq!(
            svg.matches("<text").count(),
            svg.matches("font-size=\"18\"").count()
        );
        assert!(svg.ends_with("</svg>"));
    }
}
