"""A whole ingestion pass against a real local server and a real DuckDB file."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipeline.config import load_feeds
from pipeline.errors import StoreError, TransientFetchError
from pipeline.ingest import fetch_and_stage, load_staged, plan_feeds, run_pass
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import NEWSWATCH, Outlet, local_http_settings, rss, serve_page, write_feed_list
from tests.support.server import FixtureServer, Reply


def _run(outlet_feeds: Path, db: Path, **settings_overrides: object) -> dict:
    settings = Settings(db=db, workers=2)
    return run_pass(
        Store(db),
        load_feeds(outlet_feeds),
        run_id=f"test-{time.monotonic_ns()}",
        settings=settings,
        # Generous timeouts: CI machines are shared and slow; nothing here should time out.
        http=local_http_settings(**({"read_timeout": 30.0, "total_timeout": 60.0} | settings_overrides)),
    )


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_pass_stores_articles_pages_and_feed_state(outlet: Outlet, tmp_path: Path) -> None:
    db = tmp_path / "nw.duckdb"
    summary = _run(outlet.feeds_file, db)

    assert summary["status"] == "ok"
    assert summary["articles_new"] == 4
    base = outlet.server.base_url
    urls = sorted(r[0] for r in _rows(db, "SELECT url FROM articles"))
    # Canonical URLs: the page's rel=canonical, no tracking parameters.
    assert urls == [f"{base}/news/{n}" for n in ("exercise", "guarantees", "guarantees-echo", "membership")]
    title, author, text, language = _rows(
        db, f"SELECT title, author, text, language FROM articles WHERE url = '{base}/news/membership'"
    )[0]
    assert "membership bid" in title
    assert author == "Bo Fixture"
    assert language == "en"
    assert "walk through it" in text
    assert "\n\n" in text, "paragraphs are separated by blank lines"
    assert "fictional outlet made for newswatch's tests" not in text, "the footer is not article text"
    # Raw HTML kept, compressed.
    assert _rows(db, "SELECT count(*), min(raw_bytes) > 500 FROM pages") == [(4, True)]
    # Feed state: validators stored for conditional GETs.
    states = dict(_rows(db, "SELECT name, coalesce(etag, last_modified) FROM feeds"))
    assert states == {"Test Courier": '"courier-v1"', "Test Echo": "Sun, 22 Nov 2026 10:00:00 GMT"}
    # The membership page, listed by both feeds, was downloaded once.
    assert len([r for r in outlet.server.requests if r.path.startswith("/news/membership")]) == 1


def test_topical_statements_are_stored_with_speaker_and_one_cluster_per_statement(
    outlet: Outlet, tmp_path: Path
) -> None:
    db = tmp_path / "nw.duckdb"
    _run(outlet.feeds_file, db)

    rows = _rows(db, "SELECT speaker, topics, quote FROM statements ORDER BY quote")
    speakers = {r[0] for r in rows}
    assert {"Ivan Sample", "Greta Example"} <= speakers
    assert all(r[1] for r in rows), "only topical statements are stored"
    assert not any("frozen ground" in r[2] for r in rows), "the drill is not a topic"
    # The same quote carried by two outlets is one cluster with two outlets.
    clusters = _rows(
        db,
        "SELECT outlet_count, outlets FROM statement_clusters "
        "WHERE quote LIKE '%legally binding security guarantees%'",
    )
    assert clusters == [(2, ["The Test Courier", "The Test Echo"])]


def test_second_run_is_conditional_and_downloads_nothing_again(outlet: Outlet, tmp_path: Path) -> None:
    db = tmp_path / "nw.duckdb"
    _run(outlet.feeds_file, db)
    before = {t: _rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("articles", "pages", "statements")}
    articles_fetched = len(outlet.article_requests())

    summary = _run(outlet.feeds_file, db)

    assert outlet.requests_for("/courier.rss")[-1].headers.get("if-none-match") == '"courier-v1"'
    assert (
        outlet.requests_for("/echo.atom")[-1].headers.get("if-modified-since")
        == "Sun, 22 Nov 2026 10:00:00 GMT"
    )
    statuses = dict(_rows(db, f"SELECT feed_id, status FROM fetch_log WHERE run_id = '{summary['run_id']}'"))
    assert set(statuses.values()) == {"not_modified"}
    assert len(outlet.article_requests()) == articles_fetched, "no article downloaded twice"
    after = {t: _rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("articles", "pages", "statements")}
    assert after == before


def test_rerun_without_validators_skips_stored_articles_before_download(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    base = http_server.base_url
    http_server.add(
        "/plain.rss",
        rss("Plain", base, [("M", "/news/membership?utm_campaign=x", "")]),
        content_type="application/rss+xml",
    )
    serve_page(http_server, "membership")
    feeds = write_feed_list(tmp_path / "feeds.yaml", [("Plain", http_server.url("/plain.rss"), "Plain")])
    db = tmp_path / "nw.duckdb"

    _run(feeds, db)
    _run(feeds, db)

    assert len(http_server.requests_for("/plain.rss")) == 2, "no validators: the feed is fetched in full"
    assert len(http_server.requests_for("/news/membership?utm_campaign=x")) == 1
    assert _rows(db, "SELECT count(*) FROM articles") == [(1,)]


def test_a_dead_feed_is_reported_and_the_others_load(outlet: Outlet, tmp_path: Path) -> None:
    outlet.server.add("/dead.rss", "gone", status=500)
    feeds = write_feed_list(
        tmp_path / "with-dead.yaml",
        [
            ("Test Courier", outlet.server.url("/courier.rss"), "The Test Courier"),
            ("Dead", outlet.server.url("/dead.rss"), "Dead Outlet"),
        ],
    )
    db = tmp_path / "nw.duckdb"

    summary = _run(feeds, db)

    assert summary["status"] == "partial"
    assert summary["feeds_failed"] == 1
    log = dict(_rows(db, "SELECT f.name, l.status FROM fetch_log l JOIN feeds f USING (feed_id)"))
    assert log == {"Test Courier": "ok", "Dead": "error"}
    failures, next_due, last_error = _rows(
        db, "SELECT consecutive_failures, next_due, last_error FROM feeds WHERE name = 'Dead'"
    )[0]
    assert failures == 1
    assert "500" in last_error
    assert next_due - datetime.now(UTC) <= timedelta(hours=24), "a failing feed is retried within a day"
    assert _rows(db, "SELECT count(*) FROM articles") == [(3,)]


def test_an_article_that_fails_transiently_is_tried_again_next_run(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    base = http_server.base_url
    http_server.add(
        "/f.rss",
        rss("F", base, [("G", "/news/guarantees", ""), ("M", "/news/membership", "")]),
        content_type="application/rss+xml",
        etag='"f1"',
    )
    serve_page(http_server, "guarantees")
    html = (
        (Path(__file__).parent / "fixtures/ingest/pages/membership.html").read_text().replace("{base}", base)
    )
    http_server.add_sequence("/news/membership", [Reply(status=503)] * 3 + [Reply(body=html)])
    feeds = write_feed_list(tmp_path / "feeds.yaml", [("F", http_server.url("/f.rss"), "F")])
    db = tmp_path / "nw.duckdb"

    _run(feeds, db)
    assert _rows(db, "SELECT count(*) FROM articles") == [(1,)]
    assert _rows(db, "SELECT etag FROM feeds") == [(None,)], "validators wait until every item is handled"

    _run(feeds, db)
    assert http_server.requests_for("/f.rss")[-1].headers.get("if-none-match") is None
    assert _rows(db, "SELECT count(*) FROM articles") == [(2,)]
    assert _rows(db, "SELECT etag FROM feeds") == [('"f1"',)]


def test_cli_run_twice_adds_no_duplicate_rows(outlet: Outlet, tmp_path: Path, cli_env: dict) -> None:
    db = tmp_path / "cli.duckdb"
    command = [*NEWSWATCH, "run", "--feeds", str(outlet.feeds_file), "--db", str(db), "--no-alerts"]
    first = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "4 new article(s)" in first.stdout
    counts = [
        _rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("articles", "pages", "statements", "clusters")
    ]

    second = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "0 new article(s)" in second.stdout
    assert [
        _rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in ("articles", "pages", "statements", "clusters")
    ] == counts


def _keys(db: Path) -> dict[str, list]:
    return {
        "articles": _rows(db, "SELECT article_id, url, status, length(text) FROM articles ORDER BY 1"),
        "pages": _rows(db, "SELECT article_id, raw_bytes FROM pages ORDER BY 1"),
        "statements": _rows(db, "SELECT statement_id, cluster_id, speaker FROM statements ORDER BY 1"),
        "article_urls": _rows(db, "SELECT url, article_id FROM article_urls ORDER BY 1"),
    }


def _processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds `marker` (read from /proc)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


def _loaded(db: Path, feed: str) -> bool:
    """True once the feed's outcome is in the database (read through the store, which waits out locks)."""
    if not db.exists():
        return False
    try:
        rows = Store(db, lock_wait=5).query(
            "SELECT count(*) AS n FROM fetch_log JOIN feeds USING (feed_id) WHERE name = ?", [feed]
        )
    except StoreError:  # created but not yet migrated
        return False
    return rows[0]["n"] > 0


def test_a_run_killed_midway_then_rerun_equals_one_clean_run(
    http_server: FixtureServer, tmp_path: Path, cli_env: dict
) -> None:
    base = http_server.base_url
    http_server.add(
        "/fast.rss",
        rss("Fast", base, [("G", "/news/guarantees", ""), ("M", "/news/membership", "")]),
        content_type="application/rss+xml",
        etag='"fast"',
    )
    http_server.add(
        "/slow.rss",
        rss("Slow", base, [("E", "/news/exercise", ""), ("GE", "/news/guarantees-echo", "")]),
        content_type="application/rss+xml",
        etag='"slow"',
    )
    for name in ("guarantees", "membership"):
        serve_page(http_server, name)
    for name in ("exercise", "guarantees-echo"):
        serve_page(http_server, name, delay=30.0)  # still downloading when the run is killed
    feeds = write_feed_list(
        tmp_path / "feeds.yaml",
        [
            ("Fast", http_server.url("/fast.rss"), "Fast"),
            ("Slow", http_server.url("/slow.rss"), "Slow"),
        ],
    )
    killed_db = tmp_path / "killed.duckdb"
    command = [*NEWSWATCH, "run", "--feeds", str(feeds), "--no-alerts"]
    cli_env = {**cli_env, "NEWSWATCH_READ_TIMEOUT": "60", "NEWSWATCH_TIMEOUT": "90"}

    marker = f"killed-run-{os.getpid()}-{time.monotonic_ns()}"  # inherited by every process the run starts
    process = subprocess.Popen(
        [*command, "--db", str(killed_db)],
        env={**cli_env, "NEWSWATCH_TEST_MARKER": marker},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not _loaded(killed_db, "Fast"):
        time.sleep(0.1)
    assert http_server.requests_for("/news/exercise"), "the slow feed's pages are being downloaded"
    assert _processes_with(marker), "the run's extraction workers are up"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _processes_with(marker):
        time.sleep(0.2)
    assert not _processes_with(marker), "the killed run's workers and fork server end with it"
    partial = _keys(killed_db)
    assert 0 < len(partial["articles"]) < 4, "the kill came mid-way"

    for name in ("exercise", "guarantees-echo"):
        serve_page(http_server, name)  # the slow pages are quick now
    rerun = subprocess.run(
        [*command, "--db", str(killed_db)], env=cli_env, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    clean_db = tmp_path / "clean.duckdb"
    clean = subprocess.run(
        [*command, "--db", str(clean_db)], env=cli_env, capture_output=True, text=True, timeout=120
    )
    assert clean.returncode == 0, clean.stderr

    assert _keys(killed_db) == _keys(clean_db)
    assert _rows(killed_db, "SELECT count(*) FROM runs WHERE status = 'interrupted'") == [(1,)]


def test_when_every_feed_fails_the_run_fails_with_each_failure_reported(
    tmp_path: Path, cli_env: dict
) -> None:
    # A machine without internet, as far as these feeds know: nothing listens on the port (and no name has
    # to be looked up, so the test stays on 127.0.0.1).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    feeds = write_feed_list(
        tmp_path / "feeds.yaml",
        [
            ("Nowhere one", f"http://127.0.0.1:{closed}/a.rss", "Nowhere"),
            ("Nowhere two", f"http://127.0.0.1:{closed}/b.rss", "Nowhere"),
        ],
    )
    db = tmp_path / "nw.duckdb"
    result = subprocess.run(
        [*NEWSWATCH, "run", "--feeds", str(feeds), "--db", str(db), "--no-alerts"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "every feed failed" in result.stderr
    assert "Nowhere one" in result.stdout and "Nowhere two" in result.stdout
    assert _rows(db, "SELECT count(*) FROM fetch_log WHERE status = 'error'") == [(2,)]

    health = subprocess.run(
        [*NEWSWATCH, "feeds", "--db", str(db)], env=cli_env, capture_output=True, text=True
    )
    assert health.returncode == 0, health.stderr
    assert "Nowhere one" in health.stdout and "error" in health.stdout


def test_staged_outcomes_load_once_and_a_refetched_run_is_merged(
    http_server: FixtureServer, tmp_path: Path
) -> None:
    """The Airflow-shaped path (fetch_and_stage, load_staged); a failed run cleared and done again."""
    base = http_server.base_url
    http_server.add_sequence(
        "/flaky.rss",
        [Reply(status=500)] * 3
        + [
            Reply(
                body=rss("Flaky", base, [("G", "/news/guarantees", "")]), content_type="application/rss+xml"
            )
        ],
    )
    serve_page(http_server, "guarantees")
    db, staging = tmp_path / "nw.duckdb", tmp_path / "staging"
    store = Store(db)
    feeds = load_feeds(
        write_feed_list(tmp_path / "feeds.yaml", [("Flaky", http_server.url("/flaky.rss"), "F")])
    )
    env = {
        "NEWSWATCH_ALLOW_PRIVATE": "1",
        "NEWSWATCH_HOST_DELAY": "0",
        "NEWSWATCH_BACKOFF": "0.01",
        "NEWSWATCH_RETRIES": "2",
    }
    settings = Settings(db=db, staging=staging, workers=1)
    now = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)

    def attempt() -> dict:
        (plan,) = plan_feeds(store, feeds, now=now, run_id="scheduled__2026-11-23")
        with contextlib.suppress(TransientFetchError):  # the DAG's task fails here; load still runs
            fetch_and_stage(plan, run_id="scheduled__2026-11-23", staging=staging, now=now, settings=settings)
        return load_staged(
            store,
            run_id="scheduled__2026-11-23",
            staging=staging,
            trigger="airflow",
            started_at=now,
            now=now,
            expected_feeds=1,
        )

    old_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        failed = attempt()
        again = load_staged(
            store,
            run_id="scheduled__2026-11-23",
            staging=staging,
            trigger="airflow",
            started_at=now,
            now=now,
            expected_feeds=1,
        )
        assert failed["status"] == again["status"] == "failed"
        assert _rows(db, "SELECT consecutive_failures FROM feeds") == [(1,)], "loading twice counts once"

        fixed = attempt()  # the run cleared and run again: the feed answers now
    finally:
        for k, v in old_env.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)

    assert fixed["status"] == "ok"
    assert fixed["articles_new"] == 1
    assert _rows(db, "SELECT consecutive_failures, last_status FROM feeds") == [(0, "ok")]
    assert _rows(db, "SELECT status FROM fetch_log") == [("ok",)]
    assert _rows(db, "SELECT status FROM runs") == [("ok",)]
