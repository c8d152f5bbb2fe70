//! Maturity pages: a scorecard per team (radar, area table, gaps, history), the
//! organisation overview (heatmap, averages, trends, out-of-date teams) and the
//! self-assessment form, all from the model and the teams' assessment files; and
//! `maturity.json` with the model, each team's latest levels, targets, delegation
//! and history.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde::Serialize;

use crate::content::Page;
use crate::kinds::assessment::scorecard::{self, Scorecard};
use crate::kinds::assessment::Assessment;
use crate::markdown::links;
use crate::output::Output;
use crate::render::charts;
use crate::render::site::{out_file, Pages, SiteRef};
use crate::render::views;

/// The top-level section of assessments, when the site has a model.
pub(crate) fn maturity_section(site: &SiteRef<'_>) -> Option<usize> {
    site.lib
        .state::<crate::kinds::assessment::model::Model>(crate::kinds::assessment::KIND)?;
    site.lib.sections.iter().position(|s| {
        s.kind == crate::kinds::assessment::KIND
            && s.parent
                .is_some_and(|p| site.lib.sections[p].parent.is_none())
    })
}

/// Whether the maturity module renders this section (instead of the section template).
pub(crate) fn owns_section(site: &SiteRef<'_>, si: usize) -> bool {
    site.lib
        .state::<crate::kinds::assessment::model::Model>(crate::kinds::assessment::KIND)
        .is_some()
        && site.lib.sections[si].kind == crate::kinds::assessment::KIND
}

fn by_team<'a>(site: &SiteRef<'a>) -> BTreeMap<String, Vec<(&'a Page, &'a Assessment)>> {
    let mut m: BTreeMap<String, Vec<(&Page, &Assessment)>> = BTreeMap::new();
    for p in &site.lib.pages {
        if let Some(a) = p.data::<crate::kinds::assessment::Assessment>() {
            m.entry(a.team.clone()).or_default().push((p, a));
        }
    }
    for v in m.values_mut() {
        v.sort_by_key(|(_, a)| a.date);
    }
    m
}

#[derive(Serialize)]
struct Axis<'a> {
    id: &'a str,
    name: &'a str,
}

/// What every maturity page reads.
struct Cx<'a> {
    site: &'a SiteRef<'a>,
    pages: &'a Pages<'a>,
    model: &'a crate::kinds::assessment::model::Model,
    /// The maturity section and its site path.
    si: usize,
    base: String,
    axes: Vec<Axis<'a>>,
}

/// The maturity pages: a scorecard per team, the organisation overview and the
/// self-assessment form.
pub(crate) fn render(site: &SiteRef<'_>, pages: &Pages<'_>) -> Result<()> {
    let (Some(si), Some(model)) = (
        maturity_section(site),
        site.lib
            .state::<crate::kinds::assessment::model::Model>(crate::kinds::assessment::KIND),
    ) else {
        return Ok(());
    };
    let base = site.lib.sections[si].doc.path.clone();
    let axes: Vec<Axis> = model
        .assessed()
        .map(|a| Axis {
            id: &a.id,
            name: &a.name,
        })
        .collect();
    let cx = Cx {
        site,
        pages,
        model,
        si,
        base,
        axes,
    };
    let teams = by_team(site);
    let cards = team_pages(&cx, &teams)?;
    org_overview(&cx, &teams, &cards)?;
    self_assessment(&cx, &cards)
}

/// Each team's scorecard page with its radar chart.
fn team_pages<'a>(
    cx: &Cx<'a>,
    teams: &'a BTreeMap<String, Vec<(&'a Page, &'a Assessment)>>,
) -> Result<Vec<Scorecard>> {
    let Cx {
        site,
        pages,
        model,
        axes,
        ..
    } = cx;
    let si = cx.si;
    let base = cx.base.as_str();
    let (renderer, ctx, home) = (pages.renderer, pages.cx, pages.home);
    let section = &site.lib.sections[si];
    let config = &site.config;
    let today = site.today;
    let labels: Vec<String> = model.assessed().map(|a| a.name.clone()).collect();
    let mut cards: Vec<Scorecard> = Vec::new();
    for (team, list) in teams {
        let card = scorecard::team(
            model,
            site.lib,
            team,
            list,
            today,
            config.language == crate::config::Language::Ja,
        );
        let current: Vec<Option<f64>> = card
            .areas
            .iter()
            .map(|a| a.current.map(f64::from))
            .collect();
        let previous: Vec<Option<f64>> = card
            .areas
            .iter()
            .map(|a| a.previous.map(f64::from))
            .collect();
        let target: Vec<Option<f64>> = card
            .areas
            .iter()
            .map(|a| Some(f64::from(a.target)))
            .collect();
        let mut series = vec![(renderer.t("mat.target"), "s-target", target)];
        if card.previous.is_some() {
            series.push((renderer.t("mat.previous"), "s-previous", previous));
        }
        series.push((renderer.t("mat.current"), "s-current", current));
        let radar = charts::radar(
            "radar",
            &format!("{} — {}", card.name, renderer.t("mat.radar")),
            renderer.t("mat.radar_desc"),
            &labels,
            model.level_count as u8,
            &series,
        );
        // The team's section, if it has a directory of its own.
        let path = site
            .lib
            .sections
            .iter()
            .find(|s| s.parent == Some(si) && s.dir.rsplit('/').next() == Some(team.as_str()))
            .map(|s| s.doc.path.clone())
            .unwrap_or_else(|| format!("{base}{team}/"));
        let root = links::root_prefix(&path);
        let mut c = ctx.base(&path, &root, &config.base_url);
        c.insert("card", &card);
        c.insert("radar", &radar);
        c.insert("axes", &axes);
        c.insert("levels", &(1..=model.level_count).collect::<Vec<_>>());
        c.insert("base_href", &views::site_href(base));
        c.insert(
            "breadcrumbs",
            &views::trail(home, &[(&section.doc.title, base), (&card.name, &path)]),
        );
        pages.render("maturity-team.html", &c, &out_file(&path))?;
        cards.push(card);
    }

    Ok(cards)
}

/// The organisation overview: every team's card, averages per area and the trend.
fn org_overview(
    cx: &Cx<'_>,
    teams: &BTreeMap<String, Vec<(&Page, &Assessment)>>,
    cards: &[Scorecard],
) -> Result<()> {
    let Cx {
        site,
        pages,
        model,
        axes,
        ..
    } = cx;
    let si = cx.si;
    let base = cx.base.as_str();
    let (renderer, ctx, home) = (pages.renderer, pages.cx, pages.home);
    let config = &site.config;
    let n_areas = axes.len();
    let averages: Vec<Option<f64>> = (0..n_areas)
        .map(|i| {
            let xs: Vec<f64> = cards
                .iter()
                .filter_map(|c| c.areas[i].current.map(f64::from))
                .collect();
            (!xs.is_empty())
                .then(|| (xs.iter().sum::<f64>() / xs.len() as f64 * 10.0).round() / 10.0)
        })
        .collect();
    // Trend: the average level per area over the months in which teams assessed.
    let months: BTreeSet<String> = teams
        .values()
        .flatten()
        .filter_map(|(_, a)| a.date.map(|d| d.format("%Y-%m").to_string()))
        .collect();
    let months: Vec<String> = months.into_iter().collect();
    let trend: Vec<serde_json::Value> = model
        .assessed()
        .enumerate()
        .map(|(i, area)| {
            // Each team's level as of each month (its latest assessment up to then).
            let points: Vec<Option<f64>> = months
                .iter()
                .map(|m| {
                    let xs: Vec<f64> = teams
                        .values()
                        .filter_map(|list| {
                            list.iter()
                                .rev()
                                .find(|(_, a)| {
                                    a.date.is_some_and(|d| d.format("%Y-%m").to_string() <= *m)
                                })
                                .and_then(|(_, a)| a.levels.get(&area.id).copied())
                        })
                        .map(f64::from)
                        .collect();
                    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
                })
                .collect();
            let first = points.iter().flatten().next().copied();
            let last = points.iter().flatten().last().copied();
            serde_json::json!({
                "name": area.name,
                "svg": charts::sparkline(&points, model.level_count as f64),
                "first": first.map(|v| (v * 10.0).round() / 10.0),
                "last": last.map(|v| (v * 10.0).round() / 10.0),
                "average": averages[i],
            })
        })
        .collect();
    let trend_svg = charts::lines(
        "mat-trend",
        renderer.t("mat.trend"),
        renderer.t("mat.trend_desc"),
        &months,
        &[(
            renderer.t("mat.org_average"),
            "s-median",
            months
                .iter()
                .map(|m| {
                    let xs: Vec<f64> = teams
                        .values()
                        .filter_map(|list| {
                            list.iter().rev().find(|(_, a)| {
                                a.date.is_some_and(|d| d.format("%Y-%m").to_string() <= *m)
                            })
                        })
                        .flat_map(|(_, a)| a.levels.values().map(|l| f64::from(*l)))
                        .collect();
                    (!xs.is_empty())
                        .then(|| (xs.iter().sum::<f64>() / xs.len() as f64 * 100.0).round() / 100.0)
                })
                .collect(),
        )],
        "",
    );
    let stale: Vec<&Scorecard> = cards.iter().filter(|c| c.stale).collect();
    let mut known_teams: Vec<serde_json::Value> = model
        .teams
        .iter()
        .filter(|t| !teams.contains_key(&t.id))
        .map(|t| serde_json::json!({ "team": t.id, "name": t.name }))
        .collect();
    known_teams.sort_by(|a, b| a["team"].as_str().cmp(&b["team"].as_str()));
    let root = links::root_prefix(base);
    let mut c = ctx.base(base, &root, &config.base_url);
    c.insert(
        "section",
        &views::section_view(site.lib, si, site.taxonomies),
    );
    c.insert("model", model);
    c.insert("axes", &axes);
    c.insert("cards", &cards);
    c.insert("averages", &averages);
    c.insert("trend", &trend);
    c.insert("trend_svg", &trend_svg);
    c.insert("stale", &stale);
    c.insert("never_assessed", &known_teams);
    c.insert("levels", &(1..=model.level_count).collect::<Vec<_>>());
    c.insert(
        "breadcrumbs",
        &views::breadcrumbs(site.lib, Some(si), home, None),
    );
    pages.render("maturity-org.html", &c, &out_file(base))?;

    Ok(())
}

/// The self-assessment form. The model goes into the page as JSON (with `</`
/// escaped).
fn self_assessment(cx: &Cx<'_>, cards: &[Scorecard]) -> Result<()> {
    let Cx {
        site,
        pages,
        model,
        axes,
        ..
    } = cx;
    let si = cx.si;
    let base = cx.base.as_str();
    let (renderer, ctx, home) = (pages.renderer, pages.cx, pages.home);
    let section = &site.lib.sections[si];
    let config = &site.config;
    let today = site.today;
    let path = format!("{base}self-assessment/");
    let root = links::root_prefix(&path);
    let mut c = ctx.base(&path, &root, &config.base_url);
    let json = String::from_utf8(crate::output::json_bytes(model, false)?)?;
    c.insert("model", model);
    c.insert("model_json", &json);
    // Each team's latest levels and delegation, to pre-fill the form and show the
    // change against them.
    let previous: serde_json::Map<String, serde_json::Value> = cards
        .iter()
        .filter(|card| card.latest.is_some())
        .map(|card| {
            let levels: serde_json::Map<String, serde_json::Value> = card
                .areas
                .iter()
                .filter_map(|a| a.current.map(|l| (a.id.clone(), l.into())))
                .collect();
            let delegation: serde_json::Map<String, serde_json::Value> = card
                .areas
                .iter()
                .filter_map(|a| a.delegation_now.clone().map(|d| (a.id.clone(), d.into())))
                .collect();
            (
                card.team.clone(),
                serde_json::json!({ "date": card.latest, "levels": levels, "delegation": delegation }),
            )
        })
        .collect();
    let previous = String::from_utf8(crate::output::json_bytes(&previous, false)?)?;
    c.insert("previous_json", &previous);
    c.insert("axes", &axes);
    c.insert("levels", &(1..=model.level_count).collect::<Vec<_>>());
    c.insert("today", &today.to_string());
    c.insert("base_href", &views::site_href(base));
    c.insert(
        "breadcrumbs",
        &views::trail(
            home,
            &[
                (&section.doc.title, base),
                (renderer.t("mat.self_title"), &path),
            ],
        ),
    );
    pages.render("maturity-self.html", &c, &out_file(&path))?;
    Ok(())
}

/// An area of the model as `maturity.json` lists it.
#[derive(Serialize)]
struct JsonActivity<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    /// Whether teams rate themselves on it (else it only carries a delegation target).
    assessed: bool,
    /// Criteria, level 1 first.
    levels: &'a [String],
    /// The model's default target level (assessed areas only).
    target_level: Option<u8>,
    target_delegation: Option<&'a str>,
}

/// Delegation on one area: the team's latest, the model's target and the gap in steps
/// of the scale (positive: more to hand over).
#[derive(Serialize)]
struct JsonDelegation<'a> {
    now: Option<&'a str>,
    target: Option<&'a str>,
    gap: Option<i64>,
}

#[derive(Serialize)]
struct JsonAssessment<'a> {
    date: Option<String>,
    url: String,
    path: String,
    assessors: &'a [String],
    levels: &'a BTreeMap<String, u8>,
    delegation: &'a BTreeMap<String, String>,
    /// Mean of the assessed levels, one decimal.
    average: Option<f64>,
}

#[derive(Serialize)]
struct JsonTeam<'a> {
    id: &'a str,
    name: String,
    services: &'a [String],
    /// Date of the latest assessment (`None`: never assessed).
    latest: Option<String>,
    days_since: Option<i64>,
    /// Older than the model's `reassess_every` days.
    stale: bool,
    /// Latest level per assessed area.
    levels: BTreeMap<&'a str, u8>,
    /// Target level per assessed area (the team's own override, else the model's).
    targets: BTreeMap<&'a str, u8>,
    /// Areas below target, largest gap first (none when never assessed).
    gaps: Vec<String>,
    delegation: BTreeMap<&'a str, JsonDelegation<'a>>,
    average: Option<f64>,
    /// Every assessment, oldest first.
    history: Vec<JsonAssessment<'a>>,
}

/// `maturity.json`, beside `postmortems.json`: the model (activities, levels,
/// delegation scale), and per team its latest levels, targets, delegation against the
/// targets and its assessment history. Teams of the model never assessed are listed
/// with no levels.
pub(crate) fn write_json(site: &SiteRef<'_>, out: &Output) -> Result<()> {
    let Some(model) = site
        .lib
        .state::<crate::kinds::assessment::model::Model>(crate::kinds::assessment::KIND)
    else {
        return Ok(());
    };
    let activities: Vec<JsonActivity> = model
        .areas
        .iter()
        .map(|a| JsonActivity {
            id: &a.id,
            name: &a.name,
            description: &a.description,
            assessed: a.assessed,
            levels: &a.levels,
            target_level: a.assessed.then(|| model.target_level(a)),
            target_delegation: a.target_delegation.as_deref(),
        })
        .collect();
    let teams = by_team(site);
    let mut ids: BTreeSet<&str> = teams.keys().map(String::as_str).collect();
    ids.extend(model.teams.iter().map(|t| t.id.as_str()));
    let no_history = Vec::new();
    let json_teams: Vec<JsonTeam> = ids
        .into_iter()
        .map(|id| {
            let list = teams.get(id).unwrap_or(&no_history);
            let latest = list.last().map(|(_, a)| *a);
            let card = scorecard::team(model, site.lib, id, list, site.today, false);
            let delegation = model
                .areas
                .iter()
                .filter_map(|area| {
                    let now = latest.and_then(|a| a.delegation.get(&area.id));
                    let target = area.target_delegation.as_deref();
                    if now.is_none() && target.is_none() {
                        return None;
                    }
                    let gap = match (now, target) {
                        (Some(n), Some(t)) => Some(
                            model.delegation_rank(t).unwrap_or(0) as i64
                                - model.delegation_rank(n).unwrap_or(0) as i64,
                        ),
                        _ => None,
                    };
                    let now = now.map(String::as_str);
                    Some((area.id.as_str(), JsonDelegation { now, target, gap }))
                })
                .collect();
            let history = list
                .iter()
                .zip(&card.history)
                .map(|((p, a), h)| JsonAssessment {
                    date: a.date.map(|d| d.to_string()),
                    url: site.url(&p.doc.path),
                    path: format!("/{}", p.doc.path),
                    assessors: &a.assessors,
                    levels: &a.levels,
                    delegation: &a.delegation,
                    average: h.average,
                })
                .collect();
            JsonTeam {
                id,
                name: card.name.clone(),
                services: model.team(id).map_or(&[][..], |t| &t.services),
                latest: card.latest.clone(),
                days_since: card.days_since,
                stale: card.stale,
                levels: model
                    .assessed()
                    .zip(&card.areas)
                    .filter_map(|(area, row)| row.current.map(|l| (area.id.as_str(), l)))
                    .collect(),
                targets: model
                    .assessed()
                    .zip(&card.areas)
                    .map(|(area, row)| (area.id.as_str(), row.target))
                    .collect(),
                gaps: if latest.is_some() {
                    card.gaps.clone()
                } else {
                    Vec::new()
                },
                delegation,
                average: card.average,
                history,
            }
        })
        .collect();
    let json = crate::output::json_bytes(
        &serde_json::json!({
            "generator": "srekb",
            "model": {
                "name": model.name,
                "description": model.description,
                "levels": model.level_count,
                "delegation": model.delegation,
                "reassess_every": model.reassess_every,
                "activities": activities,
            },
            "teams": json_teams,
        }),
        true,
    )?;
    out.write("maturity.json", &json)
}
