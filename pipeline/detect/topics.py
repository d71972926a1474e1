"""Topic tagging for statements (stub: the topics engineer replaces this module)."""

from __future__ import annotations

from dataclasses import dataclass

TOPICS = ("nato_expansion", "security_guarantees")


@dataclass(frozen=True)
class TopicTag:
    topics: tuple[str, ...]  # a subset of TOPICS, in TOPICS order
    score: float  # confidence in [0, 1] that the topics are right; 0.0 when there are none
    evidence: tuple[str, ...] = ()  # the terms or patterns that fired, for debugging


def tag_topics(quote: str, *, sentence: str = "", before: str = "", language: str | None = None) -> TopicTag:
    """Topics of a statement from its quote, the sentence(s) holding it, and the text just before it."""
    return TopicTag(topics=(), score=0.0)


def may_be_topical(text: str, *, language: str | None = None) -> bool:
    """A cheap pre-filter: False only when `text` cannot hold anything topical."""
    return True
