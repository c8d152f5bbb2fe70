//! The import stage: markdown written for other tools (Hugo shortcodes, MkDocs
//! admonitions, `:::` containers) is rewritten before kinds analyse a body, so a
//! postmortem's timeline is found in the same text the markdown stage renders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::content::{ImportedBody, Library, Target};
use crate::diagnostics::{Diagnostic, Diagnostics, Span};
use crate::markdown::import;

/// Rewrites every document's body in place (see [`crate::content::Document::body`])
/// and reports unknown shortcodes per file and once for the whole site.
pub(crate) fn run(lib: &mut Library, diags: &Diagnostics) {
    let targets: Vec<Target> = lib.targets().collect();
    let results: Vec<(Target, import::Imported)> = targets
        .par_iter()
        .filter_map(|&t| {
            let doc = lib.doc(t);
            if doc.rel.is_empty() {
                return None;
            }
            let imported = import::rewrite(doc.original_body());
            let changed = imported.body != doc.original_body() || !imported.unknown.is_empty();
            changed.then_some((t, imported))
        })
        .collect();
    // Unknown shortcodes over the whole site: name → (occurrences, files).
    let mut tally: BTreeMap<String, (usize, BTreeSet<PathBuf>)> = BTreeMap::new();
    for (t, imported) in results {
        let doc = lib.doc_mut(t);
        for (name, lines) in &imported.unknown {
            let e = tally.entry(name.clone()).or_default();
            e.0 += lines.len();
            e.1.insert(doc.source.clone());
            let times = if lines.len() > 1 {
                format!(" ({} times in this file)", lines.len())
            } else {
                String::new()
            };
            diags.push(
                Diagnostic::warning(
                    "shortcode",
                    format!("unknown shortcode `{name}`{times}: shown as its inner text"),
                )
                .at(
                    &doc.source,
                    Span::new(doc.body_line + lines[0], 1),
                    &doc.text,
                ),
            );
        }
        if imported.body != doc.original_body() {
            doc.imported = Some(Box::new(ImportedBody {
                body: imported.body,
                callout_titles: imported.titles,
            }));
        }
    }
    if !tally.is_empty() {
        let total: usize = tally.values().map(|v| v.0).sum();
        let files: BTreeSet<&PathBuf> = tally.values().flat_map(|v| v.1.iter()).collect();
        let mut by_count: Vec<(&String, usize)> = tally.iter().map(|(k, v)| (k, v.0)).collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = by_count.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        diags.push(
            Diagnostic::warning(
                "shortcode",
                format!(
                    "{total} unknown shortcodes in {} files: {}",
                    files.len(),
                    list.join(", ")
                ),
            )
            .with_help("their inner markdown is rendered; the shortcodes themselves are not"),
        );
    }
}
