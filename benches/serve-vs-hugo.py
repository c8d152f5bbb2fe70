#!/usr/bin/env python3
"""`srekb serve` beside `hugo server --renderToMemory` on the same generated pages.

For each tool: start its server on a generated site, then save one page N times
(an appended line with a counter) and time each save until the new text is served
(polling the page over HTTP). Prints p50/p95/max per tool. Same content for both
(Hugo gets a copy of srekb's generated content and the one-template theme of
benches/hugo, as in benches/run.sh).

    python3 benches/serve-vs-hugo.py --bin target/release/srekb --pages 10000 \\
        --work /work/bench/serve/side-by-side [--hugo /usr/local/bin/hugo] [--edits 30]
"""

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, path):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body
    except OSError:
        return 0, b""


def wait_up(port, path, proc, timeout=600):
    t = time.time()
    while time.time() - t < timeout:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        if fetch(port, path)[0] == 200:
            return time.time() - t
        time.sleep(0.05)
    sys.exit("server did not come up")


def pct(xs, p):
    xs = sorted(xs)
    i = max(1, min(len(xs), -(-len(xs) * p // 100)))
    return xs[int(i) - 1]


def edits(port, url, page, n, tag):
    original = open(page, encoding="utf-8").read()
    lat = []
    try:
        for i in range(1, n + 1):
            marker = f"{tag}-edit-{i}-marker"
            t0 = time.perf_counter()
            with open(page, "w", encoding="utf-8") as f:
                f.write(f"{original}\n{marker}\n")
            while True:
                status, body = fetch(port, url)
                if status == 200 and marker.encode() in body:
                    break
                if time.perf_counter() - t0 > 60:
                    sys.exit(f"{tag}: edit {i} not served within 60 s")
            lat.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.3)
    finally:
        with open(page, "w", encoding="utf-8") as f:
            f.write(original)
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/srekb"))
    ap.add_argument("--hugo", default="/usr/local/bin/hugo")
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=30)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()

    kb = os.path.join(args.work, f"kb-{args.pages}")
    hs = os.path.join(args.work, f"hugo-{args.pages}")
    if not os.path.isdir(kb):
        subprocess.run([args.bin, "dev", "gen-corpus", "--pages", str(args.pages),
                        "--seed", "1", "--out", kb], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(hs, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "benches/hugo"), hs)
    # A copy rather than benches/run.sh's symlink: Hugo's watcher does not follow it.
    shutil.copytree(os.path.join(kb, "content"), os.path.join(hs, "content"))
    url = "/docs/page-00002/"

    results = {}
    for tool in ["srekb", "hugo"]:
        port = free_port()
        page = os.path.join(kb if tool == "srekb" else hs, "content/docs/page-00002.md")
        if tool == "srekb":
            cmd = [args.bin, "--root", kb, "serve", "--port", str(port)]
        else:
            cmd = [args.hugo, "server", "--source", hs, "--renderToMemory",
                   "--port", str(port), "--bind", "127.0.0.1", "--logLevel", "error"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            up = wait_up(port, url, proc)
            # srekb builds its live search index after the first build: wait for it,
            # so the saves are timed as in a writing session.
            while tool == "srekb" and fetch(port, "/api/search?q=a")[0] == 503:
                time.sleep(0.1)
            time.sleep(1)
            lat = edits(port, url, page, args.edits, tool)
            rss = 0
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        rss = int(line.split()[1]) // 1024
            results[tool] = (up, lat, rss)
        finally:
            proc.terminate()
            proc.wait()
        time.sleep(1)

    print(f"serve, {args.pages} pages, {args.edits} saves of one page, save → new text served:")
    for tool, (up, lat, rss) in results.items():
        print(f"  {tool:<6} p50 {pct(lat, 50):8.1f} ms  p95 {pct(lat, 95):8.1f} ms  "
              f"max {max(lat):8.1f} ms  (first serve {up:.1f} s, peak RSS {rss} MB)")


if __name__ == "__main__":
    main()
