#!/usr/bin/env python3
"""Turns a fetched Hugo documentation repository into two sites with the same pages:
an srekb site and a Hugo site, for the search and build benchmarks.

    python3 benches/corpus/normalise.py SNAPSHOT OUT [--section content/handbook]

SNAPSHOT is either a work tree or a bare git directory (e.g. a `git clone --bare` of
kyama0/gitlab-handbook-ja); files are read from its HEAD. OUT gets

    OUT/srekb/site-config.toml, OUT/srekb/content/...   (srekb site)
    OUT/hugo/hugo.toml, OUT/hugo/layouts/..., OUT/hugo/content -> ../srekb/content

Every markdown page keeps its path; its front matter is reduced to `title` and `date`
(TOML), and Hugo shortcodes / MDN-style macros (`{{< x >}}`, `{{% x %}}`, `{{ x }}`)
are removed, keeping the text between paired shortcodes. Output is deterministic: the
same snapshot gives byte-identical files. Python 3 standard library only.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
MACRO = re.compile(r"\{\{[^{}\n]*\}\}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

SREKB_CONFIG = """\
# Written by benches/corpus/normalise.py: a public Japanese handbook as an srekb site.
title = "Handbook (benchmark corpus)"
base_url = "https://bench.example"
language = "ja"
timezone = "+00:00"

[links]
internal = "warn"
anchors = "ignore"
"""

HUGO_CONFIG = """\
# Written by benches/corpus/normalise.py: the same pages as the srekb site.
baseURL = "https://bench.example/"
languageCode = "ja"
title = "Handbook (benchmark corpus)"
hasCJKLanguage = true
disableKinds = ["taxonomy", "term"]
enableRobotsTXT = false
[markup.goldmark.renderer]
unsafe = false
[markup.highlight]
noClasses = false
"""

# The one template of the Hugo theme (pages, sections and the home page alike).
HUGO_TEMPLATE = """\
<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title></head>
<body><main><h1>{{ .Title }}</h1>{{ with .Date }}<time>{{ .Format "2006-01-02" }}</time>{{ end }}
{{ .Content }}
{{ if .IsNode }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
</main></body></html>
"""

HOME = '+++\ntitle = "Handbook (benchmark corpus)"\n+++\n\nA public Japanese handbook, normalised for benchmarks.\n'


def read_files(snapshot, section):
    """(path, bytes) of every .md file under `section`, sorted by path."""
    tree = os.path.join(snapshot, section)
    if os.path.isdir(tree):
        out = []
        for d, dirs, files in os.walk(tree):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(".md"):
                    p = os.path.join(d, f)
                    with open(p, "rb") as fh:
                        out.append((os.path.relpath(p, snapshot), fh.read()))
        return sorted(out)
    git = ["git", "--git-dir", snapshot]
    names = subprocess.run(git + ["ls-tree", "-r", "-z", "--name-only", "HEAD", "--", section],
                           check=True, capture_output=True).stdout.split(b"\0")
    names = sorted(n.decode() for n in names if n.endswith(b".md"))
    if not names:
        sys.exit(f"normalise: no .md files under {section} in {snapshot}")
    req = "".join(f"HEAD:{n}\n" for n in names).encode()
    data = subprocess.run(git + ["cat-file", "--batch"], input=req, check=True,
                          capture_output=True).stdout
    out, at = [], 0
    for n in names:
        nl = data.index(b"\n", at)
        size = int(data[at:nl].split()[2])
        out.append((n, data[nl + 1:nl + 1 + size]))
        at = nl + 1 + size + 1
    return out


def yaml_scalar(v):
    v = v.strip()
    if v.startswith('"'):
        try:
            return json.loads(v)
        except ValueError:
            return v.strip('"')
    if v.startswith("'") and v.endswith("'") and len(v) >= 2:
        return v[1:-1].replace("''", "'")
    return v


def split_front_matter(text):
    """(front-matter dict of top-level scalars, body)."""
    fm = {}
    for fence, sep in (("---", ":"), ("+++", "=")):
        if text.startswith(fence + "\n"):
            end = text.find("\n" + fence, len(fence))
            if end < 0:
                break
            for line in text[len(fence) + 1:end].split("\n"):
                m = re.match(r"([A-Za-z_]+)\s*" + re.escape(sep) + r"(.*)$", line)
                if m and m.group(2).strip():
                    fm[m.group(1)] = yaml_scalar(m.group(2))
            body = text[end + len(fence) + 1:]
            return fm, body.lstrip("\n")
    return fm, text


def strip_macros(body):
    body = SHORTCODE.sub("", body)
    # `{{ x }}` outside code (MDN macros); code blocks keep their templates.
    out, fenced = [], False
    for line in body.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        out.append(line if fenced else MACRO.sub("", line))
    return "\n".join(out)


def page(path, raw):
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n")
    fm, body = split_front_matter(text)
    title = fm.get("title") or os.path.splitext(os.path.basename(path))[0]
    date = next((m.group(0) for k in ("date", "lastmod", "translated_at")
                 if (m := DATE.match(str(fm.get(k, ""))))), None)
    head = "+++\ntitle = " + json.dumps(title, ensure_ascii=False) + "\n"
    if date:
        head += f"date = {date}\n"
    return head + "+++\n\n" + strip_macros(body).rstrip("\n") + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("snapshot")
    ap.add_argument("out")
    ap.add_argument("--section", default="content/handbook",
                    help="folder of the snapshot holding the pages (kept under content/)")
    a = ap.parse_args()
    files = read_files(a.snapshot, a.section.strip("/"))
    srekb = os.path.join(a.out, "srekb")
    hugo = os.path.join(a.out, "hugo")
    for d in (os.path.join(srekb, "content"), os.path.join(hugo, "layouts")):
        shutil.rmtree(d, ignore_errors=True)
    prefix = a.section.strip("/").split("/", 1)[0] + "/"  # "content/"
    for path, raw in files:
        rel = path[len(prefix):] if path.startswith(prefix) else path
        write(os.path.join(srekb, "content", rel), page(path, raw))
    write(os.path.join(srekb, "content", "_index.md"), HOME)
    write(os.path.join(srekb, "site-config.toml"), SREKB_CONFIG)
    write(os.path.join(hugo, "hugo.toml"), HUGO_CONFIG)
    for t in ("single.html", "list.html"):
        write(os.path.join(hugo, "layouts", "_default", t), HUGO_TEMPLATE)
    link = os.path.join(hugo, "content")
    if os.path.islink(link) or os.path.exists(link):
        if os.path.isdir(link) and not os.path.islink(link):
            shutil.rmtree(link)
        else:
            os.remove(link)
    os.symlink(os.path.join("..", "srekb", "content"), link)
    print(f"normalise: {len(files)} pages -> {srekb} (srekb) and {hugo} (Hugo)")


if __name__ == "__main__":
    main()
