"""Assemble statements: quotes and reported speech, each with its source, role, cue, topics and score."""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass

from pipeline.detect import topics as topic_tagger
from pipeline.detect.coref import Resolution, Resolver
from pipeline.detect.cues import CueHit, Tokens, cue_openers, find_cues, tokenize
from pipeline.detect.floating import CueOnly, Draft, dedupe_drafts, float_quotes
from pipeline.detect.frames import CLOSING, DAY_WORDS, PREPOSITIONS, Framer, Sentence
from pipeline.detect.lexicon import load_cues, load_speakers
from pipeline.detect.quotes import find_quotes
from pipeline.detect.roster import Roster
from pipeline.detect.segment import split_paragraphs, split_sentences
from pipeline.detect.speakers import (
    Mention,
    source_after,
    subject_after,
    subject_at_start,
    subject_before,
)
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

DETECTOR_VERSION = "0.5.0"
MAX_TEXT = 2_000_000  # characters; longer input is cut (an article is far shorter)
# a clause they open tells when something happened: a promise made there is background ("years after the
# minister promised that …"), not a statement the article reports
TEMPORAL_SUBORDINATORS = frozenset({"after", "before", "since", "until", "when", "whenever", "once"})
BACKGROUND_LEMMAS = frozenset({"promise", "pledge", "vow"})
KIND_SCORE = {"direct": 0.9, "mixed": 0.85, "indirect": 0.75, "according_to": 0.8}


@dataclass(frozen=True)
class Statement:
    """One attributed statement, as CONTRACT.md describes it."""

    quote: str
    start: int
    end: int
    kind: str
    speaker: str | None
    speaker_mention: str | None
    speaker_start: int | None
    speaker_end: int | None
    speaker_role: str | None
    cue: str | None
    topics: tuple[str, ...]
    score: float

    def to_json(self) -> dict[str, object]:
        """The contract's dict for this statement."""
        return {
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "speaker": self.speaker,
            "speaker_mention": self.speaker_mention,
            "speaker_start": self.speaker_start,
            "speaker_end": self.speaker_end,
            "speaker_role": self.speaker_role,
            "cue": self.cue,
            "topics": list(self.topics),
            "score": self.score,
        }


def detect_statements(
    text: str, language: str | None = None, *, topical_only: bool = False, title: str | None = None
) -> list[Statement]:
    """Every attributed statement in an article (only those with a topic when `topical_only`).

    Never raises on odd input: a failure inside the rules is logged and yields no statements.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    text = text[:MAX_TEXT]
    paragraphs = split_paragraphs(text)
    only: list[int] | None = None
    gate: topic_tagger.TopicalGate | None = None
    if topical_only:
        gate = topic_tagger.topical_gate(text, paragraphs, language=language)
        if not gate.paragraphs:
            return []
        only = list(gate.paragraphs)
    try:
        found = _Detector(text, language, title, paragraphs, gate).run(only)
    except ConfigError:
        raise  # a broken seed file is a per-run failure, named by file and line
    except Exception:  # a bug in a rule must not stop a pipeline run; it is logged with the text's size
        log.exception("statement detection failed on a text of %d characters", len(text))
        return []
    if topical_only:
        return [s for s in found if s.topics]
    return found


class _Detector:
    def __init__(
        self,
        text: str,
        language: str | None,
        title: str | None = None,
        paragraphs: list[tuple[int, int]] | None = None,
        gate: topic_tagger.TopicalGate | None = None,
    ) -> None:
        self.text = text
        self.language = language
        self.gate = gate  # the topic gate's findings on this text, for tagging (topical path)
        self.cues = load_cues()
        self.lexicon = load_speakers()
        self.paragraphs = split_paragraphs(text) if paragraphs is None else paragraphs
        self.quotes = find_quotes(text, self.paragraphs)
        self.tokens: Tokens = tokenize(text)
        self.cue_openers = cue_openers(self.tokens, self.cues)
        self.quoted = bytearray(len(text) + 1)
        for q in self.quotes:
            self.quoted[q.start : q.end] = b"\x01" * (q.end - q.start)
        self.framer = Framer(text, self.tokens, self.quotes, self.cues.adjuncts)
        self.roster = Roster(text, self.tokens, self.lexicon)
        if title:
            self.roster.add_title(title[:2000])
        starts = [bisect.bisect_left(self.tokens.starts, ps) for ps, _ in self.paragraphs]
        self.resolver = Resolver(text, self.tokens, self.roster, self.lexicon, starts)
        self.sentences: list[Sentence] = []
        self.cue_only: list[CueOnly] = []
        self.taggable: set[int] | None = None  # on the topical path, the paragraphs a topic can come from

    def run(self, only: list[int] | None = None) -> list[Statement]:
        """The article's statements; with `only`, those near these paragraphs (the topical path)."""
        drafts: list[Draft] = []
        chosen = self._around(only) if only is not None else None
        self.taggable = set(only) if only is not None else None
        for pi, (ps, pe) in enumerate(self.paragraphs):
            if chosen is not None and pi not in chosen:
                continue
            quotes = [q for q in self.quotes if q.open < pe and q.outer_end > ps]
            for ss, se in split_sentences(self.text, ps, pe, quotes):
                first = bisect.bisect_left(self.tokens.starts, ss)
                last = bisect.bisect_left(self.tokens.starts, se)
                sentence = Sentence(ss, se, first, last, pi)
                self.sentences.append(sentence)
                drafts.extend(self._sentence(sentence))
        self.resolver.sentence_starts = [s.first for s in self.sentences]
        drafts = dedupe_drafts(drafts)
        drafts = float_quotes(self.text, self.quotes, self.sentences, drafts, self.cue_only)
        return self._finish(drafts)

    def _around(self, only: list[int]) -> set[int]:
        """The paragraphs to read for statements in `only`: each with the two before it (recent speakers,
        for pronouns; the roster still covers the whole article) and the one after (a cue-only sentence or
        a quote's next part), and every paragraph of a quotation that reaches one of them."""
        chosen = {k for i in only for k in range(max(0, i - 2), i + 2)}
        for q in self.quotes:
            if any(k in chosen for k in range(q.first_paragraph, q.last_paragraph + 1)):
                chosen.update(range(q.first_paragraph, q.last_paragraph + 1))
        return chosen

    def _sentence(self, sentence: Sentence) -> list[Draft]:
        out: list[Draft] = []
        hits = find_cues(self.tokens, sentence.first, sentence.last, self.cues, self.quoted, self.cue_openers)
        last_mention: Mention | None = None
        for hit in hits:
            drafts, mention = self._frame(sentence, hit, last_mention)
            out.extend(drafts)
            last_mention = mention or last_mention
        if out and self._is_question(sentence):
            out = [d for d in out if d.content.kind == "direct"]  # a question reports nothing indirect
        if out and self._is_headline(sentence):
            return [d for d in out if d.content.kind == "direct"]  # "Moscow demands guarantees": a headline
        return out

    def _is_question(self, sentence: Sentence) -> bool:
        """Whether the sentence ends with a question mark ("?" after a full stop is a mangled space)."""
        tail = self.text[max(sentence.start, sentence.end - 6) : sentence.end].rstrip()
        k = len(tail)
        while k > 0 and tail[k - 1] in '?!."”’»)':
            k -= 1
        return "?" in tail[k:] and "." not in tail[k:]

    def _is_headline(self, sentence: Sentence) -> bool:
        """A paragraph of one short line with no closing punctuation is a headline, not reported speech."""
        ps, pe = self.paragraphs[sentence.paragraph]
        text = self.text[ps:pe]
        return (
            sentence.start == ps
            and sentence.end == pe
            and "\n" not in text
            and text[-1:] not in ".!?…\"”»’'"
            and sentence.last - sentence.first <= 20
        )

    def _frame(
        self, sentence: Sentence, hit: CueHit, previous: Mention | None
    ) -> tuple[list[Draft], Mention | None]:
        tokens = self.tokens
        if hit.according_to:
            source = source_after(tokens, hit.last, sentence.last, self.lexicon)
            if source is None:
                return [], None
            content = self.framer.according(sentence, hit, source)
            return ([Draft(content, sentence, source, hit)] if content else []), source
        prev_tok = hit.first - 1
        inverted = prev_tok >= sentence.first and (
            tokens.words[prev_tok] in ",—–" or tokens.words[prev_tok][-1:] in CLOSING
        )
        mention: Mention | None = None
        after_subject = False
        if inverted and not hit.participle:
            mention = subject_after(tokens, hit.last, sentence.last, self.lexicon)
            if mention is not None and not self._ends_clause(mention.last, sentence.last):
                mention = None
            after_subject = mention is not None
        if mention is None:
            mention = subject_before(tokens, hit.first, sentence.first, self.lexicon)
            if (
                mention is not None
                and mention.first > sentence.first
                and tokens.lower[mention.first - 1] in TEMPORAL_SUBORDINATORS
                and hit.verb is not None
                and hit.verb.lemma in BACKGROUND_LEMMAS
            ):
                return [], None  # "years after the minister promised that …": background, not a statement
        if (
            mention is None
            and prev_tok >= sentence.first
            and tokens.words[prev_tok] == ","
            and not hit.participle
        ):
            mention = self._before_apposition(sentence, prev_tok)
        if mention is None and hit.participle and inverted:
            mention = previous or subject_at_start(tokens, sentence.first, sentence.last, self.lexicon)
            if mention is None:
                return [], None
            previous = mention
            clause_start = tokens.starts[hit.first]
        elif mention is None:
            return [], None
        else:
            clause_start = tokens.starts[mention.first if not after_subject else hit.first]
        after_token = mention.last if after_subject else hit.last
        if mention is previous and hit.participle:
            after_token = hit.last
        weak = hit.verb is not None and not hit.verb.strong
        before = (
            None if (mention is previous and hit.participle) else self.framer.before(sentence, clause_start)
        )
        after, marked = self.framer.after(sentence, after_token, hit, after_subject)
        if before is not None and before.kind != "direct" and (weak or after is not None):
            before = None
        if after is not None and after.kind != "direct" and weak and not marked:
            after = None
        if after is not None and before is not None and after.kind != "direct":
            after = None
        drafts = [Draft(c, sentence, mention, hit, weak=weak) for c in (before, after) if c is not None]
        if not drafts and before is None and self._clause_only(sentence, clause_start, after_token):
            self.cue_only.append((sentence, mention, hit))
        return drafts, mention

    def _ends_clause(self, token: int, stop: int) -> bool:
        """Whether an inverted source ends its clause ("said Lavrov." / "said Lavrov, who" / "… on")."""
        if token >= stop:
            return True
        word = self.tokens.lower[token]
        if not word[:1].isalnum() or word in DAY_WORDS or word in PREPOSITIONS:
            return True
        return self.framer.skip_adjuncts(token, stop) > token

    def _before_apposition(self, sentence: Sentence, comma: int) -> Mention | None:
        """The source around an apposition: "Lavrov, Russia's foreign minister, said" (comma = the second),
        or "Russia's foreign minister, Sergey Lavrov, said"."""
        tokens = self.tokens
        for k in range(comma - 1, max(sentence.first, comma - 18) - 1, -1):
            word = tokens.words[k]
            if word in ";:" or self.quoted[tokens.starts[k]] or word[-1:] in CLOSING:
                return None
            if word == ",":
                inner = subject_before(tokens, comma, k + 1, self.lexicon)
                if inner is not None and inner.kind == "name" and inner.first == k + 1:
                    return inner
                mention = subject_before(tokens, k, sentence.first, self.lexicon)
                if mention is not None and mention.kind in ("name", "nominal", "group"):
                    return mention
                return None
        return None

    def _clause_only(self, sentence: Sentence, clause_start: int, after_token: int) -> bool:
        """Whether the sentence holds nothing but the source, the cue and adjuncts."""
        if self.text[sentence.start : clause_start].strip():
            return False
        tail = sentence.last - after_token
        return tail <= 12 and not any(
            self.quoted[self.tokens.starts[k]] for k in range(after_token, sentence.last)
        )

    def _finish(self, drafts: list[Draft]) -> list[Statement]:
        out: list[Statement] = []
        for d in drafts:
            if d.follows is not None and d.follows.resolution is not None:
                d.resolution = d.follows.resolution
                self.resolver.inherit(d.resolution, self.tokens_at(d.content.start), d.sentence.paragraph)
            elif d.mention is not None:
                d.resolution = self.resolver.resolve(d.mention, d.sentence.paragraph, d.sentence.first)
            else:
                continue
            out.append(self._statement(d))
        return out

    def tokens_at(self, char: int) -> int:
        return bisect.bisect_left(self.tokens.starts, char)

    def _may_have_topics(self, d: Draft) -> bool:
        """On the topical path, only a statement in a paragraph the topic gate kept can have a topic (the
        gate keeps every paragraph a rule can fire in, and those that refer back to one); the neighbours
        read for speakers are not tagged."""
        if self.taggable is None:
            return True
        first = last = d.sentence.paragraph
        quote = d.content.quote
        if quote is not None:
            first, last = min(first, quote.first_paragraph), max(last, quote.last_paragraph)
        return any(k in self.taggable for k in range(first, last + 1))

    def _statement(self, d: Draft) -> Statement:
        text, tokens = self.text, self.tokens
        c = d.content
        resolution = d.resolution or Resolution(None, None, False)
        mention_text = mention_start = mention_end = None
        if d.mention is not None and d.follows is None:
            mention_start = tokens.starts[d.mention.first]
            mention_end = tokens.ends[d.mention.last - 1]
            mention_text = text[mention_start:mention_end]
        cue = None
        if d.cue is not None:
            cue = text[tokens.starts[d.cue.first] : tokens.ends[d.cue.last - 1]]
        context_start = min(d.sentence.start, c.start)
        context_end = max(d.sentence.end, c.end)
        topics: tuple[str, ...] = ()
        if self._may_have_topics(d):
            before = text[max(0, context_start - 600) : context_start]
            topics = topic_tagger.tag_topics(
                text[c.start : c.end],
                sentence=text[context_start:context_end],
                before=before,
                language=self.language,
                gate=self.gate,
            ).topics
        score = KIND_SCORE.get(c.kind, 0.7)
        if d.follows is not None:
            score -= 0.15
        if d.weak:
            score -= 0.1
        if resolution.speaker is None:
            score -= 0.3
        return Statement(
            quote=text[c.start : c.end],
            start=c.start,
            end=c.end,
            kind=c.kind,
            speaker=resolution.speaker,
            speaker_mention=mention_text,
            speaker_start=mention_start,
            speaker_end=mention_end,
            speaker_role=resolution.role,
            cue=cue,
            topics=topics,
            score=round(max(0.05, min(1.0, score)), 3),
        )
