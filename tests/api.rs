//! Issue 16: the library's small API (everything else is `pub(crate)`): `check`,
//! `build` and `search` on a fixture site, as a program embedding srekb would call them.

mod common;

use srekb::{BuildOptions, OutputMode};

#[test]
fn check_build_and_search_through_the_api() {
    let dir = common::fixture("handbook-ja");
    let root = dir.path().to_path_buf();

    let report = srekb::check(root.clone()).expect("check runs");
    assert!(report.ok, "{:?}", report.diagnostics);
    assert!(report.pages_by_kind.values().sum::<usize>() > 0);
    assert!(report.memory.is_none());

    let out = root.join("public");
    let report = srekb::build(&BuildOptions::new(
        root.clone(),
        OutputMode::Dir(out.clone()),
    ))
    .expect("build runs");
    assert!(report.ok, "{:?}", report.diagnostics);
    assert!(out.join("index.html").is_file());
    let names: Vec<&str> = report.steps.iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"kinds") && names.contains(&"render"),
        "{names:?}"
    );

    let found =
        srekb::search(&root, "ハンドブック", &srekb::Filters::default(), 5).expect("search runs");
    assert!(
        !found.hits.is_empty(),
        "no hits for ハンドブック in the handbook fixture"
    );
    assert!(found.hits.len() <= 5 && found.total >= found.hits.len());
}

#[test]
fn check_reports_problems_with_their_place() {
    let dir = common::site(&[
        (
            "site-config.toml",
            "title = \"t\"\nbase_url = \"https://example.org\"\n",
        ),
        ("content/a.md", "+++\ntitle = 1\n+++\nbody\n"),
    ]);
    let report = srekb::check(dir.path().to_path_buf()).expect("check runs");
    assert!(!report.ok);
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.severity == srekb::Severity::Error)
        .expect("an error");
    assert!(format!("{d:?}").contains("a.md"), "{d:?}");
}

/// Issue 20: `srekb build -v` prints every stage of the driver in order with its
/// wall and CPU time.
#[test]
fn build_verbose_lists_each_stage_with_wall_and_cpu_time() {
    let dir = common::fixture("handbook-ja");
    let (code, _out, err) = common::run({
        let mut c = common::srekb(dir.path());
        c.args(["build", "-v"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    let stages: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(" ms wall ") && l.contains(" ms CPU"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let want = [
        "config",
        "theme",
        "load",
        "import",
        "kinds",
        "markdown",
        "links",
        "taxonomies",
        "render",
        "outputs",
        "feeds",
        "commit",
        "search-index",
    ];
    let mut at = 0;
    for w in want {
        let i = stages[at..]
            .iter()
            .position(|s| *s == w)
            .unwrap_or_else(|| panic!("stage {w} missing or out of order in {stages:?}"));
        at += i + 1;
    }
}
