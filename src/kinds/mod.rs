//! Kinds: pages with structure beyond plain markdown. Each kind lives in its own
//! folder and implements [`ContentKind`]; [`REGISTRY`] lists them, one line per
//! kind. A new kind (say `slo`) needs its folder, its templates and one line here.
//!
//! The kinds stage runs after import and before markdown: every kind prepares its
//! site-wide state, analyses its pages in parallel into typed data (stored on the
//! page as [`KindData`], read back with `page.data::<T>()`), then links across pages
//! (backlinks, duplicate alerts).

pub mod assessment;
pub mod career;
pub mod postmortem;
pub mod runbook;
pub mod scaffold;
pub mod slo;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::SiteConfig;
use crate::content::cache_key::CacheKey;
use crate::content::{Kind, KindData, Library, Page};
use crate::diagnostics::{Diagnostic, Diagnostics};
pub use crate::render::site::{Pages, SiteRef};
use crate::render::Renderer;

pub use crate::content::Replacements;

/// Every registered kind, one line each. Plain pages (`kind = "page"`) need none.
pub static REGISTRY: &[&dyn ContentKind] = &[
    &career::CareerKind,
    &postmortem::PostmortemKind,
    &runbook::RunbookKind,
    &assessment::AssessmentKind,
    &slo::SloKind,
];

/// A kind of page. Only [`ContentKind::kind`] and [`ContentKind::analyze`] are
/// required; everything else has a default that does nothing.
pub trait ContentKind: Send + Sync {
    /// The name written in front matter (`kind = "postmortem"`) and in `[sections]`.
    fn kind(&self) -> Kind;

    /// The top-level `content/` directory whose pages are of this kind unless
    /// `[sections]` in site-config.toml says otherwise.
    fn default_section(&self) -> Option<&'static str> {
        None
    }

    /// Site-wide state read before any page is analysed (a data file such as
    /// `content/maturity/model.toml`). It is stored in `Library::kind_state` under the
    /// kind's name; analysis and later stages read it with `lib.state::<T>(KIND)`.
    fn prepare(&self, _cx: &PrepareCx<'_>, _diags: &Diagnostics) -> Option<Prepared> {
        None
    }

    /// One page of this kind: its data and the body ranges the kind renders itself.
    /// Runs in parallel; problems go to `diags` with the page's file:line:col.
    fn analyze(&self, page: &Page, cx: &AnalyzeCx<'_>, diags: &Diagnostics) -> Analysis;

    /// Checks and links across pages, after every page is analysed (backlinks,
    /// duplicate alerts, related guides). Any kind may read other kinds' data.
    fn link(&self, _lib: &mut Library, _cx: &LinkCx<'_>, _diags: &Diagnostics) {}

    /// Words a page of this kind is found by besides its text, and its severity.
    fn search_fields<'a>(&self, _page: &'a Page) -> SearchFields<'a> {
        SearchFields::default()
    }

    /// What a page's fragment templates ([`Analysis::fragments`]) see besides `t`
    /// (the UI strings): a borrowed view of the page's data as its analysis made it
    /// (fragments are rendered before the link pass, and kept with the analysis).
    fn fragment_context(&self, _page: &Page, _c: &mut tera::Context) {}

    /// Checks that need the whole built site (rule files against runbooks), after
    /// taxonomies and before rendering.
    fn check(&self, _site: &SiteRef<'_>, _diags: &Diagnostics) {}

    /// Values a page of this kind adds to its template's context (beside `page`).
    fn page_context(&self, _site: &SiteRef<'_>, _page: &Page, _c: &mut tera::Context) {}

    /// Values the section `si` adds to its index template's context (filters).
    fn section_context(
        &self,
        _site: &SiteRef<'_>,
        _renderer: &crate::render::Renderer,
        _si: usize,
        _c: &mut tera::Context,
    ) {
    }

    /// Whether this kind renders section `si`'s index itself in [`Self::outputs`]
    /// (the generic section page is then not written).
    fn owns_section(&self, _site: &SiteRef<'_>, _si: usize) -> bool {
        false
    }

    /// Site-wide files of this kind: reports, indexes, extra pages through
    /// `pages` (the theme), JSON through `pages.out`. Runs after every page is
    /// rendered, in registry order.
    fn outputs(&self, _site: &SiteRef<'_>, _pages: &Pages<'_>) -> anyhow::Result<()> {
        Ok(())
    }

    /// Kinds whose pages [`Self::outputs`] reads: a scoped rebuild (`serve`) writes
    /// the outputs again only when a page of one of them changed.
    fn outputs_read(&self) -> Vec<Kind> {
        vec![self.kind()]
    }

    /// `srekb new <kind>`: the subcommand's arguments, named after the kind. `None`:
    /// the kind has no scaffold.
    fn new_command(&self) -> Option<clap::Command> {
        None
    }

    /// Writes a new page of this kind from the arguments of [`Self::new_command`]
    /// and prints what it created; returns the process exit code.
    fn scaffold(
        &self,
        _cx: &scaffold::ScaffoldCx<'_>,
        _args: &clap::ArgMatches,
    ) -> anyhow::Result<i32> {
        anyhow::bail!("`srekb new {}` is not available", self.kind().as_str())
    }
}

/// What a kind's [`ContentKind::prepare`] may read.
pub struct PrepareCx<'a> {
    pub lib: &'a Library,
    pub config: &'a SiteConfig,
    /// The site's root directory (files named in site-config.toml are relative to it).
    pub root: &'a std::path::Path,
}

/// State a kind prepared, with the bytes that identify it for `serve`'s cache.
pub struct Prepared {
    pub state: Arc<dyn Any + Send + Sync>,
    pub cache_key: Vec<u8>,
}

/// What every page's analysis may look at besides the page itself.
pub struct AnalyzeCx<'a> {
    pub lib: &'a Library,
    pub config: &'a SiteConfig,
    /// The build's date in the site's time zone (staleness, overdue items).
    pub today: chrono::NaiveDate,
}

/// What the cross-page pass may look at besides the library.
pub struct LinkCx<'a> {
    pub config: &'a SiteConfig,
    /// The build's date in the site's time zone (budgets are charged over the window
    /// that contains it).
    pub today: chrono::NaiveDate,
}

/// A page's analysis.
pub struct Analysis {
    pub data: Box<dyn KindData>,
    /// Body ranges the theme renders instead of the markdown there.
    pub fragments: Fragments,
}

/// Body ranges (a timeline table) and the theme template that replaces each, fed by
/// [`ContentKind::fragment_context`]; `partials/…` by convention, overridable by a
/// site's theme like every template.
pub type Fragments = Vec<(std::ops::Range<usize>, &'static str)>;

impl Analysis {
    pub fn data(data: impl KindData) -> Analysis {
        Analysis {
            data: Box::new(data),
            fragments: Vec::new(),
        }
    }
}

/// Search fields a kind adds to its pages.
#[derive(Debug, Default)]
pub struct SearchFields<'a> {
    pub keywords: Vec<&'a str>,
    pub severity: Option<&'a str>,
}

/// The registered kind named `kind`, if any.
pub fn get(kind: Kind) -> Option<&'static dyn ContentKind> {
    REGISTRY.iter().copied().find(|k| k.kind() == kind)
}

/// Names a page's `kind` may take: `page` and every registered kind.
pub fn names() -> impl Iterator<Item = &'static str> {
    std::iter::once(Kind::PAGE.as_str()).chain(REGISTRY.iter().map(|k| k.kind().as_str()))
}

/// Top-level section directory → kind: `[sections]` when the config has the table,
/// else each kind's default section. Unknown kind names are reported.
pub fn sections(config: &SiteConfig, diags: &Diagnostics) -> BTreeMap<String, Kind> {
    match &config.sections {
        None => REGISTRY
            .iter()
            .filter_map(|k| Some((k.default_section()?.to_string(), k.kind())))
            .collect(),
        Some(map) => map
            .iter()
            .filter_map(|(dir, name)| {
                let kind = Kind::intern(name);
                if kind != Kind::PAGE && get(kind).is_none() {
                    diags
                        .push(unknown_kind(name).in_file(std::path::Path::new("site-config.toml")));
                    return None;
                }
                Some((dir.clone(), kind))
            })
            .collect(),
    }
}

/// The top-level section of `kind` in this configuration (for `srekb new`).
pub fn section_of(config: &SiteConfig, kind: Kind) -> Option<String> {
    sections(config, &Diagnostics::default())
        .into_iter()
        .find(|(_, k)| *k == kind)
        .map(|(d, _)| d)
}

fn unknown_kind(name: &str) -> Diagnostic {
    let known: Vec<&str> = names().collect();
    Diagnostic::error("kind", format!("`kind`: unknown kind `{name}`"))
        .with_help(format!("known kinds: {}", known.join(", ")))
}

/// Reads a kind's typed front matter from the page's `extra` keys. A wrong type is
/// reported at the key's line and the defaults are used, so checking goes on.
pub fn read_meta<T: serde::de::DeserializeOwned + Default>(
    page: &crate::content::Page,
    code: &'static str,
) -> (T, Option<Diagnostic>) {
    let doc = &page.doc;
    let value = serde_json::Value::Object(doc.meta.extra.clone());
    match serde_path_to_error::deserialize(&value) {
        Ok(m) => (m, None),
        Err(e) => {
            let key = e.path().to_string();
            let top = key.split(['.', '[']).next().unwrap_or("").to_string();
            let d = Diagnostic::error(
                code,
                format!("front matter key `{key}`: {}", e.into_inner()),
            )
            .at(&doc.source, doc.key_span(&top), &doc.text);
            (T::default(), Some(d))
        }
    }
}

/// One page's analysis, kept by `serve` between builds: valid while the page's text
/// and everything else it may look at (the key) are unchanged.
/// A page's analysis as kept by `serve`: its key, its data before the link pass, its
/// fragments rendered, and the diagnostics of both.
pub type CachedAnalysis = (
    blake3::Hash,
    Option<Arc<dyn KindData>>,
    Replacements,
    Vec<crate::diagnostics::Diagnostic>,
);

/// Content-relative path of a page → its kept analysis.
pub type AnalysisCache = std::sync::Mutex<std::collections::HashMap<String, CachedAnalysis>>;

/// Parses and checks every page of a registered kind, in parallel, renders the
/// fragments of each, then runs the checks and links that span pages; reuses the
/// analysis and fragments of pages whose text is unchanged when `cache` comes with
/// a key covering everything but the page's own text (the site's shape, the config,
/// the date, the kinds' prepared state; the theme is added here).
pub fn analyze_cached(
    lib: &mut Library,
    config: &SiteConfig,
    root: &std::path::Path,
    today: chrono::NaiveDate,
    renderer: Option<&Renderer>,
    diags: &Diagnostics,
    cache: Option<(&AnalysisCache, blake3::Hash)>,
) {
    check_kind_names(lib, diags);
    let mut prepared_key = blake3::Hasher::new();
    lib.kind_state.clear();
    for k in REGISTRY {
        if let Some(p) = k.prepare(&PrepareCx { lib, config, root }, diags) {
            prepared_key.update(k.kind().as_str().as_bytes());
            prepared_key.update(&p.cache_key);
            lib.kind_state.insert(k.kind().as_str(), p.state);
        }
    }
    let cache = cache.map(|(c, site_key)| {
        let mut h = blake3::Hasher::new();
        h.update(site_key.as_bytes());
        h.update(
            CacheKey::new()
                .serde(config)
                .hash(&today)
                .hash(&renderer.map(Renderer::id))
                .finish()
                .as_bytes(),
        );
        h.update(prepared_key.finalize().as_bytes());
        (c, h.finalize())
    });
    // The kept analyses are read in place, then the new ones put in (no copy of the
    // map per build).
    let mut kept = cache.map(|(c, _)| c.lock().unwrap_or_else(|e| e.into_inner()));
    let previous = kept.as_deref();
    let page_key = |page: &Page| {
        cache.map(|(_, k)| {
            let mut h = blake3::Hasher::new();
            h.update(k.as_bytes());
            h.update(page.doc.text_key.as_bytes());
            h.finalize()
        })
    };
    /// A page's analysis: reused with its rendered fragments, or made now.
    enum Done {
        Kept(Replacements),
        Made {
            fragments: Fragments,
            key: Option<blake3::Hash>,
            diags: Vec<crate::diagnostics::Diagnostic>,
        },
    }
    let cx = AnalyzeCx { lib, config, today };
    type Analysed = (usize, Option<Arc<dyn KindData>>, Done);
    let results: Vec<Analysed> = lib
        .pages
        .par_iter()
        .enumerate()
        .filter_map(|(i, page)| {
            let kind = get(page.kind)?;
            let key = page_key(page);
            if let (Some(key), Some(prev)) = (key, previous.as_ref()) {
                if let Some((k, data, repl, ds)) = prev.get(&page.doc.rel) {
                    if *k == key {
                        diags.extend(ds.iter().cloned());
                        return Some((i, data.clone(), Done::Kept(repl.clone())));
                    }
                }
            }
            let local = Diagnostics::default();
            let a = kind.analyze(page, &cx, &local);
            let made = Done::Made {
                fragments: a.fragments,
                key,
                diags: local.into_sorted(),
            };
            Some((i, Some(Arc::from(a.data)), made))
        })
        .collect();
    let analysed = results.len();
    let mut pending = Vec::new();
    for (i, data, done) in results {
        lib.pages[i].data = data;
        match done {
            Done::Kept(repl) => lib.pages[i].replacements = repl,
            Done::Made {
                fragments,
                key,
                diags: ds,
            } => pending.push((i, fragments, key, ds)),
        }
    }
    // Fragments see the page's own data, before the link pass.
    let rendered = render_fragments(lib, renderer, pending);
    let mut fresh = Vec::new();
    for (i, repl, key, ds) in rendered {
        diags.extend(ds.iter().cloned());
        if let (Some(key), Some(_)) = (key, cache) {
            let p = &lib.pages[i];
            fresh.push((p.doc.rel.clone(), (key, p.data.clone(), repl.clone(), ds)));
        }
        lib.pages[i].replacements = repl;
    }
    if let Some(map) = kept.as_deref_mut() {
        map.extend(fresh);
        // Those of pages gone (or no longer of a kind) are dropped once there are any.
        if map.len() > analysed {
            let kinds: std::collections::HashSet<&str> = lib
                .pages
                .iter()
                .filter(|p| get(p.kind).is_some())
                .map(|p| p.doc.rel.as_str())
                .collect();
            map.retain(|rel, _| kinds.contains(rel.as_str()));
        }
    }
    drop(kept);
    let cx = LinkCx { config, today };
    for k in REGISTRY {
        k.link(lib, &cx, diags);
    }
}

/// Renders each page's fragments through the theme into the HTML that markdown puts
/// in place of the body ranges, with the diagnostics of each page. Without a theme
/// (its templates have errors, already reported) the body is rendered as written.
#[allow(clippy::type_complexity)]
fn render_fragments<K: Send>(
    lib: &Library,
    renderer: Option<&Renderer>,
    pending: Vec<(usize, Fragments, K, Vec<crate::diagnostics::Diagnostic>)>,
) -> Vec<(usize, Replacements, K, Vec<crate::diagnostics::Diagnostic>)> {
    pending
        .into_par_iter()
        .map(|(i, fragments, key, mut ds)| {
            let Some(renderer) = renderer else {
                return (i, Vec::new(), key, ds);
            };
            let page = &lib.pages[i];
            let mut c = tera::Context::new();
            c.insert("t", &renderer.strings);
            if let Some(k) = get(page.kind) {
                k.fragment_context(page, &mut c);
            }
            let mut out = Vec::new();
            for (range, template) in fragments {
                match renderer.render(template, &c) {
                    Ok(html) => out.push((range, html)),
                    Err(d) => ds.push(*d),
                }
            }
            (i, out, key, ds)
        })
        .collect()
}

/// A page whose `kind` names no registered kind is reported and built as a page.
fn check_kind_names(lib: &mut Library, diags: &Diagnostics) {
    for p in &mut lib.pages {
        if p.kind != Kind::PAGE && get(p.kind).is_none() {
            let doc = &p.doc;
            diags.push(unknown_kind(p.kind.as_str()).at(
                &doc.source,
                doc.key_span("kind"),
                &doc.text,
            ));
            p.kind = Kind::PAGE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sections_come_from_the_registry() {
        let c = SiteConfig::default();
        let s = sections(&c, &Diagnostics::default());
        assert_eq!(s.get("postmortems"), Some(&postmortem::KIND));
        assert_eq!(s.get("maturity"), Some(&assessment::KIND));
        assert_eq!(s.len(), REGISTRY.len());
    }

    #[test]
    fn every_kind_has_a_distinct_name() {
        let mut n: Vec<&str> = names().collect();
        let len = n.len();
        n.sort_unstable();
        n.dedup();
        assert_eq!(n.len(), len);
    }
}
