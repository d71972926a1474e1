"""Quality floors on the hand-written fixtures (tests/fixtures/detect/floors.json).

The floors are raised on purpose when the detector improves, never lowered silently: a change that costs a
statement or a speaker on these sentences fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.detect import detect_statements

FIXTURES = Path(__file__).parent / "fixtures" / "detect"


def measure() -> dict[str, float]:
    """Quote precision/recall/F1 (a statement holding the expected words) and speaker accuracy (surname)."""
    cases = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))["cases"]
    expected = found = predicted = matched = right = 0
    for case in cases:
        statements = detect_statements(case["text"])
        predicted += len(statements)
        used: set[int] = set()
        for item in case["expect"]:
            expected += 1
            for i, s in enumerate(statements):
                if i not in used and item["quote"] in s.quote:
                    used.add(i)
                    found += 1
                    matched += 1
                    right += bool(s.speaker and item["speaker"].lower() in s.speaker.lower())
                    break
    precision = found / predicted if predicted else 0.0
    recall = found / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"quote_f1": f1, "quote_recall": recall, "speaker_acc": right / matched if matched else 0.0}


def test_fixture_quality_stays_above_the_floors() -> None:
    floors = json.loads((FIXTURES / "floors.json").read_text(encoding="utf-8"))["floors"]
    figures = measure()
    below = {k: (round(figures[k], 4), v) for k, v in floors.items() if figures[k] < v}
    assert not below, f"below the floors (figure, floor): {below}"
