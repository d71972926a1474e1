"""Canonical article URLs: one spelling per article, so that an item is recognised before it is fetched again.

`canonicalize_url` rewrites a URL without asking the network:

- scheme and host lower-cased, the host IDNA-encoded (``bücher.de`` → ``xn--bcher-kva.de``), a trailing dot
  on the host dropped, default ports (80 for http, 443 for https) dropped;
- the path's dot segments removed (RFC 3986 §5.2.4), percent-escapes upper-cased, escapes of unreserved
  characters decoded and characters that must be escaped (spaces, non-ASCII) escaped; an empty path
  becomes ``/``;
- tracking parameters dropped (`TRACKING_PARAMETERS`, any ``utm_*``; names compared without case), the
  remaining parameters sorted by name (values of a repeated name keep their order), an empty query dropped
  with its ``?``;
- the fragment dropped.

`find_canonical_link` reads a page's ``<link rel="canonical">``. It is trusted only when it is http(s) and
on the same site as the page (see `same_site`), because a page is untrusted input: a page claiming another
site's article as its canonical URL could otherwise make us skip that article as already stored.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from ipaddress import ip_address
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

logger = logging.getLogger(__name__)

# Query parameters that only say where a click came from. Compared lower-cased; any `utm_*` goes too.
# Deliberately absent: `ref`, `source`, `share`, `rss`, `id`, `page`, `p` (some sites route on them).
_TRACKING_NAMES = (
    "fbclid gclid dclid gbraid wbraid msclkid yclid twclid ttclid li_fat_id mc_cid mc_eid _ga _gl igshid "
    "igsh ref_src ref_url cmpid cmp icid ocid ito xtor xtref smid smtyp sr_share at_medium at_campaign "
    "at_custom1 at_custom2 at_custom3 at_custom4 ns_mchannel ns_source ns_campaign ns_linkname ns_fee "
    "mkt_tok _hsenc _hsmi hsctatracking oly_enc_id oly_anon_id vero_id vero_conv rb_clickid s_cid "
    "wt.mc_id spm soc_src soc_trk fb_action_ids fb_action_types fb_source fb_ref __twitter_impression"
)
TRACKING_PARAMETERS = frozenset(_TRACKING_NAMES.split())

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters left as they are in a path or query (RFC 3986 reserved and unreserved, plus "%" for escapes).
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY_PART = "/:@!$'()*+,;-._~%?"  # "=" and "&" are escaped inside a name or a value
# Second-level labels under which a country's registrable domains sit (bbc.co.uk, pravda.com.ua, mfa.gov.ua).
_GENERIC_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "edu", "ac", "or", "ne", "go", "mil"})


def canonicalize_url(url: str) -> str:
    """The canonical spelling of `url` (see the module docstring); an unparsable URL comes back stripped."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        logger.debug("cannot parse URL %r; leaving it as it is", url)
        return url
    scheme = parts.scheme.lower()
    netloc = _canonical_netloc(scheme, parts.netloc)
    path = _canonical_path(parts.path, has_authority=bool(netloc))
    query = _canonical_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def is_tracking_parameter(name: str) -> bool:
    """True for a query parameter that only records where a click came from (``utm_source``, ``fbclid`` …)."""
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMETERS


def site_of(host: str) -> str:
    """The site a host belongs to: its registrable domain, approximated without the public suffix list.

    The last two labels (``www.dw.com`` → ``dw.com``), or three when the second-to-last is a generic label
    under a two-letter country domain (``feeds.bbci.co.uk`` → ``bbci.co.uk``, ``www.pravda.com.ua`` →
    ``pravda.com.ua``). An IP address or a one-label host is its own site.
    """
    host = host.lower().rstrip(".")
    try:
        ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url: str, other: str) -> bool:
    """True when both URLs are http(s) and their hosts belong to the same site (`site_of`)."""
    first, second = urlsplit(url), urlsplit(other)
    if first.scheme not in _DEFAULT_PORTS or second.scheme not in _DEFAULT_PORTS:
        return False
    if not first.hostname or not second.hostname:
        return False
    return site_of(first.hostname) == site_of(second.hostname)


_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.IGNORECASE)
_HEADLESS_SCAN = 65_536


def find_canonical_link(html: str | bytes, base_url: str) -> str | None:
    """The page's ``<link rel="canonical">``, resolved against `base_url` (or the page's ``<base href>``) and
    canonicalised; None when absent, not http(s), or on another site than `base_url`.

    The first canonical link wins. When `base_url` is not http(s) (a page read from a local file) there is no
    site to compare with, and any absolute http(s) canonical URL is accepted.
    """
    text = _decode_html(html) if isinstance(html, bytes) else html
    # rel=canonical belongs in <head> (search engines ignore it in the body): scanning only the head keeps
    # this cheap on long pages.
    head_end = _HEAD_END.search(text)
    text = text[: head_end.start()] if head_end else text[:_HEADLESS_SCAN]
    finder = _CanonicalFinder()
    try:
        finder.feed(text)
        finder.close()
    except Exception as exc:  # html.parser is lenient; this guards the page-is-garbage case only
        logger.debug("cannot scan %s for a canonical link: %s", base_url, exc)
    if not finder.canonical:
        return None
    base = urljoin(base_url, finder.base) if finder.base else base_url
    resolved = canonicalize_url(urljoin(base, finder.canonical))
    parts = urlsplit(resolved)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if urlsplit(base_url).scheme in _DEFAULT_PORTS and not same_site(resolved, base_url):
        logger.info("ignoring canonical link %s on %s: another site", resolved, base_url)
        return None
    return resolved


class _CanonicalFinder(HTMLParser):
    """Collects the first ``<link rel=canonical href>`` and the first ``<base href>`` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.canonical: str | None = None
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "base"):
            return
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        href = values.get("href")
        if not href:
            return
        if tag == "base" and self.base is None:
            self.base = href
        elif tag == "link" and self.canonical is None and _is_canonical(values.get("rel", "")):
            self.canonical = href

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _is_canonical(rel: str) -> bool:
    return "canonical" in rel.lower().split()


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decode_html(html: bytes) -> str:
    """Decode page bytes with the charset its ``<meta>`` declares (in the first 4 KB), else UTF-8."""
    match = _META_CHARSET.search(html[:4096])
    if match:
        try:
            return html.decode(match.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return html.decode("utf-8", errors="replace")


def _canonical_netloc(scheme: str, netloc: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        host, port = hostport[: end + 1], hostport[end + 1 :].removeprefix(":")
    else:
        host, _, port = hostport.partition(":")
    host = _idna_host(host.lower().rstrip("."))
    if port.isdigit():  # a malformed port is left for the fetcher to refuse
        port = "" if int(port) == _DEFAULT_PORTS.get(scheme) else str(int(port))
    result = host + (f":{port}" if port else "")
    return f"{userinfo}@{result}" if userinfo else result


def _idna_host(host: str) -> str:
    if host.isascii():
        return host
    labels = []
    for label in host.split("."):
        try:
            labels.append(label.encode("idna").decode("ascii") if not label.isascii() else label)
        except UnicodeError:
            logger.debug("host label %r is not valid IDNA; keeping it", label)
            labels.append(label)
    return ".".join(labels)


def _normalize_escapes(text: str, safe: str) -> str:
    """Upper-case escapes, decode escapes of unreserved characters, escape what must be escaped."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_ESCAPE.sub(fix, text), safe=safe)


def _canonical_path(path: str, *, has_authority: bool) -> str:
    path = _remove_dot_segments(_normalize_escapes(path, _SAFE_PATH))
    if has_authority and not path:
        return "/"
    return path


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/b/../c/./d`` → ``/a/c/d``."""
    if "." not in path:
        return path
    output: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./") or path == "/.":
            path = "/" + path[3:]
        elif path.startswith("/../") or path == "/..":
            path = "/" + path[4:]
            if output:
                output.pop()
        elif path in (".", ".."):
            path = ""
        else:
            end = path.find("/", 1 if path.startswith("/") else 0)
            end = len(path) if end == -1 else end
            output.append(path[:end])
            path = path[end:]
    return "".join(output)


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    kept: list[tuple[str, str]] = []
    for pair in query.split("&"):
        if not pair:
            continue
        name, equals, value = pair.partition("=")
        if is_tracking_parameter(unquote(name.replace("+", " ")).strip()):
            continue
        name = _normalize_escapes(name, _SAFE_QUERY_PART)
        kept.append((name, equals + _normalize_escapes(value, _SAFE_QUERY_PART + "=")))
    kept.sort(key=lambda pair: pair[0])
    return "&".join(name + value for name, value in kept)
