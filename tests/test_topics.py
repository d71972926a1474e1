"""Topic tagging: shipped rules on hand-written statements, the pre-filter, anaphora, rule-file errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipeline.detect.segment import split_paragraphs
from pipeline.detect.topics import TOPICS, load_topic_rules, may_be_topical, tag_topics, topical_paragraphs
from pipeline.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "topics"
CASES = yaml.safe_load((FIXTURES / "cases.yaml").read_text(encoding="utf-8"))
FLOORS = json.loads((FIXTURES / "floors.json").read_text(encoding="utf-8"))


def tag_case(case: dict) -> tuple[str, ...]:
    tag = tag_topics(
        case["quote"], sentence=case.get("sentence", ""), before=case.get("before", ""), language=case["lang"]
    )
    return tag.topics


def precision_recall(cases: list[dict]) -> tuple[float, float, list[str]]:
    counts: Counter[str] = Counter()
    wrong = []
    for case in cases:
        want, got = set(case["topics"]), set(tag_case(case))
        counts["tp"] += len(want & got)
        counts["fp"] += len(got - want)
        counts["fn"] += len(want - got)
        if want != got:
            wrong.append(f"[{case['lang']}] {case['why']}: want {sorted(want)}, got {sorted(got)}")
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0), wrong


def test_fixtures_cover_both_topics_and_negatives_in_en_ru_uk() -> None:
    for lang in ("en", "ru", "uk"):
        mine = [c for c in CASES if c["lang"] == lang]
        for topic in TOPICS:
            assert any(topic in c["topics"] for c in mine), (lang, topic)
        assert sum(not c["topics"] for c in mine) >= 5, lang


def test_quality_floors_overall() -> None:
    precision, recall, wrong = precision_recall(CASES)
    floor = FLOORS["overall"]
    assert precision >= floor["precision"], wrong
    assert recall >= floor["recall"], wrong


@pytest.mark.parametrize("lang", sorted(FLOORS["by_language"]))
def test_quality_floors_by_language(lang: str) -> None:
    precision, recall, wrong = precision_recall([c for c in CASES if c["lang"] == lang])
    floor = FLOORS["by_language"][lang]
    assert precision >= floor["precision"], wrong
    assert recall >= floor["recall"], wrong


def test_prefilter_keeps_every_topical_fixture() -> None:
    for case in CASES:
        if tag_case(case):
            text = case["quote"] + "\n\n" + case.get("sentence", "")
            assert may_be_topical(text, language=case["lang"]), case["why"]
            assert may_be_topical(text), case["why"]  # language unknown: every language's stems


def test_paragraph_gate_keeps_the_paragraph_of_every_topical_fixture() -> None:
    # The gate must be sound: wherever the tagger finds a topic, the paragraph holding it is kept.
    for case in CASES:
        if tag_case(case):
            text = case.get("sentence") or case["quote"]
            if case["quote"] not in text:
                text = case["quote"] + " " + text
            if case.get("before"):
                text = case["before"] + "\n\n" + text  # what an anaphor refers back to
            paragraphs = split_paragraphs(text)
            kept = topical_paragraphs(text, paragraphs, language=case["lang"])
            assert len(paragraphs) - 1 in kept, case["why"]


def test_paragraph_gate_picks_the_topical_paragraphs_of_an_article() -> None:
    text = (
        "The ferry to the islands was cancelled again because of the storm.\n\n"
        "The minister said Finland's membership of NATO had changed the balance in the north.\n\n"
        "Fishermen said the harbour would stay closed until Thursday.\n\n"
        "He added that no one could reject these proposals lightly."
    )
    # the NATO paragraph, and the later one that refers back to it ("these proposals")
    assert topical_paragraphs(text, split_paragraphs(text), language="en") == [1, 3]
    calm = "The ferry was cancelled.\n\nThe harbour master said the storm would pass by Friday."
    assert topical_paragraphs(calm, split_paragraphs(calm), language="en") == []
    # words a rule needs, but no rule pattern matching: "security" and "guarantee" apart, on other matters
    loose = (
        "Security at the stadium was tight.\n\nThe club gave a guarantee of refunds to every ticket holder."
    )
    assert topical_paragraphs(loose, split_paragraphs(loose), language="en") == []


def test_prefilter_drops_paragraphs_on_other_subjects() -> None:
    assert not may_be_topical(
        "The home side scored twice in the last ten minutes to win the cup final.", language="en"
    )
    assert not may_be_topical("Урожай пшеницы в этом году оказался рекордным.", language="ru")
    assert not may_be_topical("Ціни на хліб зросли на п'ять відсотків.", language="uk")
    assert not may_be_topical("", language="en")


def test_tag_orders_topics_and_scores_in_range() -> None:
    tag = tag_topics(
        "Moscow wants legally binding security guarantees and an end to NATO expansion", language="en"
    )
    assert tag.topics == TOPICS
    assert 0.5 <= tag.score <= 1.0
    assert any("security guarantees" in e for e in tag.evidence)
    none = tag_topics("The harvest was the best in a decade", language="en")
    assert none == type(none)(topics=(), score=0.0, evidence=())


def test_text_before_counts_only_when_the_quote_refers_back() -> None:
    before = "The minister said the West had refused to give Moscow any security guarantees."
    assert tag_topics("we cannot accept this", before=before, language="en").topics == (
        "security_guarantees",
    )
    assert tag_topics("we cannot accept the new tariffs", before=before, language="en").topics == ()
    assert tag_topics("we cannot accept this", language="en").topics == ()


def test_topic_in_a_preamble_counts_but_a_trailing_reporter_clause_does_not() -> None:
    quote = "the choice was for Kyiv to make"
    preamble = f"On Ukraine's bid to join NATO, the president said {quote}."
    trailing = f"The president said {quote}, while the alliance's enlargement stalled."
    assert tag_topics(quote, sentence=preamble, language="en").topics == ("nato_expansion",)
    assert tag_topics(quote, sentence=trailing, language="en").topics == ()


def test_language_variants_and_mislabelled_cyrillic() -> None:
    assert tag_topics("Ukraine's NATO membership bid", language="en-GB").topics == ("nato_expansion",)
    assert tag_topics("вступ України до НАТО", language="ru").topics == (
        "nato_expansion",
    )  # uk text, ru label
    assert tag_topics("вступ України до НАТО", language=None).topics == ("nato_expansion",)
    assert tag_topics("Sicherheitsgarantien für Kiew", language="xx").topics == ("security_guarantees",)


def test_shipped_rules_cover_en_ru_uk_for_both_topics() -> None:
    rules = load_topic_rules()
    for lang in ("en", "ru", "uk"):
        assert {r.topic for r in rules.languages[lang].rules} == set(TOPICS), lang
        assert rules.languages[lang].prefilter, lang


GOOD = """\
threshold: 0.5
factors: {quote: 1.0, sentence: 0.8, after: 0.5, before: 0.6}
languages:
  en:
    prefilter: [nato]
    nato_expansion:
      terms:
        - {name: join, pattern: 'join NATO', weight: 0.9}
"""


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_custom_file_loads(tmp_path: Path) -> None:
    rules = load_topic_rules(write_rules(tmp_path, GOOD))
    assert rules.threshold == 0.5
    assert [r.name for r in rules.languages["en"].rules] == ["nato_expansion.join"]


@pytest.mark.parametrize(
    ("broken", "line", "field", "message"),
    [
        (
            GOOD.replace("'join NATO'", "'join (NATO'"),
            8,
            "languages.en.nato_expansion.terms[0].pattern",
            "bad regular expression",
        ),
        (
            GOOD.replace("weight: 0.9", "weight: 1.9"),
            8,
            "languages.en.nato_expansion.terms[0].weight",
            "between",
        ),
        (GOOD.replace("      terms:", "      turms:"), 7, "languages.en.nato_expansion.turms", "unknown key"),
        (GOOD.replace("after: 0.5, ", ""), 2, "factors.after", "missing"),
        (GOOD.replace("  en:\n    prefilter: [nato]\n", "  en:\n"), 5, "languages.en.prefilter", "missing"),
        (GOOD + "  uk:\n    also: [xx]\n    prefilter: [нато]\n", 10, "languages.uk.also", "unknown"),
        (GOOD.replace("threshold: 0.5", "threshold: [0.5"), None, None, "not valid YAML"),
    ],
)
def test_a_broken_file_names_file_line_and_field(
    tmp_path: Path, broken: str, line: int | None, field: str | None, message: str
) -> None:
    path = write_rules(tmp_path, broken)
    with pytest.raises(ConfigError) as caught:
        load_topic_rules(path)
    error = caught.value
    assert error.path == str(path)
    assert message in str(error)
    if line is not None:
        assert error.line == line
    if field is not None:
        assert error.field == field


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_topic_rules(tmp_path / "nowhere.yaml")
