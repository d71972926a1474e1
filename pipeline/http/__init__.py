"""The one HTTP package: every request newswatch makes goes through `HttpClient.fetch`.

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

Modules: `settings` (HttpSettings and its NEWSWATCH_* variables), `guard` (the address guard and the pinned
transport), `content` (content-type judgement and charset choice), `retry` (Retry-After and backoff),
`robots` (the robots.txt cache), `client` (HttpClient and its request path).
"""

from pipeline.http.client import FetchKind, HttpClient
from pipeline.http.content import charset_from_content_type, choose_encoding, judge_content_type
from pipeline.http.guard import AddressRefusedError, HostNotFoundError, refusal_reason
from pipeline.http.retry import parse_retry_after
from pipeline.http.robots import ROBOTS_AGENT, ROBOTS_MAX_BYTES
from pipeline.http.settings import DEFAULT_CONTACT_URL, HttpSettings

__all__ = [
    "DEFAULT_CONTACT_URL",
    "ROBOTS_AGENT",
    "ROBOTS_MAX_BYTES",
    "AddressRefusedError",
    "FetchKind",
    "HostNotFoundError",
    "HttpClient",
    "HttpSettings",
    "charset_from_content_type",
    "choose_encoding",
    "judge_content_type",
    "parse_retry_after",
    "refusal_reason",
]
