//! `srekb init [DIR]`: a new knowledge base with one sample of each kind. Refuses to
//! write anything when any of its files already exists.

use std::path::Path;

use anyhow::{bail, Result};
use include_dir::{include_dir, Dir, File};

static SCAFFOLD: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/scaffold");

fn files<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a File<'a>>) {
    out.extend(dir.files());
    for d in dir.dirs() {
        files(d, out);
    }
}

/// Where a scaffold file lands (`gitignore` is stored without its dot so that git
/// does not apply it to this repository).
fn target_name(path: &str) -> String {
    if path == "gitignore" {
        ".gitignore".into()
    } else {
        path.to_string()
    }
}

pub fn run(dir: &Path) -> Result<i32> {
    let today = crate::site::today(crate::config::SiteConfig::default().offset()).to_string();
    let mut list = Vec::new();
    files(&SCAFFOLD, &mut list);
    let existing: Vec<String> = list
        .iter()
        .map(|f| target_name(&f.path().to_string_lossy()))
        .filter(|p| dir.join(p).exists())
        .collect();
    if !existing.is_empty() {
        bail!(
            "{} already has {}; `srekb init` never overwrites files",
            dir.display(),
            existing.join(", ")
        );
    }
    for f in &list {
        let rel = target_name(&f.path().to_string_lossy());
        let text = std::str::from_utf8(f.contents()).unwrap_or_default();
        super::new::create_new(&dir.join(&rel), &text.replace("{{today}}", &today))?;
    }
    println!(
        "Created a knowledge base in {} ({} files). Next: `srekb serve --root {}` or `srekb build --root {}`.",
        dir.display(),
        list.len(),
        dir.display(),
        dir.display()
    );
    Ok(0)
}
