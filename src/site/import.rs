//! The import stage: markdown written for other tools (Hugo shortcodes, MkDocs
//! admonitions, `:::` containers) is rewritten before kinds analyse a body, so a
//! postmortem's timeline is found in the same text the markdown stage renders.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::content::{ImportedBody, Library, Target};
use crate::diagnostics::{Diagnostic, Diagnostics, Span};
use crate::markdown::import;

/// One document's rewrite: its new body (None when unchanged) and the unknown
/// shortcodes (name → lines).
#[derive(Clone)]
pub(crate) struct Rewrite {
    body: Option<Box<ImportedBody>>,
    unknown: BTreeMap<String, Vec<usize>>,
}

/// What `serve` keeps: content-relative path → (text hash, its rewrite if it has one).
pub(crate) type ImportCache = std::sync::Mutex<HashMap<String, (blake3::Hash, Option<Rewrite>)>>;

/// Rewrites every document's body in place (see [`crate::content::Document::body`])
/// and reports unknown shortcodes per file and once for the whole site; with a
/// cache, a document whose text is unchanged takes its rewrite from the last build.
pub(crate) fn run(lib: &mut Library, cache: Option<&ImportCache>, diags: &Diagnostics) {
    let targets: Vec<Target> = lib.targets().collect();
    let mut kept = cache.map(|c| c.lock().unwrap_or_else(|e| e.into_inner()));
    let previous = kept.as_deref();
    // (document, its rewrite, whether it was made now)
    let results: Vec<(Target, Option<Rewrite>, bool)> = targets
        .par_iter()
        .filter_map(|&t| {
            let doc = lib.doc(t);
            if doc.rel.is_empty() {
                return None;
            }
            if let Some((key, r)) = previous.and_then(|p| p.get(&doc.rel)) {
                if *key == doc.text_key {
                    return Some((t, r.clone(), false));
                }
            }
            let imported = import::rewrite(doc.original_body());
            let changed = imported.body != doc.original_body();
            let rewrite = (changed || !imported.unknown.is_empty()).then(|| Rewrite {
                body: changed.then(|| {
                    Box::new(ImportedBody {
                        body: imported.body,
                        callout_titles: imported.titles,
                    })
                }),
                unknown: imported.unknown,
            });
            Some((t, rewrite, true))
        })
        .collect();
    if let Some(map) = kept.as_mut() {
        for (t, r, fresh) in &results {
            if *fresh {
                let doc = lib.doc(*t);
                map.insert(doc.rel.clone(), (doc.text_key, r.clone()));
            }
        }
    }
    drop(kept);
    let results = results
        .into_iter()
        .filter_map(|(t, r, _)| r.map(|r| (t, r)));
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
        doc.imported = imported.body;
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
