"""`newswatch alerts …`: preview, send and test alerts. Argument parsing and printing only.

    newswatch alerts preview [--db PATH] [--rules FILE]   what would go out now; sends and records nothing
    newswatch alerts send    [--db PATH] [--rules FILE]   send alerts and health alerts; exit 1 if any failed
    newswatch alerts test URL                              send a test message to one apprise URL

The package's errors print as one line and exit with status 1 (`pipeline.cli.common`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from pipeline.cli.common import clean_errors, err, out
from pipeline.records import stable_id
from pipeline.settings import Settings
from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.alerts import AlertReport

# pipeline.alerts is imported inside the commands: apprise takes most of a second to import, and no other
# command should pay for it.

alerts_app = typer.Typer(
    help="Preview, send and test alerts on new statements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="The DuckDB file (default: NEWSWATCH_DB, else data/newswatch.duckdb)."),
]
RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="The alert rules (default: NEWSWATCH_ALERTS, else seeds/alerts.yaml)."),
]


def _paths(db: Path | None, rules: Path | None) -> tuple[Store, Path]:
    settings = Settings.from_env()
    return Store(db or settings.db), rules or settings.alerts


def _print_report(report: AlertReport, *, title: str) -> None:
    if not report.deliveries:
        out.print(f"{title}: nothing to send")
        return
    table = Table(title=title)
    for column in ("rule", "kind", "subject", "channel", "attempt", "status", "error"):
        table.add_column(column, overflow="fold")
    for d in report.deliveries:
        style = "red" if d.status == "failed" else None
        table.add_row(
            d.rule, d.kind, d.subject, d.channel, str(d.attempt), d.status, d.error or "", style=style
        )
    out.print(table)


@alerts_app.command()
@clean_errors
def preview(db: DbOption = None, rules: RulesOption = None) -> None:
    """Show the messages that would go out now. Sends nothing, records nothing; secrets need not be set."""
    from pipeline.alerts import AlertReport, check_health, send_alerts
    from pipeline.alerts.steps import resolve_config

    store, rules_path = _paths(db, rules)
    config = resolve_config(rules_path, require_env=False)
    now = datetime.now(UTC)
    report = send_alerts(store, config, now=now, dry_run=True)
    health = check_health(store, config, now=now, dry_run=True)
    for delivery in (*report.deliveries, *health.deliveries):
        out.rule(f"{delivery.rule} → {delivery.channel}  ({delivery.key}, attempt {delivery.attempt})")
        out.print(f"[bold]{delivery.message.title}[/]", highlight=False)
        out.print(delivery.message.text, highlight=False, markup=False)
    _print_report(AlertReport(report.deliveries + health.deliveries), title="would send")


@alerts_app.command()
@clean_errors
def send(db: DbOption = None, rules: RulesOption = None) -> None:
    """Send what is owed now (new clusters, due digests, retries) and health alerts; record each try."""
    from pipeline.alerts import AlertReport, check_health, send_alerts
    from pipeline.alerts.steps import resolve_config

    store, rules_path = _paths(db, rules)
    config = resolve_config(rules_path)
    now = datetime.now(UTC)
    report = send_alerts(store, config, now=now)
    health = check_health(store, config, now=now)
    combined = AlertReport(report.deliveries + health.deliveries, config.max_attempts)
    _print_report(combined, title=f"alerts: {combined}")
    if combined.failed:
        raise typer.Exit(1)


@alerts_app.command("test")
@clean_errors
def test_channel(url: Annotated[str, typer.Argument(help="An apprise URL, e.g. json://host/path.")]) -> None:
    """Send a test message to one apprise URL and say whether it arrived."""
    from pipeline.alerts.deliver import deliver_message
    from pipeline.alerts.render import render_notice

    now = datetime.now(UTC)
    key = "nw-test-" + stable_id("test", url, now.isoformat())
    message = render_notice(
        "newswatch test message",
        f"This is a test message from newswatch, sent {now:%Y-%m-%d %H:%M:%S} UTC. "
        "If you can read it, alerts can reach this channel.",
        key=key,
    )
    outcome = deliver_message(url, message)
    if outcome.ok:
        out.print(f"delivered: the channel accepted the test message ({key})")
        return
    err.print(f"[bold red]not delivered:[/] {outcome.error}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)
