"""The detector's JSON Lines contract (shared/eval/CONTRACT.md): documents in, statements out."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from pipeline.detect.statements import detect_statements
from pipeline.errors import InputError

log = logging.getLogger(__name__)


def _read_document(line: str, path: Path, number: int) -> tuple[str, str, str | None, str | None]:
    try:
        doc: Any = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{number}: not JSON ({e.msg})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}:{number}: not a JSON object")
    doc_id, text, language = doc.get("id"), doc.get("text"), doc.get("language")
    if not isinstance(doc_id, str):
        raise InputError(f'{path}:{number}: no string "id"')
    if not isinstance(text, str):
        raise InputError(f'{path}:{number}: no string "text"')
    if language is not None and not isinstance(language, str):
        raise InputError(f'{path}:{number}: "language" must be a string')
    title = doc.get("title")
    return doc_id, text, language, title if isinstance(title, str) else None


def detect_jsonl(input_path: Path, output_path: Path, *, include_all: bool) -> int:
    """Detect statements in every document of `input_path`; write one line per document to `output_path`.

    Returns the number of documents. Without `include_all` only statements with a topic are written. The
    output appears whole or not at all: it goes to a temporary file beside it, renamed at the end.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    try:
        source = input_path.open(encoding="utf-8")
    except OSError as e:
        raise InputError(f"{input_path}: {e.strerror}") from None
    directory = output_path.resolve().parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=".detect-", suffix=".jsonl", dir=directory)
    except OSError as e:
        source.close()
        raise InputError(f"{output_path}: cannot write ({e.strerror})") from None
    count = 0
    try:
        with source, os.fdopen(fd, "w", encoding="utf-8") as sink:
            for number, line in enumerate(source, 1):
                if not line.strip():
                    continue
                doc_id, text, language, title = _read_document(line, input_path, number)
                statements = detect_statements(text, language, topical_only=not include_all, title=title)
                record = {"id": doc_id, "statements": [s.to_json() for s in statements]}
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        Path(temp_name).replace(output_path)
    except UnicodeDecodeError as e:
        Path(temp_name).unlink(missing_ok=True)
        raise InputError(f"{input_path}: not UTF-8 ({e.reason})") from None
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    log.info("detected statements in %d documents from %s", count, input_path)
    return count
