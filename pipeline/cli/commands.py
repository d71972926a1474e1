"""The `newswatch` commands: init, run, feeds, articles, statements, extract, detect, redetect, demo.

Each parses its arguments, calls the package, and prints; no logic lives here.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from pipeline.cli.common import DbOption, cell, clean_errors, err, out, parse_since, table
from pipeline.settings import DEFAULT_DB

app = typer.Typer(
    name="newswatch",
    help="Watch news feeds for statements about NATO expansion and security guarantees.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens (to stderr).")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _print_statements(rows: Sequence[dict[str, Any]]) -> None:
    """Statements as readers scan them: who (role), topics and score, the quote, where and when."""
    for row in rows:
        who = row["speaker"] or "(unknown source)"
        if row.get("speaker_role"):
            who += f" ({row['speaker_role']})"
        quote = row["quote"] if len(row["quote"]) <= 300 else row["quote"][:299].rstrip() + "…"
        carried = f", {row['outlet_count']} outlets" if (row.get("outlet_count") or 1) > 1 else ""
        out.print(
            f"\n[bold]{escape(who)}[/] [cyan]{', '.join(row['topics'])}[/] score {row['score']:.2f}",
            soft_wrap=True,
        )
        out.print(f"  “{escape(quote)}”", soft_wrap=True, highlight=False)
        out.print(
            f"  [dim]{escape(row['outlet'])}{carried} · {cell(row.get('published'))} · {row['url']}[/]",
            soft_wrap=True,
            highlight=False,
        )


@app.command()
@clean_errors
def init(db: DbOption = DEFAULT_DB) -> None:
    """Create the database (or bring it up to date) by applying the migrations in sql/."""
    from pipeline.store import Store

    applied = Store(db).migrate()
    out.print(f"{db}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))


@app.command()
@clean_errors
def run(
    feeds: Annotated[
        Path | None, typer.Option("--feeds", envvar="NEWSWATCH_FEEDS", help="Feed list (YAML).")
    ] = None,
    db: DbOption = DEFAULT_DB,
    alerts: Annotated[bool, typer.Option(help="Send alerts for new statements at the end.")] = True,
) -> None:
    """Run one ingestion pass: fetch due feeds and new articles, extract, detect, load, alert."""
    from pipeline.runner import run_from_cli

    summary = run_from_cli(feeds=feeds, db=db, send_alerts=alerts, console=out)
    if summary["status"] == "failed":
        err.print(
            f"[bold red]error:[/] every feed failed ({summary['feeds_failed']} of {summary['feeds_total']})"
        )
        raise typer.Exit(1)


@app.command("feeds")
@clean_errors
def feeds_command(db: DbOption = DEFAULT_DB) -> None:
    """Show the health of every feed: status, last success, items, new items, last error."""
    from pipeline.store import Store, load_query

    rows = Store(db).query(load_query("feed_health"))
    columns = ["name", "status", "failures", "last_success", "items", "new_items", "articles", "last_error"]
    out.print(table(rows, columns, f"feeds in {db}"))


@app.command()
@clean_errors
def articles(
    since: Annotated[str | None, typer.Option(help="ISO date/time or age (12h, 3d); default 1d.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """List the articles fetched since a time."""
    from pipeline.store import Store, load_query

    rows = Store(db).query(load_query("articles_since"), {"since": parse_since(since), "limit": limit})
    if as_json:
        for row in rows:
            out.print_json(json.dumps(row, default=str), indent=None)
        return
    out.print(
        table(
            rows,
            ["fetched_at", "outlet", "language", "status", "statements", "title"],
            f"{len(rows)} article(s)",
        )
    )


@app.command()
@clean_errors
def statements(
    since: Annotated[str | None, typer.Option(help="ISO date/time or age (12h, 3d); default 7d.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """List the topical statements stored since a time."""
    from pipeline.store import Store, load_query

    params = {"since": parse_since(since, default=timedelta(days=7)), "limit": limit}
    rows = Store(db).query(load_query("statements_since"), params)
    if as_json:
        for row in rows:
            out.print_json(json.dumps(row, default=str), indent=None)
        return
    out.print(f"[bold]{len(rows)} statement(s) since {cell(params['since'])} UTC[/]")
    _print_statements(rows)


@app.command()
@clean_errors
def extract(
    pages: Annotated[list[Path], typer.Argument(help="Saved HTML pages.", exists=True, dir_okay=False)],
    url: Annotated[str | None, typer.Option(help="The URL the page(s) came from.")] = None,
) -> None:
    """Run the pipeline's extraction on saved pages; one JSON object a line."""
    from pipeline.extract import extract_file

    for page in pages:
        sys.stdout.write(json.dumps(extract_file(page, url=url), ensure_ascii=False) + "\n")


@app.command()
@clean_errors
def detect(
    input_path: Annotated[Path, typer.Option("--input", help="Documents, JSON Lines {id, text}.")],
    output_path: Annotated[Path, typer.Option("--output", help="Where to write the statements (JSONL).")],
    include_all: Annotated[
        bool, typer.Option("--all", help="Every attributed statement, topical or not.")
    ] = False,
) -> None:
    """Detect statements in documents, as shared/eval/CONTRACT.md specifies."""
    from pipeline.detect.jsonl import detect_jsonl

    count = detect_jsonl(input_path, output_path, include_all=include_all)
    err.print(f"{count} document(s) -> {output_path}")


@app.command()
@clean_errors
def redetect(
    since: Annotated[
        str | None, typer.Option(help="Only articles fetched since (ISO or age); default all.")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Re-run detection on stored articles after a rule change (unchanged statements keep their ids)."""
    from pipeline.redetect import redetect_articles

    since_at = parse_since(since) if since else None
    report = redetect_articles(db, since=since_at)
    out.print(
        f"{report['articles']} article(s): {report['added']} statement(s) added, "
        f"{report['removed']} removed, {report['kept']} kept"
    )


@app.command()
@clean_errors
def demo(
    # Not NEWSWATCH_DB: the demo must never write sample data into the real database.
    db: Annotated[Path, typer.Option("--db", help="Where the demo's database goes.")] = Path(
        "data/demo.duckdb"
    ),
    port: Annotated[
        int, typer.Option(help="Port of the demo server on 127.0.0.1 (0: any free port).")
    ] = 8047,
) -> None:
    """Serve the sample outlet in seeds/demo/ on 127.0.0.1, ingest it into DB and show what was collected."""
    import dataclasses

    from pipeline.demo import demo_dir, serve_demo
    from pipeline.http import HttpSettings
    from pipeline.runner import run_from_cli
    from pipeline.store import Store, load_query

    # The demo server is on 127.0.0.1, which the address guard refuses unless told otherwise.
    http = dataclasses.replace(HttpSettings.from_env(), allow_private_addresses=True, host_delay=0.0)
    with serve_demo(port=port) as base:
        out.print(f"serving the sample outlet (fictional, sample data) at {base}")
        run_from_cli(
            feeds=demo_dir() / "feeds.yaml", base_url=base, db=db, send_alerts=False, console=out, http=http
        )
    store = Store(db)
    params = {"since": datetime(1970, 1, 1, tzinfo=UTC), "limit": 100}
    rows = store.query(load_query("articles_since"), params)
    out.print(table(rows, ["outlet", "language", "status", "statements", "title"], f"{len(rows)} article(s)"))
    rows = store.query(load_query("statements_since"), params)
    out.print(f"\n[bold]{len(rows)} topical statement(s)[/]")
    _print_statements(rows)
    out.print(f'query it yourself: duckdb {db} "SELECT * FROM statement_clusters"')
