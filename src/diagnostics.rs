//! Errors and warnings about the user's input, located at file:line:col, collected for
//! the whole run and printed together as human text, JSON or GitHub annotations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A 1-based line and column (in characters). Line 0 means "the whole file".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
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
            self.source_line = text
                .lines()
                .nth(span.line - 1)
                .map(|l| l.trim_end_matches('\r').to_string());
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

/// How `check` (and `build` on failure) prints diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
}

/// Renders diagnostics in `format`. Human output ends with a per-code summary.
pub fn render(diags: &[Diagnostic], format: Format, color: bool) -> String {
    match format {
        Format::Human => render_human(diags, color),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(diags).unwrap_or_else(|_| "[]".into());
            s.push('\n');
            s
        }
        Format::Github => diags.iter().map(render_github).collect(),
    }
}

pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn render_human(diags: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    for d in diags {
        let (label, code) = match d.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
        };
        let _ = writeln!(
            out,
            "{}{} {}",
            paint(color, code, &format!("{label}[{}]", d.code)),
            paint(color, "1", ":"),
            paint(color, "1", &d.message)
        );
        let loc = d.location();
        if !loc.is_empty() {
            let gutter = d.span.line.to_string().len().max(1);
            let _ = writeln!(out, "{:gutter$}{} {loc}", "", paint(color, "34", "-->"));
            if let Some(src) = &d.source_line {
                let pad = " ".repeat(gutter);
                let bar = paint(color, "34", "|");
                let _ = writeln!(out, "{pad} {bar}");
                let _ = writeln!(
                    out,
                    "{} {bar} {src}",
                    paint(color, "34", &d.span.line.to_string())
                );
                let prefix: String = src.chars().take(d.span.col.saturating_sub(1)).collect();
                let width = UnicodeWidthStr::width(prefix.as_str());
                let _ = writeln!(
                    out,
                    "{pad} {bar} {}{}",
                    " ".repeat(width),
                    paint(color, code, "^")
                );
            }
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out.push('\n');
    }
    if !diags.is_empty() {
        out.push_str(&summary(diags));
        out.push('\n');
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

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn render_github(d: &Diagnostic) -> String {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = Vec::new();
    if let Some(f) = &d.file {
        props.push(format!("file={}", gh_escape_prop(&f.to_string_lossy())));
        if d.span.line > 0 {
            props.push(format!("line={}", d.span.line));
            props.push(format!("col={}", d.span.col.max(1)));
        }
    }
    props.push(format!("title={}", gh_escape_prop(d.code)));
    let mut msg = d.message.clone();
    if let Some(h) = &d.help {
        msg.push_str("\nhelp: ");
        msg.push_str(h);
    }
    format!("::{level} {}::{}\n", props.join(","), gh_escape_data(&msg))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(out, "::warning file=a%2Cb.md,line=3,col=2,title=x::a%0Ab\n");
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
