"""What both newswatch DAGs share: the asset, the pool, retry defaults, the run's times, the failure callback.

Airflow lives only in `dags/`: nothing in `pipeline/` imports this module or Airflow. The tasks import
`pipeline` lazily, inside their bodies, so that parsing a DAG file costs an import of Airflow and nothing else
(no database, no network, no file reads), as Airflow's best practices ask.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset

log = logging.getLogger(__name__)

# Updated by the ingest DAG's `load` task whenever a run is loaded; the alerts DAG is scheduled on it.
STATEMENTS = Asset("newswatch://statements")

# The DuckDB file has one writer at a time: every task that writes it runs in this pool of one slot
# (created by the compose `airflow-init` service; see docs/deploy.md).
DUCKDB_POOL = "newswatch_duckdb"

# A fixed date in the past: with catchup=False the first run is the next scheduled time after the DAG appears.
START_DATE = datetime(2024, 1, 1, tzinfo=UTC)

DEFAULT_SCHEDULE = "0 5 * * *"  # daily, 05:00 UTC

# Retries with exponential backoff: 1, 2, 4 … minutes, never more than 30 between tries.
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "newswatch",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(minutes=30),
}


def read_schedule() -> str:
    """The ingest DAG's cron schedule: `NEWSWATCH_SCHEDULE`, or daily at 05:00 UTC.

    An environment variable, not an Airflow Variable: reading it at parse time queries no database.
    """
    return os.environ.get("NEWSWATCH_SCHEDULE", "").strip() or DEFAULT_SCHEDULE


def read_feed_concurrency() -> int:
    """How many feeds one run fetches at once (`NEWSWATCH_FEED_CONCURRENCY`, default 8)."""
    raw = os.environ.get("NEWSWATCH_FEED_CONCURRENCY", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 8


def read_writer_queue() -> str:
    """The executor queue of the tasks that write the DuckDB file (`NEWSWATCH_WRITER_QUEUE`).

    With the LocalExecutor every task runs on one machine and this is Airflow's default queue. With Celery
    workers on several machines, name a queue that only the worker next to the database file consumes
    (`airflow celery worker --queues newswatch_writer`); see docs/deploy.md.
    """
    from airflow.sdk.configuration import conf

    return os.environ.get("NEWSWATCH_WRITER_QUEUE", "").strip() or conf.get("operators", "default_queue")


def run_times(context: Any) -> tuple[datetime, datetime]:
    """`(now, started_at)` of the running DAG run, taken from the context, never from the clock.

    `now` is the run's logical date (what the run is *for*: a cleared and re-run task sees the same value);
    a run triggered without a logical date uses the time it was queued for (`run_after`). `started_at` is
    when the DAG run started. Both are plain UTC `datetime`s: Airflow's pendulum values stop at this edge.
    """
    dag_run = context["dag_run"]
    now = _plain_utc(context.get("logical_date") or dag_run.run_after)
    started_at = _plain_utc(dag_run.start_date) if dag_run.start_date else now
    return now, started_at


def _plain_utc(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.fromtimestamp(aware.timestamp(), tz=UTC)


def describe_failure(context: Any) -> tuple[str, str]:
    """The subject and body of a failure notice for the task instance in `context`."""
    ti = context["task_instance"]
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = context.get("run_id") or getattr(ti, "run_id", "?")
    error = context.get("exception")
    subject = f"newswatch: {dag_id}.{task_id} failed"
    body = (
        f"DAG {dag_id}, run {run_id}: task {task_id} failed after {getattr(ti, 'try_number', '?')} tries.\n"
        f"Error: {error!r}\n"
    )
    return subject, body


def notify_failure(context: Any) -> None:
    """`on_failure_callback`: tell the `health:` alert channels that a newswatch task failed for good.

    `pipeline.alerts.notify_failure` never raises (a broken rules file or a dead channel is logged), so a
    failing notice cannot hide the failure it reports; unusable settings are logged here for the same reason.
    """
    from pipeline.alerts import notify_failure as send_failure_notice
    from pipeline.errors import NewswatchError
    from pipeline.settings import Settings

    subject, body = describe_failure(context)
    try:
        rules_path = Settings.from_env().alerts
    except NewswatchError:
        log.exception("cannot read the alert settings; failure notice %r not sent", subject)
        return
    send_failure_notice(subject, body, rules_path=rules_path)


def writer_task_args() -> dict[str, Any]:
    """What every task that writes the DuckDB file shares: the one-slot pool, the writer queue, and a
    failure notice (the mapped fetch tasks write nothing and report through fetch_log instead)."""
    return {
        "pool": DUCKDB_POOL,
        "pool_slots": 1,
        "queue": read_writer_queue(),
        "on_failure_callback": notify_failure,
    }
