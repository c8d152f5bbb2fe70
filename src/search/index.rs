//! The tantivy index: schema, the analyser as a tantivy tokenizer, writing every page
//! during `build` (into `.srekb/index/`, swapped in when complete), and queries with
//! phrase matching over bigrams, field boosts, a kind filter and escaped snippets.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{Token as TToken, TokenStream, Tokenizer};
use tantivy::{doc, Index, IndexWriter, TantivyDocument, Term};

use super::analyzer;
use crate::content::Library;

const TOKENIZER: &str = "srekb";

/// The shared analyser as a tantivy tokenizer.
#[derive(Clone, Default)]
pub struct SrekbTokenizer;

pub struct SrekbStream {
    tokens: Vec<TToken>,
    index: usize,
}

impl Tokenizer for SrekbTokenizer {
    type TokenStream<'a> = SrekbStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> SrekbStream {
        let tokens = analyzer::analyze(text)
            .into_iter()
            .map(|t| TToken {
                offset_from: t.from,
                offset_to: t.to,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        SrekbStream {
            tokens,
            index: usize::MAX,
        }
    }
}

impl TokenStream for SrekbStream {
    fn advance(&mut self) -> bool {
        self.index = self.index.wrapping_add(1);
        self.index < self.tokens.len()
    }
    fn token(&self) -> &TToken {
        &self.tokens[self.index]
    }
    fn token_mut(&mut self) -> &mut TToken {
        &mut self.tokens[self.index]
    }
}

struct Fields {
    title: Field,
    headings: Field,
    body: Field,
    kind: Field,
    url: Field,
    tags: Field,
    services: Field,
    severity: Field,
    date: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let idx = TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let o = TextOptions::default().set_indexing_options(idx);
        if stored {
            o.set_stored()
        } else {
            o
        }
    };
    let f = Fields {
        title: b.add_text_field("title", text(true)),
        headings: b.add_text_field("headings", text(false)),
        body: b.add_text_field("body", text(true)),
        kind: b.add_text_field("kind", STRING | STORED),
        url: b.add_text_field("url", STRING | STORED),
        tags: b.add_text_field("tags", text(true)),
        services: b.add_text_field("services", STRING | STORED),
        severity: b.add_text_field("severity", STRING | STORED),
        date: b.add_text_field("date", STORED),
    };
    (b.build(), f)
}

fn fields(schema: &Schema) -> Result<Fields> {
    let get = |n: &str| {
        schema
            .get_field(n)
            .with_context(|| format!("the index has no `{n}` field; rebuild it"))
    };
    Ok(Fields {
        title: get("title")?,
        headings: get("headings")?,
        body: get("body")?,
        kind: get("kind")?,
        url: get("url")?,
        tags: get("tags")?,
        services: get("services")?,
        severity: get("severity")?,
        date: get("date")?,
    })
}

pub fn index_dir(root: &Path) -> PathBuf {
    root.join(".srekb").join("index")
}

/// Adds `docs` to a new index and commits; returns the number of documents.
fn fill<'a>(
    index: &Index,
    f: &Fields,
    docs: impl IntoIterator<Item = super::SearchDoc<'a>>,
) -> Result<usize> {
    index.tokenizers().register(TOKENIZER, SrekbTokenizer);
    let mut writer: IndexWriter = index
        .writer_with_num_threads(1, 64_000_000)
        .context("opening the index writer")?;
    let mut n = 0;
    for sd in docs {
        let d = make_doc(f, sd);
        writer
            .add_document(d)
            .context("adding a document to the index")?;
        n += 1;
    }
    writer.commit().context("committing the index")?;
    writer.wait_merging_threads().context("merging the index")?;
    Ok(n)
}

/// `serve`'s index in memory: built once, then updated document by document when
/// an edit changes only a few (delete by URL, add, commit).
pub struct LiveIndex {
    index: Index,
    writer: IndexWriter,
    fields: Fields,
    docs: std::collections::HashMap<String, super::OwnedDoc>,
}

impl LiveIndex {
    pub fn new(docs: Vec<super::OwnedDoc>) -> Result<LiveIndex> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(TOKENIZER, SrekbTokenizer);
        let writer: IndexWriter = index
            .writer_with_num_threads(1, 32_000_000)
            .context("opening the index writer")?;
        let mut live = LiveIndex {
            index,
            writer,
            fields,
            docs: std::collections::HashMap::new(),
        };
        live.update(docs)?;
        Ok(live)
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Makes the index hold exactly `docs`, touching only what differs.
    pub fn update(&mut self, docs: Vec<super::OwnedDoc>) -> Result<usize> {
        let mut next: std::collections::HashMap<String, super::OwnedDoc> =
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
                self.writer
                    .add_document(make_doc(&self.fields, d.as_doc()))
                    .context("adding a document to the index")?;
                touched += 1;
            }
        }
        if touched > 0 {
            self.writer.commit().context("committing the index")?;
        }
        std::mem::swap(&mut self.docs, &mut next);
        Ok(touched)
    }
}

fn make_doc(f: &Fields, sd: super::SearchDoc<'_>) -> TantivyDocument {
    let mut d = doc!(
        f.title => sd.title,
        f.headings => sd.headings,
        f.body => sd.body,
        f.kind => sd.kind,
        f.url => sd.url,
    );
    for tag in sd.tags {
        d.add_text(f.tags, tag);
    }
    for s in sd.services {
        d.add_text(f.services, s);
    }
    if let Some(sev) = sd.severity {
        d.add_text(f.severity, sev);
    }
    if let Some(date) = sd.date {
        d.add_text(f.date, date);
    }
    d
}

/// An index in memory (for `serve`'s `/api/search`).
pub fn in_ram(docs: &[super::OwnedDoc]) -> Result<Index> {
    let (schema, f) = schema();
    let index = Index::create_in_ram(schema);
    fill(&index, &f, docs.iter().map(super::OwnedDoc::as_doc))?;
    Ok(index)
}

/// Writes the index of every page and section with content; returns the number of documents.
pub fn write(lib: &Library, root: &Path) -> Result<usize> {
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
    let (schema, f) = schema();
    let index = Index::create_in_dir(&staging, schema)
        .with_context(|| format!("creating the index in {}", staging.display()))?;
    let n = fill(&index, &f, super::documents(lib))?;
    drop(index);
    // Atomic, and safe against another build swapping its index in at the same time.
    crate::output::swap_in(&staging, &target)?;
    Ok(n)
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub title: String,
    pub url: String,
    pub kind: String,
    pub date: Option<String>,
    pub score: f32,
    /// Escaped text with matches in `<mark>`.
    pub snippet_html: String,
    /// The snippet's text and the byte ranges of its matches (for terminals).
    #[serde(skip)]
    pub snippet: String,
    #[serde(skip)]
    pub highlights: Vec<Range<usize>>,
}

/// Builds the query: every whitespace-separated part must match (title, headings,
/// tags or body, boosted in that order); a part of several tokens is a phrase.
fn build_query(f: &Fields, text: &str, kind: Option<&str>) -> Option<Box<dyn Query>> {
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for part in text.split_whitespace() {
        let tokens = analyzer::terms(part);
        if tokens.is_empty() {
            continue;
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in [
            (f.title, 4.0),
            (f.headings, 2.0),
            (f.tags, 2.0),
            (f.body, 1.0),
        ] {
            let q: Box<dyn Query> = if tokens.len() == 1 {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, &tokens[0]),
                    IndexRecordOption::WithFreqsAndPositions,
                ))
            } else {
                Box::new(PhraseQuery::new(
                    tokens
                        .iter()
                        .map(|t| Term::from_field_text(field, t))
                        .collect(),
                ))
            };
            should.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
        }
        must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
    }
    if must.is_empty() {
        return None;
    }
    if let Some(k) = kind {
        must.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(f.kind, k),
                IndexRecordOption::Basic,
            )),
        ));
    }
    Some(Box::new(BooleanQuery::new(must)))
}

/// Sorted ranges with overlapping ones joined (bigram matches overlap).
pub fn merge_ranges(ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::new();
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    for r in sorted {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Renders `text` escaped, with the (merged) ranges in `<mark>`.
pub fn highlight_html(text: &str, ranges: &[Range<usize>]) -> String {
    let merged = merge_ranges(ranges);
    let esc = crate::render::escape_html;
    let mut out = String::new();
    let mut at = 0;
    for r in &merged {
        if r.start < at || r.end > text.len() {
            continue;
        }
        out.push_str(&esc(&text[at..r.start]));
        out.push_str("<mark>");
        out.push_str(&esc(&text[r.start..r.end]));
        out.push_str("</mark>");
        at = r.end;
    }
    out.push_str(&esc(&text[at..]));
    out
}

/// Queries the index under `root`.
pub fn search(root: &Path, text: &str, kind: Option<&str>, limit: usize) -> Result<Vec<Hit>> {
    let dir = index_dir(root);
    if !dir.is_dir() {
        anyhow::bail!(
            "no search index at {}; run `srekb build` first",
            dir.display()
        );
    }
    let index = Index::open_in_dir(&dir)
        .with_context(|| format!("opening the index at {}", dir.display()))?;
    search_in(&index, text, kind, limit)
}

/// Queries an open index.
pub fn search_in(index: &Index, text: &str, kind: Option<&str>, limit: usize) -> Result<Vec<Hit>> {
    index.tokenizers().register(TOKENIZER, SrekbTokenizer);
    let f = fields(&index.schema())?;
    let Some(query) = build_query(&f, text, kind) else {
        return Ok(Vec::new());
    };
    let reader = index.reader().context("opening the index reader")?;
    let searcher = reader.searcher();
    let top = searcher
        .search(&*query, &TopDocs::with_limit(limit.max(1)).order_by_score())
        .context("searching")?;
    let mut gen =
        SnippetGenerator::create(&searcher, &*query, f.body).context("preparing snippets")?;
    gen.set_max_num_chars(160);
    let mut hits = Vec::new();
    for (score, addr) in top {
        let doc: TantivyDocument = searcher.doc(addr).context("reading a hit")?;
        let get = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let snip = gen.snippet_from_doc(&doc);
        let (snippet, highlights) = if snip.fragment().is_empty() {
            let body = get(f.body).unwrap_or_default();
            (body.chars().take(100).collect(), Vec::new())
        } else {
            (snip.fragment().to_string(), snip.highlighted().to_vec())
        };
        hits.push(Hit {
            title: get(f.title).unwrap_or_default(),
            url: get(f.url).unwrap_or_default(),
            kind: get(f.kind).unwrap_or_default(),
            date: get(f.date),
            score,
            snippet_html: highlight_html(&snippet, &highlights),
            snippet,
            highlights,
        });
    }
    let _ = (f.services, f.severity);
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_highlights_merge_and_escape() {
        let text = "<b>障害対応の流れ";
        let a = text.find("障害").unwrap();
        let html = highlight_html(text, &[a..a + 6, a + 3..a + 9, a + 6..a + 12]);
        assert_eq!(html, "&lt;b&gt;<mark>障害対応</mark>の流れ");
    }
}
