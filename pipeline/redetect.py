"""Re-run detection on stored articles after a rule change.

A statement the new rules still find keeps its id, cluster and first-seen time (ids hash the article, the
normalised quote and the speaker, not the detector version); statements no longer found are removed; new
ones are added and clustered like fresh ones. Articles are read and written in batches, each batch in one
transaction, so a large archive never sits in memory whole and an interrupted re-detection can simply be
run again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from pipeline.detect import DETECTOR_VERSION, detect_statements
from pipeline.process import stage_statements
from pipeline.stage import StagedStatement
from pipeline.store import Store
from pipeline.store.ingest import articles_to_detect, read_article_texts, replace_statements

log = logging.getLogger(__name__)


def redetect_articles(db: Path, *, since: datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Detect statements again in the stored articles (fetched since `since`, or all); report the changes."""
    store = Store(db)
    now = datetime.now(UTC)
    with store.reader() as con:
        ids = articles_to_detect(con, since=since)
    report = {"articles": len(ids), "added": 0, "removed": 0, "kept": 0}
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with store.reader() as con:
            articles = read_article_texts(con, chunk)
        found: list[StagedStatement] = []
        for article_id, text, language, title in articles:
            statements = detect_statements(text, language, topical_only=True, title=title)
            found.extend(stage_statements(article_id, tuple(statements)))
        with store.writer() as con:
            added, removed, kept = replace_statements(
                con, chunk, found, run_id=f"redetect-{DETECTOR_VERSION}", now=now
            )
        report["added"] += added
        report["removed"] += removed
        report["kept"] += kept
    log.info("redetect with %s: %s", DETECTOR_VERSION, report)
    return report
