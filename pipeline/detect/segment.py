"""Split an article into paragraphs and sentences, the news way.

Paragraphs are separated by a blank line. Sentences end at `.`, `!`, `?` or `…` followed by a space and a
capital, a digit or a quote mark, except after a title or month abbreviation (Mr., Gen., Feb.), an initial
(J. Smith), an initialism not followed by a sentence opener (the U.S. State Department), and never inside a
quotation: a quote of several sentences stays in the sentence that reports it. A line break always ends a
sentence. Everything is a single left-to-right pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.detect.quotes import Quote

PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n\s*")
ENDING = re.compile(r"[.!?…]+[\"”’'»)\]]*(?=\s)|\n")
WORD_BEFORE = re.compile(r"([\w.]+)$")

_ABBREVIATIONS_WORDS = """mr mrs ms dr gen lt col sgt capt cpl maj adm gov sen rep st jr sr prof rev hon
    fr pres supt insp det cmdr jan feb mar apr jun jul aug sep sept oct nov dec no nos vs mt ft ave blvd
    rd approx est dept univ atty gens reps sens govs messrs mme mlle"""
ABBREVIATIONS = frozenset(_ABBREVIATIONS_WORDS.split())
_OPENERS_WORDS = """the he she it they we i a an but and in on at this that these those there his her
    its their our my as so yet if when while after before for with by from some many most all one two no
    not what who why how however meanwhile still also"""
OPENERS = frozenset(_OPENERS_WORDS.split())


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the non-empty paragraphs of `text`, leading and trailing space trimmed."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in PARAGRAPH_BREAK.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))
    return out


def _is_boundary(text: str, i: int, stop: int, para_end: int) -> bool:
    """Whether the ending that covers text[i:stop] closes a sentence."""
    nxt = stop
    while nxt < para_end and text[nxt].isspace():
        nxt += 1
    if nxt >= para_end:
        return True
    follower = text[nxt]
    if not (follower.isupper() or follower.isdigit() or follower in "\"“‘'«„([—–-"):
        return False
    if text[i] != ".":
        return True
    m = WORD_BEFORE.search(text, max(0, i - 40), i)
    if m is None:
        return True
    word = m.group(1)
    if word.lower() in ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isupper():
        return False  # an initial: "J. Smith"
    if "." in word and word.replace(".", "").isupper() and len(word) <= 8:
        after = re.match(r"[\w’']+", text[nxt : nxt + 20])
        return after is not None and after.group(0).lower() in OPENERS
    return True


def split_sentences(text: str, start: int, end: int, quotes: Sequence[Quote] = ()) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in text[start:end]; `quotes` (sorted) are never split inside."""
    cuts: list[int] = []
    qi = 0
    nq = len(quotes)
    for m in ENDING.finditer(text, start, end):
        i, stop = m.start(), m.end()
        while qi < nq and quotes[qi].outer_end <= i:
            qi += 1
        close = quotes[qi].close if qi < nq else None
        if qi < nq and quotes[qi].open < i and not (close is not None and close < stop):
            continue  # inside a quotation that does not close within this ending
        if text[i] == "\n" or _is_boundary(text, i, stop, end):
            cuts.append(stop)
    spans = []
    pos = start
    for cut in [*cuts, end]:
        s, e = pos, min(cut, end)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
        pos = cut
    return spans
