//! The CI recipes in examples/ci/ run as published: their srekb command lines, taken
//! from the parsed YAML, run on a git repository whose knowledge base sits in
//! docs/kb/, and their annotations and reports name files from the repository's top.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const GITHUB: &str = "examples/ci/github-actions.yml";
const GITLAB: &str = "examples/ci/gitlab-ci.yml";

fn recipe(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

/// The srekb command lines of a job's `run:` steps (GitHub) or `script:` (GitLab).
fn srekb_lines(job: &Value) -> Vec<String> {
    let mut shell = Vec::new();
    for step in job["steps"].as_array().into_iter().flatten() {
        shell.extend(step["run"].as_str().map(str::to_string));
    }
    for line in job["script"].as_array().into_iter().flatten() {
        shell.extend(line.as_str().map(str::to_string));
    }
    shell
        .iter()
        .flat_map(|s| s.lines())
        .map(str::trim)
        .filter(|l| l.starts_with("srekb "))
        .map(str::to_string)
        .collect()
}

/// GitHub expands `${{ … }}` before the shell sees the line.
fn expand_github(line: &str) -> String {
    let line = line.replace(
        "${{ steps.pages.outputs.base_url }}",
        "https://example.github.io/kb",
    );
    assert!(!line.contains("${{"), "unknown expression in {line}");
    line
}

/// A git repository with the knowledge base in docs/kb/ and one broken link.
fn repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(repo.path())
        .status()
        .expect("git is needed for this test");
    assert!(status.success());
    write(repo.path(), "README.md", "The service's code lives here.\n");
    let kb = repo.path().join("docs/kb");
    write(&kb, "site-config.toml", CONFIG);
    write(
        &kb,
        "content/_index.md",
        "+++\ntitle = \"KB\"\n+++\n\n[手順](runbook.md)\n",
    );
    write(
        &kb,
        "content/runbook.md",
        "+++\ntitle = \"手順\"\n+++\n\n# 手順\n\n[古い手順](old.md)\n",
    );
    repo
}

/// Runs one recipe line as the CI shell would, from the repository's top level.
fn sh(repo: &Path, line: &str) -> (i32, String, String) {
    let bin = assert_cmd::cargo::cargo_bin("srekb");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = assert_cmd::Command::new("sh");
    c.args(["-c", line])
        .current_dir(repo)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", TODAY_EPOCH)
        .env("GITHUB_STEP_SUMMARY", repo.join("step-summary.md"))
        .env("CI_PAGES_URL", "https://kb.example.gitlab.io");
    run(c)
}

#[test]
fn github_actions_recipe_annotates_from_the_repository_top_and_deploys_pages() {
    let r = recipe(GITHUB);
    let jobs = &r["jobs"];
    assert!(r["on"]["pull_request"].is_null() && r["on"].get("pull_request").is_some());
    let check = srekb_lines(&jobs["check"]);
    let build = srekb_lines(&jobs["build"]);
    assert_eq!(check.len(), 1, "{check:?}");
    assert_eq!(build.len(), 1, "{build:?}");
    let uses: Vec<&str> = ["build", "deploy"]
        .iter()
        .flat_map(|j| jobs[j]["steps"].as_array().unwrap())
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert!(uses
        .iter()
        .any(|u| u.starts_with("actions/upload-pages-artifact@")));
    assert!(uses.iter().any(|u| u.starts_with("actions/deploy-pages@")));

    let repo = repository();
    // With a broken link: annotations on docs/kb/…, a summary table, exit 1.
    let (code, out, err) = sh(repo.path(), &expand_github(&check[0]));
    assert_eq!(code, 1, "{out}{err}");
    let annotations: Vec<&str> = out.lines().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(annotations.len(), 1, "{out}");
    assert!(
        annotations[0].starts_with(
            "::error file=docs/kb/content/runbook.md,line=7,col=1,title=broken-link::"
        ),
        "{out}"
    );
    let summary = read(repo.path(), "step-summary.md");
    assert!(
        summary.contains("`docs/kb/content/runbook.md:7`"),
        "{summary}"
    );

    // Fixed: the check passes and the build leaves the site where the upload step
    // takes it from.
    write(
        &repo.path().join("docs/kb"),
        "content/runbook.md",
        "+++\ntitle = \"手順\"\n+++\n\n# 手順\n",
    );
    for line in check.iter().chain(&build) {
        let (code, out, err) = sh(repo.path(), &expand_github(line));
        assert_eq!(code, 0, "{line}: {out}{err}");
    }
    let upload = jobs["build"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-pages-artifact"))
        })
        .unwrap();
    let site = repo.path().join(upload["with"]["path"].as_str().unwrap());
    assert!(site.join("index.html").is_file(), "{}", site.display());
    assert!(read(&site, "sitemap.xml").contains("https://example.github.io/kb"));
}

#[test]
fn gitlab_recipe_writes_a_code_quality_report_and_pages() {
    let r = recipe(GITLAB);
    let check = srekb_lines(&r["check"]);
    let pages = srekb_lines(&r["pages"]);
    assert_eq!(check.len(), 1, "{check:?}");
    assert_eq!(pages.len(), 1, "{pages:?}");
    let report_file = r["check"]["artifacts"]["reports"]["codequality"]
        .as_str()
        .unwrap();

    let repo = repository();
    let (code, _, err) = sh(repo.path(), &check[0]);
    assert_eq!(code, 1, "{err}");
    let report: Vec<Value> = serde_json::from_str(&read(repo.path(), report_file)).unwrap();
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0]["location"]["path"], "docs/kb/content/runbook.md");
    assert_eq!(report[0]["location"]["lines"]["begin"], 7);
    assert_eq!(report[0]["check_name"], "broken-link");

    write(
        &repo.path().join("docs/kb"),
        "content/runbook.md",
        "+++\ntitle = \"手順\"\n+++\n\n# 手順\n",
    );
    for line in check.iter().chain(&pages) {
        let (code, out, err) = sh(repo.path(), line);
        assert_eq!(code, 0, "{line}: {out}{err}");
    }
    assert_eq!(read(repo.path(), report_file).trim(), "[]");
    // GitLab publishes the `public` artifact.
    let published = r["pages"]["artifacts"]["paths"][0].as_str().unwrap();
    assert!(repo.path().join(published).join("index.html").is_file());
    assert!(
        read(&repo.path().join(published), "sitemap.xml").contains("https://kb.example.gitlab.io")
    );
}
