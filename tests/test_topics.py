"""Topic tagging: shipped rules on hand-written statements, the pre-filter, anaphora, rule-file errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipeline.detect.quotes import find_quotes
from pipeline.detect.segment import split_paragraphs, split_sentences
from pipeline.detect.topics import (
    TOPICS,
    load_topic_rules,
    may_be_topical,
    tag_topics,
    topical_gate,
    topical_paragraphs,
)
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
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: topic rules not found"):
        load_topic_rules(tmp_path / "nowhere.yaml")


ODD_CASE = {
    "long s": "Kyiv wants binding ſecurity guaranteeſ from its partners",
    "dotless i": "Kyiv wants binding securıty guarantees from its partners",
    "dotted capital I": "Kyiv wants binding securİty guarantees from its partners",
    "capital sigma": "Kyiv, the ΣΥΝ party noted, wants binding security guarantees from its partners",
}


def plain_search(paragraph: str) -> bool:
    """Whether some English rule fires on the paragraph by plain regex search (no shortcuts)."""
    rules = load_topic_rules().languages["en"].rules
    return any(r.pattern.search(paragraph) and (r.near is None or r.near.search(paragraph)) for r in rules)


@pytest.mark.parametrize("letter", ODD_CASE, ids=list(ODD_CASE))
def test_gate_and_tagger_agree_with_plain_search_on_odd_case_letters(letter: str) -> None:
    # the shortcuts skip a search when a rule's words are missing from the lowercased text; ſ, ı, İ and Σ
    # lowercase differently from how a case-insensitive pattern matches them
    claim = ODD_CASE[letter]
    text = (
        "The ferry to the islands was cancelled again because of the storm.\n\n"
        f"The minister said {claim}.\n\n"
        "Fishermen said the harbour would stay closed until Thursday."
    )
    paragraphs = split_paragraphs(text)
    expected = [i for i, (s, e) in enumerate(paragraphs) if plain_search(text[s:e])]
    assert expected == [1]
    assert set(expected) <= set(topical_paragraphs(text, paragraphs, language="en"))
    gate = topical_gate(text, paragraphs, language="en")
    sentence = f"The minister said {claim}."
    for used in (None, gate):
        assert tag_topics(claim, sentence=sentence, language="en", gate=used).topics == (
            "security_guarantees",
        )


# every word that names the topic (and every prefilter stem in it) holds an "i"
TWIN_I = {
    "plain": "Ukraine should be joining the alliance soon",
    "dotless i": "Ukraıne should be joınıng the allıance soon",
    "dotted capital I": "UKRAİNE SHOULD BE JOİNİNG THE ALLİANCE SOON",
}


@pytest.mark.parametrize("letter", TWIN_I, ids=list(TWIN_I))
def test_the_prefilter_passes_what_the_tagger_tags_whatever_the_i(letter: str) -> None:
    # "ı" casefolds to itself and "İ" to "i" plus a combining dot, yet a case-insensitive pattern
    # matches both as "i": the pre-filter must not drop a text the tagger would tag
    claim = TWIN_I[letter]
    assert tag_topics(claim, language="en").topics == ("nato_expansion",)
    assert may_be_topical(claim, language="en")
    assert may_be_topical(f"The minister said: {claim}.")  # language unknown
    # still a filter on such text: no stem, no pass
    assert not may_be_topical("Wheat prıces rose İn May, the farmers said.", language="en")


@pytest.mark.parametrize("name", ["article_en.txt", "article_ru.txt", "article_uk.txt"])
def test_tagging_with_the_gate_equals_tagging_without_it(name: str) -> None:
    text = (Path(__file__).parent / "fixtures" / "detect" / name).read_text(encoding="utf-8")
    language = name[8:10]
    paragraphs = split_paragraphs(text)
    gate = topical_gate(text, paragraphs, language=language)
    quotes = find_quotes(text, paragraphs)
    compared = topical = 0
    for ps, pe in paragraphs:
        for ss, se in split_sentences(text, ps, pe, [q for q in quotes if q.open < pe and q.outer_end > ps]):
            sentence = text[ss:se]
            # the sentence's second half as the quote, the first half as its frame
            quote = sentence[len(sentence) // 2 :].strip()
            before = text[max(0, ss - 600) : ss]
            plain = tag_topics(quote, sentence=sentence, before=before, language=language)
            gated = tag_topics(quote, sentence=sentence, before=before, language=language, gate=gate)
            assert gated == plain, sentence
            compared += 1
            topical += bool(plain.topics)
    assert compared >= 3 and topical >= 1
