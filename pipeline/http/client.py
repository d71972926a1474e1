"""The one HTTP module: every request newswatch makes goes through `HttpClient.fetch`.

Feed and article URLs are untrusted input, so each request is guarded:

- only http and https; redirects are followed here, one hop at a time (at most `max_redirects`);
- every connection resolves its host with `loop.getaddrinfo`, refuses private, loopback, link-local,
  multicast, reserved and unspecified addresses (IPv4 and IPv6, IPv4-mapped IPv6 unwrapped) unless allowed,
  and then connects to the very address it checked (the URL keeps its host name, so the Host header, TLS SNI
  and certificate check are unchanged). There is no window between check and connect for DNS rebinding to use;
- connect and read timeouts, and a total timeout (`asyncio.timeout`) around each exchange including its body;
- a body-size cap: refused up front when Content-Length is larger, and enforced while streaming;
- retries with exponential backoff and full jitter on 408, 429, 5xx, timeouts and connection errors, honouring
  `Retry-After` (seconds or HTTP date) up to `retry_after_max` — a longer wait is not slept through, the fetch
  fails transiently at once;
- at most `per_host` requests in flight per host and `host_delay` seconds between request starts to it;
- robots.txt for article pages, read once per origin and client (see `HttpClient` for the rules);
- the content type must fit the kind of fetch (feed or article page), leniently: see `judge_content_type`.

    async with HttpClient(HttpSettings.from_env()) as client:
        response = await client.fetch(url, kind="feed", etag=state.etag, last_modified=state.last_modified)

`fetch` returns a `pipeline.records.Response` (a 304 gives `not_modified=True` and an empty body) or raises
`TransientFetchError` (a later retry may help) / `TerminalFetchError` (it will not), with the URL asked for,
the HTTP status when there was one, and the reason.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import os
import random
import re
import socket
import urllib.robotparser
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Literal, Self

import charset_normalizer
import httpcore
import httpx

from pipeline import __version__
from pipeline.errors import ConfigError, TerminalFetchError, TransientFetchError
from pipeline.records import Response

log = logging.getLogger(__name__)

FetchKind = Literal["feed", "article"]
DEFAULT_CONTACT_URL = "https://github.com/newswatch/newswatch"
ROBOTS_AGENT = "newswatch"  # the product token matched against robots.txt User-agent lines
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "article": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    "robots": "text/plain, */*;q=0.5",
}


@dataclass(frozen=True)
class HttpSettings:
    """How newswatch talks HTTP. `from_env` reads each field from a `NEWSWATCH_*` variable."""

    contact_url: str = DEFAULT_CONTACT_URL
    user_agent: str | None = None  # replaces the whole "newswatch/<version> (+<contact>)" string when set
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # one request/response exchange including its body
    max_bytes: int = 8 * 1024 * 1024
    per_host: int = 2
    host_delay: float = 1.0
    retries: int = 3  # extra attempts after the first
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    max_redirects: int = 5
    respect_robots: bool = True
    allow_private_addresses: bool = False
    allowed_networks: tuple[str, ...] = ()  # CIDR blocks exempt from the address guard, e.g. "10.1.2.0/24"

    def __post_init__(self) -> None:
        positive = ("connect_timeout", "read_timeout", "total_timeout", "max_bytes", "per_host")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"must be greater than 0, got {getattr(self, name)!r}", field=name)
        not_negative = (
            "host_delay",
            "retries",
            "backoff_base",
            "backoff_max",
            "retry_after_max",
            "max_redirects",
        )
        for name in not_negative:
            if getattr(self, name) < 0:
                raise ConfigError(f"must not be negative, got {getattr(self, name)!r}", field=name)
        for network in self.allowed_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ConfigError(f"not an IP network: {network!r}", field="allowed_networks") from exc

    @property
    def user_agent_header(self) -> str:
        return self.user_agent or f"newswatch/{__version__} (+{self.contact_url})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HttpSettings:
        """Settings from the environment (or `environ`); an unset variable keeps the default.

        NEWSWATCH_CONTACT_URL      URL in the User-Agent where site owners can reach us
        NEWSWATCH_USER_AGENT       the whole User-Agent string, replacing "newswatch/<version> (+<contact>)"
        NEWSWATCH_CONNECT_TIMEOUT  seconds to open a connection (10)
        NEWSWATCH_READ_TIMEOUT     seconds to wait for each piece of the response (20)
        NEWSWATCH_TIMEOUT          seconds for a whole request/response exchange including the body (60)
        NEWSWATCH_MAX_BYTES        largest body accepted, in bytes (8 MiB)
        NEWSWATCH_PER_HOST         requests in flight at once per host (2)
        NEWSWATCH_HOST_DELAY       seconds between the starts of two requests to one host (1)
        NEWSWATCH_RETRIES          extra attempts after a transient failure (3)
        NEWSWATCH_BACKOFF          base of the exponential backoff, seconds (1)
        NEWSWATCH_BACKOFF_MAX      longest backoff between two attempts, seconds (30)
        NEWSWATCH_RETRY_AFTER_MAX  longest Retry-After we wait for, seconds (120); longer fails transiently
        NEWSWATCH_MAX_REDIRECTS    redirects followed per fetch (5)
        NEWSWATCH_RESPECT_ROBOTS   obey robots.txt for article pages (true)
        NEWSWATCH_ALLOW_PRIVATE    allow private, loopback, link-local addresses (false): tests, intranets
        NEWSWATCH_ALLOWED_NETWORKS comma-separated CIDR blocks allowed even though private (none)
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, (attribute, parse) in _ENV_FIELDS.items():
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[attribute] = parse(raw.strip())
            except ValueError as exc:
                raise ConfigError(str(exc), field=name) from exc
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ConfigError as exc:  # name the variable, not the field
            variable = next((n for n, (a, _) in _ENV_FIELDS.items() if a == exc.field), exc.field)
            raise ConfigError(str(exc).removeprefix(f"{exc.field}: "), field=variable) from exc


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _parse_float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None


def _parse_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"expected a whole number, got {raw!r}") from None


def _parse_networks(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


_ENV_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "NEWSWATCH_CONTACT_URL": ("contact_url", str),
    "NEWSWATCH_USER_AGENT": ("user_agent", str),
    "NEWSWATCH_CONNECT_TIMEOUT": ("connect_timeout", _parse_float),
    "NEWSWATCH_READ_TIMEOUT": ("read_timeout", _parse_float),
    "NEWSWATCH_TIMEOUT": ("total_timeout", _parse_float),
    "NEWSWATCH_MAX_BYTES": ("max_bytes", _parse_int),
    "NEWSWATCH_PER_HOST": ("per_host", _parse_int),
    "NEWSWATCH_HOST_DELAY": ("host_delay", _parse_float),
    "NEWSWATCH_RETRIES": ("retries", _parse_int),
    "NEWSWATCH_BACKOFF": ("backoff_base", _parse_float),
    "NEWSWATCH_BACKOFF_MAX": ("backoff_max", _parse_float),
    "NEWSWATCH_RETRY_AFTER_MAX": ("retry_after_max", _parse_float),
    "NEWSWATCH_MAX_REDIRECTS": ("max_redirects", _parse_int),
    "NEWSWATCH_RESPECT_ROBOTS": ("respect_robots", _parse_bool),
    "NEWSWATCH_ALLOW_PRIVATE": ("allow_private_addresses", _parse_bool),
    "NEWSWATCH_ALLOWED_NETWORKS": ("allowed_networks", _parse_networks),
}


# --- addresses ---------------------------------------------------------------------------------------------


def refusal_reason(address: str) -> str | None:
    """Why newswatch must not connect to this IP address by default, or None when it is a public address.

    IPv4-mapped IPv6 addresses (``::ffff:10.0.0.1``) are judged as the IPv4 address they carry.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return f"{reason} address {ip}"
    if not ip.is_global:  # shared (100.64.0.0/10), documentation, benchmarking and other special ranges
        return f"non-public address {ip}"
    return None


class AddressRefusedError(Exception):
    """Raised inside a connection attempt when the host resolves to an address we will not connect to."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"refused {host}: {reason}")
        self.host, self.reason = host, reason


class HostNotFoundError(Exception):
    """Raised inside a connection attempt when the host name does not exist."""


class _AddressGuard:
    def __init__(self, settings: HttpSettings) -> None:
        self._allow_all = settings.allow_private_addresses
        self._allowed = tuple(ipaddress.ip_network(n, strict=False) for n in settings.allowed_networks)

    def refusal(self, address: str) -> str | None:
        if self._allow_all:
            return None
        reason = refusal_reason(address)
        if reason is None:
            return None
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip.version == net.version and ip in net for net in self._allowed):
            return None
        return reason

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host`, all checked; one refused address refuses the host."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
                raise HostNotFoundError(f"unknown host {host}") from exc
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            reason = self.refusal(address)
            if reason is not None:
                raise AddressRefusedError(host, reason)
        return addresses


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the guard accepted, and to exactly those addresses."""

    def __init__(self, guard: _AddressGuard) -> None:
        self._guard = guard
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpcore.Response) -> None:
        self._response = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._response.aiter_stream():
            yield part

    async def aclose(self) -> None:
        await self._response.aclose()


class _PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore pool that connects through `_PinnedBackend`.

    It is private to `HttpClient`: httpcore's exceptions pass through unchanged (the client classifies them),
    and there is no proxy support (a proxy would connect for us and bypass the address guard).
    """

    def __init__(self, guard: _AddressGuard) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_PinnedBackend(guard),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            extensions=request.extensions,
        )
        core_response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


# --- content ---------------------------------------------------------------------------------------------

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


def _looks_like(kind: str, body: bytes) -> bool:
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


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# --- the client ------------------------------------------------------------------------------------------


class _RetryableError(Exception):
    """One attempt failed in a way a retry may get past."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.retry_after = reason, status, retry_after


@dataclass
class _HostGate:
    slots: asyncio.Semaphore
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


_RobotsVerdict = urllib.robotparser.RobotFileParser | TransientFetchError


class HttpClient:
    """Fetches feeds and article pages; use as `async with HttpClient(settings) as client`.

    robots.txt (article pages only, when `respect_robots`): read once per origin for the client's lifetime,
    through the same guarded path as any fetch. 2xx: its rules apply to the product token "newswatch". A 4xx
    (missing, forbidden): everything is allowed (RFC 9309, "unavailable"). 5xx, timeouts or no connection
    even after retries: the origin counts as unreachable (RFC 9309 says assume complete disallow), so every
    article on it fails with `TransientFetchError` for this client's lifetime and is tried again next run. A
    disallowed page raises `TerminalFetchError` whose reason is exactly "robots.txt".
    """

    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=_PinnedTransport(_AddressGuard(s)),
            headers={"User-Agent": s.user_agent_header},
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=None
            ),
            follow_redirects=False,
            trust_env=False,
        )
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, _RobotsVerdict] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._random = random.Random()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self, url: str, *, kind: FetchKind = "feed", etag: str | None = None, last_modified: str | None = None
    ) -> Response:
        """GET `url` as a feed or an article page; conditional when `etag`/`last_modified` are given."""
        if kind not in ("feed", "article"):
            raise ValueError(f"kind must be 'feed' or 'article', not {kind!r}")
        target = _checked_url(url, asked=url)
        if kind == "article" and self.settings.respect_robots:
            await self._check_robots(target, asked=url)
        headers = {"Accept": _ACCEPT[kind]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._fetch_with_retries(url, kind=kind, headers=headers)

    async def _fetch_with_retries(self, url: str, *, kind: str, headers: dict[str, str]) -> Response:
        s = self.settings
        attempts = s.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._follow_redirects(url, kind=kind, headers=headers)
            except _RetryableError as failure:
                if failure.retry_after is not None and failure.retry_after > s.retry_after_max:
                    log.warning(
                        "%s: %s, Retry-After %.0fs is past our limit; giving up",
                        url,
                        failure,
                        failure.retry_after,
                    )
                    reason = f"{failure.reason}, Retry-After {failure.retry_after:.0f}s"
                    raise TransientFetchError(reason, url=url, status=failure.status) from failure
                if attempt == attempts:
                    log.warning("%s: %s after %d attempts; giving up", url, failure, attempts)
                    reason = f"{failure.reason} (after {attempts} attempts)"
                    raise TransientFetchError(reason, url=url, status=failure.status) from failure
                delay = failure.retry_after
                if delay is None:
                    delay = self._random.uniform(0.0, min(s.backoff_max, s.backoff_base * 2 ** (attempt - 1)))
                log.info("%s: %s; retry %d of %d in %.2fs", url, failure, attempt, s.retries, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _follow_redirects(self, url: str, *, kind: str, headers: dict[str, str]) -> Response:
        target = _checked_url(url, asked=url)
        for hop in range(self.settings.max_redirects + 1):
            if hop and kind == "article" and self.settings.respect_robots:
                await self._check_robots(target, asked=url)
            outcome = await self._exchange(target, asked=url, kind=kind, headers=headers)
            if isinstance(outcome, Response):
                return outcome
            log.debug("%s: redirected to %s", target, outcome)
            target = _checked_url(str(target.join(outcome)), asked=url)
        raise TerminalFetchError(f"more than {self.settings.max_redirects} redirects", url=url)

    async def _exchange(
        self, target: httpx.URL, *, asked: str, kind: str, headers: dict[str, str]
    ) -> Response | str:
        """One request and its response, in the host's slot and within the total timeout.

        Returns the Response, or the Location of a redirect.
        """
        where = "" if str(target) == asked else f" (at {target})"
        async with self._host_slot(target):
            log.debug("GET %s (%s)", target, kind)
            try:
                async with asyncio.timeout(self.settings.total_timeout):
                    async with self._client.stream("GET", target, headers=headers) as response:
                        return await self._read_response(response, target, asked=asked, kind=kind)
            except TimeoutError as exc:
                raise _RetryableError(
                    f"no complete response within {self.settings.total_timeout}s{where}"
                ) from exc
            except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
                raise _RetryableError(f"timed out ({type(exc).__name__}){where}") from exc
            except AddressRefusedError as exc:
                raise TerminalFetchError(f"{exc}{where}", url=asked) from exc
            except HostNotFoundError as exc:
                raise TerminalFetchError(f"{exc}{where}", url=asked) from exc
            except (httpx.TransportError, httpcore.NetworkError, httpcore.ProtocolError) as exc:
                raise _RetryableError(f"connection failed: {exc or type(exc).__name__}{where}") from exc
            except httpx.DecodingError as exc:
                raise TerminalFetchError(f"undecodable body: {exc}{where}", url=asked) from exc

    async def _read_response(
        self, response: httpx.Response, target: httpx.URL, *, asked: str, kind: str
    ) -> Response | str:
        status = response.status_code
        headers = {name.lower(): value for name, value in response.headers.items()}
        log.debug("%s: HTTP %d", target, status)
        if status in _REDIRECTS:
            location = headers.get("location")
            if not location:
                raise TerminalFetchError(
                    f"HTTP {status} redirect without a Location", url=asked, status=status
                )
            return location
        if status == 304:
            return Response(
                url=asked, final_url=str(target), status=status, headers=headers, body=b"", not_modified=True
            )
        if status in (408, 429) or status >= 500:
            retry_after = parse_retry_after(headers.get("retry-after"))
            raise _RetryableError(f"HTTP {status}", status=status, retry_after=retry_after)
        if not 200 <= status < 300:
            raise TerminalFetchError(f"HTTP {status}", url=asked, status=status)
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        verdict = judge_content_type(kind, media_type)
        expected = "a feed" if kind == "feed" else "an HTML page"
        if verdict == "refuse":
            raise TerminalFetchError(f"content type {media_type} is not {expected}", url=asked, status=status)
        body = await self._read_body(response, asked=asked, kind=kind)
        if verdict == "sniff" and not _looks_like(kind, body):
            declared = media_type or "missing"
            raise TerminalFetchError(
                f"content type {declared} and the body does not look like {expected}",
                url=asked,
                status=status,
            )
        encoding = choose_encoding(body, headers.get("content-type"))
        return Response(
            url=asked, final_url=str(target), status=status, headers=headers, body=body, encoding=encoding
        )

    async def _read_body(self, response: httpx.Response, *, asked: str, kind: str) -> bytes:
        cap = min(self.settings.max_bytes, ROBOTS_MAX_BYTES) if kind == "robots" else self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TerminalFetchError(
                f"body of {declared} bytes is over the {cap}-byte limit",
                url=asked,
                status=response.status_code,
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise TerminalFetchError(
                    f"body is over the {cap}-byte limit", url=asked, status=response.status_code
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @asynccontextmanager
    async def _host_slot(self, target: httpx.URL) -> AsyncIterator[None]:
        """At most `per_host` exchanges in flight per host, starting at least `host_delay` apart."""
        key = f"{target.host}:{target.port or (443 if target.scheme == 'https' else 80)}"
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _HostGate(asyncio.Semaphore(self.settings.per_host))
        async with gate.slots:
            async with gate.spacing:
                loop = asyncio.get_running_loop()
                wait = gate.next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                gate.next_start = loop.time() + self.settings.host_delay
            yield

    async def _check_robots(self, target: httpx.URL, *, asked: str) -> None:
        origin = f"{target.scheme}://{target.netloc.decode('ascii')}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._read_robots(origin)
        verdict = self._robots[origin]
        if isinstance(verdict, TransientFetchError):
            raise TransientFetchError(verdict.reason, url=asked, status=verdict.status)
        if not verdict.can_fetch(ROBOTS_AGENT, str(target)):
            log.info("%s: disallowed by %s/robots.txt", asked, origin)
            raise TerminalFetchError("robots.txt", url=asked)

    async def _read_robots(self, origin: str) -> _RobotsVerdict:
        robots_url = f"{origin}/robots.txt"
        rules = urllib.robotparser.RobotFileParser(robots_url)
        try:
            response = await self._fetch_with_retries(
                robots_url, kind="robots", headers={"Accept": _ACCEPT["robots"]}
            )
        except TransientFetchError as exc:
            log.warning(
                "%s unreachable (%s): no article pages from %s in this run", robots_url, exc.reason, origin
            )
            return TransientFetchError(
                f"robots.txt unreachable: {exc.reason}", url=robots_url, status=exc.status
            )
        except TerminalFetchError as exc:
            if exc.status is None or not 400 <= exc.status < 500:
                raise
            log.debug("%s: HTTP %d, everything allowed", robots_url, exc.status)
            rules.parse([])
            return rules
        rules.parse(response.text().splitlines())
        return rules


def _checked_url(url: str, *, asked: str) -> httpx.URL:
    """The URL parsed, when it is an absolute http(s) URL with a host; otherwise a TerminalFetchError."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise TerminalFetchError(f"invalid URL {url!r}: {exc}", url=asked) from exc
    if parsed.scheme not in ("http", "https"):
        raise TerminalFetchError(f"refused scheme {parsed.scheme or 'none'!r} in {url}", url=asked)
    if not parsed.host:
        raise TerminalFetchError(f"no host in {url}", url=asked)
    return parsed
