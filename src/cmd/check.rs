//! `srekb check`: every validation of a build, writing nothing.

use std::path::PathBuf;

use anyhow::Result;

use crate::diagnostics::{self, Format};
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
        ..BuildOptions::new(root, OutputMode::Check)
    })?;
    match format {
        Format::Human => super::eprint_diagnostics(&report.diagnostics),
        other => print!("{}", diagnostics::render(&report.diagnostics, other, false)),
    }
    if verbose {
        for (name, d) in &report.steps {
            eprintln!("  {name:<12} {:>8.1} ms", d.as_secs_f64() * 1000.0);
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
    Ok(if failed { 1 } else { 0 })
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
