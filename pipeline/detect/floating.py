"""Drafts of statements, and the quotations no cue claimed: a cue-only sentence next to a quotation
("… ," he said. / "Stoltenberg said at the summit:") gives it a source; a floating quotation right after a
statement takes that statement's speaker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.detect.coref import Resolution
from pipeline.detect.cues import CueHit
from pipeline.detect.frames import Content, Sentence
from pipeline.detect.quotes import Quote
from pipeline.detect.speakers import Mention

CueOnly = tuple[Sentence, Mention, CueHit]  # a sentence holding only a source, a cue and adjuncts


@dataclass
class Draft:
    """A statement being assembled: its content, sentence, source mention and cue."""

    content: Content
    sentence: Sentence
    mention: Mention | None
    cue: CueHit | None
    follows: Draft | None = None  # a floating quote takes the speaker of this statement
    resolution: Resolution | None = None
    weak: bool = False
    extra: list[int] = field(default_factory=list)


def dedupe_drafts(drafts: list[Draft]) -> list[Draft]:
    """The drafts in text order, without one that shares most of its span with the one before it."""
    drafts.sort(key=lambda d: (d.content.start, -(d.content.end - d.content.start)))
    kept: list[Draft] = []
    for d in drafts:
        if kept and d.content.start < kept[-1].content.end:
            prev = kept[-1]
            shared = min(d.content.end, prev.content.end) - d.content.start
            if shared * 2 > min(d.content.end - d.content.start, prev.content.end - prev.content.start):
                continue
        kept.append(d)
    return kept


def float_quotes(
    text: str, quotes: list[Quote], sentences: list[Sentence], drafts: list[Draft], cue_only: list[CueOnly]
) -> list[Draft]:
    """Attribute the quotations no cue claimed: cue-only sentences first, then floating quotes (each after
    a statement in the same or the previous paragraph follows it)."""
    covered = bytearray(len(text) + 1)
    for d in drafts:
        covered[d.content.start : d.content.end] = b"\x01" * (d.content.end - d.content.start)
    starts = {s.start: s for s in sentences}
    free = [q for q in quotes if not covered[q.start] and q.open in starts and q.end - q.start >= 12]
    by_start = {c[0].start: c for c in cue_only}
    by_end = {c[0].end: c for c in cue_only}
    added: list[Draft] = []
    for q in free:
        claim = _cue_only_for(text, q, by_start, by_end) if cue_only else None
        if claim is not None:
            cue_sentence, mention, hit = claim
            added.append(Draft(Content(q.start, q.end, "direct", q), cue_sentence, mention, hit))
    drafts = sorted(drafts + added, key=lambda d: d.content.start)
    out: list[Draft] = []
    di = 0
    for q in free:
        if any(a.content.start == q.start for a in added):
            continue
        while di < len(drafts) and drafts[di].content.start < q.start:
            out.append(drafts[di])
            di += 1
        sentence = starts[q.open]
        prev = out[-1] if out else None
        if prev is None or prev.content.end > q.open:
            continue
        if sentence.paragraph - prev.sentence.paragraph > 1:
            continue
        out.append(Draft(Content(q.start, q.end, "direct", q), sentence, None, None, follows=prev))
    out.extend(drafts[di:])
    out.sort(key=lambda d: d.content.start)
    return out


def _cue_only_for(
    text: str, quote: Quote, by_start: dict[int, CueOnly], by_end: dict[int, CueOnly]
) -> CueOnly | None:
    """A cue-only sentence right after the quotation (same or next paragraph), or one ending with a colon
    just before it ("Stoltenberg said at the summit:")."""
    after = quote.outer_end
    while after < len(text) and after - quote.outer_end < 20 and text[after] in " \n\t.":
        after += 1
    found = by_start.get(after)
    if found is not None:
        return found
    before = quote.open
    while before > 0 and quote.open - before < 20 and text[before - 1].isspace():
        before -= 1
    if before > 0 and text[before - 1] == ":":
        return by_end.get(before)
    return None
