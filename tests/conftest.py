"""Shared fixtures: a real HTTP server on 127.0.0.1, a fictional outlet served from it, a DuckDB file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.support.server import FixtureServer, RecordedRequest, local_http_settings

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
INGEST_PAGES = FIXTURES / "ingest" / "pages"


@pytest.fixture
def http_server() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


def rss(title: str, base: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 feed; items are (title, link path, pubDate)."""
    entries = "".join(
        f"<item><title>{t}</title><link>{escape(base + path)}</link><guid>{escape(base + path)}</guid>"
        f"<pubDate>{date}</pubDate><description>{t} (fictional test item)</description></item>"
        for t, path, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{base}/</link><description>fictional test feed</description>"
        f"{entries}</channel></rss>"
    )


def atom(title: str, base: str, items: list[tuple[str, str, str]]) -> str:
    """An Atom feed; items are (title, link path, updated ISO time)."""
    entries = "".join(
        f'<entry><title>{t}</title><link href="{escape(base + path)}"/><id>{escape(base + path)}</id>'
        f"<updated>{date}</updated><summary>{t}</summary></entry>"
        for t, path, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>{base}/atom</id><updated>2026-11-22T00:00:00Z</updated>{entries}</feed>"
    )


@dataclass
class Outlet:
    """Two fictional feeds and their article pages, served by a real local server."""

    server: FixtureServer
    feeds_file: Path

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return self.server.requests_for(path)

    def article_requests(self) -> list[RecordedRequest]:
        return [r for r in self.server.requests if r.path.startswith("/news/")]


def serve_page(server: FixtureServer, name: str, *, delay: float = 0.0) -> None:
    """Serve tests/fixtures/ingest/pages/NAME.html at /news/NAME, with {base} filled in."""
    html = (INGEST_PAGES / f"{name}.html").read_text(encoding="utf-8").replace("{base}", server.base_url)
    server.add(f"/news/{name}", html, delay=delay)


def write_feed_list(path: Path, feeds: list[tuple[str, str, str]]) -> Path:
    """A feeds.yaml with (name, url, outlet) entries, all English, country GB."""
    lines = ["feeds:"]
    for name, url, outlet in feeds:
        lines += [
            f"  - name: {name}",
            f"    url: {url}",
            f"    outlet: {outlet}",
            "    language: en",
            "    country: GB",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def outlet(http_server: FixtureServer, tmp_path: Path) -> Outlet:
    base = http_server.base_url
    http_server.add(
        "/courier.rss",
        rss(
            "The Test Courier",
            base,
            [
                (
                    "Guarantees",
                    "/news/guarantees?utm_source=rss&utm_medium=feed",
                    "Fri, 20 Nov 2026 09:00:00 GMT",
                ),
                ("Membership", "/news/membership", "Sat, 21 Nov 2026 12:30:00 GMT"),
                ("Exercise", "/news/exercise", "Sun, 22 Nov 2026 08:00:00 GMT"),
            ],
        ),
        content_type="application/rss+xml",
        etag='"courier-v1"',
    )
    http_server.add(
        "/echo.atom",
        atom(
            "The Test Echo",
            base,
            [
                ("Guarantees echo", "/news/guarantees-echo", "2026-11-20T15:00:00Z"),
                # The same article as the Courier's, under a tracking parameter: downloaded once only.
                ("Membership (syndicated)", "/news/membership?fbclid=abc123", "2026-11-21T12:30:00Z"),
            ],
        ),
        content_type="application/atom+xml",
        last_modified="Sun, 22 Nov 2026 10:00:00 GMT",
    )
    for name in ("guarantees", "membership", "exercise", "guarantees-echo"):
        serve_page(http_server, name)
    feeds = write_feed_list(
        tmp_path / "feeds.yaml",
        [
            ("Test Courier", http_server.url("/courier.rss"), "The Test Courier"),
            ("Test Echo", http_server.url("/echo.atom"), "The Test Echo"),
        ],
    )
    return Outlet(http_server, feeds)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running `newswatch` in a subprocess against the local server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env.update(
        NEWSWATCH_ALLOW_PRIVATE="1",
        NEWSWATCH_HOST_DELAY="0",
        NEWSWATCH_BACKOFF="0.01",
        NEWSWATCH_BACKOFF_MAX="0.05",
        NEWSWATCH_RETRIES="1",
        NEWSWATCH_PER_HOST="4",
        NEWSWATCH_STAGING=str(tmp_path / "staging"),
        NEWSWATCH_WORKERS="2",
        PYTHONPATH=str(REPO),
        COLUMNS="200",
    )
    return env


NEWSWATCH = [sys.executable, "-m", "pipeline"]

__all__ = ["NEWSWATCH", "Outlet", "atom", "local_http_settings", "rss", "serve_page", "write_feed_list"]
