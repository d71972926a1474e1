"""One ingestion pass: plan, fetch each feed and its new articles, extract, detect, stage, load.

    plan_feeds ──► fetch_feed (one per feed, concurrent) ──► FeedOutcome ──► load (the one writer)

`newswatch run` (`run_pass`) and the Airflow DAG call the same functions. Under Airflow the mapped fetch
tasks may not write the database, so `fetch_and_stage` writes each outcome to
`<staging>/<run_id>/<feed_id>.json` and `load_staged` merges them in one task; in-process, `run_pass` loads
each feed's outcome as soon as it is ready, holding the writer only while it writes.

Nothing is lost or doubled on a crash or a re-run:
- a feed's articles, statements, fetch-log row and new fetch state are written in one transaction;
- every key is a stable hash (article: its canonical URL; statement: article, quote and speaker), and every
  write is an upsert; loading the same outcome twice is a no-op;
- a feed's ETag/Last-Modified advance only when all its new items were handled, so an article that failed
  with a transient error is tried again on the next run instead of hiding behind a 304.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pipeline.errors import FetchError, TerminalFetchError, TransientFetchError
from pipeline.feeds import parse_feed
from pipeline.http import HttpClient, HttpSettings
from pipeline.process import ProcessedPage, process_page, stage_statements
from pipeline.records import Article, Extraction, FeedItem, FeedSource, stable_id
from pipeline.settings import Settings
from pipeline.stage import (
    Claims,
    FeedOutcome,
    FileClaims,
    MemoryClaims,
    Page,
    StagedStatement,
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
    stored_urls,
)
from pipeline.urls import canonicalize_url

log = logging.getLogger(__name__)


class Progress(Protocol):
    """What a pass reports while it works (the CLI draws progress bars from it)."""

    def feeds_planned(self, total: int) -> None: ...
    def articles_found(self, count: int) -> None: ...
    def article_done(self) -> None: ...
    def feed_done(self, outcome: FeedOutcome) -> None: ...


class _Silent:
    def feeds_planned(self, total: int) -> None: ...
    def articles_found(self, count: int) -> None: ...
    def article_done(self) -> None: ...
    def feed_done(self, outcome: FeedOutcome) -> None: ...


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


# --- fetch -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    item: FeedItem
    url: str  # canonical form of the item's link


async def _fetch_article(
    candidate: _Candidate,
    plan: dict[str, Any],
    *,
    client: HttpClient,
    pool: Executor | None,
    now: datetime,
) -> tuple[Article, Page | None, ProcessedPage | None, list[str]] | None:
    """Download and process one article. None when it failed transiently (it will be tried again)."""
    item = candidate.item
    try:
        response = await client.fetch(item.link, kind="article")
    except TransientFetchError as error:
        log.warning("%s: %s (will retry next run)", item.link, error.reason)
        return None
    except TerminalFetchError as error:
        article_id = stable_id(candidate.url)
        failed = Article(
            article_id=article_id,
            url=candidate.url,
            feed_id=plan["feed_id"],
            outlet=plan["outlet"],
            title=item.title or None,
            author=", ".join(item.authors) or None,
            published=item.published,
            fetched_at=now,
            language=None,
            text="",
            status="fetch_error",
            error=error.reason,
            link=item.link,
            guid=item.guid,
        )
        return failed, None, None, [candidate.url]
    args = (response.body, response.final_url, item.published, now)
    # Without a process pool (one Airflow fetch task: the tasks themselves run in parallel), a thread still
    # keeps this feed's other downloads going while a page is processed.
    try:
        processed = await asyncio.get_running_loop().run_in_executor(pool, process_page, *args)
    except BrokenProcessPool as error:  # a worker died (out of memory, killed): try the page next run
        log.warning("%s: extraction worker died (%s); will retry next run", item.link, error)
        return None
    except Exception as error:  # a bug met on this page: keep the page, record why, go on with the others
        log.exception("%s: processing the page failed", item.link)
        processed = ProcessedPage(Extraction(status="error", error=f"{type(error).__name__}: {error}"), ())
    extraction = processed.extraction
    url = extraction.canonical_url or canonicalize_url(response.final_url)
    article_id = stable_id(url)
    article = Article(
        article_id=article_id,
        url=url,
        feed_id=plan["feed_id"],
        outlet=plan["outlet"],
        title=extraction.title or item.title or None,
        author=extraction.author or (", ".join(item.authors) or None),
        published=extraction.published,
        fetched_at=now,
        language=extraction.language or plan["language"],
        text=extraction.text,
        status=extraction.status,
        error=extraction.error,
        link=item.link,
        guid=item.guid,
        site=extraction.site,
    )
    page = Page(
        article_id, response.final_url, now, response.content_type or None, response.encoding, response.body
    )
    aliases = sorted({url, candidate.url, canonicalize_url(response.final_url)})
    return article, page, processed, aliases


async def fetch_feed(
    plan: dict[str, Any],
    *,
    run_id: str,
    client: HttpClient,
    pool: Executor | None,
    now: datetime,
    known: set[str] | None = None,
    claims: Claims | None = None,
    store: Store | None = None,
    progress: Progress | None = None,
) -> FeedOutcome:
    """Fetch one feed and its new articles. Never raises for a feed or article failure: the outcome says."""
    progress = progress or _Silent()
    claims = claims or MemoryClaims()
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        response = await client.fetch(
            plan["url"], kind="feed", etag=plan.get("etag"), last_modified=plan.get("last_modified")
        )
    except FetchError as error:
        return FeedOutcome(
            run_id,
            plan["feed_id"],
            now,
            "error",
            http_status=error.status,
            error=error.reason,
            elapsed_ms=elapsed(),
            retryable=isinstance(error, TransientFetchError),
        )
    if response.not_modified:
        return FeedOutcome(
            run_id,
            plan["feed_id"],
            now,
            "not_modified",
            http_status=304,
            elapsed_ms=elapsed(),
            etag=plan.get("etag"),
            last_modified=plan.get("last_modified"),
            advance_validators=True,
        )
    parsed = parse_feed(response.body, url=response.final_url, headers=response.headers)

    candidates = [_Candidate(item, canonicalize_url(item.link)) for item in parsed.items if item.link]
    already = (
        known if known is not None else (stored_urls(store, [c.url for c in candidates]) if store else set())
    )
    # An item another feed of this run claimed is that feed's to download; if the download fails, that
    # feed's validators wait and its next fetch retries the item.
    fresh = [c for c in candidates if c.url not in already and claims.claim(c.url, plan["feed_id"])]
    progress.articles_found(len(fresh))

    async def one(candidate: _Candidate) -> Any:
        try:
            return await _fetch_article(candidate, plan, client=client, pool=pool, now=now)
        finally:
            progress.article_done()

    results = await asyncio.gather(*(one(c) for c in fresh))
    articles: list[Article] = []
    pages: list[Page] = []
    statements: list[StagedStatement] = []
    aliases: list[tuple[str, str]] = []
    failures = 0
    for result in results:
        if result is None:
            failures += 1
            continue
        article, page, processed, urls = result
        articles.append(article)
        if page:
            pages.append(page)
        if processed:
            statements.extend(stage_statements(article.article_id, processed.statements))
        aliases.extend((u, article.article_id) for u in urls)
    problem = parsed.problem
    if failures:
        problem = "; ".join(filter(None, [problem, f"{failures} article(s) failed, retried next run"]))
    return FeedOutcome(
        run_id,
        plan["feed_id"],
        now,
        "ok",
        http_status=response.status,
        items=len(parsed.items),
        new_items=len(fresh),
        error=problem,
        elapsed_ms=elapsed(),
        etag=response.etag,
        last_modified=response.last_modified,
        advance_validators=failures == 0,
        articles=tuple(articles),
        pages=tuple(pages),
        statements=tuple(statements),
        aliases=tuple(aliases),
        article_errors=failures,
    )


def _make_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers are forked from a clean server process, not from our threaded event loop.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.preload"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


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
    progress = progress or _Silent()
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

    with _make_pool(settings.workers) as pool:
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
