"""The topic rules: loading and validating `seeds/topics.yaml` (see shared/TOPICS.md for the topics).

The rules are data, one block per language:

* `terms`: a pattern that alone points at a topic ("security guarantees", "Budapest Memorandum");
* `near`: two patterns within `window` words of each other ("NATO" near "membership");
* `negatives`: phrases blanked out before any positive rule runs ("energy security", "EU enlargement",
  "expanding its military infrastructure"), so that a rule cannot fire on them;
* `anaphora`: words by which a quote refers back ("uphold this", "these proposals"); only then may the
  text before the statement lend it a topic;
* `prefilter`: lowercase stems, one of which every rule and anaphora cue needs, for `may_be_topical`.

The file is parsed and validated once per process; a bad file raises `ConfigError` naming the file, line and
field."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline import seedfile
from pipeline.config import seeds_dir
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)


TOPICS = ("nato_expansion", "security_guarantees")

TOPICS_FILE = "topics.yaml"
BEFORE_CHARS = 1000  # only the end of `before` can hold what an anaphor refers to
_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class TopicRule:
    """One positive rule: a term, or two patterns within `window` words (`near` set)."""

    name: str
    topic: str
    weight: float
    pattern: re.Pattern[str]
    near: re.Pattern[str] | None = None
    window: int = 0
    context: re.Pattern[str] | None = None  # must match somewhere in quote, sentence or before


@dataclass(frozen=True)
class NegativeCue:
    """A phrase blanked out before the positive rules of `topic` run."""

    name: str
    topic: str
    pattern: re.Pattern[str]
    unless_before: re.Pattern[str] | None = None  # keep the phrase when the text just before matches
    unless_after: re.Pattern[str] | None = None  # keep it when the text just after matches


@dataclass(frozen=True)
class LanguageRules:
    code: str
    also: tuple[str, ...]  # languages whose rules also apply (ru and uk texts are often mislabelled)
    rules: tuple[TopicRule, ...]
    negatives: tuple[NegativeCue, ...]
    anaphora: re.Pattern[str] | None
    prefilter: tuple[str, ...]
    anaphora_parts: tuple[re.Pattern[str], ...] = ()  # the anaphora patterns one by one (see _refers_back)


@dataclass(frozen=True)
class TopicRules:
    path: str
    threshold: float
    factors: Mapping[
        str, float
    ]  # quote, sentence (before the quote), after (the quote), before (the sentence)
    languages: Mapping[str, LanguageRules]


@functools.cache
def load_topic_rules(path: Path | None = None) -> TopicRules:
    """Parse and validate a topics file (default: `seeds/topics.yaml`); cached, so parsed once a process."""
    path = path or seeds_dir() / TOPICS_FILE
    root = seedfile.compose(seedfile.read_text(path, what="topic rules"), path=str(path))
    rules = _Reader(str(path)).read_file(root)
    log.debug("loaded %d languages of topic rules from %s", len(rules.languages), path)
    return rules


def _languages_for(rules: TopicRules, language: str | None) -> list[LanguageRules]:
    """The rule sets for `language` (and its `also`); all of them when it is unknown or None."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    if code not in rules.languages:
        return list(rules.languages.values())
    first = rules.languages[code]
    return [first, *(rules.languages[c] for c in first.also)]


_FACTORS = ("quote", "sentence", "after", "before")
_RULE_KEYS = {
    "terms": {"name", "pattern", "weight", "context"},
    "near": {"name", "a", "b", "window", "weight", "context"},
}
_NEGATIVE_KEYS = {"name", "pattern", "unless_before", "unless_after"}
_LANGUAGE_KEYS = {"also", "prefilter", "anaphora", *TOPICS}


class _Reader:
    """Builds TopicRules from a composed YAML node tree, naming file, line and field in every error."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, field: str, message: str) -> ConfigError:
        line = seedfile.line(node) if node is not None else None
        return ConfigError(message, path=self.path, line=line, field=field)

    def mapping(
        self, node: yaml.Node | None, field: str, allowed: set[str] | None = None
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field, "expected a mapping")
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = self.scalar(key, field)
            if allowed is not None and name not in allowed:
                raise self.fail(
                    key, f"{field}.{name}", f"unknown key (expected one of {', '.join(sorted(allowed))})"
                )
            if name in out:
                raise self.fail(key, f"{field}.{name}", "duplicate key")
            out[name] = value
        return out

    def sequence(self, node: yaml.Node, field: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, field, "expected a list")
        return list(node.value)

    def scalar(self, node: yaml.Node, field: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, field, "expected a non-empty string")
        return str(node.value)

    def number(self, node: yaml.Node, field: str, low: float, high: float) -> float:
        text = self.scalar(node, field)
        try:
            value = float(text)
        except ValueError:
            raise self.fail(node, field, f"expected a number, got {text!r}") from None
        if not low <= value <= high:
            raise self.fail(node, field, f"must be between {low} and {high}, got {value}")
        return value

    def regex(self, node: yaml.Node, field: str) -> re.Pattern[str]:
        """A pattern, or a list of patterns taken as alternatives."""
        parts = (
            [self.scalar(n, field) for n in self.sequence(node, field)]
            if isinstance(node, yaml.SequenceNode)
            else [self.scalar(node, field)]
        )
        try:
            return re.compile("|".join(f"(?:{p})" for p in parts), _FLAGS)
        except re.error as e:
            raise self.fail(node, field, f"bad regular expression: {e}") from None

    def regex_parts(self, node: yaml.Node) -> tuple[re.Pattern[str], ...]:
        """The alternatives `regex` joins, each compiled alone (after `regex` accepted the whole); none
        when the joined pattern has groups (a back-reference would change meaning) or a part fails alone."""
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        texts = [str(n.value) for n in nodes]
        try:
            parts = tuple(re.compile(f"(?:{p})", _FLAGS) for p in texts)
        except re.error:
            return ()
        return () if any(part.groups for part in parts) else parts

    def read_file(self, root: yaml.Node | None) -> TopicRules:
        top = self.mapping(root, "(top)", {"threshold", "factors", "languages"})
        for key in ("threshold", "factors", "languages"):
            if key not in top:
                raise self.fail(root, key, "missing")
        threshold = self.number(top["threshold"], "threshold", 0.0, 1.0)
        factor_nodes = self.mapping(top["factors"], "factors", set(_FACTORS))
        factors = {}
        for key in _FACTORS:
            if key not in factor_nodes:
                raise self.fail(top["factors"], f"factors.{key}", "missing")
            factors[key] = self.number(factor_nodes[key], f"factors.{key}", 0.0, 1.0)
        languages = {
            code: self.read_language(code, node)
            for code, node in self.mapping(top["languages"], "languages").items()
        }
        if not languages:
            raise self.fail(top["languages"], "languages", "no language")
        lang_nodes = self.mapping(top["languages"], "languages")
        for code, lang in languages.items():
            for other in lang.also:
                if other not in languages:
                    also_node = self.mapping(lang_nodes[code], f"languages.{code}")["also"]
                    raise self.fail(also_node, f"languages.{code}.also", f"unknown language {other!r}")
        return TopicRules(path=self.path, threshold=threshold, factors=factors, languages=languages)

    def read_language(self, code: str, node: yaml.Node) -> LanguageRules:
        field = f"languages.{code}"
        parts = self.mapping(node, field, _LANGUAGE_KEYS)
        if "prefilter" not in parts:
            raise self.fail(node, f"{field}.prefilter", "missing")
        prefilter = tuple(
            self.scalar(n, f"{field}.prefilter").casefold()
            for n in self.sequence(parts["prefilter"], f"{field}.prefilter")
        )
        also = (
            tuple(self.scalar(n, f"{field}.also") for n in self.sequence(parts["also"], f"{field}.also"))
            if "also" in parts
            else ()
        )
        anaphora = self.regex(parts["anaphora"], f"{field}.anaphora") if "anaphora" in parts else None
        anaphora_parts = self.regex_parts(parts["anaphora"]) if anaphora is not None else ()
        rules: list[TopicRule] = []
        negatives: list[NegativeCue] = []
        names: set[str] = set()
        for topic in TOPICS:
            if topic not in parts:
                continue
            tfield = f"{field}.{topic}"
            sections = self.mapping(parts[topic], tfield, {"terms", "near", "negatives"})
            for kind in ("terms", "near"):
                for i, entry in enumerate(
                    self.sequence(sections[kind], f"{tfield}.{kind}") if kind in sections else []
                ):
                    rule = self.read_rule(topic, kind, entry, f"{tfield}.{kind}[{i}]")
                    if rule.name in names:
                        raise self.fail(
                            entry, f"{tfield}.{kind}[{i}].name", f"duplicate rule name {rule.name!r}"
                        )
                    names.add(rule.name)
                    rules.append(rule)
            for i, entry in enumerate(
                self.sequence(sections["negatives"], f"{tfield}.negatives") if "negatives" in sections else []
            ):
                negatives.append(self.read_negative(topic, entry, f"{tfield}.negatives[{i}]"))
        return LanguageRules(
            code=code,
            also=also,
            rules=tuple(rules),
            negatives=tuple(negatives),
            anaphora=anaphora,
            prefilter=prefilter,
            anaphora_parts=anaphora_parts,
        )

    def read_rule(self, topic: str, kind: str, node: yaml.Node, field: str) -> TopicRule:
        parts = self.mapping(node, field, _RULE_KEYS[kind])
        required = (
            ("name", "pattern", "weight") if kind == "terms" else ("name", "a", "b", "window", "weight")
        )
        for key in required:
            if key not in parts:
                raise self.fail(node, f"{field}.{key}", "missing")
        context = self.regex(parts["context"], f"{field}.context") if "context" in parts else None
        name = f"{topic}.{self.scalar(parts['name'], f'{field}.name')}"
        weight = self.number(parts["weight"], f"{field}.weight", 0.0, 1.0)
        if kind == "terms":
            return TopicRule(
                name, topic, weight, self.regex(parts["pattern"], f"{field}.pattern"), context=context
            )
        window = self.number(parts["window"], f"{field}.window", 0, 50)
        if window != int(window):
            raise self.fail(parts["window"], f"{field}.window", "must be a whole number of words")
        return TopicRule(
            name,
            topic,
            weight,
            self.regex(parts["a"], f"{field}.a"),
            near=self.regex(parts["b"], f"{field}.b"),
            window=int(window),
            context=context,
        )

    def read_negative(self, topic: str, node: yaml.Node, field: str) -> NegativeCue:
        parts = self.mapping(node, field, _NEGATIVE_KEYS)
        for key in ("name", "pattern"):
            if key not in parts:
                raise self.fail(node, f"{field}.{key}", "missing")
        optional: dict[str, Any] = {
            key: self.regex(parts[key], f"{field}.{key}")
            for key in ("unless_before", "unless_after")
            if key in parts
        }
        return NegativeCue(
            self.scalar(parts["name"], f"{field}.name"),
            topic,
            self.regex(parts["pattern"], f"{field}.pattern"),
            **optional,
        )
