//! Slugs for URLs and heading anchors that stay readable in Japanese.
//!
//! Anchors follow GitHub's rule (lower-case, keep letters and digits of any script,
//! spaces become `-`, drop punctuation) so links written for GitHub keep working;
//! nothing is transliterated (障害対応 stays 障害対応, not `zhang-hai-dui-ying`).

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use unicode_normalization::UnicodeNormalization;

/// Heading anchor: GitHub-compatible, Unicode-preserving.
pub fn anchor(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c == ' ' || c == '\u{3000}' {
            out.push('-');
        }
        // everything else (punctuation, symbols, emoji, variation selectors) is dropped
    }
    out
}

/// A URL path segment from a file name or front matter `slug`: keeps Unicode letters,
/// lower-cases ASCII, turns white space into `-`, drops characters that are unsafe in
/// URLs or file names. Composed to NFC so a decomposed (macOS) spelling of the same
/// name gives the same URL. Never empty.
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_dash = false;
    for c in text.trim().nfc() {
        let mapped = if c.is_whitespace() {
            Some('-')
        } else if c.is_control()
            || matches!(
                c,
                '/' | '\\'
                    | '?'
                    | '#'
                    | '%'
                    | '"'
                    | '\''
                    | '<'
                    | '>'
                    | '|'
                    | '^'
                    | '`'
                    | '{'
                    | '}'
                    | '['
                    | ']'
                    | ':'
                    | '*'
                    | '&'
                    | '+'
                    | '='
                    | ';'
                    | ','
            )
        {
            None
        } else {
            Some(c.to_ascii_lowercase())
        };
        if let Some(m) = mapped {
            if m == '-' {
                if last_dash {
                    continue;
                }
                last_dash = true;
            } else {
                last_dash = false;
            }
            out.push(m);
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '.').to_string();
    if out.is_empty() {
        "_".into()
    } else {
        out
    }
}

/// Characters escaped in hrefs: everything outside RFC 3986's unreserved set and `/`.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\'')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']');

/// Percent-encodes a site path for use in an href (non-ASCII becomes UTF-8 escapes).
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// Percent-encodes a fragment (`#…`).
pub fn encode_fragment(fragment: &str) -> String {
    utf8_percent_encode(fragment, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_anchors_stay_readable() {
        assert_eq!(anchor("障害対応の流れ"), "障害対応の流れ");
        assert_eq!(
            anchor("1. 信頼性の定義と測定（SLI/SLO/SLAの策定）"),
            "1-信頼性の定義と測定slisloslaの策定"
        );
        assert_eq!(
            anchor("1️⃣ Site Reliability Engineerとは？"),
            "1-site-reliability-engineerとは"
        );
        assert_eq!(
            anchor("🚀 技術スキル（ハードスキル）"),
            "-技術スキルハードスキル"
        );
        assert_eq!(anchor("What went well"), "what-went-well");
        assert_eq!(anchor("ＳＬＯ　設定"), "ｓｌｏ-設定");
    }

    #[test]
    fn path_segments_are_safe_and_never_empty() {
        assert_eq!(path_segment("2025-05 DB 障害"), "2025-05-db-障害");
        assert_eq!(path_segment("a/b?c#d"), "abcd");
        assert_eq!(path_segment("???"), "_");
        assert_eq!(path_segment("../.."), "_");
        assert_eq!(
            path_segment("site_reliability_engineer"),
            "site_reliability_engineer"
        );
    }

    #[test]
    fn decomposed_names_give_the_composed_segment() {
        // ポストモーテム with ポ written as ホ + U+309A, and デ as テ + U+3099.
        let nfd = "\u{30DB}\u{309A}ストモーテム-\u{30C6}\u{3099}ータ";
        assert_eq!(path_segment(nfd), "ポストモーテム-データ");
        assert_eq!(path_segment(nfd), path_segment("ポストモーテム-データ"));
    }

    #[test]
    fn encoding_keeps_slashes() {
        assert_eq!(encode_path("talks/障害/"), "talks/%E9%9A%9C%E5%AE%B3/");
        assert_eq!(encode_path("a b/"), "a%20b/");
    }
}
