//! Resolving links written in markdown: relative file paths (`../runbooks/db.md#復旧`),
//! Zola's `@/path.md`, site-absolute paths, and URLs. Internal targets become
//! relative hrefs; unknown ones are reported; dangerous schemes are neutralised.

use percent_encoding::percent_decode_str;
use unicode_normalization::UnicodeNormalization;

use crate::content::{slug, Library, Target};

/// What a link destination turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A page or section, with an optional anchor to check later.
    Internal { target: Target, anchor: String },
    /// An anchor in the current document.
    SameDoc { anchor: String },
    /// A copied file (image, attachment): its site path.
    File { path: String },
    /// Left alone: external URL, mailto:, or a site path we cannot verify.
    External,
    /// A `javascript:`-like URL, replaced by `#`.
    Dangerous,
    /// Points at nothing we know.
    Broken { reason: String },
}

/// Splits `dest` into path and fragment (the fragment percent-decoded).
fn split_fragment(dest: &str) -> (&str, String) {
    match dest.split_once('#') {
        Some((p, f)) => (p, percent_decode_str(f).decode_utf8_lossy().into_owned()),
        None => (dest, String::new()),
    }
}

fn has_scheme(dest: &str) -> Option<String> {
    let colon = dest.find(':')?;
    let scheme = &dest[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        Some(scheme.to_ascii_lowercase())
    } else {
        None
    }
}

/// Joins a relative path onto a directory, resolving `.` and `..`; `None` when it
/// climbs above the root.
pub fn join(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The directory part of a content-relative file path.
fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

pub fn resolve(dest: &str, current_rel: &str, current_path: &str, lib: &Library) -> Resolved {
    let dest = dest.trim();
    if dest.is_empty() {
        return Resolved::External;
    }
    // Browsers ignore whitespace and control characters inside schemes.
    let squeezed: String = dest
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    if let Some(scheme) = has_scheme(&squeezed) {
        return if matches!(scheme.as_str(), "javascript" | "vbscript" | "data") {
            Resolved::Dangerous
        } else {
            Resolved::External
        };
    }
    if let Some(anchor) = dest.strip_prefix('#') {
        return Resolved::SameDoc {
            anchor: percent_decode_str(anchor).decode_utf8_lossy().into_owned(),
        };
    }
    if dest.starts_with("//") {
        return Resolved::External;
    }
    let (path, anchor) = split_fragment(dest);
    let path = path.split('?').next().unwrap_or(path);
    // Paths are keyed in NFC (see `content::load::nfc_rel`); a link typed or pasted
    // in decomposed form must find the same file.
    let decoded: String = percent_decode_str(path).decode_utf8_lossy().nfc().collect();

    // Zola's `@/section/page.md` is relative to content/.
    if let Some(rest) = decoded.strip_prefix("@/") {
        return by_file(rest, anchor, lib).unwrap_or_else(|| Resolved::Broken {
            reason: format!("no file content/{rest}"),
        });
    }
    if let Some(abs) = decoded.strip_prefix('/') {
        // A site path (`/runbooks/db/`) or a content path (`/runbooks/db.md`).
        if let Some(r) = by_site_path(abs, &anchor, lib) {
            return r;
        }
        if is_markdown(abs) {
            return by_file(abs, anchor, lib).unwrap_or_else(|| Resolved::Broken {
                reason: format!("no file content/{abs}"),
            });
        }
        return Resolved::External;
    }
    // Relative: first as a file next to the source, then as a URL next to the page.
    let joined = join(dir_of(current_rel), &decoded);
    if let Some(j) = &joined {
        if let Some(r) = by_file(j, anchor.clone(), lib) {
            return r;
        }
    }
    if let Some(url_path) = join(current_path, &decoded) {
        if let Some(r) = by_site_path(&url_path, &anchor, lib) {
            return r;
        }
    }
    Resolved::Broken {
        reason: match joined {
            Some(j) if is_markdown(&j) => format!("no page content/{j}"),
            Some(j) => format!("no file or page content/{j}"),
            None => "the path climbs above content/".to_string(),
        },
    }
}

fn is_markdown(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    l.ends_with(".md") || l.ends_with(".markdown")
}

fn by_file(rel: &str, anchor: String, lib: &Library) -> Option<Resolved> {
    let rel = rel.trim_end_matches('/');
    if let Some(&target) = lib.by_rel.get(rel) {
        return Some(Resolved::Internal { target, anchor });
    }
    match lib.asset_by_rel.get(rel) {
        Some(out) if !out.is_empty() => Some(Resolved::File { path: out.clone() }),
        _ => None,
    }
}

fn by_site_path(path: &str, anchor: &str, lib: &Library) -> Option<Resolved> {
    let trimmed = path.trim_matches('/');
    let key = if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    };
    let key = key.strip_suffix("index.html/").unwrap_or(&key).to_string();
    lib.by_path.get(&key).map(|&target| Resolved::Internal {
        target,
        anchor: anchor.to_string(),
    })
}

/// The href of a resolved internal link, relative to the current page (`root_prefix`
/// leads back to the site root). Compare `views::site_href`, relative to the root.
pub fn relative_href(root_prefix: &str, site_path: &str, anchor: &str) -> String {
    let mut h = format!("{root_prefix}{}", slug::encode_path(site_path));
    if h.is_empty() {
        h.push_str("./");
    }
    if !anchor.is_empty() {
        h.push('#');
        h.push_str(&slug::encode_fragment(anchor));
    }
    h
}

/// `../../` from a page at `path` back to the site root.
pub fn root_prefix(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_resolves_dots() {
        assert_eq!(
            join("postmortems", "../runbooks/db.md").as_deref(),
            Some("runbooks/db.md")
        );
        assert_eq!(join("", "./a.md").as_deref(), Some("a.md"));
        assert_eq!(join("", "../a.md"), None);
    }

    #[test]
    fn schemes() {
        let lib = Library::default();
        assert_eq!(
            resolve("https://example.com", "a.md", "a/", &lib),
            Resolved::External
        );
        assert_eq!(
            resolve("mailto:x@y", "a.md", "a/", &lib),
            Resolved::External
        );
        assert_eq!(
            resolve("javascript:alert(1)", "a.md", "a/", &lib),
            Resolved::Dangerous
        );
        assert_eq!(
            resolve("JaVa\tScript:alert(1)", "a.md", "a/", &lib),
            Resolved::Dangerous
        );
        assert_eq!(
            resolve("data:text/html,x", "a.md", "a/", &lib),
            Resolved::Dangerous
        );
        assert_eq!(
            resolve("#%E9%9A%9C%E5%AE%B3", "a.md", "a/", &lib),
            Resolved::SameDoc {
                anchor: "障害".into()
            }
        );
    }

    #[test]
    fn missing_relative_file_is_broken() {
        let lib = Library::default();
        match resolve(
            "../runbooks/db.md#x",
            "postmortems/a.md",
            "postmortems/a/",
            &lib,
        ) {
            Resolved::Broken { reason } => {
                assert!(reason.contains("content/runbooks/db.md"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hrefs_are_relative_and_encoded() {
        assert_eq!(root_prefix("postmortems/x/"), "../../");
        assert_eq!(root_prefix(""), "");
        assert_eq!(
            relative_href("../../", "runbooks/db/", "復旧"),
            "../../runbooks/db/#%E5%BE%A9%E6%97%A7"
        );
        assert_eq!(relative_href("", "", ""), "./");
    }
}
