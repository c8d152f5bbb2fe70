use clap::Parser;

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
