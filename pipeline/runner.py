"""`newswatch run` for people: progress bars while it works, a summary table at the end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.config import load_feeds
from pipeline.errors import NewswatchError
from pipeline.http import HttpSettings
from pipeline.ingest import run_pass
from pipeline.settings import Settings
from pipeline.stage import FeedOutcome
from pipeline.store import Store, load_query


class RichProgress:
    """Two bars: feeds done, and articles fetched and extracted."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.feeds = progress.add_task("feeds", total=None)
        self.articles = progress.add_task("articles", total=0)

    def feeds_planned(self, total: int) -> None:
        self.progress.update(self.feeds, total=total)

    def articles_found(self, count: int) -> None:
        task = self.progress.tasks[self.articles]
        self.progress.update(self.articles, total=(task.total or 0) + count)

    def article_done(self) -> None:
        self.progress.advance(self.articles)

    def feed_done(self, outcome: FeedOutcome) -> None:
        self.progress.advance(self.feeds)


def run_from_cli(
    *,
    feeds: Path | None,
    db: Path,
    send_alerts: bool,
    console: Console,
    http: HttpSettings | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    settings = Settings.from_env()
    feeds_path = feeds or settings.feeds
    sources = load_feeds(feeds_path, base_url=base_url)
    store = Store(db)
    now = datetime.now(UTC)
    run_id = f"cli-{now.strftime('%Y%m%dT%H%M%S.%fZ')}"
    columns = (TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as bars:
        summary = run_pass(
            store, sources, run_id=run_id, settings=settings, now=now, progress=RichProgress(bars), http=http
        )
    console.print(_summary_table(store, run_id, feeds_path, db))
    console.print(
        f"run {run_id}: {summary['status']} — {summary['feeds_ok']}/{summary['feeds_total']} feeds ok, "
        f"{summary['articles_new']} new article(s), {summary['statements_new']} new statement(s)",
        soft_wrap=True,
    )
    if send_alerts:
        summary["alerts"] = _run_alert_steps(store, settings, console, now)
    return summary


def _summary_table(store: Store, run_id: str, feeds: Path, db: Path) -> Table:
    rows = store.query(load_query("run_feeds"), {"run_id": run_id})
    table = Table(
        title=f"feeds fetched in run {run_id}",
        caption=f"feeds from {feeds}, stored in {db}",
        title_justify="left",
    )
    for column in ("feed", "status", "http", "items", "new", "error"):
        table.add_column(column, overflow="fold")
    for r in rows:
        style = "red" if r["status"] == "error" else None
        table.add_row(
            r["name"],
            r["status"],
            str(r["http_status"] or "-"),
            str(r["items"]),
            str(r["new_items"]),
            r["error"] or "",
            style=style,
        )
    return table


def _run_alert_steps(store: Store, settings: Settings, console: Console, now: datetime) -> dict[str, Any]:
    """The alert step of a pass: new statements, due digests, retries, then pipeline health.

    A rules file that cannot be used (a `${VAR}` not set, say) skips the alerts with one warning line: the
    run itself succeeded, and `newswatch alerts send` can catch up once the setting is fixed.
    """
    from pipeline.alerts import check_health, load_alert_config, send_alerts

    try:
        config = load_alert_config(settings.alerts)
    except NewswatchError as error:
        console.print(f"[yellow]alerts skipped:[/] {error}", soft_wrap=True)
        return {"skipped": str(error)}
    statements = send_alerts(store, config, now=now)
    health = check_health(store, config, now=now)
    console.print(f"alerts: {statements}; health: {health}", soft_wrap=True)
    return {"statements": statements.as_dict(), "health": health.as_dict()}
