"""The detector finds each reported-speech construction and names its speaker (tests/fixtures/detect/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.detect import DETECTOR_VERSION, Statement, detect_statements

FIXTURES = Path(__file__).parent / "fixtures" / "detect"
CASES = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))["cases"]


def find(statements: list[Statement], words: str) -> Statement:
    matches = [s for s in statements if words in s.quote]
    assert matches, f"no statement holds {words!r}; found {[s.quote for s in statements]}"
    return matches[0]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_construction_is_found_with_its_speaker(case: dict) -> None:
    statements = detect_statements(case["text"])
    for expected in case["expect"]:
        statement = find(statements, expected["quote"])
        assert statement.kind == expected["kind"]
        assert statement.speaker is not None
        assert expected["speaker"].lower() in statement.speaker.lower()
    if not case["expect"]:
        assert statements == []


def test_spans_point_into_the_text() -> None:
    text = (FIXTURES / "article_en.txt").read_text(encoding="utf-8")
    statements = detect_statements(text, "en")
    assert len(statements) >= 10
    for s in statements:
        assert text[s.start : s.end] == s.quote
        if s.speaker_start is not None:
            assert text[s.speaker_start : s.speaker_end] == s.speaker_mention
        assert 0.0 <= s.score <= 1.0


def test_article_resolves_pronouns_roles_and_full_names() -> None:
    text = (FIXTURES / "article_en.txt").read_text(encoding="utf-8")
    statements = detect_statements(text, "en")
    nobody = find(statements, "Nobody asked us in 1999")
    assert (nobody.speaker, nobody.speaker_mention, nobody.cue) == ("Sergey Lavrov", "he", "said")
    diplomat = find(statements, "written answer within a week")
    assert diplomat.speaker == "Sergey Lavrov"
    assert diplomat.speaker_mention == "The diplomat"
    first = find(statements, "stop admitting new members")
    assert first.speaker_role == "Russian Foreign Minister"
    assert find(statements, "allies’ position").speaker == "Maria Zakharova"
    assert find(statements, "Our membership is a decision").speaker_role == "Finnish President"


def test_a_quote_over_several_paragraphs_is_one_statement() -> None:
    text = (FIXTURES / "article_en.txt").read_text(encoding="utf-8")
    statements = detect_statements(text, "en")
    door = find(statements, "The door remains open.")
    assert "No third country has a veto" in door.quote
    assert door.speaker == "Mark Rutte"
    assert sum("No third country" in s.quote for s in statements) == 1


def test_floating_quote_takes_the_previous_speaker_without_a_mention() -> None:
    text = (FIXTURES / "article_en.txt").read_text(encoding="utf-8")
    promise = find(detect_statements(text, "en"), "not move one inch")
    assert promise.speaker == "Sergey Lavrov"
    assert promise.speaker_mention is None


def test_a_straight_mark_closed_by_a_curly_one_ends_the_quote() -> None:
    text = 'Pier manager Sable Thorne said: "We will rebuild the pier by spring.” The council met on Monday.'
    statement = find(detect_statements(text), "rebuild the pier")
    assert statement.quote == "We will rebuild the pier by spring."
    assert statement.speaker == "Sable Thorne"


def test_background_sentence_is_not_a_statement() -> None:
    text = (FIXTURES / "article_en.txt").read_text(encoding="utf-8")
    assert not [s for s in detect_statements(text, "en") if "draft treaties" in s.quote]


@pytest.mark.parametrize(
    ("name", "language", "speaker"), [("ru", "ru", "Sergey Lavrov"), ("uk", "uk", "Dmytro Kuleba")]
)
def test_russian_and_ukrainian_articles(name: str, language: str, speaker: str) -> None:
    text = (FIXTURES / f"article_{name}.txt").read_text(encoding="utf-8")
    statements = detect_statements(text, language)
    assert len(statements) == 3
    assert statements[0].speaker == speaker
    assert {s.kind for s in statements} >= {"according_to"}


def test_to_json_has_exactly_the_contract_fields() -> None:
    statement = detect_statements("“We are ready,” Peskov said.")[0]
    assert set(statement.to_json()) == {
        "quote", "start", "end", "kind", "speaker", "speaker_mention", "speaker_start", "speaker_end",
        "speaker_role", "cue", "topics", "score",
    }  # fmt: skip
    assert statement.to_json()["topics"] == []
    assert isinstance(DETECTOR_VERSION, str) and DETECTOR_VERSION


@pytest.mark.parametrize("name, language", [("article_en", "en"), ("article_ru", "ru"), ("article_uk", "uk")])
def test_topical_path_finds_the_same_topical_statements_as_the_full_path(name: str, language: str) -> None:
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    full = [s for s in detect_statements(text, language) if s.topics]
    assert full, "the fixture article holds topical statements"
    assert detect_statements(text, language, topical_only=True) == full


def test_topical_path_skips_an_article_with_nothing_topical_but_all_finds_its_statements() -> None:
    text = (
        "\u201cThe bridge will reopen in May,\u201d the mayor said.\n\n"
        "Engineers said the repairs had cost less than expected."
    )
    assert detect_statements(text, "en", topical_only=True) == []
    assert len(detect_statements(text, "en")) == 2


DEMANDS = [
    (
        "Minister Irakli Dolidze urged the allies on Monday to name a date for Georgia's NATO accession.",
        "Irakli Dolidze",
        "urged",
        "name a date for Georgia's NATO accession",
        ("nato_expansion",),
    ),
    (
        "The Moldovan president called on Western governments to offer binding security guarantees.",
        "The Moldovan president",
        "called on",
        "offer binding security guarantees",
        ("security_guarantees",),
    ),
    (
        "Senator Hale pressed the Pentagon to publish the full list of bases it plans to close.",
        "Hale",
        "pressed",
        "publish the full list of bases it plans to close",
        (),
    ),
    (
        "The mayor asked residents to keep off the frozen river until the thaw.",
        "The mayor",
        "asked",
        "keep off the frozen river until the thaw",
        (),
    ),
]


@pytest.mark.parametrize("case", DEMANDS, ids=[c[2] for c in DEMANDS])
def test_a_demand_reports_the_action_after_to(case: tuple[str, str, str, str, tuple[str, ...]]) -> None:
    text, speaker, cue, action, topics = case
    [statement] = detect_statements(text, "en")
    assert (statement.quote, statement.cue, statement.kind, statement.topics) == (
        action,
        cue,
        "indirect",
        topics,
    )
    assert statement.speaker is not None and speaker in statement.speaker


@pytest.mark.parametrize(
    "text",
    [
        "The envoy called on the prime minister at his residence in Riga.",
        "The organisers asked the delegations to the closing dinner at the castle.",
        "The committee pressed ahead with the vote despite the storm.",
    ],
)
def test_a_visit_an_invitation_or_pressing_ahead_is_no_demand(text: str) -> None:
    assert detect_statements(text, "en") == []
