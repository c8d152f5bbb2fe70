//! Kinds with structure beyond a plain page. Each kind module has the same shape:
//! typed front matter read from `extra`, the body's structure parsed from its
//! outline, checks that produce diagnostics, and derived data for templates.

pub mod postmortem;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::SiteConfig;
use crate::content::{Kind, Library};
use crate::diagnostics::Diagnostics;

/// What a kind adds to a page.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(untagged)]
pub enum KindData {
    #[default]
    None,
    Postmortem(Box<postmortem::Postmortem>),
}

/// Body ranges that a kind renders itself (a timeline table becomes a timeline).
pub type Replacements = Vec<(std::ops::Range<usize>, String)>;

/// Parses and checks every page of a structured kind, in parallel.
pub fn analyze(
    lib: &mut Library,
    config: &SiteConfig,
    today: chrono::NaiveDate,
    diags: &Diagnostics,
) {
    let results: Vec<(usize, KindData, Replacements)> = lib
        .pages
        .par_iter()
        .enumerate()
        .filter_map(|(i, page)| match page.kind {
            Kind::Postmortem => {
                let (pm, repl, ds) = postmortem::analyze(page, lib, config, today);
                diags.extend(ds);
                Some((i, KindData::Postmortem(Box::new(pm)), repl))
            }
            _ => None,
        })
        .collect();
    for (i, data, repl) in results {
        lib.pages[i].data = data;
        lib.pages[i].replacements = repl;
    }
}
