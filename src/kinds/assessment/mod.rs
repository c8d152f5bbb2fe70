//! Team self-assessments (`content/maturity/<team>/<YYYY-MM-DD>.md`): levels per area,
//! current delegation, evidence and team targets, checked against the model.

pub mod model;
pub(crate) mod outputs;
mod scaffold;
pub mod scorecard;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::content::frontmatter::one_or_many;
use crate::content::{Document, Page};
use crate::diagnostics::{Diagnostic, Span};
use std::sync::Arc;

use super::{Analysis, AnalyzeCx, ContentKind, Pages, PrepareCx, Prepared, SiteRef};
use crate::content::{Kind, KindData, Library};
use crate::diagnostics::Diagnostics;
use model::Model;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Meta {
    team: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    assessors: Vec<String>,
    levels: BTreeMap<String, Value>,
    delegation: BTreeMap<String, String>,
    evidence: BTreeMap<String, String>,
    targets: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Assessment {
    pub team: String,
    pub date: Option<NaiveDate>,
    pub assessors: Vec<String>,
    pub levels: BTreeMap<String, u8>,
    pub delegation: BTreeMap<String, String>,
    pub evidence: BTreeMap<String, String>,
    pub targets: BTreeMap<String, u8>,
}

/// Where `key` is written inside the front matter table `[table]`.
pub fn key_in_table(doc: &Document, table: &str, key: &str) -> Span {
    let fm = &doc.text[doc.fm.start..doc.fm.end];
    let mut in_table = false;
    for (i, line) in fm.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_table = t.trim_matches(['[', ']']).trim() == table;
            continue;
        }
        if in_table || t.starts_with(&format!("{table}.")) {
            let k = t
                .trim_start_matches(&format!("{table}."))
                .trim_start_matches('"');
            if k.strip_prefix(key).is_some_and(|r| {
                let r = r.trim_start_matches('"').trim_start();
                r.starts_with('=') || r.starts_with(':')
            }) {
                return Span::new(
                    doc.fm.raw_line + i + 1,
                    line.len() - line.trim_start().len() + 1,
                );
            }
        }
    }
    doc.key_span(table)
}

fn level_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().trim_start_matches(['L', 'l']).parse().ok(),
        _ => None,
    }
}

pub fn analyze(page: &Page, model: Option<&Model>) -> (Assessment, Vec<Diagnostic>) {
    let doc = &page.doc;
    let (meta, err): (Meta, _) = super::read_meta(page, "assessment");
    let mut diags: Vec<Diagnostic> = err.into_iter().collect();
    let mut push = |d: Diagnostic, span: Span| diags.push(d.at(&doc.source, span, &doc.text));
    // content/maturity/<team>/<date>.md: the directory names the team.
    let dir_team = doc.rel.rsplit('/').nth(1).unwrap_or("").to_string();
    let team = meta.team.clone().unwrap_or_else(|| dir_team.clone());
    if meta.team.as_deref().is_some_and(|t| t != dir_team) {
        push(
            Diagnostic::error(
                "assessment",
                format!("team `{team}` does not match the directory `{dir_team}`"),
            )
            .with_help("keep each team's assessments in content/maturity/<team>/"),
            doc.key_span("team"),
        );
    }
    let mut a = Assessment {
        team: team.clone(),
        date: doc.date.map(|d| d.date_naive()),
        assessors: meta.assessors,
        evidence: meta.evidence,
        ..Assessment::default()
    };
    if a.date.is_none() {
        push(
            Diagnostic::error(
                "assessment",
                "no `date`: an assessment needs the day it was made",
            ),
            doc.key_span("title"),
        );
    }
    let Some(model) = model else {
        return (a, diags);
    };
    if !model.teams.is_empty() && model.team(&team).is_none() {
        let known: Vec<&str> = model.teams.iter().map(|t| t.id.as_str()).collect();
        push(
            Diagnostic::error("assessment", format!("unknown team `{team}`"))
                .with_help(format!("teams in model.toml: {}", known.join(", "))),
            doc.key_span("team"),
        );
    }
    let max = model.level_count as i64;
    for (area, v) in &meta.levels {
        let span = key_in_table(doc, "levels", area);
        match model.area(area) {
            None => {
                let ids: Vec<&str> = model.assessed().map(|a| a.id.as_str()).collect();
                push(
                    Diagnostic::error("assessment", format!("unknown area `{area}`"))
                        .with_help(format!("areas: {}", ids.join(", "))),
                    span,
                );
                continue;
            }
            Some(ar) if !ar.assessed => {
                push(
                    Diagnostic::error(
                        "assessment",
                        format!("area `{area}` is not assessed in the model"),
                    ),
                    span,
                );
                continue;
            }
            Some(_) => {}
        }
        match level_of(v) {
            Some(l) if (1..=max).contains(&l) => {
                a.levels.insert(area.clone(), l as u8);
            }
            _ => push(
                Diagnostic::error(
                    "assessment",
                    format!("level of `{area}` is {v}, outside the model's levels 1..={max}"),
                ),
                span,
            ),
        }
    }
    for ar in model.assessed() {
        if !meta.levels.contains_key(&ar.id) {
            push(
                Diagnostic::warning(
                    "assessment",
                    format!("no level for area `{}` ({})", ar.id, ar.name),
                ),
                doc.key_span("levels"),
            );
        }
    }
    for (area, d) in meta.delegation {
        let span = key_in_table(doc, "delegation", &area);
        if model.area(&area).is_none() {
            push(
                Diagnostic::error(
                    "assessment",
                    format!("unknown area `{area}` in [delegation]"),
                ),
                span,
            );
        } else if model.delegation_rank(&d).is_none() {
            push(
                Diagnostic::error(
                    "assessment",
                    format!("delegation `{d}` is not in the model's scale"),
                )
                .with_help(model.delegation.join(" → ")),
                span,
            );
        } else {
            a.delegation.insert(area, d);
        }
    }
    for (area, v) in &meta.targets {
        let span = key_in_table(doc, "targets", area);
        match (model.area(area), level_of(v)) {
            (None, _) => push(
                Diagnostic::error("assessment", format!("unknown area `{area}` in [targets]")),
                span,
            ),
            (Some(_), Some(l)) if (1..=max).contains(&l) => {
                a.targets.insert(area.clone(), l as u8);
            }
            _ => push(
                Diagnostic::error(
                    "assessment",
                    format!("target of `{area}` is {v}, outside 1..={max}"),
                ),
                span,
            ),
        }
    }
    for area in a.evidence.keys() {
        if model.area(area).is_none() {
            push(
                Diagnostic::error("assessment", format!("unknown area `{area}` in [evidence]")),
                key_in_table(doc, "evidence", area),
            );
        }
    }
    (a, diags)
}

/// `kind = "assessment"`.
pub const KIND: Kind = Kind::named("assessment");

/// The assessment kind: a team's maturity self-assessment against the site's model
/// (`content/maturity/model.toml`), with scorecards built from the other kinds.
pub struct AssessmentKind;

impl ContentKind for AssessmentKind {
    fn kind(&self) -> Kind {
        KIND
    }

    fn default_section(&self) -> Option<&'static str> {
        Some("maturity")
    }

    fn prepare(&self, cx: &PrepareCx<'_>, diags: &Diagnostics) -> Option<Prepared> {
        let model = load_model(cx.lib, diags)?;
        Some(Prepared {
            cache_key: serde_json::to_vec(&model).unwrap_or_default(),
            state: Arc::new(model),
        })
    }

    fn analyze(&self, page: &Page, cx: &AnalyzeCx<'_>, diags: &Diagnostics) -> Analysis {
        let (a, ds) = analyze(page, cx.lib.state::<Model>(KIND));
        diags.extend(ds);
        Analysis::data(a)
    }

    fn link(&self, lib: &mut Library, _cx: &super::LinkCx<'_>, diags: &Diagnostics) {
        duplicate_assessments(lib, diags);
    }

    fn page_context(&self, site: &SiteRef<'_>, _page: &Page, c: &mut tera::Context) {
        c.insert("model", &site.lib.state::<Model>(KIND));
    }

    fn owns_section(&self, site: &SiteRef<'_>, si: usize) -> bool {
        outputs::owns_section(site, si)
    }

    fn outputs(&self, site: &SiteRef<'_>, pages: &Pages<'_>) -> anyhow::Result<()> {
        outputs::render(site, pages)?;
        outputs::write_json(site, pages.out)
    }

    fn new_command(&self) -> Option<clap::Command> {
        use clap::Arg;
        Some(
            clap::Command::new("assessment")
                .about("A team self-assessment: `srekb new assessment --team payments`.")
                .arg(
                    Arg::new("team")
                        .long("team")
                        .value_name("TEAM")
                        .required(true)
                        .help("The team assessed (a slug: its folder under content/maturity/)."),
                )
                .arg(
                    Arg::new("date")
                        .long("date")
                        .value_name("DATE")
                        .help("Date of the assessment (default: today)."),
                ),
        )
    }

    fn scaffold(
        &self,
        cx: &super::scaffold::ScaffoldCx<'_>,
        args: &clap::ArgMatches,
    ) -> anyhow::Result<i32> {
        let team = args.get_one::<String>("team").cloned().unwrap_or_default();
        scaffold::assessment(cx, &team, args.get_one::<String>("date").cloned())
    }

    /// Scorecards show postmortem and runbook evidence beside the assessments.
    fn outputs_read(&self) -> Vec<Kind> {
        vec![KIND, super::postmortem::KIND, super::runbook::KIND]
    }
}

impl KindData for Assessment {
    crate::kind_data_basics!();
}

/// `content/maturity/model.toml`, if the site has one; assessments need it.
fn load_model(lib: &Library, diags: &Diagnostics) -> Option<Model> {
    let (rel, path) = lib
        .data_files
        .iter()
        .find(|(rel, _)| rel.ends_with("model.toml"))?;
    let shown = std::path::PathBuf::from("content").join(rel);
    let text = match crate::content::load::read_text(path, &shown) {
        Ok(t) => t,
        Err(d) => {
            diags.push(*d);
            return None;
        }
    };
    match Model::parse(&text, &shown) {
        Ok(m) => Some(m),
        Err(ds) => {
            diags.extend(ds);
            None
        }
    }
}

/// A team assesses itself at most once a day.
fn duplicate_assessments(lib: &Library, diags: &Diagnostics) {
    let mut seen: BTreeMap<(String, chrono::NaiveDate), usize> = BTreeMap::new();
    for (i, p) in lib.pages.iter().enumerate() {
        let Some(a) = p.data::<Assessment>() else {
            continue;
        };
        let Some(date) = a.date else { continue };
        if let Some(&first) = seen.get(&(a.team.clone(), date)) {
            diags.push(
                Diagnostic::error(
                    "duplicate-assessment",
                    format!(
                        "team `{}` already has an assessment dated {date}: {}",
                        a.team,
                        lib.pages[first].doc.source.display()
                    ),
                )
                .at(&p.doc.source, p.doc.key_span("date"), &p.doc.text),
            );
        } else {
            seen.insert((a.team.clone(), date), i);
        }
    }
    if lib.state::<Model>(KIND).is_none() && seen.values().next().is_some() {
        let first = &lib.pages[*seen.values().next().expect("non-empty")].doc;
        diags.push(
            Diagnostic::error(
                "maturity-model",
                "assessments need a maturity model, but content/maturity/model.toml is missing",
            )
            .in_file(&first.source),
        );
    }
}
