"""The `newswatch` command line: `commands` (ingestion, queries, detection, demo) and `alerts` (preview,
send, test), sharing `common` (consoles, `--db`, one-line errors). `main` is the console script.
"""

from pipeline.cli.alerts import alerts_app
from pipeline.cli.commands import app

app.add_typer(alerts_app, name="alerts", help="Preview, send and test alerts.")


def main() -> None:
    app()


__all__ = ["app", "main"]
