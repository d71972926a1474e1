"""The database: the only package that touches DuckDB.

`db` holds the connection discipline (short-lived writer, read-only readers, migrations, Arrow upserts);
`ingest` the reads and writes of an ingestion pass and of re-detection; `alerts` what the alert step reads and
records.
"""

from pipeline.store.db import DEFAULT_DB, Store, fetch_dicts, list_migrations, load_query, upsert

__all__ = ["DEFAULT_DB", "Store", "fetch_dicts", "list_migrations", "load_query", "upsert"]
