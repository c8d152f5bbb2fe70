//! YAML through serde-saphyr into a tree that keeps the parser's position of every key
//! and value, so errors (syntax, duplicate keys, wrong types) point at the real node,
//! nested or not. Depth and size are bounded before any work grows with them.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::{DuplicateKeyPolicy, NonFiniteFloatPolicy, Spanned};

use crate::diagnostics::Span;

/// Deepest nesting accepted. Front matter and rule files need a handful of levels; the
/// limit keeps hostile input (100k nested lists) from costing more than a quick error.
pub const MAX_DEPTH: usize = 24;
/// Largest input parsed, in bytes (rule files of 10k alerts are a few MB).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A YAML node with the position (1-based line and column, in characters) of its start.
#[derive(Debug, Clone)]
pub struct Node {
    pub span: Span,
    pub tree: Tree,
}

#[derive(Debug, Clone)]
pub enum Tree {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in source order; a key written twice is kept twice (see [`duplicates`]).
    Map(Vec<(Key, Node)>),
}

/// A mapping key as text, with its position.
#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

/// A parse error located in the parsed text (not yet shifted into a file).
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

fn span_of(l: &serde_saphyr::Location) -> Span {
    Span::new(l.line() as usize, l.column() as usize)
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_reader_input_bytes: Some(MAX_BYTES),
        },
        // Every entry reaches our visitor; duplicates are reported with both positions
        // by `duplicates` (the parser's own error names only the second one).
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        // `.nan` / `.inf` are valid YAML; they become JSON null (as before), not errors.
        non_finite_float_policy: NonFiniteFloatPolicy::PassThrough,
    }
}

/// Parses one YAML document. Empty input is `Null`.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    precheck(text)?;
    let v: Spanned<Tree> =
        serde_saphyr::from_str_with_options(text, options()).map_err(to_error)?;
    Ok(node(v))
}

/// Parses a stream of documents separated by `---` (Kubernetes manifests often hold
/// several resources in one file). Empty documents are skipped.
pub fn parse_all(text: &str) -> Result<Vec<Node>, YamlError> {
    precheck(text)?;
    let docs: Vec<Option<Spanned<Tree>>> =
        serde_saphyr::from_multiple_with_options(text, options()).map_err(to_error)?;
    Ok(docs.into_iter().flatten().map(node).collect())
}

fn node(v: Spanned<Tree>) -> Node {
    Node {
        span: span_of(&v.referenced),
        tree: v.value,
    }
}

/// Refuses, before parsing, input whose flow or block nesting is already deeper than
/// [`MAX_DEPTH`]: a linear scan, so a 200 KB `[[[[…` fails at once with its position.
fn precheck(text: &str) -> Result<(), YamlError> {
    if text.len() > MAX_BYTES {
        return Err(YamlError {
            message: format!(
                "YAML is {} bytes, more than the limit of {MAX_BYTES}",
                text.len()
            ),
            span: Span::new(1, 1),
        });
    }
    let mut depth = 0usize;
    let (mut line, mut col) = (1usize, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = '\n';
    // Last character that was not a space: a bracket opens a flow collection only where
    // a node may start (after `:`, `-`, `,`, `?`, another bracket, or at a line start);
    // `see [1` inside plain text is just text and must not count.
    let mut last = '\n';
    for c in text.chars() {
        col += 1;
        if c == '\n' {
            line += 1;
            col = 0;
            comment = false;
            prev = c;
            if quote.is_none() {
                last = c;
            }
            continue;
        }
        if comment {
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '#' if prev.is_whitespace() => comment = true,
                '"' | '\'' if matches!(last, '\n' | '[' | '{' | ',' | ':' | '-' | '?') => {
                    quote = Some(c)
                }
                '[' | '{' if matches!(last, '\n' | '[' | '{' | ',' | ':' | '-' | '?') => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(YamlError {
                            message: format!(
                                "YAML nested more than {MAX_DEPTH} levels deep (limit {MAX_DEPTH})"
                            ),
                            span: Span::new(line, col),
                        });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = c;
        if !c.is_whitespace() {
            last = c;
        }
    }
    Ok(())
}

fn to_error(e: serde_saphyr::Error) -> YamlError {
    let span = e
        .location()
        .filter(|l| l.line() > 0)
        .map_or(Span::new(1, 1), |l| span_of(&l));
    let mut message = first_line(&e.to_string());
    // The budget speaks in Debug syntax (`Depth { depth: 25 }`); say what the limit is.
    if let Some(i) = message.find("budget breached: ") {
        let breach = &message[i + "budget breached: ".len()..];
        let plain = if breach.starts_with("Depth") {
            format!("YAML nested more than {MAX_DEPTH} levels deep (limit {MAX_DEPTH})")
        } else {
            format!("YAML too large for front matter or a rule file ({breach})")
        };
        message = format!("{}{plain}", &message[..i]);
    }
    YamlError { message, span }
}

/// The parser's message without its source snippet (we print our own).
fn first_line(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or(msg).trim();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// Every key written twice in the same mapping, anywhere in the tree:
/// (key path, first position, repeated position).
pub fn duplicates(root: &Node) -> Vec<(String, Span, Span)> {
    let mut out = Vec::new();
    let mut stack: Vec<(String, &Node)> = vec![(String::new(), root)];
    while let Some((path, n)) = stack.pop() {
        match &n.tree {
            Tree::Map(entries) => {
                let mut seen: std::collections::HashMap<&str, Span> =
                    std::collections::HashMap::with_capacity(entries.len());
                for (k, v) in entries {
                    let p = join(&path, &k.name);
                    if let Some(first) = seen.get(k.name.as_str()) {
                        out.push((p.clone(), *first, k.span));
                    } else {
                        seen.insert(&k.name, k.span);
                    }
                    stack.push((p, v));
                }
            }
            Tree::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    stack.push((format!("{path}[{i}]"), v));
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|d| d.2);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl Node {
    /// The value under `key` of a mapping (the last one, as YAML readers keep it).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.tree {
            Tree::Map(e) => e.iter().rev().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key entry named `key` (for its position).
    pub fn key(&self, key: &str) -> Option<&Key> {
        match &self.tree {
            Tree::Map(e) => e.iter().rev().find(|(k, _)| k.name == key).map(|(k, _)| k),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.tree {
            Tree::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.tree {
            Tree::Seq(v) => Some(v),
            _ => None,
        }
    }

    /// The position of the key at a serde path such as `detection.source` or
    /// `links[2].url` (the node's own position for list items).
    pub fn path_span(&self, path: &str) -> Option<Span> {
        let mut n = self;
        let mut span = None;
        for part in path.split('.') {
            let (name, rest) = part.split_once('[').unwrap_or((part, ""));
            if !name.is_empty() {
                span = Some(n.key(name)?.span);
                n = n.get(name)?;
            }
            for idx in rest.split('[') {
                let Ok(i) = idx.trim_end_matches(']').parse::<usize>() else {
                    continue;
                };
                n = n.as_seq()?.get(i)?;
                span = Some(n.span);
            }
        }
        span
    }

    /// As a JSON value (what templates and kind modules read). Text that looks like
    /// a date stays text; a float that JSON cannot hold (`.nan`) becomes null.
    pub fn to_json(&self) -> Value {
        match &self.tree {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(*b),
            Tree::Int(i) => Value::from(*i),
            Tree::UInt(u) => Value::from(*u),
            Tree::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Tree::Str(s) => Value::String(s.clone()),
            Tree::Seq(v) => Value::Array(v.iter().map(Node::to_json).collect()),
            Tree::Map(e) => {
                let mut m = Map::with_capacity(e.len());
                for (k, v) in e {
                    m.insert(k.name.clone(), v.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::UInt(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Tree, E> {
        Ok(i64::try_from(v).map_or(Tree::Float(v as f64), Tree::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Tree, E> {
        Ok(u64::try_from(v).map_or(Tree::Float(v as f64), Tree::UInt))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Tree, E> {
        Ok(Tree::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Tree, E> {
        Ok(Tree::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Tree::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut v = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Tree>>()? {
            v.push(node(item));
        }
        Ok(Tree::Seq(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut e = Vec::new();
        while let Some(k) = map.next_key::<Spanned<KeyText>>()? {
            let v = map.next_value::<Spanned<Tree>>()?;
            e.push((
                Key {
                    name: k.value.0,
                    span: span_of(&k.referenced),
                },
                node(v),
            ));
        }
        Ok(Tree::Map(e))
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tree, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

/// A key as text: `2024:` and `true:` are keys too, spelled as JSON would.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyText, D::Error> {
        let key = Tree::deserialize(d)?;
        Ok(KeyText(match key {
            Tree::Str(s) => s,
            Tree::Null => "null".into(),
            Tree::Bool(b) => b.to_string(),
            Tree::Int(i) => i.to_string(),
            Tree::UInt(u) => u.to_string(),
            Tree::Float(f) => f.to_string(),
            Tree::Seq(_) | Tree::Map(_) => {
                return Err(de::Error::custom(
                    "a list or mapping cannot be a key (use text)",
                ))
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_positions() {
        let n = parse("title: 監視\nnested:\n  deep: [1, 2.5, true, null]\ndate: 2025-05-12\n")
            .unwrap();
        assert_eq!(n.get("title").unwrap().as_str(), Some("監視"));
        assert_eq!(n.key("nested").unwrap().span, Span::new(2, 1));
        assert_eq!(n.path_span("nested.deep"), Some(Span::new(3, 3)));
        assert_eq!(n.path_span("nested.deep[1]"), Some(Span::new(3, 13)));
        assert_eq!(
            n.to_json(),
            serde_json::json!({"title": "監視", "nested": {"deep": [1, 2.5, true, null]}, "date": "2025-05-12"})
        );
    }

    #[test]
    fn non_finite_floats_become_null() {
        let n = parse("a: .nan\nb: -.inf\n").unwrap();
        assert_eq!(n.to_json(), serde_json::json!({"a": null, "b": null}));
    }

    #[test]
    fn duplicate_keys_name_both_positions_also_nested() {
        let n = parse("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n").unwrap();
        let d = duplicates(&n);
        assert_eq!(
            d,
            vec![
                ("b.c".to_string(), Span::new(3, 3), Span::new(4, 3)),
                ("a".to_string(), Span::new(1, 1), Span::new(5, 1)),
            ]
        );
    }

    #[test]
    fn deep_nesting_fails_fast_with_a_position() {
        let deep = format!("x: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested more than"), "{e:?}");
        assert_eq!(e.span.line, 1);
    }

    #[test]
    fn brackets_inside_text_do_not_count_as_nesting() {
        let text: String = (0..40)
            .map(|i| format!("k{i}: see [ref {{x and 'quote\n"))
            .collect();
        let n = parse(&text).unwrap();
        assert_eq!(
            n.get("k39").unwrap().as_str(),
            Some("see [ref {x and 'quote")
        );
        let mixed = format!("a: \"[[[\"\nb: [{}]\n", "[1], ".repeat(40));
        parse(&mixed).unwrap();
    }

    #[test]
    fn deep_block_nesting() {
        let block: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let e = parse(&block).unwrap_err();
        assert!(e.span.line > 1, "{e:?}");
        assert!(
            e.message
                .ends_with("YAML nested more than 24 levels deep (limit 24)"),
            "{e:?}"
        );
    }

    #[test]
    fn syntax_error_position() {
        let e = parse("title: [unclosed\n").unwrap_err();
        assert_eq!(e.span, Span::new(1, 8), "{e:?}");
        assert_eq!(e.message, "line 1 column 8: unclosed bracket '['");
        let e = parse("a: 1\n b: 2\n").unwrap_err();
        assert_eq!(e.span.line, 2, "{e:?}");
    }

    #[test]
    fn several_documents() {
        let d = parse_all("a: 1\n---\nb: 2\n---\n").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].key("b").unwrap().span, Span::new(3, 1));
    }
}
