"""The offline demo: serve the sample outlet in `seeds/demo/` on 127.0.0.1 and ingest it.

The sample feeds and pages are fictional (they say so); their links hold the placeholder `{base}`, which the
server replaces with its own address as it serves them.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.config import seeds_dir
from pipeline.errors import ConfigError

DEMO_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".yaml": "text/plain; charset=utf-8",
}


def demo_dir() -> Path:
    return seeds_dir() / "demo"


class _DemoHandler(BaseHTTPRequestHandler):
    root: Path
    base: str
    disable_nagle_algorithm = True  # headers and body go out in two writes; do not wait for a delayed ACK

    def do_GET(self) -> None:
        relative = unquote(urlsplit(self.path).path).lstrip("/")
        target = (self.root / relative).resolve()
        if self.root not in target.parents or not target.is_file():
            self.send_error(404)
            return
        body = target.read_bytes().replace(b"{base}", self.base.encode("ascii"))
        content_type = DEMO_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "text/plain"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep the demo's output for the results
        return


# A fixed port keeps the sample articles' URLs the same from one `make demo` to the next, so a second demo
# finds them already stored instead of storing them again under new addresses.
DEMO_PORT = 8047


@contextmanager
def serve_demo(root: Path | None = None, *, port: int = DEMO_PORT) -> Iterator[str]:
    """Serve `root` (default `seeds/demo/`) on 127.0.0.1:`port` (0: any free port); yield the base URL."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), _DemoHandler)
    except OSError as error:
        raise ConfigError(
            f"cannot serve the demo on 127.0.0.1:{port}: {error.strerror}", field="--port"
        ) from None
    base = f"http://127.0.0.1:{server.server_address[1]}"
    handler = type("DemoHandler", (_DemoHandler,), {"root": (root or demo_dir()).resolve(), "base": base})
    server.RequestHandlerClass = handler
    thread = threading.Thread(target=server.serve_forever, name="newswatch-demo", daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
