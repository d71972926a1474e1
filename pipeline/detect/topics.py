"""Topic tagging for statements: which of TOPICS (see shared/TOPICS.md) a reported statement is about.

The rules are data, in `seeds/topics.yaml`, one block per language:

* `terms`: a pattern that alone points at a topic ("security guarantees", "Budapest Memorandum");
* `near`: two patterns within `window` words of each other ("NATO" near "membership");
* `negatives`: phrases blanked out before any positive rule runs ("energy security", "EU enlargement",
  "expanding its military infrastructure"), so that a rule cannot fire on them;
* `anaphora`: words by which a quote refers back ("uphold this", "these proposals"); only then may the
  text before the statement lend it a topic;
* `prefilter`: lowercase stems, one of which every rule and anaphora cue needs, for `may_be_topical`.

A match counts with its rule's weight times a factor for where it was found (inside the quote, elsewhere
in the sentence, in the text before). A topic's score is 1 - prod(1 - w_i) over its distinct rules, and
the topic is tagged when the score reaches the file's `threshold`.

The file is parsed and validated once per process; a bad file raises `ConfigError` naming the file, line and
field.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import re._constants as _sre_constants
import re._parser as _sre
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline import seedfile
from pipeline.config import seeds_dir
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

TOPICS = ("nato_expansion", "security_guarantees")

TOPICS_FILE = "topics.yaml"
BEFORE_CHARS = 1000  # only the end of `before` can hold what an anaphor refers to
UNLESS_CHARS = 40  # how far `unless_before` / `unless_after` look around a negative cue
_WORD = re.compile(r"\w+")
# words in nearly every paragraph: a rule's need for them is not worth testing
_COMMON_WORDS = "the and for not one all any its his her are was has had but you can may out"
_COMMON = frozenset(_COMMON_WORDS.split())
_WORD_CHAR = re.compile(r"\w")
_FLAGS = re.IGNORECASE
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class TopicTag:
    topics: tuple[str, ...]  # a subset of TOPICS, in TOPICS order
    score: float  # confidence in [0, 1] that the topics are right; 0.0 when there are none
    evidence: tuple[str, ...] = ()  # the terms or patterns that fired, for debugging


@dataclass(frozen=True)
class TopicRule:
    """One positive rule: a term, or two patterns within `window` words (`near` set)."""

    name: str
    topic: str
    weight: float
    pattern: re.Pattern[str]
    near: re.Pattern[str] | None = None
    window: int = 0
    context: re.Pattern[str] | None = None  # must match somewhere in quote, sentence or before


@dataclass(frozen=True)
class NegativeCue:
    """A phrase blanked out before the positive rules of `topic` run."""

    name: str
    topic: str
    pattern: re.Pattern[str]
    unless_before: re.Pattern[str] | None = None  # keep the phrase when the text just before matches
    unless_after: re.Pattern[str] | None = None  # keep it when the text just after matches


@dataclass(frozen=True)
class LanguageRules:
    code: str
    also: tuple[str, ...]  # languages whose rules also apply (ru and uk texts are often mislabelled)
    rules: tuple[TopicRule, ...]
    negatives: tuple[NegativeCue, ...]
    anaphora: re.Pattern[str] | None
    prefilter: tuple[str, ...]
    anaphora_parts: tuple[re.Pattern[str], ...] = ()  # the anaphora patterns one by one (see _refers_back)


@dataclass(frozen=True)
class TopicRules:
    path: str
    threshold: float
    factors: Mapping[
        str, float
    ]  # quote, sentence (before the quote), after (the quote), before (the sentence)
    languages: Mapping[str, LanguageRules]


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


@dataclass(frozen=True)
class _Hit:
    rule: TopicRule
    where: str
    strength: float
    snippet: str


# --- Public API -------------------------------------------------------------------------------------


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
    return any(
        stem in folded for lang in _languages_for(load_topic_rules(), language) for stem in lang.prefilter
    )


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


@dataclass(frozen=True)
class _Gate:
    rules: tuple[TopicRule, ...]
    needs: tuple[tuple[frozenset[str], ...], ...]  # for each rule, the word sets it needs one of each
    first_words: frozenset[str]  # the words of each rule's most selective need
    by_first_word: dict[str, tuple[int, ...]]  # a word of some rule's first need -> those rules' indices
    needless: tuple[int, ...]  # the rules that need no word (tested everywhere)


@functools.cache
def _gate(codes: tuple[str, ...]) -> _Gate:
    """The needs of every rule of these languages (see `topical_paragraphs`)."""
    languages = load_topic_rules().languages
    rules = tuple(rule for code in codes for rule in languages[code].rules)
    needs: list[tuple[frozenset[str], ...]] = []
    first: set[str] = set()
    for rule in rules:
        each = [frozenset(need) for need in _rule_needs(rule)]
        if each:
            # each substring test scans the whole text: share the first need's words between rules
            best = min(each, key=lambda n: (len(n - first), -min(len(x) for x in n)))
            each.remove(best)
            each.insert(0, best)
            first |= best
        needs.append(tuple(each))
    index: dict[str, list[int]] = {}
    for i, each_need in enumerate(needs):
        for word in each_need[0] if each_need else ():
            index.setdefault(word, []).append(i)
    return _Gate(
        rules,
        tuple(needs),
        frozenset(first),
        {word: tuple(indices) for word, indices in index.items()},
        tuple(i for i, each_need in enumerate(needs) if not each_need),
    )


def _live_indices(code: str, low: str) -> list[int]:
    """Indices (in `_gate((code,)).rules`) of a language's rules whose literal needs all occur in `low`
    (lowercased text): the only ones that can fire on it or on any part of it."""
    return _live_scan(code, low)[0]


def _live_scan(code: str, low: str) -> tuple[list[int], dict[str, bool]]:
    """`_live_indices`, and whether each word it looked for occurs in `low` (each looked for once)."""
    gate = _gate((code,))
    found: dict[str, bool] = {}
    candidates: set[int] = set(gate.needless)
    for word, indices in gate.by_first_word.items():
        if word in low:
            found[word] = True
            candidates.update(indices)
        else:
            found[word] = False
    out: list[int] = []
    for i in sorted(candidates):
        for need in gate.needs[i][1:]:  # the first need is met: a word of it is in `low`
            for word in need:
                hit = found.get(word)
                if hit is None:
                    hit = found[word] = word in low
                if hit:
                    break
            else:
                break  # no word of this need occurs
        else:
            out.append(i)
    return out, found


@functools.cache
def _spanning_rules(code: str) -> tuple[int, ...]:
    """Indices of the rules with a needed word that holds a space (it may span two joined texts)."""
    return tuple(i for i, needs in enumerate(_gate((code,)).needs) if any(" " in w for n in needs for w in n))


def _scope(
    code: str, reduced: list[tuple[int, TopicRule, tuple[tuple[str, ...], ...]]]
) -> tuple[tuple[TopicRule, tuple[tuple[str, ...], ...]], ...]:
    """`TopicalGate.live` for one language: the text's live rules with their cut needs, and the rules with
    a word that may span a join, with all their needs."""
    gate = _gate((code,))
    spanning = set(_spanning_rules(code))
    out = {i: (rule, needs) for i, rule, needs in reduced if i not in spanning}
    for i in spanning:
        out[i] = (gate.rules[i], tuple(tuple(need) for need in gate.needs[i]))
    return tuple(out[i] for i in sorted(out))


def _by_topic(rules: Iterable[TopicRule]) -> dict[str, tuple[TopicRule, ...]]:
    """The rules grouped by topic (every topic present), each group in the given order."""
    out: dict[str, list[TopicRule]] = {topic: [] for topic in TOPICS}
    for rule in rules:
        out[rule.topic].append(rule)
    return {topic: tuple(found) for topic, found in out.items()}


def _live_rules(code: str, low: str) -> dict[str, tuple[TopicRule, ...]]:
    """For each topic, the rules of a language that may fire on `low` (see `_live_indices`)."""
    rules = _gate((code,)).rules
    return _by_topic(rules[i] for i in _live_indices(code, low))


def _present_needs(
    code: str, live: list[int], found: dict[str, bool]
) -> list[tuple[int, TopicRule, tuple[tuple[str, ...], ...]]]:
    """Each rule live in a text (index, rule), with its needs cut to the words that may occur in it: a
    word `found` missing from the text is missing from each part of it."""
    gate = _gate((code,))
    return [
        (i, gate.rules[i], tuple(tuple([w for w in need if found.get(w, True)]) for need in gate.needs[i]))
        for i in live
    ]


def _may_match(pattern: re.Pattern[str], low: str, simple: bool) -> bool:
    """False only when `pattern` cannot match in the text whose lowercase is `low`: on a `_case_simple`
    text, when a literal (ASCII) word every match holds is missing. True when not `simple`."""
    return not simple or _all_needs_in(_pattern_needs(pattern), low)


@functools.cache
def _pattern_needs(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """The literal words, lowercase ASCII, one of each set occurring in every match of `pattern`."""
    facts = _facts(_sre.parse(pattern.pattern, pattern.flags))
    return _fewest_first(f for f in facts if all(w.isascii() for w in f))


def _all_needs_in(needs: tuple[tuple[str, ...], ...], low: str) -> bool:
    """Whether one word of each need occurs in `low`."""
    for need in needs:
        for word in need:
            if word in low:
                break
        else:
            return False
    return True


def _refers_back(lang: LanguageRules, text: str, start: int, end: int, low: str | None) -> bool:
    """Whether an anaphora cue of `lang` occurs in text[start:end]: `lang.anaphora.search(text, start, end)`.

    With `low` (that span lowercased, when `_case_simple`), each of the language's anaphora patterns is
    searched only if the literal words it cannot match without all occur in `low`; the joined pattern
    matches where one of them does.
    """
    if lang.anaphora is None:
        return False
    if low is None or not lang.anaphora_parts:
        return lang.anaphora.search(text, start, end) is not None
    for part, needs in zip(lang.anaphora_parts, _anaphora_needs(lang.code), strict=True):
        if _all_needs_in(needs, low) and part.search(text, start, end) is not None:
            return True
    return False


@functools.cache
def _anaphora_needs(code: str) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """For each anaphora pattern of a language, the literal (ASCII) words it cannot match without."""
    return tuple(
        tuple(
            tuple(need)
            for need in _strong_facts(_facts(_sre.parse(part.pattern, part.flags)))
            if all(word.isascii() for word in need)
        )
        for part in load_topic_rules().languages[code].anaphora_parts
    )


def _case_simple(text: str) -> bool:
    """Whether `text.lower()` mirrors case-insensitive matching on `text`, so that a literal word a
    pattern needs (lowercase ASCII) can only match where it occurs in `text.lower()`: no character whose
    lowercase is longer ("İ"), depends on context ("Σ"), or has an extra case-insensitive twin in `re`
    ("ſ" matches "s", "ı" matches "i")."""
    return text.isascii() or all(_case_simple_char(c) for c in set(_NON_ASCII.findall(text)))


@functools.cache
def _case_simple_char(char: str) -> bool:
    low = char.lower()
    return len(low) == 1 and char != "Σ" and low not in _case_twins()


@functools.cache
def _case_twins() -> frozenset[str]:
    """The characters `re` matches case-insensitively beyond simple lowercasing, and their twins."""
    try:
        from re._casefix import _EXTRA_CASES
    except ImportError:  # another Python: every non-ASCII letter is treated as a possible twin
        return frozenset(chr(c) for c in range(0x80, 0x30000) if chr(c).lower() != chr(c).upper())
    return frozenset(chr(c) for key, values in _EXTRA_CASES.items() for c in (key, *values))


def _has_any(words: Iterable[str], low: str) -> bool:
    for word in words:  # noqa: SIM110 (a plain loop: any() over a generator costs more on hot paths)
        if word in low:
            return True
    return False


@functools.cache
def _negative_needs(code: str) -> tuple[tuple[frozenset[str], ...], ...]:
    """For each negative cue of a language, the literal words its pattern cannot match without."""
    return tuple(
        tuple(_strong_facts(_facts(_sre.parse(n.pattern.pattern, n.pattern.flags))))
        for n in load_topic_rules().languages[code].negatives
    )


@functools.cache
def _topic_negatives(
    code: str, topic: str
) -> tuple[tuple[NegativeCue, tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]], ...]:
    """The negative cues of a language for one topic, each with the literal words it needs that are worth
    a test on any text (`_negative_needs`), and its other needs in ASCII, sound on a `_case_simple` one."""
    negatives = load_topic_rules().languages[code].negatives
    out = []
    for n, needs in zip(negatives, _negative_needs(code), strict=True):
        if n.topic != topic:
            continue
        facts = _facts(_sre.parse(n.pattern.pattern, n.pattern.flags))
        more = [f for f in facts if f not in needs and all(w.isascii() for w in f)]
        out.append((n, _fewest_first(needs), _fewest_first(more)))
    return tuple(out)


def _fewest_first(needs: Iterable[frozenset[str]]) -> tuple[tuple[str, ...], ...]:
    """Needs as word tuples, the one with fewest words first (a missing need is found with fewer tests)."""
    return tuple(tuple(sorted(need)) for need in sorted(needs, key=lambda need: (len(need), sorted(need))))


def _strong_facts(facts: list[frozenset[str]]) -> list[frozenset[str]]:
    """The facts worth a substring test: no word shorter than three letters, none of the common words."""
    return [f for f in facts if min(len(x) for x in f) >= 3 and not f & _COMMON]


def _rule_needs(rule: TopicRule) -> tuple[tuple[str, ...], ...]:
    """The literal words a rule cannot fire without: one alternative set for each of its patterns."""
    needs: list[tuple[str, ...]] = []
    for pattern in (rule.pattern, rule.near):
        if pattern is not None:
            facts = _facts(_sre.parse(pattern.pattern, pattern.flags))
            # short words ("at", "the") are everywhere: testing them costs more than it saves
            kept = [f for f in facts if min(len(x) for x in f) >= 3 and not f & _COMMON]
            if not kept and facts:
                kept = [max(facts, key=lambda f: min(len(x) for x in f))]
            # an alternative that holds a shorter one adds nothing ("members" beside "member")
            needs.extend(tuple(sorted(a for a in f if not any(b != a and b in a for b in f))) for f in kept)
    # the most selective first: longest words, then fewest alternatives
    return tuple(sorted(needs, key=lambda n: (-min(len(x) for x in n), len(n))))


def _required(items: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
    """A set of lowercase strings one of which every match of the parsed sequence contains (None: none
    known): of the sequence's facts, the one whose shortest string is longest."""
    facts = _facts(items)
    if not facts:
        return None
    return max(facts, key=lambda c: min(len(x) for x in c))


def _facts(items: Iterable[tuple[Any, Any]]) -> list[frozenset[str]]:
    """Sets of lowercase strings, each one of which every match of the parsed sequence contains: its
    literal runs, and what its groups, alternations and repeated parts require."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset({"".join(run).lower()}))
            run.clear()

    for op, arg in items:
        if op is _sre_constants.LITERAL:
            run.append(chr(arg))
            continue
        flush()
        found: frozenset[str] | None = None
        if op is _sre_constants.SUBPATTERN:
            found = _required(arg[-1])
        elif op is _sre_constants.BRANCH:
            alternatives = [_required(alt) for alt in arg[1]]
            if all(a is not None for a in alternatives):
                found = frozenset().union(*(a for a in alternatives if a is not None))
        elif op in (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT) and arg[0] >= 1:
            found = _required(arg[2])
        if found:
            candidates.append(found)
    flush()
    return candidates


@functools.cache
def load_topic_rules(path: Path | None = None) -> TopicRules:
    """Parse and validate a topics file (default: `seeds/topics.yaml`); cached, so parsed once a process."""
    path = path or seeds_dir() / TOPICS_FILE
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}", path=str(path)) from None
    root = seedfile.compose(source, path=str(path))
    rules = _Reader(str(path)).read_file(root)
    log.debug("loaded %d languages of topic rules from %s", len(rules.languages), path)
    return rules


# --- Matching ---------------------------------------------------------------------------------------


def _languages_for(rules: TopicRules, language: str | None) -> list[LanguageRules]:
    """The rule sets for `language` (and its `also`); all of them when it is unknown or None."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    if code not in rules.languages:
        return list(rules.languages.values())
    first = rules.languages[code]
    return [first, *(rules.languages[c] for c in first.also)]


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

_FACTORS = ("quote", "sentence", "after", "before")
_RULE_KEYS = {
    "terms": {"name", "pattern", "weight", "context"},
    "near": {"name", "a", "b", "window", "weight", "context"},
}
_NEGATIVE_KEYS = {"name", "pattern", "unless_before", "unless_after"}
_LANGUAGE_KEYS = {"also", "prefilter", "anaphora", *TOPICS}


class _Reader:
    """Builds TopicRules from a composed YAML node tree, naming file, line and field in every error."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, field: str, message: str) -> ConfigError:
        line = seedfile.line(node) if node is not None else None
        return ConfigError(message, path=self.path, line=line, field=field)

    def mapping(
        self, node: yaml.Node | None, field: str, allowed: set[str] | None = None
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field, "expected a mapping")
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = self.scalar(key, field)
            if allowed is not None and name not in allowed:
                raise self.fail(
                    key, f"{field}.{name}", f"unknown key (expected one of {', '.join(sorted(allowed))})"
                )
            if name in out:
                raise self.fail(key, f"{field}.{name}", "duplicate key")
            out[name] = value
        return out

    def sequence(self, node: yaml.Node, field: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, field, "expected a list")
        return list(node.value)

    def scalar(self, node: yaml.Node, field: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, field, "expected a non-empty string")
        return str(node.value)

    def number(self, node: yaml.Node, field: str, low: float, high: float) -> float:
        text = self.scalar(node, field)
        try:
            value = float(text)
        except ValueError:
            raise self.fail(node, field, f"expected a number, got {text!r}") from None
        if not low <= value <= high:
            raise self.fail(node, field, f"must be between {low} and {high}, got {value}")
        return value

    def regex(self, node: yaml.Node, field: str) -> re.Pattern[str]:
        """A pattern, or a list of patterns taken as alternatives."""
        parts = (
            [self.scalar(n, field) for n in self.sequence(node, field)]
            if isinstance(node, yaml.SequenceNode)
            else [self.scalar(node, field)]
        )
        try:
            return re.compile("|".join(f"(?:{p})" for p in parts), _FLAGS)
        except re.error as e:
            raise self.fail(node, field, f"bad regular expression: {e}") from None

    def regex_parts(self, node: yaml.Node) -> tuple[re.Pattern[str], ...]:
        """The alternatives `regex` joins, each compiled alone (after `regex` accepted the whole); none
        when the joined pattern has groups (a back-reference would change meaning) or a part fails alone."""
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        texts = [str(n.value) for n in nodes]
        try:
            parts = tuple(re.compile(f"(?:{p})", _FLAGS) for p in texts)
        except re.error:
            return ()
        return () if any(part.groups for part in parts) else parts

    def read_file(self, root: yaml.Node | None) -> TopicRules:
        top = self.mapping(root, "(top)", {"threshold", "factors", "languages"})
        for key in ("threshold", "factors", "languages"):
            if key not in top:
                raise self.fail(root, key, "missing")
        threshold = self.number(top["threshold"], "threshold", 0.0, 1.0)
        factor_nodes = self.mapping(top["factors"], "factors", set(_FACTORS))
        factors = {}
        for key in _FACTORS:
            if key not in factor_nodes:
                raise self.fail(top["factors"], f"factors.{key}", "missing")
            factors[key] = self.number(factor_nodes[key], f"factors.{key}", 0.0, 1.0)
        languages = {
            code: self.read_language(code, node)
            for code, node in self.mapping(top["languages"], "languages").items()
        }
        if not languages:
            raise self.fail(top["languages"], "languages", "no language")
        lang_nodes = self.mapping(top["languages"], "languages")
        for code, lang in languages.items():
            for other in lang.also:
                if other not in languages:
                    also_node = self.mapping(lang_nodes[code], f"languages.{code}")["also"]
                    raise self.fail(also_node, f"languages.{code}.also", f"unknown language {other!r}")
        return TopicRules(path=self.path, threshold=threshold, factors=factors, languages=languages)

    def read_language(self, code: str, node: yaml.Node) -> LanguageRules:
        field = f"languages.{code}"
        parts = self.mapping(node, field, _LANGUAGE_KEYS)
        if "prefilter" not in parts:
            raise self.fail(node, f"{field}.prefilter", "missing")
        prefilter = tuple(
            self.scalar(n, f"{field}.prefilter").casefold()
            for n in self.sequence(parts["prefilter"], f"{field}.prefilter")
        )
        also = (
            tuple(self.scalar(n, f"{field}.also") for n in self.sequence(parts["also"], f"{field}.also"))
            if "also" in parts
            else ()
        )
        anaphora = self.regex(parts["anaphora"], f"{field}.anaphora") if "anaphora" in parts else None
        anaphora_parts = self.regex_parts(parts["anaphora"]) if anaphora is not None else ()
        rules: list[TopicRule] = []
        negatives: list[NegativeCue] = []
        names: set[str] = set()
        for topic in TOPICS:
            if topic not in parts:
                continue
            tfield = f"{field}.{topic}"
            sections = self.mapping(parts[topic], tfield, {"terms", "near", "negatives"})
            for kind in ("terms", "near"):
                for i, entry in enumerate(
                    self.sequence(sections[kind], f"{tfield}.{kind}") if kind in sections else []
                ):
                    rule = self.read_rule(topic, kind, entry, f"{tfield}.{kind}[{i}]")
                    if rule.name in names:
                        raise self.fail(
                            entry, f"{tfield}.{kind}[{i}].name", f"duplicate rule name {rule.name!r}"
                        )
                    names.add(rule.name)
                    rules.append(rule)
            for i, entry in enumerate(
                self.sequence(sections["negatives"], f"{tfield}.negatives") if "negatives" in sections else []
            ):
                negatives.append(self.read_negative(topic, entry, f"{tfield}.negatives[{i}]"))
        return LanguageRules(
            code=code,
            also=also,
            rules=tuple(rules),
            negatives=tuple(negatives),
            anaphora=anaphora,
            prefilter=prefilter,
            anaphora_parts=anaphora_parts,
        )

    def read_rule(self, topic: str, kind: str, node: yaml.Node, field: str) -> TopicRule:
        parts = self.mapping(node, field, _RULE_KEYS[kind])
        required = (
            ("name", "pattern", "weight") if kind == "terms" else ("name", "a", "b", "window", "weight")
        )
        for key in required:
            if key not in parts:
                raise self.fail(node, f"{field}.{key}", "missing")
        context = self.regex(parts["context"], f"{field}.context") if "context" in parts else None
        name = f"{topic}.{self.scalar(parts['name'], f'{field}.name')}"
        weight = self.number(parts["weight"], f"{field}.weight", 0.0, 1.0)
        if kind == "terms":
            return TopicRule(
                name, topic, weight, self.regex(parts["pattern"], f"{field}.pattern"), context=context
            )
        window = self.number(parts["window"], f"{field}.window", 0, 50)
        if window != int(window):
            raise self.fail(parts["window"], f"{field}.window", "must be a whole number of words")
        return TopicRule(
            name,
            topic,
            weight,
            self.regex(parts["a"], f"{field}.a"),
            near=self.regex(parts["b"], f"{field}.b"),
            window=int(window),
            context=context,
        )

    def read_negative(self, topic: str, node: yaml.Node, field: str) -> NegativeCue:
        parts = self.mapping(node, field, _NEGATIVE_KEYS)
        for key in ("name", "pattern"):
            if key not in parts:
                raise self.fail(node, f"{field}.{key}", "missing")
        optional: dict[str, Any] = {
            key: self.regex(parts[key], f"{field}.{key}")
            for key in ("unless_before", "unless_after")
            if key in parts
        }
        return NegativeCue(
            self.scalar(parts["name"], f"{field}.name"),
            topic,
            self.regex(parts["pattern"], f"{field}.pattern"),
            **optional,
        )
