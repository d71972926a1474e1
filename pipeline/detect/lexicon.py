"""Load and validate the detector's seed lexicons: `seeds/cues.yaml` and `seeds/speakers.yaml`.

Both files are parsed once per process. A malformed entry raises `ConfigError` naming the file, the line and
the field, so that a typo in a seed file is found at the first run, not in a wrong statement weeks later.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline import seedfile
from pipeline.config import seeds_dir
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

STRENGTHS = ("strong", "weak")
GENDERS = ("m", "f")


@dataclass(frozen=True)
class CueVerb:
    """One surface form of a verb of saying."""

    form: tuple[str, ...]  # lower-case words: ("said",) or ("pointed", "out")
    lemma: str
    language: str
    strong: bool  # may introduce indirect speech without "that" and close a clause (", X said.")


@dataclass(frozen=True)
class CueLexicon:
    verbs: dict[str, tuple[CueVerb, ...]]  # first word of the form -> the forms that start with it
    according_to: tuple[tuple[str, ...], ...]  # phrases as word tuples
    adjuncts: tuple[tuple[str, ...], ...]
    according_first: frozenset[str] = field(init=False)  # first words of the according-to phrases
    openers: frozenset[str] = field(init=False)  # every word a cue can start with

    def __post_init__(self) -> None:
        according_first = frozenset(phrase[0] for phrase in self.according_to)
        object.__setattr__(self, "according_first", according_first)
        object.__setattr__(self, "openers", according_first | frozenset(self.verbs))


@dataclass(frozen=True)
class Person:
    name: str
    aliases: tuple[str, ...]
    role: str
    country: str
    gender: str | None
    nominals: tuple[str, ...]


@dataclass(frozen=True)
class SpeakerLexicon:
    people: tuple[Person, ...]
    by_alias: dict[str, Person]  # lower-case name or alias -> person
    institutions: dict[str, str]  # lower-case name or alias -> name
    role_nouns: frozenset[str]
    not_speakers: frozenset[str]
    genders: dict[str, str]  # lower-case first name -> "m" / "f"


def _compose(path: Path) -> yaml.Node:
    node = seedfile.compose(seedfile.read_text(path, what="lexicon"), path=str(path))
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("expected a mapping at the top", path=str(path), line=1)
    return node


def _mapping(node: yaml.Node, path: Path, field: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("expected a mapping", path=str(path), line=seedfile.line(node), field=field)
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        out[str(key.value)] = value
    return out


def _sequence(node: yaml.Node, path: Path, field: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError("expected a list", path=str(path), line=seedfile.line(node), field=field)
    return list(node.value)


def _string(node: yaml.Node, path: Path, field: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise ConfigError(
            "expected a non-empty string", path=str(path), line=seedfile.line(node), field=field
        )
    return str(node.value).strip()


def _strings(node: yaml.Node, path: Path, field: str) -> tuple[str, ...]:
    return tuple(_string(item, path, field) for item in _sequence(node, path, field))


def _require(entry: dict[str, yaml.Node], key: str, parent: yaml.Node, path: Path, field: str) -> yaml.Node:
    if key not in entry:
        raise ConfigError(f"missing {key!r}", path=str(path), line=seedfile.line(parent), field=field)
    return entry[key]


def parse_cues(path: Path) -> CueLexicon:
    """Parse and validate a cue lexicon file."""
    root = _compose(path)
    top = _mapping(root, path, "top")
    verbs: dict[str, list[CueVerb]] = {}
    by_language = _mapping(_require(top, "verbs", root, path, "verbs"), path, "verbs")
    for language, entries in by_language.items():
        for i, item in enumerate(_sequence(entries, path, f"verbs.{language}")):
            field = f"verbs.{language}[{i}]"
            entry = _mapping(item, path, field)
            lemma = _string(_require(entry, "lemma", item, path, field), path, field + ".lemma")
            strength = _string(_require(entry, "strength", item, path, field), path, field + ".strength")
            if strength not in STRENGTHS:
                raise ConfigError(
                    f"must be one of {STRENGTHS}, not {strength!r}",
                    path=str(path),
                    line=seedfile.line(entry["strength"]),
                    field=field + ".strength",
                )
            for form in _strings(_require(entry, "forms", item, path, field), path, field + ".forms"):
                words = tuple(form.lower().split())
                verbs.setdefault(words[0], []).append(CueVerb(words, lemma, language, strength == "strong"))
    frames = _mapping(_require(top, "frames", root, path, "frames"), path, "frames")
    phrases: dict[str, list[tuple[str, ...]]] = {"according_to": [], "adjuncts": []}
    for kind, found in phrases.items():
        per_language = _mapping(_require(frames, kind, root, path, "frames"), path, f"frames.{kind}")
        for language, items in per_language.items():
            for phrase in _strings(items, path, f"frames.{kind}.{language}"):
                found.append(tuple(phrase.lower().split()))
    return CueLexicon(
        verbs={k: tuple(sorted(v, key=lambda c: -len(c.form))) for k, v in verbs.items()},
        according_to=tuple(sorted(set(phrases["according_to"]), key=lambda p: -len(p))),
        adjuncts=tuple(sorted(set(phrases["adjuncts"]), key=lambda p: -len(p))),
    )


def parse_speakers(path: Path) -> SpeakerLexicon:
    """Parse and validate a speaker lexicon file."""
    root = _compose(path)
    top = _mapping(root, path, "top")
    people: list[Person] = []
    by_alias: dict[str, Person] = {}
    for i, item in enumerate(_sequence(_require(top, "people", root, path, "people"), path, "people")):
        field = f"people[{i}]"
        entry = _mapping(item, path, field)
        gender = None
        if "gender" in entry:
            gender = _string(entry["gender"], path, field + ".gender")
            if gender not in GENDERS:
                raise ConfigError(
                    f"must be one of {GENDERS}",
                    path=str(path),
                    line=seedfile.line(entry["gender"]),
                    field=field + ".gender",
                )
        person = Person(
            name=_string(_require(entry, "name", item, path, field), path, field + ".name"),
            aliases=_strings(entry["aliases"], path, field + ".aliases") if "aliases" in entry else (),
            role=_string(_require(entry, "role", item, path, field), path, field + ".role"),
            country=_string(_require(entry, "country", item, path, field), path, field + ".country"),
            gender=gender,
            nominals=_strings(entry["nominals"], path, field + ".nominals") if "nominals" in entry else (),
        )
        people.append(person)
        for alias in (person.name, *person.aliases):
            by_alias.setdefault(alias.lower(), person)
    institutions: dict[str, str] = {}
    for i, item in enumerate(_sequence(_require(top, "institutions", root, path, "institutions"), path, "x")):
        field = f"institutions[{i}]"
        entry = _mapping(item, path, field)
        name = _string(_require(entry, "name", item, path, field), path, field + ".name")
        aliases = _strings(entry["aliases"], path, field + ".aliases") if "aliases" in entry else ()
        for alias in (name, *aliases):
            institutions[alias.lower()] = name
    role_nouns = _strings(_require(top, "role_nouns", root, path, "role_nouns"), path, "role_nouns")
    not_speakers = _strings(_require(top, "not_speakers", root, path, "not_speakers"), path, "not_speakers")
    names = _mapping(_require(top, "first_names", root, path, "first_names"), path, "first_names")
    genders: dict[str, str] = {}
    for gender, items in names.items():
        if gender not in GENDERS:
            raise ConfigError(
                f"must be one of {GENDERS}", path=str(path), line=seedfile.line(items), field="first_names"
            )
        for name in _strings(items, path, f"first_names.{gender}"):
            genders[name.lower()] = gender
    return SpeakerLexicon(
        people=tuple(people),
        by_alias=by_alias,
        institutions=institutions,
        role_nouns=frozenset(n.lower() for n in role_nouns),
        not_speakers=frozenset(n.lower() for n in not_speakers),
        genders=genders,
    )


@functools.cache
def load_cues() -> CueLexicon:
    """The cue lexicon from `seeds/cues.yaml` (parsed once per process)."""
    path = seeds_dir() / "cues.yaml"
    log.debug("loading cue lexicon from %s", path)
    return parse_cues(path)


@functools.cache
def load_speakers() -> SpeakerLexicon:
    """The speaker lexicon from `seeds/speakers.yaml` (parsed once per process)."""
    path = seeds_dir() / "speakers.yaml"
    log.debug("loading speaker lexicon from %s", path)
    return parse_speakers(path)
