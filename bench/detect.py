"""Speed of statement detection next to trafilatura extraction on the same articles.

    .venv/bin/python bench/detect.py CORPUS... [--repeat 5] [--limit 200]

CORPUS is a JSON Lines file of {"id", "text"} documents (plain text is wrapped into simple <p> paragraphs for
extraction) or a folder of .html pages (extracted first; detection runs on the extracted text). Prints the
median and p95 milliseconds per article for each, and the ratio detection / extraction (target <= 0.25).
Each article is timed `--repeat` times with time.perf_counter and its median kept.
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import time
from pathlib import Path

import trafilatura

from pipeline.detect import detect_statements


def load_articles(paths: list[str], limit: int) -> list[str]:
    """HTML pages for each article: .html files as they are, JSON Lines texts wrapped into paragraphs."""
    pages: list[str] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            pages.extend(
                p.read_text(encoding="utf-8", errors="replace") for p in sorted(path.rglob("*.html"))
            )
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"]
                body = "".join(f"<p>{html.escape(p)}</p>\n" for p in text.split("\n\n") if p.strip())
                pages.append(
                    f"<html><head><title>article</title></head><body><article>{body}</article></body></html>"
                )
    return pages[:limit] if limit else pages


def median_ms(run: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", nargs="+", help="JSON Lines documents or folders of .html pages")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="at most this many articles (0: all)")
    args = parser.parse_args(argv)
    pages = load_articles(args.corpus, args.limit)
    if not pages:
        print("no articles found", file=sys.stderr)
        return 1
    detect_statements("Warm-up: “the lexicons load once,” he said.")
    extract_ms, detect_ms, statements = [], [], 0
    for page in pages:
        text = trafilatura.extract(page, include_comments=False) or ""
        extract_ms.append(
            median_ms(lambda page=page: trafilatura.extract(page, include_comments=False), args.repeat)
        )
        detect_ms.append(median_ms(lambda text=text: detect_statements(text, "en"), args.repeat))
        statements += len(detect_statements(text, "en"))
    e_med, d_med = statistics.median(extract_ms), statistics.median(detect_ms)
    print(f"articles: {len(pages)}, statements found: {statements}, repetitions: {args.repeat}")
    print(f"extraction  median {e_med:8.2f} ms   p95 {p95(extract_ms):8.2f} ms")
    print(f"detection   median {d_med:8.2f} ms   p95 {p95(detect_ms):8.2f} ms")
    print(
        f"ratio detection / extraction: median {d_med / e_med:.3f}, "
        f"total {sum(detect_ms) / sum(extract_ms):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
