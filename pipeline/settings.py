"""Run-wide settings, read from `NEWSWATCH_*` environment variables in one place.

    NEWSWATCH_DB           the DuckDB file                         data/newswatch.duckdb
    NEWSWATCH_FEEDS        the feed list                           seeds/feeds.yaml
    NEWSWATCH_STAGING      staged rows of Airflow runs             data/staging
    NEWSWATCH_ALERTS       the alert rules                         seeds/alerts.yaml
    NEWSWATCH_WORKERS      extraction processes                    the number of cores
    NEWSWATCH_FEED_CONCURRENCY  feeds fetched at once              8

The HTTP settings (timeouts, User-Agent contact, limits, robots.txt, private addresses) are read by
`pipeline.http.HttpSettings.from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import seeds_dir
from pipeline.errors import ConfigError

DEFAULT_DB = Path("data/newswatch.duckdb")
DEFAULT_STAGING = Path("data/staging")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"expected a whole number, got {raw!r}", field=name) from None
    if value < 1:
        raise ConfigError(f"must be at least 1, got {value}", field=name)
    return value


@dataclass(frozen=True)
class Settings:
    db: Path = DEFAULT_DB
    feeds: Path = field(default_factory=lambda: seeds_dir() / "feeds.yaml")
    staging: Path = DEFAULT_STAGING
    alerts: Path = field(default_factory=lambda: seeds_dir() / "alerts.yaml")
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    feed_concurrency: int = 8

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        base = cls()
        return cls(
            db=Path(env.get("NEWSWATCH_DB") or base.db),
            feeds=Path(env.get("NEWSWATCH_FEEDS") or base.feeds),
            staging=Path(env.get("NEWSWATCH_STAGING") or base.staging),
            alerts=Path(env.get("NEWSWATCH_ALERTS") or base.alerts),
            workers=_int(env, "NEWSWATCH_WORKERS", base.workers),
            feed_concurrency=_int(env, "NEWSWATCH_FEED_CONCURRENCY", base.feed_concurrency),
        )
