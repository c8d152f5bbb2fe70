//! The query language and the scorer, over any store of positional postings (the
//! tantivy index for the CLI and `serve`; search.js implements the same over the
//! static export). Specified in the README's search section; the shared vectors in
//! tests/search_vectors.json hold the two implementations to the same ranked ids.
//!
//! A query is words separated by white space; every word must match (true AND). A
//! word is analysed like text and matched by its lookups in one field
//! ([`analyzer::lookups`]: Latin words whole, Japanese by the trigrams of the word, so
//! a word of up to three characters matches exactly as a phrase and a longer one when
//! every three consecutive characters of it occur). A Latin word of four or more
//! characters, and the last word when it has three, also matches as a prefix
//! (`postgres` → postgresql), a prefix occurrence counting half. A word with no match
//! anywhere is split at script changes and particles, then each piece into the
//! longest prefixes that occur (証明書期限切れ → 証明書 + 期限切れ); its parts must all
//! match and it scores half. A word that does occur whole and has parts (障害対応 →
//! 障害 + 対応, [`also_parts`]) also finds the pages holding all its parts and ranks as
//! its parts typed apart, twice as high where written whole. A word of several runs (`DBの遅延`, `rate-limit`) is
//! always matched by its parts. The index holds no positions (the browser's would be
//! as large as the text); instead, a document holding two neighbouring query words
//! written together ([`pair_text`]: 障害 対応 → 害対 + 対応 across the join, `rate
//! limit` → ratelimit) scores up to twice as much.

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
pub const K1: f64 = 2.0;
/// Weight of an occurrence found by prefix, and of a word found only by its parts.
pub const PREFIX_WEIGHT: f64 = 0.5;
pub const SPLIT_WEIGHT: f64 = 0.5;
/// A katakana word found whole on fewer pages than this also finds the pages holding
/// its parts (a kanji compound always does).
pub const ALSO_PARTS_BELOW: usize = 20;
/// Katakana no word starts with (small kana, ン): a compound is not cut before them.
pub const NO_WORD_START: &str = "ァィゥェォッャュョヮヵヶン";
/// Score × (1 + ADJACENT × the share of neighbouring query words found written
/// together).
pub const ADJACENT: f64 = 1.0;
/// Particles a compound is split at (when standing between other characters).
pub const PARTICLES: [&str; 13] = [
    "の", "が", "を", "に", "へ", "で", "と", "は", "も", "や", "から", "まで", "より",
];

/// The documents one term occurs in, by id, with its count in each field.
pub type Postings = BTreeMap<u32, [u32; FIELDS]>;

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
    fn postings(&mut self, term: &str) -> Result<Rc<Postings>>;
    /// Every indexed term starting with `prefix` (the prefix itself included).
    fn prefixed(&mut self, prefix: &str) -> Result<Vec<String>>;
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    pub kind: Option<String>,
    pub service: Option<String>,
    pub tag: Option<String>,
}

/// One unit matched as a whole: its tokens (what snippets mark), its lookups (what
/// finds its documents), and whether a single Latin token also matches as a prefix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    pub tokens: Vec<String>,
    pub lookups: Vec<analyzer::Lookup>,
    pub prefix: bool,
    /// Runs of letters or Japanese script: a unit of several is matched by parts.
    pub runs: usize,
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

fn unit(text: &str, last: bool) -> Unit {
    let tokens = tokens_of(text);
    let n = tokens.first().map_or(0, |t| t.chars().count());
    let prefix = tokens.len() == 1 && is_latin(&tokens[0]) && (n >= 4 || (last && n >= 3));
    Unit {
        tokens,
        lookups: analyzer::lookups(text),
        prefix,
        runs: analyzer::runs(text),
    }
}

/// The query's words, in order, duplicates removed.
pub fn parse(query: &str) -> Vec<(String, Unit)> {
    let parts: Vec<&str> = query.split_whitespace().collect();
    let mut words: Vec<(String, Unit)> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let u = unit(p, i + 1 == parts.len());
        if u.tokens.is_empty() {
            continue;
        }
        if !words.iter().any(|(_, w)| w.tokens == u.tokens) {
            words.push((p.to_string(), u));
        }
    }
    words
}

/// Occurrences of a unit in one document: weighted count per field.
#[derive(Debug, Clone, Copy, Default)]
struct Occ {
    tf: [f64; FIELDS],
}

type Occurrences = BTreeMap<u32, Occ>;

/// Occurrences of one lookup: the counts of its term, or of every term it starts
/// (Latin prefixes counting [`PREFIX_WEIGHT`]).
fn lookup<S: Source>(src: &mut S, l: &analyzer::Lookup, latin_prefix: bool) -> Result<Occurrences> {
    let terms = if l.starts || latin_prefix {
        src.prefixed(&l.term)?
    } else {
        vec![l.term.clone()]
    };
    let mut out = Occurrences::new();
    for term in terms {
        let w = if latin_prefix && term != l.term {
            PREFIX_WEIGHT
        } else {
            1.0
        };
        for (doc, counts) in src.postings(&term)?.iter() {
            let o = out.entry(*doc).or_default();
            for f in 0..FIELDS {
                o.tf[f] += w * f64::from(counts[f]);
            }
        }
    }
    Ok(out)
}

/// Occurrences of `u`: the documents where one field holds every lookup, counted
/// per field by the rarest lookup.
fn phrase<S: Source>(src: &mut S, u: &Unit) -> Result<Occurrences> {
    let latin_prefix = u.prefix && u.lookups.len() == 1;
    let mut acc: Option<Occurrences> = None;
    for l in &u.lookups {
        let occ = lookup(src, l, latin_prefix)?;
        acc = Some(match acc {
            None => occ,
            Some(mut a) => {
                a.retain(|doc, o| match occ.get(doc) {
                    Some(b) => {
                        for f in 0..FIELDS {
                            o.tf[f] = o.tf[f].min(b.tf[f]);
                        }
                        true
                    }
                    None => false,
                });
                a
            }
        });
        if acc.as_ref().is_some_and(BTreeMap::is_empty) {
            break;
        }
    }
    let mut out = acc.unwrap_or_default();
    out.retain(|_, o| o.tf.iter().any(|&t| t > 0.0));
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
fn split<S: Source>(src: &mut S, word: &str) -> Result<Vec<Unit>> {
    let mut units: Vec<Unit> = Vec::new();
    for piece in pieces(word) {
        let chars: Vec<char> = piece.chars().collect();
        let mut start = 0;
        while start < chars.len() {
            let mut chosen = None;
            if chars.len() - start >= 2 && script(chars[start]) != Script::Latin {
                for end in (start + 2..=chars.len()).rev() {
                    let s: String = chars[start..end].iter().collect();
                    let u = unit(&s, false);
                    if u.tokens.is_empty() {
                        continue;
                    }
                    if !phrase(src, &u)?.is_empty() {
                        chosen = Some((end, u));
                        break;
                    }
                }
            }
            let (end, u) = chosen.unwrap_or_else(|| {
                let s: String = chars[start..].iter().collect();
                (chars.len(), unit(&s, false))
            });
            if !u.tokens.is_empty() && !units.contains(&u) {
                units.push(u);
            }
            start = end;
        }
    }
    Ok(units)
}

/// The parts a word that occurs whole (on `pages` pages) is also matched by: its
/// pieces as [`split`] cuts them; a word of one piece cut in two where both halves
/// occur, the first as long as it can be: kanji always (障害対応 → 障害 + 対応),
/// katakana of two halves of three characters or more, the second starting as a word
/// can, when it is found whole on fewer than [`ALSO_PARTS_BELOW`] pages
/// (エスカレーションポリシー → エスカレーション + ポリシー). Empty when it has no such parts.
fn also_parts<S: Source>(src: &mut S, word: &str, pages: usize) -> Result<Vec<Unit>> {
    let all = pieces(word);
    let [piece] = all.as_slice() else {
        let units = split(src, word)?;
        return Ok(if units.len() >= 2 { units } else { Vec::new() });
    };
    let chars: Vec<char> = piece.chars().collect();
    let kana = script(chars[0]) == Script::Katakana;
    if !(script(chars[0]) == Script::Kanji || (kana && pages < ALSO_PARTS_BELOW)) {
        return Ok(Vec::new());
    }
    let least = if kana { 3 } else { 2 };
    if chars.len() < 2 * least {
        return Ok(Vec::new());
    }
    for end in (least..=chars.len() - least).rev() {
        if kana && NO_WORD_START.contains(chars[end]) {
            continue;
        }
        let a = unit(&chars[..end].iter().collect::<String>(), false);
        let b = unit(&chars[end..].iter().collect::<String>(), false);
        if !phrase(src, &a)?.is_empty() && !phrase(src, &b)?.is_empty() {
            return Ok(vec![a, b]);
        }
    }
    Ok(Vec::new())
}

fn idf(n: usize, df: usize) -> f64 {
    let (n, df) = (n as f64, df as f64);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// BM25F: the fields' counts weighted by their boosts, then saturated once (a word
/// in the title and once in the body is not worth more than a page about it).
fn field_score(idf: f64, o: &Occ) -> f64 {
    let mut tf = 0.0;
    for f in 0..FIELDS {
        tf += BOOSTS[f] * o.tf[f];
    }
    idf * tf * (K1 + 1.0) / (tf + K1)
}

/// What two neighbouring query words look like written together, as far as the
/// index can tell without positions: for a Japanese join, the last two characters
/// of the first and the first two of the second (their trigrams cross the join); for
/// two Latin words, the two as one word (`rate limit` → ratelimit). None across a
/// change of script.
pub fn pair_text(a: &str, b: &str) -> Option<String> {
    let (a, b) = (analyzer::normalized_chars(a), analyzer::normalized_chars(b));
    let class = |c: &char| analyzer::class(*c);
    let (x, y) = (a.last()?, b.first()?);
    match (class(x), class(y)) {
        (Class::Cjk, Class::Cjk) => {
            let head: Vec<char> = a
                .iter()
                .rev()
                .take(2)
                .take_while(|c| class(c) == Class::Cjk)
                .copied()
                .collect();
            let tail = b.iter().take(2).take_while(|c| class(c) == Class::Cjk);
            Some(head.into_iter().rev().chain(tail.copied()).collect())
        }
        (Class::Word, Class::Word) if a.iter().chain(&b).all(|c| class(c) == Class::Word) => {
            Some(a.iter().chain(&b).collect())
        }
        _ => None,
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
    // Neighbouring words written together: the documents holding each pair.
    let pairs: Vec<Occurrences> = parsed
        .windows(2)
        .map(|w| match pair_text(&w[0].0, &w[1].0) {
            Some(text) => phrase(
                src,
                &Unit {
                    prefix: false,
                    ..unit(&text, false)
                },
            ),
            None => Ok(Occurrences::new()),
        })
        .collect::<Result<_>>()?;
    for (text, u) in parsed {
        let whole = if u.runs > 1 {
            Occurrences::new()
        } else {
            phrase(src, &u)?
        };
        if !whole.is_empty() {
            let parts_units = also_parts(src, &text, whole.len())?;
            let parts = parts_units
                .iter()
                .map(|p| phrase(src, p))
                .collect::<Result<_>>()?;
            words.push(WordMatch {
                matched: Matched {
                    word: u,
                    parts: parts_units,
                },
                whole,
                parts,
            });
            continue;
        }
        let parts_units = split(src, &text)?;
        let is_split = parts_units.len() >= 2 || parts_units.first().is_some_and(|p| *p != u);
        let parts: Vec<Occurrences> = if is_split {
            parts_units
                .iter()
                .map(|p| phrase(src, p))
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
        let mut set: BTreeSet<u32> = w.whole.keys().copied().collect();
        if w.matched.parts.is_empty() {
            return set;
        }
        let mut it = w.parts.iter();
        let mut both: BTreeSet<u32> = it
            .next()
            .map(|p| p.keys().copied().collect())
            .unwrap_or_default();
        for p in it {
            both.retain(|d| p.contains_key(d));
        }
        set.extend(both);
        set
    };
    let sets: Vec<BTreeSet<u32>> = words.iter().map(docs_of).collect();
    let idfs: Vec<(f64, Vec<f64>)> = words
        .iter()
        .zip(&sets)
        .map(|(w, s)| {
            (
                idf(
                    n,
                    if w.whole.is_empty() {
                        s.len()
                    } else {
                        w.whole.len()
                    },
                ),
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
        for (w, (widf, pidf)) in words.iter().zip(&idfs) {
            let whole = w.whole.get(&doc);
            if let (Some(o), true) = (whole, w.parts.is_empty()) {
                score += field_score(*widf, o);
                continue;
            }
            // A word with parts ranks as its parts typed apart, twice as high where
            // it is written whole.
            let mut s = 0.0;
            for (p, i) in w.parts.iter().zip(pidf) {
                s += p.get(&doc).map_or(0.0, |o| field_score(*i, o));
            }
            score += if whole.is_some() { s } else { SPLIT_WEIGHT * s };
        }
        if !pairs.is_empty() {
            let together = pairs.iter().filter(|p| p.contains_key(&doc)).count();
            score *= 1.0 + ADJACENT * together as f64 / pairs.len() as f64;
        }
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
/// whole body's length) for the matched words (each whole where the text holds it,
/// else its parts): the window where the most distinct units occur within [`SNIPPET_SPAN`] positions (the earliest such), from
/// [`SNIPPET_BEFORE`] characters before it, [`SNIPPET_CHARS`] characters long, cut
/// on character boundaries with "…", every occurrence of a unit marked whole.
pub fn snippet(text: &str, total: usize, words: &[Matched]) -> Snippet {
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
    // A unit's occurrences: (position, from char, to char).
    let find = |u: &Unit| -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
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
                out.push((p, a, b));
            }
        }
        out
    };
    // Occurrences: (position, unit, from char, to char); a word is marked whole
    // where the text holds it, else by its parts.
    let mut occ: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut ui = 0;
    for w in words {
        let whole = find(&w.word);
        let found: Vec<Vec<(usize, usize, usize)>> = if whole.is_empty() && !w.parts.is_empty() {
            w.parts.iter().map(&find).collect()
        } else {
            vec![whole]
        };
        for list in found {
            occ.extend(list.into_iter().map(|(p, a, b)| (p, ui, a, b)));
            ui += 1;
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
    fn neighbouring_words_are_looked_up_across_their_join() {
        assert_eq!(pair_text("障害", "対応").as_deref(), Some("障害対応"));
        assert_eq!(
            pair_text("サービスレベル", "目標").as_deref(),
            Some("ベル目標")
        );
        assert_eq!(pair_text("新", "幹線").as_deref(), Some("新幹線"));
        assert_eq!(pair_text("rate", "Limit").as_deref(), Some("ratelimit"));
        assert_eq!(pair_text("kubernetes", "クラスター"), None);
        assert_eq!(pair_text("v1.2", "release"), None);
    }

    #[test]
    fn prefix_applies_to_long_latin_words_and_the_last_word() {
        let p = parse("postgres 障害 abc");
        assert!(p[0].1.prefix && !p[1].1.prefix && p[2].1.prefix);
        assert!(!parse("abc x")[0].1.prefix);
    }

    struct Mem(BTreeMap<String, Postings>);
    impl Source for Mem {
        fn postings(&mut self, term: &str) -> Result<Rc<Postings>> {
            Ok(Rc::new(self.0.get(term).cloned().unwrap_or_default()))
        }
        fn prefixed(&mut self, prefix: &str) -> Result<Vec<String>> {
            Ok(self
                .0
                .keys()
                .filter(|t| t.starts_with(prefix))
                .cloned()
                .collect())
        }
    }

    /// An in-memory index of (document, field, text).
    fn mem(docs: &[(u32, usize, &str)]) -> Mem {
        let mut terms: BTreeMap<String, Postings> = BTreeMap::new();
        for &(doc, field, text) in docs {
            for t in analyzer::index_terms(text) {
                terms.entry(t).or_default().entry(doc).or_default()[field] += 1;
            }
        }
        Mem(terms)
    }

    fn facets(n: usize) -> Facets {
        Facets {
            kinds: vec!["page".into()],
            kind: vec![0; n],
            ds: vec![Vec::new(); n],
            dt: vec![Vec::new(); n],
            ..Facets::default()
        }
    }

    #[test]
    fn fields_are_weighted_then_saturated_once() {
        let occ = |tf: [f64; FIELDS]| Occ { tf };
        // The title counts as four body occurrences...
        let title = field_score(1.0, &occ([1.0, 0.0, 0.0, 0.0]));
        assert!((title - field_score(1.0, &occ([0.0, 0.0, 0.0, 4.0]))).abs() < 1e-12);
        // ...so a page about a word outranks one naming it in its title and once.
        let named = field_score(1.0, &occ([1.0, 0.0, 0.0, 1.0]));
        let about = field_score(1.0, &occ([0.0, 0.0, 0.0, 12.0]));
        assert!(about > named, "{about} <= {named}");
    }

    #[test]
    fn a_kanji_compound_found_whole_often_also_finds_its_parts() {
        let mut docs: Vec<(u32, usize, &str)> = (0..25).map(|d| (d, 3, "障害対応")).collect();
        docs.push((25, 3, "障害が起きた。障害の後で対応する。障害に対応した。"));
        docs.push((26, 3, "障害だけ。"));
        let mut src = mem(&docs);
        let r = search(&mut src, &facets(27), "障害対応", &Filters::default()).unwrap();
        let ids: Vec<u32> = r.hits.iter().map(|h| h.0).collect();
        assert_eq!(ids.len(), 26, "{ids:?}");
        assert_eq!(
            ids[25], 25,
            "written apart ranks after written whole: {ids:?}"
        );
        let parts: Vec<&str> = r.words[0]
            .parts
            .iter()
            .map(|u| u.tokens[0].as_str())
            .collect();
        assert_eq!(parts, ["障害", "対応"]);
    }

    #[test]
    fn a_rare_katakana_compound_is_cut_where_a_word_can_start() {
        let mut src = mem(&[
            (0, 3, "エスカレーションポリシー"),
            (1, 3, "エスカレーションの手順とポリシー"),
            (2, 3, "ツールボックス"),
        ]);
        let cut = |src: &mut Mem, w: &str, pages: usize| -> Vec<String> {
            also_parts(src, w, pages)
                .unwrap()
                .iter()
                .map(|u| u.tokens.concat())
                .collect()
        };
        let want = ["エスカレーション", "ポリシー"].map(|w| tokens_of(w).concat());
        assert_eq!(cut(&mut src, "エスカレーションポリシー", 1), want);
        // Found whole on many pages: a word of its own.
        assert!(cut(&mut src, "エスカレーションポリシー", ALSO_PARTS_BELOW).is_empty());
        // ツルボ + ックス both occur, but no word starts with ッ.
        assert!(cut(&mut src, "ツールボックス", 1).is_empty());
    }

    #[test]
    fn a_unit_needs_every_lookup_in_one_field() {
        let mut src = mem(&[
            (0, 3, "障害対応の手順"),
            (1, 0, "障害対"),
            (1, 3, "害対応"),
            (2, 3, "対応"),
        ]);
        let docs = |q: &str, src: &mut Mem| -> Vec<u32> {
            phrase(src, &parse(q)[0].1).unwrap().into_keys().collect()
        };
        // 障害対応 is in doc 0; doc 1 holds its trigrams only in different fields.
        assert_eq!(docs("障害対応", &mut src), [0]);
        // A two-character word: every term it starts, run end included.
        assert_eq!(docs("対応", &mut src), [0, 1, 2]);
        assert_eq!(docs("応の", &mut src), [0]);
    }
}
