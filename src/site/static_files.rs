//! The static stage: `static/` as is, and the files beside pages in `content/`.

use anyhow::{Context as _, Result};
use rayon::prelude::*;
use walkdir::WalkDir;

use super::Site;
use crate::content::load;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::output::Output;

/// `static/` as is, and the files that sit beside pages in `content/`.
pub(crate) fn run(site: &Site, out: &Output, diags: &Diagnostics) -> Result<()> {
    let dir = site.root.join("static");
    if dir.is_dir() {
        let canon = dir
            .canonicalize()
            .with_context(|| format!("reading {}", dir.display()))?;
        for entry in WalkDir::new(&dir).follow_links(true).sort_by_file_name() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "io",
                        format!("cannot read static file: {e}"),
                    ));
                    continue;
                }
            };
            if !entry.file_type().is_file()
                || load::is_ignored(&entry.file_name().to_string_lossy())
            {
                continue;
            }
            let real = entry
                .path()
                .canonicalize()
                .unwrap_or_else(|_| entry.path().to_path_buf());
            if !real.starts_with(&canon) {
                diags.push(
                    Diagnostic::error(
                        "symlink",
                        "symlink points outside static/; refusing to copy it",
                    )
                    .in_file(&load::display(entry.path(), &site.root)),
                );
                continue;
            }
            let rel = entry.path().strip_prefix(&dir).expect("under static/");
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.copy(entry.path(), &rel)?;
        }
    }
    site.lib
        .assets
        .par_iter()
        .try_for_each(|a| out.copy(&a.from, &a.to))?;
    Ok(())
}
