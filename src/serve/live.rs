//! Live reload: the script `serve` injects into every page, and the hub that sends
//! build events to every open page over server-sent events.

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
        "background:#181010;color:#ffe0e0;font:13px/1.55 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap";
      document.body.appendChild(o);
    }
    // The heading comes from the theme's strings in the site's language (base.html).
    var strings = document.getElementById("srekb-strings");
    var head = strings && strings.getAttribute("data-build-failed") ||
      "srekb: the build failed; this page is the last good build.";
    o.textContent = head + "\n\n" + text;
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
    /// The event's name and its data as one line of JSON.
    pub fn parts(&self) -> (&'static str, String) {
        match self {
            Event::Reload => ("reload", "{}".to_string()),
            Event::Css(url) => ("css", serde_json::Value::from(url.as_str()).to_string()),
            Event::Error(text) => (
                "build-error",
                serde_json::Value::from(text.as_str()).to_string(),
            ),
        }
    }

    /// The event in the `text/event-stream` format.
    #[cfg(test)]
    fn wire(&self) -> String {
        let (name, data) = self.parts();
        format!("event: {name}\ndata: {data}\n\n")
    }
}

/// Every connected page's subscription: a broadcast channel, so the build thread
/// sends without waiting and a page that went away costs nothing.
pub struct Hub {
    tx: tokio::sync::broadcast::Sender<Event>,
}

impl Default for Hub {
    fn default() -> Hub {
        // Builds come at most a few per second; a page 16 events behind is told to
        // reload (see `http::events`).
        Hub {
            tx: tokio::sync::broadcast::channel(16).0,
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Sends to every page connected now (none connected is not an error).
    pub fn send(&self, event: &Event) {
        let _ = self.tx.send(event.clone());
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
        hub.send(&Event::Reload);
        let mut rx = hub.subscribe();
        hub.send(&Event::Css("/assets/style.1.css".into()));
        let got = rx.try_recv().unwrap();
        assert_eq!(got.wire(), "event: css\ndata: \"/assets/style.1.css\"\n\n");
        assert!(
            rx.try_recv().is_err(),
            "events sent before subscribing are not replayed"
        );
    }
}
