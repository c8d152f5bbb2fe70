//! `srekb new …`: scaffold files from templates with today's date; never overwrite.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::{Language, SiteConfig};
use crate::diagnostics::Diagnostics;

/// Loads the site's config, or explains how to get one.
pub fn config_for(root: &Path) -> Result<SiteConfig> {
    let diags = Diagnostics::default();
    match crate::site::load_config(root, &diags) {
        Some(c) => Ok(c),
        None => {
            let ds = diags.into_sorted();
            super::eprint_diagnostics(&ds);
            bail!("cannot scaffold without a valid site-config.toml")
        }
    }
}

pub fn today(config: &SiteConfig) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&config.offset())
        .date_naive()
}

/// Quotes a string for TOML.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Creates `path` with `text`, failing if it already exists.
pub fn create_new(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut f = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} already exists; not overwriting it", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    };
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Resolves a path given on the command line to a file under content/.
pub fn content_path(root: &Path, given: &str) -> Result<PathBuf> {
    let given = given.trim_start_matches("content/").trim_start_matches('/');
    if given.is_empty() || given.split('/').any(|s| s == "..") {
        bail!("`{given}` is not a path inside content/");
    }
    let mut p = root.join("content").join(given);
    if p.extension().is_none_or(|e| e != "md") {
        let mut s = p.into_os_string();
        s.push(".md");
        p = PathBuf::from(s);
    }
    Ok(p)
}

pub fn page(root: &Path, path: &str, title: Option<String>) -> Result<i32> {
    let config = config_for(root)?;
    let file = content_path(root, path)?;
    let title = title.unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
            .unwrap_or_default()
    });
    let (desc_hint, body) = match config.language {
        Language::Ja => (
            "一行の説明（一覧と検索結果に表示されます）",
            "## 概要\n\nこのページで伝えたいことを書きます。\n",
        ),
        Language::En => (
            "One-line description (shown in lists and search results)",
            "## Overview\n\nWhat this page is about.\n",
        ),
    };
    let text = format!(
        "+++\ntitle = {}\ndate = {}\ndescription = \"\"  # {desc_hint}\ntags = []\n+++\n\n{body}",
        toml_str(&title),
        today(&config)
    );
    create_new(&file, &text)?;
    println!("Created {}", file.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_paths() {
        let r = Path::new("/kb");
        assert_eq!(
            content_path(r, "docs/foo").unwrap(),
            Path::new("/kb/content/docs/foo.md")
        );
        assert_eq!(
            content_path(r, "content/docs/foo.md").unwrap(),
            Path::new("/kb/content/docs/foo.md")
        );
        assert!(content_path(r, "../etc/passwd").is_err());
    }
}
