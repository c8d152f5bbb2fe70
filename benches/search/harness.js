// Browser side of benches/search/compare.py. Served by compare.py's local server under
// a page that also loads the engine under test (srekb's own search.js, copied script tags
// from the built /search/ page; or Pagefind's pagefind.js), then:
//   ?mode=quality : runs every query of /__bench/queries.json, twice (the second pass is
//                   timed: a query after loading), and posts the top-10 URLs;
//   ?mode=bytes   : for each query, opens a fresh frame in which the engine's files
//                   are loaded from nothing, runs that query (first query) and the next
//                   one (second query), marking the end of each on the server, which
//                   counts what was fetched in between.
// Every response carries Cache-Control: no-store, so each frame downloads afresh.
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var engine = document.documentElement.getAttribute("data-engine");
  var LIMIT = 10;

  function post(path, body) {
    return fetch(path, { method: "POST", body: JSON.stringify(body) });
  }

  // The engine's answer to one query: the URLs of its best LIMIT hits, best first.
  function run(q) {
    if (engine === "pagefind") {
      return window.__pagefind.then(function (pf) {
        return pf.search(q);
      }).then(function (r) {
        var top = r ? r.results.slice(0, LIMIT) : [];
        return Promise.all(top.map(function (x) { return x.data(); }));
      }).then(function (docs) {
        return docs.map(function (d) { return d.url; });
      });
    }
    // srekb: window.srekbSearch.search(text, kind, limit) -> documents. Accept the
    // shapes the engine has had: an array of docs or {hits|results: [...]}, each with
    // a URL under u, url or href.
    var api = window.srekbSearch;
    return Promise.resolve(api.search(q, "", LIMIT)).then(function (r) {
      var list = Array.isArray(r) ? r : (r && (r.hits || r.results || r.docs)) || [];
      return list.slice(0, LIMIT).map(function (d) {
        return d.u !== undefined ? d.u : d.url !== undefined ? d.url : d.href;
      });
    });
  }

  function quality(queries) {
    var out = { engine: engine, results: {}, ms: [], errors: {} };
    var i = 0;
    function next(pass) {
      if (i === queries.length) {
        if (pass === 1) { i = 0; return next(2); }
        return post("/__bench/result", out);
      }
      var q = queries[i++];
      var t = performance.now();
      return run(q).then(function (urls) {
        if (pass === 1) { out.results[q] = urls; } else { out.ms.push(performance.now() - t); }
      }, function (e) {
        out.errors[q] = String(e && e.stack || e);
      }).then(function () { return next(pass); });
    }
    return next(1);
  }

  // One frame: the first query, then a second one. The server counts what is fetched
  // between the frame's page and each mark (Pagefind fetches from a worker, which the
  // page's own resource timing would not see).
  function frame(q1, q2) {
    function mark(phase) { return post("/__bench/mark", { phase: phase, q: q1 }); }
    return run(q1).then(function () { return mark("first"); })
      .then(function () { return run(q2); })
      .then(function () { return mark("second"); })
      .then(function () { parent.postMessage({ q: q1 }, "*"); },
        function (e) { parent.postMessage({ q: q1, error: String(e) }, "*"); });
  }

  function bytes(queries) {
    var rows = [];
    var i = 0;
    return new Promise(function (done) {
      window.addEventListener("message", function (ev) {
        rows.push(ev.data);
        document.body.removeChild(document.querySelector("iframe"));
        step();
      });
      function step() {
        if (i === queries.length) { done(); return; }
        var q1 = queries[i];
        var q2 = queries[(i + 1) % queries.length];
        i++;
        var f = document.createElement("iframe");
        f.src = location.pathname + "?mode=frame&q1=" + encodeURIComponent(q1) +
          "&q2=" + encodeURIComponent(q2);
        document.body.appendChild(f);
      }
      step();
    }).then(function () { return post("/__bench/bytes", { engine: engine, rows: rows }); });
  }

  var mode = params.get("mode");
  if (mode === "frame") {
    frame(params.get("q1"), params.get("q2"));
    return;
  }
  fetch("/__bench/queries.json").then(function (r) { return r.json(); }).then(function (queries) {
    return mode === "bytes" ? bytes(queries) : quality(queries);
  }).catch(function (e) {
    post("/__bench/result", { engine: engine, fatal: String(e && e.stack || e) });
  });
})();
