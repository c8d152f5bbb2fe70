//! srekb compiles a git repository of SRE markdown into a static knowledge base.
//!
//! The pipeline, one module per stage (see README "Layout of the code"): `config`
//! reads `site-config.toml`; `content` loads every markdown file into pages and
//! sections (it knows no kind); `markdown::import` rewrites other tools' syntax;
//! `kinds` analyses pages through the `ContentKind` registry; `markdown` renders
//! bodies; `render` feeds borrowed views to the theme's templates; `site` runs these
//! as a flat list of timed stages and `output` writes the result atomically.
//! `diagnostics` collects every problem of a run with file:line:col. Top-level
//! modules form layers without cycles (`tests/architecture.rs`).

pub mod cli;
pub mod cmd;
pub mod config;
pub mod content;
pub mod date;
pub mod diagnostics;
pub mod kinds;
pub mod line_index;
pub mod markdown;
pub mod output;
pub mod render;
pub mod search;
pub mod serve;
pub mod site;
pub mod taxonomy;
pub mod theme;

use anyhow::Result;

use cli::{Cli, Command, DevCommand, NewCommand};

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
        } => cmd::build::run(root, output, drafts, base_url, cli.verbose),
        Command::Check {
            format,
            strict,
            drafts,
            alert_rules,
        } => cmd::check::run(root, format, strict, drafts, alert_rules, cli.verbose),
        Command::New { what } => match what {
            NewCommand::Page { path, title } => cmd::new::page(&root, &path, title),
            NewCommand::Postmortem {
                title,
                slug,
                severity,
                services,
            } => cmd::new::postmortem(&root, &title, slug, severity, services),
            NewCommand::Assessment { team, date } => cmd::new::assessment(&root, &team, date),
            NewCommand::Runbook {
                title,
                service,
                alerts,
                slug,
            } => cmd::new::runbook(&root, &title, service, alerts, slug),
            NewCommand::Slo {
                title,
                service,
                alerts,
                slug,
            } => cmd::new::slo(&root, &title, &service, &alerts, slug),
        },
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
            limit,
            json,
        } => cmd::search::run(&root, &query, kind.as_deref(), limit, json),
        Command::Completions { shell } => cmd::print_completions(shell),
        Command::Man => cmd::print_man(),
        Command::Dev { what } => match what {
            DevCommand::GenCorpus { pages, seed, out } => cmd::gen_corpus::run(&out, pages, seed),
        },
    }
}
