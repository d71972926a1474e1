"""Alerts end to end: statements written into a real DuckDB file, messages received by a real HTTP webhook
receiver and a real SMTP server on 127.0.0.1, attempts read back from the `alerts` table."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller

from pipeline.alerts import AlertConfig, check_health, load_alert_config, notify_failure, send_alerts
from pipeline.records import stable_id
from pipeline.store import Store, upsert

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"
STATEMENTS: dict[str, dict[str, Any]] = yaml.safe_load((FIXTURES / "statements.yaml").read_text("utf-8"))
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


# -- a webhook receiver and an SMTP server, both real, on 127.0.0.1 --


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class Webhook:
    """An HTTP server recording JSON posts; `statuses[path]` lists its answers in turn (the last repeats)."""

    base: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return "json://" + self.base + path

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                hook.received.append(Received(self.path, dict(self.headers.items()), json.loads(body)))
                answers = hook.statuses.get(self.path, [200])
                status = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.base = f"127.0.0.1:{server.server_address[1]}"
    yield hook
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=newswatch@example.org&to=desk@example.org"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox(port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


# -- statements written straight into a migrated DuckDB file --


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = Store(tmp_path / "t.duckdb")
    db.migrate()
    return db


def report(
    store: Store,
    name: str,
    *,
    cluster: str,
    outlet: str,
    at: datetime,
    country: str = "GB",
    language: str = "en",
    quote: str | None = None,
) -> str:
    """Store the fixture statement `name` as carried by `outlet` (first seen `at`) in cluster `cluster`."""
    s = {**STATEMENTS[name], **({"quote": quote} if quote else {})}
    feed_url = f"https://{outlet.lower().replace(' ', '-')}.example/rss"
    feed_id = stable_id(feed_url)
    url = f"https://{outlet.lower().replace(' ', '-')}.example/news/{name}"
    article_id = stable_id(url)
    statement_id = stable_id(article_id, s["quote"])
    with store.writer() as con:
        upsert(
            con,
            "feeds",
            [
                {
                    "feed_id": feed_id,
                    "name": outlet,
                    "url": feed_url,
                    "outlet": outlet,
                    "language": language,
                    "country": country,
                }
            ],
            key=["feed_id"],
            update=(),
        )
        upsert(
            con,
            "articles",
            [
                {
                    "article_id": article_id,
                    "url": url,
                    "feed_id": feed_id,
                    "outlet": outlet,
                    "title": f"{s['speaker']} speaks",
                    "published": at - timedelta(minutes=30),
                    "fetched_at": at,
                    "language": language,
                    "text": s["quote"],
                    "status": "ok",
                }
            ],
            key=["article_id"],
        )
        upsert(
            con,
            "statements",
            [
                {
                    "statement_id": statement_id,
                    "article_id": article_id,
                    "cluster_id": cluster,
                    "quote": s["quote"],
                    "quote_start": 0,
                    "quote_end": len(s["quote"]),
                    "kind": "direct",
                    "speaker": s["speaker"],
                    "speaker_role": s["role"],
                    "topics": s["topics"],
                    "score": s["score"],
                    "detector_version": "test",
                    "first_seen": at,
                }
            ],
            key=["statement_id"],
        )
    return url


def write_rules(tmp_path: Path, text: str, **env: str) -> AlertConfig:
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    return load_alert_config(path, env=env)


def attempts(store: Store) -> list[dict[str, Any]]:
    return store.query(
        "SELECT rule, kind, subject, channel, attempt, status, error, idempotency_key FROM alerts "
        "ORDER BY attempted_at, idempotency_key, attempt"
    )


IMMEDIATE = """
rules:
  - name: guarantees-now
    topics: [security_guarantees]
    mode: immediate
    channels: ["${HOOK}", "${MAIL}"]
"""


# -- immediate alerts --


def test_new_statement_reaches_webhook_and_email_once_with_who_what_where(
    store: Store, webhook: Webhook, mailbox: Mailbox, tmp_path: Path
) -> None:
    first = report(
        store, "volkova_guarantees", cluster="c1", outlet="Harbour Post", at=NOW - timedelta(hours=2)
    )
    report(store, "volkova_guarantees", cluster="c1", outlet="Valley Times", at=NOW - timedelta(hours=1))
    config = write_rules(tmp_path, IMMEDIATE, HOOK=webhook.url("/hook"), MAIL=mailbox.url)

    result = send_alerts(store, config, now=NOW)

    assert (result.sent, result.failed) == (2, 0)
    [post] = webhook.to("/hook")
    key = post.headers["X-Newswatch-Key"]
    assert key.startswith("nw-") and post.payload["idempotency_key"] == key
    text = post.payload["message"]
    assert "Irina Volkova (Russian deputy foreign minister)" in text
    assert "legally binding security guarantees" in text
    assert "Reported by 2 outlets: Harbour Post, Valley Times" in text
    assert first in text
    assert "Published: 2026-03-10 09:30 UTC" in text
    assert key in text

    [mail] = mailbox.messages
    assert mail["X-Newswatch-Key"].startswith("nw-") and mail["X-Newswatch-Key"] != key  # one key per channel
    assert "Irina Volkova" in mail["Subject"]
    html = mail.get_body(("html",)).get_content()
    assert "legally binding security guarantees" in html
    assert "Harbour Post" in html and "Valley Times" in html and first in html
    assert [r["status"] for r in attempts(store)] == ["sent", "sent"]


def test_long_quote_is_trimmed_with_an_ellipsis(store: Store, webhook: Webhook, tmp_path: Path) -> None:
    long_quote = " ".join([STATEMENTS["volkova_guarantees"]["quote"]] * 4)
    report(store, "volkova_guarantees", cluster="c-long", outlet="Harbour Post", at=NOW, quote=long_quote)
    config = write_rules(tmp_path, IMMEDIATE.replace(', "${MAIL}"', ""), HOOK=webhook.url("/hook"))

    send_alerts(store, config, now=NOW)

    [post] = webhook.to("/hook")
    quote_line = next(line for line in post.payload["message"].splitlines() if line.startswith("“"))
    assert quote_line.endswith("…”") and len(quote_line) < 340


def test_rerun_sends_nothing_and_a_cluster_gaining_outlets_does_not_alert_again(
    store: Store, webhook: Webhook, tmp_path: Path
) -> None:
    report(store, "volkova_guarantees", cluster="c1", outlet="Harbour Post", at=NOW - timedelta(hours=2))
    config = write_rules(tmp_path, IMMEDIATE.replace(', "${MAIL}"', ""), HOOK=webhook.url("/hook"))
    assert send_alerts(store, config, now=NOW).sent == 1

    assert send_alerts(store, config, now=NOW + timedelta(minutes=5)).sent == 0
    report(store, "volkova_guarantees", cluster="c1", outlet="Valley Times", at=NOW + timedelta(hours=1))
    later = send_alerts(store, config, now=NOW + timedelta(hours=2))

    assert later.deliveries == ()
    assert len(webhook.to("/hook")) == 1
    assert len(attempts(store)) == 1


def test_one_alert_per_cluster_not_per_outlet(store: Store, webhook: Webhook, tmp_path: Path) -> None:
    for outlet in ("Harbour Post", "Valley Times", "Ridge Courier"):
        report(store, "ellison_guarantees", cluster="c9", outlet=outlet, at=NOW - timedelta(hours=1))
    report(store, "volkova_guarantees", cluster="c10", outlet="Harbour Post", at=NOW - timedelta(hours=1))
    config = write_rules(tmp_path, IMMEDIATE.replace(', "${MAIL}"', ""), HOOK=webhook.url("/hook"))

    send_alerts(store, config, now=NOW)

    messages = [r.payload["message"] for r in webhook.to("/hook")]
    assert len(messages) == 2
    assert sum("Reported by 3 outlets: Harbour Post, Ridge Courier, Valley Times" in m for m in messages) == 1


def test_failed_channel_is_recorded_retried_next_run_and_sent_once(
    store: Store, webhook: Webhook, tmp_path: Path
) -> None:
    report(store, "ellison_guarantees", cluster="c2", outlet="Harbour Post", at=NOW - timedelta(hours=1))
    webhook.statuses["/flaky"] = [500, 500, 200]
    config = write_rules(tmp_path, IMMEDIATE.replace(', "${MAIL}"', ""), HOOK=webhook.url("/flaky"))

    first = send_alerts(store, config, now=NOW)
    second = send_alerts(store, config, now=NOW + timedelta(hours=1))
    third = send_alerts(store, config, now=NOW + timedelta(hours=2))
    fourth = send_alerts(store, config, now=NOW + timedelta(hours=3))

    assert [(first.sent, first.failed), (second.sent, second.failed)] == [(0, 1), (0, 1)]
    assert (third.sent, third.failed) == (1, 0)
    assert fourth.deliveries == ()
    rows = attempts(store)
    assert [(r["attempt"], r["status"]) for r in rows] == [(1, "failed"), (2, "failed"), (3, "sent")]
    assert "500" in rows[0]["error"]
    assert len({r["idempotency_key"] for r in rows}) == 1
    posts = webhook.to("/flaky")
    assert len(posts) == 3
    assert len({p.headers["X-Newswatch-Key"] for p in posts}) == 1  # the retry carries the same key


def test_a_channel_that_keeps_failing_is_given_up_after_max_attempts(
    store: Store, webhook: Webhook, tmp_path: Path
) -> None:
    report(store, "ellison_guarantees", cluster="c3", outlet="Harbour Post", at=NOW - timedelta(hours=1))
    webhook.statuses["/down"] = [503]
    webhook.statuses["/up"] = [200]
    rules = "max_attempts: 2\n" + IMMEDIATE.replace('"${HOOK}", "${MAIL}"', '"${DOWN}", "${UP}"')
    config = write_rules(tmp_path, rules, DOWN=webhook.url("/down"), UP=webhook.url("/up"))

    results = [send_alerts(store, config, now=NOW + timedelta(hours=h)) for h in range(4)]

    assert len(webhook.to("/down")) == 2
    assert len(webhook.to("/up")) == 1  # the working channel got it once, independent of the broken one
    assert results[1].gave_up == 1
    assert results[2].deliveries == () and results[3].deliveries == ()
    assert [r["status"] for r in attempts(store) if r["channel"] == "${DOWN}"] == ["failed", "failed"]


def test_rule_filters_speaker_country_and_score(store: Store, tmp_path: Path) -> None:
    report(store, "volkova_guarantees", cluster="ru", outlet="Moscow Wire", country="RU", at=NOW)
    report(store, "volkova_expansion", cluster="gb-only", outlet="Harbour Post", country="GB", at=NOW)
    report(store, "ellison_guarantees", cluster="other-speaker", outlet="Moscow Wire", country="RU", at=NOW)
    report(store, "volkova_vague", cluster="low-score", outlet="Moscow Wire", country="RU", at=NOW)
    rules = """
rules:
  - name: russian-officials
    topics: [security_guarantees, nato_expansion]
    speakers: [Volkova]
    countries: [ru]
    min_score: 0.5
    channels: ["json://127.0.0.1:9/never"]
"""
    config = write_rules(tmp_path, rules)

    preview = send_alerts(store, config, now=NOW + timedelta(minutes=1), dry_run=True)

    assert [d.subject for d in preview.deliveries] == ["ru"]
    assert preview.deliveries[0].status == "planned"
    assert attempts(store) == []  # a preview records nothing


def test_speaker_filter_matches_the_role_too(store: Store, tmp_path: Path) -> None:
    report(store, "ellison_open_door", cluster="nato", outlet="Harbour Post", at=NOW)
    report(store, "kask_membership", cluster="ee", outlet="Harbour Post", at=NOW)
    rules = """
rules:
  - name: alliance-officials
    topics: [nato_expansion]
    speakers: [NATO secretary general]
    channels: ["json://127.0.0.1:9/never"]
"""
    preview = send_alerts(store, write_rules(tmp_path, rules), now=NOW + timedelta(minutes=1), dry_run=True)

    assert [d.subject for d in preview.deliveries] == ["nato"]


def test_old_clusters_do_not_flood_a_new_rule(store: Store, tmp_path: Path) -> None:
    report(store, "ellison_guarantees", cluster="old", outlet="Harbour Post", at=NOW - timedelta(days=5))
    report(store, "volkova_guarantees", cluster="new", outlet="Harbour Post", at=NOW - timedelta(hours=3))
    rules = IMMEDIATE.replace('["${HOOK}", "${MAIL}"]', '["json://127.0.0.1:9/never"]')

    preview = send_alerts(store, write_rules(tmp_path, rules), now=NOW, dry_run=True)

    assert [d.subject for d in preview.deliveries] == ["new"]


# -- digests --

DIGEST = """
rules:
  - name: daily
    topics: [nato_expansion, security_guarantees]
    mode: digest
    digest_at: "07:00"
    channels: ["${HOOK}"]
"""


def test_digest_holds_exactly_the_days_new_clusters_grouped_by_topic_and_speaker(
    store: Store, webhook: Webhook, tmp_path: Path
) -> None:
    day = datetime(2026, 3, 9, tzinfo=UTC)
    report(store, "kask_membership", cluster="before", outlet="Harbour Post", at=day - timedelta(minutes=1))
    report(store, "kask_membership", cluster="before", outlet="Valley Times", at=day + timedelta(hours=3))
    report(store, "volkova_guarantees", cluster="d1", outlet="Harbour Post", at=day)
    report(store, "volkova_expansion", cluster="d2", outlet="Moscow Wire", at=day + timedelta(hours=12))
    report(
        store,
        "ellison_open_door",
        cluster="d3",
        outlet="Valley Times",
        at=day + timedelta(hours=23, minutes=59),
    )
    report(store, "ellison_guarantees", cluster="after", outlet="Harbour Post", at=day + timedelta(days=1))
    config = write_rules(tmp_path, DIGEST, HOOK=webhook.url("/digest"))

    early = send_alerts(store, config, now=day + timedelta(days=1, hours=6))
    due = send_alerts(store, config, now=day + timedelta(days=1, hours=8))
    again = send_alerts(store, config, now=day + timedelta(days=1, hours=20))

    assert [d.subject for d in early.deliveries] == ["2026-03-08"]  # before 07:00 the day before is due
    assert [d.subject for d in due.deliveries] == ["2026-03-09"]
    assert again.deliveries == ()
    digest = webhook.to("/digest")[-1].payload
    assert digest["title"] == "newswatch digest for 2026-03-09: 3 new statements"
    body = digest["message"]
    for name in ("volkova_guarantees", "volkova_expansion", "ellison_open_door"):
        assert STATEMENTS[name]["quote"][:60] in body
    for name in ("kask_membership", "ellison_guarantees"):
        assert STATEMENTS[name]["quote"][:60] not in body
    # grouped: the NATO-expansion section lists both of its speakers before the security-guarantees section
    expansion, guarantees = body.index("== Nato expansion =="), body.index("== Security guarantees ==")
    assert expansion < body.index("Irina Volkova (Russian deputy foreign minister):") < guarantees
    assert expansion < body.index("Mark Ellison (NATO deputy secretary general):") < guarantees
    assert STATEMENTS["volkova_guarantees"]["quote"][:60] in body[guarantees:]


# -- health --

HEALTH = """
health:
  channels: ["${OPS}"]
  failing_days: 3
"""


def _feed_state(
    store: Store, *, failures: int, last_success: datetime | None, errors: list[datetime]
) -> None:
    feed_id = stable_id("https://ridge.example/rss")
    with store.writer() as con:
        upsert(
            con,
            "feeds",
            [
                {
                    "feed_id": feed_id,
                    "name": "Ridge Courier World",
                    "url": "https://ridge.example/rss",
                    "outlet": "Ridge Courier",
                    "language": "en",
                    "country": "GB",
                    "consecutive_failures": failures,
                    "last_success": last_success,
                    "last_error": "HTTP 503" if failures else None,
                }
            ],
            key=["feed_id"],
        )
        upsert(
            con,
            "fetch_log",
            [
                {
                    "run_id": f"r-{at:%Y%m%d}",
                    "feed_id": feed_id,
                    "fetched_at": at,
                    "status": "error",
                    "http_status": 503,
                    "error": "HTTP 503",
                }
                for at in errors
            ],
            key=["run_id", "feed_id"],
        )


def test_a_feed_failing_for_days_alerts_once_per_episode(
    store: Store, webhook: Webhook, tmp_path: Path
) -> None:
    config = write_rules(tmp_path, HEALTH, OPS=webhook.url("/ops"))
    ok_at = NOW - timedelta(days=5)
    days = [ok_at + timedelta(days=d) for d in (1, 2, 3)]

    _feed_state(store, failures=2, last_success=ok_at, errors=days[:2])
    assert (
        check_health(store, config, now=days[1] + timedelta(hours=1)).deliveries == ()
    )  # only one day so far
    _feed_state(store, failures=3, last_success=ok_at, errors=days)
    first = check_health(store, config, now=days[2] + timedelta(hours=1))
    repeat = check_health(store, config, now=days[2] + timedelta(days=1))

    assert first.sent == 1 and repeat.deliveries == ()
    [notice] = webhook.to("/ops")
    assert "Ridge Courier World" in notice.payload["title"]
    assert (
        "https://ridge.example/rss" in notice.payload["message"] and "HTTP 503" in notice.payload["message"]
    )

    # it recovers, then fails again for three days: a new episode, a new alert
    recovered = NOW + timedelta(days=1)
    _feed_state(
        store, failures=3, last_success=recovered, errors=[recovered + timedelta(days=d) for d in (1, 2, 3)]
    )
    again = check_health(store, config, now=recovered + timedelta(days=4, hours=1))
    assert again.sent == 1 and len(webhook.to("/ops")) == 2


def test_a_run_that_read_no_feed_alerts_once(store: Store, webhook: Webhook, tmp_path: Path) -> None:
    config = write_rules(tmp_path, HEALTH, OPS=webhook.url("/ops"))
    with store.writer() as con:
        upsert(
            con,
            "runs",
            [
                {
                    "run_id": "cli-good",
                    "trigger": "cli",
                    "started_at": NOW - timedelta(hours=5),
                    "status": "ok",
                    "feeds_total": 4,
                    "feeds_ok": 4,
                },
                {
                    "run_id": "cli-empty",
                    "trigger": "cli",
                    "started_at": NOW - timedelta(hours=1),
                    "status": "partial",
                    "feeds_total": 4,
                    "feeds_ok": 0,
                },
            ],
            key=["run_id"],
        )

    first = check_health(store, config, now=NOW)
    second = check_health(store, config, now=NOW + timedelta(hours=1))

    assert [d.subject for d in first.deliveries] == ["run-empty:cli-empty"] and first.sent == 1
    assert second.deliveries == ()
    assert "0 of 4 feeds" in webhook.to("/ops")[0].payload["message"]


def test_notify_failure_reaches_the_health_channel_and_never_raises(webhook: Webhook, tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(f'health:\n  channels: ["{webhook.url("/ops")}"]\n', encoding="utf-8")

    notify_failure("newswatch_ingest.load failed", "Error: the disk is full", rules_path=rules)
    notify_failure("x", "y", rules_path=tmp_path / "missing.yaml")  # a broken setup is logged, not raised
    rules.write_text('health:\n  channels: ["${NOT_SET_ANYWHERE_42}"]\n', encoding="utf-8")
    notify_failure("x", "y", rules_path=rules)

    [notice] = webhook.to("/ops")
    assert notice.payload["title"] == "newswatch_ingest.load failed"
    assert "the disk is full" in notice.payload["message"]


# -- the CLI sub-app --


def test_cli_preview_shows_the_message_and_sends_nothing(
    store: Store, webhook: Webhook, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.alerts import alerts_app

    now = datetime.now(UTC)
    report(store, "volkova_guarantees", cluster="c-cli", outlet="Harbour Post", at=now - timedelta(minutes=5))
    rules = tmp_path / "alerts.yaml"
    rules.write_text(IMMEDIATE.replace(', "${MAIL}"', ""), encoding="utf-8")
    args = ["--db", str(store.path), "--rules", str(rules)]

    preview = CliRunner().invoke(alerts_app, ["preview", *args], env={"HOOK": ""})
    assert preview.exit_code == 0, preview.output
    assert "Irina Volkova" in preview.output and "legally binding" in preview.output
    assert webhook.received == [] and attempts(store) == []

    sent = CliRunner().invoke(alerts_app, ["send", *args], env={"HOOK": webhook.url("/hook")})
    assert sent.exit_code == 0, sent.output
    assert "1 sent, 0 failed" in sent.output and len(webhook.to("/hook")) == 1


def test_cli_send_without_the_secret_fails_with_one_line(store: Store, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.alerts import alerts_app

    rules = tmp_path / "alerts.yaml"
    rules.write_text(IMMEDIATE, encoding="utf-8")

    result = CliRunner().invoke(alerts_app, ["send", "--db", str(store.path), "--rules", str(rules)], env={})

    assert result.exit_code == 1
    assert "guarantees-now" in result.output and "HOOK" in result.output
    assert "Traceback" not in result.output


def test_cli_test_says_whether_the_message_arrived(webhook: Webhook) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.alerts import alerts_app

    webhook.statuses["/broken"] = [500]
    ok = CliRunner().invoke(alerts_app, ["test", webhook.url("/hook")])
    broken = CliRunner().invoke(alerts_app, ["test", webhook.url("/broken")])

    assert ok.exit_code == 0 and "delivered" in ok.output
    assert webhook.to("/hook")[0].payload["title"] == "newswatch test message"
    assert broken.exit_code == 1 and "not delivered" in broken.output and "500" in broken.output


def test_a_channel_asking_for_markdown_or_html_gets_it_with_article_text_escaped(
    store: Store, webhook: Webhook, tmp_path: Path
) -> None:
    report(store, "ellison_open_door", cluster="c-fmt", outlet="Harbour <Post>", at=NOW - timedelta(hours=1))
    rules = IMMEDIATE.replace("security_guarantees", "nato_expansion")
    config = write_rules(
        tmp_path, rules, HOOK=webhook.url("/md?format=markdown"), MAIL=webhook.url("/html?format=html")
    )

    send_alerts(store, config, now=NOW)

    [markdown] = [r for r in webhook.received if r.path.startswith("/md")]
    [html] = [r for r in webhook.received if r.path.startswith("/html")]
    url = "https://harbour-<post>.example/news/ellison_open_door"
    assert "**Mark Ellison (NATO deputy secretary general)**" in markdown.payload["message"]
    assert f"[Harbour \\<Post\\>]({url})" in markdown.payload["message"]
    assert "<strong>Mark Ellison (NATO deputy secretary general)</strong>" in html.payload["message"]
    assert "Harbour &lt;Post&gt;" in html.payload["message"] and "<Post>" not in html.payload["message"]
