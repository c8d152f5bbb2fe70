//! Hostile content: markup in every field a user controls must come out escaped in
//! every generated file (HTML, feeds, sitemap, JSON exports), and script URLs are
//! neutralised.

mod common;

use common::*;

const X: &str = "<script>alert(1)</script>";

fn all_files(dir: &std::path::Path) -> Vec<(String, String)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let name = e.path().to_string_lossy().into_owned();
            std::fs::read_to_string(e.path()).ok().map(|t| (name, t))
        })
        .collect()
}

#[test]
fn markup_in_every_user_field_is_escaped_everywhere() {
    let pm = format!(
        "+++\ntitle = \"{X} 障害\"\ndate = 2025-05-12\ndescription = \"{X}\"\nauthors = [\"{X}\"]\nstatus = \"in-review\"\nseverity = \"SEV2\"\nservices = [\"{X}\"]\ntags = [\"{X}\"]\nstarted_at = 2025-05-12T10:00:00+09:00\ndetected_at = 2025-05-12T10:05:00+09:00\nresolved_at = 2025-05-12T11:00:00+09:00\ncustomer_impact = \"{X}\"\nerror_budget_consumed = \"{X}\"\n[detection]\nsource = \"alert\"\nalert = \"{X}\"\n+++\n\n## サマリ\n\n{X} [link](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n## 影響\n\nx\n\n## 根本原因\n\nx\n\n## 発生要因\n\nx\n\n## 対応\n\nx\n\n## 検出\n\nx\n\n## アクションアイテム\n\n| アクション | 担当 | チケット | 状態 |\n|---|---|---|---|\n| {X} | {X} | {X} | {X} |\n\n- [ ] {X} @owner\n\n## 教訓\n\nx\n\n## タイムライン\n\n| 時刻 | 出来事 |\n|---|---|\n| 10:00 | {X} |\n| {X} | x |\n"
    );
    let site = site(&[
        ("site-config.toml", &format!("title = \"{X}\"\ndescription = \"{X}\"\n[extra]\nnote = \"{X}\"\n")),
        ("content/_index.md", &format!("+++\ntitle = \"{X}\"\n+++\n{X}\n")),
        ("content/postmortems/_index.md", &format!("+++\ntitle = \"{X}\"\n+++\n")),
        ("content/postmortems/hostile.md", &pm),
        ("content/runbooks/r.md", &format!("+++\ntitle = \"{X}\"\nservice = \"{X}\"\nalerts = [\"Ok\"]\nowner = \"{X}\"\nseverity = \"{X}\"\nlast_reviewed = 2026-11-01\n+++\n\n## 意味\n\n```bash\necho '{X}'\n```\n")),
        ("content/careers/c.md", &format!("---json\n{{\"title\": \"{X}\", \"slug\": \"c\", \"category\": \"{X}\", \"keywords\": [\"{X}\"], \"hero_image\": \"javascript:alert(1)\\\" onerror=\\\"alert(1)\", \"related_jobs\": []}}\n---\n")),
        ("content/maturity/model.toml", &format!("name = \"{X}\"\ndelegation = [\"{X}\", \"b\"]\nroles = [\"{X}\"]\n[[areas]]\nid = \"a\"\nname = \"{X}\"\nlevels = [\"{X}\", \"two\"]\ntarget_delegation = \"{X}\"\n[[teams]]\nid = \"t\"\nname = \"{X}\"\n[[responsibilities]]\nphase = \"{X}\"\nroles = [\"{X}\"]\nnote = \"{X}\"\n")),
        ("content/maturity/t/2025-01-01.md", &format!("+++\ntitle = \"{X}\"\nteam = \"t\"\ndate = 2025-01-01\nassessors = [\"{X}\"]\n[levels]\na = 1\n[delegation]\na = \"{X}\"\n[evidence]\na = \"{X}\"\n+++\n{X}\n")),
    ]);
    srekb(site.path()).arg("build").assert().success();
    let files = all_files(&site.path().join("public"));
    assert!(files.len() > 20);
    for (name, text) in &files {
        let lower = text.to_lowercase();
        assert!(
            !lower.contains("<script>alert"),
            "unescaped script in {name}"
        );
        assert!(!lower.contains("<img src=x"), "unescaped img in {name}");
        assert!(
            !lower.contains("href=\"javascript:"),
            "script URL in {name}"
        );
        assert!(!lower.contains("src=\"javascript:"), "script URL in {name}");
        assert!(
            !lower.contains("onerror=\"alert"),
            "attribute injection in {name}"
        );
        if name.ends_with(".json") {
            assert!(
                !text.contains('<'),
                "JSON exports escape < so they are safe inside HTML too: {name}"
            );
            serde_json::from_str::<serde_json::Value>(text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    // The text is still there, escaped.
    let page = read(
        &site.path().join("public"),
        "postmortems/hostile/index.html",
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let json = read(&site.path().join("public"), "postmortems.json");
    assert!(json.contains("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"));
}

#[test]
fn new_refuses_path_arguments_that_leave_content() {
    // The site sits one level down in a directory of its own, so the escapes below
    // would land in `outer` (never in a shared directory such as /tmp).
    let outer = tempfile::tempdir().unwrap();
    let site = outer.path().join("site");
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/maturity-five"),
        &site,
    );
    let outside = outer.path().join("x");
    for (kind, flag, value) in [
        ("assessment", "--team", "../../../x"),
        ("assessment", "--team", outside.to_str().unwrap()),
        ("postmortem", "--slug", "../../x"),
        ("runbook", "--slug", "/abs"),
    ] {
        let mut c = srekb(&site);
        c.args(["new", kind]);
        if kind != "assessment" {
            c.arg("t");
        }
        c.args([flag, value]);
        let (code, _, stderr) = run(c);
        assert_ne!(code, 0, "{kind} {flag} {value}: {stderr}");
        assert!(
            stderr.contains("not a plain name"),
            "{kind} {value}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!outside.exists());
    assert!(!outer.path().join("abs.md").exists());
    assert!(!std::path::Path::new("/abs.md").exists());
}

/// Whether every character is one XML 1.0 allows (`Char` production).
fn xml_chars_ok(text: &str) -> Result<(), (usize, char)> {
    match text.char_indices().find(|&(_, c)| {
        !matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
    }) {
        Some(bad) => Err(bad),
        None => Ok(()),
    }
}

#[test]
fn characters_xml_forbids_never_reach_feeds_or_sitemaps() {
    // TOML escapes: raw control characters are not allowed in TOML strings.
    let title = r"障害\uFFFE報告\uFFFF\u0001\u001b[2J";
    let kb = site(&[
        ("site-config.toml", CONFIG),
        (
            "content/postmortems/2026-01-01-x.md",
            &format!("+++\ntitle = \"{title}\"\ndate = 2026-01-01\ndescription = \"d\\uFFFE\"\n+++\n\n# x\n\nbody \u{FFFF}\n"),
        ),
        (
            "content/ペ\u{FFFE}ジ.md",
            "+++\ntitle = \"p\"\n+++\n\ntext\n",
        ),
    ]);
    let (code, _, stderr) = run({
        let mut c = srekb(kb.path());
        c.arg("build");
        c
    });
    assert_eq!(code, 0, "{stderr}");
    let public = kb.path().join("public");
    let mut checked = 0;
    for (name, text) in all_files(&public) {
        if name.ends_with(".xml") {
            assert_eq!(xml_chars_ok(&text), Ok(()), "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 3, "{checked} XML files");
    let feed = read(&public, "atom.xml");
    assert!(feed.contains("障害報告[2J"), "{feed}");
}

/// Issue 17 item 9: every diagnostic on one long line used to read the file up to its
/// line and the line up to its column, so 20k broken anchors on one line took 33 s
/// (debug) and 300k ran out of memory. Each must now carry its own small window.
#[test]
fn many_broken_anchors_on_one_line_each_get_a_small_window() {
    const N: usize = 20_000;
    let line = "[x](b.md#nowhere) ".repeat(N);
    let kb = site(&[
        ("site-config.toml", "title = \"t\"\n"),
        ("content/b.md", "# b\n\ntext\n"),
        ("content/a.md", &format!("# a\n\n{line}\n")),
    ]);
    let (code, stdout, stderr) = run({
        let mut c = srekb(kb.path());
        c.args(["check", "--format", "json"]);
        c
    });
    assert_eq!(code, 0, "anchors only warn by default: {stderr}");
    let diags: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(diags.len(), N);
    for (i, d) in diags.iter().enumerate() {
        assert_eq!(d["code"], "broken-anchor");
        assert_eq!(d["line"], 3);
        assert_eq!(d["col"], 1 + 18 * i as u64);
        let window = d["source_line"].as_str().unwrap();
        assert!(window.chars().count() <= 122, "{window}");
        assert!(window.contains("[x](b.md#nowhere)"), "{window}");
    }
    // Linear output: no diagnostic repeats the 360 KB line.
    assert!(stdout.len() < N * 400, "{} bytes", stdout.len());
}

/// 5,000 headings with the same text get ids a, a-1, … a-4999 (numbering used to
/// restart at 1 for every heading: quadratic).
#[test]
fn many_equal_headings_get_numbered_ids() {
    let body = "## a\n\n".repeat(5_000);
    let kb = site(&[
        ("site-config.toml", "title = \"t\"\n"),
        ("content/a.md", &format!("+++\ntitle = \"t\"\n+++\n{body}")),
    ]);
    let (code, _, stderr) = run({
        let mut c = srekb(kb.path());
        c.arg("build");
        c
    });
    assert_eq!(code, 0, "{stderr}");
    let html = read(&kb.path().join("public"), "a/index.html");
    assert!(html.contains("<h2 id=\"a\">"));
    assert!(html.contains("<h2 id=\"a-4999\">"));
    assert!(!html.contains("id=\"a-5000\""));
    assert_eq!(html.matches("<h2 id=\"a").count(), 5_000);
}

/// Broken anchors into a page with many headings: the ids offered as help used to
/// be sorted again for every broken anchor (10k × 10k headings: past 30 s).
#[test]
fn broken_anchors_into_a_page_with_many_headings() {
    const N: usize = 5_000;
    let headings: String = (0..N).map(|i| format!("## h{i}\n\n")).collect();
    let links = "[x](#nope) ".repeat(N);
    let kb = site(&[
        ("site-config.toml", "title = \"t\"\n"),
        ("content/a.md", &format!("# a\n\n{headings}{links}\n")),
    ]);
    let (code, stdout, stderr) = run({
        let mut c = srekb(kb.path());
        c.args(["check", "--format", "json"]);
        c
    });
    assert_eq!(code, 0, "{stderr}");
    let diags: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(diags.len(), N);
    for d in &diags {
        assert_eq!(d["code"], "broken-anchor");
        assert_eq!(
            d["help"],
            "ids there include: #h0, #h1, #h10, #h100, #h1000, #h1001, #h1002, #h1003"
        );
    }
}
