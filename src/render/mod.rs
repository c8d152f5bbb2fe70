//! Tera set-up: the theme's templates (autoescaped), localised filters, and a render
//! call that turns tera's errors into diagnostics naming the template.

pub mod charts;
pub mod filters;
pub mod site;
pub mod views;

use std::collections::HashMap;

use chrono::DateTime;
use tera::{Tera, Value};

use crate::config::{Language, SiteConfig};
use crate::diagnostics::{Diagnostic, Span};
use crate::theme::Theme;

pub struct Renderer {
    tera: Tera,
    /// UI strings of the site's language, merged over English so no key is missing.
    pub strings: serde_json::Map<String, Value>,
    sources: HashMap<String, String>,
    /// Tells renderers apart (cache keys of what one rendered), unique per process.
    id: u64,
}

/// Full text of an error and its causes.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Finds tera's `--> line:col` marker in an error text.
fn tera_position(msg: &str) -> Option<Span> {
    let i = msg.find("--> ")?;
    let rest = &msg[i + 4..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != ':')
        .unwrap_or(rest.len());
    let (l, c) = rest[..end].split_once(':')?;
    Some(Span::new(l.parse().ok()?, c.parse().ok()?))
}

fn format_date(
    value: &Value,
    args: &HashMap<String, Value>,
    lang: Language,
) -> tera::Result<Value> {
    let Some(s) = value.as_str() else {
        return Ok(value.clone());
    };
    // A plain date (`2025-03-14`) is a date without a time.
    let (parsed, has_time) = match DateTime::parse_from_rfc3339(s) {
        Ok(d) => (d, true),
        Err(_) => (
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().fixed_offset())
                .ok_or_else(|| {
                    tera::Error::msg(format!("date_local: `{s}` is not an RFC 3339 date"))
                })?,
            false,
        ),
    };
    let with_time = has_time && args.get("time").and_then(Value::as_bool).unwrap_or(false);
    let style = args.get("style").and_then(Value::as_str).unwrap_or("long");
    let out = match (lang, style) {
        (_, "iso") => parsed.format("%Y-%m-%d").to_string(),
        (Language::Ja, "short") => parsed.format("%Y/%-m/%-d").to_string(),
        (Language::En, "short") => parsed.format("%b %-d, %Y").to_string(),
        (Language::Ja, "month") => parsed.format("%Y年%-m月").to_string(),
        (Language::En, "month") => parsed.format("%B %Y").to_string(),
        (Language::Ja, _) if with_time => parsed.format("%Y年%-m月%-d日 %H:%M").to_string(),
        (Language::Ja, _) => parsed.format("%Y年%-m月%-d日").to_string(),
        (Language::En, _) if with_time => parsed.format("%b %-d, %Y %H:%M").to_string(),
        (Language::En, _) => parsed.format("%b %-d, %Y").to_string(),
    };
    Ok(Value::String(out))
}

/// "1時間20分" / "1h 20m"; days for long spans.
pub fn format_minutes(m: i64, lang: Language) -> String {
    let (neg, m) = (m < 0, m.abs());
    let (d, h, min) = (m / 1440, (m % 1440) / 60, m % 60);
    let s = match lang {
        Language::Ja => match (d, h, min) {
            (0, 0, m) => format!("{m}分"),
            (0, h, 0) => format!("{h}時間"),
            (0, h, m) => format!("{h}時間{m}分"),
            (d, h, _) if h > 0 => format!("{d}日{h}時間"),
            (d, _, _) => format!("{d}日"),
        },
        Language::En => match (d, h, min) {
            (0, 0, m) => format!("{m}m"),
            (0, h, 0) => format!("{h}h"),
            (0, h, m) => format!("{h}h {m}m"),
            (d, h, _) if h > 0 => format!("{d}d {h}h"),
            (d, _, _) => format!("{d}d"),
        },
    };
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

/// Deep-merges a JSON object into `into` (later values win).
fn merge(into: &mut serde_json::Map<String, Value>, from: Value) {
    if let Value::Object(m) = from {
        for (k, v) in m {
            match (into.get_mut(&k), v) {
                (Some(Value::Object(a)), Value::Object(b)) => merge(a, Value::Object(b)),
                (_, v) => {
                    into.insert(k, v);
                }
            }
        }
    }
}

impl Renderer {
    /// This renderer's number: two renderers of one process never share one.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn new(theme: &Theme, config: &SiteConfig) -> Result<Renderer, Vec<Diagnostic>> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".htm", ".xml", ".svg"]);
        tera.set_escape_fn(crate::escape::html);
        let sources: HashMap<String, String> = theme
            .templates
            .iter()
            .map(|(name, (src, _))| (name.clone(), src.clone()))
            .collect();
        let all: Vec<(&str, &str)> = theme
            .templates
            .iter()
            .map(|(n, (_, text))| (n.as_str(), text.as_str()))
            .collect();
        if let Err(e) = tera.add_raw_templates(all) {
            // Find which templates fail on their own to point at them.
            let mut errors = Vec::new();
            for (name, (src, text)) in &theme.templates {
                let mut probe = Tera::default();
                if let Err(pe) = probe.add_raw_template(name, text) {
                    let msg = chain(&pe);
                    if msg.contains("Failed to parse") {
                        let span = tera_position(&msg).unwrap_or_default();
                        let short = msg
                            .rsplit("= ")
                            .next()
                            .map(str::trim)
                            .unwrap_or("syntax error")
                            .to_string();
                        errors.push(
                            Diagnostic::error(
                                "template",
                                format!("template syntax error: {short}"),
                            )
                            .at(std::path::Path::new(src), span, text),
                        );
                    }
                }
            }
            if errors.is_empty() {
                errors.push(Diagnostic::error("template", chain(&e)));
            }
            return Err(errors);
        }
        let lang = config.language;
        tera.register_filter(
            "date_local",
            move |v: &Value, args: &HashMap<String, Value>| format_date(v, args, lang),
        );
        tera.register_filter("duration", move |v: &Value, _: &HashMap<String, Value>| {
            let Some(m) = v.as_i64() else {
                return Ok(Value::String(String::new()));
            };
            Ok(Value::String(format_minutes(m, lang)))
        });
        tera.register_filter("fill", |v: &Value, args: &HashMap<String, Value>| {
            let s = v.as_str().unwrap_or_default();
            let n = args.get("n").map(|n| match n {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            Ok(Value::String(s.replace("{n}", n.as_deref().unwrap_or(""))))
        });
        filters::register(&mut tera);
        let mut strings = serde_json::Map::new();
        for code in ["en", config.language.code()] {
            if let Some(table) = theme.i18n.get(code) {
                let v = serde_json::to_value(table).unwrap_or(Value::Null);
                merge(&mut strings, v);
            }
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Ok(Renderer {
            tera,
            strings,
            sources,
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|n| n == name)
    }

    /// A UI string by dotted key (`t.kind.runbook` in templates is `t("kind.runbook")`).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.lookup(key).unwrap_or(key)
    }

    pub fn lookup(&self, key: &str) -> Option<&str> {
        let mut parts = key.split('.');
        let mut cur = self.strings.get(parts.next()?)?;
        for p in parts {
            cur = cur.get(p)?;
        }
        cur.as_str()
    }

    pub fn render(&self, template: &str, ctx: &tera::Context) -> Result<String, Box<Diagnostic>> {
        self.tera.render(template, ctx).map_err(|e| {
            let src = self
                .sources
                .get(template)
                .cloned()
                .unwrap_or_else(|| template.to_string());
            Box::new(
                Diagnostic::error("template", format!("rendering {template}: {}", chain(&e)))
                    .in_file(std::path::Path::new(&src)),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_localised() {
        let v = Value::String("2025-05-12T10:03:00+09:00".into());
        let none = HashMap::new();
        assert_eq!(
            format_date(&v, &none, Language::Ja).unwrap(),
            "2025年5月12日"
        );
        assert_eq!(
            format_date(&v, &none, Language::En).unwrap(),
            "May 12, 2025"
        );
        let mut t = HashMap::new();
        t.insert("time".to_string(), Value::Bool(true));
        assert_eq!(
            format_date(&v, &t, Language::Ja).unwrap(),
            "2025年5月12日 10:03"
        );
        // Plain dates, and the short style of dense tables.
        let d = Value::String("2026-01-20".into());
        assert_eq!(format_date(&d, &t, Language::Ja).unwrap(), "2026年1月20日");
        let mut short = HashMap::new();
        short.insert("style".to_string(), Value::String("short".into()));
        assert_eq!(format_date(&d, &short, Language::Ja).unwrap(), "2026/1/20");
        assert_eq!(
            format_date(&d, &short, Language::En).unwrap(),
            "Jan 20, 2026"
        );
        assert!(format_date(&Value::String("soon".into()), &none, Language::Ja).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(format_minutes(5, Language::Ja), "5分");
        assert_eq!(format_minutes(80, Language::Ja), "1時間20分");
        assert_eq!(format_minutes(120, Language::En), "2h");
        assert_eq!(format_minutes(1500, Language::Ja), "1日1時間");
    }

    #[test]
    fn template_syntax_errors_name_file_and_line() {
        let mut theme = Theme::load(std::path::Path::new("/nonexistent"), "default").unwrap();
        theme.templates.insert(
            "page.html".into(),
            (
                "themes/x/templates/page.html".into(),
                "line1\n{% if %}\n".into(),
            ),
        );
        let errs = match Renderer::new(&theme, &SiteConfig::default()) {
            Err(e) => e,
            Ok(_) => panic!("should fail"),
        };
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert_eq!(
            errs[0].file.as_deref().unwrap().to_str(),
            Some("themes/x/templates/page.html")
        );
        assert_eq!(errs[0].span.line, 2, "{:?}", errs[0]);
    }
}
