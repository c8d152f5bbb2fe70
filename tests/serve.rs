//! `srekb serve`: the real binary on the port it picks (`--port 0`) with a temporary
//! site; files are edited, added, renamed and deleted while an event-stream client
//! listens; HTTP behaviour (ETag, gzip, HEAD, types, traversal, slow clients).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::*;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &Path) -> Server {
    start_with(root, &[])
}

/// Starts `serve --port 0` and reads the bound port from its "Serving … at" line.
fn start_with(root: &Path, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_srekb"))
        .args(["--root"])
        .arg(root)
        .args(["serve", "--port", "0"])
        .env("SOURCE_DATE_EPOCH", TODAY_EPOCH)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut server = Server { child, port: 0 };
    let t = Instant::now();
    while server.port == 0 {
        let left = Duration::from_secs(30).saturating_sub(t.elapsed());
        let line = rx.recv_timeout(left).expect("serve printed no address");
        if let Some(url) = line.split(" at http://").nth(1) {
            let addr = url.split('/').next().unwrap();
            let addr: std::net::SocketAddr = addr.parse().unwrap();
            server.port = addr.port();
        }
    }
    assert_eq!(
        get(server.port, "/").0,
        200,
        "serve answers once it printed"
    );
    server
}

/// A raw GET: (status, body). Status 0 when the connection failed.
fn get(port: u16, path: &str) -> (u16, String) {
    let r = request(port, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n"));
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends a request head (without the final blank line; `Connection: close` is
/// added) and reads the whole response, undoing chunked transfer coding.
fn request(port: u16, head: &str) -> Response {
    let failed = Response {
        status: 0,
        headers: Vec::new(),
        body: Vec::new(),
    };
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return failed;
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!("{head}Connection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return failed;
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return failed;
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if resp.header("transfer-encoding") == Some("chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = out;
    }
    Response { body, ..resp }
}

/// Connects to the event stream; events arrive as "name data" strings.
fn events(port: u16) -> Receiver<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /__srekb/events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(s);
        let mut name = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            let l = line.trim_end().to_string();
            line.clear();
            if let Some(n) = l.strip_prefix("event: ") {
                name = n.to_string();
            } else if let Some(d) = l.strip_prefix("data: ") {
                if tx.send(format!("{name} {d}")).is_err() {
                    return;
                }
            }
        }
    });
    // Give the server a moment to register the subscriber.
    std::thread::sleep(Duration::from_millis(100));
    rx
}

fn next_event(rx: &Receiver<String>) -> String {
    rx.recv_timeout(Duration::from_secs(15))
        .expect("no event within 15 s")
}

const PAGE_A: &str = "+++\ntitle = \"ページA\"\ntags = [\"監視\"]\n+++\n\n最初の本文。\n";

fn serve_site() -> tempfile::TempDir {
    site(&[
        ("site-config.toml", CONFIG),
        (
            "content/docs/_index.md",
            "+++\ntitle = \"ドキュメント\"\n+++\n",
        ),
        ("content/docs/a.md", PAGE_A),
        ("static/extra.css", "body { color: black; }\n"),
    ])
}

#[test]
fn edits_additions_renames_and_deletions_reload_and_leave_no_stale_pages() {
    let dir = serve_site();
    let root = dir.path();
    let srv = start(root);
    let rx = events(srv.port);

    // Edit a page's body: only its pages are rebuilt, the browser reloads.
    write(
        root,
        "content/docs/a.md",
        &PAGE_A.replace("最初の本文", "二番目の本文"),
    );
    assert_eq!(next_event(&rx), "reload {}");
    let (code, html) = get(srv.port, "/docs/a/");
    assert_eq!(code, 200);
    assert!(html.contains("二番目の本文"), "{html}");
    assert!(html.contains("/__srekb/events"), "live script injected");

    // Add a page: it appears, and so does its entry in the section list.
    write(
        root,
        "content/docs/b.md",
        "+++\ntitle = \"ページB\"\n+++\n\n追加した本文。\n",
    );
    assert_eq!(next_event(&rx), "reload {}");
    assert_eq!(get(srv.port, "/docs/b/").0, 200);
    assert!(get(srv.port, "/docs/").1.contains("ページB"));

    // Rename it: the old URL is gone, the new one served.
    std::fs::rename(
        root.join("content/docs/b.md"),
        root.join("content/docs/c.md"),
    )
    .unwrap();
    assert_eq!(next_event(&rx), "reload {}");
    assert_eq!(get(srv.port, "/docs/b/").0, 404);
    assert_eq!(get(srv.port, "/docs/c/").0, 200);

    // Delete it: nothing left behind, not even in the section list.
    std::fs::remove_file(root.join("content/docs/c.md")).unwrap();
    assert_eq!(next_event(&rx), "reload {}");
    assert_eq!(get(srv.port, "/docs/c/").0, 404);
    assert!(!get(srv.port, "/docs/").1.contains("ページB"));

    // An editor that saves through a temporary file and a rename.
    let tmp = root.join("content/docs/.a.md.tmp");
    std::fs::write(&tmp, PAGE_A.replace("最初の本文", "三番目の本文")).unwrap();
    std::fs::rename(&tmp, root.join("content/docs/a.md")).unwrap();
    assert_eq!(next_event(&rx), "reload {}");
    assert!(get(srv.port, "/docs/a/").1.contains("三番目の本文"));

    // A CSS change swaps the stylesheet without a reload.
    write(root, "static/extra.css", "body { color: navy; }\n");
    let e = next_event(&rx);
    assert!(e.starts_with("css \"/assets/style."), "{e}");
    assert!(get(srv.port, "/extra.css").1.contains("navy"));
}

#[test]
fn a_bad_edit_shows_an_error_and_keeps_the_last_good_site() {
    let dir = serve_site();
    let root = dir.path();
    let srv = start(root);
    let rx = events(srv.port);

    write(
        root,
        "content/docs/a.md",
        "+++\ntitle = \"ページA\"\ndate = \"not a date\"\n+++\n\n壊れた本文。\n",
    );
    let e = next_event(&rx);
    assert!(e.starts_with("build-error "), "{e}");
    assert!(e.contains("content/docs/a.md:3"), "{e}");
    let (code, html) = get(srv.port, "/docs/a/");
    assert_eq!(code, 200);
    assert!(
        html.contains("最初の本文"),
        "the last good page is still served"
    );
    // A page opened now learns about the error at once.
    let late = events(srv.port);
    assert!(next_event(&late).starts_with("build-error "));

    // Fixing the file clears it.
    write(
        root,
        "content/docs/a.md",
        &PAGE_A.replace("最初の本文", "直した本文"),
    );
    assert_eq!(next_event(&rx), "reload {}");
    assert!(get(srv.port, "/docs/a/").1.contains("直した本文"));

    // A broken link is an error too, reported with its line.
    write(
        root,
        "content/docs/a.md",
        &format!("{PAGE_A}\n[壊れたリンク](missing.md)\n"),
    );
    let e = next_event(&rx);
    assert!(e.contains("content/docs/a.md:8:1"), "{e}");
}

#[test]
fn paths_outside_the_site_are_refused() {
    let dir = serve_site();
    let root = dir.path();
    std::fs::write(root.join("secret.txt"), "top secret").unwrap();
    let srv = start(root);
    for path in [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/docs/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "/%00",
    ] {
        let (code, body) = get(srv.port, path);
        assert!(code == 403 || code == 404, "{path} → {code}");
        assert!(!body.contains("top secret"), "{path}");
    }
    // The site itself is only what was built: sources are not served.
    for path in ["/site-config.toml", "/content/docs/a.md", "/secret.txt"] {
        assert_eq!(get(srv.port, path).0, 404, "{path}");
    }
}

#[test]
fn files_have_etags_304s_gzip_head_and_their_types() {
    let dir = serve_site();
    let root = dir.path();
    write(root, "static/a..b.html", "<p>two dots inside a name</p>\n");
    write(
        root,
        "static/img/dot.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    );
    let srv = start(root);
    let port = srv.port;

    // A name with `..` inside is an ordinary file.
    let r = request(port, "GET /a..b.html HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("two dots inside"));

    // A page: its type, a strong ETag, and a 304 for a request that has it.
    let page = request(port, "GET /docs/a/ HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let etag = page.header("etag").unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
        "{etag}"
    );
    assert_eq!(
        page.header("content-length"),
        Some(page.body.len().to_string().as_str())
    );
    let again = request(
        port,
        &format!("GET /docs/a/ HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\n"),
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let other = request(
        port,
        "GET /docs/a/ HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"0000\"\r\n",
    );
    assert_eq!(other.status, 200);

    // HEAD: the same head, no body.
    let head = request(port, "HEAD /docs/a/ HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(head.header("content-length"), page.header("content-length"));

    // gzip for text when asked for, under its own validator.
    let gz = request(
        port,
        "GET /docs/a/ HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n",
    );
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.body[..2], [0x1f, 0x8b], "a gzip stream");
    assert!(
        gz.body.len() < page.body.len() / 2,
        "{} of {}",
        gz.body.len(),
        page.body.len()
    );
    let gz_etag = gz.header("etag").unwrap().to_string();
    assert_eq!(gz_etag, format!("{}-gzip\"", etag.trim_end_matches('"')));
    let gz_again = request(
        port,
        &format!("GET /docs/a/ HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nIf-None-Match: {gz_etag}\r\n"),
    );
    assert_eq!(gz_again.status, 304);

    // Types from the table.
    let css = request(port, "GET /extra.css HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let svg = request(port, "GET /img/dot.svg HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(
        svg.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    let post = request(
        port,
        "POST /docs/a/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n",
    );
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));

    // After an edit the old validator no longer matches.
    let rx = events(port);
    write(
        root,
        "content/docs/a.md",
        &PAGE_A.replace("最初の本文", "変えた本文"),
    );
    assert_eq!(next_event(&rx), "reload {}");
    let changed = request(
        port,
        &format!("GET /docs/a/ HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\n"),
    );
    assert_eq!(changed.status, 200);
    assert!(String::from_utf8_lossy(&changed.body).contains("変えた本文"));
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

/// Issue 17 item 7: hundreds of connections that are idle or trickle a request one
/// byte at a time neither block a normal request nor outlive the header deadline.
#[test]
fn slow_and_idle_clients_cannot_starve_others() {
    let dir = serve_site();
    let srv = start_with(dir.path(), &[("SREKB_SERVE_HEADER_TIMEOUT_MS", "1000")]);
    let port = srv.port;
    // An open page's event stream is a response in progress, not an idle connection.
    let rx = events(port);
    let mut slow: Vec<TcpStream> = (0..600)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let req = b"GET /docs/a/ HTTP/1.1\r\nHost: x\r\n\r\n";
    let started = Instant::now();
    // Ten rounds over two seconds: every other connection sends one more byte, and a
    // normal request is answered at once each time.
    for round in 0..10 {
        for c in slow.iter_mut().step_by(2) {
            let _ = c.write_all(&req[round..round + 1]);
        }
        let t = Instant::now();
        assert_eq!(get(port, "/docs/a/").0, 200, "round {round}");
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "round {round}: {:?}",
            t.elapsed()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The deadline (1 s) has passed for all of them, trickling or not: the server has
    // closed every one (a closed socket reads as end-of-file or a reset).
    if let Some(left) = (started + Duration::from_secs(3)).checked_duration_since(Instant::now()) {
        std::thread::sleep(left);
    }
    let mut open = 0;
    for c in &mut slow {
        c.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 1024];
        loop {
            match c.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    open += 1;
                    break;
                }
                Err(_) => break,
            }
        }
    }
    assert_eq!(open, 0, "connections still open after the header deadline");
    assert_eq!(get(port, "/docs/a/").0, 200);
    write(
        dir.path(),
        "content/docs/a.md",
        &PAGE_A.replace("最初の本文", "遅い接続の後の本文"),
    );
    assert_eq!(
        next_event(&rx),
        "reload {}",
        "the event stream outlived the deadline"
    );
}

#[test]
fn api_search_answers_from_the_live_index() {
    let dir = serve_site();
    let root = dir.path();
    let srv = start(root);
    let find = |q: &str| -> Vec<String> {
        let t = Instant::now();
        loop {
            let (code, body) = get(srv.port, &format!("/api/search?q={q}"));
            if code == 200 {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                return v["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h["url"].as_str().unwrap().to_string())
                    .collect();
            }
            assert!(t.elapsed() < Duration::from_secs(10), "{code} {body}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    // 最初 (percent-encoded)
    assert_eq!(find("%E6%9C%80%E5%88%9D"), ["/docs/a/"]);
    let rx = events(srv.port);
    write(
        root,
        "content/docs/new.md",
        "+++\ntitle = \"新しいページ\"\n+++\n\nカナリアリリースの手順。\n",
    );
    assert_eq!(next_event(&rx), "reload {}");
    // カナリア: the index follows the edit shortly after the reload.
    let t = Instant::now();
    while find("%E3%82%AB%E3%83%8A%E3%83%AA%E3%82%A2") != ["/docs/new/"] {
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The incremental path must produce exactly what a full build produces.
#[test]
fn a_scoped_rebuild_equals_a_full_build() {
    use srekb::{build, BuildCache, BuildOptions, OutputMode};
    use std::collections::HashMap;
    use std::sync::Arc;
    std::env::set_var("SOURCE_DATE_EPOCH", TODAY_EPOCH);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["content", "alerts"] {
        copy_dir(&repo_root().join(d), &root.join(d));
    }
    std::fs::copy(
        repo_root().join("site-config.toml"),
        root.join("site-config.toml"),
    )
    .unwrap();
    let cache = Arc::new(BuildCache::default());
    let opts = |changed: Option<Vec<std::path::PathBuf>>| BuildOptions {
        cache: Some(cache.clone()),
        changed,
        web_index: false,
        ..BuildOptions::new(root.to_path_buf(), OutputMode::Memory)
    };
    let first = build(&opts(None)).unwrap();
    assert!(first.ok && !first.scoped);
    let mut files: HashMap<String, Vec<u8>> = first.memory.unwrap();

    // Body edits: a postmortem's action item is done (its card, the postmortem index,
    // the open-items page and the report depend on it) and a page's text.
    let pm = root.join("content/postmortems/2026-11-05-checkout-payment-timeouts.md");
    let text = std::fs::read_to_string(&pm).unwrap();
    let done = text.replace("| PAY-341 | open |", "| PAY-341 | done |");
    assert_ne!(done, text);
    std::fs::write(&pm, done).unwrap();
    let primer = root.join("content/docs/sre-primer.md");
    let text = std::fs::read_to_string(&primer).unwrap();
    std::fs::write(&primer, text.replace("障害対応", "インシデント対応")).unwrap();
    let changed = vec![
        std::path::PathBuf::from("content/postmortems/2026-11-05-checkout-payment-timeouts.md"),
        std::path::PathBuf::from("content/docs/sre-primer.md"),
    ];
    let second = build(&opts(Some(changed))).unwrap();
    assert!(
        second.ok && second.scoped,
        "a body edit renders only its dependants"
    );
    let rendered = second.memory.unwrap();
    assert!(
        rendered.len() < files.len() / 2,
        "{} of {}",
        rendered.len(),
        files.len()
    );
    files.extend(rendered);

    let full = build(&BuildOptions {
        web_index: false,
        ..BuildOptions::new(root.to_path_buf(), OutputMode::Memory)
    })
    .unwrap()
    .memory
    .unwrap();
    let mut differ: Vec<&String> = full
        .iter()
        .filter(|(k, v)| files.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    differ.sort();
    assert!(
        differ.is_empty(),
        "stale after the scoped rebuild: {differ:?}"
    );
    assert_eq!(files.len(), full.len());
}

/// In a real browser: the page reloads by itself, a CSS edit swaps the stylesheet
/// without reloading, a bad edit shows the overlay and fixing it clears it.
#[test]
fn the_browser_reloads_swaps_css_and_shows_errors() {
    use common::browser::{chromedriver, Browser};
    let (Some(chromium), Some(driver)) = (chromium(), chromedriver()) else {
        return;
    };
    let dir = serve_site();
    let root = dir.path();
    let srv = start(root);
    let b = Browser::start(&chromium, &driver);
    let long = Duration::from_secs(15);
    b.goto(&format!("http://127.0.0.1:{}/docs/a/", srv.port));
    b.wait_for(
        "window.srekbEvents && document.body.innerText.indexOf('最初の本文') >= 0",
        long,
    );
    b.eval("window.marker = 1;");
    // Give the page's event stream a moment to connect.
    std::thread::sleep(Duration::from_millis(300));

    write(
        root,
        "content/docs/a.md",
        &PAGE_A.replace("最初の本文", "ブラウザで見る本文"),
    );
    b.wait_for(
        "window.marker === undefined && document.body.innerText.indexOf('ブラウザで見る本文') >= 0",
        long,
    );

    b.eval("window.marker = 2;");
    std::thread::sleep(Duration::from_millis(300));
    write(root, "static/extra.css", "body { color: teal; }\n");
    b.wait_for("window.srekbEvents.indexOf('css') >= 0", long);
    assert_eq!(
        b.eval("return window.marker;"),
        serde_json::json!(2),
        "no reload for CSS"
    );

    write(
        root,
        "content/docs/a.md",
        "+++\ntitle = \"ページA\"\ndate = 12\n+++\n\n壊れた本文。\n",
    );
    let overlay = b.wait_for(
        "document.getElementById('srekb-overlay') && document.getElementById('srekb-overlay').textContent",
        long,
    );
    let overlay = overlay.as_str().unwrap();
    assert!(overlay.contains("content/docs/a.md:3"), "{overlay}");
    // In the site's language, on an opaque background (no page text shows through).
    assert!(
        overlay.starts_with("srekb: ビルドに失敗しました"),
        "{overlay}"
    );
    assert_eq!(
        b.eval(
            "return getComputedStyle(document.getElementById('srekb-overlay')).backgroundColor;"
        ),
        serde_json::json!("rgb(24, 16, 16)")
    );
    assert!(
        b.eval("return document.body.innerText;")
            .as_str()
            .unwrap()
            .contains("ブラウザで見る本文"),
        "the last good page stays under the overlay"
    );

    write(
        root,
        "content/docs/a.md",
        &PAGE_A.replace("最初の本文", "直った本文"),
    );
    b.wait_for(
        "!document.getElementById('srekb-overlay') && document.body.innerText.indexOf('直った本文') >= 0",
        long,
    );
}

/// Percent-encodes what a request line cannot carry as is (non-ASCII, spaces).
fn url_path(key: &str) -> String {
    let mut s = String::from("/");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// `serve` after a series of edits (body edits taken the scoped way, a title change,
/// a page added and one removed, a failed build fixed by editing another file)
/// serves byte for byte what a freshly started `serve` serves, for every file a
/// fresh build has; removed pages are gone.
#[test]
fn served_files_after_edits_equal_a_fresh_serve() {
    use srekb::{build, BuildOptions, OutputMode};
    std::env::set_var("SOURCE_DATE_EPOCH", TODAY_EPOCH);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["content", "alerts", "static"] {
        if repo_root().join(d).is_dir() {
            copy_dir(&repo_root().join(d), &root.join(d));
        }
    }
    // Broken anchors fail the build, so a failed build can be fixed from another file.
    let config = std::fs::read_to_string(repo_root().join("site-config.toml")).unwrap();
    let config = config.replace("[links]\n", "[links]\nanchors = \"error\"\n");
    assert!(config.contains("anchors = \"error\""));
    std::fs::write(root.join("site-config.toml"), config).unwrap();
    let srv = start(root);
    let rx = events(srv.port);
    let edit = |rel: &str, from: &str, to: &str| {
        let p = root.join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        let new = text.replacen(from, to, 1);
        assert_ne!(new, text, "{rel}: `{from}` not found");
        std::fs::write(&p, new).unwrap();
    };
    let reload = |what: &str| {
        let e = next_event(&rx);
        assert_eq!(e, "reload {}", "after {what}");
    };

    // Body edits (scoped): a postmortem's action item, a page's text.
    let pm = "content/postmortems/2026-11-05-checkout-payment-timeouts.md";
    edit(pm, "| PAY-341 | open |", "| PAY-341 | done |");
    reload("a postmortem body edit");
    edit("content/docs/sre-primer.md", "障害対応", "インシデント対応");
    reload("a page body edit");
    // A title: the site's shape changes (lists, navigation).
    let primer = std::fs::read_to_string(root.join("content/docs/sre-primer.md")).unwrap();
    let title = primer
        .lines()
        .find(|l| l.starts_with("title"))
        .expect("the primer has a title")
        .to_string();
    edit(
        "content/docs/sre-primer.md",
        &title,
        "title = \"SRE 入門（改訂版）\"",
    );
    reload("a title change");
    // A page added, then one removed.
    write(
        root,
        "content/docs/added-during-serve.md",
        "+++\ntitle = \"追加したページ\"\ntags = [\"監視\"]\n+++\n\n## 追加した節\n\n本文。\n",
    );
    reload("a page added");
    std::fs::remove_file(root.join("content/docs/server-migration.md")).unwrap();
    reload("a page removed");
    // A body edit whose link is broken fails; adding the anchor in the other page
    // fixes it, and the first page's edit is published with it.
    edit(
        "content/docs/added-during-serve.md",
        "本文。",
        "本文。[入門の新しい節](sre-primer.md#new-section) を参照。",
    );
    let e = next_event(&rx);
    assert!(e.starts_with("build-error"), "{e}");
    let primer = std::fs::read_to_string(root.join("content/docs/sre-primer.md")).unwrap();
    std::fs::write(
        root.join("content/docs/sre-primer.md"),
        format!("{primer}\n## 新しい節 {{#new-section}}\n\n追記。\n"),
    )
    .unwrap();
    reload("the fix in another file");

    let fresh_build = build(&BuildOptions {
        web_index: false,
        ..BuildOptions::new(root.to_path_buf(), OutputMode::Memory)
    })
    .unwrap();
    assert!(fresh_build.ok);
    let keys: Vec<String> = fresh_build.memory.unwrap().into_keys().collect();
    assert!(keys
        .iter()
        .any(|k| k.starts_with("docs/added-during-serve/")));
    let fresh = start(root);
    let mut differ = Vec::new();
    for k in &keys {
        let path = url_path(k);
        let (a, b) = (get(srv.port, &path), get(fresh.port, &path));
        assert_eq!(b.0, 200, "{path} from the fresh serve");
        if a != b {
            differ.push(k.clone());
        }
    }
    differ.sort();
    assert!(differ.is_empty(), "differ from a fresh serve: {differ:?}");
    assert_eq!(get(srv.port, "/docs/server-migration/").0, 404);
    let page = get(srv.port, "/docs/added-during-serve/").1;
    assert!(
        page.contains("入門の新しい節"),
        "the failed build's edit is published"
    );
}
