//! The browser's static index: the same analysed documents as the tantivy index,
//! written as script files under `search/` (scripts, not JSON fetched with XHR, so the
//! search also works from `file://`), every name but the manifest content-hashed:
//!
//! - `search/meta.js`: document count, shard count, kind → id range, the hashes of
//!   every other file, docs per pack;
//! - `search/s/<k>.<hash>.js`: the terms whose key ([`shard_key`]: the first two
//!   characters of a Japanese term, three of a Latin one) hashes (FNV-1a) to shard `k`
//!   modulo the shard count (so the terms a prefix lookup reads are in one shard):
//!   one line per term in term order, `<characters shared with the previous term>
//!   <the rest of the term>\t<postings>`, the postings complete: per document the id
//!   delta, a field mask (0: once in the body, the commonest case), then per field the
//!   count, as base-44 varints written with the 88 printable ASCII letters of
//!   [`DIGITS`] (a letter's value % 44 is the payload, least significant first, and a
//!   value ≥ 44 means more follow);
//! - `search/d/<p>.<hash>.js`: title, URL, kind, date and the first
//!   [`super::snippet_limit`] characters of the body of the documents of pack `p`;
//! - `search/f.<hash>.js`: the facets (kind, services, tags of every document).
//!
//! Shards and packs hold their JSON compressed ([`packed`]: raw deflate, written in
//! the 85 letters of [`B85`]), which search.js inflates with the browser's own
//! `DecompressionStream`: a third of the bytes, still a plain script.

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use anyhow::Result;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

#[cfg(test)]
use super::engine::FIELDS;
use super::{Analysed, SearchDoc};
use crate::output::Output;

mod update;
pub use update::{update, Saved, SavedFile, SavedShard, FORMAT};

pub const DIR: &str = "search";

/// Whether `rel` is named like a file of the browser export ([`Exporter::write`]),
/// which every build writes whole: `search/meta.js`, `search/f.<hash>.js` and
/// `search/{s,d}/<n>.<hash>.js`.
pub fn is_export(rel: &str) -> bool {
    let Some(r) = rel.strip_prefix(DIR).and_then(|r| r.strip_prefix('/')) else {
        return false;
    };
    let name = match r.split_once('/') {
        Some(("s" | "d", name)) => name,
        Some(_) => return false,
        None if r == "meta.js" => return true,
        None => match r.strip_prefix("f.") {
            Some(name) => name,
            None => return false,
        },
    };
    !name.contains('/') && name.ends_with(".js")
}

/// The shard size aimed for, in bytes before packing (about 12 KB packed), and the
/// most shards: three fifths of the files, which balances the bytes of a query's
/// shards (two or three) with those of its hits' packs (up to ten).
const SHARD_BYTES: usize = 30_000;
const MAX_SHARDS: usize = MAX_FILES * 3 / 5;
/// Most files of the index (meta, facets, the shards, the packs): the packs take
/// what the shards leave, so the fewer documents a pack holds, the fewer bytes the
/// ten hits shown load. A pack holds at least one document.
const MAX_FILES: usize = 1_500;
/// Characters of a Latin term, and of a Japanese one, that choose its shard.
pub const SHARD_KEY_CHARS: usize = 3;
pub const SHARD_KEY_CJK_CHARS: usize = 2;

/// The letters of file-name hashes.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// The letters of posting varints (search.js has the same string): printable ASCII
/// but for `"`, `'`, `\`, `` ` ``, `<` and `>`.
pub const DIGITS: &[u8; 88] =
    b"!#$%&()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~";
/// The payload values of one letter; the letters from `BASE` on mean more follow.
const BASE: u32 = 44;
/// The letters of packed payloads (search.js has the same string): the first 85
/// of [`DIGITS`].
pub const B85: &[u8; 85] =
    b"!#$%&()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{";

/// `bytes` deflated (raw, no header) and written in base 85: four bytes as five
/// letters, most significant first; a last group of `n < 4` bytes as `n + 1` letters.
pub fn packed(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = z.write_all(bytes);
    b85(&z.finish().unwrap_or_default())
}

fn b85(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() * 5 / 4 + 5);
    for group in raw.chunks(4) {
        let mut b = [0u8; 4];
        b[..group.len()].copy_from_slice(group);
        let mut v = u32::from_be_bytes(b);
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = B85[(v % 85) as usize];
            v /= 85;
        }
        for &d in &digits[..group.len() + 1] {
            out.push(d as char);
        }
    }
    out
}

/// The inverse of [`packed`] (tests read the export with it).
#[cfg(test)]
pub fn unpacked(text: &str) -> Vec<u8> {
    use std::io::Read;
    let raw = unb85(text);
    let mut out = Vec::new();
    let _ = flate2::read::DeflateDecoder::new(&raw[..]).read_to_end(&mut out);
    out
}

#[cfg(test)]
fn unb85(text: &str) -> Vec<u8> {
    let value = |c: u8| B85.iter().position(|&d| d == c).unwrap_or(0) as u32;
    let mut raw = Vec::new();
    for group in text.as_bytes().chunks(5) {
        let mut v: u32 = 0;
        for i in 0..5 {
            v = v
                .wrapping_mul(85)
                .wrapping_add(group.get(i).map_or(84, |&c| value(c)));
        }
        raw.extend_from_slice(&v.to_be_bytes()[..group.len() - 1]);
    }
    raw
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub docs: usize,
    pub terms: usize,
    pub shards: usize,
    pub files: usize,
    pub bytes: u64,
    /// Documents analysed by this build (the others' terms came from the cache).
    pub analysed: usize,
    /// Shard and pack files kept from the previous output.
    pub kept: usize,
}

/// FNV-1a over the UTF-8 bytes (search.js computes the same).
pub fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The shard key of a term: its first two characters when it is Japanese (so the
/// terms a two-character word starts share a shard), else its first three (the
/// shortest Latin prefix looked up).
pub fn shard_key(term: &str) -> &str {
    let cjk = term
        .chars()
        .next()
        .is_some_and(|c| super::analyzer::class(c) == super::analyzer::Class::Cjk);
    let n = if cjk {
        SHARD_KEY_CJK_CHARS
    } else {
        SHARD_KEY_CHARS
    };
    match term.char_indices().nth(n) {
        Some((i, _)) => &term[..i],
        None => term,
    }
}

fn varint(out: &mut String, mut v: u32) {
    loop {
        let d = (v % BASE) as usize;
        v /= BASE;
        if v > 0 {
            out.push(DIGITS[BASE as usize + d] as char);
        } else {
            out.push(DIGITS[d] as char);
            return;
        }
    }
}

#[cfg(test)]
struct Digits {
    digits: Vec<u32>,
    at: usize,
}

#[cfg(test)]
impl Digits {
    fn new(s: &str) -> Digits {
        Digits {
            digits: s
                .bytes()
                .map(|b| DIGITS.iter().position(|a| *a == b).unwrap_or(0) as u32)
                .collect(),
            at: 0,
        }
    }
    fn more(&self) -> bool {
        self.at < self.digits.len()
    }
    fn next(&mut self) -> u32 {
        let mut v = 0u32;
        let mut mul = 1u32;
        while self.at < self.digits.len() {
            let d = self.digits[self.at];
            self.at += 1;
            v += (d % BASE) * mul;
            mul = mul.wrapping_mul(BASE);
            if d < BASE {
                break;
            }
        }
        v
    }
}

/// Decodes a term's postings (documents and their counts per field).
#[cfg(test)]
pub fn decode(docs: &str) -> Vec<(u32, [u32; FIELDS])> {
    let mut d = Digits::new(docs);
    let mut out = Vec::new();
    let mut doc = 0u32;
    let mut first = true;
    while d.more() {
        let delta = d.next();
        doc = if first { delta } else { doc + delta };
        first = false;
        let mask = d.next();
        let mut counts = [0u32; FIELDS];
        if mask == 0 {
            counts = ONCE_IN_BODY;
        }
        for (f, c) in counts.iter_mut().enumerate() {
            if mask & (1 << f) != 0 {
                *c = d.next();
            }
        }
        out.push((doc, counts));
    }
    out
}

/// Terms are split into this many partitions by hash, so that documents' postings
/// are appended to the index by every core at once, one partition each.
const PARTS: usize = 64;

fn part_of(term: &str) -> usize {
    (rustc_hash::FxBuildHasher.hash_one(term) as usize) % PARTS
}

/// Counts written as mask 0.
const ONCE_IN_BODY: [u32; 4] = [0, 0, 0, 1];

/// One document's postings, without the id delta, grouped by term partition: per
/// term its mask and counts (`d[..]`), in one buffer (no allocation per term).
struct DocPostings<'a> {
    /// (partition, term, range in `d`), sorted by partition.
    entries: Vec<(usize, &'a str, std::ops::Range<usize>)>,
    /// `starts[k]..starts[k + 1]`: the entries of partition `k`.
    starts: Vec<usize>,
    d: String,
}

fn encode_doc(a: &Analysed) -> DocPostings<'_> {
    let mut doc = DocPostings {
        entries: Vec::with_capacity(a.terms.len()),
        starts: Vec::with_capacity(PARTS + 1),
        d: String::new(),
    };
    for (term, counts) in &a.terms {
        let d0 = doc.d.len();
        if *counts == ONCE_IN_BODY {
            varint(&mut doc.d, 0);
        } else {
            let mask = counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .fold(0, |m, (f, _)| m | (1 << f));
            varint(&mut doc.d, mask);
            for &c in counts.iter().filter(|c| **c > 0) {
                varint(&mut doc.d, c);
            }
        }
        doc.entries.push((part_of(term), term, d0..doc.d.len()));
    }
    doc.entries.sort_unstable_by_key(|e| e.0);
    let mut at = 0;
    for k in 0..=PARTS {
        while at < doc.entries.len() && doc.entries[at].0 < k {
            at += 1;
        }
        doc.starts.push(at);
    }
    doc
}

/// A term's postings so far: the last document added, then the documents with their
/// masks and counts.
struct Postings {
    last: u32,
    docs: String,
}

/// The postings of every term, built document by document in id order.
pub struct Exporter {
    /// Term → postings, split into [`PARTS`] partitions by the term's hash.
    parts: Vec<FxHashMap<Box<str>, Postings>>,
    docs: u32,
}

impl Default for Exporter {
    fn default() -> Exporter {
        Exporter {
            parts: (0..PARTS).map(|_| FxHashMap::default()).collect(),
            docs: 0,
        }
    }
}

impl Exporter {
    /// Adds documents `first..` (in id order), analysed: each document encoded in
    /// parallel, then each partition's terms appended in parallel.
    pub fn add(&mut self, first: u32, batch: &[Analysed]) {
        let encoded: Vec<DocPostings> = batch.par_iter().map(encode_doc).collect();
        self.parts
            .par_iter_mut()
            .enumerate()
            .for_each(|(k, terms)| {
                for (i, doc) in encoded.iter().enumerate() {
                    let id = first + i as u32;
                    for (_, term, d) in &doc.entries[doc.starts[k]..doc.starts[k + 1]] {
                        let e = match terms.get_mut(*term) {
                            Some(e) => e,
                            None => terms.entry((*term).into()).or_insert(Postings {
                                last: u32::MAX,
                                docs: String::new(),
                            }),
                        };
                        varint(
                            &mut e.docs,
                            if e.last == u32::MAX { id } else { id - e.last },
                        );
                        e.last = id;
                        e.docs.push_str(&doc.d[d.clone()]);
                    }
                }
            });
        self.docs = self.docs.max(first + batch.len() as u32);
    }

    /// A term's documents as they stand.
    #[cfg(test)]
    fn postings(&self, term: &str) -> &str {
        &self.parts[part_of(term)][term].docs
    }

    /// Writes the index under `search/`; `docs` and `facets` are in id order. With
    /// `save`, also returns the state a later build updates ([`update`]).
    pub fn write(
        self,
        docs: &[SearchDoc<'_>],
        facets: &super::engine::Facets,
        snippet_limit: usize,
        out: &Output,
        save: bool,
    ) -> Result<Exported> {
        let terms = self.parts.iter().map(|m| m.len()).sum();
        let total: usize = self
            .parts
            .iter()
            .flatten()
            .map(|(t, s)| entry_bytes(t, &s.docs))
            .sum();
        let shards = shard_count(total);
        let mut by_shard: Vec<Vec<(String, String)>> = vec![Vec::new(); shards];
        for (term, postings) in self.parts.into_iter().flatten() {
            let term = String::from(term);
            let k = shard_of(&term, shards);
            by_shard[k].push((term, postings.docs));
        }
        let layout = Layout::new(docs.len(), shards);
        let built: Vec<(File, Option<SavedShard>)> = by_shard
            .into_par_iter()
            .enumerate()
            .map(|(k, mut entries)| {
                entries.sort();
                let file = File::New(packed_script("shard", k, shard_text(&entries).as_bytes()));
                let saved = save.then(|| SavedShard::new(&entries));
                (file, saved)
            })
            .collect();
        let (shard_files, saved_shards): (Vec<File>, Vec<Option<SavedShard>>) =
            built.into_iter().unzip();
        let pack_files: Vec<File> = (0..layout.packs)
            .into_par_iter()
            .map(|p| pack_file(docs, &layout, p, snippet_limit).map(File::New))
            .collect::<Result<_>>()?;
        let (mut exported, files) = finish(docs, facets, shard_files, pack_files, terms, out)?;
        exported.stats.analysed = docs.len();
        if save {
            let mut shards: Vec<SavedShard> = saved_shards.into_iter().flatten().collect();
            for (s, f) in shards.iter_mut().zip(&files.shards) {
                s.file = f.clone();
            }
            exported.saved = Some(Saved {
                format: FORMAT,
                urls: [0; 32],
                doc_hashes: Vec::new(),
                per_pack: layout.per_pack,
                shards,
                packs: files.packs,
            });
        }
        Ok(exported)
    }
}

/// Bytes a term adds to its shard (the measure shards are counted by).
fn entry_bytes(term: &str, postings: &str) -> usize {
    term.len() + postings.len() + 6
}

/// The number of shards for `total` bytes of terms and postings.
fn shard_count(total: usize) -> usize {
    (total / SHARD_BYTES).clamp(1, MAX_SHARDS)
}

/// The shard of a term among `shards`.
fn shard_of(term: &str, shards: usize) -> usize {
    fnv1a(shard_key(term)) as usize % shards
}

/// How documents are split into packs.
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    per_pack: usize,
    packs: usize,
}

impl Layout {
    fn new(n: usize, shards: usize) -> Layout {
        let max_packs = MAX_FILES.saturating_sub(shards + 2).max(1);
        let per_pack = n.div_ceil(max_packs).max(1);
        Layout {
            per_pack,
            packs: n.div_ceil(per_pack),
        }
    }
}

/// Pack `p`'s file: its documents' titles, URLs, kinds, dates and snippet text.
fn pack_file(
    docs: &[SearchDoc<'_>],
    layout: &Layout,
    p: usize,
    snippet_limit: usize,
) -> Result<Vec<u8>> {
    let n = docs.len();
    let entries: Vec<DocEntry> = docs[p * layout.per_pack..((p + 1) * layout.per_pack).min(n)]
        .iter()
        .map(|d| {
            let (x, chars) = super::snippet_text(d.body, snippet_limit);
            DocEntry {
                t: d.title,
                u: &d.url,
                k: d.kind,
                d: d.date.as_deref(),
                x,
                n: chars,
            }
        })
        .collect();
    Ok(packed_script("docs", p, &json(&entries)?))
}

/// A shard or pack file: written now, or the previous output's, kept.
enum File {
    New(Vec<u8>),
    Kept(SavedFile),
}

/// The hash names and sizes of the shard and pack files a build left.
struct Files {
    shards: Vec<SavedFile>,
    packs: Vec<SavedFile>,
}

/// What writing the export leaves: its figures, the state a later build updates
/// (when asked for), and the files kept from the previous output (linked by the
/// caller, which this build did not write).
pub struct Exported {
    pub stats: Stats,
    pub saved: Option<Saved>,
    pub kept: Vec<String>,
}

/// Writes the new shard and pack files, the facets and the manifest.
fn finish(
    docs: &[SearchDoc<'_>],
    facets: &super::engine::Facets,
    shard_files: Vec<File>,
    pack_files: Vec<File>,
    terms: usize,
    out: &Output,
) -> Result<(Exported, Files)> {
    let n = docs.len();
    let shards = shard_files.len();
    let mut writes: Vec<(String, &[u8])> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    let mut bytes = 0u64;
    let mut hashes = [String::new(), String::new()];
    let mut saved: [Vec<SavedFile>; 2] = [Vec::new(), Vec::new()];
    for (g, (dir, files)) in [("s", &shard_files), ("d", &pack_files)]
        .into_iter()
        .enumerate()
    {
        for (i, f) in files.iter().enumerate() {
            let s = match f {
                File::New(b) => SavedFile {
                    hash: hash_name(b),
                    len: b.len() as u64,
                },
                File::Kept(s) => s.clone(),
            };
            let path = format!("{DIR}/{dir}/{i}.{}.js", s.hash);
            match f {
                File::New(b) => writes.push((path, b)),
                File::Kept(_) => kept.push(path),
            }
            hashes[g].push_str(&s.hash);
            bytes += s.len;
            saved[g].push(s);
        }
    }
    let [shard_hashes, pack_hashes] = hashes;
    let [shard_saved, pack_saved] = saved;
    let facets_file = script("facets", &[], &json(&WebFacets::new(facets))?);
    let facets_hash = hash_name(&facets_file);
    writes.push((format!("{DIR}/f.{facets_hash}.js"), &facets_file));
    let mut kinds: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for (i, d) in docs.iter().enumerate() {
        kinds.entry(d.kind).or_insert([i, i])[1] = i + 1;
    }
    let meta = script(
        "meta",
        &[],
        &json(&Meta {
            v: 4,
            n,
            shards,
            pack: Layout::new(n, shards).per_pack,
            kinds,
            sh: &shard_hashes,
            ph: &pack_hashes,
            fh: &facets_hash,
        })?,
    );
    writes.push((format!("{DIR}/meta.js"), &meta));
    writes
        .par_iter()
        .map(|(path, bytes)| out.write(path, bytes))
        .collect::<Result<Vec<()>>>()?;
    let stats = Stats {
        docs: n,
        terms,
        shards,
        files: writes.len() + kept.len(),
        bytes: bytes + (facets_file.len() + meta.len()) as u64,
        analysed: 0,
        kept: kept.len(),
    };
    let exported = Exported {
        stats,
        saved: None,
        kept,
    };
    Ok((
        exported,
        Files {
            shards: shard_saved,
            packs: pack_saved,
        },
    ))
}

/// The theme's search script as shipped: without indentation, blank lines and lines
/// that are only a `//` comment (line breaks stay, so automatic semicolons do not
/// change). A script with a template literal or a line continued by `\\` is shipped
/// as it is, since its lines may be inside a string.
pub fn compact_script(src: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(src) else {
        return src.to_vec();
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect();
    if lines.iter().any(|l| l.contains('`') || l.ends_with('\\')) {
        return src.to_vec();
    }
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

/// Five letters of a file's FNV-1a hash (30 bits), for its name.
fn hash_name(bytes: &[u8]) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (0..5)
        .map(|i| ALPHABET[((h >> (i * 6)) & 63) as usize] as char)
        .collect()
}

#[derive(Serialize)]
struct Meta<'a> {
    v: u32,
    n: usize,
    shards: usize,
    pack: usize,
    kinds: BTreeMap<&'a str, [usize; 2]>,
    /// Five letters per shard, per pack.
    sh: &'a str,
    ph: &'a str,
    fh: &'a str,
}

/// Services and tags with the ids of their documents (delta-coded): small when
/// a site has few, and the kinds need no file (ids are grouped by kind).
#[derive(Serialize)]
struct WebFacets<'a> {
    services: &'a [String],
    sd: Vec<Vec<u32>>,
    tags: &'a [String],
    td: Vec<Vec<u32>>,
}

impl WebFacets<'_> {
    fn new(f: &super::engine::Facets) -> WebFacets<'_> {
        let invert = |names: usize, per_doc: &[Vec<u32>]| {
            let mut out: Vec<Vec<u32>> = vec![Vec::new(); names];
            let mut last: Vec<Option<u32>> = vec![None; names];
            for (doc, list) in per_doc.iter().enumerate() {
                for &i in list {
                    let i = i as usize;
                    let doc = doc as u32;
                    out[i].push(last[i].map_or(doc, |l| doc - l));
                    last[i] = Some(doc);
                }
            }
            out
        };
        WebFacets {
            services: &f.services,
            sd: invert(f.services.len(), &f.ds),
            tags: &f.tags,
            td: invert(f.tags.len(), &f.dt),
        }
    }
}

#[derive(Serialize)]
struct DocEntry<'a> {
    t: &'a str,
    u: &'a str,
    k: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<&'a str>,
    x: &'a str,
    n: usize,
}

/// `srekbSearch.<call>(<args>,<json>);` — every file of the index is such a call.
fn script(call: &str, args: &[usize], json: &[u8]) -> Vec<u8> {
    let mut out = format!("srekbSearch.{call}(").into_bytes();
    for a in args {
        out.extend_from_slice(format!("{a},").as_bytes());
    }
    out.extend_from_slice(json);
    out.extend_from_slice(b");\n");
    out
}

/// A shard's lines (see the module's comment): `entries` sorted by term.
fn shard_text<T: AsRef<str>, P: AsRef<str>>(entries: &[(T, P)]) -> String {
    let mut out = String::new();
    let mut prev = "";
    for (term, postings) in entries {
        let (term, postings) = (term.as_ref(), postings.as_ref());
        let shared = prev
            .chars()
            .zip(term.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let rest = term
            .char_indices()
            .nth(shared)
            .map_or("", |(i, _)| &term[i..]);
        out.push_str(&format!("{shared} {rest}\t{postings}\n"));
        prev = term;
    }
    out
}

/// `srekbSearch.<call>(<k>,"<packed text>");`
fn packed_script(call: &str, k: usize, json: &[u8]) -> Vec<u8> {
    format!("srekbSearch.{call}({k},\"{}\");\n", packed(json)).into_bytes()
}

fn json(value: &impl Serialize) -> Result<Vec<u8>> {
    crate::output::json_bytes(value, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(""), 0x811c_9dc5);
        assert_eq!(fnv1a("a"), 0xe40c_292c);
        assert_eq!(fnv1a("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn postings_round_trip() {
        let mut e = Exporter::default();
        let docs: Vec<Analysed> = ["サーバー移行 サーバ", "x", "移行の手順 PostgreSQL"]
            .iter()
            .map(|t| {
                super::super::analyse(&SearchDoc {
                    body: t,
                    ..Default::default()
                })
            })
            .collect();
        // Two batches: the id deltas run on across them.
        e.add(0, &docs[..2]);
        e.add(2, &docs[2..]);
        assert_eq!(decode(e.postings("移行")), [(0, [0, 0, 0, 1])]);
        assert_eq!(decode(e.postings("移行の")), [(2, [0, 0, 0, 1])]);
        assert_eq!(decode(e.postings("サバ")), [(0, [0, 0, 0, 1])]);
        assert_eq!(decode(e.postings("サバ移")), [(0, [0, 0, 0, 1])]);
        assert_eq!(decode(e.postings("postgresql")), [(2, [0, 0, 0, 1])]);
        let mut big = String::new();
        for v in [1_000_000, 8, 1] {
            varint(&mut big, v);
        }
        assert_eq!(decode(&big), [(1_000_000, [0, 0, 0, 1])]);
    }

    #[test]
    fn packed_payloads_round_trip_in_letters_a_js_string_needs_no_escape_for() {
        for text in ["", "a", "ab", "abc", "abcd", "{\"障害対\":\"+#\"}"] {
            let p = packed(text.as_bytes());
            assert!(!p.contains(['"', '\\']), "{p}");
            assert_eq!(unpacked(&p), text.as_bytes());
        }
        for n in 0..9 {
            for fill in [0u8, 1, 0x7f, 0xfe, 0xff] {
                let raw = vec![fill; n];
                assert_eq!(unb85(&b85(&raw)), raw);
            }
        }
        let long = "サーバー移行 ".repeat(500);
        let p = packed(long.as_bytes());
        assert!(p.len() < long.len() / 10);
        assert_eq!(unpacked(&p), long.as_bytes());
        let js = include_str!("../../themes/default/static/search.js");
        let letters = std::str::from_utf8(B85).unwrap();
        assert!(js.contains(&format!("var B85 = \"{letters}\";")));
    }

    #[test]
    fn search_js_decodes_with_the_same_letters() {
        let js = include_str!("../../themes/default/static/search.js");
        let letters = std::str::from_utf8(DIGITS).unwrap();
        assert!(js.contains(&format!("\"{letters}\".split(\"\")")));
        assert!(js.contains(&format!("d % {BASE}")));
        let mut s = String::new();
        varint(&mut s, 43);
        varint(&mut s, 44);
        assert_eq!(s, "PQ#");
    }

    #[test]
    fn scripts_lose_indentation_and_comment_lines_only() {
        let js = b"// head\n(function () {\n  var a = \"// not a comment\"; // kept\n\n  return a;\n})();\n";
        assert_eq!(
            String::from_utf8(compact_script(js)).unwrap(),
            "(function () {\nvar a = \"// not a comment\"; // kept\nreturn a;\n})();\n"
        );
        let template = b"var t = `a\n  // b`;\n";
        assert_eq!(compact_script(template), template);
        let theme = include_bytes!("../../themes/default/static/search.js");
        assert!(compact_script(theme).len() < theme.len() * 9 / 10);
    }

    #[test]
    fn shard_lines_share_the_previous_term_s_first_characters() {
        let e = |t: &str, p: &str| (t.to_string(), p.to_string());
        assert_eq!(
            shard_text(&[e("障害", "#"), e("障害対", "$!"), e("障壁", "%")]),
            "0 障害\t#\n2 対\t$!\n1 壁\t%\n"
        );
    }

    #[test]
    fn shard_keys_are_three_latin_or_two_japanese_characters() {
        assert_eq!(shard_key("postgresql"), "pos");
        assert_eq!(shard_key("サバ"), "サバ");
        assert_eq!(shard_key("障害対"), "障害");
        assert_eq!(shard_key("db"), "db");
    }
}
