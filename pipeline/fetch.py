"""Fetching one feed: the feed itself (conditional GET), its new items, and their pages, processed in a pool.

`fetch_feed` never raises for a feed or an article that fails: the `FeedOutcome` it returns says what
happened, and `pipeline.ingest` stages or loads it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pipeline.errors import FetchError, TerminalFetchError, TransientFetchError
from pipeline.feeds import parse_feed
from pipeline.http import HttpClient
from pipeline.process import ProcessedPage, process_page, stage_statements
from pipeline.records import Article, Extraction, FeedItem, stable_id
from pipeline.stage import Claims, FeedOutcome, MemoryClaims, Page, StagedStatement
from pipeline.store import Store
from pipeline.store.ingest import stored_urls
from pipeline.urls import canonicalize_url

log = logging.getLogger(__name__)

PARENT_CHECK_SECONDS = 1.0


class Progress(Protocol):
    """What a pass reports while it works (the CLI draws progress bars from it)."""

    def feeds_planned(self, total: int) -> None: ...
    def articles_found(self, count: int) -> None: ...
    def article_done(self) -> None: ...
    def feed_done(self, outcome: FeedOutcome) -> None: ...


class Silent:
    def feeds_planned(self, total: int) -> None: ...
    def articles_found(self, count: int) -> None: ...
    def article_done(self) -> None: ...
    def feed_done(self, outcome: FeedOutcome) -> None: ...


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
    progress = progress or Silent()
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


def make_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers are forked from a clean server process, not from our threaded event loop.
    context = multiprocessing.get_context("forkserver")
    # Each worker starts by running the parent's main module again (for `newswatch`, the console script, which
    # imports the whole CLI). With those imports already done in the fork server, that costs a worker
    # milliseconds instead of most of a second. (Preloading "__main__" itself has no effect on
    # Python 3.11: its fork server is never handed the main module's path.) Then the warm-up: language
    # model, lexicons.
    context.set_forkserver_preload(["pipeline.cli", "pipeline.ingest", "pipeline.preload"])
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=exit_with_parent, initargs=(os.getpid(),)
    )


def exit_with_parent(parent_pid: int) -> None:
    """Pool worker initializer: end the worker once the process that made the pool is gone.

    A pass killed with SIGKILL cannot shut its pool down, and a worker would otherwise wait for work
    forever (it holds both ends of its own queue pipes), keeping the fork server alive with it.
    """

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # the pid was reused by someone else's process: ours is gone too
                os._exit(0)

    threading.Thread(target=watch, name="newswatch-parent-watch", daemon=True).start()
