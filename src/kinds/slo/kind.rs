//! The SLO kind behind [`ContentKind`]: markdown pages analysed one by one; in the
//! cross-page pass, pages for the `SLO`s of OpenSLO files, budgets charged with the
//! postmortems, alerts looked up in the runbooks, postmortems' `slos` checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::config::SiteConfig;
use crate::content::{
    frontmatter, slug, Document, FmLocation, Kind, KindData, Library, Page, Target,
};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::kinds::postmortem::Postmortem;
use crate::kinds::runbook::Runbook;
use crate::kinds::scaffold::ScaffoldCx;
use crate::kinds::{Analysis, AnalyzeCx, ContentKind, LinkCx, Pages, SearchFields, SiteRef};

use super::catalog::{self, PmRef};
use super::model::{At, Problem};
use super::{budget::Incident, ChartText, Found, SloData};

/// `kind = "slo"`.
pub const KIND: Kind = Kind::named("slo");

/// The SLO kind: service level objectives and their error budgets.
pub struct SloKind;

impl ContentKind for SloKind {
    fn kind(&self) -> Kind {
        KIND
    }

    fn default_section(&self) -> Option<&'static str> {
        Some("slos")
    }

    fn analyze(&self, page: &Page, _cx: &AnalyzeCx<'_>, diags: &Diagnostics) -> Analysis {
        let (data, ds) = analyze(page);
        diags.extend(ds);
        Analysis::data(data)
    }

    fn link(&self, lib: &mut Library, cx: &LinkCx<'_>, diags: &Diagnostics) {
        expand_openslo(lib, diags);
        link_all(lib, cx.config, cx.today, diags);
    }

    /// `slos.json` at the site root: every SLO with its budget, burn and links.
    fn outputs(&self, site: &SiteRef<'_>, pages: &Pages<'_>) -> anyhow::Result<()> {
        match json(site.lib, &site.config.base_url) {
            Some(bytes) => pages.out.write("slos.json", &bytes),
            None => Ok(()),
        }
    }

    /// Budgets are charged with postmortems and alerts looked up in runbooks.
    fn outputs_read(&self) -> Vec<Kind> {
        vec![
            KIND,
            crate::kinds::postmortem::KIND,
            crate::kinds::runbook::KIND,
        ]
    }

    fn new_command(&self) -> Option<clap::Command> {
        use clap::{Arg, ArgAction};
        Some(
            clap::Command::new("slo")
                .about("A service level objective: `srekb new slo \"チェックアウトの成功率\" --service payments-api --alert CheckoutErrorBudgetBurn`.")
                .arg(Arg::new("title").value_name("TITLE").required(true).help("Title of the SLO."))
                .arg(Arg::new("service").long("service").value_name("SERVICE").required(true).help("The service the objective covers."))
                .arg(Arg::new("alert").long("alert").value_name("ALERTS").action(ArgAction::Append).help("Alert that guards the SLO (repeatable)."))
                .arg(Arg::new("slug").long("slug").value_name("SLUG").help("File name, also the SLO's name in postmortems' `slos` (default: from the title).")),
        )
    }

    fn scaffold(&self, cx: &ScaffoldCx<'_>, args: &clap::ArgMatches) -> anyhow::Result<i32> {
        let s = |id: &str| args.get_one::<String>(id).cloned().unwrap_or_default();
        let alerts: Vec<String> = args
            .get_many::<String>("alert")
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let slug = args.get_one::<String>("slug").cloned();
        super::scaffold::create(cx, &s("title"), &s("service"), &alerts, slug)
    }

    fn search_fields<'a>(&self, page: &'a Page) -> SearchFields<'a> {
        let Some(d) = page.data::<SloData>() else {
            return SearchFields::default();
        };
        SearchFields {
            keywords: d
                .slo
                .service
                .as_deref()
                .into_iter()
                .chain(d.slo.alerts.iter().map(String::as_str))
                .collect(),
            severity: None,
        }
    }
}

impl KindData for SloData {
    crate::kind_data_basics!();

    /// The catalogue row (`page.pm` in list templates): the section page groups these
    /// by service.
    fn list_summary(&self, doc: &Document) -> Option<serde_json::Value> {
        serde_json::to_value(self.entry(&slug::encode_path(&doc.path))).ok()
    }
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn diagnostic(p: Problem, doc: &Document) -> Diagnostic {
    let d = if p.error {
        Diagnostic::error("slo", p.message)
    } else {
        Diagnostic::warning("slo", p.message)
    };
    let span = match p.at {
        At::Key(k) => doc.key_span(k),
        At::Span(s) => s,
    };
    let d = d.at(&doc.source, span, &doc.text);
    match p.help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

fn unlinked(found: Found) -> SloData {
    SloData {
        slo: found.slo,
        title: found.title,
        description: found.description,
        source: found.source,
        alerts: Vec::new(),
        ledger: None,
        chart: None,
        span: found.span,
    }
}

/// Adds a page for every `SLO` of the OpenSLO files in SLO sections.
pub fn expand_openslo(lib: &mut Library, diags: &Diagnostics) {
    for si in 0..lib.sections.len() {
        if lib.sections[si].kind != KIND {
            continue;
        }
        let spath = lib.sections[si].doc.path.clone();
        let sdir = lib.sections[si].dir.clone();
        let files: Vec<(PathBuf, String)> = lib
            .assets
            .iter()
            .filter_map(|a| {
                let name = a.to.strip_prefix(&spath)?;
                (!name.contains('/') && is_yaml(name)).then(|| (a.from.clone(), name.to_string()))
            })
            .collect();
        let mut texts = Vec::new();
        for (abs, name) in files {
            let shown = PathBuf::from("content").join(&sdir).join(&name);
            match crate::content::load::read_text(&abs, &shown) {
                Ok(t) => texts.push((shown, t)),
                Err(d) => diags.push(*d),
            }
        }
        let mut slis = BTreeMap::new();
        for (_, t) in &texts {
            slis.extend(super::openslo::slis(t));
        }
        for (shown, text) in texts {
            let (found, problems) = super::openslo::read(&text, &slis);
            let base = Document::synthesized(&sdir, String::new(), String::new());
            let file_doc = Document {
                source: shown.clone(),
                text: text.as_str().into(),
                text_key: blake3::hash(text.as_bytes()),
                body_start: text.len(),
                ..base
            };
            for p in problems {
                diags.push(diagnostic(p, &file_doc));
            }
            for o in found {
                let slug = slug::path_segment(&o.slo.id);
                let path = format!("{spath}{slug}/");
                if lib.by_path.contains_key(&path) {
                    diags.push(
                        Diagnostic::error(
                            "duplicate-path",
                            format!(
                                "SLO `{}` would be published at /{path}, where another page is",
                                o.slo.id
                            ),
                        )
                        .at(&shown, o.span, &text),
                    );
                    continue;
                }
                let mut doc = file_doc.clone();
                doc.title = o.title.clone();
                doc.path = path.clone();
                doc.rel = String::new();
                doc.fm = FmLocation {
                    format: frontmatter::Format::None,
                    start: 0,
                    end: 0,
                    raw_line: 0,
                };
                std::sync::Arc::make_mut(&mut doc.meta).description = o.description.clone();
                let pi = lib.pages.len();
                lib.by_path.insert(path, Target::Page(pi));
                lib.sections[si].pages.push(pi);
                let data = unlinked(Found {
                    slo: o.slo,
                    title: o.title,
                    description: o.description,
                    source: "openslo",
                    span: Some(o.span),
                });
                lib.pages.push(Page {
                    doc,
                    kind: KIND,
                    section: si,
                    slug,
                    data: Some(std::sync::Arc::new(data)),
                    replacements: Vec::new(),
                });
            }
        }
    }
}

/// Reads a markdown SLO page (OpenSLO pages are added in the link pass).
pub fn analyze(page: &Page) -> (SloData, Vec<Diagnostic>) {
    let (slo, problems) = super::from_front_matter(&page.slug, &page.doc.meta.extra);
    let diags = problems
        .into_iter()
        .map(|p| diagnostic(p, &page.doc))
        .collect();
    let found = Found {
        slo,
        title: page.doc.title.clone(),
        description: page.doc.meta.description.clone(),
        source: "markdown",
        span: None,
    };
    (unlinked(found), diags)
}

fn string_list(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(frontmatter::string_list).unwrap_or_default()
}

/// After every page is analysed: budgets against the postmortems, alerts against the
/// runbooks, and `slos = [...]` in postmortems against the SLOs.
pub fn link_all(
    lib: &mut Library,
    config: &SiteConfig,
    today: chrono::NaiveDate,
    diags: &Diagnostics,
) {
    let mut pms = Vec::new();
    let mut pm_pages = Vec::new();
    for (i, p) in lib.pages.iter().enumerate() {
        let Some(pm) = p.data::<Postmortem>() else {
            continue;
        };
        let Some(started) = pm.started_at.or(p.doc.date) else {
            continue;
        };
        pm_pages.push(i);
        pms.push(PmRef {
            incident: Incident {
                title: p.doc.title.clone(),
                href: slug::encode_path(&p.doc.path),
                severity: pm.severity.clone(),
                started: started.at,
                impact_end: pm.mitigated_at.or(pm.resolved_at).map(|d| d.at),
                consumed: pm.error_budget_consumed.clone(),
            },
            services: pm.services.clone(),
            slos: string_list(p.doc.meta.extra.get("slos")),
        });
    }
    let mut runbooks: BTreeMap<String, (String, String)> = BTreeMap::new();
    for p in &lib.pages {
        if let Some(rb) = p.data::<Runbook>() {
            for a in &rb.alerts {
                runbooks
                    .entry(a.clone())
                    .or_insert_with(|| (p.doc.title.clone(), slug::encode_path(&p.doc.path)));
            }
        }
    }
    let mut known: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in lib.pages.iter().enumerate() {
        if let Some(d) = p.data::<SloData>() {
            if let Some(&first) = known.get(&d.slo.id) {
                diags.push(
                    Diagnostic::error(
                        "slo",
                        format!(
                            "SLO `{}` is also defined by {}",
                            d.slo.id,
                            lib.pages[first].doc.source.display()
                        ),
                    )
                    .at(
                        &p.doc.source,
                        d.span.unwrap_or(p.doc.key_span("title")),
                        &p.doc.text,
                    ),
                );
            } else {
                known.insert(d.slo.id.clone(), i);
            }
        }
    }
    let ids: BTreeSet<&str> = known.keys().map(String::as_str).collect();
    for (k, name) in catalog::unknown_refs(&ids, &pms) {
        let doc = &lib.pages[pm_pages[k]].doc;
        diags.push(
            Diagnostic::error(
                "slo-ref",
                format!("`slos` names `{name}`, which is no SLO of this site"),
            )
            .at(&doc.source, doc.key_span("slos"), &doc.text)
            .with_help(format!(
                "SLO names: {}",
                ids.iter().copied().collect::<Vec<_>>().join(", ")
            )),
        );
    }
    let now = super::now(today, config.offset());
    // The chart's title and description come from the theme's UI strings: the page
    // template fills these slots (see slo.html).
    let text = ChartText {
        title: super::chart::TITLE_SLOT,
        desc: super::chart::DESC_SLOT,
    };
    for p in &mut lib.pages {
        let doc = &p.doc;
        let Some(d) = crate::content::data_mut::<SloData>(&mut p.data) else {
            continue;
        };
        let found = Found {
            slo: d.slo.clone(),
            title: d.title.clone(),
            description: d.description.clone(),
            source: d.source,
            span: d.span,
        };
        let (linked, missing) = super::link(found, now, &pms, |a| runbooks.get(a).cloned(), &text);
        for a in missing {
            let span = linked.span.unwrap_or_else(|| doc.key_span("alerts"));
            diags.push(
                Diagnostic::warning("slo-alert", format!("alert `{a}` guards this SLO but has no runbook"))
                    .at(&doc.source, span, &doc.text)
                    .with_help("write a runbook with this alert in its `alerts` (srekb new runbook … --alert NAME)"),
            );
        }
        *d = linked;
    }
}

/// The catalogue row of every SLO page.
pub fn entries(lib: &Library) -> Vec<catalog::Entry> {
    lib.pages
        .iter()
        .filter_map(|p| Some(p.data::<SloData>()?.entry(&slug::encode_path(&p.doc.path))))
        .collect()
}

/// `slos.json` at the site root, or `None` when the site has no SLO.
pub fn json(lib: &Library, base_url: &str) -> Option<Vec<u8>> {
    let entries = entries(lib);
    if entries.is_empty() {
        return None;
    }
    serde_json::to_vec_pretty(&catalog::json(&entries, base_url)).ok()
}
