//! The scope stage: with `serve`'s cache and a list of changed files, or with the
//! persistent cache's manifest (`srekb build`), the pages, sections, terms and kinds
//! a rebuild must render; everything else is unchanged.

use super::persist::Manifest;
use super::{BuildCache, BuildOptions, Site};
use crate::content::cache_key::CacheKey;
use crate::content::{Kind, Library, Target};

/// The documents a scoped build renders; everything else is unchanged.
#[derive(Default)]
pub(crate) struct Scope {
    pub(crate) pages: std::collections::HashSet<usize>,
    /// Sections whose pages are rendered again.
    pub(crate) sections: std::collections::HashSet<usize>,
    /// Sections whose feeds are written again (they carry the changed pages' HTML).
    pub(crate) feeds: std::collections::HashSet<usize>,
    /// (taxonomy, term slug)
    pub(crate) terms: std::collections::HashSet<(String, String)>,
    /// Kinds of the changed pages (their reports and indexes are rendered again).
    pub(crate) kinds: std::collections::HashSet<Kind>,
    /// The changed documents themselves, in the order of the changed paths.
    pub(crate) changed: Vec<Target>,
}

impl Scope {
    /// Whether the pages generated for `kinds` (reports, alert pages, scorecards)
    /// must be rendered again.
    pub(crate) fn touches(scope: Option<&Scope>, kinds: &[Kind]) -> bool {
        scope.is_none_or(|s| kinds.iter().any(|k| s.kinds.contains(k)))
    }
}

/// Hash of what other pages show of every document: place, title, front matter (its
/// text, from which its dates, taxonomy terms and fields are read) and kind. A change
/// that keeps it leaves other pages' lists, navigation and links as they were.
pub(crate) fn site_shape(lib: &Library) -> blake3::Hash {
    // One buffer hashed at once: ten thousand documents' small pieces fed to the
    // hasher one by one cost more than the hashing itself.
    let mut buf: Vec<u8> = Vec::with_capacity(lib.pages.len() * 512);
    let mut put = |part: &str| {
        buf.extend_from_slice(&(part.len() as u64).to_le_bytes());
        buf.extend_from_slice(part.as_bytes());
    };
    for t in lib.targets() {
        let d = lib.doc(t);
        for part in [&d.rel, &d.path, &d.title, &d.text[d.fm.start..d.fm.end]] {
            put(part);
        }
        if let Target::Page(p) = t {
            put(lib.pages[p].kind.as_str());
        }
    }
    put(CacheKey::new().hash(&lib.assets).finish().to_hex().as_str());
    blake3::hash(&buf)
}

/// The shape of a library that `serve`'s load patched in place (every document's
/// place, title, front matter and kind, and the other files, as the last load had
/// them): the last build's, without hashing every document again.
pub(crate) fn kept_shape(cache: &BuildCache, lib: &Library) -> blake3::Hash {
    let kept = *cache.shape.lock().unwrap_or_else(|e| e.into_inner());
    // Test builds check that it is what hashing would give.
    debug_assert!(
        kept.is_none_or(|k| k == site_shape(lib)),
        "a load patched in place changed the site's shape"
    );
    kept.unwrap_or_else(|| site_shape(lib))
}

/// With a cache and a list of changed files: the pages to render, or None for all.
pub(crate) fn scope_of_change(
    site: &Site,
    shape: blake3::Hash,
    opts: &BuildOptions,
) -> Option<Scope> {
    let cache = opts.cache.as_ref()?;
    let previous = cache
        .shape
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .replace(shape);
    let changed = opts.changed.as_ref()?;
    if previous != Some(shape) || changed.is_empty() {
        return None;
    }
    let mut rels = Vec::new();
    for path in changed {
        // The library is keyed by NFC paths; macOS reports NFD names.
        let rel = crate::content::load::nfc_rel(
            &path
                .strip_prefix("content")
                .ok()?
                .to_str()?
                .replace('\\', "/"),
        );
        if !rel.ends_with(".md") {
            return None;
        }
        rels.push(rel);
    }
    scope_of_docs(&site.lib, &rels)
}

/// `srekb build` with the persistent cache: when everything but the documents' text
/// is as the previous build had it (`env`, the shape, the same documents), the
/// pages depending on the documents whose text changed; None for a full build.
pub(crate) fn scope_of_previous(
    lib: &Library,
    shape: blake3::Hash,
    env: Option<[u8; 32]>,
    docs: &std::collections::HashMap<String, [u8; 32]>,
    previous: &Manifest,
) -> Option<Scope> {
    if env? != previous.env || *shape.as_bytes() != previous.shape {
        return None;
    }
    if docs.len() != previous.docs.len() {
        return None;
    }
    let mut changed = Vec::new();
    for (rel, hash) in docs {
        if previous.docs.get(rel)? != hash {
            changed.push(rel.clone());
        }
    }
    changed.sort();
    scope_of_docs(lib, &changed)
}

/// The pages, sections, terms and kinds that show the documents at `rels`
/// (content-relative): each page, its terms and kind, and its sections up to the root.
fn scope_of_docs(lib: &Library, rels: &[String]) -> Option<Scope> {
    let mut scope = Scope::default();
    for rel in rels {
        let target = *lib.by_rel.get(rel)?;
        if !scope.changed.contains(&target) {
            scope.changed.push(target);
        }
        let (mut section, lists) = match &target {
            Target::Page(p) => {
                scope.pages.insert(*p);
                let page = &lib.pages[*p];
                // What lists (sections, terms, kinds' reports) show of a page is in
                // the site's shape, but for the data its kind derived from its text.
                let lists = page.data.is_some();
                if lists {
                    scope.kinds.insert(page.kind);
                    for (tax, terms) in page.doc.taxonomies.iter() {
                        for term in terms {
                            scope
                                .terms
                                .insert((tax.clone(), crate::content::slug::path_segment(term)));
                        }
                    }
                }
                (Some(page.section), lists)
            }
            Target::Section(s) => (Some(*s), true),
        };
        while let Some(s) = section {
            if lists {
                scope.sections.insert(s);
            }
            scope.feeds.insert(s);
            section = lib.sections[s].parent;
        }
    }
    Some(scope)
}
