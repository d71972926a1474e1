"""Airflow stays at the edge: the package imports and runs without it, and only `dags/` mentions it.

Each import check runs in a fresh interpreter, because this test session may itself have imported Airflow.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


# --- the compose deployment (no Docker engine needed) ------------------------------------------------------


def test_the_compose_file_follows_the_compose_spec() -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed (the `dev` extra)")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(REPO / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_init_creates_the_pool_the_dags_write_through() -> None:
    compose = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    common = (REPO / "dags" / "_newswatch_common.py").read_text(encoding="utf-8")
    pool = re.search(r'^DUCKDB_POOL = "([^"]+)"', common, re.MULTILINE)
    assert pool is not None
    assert re.search(rf"airflow pools set {re.escape(pool.group(1))} 1 ", compose)
    for service in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert f"\n  {service}:\n" in compose


def test_every_setting_in_env_example_is_read_somewhere() -> None:
    # A misspelt variable in .env.example would be silently ignored by everything.
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?\s*(NEWSWATCH_[A-Z_]+)=", example, re.MULTILINE))
    assert {"NEWSWATCH_SCHEDULE", "NEWSWATCH_ALERT_URL"} <= names
    readers = [REPO / "docker-compose.yml", *sorted((REPO / "pipeline").rglob("*.py"))]
    readers += sorted((REPO / "dags").glob("*.py")) + sorted((REPO / "seeds").glob("*.yaml"))
    text = "\n".join(path.read_text(encoding="utf-8") for path in readers)
    # The compose file itself defines the variable it sets (e.g. `NEWSWATCH_DB: …`); count readers only.
    unread = sorted(n for n in names if not re.search(rf"{n}\b(?![:=])|\$\{{{n}\b", text))
    assert unread == []
