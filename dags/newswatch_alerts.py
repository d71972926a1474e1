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

import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import dag, get_current_context, task

# The dag-processor puts this folder on sys.path; a plain DagBag (`airflow dags list-import-errors --local`)
# does not. Either way the sibling helper module must import.
_DAGS_FOLDER = str(Path(__file__).resolve().parent)
if _DAGS_FOLDER not in sys.path:
    sys.path.append(_DAGS_FOLDER)

from _newswatch_common import (  # noqa: E402
    DEFAULT_ARGS,
    START_DATE,
    STATEMENTS,
    run_times,
    writer_task_args,
)

log = logging.getLogger(__name__)


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
        **writer_task_args(),
        execution_timeout=timedelta(minutes=20),
    )
    def send_alerts() -> dict[str, Any]:
        """Send what the alert rules owe (new clusters, due digests, retries) and the feed-health alerts.

        Deliveries that failed are recorded and tried again on the next call; this task then fails so that
        Airflow retries it (with backoff) and, when the retries run out, the failure callback tells the
        health channels.
        """
        from pipeline.alerts import check_health
        from pipeline.alerts import send_alerts as send_owed_alerts
        from pipeline.errors import AlertError
        from pipeline.settings import Settings
        from pipeline.store import Store

        context = get_current_context()
        now, _ = run_times(context)
        settings = Settings.from_env()
        if not settings.alerts.exists():  # as `newswatch run`: no rules file, no alerts
            log.warning("no alert rules at %s; nothing to send", settings.alerts)
            return {"sent": 0, "failed": 0, "health_sent": 0, "health_failed": 0}
        store = Store(settings.db)
        report = send_owed_alerts(store, settings.alerts, now=now)
        health = check_health(store, settings.alerts, now=now)
        summary = {
            "sent": report.sent,
            "failed": report.failed,
            "health_sent": health.sent,
            "health_failed": health.failed,
        }
        if report.failed or health.failed:
            raise AlertError(f"some alerts were not delivered; they are tried again on retry: {summary}")
        return summary

    send_alerts()


newswatch_alerts()
