//! The text analyser shared by indexing, querying and the browser (search.js mirrors
//! it line by line; tests/search_vectors.json holds both to the same output):
//!
//! 1. each character is NFKC-normalised and lower-cased (ＡＷＳ → aws, ｶﾞ → ガ); a
//!    voiced mark left over from half-width kana composes with the kana before it;
//! 2. iteration marks repeat the character before them (時々 → 時時, いすゞ → いすず);
//! 3. a long-vowel mark after a katakana is dropped anywhere in a word (サーバー = サーバ
//!    = サバ, エラーバジェット = エラバジェット); its text joins the character before it,
//!    so a marked match covers the whole written word;
//! 4. runs of Japanese script become overlapping bigrams with consecutive positions (a
//!    run of one character is one token): the tokens snippets mark; the index holds
//!    trigrams instead ([`index_terms`], [`lookups`]);
//! 5. runs of letters, digits and `_` are one word; an identifier also yields its
//!    parts at the same position (`SearchLatencyHigh` → searchlatencyhigh, search,
//!    latency, high; `db_replication_lag` → …, db, replication, lag);
//! 6. anything else separates tokens.

use unicode_normalization::char::compose;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Byte range in the original text.
    pub from: usize,
    pub to: usize,
    pub position: usize,
    /// A part of an identifier (emitted after the whole word, at its position).
    pub part: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Word,
    Cjk,
    Other,
}

pub fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c) || ('\u{31F0}'..='\u{31FF}').contains(&c)
}

pub fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}

pub fn is_cjk(c: char) -> bool {
    ('\u{30A0}'..='\u{30FF}').contains(&c)
        || ('\u{31F0}'..='\u{31FF}').contains(&c)
        || ('\u{3040}'..='\u{309F}').contains(&c) // hiragana
        || ('\u{4E00}'..='\u{9FFF}').contains(&c) // CJK unified ideographs
        || ('\u{3400}'..='\u{4DBF}').contains(&c)
        || ('\u{F900}'..='\u{FAFF}').contains(&c)
        || ('\u{20000}'..='\u{2FA1F}').contains(&c)
        || c == '々'
        || c == '〆'
}

pub fn class(c: char) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() || c == '_' {
            Class::Word
        } else {
            Class::Other
        };
    }
    if is_cjk(c) {
        Class::Cjk
    } else if c.is_alphanumeric() || c == '_' {
        Class::Word
    } else {
        Class::Other
    }
}

/// Characters NFKC leaves alone and that have no lower case beyond ASCII: the bulk
/// of Japanese and English text, which then skips the normaliser.
fn is_nfkc_stable(c: char) -> bool {
    c.is_ascii()
        || ('\u{3041}'..='\u{3096}').contains(&c) // hiragana (not the spacing marks ゛゜)
        || ('\u{30A1}'..='\u{30FA}').contains(&c) // katakana
        || c == 'ー'
        || ('\u{4E00}'..='\u{9FFF}').contains(&c) // CJK unified ideographs
        || matches!(c, '、' | '。' | '「' | '」')
}

/// One normalised character: its text, the byte range of the original it came from,
/// and whether it was upper case (for identifier parts).
#[derive(Debug, Clone, Copy)]
struct N {
    c: char,
    from: usize,
    to: usize,
    upper: bool,
}

fn push(out: &mut Vec<N>, n: N) {
    let prev = out.last().map(|p| p.c);
    match n.c {
        // A voiced mark left over from half-width kana composes with the kana before it.
        '\u{3099}' | '\u{309A}' => {
            if let Some(last) = out.last_mut() {
                if let Some(composed) = compose(last.c, n.c) {
                    last.c = composed;
                    last.to = n.to;
                    return;
                }
            }
        }
        // Long vowel after katakana: dropped, its text joins the character before it.
        'ー' if prev.is_some_and(is_katakana) => {
            if let Some(last) = out.last_mut() {
                last.to = n.to;
            }
            return;
        }
        // Iteration marks repeat the character before them (voiced for ゞ and ヾ).
        '々' | 'ゝ' | 'ヽ' | 'ゞ' | 'ヾ' if prev.is_some_and(is_cjk) => {
            let p = prev.unwrap_or(n.c);
            let c = if matches!(n.c, 'ゞ' | 'ヾ') {
                compose(p, '\u{3099}').unwrap_or(p)
            } else {
                p
            };
            out.push(N { c, ..n });
            return;
        }
        _ => {}
    }
    out.push(n);
}

/// Normalised characters with the byte range of the original text they came from.
fn normalize(text: &str) -> Vec<N> {
    let mut out: Vec<N> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if is_nfkc_stable(c) {
            let l = c.to_ascii_lowercase();
            push(
                &mut out,
                N {
                    c: l,
                    from: i,
                    to: end,
                    upper: l != c,
                },
            );
            continue;
        }
        for n in std::iter::once(c).nfkc() {
            let mut lower = n.to_lowercase();
            let upper = lower.len() != 1 || lower.clone().next() != Some(n);
            for l in lower.by_ref() {
                push(
                    &mut out,
                    N {
                        c: l,
                        from: i,
                        to: end,
                        upper,
                    },
                );
            }
        }
    }
    out
}

/// The parts of an identifier: split at `_` and where lower case turns to upper
/// case (`searchLatency`), or an upper-case run ends before a capitalised word
/// (`HTTPServer` → http, server). Empty when the word is not an identifier.
fn identifier_parts(word: &[N]) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 0..word.len() {
        if word[i].c == '_' {
            if i > start {
                parts.push((start, i));
            }
            start = i + 1;
            continue;
        }
        if i > start {
            let (a, b) = (&word[i - 1], &word[i]);
            let lower_to_upper = b.upper && !a.upper && a.c.is_alphabetic();
            let acronym_end = b.upper
                && a.upper
                && word
                    .get(i + 1)
                    .is_some_and(|n| !n.upper && n.c.is_alphabetic());
            if lower_to_upper || acronym_end {
                parts.push((start, i));
                start = i;
            }
        }
    }
    if word.len() > start {
        parts.push((start, word.len()));
    }
    if parts.len() < 2 {
        parts.clear();
    }
    parts
}

/// The runs of characters of one class in `chars`, in order.
fn class_runs(chars: &[N]) -> impl Iterator<Item = (Class, &[N])> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let cls = class(chars.get(i)?.c);
        let mut j = i + 1;
        while j < chars.len() && class(chars[j].c) == cls {
            j += 1;
        }
        let run = &chars[i..j];
        i = j;
        Some((cls, run))
    })
}

/// Analyses `text` into tokens (identifier parts included).
pub fn analyze(text: &str) -> Vec<Token> {
    analyze_with(text, true)
}

/// Analyses a query: as [`analyze`] without identifier parts.
pub fn analyze_query(text: &str) -> Vec<Token> {
    analyze_with(text, false)
}

fn analyze_with(text: &str, parts: bool) -> Vec<Token> {
    let chars = normalize(text);
    let mut tokens = Vec::new();
    let mut position = 0;
    for (cls, run) in class_runs(&chars) {
        match cls {
            Class::Word => {
                tokens.push(Token {
                    text: run.iter().map(|c| c.c).collect(),
                    from: run[0].from,
                    to: run[run.len() - 1].to,
                    position,
                    part: false,
                });
                if parts {
                    for (a, b) in identifier_parts(run) {
                        tokens.push(Token {
                            text: run[a..b].iter().map(|c| c.c).collect(),
                            from: run[a].from,
                            to: run[b - 1].to,
                            position,
                            part: true,
                        });
                    }
                }
                position += 1;
            }
            Class::Cjk if run.len() == 1 => {
                tokens.push(Token {
                    text: run[0].c.to_string(),
                    from: run[0].from,
                    to: run[0].to,
                    position,
                    part: false,
                });
                position += 1;
            }
            Class::Cjk => {
                for w in run.windows(2) {
                    tokens.push(Token {
                        text: [w[0].c, w[1].c].iter().collect(),
                        from: w[0].from,
                        to: w[1].to,
                        position,
                        part: false,
                    });
                    position += 1;
                }
            }
            Class::Other => {}
        }
    }
    tokens
}

/// The terms `text` is indexed by (the tantivy index and the browser's share them):
/// a Latin word and its identifier parts; a Japanese run of one character as it is;
/// a longer run as the three characters starting at each of its positions but the
/// last (the last two as they are: 障害対応 → 障害対, 害対応, 対応). Every position of a
/// run starts exactly one term, so a two-character word is found, and counted, by the
/// terms it begins ([`lookups`]), and a longer one by its trigrams.
#[cfg(test)]
pub fn index_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    index_terms_into(text, &mut |t| out.push(t.to_string()));
    out
}

/// [`index_terms`], handed one by one to `emit`.
pub fn index_terms_into(text: &str, emit: &mut impl FnMut(&str)) {
    let chars = normalize(text);
    let mut buf = String::new();
    for (cls, run) in class_runs(&chars) {
        match cls {
            Class::Word => {
                buf.clear();
                buf.extend(run.iter().map(|c| c.c));
                emit(&buf);
                for (a, b) in identifier_parts(run) {
                    buf.clear();
                    buf.extend(run[a..b].iter().map(|c| c.c));
                    emit(&buf);
                }
            }
            Class::Cjk if run.len() == 1 => {
                buf.clear();
                buf.push(run[0].c);
                emit(&buf);
            }
            Class::Cjk => {
                for k in 0..run.len() - 1 {
                    buf.clear();
                    buf.extend(run[k..(k + 3).min(run.len())].iter().map(|c| c.c));
                    emit(&buf);
                }
            }
            Class::Other => {}
        }
    }
}

/// How a query word finds its documents: every lookup must match in one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lookup {
    pub term: String,
    /// Every indexed term starting with `term` counts as an occurrence (a word of
    /// two Japanese characters: the terms its occurrences begin).
    pub starts: bool,
}

/// The lookups of a query word: a Latin word as it is; per Japanese run, one
/// character as it is, two as the start of terms, three or more as the trigrams
/// starting at every other character and the last (カナリアリリス → カナリ, リアリ, リリス).
pub fn lookups(word: &str) -> Vec<Lookup> {
    let chars = normalize(word);
    let mut out = Vec::new();
    for (cls, run) in class_runs(&chars) {
        let run: Vec<char> = run.iter().map(|n| n.c).collect();
        let mut add = |term: String, starts: bool| {
            let l = Lookup { term, starts };
            if !out.contains(&l) {
                out.push(l);
            }
        };
        match cls {
            Class::Word => add(run.iter().collect(), false),
            Class::Cjk if run.len() <= 2 => add(run.iter().collect(), run.len() == 2),
            // Every other trigram and the last: each two neighbouring characters
            // of the word inside one of them, half the shards to load.
            Class::Cjk => {
                let mut k = 0;
                loop {
                    let at = k.min(run.len() - 3);
                    add(run[at..at + 3].iter().collect(), false);
                    if at == run.len() - 3 {
                        break;
                    }
                    k += 2;
                }
            }
            Class::Other => {}
        }
    }
    out
}

/// The runs of letters or of Japanese script in `word` (`DBの遅延`: 2).
pub fn runs(word: &str) -> usize {
    let mut n = 0;
    let mut prev = Class::Other;
    for c in normalize(word) {
        let cls = class(c.c);
        if cls != Class::Other && cls != prev {
            n += 1;
        }
        prev = cls;
    }
    n
}

/// Just the token texts (identifier parts included), for test vectors.
#[cfg(test)]
pub fn terms(text: &str) -> Vec<String> {
    analyze(text).into_iter().map(|t| t.text).collect()
}

/// The normalised characters of `text` (steps 1–3), for splitting query words.
pub fn normalized_chars(text: &str) -> Vec<char> {
    normalize(text).into_iter().map(|n| n.c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_words_are_lower_cased_and_whole() {
        assert_eq!(
            terms("Kubernetes kubernetes K8s"),
            ["kubernetes", "kubernetes", "k8s"]
        );
        assert_eq!(terms("ＡＷＳ の SLO設定"), ["aws", "の", "slo", "設定"]);
    }

    #[test]
    fn japanese_runs_become_bigrams_with_positions() {
        let t = analyze("障害対応");
        assert_eq!(
            t.iter().map(|x| x.text.as_str()).collect::<Vec<_>>(),
            ["障害", "害対", "対応"]
        );
        assert_eq!(t.iter().map(|x| x.position).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!((t[2].from, t[2].to), (6, 12));
        assert_eq!(terms("新"), ["新"]);
    }

    #[test]
    fn runs_are_indexed_by_the_trigram_starting_at_each_position() {
        assert_eq!(index_terms("障害対応"), ["障害対", "害対応", "対応"]);
        assert_eq!(index_terms("対応 新"), ["対応", "新"]);
        assert_eq!(
            index_terms("SearchLatencyHigh のサーバー"),
            [
                "searchlatencyhigh",
                "search",
                "latency",
                "high",
                "のサバ",
                "サバ"
            ]
        );
        let l = |t: &str, starts: bool| Lookup {
            term: t.into(),
            starts,
        };
        assert_eq!(lookups("対応"), [l("対応", true)]);
        assert_eq!(
            lookups("障害対応"),
            [l("障害対", false), l("害対応", false)]
        );
        assert_eq!(lookups("SLO設定"), [l("slo", false), l("設定", true)]);
        assert_eq!(lookups("新"), [l("新", false)]);
        assert_eq!(
            lookups("カナリアリリース"),
            [l("カナリ", false), l("リアリ", false), l("リリス", false)]
        );
        assert_eq!(
            lookups("障害対応手順"),
            [l("障害対", false), l("対応手", false), l("応手順", false)]
        );
        assert_eq!(lookups("サーバー"), lookups("ｻｰﾊﾞ"));
        assert!(lookups("、").is_empty());
        assert_eq!(
            [
                runs("障害"),
                runs("DBの遅延"),
                runs("rate-limit"),
                runs("db_lag")
            ],
            [1, 2, 2, 1]
        );
    }

    #[test]
    fn long_vowel_width_and_iteration_folding() {
        assert_eq!(terms("サーバー"), terms("サーバ"));
        assert_eq!(terms("サーバー"), ["サバ"]);
        assert_eq!(terms("ｻｰﾊﾞｰ"), terms("サーバ"));
        assert_eq!(terms("ｶﾞﾍﾞｰｼﾞ"), terms("ガベージ"));
        assert_eq!(terms("エラーバジェット"), terms("エラバジェット"));
        assert_eq!(terms("時々"), terms("時時"));
        assert_eq!(terms("ＯＫＲ"), ["okr"]);
        // The mark after a kanji or alone is a character of its own.
        assert_eq!(terms("ー"), ["ー"]);
    }

    #[test]
    fn a_dropped_long_vowel_stays_inside_the_match() {
        let text = "新サーバー。";
        let t = analyze(text);
        let last = t.last().unwrap();
        assert_eq!(&text[t[0].from..last.to], "新サーバー");
    }

    #[test]
    fn identifiers_yield_their_parts_at_one_position() {
        assert_eq!(
            terms("SearchLatencyHigh db_replication_lag HTTPServer PostgreSQL k8s"),
            [
                "searchlatencyhigh",
                "search",
                "latency",
                "high",
                "db_replication_lag",
                "db",
                "replication",
                "lag",
                "httpserver",
                "http",
                "server",
                "postgresql",
                "postgre",
                "sql",
                "k8s"
            ]
        );
        let t = analyze("a SearchLatencyHigh b");
        assert_eq!(
            t.iter().map(|x| x.position).collect::<Vec<_>>(),
            [0, 1, 1, 1, 1, 2]
        );
        assert!(analyze_query("SearchLatencyHigh").len() == 1);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ＡＷＳでｻｰﾊﾞｰ障害々";
        for t in analyze(text) {
            assert!(
                text.is_char_boundary(t.from) && text.is_char_boundary(t.to),
                "{t:?}"
            );
        }
        let t = analyze(text);
        assert_eq!(&text[t[0].from..t[0].to], "ＡＷＳ");
    }

    #[test]
    fn the_fast_path_agrees_with_the_normaliser() {
        for c in ('\u{0}'..='\u{7F}')
            .chain('\u{3000}'..='\u{30FF}')
            .chain('\u{4E00}'..='\u{9FFF}')
        {
            if is_nfkc_stable(c) {
                let slow: String = std::iter::once(c)
                    .nfkc()
                    .flat_map(char::to_lowercase)
                    .collect();
                assert_eq!(slow, c.to_ascii_lowercase().to_string(), "{c:?}");
            }
        }
    }

    #[test]
    fn punctuation_separates() {
        assert_eq!(
            terms("SLI/SLO、エラーバジェット。"),
            ["sli", "slo", "エラ", "ラバ", "バジ", "ジェ", "ェッ", "ット"]
        );
    }

    /// The vectors search.js is tested against in the browser (tests/search.rs).
    #[test]
    fn shared_test_vectors() {
        #[derive(serde::Deserialize)]
        struct V {
            text: String,
            terms: Vec<String>,
        }
        #[derive(serde::Deserialize)]
        struct File {
            analyser: Vec<V>,
        }
        let f: File =
            serde_json::from_str(include_str!("../../tests/search_vectors.json")).unwrap();
        assert!(f.analyser.len() >= 30);
        for v in f.analyser {
            assert_eq!(terms(&v.text), v.terms, "{:?}", v.text);
        }
    }
}
