"""
### newswatch ingest

Fetches the due news feeds, their new articles, extracts them, finds attributed statements about NATO
expansion and security guarantees, and loads everything into the newswatch DuckDB file.

    plan ──► fetch_feed × one per due feed ──► load (pool newswatch_duckdb, 1 slot) ──► clean

- **plan** reads the feed list (`NEWSWATCH_FEEDS`) and each feed's state and returns the due feeds.
- **fetch_feed** (mapped, one task per feed) fetches one feed and its new articles and *stages* them under
  `NEWSWATCH_STAGING/<run_id>/`; it never writes the database. A dead feed fails (or retries, with exponential
  backoff) only its own task; a feed that can never work (404, refused address) fails without retrying.
- **load** runs once every fetch task has finished, failed or not (`all_done`): it merges every staged feed in
  one writer, records the run in `runs` and each feed's result in `fetch_log`, and updates the asset
  `newswatch://statements`, which schedules the `newswatch_alerts` DAG.
- **clean** removes the run's staging folder once it is loaded.

Every step is keyed on the run: clearing a run and running it again adds no duplicate rows, and the alert DAG
sends no alert twice. Settings come from `NEWSWATCH_*` environment variables read inside the tasks; the
schedule is `NEWSWATCH_SCHEDULE` (cron, default daily 05:00 UTC). The same functions back `newswatch run`.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

# The dag-processor puts this folder on sys.path; a plain DagBag (`airflow dags list-import-errors --local`)
# does not. Either way the sibling helper module must import.
_DAGS_FOLDER = str(Path(__file__).resolve().parent)
if _DAGS_FOLDER not in sys.path:
    sys.path.append(_DAGS_FOLDER)

from _newswatch_common import (  # noqa: E402
    DEFAULT_ARGS,
    START_DATE,
    STATEMENTS,
    notify_failure,
    read_feed_concurrency,
    read_schedule,
    run_times,
    writer_task_args,
)


@dag(
    dag_id="newswatch_ingest",
    schedule=read_schedule(),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["newswatch"],
)
def newswatch_ingest() -> None:
    @task(
        **writer_task_args(),
        retries=1,
        execution_timeout=timedelta(minutes=10),
    )
    def plan() -> list[dict[str, Any]]:
        """Register the listed feeds and return the due ones as JSON-able dicts (one per `fetch_feed`)."""
        from pipeline.config import load_feeds
        from pipeline.errors import ConfigError
        from pipeline.ingest import plan_feeds
        from pipeline.settings import Settings
        from pipeline.store import Store

        context = get_current_context()
        now, _ = run_times(context)
        try:
            settings = Settings.from_env()
            feeds = load_feeds(settings.feeds)
        except ConfigError as error:  # a bad feed list stays bad however often we retry
            raise AirflowFailException(str(error)) from error
        return plan_feeds(Store(settings.db), feeds, now=now, run_id=context["run_id"])

    @task(
        retries=3,
        execution_timeout=timedelta(minutes=20),
        max_active_tis_per_dagrun=read_feed_concurrency(),
        map_index_template="{{ feed_name }}",
    )
    def fetch_feed(plan: dict[str, Any]) -> str:
        """Fetch one feed and its new articles; stage them for `load`. Returns the staged file's path."""
        from pipeline.errors import TerminalFetchError
        from pipeline.ingest import fetch_and_stage
        from pipeline.settings import Settings

        context = get_current_context()
        context["feed_name"] = plan.get("name") or plan["feed_id"]  # type: ignore[typeddict-unknown-key]
        now, _ = run_times(context)
        settings = Settings.from_env()
        try:
            staged = fetch_and_stage(
                plan, run_id=context["run_id"], staging=settings.staging, now=now, settings=settings
            )
        except TerminalFetchError as error:  # 404, refused address…: retrying cannot help
            raise AirflowFailException(str(error)) from error
        return str(staged)

    @task(
        **writer_task_args(),
        trigger_rule="all_done",
        outlets=[STATEMENTS],
    )
    def load(planned: list[dict[str, Any]]) -> dict[str, Any]:
        """Merge every staged feed of this run into the database (the one writer); record the run.

        A planned feed whose task died before staging anything counts as failed. When every feed failed the
        task fails too (as `newswatch run` exits 1), after recording the run, so that someone is told.
        """
        from pipeline.ingest import load_staged
        from pipeline.settings import Settings
        from pipeline.store import Store

        context = get_current_context()
        now, started_at = run_times(context)
        settings = Settings.from_env()
        summary = load_staged(
            Store(settings.db),
            run_id=context["run_id"],
            staging=settings.staging,
            trigger="airflow",
            started_at=started_at,
            now=now,
            expected_feeds=len(planned),
        )
        if summary["status"] == "failed":
            raise AirflowFailException(
                f"every feed failed ({summary['feeds_failed']} of {summary['feeds_total']}); "
                f"see fetch_log for run {context['run_id']}"
            )
        context["outlet_events"][STATEMENTS].extra = {
            "run_id": context["run_id"],
            "statements_new": summary["statements_new"],
        }
        return summary

    @task(retries=1, on_failure_callback=notify_failure)
    def clean(summary: dict[str, Any]) -> None:
        """Remove this run's staging folder (only after `load` succeeded, so a re-run can still load it)."""
        from pipeline.ingest import clean_staging
        from pipeline.settings import Settings

        context = get_current_context()
        clean_staging(run_id=context["run_id"], staging=Settings.from_env().staging)

    planned = plan()
    fetched = fetch_feed.expand(plan=planned)
    summary = load(planned)
    fetched >> summary
    clean(summary)


newswatch_ingest()
