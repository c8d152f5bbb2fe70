//! `srekb build`: the full site into public/, atomically; with the build cache in
//! `.srekb/cache/`, rendering only what changed since the last build.

use std::path::PathBuf;

use anyhow::Result;

use crate::site::{self, BuildOptions, OutputMode};

pub fn run(
    root: PathBuf,
    output: Option<PathBuf>,
    drafts: bool,
    base_url: Option<String>,
    cache: bool,
    verbose: bool,
) -> Result<i32> {
    let out = output.unwrap_or_else(|| root.join("public"));
    let report = site::build(&BuildOptions {
        drafts,
        base_url,
        persistent: cache,
        ..BuildOptions::new(root, OutputMode::Dir(out.clone()))
    })?;
    super::eprint_diagnostics(&report.diagnostics);
    if verbose {
        for s in &report.steps {
            eprintln!("{}", s.line());
        }
        if let Some(s) = &report.search {
            eprintln!(
                "  search export: {} documents ({} analysed), {} terms, {} files ({} kept)",
                s.docs, s.analysed, s.terms, s.files, s.kept
            );
        }
    }
    if report.ok {
        println!("Built {} → {}", report.summary(), out.display());
        Ok(0)
    } else {
        eprintln!(
            "Build failed with {} error{}; {} was left unchanged.",
            report.errors(),
            if report.errors() == 1 { "" } else { "s" },
            out.display()
        );
        Ok(1)
    }
}
