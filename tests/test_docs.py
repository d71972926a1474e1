"""The README documents what a user can type and set: every command and every NEWSWATCH_ variable."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from pipeline.cli import app

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_group(group)
    names = []
    for name, command in click_group.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            names += [f"{prefix}{name} {child}" for child in sub]
        else:
            names.append(f"{prefix}{name}")
    return names


def test_every_command_is_in_the_readme() -> None:
    missing = [c for c in _commands(app) if f"newswatch {c}" not in README]
    assert not missing, f"commands not in README.md: {missing}"


def test_every_setting_read_from_the_environment_is_in_the_readme() -> None:
    names: set[str] = set()
    for path in [*(REPO / "pipeline").rglob("*.py"), *(REPO / "dags").glob("*.py")]:
        names |= set(re.findall(r"\bNEWSWATCH_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    missing = sorted(n for n in names if n not in README)
    assert not missing, f"settings not in README.md's configuration table: {missing}"
