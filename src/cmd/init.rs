//! `srekb init [DIR]`: a new knowledge base with one sample of each kind, also inside an
//! existing repository. It adds its lines to an existing `.gitignore`, refuses (writing
//! nothing) when any other file it would create already exists, and lists what it did.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use include_dir::{include_dir, Dir, File};

static SCAFFOLD: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/scaffold");

/// The scaffold's ignore file, stored without its dot so that git does not apply it
/// to this repository.
const GITIGNORE: &str = "gitignore";

fn files<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a File<'a>>) {
    out.extend(dir.files());
    for d in dir.dirs() {
        files(d, out);
    }
}

/// Where a scaffold file lands, relative to the knowledge base.
fn target_name(path: &str) -> String {
    if path == GITIGNORE {
        ".gitignore".into()
    } else {
        path.replace('\\', "/")
    }
}

/// The lines of `ours` that `existing` lacks (compared trimmed; blank lines and
/// comments are not added).
fn missing_lines<'a>(existing: &str, ours: &'a str) -> Vec<&'a str> {
    let have: Vec<&str> = existing.lines().map(str::trim).collect();
    ours.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !have.contains(l))
        .collect()
}

/// `existing` with `lines` appended under a comment, keeping its last line intact.
fn appended(existing: &str, lines: &[&str]) -> String {
    let mut out = existing.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str("# srekb (build output, search index, staging directories)\n");
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    out
}

pub fn run(dir: &Path) -> Result<i32> {
    let today = crate::site::today(crate::config::SiteConfig::default().offset()).to_string();
    let mut list = Vec::new();
    files(&SCAFFOLD, &mut list);
    list.sort_by_key(|f| f.path().to_path_buf());

    // Everything is checked before anything is written: a refusal leaves the
    // directory exactly as it was.
    let existing: Vec<String> = list
        .iter()
        .map(|f| f.path().to_string_lossy())
        .filter(|p| p != GITIGNORE)
        .map(|p| target_name(&p))
        .filter(|p| dir.join(p).symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() {
        bail!(
            "{} already has {} of the files `srekb init` creates:\n  {}\n`srekb init` never \
             overwrites files; move them away or run it in another directory",
            dir.display(),
            existing.len(),
            existing.join("\n  ")
        );
    }

    let mut created = Vec::new();
    let mut gitignore_note = None;
    for f in &list {
        let path = f.path().to_string_lossy();
        let rel = target_name(&path);
        let text = std::str::from_utf8(f.contents()).unwrap_or_default();
        let dest = dir.join(&rel);
        if path == GITIGNORE && dest.symlink_metadata().is_ok() {
            let current = std::fs::read_to_string(&dest)
                .with_context(|| format!("reading {}", dest.display()))?;
            let missing = missing_lines(&current, text);
            gitignore_note = Some(if missing.is_empty() {
                ".gitignore already ignores srekb's output (unchanged)".to_string()
            } else {
                std::fs::write(&dest, appended(&current, &missing))
                    .with_context(|| format!("writing {}", dest.display()))?;
                format!(".gitignore: added {}", missing.join(" "))
            });
            continue;
        }
        super::new::create_new(&dest, &text.replace("{{today}}", &today))?;
        created.push(rel);
    }

    let mut out = format!(
        "Created a knowledge base in {} ({} files):\n",
        dir.display(),
        created.len()
    );
    for rel in &created {
        let _ = writeln!(out, "  {rel}");
    }
    if let Some(note) = gitignore_note {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(
        out,
        "Next: `srekb serve --root {0}` or `srekb build --root {0}`.",
        dir.display()
    );
    print!("{out}");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_missing_ignore_lines_are_added() {
        let ours = "/public/\n/.srekb/\n/.public.srekb-*\n";
        assert_eq!(
            missing_lines("target/\n /public/ \n", ours),
            ["/.srekb/", "/.public.srekb-*"]
        );
        assert!(missing_lines(ours, ours).is_empty());
    }

    #[test]
    fn appending_keeps_an_unterminated_last_line() {
        assert_eq!(
            appended("target/", &["/public/"]),
            "target/\n\n# srekb (build output, search index, staging directories)\n/public/\n"
        );
        assert_eq!(
            appended("", &["/public/"]),
            "# srekb (build output, search index, staging directories)\n/public/\n"
        );
    }
}
