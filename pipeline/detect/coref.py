"""Resolve a source mention to the speaker it names, within one article.

Pronouns go to the most recent compatible speaker (or, failing one, person); nominal mentions ("the
diplomat", "the Kremlin spokesman") to the person the article or `seeds/speakers.yaml` gives that role;
names to the fullest form the article uses. Genders learnt from a resolved pronoun are kept for the rest
of the article.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from pipeline.detect.cues import Tokens
from pipeline.detect.frames import DAY_WORDS
from pipeline.detect.lexicon import SpeakerLexicon
from pipeline.detect.roster import Entity, Roster
from pipeline.detect.speakers import (
    DETERMINERS,
    GROUP_NOUNS,
    INDEFINITE,
    PRONOUNS,
    Mention,
    same_stem,
    subject_at_start,
    subject_before,
)

MAX_PARAGRAPHS_BACK = 4
SUBJECT_BONUS = 1.5  # a person who is the subject of this sentence or the one before
_INSTITUTION_HEADS_WORDS = """kremlin ministry government department office agency company firm council
    committee commission board court embassy police service army military party union association
    organization organisation federation league team club university school hospital administration
    cabinet parliament senate alliance bank group statement report letter response document note
    declaration study survey"""
INSTITUTION_HEADS = frozenset(_INSTITUTION_HEADS_WORDS.split())
# Words for a text that speaks for its author ("the statement said"): the author is the source.
_DOCUMENT_HEADS_WORDS = """statement statements response reply letter document report memo memorandum post
    release suit lawsuit complaint paper filing notice note email e-mail message tweet website declaration
    communique communiqué summary submission petition judgment ruling"""
DOCUMENT_HEADS = frozenset(_DOCUMENT_HEADS_WORDS.split())
# Common nouns for a body the article has named ("the company said" after "Acme said").
_BODY_HEADS_WORDS = """company firm agency department ministry government office council committee
    commission board union league team club group organization organisation association federation
    utility bank diocese church city province state county municipality authority regulator network
    school university college hospital court service railway airline retailer insurer lender bureau
    institute foundation charity party administration"""
BODY_HEADS = frozenset(_BODY_HEADS_WORDS.split())
POSSESSIVES = frozenset({"his", "her", "their", "its", "our", "my", "your"})


@dataclass(frozen=True)
class Resolution:
    speaker: str | None
    role: str | None
    person: bool  # a person (pronouns "he"/"she" may refer to it later)


@dataclass
class _Said:
    token: int
    paragraph: int
    resolution: Resolution
    entity: Entity | None


class Resolver:
    """Resolves mentions in document order, remembering who has spoken."""

    def __init__(
        self, text: str, tokens: Tokens, roster: Roster, lexicon: SpeakerLexicon, paragraph_starts: list[int]
    ) -> None:
        self.paragraph_starts = paragraph_starts  # first token of each paragraph
        self.sentence_starts: list[int] = []  # first token of each sentence, set by the caller
        self.text = text
        self.tokens = tokens
        self.roster = roster
        self.lexicon = lexicon
        self.history: list[_Said] = []

    def resolve(self, mention: Mention, paragraph: int, floor: int) -> Resolution:
        """Who `mention` names; `floor` is the first token of its sentence (for relative pronouns)."""
        entity: Entity | None = None
        if mention.kind == "pronoun":
            found = self._pronoun(self.tokens.lower[mention.first], mention.first, paragraph, floor)
            self._remember(mention.first, paragraph, found[0], found[1])
            return found[0]
        if mention.kind == "relative":
            comma = mention.first - 1
            antecedent = subject_before(self.tokens, comma, floor, self.lexicon)
            if antecedent is None or antecedent.kind == "relative":
                return Resolution(None, None, False)
            return self.resolve(antecedent, paragraph, floor)
        if mention.kind == "name":
            resolution, entity = self._name(mention)
        elif mention.kind == "nominal":
            resolution, entity = self._nominal(mention)
        else:
            resolution = Resolution(self._words(mention.first, mention.last), None, False)
        self._remember(mention.first, paragraph, resolution, entity)
        return resolution

    def paragraph_of(self, token: int) -> int:
        return bisect.bisect_right(self.paragraph_starts, token) - 1

    def inherit(self, resolution: Resolution, token: int, paragraph: int) -> None:
        """Record a statement whose speaker was carried over from the previous one."""
        self._remember(token, paragraph, resolution, None)

    def _remember(self, token: int, paragraph: int, resolution: Resolution, entity: Entity | None) -> None:
        if resolution.speaker is not None:
            if entity is None and resolution.person:
                entity = self.roster.entity_for(resolution.speaker.split()[-1])
            self.history.append(_Said(token, paragraph, resolution, entity))

    def _words(self, first: int, last: int) -> str:
        return self.text[self.tokens.starts[first] : self.tokens.ends[last - 1]]

    def _name(self, mention: Mention) -> tuple[Resolution, Entity | None]:
        first = max(mention.first, mention.name_first)
        name = self._words(first, mention.last)
        if name.endswith(("'s", "’s")):
            name = name[:-2]
        person = self.lexicon.by_alias.get(name.lower()) or self.lexicon.by_alias.get(
            name.split()[-1].lower()
        )
        if person is not None and not name.isascii():
            return Resolution(
                person.name, person.role, True
            ), None  # inflected Cyrillic forms: the seed's name
        institution = self.lexicon.institutions.get(name.lower())
        if institution is not None:
            return Resolution(name, None, False), None
        if name.isupper() and len(name) <= 8:
            expanded = self.roster.expand(name)
            if expanded != name:
                return Resolution(expanded, None, False), None
        entity = self.roster.entity_for(name.split()[-1])
        role = self._words(mention.first, first) if first > mention.first else None
        person = self.lexicon.by_alias.get(name.lower()) or self.lexicon.by_alias.get(
            name.split()[-1].lower()
        )
        if entity is not None:
            full = entity.name if len(entity.name.split()) >= len(name.split()) else name
            role = role or entity.role or (person.role if person else None)
            return Resolution(full, role, entity.person or person is not None), entity
        return Resolution(name, role or (person.role if person else None), person is not None), None

    def _nominal(self, mention: Mention) -> tuple[Resolution, Entity | None]:
        words = self._words(mention.first, mention.last)
        first_word = self.tokens.lower[mention.first]
        if first_word in INDEFINITE:
            return Resolution(words, None, False), None  # "a spokesperson": someone the article does not name
        bare = words.split(" ", 1)[1] if first_word in DETERMINERS and " " in words else words
        low = bare.lower().replace("’", "'")
        head = self.tokens.lower[mention.last - 1]
        for person in self.lexicon.people:
            if low.endswith(person.nominals):  # any of them (str.endswith takes a tuple)
                entity = self.roster.entity_for(person.name.split()[-1])
                if entity is not None:
                    return Resolution(entity.name, bare, True), entity
        for said in reversed(self.history[-10:]):
            described = f"{said.resolution.role or ''} {said.resolution.speaker or ''}".lower()
            if head in described.split():
                return said.resolution, said.entity
        for entity in self.roster.people_before(mention.first)[:30]:
            if entity.role and head in entity.role.lower().split():
                return Resolution(entity.name, bare, True), entity
        if not head.isascii():
            found = self._by_inflected_role(mention)
            if found is not None:
                return found
        if head in DOCUMENT_HEADS:
            return self._author(mention, words, bare), None
        owned = self.tokens.words[mention.first].endswith(("'s", "’s"))
        if head in BODY_HEADS and first_word not in POSSESSIVES and not owned:
            body = self._recent_body(mention.first, head)
            if body is not None:
                return body, None
        if head in INSTITUTION_HEADS or head not in self.lexicon.role_nouns:
            return Resolution(words, bare, False), None
        people = self.roster.people_before(mention.first)
        if people:
            return Resolution(people[0].name, bare, True), people[0]
        return Resolution(words, bare, True), None

    def _by_inflected_role(self, mention: Mention) -> tuple[Resolution, Entity] | None:
        """The person an article introduced with this role noun in any case ("пресс-секретарь президента
        Аркадий Беломестнов" for a later "по словам пресс-секретаря"): a role word among the four words
        before one of the last people named, most recent first."""
        lower = self.tokens.lower
        role = lower[mention.first]
        mentions = self.roster.mentions
        stop = bisect.bisect_left(mentions, mention.first, key=lambda m: m[0])
        for pos, entity in reversed(mentions[max(0, stop - 20) : stop]):
            for k in range(max(0, pos - 4), pos):
                if same_stem(lower[k], role):
                    return Resolution(entity.name, self._words(k, pos), True), entity
        return None

    def _author(self, mention: Mention, words: str, bare: str) -> Resolution:
        """The source of a document ("the RCMP statement", "Acme's letter", "the response" after "Moscow
        said"): the owner it names, else the most recent source within two paragraphs."""
        tokens = self.tokens
        for k in range(mention.first, mention.last - 1):
            word = tokens.words[k]
            if word.endswith(("'s", "’s")) and word[:1].isupper():
                return self._owner(word[:-2])
            if (
                word[:1].isupper()
                and tokens.lower[k] not in DETERMINERS
                and tokens.lower[k] not in DAY_WORDS
                and k > mention.first
            ):
                return self._owner(self._words(k, mention.last - 1))
        paragraph = self.paragraph_of(mention.first)
        for said in reversed(self.history[-6:]):
            if paragraph - said.paragraph > 2:
                break
            if said.resolution.speaker is not None:
                return Resolution(said.resolution.speaker, said.resolution.role, said.resolution.person)
        return Resolution(words, bare, False)

    def _owner(self, name: str) -> Resolution:
        entity = self.roster.entity_for(name.split()[-1])
        if entity is not None and len(entity.name.split()) >= len(name.split()):
            return Resolution(entity.name, entity.role, entity.person)
        return Resolution(self.roster.expand(name), None, False)

    def _recent_body(self, token: int, head: str) -> Resolution | None:
        """The body a common noun stands for: the last non-person source within three paragraphs whose
        words are a name (not itself "the company")."""
        paragraph = self.paragraph_of(token)
        for said in reversed(self.history[-8:]):
            if paragraph - said.paragraph > 3:
                break
            speaker = said.resolution.speaker
            if speaker is None or said.resolution.person or (said.entity is not None and said.entity.person):
                continue
            words = speaker.split()
            if words[-1].lower() in GROUP_NOUNS or words[0].lower() in self.lexicon.genders:
                continue
            if words[0].lower() in DETERMINERS and not any(w[:1].isupper() for w in words[1:]):
                continue
            if speaker.lower().split()[-1] in DOCUMENT_HEADS:
                continue
            return said.resolution
        return None

    def _pronoun(self, word: str, token: int, paragraph: int, floor: int) -> tuple[Resolution, Entity | None]:
        """The most likely antecedent: gender first, then being a speaker, then being near."""
        gender = PRONOUNS.get(word, "x")
        best: dict[str, tuple[float, Resolution, Entity | None]] = {}
        last = self.history[-1] if self.history else None
        for said in reversed(self.history[-12:]):
            distance = paragraph - said.paragraph
            if distance > MAX_PARAGRAPHS_BACK:
                break
            fit = self._fit(gender, said.resolution.person, said.entity)
            if fit is None or said.resolution.speaker is None:
                continue
            score = fit + 1.5 + (0.5 if said is last else 0.0) + (1.5 if distance == 0 else -0.5 * distance)
            key = said.resolution.speaker
            if key not in best or score > best[key][0]:
                best[key] = (score, said.resolution, said.entity)
        if gender in ("m", "f"):
            k = bisect.bisect_right(self.sentence_starts, token) - 1
            recent = self.sentence_starts[k - 1] if k >= 1 else floor  # the sentence before this one
            for pos, entity in self.roster.persons_before(token, 25):
                distance = paragraph - self.paragraph_of(pos)
                if distance > 2:
                    break
                fit = self._fit(gender, True, entity)
                if fit is None:
                    continue
                score = fit + (1.5 if distance == 0 else -0.5 * distance) + (0.5 if pos >= floor else 0.0)
                if pos >= recent and pos in self.roster.subjects:
                    score += SUBJECT_BONUS  # the subject of this sentence or the one before
                key = entity.name
                if key in best:
                    if score > best[key][0]:
                        best[key] = (score + 0.3, best[key][1], best[key][2] or entity)
                    continue
                best[key] = (score, Resolution(entity.name, entity.role, True), entity)
        if not best:
            return self._sentence_subject(token), None
        _, resolution, chosen = max(best.values(), key=lambda item: item[0])
        if chosen is not None and chosen.gender is None and gender in ("m", "f"):
            chosen.gender = gender
        return resolution, chosen

    def _sentence_subject(self, token: int) -> Resolution:
        """For a pronoun with no named antecedent: the role that opens one of the two sentences before
        ("Ukraine's president met negotiators. He said …" -> "Ukraine's president")."""
        k = bisect.bisect_right(self.sentence_starts, token) - 1
        for s in range(k - 1, max(-1, k - 3), -1):
            first = self.sentence_starts[s]
            stop = self.sentence_starts[s + 1]
            mention = subject_at_start(self.tokens, first, stop, self.lexicon)
            if mention is not None and mention.kind == "nominal":
                words = self._words(mention.first, mention.last)
                if self.tokens.lower[mention.last - 1] in self.lexicon.role_nouns:
                    return Resolution(words, words, True)
        return Resolution(None, None, False)

    @staticmethod
    def _fit(gender: str, person: bool, entity: Entity | None) -> float | None:
        """How well a pronoun of `gender` fits a candidate; None when it cannot refer to it."""
        if gender in ("m", "f"):
            if not person:
                return None
            known = entity.gender if entity is not None else None
            if known is None:
                return 0.0
            return 2.0 if known == gender else None
        if gender in ("n", "p"):
            return 0.5 if not person else (None if gender == "n" else -1.0)
        return None
