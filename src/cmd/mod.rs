//! One module per subcommand; each returns the process exit code.

pub mod build;
pub mod check;
pub mod gen_corpus;
pub mod init;
pub mod new;
pub mod search;

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::diagnostics::{self, Diagnostic, Format};

/// Prints diagnostics to stderr as human-readable text.
pub fn eprint_diagnostics(diags: &[Diagnostic]) {
    if !diags.is_empty() {
        eprint!(
            "{}",
            diagnostics::render(diags, Format::Human, diagnostics::stderr_color())
        );
    }
}

/// `srekb completions <shell>`.
pub fn print_completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "srekb", &mut out);
    write_stdout(&out)?;
    Ok(0)
}

/// `srekb man`: the man page (roff), with its options and commands.
pub fn print_man() -> Result<i32> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    write_stdout(&out)?;
    Ok(0)
}

/// Writes to stdout, returning errors (a closed pipe among them) instead of
/// panicking as `print!` does.
pub fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}
