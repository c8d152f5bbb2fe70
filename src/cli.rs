//! Command-line interface (clap derive). Parsing only; the work is in `cmd/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::diagnostics::{ColorChoice, Format};

/// `--config FILE`, recorded once by `run` so every reader of the site configuration
/// (build, check, serve, new) uses the same file without threading it through each.
pub use crate::config::{config_file, set_config_file};

/// Exit status of a run that found nothing wrong.
pub const EXIT_OK: i32 = 0;
/// Exit status when the input has problems (errors, or warnings with `--strict`).
pub const EXIT_FINDINGS: i32 = 1;
/// Exit status of a usage error (as clap reports them) or an internal failure
/// (I/O, a crash): something other than the content went wrong.
pub const EXIT_FAILURE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "srekb",
    version,
    about = "Compile a git repository of SRE markdown into a fast, searchable static knowledge base",
    long_about = None,
    after_help = "Exit status: 0 ok, 1 problems found in the content (errors, or warnings with --strict; `search`: no hits), 2 usage error or failure (unreadable files, a crash)."
)]
pub struct Cli {
    /// The knowledge base's root directory (holds site-config.toml and content/).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,

    /// Print each build step with its time.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// When to colour output: `auto` colours a terminal unless NO_COLOR is set
    /// (CLICOLOR_FORCE forces colour).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,

    /// Read the site configuration from FILE instead of <root>/site-config.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into public/ (replaced only when the whole build succeeds).
    Build {
        /// Output directory (relative to the current directory). Default: <root>/public.
        #[arg(long, short, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Include pages with `draft = true`.
        #[arg(long)]
        drafts: bool,
        /// Absolute URL the site is published at (for sitemap and feeds).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Build into memory, serve on loopback, rebuild on change and reload the browser.
    Serve {
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Address to listen on; anything but loopback makes the site reachable from
        /// other machines.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
        /// Include pages with `draft = true`.
        #[arg(long)]
        drafts: bool,
    },
    /// Validate everything without writing output. Exit 1 on errors (with --strict, on warnings too).
    Check {
        /// How to print problems (human on stderr; the others on stdout).
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Fail on warnings too.
        #[arg(long)]
        strict: bool,
        /// Include pages with `draft = true`.
        #[arg(long)]
        drafts: bool,
        /// Prometheus alerting-rule files: every alert needs a runbook and a matching runbook_url.
        #[arg(long = "alert-rules", value_name = "FILE", num_args = 1..)]
        alert_rules: Vec<PathBuf>,
    },
    /// Scaffold a new file from a template (never overwrites).
    New {
        #[command(subcommand)]
        what: NewCommand,
    },
    /// Search the index written by `build` (Japanese and English).
    Search {
        /// Words to find; all must match, a Japanese word matches as a phrase.
        query: String,
        /// Only pages of this kind (a registered kind, `page` or `section`).
        #[arg(long, value_parser = search_kinds())]
        kind: Option<String>,
        /// Most hits to print (1 to 10000).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=MAX_LIMIT))]
        limit: u64,
        /// Print hits as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a new knowledge base in DIR (default: current directory).
    Init {
        /// Directory to create the knowledge base in (default: --root).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print a shell completion script: `srekb completions bash > /etc/bash_completion.d/srekb`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `srekb man > srekb.1`.
    Man,
    /// Developer tools (benchmarks).
    #[command(hide = true)]
    Dev {
        #[command(subcommand)]
        what: DevCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Write a deterministic N-page knowledge base for benchmarks.
    GenCorpus {
        /// Number of pages to generate.
        #[arg(long, default_value_t = 1000)]
        pages: usize,
        /// Seed of the generator (same seed, same corpus).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Directory to write the knowledge base to.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// A postmortem: `srekb new postmortem "決済APIのタイムアウト多発" --severity SEV2 --service payments-api`.
    Postmortem {
        /// Title of the incident.
        title: String,
        /// File name part after the date (default: from the title).
        #[arg(long)]
        slug: Option<String>,
        /// Severity (one of `[postmortem] severities`).
        #[arg(long)]
        severity: Option<String>,
        /// Affected service (repeatable).
        #[arg(long = "service")]
        services: Vec<String>,
    },
    /// A team self-assessment: `srekb new assessment --team payments`.
    Assessment {
        /// The team assessed (a slug: its folder under content/maturity/).
        #[arg(long)]
        team: String,
        /// Date of the assessment (default: today).
        #[arg(long)]
        date: Option<String>,
    },
    /// A runbook: `srekb new runbook "PostgreSQL レプリケーション遅延" --service payments-db --alert PostgresReplicationLag`.
    Runbook {
        /// Title of the runbook.
        title: String,
        /// The service the runbook is for.
        #[arg(long)]
        service: Option<String>,
        /// Alert name (repeatable).
        #[arg(long = "alert")]
        alerts: Vec<String>,
        /// File name (default: from the title).
        #[arg(long)]
        slug: Option<String>,
    },
    /// A service level objective: `srekb new slo "チェックアウトの成功率" --service payments-api --alert CheckoutErrorBudgetBurn`.
    Slo {
        /// Title of the SLO.
        title: String,
        /// The service the objective covers.
        #[arg(long)]
        service: String,
        /// Alert that guards the SLO (repeatable).
        #[arg(long = "alert")]
        alerts: Vec<String>,
        /// File name, also the SLO's name in postmortems' `slos` (default: from the title).
        #[arg(long)]
        slug: Option<String>,
    },
    /// An ordinary page: `srekb new page docs/onboarding.md "オンボーディング"`.
    Page {
        /// Path under content/ (".md" is added when missing).
        path: String,
        /// Title (default: from the file name).
        title: Option<String>,
    },
}

/// Largest `search --limit`: more hits than anyone reads, small enough to allocate.
pub const MAX_LIMIT: u64 = 10_000;

/// Kinds of documents in the search index: `page`, every registered kind, and
/// `section` (section index pages). A new kind is searchable by its name without
/// a change here.
fn search_kinds() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        crate::kinds::names().chain(std::iter::once("section")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every flag and argument explains itself in `--help`. `serve` is left out: its
    /// flags belong to the dev-server work and are checked there.
    #[test]
    fn every_flag_and_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() == "serve" {
                    continue;
                }
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "srekb", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    #[test]
    fn search_kinds_are_the_indexed_kinds() {
        let cmd = Cli::command();
        let search = cmd.find_subcommand("search").unwrap();
        let kind = search
            .get_arguments()
            .find(|a| a.get_id() == "kind")
            .unwrap();
        let values: Vec<String> = kind
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        for k in crate::kinds::names().chain(["section"]) {
            assert!(values.iter().any(|v| v == k), "{k}: {values:?}");
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
