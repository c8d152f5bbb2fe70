//! Syntax highlighting with syntect, loaded once per process: classed HTML (no inline
//! colours) plus one generated stylesheet for light and dark mode.

use std::sync::OnceLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

/// Names people write after ``` that syntect does not know by itself.
fn alias(lang: &str) -> &str {
    match lang {
        "shell" | "console" | "sh" | "zsh" | "shell-session" | "bash" => "bash",
        "yml" => "yaml",
        "tf" | "hcl" | "terraform" => "terraform",
        "dockerfile" | "docker" => "Dockerfile",
        "ts" | "typescript" => "ts",
        "js" | "javascript" => "js",
        "golang" => "go",
        "py" | "python3" => "python",
        "jsonc" | "json5" => "json",
        "nginx" | "nginxconf" => "nginx",
        "ini" | "cfg" | "conf" => "ini",
        "psql" | "postgresql" | "postgres" | "mysql" => "sql",
        "promql" | "logql" => "",
        other => other,
    }
}

fn find(lang: &str) -> Option<&'static SyntaxReference> {
    let lower = lang.to_ascii_lowercase();
    let name = alias(&lower);
    if name.is_empty() {
        return None;
    }
    let ss = syntaxes();
    ss.find_syntax_by_token(name)
        .or_else(|| ss.find_syntax_by_name(name))
        .or_else(|| ss.find_syntax_by_token(&lower))
}

/// Whether `lang` is highlighted.
#[cfg(test)]
fn knows(lang: &str) -> bool {
    find(lang).is_some()
}

/// The inner HTML of `<code>` for `code` in `lang`; `None` when the language is
/// unknown or highlighting fails (the caller then escapes the text as is).
pub fn highlight(code: &str, lang: &str) -> Option<String> {
    let syntax = find(lang)?;
    let mut gen = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes(), CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        gen.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(gen.finalize())
}

/// CSS for the highlight classes: `light` by default, `dark` under
/// `prefers-color-scheme: dark` and `[data-theme="dark"]`.
pub fn stylesheet(light: &str, dark: &str) -> Result<String, String> {
    let lazy = two_face::theme::extra();
    let defaults = ThemeSet::load_defaults();
    let get = |name: &str| -> Result<syntect::highlighting::Theme, String> {
        if let Some(t) = defaults.themes.get(name) {
            return Ok(t.clone());
        }
        two_face::theme::EmbeddedLazyThemeSet::theme_names()
            .iter()
            .find(|n| n.as_name() == name)
            .map(|n| lazy.get(*n).clone())
            .ok_or_else(|| {
                let mut names: Vec<&str> = defaults.themes.keys().map(String::as_str).collect();
                names.extend(
                    two_face::theme::EmbeddedLazyThemeSet::theme_names()
                        .iter()
                        .map(|n| n.as_name()),
                );
                format!(
                    "unknown highlight theme `{name}`; known: {}",
                    names.join(", ")
                )
            })
    };
    let light_css =
        css_for_theme_with_class_style(&get(light)?, CLASS_STYLE).map_err(|e| e.to_string())?;
    let dark_css =
        css_for_theme_with_class_style(&get(dark)?, CLASS_STYLE).map_err(|e| e.to_string())?;
    let scoped = |prefix: &str| scope_rules(&dark_css, prefix);
    Ok(format!(
        "/* code highlighting: {light} (light), {dark} (dark) */\n{light_css}\n@media (prefers-color-scheme: dark) {{\n{}\n}}\n{}\n",
        scoped(":root:not([data-theme=\"light\"])"),
        scoped(":root[data-theme=\"dark\"]")
    ))
}

/// Prefixes every selector of a flat stylesheet with `prefix`.
fn scope_rules(css: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(css.len() * 2);
    let mut rest = css;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let selectors = rest[..open].trim();
        // drop comments before the selector
        let selectors = match selectors.rfind("*/") {
            Some(i) => selectors[i + 2..].trim(),
            None => selectors,
        };
        let scoped: Vec<String> = selectors
            .split(',')
            .map(|s| format!("{prefix} {}", s.trim()))
            .collect();
        out.push_str(&scoped.join(", "));
        out.push_str(" {");
        out.push_str(&rest[open + 1..open + close]);
        out.push_str("}\n");
        rest = &rest[open + close + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_runbook_languages_are_known() {
        for l in [
            "bash",
            "shell",
            "console",
            "sql",
            "yaml",
            "yml",
            "go",
            "python",
            "rust",
            "toml",
            "json",
            "hcl",
            "Dockerfile",
            "ts",
        ] {
            assert!(knows(l), "{l}");
        }
        assert!(!knows("promql"));
        assert!(!knows("no-such-language"));
    }

    #[test]
    fn output_is_classed_not_inline() {
        let html = highlight("echo \"hi\" # x\n", "bash").unwrap();
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn stylesheet_has_both_modes() {
        let css = stylesheet("InspiredGitHub", "OneHalfDark").unwrap();
        assert!(css.contains("prefers-color-scheme: dark"));
        assert!(
            css.contains(":root[data-theme=\"dark\"] .hl-"),
            "{}",
            &css[..400.min(css.len())]
        );
        assert!(stylesheet("nope", "OneHalfDark")
            .unwrap_err()
            .contains("known:"));
    }
}
