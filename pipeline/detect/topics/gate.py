"""The paragraph gate: which paragraphs of a text may hold a topical statement, for the stored-statement
path, and which rules statements inside the text can bring into play (handed to `tag_topics`).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.detect.topics.needs import (
    _all_needs_in,
    _case_simple,
    _gate,
    _live_scan,
    _may_match,
    _present_needs,
    _refers_back,
    _scope,
)
from pipeline.detect.topics.rules import BEFORE_CHARS, TopicRule, _languages_for, load_topic_rules


@dataclass(frozen=True)
class TopicalGate:
    """What the paragraph gate learnt about one text (see `topical_gate`)."""

    paragraphs: tuple[int, ...]  # the paragraphs that may hold a topical statement
    # for each language code, the rules a quote and a sentence taken from this text can bring into play
    # (the rules live in the whole text and those a word spanning the join of the two could make live),
    # in rule order, each with the words it needs that may occur in such a part; None when casefolding
    # the text differs from lowercasing it
    live: Mapping[str, tuple[tuple[TopicRule, tuple[tuple[str, ...], ...]], ...]] | None = None
    simple: bool = False  # whether the text is `_case_simple` (then so is each part of it)


def topical_paragraphs(
    text: str, paragraphs: list[tuple[int, int]], *, language: str | None = None
) -> list[int]:
    """Indices of the paragraphs that may hold a topical statement, for the stored-statement path (see
    `topical_gate`)."""
    return list(topical_gate(text, paragraphs, language=language).paragraphs)


def topical_gate(text: str, paragraphs: list[tuple[int, int]], *, language: str | None = None) -> TopicalGate:
    """The paragraphs that may hold a topical statement, for the stored-statement path, and the rules that
    statements inside `text` can bring into play (for `tag_topics`).

    Sound like `may_be_topical` but much tighter: a rule can fire only where the literal words its
    patterns cannot match without occur (both patterns of a `near` rule), so a paragraph qualifies when
    some rule's required words are all in it; a paragraph that refers back (an anaphora cue) qualifies
    when a qualifying paragraph ends at most BEFORE_CHARS before it. Substring tests first (the rules
    live in the whole text, then the paragraphs holding their first words); a rule's patterns are searched
    only in a paragraph that holds all its words.
    """
    if not text:
        return TopicalGate(())
    low = text.lower()
    simple = _case_simple(text)
    if not simple:
        # a letter that lowers to another length ("İ"), or that a case-insensitive pattern matches beyond
        # its lowercase ("ſ" as "s", "ı" as "i"): a word missing from `low` may still match, so the word
        # shortcuts below are unsound; keep every paragraph
        return TopicalGate(tuple(range(len(paragraphs))))
    codes = [lang.code for lang in _languages_for(load_topic_rules(), language)]
    languages = [load_topic_rules().languages[code] for code in codes]
    scans = {code: _live_scan(code, low) for code in codes}
    live = {code: scan[0] for code, scan in scans.items()}
    if not any(live.values()):
        return TopicalGate(())
    words: set[str] = set()  # the first needs of the rules live in the whole text
    anywhere = False  # a live rule that needs no word may fire in any paragraph
    for code, indices in live.items():
        needs = _gate((code,)).needs
        for i in indices:
            if needs[i]:
                words.update(needs[i][0])
            else:
                anywhere = True
    starts = [s for s, _ in paragraphs]
    candidates: set[int] = set(range(len(paragraphs))) if anywhere else set()
    for word in words:  # the paragraphs holding one of those words are the only candidates
        at = low.find(word)
        while at >= 0:
            i = bisect.bisect_right(starts, at) - 1
            if i < 0:
                at = low.find(word, at + 1)
                continue
            candidates.add(i)
            at = low.find(word, paragraphs[i][1])
    # a word missing from the whole text is missing from each paragraph: keep only the others
    reduced = {code: _present_needs(code, *scans[code]) for code in codes}
    found = []
    for i in sorted(candidates):
        s, e = paragraphs[i]
        part = low[s:e]
        if any(
            _may_match(rule.pattern, part, simple)
            and (rule.near is None or _may_match(rule.near, part, simple))
            and rule.pattern.search(text, s, e)
            and (rule.near is None or rule.near.search(text, s, e))
            for rules in reduced.values()
            for _, rule, needs in rules
            if _all_needs_in(needs, part)
        ):
            found.append(i)
    if not found:
        return TopicalGate(())
    out = set(found)
    tested: set[int] = set()  # paragraphs searched for an anaphora cue (once each, whatever reaches them)
    for i in found:
        reach = paragraphs[i][1] + BEFORE_CHARS
        k = i + 1
        while k < len(paragraphs) and paragraphs[k][0] <= reach:
            if k not in out and k not in tested:
                tested.add(k)
                s, e = paragraphs[k]
                lowered = low[s:e] if simple else None
                if any(_refers_back(lang, text, s, e, lowered) for lang in languages):
                    out.add(k)
            k += 1
    # Casefolding is per character, so when it agrees with lowercasing here, a quote or sentence of this
    # text casefolds to a part of `low`: a word it holds is in `low`, unless it spans the space that
    # tag_topics puts between the two.
    scope = None
    if text.casefold() == low:
        scope = {code: _scope(code, reduced[code]) for code in codes}
    return TopicalGate(tuple(sorted(out)), scope, simple)
