//! The bad-input corpus: every directory under tests/bad_input/ is a site with one
//! problem and an `expect.toml` (exit code, and text stderr must contain — file:line
//! locations included). Each case also runs against a previous good build, which must
//! survive a failing build untouched. Generated cases (a 20 MB file, deep nesting,
//! symlink loops) live below.

mod common;

use std::fs;
use std::path::Path;

use common::*;

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
    // A previous good build to protect.
    let public = site.path().join("public");
    fs::create_dir_all(&public).unwrap();
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
    let leftovers: Vec<String> = fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("srekb-staging") || n.contains("srekb-old"))
        .collect();
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

#[test]
fn killed_builds_never_leave_public_broken() {
    let site = tempfile::tempdir().unwrap();
    let mut c = srekb(site.path());
    c.args(["dev", "gen-corpus", "--pages", "400", "--out"])
        .arg(site.path());
    c.assert().success();
    srekb(site.path()).arg("build").assert().success();
    let count = |p: &Path| {
        walkdir::WalkDir::new(p)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .count()
    };
    let public = site.path().join("public");
    let expected = count(&public);
    assert!(expected > 400);
    let bin = assert_cmd::cargo::cargo_bin("srekb");
    // A bounded loop of kills at different points of the build.
    for i in 0..20u64 {
        let mut child = std::process::Command::new(&bin)
            .arg("--root")
            .arg(site.path())
            .arg("build")
            .env("SOURCE_DATE_EPOCH", TODAY_EPOCH)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis((i * 37) % 400));
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            public.join("index.html").is_file(),
            "kill {i}: index.html missing"
        );
        assert_eq!(count(&public), expected, "kill {i}: public/ is partial");
    }
    // The next build cleans up what the killed ones left.
    srekb(site.path()).arg("build").assert().success();
    let leftovers: Vec<String> = fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("srekb-staging") || n.contains("srekb-old"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let index_leftovers: Vec<String> = fs::read_dir(site.path().join(".srekb"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "index")
        .collect();
    assert!(index_leftovers.is_empty(), "{index_leftovers:?}");
}
