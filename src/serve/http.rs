//! The development HTTP server: HTTP/1.1 with keep-alive on plain threads, serving
//! the in-memory site (so no request can reach the file system), the live-reload
//! event stream and `/api/search`. Paths with `..`, encoded or not, are refused.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::State;

const MAX_CONNECTIONS: usize = 512;
const MAX_LINE: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;

pub fn serve(listener: TcpListener, state: Arc<State>) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            let _ = respond(&mut stream, 503, "text/plain", b"busy", false, &[]);
            continue;
        }
        open.fetch_add(1, Ordering::SeqCst);
        let (state, open) = (state.clone(), open.clone());
        std::thread::spawn(move || {
            let _ = connection(stream, &state);
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
    keep_alive: bool,
}

/// Reads one request head; None at the end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if read_line(reader, &mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, target, version) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("/").to_string(),
        parts.next().unwrap_or("HTTP/1.0").to_string(),
    );
    let mut keep_alive = version == "HTTP/1.1";
    let mut body_len = 0usize;
    for _ in 0..MAX_HEADERS {
        let mut h = String::new();
        if read_line(reader, &mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("connection:") {
            keep_alive = match v.trim() {
                "close" => false,
                "keep-alive" => true,
                _ => keep_alive,
            };
        } else if let Some(v) = lower.strip_prefix("content-length:") {
            body_len = v.trim().parse().unwrap_or(0);
        }
    }
    // Bodies are not used; read and drop them so keep-alive stays in step.
    io::copy(&mut reader.by_ref().take(body_len as u64), &mut io::sink())?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    let path = path.split('#').next().unwrap_or("").to_string();
    Ok(Some(Request {
        method,
        path,
        query,
        keep_alive,
    }))
}

fn read_line(reader: &mut BufReader<TcpStream>, line: &mut String) -> io::Result<usize> {
    let n = reader.by_ref().take(MAX_LINE as u64).read_line(line)?;
    if n == MAX_LINE && !line.ends_with('\n') {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
    }
    Ok(n)
}

fn connection(stream: TcpStream, state: &State) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader)? {
        let head = req.method == "HEAD";
        if req.method != "GET" && !head {
            respond(
                &mut writer,
                405,
                "text/plain",
                b"method not allowed",
                false,
                &[],
            )?;
            return Ok(());
        }
        if req.path == "/__srekb/events" {
            return events(writer, state);
        }
        let (status, ctype, body, extra) = route(state, &req);
        let body = if head { Vec::new() } else { body };
        respond(&mut writer, status, ctype, &body, req.keep_alive, &extra)?;
        if !req.keep_alive {
            break;
        }
    }
    Ok(())
}

type Reply = (u16, &'static str, Vec<u8>, Vec<(&'static str, String)>);

fn route(state: &State, req: &Request) -> Reply {
    let Some(path) = clean_path(&req.path) else {
        return (
            403,
            "text/plain; charset=utf-8",
            b"forbidden".to_vec(),
            vec![],
        );
    };
    if path == "api/search" {
        return search(state, &req.query);
    }
    let files = state.files();
    if files.is_empty() {
        // The first build failed: show its errors until it is fixed.
        let error = state
            .error
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        let page = format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>srekb: build failed</title></head><body><pre>{}</pre>{}</body></html>",
            crate::render::escape_html(&error),
            super::live::SCRIPT
        );
        return (500, "text/html; charset=utf-8", page.into_bytes(), vec![]);
    }
    let key = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.clone()
    };
    if let Some(body) = files.get(&key) {
        return (200, content_type(&key), body.to_vec(), vec![]);
    }
    if files.contains_key(&format!("{path}/index.html")) {
        let to = format!("/{}/", path);
        return (301, "text/plain", Vec::new(), vec![("Location", to)]);
    }
    let body = files
        .get("404.html")
        .map(|b| b.to_vec())
        .unwrap_or_else(|| b"not found".to_vec());
    (404, "text/html; charset=utf-8", body, vec![])
}

/// The site path of a request path: percent-decoded, without the leading `/`; None
/// for anything that could leave the site (`..`, `\`, NUL, invalid UTF-8).
pub fn clean_path(raw: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?
        .into_owned();
    if decoded.contains('\0') || decoded.contains('\\') {
        return None;
    }
    let trimmed = decoded.trim_start_matches('/');
    if trimmed.split('/').any(|seg| {
        seg == ".."
            || seg == "."
            || percent_encoding::percent_decode_str(seg)
                .decode_utf8()
                .is_ok_and(|s| s.contains(".."))
    }) {
        return None;
    }
    if trimmed.contains("//") {
        return None;
    }
    Some(trimmed.to_string())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn query_params(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// `/api/search?q=…&kind=…&limit=…` from the live index, as JSON.
fn search(state: &State, query: &str) -> Reply {
    let params = query_params(query);
    let q = params.get("q").cloned().unwrap_or_default();
    let kind = params.get("kind").filter(|k| !k.is_empty()).cloned();
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 200);
    let index = state
        .index
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let json = |v: &serde_json::Value| {
        crate::site::json_bytes(v, false).unwrap_or_else(|_| b"{}".to_vec())
    };
    let Some(index) = index else {
        let body = json(&serde_json::json!({"error": "the search index is being built"}));
        return (503, "application/json", body, vec![]);
    };
    match crate::search::index::search_in(&index, &q, kind.as_deref(), limit) {
        Ok(hits) => (
            200,
            "application/json",
            json(&serde_json::json!({ "query": q, "hits": hits })),
            vec![],
        ),
        Err(e) => (
            500,
            "application/json",
            json(&serde_json::json!({ "error": format!("{e:#}") })),
            vec![],
        ),
    }
}

fn respond(
    w: &mut TcpStream,
    status: u16,
    ctype: &str,
    body: &[u8],
    keep_alive: bool,
    extra: &[(&str, String)],
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: {}\r\n",
        body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// The event stream: the current error (if any) at once, then every build event;
/// a comment every 15 s finds closed pages.
fn events(mut w: TcpStream, state: &State) -> io::Result<()> {
    let rx = state.hub.subscribe();
    w.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\nretry: 500\n\n")?;
    if let Some(err) = state
        .error
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    {
        w.write_all(super::live::Event::Error(err).wire().as_bytes())?;
    }
    w.flush()?;
    loop {
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(msg) => w.write_all(msg.as_bytes())?,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => w.write_all(b": ping\n\n")?,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
        w.flush()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_site_are_refused() {
        assert_eq!(clean_path("/").as_deref(), Some(""));
        assert_eq!(clean_path("/docs/x/").as_deref(), Some("docs/x/"));
        assert_eq!(clean_path("/%E9%9A%9C%E5%AE%B3/").as_deref(), Some("障害/"));
        for bad in [
            "/../etc/passwd",
            "/docs/../../x",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/docs/%252e%252e/x",
            "/a\\..\\b",
            "/a%5c..%5cb",
            "/x%00.html",
            "/a//b",
            "/%ff",
        ] {
            assert_eq!(clean_path(bad), None, "{bad}");
        }
    }
}
