//! The bad-input corpus: every directory under tests/bad_input/ is a site with one
//! problem and an `expect.toml` (exit code, and text stderr must contain — file:line
//! locations included). Each case also runs against a previous good build, which must
//! survive a failing build untouched. Generated cases (a 20 MB file, deep nesting,
//! symlink loops) live below.

mod common;

use std::fs;
use std::path::Path;

use common::*;

/// Names beside the output that a build made and should have removed (staging, old
/// output): after any build, failed or killed, there must be none.
fn srekb_leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("srekb-"))
        .collect()
}

#[derive(serde::Deserialize)]
struct Expect {
    code: i32,
    stderr: Vec<String>,
}

fn run_case(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let expect: Expect =
        toml::from_str(&fs::read_to_string(dir.join("expect.toml")).unwrap()).unwrap();
    let site = tempfile::tempdir().unwrap();
    copy_dir(dir, site.path());
    fs::remove_file(site.path().join("expect.toml")).unwrap();
    // A previous good build to protect (srekb's own: it carries the marker).
    let public = site.path().join("public");
    fs::create_dir_all(&public).unwrap();
    fs::write(public.join(".srekb-output"), "").unwrap();
    fs::write(public.join("index.html"), "previous good build").unwrap();
    let (code, _, stderr) = run({
        let mut c = srekb(site.path());
        c.arg("build");
        c
    });
    assert!(!stderr.contains("panicked"), "{name}: panic\n{stderr}");
    assert_eq!(code, expect.code, "{name}: exit code\n{stderr}");
    for needle in &expect.stderr {
        assert!(
            stderr.contains(needle.as_str()),
            "{name}: stderr lacks `{needle}`\n{stderr}"
        );
    }
    let index = fs::read_to_string(public.join("index.html")).unwrap();
    if expect.code == 0 {
        assert_ne!(index, "previous good build", "{name}: output replaced");
    } else {
        assert_eq!(
            index, "previous good build",
            "{name}: a failed build touched public/"
        );
    }
    let leftovers = srekb_leftovers(site.path());
    assert!(leftovers.is_empty(), "{name}: {leftovers:?}");
}

#[test]
fn every_case_of_the_corpus() {
    let root = repo_root().join("tests/bad_input");
    let mut n = 0;
    for e in fs::read_dir(&root).unwrap() {
        let dir = e.unwrap().path();
        if dir.is_dir() {
            run_case(&dir);
            n += 1;
        }
    }
    assert!(n >= 19, "{n} cases");
}

#[test]
fn a_20_mb_file_builds() {
    let para = "障害対応の手順を見直し、復旧までの時間を短くした。The rollout was paused.\n\n";
    let big = format!(
        "# 大きなページ\n\n{}",
        para.repeat(20 * 1024 * 1024 / para.len())
    );
    assert!(big.len() >= 20 * 1024 * 1024 - para.len());
    let site = site(&[("site-config.toml", CONFIG), ("content/big.md", &big)]);
    srekb(site.path()).arg("build").assert().success();
    assert!(
        site.path()
            .join("public/big/index.html")
            .metadata()
            .unwrap()
            .len()
            > 20_000_000
    );
}

#[test]
fn ten_thousand_levels_of_nesting_build() {
    let quotes = format!("{}深い\n", "> ".repeat(10_000));
    let lists: String = (0..10_000)
        .map(|i| format!("{}- x\n", "  ".repeat(i)))
        .collect();
    let site = site(&[
        ("site-config.toml", CONFIG),
        ("content/q.md", &quotes),
        ("content/l.md", &lists),
    ]);
    srekb(site.path())
        .arg("build")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// A fresh gh-pages checkout in public/: .git, CNAME and .nojekyll only.
fn gh_pages_checkout(public: &Path) {
    fs::create_dir_all(public).unwrap();
    git(public, &["init", "-q", "-b", "gh-pages"]);
    fs::write(public.join("CNAME"), "kb.example\n").unwrap();
    fs::write(public.join(".nojekyll"), "").unwrap();
    git(public, &["add", "-A"]);
    git(public, &["commit", "-q", "-m", "pages"]);
}

#[test]
fn a_gh_pages_checkout_keeps_its_git_and_history_across_builds() {
    let site = site(&[("site-config.toml", CONFIG), ("content/a.md", "# A\n")]);
    git(site.path(), &["init", "-q"]);
    let public = site.path().join("public");
    gh_pages_checkout(&public);
    let mut head = git(&public, &["rev-parse", "HEAD"]);
    for round in 0..2 {
        srekb(site.path()).arg("build").assert().success();
        assert!(public.join("a/index.html").is_file(), "round {round}");
        assert_eq!(read(&public, "CNAME"), "kb.example\n");
        assert!(public.join(".nojekyll").is_file());
        let top = git(&public, &["rev-parse", "--show-toplevel"]);
        assert_eq!(
            fs::canonicalize(top).unwrap(),
            fs::canonicalize(&public).unwrap(),
            "round {round}: git inside public/ must stay public/'s own repository"
        );
        assert_eq!(git(&public, &["rev-parse", "HEAD"]), head);
        // The deploy step commits the new site into gh-pages.
        git(&public, &["add", "-A"]);
        git(
            &public,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("build {round}"),
            ],
        );
        head = git(&public, &["rev-parse", "HEAD"]);
    }
    assert_eq!(git(&public, &["rev-list", "--count", "HEAD"]), "3");
    let hidden = srekb_leftovers(site.path());
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn an_existing_user_directory_is_refused_and_untouched() {
    let site = site(&[
        ("site-config.toml", CONFIG),
        ("content/a.md", "# A\n"),
        ("docs/notes.txt", "my notes"),
        ("docs/img/x.png", "png"),
    ]);
    let before = walk(&site.path().join("docs"));
    let (code, _, stderr) = run({
        let mut c = srekb(site.path());
        c.arg("build").arg("--output").arg(site.path().join("docs"));
        c
    });
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("refusing to build into"), "{stderr}");
    assert!(stderr.contains("docs"), "{stderr}");
    assert!(stderr.contains(".srekb-output"), "{stderr}");
    assert_eq!(walk(&site.path().join("docs")), before);
    let names: Vec<String> = fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("srekb-")), "{names:?}");
    // With the marker the user hands the directory over to srekb.
    fs::write(site.path().join("docs/.srekb-output"), "").unwrap();
    srekb(site.path())
        .arg("build")
        .arg("--output")
        .arg(site.path().join("docs"))
        .assert()
        .success();
    assert!(site.path().join("docs/a/index.html").is_file());
    assert!(!site.path().join("docs/notes.txt").exists());
}

#[test]
fn an_output_over_what_the_build_reads_is_refused() {
    let site = site(&[
        (
            "site-config.toml",
            &format!("{CONFIG}[runbook]\nalert_rules = [\"alerts/rules.yml\"]\n"),
        ),
        ("content/a.md", "# A\n"),
        ("alerts/rules.yml", "groups: []\n"),
    ]);
    for out in ["alerts", "content", "content/x", "site-config.toml", "."] {
        let (code, _, stderr) = run({
            let mut c = srekb(site.path());
            c.arg("build").arg("--output").arg(site.path().join(out));
            c
        });
        assert_ne!(code, 0, "{out}: {stderr}");
        assert!(stderr.contains("refusing to build into"), "{out}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(read(site.path(), "alerts/rules.yml"), "groups: []\n");
    assert!(site.path().join("content/a.md").is_file());
    assert!(!site.path().join("public").exists());
}

#[test]
fn a_failed_write_leaves_no_hidden_directory() {
    let site = site(&[
        ("site-config.toml", CONFIG),
        ("content/a.md", "# A\n"),
        ("content/b.md", "# B\n"),
    ]);
    srekb(site.path()).arg("build").assert().success();
    let public = site.path().join("public");
    let before = walk(&public);
    for _ in 0..2 {
        let (code, _, stderr) = run({
            let mut c = srekb(site.path());
            c.arg("build").env("SREKB_TEST_FAIL_WRITES_AFTER", "3");
            c
        });
        assert_ne!(code, 0, "{stderr}");
        assert!(stderr.contains("disk is full"), "{stderr}");
        assert!(stderr.contains("left unchanged"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(walk(&public), before);
        let hidden = srekb_leftovers(site.path());
        assert!(hidden.is_empty(), "{hidden:?}");
    }
    // Once there is room again, the build works.
    srekb(site.path()).arg("build").assert().success();
}

/// Every file under `dir` (relative path and contents), sorted.
fn walk(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn killed_builds_never_leave_public_broken() {
    let site = tempfile::tempdir().unwrap();
    let mut c = srekb(site.path());
    c.args(["dev", "gen-corpus", "--pages", "400", "--out"])
        .arg(site.path());
    c.assert().success();
    let public = site.path().join("public");
    gh_pages_checkout(&public);
    srekb(site.path()).arg("build").assert().success();
    // Files of the site itself, without the checkout's own entries: those may sit in
    // a killed build's staging directory until the next build moves them back.
    let count = |p: &Path| {
        walkdir::WalkDir::new(p)
            .into_iter()
            .filter_entry(|e| {
                ![".git", "CNAME", ".nojekyll"].contains(&&*e.file_name().to_string_lossy())
            })
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .count()
    };
    let expected = count(&public);
    assert!(expected > 400);
    let bin = assert_cmd::cargo::cargo_bin("srekb");
    // The swap waits DELAY ms before and after itself, so that kills land just
    // before, during and just after it; kill times spread over a whole build.
    const DELAY: u64 = 150;
    let build = |kill_after: Option<std::time::Duration>| {
        let mut child = std::process::Command::new(&bin)
            .arg("--root")
            .arg(site.path())
            .arg("build")
            .env("SOURCE_DATE_EPOCH", TODAY_EPOCH)
            .env("SREKB_TEST_SWAP_DELAY_MS", DELAY.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        match kill_after {
            Some(d) => {
                std::thread::sleep(d);
                let _ = child.kill();
                let _ = child.wait();
            }
            None => assert!(child.wait().unwrap().success()),
        }
    };
    let started = std::time::Instant::now();
    build(None);
    let whole = started.elapsed().as_millis() as u64;
    // A bounded loop of kills at different points of the build, denser at its end.
    let n = 24u64;
    for i in 0..n {
        let at = if i % 2 == 0 {
            whole * i / n
        } else {
            whole.saturating_sub(3 * DELAY) + (3 * DELAY) * i / n
        };
        build(Some(std::time::Duration::from_millis(at)));
        assert!(
            public.join("index.html").is_file(),
            "kill {i} at {at} ms: index.html missing"
        );
        assert_eq!(
            count(&public),
            expected,
            "kill {i} at {at} ms: public/ is partial"
        );
        let git_somewhere = public.join(".git").is_dir()
            || fs::read_dir(site.path())
                .unwrap()
                .any(|e| e.unwrap().path().join(".git/HEAD").is_file());
        assert!(git_somewhere, "kill {i} at {at} ms: .git lost");
    }
    // The next build cleans up what the killed ones left, and .git is back.
    srekb(site.path()).arg("build").assert().success();
    assert_eq!(count(&public), expected);
    assert_eq!(read(&public, "CNAME"), "kb.example\n");
    assert_eq!(git(&public, &["rev-list", "--count", "HEAD"]), "1");
    let leftovers = srekb_leftovers(site.path());
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let index_leftovers: Vec<String> = fs::read_dir(site.path().join(".srekb"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "index" && n != "cache")
        .collect();
    assert!(index_leftovers.is_empty(), "{index_leftovers:?}");
    // Cache files killed builds were writing are gone too.
    let cache_leftovers: Vec<String> = fs::read_dir(site.path().join(".srekb/cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(cache_leftovers.is_empty(), "{cache_leftovers:?}");
}
