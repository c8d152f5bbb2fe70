//! Browser helpers: a plain static file server (what any static host does) and a
//! minimal WebDriver client for Debian's chromedriver, enough to type into pages.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Serves `root` on a free loopback port from a background thread; returns the base URL.
pub fn static_server(root: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || serve_one(stream, &root));
        }
    });
    format!("http://{addr}")
}

fn serve_one(mut stream: TcpStream, root: &Path) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode(path);
    let mut file: PathBuf = root.to_path_buf();
    for part in decoded.split('/').filter(|p| !p.is_empty()) {
        if part == ".." {
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        file.push(part);
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let (status, body) = match std::fs::read(&file) {
        Ok(b) => ("200 OK", b),
        Err(_) => ("404 Not Found", b"not found".to_vec()),
    };
    let ctype = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("xml") => "application/xml",
        _ => "application/octet-stream",
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Debian's chromedriver, when installed (in CI its absence is a failure).
pub fn chromedriver() -> Option<PathBuf> {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join("chromedriver");
        if p.is_file() {
            return Some(p);
        }
    }
    assert!(
        !super::in_ci(),
        "chromedriver is not installed; under CI .ci/run installs it"
    );
    super::skipped("needs ChromeDriver (apt-get install chromium-driver)");
    None
}

/// One headless Chromium driven over WebDriver; quits on drop.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting to chromedriver");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).unwrap();
    // Read the head, then exactly Content-Length bytes (the driver may keep the
    // connection open), or chunks.
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let lower = head.to_ascii_lowercase();
    let payload = if let Some(len) = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).unwrap();
        String::from_utf8_lossy(&body).into_owned()
    } else {
        let mut rest = String::new();
        reader.read_to_string(&mut rest).unwrap();
        if lower.contains("transfer-encoding: chunked") {
            dechunk(&rest)
        } else {
            rest
        }
    };
    let text = format!("{head}{payload}");
    serde_json::from_str(&payload).unwrap_or_else(|e| panic!("bad WebDriver reply {e}: {text}"))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// Starts chromedriver on a free port. ChromeDriver cannot report a port it chose
/// itself, so a port is picked and released first; if another process takes it in
/// between, the driver exits ("port not available") or `/status` is not a driver's,
/// and a fresh port is tried.
fn spawn_driver(chromedriver: &Path) -> (Child, u16) {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let t = Instant::now();
        let ready = loop {
            if driver.try_wait().ok().flatten().is_some() {
                break false;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let status = std::panic::catch_unwind(|| http(port, "GET", "/status", None));
                break matches!(status, Ok(v) if v["value"]["ready"].is_boolean());
            }
            if t.elapsed() > Duration::from_secs(20) {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("chromedriver did not start within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if ready {
            return (driver, port);
        }
        let _ = driver.kill();
        let _ = driver.wait();
    }
    panic!("chromedriver could not get a free port in 5 tries");
}

impl Browser {
    pub fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        let (driver, port) = spawn_driver(chromedriver);
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-background-networking",
                         "--allow-file-access-from-files",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        // Until the session exists, a panic must not leave the driver (and its
        // browser) running.
        struct Guard(Option<Child>);
        impl Drop for Guard {
            fn drop(&mut self) {
                if let Some(mut c) = self.0.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
        }
        let mut guard = Guard(Some(driver));
        let reply = http(port, "POST", "/session", Some(&caps));
        let session = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {reply}"))
            .to_string();
        Browser {
            driver: guard.0.take().expect("driver"),
            port,
            session,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let reply = http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        );
        if reply["value"]["error"].is_string() {
            panic!("WebDriver {method} {path}: {}", reply["value"]);
        }
        reply["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Sets the window (in headless Chromium, the viewport) to `width` × `height`.
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap().to_string()
    }

    /// The element id of the first match of a CSS selector.
    pub fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap()
            .to_string()
    }

    /// Types `text` into the element (WebDriver key events, one per character).
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs `script` (a function body) with `args` as `arguments`; returns its value.
    pub fn call_script(&self, script: &str, args: &[Value]) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs `script` with a callback as its last argument; returns what it passed.
    pub fn eval_async(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Evaluates `script` (an expression) until it is truthy; returns its value.
    pub fn wait_for(&self, script: &str, timeout: Duration) -> Value {
        let t = Instant::now();
        loop {
            // Errors while a page navigates count as "not yet".
            let reply = http(
                self.port,
                "POST",
                &format!("/session/{}/execute/sync", self.session),
                Some(&json!({"script": format!("return ({script});"), "args": []})),
            );
            let v = reply["value"].clone();
            let failed = v["error"].is_string();
            if !(failed || v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            if t.elapsed() > timeout {
                let html = self.eval("return document.body ? document.body.innerHTML : ''");
                panic!("timed out waiting for {script}; page: {html}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            http(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            )
        }));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
