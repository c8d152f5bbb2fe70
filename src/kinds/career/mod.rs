//! Career guides, with the front matter of the career-guide seed (JSON): category,
//! keywords, related jobs by slug (resolved to other guides; a missing one is a
//! warning naming it), thumbnail and hero image.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Analysis, AnalyzeCx, ContentKind, SearchFields};
use crate::content::frontmatter::one_or_many;
use crate::content::{slug, Kind, KindData, Library, Page};
use crate::diagnostics::{Diagnostic, Diagnostics};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Meta {
    category: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    keywords: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    related_jobs: Vec<String>,
    thumbnail: Option<String>,
    hero_image: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelatedGuide {
    pub slug: String,
    pub title: String,
    pub href: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Career {
    pub category: Option<String>,
    pub keywords: Vec<String>,
    pub related_jobs: Vec<String>,
    pub related: Vec<RelatedGuide>,
    pub thumbnail: Option<String>,
    pub hero_image: Option<String>,
}

/// Images may be site paths or http(s) URLs; anything else (`javascript:`, `data:`) is dropped.
fn safe_image(
    url: Option<String>,
    key: &str,
    page: &Page,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let u = url?;
    let lower = u.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains('/'));
    match scheme {
        None | Some("http") | Some("https") => Some(u),
        Some(_) => {
            let doc = &page.doc;
            diags.push(
                Diagnostic::warning(
                    "unsafe-link",
                    format!("`{key}` must be a site path or an http(s) URL; ignored"),
                )
                .at(&doc.source, doc.key_span(key), &doc.text),
            );
            None
        }
    }
}

pub fn analyze(page: &Page) -> (Career, Vec<Diagnostic>) {
    let (m, err): (Meta, _) = super::read_meta(page, "career");
    let mut diags: Vec<Diagnostic> = err.into_iter().collect();
    let thumbnail = safe_image(m.thumbnail, "thumbnail", page, &mut diags);
    let hero_image = safe_image(m.hero_image, "hero_image", page, &mut diags);
    (
        Career {
            category: m.category,
            keywords: m.keywords,
            related_jobs: m.related_jobs,
            related: Vec::new(),
            thumbnail,
            hero_image,
        },
        diags,
    )
}

/// `kind = "career"`.
pub const KIND: Kind = Kind::named("career");

/// The career kind: job guides with keywords and related guides.
pub struct CareerKind;

impl ContentKind for CareerKind {
    fn kind(&self) -> Kind {
        KIND
    }

    fn default_section(&self) -> Option<&'static str> {
        Some("careers")
    }

    fn analyze(&self, page: &Page, _cx: &AnalyzeCx<'_>, diags: &Diagnostics) -> Analysis {
        let (c, ds) = analyze(page);
        diags.extend(ds);
        Analysis::data(c)
    }

    fn link(&self, lib: &mut Library, _cx: &super::LinkCx<'_>, diags: &Diagnostics) {
        related_careers(lib, diags);
    }

    fn search_fields<'a>(&self, page: &'a Page) -> SearchFields<'a> {
        SearchFields {
            keywords: page
                .data::<Career>()
                .map(|c| c.keywords.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            severity: None,
        }
    }
}

impl KindData for Career {
    crate::kind_data_basics!();
}

/// `related_jobs` name other career guides by slug.
fn related_careers(lib: &mut Library, diags: &Diagnostics) {
    let by_slug: BTreeMap<String, (String, String)> = lib
        .pages
        .iter()
        .filter(|p| p.kind == KIND)
        .map(|p| {
            (
                p.slug.clone(),
                (p.doc.title.clone(), slug::encode_path(&p.doc.path)),
            )
        })
        .collect();
    for p in &mut lib.pages {
        // A guide naming none is left alone (its data stays shared with serve's cache).
        if p.data::<Career>().is_none_or(|c| c.related_jobs.is_empty()) {
            continue;
        }
        let doc = &p.doc;
        let Some(c) = crate::content::data_mut::<Career>(&mut p.data) else {
            continue;
        };
        for s in &c.related_jobs {
            match by_slug.get(&slug::path_segment(s)) {
                Some((title, href)) => c.related.push(RelatedGuide { slug: s.clone(), title: title.clone(), href: href.clone() }),
                None => diags.push(
                    Diagnostic::warning("related-job", format!("related job `{s}` has no career guide"))
                        .at(&doc.source, doc.key_span("related_jobs"), &doc.text)
                        .with_help("write content/careers/<slug>.md with that slug, or remove it from related_jobs"),
                ),
            }
        }
    }
}
