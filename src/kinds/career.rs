//! Career guides, with the front matter of the career-guide seed (JSON): category,
//! keywords, related jobs by slug (resolved to other guides; a missing one is a
//! warning naming it), thumbnail and hero image.

use serde::{Deserialize, Serialize};

use crate::content::frontmatter::one_or_many;
use crate::content::Page;
use crate::diagnostics::Diagnostic;

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
