// srekb default theme behaviour. Everything here is an enhancement: pages work without it.
(function () {
  "use strict";
  var doc = document.documentElement;

  // Opened from file://: directory links need an explicit index.html.
  if (location.protocol === "file:") {
    var links = document.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href");
      if (!/^[a-z][a-z0-9+.-]*:/i.test(href) && !/^\/\//.test(href) && href.charAt(0) !== "#") {
        var parts = href.split("#");
        if (/\/$/.test(parts[0]) || parts[0] === "" || parts[0] === ".") {
          var base = parts[0] === "" || parts[0] === "." ? "./" : parts[0];
          links[i].setAttribute("href", base + "index.html" + (parts.length > 1 ? "#" + parts[1] : ""));
        }
      }
    }
    var forms = document.querySelectorAll("form[action$='/']");
    for (var f = 0; f < forms.length; f++) {
      forms[f].setAttribute("action", forms[f].getAttribute("action") + "index.html");
    }
  }

  // Mermaid diagrams: load the bundled script only on pages that have one. Without
  // it (not bundled, or offline) the diagram source stays readable as code.
  var diagrams = document.querySelectorAll("pre.mermaid");
  var self = document.currentScript;
  if (diagrams.length && self) {
    var src = self.getAttribute("src").replace(/assets\/[^\/]*$/, "vendor/mermaid.min.js");
    var s = document.createElement("script");
    s.src = src;
    s.onload = function () {
      if (window.mermaid) {
        var dark = doc.getAttribute("data-theme") === "dark" ||
          (!doc.getAttribute("data-theme") && window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
        window.mermaid.initialize({ startOnLoad: false, theme: dark ? "dark" : "default", securityLevel: "strict" });
        window.mermaid.run({ nodes: diagrams }).then(function () { doc.setAttribute("data-mermaid", "done"); });
      }
    };
    document.head.appendChild(s);
  }

  // Theme toggle: light ↔ dark, remembered.
  var toggle = document.querySelector(".theme-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var current = doc.getAttribute("data-theme") ||
        (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
      var next = current === "dark" ? "light" : "dark";
      doc.setAttribute("data-theme", next);
      try { localStorage.setItem("srekb-theme", next); } catch (e) { /* private mode */ }
    });
  }

  // Tables wider than their box scroll inside it: make such a box reachable and
  // scrollable from the keyboard, named after its caption or the heading before it.
  function scrollableTables() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var w = 0; w < wraps.length; w++) {
      var box = wraps[w];
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          var cap = box.querySelector("caption");
          var prev = box.previousElementSibling;
          var head = box.closest("section") && box.closest("section").querySelector("h2, h3");
          var name = cap ? cap.textContent : (prev && /^H[1-6]$/.test(prev.tagName) ? prev.textContent : (head ? head.textContent : ""));
          if (name) { box.setAttribute("aria-label", name.trim()); }
        }
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }
  scrollableTables();
  window.addEventListener("resize", scrollableTables);

  // Copy buttons on code blocks.
  // The theme's strings in the site's language (base.html puts them on <body>).
  var copied = document.body.getAttribute("data-copied") || (doc.lang === "ja" ? "コピーしました" : "Copied");
  var failed = document.body.getAttribute("data-copy-failed") || (doc.lang === "ja" ? "コピーできませんでした" : "Copy failed");
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) { resolve(); } else { reject(new Error("copy")); }
    });
  }
  var buttons = document.querySelectorAll(".copy-button");
  for (var b = 0; b < buttons.length; b++) {
    (function (btn) {
      var label = btn.textContent;
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var code = btn.closest(".code-block").querySelector("pre code");
        copyText(code.innerText).then(function () {
          btn.textContent = copied;
          btn.classList.add("copied");
        }, function () {
          btn.textContent = failed;
        }).then(function () {
          setTimeout(function () { btn.textContent = label; btn.classList.remove("copied"); }, 1600);
        });
      });
    })(buttons[b]);
  }
})();
