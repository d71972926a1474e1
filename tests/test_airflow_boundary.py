"""Airflow stays at the edge: the package imports and runs without it, and only `dags/` mentions it.

Each import check runs in a fresh interpreter, because this test session may itself have imported Airflow.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Imports `pipeline.cli` and then every module of the package, and reports what got imported.
_IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
{prelude}
import pipeline
# pipeline.__main__ is left out: importing it runs the CLI.
modules = pkgutil.walk_packages(pipeline.__path__, "pipeline.")
names = ["pipeline.cli"] + sorted(m.name for m in modules if not m.name.endswith(".__main__"))
for name in names:
    importlib.import_module(name)
airflow = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
print(json.dumps({{"imported": names, "airflow": airflow}}))
"""


def _import_everything(prelude: str = "") -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERYTHING.format(prelude=prelude)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_whole_package_does_not_import_airflow() -> None:
    report = _import_everything()
    assert {"pipeline.cli", "pipeline.ingest", "pipeline.store"} <= set(report["imported"])
    assert report["airflow"] == []


def test_the_package_imports_where_airflow_cannot_be_imported() -> None:
    # `sys.modules["airflow"] = None` makes every `import airflow…` raise ImportError, as on an install
    # without the `airflow` extra.
    report = _import_everything(prelude='sys.modules["airflow"] = None')
    assert "pipeline.cli" in report["imported"]


def test_the_cli_answers_without_airflow() -> None:
    script = 'import sys; sys.modules["airflow"] = None; sys.argv = ["newswatch", "--help"]\n' + (
        "from pipeline.cli import main\nmain()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "run" in result.stdout


_AIRFLOW_IMPORT = re.compile(r"^\s*(from|import)\s+airflow\b", re.MULTILINE)


def test_no_module_of_the_package_imports_airflow_even_lazily() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "pipeline").rglob("*.py"))
        if _AIRFLOW_IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_dags_import_airflow_and_the_package_only_inside_tasks() -> None:
    # A DAG file is parsed every few seconds by the dag-processor: at top level it may import Airflow and its
    # sibling helper, but `pipeline` (and with it DuckDB, httpx, trafilatura) only inside the task bodies.
    top_level_pipeline = re.compile(r"^(from|import)\s+pipeline\b", re.MULTILINE)
    dag_files = sorted((REPO / "dags").glob("*.py"))
    assert {p.name for p in dag_files} >= {"newswatch_ingest.py", "newswatch_alerts.py"}
    assert [p.name for p in dag_files if top_level_pipeline.search(p.read_text(encoding="utf-8"))] == []
