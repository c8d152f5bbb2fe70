//! The outputs stage: every kind's site-wide files (reports, indexes, alert pages,
//! scorecards, JSON), in registry order; a scoped rebuild writes those of the kinds
//! whose pages changed.

use anyhow::Result;

use super::scope::Scope;
use super::Site;
use crate::render::site::Pages;

pub(crate) fn run(site: &Site, pages: &Pages<'_>, scope: Option<&Scope>) -> Result<()> {
    let view = site.view();
    for k in crate::kinds::REGISTRY {
        if Scope::touches(scope, &k.outputs_read()) {
            k.outputs(&view, pages)?;
        }
    }
    Ok(())
}
