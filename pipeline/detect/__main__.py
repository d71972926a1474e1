"""`python -m pipeline.detect --input DOCS.jsonl --output PRED.jsonl [--all]` (shared/eval/CONTRACT.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.detect.jsonl import detect_jsonl
from pipeline.errors import NewswatchError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.detect", description=__doc__)
    parser.add_argument(
        "--input", required=True, type=Path, help="documents, JSON Lines {id, text, language?}"
    )
    parser.add_argument(
        "--output", required=True, type=Path, help="where to write the statements, JSON Lines"
    )
    parser.add_argument("--all", action="store_true", help="write every statement, not only topical ones")
    args = parser.parse_args(argv)
    try:
        count = detect_jsonl(args.input, args.output, include_all=args.all)
    except NewswatchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{count} documents -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
