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
        /// When `staging` is the previous build's output reused (see [`SPARE_MARK`]):
        /// every path written, so that files no longer produced are pruned on commit.
        reused: Option<Mutex<std::collections::HashSet<String>>>,
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
/// The output before last, kept beside the output and reused as the next build's
/// staging directory: files are overwritten in place and stale ones pruned, instead
/// of creating every file anew and deleting the whole old output after the swap
/// (on a 10,000-page site on ext4 that deletion alone took 8 s).
const SPARE_MARK: &str = ".srekb-spare";

/// Whether `dir` is a real directory with no symbolic link anywhere inside (so
/// writing into it cannot be redirected outside).
fn plain_tree(dir: &Path) -> bool {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {}
        _ => return false,
    }
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .all(|e| e.is_ok_and(|e| !e.file_type().is_symlink()))
}

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
        let spare = parent.join(format!(".{name}{SPARE_MARK}"));
        let reused = if plain_tree(&spare) && fs::rename(&spare, &staging).is_ok() {
            Some(Mutex::new(std::collections::HashSet::new()))
        } else {
            if fs::symlink_metadata(&spare).is_ok() {
                let _ = fs::remove_dir_all(&spare).or_else(|_| fs::remove_file(&spare));
            }
            fs::create_dir(&staging).with_context(|| format!("creating {}", staging.display()))?;
            None
        };
        Ok(Output::new(Sink::Dir {
            staging,
            target: target.to_path_buf(),
            reused,
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
        debug_assert!(
            !rel.starts_with('/') && !rel.split('/').any(|c| c == ".."),
            "{rel}"
        );
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        match &self.sink {
            Sink::Dir {
                staging, reused, ..
            } => {
                let path = staging.join(rel);
                prepare(&path, reused.is_some())?;
                if let Some(w) = reused {
                    w.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(rel.to_string());
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
            Sink::Dir {
                staging, reused, ..
            } => {
                let to = staging.join(rel);
                prepare(&to, reused.is_some())?;
                if let Some(w) = reused {
                    w.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(rel.to_string());
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
            Sink::Dir {
                staging,
                target,
                reused,
            } => {
                if let Some(written) = reused {
                    prune(
                        &staging,
                        &written.into_inner().unwrap_or_else(|e| e.into_inner()),
                    )?;
                }
                let parent = target.parent().unwrap_or(Path::new("."));
                let name = target.file_name().unwrap_or_default().to_string_lossy();
                let spare = parent.join(format!(".{name}{SPARE_MARK}"));
                swap_keeping(&staging, &target, &spare)?;
                Ok(None)
            }
            Sink::Memory(m) => Ok(Some(m.into_inner().unwrap_or_else(|e| e.into_inner()))),
            Sink::Discard => Ok(None),
        }
    }

    /// Drops what was written; the previous output stays as it was.
    pub fn abort(self) {
        if let Sink::Dir {
            staging, target, ..
        } = self.sink
        {
            // Keep the directory as the spare for next time (it is pruned then).
            let parent = target.parent().unwrap_or(Path::new("."));
            let name = target.file_name().unwrap_or_default().to_string_lossy();
            let spare = parent.join(format!(".{name}{SPARE_MARK}"));
            if spare.exists() || fs::rename(&staging, &spare).is_err() {
                let _ = fs::remove_dir_all(staging);
            }
        }
    }
}

/// Makes room for a file at `path`: its directory exists, and (in a reused staging
/// directory) nothing of another type sits where the file or a directory goes.
fn prepare(path: &Path, reused: bool) -> Result<()> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    if fs::create_dir_all(parent).is_err() && reused {
        // A file where a directory must go: remove it (and any such ancestor).
        let mut p = parent.to_path_buf();
        loop {
            if p.is_file() {
                fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
                break;
            }
            if !p.pop() {
                break;
            }
        }
    }
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    if reused && path.is_dir() {
        fs::remove_dir_all(path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

/// Removes from a reused staging directory every file this build did not write, and
/// the directories left empty.
fn prune(staging: &Path, written: &std::collections::HashSet<String>) -> Result<()> {
    for e in walkdir::WalkDir::new(staging)
        .contents_first(true)
        .min_depth(1)
    {
        let e = e.with_context(|| format!("reading {}", staging.display()))?;
        let path = e.path();
        if e.file_type().is_dir() {
            // Fails (and stays) unless empty.
            let _ = fs::remove_dir(path);
            continue;
        }
        let rel = path
            .strip_prefix(staging)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        if !written.contains(&rel) {
            fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Puts `staging` in place of `target` and keeps the previous output as `spare`.
fn swap_keeping(staging: &Path, target: &Path, spare: &Path) -> Result<()> {
    if target.exists() && exchange(staging, target) {
        // `staging` now holds the previous output.
        if spare.exists() || fs::rename(staging, spare).is_err() {
            fs::remove_dir_all(staging).with_context(|| {
                format!("removing the previous output at {}", staging.display())
            })?;
        }
        return Ok(());
    }
    swap_in(staging, target)
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

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.unwrap();
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_and_abort_keeps() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("public");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("old.html"), "old").unwrap();

        let out = Output::dir(&target).unwrap();
        out.write("a/index.html", b"new").unwrap();
        out.abort();
        assert_eq!(
            names(&target),
            ["old.html"],
            "a failed build changes nothing"
        );
        assert!(
            !names(tmp.path()).iter().any(|n| n.contains("staging")),
            "staging removed"
        );

        let out = Output::dir(&target).unwrap();
        out.write("a/index.html", b"new").unwrap();
        assert_eq!(out.files(), 1);
        out.commit().unwrap();
        assert_eq!(names(&target), ["a", "a/index.html"]);
        assert_eq!(
            fs::read_to_string(target.join("a/index.html")).unwrap(),
            "new"
        );
        // The previous output is kept as the spare, and nothing else.
        assert_eq!(
            names(tmp.path()),
            [
                ".public.srekb-spare",
                ".public.srekb-spare/old.html",
                "public",
                "public/a",
                "public/a/index.html"
            ]
        );
    }

    #[test]
    fn the_spare_is_reused_and_pruned_of_stale_files() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("public");
        for files in [
            &["a/index.html", "b/index.html", "x"][..],
            &["a/index.html", "c/index.html", "x/index.html"][..],
            &["b", "a/index.html"][..],
        ] {
            let out = Output::dir(&target).unwrap();
            for f in files {
                out.write(f, f.as_bytes()).unwrap();
            }
            out.commit().unwrap();
            let mut want: Vec<String> = files.iter().map(|f| f.to_string()).collect();
            for f in files {
                if let Some((d, _)) = f.rsplit_once('/') {
                    want.push(d.to_string());
                }
            }
            want.sort();
            want.dedup();
            assert_eq!(names(&target), want, "{files:?}");
            for f in files.iter() {
                assert_eq!(fs::read_to_string(target.join(f)).unwrap(), *f);
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_spare_with_symlinks_is_not_written_through() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("public");
        let outside = tmp.path().join("outside.txt");
        fs::write(&outside, "keep").unwrap();
        let spare = tmp.path().join(".public.srekb-spare");
        fs::create_dir(&spare).unwrap();
        std::os::unix::fs::symlink(&outside, spare.join("index.html")).unwrap();
        let out = Output::dir(&target).unwrap();
        out.write("index.html", b"site").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep");
        assert_eq!(
            fs::read_to_string(target.join("index.html")).unwrap(),
            "site"
        );
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
