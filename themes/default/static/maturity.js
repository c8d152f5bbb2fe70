// Self-assessment form: live radar and the assessment file srekb reads.
// Runs from file:// too: no fetch, no modules; the model is embedded in the page.
(function () {
  "use strict";
  var form = document.getElementById("self-assessment");
  if (!form) { return; }
  var model = JSON.parse(document.getElementById("maturity-model").textContent);
  var areas = model.areas.filter(function (a) { return a.assessed; });
  var max = model.level_count;
  var out = document.getElementById("assessment-output");
  var svg = document.getElementById("live-radar");
  var NS = "http://www.w3.org/2000/svg";

  function tomlString(s) {
    return "\"" + String(s).replace(/\\/g, "\\\\").replace(/"/g, "\\\"")
      .replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")
      .replace(/[\u0000-\u001f\u007f]/g, function (c) { return "\\u" + ("0000" + c.charCodeAt(0).toString(16)).slice(-4); }) + "\"";
  }
  function value(name) {
    var el = form.elements[name];
    if (!el) { return ""; }
    if (el.length !== undefined && el.tagName === undefined) {
      for (var i = 0; i < el.length; i++) { if (el[i].checked) { return el[i].value; } }
      return "";
    }
    return el.value;
  }
  function levels() {
    return areas.map(function (a) { var v = value("level-" + a.id); return v ? parseInt(v, 10) : 0; });
  }

  function point(i, v, n, cx, cy, r) {
    var a = -Math.PI / 2 + 2 * Math.PI * i / n;
    return [cx + r * v / max * Math.cos(a), cy + r * v / max * Math.sin(a)];
  }
  function el(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  // Display columns of a character: wide (CJK, full-width) 2, others 1.
  function cols(c) { return /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(c) ? 2 : 1; }
  // As wrap_label in render/charts.rs: two lines at a word boundary near the middle
  // (space, slash, ・, の, と, katakana↔kanji), else the column nearest the middle.
  function wrap(label, max) {
    var chars = Array.from(label), total = 0, ends = [], used = 0;
    chars.forEach(function (c) { total += cols(c); });
    if (total <= max) { return [label]; }
    var half = Math.floor(Math.min(total, 2 * max) / 2), pos = 0;
    var kata = /[\u30a0-\u30ff]/, kanji = /[\u4e00-\u9fff]/;
    for (var k = 0; k < chars.length - 1; k++) {
      var c = chars[k], next = chars[k + 1];
      used += cols(c); pos += c.length;
      if (used > max) { break; }
      if ("ーぁぃぅぇぉっゃゅょァィゥェォッャュョ、。）」".indexOf(next) >= 0) { continue; }
      var word = /[ \/・\-のと]/.test(c) || (kata.test(c) && kanji.test(next)) || (kanji.test(c) && kata.test(next));
      ends.push([pos, used, word]);
    }
    function nearest(words) {
      var best = null;
      ends.forEach(function (e) { if ((!words || e[2]) && (!best || Math.abs(e[1] - half) < Math.abs(best[1] - half))) { best = e; } });
      return best;
    }
    var w = nearest(true), any = nearest(false);
    var cut = w && Math.abs(w[1] - half) <= 4 && total - w[1] <= max ? w[0] : (any ? any[0] : label.length);
    var rest = Array.from(label.slice(cut).trim()), out = "", width = 0, restWidth = 0;
    rest.forEach(function (c) { restWidth += cols(c); });
    for (var j = 0; j < rest.length; j++) {
      if (restWidth > max && width + cols(rest[j]) + 1 > max) { out += "…"; break; }
      width += cols(rest[j]); out += rest[j];
    }
    return [label.slice(0, cut).trim(), out];
  }
  function drawRadar() {
    // Same geometry as the build-time radar (render/charts.rs): labels wrap to two
    // lines of about six wide characters.
    var n = areas.length, cx = 280, r = 120, line = 22, cy = r + 30 + 2 * line;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    for (var l = 1; l <= max; l++) {
      var ring = [];
      for (var i = 0; i < n; i++) { ring.push(point(i, l, n, cx, cy, r).map(function (x) { return x.toFixed(1); }).join(",")); }
      svg.appendChild(el("polygon", { "class": "ring", points: ring.join(" ") }));
    }
    areas.forEach(function (a, i) {
      var p = point(i, max, n, cx, cy, r), lp = point(i, max + 0.55, n, cx, cy, r);
      svg.appendChild(el("line", { "class": "grid", x1: cx, y1: cy, x2: p[0].toFixed(1), y2: p[1].toFixed(1) }));
      var ang = -Math.PI / 2 + 2 * Math.PI * i / n, lx = cx + (r + 14) * Math.cos(ang), ly = cy + (r + 14) * Math.sin(ang);
      var anchor = Math.abs(Math.cos(ang)) < 0.2 ? "middle" : (Math.cos(ang) > 0 ? "start" : "end");
      var lines = wrap(a.name, 12), h = line * lines.length;
      var top = Math.sin(ang) < -0.5 ? ly - h + 4 : (Math.sin(ang) > 0.5 ? ly + line - 2 : ly - h / 2 + line - 4);
      var t = el("text", { "class": "axis radar-label", x: lx.toFixed(1), y: top.toFixed(1), "text-anchor": anchor });
      t.appendChild(el("title", {}, a.name));
      lines.forEach(function (l, k) { t.appendChild(el("tspan", { x: lx.toFixed(1), dy: k ? line : 0 }, l)); });
      svg.appendChild(t);
    });
    var target = areas.map(function (a) { return a.target_level || max; });
    var p = prev();
    var series = [[target, "s-target"]];
    if (p) { series.push([areas.map(function (a) { return p.levels[a.id] || 0; }), "s-previous"]); }
    series.push([levels(), "s-current"]);
    series.forEach(function (s) {
      var pts = s[0].map(function (v, i) { return point(i, v, n, cx, cy, r).map(function (x) { return x.toFixed(1); }).join(","); });
      svg.appendChild(el("polygon", { "class": "series " + s[1], points: pts.join(" ") }));
    });
  }

  // The team's latest assessment (built into the page): pre-fills the levels and
  // delegation the user has not chosen, and each area shows the change against it.
  var previous = {};
  try { previous = JSON.parse(document.getElementById("maturity-previous").textContent) || {}; } catch (e) { previous = {}; }
  var touched = {}, filledFor = null;
  function localDate(iso) {
    var d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!d) { return iso || ""; }
    try {
      return new Date(+d[1], d[2] - 1, +d[3]).toLocaleDateString(document.documentElement.lang || undefined, { year: "numeric", month: "long", day: "numeric" });
    } catch (e) { return iso; }
  }
  function prev() { return previous[value("team")] || null; }
  function applyPrevious() {
    var team = value("team"), p = previous[team], note = document.getElementById("prefill-note");
    if (team === filledFor) { return; }
    filledFor = team;
    areas.forEach(function (a) {
      if (touched[a.id]) { return; }
      var checked = form.querySelector("input[name='level-" + a.id + "']:checked");
      if (checked) { checked.checked = false; }
      var l = p && p.levels[a.id];
      var radio = l && form.querySelector("input[name='level-" + a.id + "'][value='" + l + "']");
      if (radio) { radio.checked = true; }
      var sel = form.elements["delegation-" + a.id];
      if (sel) { sel.value = (p && p.delegation[a.id]) || ""; }
    });
    if (note) {
      note.hidden = !p;
      if (p) { note.textContent = (form.getAttribute("data-prefilled") || "").replace("{date}", localDate(p.date)); }
    }
  }
  function showChanges() {
    var p = prev(), lv = levels();
    areas.forEach(function (a, i) {
      var span = form.querySelector(".level-change[data-area='" + a.id + "']");
      if (!span) { return; }
      var before = p && p.levels[a.id];
      if (!before) { span.textContent = ""; span.className = "level-change"; return; }
      var now = lv[i], kind = !now ? "" : (now > before ? "up" : (now < before ? "down" : "same"));
      span.className = "level-change" + (kind ? " change-" + kind : "");
      span.textContent = (form.getAttribute("data-previous") || "") + " " + before +
        (now ? " → " + now + " " + (kind === "up" ? "↑" : kind === "down" ? "↓" : "=") : "");
      span.setAttribute("title", kind ? form.getAttribute("data-" + kind) || "" : "");
    });
  }

  function fileText() {
    var lines = ["+++"];
    lines.push("team = " + tomlString(value("team")));
    lines.push("date = " + (value("date") || "1970-01-01"));
    var who = value("assessors").split(/[,、\s]+/).filter(Boolean);
    lines.push("assessors = [" + who.map(tomlString).join(", ") + "]");
    lines.push("", "[levels]");
    var lv = levels();
    areas.forEach(function (a, i) { if (lv[i] > 0) { lines.push(a.id + " = " + lv[i]); } });
    var del = areas.filter(function (a) { return value("delegation-" + a.id); });
    if (del.length) {
      lines.push("", "[delegation]");
      del.forEach(function (a) { lines.push(a.id + " = " + tomlString(value("delegation-" + a.id))); });
    }
    var ev = areas.filter(function (a) { return value("evidence-" + a.id).trim(); });
    if (ev.length) {
      lines.push("", "[evidence]");
      ev.forEach(function (a) { lines.push(a.id + " = " + tomlString(value("evidence-" + a.id).trim())); });
    }
    lines.push("+++", "");
    var notes = value("notes").trim();
    if (notes) { lines.push(notes, ""); }
    return lines.join("\n");
  }
  function fileName() { return (value("date") || "assessment") + ".md"; }

  function update() {
    drawRadar();
    showChanges();
    // textContent (not only value) so the file is also in the DOM.
    out.textContent = fileText();
    out.value = out.textContent;
    var team = value("team") || "<team>";
    var save = document.getElementById("save-path");
    save.textContent = (form.getAttribute("data-save-as") || "") + ": ";
    save.appendChild(document.createElement("code")).textContent = "content/maturity/" + team + "/" + fileName();
  }

  // Pre-fill from the URL fragment: #team=payments&slo=2&monitoring=3 (shareable links).
  function prefill() {
    var hash = location.hash.replace(/^#/, "");
    if (!hash) { return; }
    hash.split("&").forEach(function (pair) {
      var kv = pair.split("="), k = decodeURIComponent(kv[0] || ""), v = decodeURIComponent(kv[1] || "");
      if (k === "team" || k === "date" || k === "assessors") { form.elements[k].value = v; return; }
      var radio = form.querySelector("input[name='level-" + k.replace(/[^a-z0-9_-]/gi, "") + "'][value='" + v.replace(/[^0-9]/g, "") + "']");
      if (radio) { radio.checked = true; touched[k] = true; }
    });
  }

  document.getElementById("download").addEventListener("click", function () {
    var blob = new Blob([fileText()], { type: "text/markdown;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = fileName();
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });
  document.getElementById("copy").addEventListener("click", function () {
    out.select();
    var done = function () { document.getElementById("copy").textContent = form.getAttribute("data-copied") || "Copied"; };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(out.value).then(done); }
    else { try { document.execCommand("copy"); done(); } catch (e) { /* selected for manual copy */ } }
  });
  function changed(e) {
    var name = (e.target && e.target.name) || "";
    if (/^(level|delegation)-/.test(name)) { touched[name.replace(/^(level|delegation)-/, "")] = true; }
    if (name === "team") { applyPrevious(); }
    update();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("hashchange", function () { prefill(); applyPrevious(); update(); });
  prefill();
  applyPrevious();
  update();
})();
