//! Every escaper in one place: HTML text and quoted attributes ([`html`]), XML 1.0
//! for feeds and the sitemap ([`xml`]), and JSON that stays inert inside HTML
//! `<script>` elements and pages ([`json_in_html`]). Terminal and CI-annotation
//! escaping, which protect a different reader, live with their printers in
//! `diagnostics`.

/// HTML escaping for text and quoted attributes: `& < > " '`. Unlike tera's default
/// it leaves `/` alone, so hrefs stay readable. Tera's autoescape uses it too.
pub fn html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// XML text and attribute escaping; characters XML 1.0 forbids are dropped (one of
/// them in a title would make a whole feed unreadable to every reader).
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Surrogates cannot occur in a `str`.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// JSON text with `<`, `>` and `&` written as `\u003c`-style escapes: the same JSON
/// value, but inert inside HTML (no `</script>`, no entity).
pub fn json_in_html(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_escaper_covers_its_syntax() {
        assert_eq!(
            html(r#"<a href="x">'&'</a>/"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;/"
        );
        assert_eq!(
            xml("<a & 'b'>\u{1}\u{FFFF}"),
            "&lt;a &amp; &apos;b&apos;&gt;"
        );
        let j = json_in_html(r#"{"a":"</script><b>&"}"#);
        assert_eq!(j, r#"{"a":"\u003c/script\u003e\u003cb\u003e\u0026"}"#);
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["a"], "</script><b>&");
    }
}
