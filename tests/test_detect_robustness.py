"""The detector never raises and stays linear, whatever the text."""

from __future__ import annotations

import random
import time

import pytest

from pipeline.detect import detect_statements

ODD_INPUTS = {
    "empty": "",
    "blank": " \n\n \t\n",
    "quote marks only": "\"“”„‘’'«»‹›" * 1000,
    "ten thousand straight quotes": '"' * 10_000,
    "unclosed quote": "“This never ends, said the minister\n\nand neither does this",
    "stray closing marks": "” ” » ’ He said. ”",
    "binary junk": bytes(range(256)).decode("latin-1") * 20,
    "control characters": "\x00\x01\x02 said \x03 “\x04” \ufffd",
    "cue words only": "said said told according to according to, said he said she",
    "one huge paragraph": ("Lavrov said the alliance was too close. " * 3000),
}


@pytest.mark.parametrize("text", list(ODD_INPUTS.values()), ids=list(ODD_INPUTS))
def test_odd_input_gives_a_list_and_valid_spans(text: str) -> None:
    statements = detect_statements(text)
    assert isinstance(statements, list)
    for s in statements:
        assert text[s.start : s.end] == s.quote


def test_random_noise_never_raises() -> None:
    rng = random.Random(20251128)
    alphabet = "ab said told “”\"'«»„‘’ .,:;—\n\nHe She Lavrov according to "
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        for s in detect_statements(text):
            assert text[s.start : s.end] == s.quote


def _cost(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        detect_statements(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize(
    "unit",
    [
        "“We will not move,” Lavrov said. He added that the talks had failed.\n\n",
        '"' * 50 + " said " + "'" * 50 + "\n\n",
        "according to officials, said he, “ « „ ",
    ],
    ids=["article", "marks", "cues"],
)
def test_cost_grows_linearly(unit: str) -> None:
    # Eight times the text may cost far more than eight times the time on a busy machine, but never the
    # sixty-four times that quadratic behaviour would take: the bound only trips on a real blow-up.
    small, large = _cost(unit * 100), _cost(unit * 800)
    assert large < 30 * small + 0.5
