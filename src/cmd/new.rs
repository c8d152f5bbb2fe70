//! `srekb new …`: scaffold files from templates with today's date; never overwrite.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

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

pub use crate::kinds::scaffold::{create_new, today, toml_str};

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

/// `srekb new <what>`: a page, or a page of the kind named `what` through its
/// scaffold.
pub fn run(root: &Path, what: &crate::cli::NewCommand) -> Result<i32> {
    if what.name == "page" {
        let path = what
            .args
            .get_one::<String>("path")
            .cloned()
            .unwrap_or_default();
        let title = what.args.get_one::<String>("title").cloned();
        return page(root, &path, title);
    }
    let Some(kind) = crate::kinds::get(crate::content::Kind::intern(&what.name)) else {
        bail!("unknown kind `{}`", what.name);
    };
    let config = config_for(root)?;
    let report = |ds: &[crate::diagnostics::Diagnostic]| super::eprint_diagnostics(ds);
    let cx = crate::kinds::scaffold::ScaffoldCx {
        root,
        config: &config,
        report: &report,
    };
    kind.scaffold(&cx, &what.args)
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
    use crate::kinds::scaffold::plain_segment;

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

    #[test]
    fn path_arguments_must_be_plain_names() {
        for bad in [
            "../../../x",
            "/abs",
            "a/b",
            "..",
            ".hidden",
            "",
            "a\\b",
            "x\u{1b}[2J",
        ] {
            assert!(plain_segment("--team", bad).is_err(), "{bad:?}");
        }
        for good in ["sre", "platform-team", "チームa", "db2"] {
            assert!(plain_segment("--team", good).is_ok(), "{good:?}");
        }
    }
}
