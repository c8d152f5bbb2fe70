//! The persistent build cache under `<root>/.srekb/cache/`: every document's rendered
//! markdown, the browser search export's terms and postings, and the manifest of the
//! last committed build (what it was built from and the files it left in the
//! output), so that `srekb build` after an edit renders and analyses only what
//! depends on it. A file that is missing, from another srekb binary or damaged
//! is ignored (damage with a warning) and rewritten after the next successful build.

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{bail, Context as _, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use super::BuildOptions;
use crate::config::SiteConfig;
use crate::content::cache_key::CacheKey;
use crate::content::Library;
use crate::markdown;

/// The cache directory, relative to the site root.
pub const DIR: &str = ".srekb/cache";
const MANIFEST: &str = "manifest.bin";
/// The browser search export's state ([`crate::search::web::Saved`]).
const SEARCH: &str = "search-export.bin";
/// The rendered markdown is split by source path into this many files, so that a
/// build after a few edits rewrites only the few that hold them.
const SHARDS: usize = 32;
/// File format tag (bumped when the framing or the payload types change).
const MAGIC: &[u8; 8] = b"srekbC01";
const HEADER: usize = MAGIC.len() + 32 + 32 + 8;

/// Rendered markdown by source path: (hash of everything its HTML depends on, HTML).
pub(crate) type MarkdownMap = HashMap<PathBuf, (blake3::Hash, markdown::Rendered)>;

/// What the last committed build was made from and what it left in the output.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct Manifest {
    /// Everything but the markdown documents ([`env_key`]).
    pub env: [u8; 32],
    /// The site's shape (`scope::site_shape`).
    pub shape: [u8; 32],
    /// Content-relative path of every document → hash of its text.
    pub docs: HashMap<String, [u8; 32]>,
    /// The output directory (absolute) and its files as committed.
    pub output: PathBuf,
    pub files: Vec<OutFile>,
}

/// One output file as the build left it: an edit, a replacement or a touch changes
/// its size or modification time. (Not the inode: a CI cache restores the output
/// with the same times but new inodes.)
#[derive(Serialize, Deserialize, PartialEq, Eq, Debug, Clone)]
pub(crate) struct OutFile {
    pub rel: String,
    pub len: u64,
    pub mtime_ns: i128,
    /// A regular file (anything else is not srekb's and never matches).
    pub file: bool,
}

/// What a build found in the cache directory.
#[derive(Default)]
pub(crate) struct Loaded {
    pub manifest: Option<Manifest>,
    pub markdown: MarkdownMap,
    /// The search export's state, as the last committed build left it.
    pub search: Option<crate::search::web::Saved>,
    /// Problems reading it (each file is then ignored).
    pub warnings: Vec<String>,
}

fn cache_dir(root: &Path) -> PathBuf {
    root.join(DIR)
}

/// Hash of the running srekb binary: a cache written by another build of srekb, even
/// of the same version, is not used.
fn binary_id() -> Option<[u8; 32]> {
    static ID: OnceLock<Option<[u8; 32]>> = OnceLock::new();
    *ID.get_or_init(|| {
        let exe = std::env::current_exe().ok()?;
        let mut h = blake3::Hasher::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update_reader(fs::File::open(&exe).ok()?).ok()?;
        Some(*h.finalize().as_bytes())
    })
}

/// Reads the cache files (the caller holds the build lock); anything unusable is
/// left out.
pub(crate) fn load(root: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    let Some(id) = binary_id() else {
        return loaded;
    };
    let dir = cache_dir(root);
    remove_dead_temporaries(&dir);
    type Shard = Vec<(PathBuf, [u8; 32], markdown::Rendered)>;
    let ((manifest, search), shards) = rayon::join(
        || {
            rayon::join(
                || read_framed::<Manifest>(&dir.join(MANIFEST), &id),
                || read_framed::<crate::search::web::Saved>(&dir.join(SEARCH), &id),
            )
        },
        || {
            (0..SHARDS)
                .into_par_iter()
                .map(|i| read_framed::<Shard>(&dir.join(shard_name(i)), &id))
                .collect::<Vec<_>>()
        },
    );
    match manifest {
        Ok(m) => loaded.manifest = m,
        Err(e) => loaded.warnings.push(format!("{e:#}")),
    }
    match search {
        Ok(s) => loaded.search = s,
        Err(e) => loaded.warnings.push(format!("{e:#}")),
    }
    for shard in shards {
        match shard {
            Ok(m) => loaded.markdown.extend(
                m.unwrap_or_default()
                    .into_iter()
                    .map(|(p, k, r)| (p, (blake3::Hash::from_bytes(k), r))),
            ),
            Err(e) => loaded.warnings.push(format!("{e:#}")),
        }
    }
    loaded
}

/// Waits for and holds the site's build lock (`.srekb/cache/lock`) until dropped.
/// None where it cannot be taken (a read-only site): builds then go on unlocked.
pub(crate) fn lock(root: &Path) -> Option<fs::File> {
    let dir = cache_dir(root);
    fs::create_dir_all(&dir).ok()?;
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))
        .ok()?;
    flock(&f).then_some(f)
}

#[cfg(unix)]
fn flock(f: &fs::File) -> bool {
    use std::os::unix::io::AsRawFd;
    // SAFETY: the descriptor is open for the duration of the call; flock only
    // takes an advisory lock on it, released when the file is closed.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) == 0 }
}

#[cfg(not(unix))]
fn flock(_: &fs::File) -> bool {
    true
}

/// Removes files a killed build was writing (every writer holds the build lock,
/// which the caller now has, so none is in use).
fn remove_dead_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().contains(".tmp-") {
            let _ = fs::remove_file(e.path());
        }
    }
}

fn shard_name(i: usize) -> String {
    format!("markdown-{i:02}.bin")
}

fn shard_of(source: &Path) -> usize {
    blake3::hash(source.as_os_str().as_encoded_bytes()).as_bytes()[0] as usize % SHARDS
}

/// `MAGIC`, binary id, blake3 of the payload, payload length, payload (postcard).
/// Ok(None): no file, or one written by another binary (expected, silent).
fn read_framed<T: serde::de::DeserializeOwned>(path: &Path, id: &[u8; 32]) -> Result<Option<T>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let shown = path.display();
    if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
        bail!("{shown} is not a srekb cache file; ignoring it");
    }
    if &bytes[8..40] != id {
        return Ok(None);
    }
    let sum = &bytes[40..72];
    let len = u64::from_le_bytes(bytes[72..80].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != len || blake3::hash(payload).as_bytes() != sum {
        bail!("{shown} is damaged (truncated or changed); ignoring it");
    }
    postcard::from_bytes(payload)
        .map(Some)
        .with_context(|| format!("{shown} cannot be decoded; ignoring it"))
}

/// Writes `value` framed to a temporary file in the cache directory and returns its
/// path ([`commit`] renames it into place).
fn write_framed<T: Serialize>(root: &Path, name: &str, value: &T) -> Result<PathBuf> {
    let id = binary_id().context("cannot read the srekb binary to key the cache")?;
    let dir = cache_dir(root);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let payload = postcard::to_stdvec(value).context("encoding the build cache")?;
    let tmp = dir.join(format!("{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(fs::File::create(&tmp)?);
        f.write_all(MAGIC)?;
        f.write_all(&id)?;
        f.write_all(blake3::hash(&payload).as_bytes())?;
        f.write_all(&(payload.len() as u64).to_le_bytes())?;
        f.write_all(&payload)?;
        f.flush()
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", tmp.display()));
    }
    Ok(tmp)
}

/// Cache files written aside, each with the name it takes when the build commits.
pub(crate) type Staged = Vec<(PathBuf, String)>;

/// The markdown cache files that hold a document in `dirty` (rendered anew, or
/// gone), written aside from the documents' `rendered` (after the markdown stage, so
/// the rendered HTML need not be kept elsewhere until the commit). `keys`: each
/// cacheable document's key.
pub(crate) fn stage_markdown(
    root: &Path,
    lib: &Library,
    keys: &[(crate::content::Target, blake3::Hash)],
    dirty: &[PathBuf],
) -> Result<Staged> {
    let mut write = [false; SHARDS];
    for p in dirty {
        write[shard_of(p)] = true;
    }
    let mut shards: Vec<Vec<(&PathBuf, [u8; 32], &markdown::Rendered)>> = vec![Vec::new(); SHARDS];
    for (t, k) in keys {
        let doc = lib.doc(*t);
        let i = shard_of(&doc.source);
        if write[i] {
            shards[i].push((&doc.source, *k.as_bytes(), &doc.rendered));
        }
    }
    let written: Vec<Result<(PathBuf, String)>> = shards
        .into_par_iter()
        .enumerate()
        .filter(|(i, _)| write[*i])
        .map(|(i, mut list)| {
            list.sort_by(|a, b| a.0.cmp(b.0));
            let name = shard_name(i);
            write_framed(root, &name, &list).map(|tmp| (tmp, name))
        })
        .collect();
    let mut staged = Vec::new();
    let mut failed = None;
    for w in written {
        match w {
            Ok(s) => staged.push(s),
            Err(e) => failed = Some(e),
        }
    }
    match failed {
        Some(e) => {
            discard(staged);
            Err(e)
        }
        None => Ok(staged),
    }
}

/// The search export's state written aside (see [`commit`]); with none, the one
/// there is removed when the build commits (it no longer describes the output).
pub(crate) fn stage_search(
    root: &Path,
    saved: Option<&crate::search::web::Saved>,
) -> Result<Staged> {
    match saved {
        Some(s) => Ok(vec![(write_framed(root, SEARCH, s)?, SEARCH.to_string())]),
        None => {
            let path = cache_dir(root).join(SEARCH);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).with_context(|| format!("removing {}", path.display()))
                }
                _ => Ok(Vec::new()),
            }
        }
    }
}

/// After a committed build: the staged cache files into place, and the manifest
/// (or none, so that the next build is a full one).
pub(crate) fn commit(root: &Path, markdown: Staged, manifest: Option<&Manifest>) -> Result<()> {
    let dir = cache_dir(root);
    let to = dir.join(MANIFEST);
    let Some(manifest) = manifest else {
        discard(markdown);
        return match fs::remove_file(&to) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing {}", to.display()))
            }
            _ => Ok(()),
        };
    };
    let manifest_tmp = write_framed(root, MANIFEST, manifest)?;
    let mut rest = markdown.into_iter();
    while let Some((tmp, name)) = rest.next() {
        let md = dir.join(&name);
        if let Err(e) = fs::rename(&tmp, &md) {
            discard(std::iter::once((tmp, name)).chain(rest).collect());
            discard(vec![(manifest_tmp, String::new())]);
            return Err(e).with_context(|| format!("writing {}", md.display()));
        }
    }
    fs::rename(&manifest_tmp, &to).with_context(|| format!("writing {}", to.display()))
}

/// Removes the staged files of a build that did not commit.
pub(crate) fn discard(staged: Staged) {
    for (p, _) in staged {
        let _ = fs::remove_file(p);
    }
}

/// Hash of each document's text by content-relative path.
pub(crate) fn doc_hashes(lib: &Library) -> HashMap<String, [u8; 32]> {
    let targets: Vec<_> = lib.targets().collect();
    targets
        .par_iter()
        .map(|&t| lib.doc(t))
        .filter(|d| !d.rel.is_empty())
        .map(|d| (d.rel.clone(), *blake3::hash(d.text.as_bytes()).as_bytes()))
        .collect()
}

/// Hash of everything a build reads besides the markdown documents: the srekb
/// binary, the config (with command-line overrides), build options, the build date,
/// the output path, and the contents of the theme and `static/` directories, the
/// content files that are not markdown and the alert rule files (contents, not
/// times: a fresh checkout in CI has new times). None when something cannot be
/// read: the build is then a full one.
pub(crate) fn env_key(
    opts: &BuildOptions,
    config: &SiteConfig,
    lib: &Library,
    today: chrono::NaiveDate,
    output: &Path,
) -> Option<[u8; 32]> {
    let root = &opts.root;
    let mut key = CacheKey::new();
    key.hash(&binary_id()?)
        .serde(config)
        .hash(&(opts.drafts, opts.web_index, &opts.live_reload))
        .hash(&today.to_string())
        .hash(&std::path::absolute(output).ok()?);
    // (name, path) of every file read besides the documents, in a fixed order.
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for dir in [root.join("themes").join(&config.theme), root.join("static")] {
        if !dir.exists() {
            continue;
        }
        for e in WalkDir::new(&dir).follow_links(true).sort_by_file_name() {
            let e = e.ok()?;
            if e.file_type().is_file() {
                files.push((e.path().to_string_lossy().into_owned(), e.into_path()));
            }
        }
    }
    let mut content: Vec<(String, PathBuf)> = lib
        .assets
        .iter()
        .map(|a| (format!("asset:{}", a.to), a.from.clone()))
        .chain(
            lib.data_files
                .iter()
                .map(|(r, p)| (format!("data:{r}"), p.clone())),
        )
        .collect();
    content.sort();
    files.extend(content);
    let rules = config
        .runbook
        .alert_rules
        .iter()
        .map(|r| root.join(r))
        .chain(opts.alert_rules.iter().cloned());
    files.extend(rules.map(|r| (format!("rules:{}", r.display()), r)));
    let hashes: Vec<Option<[u8; 32]>> = files
        .par_iter()
        .map(|(_, path)| match fs::File::open(path) {
            Ok(f) => {
                let mut h = blake3::Hasher::new();
                h.update_reader(f).ok()?;
                Some(*h.finalize().as_bytes())
            }
            // A configured alert rule file that is absent (reported by the build).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some([0; 32]),
            Err(_) => None,
        })
        .collect();
    for ((name, _), hash) in files.iter().zip(hashes) {
        key.hash(name).hash(&hash?);
    }
    Some(*key.finish().as_bytes())
}

#[cfg(unix)]
fn mtime_ns(m: &fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec())
}

#[cfg(not(unix))]
fn mtime_ns(m: &fs::Metadata) -> i128 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128)
}

/// The output's files (without the ownership marker and the entries every build
/// keeps), sorted by path.
pub(crate) fn output_files(dir: &Path, keep: &[String]) -> Result<Vec<OutFile>> {
    let mut v = Vec::new();
    let entries = WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| {
            e.depth() != 1 || {
                let n = e.file_name().to_string_lossy();
                n != crate::output::MARKER && !keep.iter().any(|k| *k == n)
            }
        });
    for e in entries {
        let e = e.with_context(|| format!("reading {}", dir.display()))?;
        if e.file_type().is_dir() {
            continue;
        }
        let m = e
            .metadata()
            .with_context(|| format!("reading {}", e.path().display()))?;
        let rel = e
            .path()
            .strip_prefix(dir)
            .expect("walked under dir")
            .to_string_lossy()
            .replace('\\', "/");
        v.push(OutFile {
            rel,
            len: m.len(),
            mtime_ns: mtime_ns(&m),
            file: e.file_type().is_file(),
        });
    }
    v.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(v)
}

/// The previous output's files (path → size) when the output directory still holds
/// exactly what the manifest recorded; None when anything differs.
pub(crate) fn verified_output(
    manifest: &Manifest,
    output: &Path,
    keep: &[String],
) -> Option<HashMap<String, u64>> {
    if std::path::absolute(output).ok()? != manifest.output {
        return None;
    }
    let now = output_files(output, keep).ok()?;
    (now == manifest.files && now.iter().all(|f| f.file))
        .then(|| now.into_iter().map(|f| (f.rel, f.len)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framed_files_round_trip_and_damage_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let m = Manifest {
            shape: [7; 32],
            docs: [("a.md".to_string(), [1; 32])].into_iter().collect(),
            ..Manifest::default()
        };
        commit(root, Vec::new(), Some(&m)).unwrap();
        let loaded = load(root);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let back = loaded.manifest.unwrap();
        assert_eq!(back.shape, [7; 32]);
        assert_eq!(back.docs["a.md"], [1; 32]);

        // One flipped payload byte: ignored with a warning.
        let path = root.join(DIR).join(MANIFEST);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&path, &bytes).unwrap();
        let loaded = load(root);
        assert!(loaded.manifest.is_none());
        assert!(
            loaded.warnings[0].contains("damaged"),
            "{:?}",
            loaded.warnings
        );

        // Not a cache file at all.
        fs::write(&path, b"garbage").unwrap();
        let loaded = load(root);
        assert!(loaded.manifest.is_none());
        assert!(loaded.warnings[0].contains("not a srekb cache"));

        // Another binary's cache: silently unused.
        bytes[8] ^= 0xff;
        fs::write(&path, &bytes).unwrap();
        let loaded = load(root);
        assert!(loaded.manifest.is_none() && loaded.warnings.is_empty());
    }

    #[test]
    fn the_search_export_state_round_trips_and_goes_without_one() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let saved = crate::search::web::Saved {
            format: crate::search::web::FORMAT,
            doc_hashes: vec![1, 2, 3],
            per_pack: 1,
            ..Default::default()
        };
        let staged = stage_search(root, Some(&saved)).unwrap();
        commit(root, staged, Some(&Manifest::default())).unwrap();
        assert_eq!(load(root).search.as_ref(), Some(&saved));
        // A build that leaves no state removes the last one.
        let staged = stage_search(root, None).unwrap();
        commit(root, staged, Some(&Manifest::default())).unwrap();
        assert!(load(root).search.is_none());
    }

    #[test]
    fn the_output_check_notices_an_edited_file() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        fs::create_dir_all(out.join("a")).unwrap();
        fs::write(out.join("a/index.html"), "x").unwrap();
        fs::write(out.join(crate::output::MARKER), "").unwrap();
        fs::write(out.join("CNAME"), "kb").unwrap();
        let keep = vec!["CNAME".to_string()];
        let m = Manifest {
            output: std::path::absolute(&out).unwrap(),
            files: output_files(&out, &keep).unwrap(),
            ..Manifest::default()
        };
        assert_eq!(m.files.len(), 1, "marker and kept entries are not recorded");
        assert!(verified_output(&m, &out, &keep).is_some());
        fs::write(out.join("a/index.html"), "yy").unwrap();
        assert!(verified_output(&m, &out, &keep).is_none());
    }
}
