//! Issue 16: no import cycles between top-level modules. Every `crate::<module>`
//! path in src/ is an edge from the file's top-level module to `<module>`; each edge
//! must point down the layer list below. A back edge fails naming the files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level modules from the bottom up: a module may use only those before it.
/// The build stages run in the order the driver (`site`) lists them; `render` is the
/// theme engine that kinds' outputs use, so it sits below `kinds`, and `output` (the
/// atomic writer, which imports nothing) below it, so kinds write their own files.
const LAYERS: &[&str] = &[
    "escape",
    "diagnostics",
    "line_index",
    "date",
    "config",
    "content",
    "taxonomy",
    "theme",
    "markdown",
    "output",
    "render",
    "kinds",
    "search",
    "site",
    "serve",
    "cli",
    "cmd",
    // Property tests of the parsers (`#[cfg(test)]`, beside the code they reach into).
    "fuzz",
    "lib",
];

/// Edges (from, to) between top-level modules, each with one file that makes it.
type Edges = BTreeMap<(String, String), String>;

fn top_module(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// `crate::x` paths in Rust source, skipping `//` comments.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            // `crate::{a, b::c}` names several modules.
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                group
                    .split('}')
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .map(str::trim)
                    .collect()
            } else {
                vec![rest]
            };
            for n in names {
                let name: String = n
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                // `crate::some_macro!()` names an exported macro, not a module.
                let is_macro = n[name.len()..].starts_with('!');
                if !name.is_empty() && !is_macro {
                    out.insert(name);
                }
            }
        }
    }
    out
}

fn edges_of(src: &Path) -> Edges {
    let mut edges = Edges::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap();
            let from = top_module(rel);
            if from == "main" {
                continue;
            }
            for to in crate_refs(&fs::read_to_string(&p).unwrap()) {
                if to != from {
                    edges
                        .entry((from.clone(), to))
                        .or_insert_with(|| rel.display().to_string());
                }
            }
        }
    }
    edges
}

/// Every edge that does not point down `layers`, as readable lines.
fn back_edges(edges: &Edges, layers: &[&str]) -> Vec<String> {
    let rank = |m: &str| layers.iter().position(|l| *l == m);
    let mut bad = Vec::new();
    for ((from, to), file) in edges {
        match (rank(from), rank(to)) {
            (Some(f), Some(t)) if t < f => {}
            (None, _) => bad.push(format!("module `{from}` ({file}) is not in LAYERS")),
            (_, None) => bad.push(format!("module `{to}` (used by {file}) is not in LAYERS")),
            _ => {
                // Name the cycle when the lower module also reaches back.
                let cycle = edges
                    .get(&(to.clone(), from.clone()))
                    .map(|f| format!(" — cycle {from} ↔ {to} (also {f})"))
                    .unwrap_or_default();
                bad.push(format!("{from} → {to} in {file} goes up the layers{cycle}"));
            }
        }
    }
    bad
}

#[test]
fn top_level_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges_of(&src);
    assert!(edges.len() > 20, "the scan found too few edges: {edges:?}");
    let bad = back_edges(&edges, LAYERS);
    assert!(bad.is_empty(), "import back edges:\n{}", bad.join("\n"));
}

#[test]
fn the_detector_finds_a_back_edge_and_names_the_cycle() {
    let mut edges = Edges::new();
    edges.insert(("b".into(), "a".into()), "b/mod.rs".into());
    edges.insert(("c".into(), "b".into()), "c.rs".into());
    assert!(back_edges(&edges, &["a", "b", "c"]).is_empty());
    edges.insert(("a".into(), "b".into()), "a.rs".into());
    let bad = back_edges(&edges, &["a", "b", "c"]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].contains("a → b in a.rs"), "{bad:?}");
    assert!(bad[0].contains("cycle a ↔ b (also b/mod.rs)"), "{bad:?}");
    edges.insert(("d".into(), "a".into()), "d.rs".into());
    assert!(back_edges(&edges, &["a", "b", "c"])
        .iter()
        .any(|l| l.contains("`d`")));
}

#[test]
fn crate_paths_are_read_from_use_lines_and_expressions() {
    let refs = crate_refs(
        "use crate::{config::X, content};\nlet a = crate::search::web::f(); // crate::serve\n$crate::kinds\ncrate::m!();\n",
    );
    let v: Vec<&str> = refs.iter().map(String::as_str).collect();
    assert_eq!(v, ["config", "content", "search"]);
}
