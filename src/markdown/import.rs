//! Markdown written for other tools, made to build as-is: Hugo/Zola shortcodes
//! (`ref`/`relref` become checked links, callout shortcodes become callouts, other
//! shortcodes keep their inner markdown and are reported), MkDocs admonitions
//! (`!!! note "Title"`) and VuePress/Docusaurus containers (`::: tip`). Everything is
//! rewritten line for line, so diagnostics keep pointing at the author's lines, and
//! nothing inside code blocks or code spans is touched. Callouts become GitHub alerts
//! (`> [!NOTE]`), which the renderer turns into styled boxes.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

/// The rewritten body and what was found.
#[derive(Debug, Default)]
pub struct Imported {
    pub body: String,
    /// Byte offset (in `body`) of a callout's first line → its title.
    pub titles: BTreeMap<usize, String>,
    /// Unknown shortcode → 1-based lines (relative to the body) where it occurs.
    pub unknown: BTreeMap<String, Vec<usize>>,
}

fn shortcode_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"\{\{([<%])\s*(/\*)?\s*(/?)\s*([A-Za-z0-9_.\-/]+)((?:[^>%}]|>[^}]|%[^}])*?)\s*(\*/)?\s*([>%])\}\}"#)
            .expect("valid regex")
    })
}

fn arg_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?:([A-Za-z_]+)\s*=\s*)?(?:"([^"]*)"|'([^']*)'|([^\s"']+))"#)
            .expect("valid regex")
    })
}

/// Shortcodes that are callouts, and the alert kind they become.
fn callout_kind(name: &str, args: &[(Option<String>, String)]) -> Option<&'static str> {
    let named = |k: &str| {
        args.iter()
            .find(|(n, _)| n.as_deref() == Some(k))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let kind_word = match name {
        "alert" | "callout" | "admonition" => named("color")
            .or_else(|| named("type"))
            .or_else(|| {
                args.iter()
                    .find(|(n, _)| n.is_none())
                    .map(|(_, v)| v.to_ascii_lowercase())
            })
            .unwrap_or_else(|| "note".into()),
        "note" | "info" | "tip" | "hint" | "warning" | "caution" | "danger" | "important"
        | "notice" | "details" => name.to_string(),
        _ => return None,
    };
    Some(alert_kind(&kind_word))
}

/// GitHub's five alert kinds from the many words tools use.
fn alert_kind(word: &str) -> &'static str {
    match word {
        "tip" | "hint" | "success" | "example" | "check" | "done" => "TIP",
        "important" | "primary" | "abstract" | "summary" | "tldr" => "IMPORTANT",
        "warning" | "warn" | "attention" | "secondary" => "WARNING",
        "caution" | "danger" | "error" | "failure" | "fail" | "bug" | "missing" => "CAUTION",
        _ => "NOTE",
    }
}

fn parse_args(raw: &str) -> Vec<(Option<String>, String)> {
    arg_re()
        .captures_iter(raw)
        .map(|c| {
            let value = c
                .get(2)
                .or_else(|| c.get(3))
                .or_else(|| c.get(4))
                .map_or("", |m| m.as_str())
                .to_string();
            (c.get(1).map(|m| m.as_str().to_string()), value)
        })
        .collect()
}

/// Byte ranges of code spans on a line (backtick runs of equal length).
fn code_spans(line: &str) -> Vec<std::ops::Range<usize>> {
    let b = line.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`' {
            let start = i;
            while i < b.len() && b[i] == b'`' {
                i += 1;
            }
            let n = i - start;
            let mut j = i;
            let mut closed = None;
            while j < b.len() {
                if b[j] == b'`' {
                    let s = j;
                    while j < b.len() && b[j] == b'`' {
                        j += 1;
                    }
                    if j - s == n {
                        closed = Some(j);
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            if let Some(end) = closed {
                spans.push(start..end);
                i = end;
            }
        } else {
            i += 1;
        }
    }
    spans
}

fn fence(line: &str) -> Option<(char, usize)> {
    let t = line.trim_start();
    if line.len() - t.len() > 3 {
        return None;
    }
    let c = t.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = t.chars().take_while(|&x| x == c).count();
    (n >= 3).then_some((c, n))
}

struct Open {
    name: String,
    /// Callouts: lines inside get `> ` prefixed.
    callout: bool,
}

/// Rewrites `body`; `line_offset` is the body's first line in the file.
///
/// Long on purpose: one line-by-line pass whose cases share the stack of open
/// shortcodes and admonitions and the span map back to the author's lines.
pub fn rewrite(body: &str) -> Imported {
    // Fast path: nothing to do for ordinary markdown.
    if !body.contains("{{")
        && !body.contains("!!!")
        && !body.contains("???")
        && !body.contains(":::")
    {
        return Imported {
            body: body.to_string(),
            ..Imported::default()
        };
    }
    let mut out = Imported::default();
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    // Which paired shortcodes close later (so an opening tag is known to be paired).
    let mut closes: BTreeMap<String, usize> = BTreeMap::new();
    for l in &lines {
        for c in shortcode_re().captures_iter(l) {
            if c.get(2).is_none() && &c[3] == "/" {
                *closes.entry(c[4].to_string()).or_default() += 1;
            }
        }
    }
    let mut fence_open: Option<(char, usize)> = None;
    let mut stack: Vec<Open> = Vec::new();
    // An MkDocs admonition: the indent its body uses.
    let mut admonition: Option<usize> = None;
    // A `:::` container is open.
    let mut container = 0usize;
    let mut body_out = String::with_capacity(body.len() + 64);
    for (n, raw) in lines.iter().enumerate() {
        let line_no = n + 1;
        let (text, nl) = match raw.strip_suffix('\n') {
            Some(t) => (t, "\n"),
            None => (*raw, ""),
        };
        // MkDocs admonition body: indented lines (or blank lines) continue it.
        let mut text = text.to_string();
        if let Some(indent) = admonition {
            let spaces = text.len() - text.trim_start_matches(' ').len();
            // A blank line continues the admonition only if indented text follows.
            let continues = |l: &&str| {
                let t = l.trim_end_matches('\n');
                t.trim().is_empty() || t.len() - t.trim_start_matches(' ').len() >= indent
            };
            let next_text = lines[n + 1..].iter().find(|l| !l.trim().is_empty());
            if text.trim().is_empty() && !next_text.is_some_and(continues) {
                admonition = None;
            } else if text.trim().is_empty() || spaces >= indent {
                text = text.chars().skip(indent.min(spaces)).collect();
            } else {
                admonition = None;
            }
        }
        let depth = stack.iter().filter(|o| o.callout).count()
            + usize::from(admonition.is_some())
            + container;
        let prefix = "> ".repeat(depth);

        // Code fences pass through untouched.
        if let Some((c, len)) = fence_open {
            if let Some((c2, len2)) = fence(&text) {
                if c2 == c
                    && len2 >= len
                    && text.trim_start().trim_start_matches(c).trim().is_empty()
                {
                    fence_open = None;
                }
            }
            body_out.push_str(&prefix);
            body_out.push_str(&text);
            body_out.push_str(nl);
            continue;
        }
        if let Some(f) = fence(&text) {
            fence_open = Some(f);
            body_out.push_str(&prefix);
            body_out.push_str(&text);
            body_out.push_str(nl);
            continue;
        }

        let trimmed = text.trim();
        // MkDocs: `!!! note "Title"` / `??? tip` (collapsible) opens an admonition.
        if admonition.is_none() && (trimmed.starts_with("!!!") || trimmed.starts_with("???")) {
            let rest = trimmed[3..].trim_start_matches('+').trim();
            let (word, title) = match rest.split_once(char::is_whitespace) {
                Some((w, t)) => (w, t.trim().trim_matches('"').to_string()),
                None => (rest, String::new()),
            };
            if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                let at = body_out.len() + prefix.len();
                body_out.push_str(&prefix);
                body_out.push_str(&format!("> [!{}]", alert_kind(&word.to_ascii_lowercase())));
                body_out.push_str(nl);
                if !title.is_empty() {
                    out.titles.insert(at, title);
                }
                let indent = text.len() - text.trim_start().len() + 4;
                admonition = Some(indent);
                continue;
            }
        }
        // VuePress/Docusaurus: `::: tip Title` … `:::`.
        if let Some(rest) = trimmed.strip_prefix(":::") {
            let rest = rest.trim();
            if rest.is_empty() && container > 0 {
                container -= 1;
                body_out.push_str(nl);
                continue;
            }
            if !rest.is_empty() {
                let (word, title) = match rest.split_once(char::is_whitespace) {
                    Some((w, t)) => (w, t.trim().to_string()),
                    None => (rest, String::new()),
                };
                let at = body_out.len() + prefix.len();
                body_out.push_str(&prefix);
                body_out.push_str(&format!("> [!{}]", alert_kind(&word.to_ascii_lowercase())));
                body_out.push_str(nl);
                if !title.is_empty() {
                    out.titles.insert(at, title);
                }
                container += 1;
                continue;
            }
        }

        // Shortcodes on this line.
        let spans = code_spans(&text);
        let mut line_out = String::with_capacity(text.len());
        let mut last = 0;
        let mut whole_line_callout: Option<(bool, String, Option<String>)> = None;
        for c in shortcode_re().captures_iter(&text) {
            let m = c.get(0).expect("whole match");
            if spans
                .iter()
                .any(|s| s.start <= m.start() && m.end() <= s.end)
            {
                continue;
            }
            line_out.push_str(&text[last..m.start()]);
            last = m.end();
            // `{{</* x */>}}`: Hugo's way to show a shortcode literally.
            if c.get(2).is_some() {
                let inner = m.as_str().replacen("/*", "", 1);
                let inner = inner.rsplitn(2, "*/").collect::<Vec<_>>();
                let inner = if inner.len() == 2 {
                    format!("{}{}", inner[1], inner[0])
                } else {
                    inner[0].to_string()
                };
                line_out.push_str(&inner.replace("  ", " "));
                continue;
            }
            let closing = &c[3] == "/";
            let name = c[4].to_string();
            let args = parse_args(c.get(5).map_or("", |m| m.as_str()));
            match name.as_str() {
                "ref" | "relref" if !closing => {
                    let target = args.first().map(|(_, v)| v.clone()).unwrap_or_default();
                    line_out.push_str(&ref_target(&target));
                }
                _ => {
                    let paired = closing || closes.get(&name).copied().unwrap_or(0) > 0;
                    let callout = callout_kind(&name, &args);
                    let alone = text.trim() == m.as_str().trim();
                    if closing {
                        if let Some(pos) = stack.iter().rposition(|o| o.name == name) {
                            let o = stack.remove(pos);
                            if o.callout && alone {
                                whole_line_callout = Some((false, String::new(), None));
                            }
                        }
                    } else if paired {
                        if let Some(kind) = callout.filter(|_| alone) {
                            let title = args
                                .iter()
                                .find(|(n, _)| n.as_deref() == Some("title"))
                                .map(|(_, v)| v.clone())
                                .or_else(|| {
                                    (name == "details")
                                        .then(|| {
                                            args.iter()
                                                .find(|(n, _)| n.is_none())
                                                .map(|(_, v)| v.clone())
                                        })
                                        .flatten()
                                });
                            whole_line_callout = Some((true, kind.to_string(), title));
                            stack.push(Open {
                                name: name.clone(),
                                callout: true,
                            });
                        } else {
                            stack.push(Open {
                                name: name.clone(),
                                callout: false,
                            });
                        }
                        if let Some(v) = closes.get_mut(&name) {
                            *v = v.saturating_sub(1);
                        }
                    }
                    if callout.is_none() {
                        let lines = out.unknown.entry(name.clone()).or_default();
                        if !closing && lines.last() != Some(&line_no) {
                            lines.push(line_no);
                        }
                    }
                }
            }
        }
        line_out.push_str(&text[last..]);
        match whole_line_callout {
            Some((true, kind, title)) => {
                let at = body_out.len() + prefix.len();
                body_out.push_str(&prefix);
                body_out.push_str(&format!("> [!{kind}]"));
                if let Some(t) = title.filter(|t| !t.is_empty()) {
                    out.titles.insert(at, t);
                }
            }
            Some((false, _, _)) => {}
            None => {
                body_out.push_str(&prefix);
                body_out.push_str(&line_out);
            }
        }
        body_out.push_str(nl);
    }
    out.body = body_out;
    out
}

/// A `ref`/`relref` argument as a link the resolver checks: a path with a leading
/// `/` is relative to content/ (Zola's `@/`), one without an extension names a page.
fn ref_target(target: &str) -> String {
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, format!("#{a}")),
        None => (target, String::new()),
    };
    if path.is_empty() {
        return anchor;
    }
    let mut p = path.to_string();
    let last = p.rsplit('/').next().unwrap_or("");
    if !p.ends_with('/') && !last.contains('.') {
        p.push_str(".md");
    }
    if let Some(rest) = p.strip_prefix('/') {
        p = format!("@/{rest}");
    }
    format!("{p}{anchor}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> usize {
        s.split_inclusive('\n').count()
    }

    #[test]
    fn refs_become_links_and_unknown_shortcodes_are_counted() {
        let src = "See [disk]({{< ref \"NodeDisk.md\" >}}) and [x]({{< relref \"/runbooks/x\" >}}).\n{{< param \"version\" >}}\n`{{< ref \"kept\" >}}`\n";
        let r = rewrite(src);
        assert_eq!(
            r.body,
            "See [disk](NodeDisk.md) and [x](@/runbooks/x.md).\n\n`{{< ref \"kept\" >}}`\n"
        );
        assert_eq!(r.unknown["param"], [2]);
        assert_eq!(lines(&r.body), lines(src));
    }

    #[test]
    fn paired_shortcodes_keep_their_markdown_and_callouts_become_alerts() {
        let src = "{{< alert title=\"注意\" color=\"warning\" >}}\n本番では **慎重に**。\n{{< /alert >}}\n\n{{< tabs >}}\n中身\n{{< /tabs >}}\n";
        let r = rewrite(src);
        assert_eq!(
            r.body,
            "> [!WARNING]\n> 本番では **慎重に**。\n\n\n\n中身\n\n"
        );
        assert_eq!(r.titles.values().collect::<Vec<_>>(), ["注意"]);
        assert_eq!(r.unknown["tabs"], [5]);
        assert_eq!(lines(&r.body), lines(src));
    }

    #[test]
    fn admonitions_and_containers() {
        let src = "!!! note \"メモ\"\n    一行目\n\n    二行目\nおわり\n::: tip ヒント\n内容\n:::\n!!! note\n    a\n\n??? tip\n    b\n";
        let r = rewrite(src);
        assert_eq!(
            r.body,
            "> [!NOTE]\n> 一行目\n> \n> 二行目\nおわり\n> [!TIP]\n> 内容\n\n> [!NOTE]\n> a\n\n> [!TIP]\n> b\n"
        );
        assert_eq!(r.titles.len(), 2);
        assert_eq!(lines(&r.body), lines(src));
    }

    #[test]
    fn code_is_left_alone() {
        let src = "```\n{{< ref \"x\" >}}\n!!! note\n```\n";
        assert_eq!(rewrite(src).body, src);
        assert!(rewrite(src).unknown.is_empty());
    }

    #[test]
    fn literal_shortcodes_are_shown() {
        let r = rewrite("Use {{</* ref \"x\" */>}} here.\n");
        assert!(r.body.contains("{{< ref \"x\" >}}"), "{}", r.body);
        assert!(r.unknown.is_empty());
    }
}
