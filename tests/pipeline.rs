//! The site pipeline, end to end: the real binary on fixture sites.

mod common;

use std::fs;

use common::*;
use predicates::prelude::*;

#[test]
fn all_front_matter_formats_build() {
    let site = fixture("formats");
    srekb(site.path()).arg("build").assert().success();
    let p = site.path().join("public");
    for (file, title) in [
        ("docs/toml-page/index.html", "TOML page"),
        ("docs/yaml-page/index.html", "YAML page"),
        ("docs/json-page/index.html", "JSON page"),
        ("docs/bare-json/index.html", "Bare JSON page"),
        (
            "docs/no-front-matter/index.html",
            "Title from the first heading",
        ),
    ] {
        let html = fs::read_to_string(p.join(file)).unwrap();
        assert!(
            html.contains(&format!("<h1 id=\"page-title\">{title}</h1>")),
            "{file}"
        );
    }
    let toml = read(&p, "docs/toml-page/index.html");
    // Relative .md links become relative page URLs, anchors included.
    assert!(
        toml.contains("href=\"../../docs/yaml-page/#yaml-heading\""),
        "{toml}"
    );
    assert!(toml.contains("href=\"../../docs/json-page/\""));
    // Tags link to term pages; a Japanese term is percent-encoded in the href.
    assert!(toml.contains("href=\"../../tags/%E5%85%B1%E9%80%9A/\""));
    let term = read(&p, "tags/共通/index.html");
    for t in ["TOML page", "YAML page", "Bare JSON page"] {
        assert!(term.contains(t), "{t} missing from the 共通 tag page");
    }
    // Site-absolute links are made relative too.
    assert!(read(&p, "docs/yaml-page/index.html").contains("href=\"../../docs/toml-page/\""));
    // English UI strings and dates.
    assert!(toml.contains("<html lang=\"en\">"));
    assert!(toml.contains("May 12, 2025"));
}

#[test]
fn every_site_file_is_written() {
    let site = fixture("formats");
    srekb(site.path()).arg("build").assert().success();
    let p = site.path().join("public");
    for f in [
        "index.html",
        "404.html",
        "sitemap.xml",
        "atom.xml",
        "robots.txt",
        "docs/index.html",
        "docs/atom.xml",
        "tags/index.html",
    ] {
        assert!(p.join(f).is_file(), "{f} missing");
    }
    let sitemap = read(&p, "sitemap.xml");
    assert!(
        sitemap.contains(
            "<loc>http://127.0.0.1:1111/docs/toml-page/</loc><lastmod>2025-05-12</lastmod>"
        ),
        "{sitemap}"
    );
    let atom = read(&p, "atom.xml");
    assert!(atom.contains("<title>YAML page</title>"));
    assert!(atom.contains("<published>2025-05-13T09:30:00+09:00</published>"));
    // Fingerprinted assets, referenced relatively.
    let index = read(&p, "index.html");
    let css = fs::read_dir(p.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("style.") && n.ends_with(".css"))
        .unwrap();
    assert!(index.contains(&format!("href=\"assets/{css}\"")), "{index}");
    assert!(
        read(&p, &format!("assets/{css}")).contains(".hl-"),
        "syntax CSS appended"
    );
}

#[test]
fn seed_career_guide_and_blog_post_build() {
    let Some([career, blog]) = seeds(["000_", "003_"]) else {
        return;
    };
    let site = site(&[
        ("site-config.toml", CONFIG),
        ("content/careers/sre.md", &career),
        ("content/blog/to-sre.md", &blog),
    ]);
    srekb(site.path()).arg("build").assert().success();
    let p = site.path().join("public");
    // JSON front matter: slug, title, tags, meta description.
    let career = read(&p, "careers/site_reliability_engineer/index.html");
    assert!(career
        .contains("<h1 id=\"page-title\">サービスの安定稼働を支える信頼性エンジニアリング</h1>"));
    assert!(career.contains(
        "<meta name=\"description\" content=\"ソフトウェアエンジニアリングの手法を用いて"
    ));
    for tag in ["Kubernetes", "Prometheus", "インフラ自動化"] {
        assert!(career.contains(&format!(">{tag}</a>")), "tag {tag}");
    }
    // Headings with emoji and Japanese keep readable ids, and are in the toc.
    assert!(
        career.contains("id=\"1-site-reliability-engineerとは\""),
        "heading id"
    );
    assert!(
        career.contains("<a href=\"#2-主な業務\">2️⃣ 主な業務</a>"),
        "toc entry"
    );
    // The tables render.
    assert!(
        career.contains("<th>質問</th>")
            || career.contains("<th style=\"text-align: left\">質問</th>")
    );
    // TOML front matter with a string date and a `slug`.
    let blog = read(&p, "blog/to-sre/index.html");
    assert!(blog.contains("バックエンドエンジニアからSREに転向しました"));
    assert!(blog.contains("2021年11月29日"));
    assert!(blog.contains("id=\"sreへの転向\""));
    assert!(blog.contains("<br>"), "<br> is kept as a line break");
    assert!(!blog.contains("&lt;!--more--&gt;"));
    assert!(read(&p, "tags/sre/index.html").contains("バックエンドエンジニアからSREに転向しました"));
}

#[test]
fn broken_link_fails_with_location_and_keeps_previous_output() {
    let site = fixture("formats");
    srekb(site.path()).arg("build").assert().success();
    let before = read(&site.path().join("public"), "docs/toml-page/index.html");
    write(site.path(), "content/docs/broken.md", "+++\ntitle = \"Broken\"\n+++\n\n本文\n\n[手順](../runbooks/missing.md) と [見出し](toml-page.md#no-such-heading)\n");
    srekb(site.path())
        .arg("build")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("content/docs/broken.md:7:1"))
        .stderr(predicate::str::contains(
            "broken link `../runbooks/missing.md`",
        ))
        .stderr(predicate::str::contains("content/docs/broken.md:7:32"))
        .stderr(predicate::str::contains(
            "anchor `#no-such-heading` does not exist",
        ));
    // The previous good build is untouched, and no staging directory is left.
    assert_eq!(
        read(&site.path().join("public"), "docs/toml-page/index.html"),
        before
    );
    assert!(!site.path().join("public/docs/broken").exists());
    let leftovers: Vec<_> = fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| {
            let n = n.to_string_lossy();
            n.contains("srekb-staging") || n.contains("srekb-old")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn malformed_front_matter_fails_with_location_and_all_errors_are_reported() {
    let site = fixture("formats");
    srekb(site.path()).arg("build").assert().success();
    write(
        site.path(),
        "content/docs/bad-toml.md",
        "+++\ntitle = \"x\"\ndate = \n+++\nbody\n",
    );
    write(
        site.path(),
        "content/docs/bad-yaml.md",
        "---\ntitle: [unclosed\n---\n",
    );
    write(
        site.path(),
        "content/docs/bad-date.md",
        "---\ntitle: ok\ndate: 2025-13-45\n---\n",
    );
    write(
        site.path(),
        "content/docs/unterminated.md",
        "+++\ntitle = \"never closed\"\n",
    );
    let (code, _, stderr) = run({
        let mut c = srekb(site.path());
        c.arg("build");
        c
    });
    assert_eq!(code, 1);
    for loc in [
        "content/docs/bad-toml.md:3:",
        // The unclosed bracket itself (serde_norway pointed past the end, at 3:1).
        "content/docs/bad-yaml.md:2:8",
        "content/docs/bad-date.md:3:1",
        "content/docs/unterminated.md:1:1",
    ] {
        assert!(stderr.contains(loc), "{loc} missing in\n{stderr}");
    }
    assert!(stderr.contains("4 errors"), "{stderr}");
    assert!(site
        .path()
        .join("public/docs/toml-page/index.html")
        .exists());
    assert!(!site.path().join("public/docs/bad-date").exists());
}

#[test]
fn theme_override_wins_over_embedded_template() {
    let site = fixture("formats");
    write(
        site.path(),
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block content %}<p class=\"overridden\">{{ page.title }}</p>{% endblock content %}",
    );
    srekb(site.path()).arg("build").assert().success();
    let html = read(&site.path().join("public"), "docs/toml-page/index.html");
    assert!(
        html.contains("<p class=\"overridden\">TOML page</p>"),
        "{html}"
    );
    // Templates not overridden still come from the embedded theme.
    assert!(read(&site.path().join("public"), "docs/index.html").contains("page-list"));
}

#[test]
fn template_syntax_error_in_override_is_located() {
    let site = fixture("formats");
    write(
        site.path(),
        "themes/default/templates/page.html",
        "ok\n{% if %}\n",
    );
    srekb(site.path())
        .arg("build")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "themes/default/templates/page.html:2:",
        ));
}

#[test]
fn check_writes_nothing_and_speaks_three_formats() {
    let site = fixture("formats");
    srekb(site.path()).arg("check").assert().success();
    assert!(!site.path().join("public").exists());
    write(site.path(), "content/docs/broken.md", "[x](nowhere.md)\n");
    let (code, out, _) = run({
        let mut c = srekb(site.path());
        c.args(["check", "--format", "json"]);
        c
    });
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["code"], "broken-link");
    assert_eq!(v[0]["file"], "content/docs/broken.md");
    assert_eq!(v[0]["line"], 1);
    assert_eq!(v[0]["col"], 1);
    srekb(site.path())
        .args(["check", "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "::error file=content/docs/broken.md,line=1,col=1,title=broken-link::",
        ));
    assert!(!site.path().join("public").exists());
}

#[test]
fn strict_check_fails_on_warnings() {
    let site = site(&[
        ("site-config.toml", "[links]\ninternal = \"warn\"\n"),
        ("content/a.md", "[x](nowhere.md)\n"),
    ]);
    srekb(site.path()).arg("check").assert().success();
    srekb(site.path())
        .args(["check", "--strict"])
        .assert()
        .code(1);
}

#[test]
fn new_page_scaffolds_and_never_overwrites() {
    let site = site(&[("site-config.toml", CONFIG), ("content/_index.md", "")]);
    srekb(site.path())
        .args(["new", "page", "docs/foo.md", "オンボーディング"])
        .assert()
        .success();
    let text = read(site.path(), "content/docs/foo.md");
    assert!(text.contains("title = \"オンボーディング\""));
    srekb(site.path()).arg("build").assert().success();
    fs::write(site.path().join("content/docs/foo.md"), "edited").unwrap();
    srekb(site.path())
        .args(["new", "page", "docs/foo.md", "again"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(read(site.path(), "content/docs/foo.md"), "edited");
}

#[test]
fn init_creates_a_knowledge_base_that_checks_clean_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    let mut c = assert_cmd::Command::cargo_bin("srekb").unwrap();
    c.env("SOURCE_DATE_EPOCH", TODAY_EPOCH);
    c.arg("init").arg(&kb).assert().success();
    assert!(kb.join("site-config.toml").is_file());
    assert!(kb.join(".gitignore").is_file());
    srekb(&kb).args(["check", "--strict"]).assert().success();
    srekb(&kb).arg("build").assert().success();
    fs::write(kb.join("content/_index.md"), "mine").unwrap();
    let mut c = assert_cmd::Command::cargo_bin("srekb").unwrap();
    c.arg("init")
        .arg(&kb)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("never overwrites"));
    assert_eq!(
        fs::read_to_string(kb.join("content/_index.md")).unwrap(),
        "mine"
    );
}

#[test]
fn missing_config_is_a_clear_error() {
    let site = site(&[("content/a.md", "# A\n")]);
    srekb(site.path())
        .arg("build")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no site-config.toml"));
}

#[test]
fn drafts_only_with_flag() {
    let site = site(&[
        ("site-config.toml", CONFIG),
        (
            "content/docs/d.md",
            "+++\ntitle = \"Draft\"\ndraft = true\n+++\n",
        ),
    ]);
    srekb(site.path()).arg("build").assert().success();
    assert!(!site.path().join("public/docs/d").exists());
    srekb(site.path())
        .args(["build", "--drafts"])
        .assert()
        .success();
    assert!(site.path().join("public/docs/d/index.html").exists());
}

#[test]
fn sample_site_builds_with_zero_warnings() {
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run({
        let mut c = srekb(&repo_root());
        c.arg("build")
            .arg("--output")
            .arg(out.path().join("public"));
        c
    });
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(" 0 errors, 0 warnings"),
        "{stdout}\n{stderr}"
    );
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn invalid_utf8_names_the_file_and_line() {
    let site = site(&[("site-config.toml", CONFIG), ("content/ok.md", "# ok\n")]);
    fs::write(
        site.path().join("content/sjis.md"),
        b"# title\n\x93\xfa\x96\x7b\n",
    )
    .unwrap();
    srekb(site.path())
        .arg("check")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("content/sjis.md:2:1"))
        .stderr(predicate::str::contains("not valid UTF-8"));
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_refused_and_loops_reported() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.md"), "# secret\n").unwrap();
    let site = site(&[("site-config.toml", CONFIG), ("content/ok.md", "# ok\n")]);
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        site.path().join("content/leak.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        site.path().join("content"),
        site.path().join("content/loop"),
    )
    .unwrap();
    let (code, _, stderr) = run({
        let mut c = srekb(site.path());
        c.arg("build");
        c
    });
    assert_eq!(code, 1);
    assert!(
        stderr.contains("content/leak.md") && stderr.contains("outside content/"),
        "{stderr}"
    );
    assert!(stderr.contains("symlink loop"), "{stderr}");
    assert!(!site.path().join("public").exists());
}

#[test]
fn crlf_and_bom_files_build() {
    let site = site(&[
        ("site-config.toml", CONFIG),
        (
            "content/win.md",
            "\u{feff}+++\r\ntitle = \"Windows\"\r\n+++\r\n\r\n## 見出し\r\n\r\n本文\r\n",
        ),
    ]);
    srekb(site.path()).arg("build").assert().success();
    let html = read(&site.path().join("public"), "win/index.html");
    assert!(html.contains("<h1 id=\"page-title\">Windows</h1>"));
    assert!(html.contains("id=\"見出し\""));
}

#[test]
fn a_translated_handbook_builds_with_anchor_warnings_and_fails_on_a_missing_page() {
    let site = fixture("handbook-ja");
    let (code, _, stderr) = run({
        let mut c = srekb(site.path());
        c.arg("build");
        c
    });
    assert_eq!(code, 0, "{stderr}");
    // English anchors on translated headings: warnings under their own code.
    for (file, anchor) in [
        ("content/guide/_index.md", "#getting-started"),
        ("content/guide/_index.md", "#installation"),
        ("content/guide/start.md", "#configuration"),
        ("content/guide/start.md", "#overview"),
        ("content/guide/setup.md", "#prerequisites"),
    ] {
        assert!(stderr.contains(file), "{file}: {stderr}");
        assert!(
            stderr.contains(&format!("anchor `{anchor}`")),
            "{anchor}: {stderr}"
        );
    }
    assert!(stderr.contains("broken-anchor"), "{stderr}");
    assert!(!stderr.contains("broken-link"), "{stderr}");
    assert!(site.path().join("public/guide/start/index.html").is_file());

    // `anchors = "error"` makes them fail the build again; "ignore" silences them.
    let config = read(site.path(), "site-config.toml");
    write(
        site.path(),
        "site-config.toml",
        &format!("{config}[links]\nanchors = \"error\"\n"),
    );
    srekb(site.path()).arg("build").assert().code(1);
    write(
        site.path(),
        "site-config.toml",
        &format!("{config}[links]\nanchors = \"ignore\"\n"),
    );
    let (code, _, stderr) = run({
        let mut c = srekb(site.path());
        c.arg("build");
        c
    });
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("broken-anchor"), "{stderr}");

    // One genuinely missing page still fails the build.
    write(site.path(), "site-config.toml", &config);
    write(
        site.path(),
        "content/guide/faq.md",
        "+++\ntitle = \"よくある質問\"\n+++\n\n[廃止されたページ](legacy.md) を参照。\n",
    );
    let (code, _, stderr) = run({
        let mut c = srekb(site.path());
        c.arg("build");
        c
    });
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("content/guide/faq.md:5:1"), "{stderr}");
    assert!(stderr.contains("broken link `legacy.md`"), "{stderr}");
}
