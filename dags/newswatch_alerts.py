"""
### newswatch alerts

Runs whenever the ingest DAG loads a run (it is scheduled on the asset `newswatch://statements`): sends the
statements that match an alert rule (`NEWSWATCH_ALERTS`) and have not been sent yet, through the configured
channels, one alert per statement cluster. It is the same step `newswatch run` ends with.

Every alert sent is recorded in the `alerts` table before the next one goes out, so a cleared and re-run task
sends nothing twice. The task writes the DuckDB file, so it runs in the pool `newswatch_duckdb` (one slot)
with the ingest DAG's `load`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from _newswatch_common import DEFAULT_ARGS, DUCKDB_POOL, START_DATE, STATEMENTS, notify_failure
from airflow.sdk import dag, task


@dag(
    dag_id="newswatch_alerts",
    schedule=[STATEMENTS],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["newswatch"],
)
def newswatch_alerts() -> None:
    @task(
        pool=DUCKDB_POOL,
        pool_slots=1,
        execution_timeout=timedelta(minutes=20),
        on_failure_callback=notify_failure,
    )
    def send_alerts() -> dict[str, Any]:
        """Send the new statement clusters that match a rule; returns what was sent, per channel."""
        from pipeline.alerts import send_alerts as send_new_alerts  # type: ignore[attr-defined]
        from pipeline.settings import Settings
        from pipeline.store import Store

        settings = Settings.from_env()
        return dict(send_new_alerts(Store(settings.db), settings=settings))

    send_alerts()


newswatch_alerts()
