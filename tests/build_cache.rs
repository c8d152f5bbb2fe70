//! The persistent build cache (`.srekb/cache/`): after every kind of edit, a build
//! that uses the cache leaves exactly the files of a clean `--no-cache` build, byte
//! for byte; unchanged files are hard links to the previous output's, which a build
//! never writes through; `srekb search` answers as after a clean build (the index is
//! updated document by document); a damaged cache is ignored with a warning.

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use tempfile::TempDir;

/// The bundled sample site (every kind, alert rules, a maturity model, OpenSLO files).
fn sample_site() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_root();
    for d in ["content", "alerts"] {
        copy_dir(&repo.join(d), &dir.path().join(d));
    }
    fs::copy(
        repo.join("site-config.toml"),
        dir.path().join("site-config.toml"),
    )
    .unwrap();
    dir
}

/// Every file under `dir` (relative path → bytes), besides kept entries.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (
                rel.to_string_lossy().replace('\\', "/"),
                fs::read(e.path()).unwrap(),
            )
        })
        .filter(|(rel, _)| !rel.starts_with(".git/") && rel != "CNAME")
        .collect()
}

#[cfg(unix)]
fn inode(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(p).unwrap().ino()
}

struct Site {
    dir: TempDir,
    clean: TempDir,
}

impl Site {
    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn public(&self) -> PathBuf {
        self.root().join("public")
    }

    /// `srekb -v build` with the cache; returns stderr (stage lines, warnings).
    fn build(&self) -> String {
        let (code, out, err) = run({
            let mut c = srekb(self.root());
            c.args(["-v", "build"]);
            c
        });
        assert_eq!(code, 0, "build failed:\n{out}\n{err}");
        err
    }

    /// Builds with the cache and compares with a clean build of the same content.
    /// Returns whether the cached build was a scoped one (it linked the rest).
    fn build_and_compare(&self, what: &str) -> bool {
        scoped(&self.compare(what, self.build()))
    }

    /// `srekb search --json` answers over the index under `.srekb/index/`.
    fn answers(&self) -> Vec<String> {
        ["追記", "CoreDNS", "DNS", "証明書", "レプリケーション 遅延"]
            .iter()
            .map(|q| {
                let (_, out, err) = run({
                    let mut c = srekb(self.root());
                    c.args(["search", "--json", "--limit", "100", q]);
                    c
                });
                format!("{out}{err}")
            })
            .collect()
    }

    /// Compares the output, and the search index's answers, with a clean build of
    /// the same content; returns `log`.
    fn compare(&self, what: &str, log: String) -> String {
        let answers = self.answers();
        // The clean build writes the index anew (it keeps an index whose content is
        // the same, which this one claims to be).
        let index = self.root().join(".srekb/index");
        fs::rename(&index, self.clean.path().join("index")).unwrap();
        let clean = self.clean.path().join("out");
        srekb(self.root())
            .args(["build", "--no-cache", "--output"])
            .arg(&clean)
            .assert()
            .success();
        let (got, want) = (tree(&self.public()), tree(&clean));
        let names = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&got), names(&want), "{what}: the files differ");
        for (rel, bytes) in &want {
            assert!(
                got[rel] == *bytes,
                "{what}: {rel} differs from a clean build"
            );
        }
        assert_eq!(answers, self.answers(), "{what}: search answers differ");
        // The next build goes on from the updated index.
        fs::remove_dir_all(&index).unwrap();
        fs::rename(self.clean.path().join("index"), &index).unwrap();
        log
    }

    fn edit(&self, rel: &str, f: impl FnOnce(String) -> String) {
        let path = self.root().join(rel);
        let text = fs::read_to_string(&path).unwrap();
        let new = f(text.clone());
        assert_ne!(text, new, "the edit of {rel} changes nothing");
        fs::write(path, new).unwrap();
    }
}

/// Whether a build's `-v` log shows a scoped build (it linked the unchanged files).
fn scoped(log: &str) -> bool {
    log.lines().any(|l| l.trim_start().starts_with("link "))
}

/// The number of documents the build analysed for the browser's search export.
fn analysed(log: &str) -> usize {
    let line = log
        .lines()
        .find(|l| l.contains("search export:"))
        .unwrap_or_else(|| panic!("no search export line:\n{log}"));
    let (_, rest) = line.split_once('(').unwrap();
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

fn new_site() -> Site {
    let s = Site {
        dir: sample_site(),
        clean: tempfile::tempdir().unwrap(),
    };
    assert!(!s.build_and_compare("first build"), "a first build is full");
    s
}

#[test]
fn cached_builds_equal_clean_builds_after_every_kind_of_edit() {
    let s = new_site();
    let runbook = "content/runbooks/coredns-errors.md";
    let page = |p: &Path| p.join("runbooks/coredns-errors/index.html");
    let untouched = |p: &Path| p.join("docs/sre-primer/index.html");

    // Nothing changed: nothing rendered, everything linked.
    let before = inode(&untouched(&s.public()));
    assert!(
        s.build_and_compare("no change"),
        "an unchanged site is scoped"
    );
    assert_eq!(inode(&untouched(&s.public())), before, "not linked");

    // A body edit: only what shows the runbook is rendered; the other files are
    // hard links to the previous output's, and the page's old file (still held by a
    // link elsewhere, as a web server might) keeps its old bytes.
    let held = s.clean.path().join("held.html");
    fs::hard_link(page(&s.public()), &held).unwrap();
    let old = fs::read(&held).unwrap();
    s.edit(runbook, |t| {
        t.replace("## 影響", "## 影響\n\n追記した段落。\n")
    });
    let log = s.compare("body edit", s.build());
    assert!(scoped(&log), "a body edit is scoped");
    // The search export analysed the edited page alone (its new words are found:
    // `answers` asks for 追記).
    assert_eq!(analysed(&log), 1, "{log}");
    assert_eq!(fs::read(&held).unwrap(), old, "wrote through a hard link");
    assert_ne!(fs::read(page(&s.public())).unwrap(), old);
    assert_eq!(inode(&untouched(&s.public())), before);

    // Bodies of a postmortem, a section index and the home page.
    for rel in [
        "content/postmortems/2025-05-20-tv-traffic-surge.md",
        "content/runbooks/_index.md",
        "content/_index.md",
        "content/slos/checkout-availability.md",
        "content/maturity/payments/2026-06-15.md",
    ] {
        s.edit(rel, |t| format!("{t}\n\n末尾に追記した段落。\n"));
        let log = s.compare(rel, s.build());
        assert!(scoped(&log), "{rel}: a body edit is scoped");
        assert_eq!(analysed(&log), 1, "{rel}: {log}");
    }

    // Title and front matter.
    s.edit(runbook, |t| {
        t.replace("CoreDNS のエラー増加", "CoreDNS のエラー急増")
    });
    s.build_and_compare("title edit");
    s.edit(runbook, |t| t.replace("\"DNS\"]", "\"DNS\", \"名前解決\"]"));
    s.build_and_compare("tag edit");

    // Rename, deletion, a new page.
    fs::rename(
        s.root().join(runbook),
        s.root().join("content/runbooks/coredns-servfail.md"),
    )
    .unwrap();
    s.build_and_compare("rename");
    fs::remove_file(s.root().join("content/docs/server-migration.md")).unwrap();
    s.build_and_compare("deletion");
    write(
        s.root(),
        "content/docs/new-page.md",
        "+++\ntitle = \"新しいページ\"\ntags = [\"DNS\"]\n+++\n\n本文。\n",
    );
    s.build_and_compare("new page");

    // The config, a static file, a theme file, an alert rule file.
    s.edit("site-config.toml", |t| {
        t.replace("SRE ナレッジベース", "SRE ナレッジ")
    });
    s.build_and_compare("config edit");
    write(s.root(), "static/extra.txt", "one");
    s.build_and_compare("new static file");
    write(s.root(), "static/extra.txt", "two");
    s.build_and_compare("static file edit");
    write(
        s.root(),
        "themes/default/i18n/ja.toml",
        &fs::read_to_string(repo_root().join("themes/default/i18n/ja.toml"))
            .unwrap()
            .replacen("= \"", "= \"≫", 1),
    );
    s.build_and_compare("theme edit");
    s.edit("alerts/rules.yml", |t| format!("{t}\n# a comment\n"));
    s.build_and_compare("alert rules edit");

    // The last output edited by hand: found, and built anew.
    fs::write(untouched(&s.public()), "changed by hand").unwrap();
    s.edit("content/docs/sre-primer.md", |t| format!("{t}\n追記。\n"));
    assert!(
        !s.build_and_compare("edited output"),
        "an output changed since the last build is not reused"
    );
}

#[test]
fn a_damaged_cache_is_ignored_with_a_warning() {
    let s = new_site();
    let cache = s.root().join(".srekb/cache");
    let files: Vec<PathBuf> = fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    assert!(files.len() >= 2, "{files:?}");
    for f in &files {
        let mut bytes = fs::read(f).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x55;
        fs::write(f, bytes).unwrap();
    }
    s.edit("content/docs/sre-primer.md", |t| format!("{t}\n追記。\n"));
    let log = s.compare("damaged cache", s.build());
    assert!(log.contains("damaged"), "{log}");
    assert!(!scoped(&log), "a damaged manifest gives a full build");
    // The next build is scoped again.
    s.edit("content/docs/sre-primer.md", |t| {
        format!("{t}\nもう一度。\n")
    });
    assert!(s.build_and_compare("after a damaged cache"));

    // Garbage, and an empty file.
    for f in &files {
        fs::write(f, b"not a cache at all").unwrap();
    }
    fs::write(cache.join("manifest.bin"), b"").unwrap();
    s.edit("content/docs/sre-primer.md", |t| format!("{t}\n三度目。\n"));
    let log = s.compare("garbage cache", s.build());
    assert!(log.contains("not a srekb cache"), "{log}");
    assert!(!scoped(&log));
    assert!(s.build_and_compare("after garbage"));
}
