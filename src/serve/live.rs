//! Live reload: the script `serve` injects into every page, and the hub that sends
//! build events to every open page over server-sent events.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::Mutex;

/// Injected before `</body>` in serve mode only. Reloads on `reload`, swaps the
/// stylesheet on `css`, shows build errors over the page on `build-error`.
/// `window.srekbServe` tells search.js to ask `/api/search` (the live index).
pub const SCRIPT: &str = r#"<script>
(function () {
  "use strict";
  window.srekbServe = true;
  window.srekbEvents = [];
  function overlay(text) {
    var o = document.getElementById("srekb-overlay");
    if (!text) { if (o) { o.parentNode.removeChild(o); } return; }
    if (!o) {
      o = document.createElement("div");
      o.id = "srekb-overlay";
      o.setAttribute("role", "alert");
      o.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:1.5rem;" +
        "background:rgba(24,16,16,.94);color:#ffe0e0;font:13px/1.55 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap";
      document.body.appendChild(o);
    }
    o.textContent = "srekb: the build failed; this page is the last good build.\n\n" + text;
  }
  var es = new EventSource("/__srekb/events");
  es.addEventListener("reload", function () {
    window.srekbEvents.push("reload");
    location.reload();
  });
  es.addEventListener("css", function (e) {
    window.srekbEvents.push("css");
    var links = document.querySelectorAll("link[rel=stylesheet]");
    for (var i = 0; i < links.length; i++) {
      if (/assets\/style\.[^\/]*\.css/.test(links[i].getAttribute("href"))) {
        links[i].setAttribute("href", JSON.parse(e.data));
      }
    }
  });
  es.addEventListener("build-error", function (e) {
    window.srekbEvents.push("build-error");
    overlay(JSON.parse(e.data));
  });
})();
</script>"#;

/// A build event for open pages.
#[derive(Debug, Clone)]
pub enum Event {
    Reload,
    /// Only CSS changed: the new stylesheet's URL.
    Css(String),
    /// The build failed: its diagnostics.
    Error(String),
}

impl Event {
    /// The event in the `text/event-stream` format.
    pub fn wire(&self) -> String {
        let (name, data) = match self {
            Event::Reload => ("reload", "{}".to_string()),
            Event::Css(url) => ("css", serde_json::Value::from(url.as_str()).to_string()),
            Event::Error(text) => (
                "build-error",
                serde_json::Value::from(text.as_str()).to_string(),
            ),
        };
        format!("event: {name}\ndata: {data}\n\n")
    }
}

/// Every connected page's channel.
#[derive(Default)]
pub struct Hub {
    clients: Mutex<Vec<Sender<String>>>,
}

impl Hub {
    pub fn subscribe(&self) -> Receiver<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    /// Sends to every page still connected (and forgets the others).
    pub fn send(&self, event: &Event) {
        let wire = event.wire();
        self.clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|c| c.send(wire.clone()).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_single_line_json() {
        let e = Event::Error("a.md:3:1 error\n<b>".into()).wire();
        assert_eq!(e, "event: build-error\ndata: \"a.md:3:1 error\\n<b>\"\n\n");
        let hub = Hub::default();
        let rx = hub.subscribe();
        hub.send(&Event::Reload);
        assert_eq!(rx.recv().unwrap(), "event: reload\ndata: {}\n\n");
        drop(rx);
        hub.send(&Event::Reload);
        assert!(hub.clients.lock().unwrap().is_empty());
    }
}
