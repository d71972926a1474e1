"""Ingestion throughput: a full `newswatch run` against bare trafilatura extraction of the same pages.

    .venv/bin/python bench/ingest.py [--pages 200] [--repeat 3] [--workers N]

Serves PAGES generated article pages (invented sample text) and one RSS feed listing them on 127.0.0.1, then,
REPEAT times, alternately:
  * baseline: `trafilatura.extract` on every page, in a process pool of WORKERS (the same cores);
  * pipeline: `run_pass` into a fresh DuckDB file — HTTP fetch of the feed and every page, extraction,
    language detection, statement detection, and the load.
Prints each round, then the medians; the last line reads `ratio=R pipeline_per_s=X extract_per_s=Y`, where
R = pipeline articles/s ÷ bare extraction articles/s (1.0 would mean the rest of the pipeline is free).
Per-host politeness (delay, concurrency cap) is set for a local server, so the figure is about our work,
not about waiting.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.http import HttpSettings  # noqa: E402
from pipeline.ingest import run_pass  # noqa: E402
from pipeline.records import FeedSource  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.store import Store  # noqa: E402

PEOPLE = [("Foreign Minister", "Ivan Sample"), ("Prime Minister", "Greta Example"),
          ("Defence Minister", "Otto Placeholder"), ("alliance spokeswoman", "Lena Mock")]
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


def make_page(i: int, rng: random.Random) -> str:
    role, name = rng.choice(PEOPLE)
    paragraphs = [rng.choice(FILLER) + " " + rng.choice(FILLER) for _ in range(rng.randint(4, 8))]
    for _ in range(rng.randint(2, 4)):
        paragraphs.insert(rng.randint(0, len(paragraphs)), rng.choice(SAYING).format(role=role, name=name))
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Sample story {i}</title>"
        f"<meta name='author' content='Bench Writer'></head><body><header><nav><a href='/'>Home</a> "
        f"<a href='/world'>World</a></nav></header><main><article><h1>Sample story {i} (invented text for a "
        f"benchmark)</h1>{body}</article></main><footer>Sample data for the newswatch benchmark.</footer>"
        f"</body></html>"
    )


def make_feed(base: str, count: int) -> str:
    items = "".join(
        f"<item><title>Sample story {i}</title><link>{base}/story/{i}</link><guid>{base}/story/{i}</guid></item>"
        for i in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>{items}</channel></rss>'


class Site:
    def __init__(self, pages: list[str]) -> None:
        self.pages = pages
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.feed = make_feed(self.base, len(pages)).encode()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path == "/feed.xml":
                    body, kind = site.feed, "application/rss+xml"
                elif self.path.startswith("/story/"):
                    body, kind = site.pages[int(self.path.rsplit("/", 1)[1])].encode(), "text/html; charset=utf-8"
                else:
                    body, kind = b"not here", "text/plain"
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        return Handler


def _extract(html: str) -> int:
    return len(trafilatura.extract(html) or "")


def bare_extraction(pages: list[str], workers: int) -> float:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_extract, pages, chunksize=4))
    return len(pages) / (time.perf_counter() - started)


def pipeline_pass(site: Site, workers: int) -> float:
    feed = FeedSource("Bench", f"{site.base}/feed.xml", "Bench outlet", "en", "GB")
    http = HttpSettings(allow_private_addresses=True, host_delay=0.0, per_host=16, respect_robots=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        summary = run_pass(Store(db), [feed], run_id="bench", settings=Settings(db=db, workers=workers),
                           http=http)
        elapsed = time.perf_counter() - started
    if summary["articles_new"] != len(site.pages):
        raise SystemExit(f"pipeline stored {summary['articles_new']} of {len(site.pages)} articles")
    return len(site.pages) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
        print(f"round {round_}: pipeline {piped:.1f}/s, bare extraction {bare:.1f}/s, ratio {piped / bare:.3f}")
    print(f"{args.pages} pages, {args.workers} workers, {args.repeat} rounds (medians below)")
    print(
        f"ratio={statistics.median(ratios):.3f} pipeline_per_s={statistics.median(pipeline_rates):.1f} "
        f"extract_per_s={statistics.median(bare_rates):.1f}"
    )


if __name__ == "__main__":
    main()
