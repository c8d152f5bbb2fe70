//! `srekb search`: ranked hits from the index with title, URL, kind and a snippet.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::diagnostics::term;
use crate::search::engine::Filters;
use crate::search::index;

/// Prints hits for `query`; exit 1 when there are none (as grep does). Content is
/// escaped for the terminal: a title or snippet cannot send escape sequences.
pub fn run(root: &Path, query: &str, filters: &Filters, limit: u64, json: bool) -> Result<i32> {
    let limit = usize::try_from(limit)?;
    let found = index::search(root, query, filters, limit)?;
    let hits = found.hits;
    if json {
        let mut bytes = crate::output::json_bytes(&hits, true)?;
        bytes.push(b'\n');
        super::write_stdout(&bytes)?;
        return Ok(0);
    }
    if hits.is_empty() {
        eprintln!("no results for `{}`", term::escape(query, false));
        return Ok(1);
    }
    let color = term::stdout_color();
    // Written as one block, so a closed pipe is one error to end on, not a panic.
    let mut out = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        let title = term::escape(&h.title, false);
        let title = if color {
            format!("\x1b[1m{title}\x1b[0m")
        } else {
            title.into_owned()
        };
        writeln!(
            out,
            "{:>2}. {title}  [{}]  {}",
            i + 1,
            term::escape(&h.kind, false),
            term::escape(&h.url, false)
        )?;
        let mut line = String::new();
        let mut at = 0;
        for r in h.highlights.iter().cloned() {
            if r.start < at
                || r.end > h.snippet.len()
                || !h.snippet.is_char_boundary(r.start)
                || !h.snippet.is_char_boundary(r.end)
            {
                continue;
            }
            line.push_str(&term::escape(&h.snippet[at..r.start], false));
            let m = term::escape(&h.snippet[r.start..r.end], false);
            if color {
                line.push_str(&format!("\x1b[33;1m{m}\x1b[0m"));
            } else {
                line.push_str(&format!("«{m}»"));
            }
            at = r.end;
        }
        line.push_str(&term::escape(&h.snippet[at..], false));
        let line: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        writeln!(out, "    {line}")?;
    }
    writeln!(out, "{} hits", found.total)?;
    super::write_stdout(&out)?;
    Ok(0)
}
