"""robots.txt for article pages: read once per origin and client, asked before each article fetch.

The rules (RFC 9309) are told in `HttpClient`'s docstring: the rules of a 2xx robots.txt apply to the
product token `ROBOTS_AGENT`; a 4xx allows everything; an unreachable robots.txt makes the origin
unreachable for the client's lifetime (`TransientFetchError`); a disallowed page is a `TerminalFetchError`
whose reason is "robots.txt".
"""

from __future__ import annotations

import asyncio
import logging
import urllib.robotparser
from collections.abc import Awaitable, Callable

import httpx

from pipeline.errors import TerminalFetchError, TransientFetchError
from pipeline.records import Response

log = logging.getLogger(__name__)

ROBOTS_AGENT = "newswatch"  # the product token matched against robots.txt User-agent lines
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB

_RobotsVerdict = urllib.robotparser.RobotFileParser | TransientFetchError


class RobotsCache:
    """The robots.txt verdict of each origin, read with `fetch_robots(robots_url)` when first asked.

    `fetch_robots` must go through the same guarded, retrying path as any fetch and raise the package's fetch
    errors; concurrent checks of one origin wait for a single read.
    """

    def __init__(self, fetch_robots: Callable[[str], Awaitable[Response]]) -> None:
        self._fetch_robots = fetch_robots
        self._verdicts: dict[str, _RobotsVerdict] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, target: httpx.URL, *, asked: str) -> None:
        """Return when robots.txt lets us fetch `target`; raise the fetch error for `asked` otherwise."""
        origin = f"{target.scheme}://{target.netloc.decode('ascii')}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._verdicts:
                self._verdicts[origin] = await self._read(origin)
        verdict = self._verdicts[origin]
        if isinstance(verdict, TransientFetchError):
            raise TransientFetchError(verdict.reason, url=asked, status=verdict.status)
        if not verdict.can_fetch(ROBOTS_AGENT, str(target)):
            log.info("%s: disallowed by %s/robots.txt", asked, origin)
            raise TerminalFetchError("robots.txt", url=asked)

    async def _read(self, origin: str) -> _RobotsVerdict:
        robots_url = f"{origin}/robots.txt"
        rules = urllib.robotparser.RobotFileParser(robots_url)
        try:
            response = await self._fetch_robots(robots_url)
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
