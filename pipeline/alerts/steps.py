"""The alert step functions that `newswatch run`, `newswatch alerts` and the alert DAG call.

Each call reads what is owed with a read-only connection, sends with no connection open, and records each
attempt right after it with a short write. Delivery is at least once: a success is recorded and never sent
again; a crash between a send and its record sends that one message again on the next call, with the same
idempotency key so that the receiver can drop the repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.alerts.deliver import deliver_message
from pipeline.alerts.health import RUN_LOOKBACK, plan_health
from pipeline.alerts.render import Message, render_cluster, render_digest, render_notice
from pipeline.alerts.rules import AlertConfig, Rule, load_alert_config
from pipeline.alerts.select import Planned, day_bounds, digest_day_due, plan_alerts
from pipeline.errors import AlertError
from pipeline.records import stable_id
from pipeline.settings import Settings
from pipeline.store import Store
from pipeline.store.alerts import (
    read_clusters,
    read_failing_feeds,
    read_history,
    read_runs,
    record_delivery,
)

log = logging.getLogger(__name__)

HEALTH_MEMORY = timedelta(days=366)  # how far back a health episode's earlier alert is looked for


@dataclass(frozen=True)
class Delivery:
    """One message to one channel in this call: sent, failed, or only planned (dry run)."""

    rule: str
    kind: str
    subject: str
    channel: str  # the channel's label (secrets hidden)
    key: str
    attempt: int
    status: str  # sent, failed, planned
    message: Message
    error: str | None = None


@dataclass(frozen=True)
class AlertReport:
    deliveries: tuple[Delivery, ...] = ()
    max_attempts: int = 0

    @property
    def sent(self) -> int:
        return sum(d.status == "sent" for d in self.deliveries)

    @property
    def failed(self) -> int:
        return sum(d.status == "failed" for d in self.deliveries)

    @property
    def gave_up(self) -> int:
        """Failures on the last allowed attempt: these messages will not be tried again."""
        return sum(d.status == "failed" and d.attempt >= self.max_attempts for d in self.deliveries)

    @property
    def planned(self) -> int:
        return sum(d.status == "planned" for d in self.deliveries)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able summary (for XCom and run summaries)."""
        return {
            "sent": self.sent,
            "failed": self.failed,
            "gave_up": self.gave_up,
            "planned": self.planned,
            "deliveries": [
                {
                    "rule": d.rule,
                    "kind": d.kind,
                    "subject": d.subject,
                    "channel": d.channel,
                    "key": d.key,
                    "attempt": d.attempt,
                    "status": d.status,
                    "error": d.error,
                }
                for d in self.deliveries
            ],
        }

    def __str__(self) -> str:
        if not self.deliveries:
            return "nothing to send"
        if self.planned:
            return f"{self.planned} message(s) would be sent"
        text = f"{self.sent} sent, {self.failed} failed"
        return text + (f" ({self.gave_up} on their last attempt)" if self.gave_up else "")


def resolve_config(
    rules: AlertConfig | Sequence[Rule] | Path | None, *, require_env: bool = True
) -> AlertConfig:
    """The rules to use: given, read from a file, or from `NEWSWATCH_ALERTS` (default `seeds/alerts.yaml`)."""
    if isinstance(rules, AlertConfig):
        return rules
    if rules is None or isinstance(rules, Path):
        return load_alert_config(rules or Settings.from_env().alerts, require_env=require_env)
    return AlertConfig(path=Path("<rules>"), rules=tuple(rules))


def send_alerts(
    store: Store,
    rules: AlertConfig | Sequence[Rule] | Path | None = None,
    *,
    now: datetime,
    dry_run: bool = False,
) -> AlertReport:
    """Send what the rules owe at `now`: immediate alerts for new clusters, digests that are due, retries.

    With `dry_run`, nothing is sent and nothing recorded; the report lists the planned messages (and
    `${VAR}` channels need not be set).
    """
    now = _aware(now)
    config = resolve_config(rules, require_env=not dry_run)
    if not config.rules:
        return AlertReport(max_attempts=config.max_attempts)
    starts = [now - timedelta(hours=r.max_age_hours) for r in config.rules if r.mode == "immediate"]
    starts += [day_bounds(digest_day_due(r, now))[0] for r in config.rules if r.mode == "digest"]
    since = min(starts)
    with store.reader() as con:
        history, pending = read_history(con, since=since)
        names = {r.name for r in config.rules}
        retry_clusters = {p.subject for p in pending if p.kind == "immediate" and p.rule in names}
        pending_days: dict[str, set[date]] = {}
        for p in pending:
            if p.kind == "digest" and p.rule in names:
                pending_days.setdefault(p.rule, set()).add(date.fromisoformat(p.subject))
        if pending_days:
            since = min(since, day_bounds(min(min(days) for days in pending_days.values()))[0])
        clusters = read_clusters(con, since=since, until=now, cluster_ids=retry_clusters)
    planned = plan_alerts(config, clusters, history, now=now, pending_days=pending_days)
    return _deliver_all(store, config, planned, now=now, dry_run=dry_run)


def check_health(
    store: Store,
    rules: AlertConfig | Path | None = None,
    *,
    now: datetime,
    dry_run: bool = False,
) -> AlertReport:
    """Send pipeline health alerts (failing feeds, runs that read nothing) to the `health:` channels."""
    now = _aware(now)
    config = resolve_config(rules, require_env=not dry_run)
    if config.health is None:
        return AlertReport(max_attempts=config.max_attempts)
    with store.reader() as con:
        history, _ = read_history(con, since=now - HEALTH_MEMORY)
        feeds = read_failing_feeds(con)
        runs = read_runs(con, since=now - RUN_LOOKBACK)
    planned = plan_health(config.health, feeds, runs, history, now=now, max_attempts=config.max_attempts)
    return _deliver_all(store, config, planned, now=now, dry_run=dry_run)


def notify_failure(title: str, body: str, *, rules_path: Path | None = None) -> None:
    """Send a failure notice to the `health:` channels (when `failures` is on). Never raises.

    Meant for Airflow's `on_failure_callback`: a broken rules file or a dead channel is logged, not raised,
    so that it cannot hide the failure being reported.
    """
    try:
        config = resolve_config(rules_path)
        if config.health is None or not config.health.failures:
            log.info("no health channels take failure notices in %s; not sending %r", config.path, title)
            return
        key = "nw-" + stable_id("failure", title, body)
        message = render_notice(title, body, key=key)
        for channel in config.health.channels:
            outcome = deliver_message(channel.url or "", message)
            if not outcome.ok:
                log.warning("failure notice to %s not delivered: %s", channel.label, outcome.error)
    except Exception:
        log.exception("could not send the failure notice %r", title)


def render_planned(planned: Planned, *, topics: Sequence[str] = ()) -> Message:
    """The message of one planned delivery."""
    if planned.notice is not None:
        return render_notice(*planned.notice, key=planned.key)
    if planned.kind == "digest" and planned.day is not None:
        return render_digest(
            planned.clusters, rule=planned.rule, day=planned.day, topics=topics, key=planned.key
        )
    return render_cluster(planned.clusters[0], rule=planned.rule, key=planned.key)


def _deliver_all(
    store: Store, config: AlertConfig, planned: Sequence[Planned], *, now: datetime, dry_run: bool
) -> AlertReport:
    topics = {r.name: r.topics for r in config.rules}
    unresolved = sorted({item.channel.label for item in planned if item.channel.url is None})
    if unresolved and not dry_run:
        raise AlertError(f"{config.path}: channels loaded without their environment: {', '.join(unresolved)}")
    deliveries = []
    for item in planned:
        message = render_planned(item, topics=topics.get(item.rule, ()))
        label = item.channel.label
        if dry_run:
            deliveries.append(
                Delivery(
                    item.rule, item.kind, item.subject, label, item.key, item.attempt, "planned", message
                )
            )
            continue
        outcome = deliver_message(item.channel.url or "", message)
        record_delivery(store, item, title=message.title, ok=outcome.ok, error=outcome.error, at=now)
        status = "sent" if outcome.ok else "failed"
        if outcome.ok:
            log.info("alert %s (%s %s) sent to %s", item.key, item.rule, item.subject, label)
        elif item.attempt >= config.max_attempts:
            log.error(
                "alert %s to %s failed its last attempt (%d): %s; giving up",
                item.key,
                label,
                item.attempt,
                outcome.error,
            )
        else:
            log.warning(
                "alert %s to %s failed (attempt %d of %d): %s",
                item.key,
                label,
                item.attempt,
                config.max_attempts,
                outcome.error,
            )
        deliveries.append(
            Delivery(
                item.rule,
                item.kind,
                item.subject,
                label,
                item.key,
                item.attempt,
                status,
                message,
                outcome.error,
            )
        )
    return AlertReport(tuple(deliveries), config.max_attempts)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware (UTC)")
    return now.astimezone(UTC)
