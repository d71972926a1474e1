"""What alerts read from the store and write to it: clusters, delivery history, feed and run health.

Reads take an open read-only connection (`Store.reader()`); `record_delivery` opens the writer for one row
and closes it, so the writer is never held while a message is being sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipeline.alerts.select import Cluster, DeliveryState, Planned, StatementView, group_clusters
from pipeline.errors import StoreError
from pipeline.store import Store, fetch_dicts, upsert


@dataclass(frozen=True)
class Pending:
    """A message whose earlier attempts failed and which is owed another."""

    rule: str
    kind: str
    subject: str


@dataclass(frozen=True)
class FeedHealth:
    feed_id: str
    name: str
    url: str
    outlet: str
    consecutive_failures: int
    last_success: datetime | None
    failing_since: datetime | None  # the first failed fetch after the last success, from fetch_log
    last_error: str | None


@dataclass(frozen=True)
class RunHealth:
    run_id: str
    started_at: datetime
    status: str
    feeds_total: int
    feeds_ok: int
    error: str | None


def _utc(moment: Any) -> Any:
    return moment.astimezone(UTC) if isinstance(moment, datetime) else moment


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    try:
        rows = fetch_dicts(con, sql, params)
    except duckdb.CatalogException as exc:
        raise StoreError(
            f"the database lacks the alert tables ({exc}); run `newswatch init` to migrate it"
        ) from exc
    return [{k: _utc(v) for k, v in row.items()} for row in rows]


def read_history(
    con: duckdb.DuckDBPyConnection, *, since: datetime
) -> tuple[dict[str, DeliveryState], list[Pending]]:
    """Delivery states of messages attempted since `since`, plus every message still unsent (to retry)."""
    rows = _fetch(
        con,
        "SELECT idempotency_key, rule, kind, subject, attempts, sent FROM alert_deliveries "
        "WHERE last_attempt >= ? OR NOT sent",
        [since],
    )
    states = {
        r["idempotency_key"]: DeliveryState(r["idempotency_key"], int(r["attempts"]), bool(r["sent"]))
        for r in rows
    }
    pending = [Pending(r["rule"], r["kind"], r["subject"]) for r in rows if not r["sent"]]
    return states, pending


def read_clusters(
    con: duckdb.DuckDBPyConnection, *, since: datetime, until: datetime, cluster_ids: Iterable[str] = ()
) -> list[Cluster]:
    """Topical clusters first seen in [since, until] and the clusters named, with all their statements."""
    rows = _fetch(
        con,
        "SELECT * FROM alert_statements WHERE cluster_id IN ("
        "  SELECT cluster_id FROM alert_statements GROUP BY cluster_id"
        "  HAVING min(first_seen) >= ? AND min(first_seen) <= ?"
        "  UNION SELECT unnest(?::VARCHAR[]))",
        [since, until, sorted(set(cluster_ids))],
    )
    statements = [
        StatementView(
            statement_id=r["statement_id"],
            cluster_id=r["cluster_id"],
            quote=r["quote"],
            speaker=r["speaker"],
            speaker_role=r["speaker_role"],
            topics=tuple(r["topics"] or ()),
            score=float(r["score"]),
            first_seen=r["first_seen"],
            article_id=r["article_id"],
            url=r["url"],
            outlet=r["outlet"],
            title=r["title"],
            published=r["published"],
            language=r["language"],
            country=r["country"],
        )
        for r in rows
        if r["first_seen"] <= until
    ]
    return group_clusters(statements)


def read_failing_feeds(con: duckdb.DuckDBPyConnection) -> list[FeedHealth]:
    """Feeds whose latest fetches failed, with when the failing began."""
    rows = _fetch(
        con,
        "SELECT f.feed_id, f.name, f.url, f.outlet, f.consecutive_failures, f.last_success, f.last_error, "
        "  (SELECT min(l.fetched_at) FROM fetch_log l WHERE l.feed_id = f.feed_id AND l.status = 'error' "
        "     AND (f.last_success IS NULL OR l.fetched_at > f.last_success)) AS failing_since "
        "FROM feeds f WHERE f.consecutive_failures > 0 ORDER BY f.name",
    )
    return [FeedHealth(**r) for r in rows]


def read_runs(con: duckdb.DuckDBPyConnection, *, since: datetime) -> list[RunHealth]:
    """Finished runs started since `since`."""
    rows = _fetch(
        con,
        "SELECT run_id, started_at, status, coalesce(feeds_total, 0) AS feeds_total, "
        "  coalesce(feeds_ok, 0) AS feeds_ok, error FROM runs "
        "WHERE started_at >= ? AND status <> 'running' ORDER BY started_at",
        [since],
    )
    return [RunHealth(**r) for r in rows]


def record_delivery(
    store: Store, planned: Planned, *, title: str, ok: bool, error: str | None, at: datetime
) -> None:
    """Write one attempt to `alerts` (a no-op if this attempt was already recorded)."""
    row = {
        "idempotency_key": planned.key,
        "attempt": planned.attempt,
        "rule": planned.rule,
        "kind": planned.kind,
        "subject": planned.subject,
        "channel": planned.channel.label,
        "status": "sent" if ok else "failed",
        "error": None if ok else error,
        "attempted_at": at,
        "title": title,
        "cluster_ids": [c.cluster_id for c in planned.clusters],
    }
    with store.writer() as con:
        upsert(con, "alerts", [row], key=["idempotency_key", "attempt"], update=())
