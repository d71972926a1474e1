"""Turn one downloaded page into an extraction and its topical statements.

`process_page` is what the extraction process pool runs: a module-level function from values to values
(picklable arguments and result), so the CPU-bound work — trafilatura and the detector — spreads over the
cores while the event loop keeps downloading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.clusters import quote_key, speaker_key
from pipeline.detect import DETECTOR_VERSION, Statement, detect_statements
from pipeline.extract import extract_article
from pipeline.records import Extraction, stable_id
from pipeline.stage import StagedStatement


@dataclass(frozen=True)
class ProcessedPage:
    extraction: Extraction
    statements: tuple[Statement, ...]


def process_page(html: bytes, url: str, feed_published: datetime | None, now: datetime) -> ProcessedPage:
    """Extract the article from `html` and detect its topical statements."""
    extraction = extract_article(html, url=url, feed_published=feed_published, now=now)
    statements: tuple[Statement, ...] = ()
    if extraction.text:
        statements = tuple(
            detect_statements(extraction.text, extraction.language, topical_only=True, title=extraction.title)
        )
    return ProcessedPage(extraction, statements)


def statement_id(article_id: str, quote: str, speaker: str | None) -> str:
    """Stable across re-detection: the same words by the same speaker in the same article keep their id."""
    return stable_id("statement", article_id, quote_key(quote), speaker_key(speaker))


def stage_statements(article_id: str, statements: tuple[Statement, ...]) -> tuple[StagedStatement, ...]:
    """The detector's statements of one article as rows to store (topical ones only, one per id)."""
    staged: dict[str, StagedStatement] = {}
    for s in statements:
        if not s.topics:
            continue
        sid = statement_id(article_id, s.quote, s.speaker)
        staged.setdefault(sid, StagedStatement(sid, article_id, DETECTOR_VERSION, s))
    return tuple(staged.values())
