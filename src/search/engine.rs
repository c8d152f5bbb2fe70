//! The query language and the scorer, over any store of positional postings (the
//! tantivy index for the CLI and `serve`; search.js implements the same over the
//! static export). Specified in the README's search section; the shared vectors in
//! tests/search_vectors.json hold the two implementations to the same ranked ids.
//!
//! A query is words separated by white space; every word must match (true AND). A
//! word is analysed like text and matched as a phrase (its tokens at consecutive
//! positions of one field). A Latin word of four or more characters, and the last
//! word when it has three, also matches as a prefix (`postgres` → postgresql), a
//! prefix occurrence counting half. A word with no phrase match anywhere is split at
//! script changes and particles, then each piece into the longest prefixes that
//! occur (証明書期限切れ → 証明書 + 期限切れ); its parts must all match and it
//! scores half, more when the parts stand close.

// Field loops index several parallel arrays, as search.js does line by line.
#![allow(clippy::needless_range_loop)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::analyzer::{self, Class};

/// Fields in posting order: title, headings, tags, body.
pub const FIELDS: usize = 4;
pub const BOOSTS: [f64; FIELDS] = [4.0, 2.0, 2.0, 1.0];
pub const K1: f64 = 1.2;
/// Weight of an occurrence found by prefix, and of a word found only by its parts.
pub const PREFIX_WEIGHT: f64 = 0.5;
pub const SPLIT_WEIGHT: f64 = 0.5;
/// Proximity: score × (1 + P / (P + span)) where span is the smallest distance in
/// positions covering every word of the query in one field.
pub const PROXIMITY: f64 = 4.0;
/// Particles a compound is split at (when standing between other characters).
pub const PARTICLES: [&str; 13] = [
    "の", "が", "を", "に", "へ", "で", "と", "は", "も", "や", "から", "まで", "より",
];

/// The documents one term occurs in, by id, with its positions in each field.
pub type Postings = BTreeMap<u32, [Vec<u32>; FIELDS]>;

/// Per-document data the engine filters and counts by; written once by `build` (the
/// same values go to the browser).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Facets {
    /// Kind names; `kind[id]` indexes this.
    pub kinds: Vec<String>,
    pub kind: Vec<u8>,
    pub services: Vec<String>,
    pub tags: Vec<String>,
    /// Per document: indexes into `services` and `tags`.
    pub ds: Vec<Vec<u32>>,
    pub dt: Vec<Vec<u32>>,
}

/// Where postings come from.
pub trait Source {
    /// Without `positions` a source may give placeholder positions (only their
    /// number, the count, is read).
    fn postings(&mut self, term: &str, positions: bool) -> Result<Rc<Postings>>;
    /// Every indexed term starting with `prefix` (the prefix itself included).
    fn prefixed(&mut self, prefix: &str) -> Result<Vec<String>>;
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    pub kind: Option<String>,
    pub service: Option<String>,
    pub tag: Option<String>,
}

/// One unit matched as a phrase: its tokens, and whether a single Latin token
/// also matches as a prefix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    pub tokens: Vec<String>,
    pub prefix: bool,
}

/// A query word as it was matched: whole, or by its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matched {
    pub word: Unit,
    /// Empty when the word matched as a phrase.
    pub parts: Vec<Unit>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Results {
    /// Every hit (after filters), best first: (document id, score × 1000).
    pub hits: Vec<(u32, i64)>,
    /// The words as matched (for snippets).
    pub words: Vec<Matched>,
    /// Counts over the hits before filters: kind, service and tag → hits.
    pub counts: Counts,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Counts {
    pub kind: BTreeMap<String, usize>,
    pub service: BTreeMap<String, usize>,
    pub tag: BTreeMap<String, usize>,
}

fn is_latin(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| analyzer::class(c) == Class::Word)
}

fn unit(tokens: Vec<String>, last: bool) -> Unit {
    let n = tokens.first().map_or(0, |t| t.chars().count());
    let prefix = tokens.len() == 1 && is_latin(&tokens[0]) && (n >= 4 || (last && n >= 3));
    Unit { tokens, prefix }
}

/// The query's words, in order, duplicates removed.
pub fn parse(query: &str) -> Vec<(String, Unit)> {
    let parts: Vec<&str> = query.split_whitespace().collect();
    let mut words: Vec<(String, Unit)> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let tokens: Vec<String> = analyzer::analyze_query(p)
            .into_iter()
            .map(|t| t.text)
            .collect();
        if tokens.is_empty() {
            continue;
        }
        let u = unit(tokens, i + 1 == parts.len());
        if !words.iter().any(|(_, w)| w.tokens == u.tokens) {
            words.push((p.to_string(), u));
        }
    }
    words
}

/// Occurrences of a unit in one document: weighted count and start positions per field.
#[derive(Debug, Clone, Default)]
struct Occ {
    tf: [f64; FIELDS],
    starts: [Vec<u32>; FIELDS],
}

type Occurrences = BTreeMap<u32, Occ>;

/// Occurrences of `u`; without `positions` (a query of one single-token word) only
/// the counts per field, the start lists left empty.
fn phrase<S: Source>(src: &mut S, u: &Unit, positions: bool) -> Result<Occurrences> {
    let mut out = Occurrences::new();
    if u.tokens.len() == 1 {
        let t = &u.tokens[0];
        let terms = if u.prefix {
            src.prefixed(t)?
        } else {
            vec![t.clone()]
        };
        for term in terms {
            let w = if &term == t { 1.0 } else { PREFIX_WEIGHT };
            let p = src.postings(&term, positions)?;
            for (doc, fields) in p.iter() {
                let o = out.entry(*doc).or_default();
                for f in 0..FIELDS {
                    o.tf[f] += w * fields[f].len() as f64;
                    if positions {
                        o.starts[f].extend_from_slice(&fields[f]);
                    }
                }
            }
        }
        for o in out.values_mut() {
            for s in &mut o.starts {
                s.sort_unstable();
                s.dedup();
            }
        }
        return Ok(out);
    }
    let lists: Vec<Rc<Postings>> = u
        .tokens
        .iter()
        .map(|t| src.postings(t, true))
        .collect::<Result<_>>()?;
    'docs: for (doc, first) in lists[0].iter() {
        let mut rest = Vec::with_capacity(lists.len() - 1);
        for l in &lists[1..] {
            match l.get(doc) {
                Some(f) => rest.push(f),
                None => continue 'docs,
            }
        }
        let mut o = Occ::default();
        for f in 0..FIELDS {
            for &p in &first[f] {
                let ok = rest
                    .iter()
                    .enumerate()
                    .all(|(i, r)| r[f].binary_search(&(p + i as u32 + 1)).is_ok());
                if ok {
                    o.tf[f] += 1.0;
                    o.starts[f].push(p);
                }
            }
        }
        if o.tf.iter().any(|&t| t > 0.0) {
            out.insert(*doc, o);
        }
    }
    Ok(out)
}

/// Kinds of characters for splitting a compound.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Katakana,
    Hiragana,
    Kanji,
    Other,
}

fn script(c: char) -> Script {
    if analyzer::is_katakana(c) || c == 'ー' {
        Script::Katakana
    } else if analyzer::is_hiragana(c) {
        Script::Hiragana
    } else if analyzer::is_cjk(c) {
        Script::Kanji
    } else if analyzer::class(c) == Class::Word {
        Script::Latin
    } else {
        Script::Other
    }
}

/// A compound cut where the script changes (kanji keep the kana that follow them)
/// and at particles; particles and punctuation are dropped.
pub fn pieces(word: &str) -> Vec<String> {
    let chars = analyzer::normalized_chars(word);
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev = Script::Other;
    let mut i = 0;
    while i < chars.len() {
        let s = script(chars[i]);
        if s == Script::Hiragana && prev != Script::Hiragana && prev != Script::Other {
            // A particle between two other characters separates.
            let mut j = i;
            while j < chars.len() && script(chars[j]) == Script::Hiragana {
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            if j < chars.len() && PARTICLES.contains(&run.as_str()) {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                prev = Script::Other;
                i = j;
                continue;
            }
        }
        let joins = prev == s || (prev == Script::Kanji && s == Script::Hiragana);
        if (!joins || s == Script::Other) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if s != Script::Other {
            cur.push(chars[i]);
        }
        prev = s;
        i += 1;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn tokens_of(text: &str) -> Vec<String> {
    analyzer::analyze_query(text)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

/// The parts a word is matched by when it matches nowhere as a phrase: each piece
/// whole when it occurs, else cut greedily into the longest prefixes that occur
/// (two characters at least; a rest that never occurs stays whole and fails).
fn split<S: Source>(src: &mut S, word: &str, positions: bool) -> Result<Vec<Unit>> {
    let mut units: Vec<Unit> = Vec::new();
    for piece in pieces(word) {
        let chars: Vec<char> = piece.chars().collect();
        let mut start = 0;
        while start < chars.len() {
            let mut chosen = None;
            if chars.len() - start >= 2 && script(chars[start]) != Script::Latin {
                for end in (start + 2..=chars.len()).rev() {
                    let s: String = chars[start..end].iter().collect();
                    let u = unit(tokens_of(&s), false);
                    if u.tokens.is_empty() {
                        continue;
                    }
                    if !phrase(src, &u, positions)?.is_empty() {
                        chosen = Some((end, u));
                        break;
                    }
                }
            }
            let (end, u) = chosen.unwrap_or_else(|| {
                let s: String = chars[start..].iter().collect();
                (chars.len(), unit(tokens_of(&s), false))
            });
            if !u.tokens.is_empty() && !units.contains(&u) {
                units.push(u);
            }
            start = end;
        }
    }
    Ok(units)
}

fn idf(n: usize, df: usize) -> f64 {
    let (n, df) = (n as f64, df as f64);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

fn field_score(idf: f64, o: &Occ) -> f64 {
    let mut s = 0.0;
    for f in 0..FIELDS {
        let tf = o.tf[f];
        if tf > 0.0 {
            s += BOOSTS[f] * tf * (K1 + 1.0) / (tf + K1);
        }
    }
    idf * s
}

/// The proximity factor of several units in one document.
fn proximity(occ: &[&Occ]) -> f64 {
    if occ.len() < 2 {
        return 1.0;
    }
    let mut best: Option<u32> = None;
    for f in 0..FIELDS {
        if occ.iter().any(|o| o.starts[f].is_empty()) {
            continue;
        }
        let mut events: Vec<(u32, usize)> = Vec::new();
        for (i, o) in occ.iter().enumerate() {
            events.extend(o.starts[f].iter().map(|&p| (p, i)));
        }
        events.sort_unstable();
        let mut count = vec![0usize; occ.len()];
        let mut have = 0;
        let mut lo = 0;
        for hi in 0..events.len() {
            let i = events[hi].1;
            if count[i] == 0 {
                have += 1;
            }
            count[i] += 1;
            while have == occ.len() {
                let span = events[hi].0 - events[lo].0;
                best = Some(best.map_or(span, |b| b.min(span)));
                let j = events[lo].1;
                count[j] -= 1;
                if count[j] == 0 {
                    have -= 1;
                }
                lo += 1;
            }
        }
    }
    match best {
        Some(span) => 1.0 + PROXIMITY / (PROXIMITY + f64::from(span)),
        None => 1.0,
    }
}

/// A word's occurrences as matched: its own, or (split) the documents holding every
/// part, with the parts' occurrences.
struct WordMatch {
    matched: Matched,
    whole: Occurrences,
    parts: Vec<Occurrences>,
}

/// Runs `query` against `src` over `n` documents.
pub fn search<S: Source>(
    src: &mut S,
    facets: &Facets,
    query: &str,
    filters: &Filters,
) -> Result<Results> {
    let n = facets.kind.len();
    let mut words: Vec<WordMatch> = Vec::new();
    let parsed = parse(query);
    // Positions matter for phrases and proximity: not for one single-token word.
    let positions = !(parsed.len() == 1 && parsed[0].1.tokens.len() == 1);
    for (text, u) in parsed {
        let whole = phrase(src, &u, positions)?;
        if !whole.is_empty() {
            words.push(WordMatch {
                matched: Matched {
                    word: u,
                    parts: Vec::new(),
                },
                whole,
                parts: Vec::new(),
            });
            continue;
        }
        let parts_units = split(src, &text, positions)?;
        let is_split = parts_units.len() >= 2 || parts_units.first().is_some_and(|p| *p != u);
        let parts: Vec<Occurrences> = if is_split {
            parts_units
                .iter()
                .map(|p| phrase(src, p, positions))
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        words.push(WordMatch {
            matched: Matched {
                word: u,
                parts: if is_split { parts_units } else { Vec::new() },
            },
            whole,
            parts,
        });
    }
    if words.is_empty() {
        return Ok(Results::default());
    }
    // Documents of each word, then their intersection.
    let docs_of = |w: &WordMatch| -> BTreeSet<u32> {
        if w.matched.parts.is_empty() {
            return w.whole.keys().copied().collect();
        }
        let mut it = w.parts.iter();
        let mut set: BTreeSet<u32> = it
            .next()
            .map(|p| p.keys().copied().collect())
            .unwrap_or_default();
        for p in it {
            set.retain(|d| p.contains_key(d));
        }
        set
    };
    let sets: Vec<BTreeSet<u32>> = words.iter().map(docs_of).collect();
    let idfs: Vec<(f64, Vec<f64>)> = words
        .iter()
        .zip(&sets)
        .map(|(w, s)| {
            (
                idf(n, s.len()),
                w.parts.iter().map(|p| idf(n, p.len())).collect(),
            )
        })
        .collect();
    let mut all: Vec<u32> = sets[0].iter().copied().collect();
    for s in &sets[1..] {
        all.retain(|d| s.contains(d));
    }
    let mut hits: Vec<(u32, i64)> = Vec::new();
    // Counts by index, named at the end; a filter naming nothing known matches nothing.
    let (mut ck, mut cs, mut ct) = (
        vec![0usize; facets.kinds.len()],
        vec![0usize; facets.services.len()],
        vec![0usize; facets.tags.len()],
    );
    let find = |names: &[String], want: &Option<String>| -> Option<Option<u32>> {
        want.as_ref()
            .map(|w| names.iter().position(|n| n == w).map(|i| i as u32))
    };
    let (fk, fs, ft) = (
        find(&facets.kinds, &filters.kind),
        find(&facets.services, &filters.service),
        find(&facets.tags, &filters.tag),
    );
    for doc in all {
        let d = doc as usize;
        if d >= n {
            continue;
        }
        let kind = u32::from(facets.kind[d]);
        ck[kind as usize] += 1;
        for &i in &facets.ds[d] {
            cs[i as usize] += 1;
        }
        for &i in &facets.dt[d] {
            ct[i as usize] += 1;
        }
        if fk.is_some_and(|k| k != Some(kind))
            || fs.is_some_and(|s| !s.is_some_and(|s| facets.ds[d].contains(&s)))
            || ft.is_some_and(|t| !t.is_some_and(|t| facets.dt[d].contains(&t)))
        {
            continue;
        }
        let mut score = 0.0;
        // Per word, the occurrences that count for proximity between words.
        let mut reps: Vec<Occ> = Vec::new();
        for (w, (widf, pidf)) in words.iter().zip(&idfs) {
            if w.matched.parts.is_empty() {
                let o = &w.whole[&doc];
                score += field_score(*widf, o);
                if words.len() > 1 {
                    reps.push(o.clone());
                }
            } else {
                let os: Vec<&Occ> = w.parts.iter().map(|p| &p[&doc]).collect();
                let mut s = 0.0;
                for (o, i) in os.iter().zip(pidf) {
                    s += field_score(*i, o);
                }
                score += SPLIT_WEIGHT * s * proximity(&os);
                let mut merged = Occ::default();
                for o in &os {
                    for f in 0..FIELDS {
                        merged.starts[f].extend_from_slice(&o.starts[f]);
                    }
                }
                for s in &mut merged.starts {
                    s.sort_unstable();
                }
                reps.push(merged);
            }
        }
        let refs: Vec<&Occ> = reps.iter().collect();
        score *= proximity(&refs);
        hits.push((doc, (score * 1000.0).round() as i64));
    }
    hits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let named = |names: &[String], c: Vec<usize>| -> BTreeMap<String, usize> {
        names
            .iter()
            .zip(c)
            .filter(|(_, c)| *c > 0)
            .map(|(n, c)| (n.clone(), c))
            .collect()
    };
    let counts = Counts {
        kind: named(&facets.kinds, ck),
        service: named(&facets.services, cs),
        tag: named(&facets.tags, ct),
    };
    Ok(Results {
        hits,
        words: words.into_iter().map(|w| w.matched).collect(),
        counts,
    })
}

/// A snippet: text pieces, marked or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snippet {
    pub pieces: Vec<(String, bool)>,
}

/// Characters of context before the best window, and the snippet's length.
pub const SNIPPET_BEFORE: usize = 20;
pub const SNIPPET_CHARS: usize = 120;
/// Positions a window of query words may span.
pub const SNIPPET_SPAN: usize = 20;

impl Snippet {
    pub fn html(&self) -> String {
        let mut out = String::new();
        for (text, marked) in &self.pieces {
            let e = crate::escape::html(text);
            if *marked {
                out.push_str("<mark>");
                out.push_str(&e);
                out.push_str("</mark>");
            } else {
                out.push_str(&e);
            }
        }
        out
    }
}

/// The snippet of `text` (a document's stored text, `total` characters being the
/// whole body's length) for the matched words: the window where the most distinct
/// units occur within [`SNIPPET_SPAN`] positions (the earliest such), from
/// [`SNIPPET_BEFORE`] characters before it, [`SNIPPET_CHARS`] characters long, cut
/// on character boundaries with "…", every occurrence of a unit marked whole.
pub fn snippet(text: &str, total: usize, words: &[Matched]) -> Snippet {
    let units: Vec<&Unit> = words
        .iter()
        .flat_map(|w| {
            if w.parts.is_empty() {
                vec![&w.word]
            } else {
                w.parts.iter().collect()
            }
        })
        .collect();
    let tokens = analyzer::analyze(text);
    // Byte offset → character index.
    let mut char_at: HashMap<usize, usize> = HashMap::new();
    let mut count = 0;
    for (b, _) in text.char_indices() {
        char_at.insert(b, count);
        count += 1;
    }
    char_at.insert(text.len(), count);
    let chars: Vec<char> = text.chars().collect();
    let mut by_pos: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, t) in tokens.iter().enumerate() {
        by_pos.entry(t.position).or_default().push(i);
    }
    // Occurrences: (position, unit, from char, to char).
    let mut occ: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (ui, u) in units.iter().enumerate() {
        for (&p, first) in &by_pos {
            let mut range: Option<(usize, usize)> = None;
            let mut ok = true;
            for (k, want) in u.tokens.iter().enumerate() {
                let at = by_pos.get(&(p + k)).map(Vec::as_slice).unwrap_or(&[]);
                let at = if k == 0 { first.as_slice() } else { at };
                let found = at.iter().find(|&&i| {
                    let t = &tokens[i].text;
                    t == want || (u.prefix && t.starts_with(want.as_str()))
                });
                match found {
                    Some(&i) => {
                        let (a, b) = (char_at[&tokens[i].from], char_at[&tokens[i].to]);
                        range = Some(range.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
                    }
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if let (true, Some((a, b))) = (ok, range) {
                occ.push((p, ui, a, b));
            }
        }
    }
    occ.sort_unstable();
    let mut anchor = 0;
    let mut best = 0;
    for (i, o) in occ.iter().enumerate() {
        let mut seen: BTreeSet<usize> = BTreeSet::new();
        for x in &occ[i..] {
            if x.0 >= o.0 + SNIPPET_SPAN {
                break;
            }
            seen.insert(x.1);
        }
        if seen.len() > best {
            best = seen.len();
            anchor = o.2;
        }
    }
    let start = anchor.saturating_sub(SNIPPET_BEFORE);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    let mut marks: Vec<(usize, usize)> = occ
        .iter()
        .filter(|o| o.2 >= start && o.3 <= end)
        .map(|o| (o.2, o.3))
        .collect();
    marks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in marks {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let mut pieces = Vec::new();
    // White space runs become one space.
    let s = |a: usize, b: usize| {
        let mut out = String::new();
        let mut space = false;
        for &c in &chars[a..b] {
            if c.is_whitespace() {
                if !space {
                    out.push(' ');
                }
                space = true;
            } else {
                out.push(c);
                space = false;
            }
        }
        out
    };
    if start > 0 {
        pieces.push(("…".to_string(), false));
    }
    let mut at = start;
    for (a, b) in merged {
        if a > at {
            pieces.push((s(at, a), false));
        }
        pieces.push((s(a, b), true));
        at = b;
    }
    if end > at {
        pieces.push((s(at, end), false));
    }
    if end < chars.len().max(total) {
        pieces.push(("…".to_string(), false));
    }
    Snippet { pieces }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compounds_split_at_scripts_and_particles() {
        assert_eq!(pieces("レプリカ遅延"), ["レプリカ", "遅延"]);
        assert_eq!(pieces("決済が失敗"), ["決済", "失敗"]);
        assert_eq!(pieces("DBの遅延"), ["db", "遅延"]);
        assert_eq!(pieces("証明書期限切れ"), ["証明書期限切れ"]);
        assert_eq!(pieces("サーバー移行"), ["サバ", "移行"]);
    }

    #[test]
    fn prefix_applies_to_long_latin_words_and_the_last_word() {
        let p = parse("postgres 障害 abc");
        assert!(p[0].1.prefix && !p[1].1.prefix && p[2].1.prefix);
        assert!(!parse("abc x")[0].1.prefix);
    }

    #[test]
    fn proximity_prefers_close_words() {
        let o = |f: Vec<u32>| Occ {
            tf: [0.0, 0.0, 0.0, 1.0],
            starts: [vec![], vec![], vec![], f],
        };
        let (a, b, c) = (o(vec![0, 50]), o(vec![2]), o(vec![40]));
        assert!(proximity(&[&a, &b]) > proximity(&[&a, &c]));
        assert_eq!(proximity(&[&a]), 1.0);
    }
}
