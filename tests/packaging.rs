//! Packaging: the vendored mermaid bundle is pinned and ships in every build, the
//! crate's file list holds what `cargo install` needs, and `srekb init` works inside an
//! existing repository.

mod common;

#[path = "../build/sha256.rs"]
mod sha256;
#[path = "../build/vendor.rs"]
mod vendor;

use std::fs;
use std::path::Path;

use common::*;
use predicates::prelude::*;

#[test]
fn sha256_matches_the_standard_test_vectors() {
    // FIPS 180-4 examples: empty, one block, and a message that needs a second
    // padding block.
    assert_eq!(
        sha256::sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256::sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256::sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
}

#[test]
fn vendored_mermaid_is_pinned_licensed_and_in_every_build() {
    let theme = repo_root().join("themes/default");
    let lock = read(&theme, "vendor.lock");
    assert!(
        lock.lines()
            .any(|l| l.starts_with("mermaid 11.4.1 ")
                && l.ends_with(" static/vendor/mermaid.min.js")),
        "{lock}"
    );
    // What build.rs runs on every build accepts the committed bundle...
    vendor::verify_vendored(&theme).unwrap();
    let bundle = fs::read(theme.join("static/vendor/mermaid.min.js")).unwrap();
    let licence = read(&theme, "static/vendor/MERMAID_LICENSE");
    assert!(licence.contains("The MIT License"), "{licence}");

    // ...and names the file when a copy differs by one bit, or is missing.
    let copy = tempfile::tempdir().unwrap();
    write(copy.path(), "vendor.lock", &lock);
    let mut swapped = bundle.clone();
    swapped[1000] ^= 1;
    write(copy.path(), "static/vendor/placeholder", "");
    fs::write(copy.path().join("static/vendor/mermaid.min.js"), &swapped).unwrap();
    let err = vendor::verify_vendored(copy.path()).unwrap_err();
    assert!(
        err.contains("mermaid.min.js: sha256 ")
            && err.contains("vendor.lock:3 pins mermaid 11.4.1"),
        "{err}"
    );
    fs::remove_file(copy.path().join("static/vendor/mermaid.min.js")).unwrap();
    let err = vendor::verify_vendored(copy.path()).unwrap_err();
    assert!(err.contains("mermaid.min.js: "), "{err}");

    // A site with no theme of its own gets the bundle (and its licence) from the
    // binary's embedded theme, byte for byte, and a page that loads it.
    let site = site(&[
        ("site-config.toml", CONFIG),
        (
            "content/flow.md",
            "+++\ntitle = \"Flow\"\n+++\n\n```mermaid\ngraph LR\n  A --> B\n```\n",
        ),
    ]);
    srekb(site.path()).arg("build").assert().success();
    let public = site.path().join("public");
    assert!(fs::read(public.join("vendor/mermaid.min.js")).unwrap() == bundle);
    assert!(read(&public, "vendor/MERMAID_LICENSE").contains("The MIT License"));
    let page = read(&public, "flow/index.html");
    assert!(page.contains("<pre class=\"mermaid\">graph LR"), "{page}");
}

#[test]
fn the_crate_holds_what_cargo_install_needs_and_not_the_sample_site() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(repo_root())
        .output()
        .expect("running cargo package --list");
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<&str> = list.lines().collect();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "build.rs",
        "build/sha256.rs",
        "build/vendor.rs",
        "src/main.rs",
        "src/scaffold/gitignore",
        "themes/default/vendor.lock",
        "themes/default/static/vendor/mermaid.min.js",
        "themes/default/static/vendor/MERMAID_LICENSE",
        "themes/default/templates/page.html",
    ] {
        assert!(files.contains(&needed), "{needed} missing from:\n{list}");
    }
    for f in &files {
        assert!(
            !(f.starts_with("content/")
                || f.starts_with("tests/")
                || f.starts_with("benches/")
                || f.starts_with(".ci/")),
            "{f} should not be in the crate"
        );
    }
}

/// A directory that looks like an existing project repository.
fn existing_repo(gitignore: &str) -> tempfile::TempDir {
    let dir = site(&[
        ("README.md", "# Team handbook\n"),
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("docs/old.md", "# Old notes\n"),
    ]);
    if !gitignore.is_empty() {
        write(dir.path(), ".gitignore", gitignore);
    }
    dir
}

fn init(dir: &Path) -> assert_cmd::assert::Assert {
    let mut c = assert_cmd::Command::cargo_bin("srekb").unwrap();
    c.env("SOURCE_DATE_EPOCH", TODAY_EPOCH).env("NO_COLOR", "1");
    c.arg("init").arg(dir).assert()
}

#[test]
fn init_in_an_existing_repository_appends_to_gitignore_once() {
    let repo = existing_repo("target/\nnode_modules/");
    let out = init(repo.path()).success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    // It says what it created, file by file, and what it added to .gitignore.
    assert!(stdout.contains("site-config.toml"), "{stdout}");
    assert!(
        stdout.contains("content/runbooks/api-high-error-rate.md"),
        "{stdout}"
    );
    assert!(
        stdout.contains(".gitignore: added /public/ /.srekb/ /.public.srekb-*"),
        "{stdout}"
    );
    let ignore = read(repo.path(), ".gitignore");
    assert!(
        ignore.starts_with("target/\nnode_modules/\n\n# srekb"),
        "{ignore}"
    );
    for line in ["/public/", "/.srekb/", "/.public.srekb-*"] {
        assert_eq!(ignore.lines().filter(|l| *l == line).count(), 1, "{ignore}");
    }
    // The project's own files are untouched, and the new knowledge base checks clean.
    assert_eq!(read(repo.path(), "README.md"), "# Team handbook\n");
    assert_eq!(read(repo.path(), "docs/old.md"), "# Old notes\n");
    srekb(repo.path())
        .args(["check", "--strict"])
        .assert()
        .success();

    // A second run refuses (it would overwrite) and leaves .gitignore alone.
    init(repo.path())
        .failure()
        .stderr(predicate::str::contains("site-config.toml"))
        .stderr(predicate::str::contains("never overwrites"));
    assert_eq!(read(repo.path(), ".gitignore"), ignore);
}

#[test]
fn init_leaves_a_gitignore_that_already_ignores_its_output_unchanged() {
    let text = "/public/\n/.srekb/\n/.public.srekb-*\n";
    let repo = existing_repo(text);
    init(repo.path())
        .success()
        .stdout(predicate::str::contains("already ignores"));
    assert_eq!(read(repo.path(), ".gitignore"), text);
}

#[test]
fn init_refuses_listing_every_file_it_would_overwrite_and_writes_nothing() {
    let repo = existing_repo("target/\n");
    write(repo.path(), "site-config.toml", "title = \"mine\"\n");
    write(repo.path(), "content/_index.md", "mine\n");
    let out = init(repo.path()).failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("2 of the files"), "{stderr}");
    assert!(stderr.contains("  site-config.toml\n"), "{stderr}");
    assert!(stderr.contains("  content/_index.md"), "{stderr}");
    assert!(!stderr.contains(".gitignore"), "{stderr}");
    assert_eq!(read(repo.path(), ".gitignore"), "target/\n");
    assert!(!repo.path().join("content/runbooks").exists());
    assert_eq!(read(repo.path(), "site-config.toml"), "title = \"mine\"\n");
}
