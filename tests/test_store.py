"""The DuckDB store: migrations, bulk upserts, and the single-writer discipline across processes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import StoreError, StoreLockedError
from pipeline.store import Store, list_migrations, upsert

HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold_lock(db: Path, seconds: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout and process.stdout.readline().strip() == "locked"
    return process


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    store = Store(tmp_path / "nw.duckdb")
    applied = store.migrate()
    assert applied == [m.name for m in list_migrations()]
    assert Store(store.path).migrate() == [], "a second migrate applies nothing"
    rows = store.query("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [r["name"] for r in rows] == applied


def test_upsert_merges_by_key_in_bulk(tmp_path: Path) -> None:
    store = Store(tmp_path / "nw.duckdb")
    row = {
        "feed_id": "f1",
        "name": "One",
        "url": "https://example.org/a.rss",
        "outlet": "Ex",
        "language": "en",
        "country": "GB",
    }
    with store.writer() as con:
        upsert(con, "feeds", [row, {**row, "name": "One (dup in batch)"}], key=["feed_id"])
        upsert(con, "feeds", [{**row, "name": "One renamed"}], key=["feed_id"], update=["name"])
        upsert(con, "feeds", [{**row, "name": "ignored"}], key=["feed_id"], update=())
    assert store.query("SELECT feed_id, name FROM feeds") == [{"feed_id": "f1", "name": "One renamed"}]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "nw.duckdb")
    with pytest.raises(RuntimeError), store.writer() as con:
        con.execute(
            "INSERT INTO runs (run_id, trigger, started_at, status) VALUES ('r', 'cli', ?, 'running')",
            [datetime.now(UTC)],
        )
        raise RuntimeError("crash mid-transaction")
    assert store.query("SELECT count(*) AS n FROM runs") == [{"n": 0}]


def test_reading_a_missing_database_names_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"nope\.duckdb: no database here yet"):
        Store(tmp_path / "nope.duckdb").query("SELECT 1")


def test_a_reader_waits_for_a_briefly_held_lock(tmp_path: Path) -> None:
    store = Store(tmp_path / "nw.duckdb", lock_wait=20)
    store.migrate()
    holder = _hold_lock(store.path, 1.5)
    try:
        assert store.query("SELECT count(*) AS n FROM feeds") == [{"n": 0}]
    finally:
        holder.wait(timeout=30)


def test_a_lock_held_too_long_is_a_clear_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "nw.duckdb", lock_wait=0.5)
    store.migrate()
    holder = _hold_lock(store.path, 5)
    try:
        # The holder keeps the file for 5 s; a store that waits 0.5 s gives up with a message.
        with pytest.raises(StoreLockedError, match="another process holds the database"):
            store.query("SELECT 1")
    finally:
        holder.kill()
        holder.wait()
