//! The development HTTP server on axum and hyper: the in-memory site (so no request can
//! reach the file system) with strong ETags, `If-None-Match` → 304, gzip for text,
//! HEAD and MIME types from mime_guess; the live-reload event stream; `/api/search`.
//! Every connection is a tokio task with a header-read deadline that also bounds idle
//! keep-alive, so slow or idle clients cannot hold the server for anyone else.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State as Ext};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, StreamExt};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio_stream::wrappers::BroadcastStream;
use tower_http::compression::CompressionLayer;

use super::State;

/// How long a connection may take to send a complete request head, counted from the
/// moment it is ready for one: for a new connection, and between keep-alive requests
/// (hyper arms the timer while the connection waits, so it is the idle limit too).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The header-read and idle deadline; `SREKB_SERVE_HEADER_TIMEOUT_MS` shortens it so
/// a test can watch slow clients being dropped within seconds.
fn header_timeout() -> Duration {
    std::env::var("SREKB_SERVE_HEADER_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(HEADER_TIMEOUT)
}

/// Accepts connections until the process ends; each is served on its own task, with
/// no cap on their number (an idle connection costs a few kilobytes, not a thread).
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    let app = router(state);
    let timeout = header_timeout();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, usually: wait for connections to close
                // rather than spin.
                eprintln!("serve: accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The routes; `pub` so a test can drive them without a socket.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/__srekb/events", get(events))
        .route("/api/search", get(search))
        .fallback(site_file)
        .with_state(state)
        // Outermost last: the ETag is adjusted after compression chose an encoding.
        .layer(CompressionLayer::new().gzip(true))
        .layer(axum::middleware::map_response(etag_per_encoding))
}

/// One built file: its bytes, shared by every response that sends it, and its strong
/// validator, computed on the first request rather than on the reload path.
pub struct SiteFile {
    pub body: Bytes,
    etag: std::sync::OnceLock<String>,
}

impl SiteFile {
    pub fn new(body: Vec<u8>) -> SiteFile {
        SiteFile {
            body: Bytes::from(body),
            etag: std::sync::OnceLock::new(),
        }
    }

    /// The hash of the bytes, without quotes.
    fn etag(&self) -> &str {
        self.etag
            .get_or_init(|| blake3::hash(&self.body).to_hex()[..32].to_string())
    }
}

/// The identity and gzip representations differ in bytes, so they get different
/// strong ETags (`"<hash>"` and `"<hash>-gzip"`); `If-None-Match` accepts either.
async fn etag_per_encoding(mut res: Response) -> Response {
    let gzip = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    if gzip {
        if let Some(tag) = res
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
        {
            let tagged = format!("{}-gzip\"", tag.trim_end_matches('"'));
            if let Ok(v) = HeaderValue::from_str(&tagged) {
                res.headers_mut().insert(header::ETAG, v);
            }
        }
    }
    res
}

/// Whether `If-None-Match` names the current content (in either representation).
fn matches_etag(headers: &HeaderMap, hash: &str) -> bool {
    let Some(list) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    // If-None-Match compares weakly (RFC 9110 §13.1.2): `W/` is ignored.
    list.split(',').map(str::trim).any(|t| {
        t == "*" || {
            let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
            t == hash || t.strip_suffix("-gzip") == Some(hash)
        }
    })
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// Every path that is not an endpoint: a file of the last good build.
async fn site_file(
    Ext(state): Ext<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut res = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    let Some(path) = clean_path(uri.path()) else {
        return plain(StatusCode::FORBIDDEN, "forbidden");
    };
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
            crate::escape::html(&error),
            super::live::SCRIPT
        );
        return no_store((
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        ));
    }
    let key = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.clone()
    };
    if let Some(file) = files.get(&key) {
        let etag = format!("\"{}\"", file.etag());
        let mut res = if matches_etag(&headers, file.etag()) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (
                [(header::CONTENT_TYPE, content_type(&key))],
                Body::from(file.body.clone()),
            )
                .into_response()
        };
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        // Always revalidate: the page may change on the next save.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        return res;
    }
    if files.contains_key(&format!("{path}/index.html")) {
        // The request path is echoed back percent-encoded as it came, never decoded.
        let to = format!("{}/", uri.path());
        if let Ok(v) = HeaderValue::from_str(&to) {
            return no_store((StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, v)]));
        }
    }
    let body = files
        .get("404.html")
        .map(|f| f.body.clone())
        .unwrap_or_else(|| Bytes::from_static(b"not found"));
    no_store((
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from(body),
    ))
}

fn no_store(r: impl IntoResponse) -> Response {
    let mut res = r.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The site path of a request path: percent-decoded first, then checked component by
/// component, without the leading `/`; None for anything that could leave the site
/// (a `..` or `.` component, an empty one, `\`, NUL, invalid UTF-8). A name that only
/// contains dots (`a..b.html`) is an ordinary file name.
pub fn clean_path(raw: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    let trimmed = decoded.strip_prefix('/').unwrap_or(&decoded);
    if trimmed.contains(['\0', '\\']) {
        return None;
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        // An empty last component is the trailing slash of a directory URL.
        let empty_inside = part.is_empty() && i != last;
        // A component that is still percent-encoded after one decoding (`%252e%252e`)
        // would become `..` for anything that decodes twice: refuse it too.
        let twice = percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .ok()?;
        if empty_inside || matches!(&*twice, "." | "..") || twice.contains(['\\', '\0', '/']) {
            return None;
        }
    }
    Some(trimmed.to_string())
}

/// The Content-Type of a site path, from mime_guess's table; text types say UTF-8
/// (every text file srekb writes is UTF-8).
fn content_type(path: &str) -> HeaderValue {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    // Markdown sources copied from static/ are shown as text, not downloaded.
    let mime = if ext == "md" {
        mime_guess::mime::TEXT_PLAIN
    } else {
        mime_guess::from_ext(ext).first_or_octet_stream()
    };
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "javascript" | "json" | "xml")
        || mime.suffix().is_some_and(|s| s == "xml" || s == "json");
    let value = if text && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// The event stream: `retry`, the current error (if any) at once, then every build
/// event; a comment every 15 s finds closed pages.
async fn events(Ext(state): Ext<Arc<State>>) -> Response {
    let rx = state.hub.subscribe();
    let current = state
        .error
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let first = stream::iter(
        std::iter::once(SseEvent::default().retry(Duration::from_millis(500)))
            .chain(current.map(|e| sse(&super::live::Event::Error(e)))),
    );
    // A page that fell behind (lagged) has missed events: reloading is always right.
    let rest = BroadcastStream::new(rx).map(|e| match e {
        Ok(event) => sse(&event),
        Err(_) => sse(&super::live::Event::Reload),
    });
    let body = first.chain(rest).map(Ok::<_, Infallible>);
    let mut res = Sse::new(body)
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(15))
                .text("ping"),
        )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn sse(event: &super::live::Event) -> SseEvent {
    let (name, data) = event.parts();
    SseEvent::default().event(name).data(data)
}

/// `/api/search?q=…&kind=…&limit=…` from the live index, as JSON.
async fn search(
    Ext(state): Ext<Arc<State>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let q = params.get("q").cloned().unwrap_or_default();
    let param = |k: &str| params.get(k).filter(|v| !v.is_empty()).cloned();
    let filters = crate::search::engine::Filters {
        kind: param("kind"),
        service: param("service"),
        tag: param("tag"),
    };
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
    let Some(index) = index else {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"error": "the search index is being built"}),
        );
    };
    // tantivy blocks; keep it off the tasks that serve pages.
    let found = tokio::task::spawn_blocking(move || {
        crate::search::index::search_in(&index, &q, &filters, limit).map(|h| (q, h))
    })
    .await;
    match found {
        Ok(Ok((q, found))) => json(
            StatusCode::OK,
            &serde_json::json!({
                "query": q,
                "hits": found.hits,
                "total": found.total,
                "counts": found.counts,
            }),
        ),
        Ok(Err(e)) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({ "error": format!("{e:#}") }),
        ),
        Err(e) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({ "error": e.to_string() }),
        ),
    }
}

fn json(status: StatusCode, v: &serde_json::Value) -> Response {
    let body = crate::output::json_bytes(v, false).unwrap_or_else(|_| b"{}".to_vec());
    no_store((status, [(header::CONTENT_TYPE, "application/json")], body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_site_are_refused() {
        assert_eq!(clean_path("/").as_deref(), Some(""));
        assert_eq!(clean_path("/docs/x/").as_deref(), Some("docs/x/"));
        assert_eq!(clean_path("/%E9%9A%9C%E5%AE%B3/").as_deref(), Some("障害/"));
        // Dots inside a name are not a parent directory.
        assert_eq!(clean_path("/a..b.html").as_deref(), Some("a..b.html"));
        assert_eq!(clean_path("/docs/..x/").as_deref(), Some("docs/..x/"));
        assert_eq!(clean_path("/v1.2..3/").as_deref(), Some("v1.2..3/"));
        for bad in [
            "/../etc/passwd",
            "/docs/../../x",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/docs/%252e%252e/x",
            "/docs/%252e%252e%252fx",
            "/a\\..\\b",
            "/a%5c..%5cb",
            "/a%5cb",
            "/x%00.html",
            "/a//b",
            "/./a",
            "/a/..",
            "/%ff",
        ] {
            assert_eq!(clean_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_types_come_from_the_table_and_text_says_utf8() {
        let ct = |p: &str| content_type(p).to_str().unwrap().to_string();
        assert_eq!(ct("index.html"), "text/html; charset=utf-8");
        assert_eq!(ct("assets/style.abc.css"), "text/css; charset=utf-8");
        assert!(ct("assets/search.js").ends_with("javascript; charset=utf-8"));
        assert_eq!(ct("search/meta.json"), "application/json; charset=utf-8");
        assert!(ct("atom.xml").contains("xml; charset=utf-8"));
        assert_eq!(ct("img/a.png"), "image/png");
        assert_eq!(ct("img/a.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(ct("fonts/a.woff2"), "font/woff2");
        assert_eq!(ct("img/a.avif"), "image/avif");
        assert_eq!(ct("notes.md"), "text/plain; charset=utf-8");
        assert_eq!(ct("blob"), "application/octet-stream");
    }

    #[test]
    fn if_none_match_accepts_either_representation() {
        let mut h = HeaderMap::new();
        assert!(!matches_etag(&h, "abc"));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"xyz\", \"abc-gzip\""),
        );
        assert!(matches_etag(&h, "abc"));
        assert!(!matches_etag(&h, "ab"));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"abc\""));
        assert!(matches_etag(&h, "abc"), "If-None-Match compares weakly");
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abcd\""));
        assert!(!matches_etag(&h, "abc"));
    }
}
