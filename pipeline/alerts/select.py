"""Choose what to send: which statement clusters match which rule, and which deliveries are still owed.

Pure functions of values: the clusters read from the store, the rules, the delivery history and `now`.

- An immediate rule alerts once per cluster (`statements.cluster_id`): a cluster first seen within the rule's
  `max_age_hours` that holds at least one statement matching every filter of the rule.
- A digest rule sends, once per UTC day D, the clusters first seen during D that match it; it is due from
  `digest_at` on day D+1.
- Every (rule, subject, channel) has one idempotency key. A key with a `sent` attempt is never sent again; a
  key with failed attempts is tried again on the next call until `max_attempts` attempts have failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pipeline.alerts.rules import AlertConfig, Channel, Rule
from pipeline.clusters import normalise_text
from pipeline.records import stable_id


@dataclass(frozen=True)
class StatementView:
    """One stored statement as alert selection sees it (view `alert_statements`)."""

    statement_id: str
    cluster_id: str
    quote: str
    speaker: str | None
    speaker_role: str | None
    topics: tuple[str, ...]
    score: float
    first_seen: datetime
    article_id: str
    url: str
    outlet: str
    title: str | None = None
    published: datetime | None = None
    language: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Cluster:
    """The statements of one cluster known now, earliest first."""

    cluster_id: str
    statements: tuple[StatementView, ...]

    @property
    def lead(self) -> StatementView:
        """The statement that founded the cluster: it gives the speaker, the quote and the link."""
        return self.statements[0]

    @property
    def first_seen(self) -> datetime:
        return self.lead.first_seen

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(sorted({s.outlet for s in self.statements}, key=str.casefold))

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for s in self.statements for t in s.topics))

    @property
    def published(self) -> datetime | None:
        times = [s.published for s in self.statements if s.published is not None]
        return min(times) if times else None

    def links(self) -> tuple[tuple[str, str], ...]:
        """(outlet, article URL) for each outlet, its earliest article."""
        seen: dict[str, str] = {}
        for statement in self.statements:
            seen.setdefault(statement.outlet, statement.url)
        return tuple(sorted(seen.items(), key=lambda item: item[0].casefold()))


@dataclass(frozen=True)
class DeliveryState:
    """What the `alerts` table says about one idempotency key."""

    key: str
    attempts: int
    sent: bool


@dataclass(frozen=True)
class Planned:
    """One message owed to one channel: what to render and the delivery bookkeeping."""

    rule: str
    kind: str  # immediate, digest, health
    subject: str  # cluster id, digest day (YYYY-MM-DD) or health episode
    channel: Channel
    key: str  # the idempotency key, sent with the message
    attempt: int
    clusters: tuple[Cluster, ...] = ()
    day: date | None = None  # digests: the day covered
    notice: tuple[str, str] | None = None  # health alerts: (title, body)


def group_clusters(statements: Iterable[StatementView]) -> list[Cluster]:
    """Statements grouped into clusters, each cluster's statements and the clusters earliest first."""
    grouped: dict[str, list[StatementView]] = {}
    for statement in statements:
        grouped.setdefault(statement.cluster_id, []).append(statement)
    clusters = [
        Cluster(cid, tuple(sorted(rows, key=lambda s: (s.first_seen, s.statement_id))))
        for cid, rows in grouped.items()
    ]
    return sorted(clusters, key=lambda c: (c.first_seen, c.cluster_id))


def idempotency_key(rule: str, kind: str, subject: str, channel: Channel) -> str:
    """The key a message carries; the same rule, subject and channel always give the same key."""
    return "nw-" + stable_id("alert", rule, kind, subject, channel.template)


def speaker_matches(wanted: str, statement: StatementView) -> bool:
    """Every word of `wanted` appears as a word of the statement's speaker or of their role."""
    words = normalise_text(wanted).split()
    for source in (statement.speaker, statement.speaker_role):
        have = set(normalise_text(source or "").split())
        if words and have.issuperset(words):
            return True
    return False


def statement_matches(rule: Rule, statement: StatementView) -> bool:
    """Whether one statement passes every filter of `rule`."""
    if not set(rule.topics) & set(statement.topics):
        return False
    if statement.score < rule.min_score:
        return False
    if rule.speakers and not any(speaker_matches(s, statement) for s in rule.speakers):
        return False
    if rule.countries and (statement.country or "").upper() not in rule.countries:
        return False
    if rule.outlets and statement.outlet.casefold() not in {o.casefold() for o in rule.outlets}:
        return False
    return not (rule.languages and (statement.language or "").lower() not in rule.languages)


def cluster_matches(rule: Rule, cluster: Cluster) -> bool:
    """A cluster matches when any of its statements does."""
    return any(statement_matches(rule, s) for s in cluster.statements)


def digest_day_due(rule: Rule, now: datetime) -> date:
    """The latest day whose digest is due at `now`: yesterday once `digest_at` has passed, else the day
    before."""
    now = now.astimezone(UTC)
    back = 1 if now.time() >= rule.digest_at else 2
    return now.date() - timedelta(days=back)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def plan_alerts(
    config: AlertConfig,
    clusters: Sequence[Cluster],
    history: Mapping[str, DeliveryState],
    *,
    now: datetime,
    pending_days: Mapping[str, Iterable[date]] | None = None,
) -> list[Planned]:
    """Every delivery owed now by the rules of `config`.

    `pending_days` names, per digest rule, days whose digest failed earlier and is owed a retry.
    """
    planned: list[Planned] = []
    for rule in config.rules:
        if rule.mode == "immediate":
            planned += _plan_immediate(rule, clusters, history, now=now, max_attempts=config.max_attempts)
        else:
            days = {digest_day_due(rule, now), *((pending_days or {}).get(rule.name, ()))}
            for day in sorted(days):
                planned += _plan_digest(rule, day, clusters, history, max_attempts=config.max_attempts)
    return planned


def owed(
    rule: str,
    kind: str,
    subject: str,
    channels: Iterable[Channel],
    history: Mapping[str, DeliveryState],
    *,
    max_attempts: int,
    clusters: tuple[Cluster, ...] = (),
    day: date | None = None,
) -> list[Planned]:
    """The deliveries of one message still owed: not yet sent and attempts left."""
    result = []
    for channel in channels:
        key = idempotency_key(rule, kind, subject, channel)
        state = history.get(key)
        if state is not None and (state.sent or state.attempts >= max_attempts):
            continue
        attempt = 1 + (state.attempts if state else 0)
        result.append(Planned(rule, kind, subject, channel, key, attempt, clusters, day))
    return result


def _plan_immediate(
    rule: Rule,
    clusters: Sequence[Cluster],
    history: Mapping[str, DeliveryState],
    *,
    now: datetime,
    max_attempts: int,
) -> list[Planned]:
    oldest = now - timedelta(hours=rule.max_age_hours)
    planned = []
    for cluster in clusters:
        if cluster.first_seen > now or not cluster_matches(rule, cluster):
            continue
        keys = [idempotency_key(rule.name, "immediate", cluster.cluster_id, c) for c in rule.channels]
        retrying = any(k in history and not history[k].sent for k in keys)
        if cluster.first_seen < oldest and not retrying:
            continue
        planned += owed(
            rule.name,
            "immediate",
            cluster.cluster_id,
            rule.channels,
            history,
            max_attempts=max_attempts,
            clusters=(cluster,),
        )
    return planned


def _plan_digest(
    rule: Rule,
    day: date,
    clusters: Sequence[Cluster],
    history: Mapping[str, DeliveryState],
    *,
    max_attempts: int,
) -> list[Planned]:
    start, end = day_bounds(day)
    chosen = tuple(c for c in clusters if start <= c.first_seen < end and cluster_matches(rule, c))
    if not chosen:
        return []
    return owed(
        rule.name,
        "digest",
        day.isoformat(),
        rule.channels,
        history,
        max_attempts=max_attempts,
        clusters=chosen,
        day=day,
    )
