use clap::Parser;

use srekb::cli::EXIT_FAILURE;

/// mimalloc: the build allocates many small strings on two threads; glibc malloc
/// spent ~18% of a 10,000-page build in malloc/free (perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // A crash is a failure of srekb, not a finding: exit 2 (not Rust's 101, not 1),
    // from whichever thread panicked, after the usual message.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        eprintln!("error: srekb crashed; this is a bug, please report it with the command line");
        std::process::exit(EXIT_FAILURE);
    }));
    let cli = srekb::cli::Cli::parse();
    let code = match srekb::run(cli) {
        Ok(code) => code,
        // The reader went away (`srekb search x | head -1`): stop quietly, as
        // ripgrep and other Unix tools do.
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            EXIT_FAILURE
        }
    };
    std::process::exit(code);
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
