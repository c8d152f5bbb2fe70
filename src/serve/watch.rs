//! Watching the sources with notify-debouncer-full: `content/`, `static/`, `themes/`,
//! the directories of configured alert-rule files, and `site-config.toml`. Events are
//! debounced per path and handed over as one batch of changed paths; editors'
//! temporary files are ignored, and a save done as "write a temp file, rename it over
//! the original" shows up as the original (the debouncer pairs the rename's halves).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::RecursiveMode;
use notify_debouncer_full::{
    new_debouncer, DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache,
};

/// Age at which the debouncer hands an event over (it looks every QUIET / 4). Editors
/// finish a save in a few milliseconds; longer only delays the reload.
const QUIET: Duration = Duration::from_millis(4);
/// The debouncer releases each event once it is QUIET old, so one save (create,
/// write, close) can straddle two ticks; batches that follow within this window
/// join the first, so one save is one rebuild and one reload. QUIET + SETTLE is
/// the 10 ms of quiet the hand-written loop waited, so reloads are not slower.
const SETTLE: Duration = Duration::from_millis(6);
/// A batch never waits longer than this for the writes to stop.
const MAX_WAIT: Duration = Duration::from_millis(250);

/// What changed since the last batch.
pub struct Batch {
    /// Changed inputs relative to the root (sorted, without duplicates).
    pub paths: Vec<PathBuf>,
    /// The kernel dropped events (queue overflow): anything may have changed.
    pub rescan: bool,
}

pub struct Watcher {
    root: PathBuf,
    rx: Receiver<DebounceEventResult>,
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl Watcher {
    pub fn new(root: &Path) -> Result<Watcher> {
        let (tx, rx) = channel();
        let mut debouncer = new_debouncer(QUIET, None, tx).context("starting notify")?;
        for dir in ["content", "static", "themes"] {
            let p = root.join(dir);
            if p.is_dir() {
                debouncer
                    .watch(&p, RecursiveMode::Recursive)
                    .with_context(|| format!("watching {}", p.display()))?;
            }
        }
        // The root itself, not recursively: site-config.toml (and new top-level dirs).
        debouncer
            .watch(root, RecursiveMode::NonRecursive)
            .with_context(|| format!("watching {}", root.display()))?;
        // Alert-rule files named by the config live elsewhere (e.g. alerts/).
        if let Ok(text) = std::fs::read_to_string(root.join("site-config.toml")) {
            if let Ok(cfg) = crate::config::SiteConfig::parse(&text, Path::new("site-config.toml"))
            {
                let dirs: BTreeSet<PathBuf> = cfg
                    .runbook
                    .alert_rules
                    .iter()
                    .filter_map(|f| root.join(f).parent().map(Path::to_path_buf))
                    .filter(|d| d.is_dir() && d != root)
                    .collect();
                for d in dirs {
                    let _ = debouncer.watch(&d, RecursiveMode::NonRecursive);
                }
            }
        }
        Ok(Watcher {
            root: root.to_path_buf(),
            rx,
            _debouncer: debouncer,
        })
    }

    /// Blocks until something relevant changed; None when the watcher has stopped.
    pub fn next_batch(&self) -> Option<Batch> {
        let mut batch = Batch {
            paths: Vec::new(),
            rescan: false,
        };
        let mut changed = BTreeSet::new();
        loop {
            let result = self.rx.recv().ok()?;
            self.take(result, &mut changed, &mut batch.rescan);
            if !changed.is_empty() || batch.rescan {
                break;
            }
        }
        let started = Instant::now();
        while started.elapsed() < MAX_WAIT {
            match self.rx.recv_timeout(SETTLE) {
                Ok(more) => self.take(more, &mut changed, &mut batch.rescan),
                Err(_) => break,
            }
        }
        batch.paths = changed.into_iter().collect();
        Some(batch)
    }

    fn take(
        &self,
        result: DebounceEventResult,
        changed: &mut BTreeSet<PathBuf>,
        rescan: &mut bool,
    ) {
        match result {
            Ok(events) => {
                for e in &events {
                    *rescan |= e.need_rescan();
                    self.collect(e, changed);
                }
            }
            Err(errors) => {
                for e in errors {
                    eprintln!("watch: {e}");
                }
            }
        }
    }

    fn collect(&self, e: &DebouncedEvent, changed: &mut BTreeSet<PathBuf>) {
        if matches!(e.kind, notify::EventKind::Access(_)) {
            return;
        }
        for p in &e.paths {
            let Ok(rel) = p.strip_prefix(&self.root) else {
                continue;
            };
            if relevant(rel) {
                changed.insert(rel.to_path_buf());
            }
        }
    }
}

/// Whether a change to `rel` (relative to the root) can change the site.
pub fn relevant(rel: &Path) -> bool {
    let Some(name) = rel.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let first = rel
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    if matches!(
        first,
        "public" | ".srekb" | ".git" | "target" | "node_modules"
    ) {
        return false;
    }
    if rel.components().count() == 1 && name != "site-config.toml" {
        // Other top-level files are not inputs (alert-rule dirs are watched separately).
        return rel.extension().is_some_and(|e| e == "yml" || e == "yaml");
    }
    let temp = name.starts_with(".#")
        || name.starts_with('.') && name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with('~')
        || name.ends_with(".tmp")
        || name == "4913";
    !temp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_temp_files_and_outputs_are_ignored() {
        for yes in [
            "content/docs/a.md",
            "site-config.toml",
            "themes/default/static/style.css",
            "alerts/rules.yml",
        ] {
            assert!(relevant(Path::new(yes)), "{yes}");
        }
        for no in [
            "content/docs/.a.md.swp",
            "content/docs/a.md~",
            "content/docs/.#a.md",
            "content/docs/4913",
            "public/index.html",
            ".srekb/index/meta.json",
            "README.md",
        ] {
            assert!(!relevant(Path::new(no)), "{no}");
        }
    }
}
