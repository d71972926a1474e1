"""Reported-speech frames around one cue: where the reported words are, relative to the cue and its source.

For a cue with its source (`X said`, `said X`), the reported words are before it (`"…," X said.`,
`…, X said.`), after it (`X said (that) …`, `X said: "…"`), or both (`"…," he said, "…"`). A cue with
nothing reported beside it (`Lavrov told reporters after the meeting.`) is a cue-only sentence that names the
speaker of an adjacent quotation. `according to X` frames work the same way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pipeline.detect.cues import CueHit, Tokens
from pipeline.detect.quotes import Quote
from pipeline.detect.speakers import PRONOUNS, Mention

SEPARATORS = ",—–-"
CLOSING = "\"”’'»«“"
OBJECT_VERBS = frozenset(
    {"tell", "ask", "warn", "urge", "assure", "remind", "inform", "accuse", "promise", "call on", "press"}
)
# verbs of demanding whose object is followed by the demanded action: "urged the allies to set a date"
DEMAND_VERBS = frozenset({"urge", "ask", "call on", "press"})
_NOT_VERBS_WORDS = "the a an his her their its our my your this that these those all some any no"
_NOT_VERBS = frozenset(_NOT_VERBS_WORDS.split())
_OBJECT_ENDS = frozenset({"that", "on", "in", "at", "to"})  # a word that ends the person told
_OBJECT_PRONOUNS_WORDS = "him her them me us you it reporters journalists"
OBJECT_PRONOUNS = frozenset(_OBJECT_PRONOUNS_WORDS.split())
END_PUNCT = ".!?;:…"
_DAY_WORDS_WORDS = """monday tuesday wednesday thursday friday saturday sunday today yesterday tonight
    earlier later recently again also previously repeatedly privately publicly afterward afterwards"""
DAY_WORDS = frozenset(_DAY_WORDS_WORDS.split())
_PERIOD_WORDS_WORDS = "week month year night morning afternoon evening weekend"
PERIOD_WORDS = frozenset(_PERIOD_WORDS_WORDS.split())
_PREPOSITIONS_WORDS = """in at on during after following before from with to via of about over while
    when through by for under amid"""
PREPOSITIONS = frozenset(_PREPOSITIONS_WORDS.split())
QUOTE_MARKS = re.compile('["“”«»„]')


@dataclass(frozen=True)
class Content:
    """Reported words found for a cue: text[start:end]."""

    start: int
    end: int
    kind: str  # direct, indirect, mixed, according_to
    quote: Quote | None  # the quotation, for a direct statement


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    first: int  # first token
    last: int  # one past the last token
    paragraph: int


@functools.cache
def _by_first_word(phrases: tuple[tuple[str, ...], ...]) -> dict[str, tuple[tuple[str, ...], ...]] | None:
    """The phrases grouped by their first word, each group in the given order (None if one is empty)."""
    if not all(phrases):
        return None
    groups: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        groups.setdefault(phrase[0], []).append(phrase)
    return {word: tuple(group) for word, group in groups.items()}


class Framer:
    """Reads the frames of the cues of one article."""

    def __init__(
        self, text: str, tokens: Tokens, quotes: list[Quote], adjuncts: tuple[tuple[str, ...], ...]
    ) -> None:
        self.text = text
        self.adjuncts = adjuncts
        self.tokens = tokens
        self.quote_at_open = {q.open: q for q in quotes}
        self.quote_at_close = {q.close: q for q in quotes if q.close is not None}
        self.quote_by_end = {q.end: q for q in quotes}
        self.quotes = quotes
        self.adjuncts_by_first = _by_first_word(adjuncts)

    def before(self, sentence: Sentence, clause_start: int) -> Content | None:
        """Reported words ending just before the source-and-cue clause that starts at char `clause_start`."""
        text = self.text
        end = clause_start
        while end > sentence.start and text[end - 1].isspace():
            end -= 1
        if end <= sentence.start:
            return None
        last = text[end - 1]
        if last in CLOSING and (end - 1) in self.quote_at_close:
            quote = self.quote_at_close[end - 1]
            return Content(quote.start, quote.end, "direct", quote)
        if last not in SEPARATORS:
            return None
        while end > sentence.start and (text[end - 1] in SEPARATORS or text[end - 1].isspace()):
            end -= 1
        if end > sentence.start and text[end - 1] in CLOSING and (end - 1) in self.quote_at_close:
            quote = self.quote_at_close[end - 1]
            return Content(quote.start, quote.end, "direct", quote)
        start = sentence.start
        if end - start < 12:
            return None
        return Content(start, end, self._kind(start, end), None)

    def after(
        self, sentence: Sentence, token: int, hit: CueHit, has_subject_after: bool
    ) -> tuple[Content | None, bool]:
        """Reported words after the clause ending before `token`, and whether "that" or a colon led them."""
        tokens = self.tokens
        k = token
        end_tok = sentence.last
        if k >= end_tok:
            return None, False
        verb = hit.verb
        if verb is not None and verb.lemma in OBJECT_VERBS and not has_subject_after:
            k = self._skip_object(k, end_tok)
        marked = False
        if verb is not None and verb.lemma in DEMAND_VERBS and not has_subject_after:
            action = self._demanded(sentence, token, k, end_tok)
            if action is not None:
                return action, True
        k = self.skip_adjuncts(k, end_tok)
        if k < end_tok and tokens.lower[k] in PREPOSITIONS:
            steps = 0
            while k < end_tok and steps < 14:
                w = tokens.words[k]
                if tokens.lower[k] == "that" or w in (",", ":") or tokens.starts[k] in self.quote_at_open:
                    break
                k += 1
                steps += 1
            if k >= end_tok or steps >= 14:
                return None, False
        if k < end_tok and tokens.words[k] == ",":
            nxt = k + 1
            if nxt < end_tok and (
                tokens.starts[nxt] in self.quote_at_open or tokens.lower[nxt] in ("that", "что", "що", "як")
            ):
                k = nxt
            else:
                return None, False
        if k < end_tok and (tokens.lower[k] in ("that", "что", "що") or tokens.words[k] == ":"):
            marked = True
            k += 1
        if k >= end_tok:
            return None, marked
        quote = self.quote_at_open.get(tokens.starts[k])
        if quote is not None:
            return Content(quote.start, quote.end, "direct", quote), True
        return self._rest(sentence, k, end_tok), marked

    def _demanded(self, sentence: Sentence, token: int, k: int, end_tok: int) -> Content | None:
        """The action a demand asks for, after its object (from `token`, skipped up to `k`) and "to":
        "urged NATO allies on Friday to set a date", "asked voters to stay home" (None: no such clause)."""
        tokens = self.tokens
        if k == token and k + 1 < end_tok:
            word = tokens.words[k]  # a bare plural object: "urged voters to"
            if word.isalpha() and word.islower() and word not in _NOT_VERBS and tokens.lower[k + 1] == "to":
                k += 1
        if k == token:
            return None
        k = self.skip_adjuncts(k, end_tok)
        return self._rest(sentence, k + 1, end_tok) if self._to_action(k, end_tok) else None

    def _rest(self, sentence: Sentence, k: int, end_tok: int) -> Content | None:
        """The reported words from token `k` to the end of the sentence (None when too short)."""
        text = self.text
        start = self.tokens.starts[k]
        end = sentence.end
        while end > start and (text[end - 1] in END_PUNCT or text[end - 1].isspace()):
            end -= 1
        if end - start < 12 or end_tok - k < 3:
            return None
        return Content(start, end, self._kind(start, end), None)

    def _to_action(self, k: int, stop: int) -> bool:
        """Whether tokens k, k+1 are "to" and a word that may be a verb ("to set", not "to the talks")."""
        if k + 1 >= stop or self.tokens.lower[k] != "to":
            return False
        word = self.tokens.words[k + 1]
        return word.isalpha() and word.islower() and word not in _NOT_VERBS and word not in PREPOSITIONS

    def skip_adjuncts(self, k: int, stop: int) -> int:
        """Skip time and manner adjuncts after a cue: "on Friday", "last week", "in a statement"."""
        tokens = self.tokens
        for _ in range(6):
            if k >= stop:
                return k
            low = tokens.lower[k]
            if low in DAY_WORDS:
                k += 1
                continue
            nxt = tokens.lower[k + 1] if k + 1 < stop else ""
            if low in ("on", "last", "this", "next", "earlier", "late", "early") and (
                nxt in DAY_WORDS or nxt in PERIOD_WORDS
            ):
                k += 2
                continue
            for phrase in self.adjuncts_by_first.get(low, ()) if self.adjuncts_by_first else self.adjuncts:
                if tuple(tokens.lower[k : k + len(phrase)]) == phrase:
                    k += len(phrase)
                    break
            else:
                return k
        return k

    def _skip_object(self, k: int, stop: int) -> int:
        """Skip the person told ("told reporters", "told The Canadian Press", "told him")."""
        tokens = self.tokens
        if k >= stop:
            return k
        low = tokens.lower[k]
        if low in OBJECT_PRONOUNS or low in PRONOUNS:
            return k + 1
        j = k
        if low in ("the", "a", "an", "his", "her", "their"):
            j += 1
        while j < stop and j - k < 6 and tokens.words[j][:1].isupper():
            j += 1
        if j == k:
            return k
        if j < stop and tokens.words[j][:1].islower() and tokens.lower[j] not in _OBJECT_ENDS:
            # "told the committee members that": one more common noun
            j += 1
        return j

    def _kind(self, start: int, end: int) -> str:
        for m in QUOTE_MARKS.finditer(self.text, start, min(end, start + 2000)):
            i = m.start()
            if i in self.quote_at_open or i in self.quote_at_close:
                return "mixed"
        return "indirect"

    def according(self, sentence: Sentence, hit: CueHit, mention: Mention) -> Content | None:
        """The words reported by an according-to frame."""
        tokens, text = self.tokens, self.text
        if hit.first == sentence.first or (
            hit.first > sentence.first and tokens.words[hit.first - 1] in ",("
        ):
            after = mention.last
            if after < sentence.last and tokens.words[after] == ",":
                start = tokens.starts[after + 1] if after + 1 < sentence.last else sentence.end
                end = sentence.end
                while end > start and (text[end - 1] in END_PUNCT or text[end - 1].isspace()):
                    end -= 1
                if end - start >= 12 and hit.first == sentence.first:
                    return Content(start, end, "according_to", None)
            if hit.first > sentence.first:
                end = tokens.starts[hit.first - 1]
                while end > sentence.start and text[end - 1].isspace():
                    end -= 1
                if end - sentence.start >= 12:
                    return Content(sentence.start, end, "according_to", None)
        return None
