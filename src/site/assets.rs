//! The assets stage: the theme's stylesheet (with the syntax-highlighting rules) and
//! scripts under fingerprinted names, and its other static files.

use anyhow::Result;

use super::Site;
use crate::content::cache_key::CacheKey;
use crate::markdown;
use crate::output::Output;

/// Fingerprinted stylesheet and script paths.
#[derive(Clone)]
pub(crate) struct Assets {
    pub css: String,
    pub js: String,
    pub search_js: String,
}

fn fingerprint(name: &str, ext: &str, bytes: &[u8]) -> String {
    let hash = blake3::hash(bytes).to_hex();
    format!("assets/{name}.{}.{ext}", &hash[..10])
}

/// What `serve` keeps: the assets of the last build and what they were made from.
pub(crate) type AssetCache = std::sync::Mutex<Option<(blake3::Hash, Assets)>>;

/// The assets, written; a scoped rebuild with the theme and settings of the last
/// build takes their names from `cache` and writes nothing (they are served).
pub(crate) fn run(
    site: &Site,
    out: &Output,
    scoped: bool,
    renderer: &crate::render::Renderer,
    cache: Option<&AssetCache>,
) -> Result<Assets> {
    let key = CacheKey::new()
        .hash(&renderer.id())
        .serde(&site.config.markdown)
        .finish();
    if let (true, Some(c)) = (scoped, cache) {
        if let Some((k, a)) = &*c.lock().unwrap_or_else(|e| e.into_inner()) {
            if *k == key {
                return Ok(a.clone());
            }
        }
    }
    let assets = write(site, out)?;
    if let Some(c) = cache {
        *c.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, assets.clone()));
    }
    Ok(assets)
}

fn write(site: &Site, out: &Output) -> Result<Assets> {
    let mut css = site
        .theme
        .static_files
        .get("style.css")
        .cloned()
        .unwrap_or_default();
    if site.config.markdown.highlight {
        let syntax = markdown::highlight::stylesheet(
            &site.config.markdown.highlight_theme,
            &site.config.markdown.highlight_theme_dark,
        )
        .map_err(|e| anyhow::anyhow!("site-config.toml [markdown]: {e}"))?;
        css.extend_from_slice(b"\n");
        css.extend_from_slice(syntax.as_bytes());
    }
    let js = site
        .theme
        .static_files
        .get("srekb.js")
        .cloned()
        .unwrap_or_default();
    let search_js = crate::search::web::compact_script(
        site.theme
            .static_files
            .get("search.js")
            .map_or(&[][..], Vec::as_slice),
    );
    let assets = Assets {
        css: fingerprint("style", "css", &css),
        js: fingerprint("srekb", "js", &js),
        search_js: fingerprint("search", "js", &search_js),
    };
    out.write(&assets.css, &css)?;
    out.write(&assets.js, &js)?;
    out.write(&assets.search_js, &search_js)?;
    for (path, bytes) in &site.theme.static_files {
        if !matches!(path.as_str(), "style.css" | "srekb.js" | "search.js") {
            out.write(path, bytes)?;
        }
    }
    Ok(assets)
}
