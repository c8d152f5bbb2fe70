//! The first stages: the config (with `--base-url`), the theme and its compiled
//! templates (kept by `serve` while no theme file or the config changes), loading
//! every document; and the checks kinds run on the whole site.

use std::path::Path;
use std::sync::Arc;

use super::{load_config, BuildOptions, Site};
use crate::config::SiteConfig;
use crate::content::load::{self, LoadOptions};
use crate::content::Library;
use crate::diagnostics::Diagnostics;
use crate::render::Renderer;
use crate::theme::Theme;

/// `site-config.toml`, with `--base-url` over its `base_url`.
pub(crate) fn config(opts: &BuildOptions, diags: &Diagnostics) -> Option<SiteConfig> {
    let mut config = load_config(&opts.root, diags)?;
    if let Some(b) = &opts.base_url {
        config.base_url = b.trim_end_matches('/').to_string();
    }
    Some(config)
}

/// The theme and its renderer; `None` when a template does not compile (reported).
pub(crate) fn theme(
    opts: &BuildOptions,
    config: &SiteConfig,
    diags: &Diagnostics,
) -> (Arc<Theme>, Option<Arc<Renderer>>) {
    let root = &opts.root;
    // serve: an edit outside themes/ and the config keeps the compiled templates.
    let reusable = opts.changed.as_ref().is_some_and(|c| {
        c.iter()
            .all(|p| !p.starts_with("themes") && p != Path::new("site-config.toml"))
    });
    if let (true, Some(cache)) = (reusable, &opts.cache) {
        if let Some(pair) = cache
            .theme
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return (pair.0, Some(pair.1));
        }
    }
    let loaded = match Theme::load(root, &config.theme) {
        Ok(theme) => match Renderer::new(&theme, config) {
            Ok(r) => (Arc::new(theme), Some(Arc::new(r))),
            Err(ds) => {
                diags.extend(ds);
                (Arc::new(theme), None)
            }
        },
        Err(ds) => {
            diags.extend(ds);
            (Arc::new(Theme::default()), None)
        }
    };
    if let (Some(cache), Some(r)) = (&opts.cache, &loaded.1) {
        *cache.theme.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((loaded.0.clone(), r.clone()));
    }
    loaded
}

/// Every document under content/, each section's kind from the registry; `serve`
/// (with a cache) reads again only the files an edit changed. With it, whether the
/// edits left every document in its place (the site's shape is the last load's).
pub(crate) fn load(
    opts: &BuildOptions,
    config: &SiteConfig,
    diags: &Diagnostics,
) -> (Library, bool) {
    let lopts = LoadOptions {
        drafts: opts.drafts,
        sections: crate::kinds::sections(config, diags),
    };
    match &opts.cache {
        Some(cache) => {
            let changed = opts.changed.as_deref();
            let (lib, how) =
                load::load_kept(&opts.root, config, lopts, diags, &cache.load, changed);
            (lib, matches!(how, load::Reread::InPlace(_)))
        }
        None => (load::load(&opts.root, config, lopts, diags), false),
    }
}

/// Each kind's whole-site checks; with `check --alert-rules FILE`, every alert in
/// those files must have a runbook.
pub(crate) fn kind_checks(site: &Site, opts: &BuildOptions, diags: &Diagnostics) {
    let view = site.view();
    for k in crate::kinds::REGISTRY {
        k.check(&view, diags);
    }
    if !opts.alert_rules.is_empty() {
        let mut rules = Vec::new();
        for f in &opts.alert_rules {
            match crate::kinds::runbook::alert_rules::load(f, f) {
                Ok(r) => rules.extend(r),
                Err(d) => diags.push(*d),
            }
        }
        crate::kinds::runbook::outputs::check_rules(&view, &rules, true, diags);
    }
}
