"""Words of an article and the reported-speech cues among them.

`tokenize` splits the text once into word and punctuation tokens with their offsets; `find_cues` marks the
verbs of saying (single words and phrases like "pointed out") and the according-to frames from
`seeds/cues.yaml`. Tokens inside quotation marks are the speaker's own words and are never cues.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, count

from pipeline.detect.lexicon import CueLexicon, CueVerb

# possessive repeats: a word run is never given back (what follows it cannot start with a word character)
TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W_]++(?:[’'\-.][^\W_]++)*+|\S")

_BE_FORMS_WORDS = "is are was were be been being am"
BE_FORMS = frozenset(_BE_FORMS_WORDS.split())
PARTICIPLE_SUBJECTLESS = frozenset({"to"})


@dataclass(frozen=True)
class Tokens:
    """Word and punctuation tokens of one text, with their character spans."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    words: tuple[str, ...]
    lower: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.words)


def tokenize(text: str) -> Tokens:
    """Split `text` into tokens: words (with inner apostrophes, hyphens, dots), initialisms, punctuation."""
    found = list(TOKEN.finditer(text))
    if not found:
        return Tokens((), (), (), ())
    words = tuple(map(re.Match.group, found))
    return Tokens(
        tuple(map(re.Match.start, found)),
        tuple(map(re.Match.end, found)),
        words,
        tuple(map(str.lower, words)),
    )


@dataclass(frozen=True)
class CueHit:
    """A verb of saying (or an according-to phrase) at tokens [first, last)."""

    first: int
    last: int
    verb: CueVerb | None  # None for an according-to phrase
    according_to: bool = False

    @property
    def participle(self) -> bool:
        return self.verb is not None and self.verb.language == "en" and self.verb.form[0].endswith("ing")


def _phrase_at(tokens: Tokens, i: int, phrase: tuple[str, ...], stop: int) -> bool:
    end = i + len(phrase)
    return end <= stop and tokens.lower[i:end] == phrase


def cue_openers(tokens: Tokens, lexicon: CueLexicon) -> list[int]:
    """Indices of the tokens a cue may start with (its words), for `find_cues`."""
    return list(compress(count(), map(lexicon.openers.__contains__, tokens.lower)))


def find_cues(
    tokens: Tokens,
    first: int,
    last: int,
    lexicon: CueLexicon,
    quoted: bytearray,
    openers: Sequence[int] | None = None,
) -> list[CueHit]:
    """Cues among tokens [first, last), skipping tokens inside quotations (`quoted[char] == 1`).

    `openers` (from `cue_openers` on the same tokens) spares looking at the words no cue starts with.
    """
    if openers is None:
        openers = cue_openers(tokens, lexicon)
    hits: list[CueHit] = []
    lower, starts = tokens.lower, tokens.starts
    after = first  # a cue found ends here: the next starts at or after it
    for k in range(bisect.bisect_left(openers, first), bisect.bisect_left(openers, last)):
        i = openers[k]
        if i < after or quoted[starts[i]]:
            continue  # inside the last cue, or quoted
        word = lower[i]
        found: CueHit | None = None
        if word in lexicon.according_first:
            for phrase in lexicon.according_to:
                if _phrase_at(tokens, i, phrase, last):
                    found = CueHit(i, i + len(phrase), None, according_to=True)
                    break
        if found is None:
            for verb in lexicon.verbs.get(word, ()):
                if _phrase_at(tokens, i, verb.form, last):
                    found = CueHit(i, i + len(verb.form), verb)
                    break
        if found is not None and found.verb is not None and _is_not_speech(tokens, i, first):
            found = None
        word_i = tokens.words[i]
        if found is not None and i > first and word_i[:1].isupper() and not word_i.isupper():
            found = None  # a capitalised word inside a sentence is a name ("the United States"), not a verb
        if found is not None:
            hits.append(found)
            after = found.last
    return hits


def _is_not_speech(tokens: Tokens, i: int, first: int) -> bool:
    """A passive ("was told"), an infinitive ("declined to say") or a noun use ("the says")."""
    if i == first:
        return False
    before = tokens.lower[i - 1]
    if before in BE_FORMS:
        return tokens.lower[i] not in ("saying",)
    if before == "to":
        return not (
            i - 2 >= first and tokens.lower[i - 2] in ("on", "went", "goes", "go", "had", "has", "have")
        )
    return before in ("the", "a", "an", "his", "her", "their", "its", "my", "our", "your")
