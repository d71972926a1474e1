"""Reads and writes of an ingestion pass: feed state, known URLs, and loading a feed's outcome."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.clusters import ClusterKey, find_cluster, new_cluster, speaker_key
from pipeline.records import FeedSource, FeedState
from pipeline.stage import FeedOutcome, StagedStatement
from pipeline.store.db import Store, arrow_schema, fetch_dicts, upsert

log = logging.getLogger(__name__)

# A failing feed is retried after 30 min, 1 h, 2 h, … but never less than once a day.
BACKOFF_BASE = timedelta(minutes=30)
BACKOFF_CAP = timedelta(hours=24)
# Statements are matched against clusters founded this recently.
CLUSTER_WINDOW = timedelta(days=30)


def next_due_after_failure(failed_at: datetime, failures: int) -> datetime:
    """When a feed that has now failed `failures` times in a row is tried again (capped at a day)."""
    delay = BACKOFF_BASE * (2 ** min(max(failures - 1, 0), 16))
    return failed_at + min(delay, BACKOFF_CAP)


def register_feeds(con: duckdb.DuckDBPyConnection, feeds: Sequence[FeedSource]) -> None:
    """Add new feeds to `feeds` and refresh the descriptive columns of known ones (fetch state is kept)."""
    rows = [
        {
            "feed_id": f.feed_id,
            "name": f.name,
            "url": f.url,
            "outlet": f.outlet,
            "language": f.language,
            "country": f.country,
        }
        for f in feeds
    ]
    upsert(con, "feeds", rows, key=["feed_id"], update=["name", "outlet", "language", "country"])


def read_feed_states(con: duckdb.DuckDBPyConnection, feed_ids: Iterable[str]) -> dict[str, FeedState]:
    ids = list(feed_ids)
    if not ids:
        return {}
    rows = fetch_dicts(
        con,
        "SELECT feed_id, etag, last_modified, consecutive_failures, next_due, last_success, last_error "
        "FROM feeds WHERE feed_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids],
    )
    return {r["feed_id"]: FeedState(**r) for r in rows}


def failed_in_run(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    """The feeds whose fetch failed in the given run."""
    rows = con.execute(
        "SELECT feed_id FROM fetch_log WHERE run_id = ? AND status = 'error'", [run_id]
    ).fetchall()
    return {r[0] for r in rows}


def stored_urls(store: Store, urls: Iterable[str]) -> set[str]:
    """Which of `urls` already belong to a stored article."""
    wanted = sorted(set(urls))
    if not wanted or not store.path.exists():
        return set()
    with store.reader() as con:
        rows = con.execute(
            "SELECT url FROM article_urls WHERE url IN (SELECT unnest(?::VARCHAR[]))", [wanted]
        ).fetchall()
    return {r[0] for r in rows}


def _cluster_candidates(
    con: duckdb.DuckDBPyConnection, speakers: set[str], since: datetime
) -> list[ClusterKey]:
    rows = con.execute(
        "SELECT cluster_id, speaker_key, quote_key FROM clusters "
        "WHERE speaker_key IN (SELECT unnest(?::VARCHAR[])) AND first_seen >= ?",
        [sorted(speakers), since],
    ).fetchall()
    return [ClusterKey(*r) for r in rows]


def assign_clusters(
    con: duckdb.DuckDBPyConnection, statements: Sequence[StagedStatement], now: datetime
) -> tuple[dict[str, str], list[str]]:
    """Choose a cluster for each statement; found new clusters where none matches.

    Returns ({statement_id: cluster_id}, the ids of the clusters founded now).
    """
    candidates = _cluster_candidates(
        con, {speaker_key(s.statement.speaker) for s in statements}, now - CLUSTER_WINDOW
    )
    assigned: dict[str, str] = {}
    founded: list[ClusterKey] = []
    for s in statements:
        match = find_cluster(s.statement.quote, s.statement.speaker, candidates)
        if match is None:
            match = new_cluster(s.statement.quote, s.statement.speaker)
            if all(c.cluster_id != match.cluster_id for c in candidates):
                candidates.append(match)
                founded.append(match)
        assigned[s.statement_id] = match.cluster_id
    upsert(
        con,
        "clusters",
        [
            {
                "cluster_id": c.cluster_id,
                "speaker_key": c.speaker_key,
                "quote_key": c.quote_key,
                "first_seen": now,
            }
            for c in founded
        ],
        key=["cluster_id"],
        update=(),
    )
    return assigned, [c.cluster_id for c in founded]


@dataclass(frozen=True)
class LoadResult:
    articles_new: int = 0
    statements_new: int = 0
    new_cluster_ids: tuple[str, ...] = ()
    already_loaded: bool = False


def _existing(con: duckdb.DuckDBPyConnection, table: str, key: str, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = con.execute(
        f"SELECT {key} FROM {table} WHERE {key} IN (SELECT unnest(?::VARCHAR[]))", [list(ids)]
    ).fetchall()
    return {r[0] for r in rows}


def insert_statements(
    con: duckdb.DuckDBPyConnection,
    statements: Sequence[StagedStatement],
    *,
    run_id: str | None,
    now: datetime,
) -> tuple[int, list[str]]:
    """Store the statements not stored yet, each with its cluster; return (how many, new cluster ids)."""
    known = _existing(con, "statements", "statement_id", [s.statement_id for s in statements])
    fresh = [s for s in statements if s.statement_id not in known]
    if not fresh:
        return 0, []
    clusters, founded = assign_clusters(con, fresh, now)
    rows = [
        s.row() | {"cluster_id": clusters[s.statement_id], "first_seen": now, "run_id": run_id} for s in fresh
    ]
    upsert(con, "statements", rows, key=["statement_id"], update=())
    return len(rows), founded


def load_outcome(con: duckdb.DuckDBPyConnection, outcome: FeedOutcome, *, now: datetime) -> LoadResult:
    """Merge one feed's outcome: articles, pages, statements, fetch log and feed state, in the caller's
    transaction.

    Loading the same outcome again changes nothing. A different outcome for the same run and feed (a cleared
    Airflow run fetched again, say: failed before, fine now) is merged too, and its fetch-log row replaces
    the old one.
    """
    same = _logged_outcome(con, outcome.run_id, outcome.feed_id) == (
        outcome.status,
        _aware(outcome.fetched_at),
    )
    new_articles = len(outcome.articles) - len(
        _existing(con, "articles", "article_id", [a.article_id for a in outcome.articles])
    )
    upsert(
        con,
        "articles",
        [_article_row(a, outcome.run_id) for a in outcome.articles],
        key=["article_id"],
        update=(),
    )
    upsert(
        con, "article_urls", [{"url": u, "article_id": i} for u, i in outcome.aliases], key=["url"], update=()
    )
    upsert(con, "pages", [_page_row(p) for p in outcome.pages], key=["article_id"], update=())
    statements_new, founded = insert_statements(con, outcome.statements, run_id=outcome.run_id, now=now)
    upsert(con, "fetch_log", [_log_row(outcome)], key=["run_id", "feed_id"])
    if not same:  # the feed's failure count must not move twice for one outcome
        _update_feed_state(con, outcome)
    return LoadResult(new_articles, statements_new, tuple(founded), already_loaded=same)


def _logged_outcome(con: duckdb.DuckDBPyConnection, run_id: str, feed_id: str) -> tuple[str, datetime] | None:
    row = con.execute(
        "SELECT status, fetched_at FROM fetch_log WHERE run_id = ? AND feed_id = ?", [run_id, feed_id]
    ).fetchone()
    return (row[0], _aware(row[1])) if row else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _article_row(a: Any, run_id: str) -> dict[str, Any]:
    return {
        "article_id": a.article_id,
        "url": a.url,
        "feed_id": a.feed_id,
        "outlet": a.outlet,
        "guid": a.guid,
        "link": a.link,
        "title": a.title,
        "author": a.author,
        "site": a.site,
        "published": a.published,
        "fetched_at": a.fetched_at,
        "language": a.language,
        "text": a.text,
        "status": a.status,
        "error": a.error,
        "run_id": run_id,
    }


def _page_row(p: Any) -> dict[str, Any]:
    return {
        "article_id": p.article_id,
        "url": p.url,
        "fetched_at": p.fetched_at,
        "content_type": p.content_type,
        "encoding": p.encoding,
        "raw_bytes": len(p.html),
        "html_zlib": zlib.compress(p.html, 6),
    }


def _log_row(o: FeedOutcome) -> dict[str, Any]:
    return {
        "run_id": o.run_id,
        "feed_id": o.feed_id,
        "fetched_at": o.fetched_at,
        "status": o.status,
        "http_status": o.http_status,
        "items": o.items,
        "new_items": o.new_items,
        "error": o.error,
        "elapsed_ms": o.elapsed_ms,
    }


def _update_feed_state(con: duckdb.DuckDBPyConnection, o: FeedOutcome) -> None:
    if o.status == "error":
        row = con.execute("SELECT consecutive_failures FROM feeds WHERE feed_id = ?", [o.feed_id]).fetchone()
        failures = (row[0] if row else 0) + 1
        con.execute(
            "UPDATE feeds SET consecutive_failures = ?, next_due = ?, last_attempt = ?, "
            "last_status = 'error', last_error = ? WHERE feed_id = ?",
            [failures, next_due_after_failure(o.fetched_at, failures), o.fetched_at, o.error, o.feed_id],
        )
        return
    # Validators advance only when every new item was handled; otherwise the next fetch is a full one.
    validators = (o.etag, o.last_modified) if o.advance_validators else (None, None)
    keep_old = o.status == "not_modified"
    con.execute(
        "UPDATE feeds SET consecutive_failures = 0, next_due = NULL, last_attempt = ?, last_success = ?, "
        "last_status = ?, last_error = NULL, last_items = ?, last_new_items = ?, "
        "etag = CASE WHEN ? THEN etag ELSE ? END, last_modified = CASE WHEN ? THEN last_modified ELSE ? END "
        "WHERE feed_id = ?",
        [
            o.fetched_at,
            o.fetched_at,
            o.status,
            o.items,
            o.new_items,
            keep_old,
            validators[0],
            keep_old,
            validators[1],
            o.feed_id,
        ],
    )


def record_run(con: duckdb.DuckDBPyConnection, **run: Any) -> None:
    """Insert or update the `runs` row of a run (keyed on run_id)."""
    upsert(con, "runs", [run], key=["run_id"])


def close_interrupted_runs(con: duckdb.DuckDBPyConnection, *, trigger: str, before: datetime) -> int:
    """Mark runs of `trigger` still 'running' from before `before` as interrupted (their process died)."""
    rows = con.execute(
        "UPDATE runs SET status = 'interrupted' WHERE status = 'running' AND trigger = ? AND started_at < ? "
        "RETURNING run_id",
        [trigger, before],
    ).fetchall()
    return len(rows)


_REFRESHED = (
    "quote",
    "quote_start",
    "quote_end",
    "kind",
    "speaker_mention",
    "speaker_start",
    "speaker_end",
    "speaker_role",
    "cue",
    "topics",
    "score",
    "detector_version",
)


def refresh_statements(con: duckdb.DuckDBPyConnection, statements: Sequence[StagedStatement]) -> None:
    """Give stored statements the spans, topics and score of a new detection (id, cluster and first_seen
    stay). One bulk UPDATE through Arrow."""
    if not statements:
        return
    rows = [{c: row[c] for c in ("statement_id", *_REFRESHED)} for row in (s.row() for s in statements)]
    schema = arrow_schema(con, "statements", ["statement_id", *_REFRESHED])
    con.register("_refreshed", pa.Table.from_pylist(rows, schema=schema))
    try:
        sets = ", ".join(f"{c} = r.{c}" for c in _REFRESHED)
        con.execute(
            f"UPDATE statements SET {sets} FROM _refreshed r WHERE statements.statement_id = r.statement_id"
        )
    finally:
        con.unregister("_refreshed")


def all_stored_urls(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every URL a stored article was seen under."""
    return {r[0] for r in con.execute("SELECT url FROM article_urls").fetchall()}


def articles_to_detect(con: duckdb.DuckDBPyConnection, *, since: datetime | None) -> list[str]:
    """Ids of the stored articles with text, fetched since `since` (or all), oldest first."""
    rows = con.execute(
        "SELECT article_id FROM articles WHERE status IN ('ok', 'short') AND (? IS NULL OR fetched_at >= ?) "
        "ORDER BY fetched_at, article_id",
        [since, since],
    ).fetchall()
    return [r[0] for r in rows]


def read_article_texts(
    con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]
) -> list[tuple[str, str, str | None, str | None]]:
    """(article_id, text, language, title) of the given articles."""
    rows = con.execute(
        "SELECT article_id, text, language, title FROM articles "
        "WHERE article_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY article_id",
        [list(article_ids)],
    ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def replace_statements(
    con: duckdb.DuckDBPyConnection,
    article_ids: Sequence[str],
    found: Sequence[StagedStatement],
    *,
    run_id: str,
    now: datetime,
) -> tuple[int, int, int]:
    """Make the stored statements of `article_ids` those `found`; return (added, removed, kept).

    Kept statements keep their id, cluster and first_seen, and take the new spans, topics and score.
    """
    before = {
        r[0]
        for r in con.execute(
            "SELECT statement_id FROM statements WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(article_ids)],
        ).fetchall()
    }
    gone = sorted(before - {s.statement_id for s in found})
    if gone:
        con.execute("DELETE FROM statements WHERE statement_id IN (SELECT unnest(?::VARCHAR[]))", [gone])
    added, _ = insert_statements(con, found, run_id=run_id, now=now)
    kept = [s for s in found if s.statement_id in before]
    refresh_statements(con, kept)
    return added, len(gone), len(kept)
