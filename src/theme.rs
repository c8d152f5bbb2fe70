//! The theme: the default theme embedded in the binary, overridden file by file by
//! `themes/<name>/` in the site (templates, static files, UI strings).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use include_dir::{include_dir, Dir};
use walkdir::WalkDir;

use crate::diagnostics::Diagnostic;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// Templates, static files and UI strings, after overrides.
#[derive(Debug, Clone, Default)]
pub struct Theme {
    /// Template name (`page.html`) → (source shown in errors, text).
    pub templates: BTreeMap<String, (String, String)>,
    /// Path under `static/` → bytes.
    pub static_files: BTreeMap<String, Vec<u8>>,
    /// Language code → UI string table.
    pub i18n: BTreeMap<String, toml::Table>,
}

fn embedded_files(prefix: &str) -> Vec<(String, &'static [u8])> {
    let mut out = Vec::new();
    fn walk(dir: &Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
        for f in dir.files() {
            out.push((f.path().to_string_lossy().replace('\\', "/"), f.contents()));
        }
        for d in dir.dirs() {
            walk(d, out);
        }
    }
    if let Some(d) = EMBEDDED.get_dir(prefix) {
        walk(d, &mut out);
    }
    out.into_iter()
        .map(|(p, c)| (p.trim_start_matches(&format!("{prefix}/")).to_string(), c))
        .collect()
}

impl Theme {
    /// Loads the embedded theme, then `root/themes/<name>/` on top of it.
    pub fn load(root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
        let mut theme = Theme::default();
        for (path, bytes) in embedded_files("templates") {
            let text = String::from_utf8_lossy(bytes).into_owned();
            theme
                .templates
                .insert(path.clone(), (format!("(embedded) templates/{path}"), text));
        }
        for (path, bytes) in embedded_files("static") {
            theme.static_files.insert(path, bytes.to_vec());
        }
        let mut errors = Vec::new();
        for (path, bytes) in embedded_files("i18n") {
            let lang = path.trim_end_matches(".toml").to_string();
            let table = String::from_utf8_lossy(bytes)
                .parse::<toml::Table>()
                .expect("embedded i18n files are valid TOML (tested)");
            theme.i18n.insert(lang, table);
        }

        let dir = root.join("themes").join(name);
        if !dir.is_dir() {
            if name != "default" {
                errors.push(
                    Diagnostic::error(
                        "theme",
                        format!("theme `{name}` not found at {}", dir.display()),
                    )
                    .with_help(
                        "create the directory or set `theme = \"default\"` in site-config.toml",
                    ),
                );
            }
            return if errors.is_empty() {
                Ok(theme)
            } else {
                Err(errors)
            };
        }
        for sub in ["templates", "static", "i18n"] {
            let base = dir.join(sub);
            if !base.is_dir() {
                continue;
            }
            for entry in WalkDir::new(&base).sort_by_file_name() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        errors.push(Diagnostic::error("io", format!("cannot read theme: {e}")));
                        continue;
                    }
                };
                if !entry.file_type().is_file()
                    || crate::content::load::is_ignored(&entry.file_name().to_string_lossy())
                {
                    continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(&base)
                    .expect("walked under base")
                    .to_string_lossy()
                    .replace('\\', "/");
                let shown = crate::content::load::display(entry.path(), root);
                let bytes = match fs::read(entry.path()) {
                    Ok(b) => b,
                    Err(e) => {
                        errors.push(
                            Diagnostic::error("io", format!("cannot read: {e}")).in_file(&shown),
                        );
                        continue;
                    }
                };
                match sub {
                    "templates" => match String::from_utf8(bytes) {
                        Ok(text) => {
                            theme
                                .templates
                                .insert(rel, (shown.display().to_string(), text));
                        }
                        Err(_) => errors.push(
                            Diagnostic::error("encoding", "template is not valid UTF-8")
                                .in_file(&shown),
                        ),
                    },
                    "static" => {
                        theme.static_files.insert(rel, bytes);
                    }
                    _ => {
                        let lang = rel.trim_end_matches(".toml").to_string();
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        match text.parse::<toml::Table>() {
                            Ok(table) => {
                                let entry = theme.i18n.entry(lang).or_default();
                                for (k, v) in table {
                                    entry.insert(k, v);
                                }
                            }
                            Err(e) => {
                                let span = e
                                    .span()
                                    .map(|r| crate::diagnostics::Span::from_offset(&text, r.start))
                                    .unwrap_or_default();
                                errors.push(
                                    Diagnostic::error("theme", e.message().to_string())
                                        .at(&shown, span, &text),
                                );
                            }
                        }
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(theme)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_theme_is_complete() {
        let t = Theme::load(Path::new("/nonexistent"), "default").unwrap();
        for name in [
            "base.html",
            "page.html",
            "section.html",
            "index.html",
            "404.html",
            "taxonomy.html",
            "term.html",
        ] {
            assert!(t.templates.contains_key(name), "{name}");
        }
        assert!(t.static_files.contains_key("style.css"));
        let ja = &t.i18n["ja"];
        let en = &t.i18n["en"];
        // Both languages define the same keys, at every level.
        fn keys(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
            for (k, v) in t {
                match v {
                    toml::Value::Table(inner) => keys(inner, &format!("{prefix}{k}."), out),
                    _ => out.push(format!("{prefix}{k}")),
                }
            }
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        keys(ja, "", &mut a);
        keys(en, "", &mut b);
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert!(a.contains(&"kind.postmortem".to_string()));
    }

    #[test]
    fn unknown_theme_is_an_error() {
        assert!(Theme::load(Path::new("/nonexistent"), "fancy").is_err());
    }
}
