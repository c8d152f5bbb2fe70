//! Build script: makes cargo rebuild when the embedded theme or `init` scaffold
//! changes, and verifies the theme's vendored third-party files (mermaid) against
//! `themes/default/vendor.lock`, so a swapped, truncated or missing bundle stops
//! the build instead of shipping in the binary.

#[path = "build/sha256.rs"]
mod sha256;
#[path = "build/vendor.rs"]
mod vendor;

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=themes/default");
    println!("cargo:rerun-if-changed=src/scaffold");
    println!("cargo:rerun-if-changed=build");
    if let Err(e) = vendor::verify_vendored(Path::new("themes/default")) {
        // Cargo shows a failed build script's stderr; exit rather than panic so the
        // message is not buried under a backtrace.
        eprintln!("error: vendored theme files do not match themes/default/vendor.lock\n{e}");
        std::process::exit(1);
    }
}
