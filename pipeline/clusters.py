"""Cross-outlet clusters: the same statement reported by several outlets shares one cluster id.

Two statements are the same when their speakers agree (by surname, or both unknown) and their normalised
quotes are near-identical, tolerant of small wording differences (a dropped word, different quote marks,
one outlet quoting a longer stretch of the same words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.records import stable_id

# Similarity (0-100) above which two quotes by the same speaker are one statement.
SAME_QUOTE = 88.0
# A shorter quote contained in a longer one counts only when it has at least this many characters.
MIN_PARTIAL = 40

_NON_WORD = re.compile(r"[^\w]+")


def normalise_text(text: str) -> str:
    """Lower case, no accents, punctuation and quote marks as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", plain.casefold()).strip()


def speaker_key(speaker: str | None) -> str:
    """The normalised last word of the speaker's name ('' when unknown): 'Sergey Lavrov' -> 'lavrov'."""
    words = normalise_text(speaker or "").split()
    return words[-1] if words else ""


def quote_key(quote: str) -> str:
    return normalise_text(quote)


@dataclass(frozen=True)
class ClusterKey:
    cluster_id: str
    speaker_key: str
    quote_key: str


def new_cluster(quote: str, speaker: str | None) -> ClusterKey:
    """The cluster a statement founds when it matches none: its id derives from its own keys."""
    s_key, q_key = speaker_key(speaker), quote_key(quote)
    return ClusterKey(stable_id("cluster", s_key, q_key), s_key, q_key)


def similarity(a: str, b: str) -> float:
    """How alike two normalised quotes are, 0-100; a long quote inside a longer one scores high."""
    score = fuzz.ratio(a, b)
    if min(len(a), len(b)) >= MIN_PARTIAL:
        score = max(score, fuzz.partial_ratio(a, b))
    return score


def find_cluster(quote: str, speaker: str | None, candidates: Iterable[ClusterKey]) -> ClusterKey | None:
    """The best-matching existing cluster for a statement, or None."""
    s_key, q_key = speaker_key(speaker), quote_key(quote)
    if not q_key:
        return None
    best, best_score = None, SAME_QUOTE
    for candidate in candidates:
        if candidate.speaker_key != s_key:
            continue
        score = similarity(q_key, candidate.quote_key)
        if score >= best_score:
            best, best_score = candidate, score
    return best
