"""URL canonicalisation: the spellings of one article's address collapse to one URL."""

from __future__ import annotations

import pytest

from pipeline.urls import canonicalize_url, find_canonical_link, is_tracking_parameter, site_of


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # tracking parameters go, whatever their case; the others stay, sorted by name
        (
            "https://news.example.org/a.html?utm_source=rss&utm_medium=feed&id=7",
            "https://news.example.org/a.html?id=7",
        ),
        ("https://news.example.org/a?fbclid=AbC&gclid=1&dclid=2&msclkid=3", "https://news.example.org/a"),
        ("https://news.example.org/a?mc_cid=1&mc_eid=2&yclid=3&_ga=4&igshid=5", "https://news.example.org/a"),
        (
            "https://news.example.org/a?ref_src=twsrc&cmpid=x&UTM_Campaign=y&b=2&a=1",
            "https://news.example.org/a?a=1&b=2",
        ),
        # scheme and host lower-cased, default ports dropped, other ports kept
        ("HTTPS://News.Example.ORG:443/Path/Is/Kept", "https://news.example.org/Path/Is/Kept"),
        ("http://news.example.org:80/a", "http://news.example.org/a"),
        ("http://news.example.org:8080/a", "http://news.example.org:8080/a"),
        # fragments and an empty query dropped; an empty path becomes "/"
        ("https://news.example.org/a.html#comments", "https://news.example.org/a.html"),
        ("https://news.example.org/a.html?", "https://news.example.org/a.html"),
        ("https://news.example.org", "https://news.example.org/"),
        # dot segments resolved
        ("https://news.example.org/a/b/../c/./d.html", "https://news.example.org/a/c/d.html"),
        ("https://news.example.org/../../x", "https://news.example.org/x"),
        # percent-escapes: upper-case hex, unreserved characters decoded, reserved ones kept escaped
        ("https://news.example.org/%7euser/a%2fb", "https://news.example.org/~user/a%2Fb"),
        ("https://news.example.org/caf%c3%a9", "https://news.example.org/caf%C3%A9"),
        ("https://news.example.org/a b", "https://news.example.org/a%20b"),
        # internationalised host names become IDNA; non-ASCII paths are escaped
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        (
            "https://пример.рф/новости",
            "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
        ),
        # repeated parameters keep the order of their values
        ("https://news.example.org/s?tag=b&tag=a&q=x", "https://news.example.org/s?q=x&tag=b&tag=a"),
    ],
)
def test_canonicalize_url(given: str, expected: str) -> None:
    assert canonicalize_url(given) == expected


def test_canonical_form_is_stable() -> None:
    once = canonicalize_url("HTTP://Example.com:80/a/../b/%7e?z=1&utm_term=x&a=%2f#f")
    assert canonicalize_url(once) == once


def test_two_spellings_of_one_article_become_one_url() -> None:
    from_rss = "https://www.example.com/world/story-123.html?utm_source=rss&utm_medium=feed"
    from_share = "HTTPS://WWW.EXAMPLE.COM:443/world/./story-123.html?fbclid=xyz#top"
    assert canonicalize_url(from_rss) == canonicalize_url(from_share)


def test_meaningful_parameters_are_not_tracking() -> None:
    assert is_tracking_parameter("utm_anything")
    assert not is_tracking_parameter("id")
    assert not is_tracking_parameter("page")
    assert canonicalize_url("https://e.example/story?id=42&page=2") == "https://e.example/story?id=42&page=2"


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.dw.com", "dw.com"),
        ("feeds.bbci.co.uk", "bbci.co.uk"),
        ("www.pravda.com.ua", "pravda.com.ua"),
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
    ],
)
def test_site_of(host: str, site: str) -> None:
    assert site_of(host) == site


def test_canonical_link_is_resolved_and_canonicalised() -> None:
    html = '<html><head><link rel="canonical" href="/news/story.html?utm_source=x#c"></head></html>'
    assert (
        find_canonical_link(html, "https://www.example.com/amp/story")
        == "https://www.example.com/news/story.html"
    )


def test_canonical_link_on_a_sister_host_is_accepted() -> None:
    html = '<link rel="canonical" href="https://www.example.co.uk/news/1">'
    assert find_canonical_link(html, "https://m.example.co.uk/news/1") == "https://www.example.co.uk/news/1"


def test_canonical_link_to_another_site_is_ignored() -> None:
    html = '<link rel="canonical" href="https://another.example.net/news/1">'
    assert find_canonical_link(html, "https://www.example.com/news/1") is None


def test_canonical_link_must_be_http() -> None:
    for href in ("javascript:void(0)", "ftp://e.example/a", "mailto:desk@e.example"):
        assert find_canonical_link(f'<link rel="canonical" href="{href}">', "https://e.example/a") is None


def test_page_without_canonical_link_gives_none() -> None:
    html = '<html><head><link rel="stylesheet" href="/s.css"><link rel="alternate" href="/amp"></head></html>'
    assert find_canonical_link(html, "https://e.example/a") is None


def test_canonical_link_honours_base_href_and_charset() -> None:
    html = '<meta charset="windows-1251"><base href="https://e.example/ru/"><link rel=canonical href="стр">'
    assert (
        find_canonical_link(html.encode("cp1251"), "https://e.example/x")
        == "https://e.example/ru/%D1%81%D1%82%D1%80"
    )


def test_canonical_link_of_a_local_file_is_taken_as_is() -> None:
    html = '<link rel="canonical" href="https://news.example.org/a?utm_source=x">'
    assert find_canonical_link(html, "file:///tmp/saved.html") == "https://news.example.org/a"
