//! The taxonomies stage: terms collected from front matter (`tags`, …), and a
//! taxonomy whose pages would overwrite a section reported.

use super::Site;
use crate::content::cache_key::CacheKey;
use crate::content::Target;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::taxonomy::{self, Taxonomy};

/// What `serve` keeps: the last build's taxonomies and the key they were made for.
pub(crate) type TaxonomyCache = std::sync::Mutex<Option<(blake3::Hash, Vec<Taxonomy>)>>;

/// The taxonomies; with a cache, taken from the last build when the site's shape
/// (every page's place, title and front matter, in order) and the configured
/// taxonomies are the same.
pub(crate) fn run(
    site: &Site,
    cache: Option<(&TaxonomyCache, blake3::Hash)>,
    diags: &Diagnostics,
) -> Vec<Taxonomy> {
    let key = cache.map(|(_, shape)| {
        CacheKey::new()
            .hash(shape.as_bytes())
            .hash(&site.config.taxonomies)
            .finish()
    });
    if let (Some((c, _)), Some(key)) = (cache, key) {
        if let Some((k, t)) = &*c.lock().unwrap_or_else(|e| e.into_inner()) {
            if *k == key {
                return t.clone();
            }
        }
    }
    let t = collect(site, diags);
    if let (Some((c, _)), Some(key)) = (cache, key) {
        // Only a clean result is kept, so its diagnostics never need telling again.
        if !diags.has_errors() {
            *c.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, t.clone()));
        }
    }
    t
}

fn collect(site: &Site, diags: &Diagnostics) -> Vec<Taxonomy> {
    let t = taxonomy::collect(&site.lib, &site.config.taxonomies);
    for tax in &t {
        if let Some(Target::Section(si)) = site.lib.by_path.get(&tax.path()) {
            diags.push(
                Diagnostic::error(
                    "duplicate-path",
                    format!(
                        "the `{}` taxonomy's pages would overwrite section /{}",
                        tax.name,
                        tax.path()
                    ),
                )
                .in_file(&site.lib.sections[*si].doc.source),
            );
        }
    }
    t
}
