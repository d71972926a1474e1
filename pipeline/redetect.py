"""Re-run detection on stored articles after a rule change.

A statement the new rules still find keeps its id, cluster and first-seen time (ids hash the article, the
normalised quote and the speaker, not the detector version); statements no longer found are removed; new
ones are added and clustered like fresh ones.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from pipeline.detect import DETECTOR_VERSION, detect_statements
from pipeline.process import stage_statements
from pipeline.stage import StagedStatement
from pipeline.store import Store
from pipeline.store.ingest import insert_statements, refresh_statements

log = logging.getLogger(__name__)


def redetect_articles(db: Path, *, since: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Detect statements again in the stored articles (fetched since `since`, or all); report the changes."""
    store = Store(db)
    now = datetime.now(UTC)
    with store.reader() as con:
        rows = con.execute(
            "SELECT article_id, text, language FROM articles WHERE status IN ('ok', 'short') "
            "AND (? IS NULL OR fetched_at >= ?) ORDER BY fetched_at",
            [since, since],
        ).fetchall()
    report = {"articles": len(rows), "added": 0, "removed": 0, "kept": 0}
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        found: list[StagedStatement] = []
        for article_id, text, language in chunk:
            found.extend(
                stage_statements(article_id, tuple(detect_statements(text, language, topical_only=True)))
            )
        ids = [r[0] for r in chunk]
        with store.writer() as con:
            before = {
                r[0]
                for r in con.execute(
                    "SELECT statement_id FROM statements WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
                    [ids],
                ).fetchall()
            }
            keep = {s.statement_id for s in found}
            gone = sorted(before - keep)
            if gone:
                con.execute(
                    "DELETE FROM statements WHERE statement_id IN (SELECT unnest(?::VARCHAR[]))", [gone]
                )
            added, _ = insert_statements(con, found, run_id=f"redetect-{DETECTOR_VERSION}", now=now)
            # Kept statements take the new detector's spans, topics and score.
            kept = [s for s in found if s.statement_id in before]
            refresh_statements(con, kept)
        report["added"] += added
        report["removed"] += len(gone)
        report["kept"] += len(kept)
    log.info("redetect with %s: %s", DETECTOR_VERSION, report)
    return report
