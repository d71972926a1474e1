"""Send one message to one apprise URL, and say whether it went.

The channel picks the body: the URL's `?format=` (text, markdown, html) when given, else the format apprise
lists first for the service (HTML for email, plain text for JSON webhooks, Markdown for Slack).
The idempotency key travels with the message:

- in the body's last line (`Ref: nw-…`), for every channel;
- as the `X-Newswatch-Key` header, for services that send headers (JSON/XML/form webhooks, email);
- as `idempotency_key` in the JSON payload of `json://` webhooks.

Failures are returned, never raised: a channel that is down is a row in `alerts`, not a crashed run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import apprise

from pipeline.alerts.render import Message

log = logging.getLogger(__name__)

KEY_HEADER = "X-Newswatch-Key"
KEY_FIELD = "idempotency_key"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None


def deliver_message(url: str, message: Message) -> Outcome:
    """Send `message` to the apprise `url`; the outcome says whether the service accepted it."""
    asset = apprise.AppriseAsset(storage_mode="memory")
    service = apprise.Apprise.instantiate(url, asset=asset)
    if service is None:
        return Outcome(False, "not an apprise URL apprise can use")
    if message.key:
        headers = getattr(service, "headers", None)
        if isinstance(headers, dict):
            headers[KEY_HEADER] = message.key
        extras = getattr(service, "payload_extras", None)
        if isinstance(extras, dict):
            extras[KEY_FIELD] = message.key
    body_format = _preferred_format(service)
    body = {
        apprise.NotifyFormat.HTML: message.html,
        apprise.NotifyFormat.MARKDOWN: message.markdown,
    }.get(body_format, message.text)
    with apprise.LogCapture(level=logging.WARNING) as captured:
        try:
            ok = bool(service.notify(body=body, title=message.title, body_format=body_format))
        except Exception as exc:  # a plugin bug must not end the run; the attempt is recorded as failed
            log.exception("apprise raised while sending to %s", service.url(privacy=True))
            return Outcome(False, f"{type(exc).__name__}: {exc}")
    if ok:
        return Outcome(True)
    problems = [line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines() if line.strip()]
    return Outcome(False, "; ".join(problems)[-500:] or "the service did not accept the message")


def _preferred_format(service: object) -> apprise.NotifyFormat:
    """The URL's `?format=` when given, else the first format the service lists."""
    resolve = getattr(service, "resolve_format", None)
    if callable(resolve):
        resolved = resolve()
        if isinstance(resolved, apprise.NotifyFormat):
            return resolved
    formats = getattr(service, "notify_format", apprise.NotifyFormat.TEXT)
    if isinstance(formats, tuple | list):
        formats = formats[0] if formats else apprise.NotifyFormat.TEXT
    return formats if isinstance(formats, apprise.NotifyFormat) else apprise.NotifyFormat.TEXT
