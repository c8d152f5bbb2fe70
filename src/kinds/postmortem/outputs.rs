//! Site-wide postmortem outputs: the index's filter pages (severity, status, year,
//! service — they work without JavaScript), the report with SVG charts, open action
//! items by owner, and `postmortems.json` with every derived metric and the mean time
//! between incidents per service.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde::Serialize;

use crate::content::{slug, Page};
use crate::kinds::postmortem::{DetectionSource, Postmortem, Status};
use crate::markdown::links;
use crate::output::Output;
use crate::render::charts::{self, median_p90, Series};
use crate::render::site::{out_file, Pages, SiteRef};
use crate::render::views;
use crate::render::Renderer;

/// The section holding postmortems (the first one of that kind).
fn pm_section(site: &SiteRef<'_>) -> Option<usize> {
    site.top_section(crate::kinds::postmortem::KIND)
}

fn postmortems<'a>(site: &SiteRef<'a>) -> Vec<(&'a Page, &'a Postmortem)> {
    let mut v: Vec<(&Page, &Postmortem)> = site
        .lib
        .pages
        .iter()
        .filter_map(|p| {
            p.data::<crate::kinds::postmortem::Postmortem>()
                .map(|pm| (p, pm))
        })
        .collect();
    v.sort_by(|a, b| {
        b.1.started_at
            .or(b.0.doc.date)
            .cmp(&a.1.started_at.or(a.0.doc.date))
            .then(a.0.doc.title.cmp(&b.0.doc.title))
    });
    v
}

#[derive(Serialize)]
struct Filter {
    group: &'static str,
    value: String,
    label: String,
    href: String,
    count: usize,
    active: bool,
}

fn month_range(pms: &[(&Page, &Postmortem)]) -> Vec<String> {
    let months: BTreeSet<String> = pms
        .iter()
        .filter_map(|(p, pm)| pm.month(p.doc.date))
        .collect();
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Vec::new();
    };
    let parse =
        |m: &str| -> (i32, u32) { (m[..4].parse().unwrap_or(1970), m[5..7].parse().unwrap_or(1)) };
    let (mut y, mut mo) = parse(first);
    let end = parse(last);
    let mut out = Vec::new();
    while (y, mo) <= end {
        out.push(format!("{y:04}-{mo:02}"));
        mo += 1;
        if mo > 12 {
            mo = 1;
            y += 1;
        }
    }
    out
}

pub(crate) fn render(site: &SiteRef<'_>, pages: &Pages<'_>) -> Result<()> {
    let (renderer, ctx, home) = (pages.renderer, pages.cx, pages.home);
    let Some(si) = pm_section(site) else {
        return Ok(());
    };
    let section = &site.lib.sections[si];
    let base = section.doc.path.clone();
    let pms = postmortems(site);
    let config = &site.config;
    let render_to = |template: &str, c: &tera::Context, file: &str| -> Result<()> {
        pages.render(template, c, file)
    };
    let crumbs =
        |title: &str, path: &str| views::trail(home, &[(&section.doc.title, &base), (title, path)]);

    // Filter pages: one per severity, status, year and service.
    let mut groups: Vec<(&'static str, Vec<(String, String)>)> = Vec::new();
    groups.push((
        "severity",
        config
            .postmortem
            .severities
            .iter()
            .map(|s| (s.to_lowercase(), s.clone()))
            .collect(),
    ));
    groups.push((
        "status",
        Status::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    renderer
                        .t(&format!("pm.statuses.{}", s.as_str()))
                        .to_string(),
                )
            })
            .collect(),
    ));
    let years: BTreeSet<String> = pms
        .iter()
        .filter_map(|(p, pm)| {
            pm.started_at
                .or(p.doc.date)
                .map(|d| d.at.format("%Y").to_string())
        })
        .collect();
    groups.push((
        "year",
        years.into_iter().rev().map(|y| (y.clone(), y)).collect(),
    ));
    let services: BTreeSet<String> = pms
        .iter()
        .flat_map(|(_, pm)| pm.services.iter().cloned())
        .collect();
    groups.push((
        "service",
        services
            .into_iter()
            .map(|s| (slug::path_segment(&s), s))
            .collect(),
    ));
    let matches = |group: &str, value: &str, page: &Page, pm: &Postmortem| -> bool {
        match group {
            "severity" => pm
                .severity
                .as_deref()
                .is_some_and(|s| s.to_lowercase() == value),
            "status" => pm.status.as_str() == value,
            "year" => pm
                .started_at
                .or(page.doc.date)
                .is_some_and(|d| d.at.format("%Y").to_string() == value),
            _ => pm.services.iter().any(|s| slug::path_segment(s) == value),
        }
    };
    let filters_for = |active: Option<(&str, &str)>| -> Vec<Filter> {
        let mut v = Vec::new();
        for (group, values) in &groups {
            for (value, label) in values {
                let count = pms
                    .iter()
                    .filter(|(p, pm)| matches(group, value, p, pm))
                    .count();
                if count == 0 && *group != "severity" && *group != "status" {
                    continue;
                }
                v.push(Filter {
                    group,
                    value: value.clone(),
                    label: label.clone(),
                    href: views::site_href(&format!("{base}{group}/{value}/")),
                    count,
                    active: active == Some((group, value.as_str())),
                });
            }
        }
        v
    };
    let section_view = views::section_view(site.lib, si, site.taxonomies);
    for (group, values) in &groups {
        for (value, label) in values {
            let path = format!("{base}{group}/{value}/");
            let list: Vec<_> = pms
                .iter()
                .filter(|(p, pm)| matches(group, value, p, pm))
                .map(|(p, _)| views::page_ref(p, site.taxonomies))
                .collect();
            let root = links::root_prefix(&path);
            let mut c = ctx.base(&path, &root, &config.base_url);
            c.insert("section", &section_view);
            c.insert("pm_pages", &list);
            c.insert("filters", &filters_for(Some((group, value))));
            c.insert(
                "filter",
                &serde_json::json!({ "group": group, "value": value, "label": label }),
            );
            c.insert("base_href", &views::site_href(&base));
            c.insert("breadcrumbs", &crumbs(label, &path));
            render_to("postmortem-section.html", &c, &out_file(&path))?;
        }
    }

    // Report.
    let path = format!("{base}report/");
    let root = links::root_prefix(&path);
    let mut c = ctx.base(&path, &root, &config.base_url);
    let report = report(site, renderer, &pms);
    c.insert("report", &report);
    c.insert("section", &section_view);
    c.insert("base_href", &views::site_href(&base));
    c.insert("breadcrumbs", &crumbs(renderer.t("pm.report"), &path));
    render_to("postmortem-report.html", &c, &out_file(&path))?;

    let (owners, total) = open_items_by_owner(renderer, &pms);
    let path = format!("{base}action-items/");
    let root = links::root_prefix(&path);
    let mut c = ctx.base(&path, &root, &config.base_url);
    c.insert("owners", &owners);
    c.insert("total", &total);
    c.insert("base_href", &views::site_href(&base));
    c.insert("breadcrumbs", &crumbs(renderer.t("pm.action_items"), &path));
    render_to("postmortem-actions.html", &c, &out_file(&path))?;
    Ok(())
}

/// Open action items grouped by owner (overdue and oldest first), and their count.
fn open_items_by_owner(
    renderer: &Renderer,
    pms: &[(&Page, &Postmortem)],
) -> (Vec<serde_json::Value>, usize) {
    #[derive(Serialize)]
    struct OpenItem<'a> {
        action: &'a str,
        owner: &'a str,
        due: Option<String>,
        overdue: bool,
        age_days: Option<i64>,
        status: &'a crate::kinds::postmortem::ActionStatus,
        ticket: Option<&'a str>,
        postmortem: &'a str,
        href: String,
        severity: Option<&'a str>,
    }
    let mut by_owner: BTreeMap<&str, Vec<OpenItem>> = BTreeMap::new();
    let unassigned = renderer.t("pm.unassigned");
    for (p, pm) in pms {
        for a in pm.action_items.iter().filter(|a| a.open) {
            let owner = a.owner.as_deref().unwrap_or(unassigned);
            by_owner.entry(owner).or_default().push(OpenItem {
                action: &a.action,
                owner,
                due: a.due.map(|d| d.to_string()),
                overdue: a.overdue,
                age_days: a.age_days,
                status: &a.status,
                ticket: a.ticket.as_deref(),
                postmortem: &p.doc.title,
                href: views::site_href(&p.doc.path),
                severity: pm.severity.as_deref(),
            });
        }
    }
    for items in by_owner.values_mut() {
        items.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(b.age_days.cmp(&a.age_days)));
    }
    let owners: Vec<serde_json::Value> = by_owner
        .iter()
        .map(|(o, items)| serde_json::json!({ "owner": o, "count": items.len(), "overdue": items.iter().filter(|i| i.overdue).count(), "items": items }))
        .collect();
    (owners, by_owner.values().map(Vec::len).sum())
}

/// Filters for the section's own index page.
pub(crate) fn index_context(
    site: &SiteRef<'_>,
    renderer: &Renderer,
    c: &mut tera::Context,
    si: usize,
) {
    if pm_section(site) != Some(si) {
        return;
    }
    let pms = postmortems(site);
    let base = &site.lib.sections[si].doc.path;
    let list: Vec<_> = pms
        .iter()
        .map(|(p, _)| views::page_ref(p, site.taxonomies))
        .collect();
    c.insert("pm_pages", &list);
    let mut filters = Vec::new();
    for sev in &site.config.postmortem.severities {
        let v = sev.to_lowercase();
        let count = pms
            .iter()
            .filter(|(_, pm)| {
                pm.severity
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(sev))
            })
            .count();
        filters.push(Filter {
            group: "severity",
            href: views::site_href(&format!("{base}severity/{v}/")),
            value: v,
            label: sev.clone(),
            count,
            active: false,
        });
    }
    for st in Status::ALL {
        let count = pms.iter().filter(|(_, pm)| pm.status == st).count();
        let label = renderer
            .t(&format!("pm.statuses.{}", st.as_str()))
            .to_string();
        filters.push(Filter {
            group: "status",
            href: views::site_href(&format!("{base}status/{}/", st.as_str())),
            value: st.as_str().into(),
            label,
            count,
            active: false,
        });
    }
    let years: BTreeSet<String> = pms
        .iter()
        .filter_map(|(p, pm)| {
            pm.started_at
                .or(p.doc.date)
                .map(|d| d.at.format("%Y").to_string())
        })
        .collect();
    for y in years.into_iter().rev() {
        let count = pms
            .iter()
            .filter(|(p, pm)| {
                pm.started_at
                    .or(p.doc.date)
                    .is_some_and(|d| d.at.format("%Y").to_string() == y)
            })
            .count();
        filters.push(Filter {
            group: "year",
            href: views::site_href(&format!("{base}year/{y}/")),
            value: y.clone(),
            label: y,
            count,
            active: false,
        });
    }
    let services: BTreeSet<&String> = pms.iter().flat_map(|(_, pm)| pm.services.iter()).collect();
    for s in services {
        let v = slug::path_segment(s);
        let count = pms.iter().filter(|(_, pm)| pm.services.contains(s)).count();
        filters.push(Filter {
            group: "service",
            href: views::site_href(&format!("{base}service/{v}/")),
            value: v,
            label: s.clone(),
            count,
            active: false,
        });
    }
    c.insert("filters", &filters);
    c.insert("base_href", &views::site_href(base));
}

#[derive(Serialize)]
struct Report {
    total: usize,
    months: Vec<String>,
    per_month_svg: String,
    ttr_svg: String,
    ttd_svg: String,
    ttm_svg: String,
    /// Per severity, then all: count and median / p90 minutes of TTD, TTM, TTR.
    by_severity: Vec<serde_json::Value>,
    service_svg: String,
    detection_svg: String,
    /// Rows: month, counts per severity, total, ttr median/p90, ttd median/p90 (minutes).
    month_rows: Vec<serde_json::Value>,
    severities: Vec<String>,
    heatmap: Vec<serde_json::Value>,
    heatmap_max: usize,
    detection: Vec<serde_json::Value>,
    user_report_share: Option<f64>,
    median_ttd: Option<f64>,
    median_ttm: Option<f64>,
    median_ttr: Option<f64>,
    p90_ttr: Option<f64>,
    median_review_days: Option<f64>,
    open_action_items: usize,
    overdue_action_items: usize,
    review_rows: Vec<serde_json::Value>,
    mtbf: Vec<ServiceMtbf>,
}

fn report(site: &SiteRef<'_>, renderer: &Renderer, pms: &[(&Page, &Postmortem)]) -> Report {
    let sevs = &site.config.postmortem.severities;
    let months = month_range(pms);
    let month_of = |p: &Page, pm: &Postmortem| pm.month(p.doc.date);
    let count = |m: &str, sev: &str| {
        pms.iter()
            .filter(|(p, pm)| {
                month_of(p, pm).as_deref() == Some(m) && pm.severity.as_deref() == Some(sev)
            })
            .count() as f64
    };
    let classes = ["sev1", "sev2", "sev3", "sev4", "sev5", "sev6"];
    let series: Vec<Series> = sevs
        .iter()
        .enumerate()
        .map(|(i, s)| Series {
            name: s,
            class: classes[i.min(5)],
            values: months.iter().map(|m| count(m, s)).collect(),
        })
        .collect();
    let per_month_svg = charts::stacked_bars(
        "pm-month",
        renderer.t("pm.chart_per_month"),
        renderer.t("pm.chart_per_month_desc"),
        &months,
        &series,
    );

    let stats = |m: &str, f: fn(&Postmortem) -> Option<i64>| {
        let mut v: Vec<f64> = pms
            .iter()
            .filter(|(p, pm)| month_of(p, pm).as_deref() == Some(m))
            .filter_map(|(_, pm)| f(pm))
            .map(|x| x as f64)
            .collect();
        median_p90(&mut v)
    };
    let hours = |x: Option<f64>| x.map(|m| (m / 60.0 * 10.0).round() / 10.0);
    let ttr: Vec<(Option<f64>, Option<f64>)> = months
        .iter()
        .map(|m| stats(m, |pm| pm.minutes_to_resolve))
        .collect();
    let ttd: Vec<(Option<f64>, Option<f64>)> = months
        .iter()
        .map(|m| stats(m, |pm| pm.minutes_to_detect))
        .collect();
    let ttr_svg = median_p90_chart(renderer, "ttr", &months, &ttr, hours, "h");
    let ttd_svg = median_p90_chart(renderer, "ttd", &months, &ttd, |x| x, "m");
    let ttm: Vec<(Option<f64>, Option<f64>)> = months
        .iter()
        .map(|m| stats(m, |pm| pm.minutes_to_mitigate))
        .collect();
    let ttm_svg = median_p90_chart(renderer, "ttm", &months, &ttm, |x| x, "m");
    let by_severity = times_by_severity(renderer, sevs, pms);
    let month_rows = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let counts: Vec<usize> = sevs.iter().map(|s| count(m, s) as usize).collect();
            serde_json::json!({ "month": m, "counts": counts, "total": counts.iter().sum::<usize>(), "ttr_median": ttr[i].0, "ttr_p90": ttr[i].1, "ttd_median": ttd[i].0, "ttd_p90": ttd[i].1 })
        })
        .collect();

    let (service_svg, heatmap, heatmap_max) = service_charts(renderer, sevs, pms);
    let (detection_svg, detection, user_report_share) = detection_charts(renderer, pms);

    let mut all_ttd: Vec<f64> = pms
        .iter()
        .filter_map(|(_, pm)| pm.minutes_to_detect.map(|x| x as f64))
        .collect();
    let mut all_ttm: Vec<f64> = pms
        .iter()
        .filter_map(|(_, pm)| pm.minutes_to_mitigate.map(|x| x as f64))
        .collect();
    let mut all_ttr: Vec<f64> = pms
        .iter()
        .filter_map(|(_, pm)| pm.minutes_to_resolve.map(|x| x as f64))
        .collect();
    let mut review: Vec<f64> = pms
        .iter()
        .filter_map(|(_, pm)| pm.review_latency_days.map(|x| x as f64))
        .collect();
    let (median_ttr, p90_ttr) = median_p90(&mut all_ttr);
    let review_rows = pms
        .iter()
        .map(|(p, pm)| serde_json::json!({ "title": p.doc.title, "href": views::site_href(&p.doc.path), "status": pm.status.as_str(), "days": pm.review_latency_days }))
        .collect();
    Report {
        total: pms.len(),
        months,
        per_month_svg,
        ttr_svg,
        ttd_svg,
        ttm_svg,
        by_severity,
        service_svg,
        detection_svg,
        month_rows,
        severities: sevs.clone(),
        heatmap,
        heatmap_max,
        detection,
        user_report_share,
        median_ttd: median_p90(&mut all_ttd).0,
        median_ttm: median_p90(&mut all_ttm).0,
        median_ttr,
        p90_ttr,
        median_review_days: median_p90(&mut review).0,
        open_action_items: pms.iter().map(|(_, pm)| pm.open_action_items).sum(),
        overdue_action_items: pms.iter().map(|(_, pm)| pm.overdue_action_items).sum(),
        review_rows,
        mtbf: mtbf_by_service(pms),
    }
}

/// A chart of a monthly median and 90th percentile (`pm-ttr` …), its values scaled
/// (minutes to hours) and labelled with `unit`.
fn median_p90_chart(
    renderer: &Renderer,
    what: &str,
    months: &[String],
    values: &[(Option<f64>, Option<f64>)],
    scale: fn(Option<f64>) -> Option<f64>,
    unit: &str,
) -> String {
    charts::lines(
        &format!("pm-{what}"),
        renderer.t(&format!("pm.chart_{what}")),
        renderer.t(&format!("pm.chart_{what}_desc")),
        months,
        &[
            (
                renderer.t("pm.median"),
                "s-median",
                values.iter().map(|x| scale(x.0)).collect(),
            ),
            (
                renderer.t("pm.p90"),
                "s-p90",
                values.iter().map(|x| scale(x.1)).collect(),
            ),
        ],
        unit,
    )
}

/// Time to detect, mitigate and resolve (median and p90, minutes) per severity
/// that has incidents, and for all of them.
fn times_by_severity(
    renderer: &Renderer,
    sevs: &[String],
    pms: &[(&Page, &Postmortem)],
) -> Vec<serde_json::Value> {
    let times = |filter: &dyn Fn(&Postmortem) -> bool, label: &str| {
        let pick = |f: fn(&Postmortem) -> Option<i64>| {
            let mut v: Vec<f64> = pms
                .iter()
                .filter(|(_, pm)| filter(pm))
                .filter_map(|(_, pm)| f(pm).map(|x| x as f64))
                .collect();
            let (m, p) = median_p90(&mut v);
            [m.map(|x| x.round() as i64), p.map(|x| x.round() as i64)]
        };
        serde_json::json!({
            "severity": label,
            "count": pms.iter().filter(|(_, pm)| filter(pm)).count(),
            "ttd": pick(|pm| pm.minutes_to_detect),
            "ttm": pick(|pm| pm.minutes_to_mitigate),
            "ttr": pick(|pm| pm.minutes_to_resolve),
        })
    };
    let mut by_severity: Vec<serde_json::Value> = sevs
        .iter()
        .filter(|s| {
            pms.iter()
                .any(|(_, pm)| pm.severity.as_deref() == Some(s.as_str()))
        })
        .map(|s| {
            times(
                &|pm: &Postmortem| pm.severity.as_deref() == Some(s.as_str()),
                s,
            )
        })
        .collect();
    by_severity.push(times(&|_: &Postmortem| true, renderer.t("pm.total")));
    by_severity
}

/// Incidents per service (bars) and per service × severity (the heatmap's rows and
/// its largest cell).
fn service_charts(
    renderer: &Renderer,
    sevs: &[String],
    pms: &[(&Page, &Postmortem)],
) -> (String, Vec<serde_json::Value>, usize) {
    let mut services: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (_, pm) in pms {
        for s in &pm.services {
            let row = services.entry(s).or_insert_with(|| vec![0; sevs.len()]);
            if let Some(r) = pm.severity_rank {
                row[r] += 1;
            }
        }
    }
    let mut svc_items: Vec<(String, f64, &str)> = services
        .iter()
        .map(|(s, row)| {
            (
                s.to_string(),
                row.iter().sum::<usize>() as f64,
                "bar-service",
            )
        })
        .collect();
    svc_items.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let service_svg = charts::hbars(
        "pm-service",
        renderer.t("pm.chart_service"),
        renderer.t("pm.chart_service_desc"),
        &svc_items,
    );
    let heatmap_max = services.values().flatten().copied().max().unwrap_or(0);
    let heatmap = services
        .iter()
        .map(|(s, row)| {
            let cells: Vec<serde_json::Value> = row.iter().map(|n| serde_json::json!({ "n": n, "level": if heatmap_max == 0 || *n == 0 { 0 } else { 1 + (n * 3) / heatmap_max.max(1) } })).collect();
            serde_json::json!({ "service": s, "cells": cells, "total": row.iter().sum::<usize>() })
        })
        .collect();
    (service_svg, heatmap, heatmap_max)
}

/// How incidents were first noticed (bars and rows), and the share users reported.
fn detection_charts(
    renderer: &Renderer,
    pms: &[(&Page, &Postmortem)],
) -> (String, Vec<serde_json::Value>, Option<f64>) {
    let with_source: Vec<DetectionSource> = pms
        .iter()
        .filter_map(|(_, pm)| pm.detection.as_ref().map(|d| d.source))
        .collect();
    let det_items: Vec<(String, f64, &str)> = DetectionSource::ALL
        .iter()
        .map(|s| {
            (
                renderer
                    .t(&format!("pm.detections.{}", s.as_str()))
                    .to_string(),
                with_source.iter().filter(|x| *x == s).count() as f64,
                if *s == DetectionSource::UserReport {
                    "bar-warn"
                } else {
                    "bar-service"
                },
            )
        })
        .collect();
    let detection_svg = charts::hbars(
        "pm-detection",
        renderer.t("pm.chart_detection"),
        renderer.t("pm.chart_detection_desc"),
        &det_items,
    );
    let detection = det_items
        .iter()
        .map(|(l, n, _)| serde_json::json!({ "label": l, "count": *n as usize }))
        .collect();
    let user_report_share = if with_source.is_empty() {
        None
    } else {
        Some(
            (with_source
                .iter()
                .filter(|s| **s == DetectionSource::UserReport)
                .count() as f64
                * 1000.0
                / with_source.len() as f64)
                .round()
                / 10.0,
        )
    };
    (detection_svg, detection, user_report_share)
}

/// One service's incident history: how many, the first and last (dates the incidents
/// started, else the pages' dates) and the mean gap between consecutive starts.
#[derive(Debug, Serialize)]
struct ServiceMtbf {
    service: String,
    incidents: usize,
    first: String,
    last: String,
    /// Mean days between consecutive incident starts, one decimal; `None` with a single
    /// incident.
    mtbf_days: Option<f64>,
}

/// Mean time between incidents per service, most frequently failing first (services
/// with one incident last, by name).
fn mtbf_by_service(pms: &[(&Page, &Postmortem)]) -> Vec<ServiceMtbf> {
    let mut starts: BTreeMap<&str, Vec<crate::date::Date>> = BTreeMap::new();
    for (p, pm) in pms {
        if let Some(at) = pm.started_at.or(p.doc.date) {
            for s in &pm.services {
                starts.entry(s).or_default().push(at);
            }
        }
    }
    let mut out: Vec<ServiceMtbf> = starts
        .into_iter()
        .map(|(service, mut at)| {
            at.sort();
            let (first, last) = (at[0], at[at.len() - 1]);
            let mtbf_days = (at.len() > 1).then(|| {
                let secs = (last.at - first.at).num_seconds() as f64;
                (secs / 86_400.0 / (at.len() - 1) as f64 * 10.0).round() / 10.0
            });
            ServiceMtbf {
                service: service.to_string(),
                incidents: at.len(),
                first: first.date_naive().to_string(),
                last: last.date_naive().to_string(),
                mtbf_days,
            }
        })
        .collect();
    out.sort_by(|a, b| match (a.mtbf_days, b.mtbf_days) {
        (Some(x), Some(y)) => x.total_cmp(&y).then(a.service.cmp(&b.service)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.service.cmp(&b.service),
    });
    out
}

/// `postmortems.json`: every postmortem with its front matter and derived metrics.
pub(crate) fn write_json(site: &SiteRef<'_>, out: &Output) -> Result<()> {
    #[derive(Serialize)]
    struct Entry<'a> {
        title: &'a str,
        url: String,
        path: String,
        date: Option<String>,
        #[serde(flatten)]
        pm: &'a Postmortem,
    }
    let pms = postmortems(site);
    if pms.is_empty() {
        return Ok(());
    }
    let entries: Vec<Entry> = pms
        .iter()
        .map(|(p, pm)| Entry {
            title: &p.doc.title,
            url: site.url(&p.doc.path),
            path: format!("/{}", p.doc.path),
            date: p.doc.date.map(|d| d.to_string_short()),
            pm,
        })
        .collect();
    let json = crate::output::json_bytes(
        &serde_json::json!({ "generator": "srekb", "count": entries.len(), "postmortems": entries, "services": mtbf_by_service(&pms) }),
        true,
    )?;
    out.write("postmortems.json", &json)
}
