"""Pipeline health alerts: a feed failing for days, a run in which no feed could be read.

Each problem is an *episode* with a stable subject, so it alerts once, not on every run while it lasts:

- a failing feed: `feed-failing:<feed_id>:<last success>` (or `:never`). It alerts once the feed's latest
  fetches failed and its last success is at least `failing_days` days old (for a feed never read: its first
  failed fetch). A success ends the episode; the next failure starts a new one.
- an empty run: `run-empty:<run_id>`, for a finished run started within the last two days in which no feed
  could be read (`feeds_ok = 0` of `feeds_total > 0`, or the run failed outright).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from pipeline.alerts.rules import HEALTH_RULE, HealthRule
from pipeline.alerts.select import DeliveryState, Planned, owed
from pipeline.store.alerts import FeedHealth, RunHealth

RUN_LOOKBACK = timedelta(days=2)


def failing_since(feed: FeedHealth, *, now: datetime, failing_days: int) -> datetime | None:
    """Since when `feed` has not been read (its last success), if that is `failing_days` days or more."""
    since = feed.last_success or feed.failing_since
    if since is None:
        # No history to date the episode: count one failed fetch a day, as a daily schedule makes.
        return now if feed.consecutive_failures >= failing_days else None
    return since if now - since >= timedelta(days=failing_days) else None


def plan_health(
    health: HealthRule,
    feeds: Sequence[FeedHealth],
    runs: Sequence[RunHealth],
    history: Mapping[str, DeliveryState],
    *,
    now: datetime,
    max_attempts: int,
) -> list[Planned]:
    """The health alerts owed now."""
    notices: list[tuple[str, str, str]] = []
    for feed in feeds:
        since = failing_since(feed, now=now, failing_days=health.failing_days)
        if since is None:
            continue
        last_ok = feed.last_success.isoformat() if feed.last_success else "never"
        days = max((now - since).days, health.failing_days)
        notices.append(
            (
                f"feed-failing:{feed.feed_id}:{last_ok}",
                f"newswatch: feed {feed.name!r} not read for {days} days",
                f"The feed {feed.name} ({feed.outlet}) has failed its last {feed.consecutive_failures} "
                f"fetches; last success: "
                f"{f'{feed.last_success:%Y-%m-%d %H:%M} UTC' if feed.last_success else 'never'}.\n\n"
                f"URL: {feed.url}\nLast error: {feed.last_error or 'unknown'}",
            )
        )
    if health.empty_runs:
        for run in runs:
            if run.started_at < now - RUN_LOOKBACK:
                continue
            if run.status == "failed" or (run.feeds_total > 0 and run.feeds_ok == 0):
                notices.append(
                    (
                        f"run-empty:{run.run_id}",
                        f"newswatch: run {run.run_id} read no feed",
                        f"The run {run.run_id} started {run.started_at:%Y-%m-%d %H:%M} UTC "
                        f"ended {run.status}: "
                        f"{run.feeds_ok} of {run.feeds_total} feeds could be read."
                        + (f"\n\nError: {run.error}" if run.error else ""),
                    )
                )
    planned: list[Planned] = []
    for subject, title, body in notices:
        for item in owed(HEALTH_RULE, "health", subject, health.channels, history, max_attempts=max_attempts):
            planned.append(dataclasses.replace(item, notice=(title, body)))
    return planned
