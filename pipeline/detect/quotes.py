"""Find quotations: every mark style, nesting, quotes over several paragraphs, stray marks tolerated.

The scan is one pass over the quote marks of each paragraph with a small stack, so its cost is linear in the
text. An opening mark that is never closed runs to the end of its paragraph; it continues into the next
paragraph only when that paragraph opens with a quote mark too (the news convention for a long quotation), so
a stray mark never costs more than the rest of its own paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKS = re.compile("[\"“”„‘’'«»‹›]")
DOUBLE_OPENERS = frozenset('"“„«»')
SPACE_BEFORE = frozenset(' \t\n\r([{—–-/\u00a0"“„«‘')


@dataclass(frozen=True)
class Quote:
    """A top-level quotation; `start:end` is the quoted text, inside the marks."""

    open: int  # position of the opening mark
    close: int | None  # position of the closing mark; None when the quote runs to the end of a paragraph
    start: int
    end: int
    first_paragraph: int
    last_paragraph: int

    @property
    def outer_end(self) -> int:
        """Just past the closing mark (or the end of the quoted text when there is none)."""
        return self.close + 1 if self.close is not None else self.end


class _Entry:
    """An opening mark waiting for its closer."""

    __slots__ = ("close", "closers", "double", "first_paragraph", "parent", "pos")

    def __init__(self, pos: int, closers: str, double: bool, parent: _Entry | None, paragraph: int) -> None:
        self.pos = pos
        self.closers = closers
        self.double = double
        self.parent = parent
        self.close: int | None = None
        self.first_paragraph = paragraph


def _closer_index(stack: list[_Entry], mark: str) -> int:
    for k in range(len(stack) - 1, -1, -1):
        if mark in stack[k].closers:
            return k
    return -1


def _opener(mark: str, prev: str, nxt: str) -> tuple[str, bool] | None:
    """The closers and double-ness of an opening mark, or None when the mark does not open here."""
    if mark == "“":
        return "”“", True
    if mark in '"„':
        return '"“”' if mark == "„" else '"”', True  # a straight mark closed by a curly one: mixed styles
    if mark == "«":
        return "»", True
    if mark == "»":
        return "«", True
    if mark == "‹":
        return "›", False
    if mark == "‘" and not nxt.isspace():
        return "’", False
    if mark == "'" and (prev in SPACE_BEFORE or prev == "") and nxt.isalpha():
        return "'", False
    if mark == "”" and (prev in SPACE_BEFORE or prev == "") and nxt and not nxt.isspace():
        return "”", True  # the Scandinavian ”…” style
    return None


def _is_closing(mark: str, prev: str, nxt: str) -> bool:
    """Whether a mark that may close a quote does so here (and is not an apostrophe)."""
    if mark in "’'":
        return not prev.isspace() and not nxt.isalnum()
    return True


def find_quotes(text: str, paragraphs: list[tuple[int, int]]) -> list[Quote]:
    """Top-level quotations of `text`, whose paragraphs are the given (start, end) spans, in order."""
    found: list[Quote] = []
    carry: _Entry | None = None
    carry_end = 0
    for pi, (ps, pe) in enumerate(paragraphs):
        stack: list[_Entry] = []
        scan_from = ps
        if carry is not None:
            lead = ps
            while lead < pe and text[lead].isspace():
                lead += 1
            if lead < pe and text[lead] in DOUBLE_OPENERS:
                stack.append(carry)
                scan_from = lead + 1
            else:
                found.append(_unclosed(text, carry, carry_end, pi - 1))
            carry = None
        closed: list[_Entry] = []
        for m in MARKS.finditer(text, scan_from, pe):
            i = m.start()
            mark = text[i]
            prev = text[i - 1] if i > ps else ""
            nxt = text[i + 1] if i + 1 < pe else ""
            k = _closer_index(stack, mark)
            if k >= 0 and _is_closing(mark, prev, nxt):
                entry = stack[k]
                entry.close = i
                closed.append(entry)
                del stack[k:]
                continue
            opening = _opener(mark, prev, nxt)
            if opening is not None:
                parent = stack[-1] if stack else None
                stack.append(_Entry(i, opening[0], opening[1], parent, pi))
        for entry in closed:
            if _is_top_level(entry):
                found.append(_closed(text, entry, pi))
        if stack and stack[0].double:
            carry, carry_end = stack[0], pe
    if carry is not None:
        found.append(_unclosed(text, carry, carry_end, len(paragraphs) - 1))
    found.sort(key=lambda q: q.open)
    return [q for q in found if q.end > q.start]


def _is_top_level(entry: _Entry) -> bool:
    parent = entry.parent
    while parent is not None:
        if parent.close is not None:
            return False
        if parent.parent is None and parent.double:
            return False  # an open-ended quotation at the bottom holds what it contains
        parent = parent.parent  # an unclosed single mark is an apostrophe or a stray: it holds nothing
    return True


def _closed(text: str, entry: _Entry, paragraph: int) -> Quote:
    assert entry.close is not None
    return Quote(entry.pos, entry.close, entry.pos + 1, entry.close, entry.first_paragraph, paragraph)


def _unclosed(text: str, entry: _Entry, end: int, paragraph: int) -> Quote:
    stop = end
    while stop > entry.pos + 1 and text[stop - 1].isspace():
        stop -= 1
    return Quote(entry.pos, None, entry.pos + 1, stop, entry.first_paragraph, paragraph)
