// Bytes a browser downloads for a query, and the time of a query once loaded: runs the
// theme's real search.js in Node with a minimal DOM shim whose <script> loading reads
// files from the built site's search/ directory and counts their bytes (raw and gzip).
// For each query: a first query in a fresh page (search.js included), a second query
// in the same page after the first (`second`), and the query time with every file
// already loaded (median of 5 runs, all hits ranked and the top 10 described).
// Usage: node benches/search-bytes.mjs PUBLIC_DIR SEARCH_JS query...
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import zlib from "node:zlib";

const [publicDir, searchJs, ...queries] = process.argv.slice(2);
const dir = path.join(publicDir, "search");
const code = fs.readFileSync(searchJs, "utf8");
const codeBytes = Buffer.byteLength(code);
const codeGz = zlib.gzipSync(code).length;

let raw = 0;
let byDir = {};
const dirTotals = {};
let gz = 0;
globalThis.window = globalThis;
globalThis.location = { protocol: "http:", search: "" };
globalThis.document = {
  currentScript: { getAttribute: () => "" },
  createElement: () => ({}),
  getElementById: () => null,
  head: {
    appendChild(el) {
      const file = path.join(dir, el.src);
      const text = fs.readFileSync(file);
      raw += text.length;
      byDir[el.src.split("/")[0].split(".")[0]] = (byDir[el.src.split("/")[0].split(".")[0]] || 0) + text.length;
      gz += zlib.gzipSync(text).length;
      setImmediate(() => {
        vm.runInThisContext(text.toString("utf8"));
        el.onload();
      });
    },
  },
};

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(s.length * p / 100) - 1)]; };
const rows = [];
for (let i = 0; i < queries.length; i++) {
  const q = queries[i];
  const next = queries[(i + 1) % queries.length];
  vm.runInThisContext(code); // a fresh page: nothing cached
  byDir = {};
  raw = codeBytes;
  gz = codeGz;
  const docs = await globalThis.srekbSearch.search(q, {}, 10);
  const first = { raw, gz };
  for (const [k, v] of Object.entries(byDir)) (dirTotals[k] ||= []).push(v);
  byDir = {};
  raw = 0;
  gz = 0;
  await globalThis.srekbSearch.search(next, {}, 10);
  const second = { raw, gz };
  const times = [];
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    await globalThis.srekbSearch.search(q, {}, 10);
    times.push(performance.now() - t);
  }
  rows.push({ q, hits: docs.total, first, second, ms: median(times) });
}
const kb = (b) => (b / 1024).toFixed(1);
for (const r of rows) {
  console.log(`  ${r.q.padEnd(16)} hits ${String(r.hits).padStart(5)}  first ${kb(r.first.raw).padStart(6)} KB (gzip ${kb(r.first.gz)})  second ${kb(r.second.raw).padStart(6)} KB  ${r.ms.toFixed(2)} ms`);
}
const f = rows.map((r) => r.first.raw);
const s = rows.map((r) => r.second.raw);
const ms = rows.map((r) => r.ms);
console.log(`first query (search.js ${kb(codeBytes)} KB included): median ${kb(median(f))} KB, p95 ${kb(pct(f, 95))} KB, max ${kb(Math.max(...f))} KB; gzip median ${kb(median(rows.map((r) => r.first.gz)))} KB`);
console.log(`second query: median ${kb(median(s))} KB, p95 ${kb(pct(s, 95))} KB`);
console.log(`query once loaded: p50 ${median(ms).toFixed(2)} ms, p95 ${pct(ms, 95).toFixed(2)} ms`);
const parts = Object.entries(dirTotals).map(([k, v]) => `${k} ${kb(median(v.concat(Array(rows.length - v.length).fill(0))))}`);
console.log(`first query by file (median KB, search.js excluded): ${parts.join(", ")}`);
