//! One module per subcommand; each returns the process exit code.

pub mod build;
pub mod check;
pub mod gen_corpus;
pub mod init;
pub mod new;
pub mod search;

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
