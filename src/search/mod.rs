//! Search: one tantivy index of every page, analysed for Japanese and English
//! together (see `analyzer`), written by `build` and queried by `srekb search` and
//! `serve`; `web` exports the same documents as a sharded static index for the browser.

pub mod analyzer;
pub mod index;
pub mod web;

use crate::content::{Library, Page};

/// One searchable document, borrowed from the library: the same view feeds the
/// tantivy index and the browser's static index.
pub struct SearchDoc<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub headings: String,
    pub body: &'a str,
    /// Tags plus the words a page is found by besides its text (runbook alerts and
    /// service, career keywords, a postmortem's services and alert).
    pub tags: Vec<&'a str>,
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
    let pages = lib.pages.iter().map(|p| (p.kind.as_str(), &p.doc, Some(p)));
    let sections = lib
        .sections
        .iter()
        .filter(|s| s.has_index_file)
        .map(|s| ("section", &s.doc, None));
    pages
        .chain(sections)
        .map(|(kind, doc, page)| {
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
            SearchDoc {
                kind,
                title: &doc.title,
                headings: doc.rendered.headings.join("\n"),
                body: &doc.rendered.plain,
                tags,
                services: taxonomy("services"),
                severity: fields.severity,
                url: format!("/{}", doc.path),
                date: doc.date.map(|d| d.to_string_short()),
            }
        })
        .collect()
}
