"""Feed parsing: the bytes of an RSS or Atom document in, a `ParsedFeed` of `FeedItem`s out.

feedparser does the parsing (RSS 0.9x, 1.0 and 2.0, Atom 0.3 and 1.0) on the bytes it is given, with the
response headers for the charset and the base URL; it never fetches anything itself.

What becomes of an entry:

- `link`: the entry's link (or its permalink guid) resolved against the feed URL; only http(s) links count.
  An entry without one cannot be fetched, so it is **dropped**, and the drop is recorded in `problem`
  ("3 of 20 entries had no http(s) link and were dropped") so that feed health shows it.
- `guid`: the entry's id/guid, else its link (an entry has one: those without are dropped, so no hash of
  title and date is ever needed).
- `title`, `summary`: plain text (markup stripped, entities decoded, whitespace collapsed).
- `published`: the entry's published date, else its updated date, as an aware UTC datetime (feedparser reads
  RFC 822, ISO 8601/W3C-DTF and a dozen other formats and converts to UTC); None when absent or unreadable.
- `authors`: the names given (`author`, `dc:creator`, Atom `<author><name>`), in order, without repeats.

A malformed document (feedparser's "bozo" flag) keeps every entry that parsed and describes the fault in
`problem`. A document that is not a feed at all (an HTML page, an empty body) gives no items and a `problem`.
A valid feed with no entries gives no items and no problem.
"""

from __future__ import annotations

import calendar
import io
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax import SAXParseException

import feedparser

from pipeline.records import FeedItem, ParsedFeed

logger = logging.getLogger(__name__)

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SPACES = re.compile(r"\s+")
# Harmless bozo reasons: the document parsed fine, only its declared charset or content type was off.
_BENIGN_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")


def parse_feed(body: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a feed document's bytes; `url` is the feed's (final) URL, `headers` the HTTP response headers."""
    if not body.strip():
        return ParsedFeed(items=(), problem="empty body: no feed document")
    response_headers = {key.lower(): value for key, value in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    parsed = feedparser.parse(
        io.BytesIO(body),  # a stream, so feedparser never mistakes the bytes for a URL or a file name
        response_headers=response_headers,
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    problems: list[str] = []
    if parsed.get("bozo"):
        problem = _describe_bozo(parsed.get("bozo_exception"))
        if problem:
            problems.append(problem)
    entries = parsed.get("entries", [])
    if not parsed.get("version") and not entries:
        problems.insert(0, "not an RSS or Atom feed")

    items: list[FeedItem] = []
    dropped = 0
    for entry in entries:
        item = _to_item(entry, feed_url=url)
        if item is None:
            dropped += 1
        else:
            items.append(item)
    if dropped:
        problems.append(f"{dropped} of {len(entries)} entries had no http(s) link and were dropped")
    feed = parsed.get("feed", {})
    title = _plain_text(feed.get("title", ""), feed.get("title_detail"))
    problem = "; ".join(problems) or None
    if problem:
        logger.info("feed %s: %s (%d items kept)", url, problem, len(items))
    return ParsedFeed(items=tuple(items), title=title, problem=problem)


def _describe_bozo(exc: object) -> str | None:
    if exc is None:
        return "malformed feed"
    name = type(exc).__name__
    if name in _BENIGN_BOZO:
        logger.debug("feed parsed despite %s: %s", name, exc)
        return None
    if isinstance(exc, SAXParseException):
        return (
            f"malformed XML at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
        )
    return f"malformed feed: {name}: {exc}"


def _to_item(entry: Mapping[str, Any], *, feed_url: str) -> FeedItem | None:
    link = _entry_link(entry, feed_url=feed_url)
    if link is None:
        return None
    title = _plain_text(entry.get("title", ""), entry.get("title_detail"))
    published = _entry_published(entry)
    guid = str(entry.get("id") or "").strip() or link
    return FeedItem(
        guid=guid,
        link=link,
        title=title,
        summary=_plain_text(entry.get("summary", ""), entry.get("summary_detail")),
        published=published,
        authors=_entry_authors(entry),
    )


def _entry_link(entry: Mapping[str, Any], *, feed_url: str) -> str | None:
    candidates: list[str] = []
    if entry.get("link"):
        candidates.append(entry["link"])
    for link in entry.get("links", []):
        if link.get("href") and link.get("rel", "alternate") == "alternate":
            candidates.append(link["href"])
    if entry.get("guidislink") and entry.get("id"):
        candidates.append(entry["id"])
    for candidate in candidates:
        resolved = urljoin(feed_url, str(candidate).strip())
        parts = urlsplit(resolved)
        if parts.scheme in ("http", "https") and parts.netloc:
            return resolved
    return None


def _entry_published(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                logger.debug("entry date %r out of range", parsed)
    return None


def _entry_authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors", []) or []:
        name = author.get("name") or author.get("email") or ""
        names.append(name)
    if not names and entry.get("author"):
        names.append(entry["author"])
    cleaned: list[str] = []
    for name in names:
        text = _plain_text(str(name), {"type": "text/html"})
        if text and text not in cleaned:
            cleaned.append(text)
    return tuple(cleaned)


def _plain_text(value: str, detail: Mapping[str, Any] | None) -> str:
    """Text of a feed field: markup stripped when the field is HTML, entities decoded, spaces collapsed."""
    text = str(value or "")
    if detail is None or detail.get("type") in _HTML_TYPES:
        text = _strip_markup(text)
    return _SPACES.sub(" ", text).strip()


def _strip_markup(html: str) -> str:
    stripper = _TextCollector()
    try:
        stripper.feed(html)
        stripper.close()
    except Exception:  # html.parser is lenient; on the rare failure, fall back to the raw text
        return unescape(html)
    return stripper.text()


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment, skipping scripts and styles; block tags become spaces."""

    _SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._parts.append(data)

    def text(self) -> str:
        return "".join(self._parts)
