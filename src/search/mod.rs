//! Search: every page analysed once for Japanese and English together (`analyzer`)
//! into a tantivy index (`index`, queried by `srekb search` and `serve`) and a sharded
//! static index for the browser (`web`); one query language and scorer (`engine`)
//! answers over both, so every surface gives the same pages in the same order.

pub mod analyzer;
pub mod engine;
pub mod index;
pub mod web;

use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;

use crate::content::{Library, Page, Target};
use crate::output::Output;

/// One searchable document, borrowed from the library: the same view feeds the
/// tantivy index and the browser's static index.
#[derive(Default)]
pub struct SearchDoc<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub headings: String,
    pub body: &'a str,
    /// Tags plus the words a page is found by besides its text (runbook alerts and
    /// service, career keywords, a postmortem's services and alert).
    pub tags: Vec<&'a str>,
    /// The page's `tags` taxonomy alone (the tag filter).
    pub taxonomy_tags: Vec<&'a str>,
    pub services: Vec<&'a str>,
    pub severity: Option<&'a str>,
    /// Site-absolute URL path, e.g. `/runbooks/db-lag/`.
    pub url: String,
    pub date: Option<String>,
}

/// A [`SearchDoc`] that owns its text (kept by `serve` for its live index).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedDoc {
    pub kind: String,
    pub title: String,
    pub headings: String,
    pub body: String,
    pub tags: Vec<String>,
    pub taxonomy_tags: Vec<String>,
    pub services: Vec<String>,
    pub severity: Option<String>,
    pub url: String,
    pub date: Option<String>,
}

impl SearchDoc<'_> {
    pub fn to_owned_doc(&self) -> OwnedDoc {
        OwnedDoc {
            kind: self.kind.to_string(),
            title: self.title.to_string(),
            headings: self.headings.clone(),
            body: self.body.to_string(),
            tags: self.tags.iter().map(|s| s.to_string()).collect(),
            taxonomy_tags: self.taxonomy_tags.iter().map(|s| s.to_string()).collect(),
            services: self.services.iter().map(|s| s.to_string()).collect(),
            severity: self.severity.map(str::to_string),
            url: self.url.clone(),
            date: self.date.clone(),
        }
    }
}

impl OwnedDoc {
    pub fn as_doc(&self) -> SearchDoc<'_> {
        SearchDoc {
            kind: &self.kind,
            title: &self.title,
            headings: self.headings.clone(),
            body: &self.body,
            tags: self.tags.iter().map(String::as_str).collect(),
            taxonomy_tags: self.taxonomy_tags.iter().map(String::as_str).collect(),
            services: self.services.iter().map(String::as_str).collect(),
            severity: self.severity.as_deref(),
            url: self.url.clone(),
            date: self.date.clone(),
        }
    }
}

/// What the page's kind adds: keywords and severity.
fn kind_fields(p: &Page) -> crate::kinds::SearchFields<'_> {
    crate::kinds::get(p.kind)
        .map(|k| k.search_fields(p))
        .unwrap_or_default()
}

/// Every page, then every section with an index file.
pub fn documents(lib: &Library) -> Vec<SearchDoc<'_>> {
    let pages = (0..lib.pages.len()).map(Target::Page);
    let sections = (0..lib.sections.len()).map(Target::Section);
    pages
        .chain(sections)
        .filter_map(|t| document(lib, t))
        .collect()
}

/// The searchable document of a page, or of a section with an index file.
pub fn document(lib: &Library, t: Target) -> Option<SearchDoc<'_>> {
    let (kind, doc, page) = match t {
        Target::Page(p) => {
            let p = &lib.pages[p];
            (p.kind.as_str(), &p.doc, Some(p))
        }
        Target::Section(s) => {
            let s = &lib.sections[s];
            if !s.has_index_file {
                return None;
            }
            ("section", &s.doc, None)
        }
    };
    let taxonomy = |name: &str| -> Vec<&str> {
        doc.taxonomies
            .get(name)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    };
    let mut tags = taxonomy("tags");
    let fields = page.map(kind_fields).unwrap_or_default();
    tags.extend(fields.keywords);
    Some(SearchDoc {
        kind,
        title: &doc.title,
        headings: doc.rendered.headings.join("\n"),
        body: &doc.rendered.plain,
        tags,
        taxonomy_tags: taxonomy("tags"),
        services: taxonomy("services"),
        severity: fields.severity,
        url: format!("/{}", doc.path),
        date: doc.date.map(|d| d.to_string_short()),
    })
}

/// Kinds in id order: documents are numbered by kind, then URL, on every surface.
pub const KIND_ORDER: [&str; 7] = [
    "page",
    "career",
    "postmortem",
    "runbook",
    "assessment",
    "slo",
    "section",
];

/// Characters of body text kept for snippets over the whole site (the browser ships
/// no more), and the bounds per document: a small site keeps whole bodies, a large
/// one the first [`SNIPPET_TEXT_MIN`] characters of each.
pub const SNIPPET_TEXT_BUDGET: usize = 1_000_000;
pub const SNIPPET_TEXT_MIN: usize = 200;
pub const SNIPPET_TEXT_MAX: usize = 100_000;

/// Characters of each body kept for snippets on a site of `docs` documents.
pub fn snippet_limit(docs: usize) -> usize {
    (SNIPPET_TEXT_BUDGET / docs.max(1)).clamp(SNIPPET_TEXT_MIN, SNIPPET_TEXT_MAX)
}

fn kind_rank(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len())
}

/// Sorts documents into id order (kind, then URL).
pub fn order(docs: &mut [SearchDoc<'_>]) {
    docs.sort_by(|a, b| {
        (kind_rank(a.kind), a.kind, &a.url).cmp(&(kind_rank(b.kind), b.kind, &b.url))
    });
}

/// The stable 64-bit key of a URL (FNV-1a), stored in the tantivy index.
pub fn url_key(url: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in url.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The facets of documents in id order.
pub fn facets(docs: &[SearchDoc<'_>]) -> engine::Facets {
    let mut f = engine::Facets::default();
    let mut services: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    let mut tags: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for d in docs {
        services.extend(d.services.iter().copied());
        tags.extend(d.taxonomy_tags.iter().copied());
    }
    f.services = services.iter().map(|s| s.to_string()).collect();
    f.tags = tags.iter().map(|s| s.to_string()).collect();
    for d in docs {
        let k = match f.kinds.iter().position(|k| k == d.kind) {
            Some(k) => k,
            None => {
                f.kinds.push(d.kind.to_string());
                f.kinds.len() - 1
            }
        };
        f.kind.push(u8::try_from(k).unwrap_or(u8::MAX));
        let mut ds: Vec<u32> = d
            .services
            .iter()
            .filter_map(|s| f.services.binary_search_by(|x| x.as_str().cmp(s)).ok())
            .map(|i| i as u32)
            .collect();
        ds.sort_unstable();
        ds.dedup();
        let mut dt: Vec<u32> = d
            .taxonomy_tags
            .iter()
            .filter_map(|s| f.tags.binary_search_by(|x| x.as_str().cmp(s)).ok())
            .map(|i| i as u32)
            .collect();
        dt.sort_unstable();
        dt.dedup();
        f.ds.push(ds);
        f.dt.push(dt);
    }
    f
}

/// A document's index terms with their counts per field (title, headings, tags,
/// body): analysed once per build, for the browser export and the tantivy index.
#[derive(Default)]
pub struct Analysed {
    pub terms: rustc_hash::FxHashMap<Box<str>, [u32; engine::FIELDS]>,
}

pub fn analyse(d: &SearchDoc<'_>) -> Analysed {
    let tags = d.tags.join("\n");
    let mut terms: rustc_hash::FxHashMap<Box<str>, [u32; engine::FIELDS]> =
        rustc_hash::FxHashMap::default();
    for (f, text) in [d.title, &d.headings, &tags, d.body]
        .into_iter()
        .enumerate()
    {
        analyzer::index_terms_into(text, &mut |t| match terms.get_mut(t) {
            Some(c) => c[f] += 1,
            None => {
                let mut c = [0; engine::FIELDS];
                c[f] = 1;
                terms.insert(t.into(), c);
            }
        });
    }
    Analysed { terms }
}

/// The part of a body snippets are cut from, and the body's length in characters.
pub fn snippet_text(body: &str, limit: usize) -> (&str, usize) {
    let mut end = body.len();
    let mut n = 0;
    for (i, _) in body.char_indices() {
        if n == limit {
            end = i;
        }
        n += 1;
    }
    (&body[..end], n)
}

/// The positions whose hash differs, when both lists hold the same documents.
pub(crate) fn changed(old: &[u64], new: &[u64]) -> Option<Vec<usize>> {
    (old.len() == new.len()).then(|| (0..new.len()).filter(|&i| old[i] != new[i]).collect())
}

/// Whether `stale` documents of `n` are few enough to update an index in place
/// rather than write it anew (at most a quarter).
fn few(stale: &[usize], n: usize) -> bool {
    stale.len() * 4 <= n
}

/// What the search step leaves: the browser export's figures and the tantivy index
/// waiting to be swapped in (none when unchanged or not asked for); with an
/// [`ExportCache`], the export's state for the next build and the files of the
/// previous output it kept (for the caller to link).
pub struct Built {
    pub stats: Option<web::Stats>,
    pub staged: Option<index::Staged>,
    pub saved: Option<web::Saved>,
    pub kept: Vec<String>,
}

/// The browser export's part of the build cache (`srekb build`).
#[derive(Default)]
pub struct ExportCache {
    /// The last build's export, when the output still holds its files (the output
    /// was given them as its previous files).
    pub saved: Option<web::Saved>,
}

/// Analyses every document once, in parallel batches, feeding the browser export
/// (into `out`, if given) and the tantivy index under `root` (if given and the
/// content changed since the index there was written: when the same documents are
/// there, at most a quarter of them changed and `update` allows it, only those are
/// replaced). With `export` holding the last build's export of the same documents
/// (at most a quarter of them changed), only the changed documents are analysed
/// for it and only the files whose text changed are written.
pub fn build(
    lib: &Library,
    out: Option<&Output>,
    root: Option<&Path>,
    update: bool,
    export: Option<ExportCache>,
) -> Result<Built> {
    let mut docs = documents(lib);
    order(&mut docs);
    let doc_hashes = index::doc_hashes(&docs);
    let hash = index::content_hash(&doc_hashes);
    let previous = root.and_then(index::read_meta);
    let index_kept = previous.as_ref().is_some_and(|m| m.hash == hash);
    // Positions of the documents that differ from the index's, when it has the same
    // documents in the same order.
    let mut stale: Option<Vec<usize>> = previous
        .filter(|m| m.urls.len() == docs.len())
        .filter(|m| m.urls.iter().zip(&docs).all(|(u, d)| *u == d.url))
        .and_then(|m| changed(&m.doc_hashes, &doc_hashes))
        .filter(|s| update && few(s, docs.len()));
    let limit = snippet_limit(docs.len());
    let writer = match (root, &stale) {
        (Some(_), _) if index_kept => None,
        (Some(r), Some(list)) => {
            let urls: Vec<&str> = list.iter().map(|&i| docs[i].url.as_str()).collect();
            // An index that cannot be opened is written anew.
            match index::Writer::update(r, limit, &urls) {
                Ok(w) => Some(w),
                Err(_) => {
                    stale = None;
                    Some(index::Writer::new(r, limit)?)
                }
            }
        }
        (Some(r), None) => Some(index::Writer::new(r, limit)?),
        _ => None,
    };
    // With an update writer, only the stale documents are added.
    let wanted = |i: usize| stale.as_ref().is_none_or(|s| s.binary_search(&i).is_ok());
    if out.is_none() && writer.is_none() {
        return Ok(Built {
            stats: None,
            staged: None,
            saved: None,
            kept: Vec::new(),
        });
    }
    let save = export.is_some();
    // The export's own stale documents, when its last state fits these documents.
    let export_update = export
        .and_then(|e| e.saved)
        .filter(|_| out.is_some())
        .and_then(|s| {
            let list = s.stale(&docs, &doc_hashes)?;
            few(&list, docs.len()).then_some((s, list))
        });
    let meta = index::Meta {
        doc_hashes,
        ..index::Meta::new(&docs, hash)
    };
    let mut exported: Option<web::Exported> = None;
    let mut exporter = None;
    // Each page is analysed once, for the browser export and the tantivy writer
    // (which indexes on its own thread).
    const BATCH: usize = 64;
    std::thread::scope(|s| -> Result<()> {
        if let (Some(out), Some((saved, list))) = (out, export_update) {
            let analysed: Vec<Analysed> = list.par_iter().map(|&i| analyse(&docs[i])).collect();
            let previous = |rel: &str, len: u64| out.has_previous(rel, len);
            exported = web::update(
                saved,
                &docs,
                &list,
                &analysed,
                &meta.facets,
                limit,
                out,
                previous,
            )?;
            if exported.is_some() {
                if let Some(w) = &writer {
                    // The index's stale documents the export did not analyse.
                    let mut done = vec![false; docs.len()];
                    for &k in &list {
                        done[k] = true;
                    }
                    let extra: Vec<usize> =
                        (0..docs.len()).filter(|&k| wanted(k) && !done[k]).collect();
                    let more: Vec<Analysed> =
                        extra.par_iter().map(|&k| analyse(&docs[k])).collect();
                    for (&k, a) in list.iter().zip(&analysed).chain(extra.iter().zip(&more)) {
                        if wanted(k) {
                            w.add(&docs[k], a)?;
                        }
                    }
                }
                return Ok(());
            }
        }
        let (to_export, exports) = std::sync::mpsc::sync_channel::<Vec<Analysed>>(1);
        let export = out.map(|_| {
            s.spawn(move || {
                let mut e = web::Exporter::default();
                for (b, analysed) in exports.into_iter().enumerate() {
                    e.add((b * BATCH) as u32, &analysed);
                }
                e
            })
        });
        let mut sent = Ok(());
        for (b, batch) in docs.chunks(BATCH).enumerate() {
            let first = b * BATCH;
            let wanted_here = |i: usize| writer.is_some() && wanted(first + i);
            // An update writer needs only the stale documents: without an export, the
            // others are not analysed at all.
            let analysed: Vec<Analysed> = batch
                .par_iter()
                .enumerate()
                .map(|(i, d)| {
                    if export.is_some() || wanted_here(i) {
                        analyse(d)
                    } else {
                        Analysed::default()
                    }
                })
                .collect();
            if let Some(w) = &writer {
                for (i, (d, a)) in batch.iter().zip(&analysed).enumerate() {
                    if wanted(first + i) {
                        if let Err(err) = w.add(d, a) {
                            sent = Err(err);
                            break;
                        }
                    }
                }
            }
            if sent.is_err() || (export.is_some() && to_export.send(analysed).is_err()) {
                break;
            }
        }
        drop(to_export);
        exporter = export.map(|export| {
            export
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
        sent
    })?;
    if let (Some(e), Some(out)) = (exporter, out) {
        exported = Some(e.write(&docs, &meta.facets, limit, out, save)?);
    }
    let staged = writer.map(|w| w.finish(&meta)).transpose()?;
    let (stats, mut saved, kept) = match exported {
        Some(e) => (Some(e.stats), e.saved, e.kept),
        None => (None, None, Vec::new()),
    };
    if let Some(s) = saved.as_mut() {
        s.urls = web::Saved::urls_key(&docs);
        s.doc_hashes = meta.doc_hashes;
    }
    Ok(Built {
        stats,
        staged,
        saved,
        kept,
    })
}
