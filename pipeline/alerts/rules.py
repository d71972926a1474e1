"""Alert rules (`seeds/alerts.yaml`, or the file `NEWSWATCH_ALERTS` names): load and validate.

The file is a mapping with three keys, all optional but at least one of `rules` or `health`::

    max_attempts: 5                  # tries per message and channel before giving up (default 5)
    rules:
      - name: kremlin-guarantees     # unique; part of every idempotency key, so renaming re-alerts
        topics: [security_guarantees]            # one or more of pipeline.detect.topics.TOPICS
        speakers: [Lavrov, Peskov]   # optional; matched as whole words in the speaker's name or role
        countries: [RU]              # optional; the country of the feed that carried the article
        outlets: [TASS]              # optional; the outlet names as in the feed list
        languages: [ru, en]          # optional; the article's language
        min_score: 0.5               # optional; the statement's detector score, 0 to 1 (default 0)
        mode: immediate              # immediate (default) or digest
        max_age_hours: 48            # immediate only: ignore clusters first seen longer ago (default 48)
        digest_at: "07:00"           # digest only: UTC time of day from which yesterday's digest is due
        channels: ["${NEWSWATCH_ALERT_URL}", "mailto://..."]   # apprise URLs
    health:
      channels: ["${OPS_WEBHOOK_URL}"]
      failing_days: 3                # a feed failing this many days in a row alerts once (default 3)
      empty_runs: true               # a run in which no feed could be read alerts once (default true)
      failures: true                 # Airflow task failures are sent here (default true)

`${VAR}` in a channel is replaced by the environment variable VAR; a variable that is not set is an
`AlertError` naming the rule, the file and the line. Every other problem is a `ConfigError` naming the file,
the line and the field. Unknown fields are rejected so that a typo does not silently widen a rule.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import apprise
import yaml

from pipeline.config import EXTRA_COUNTRIES, ISO_639_1, ISO_3166_1_ALPHA_2
from pipeline.detect.topics import TOPICS
from pipeline.errors import AlertError, ConfigError
from pipeline.seedfile import compose, entries, line, read_text

log = logging.getLogger(__name__)

MODES = ("immediate", "digest")
DEFAULT_MAX_ATTEMPTS = 5
HEALTH_RULE = "health"  # the rule name health alerts are recorded under

_RULE_FIELDS = (
    "name",
    "topics",
    "speakers",
    "countries",
    "outlets",
    "languages",
    "min_score",
    "mode",
    "max_age_hours",
    "digest_at",
    "channels",
)
_HEALTH_FIELDS = ("channels", "failing_days", "empty_runs", "failures")
_TOP_FIELDS = ("rules", "health", "max_attempts")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Channel:
    """One apprise URL as written in the rules file, and as resolved from the environment."""

    template: str  # as written: `${VAR}` kept, so it is safe to store and show
    url: str | None = field(default=None, repr=False)  # resolved; None when loaded without the environment

    @property
    def label(self) -> str:
        """How the channel is shown and recorded: the template, with any inline password hidden."""
        if "${" in self.template or self.url is None:
            return self.template
        service = apprise.Apprise.instantiate(self.url)
        return str(service.url(privacy=True)) if service is not None else self.template


@dataclass(frozen=True)
class Rule:
    name: str
    topics: tuple[str, ...]
    channels: tuple[Channel, ...]
    mode: str = "immediate"
    speakers: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    min_score: float = 0.0
    max_age_hours: int = 48
    digest_at: time = time(7, 0)


@dataclass(frozen=True)
class HealthRule:
    channels: tuple[Channel, ...]
    failing_days: int = 3
    empty_runs: bool = True
    failures: bool = True


@dataclass(frozen=True)
class AlertConfig:
    """A whole rules file."""

    path: Path
    rules: tuple[Rule, ...] = ()
    health: HealthRule | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


def load_alert_config(
    path: Path, *, env: Mapping[str, str] | None = None, require_env: bool = True
) -> AlertConfig:
    """The rules file at `path`, validated.

    With `require_env=False` the `${VAR}` channels are left unresolved (for previews, which send nothing).
    """
    text = read_text(path, what="alert rules file")
    return parse_alert_config(
        text, path=path, env=os.environ if env is None else env, require_env=require_env
    )


def parse_alert_config(
    text: str, *, path: Path, env: Mapping[str, str], require_env: bool = True
) -> AlertConfig:
    """The rules in a rules file's YAML `text`; `path` names the source in error messages."""
    reader = _Reader(str(path), env, require_env)
    root = compose(text, path=str(path))
    if root is None:
        raise ConfigError("the file is empty; expected `rules:` and/or `health:`", path=str(path))
    top = reader.mapping(root, _TOP_FIELDS, what="the file")
    if "rules" not in top and "health" not in top:
        raise ConfigError("holds neither `rules` nor `health`", path=str(path), line=line(root))

    max_attempts = DEFAULT_MAX_ATTEMPTS
    if "max_attempts" in top:
        max_attempts = reader.integer(top["max_attempts"], "max_attempts", minimum=1)

    rules: list[Rule] = []
    if "rules" in top:
        rules_node = top["rules"]
        if not isinstance(rules_node, yaml.SequenceNode):
            raise reader.error(rules_node, "rules", "must be a list of rules")
        seen: dict[str, int] = {}
        for node in rules_node.value:
            rule = reader.rule(node)
            if rule.name.casefold() in seen:
                raise reader.error(
                    node,
                    "name",
                    f"duplicate rule name {rule.name!r} (first on line {seen[rule.name.casefold()]})",
                )
            seen[rule.name.casefold()] = line(node)
            rules.append(rule)
    health = reader.health(top["health"]) if "health" in top else None
    log.debug("loaded %d alert rules from %s", len(rules), path)
    return AlertConfig(path=path, rules=tuple(rules), health=health, max_attempts=max_attempts)


class _Reader:
    """Turns YAML nodes into rule values, raising errors that point at the node."""

    def __init__(self, path: str, env: Mapping[str, str], require_env: bool) -> None:
        self.path, self.env, self.require_env = path, env, require_env
        self._constructor = yaml.constructor.SafeConstructor()

    def error(self, node: yaml.Node, field: str, message: str) -> ConfigError:
        return ConfigError(message, path=self.path, line=line(node), field=field)

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...], *, what: str) -> dict[str, yaml.Node]:
        return {k: v for k, (_, v) in entries(node, path=self.path, what=what, allowed=allowed).items()}

    def text(self, node: yaml.Node, field: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.error(node, field, "must be a non-empty text value")
        return str(node.value).strip()

    def texts(self, node: yaml.Node, field: str) -> tuple[str, ...]:
        """A list of texts; a single text counts as a list of one."""
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        values = tuple(self.text(item, field) for item in items)
        if not values:
            raise self.error(node, field, "must list at least one value")
        return values

    def scalar(self, node: yaml.Node, field: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, field, "must be a single value")
        return self._constructor.construct_object(node, deep=True)

    def integer(self, node: yaml.Node, field: str, *, minimum: int) -> int:
        value = self.scalar(node, field)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(node, field, f"must be a whole number of at least {minimum}, got {node.value!r}")
        return value

    def boolean(self, node: yaml.Node, field: str) -> bool:
        value = self.scalar(node, field)
        if not isinstance(value, bool):
            raise self.error(node, field, f"must be true or false, got {node.value!r}")
        return value

    def channels(self, node: yaml.Node, owner: str) -> tuple[Channel, ...]:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if not items:
            raise self.error(node, "channels", "must list at least one apprise URL")
        return tuple(self.channel(item, owner) for item in items)

    def channel(self, node: yaml.Node, owner: str) -> Channel:
        template = self.text(node, "channels")
        names = _VARIABLE.findall(template)
        if not self.require_env and names:
            return Channel(template)
        missing = [n for n in names if not self.env.get(n)]
        if missing:
            raise AlertError(
                f"{self.path}:{line(node)}: rule {owner!r}: channel {template!r} needs the environment "
                f"variable{'s' if len(missing) > 1 else ''} {', '.join(missing)}, which "
                f"{'are' if len(missing) > 1 else 'is'} not set"
            )
        url = _VARIABLE.sub(lambda m: self.env[m.group(1)], template)
        if apprise.Apprise.instantiate(url) is None:
            shown = template if names else "this URL"
            raise self.error(
                node, "channels", f"rule {owner!r}: {shown} is not an apprise URL apprise can use"
            )
        return Channel(template, url)

    def rule(self, node: yaml.Node) -> Rule:
        entries = self.mapping(node, _RULE_FIELDS, what="a rule")
        for required in ("name", "topics", "channels"):
            if required not in entries:
                raise self.error(node, required, "missing required field")
        name = self.text(entries["name"], "name")
        topics = self.texts(entries["topics"], "topics")
        for topic in topics:
            if topic not in TOPICS:
                raise self.error(
                    entries["topics"], "topics", f"unknown topic {topic!r} (known: {', '.join(TOPICS)})"
                )
        mode = self.text(entries["mode"], "mode") if "mode" in entries else "immediate"
        if mode not in MODES:
            raise self.error(entries["mode"], "mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
        if mode != "digest" and "digest_at" in entries:
            raise self.error(entries["digest_at"], "digest_at", "only a digest rule has a digest time")
        if mode != "immediate" and "max_age_hours" in entries:
            raise self.error(
                entries["max_age_hours"], "max_age_hours", "only an immediate rule has a maximum age"
            )
        values: dict[str, Any] = {"name": name, "topics": topics, "mode": mode}
        for key in ("speakers", "outlets"):
            if key in entries:
                values[key] = self.texts(entries[key], key)
        if "countries" in entries:
            values["countries"] = self.codes(entries["countries"], "countries", upper=True)
        if "languages" in entries:
            values["languages"] = self.codes(entries["languages"], "languages", upper=False)
        if "min_score" in entries:
            score = self.scalar(entries["min_score"], "min_score")
            if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
                raise self.error(
                    entries["min_score"], "min_score", f"must be a number from 0 to 1, got {score!r}"
                )
            values["min_score"] = float(score)
        if "max_age_hours" in entries:
            values["max_age_hours"] = self.integer(entries["max_age_hours"], "max_age_hours", minimum=1)
        if "digest_at" in entries:
            clock = _CLOCK.match(self.text(entries["digest_at"], "digest_at"))
            if not clock:
                raise self.error(entries["digest_at"], "digest_at", 'must be a UTC time of day as "HH:MM"')
            values["digest_at"] = time(int(clock.group(1)), int(clock.group(2)))
        values["channels"] = self.channels(entries["channels"], name)
        return Rule(**values)

    def codes(self, node: yaml.Node, field: str, *, upper: bool) -> tuple[str, ...]:
        codes = tuple(c.upper() if upper else c.lower() for c in self.texts(node, field))
        known = (ISO_3166_1_ALPHA_2 | EXTRA_COUNTRIES) if upper else ISO_639_1
        for code in codes:
            if code not in known:
                kind = "an ISO 3166-1 alpha-2 country code or INT" if upper else "an ISO 639-1 language code"
                raise self.error(node, field, f"{code!r} is not {kind}")
        return codes

    def health(self, node: yaml.Node) -> HealthRule:
        entries = self.mapping(node, _HEALTH_FIELDS, what="the health block")
        if "channels" not in entries:
            raise self.error(node, "channels", "missing required field")
        values: dict[str, Any] = {"channels": self.channels(entries["channels"], HEALTH_RULE)}
        if "failing_days" in entries:
            values["failing_days"] = self.integer(entries["failing_days"], "failing_days", minimum=1)
        for key in ("empty_runs", "failures"):
            if key in entries:
                values[key] = self.boolean(entries[key], key)
        return HealthRule(**values)
