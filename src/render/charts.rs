//! Inline SVG charts rendered at build time: stacked bars, lines and horizontal bars.
//! Every chart has a `<title>` and `<desc>` and draws numbers as text, so it reads
//! without colour and without JavaScript; templates add a data table beside it.

use std::fmt::Write as _;

use crate::escape::html as esc;

/// One series: name, CSS class (colour), values per category.
pub struct Series<'a> {
    pub name: &'a str,
    pub class: &'a str,
    pub values: Vec<f64>,
}

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * mag >= v {
            return step * mag;
        }
    }
    10.0 * mag
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

fn open(out: &mut String, id: &str, title: &str, desc: &str, class: &str) {
    let _ = write!(
        out,
        "<svg class=\"chart {class}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    );
}

fn y_axis(out: &mut String, max: f64, unit: &str) {
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=4 {
        let v = max * i as f64 / 4.0;
        let y = TOP + plot_h - plot_h * i as f64 / 4.0;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            fmt_num(v),
            esc(unit)
        );
    }
}

fn x_labels(out: &mut String, labels: &[String], band: f64) {
    let every = labels.len().div_ceil(8).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let x = LEFT + band * (i as f64 + 0.5);
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            H - BOTTOM + 16.0,
            esc(l)
        );
    }
}

fn legend(out: &mut String, series: &[Series<'_>]) {
    let mut x = LEFT;
    for s in series {
        let _ = write!(
            out,
            "<rect class=\"{}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\"/><text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            s.class,
            H - 14.0,
            x + 14.0,
            H - 5.0,
            esc(s.name)
        );
        x += 24.0 + 8.0 * s.name.chars().count() as f64;
    }
}

/// Stacked vertical bars: one group per category that has a non-zero total
/// (`data-category` holds the category label).
pub fn stacked_bars(
    id: &str,
    title: &str,
    desc: &str,
    categories: &[String],
    series: &[Series<'_>],
) -> String {
    let mut out = String::with_capacity(4096);
    open(&mut out, id, title, desc, "chart-bars");
    let totals: Vec<f64> = (0..categories.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    // Counts: at least 4 so that the four grid steps fall on whole numbers.
    let max = nice_max(totals.iter().copied().fold(0.0, f64::max)).max(4.0);
    y_axis(&mut out, max, "");
    let plot_h = H - TOP - BOTTOM;
    let band = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    let bar_w = (band * 0.7).min(48.0);
    for (i, cat) in categories.iter().enumerate() {
        if totals[i] <= 0.0 {
            continue;
        }
        let x = LEFT + band * i as f64 + (band - bar_w) / 2.0;
        let mut y = TOP + plot_h;
        let _ = write!(out, "<g class=\"bar\" data-category=\"{}\">", esc(cat));
        for s in series {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let h = plot_h * v / max;
            y -= h;
            let _ = write!(
                out,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\"><title>{} {}: {}</title></rect>",
                s.class,
                esc(cat),
                esc(s.name),
                fmt_num(v)
            );
        }
        let _ = write!(
            out,
            "<text class=\"value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
            x + bar_w / 2.0,
            y - 4.0,
            fmt_num(totals[i])
        );
    }
    x_labels(&mut out, categories, band);
    legend(&mut out, series);
    out.push_str("</svg>");
    out
}

/// Lines over categories; `None` values leave gaps.
pub fn lines(
    id: &str,
    title: &str,
    desc: &str,
    categories: &[String],
    series: &[(&str, &str, Vec<Option<f64>>)],
    unit: &str,
) -> String {
    let mut out = String::with_capacity(4096);
    open(&mut out, id, title, desc, "chart-lines");
    let max = nice_max(
        series
            .iter()
            .flat_map(|s| s.2.iter().flatten().copied())
            .fold(0.0, f64::max),
    );
    y_axis(&mut out, max, unit);
    let plot_h = H - TOP - BOTTOM;
    let band = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    for (name, class, values) in series {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let x = LEFT + band * (i as f64 + 0.5);
                    let y = TOP + plot_h - plot_h * v / max;
                    let _ = write!(path, "{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
                    let _ = write!(out, "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\"><title>{} {}: {}{}</title></circle>", esc(&categories[i]), esc(name), fmt_num(*v), esc(unit));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            out,
            "<path class=\"line {class}\" d=\"{}\" fill=\"none\"/>",
            path.trim_end()
        );
    }
    x_labels(&mut out, categories, band);
    let legend_series: Vec<Series> = series
        .iter()
        .map(|(n, c, _)| Series {
            name: n,
            class: c,
            values: Vec::new(),
        })
        .collect();
    legend(&mut out, &legend_series);
    out.push_str("</svg>");
    out
}

/// Horizontal bars with their value written at the end.
pub fn hbars(id: &str, title: &str, desc: &str, items: &[(String, f64, &str)]) -> String {
    let row = 26.0;
    let h = TOP + row * items.len().max(1) as f64 + 8.0;
    let mut out = String::with_capacity(2048);
    let _ = write!(
        out,
        "<svg class=\"chart chart-hbars\" viewBox=\"0 0 {W} {h:.0}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    );
    let label_w = 160.0;
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max).max(1.0);
    for (i, (label, v, class)) in items.iter().enumerate() {
        let y = TOP + row * i as f64;
        let w = (W - label_w - 60.0) * v / max;
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"{class}\" x=\"{label_w}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"18\"><title>{}: {}</title></rect><text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 8.0,
            y + 13.0,
            esc(label),
            esc(label),
            fmt_num(*v),
            label_w + w + 6.0,
            y + 13.0,
            fmt_num(*v)
        );
    }
    out.push_str("</svg>");
    out
}

/// Median and 90th percentile (nearest rank) of `v`.
pub fn median_p90(v: &mut [f64]) -> (Option<f64>, Option<f64>) {
    if v.is_empty() {
        return (None, None);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    let rank = ((0.9 * n as f64).ceil() as usize).clamp(1, n);
    (Some(median), Some(v[rank - 1]))
}

/// A radar chart: one axis per label, rings per level, one polygon per series with
/// exactly one vertex per axis (a missing value sits at the centre).
pub fn radar(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    max: u8,
    series: &[(&str, &str, Vec<Option<f64>>)],
) -> String {
    let (width, size) = (560.0, 420.0);
    let (cx, cy, r) = (width / 2.0, size / 2.0, size / 2.0 - 90.0);
    let n = labels.len().max(1);
    let point = |i: usize, v: f64| {
        let a = -std::f64::consts::FRAC_PI_2 + 2.0 * std::f64::consts::PI * i as f64 / n as f64;
        (
            cx + r * v / max as f64 * a.cos(),
            cy + r * v / max as f64 * a.sin(),
        )
    };
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<svg class=\"chart chart-radar\" viewBox=\"0 0 {width} {}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        size + 24.0,
        esc(title),
        esc(desc)
    );
    for level in 1..=max {
        let pts: Vec<String> = (0..n)
            .map(|i| point(i, level as f64))
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            out,
            "<polygon class=\"ring\" points=\"{}\"/>",
            pts.join(" ")
        );
        let (x, y) = point(0, level as f64);
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\">{level}</text>",
            x + 4.0,
            y + 4.0
        );
    }
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = point(i, max as f64);
        let (lx, ly) = point(i, max as f64 + 0.55);
        let anchor = if (lx - cx).abs() < 10.0 {
            "middle"
        } else if lx > cx {
            "start"
        } else {
            "end"
        };
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{cx:.1}\" y1=\"{cy:.1}\" x2=\"{x:.1}\" y2=\"{y:.1}\"/><text class=\"axis radar-label\" x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            ly + 4.0,
            esc(label)
        );
    }
    for (name, class, values) in series {
        let pts: Vec<String> = (0..n)
            .map(|i| point(i, values.get(i).copied().flatten().unwrap_or(0.0)))
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(out, "<polygon class=\"series {class}\" data-series=\"{}\" points=\"{}\"><title>{}</title></polygon>", esc(name), pts.join(" "), esc(name));
    }
    let mut x = 10.0;
    for (name, class, _) in series {
        let _ = write!(out, "<rect class=\"legend-swatch {class}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\"/><text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>", size + 8.0, x + 14.0, size + 17.0, esc(name));
        x += 30.0 + 12.0 * name.chars().count() as f64;
    }
    out.push_str("</svg>");
    out
}

/// A tiny line of values (one point per value) for tables.
pub fn sparkline(values: &[Option<f64>], max: f64) -> String {
    let (w, h) = (120.0, 28.0);
    let n = values.len().max(2) - 1;
    let pts: Vec<String> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.map(|v| {
                format!(
                    "{:.1},{:.1}",
                    4.0 + (w - 8.0) * i as f64 / n as f64,
                    h - 4.0 - (h - 8.0) * v / max.max(1.0)
                )
            })
        })
        .collect();
    format!("<svg class=\"sparkline\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" aria-hidden=\"true\"><polyline points=\"{}\" fill=\"none\"/></svg>", pts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_for_non_empty_categories() {
        let cats = vec![
            "2025-01".to_string(),
            "2025-02".to_string(),
            "2025-03".to_string(),
        ];
        let svg = stacked_bars(
            "x",
            "t",
            "d",
            &cats,
            &[Series {
                name: "SEV1",
                class: "sev1",
                values: vec![1.0, 0.0, 2.0],
            }],
        );
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 2);
        assert!(svg.contains("data-category=\"2025-03\""));
        assert!(svg.contains("<title id=\"x-t\">t</title>"));
    }

    #[test]
    fn percentiles() {
        let mut v = vec![10.0, 30.0, 20.0, 40.0];
        assert_eq!(median_p90(&mut v), (Some(25.0), Some(40.0)));
        let mut one = vec![5.0];
        assert_eq!(median_p90(&mut one), (Some(5.0), Some(5.0)));
        assert_eq!(median_p90(&mut []), (None, None));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = hbars("h", "<t>", "d", &[("<script>".into(), 1.0, "c")]);
        assert!(!svg.contains("<script>"));
    }
}
