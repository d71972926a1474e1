"""Render alert messages: plain text, Markdown and HTML of the same content.

Every message ends with its reference (the idempotency key), so that even a channel without headers lets a
reader or a receiving system recognise a repeat. Text from articles is untrusted: it is escaped for HTML and
Markdown, and quotes are trimmed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pipeline.alerts.select import Cluster

QUOTE_CHARS = 320
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    markdown: str
    html: str
    key: str  # the idempotency key the message carries


def topic_label(topic: str) -> str:
    return topic.replace("_", " ")


def trim_quote(quote: str, limit: int = QUOTE_CHARS) -> str:
    """The quote on one line, cut at a word boundary with an ellipsis when longer than `limit`."""
    flat = " ".join(quote.split()).rstrip(",;: ")
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"


def format_time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"


def speaker_line(cluster: Cluster) -> str:
    lead = cluster.lead
    speaker = lead.speaker or "Unnamed source"
    return f"{speaker} ({lead.speaker_role})" if lead.speaker_role else speaker


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_cluster(cluster: Cluster, *, rule: str, key: str) -> Message:
    """The message of an immediate alert: who, what, topics, outlets and links, when."""
    lead = cluster.lead
    who = speaker_line(cluster)
    quote = trim_quote(lead.quote)
    topics = ", ".join(topic_label(t) for t in cluster.topics)
    links = cluster.links()
    title = f"{lead.speaker or 'Unnamed source'} on {topics}"
    outlets = ", ".join(o for o, _ in links)
    reported = f"Reported by {len(links)} outlet{'s' if len(links) != 1 else ''}"
    published = format_time(cluster.published)

    text = "\n".join(
        [
            f"{who}:",
            f"“{quote}”",
            "",
            f"Topics: {topics}",
            f"Published: {published}",
            f"{reported}: {outlets}",
            f"Link: {lead.url}",
            *(f"  {outlet}: {url}" for outlet, url in links),
            "",
            f"Rule: {rule} · Ref: {key}",
        ]
    )
    markdown = "\n".join(
        [
            f"**{_md(who)}**:",
            f"> {_md(quote)}",
            "",
            f"**Topics:** {_md(topics)}  ",
            f"**Published:** {published}  ",
            f"**{reported}:** " + ", ".join(f"[{_md(o)}]({_md_url(u)})" for o, u in links),
            "",
            f"Rule: {_md(rule)} · Ref: `{key}`",
        ]
    )
    body = "".join(
        [
            f"<p><strong>{_h(who)}</strong>:</p>",
            f"<blockquote>“{_h(quote)}”</blockquote>",
            f"<p><strong>Topics:</strong> {_h(topics)}<br>",
            f"<strong>Published:</strong> {published}<br>",
            f"<strong>{reported}:</strong> ",
            ", ".join(f'<a href="{_h(u)}">{_h(o)}</a>' for o, u in links),
            "</p>",
            f"<p><small>Rule: {_h(rule)} · Ref: {key}</small></p>",
        ]
    )
    return Message(title=title, text=text, markdown=markdown, html=body, key=key)


def digest_sections(
    clusters: Sequence[Cluster], topics: Sequence[str]
) -> list[tuple[str, list[tuple[str, list[Cluster]]]]]:
    """Clusters by topic (the first of `topics` each carries), then by speaker, in order of first sight."""
    sections: dict[str, dict[str, list[Cluster]]] = {}
    for cluster in clusters:
        topic = next((t for t in topics if t in cluster.topics), cluster.topics[0] if cluster.topics else "")
        speaker = cluster.lead.speaker or "Unnamed source"
        sections.setdefault(topic, {}).setdefault(speaker, []).append(cluster)
    ordered = sorted(
        sections.items(), key=lambda item: topics.index(item[0]) if item[0] in topics else len(topics)
    )
    return [(topic, list(speakers.items())) for topic, speakers in ordered]


def render_digest(
    clusters: Sequence[Cluster], *, rule: str, day: date, topics: Sequence[str], key: str
) -> Message:
    """A daily digest: the day's new clusters by topic and speaker."""
    count = len(clusters)
    title = f"newswatch digest for {day.isoformat()}: {count} new statement{'s' if count != 1 else ''}"
    text_lines, md_lines, html_parts = [title, ""], [f"**{_md(title)}**", ""], [f"<h2>{_h(title)}</h2>"]
    for topic, speakers in digest_sections(clusters, topics):
        label = topic_label(topic).capitalize()
        text_lines += [f"== {label} ==", ""]
        md_lines += [f"### {_md(label)}", ""]
        html_parts.append(f"<h3>{_h(label)}</h3>")
        for speaker, items in speakers:
            role = items[0].lead.speaker_role
            who = f"{speaker} ({role})" if role else speaker
            text_lines.append(f"{who}:")
            md_lines.append(f"**{_md(who)}**")
            html_parts.append(f"<p><strong>{_h(who)}</strong></p><ul>")
            for cluster in items:
                quote = trim_quote(cluster.lead.quote, 200)
                outlets = ", ".join(cluster.outlets)
                published = format_time(cluster.published)
                text_lines += [f"  - “{quote}”", f"    {outlets} · {published} · {cluster.lead.url}"]
                md_lines.append(
                    f"- “{_md(quote)}” — {_md(outlets)}, {published}, [link]({_md_url(cluster.lead.url)})"
                )
                html_parts.append(
                    f"<li>“{_h(quote)}” — {_h(outlets)}, {published}, "
                    f'<a href="{_h(cluster.lead.url)}">link</a></li>'
                )
            text_lines.append("")
            md_lines.append("")
            html_parts.append("</ul>")
    footer = f"Rule: {rule} · Ref: {key}"
    text_lines.append(footer)
    md_lines.append(f"Rule: {_md(rule)} · Ref: `{key}`")
    html_parts.append(f"<p><small>{_h(footer)}</small></p>")
    return Message(
        title=title,
        text="\n".join(text_lines),
        markdown="\n".join(md_lines),
        html="".join(html_parts),
        key=key,
    )


def render_notice(title: str, body: str, *, key: str = "") -> Message:
    """A plain notice (pipeline health, a failed task, a channel test)."""
    footer = f"Ref: {key}" if key else ""
    text = body + (f"\n\n{footer}" if footer else "")
    markdown = _md(body) + (f"\n\n{footer}" if footer else "")
    body_html = "".join(f"<p>{_h(p)}</p>" for p in body.split("\n\n")) + (
        f"<p><small>{footer}</small></p>" if footer else ""
    )
    return Message(title=title, text=text, markdown=markdown, html=body_html.replace("\n", "<br>"), key=key)
