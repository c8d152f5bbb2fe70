//! The tantivy index: the analyser's index terms with their counts (title, headings,
//! tags, body; no positions), written by `build` into `.srekb/index/` (swapped in when
//! complete, kept as it is when nothing changed), and read as a [`engine::Source`] of
//! postings, so `srekb search` and `serve` answer with the same engine as the browser.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::postings::Postings as _;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, STORED, STRING,
};
use tantivy::tokenizer::{Token as TToken, TokenStream, Tokenizer};
use tantivy::{DocSet, Index, IndexWriter, Searcher, TantivyDocument, Term, TERMINATED};

use super::engine::{self, Facets, Filters, Postings, FIELDS};
use super::{analyzer, SearchDoc};

const TOKENIZER: &str = "srekb";
/// Bumped when the index's content changes meaning (an old index is rebuilt).
const FORMAT: u32 = 3;
const META: &str = "srekb-meta.json";

/// The shared analyser's index terms as a tantivy tokenizer.
#[derive(Clone, Default)]
pub struct SrekbTokenizer;

/// A text's index terms, all in one buffer, handed out through one reused token: no
/// allocation per term (a handbook-size build makes tens of millions of them).
pub struct SrekbStream {
    terms: String,
    ends: Vec<u32>,
    index: usize,
    token: TToken,
}

fn ttokens(text: &str) -> SrekbStream {
    let mut terms = String::with_capacity(text.len() * 2);
    let mut ends = Vec::with_capacity(text.len() / 2);
    analyzer::index_terms_into(text, &mut |t| {
        terms.push_str(t);
        ends.push(terms.len() as u32);
    });
    SrekbStream {
        terms,
        ends,
        index: usize::MAX,
        token: TToken::default(),
    }
}

impl Tokenizer for SrekbTokenizer {
    type TokenStream<'a> = SrekbStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> SrekbStream {
        ttokens(text)
    }
}

impl TokenStream for SrekbStream {
    fn advance(&mut self) -> bool {
        self.index = self.index.wrapping_add(1);
        let Some(&end) = self.ends.get(self.index) else {
            return false;
        };
        let start = match self.index {
            0 => 0,
            i => self.ends[i - 1] as usize,
        };
        self.token.text.clear();
        self.token.text.push_str(&self.terms[start..end as usize]);
        self.token.position = self.index;
        true
    }
    fn token(&self) -> &TToken {
        &self.token
    }
    fn token_mut(&mut self) -> &mut TToken {
        &mut self.token
    }
}

/// A build's tokenizer: the field text is the document's analysis as the browser
/// export made it ([`encode_analysed`]), so each page is analysed once per build.
/// Each term comes back as many times as it occurs: the index holds counts, not
/// positions, so it is the index [`SrekbTokenizer`] makes of the plain text.
#[derive(Clone, Default)]
struct PreAnalysedTokenizer;

struct PreAnalysedStream<'a> {
    lines: std::str::Lines<'a>,
    left: u32,
    token: TToken,
}

/// One field's terms with their counts, one `term<TAB>count` per line.
fn encode_analysed(a: &super::Analysed, field: usize) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for (term, counts) in &a.terms {
        if counts[field] > 0 {
            let _ = writeln!(s, "{term}\t{}", counts[field]);
        }
    }
    s
}

impl Tokenizer for PreAnalysedTokenizer {
    type TokenStream<'a> = PreAnalysedStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> PreAnalysedStream<'a> {
        PreAnalysedStream {
            lines: text.lines(),
            left: 0,
            token: TToken {
                position: usize::MAX,
                ..TToken::default()
            },
        }
    }
}

impl TokenStream for PreAnalysedStream<'_> {
    fn advance(&mut self) -> bool {
        while self.left == 0 {
            let Some(line) = self.lines.next() else {
                return false;
            };
            let Some((term, count)) = line.split_once('\t') else {
                continue;
            };
            self.left = count.parse().unwrap_or(0);
            self.token.text.clear();
            self.token.text.push_str(term);
        }
        self.left -= 1;
        self.token.position = self.token.position.wrapping_add(1);
        true
    }
    fn token(&self) -> &TToken {
        &self.token
    }
    fn token_mut(&mut self) -> &mut TToken {
        &mut self.token
    }
}

#[derive(Clone, Copy)]
struct Fields {
    text: [Field; FIELDS],
    title: Field,
    url: Field,
    kind: Field,
    date: Field,
    snippet: Field,
    chars: Field,
    key: Field,
}

const TEXT_FIELDS: [&str; FIELDS] = ["title", "headings", "tags", "body"];

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let idx = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqs);
    let text = TextOptions::default().set_indexing_options(idx);
    let f = Fields {
        text: TEXT_FIELDS.map(|n| b.add_text_field(n, text.clone())),
        title: b.add_text_field("t", STORED),
        url: b.add_text_field("u", STRING | STORED),
        kind: b.add_text_field("k", STORED),
        date: b.add_text_field("d", STORED),
        snippet: b.add_text_field("x", STORED),
        chars: b.add_u64_field("n", STORED),
        key: b.add_u64_field("key", FAST),
    };
    (b.build(), f)
}

fn fields(schema: &Schema) -> Result<Fields> {
    let get = |n: &str| {
        schema
            .get_field(n)
            .with_context(|| format!("the index has no `{n}` field; run `srekb build`"))
    };
    Ok(Fields {
        text: [get("title")?, get("headings")?, get("tags")?, get("body")?],
        title: get("t")?,
        url: get("u")?,
        kind: get("k")?,
        date: get("d")?,
        snippet: get("x")?,
        chars: get("n")?,
        key: get("key")?,
    })
}

pub fn index_dir(root: &Path) -> PathBuf {
    root.join(".srekb").join("index")
}

/// What the engine needs beside the postings: documents in id order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub format: u32,
    /// Hash of every document's searchable content (unchanged → index kept).
    pub hash: String,
    pub urls: Vec<String>,
    pub facets: Facets,
    /// Each document's [`doc_hash`], in id order: a build whose documents are the
    /// same, a few of them edited, updates only those in the index.
    #[serde(default)]
    pub doc_hashes: Vec<u64>,
}

impl Meta {
    pub fn new(docs: &[SearchDoc<'_>], hash: String) -> Meta {
        Meta {
            format: FORMAT,
            hash,
            urls: docs.iter().map(|d| d.url.clone()).collect(),
            facets: super::facets(docs),
            doc_hashes: Vec::new(),
        }
    }
}

/// FNV-1a over the documents' hashes in id order.
pub fn content_hash(doc_hashes: &[u64]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(FORMAT);
    for b in doc_hashes.iter().flat_map(|d| d.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Each document's [`doc_hash`], in parallel.
pub fn doc_hashes(docs: &[SearchDoc<'_>]) -> Vec<u64> {
    docs.par_iter().map(doc_hash).collect()
}

/// FNV-1a over every searchable field of a document.
pub fn doc_hash(d: &SearchDoc<'_>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(FORMAT);
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    {
        eat(d.kind);
        eat(d.title);
        eat(&d.headings);
        eat(d.body);
        for t in d.tags.iter().chain(&d.taxonomy_tags).chain(&d.services) {
            eat(t);
        }
        eat(d.severity.unwrap_or(""));
        eat(&d.url);
        eat(d.date.as_deref().unwrap_or(""));
    }
    h
}

/// The metadata of the index under `root`, if it is there and of this format.
pub fn read_meta(root: &Path) -> Option<Meta> {
    let bytes = fs::read(index_dir(root).join(META)).ok()?;
    serde_json::from_slice::<Meta>(&bytes)
        .ok()
        .filter(|m| m.format == FORMAT)
}

/// A document for tantivy with its four text fields as given: plain text for
/// [`SrekbTokenizer`] (`serve`) or encoded analyses for [`PreAnalysedTokenizer`] (a
/// build). Handing tantivy `PreTokenizedString`s instead costs more, since it
/// serialises them to JSON and parses them back.
fn make_doc(f: &Fields, d: &SearchDoc<'_>, texts: [&str; FIELDS], limit: usize) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    for (field, text) in f.text.iter().zip(texts) {
        doc.add_text(*field, text);
    }
    let (snippet, chars) = super::snippet_text(d.body, limit);
    doc.add_text(f.title, d.title);
    doc.add_text(f.url, &d.url);
    doc.add_text(f.kind, d.kind);
    if let Some(date) = &d.date {
        doc.add_text(f.date, date);
    }
    doc.add_text(f.snippet, snippet);
    doc.add_u64(f.chars, chars as u64);
    doc.add_u64(f.key, super::url_key(&d.url));
    doc
}

/// The plain-text fields of a document, for [`SrekbTokenizer`].
fn plain_doc(f: &Fields, d: &SearchDoc<'_>, limit: usize) -> TantivyDocument {
    let tags = d.tags.join("\n");
    make_doc(
        f,
        d,
        [d.title, d.headings.as_str(), tags.as_str(), d.body],
        limit,
    )
}

/// A build's writer indexes on one thread into one arena: a handbook-size site
/// (4,500 pages) then makes one segment, where two threads made four, each sorting
/// and writing its own copy of most of the term dictionary; the other core analyses
/// and writes the browser export meanwhile. `serve` keeps a thread per core.
const BUILD_ARENA: usize = 128_000_000;

fn open_writer(index: &Index, pre_analysed: bool) -> Result<IndexWriter> {
    if pre_analysed {
        index.tokenizers().register(TOKENIZER, PreAnalysedTokenizer);
        return index
            .writer_with_num_threads(1, BUILD_ARENA)
            .context("opening the index writer");
    }
    index.tokenizers().register(TOKENIZER, SrekbTokenizer);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    index
        .writer_with_num_threads(threads, 48_000_000 * threads)
        .context("opening the index writer")
}

/// A fresh staging directory beside the index (removing those of killed builds),
/// and the index directory.
fn staging_dir(root: &Path) -> Result<(PathBuf, PathBuf)> {
    let target = index_dir(root);
    let parent = target.parent().expect("has parent").to_path_buf();
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    // Staging directories of killed builds.
    if let Ok(entries) = fs::read_dir(&parent) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("index.staging-") {
                let alive = pid.parse::<u32>().is_ok_and(|p| {
                    p != std::process::id() && Path::new(&format!("/proc/{p}")).exists()
                });
                if !alive {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
    }
    let staging = parent.join(format!("index.staging-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
    }
    fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    Ok((staging, target))
}

/// The index being written by a build, in a staging directory until [`Staged::swap_in`].
pub struct Writer {
    staging: PathBuf,
    target: PathBuf,
    writer: IndexWriter,
    fields: Fields,
    limit: usize,
}

impl Writer {
    /// `limit`: characters of each body kept for snippets.
    pub fn new(root: &Path, limit: usize) -> Result<Writer> {
        let (staging, target) = staging_dir(root)?;
        let (schema, fields) = schema();
        let index = Index::create_in_dir(&staging, schema)
            .with_context(|| format!("creating the index in {}", staging.display()))?;
        let writer = open_writer(&index, true)?;
        // A build writes the index once: no background merges (a query reads every
        // segment), which spared most of the step's disk writes.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        Ok(Writer {
            staging,
            target,
            writer,
            fields,
            limit,
        })
    }

    /// A copy of the current index (hard links: tantivy never changes a file it has
    /// written, and srekb's metadata is not linked but written anew) without the
    /// documents at `stale` URLs, which the caller adds again as they are now.
    /// Small segments of such updates are merged by tantivy's default policy.
    pub fn update(root: &Path, limit: usize, stale: &[&str]) -> Result<Writer> {
        let (staging, target) = staging_dir(root)?;
        for e in fs::read_dir(&target).with_context(|| format!("reading {}", target.display()))? {
            let e = e.with_context(|| format!("reading {}", target.display()))?;
            let name = e.file_name().to_string_lossy().into_owned();
            // Lock files are the writer's own; the metadata is written by `finish`.
            if name == META || name.starts_with(".tantivy") || !e.file_type()?.is_file() {
                continue;
            }
            let to = staging.join(&name);
            fs::hard_link(e.path(), &to)
                .or_else(|_| fs::copy(e.path(), &to).map(|_| ()))
                .with_context(|| format!("linking {} to {}", e.path().display(), to.display()))?;
        }
        let index = Index::open_in_dir(&staging)
            .with_context(|| format!("opening the index in {}", staging.display()))?;
        let fields = fields(&index.schema())?;
        let writer = open_writer(&index, true)?;
        for url in stale {
            writer.delete_term(Term::from_field_text(fields.url, url));
        }
        Ok(Writer {
            staging,
            target,
            writer,
            fields,
            limit,
        })
    }

    /// Adds a document with its analysis (the browser export's).
    pub fn add(&self, d: &SearchDoc<'_>, a: &super::Analysed) -> Result<()> {
        let texts: [String; FIELDS] = std::array::from_fn(|f| encode_analysed(a, f));
        let texts = std::array::from_fn(|f| texts[f].as_str());
        self.writer
            .add_document(make_doc(&self.fields, d, texts, self.limit))
            .context("adding a document to the index")?;
        Ok(())
    }

    /// Commits and writes the metadata; the index is swapped in later.
    pub fn finish(mut self, meta: &Meta) -> Result<Staged> {
        self.writer.commit().context("committing the index")?;
        self.writer
            .wait_merging_threads()
            .context("merging the index")?;
        let path = self.staging.join(META);
        fs::write(&path, crate::output::json_bytes(meta, false)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Staged {
            staging: self.staging,
            target: self.target,
        })
    }
}

/// A complete index waiting for the build's output to be committed.
pub struct Staged {
    staging: PathBuf,
    target: PathBuf,
}

impl Staged {
    pub fn swap_in(self) -> Result<()> {
        // Atomic, and safe against another build swapping its index in at the same time.
        crate::output::swap_in(&self.staging, &self.target)
    }
}

/// An index with its metadata, ready to query.
#[derive(Clone)]
pub struct Searchable {
    pub index: Index,
    pub meta: Arc<Meta>,
}

/// `serve`'s index in memory: built once, then updated document by document when
/// an edit changes only a few (delete by URL, add, commit).
pub struct LiveIndex {
    index: Index,
    writer: IndexWriter,
    fields: Fields,
    docs: HashMap<String, super::OwnedDoc>,
    meta: Arc<Meta>,
}

impl LiveIndex {
    pub fn new(docs: Vec<super::OwnedDoc>) -> Result<LiveIndex> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let writer = open_writer(&index, false)?;
        // An edit commits a segment of one or two documents; merging them in the
        // background re-indexed whole segments on the cores the next rebuild needs.
        // Queries read the few small segments an editing session adds.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let mut live = LiveIndex {
            index,
            writer,
            fields,
            docs: HashMap::new(),
            meta: Arc::new(Meta::default()),
        };
        live.update(docs)?;
        Ok(live)
    }

    pub fn searchable(&self) -> Searchable {
        Searchable {
            index: self.index.clone(),
            meta: self.meta.clone(),
        }
    }

    /// Makes the index hold exactly `docs`, touching only what differs.
    pub fn update(&mut self, docs: Vec<super::OwnedDoc>) -> Result<usize> {
        let limit = super::snippet_limit(docs.len());
        let mut next: HashMap<String, super::OwnedDoc> =
            docs.into_iter().map(|d| (d.url.clone(), d)).collect();
        let mut touched = 0;
        for url in self.docs.keys() {
            if next.get(url) != self.docs.get(url) {
                self.writer
                    .delete_term(Term::from_field_text(self.fields.url, url));
                touched += 1;
            }
        }
        for (url, d) in &next {
            if self.docs.get(url) != Some(d) {
                self.add(d, limit)?;
                touched += 1;
            }
        }
        std::mem::swap(&mut self.docs, &mut next);
        self.commit(touched)?;
        self.refresh_meta();
        Ok(touched)
    }

    /// Replaces the documents at the URLs of `docs` (a rebuild that changed only
    /// these; the others and the number of documents stay as they are).
    pub fn update_changed(&mut self, docs: Vec<super::OwnedDoc>) -> Result<usize> {
        let limit = super::snippet_limit(self.docs.len());
        let mut touched = 0;
        for d in docs {
            if self.docs.get(&d.url) == Some(&d) {
                continue;
            }
            if self.docs.contains_key(&d.url) {
                self.writer
                    .delete_term(Term::from_field_text(self.fields.url, &d.url));
            }
            self.add(&d, limit)?;
            self.docs.insert(d.url.clone(), d);
            touched += 1;
        }
        self.commit(touched)?;
        if touched > 0 {
            self.refresh_meta();
        }
        Ok(touched)
    }

    /// Applies what a build reported.
    pub fn apply(&mut self, update: Update) -> Result<usize> {
        match update {
            Update::All(docs) => self.update(docs),
            Update::Changed(docs) => self.update_changed(docs),
        }
    }

    fn add(&mut self, d: &super::OwnedDoc, limit: usize) -> Result<()> {
        let sd = d.as_doc();
        self.writer
            .add_document(plain_doc(&self.fields, &sd, limit))
            .context("adding a document to the index")?;
        Ok(())
    }

    fn commit(&mut self, touched: usize) -> Result<()> {
        if touched > 0 {
            self.writer.commit().context("committing the index")?;
        }
        Ok(())
    }

    /// The URLs and facets of the documents now held.
    fn refresh_meta(&mut self) {
        let mut all: Vec<SearchDoc<'_>> = self.docs.values().map(|d| d.as_doc()).collect();
        super::order(&mut all);
        self.meta = Arc::new(Meta::new(&all, String::new()));
    }
}

/// The documents a build hands to the live index.
#[derive(Debug)]
pub enum Update {
    /// Every searchable document of the site.
    All(Vec<super::OwnedDoc>),
    /// Only the documents a scoped rebuild changed; the rest are as they were.
    Changed(Vec<super::OwnedDoc>),
}

impl Update {
    /// Updates sent one after another, to apply in order: those before the last
    /// `All` are left out, as it replaces what they did.
    pub fn merge(updates: Vec<Update>) -> Vec<Update> {
        let last_all = updates.iter().rposition(|u| matches!(u, Update::All(_)));
        updates.into_iter().skip(last_all.unwrap_or(0)).collect()
    }
}

/// Postings read from tantivy, by global document id.
struct TantivySource<'a> {
    searcher: &'a Searcher,
    fields: Fields,
    /// Per segment: segment document → global id (`u32::MAX`: deleted or unknown).
    ids: Vec<Vec<u32>>,
    cache: HashMap<String, Rc<Postings>>,
}

impl engine::Source for TantivySource<'_> {
    fn postings(&mut self, term: &str) -> Result<Rc<Postings>> {
        if let Some(p) = self.cache.get(term) {
            return Ok(p.clone());
        }
        let mut out = Postings::new();
        for (s, seg) in self.searcher.segment_readers().iter().enumerate() {
            for (f, field) in self.fields.text.iter().enumerate() {
                let inv = seg.inverted_index(*field)?;
                let t = Term::from_field_text(*field, term);
                let Some(mut p) = inv.read_postings(&t, IndexRecordOption::WithFreqs)? else {
                    continue;
                };
                let mut doc = p.doc();
                while doc != TERMINATED {
                    let id = self.ids[s][doc as usize];
                    if id != u32::MAX {
                        out.entry(id).or_default()[f] = p.term_freq();
                    }
                    doc = p.advance();
                }
            }
        }
        let p = Rc::new(out);
        self.cache.insert(term.to_string(), p.clone());
        Ok(p)
    }

    fn prefixed(&mut self, prefix: &str) -> Result<Vec<String>> {
        let mut upper = prefix.as_bytes().to_vec();
        upper.push(0xff);
        let mut found = BTreeSet::new();
        for seg in self.searcher.segment_readers() {
            for field in self.fields.text {
                let inv = seg.inverted_index(field)?;
                let mut stream = inv.terms().range().ge(prefix).lt(&upper).into_stream()?;
                while stream.advance() {
                    if let Ok(s) = std::str::from_utf8(stream.key()) {
                        if s.starts_with(prefix) {
                            found.insert(s.to_string());
                        }
                    }
                }
            }
        }
        Ok(found.into_iter().collect())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub title: String,
    pub url: String,
    pub kind: String,
    pub date: Option<String>,
    /// The engine's score (rounded to thousandths, as compared across surfaces).
    pub score: f32,
    /// Escaped text with matches in `<mark>`.
    pub snippet_html: String,
    /// The document's id (kind, then URL order), as in the browser's index.
    pub id: u32,
    /// Hits of the query in all (the same on every hit).
    pub total: usize,
    /// The snippet's text and the byte ranges of its matches (for terminals).
    #[serde(skip)]
    pub snippet: String,
    #[serde(skip)]
    pub highlights: Vec<Range<usize>>,
}

/// A query's answer: the first hits, the exact count and the facet counts.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub counts: engine::Counts,
}

/// Opens the index under `root`.
pub fn open(root: &Path) -> Result<Searchable> {
    let dir = index_dir(root);
    let meta = read_meta(root);
    if !dir.is_dir() || meta.is_none() {
        anyhow::bail!(
            "no search index at {} (or one from an older srekb); run `srekb build` first",
            dir.display()
        );
    }
    let index = Index::open_in_dir(&dir)
        .with_context(|| format!("opening the index at {}", dir.display()))?;
    Ok(Searchable {
        index,
        meta: Arc::new(meta.unwrap_or_default()),
    })
}

/// Queries the index under `root`.
pub fn search(root: &Path, text: &str, filters: &Filters, limit: usize) -> Result<Found> {
    search_in(&open(root)?, text, filters, limit)
}

/// Queries an open index.
pub fn search_in(s: &Searchable, text: &str, filters: &Filters, limit: usize) -> Result<Found> {
    s.index.tokenizers().register(TOKENIZER, SrekbTokenizer);
    let f = fields(&s.index.schema())?;
    let reader = s.index.reader().context("opening the index reader")?;
    let searcher = reader.searcher();
    let by_key: HashMap<u64, u32> = s
        .meta
        .urls
        .iter()
        .enumerate()
        .map(|(i, u)| (super::url_key(u), i as u32))
        .collect();
    let mut ids = Vec::new();
    let mut where_is: HashMap<u32, (usize, u32)> = HashMap::new();
    for (si, seg) in searcher.segment_readers().iter().enumerate() {
        let keys = seg.fast_fields().u64("key")?;
        let alive = seg.alive_bitset();
        let mut v = vec![u32::MAX; seg.max_doc() as usize];
        for (doc, slot) in v.iter_mut().enumerate() {
            let doc = doc as u32;
            if alive.is_some_and(|a| !a.is_alive(doc)) {
                continue;
            }
            if let Some(id) = keys.first(doc).and_then(|k| by_key.get(&k)) {
                *slot = *id;
                where_is.insert(*id, (si, doc));
            }
        }
        ids.push(v);
    }
    let mut src = TantivySource {
        searcher: &searcher,
        fields: f,
        ids,
        cache: HashMap::new(),
    };
    let results = engine::search(&mut src, &s.meta.facets, text, filters)?;
    let total = results.hits.len();
    let mut hits = Vec::new();
    for &(id, score) in results.hits.iter().take(limit) {
        let Some(&(si, doc)) = where_is.get(&id) else {
            continue;
        };
        let d: TantivyDocument = searcher
            .doc(tantivy::DocAddress::new(si as u32, doc))
            .context("reading a hit")?;
        let get = |field: Field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let body = get(f.snippet).unwrap_or_default();
        let chars = d.get_first(f.chars).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
        let snip = engine::snippet(&body, chars, &results.words);
        let mut snippet = String::new();
        let mut highlights = Vec::new();
        for (text, marked) in &snip.pieces {
            if *marked {
                highlights.push(snippet.len()..snippet.len() + text.len());
            }
            snippet.push_str(text);
        }
        hits.push(Hit {
            title: get(f.title).unwrap_or_default(),
            url: get(f.url).unwrap_or_default(),
            kind: get(f.kind).unwrap_or_default(),
            date: get(f.date),
            score: score as f32 / 1000.0,
            snippet_html: snip.html(),
            id,
            total,
            snippet,
            highlights,
        });
    }
    Ok(Found {
        total,
        hits,
        counts: results.counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms<T: Tokenizer>(mut t: T, text: &str) -> Vec<String> {
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out.sort();
        out
    }

    #[test]
    fn a_build_indexes_the_terms_and_counts_of_the_plain_text() {
        let tags = ["postgres", "レプリカ"];
        let d = SearchDoc {
            kind: "runbook",
            title: "レプリケーション遅延 ReplicationLagHigh",
            headings: "対応手順\n確認".into(),
            body: "レプリカの遅延が続く。遅延、遅延、また遅延。pg_stat_replication を見る。",
            tags: tags.to_vec(),
            ..SearchDoc::default()
        };
        let a = super::super::analyse(&d);
        let tags = d.tags.join("\n");
        for (f, text) in [d.title, &d.headings, &tags, d.body]
            .into_iter()
            .enumerate()
        {
            let plain = terms(SrekbTokenizer, text);
            assert!(!plain.is_empty());
            assert_eq!(terms(PreAnalysedTokenizer, &encode_analysed(&a, f)), plain);
        }
    }
}
