"""Topic tagging for statements: which of TOPICS (see shared/TOPICS.md) a reported statement is about.

`rules` loads and validates `seeds/topics.yaml`; `needs` derives the literal words each rule cannot match
without; `gate` finds the paragraphs of a text that may hold a topical statement; `tagging` tags one
statement (`tag_topics`) and holds the cheap pre-filter `may_be_topical`.
"""

from pipeline.detect.topics.gate import TopicalGate, topical_gate, topical_paragraphs
from pipeline.detect.topics.rules import (
    BEFORE_CHARS,
    TOPICS,
    TOPICS_FILE,
    LanguageRules,
    NegativeCue,
    TopicRule,
    TopicRules,
    load_topic_rules,
)
from pipeline.detect.topics.tagging import TopicTag, may_be_topical, tag_topics

__all__ = [
    "BEFORE_CHARS",
    "TOPICS",
    "TOPICS_FILE",
    "LanguageRules",
    "NegativeCue",
    "TopicRule",
    "TopicRules",
    "TopicTag",
    "TopicalGate",
    "load_topic_rules",
    "may_be_topical",
    "tag_topics",
    "topical_gate",
    "topical_paragraphs",
]
