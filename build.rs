//! Build script: makes cargo rebuild when the embedded theme or `init` scaffold
//! changes, and verifies the theme's vendored third-party files (mermaid) against
//! `themes/default/vendor.lock`, so a swapped, truncated or missing bundle stops
//! the build instead of shipping in the binary.

#[path = "build/sha256.rs"]
mod sha256;

use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=themes/default");
    println!("cargo:rerun-if-changed=src/scaffold");
    println!("cargo:rerun-if-changed=build/sha256.rs");
    if let Err(e) = verify_vendored(Path::new("themes/default")) {
        // Cargo shows a failed build script's stderr; exit rather than panic so the
        // message is not buried under a backtrace.
        eprintln!("error: vendored theme files do not match themes/default/vendor.lock\n{e}");
        std::process::exit(1);
    }
}

fn verify_vendored(theme: &Path) -> Result<(), String> {
    let lock = theme.join("vendor.lock");
    let text = fs::read_to_string(&lock).map_err(|e| format!("{}: {e}", lock.display()))?;
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, version, want, path] = fields[..] else {
            problems.push(format!(
                "{}:{}: expected `name version sha256 path`, found `{line}`",
                lock.display(),
                n + 1
            ));
            continue;
        };
        let file = theme.join(path);
        match fs::read(&file) {
            Ok(bytes) => {
                let got = sha256::sha256_hex(&bytes);
                if got != want {
                    problems.push(format!(
                        "{}: sha256 {got}, but {}:{} pins {name} {version} at {want}; \
                         run scripts/fetch-mermaid.sh {version} to restore it",
                        file.display(),
                        lock.display(),
                        n + 1
                    ));
                }
            }
            Err(e) => problems.push(format!(
                "{}: {e} ({name} {version} is pinned in {}:{}; run scripts/fetch-mermaid.sh {version})",
                file.display(),
                lock.display(),
                n + 1
            )),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
