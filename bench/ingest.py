"""Ingestion throughput: a full `newswatch run` against bare trafilatura extraction of the same pages.

    .venv/bin/python bench/ingest.py [--pages 200] [--repeat 3] [--workers N]

Serves PAGES generated article pages (invented sample text) and one RSS feed listing them on 127.0.0.1, then,
REPEAT times, alternately:
  * baseline: `trafilatura.extract` on every page, in a process pool of WORKERS (the same cores);
  * pipeline: `run_pass` into a fresh DuckDB file — HTTP fetch of the feed and every page, extraction,
    language detection, statement detection, and the load.
Prints each round, then the medians; the last line reads `ratio=R pipeline_per_s=X extract_per_s=Y`, where
R = pipeline articles/s ÷ bare extraction articles/s (1.0 would mean the rest of the pipeline is free).
The HTTP settings are the defaults but for the address guard (the server is on 127.0.0.1) and the per-host
delay (one host serves every page), so the figure is about our work, not about waiting. Every page carries
statements on the topics, the costliest case for detection. The first round also pays for starting the
extraction pool's fork server (about 2 s), as every `newswatch run` does once.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.http import HttpSettings
from pipeline.ingest import run_pass
from pipeline.records import FeedSource
from pipeline.settings import Settings
from pipeline.store import Store

PEOPLE = [
    ("Foreign Minister", "Ivan Sample"),
    ("Prime Minister", "Greta Example"),
    ("Defence Minister", "Otto Placeholder"),
    ("alliance spokeswoman", "Lena Mock"),
]
SAYING = [
    '"We will not accept any deal that leaves our security without written guarantees," {name} said.',
    "{role} {name} said the application to join the alliance would be ratified before the summit.",
    '"The door remains open, and no outside power has a veto over who joins," {name} told reporters.',
    "According to {name}, the talks on the treaty would resume next month in a neutral capital.",
    '"This is about trade, not about armies," {name} added, speaking about the new port.',
]
FILLER = [
    "The sample city council met on Tuesday to discuss the budget for roads and schools in the district.",
    "Farmers in the invented valley said the harvest had been late because of the long and wet spring.",
    "The national rail operator of the fictional republic announced new timetables for the winter season.",
    "Officials said the bridge over the river would stay closed to heavy traffic until repairs are done.",
    "Local museums reported record visitor numbers over the holiday weekend, according to the tourism board.",
    "The central bank kept its main rate unchanged and said inflation was slowly returning to its target.",
]


SECTIONS = [
    "World",
    "Europe",
    "Politics",
    "Business",
    "Science",
    "Culture",
    "Sport",
    "Opinion",
    "Video",
    "Climate",
    "Technology",
    "Health",
    "Travel",
    "Weather",
    "Podcasts",
    "Newsletters",
]


def _chrome(i: int, rng: random.Random) -> tuple[str, str, str]:
    """What a real news page wraps around its story: menus, scripts, a cookie banner, related stories,
    a comments block and a long footer — tens of kilobytes that extraction must see through."""
    nav = "".join(
        f"<li><a href='/{s.lower()}/'>{s}</a><ul>"
        + "".join(f"<li><a href='/{s.lower()}/{k}'>{s} topic {k}</a></li>" for k in range(6))
        + "</ul></li>"
        for s in SECTIONS
    )
    script = (
        "<script>window.dataLayer=window.dataLayer||[];"
        + "var cfg%d={a:%d,b:'x'};" * 40 % tuple(v for k in range(40) for v in (k, k))
        + "</script>"
    )
    style = "<style>" + "".join(f".c{k}{{margin:{k}px;padding:{k % 7}px}}" for k in range(120)) + "</style>"
    related = "".join(
        f"<li><a href='/story/{rng.randrange(10_000)}'><img src='/img/{k}.jpg' alt=''>"
        f"<span>{rng.choice(FILLER)[:70]}</span></a></li>"
        for k in range(24)
    )
    comments = "".join(
        f"<div class='comment'><b>reader{k}</b><p>{rng.choice(FILLER)}</p></div>" for k in range(12)
    )
    footer = "".join(f"<a href='/about/{k}'>Footer link {k}</a> " for k in range(80))
    head = (
        f"<head><meta charset='utf-8'><title>Sample story {i} | Bench Gazette</title>"
        f"<meta name='author' content='Bench Writer'><meta property='og:title' content='Sample story {i}'>"
        f"<meta property='article:published_time' content='2026-11-{1 + i % 27:02d}T08:00:00Z'>"
        f"{style}{script}</head>"
    )
    top = (
        "<div class='cookie-banner'>We use cookies to improve this sample site. <button>Accept</button></div>"
        f"<header><a href='/' class='logo'>Bench Gazette</a><nav><ul>{nav}</ul></nav></header>"
    )
    aside = f"<aside><h2>Related stories</h2><ul>{related}</ul></aside>"
    bottom = (
        f"<section class='comments'><h2>Comments</h2>{comments}</section>"
        "<footer><p>Sample data for the newswatch benchmark; the Bench Gazette is invented.</p>"
        f"{footer}</footer>"
    )
    return head, top, aside + bottom


def make_page(i: int, rng: random.Random) -> str:
    role, name = rng.choice(PEOPLE)
    paragraphs = [rng.choice(FILLER) + " " + rng.choice(FILLER) for _ in range(rng.randint(6, 12))]
    for _ in range(rng.randint(2, 4)):
        paragraphs.insert(rng.randint(0, len(paragraphs)), rng.choice(SAYING).format(role=role, name=name))
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    head, top, bottom = _chrome(i, rng)
    return (
        f"<!DOCTYPE html><html lang='en'>{head}<body>{top}<main><article><h1>Sample story {i} (invented text "
        f"for a benchmark)</h1><p class='byline'>By Bench Writer</p>{body}</article></main>{bottom}"
        "</body></html>"
    )


def make_feed(base: str, count: int) -> str:
    items = "".join(
        f"<item><title>Sample story {i}</title><link>{base}/story/{i}</link>"
        f"<guid>{base}/story/{i}</guid></item>"
        for i in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>{items}</channel></rss>'


class Site:
    """The pages and their feed, served by a separate process (so serving costs the pipeline no GIL time)."""

    def __init__(self, pages: list[str]) -> None:
        self.pages = pages
        ready: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
        self.process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(pages, ready), daemon=True
        )
        self.process.start()
        self.base = ready.get(timeout=30)

    def close(self) -> None:
        self.process.terminate()
        self.process.join()


def _serve(pages: list[str], ready: multiprocessing.Queue) -> None:
    bodies = [p.encode() for p in pages]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; with Nagle's algorithm on, the second waits for the client's
        # delayed ACK (~40 ms a response on keep-alive connections), which no production server suffers.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            status, kind = 200, "text/html; charset=utf-8"
            if self.path == "/feed.xml":
                body, kind = feed, "application/rss+xml"
            elif self.path.startswith("/story/"):
                body = bodies[int(self.path.rsplit("/", 1)[1])]
            else:
                status, body, kind = 404, b"not here", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    feed = make_feed(base, len(pages)).encode()
    ready.put(base)
    server.serve_forever()


def _extract(html: str) -> int:
    return len(trafilatura.extract(html) or "")


def bare_extraction(pages: list[str], workers: int) -> float:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_extract, pages, chunksize=4))
    return len(pages) / (time.perf_counter() - started)


def pipeline_pass(site: Site, workers: int) -> float:
    feed = FeedSource("Bench", f"{site.base}/feed.xml", "Bench outlet", "en", "GB")
    http = HttpSettings(allow_private_addresses=True, host_delay=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        summary = run_pass(
            Store(db), [feed], run_id="bench", settings=Settings(db=db, workers=workers), http=http
        )
        elapsed = time.perf_counter() - started
    if summary["articles_new"] != len(site.pages):
        raise SystemExit(f"pipeline stored {summary['articles_new']} of {len(site.pages)} articles")
    return len(site.pages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    rng = random.Random(20261128)
    site = Site([make_page(i, rng) for i in range(args.pages)])
    pipeline_rates, bare_rates, ratios = [], [], []
    for round_ in range(1, args.repeat + 1):
        bare = bare_extraction(site.pages, args.workers)
        piped = pipeline_pass(site, args.workers)
        pipeline_rates.append(piped)
        bare_rates.append(bare)
        ratios.append(piped / bare)
        print(
            f"round {round_}: pipeline {piped:.1f}/s, bare extraction {bare:.1f}/s, ratio {piped / bare:.3f}"
        )
    site.close()
    print(f"{args.pages} pages, {args.workers} workers, {args.repeat} rounds (medians below)")
    print(
        f"ratio={statistics.median(ratios):.3f} pipeline_per_s={statistics.median(pipeline_rates):.1f} "
        f"extract_per_s={statistics.median(bare_rates):.1f}"
    )


if __name__ == "__main__":
    main()
