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

    /// Print each build stage with its wall and CPU time.
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
        /// Build everything anew, without reading or writing the build cache in
        /// .srekb/cache/ (`rm -rf .srekb/cache` removes it).
        #[arg(long)]
        no_cache: bool,
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
        /// Only pages of this service (the `services` taxonomy).
        #[arg(long)]
        service: Option<String>,
        /// Only pages with this tag.
        #[arg(long)]
        tag: Option<String>,
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

/// `srekb new …`: `page`, then one subcommand per registered kind that scaffolds
/// (each kind's `ContentKind::new_command`), so a new kind needs no change here.
#[derive(Debug, Clone)]
pub struct NewCommand {
    /// The subcommand's name (`page` or a kind's name).
    pub name: String,
    pub args: clap::ArgMatches,
}

fn new_page_command() -> clap::Command {
    clap::Command::new("page")
        .about("An ordinary page: `srekb new page docs/onboarding.md \"オンボーディング\"`.")
        .arg(
            clap::Arg::new("path")
                .value_name("PATH")
                .required(true)
                .help("Path under content/ (\".md\" is added when missing)."),
        )
        .arg(
            clap::Arg::new("title")
                .value_name("TITLE")
                .help("Title (default: from the file name)."),
        )
}

fn new_commands() -> Vec<clap::Command> {
    // The kinds' scaffolds in registry order, as `srekb new --help` lists them.
    let mut v: Vec<clap::Command> = crate::kinds::REGISTRY
        .iter()
        .filter_map(|k| k.new_command())
        .collect();
    v.push(new_page_command());
    v
}

impl clap::FromArgMatches for NewCommand {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        match m.subcommand() {
            Some((name, args)) => Ok(NewCommand {
                name: name.to_string(),
                args: args.clone(),
            }),
            None => Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand)),
        }
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Subcommand for NewCommand {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        cmd.subcommands(new_commands()).subcommand_required(true)
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        new_commands().iter().any(|c| c.get_name() == name)
    }
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

    /// `srekb new` has `page` and one subcommand per registered kind that scaffolds,
    /// each named after its kind, and parses into that name and its arguments.
    #[test]
    fn new_subcommands_come_from_the_registry() {
        let cmd = Cli::command();
        let new = cmd.find_subcommand("new").expect("srekb new");
        let names: Vec<&str> = new.get_subcommands().map(|c| c.get_name()).collect();
        for k in crate::kinds::REGISTRY {
            if let Some(c) = k.new_command() {
                assert_eq!(c.get_name(), k.kind().as_str());
                assert!(names.contains(&c.get_name()), "{names:?}");
            }
        }
        assert!(names.contains(&"page"));
        for kind in ["postmortem", "runbook", "assessment"] {
            assert!(names.contains(&kind), "{names:?}");
        }
        let cli = Cli::try_parse_from([
            "srekb", "new", "runbook", "t", "--alert", "A", "--alert", "B",
        ])
        .expect("parses");
        let Command::New { what } = cli.command else {
            panic!("not `new`")
        };
        assert_eq!(what.name, "runbook");
        let alerts: Vec<&String> = what.args.get_many::<String>("alert").unwrap().collect();
        assert_eq!(alerts, ["A", "B"]);
        assert!(Cli::try_parse_from(["srekb", "new", "nosuchkind"]).is_err());
        assert!(Cli::try_parse_from(["srekb", "new"]).is_err());
    }

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
