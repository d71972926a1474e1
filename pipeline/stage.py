"""What one feed's fetch produced (`FeedOutcome`), its staged form on disk, and the run's URL claims.

Under Airflow each mapped fetch task writes its outcome to `<staging>/<run_id>/<feed_id>.json` and the load
task reads them back; the file is written to a temporary name and renamed, so a killed task leaves either
the old file or the new one, never half of one.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pipeline.detect import Statement
from pipeline.errors import StoreError
from pipeline.records import Article, stable_id

STAGE_FORMAT = 1


@dataclass(frozen=True)
class Page:
    """The raw HTML of an article, kept (compressed) so extraction and detection can be re-run."""

    article_id: str
    url: str
    fetched_at: datetime
    content_type: str | None
    encoding: str | None
    html: bytes


@dataclass(frozen=True)
class StagedStatement:
    """A detected statement ready to store: the detector's record plus its keys. Its cluster is chosen when
    it is loaded."""

    statement_id: str
    article_id: str
    detector_version: str
    statement: Statement

    def row(self) -> dict[str, Any]:
        """The `statements` columns this statement fills (all but cluster_id, first_seen and run_id)."""
        s = self.statement
        return {
            "statement_id": self.statement_id,
            "article_id": self.article_id,
            "quote": s.quote,
            "quote_start": s.start,
            "quote_end": s.end,
            "kind": s.kind,
            "speaker": s.speaker,
            "speaker_mention": s.speaker_mention,
            "speaker_start": s.speaker_start,
            "speaker_end": s.speaker_end,
            "speaker_role": s.speaker_role,
            "cue": s.cue,
            "topics": list(s.topics),
            "score": float(s.score),
            "detector_version": self.detector_version,
        }


@dataclass(frozen=True)
class FeedOutcome:
    """Everything one feed's fetch produced in one run, failures included."""

    run_id: str
    feed_id: str
    fetched_at: datetime
    status: str  # ok, not_modified, error
    http_status: int | None = None
    items: int = 0
    new_items: int = 0
    error: str | None = None
    elapsed_ms: int = 0
    etag: str | None = None  # the validators to store, when `advance_validators`
    last_modified: str | None = None
    advance_validators: bool = False
    articles: tuple[Article, ...] = ()
    pages: tuple[Page, ...] = ()
    statements: tuple[StagedStatement, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # (url, article_id): every URL an article was seen under
    article_errors: int = 0  # articles that failed transiently and will be tried again
    retryable: bool = True  # for a failed feed: whether trying again soon can help


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$zb64": base64.b64encode(zlib.compress(value)).decode("ascii")}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$zb64" in value:
            return zlib.decompress(base64.b64decode(value["$zb64"]))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def outcome_to_json(outcome: FeedOutcome) -> dict[str, Any]:
    body: dict[str, Any] = _encode(asdict(outcome))
    body["format"] = STAGE_FORMAT
    return body


def outcome_from_json(body: dict[str, Any]) -> FeedOutcome:
    raw = _decode({k: v for k, v in body.items() if k != "format"})
    raw["articles"] = tuple(Article(**a) for a in raw["articles"])
    raw["pages"] = tuple(Page(**p) for p in raw["pages"])
    raw["statements"] = tuple(
        StagedStatement(
            **{**s, "statement": Statement(**{**s["statement"], "topics": tuple(s["statement"]["topics"])})}
        )
        for s in raw["statements"]
    )
    raw["aliases"] = tuple(tuple(a) for a in raw["aliases"])
    known = {f.name for f in fields(FeedOutcome)}
    return FeedOutcome(**{k: v for k, v in raw.items() if k in known})


def staging_folder(staging: Path, run_id: str) -> Path:
    # Airflow run ids hold ':' and '+'; keep the folder name portable.
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return staging / safe


def write_outcome(outcome: FeedOutcome, staging: Path) -> Path:
    """Write the outcome atomically to `<staging>/<run_id>/<feed_id>.json`; return the path."""
    folder = staging_folder(staging, outcome.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{outcome.feed_id}.json"
    tmp = path.with_suffix(f".json.tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(outcome_to_json(outcome), f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    return path


def read_outcome(path: Path) -> FeedOutcome:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StoreError(f"{path}: unreadable staged outcome: {error}") from error
    if body.get("format") != STAGE_FORMAT:
        raise StoreError(f"{path}: staged with format {body.get('format')!r}, expected {STAGE_FORMAT}")
    return outcome_from_json(body)


def read_staged(staging: Path, run_id: str) -> list[FeedOutcome]:
    """Every outcome staged for a run, in file-name order."""
    folder = staging_folder(staging, run_id)
    return [read_outcome(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


# --- which feed downloads an article that several feeds list ----------------------------------------


class Claims(Protocol):
    """Which feed of this run downloads an article two feeds both list: the first to claim its URL."""

    def claim(self, url: str, feed_id: str) -> bool: ...


@dataclass
class MemoryClaims:
    """Claims within one process (`run_pass`)."""

    owners: dict[str, str] = field(default_factory=dict)

    def claim(self, url: str, feed_id: str) -> bool:
        return self.owners.setdefault(url, feed_id) == feed_id


@dataclass(frozen=True)
class FileClaims:
    """Claims shared by the separate fetch tasks of one Airflow run, as files in the run's staging folder.

    Creating a file with O_EXCL is atomic on a local or shared file system, so exactly one task wins a URL;
    a retried task finds its own claims and keeps them.
    """

    folder: Path

    def claim(self, url: str, feed_id: str) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / stable_id("claim", url)
        try:
            with path.open("x", encoding="ascii") as f:
                f.write(feed_id)
            return True
        except FileExistsError:
            return path.read_text(encoding="ascii").strip() == feed_id
