//! What `srekb new <kind>` shares: each kind declares its clap command
//! ([`super::ContentKind::new_command`]) and writes its file in
//! [`super::ContentKind::scaffold`] with these helpers; never overwrite.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::config::SiteConfig;
use crate::diagnostics::Diagnostic;

/// What a kind's scaffold may use: the site and a way to print diagnostics.
pub struct ScaffoldCx<'a> {
    pub root: &'a Path,
    pub config: &'a SiteConfig,
    /// Prints problems found in a file the scaffold reads (the maturity model).
    pub report: &'a dyn Fn(&[Diagnostic]),
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

/// Refuses a command-line value that becomes one path segment (a team, a slug) unless
/// it is a plain name: no separators, no `..`, nothing hidden, nothing absolute.
pub fn plain_segment(what: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && !value.starts_with('.')
        && !value.contains(['/', '\\', '\0'])
        && !value.chars().any(char::is_control)
        && crate::content::slug::path_segment(value) == value.to_lowercase();
    if !ok {
        bail!(
            "{what} `{value}` is not a plain name (use letters, digits and `-`; it becomes \
             a path inside content/)"
        );
    }
    Ok(())
}

/// The directory of the first section mapped to `kind` (e.g. `postmortems`).
pub fn section_dir(config: &SiteConfig, kind: crate::content::Kind, default: &str) -> String {
    crate::kinds::section_of(config, kind).unwrap_or_else(|| default.to_string())
}

pub fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}
