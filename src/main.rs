use clap::Parser;

/// mimalloc: the build allocates many small strings on two threads; glibc malloc
/// spent ~18% of a 10,000-page build in malloc/free (perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = srekb::cli::Cli::parse();
    let code = match srekb::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            1
        }
    };
    std::process::exit(code);
}
