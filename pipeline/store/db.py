"""The one module that touches DuckDB.

DuckDB lets one process write a file, and while it writes no other process can open it, not even to read.
So every connection here is short: `Store.writer()` opens, migrates (once per `Store`), runs one transaction
and closes; `Store.reader()` opens read-only. Both retry for a while when another process holds the file and
then raise `StoreLockedError` naming it.

Bulk writes go through Arrow (`upsert`): rows are turned into a `pyarrow.Table`, registered as a view and
merged with one `INSERT ... ON CONFLICT DO UPDATE`, never row by row.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.config import sql_dir
from pipeline.errors import StoreError, StoreLockedError

log = logging.getLogger(__name__)

DEFAULT_DB = Path("data/newswatch.duckdb")
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LOCK_MESSAGES = ("could not set lock", "conflicting lock", "database is locked")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def list_migrations(folder: Path | None = None) -> list[Migration]:
    """The numbered migrations in `sql/` (`NNN_name.sql`), in order."""
    folder = folder or sql_dir()
    migrations = []
    for path in sorted(folder.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            migrations.append(Migration(int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise StoreError(f"{folder}: two migrations share a number: {versions}")
    return migrations


def _is_lock_error(error: Exception) -> bool:
    return any(m in str(error).lower() for m in _LOCK_MESSAGES)


class Store:
    """A DuckDB file, opened briefly for each read or write."""

    def __init__(self, path: Path | str = DEFAULT_DB, *, lock_wait: float = 15.0) -> None:
        self.path = Path(path)
        self.lock_wait = lock_wait
        self._migrated = False

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_wait
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except (duckdb.IOException, duckdb.Error) as error:
                if not _is_lock_error(error):
                    raise StoreError(f"{self.path}: cannot open the database: {error}") from error
                if time.monotonic() >= deadline:
                    raise StoreLockedError(
                        f"{self.path}: another process holds the database (waited {self.lock_wait:.0f}s)"
                    ) from error
                log.debug("%s is locked; retrying in %.2fs", self.path, delay)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction: committed on success, rolled back on error."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"{self.path}: cannot create its folder: {error}") from error
        con = self._connect(read_only=False)
        try:
            if not self._migrated:
                self._apply_migrations(con)
                self._migrated = True
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection. Raises `StoreError` when there is no database yet."""
        if not self.path.exists():
            raise StoreError(f"{self.path}: no database here yet (run `newswatch init` or `newswatch run`)")
        con = self._connect(read_only=True)
        try:
            yield con
        finally:
            con.close()

    def migrate(self) -> list[str]:
        """Create the database if needed and apply the migrations not yet applied; return their names."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect(read_only=False)
        try:
            applied = self._apply_migrations(con)
        finally:
            con.close()
        self._migrated = True
        return applied

    def _apply_migrations(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
        applied = []
        for migration in list_migrations():
            if migration.version in done:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(migration.sql)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [migration.version, migration.name, datetime.now(UTC)],
                )
            except duckdb.Error as error:
                con.execute("ROLLBACK")
                raise StoreError(f"{self.path}: migration {migration.name} failed: {error}") from error
            con.execute("COMMIT")
            log.info("applied migration %s to %s", migration.name, self.path)
            applied.append(migration.name)
        return applied

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[dict[str, Any]]:
        """Run one read-only query; rows as dicts."""
        with self.reader() as con:
            return fetch_dicts(con, sql, params)


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
) -> list[dict[str, Any]]:
    """Rows of a query as dicts keyed by column name."""
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def load_query(name: str) -> str:
    """The text of a named query, `sql/queries/<name>.sql`."""
    path = sql_dir() / "queries" / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoreError(f"{path}: no such named query") from None


def arrow_schema(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema matching `columns` of `table`, so Arrow types line up with DuckDB's."""
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    )
    fields = []
    for column in columns:
        if column not in types:
            raise StoreError(f"table {table} has no column {column!r}")
        fields.append(pa.field(column, _ARROW_TYPES.get(types[column], pa.string())))
    return pa.schema(fields)


_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "BLOB": pa.binary(),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP": pa.timestamp("us"),
    "DATE": pa.date32(),
    "VARCHAR[]": pa.list_(pa.string()),
}


def upsert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: Sequence[str] | None = None,
) -> int:
    """Insert `rows` into `table`, updating the `update` columns of rows whose `key` already exists.

    `update=None` updates every non-key column; `update=()` keeps existing rows as they are. Rows with the
    same key within `rows` are collapsed to the last one. Returns the number of rows given.
    """
    if not rows:
        return 0
    columns = list(rows[0])
    latest: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        latest[tuple(row[k] for k in key)] = row
    schema = arrow_schema(con, table, columns)
    batch = pa.Table.from_pylist(list(latest.values()), schema=schema)
    view = f"_incoming_{table}"
    con.register(view, batch)
    try:
        targets = [c for c in columns if c not in key] if update is None else list(update)
        names = ", ".join(columns)
        conflict = ", ".join(key)
        if targets:
            sets = ", ".join(f"{c} = excluded.{c}" for c in targets)
            action = f"DO UPDATE SET {sets}"
        else:
            action = "DO NOTHING"
        con.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {view} ON CONFLICT ({conflict}) {action}"
        )
    finally:
        con.unregister(view)
    return len(latest)
