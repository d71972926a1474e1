"""The detector's JSON Lines contract (shared/eval/CONTRACT.md), through the function and `python -m`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.detect.jsonl import detect_jsonl
from pipeline.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    {
        "id": "a",
        "text": "“We will not accept new members,” Lavrov said.\n\nThe weather was fine.",
        "language": "en",
    },
    {"id": "b", "text": "Nothing is said here by anyone."},
    {
        "id": "c",
        "text": "Kremlin spokesman Dmitry Peskov told reporters the talks had stalled.",
        "title": "t",
    },
]


def write_docs(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def test_one_output_line_per_document_in_order(tmp_path: Path) -> None:
    out = tmp_path / "pred.jsonl"
    assert detect_jsonl(write_docs(tmp_path / "docs.jsonl", DOCS), out, include_all=True) == 3
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"]
    first = lines[0]["statements"][0]
    assert DOCS[0]["text"][first["start"] : first["end"]] == first["quote"]
    assert first["speaker"] == "Lavrov" and first["kind"] == "direct" and first["cue"] == "said"
    assert lines[1]["statements"] == []
    assert lines[2]["statements"][0]["speaker"] == "Dmitry Peskov"


def test_without_all_only_topical_statements_are_written(tmp_path: Path) -> None:
    out = tmp_path / "pred.jsonl"
    detect_jsonl(write_docs(tmp_path / "docs.jsonl", DOCS), out, include_all=False)
    for line in out.read_text(encoding="utf-8").splitlines():
        assert all(s["topics"] for s in json.loads(line)["statements"])


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [("not json", "not JSON"), ('{"id": "x"}', 'no string "text"'), ('["a"]', "not a JSON object")],
)
def test_bad_input_names_the_line_and_leaves_no_output(tmp_path: Path, bad_line: str, message: str) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps(DOCS[0]) + "\n" + bad_line + "\n", encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    with pytest.raises(InputError, match=f"docs.jsonl:2: {message}"):
        detect_jsonl(docs, out, include_all=True)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [docs]  # no temporary file left behind


def test_module_command(tmp_path: Path) -> None:
    docs, out = write_docs(tmp_path / "docs.jsonl", DOCS), tmp_path / "pred.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.detect", "--input", str(docs), "--output", str(out), "--all"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    missing = subprocess.run(
        [sys.executable, "-m", "pipeline.detect", "--input", str(tmp_path / "no.jsonl"), "--output", str(out)],  # noqa: E501
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "no.jsonl" in missing.stderr
