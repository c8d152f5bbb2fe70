//! The text analyser shared by indexing and querying (and, later, the browser):
//! NFKC (ＡＷＳ → aws, half-width ｶﾞ → ガ), lower case, katakana long-vowel folding at
//! the end of a word (サーバー = サーバ), Latin/digit words kept whole, and runs of
//! Japanese script cut into overlapping bigrams with real positions, so a query of
//! several bigrams is matched as a phrase (障害対応 finds 障害対応, not 障害 … 対応).

use unicode_normalization::char::compose;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Byte range in the original text.
    pub from: usize,
    pub to: usize,
    pub position: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    Cjk,
    Other,
}

fn is_katakana(c: char) -> bool {
    ('\u{30A0}'..='\u{30FF}').contains(&c) || ('\u{31F0}'..='\u{31FF}').contains(&c)
}

fn is_cjk(c: char) -> bool {
    is_katakana(c)
        || ('\u{3040}'..='\u{309F}').contains(&c) // hiragana
        || ('\u{4E00}'..='\u{9FFF}').contains(&c) // CJK unified ideographs
        || ('\u{3400}'..='\u{4DBF}').contains(&c)
        || ('\u{F900}'..='\u{FAFF}').contains(&c)
        || ('\u{20000}'..='\u{2FA1F}').contains(&c)
        || c == '々'
        || c == '〆'
}

fn class(c: char) -> Class {
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

/// Normalised characters with the byte range of the original text they came from.
fn normalize(text: &str) -> Vec<(char, usize, usize)> {
    let mut out: Vec<(char, usize, usize)> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if is_nfkc_stable(c) {
            out.push((c.to_ascii_lowercase(), i, end));
            continue;
        }
        for n in std::iter::once(c).nfkc() {
            // A voiced mark left over from half-width kana composes with the previous kana.
            if matches!(n, '\u{3099}' | '\u{309A}') {
                if let Some(last) = out.last_mut() {
                    if let Some(composed) = compose(last.0, n) {
                        last.0 = composed;
                        last.2 = end;
                        continue;
                    }
                }
            }
            for l in n.to_lowercase() {
                out.push((l, i, end));
            }
        }
    }
    out
}

/// Analyses `text` into tokens.
pub fn analyze(text: &str) -> Vec<Token> {
    let chars = normalize(text);
    let mut tokens = Vec::new();
    let mut position = 0;
    let mut i = 0;
    while i < chars.len() {
        let cls = class(chars[i].0);
        let mut j = i + 1;
        while j < chars.len() && class(chars[j].0) == cls {
            j += 1;
        }
        match cls {
            Class::Word => {
                tokens.push(Token {
                    text: chars[i..j].iter().map(|c| c.0).collect(),
                    from: chars[i].1,
                    to: chars[j - 1].2,
                    position,
                });
                position += 1;
            }
            Class::Cjk => {
                let mut run: Vec<(char, usize, usize)> = chars[i..j].to_vec();
                // サーバー → サーバ: drop a trailing long-vowel mark of a katakana word.
                if run.len() >= 3
                    && run.last().is_some_and(|c| c.0 == 'ー')
                    && is_katakana(run[run.len() - 2].0)
                {
                    run.pop();
                }
                if run.len() == 1 {
                    tokens.push(Token {
                        text: run[0].0.to_string(),
                        from: run[0].1,
                        to: run[0].2,
                        position,
                    });
                    position += 1;
                } else {
                    for w in run.windows(2) {
                        tokens.push(Token {
                            text: [w[0].0, w[1].0].iter().collect(),
                            from: w[0].1,
                            to: w[1].2,
                            position,
                        });
                        position += 1;
                    }
                }
            }
            Class::Other => {}
        }
        i = j;
    }
    tokens
}

/// Just the token texts (for queries and test vectors).
pub fn terms(text: &str) -> Vec<String> {
    analyze(text).into_iter().map(|t| t.text).collect()
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
    fn long_vowel_and_width_folding() {
        assert_eq!(terms("サーバー"), terms("サーバ"));
        assert_eq!(terms("ｻｰﾊﾞｰ"), terms("サーバ"));
        assert_eq!(terms("ｶﾞﾍﾞｰｼﾞ"), terms("ガベージ"));
        // The mark inside a word is kept.
        assert_eq!(terms("エラーバジェット")[1], "ラー");
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ＡＷＳでｻｰﾊﾞｰ障害";
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
            ["sli", "slo", "エラ", "ラー", "ーバ", "バジ", "ジェ", "ェッ", "ット"]
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
        let vs: Vec<V> =
            serde_json::from_str(include_str!("../../tests/search_vectors.json")).unwrap();
        assert!(vs.len() >= 30);
        for v in vs {
            assert_eq!(terms(&v.text), v.terms, "{:?}", v.text);
        }
    }
}
