"""The literal words each rule, negative cue and anaphora pattern of the topics file cannot match
without, and which rules a text can bring into play, so that `topical_gate` and `tag_topics` search only
those (the result is the same as searching every rule).

A word test on `text.lower()` is sound only where lowercasing mirrors case-insensitive matching
(`_case_simple`): otherwise every rule is searched.
"""

from __future__ import annotations

import functools
import re
import re._constants as _sre_constants
import re._parser as _sre
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.detect.topics.rules import TOPICS, LanguageRules, NegativeCue, TopicRule, load_topic_rules

# words in nearly every paragraph: a rule's need for them is not worth testing
_COMMON_WORDS = "the and for not one all any its his her are was has had but you can may out"
_COMMON = frozenset(_COMMON_WORDS.split())
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


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


@functools.cache
def _twin_table() -> dict[int, str] | None:
    """A `str.translate` table for casefolded text: every character `re` matches case-insensitively beyond
    casefolding mapped to one twin ("ı" to "i"), and the combining dot "İ" casefolds with dropped, so that
    a stem folded the same way is missing only where no pattern needing it can match. None when this
    Python has no table of such twins."""
    try:
        from re._casefix import _EXTRA_CASES
    except ImportError:
        return None
    table = {0x0307: ""}  # COMBINING DOT ABOVE: "İ".casefold() == "i\u0307"
    for key, values in _EXTRA_CASES.items():
        folds = [chr(c).casefold() for c in (key, *values)]
        canonical = min(folds)
        for fold in folds:
            if len(fold) == 1 and fold != canonical:
                table[ord(fold)] = canonical
    return table


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
