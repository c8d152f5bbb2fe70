//! `srekb check`: every validation of a build, writing nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{EXIT_FINDINGS, EXIT_OK};
use crate::diagnostics::{self, Diagnostic, Format, RepoPaths};
use crate::site::{self, BuildOptions, OutputMode};

pub fn run(
    root: PathBuf,
    format: Format,
    strict: bool,
    drafts: bool,
    alert_rules: Vec<PathBuf>,
    verbose: bool,
) -> Result<i32> {
    let report = site::build(&BuildOptions {
        drafts,
        alert_rules,
        ..BuildOptions::new(root.clone(), OutputMode::Check)
    })?;
    let diags = &report.diagnostics;
    match format {
        Format::Human => super::eprint_diagnostics(diags),
        Format::Json => super::write_stdout(diagnostics::render(diags, format, false).as_bytes())?,
        Format::Github | Format::Gitlab => {
            let paths = RepoPaths::for_root(&root);
            let text = diagnostics::render_with(diags, format, false, &paths);
            super::write_stdout(text.as_bytes())?;
            if format == Format::Github {
                if let Some(file) =
                    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|f| !f.is_empty())
                {
                    append_step_summary(Path::new(&file), diags, &paths)?;
                }
            }
        }
    }
    if verbose {
        for s in &report.steps {
            eprintln!("{}", s.line());
        }
    }
    let failed = report.errors() > 0 || (strict && report.warnings() > 0);
    if format == Format::Human {
        let total: usize = report.pages_by_kind.values().sum();
        eprintln!(
            "check: {} — {}, {} in {total} pages",
            if failed { "FAILED" } else { "ok" },
            plural(report.errors(), "error"),
            plural(report.warnings(), "warning")
        );
    }
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

/// Appends the markdown table to the file GitHub shows on the run's summary page.
fn append_step_summary(file: &Path, diags: &[Diagnostic], paths: &RepoPaths) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("opening GITHUB_STEP_SUMMARY {}", file.display()))?;
    f.write_all(diagnostics::ci::step_summary(diags, paths).as_bytes())
        .with_context(|| format!("writing GITHUB_STEP_SUMMARY {}", file.display()))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
