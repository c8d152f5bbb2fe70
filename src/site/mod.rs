//! `Site::build`: the pipeline as a flat list of named, timed steps —
//! config → theme → load → markdown → links → taxonomies → render → feeds → static → commit.

pub mod feeds;
pub(crate) mod import;
pub mod maturity;
pub mod postmortems;
pub mod runbooks;

use std::collections::{BTreeMap, HashMap};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use rayon::prelude::*;
use serde::Serialize;
use walkdir::WalkDir;

use crate::config::{AnchorPolicy, SiteConfig};
use crate::content::load::{self, LoadOptions};
use crate::content::{Kind, Library, Page, Target};
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::markdown::{self, links};
use crate::output::{self, Output};
use crate::render::views::{self, Crumb, NavItem, SiteView};
use crate::render::Renderer;
use crate::taxonomy::{self, Taxonomy};
use crate::theme::Theme;

/// Where the build goes.
#[derive(Debug, Clone)]
pub enum OutputMode {
    /// Write to this directory, replacing it only when the build succeeds.
    Dir(PathBuf),
    /// Keep the files in memory (for `serve`).
    Memory,
    /// Validate only (`check`).
    Check,
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    pub output: OutputMode,
    pub drafts: bool,
    pub base_url: Option<String>,
    /// A script tag injected before `</body>` (live reload in `serve`).
    pub live_reload: Option<String>,
    /// Prometheus rule files whose alerts must all have runbooks (`check --alert-rules`).
    pub alert_rules: Vec<PathBuf>,
    /// Write the browser's static search index (not needed by `serve`, which answers
    /// `/api/search` from the live index).
    pub web_index: bool,
    /// Kept between builds by `serve`: rendered markdown and the site's shape.
    pub cache: Option<std::sync::Arc<BuildCache>>,
    /// Files (relative to the root) changed since the cached build; with a cache, a
    /// change that leaves the site's shape alone renders only what depends on them.
    pub changed: Option<Vec<PathBuf>>,
}

impl BuildOptions {
    pub fn new(root: PathBuf, output: OutputMode) -> BuildOptions {
        BuildOptions {
            root,
            output,
            drafts: false,
            base_url: None,
            live_reload: None,
            alert_rules: Vec::new(),
            web_index: true,
            cache: None,
            changed: None,
        }
    }
}

/// What `serve` keeps between builds.
#[derive(Default)]
pub struct BuildCache {
    /// Source path → (hash of everything its HTML depends on, the rendered markdown).
    markdown: std::sync::Mutex<HashMap<PathBuf, (blake3::Hash, markdown::Rendered)>>,
    /// Hash of every document's place, metadata and kind: equal between two builds,
    /// only the changed documents' own pages and the pages listing them change.
    shape: std::sync::Mutex<Option<blake3::Hash>>,
    /// Each page's kind analysis.
    kinds: crate::kinds::AnalysisCache,
    /// The theme and its compiled templates.
    #[allow(clippy::type_complexity)]
    theme: std::sync::Mutex<Option<(std::sync::Arc<Theme>, std::sync::Arc<Renderer>)>>,
}

impl std::fmt::Debug for BuildCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BuildCache")
    }
}

/// The documents a scoped build renders; everything else is unchanged.
#[derive(Default)]
struct Scope {
    pages: std::collections::HashSet<usize>,
    sections: std::collections::HashSet<usize>,
    /// (taxonomy, term slug)
    terms: std::collections::HashSet<(String, String)>,
    /// Kinds of the changed pages (their reports and indexes are rendered again).
    kinds: std::collections::HashSet<Kind>,
}

impl Scope {
    /// Whether the pages generated for `kinds` (reports, alert pages, scorecards)
    /// must be rendered again.
    fn touches(scope: Option<&Scope>, kinds: &[Kind]) -> bool {
        scope.is_none_or(|s| kinds.iter().any(|k| s.kinds.contains(k)))
    }
}

#[derive(Default)]
pub struct BuildReport {
    pub diagnostics: Vec<Diagnostic>,
    pub steps: Vec<(&'static str, Duration)>,
    pub pages_by_kind: BTreeMap<Kind, usize>,
    pub sections: usize,
    pub files: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    pub ok: bool,
    /// Only the pages depending on `BuildOptions::changed` were rendered: the files
    /// in `memory` replace those of the previous build, the others stay.
    pub scoped: bool,
    /// Every searchable document, when built into memory (for `serve`'s live index).
    pub search_docs: Option<Vec<crate::search::OwnedDoc>>,
    /// The browser's static search index, when one was written.
    pub search: Option<crate::search::web::Stats>,
    /// The site's files when built with [`OutputMode::Memory`].
    pub memory: Option<HashMap<String, Vec<u8>>>,
}

impl BuildReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// "42 pages (career 3, page 39), 9 sections, 0 warnings in 0.41s".
    pub fn summary(&self) -> String {
        let total: usize = self.pages_by_kind.values().sum();
        let kinds: Vec<String> = self
            .pages_by_kind
            .iter()
            .map(|(k, n)| format!("{} {n}", k.as_str()))
            .collect();
        format!(
            "{total} pages ({}), {} sections, {} files, {} errors, {} warnings in {:.2}s",
            kinds.join(", "),
            self.sections,
            self.files,
            self.errors(),
            self.warnings(),
            self.elapsed.as_secs_f64()
        )
    }
}

struct Steps {
    list: Vec<(&'static str, Duration)>,
}

impl Steps {
    fn run<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.list.push((name, t.elapsed()));
        out
    }
}

/// Everything loaded for one build.
pub struct Site {
    pub root: PathBuf,
    pub config: SiteConfig,
    pub renderer: Option<std::sync::Arc<Renderer>>,
    pub theme: std::sync::Arc<Theme>,
    pub lib: Library,
    pub taxonomies: Vec<Taxonomy>,
    /// Alerting rules from `[runbook] alert_rules` (for the coverage report).
    pub rules: Vec<crate::kinds::runbook::alert_rules::Rule>,
    /// The build's date in the site's time zone (staleness, overdue items).
    pub today: chrono::NaiveDate,
}

/// Today in the site's time zone; `SOURCE_DATE_EPOCH` (seconds, the reproducible-builds
/// convention) pins it, so staleness and overdue checks are repeatable.
pub fn today(offset: chrono::FixedOffset) -> chrono::NaiveDate {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now);
    now.with_timezone(&offset).date_naive()
}

/// Reads and validates `root/site-config.toml`.
pub fn load_config(root: &Path, diags: &Diagnostics) -> Option<SiteConfig> {
    let (path, shown) = crate::config::config_file(root);
    if !path.is_file() {
        diags.push(
            Diagnostic::error(
                "config",
                format!("no site-config.toml in {}", root.display()),
            )
            .with_help("run `srekb init` to create a knowledge base, or pass --root DIR"),
        );
        return None;
    }
    let text = match load::read_text(&path, &shown) {
        Ok(t) => t,
        Err(d) => {
            diags.push(*d);
            return None;
        }
    };
    match SiteConfig::parse(&text, &shown) {
        Ok(c) => Some(c),
        Err(ds) => {
            diags.extend(ds);
            None
        }
    }
}

pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let started = Instant::now();
    let diags = Diagnostics::default();
    let mut steps = Steps { list: Vec::new() };
    let root = &opts.root;

    let Some(mut config) = steps.run("config", || load_config(root, &diags)) else {
        return Ok(finish(diags, steps, started, None, None));
    };
    if let Some(b) = &opts.base_url {
        config.base_url = b.trim_end_matches('/').to_string();
    }
    let (theme, renderer) = steps.run("theme", || {
        // serve: an edit outside themes/ and the config keeps the compiled templates.
        let reusable = opts.changed.as_ref().is_some_and(|c| {
            c.iter()
                .all(|p| !p.starts_with("themes") && p != Path::new("site-config.toml"))
        });
        if let (true, Some(cache)) = (reusable, &opts.cache) {
            if let Some(pair) = cache
                .theme
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
            {
                return (pair.0, Some(pair.1));
            }
        }
        let loaded = match Theme::load(root, &config.theme) {
            Ok(theme) => match Renderer::new(&theme, &config) {
                Ok(r) => (std::sync::Arc::new(theme), Some(std::sync::Arc::new(r))),
                Err(ds) => {
                    diags.extend(ds);
                    (std::sync::Arc::new(theme), None)
                }
            },
            Err(ds) => {
                diags.extend(ds);
                (std::sync::Arc::new(Theme::default()), None)
            }
        };
        if let (Some(cache), Some(r)) = (&opts.cache, &loaded.1) {
            *cache.theme.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((loaded.0.clone(), r.clone()));
        }
        loaded
    });
    let lib = steps.run("load", || {
        load::load(
            root,
            &config,
            LoadOptions {
                drafts: opts.drafts,
                sections: crate::kinds::sections(&config, &diags),
            },
            &diags,
        )
    });
    let today = today(config.offset());
    let mut lib = lib;
    let shape = site_shape(&lib);
    steps.run("import", || import::run(&mut lib, &diags));
    steps.run("kinds", || {
        let cache = opts.cache.as_ref().map(|c| (&c.kinds, shape));
        crate::kinds::analyze_cached(&mut lib, &config, today, &diags, cache)
    });
    let mut site = Site {
        root: root.clone(),
        config,
        renderer,
        theme,
        lib,
        taxonomies: Vec::new(),
        rules: Vec::new(),
        today,
    };
    steps.run("alert-rules", || {
        let load =
            |path: &Path, shown: &Path| match crate::kinds::runbook::alert_rules::load(path, shown)
            {
                Ok(r) => r,
                Err(d) => {
                    diags.push(*d);
                    Vec::new()
                }
            };
        for f in &site.config.runbook.alert_rules {
            let r = load(&root.join(f), Path::new(f));
            site.rules.extend(r);
        }
        runbooks::check_rules(&site, &site.rules, false, &diags);
        let cli: Vec<_> = opts.alert_rules.iter().flat_map(|f| load(f, f)).collect();
        if !opts.alert_rules.is_empty() {
            runbooks::check_rules(&site, &cli, true, &diags);
        }
    });
    steps.run("markdown", || {
        render_markdown(&mut site, opts.cache.as_deref(), &diags)
    });
    steps.run("links", || check_anchors(&site, &diags));
    site.taxonomies = steps.run("taxonomies", || {
        let t = taxonomy::collect(&site.lib, &site.config.taxonomies);
        for tax in &t {
            if let Some(Target::Section(si)) = site.lib.by_path.get(&tax.path()) {
                diags.push(
                    Diagnostic::error(
                        "duplicate-path",
                        format!(
                            "the `{}` taxonomy's pages would overwrite section /{}",
                            tax.name,
                            tax.path()
                        ),
                    )
                    .in_file(&site.lib.sections[*si].doc.source),
                );
            }
        }
        t
    });

    let scope = steps.run("scope", || scope_of_change(&site, shape, opts));
    let out = match (&opts.output, diags.has_errors()) {
        (OutputMode::Dir(dir), false) => {
            output::check_output_path(root, dir, &read_paths(&site.config, opts))?;
            Output::dir(dir, &site.config.output.keep)?
        }
        (OutputMode::Memory, false) => Output::memory(),
        _ => Output::discard(),
    };
    let mut search = None;
    let result = (|| -> Result<()> {
        if let Some(renderer) = &site.renderer {
            let assets = steps.run("assets", || write_theme_assets(&site, &out))?;
            steps.run("render", || {
                render_all(&site, renderer, &assets, opts, scope.as_ref(), &out, &diags)
            })?;
        }
        steps.run("feeds", || write_feeds(&site, scope.as_ref(), &out))?;
        if scope.is_none() {
            steps.run("static", || copy_static(&site, &out, &diags))?;
        }
        // The pages' HTML is written: free it before the search steps (about 200 MB
        // on a 10,000-page site), which need only the text.
        let targets: Vec<Target> = site.lib.targets().collect();
        for t in targets {
            let r = &mut site.lib.doc_mut(t).rendered;
            r.html = String::new();
            r.summary_html = None;
        }
        if opts.web_index && !matches!(opts.output, OutputMode::Check) && !diags.has_errors() {
            search = Some(steps.run("search-export", || {
                crate::search::web::export(&site.lib, &out)
            })?);
        }
        Ok(())
    })();
    if let Err(e) = result {
        return Err(out.fail(e));
    }
    let files = out.files();
    let bytes = out.bytes();
    let memory = if diags.has_errors() {
        out.abort();
        None
    } else {
        steps.run("commit", || out.commit())?
    };
    if !diags.has_errors() && matches!(opts.output, OutputMode::Dir(_)) {
        steps.run("search-index", || {
            crate::search::index::write(&site.lib, root)
        })?;
    }
    let mut report = finish(diags, steps, started, Some(&site), memory);
    report.files = files;
    report.bytes = bytes;
    report.search = search;
    report.scoped = scope.is_some();
    if report.ok && matches!(opts.output, OutputMode::Memory) {
        report.search_docs = Some(
            crate::search::documents(&site.lib)
                .iter()
                .map(crate::search::SearchDoc::to_owned_doc)
                .collect(),
        );
    }
    Ok(report)
}

/// Everything a build reads (relative to the root, or absolute), which an output
/// must neither contain nor lie inside.
fn read_paths(config: &SiteConfig, opts: &BuildOptions) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = [
        "content",
        "themes",
        "static",
        ".git",
        ".srekb",
        "site-config.toml",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    v.extend(config.runbook.alert_rules.iter().map(PathBuf::from));
    v.extend(
        opts.alert_rules
            .iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())),
    );
    v
}

fn finish(
    diags: Diagnostics,
    steps: Steps,
    started: Instant,
    site: Option<&Site>,
    memory: Option<HashMap<String, Vec<u8>>>,
) -> BuildReport {
    let diagnostics = diags.into_sorted();
    let ok = !diagnostics.iter().any(Diagnostic::is_error);
    BuildReport {
        ok,
        diagnostics,
        steps: steps.list,
        pages_by_kind: site.map(|s| s.lib.count_by_kind()).unwrap_or_default(),
        sections: site.map_or(0, |s| s.lib.sections.len()),
        elapsed: started.elapsed(),
        memory,
        ..BuildReport::default()
    }
}

/// Markdown → HTML for every document, in parallel.
fn render_markdown(site: &mut Site, cache: Option<&BuildCache>, diags: &Diagnostics) {
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
    // theme's copy label, and where every other document is (link resolution).
    let site_key = cache.map(|_| {
        let mut h = blake3::Hasher::new();
        h.update(format!("{config:?}").as_bytes());
        h.update(copy_label.as_bytes());
        let mut rels: Vec<(&String, String)> = lib
            .by_rel
            .iter()
            .map(|(k, t)| (k, lib.doc(*t).path.clone()))
            .collect();
        rels.sort();
        for (k, p) in rels {
            h.update(k.as_bytes());
            h.update(p.as_bytes());
        }
        let mut assets: Vec<(&String, &String)> = lib.asset_by_rel.iter().collect();
        assets.sort();
        h.update(format!("{assets:?}").as_bytes());
        h.finalize()
    });
    let cached = cache.map(|c| c.markdown.lock().unwrap_or_else(|e| e.into_inner()));
    let results: Vec<(Target, markdown::Rendered, Option<blake3::Hash>)> = targets
        .par_iter()
        .filter_map(|&t| {
            let doc = lib.doc(t);
            if doc.rel.is_empty() {
                return None;
            }
            let replacements = match t {
                Target::Page(p) => &lib.pages[p].replacements,
                Target::Section(_) => &empty,
            };
            let key = site_key.map(|k| {
                let mut h = blake3::Hasher::new();
                h.update(k.as_bytes());
                h.update(doc.text.as_bytes());
                h.update(doc.title.as_bytes());
                h.update(doc.path.as_bytes());
                h.update(format!("{replacements:?}").as_bytes());
                h.finalize()
            });
            if let (Some(key), Some(map)) = (key, cached.as_ref()) {
                if let Some((k, r)) = map.get(&doc.source) {
                    if *k == key {
                        return Some((t, r.clone(), None));
                    }
                }
            }
            // The import stage rewrote other tools' syntax line for line.
            let full: std::borrow::Cow<str> = match &doc.imported {
                Some(imp) => format!("{}{}", &doc.text[..doc.body_start], imp.body).into(),
                None => doc.text.as_str().into(),
            };
            let no_titles = BTreeMap::new();
            let ctx = markdown::Context {
                config,
                lib,
                source: &doc.source,
                text: &full,
                body_start: doc.body_start,
                body_line: doc.body_line,
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
            Some((t, rendered, key.filter(|_| cacheable)))
        })
        .collect();
    drop(cached);
    let mut fresh = HashMap::new();
    for (t, r, key) in results {
        if let Some(key) = key {
            fresh.insert(site.lib.doc(t).source.clone(), (key, r.clone()));
        }
        site.lib.doc_mut(t).rendered = r;
    }
    if let Some(c) = cache {
        let mut map = c.markdown.lock().unwrap_or_else(|e| e.into_inner());
        // Keep only documents that still exist.
        let live: std::collections::HashSet<&PathBuf> = site
            .lib
            .targets()
            .map(|t| &site.lib.doc(t).source)
            .collect();
        map.retain(|k, _| live.contains(k));
        map.extend(fresh);
    }
}

/// Hash of what other pages show of every document: place, title, dates, taxonomy
/// terms, front matter and kind. A change that keeps it leaves other pages' lists,
/// navigation and links as they were.
fn site_shape(lib: &Library) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    for t in lib.targets() {
        let d = lib.doc(t);
        h.update(d.rel.as_bytes());
        h.update(d.path.as_bytes());
        h.update(d.title.as_bytes());
        h.update(format!("{:?}{:?}{:?}{:?}", d.date, d.updated, d.taxonomies, d.meta).as_bytes());
        if let Target::Page(p) = t {
            h.update(lib.pages[p].kind.as_str().as_bytes());
        }
    }
    h.update(format!("{:?}", lib.assets).as_bytes());
    h.finalize()
}

/// With a cache and a list of changed files: the pages to render, or None for all.
fn scope_of_change(site: &Site, shape: blake3::Hash, opts: &BuildOptions) -> Option<Scope> {
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
    let lib = &site.lib;
    let mut scope = Scope::default();
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
        let mut section = match lib.by_rel.get(&rel)? {
            Target::Page(p) => {
                scope.pages.insert(*p);
                let page = &lib.pages[*p];
                scope.kinds.insert(page.kind);
                for (tax, terms) in &page.doc.taxonomies {
                    for term in terms {
                        scope
                            .terms
                            .insert((tax.clone(), crate::content::slug::path_segment(term)));
                    }
                }
                Some(page.section)
            }
            Target::Section(s) => Some(*s),
        };
        while let Some(s) = section {
            scope.sections.insert(s);
            section = lib.sections[s].parent;
        }
    }
    Some(scope)
}

/// Links with `#anchor` must point at an id that exists in the target document.
fn check_anchors(site: &Site, diags: &Diagnostics) {
    let lib = &site.lib;
    let policy = site.config.links.anchors;
    if policy == AnchorPolicy::Ignore {
        return;
    }
    let mut known_by_page: std::collections::HashMap<usize, Vec<&String>> = Default::default();
    for t in lib.targets() {
        let doc = lib.doc(t);
        for r in &doc.rendered.anchor_refs {
            let target = r.target.map_or(doc, |tt| lib.doc(tt));
            if r.anchor == "top" || target.rendered.anchors.contains(&r.anchor) {
                continue;
            }
            // Sorted once per target page: per broken anchor it was quadratic.
            let known = known_by_page
                .entry(std::ptr::from_ref(target) as usize)
                .or_insert_with(|| {
                    let mut known: Vec<&String> = target.rendered.anchors.iter().collect();
                    known.sort();
                    known.truncate(8);
                    known
                });
            let where_ = if std::ptr::eq(target, doc) {
                "this page".to_string()
            } else {
                target.source.display().to_string()
            };
            let mut d = Diagnostic::error(
                "broken-anchor",
                format!("anchor `#{}` does not exist in {where_}", r.anchor),
            )
            .at_offset(&doc.source, r.span, &doc.text, r.offset);
            if !known.is_empty() {
                let list: Vec<String> = known.iter().map(|a| format!("#{a}")).collect();
                d = d.with_help(format!("ids there include: {}", list.join(", ")));
            }
            if policy == AnchorPolicy::Warn {
                d.severity = Severity::Warning;
            }
            diags.push(d);
        }
    }
}

/// Fingerprinted stylesheet and script paths.
pub struct Assets {
    pub css: String,
    pub js: String,
    pub search_js: String,
}

fn fingerprint(name: &str, ext: &str, bytes: &[u8]) -> String {
    let hash = blake3::hash(bytes).to_hex();
    format!("assets/{name}.{}.{ext}", &hash[..10])
}

fn write_theme_assets(site: &Site, out: &Output) -> Result<Assets> {
    let mut css = site
        .theme
        .static_files
        .get("style.css")
        .cloned()
        .unwrap_or_default();
    if site.config.markdown.highlight {
        let syntax = markdown::highlight::stylesheet(
            &site.config.markdown.highlight_theme,
            &site.config.markdown.highlight_theme_dark,
        )
        .map_err(|e| anyhow::anyhow!("site-config.toml [markdown]: {e}"))?;
        css.extend_from_slice(b"\n");
        css.extend_from_slice(syntax.as_bytes());
    }
    let js = site
        .theme
        .static_files
        .get("srekb.js")
        .cloned()
        .unwrap_or_default();
    let search_js = site
        .theme
        .static_files
        .get("search.js")
        .cloned()
        .unwrap_or_default();
    let assets = Assets {
        css: fingerprint("style", "css", &css),
        js: fingerprint("srekb", "js", &js),
        search_js: fingerprint("search", "js", &search_js),
    };
    out.write(&assets.css, &css)?;
    out.write(&assets.js, &js)?;
    out.write(&assets.search_js, &search_js)?;
    for (path, bytes) in &site.theme.static_files {
        if !matches!(path.as_str(), "style.css" | "srekb.js" | "search.js") {
            out.write(path, bytes)?;
        }
    }
    Ok(assets)
}

/// Renders `template` into `file`; a template error becomes a diagnostic (the build
/// goes on to find the others) instead of aborting.
pub(crate) fn render_page(
    renderer: &Renderer,
    out: &Output,
    diags: &Diagnostics,
    template: &str,
    c: &tera::Context,
    file: &str,
) -> Result<()> {
    match renderer.render(template, c) {
        Ok(html) => out.write(file, html.as_bytes()),
        Err(d) => {
            diags.push(*d);
            Ok(())
        }
    }
}

/// The first top-level section whose pages are of `kind` (`postmortems/` …).
pub(crate) fn top_section(site: &Site, kind: Kind) -> Option<usize> {
    site.lib.sections.iter().position(|s| {
        s.kind == kind
            && s.parent
                .is_some_and(|p| site.lib.sections[p].parent.is_none())
    })
}

/// Common template context: site, UI strings, relative root, canonical URL.
pub(crate) struct Ctx<'a> {
    site_view: SiteView<'a>,
    strings: &'a serde_json::Map<String, serde_json::Value>,
    live_reload: Option<&'a str>,
}

impl Ctx<'_> {
    pub(crate) fn base(&self, path: &str, root: &str, base_url: &str) -> tera::Context {
        let mut c = tera::Context::new();
        c.insert("site", &self.site_view);
        c.insert("t", self.strings);
        c.insert("root", root);
        c.insert("canonical", &feeds::absolute(base_url, path));
        c.insert("live_reload", &self.live_reload);
        let top = path.split('/').next().filter(|s| !s.is_empty());
        c.insert(
            "current_section",
            &top.map(|t| views::href(&format!("{t}/"))),
        );
        c
    }
}

fn page_template(renderer: &Renderer, page: &Page) -> String {
    if let Some(t) = &page.doc.meta.template {
        return t.clone();
    }
    let kind = format!("{}.html", page.kind.as_str());
    if renderer.has_template(&kind) {
        kind
    } else {
        "page.html".into()
    }
}

fn out_file(path: &str) -> String {
    format!("{path}index.html")
}

fn render_all(
    site: &Site,
    renderer: &Renderer,
    assets: &Assets,
    opts: &BuildOptions,
    scope: Option<&Scope>,
    out: &Output,
    diags: &Diagnostics,
) -> Result<()> {
    let lib = &site.lib;
    let config = &site.config;
    let home = renderer.t("home").to_string();
    let mut top: Vec<usize> = lib.sections[lib.root()].subsections.clone();
    views::sort_sections(lib, &mut top);
    let nav: Vec<NavItem> = top
        .iter()
        .filter(|&&si| views::count_pages(lib, si) > 0 || lib.sections[si].has_index_file)
        .map(|&si| NavItem {
            title: lib.sections[si].doc.title.clone(),
            href: views::href(&lib.sections[si].doc.path),
        })
        .collect();
    let ctx = Ctx {
        site_view: SiteView {
            title: &config.title,
            description: &config.description,
            lang: config.language.code(),
            base_url: &config.base_url,
            version: env!("CARGO_PKG_VERSION"),
            css: &assets.css,
            js: &assets.js,
            search_js: &assets.search_js,
            nav,
            extra: &config.extra,
        },
        strings: &renderer.strings,
        live_reload: opts.live_reload.as_deref(),
    };
    let render_to = |template: &str, c: &tera::Context, file: &str| -> Result<()> {
        match renderer.render(template, c) {
            Ok(html) => out.write(file, html.as_bytes()),
            Err(d) => {
                diags.push(*d);
                Ok(())
            }
        }
    };

    // Pages.
    lib.pages
        .par_iter()
        .enumerate()
        .try_for_each(|(pi, page)| -> Result<()> {
            if scope.is_some_and(|s| !s.pages.contains(&pi)) {
                return Ok(());
            }
            let root = links::root_prefix(&page.doc.path);
            let mut c = ctx.base(&page.doc.path, &root, &config.base_url);
            c.insert("page", &views::page_view(page, &site.taxonomies));
            if page.kind == crate::kinds::assessment::KIND {
                c.insert(
                    "model",
                    &lib.state::<crate::kinds::assessment::model::Model>(
                        crate::kinds::assessment::KIND,
                    ),
                );
            }
            c.insert("section", &views::section_ref(lib, page.section));
            let crumbs: Vec<Crumb> =
                views::breadcrumbs(lib, Some(page.section), &home, Some(&page.doc));
            c.insert("breadcrumbs", &crumbs);
            render_to(
                &page_template(renderer, page),
                &c,
                &out_file(&page.doc.path),
            )?;
            for alias in &page.doc.meta.aliases {
                write_alias(out, alias, &page.doc.path)?;
            }
            Ok(())
        })?;

    // Sections (the root is the home page).
    (0..lib.sections.len())
        .into_par_iter()
        .try_for_each(|si| -> Result<()> {
            let s = &lib.sections[si];
            if maturity::owns_section(site, si)
                || scope.is_some_and(|sc| !sc.sections.contains(&si))
            {
                return Ok(());
            }
            let root = links::root_prefix(&s.doc.path);
            let mut c = ctx.base(&s.doc.path, &root, &config.base_url);
            c.insert("section", &views::section_view(lib, si, &site.taxonomies));
            let crumbs = views::breadcrumbs(lib, Some(si), &home, None);
            c.insert("breadcrumbs", &crumbs);
            postmortems::index_context(site, renderer, &mut c, si);
            let template = if s.parent.is_none() {
                let mut recent: Vec<&Page> =
                    lib.pages.iter().filter(|p| p.doc.date.is_some()).collect();
                recent.sort_by(|a, b| {
                    b.doc
                        .updated
                        .or(b.doc.date)
                        .cmp(&a.doc.updated.or(a.doc.date))
                });
                recent.truncate(10);
                let recent: Vec<_> = recent
                    .into_iter()
                    .map(|p| views::page_ref(p, &site.taxonomies))
                    .collect();
                c.insert("recent", &recent);
                "index.html".to_string()
            } else if let Some(t) = &s.doc.meta.template {
                t.clone()
            } else {
                let kind = format!("{}-section.html", s.kind.as_str());
                if renderer.has_template(&kind) {
                    kind
                } else {
                    "section.html".into()
                }
            };
            render_to(&template, &c, &out_file(&s.doc.path))?;
            for alias in &s.doc.meta.aliases {
                write_alias(out, alias, &s.doc.path)?;
            }
            Ok(())
        })?;

    // Taxonomies.
    #[derive(Serialize)]
    struct TermView<'a> {
        name: &'a str,
        href: String,
        count: usize,
        pages: Vec<views::PageRef<'a>>,
    }
    #[derive(Serialize)]
    struct TaxonomyView<'a> {
        name: &'a str,
        title: String,
        href: String,
        terms: Vec<TermView<'a>>,
    }
    for tax in &site.taxonomies {
        let title = renderer.t(&format!("taxonomy.{}", tax.name)).to_string();
        let tpath = tax.path();
        let term_views: Vec<TermView> = tax
            .terms
            .iter()
            .map(|t| TermView {
                name: &t.name,
                href: views::href(&format!("{tpath}{}/", t.slug)),
                count: t.pages.len(),
                pages: Vec::new(),
            })
            .collect();
        let root = links::root_prefix(&tpath);
        let mut c = ctx.base(&tpath, &root, &config.base_url);
        let view = TaxonomyView {
            name: &tax.name,
            title: title.clone(),
            href: views::href(&tpath),
            terms: term_views,
        };
        c.insert("taxonomy", &view);
        c.insert("breadcrumbs", &views::trail(&home, &[(&title, &tpath)]));
        render_to("taxonomy.html", &c, &out_file(&tpath))?;
        tax.terms.par_iter().try_for_each(|term| -> Result<()> {
            if scope.is_some_and(|s| !s.terms.contains(&(tax.name.clone(), term.slug.clone()))) {
                return Ok(());
            }
            let path = format!("{tpath}{}/", term.slug);
            let root = links::root_prefix(&path);
            let mut c = ctx.base(&path, &root, &config.base_url);
            let tv = TermView {
                name: &term.name,
                href: views::href(&path),
                count: term.pages.len(),
                pages: term
                    .pages
                    .iter()
                    .map(|&p| views::page_ref(&lib.pages[p], &site.taxonomies))
                    .collect(),
            };
            c.insert("term", &tv);
            c.insert(
                "taxonomy",
                &TaxonomyView {
                    name: &tax.name,
                    title: title.clone(),
                    href: views::href(&tpath),
                    terms: Vec::new(),
                },
            );
            c.insert(
                "breadcrumbs",
                &views::trail(&home, &[(&title, &tpath), (&term.name, &path)]),
            );
            render_to("term.html", &c, &out_file(&path))
        })?;
    }

    if Scope::touches(scope, &[crate::kinds::postmortem::KIND]) {
        postmortems::render(site, renderer, &ctx, out, diags, &home)?;
    }
    if Scope::touches(scope, &[crate::kinds::runbook::KIND]) {
        runbooks::render(site, renderer, &ctx, out, diags, &home)?;
    }
    // Scorecards show postmortem and runbook evidence beside the assessments.
    if Scope::touches(
        scope,
        &[
            crate::kinds::assessment::KIND,
            crate::kinds::postmortem::KIND,
            crate::kinds::runbook::KIND,
        ],
    ) {
        maturity::render(site, renderer, &ctx, out, diags, &home, site.today)?;
    }
    if scope.is_some() {
        return Ok(());
    }

    render_search_page(site, renderer, &ctx, &home, &render_to)?;

    // 404: served at any depth, so it links from the site's absolute base path.
    let base_path = config
        .base_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
        .unwrap_or_default();
    let root404 = format!("{}/", base_path.trim_end_matches('/'));
    let mut c = ctx.base("404.html", &root404, &config.base_url);
    c.insert("breadcrumbs", &Vec::<Crumb>::new());
    render_to("404.html", &c, "404.html")?;
    Ok(())
}

/// The search page at `search/` (the browser index is written beside it by
/// `search::web::export`).
fn render_search_page(
    site: &Site,
    renderer: &Renderer,
    ctx: &Ctx<'_>,
    home: &str,
    render_to: &dyn Fn(&str, &tera::Context, &str) -> Result<()>,
) -> Result<()> {
    let path = format!("{}/", crate::search::web::DIR);
    let mut kinds: Vec<&str> = site
        .lib
        .count_by_kind()
        .keys()
        .map(|k| k.as_str())
        .collect();
    kinds.push("section");
    let labels = serde_json::json!({
        "kinds": kinds
            .iter()
            .map(|k| (k.to_string(), renderer.t(&format!("kind.{k}")).into()))
            .collect::<serde_json::Map<String, serde_json::Value>>(),
        "results": renderer.t("search.results"),
        "none": renderer.t("search.none"),
        "loading": renderer.t("search.loading"),
        "error": renderer.t("search.error"),
    });
    let root = links::root_prefix(&path);
    let mut c = ctx.base(&path, &root, &site.config.base_url);
    c.insert("kinds", &kinds);
    c.insert("labels", &labels.to_string());
    c.insert(
        "breadcrumbs",
        &views::trail(home, &[(renderer.t("search.title"), &path)]),
    );
    render_to("search.html", &c, &out_file(&path))
}

/// A redirect page at an old URL (front matter `aliases`).
fn write_alias(out: &Output, alias: &str, to_path: &str) -> Result<()> {
    let Some(clean) = links::join("", alias.trim_start_matches('/')) else {
        return Ok(());
    };
    if clean.is_empty() {
        return Ok(());
    }
    let from = if clean.ends_with(".html") {
        clean.clone()
    } else {
        format!("{clean}/index.html")
    };
    let depth = from.matches('/').count();
    let target = format!("{}{}", "../".repeat(depth), views::href(to_path));
    let t = feeds::xml_escape(&target);
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Redirect</title><meta http-equiv=\"refresh\" content=\"0; url={t}\"><link rel=\"canonical\" href=\"{t}\"></head><body><a href=\"{t}\">{t}</a></body></html>\n"
    );
    out.write(&from, html.as_bytes())
}

/// Atom feeds (the site's and each section's) and the sitemap. A scoped build writes
/// only the feeds that carry a changed page; the sitemap lists places and dates,
/// which a scoped change leaves alone.
fn write_feeds(site: &Site, scope: Option<&Scope>, out: &Output) -> Result<()> {
    let lib = &site.lib;
    let config = &site.config;
    let dated = |prefix: &str| -> Vec<&Page> {
        let mut v: Vec<&Page> = lib
            .pages
            .iter()
            .filter(|p| p.doc.date.is_some() && p.doc.path.starts_with(prefix))
            .collect();
        v.sort_by(|a, b| {
            b.doc
                .date
                .cmp(&a.doc.date)
                .then(a.doc.title.cmp(&b.doc.title))
        });
        v.truncate(config.feed.limit);
        v
    };
    out.write(
        "atom.xml",
        feeds::atom(
            &feeds::FeedInfo {
                title: &config.title,
                base_url: &config.base_url,
                feed_path: "atom.xml",
                html_path: "",
            },
            &dated(""),
        )
        .as_bytes(),
    )?;
    for (si, s) in lib
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.parent.is_some())
    {
        if scope.is_some_and(|sc| !sc.sections.contains(&si)) {
            continue;
        }
        let pages = dated(&s.doc.path);
        if pages.is_empty() {
            continue;
        }
        let feed_path = format!("{}atom.xml", s.doc.path);
        let title = format!("{} | {}", s.doc.title, config.title);
        out.write(
            &feed_path,
            feeds::atom(
                &feeds::FeedInfo {
                    title: &title,
                    base_url: &config.base_url,
                    feed_path: &feed_path,
                    html_path: &s.doc.path,
                },
                &pages,
            )
            .as_bytes(),
        )?;
    }
    if Scope::touches(scope, &[crate::kinds::postmortem::KIND]) {
        postmortems::write_json(site, out)?;
    }
    if Scope::touches(scope, &[crate::kinds::runbook::KIND]) {
        runbooks::write_json(site, out)?;
    }
    // The SLO kind's export (moves to the kinds' outputs hook when there is one).
    let slo_inputs = [
        crate::kinds::slo::KIND,
        crate::kinds::postmortem::KIND,
        crate::kinds::runbook::KIND,
    ];
    if Scope::touches(scope, &slo_inputs) {
        if let Some(json) = crate::kinds::slo::kind::json(&site.lib, &site.config.base_url) {
            out.write("slos.json", &json)?;
        }
    }
    if scope.is_some() {
        return Ok(());
    }
    let mut entries: Vec<(String, Option<crate::content::Date>)> = Vec::new();
    for s in &lib.sections {
        entries.push((s.doc.path.clone(), s.doc.updated.or(s.doc.date)));
    }
    for p in &lib.pages {
        entries.push((p.doc.path.clone(), p.doc.updated.or(p.doc.date)));
    }
    for tax in &site.taxonomies {
        entries.push((tax.path(), None));
        for t in &tax.terms {
            entries.push((format!("{}{}/", tax.path(), t.slug), None));
        }
    }
    entries.sort();
    out.write(
        "sitemap.xml",
        feeds::sitemap(&config.base_url, &entries).as_bytes(),
    )?;
    out.write("robots.txt", feeds::robots(&config.base_url).as_bytes())?;
    Ok(())
}

/// `static/` as is, and the files that sit beside pages in `content/`.
fn copy_static(site: &Site, out: &Output, diags: &Diagnostics) -> Result<()> {
    let dir = site.root.join("static");
    if dir.is_dir() {
        let canon = dir
            .canonicalize()
            .with_context(|| format!("reading {}", dir.display()))?;
        for entry in WalkDir::new(&dir).follow_links(true).sort_by_file_name() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "io",
                        format!("cannot read static file: {e}"),
                    ));
                    continue;
                }
            };
            if !entry.file_type().is_file()
                || load::is_ignored(&entry.file_name().to_string_lossy())
            {
                continue;
            }
            let real = entry
                .path()
                .canonicalize()
                .unwrap_or_else(|_| entry.path().to_path_buf());
            if !real.starts_with(&canon) {
                diags.push(
                    Diagnostic::error(
                        "symlink",
                        "symlink points outside static/; refusing to copy it",
                    )
                    .in_file(&load::display(entry.path(), &site.root)),
                );
                continue;
            }
            let rel = entry.path().strip_prefix(&dir).expect("under static/");
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.copy(entry.path(), &rel)?;
        }
    }
    site.lib
        .assets
        .par_iter()
        .try_for_each(|a| out.copy(&a.from, &a.to))?;
    Ok(())
}
