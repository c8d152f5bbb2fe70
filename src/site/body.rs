//! The markdown stage: every document's body to HTML, in parallel, with the kinds'
//! fragments in place of the ranges they replace; `serve` reuses unchanged ones.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::{BuildCache, Site};
use crate::content::cache_key::CacheKey;
use crate::content::{Library, Replacements, Target};
use crate::diagnostics::Diagnostics;
use crate::markdown;

/// Markdown → HTML for every document, in parallel.
pub(crate) fn run(site: &mut Site, cache: Option<&BuildCache>, diags: &Diagnostics) -> Keys {
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
    let copy_label = site
        .renderer
        .as_ref()
        .map_or("Copy", |r| r.t("copy"))
        .to_string();
    let lib = &site.lib;
    let config = &site.config;
    let targets: Vec<Target> = lib.targets().collect();
    // What every document's HTML depends on besides its own text: the config, the
    // theme's copy label, and where every other document is (link resolution).
    let site_key = cache.map(|_| {
        let mut h = blake3::Hasher::new();
        h.update(CacheKey::new().serde(config).finish().as_bytes());
        h.update(copy_label.as_bytes());
        let mut rels: Vec<(&String, &String)> = lib
            .by_rel
            .iter()
            .map(|(k, t)| (k, &lib.doc(*t).path))
            .collect();
        rels.sort_unstable();
        let mut buf = Vec::with_capacity(rels.len() * 64);
        for (k, p) in rels {
            for part in [k, p] {
                buf.extend_from_slice(&(part.len() as u64).to_le_bytes());
                buf.extend_from_slice(part.as_bytes());
            }
        }
        h.update(&buf);
        let mut assets: Vec<(&String, &String)> = lib.asset_by_rel.iter().collect();
        assets.sort();
        h.update(CacheKey::new().hash(&assets).finish().as_bytes());
        h.finalize()
    });
    // Keys first (in parallel); then the cached rendering of each unchanged
    // document moves into it, and the others are rendered (in parallel).
    let keyed: Vec<(Target, Option<blake3::Hash>)> = targets
        .par_iter()
        .filter(|&&t| !lib.doc(t).rel.is_empty())
        .map(|&t| {
            let doc = lib.doc(t);
            let key = site_key.map(|k| {
                let mut h = blake3::Hasher::new();
                h.update(k.as_bytes());
                h.update(doc.text_key.as_bytes());
                h.update(doc.title.as_bytes());
                h.update(doc.path.as_bytes());
                h.update(
                    CacheKey::new()
                        .hash(replacements(lib, t))
                        .finish()
                        .as_bytes(),
                );
                h.finalize()
            });
            (t, key)
        })
        .collect();
    let mut cached = cache
        .map(|c| std::mem::take(&mut *c.markdown.lock().unwrap_or_else(|e| e.into_inner())))
        .unwrap_or_default();
    let mut keys = Vec::with_capacity(keyed.len());
    let mut todo = Vec::new();
    for (t, key) in keyed {
        let doc = site.lib.doc_mut(t);
        match (key, key.and_then(|_| cached.remove(&doc.rel))) {
            (Some(k), Some((old, r))) if old == k => {
                doc.rendered = r;
                keys.push((t, k));
            }
            _ => todo.push((t, key)),
        }
    }
    // What is left belongs to documents that changed or are gone.
    drop(cached);
    let lib = &site.lib;
    let results: Vec<(Target, markdown::Rendered, Option<blake3::Hash>)> = todo
        .par_iter()
        .map(|&(t, key)| {
            let doc = lib.doc(t);
            let replacements = replacements(lib, t);
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
            (t, rendered, key.filter(|_| cacheable))
        })
        .collect();
    for (t, r, key) in results {
        if let Some(key) = key {
            keys.push((t, key));
        }
        site.lib.doc_mut(t).rendered = r;
    }
    Keys(keys)
}

/// Each cacheable document's markdown key, for [`keep`].
pub(crate) struct Keys(Vec<(Target, blake3::Hash)>);

/// After the pages are written: every cacheable document's rendering moves into the
/// cache for the next build (moved, not copied: the site is about to be dropped).
pub(crate) fn keep(site: &mut Site, cache: &BuildCache, keys: Keys) {
    let mut map = cache.markdown.lock().unwrap_or_else(|e| e.into_inner());
    map.clear();
    map.reserve(keys.0.len());
    for (t, key) in keys.0 {
        let doc = site.lib.doc_mut(t);
        map.insert(doc.rel.clone(), (key, std::mem::take(&mut doc.rendered)));
    }
}

fn replacements(lib: &Library, t: Target) -> &Replacements {
    static EMPTY: Replacements = Vec::new();
    match t {
        Target::Page(p) => &lib.pages[p].replacements,
        Target::Section(_) => &EMPTY,
    }
}
