//! The browser's static index: every document analysed by the same analyser as the
//! tantivy index, scored once at build time (BM25 over title, headings, tags and body
//! with the same boosts), and written as small script files under `search/` so a query
//! loads only the shards of its own terms, then the few documents it shows.
//! Script files (not JSON fetched with XHR) so the search also works from `file://`.
//!
//! - `search/meta.js`: document count, shard count, posting cap, kind → id range.
//! - `search/s/<k>.js`: terms whose FNV-1a hash falls in shard `k`, each with its
//!   document frequency and up to `CAP` postings `[doc delta, score × 16 + chunk, …]`
//!   (the best ones; a list shorter than the document frequency is truncated), where
//!   `chunk` is the part of the body the term first occurs in.
//! - `search/d/<id>.js`: title, URL, kind, date and the body's first chunk of text;
//!   `search/d/<id>.<c>.js`: chunk `c`, loaded only when a hit's match is there, so
//!   snippets show the match without shipping whole documents.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use super::{analyzer, SearchDoc};
use crate::content::Library;
use crate::output::Output;

pub const DIR: &str = "search";
/// Postings kept per term: the best-scoring documents.
pub const CAP: usize = 256;
/// Characters per chunk of body text (snippets), and chunks kept per document.
pub const CHUNK_CHARS: usize = 800;
pub const MAX_CHUNKS: usize = 16;
/// Chunks overlap by this many characters so a match at a boundary has context.
const CHUNK_OVERLAP: usize = 80;
/// The shard size aimed for, in bytes.
const SHARD_BYTES: usize = 6_000;
/// Field boosts, in the order title, headings, tags, body (as in `index::build_query`).
const BOOSTS: [f64; 4] = [4.0, 2.0, 2.0, 1.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Kinds in id order, so that a kind is one contiguous range of document ids.
const KIND_ORDER: [&str; 6] = [
    "page",
    "career",
    "postmortem",
    "runbook",
    "assessment",
    "section",
];

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub docs: usize,
    pub terms: usize,
    pub shards: usize,
    pub files: usize,
    pub bytes: u64,
}

/// FNV-1a over the UTF-8 bytes: the shard of a term (search.js computes the same).
pub fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Per-field term frequencies and the chunk of the body the term first occurs in.
type Freqs = ([u16; 4], u8);

/// Term frequencies of one document and the field lengths in tokens.
struct Analysed {
    tf: HashMap<String, Freqs>,
    len: [u32; 4],
}

fn analyse(d: &SearchDoc) -> Analysed {
    let tags = d.tags.join("\n");
    let fields = [d.title, d.headings.as_str(), tags.as_str(), d.body];
    let mut tf: HashMap<String, Freqs> = HashMap::new();
    let mut len = [0u32; 4];
    for (f, text) in fields.iter().enumerate() {
        // Character index of the current token, for the body's chunk numbers.
        let (mut byte, mut chars) = (0usize, 0usize);
        for t in analyzer::analyze(text) {
            len[f] += 1;
            let chunk = if f == 3 {
                chars += text[byte..t.from].chars().count();
                byte = t.from;
                (chars / CHUNK_CHARS).min(MAX_CHUNKS - 1) as u8
            } else {
                0
            };
            let e = tf.entry(t.text).or_insert(([0; 4], u8::MAX));
            e.0[f] = e.0[f].saturating_add(1);
            if f == 3 && e.1 == u8::MAX {
                e.1 = chunk;
            }
        }
    }
    for e in tf.values_mut() {
        if e.1 == u8::MAX {
            e.1 = 0;
        }
    }
    Analysed { tf, len }
}

/// The body's chunks (overlapping a little), at most `MAX_CHUNKS`.
fn chunks(body: &str) -> Vec<String> {
    let chars: Vec<char> = body.chars().collect();
    (0..MAX_CHUNKS)
        .map(|c| c * CHUNK_CHARS)
        .take_while(|&start| start < chars.len() || start == 0)
        .map(|start| {
            let end = (start + CHUNK_CHARS + CHUNK_OVERLAP).min(chars.len());
            chars[start..end].iter().collect()
        })
        .collect()
}

#[derive(Serialize)]
struct Meta<'a> {
    v: u32,
    n: usize,
    shards: usize,
    cap: usize,
    kinds: BTreeMap<&'a str, [usize; 2]>,
}

#[derive(Serialize)]
struct DocFile<'a> {
    t: &'a str,
    u: &'a str,
    k: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<&'a str>,
    /// The first chunk of the body, and how many chunks there are.
    x: &'a str,
    c: usize,
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

fn json(value: &impl Serialize) -> Result<Vec<u8>> {
    crate::output::json_bytes(value, false)
}

/// Writes the static index of `lib` into `out` under `search/`.
pub fn export(lib: &Library, out: &Output) -> Result<Stats> {
    let mut docs = super::documents(lib);
    let rank = |k: &str| KIND_ORDER.iter().position(|o| *o == k).unwrap_or(0);
    // By name within a rank: a kind missing from KIND_ORDER (a newly registered one)
    // must still be one contiguous range, or the browser's kind filter mixes kinds.
    docs.sort_by_key(|d| (rank(d.kind), d.kind));
    let n = docs.len();
    let mut kinds: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for (i, d) in docs.iter().enumerate() {
        kinds.entry(d.kind).or_insert([i, i])[1] = i + 1;
    }

    // Analyse in parallel batches and fold each into the postings right away, so
    // only one batch of per-document maps is alive at a time.
    let mut lens: Vec<[u32; 4]> = Vec::with_capacity(n);
    let mut postings: HashMap<String, Vec<(u32, Freqs)>> = HashMap::new();
    for (b, batch) in docs.chunks(256).enumerate() {
        let analysed: Vec<Analysed> = batch.par_iter().map(analyse).collect();
        for (i, a) in analysed.into_iter().enumerate() {
            let id = (b * 256 + i) as u32;
            lens.push(a.len);
            for (term, tf) in a.tf {
                postings.entry(term).or_default().push((id, tf));
            }
        }
    }
    let mut avg = [0f64; 4];
    for l in &lens {
        for (f, v) in l.iter().enumerate() {
            avg[f] += f64::from(*v);
        }
    }
    for v in &mut avg {
        *v = (*v / n.max(1) as f64).max(1.0);
    }
    let terms = postings.len();

    // Score, cap and encode each term, then group into shards.
    let encoded: Vec<(String, String)> = postings
        .into_par_iter()
        .map(|(term, list)| {
            let df = list.len();
            let idf = (1.0 + (n as f64 - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
            let mut scored: Vec<(u32, u32, u32)> = list
                .iter()
                .map(|(doc, (tf, chunk))| {
                    let len = lens[*doc as usize];
                    let mut s = 0.0;
                    for f in 0..4 {
                        let tf = f64::from(tf[f]);
                        if tf > 0.0 {
                            let norm = K1 * (1.0 - B + B * f64::from(len[f]) / avg[f]);
                            s += BOOSTS[f] * tf * (K1 + 1.0) / (tf + norm);
                        }
                    }
                    let score = ((idf * s * 10.0).round() as u32).max(1);
                    (*doc, score, u32::from(*chunk))
                })
                .collect();
            if scored.len() > CAP {
                scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                scored.truncate(CAP);
                scored.sort_by_key(|p| p.0);
            }
            let mut s = String::with_capacity(scored.len() * 8 + 8);
            s.push('[');
            s.push_str(&df.to_string());
            let mut last = 0;
            for (doc, score, chunk) in scored {
                s.push(',');
                s.push_str(&(doc - last).to_string());
                s.push(',');
                s.push_str(&(score * 16 + chunk).to_string());
                last = doc;
            }
            s.push(']');
            (term, s)
        })
        .collect();
    let total: usize = encoded.iter().map(|(t, s)| t.len() + s.len() + 4).sum();
    let shards = (total / SHARD_BYTES)
        .max(1)
        .next_power_of_two()
        .min(1 << 16);
    let mut by_shard: Vec<Vec<(String, String)>> = vec![Vec::new(); shards];
    for (term, s) in encoded {
        by_shard[(fnv1a(&term) as usize) & (shards - 1)].push((term, s));
    }

    let mut stats = Stats {
        docs: n,
        terms,
        shards,
        ..Stats::default()
    };
    let mut write = |path: String, bytes: Vec<u8>| -> Result<()> {
        stats.files += 1;
        stats.bytes += bytes.len() as u64;
        out.write(&path, &bytes)
    };
    write(
        format!("{DIR}/meta.js"),
        script(
            "meta",
            &[],
            &json(&Meta {
                v: 1,
                n,
                shards,
                cap: CAP,
                kinds,
            })?,
        ),
    )?;
    for (k, mut entries) in by_shard.into_iter().enumerate() {
        entries.sort();
        let mut json = String::from("{");
        for (i, (term, s)) in entries.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&String::from_utf8(self::json(term)?)?);
            json.push(':');
            json.push_str(s);
        }
        json.push('}');
        write(
            format!("{DIR}/s/{k}.js"),
            script("shard", &[k], json.as_bytes()),
        )?;
    }
    let files: Vec<Vec<(String, Vec<u8>)>> = docs
        .par_iter()
        .enumerate()
        .map(|(id, d)| -> Result<Vec<(String, Vec<u8>)>> {
            let chunks = chunks(d.body);
            let file = DocFile {
                t: d.title,
                u: &d.url,
                k: d.kind,
                d: d.date.as_deref(),
                x: &chunks[0],
                c: chunks.len(),
            };
            let mut out = vec![(
                format!("{DIR}/d/{id}.js"),
                script("doc", &[id], &json(&file)?),
            )];
            for (c, text) in chunks.iter().enumerate().skip(1) {
                out.push((
                    format!("{DIR}/d/{id}.{c}.js"),
                    script("chunk", &[id, c], &json(text)?),
                ));
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    for (path, bytes) in files.into_iter().flatten() {
        write(path, bytes)?;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        // Reference values of 32-bit FNV-1a.
        assert_eq!(fnv1a(""), 0x811c_9dc5);
        assert_eq!(fnv1a("a"), 0xe40c_292c);
        assert_eq!(fnv1a("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn chunks_overlap_and_are_capped() {
        assert_eq!(chunks(""), [""]);
        let body: String = "あ".repeat(CHUNK_CHARS * 2 + 5);
        let c = chunks(&body);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].chars().count(), CHUNK_CHARS + CHUNK_OVERLAP);
        assert_eq!(c[2].chars().count(), 5);
        let long = "x".repeat(CHUNK_CHARS * (MAX_CHUNKS + 3));
        assert_eq!(chunks(&long).len(), MAX_CHUNKS);
    }
}
