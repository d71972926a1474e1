"""Reading newswatch's YAML data files so that every error names the file, the line and the field.

The files in `seeds/` (feed list, alert rules, lexicons) are parsed to YAML *nodes*, not Python values: nodes
keep their line numbers, so a bad value can be reported where it stands, and every value is read as the
text written (`language: no` stays Norwegian).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipeline.errors import ConfigError


def read_text(path: Path, *, what: str) -> str:
    """The text of a data file; a missing or unreadable one raises `ConfigError` naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the {what}: {exc}", path=str(path)) from exc


def compose(text: str, *, path: str) -> yaml.Node | None:
    """The YAML node tree of `text` (None for an empty document); invalid YAML raises with its line."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(
            f"not valid YAML: {exc.problem or exc}", path=path, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=path) from None


def line(node: yaml.Node) -> int:
    """The 1-based line a node starts on."""
    return int(node.start_mark.line) + 1


def entries(
    node: yaml.Node, *, path: str, what: str, allowed: tuple[str, ...] | None = None
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping node's (key node, value node) pairs by key text.

    Rejects a node that is not a mapping, a key given twice, and, when `allowed` is given, any other key.
    """
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{what} must be a mapping of fields", path=path, line=line(node))
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
        if allowed is not None and key not in allowed:
            raise ConfigError(
                f"unknown field in {what} (allowed: {', '.join(allowed)})",
                path=path,
                line=line(key_node),
                field=key,
            )
        if key in found:
            raise ConfigError("field given twice", path=path, line=line(key_node), field=key)
        found[key] = (key_node, value_node)
    return found
