// srekb search in the browser, with no server. The analyser, the query language, the
// scorer and the snippets mirror src/search/analyzer.rs and src/search/engine.rs line
// by line (tests/search_vectors.json holds both to the same ranked pages); only the
// index shards of the query's terms and the document packs shown are loaded, as
// <script> files, so it also works when the site is opened from file://.
(function () {
  "use strict";

  // ---- Analyser (src/search/analyzer.rs) ----
  function isKatakana(cp) {
    return (cp >= 0x30a1 && cp <= 0x30fa) || (cp >= 0x31f0 && cp <= 0x31ff);
  }
  function isHiragana(cp) { return cp >= 0x3041 && cp <= 0x309f; }
  function isCjk(cp) {
    return (cp >= 0x30a0 && cp <= 0x30ff) || (cp >= 0x31f0 && cp <= 0x31ff) ||
      (cp >= 0x3040 && cp <= 0x309f) || (cp >= 0x4e00 && cp <= 0x9fff) ||
      (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0x20000 && cp <= 0x2fa1f) || cp === 0x3005 || cp === 0x3006;
  }
  var WORD_RE = /^[\p{Alphabetic}\p{N}_]$/u;
  var WS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
  var OTHER = 0, WORD = 1, CJK = 2;
  function cp(c) { return c.codePointAt(0); }
  function charClass(c) {
    if (isCjk(cp(c))) { return CJK; }
    return WORD_RE.test(c) ? WORD : OTHER;
  }
  function compose(a, b) {
    var n = Array.from((a + b).normalize("NFC"));
    return n.length === 1 ? n[0] : null;
  }
  var ITERATION = { "々": 1, "ゝ": 1, "ヽ": 1, "ゞ": 2, "ヾ": 2 };
  function push(out, n) {
    var last = out[out.length - 1];
    if (n.c === "\u3099" || n.c === "\u309a") {
      var composed = last ? compose(last.c, n.c) : null;
      if (composed) { last.c = composed; last.to = n.to; return; }
    } else if (n.c === "ー" && last && isKatakana(cp(last.c))) {
      last.to = n.to;
      return;
    } else if (ITERATION[n.c] && last && isCjk(cp(last.c))) {
      var c = last.c;
      if (ITERATION[n.c] === 2) { c = compose(last.c, "\u3099") || last.c; }
      out.push({ c: c, from: n.from, to: n.to, upper: n.upper });
      return;
    }
    out.push(n);
  }
  // Normalised characters with the range (in code points) of the original they came from.
  function normalize(text) {
    var chars = Array.from(text);
    var out = [];
    for (var k = 0; k < chars.length; k++) {
      var nfkc = Array.from(chars[k].normalize("NFKC"));
      for (var i = 0; i < nfkc.length; i++) {
        var lower = nfkc[i].toLowerCase();
        var upper = lower !== nfkc[i];
        var ls = Array.from(lower);
        for (var l = 0; l < ls.length; l++) {
          push(out, { c: ls[l], from: k, to: k + 1, upper: upper });
        }
      }
    }
    return out;
  }
  function isAlphabetic(c) { return /^\p{Alphabetic}$/u.test(c); }
  function identifierParts(word) {
    var parts = [];
    var start = 0;
    for (var i = 0; i < word.length; i++) {
      if (word[i].c === "_") {
        if (i > start) { parts.push([start, i]); }
        start = i + 1;
        continue;
      }
      if (i > start) {
        var a = word[i - 1], b = word[i];
        var lowerToUpper = b.upper && !a.upper && isAlphabetic(a.c);
        var next = word[i + 1];
        var acronymEnd = b.upper && a.upper && next !== undefined && !next.upper && isAlphabetic(next.c);
        if (lowerToUpper || acronymEnd) { parts.push([start, i]); start = i; }
      }
    }
    if (word.length > start) { parts.push([start, word.length]); }
    return parts.length < 2 ? [] : parts;
  }
  function join(run, a, b) {
    var s = "";
    for (var i = a; i < b; i++) { s += run[i].c; }
    return s;
  }
  function analyzeWith(text, withParts) {
    var chars = normalize(text);
    var tokens = [];
    var position = 0;
    var i = 0;
    while (i < chars.length) {
      var cls = charClass(chars[i].c);
      var j = i + 1;
      while (j < chars.length && charClass(chars[j].c) === cls) { j++; }
      var run = chars.slice(i, j);
      if (cls === WORD) {
        tokens.push({ text: join(run, 0, run.length), from: run[0].from, to: run[run.length - 1].to, position: position, part: false });
        if (withParts) {
          identifierParts(run).forEach(function (p) {
            tokens.push({ text: join(run, p[0], p[1]), from: run[p[0]].from, to: run[p[1] - 1].to, position: position, part: true });
          });
        }
        position++;
      } else if (cls === CJK && run.length === 1) {
        tokens.push({ text: run[0].c, from: run[0].from, to: run[0].to, position: position++, part: false });
      } else if (cls === CJK) {
        for (var b = 0; b + 1 < run.length; b++) {
          tokens.push({ text: run[b].c + run[b + 1].c, from: run[b].from, to: run[b + 1].to, position: position++, part: false });
        }
      }
      i = j;
    }
    return tokens;
  }
  function analyze(text) { return analyzeWith(text, true); }
  function analyzeQuery(text) { return analyzeWith(text, false); }
  function terms(text) { return analyze(text).map(function (t) { return t.text; }); }
  function tokensOf(text) { return analyzeQuery(text).map(function (t) { return t.text; }); }
  // The lookups of a query word (analyzer::lookups): a Latin word as it is; per
  // Japanese run, one character as it is, two as the start of terms, three or more
  // as the trigrams starting at every other character and the last.
  function lookups(word) {
    var chars = normalize(word);
    var out = [];
    function add(term, starts) {
      if (!out.some(function (l) { return l.term === term && l.starts === starts; })) { out.push({ term: term, starts: starts }); }
    }
    var i = 0;
    while (i < chars.length) {
      var cls = charClass(chars[i].c);
      var j = i + 1;
      while (j < chars.length && charClass(chars[j].c) === cls) { j++; }
      var run = chars.slice(i, j).map(function (n) { return n.c; });
      if (cls === WORD) {
        add(run.join(""), false);
      } else if (cls === CJK && run.length <= 2) {
        add(run.join(""), run.length === 2);
      } else if (cls === CJK) {
        for (var k = 0; ; k += 2) {
          var at = Math.min(k, run.length - 3);
          add(run.slice(at, at + 3).join(""), false);
          if (at === run.length - 3) { break; }
        }
      }
      i = j;
    }
    return out;
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
  // The first two characters of a Japanese term, three of a Latin one (web::shard_key).
  function shardKey(term) {
    var chars = Array.from(term);
    return chars.slice(0, chars.length && charClass(chars[0]) === CJK ? 2 : 3).join("");
  }

  // ---- The engine (src/search/engine.rs) ----
  var FIELDS = 4;
  var BOOSTS = [4.0, 2.0, 2.0, 1.0];
  var K1 = 2.0;
  var PREFIX_WEIGHT = 0.5;
  var SPLIT_WEIGHT = 0.5;
  var ALSO_PARTS_BELOW = 20;
  var ADJACENT = 1.0;
  // Katakana no word starts with (small kana, ン): a compound is not cut before them.
  var NO_WORD_START = "ァィゥェォッャュョヮヵヶン";
  var PARTICLES = ["の", "が", "を", "に", "へ", "で", "と", "は", "も", "や", "から", "まで", "より"];

  function isLatin(token) { return token.length > 0 && charClass(Array.from(token)[0]) === WORD; }
  // Runs of letters or of Japanese script (analyzer::runs).
  function runs(word) {
    var n = 0, prev = OTHER;
    normalize(word).forEach(function (c) {
      var cls = charClass(c.c);
      if (cls !== OTHER && cls !== prev) { n++; }
      prev = cls;
    });
    return n;
  }
  function unit(text, last) {
    var tokens = tokensOf(text);
    var n = tokens.length ? Array.from(tokens[0]).length : 0;
    return { tokens: tokens, lookups: lookups(text), prefix: tokens.length === 1 && isLatin(tokens[0]) && (n >= 4 || (last && n >= 3)), runs: runs(text) };
  }
  // Two neighbouring words written together, as far as the index can tell
  // (engine::pair_text): null across a change of script.
  function pairText(a, b) {
    a = normalize(a).map(function (n) { return n.c; });
    b = normalize(b).map(function (n) { return n.c; });
    if (!a.length || !b.length) { return null; }
    var x = charClass(a[a.length - 1]), y = charClass(b[0]);
    if (x === CJK && y === CJK) {
      var head = [];
      for (var i = a.length - 1; i >= 0 && i >= a.length - 2 && charClass(a[i]) === CJK; i--) { head.unshift(a[i]); }
      var tail = [];
      for (var j = 0; j < b.length && j < 2 && charClass(b[j]) === CJK; j++) { tail.push(b[j]); }
      return head.concat(tail).join("");
    }
    if (x === WORD && y === WORD && a.concat(b).every(function (c) { return charClass(c) === WORD; })) {
      return a.concat(b).join("");
    }
    return null;
  }
  // The neighbouring words' pairs as units (null: none).
  function pairUnits(parsed) {
    var out = [];
    for (var i = 0; i + 1 < parsed.length; i++) {
      var t = pairText(parsed[i][0], parsed[i + 1][0]);
      var u = t === null ? null : unit(t, false);
      if (u) { u.prefix = false; }
      out.push(u);
    }
    return out;
  }
  function sameTokens(a, b) {
    return a.length === b.length && a.every(function (t, i) { return t === b[i]; });
  }
  function sameUnit(a, b) { return a.prefix === b.prefix && sameTokens(a.tokens, b.tokens); }
  function splitWhitespace(s) {
    return Array.from(s).reduce(function (acc, c) {
      if (WS.test(c)) { acc.push(""); } else { acc[acc.length - 1] += c; }
      return acc;
    }, [""]).filter(function (p) { return p.length > 0; });
  }
  function parse(query) {
    var parts = splitWhitespace(query);
    var words = [];
    parts.forEach(function (p, i) {
      var u = unit(p, i + 1 === parts.length);
      if (u.tokens.length === 0) { return; }
      if (!words.some(function (w) { return sameTokens(w[1].tokens, u.tokens); })) { words.push([p, u]); }
    });
    return words;
  }
  function emptyOcc() { return { tf: [0, 0, 0, 0] }; }
  function numeric(a, b) { return a - b; }
  // Occurrences of one lookup: the counts of its term, or of every term it starts
  // (Latin prefixes counting PREFIX_WEIGHT).
  function lookup(src, l, latinPrefix) {
    var out = new Map();
    var list = l.starts || latinPrefix ? src.prefixed(l.term) : [l.term];
    list.forEach(function (term) {
      var w = latinPrefix && term !== l.term ? PREFIX_WEIGHT : 1.0;
      src.counts(term).forEach(function (counts, doc) {
        var o = out.get(doc);
        if (!o) { o = emptyOcc(); out.set(doc, o); }
        for (var f = 0; f < FIELDS; f++) { o.tf[f] += w * counts[f]; }
      });
    });
    return out;
  }
  // Occurrences of `u`: the documents where one field holds every lookup, counted
  // per field by the rarest lookup.
  function phrase(src, u) {
    var latinPrefix = u.prefix && u.lookups.length === 1;
    var acc = null;
    for (var i = 0; i < u.lookups.length; i++) {
      var occ = lookup(src, u.lookups[i], latinPrefix);
      if (acc === null) {
        acc = occ;
      } else {
        acc.forEach(function (o, doc) {
          var b = occ.get(doc);
          if (!b) { acc.delete(doc); return; }
          for (var f = 0; f < FIELDS; f++) { o.tf[f] = Math.min(o.tf[f], b.tf[f]); }
        });
      }
      if (acc.size === 0) { break; }
    }
    var out = new Map();
    if (acc) {
      Array.from(acc.keys()).sort(numeric).forEach(function (doc) {
        var o = acc.get(doc);
        if (o.tf.some(function (t) { return t > 0; })) { out.set(doc, o); }
      });
    }
    return out;
  }
  var LATIN = 1, KATAKANA = 2, HIRAGANA = 3, KANJI = 4, SOTHER = 0;
  function script(c) {
    var x = cp(c);
    if (isKatakana(x) || c === "ー") { return KATAKANA; }
    if (isHiragana(x)) { return HIRAGANA; }
    if (isCjk(x)) { return KANJI; }
    if (charClass(c) === WORD) { return LATIN; }
    return SOTHER;
  }
  function pieces(word) {
    var chars = normalize(word).map(function (n) { return n.c; });
    var out = [];
    var cur = "";
    var prev = SOTHER;
    var i = 0;
    while (i < chars.length) {
      var s = script(chars[i]);
      if (s === HIRAGANA && prev !== HIRAGANA && prev !== SOTHER) {
        var j = i;
        while (j < chars.length && script(chars[j]) === HIRAGANA) { j++; }
        var run = chars.slice(i, j).join("");
        if (j < chars.length && PARTICLES.indexOf(run) >= 0) {
          if (cur) { out.push(cur); cur = ""; }
          prev = SOTHER;
          i = j;
          continue;
        }
      }
      var joins = prev === s || (prev === KANJI && s === HIRAGANA);
      if ((!joins || s === SOTHER) && cur) { out.push(cur); cur = ""; }
      if (s !== SOTHER) { cur += chars[i]; }
      prev = s;
      i++;
    }
    if (cur) { out.push(cur); }
    return out;
  }
  function split(src, word) {
    var units = [];
    pieces(word).forEach(function (piece) {
      var chars = Array.from(piece);
      var start = 0;
      while (start < chars.length) {
        var chosen = null;
        if (chars.length - start >= 2 && script(chars[start]) !== LATIN) {
          for (var end = chars.length; end >= start + 2; end--) {
            var u = unit(chars.slice(start, end).join(""), false);
            if (u.tokens.length === 0) { continue; }
            if (phrase(src, u).size > 0) { chosen = [end, u]; break; }
          }
        }
        if (!chosen) { chosen = [chars.length, unit(chars.slice(start).join(""), false)]; }
        var cu = chosen[1];
        if (cu.tokens.length && !units.some(function (x) { return sameUnit(x, cu); })) { units.push(cu); }
        start = chosen[0];
      }
    });
    return units;
  }
  function idf(n, df) { return Math.log(1.0 + (n - df + 0.5) / (df + 0.5)); }
  // BM25F (engine::field_score): the fields' counts weighted, then saturated once.
  function fieldScore(idfv, o) {
    var tf = 0.0;
    for (var f = 0; f < FIELDS; f++) { tf += BOOSTS[f] * o.tf[f]; }
    return idfv * tf * (K1 + 1.0) / (tf + K1);
  }
  // The parts a word that occurs whole (on `pages` pages) is also matched by
  // (engine::also_parts).
  function alsoParts(src, word, pages) {
    var all = pieces(word);
    if (all.length !== 1) {
      var units = split(src, word);
      return units.length >= 2 ? units : [];
    }
    var chars = Array.from(all[0]);
    var kana = script(chars[0]) === KATAKANA;
    if (!(script(chars[0]) === KANJI || (kana && pages < ALSO_PARTS_BELOW))) { return []; }
    var least = kana ? 3 : 2;
    for (var end = chars.length - least; end >= least; end--) {
      if (kana && NO_WORD_START.indexOf(chars[end]) >= 0) { continue; }
      var a = unit(chars.slice(0, end).join(""), false);
      var b = unit(chars.slice(end).join(""), false);
      if (phrase(src, a).size > 0 && phrase(src, b).size > 0) { return [a, b]; }
    }
    return [];
  }
  function docsOf(w) {
    var set = Array.from(w.whole.keys());
    if (w.matched.parts.length === 0) { return set; }
    var both = Array.from(w.parts[0].keys());
    for (var i = 1; i < w.parts.length; i++) {
      var p = w.parts[i];
      both = both.filter(function (d) { return p.has(d); });
    }
    both.forEach(function (d) { if (!w.whole.has(d)) { set.push(d); } });
    return set.sort(numeric);
  }
  // facets: {n, kindOf(doc) → name, services(doc) → [names], tags(doc) → [names]}
  function run(src, facets, query, filters) {
    var n = facets.n;
    var words = [];
    var parsed = parse(query);
    var pairs = pairUnits(parsed).map(function (u) { return u ? phrase(src, u) : new Map(); });
    parsed.forEach(function (pw) {
      var text = pw[0], u = pw[1];
      var whole = u.runs > 1 ? new Map() : phrase(src, u);
      if (whole.size > 0) {
        var also = alsoParts(src, text, whole.size);
        words.push({ matched: { word: u, parts: also }, whole: whole, parts: also.map(function (p) { return phrase(src, p); }) });
        return;
      }
      var units = split(src, text);
      var isSplit = units.length >= 2 || (units.length === 1 && !sameUnit(units[0], u));
      words.push({
        matched: { word: u, parts: isSplit ? units : [] },
        whole: whole,
        parts: isSplit ? units.map(function (p) { return phrase(src, p); }) : []
      });
    });
    var counts = { kind: {}, service: {}, tag: {} };
    if (words.length === 0) { return { hits: [], words: [], counts: counts }; }
    var sets = words.map(docsOf);
    var idfs = words.map(function (w, i) {
      return [idf(n, w.whole.size ? w.whole.size : sets[i].length), w.parts.map(function (p) { return idf(n, p.size); })];
    });
    var all = sets[0].slice().sort(numeric);
    for (var s = 1; s < sets.length; s++) {
      var has = new Set(sets[s]);
      all = all.filter(function (d) { return has.has(d); });
    }
    var hits = [];
    function bump(map, key) { map[key] = (map[key] || 0) + 1; }
    all.forEach(function (doc) {
      if (doc >= n) { return; }
      var kind = facets.kindOf(doc);
      var svc = facets.services(doc);
      var tags = facets.tags(doc);
      bump(counts.kind, kind);
      svc.forEach(function (x) { bump(counts.service, x); });
      tags.forEach(function (x) { bump(counts.tag, x); });
      if ((filters.kind && filters.kind !== kind) ||
          (filters.service && svc.indexOf(filters.service) < 0) ||
          (filters.tag && tags.indexOf(filters.tag) < 0)) { return; }
      var score = 0.0;
      words.forEach(function (w, wi) {
        var o = w.whole.get(doc);
        if (o && w.parts.length === 0) { score += fieldScore(idfs[wi][0], o); return; }
        // A word with parts ranks as its parts typed apart, twice as high where it is
        // written whole.
        var sum = 0.0;
        w.parts.forEach(function (p, i) {
          var po = p.get(doc);
          if (po) { sum += fieldScore(idfs[wi][1][i], po); }
        });
        score += o ? sum : SPLIT_WEIGHT * sum;
      });
      if (pairs.length) {
        var together = pairs.filter(function (p) { return p.has(doc); }).length;
        score *= 1.0 + ADJACENT * together / pairs.length;
      }
      hits.push([doc, Math.round(score * 1000.0)]);
    });
    hits.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    return { hits: hits, words: words.map(function (w) { return w.matched; }), counts: counts };
  }

  // ---- Snippets (engine::snippet) ----
  var SNIPPET_BEFORE = 20, SNIPPET_CHARS = 120, SNIPPET_SPAN = 20;
  function snippetPieces(text, total, words) {
    var tokens = analyze(text);
    var chars = Array.from(text);
    var byPos = new Map();
    tokens.forEach(function (t, i) {
      if (!byPos.has(t.position)) { byPos.set(t.position, []); }
      byPos.get(t.position).push(i);
    });
    var positions = Array.from(byPos.keys()).sort(numeric);
    // A unit's occurrences: [position, from, to].
    function find(u) {
      var out = [];
      positions.forEach(function (p) {
        var range = null;
        for (var k = 0; k < u.tokens.length; k++) {
          var want = u.tokens[k];
          var at = byPos.get(p + k) || [];
          var found = null;
          for (var x = 0; x < at.length; x++) {
            var tt = tokens[at[x]].text;
            if (tt === want || (u.prefix && tt.startsWith(want))) { found = tokens[at[x]]; break; }
          }
          if (!found) { return; }
          range = range ? [Math.min(range[0], found.from), Math.max(range[1], found.to)] : [found.from, found.to];
        }
        if (range) { out.push([p, range[0], range[1]]); }
      });
      return out;
    }
    // A word is marked whole where the text holds it, else by its parts.
    var occ = [];
    var ui = 0;
    words.forEach(function (w) {
      var whole = find(w.word);
      var lists = whole.length === 0 && w.parts.length ? w.parts.map(find) : [whole];
      lists.forEach(function (list) {
        list.forEach(function (o) { occ.push([o[0], ui, o[1], o[2]]); });
        ui++;
      });
    });
    occ.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]; });
    var anchor = 0, best = 0;
    occ.forEach(function (o, i) {
      var seen = new Set();
      for (var j = i; j < occ.length; j++) {
        if (occ[j][0] >= o[0] + SNIPPET_SPAN) { break; }
        seen.add(occ[j][1]);
      }
      if (seen.size > best) { best = seen.size; anchor = o[2]; }
    });
    var start = Math.max(0, anchor - SNIPPET_BEFORE);
    var end = Math.min(start + SNIPPET_CHARS, chars.length);
    var marks = occ.filter(function (o) { return o[2] >= start && o[3] <= end; })
      .map(function (o) { return [o[2], o[3]]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var merged = [];
    marks.forEach(function (m) {
      var last = merged[merged.length - 1];
      if (last && m[0] <= last[1]) { last[1] = Math.max(last[1], m[1]); } else { merged.push([m[0], m[1]]); }
    });
    function slice(a, b) {
      var out = "", space = false;
      for (var i = a; i < b; i++) {
        if (WS.test(chars[i])) {
          if (!space) { out += " "; }
          space = true;
        } else {
          out += chars[i];
          space = false;
        }
      }
      return out;
    }
    var out = [];
    if (start > 0) { out.push(["…", false]); }
    var at = start;
    merged.forEach(function (m) {
      if (m[0] > at) { out.push([slice(at, m[0]), false]); }
      out.push([slice(m[0], m[1]), true]);
      at = m[1];
    });
    if (end > at) { out.push([slice(at, end), false]); }
    if (end < Math.max(chars.length, total)) { out.push(["…", false]); }
    return out;
  }
  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  function snippetHtml(pieces) {
    return pieces.map(function (p) {
      return p[1] ? "<mark>" + escapeHtml(p[0]) + "</mark>" : escapeHtml(p[0]);
    }).join("");
  }

  // ---- Index files, loaded as scripts that call back into srekbSearch ----
  var self = document.currentScript;
  var base = self ? self.getAttribute("data-index") : null;
  var meta = null;
  var shards = {};
  var packs = {};
  var facetData = null;
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
  function hashOf(list, i) { return list.substr(i * 5, 5); }
  function loadMeta() { return load("meta.js"); }
  function shardOf(term) { return fnv1a(shardKey(term)) % meta.shards; }
  function loadShard(k) { return load("s/" + k + "." + hashOf(meta.sh, k) + ".js").then(function () { return inflating["s" + k]; }); }
  function loadPack(p) { return load("d/" + p + "." + hashOf(meta.ph, p) + ".js").then(function () { return inflating["d" + p]; }); }
  // Shards and packs come packed (web::packed): raw deflate in 85 letters, four
  // bytes as five, most significant first; the browser inflates them.
  var B85 = "!#$%&()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{";
  var B85V = {};
  B85.split("").forEach(function (c, i) { B85V[c] = i; });
  function unb85(s) {
    var out = new Uint8Array(Math.floor(s.length / 5) * 4 + Math.max(0, (s.length % 5) - 1));
    var o = 0;
    for (var i = 0; i < s.length; i += 5) {
      var n = Math.min(5, s.length - i);
      var v = 0;
      for (var k = 0; k < 5; k++) { v = v * 85 + (k < n ? B85V[s.charAt(i + k)] : 84); }
      v = v % 4294967296;
      for (var b = 0; b < n - 1; b++) { out[o++] = (v >>> (24 - 8 * b)) & 255; }
    }
    return out;
  }
  function inflate(s) {
    var stream = new Blob([unb85(s)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return new Response(stream).text();
  }
  // A shard's lines, `<characters shared with the previous term> <rest>\t<postings>`,
  // as a Map term → postings (web::shard_text).
  function shardTerms(text) {
    var out = new Map();
    var prev = [];
    text.split("\n").forEach(function (line) {
      var sp = line.indexOf(" ");
      var tab = line.indexOf("\t", sp);
      if (sp < 0 || tab < 0) { return; }
      var term = prev.slice(0, +line.slice(0, sp)).concat(Array.from(line.slice(sp + 1, tab)));
      out.set(term.join(""), line.slice(tab + 1));
      prev = term;
    });
    return out;
  }
  var inflating = {};
  function loadFacets() { return load("f." + meta.fh + ".js"); }

  // Posting varints: base 44, least significant first; letters from 44 on mean more follow.
  var DIGITS = {};
  "!#$%&()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~".split("").forEach(function (c, i) { DIGITS[c] = i; });
  function reader(s) {
    var i = 0;
    return {
      more: function () { return i < s.length; },
      next: function () {
        var v = 0, mul = 1;
        while (i < s.length) {
          var d = DIGITS[s.charAt(i++)];
          v += (d % 44) * mul;
          mul *= 44;
          if (d < 44) { break; }
        }
        return v;
      }
    };
  }
  // A term's documents: Map(doc → counts in title, headings, tags, body).
  function decodeCounts(s) {
    var r = reader(s);
    var out = new Map();
    var doc = 0, first = true;
    while (r.more()) {
      var delta = r.next();
      doc = first ? delta : doc + delta;
      first = false;
      var mask = r.next();
      var counts = mask === 0 ? [0, 0, 0, 1] : [0, 0, 0, 0];
      for (var f = 0; f < FIELDS; f++) {
        if (mask & (1 << f)) { counts[f] = r.next(); }
      }
      out.set(doc, counts);
    }
    return out;
  }
  function entry(table, term) {
    var shard = table[shardOf(term)];
    return (shard && shard.get(term)) || "";
  }
  var countCache = {};
  // Shards a run asked for before they were loaded: the query runs again once they are.
  var missing = {};
  function loaded(term) {
    var k = shardOf(term);
    if (shards[k]) { return true; }
    missing[k] = true;
    return false;
  }
  var staticSource = {
    counts: function (term) {
      if (!loaded(term)) { return new Map(); }
      if (!countCache[term]) { countCache[term] = decodeCounts(entry(shards, term)); }
      return countCache[term];
    },
    prefixed: function (prefix) {
      if (!loaded(prefix)) { return []; }
      // In the shard's order: the terms sorted as Rust sorts them (by UTF-8 bytes).
      return Array.from(shards[shardOf(prefix)].keys()).filter(function (t) { return t.startsWith(prefix); });
    }
  };
  function kindOf(doc) {
    var ks = Object.keys(meta.kinds);
    for (var i = 0; i < ks.length; i++) {
      var r = meta.kinds[ks[i]];
      if (doc >= r[0] && doc < r[1]) { return ks[i]; }
    }
    return "";
  }
  // Per document: names of services and tags (from the inverted lists of the facets file).
  var byDoc = null;
  function facetsOf(doc, which) {
    if (!facetData) { return []; }
    if (!byDoc) {
      byDoc = { s: new Map(), t: new Map() };
      [["s", facetData.services, facetData.sd], ["t", facetData.tags, facetData.td]].forEach(function (x) {
        x[2].forEach(function (docs, i) {
          var d = 0;
          docs.forEach(function (delta, k) {
            d = k === 0 ? delta : d + delta;
            if (!byDoc[x[0]].has(d)) { byDoc[x[0]].set(d, []); }
            byDoc[x[0]].get(d).push(x[1][i]);
          });
        });
      });
    }
    return byDoc[which].get(doc) || [];
  }
  var staticFacets = {
    get n() { return meta.n; },
    kindOf: kindOf,
    services: function (d) { return facetsOf(d, "s"); },
    tags: function (d) { return facetsOf(d, "t"); }
  };

  var api = {
    analyze: analyze,
    analyzeQuery: analyzeQuery,
    terms: terms,
    pieces: pieces,
    fnv1a: fnv1a,
    snippetPieces: snippetPieces,
    snippetHtml: snippetHtml,
    meta: function (m) { meta = m; },
    shard: function (k, data) { inflating["s" + k] = inflate(data).then(function (t) { shards[k] = shardTerms(t); }); },
    docs: function (p, data) { inflating["d" + p] = inflate(data).then(function (t) { packs[p] = JSON.parse(t); }); },
    facets: function (f) { facetData = f; byDoc = null; }
  };
  window.srekbSearch = api;

  // Loads the shards of the query's words and of their pairs (and, with
  // `needFacets`, the facets file); what a word's parts need is found by running.
  function prepare(text, needFacets) {
    return loadMeta().then(function () {
      var parsed = parse(text);
      var need = {};
      parsed.map(function (pw) { return pw[1]; }).concat(pairUnits(parsed)).forEach(function (u) {
        if (u) { u.lookups.forEach(function (l) { need[shardOf(l.term)] = true; }); }
      });
      var files = Object.keys(need).map(function (k) { return loadShard(+k); });
      if (needFacets) { files.push(loadFacets()); }
      return Promise.all(files);
    });
  }
  // Runs the query; when the run asked for shards not loaded yet (the parts split
  // tries), loads them and runs again: only the shards a query reads are fetched.
  function settle(text, filters) {
    missing = {};
    var r = run(staticSource, staticFacets, text, filters);
    var more = Object.keys(missing);
    if (more.length === 0) { return Promise.resolve(r); }
    return Promise.all(more.map(function (k) { return loadShard(+k); })).then(function () { return settle(text, filters); });
  }
  // Every hit of `text`: {hits: [[doc, score × 1000]], words, counts, total}.
  function query(text, filters, needFacets) {
    filters = filters || {};
    if (parse(text).length === 0) {
      return Promise.resolve({ hits: [], words: [], counts: { kind: {}, service: {}, tag: {} }, total: 0 });
    }
    var facets = needFacets || filters.service || filters.tag;
    return prepare(text, facets).then(function () { return settle(text, filters); }).then(function (r) {
      r.total = r.hits.length;
      return r;
    });
  }
  api.query = query;
  // The documents of hits [{doc, …}] with their snippets.
  function describe(r, hits) {
    var ps = {};
    hits.forEach(function (h) { ps[Math.floor(h[0] / meta.pack)] = true; });
    return Promise.all(Object.keys(ps).map(function (p) { return loadPack(+p); })).then(function () {
      return hits.map(function (h) {
        var d = packs[Math.floor(h[0] / meta.pack)][h[0] % meta.pack];
        var pieces = snippetPieces(d.x, d.n, r.words);
        return { id: h[0], score: h[1], t: d.t, u: d.u, k: d.k, d: d.d, pieces: pieces, snippet_html: snippetHtml(pieces) };
      });
    });
  }
  // The best `limit` hits as documents {id, score, t: title, u: URL, k: kind, d: date, snippet_html}.
  api.search = function (text, filters, limit) {
    if (typeof filters === "string") { filters = { kind: filters }; }
    return query(text, filters).then(function (r) {
      return describe(r, r.hits.slice(0, limit || 10)).then(function (docs) {
        docs.total = r.total;
        return docs;
      });
    });
  };

  // ---- The search page ----
  var form = document.getElementById("search-form");
  var results = document.getElementById("search-results");
  if (!form || !results) { return; }
  var input = form.querySelector("input[name=q]");
  var selects = {
    kind: form.querySelector("select[name=kind]"),
    service: form.querySelector("select[name=service]"),
    tag: form.querySelector("select[name=tag]")
  };
  var status = document.getElementById("search-status");
  var more = document.getElementById("search-more");
  var root = results.getAttribute("data-root") || "";
  var labels = JSON.parse(results.getAttribute("data-labels") || "{}");
  var PAGE = 10;
  var current = null;
  var shown = 0;
  var serial = 0;
  var selected = -1;

  function href(url) {
    var path = root + url.replace(/^\//, "");
    if (location.protocol === "file:" && /\/$/.test(path)) { path += "index.html"; }
    return path;
  }
  function message(template, q, n) {
    return template.replace("{q}", q).replace("{n}", String(n));
  }
  function label(which, value) {
    if (which === "kind" && labels.kinds && labels.kinds[value]) { return labels.kinds[value]; }
    return value;
  }
  // Options of a filter with the hit counts of the query (the chosen value stays).
  function fillCounts(counts) {
    Object.keys(selects).forEach(function (which) {
      var sel = selects[which];
      if (!sel) { return; }
      var chosen = sel.value;
      var c = counts[which] || {};
      var names = Object.keys(c);
      if (chosen && names.indexOf(chosen) < 0) { names.push(chosen); }
      names.sort();
      while (sel.options.length > 1) { sel.remove(1); }
      names.forEach(function (name) {
        var o = document.createElement("option");
        o.value = name;
        o.textContent = label(which, name) + " (" + (c[name] || 0) + ")";
        sel.appendChild(o);
      });
      sel.value = chosen;
      sel.hidden = which !== "kind" && names.length === 0;
    });
  }
  function render(docs) {
    docs.forEach(function (d) {
      var li = document.createElement("li");
      li.className = "search-hit";
      li.setAttribute("data-id", String(d.id));
      var a = document.createElement("a");
      a.className = "search-hit-title";
      a.href = href(d.u);
      a.textContent = d.t;
      li.appendChild(a);
      var info = document.createElement("span");
      info.className = "search-hit-meta";
      info.textContent = label("kind", d.k) + (d.d ? " · " + d.d : "");
      li.appendChild(info);
      var p = document.createElement("p");
      p.className = "search-hit-snippet";
      d.pieces.forEach(function (piece) {
        if (piece[1]) {
          var mark = document.createElement("mark");
          mark.textContent = piece[0];
          p.appendChild(mark);
        } else {
          p.appendChild(document.createTextNode(piece[0]));
        }
      });
      li.appendChild(p);
      results.appendChild(li);
    });
  }
  function showMore(mine) {
    var batch = current.hits.slice(shown, shown + PAGE);
    shown += batch.length;
    var done;
    if (current.live) {
      done = Promise.resolve(batch);
    } else {
      done = describe(current, batch);
    }
    return done.then(function (docs) {
      if (mine !== serial) { return; }
      render(docs);
      more.hidden = shown >= current.hits.length;
    });
  }
  function filters() {
    var f = {};
    Object.keys(selects).forEach(function (k) { if (selects[k] && selects[k].value) { f[k] = selects[k].value; } });
    return f;
  }
  // `srekb serve`: the live index answers with the same engine.
  function liveQuery(q, f) {
    var url = "/api/search?limit=200&q=" + encodeURIComponent(q);
    Object.keys(f).forEach(function (k) { url += "&" + k + "=" + encodeURIComponent(f[k]); });
    return fetch(url).then(function (r) { return r.json(); }).then(function (j) {
      if (j.error) { throw new Error(j.error); }
      return {
        live: true,
        total: j.total,
        counts: j.counts,
        hits: j.hits.map(function (h) {
          var tmp = document.createElement("p");
          tmp.innerHTML = h.snippet_html; // escaped by srekb, matches in <mark>
          var pieces = Array.from(tmp.childNodes).map(function (n) { return [n.textContent, n.nodeName === "MARK"]; });
          return { id: h.id, t: h.title, u: h.url, k: h.kind, d: h.date, pieces: pieces };
        })
      };
    });
  }
  function runPage() {
    var q = input.value.trim();
    var f = filters();
    var mine = ++serial;
    selected = -1;
    try {
      var params = new URLSearchParams();
      if (q) { params.set("q", q); }
      Object.keys(f).forEach(function (k) { params.set(k, f[k]); });
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
    var answer = window.srekbServe ? liveQuery(q, f) : query(q, f, true);
    return answer.then(function (r) {
      if (mine !== serial) { return; }
      current = r;
      shown = 0;
      results.textContent = "";
      status.textContent = r.total ? message(labels.results || "{n}", q, r.total) : message(labels.none || "0", q, 0);
      fillCounts(r.counts);
      more.hidden = true;
      if (r.live) {
        render(r.hits.slice(0, PAGE));
        shown = Math.min(PAGE, r.hits.length);
        more.hidden = shown >= r.hits.length;
        return;
      }
      return showMore(mine);
    }).then(function () {
      if (mine === serial) { results.setAttribute("data-done", q); }
    }, function (e) {
      if (mine === serial) { status.textContent = labels.error || String(e); }
    });
  }
  function select(i) {
    var items = results.querySelectorAll(".search-hit");
    if (items.length === 0) { return; }
    selected = Math.max(-1, Math.min(items.length - 1, i));
    items.forEach(function (li, k) { li.classList.toggle("selected", k === selected); });
    if (selected >= 0) {
      items[selected].querySelector("a").focus();
    } else {
      input.focus();
    }
  }
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(runPage, 120);
  });
  Object.keys(selects).forEach(function (k) { if (selects[k]) { selects[k].addEventListener("change", runPage); } });
  form.addEventListener("submit", function (e) { e.preventDefault(); runPage(); });
  more.addEventListener("click", function () { showMore(serial); });
  document.addEventListener("keydown", function (e) {
    var typing = e.target && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.nodeName);
    if (e.key === "/" && !typing) {
      e.preventDefault();
      input.focus();
      input.select();
    } else if (e.key === "ArrowDown" && (e.target === input || results.contains(e.target))) {
      e.preventDefault();
      select(selected + 1);
    } else if (e.key === "ArrowUp" && (e.target === input || results.contains(e.target))) {
      e.preventDefault();
      select(selected - 1);
    } else if (e.key === "Enter" && e.target === input && selected >= 0) {
      e.preventDefault();
      location.href = results.querySelectorAll(".search-hit a")[selected].href;
    }
  });
  var params = new URLSearchParams(location.search);
  if (params.get("q")) { input.value = params.get("q"); }
  Object.keys(selects).forEach(function (k) {
    if (!selects[k] || !params.get(k)) { return; }
    if (!Array.from(selects[k].options).some(function (o) { return o.value === params.get(k); })) {
      var o = document.createElement("option");
      o.value = params.get(k);
      o.textContent = params.get(k);
      selects[k].appendChild(o);
    }
    selects[k].value = params.get(k);
  });
  runPage();
})();
