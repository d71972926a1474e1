"""Feed parsing: every common feed format gives items a user can follow; broken feeds keep what parsed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.feeds import parse_feed
from pipeline.records import ParsedFeed
from pipeline.urls import canonicalize_url

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
FEED_URL = "https://feeds.example.org/europe/rss.xml"


def parse(name: str, url: str = FEED_URL) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), url=url, headers={"Content-Type": "application/xml"})


def test_rss2_items() -> None:
    feed = parse("rss2.xml")
    assert feed.title == "Harbour Gazette — Europe"
    first = feed.items[0]
    assert first.guid == "hg-1001"
    assert first.link == "https://news.example.org/europe/2024/03/ministers-riga.html"
    assert first.title == "Alliance ministers meet in Riga over enlargement"  # HTML stripped
    assert first.summary == "Foreign ministers gathered on Tuesday to discuss the alliance's open door."
    assert first.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert first.authors == ("Mara Ellison",)


def test_relative_link_is_resolved_against_the_feed_url() -> None:
    item = parse("rss2.xml").items[1]
    assert item.link == "https://feeds.example.org/europe/2024/03/treaty-talks.html"
    assert item.guid == item.link  # no guid: the link stands in
    assert item.summary == "A short summary & nothing more."
    assert item.authors == ("Tomas Brandt",)


def test_permalink_guid_serves_as_link() -> None:
    item = parse("rss2.xml").items[2]
    assert item.link == "https://news.example.org/europe/2024/03/permalink-only.html"


def test_items_without_a_usable_link_are_dropped_and_reported() -> None:
    feed = parse("rss2.xml")
    assert [item.title for item in feed.items] == [
        "Alliance ministers meet in Riga over enlargement",
        "Treaty talks stall, envoy says",
        "Permalink only",
    ]
    assert feed.problem == "2 of 5 entries had no http(s) link and were dropped"


def test_rss1_rdf() -> None:
    feed = parse("rss1.rdf")
    assert feed.problem is None
    assert [item.link for item in feed.items] == [
        "https://rdf.example.net/a/1",
        "https://rdf.example.net/a/2",
    ]
    assert feed.items[0].published == datetime(2024, 2, 10, 12, 20, tzinfo=UTC)
    assert feed.items[0].authors == ("Ilse Varga",)


def test_atom_entries() -> None:
    feed = parse("atom.xml", url="https://atom.example.com/feed.atom")
    assert feed.title == "Northbound Bulletin"
    entry = feed.items[0]
    assert entry.guid == "tag:atom.example.com,2024:envoy-guarantees"
    # resolved against xml:base; the enclosure link is not the article
    assert entry.link == "https://atom.example.com/news/2024/04/envoy-guarantees"
    assert entry.title == "Envoy: guarantees must be written down"
    assert entry.summary == "The envoy spoke late on Monday."
    assert entry.published == datetime(2024, 4, 2, 1, 45, tzinfo=UTC)  # published wins over updated
    assert entry.authors == ("Petra Lind", "Oskar Haim")
    assert feed.items[1].published == datetime(2024, 4, 1, 12, 0, tzinfo=UTC)  # updated when no published


def test_rss091_in_latin1() -> None:
    feed = parse("rss091.xml")
    assert feed.problem is None
    assert feed.items[0].title == "Café owners welcome the summit"
    assert feed.items[0].link == "http://courier.example.com/story/77"
    assert feed.items[0].published is None


def test_dates_in_several_formats_become_utc() -> None:
    published = {item.title: item.published for item in parse("dates.xml").items}
    nine = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert published["rfc822"] == nine
    assert published["rfc822-named-zone"] == nine
    assert published["iso8601-z"] == nine
    assert published["w3cdtf-offset"] == nine
    assert published["date-only"] == datetime(2024, 3, 1, tzinfo=UTC)
    assert published["garbage"] is None
    assert all(value is None or value.tzinfo is UTC for value in published.values())


def test_broken_xml_keeps_the_items_that_parsed() -> None:
    feed = parse("broken.xml")
    assert [item.link for item in feed.items][:2] == [
        "https://broken.example.com/1",
        "https://broken.example.com/2",
    ]
    assert feed.items[0].published == datetime(2024, 1, 10, 10, 0, tzinfo=UTC)
    assert feed.problem is not None and feed.problem.startswith("malformed XML at line 5")


def test_empty_feed_is_not_a_problem() -> None:
    feed = parse("empty.xml")
    assert feed == ParsedFeed(items=(), title="Quiet Desk", problem=None)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"<html><body><p>Our new website is here</p></body></html>", "not an RSS or Atom feed"),
        (b"/etc/passwd", "not an RSS or Atom feed"),  # bytes are content, never a file name or a URL
    ],
)
def test_non_feeds_give_no_items_and_a_problem(body: bytes, problem: str) -> None:
    feed = parse_feed(body, url=FEED_URL)
    assert feed.items == ()
    assert feed.problem is not None and feed.problem.startswith(problem)


def test_charset_from_the_response_headers_is_used() -> None:
    body = (
        "<rss version='2.0'><channel><title>Лента</title><item><title>Новости дня</title>"
        "<link>https://lenta.example.ru/1</link></item></channel></rss>"
    ).encode("cp1251")
    feed = parse_feed(
        body, url=FEED_URL, headers={"Content-Type": "application/rss+xml; charset=windows-1251"}
    )
    assert feed.title == "Лента"
    assert feed.items[0].title == "Новости дня"


def test_a_thousand_items() -> None:
    items = "".join(
        f"<item><title>Item {n} &amp; more</title><link>/story/{n}?utm_source=rss</link>"
        f"<pubDate>Mon, 01 Jan 2024 {n // 60 % 24:02d}:{n % 60:02d}:00 GMT</pubDate></item>"
        for n in range(1000)
    )
    body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Big</title>{items}</channel></rss>"
    feed = parse_feed(body.encode(), url="https://big.example.com/feed.xml")
    assert feed.problem is None
    assert len(feed.items) == 1000
    assert len({item.guid for item in feed.items}) == 1000
    assert feed.items[999].title == "Item 999 & more"
    assert feed.items[999].link == "https://big.example.com/story/999?utm_source=rss"
    assert feed.items[999].published == datetime(2024, 1, 1, 16, 39, tzinfo=UTC)


def test_demo_feeds_parse_and_share_one_story() -> None:
    base = "http://127.0.0.1:8123"
    demo = Path(__file__).resolve().parents[1] / "seeds" / "demo" / "feeds"
    world = parse_feed(
        (demo / "world.xml").read_bytes().replace(b"{base}", base.encode()), url=f"{base}/feeds/world.xml"
    )
    europe = parse_feed(
        (demo / "europe.atom").read_bytes().replace(b"{base}", base.encode()), url=f"{base}/feeds/europe.atom"
    )
    assert (world.problem, europe.problem) == (None, None)
    assert (len(world.items), len(europe.items)) == (6, 3)
    tracked = [item.link for item in europe.items if "utm_source=atom" in item.link]
    assert len(tracked) == 1
    world_links = {canonicalize_url(item.link) for item in world.items}
    assert canonicalize_url(tracked[0]) in world_links
    assert world.items[-1].title == "Moscow envoy insists security guarantees must be legally binding"
