//! Errors and warnings about the user's input, located at file:line:col, collected for
//! the whole run and printed together as human text, JSON, GitHub annotations or a
//! GitLab Code Quality report.

pub mod ci;
pub mod term;

pub use ci::RepoPaths;
pub use term::{stderr_color, ColorChoice};

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A 1-based line and column (in characters). Line 0 means "the whole file".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub line: usize,
    pub col: usize,
}

impl Span {
    pub fn new(line: usize, col: usize) -> Span {
        Span { line, col }
    }

    /// Line and column of a byte offset in `text`.
    pub fn from_offset(text: &str, offset: usize) -> Span {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..offset].chars().count() + 1;
        Span { line, col }
    }

    /// The line where a key is defined in TOML, YAML or JSON text (`key =`, `key:`,
    /// `"key":`), or the start of the text when it cannot be found.
    pub fn find_key(text: &str, key: &str) -> Span {
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            // A TOML table header: `[key]`, `[key.sub]`, `[[key]]`.
            let header = trimmed.trim_start_matches('[');
            if trimmed.starts_with('[')
                && header
                    .strip_prefix(key)
                    .is_some_and(|r| r.starts_with(']') || r.starts_with('.'))
            {
                return Span::new(i + 1, line.len() - trimmed.len() + 1);
            }
            let rest = trimmed
                .strip_prefix('"')
                .and_then(|r| r.strip_prefix(key))
                .and_then(|r| r.strip_prefix('"'))
                .or_else(|| trimmed.strip_prefix(key));
            if let Some(rest) = rest {
                let rest = rest.trim_start();
                if rest.starts_with('=') || rest.starts_with(':') {
                    return Span::new(i + 1, line.len() - trimmed.len() + 1);
                }
            }
        }
        Span::new(1, 1)
    }

    /// This span moved down by `lines` (for text that starts part-way into a file).
    pub fn shifted(self, lines: usize) -> Span {
        if self.line == 0 {
            self
        } else {
            Span::new(self.line + lines, self.col)
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short stable name for the kind of problem (`broken-link`, `front-matter`…).
    pub code: &'static str,
    pub message: String,
    pub file: Option<PathBuf>,
    #[serde(flatten)]
    pub span: Span,
    /// The source line, or a window of about [`WINDOW`] characters of it around the
    /// span (cut ends marked `…`), so a long line never multiplies into the output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// The span's column within `source_line` when it is a window (set by `at`).
    #[serde(skip)]
    pub source_col: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: None,
            span: Span::default(),
            source_line: None,
            source_col: None,
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Locates the diagnostic in `file` at `span`, quoting the line from `text`.
    pub fn at(mut self, file: &Path, span: Span, text: &str) -> Diagnostic {
        self.file = Some(file.to_path_buf());
        self.span = span;
        if span.line > 0 {
            if let Some(line) = text.lines().nth(span.line - 1) {
                let (window, col) = window(line.trim_end_matches('\r'), span.col);
                self.source_line = Some(window);
                self.source_col = Some(col);
            }
        }
        self
    }

    /// Like [`Diagnostic::at`] for byte `offset` of `text`: the source window is
    /// found around the offset, not by reading the file up to its line, so that
    /// thousands of diagnostics in one file (or on one line) stay linear.
    pub fn at_offset(mut self, file: &Path, span: Span, text: &str, offset: usize) -> Diagnostic {
        self.file = Some(file.to_path_buf());
        self.span = span;
        if span.line > 0 {
            let (window, col) = window_at(text, offset);
            self.source_line = Some(window);
            self.source_col = Some(col);
        }
        self
    }

    /// Names the file without a position.
    pub fn in_file(mut self, file: &Path) -> Diagnostic {
        self.file = Some(file.to_path_buf());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` (or less, where unknown).
    pub fn location(&self) -> String {
        match (&self.file, self.span.line) {
            (Some(f), 0) => f.display().to_string(),
            (Some(f), l) => format!("{}:{}:{}", f.display(), l, self.span.col.max(1)),
            (None, _) => String::new(),
        }
    }
}

/// A thread-safe collector for one run.
#[derive(Default)]
pub struct Diagnostics {
    items: Mutex<Vec<Diagnostic>>,
}

impl Diagnostics {
    pub fn push(&self, d: Diagnostic) {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).push(d);
    }

    pub fn extend(&self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(Diagnostic::is_error)
    }

    /// All diagnostics, sorted by file and position so output is stable across runs.
    pub fn into_sorted(self) -> Vec<Diagnostic> {
        let mut v = self.items.into_inner().unwrap_or_else(|e| e.into_inner());
        v.sort_by(|a, b| {
            (&a.file, a.span, a.severity, a.code, &a.message)
                .cmp(&(&b.file, b.span, b.severity, b.code, &b.message))
        });
        v.dedup_by(|a, b| {
            a.file == b.file && a.span == b.span && a.code == b.code && a.message == b.message
        });
        v
    }
}

/// Characters of a source line shown around a span.
pub const WINDOW: usize = 120;

/// Diagnostics of one code printed in human output; the rest are counted.
pub const PER_CODE: usize = 20;

/// Longest message printed in human output (content can make messages long).
const MAX_MESSAGE: usize = 400;

/// About [`WINDOW`] characters of `line` around 1-based character column `col`, with
/// `…` where cut, and the column of the span within the window. Work is linear in
/// `col` (one byte scan), not in the line: thousands of diagnostics on one long line
/// stay cheap.
pub fn window(line: &str, col: usize) -> (String, usize) {
    if line.len() <= WINDOW {
        // At most WINDOW bytes, so at most WINDOW characters.
        return (line.to_string(), col.max(1));
    }
    let bytes = line.as_bytes();
    let is_start = |i: usize| bytes[i] & 0xC0 != 0x80;
    // Byte offset of the span's character (or the end of the line).
    let mut at = 0;
    let mut seen = 0;
    while at < bytes.len() && !(is_start(at) && seen == col.max(1) - 1) {
        at += 1;
        if at < bytes.len() && is_start(at) {
            seen += 1;
        }
    }
    window_around(line, at, false, false)
}

/// The window of [`window`] for byte `offset` of `text`, found without reading the
/// line from its start: only a few windows' worth of bytes around `offset` are looked
/// at, so any number of diagnostics on one long line cost the same each.
pub fn window_at(text: &str, offset: usize) -> (String, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    // A window holds at most WINDOW characters of at most 4 bytes each.
    let reach = 4 * WINDOW + 4;
    let mut lo = offset.saturating_sub(reach);
    while !text.is_char_boundary(lo) {
        lo += 1;
    }
    let mut hi = (offset + reach).min(text.len());
    while !text.is_char_boundary(hi) {
        hi -= 1;
    }
    let bytes = text.as_bytes();
    let start = text[lo..offset].rfind('\n').map_or(lo, |i| lo + i + 1);
    let end = text[offset..hi].find('\n').map_or(hi, |i| offset + i);
    let cut_left = start == lo && lo > 0 && bytes[lo - 1] != b'\n';
    let cut_right = end == hi && hi < text.len() && bytes[hi] != b'\n';
    let mut line = &text[start..end];
    if !cut_right {
        line = line.trim_end_matches('\r');
    }
    let at = (offset - start).min(line.len());
    if !cut_left && !cut_right && line.len() <= WINDOW {
        return (line.to_string(), line[..at].chars().count() + 1);
    }
    window_around(line, at, cut_left, cut_right)
}

/// The window around byte `at` of `line`; `cut_left` / `cut_right` say the line goes
/// on beyond the slice given.
fn window_around(line: &str, at: usize, cut_left: bool, cut_right: bool) -> (String, usize) {
    let bytes = line.as_bytes();
    let is_start = |i: usize| bytes[i] & 0xC0 != 0x80;
    // Characters after the span, up to a window's worth.
    let forward = |from: usize, n: usize| -> (usize, usize) {
        let (mut i, mut k) = (from, 0);
        while i < bytes.len() && k < n {
            i += 1;
            while i < bytes.len() && !is_start(i) {
                i += 1;
            }
            k += 1;
        }
        (i, k)
    };
    let (_, after) = forward(at, WINDOW / 2);
    let want_before = WINDOW - after;
    let (mut start, mut before) = (at, 0);
    while start > 0 && before < want_before {
        start -= 1;
        while start > 0 && !is_start(start) {
            start -= 1;
        }
        before += 1;
    }
    let (end, _) = forward(at, WINDOW - before);
    let mut out = String::with_capacity(end - start + 6);
    if start > 0 || cut_left {
        out.push('…');
    }
    out.push_str(&line[start..end]);
    if end < line.len() || cut_right {
        out.push('…');
    }
    (out, before + 1 + usize::from(start > 0 || cut_left))
}

/// How `check` (and `build` on failure) prints diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text for people: each problem with its source line, at most 20 per code.
    Human,
    /// A JSON array of every diagnostic.
    Json,
    /// GitHub Actions workflow annotations (paths relative to the git top level).
    Github,
    /// A GitLab Code Quality report (paths relative to the git top level).
    Gitlab,
}

/// Renders diagnostics in `format` with paths as they are. Human output ends with a
/// per-code summary.
pub fn render(diags: &[Diagnostic], format: Format, color: bool) -> String {
    render_with(diags, format, color, &RepoPaths::identity())
}

/// Renders diagnostics; CI formats show paths through `paths`.
pub fn render_with(diags: &[Diagnostic], format: Format, color: bool, paths: &RepoPaths) -> String {
    match format {
        Format::Human => render_human(diags, color),
        Format::Json => {
            let bounded: Vec<Diagnostic> = diags.iter().map(Diagnostic::windowed).collect();
            let mut s = serde_json::to_string_pretty(&bounded).unwrap_or_else(|_| "[]".into());
            s.push('\n');
            s
        }
        Format::Github => ci::github(diags, paths),
        Format::Gitlab => ci::gitlab(diags, paths),
    }
}

impl Diagnostic {
    /// This diagnostic with its source line cut to a window (for lines set directly
    /// rather than through `at`).
    fn windowed(&self) -> Diagnostic {
        let mut d = self.clone();
        if let (Some(src), None) = (&d.source_line, d.source_col) {
            let (w, col) = window(src, d.span.col);
            d.source_line = Some(w);
            d.source_col = Some(col);
        }
        d
    }
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A message for the terminal: bounded, control characters escaped.
fn term_text(s: &str) -> String {
    let s = if s.chars().count() > MAX_MESSAGE {
        let mut cut: String = s.chars().take(MAX_MESSAGE).collect();
        cut.push('…');
        cut
    } else {
        s.to_string()
    };
    term::escape(&s, true).into_owned()
}

/// The setting that relaxes a code's policy, where there is one.
fn relax_hint(code: &str) -> Option<&'static str> {
    match code {
        "broken-anchor" => Some(
            "set `[links] anchors = \"warn\"` (or \"ignore\") in site-config.toml to accept broken anchors",
        ),
        "broken-link" => Some(
            "set `[links] internal = \"warn\"` in site-config.toml to report broken links as warnings",
        ),
        _ => None,
    }
}

fn render_one(out: &mut String, d: &Diagnostic, color: bool) {
    let (label, code) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let _ = writeln!(
        out,
        "{}{} {}",
        paint(color, code, &format!("{label}[{}]", d.code)),
        paint(color, "1", ":"),
        paint(color, "1", &term_text(&d.message))
    );
    let loc = d.location();
    if !loc.is_empty() {
        let gutter = d.span.line.to_string().len().max(1);
        let loc = term::escape(&loc, false);
        let _ = writeln!(out, "{:gutter$}{} {loc}", "", paint(color, "34", "-->"));
        if let Some(src) = &d.source_line {
            let (src, col) = match d.source_col {
                Some(col) => (src.clone(), col),
                None => window(src, d.span.col),
            };
            // Tabs as one space, so the caret lines up by character width.
            let src = src.replace('\t', " ");
            let before: String = src.chars().take(col.saturating_sub(1)).collect();
            let before = term::escape(&before, false);
            let after: String = src.chars().skip(col.saturating_sub(1)).collect();
            let pad = " ".repeat(gutter);
            let bar = paint(color, "34", "|");
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {before}{}",
                paint(color, "34", &d.span.line.to_string()),
                term::escape(&after, false)
            );
            let width = UnicodeWidthStr::width(before.as_ref());
            let _ = writeln!(
                out,
                "{pad} {bar} {}{}",
                " ".repeat(width),
                paint(color, code, "^")
            );
        }
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {}", term_text(help));
    }
    out.push('\n');
}

fn render_human(diags: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut with_errors: BTreeMap<&str, bool> = BTreeMap::new();
    for d in diags {
        let n = seen.entry(d.code).or_default();
        *n += 1;
        *with_errors.entry(d.code).or_default() |= d.is_error();
        if *n <= PER_CODE {
            render_one(&mut out, d, color);
        }
    }
    let mut relax = Vec::new();
    for (code, n) in &seen {
        let capped = *n > PER_CODE;
        if capped {
            let _ = writeln!(
                out,
                "… and {} more `{code}` (`--format json` lists them all)",
                n - PER_CODE
            );
        }
        if capped || with_errors[code] {
            relax.extend(relax_hint(code));
        }
    }
    if seen.values().any(|n| *n > PER_CODE) {
        out.push('\n');
    }
    if !diags.is_empty() {
        out.push_str(&summary(diags));
        out.push('\n');
    }
    for hint in relax {
        let _ = writeln!(out, "{} {hint}", paint(color, "1;36", "hint:"));
    }
    out
}

/// "2 errors, 3 warnings (broken-link ×2, stale-runbook ×3)".
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for d in diags {
        *by_code.entry(d.code).or_default() += 1;
    }
    let mut by_code: Vec<_> = by_code.into_iter().collect();
    by_code.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let detail: Vec<String> = by_code.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
    format!(
        "{} {}, {} {} ({})",
        errors,
        if errors == 1 { "error" } else { "errors" },
        warnings,
        if warnings == 1 { "warning" } else { "warnings" },
        detail.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_at_an_offset_equals_the_window_of_its_line() {
        let long_ja = "障害".repeat(400);
        let long_ascii = "[x](b.md#b) ".repeat(200);
        let text = format!("短い行\r\n{long_ja}\n{long_ascii}\r\nx{long_ja}y\n\n末尾");
        for offset in (0..=text.len() + 3).step_by(7).chain([0, text.len()]) {
            let span = Span::from_offset(&text, offset);
            let line = text.lines().nth(span.line - 1).unwrap_or("");
            let want = window(line.trim_end_matches('\r'), span.col);
            assert_eq!(window_at(&text, offset), want, "offset {offset}");
        }
    }

    #[test]
    fn offsets_become_line_and_char_column() {
        let text = "一行目\n二行目のリンク[x](y)\n";
        let off = text.find("[x]").unwrap();
        assert_eq!(Span::from_offset(text, off), Span::new(2, 8));
        assert_eq!(Span::from_offset(text, 0), Span::new(1, 1));
    }

    #[test]
    fn find_key_in_each_format() {
        assert_eq!(Span::find_key("a = 1\ndate = 2\n", "date").line, 2);
        assert_eq!(Span::find_key("a: 1\n  date: x\n", "date"), Span::new(2, 3));
        assert_eq!(Span::find_key("{\n  \"date\": 1\n}", "date").line, 2);
        assert_eq!(Span::find_key("dated = 1\n", "date").line, 1); // not found → start
        assert_eq!(
            Span::find_key("a = 1\n[detection]\nsource = 1\n", "detection").line,
            2
        );
    }

    #[test]
    fn human_output_points_at_the_column_under_wide_characters() {
        let text = "日本語[x](y)";
        let d =
            Diagnostic::error("broken-link", "bad").at(Path::new("a.md"), Span::new(1, 4), text);
        let out = render(&[d], Format::Human, false);
        assert!(out.contains("--> a.md:1:4"), "{out}");
        // three wide characters = 6 columns before the caret
        assert!(out.contains("|       ^"), "{out}");
        assert!(
            out.contains("1 error, 0 warnings (broken-link ×1)"),
            "{out}"
        );
    }

    #[test]
    fn github_annotations_escape_properties() {
        let d = Diagnostic::warning("x", "a\nb").at(Path::new("a,b.md"), Span::new(3, 2), "");
        let out = render(&[d], Format::Github, false);
        assert_eq!(
            out.lines().next().unwrap(),
            "::warning file=a%2Cb.md,line=3,col=2,title=x::a%0Ab"
        );
    }

    #[test]
    fn long_lines_show_a_window_around_the_span() {
        let line = format!("{}[x](#nope){}", "あ".repeat(3000), "b".repeat(3000));
        let col = 3001;
        let d = Diagnostic::error("broken-anchor", "no").at(
            Path::new("a.md"),
            Span::new(1, col),
            &line,
        );
        let src = d.source_line.as_deref().unwrap();
        assert!(src.chars().count() <= WINDOW + 2, "{}", src.len());
        assert!(src.starts_with('…') && src.ends_with('…'));
        let out = render(std::slice::from_ref(&d), Format::Human, false);
        assert!(out.len() < 1000, "{}", out.len());
        // The caret sits under the `[`: 60 wide characters (120 columns) plus `…`.
        let caret = out.lines().find(|l| l.trim_end().ends_with('^')).unwrap();
        let src_line = out.lines().find(|l| l.contains("[x](#nope)")).unwrap();
        let caret_col = UnicodeWidthStr::width(caret) - 1;
        let bracket = src_line.find("[x]").unwrap();
        assert_eq!(caret_col, UnicodeWidthStr::width(&src_line[..bracket]));
        let json = render(&[d], Format::Json, false);
        assert!(json.len() < 1500, "{}", json.len());
        // A line set directly (alert rules) is cut when rendered.
        let mut d = Diagnostic::error("x", "y");
        d.file = Some("r.yml".into());
        d.span = Span::new(1, 5000);
        d.source_line = Some("z".repeat(100_000));
        assert!(render(&[d.clone()], Format::Human, false).len() < 1000);
        assert!(render(&[d], Format::Json, false).len() < 1000);
        assert_eq!(window("short", 3), ("short".to_string(), 3));
        let long: String = (0..300)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let (w, c) = window(&long, 1);
        assert_eq!((w.chars().count(), c), (WINDOW + 1, 1));
        assert!(w.ends_with('…') && w.starts_with('a'));
        let (w, c) = window(&long, 300);
        assert_eq!((w.chars().count(), c), (WINDOW + 1, WINDOW + 1));
        assert_eq!(w.chars().nth(c - 1), long.chars().last());
        let (w, c) = window(&long, 150);
        assert_eq!(w.chars().nth(c - 1), long.chars().nth(149));
        assert_eq!(w.chars().count(), WINDOW + 2);
        // Past the end of the line: the window ends at it.
        let (w, _) = window(&long, 999);
        assert!(w.starts_with('…') && !w.ends_with('…'));
        let wide = "日本語".repeat(100);
        let (w, c) = window(&wide, 151);
        assert_eq!(w.chars().nth(c - 1), wide.chars().nth(150));
    }

    #[test]
    fn human_output_caps_each_code_and_hints_at_the_policy() {
        let ds: Vec<_> = (0..100)
            .map(|i| {
                Diagnostic::error("broken-anchor", format!("anchor {i}")).at(
                    Path::new("a.md"),
                    Span::new(1, 1),
                    "x",
                )
            })
            .chain([Diagnostic::warning("stale", "old").in_file(Path::new("b.md"))])
            .collect();
        let out = render(&ds, Format::Human, false);
        assert_eq!(out.matches("error[broken-anchor]").count(), PER_CODE);
        assert!(out.contains("… and 80 more `broken-anchor`"), "{out}");
        assert!(out.contains("warning[stale]"));
        assert!(
            out.contains("hint: set `[links] anchors = \"warn\"`"),
            "{out}"
        );
        assert!(
            out.trim_end().ends_with("to accept broken anchors"),
            "{out}"
        );
    }

    #[test]
    fn content_cannot_drive_the_terminal() {
        let text = "# \x1b]0;owned\x07 title\x1b[2J\n";
        let d =
            Diagnostic::error("x", "bad \x1b[31mred").at(Path::new("a.md"), Span::new(1, 3), text);
        let out = render(&[d], Format::Human, false);
        assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
        assert!(out.contains("\\x1b]0;owned\\x07"), "{out}");
        assert!(out.contains("bad \\x1b[31mred"), "{out}");
    }

    #[test]
    fn sorted_and_deduplicated() {
        let ds = Diagnostics::default();
        ds.push(Diagnostic::error("b", "2").at(Path::new("b.md"), Span::new(1, 1), ""));
        ds.push(Diagnostic::error("a", "1").at(Path::new("a.md"), Span::new(9, 1), ""));
        ds.push(Diagnostic::error("a", "1").at(Path::new("a.md"), Span::new(9, 1), ""));
        let v = ds.into_sorted();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].file.as_deref(), Some(Path::new("a.md")));
    }
}
