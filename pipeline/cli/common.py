"""What every `newswatch` command shares: the consoles, the `--db` option, clean one-line errors, `--since`.

The CLI only parses arguments and prints; the package does the work. Every error the package raises on purpose
(`NewswatchError`) is printed as one line and exits with status 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from pipeline.errors import InputError, NewswatchError

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    Path,
    typer.Option(
        "--db", envvar="NEWSWATCH_DB", help="The DuckDB file (env NEWSWATCH_DB).", show_default=True
    ),
]
F = TypeVar("F", bound=Callable[..., Any])


def clean_errors(command: F) -> F:
    """Print the package's errors as one line and exit 1, instead of a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NewswatchError as error:
            err.print(f"[bold red]error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")


def parse_since(value: str | None, *, default: timedelta = timedelta(days=1)) -> datetime:
    """`--since`: an ISO date or time ("2026-11-01", "2026-11-01T08:00Z") or an age ("12h", "3d", "2w")."""
    now = datetime.now(UTC)
    if not value:
        return now - default
    match = _RELATIVE.match(value.strip().lower())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: amount})
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--since {value!r}: expected an ISO date/time or an age like 12h, 3d, 2w") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    return table


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
