//! Compares search analysers on a built knowledge base: srekb's CJK bigrams against a
//! dictionary-based morphological analyser (vibrato, a MeCab reimplementation, with
//! the IPA dictionary compiled from Debian's `mecab-ipadic` sources: no download).
//!
//! For every query of `tests/search_queries.toml` each analyser ranks the documents of
//! the index (phrase match of the query's tokens in title ×4, tags ×2, body ×1, BM25),
//! and the top 10 are judged two ways:
//! - the pages the query file expects (recall@10 of expected pages);
//! - ground truth by text: a page is relevant when its normalised text contains every
//!   part of the normalised query (precision@10, and recall@10 against min(10, relevant)).
//!
//! ```sh
//! apt-get install mecab-ipadic        # dictionary sources (EUC-JP CSV)
//! cargo run --release -- build        # writes .srekb/index
//! cargo run --release --features compare-analysers --example analysers
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use srekb::search::analyzer;
use tantivy::schema::Value;
use tantivy::{Index, TantivyDocument};
use unicode_normalization::UnicodeNormalization;

struct Doc {
    url: String,
    /// Fields: title, tags, body.
    fields: [String; 3],
}

const BOOSTS: [f64; 3] = [4.0, 2.0, 1.0];

#[derive(serde::Deserialize)]
struct Set {
    query: Vec<Q>,
}
#[derive(serde::Deserialize)]
struct Q {
    q: String,
    expect: Vec<String>,
}

fn load_docs(index: &Path) -> Vec<Doc> {
    let index = Index::open_in_dir(index).expect("open the index (run `srekb build` first)");
    index
        .tokenizers()
        .register("srekb", srekb::search::index::SrekbTokenizer);
    let schema = index.schema();
    let field = |n: &str| schema.get_field(n).unwrap();
    let (title, tags, body, url) = (field("title"), field("tags"), field("body"), field("url"));
    let reader = index.reader().unwrap();
    let searcher = reader.searcher();
    let mut docs = Vec::new();
    for seg in searcher.segment_readers() {
        let store = seg.get_store_reader(16).unwrap();
        for id in 0..seg.max_doc() {
            if seg.is_deleted(id) {
                continue;
            }
            let d: TantivyDocument = store.get(id).unwrap();
            let all = |f| {
                d.get_all(f)
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            docs.push(Doc {
                url: all(url),
                fields: [all(title), all(tags), all(body)],
            });
        }
    }
    docs
}

/// NFKC, lower case, and a katakana word's trailing long-vowel mark dropped: the
/// normalisation both analysers share (and the ground truth uses).
fn normalise(text: &str) -> String {
    text.nfkc().flat_map(char::to_lowercase).collect()
}

fn fold_long_vowel(t: &str) -> String {
    let chars: Vec<char> = t.chars().collect();
    if chars.len() >= 3
        && chars[chars.len() - 1] == 'ー'
        && ('\u{30A0}'..='\u{30FF}').contains(&chars[chars.len() - 2])
    {
        chars[..chars.len() - 1].iter().collect()
    } else {
        t.to_string()
    }
}

trait Analyser {
    fn name(&self) -> &str;
    fn tokens(&self, text: &str) -> Vec<String>;
}

struct Bigrams;
impl Analyser for Bigrams {
    fn name(&self) -> &str {
        "CJK bigrams (srekb)"
    }
    fn tokens(&self, text: &str) -> Vec<String> {
        analyzer::terms(text)
    }
}

struct Morph {
    tokenizer: vibrato::Tokenizer,
}
impl Analyser for Morph {
    fn name(&self) -> &str {
        "morphological (vibrato + IPAdic)"
    }
    fn tokens(&self, text: &str) -> Vec<String> {
        let norm = normalise(text);
        let mut worker = self.tokenizer.new_worker();
        let mut out = Vec::new();
        for line in norm.lines() {
            worker.reset_sentence(line);
            worker.tokenize();
            for t in worker.token_iter() {
                let s = t.surface();
                if s.trim().is_empty() || t.feature().starts_with("記号") {
                    continue;
                }
                if !s.chars().any(char::is_alphanumeric) {
                    continue;
                }
                out.push(fold_long_vowel(s));
            }
        }
        out
    }
}

fn decode(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (text, _, _) = encoding_rs::EUC_JP.decode(&bytes);
    text.into_owned()
}

fn ipadic(dir: &Path) -> vibrato::Tokenizer {
    let mut lex = String::new();
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e} (apt-get install mecab-ipadic)", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    csvs.sort();
    for p in csvs {
        lex.push_str(&decode(&p));
        if !lex.ends_with('\n') {
            lex.push('\n');
        }
    }
    let dict = vibrato::SystemDictionaryBuilder::from_readers(
        lex.as_bytes(),
        decode(&dir.join("matrix.def")).as_bytes(),
        decode(&dir.join("char.def")).as_bytes(),
        decode(&dir.join("unk.def")).as_bytes(),
    )
    .expect("building the IPA dictionary");
    vibrato::Tokenizer::new(dict).ignore_space(true).unwrap()
}

/// Occurrences of `needle` as a contiguous run in `hay`.
fn phrase_count(hay: &[String], needle: &[String]) -> usize {
    if needle.is_empty() || needle.len() > hay.len() {
        return 0;
    }
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

fn rank(a: &dyn Analyser, docs: &[Vec<Vec<String>>], query: &str) -> Vec<usize> {
    let parts: Vec<Vec<String>> = query
        .split_whitespace()
        .map(|p| a.tokens(p))
        .filter(|t| !t.is_empty())
        .collect();
    if parts.is_empty() {
        return Vec::new();
    }
    let n = docs.len() as f64;
    let avg: Vec<f64> = (0..3)
        .map(|f| docs.iter().map(|d| d[f].len() as f64).sum::<f64>() / n)
        .collect();
    let idfs: Vec<f64> = parts
        .iter()
        .map(|p| {
            let df = docs
                .iter()
                .filter(|d| (0..3).any(|f| phrase_count(&d[f], p) > 0))
                .count() as f64;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    let mut scores: Vec<(usize, f64)> = Vec::new();
    'doc: for (i, d) in docs.iter().enumerate() {
        let mut total = 0.0;
        for (p, idf) in parts.iter().zip(&idfs) {
            let mut s = 0.0;
            for f in 0..3 {
                let tf = phrase_count(&d[f], p) as f64;
                if tf > 0.0 {
                    let norm = 1.2 * (0.25 + 0.75 * d[f].len() as f64 / avg[f].max(1.0));
                    s += BOOSTS[f] * tf * 2.2 / (tf + norm);
                }
            }
            if s == 0.0 {
                continue 'doc;
            }
            total += idf * s;
        }
        scores.push((i, total));
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores.into_iter().take(10).map(|(i, _)| i).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let index = PathBuf::from(args.first().map_or(".srekb/index", String::as_str));
    let dic = PathBuf::from(
        args.get(1)
            .map_or("/usr/share/mecab/dic/ipadic", String::as_str),
    );
    let set: Set = toml::from_str(
        &std::fs::read_to_string("tests/search_queries.toml").expect("tests/search_queries.toml"),
    )
    .unwrap();
    let mut docs = load_docs(&index);
    // The seed documents the sample site was written from, as further documents.
    if let Ok(entries) = std::fs::read_dir("../shared/seeds") {
        for e in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                docs.push(Doc {
                    url: format!("seed:{}", e.file_name().to_string_lossy()),
                    fields: [String::new(), String::new(), text],
                });
            }
        }
    }
    let t = std::time::Instant::now();
    let morph = Morph {
        tokenizer: ipadic(&dic),
    };
    eprintln!(
        "{} documents, {} queries; IPA dictionary built in {:.1}s",
        docs.len(),
        set.query.len(),
        t.elapsed().as_secs_f64()
    );
    let truth_text: Vec<String> = docs
        .iter()
        .map(|d| fold_text(&normalise(&d.fields.join("\n"))))
        .collect();
    let analysers: [&dyn Analyser; 2] = [&Bigrams, &morph];
    let mut per_query: HashMap<&str, Vec<String>> = HashMap::new();
    println!("| analyser | recall@10 (expected pages) | precision@10 (text truth) | recall@10 (text truth) | index time |");
    println!("|---|---|---|---|---|");
    for a in analysers {
        let t = std::time::Instant::now();
        let tokenised: Vec<Vec<Vec<String>>> = docs
            .iter()
            .map(|d| d.fields.iter().map(|f| a.tokens(f)).collect())
            .collect();
        let index_time = t.elapsed();
        let (mut rec_e, mut prec, mut rec_t, mut n_prec, mut n_rec) = (0.0, 0.0, 0.0, 0, 0);
        for q in &set.query {
            let top = rank(a, &tokenised, &q.q);
            let urls: HashSet<&str> = top.iter().map(|&i| docs[i].url.as_str()).collect();
            let found = q
                .expect
                .iter()
                .filter(|e| urls.contains(String::as_str(e)))
                .count();
            rec_e += found as f64 / q.expect.len() as f64;
            let parts: Vec<String> =
                q.q.split_whitespace()
                    .map(|p| fold_text(&normalise(p)))
                    .collect();
            let relevant: HashSet<usize> = (0..docs.len())
                .filter(|&i| parts.iter().all(|p| truth_text[i].contains(p.as_str())))
                .collect();
            if !top.is_empty() {
                prec +=
                    top.iter().filter(|i| relevant.contains(i)).count() as f64 / top.len() as f64;
                n_prec += 1;
            }
            if !relevant.is_empty() {
                rec_t += top.iter().filter(|i| relevant.contains(i)).count() as f64
                    / relevant.len().min(10) as f64;
                n_rec += 1;
            }
            per_query.entry(&q.q).or_default().push(format!(
                "{}/{} expected, {} hits",
                found,
                q.expect.len(),
                top.len()
            ));
        }
        let nq = set.query.len() as f64;
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.0} ms |",
            a.name(),
            rec_e / nq,
            prec / f64::from(n_prec.max(1)),
            rec_t / f64::from(n_rec.max(1)),
            index_time.as_secs_f64() * 1000.0
        );
    }
    println!("\nQueries where the analysers differ:");
    for q in &set.query {
        let r = &per_query[q.q.as_str()];
        if r[0] != r[1] {
            println!("  {:<24} bigrams: {} | morphological: {}", q.q, r[0], r[1]);
        }
    }
}

/// The ground truth's text: long-vowel marks after katakana dropped everywhere, so
/// サーバー and サーバ compare equal (as both analysers fold them).
fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if c == 'ー' && ('\u{30A0}'..='\u{30FF}').contains(&prev) {
            prev = c;
            continue;
        }
        out.push(c);
        prev = c;
    }
    out
}
