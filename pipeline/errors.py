"""The one exception tree of newswatch.

    NewswatchError                 anything the package raises on purpose; the CLI prints it as one line
    ├── ConfigError                a bad or missing setting or data file (names the file, line and field)
    ├── StoreError                 the database cannot be opened, migrated or written (names the path)
    │   └── StoreLockedError       another process holds the DuckDB file for longer than we wait
    ├── FetchError                 one HTTP request failed (carries the URL, and the status if there was one)
    │   ├── TransientFetchError    a retry later can help: timeouts, 429, 5xx, connection resets
    │   └── TerminalFetchError     it will not: 404, 410, refused addresses, oversize bodies, robots.txt
    ├── InputError                 unusable user input to a command (names the file and line)
    └── AlertError                 an alert rule or channel is unusable (names the rule)

Per-item failures (a dead feed, a 404 article, an empty extraction) are not raised past the stage that met
them: they become rows with a status and a reason. Per-run failures raise.
"""

from __future__ import annotations


class NewswatchError(Exception):
    """Base of every error newswatch raises on purpose."""


class ConfigError(NewswatchError):
    """A setting or data file is missing or invalid.

    The message names the file and, where known, the line and field.
    """

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        where = ""
        if path:
            where = path + (f":{line}" if line else "") + ": "
        what = f"{field}: " if field else ""
        super().__init__(f"{where}{what}{message}")
        self.path, self.line, self.field = path, line, field


class StoreError(NewswatchError):
    """The database cannot be opened, migrated or written."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file for longer than we are willing to wait."""


class FetchError(NewswatchError):
    """One HTTP request failed."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {message}")
        self.url, self.status, self.reason = url, status, message


class TransientFetchError(FetchError):
    """A failure that a later retry may get past (timeout, 429, 5xx, connection error)."""


class TerminalFetchError(FetchError):
    """A failure that retrying will not fix (404, 410, refused address, body too large, robots.txt)."""


class InputError(NewswatchError):
    """Unusable input given to a command; the message names the file and line."""


class AlertError(NewswatchError):
    """An alert rule or channel is unusable; the message names the rule."""
