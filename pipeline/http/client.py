"""`HttpClient`: the guarded, retrying, robots-aware fetch every request of newswatch goes through.

This module holds the request path (URL checks, redirects one hop at a time, the per-host gate, timeouts,
the body cap, the status verdicts); the pieces it calls live beside it in `pipeline.http` (see the package
docstring for the whole design).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, Self

import httpcore
import httpx

from pipeline.errors import TerminalFetchError
from pipeline.http.content import choose_encoding, judge_content_type, looks_like
from pipeline.http.guard import AddressGuard, AddressRefusedError, HostNotFoundError, PinnedTransport
from pipeline.http.retry import RetryableError, fetch_with_retries, parse_retry_after
from pipeline.http.robots import ROBOTS_MAX_BYTES, RobotsCache
from pipeline.http.settings import HttpSettings
from pipeline.records import Response

log = logging.getLogger(__name__)

FetchKind = Literal["feed", "article"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "article": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    "robots": "text/plain, */*;q=0.5",
}


@dataclass
class _HostGate:
    slots: asyncio.Semaphore
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


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
            transport=PinnedTransport(AddressGuard(s)),
            headers={"User-Agent": s.user_agent_header},
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=None
            ),
            follow_redirects=False,
            trust_env=False,
        )
        self._gates: dict[str, _HostGate] = {}
        self._robots = RobotsCache(self._fetch_robots)
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
            await self._robots.check(target, asked=url)
        headers = {"Accept": _ACCEPT[kind]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._fetch_with_retries(url, kind=kind, headers=headers)

    async def _fetch_with_retries(self, url: str, *, kind: str, headers: dict[str, str]) -> Response:
        return await fetch_with_retries(
            url,
            lambda: self._follow_redirects(url, kind=kind, headers=headers),
            settings=self.settings,
            jitter=self._random,
        )

    async def _fetch_robots(self, robots_url: str) -> Response:
        return await self._fetch_with_retries(
            robots_url, kind="robots", headers={"Accept": _ACCEPT["robots"]}
        )

    async def _follow_redirects(self, url: str, *, kind: str, headers: dict[str, str]) -> Response:
        target = _checked_url(url, asked=url)
        for hop in range(self.settings.max_redirects + 1):
            if hop and kind == "article" and self.settings.respect_robots:
                await self._robots.check(target, asked=url)
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
                raise RetryableError(
                    f"no complete response within {self.settings.total_timeout}s{where}"
                ) from exc
            except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
                raise RetryableError(f"timed out ({type(exc).__name__}){where}") from exc
            except (AddressRefusedError, HostNotFoundError) as exc:
                raise TerminalFetchError(f"{exc}{where}", url=asked) from exc
            except (httpx.TransportError, httpcore.NetworkError, httpcore.ProtocolError) as exc:
                raise RetryableError(f"connection failed: {exc or type(exc).__name__}{where}") from exc
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
            raise RetryableError(f"HTTP {status}", status=status, retry_after=retry_after)
        if not 200 <= status < 300:
            raise TerminalFetchError(f"HTTP {status}", url=asked, status=status)
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        verdict = judge_content_type(kind, media_type)
        expected = "a feed" if kind == "feed" else "an HTML page"
        if verdict == "refuse":
            raise TerminalFetchError(f"content type {media_type} is not {expected}", url=asked, status=status)
        body = await self._read_body(response, asked=asked, kind=kind)
        if verdict == "sniff" and not looks_like(kind, body):
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
