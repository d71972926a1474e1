"""The Airflow DAGs, run for real with `dag.test()` against the local fixture server and a DuckDB file.

Airflow gets its own home, a SQLite metadata database (migrated once per test session) and the pool
`newswatch_duckdb`, all in a temporary folder, before it is first imported. Skipped when Airflow is not
installed (the `airflow` extra).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import Outlet, local_http_settings, write_feed_list

if importlib.util.find_spec("airflow") is None:  # without importing it: its settings are read on import
    pytest.skip("Airflow is not installed (the `airflow` extra)", allow_module_level=True)

pytestmark = pytest.mark.airflow

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"
# The run's logical date: after the fixture articles' publication dates (20–22 Nov 2026).
LOGICAL_DATE = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A throwaway Airflow: home, SQLite metadata DB, DAG folder = the repo's dags/, the DuckDB pool."""
    home = tmp_path_factory.mktemp("airflow-home")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AIRFLOW_HOME", str(home))
        env.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
        env.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        env.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
        env.setenv("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
        if "airflow" in sys.modules:
            pytest.skip("Airflow was imported before its test settings could be applied")
        from airflow.models.pool import Pool
        from airflow.utils import db

        db.initdb()
        Pool.create_or_update_pool(
            "newswatch_duckdb", slots=1, description="one DuckDB writer", include_deferred=False
        )
        yield home


@pytest.fixture
def newswatch_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, airflow_home: Path) -> Path:
    """The NEWSWATCH_* settings the tasks read: a fresh DuckDB file and staging folder, 127.0.0.1 allowed."""
    monkeypatch.setenv("NEWSWATCH_DB", str(tmp_path / "dag.duckdb"))
    monkeypatch.setenv("NEWSWATCH_STAGING", str(tmp_path / "staging"))
    monkeypatch.setenv("NEWSWATCH_ALERTS", str(tmp_path / "no-alert-rules.yaml"))
    monkeypatch.setenv("NEWSWATCH_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("NEWSWATCH_HOST_DELAY", "0")
    monkeypatch.setenv("NEWSWATCH_BACKOFF", "0.01")
    monkeypatch.setenv("NEWSWATCH_BACKOFF_MAX", "0.05")
    monkeypatch.setenv("NEWSWATCH_RETRIES", "1")
    monkeypatch.setenv("NEWSWATCH_WORKERS", "1")
    return tmp_path / "dag.duckdb"


class Receiver:
    """A real HTTP server on 127.0.0.1 recording the JSON that apprise's `json://` channels post to it."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def channel(self, path: str) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}{path}"

    def to(self, path: str) -> list[dict[str, Any]]:
        return [payload for p, payload in self.posts if p == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def _write_alert_rules(env: pytest.MonkeyPatch, path: Path, receiver: Receiver) -> Path:
    path.write_text(
        "rules:\n"
        "  - name: everything\n"
        "    topics: [nato_expansion, security_guarantees]\n"
        f'    channels: ["{receiver.channel("/alerts")}"]\n'
        "health:\n"
        f'  channels: ["{receiver.channel("/ops")}"]\n',
        encoding="utf-8",
    )
    env.setenv("NEWSWATCH_ALERTS", str(path))
    return path


def _load_dag(dag_id: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


def _run_alerts(logical_date: datetime) -> Any:
    """One `dag.test()` run of the alerts DAG, without waiting minutes between retries of a failure."""
    dag = _load_dag("newswatch_alerts")
    dag.get_task("send_alerts").retry_delay = timedelta(0)
    return dag.test(logical_date=logical_date, run_after=logical_date)


def _run_ingest(env: pytest.MonkeyPatch, feeds: Path, *, fetch_retries: int | None = None) -> Any:
    """One `dag.test()` run of the ingest DAG for LOGICAL_DATE (the same run id every time)."""
    env.setenv("NEWSWATCH_FEEDS", str(feeds))
    dag = _load_dag("newswatch_ingest")
    fetch = dag.get_task("fetch_feed")
    fetch.retry_delay = timedelta(0)  # keep the retries, not the minutes of backoff between them
    if fetch_retries is not None:
        fetch.retries = fetch_retries
    return dag.test(logical_date=LOGICAL_DATE, run_after=LOGICAL_DATE)


def _task_states(dag_run: Any) -> dict[str, list[tuple[str, int]]]:
    states: dict[str, list[tuple[str, int]]] = {}
    for ti in dag_run.get_task_instances():
        states.setdefault(ti.task_id, []).append((str(ti.state), ti.try_number))
    return states


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


_TABLES = ("feeds", "runs", "fetch_log", "articles", "article_urls", "pages", "statements", "clusters")


def _counts(db: Path) -> dict[str, int]:
    return {table: _rows(db, f"SELECT count(*) FROM {table}")[0][0] for table in _TABLES}


# --- parsing -------------------------------------------------------------------------------------------


def test_the_dag_folder_imports_without_errors(airflow_home: Path) -> None:
    ingest = _load_dag("newswatch_ingest")
    alerts = _load_dag("newswatch_alerts")

    assert ingest.catchup is False
    assert ingest.max_active_runs == 1
    assert "newswatch ingest" in ingest.doc_md
    assert ingest.timetable.expression == "0 5 * * *"
    load = ingest.get_task("load")
    assert (load.pool, load.trigger_rule) == ("newswatch_duckdb", "all_done")
    assert [a.uri for a in load.outlets] == ["newswatch://statements/"]
    assert ingest.get_task("fetch_feed").max_active_tis_per_dagrun == 8
    assert ingest.get_task("fetch_feed").retry_exponential_backoff
    # The alerts DAG runs when `load` updates the statements asset, and writes through the same pool.
    assert "newswatch://statements" in repr(alerts.timetable.asset_condition)
    assert alerts.get_task("send_alerts").pool == "newswatch_duckdb"


def test_the_schedule_follows_newswatch_schedule(airflow_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_SCHEDULE", "30 7 * * 1-5")
    assert _load_dag("newswatch_ingest").timetable.expression == "30 7 * * 1-5"


def test_airflow_reports_no_import_errors_for_the_dag_folder(airflow_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "list-import-errors", "--local", "--output", "json"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


_PARSE_ONLY = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({
    "dags": sorted(bag.dags),
    "errors": sorted(bag.import_errors),
    "pipeline": sorted(m for m in sys.modules if m == "pipeline" or m.startswith("pipeline.")),
}))
"""


def test_parsing_the_dags_touches_no_database_feed_list_or_network(
    airflow_home: Path, tmp_path: Path
) -> None:
    nowhere = tmp_path / "nowhere"
    env = os.environ.copy()
    env.update(
        NEWSWATCH_DB=str(nowhere / "newswatch.duckdb"),
        NEWSWATCH_FEEDS=str(nowhere / "feeds.yaml"),
        NEWSWATCH_STAGING=str(nowhere / "staging"),
    )
    result = subprocess.run(
        [sys.executable, "-c", _PARSE_ONLY, str(DAGS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout.strip().splitlines()[-1])
    assert parsed == {"dags": ["newswatch_alerts", "newswatch_ingest"], "errors": [], "pipeline": []}
    assert not nowhere.exists(), "parsing a DAG file created the database or staging folder"


# --- running ----------------------------------------------------------------------------------------------


def test_the_ingest_dag_loads_the_feeds_into_duckdb(
    outlet: Outlet, newswatch_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dag_run = _run_ingest(monkeypatch, outlet.feeds_file)

    assert dag_run.state == "success"
    states = _task_states(dag_run)
    assert [s for s, _ in states["fetch_feed"]] == ["success", "success"]
    assert states["load"] == [("success", 1)]
    db = newswatch_env
    base = outlet.server.base_url
    urls = sorted(r[0] for r in _rows(db, "SELECT url FROM articles"))
    assert urls == [f"{base}/news/{n}" for n in ("exercise", "guarantees", "guarantees-echo", "membership")]
    speakers = {r[0] for r in _rows(db, "SELECT speaker FROM statements")}
    assert {"Ivan Sample", "Greta Example"} <= speakers
    assert _rows(db, "SELECT run_id, trigger, status, feeds_ok, feeds_failed FROM runs") == [
        (dag_run.run_id, "airflow", "ok", 2, 0)
    ]
    assert sorted(r[0] for r in _rows(db, "SELECT status FROM fetch_log")) == ["ok", "ok"]
    assert not any((newswatch_env.parent / "staging").glob("*/*.json")), "the run's staging was cleaned"


def test_running_the_same_logical_date_again_adds_nothing(
    outlet: Outlet, newswatch_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run_ingest(monkeypatch, outlet.feeds_file)
    before = _counts(newswatch_env)
    article_requests = len(outlet.article_requests())

    second = _run_ingest(monkeypatch, outlet.feeds_file)

    assert (first.state, second.state) == ("success", "success")
    assert second.run_id == first.run_id
    assert _counts(newswatch_env) == before
    assert before["articles"] == 4 and before["statements"] > 0
    assert len(outlet.article_requests()) == article_requests, "known articles are not downloaded again"


def test_the_dag_and_newswatch_run_store_the_same_rows(
    outlet: Outlet, newswatch_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pipeline.config import load_feeds
    from pipeline.ingest import run_pass
    from pipeline.settings import Settings
    from pipeline.store import Store

    cli_db = tmp_path / "cli.duckdb"
    run_pass(
        Store(cli_db),
        load_feeds(outlet.feeds_file),
        run_id="cli-parity",
        settings=Settings(db=cli_db, workers=1),
        now=LOGICAL_DATE,
        http=local_http_settings(),
    )
    dag_run = _run_ingest(monkeypatch, outlet.feeds_file)
    assert dag_run.state == "success"

    dag_db = newswatch_env
    assert _counts(dag_db) == _counts(cli_db)
    for sql in (
        "SELECT feed_id, name, etag, last_modified, last_status FROM feeds ORDER BY feed_id",
        # Not feed_id: an article two feeds list is credited to whichever feed reached it first.
        "SELECT article_id, url, title, author, status, length(text) FROM articles ORDER BY 1",
        "SELECT url, article_id FROM article_urls ORDER BY url",
        "SELECT article_id, raw_bytes FROM pages ORDER BY article_id",
        "SELECT statement_id, article_id, cluster_id, speaker, kind, topics FROM statements ORDER BY 1",
        "SELECT cluster_id FROM clusters ORDER BY 1",
        # Not new_items: mapped fetch tasks do not share the in-process pass's claims, so an article that two
        # feeds list counts as new for both under Airflow (it is still stored once).
        "SELECT feed_id, status, http_status, items FROM fetch_log ORDER BY feed_id",
        "SELECT status, feeds_total, feeds_ok, feeds_failed, articles_new, statements_new FROM runs",
    ):
        assert _rows(dag_db, sql) == _rows(cli_db, sql), sql


def test_a_dead_feed_fails_only_its_own_task_and_the_rest_is_loaded(
    outlet: Outlet, newswatch_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outlet.server.add("/dead.rss", "down for maintenance", status=500)
    feeds = write_feed_list(
        tmp_path / "with-dead.yaml",
        [
            ("Test Courier", outlet.server.url("/courier.rss"), "The Test Courier"),
            ("Test Echo", outlet.server.url("/echo.atom"), "The Test Echo"),
            ("Dead Feed", outlet.server.url("/dead.rss"), "The Dead Outlet"),
        ],
    )

    dag_run = _run_ingest(monkeypatch, feeds, fetch_retries=1)

    # The run goes on: the dead feed's task failed after its retry, the others and `load` succeeded.
    states = _task_states(dag_run)
    assert sorted(states["fetch_feed"]) == [("failed", 2), ("success", 1), ("success", 1)]
    assert states["load"] == [("success", 1)]
    assert dag_run.state == "success"
    db = newswatch_env
    assert _rows(db, "SELECT count(*) FROM articles") == [(4,)]
    assert _rows(
        db, "SELECT f.name, l.status, l.http_status FROM fetch_log l JOIN feeds f USING (feed_id) ORDER BY 1"
    ) == [("Dead Feed", "error", 500), ("Test Courier", "ok", 200), ("Test Echo", "ok", 200)]
    assert _rows(db, "SELECT status, feeds_ok, feeds_failed FROM runs") == [("partial", 2, 1)]


def test_a_run_in_which_every_feed_fails_fails_and_tells_the_health_channel(
    outlet: Outlet, newswatch_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, receiver: Receiver
) -> None:
    _write_alert_rules(monkeypatch, tmp_path / "alerts.yaml", receiver)
    outlet.server.add("/dead.rss", "down for maintenance", status=503)
    feeds = write_feed_list(tmp_path / "dead.yaml", [("Dead Feed", outlet.server.url("/dead.rss"), "Dead")])

    dag_run = _run_ingest(monkeypatch, feeds, fetch_retries=0)

    assert dag_run.state == "failed"
    assert _task_states(dag_run)["load"] == [("failed", 1)]
    # The failure is still recorded for `newswatch feeds` and the health alerts…
    assert _rows(newswatch_env, "SELECT status, feeds_failed FROM runs") == [("failed", 1)]
    assert _rows(newswatch_env, "SELECT status, http_status FROM fetch_log") == [("error", 503)]
    # …and the failure callback told the health channel which task failed and why.
    [notice] = receiver.to("/ops")
    assert notice["title"] == "newswatch: newswatch_ingest.load failed"
    assert "every feed failed" in notice["message"]
    assert receiver.to("/alerts") == []


def test_the_alerts_dag_sends_new_statements_once(
    outlet: Outlet, newswatch_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, receiver: Receiver
) -> None:
    assert _run_ingest(monkeypatch, outlet.feeds_file).state == "success"
    _write_alert_rules(monkeypatch, tmp_path / "alerts.yaml", receiver)
    an_hour_later = LOGICAL_DATE + timedelta(hours=1)

    first = _run_alerts(an_hour_later)
    sent = receiver.to("/alerts")
    clusters = _rows(newswatch_env, "SELECT count(*) FROM statement_clusters WHERE len(topics) > 0")[0][0]
    second = _run_alerts(an_hour_later)

    assert (first.state, second.state) == ("success", "success")
    assert len(sent) == clusters > 0, "one alert per statement cluster"
    assert any("Ivan Sample" in alert["message"] for alert in sent)
    assert receiver.to("/alerts") == sent, "running the alert DAG again sends nothing twice"
    assert receiver.to("/ops") == []
