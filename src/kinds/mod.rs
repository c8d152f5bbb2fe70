//! Kinds with structure beyond a plain page. Each kind module has the same shape:
//! typed front matter read from `extra`, the body's structure parsed from its
//! outline, checks that produce diagnostics, and derived data for templates. After
//! every page is analysed, cross-page checks run here (an alert claimed twice,
//! related guides by slug, postmortems that used a runbook).

pub mod alert_rules;
pub mod assessment;
pub mod career;
pub mod postmortem;
pub mod runbook;
pub mod slo;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::SiteConfig;
use crate::content::{slug, Kind, Library, Target};
use crate::diagnostics::{Diagnostic, Diagnostics};

/// What a kind adds to a page.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(untagged)]
pub enum KindData {
    #[default]
    None,
    Postmortem(Box<postmortem::Postmortem>),
    Runbook(Box<runbook::Runbook>),
    Career(Box<career::Career>),
    Assessment(Box<assessment::Assessment>),
}

/// Reads a kind's typed front matter from the page's `extra` keys. A wrong type is
/// reported at the key's line and the defaults are used, so checking goes on.
pub fn read_meta<T: serde::de::DeserializeOwned + Default>(
    page: &crate::content::Page,
    code: &'static str,
) -> (T, Option<Diagnostic>) {
    let doc = &page.doc;
    let value = serde_json::Value::Object(doc.meta.extra.clone());
    match serde_path_to_error::deserialize(&value) {
        Ok(m) => (m, None),
        Err(e) => {
            let key = e.path().to_string();
            let top = key.split(['.', '[']).next().unwrap_or("").to_string();
            let d = Diagnostic::error(
                code,
                format!("front matter key `{key}`: {}", e.into_inner()),
            )
            .at(&doc.source, doc.key_span(&top), &doc.text);
            (T::default(), Some(d))
        }
    }
}

/// Body ranges that a kind renders itself (a timeline table becomes a timeline).
pub type Replacements = Vec<(std::ops::Range<usize>, String)>;

/// Parses and checks every page of a structured kind, in parallel, then the checks
/// that span pages.
/// One page's analysis, kept by `serve` between builds: valid while the page's text
/// and everything else it may look at (the key) are unchanged.
pub type CachedAnalysis = (
    blake3::Hash,
    KindData,
    Replacements,
    Vec<crate::diagnostics::Diagnostic>,
);

pub type AnalysisCache =
    std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, CachedAnalysis>>;

pub fn analyze(
    lib: &mut Library,
    config: &SiteConfig,
    today: chrono::NaiveDate,
    diags: &Diagnostics,
) {
    analyze_cached(lib, config, today, diags, None)
}

/// [`analyze`], reusing the analysis of pages whose text is unchanged when `cache`
/// comes with a key covering everything but the page's own text (the site's shape,
/// the config, the date, the maturity model).
pub fn analyze_cached(
    lib: &mut Library,
    config: &SiteConfig,
    today: chrono::NaiveDate,
    diags: &Diagnostics,
    cache: Option<(&AnalysisCache, blake3::Hash)>,
) {
    lib.maturity = load_model(lib, diags);
    let model = lib.maturity.clone();
    let cache = cache.map(|(c, site_key)| {
        let mut h = blake3::Hasher::new();
        h.update(site_key.as_bytes());
        h.update(format!("{config:?}{today}{model:?}").as_bytes());
        (c, h.finalize())
    });
    let previous =
        cache.map(|(c, _)| std::mem::take(&mut *c.lock().unwrap_or_else(|e| e.into_inner())));
    let page_key = |page: &crate::content::Page| {
        cache.map(|(_, k)| {
            let mut h = blake3::Hasher::new();
            h.update(k.as_bytes());
            h.update(page.doc.text.as_bytes());
            h.finalize()
        })
    };
    let results: Vec<(usize, KindData, Replacements)> = lib
        .pages
        .par_iter()
        .enumerate()
        .filter_map(|(i, page)| {
            let key = page_key(page);
            if let (Some(key), Some(prev)) = (key, previous.as_ref()) {
                if let Some((k, data, repl, ds)) = prev.get(&page.doc.source) {
                    if *k == key {
                        diags.extend(ds.clone());
                        return Some((i, data.clone(), repl.clone()));
                    }
                }
            }
            let local = Diagnostics::default();
            let out = analyze_page(i, page, lib, config, today, model.as_ref(), &local);
            let ds = local.into_sorted();
            if let (Some(key), Some((c, _)), Some((_, data, repl))) = (key, cache, out.as_ref()) {
                c.lock().unwrap_or_else(|e| e.into_inner()).insert(
                    page.doc.source.clone(),
                    (key, data.clone(), repl.clone(), ds.clone()),
                );
            }
            diags.extend(ds);
            out
        })
        .collect();
    if let (Some((c, _)), Some(prev)) = (cache, previous) {
        // Reused entries go back in.
        let mut map = c.lock().unwrap_or_else(|e| e.into_inner());
        for page in &lib.pages {
            if let Some(entry) = prev.get(&page.doc.source) {
                map.entry(page.doc.source.clone())
                    .or_insert_with(|| entry.clone());
            }
        }
    }
    for (i, data, repl) in results {
        lib.pages[i].data = data;
        lib.pages[i].replacements = repl;
    }
    duplicate_alerts(lib, diags);
    duplicate_assessments(lib, diags);
    runbook_backlinks(lib);
    related_careers(lib, diags);
}

fn analyze_page(
    i: usize,
    page: &crate::content::Page,
    lib: &Library,
    config: &SiteConfig,
    today: chrono::NaiveDate,
    model: Option<&crate::maturity::Model>,
    diags: &Diagnostics,
) -> Option<(usize, KindData, Replacements)> {
    match page.kind {
        Kind::Postmortem => {
            let (pm, repl, ds) = postmortem::analyze(page, lib, config, today);
            diags.extend(ds);
            Some((i, KindData::Postmortem(Box::new(pm)), repl))
        }
        Kind::Runbook => {
            let (rb, ds) = runbook::analyze(page, config, today);
            diags.extend(ds);
            Some((i, KindData::Runbook(Box::new(rb)), Vec::new()))
        }
        Kind::Career => {
            let (c, ds) = career::analyze(page);
            diags.extend(ds);
            Some((i, KindData::Career(Box::new(c)), Vec::new()))
        }
        Kind::Assessment => {
            let (a, ds) = assessment::analyze(page, model);
            diags.extend(ds);
            Some((i, KindData::Assessment(Box::new(a)), Vec::new()))
        }
        _ => None,
    }
}

/// `content/maturity/model.toml`, if the site has one; assessments need it.
fn load_model(lib: &Library, diags: &Diagnostics) -> Option<crate::maturity::Model> {
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
    match crate::maturity::Model::parse(&text, &shown) {
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
        let KindData::Assessment(a) = &p.data else {
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
    if lib.maturity.is_none() && seen.values().next().is_some() {
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

/// Each alert may have one runbook: Prometheus' `runbook_url` points at one page.
fn duplicate_alerts(lib: &Library, diags: &Diagnostics) {
    let mut owners: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in lib.pages.iter().enumerate() {
        if let KindData::Runbook(rb) = &p.data {
            for a in &rb.alerts {
                owners.entry(a).or_default().push(i);
            }
        }
    }
    for (alert, pages) in owners.into_iter().filter(|(_, v)| v.len() > 1) {
        for &i in &pages {
            let doc = &lib.pages[i].doc;
            let others: Vec<String> = pages
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| lib.pages[j].doc.source.display().to_string())
                .collect();
            diags.push(
                Diagnostic::error("duplicate-alert", format!("alert `{alert}` is also claimed by {}", others.join(", ")))
                    .at(&doc.source, doc.key_span("alerts"), &doc.text)
                    .with_help("one alert, one runbook: move the steps into one page and link to it from the other"),
            );
        }
    }
}

/// Runbook pages list the postmortems that name them in `related`, or whose
/// detection alert is one of theirs.
fn runbook_backlinks(lib: &mut Library) {
    let mut by_alert: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in lib.pages.iter().enumerate() {
        if let KindData::Runbook(rb) = &p.data {
            for a in &rb.alerts {
                by_alert.entry(a.clone()).or_insert(i);
            }
        }
    }
    let mut links: Vec<(usize, runbook::UsedIn)> = Vec::new();
    for p in &lib.pages {
        let Some(pm) = p.postmortem() else { continue };
        let used = runbook::UsedIn {
            title: p.doc.title.clone(),
            href: slug::encode_path(&p.doc.path),
            severity: pm.severity.clone(),
            date: pm.started_at.or(p.doc.date).map(|d| d.to_string_short()),
        };
        let mut targets: Vec<usize> = pm
            .related
            .iter()
            .filter_map(|r| match r.target {
                Some(Target::Page(t)) if lib.pages[t].kind == Kind::Runbook => Some(t),
                _ => None,
            })
            .collect();
        if let Some(alert) = pm.detection.as_ref().and_then(|d| d.alert.as_ref()) {
            if let Some(&t) = by_alert.get(alert) {
                targets.push(t);
            }
        }
        targets.sort_unstable();
        targets.dedup();
        for t in targets {
            links.push((t, used.clone()));
        }
    }
    for (t, used) in links {
        if let KindData::Runbook(rb) = &mut lib.pages[t].data {
            rb.used_in.push(used);
        }
    }
    for p in &mut lib.pages {
        if let KindData::Runbook(rb) = &mut p.data {
            rb.used_in.sort_by(|a, b| b.date.cmp(&a.date));
        }
    }
}

/// `related_jobs` name other career guides by slug.
fn related_careers(lib: &mut Library, diags: &Diagnostics) {
    let by_slug: BTreeMap<String, (String, String)> = lib
        .pages
        .iter()
        .filter(|p| p.kind == Kind::Career)
        .map(|p| {
            (
                p.slug.clone(),
                (p.doc.title.clone(), slug::encode_path(&p.doc.path)),
            )
        })
        .collect();
    for p in &mut lib.pages {
        let doc = &p.doc;
        let KindData::Career(c) = &mut p.data else {
            continue;
        };
        for s in &c.related_jobs {
            match by_slug.get(&slug::path_segment(s)) {
                Some((title, href)) => c.related.push(career::RelatedGuide { slug: s.clone(), title: title.clone(), href: href.clone() }),
                None => diags.push(
                    Diagnostic::warning("related-job", format!("related job `{s}` has no career guide"))
                        .at(&doc.source, doc.key_span("related_jobs"), &doc.text)
                        .with_help("write content/careers/<slug>.md with that slug, or remove it from related_jobs"),
                ),
            }
        }
    }
}
