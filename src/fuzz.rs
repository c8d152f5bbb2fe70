//! Property-based fuzzing of every parser that sees user input (stable Rust, so
//! proptest rather than cargo-fuzz). Inputs are soups of the tokens these parsers
//! care about, plus arbitrary Unicode. Properties: no panic, and with raw HTML off no
//! `<script` or `javascript:` href ever reaches the output.
//!
//! `PROPTEST_CASES=100000 cargo test --release --lib fuzz` for a long run.

use std::path::{Path, PathBuf};

use crate::config::SiteConfig;
use crate::content::frontmatter::{self, FrontMatter};
use crate::content::{Date, Document, FmLocation, Library, Page};
use crate::markdown::{self, outline};
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "{{< ref \"a.md\" >}}",
    "{{< alert title=\"t\" >}}\n",
    "{{< /alert >}}\n",
    "{{% x %}}",
    "{{</* y */>}}",
    "!!! note \"T\"\n",
    "    ",
    "??? tip\n",
    "::: warning T\n",
    ":::\n",
    "> [!NOTE]\n",
    "{{<",
    ">}}",
    "+++",
    "---",
    "---json",
    "...",
    "{",
    "}",
    "[",
    "]",
    "\n",
    "\n\n",
    "\r\n",
    " ",
    "  ",
    "\t",
    "#",
    "## ",
    "### ",
    "|",
    "|---|---|",
    "- ",
    "- [ ] ",
    "- [x] ",
    "1. ",
    "> ",
    "> [!NOTE]",
    "```",
    "```bash\n",
    "~~~",
    "    ",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<!--more-->",
    "<!-- x",
    "-->",
    "<br>",
    "[x](",
    "](",
    ")",
    "javascript:alert(1)",
    "JaVaScRiPt:x",
    "data:text/html,x",
    "../",
    "./",
    ".md",
    "#anchor",
    "@/",
    "[^1]",
    "[^1]: note",
    "title = \"",
    "\"",
    "date = 2025-01-01",
    "date = 2025-13-45",
    "started_at = 2025-05-12T10:00:00+09:00",
    "status = \"reviewed\"",
    "severity = \"SEV1\"",
    "title:",
    "tags: [a, b]",
    "\"title\": ",
    ",",
    ":",
    "=",
    "障害対応",
    "ポストモーテム",
    "サマリ",
    "タイムライン",
    "アクションアイテム",
    "10:03",
    "@owner",
    "#123",
    "due:2025-06-01",
    "ヒューマンエラー",
    "すべきだった",
    "注意する",
    "\u{feff}",
    "\u{0}",
    "\u{200b}",
    "🚀",
    "ｱｲｳ",
    "*",
    "_",
    "~~",
    "`",
    "\\",
    "{#id}",
    "&amp;",
    "&",
    "<",
    ">",
];

fn soup() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|v| v.concat()),
        1 => any::<String>(),
        1 => (prop::sample::select(&["+++\n", "---\n", "---json\n", "{"][..]), any::<String>()).prop_map(|(a, b)| format!("{a}{b}")),
    ]
}

/// What YAML and JSON front matter are made of: keys (often repeated), nesting,
/// anchors, aliases, merge keys, quotes, block scalars, tabs and wide characters.
const FM_TOKENS: &[&str] = &[
    "title: ",
    "title",
    "detection:\n",
    "  source: ",
    "- ",
    "  ",
    "\n",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"",
    "'",
    "\\",
    "&a ",
    "*a",
    "<<: ",
    "? ",
    "#",
    "|\n",
    ">-\n",
    "!!str ",
    "!x ",
    "---\n",
    "...\n",
    "日本",
    "2025-05-12",
    "~",
    "null",
    ".nan",
    "0x1F",
    "\"k\": ",
    "\"k\"",
];

fn front_matter_soup() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["---\n", "---json\n", ""][..]),
        prop::collection::vec(prop::sample::select(FM_TOKENS), 0..120),
        prop::sample::select(&["\n---\nbody\n", "\n", ""][..]),
    )
        .prop_map(|(open, v, close)| format!("{open}{}{close}", v.concat()))
}

fn doc_from(text: &str) -> Option<Document> {
    let split = frontmatter::split(text).ok()?;
    let map = frontmatter::parse(&split).ok()?;
    let meta = FrontMatter::from_map(map, &split).ok()?;
    Some(Document {
        source: PathBuf::from("content/postmortems/x.md"),
        rel: "postmortems/x.md".into(),
        text: text.into(),
        text_key: blake3::hash(text.as_bytes()),
        fm: FmLocation {
            format: split.format,
            start: split.raw_start,
            end: split.raw_start + split.raw.len(),
            raw_line: split.raw_line,
        },
        body_start: split.body_start,
        body_line: split.body_line,
        date: meta
            .date
            .as_deref()
            .and_then(|d| Date::parse(d, SiteConfig::default().offset())),
        meta: meta.into(),
        title: "x".into(),
        updated: None,
        taxonomies: Default::default(),
        path: "postmortems/x/".into(),
        imported: None,
        rendered: Default::default(),
    })
}

fn render(body: &str, config: &SiteConfig) -> String {
    let lib = Library::default();
    let ctx = markdown::Context {
        config,
        lib: &lib,
        source: Path::new("content/a.md"),
        text: body,
        body_start: 0,
        rel: "a.md",
        path: "a/",
        copy_label: "copy",
        title: "t",
        replacements: &[],
        callout_titles: &Default::default(),
        lines: Default::default(),
    };
    markdown::render(body, &ctx).0.html
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn front_matter_never_panics(text in soup()) {
        if let Ok(split) = frontmatter::split(&text) {
            prop_assert!(split.body_start <= text.len());
            prop_assert!(text.is_char_boundary(split.body_start));
            if let Ok(map) = frontmatter::parse(&split) {
                let _ = FrontMatter::from_map(map, &split);
            }
        }
    }

    /// YAML and JSON front matter: no panic, every error located inside the file, and
    /// whatever parses has no key that was written twice.
    #[test]
    fn yaml_and_json_front_matter_errors_are_located(text in front_matter_soup()) {
        let lines = text.split('\n').count();
        match frontmatter::split(&text) {
            Err(e) => prop_assert!(e.span.line >= 1 && e.span.line <= lines, "{e:?}"),
            Ok(split) => match frontmatter::parse(&split) {
                Err(e) => prop_assert!(e.span.line >= 1 && e.span.line <= lines, "{e:?} in {text:?}"),
                Ok(map) => {
                    if let Ok(node) = crate::content::yaml::parse(split.raw) {
                        if split.format == frontmatter::Format::Yaml {
                            prop_assert!(crate::content::yaml::duplicates(&node).is_empty());
                        }
                    }
                    let _ = FrontMatter::from_map(map, &split);
                }
            },
        }
        if let Err(e) = crate::content::yaml::parse_all(&text) {
            prop_assert!(e.span.line >= 1 && e.span.line <= lines + 1, "{e:?}");
        }
    }

    #[test]
    fn markdown_never_panics_nor_leaks_script(text in soup()) {
        let html = render(&text, &SiteConfig::default());
        let lower = html.to_lowercase();
        prop_assert!(!lower.contains("<script"), "{html}");
        prop_assert!(!lower.contains("<img src=x"), "{html}");
        prop_assert!(!lower.contains("href=\"javascript:"), "{html}");
        prop_assert!(!lower.contains("src=\"javascript:"), "{html}");
    }

    #[test]
    fn import_rewrite_keeps_lines_and_never_panics(text in soup()) {
        let r = markdown::import::rewrite(&text);
        prop_assert_eq!(r.body.matches('\n').count(), text.matches('\n').count());
        for at in r.titles.keys() {
            prop_assert!(*at <= r.body.len());
        }
        let html = render(&text, &SiteConfig::default());
        prop_assert!(!html.to_lowercase().contains("<script"));
    }

    #[test]
    fn outline_never_panics(text in soup()) {
        for s in outline::outline(&text) {
            prop_assert!(s.content.start <= text.len() && s.offset <= text.len());
            for t in &s.tables {
                for row in &t.rows {
                    for c in row {
                        prop_assert!(c.offset <= text.len());
                    }
                }
            }
        }
    }

    #[test]
    fn postmortem_analysis_never_panics(body in soup(), window in prop::sample::select(&["", "started_at = 2025-05-12T10:00:00+09:00\nresolved_at = 2025-05-12T09:00:00+09:00\n", "detected_at = \"x\"\n", "status = \"closed\"\n[detection]\nsource = 1\n"][..])) {
        let text = format!("+++\ntitle = \"t\"\ndate = 2025-05-12\n{window}+++\n{body}");
        if let Some(doc) = doc_from(&text) {
            let page = Page { doc, kind: crate::kinds::postmortem::KIND, section: 0, slug: "x".into(), data: Default::default(), replacements: Vec::new() };
            let lib = Library::default();
            let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let (_, replacements, diags) = crate::kinds::postmortem::analyze(&page, &lib, &SiteConfig::default(), today);
            for (r, _) in replacements {
                prop_assert!(r.end <= page.doc.body().len());
            }
            for d in diags {
                prop_assert!(d.span.line <= text.lines().count() + 1, "{d:?}");
            }
        }
    }

    #[test]
    fn dates_slugs_and_spans_never_panic(s in soup(), off in 0usize..400) {
        let _ = Date::parse(&s, SiteConfig::default().offset());
        let _ = crate::content::slug::anchor(&s);
        prop_assert!(!crate::content::slug::path_segment(&s).is_empty());
        let span = crate::diagnostics::Span::from_offset(&s, off);
        prop_assert!(span.line >= 1 && span.col >= 1);
        let _ = crate::kinds::postmortem::section_id(&s, &SiteConfig::default());
    }
}
