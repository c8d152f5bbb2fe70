//! Typographic tera filters: `wbr` (break opportunities inside identifiers) and
//! `abbrev` (a label shortened to a display width, for dense table headers).

use std::collections::HashMap;

use tera::Value;

use crate::escape::html as escape_html;

/// Escaped `s` with `<wbr>` where an identifier may break: before an upper-case
/// letter that follows a lower-case letter or digit (`Checkout|Error|Budget|Burn`),
/// before the last capital of an acronym followed by lower case (`HTTP|Server`), and
/// after `_ - . / :`. Never inside a run of letters, so `Burn` never splits.
pub fn wbr(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let camel = c.is_uppercase()
                && (prev.is_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_uppercase() && next_lower));
            let after_sep = matches!(prev, '_' | '-' | '.' | '/' | ':') && i + 1 < chars.len();
            if camel || after_sep {
                out.push_str("<wbr>");
            }
        }
        out.push_str(&escape_html(c.encode_utf8(&mut [0; 4])));
    }
    out
}

/// `s` cut to at most `width` display columns (East Asian wide characters count 2),
/// ending with "…" when cut.
pub fn abbrev(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        // Leave one column for the ellipsis.
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Registers the filters on `tera`.
pub fn register(tera: &mut tera::Tera) {
    tera.register_filter("wbr", |v: &Value, _: &HashMap<String, Value>| {
        Ok(Value::String(wbr(v.as_str().unwrap_or_default())))
    });
    tera.register_filter("abbrev", |v: &Value, args: &HashMap<String, Value>| {
        let width = args.get("width").and_then(Value::as_u64).unwrap_or(8) as usize;
        Ok(Value::String(abbrev(v.as_str().unwrap_or_default(), width)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_break_at_words_and_separators_only() {
        assert_eq!(
            wbr("CheckoutErrorBudgetBurn"),
            "Checkout<wbr>Error<wbr>Budget<wbr>Burn"
        );
        assert_eq!(wbr("HTTPServerDown"), "HTTP<wbr>Server<wbr>Down");
        assert_eq!(
            wbr("payments_api:error_rate5m"),
            "payments_<wbr>api:<wbr>error_<wbr>rate5m"
        );
        assert_eq!(wbr("Burn"), "Burn");
        assert_eq!(wbr("a<b>"), "a&lt;b&gt;");
        assert_eq!(wbr("trailing_"), "trailing_");
    }

    #[test]
    fn abbreviation_counts_wide_characters_twice() {
        assert_eq!(abbrev("監視", 8), "監視");
        assert_eq!(abbrev("インシデント対応", 8), "インシ…");
        assert_eq!(abbrev("SLI/SLO", 8), "SLI/SLO");
        assert_eq!(abbrev("Incident response", 8), "Inciden…");
    }
}
