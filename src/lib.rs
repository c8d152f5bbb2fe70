//! srekb compiles a git repository of SRE markdown into a static knowledge base.
//!
//! The pipeline (README "Architecture"): `site::build` runs the stages in order, each
//! its own module under `site/`: config, theme, load (`content`), import
//! (`markdown::import`), kinds (the `ContentKind` registry in `kinds`), markdown,
//! links, taxonomies, render (`render` feeds borrowed views to the theme), the kinds'
//! outputs, feeds, static files, search, and the atomic commit (`output`).
//! `diagnostics` collects every problem of a run with file:line:col. Top-level
//! modules form layers without cycles (`tests/architecture.rs`). The API below is
//! what the binary, the tests and the benches use; the rest is `pub(crate)`.

pub mod cli;
pub(crate) mod cmd;
pub(crate) mod config;
pub(crate) mod content;
pub(crate) mod date;
pub(crate) mod diagnostics;
pub(crate) mod escape;
pub(crate) mod kinds;
pub(crate) mod line_index;
pub(crate) mod markdown;
pub(crate) mod output;
pub(crate) mod render;
pub(crate) mod search;
pub(crate) mod serve;
pub(crate) mod site;
pub(crate) mod taxonomy;
pub(crate) mod theme;

#[cfg(test)]
mod fuzz;

// The library's API: what the `srekb` binary, the integration tests and the
// benches use. Everything else is internal to the crate.

/// Problems found in a run, each with file:line:col.
pub use diagnostics::{Diagnostic, Severity};
/// What a query of the index `build` wrote found: the exact total, the hits, and
/// counts per kind, service and tag.
pub use search::engine::Filters;
pub use search::index::{Found, Hit};
/// The development server.
pub use serve::{run as serve, ServeOptions};
/// `build` and `check` (a build with [`OutputMode::Check`]): one run of the pipeline.
pub use site::{build, BuildCache, BuildOptions, BuildReport, OutputMode, StageTime};

/// Searches the index `build` wrote under `root` (`srekb search`): at most `limit`
/// hits for `query` among the pages `filters` admit (kind, service, tag).
pub fn search(
    root: &std::path::Path,
    query: &str,
    filters: &Filters,
    limit: usize,
) -> Result<Found> {
    search::index::search(root, query, filters, limit)
}

/// Checks the knowledge base at `root` without writing anything (`srekb check`).
pub fn check(root: std::path::PathBuf) -> Result<BuildReport> {
    build(&BuildOptions::new(root, OutputMode::Check))
}

use anyhow::Result;

use cli::{Cli, Command, DevCommand};

/// Runs a parsed command line; returns the process exit code (see `cli::EXIT_*`).
pub fn run(cli: Cli) -> Result<i32> {
    diagnostics::term::set_color_choice(cli.color);
    if let Some(config) = cli.config {
        if !config.is_file() {
            anyhow::bail!("--config {}: no such file", config.display());
        }
        cli::set_config_file(config);
    }
    let root = cli.root;
    match cli.command {
        Command::Build {
            output,
            drafts,
            base_url,
            no_cache,
        } => cmd::build::run(root, output, drafts, base_url, !no_cache, cli.verbose),
        Command::Check {
            format,
            strict,
            drafts,
            alert_rules,
        } => cmd::check::run(root, format, strict, drafts, alert_rules, cli.verbose),
        Command::New { what } => cmd::new::run(&root, &what),
        Command::Serve {
            port,
            bind,
            open,
            drafts,
        } => serve::run(serve::ServeOptions {
            root,
            bind,
            port,
            open,
            drafts,
        }),
        Command::Init { dir } => cmd::init::run(&dir.unwrap_or(root)),
        Command::Search {
            query,
            kind,
            service,
            tag,
            limit,
            json,
        } => cmd::search::run(
            &root,
            &query,
            &search::engine::Filters { kind, service, tag },
            limit,
            json,
        ),
        Command::Completions { shell } => cmd::print_completions(shell),
        Command::Man => cmd::print_man(),
        Command::Dev { what } => match what {
            DevCommand::GenCorpus { pages, seed, out } => cmd::gen_corpus::run(&out, pages, seed),
        },
    }
}
