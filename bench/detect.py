"""Speed of statement detection next to trafilatura extraction on the same articles.

    .venv/bin/python bench/detect.py CORPUS... [--repeat 5] [--limit 200]
    .venv/bin/python bench/detect.py generated:60 ../shared/data/ggt/docs.jsonl seeds/demo/pages

Each CORPUS is reported on its own. `generated:N` is N pages made by bench/ingest.py's generator: full-size
news pages, every one with statements on the topics. A folder of .html pages (the demo pages) is extracted
first and detection runs on the extracted text, one block a paragraph as pipeline.extract gives it. A
JSON Lines file holds {"id", "text"[, "title"]} documents (the GGT texts); each text is wrapped into a
realistic news page before extraction: a <head> with meta tags, a stylesheet link, an inline style and a
JSON-LD script; a site header with a navigation bar of section links; the article (headline, byline,
time, the paragraphs, a figure caption, a related-stories aside and a share bar) inside <main>; a footer
with link columns and a copyright line; and a trailing analytics script. That is the boilerplate
trafilatura has to strip on a real page, so extraction is not timed on bare <p>s.

For each corpus it prints the median and p95 milliseconds per article of
  * extraction (trafilatura.extract),
  * the topical path: detect_statements(text, topical_only=True), what the ingestion pipeline calls,
  * the full path: detect_statements(text) (`--all`, every statement),
and the ratios of each detection path to extraction (median of per-article ratios and total time over total
time). The target is topical path / extraction <= 0.25. Each article is timed `--repeat` times with
time.perf_counter and its median kept; run the bench several times and quote medians.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from pipeline.detect import detect_statements

SECTIONS = ("World", "Politics", "Business", "Europe", "Opinion", "Science", "Sport", "Culture", "Video")


def wrap_page(text: str, title: str, index: int) -> str:
    """A news page around the article's paragraphs, with the chrome a real site adds."""
    esc = html.escape
    nav = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in SECTIONS)
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    related = "".join(
        f'<li><a href="/world/story-{index}-{k}">Related story number {k} from the world desk</a></li>'
        for k in range(1, 6)
    )
    columns = "".join(
        f"<div class='col'><h4>{s}</h4><ul>"
        + "".join(f'<li><a href="/{s.lower()}/{k}">{s} link {k}</a></li>' for k in range(1, 5))
        + "</ul></div>"
        for s in SECTIONS[:4]
    )
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title})
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)} | The Bench Courier</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{esc(paragraphs[0][:150] if paragraphs else title)}">
<meta property="og:title" content="{esc(title)}"><meta property="og:type" content="article">
<link rel="stylesheet" href="/static/site.css"><link rel="canonical" href="https://courier.example/a/{index}">
<style>body{{font-family:serif;margin:0}} nav ul{{display:flex;list-style:none}} .col{{float:left}}</style>
<script type="application/ld+json">{ld}</script></head>
<body><header class="site-header"><a class="logo" href="/">The Bench Courier</a>
<nav aria-label="Sections"><ul>{nav}</ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search"></form></header>
<main><article><h1>{esc(title)}</h1>
<div class="byline">By <a href="/staff/reporter">Staff Reporter</a> ·
<time datetime="2024-01-01">Jan. 1, 2024</time></div>
<figure><img src="/img/{index}.jpg" alt=""><figcaption>A file photo. (Courier staff)</figcaption></figure>
{body}
<div class="share"><a href="/share/email">Email</a> <a href="/share/x">Share on X</a></div>
<aside class="related"><h3>Related</h3><ul>{related}</ul></aside></article></main>
<footer class="site-footer">{columns}<p>© 2024 The Bench Courier. All rights reserved.</p>
<a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{page:"article"}});</script></body></html>"""


def load_corpus(name: str, limit: int) -> list[str]:
    """The HTML pages of one corpus."""
    if name.startswith("generated:"):
        return generated_pages(int(name.partition(":")[2] or 60))[: limit or None]
    path = Path(name)
    if path.is_dir():
        pages = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(path.rglob("*.html"))]
    else:
        pages = []
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                doc = json.loads(line)
                title = doc.get("title") or doc["text"].strip().split("\n", 1)[0][:90]
                pages.append(wrap_page(doc["text"], title, i))
    return pages[:limit] if limit else pages


def generated_pages(count: int) -> list[str]:
    """`bench/ingest.py`'s pages: full-size news pages (~21 KB of chrome and story, invented text) whose every
    story holds statements on the topics — the costliest case for the topical path."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest import make_page  # the sibling benchmark's page generator

    rng = random.Random(20261128)
    return [make_page(i, rng) for i in range(count)]


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def bench_corpus(name: str, pages: list[str], repeat: int) -> None:
    extract_ms: list[float] = []
    topical_ms: list[float] = []
    full_ms: list[float] = []
    found_all = found_topical = 0
    for page in pages:
        raw = trafilatura.extract(page, include_comments=False) or ""
        # one block a line, as pipeline.extract turns it into paragraphs for the detector
        text = "\n\n".join(line.strip() for line in raw.splitlines() if line.strip())

        def extract(page: str = page) -> object:
            return trafilatura.extract(page, include_comments=False)

        def topical(text: str = text) -> object:
            return detect_statements(text, "en", topical_only=True)

        def full(text: str = text) -> object:
            return detect_statements(text, "en")

        extract_ms.append(median_ms(extract, repeat))
        topical_ms.append(median_ms(topical, repeat))
        full_ms.append(median_ms(full, repeat))
        found_all += len(detect_statements(text, "en"))
        found_topical += len(detect_statements(text, "en", topical_only=True))
    print(f"== {name}: {len(pages)} articles, {found_all} statements ({found_topical} topical), x{repeat}")
    for label, values in (("extraction", extract_ms), ("topical path", topical_ms), ("--all path", full_ms)):
        print(f"  {label:<13} median {statistics.median(values):8.2f} ms   p95 {p95(values):8.2f} ms")
    for label, values in (("topical path", topical_ms), ("--all path", full_ms)):
        ratios = [d / e for d, e in zip(values, extract_ms, strict=True) if e > 0]
        print(
            f"  ratio {label} / extraction: median {statistics.median(ratios):.3f}, "
            f"total {sum(values) / sum(extract_ms):.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "corpus", nargs="+", help="JSON Lines documents, folders of .html pages, or generated:N"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="at most this many articles a corpus (0: all)")
    args = parser.parse_args(argv)
    detect_statements("Warm-up: “the lexicons load once,” he said of NATO membership.")
    for name in args.corpus:
        pages = load_corpus(name, args.limit)
        if not pages:
            print(f"{name}: no articles found", file=sys.stderr)
            return 1
        bench_corpus(name, pages, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
