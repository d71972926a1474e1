"""The `newswatch` command as a user meets it: output, exit status, and one-line errors."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from tests.conftest import INGEST_PAGES, NEWSWATCH, Outlet


def newswatch(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*NEWSWATCH, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_extract_prints_one_json_object_per_page(tmp_path: Path, cli_env: dict) -> None:
    pages = [INGEST_PAGES / "membership.html", INGEST_PAGES / "exercise.html"]
    result = newswatch("extract", *map(str, pages), "--url", "https://courier.example/news/x", env=cli_env)

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["path"] for row in lines] == [str(p) for p in pages]
    first = lines[0]
    assert set(first) >= {"path", "url", "title", "author", "published", "language", "text"}
    assert first["url"] == "https://courier.example/news/x"
    assert first["author"] == "Bo Fixture"
    assert first["language"] == "en"
    assert first["published"].startswith("2026-11-21")
    assert "walk through it" in first["text"]


def test_extract_names_a_missing_page(tmp_path: Path, cli_env: dict) -> None:
    result = newswatch("extract", str(tmp_path / "nope.html"), env=cli_env)
    assert result.returncode != 0
    assert "nope.html" in result.stderr


def test_listing_articles_and_statements_after_a_run(outlet: Outlet, tmp_path: Path, cli_env: dict) -> None:
    db = str(tmp_path / "nw.duckdb")
    assert (
        newswatch("run", "--feeds", str(outlet.feeds_file), "--db", db, "--no-alerts", env=cli_env).returncode
        == 0
    )

    articles = newswatch("articles", "--since", "1h", "--json", "--db", db, env=cli_env)
    assert articles.returncode == 0, articles.stderr
    rows = [json.loads(line) for line in articles.stdout.splitlines()]
    assert len(rows) == 4
    assert {r["outlet"] for r in rows} == {"The Test Courier", "The Test Echo"}

    statements = newswatch("statements", "--db", db, env=cli_env)
    assert statements.returncode == 0, statements.stderr
    assert "Ivan Sample" in statements.stdout
    assert "legally binding security guarantees" in statements.stdout
    assert "2 outlets" in statements.stdout, "a statement carried by two outlets says so"


def test_bad_input_is_one_line_naming_it(tmp_path: Path, cli_env: dict) -> None:
    bad_since = newswatch(
        "articles", "--since", "yesterday-ish", "--db", str(tmp_path / "x.duckdb"), env=cli_env
    )
    assert bad_since.returncode == 1
    assert "--since 'yesterday-ish'" in bad_since.stderr
    assert "Traceback" not in bad_since.stderr

    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n  - name: Broken\n    url: ftp://example.org/feed\n    outlet: X\n"
        "    language: en\n    country: GB\n",
        encoding="utf-8",
    )
    bad_feeds = newswatch("run", "--feeds", str(feeds), "--db", str(tmp_path / "x.duckdb"), env=cli_env)
    assert bad_feeds.returncode == 1
    assert f"{feeds}:3" in bad_feeds.stderr and "url" in bad_feeds.stderr
    assert len(bad_feeds.stderr.strip().splitlines()) == 1

    missing_db = newswatch("feeds", "--db", str(tmp_path / "never.duckdb"), env=cli_env)
    assert missing_db.returncode == 1
    assert "never.duckdb: no database here yet" in missing_db.stderr


def test_init_creates_the_database_once(tmp_path: Path, cli_env: dict) -> None:
    db = tmp_path / "data" / "nw.duckdb"
    first = newswatch("init", "--db", str(db), env=cli_env)
    assert first.returncode == 0, first.stderr
    assert "applied 001_core" in first.stdout
    second = newswatch("init", "--db", str(db), env=cli_env)
    assert "up to date" in second.stdout


def test_the_database_can_come_from_the_environment(tmp_path: Path, cli_env: dict) -> None:
    db = tmp_path / "from-env.duckdb"
    result = newswatch("init", env={**cli_env, "NEWSWATCH_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_the_demo_ingests_the_sample_outlet_offline(tmp_path: Path, cli_env: dict) -> None:
    db = tmp_path / "demo.duckdb"
    env = {k: v for k, v in cli_env.items() if k != "NEWSWATCH_ALLOW_PRIVATE"}  # the demo allows it itself
    with socket.socket() as probe:  # a free port, the same for both runs (as the fixed default port is)
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    result = newswatch("demo", "--db", str(db), "--port", port, env=env, timeout=300)

    assert result.returncode == 0, result.stderr
    assert "sample data" in result.stdout
    assert "8 new article(s)" in result.stdout
    assert "topical statement(s)" in result.stdout
    assert "security_guarantees" in result.stdout and "nato_expansion" in result.stdout
    again = newswatch("demo", "--db", str(db), "--port", port, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "0 new article(s)" in again.stdout, "a second demo finds the sample articles already stored"
