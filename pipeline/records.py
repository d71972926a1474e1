"""Typed records passed between the ingestion stages.

Each stage takes and returns these frozen values; none of them carries a connection, a client or a clock.
The detector's `Statement` lives with the detector (`pipeline.detect`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


def stable_id(*parts: str | None) -> str:
    """A short, stable hex key for the given parts (the same parts give the same key in every run)."""
    joined = "\x1f".join(p or "" for p in parts)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=10).hexdigest()


@dataclass(frozen=True)
class FeedSource:
    """One entry of the feed list (`seeds/feeds.yaml`)."""

    name: str
    url: str
    outlet: str
    language: str  # ISO 639-1
    country: str  # ISO 3166-1 alpha-2, or "INT" for international bodies

    @property
    def feed_id(self) -> str:
        return stable_id(self.url)


@dataclass(frozen=True)
class FeedState:
    """What we remember about a feed between runs (the `feeds` table)."""

    feed_id: str
    etag: str | None = None
    last_modified: str | None = None
    consecutive_failures: int = 0
    next_due: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Response:
    """An HTTP response as the HTTP module hands it on: bytes plus what we need to interpret them."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    headers: Mapping[str, str]
    body: bytes
    encoding: str | None = None  # the charset chosen: header, then document, then detection
    not_modified: bool = False  # a 304 to a conditional request

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        """The body decoded with the chosen charset (replacement characters for bad bytes)."""
        return self.body.decode(self.encoding or "utf-8", errors="replace")


@dataclass(frozen=True)
class FeedItem:
    """One entry of a parsed feed."""

    guid: str
    link: str
    title: str = ""
    summary: str = ""
    published: datetime | None = None  # timezone-aware UTC
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFeed:
    """What feedparser made of a feed's bytes: the items it could read and the problem, if any."""

    items: tuple[FeedItem, ...]
    title: str = ""
    problem: str | None = None  # set for malformed feeds; the items that parsed are still kept


@dataclass(frozen=True)
class Extraction:
    """The result of running trafilatura on one page."""

    status: str  # "ok", "short" (text implausibly short even after the fallback), "empty", "error"
    text: str = ""
    title: str | None = None
    author: str | None = None
    site: str | None = None
    language: str | None = None  # detected from the text (py3langid), ISO 639-1
    published: datetime | None = None  # from the page's metadata; None when absent or in the future
    canonical_url: str | None = None  # the page's <link rel=canonical>, canonicalised
    error: str | None = None


@dataclass(frozen=True)
class Article:
    """An article as stored: the feed item, the page and its extraction, merged."""

    article_id: str  # stable_id(url)
    url: str  # canonical URL
    feed_id: str
    outlet: str
    title: str | None
    author: str | None
    published: datetime | None
    fetched_at: datetime
    language: str | None
    text: str
    status: str  # extraction status, or "fetch_error"
    error: str | None = None
    link: str | None = None  # the link as the feed gave it
    guid: str | None = None
    site: str | None = None
