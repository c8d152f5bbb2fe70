//! `srekb serve` under edits: on generated knowledge bases of 1,000 and 10,000 pages
//! (`SREKB_BENCH_PAGES=1000,30000` for others), 50 saves of one page, each timed from
//! the write to the `reload` event on the event stream, then 20 more while four
//! client threads keep requesting pages. Prints p50/p95/max latency, the request
//! counts, and the median wall time of each build stage of the quiet rebuilds.
//!
//!     cargo bench --bench serve
//!
//! `SREKB_BENCH_BIN=/path/to/srekb` times another build of srekb (to compare two
//! versions under the same load); `SREKB_BENCH_DIR` is where the sites are generated
//! (a temporary directory by default).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn bin() -> String {
    std::env::var("SREKB_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_srekb").to_string())
}

fn get(port: u16, path: &str) -> u16 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return 0;
    }
    let mut raw = Vec::new();
    if s.read_to_end(&mut raw).is_err() {
        return 0;
    }
    let text = String::from_utf8_lossy(&raw[..raw.len().min(64)]).into_owned();
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len());
    sorted[i - 1]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let counts: Vec<usize> = std::env::var("SREKB_BENCH_PAGES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("SREKB_BENCH_PAGES: page counts, comma-separated")
        })
        .collect();
    for pages in counts {
        run(pages);
    }
}

/// Stage name → wall milliseconds of each rebuild, from serve's `SREKB_TIMINGS` lines.
type StageLog = Arc<Mutex<BTreeMap<String, Vec<f64>>>>;

/// Reads one `SREKB_TIMINGS` line (`  load   12.3 ms wall   20.1 ms CPU  (1.6 cores)`)
/// or serve's summary (`… rebuilt its pages in 41 ms (10000 pages)`).
fn stage_of(line: &str) -> Option<(String, f64)> {
    if let Some((_, rest)) = line.split_once("rebuilt its pages in ") {
        let ms = rest.split_whitespace().next()?.parse().ok()?;
        return Some(("(serve: whole rebuild)".into(), ms));
    }
    let mut words = line.split_whitespace();
    let name = words.next()?;
    let ms: f64 = words.next()?.parse().ok()?;
    (words.next()? == "ms" && words.next()? == "wall").then(|| (name.to_string(), ms))
}

fn run(pages: usize) {
    let dir = match std::env::var_os("SREKB_BENCH_DIR") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            tempfile::tempdir_in(d).unwrap()
        }
        None => tempfile::tempdir().unwrap(),
    };
    let root = dir.path().join("kb");
    let ok = Command::new(bin())
        .args([
            "dev",
            "gen-corpus",
            "--pages",
            &pages.to_string(),
            "--seed",
            "1",
            "--out",
        ])
        .arg(&root)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    // `--port 0`: the server picks the port and prints it.
    let mut child = Command::new(bin())
        .arg("--root")
        .arg(&root)
        .args(["serve", "--port", "0"])
        .env("SREKB_TIMINGS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = loop {
        let line = lines
            .next()
            .expect("serve exited before printing its address")
            .unwrap();
        if let Some(url) = line.split(" at http://").nth(1) {
            let addr: std::net::SocketAddr = url.split('/').next().unwrap().parse().unwrap();
            break addr.port();
        }
    };
    // Keep draining its output so it never blocks on a full pipe; note the stages.
    let stages: StageLog = Arc::default();
    let log = stages.clone();
    let recording = Arc::new(AtomicBool::new(false));
    let on = recording.clone();
    std::thread::spawn(move || {
        for line in lines.by_ref().map_while(Result::ok) {
            if let (true, Some((name, ms))) = (on.load(Ordering::Relaxed), stage_of(&line)) {
                log.lock().unwrap().entry(name).or_default().push(ms);
            }
        }
    });
    assert_eq!(get(port, "/"), 200);
    let served = t.elapsed().as_secs_f64();
    // The live search index is built after the first build, on other threads; the
    // saves are timed once it is ready (503 until then), as in a writing session.
    while get(port, "/api/search?q=a") == 503 {
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "serve: {pages} pages, first build and start {served:.2} s, search index ready at {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // The event stream.
    let (tx, rx) = channel::<(Instant, String)>();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /__srekb/events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::spawn(move || {
        let mut r = BufReader::new(s);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(name) = line.trim_end().strip_prefix("event: ") {
                if tx.send((Instant::now(), name.to_string())).is_err() {
                    return;
                }
            }
            line.clear();
        }
    });
    std::thread::sleep(Duration::from_millis(200));

    // Readers: four threads requesting pages for the whole run.
    let docs: Vec<String> = std::fs::read_dir(root.join("content/docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "_index.md")
        .collect::<Vec<_>>()
        .iter()
        .take(50)
        .map(|p| format!("/docs/{}/", p.file_stem().unwrap().to_string_lossy()))
        .collect();
    let page = root
        .join(format!("content{}", docs[0].trim_end_matches('/')))
        .with_extension("md");
    let original = std::fs::read_to_string(&page).unwrap();
    let mut counter = 0;
    let mut edits = |n: usize| -> Vec<f64> {
        let mut lat = Vec::new();
        for _ in 0..n {
            counter += 1;
            while rx.try_recv().is_ok() {}
            let text = format!("{original}\n編集 {counter} 回目の追記。\n");
            let t0 = Instant::now();
            std::fs::write(&page, text).unwrap();
            loop {
                let (at, name) = rx
                    .recv_timeout(Duration::from_secs(30))
                    .expect("no reload event");
                if name == "reload" {
                    lat.push(at.duration_since(t0).as_secs_f64() * 1000.0);
                    break;
                }
                assert_ne!(name, "build-error", "the edit broke the build");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        lat.sort_by(f64::total_cmp);
        lat
    };

    // 1. The writer's loop: 50 saves, nothing else running.
    recording.store(true, Ordering::Relaxed);
    let quiet = edits(50);
    recording.store(false, Ordering::Relaxed);

    // 2. Load check: four threads request pages while 20 more saves happen.
    let stop = Arc::new(AtomicBool::new(false));
    let (served, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut readers = Vec::new();
    for i in 0..4 {
        let (stop, served, failed, docs) =
            (stop.clone(), served.clone(), failed.clone(), docs.clone());
        readers.push(std::thread::spawn(move || {
            let mut n = i;
            while !stop.load(Ordering::Relaxed) {
                let path = if n % 5 == 0 {
                    "/".to_string()
                } else {
                    docs[n % docs.len()].clone()
                };
                if get(port, &path) == 200 {
                    served.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
        }));
    }
    let load_started = Instant::now();
    let loaded = edits(20);
    stop.store(true, Ordering::Relaxed);
    let load_secs = load_started.elapsed().as_secs_f64();
    for r in readers {
        r.join().unwrap();
    }
    assert!(
        check_page(port, &docs[0], "編集 70 回目"),
        "the last edit is served"
    );
    let _ = child.kill();
    let _ = child.wait();

    let show = |what: &str, lat: &[f64]| {
        println!(
            "{what}: save → reload event p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} edits)",
            pct(lat, 50.0),
            pct(lat, 95.0),
            lat[lat.len() - 1],
            lat.len()
        );
    };
    println!("serve: {pages} pages");
    show("quiet", &quiet);
    show("under load (4 clients)", &loaded);
    let served = served.load(Ordering::Relaxed);
    println!(
        "requests during the loaded edits: {served} served ({:.0}/s over {load_secs:.1} s), {} failed",
        served as f64 / load_secs,
        failed.load(Ordering::Relaxed)
    );
    println!("median wall time per stage of the quiet rebuilds:");
    for (name, mut ms) in std::mem::take(&mut *stages.lock().unwrap()) {
        ms.sort_by(f64::total_cmp);
        println!("  {name:<22} {:>8.1} ms", pct(&ms, 50.0));
    }
}

fn check_page(port: u16, path: &str, needle: &str) -> bool {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    String::from_utf8_lossy(&raw).contains(needle)
}
