"""The feed list: the real one loads and meets its brief; a broken one is refused naming file, line, field."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import load_feeds, parse_feeds, seeds_dir, sql_dir
from pipeline.errors import ConfigError
from pipeline.records import FeedSource

GOOD = """\
# a comment
feeds:
  - name: Harbour Gazette — Europe
    url: https://news.example.org/europe/rss.xml
    outlet: Harbour Gazette
    language: en
    country: GB
  - name: Речной вестник
    url: https://river.example.ru/rss
    outlet: River Herald
    language: ru
    country: RU
  - name: Alliance newsroom
    url: https://alliance.example.int/news.xml
    outlet: Alliance
    language: EN
    country: int
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_feeds(path)
    assert str(path) in str(caught.value)
    return caught.value


def test_good_feed_list_loads(tmp_path: Path) -> None:
    feeds = load_feeds(write(tmp_path, GOOD))
    assert feeds[0] == FeedSource(
        name="Harbour Gazette — Europe",
        url="https://news.example.org/europe/rss.xml",
        outlet="Harbour Gazette",
        language="en",
        country="GB",
    )
    assert [f.language for f in feeds] == ["en", "ru", "en"]  # codes are normalised in case
    assert feeds[2].country == "INT"


def test_norwegian_is_a_language_not_false(tmp_path: Path) -> None:
    text = GOOD.replace("language: ru", "language: no")
    assert load_feeds(write(tmp_path, text))[1].language == "no"


def test_missing_field_names_file_line_and_field(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("    outlet: River Herald\n", ""))
    assert (error.field, error.line) == ("outlet", 8)
    assert "feeds.yaml:8: outlet: missing required field" in str(error)


def test_bad_url_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("https://river.example.ru/rss", "ftp://river.example.ru/rss"))
    assert (error.field, error.line) == ("url", 9)
    assert "not an http or https URL" in str(error)


def test_url_without_host_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("https://river.example.ru/rss", "https:///rss"))
    assert (error.field, error.line) == ("url", 9)


def test_bad_language_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("language: ru", "language: russian"))
    assert (error.field, error.line) == ("language", 11)
    assert "ISO 639-1" in str(error)


def test_unknown_two_letter_language_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("language: ru", "language: qq"))
    assert error.field == "language"


def test_bad_country_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("country: RU", "country: RUS"))
    assert (error.field, error.line) == ("country", 12)
    assert "ISO 3166-1" in str(error)


def test_duplicate_url_is_refused_even_when_spelled_differently(tmp_path: Path) -> None:
    text = GOOD.replace(
        "https://alliance.example.int/news.xml", "HTTPS://News.Example.org/europe/rss.xml?utm_source=x"
    )
    error = error_for(tmp_path, text)
    assert (error.field, error.line) == ("url", 14)
    assert "duplicate URL" in str(error) and "line 4" in str(error)


def test_duplicate_name_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("name: Alliance newsroom", "name: harbour gazette — europe"))
    assert (error.field, error.line) == ("name", 13)
    assert "duplicate name" in str(error)


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("    country: GB\n", "    country: GB\n    colour: blue\n"))
    assert (error.field, error.line) == ("colour", 8)
    assert "unknown field" in str(error)


def test_field_given_twice_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("    country: GB\n", "    country: GB\n    language: de\n"))
    assert (error.field, error.line) == ("language", 8)


def test_empty_value_is_refused(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("outlet: Harbour Gazette", 'outlet: ""'))
    assert (error.field, error.line) == ("outlet", 5)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, GOOD.replace("    language: ru", "    language: [ru"))
    assert error.line is not None and error.line >= 11
    assert "not valid YAML" in str(error)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", None),
        ("feeds: []\n", "feeds"),
        ("feeds:\n  name: x\n", "feeds"),
        ("sources: []\n", "sources"),
        ("- name: x\n", None),
    ],
)
def test_wrong_shapes_are_refused(tmp_path: Path, text: str, field: str | None) -> None:
    assert error_for(tmp_path, text).field == field


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: feed list not found"):
        load_feeds(path)


def test_parse_feeds_names_the_given_path() -> None:
    with pytest.raises(ConfigError, match=r"^inline\.yaml:1: "):
        parse_feeds("colour: blue\n", path="inline.yaml")


def test_real_feed_list_meets_the_brief() -> None:
    feeds = load_feeds(seeds_dir() / "feeds.yaml")
    assert len(feeds) >= 15
    assert sum(feed.language in ("ru", "uk") for feed in feeds) >= 3
    assert {"ru", "uk"} <= {feed.language for feed in feeds}
    outlets = {feed.outlet for feed in feeds}
    assert {"NATO", "President of Russia", "TASS", "Meduza", "Ukrinform"} <= outlets
    assert len({feed.feed_id for feed in feeds}) == len(feeds)


def test_demo_feed_list_loads_with_a_base_url() -> None:
    feeds = load_feeds(seeds_dir() / "demo" / "feeds.yaml", base_url="http://127.0.0.1:8123/")
    assert [feed.url for feed in feeds] == [
        "http://127.0.0.1:8123/feeds/world.xml",
        "http://127.0.0.1:8123/feeds/europe.atom",
    ]
    with pytest.raises(ConfigError, match="url"):  # unsubstituted, the placeholder is not a URL
        load_feeds(seeds_dir() / "demo" / "feeds.yaml")


def test_data_folders_are_found() -> None:
    assert (seeds_dir() / "feeds.yaml").is_file()
    assert (sql_dir() / "001_core.sql").is_file()


def test_data_folders_are_found_in_an_installed_layout(tmp_path: Path) -> None:
    # An installed wheel has no checkout around it: pipeline/_data/{seeds,sql} are real folders there.
    package = Path(__file__).resolve().parents[1] / "pipeline"
    shutil.copytree(
        package, tmp_path / "pipeline", symlinks=False, ignore=shutil.ignore_patterns("__pycache__")
    )
    script = "from pipeline.config import seeds_dir, sql_dir; print(seeds_dir()); print(sql_dir())"
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert found == [
        str(tmp_path / "pipeline" / "_data" / "seeds"),
        str(tmp_path / "pipeline" / "_data" / "sql"),
    ]
    assert (Path(found[0]) / "demo" / "feeds.yaml").is_file()
