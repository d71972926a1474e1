"""The seed lexicons load, and a broken seed file is named with its line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import seeds_dir
from pipeline.detect.lexicon import load_cues, load_speakers, parse_cues, parse_speakers
from pipeline.errors import ConfigError

GOOD_CUES = """\
verbs:
  en:
    - {lemma: say, strength: strong, forms: [say, said]}
frames:
  according_to:
    en: [according to]
  adjuncts:
    en: [told reporters]
"""


def test_repository_seeds_load() -> None:
    assert seeds_dir().name == "seeds"
    cues, speakers = load_cues(), load_speakers()
    assert any(v.lemma == "say" for v in cues.verbs["said"])
    assert ("по", "словам") in cues.according_to and ("за", "словами") in cues.according_to
    assert speakers.by_alias["lavrov"].name == "Sergey Lavrov"
    assert speakers.by_alias["zelenskyy"] is speakers.by_alias["zelensky"]
    assert load_cues() is cues  # parsed once per process


def test_a_good_file_parses(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(GOOD_CUES, encoding="utf-8")
    assert parse_cues(path).verbs["said"][0].strong


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (GOOD_CUES.replace("strength: strong", "strength: loud"), 3, "verbs.en[0].strength"),
        (GOOD_CUES.replace("lemma: say, ", ""), 3, "verbs.en[0]"),
        (GOOD_CUES.replace("forms: [say, said]", "forms: say"), 3, "verbs.en[0].forms"),
        (GOOD_CUES.replace("    en: [according to]\n", "    en: 12\n"), 6, "frames.according_to.en"),
    ],
    ids=["bad strength", "no lemma", "forms not a list", "phrases not a list"],
)
def test_a_broken_cue_file_names_line_and_field(tmp_path: Path, text: str, line: int, field: str) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        parse_cues(path)
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), line, field)
    assert str(path) in str(caught.value)


def test_a_broken_speaker_file_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "speakers.yaml"
    path.write_text(
        "people:\n  - {name: A B, role: x, country: RU}\n  - {name: C D, role: y, country: UA, gender: q}\n"
        "institutions: []\nrole_nouns: [minister]\nnot_speakers: [it]\nfirst_names: {m: [a]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        parse_speakers(path)
    assert (caught.value.line, caught.value.field) == (3, "people[1].gender")


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("verbs: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_cues(path)
    with pytest.raises(ConfigError, match=r"missing\.yaml: lexicon not found"):
        parse_cues(tmp_path / "missing.yaml")
