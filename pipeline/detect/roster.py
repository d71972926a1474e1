"""The people and bodies an article names: fullest names, roles, genders, and who is a person.

Built once per article from its capitalised name runs ("Russian Foreign Minister Sergey Lavrov" gives the name
"Sergey Lavrov" and the role "Russian Foreign Minister"); a headline may add the people it names. A name later
shortened to its surname, a given name, an honorific or a role marks a person; places and organisations are
kept out of pronoun resolution.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter

from pipeline.detect.cues import Tokens, tokenize
from pipeline.detect.lexicon import SpeakerLexicon
from pipeline.detect.speakers import (
    CONNECTIVES,
    HONORIFIC_GENDER,
    MODIFIERS,
    ORG_HEADS,
    PARTICLES,
    STOP_CAPS,
    _name_split,
)

ACRONYM = re.compile(r"\(([A-Z][A-Za-z&]{1,7})\)")
SENTENCE_END = frozenset(".!?…")
# Verbs right after a name that make it the subject of its clause ("…," Nicholson said.).
_SUBJECT_VERBS_WORDS = """said says told added explained wrote writes asked noted argued insisted
    agreed warned stated replied recalled continued"""
SUBJECT_VERBS = frozenset(_SUBJECT_VERBS_WORDS.split())
LONG_FORM_WORD = re.compile(r"(?:[A-Z][\w&.'’-]*|and|of|for|the|on|&)$")


def _find_acronyms(text: str) -> dict[str, str]:
    """Acronyms defined in parentheses after their long form, each letter a capital of that form."""
    found: dict[str, str] = {}
    for m in ACRONYM.finditer(text):
        acronym = m.group(1)
        capitals = [c for c in acronym if c.isupper()]
        words = text[max(0, m.start() - 200) : m.start()].replace(",", " ").split()
        taken: list[str] = []
        while words and LONG_FORM_WORD.match(words[-1]) and len(taken) < 12:
            taken.insert(0, words.pop())
            initials = [w[0] for w in taken if w[:1].isupper()]
            if initials == capitals:
                found.setdefault(acronym, " ".join(taken))
                break
    return found


@dataclass
class Entity:
    """A person or body the article names."""

    name: str
    surname: str
    gender: str | None
    role: str | None
    positions: list[int] = field(default_factory=list)  # token indices of its mentions
    person: bool = False


class Roster:
    """The names an article gives, with roles and genders, for resolving mentions."""

    def __init__(self, text: str, tokens: Tokens, lexicon: SpeakerLexicon) -> None:
        self.text = text
        self.tokens = tokens
        self.lexicon = lexicon
        self.by_surname: dict[str, list[Entity]] = {}
        self.mentions: list[tuple[int, Entity]] = []  # (token index, entity) in document order
        self.persons: list[tuple[int, Entity]] = []  # the mentions of people
        self.subjects: set[int] = set()  # token indices of mentions that are the subject of their clause
        self._acronyms: dict[str, str] | None = None
        self._scan()

    def add_title(self, title: str) -> None:
        """Take in the people a headline names ("President Putin met Slovak President Rudolf Schuster"), as
        if mentioned before the first paragraph, so that "the Russian President" and "he" can reach them."""
        other = Roster(title, tokenize(title), self.lexicon)
        before: list[tuple[int, Entity]] = []
        for _, entity in other.mentions:
            if not entity.person or any(e is entity for _, e in before):
                continue
            known = self.entity_for(entity.surname)
            if known is None:
                self.by_surname.setdefault(entity.surname, []).append(entity)
                known = entity
            else:
                known.role = known.role or entity.role
                known.gender = known.gender or entity.gender
                known.person = True
            before.append((-1, known))
        self.persons = before + self.persons
        self.person_starts = [pos for pos, _ in self.persons]

    def _scan(self) -> None:
        tokens = self.tokens
        n = len(tokens)
        # a name word: capitalised, a letter first, not a stop word (tokens are never empty)
        named = list(map(str.isupper, map(itemgetter(0), tokens.words)))
        for k in compress(range(n), named):
            named[k] = tokens.words[k][0].isalpha() and tokens.lower[k] not in STOP_CAPS
        named.append(False)  # a sentinel: named[n] is never a name word
        i = 0
        while i < n:
            try:
                i = named.index(True, i, n)  # the next name word
            except ValueError:
                break
            j = i
            while j < n and (
                named[j]
                or (tokens.lower[j] in PARTICLES and named[j + 1] and j > i)
                or (tokens.words[j] == "." and len(tokens.words[j - 1]) == 1 and named[j + 1])
            ):
                j += 1
            if not self._alone_on_line(i, j) and self._add_run(i, j) and self._is_subject(i, j):
                self.subjects.add(self.mentions[-1][0])
            i = j
        self._learn_genders()
        self.persons = [(pos, e) for pos, e in self.mentions if e.person]
        self.person_starts = [pos for pos, _ in self.persons]

    def _alone_on_line(self, first: int, last: int) -> bool:
        """A run that fills its whole line is a heading or a caption ("Read More Below"), not a name."""
        text, tokens = self.text, self.tokens
        i = tokens.starts[first]
        while i > 0 and text[i - 1] in " \t":
            i -= 1
        j = tokens.ends[last - 1]
        while j < len(text) and text[j] in " \t":
            j += 1
        return (i == 0 or text[i - 1] == "\n") and (j == len(text) or text[j] == "\n")

    def _is_subject(self, first: int, last: int) -> bool:
        """Whether the name run [first, last) is the subject of its clause: it opens a sentence (after
        connectives and lower-case role words: "But immigration lawyer Jane Roe …") or a verb of saying
        follows it. A pronoun after an object ("saw Jane. He …") may well be someone else's."""
        tokens, text = self.tokens, self.text
        if last < len(tokens) and tokens.lower[last] in SUBJECT_VERBS:
            return True
        k = first - 1
        steps = 0
        while k >= 0 and steps < 4:
            if text.count("\n", tokens.ends[k], tokens.starts[k + 1]):
                return True
            low = tokens.lower[k]
            if (
                low in CONNECTIVES
                or low in MODIFIERS
                or low in self.lexicon.role_nouns
                or low in ("the", ",")
                or tokens.words[k][:1].isupper()
            ):
                k -= 1
                steps += 1
                continue
            break
        if k < 0:
            return True
        if text.count("\n", tokens.ends[k], tokens.starts[k + 1]):
            return True
        word = tokens.words[k]
        if word in SENTENCE_END:
            return True
        return word in '"”’»' and k > 0 and tokens.words[k - 1] in SENTENCE_END

    def _learn_genders(self) -> None:
        """Count the gendered pronouns that follow each person's mentions as a subject (within 25 tokens)."""
        tokens = self.tokens
        n = len(tokens)
        counts: dict[int, list[int]] = {}
        people = [(pos, e) for pos, e in self.mentions if e.person and pos in self.subjects]
        starts = {pos for pos, e in self.mentions if e.person}
        for pos, entity in people:
            if entity.gender is not None:
                continue
            tally = counts.setdefault(id(entity), [0, 0])
            k = pos + 1
            limit = min(n, pos + 25)
            while k < limit:
                low = tokens.lower[k]
                if low in ("he", "his", "him", "himself"):
                    tally[0] += 1
                    break
                if low in ("she", "her", "hers", "herself"):
                    tally[1] += 1
                    break
                if k in starts:
                    break  # another person's name: the pronoun may be theirs
                k += 1
        for _, entity in people:
            found = counts.get(id(entity))
            if entity.gender is None and found is not None and found[0] != found[1]:
                entity.gender = "m" if found[0] > found[1] else "f"

    def _add_run(self, first: int, last: int) -> bool:
        """Record the name in the run [first, last); False when it holds none (a role alone, a body)."""
        tokens, lexicon = self.tokens, self.lexicon
        start = _name_split(tokens, first, last, lexicon)
        if start >= last:
            return False
        words = [w for w in tokens.words[start:last] if w != "."]
        if words and words[-1].endswith(("'s", "’s")):
            words[-1] = words[-1][:-2]
        name = " ".join(words)
        surname = words[-1].lower()
        person = lexicon.by_alias.get(name.lower()) or lexicon.by_alias.get(surname)
        gender = person.gender if person else None
        first_low = tokens.lower[start]
        if gender is None and len(words) > 1:
            gender = lexicon.genders.get(first_low)
        if first > 0 and tokens.lower[first - 1] in HONORIFIC_GENDER:
            gender = HONORIFIC_GENDER[tokens.lower[first - 1]]
        elif first > 1 and tokens.words[first - 1] == "." and tokens.lower[first - 2] in HONORIFIC_GENDER:
            gender = HONORIFIC_GENDER[tokens.lower[first - 2]]
        role = " ".join(tokens.words[first:start]) or None
        if role is None and first > 0 and tokens.lower[first - 1] in lexicon.role_nouns:
            role = tokens.words[first - 1]
        if surname in ORG_HEADS or any(w.lower() in ORG_HEADS for w in words):
            return False
        personlike = bool(person) or gender is not None or role is not None
        entity = self._find(surname, name)
        if entity is None:
            entity = Entity(name, surname, gender, role)
            self.by_surname.setdefault(surname, []).append(entity)
        else:
            if len(name.split()) > len(entity.name.split()):
                entity.name = name
            entity.gender = entity.gender or gender
            entity.role = entity.role or role
        entity.positions.append(start)
        if personlike or (len(entity.name.split()) >= 2 and len(words) == 1):
            entity.person = True  # a name later shortened to a surname is a person's
        self.mentions.append((start, entity))
        return True

    def _find(self, surname: str, name: str) -> Entity | None:
        candidates = self.by_surname.get(surname)
        if not candidates:
            return None
        first = name.split()[0].lower()
        for entity in candidates:
            if (
                len(name.split()) == 1
                or entity.name.split()[0].lower() == first
                or len(entity.name.split()) == 1
            ):
                return entity
        return None

    def expand(self, name: str) -> str:
        """The long form of an acronym the article spells out once ("Export Development Canada (EDC)")."""
        if self._acronyms is None:
            self._acronyms = _find_acronyms(self.text)
        bare = name[4:] if name.lower().startswith("the ") else name
        return self._acronyms.get(bare, name)

    def entity_for(self, surname: str) -> Entity | None:
        """The entity an article calls by this surname (the most fully named one)."""
        candidates = self.by_surname.get(surname.lower())
        if candidates:
            best = max(candidates, key=lambda e: len(e.name.split()))
            if len(best.name.split()) > 1:
                return best
        by_first = [
            e for _, e in self.persons if e.name.split()[0].lower() == surname.lower() and " " in e.name
        ]
        if by_first:
            return by_first[-1]
        if candidates:
            return max(candidates, key=lambda e: len(e.name.split()))
        person = self.lexicon.by_alias.get(surname.lower())
        if person is not None:
            for alias in (person.name, *person.aliases):
                found = self.by_surname.get(alias.split()[-1].lower())
                if found:
                    return max(found, key=lambda e: len(e.name.split()))
        return None

    def persons_before(self, token: int, limit: int) -> list[tuple[int, Entity]]:
        """The last `limit` person mentions before the token, most recent first."""
        k = bisect.bisect_left(self.person_starts, token)
        return [self.persons[i] for i in range(k - 1, max(-1, k - 1 - limit), -1)]

    def people_before(self, token: int) -> list[Entity]:
        """Person entities mentioned before the token, most recent first."""
        out: list[Entity] = []
        for pos, entity in reversed(self.persons):
            if pos < token and entity not in out:
                out.append(entity)
        return out
