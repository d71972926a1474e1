"""Article extraction: the body text, cleanly split into paragraphs, with the metadata a reader expects."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.extract import SHORT_TEXT, extract_article, extract_file

PAGES = Path(__file__).parent / "fixtures" / "pages"
DEMO = Path(__file__).resolve().parents[1] / "seeds" / "demo" / "pages"
PAGE_URL = "https://news.example.org/europe/2024/03/ministers-riga.html"
BASE = "http://127.0.0.1:8123"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def demo_page(name: str) -> bytes:
    return (DEMO / name).read_bytes().replace(b"{base}", BASE.encode())


def test_article_text_and_metadata() -> None:
    result = extract_article(page("article-en.html"), url=PAGE_URL)
    assert result.status == "ok"
    assert result.title == "Ministers argue over the alliance's next members"
    assert result.author == "Mara Ellison"
    assert result.site == "Harbour Gazette"
    assert result.language == "en"
    assert result.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert result.canonical_url == PAGE_URL  # utm_source and the fragment dropped
    assert result.error is None


def test_paragraphs_are_separated_by_blank_lines() -> None:
    text = extract_article(page("article-en.html"), url=PAGE_URL).text
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("Foreign ministers from the alliance spent most of Tuesday")
    assert paragraphs[1].startswith('"We cannot keep candidates in a waiting room')
    assert all(paragraph and "\n" not in paragraph for paragraph in paragraphs)


def test_headline_navigation_footer_and_comments_are_left_out() -> None:
    text = extract_article(page("article-en.html"), url=PAGE_URL).text
    for boilerplate in (
        "Typical talking shop",
        "seagull_22",
        "Comments",
        "Sport",
        "© 2024",
        "invented outlet",
    ):
        assert boilerplate not in text
    assert not text.startswith("Ministers argue")  # the repeated headline is not a paragraph


def test_russian_page_in_windows_1251() -> None:
    result = extract_article(
        page("article-ru-cp1251.html"), url="https://river.example.ru/mir/2024/04/x.html"
    )
    assert result.status == "ok"
    assert result.language == "ru"
    assert result.title == "Дипломаты обсудили гарантии безопасности"
    assert result.author == "Ирина Лебедева"
    assert "«Мы готовы обсуждать любые формулы" in result.text
    assert "Опять ничего не решили" not in result.text  # comments
    assert result.canonical_url == "https://river.example.ru/mir/2024/04/garantii.html"


def test_future_date_is_dropped_for_the_feed_date() -> None:
    feed_date = datetime(2024, 6, 1, 7, 0, tzinfo=UTC)
    now = datetime(2024, 6, 2, tzinfo=UTC)
    result = extract_article(
        page("future-date.html"), url="https://e.example/f", feed_published=feed_date, now=now
    )
    assert result.published == feed_date
    alone = extract_article(page("future-date.html"), url="https://e.example/f", now=now)
    assert alone.published is None


def test_page_date_wins_over_the_feed_date() -> None:
    feed_date = datetime(2024, 3, 6, tzinfo=UTC)
    result = extract_article(page("article-en.html"), url=PAGE_URL, feed_published=feed_date)
    assert result.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)


def test_a_date_after_now_is_dropped() -> None:
    before = datetime(2024, 3, 1, tzinfo=UTC)  # the page says 5 March
    result = extract_article(page("article-en.html"), url=PAGE_URL, now=before)
    assert result.published is None


@pytest.mark.parametrize("html", [b"", b"   \n", "", "<html><body></body></html>"])
def test_empty_input_gives_status_empty(html: bytes | str) -> None:
    result = extract_article(html, url="https://e.example/empty")
    assert result.status == "empty"
    assert result.text == ""
    assert result.error


def test_page_with_no_article_gives_status_empty() -> None:
    result = extract_article(page("empty-body.html"), url="https://e.example/app")
    assert (result.status, result.text, result.language) == ("empty", "", None)


def test_garbage_bytes_do_not_raise() -> None:
    result = extract_article(b"\x00\xff\xfe<<<<>>>>\x89PNG\r\n\x1a\n" * 50, url="https://e.example/bin")
    assert result.status in ("empty", "short", "error")


def test_teaser_is_short() -> None:
    result = extract_article(page("teaser.html"), url="https://e.example/teaser")
    assert result.status == "short"
    assert 0 < len(result.text) < SHORT_TEXT
    assert "Dock workers kept the gates closed" in result.text


def test_canonical_link_to_another_site_is_not_kept() -> None:
    result = extract_article(page("foreign-canonical.html"), url="https://copier.example.com/story")
    assert result.canonical_url is None


def test_extract_article_runs_in_a_process_pool() -> None:
    assert pickle.loads(pickle.dumps(extract_article)) is extract_article
    jobs = [
        (page("article-en.html"), PAGE_URL),
        (page("article-ru-cp1251.html"), "https://river.example.ru/a"),
    ]
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(extract_article, html, url=url) for html, url in jobs]
        results = [future.result() for future in futures]
    assert [r.language for r in results] == ["en", "ru"]


def test_extract_file_gives_the_cli_json(tmp_path: Path) -> None:
    result = extract_file(PAGES / "article-en.html")
    assert json.loads(json.dumps(result)) == result
    assert result["path"] == str(PAGES / "article-en.html")
    assert result["url"] == PAGE_URL  # from the page's canonical link
    assert result["published"] == "2024-03-05T08:30:00+00:00"
    assert (result["title"], result["author"], result["language"]) == (
        "Ministers argue over the alliance's next members",
        "Mara Ellison",
        "en",
    )
    assert result["text"].count("\n\n") == 3
    given = extract_file(PAGES / "article-en.html", url="https://mirror.example.org/x")
    assert given["url"] == "https://mirror.example.org/x"


def test_extract_file_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.html"):
        extract_file(tmp_path / "missing.html")


@pytest.mark.parametrize("name", sorted(p.name for p in DEMO.glob("*.html")))
def test_demo_pages_extract_cleanly(name: str) -> None:
    result = extract_article(demo_page(name), url=f"{BASE}/pages/{name}")
    assert result.status == "ok"
    assert result.canonical_url == f"{BASE}/pages/{name}"
    assert result.site == "The Northern Ledger"
    assert result.author and result.published and result.title
    assert result.language == ("ru" if name.endswith("-ru.html") else "en")
    assert "north_wind_77" not in result.text and "Reader comments" not in result.text
    assert "sample data for the newswatch demo" not in result.text  # the banner is page furniture
    assert "Fictional sample text" in result.text or "Вымышленный пример" in result.text
    assert result.text.count("\n\n") >= 4
