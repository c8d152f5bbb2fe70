//! Prometheus alerting-rule files (`groups[].rules[].alert`): which alerts exist, their
//! severity label and `runbook_url` annotation, located by line for diagnostics.

use std::path::{Path, PathBuf};

use serde_json::Value;

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
    pub source_line: String,
}

/// Reads one rule file. `shown` is the path used in diagnostics.
pub fn load(path: &Path, shown: &Path) -> Result<Vec<Rule>, Box<Diagnostic>> {
    let text = crate::content::load::read_text(path, shown)?;
    let value: Value = serde_norway::from_str(&text).map_err(|e| {
        let span = e
            .location()
            .map(|l| Span::new(l.line(), l.column()))
            .unwrap_or(Span::new(1, 1));
        Box::new(
            Diagnostic::error("alert-rules", format!("not a valid YAML rule file: {e}"))
                .at(shown, span, &text),
        )
    })?;
    let Some(groups) = value.get("groups").and_then(Value::as_array) else {
        return Err(Box::new(
            Diagnostic::error(
                "alert-rules",
                "no `groups:` list (expected a Prometheus rule file)",
            )
            .at(shown, Span::new(1, 1), &text),
        ));
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for g in groups {
        let group = g
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for r in g
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(alert) = r.get("alert").and_then(Value::as_str) else {
                continue;
            };
            let line = lines
                .iter()
                .position(|l| {
                    let t = l.trim_start().trim_start_matches("- ").trim();
                    t.strip_prefix("alert:")
                        .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == alert)
                })
                .map_or(1, |i| i + 1);
            out.push(Rule {
                alert: alert.to_string(),
                group: group.clone(),
                severity: r
                    .pointer("/labels/severity")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                runbook_url: r
                    .pointer("/annotations/runbook_url")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                file: shown.to_path_buf(),
                line,
                source_line: lines
                    .get(line - 1)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

impl Rule {
    pub fn diagnostic(&self, d: Diagnostic) -> Diagnostic {
        let col = self.source_line.find("alert").map_or(1, |i| i + 1);
        let mut d = d;
        d.file = Some(self.file.clone());
        d.span = Span::new(self.line, col);
        d.source_line = Some(self.source_line.clone());
        d
    }
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
}
