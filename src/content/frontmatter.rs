//! Front matter: finding it (TOML `+++`, YAML `---`, JSON `---json … ---` or a bare
//! `{ … }` object), parsing it into one JSON-like map whatever the format, and reading
//! the keys every page shares into [`FrontMatter`]. Keys srekb does not know are kept
//! in `extra` for templates and for the kind modules.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::diagnostics::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
    Json,
    None,
}

/// A file cut into front matter and body.
#[derive(Debug)]
pub struct Split<'a> {
    pub format: Format,
    /// The front matter text without its fences.
    pub raw: &'a str,
    /// Lines before `raw` in the file (so a span in `raw` shifts by this much).
    pub raw_line: usize,
    /// Byte offset of `raw` in the file.
    pub raw_start: usize,
    pub body: &'a str,
    /// Byte offset of `body` in the file.
    pub body_start: usize,
    /// Lines before `body` in the file.
    pub body_line: usize,
}

/// A problem in front matter, located in the file (not in the front matter text).
#[derive(Debug, Clone, PartialEq)]
pub struct FmError {
    pub message: String,
    pub span: Span,
}

fn err(message: impl Into<String>, span: Span) -> FmError {
    FmError {
        message: message.into(),
        span,
    }
}

/// Reads one line (without its `\n`) starting at byte `at`; returns it and the next offset.
fn line_at(text: &str, at: usize) -> (&str, usize) {
    match text[at..].find('\n') {
        Some(i) => (&text[at..at + i], at + i + 1),
        None => (&text[at..], text.len()),
    }
}

/// Finds the closing fence line equal to one of `closers`, starting at byte `from`.
/// Returns (start of fence line, offset after fence line, lines consumed before fence).
fn find_closer(text: &str, from: usize, closers: &[&str]) -> Option<(usize, usize, usize)> {
    let mut at = from;
    let mut lines = 0;
    while at < text.len() {
        let (line, next) = line_at(text, at);
        if closers.contains(&line.trim_end()) {
            return Some((at, next, lines));
        }
        lines += 1;
        at = next;
    }
    None
}

/// Cuts `text` (already without BOM; CRLF allowed) into front matter and body.
pub fn split(text: &str) -> Result<Split<'_>, FmError> {
    let (first, after_first) = line_at(text, 0);
    let opener = first.trim_end();
    let (format, closers): (Format, &[&str]) = match opener {
        "+++" => (Format::Toml, &["+++"]),
        "---" => (Format::Yaml, &["---", "..."]),
        "---json" => (Format::Json, &["---"]),
        _ if first.starts_with('{') => return split_bare_json(text),
        _ => {
            return Ok(Split {
                format: Format::None,
                raw: "",
                raw_line: 0,
                raw_start: 0,
                body: text,
                body_start: 0,
                body_line: 0,
            })
        }
    };
    match find_closer(text, after_first, closers) {
        Some((fence, next, lines)) => Ok(Split {
            format,
            raw: &text[after_first..fence],
            raw_line: 1,
            raw_start: after_first,
            body: &text[next..],
            body_start: next,
            body_line: 1 + lines + 1,
        }),
        None => Err(err(
            format!(
                "front matter opened with `{opener}` on line 1 is never closed (expected a line `{}`)",
                closers[0]
            ),
            Span::new(1, 1),
        )),
    }
}

fn split_bare_json(text: &str) -> Result<Split<'_>, FmError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match stream.next() {
        Some(Ok(_)) => {
            let end = stream.byte_offset();
            let raw = &text[..end];
            // The body starts on the line after the closing brace.
            let rest = &text[end..];
            let skip = rest.find('\n').map_or(rest.len(), |i| i + 1);
            Ok(Split {
                format: Format::Json,
                raw,
                raw_line: 0,
                raw_start: 0,
                body: &text[end + skip..],
                body_start: end + skip,
                body_line: raw.matches('\n').count() + 1,
            })
        }
        Some(Err(e)) => Err(err(
            format!(
                "front matter (JSON object) is not valid: {}",
                strip_position(&e.to_string())
            ),
            Span::new(e.line(), e.column()),
        )),
        None => Err(err("empty front matter", Span::new(1, 1))),
    }
}

/// Rewrites "line L column C" inside a parser message so it counts lines in the file.
fn shift_positions(msg: &str, lines: usize) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find("line ") {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        match rest[..digits].parse::<usize>() {
            Ok(n) if rest[digits..].starts_with(" column") => {
                out.push_str(&(n + lines).to_string());
                rest = &rest[digits..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

/// serde_json appends " at line L column C"; we show the position separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Parses the front matter into a map. Errors are located in the file.
pub fn parse(split: &Split<'_>) -> Result<Map<String, Value>, FmError> {
    let value = match split.format {
        Format::None => return Ok(Map::new()),
        Format::Toml => match split.raw.parse::<toml::Table>() {
            Ok(t) => toml_to_json(toml::Value::Table(t)),
            Err(e) => {
                let span = e
                    .span()
                    .map(|r| Span::from_offset(split.raw, r.start))
                    .unwrap_or(Span::new(1, 1));
                return Err(err(
                    format!("TOML front matter: {}", e.message().trim()),
                    span.shifted(split.raw_line),
                ));
            }
        },
        Format::Yaml => {
            if split.raw.trim().is_empty() {
                return Ok(Map::new());
            }
            match super::yaml::parse(split.raw) {
                Ok(node) => {
                    if let Some(e) = duplicate_error(
                        "YAML",
                        super::yaml::duplicates(&node).into_iter().map(|(k, a, b)| {
                            (k, a.shifted(split.raw_line), b.shifted(split.raw_line))
                        }),
                    ) {
                        return Err(e);
                    }
                    node.to_json()
                }
                Err(e) => {
                    let msg = shift_positions(&e.message, split.raw_line);
                    return Err(err(
                        format!("YAML front matter: {msg}"),
                        e.span.shifted(split.raw_line),
                    ));
                }
            }
        }
        Format::Json => match serde_json::from_str::<Value>(split.raw) {
            Ok(v) => {
                let dups = json_duplicates(split.raw).into_iter().map(|(k, a, b)| {
                    let at = |o| Span::from_offset(split.raw, o).shifted(split.raw_line);
                    (k, at(a), at(b))
                });
                if let Some(e) = duplicate_error("JSON", dups) {
                    return Err(e);
                }
                v
            }
            Err(e) => {
                return Err(err(
                    format!("JSON front matter: {}", strip_position(&e.to_string())),
                    Span::new(e.line(), e.column()).shifted(split.raw_line),
                ))
            }
        },
    };
    match value {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(err(
            format!(
                "front matter must be a table of keys, found {}",
                type_name(&other)
            ),
            Span::new(split.raw_line + 1, 1),
        )),
    }
}

/// One error for the first repeated key (located at the repeat, naming the first
/// place), counting the others so nothing is silently dropped.
fn duplicate_error(
    format: &str,
    dups: impl Iterator<Item = (String, Span, Span)>,
) -> Option<FmError> {
    let dups: Vec<_> = dups.collect();
    let (key, first, again) = dups.first()?;
    let more = match dups.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more repeated key)".to_string(),
        n => format!(" (and {n} more repeated keys)"),
    };
    Some(err(
        format!(
            "{format} front matter: key `{key}` is written twice, first at line {} column {}, again at line {} column {}{more}",
            first.line, first.col, again.line, again.col
        ),
        *again,
    ))
}

/// Keys written twice in the same JSON object, as (key, first offset, repeated offset).
/// serde_json keeps the last value silently, so this scans the (already valid) text once,
/// keeping one set of keys per open object.
fn json_duplicates(raw: &str) -> Vec<(String, usize, usize)> {
    enum Frame {
        Object {
            keys: std::collections::HashMap<String, usize>,
            expect_key: bool,
        },
        Array,
    }
    let bytes = raw.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Frame::Object {
                keys: Default::default(),
                expect_key: true,
            }),
            b'[' => stack.push(Frame::Array),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = true;
                }
            }
            b':' => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object {
                    keys,
                    expect_key: true,
                }) = stack.last_mut()
                {
                    let text = &raw[start..(i + 1).min(raw.len())];
                    let key =
                        serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_string());
                    match keys.get(&key) {
                        Some(&first) => out.push((key, first, start)),
                        None => {
                            keys.insert(key, start);
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

/// TOML values as JSON values; datetimes become their RFC 3339 text.
fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// The keys every page understands. Everything else stays in `extra`.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct FrontMatter {
    pub title: Option<String>,
    #[serde(alias = "meta_description")]
    pub description: Option<String>,
    pub summary: Option<String>,
    pub date: Option<String>,
    #[serde(alias = "lastmod")]
    pub updated: Option<String>,
    pub draft: bool,
    pub kind: Option<super::Kind>,
    pub slug: Option<String>,
    pub weight: Option<i64>,
    pub template: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub aliases: Vec<String>,
    pub sort_by: Option<SortBy>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    Date,
    Weight,
    Title,
}

/// Accepts `x` or `[x, y]` (imported content often uses a single string).
pub fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

impl FrontMatter {
    /// Reads the shared keys from a parsed map. A wrong type is located at its key.
    pub fn from_map(map: Map<String, Value>, split: &Split<'_>) -> Result<FrontMatter, FmError> {
        let value = Value::Object(map);
        serde_path_to_error::deserialize(&value).map_err(|e| {
            let path = e.path().to_string();
            let key = path.split(['.', '[']).next().unwrap_or("").to_string();
            let inner = e.into_inner().to_string();
            let message = if key.is_empty() || key == "?" {
                format!("front matter: {inner}")
            } else {
                format!("front matter key `{path}`: {inner}")
            };
            let span = path_span(split, &path).unwrap_or_else(|| key_span(split, &key));
            err(message, span)
        })
    }
}

/// Where `key` is written, located in the file.
pub fn key_span(split: &Split<'_>, key: &str) -> Span {
    if split.format == Format::None {
        return Span::new(1, 1);
    }
    Span::find_key(split.raw, key).shifted(split.raw_line)
}

/// Where the key at a serde path (`detection.source`) is written, from the YAML
/// parser's positions (other formats: `None`, the caller falls back to [`key_span`]).
/// Only called on the error path, so parsing again costs nothing in a good build.
fn path_span(split: &Split<'_>, path: &str) -> Option<Span> {
    if split.format != Format::Yaml || path.is_empty() || path == "?" {
        return None;
    }
    let node = super::yaml::parse(split.raw).ok()?;
    Some(node.path_span(path)?.shifted(split.raw_line))
}

/// Reads a list of strings from `extra` (a single string counts as a list of one).
pub fn string_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(text: &str) -> Result<(FrontMatter, usize), FmError> {
        let s = split(text)?;
        let m = parse(&s)?;
        Ok((FrontMatter::from_map(m, &s)?, s.body_line))
    }

    #[test]
    fn toml_front_matter() {
        let (fm, body_line) =
            parse_all("+++\ntitle = \"障害\"\ndate = 2025-05-12\ntags = [\"a\"]\n+++\n# body\n")
                .unwrap();
        assert_eq!(fm.title.as_deref(), Some("障害"));
        assert_eq!(fm.date.as_deref(), Some("2025-05-12"));
        assert_eq!(fm.extra["tags"], serde_json::json!(["a"]));
        assert_eq!(body_line, 5);
    }

    #[test]
    fn yaml_front_matter_with_crlf() {
        let (fm, _) = parse_all("---\r\ntitle: 監視\r\ndraft: true\r\n---\r\nbody").unwrap();
        assert_eq!(fm.title.as_deref(), Some("監視"));
        assert!(fm.draft);
    }

    #[test]
    fn json_fenced_and_bare() {
        let (fm, line) =
            parse_all("---json\n{\n \"title\": \"x\",\n \"slug\": \"y\"\n}\n---\nbody\n---\nmore")
                .unwrap();
        assert_eq!(fm.slug.as_deref(), Some("y"));
        assert_eq!(line, 6);
        let s = split("{\"title\": \"bare\"}\n# Heading\n").unwrap();
        assert_eq!(s.body, "# Heading\n");
        assert_eq!(s.body_line, 1);
        let fm = FrontMatter::from_map(parse(&s).unwrap(), &s).unwrap();
        assert_eq!(fm.title.as_deref(), Some("bare"));
    }

    #[test]
    fn no_front_matter() {
        let s = split("# Title\n\ntext").unwrap();
        assert_eq!(s.format, Format::None);
        assert_eq!(s.body, "# Title\n\ntext");
    }

    #[test]
    fn unterminated_is_an_error_on_line_one() {
        for t in ["+++\ntitle = \"x\"\n", "---\ntitle: x\n", "---json\n{}\n"] {
            let e = split(t).unwrap_err();
            assert_eq!(e.span, Span::new(1, 1), "{t}");
            assert!(e.message.contains("never closed"), "{}", e.message);
        }
    }

    #[test]
    fn syntax_errors_are_located_in_the_file() {
        let e = parse_all("+++\ntitle = \"x\"\ndate = \n+++\n").unwrap_err();
        assert_eq!(e.span.line, 3, "{e:?}");
        let e = parse_all("---\ntitle: x\n  bad: [\n---\n").unwrap_err();
        assert!(e.span.line >= 3, "{e:?}");
        let e = parse_all("---json\n{\n\"title\": \"x\",\n}\n---\n").unwrap_err();
        assert_eq!(e.span.line, 4, "{e:?}");
    }

    #[test]
    fn yaml_messages_count_lines_in_the_file() {
        let e = parse_all("---\ntitle: [unclosed\n---\n").unwrap_err();
        assert!(e.message.contains("line 2 column 8"), "{}", e.message);
        assert_eq!(
            shift_positions("a at line 1 column 2, b line x", 1),
            "a at line 2 column 2, b line x"
        );
    }

    #[test]
    fn wrong_types_name_the_key_and_its_line() {
        let e = parse_all("+++\ndate = \"2025-01-01\"\ntitle = [\"a\", \"b\"]\n+++\n").unwrap_err();
        assert!(e.message.contains("`title`"), "{}", e.message);
        assert_eq!(e.span.line, 3);
        let e = parse_all("---\ndraft: maybe\n---\n").unwrap_err();
        assert!(e.message.contains("`draft`"), "{}", e.message);
        assert_eq!(e.span.line, 2);
    }

    #[test]
    fn aliases_accept_one_or_many() {
        let (fm, _) = parse_all("---\naliases: /old/\n---\n").unwrap();
        assert_eq!(fm.aliases, ["/old/"]);
        let (fm, _) = parse_all("---\nlastmod: 2024-01-01\n---\n").unwrap();
        assert_eq!(fm.updated.as_deref(), Some("2024-01-01"));
    }

    #[test]
    fn duplicate_yaml_keys_name_both_places() {
        let e = parse_all(
            "---\ntitle: a\ndetection:\n  source: alert\n  source: user\ntitle: b\n---\n",
        )
        .unwrap_err();
        assert_eq!(e.span, Span::new(5, 3), "{e:?}");
        assert!(
            e.message.contains("`detection.source` is written twice, first at line 4 column 3, again at line 5 column 3 (and 1 more repeated key)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn duplicate_json_keys_name_both_places() {
        let e = parse_all("---json\n{\n\"title\": \"a\",\n\"x\": {\"k\": 1, \"\\u006b\": 2},\n\"title\": \"b\"\n}\n---\n")
            .unwrap_err();
        assert_eq!(e.span, Span::new(4, 15), "{e:?}");
        assert!(
            e.message
                .contains("`k` is written twice, first at line 4 column 7"),
            "{}",
            e.message
        );
        assert!(e.message.contains("(and 1 more"), "{}", e.message);
        // The same key in two different objects, and keys inside strings, are fine.
        parse_all("{\"a\": {\"k\": 1}, \"b\": {\"k\": \"{\\\"k\\\": 1, \\\"k\\\": 2}\"}}\n")
            .unwrap();
    }

    #[test]
    fn nested_wrong_type_is_located_by_the_parser() {
        // `title` appears first as a nested key; the error is at the top-level one.
        let e = parse_all("---\nx:\n  title: ok\ntitle:\n  - a\n---\n").unwrap_err();
        assert_eq!(e.span, Span::new(4, 1), "{e:?}");
    }

    #[test]
    fn deep_yaml_fails_fast() {
        let text = format!("---\nx: {}\n---\n", "[".repeat(100_000));
        let t = std::time::Instant::now();
        let e = parse_all(&text).unwrap_err();
        assert!(t.elapsed().as_secs() < 5);
        assert!(e.message.contains("nested more than"), "{}", e.message);
        assert_eq!(e.span.line, 2);
    }
}
