"""Alerts on new statements: tell users, once per statement cluster, who said what and where.

    rules     load and validate the rules file (`seeds/alerts.yaml`, or `NEWSWATCH_ALERTS`)
    select    pure: which clusters match which rule, which deliveries are owed
    render    pure: plain text, Markdown and HTML messages
    deliver   send one message to one apprise URL
    (the store reads and per-attempt writes live in pipeline.store.alerts)
    health    pure: failing feeds and empty runs as alert episodes
    steps     `send_alerts`, `check_health`, `notify_failure` — what the CLI and the DAG call

The delivery guarantee and the rules format are in `docs/alerts.md`.
"""

from pipeline.alerts.rules import AlertConfig, Channel, HealthRule, Rule, load_alert_config
from pipeline.alerts.steps import AlertReport, Delivery, check_health, notify_failure, send_alerts

__all__ = [
    "AlertConfig",
    "AlertReport",
    "Channel",
    "Delivery",
    "HealthRule",
    "Rule",
    "check_health",
    "load_alert_config",
    "notify_failure",
    "send_alerts",
]
