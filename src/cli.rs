//! Command-line interface (clap derive). Parsing only; the work is in `cmd/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::diagnostics::Format;

#[derive(Debug, Parser)]
#[command(
    name = "srekb",
    version,
    about = "Compile a git repository of SRE markdown into a fast, searchable static knowledge base",
    long_about = None
)]
pub struct Cli {
    /// The knowledge base's root directory (holds site-config.toml and content/).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,

    /// Print each build step with its time.
    #[arg(long, short, global = true)]
    pub verbose: bool,

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
    /// Validate everything without writing output. Exit 1 on errors.
    Check {
        /// How to print problems.
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
        /// Only pages of this kind (page, career, postmortem, runbook, assessment, section).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print hits as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a new knowledge base in DIR (default: current directory).
    Init {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
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
        #[arg(long, default_value_t = 1000)]
        pages: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
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
        #[arg(long)]
        team: String,
        /// Date of the assessment (default: today).
        #[arg(long)]
        date: Option<String>,
    },
    /// A runbook: `srekb new runbook "PostgreSQL レプリケーション遅延" --service payments-db --alert PostgresReplicationLag`.
    Runbook {
        title: String,
        #[arg(long)]
        service: Option<String>,
        /// Alert name (repeatable).
        #[arg(long = "alert")]
        alerts: Vec<String>,
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
