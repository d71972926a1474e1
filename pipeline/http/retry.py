"""Retries: which failures a later attempt may get past, `Retry-After`, and exponential backoff with jitter.

A retryable failure (408, 429, 5xx, a timeout, a connection error) is tried again after the server's
`Retry-After` when it sent one, otherwise after a random wait between 0 and the smaller of `backoff_max` and
`backoff_base * 2 ** (attempt - 1)` seconds (exponential backoff, full jitter). A `Retry-After` longer than
`retry_after_max` is not slept through: the fetch fails transiently at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pipeline.errors import TransientFetchError
from pipeline.http.settings import HttpSettings
from pipeline.records import Response

log = logging.getLogger(__name__)


class RetryableError(Exception):
    """One attempt failed in a way a retry may get past."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.retry_after = reason, status, retry_after


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


async def fetch_with_retries(
    url: str,
    attempt_fetch: Callable[[], Awaitable[Response]],
    *,
    settings: HttpSettings,
    jitter: random.Random,
) -> Response:
    """`attempt_fetch()` until it returns, retrying on `RetryableError` as the settings allow.

    Gives up with `TransientFetchError` (naming `url`) after `settings.retries` retries, or at once when the
    server asks for a longer wait than `settings.retry_after_max`. Other exceptions pass through.
    """
    s = settings
    attempts = s.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            return await attempt_fetch()
        except RetryableError as failure:
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
                delay = jitter.uniform(0.0, min(s.backoff_max, s.backoff_base * 2 ** (attempt - 1)))
            log.info("%s: %s; retry %d of %d in %.2fs", url, failure, attempt, s.retries, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
