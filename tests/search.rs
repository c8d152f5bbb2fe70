//! Search from the CLI on the sample site: the query set in tests/search_queries.toml
//! (expected page in the top 10), kind filter, JSON and escaping; the shared vectors
//! (tests/search_vectors.json) over the fixture site, answered identically by
//! `srekb search` and by search.js in headless Chromium.

mod common;

use common::*;

#[derive(serde::Deserialize)]
struct Set {
    query: Vec<Q>,
}

#[derive(serde::Deserialize)]
struct Q {
    q: String,
    expect: Vec<String>,
}

/// The sample site with its search index, built once for all the tests here.
fn built_sample() -> SharedSite {
    let site = sample_copy_built_once();
    assert!(site.path().join(".srekb/index").is_dir());
    site
}

fn hits(site: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let (code, out, err) = run({
        let mut c = srekb(site);
        c.arg("search").args(args).arg("--json");
        c
    });
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Vec<serde_json::Value>>(&out).unwrap()
}

// ---- The shared vectors: query → ranked pages, count and first snippet ----

#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
struct VQuery {
    q: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    total: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    snippet: Option<String>,
}

fn vectors() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/search_vectors.json")).unwrap(),
    )
    .unwrap()
}

fn vector_queries() -> Vec<VQuery> {
    serde_json::from_value(vectors()["queries"].clone()).unwrap()
}

/// The fixture site of the vectors, built once.
fn vector_site() -> SharedSite {
    let (site, _) = build_fixture_once("search-site");
    site
}

const VECTOR_LIMIT: &str = "100";

/// What `srekb search --json` answers for a vector's query.
fn cli_answer(site: &std::path::Path, v: &VQuery) -> VQuery {
    let mut args: Vec<&str> = vec![&v.q, "--limit", VECTOR_LIMIT];
    for (flag, value) in [
        ("--kind", &v.kind),
        ("--service", &v.service),
        ("--tag", &v.tag),
    ] {
        if let Some(value) = value {
            args.push(flag);
            args.push(value);
        }
    }
    let h = hits(site, &args);
    VQuery {
        urls: h
            .iter()
            .map(|h| h["url"].as_str().unwrap().to_string())
            .collect(),
        total: h
            .first()
            .map_or(0, |h| h["total"].as_u64().unwrap() as usize),
        snippet: h
            .first()
            .map(|h| h["snippet_html"].as_str().unwrap().to_string()),
        ..v.clone()
    }
}

#[test]
fn vectors_the_cli_answers_every_shared_query_exactly() {
    let site = vector_site();
    let queries = vector_queries();
    assert!(queries.len() >= 30);
    let got: Vec<VQuery> = queries.iter().map(|v| cli_answer(site.path(), v)).collect();
    if std::env::var_os("SREKB_BLESS").is_some() {
        let mut all = vectors();
        all["queries"] = serde_json::to_value(&got).unwrap();
        std::fs::write(
            repo_root().join("tests/search_vectors.json"),
            serde_json::to_string_pretty(&all).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    for (v, g) in queries.iter().zip(&got) {
        assert_eq!(v, g, "srekb search {:?}", v.q);
    }
    // What the vectors pin, said outright.
    let find = |q: &str| queries.iter().find(|v| v.q == q).unwrap();
    assert_eq!(find("サーバー").urls, ["/docs/server-migration/"]);
    assert_eq!(find("ｻｰﾊﾞｰ").urls, find("サーバー").urls);
    assert_eq!(find("サーバ移行").urls, ["/docs/server-migration/"]);
    assert_eq!(find("レプリカ遅延").urls, ["/docs/replica-lag/"]);
    assert_eq!(find("決済が失敗").urls, ["/docs/payments/"]);
    assert_eq!(find("証明書期限切れ").urls, ["/docs/certificates/"]);
    assert_eq!(find("障害 対応").urls[0], "/docs/incident-near/");
    assert!(find("postgres")
        .urls
        .contains(&"/docs/replica-lag/".to_string()));
    assert!(find("latency")
        .urls
        .contains(&"/docs/replica-lag/".to_string()));
    assert_eq!(find("新幹線").total, 0);
    let escaped = find("比較").snippet.clone().unwrap_or_default();
    assert!(
        escaped.contains("a &lt; b &amp;&amp; c &gt; &quot;d&quot;"),
        "{escaped}"
    );
}

#[test]
fn vectors_the_browser_answers_every_shared_query_exactly() {
    let Some(b) = browser() else { return };
    let site = vector_site();
    let base = browser::static_server(&site.path().join("public"));
    b.goto(&format!("{base}/search/"));
    b.wait_for("window.srekbSearch && true", Duration::from_secs(10));
    let queries = vector_queries();
    let got = b.eval_async(&format!(
        "var done = arguments[arguments.length - 1];
         var qs = {};
         var out = [];
         (function next(i) {{
           if (i === qs.length) {{ done(out); return; }}
           var v = qs[i];
           var f = {{}};
           ['kind', 'service', 'tag'].forEach(function (k) {{ if (v[k]) {{ f[k] = v[k]; }} }});
           srekbSearch.search(v.q, f, {VECTOR_LIMIT}).then(function (ds) {{
             out.push({{ urls: ds.map(function (d) {{ return d.u; }}), total: ds.total,
                         snippet: ds.length ? ds[0].snippet_html : null }});
             next(i + 1);
           }}, function (e) {{ done(String(e)); }});
         }})(0);",
        serde_json::to_string(&queries).unwrap()
    ));
    let got = got.as_array().unwrap_or_else(|| panic!("{got}"));
    for (v, g) in queries.iter().zip(got) {
        let urls: Vec<String> = serde_json::from_value(g["urls"].clone()).unwrap();
        assert_eq!(urls, v.urls, "search.js {:?}", v.q);
        assert_eq!(g["total"].as_u64().unwrap() as usize, v.total, "{:?}", v.q);
        assert_eq!(
            g["snippet"].as_str().map(str::to_string),
            v.snippet,
            "{:?}",
            v.q
        );
    }
}

#[test]
fn every_query_of_the_set_finds_its_pages_in_the_top_ten() {
    let site = built_sample();
    let set: Set = toml::from_str(
        &std::fs::read_to_string(repo_root().join("tests/search_queries.toml")).unwrap(),
    )
    .unwrap();
    assert!(set.query.len() >= 30);
    let mut failures = Vec::new();
    for q in &set.query {
        let urls: Vec<String> = hits(site.path(), &[&q.q, "--limit", "10"])
            .iter()
            .map(|h| h["url"].as_str().unwrap().to_string())
            .collect();
        for e in &q.expect {
            if !urls.contains(e) {
                failures.push(format!("{} → missing {e} (got {urls:?})", q.q));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn compounds_match_as_phrases_not_scattered_characters() {
    let site = built_sample();
    // 新幹線 appears nowhere; its characters alone must not produce hits.
    assert!(hits(site.path(), &["新幹線"]).is_empty());
    assert!(hits(site.path(), &["ガベージコレクション"]).is_empty());
}

#[test]
fn kind_filter_limit_and_escaped_snippets() {
    let site = built_sample();
    let all = hits(site.path(), &["監視", "--limit", "50"]);
    let pm = hits(site.path(), &["監視", "--kind", "runbook", "--limit", "50"]);
    assert!(!pm.is_empty() && pm.len() < all.len());
    assert!(pm.iter().all(|h| h["kind"] == "runbook"));
    assert_eq!(hits(site.path(), &["監視", "--limit", "2"]).len(), 2);
    let h = &hits(site.path(), &["エラーバジェット"])[0];
    let snippet = h["snippet_html"].as_str().unwrap();
    assert!(
        snippet.contains("<mark>エラーバジェット</mark>"),
        "{snippet}"
    );
}

// ---- The browser: the same analyser, the same query set, typing into the page ----

use common::browser::{self, Browser};
use std::time::Duration;

fn browser() -> Option<Browser> {
    let chromium = chromium()?;
    let driver = browser::chromedriver()?;
    Some(Browser::start(&chromium, &driver))
}

#[test]
fn browser_analyser_and_query_set_agree_with_the_index() {
    let Some(b) = browser() else { return };
    let site = built_sample();
    let base = browser::static_server(&site.path().join("public"));
    b.goto(&format!("{base}/search/"));
    b.wait_for("window.srekbSearch && true", Duration::from_secs(10));

    // Shared vectors: search.js analyses exactly as the Rust analyser.
    let vectors: Vec<serde_json::Value> =
        serde_json::from_value(vectors()["analyser"].clone()).unwrap();
    let got = b.eval(&format!(
        "return {}.map(function (v) {{ return srekbSearch.terms(v.text); }});",
        serde_json::to_string(&vectors).unwrap()
    ));
    for (v, g) in vectors.iter().zip(got.as_array().unwrap()) {
        assert_eq!(&v["terms"], g, "analysing {:?}", v["text"]);
    }

    // The query set: expected pages in the browser's top ten too.
    let set: Set = toml::from_str(
        &std::fs::read_to_string(repo_root().join("tests/search_queries.toml")).unwrap(),
    )
    .unwrap();
    let queries: Vec<&str> = set.query.iter().map(|q| q.q.as_str()).collect();
    let got = b.eval_async(&format!(
        "var done = arguments[arguments.length - 1];
         Promise.all({}.map(function (q) {{
           return srekbSearch.search(q, '', 10).then(function (ds) {{ return ds.map(function (d) {{ return d.u; }}); }});
         }})).then(done, function (e) {{ done(String(e)); }});",
        serde_json::to_string(&queries).unwrap()
    ));
    let got = got.as_array().unwrap_or_else(|| panic!("{got}"));
    let mut failures = Vec::new();
    for (q, urls) in set.query.iter().zip(got) {
        let urls: Vec<&str> = urls
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap())
            .collect();
        for e in &q.expect {
            if !urls.contains(&e.as_str()) {
                failures.push(format!("{} → missing {e} (got {urls:?})", q.q));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // No scattered-character matches in the browser either.
    let none = b.eval_async(
        "var done = arguments[arguments.length - 1];
         srekbSearch.search('新幹線', '', 10).then(function (d) { done(d.length); });",
    );
    assert_eq!(none, serde_json::json!(0));
}

fn results_text(b: &Browser) -> String {
    b.eval("return document.getElementById('search-results').innerText;")
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn typing_a_japanese_query_over_http_and_from_file_urls() {
    let Some(b) = browser() else { return };
    let site = built_sample();
    let public = site.path().join("public");
    let base = browser::static_server(&public);
    let file_home = format!("file://{}/index.html", public.display());
    for home in [format!("{base}/"), file_home] {
        b.goto(&home);
        // The header box submits to the search page (Enter is U+E007 in WebDriver).
        b.type_into("#site-search-q", "障害対応\u{E007}");
        b.wait_for(
            "document.getElementById('search-results') && document.getElementById('search-results').getAttribute('data-done') === '障害対応'",
            Duration::from_secs(10),
        );
        assert!(b.url().contains("search/"), "{}", b.url());
        let text = results_text(&b);
        assert!(text.contains("SRE 入門"), "{home}: {text}");
        let marks = b.eval(
            "return Array.from(document.querySelectorAll('#search-results mark')).map(function (m) { return m.textContent; });",
        );
        assert!(
            marks.as_array().unwrap().iter().any(|m| m == "障害対応"),
            "{marks}"
        );

        // Refining on the search page: typing updates results as you type.
        let q = "#search-q";
        b.eval("document.getElementById('search-q').value = '';");
        b.type_into(q, "エラーバジェット");
        b.wait_for(
            "document.getElementById('search-results').getAttribute('data-done') === 'エラーバジェット'",
            Duration::from_secs(10),
        );
        assert!(results_text(&b).contains("エラーバジェット"));
        // The kind filter narrows to runbooks.
        b.eval(
            "var s = document.getElementById('search-kind'); s.value = 'runbook'; s.dispatchEvent(new Event('change'));",
        );
        b.wait_for(
            "location.search.indexOf('kind=runbook') >= 0 && document.getElementById('search-results').getAttribute('data-done') === 'エラーバジェット'",
            Duration::from_secs(10),
        );
        let kinds = b.eval(
            "return Array.from(document.querySelectorAll('.search-hit-meta')).map(function (m) { return m.textContent; });",
        );
        for k in kinds.as_array().unwrap() {
            assert!(k.as_str().unwrap().starts_with("ランブック"), "{kinds}");
        }
        // A result link opens its page.
        let href = b.eval("return document.querySelector('.search-hit-title').href;");
        let href = href.as_str().unwrap();
        b.goto(href);
        assert!(b.eval("return document.title;").as_str().unwrap().len() > 3);
    }
}

#[test]
fn hostile_text_stays_text_in_browser_results() {
    let Some(b) = browser() else { return };
    let site = site(&[
        ("site-config.toml", CONFIG),
        (
            "content/docs/x.md",
            "+++\ntitle = \"<img src=x onerror=alert(1)> 障害\"\n+++\n\n本文に <script>window.pwned=1</script> と 障害 の記述。\n",
        ),
    ]);
    srekb(site.path()).arg("build").assert().success();
    let base = browser::static_server(&site.path().join("public"));
    b.goto(&format!("{base}/search/?q=%E9%9A%9C%E5%AE%B3"));
    b.wait_for(
        "document.getElementById('search-results').getAttribute('data-done') === '障害'",
        Duration::from_secs(10),
    );
    let text = results_text(&b);
    assert!(text.contains("<img src=x onerror=alert(1)>"), "{text}");
    let counts = b.eval(
        "return [document.querySelectorAll('#search-results img, #search-results script').length, window.pwned || 0];",
    );
    assert_eq!(counts, serde_json::json!([0, 0]));
}

/// Pages a query typed into the header box shows on the search page, in order.
fn header_box_results(b: &Browser, home: &str, q: &str) -> Vec<String> {
    b.goto(home);
    b.type_into("#site-search-q", &format!("{q}\u{E007}"));
    b.wait_for(
        &format!(
            "document.getElementById('search-results') && document.getElementById('search-results').getAttribute('data-done') === {}",
            serde_json::to_string(q).unwrap()
        ),
        Duration::from_secs(10),
    );
    let urls = b.eval(
        "return Array.from(document.querySelectorAll('.search-hit-title')).map(function (a) { return new URL(a.href).pathname; });",
    );
    serde_json::from_value(urls).unwrap()
}

#[test]
fn header_box_finds_katakana_variants_compounds_and_english_prefixes() {
    let Some(b) = browser() else { return };
    let site = built_sample();
    let base = browser::static_server(&site.path().join("public"));
    let home = format!("{base}/");
    // サーバ移行 finds the page titled サーバー移行…, first.
    let got = header_box_results(&b, &home, "サーバ移行");
    assert_eq!(
        got.first().map(String::as_str),
        Some("/docs/server-migration/"),
        "{got:?}"
    );
    // レプリカ遅延: the text says レプリカの遅延; the runbook and the postmortem come first.
    let got = header_box_results(&b, &home, "レプリカ遅延");
    assert!(got.len() >= 2, "{got:?}");
    for want in [
        "/runbooks/postgres-replication-lag/",
        "/postmortems/2025-03-14-payments-db-replication-lag/",
    ] {
        assert!(got[..2].contains(&want.to_string()), "{got:?}");
    }
    // postgres: a prefix of PostgreSQL.
    let got = header_box_results(&b, &home, "postgres");
    assert_eq!(
        got.first().map(String::as_str),
        Some("/runbooks/postgres-replication-lag/"),
        "{got:?}"
    );
    // An SLO (the fifth kind) is found like every page.
    let got = header_box_results(&b, &home, "チェックアウト 成功率");
    assert!(
        got.iter()
            .take(3)
            .any(|u| u == "/slos/checkout-availability/"),
        "{got:?}"
    );
    // The same pages, in the same order, as `srekb search` (postgres last: the
    // keyboard checks below open its first hit).
    for q in [
        "サーバ移行",
        "レプリカ遅延",
        "チェックアウト 成功率",
        "postgres",
    ] {
        let cli: Vec<String> = hits(site.path(), &[q, "--limit", "10"])
            .iter()
            .map(|h| h["url"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(header_box_results(&b, &home, q), cli, "{q}");
    }
    // Keyboard: `/` focuses the box, ↓ selects the first hit, Enter opens it.
    b.eval("document.activeElement.blur(); document.dispatchEvent(new KeyboardEvent('keydown', { key: '/', bubbles: true }));");
    assert_eq!(
        b.eval("return document.activeElement.id;"),
        serde_json::json!("search-q")
    );
    b.type_into("#search-q", "\u{E015}");
    assert_eq!(
        b.eval(
            "return document.querySelector('.search-hit.selected a') === document.activeElement;"
        ),
        serde_json::json!(true)
    );
    b.eval("document.getElementById('search-q').focus();");
    b.type_into("#search-q", "\u{E007}");
    b.wait_for(
        "location.pathname.indexOf('/runbooks/postgres-replication-lag/') >= 0",
        Duration::from_secs(10),
    );
}

// ---- `serve`'s /api/search answers the vectors too ----

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An HTTP/1.0 GET (no chunked coding): (status, body).
fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    if s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .is_err()
    {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return (0, String::new());
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

#[test]
fn vectors_serve_answers_every_shared_query_exactly() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("tests/fixtures/search-site"), dir.path());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_srekb"))
        .arg("--root")
        .arg(dir.path())
        .args(["serve", "--port", "0"])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let port: u16 = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve printed no address");
        if let Some(url) = line.split(" at http://").nth(1) {
            let addr: std::net::SocketAddr = url.split('/').next().unwrap().parse().unwrap();
            break addr.port();
        }
    };
    let started = std::time::Instant::now();
    for v in vector_queries() {
        let mut path = format!("/api/search?limit={VECTOR_LIMIT}&q={}", percent(&v.q));
        for (k, value) in [("kind", &v.kind), ("service", &v.service), ("tag", &v.tag)] {
            if let Some(value) = value {
                path.push_str(&format!("&{k}={}", percent(value)));
            }
        }
        let body = loop {
            let (code, body) = http_get(port, &path);
            if code == 200 {
                break body;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{code} {body}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let j: serde_json::Value = serde_json::from_str(&body).unwrap();
        let hits = j["hits"].as_array().unwrap();
        let urls: Vec<&str> = hits.iter().map(|h| h["url"].as_str().unwrap()).collect();
        assert_eq!(urls, v.urls, "/api/search {:?}", v.q);
        assert_eq!(j["total"].as_u64().unwrap() as usize, v.total, "{:?}", v.q);
        assert_eq!(
            hits.first()
                .map(|h| h["snippet_html"].as_str().unwrap().to_string()),
            v.snippet,
            "{:?}",
            v.q
        );
    }
}

#[test]
fn the_search_page_counts_hits_per_tag_and_kind_and_filters_by_them() {
    let Some(b) = browser() else { return };
    let site = vector_site();
    let base = browser::static_server(&site.path().join("public"));
    let q = "確かめる";
    b.goto(&format!("{base}/search/?q={}", percent(q)));
    let done = format!(
        "document.getElementById('search-results').getAttribute('data-done') === {}",
        serde_json::to_string(q).unwrap()
    );
    b.wait_for(&done, Duration::from_secs(10));
    let options = |id: &str| -> Vec<String> {
        serde_json::from_value(b.eval(&format!(
            "return Array.from(document.getElementById('{id}').options).slice(1).map(function (o) {{ return o.textContent; }});"
        )))
        .unwrap()
    };
    assert_eq!(
        options("search-tag"),
        ["インフラ (1)", "データベース (2)", "決済 (1)", "移行 (1)"]
    );
    assert!(options("search-kind").iter().any(|o| o.ends_with("(3)")));
    b.eval(
        "var s = document.getElementById('search-tag'); s.value = 'データベース'; document.getElementById('search-results').removeAttribute('data-done'); s.dispatchEvent(new Event('change'));",
    );
    b.wait_for(&done, Duration::from_secs(10));
    let urls: Vec<String> = serde_json::from_value(b.eval(
        "return Array.from(document.querySelectorAll('.search-hit-title')).map(function (a) { return new URL(a.href).pathname; });",
    ))
    .unwrap();
    let cli: Vec<String> = hits(site.path(), &[q, "--tag", "データベース"])
        .iter()
        .map(|h| h["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls, cli);
    assert_eq!(urls.len(), 2);
    assert!(b.url().contains("tag="), "{}", b.url());
}
