"""What a response holds: whether its content type fits the fetch, and which charset decodes its body.

Both are pure functions of headers and bytes; `HttpClient` calls them on every 2xx response.
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

import charset_normalizer

_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/feed+json",
        "application/json",
    }
)
_ARTICLE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
_ARTICLE_SNIFFED = _UNDECLARED | {"text/plain", "text/xml", "application/xml"}


def judge_content_type(kind: str, media_type: str) -> Literal["accept", "sniff", "refuse"]:
    """Whether a media type fits a fetch of this kind: accept it, look at the body first, or refuse it.

    Feeds: any XML or JSON feed type, anything ending in +xml, and any text/* (servers send RSS as text/html
    or text/plain); a missing or octet-stream type is sniffed. Articles: HTML and XHTML; a missing,
    octet-stream, text/plain or plain XML type is sniffed. robots.txt: anything. Everything else (PDF,
    images, audio, video, archives) is refused.
    """
    if kind == "robots":
        return "accept"
    if kind == "feed":
        if media_type in _FEED_TYPES or media_type.endswith("+xml") or media_type.startswith("text/"):
            return "accept"
        return "sniff" if media_type in _UNDECLARED else "refuse"
    if media_type in _ARTICLE_TYPES:
        return "accept"
    return "sniff" if media_type in _ARTICLE_SNIFFED else "refuse"


_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")


def looks_like(kind: str, body: bytes) -> bool:
    """Whether the start of `body` looks like a feed (markup or JSON) or, for an article, like HTML."""
    start = _strip_bom(body[:2048]).lstrip().lower()
    if kind == "feed":
        return start.startswith((b"<", b"{"))
    return any(marker in start for marker in _HTML_MARKERS)


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_DOCUMENT_SCAN = 8192
_DETECTION_SAMPLE = 64 * 1024


def _strip_bom(body: bytes) -> bytes:
    for bom, _ in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :]
    return body


def _known_charset(label: str | bytes | None) -> str | None:
    if not label:
        return None
    name = (
        (label.decode("ascii", "ignore") if isinstance(label, bytes) else label).strip().strip("\"'").lower()
    )
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, when Python knows that codec."""
    for parameter in (content_type or "").split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            return _known_charset(value)
    return None


def choose_encoding(body: bytes, content_type: str | None) -> str | None:
    """The charset to decode `body` with: a byte-order mark, then the Content-Type header, then the document
    (XML declaration, `<meta charset>`, `<meta http-equiv>`), then detection (charset_normalizer).

    None only for an empty body or when nothing can be detected; `Response.text()` then uses UTF-8.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    declared = charset_from_content_type(content_type)
    if declared:
        return declared
    head = body[:_DOCUMENT_SCAN]
    match = _XML_DECLARATION.match(head) or _META_CHARSET.search(head)
    in_document = _known_charset(match.group(1)) if match else None
    if in_document:
        # bytes we could scan as ASCII are not UTF-16, whatever the page says (as browsers do)
        return "utf-8" if in_document.startswith("utf-16") else in_document
    if not body:
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(body[:_DETECTION_SAMPLE]).best()
        return best.encoding if best is not None else None
    return "utf-8"
