#!/usr/bin/env python3
"""Search quality and size of srekb (CLI and browser) against Pagefind on one site.

Called by benches/search/compare.sh (which builds srekb and normalises the corpus):

    python3 compare.py --bin SREKB --site SITE --pagefind-bin PF --work DIR [--label L]

SITE is an srekb site (site-config.toml + content/) written by benches/corpus/normalise.py.
Builds it with `srekb build -v` (timed, stage times parsed), indexes the built HTML with
Pagefind (reused when the built pages have not changed), judges every query of
queries.toml by the relevance rule below, runs the queries through `srekb search --json`,
through srekb's own search.js and through Pagefind's JS API in headless Chromium, and
prints markdown tables. Python 3 standard library only.

Relevance rule (independent of srekb): text is folded by NFKC, lower case, and removal of
the long-vowel mark (ー, so サーバー = サーバ and ｻｰﾊﾞｰ = サーバー). A page is relevant to a
query when every judged word occurs in its title, or at least 3 times in its body (the
markdown after the front matter, link targets and HTML tags removed). A CJK word matches
anywhere; a word of Latin letters or digits must start at a word boundary, a CamelCase
hump or an underscore (`postgres` matches PostgreSQL, `latency` SearchLatencyHigh, not
`translatency`). recall@10 = relevant in the top 10 / min(10, relevant pages);
precision@10 = relevant in the top 10 / results shown (0 when none); MRR = 1 / rank of
the first relevant result (0 when none in the top 10).
"""

import argparse
import gzip
import http.server
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import tomllib
import unicodedata
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
LIMIT = 10


# ---------------------------------------------------------------- relevance (the judge)

def fold(s):
    return unicodedata.normalize("NFKC", s).lower().replace("ー", "")


def split_parts(s):
    """Identifier parts apart: SearchLatencyHigh -> Search Latency High, a_b -> a b."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", s).replace("_", " ")


def occurrences(texts, word):
    if re.fullmatch(r"[a-z0-9][\x21-\x7e]*", word):
        pat = re.compile(r"(?<![a-z0-9])" + re.escape(word))
        return max(len(pat.findall(t)) for t in texts)
    return texts[0].count(word)


def load_pages(content):
    """URL -> (folded title texts, folded body texts) for every markdown page."""
    pages = {}
    for d, dirs, files in os.walk(content):
        dirs.sort()
        for f in sorted(files):
            if not f.endswith(".md"):
                continue
            path = os.path.join(d, f)
            text = open(path, encoding="utf-8").read()
            m = re.search(r'^title = (".*")$', text, re.M)
            title = json.loads(m.group(1)) if m else ""
            body = text.split("+++", 2)[2] if text.startswith("+++") else text
            body = re.sub(r"\]\([^)]*\)", "]", body)
            body = re.sub(r"<[^>]+>", " ", body)
            rel = os.path.relpath(path, content)
            stem = rel[:-3]
            if os.path.basename(stem) in ("_index", "index"):
                stem = os.path.dirname(stem)
            url = "/" + (stem + "/" if stem else "")
            pages[url] = ((fold(title), fold(split_parts(title))),
                          (fold(body), fold(split_parts(body))))
    return pages


def relevant(pages, words):
    words = [fold(w) for w in words.split()]
    return {u for u, (title, body) in pages.items()
            if all(occurrences(title, w) > 0 or occurrences(body, w) >= 3 for w in words)}


def norm_url(u):
    """Site-absolute, decoded, ending in / for pages: the key results are judged by."""
    u = urllib.parse.unquote(urllib.parse.urlsplit(u).path)
    while u.startswith("../") or u.startswith("./"):
        u = u.split("/", 1)[1]
    if not u.startswith("/"):
        u = "/" + u
    if u.endswith("/index.html"):
        u = u[: -len("index.html")]
    if not u.endswith("/") and "." not in os.path.basename(u):
        u += "/"
    return u


def metrics(top, rel):
    hit = [u in rel for u in top[:LIMIT]]
    recall = sum(hit) / min(LIMIT, len(rel))
    precision = sum(hit) / len(hit) if hit else 0.0
    mrr = next((1 / (i + 1) for i, h in enumerate(hit) if h), 0.0)
    return recall, precision, mrr


# ---------------------------------------------------------------- builds

def build_srekb(srekb, site, rounds):
    """(wall s, CPU s, search-step s, stages) of the fastest of `rounds` builds; stages
    are the wall times `srekb build -v` prints, by name."""
    runs = []
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run([srekb, "build", "--root", site, "-v"], capture_output=True, text=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit("srekb build failed:\n" + p.stderr[-4000:])
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        stages = {m.group(1): float(m.group(2)) / 1000
                  for m in re.finditer(r"^\s+([a-z][a-z-]*)\s+([0-9.]+) ms", p.stderr + p.stdout, re.M)}
        search = sum(v for k, v in stages.items() if k.startswith("search"))
        print(f"   build: {wall:.1f} s wall, {cpu:.1f} s CPU, search steps {search:.1f} s", file=sys.stderr)
        runs.append((wall, cpu, search, stages))
    return min(runs, key=lambda r: r[0])


def tree_size(d):
    n, b = 0, 0
    for root, _, files in os.walk(d):
        for f in files:
            n += 1
            b += os.path.getsize(os.path.join(root, f))
    return n, b


def pages_stamp(public):
    """A cheap fingerprint of the built HTML pages Pagefind indexes."""
    n, b = 0, 0
    for root, dirs, files in os.walk(public):
        dirs[:] = [d for d in dirs if d not in ("search", "assets")]
        for f in files:
            if f.endswith(".html"):
                n += 1
                b += os.path.getsize(os.path.join(root, f))
    return f"{n} {b}"


def build_pagefind(pf_bin, public, out):
    stamp = os.path.join(out, ".bench-stamp")
    want = pages_stamp(public) + " " + pf_bin
    if os.path.exists(stamp) and open(stamp).read() == want:
        return None
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    p = subprocess.run([pf_bin, "--site", public, "--root-selector", "main", "--output-path", out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("pagefind failed:\n" + p.stdout[-2000:] + p.stderr[-2000:])
    took = time.perf_counter() - t
    with open(stamp, "w") as fh:
        fh.write(want)
    return took


# ---------------------------------------------------------------- browser

class Bench:
    """State shared with the HTTP handler."""
    public = pagefind = None
    pages = {}
    queries = []
    results = {}
    event = threading.Event()
    # What the server sent, in order: ("frame", q) when a bytes frame starts,
    # ("mark", phase) when its query ends, ("file", path) for each file served.
    log = []
    lock = threading.Lock()

    @classmethod
    def note(cls, *entry):
        with cls.lock:
            cls.log.append(entry)


def srekb_page(public):
    """A page at /search/ that loads the engine exactly as the built search page does."""
    html = open(os.path.join(public, "search", "index.html"), encoding="utf-8").read()
    tags = [t for t in re.findall(r"<script\b[^>]*\bsrc=[^>]*></script>", html) if "search" in t]
    if not tags:
        sys.exit("no search script in public/search/index.html")
    return ('<!doctype html><html data-engine="srekb"><head><meta charset="utf-8">'
            + "".join(tags) + '<script src="/__bench/harness.js" defer></script></head><body></body></html>')


PAGEFIND_PAGE = ('<!doctype html><html data-engine="pagefind"><head><meta charset="utf-8">'
                 '<script type="module">window.__pagefind = import("/pagefind/pagefind.js")'
                 '.then(function (pf) { return pf.options({}).then(function () { return pf; }); });'
                 '</script><script src="/__bench/harness.js" defer></script></head><body></body></html>')


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_bytes(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if "mode=frame" in url.query:
            Bench.note("frame", urllib.parse.parse_qs(url.query)["q1"][0])
        elif not path.startswith("/__bench/") and os.path.isfile(self.translate_path(self.path)):
            Bench.note("file", self.translate_path(self.path))
        if path == "/search/__bench-srekb.html":
            return self.send_bytes(Bench.pages["srekb"].encode(), "text/html; charset=utf-8")
        if path == "/__bench/pagefind.html":
            return self.send_bytes(PAGEFIND_PAGE.encode(), "text/html; charset=utf-8")
        if path == "/__bench/harness.js":
            return self.send_bytes(open(os.path.join(HERE, "harness.js"), "rb").read(),
                                   "text/javascript")
        if path == "/__bench/queries.json":
            return self.send_bytes(json.dumps(Bench.queries).encode(), "application/json")
        return super().do_GET()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/__bench/mark":
            Bench.note("mark", body["phase"])
            return self.send_bytes(b"ok", "text/plain")
        Bench.results[self.path] = body
        self.send_bytes(b"ok", "text/plain")
        Bench.event.set()

    def translate_path(self, path):
        path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        if path.startswith("/pagefind/"):
            base, rest = Bench.pagefind, path[len("/pagefind/"):]
        else:
            base, rest = Bench.public, path.lstrip("/")
        full = os.path.normpath(os.path.join(base, rest))
        return full if full.startswith(os.path.normpath(base)) else base


def chromium():
    for c in (os.environ.get("SREKB_CHROMIUM"), shutil.which("chromium"), "/tmp/d2chrome/bin/chromium",
              shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if c and os.path.exists(c):
            return c
    sys.exit("needs Chromium (apt-get install chromium)")


def in_browser(url, key, profile, timeout):
    Bench.event.clear()
    Bench.results.pop(key, None)
    shutil.rmtree(profile, ignore_errors=True)
    proc = subprocess.Popen([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                             "--disable-extensions", "--no-first-run", f"--user-data-dir={profile}",
                             url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + timeout
        while key not in Bench.results and time.time() < deadline:
            Bench.event.wait(1)
            Bench.event.clear()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    if key not in Bench.results:
        sys.exit(f"no answer from Chromium for {url} within {timeout} s")
    r = Bench.results[key]
    if r.get("fatal"):
        sys.exit(f"browser harness failed on {url}: {r['fatal']}")
    return r


GZ = {}


def size(path):
    """(raw bytes, gzip bytes) of a served file."""
    if path not in GZ:
        data = open(path, "rb").read()
        # Pagefind's index files are gzip already; a server would not compress them again.
        GZ[path] = (len(data), min(len(data), len(gzip.compress(data, 9))))
    return GZ[path]


def bytes_per_query(log):
    """[((first raw, first gzip), (second raw, second gzip))] per frame of the server log."""
    rows, cur, phase = [], None, None
    for entry in log:
        if entry[0] == "frame":
            cur, phase = [[0, 0], [0, 0]], 0
            rows.append(cur)
        elif entry[0] == "mark" and cur is not None:
            phase = {"first": 1, "second": 2}[entry[1]]
        elif entry[0] == "file" and cur is not None and phase < 2:
            raw, gz = size(entry[1])
            cur[phase][0] += raw
            cur[phase][1] += gz
    return rows


# ---------------------------------------------------------------- main

def pct(xs, p):
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, int(len(s) * p / 100 + 0.999) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin")
    ap.add_argument("--site", required=True)
    ap.add_argument("--pagefind-bin")
    ap.add_argument("--work")
    ap.add_argument("--label", default="srekb")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--queries", default=os.path.join(HERE, "queries.toml"))
    ap.add_argument("--details", help="write per-query results (JSON) here")
    ap.add_argument("--judge-only", action="store_true",
                    help="print the relevant pages per query and stop (to edit queries.toml)")
    a = ap.parse_args()
    site = os.path.abspath(a.site)
    public = os.path.join(site, "public")

    qs = tomllib.load(open(a.queries, "rb"))["query"]
    queries = [q["q"] for q in qs]
    if len(set(queries)) != len(queries):
        sys.exit("queries.toml: a query is listed twice")

    if a.judge_only:
        pages = load_pages(os.path.join(site, "content"))
        for q in qs:
            r = relevant(pages, q.get("judge", q["q"]))
            print(f"{len(r):6}  {q['group']:9} {q['q']}  e.g. {sorted(r)[:2]}")
        return
    if not (a.bin and a.pagefind_bin and a.work):
        ap.error("--bin, --pagefind-bin and --work are needed (or --judge-only)")
    os.makedirs(a.work, exist_ok=True)

    print(f"== srekb build ({a.rounds} rounds, fastest kept)", file=sys.stderr)
    wall, cpu, search_s, stages = build_srekb(a.bin, site, a.rounds)
    print("   " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items() if v >= 0.05), file=sys.stderr)
    pf_out = os.path.join(a.work, "pagefind")
    print("== pagefind", file=sys.stderr)
    took = build_pagefind(a.pagefind_bin, public, pf_out)
    print(f"   {'%.1f s' % took if took else 'unchanged pages: index reused'}", file=sys.stderr)

    print("== judging", file=sys.stderr)
    pages = load_pages(os.path.join(site, "content"))
    # A page is judged under the URL the site publishes it at (srekb lower-cases paths);
    # pages that are not published (under a dot-folder) cannot be found by any engine.
    published, unpublished = {}, []
    for u, texts in pages.items():
        for cand in (u, u.lower()):
            if os.path.exists(os.path.join(public, cand.lstrip("/"), "index.html")):
                published[cand] = texts
                break
        else:
            unpublished.append(u)
    if unpublished:
        print(f"   {len(unpublished)} pages not published, left out of the judging: {unpublished[:3]}",
              file=sys.stderr)
    pages = published
    rel = {q["q"]: relevant(pages, q.get("judge", q["q"])) for q in qs}
    for q, r in rel.items():
        if not r:
            sys.exit(f"query {q!r} has no relevant page: fix queries.toml")

    print("== srekb search (CLI)", file=sys.stderr)
    cli, cli_ms = {}, []
    for q in queries:
        t = time.perf_counter()
        p = subprocess.run([a.bin, "search", "--root", site, "--json", "--limit", str(LIMIT), q],
                           capture_output=True, text=True)
        cli_ms.append((time.perf_counter() - t) * 1000)
        hits = json.loads(p.stdout) if p.stdout.strip() else []
        if isinstance(hits, dict):
            hits = hits.get("hits", [])
        cli[q] = [norm_url(h["url"]) for h in hits]

    Bench.public, Bench.pagefind, Bench.queries = public, pf_out, queries
    Bench.pages = {"srekb": srekb_page(public)}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    profile = os.path.join(a.work, "chromium-profile")
    engines = {"srekb": base + "/search/__bench-srekb.html", "pagefind": base + "/__bench/pagefind.html"}
    browser, qms, fetched = {}, {}, {}
    for name, url in engines.items():
        print(f"== {name} in headless Chromium: quality", file=sys.stderr)
        r = in_browser(url + "?mode=quality", "/__bench/result", profile, 900)
        if r["errors"]:
            print(f"   {len(r['errors'])} queries failed, e.g. {next(iter(r['errors'].items()))}", file=sys.stderr)
        browser[name] = {q: [norm_url(u) for u in r["results"].get(q, [])] for q in queries}
        qms[name] = r["ms"]
        print(f"== {name} in headless Chromium: bytes", file=sys.stderr)
        Bench.log = []
        r = in_browser(url + "?mode=bytes", "/__bench/bytes", profile, 1800)
        errors = [row for row in r["rows"] if row.get("error")]
        if errors:
            print(f"   {len(errors)} frames failed, e.g. {errors[0]}", file=sys.stderr)
        fetched[name] = bytes_per_query(Bench.log)
    server.shutdown()
    shutil.rmtree(profile, ignore_errors=True)

    # ------------------------------------------------------------ tables
    sides = {"srekb CLI": cli, "srekb browser": browser["srekb"], "Pagefind": browser["pagefind"]}
    groups = []
    for q in qs:
        if q["group"] not in groups:
            groups.append(q["group"])
    scores = {}
    for side, res in sides.items():
        m = [metrics(res[q], rel[q]) for q in queries]
        scores[side] = tuple(statistics.mean(x[i] for x in m) for i in range(3))
    same = sum(set(cli[q]) == set(browser["srekb"][q]) for q in queries) / len(queries)
    overlap = statistics.mean(len(set(cli[q]) & set(browser["srekb"][q])) for q in queries)
    n_rel = sorted(len(r) for r in rel.values())

    print(f"\n### {a.label}: quality ({len(queries)} queries, {len(pages)} pages; "
          f"relevant pages per query: median {n_rel[len(n_rel) // 2]}, min {n_rel[0]}, max {n_rel[-1]})\n")
    print("| | recall@10 | precision@10 | MRR | " + " | ".join(f"recall@10 {g}" for g in groups) + " |")
    print("|---|---|---|---|" + "---|" * len(groups))
    for side, res in sides.items():
        by_group = []
        for g in groups:
            gq = [q["q"] for q in qs if q["group"] == g]
            by_group.append(statistics.mean(metrics(res[q], rel[q])[0] for q in gq))
        r, p, m = scores[side]
        print(f"| {side} | {r:.2f} | {p:.2f} | {m:.2f} | " + " | ".join(f"{x:.2f}" for x in by_group) + " |")
    print(f"\nSame top-10 set in the CLI and the browser: {same * 100:.0f} % of queries "
          f"(pages shared by the two top 10s: {overlap:.1f} on average).")

    s_files, s_bytes = tree_size(os.path.join(public, "search"))
    t_files, t_bytes = tree_size(os.path.join(site, ".srekb", "index"))
    p_files, p_bytes = tree_size(pf_out)
    p_files -= 1  # the bench's stamp file
    print(f"\n### {a.label}: size, bytes per query, time\n")
    print("| | browser index | first query: fetched, median / p95 (gzip) | second query, median (gzip) "
          "| query after loading, p50 | CLI process p50 |")
    print("|---|---|---|---|---|---|")
    for name, label, files, size in (("srekb", "srekb", s_files, s_bytes),
                                     ("pagefind", "Pagefind", p_files, p_bytes)):
        f = fetched[name]
        first = [x[0][0] for x in f]
        first_gz = [x[0][1] for x in f]
        second = [x[1][0] for x in f]
        second_gz = [x[1][1] for x in f]
        cli_cell = f"{statistics.median(cli_ms):.1f} ms" if name == "srekb" else "–"
        print(f"| {label} | {size / 1e6:.1f} MB in {files:,} files | "
              f"{statistics.median(first) / 1024:.0f} / {pct(first, 95) / 1024:.0f} KB "
              f"({statistics.median(first_gz) / 1024:.0f} / {pct(first_gz, 95) / 1024:.0f} KB) | "
              f"{statistics.median(second) / 1024:.0f} KB ({statistics.median(second_gz) / 1024:.0f} KB) | "
              f"{statistics.median(qms[name]):.1f} ms | {cli_cell} |")
    print(f"\nsrekb build (fastest of {a.rounds}): {wall:.1f} s wall, {cpu:.1f} s CPU; the search steps "
          f"({', '.join(k for k in stages if k.startswith('search'))}) {search_s:.1f} s = "
          f"{search_s / wall * 100:.0f} % of the wall time; without them {wall - search_s:.1f} s. "
          f"Stages: {', '.join(f'{k} {v:.1f}' for k, v in stages.items() if v >= 0.05)} s. "
          f"Tantivy index {t_bytes / 1e6:.0f} MB in {t_files} files (not published)."
          + (f" Pagefind indexing: {took:.0f} s." if took else ""))
    if a.details:
        with open(a.details, "w", encoding="utf-8") as fh:
            json.dump({"relevant": {q: sorted(r) for q, r in rel.items()},
                       "results": sides, "fetched": fetched, "stages": stages}, fh,
                      ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
