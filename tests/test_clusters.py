"""Cross-outlet clusters: the same statement, as different outlets print it, is one cluster."""

from __future__ import annotations

import pytest

from pipeline.clusters import find_cluster, new_cluster

QUOTE = "We will not accept promises on paper; we need guarantees that bind every party to the treaty"


@pytest.mark.parametrize(
    ("quote", "speaker"),
    [
        (QUOTE, "Ivan Sample"),  # the same words
        (QUOTE.upper() + ".", "Sample"),  # case, punctuation, surname only
        (
            "We will not accept promises on paper, we need guarantees which bind every party to the treaty",
            "Minister Ivan Sample",
        ),  # a word changed, a comma for a semicolon
        ("we need guarantees that bind every party to the treaty", "Ivan Sample"),  # a shorter excerpt
        (
            "“We will not accept promises on paper; we need guarantees that bind every party to the "
            "treaty,” he said, before leaving",
            "Ivan Sámple",
        ),  # the same words inside a longer stretch, an accent
    ],
)
def test_the_same_statement_as_outlets_print_it_joins_the_cluster(quote: str, speaker: str) -> None:
    founded = new_cluster(QUOTE, "Ivan Sample")
    assert find_cluster(quote, speaker, [founded]) == founded


@pytest.mark.parametrize(
    ("quote", "speaker"),
    [
        (QUOTE, "Greta Example"),  # the same words from someone else
        ("We will accept written promises if every party signs the treaty first", "Ivan Sample"),
        ("guarantees", "Ivan Sample"),  # too short to be the same statement by overlap alone
    ],
)
def test_a_different_statement_founds_its_own_cluster(quote: str, speaker: str) -> None:
    assert find_cluster(quote, speaker, [new_cluster(QUOTE, "Ivan Sample")]) is None


def test_cluster_ids_are_stable_across_runs() -> None:
    assert new_cluster(QUOTE, "Ivan Sample") == new_cluster(QUOTE + " ", "ivan sample")
