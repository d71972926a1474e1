"""Warm-up for the extraction process pool: imported once by the pool's fork server.

The workers are forked from a server process (multiprocessing's "forkserver"), which imports this module
first. Loading the language model, trafilatura and the detector's lexicons here means every worker starts
with them in memory, instead of each paying about a second to load them on its first page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.process import process_page

_SAMPLE = (
    b"<html><head><title>warm-up</title></head><body><article><p>This page only warms the extraction "
    b'process pool up; it is never stored.</p><p>"Nothing here is news," the warm-up page said.</p>'
    b"</article></body></html>"
)

process_page(_SAMPLE, "http://127.0.0.1/warm-up", None, datetime.now(UTC))
