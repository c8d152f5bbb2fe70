//! The content model: every markdown file becomes a [`Page`] or the index of a
//! [`Section`]; together with the other files they form the [`Library`].

pub mod cache_key;
pub mod frontmatter;
pub mod load;
pub mod rendered;
pub mod slug;
pub mod yaml;

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

pub(crate) use crate::date;
pub use date::Date;
pub use frontmatter::FrontMatter;
pub use rendered::Rendered;

use crate::diagnostics::Span;

/// What a page is, by the name of its kind (`kind = "postmortem"`): decides its
/// template, its checks and its derived data. The content model knows no kind; the
/// names are resolved by the registry in `crate::kinds`, and every name that is not
/// registered is reported there and built as a plain page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(&'static str);

impl Kind {
    /// A plain page: no structure beyond markdown.
    pub const PAGE: Kind = Kind("page");

    /// A kind with a name known at compile time (a registered kind's `KIND`).
    pub const fn named(name: &'static str) -> Kind {
        Kind(name)
    }

    /// The kind for a name read from input; each distinct name is stored once.
    pub fn intern(name: &str) -> Kind {
        static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
        let mut names = NAMES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = names.iter().find(|n| **n == name) {
            return Kind(n);
        }
        let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
        names.push(leaked);
        Kind(leaked)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Kind::intern(&name))
    }
}

/// What a kind derived from a page (a postmortem's timeline, a runbook's alerts),
/// stored on the page without the content model knowing its type. Implement it with
/// [`kind_data_basics!`] for a `Clone + Serialize` struct; read it back with
/// [`Page::data`].
pub trait KindData: Any + Send + Sync + std::fmt::Debug {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn clone_box(&self) -> Box<dyn KindData>;
    /// The data as templates see it (`page.data`).
    fn to_value(&self) -> serde_json::Value;
    /// What a list of pages shows of this page (`page.pm` in list templates), if
    /// anything.
    fn list_summary(&self, _doc: &Document) -> Option<serde_json::Value> {
        None
    }
}

/// The four [`KindData`] methods every `Clone + Serialize + 'static` type shares.
#[macro_export]
macro_rules! kind_data_basics {
    () => {
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
            self
        }
        fn clone_box(&self) -> Box<dyn $crate::content::KindData> {
            Box::new(self.clone())
        }
        fn to_value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    };
}

impl Clone for Box<dyn KindData> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

impl Serialize for dyn KindData {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

/// Body ranges that a kind renders itself (a timeline table becomes a timeline).
pub type Replacements = Vec<(std::ops::Range<usize>, String)>;

/// Where the front matter sits in the file, to locate keys in diagnostics.
#[derive(Debug, Clone)]
pub struct FmLocation {
    pub format: frontmatter::Format,
    pub start: usize,
    pub end: usize,
    pub raw_line: usize,
}

/// One markdown file: its text, front matter and (after the markdown step) its HTML.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path shown in diagnostics (relative to the site root when possible).
    pub source: PathBuf,
    /// Path relative to `content/`, `/`-separated (`postmortems/db.md`); empty for
    /// synthesized sections.
    pub rel: String,
    pub text: std::sync::Arc<str>,
    /// Hash of `text`, taken when it was read: cache keys use it rather than hash
    /// the text again on every build.
    pub text_key: blake3::Hash,
    pub fm: FmLocation,
    pub body_start: usize,
    pub body_line: usize,
    pub meta: std::sync::Arc<FrontMatter>,
    pub title: String,
    pub date: Option<Date>,
    pub updated: Option<Date>,
    /// Taxonomy name → terms, as written.
    pub taxonomies: Arc<BTreeMap<String, Vec<String>>>,
    /// Site path without leading slash, always ending in `/` (or empty for the home page).
    pub path: String,
    /// The body as the import stage rewrote it (other tools' syntax made CommonMark,
    /// line for line); `None` when nothing needed rewriting.
    pub imported: Option<Box<ImportedBody>>,
    pub rendered: Rendered,
}

/// A body rewritten by the import stage. Lines are kept, so line numbers agree with
/// the original file; columns are mapped back by [`Document::body_span`].
#[derive(Debug, Clone, Default)]
pub struct ImportedBody {
    pub body: String,
    /// Byte offset (in `body`) of a callout's first line → its title.
    pub callout_titles: BTreeMap<usize, String>,
}

impl Document {
    /// The body every stage after import reads: the rewritten body if there is one.
    pub fn body(&self) -> &str {
        self.imported
            .as_ref()
            .map_or(&self.text[self.body_start..], |i| i.body.as_str())
    }

    /// The body as the author wrote it.
    pub fn original_body(&self) -> &str {
        &self.text[self.body_start..]
    }

    /// Where byte `offset` of [`Document::body`] is in the original file. The
    /// import rewrite keeps lines, so the line is exact; within a rewritten line the
    /// column is counted from the line's end (rewrites change line starts, such as
    /// `!!! note` → `> [!NOTE]`), or is the line's first column when the offset falls
    /// in rewritten text.
    pub fn body_span(&self, offset: usize) -> Span {
        let Some(imp) = &self.imported else {
            return Span::from_offset(&self.text, self.body_start + offset);
        };
        let at = Span::from_offset(&imp.body, offset);
        let line_no = self.body_line + at.line;
        let rew_line = imp.body.split('\n').nth(at.line - 1).unwrap_or("");
        let orig_line = self
            .original_body()
            .split('\n')
            .nth(at.line - 1)
            .unwrap_or("");
        if rew_line == orig_line {
            return Span::new(line_no, at.col);
        }
        let rew_chars = rew_line.chars().count();
        let from_end = rew_chars.saturating_sub(at.col - 1);
        let common = rew_line
            .chars()
            .rev()
            .zip(orig_line.chars().rev())
            .take_while(|(a, b)| a == b)
            .count();
        let col = if from_end <= common {
            orig_line.chars().count() - from_end + 1
        } else {
            1
        };
        Span::new(line_no, col)
    }

    /// Where front matter `key` is written.
    pub fn key_span(&self, key: &str) -> Span {
        if self.fm.format == frontmatter::Format::None {
            return Span::new(1, 1);
        }
        Span::find_key(&self.text[self.fm.start..self.fm.end], key).shifted(self.fm.raw_line)
    }

    /// A section with no index file still needs a document for its title and path.
    pub fn synthesized(rel_dir: &str, title: String, path: String) -> Document {
        Document {
            source: PathBuf::from("content").join(rel_dir),
            rel: String::new(),
            text: "".into(),
            text_key: blake3::hash(b""),
            fm: FmLocation {
                format: frontmatter::Format::None,
                start: 0,
                end: 0,
                raw_line: 0,
            },
            body_start: 0,
            body_line: 0,
            meta: Default::default(),
            title,
            date: None,
            updated: None,
            taxonomies: Default::default(),
            path,
            imported: None,
            rendered: Rendered::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Page {
    pub doc: Document,
    pub kind: Kind,
    pub section: usize,
    pub slug: String,
    /// Structure and derived data of the page's kind (filled by the kinds step);
    /// shared with `serve`'s kept analysis until a link pass changes it.
    pub data: Option<Arc<dyn KindData>>,
    /// Body ranges the kind renders itself.
    pub replacements: Replacements,
}

impl Page {
    /// The kind's data, when the page has data of type `T`
    /// (`page.data::<Postmortem>()`).
    pub fn data<T: 'static>(&self) -> Option<&T> {
        self.data.as_deref()?.as_any().downcast_ref()
    }

    pub fn data_mut<T: 'static>(&mut self) -> Option<&mut T> {
        data_mut(&mut self.data)
    }
}

/// A page's kind data (`page.data`) to change, when it is of type `T`: copied
/// first if it is shared.
pub fn data_mut<T: 'static>(data: &mut Option<Arc<dyn KindData>>) -> Option<&mut T> {
    let d = data.as_mut()?;
    if !d.as_any().is::<T>() {
        return None;
    }
    if Arc::get_mut(d).is_none() {
        *d = Arc::from(d.clone_box());
    }
    Arc::get_mut(d)?.as_any_mut().downcast_mut()
}

#[derive(Debug, Clone)]
pub struct Section {
    pub doc: Document,
    /// Directory relative to `content/` (`""` for the root).
    pub dir: String,
    pub kind: Kind,
    pub parent: Option<usize>,
    pub pages: Vec<usize>,
    pub subsections: Vec<usize>,
    pub has_index_file: bool,
}

/// A link target found by its source path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    Page(usize),
    Section(usize),
}

/// A non-markdown file under `content/`, copied next to its page.
#[derive(Debug, Clone, Hash)]
pub struct Asset {
    pub from: PathBuf,
    /// Output path relative to the site root.
    pub to: String,
}

/// Everything under `content/`, loaded and cross-referenced.
#[derive(Debug, Default, Clone)]
pub struct Library {
    pub pages: Vec<Page>,
    pub sections: Vec<Section>,
    pub assets: Vec<Asset>,
    /// Data files consumed by kinds (e.g. `maturity/model.toml`), by path relative to content/.
    pub data_files: BTreeMap<String, PathBuf>,
    /// `rel` of every markdown file (and of section directories) → what it became.
    pub by_rel: HashMap<String, Target>,
    /// Every other file by path relative to content/ → its output path (empty when
    /// it is not published), so relative links to images and files can be checked.
    pub asset_by_rel: HashMap<String, String>,
    /// Site path → target, for absolute links such as `/runbooks/db/`.
    pub by_path: HashMap<String, Target>,
    /// Site-wide state a kind prepared before analysing pages (the maturity model),
    /// by kind name; read with [`Library::state`].
    pub kind_state: BTreeMap<&'static str, Arc<dyn Any + Send + Sync>>,
}

impl Library {
    /// The state kind `kind` prepared, if it is of type `T`.
    pub fn state<T: 'static>(&self, kind: Kind) -> Option<&T> {
        self.kind_state.get(kind.as_str())?.downcast_ref()
    }

    pub fn doc(&self, t: Target) -> &Document {
        match t {
            Target::Page(i) => &self.pages[i].doc,
            Target::Section(i) => &self.sections[i].doc,
        }
    }

    pub fn doc_mut(&mut self, t: Target) -> &mut Document {
        match t {
            Target::Page(i) => &mut self.pages[i].doc,
            Target::Section(i) => &mut self.sections[i].doc,
        }
    }

    /// All documents (sections first), for steps that treat them alike.
    pub fn targets(&self) -> impl Iterator<Item = Target> + '_ {
        (0..self.sections.len())
            .map(Target::Section)
            .chain((0..self.pages.len()).map(Target::Page))
    }

    pub fn root(&self) -> usize {
        0
    }

    pub fn count_by_kind(&self) -> BTreeMap<Kind, usize> {
        let mut m = BTreeMap::new();
        for p in &self.pages {
            *m.entry(p.kind).or_default() += 1;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Serialize)]
    struct Count(u32);

    impl KindData for Count {
        crate::kind_data_basics!();
    }

    #[test]
    fn changing_shared_kind_data_leaves_the_other_holders_alone() {
        let kept: Arc<dyn KindData> = Arc::new(Count(1));
        let mut data = Some(kept.clone());
        assert!(data_mut::<String>(&mut data).is_none(), "another type");
        assert!(
            Arc::ptr_eq(data.as_ref().unwrap(), &kept),
            "not copied for it"
        );
        data_mut::<Count>(&mut data).unwrap().0 = 2;
        let read = |d: &Arc<dyn KindData>| d.as_any().downcast_ref::<Count>().unwrap().0;
        assert_eq!((read(&kept), read(data.as_ref().unwrap())), (1, 2));
        // Held once: changed in place.
        let before = Arc::as_ptr(data.as_ref().unwrap());
        data_mut::<Count>(&mut data).unwrap().0 = 3;
        assert_eq!(Arc::as_ptr(data.as_ref().unwrap()), before);
        assert_eq!(read(data.as_ref().unwrap()), 3);
    }
}
