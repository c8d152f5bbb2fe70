//! Command-line conventions, run on the real binary: exit codes, colour, completions,
//! man page, `--config`, search flags and broken pipes, terminal safety and bounded
//! diagnostics.

mod common;

use std::process::Stdio;

use common::*;
use predicates::prelude::*;

fn broken_site() -> tempfile::TempDir {
    site(&[
        ("site-config.toml", CONFIG),
        (
            "content/a.md",
            "+++\ntitle = \"A\"\n+++\n\n[x](nowhere.md)\n",
        ),
    ])
}

/// A site with one page per word in `titles`, built, so `search` has an index.
fn searchable(titles: &[&str]) -> tempfile::TempDir {
    let dir = site(&[("site-config.toml", CONFIG)]);
    for (i, t) in titles.iter().enumerate() {
        write(
            dir.path(),
            &format!("content/p{i}.md"),
            &format!("+++\ntitle = \"{t}\"\n+++\n\n障害対応の手順 {i} incident response\n"),
        );
    }
    srekb(dir.path()).arg("build").assert().success();
    dir
}

#[test]
fn exit_codes_separate_findings_from_failures() {
    let ok = site(&[("site-config.toml", CONFIG), ("content/a.md", "# A\n")]);
    srekb(ok.path()).arg("check").assert().code(0);
    srekb(broken_site().path()).arg("check").assert().code(1);
    // Usage errors.
    srekb(ok.path())
        .args(["check", "--no-such-flag"])
        .assert()
        .code(2);
    srekb(ok.path())
        .args(["check", "--format", "xml"])
        .assert()
        .code(2);
    // Failures that are not about the content: no index to search, a missing --config.
    srekb(ok.path())
        .args(["search", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("run `srekb build` first"));
    srekb(ok.path())
        .args(["--config", "/nonexistent/srekb.toml", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--config /nonexistent/srekb.toml: no such file",
        ));
    srekb(ok.path())
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit status: 0 ok, 1 problems"));
}

#[test]
fn colour_follows_the_flag_and_the_conventions() {
    let s = broken_site();
    let stderr = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = srekb(s.path());
        c.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        c.args(args).arg("check");
        for (k, v) in env {
            c.env(k, v);
        }
        run(c).2
    };
    let esc = |s: &str| s.contains("\x1b[");
    // Not a terminal: no colour unless forced.
    assert!(!esc(&stderr(&[], &[])));
    assert!(esc(&stderr(&[], &[("CLICOLOR_FORCE", "1")])));
    assert!(!esc(&stderr(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    // An empty NO_COLOR does not disable colour.
    assert!(esc(&stderr(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")]
    )));
    assert!(esc(&stderr(&["--color", "always"], &[("NO_COLOR", "1")])));
    assert!(!esc(&stderr(
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")]
    )));
    srekb(s.path())
        .args(["--color", "sometimes", "check"])
        .assert()
        .code(2);
}

#[test]
fn completions_and_man_page() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef srekb"),
        ("fish", "complete -c srekb"),
    ] {
        let (code, out, err) = run({
            let mut c = srekb(dir.path());
            c.args(["completions", shell]);
            c
        });
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(
            out.contains("alert-rules"),
            "{shell} completes check's flags"
        );
    }
    srekb(dir.path())
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
    let (code, out, _) = run({
        let mut c = srekb(dir.path());
        c.arg("man");
        c
    });
    assert_eq!(code, 0);
    assert!(out.starts_with(".ie") || out.contains(".TH srekb"), "{out}");
    assert!(out.contains("\\-\\-color"), "{out}");
    assert!(out.contains("completions"), "{out}");
}

#[test]
fn config_flag_reads_another_file() {
    let s = broken_site();
    let alt = s.path().join("ci-config.toml");
    std::fs::write(&alt, format!("{CONFIG}[links]\ninternal = \"warn\"\n")).unwrap();
    srekb(s.path()).arg("check").assert().code(1);
    srekb(s.path())
        .arg("--config")
        .arg(&alt)
        .arg("check")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("warning[broken-link]"));
    // Errors in it are located in it.
    std::fs::write(&alt, "title = \n").unwrap();
    srekb(s.path())
        .arg("--config")
        .arg(&alt)
        .arg("check")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("ci-config.toml:1"));
}

#[test]
fn search_flags_are_validated() {
    let s = searchable(&["障害対応"]);
    srekb(s.path())
        .args(["search", "障害", "--kind", "incident"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "possible values: page, career, postmortem, runbook, assessment, slo, section",
        ));
    for bad in ["0", "10001", "9223372036854775807", "-1"] {
        srekb(s.path())
            .args(["search", "障害", &format!("--limit={bad}")])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--limit"));
    }
    srekb(s.path())
        .args(["search", "障害", "--kind", "page", "--limit", "10000"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("障害対応"));
    srekb(s.path())
        .args(["search", "障害", "--kind", "runbook"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no results"));
}

/// A reader that has gone away: the write end of a pipe whose read end is closed, so
/// every write fails with EPIPE whatever the timing.
fn closed_pipe() -> Stdio {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe { libc::close(fds[0]) };
    Stdio::from(unsafe { OwnedFd::from_raw_fd(fds[1]) })
}

#[test]
fn search_into_a_closed_pipe_ends_quietly() {
    let titles: Vec<String> = (0..30).map(|i| format!("障害対応 {i}")).collect();
    let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
    let s = searchable(&titles);
    for json in [false, true] {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("srekb"));
        c.arg("--root")
            .arg(s.path())
            .args(["search", "障害", "--limit", "30"]);
        if json {
            c.arg("--json");
        }
        let out = c
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "json={json}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.is_empty(), "quiet: {err}");
    }
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("srekb"));
    c.arg("--root")
        .arg(s.path())
        .args(["check", "--format", "json"]);
    write(s.path(), "content/broken.md", "[x](nowhere.md)\n");
    let out = c
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn content_cannot_send_escape_sequences_to_the_terminal() {
    let s = site(&[
        ("site-config.toml", CONFIG),
        (
            "content/evil.md",
            "+++\ntitle = \"障害 \\u001b]0;owned\\u0007 \\u001b[2J\"\n+++\n\n障害 \u{1b}[31mred\u{1b}[0m 本文 \u{9b}2J\n",
        ),
    ]);
    srekb(s.path()).arg("build").assert().success();
    let (code, out, err) = run({
        let mut c = srekb(s.path());
        c.args(["search", "障害"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains('\x1b') && !out.contains('\x07') && !out.contains('\u{9b}'),
        "{out:?}"
    );
    assert!(out.contains("\\x1b]0;owned\\x07"), "{out}");
    // JSON stays JSON: the title comes back exactly.
    let (_, json, _) = run({
        let mut c = srekb(s.path());
        c.args(["search", "障害", "--json"]);
        c
    });
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["title"], "障害 \u{1b}]0;owned\u{7} \u{1b}[2J");
    // Diagnostics quoting a hostile line.
    write(
        s.path(),
        "content/bad.md",
        "\u{1b}]52;c;ZXZpbA==\u{7} [x](x\u{1b}[2J.md) [y](nowhere.md)\n",
    );
    for args in [&["check"][..], &["check", "--format", "github"], &["build"]] {
        let (code, out, err) = run({
            let mut c = srekb(s.path());
            c.args(args);
            c
        });
        assert_eq!(code, 1, "{args:?}");
        for text in [&out, &err] {
            assert!(
                !text.contains('\x1b') && !text.contains('\x07'),
                "{args:?}: {text:?}"
            );
        }
        if args.len() == 1 {
            // Human output quotes the line, escaped.
            assert!(
                err.contains("| \\x1b]52;c;ZXZpbA==\\x07 [x]"),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn five_thousand_broken_anchors_on_one_long_line_print_a_bounded_report() {
    let line: String = (0..5000).map(|i| format!("[a](#m{i:04})")).collect();
    assert_eq!(line.len(), 55_000);
    let s = site(&[
        ("site-config.toml", CONFIG),
        ("content/long.md", &format!("# Long\n\n{line}\n")),
    ]);
    let (_, _, err) = run({
        let mut c = srekb(s.path());
        c.arg("check");
        c
    });
    assert!(err.len() < 20_000, "{} bytes of diagnostics", err.len());
    assert_eq!(err.matches("[broken-anchor]").count(), 20, "{err}");
    assert!(err.contains("… and 4980 more `broken-anchor`"), "{err}");
    assert!(err.contains("anchors = \"warn\""), "{err}");
    // Each quoted line is a window around its anchor, cut with …
    assert!(
        err.contains("…[a](#m0019)") || err.contains("[a](#m0019)"),
        "{err}"
    );
    let (_, json, _) = run({
        let mut c = srekb(s.path());
        c.args(["check", "--format", "json"]);
        c
    });
    let v: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(v.len(), 5000);
    for d in &v {
        let src = d["source_line"].as_str().unwrap();
        assert!(src.chars().count() <= 122, "{src}");
    }
    let last = v[4999]["source_line"].as_str().unwrap();
    assert!(last.starts_with('…') && last.contains("#m4999"), "{last}");
    assert!(json.len() < 3_000_000, "{} bytes of JSON", json.len());
}

#[test]
fn github_format_writes_a_step_summary_and_a_total() {
    let s = broken_site();
    let summary = s.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let (code, out, _) = run({
        let mut c = srekb(s.path());
        c.args(["check", "--format", "github"]);
        c.env("GITHUB_STEP_SUMMARY", &summary);
        c
    });
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("::notice title=srekb check::"),
        "{out}"
    );
    let table = read(s.path(), "summary.md");
    assert!(table.starts_with("earlier step\n## srekb check"), "{table}");
    assert!(
        table.contains("| `broken-link` | error | 1 | `content/a.md:5` |"),
        "{table}"
    );
}

#[test]
fn gitlab_format_is_a_code_quality_report() {
    let s = broken_site();
    let (code, out, _) = run({
        let mut c = srekb(s.path());
        c.args(["check", "--format", "gitlab"]);
        c
    });
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["check_name"], "broken-link");
    assert_eq!(v[0]["location"]["path"], "content/a.md");
    assert_eq!(v[0]["location"]["lines"]["begin"], 5);
    assert_eq!(v[0]["severity"], "major");
}
