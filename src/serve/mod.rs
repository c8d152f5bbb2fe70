//! `srekb serve`: the writer's loop. Builds the site into memory, serves it on
//! loopback, watches the sources, rebuilds what a change touches and tells open pages
//! to reload (or to swap only the stylesheet) over server-sent events. A failed build
//! keeps the last good site served and shows its diagnostics over the page. HTTP runs
//! on a tokio runtime of its own; builds run on the main thread, off its workers.

pub mod http;
pub mod live;
pub mod watch;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::diagnostics::{self, Format};
use crate::search::index::Update;
use crate::site::{self, BuildCache, BuildOptions, OutputMode};

pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    pub open: bool,
    pub drafts: bool,
}

/// Site path → file; shared so a scoped rebuild copies pointers, not pages, and a
/// response sends the stored bytes without copying them.
pub type SiteFiles = HashMap<String, Arc<http::SiteFile>>;

/// What the HTTP threads read and the build loop replaces.
pub struct State {
    /// The last good build's files by site path (`docs/x/index.html`).
    pub files: RwLock<Arc<SiteFiles>>,
    /// The diagnostics of the last build when it failed.
    pub error: RwLock<Option<String>>,
    /// The live search index of the last good build.
    pub index: RwLock<Option<Arc<crate::search::index::Searchable>>>,
    pub hub: live::Hub,
}

impl State {
    fn new() -> State {
        State {
            files: RwLock::new(Arc::new(HashMap::new())),
            error: RwLock::new(None),
            index: RwLock::new(None),
            hub: live::Hub::default(),
        }
    }

    pub fn files(&self) -> Arc<SiteFiles> {
        self.files.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

pub fn run(opts: ServeOptions) -> Result<i32> {
    let root = opts
        .root
        .canonicalize()
        .with_context(|| format!("reading {}", opts.root.display()))?;
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    listener
        .set_nonblocking(true)
        .context("setting up the listener")?;
    if !opts.bind.is_loopback() {
        eprintln!("warning: serving on {addr}, reachable from other machines");
    }
    let state = Arc::new(State::new());
    let cache = Arc::new(BuildCache::default());
    let builder = Builder {
        root: root.clone(),
        drafts: opts.drafts,
        cache,
        state: state.clone(),
        indexer: indexer(state.clone()),
        behind: std::cell::RefCell::new(Behind::Nothing),
    };
    builder.rebuild(None);

    // One worker serves thousands of requests a second from memory; the other cores
    // stay with the build, whose latency the writer waits on.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("http")
        .enable_all()
        .build()
        .context("starting the HTTP runtime")?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener).context("setting up the listener")?
    };
    runtime.spawn(http::serve(listener, state.clone()));
    // One line, flushed, that scripts and tests read the address from (with --port 0
    // it is the only place the port is told).
    let url = format!("http://{addr}/");
    println!("Serving {} at {url} (Ctrl-C to stop)", root.display());
    let _ = std::io::stdout().flush();
    if opts.open {
        if let Err(e) = open::that_detached(&url) {
            eprintln!("warning: could not open a browser at {url}: {e}");
        }
    }

    let watcher = watch::Watcher::new(&root).context("watching the sources")?;
    while let Some(batch) = watcher.next_batch() {
        if batch.rescan {
            // Events were lost: only a full build is sure to be right.
            builder.rebuild(None);
        } else {
            builder.rebuild(Some(batch.paths));
        }
    }
    anyhow::bail!("the file watcher stopped")
}

/// The thread keeping the live search index in step with the last good build; when
/// builds come faster than it indexes, the updates waiting are applied together.
fn indexer(state: Arc<State>) -> std::sync::mpsc::Sender<Update> {
    let (tx, rx) = std::sync::mpsc::channel::<Update>();
    std::thread::spawn(move || {
        let mut live: Option<crate::search::index::LiveIndex> = None;
        while let Ok(first) = rx.recv() {
            let mut waiting = vec![first];
            waiting.extend(rx.try_iter());
            let mut result = Ok(());
            for update in Update::merge(waiting) {
                result = match (live.as_mut(), update) {
                    (Some(l), u) => l.apply(u).map(|_| ()),
                    (None, Update::All(docs)) => {
                        crate::search::index::LiveIndex::new(docs).map(|l| live = Some(l))
                    }
                    // Nothing to change yet: the first build's documents come first.
                    (None, Update::Changed(_)) => Ok(()),
                };
                if result.is_err() {
                    break;
                }
            }
            match result {
                Ok(()) => {
                    if let Some(l) = &live {
                        *state.index.write().unwrap_or_else(|e| e.into_inner()) =
                            Some(Arc::new(l.searchable()));
                    }
                }
                Err(e) => eprintln!("search index: {e:#}"),
            }
        }
    });
    tx
}

struct Builder {
    root: PathBuf,
    drafts: bool,
    cache: Arc<BuildCache>,
    state: Arc<State>,
    indexer: std::sync::mpsc::Sender<Update>,
    /// Changes no good build has published yet (the builds that had them failed).
    behind: std::cell::RefCell<Behind>,
}

/// What the files served lack of the sources.
#[derive(Debug, Clone, PartialEq)]
enum Behind {
    Nothing,
    /// Changes to these paths.
    Paths(Vec<PathBuf>),
    /// Anything: a full build failed.
    All,
}

impl Behind {
    /// The changes the next build must cover: `changed` with those not published.
    fn with(&self, changed: Option<Vec<PathBuf>>) -> Option<Vec<PathBuf>> {
        match (self, changed) {
            (Behind::All, _) | (_, None) => None,
            (Behind::Nothing, c) => c,
            (Behind::Paths(p), Some(c)) => {
                let mut all: Vec<PathBuf> = p.iter().cloned().chain(c).collect();
                all.sort();
                all.dedup();
                Some(all)
            }
        }
    }
}

impl Builder {
    /// Builds (all, or what `changed` and the changes of failed builds touch),
    /// swaps the files in and notifies pages.
    fn rebuild(&self, changed: Option<Vec<PathBuf>>) {
        let changed = self.behind.borrow().with(changed);
        let failed = match &changed {
            Some(p) => Behind::Paths(p.clone()),
            None => Behind::All,
        };
        if self.build(changed) {
            *self.behind.borrow_mut() = Behind::Nothing;
        } else {
            *self.behind.borrow_mut() = failed;
        }
    }

    /// One build; whether it succeeded.
    fn build(&self, changed: Option<Vec<PathBuf>>) -> bool {
        let started = Instant::now();
        let css_only = changed
            .as_ref()
            .is_some_and(|c| c.iter().all(|p| p.extension().is_some_and(|e| e == "css")));
        let opts = BuildOptions {
            drafts: self.drafts,
            live_reload: Some(live::SCRIPT.to_string()),
            web_index: false,
            cache: Some(self.cache.clone()),
            changed: changed.clone(),
            ..BuildOptions::new(self.root.clone(), OutputMode::Memory)
        };
        let report = match site::build(&opts) {
            Ok(r) => r,
            Err(e) => {
                self.fail(format!("error: {e:#}\n"));
                return false;
            }
        };
        if !report.ok {
            self.fail(diagnostics::render(
                &report.diagnostics,
                Format::Human,
                false,
            ));
            return false;
        }
        if !report.diagnostics.is_empty() {
            eprint!(
                "{}",
                diagnostics::render(
                    &report.diagnostics,
                    Format::Human,
                    diagnostics::stderr_color()
                )
            );
        }
        let fresh = report
            .memory
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, Arc::new(http::SiteFile::new(v))));
        let css = {
            let mut files = self.state.files.write().unwrap_or_else(|e| e.into_inner());
            if report.scoped {
                // In place unless a response still holds the map (then it is copied).
                Arc::make_mut(&mut files).extend(fresh);
            } else {
                *files = Arc::new(fresh.collect());
            }
            css_only.then(|| {
                files
                    .keys()
                    .find(|k| k.starts_with("assets/style.") && k.ends_with(".css"))
                    .cloned()
            })
        };
        let had_error = self
            .state
            .error
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .is_some();
        let event = if css_only && !had_error {
            live::Event::Css(format!("/{}", css.flatten().unwrap_or_default()))
        } else {
            live::Event::Reload
        };
        self.state.hub.send(&event);
        let what = match &changed {
            None => "built".to_string(),
            Some(c) => format!(
                "{} changed, {}",
                c.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                if report.scoped {
                    "rebuilt its pages"
                } else {
                    "rebuilt the site"
                }
            ),
        };
        println!(
            "{what} in {:.0} ms ({} pages)",
            started.elapsed().as_secs_f64() * 1000.0,
            report.pages_by_kind.values().sum::<usize>()
        );
        if std::env::var_os("SREKB_TIMINGS").is_some() {
            for s in &report.steps {
                println!("{}", s.line());
            }
        }
        // The live search index is updated off the reload path.
        if let Some(docs) = report.search_docs {
            let _ = self.indexer.send(docs);
        }
        true
    }

    fn fail(&self, text: String) {
        eprint!("{text}");
        eprintln!("build failed; still serving the last good build");
        *self.state.error.write().unwrap_or_else(|e| e.into_inner()) = Some(text.clone());
        self.state.hub.send(&live::Event::Error(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_after_failed_ones_covers_their_changes_too() {
        let p = |s: &[&str]| Some(s.iter().map(PathBuf::from).collect::<Vec<_>>());
        assert_eq!(Behind::Nothing.with(p(&["b.md"])), p(&["b.md"]));
        assert_eq!(Behind::Nothing.with(None), None);
        let behind = Behind::Paths(vec![PathBuf::from("c.md"), PathBuf::from("a.md")]);
        assert_eq!(
            behind.with(p(&["b.md", "a.md"])),
            p(&["a.md", "b.md", "c.md"])
        );
        assert_eq!(behind.with(None), None);
        assert_eq!(Behind::All.with(p(&["b.md"])), None);
    }
}
