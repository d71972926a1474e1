"""The alert rules file: the shipped example loads, secrets come from the environment, mistakes name the
file, the line and the field."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from pipeline.alerts import AlertConfig, load_alert_config
from pipeline.alerts.rules import parse_alert_config
from pipeline.errors import AlertError, ConfigError

REPO = Path(__file__).resolve().parents[1]
RULES = Path("rules.yaml")


def parse(text: str, **env: str) -> AlertConfig:
    return parse_alert_config(text, path=RULES, env=env)


def test_the_shipped_rules_load_with_their_variables_set() -> None:
    config = load_alert_config(
        REPO / "seeds" / "alerts.yaml", env={"NEWSWATCH_ALERT_URL": "json://127.0.0.1/x"}
    )

    modes = {rule.name: rule.mode for rule in config.rules}
    assert "immediate" in modes.values() and "digest" in modes.values()
    assert config.health is not None and config.health.failures
    assert all(c.url == "json://127.0.0.1/x" for r in config.rules for c in r.channels)
    assert all(
        c.label == "${NEWSWATCH_ALERT_URL}" for r in config.rules for c in r.channels
    )  # no secret shown


def test_a_missing_variable_names_the_rule_file_and_line() -> None:
    text = """rules:
  - name: fine
    topics: [nato_expansion]
    channels: ["json://127.0.0.1/a"]
  - name: needs-secret
    topics: [security_guarantees]
    channels:
      - "json://127.0.0.1/b"
      - "slack://${SLACK_TOKEN}/#desk"
"""
    with pytest.raises(AlertError) as caught:
        parse(text)

    message = str(caught.value)
    assert "rules.yaml:9" in message and "'needs-secret'" in message and "SLACK_TOKEN" in message


def test_a_preview_loads_without_the_secrets() -> None:
    config = load_alert_config(REPO / "seeds" / "alerts.yaml", env={}, require_env=False)

    assert config.rules and all(c.url is None for r in config.rules for c in r.channels)


@pytest.mark.parametrize(
    ("rule", "line", "field", "words"),
    [
        ("    topics: [nato_enlargement]\n", 4, "topics", "unknown topic 'nato_enlargement'"),
        ("    topics: [nato_expansion]\n    speakerz: [Lavrov]\n", 5, "speakerz", "unknown field"),
        ("    topics: [nato_expansion]\n    mode: hourly\n", 5, "mode", "immediate, digest"),
        ("    topics: [nato_expansion]\n    min_score: 7\n", 5, "min_score", "from 0 to 1"),
        ("    topics: [nato_expansion]\n    countries: [Russia]\n", 5, "countries", "'RUSSIA'"),
        ("    topics: [nato_expansion]\n    languages: [english]\n", 5, "languages", "'english'"),
        ("    topics: [nato_expansion]\n    mode: digest\n    digest_at: 7am\n", 6, "digest_at", "HH:MM"),
        ("    topics: [nato_expansion]\n    digest_at: '07:00'\n", 5, "digest_at", "only a digest rule"),
        ("    mode: digest\n", 2, "topics", "missing required field"),
    ],
)
def test_a_bad_rule_names_file_line_and_field(rule: str, line: int, field: str, words: str) -> None:
    text = f"rules:\n  - name: broken\n    channels: ['json://127.0.0.1/x']\n{rule}"

    with pytest.raises(ConfigError) as caught:
        parse(text)

    assert (caught.value.path, caught.value.line, caught.value.field) == (str(RULES), line, field)
    assert words in str(caught.value)


def test_an_unusable_channel_and_a_duplicate_name_are_rejected() -> None:
    bad_url = "rules:\n  - name: a\n    topics: [nato_expansion]\n    channels: ['nosuchservice://x']\n"
    duplicate = (
        "rules:\n"
        "  - {name: same, topics: [nato_expansion], channels: ['json://127.0.0.1/x']}\n"
        "  - {name: Same, topics: [nato_expansion], channels: ['json://127.0.0.1/x']}\n"
    )

    with pytest.raises(ConfigError, match=r"rules.yaml:4: channels: .*not an apprise URL"):
        parse(bad_url)
    with pytest.raises(
        ConfigError, match=r"rules.yaml:3: name: duplicate rule name 'Same' \(first on line 2\)"
    ):
        parse(duplicate)


def test_defaults_a_file_without_rules_and_a_missing_file(tmp_path: Path) -> None:
    config = parse(
        "health:\n  channels: ['json://127.0.0.1/ops']\n"
        "rules:\n  - {name: d, topics: security_guarantees, mode: digest, channels: 'json://127.0.0.1/d'}\n"
    )
    [rule] = config.rules

    assert (rule.topics, rule.digest_at, rule.min_score) == (("security_guarantees",), time(7, 0), 0.0)
    assert config.health is not None and config.health.failing_days == 3 and config.max_attempts == 5
    with pytest.raises(ConfigError, match="neither `rules` nor `health`"):
        parse("max_attempts: 3\n")
    with pytest.raises(ConfigError, match=r"missing\.yaml: alert rules file not found"):
        load_alert_config(tmp_path / "missing.yaml", env={})
