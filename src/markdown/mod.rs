//! Markdown → HTML for one document: pulldown-cmark with GFM extensions, heading
//! anchors and a table of contents, checked internal links, escaped raw HTML,
//! highlighted code blocks, plus the plain text that search and summaries use.

pub mod cjk;
pub mod highlight;
pub mod import;
pub mod links;
pub mod outline;

use std::path::Path;

use pulldown_cmark::{
    html, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};

use crate::config::{LinkPolicy, SiteConfig};
use crate::content::{slug, Library};
use crate::diagnostics::{Diagnostic, Span};
use links::Resolved;

pub use crate::content::rendered::{AnchorRef, Rendered, TocEntry};

/// A heading whose text is still being collected.
struct PendingHeading {
    /// Index of the placeholder event replaced by the opening tag.
    at: usize,
    level: u8,
    explicit_id: Option<String>,
    classes: Vec<String>,
    text: String,
}

/// What the renderer needs to know about the document being rendered.
pub struct Context<'a> {
    pub config: &'a SiteConfig,
    pub lib: &'a Library,
    /// Source path shown in diagnostics.
    pub source: &'a Path,
    /// The whole file text (for quoting lines in diagnostics).
    pub text: &'a str,
    /// Byte offset of the body within `text`.
    pub body_start: usize,
    /// Path of the source relative to `content/`.
    pub rel: &'a str,
    /// The document's site path (`postmortems/x/`).
    pub path: &'a str,
    /// Label of the copy button on code blocks.
    pub copy_label: &'a str,
    /// The document's title: a first `# heading` equal to it is dropped, because the
    /// template already shows the title as the page's `<h1>`.
    pub title: &'a str,
    /// Tables (by body range) that the page's kind renders itself.
    pub replacements: &'a [(std::ops::Range<usize>, String)],
    /// Titles of callouts made from other tools' syntax (see `import`), by the body
    /// offset of their first line.
    pub callout_titles: &'a std::collections::BTreeMap<usize, String>,
    /// Line starts of `text`, built on the first location asked for.
    pub lines: std::sync::OnceLock<crate::line_index::LineIndex>,
}

impl Context<'_> {
    fn span(&self, body_offset: usize) -> Span {
        self.lines
            .get_or_init(|| crate::line_index::LineIndex::new(self.text))
            .span(self.text, self.body_start + body_offset)
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

fn level_num(l: HeadingLevel) -> u8 {
    l as u8
}

use crate::escape::html as escape;

fn is_br(html: &str) -> bool {
    let t: String = html
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    matches!(t.as_str(), "<br>" | "<br/>")
}

fn is_comment(html: &str) -> bool {
    let t = html.trim();
    t.starts_with("<!--") && t.ends_with("-->")
}

fn is_more_marker(html: &str) -> bool {
    let inner = html
        .trim()
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim();
    inner.eq_ignore_ascii_case("more")
}

/// Renders one document body. Returns its HTML and data plus diagnostics.
///
/// Long on purpose: one pass over pulldown-cmark's events whose arms share the open
/// heading, code block, HTML block, table and anchor state; split into functions,
/// every arm would take that whole state as arguments.
pub fn render(body: &str, ctx: &Context<'_>) -> (Rendered, Vec<Diagnostic>) {
    let mut out = Rendered::default();
    let mut diags = Vec::new();
    let mut events: Vec<Event<'_>> = Vec::with_capacity(256);
    let root_prefix = links::root_prefix(ctx.path);
    let unsafe_html = ctx.config.markdown.unsafe_html;
    let link_severity = |d: Diagnostic| match ctx.config.links.internal {
        LinkPolicy::Error => d,
        LinkPolicy::Warn => Diagnostic {
            severity: crate::diagnostics::Severity::Warning,
            ..d
        },
    };

    let mut heading: Option<PendingHeading> = None;
    let mut flat_toc: Vec<(u8, String, String)> = Vec::new();
    let mut code: Option<(String, String)> = None;
    let mut html_block: Option<String> = None;
    let mut depth: usize = 0;
    let mut summary_at: Option<usize> = None;
    let mut same_doc_anchors: Vec<(String, Span, usize)> = Vec::new();
    let mut next_suffix: std::collections::HashMap<String, usize> = Default::default();
    // Whether any block came before (a title heading is only dropped when first).
    let mut seen_block = false;

    let mut skipping_table = false;
    for (event, range) in cjk::emphasis(body, Parser::new_ext(body, options()).into_offset_iter()) {
        if skipping_table {
            if matches!(event, Event::End(TagEnd::Table)) {
                skipping_table = false;
            }
            continue;
        }
        match event {
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => {
                depth += 1;
                heading = Some(PendingHeading {
                    at: events.len(),
                    level: level_num(level),
                    explicit_id: id.map(|s| s.to_string()),
                    classes: classes.iter().map(|c| c.to_string()).collect(),
                    text: String::new(),
                });
                events.push(Event::Html(CowStr::Borrowed("")));
            }
            Event::End(TagEnd::Heading(level)) => {
                depth -= 1;
                if let Some(PendingHeading {
                    at,
                    level: lvl,
                    explicit_id: explicit,
                    classes,
                    text,
                }) = heading.take()
                {
                    if lvl == 1 && !seen_block && text.trim() == ctx.title.trim() {
                        events.truncate(at);
                        seen_block = true;
                        continue;
                    }
                    let base = explicit.unwrap_or_else(|| slug::anchor(&text));
                    let base = if base.is_empty() {
                        "section".to_string()
                    } else {
                        base
                    };
                    // Resume numbering where the last heading with this base stopped:
                    // counting from 1 each time made 20k equal headings quadratic.
                    let mut id = base.clone();
                    let n = next_suffix.entry(base.clone()).or_insert(1);
                    while out.anchors.contains(&id) {
                        id = format!("{base}-{n}");
                        *n += 1;
                    }
                    out.anchors.insert(id.clone());
                    let class_attr = if classes.is_empty() {
                        String::new()
                    } else {
                        format!(" class=\"{}\"", escape(&classes.join(" ")))
                    };
                    events[at] = Event::Html(CowStr::from(format!(
                        "<h{lvl} id=\"{}\"{class_attr}>",
                        escape(&id)
                    )));
                    events.push(Event::Html(CowStr::from(format!(
                        "<a class=\"heading-anchor\" href=\"#{}\" aria-hidden=\"true\" tabindex=\"-1\">#</a></h{}>\n",
                        escape(&slug::encode_fragment(&id)),
                        level_num(level)
                    ))));
                    out.headings.push(text.trim().to_string());
                    if lvl <= ctx.config.markdown.toc_depth {
                        flat_toc.push((lvl, id, text.trim().to_string()));
                    }
                    out.plain.push('\n');
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                depth += 1;
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                depth -= 1;
                if let Some((lang, text)) = code.take() {
                    out.plain.push_str(&text);
                    out.plain.push('\n');
                    events.push(Event::Html(CowStr::from(code_block(&lang, &text, ctx))));
                }
            }
            Event::Text(t) if code.is_some() => {
                if let Some((_, buf)) = code.as_mut() {
                    buf.push_str(&t);
                }
            }
            Event::Start(Tag::HtmlBlock) => {
                depth += 1;
                if !unsafe_html {
                    html_block = Some(String::new());
                } else {
                    events.push(Event::Start(Tag::HtmlBlock));
                }
            }
            Event::End(TagEnd::HtmlBlock) => {
                depth -= 1;
                if let Some(block) = html_block.take() {
                    if is_comment(&block) {
                        if is_more_marker(&block) && depth == 0 && summary_at.is_none() {
                            summary_at = Some(events.len());
                        }
                    } else if is_br(&block) {
                        events.push(Event::Html(CowStr::Borrowed("<br>\n")));
                    } else {
                        events.push(Event::Html(CowStr::from(format!(
                            "<p class=\"raw-html\">{}</p>\n",
                            escape(block.trim_end()).replace('\n', "<br>\n")
                        ))));
                    }
                } else {
                    events.push(Event::End(TagEnd::HtmlBlock));
                }
            }
            Event::Html(h) => {
                if let Some(block) = html_block.as_mut() {
                    block.push_str(&h);
                } else {
                    events.push(Event::Html(h));
                }
            }
            Event::InlineHtml(h) => {
                if unsafe_html {
                    events.push(Event::InlineHtml(h));
                } else if is_br(&h) {
                    events.push(Event::InlineHtml(CowStr::Borrowed("<br>")));
                } else if !is_comment(&h) {
                    events.push(Event::Text(h));
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                depth += 1;
                let dest = rewrite_link(
                    &dest_url,
                    range.start,
                    ctx,
                    &root_prefix,
                    &mut out,
                    &mut diags,
                    &mut same_doc_anchors,
                    &link_severity,
                );
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest.map(CowStr::from).unwrap_or(dest_url),
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                depth += 1;
                let dest = rewrite_link(
                    &dest_url,
                    range.start,
                    ctx,
                    &root_prefix,
                    &mut out,
                    &mut diags,
                    &mut same_doc_anchors,
                    &link_severity,
                );
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: dest.map(CowStr::from).unwrap_or(dest_url),
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Table(_))
                if ctx.replacements.iter().any(|(r, _)| r.start == range.start) =>
            {
                seen_block = true;
                if let Some((_, html)) = ctx
                    .replacements
                    .iter()
                    .find(|(r, _)| r.start == range.start)
                {
                    events.push(Event::Html(CowStr::from(html.clone())));
                }
                skipping_table = true;
            }
            Event::Start(Tag::Table(align)) => {
                depth += 1;
                events.push(Event::Html(CowStr::Borrowed("<div class=\"table-wrap\">")));
                events.push(Event::Start(Tag::Table(align)));
            }
            Event::End(TagEnd::Table) => {
                depth -= 1;
                events.push(Event::End(TagEnd::Table));
                events.push(Event::Html(CowStr::Borrowed("</div>\n")));
            }
            Event::Start(Tag::FootnoteDefinition(name)) => {
                depth += 1;
                out.anchors.insert(name.to_string());
                events.push(Event::Start(Tag::FootnoteDefinition(name)));
            }
            Event::Text(t) => {
                if let Some(h) = heading.as_mut() {
                    h.text.push_str(&t);
                }
                out.plain.push_str(&t);
                events.push(Event::Text(t));
            }
            Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.text.push_str(&t);
                }
                out.plain.push_str(&t);
                events.push(Event::Code(t));
            }
            Event::SoftBreak | Event::HardBreak => {
                out.plain.push(' ');
                events.push(event);
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                depth += 1;
                seen_block = true;
                let line_start = body[..range.start].rfind('\n').map_or(0, |i| i + 1);
                let title = ctx
                    .callout_titles
                    .get(&line_start)
                    .map(String::as_str)
                    .unwrap_or_else(|| callout_label(kind, ctx.config.language.code()));
                out.plain.push_str(title);
                out.plain.push('\n');
                events.push(Event::Html(CowStr::from(format!(
                    "<div class=\"callout callout-{}\" role=\"note\"><p class=\"callout-title\">{}</p>\n",
                    callout_class(kind),
                    escape(title)
                ))));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => {
                depth = depth.saturating_sub(1);
                events.push(Event::Html(CowStr::Borrowed("</div>\n")));
            }
            Event::Start(tag) => {
                depth += 1;
                seen_block = true;
                events.push(Event::Start(tag));
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                if matches!(tag, TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) {
                    out.plain.push('\n');
                }
                events.push(Event::End(tag));
            }
            other => events.push(other),
        }
    }

    for (anchor, span, offset) in same_doc_anchors {
        out.anchor_refs.push(AnchorRef {
            target: None,
            anchor,
            span,
            offset,
        });
    }
    if let Some(at) = summary_at {
        let mut s = String::new();
        html::push_html(&mut s, events[..at].iter().cloned());
        out.summary_html = Some(s);
    }
    join_east_asian_lines(&mut events);
    let mut html_out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut html_out, events.into_iter());
    out.html = html_out;
    out.toc = nest_toc(&flat_toc);
    (out, diags)
}

#[allow(clippy::too_many_arguments)]
fn rewrite_link(
    dest: &str,
    offset: usize,
    ctx: &Context<'_>,
    root_prefix: &str,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
    same_doc: &mut Vec<(String, Span, usize)>,
    severity: &dyn Fn(Diagnostic) -> Diagnostic,
) -> Option<String> {
    match links::resolve(dest, ctx.rel, ctx.path, ctx.lib) {
        Resolved::Internal { target, anchor } => {
            let path = &ctx.lib.doc(target).path;
            if !anchor.is_empty() {
                out.anchor_refs.push(AnchorRef {
                    target: Some(target),
                    anchor: anchor.clone(),
                    span: ctx.span(offset),
                    offset: ctx.body_start + offset,
                });
            }
            Some(links::relative_href(root_prefix, path, &anchor))
        }
        Resolved::SameDoc { anchor } => {
            same_doc.push((anchor, ctx.span(offset), ctx.body_start + offset));
            None
        }
        Resolved::File { path } => Some(links::relative_href(root_prefix, &path, "")),
        Resolved::External => {
            // Site-absolute paths we could not verify still need the relative prefix
            // so the site works under a sub-path and from file://.
            dest.strip_prefix('/')
                .filter(|_| !dest.starts_with("//"))
                .map(|p| format!("{root_prefix}{p}"))
        }
        Resolved::Dangerous => {
            diags.push(
                Diagnostic::warning(
                    "unsafe-link",
                    format!("link `{dest}` uses a script URL; it was replaced by `#`"),
                )
                .at_offset(
                    ctx.source,
                    ctx.span(offset),
                    ctx.text,
                    ctx.body_start + offset,
                ),
            );
            Some("#".to_string())
        }
        Resolved::Broken { reason } => {
            diags.push(severity(
                Diagnostic::error("broken-link", format!("broken link `{dest}`: {reason}"))
                    .at_offset(
                        ctx.source,
                        ctx.span(offset),
                        ctx.text,
                        ctx.body_start + offset,
                    ),
            ));
            None
        }
    }
}

fn callout_class(kind: pulldown_cmark::BlockQuoteKind) -> &'static str {
    use pulldown_cmark::BlockQuoteKind as K;
    match kind {
        K::Note => "note",
        K::Tip => "tip",
        K::Important => "important",
        K::Warning => "warning",
        K::Caution => "caution",
    }
}

fn callout_label(kind: pulldown_cmark::BlockQuoteKind, lang: &str) -> &'static str {
    use pulldown_cmark::BlockQuoteKind as K;
    match (kind, lang) {
        (K::Note, "ja") => "メモ",
        (K::Tip, "ja") => "ヒント",
        (K::Important, "ja") => "重要",
        (K::Warning, "ja") => "警告",
        (K::Caution, "ja") => "注意",
        (K::Note, _) => "Note",
        (K::Tip, _) => "Tip",
        (K::Important, _) => "Important",
        (K::Warning, _) => "Warning",
        (K::Caution, _) => "Caution",
    }
}

fn code_block(lang: &str, text: &str, ctx: &Context<'_>) -> String {
    // Mermaid diagrams: the source stays readable; the theme's script draws it.
    if lang == "mermaid" && ctx.config.markdown.mermaid {
        return format!("<pre class=\"mermaid\">{}</pre>\n", escape(text));
    }
    let highlighted = if ctx.config.markdown.highlight && !lang.is_empty() {
        highlight::highlight(text, lang)
    } else {
        None
    };
    let inner = highlighted.unwrap_or_else(|| escape(text));
    let lang_attr = escape(lang);
    let label = if lang.is_empty() {
        String::new()
    } else {
        format!("<span class=\"code-lang\">{lang_attr}</span>")
    };
    let class = if lang.is_empty() {
        String::new()
    } else {
        format!(" class=\"language-{lang_attr}\"")
    };
    format!(
        "<div class=\"code-block\"><div class=\"code-head\">{label}<button type=\"button\" class=\"copy-button\" hidden>{}</button></div><pre class=\"code\" tabindex=\"0\"><code{class}>{inner}</code></pre></div>\n",
        escape(ctx.copy_label)
    )
}

fn is_wide(c: char) -> bool {
    unicode_width::UnicodeWidthChar::width(c) == Some(2)
}

/// Whether `text` separates wide characters with spaces (`監視 ⭕️ 届ける`): Japanese
/// prose has no spaces between words, so such a line is a row of cells pasted from a
/// table, and joining it to the next row would run the rows together.
fn spaced_cells(text: &str) -> bool {
    let mut prev_wide = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' || c == '\u{3000}' {
            if prev_wide && chars.peek().is_some_and(|&n| is_wide(n)) {
                return true;
            }
            continue;
        }
        prev_wide = is_wide(c) || (c == '\u{fe0f}' && prev_wide);
    }
    false
}

/// A line break inside a Japanese paragraph is not a space: drop soft breaks between
/// two East Asian wide characters (as goldmark's EastAsianLineBreaks does), except
/// between lines of space-separated cells (see [`spaced_cells`]).
fn join_east_asian_lines(events: &mut Vec<Event<'_>>) {
    // Decided on the original neighbours (a dropped break's neighbours are texts, so
    // no decision depends on another), then dropped in one pass: removing them one
    // by one was quadratic in a long Japanese paragraph.
    let drop: Vec<bool> = (0..events.len())
        .map(|i| {
            if i == 0 || i + 1 >= events.len() || !matches!(events[i], Event::SoftBreak) {
                return false;
            }
            let (Event::Text(before), Event::Text(after)) = (&events[i - 1], &events[i + 1]) else {
                return false;
            };
            before.chars().next_back().is_some_and(is_wide)
                && after.chars().next().is_some_and(is_wide)
                && !spaced_cells(before)
                && !spaced_cells(after)
        })
        .collect();
    let mut i = 0;
    events.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

/// Turns a flat list of headings into a tree by level.
fn nest_toc(flat: &[(u8, String, String)]) -> Vec<TocEntry> {
    fn insert(into: &mut Vec<TocEntry>, e: TocEntry) {
        if let Some(last) = into.last_mut() {
            if e.level > last.level {
                insert(&mut last.children, e);
                return;
            }
        }
        into.push(e);
    }
    let mut out = Vec::new();
    for (level, id, title) in flat {
        insert(
            &mut out,
            TocEntry {
                level: *level,
                id: id.clone(),
                title: title.clone(),
                children: Vec::new(),
            },
        );
    }
    out
}

/// Reading time in minutes: about 500 Japanese characters or 200 English words a minute.
pub fn reading_minutes(plain: &str) -> usize {
    let mut cjk = 0usize;
    let mut words = 0usize;
    let mut in_word = false;
    for c in plain.chars() {
        if c.is_ascii_alphanumeric() {
            if !in_word {
                words += 1;
                in_word = true;
            }
        } else {
            in_word = false;
            if !c.is_ascii() && c.is_alphanumeric() {
                cjk += 1;
            }
        }
    }
    let minutes = cjk as f64 / 500.0 + words as f64 / 200.0;
    (minutes.ceil() as usize).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn render_with(body: &str, config: &SiteConfig) -> (Rendered, Vec<Diagnostic>) {
        let lib = Library::default();
        let ctx = Context {
            config,
            lib: &lib,
            source: Path::new("content/a.md"),
            text: body,
            body_start: 0,
            rel: "a.md",
            path: "a/",
            copy_label: "コピー",
            title: "題名",
            replacements: &[],
            callout_titles: &Default::default(),
            lines: Default::default(),
        };
        render(body, &ctx)
    }

    fn r(body: &str) -> (Rendered, Vec<Diagnostic>) {
        render_with(body, &SiteConfig::default())
    }

    #[test]
    fn headings_get_readable_unique_ids_and_a_toc() {
        let (out, _) = r("# 概要\n## 障害対応\n### 手順\n## 障害対応\n## Custom {#my-id}\n");
        assert!(out.html.contains("<h2 id=\"障害対応\">"), "{}", out.html);
        assert!(out.html.contains("<h2 id=\"障害対応-1\">"));
        assert!(out.html.contains("<h2 id=\"my-id\">"));
        assert_eq!(out.toc.len(), 1);
        assert_eq!(out.toc[0].children.len(), 3);
        assert_eq!(out.toc[0].children[0].children[0].title, "手順");
    }

    #[test]
    fn equal_headings_are_numbered_around_explicit_ids() {
        let (out, _) = r("## a {#a-2}\n## a\n## a\n## a\n## a-1\n");
        for id in ["a-2", "a", "a-1", "a-3", "a-1-1"] {
            assert!(
                out.html.contains(&format!("<h2 id=\"{id}\">")),
                "{id}: {}",
                out.html
            );
        }
    }

    #[test]
    fn raw_html_is_escaped_by_default_but_br_and_comments_are_kept_sane() {
        let (out, _) =
            r("a<script>alert(1)</script>b<br>c\n\n<div onclick=x>hi</div>\n\n<!-- note -->\n");
        assert!(!out.html.contains("<script>"), "{}", out.html);
        assert!(out.html.contains("&lt;script&gt;"));
        assert!(out.html.contains("<br>"));
        assert!(out.html.contains("&lt;div onclick=x&gt;"));
        assert!(!out.html.contains("note"));
        let mut c = SiteConfig::default();
        c.markdown.unsafe_html = true;
        let (out, _) = render_with("<div class=\"x\">hi</div>\n", &c);
        assert!(out.html.contains("<div class=\"x\">"));
    }

    #[test]
    fn more_marker_cuts_the_summary() {
        let (out, _) = r("intro\n\n<!--more-->\n\nrest\n");
        assert_eq!(out.summary_html.as_deref(), Some("<p>intro</p>\n"));
        assert!(out.html.contains("rest"));
    }

    #[test]
    fn code_blocks_are_highlighted_with_a_copy_button() {
        let (out, _) = r("```bash\nkubectl get pods -n payments\n```\n");
        assert!(out.html.contains("class=\"language-bash\""));
        assert!(out.html.contains("hl-"));
        assert!(out.html.contains("copy-button"));
        assert!(out.plain.contains("kubectl get pods"));
        let (out, _) = r("```promql\nrate(x[5m]) > 1 <b>\n```\n");
        assert!(out.html.contains("&lt;b&gt;"), "{}", out.html);
    }

    #[test]
    fn broken_relative_link_is_located() {
        let (_, diags) = r("行1\n\n見て [手順](../runbooks/none.md) ね\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "broken-link");
        assert_eq!(diags[0].span, Span::new(3, 4));
        assert!(diags[0].is_error());
        let mut c = SiteConfig::default();
        c.links.internal = LinkPolicy::Warn;
        let (_, diags) = render_with("[x](none.md)", &c);
        assert!(!diags[0].is_error());
    }

    #[test]
    fn script_links_are_neutralised() {
        let (out, diags) = r("[x](javascript:alert(1)) ![i](javascript:alert(2))");
        assert!(!out.html.contains("javascript:"), "{}", out.html);
        assert_eq!(diags.len(), 2);
    }

    #[test]
    fn gfm_features() {
        let (out, _) = r("| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n~~old~~ text[^1]\n\n[^1]: note\n");
        assert!(out.html.contains("<table>"));
        assert!(out.html.contains("table-wrap"));
        assert!(out.html.contains("type=\"checkbox\""));
        assert!(out.html.contains("<del>old</del>"));
        assert!(out.html.contains("footnote"));
        assert!(out.anchors.contains("1"));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let body = "> ".repeat(10_000) + "x\n";
        let (out, _) = r(&body);
        assert!(out.html.contains('x'));
        let list: String = (0..10_000)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect();
        let _ = r(&list);
    }

    #[test]
    fn title_heading_is_not_repeated() {
        let (out, _) = r("# 題名\n\n本文\n");
        assert!(!out.html.contains("<h1"), "{}", out.html);
        let (out, _) = r("本文\n\n# 題名\n");
        assert!(
            out.html.contains("<h1"),
            "only a leading title heading is dropped"
        );
        let (out, _) = r("# 別の見出し\n");
        assert!(out.html.contains("<h1"));
    }

    #[test]
    fn japanese_soft_breaks_do_not_become_spaces() {
        let (out, _) = r("信頼性を\n高める。\nEnglish\nwords\n");
        assert!(out.html.contains("信頼性を高める。"), "{}", out.html);
        assert!(out.html.contains("English\nwords"), "{}", out.html);
    }

    #[test]
    fn rows_of_space_separated_cells_keep_their_line_breaks() {
        // A table pasted as text (the maturity-model seed): one row per line.
        let (out, _) = r("活動 目指す委譲レベル 成熟度評価\nSLI/SLO ⭕️ 届ける ⭕️\nバックアップ ⭕️ 届ける\nトイルの撲滅 伝える\n");
        assert!(out.html.contains("⭕️ 届ける\nトイル"), "{}", out.html);
        assert!(out.html.contains("成熟度評価\nSLI"), "{}", out.html);
        // Prose is still joined, also next to a single spaced English word.
        let (out, _) = r("信頼性を\n高める SRE の\n取り組み。\n");
        assert!(out.html.contains("信頼性を高める"), "{}", out.html);
        assert!(!spaced_cells("高める SRE の"));
        assert!(spaced_cells("監視 ⭕️ 届ける"));
    }

    #[test]
    fn a_long_japanese_paragraph_is_joined_in_one_pass() {
        let (out, _) = r(&"あ\n".repeat(20_000));
        assert!(out.html.contains(&"あ".repeat(20_000)));
        let (out, _) = r("あ\nb\nい\nう\n");
        assert!(out.html.contains("あ\nb\nいう"), "{}", out.html);
    }

    #[test]
    fn reading_time() {
        assert_eq!(reading_minutes("短い"), 1);
        assert_eq!(reading_minutes(&"あ".repeat(1500)), 3);
    }
}
