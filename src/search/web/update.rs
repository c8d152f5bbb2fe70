//! The browser export updated instead of built anew: the last build's terms and
//! postings, shard by shard, are kept in the build cache ([`Saved`]); a build whose
//! documents are the same, in the same order, with a few of them edited analyses
//! only those, replaces their postings, and writes only the shards and packs whose
//! text changed (the others are the previous output's files, kept). The result is
//! the files a full export of the same documents writes, byte for byte.

use std::borrow::Cow;
use std::ops::Range;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    encode_doc, entry_bytes, finish, pack_file, packed_script, shard_count, shard_of, shard_text,
    varint, Exported, File, Layout, Output, BASE, DIGITS, DIR,
};
use crate::search::{Analysed, SearchDoc};

/// The layout of [`Saved`] (bumped when it or the export's text changes).
pub const FORMAT: u32 = 1;

/// A shard or pack file of the output: its hash name and size.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedFile {
    pub hash: String,
    pub len: u64,
}

/// One shard's terms and postings, in term order.
#[derive(Serialize, Deserialize, Default, Debug, PartialEq, Eq)]
pub struct SavedShard {
    /// Each term then its postings, one after the other (one allocation per shard).
    text: String,
    /// Bytes of each term and of its postings, in order.
    lens: Vec<(u32, u32)>,
    pub file: SavedFile,
}

impl SavedShard {
    pub(super) fn new<T: AsRef<str>, P: AsRef<str>>(entries: &[(T, P)]) -> SavedShard {
        let mut s = SavedShard {
            text: String::with_capacity(
                entries
                    .iter()
                    .map(|(t, p)| t.as_ref().len() + p.as_ref().len())
                    .sum(),
            ),
            lens: Vec::with_capacity(entries.len()),
            file: SavedFile::default(),
        };
        for (t, p) in entries {
            let (t, p) = (t.as_ref(), p.as_ref());
            s.text.push_str(t);
            s.text.push_str(p);
            s.lens.push((t.len() as u32, p.len() as u32));
        }
        s
    }

    /// (term, postings) in term order; None when the lengths do not fit the text
    /// (a damaged cache that still decoded).
    fn entries(&self) -> Option<Vec<(&str, &str)>> {
        let mut at = 0;
        let mut v = Vec::with_capacity(self.lens.len());
        for &(t, p) in &self.lens {
            let (t, p) = (t as usize, p as usize);
            let term = self.text.get(at..at + t)?;
            let postings = self.text.get(at + t..at + t + p)?;
            at += t + p;
            v.push((term, postings));
        }
        (at == self.text.len()).then_some(v)
    }
}

/// The export as a build left it, for the next build to update.
#[derive(Serialize, Deserialize, Default, Debug, PartialEq, Eq)]
pub struct Saved {
    pub format: u32,
    /// blake3 of the documents' URLs in id order ([`Saved::urls_key`]).
    pub urls: [u8; 32],
    /// Each document's hash (`index::doc_hash`), in id order.
    pub doc_hashes: Vec<u64>,
    pub per_pack: usize,
    pub shards: Vec<SavedShard>,
    pub packs: Vec<SavedFile>,
}

impl Saved {
    /// The key of the documents' URLs in id order.
    pub fn urls_key(docs: &[SearchDoc<'_>]) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        for d in docs {
            h.update(d.url.as_bytes());
            h.update(b"\n");
        }
        *h.finalize().as_bytes()
    }

    /// The positions of the documents that changed since this export, when it is of
    /// this format and has the same documents in the same order.
    pub fn stale(&self, docs: &[SearchDoc<'_>], doc_hashes: &[u64]) -> Option<Vec<usize>> {
        if self.format != FORMAT || doc_hashes.len() != docs.len() {
            return None;
        }
        if self.urls != Saved::urls_key(docs) {
            return None;
        }
        crate::search::changed(&self.doc_hashes, doc_hashes)
    }
}

/// The value of each letter of [`DIGITS`] (by byte).
const VALUES: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < DIGITS.len() {
        t[DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    t
};

fn read_varint(b: &[u8], at: &mut usize) -> Option<u32> {
    let (mut v, mut mul) = (0u32, 1u32);
    loop {
        let d = u32::from(*VALUES.get(usize::from(*b.get(*at)?))?);
        *at += 1;
        v = v.wrapping_add((d % BASE).wrapping_mul(mul));
        mul = mul.wrapping_mul(BASE);
        if d < BASE {
            return Some(v);
        }
    }
}

/// A term's postings as (document, the range of its mask and counts).
fn decode_postings(p: &str) -> Option<Vec<(u32, Range<usize>)>> {
    let b = p.as_bytes();
    let (mut at, mut doc, mut out) = (0, 0u32, Vec::new());
    while at < b.len() {
        let delta = read_varint(b, &mut at)?;
        doc = if out.is_empty() {
            delta
        } else {
            doc.wrapping_add(delta)
        };
        let start = at;
        let mask = read_varint(b, &mut at)?;
        for _ in 0..mask.count_ones() {
            read_varint(b, &mut at)?;
        }
        out.push((doc, start..at));
    }
    Some(out)
}

/// Postings from (document, mask and counts) in document order.
fn encode_postings<'a>(entries: impl Iterator<Item = (u32, &'a str)>) -> String {
    let mut out = String::new();
    let mut last = None;
    for (id, enc) in entries {
        varint(&mut out, last.map_or(id, |l| id - l));
        out.push_str(enc);
        last = Some(id);
    }
    out
}

/// A shard's entries after the update, whether any differs, and their bytes.
type Updated<'a> = (Vec<(&'a str, Cow<'a, str>)>, bool, usize);

/// Merges one shard's saved entries with the new postings of the stale documents
/// (`adds`, sorted by term then document).
fn update_shard<'a>(
    old: &[(&'a str, &'a str)],
    adds: &[(&'a str, u32, &'a str)],
    is_stale: &[bool],
) -> Option<Updated<'a>> {
    let mut out: Vec<(&str, Cow<str>)> = Vec::with_capacity(old.len() + 8);
    let mut changed = false;
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < adds.len() {
        let term = match (old.get(i), adds.get(j)) {
            (Some(o), Some(a)) => o.0.min(a.0),
            (Some(o), None) => o.0,
            (None, Some(a)) => a.0,
            (None, None) => break,
        };
        let prev = old.get(i).filter(|o| o.0 == term).map(|o| o.1);
        if prev.is_some() {
            i += 1;
        }
        let from = j;
        while adds.get(j).is_some_and(|a| a.0 == term) {
            j += 1;
        }
        let added = &adds[from..j];
        let decoded = match prev {
            Some(p) => decode_postings(p)?,
            None => Vec::new(),
        };
        let mut hit = false;
        for (d, _) in &decoded {
            // A document past the end: a damaged cache.
            hit |= *is_stale.get(*d as usize)?;
        }
        let postings: Cow<str> = match prev {
            Some(p) if !hit && added.is_empty() => Cow::Borrowed(p),
            _ => {
                let p = prev.unwrap_or("");
                let mut kept = decoded
                    .into_iter()
                    .filter(|(d, _)| !is_stale[*d as usize])
                    .map(|(d, r)| (d, &p[r]))
                    .peekable();
                let mut added = added.iter().map(|a| (a.1, a.2)).peekable();
                // Both in document order: merged.
                let merged = std::iter::from_fn(|| match (kept.peek(), added.peek()) {
                    (Some(k), Some(a)) if k.0 < a.0 => kept.next(),
                    (Some(_), Some(_)) => added.next(),
                    (Some(_), None) => kept.next(),
                    (None, _) => added.next(),
                });
                let new = encode_postings(merged);
                if prev != Some(new.as_str()) {
                    changed = true;
                }
                Cow::Owned(new)
            }
        };
        if !postings.is_empty() {
            out.push((term, postings));
        }
    }
    let total = out.iter().map(|(t, p)| entry_bytes(t, p)).sum();
    Some((out, changed, total))
}

/// Updates the export `saved` describes: the documents at `stale` (in order, with
/// their analyses `analysed`) replace their postings; shards and packs whose text
/// is the same are kept (`previous` says whether the previous output holds a file
/// of that size at that path). None when the saved state does not fit, or a kept
/// file is not there: the caller then writes the export anew. Nothing is written
/// before that is known.
#[allow(clippy::too_many_arguments)]
pub fn update(
    mut saved: Saved,
    docs: &[SearchDoc<'_>],
    stale: &[usize],
    analysed: &[Analysed],
    facets: &crate::search::engine::Facets,
    snippet_limit: usize,
    out: &Output,
    previous: impl Fn(&str, u64) -> bool,
) -> Result<Option<Exported>> {
    let n = docs.len();
    let old_shards = saved.shards.len();
    let old_layout = Layout::new(n, old_shards.max(1));
    if old_shards == 0
        || stale.len() != analysed.len()
        || old_layout.per_pack != saved.per_pack
        || old_layout.packs != saved.packs.len()
    {
        return Ok(None);
    }
    let mut is_stale = vec![false; n];
    for &i in stale {
        match is_stale.get_mut(i) {
            Some(s) => *s = true,
            None => return Ok(None),
        }
    }
    let encoded: Vec<_> = analysed.par_iter().map(encode_doc).collect();
    let mut adds: Vec<Vec<(&str, u32, &str)>> = vec![Vec::new(); old_shards];
    for (doc, &id) in encoded.iter().zip(stale) {
        for (_, term, r) in &doc.entries {
            adds[shard_of(term, old_shards)].push((term, id as u32, &doc.d[r.clone()]));
        }
    }
    adds.par_iter_mut().for_each(|a| a.sort_unstable());

    let updated: Option<Vec<Updated>> = saved
        .shards
        .par_iter()
        .zip(&adds)
        .map(|(s, a)| update_shard(&s.entries()?, a, &is_stale))
        .collect();
    let Some(mut updated) = updated else {
        return Ok(None);
    };
    let total: usize = updated.iter().map(|u| u.2).sum();
    let terms: usize = updated.iter().map(|u| u.0.len()).sum();
    let shards = shard_count(total);
    if shards != old_shards {
        // Terms move between shards: every shard anew.
        let mut by_shard: Vec<Vec<(&str, Cow<str>)>> = vec![Vec::new(); shards];
        for (entries, ..) in updated {
            for (t, p) in entries {
                by_shard[shard_of(t, shards)].push((t, p));
            }
        }
        by_shard.par_iter_mut().for_each(|s| s.sort_unstable());
        updated = by_shard.into_iter().map(|e| (e, true, 0)).collect();
    }
    // The shards that changed, written and saved now (they borrow the saved text).
    let rebuilt: Vec<Option<(Vec<u8>, SavedShard)>> = updated
        .par_iter()
        .enumerate()
        .map(|(k, (entries, changed, _))| {
            changed.then(|| {
                let file = packed_script("shard", k, shard_text(entries).as_bytes());
                (file, SavedShard::new(entries))
            })
        })
        .collect();
    drop(updated);
    drop(adds);
    let mut shard_files = Vec::with_capacity(shards);
    let mut new_shards = Vec::with_capacity(shards);
    for (k, r) in rebuilt.into_iter().enumerate() {
        match r {
            Some((file, s)) => {
                shard_files.push(File::New(file));
                new_shards.push(s);
            }
            None => {
                let s = std::mem::take(&mut saved.shards[k]);
                shard_files.push(File::Kept(s.file.clone()));
                new_shards.push(s);
            }
        }
    }
    let layout = Layout::new(n, shards);
    let mut dirty = vec![layout != old_layout; layout.packs];
    for &i in stale {
        dirty[i / layout.per_pack] = true;
    }
    let pack_files: Vec<File> = dirty
        .par_iter()
        .enumerate()
        .map(|(p, &d)| -> Result<File> {
            Ok(if d {
                File::New(pack_file(docs, &layout, p, snippet_limit)?)
            } else {
                File::Kept(saved.packs[p].clone())
            })
        })
        .collect::<Result<_>>()?;
    let kept_there = |dir: &str, files: &[File]| {
        files.iter().enumerate().all(|(i, f)| match f {
            File::Kept(s) => previous(&format!("{DIR}/{dir}/{i}.{}.js", s.hash), s.len),
            File::New(_) => true,
        })
    };
    if !kept_there("s", &shard_files) || !kept_there("d", &pack_files) {
        return Ok(None);
    }
    let (mut exported, files) = finish(docs, facets, shard_files, pack_files, terms, out)?;
    exported.stats.analysed = stale.len();
    for (s, f) in new_shards.iter_mut().zip(files.shards) {
        s.file = f;
    }
    exported.saved = Some(Saved {
        format: FORMAT,
        urls: saved.urls,
        doc_hashes: Vec::new(),
        per_pack: layout.per_pack,
        shards: new_shards,
        packs: files.packs,
    });
    Ok(Some(exported))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::search::{analyse, facets, snippet_limit, SearchDoc};

    fn docs(bodies: &[String]) -> Vec<SearchDoc<'_>> {
        bodies
            .iter()
            .enumerate()
            .map(|(i, b)| SearchDoc {
                kind: "page",
                title: "ページ",
                body: b,
                url: format!("/p/{i:04}/"),
                ..Default::default()
            })
            .collect()
    }

    fn files(out: Output) -> BTreeMap<String, Vec<u8>> {
        out.commit().unwrap().unwrap().into_iter().collect()
    }

    /// A full export of `bodies`: its files and saved state.
    fn full(bodies: &[String]) -> (BTreeMap<String, Vec<u8>>, Saved) {
        let d = docs(bodies);
        let mut e = super::super::Exporter::default();
        let analysed: Vec<Analysed> = d.iter().map(analyse).collect();
        e.add(0, &analysed);
        let out = Output::memory();
        let x = e
            .write(&d, &facets(&d), snippet_limit(d.len()), &out, true)
            .unwrap();
        let hashes = crate::search::index::doc_hashes(&d);
        let mut saved = x.saved.unwrap();
        saved.urls = Saved::urls_key(&d);
        saved.doc_hashes = hashes;
        (files(out), saved)
    }

    /// `bodies` exported by updating `before`'s export: the files written plus those
    /// kept from `before`, and how many were kept.
    fn updated(
        before: &BTreeMap<String, Vec<u8>>,
        saved: Saved,
        bodies: &[String],
    ) -> Option<(BTreeMap<String, Vec<u8>>, usize)> {
        let d = docs(bodies);
        let stale = saved.stale(&d, &crate::search::index::doc_hashes(&d))?;
        let analysed: Vec<Analysed> = stale.iter().map(|&i| analyse(&d[i])).collect();
        let out = Output::memory();
        let there = |rel: &str, len: u64| before.get(rel).is_some_and(|b| b.len() as u64 == len);
        let x = update(
            saved,
            &d,
            &stale,
            &analysed,
            &facets(&d),
            snippet_limit(d.len()),
            &out,
            there,
        )
        .unwrap()?;
        assert_eq!(x.stats.analysed, stale.len());
        let mut got = files(out);
        for k in &x.kept {
            got.insert(k.clone(), before[k].clone());
        }
        Some((got, x.kept.len()))
    }

    /// Bodies with many distinct Latin words, so the export has several shards.
    fn corpus(n: usize, words: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                (0..words)
                    .map(|j| format!("w{}x{} 障害{} ", (i * 7 + j * 13) % 997, j % 31, j % 5))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn updating_stale_documents_writes_what_a_full_export_writes() {
        let before = corpus(200, 60);
        let (old_files, saved) = full(&before);
        assert!(saved.shards.len() > 1, "{} shards", saved.shards.len());
        let mut after = before.clone();
        // New terms, removed terms, changed counts.
        after[3] = format!("{} 追記した段落 postgresql", after[3]);
        after[57] = "w1x1".to_string();
        after[199].push_str(" w1x1 w1x1");
        let (got, kept) = updated(&old_files, saved, &after).expect("updated");
        let (want, _) = full(&after);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (k, v) in &want {
            assert!(got[k] == *v, "{k} differs from a full export");
        }
        assert!(kept > 0, "unchanged shards and packs are kept");
    }

    #[test]
    fn a_change_of_shard_count_reshards_every_term() {
        let before = corpus(100, 60);
        let (old_files, saved) = full(&before);
        let shards = saved.shards.len();
        let mut after = before.clone();
        after[10] = (0..4000).map(|j| format!("neu{j} ")).collect();
        let (got, _) = updated(&old_files, saved, &after).expect("updated");
        let (want, saved_after) = full(&after);
        assert_ne!(saved_after.shards.len(), shards, "the shard count changes");
        assert_eq!(got, want);
    }

    #[test]
    fn the_saved_state_round_trips_and_is_only_used_for_the_same_documents() {
        let before = corpus(20, 10);
        let (_, saved) = full(&before);
        let bytes = postcard::to_stdvec(&saved).unwrap();
        let back: Saved = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, saved);
        let d = docs(&before);
        let hashes = crate::search::index::doc_hashes(&d);
        assert_eq!(back.stale(&d, &hashes), Some(Vec::new()));
        // Another format, other URLs, another number of documents: not used.
        let old = Saved {
            format: FORMAT + 1,
            ..postcard::from_bytes(&bytes).unwrap()
        };
        assert_eq!(old.stale(&d, &hashes), None);
        let mut fewer = before.clone();
        fewer.pop();
        let f = docs(&fewer);
        assert_eq!(back.stale(&f, &crate::search::index::doc_hashes(&f)), None);
        let mut renamed = docs(&before);
        renamed[4].url = "/elsewhere/".into();
        assert_eq!(back.stale(&renamed, &hashes), None);
    }

    #[test]
    fn a_kept_file_missing_from_the_output_gives_no_update() {
        let before = corpus(50, 20);
        let (mut old_files, saved) = full(&before);
        let first_pack = old_files
            .keys()
            .find(|k| k.starts_with("search/d/0."))
            .unwrap()
            .clone();
        old_files.remove(&first_pack);
        let mut after = before.clone();
        after[49].push_str(" 追記");
        assert!(updated(&old_files, saved, &after).is_none());
    }

    #[test]
    fn damaged_saved_text_gives_no_update() {
        let before = corpus(20, 10);
        let (old_files, mut saved) = full(&before);
        saved.shards[0].lens.push((3, 3));
        let mut after = before.clone();
        after[0].push_str(" 追記");
        assert!(updated(&old_files, saved, &after).is_none());
    }

    #[test]
    fn postings_decode_back_to_what_was_encoded() {
        let entries = [(0u32, "!"), (7, "%#$"), (1_000_000, "!")];
        let p = encode_postings(entries.iter().copied());
        let back: Vec<(u32, &str)> = decode_postings(&p)
            .unwrap()
            .into_iter()
            .map(|(d, r)| (d, &p[r]))
            .collect();
        assert_eq!(back, entries);
    }
}
