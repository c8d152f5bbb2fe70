//! The read-only view of a built site that kinds' outputs are written from: the
//! loaded pages, config and taxonomies ([`SiteRef`]), and the page writer
//! ([`Pages`]) that renders a theme template into the output with the context every
//! page shares. The driver (`site`) builds both; kinds, below it, only read them.

use anyhow::Result;

use super::views::{self, SiteView};
use super::Renderer;
use crate::config::SiteConfig;
use crate::content::{Kind, Library};
use crate::diagnostics::Diagnostics;
use crate::output::Output;
use crate::taxonomy::Taxonomy;

/// Everything loaded and analysed for one build, read-only.
#[derive(Clone, Copy)]
pub struct SiteRef<'a> {
    pub config: &'a SiteConfig,
    pub lib: &'a Library,
    pub taxonomies: &'a [Taxonomy],
    /// The build's date in the site's time zone (staleness, overdue items).
    pub today: chrono::NaiveDate,
}

impl SiteRef<'_> {
    /// The first top-level section whose pages are of `kind` (`postmortems/` …).
    pub fn top_section(&self, kind: Kind) -> Option<usize> {
        let lib = self.lib;
        lib.sections.iter().position(|s| {
            s.kind == kind && s.parent.is_some_and(|p| lib.sections[p].parent.is_none())
        })
    }

    /// Absolute URL of a site path under the configured `base_url`.
    pub fn url(&self, path: &str) -> String {
        views::absolute_url(&self.config.base_url, path)
    }
}

/// The output file of a site path (`a/b/` → `a/b/index.html`).
pub fn out_file(path: &str) -> String {
    format!("{path}index.html")
}

/// Common template context: site, UI strings, relative root, canonical URL.
pub struct PageCx<'a> {
    pub site_view: SiteView<'a>,
    pub strings: &'a serde_json::Map<String, serde_json::Value>,
    pub live_reload: Option<&'a str>,
}

impl PageCx<'_> {
    /// The context of the page at site path `path`, whose links start with `root`.
    pub fn base(&self, path: &str, root: &str, base_url: &str) -> tera::Context {
        let mut c = tera::Context::new();
        c.insert("site", &self.site_view);
        c.insert("t", self.strings);
        c.insert("root", root);
        c.insert("canonical", &views::absolute_url(base_url, path));
        c.insert("live_reload", &self.live_reload);
        let top = path.split('/').next().filter(|s| !s.is_empty());
        c.insert(
            "current_section",
            &top.map(|t| views::site_href(&format!("{t}/"))),
        );
        c
    }
}

/// Writes pages through the theme: kinds' reports, indexes and extra pages.
pub struct Pages<'a> {
    pub renderer: &'a Renderer,
    pub out: &'a Output,
    pub diags: &'a Diagnostics,
    /// The home crumb's title.
    pub home: &'a str,
    pub cx: &'a PageCx<'a>,
}

impl Pages<'_> {
    /// Renders `template` into `file`; a template error becomes a diagnostic (the
    /// build goes on to find the others) instead of aborting.
    pub fn render(&self, template: &str, c: &tera::Context, file: &str) -> Result<()> {
        render_page(self.renderer, self.out, self.diags, template, c, file)
    }
}

/// [`Pages::render`] without a `Pages`.
pub fn render_page(
    renderer: &Renderer,
    out: &Output,
    diags: &Diagnostics,
    template: &str,
    c: &tera::Context,
    file: &str,
) -> Result<()> {
    match renderer.render(template, c) {
        Ok(html) => out.write(file, html.as_bytes()),
        Err(d) => {
            diags.push(*d);
            Ok(())
        }
    }
}
