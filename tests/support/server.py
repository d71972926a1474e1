"""A real HTTP server on 127.0.0.1 for tests: fixture feeds and pages, and every misbehaviour we must survive.

    with FixtureServer() as server:
        server.add("/feed.xml", feed_bytes, content_type="application/rss+xml", etag='"v1"')
        server.add_sequence("/flaky", [Reply(status=500), Reply(body="<html>ok</html>")])
        server.add_redirect("/old", "/feed.xml")
        server.add("/robots.txt", "User-agent: *\\nDisallow: /private/\\n", content_type="text/plain")
        url = server.url("/feed.xml")
        ...
        assert server.requests_for("/feed.xml")[-1].headers["if-none-match"] == '"v1"'

Unknown paths answer 404. A route with an `etag` or `last_modified` answers 304 to a matching conditional
request. The server counts requests in flight, so `max_concurrent` shows how many it ever served at once.
Pair it with `local_http_settings()`, which lets `pipeline.http` reach 127.0.0.1 and keeps backoff tiny.
"""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pipeline.http import HttpSettings

Body = bytes | str | Iterable[bytes]


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it; header names are lower-cased."""

    method: str
    path: str  # with the query string
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Reply:
    """One canned response; `chunked` sends no Content-Length, `delay` waits before answering."""

    status: int = 200
    body: bytes | str = b""
    content_type: str | None = "text/html; charset=utf-8"  # None sends no Content-Type at all
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False
    etag: str | None = None
    last_modified: str | None = None  # an HTTP date, e.g. "Tue, 03 Jun 2025 10:00:00 GMT"


Handler = Callable[[RecordedRequest], tuple[int, Mapping[str, str], Body]]


def local_http_settings(**overrides: Any) -> HttpSettings:
    """HttpSettings for tests against FixtureServer: 127.0.0.1 allowed, no host delay, millisecond backoff."""
    values: dict[str, Any] = {
        "allow_private_addresses": True,
        "host_delay": 0.0,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "retries": 2,
        "connect_timeout": 5.0,
        "read_timeout": 5.0,
        "total_timeout": 10.0,
    }
    values.update(overrides)
    return HttpSettings(**values)


class FixtureServer:
    """A ThreadingHTTPServer on `host`:0 in a background thread; use it as a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._routes: dict[str, Handler] = {}
        self._dirs: dict[str, Path] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._max_in_flight = 0
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    def __enter__(self) -> FixtureServer:
        self._httpd = ThreadingHTTPServer((self._host, 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "use FixtureServer as a context manager"
        return f"http://{self._host}:{self._httpd.server_address[1]}"

    @property
    def port(self) -> int:
        assert self._httpd is not None, "use FixtureServer as a context manager"
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- routes --

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = "text/html; charset=utf-8",
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        chunked: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Serve the same response at `path` every time."""
        reply = Reply(status, body, content_type, dict(headers or {}), delay, chunked, etag, last_modified)
        self.add_sequence(path, [reply])

    def add_sequence(self, path: str, replies: Iterable[Reply]) -> None:
        """Serve `replies` in order, one per request; the last one repeats (e.g. 500, 500, then 200)."""
        queue = list(replies)
        assert queue, "add_sequence needs at least one reply"
        served = itertools.count()  # next() on a count is atomic, so concurrent requests each get their own

        def answer(request: RecordedRequest) -> tuple[int, Mapping[str, str], Body]:
            reply = queue[min(next(served), len(queue) - 1)]
            return self._render(reply, request)

        self._routes[path] = answer

    def add_handler(self, path: str, handler: Handler) -> None:
        """Answer `path` with `handler(request) -> (status, headers, body)`; iterable bodies go chunked."""
        self._routes[path] = handler

    def add_redirect(self, path: str, location: str, *, status: int = 302) -> None:
        """Redirect `path` to `location` (a path on this server or any absolute URL)."""
        self.add(path, status=status, content_type=None, headers={"Location": location})

    def add_redirect_chain(self, path: str, hops: int, target: str) -> None:
        """`hops` redirects: `path` → `path`/1 → … → `target`."""
        for hop in range(hops):
            source = path if hop == 0 else f"{path}/{hop}"
            self.add_redirect(source, f"{path}/{hop + 1}" if hop < hops - 1 else target)

    def serve_dir(self, prefix: str, directory: str | Path) -> None:
        """Serve files under `directory` at `prefix`/…, with an ETag and Last-Modified (so 304s work)."""
        self._dirs[prefix.rstrip("/") + "/"] = Path(directory)

    # -- what the server saw --

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """Requests for `path`; with a query string it must match exactly, without one any query matches."""
        if "?" in path:
            return [r for r in self.requests if r.path == path]
        return [r for r in self.requests if r.path.split("?")[0] == path]

    @property
    def max_concurrent(self) -> int:
        """The most requests the server was ever handling at once."""
        with self._lock:
            return self._max_in_flight

    # -- internals --

    def _render(self, reply: Reply, request: RecordedRequest) -> tuple[int, Mapping[str, str], Body]:
        if reply.delay:
            self._stopping.wait(reply.delay)
        headers = dict(reply.headers)
        if reply.etag:
            headers["ETag"] = reply.etag
        if reply.last_modified:
            headers["Last-Modified"] = reply.last_modified
        if reply.status == 200 and _is_fresh(request, reply.etag, reply.last_modified):
            return 304, headers, b""
        if reply.content_type is not None:
            headers["Content-Type"] = reply.content_type
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        return reply.status, headers, (iter([body]) if reply.chunked else body)

    def _answer(self, request: RecordedRequest) -> tuple[int, Mapping[str, str], Body]:
        path = request.path.split("?")[0]
        handler = self._routes.get(request.path) or self._routes.get(path)
        if handler is not None:
            return handler(request)
        for prefix, directory in self._dirs.items():
            if path.startswith(prefix):
                return self._serve_file(directory, path[len(prefix) :], request)
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _serve_file(
        self, directory: Path, relative: str, request: RecordedRequest
    ) -> tuple[int, Mapping[str, str], Body]:
        root = directory.resolve()
        file = (root / relative).resolve()
        if root not in file.parents or not file.is_file():
            return 404, {"Content-Type": "text/plain"}, b"not found"
        content = file.read_bytes()
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        reply = Reply(
            body=content,
            content_type=content_type,
            etag='"' + hashlib.sha256(content).hexdigest()[:16] + '"',
            last_modified=formatdate(file.stat().st_mtime, usegmt=True),
        )
        return self._render(reply, request)

    def _enter(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _is_fresh(request: RecordedRequest, etag: str | None, last_modified: str | None) -> bool:
    """True when the client's conditional headers match, so a 304 is the answer (If-None-Match wins)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if etag is None:
            return False
        wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in wanted or etag.removeprefix("W/") in wanted
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since and last_modified:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


def _make_handler(server: FixtureServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall between a response's headers and body
        timeout = 30  # an idle keep-alive connection's thread gives up after this

        def do_GET(self) -> None:
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
            )
            server._enter(request)
            try:
                status, headers, body = server._answer(request)
                self._send(status, headers, body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (timeout, size cap): fine
            finally:
                server._leave()

        def _send(self, status: int, headers: Mapping[str, str], body: Body) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if isinstance(body, str):
                body = body.encode("utf-8")
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in body:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _Handler
