//! `site-config.toml`: one serde struct per table, parsed and validated once.
//!
//! Every field has a default (written in its doc comment), so a config file only
//! states what differs. Unknown keys are errors: a typo must not be silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Span};

static CONFIG_FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Records `--config FILE` for [`config_file`].
pub fn set_config_file(path: PathBuf) {
    let _ = CONFIG_FILE.set(path);
}

/// The site configuration to read for `root`: `--config FILE` when given, else
/// `root/site-config.toml`. Returns (path to read, path shown in diagnostics).
pub fn config_file(root: &Path) -> (PathBuf, PathBuf) {
    match CONFIG_FILE.get() {
        Some(p) => (p.clone(), p.clone()),
        None => (
            root.join("site-config.toml"),
            PathBuf::from("site-config.toml"),
        ),
    }
}

/// The whole `site-config.toml`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// Site title shown in the header and feeds. Default: "SRE Knowledge Base".
    pub title: String,
    /// One-line description for the home page and feeds. Default: empty.
    pub description: String,
    /// Absolute URL the site is published at, used only where absolute URLs are
    /// required (sitemap, feeds, Open Graph). Page links are always relative, so the
    /// site also works from `file://` and under any sub-path. Default: "http://127.0.0.1:1111".
    pub base_url: String,
    /// UI language: "ja" or "en". Default: "ja".
    pub language: Language,
    /// Theme directory under `themes/`; files there override the embedded default theme. Default: "default".
    pub theme: String,
    /// UTC offset applied to dates written without one (`2025-05-12`). Default: "+09:00".
    pub timezone: String,
    /// Section directory (relative to `content/`) → kind of its pages, by the kind's
    /// name. Default (when the table is absent): each registered kind's own section
    /// (careers → career, postmortems → postmortem, runbooks → runbook, maturity →
    /// assessment); kind names are checked by the kinds stage.
    pub sections: Option<BTreeMap<String, String>>,
    /// Front matter keys that form taxonomies with list pages. Default: ["tags", "services", "teams"].
    pub taxonomies: Vec<String>,
    pub markdown: MarkdownConfig,
    pub links: LinksConfig,
    pub feed: FeedConfig,
    pub postmortem: PostmortemConfig,
    /// `[runbook]` (also spelled `[runbooks]`).
    #[serde(alias = "runbooks")]
    pub runbook: RunbookConfig,
    pub output: OutputConfig,
    /// Free-form values handed to templates as `config.extra`.
    pub extra: toml::Table,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: "SRE Knowledge Base".into(),
            description: String::new(),
            base_url: "http://127.0.0.1:1111".into(),
            language: Language::Ja,
            theme: "default".into(),
            timezone: "+09:00".into(),
            sections: None,
            taxonomies: vec!["tags".into(), "services".into(), "teams".into()],
            markdown: MarkdownConfig::default(),
            links: LinksConfig::default(),
            feed: FeedConfig::default(),
            postmortem: PostmortemConfig::default(),
            runbook: RunbookConfig::default(),
            output: OutputConfig::default(),
            extra: toml::Table::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ja,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }
}

/// `[markdown]`
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarkdownConfig {
    /// Pass raw HTML in markdown through unescaped (as Hugo's `unsafe`). Default: false.
    pub unsafe_html: bool,
    /// Highlight fenced code blocks with syntect. Default: true.
    pub highlight: bool,
    /// syntect theme for light mode. Default: "InspiredGitHub".
    pub highlight_theme: String,
    /// syntect theme for dark mode. Default: "OneHalfDark".
    pub highlight_theme_dark: String,
    /// Deepest heading level listed in a page's table of contents. Default: 3.
    pub toc_depth: u8,
    /// Draw ```mermaid blocks as diagrams (with the theme's bundled mermaid script,
    /// when present). Off: they stay code blocks. Default: true.
    pub mermaid: bool,
}

impl Default for MarkdownConfig {
    fn default() -> Self {
        MarkdownConfig {
            unsafe_html: false,
            mermaid: true,
            highlight: true,
            highlight_theme: "InspiredGitHub".into(),
            highlight_theme_dark: "OneHalfDark".into(),
            toc_depth: 3,
        }
    }
}

/// `[links]`
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinksConfig {
    /// What a link to a missing page or file is: "error" or "warn". Default: "error".
    pub internal: LinkPolicy,
    /// What a link to a missing `#anchor` on an existing page is: "error", "warn" or
    /// "ignore". Default: "warn" (as MkDocs and Docusaurus: translated headings break
    /// anchors far more often than they break pages).
    pub anchors: AnchorPolicy,
}

impl Default for LinksConfig {
    fn default() -> Self {
        LinksConfig {
            internal: LinkPolicy::Error,
            anchors: AnchorPolicy::Warn,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnchorPolicy {
    Error,
    Warn,
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkPolicy {
    Error,
    Warn,
}

/// `[output]`
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Top-level names in the output directory that builds never delete, besides
    /// `.git`, `CNAME` and `.nojekyll` (e.g. a deploy script's own files). Default: [].
    pub keep: Vec<String>,
}

/// `[feed]`
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// Entries per Atom feed. Default: 30.
    pub limit: usize,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig { limit: 30 }
    }
}

/// `[postmortem]`
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostmortemConfig {
    /// Allowed severities, most severe first. Default: ["SEV1", "SEV2", "SEV3", "SEV4"].
    pub severities: Vec<String>,
    /// Section ids every postmortem needs (see `sections`). Default: summary, impact,
    /// root_causes, trigger, resolution, detection, action_items, lessons, timeline.
    pub required_sections: Vec<String>,
    /// Extra heading aliases per section id, added to the built-in Japanese and English ones.
    pub sections: BTreeMap<String, Vec<String>>,
    /// Phrases that label people instead of systems (warnings). Default: a Japanese and English list.
    pub blame_terms: Vec<String>,
    /// Hindsight phrases ("should have") (warnings).
    pub counterfactual_terms: Vec<String>,
    /// Action items that cannot be verified ("be more careful") (warnings).
    pub vague_action_terms: Vec<String>,
    /// Minutes before `started_at` that timeline entries may reach back (the trigger
    /// often precedes the impact). Default: 60.
    pub timeline_lead_minutes: i64,
}

impl Default for PostmortemConfig {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        PostmortemConfig {
            severities: v(&["SEV1", "SEV2", "SEV3", "SEV4"]),
            required_sections: v(&[
                "summary",
                "impact",
                "root_causes",
                "trigger",
                "resolution",
                "detection",
                "action_items",
                "lessons",
                "timeline",
            ]),
            sections: BTreeMap::new(),
            blame_terms: v(&[
                "human error",
                "operator error",
                "careless",
                "ヒューマンエラー",
                "人為的ミス",
                "人的ミス",
                "不注意",
                "確認漏れ",
                "のせい",
                "怠慢",
            ]),
            counterfactual_terms: v(&[
                "should have",
                "could have",
                "would have",
                "すべきだった",
                "するべきだった",
                "していれば",
                "していたら",
                "しておけば",
            ]),
            vague_action_terms: v(&[
                "注意する",
                "気をつける",
                "気を付ける",
                "意識する",
                "徹底する",
                "be more careful",
                "be careful",
                "pay more attention",
            ]),
            timeline_lead_minutes: 60,
        }
    }
}

/// `[runbook]`
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunbookConfig {
    /// Days after `last_reviewed` when a runbook counts as stale. Default: 180.
    pub review_every: i64,
    /// Prometheus alerting-rule files (relative to the site root) for the coverage
    /// report and `check`. Default: none.
    pub alert_rules: Vec<String>,
    /// Base that a relative `runbook_url` in the rule files is read against
    /// (`runbook_url: alerts/DbLag/` with `url_base = "https://kb.example/runbooks/"`).
    /// Default: `base_url`.
    pub url_base: Option<String>,
    /// Text that marks unfilled template placeholders (warnings). Default: "記入:", "fill in:", "TODO".
    pub placeholder_markers: Vec<String>,
}

impl Default for RunbookConfig {
    fn default() -> Self {
        RunbookConfig {
            review_every: 180,
            alert_rules: Vec::new(),
            url_base: None,
            placeholder_markers: vec!["記入:".into(), "fill in:".into(), "TODO".into()],
        }
    }
}

impl SiteConfig {
    /// Parses and validates `site-config.toml` text. `path` is used in diagnostics only.
    pub fn parse(text: &str, path: &Path) -> Result<SiteConfig, Vec<Diagnostic>> {
        let mut config: SiteConfig = match toml::from_str(text) {
            Ok(c) => c,
            Err(e) => {
                let span = e
                    .span()
                    .map(|r| Span::from_offset(text, r.start))
                    .unwrap_or_default();
                return Err(vec![
                    Diagnostic::error("config", e.message().to_string()).at(path, span, text)
                ]);
            }
        };
        let mut errors = Vec::new();
        if crate::date::parse_offset(&config.timezone).is_none() {
            errors.push(
                Diagnostic::error(
                    "config",
                    format!(
                        "timezone `{}` is not a UTC offset like \"+09:00\"",
                        config.timezone
                    ),
                )
                .at(path, Span::find_key(text, "timezone"), text),
            );
        }
        if !(1..=6).contains(&config.markdown.toc_depth) {
            errors.push(
                Diagnostic::error("config", "markdown.toc_depth must be between 1 and 6").at(
                    path,
                    Span::find_key(text, "toc_depth"),
                    text,
                ),
            );
        }
        for k in &config.output.keep {
            if k.is_empty() || k == "." || k == ".." || k.contains(['/', '\\']) {
                errors.push(
                    Diagnostic::error(
                        "config",
                        format!("output.keep entry `{k}` is not a plain file or directory name"),
                    )
                    .at(path, Span::find_key(text, "keep"), text),
                );
            }
        }
        for t in &config.taxonomies {
            if t.is_empty() || t.contains(['/', '\\', '.']) {
                errors.push(
                    Diagnostic::error("config", format!("taxonomy name `{t}` is not a plain word"))
                        .at(path, Span::find_key(text, "taxonomies"), text),
                );
            }
        }
        config.base_url = config.base_url.trim_end_matches('/').to_string();
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    pub fn offset(&self) -> chrono::FixedOffset {
        crate::date::parse_offset(&self.timezone).expect("validated in parse")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gets_defaults() {
        let c = SiteConfig::parse("", Path::new("site-config.toml")).unwrap();
        assert_eq!(c.language, Language::Ja);
        assert_eq!(c.taxonomies, ["tags", "services", "teams"]);
    }

    #[test]
    fn unknown_key_is_an_error_with_position() {
        let text = "title = \"x\"\n[markdown]\nunsafe_htm = true\n";
        let err = SiteConfig::parse(text, Path::new("c.toml")).unwrap_err();
        assert_eq!(err[0].span.line, 3);
        assert!(err[0].message.contains("unsafe_htm"), "{}", err[0].message);
    }

    #[test]
    fn bad_timezone_is_reported() {
        let err = SiteConfig::parse("timezone = \"JST\"", Path::new("c.toml")).unwrap_err();
        assert!(err[0].message.contains("JST"));
    }

    #[test]
    fn base_url_trailing_slash_is_trimmed() {
        let c =
            SiteConfig::parse("base_url = \"https://kb.example.com/\"", Path::new("c")).unwrap();
        assert_eq!(c.base_url, "https://kb.example.com");
    }
}
