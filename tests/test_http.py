"""pipeline.http against a real local server: statuses, retries, redirects, guards, limits, robots."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline.errors import ConfigError, TerminalFetchError, TransientFetchError
from pipeline.http import HttpClient, HttpSettings, choose_encoding, parse_retry_after, refusal_reason
from pipeline.records import Response
from tests.support.server import FixtureServer, RecordedRequest, Reply, local_http_settings

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Test wire</title>'
    b"<item><title>A minister spoke</title><link>http://example.org/a</link></item></channel></rss>"
)
PAGE = "<!doctype html><html><head><title>t</title></head><body><p>Ein Satz über Bündnisse.</p></body></html>"
# Sentences written for these tests, in Russian and in French.
RUSSIAN = (
    "Министр сказал журналистам, что переговоры о гарантиях безопасности продолжатся на следующей неделе."
)
FRENCH = (
    "Le ministre a déclaré que les garanties de sécurité seraient discutées à Genève la semaine prochaine."
)


def fetch(url: str, settings: HttpSettings | None = None, **kwargs: Any) -> Response:
    async def run() -> Response:
        async with HttpClient(settings or local_http_settings()) as client:
            return await client.fetch(url, **kwargs)

    return asyncio.run(run())


def fetch_all(urls: list[str], settings: HttpSettings, **kwargs: Any) -> list[Response]:
    async def run() -> list[Response]:
        async with HttpClient(settings) as client:
            return list(await asyncio.gather(*(client.fetch(url, **kwargs) for url in urls)))

    return asyncio.run(run())


# --- plain fetches and statuses -------------------------------------------------------------------


def test_a_feed_comes_back_with_its_bytes_headers_and_our_user_agent(http_server: FixtureServer) -> None:
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml", headers={"X-Wire": "yes"})
    settings = local_http_settings(contact_url="https://example.org/about-our-bot")

    response = fetch(http_server.url("/feed.xml"), settings)

    assert response.status == 200
    assert response.body == RSS
    assert response.final_url == response.url == http_server.url("/feed.xml")
    assert response.headers["x-wire"] == "yes"
    assert response.content_type == "application/rss+xml"
    assert response.encoding == "utf-8"
    assert not response.not_modified
    seen = http_server.requests_for("/feed.xml")[0]
    assert seen.headers["user-agent"] == "newswatch/0.1.0 (+https://example.org/about-our-bot)"


def test_a_matching_etag_gives_not_modified_and_the_server_saw_if_none_match(
    http_server: FixtureServer,
) -> None:
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml", etag='"v7"')

    fresh = fetch(http_server.url("/feed.xml"), etag='"v7"')
    stale = fetch(http_server.url("/feed.xml"), etag='"v6"')

    assert fresh.not_modified and fresh.status == 304 and fresh.body == b""
    assert fresh.etag == '"v7"'
    assert not stale.not_modified and stale.body == RSS
    assert [r.headers.get("if-none-match") for r in http_server.requests] == ['"v7"', '"v6"']


def test_a_last_modified_date_is_sent_back_as_if_modified_since(http_server: FixtureServer) -> None:
    stamp = "Tue, 03 Jun 2025 10:00:00 GMT"
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml", last_modified=stamp)

    first = fetch(http_server.url("/feed.xml"))
    again = fetch(http_server.url("/feed.xml"), last_modified=first.last_modified)

    assert first.status == 200 and first.last_modified == stamp
    assert again.not_modified
    assert http_server.requests[1].headers["if-modified-since"] == stamp
    assert "if-modified-since" not in http_server.requests[0].headers


@pytest.mark.parametrize("status", [404, 410, 403])
def test_gone_and_missing_pages_fail_terminally_without_retrying(
    http_server: FixtureServer, status: int
) -> None:
    http_server.add("/page", "nope", status=status)

    with pytest.raises(TerminalFetchError) as caught:
        fetch(http_server.url("/page"), kind="article")

    assert caught.value.status == status
    assert caught.value.url == http_server.url("/page")
    assert len(http_server.requests_for("/page")) == 1


# --- retries --------------------------------------------------------------------------------------


def test_a_429_with_retry_after_is_retried_and_then_succeeds(http_server: FixtureServer) -> None:
    http_server.add_sequence(
        "/feed.xml",
        [
            Reply(status=429, headers={"Retry-After": "0"}),
            Reply(body=RSS, content_type="application/rss+xml"),
        ],
    )

    response = fetch(http_server.url("/feed.xml"))

    assert response.body == RSS
    assert len(http_server.requests_for("/feed.xml")) == 2


def test_a_retry_after_longer_than_we_wait_fails_transiently_at_once(http_server: FixtureServer) -> None:
    http_server.add("/feed.xml", status=429, headers={"Retry-After": "3600"})

    with pytest.raises(TransientFetchError) as caught:
        fetch(http_server.url("/feed.xml"), local_http_settings(retries=3, retry_after_max=60))

    assert caught.value.status == 429
    assert "3600" in caught.value.reason
    assert len(http_server.requests_for("/feed.xml")) == 1


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2025, 6, 3, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Tue, 03 Jun 2025 10:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Tue, 03 Jun 2025 09:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None


def test_a_500_then_a_200_succeeds_on_the_second_attempt(http_server: FixtureServer) -> None:
    http_server.add_sequence("/page", [Reply(status=500), Reply(body=PAGE)])

    response = fetch(http_server.url("/page"), kind="article")

    assert response.text() == PAGE
    assert len(http_server.requests_for("/page")) == 2


def test_a_500_forever_fails_transiently_after_every_attempt(http_server: FixtureServer) -> None:
    http_server.add("/feed.xml", "broken", status=503)

    with pytest.raises(TransientFetchError) as caught:
        fetch(http_server.url("/feed.xml"), local_http_settings(retries=3))

    assert caught.value.status == 503
    assert len(http_server.requests_for("/feed.xml")) == 4


def test_a_closed_port_fails_transiently(http_server: FixtureServer) -> None:
    with FixtureServer() as gone:
        url = gone.url("/feed.xml")

    with pytest.raises(TransientFetchError) as caught:
        fetch(url, local_http_settings(retries=1))

    assert "connection failed" in caught.value.reason


# --- timeouts -------------------------------------------------------------------------------------


def test_a_response_slower_than_the_timeout_fails_transiently_and_is_retried(
    http_server: FixtureServer,
) -> None:
    http_server.add("/slow", PAGE, delay=5.0)

    with pytest.raises(TransientFetchError):
        fetch(http_server.url("/slow"), local_http_settings(total_timeout=0.3, retries=1), kind="article")

    assert len(http_server.requests_for("/slow")) == 2


def test_a_body_that_trickles_in_past_the_total_timeout_fails(http_server: FixtureServer) -> None:
    def trickle(request: RecordedRequest) -> tuple[int, Mapping[str, str], Iterator[bytes]]:
        def chunks() -> Iterator[bytes]:
            for _ in range(50):
                time.sleep(0.05)  # each piece well within the read timeout
                yield b"<p>more</p>"

        return 200, {"Content-Type": "text/html"}, chunks()

    http_server.add_handler("/trickle", trickle)

    with pytest.raises(TransientFetchError) as caught:
        fetch(http_server.url("/trickle"), local_http_settings(total_timeout=0.5, read_timeout=2, retries=0))

    assert "no complete response within" in caught.value.reason


# --- redirects and the address guard --------------------------------------------------------------


def test_a_redirect_chain_is_followed_to_the_final_url(http_server: FixtureServer) -> None:
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml")
    http_server.add_redirect_chain("/moved", 3, "/feed.xml")

    response = fetch(http_server.url("/moved"))

    assert response.body == RSS
    assert response.url == http_server.url("/moved")
    assert response.final_url == http_server.url("/feed.xml")
    assert [r.path for r in http_server.requests] == ["/moved", "/moved/1", "/moved/2", "/feed.xml"]


def test_a_chain_longer_than_the_limit_is_refused(http_server: FixtureServer) -> None:
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml")
    http_server.add_redirect_chain("/moved", 3, "/feed.xml")

    with pytest.raises(TerminalFetchError) as caught:
        fetch(http_server.url("/moved"), local_http_settings(max_redirects=2))

    assert "more than 2 redirects" in caught.value.reason
    assert not http_server.requests_for("/feed.xml")


def test_a_loopback_url_is_refused_unless_private_addresses_are_allowed(http_server: FixtureServer) -> None:
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml")

    with pytest.raises(TerminalFetchError) as caught:
        fetch(http_server.url("/feed.xml"), HttpSettings(retries=0))

    assert "loopback address 127.0.0.1" in caught.value.reason
    assert http_server.requests == []


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://127.0.0.2:{port}/feed.xml", "loopback address 127.0.0.2"),
        ("http://[::ffff:127.0.0.3]:{port}/feed.xml", "loopback address 127.0.0.3"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
        ("http://10.20.30.40/admin", "private address 10.20.30.40"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    http_server: FixtureServer, location: str, reason: str
) -> None:
    # Only this server's own address is let through, as a deployment would allow one intranet mirror.
    http_server.add_redirect("/feed.xml", location.format(port=http_server.port))
    settings = HttpSettings(allowed_networks=("127.0.0.1/32",), retries=0, host_delay=0)

    with pytest.raises(TerminalFetchError) as caught:
        fetch(http_server.url("/feed.xml"), settings)

    assert reason in caught.value.reason
    assert [r.path for r in http_server.requests] == ["/feed.xml"]


def test_a_host_name_is_resolved_and_kept_in_the_host_header(http_server: FixtureServer) -> None:
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml")

    response = fetch(f"http://localhost:{http_server.port}/feed.xml")

    assert response.body == RSS
    assert http_server.requests[0].headers["host"] == f"localhost:{http_server.port}"


def test_a_redirect_to_another_allowed_host_is_followed(http_server: FixtureServer) -> None:
    with FixtureServer(host="127.0.0.2") as other:
        other.add("/feed.xml", RSS, content_type="application/rss+xml")
        http_server.add_redirect("/feed.xml", other.url("/feed.xml"), status=301)

        response = fetch(http_server.url("/feed.xml"))

        assert response.final_url == other.url("/feed.xml")
        assert response.body == RSS


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "gopher://127.0.0.1/"])
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(TerminalFetchError) as caught:
        fetch(url)
    assert "refused scheme" in caught.value.reason


def test_a_redirect_to_a_file_url_is_refused(http_server: FixtureServer) -> None:
    http_server.add_redirect("/feed.xml", "file:///etc/passwd")

    with pytest.raises(TerminalFetchError) as caught:
        fetch(http_server.url("/feed.xml"))

    assert "refused scheme 'file'" in caught.value.reason


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "non-public"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_non_public_addresses_are_named_for_what_they_are(address: str, kind: str) -> None:
    reason = refusal_reason(address)
    assert reason is not None and reason.startswith(kind)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_pass_the_guard(address: str) -> None:
    assert refusal_reason(address) is None


# --- size cap and content types -------------------------------------------------------------------


def test_a_body_announced_over_the_cap_is_refused(http_server: FixtureServer) -> None:
    http_server.add("/big", b"<html>" + b"x" * 5000, content_type="text/html")

    with pytest.raises(TerminalFetchError) as caught:
        fetch(http_server.url("/big"), local_http_settings(max_bytes=1000), kind="article")

    assert "body of 5006 bytes is over the 1000-byte limit" in caught.value.reason  # refused from the header
    assert len(http_server.requests_for("/big")) == 1


def test_a_body_without_content_length_is_cut_off_at_the_cap(http_server: FixtureServer) -> None:
    def endless(request: RecordedRequest) -> tuple[int, Mapping[str, str], Iterator[bytes]]:
        def chunks() -> Iterator[bytes]:
            yield b"<html><body>"
            for _ in range(2000):
                yield b"<p>" + b"y" * 1000 + b"</p>"

        return 200, {"Content-Type": "text/html"}, chunks()

    http_server.add_handler("/endless", endless)
    http_server.add("/small", PAGE, chunked=True)
    settings = local_http_settings(max_bytes=100_000)

    with pytest.raises(TerminalFetchError) as caught:
        fetch(http_server.url("/endless"), settings, kind="article")

    assert "over the 100000-byte limit" in caught.value.reason
    assert fetch(http_server.url("/small"), settings, kind="article").text() == PAGE


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("article", "application/pdf"), ("article", "image/jpeg"), ("feed", "image/png"), ("feed", "video/mp4")],
)
def test_a_wrong_content_type_is_refused(http_server: FixtureServer, kind: str, content_type: str) -> None:
    http_server.add("/thing", b"%PDF-1.7 binary", content_type=content_type)

    with pytest.raises(TerminalFetchError) as caught:
        fetch(http_server.url("/thing"), kind=kind)

    assert f"content type {content_type} is not" in caught.value.reason


@pytest.mark.parametrize(
    "content_type", ["text/html; charset=utf-8", "text/plain", None, "application/octet-stream"]
)
def test_sloppy_feed_content_types_are_accepted_when_the_body_is_xml(
    http_server: FixtureServer, content_type: str | None
) -> None:
    http_server.add("/feed", RSS, content_type=content_type)

    assert fetch(http_server.url("/feed")).body == RSS


def test_an_undeclared_body_that_is_neither_xml_nor_html_is_refused(http_server: FixtureServer) -> None:
    http_server.add("/feed", b"\x89PNG\r\n\x1a\n....", content_type=None)
    http_server.add("/page", b"just some words", content_type="text/plain")

    with pytest.raises(TerminalFetchError, match="does not look like a feed"):
        fetch(http_server.url("/feed"))
    with pytest.raises(TerminalFetchError, match="does not look like an HTML page"):
        fetch(http_server.url("/page"), kind="article")


# --- charsets -------------------------------------------------------------------------------------


def html_with(text: str, meta: str = "") -> str:
    return f"<!doctype html><html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize(
    ("text", "codec", "content_type", "meta", "expected"),
    [
        (RUSSIAN, "windows-1251", "text/html; charset=windows-1251", "", "windows-1251"),
        (RUSSIAN, "windows-1251", "text/html", '<meta charset="windows-1251">', "windows-1251"),
        (
            RUSSIAN,
            "koi8-r",
            "text/html",
            '<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">',
            "koi8-r",
        ),
        (FRENCH, "iso-8859-1", "text/html; charset=ISO-8859-1", "", "iso-8859-1"),
        (FRENCH, "iso-8859-1", "text/html", "<meta charset='iso-8859-1'>", "iso-8859-1"),
    ],
)
def test_non_utf8_pages_are_decoded_right_from_the_header_or_the_meta_tag(
    http_server: FixtureServer, text: str, codec: str, content_type: str, meta: str, expected: str
) -> None:
    http_server.add("/page", html_with(text, meta).encode(codec), content_type=content_type)

    response = fetch(http_server.url("/page"), kind="article")

    assert response.encoding == expected
    assert text in response.text()


def test_the_header_charset_wins_over_the_meta_tag(http_server: FixtureServer) -> None:
    body = html_with(RUSSIAN, '<meta charset="utf-8">').encode("windows-1251")
    http_server.add("/page", body, content_type="text/html; charset=windows-1251")

    assert RUSSIAN in fetch(http_server.url("/page"), kind="article").text()


def test_a_feed_charset_comes_from_its_xml_declaration(http_server: FixtureServer) -> None:
    feed = (
        f'<?xml version="1.0" encoding="windows-1251"?><rss><channel><title>{RUSSIAN}</title></channel></rss>'
    )
    http_server.add("/feed.xml", feed.encode("windows-1251"), content_type="application/rss+xml")

    response = fetch(http_server.url("/feed.xml"))

    assert response.encoding == "windows-1251"
    assert RUSSIAN in response.text()


def test_an_undeclared_charset_is_detected() -> None:
    body = html_with(" ".join([RUSSIAN] * 4)).encode("windows-1251")

    encoding = choose_encoding(body, "text/html")

    assert encoding is not None
    assert RUSSIAN in body.decode(encoding)


# --- robots.txt -----------------------------------------------------------------------------------

ROBOTS = "User-agent: *\nDisallow: /private/\n\nUser-agent: newswatch\nDisallow: /drafts/\n"


def test_robots_txt_disallowing_an_article_path_stops_the_fetch(http_server: FixtureServer) -> None:
    http_server.add("/robots.txt", ROBOTS, content_type="text/plain")
    http_server.add("/drafts/piece", PAGE)
    http_server.add("/news/piece", PAGE)

    async def run() -> tuple[Response, BaseException | None]:
        async with HttpClient(local_http_settings()) as client:
            allowed = await client.fetch(http_server.url("/news/piece"), kind="article")
            try:
                await client.fetch(http_server.url("/drafts/piece"), kind="article")
            except TerminalFetchError as exc:
                return allowed, exc
            return allowed, None

    allowed, refused = asyncio.run(run())

    assert allowed.text() == PAGE
    assert isinstance(refused, TerminalFetchError) and refused.reason == "robots.txt"
    assert http_server.requests_for("/drafts/piece") == []
    assert len(http_server.requests_for("/robots.txt")) == 1  # read once per host


def test_robots_txt_is_not_consulted_for_feeds_or_when_turned_off(http_server: FixtureServer) -> None:
    http_server.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml")
    http_server.add("/news/piece", PAGE)

    assert fetch(http_server.url("/feed.xml")).body == RSS
    assert fetch(http_server.url("/news/piece"), local_http_settings(respect_robots=False), kind="article")
    assert http_server.requests_for("/robots.txt") == []
    with pytest.raises(TerminalFetchError, match=r"robots\.txt"):
        fetch(http_server.url("/news/piece"), kind="article")


def test_a_missing_robots_txt_allows_everything(http_server: FixtureServer) -> None:
    http_server.add("/news/piece", PAGE)

    assert fetch(http_server.url("/news/piece"), kind="article").text() == PAGE
    assert len(http_server.requests_for("/robots.txt")) == 1


def test_an_unreachable_robots_txt_holds_back_articles_transiently(http_server: FixtureServer) -> None:
    http_server.add("/robots.txt", "down", status=503)
    http_server.add("/news/piece", PAGE)

    with pytest.raises(TransientFetchError, match=r"robots\.txt unreachable"):
        fetch(http_server.url("/news/piece"), local_http_settings(retries=1), kind="article")

    assert http_server.requests_for("/news/piece") == []


def test_robots_txt_of_the_redirect_target_host_applies(http_server: FixtureServer) -> None:
    with FixtureServer(host="127.0.0.2") as other:
        other.add("/robots.txt", ROBOTS, content_type="text/plain")
        other.add("/drafts/piece", PAGE)
        http_server.add_redirect("/piece", other.url("/drafts/piece"))

        with pytest.raises(TerminalFetchError, match=r"robots\.txt"):
            fetch(http_server.url("/piece"), kind="article")

        assert other.requests_for("/drafts/piece") == []


# --- per-host limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("per_host", [1, 2])
def test_the_per_host_concurrency_limit_is_honoured(http_server: FixtureServer, per_host: int) -> None:
    http_server.add("/feed.xml", RSS, content_type="application/rss+xml", delay=0.2)
    urls = [http_server.url(f"/feed.xml?n={n}") for n in range(6)]

    responses = fetch_all(urls, local_http_settings(per_host=per_host))

    assert all(r.body == RSS for r in responses)
    assert http_server.max_concurrent == per_host


# --- settings -------------------------------------------------------------------------------------


def test_settings_are_read_from_newswatch_variables() -> None:
    settings = HttpSettings.from_env(
        {
            "NEWSWATCH_CONTACT_URL": "https://example.org/contact",
            "NEWSWATCH_TIMEOUT": "12.5",
            "NEWSWATCH_MAX_BYTES": "2048",
            "NEWSWATCH_PER_HOST": "4",
            "NEWSWATCH_RESPECT_ROBOTS": "no",
            "NEWSWATCH_ALLOW_PRIVATE": "true",
            "NEWSWATCH_ALLOWED_NETWORKS": "10.0.0.0/8, fd00::/8",
        }
    )

    assert settings.user_agent_header == "newswatch/0.1.0 (+https://example.org/contact)"
    assert settings.total_timeout == 12.5
    assert settings.max_bytes == 2048
    assert settings.per_host == 4
    assert settings.respect_robots is False
    assert settings.allow_private_addresses is True
    assert settings.allowed_networks == ("10.0.0.0/8", "fd00::/8")
    assert HttpSettings.from_env({}) == HttpSettings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NEWSWATCH_TIMEOUT", "soon"),
        ("NEWSWATCH_RESPECT_ROBOTS", "maybe"),
        ("NEWSWATCH_PER_HOST", "0"),
        ("NEWSWATCH_ALLOWED_NETWORKS", "10.0.0.0/33"),
    ],
)
def test_a_bad_setting_names_what_is_wrong(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        HttpSettings.from_env({variable: value})
    assert str(caught.value).startswith(f"{variable}: ")
    assert caught.value.field == variable
