// srekb search in the browser, with no server: the query is analysed exactly as
// src/search/analyzer.rs analyses text at build time (shared test vectors keep the two
// identical), then only the index shards of the query's terms and the documents shown
// are loaded, as <script> files, so it also works when the site is opened from file://.
(function () {
  "use strict";

  // ---- Analyser (mirror of src/search/analyzer.rs) ----
  function isKatakana(cp) {
    return (cp >= 0x30a0 && cp <= 0x30ff) || (cp >= 0x31f0 && cp <= 0x31ff);
  }
  function isCjk(cp) {
    return isKatakana(cp) ||
      (cp >= 0x3040 && cp <= 0x309f) ||
      (cp >= 0x4e00 && cp <= 0x9fff) ||
      (cp >= 0x3400 && cp <= 0x4dbf) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0x20000 && cp <= 0x2fa1f) ||
      cp === 0x3005 || cp === 0x3006;
  }
  var WORD = /^[\p{Alphabetic}\p{N}_]$/u;
  var OTHER = 0, WORDC = 1, CJK = 2;
  function charClass(ch) {
    if (isCjk(ch.codePointAt(0))) { return CJK; }
    return WORD.test(ch) ? WORDC : OTHER;
  }
  // Normalised code points with the UTF-16 range of the original text they came from.
  function normalize(text) {
    var out = [];
    var i = 0;
    while (i < text.length) {
      var cp = text.codePointAt(i);
      var ch = String.fromCodePoint(cp);
      var end = i + ch.length;
      var nfkc = Array.from(ch.normalize("NFKC"));
      for (var k = 0; k < nfkc.length; k++) {
        var n = nfkc[k];
        if (n === "\u3099" || n === "\u309a") {
          var last = out[out.length - 1];
          if (last) {
            var composed = Array.from((last.c + n).normalize("NFC"));
            if (composed.length === 1) {
              last.c = composed[0];
              last.to = end;
              continue;
            }
          }
        }
        var lower = Array.from(n.toLowerCase());
        for (var l = 0; l < lower.length; l++) {
          out.push({ c: lower[l], from: i, to: end });
        }
      }
      i = end;
    }
    return out;
  }
  function analyze(text) {
    var chars = normalize(text);
    var tokens = [];
    var position = 0;
    var i = 0;
    while (i < chars.length) {
      var cls = charClass(chars[i].c);
      var j = i + 1;
      while (j < chars.length && charClass(chars[j].c) === cls) { j++; }
      if (cls === WORDC) {
        var word = "";
        for (var w = i; w < j; w++) { word += chars[w].c; }
        tokens.push({ text: word, from: chars[i].from, to: chars[j - 1].to, position: position++ });
      } else if (cls === CJK) {
        var run = chars.slice(i, j);
        if (run.length >= 3 && run[run.length - 1].c === "ー" &&
            isKatakana(run[run.length - 2].c.codePointAt(0))) {
          run.pop();
        }
        if (run.length === 1) {
          tokens.push({ text: run[0].c, from: run[0].from, to: run[0].to, position: position++ });
        } else {
          for (var b = 0; b + 1 < run.length; b++) {
            tokens.push({ text: run[b].c + run[b + 1].c, from: run[b].from, to: run[b + 1].to, position: position++ });
          }
        }
      }
      i = j;
    }
    return tokens;
  }
  function terms(text) {
    return analyze(text).map(function (t) { return t.text; });
  }

  // FNV-1a over UTF-8 (src/search/web.rs::fnv1a).
  function fnv1a(s) {
    var bytes = new TextEncoder().encode(s);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  // ---- Index files, loaded as scripts that call back into srekbSearch ----
  var script = document.currentScript;
  var base = script ? script.getAttribute("data-index") : null;
  var meta = null;
  var shards = {};
  var docs = {};
  var chunks = {};
  var loading = {};
  function load(path) {
    if (!loading[path]) {
      loading[path] = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = base + path;
        s.async = true;
        s.onload = function () { resolve(); };
        s.onerror = function () { reject(new Error("could not load " + path)); };
        document.head.appendChild(s);
      });
    }
    return loading[path];
  }

  var api = {
    analyze: analyze,
    terms: terms,
    fnv1a: fnv1a,
    meta: function (m) { meta = m; },
    shard: function (k, data) { shards[k] = data; },
    doc: function (id, d) { docs[id] = d; },
    chunk: function (id, c, text) { chunks[id + "." + c] = text; },
    bytes: 0
  };
  window.srekbSearch = api;

  // Postings of a term: {df, complete, floor, scores: Map(doc → score), chunks: Map(doc → chunk)}.
  function postings(term) {
    var entry = shards[fnv1a(term) & (meta.shards - 1)][term];
    if (!entry) { return null; }
    var scores = new Map();
    var where = new Map();
    var doc = 0;
    var floor = Infinity;
    for (var i = 1; i + 1 < entry.length; i += 2) {
      doc += entry[i];
      var score = Math.floor(entry[i + 1] / 16);
      scores.set(doc, score);
      where.set(doc, entry[i + 1] % 16);
      if (score < floor) { floor = score; }
    }
    return { df: entry[0], complete: scores.size === entry[0], floor: floor, scores: scores, chunks: where };
  }

  // Every term of the query must occur (the terms of one word are its bigrams, so a
  // compound is matched as a whole). Returns [{doc, score}] best first.
  function query(text, kind) {
    var wanted = [];
    text.split(/\s+/).forEach(function (part) {
      terms(part).forEach(function (t) { if (wanted.indexOf(t) < 0) { wanted.push(t); } });
    });
    if (wanted.length === 0) { return Promise.resolve({ terms: [], hits: [] }); }
    if (window.srekbServe) {
      // `srekb serve`: the live index answers (the static one is not written).
      return fetch("/api/search?limit=100&q=" + encodeURIComponent(text) +
          (kind ? "&kind=" + encodeURIComponent(kind) : "")).then(function (r) {
        return r.json();
      }).then(function (j) {
        if (j.error) { throw new Error(j.error); }
        return { terms: wanted, hits: j.hits.map(function (h) { return { live: h }; }) };
      });
    }
    return load("meta.js").then(function () {
      var need = {};
      wanted.forEach(function (t) { need[fnv1a(t) & (meta.shards - 1)] = true; });
      return Promise.all(Object.keys(need).map(function (k) { return load("s/" + k + ".js"); }));
    }).then(function () {
      var lists = wanted.map(postings);
      if (lists.some(function (l) { return l === null; })) { return { terms: wanted, hits: [] }; }
      var range = kind && meta.kinds[kind] ? meta.kinds[kind] : null;
      var candidates = new Set();
      lists.forEach(function (l) { l.scores.forEach(function (_, d) { candidates.add(d); }); });
      var hits = [];
      candidates.forEach(function (d) {
        if (range && (d < range[0] || d >= range[1])) { return; }
        var total = 0;
        var chunk = 0;
        var rarest = Infinity;
        for (var i = 0; i < lists.length; i++) {
          var s = lists[i].scores.get(d);
          if (s === undefined) {
            if (lists[i].complete) { return; }
            s = lists[i].floor; // truncated list: at most the smallest score kept
          } else if (lists[i].df < rarest) {
            // Snippets come from where the rarest term of the query occurs.
            rarest = lists[i].df;
            chunk = lists[i].chunks.get(d);
          }
          total += s;
        }
        hits.push({ doc: d, score: total, chunk: chunk });
      });
      hits.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
      return { terms: wanted, hits: hits };
    });
  }
  api.query = query;
  // A hit's document and the chunk of text its snippet comes from.
  function loadHit(h) {
    if (h.live) { return Promise.resolve(); }
    var files = [load("d/" + h.doc + ".js")];
    if (h.chunk > 0) { files.push(load("d/" + h.doc + "." + h.chunk + ".js")); }
    return Promise.all(files);
  }
  function hitText(h) {
    return h.chunk > 0 && chunks[h.doc + "." + h.chunk] !== undefined ?
      chunks[h.doc + "." + h.chunk] : docs[h.doc].x;
  }
  // The best `limit` hits as documents {t: title, u: URL, k: kind, d: date, x: text}.
  api.search = function (text, kind, limit) {
    return query(text, kind).then(function (r) {
      var top = r.hits.slice(0, limit || 10);
      return Promise.all(top.map(loadHit)).then(function () {
        return top.map(function (h) { return docs[h.doc]; });
      });
    });
  };

  // ---- Snippets: the text around the first match, matches in <mark> ----
  function snippet(text, wanted) {
    var set = new Set(wanted);
    var matches = analyze(text).filter(function (t) { return set.has(t.text); });
    var frag = document.createDocumentFragment();
    if (matches.length === 0) {
      frag.appendChild(document.createTextNode(Array.from(text).slice(0, 120).join("") + (text.length > 120 ? "…" : "")));
      return frag;
    }
    // Anchor the window where the most distinct query terms occur together.
    var anchor = matches[0].from;
    var best = 0;
    matches.slice(0, 300).forEach(function (m) {
      var seen = new Set();
      matches.forEach(function (o) { if (o.from >= m.from && o.to <= m.from + 120) { seen.add(o.text); } });
      if (seen.size > best) { best = seen.size; anchor = m.from; }
    });
    var start = Math.max(0, anchor - 40);
    if (start > 0 && /[\udc00-\udfff]/.test(text.charAt(start))) { start++; }
    var end = Math.min(text.length, start + 160);
    if (end < text.length && /[\udc00-\udfff]/.test(text.charAt(end))) { end++; }
    var ranges = [];
    matches.forEach(function (m) {
      if (m.from < start || m.to > end) { return; }
      var last = ranges[ranges.length - 1];
      if (last && m.from <= last[1]) { last[1] = Math.max(last[1], m.to); } else { ranges.push([m.from, m.to]); }
    });
    var at = start;
    if (start > 0) { frag.appendChild(document.createTextNode("…")); }
    ranges.forEach(function (r) {
      frag.appendChild(document.createTextNode(text.slice(at, r[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      frag.appendChild(mark);
      at = r[1];
    });
    frag.appendChild(document.createTextNode(text.slice(at, end) + (end < text.length ? "…" : "")));
    return frag;
  }
  api.snippet = snippet;

  // ---- The search page ----
  var form = document.getElementById("search-form");
  var results = document.getElementById("search-results");
  if (!form || !results) { return; }
  var input = form.querySelector("input[name=q]");
  var kindSelect = form.querySelector("select[name=kind]");
  var status = document.getElementById("search-status");
  var more = document.getElementById("search-more");
  var root = results.getAttribute("data-root") || "";
  var labels = JSON.parse(results.getAttribute("data-labels") || "{}");
  var PAGE = 10;
  var current = null;
  var shown = 0;
  var serial = 0;

  function href(url) {
    var path = root + url.replace(/^\//, "");
    if (location.protocol === "file:" && /\/$/.test(path)) { path += "index.html"; }
    return path;
  }
  function message(template, q, n) {
    return template.replace("{q}", q).replace("{n}", String(n));
  }
  function showMore(mine) {
    var batch = current.hits.slice(shown, shown + PAGE);
    shown += batch.length;
    return Promise.all(batch.map(loadHit)).then(function () {
      if (mine !== serial) { return; }
      batch.forEach(function (h) {
        var d = h.live ? { t: h.live.title, u: h.live.url, k: h.live.kind, d: h.live.date } : docs[h.doc];
        var li = document.createElement("li");
        li.className = "search-hit";
        var a = document.createElement("a");
        a.className = "search-hit-title";
        a.href = href(d.u);
        a.textContent = d.t;
        li.appendChild(a);
        var info = document.createElement("span");
        info.className = "search-hit-meta";
        info.textContent = (labels.kinds && labels.kinds[d.k] ? labels.kinds[d.k] : d.k) + (d.d ? " · " + d.d : "");
        li.appendChild(info);
        var p = document.createElement("p");
        p.className = "search-hit-snippet";
        if (h.live) {
          p.innerHTML = h.live.snippet_html; // escaped by srekb, matches in <mark>
        } else {
          p.appendChild(snippet(hitText(h), current.terms));
        }
        li.appendChild(p);
        results.appendChild(li);
      });
      more.hidden = shown >= current.hits.length;
    });
  }
  function run() {
    var q = input.value.trim();
    var kind = kindSelect ? kindSelect.value : "";
    var mine = ++serial;
    try {
      var params = new URLSearchParams();
      if (q) { params.set("q", q); }
      if (kind) { params.set("kind", kind); }
      var qs = params.toString();
      history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
    } catch (e) { /* some file:// contexts refuse */ }
    if (!q) {
      results.textContent = "";
      status.textContent = "";
      more.hidden = true;
      return Promise.resolve();
    }
    status.textContent = labels.loading || "…";
    return query(q, kind).then(function (r) {
      if (mine !== serial) { return; }
      current = r;
      shown = 0;
      results.textContent = "";
      status.textContent = r.hits.length ?
        message(labels.results || "{n}", q, r.hits.length) :
        message(labels.none || "0", q, 0);
      more.hidden = true;
      return showMore(mine);
    }).then(function () {
      if (mine === serial) { results.setAttribute("data-done", q); }
    }, function (e) {
      if (mine === serial) { status.textContent = labels.error || String(e); }
    });
  }
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  if (kindSelect) { kindSelect.addEventListener("change", run); }
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  more.addEventListener("click", function () { showMore(serial); });
  var params = new URLSearchParams(location.search);
  if (params.get("q")) { input.value = params.get("q"); }
  if (kindSelect && params.get("kind")) { kindSelect.value = params.get("kind"); }
  run();
})();
