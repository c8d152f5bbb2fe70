//! The maturity model (`content/maturity/model.toml`): areas with their level
//! criteria, the delegation scale, per-area targets, teams, and the phase × role
//! responsibility table. The number of levels and the areas are data, not code.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Span};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The delegation scale, lowest first (Management 3.0's seven levels in the sample).
    #[serde(default)]
    pub delegation: Vec<String>,
    pub areas: Vec<Area>,
    #[serde(default)]
    pub teams: Vec<Team>,
    /// Roles of the responsibility table.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub responsibilities: Vec<Responsibility>,
    /// Days after which a team's latest assessment counts as out of date. Default: 180.
    #[serde(default = "default_reassess")]
    pub reassess_every: i64,
    /// Number of levels (computed from the areas).
    #[serde(skip_deserializing)]
    pub level_count: usize,
}

fn default_reassess() -> i64 {
    180
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Whether teams rate themselves on this area (some areas only carry a delegation target).
    #[serde(default = "yes")]
    pub assessed: bool,
    /// Criteria, level 1 first.
    #[serde(default)]
    pub levels: Vec<String>,
    /// The level teams aim for by default (default: the highest).
    pub target_level: Option<u8>,
    pub target_delegation: Option<String>,
    /// Evidence the site can show: "postmortems", "runbooks", "incidents".
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Responsibility {
    pub phase: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub note: String,
}

impl Model {
    pub fn assessed(&self) -> impl Iterator<Item = &Area> {
        self.areas.iter().filter(|a| a.assessed)
    }

    pub fn area(&self, id: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.id == id)
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// 1-based position of a delegation level name.
    pub fn delegation_rank(&self, name: &str) -> Option<usize> {
        self.delegation
            .iter()
            .position(|d| d == name)
            .map(|i| i + 1)
    }

    pub fn target_level(&self, area: &Area) -> u8 {
        area.target_level.unwrap_or(self.level_count as u8)
    }

    /// Parses and validates `model.toml` text.
    pub fn parse(text: &str, shown: &Path) -> Result<Model, Vec<Diagnostic>> {
        let mut model: Model = toml::from_str(text).map_err(|e: toml::de::Error| {
            let span = e
                .span()
                .map(|r| Span::from_offset(text, r.start))
                .unwrap_or(Span::new(1, 1));
            vec![
                Diagnostic::error("maturity-model", e.message().trim().to_string())
                    .at(shown, span, text),
            ]
        })?;
        let mut errors = Vec::new();
        let mut err = |msg: String, key: &str| {
            errors.push(Diagnostic::error("maturity-model", msg).at(
                shown,
                Span::find_key(text, key),
                text,
            ));
        };
        let counts: BTreeSet<usize> = model.assessed().map(|a| a.levels.len()).collect();
        match counts.len() {
            0 => err(
                "the model has no assessed areas with levels".into(),
                "areas",
            ),
            1 => model.level_count = *counts.first().expect("one"),
            _ => err(
                format!("assessed areas must all have the same number of levels, found {counts:?}"),
                "levels",
            ),
        }
        if model.level_count > 0 && model.level_count < 2 {
            err("a model needs at least two levels".into(), "levels");
        }
        let mut ids = BTreeSet::new();
        for a in &model.areas {
            if !ids.insert(a.id.clone()) {
                err(format!("area id `{}` is used twice", a.id), "id");
            }
            if let Some(t) = a.target_level {
                if t == 0 || t as usize > model.level_count {
                    err(
                        format!(
                            "area `{}`: target_level {t} is outside 1..={}",
                            a.id, model.level_count
                        ),
                        "target_level",
                    );
                }
            }
            if let Some(d) = &a.target_delegation {
                if !model.delegation.contains(d) {
                    err(
                        format!(
                            "area `{}`: target_delegation `{d}` is not in the delegation scale",
                            a.id
                        ),
                        "target_delegation",
                    );
                }
            }
            if let Some(e) = &a.evidence {
                if !["postmortems", "runbooks", "incidents"].contains(&e.as_str()) {
                    err(format!("area `{}`: evidence `{e}` is not one of postmortems, runbooks, incidents", a.id), "evidence");
                }
            }
        }
        for r in &model.responsibilities {
            for role in &r.roles {
                if !model.roles.contains(role) {
                    err(
                        format!(
                            "responsibility `{}`: role `{role}` is not in `roles`",
                            r.phase
                        ),
                        "roles",
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(model)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_model_loads_with_the_seed_areas() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/content/maturity/model.toml"
        ))
        .unwrap();
        let m = Model::parse(&text, Path::new("model.toml")).unwrap();
        assert_eq!(m.level_count, 3);
        let assessed: Vec<&str> = m.assessed().map(|a| a.name.as_str()).collect();
        assert_eq!(
            assessed,
            [
                "SLI/SLO",
                "監視",
                "インシデント対応",
                "ポストモーテム",
                "ドキュメント管理",
                "トイルの撲滅",
                "コスト管理",
                "脆弱性対応",
                "開発効率の向上"
            ]
        );
        assert!(m.assessed().all(|a| a.levels.len() == 3));
        assert_eq!(
            m.delegation,
            [
                "伝える",
                "説得する",
                "相談する",
                "同意する",
                "助言する",
                "尋ねる",
                "委ねる"
            ]
        );
        assert_eq!(
            m.area("infra_design").unwrap().target_delegation.as_deref(),
            Some("同意する")
        );
        assert!(!m.area("infra_design").unwrap().assessed);
        assert_eq!(
            m.area("security").unwrap().target_delegation.as_deref(),
            Some("伝える")
        );
        assert_eq!(m.delegation_rank("尋ねる"), Some(6));
        assert!(m.responsibilities.len() >= 9);
    }

    #[test]
    fn a_five_level_model_with_other_areas_works() {
        let text = r#"
delegation = ["tell", "ask", "delegate"]
[[areas]]
id = "obs"
name = "Observability"
levels = ["none", "basic", "dashboards", "SLO alerts", "auto-remediation"]
target_level = 4
target_delegation = "ask"
[[areas]]
id = "chaos"
name = "Chaos engineering"
levels = ["none", "game days", "automated", "continuous", "everywhere"]
"#;
        let m = Model::parse(text, Path::new("m.toml")).unwrap();
        assert_eq!(m.level_count, 5);
        assert_eq!(m.target_level(m.area("chaos").unwrap()), 5);
        assert_eq!(m.target_level(m.area("obs").unwrap()), 4);
    }

    #[test]
    fn inconsistent_models_are_located() {
        let text = "[[areas]]\nid = \"a\"\nname = \"A\"\nlevels = [\"1\", \"2\"]\n[[areas]]\nid = \"b\"\nname = \"B\"\nlevels = [\"1\", \"2\", \"3\"]\n";
        let e = Model::parse(text, Path::new("m.toml")).unwrap_err();
        assert!(e[0].message.contains("same number of levels"));
        assert_eq!(e[0].span.line, 4);
        let e = Model::parse("[[areas]]\nid = \"a\"\nname = \"A\"\nlevels = [\"1\", \"2\"]\ntarget_delegation = \"x\"\n", Path::new("m.toml")).unwrap_err();
        assert!(e[0].message.contains("delegation scale"));
        let e =
            Model::parse("[[areas]]\nid = \"a\"\nnam = \"A\"\n", Path::new("m.toml")).unwrap_err();
        assert_eq!(e[0].span.line, 3);
    }
}
