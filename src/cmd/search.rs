//! `srekb search`: ranked hits from the index with title, URL, kind and a snippet.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Result;

use crate::search::index;

pub fn run(root: &Path, query: &str, kind: Option<&str>, limit: usize, json: bool) -> Result<i32> {
    let hits = index::search(root, query, kind, limit)?;
    if json {
        println!(
            "{}",
            String::from_utf8(crate::site::json_bytes(&hits, true)?)?
        );
        return Ok(0);
    }
    if hits.is_empty() {
        eprintln!("no results for `{query}`");
        return Ok(1);
    }
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for (i, h) in hits.iter().enumerate() {
        let title = if color {
            format!("\x1b[1m{}\x1b[0m", h.title)
        } else {
            h.title.clone()
        };
        println!("{:>2}. {title}  [{}]  {}", i + 1, h.kind, h.url);
        let mut line = String::new();
        let mut at = 0;
        for r in index::merge_ranges(&h.highlights) {
            if r.start < at || r.end > h.snippet.len() {
                continue;
            }
            line.push_str(&h.snippet[at..r.start]);
            let m = &h.snippet[r.start..r.end];
            if color {
                line.push_str(&format!("\x1b[33;1m{m}\x1b[0m"));
            } else {
                line.push_str(&format!("«{m}»"));
            }
            at = r.end;
        }
        line.push_str(&h.snippet[at..]);
        let line: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        println!("    {line}");
    }
    Ok(0)
}
