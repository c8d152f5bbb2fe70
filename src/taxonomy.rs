//! Taxonomies (`tags`, `services`, `teams`, …): terms gathered from pages, each with
//! a list page. Terms that differ only in ASCII case share one page.

use std::collections::HashMap;

use crate::content::{slug, Library};

#[derive(Debug, Clone)]
pub struct Term {
    /// The spelling first seen.
    pub name: String,
    pub slug: String,
    pub pages: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub name: String,
    pub terms: Vec<Term>,
    by_slug: HashMap<String, usize>,
}

impl Taxonomy {
    /// Site path of the taxonomy's index (`tags/`).
    pub fn path(&self) -> String {
        format!("{}/", slug::path_segment(&self.name))
    }

    /// Site path of a term's page, found by any spelling of the term.
    pub fn term_path(&self, term: &str) -> Option<String> {
        let s = slug::path_segment(term);
        self.by_slug
            .get(&s)
            .map(|&i| format!("{}{}/", self.path(), self.terms[i].slug))
    }
}

/// Collects every configured taxonomy that has at least one term.
pub fn collect(lib: &Library, names: &[String]) -> Vec<Taxonomy> {
    let mut out = Vec::new();
    for name in names {
        let mut tax = Taxonomy {
            name: name.clone(),
            terms: Vec::new(),
            by_slug: HashMap::new(),
        };
        // Term as written → its index: a site writes each term on many pages.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (pi, page) in lib.pages.iter().enumerate() {
            let Some(terms) = page.doc.taxonomies.get(name) else {
                continue;
            };
            for term in terms {
                let idx = match seen.get(term.as_str()) {
                    Some(&i) => i,
                    None => {
                        let s = slug::path_segment(term);
                        let i = *tax.by_slug.entry(s.clone()).or_insert_with(|| {
                            tax.terms.push(Term {
                                name: term.clone(),
                                slug: s,
                                pages: Vec::new(),
                            });
                            tax.terms.len() - 1
                        });
                        seen.insert(term, i);
                        i
                    }
                };
                if tax.terms[idx].pages.last() != Some(&pi) {
                    tax.terms[idx].pages.push(pi);
                }
            }
        }
        if tax.terms.is_empty() {
            continue;
        }
        // Sort terms by name for display, keeping the slug index valid.
        tax.terms.sort_by_cached_key(|t| t.name.to_lowercase());
        tax.by_slug = tax
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.slug.clone(), i))
            .collect();
        // Pages within a term: newest first, then title.
        for t in &mut tax.terms {
            t.pages.sort_by(|&a, &b| {
                let (a, b) = (&lib.pages[a].doc, &lib.pages[b].doc);
                b.date.cmp(&a.date).then(a.title.cmp(&b.title))
            });
        }
        out.push(tax);
    }
    out
}
