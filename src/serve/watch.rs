//! Watching the sources with notify: `content/`, `static/`, `themes/`, the directories
//! of configured alert-rule files, and `site-config.toml`. Events are debounced into
//! one batch of changed paths; editors' temporary files are ignored, and a save done
//! as "write a temp file, rename it over the original" shows up as the original.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher as _};

/// Quiet time that ends a batch, and the longest a batch may wait.
const QUIET: Duration = Duration::from_millis(10);
const MAX_WAIT: Duration = Duration::from_millis(250);

pub struct Watcher {
    root: PathBuf,
    rx: Receiver<notify::Result<notify::Event>>,
    _watcher: notify::RecommendedWatcher,
}

impl Watcher {
    pub fn new(root: &Path) -> Result<Watcher> {
        let (tx, rx) = channel();
        let mut watcher = notify::recommended_watcher(tx).context("starting notify")?;
        for dir in ["content", "static", "themes"] {
            let p = root.join(dir);
            if p.is_dir() {
                watcher
                    .watch(&p, RecursiveMode::Recursive)
                    .with_context(|| format!("watching {}", p.display()))?;
            }
        }
        // The root itself, not recursively: site-config.toml (and new top-level dirs).
        watcher
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
                    let _ = watcher.watch(&d, RecursiveMode::NonRecursive);
                }
            }
        }
        Ok(Watcher {
            root: root.to_path_buf(),
            rx,
            _watcher: watcher,
        })
    }

    /// Blocks until something relevant changed; returns the changed paths relative
    /// to the root (sorted, without duplicates).
    pub fn next_batch(&self) -> Vec<PathBuf> {
        let mut changed = BTreeSet::new();
        // Wait for the first relevant event.
        loop {
            match self.rx.recv() {
                Ok(Ok(e)) => {
                    self.collect(&e, &mut changed);
                    if !changed.is_empty() {
                        break;
                    }
                }
                Ok(Err(e)) => eprintln!("watch: {e}"),
                Err(_) => return Vec::new(),
            }
        }
        // Then until things are quiet.
        let start = Instant::now();
        while start.elapsed() < MAX_WAIT {
            match self.rx.recv_timeout(QUIET) {
                Ok(Ok(e)) => self.collect(&e, &mut changed),
                Ok(Err(e)) => eprintln!("watch: {e}"),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        changed.into_iter().collect()
    }

    fn collect(&self, e: &notify::Event, changed: &mut BTreeSet<PathBuf>) {
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
