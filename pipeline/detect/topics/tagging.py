"""Topic tagging of one statement (`tag_topics`) and the cheap pre-filter `may_be_topical`.

A match counts with its rule's weight times a factor for where it was found (inside the quote, elsewhere
in the sentence, in the text before). A topic's score is 1 - prod(1 - w_i) over its distinct rules, and
the topic is tagged when the score reaches the file's `threshold`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from pipeline.detect.topics.gate import TopicalGate
from pipeline.detect.topics.needs import (
    _all_needs_in,
    _by_topic,
    _case_simple,
    _gate,
    _has_any,
    _live_rules,
    _may_match,
    _refers_back,
    _topic_negatives,
    _twin_table,
)
from pipeline.detect.topics.rules import (
    BEFORE_CHARS,
    TOPICS,
    LanguageRules,
    NegativeCue,
    TopicRule,
    _languages_for,
    load_topic_rules,
)

UNLESS_CHARS = 40  # how far `unless_before` / `unless_after` look around a negative cue
_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class TopicTag:
    topics: tuple[str, ...]  # a subset of TOPICS, in TOPICS order
    score: float  # confidence in [0, 1] that the topics are right; 0.0 when there are none
    evidence: tuple[str, ...] = ()  # the terms or patterns that fired, for debugging


@dataclass(frozen=True)
class _Hit:
    rule: TopicRule
    where: str
    strength: float
    snippet: str


def tag_topics(
    quote: str,
    *,
    sentence: str = "",
    before: str = "",
    language: str | None = None,
    gate: TopicalGate | None = None,
) -> TopicTag:
    """Topics of a statement from its quote, the sentence(s) holding it, and the text just before it.

    Matches inside the quote count fully; matches elsewhere in the sentence count less: a topic-setting
    preamble before the quote ("On Ukraine's accession to NATO, he said ...") more than what follows it (the
    cue, often a reporter's own clause). `before` is read only when the quote refers back ("uphold this").
    `gate`, from `topical_gate` on a text that holds both `quote` and `sentence`, spares testing the rules
    that cannot be live in them (the result is the same).
    """
    rules = load_topic_rules()
    # A language's rules can fire only where one of its prefilter stems occurs (see may_be_topical).
    # Where lowercasing does not mirror case-insensitive matching ("ı" matches "i", "İ" lowers to two
    # characters), a word missing from the lowered text may still match: every rule is searched.
    simple = gate.simple if gate is not None else _case_simple(quote) and _case_simple(sentence)
    folded = f"{quote} {sentence}".casefold()
    languages = [
        lang for lang in _languages_for(rules, language) if not simple or _has_any(lang.prefilter, folded)
    ]
    if not languages:
        return TopicTag(topics=(), score=0.0)
    low = folded if len(folded) == len(quote) + len(sentence) + 1 else f"{quote} {sentence}".lower()
    # only the rules whose literal needs are all in the text are searched at all
    scope = gate.live if gate is not None else None
    live = [
        (
            lang,
            _by_topic(_gate((lang.code,)).rules)
            if not simple
            else _live_rules(lang.code, low)
            if scope is None or lang.code not in scope
            else _by_topic(rule for rule, needs in scope[lang.code] if _all_needs_in(needs, low)),
        )
        for lang in languages
    ]
    context = " ".join((quote, sentence, before[-BEFORE_CHARS:]))
    spans = list(_spans(quote, sentence, rules.factors))
    refers_back = False
    if before:
        lowered = [(text, text.lower() if simple else None) for text in (quote, sentence)]
        refers_back = any(
            _refers_back(lang, text, 0, len(text), low_text)
            for lang in languages
            for text, low_text in lowered
        )
    tail = before[-BEFORE_CHARS:] if refers_back else ""
    tail_simple = bool(tail) and (gate.simple if gate is not None else _case_simple(tail))
    live_before = (
        [
            (
                lang,
                _live_rules(lang.code, tail.lower()) if tail_simple else _by_topic(_gate((lang.code,)).rules),
            )
            for lang in languages
        ]
        if tail
        else []
    )
    topics: list[str] = []
    scores: list[float] = []
    evidence: list[str] = []
    for topic in TOPICS:
        hits = _best_hits(
            _hit(lang, topic, rules_for[topic], text, quote_span, context, rules.factors, simple)
            for lang, rules_for in live
            if rules_for[topic]
            for text, quote_span in spans
        )
        score = _combine(hits)
        if score < rules.threshold and refers_back:
            more = _best_hits(
                _hit(lang, topic, rules_for[topic], tail, None, context, rules.factors, tail_simple, "before")
                for lang, rules_for in live_before
                if rules_for[topic]
            )
            hits = _best_hits([hits, more])
            score = _combine(hits)
        if score >= rules.threshold:
            topics.append(topic)
            scores.append(score)
            evidence.extend(f"{topic}:{h.rule.name}@{h.where}:{h.snippet}" for h in hits)
    return TopicTag(
        topics=tuple(topics), score=round(min(scores), 4) if scores else 0.0, evidence=tuple(evidence)
    )


def may_be_topical(text: str, *, language: str | None = None) -> bool:
    """A cheap pre-filter: False only when `text` cannot hold anything topical.

    Every rule and every anaphora cue in the topics file needs one of its language's `prefilter` stems,
    so a paragraph without any of them cannot give `tag_topics` a topic from its own words.
    """
    if not text:
        return False
    folded = text.casefold()
    if _case_simple(text):
        return any(
            stem in folded for lang in _languages_for(load_topic_rules(), language) for stem in lang.prefilter
        )
    # "ı" matches "i" case-insensitively but casefolds to itself, "İ" casefolds to "i" and a combining
    # dot: fold such twins alike in the text and the stems (and keep the text when that cannot be done)
    table = _twin_table()
    if table is None:
        return True
    twinned = folded.translate(table)
    return any(
        stem.translate(table) in twinned
        for lang in _languages_for(load_topic_rules(), language)
        for stem in lang.prefilter
    )


def _spans(
    quote: str, sentence: str, factors: Mapping[str, float]
) -> Iterator[tuple[str, tuple[int, int] | None]]:
    """The texts to read, each with the quote's span in it (None: the whole text is quote, or no quote)."""
    at = sentence.find(quote) if quote and sentence else -1
    if at >= 0:
        yield sentence, (at, at + len(quote))
        return
    if quote:
        yield quote, (0, len(quote))
    if sentence:
        yield sentence, None


def _hit(
    lang: LanguageRules,
    topic: str,
    live: tuple[TopicRule, ...],
    text: str,
    quote_span: tuple[int, int] | None,
    context: str,
    factors: Mapping[str, float],
    simple: bool,
    where: str | None = None,
) -> Iterator[_Hit]:
    """Every rule of `topic` among `live` (its rules that may fire) that fires on `text`, with its strength
    for where it fired. `simple`: `text` is `_case_simple`, so a negative cue is tried only where all the
    literal words it needs occur, short ones too."""
    # Blanking a negative cue only removes matches, so rules whose first pattern misses the raw text are out.
    low = text.lower()
    candidates = [
        (r, m) for r in live if _may_match(r.pattern, low, simple) and (m := r.pattern.search(text))
    ]
    if not candidates:
        return
    negatives = [
        n
        for n, needs, more in _topic_negatives(lang.code, topic)
        if _all_needs_in(needs, low) and (not simple or _all_needs_in(more, low))
    ]
    masked = _mask(text, negatives)
    starts: list[int] | None = None
    for rule, match in candidates:
        first = match if masked is text else rule.pattern.search(masked)
        if first is None or (rule.context is not None and not rule.context.search(context)):
            continue
        found: tuple[int, int] | None = None
        if rule.near is None:
            found = first.span()
        else:
            if starts is None:
                starts = list(map(re.Match.start, _WORD.finditer(masked)))
            # every match of the first pattern: the first one, then the rest as finditer goes on
            firsts = (
                [first, *rule.pattern.finditer(masked, first.end())]
                if first.end() > first.start()
                else list(rule.pattern.finditer(masked))
            )
            found = _near(firsts, list(rule.near.finditer(masked)), rule.window, starts)
        if found is None:
            continue
        if where == "before":
            place = "before"
        elif quote_span is None:
            place = "sentence"
        else:
            place = "quote" if found[0] < quote_span[1] and quote_span[0] < found[1] else "sentence"
            if place == "sentence" and found[0] >= quote_span[1]:
                place = "after"  # after the quote: the cue, or often the reporter's own clause
        yield _Hit(rule, place, rule.weight * factors[place], text[found[0] : found[1]][:80])


def _near(
    firsts: list[re.Match[str]], seconds: list[re.Match[str]], window: int, starts: list[int]
) -> tuple[int, int] | None:
    """The span of the first pair of matches with at most `window` words between them, if any."""
    for a in firsts:
        a0, a1 = bisect.bisect_left(starts, a.start()), bisect.bisect_left(starts, a.end())
        for b in seconds:
            b0, b1 = bisect.bisect_left(starts, b.start()), bisect.bisect_left(starts, b.end())
            if max(b0 - a1, a0 - b1, 0) <= window:
                return min(a.start(), b.start()), max(a.end(), b.end())
    return None


def _mask(text: str, negatives: Iterable[NegativeCue]) -> str:
    """`text` with every negative cue blanked out (same length, so spans still line up)."""
    chars: list[str] | None = None
    for cue in negatives:
        for m in cue.pattern.finditer(text):
            s, e = m.span()
            if cue.unless_before is not None and cue.unless_before.search(text[max(0, s - UNLESS_CHARS) : s]):
                continue
            if cue.unless_after is not None and cue.unless_after.search(text[e : e + UNLESS_CHARS]):
                continue
            if chars is None:
                chars = list(text)
            # "_" for word characters: no rule matches them, but word counts (near windows) stay put
            chars[s:e] = _WORD_CHAR.sub("_", text[s:e])
    return text if chars is None else "".join(chars)


def _best_hits(groups: Iterable[Iterable[_Hit]]) -> list[_Hit]:
    """The strongest hit of each rule name (a rule counts once, wherever and however often it fired)."""
    best: dict[str, _Hit] = {}
    for group in groups:
        for h in group:
            if h.rule.name not in best or h.strength > best[h.rule.name].strength:
                best[h.rule.name] = h
    return list(best.values())


def _combine(hits: list[_Hit]) -> float:
    miss = 1.0
    for h in hits:
        miss *= 1.0 - min(h.strength, 1.0)
    return 1.0 - miss


# --- Reading the topics file ------------------------------------------------------------------------
