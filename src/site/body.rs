//! The markdown stage: every document's body to HTML, in parallel, with the kinds'
//! fragments in place of the ranges they replace; `serve` reuses unchanged ones.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;

use super::{persist, BuildCache, Site};
use crate::content::cache_key::CacheKey;
use crate::content::Target;
use crate::diagnostics::Diagnostics;
use crate::markdown;

/// What `serve` keeps of each document's HTML between builds, at the document's
/// place in the last build's [`crate::content::Library::targets`] order: its source
/// (the document found there is looked up by it only when it is another), the key
/// and the HTML.
pub(crate) type Kept = Vec<Option<(PathBuf, blake3::Hash, markdown::Rendered)>>;

/// Where unchanged documents' HTML comes from.
pub(crate) enum Reuse<'a> {
    /// `serve`'s cache, kept between builds: its HTML moves into the documents and
    /// back into the cache after the build ([`keep`]). `in_place`: the load left
    /// every document where the last one had it.
    Shared {
        cache: &'a BuildCache,
        in_place: bool,
    },
    /// What the persistent cache files held: moved into the documents.
    Owned(persist::MarkdownMap),
}

/// With [`Reuse::Owned`]: what the persistent cache must now hold.
pub(crate) struct Fresh {
    /// Each cacheable document's key (its HTML is in the library).
    pub keys: Vec<(Target, blake3::Hash)>,
    /// Sources rendered anew or gone since the cache was written.
    pub dirty: Vec<PathBuf>,
}

/// Markdown → HTML for every document, in parallel.
pub(crate) fn run(
    site: &mut Site,
    mut reuse: Option<Reuse<'_>>,
    diags: &Diagnostics,
) -> Option<Fresh> {
    // Sections without an index file take their title from the UI strings.
    if let Some(r) = &site.renderer {
        for s in &mut site.lib.sections {
            if !s.has_index_file {
                if s.parent.is_none() {
                    s.doc.title = site.config.title.clone();
                } else {
                    let key = format!("section.{}", s.dir.rsplit('/').next().unwrap_or(""));
                    if let Some(title) = r.lookup(&key) {
                        s.doc.title = title.to_string();
                    }
                }
            }
        }
    }
    let empty: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let copy_label = site
        .renderer
        .as_ref()
        .map_or("Copy", |r| r.t("copy"))
        .to_string();
    let lib = &site.lib;
    let config = &site.config;
    let targets: Vec<Target> = lib.targets().collect();
    // What every document's HTML depends on besides its own text: the config, the
    // theme's copy label, and where every other document is (link resolution; kept
    // by `serve` while its loads leave every document in place).
    // Each key is hashed from one buffer of length-prefixed parts: ten thousand
    // small updates of a hasher cost more than the hashing.
    let site_key = reuse.as_ref().map(|reuse| {
        let places = match reuse {
            Reuse::Shared { cache, in_place } => {
                let mut kept = cache.places.lock().unwrap_or_else(|e| e.into_inner());
                match *kept {
                    Some(k) if *in_place => {
                        // Test builds check that it is what hashing would give.
                        debug_assert_eq!(k, places_key(lib), "a load in place moved a document");
                        k
                    }
                    _ => *kept.insert(places_key(lib)),
                }
            }
            Reuse::Owned(_) => places_key(lib),
        };
        let mut buf = Vec::with_capacity(128);
        put(&mut buf, CacheKey::new().serde(config).finish().as_bytes());
        put(&mut buf, copy_label.as_bytes());
        put(&mut buf, places.as_bytes());
        blake3::hash(&buf)
    });
    // The cached documents move into the library (no copy).
    let mut owned = None;
    let prior: Vec<(Target, Option<(blake3::Hash, markdown::Rendered)>)> = match &mut reuse {
        Some(Reuse::Owned(m)) => {
            let m = owned.insert(std::mem::take(m));
            targets
                .iter()
                .map(|&t| (t, m.remove(&lib.doc(t).source)))
                .collect()
        }
        Some(Reuse::Shared { cache, .. }) => {
            let kept =
                std::mem::take(&mut *cache.markdown.lock().unwrap_or_else(|e| e.into_inner()));
            targets
                .iter()
                .copied()
                .zip(take_kept(lib, &targets, kept))
                .collect()
        }
        None => targets.iter().map(|&t| (t, None)).collect(),
    };
    // (target, its HTML, its key if cacheable, whether it came from the cache)
    let results: Vec<(Target, markdown::Rendered, Option<blake3::Hash>, bool)> = prior
        .into_par_iter()
        .filter_map(|(t, prior)| {
            let doc = lib.doc(t);
            if doc.rel.is_empty() {
                return None;
            }
            let replacements = match t {
                Target::Page(p) => &lib.pages[p].replacements,
                Target::Section(_) => &empty,
            };
            let key = site_key.map(|k| {
                let mut buf = Vec::with_capacity(160);
                put(&mut buf, k.as_bytes());
                put(&mut buf, doc.text_key.as_bytes());
                put(&mut buf, doc.title.as_bytes());
                put(&mut buf, doc.path.as_bytes());
                put(&mut buf, &(replacements.len() as u64).to_le_bytes());
                for (range, html) in replacements {
                    put(&mut buf, &(range.start as u64).to_le_bytes());
                    put(&mut buf, &(range.end as u64).to_le_bytes());
                    put(&mut buf, html.as_bytes());
                }
                blake3::hash(&buf)
            });
            if let Some(key) = key {
                if let Some((k, r)) = prior {
                    if k == key {
                        return Some((t, r, Some(key), true));
                    }
                }
            }
            // The import stage rewrote other tools' syntax line for line.
            let full: std::borrow::Cow<str> = match &doc.imported {
                Some(imp) => format!("{}{}", &doc.text[..doc.body_start], imp.body).into(),
                None => (&*doc.text).into(),
            };
            let no_titles = BTreeMap::new();
            let ctx = markdown::Context {
                config,
                lib,
                source: &doc.source,
                text: &full,
                body_start: doc.body_start,
                rel: &doc.rel,
                path: &doc.path,
                copy_label: &copy_label,
                title: &doc.title,
                // A kind's table ranges refer to the imported body, like `full`.
                replacements,
                callout_titles: doc
                    .imported
                    .as_ref()
                    .map_or(&no_titles, |i| &i.callout_titles),
                lines: Default::default(),
            };
            let (rendered, ds) = markdown::render(&full[doc.body_start..], &ctx);
            // Documents with diagnostics are not cached, so their messages come back.
            let cacheable = ds.is_empty();
            diags.extend(ds);
            Some((t, rendered, key.filter(|_| cacheable), false))
        })
        .collect();
    let mut keys = Vec::new();
    let mut dirty: Vec<PathBuf> = owned
        .map(|gone| gone.into_keys().collect())
        .unwrap_or_default();
    for (t, r, key, hit) in results {
        if !hit {
            dirty.push(site.lib.doc(t).source.clone());
        }
        if let Some(key) = key {
            keys.push((t, key));
        }
        site.lib.doc_mut(t).rendered = r;
    }
    reuse.map(|_| Fresh { keys, dirty })
}

/// Where every document and other file is: each `by_rel` entry's target and site
/// path, and each file's output path (rendered links and anchor references name
/// them).
fn places_key(lib: &crate::content::Library) -> blake3::Hash {
    let mut buf = Vec::with_capacity(lib.by_rel.len() * 96);
    let mut rels: Vec<(&str, Target)> = lib.by_rel.iter().map(|(k, t)| (k.as_str(), *t)).collect();
    rels.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (k, t) in rels {
        put(&mut buf, k.as_bytes());
        put(&mut buf, lib.doc(t).path.as_bytes());
        put_target(&mut buf, t);
    }
    let mut assets: Vec<(&String, &String)> = lib.asset_by_rel.iter().collect();
    assets.sort_unstable();
    for (from, to) in assets {
        put(&mut buf, from.as_bytes());
        put(&mut buf, to.as_bytes());
    }
    blake3::hash(&buf)
}

/// Appends one part of a key, prefixed with its length (so parts cannot run into
/// each other).
fn put(buf: &mut Vec<u8>, part: &[u8]) {
    buf.extend_from_slice(&(part.len() as u64).to_le_bytes());
    buf.extend_from_slice(part);
}

fn put_target(buf: &mut Vec<u8>, t: Target) {
    let (tag, i) = match t {
        Target::Page(i) => (b'p', i),
        Target::Section(i) => (b's', i),
    };
    buf.push(tag);
    buf.extend_from_slice(&(i as u64).to_le_bytes());
}

/// The kept HTML of each of `targets` (in order): the entry at the same place when
/// it is of the same source (after an edit that kept the site's shape, all of
/// them), else the one of its source wherever it was.
fn take_kept(
    lib: &crate::content::Library,
    targets: &[Target],
    mut kept: Kept,
) -> Vec<Option<(blake3::Hash, markdown::Rendered)>> {
    let mut found: Vec<Option<(blake3::Hash, markdown::Rendered)>> =
        Vec::with_capacity(targets.len());
    let mut missed = Vec::new();
    for (i, &t) in targets.iter().enumerate() {
        let source = &lib.doc(t).source;
        match kept.get_mut(i) {
            Some(slot) if slot.as_ref().is_some_and(|(s, _, _)| s == source) => {
                found.push(slot.take().map(|(_, k, r)| (k, r)));
            }
            _ => {
                found.push(None);
                missed.push(i);
            }
        }
    }
    if !missed.is_empty() {
        let mut by_source: std::collections::HashMap<PathBuf, (blake3::Hash, markdown::Rendered)> =
            kept.into_iter()
                .flatten()
                .map(|(s, k, r)| (s, (k, r)))
                .collect();
        for i in missed {
            found[i] = by_source.remove(&lib.doc(targets[i]).source);
        }
    }
    found
}

/// After the build (`serve`): every cacheable document's HTML moves into the cache
/// for the next build, at its place in the targets' order (moved, not copied: the
/// site is about to be dropped).
pub(crate) fn keep(site: &mut Site, cache: &BuildCache, keys: Vec<(Target, blake3::Hash)>) {
    let sections = site.lib.sections.len();
    let mut kept: Kept = Vec::new();
    kept.resize_with(sections + site.lib.pages.len(), || None);
    for (t, key) in keys {
        let at = match t {
            Target::Section(i) => i,
            Target::Page(i) => sections + i,
        };
        let doc = site.lib.doc_mut(t);
        kept[at] = Some((
            std::mem::take(&mut doc.source),
            key,
            std::mem::take(&mut doc.rendered),
        ));
    }
    *cache.markdown.lock().unwrap_or_else(|e| e.into_inner()) = kept;
}
