//! Diagnostics for CI systems: GitHub workflow annotations and step summary, GitLab
//! Code Quality reports, with paths relative to the git repository's top level.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::{term, Diagnostic, Severity};

/// GitHub shows about 10 annotations of each level per step and drops the rest;
/// more than this only lengthens the log.
const GITHUB_MAX_PER_LEVEL: usize = 50;

/// Turns the paths diagnostics carry (relative to `--root`, or as given on the
/// command line) into paths relative to the git top level, which is what GitHub and
/// GitLab resolve annotations against when the knowledge base sits in a subfolder.
#[derive(Debug, Default)]
pub struct RepoPaths {
    /// (canonical root, canonical top level, canonical current directory).
    repo: Option<(PathBuf, PathBuf, PathBuf)>,
}

impl RepoPaths {
    /// Paths left as they are (no repository known).
    pub fn identity() -> RepoPaths {
        RepoPaths::default()
    }

    /// Locates the git top level above `root` (the nearest directory holding `.git`,
    /// a directory or, in worktrees and submodules, a file).
    pub fn for_root(root: &Path) -> RepoPaths {
        let Ok(root) = root.canonicalize() else {
            return RepoPaths::default();
        };
        let top = root
            .ancestors()
            .find(|d| d.join(".git").exists())
            .map(Path::to_path_buf);
        let cwd = std::env::current_dir()
            .and_then(|d| d.canonicalize())
            .unwrap_or_else(|_| root.clone());
        RepoPaths {
            repo: top.map(|top| (root, top, cwd)),
        }
    }

    /// `file` relative to the top level, with `/` separators; unchanged when there is
    /// no repository or the file lies outside it.
    pub fn show(&self, file: &Path) -> String {
        let Some((root, top, cwd)) = &self.repo else {
            return slash(file);
        };
        let abs = if file.is_absolute() {
            file.to_path_buf()
        } else {
            // Content paths are relative to the root; `--alert-rules FILE` to the
            // current directory. The one that exists is the one meant.
            let in_root = root.join(file);
            let in_cwd = cwd.join(file);
            if !in_root.exists() && in_cwd.exists() {
                in_cwd
            } else {
                in_root
            }
        };
        let abs = abs.canonicalize().unwrap_or_else(|_| normalise(&abs));
        match abs.strip_prefix(top) {
            Ok(rel) => slash(rel),
            Err(_) => slash(file),
        }
    }
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Removes `.` and `a/..` without touching the disk (for files that do not exist).
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github_one(d: &Diagnostic, paths: &RepoPaths) -> String {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = Vec::new();
    if let Some(f) = &d.file {
        let shown = paths.show(f);
        props.push(format!(
            "file={}",
            gh_escape_prop(&term::escape(&shown, false))
        ));
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
    // The log is shown in a terminal too: controls escaped, newlines kept for %0A.
    let msg = term::escape(&msg, true);
    format!("::{level} {}::{}\n", props.join(","), gh_escape_data(&msg))
}

/// Workflow commands: errors first (GitHub keeps only the first few of each level),
/// then warnings, then a notice with the totals.
pub fn github(diags: &[Diagnostic], paths: &RepoPaths) -> String {
    let mut out = String::new();
    let mut left = 0;
    for level in [Severity::Error, Severity::Warning] {
        let of_level: Vec<&Diagnostic> = diags.iter().filter(|d| d.severity == level).collect();
        for d in of_level.iter().take(GITHUB_MAX_PER_LEVEL) {
            out.push_str(&github_one(d, paths));
        }
        left += of_level.len().saturating_sub(GITHUB_MAX_PER_LEVEL);
    }
    if !diags.is_empty() {
        let mut note = format!("srekb check: {}.", super::summary(diags));
        if left > 0 {
            let _ = write!(note, " {left} more not annotated.");
        }
        note.push_str(" GitHub shows about 10 annotations of each level per step; the step summary and `srekb check` list them all.");
        let _ = writeln!(out, "::notice title=srekb check::{}", gh_escape_data(&note));
    }
    out
}

/// A markdown section for `$GITHUB_STEP_SUMMARY`: counts per code and where each
/// code occurs first.
pub fn step_summary(diags: &[Diagnostic], paths: &RepoPaths) -> String {
    const FIRST: usize = 3;
    let mut out = String::from("## srekb check\n\n");
    if diags.is_empty() {
        out.push_str("No problems found.\n");
        return out;
    }
    let _ = writeln!(out, "{}\n", md_cell(&super::summary(diags)));
    out.push_str("| code | level | count | first locations |\n|---|---|---:|---|\n");
    let mut by_code: BTreeMap<(Severity, &str), Vec<&Diagnostic>> = BTreeMap::new();
    for d in diags {
        by_code.entry((d.severity, d.code)).or_default().push(d);
    }
    for ((severity, code), ds) in &by_code {
        let level = match severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let locs: Vec<String> = ds
            .iter()
            .take(FIRST)
            .map(|d| match &d.file {
                Some(f) if d.span.line > 0 => format!("`{}:{}`", paths.show(f), d.span.line),
                Some(f) => format!("`{}`", paths.show(f)),
                None => "(site)".to_string(),
            })
            .collect();
        let more = if ds.len() > FIRST { ", …" } else { "" };
        let _ = writeln!(
            out,
            "| `{code}` | {level} | {} | {}{more} |",
            ds.len(),
            md_cell(&locs.join(", "))
        );
    }
    out.push('\n');
    out
}

/// Text safe inside a markdown table cell.
fn md_cell(s: &str) -> String {
    term::escape(s, false).replace('|', "\\|")
}

#[derive(Serialize)]
struct CodeQuality {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// A GitLab Code Quality report (the subset of Code Climate's format GitLab reads).
pub fn gitlab(diags: &[Diagnostic], paths: &RepoPaths) -> String {
    let issues: Vec<CodeQuality> = diags
        .iter()
        .map(|d| {
            let path = d.file.as_deref().map(|f| paths.show(f)).unwrap_or_default();
            let begin = d.span.line.max(1);
            let mut description = d.message.clone();
            if let Some(h) = &d.help {
                description.push_str(" (help: ");
                description.push_str(h);
                description.push(')');
            }
            // Stable across runs so GitLab can tell new problems from old ones.
            let mut h = blake3::Hasher::new();
            for part in [d.code, &path, &begin.to_string(), &d.message] {
                h.update(part.as_bytes());
                h.update(&[0]);
            }
            CodeQuality {
                description,
                check_name: d.code,
                fingerprint: h.finalize().to_hex()[..32].to_string(),
                severity: match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                location: Location {
                    path,
                    lines: Lines { begin },
                },
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Span;

    #[test]
    fn github_prints_errors_first_escaped_and_a_notice() {
        let ds = vec![
            Diagnostic::warning("w", "warn").at(Path::new("a.md"), Span::new(1, 1), "x"),
            Diagnostic::error("e", "bad \x1b[2J").at(Path::new("b,c.md"), Span::new(3, 2), "x"),
        ];
        let out = github(&ds, &RepoPaths::identity());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "::error file=b%2Cc.md,line=3,col=2,title=e::bad \\x1b[2J"
        );
        assert!(lines[1].starts_with("::warning file=a.md,line=1"), "{out}");
        assert!(lines[2].starts_with("::notice title=srekb check::srekb check: 1 error, 1 warning"));
    }

    #[test]
    fn github_annotates_a_bounded_number() {
        let ds: Vec<_> = (0..500)
            .map(|i| Diagnostic::error("e", "x").at(Path::new("a.md"), Span::new(i + 1, 1), ""))
            .collect();
        let out = github(&ds, &RepoPaths::identity());
        assert_eq!(out.lines().count(), GITHUB_MAX_PER_LEVEL + 1);
        assert!(out.contains("450 more not annotated"), "{out}");
    }

    #[test]
    fn gitlab_report_has_the_fields_gitlab_reads() {
        let ds = vec![Diagnostic::error("broken-link", "no such page").at(
            Path::new("content/a.md"),
            Span::new(7, 3),
            "",
        )];
        let v: serde_json::Value =
            serde_json::from_str(&gitlab(&ds, &RepoPaths::identity())).unwrap();
        assert_eq!(v[0]["check_name"], "broken-link");
        assert_eq!(v[0]["severity"], "major");
        assert_eq!(v[0]["location"]["path"], "content/a.md");
        assert_eq!(v[0]["location"]["lines"]["begin"], 7);
        assert_eq!(v[0]["fingerprint"].as_str().unwrap().len(), 32);
    }

    #[test]
    fn step_summary_is_a_table_with_escaped_cells() {
        let ds = vec![
            Diagnostic::error("broken-link", "x").at(Path::new("a|b.md"), Span::new(2, 1), ""),
            Diagnostic::error("broken-link", "y").at(Path::new("c.md"), Span::new(4, 1), ""),
        ];
        let out = step_summary(&ds, &RepoPaths::identity());
        assert!(
            out.contains("| `broken-link` | error | 2 | `a\\|b.md:2`, `c.md:4` |"),
            "{out}"
        );
    }

    #[test]
    fn paths_become_relative_to_the_git_top_level() {
        let dir = tempfile::tempdir().unwrap();
        let kb = dir.path().join("docs/kb");
        std::fs::create_dir_all(kb.join("content")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(kb.join("content/a.md"), "").unwrap();
        let p = RepoPaths::for_root(&kb);
        assert_eq!(p.show(Path::new("content/a.md")), "docs/kb/content/a.md");
        assert_eq!(
            p.show(Path::new("content/missing.md")),
            "docs/kb/content/missing.md"
        );
        assert_eq!(
            RepoPaths::identity().show(Path::new("content/a.md")),
            "content/a.md"
        );
    }
}
