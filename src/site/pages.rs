//! The render stage: every page, section, taxonomy and term through its theme
//! template, the search page and the 404 page. Kinds' own pages are the outputs
//! stage's (`super::outputs`).

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use super::assets::Assets;
use super::scope::Scope;
use super::{BuildOptions, Site};
use crate::content::Page;
use crate::markdown::links;
use crate::output::Output;
use crate::render::site::{out_file, PageCx, Pages};
use crate::render::views::{self, Crumb, NavItem, SiteView};
use crate::render::Renderer;

/// The context every page shares: the site, its navigation, the UI strings.
pub(crate) fn page_cx<'a>(
    site: &'a Site,
    renderer: &'a Renderer,
    assets: &'a Assets,
    opts: &'a BuildOptions,
) -> PageCx<'a> {
    let lib = &site.lib;
    let config = &site.config;
    let mut top: Vec<usize> = lib.sections[lib.root()].subsections.clone();
    views::sort_sections(lib, &mut top);
    let nav: Vec<NavItem> = top
        .iter()
        .filter(|&&si| views::count_pages(lib, si) > 0 || lib.sections[si].has_index_file)
        .map(|&si| NavItem {
            title: lib.sections[si].doc.title.clone(),
            href: views::site_href(&lib.sections[si].doc.path),
        })
        .collect();
    PageCx {
        site_view: SiteView {
            title: &config.title,
            description: &config.description,
            lang: config.language.code(),
            base_url: &config.base_url,
            version: env!("CARGO_PKG_VERSION"),
            css: &assets.css,
            js: &assets.js,
            search_js: &assets.search_js,
            nav,
            extra: &config.extra,
        },
        strings: &renderer.strings,
        live_reload: opts.live_reload.as_deref(),
    }
}

/// Renders everything but the kinds' outputs; a scoped build only what changed.
pub(crate) fn run(site: &Site, pages: &Pages<'_>, scope: Option<&Scope>) -> Result<()> {
    render_pages(site, pages, scope)?;
    render_sections(site, pages, scope)?;
    render_taxonomies(site, pages, scope)?;
    if scope.is_some() {
        return Ok(());
    }
    render_search_page(site, pages)?;
    render_404(site, pages)
}

fn render_pages(site: &Site, pages: &Pages<'_>, scope: Option<&Scope>) -> Result<()> {
    let (lib, config, view, renderer, out) = (
        &site.lib,
        &site.config,
        site.view(),
        pages.renderer,
        pages.out,
    );
    lib.pages
        .par_iter()
        .enumerate()
        .try_for_each(|(pi, page)| -> Result<()> {
            if scope.is_some_and(|s| !s.pages.contains(&pi)) {
                return Ok(());
            }
            let root = links::root_prefix(&page.doc.path);
            let mut c = pages.cx.base(&page.doc.path, &root, &config.base_url);
            c.insert("page", &views::page_view(page, &site.taxonomies));
            if let Some(k) = crate::kinds::get(page.kind) {
                k.page_context(&view, page, &mut c);
            }
            c.insert("section", &views::section_ref(lib, page.section));
            let crumbs: Vec<Crumb> =
                views::breadcrumbs(lib, Some(page.section), pages.home, Some(&page.doc));
            c.insert("breadcrumbs", &crumbs);
            pages.render(
                &page_template(renderer, page),
                &c,
                &out_file(&page.doc.path),
            )?;
            for alias in &page.doc.meta.aliases {
                write_alias(out, alias, &page.doc.path)?;
            }
            Ok(())
        })
}

/// Section indexes; the root section is the home page.
fn render_sections(site: &Site, pages: &Pages<'_>, scope: Option<&Scope>) -> Result<()> {
    let (lib, config, view, renderer, out) = (
        &site.lib,
        &site.config,
        site.view(),
        pages.renderer,
        pages.out,
    );
    (0..lib.sections.len())
        .into_par_iter()
        .try_for_each(|si| -> Result<()> {
            let s = &lib.sections[si];
            if crate::kinds::REGISTRY
                .iter()
                .any(|k| k.owns_section(&view, si))
                || scope.is_some_and(|sc| !sc.sections.contains(&si))
            {
                return Ok(());
            }
            let root = links::root_prefix(&s.doc.path);
            let mut c = pages.cx.base(&s.doc.path, &root, &config.base_url);
            c.insert("section", &views::section_view(lib, si, &site.taxonomies));
            let crumbs = views::breadcrumbs(lib, Some(si), pages.home, None);
            c.insert("breadcrumbs", &crumbs);
            for k in crate::kinds::REGISTRY {
                k.section_context(&view, renderer, si, &mut c);
            }
            let template = if s.parent.is_none() {
                let mut recent: Vec<&Page> =
                    lib.pages.iter().filter(|p| p.doc.date.is_some()).collect();
                recent.sort_by(|a, b| {
                    b.doc
                        .updated
                        .or(b.doc.date)
                        .cmp(&a.doc.updated.or(a.doc.date))
                });
                recent.truncate(10);
                let recent: Vec<_> = recent
                    .into_iter()
                    .map(|p| views::page_ref(p, &site.taxonomies))
                    .collect();
                c.insert("recent", &recent);
                "index.html".to_string()
            } else if let Some(t) = &s.doc.meta.template {
                t.clone()
            } else {
                let kind = format!("{}-section.html", s.kind.as_str());
                if renderer.has_template(&kind) {
                    kind
                } else {
                    "section.html".into()
                }
            };
            pages.render(&template, &c, &out_file(&s.doc.path))?;
            for alias in &s.doc.meta.aliases {
                write_alias(out, alias, &s.doc.path)?;
            }
            Ok(())
        })
}

/// Each taxonomy's page and its terms' pages.
fn render_taxonomies(site: &Site, pages: &Pages<'_>, scope: Option<&Scope>) -> Result<()> {
    let (lib, config, renderer) = (&site.lib, &site.config, pages.renderer);
    #[derive(Serialize)]
    struct TermView<'a> {
        name: &'a str,
        href: String,
        count: usize,
        pages: Vec<views::PageRef<'a>>,
    }
    #[derive(Serialize)]
    struct TaxonomyView<'a> {
        name: &'a str,
        title: String,
        href: String,
        terms: Vec<TermView<'a>>,
    }
    for tax in &site.taxonomies {
        let title = renderer.t(&format!("taxonomy.{}", tax.name)).to_string();
        let tpath = tax.path();
        let term_views: Vec<TermView> = tax
            .terms
            .iter()
            .map(|t| TermView {
                name: &t.name,
                href: views::site_href(&format!("{tpath}{}/", t.slug)),
                count: t.pages.len(),
                pages: Vec::new(),
            })
            .collect();
        let root = links::root_prefix(&tpath);
        let mut c = pages.cx.base(&tpath, &root, &config.base_url);
        let view = TaxonomyView {
            name: &tax.name,
            title: title.clone(),
            href: views::site_href(&tpath),
            terms: term_views,
        };
        c.insert("taxonomy", &view);
        c.insert(
            "breadcrumbs",
            &views::trail(pages.home, &[(&title, &tpath)]),
        );
        pages.render("taxonomy.html", &c, &out_file(&tpath))?;
        tax.terms.par_iter().try_for_each(|term| -> Result<()> {
            if scope.is_some_and(|s| !s.terms.contains(&(tax.name.clone(), term.slug.clone()))) {
                return Ok(());
            }
            let path = format!("{tpath}{}/", term.slug);
            let root = links::root_prefix(&path);
            let mut c = pages.cx.base(&path, &root, &config.base_url);
            let tv = TermView {
                name: &term.name,
                href: views::site_href(&path),
                count: term.pages.len(),
                pages: term
                    .pages
                    .iter()
                    .map(|&p| views::page_ref(&lib.pages[p], &site.taxonomies))
                    .collect(),
            };
            c.insert("term", &tv);
            c.insert(
                "taxonomy",
                &TaxonomyView {
                    name: &tax.name,
                    title: title.clone(),
                    href: views::site_href(&tpath),
                    terms: Vec::new(),
                },
            );
            c.insert(
                "breadcrumbs",
                &views::trail(pages.home, &[(&title, &tpath), (&term.name, &path)]),
            );
            pages.render("term.html", &c, &out_file(&path))
        })?;
    }
    Ok(())
}

/// 404: served at any depth, so it links from the site's absolute base path.
fn render_404(site: &Site, pages: &Pages<'_>) -> Result<()> {
    let config = &site.config;
    let base_path = config
        .base_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
        .unwrap_or_default();
    let root404 = format!("{}/", base_path.trim_end_matches('/'));
    let mut c = pages.cx.base("404.html", &root404, &config.base_url);
    c.insert("breadcrumbs", &Vec::<Crumb>::new());
    pages.render("404.html", &c, "404.html")?;
    Ok(())
}

/// The search page at `search/` (the browser index is written beside it by
/// `search::web::export`).
fn render_search_page(site: &Site, pages: &Pages<'_>) -> Result<()> {
    let renderer = pages.renderer;
    let path = format!("{}/", crate::search::web::DIR);
    let mut kinds: Vec<&str> = site
        .lib
        .count_by_kind()
        .keys()
        .map(|k| k.as_str())
        .collect();
    kinds.push("section");
    let labels = serde_json::json!({
        "kinds": kinds
            .iter()
            .map(|k| (k.to_string(), renderer.t(&format!("kind.{k}")).into()))
            .collect::<serde_json::Map<String, serde_json::Value>>(),
        "results": renderer.t("search.results"),
        "none": renderer.t("search.none"),
        "loading": renderer.t("search.loading"),
        "error": renderer.t("search.error"),
    });
    let root = links::root_prefix(&path);
    let mut c = pages.cx.base(&path, &root, &site.config.base_url);
    c.insert("kinds", &kinds);
    c.insert("labels", &labels.to_string());
    c.insert(
        "breadcrumbs",
        &views::trail(pages.home, &[(renderer.t("search.title"), &path)]),
    );
    pages.render("search.html", &c, &out_file(&path))
}

/// A redirect page at an old URL (front matter `aliases`).
fn write_alias(out: &Output, alias: &str, to_path: &str) -> Result<()> {
    let Some(clean) = links::join("", alias.trim_start_matches('/')) else {
        return Ok(());
    };
    if clean.is_empty() {
        return Ok(());
    }
    let from = if clean.ends_with(".html") {
        clean.clone()
    } else {
        format!("{clean}/index.html")
    };
    let depth = from.matches('/').count();
    let target = format!("{}{}", "../".repeat(depth), views::site_href(to_path));
    let t = crate::escape::html(&target);
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Redirect</title><meta http-equiv=\"refresh\" content=\"0; url={t}\"><link rel=\"canonical\" href=\"{t}\"></head><body><a href=\"{t}\">{t}</a></body></html>\n"
    );
    out.write(&from, html.as_bytes())
}

fn page_template(renderer: &Renderer, page: &Page) -> String {
    if let Some(t) = &page.doc.meta.template {
        return t.clone();
    }
    let kind = format!("{}.html", page.kind.as_str());
    if renderer.has_template(&kind) {
        kind
    } else {
        "page.html".into()
    }
}
