//! Helpers for integration tests: temporary sites and the real `srekb` binary.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The date the tests run "on" (2026-11-22, JST): staleness and overdue checks
/// depend on today, so integration tests pin it with SOURCE_DATE_EPOCH.
pub const TODAY_EPOCH: &str = "1795316400";
pub const TODAY: &str = "2026-11-22";

pub const CONFIG: &str = "title = \"Test KB\"\nbase_url = \"https://kb.example\"\n";

/// A site in a temporary directory, made from (path, text) pairs.
pub fn site(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

pub fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// Copies a fixture site from tests/fixtures/<name> into a temporary directory.
pub fn fixture(name: &str) -> TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&src, dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

pub fn srekb(root: &Path) -> Command {
    let mut c = Command::cargo_bin("srekb").unwrap();
    c.arg("--root").arg(root);
    c.env("NO_COLOR", "1");
    c.env("SOURCE_DATE_EPOCH", TODAY_EPOCH);
    c
}

pub fn read(root: &Path, path: &str) -> String {
    fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The seed file whose name starts with `prefix` (e.g. "000_").
pub fn seed(prefix: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let entry = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seeds not found at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no seed {prefix}*"));
    fs::read_to_string(entry).unwrap()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Debian's Chromium, when installed. In CI (`CI` set) its absence is a failure,
/// because `.ci/run` installs it; on a developer machine browser tests are skipped.
pub fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("chromium is not installed; .ci/run should have installed it");
    }
    eprintln!("skipping browser test: chromium is not installed");
    None
}

/// Loads `url` in headless Chromium and returns the DOM after scripts ran.
pub fn dump_dom(chromium: &Path, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("running chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Builds the bundled sample site into a temporary `public/`; returns (keep-alive, public).
pub fn build_sample() -> (TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    srekb(&repo_root())
        .arg("build")
        .arg("--output")
        .arg(&public)
        .assert()
        .success();
    (out, public)
}
pub mod browser;
