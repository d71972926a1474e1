"""One ingestion pass: plan, fetch each feed and its new articles, extract, detect, stage, load.

    plan_feeds ──► fetch_feed (one per feed, concurrent) ──► FeedOutcome ──► load (the one writer)

`newswatch run` (`run_pass`) and the Airflow DAG call the same functions. Under Airflow the mapped fetch
tasks may not write the database, so `fetch_and_stage` writes each outcome to
`<staging>/<run_id>/<feed_id>.json` and `load_staged` merges them in one task; in-process, `run_pass` loads
each feed's outcome as soon as it is ready, holding the writer only while it writes.

The per-feed fetch itself is `pipeline.fetch`. Nothing is lost or doubled on a crash or a re-run:
- a feed's articles, statements, fetch-log row and new fetch state are written in one transaction;
- every key is a stable hash (article: its canonical URL; statement: article, quote and speaker), and every
  write is an upsert; loading the same outcome twice is a no-op;
- a feed's ETag/Last-Modified advance only when all its new items were handled, so an article that failed
  with a transient error is tried again on the next run instead of hiding behind a 304.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import TerminalFetchError, TransientFetchError
from pipeline.fetch import Progress, Silent, fetch_feed, make_pool
from pipeline.http import HttpClient, HttpSettings
from pipeline.records import FeedSource
from pipeline.settings import Settings
from pipeline.stage import (
    FeedOutcome,
    FileClaims,
    MemoryClaims,
    read_staged,
    staging_folder,
    write_outcome,
)
from pipeline.store import Store
from pipeline.store.ingest import (
    LoadResult,
    all_stored_urls,
    close_interrupted_runs,
    failed_in_run,
    load_outcome,
    read_feed_states,
    record_run,
    register_feeds,
)

log = logging.getLogger(__name__)


# --- plan --------------------------------------------------------------------------------------------


def plan_feeds(
    store: Store, feeds: Sequence[FeedSource], *, now: datetime, run_id: str | None = None
) -> list[dict[str, Any]]:
    """Register the feeds and return the due ones as JSON-able dicts (safe to pass through XCom).

    A feed backing off after failures is not due until its next-due time, except when this very run (a
    cleared Airflow run, done again on purpose) is the one it failed in.
    """
    with store.writer() as con:
        register_feeds(con, feeds)
        states = read_feed_states(con, [f.feed_id for f in feeds])
        retried = failed_in_run(con, run_id) if run_id else set()
    plans = []
    for feed in feeds:
        state = states.get(feed.feed_id)
        if state and state.next_due and state.next_due > now and feed.feed_id not in retried:
            log.info(
                "%s: backing off after %d failures until %s",
                feed.name,
                state.consecutive_failures,
                state.next_due,
            )
            continue
        plans.append(
            {
                "feed_id": feed.feed_id,
                "name": feed.name,
                "url": feed.url,
                "outlet": feed.outlet,
                "language": feed.language,
                "country": feed.country,
                "etag": state.etag if state else None,
                "last_modified": state.last_modified if state else None,
            }
        )
    return plans


# --- Airflow-shaped steps ---------------------------------------------------------------------------


def fetch_and_stage(
    plan: dict[str, Any], *, run_id: str, staging: Path, now: datetime, settings: Settings | None = None
) -> Path:
    """Fetch one feed and stage its outcome; raise `FetchError` after staging when the feed failed.

    The outcome is staged even on failure, so that `load_staged` records it in `fetch_log`; the exception
    lets the orchestrator retry the task, and a retry overwrites the staged file.
    """
    settings = settings or Settings.from_env()
    store = Store(settings.db)

    async def go() -> FeedOutcome:
        async with HttpClient(HttpSettings.from_env()) as client:
            claims = FileClaims(staging_folder(staging, run_id) / "claims")
            return await fetch_feed(
                plan, run_id=run_id, client=client, pool=None, now=now, store=store, claims=claims
            )

    outcome = asyncio.run(go())
    path = write_outcome(outcome, staging)
    if outcome.status == "error":
        error = TransientFetchError if outcome.retryable else TerminalFetchError
        raise error(outcome.error or "feed failed", url=plan["url"], status=outcome.http_status)
    return path


def load_staged(
    store: Store,
    *,
    run_id: str,
    staging: Path,
    trigger: str,
    started_at: datetime,
    now: datetime,
    expected_feeds: int | None = None,
) -> dict[str, Any]:
    """Merge every staged outcome of a run in one transaction and record the run. Idempotent."""
    outcomes = read_staged(staging, run_id)
    with store.writer() as con:
        results = [load_outcome(con, o, now=now) for o in outcomes]
        summary = _summarise(run_id, outcomes, results, expected_feeds)
        record_run(
            con,
            run_id=run_id,
            trigger=trigger,
            started_at=started_at,
            finished_at=now,
            **_run_columns(summary),
        )
    return summary


def clean_staging(*, run_id: str, staging: Path) -> None:
    shutil.rmtree(staging_folder(staging, run_id), ignore_errors=True)


# --- in-process pass --------------------------------------------------------------------------------


def _summarise(
    run_id: str, outcomes: Sequence[FeedOutcome], results: Sequence[LoadResult], expected: int | None
) -> dict[str, Any]:
    failed = [o.feed_id for o in outcomes if o.status == "error"]
    total = max(expected or 0, len(outcomes))
    missing = total - len(outcomes)  # feeds whose task died before staging anything
    ok = len(outcomes) - len(failed)
    if total == 0:
        status = "ok"
    elif ok == 0:
        status = "failed"
    elif failed or missing:
        status = "partial"
    else:
        status = "ok"
    return {
        "run_id": run_id,
        "status": status,
        "feeds_total": total,
        "feeds_ok": ok,
        "feeds_failed": len(failed) + missing,
        "failed_feed_ids": failed,
        "articles_new": sum(r.articles_new for r in results),
        "statements_new": sum(r.statements_new for r in results),
        "new_cluster_ids": [c for r in results for c in r.new_cluster_ids],
    }


def _run_columns(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        k: summary[k]
        for k in ("status", "feeds_total", "feeds_ok", "feeds_failed", "articles_new", "statements_new")
    } | {"error": None}


def run_pass(
    store: Store,
    feeds: Sequence[FeedSource],
    *,
    run_id: str,
    settings: Settings,
    now: datetime | None = None,
    progress: Progress | None = None,
    http: HttpSettings | None = None,
) -> dict[str, Any]:
    """One whole pass in-process: plan, fetch every due feed concurrently, load each as it completes."""
    now = now or datetime.now(UTC)
    progress = progress or Silent()
    with store.writer() as con:
        close_interrupted_runs(con, trigger="cli", before=now)
        record_run(con, run_id=run_id, trigger="cli", started_at=now, status="running")
    plans = plan_feeds(store, feeds, now=now)
    progress.feeds_planned(len(plans))
    with store.reader() as con:
        known = all_stored_urls(con)
    outcomes: list[FeedOutcome] = []
    results: list[LoadResult] = []

    async def go(pool: Executor) -> None:
        claims = MemoryClaims()
        limit = asyncio.Semaphore(settings.feed_concurrency)
        async with HttpClient(http or HttpSettings.from_env()) as client:

            async def one(plan: dict[str, Any]) -> None:
                async with limit:
                    outcome = await fetch_feed(
                        plan,
                        run_id=run_id,
                        client=client,
                        pool=pool,
                        now=now,
                        known=known,
                        claims=claims,
                        progress=progress,
                    )
                with store.writer() as con:
                    results.append(load_outcome(con, outcome, now=now))
                outcomes.append(outcome)
                progress.feed_done(outcome)

            await asyncio.gather(*(one(p) for p in plans))

    with make_pool(settings.workers) as pool:
        asyncio.run(go(pool))
    summary = _summarise(run_id, outcomes, results, len(plans))
    with store.writer() as con:
        record_run(
            con,
            run_id=run_id,
            trigger="cli",
            started_at=now,
            finished_at=datetime.now(UTC),
            **_run_columns(summary),
        )
    return summary
