//! Borrowed, serializable views of the library for templates. Templates never see the
//! domain structs; every `href` here is relative to the site root and templates put
//! `{{ root }}` in front, so pages work under any sub-path and from `file://`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::content::{slug, Document, Library, Page, Section};
use crate::markdown::{reading_minutes, TocEntry};
use crate::taxonomy::Taxonomy;

#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub lang: &'static str,
    pub base_url: &'a str,
    pub version: &'static str,
    pub css: &'a str,
    pub js: &'a str,
    pub search_js: &'a str,
    pub nav: Vec<NavItem>,
    pub extra: &'a toml::Table,
}

#[derive(Serialize, Clone)]
pub struct NavItem {
    pub title: String,
    pub href: String,
}

#[derive(Serialize, Clone)]
pub struct TermRef {
    pub name: String,
    pub href: String,
}

#[derive(Serialize, Clone)]
pub struct Crumb {
    pub title: String,
    pub href: String,
}

/// Breadcrumbs of a generated page: home, then each (title, site path) of `trail`.
pub fn trail(home: &str, trail: &[(&str, &str)]) -> Vec<Crumb> {
    std::iter::once(Crumb {
        title: home.to_string(),
        href: String::new(),
    })
    .chain(trail.iter().map(|(title, path)| Crumb {
        title: title.to_string(),
        href: site_href(path),
    }))
    .collect()
}

/// A page in a list.
#[derive(Serialize)]
pub struct PageRef<'a> {
    pub title: &'a str,
    pub href: String,
    pub kind: &'static str,
    pub date: Option<String>,
    pub description: Option<&'a str>,
    pub draft: bool,
    pub tags: Vec<TermRef>,
    pub extra: &'a Map<String, Value>,
    /// What the page's kind shows in lists (a postmortem's severity, window, …).
    pub pm: Option<Value>,
}

/// The page being rendered.
#[derive(Serialize)]
pub struct PageView<'a> {
    pub title: &'a str,
    pub href: String,
    pub kind: &'static str,
    pub date: Option<String>,
    pub updated: Option<String>,
    pub description: Option<&'a str>,
    pub content: &'a str,
    pub toc: &'a [TocEntry],
    pub taxonomies: BTreeMap<&'a str, Vec<TermRef>>,
    pub extra: &'a Map<String, Value>,
    pub reading_minutes: usize,
    pub draft: bool,
    /// Source path relative to content/ (for "edit this page" links).
    pub source: &'a str,
    /// The kind's data (postmortem window, action items, …).
    pub data: Option<&'a dyn crate::content::KindData>,
}

#[derive(Serialize)]
pub struct SectionRef<'a> {
    pub title: &'a str,
    pub href: String,
    pub description: Option<&'a str>,
    pub count: usize,
}

#[derive(Serialize)]
pub struct SectionView<'a> {
    pub title: &'a str,
    pub href: String,
    pub kind: &'static str,
    pub description: Option<&'a str>,
    pub content: &'a str,
    /// Pages in this section and its subsections.
    pub count: usize,
    pub pages: Vec<PageRef<'a>>,
    pub subsections: Vec<SectionRef<'a>>,
    pub extra: &'a Map<String, Value>,
}

/// A site path as written in a template's link: percent-encoded, relative to the
/// site root (templates prefix it with `root`). Compare `links::relative_href`,
/// which is relative to the current page.
pub fn site_href(path: &str) -> String {
    slug::encode_path(path)
}

/// Absolute URL of a site path under `base_url` (feeds, canonical links, JSON).
pub fn absolute_url(base_url: &str, path: &str) -> String {
    format!("{base_url}/{}", slug::encode_path(path))
}

fn date_str(d: Option<crate::content::Date>) -> Option<String> {
    d.map(|d| d.at.to_rfc3339())
}

fn description(doc: &Document) -> Option<&str> {
    doc.meta
        .description
        .as_deref()
        .or(doc.meta.summary.as_deref())
        .filter(|s| !s.trim().is_empty())
}

pub fn terms(doc: &Document, taxonomies: &[Taxonomy], name: &str) -> Vec<TermRef> {
    let Some(tax) = taxonomies.iter().find(|t| t.name == name) else {
        return Vec::new();
    };
    doc.taxonomies
        .get(name)
        .into_iter()
        .flatten()
        .filter_map(|term| {
            tax.term_path(term).map(|p| TermRef {
                name: term.clone(),
                href: site_href(&p),
            })
        })
        .collect()
}

pub fn page_ref<'a>(page: &'a Page, taxonomies: &[Taxonomy]) -> PageRef<'a> {
    PageRef {
        title: &page.doc.title,
        href: site_href(&page.doc.path),
        kind: page.kind.as_str(),
        date: date_str(page.doc.date),
        description: description(&page.doc),
        draft: page.doc.meta.draft,
        tags: terms(&page.doc, taxonomies, "tags"),
        extra: &page.doc.meta.extra,
        pm: page.data.as_deref().and_then(|d| d.list_summary(&page.doc)),
    }
}

pub fn page_view<'a>(page: &'a Page, taxonomies: &'a [Taxonomy]) -> PageView<'a> {
    let doc = &page.doc;
    let mut tax = BTreeMap::new();
    for t in taxonomies {
        let list = terms(doc, taxonomies, &t.name);
        if !list.is_empty() {
            tax.insert(t.name.as_str(), list);
        }
    }
    PageView {
        title: &doc.title,
        href: site_href(&doc.path),
        kind: page.kind.as_str(),
        date: date_str(doc.date),
        updated: date_str(doc.updated),
        description: description(doc),
        content: &doc.rendered.html,
        toc: &doc.rendered.toc,
        taxonomies: tax,
        extra: &doc.meta.extra,
        reading_minutes: reading_minutes(&doc.rendered.plain),
        draft: doc.meta.draft,
        source: &doc.rel,
        data: page.data.as_deref(),
    }
}

/// Number of pages in a section and all its subsections.
pub fn count_pages(lib: &Library, si: usize) -> usize {
    let s = &lib.sections[si];
    s.pages.len()
        + s.subsections
            .iter()
            .map(|&c| count_pages(lib, c))
            .sum::<usize>()
}

pub fn section_ref(lib: &Library, si: usize) -> SectionRef<'_> {
    let s = &lib.sections[si];
    SectionRef {
        title: &s.doc.title,
        href: site_href(&s.doc.path),
        description: description(&s.doc),
        count: count_pages(lib, si),
    }
}

pub fn section_view<'a>(lib: &'a Library, si: usize, taxonomies: &[Taxonomy]) -> SectionView<'a> {
    let s: &Section = &lib.sections[si];
    let mut subs: Vec<usize> = s.subsections.clone();
    sort_sections(lib, &mut subs);
    SectionView {
        title: &s.doc.title,
        href: site_href(&s.doc.path),
        kind: s.kind.as_str(),
        description: description(&s.doc),
        content: &s.doc.rendered.html,
        count: count_pages(lib, si),
        pages: s
            .pages
            .iter()
            .map(|&p| page_ref(&lib.pages[p], taxonomies))
            .collect(),
        subsections: subs.into_iter().map(|c| section_ref(lib, c)).collect(),
        extra: &s.doc.meta.extra,
    }
}

/// Sections by `weight`, then title.
pub fn sort_sections(lib: &Library, list: &mut [usize]) {
    list.sort_by(|&a, &b| {
        let (a, b) = (&lib.sections[a].doc, &lib.sections[b].doc);
        a.meta
            .weight
            .unwrap_or(i64::MAX)
            .cmp(&b.meta.weight.unwrap_or(i64::MAX))
            .then(a.title.cmp(&b.title))
    });
}

/// Home › section › … › (the document itself).
pub fn breadcrumbs(
    lib: &Library,
    mut section: Option<usize>,
    home: &str,
    last: Option<&Document>,
) -> Vec<Crumb> {
    let mut chain = Vec::new();
    while let Some(si) = section {
        let s = &lib.sections[si];
        chain.push(Crumb {
            title: if s.parent.is_none() {
                home.to_string()
            } else {
                s.doc.title.clone()
            },
            href: site_href(&s.doc.path),
        });
        section = s.parent;
    }
    chain.reverse();
    if let Some(doc) = last {
        chain.push(Crumb {
            title: doc.title.clone(),
            href: site_href(&doc.path),
        });
    }
    chain
}
