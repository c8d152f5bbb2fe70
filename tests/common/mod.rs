//! Helpers for integration tests: temporary sites and the real `srekb` binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

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

/// Prints a line that `cargo test` shows even for passing tests (the harness captures
/// `print!`/`eprint!`, not direct writes to stderr), so a skip is never silent.
pub fn skipped(why: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("test");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {test}: {why}");
}

/// Whether tests run in CI (`CI` set and not empty), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// The seed documents' directory from `SREKB_SEEDS` (absolute, or relative to the
/// repository). Unset: the test is skipped with a visible line, except under `CI`,
/// where `.ci/run` sets it. Set but missing: always a failure.
pub fn seeds_dir() -> Option<PathBuf> {
    let Some(value) = std::env::var_os("SREKB_SEEDS").filter(|v| !v.is_empty()) else {
        assert!(
            !in_ci(),
            "SREKB_SEEDS is not set; under CI the seed tests must run (.ci/run sets it)"
        );
        skipped("needs the seed documents (set SREKB_SEEDS=../shared/seeds)");
        return None;
    };
    let dir = repo_root().join(value);
    assert!(
        dir.is_dir(),
        "SREKB_SEEDS={} is not a directory",
        dir.display()
    );
    Some(dir)
}

/// The seed files whose names start with `prefixes` (e.g. "000_"), or `None` (after
/// one visible SKIPPED line) when the seeds are not available; see [`seeds_dir`].
pub fn seeds<const N: usize>(prefixes: [&str; N]) -> Option<[String; N]> {
    let dir = seeds_dir()?;
    let names: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading seeds at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    Some(prefixes.map(|prefix| {
        let path = names
            .iter()
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .unwrap_or_else(|| panic!("no seed {prefix}* in {}", dir.display()));
        fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }))
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
    assert!(
        !in_ci(),
        "chromium is not installed; under CI .ci/run installs it"
    );
    skipped("needs Chromium (apt-get install chromium chromium-driver)");
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

/// A site built once and shared by the tests of one test binary. It lives under
/// cargo's `CARGO_TARGET_TMPDIR`, named after the test binary, and is rebuilt by the
/// next run rather than left behind in /tmp. Tests must not modify it.
pub struct SharedSite {
    root: PathBuf,
}

impl SharedSite {
    pub fn path(&self) -> &Path {
        &self.root
    }
}

/// A directory for this test binary's shared builds, emptied first.
fn shared_dir(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let stem = exe.file_stem().unwrap().to_string_lossy().into_owned();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{stem}-{name}"));
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// The bundled sample site, built once per test binary; returns (site, public).
pub fn build_sample() -> (SharedSite, PathBuf) {
    static PUBLIC: OnceLock<PathBuf> = OnceLock::new();
    let public = PUBLIC.get_or_init(|| {
        let public = shared_dir("sample").join("public");
        srekb(&repo_root())
            .arg("build")
            .arg("--output")
            .arg(&public)
            .assert()
            .success();
        public
    });
    let root = public.parent().unwrap().to_path_buf();
    (SharedSite { root }, public.clone())
}

/// tests/fixtures/<name> copied and built (`srekb build`, which must succeed) once per
/// test binary; returns the site (its output in `public/`) and the build's stderr.
pub fn build_fixture_once(name: &str) -> (SharedSite, String) {
    built_once(&format!("fixture-{name}"), |root| {
        copy_dir(&repo_root().join("tests/fixtures").join(name), root);
    })
}

/// A copy of the sample site (content, alert rules, config) built once per test
/// binary, with its search index in `.srekb/index`.
pub fn sample_copy_built_once() -> SharedSite {
    built_once("sample-copy", |root| {
        for d in ["content", "alerts"] {
            copy_dir(&repo_root().join(d), &root.join(d));
        }
        fs::copy(
            repo_root().join("site-config.toml"),
            root.join("site-config.toml"),
        )
        .unwrap();
    })
    .0
}

/// Sets up a site with `setup` in a shared directory and builds it, once per test
/// binary and `key`; returns the site and the build's stderr.
fn built_once(key: &str, setup: impl FnOnce(&Path)) -> (SharedSite, String) {
    static BUILDS: Mutex<BTreeMap<String, (PathBuf, String)>> = Mutex::new(BTreeMap::new());
    // Holding the lock while building makes concurrent tests wait for one build; a
    // failed build poisons nothing (the next test tries again and reports it too).
    let mut builds = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let (root, stderr) = builds
        .entry(key.to_string())
        .or_insert_with(|| {
            let root = shared_dir(key);
            setup(&root);
            let (code, _, stderr) = run({
                let mut c = srekb(&root);
                c.arg("build");
                c
            });
            assert_eq!(code, 0, "building {key}: {stderr}");
            (root, stderr)
        })
        .clone();
    (SharedSite { root }, stderr)
}

pub mod browser;
