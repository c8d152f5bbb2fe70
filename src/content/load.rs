//! Loading `content/`: walk the tree (refusing symlinks that leave it), parse every
//! markdown file in parallel, and arrange pages into sections with unique paths.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use unicode_normalization::{is_nfc, UnicodeNormalization};
use walkdir::WalkDir;

use super::frontmatter::{self, string_list, FrontMatter, SortBy};
use super::Rendered;
use super::{slug, Asset, Date, Document, FmLocation, Kind, Library, Page, Section, Target};
use crate::config::SiteConfig;
use crate::diagnostics::{Diagnostic, Diagnostics, Span};

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub drafts: bool,
    /// Top-level section directory → kind of its pages (from the kinds registry and
    /// `[sections]`).
    pub sections: std::collections::BTreeMap<String, Kind>,
}

/// Names skipped while walking: hidden files and editors' temporary files.
pub fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || (name.starts_with('#') && name.ends_with('#'))
}

fn is_markdown(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

struct Walked {
    dirs: BTreeSet<String>,
    markdown: Vec<(PathBuf, String)>,
    others: Vec<(PathBuf, String)>,
}

/// The content-relative path as written on disk (`/`-separated), or `None` when a
/// component is not UTF-8.
fn rel_string(path: &Path, base: &Path) -> Option<String> {
    let rel = path.strip_prefix(base).ok()?;
    let mut parts = Vec::new();
    for c in rel.components() {
        parts.push(c.as_os_str().to_str()?.to_string());
    }
    Some(parts.join("/"))
}

/// Composed (NFC) spelling of a content-relative path. macOS writes decomposed (NFD)
/// names (`ホ` + U+309A for `ポ`) while editors and links type composed ones; every
/// URL, link key and output path is derived from this form so both spellings meet.
pub fn nfc_rel(rel: &str) -> String {
    if is_nfc(rel) {
        rel.to_string()
    } else {
        rel.nfc().collect()
    }
}

/// Two entries whose names are the same text in different Unicode forms would
/// publish at one URL; the second is refused, naming both.
fn normalisation_twin(rel: &str, first: &Path, second: &Path) -> Diagnostic {
    let form = |p: &Path| {
        if is_nfc(&p.to_string_lossy()) {
            "composed, NFC"
        } else {
            "decomposed, NFD"
        }
    };
    Diagnostic::error(
        "duplicate-path",
        format!(
            "content/{rel} exists twice: this name ({}) and {} ({}) are the same text in \
             different Unicode forms and would be published at the same URL",
            form(second),
            first.display(),
            form(first),
        ),
    )
    .in_file(second)
    .with_help("keep one of them (macOS writes decomposed names; rename the file to the composed spelling)")
}

fn walk(content: &Path, display_root: &Path, diags: &Diagnostics) -> Walked {
    let mut walked = Walked {
        dirs: BTreeSet::new(),
        markdown: Vec::new(),
        others: Vec::new(),
    };
    let canon_root = match content.canonicalize() {
        Ok(p) => p,
        Err(e) => {
            diags.push(
                Diagnostic::error("io", format!("cannot open content directory: {e}"))
                    .in_file(&display(content, display_root)),
            );
            return walked;
        }
    };
    // NFC path → the on-disk path that first claimed it.
    let mut spelled: HashMap<String, PathBuf> = HashMap::new();
    let mut it = WalkDir::new(content)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| display(p, display_root))
                    .unwrap_or_default();
                let msg = if let Some(anc) = e.loop_ancestor() {
                    format!(
                        "symlink loop: this link leads back to {}",
                        display(anc, display_root).display()
                    )
                } else {
                    match e.io_error() {
                        Some(io) => format!("cannot read: {io}"),
                        None => format!("cannot read: {e}"),
                    }
                };
                diags.push(Diagnostic::error("io", msg).in_file(&path));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if entry.depth() > 0 && is_ignored(&name) {
            if entry.file_type().is_dir() {
                it.skip_current_dir();
            }
            continue;
        }
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(&canon_root) => {}
                Ok(target) => {
                    diags.push(
                        Diagnostic::error(
                            "symlink",
                            format!(
                                "symlink points outside content/ (to {}); refusing to read it",
                                target.display()
                            ),
                        )
                        .in_file(&display(entry.path(), display_root)),
                    );
                    if entry.file_type().is_dir() {
                        it.skip_current_dir();
                    }
                    continue;
                }
                Err(e) => {
                    diags.push(
                        Diagnostic::error("symlink", format!("broken symlink: {e}"))
                            .in_file(&display(entry.path(), display_root)),
                    );
                    continue;
                }
            }
        }
        let Some(rel) = rel_string(entry.path(), content) else {
            diags.push(
                Diagnostic::error("path", "file name is not valid UTF-8")
                    .in_file(&display(entry.path(), display_root)),
            );
            continue;
        };
        // The on-disk path still reads the file; everything published uses NFC.
        let rel = nfc_rel(&rel);
        let shown = display(entry.path(), display_root);
        if let Some(first) = spelled.get(&rel) {
            diags.push(normalisation_twin(&rel, first, &shown));
            if entry.file_type().is_dir() {
                it.skip_current_dir();
            }
            continue;
        }
        spelled.insert(rel.clone(), shown);
        if entry.file_type().is_dir() {
            walked.dirs.insert(rel);
        } else if is_markdown(&name) {
            walked.markdown.push((entry.path().to_path_buf(), rel));
        } else {
            walked.others.push((entry.path().to_path_buf(), rel));
        }
    }
    walked
}

/// The path used in diagnostics: relative to the site root when under it.
pub fn display(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Reads a file as UTF-8 text, naming the file and the first bad byte's line on failure.
pub fn read_text(path: &Path, shown: &Path) -> Result<String, Box<Diagnostic>> {
    let bytes = fs::read(path).map_err(|e| {
        Box::new(Diagnostic::error("io", format!("cannot read: {e}")).in_file(shown))
    })?;
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..3);
            }
            Ok(s)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..valid].iter().filter(|b| **b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(&bytes[..valid])
                .rsplit('\n')
                .next()
                .map_or(0, |l| l.chars().count())
                + 1;
            let mut d = Diagnostic::error(
                "encoding",
                format!("file is not valid UTF-8 (bad byte at offset {valid})"),
            )
            .with_help("save the file as UTF-8 (Shift_JIS and EUC-JP are not supported)");
            d.file = Some(shown.to_path_buf());
            d.span = Span::new(line, col);
            Err(Box::new(d))
        }
    }
}

/// The title heading of a body: its first ATX heading when that is level 1
/// (`# Title`), for files without a title in front matter. A body whose first heading
/// is `## 概要` has no title heading (the file name is used instead).
fn first_heading(body: &str) -> Option<String> {
    let mut in_fence = false;
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(rest) = t.strip_prefix('#') {
            let level = 1 + rest.len() - rest.trim_start_matches('#').len();
            let rest = rest.trim_start_matches('#');
            if (rest.starts_with(' ') || rest.is_empty()) && level <= 6 {
                if level > 1 {
                    return None;
                }
                let title = rest.trim().trim_end_matches('#').trim();
                let title = match title.rfind(" {#") {
                    Some(i) if title.ends_with('}') => &title[..i],
                    _ => title,
                };
                if !title.is_empty() {
                    return Some(title.to_string());
                }
            }
        }
    }
    None
}

fn parse_document(
    abs: &Path,
    rel: &str,
    root: &Path,
    config: &SiteConfig,
) -> Result<Document, Vec<Diagnostic>> {
    let shown = display(abs, root);
    let text = read_text(abs, &shown).map_err(|d| vec![*d])?;
    let at = |span: Span, text: &str, msg: String| -> Diagnostic {
        Diagnostic::error("front-matter", msg).at(&shown, span, text)
    };
    let split = frontmatter::split(&text).map_err(|e| vec![at(e.span, &text, e.message)])?;
    let map = frontmatter::parse(&split).map_err(|e| vec![at(e.span, &text, e.message)])?;
    let meta =
        FrontMatter::from_map(map, &split).map_err(|e| vec![at(e.span, &text, e.message)])?;
    let mut errors = Vec::new();
    let offset = config.offset();
    let mut date_of = |key: &str, value: &Option<String>| -> Option<Date> {
        let s = value.as_deref()?;
        let d = Date::parse(s, offset);
        if d.is_none() {
            errors.push(
                at(
                    frontmatter::key_span(&split, key),
                    &text,
                    format!("front matter key `{key}`: `{s}` is not a date (use YYYY-MM-DD or RFC 3339 such as 2025-05-12T10:03:00+09:00)"),
                ),
            );
        }
        d
    };
    let date = date_of("date", &meta.date);
    let updated = date_of(
        if meta.extra.contains_key("lastmod") || !split.raw.contains("updated") {
            "lastmod"
        } else {
            "updated"
        },
        &meta.updated,
    );
    let mut taxonomies = BTreeMap::new();
    for name in &config.taxonomies {
        if let Some(v) = meta.extra.get(name) {
            match string_list(v) {
                Some(terms) => {
                    let terms: Vec<String> = terms
                        .into_iter()
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .collect();
                    if !terms.is_empty() {
                        taxonomies.insert(name.clone(), terms);
                    }
                }
                None => errors.push(at(
                    frontmatter::key_span(&split, name),
                    &text,
                    format!(
                        "front matter key `{name}`: expected a list of strings, found {}",
                        frontmatter::type_name(v)
                    ),
                )),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let body = split.body;
    let title = meta
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| first_heading(body))
        .unwrap_or_else(|| {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
            if matches!(stem, "_index" | "index" | "README" | "readme") {
                rel.rsplit('/').nth(1).unwrap_or("").to_string()
            } else {
                stem.to_string()
            }
        });
    let fm = FmLocation {
        format: split.format,
        start: split.raw_start,
        end: split.raw_start + split.raw.len(),
        raw_line: split.raw_line,
    };
    let body_start = split.body_start;
    let body_line = split.body_line;
    Ok(Document {
        source: shown,
        rel: rel.to_string(),
        text_key: blake3::hash(text.as_bytes()),
        fm,
        body_start,
        body_line,
        meta: meta.into(),
        title,
        date,
        updated,
        taxonomies: taxonomies.into(),
        path: String::new(),
        imported: None,
        rendered: Rendered::default(),
        text: text.into(),
    })
}

fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

fn file_name(rel: &str) -> &str {
    rel.rsplit_once('/').map_or(rel, |(_, f)| f)
}

fn is_index_name(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "index.md" | "readme.md" | "index.markdown"
    )
}

/// Loads `root/content` into a [`Library`]. Problems go to `diags`; what could be
/// loaded is returned either way so one run reports every error.
pub fn load(root: &Path, config: &SiteConfig, opts: LoadOptions, diags: &Diagnostics) -> Library {
    let content = root.join("content");
    if !content.is_dir() {
        no_content(root, diags);
        return Library::default();
    }
    let walked = walk(&content, root, diags);
    let parsed: Vec<(String, Document)> = walked
        .markdown
        .par_iter()
        .filter_map(|(abs, rel)| match parse_document(abs, rel, root, config) {
            Ok(doc) => Some((rel.clone(), doc)),
            Err(ds) => {
                diags.extend(ds);
                None
            }
        })
        .collect();
    assemble(walked, parsed, opts, diags)
}

fn no_content(root: &Path, diags: &Diagnostics) {
    diags.push(
        Diagnostic::error("io", "no content/ directory")
            .in_file(root)
            .with_help("run `srekb init` to create a knowledge base, or pass --root"),
    );
}

/// What `serve` keeps of the last load: the walk and every markdown file as read and
/// parsed, so that after edits only the edited files are read again.
pub struct Kept {
    /// Everything the load depends on besides the files (config, drafts, sections).
    key: blake3::Hash,
    walked: Walked,
    /// The walk's problems (symlinks, names), told again on every load.
    walk_diags: Vec<Diagnostic>,
    /// Each of `walked.markdown`'s files, read and parsed (or its problems).
    parsed: Vec<Result<Document, Vec<Diagnostic>>>,
    /// On-disk path → index in `walked.markdown`.
    index: HashMap<PathBuf, usize>,
    /// The library as assembled from `parsed`, before any later stage changed it, and
    /// what assembling it told; patched in place when an edit leaves every
    /// document's place as it was.
    assembled: Option<(Library, Vec<Diagnostic>)>,
}

/// How a load went: every file read, or only the changed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reread {
    All,
    /// The previous walk and parses were kept; this many edited files were read.
    Changed(usize),
    /// As `Changed`, and the edits left every document where it was: the kept
    /// library with the edited documents put in. Everything the site's shape is made
    /// of (places, titles, front matter, kinds, other files) is as the last load had it.
    InPlace(usize),
}

/// [`load`] for `serve`: with the previous load in `kept` and `changed` (paths
/// relative to `root`) all being edits of markdown files it read, only those files
/// are read and parsed again and the walk is not repeated; anything else (a file
/// added, removed or renamed, a non-markdown file, a config change) loads everything.
/// When the edits keep every document's front matter and title, the kept library
/// gets the edited documents in place (assembling ten thousand documents again is
/// most of a load); otherwise it is assembled from the parses exactly as [`load`]
/// assembles it. Either way the result is the same as a fresh load's.
pub fn load_kept(
    root: &Path,
    config: &SiteConfig,
    opts: LoadOptions,
    diags: &Diagnostics,
    kept: &std::sync::Mutex<Option<Kept>>,
    changed: Option<&[PathBuf]>,
) -> (Library, Reread) {
    let key = crate::content::cache_key::CacheKey::new()
        .serde(config)
        .hash(&opts.drafts)
        .hash(&opts.sections)
        .finish();
    let previous = kept.lock().unwrap_or_else(|e| e.into_inner()).take();
    let content = root.join("content");
    let (mut k, reread, patch) =
        match previous.and_then(|p| reread_changed(p, key, root, config, changed)) {
            Some((k, n, patch)) => (k, Reread::Changed(n), patch),
            None => {
                if !content.is_dir() {
                    no_content(root, diags);
                    return (Library::default(), Reread::All);
                }
                let local = Diagnostics::default();
                let walked = walk(&content, root, &local);
                let walk_diags = local.into_sorted();
                let parsed: Vec<Result<Document, Vec<Diagnostic>>> = walked
                    .markdown
                    .par_iter()
                    .map(|(abs, rel)| parse_document(abs, rel, root, config))
                    .collect();
                let index = walked
                    .markdown
                    .iter()
                    .enumerate()
                    .map(|(i, (abs, _))| (abs.clone(), i))
                    .collect();
                let k = Kept {
                    key,
                    walked,
                    walk_diags,
                    parsed,
                    index,
                    assembled: None,
                };
                (k, Reread::All, None)
            }
        };
    diags.extend(k.walk_diags.iter().cloned());
    for ds in k.parsed.iter().filter_map(|p| p.as_ref().err()) {
        diags.extend(ds.iter().cloned());
    }
    // An edit that keeps every document's place: the kept library with the edited
    // documents put in; otherwise it is assembled again from every parse.
    let patched = match (patch, k.assembled.take()) {
        (Some(at), Some((mut lib, told))) => {
            patch_documents(&mut lib, &told, &k.parsed, &at).then_some((lib, told))
        }
        _ => None,
    };
    let reread = match (reread, &patched) {
        (Reread::Changed(n), Some(_)) => Reread::InPlace(n),
        (r, _) => r,
    };
    let (assembled, told) = match patched {
        Some(kept) => kept,
        None => {
            // The build owns and changes its documents; the kept parses stay as read.
            let docs: Vec<(String, Document)> = k
                .walked
                .markdown
                .par_iter()
                .zip(k.parsed.par_iter())
                .filter_map(|((_, rel), p)| Some((rel.clone(), p.as_ref().ok()?.clone())))
                .collect();
            let walked = Walked {
                dirs: k.walked.dirs.clone(),
                markdown: Vec::new(),
                others: k.walked.others.clone(),
            };
            let local = Diagnostics::default();
            let lib = assemble(walked, docs, opts, &local);
            (lib, local.into_sorted())
        }
    };
    diags.extend(told.iter().cloned());
    let lib = copy_library(&assembled);
    k.assembled = Some((assembled, told));
    k.key = key;
    *kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(k);
    (lib, reread)
}

/// A copy of `lib` for the build to own and change: the pages, the bulk of it,
/// copied in parallel with the rest.
fn copy_library(lib: &Library) -> Library {
    let (pages, (sections, (by_rel, by_path))) = rayon::join(
        || lib.pages.par_iter().cloned().collect(),
        || {
            rayon::join(
                || lib.sections.clone(),
                || (lib.by_rel.clone(), lib.by_path.clone()),
            )
        },
    );
    Library {
        pages,
        sections,
        by_rel,
        by_path,
        assets: lib.assets.clone(),
        data_files: lib.data_files.clone(),
        asset_by_rel: lib.asset_by_rel.clone(),
        kind_state: lib.kind_state.clone(),
    }
}

/// Puts the re-read documents at `at` (indexes into `parsed`) into `lib` in place of
/// their previous versions, each keeping its site path; false when that would not
/// give what assembling would (then `lib` is to be dropped). [`reread_changed`] has
/// checked that each one's front matter and title, all that places a document, are
/// as before; a document named in one of assembling's messages (`told`, such as
/// a page refused for a duplicate path) is assembled again so the message is too.
fn patch_documents(
    lib: &mut Library,
    told: &[Diagnostic],
    parsed: &[Result<Document, Vec<Diagnostic>>],
    at: &[usize],
) -> bool {
    for &i in at {
        let Ok(doc) = &parsed[i] else {
            return false;
        };
        if told
            .iter()
            .any(|d| d.file.as_deref() == Some(doc.source.as_path()))
        {
            return false;
        }
        // Not in the library (a draft): nothing shows it.
        let Some(&t) = lib.by_rel.get(&doc.rel) else {
            continue;
        };
        let old = lib.doc_mut(t);
        if old.rel != doc.rel {
            continue;
        }
        let path = std::mem::take(&mut old.path);
        *old = Document {
            path,
            ..doc.clone()
        };
    }
    true
}

/// The kept load with the `changed` files read again, or None when the change is
/// one a re-read cannot follow.
fn reread_changed(
    mut k: Kept,
    key: blake3::Hash,
    root: &Path,
    config: &SiteConfig,
    changed: Option<&[PathBuf]>,
) -> Option<(Kept, usize, Option<Vec<usize>>)> {
    let changed = changed.filter(|c| !c.is_empty())?;
    if k.key != key {
        return None;
    }
    let mut at = Vec::with_capacity(changed.len());
    for rel in changed {
        if !rel.starts_with("content") {
            return None;
        }
        let abs = root.join(rel);
        // Known markdown files only, still there as plain files: an addition, a
        // removal or a rename changes the walk.
        let i = *k.index.get(&abs)?;
        let meta = fs::symlink_metadata(&abs).ok()?;
        if !meta.is_file() {
            return None;
        }
        at.push(i);
    }
    let fresh: Vec<(usize, Result<Document, Vec<Diagnostic>>)> = at
        .par_iter()
        .map(|&i| {
            let (abs, rel) = &k.walked.markdown[i];
            (i, parse_document(abs, rel, root, config))
        })
        .collect();
    // Whether every edit keeps the document where it was: read before and now, the
    // same front matter (with its delimiters) and title.
    let mut in_place = true;
    for (i, p) in fresh {
        in_place &= match (&k.parsed[i], &p) {
            (Ok(old), Ok(new)) => {
                old.text[..old.body_start] == new.text[..new.body_start] && old.title == new.title
            }
            _ => false,
        };
        k.parsed[i] = p;
    }
    let n = at.len();
    Some((k, n, in_place.then_some(at)))
}

/// The library from the walk and the parsed documents (in walk order).
fn assemble(
    walked: Walked,
    parsed: Vec<(String, Document)>,
    opts: LoadOptions,
    diags: &Diagnostics,
) -> Library {
    let mut lib = Library::default();
    let shape = Shape::of(&parsed, &walked.dirs);
    let section_of_dir = add_sections(&mut lib, &walked.dirs, &shape, &opts);
    let claimed = add_documents(&mut lib, parsed, &shape, &section_of_dir, &opts, diags);
    index_paths(&mut lib, &claimed, diags);
    add_other_files(&mut lib, walked.others, &shape);
    for si in 0..lib.sections.len() {
        sort_section(&mut lib, si);
    }
    lib
}

/// Which directories are sections and which are leaf bundles.
struct Shape {
    /// Directories with an explicit `_index.md`.
    has_underscore_index: BTreeSet<String>,
    /// Directories whose only markdown file is an `index.md`/`README.md` and that have
    /// no subdirectory: a page (bundle), not a section.
    leaf_dirs: BTreeSet<String>,
}

impl Shape {
    fn of(parsed: &[(String, Document)], dirs: &BTreeSet<String>) -> Shape {
        let mut has_underscore_index = BTreeSet::new();
        let mut md_per_dir: BTreeMap<&str, usize> = BTreeMap::new();
        for (rel, _) in parsed {
            let dir = parent_dir(rel);
            *md_per_dir.entry(dir).or_default() += 1;
            if file_name(rel) == "_index.md" {
                has_underscore_index.insert(dir.to_string());
            }
        }
        let has_subdirs = |dir: &str| {
            dirs.iter()
                .any(|d| !d.is_empty() && parent_dir(d) == dir && d != dir)
        };
        // `index.md`/`README.md`: the section's index when the directory holds more, a
        // leaf page (bundle) when it stands alone.
        let mut leaf_dirs = BTreeSet::new();
        for (rel, _) in parsed {
            let dir = parent_dir(rel);
            if is_index_name(file_name(rel))
                && !dir.is_empty()
                && !has_underscore_index.contains(dir)
                && md_per_dir.get(dir) == Some(&1)
                && !has_subdirs(dir)
            {
                leaf_dirs.insert(dir.to_string());
            }
        }
        Shape {
            has_underscore_index,
            leaf_dirs,
        }
    }

    fn in_leaf(&self, dir: &str) -> bool {
        self.leaf_dirs.contains(dir)
            || self
                .leaf_dirs
                .iter()
                .any(|l| dir.starts_with(&format!("{l}/")))
    }
}

/// Sections: the root and every directory that is not (inside) a leaf bundle,
/// parents before children. Returns directory → section index.
fn add_sections(
    lib: &mut Library,
    all_dirs: &BTreeSet<String>,
    shape: &Shape,
    opts: &LoadOptions,
) -> HashMap<String, usize> {
    let mut section_of_dir: HashMap<String, usize> = HashMap::new();
    let mut dirs: Vec<&String> = all_dirs.iter().filter(|d| !shape.in_leaf(d)).collect();
    dirs.sort_by_key(|d| (d.matches('/').count(), d.to_string()));
    let root_dir = String::new();
    for dir in std::iter::once(&root_dir).chain(dirs.into_iter().filter(|d| !d.is_empty())) {
        let parent = if dir.is_empty() {
            None
        } else {
            section_of_dir.get(parent_dir(dir)).copied()
        };
        let path = match parent {
            None if dir.is_empty() => String::new(),
            _ => {
                let parent_path = parent
                    .map(|i| lib.sections[i].doc.path.clone())
                    .unwrap_or_default();
                format!("{parent_path}{}/", slug::path_segment(file_name(dir)))
            }
        };
        let top = dir.split('/').next().unwrap_or("");
        let kind = opts.sections.get(top).copied().unwrap_or(Kind::PAGE);
        let title = file_name(dir).to_string();
        let idx = lib.sections.len();
        lib.sections.push(Section {
            doc: Document::synthesized(dir, title, path),
            dir: dir.clone(),
            kind,
            parent,
            pages: Vec::new(),
            subsections: Vec::new(),
            has_index_file: false,
        });
        if let Some(p) = parent {
            lib.sections[p].subsections.push(idx);
        }
        section_of_dir.insert(dir.clone(), idx);
    }
    section_of_dir
}

/// Every parsed document becomes its section's index or a page (drafts left out
/// unless asked for). Returns site path → file of every page, for the path checks.
fn add_documents(
    lib: &mut Library,
    parsed: Vec<(String, Document)>,
    shape: &Shape,
    section_of_dir: &HashMap<String, usize>,
    opts: &LoadOptions,
    diags: &Diagnostics,
) -> HashMap<String, PathBuf> {
    let mut claimed: HashMap<String, PathBuf> = HashMap::new();
    for (rel, doc) in parsed {
        let dir = parent_dir(&rel).to_string();
        let name = file_name(&rel);
        let is_section_index = name == "_index.md"
            || (is_index_name(name)
                && !shape.has_underscore_index.contains(&dir)
                && !shape.leaf_dirs.contains(&dir));
        if is_section_index {
            if let Some(&si) = section_of_dir.get(&dir) {
                set_section_index(lib, si, &rel, &dir, doc, diags);
            }
            continue;
        }
        if doc.meta.draft && !opts.drafts {
            continue;
        }
        add_page(
            lib,
            rel,
            doc,
            shape,
            section_of_dir,
            opts,
            &mut claimed,
            diags,
        );
    }
    claimed
}

/// `doc` is the index file of section `si` (a second one is ignored with a warning).
fn set_section_index(
    lib: &mut Library,
    si: usize,
    rel: &str,
    dir: &str,
    mut doc: Document,
    diags: &Diagnostics,
) {
    let s = &mut lib.sections[si];
    if s.has_index_file {
        // README.md beside index.md: keep the first, say so.
        let name = file_name(rel);
        diags.push(
            Diagnostic::warning(
                "duplicate-index",
                format!("section already has an index file; {name} is ignored"),
            )
            .in_file(&doc.source),
        );
        return;
    }
    doc.path = s.doc.path.clone();
    s.doc = doc;
    s.has_index_file = true;
    lib.by_rel.insert(rel.to_string(), Target::Section(si));
    lib.by_rel.insert(dir.to_string(), Target::Section(si));
}

/// `doc` becomes a page of its section at `<section path><slug>/`, unless another
/// page was already published there.
#[allow(clippy::too_many_arguments)]
fn add_page(
    lib: &mut Library,
    rel: String,
    mut doc: Document,
    shape: &Shape,
    section_of_dir: &HashMap<String, usize>,
    opts: &LoadOptions,
    claimed: &mut HashMap<String, PathBuf>,
    diags: &Diagnostics,
) {
    let dir = parent_dir(&rel).to_string();
    let name = file_name(&rel);
    let leaf = shape.leaf_dirs.contains(&dir);
    let (section_dir, default_slug) = if leaf {
        (parent_dir(&dir).to_string(), file_name(&dir).to_string())
    } else {
        let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
        (dir.clone(), stem.to_string())
    };
    let Some(&si) = section_of_dir.get(&section_dir) else {
        return;
    };
    let slug_text = doc.meta.slug.clone().unwrap_or(default_slug);
    let slug = slug::path_segment(&slug_text);
    doc.path = format!("{}{}/", lib.sections[si].doc.path, slug);
    let top = section_dir.split('/').next().unwrap_or("");
    let kind = doc
        .meta
        .kind
        .or_else(|| opts.sections.get(top).copied())
        .unwrap_or(Kind::PAGE);
    if let Some(first) = claimed.get(&doc.path) {
        diags.push(
            Diagnostic::error(
                "duplicate-path",
                format!(
                    "two pages would be published at /{}: this file and {}",
                    doc.path,
                    first.display()
                ),
            )
            .at(&doc.source, doc.key_span("slug"), &doc.text)
            .with_help("give one of them a different `slug` in its front matter"),
        );
        return;
    }
    claimed.insert(doc.path.clone(), doc.source.clone());
    let pi = lib.pages.len();
    lib.by_rel.insert(rel, Target::Page(pi));
    if leaf {
        lib.by_rel.insert(dir, Target::Page(pi));
    }
    lib.sections[si].pages.push(pi);
    lib.pages.push(Page {
        doc,
        kind,
        section: si,
        slug,
        data: Default::default(),
        replacements: Vec::new(),
    });
}

/// Site paths of every section and page; a page published where a section is is an
/// error.
fn index_paths(lib: &mut Library, claimed: &HashMap<String, PathBuf>, diags: &Diagnostics) {
    for (si, s) in lib.sections.iter().enumerate() {
        if let Some(first) = claimed.get(&s.doc.path) {
            diags.push(
                Diagnostic::error(
                    "duplicate-path",
                    format!(
                        "{} would be published at /{}, where section {} already is",
                        first.display(),
                        s.doc.path,
                        s.doc.source.display()
                    ),
                )
                .in_file(first),
            );
        }
        lib.by_path.insert(s.doc.path.clone(), Target::Section(si));
        if !s.has_index_file {
            lib.by_rel
                .entry(s.dir.clone())
                .or_insert(Target::Section(si));
        }
    }
    for (pi, p) in lib.pages.iter().enumerate() {
        lib.by_path.insert(p.doc.path.clone(), Target::Page(pi));
    }
}

/// Other files: data files (`.toml`) stay private, the rest is copied beside its
/// page or section.
fn add_other_files(lib: &mut Library, others: Vec<(PathBuf, String)>, shape: &Shape) {
    let mut out_dir_of: HashMap<String, String> = HashMap::new();
    for s in &lib.sections {
        out_dir_of.insert(s.dir.clone(), s.doc.path.clone());
    }
    for leaf in &shape.leaf_dirs {
        if let Some(Target::Page(pi)) = lib.by_rel.get(leaf) {
            out_dir_of.insert(leaf.clone(), lib.pages[*pi].doc.path.clone());
        }
    }
    for (abs, rel) in others {
        lib.asset_by_rel.insert(rel.clone(), String::new());
        if rel.ends_with(".toml") {
            lib.data_files.insert(rel, abs);
            continue;
        }
        let dir = parent_dir(&rel);
        if let Some(out) = out_dir_of.get(dir) {
            let to = format!("{out}{}", file_name(&rel));
            lib.asset_by_rel.insert(rel, to.clone());
            lib.assets.push(Asset { from: abs, to });
        }
    }
}

/// Orders a section's pages: by `sort_by` in its `_index.md`, else newest first when
/// the pages have dates, else by weight and title.
fn sort_section(lib: &mut Library, si: usize) {
    let sort_by = lib.sections[si].doc.meta.sort_by.unwrap_or_else(|| {
        let pages = &lib.sections[si].pages;
        if !pages.is_empty() && pages.iter().all(|&p| lib.pages[p].doc.date.is_some()) {
            SortBy::Date
        } else {
            SortBy::Weight
        }
    });
    let pages = &lib.pages;
    let mut order = std::mem::take(&mut lib.sections[si].pages);
    order.sort_by(|&a, &b| {
        let (a, b) = (&pages[a].doc, &pages[b].doc);
        let by_title = a.title.cmp(&b.title).then(a.path.cmp(&b.path));
        match sort_by {
            SortBy::Date => b.date.cmp(&a.date).then(by_title),
            SortBy::Weight => a
                .meta
                .weight
                .unwrap_or(i64::MAX)
                .cmp(&b.meta.weight.unwrap_or(i64::MAX))
                .then(by_title),
            SortBy::Title => by_title,
        }
    });
    lib.sections[si].pages = order;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_heading_skips_code_and_custom_ids() {
        assert_eq!(
            first_heading("```\n# not\n```\n# 見出し {#x}\n").as_deref(),
            Some("見出し")
        );
        assert_eq!(first_heading("text only"), None);
        assert_eq!(first_heading("#hashtag\n# Real"), Some("Real".into()));
    }

    #[test]
    fn a_level_two_heading_is_never_the_title() {
        assert_eq!(first_heading("## 概要\n\n本文\n\n# 後の見出し\n"), None);
        assert_eq!(
            first_heading("前書き\n\n# タイトル\n\n## 概要\n").as_deref(),
            Some("タイトル")
        );
    }

    /// What a build reads of a library, in an order that does not depend on hashing.
    fn summary(lib: &Library, diags: Diagnostics) -> String {
        let doc =
            |d: &Document| format!("{} {} {} {:?}\n{}", d.rel, d.path, d.title, d.date, d.text);
        let mut out = String::new();
        for s in &lib.sections {
            out += &format!(
                "S {} {:?} {:?} {:?}\n{}\n",
                s.dir,
                s.parent,
                s.pages,
                s.subsections,
                doc(&s.doc)
            );
        }
        for p in &lib.pages {
            out += &format!(
                "P {} {} {}\n{}\n",
                p.kind.as_str(),
                p.section,
                p.slug,
                doc(&p.doc)
            );
        }
        let sorted = |m: &HashMap<String, Target>| {
            let mut v: Vec<_> = m.iter().map(|(k, t)| format!("{k}={t:?}")).collect();
            v.sort();
            v.join(" ")
        };
        out += &format!("{}\n{}\n", sorted(&lib.by_rel), sorted(&lib.by_path));
        out + &crate::diagnostics::render(
            &diags.into_sorted(),
            crate::diagnostics::Format::Human,
            false,
        )
    }

    #[test]
    fn a_kept_load_after_edits_equals_a_fresh_load() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let put = |rel: &str, text: &str| {
            let p = root.join("content").join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        };
        put("_index.md", "+++\ntitle = \"Home\"\n+++\nhome\n");
        put("docs/_index.md", "+++\ntitle = \"Docs\"\n+++\nintro\n");
        put("docs/a.md", "+++\ntitle = \"A\"\nweight = 2\n+++\nbody a\n");
        put("docs/b.md", "# B heading\n\nbody b\n");
        put(
            "docs/c.md",
            "+++\ntitle = \"C\"\nslug = \"a\"\n+++\nbody c\n",
        );
        put(
            "docs/d.md",
            "+++\ntitle = \"D\"\ndraft = true\n+++\nbody d\n",
        );
        put("docs/e.md", "+++\ntitle = \"E\"\n+++\nbody e\n");
        let config = SiteConfig::default();
        let kept = std::sync::Mutex::new(None);
        let opts = LoadOptions::default();
        let kept_load = |changed: &[&str]| {
            let changed: Vec<PathBuf> = changed
                .iter()
                .map(|c| Path::new("content").join(c))
                .collect();
            let diags = Diagnostics::default();
            let (lib, how) = load_kept(root, &config, opts.clone(), &diags, &kept, Some(&changed));
            (summary(&lib, diags), how)
        };
        let fresh = || {
            let diags = Diagnostics::default();
            let lib = load(root, &config, opts.clone(), &diags);
            summary(&lib, diags)
        };
        let (first, how) = kept_load(&[]);
        assert_eq!(how, Reread::All);
        assert_eq!(first, fresh());
        assert!(first.contains("duplicate-path"), "{first}");
        let (patched, assembled) = (Reread::InPlace(1), Reread::Changed(1));
        let edits: [(&str, &str, Reread); 8] = [
            // Body edits: patched in place.
            (
                "docs/a.md",
                "+++\ntitle = \"A\"\nweight = 2\n+++\nbody a, edited\n",
                patched,
            ),
            (
                "_index.md",
                "+++\ntitle = \"Home\"\n+++\nhome, edited\n",
                patched,
            ),
            (
                "docs/d.md",
                "+++\ntitle = \"D\"\ndraft = true\n+++\nbody d, edited\n",
                patched,
            ),
            // The page refused for its path: assembled again, the error told again.
            (
                "docs/c.md",
                "+++\ntitle = \"C\"\nslug = \"a\"\n+++\nbody c, edited\n",
                assembled,
            ),
            // The title from the first heading (the pages' order changes), front
            // matter: assembled again.
            ("docs/b.md", "# Z renamed\n\nbody b\n", assembled),
            (
                "docs/a.md",
                "+++\ntitle = \"A\"\nweight = 0\n+++\nbody a, edited\n",
                assembled,
            ),
            // A parse error, then its fix.
            ("docs/b.md", "+++\ntitle = \n+++\nbody b\n", assembled),
            ("docs/b.md", "# Z renamed\n\nbody b, fixed\n", assembled),
        ];
        for (rel, text, expected) in edits {
            put(rel, text);
            let (kept, how) = kept_load(&[rel]);
            assert_eq!(how, expected, "{rel}: {text:?}");
            assert_eq!(kept, fresh(), "after editing {rel} to {text:?}");
        }
    }

    #[test]
    fn ignored_names() {
        assert!(is_ignored(".git"));
        assert!(is_ignored("a.md~"));
        assert!(is_ignored("#a.md#"));
        assert!(!is_ignored("_index.md"));
    }
}
