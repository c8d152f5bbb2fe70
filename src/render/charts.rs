//! Inline SVG charts rendered at build time: stacked bars, lines and horizontal bars.
//! Every chart has a `<title>` and `<desc>` and draws numbers as text, so it reads
//! without colour and without JavaScript; templates add a data table beside it.
//!
//! Sizes: charts scale to their box, so text renders at (font-size in SVG units) ×
//! (box width / viewBox width). The viewBox is 540 wide, about the width of a chart in
//! the report's two-column grid at 1280 px; the theme sets 14 units there (≈ 14 px)
//! and 18 units on phones, where a 343 px box gives 18 × 343 / 540 ≈ 11.4 px. Layout
//! constants below leave room for 18-unit text. Counts get integer ticks; durations
//! ("h", "m" units) get clock ticks (30m, 1h, 2h); fewer than three points make a
//! table rather than a line.

use std::fmt::Write as _;

use crate::escape::html as esc;

/// One series: name, CSS class (colour), values per category.
pub struct Series<'a> {
    pub name: &'a str,
    pub class: &'a str,
    pub values: Vec<f64>,
}

const W: f64 = 540.0;
const H: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 76.0;
/// Largest font size the theme gives chart text, in SVG units.
const FONT: f64 = 18.0;

/// Approximate advance of `s` at [`FONT`]: wide characters one em, others 0.58 em.
fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| match unicode_width::UnicodeWidthChar::width(c) {
            Some(2) => FONT,
            _ => FONT * 0.58,
        })
        .sum()
}

/// The y-axis scale: ticks from 0 to the maximum, at most 5 intervals.
struct Scale {
    max: f64,
    step: f64,
    kind: ScaleKind,
}

#[derive(Clone, Copy, PartialEq)]
enum ScaleKind {
    /// Whole numbers (counts).
    Count,
    /// Decimal values (levels, averages).
    Plain,
    /// Durations in minutes, labelled 30m, 1h, 1h 30m, 2d.
    Minutes,
}

impl Scale {
    fn new(data_max: f64, kind: ScaleKind) -> Scale {
        let steps: &[f64] = match kind {
            ScaleKind::Count => &[
                1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0,
            ],
            ScaleKind::Minutes => &[
                1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 180.0, 240.0, 360.0, 720.0,
                1440.0, 2880.0, 7200.0, 14400.0,
            ],
            ScaleKind::Plain => &[],
        };
        if kind == ScaleKind::Plain {
            let max = nice_max(data_max);
            return Scale {
                max,
                step: max / 4.0,
                kind,
            };
        }
        let data_max = data_max.max(1.0);
        // Durations past an hour (a day) tick on whole hours (days): "1h 30m" is
        // wider than the axis gutter and harder to read.
        let unit = match kind {
            ScaleKind::Minutes if data_max > 1440.0 => 1440.0,
            ScaleKind::Minutes if data_max > 60.0 => 60.0,
            _ => 1.0,
        };
        let step = steps
            .iter()
            .copied()
            .filter(|s| s % unit == 0.0)
            .find(|s| (data_max / s).ceil() <= 5.0)
            .unwrap_or_else(|| nice_max(data_max / 5.0));
        Scale {
            max: (data_max / step).ceil() * step,
            step,
            kind,
        }
    }

    fn label(&self, v: f64) -> String {
        match self.kind {
            ScaleKind::Minutes => fmt_minutes(v),
            _ => fmt_num(v),
        }
    }
}

/// Compact clock duration: 45m, 1h, 1h 30m, 2d, 1d 6h.
fn fmt_minutes(m: f64) -> String {
    let m = m.round() as i64;
    let (d, h, min) = (m / 1440, (m % 1440) / 60, m % 60);
    match (d, h, min) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

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

fn y_axis(out: &mut String, scale: &Scale) {
    let plot_h = H - TOP - BOTTOM;
    let ticks = (scale.max / scale.step).round().max(1.0) as usize;
    for i in 0..=ticks {
        let v = scale.step * i as f64;
        let y = TOP + plot_h - plot_h * v / scale.max;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 5.0,
            esc(&scale.label(v))
        );
    }
}

fn x_labels(out: &mut String, labels: &[String], band: f64) {
    // Every n-th label, so that labels never overlap.
    let widest = labels.iter().map(|l| text_width(l)).fold(0.0, f64::max);
    // Counted from the last label (the latest month), which edge clamping may pull
    // inwards by up to half a label: hence the margin.
    let every = ((widest + 24.0) / band).ceil().max(1.0) as usize;
    let last = labels.len().saturating_sub(1);
    for (i, l) in labels.iter().enumerate() {
        if !(last - i).is_multiple_of(every) {
            continue;
        }
        // Centred under its band, but never past the viewBox edges.
        let half = text_width(l) / 2.0;
        let x =
            (LEFT + band * (i as f64 + 0.5)).clamp(half + 2.0, (W - half - 2.0).max(half + 2.0));
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            H - BOTTOM + 30.0,
            esc(l)
        );
    }
}

fn legend(out: &mut String, series: &[Series<'_>]) {
    let mut x = LEFT;
    for s in series {
        let _ = write!(
            out,
            "<rect class=\"{}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\"/><text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            s.class,
            H - 20.0,
            x + 16.0,
            H - 8.0,
            esc(s.name)
        );
        x += 32.0 + text_width(s.name);
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
    let scale = Scale::new(totals.iter().copied().fold(0.0, f64::max), ScaleKind::Count);
    let max = scale.max;
    y_axis(&mut out, &scale);
    let plot_h = H - TOP - BOTTOM;
    let band = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    let bar_w = (band * 0.7).min(40.0);
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

/// Lines over categories; a `None` value is skipped (the line joins the points on
/// either side). `unit` "h" or "m" marks durations in hours or minutes (clock ticks);
/// with fewer than three categories holding a value, a table replaces the chart.
pub fn lines(
    id: &str,
    title: &str,
    desc: &str,
    categories: &[String],
    series: &[(&str, &str, Vec<Option<f64>>)],
    unit: &str,
) -> String {
    let to_minutes = match unit {
        "h" => Some(60.0),
        "m" => Some(1.0),
        _ => None,
    };
    let label = |v: f64| match to_minutes {
        Some(k) => fmt_minutes(v * k),
        None => format!("{}{}", fmt_num(v), unit),
    };
    let with_data = (0..categories.len())
        .filter(|&i| {
            series
                .iter()
                .any(|s| s.2.get(i).copied().flatten().is_some())
        })
        .count();
    if with_data < 3 {
        return table(id, title, categories, series, &label);
    }
    let mut out = String::with_capacity(4096);
    open(&mut out, id, title, desc, "chart-lines");
    let data_max = series
        .iter()
        .flat_map(|s| s.2.iter().flatten().copied())
        .fold(0.0, f64::max);
    let scale = match to_minutes {
        Some(k) => Scale::new(data_max * k, ScaleKind::Minutes),
        None => Scale::new(data_max, ScaleKind::Plain),
    };
    let max = scale.max / to_minutes.unwrap_or(1.0);
    y_axis(&mut out, &scale);
    let plot_h = H - TOP - BOTTOM;
    let band = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    // The first series (the median) is drawn last, on top, with a smaller marker, so
    // equal values still show both.
    for (k, (name, class, values)) in series.iter().enumerate().rev() {
        let r = if k == 0 { 4.0 } else { 6.5 };
        let mut path = String::new();
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let x = LEFT + band * (i as f64 + 0.5);
                let y = TOP + plot_h - plot_h * v / max;
                let _ = write!(
                    path,
                    "{}{x:.1},{y:.1} ",
                    if path.is_empty() { "M" } else { "L" }
                );
                let _ = write!(out, "<circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\"><title>{} {}: {}</title></circle>", esc(&categories[i]), esc(name), esc(&label(*v)));
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

/// The values of a line chart as a table (for fewer than three points).
fn table(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[(&str, &str, Vec<Option<f64>>)],
    label: &dyn Fn(f64) -> String,
) -> String {
    let mut out = format!(
        "<div class=\"table-wrap chart-table\" id=\"{}\"><table><caption>{}</caption><thead><tr><td></td>",
        esc(id),
        esc(title)
    );
    for (name, _, _) in series {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(name));
    }
    out.push_str("</tr></thead><tbody>");
    for (i, c) in categories.iter().enumerate() {
        if !series
            .iter()
            .any(|s| s.2.get(i).copied().flatten().is_some())
        {
            continue;
        }
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(c));
        for (_, _, values) in series {
            match values.get(i).copied().flatten() {
                Some(v) => {
                    let _ = write!(out, "<td>{}</td>", esc(&label(v)));
                }
                None => out.push_str("<td>—</td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// Horizontal bars with their value written at the end.
pub fn hbars(id: &str, title: &str, desc: &str, items: &[(String, f64, &str)]) -> String {
    let row = 34.0;
    let h = TOP + row * items.len().max(1) as f64 + 8.0;
    let mut out = String::with_capacity(2048);
    let _ = write!(
        out,
        "<svg class=\"chart chart-hbars\" viewBox=\"0 0 {W} {h:.0}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    );
    let label_w = items
        .iter()
        .map(|i| text_width(&i.0))
        .fold(60.0, f64::max)
        .min(W * 0.45)
        + 12.0;
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max).max(1.0);
    for (i, (label, v, class)) in items.iter().enumerate() {
        let y = TOP + row * i as f64;
        let w = (W - label_w - 56.0) * v / max;
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"{class}\" x=\"{label_w:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"22\"><title>{}: {}</title></rect><text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 8.0,
            y + 17.0,
            esc(label),
            esc(label),
            fmt_num(*v),
            label_w + w + 6.0,
            y + 17.0,
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

/// Splits a radar label into at most two lines of at most `cols` display columns:
/// at a word boundary near the middle (space, slash, middle dot, the particles の
/// and と, or where katakana meets kanji), else at the column nearest the middle,
/// never starting a line with a prolonged-sound mark, small kana or closing
/// punctuation; a rest too long for the second line ends with "…".
fn wrap_label(label: &str, cols: usize) -> Vec<String> {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let total = label.width();
    if total <= cols {
        return vec![label.to_string()];
    }
    let katakana = |c: char| matches!(c, '\u{30A0}'..='\u{30FF}');
    let kanji = |c: char| matches!(c, '\u{4E00}'..='\u{9FFF}');
    let half = total.min(2 * cols) / 2;
    // (byte offset of a possible line end, width before it, word boundary?)
    let mut ends = Vec::new();
    let mut used = 0;
    let chars: Vec<(usize, char)> = label.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        used += c.width().unwrap_or(0);
        let Some(&(_, next)) = chars.get(k + 1) else {
            break;
        };
        if used > cols {
            break;
        }
        if "ーぁぃぅぇぉっゃゅょァィゥェォッャュョ、。）」".contains(next) {
            continue;
        }
        let word = matches!(c, ' ' | '/' | '・' | '-' | 'の' | 'と')
            || (katakana(c) && kanji(next))
            || (kanji(c) && katakana(next));
        ends.push((i + c.len_utf8(), used, word));
    }
    let nearest = |words: bool| {
        ends.iter()
            .filter(|e| !words || e.2)
            .min_by_key(|e| e.1.abs_diff(half))
            .copied()
    };
    let cut = match (nearest(true), nearest(false)) {
        (Some(w), _) if w.1.abs_diff(half) <= 4 && total - w.1 <= cols => w.0,
        (_, Some(any)) => any.0,
        _ => label.len(),
    };
    let rest = label[cut..].trim();
    let second = if rest.width() > cols {
        super::filters::abbrev(rest, cols)
    } else {
        rest.to_string()
    };
    vec![label[..cut].trim().to_string(), second]
}

/// A radar chart: one axis per label, rings per level, one polygon per series with
/// exactly one vertex per axis (a missing value sits at the centre). Labels wrap to
/// two lines of six wide characters so that 19-unit text (≥ 12 px in a 358 px phone
/// box: 19 × 358 / 560) stays inside the 560-unit viewBox.
pub fn radar(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    max: u8,
    series: &[(&str, &str, Vec<Option<f64>>)],
) -> String {
    let width = 560.0;
    let r = 120.0;
    let line = 22.0;
    // Room for a two-line label above and below the rings.
    let (cx, cy) = (width / 2.0, r + 30.0 + 2.0 * line);
    let size = cy + r + 30.0 + 2.0 * line;
    let n = labels.len().max(1);
    let angle =
        |i: usize| -std::f64::consts::FRAC_PI_2 + 2.0 * std::f64::consts::PI * i as f64 / n as f64;
    let point = |i: usize, v: f64| {
        let a = angle(i);
        (
            cx + r * v / max as f64 * a.cos(),
            cy + r * v / max as f64 * a.sin(),
        )
    };
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<svg class=\"chart chart-radar\" viewBox=\"0 0 {width} {}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        size + 40.0,
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
            x + 5.0,
            y + 6.0
        );
    }
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = point(i, max as f64);
        let a = angle(i);
        let (lx, ly) = (cx + (r + 14.0) * a.cos(), cy + (r + 14.0) * a.sin());
        let anchor = if a.cos().abs() < 0.2 {
            "middle"
        } else if a.cos() > 0.0 {
            "start"
        } else {
            "end"
        };
        let lines = wrap_label(label, 12);
        // Above the centre the block grows upwards, below it downwards, beside it
        // it is centred on the axis end.
        let height = line * lines.len() as f64;
        let top = if a.sin() < -0.5 {
            ly - height + 4.0
        } else if a.sin() > 0.5 {
            ly + line - 2.0
        } else {
            ly - height / 2.0 + line - 4.0
        };
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{cx:.1}\" y1=\"{cy:.1}\" x2=\"{x:.1}\" y2=\"{y:.1}\"/><text class=\"axis radar-label\" x=\"{lx:.1}\" y=\"{top:.1}\" text-anchor=\"{anchor}\"><title>{}</title>",
            esc(label)
        );
        for (k, l) in lines.iter().enumerate() {
            let _ = write!(
                out,
                "<tspan x=\"{lx:.1}\" dy=\"{}\">{}</tspan>",
                if k == 0 { 0.0 } else { line },
                esc(l)
            );
        }
        out.push_str("</text>");
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
        let _ = write!(out, "<rect class=\"legend-swatch {class}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\"/><text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>", size + 12.0, x + 16.0, size + 24.0, esc(name));
        x += 36.0 + text_width(name) * 19.0 / FONT;
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
    fn count_axes_have_integer_ticks_fitting_the_data() {
        let s = Scale::new(1.0, ScaleKind::Count);
        assert_eq!((s.max, s.step), (1.0, 1.0));
        let s = Scale::new(3.0, ScaleKind::Count);
        assert_eq!((s.max, s.step), (3.0, 1.0));
        let s = Scale::new(7.0, ScaleKind::Count);
        assert_eq!((s.max, s.step), (8.0, 2.0));
        let svg = stacked_bars(
            "x",
            "t",
            "d",
            &["2025-01".to_string()],
            &[Series {
                name: "SEV1",
                class: "sev1",
                values: vec![1.0],
            }],
        );
        let ticks: Vec<&str> = svg
            .split("text-anchor=\"end\">")
            .skip(1)
            .map(|t| &t[..t.find('<').unwrap()])
            .collect();
        assert_eq!(ticks, ["0", "1"]);
    }

    #[test]
    fn duration_axes_read_as_clock_times() {
        // 3.8 hours of p90: ticks every hour up to 4h, never 1.2h or 3.8h.
        let s = Scale::new(3.8 * 60.0, ScaleKind::Minutes);
        let labels: Vec<String> = (0..=4).map(|i| s.label(s.step * i as f64)).collect();
        assert_eq!(labels, ["0m", "1h", "2h", "3h", "4h"]);
        let s = Scale::new(50.0, ScaleKind::Minutes);
        assert_eq!((s.max, s.step), (50.0, 10.0));
        let s = Scale::new(150.0, ScaleKind::Minutes);
        assert_eq!((s.max, s.step), (180.0, 60.0));
        let s = Scale::new(3000.0, ScaleKind::Minutes);
        assert_eq!((s.max, s.step), (4320.0, 1440.0));
        assert_eq!(fmt_minutes(90.0), "1h 30m");
        assert_eq!(fmt_minutes(1800.0), "1d 6h");
    }

    #[test]
    fn fewer_than_three_points_make_a_table() {
        let cats: Vec<String> = ["2025-01", "2025-02", "2025-03"].map(String::from).to_vec();
        let two = lines(
            "l",
            "TTR",
            "d",
            &cats,
            &[("median", "s-median", vec![Some(1.5), None, Some(2.0)])],
            "h",
        );
        assert!(
            two.starts_with("<div class=\"table-wrap chart-table\""),
            "{two}"
        );
        assert!(two.contains("<td>1h 30m</td>") && !two.contains("2025-02"));
        let three = lines(
            "l",
            "TTR",
            "d",
            &cats,
            &[("median", "s-median", vec![Some(1.5), Some(0.5), Some(2.0)])],
            "h",
        );
        assert!(three.starts_with("<svg"));
        // One path through the three points.
        assert_eq!(three.matches(" L").count(), 2, "{three}");
    }

    #[test]
    fn radar_labels_wrap_to_two_short_lines() {
        assert_eq!(wrap_label("監視", 12), ["監視"]);
        assert_eq!(
            wrap_label("キャパシティプランニング", 12),
            ["キャパシティ", "プランニング"]
        );
        assert_eq!(wrap_label("開発効率の向上", 12), ["開発効率の", "向上"]);
        assert_eq!(wrap_label("ポストモーテム", 12), ["ポスト", "モーテム"]);
        assert_eq!(wrap_label("インシデント対応", 12), ["インシデント", "対応"]);
        assert_eq!(wrap_label("ドキュメント管理", 12), ["ドキュメント", "管理"]);
        assert_eq!(
            wrap_label("Incident response", 12),
            ["Incident", "response"]
        );
        let long = wrap_label("とても長い活動の名前が続いてしまう場合", 12);
        assert_eq!(long.len(), 2);
        assert!(long[1].ends_with('…'));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = hbars("h", "<t>", "d", &[("<script>".into(), 1.0, "c")]);
        assert!(!svg.contains("<script>"));
    }
}
