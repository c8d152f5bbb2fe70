//! Verifies a theme's vendored third-party files against its `vendor.lock` (lines of
//! `name version sha256 path`). Used by build.rs; tested in tests/packaging.rs.

use std::fs;
use std::path::Path;

use crate::sha256;

/// Every entry of `theme/vendor.lock` whose file is missing or differs, as messages.
pub fn verify_vendored(theme: &Path) -> Result<(), String> {
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
