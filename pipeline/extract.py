"""Article extraction: a page's HTML in, its body text and metadata out (an `Extraction`).

trafilatura runs first with precision-leaning settings (`favor_precision`, no comments, with metadata). When
the text is implausibly short, under `SHORT_TEXT` characters (250: about two sentences, less than any news
report and more than a cookie banner or a teaser), it runs again with its default settings, still without
comments, and the longer text is kept.

The result:

- `text`: one paragraph per block of the page, paragraphs separated by a blank line (``\\n\\n``), which is
  what the statement detector splits on. A first paragraph that only repeats the headline is dropped (a
  headline is not a statement, and the title is kept apart).
- `status`: "ok"; "short" (some text, still under `SHORT_TEXT` after the fallback); "empty" (no text at all);
  "error" (trafilatura failed on the page; `error` says why). Bad HTML never raises.
- `published`: the page's own metadata first (``article:published_time``, JSON-LD, ``<time>``…; htmldate's
  guesses from the body text, such as a copyright year, are not used); when the page gives only a day
  (midnight) and `feed_published` falls on that day, the feed's more precise time; else `feed_published`.
  A date later than `now` plus `FUTURE_GRACE` (14 hours, the widest time-zone offset, since a day without a
  zone may be "tomorrow" in UTC) is dropped as impossible.
- `language`: py3langid on the text (ISO 639-1), not the page's declared language, which is often a template
  default.
- `canonical_url`: the page's ``<link rel=canonical>`` if it is on the same site (`pipeline.urls`).

`extract_article` is a module-level function of plain values, so it pickles into a `ProcessPoolExecutor`.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import py3langid
import trafilatura

from pipeline.errors import InputError
from pipeline.records import Extraction
from pipeline.urls import find_canonical_link

logger = logging.getLogger(__name__)

SHORT_TEXT = 250  # characters; below this the text is implausibly short for a news article
FUTURE_GRACE = timedelta(hours=14)
_SPACES = re.compile(r"[ \t\u00a0]+")
_WORDS = re.compile(r"\W+")


def extract_article(
    html: bytes | str,
    *,
    url: str,
    feed_published: datetime | None = None,
    now: datetime | None = None,
) -> Extraction:
    """Extract the article in `html`, fetched from `url` (see the module docstring for the rules)."""
    now = now or datetime.now(UTC)
    if not html.strip():
        return Extraction(status="empty", error="the page is empty")
    try:
        document = _run_trafilatura(html, url=url, precise=True)
        text = _paragraphs(document)
        if len(text) < SHORT_TEXT:
            fallback = _run_trafilatura(html, url=url, precise=False)
            fallback_text = _paragraphs(fallback)
            if len(fallback_text) > len(text):
                logger.debug(
                    "%s: default settings found %d chars, precise %d", url, len(fallback_text), len(text)
                )
                document, text = fallback, fallback_text
    except Exception as exc:  # trafilatura and lxml raise many types on hostile HTML; the item records it
        logger.warning("extraction failed for %s: %s: %s", url, type(exc).__name__, exc)
        return Extraction(status="error", error=f"{type(exc).__name__}: {exc}")

    title = _clean(_attr(document, "title"))
    text = _drop_repeated_headline(text, title)
    published = _choose_published(_parse_date(_attr(document, "date")), feed_published, now=now)
    canonical = find_canonical_link(html, url)
    common: dict[str, Any] = {
        "title": title,
        "author": _clean(_attr(document, "author")),
        "site": _clean(_attr(document, "sitename")),
        "published": published,
        "canonical_url": canonical,
    }
    if not text:
        return Extraction(status="empty", error="no article text found", **common)
    status = "ok" if len(text) >= SHORT_TEXT else "short"
    return Extraction(status=status, text=text, language=detect_language(text), **common)


def extract_file(path: Path, *, url: str | None = None) -> dict[str, Any]:
    """The JSON object `newswatch extract` prints for a saved page.

    Keys: path, url (the given URL, else the page's canonical URL, else null), title, author, site, published
    (ISO 8601 or null), language, status, canonical_url, text.
    """
    try:
        html = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the page: {exc.strerror or exc}") from exc
    base = url or path.resolve().as_uri()
    extraction = extract_article(html, url=base)
    return {
        "path": str(path),
        "url": url or extraction.canonical_url,
        "title": extraction.title,
        "author": extraction.author,
        "site": extraction.site,
        "published": extraction.published.isoformat() if extraction.published else None,
        "language": extraction.language,
        "status": extraction.status,
        "canonical_url": extraction.canonical_url,
        "text": extraction.text,
    }


LANGUAGE_SAMPLE = 4000


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language (py3langid), or None for text without letters."""
    if not any(char.isalpha() for char in text):
        return None
    # A few thousand characters decide the language as well as the whole article does, at a fraction of
    # the cost on long texts.
    language, _ = py3langid.classify(text[:LANGUAGE_SAMPLE])
    return str(language)


def _run_trafilatura(html: bytes | str, *, url: str, precise: bool) -> Any:
    # No `max_date` for htmldate: given one earlier than the page's date it invents that day instead of
    # returning nothing. Future dates are dropped afterwards, against `now` (`_choose_published`).
    date_params = {
        "extensive_search": False,  # no guessing from body text or copyright lines
        "original_date": True,
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    }
    # The precise pass is also the fast one: trafilatura's own extractor alone, without comparing its result
    # against readability and jusText. That comparison is what the default-settings retry brings back when
    # the precise text came out implausibly short.
    return trafilatura.bare_extraction(
        html,
        url=url,
        fast=precise,
        favor_precision=precise,
        include_comments=False,
        with_metadata=True,
        date_extraction_params=date_params,
    )


def _attr(document: Any, name: str) -> str | None:
    value = getattr(document, name, None) if document is not None else None
    return str(value) if value else None


def _paragraphs(document: Any) -> str:
    """trafilatura's text (one block a line) as paragraphs separated by blank lines."""
    raw = _attr(document, "text") or ""
    lines = (_SPACES.sub(" ", line).strip() for line in raw.splitlines())
    return "\n\n".join(line for line in lines if line)


def _drop_repeated_headline(text: str, title: str | None) -> str:
    if not title or not text:
        return text
    first, _, rest = text.partition("\n\n")
    if _WORDS.sub(" ", first).strip().casefold() == _WORDS.sub(" ", title).strip().casefold():
        return rest
    return text


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = _SPACES.sub(" ", value).strip()
    return value or None


def _parse_date(value: str | None) -> datetime | None:
    """htmldate's string (``2024-05-02T10:15:00+0200``, maybe without zone or time) as aware UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            logger.debug("unreadable page date %r", value)
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _choose_published(page: datetime | None, feed: datetime | None, *, now: datetime) -> datetime | None:
    latest = now + FUTURE_GRACE
    if feed is not None and feed.tzinfo is None:
        feed = feed.replace(tzinfo=UTC)
    if page is not None and page > latest:
        logger.debug("dropping page date %s: later than %s", page, now)
        page = None
    if feed is not None and feed > latest:
        feed = None
    if page is None:
        return feed
    only_a_day = (page.hour, page.minute, page.second) == (0, 0, 0)
    if only_a_day and feed is not None and feed.date() == page.date():
        return feed
    return page
