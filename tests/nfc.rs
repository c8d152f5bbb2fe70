//! File names in decomposed Unicode (NFD, as macOS writes them) publish at the composed
//! (NFC) URL, links in either form find them, and NFC/NFD twins are a `duplicate-path`.

mod common;

use common::*;

/// ポストモーテム with ポ decomposed (ホ + U+309A).
const PM_NFD: &str = "\u{30DB}\u{309A}ストモーテム";
const PM_NFC: &str = "ポストモーテム";
/// データ with デ decomposed (テ + U+3099), used as a directory.
const DATA_NFD: &str = "\u{30C6}\u{3099}ータ";
const DATA_NFC: &str = "データ";

fn page(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n\n{body}\n")
}

#[test]
fn decomposed_file_and_directory_names_publish_at_composed_urls() {
    assert_ne!(PM_NFD, PM_NFC, "the test needs two different spellings");
    let nfd_file = format!("content/{DATA_NFD}/{PM_NFD}.md");
    let site = site(&[
        ("site-config.toml", CONFIG),
        (&nfd_file, &page("振り返り", "本文")),
    ]);
    srekb(site.path()).arg("build").assert().success();
    let public = site.path().join("public");
    assert!(
        public
            .join(DATA_NFC)
            .join(PM_NFC)
            .join("index.html")
            .is_file(),
        "no page at the NFC URL"
    );
    assert!(
        !public.join(DATA_NFD).exists(),
        "an NFD directory was published"
    );
    let sitemap = read(&public, "sitemap.xml");
    let encoded_nfc = slug_url(&format!("{DATA_NFC}/{PM_NFC}/"));
    assert!(sitemap.contains(&encoded_nfc), "{sitemap}");
    assert!(!sitemap.contains(&slug_url(DATA_NFD)), "{sitemap}");
}

#[test]
fn links_in_either_form_resolve_to_a_decomposed_file() {
    let site = site(&[
        ("site-config.toml", CONFIG),
        (
            &format!("content/notes/{PM_NFD}.md"),
            &page("振り返り", "本文"),
        ),
        (
            &format!("content/notes/{DATA_NFC}.md"),
            &page("データ", "本文"),
        ),
        (
            "content/notes/index-page.md",
            &page(
                "目次",
                &format!(
                    "[file]({PM_NFC}.md) [zola](@/notes/{PM_NFC}.md) [site](/notes/{PM_NFC}/) \
                     [nfd-to-nfc]({DATA_NFD}.md)"
                ),
            ),
        ),
    ]);
    let (code, _out, err) = build(&site);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("broken-link"), "{err}");
    let html = read(site.path(), "public/notes/index-page/index.html");
    let pm = slug_url(PM_NFC);
    assert_eq!(
        html.matches(&format!("href=\"../../notes/{pm}/\"")).count(),
        3,
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"../../notes/{}/\"", slug_url(DATA_NFC))),
        "{html}"
    );
}

#[test]
fn composed_and_decomposed_twins_are_a_duplicate_path_naming_both() {
    let site = site(&[
        ("site-config.toml", CONFIG),
        (&format!("content/notes/{PM_NFD}.md"), &page("一", "a")),
        (&format!("content/notes/{PM_NFC}.md"), &page("二", "b")),
        (&format!("content/{DATA_NFD}/a.md"), &page("三", "c")),
        (&format!("content/{DATA_NFC}/b.md"), &page("四", "d")),
    ]);
    let (code, _out, err) = build(&site);
    assert_ne!(code, 0, "{err}");
    assert_eq!(err.matches("error[duplicate-path]").count(), 2, "{err}");
    for name in [
        format!("notes/{PM_NFD}.md"),
        format!("notes/{PM_NFC}.md"),
        DATA_NFD.to_string(),
        DATA_NFC.to_string(),
    ] {
        assert!(err.contains(&name), "{name:?} not named in:\n{err}");
    }
    assert!(err.contains("NFD") && err.contains("NFC"), "{err}");
    assert!(!site.path().join("public").exists(), "half output written");
}

fn build(site: &tempfile::TempDir) -> (i32, String, String) {
    let mut cmd = srekb(site.path());
    cmd.arg("build");
    run(cmd)
}

/// Percent-encoded form of a site path, as hrefs and the sitemap spell it.
fn slug_url(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_./".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
