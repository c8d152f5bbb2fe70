//! Prometheus alerting rules: plain rule files (`groups[].rules[].alert`), Kubernetes
//! `PrometheusRule` resources (`spec.groups`), several documents per file; which alerts
//! exist, their severity and `runbook_url` (a template such as
//! `…/{{ $labels.alertname }}` is matched as a pattern), located by the YAML parser.

use std::path::{Path, PathBuf};

use crate::content::yaml::{self, Node};
use crate::diagnostics::{Diagnostic, Span};

#[derive(Debug, Clone)]
pub struct Rule {
    pub alert: String,
    pub group: String,
    pub severity: Option<String>,
    pub runbook_url: Option<String>,
    /// Path shown in diagnostics.
    pub file: PathBuf,
    pub line: usize,
    /// Column of the `alert` key.
    pub col: usize,
    pub source_line: String,
}

/// Reads one rule file. `shown` is the path used in diagnostics.
pub fn load(path: &Path, shown: &Path) -> Result<Vec<Rule>, Box<Diagnostic>> {
    let text = crate::content::load::read_text(path, shown)?;
    let fail = |msg: String, span: Span| {
        Box::new(Diagnostic::error("alert-rules", msg).at(shown, span, &text))
    };
    let docs = yaml::parse_all(&text)
        .map_err(|e| fail(format!("not a valid YAML rule file: {}", e.message), e.span))?;
    for d in &docs {
        if let Some((key, first, again)) = yaml::duplicates(d).into_iter().next() {
            return Err(fail(
                format!(
                    "key `{key}` is written twice, first at line {} column {}, again at line {} column {}",
                    first.line, first.col, again.line, again.col
                ),
                again,
            ));
        }
    }
    // Built once: a rule's source line is looked up by index (one scan of the file, not
    // one per rule, which made 10k rules take 24 s).
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut found_groups = false;
    for doc in &docs {
        let Some(groups) = groups_of(doc) else {
            continue;
        };
        found_groups = true;
        for g in groups {
            let group = g.get("name").and_then(Node::as_str).unwrap_or("");
            for r in g.get("rules").and_then(Node::as_seq).unwrap_or_default() {
                let (Some(alert), Some(key)) =
                    (r.get("alert").and_then(Node::as_str), r.key("alert"))
                else {
                    continue;
                };
                let text_at = |outer: &str, inner: &str| {
                    r.get(outer)?.get(inner)?.as_str().map(str::to_string)
                };
                out.push(Rule {
                    alert: alert.to_string(),
                    group: group.to_string(),
                    severity: text_at("labels", "severity"),
                    runbook_url: text_at("annotations", "runbook_url"),
                    file: shown.to_path_buf(),
                    line: key.span.line,
                    col: key.span.col,
                    source_line: lines
                        .get(key.span.line.saturating_sub(1))
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                });
            }
        }
    }
    if !found_groups {
        return Err(fail(
            "no `groups:` list (expected a Prometheus rule file or a PrometheusRule resource with `spec.groups`)".into(),
            Span::new(1, 1),
        ));
    }
    Ok(out)
}

/// The rule groups of one document: `groups` at the top (a Prometheus rule file) or
/// `spec.groups` (a prometheus-operator `PrometheusRule`).
fn groups_of(doc: &Node) -> Option<&[Node]> {
    doc.get("groups")
        .or_else(|| doc.get("spec")?.get("groups"))
        .and_then(Node::as_seq)
}

impl Rule {
    pub fn diagnostic(&self, d: Diagnostic) -> Diagnostic {
        let mut d = d;
        d.file = Some(self.file.clone());
        d.span = Span::new(self.line, self.col);
        d.source_line = Some(self.source_line.clone());
        d
    }

    /// Whether this rule's `runbook_url` leads to one of `targets` (absolute URLs of the
    /// runbook). A relative URL is read against `base`; `{{ $labels.alertname }}` stands
    /// for the alert's name and any other `{{ … }}` template for any text.
    pub fn url_matches(&self, targets: &[&str], base: &str) -> bool {
        let Some(url) = &self.runbook_url else {
            return false;
        };
        let url = resolve(url.trim(), base);
        let names = [self.alert.clone(), self.alert.replace(':', "_")];
        targets.iter().any(|t| {
            let t = t.trim_end_matches('/');
            names.iter().any(|n| {
                let parts = pattern(&url, n);
                glob_match(&parts, t)
            })
        })
    }
}

/// `url` read against `base` when it has no scheme (`alerts/DbLag/` → `https://kb/alerts/DbLag/`).
fn resolve(url: &str, base: &str) -> String {
    if url.contains("://") || url.starts_with("{{") {
        url.to_string()
    } else {
        format!(
            "{}/{}",
            base.trim_end_matches('/'),
            url.trim_start_matches('/')
        )
    }
}

/// A URL template as literal pieces; `None` marks a `{{ … }}` that matches any text.
/// The alert-name template is replaced by `alert`. A trailing `/` is not significant.
fn pattern(url: &str, alert: &str) -> Vec<Option<String>> {
    let mut parts: Vec<Option<String>> = Vec::new();
    let mut lit = String::new();
    let mut rest = url.trim_end_matches('/');
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        lit.push_str(&rest[..open]);
        let inner = rest[open + 2..open + close]
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        if matches!(
            inner,
            "$labels.alertname" | ".Labels.alertname" | "$labels.AlertName"
        ) {
            lit.push_str(alert);
        } else {
            parts.push(Some(std::mem::take(&mut lit)));
            parts.push(None);
        }
        rest = &rest[open + close + 2..];
    }
    lit.push_str(rest);
    parts.push(Some(lit));
    parts
}

/// Whether `text` is the pieces in order, each `None` standing for any text (possibly
/// empty). Linear in practice: greedy with the last wildcard as the only backtrack point.
fn glob_match(parts: &[Option<String>], text: &str) -> bool {
    let mut pos = 0;
    let mut wild = false;
    for (i, p) in parts.iter().enumerate() {
        match p {
            None => wild = true,
            Some(lit) => {
                let last = i + 1 == parts.len();
                if last {
                    return if wild {
                        text.len() >= pos + lit.len() && text.ends_with(lit.as_str())
                    } else {
                        &text[pos..] == lit
                    };
                }
                if wild {
                    match text[pos..].find(lit.as_str()) {
                        Some(at) => pos += at + lit.len(),
                        None => return false,
                    }
                } else if text[pos..].starts_with(lit.as_str()) {
                    pos += lit.len();
                } else {
                    return false;
                }
                wild = false;
            }
        }
    }
    wild || pos == text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_alerts_severity_and_runbook_url() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.yml");
        std::fs::write(&p, "groups:\n  - name: db\n    rules:\n      - record: job:x\n        expr: x\n      - alert: PostgresReplicationLag\n        expr: lag > 60\n        labels:\n          severity: critical\n        annotations:\n          runbook_url: https://kb/runbooks/alerts/PostgresReplicationLag/\n").unwrap();
        let rules = load(&p, Path::new("r.yml")).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].alert, "PostgresReplicationLag");
        assert_eq!(rules[0].line, 6);
        assert_eq!(rules[0].severity.as_deref(), Some("critical"));
        assert!(rules[0]
            .runbook_url
            .as_deref()
            .unwrap()
            .ends_with("/PostgresReplicationLag/"));
    }

    #[test]
    fn not_a_rule_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.yml");
        std::fs::write(&p, "foo: 1\n").unwrap();
        assert!(load(&p, Path::new("r.yml"))
            .unwrap_err()
            .message
            .contains("groups"));
    }

    fn rule(url: &str) -> Rule {
        Rule {
            alert: "DbLag".into(),
            group: String::new(),
            severity: None,
            runbook_url: Some(url.into()),
            file: PathBuf::new(),
            line: 1,
            col: 1,
            source_line: String::new(),
        }
    }

    #[test]
    fn prometheus_rule_resources_with_several_documents() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.yaml");
        std::fs::write(&p, "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: a\nspec:\n  groups:\n  - name: a\n    rules:\n    - alert: One\n      expr: x\n---\n# second resource\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups:\n  - name: b\n    rules:\n    -   alert: Two\n        expr: y\n").unwrap();
        let rules = load(&p, Path::new("r.yaml")).unwrap();
        let got: Vec<_> = rules
            .iter()
            .map(|r| (r.alert.as_str(), r.line, r.col))
            .collect();
        assert_eq!(got, [("One", 9, 7), ("Two", 19, 9)]);
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.yml");
        std::fs::write(
            &p,
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    expr: y\n",
        )
        .unwrap();
        let e = load(&p, Path::new("r.yml")).unwrap_err();
        assert_eq!(e.span, Span::new(6, 5));
        assert!(
            e.message.contains("first at line 5 column 5"),
            "{}",
            e.message
        );
        std::fs::write(&p, "groups:\n- name: g\n  rules: [\n").unwrap();
        let e = load(&p, Path::new("r.yml")).unwrap_err();
        assert_eq!(e.span.line, 3, "{e:?}");
    }

    #[test]
    fn runbook_url_templates_and_relative_urls() {
        let t = [
            "https://kb/runbooks/alerts/DbLag",
            "https://kb/runbooks/db/",
        ];
        assert!(rule("https://kb/runbooks/alerts/DbLag/").url_matches(&t, "https://x"));
        assert!(rule("https://kb/runbooks/alerts/{{ $labels.alertname }}").url_matches(&t, ""));
        assert!(rule("https://kb/runbooks/alerts/{{$labels.alertname}}/").url_matches(&t, ""));
        assert!(rule("{{ $externalURL }}/runbooks/alerts/DbLag").url_matches(&t, ""));
        assert!(rule("https://kb/runbooks/{{ .Labels.team }}/").url_matches(&t, ""));
        assert!(rule("alerts/DbLag/").url_matches(&t, "https://kb/runbooks/"));
        assert!(rule("/runbooks/db").url_matches(&t, "https://kb"));
        assert!(!rule("https://kb/runbooks/alerts/{{ $labels.alertname }}x").url_matches(&t, ""));
        assert!(!rule("https://wiki/{{ $labels.alertname }}").url_matches(&t, ""));
        assert!(!rule("alerts/DbLag/").url_matches(&t, "https://other/"));
        let mut colon = rule("https://kb/runbooks/alerts/{{ $labels.alertname }}/");
        colon.alert = "db:lag".into();
        assert!(colon.url_matches(&["https://kb/runbooks/alerts/db_lag/"], ""));
    }
}
