// Bytes a browser downloads for each query: runs the theme's real search.js in Node
// with a minimal DOM shim whose <script> loading reads files from the built site's
// search/ directory and counts their bytes (raw and gzip-compressed).
// Usage: node benches/search-bytes.mjs PUBLIC_DIR SEARCH_JS query...
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import zlib from "node:zlib";

const [publicDir, searchJs, ...queries] = process.argv.slice(2);
const dir = path.join(publicDir, "search");
const code = fs.readFileSync(searchJs, "utf8");

let raw = 0;
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
      gz += zlib.gzipSync(text).length;
      setImmediate(() => {
        vm.runInThisContext(text.toString("utf8"));
        el.onload();
      });
    },
  },
};

const rows = [];
for (const q of queries) {
  vm.runInThisContext(code); // fresh state: nothing cached between queries
  raw = 0;
  gz = 0;
  const t = performance.now();
  const docs = await globalThis.srekbSearch.search(q, "", 10);
  rows.push({ q, hits: docs.length, raw, gz, ms: performance.now() - t });
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (const r of rows) {
  console.log(`  ${r.q.padEnd(16)} hits ${String(r.hits).padStart(2)}  ${(r.raw / 1024).toFixed(1).padStart(6)} KB  (gzip ${(r.gz / 1024).toFixed(1)} KB)`);
}
const raws = rows.map((r) => r.raw);
const gzs = rows.map((r) => r.gz);
console.log(`bytes per query: median ${(median(raws) / 1024).toFixed(1)} KB, max ${(Math.max(...raws) / 1024).toFixed(1)} KB; gzip median ${(median(gzs) / 1024).toFixed(1)} KB, max ${(Math.max(...gzs) / 1024).toFixed(1)} KB`);
