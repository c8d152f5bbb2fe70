//! The driver: [`build`] runs the stages in order, each its own module and timed
//! (`srekb build -v`): config → theme → load → shape → import → kinds → markdown
//! (`body`) → links (`anchors`) → taxonomies → kind-checks → scope → assets → render
//! (`pages`) → outputs → feeds → static → search-export → commit → search-index;
//! `srekb build` adds the build cache's (`persist`): cache-load, cache-check,
//! cache-stage, cache-output, link, cache-save; `serve` adds search-docs. A stage
//! module reads what earlier stages produced and imports no later one.

mod anchors;
mod assets;
mod body;
pub mod feeds;
pub(crate) mod import;
mod outputs;
mod pages;
pub mod persist;
mod scope;
mod setup;
mod static_files;
mod taxonomies;
pub mod timing;

use std::collections::{BTreeMap, HashMap};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::config::SiteConfig;
use crate::content::load::{self};
use crate::content::{Kind, Library, Target};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::output::{self, Output};
use crate::render::site::{Pages, SiteRef};
use crate::render::Renderer;
use crate::taxonomy::Taxonomy;
use crate::theme::Theme;
pub use timing::{StageTime, Stages};

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
    /// Use and update the persistent cache under `.srekb/cache/` (`srekb build`
    /// without `--no-cache`; only with [`OutputMode::Dir`]).
    pub persistent: bool,
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
            persistent: false,
        }
    }
}

/// What `serve` keeps between builds.
#[derive(Default)]
pub struct BuildCache {
    /// Each document's hash of everything its HTML depends on, and the HTML.
    markdown: std::sync::Mutex<body::Kept>,
    /// The last build's hash of where every document and file is (kept while loads
    /// leave every document in place).
    places: std::sync::Mutex<Option<blake3::Hash>>,
    /// Hash of every document's place, metadata and kind: equal between two builds,
    /// only the changed documents' own pages and the pages listing them change.
    shape: std::sync::Mutex<Option<blake3::Hash>>,
    /// Each page's kind analysis.
    kinds: crate::kinds::AnalysisCache,
    /// The taxonomies of the last build.
    taxonomies: taxonomies::TaxonomyCache,
    /// The theme's assets as last written.
    assets: assets::AssetCache,
    /// Each document's import rewrite.
    imports: import::ImportCache,
    /// The last load's walk and parsed files.
    load: std::sync::Mutex<Option<load::Kept>>,
    /// The theme and its compiled templates.
    #[allow(clippy::type_complexity)]
    theme: std::sync::Mutex<Option<(std::sync::Arc<Theme>, std::sync::Arc<Renderer>)>>,
}

impl std::fmt::Debug for BuildCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BuildCache")
    }
}

#[derive(Default)]
pub struct BuildReport {
    pub diagnostics: Vec<Diagnostic>,
    /// Each stage's wall and CPU time, in order.
    pub steps: Vec<StageTime>,
    pub pages_by_kind: BTreeMap<Kind, usize>,
    pub sections: usize,
    pub files: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    pub ok: bool,
    /// Only the pages depending on `BuildOptions::changed` were rendered: the files
    /// in `memory` replace those of the previous build, the others stay.
    pub scoped: bool,
    /// The searchable documents, when built into memory (for `serve`'s live index):
    /// all of them, or after a scoped rebuild those it changed.
    pub search_docs: Option<crate::search::index::Update>,
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

/// Everything loaded for one build.
pub struct Site {
    pub root: PathBuf,
    pub config: SiteConfig,
    pub renderer: Option<std::sync::Arc<Renderer>>,
    pub theme: std::sync::Arc<Theme>,
    pub lib: Library,
    pub taxonomies: Vec<Taxonomy>,
    /// The build's date in the site's time zone (staleness, overdue items).
    pub today: chrono::NaiveDate,
}

impl Site {
    /// The read-only view kinds' checks and outputs get.
    pub fn view(&self) -> SiteRef<'_> {
        SiteRef {
            config: &self.config,
            lib: &self.lib,
            taxonomies: &self.taxonomies,
            today: self.today,
        }
    }
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

/// One build: the stages in order, each timed (`srekb build -v`). A stage reads
/// what the ones before it produced; problems go to `diags` and the build goes on
/// to find the others; nothing is written unless every stage succeeded.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let started = Instant::now();
    let diags = Diagnostics::default();
    let mut steps = Stages::default();
    let root = &opts.root;

    let Some(config) = steps.run("config", || setup::config(opts, &diags)) else {
        return Ok(finish(diags, steps, started, None, None));
    };
    let (theme, renderer) = steps.run("theme", || setup::theme(opts, &config, &diags));
    // The persistent cache (`srekb build`): the previous build's manifest, and its
    // rendered markdown in a cache of this build's own.
    let persistent = match &opts.output {
        OutputMode::Dir(dir) if opts.persistent && opts.cache.is_none() => Some(dir),
        _ => None,
    };
    // Builds with the cache run one at a time per site: what one checks of the
    // output and records in the manifest must not be swapped out by another.
    let _lock = persistent.map(|_| persist::lock(root));
    let mut loaded = persistent.map(|_| {
        steps.run("cache-load", || {
            let l = persist::load(root);
            for w in &l.warnings {
                diags.push(Diagnostic::warning("cache", w.clone()).with_help(format!(
                    "the build does not use it and writes a new one; `rm -rf {}` removes the cache",
                    persist::DIR
                )));
            }
            l
        })
    });
    let (mut lib, in_place) = steps.run("load", || setup::load(opts, &config, &diags));
    let reuse = match (&opts.cache, loaded.as_mut()) {
        (Some(cache), _) => Some(body::Reuse::Shared { cache, in_place }),
        (None, Some(l)) => Some(body::Reuse::Owned(std::mem::take(&mut l.markdown))),
        _ => None,
    };
    let today = today(config.offset());
    let shape = steps.run("shape", || match opts.cache.as_ref().filter(|_| in_place) {
        Some(cache) => scope::kept_shape(cache, &lib),
        None => scope::site_shape(&lib),
    });
    let fresh = persistent.map(|dir| {
        steps.run("cache-check", || {
            let env = persist::env_key(opts, &config, &lib, today, dir);
            (env, persist::doc_hashes(&lib))
        })
    });
    steps.run("import", || {
        import::run(&mut lib, opts.cache.as_ref().map(|c| &c.imports), &diags)
    });
    steps.run("kinds", || {
        let cache = opts.cache.as_ref().map(|c| (&c.kinds, shape));
        let r = renderer.as_deref();
        crate::kinds::analyze_cached(&mut lib, &config, root, today, r, &diags, cache)
    });
    let mut site = Site {
        root: root.clone(),
        config,
        renderer,
        theme,
        lib,
        taxonomies: Vec::new(),
        today,
    };
    let fresh_markdown = steps.run("markdown", || body::run(&mut site, reuse, &diags));
    // The cache files holding documents rendered anew are written aside now, while
    // the HTML is in memory; they replace the old ones only when the build commits.
    let mut staged_markdown = match &fresh_markdown {
        Some(f) if persistent.is_some() && !f.dirty.is_empty() && !diags.has_errors() => {
            steps.run("cache-stage", || {
                persist::stage_markdown(root, &site.lib, &f.keys, &f.dirty)
                    .map_err(|e| diags.push(Diagnostic::warning("cache", format!("{e:#}"))))
                    .unwrap_or_default()
            })
        }
        _ => Vec::new(),
    };
    steps.run("links", || anchors::run(&site, &diags));
    site.taxonomies = steps.run("taxonomies", || {
        let cache = opts.cache.as_ref().map(|c| (&c.taxonomies, shape));
        taxonomies::run(&site, cache, &diags)
    });
    steps.run("kind-checks", || setup::kind_checks(&site, opts, &diags));
    let previous = loaded.as_ref().and_then(|l| l.manifest.as_ref());
    let mut scope = steps.run("scope", || match (previous, &fresh) {
        (Some(prev), Some((env, docs))) => {
            scope::scope_of_previous(&site.lib, shape, *env, docs, prev)
        }
        _ => scope::scope_of_change(&site, shape, opts),
    });

    let out = match (&opts.output, diags.has_errors()) {
        (OutputMode::Dir(dir), false) => {
            output::check_output_path(root, dir, &read_paths(&site.config, opts))?;
            let keep = &site.config.output.keep;
            let out = Output::dir(dir, keep)?;
            // A scoped build reuses the previous output's files, if it still holds
            // what the last build left; otherwise the build is a full one.
            let reuse = match (&scope, previous) {
                (Some(_), Some(prev)) => steps.run("cache-output", || {
                    persist::verified_output(prev, dir, &output::kept_names(keep))
                }),
                _ => None,
            };
            match reuse {
                Some(files) => out.with_previous(files),
                None if persistent.is_some() => {
                    scope = None;
                    out
                }
                None => out,
            }
        }
        (OutputMode::Memory, false) => Output::memory(),
        _ => Output::discard(),
    };
    let mut search = None;
    let mut staged = None;
    let mut search_saved = None;
    let mut search_kept: Vec<String> = Vec::new();
    let result = (|| -> Result<()> {
        if let Some(renderer) = &site.renderer {
            let assets = steps.run("assets", || {
                let cache = opts.cache.as_ref().map(|c| &c.assets);
                assets::run(&site, &out, scope.is_some(), renderer, cache)
            })?;
            let cx = pages::page_cx(&site, renderer, &assets, opts);
            let home = renderer.t("home").to_string();
            let writer = Pages {
                renderer,
                out: &out,
                diags: &diags,
                home: &home,
                cx: &cx,
            };
            steps.run("render", || pages::run(&site, &writer, scope.as_ref()))?;
            steps.run("outputs", || outputs::run(&site, &writer, scope.as_ref()))?;
        }
        steps.run("feeds", || feeds::write(&site, scope.as_ref(), &out))?;
        if scope.is_none() {
            steps.run("static", || static_files::run(&site, &out, &diags))?;
        }
        // One pass over the analysed text feeds the browser export and the tantivy index.
        let web = opts.web_index && !matches!(opts.output, OutputMode::Check);
        let dir = matches!(opts.output, OutputMode::Dir(_));
        if (web || dir) && !diags.has_errors() {
            // The pages' HTML is written: free it before the search steps (about 200 MB
            // on a 10,000-page site), which need only the text; `serve` keeps it.
            if opts.cache.is_none() {
                let targets: Vec<Target> = site.lib.targets().collect();
                for t in targets {
                    let r = &mut site.lib.doc_mut(t).rendered;
                    r.html = String::new();
                    r.summary_html = None;
                }
            }
            // The export's last state, when this build reuses the output it wrote.
            let export = persistent.map(|_| crate::search::ExportCache {
                saved: loaded
                    .as_mut()
                    .filter(|_| scope.is_some())
                    .and_then(|l| l.search.take()),
            });
            let built = steps.run("search", || {
                crate::search::build(
                    &site.lib,
                    web.then_some(&out),
                    dir.then_some(root),
                    opts.persistent,
                    export,
                )
            })?;
            search = built.stats;
            staged = built.staged;
            search_saved = built.saved;
            search_kept = built.kept;
        }
        Ok(())
    })();
    let result = result.and_then(|()| {
        if scope.is_some() && persistent.is_some() && !diags.has_errors() {
            // A file of the search export this build neither wrote nor kept is gone.
            let kept: std::collections::HashSet<&str> =
                search_kept.iter().map(String::as_str).collect();
            steps.run("link", || {
                out.link_unwritten(|rel| crate::search::web::is_export(rel) && !kept.contains(rel))
            })?;
        }
        Ok(())
    });
    if let Err(e) = result {
        persist::discard(staged_markdown);
        return Err(out.fail(e));
    }
    let files = out.files();
    let bytes = out.bytes();
    let memory = if diags.has_errors() {
        out.abort();
        persist::discard(staged_markdown);
        None
    } else {
        // A build without the cache swaps its output in while no build with the
        // cache is between checking the old output and recording the new one.
        let _lock = match (&opts.output, persistent) {
            (OutputMode::Dir(_), None) => Some(persist::lock(root)),
            _ => None,
        };
        let committed = steps.run("commit", || out.commit());
        if committed.is_err() {
            persist::discard(std::mem::take(&mut staged_markdown));
        }
        let memory = committed?;
        if let (Some(dir), Some((env, docs))) = (persistent, fresh) {
            steps.run("cache-save", || {
                let keep = output::kept_names(&site.config.output.keep);
                // Without a key (something unreadable) no manifest is kept, so the
                // next build is a full one.
                let manifest = env.map(|env| -> Result<persist::Manifest> {
                    Ok(persist::Manifest {
                        env,
                        shape: *shape.as_bytes(),
                        docs,
                        output: std::path::absolute(dir)?,
                        files: persist::output_files(dir, &keep)?,
                    })
                });
                let saved = manifest.transpose().and_then(|m| {
                    let mut staged = std::mem::take(&mut staged_markdown);
                    if m.is_some() {
                        match persist::stage_search(root, search_saved.as_ref()) {
                            Ok(s) => staged.extend(s),
                            Err(e) => {
                                persist::discard(staged);
                                return Err(e);
                            }
                        }
                    }
                    persist::commit(root, staged, m.as_ref())
                });
                if let Err(e) = saved {
                    diags.push(Diagnostic::warning("cache", format!("{e:#}")));
                }
            });
        }
        persist::discard(staged_markdown);
        memory
    };
    if let Some(staged) = staged.filter(|_| !diags.has_errors()) {
        steps.run("search-index", || staged.swap_in())?;
    }
    let mut report = finish(diags, steps, started, Some(&site), memory);
    report.files = files;
    report.bytes = bytes;
    report.search = search;
    report.scoped = scope.is_some();
    let mut steps = Stages {
        list: std::mem::take(&mut report.steps),
    };
    if report.ok && matches!(opts.output, OutputMode::Memory) {
        report.search_docs =
            Some(steps.run("search-docs", || search_docs(&site.lib, scope.as_ref())));
    }
    if let Some(cache) = &opts.cache {
        if let Some(f) = fresh_markdown {
            steps.run("keep", || body::keep(&mut site, cache, f.keys));
        }
        // Freeing ten thousand documents takes a while; the writer is not kept waiting.
        std::thread::spawn(move || drop(site));
    }
    report.steps = steps.list;
    Ok(report)
}

/// The live index's documents: every one, or those of the pages and sections a
/// scoped rebuild rendered because they changed.
fn search_docs(lib: &Library, scope: Option<&scope::Scope>) -> crate::search::index::Update {
    use crate::search::index::Update;
    let owned = |t: Target| crate::search::document(lib, t).map(|d| d.to_owned_doc());
    match scope {
        None => Update::All(
            crate::search::documents(lib)
                .iter()
                .map(crate::search::SearchDoc::to_owned_doc)
                .collect(),
        ),
        Some(s) => Update::Changed(s.changed.iter().copied().filter_map(owned).collect()),
    }
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
    steps: Stages,
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
