//! Where a build writes: a temporary directory beside the output that replaces it only
//! when the whole build succeeded, memory (for `serve`), or nowhere (for `check`).

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

pub enum Sink {
    /// Files go to `staging`, which replaces `target` on commit.
    Dir {
        staging: PathBuf,
        target: PathBuf,
    },
    Memory(Mutex<HashMap<String, Vec<u8>>>),
    Discard,
}

pub struct Output {
    sink: Sink,
    files: AtomicUsize,
    bytes: AtomicU64,
}

const STAGING_MARK: &str = ".srekb-staging-";
const OLD_MARK: &str = ".srekb-old-";

/// Rejects output paths that would destroy the sources: the site root itself, any
/// of its ancestors, or anything inside content/, themes/ or static/.
pub fn check_output_path(root: &Path, output: &Path) -> Result<()> {
    let root = root
        .canonicalize()
        .with_context(|| format!("reading {}", root.display()))?;
    let out = absolute(output)?;
    if root.starts_with(&out) {
        bail!(
            "refusing to build into {}: it contains the site itself",
            output.display()
        );
    }
    for protected in ["content", "themes", "static", ".git"] {
        if out.starts_with(root.join(protected)) {
            bail!(
                "refusing to build into {}: it is inside {protected}/",
                output.display()
            );
        }
    }
    Ok(())
}

/// Makes a path absolute and lexically normal without requiring it to exist.
fn absolute(p: &Path) -> Result<PathBuf> {
    let base = if p.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().context("reading the current directory")?
    };
    let mut out = PathBuf::new();
    for c in base.join(p).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    // Resolve symlinks in the part that exists.
    let mut existing = out.clone();
    let mut tail = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(n) => tail.push(n.to_os_string()),
            None => break,
        }
        existing.pop();
    }
    let mut resolved = existing.canonicalize().unwrap_or(existing);
    for t in tail.into_iter().rev() {
        resolved.push(t);
    }
    Ok(resolved)
}

impl Output {
    /// A staging directory beside `target` (same file system, so the swap is a rename).
    pub fn dir(target: &Path) -> Result<Output> {
        if target.exists() && !target.is_dir() {
            bail!("output {} exists and is not a directory", target.display());
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let name = target
            .file_name()
            .context("output path has no final component")?
            .to_string_lossy()
            .into_owned();
        clean_leftovers(&parent, &name);
        let staging = parent.join(format!(".{name}{STAGING_MARK}{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .with_context(|| format!("removing {}", staging.display()))?;
        }
        fs::create_dir(&staging).with_context(|| format!("creating {}", staging.display()))?;
        Ok(Output::new(Sink::Dir {
            staging,
            target: target.to_path_buf(),
        }))
    }

    pub fn memory() -> Output {
        Output::new(Sink::Memory(Mutex::new(HashMap::new())))
    }

    pub fn discard() -> Output {
        Output::new(Sink::Discard)
    }

    fn new(sink: Sink) -> Output {
        Output {
            sink,
            files: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub fn files(&self) -> usize {
        self.files.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Writes `bytes` at `rel` (a `/`-separated path inside the site).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        debug_assert!(!rel.starts_with('/') && !rel.contains(".."), "{rel}");
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        match &self.sink {
            Sink::Dir { staging, .. } => {
                let path = staging.join(rel);
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
            }
            Sink::Memory(m) => {
                m.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(rel.to_string(), bytes.to_vec());
                Ok(())
            }
            Sink::Discard => Ok(()),
        }
    }

    /// Copies a file into the site at `rel`.
    pub fn copy(&self, from: &Path, rel: &str) -> Result<()> {
        match &self.sink {
            Sink::Dir { staging, .. } => {
                let to = staging.join(rel);
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                let n = fs::copy(from, &to)
                    .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
                self.files.fetch_add(1, Ordering::Relaxed);
                self.bytes.fetch_add(n, Ordering::Relaxed);
                Ok(())
            }
            _ => {
                let bytes =
                    fs::read(from).with_context(|| format!("reading {}", from.display()))?;
                self.write(rel, &bytes)
            }
        }
    }

    /// Replaces the target with what was written. Only call after a successful build.
    pub fn commit(self) -> Result<Option<HashMap<String, Vec<u8>>>> {
        match self.sink {
            Sink::Dir { staging, target } => {
                swap_in(&staging, &target)?;
                Ok(None)
            }
            Sink::Memory(m) => Ok(Some(m.into_inner().unwrap_or_else(|e| e.into_inner()))),
            Sink::Discard => Ok(None),
        }
    }

    /// Drops what was written; the previous output stays as it was.
    pub fn abort(self) {
        if let Sink::Dir { staging, .. } = self.sink {
            let _ = fs::remove_dir_all(staging);
        }
    }
}

/// Removes staging and old directories left by builds that were killed.
fn clean_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        for mark in [STAGING_MARK, OLD_MARK] {
            let prefix = format!(".{name}{mark}");
            if let Some(pid) = file.strip_prefix(&prefix) {
                let alive = pid
                    .parse::<u32>()
                    .map(|p| p != std::process::id() && Path::new(&format!("/proc/{p}")).exists())
                    .unwrap_or(false);
                if !alive {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(ca), Ok(cb)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: both arguments are valid NUL-terminated paths for the duration of the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    r == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

/// Puts `staging` in place of `target`. On Linux the two directories are exchanged in
/// one atomic step; elsewhere the old output is moved aside first.
pub(crate) fn swap_in(staging: &Path, target: &Path) -> Result<()> {
    if !target.exists() {
        match fs::rename(staging, target) {
            Ok(()) => return Ok(()),
            // Another build put its output there first: exchange with it below.
            Err(_) if target.exists() => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("moving {} to {}", staging.display(), target.display())
                })
            }
        }
    }
    if exchange(staging, target) {
        // `staging` now holds the previous output.
        fs::remove_dir_all(staging)
            .with_context(|| format!("removing the previous output at {}", staging.display()))?;
        return Ok(());
    }
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let old = target.with_file_name(format!(".{name}{OLD_MARK}{}", std::process::id()));
    fs::rename(target, &old).with_context(|| format!("moving {} aside", target.display()))?;
    if let Err(e) = fs::rename(staging, target) {
        let _ = fs::rename(&old, target);
        return Err(e)
            .with_context(|| format!("moving {} to {}", staging.display(), target.display()));
    }
    fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_abort_keeps() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("public");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("old.html"), "old").unwrap();

        let out = Output::dir(&target).unwrap();
        out.write("a/index.html", b"new").unwrap();
        out.abort();
        assert!(target.join("old.html").exists());
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "staging removed"
        );

        let out = Output::dir(&target).unwrap();
        out.write("a/index.html", b"new").unwrap();
        assert_eq!(out.files(), 1);
        out.commit().unwrap();
        assert!(!target.join("old.html").exists());
        assert_eq!(
            fs::read_to_string(target.join("a/index.html")).unwrap(),
            "new"
        );
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "no leftovers");
    }

    #[test]
    fn leftovers_of_killed_builds_are_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("public");
        let stale = tmp.path().join(".public.srekb-staging-999999999");
        fs::create_dir(&stale).unwrap();
        let out = Output::dir(&target).unwrap();
        assert!(!stale.exists());
        out.abort();
    }

    #[test]
    fn dangerous_outputs_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("kb");
        fs::create_dir_all(root.join("content")).unwrap();
        assert!(check_output_path(&root, &root).is_err());
        assert!(check_output_path(&root, tmp.path()).is_err());
        assert!(check_output_path(&root, &root.join("content/out")).is_err());
        assert!(check_output_path(&root, &root.join("public")).is_ok());
        assert!(check_output_path(&root, &root.join("x/../content")).is_err());
    }
}
