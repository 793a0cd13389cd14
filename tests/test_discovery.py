"""Discovery (issue 15): sitemaps, feeds, site declarations, `discover`, `update`.

The sites are the loopback farm of tests/news_farm.py, with real host names: 20
articles a site for most tests, 300 in the last one (about 20 s).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from news_farm import Article as FarmArticle
from news_farm import NewsFarm, _atom, _rdf, _rss2, _urlset, resolving
from pytest_httpserver import HTTPServer
from warc_check import warcio_check
from warcio.archiveiterator import ArchiveIterator

import archiver
from archiver import BulkConfig, FetchConfig, InputError, StateError, WarcWriter
from archiver.cli import main
from archiver.discovery import (
    clean_url,
    cutoff,
    parse_date,
    parse_feed,
    parse_period,
    parse_sitemap,
    site_sources,
)
from archiver.discovery.feeds import MAX_ITEMS, feed_links, looks_like_feed, robots_sitemaps
from archiver.discovery.sitemaps import MAX_URLS
from archiver.discovery.sources import SiteSources
from archiver.errors import InputTooLargeError
from archiver.runs.ledger import Ledger

FETCH = FetchConfig(allow_private=True, retries=0, timeout=10)
FAST = BulkConfig(per_host_delay=0, workers=1, extract=False, fetch=FETCH)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def farm() -> Iterator[NewsFarm]:
    news = NewsFarm(20)
    with resolving(news.hosts):
        yield news
    news.close()


# --- sitemaps ----------------------------------------------------------------------------


def _articles(count: int) -> list[FarmArticle]:
    return [FarmArticle(f"/a/{n}", NOW - timedelta(hours=n), f"T{n}") for n in range(count)]


def test_a_news_sitemap_gives_urls_dates_and_titles() -> None:
    data = _urlset("http://x.test", [("/tag/a", None)], news=_articles(3))
    sitemap = parse_sitemap(data, "http://x.test/news.xml")
    assert not sitemap.is_index and sitemap.is_news
    assert [entry.loc for entry in sitemap.urls] == [
        "http://x.test/tag/a",
        "http://x.test/a/0",
        "http://x.test/a/1",
        "http://x.test/a/2",
    ]
    assert sitemap.urls[2].published == NOW - timedelta(hours=1)
    assert sitemap.urls[2].title == "T1"


def test_a_sitemap_index_gzipped_and_without_namespace() -> None:
    data = (
        b"<sitemapindex><sitemap><loc>http://x.test/s1.xml.gz</loc>"
        b"<lastmod>2026-02-01</lastmod></sitemap></sitemapindex>"
    )
    sitemap = parse_sitemap(gzip.compress(data), "http://x.test/index.xml.gz")
    assert sitemap.is_index
    assert sitemap.sitemaps[0].loc == "http://x.test/s1.xml.gz"
    assert sitemap.sitemaps[0].lastmod == datetime(2026, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<urlset><url><loc>http://x.test/a</loc></url>", "malformed XML"),
        (b"<!doctype html><html><body><p>Hello</p></body></html>", "not a sitemap"),
        (b"<html><head><title>x</title></head></html>", "root element is <html>"),
        (b"", "malformed XML"),
        (gzip.compress(b"<urlset></urlset>" * 50)[:-12], "corrupt"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><urlset>&a;</urlset>', ""),
    ],
)
def test_what_is_not_a_sitemap_is_an_input_error(data: bytes, message: str) -> None:
    try:
        parse_sitemap(data, "http://x.test/s.xml")
    except InputError as exc:
        assert message in str(exc) and "http://x.test/s.xml" in str(exc)
    else:
        assert message == ""  # an entity not expanded: an empty url set, no error


def test_a_sitemap_with_bare_ampersands_is_read_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its whole list was refused as malformed XML: '&b=2' unescaped, as some
    generators write it, or an HTML entity."""
    data = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>http://x.test/a?p=1&b=2</loc></url>"
        b"<url><loc>http://x.test/b?p=1&amp;b=2</loc></url>"
        b"<url><loc>http://x.test/c&#38;d&eacute;</loc></url>"
        b"<url><loc><![CDATA[http://x.test/e?p=1&b=2&amp;]]></loc></url>"
        # an entity's name only when whole: "&copy2;" was read as "\u00a92;"
        b"<url><loc>http://x.test/f?p=1&copy2;</loc></url></urlset>"
    )
    with caplog.at_level(logging.WARNING, logger="archiver"):
        sitemap = parse_sitemap(data, "http://x.test/s.xml")
    assert [entry.loc for entry in sitemap.urls] == [
        "http://x.test/a?p=1&b=2",
        "http://x.test/b?p=1&b=2",
        "http://x.test/c&d\u00e9",
        "http://x.test/e?p=1&b=2&amp;",
        "http://x.test/f?p=1&copy2;",
    ]
    assert "http://x.test/s.xml: malformed XML" in caplog.text and "bare '&'" in caplog.text


def test_a_utf16_sitemap_with_a_bare_ampersand_is_refused_not_garbled() -> None:
    """Escaped as ASCII bytes, its '&amp;' broke the UTF-16 pairs: the URL came out as
    'http://x.test/a?p=1愦灭;b=2', archived as if the sitemap had listed it."""
    data = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>http://x.test/a?p=1&b=2</loc></url></urlset>"
    ).encode("utf-16")
    with pytest.raises(InputError, match="malformed XML"):
        parse_sitemap(data, "http://x.test/s.xml")


def test_a_gzip_bomb_stops_at_the_protocols_limit() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024) + b"</urlset>", compresslevel=9)
    assert len(bomb) < 100_000
    with pytest.raises(InputTooLargeError, match="gzip bomb"):
        parse_sitemap(bomb, "http://x.test/bomb.xml.gz")


def test_a_sitemap_is_read_to_the_protocols_50000_urls() -> None:
    rows = b"".join(b"<url><loc>http://x.test/a/%d</loc></url>" % n for n in range(MAX_URLS + 10))
    sitemap = parse_sitemap(b"<urlset>" + rows + b"</urlset>", "http://x.test/big.xml")
    assert sitemap.cut and len(sitemap.urls) == MAX_URLS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T14:00:00+02:00", NOW),
        ("2026-03-01T12:00Z", NOW),
        ("2026-03-01T12:00:00.000000Z", NOW),
        ("Sun, 01 Mar 2026 12:00:00 GMT", NOW),
        ("Sun, 01 Mar 2026 07:00:00 -0500", NOW),
        ("yesterday", None),
        ("", None),
    ],
)
def test_sitemap_dates(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


# --- feeds -------------------------------------------------------------------------------

#: Pieces of sitemaps and feeds, for the property test to put together in any order.
_PIECES = [
    b"<urlset>",
    b"</urlset>",
    b"<sitemapindex>",
    b"<sitemap>",
    b"<url>",
    b"</url>",
    b"<loc>http://x.test/a</loc>",
    b"<loc>",
    b"<lastmod>2026-13-45</lastmod>",
    b"<news:news>",
    b'<rss version="2.0"><channel>',
    b"<item><link>http://x.test/b</link>",
    b"<pubDate>Sun, 99 Foo 2026</pubDate>",
    b'<feed xmlns="http://www.w3.org/2005/Atom">',
    b"<entry><link href='/c'/>",
    b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>",
    b"&a;",
    b"\x00\xff",
    b'<link rel="alternate" type="application/rss+xml" href="',
]


@pytest.mark.parametrize("shape", [_rss2, _rdf, _atom])
def test_feeds_of_each_format_give_links_dates_and_titles(
    shape: Callable[[str, list[FarmArticle]], bytes],
) -> None:
    items = parse_feed(shape("http://x.test", _articles(3)), "http://x.test/feed")
    assert [item.link.split("?")[0] for item in items] == [f"http://x.test/a/{n}" for n in range(3)]
    assert [item.date for item in items] == [NOW - timedelta(hours=n) for n in range(3)]
    assert items[0].title == "T0"


@pytest.mark.parametrize(
    "date",
    [
        "Sun, 01 Mar 2026 12:00:00 GMT",
        "Sun, 01 Mar 2026 12:00:00 +0000",
        "Sun, 01 Mar 2026 12:00:00 UT",
        "01 Mar 2026 12:00 Z",
        "Sun, 1 Mar 2026 07:00:00 EST",
        "2026-03-01T12:00:00Z",
        "2026-03-01T14:00:00+02:00",
    ],
)
def test_feed_dates_in_the_formats_feeds_use(date: str) -> None:
    feed = (
        '<rss version="2.0"><channel><title>x</title><item><link>http://x.test/a</link>'
        f"<pubDate>{date}</pubDate></item></channel></rss>"
    ).encode()
    assert parse_feed(feed, "http://x.test/feed")[0].date == NOW


def test_an_html_page_is_not_a_feed() -> None:
    with pytest.raises(InputError, match="not a feed"):
        parse_feed(b"<html><body><p>hello</p></body></html>", "http://x.test/feed")


def test_a_feed_in_the_charset_its_content_type_names() -> None:
    """An XML declaration is optional; without one, the charset of the Content-Type is
    the feed's only word of its encoding. It was not passed on: 'Новости дня' in
    windows-1251 came out as 'Íîâîñòè äíÿ'."""
    feed = '<rss version="2.0"><channel><title>T</title><item><title>Новости дня</title>'
    feed += "<link>/news/story-1</link></item></channel></rss>"
    content_type = "application/rss+xml; charset=windows-1251"
    items = parse_feed(feed.encode("cp1251"), "http://x.test/feed", content_type)
    assert [(item.link, item.title) for item in items] == [
        ("http://x.test/news/story-1", "Новости дня")
    ]
    declared = b'<?xml version="1.0" encoding="utf-8"?>' + feed.encode()
    assert parse_feed(declared, "http://x.test/feed", "text/xml")[0].title == "Новости дня"
    # The declaration wins over a server's default charset (Apache's ISO-8859-1).
    french = declared.replace("Новости дня".encode(), "Café déjà".encode())
    latin1 = "text/html; charset=iso-8859-1"
    assert parse_feed(french, "http://x.test/feed", latin1)[0].title == "Café déjà"


@pytest.mark.parametrize(
    ("shape", "looks"),
    [
        (_rss2, True),
        (_atom, True),
        (_rdf, True),
        (lambda base, articles: b"\xef\xbb\xbf<!-- hi -->\n<rss version='2.0'/>", True),
        (lambda base, articles: b"<!DOCTYPE html><html><head><title>rss</title>", False),
        (lambda base, articles: b"<html><body><feed></feed></body></html>", False),
    ],
)
def test_what_looks_like_a_feed(shape: Callable[..., bytes], looks: bool) -> None:
    assert looks_like_feed(shape("http://x.test", _articles(2))) is looks


def test_a_feed_of_100000_items_is_read_to_its_first_items(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = _rss2("http://x.test", _articles(100_000))
    with caplog.at_level(logging.WARNING):
        items = parse_feed(data, "http://x.test/feed")
    assert len(items) == MAX_ITEMS
    assert "100000 items" in caplog.text


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=2000).map(str.encode),
        st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join),
    )
)
def test_any_bytes_are_a_source_or_an_input_error(data: bytes) -> None:
    """Whatever a server sends, reading it gives entries or an InputError, nothing else."""
    for parse in (parse_sitemap, parse_feed):
        try:
            parse(data, "http://x.test/source")
        except InputError:
            pass
    for source in (data, gzip.compress(data)):
        try:
            parse_sitemap(source, "http://x.test/source.gz")
        except InputError:
            pass
    feed_links(data, "http://x.test/")


def test_feed_autodiscovery() -> None:
    page = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        b'<link rel="alternate" type="application/atom+xml" href="https://x.test/atom">'
        b'<link rel="stylesheet" href="/s.css"><link rel="alternate" hreflang="fr" href="/fr">'
        b"</head></html>"
    )
    assert feed_links(page, "https://x.test/news/") == [
        "https://x.test/rss.xml",
        "https://x.test/atom",
    ]


# --- URLs and sites ----------------------------------------------------------------------


def test_urls_are_cleaned_of_tracking_parameters() -> None:
    assert clean_url("HTTPS://www.X.test/a?utm_source=rss&id=3&utm_medium=x#c") == (
        "https://www.x.test/a?id=3"
    )
    assert clean_url("https://x.test/story.php?story=5&fbclid=1&gclid=2") == (
        "https://x.test/story.php?story=5"
    )
    assert clean_url("mailto:someone@x.test") is None
    assert clean_url("javascript:alert(1)") is None
    # As the ledger keeps it and httpx asks for it: a sitemap's /a/./b was found as a
    # URL of its own.
    assert clean_url("https://x.test/news/./a/../b?p=1") == "https://x.test/news/b?p=1"


@pytest.mark.parametrize(
    ("site", "url", "article"),
    [
        ("jpost.com", "https://www.jpost.com/opinion/article-698580", True),
        ("jpost.com", "https://www.jpost.com/Breaking-News/Son-of-a-man-608399", True),
        ("jpost.com", "https://www.jpost.com/israel-news/politics/article-712345", True),
        ("jpost.com", "https://www.jpost.com/tags/gaza", False),
        ("jpost.com", "https://www.jpost.com/israel-news", False),
        ("jpost.com", "https://www.jpost.com/author/jane-doe-123456", False),
        ("jpost.com", "https://www.jpost.com/video/clip-900001", False),
        ("jpost.com", "https://www.jpost.com/international/amp/article-714979", False),
        ("jpost.com", "https://www.example.com/opinion/article-698580", False),
        ("algemeiner.com", "https://www.algemeiner.com/2018/08/07/a-slug/", True),
        ("algemeiner.com", "https://www.algemeiner.com/author/shiri-moshe/", False),
        ("algemeiner.com", "https://www.algemeiner.com/category/news/", False),
        ("egypttoday.com", "https://www.egypttoday.com/Article/2/62436/Israeli-Russian", True),
        ("egypttoday.com", "https://www.egypttoday.com/Section/1/Politics", False),
        ("insider.gr", "https://www.insider.gr/agores/380893/poy-sprohnoyn", True),
        ("businessdaily.gr", "https://www.businessdaily.gr/diethni/68124_anoigma-tis", True),
        ("businessdaily.gr", "https://www.businessdaily.gr/agores", False),
        ("euro2day.gr", "https://www.euro2day.gr/news/economy/article/2339598/sto.html", True),
        ("eajc.org", "https://eajc.org/en/dr-haim-ben-yakov-on-the-situation/", True),
        ("eajc.org", "https://eajc.org/page16/news64370.html", True),
        ("eajc.org", "https://eajc.org/en/about/", False),
        ("eajc.org", "https://eajc.org/en/tag/ukraine/", False),
        ("example.org", "https://example.org/world/2026/a-story.html", True),
        ("example.org", "https://example.org/tag/economy", False),
        ("example.org", "https://example.org/report.pdf", False),
        ("example.org", "https://example.org/", False),
    ],
)
def test_article_urls_of_each_site(site: str, url: str, article: bool) -> None:
    assert site_sources(site).is_article(url) is article


def test_plugin_sites_declare_their_sources() -> None:
    jpost = site_sources("jpost.com")
    assert jpost.rules == "jpost.toml"
    assert jpost.home == "https://jpost.com/"
    assert "https://jpost.com/rss/rssfeedsfrontpage.aspx" in jpost.feeds
    assert site_sources("https://www.insider.gr").pages == ("https://www.insider.gr/",)
    assert site_sources("example.org").rules is None


@pytest.mark.parametrize("site", ["", "ftp://x.test/", "not a site", "http://x.test:99999/"])
def test_a_bad_site_is_an_input_error(site: str) -> None:
    with pytest.raises(InputError, match="not a site"):
        site_sources(site)


@pytest.mark.parametrize("site", [123, None, b"jpost.com"])
def test_a_site_that_is_no_str_is_a_type_error(site: object, tmp_path: Path) -> None:
    # An AttributeError traceback ('int' object has no attribute 'strip'), as archive(123)
    # was before b5fcf06. Raised before anything is fetched or written.
    with pytest.raises(TypeError, match="the site must be a str, not "):
        archiver.discover(site)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="the site must be a str, not "):
        asyncio.run(archiver.adiscover(site))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="the site must be a str, not "):
        archiver.archive_sites([site], tmp_path, config=FAST)  # type: ignore[list-item]
    assert not list(tmp_path.iterdir())


def test_a_lone_site_is_one_site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Iterated, "jpost.com" was the sites j, p, o, ... each walked (https://j/ and so on).
    from archiver.runs import updates

    monkeypatch.setattr(updates, "_run", lambda out_dir, homes, *args, **kwargs: homes)
    assert archiver.archive_sites("jpost.com", tmp_path) == ["https://jpost.com/"]  # type: ignore[comparison-overlap]
    with pytest.raises(TypeError, match="the sites must be an iterable of str, not int"):
        archiver.archive_sites(123, tmp_path)  # type: ignore[arg-type]


def test_periods_and_cutoffs() -> None:
    assert parse_period("2d") == timedelta(days=2)
    assert parse_period("1d12h") == timedelta(days=1, hours=12)
    assert parse_period("90m") == timedelta(minutes=90)
    assert cutoff("1w", NOW) == NOW - timedelta(weeks=1)
    assert cutoff("2026-02-01", NOW) == datetime(2026, 2, 1, tzinfo=UTC)
    for bad in ("", "2", "d", "2x", "2d3", "-1d"):
        with pytest.raises(ValueError):
            parse_period(bad)
    with pytest.raises(ValueError, match="neither a period"):
        cutoff("soon", NOW)


@pytest.mark.parametrize(
    ("since", "cause"),
    [("99999999d", "reaches back before the year 1"), ("9999999999999d", "too long a period")],
)
def test_a_period_past_what_dates_hold_is_a_usage_error(since: str, cause: str) -> None:
    """Once an OverflowError: an internal error, with a traceback under -v."""
    with pytest.raises(ValueError, match=cause):
        cutoff(since, NOW)
    result = CliRunner().invoke(main, ["discover", "x.test", "--since", since])
    assert result.exit_code == 2
    assert cause in result.stderr and "internal error" not in result.stderr


# --- discovery over the farm -------------------------------------------------------------


def test_every_site_gives_exactly_its_articles(farm: NewsFarm) -> None:
    for site in farm.sites:
        found = archiver.discover(site.home, config=FETCH, delay=0)
        assert {url.url for url in found} == site.article_urls(), site.host
        assert len(found) == len(site.articles)
        assert all(url.date is not None for url in found)


def test_since_keeps_exactly_the_articles_dated_inside_the_window(farm: NewsFarm) -> None:
    for site in farm.sites:
        found = archiver.discover(site.home, since="6h", config=FETCH, delay=0)
        window = datetime.now(UTC) - timedelta(hours=6)
        expected = site.article_urls([a for a in site.articles if a.date >= window])
        assert {url.url for url in found} == expected, site.host
        assert len(expected) == 6  # articles 0..5 of 20, dated n h 30 min back


def test_adiscover(farm: NewsFarm) -> None:
    site = farm.sites[0]
    found = asyncio.run(archiver.adiscover(site.home, config=FETCH, delay=0))
    assert {url.url for url in found} == site.article_urls()


def test_without_robots_txt_rules_it_is_fetched_as_a_source(farm: NewsFarm, tmp_path: Path) -> None:
    site = farm.sites[5]  # only a robots.txt and a news sitemap
    config = dataclasses.replace(FETCH, obey_robots=False)
    found = archiver.discover(site.home, config=config, delay=0)
    assert {url.url for url in found} == site.article_urls()
    bulk = dataclasses.replace(FAST, fetch=config)
    archiver.archive_sites([site.home], tmp_path, config=bulk)
    records = {record["url"]: record for record in _discovery_records(tmp_path)}
    robots = records[site.url("/robots.txt")]
    assert robots["kind"] == "robots"
    assert robots["sitemaps"] == [site.url("/news-sitemap.xml")]


def test_a_publication_date_wins_over_a_lastmod() -> None:
    """An old article edited today: its sitemap's lastmod is today, the news sitemap says
    when it was published, and --since goes by that."""
    server = HTTPServer(host="127.0.0.68", port=0)
    server.start()
    try:
        base = f"http://dates.example.net:{server.port}"
        now = datetime.now(UTC).replace(microsecond=0)
        old = [FarmArticle("/news/an-old-story-1.html", now - timedelta(days=30), "Old")]
        sitemap = _urlset(base, [(old[0].path, now)])
        robots = f"Sitemap: {base}/s.xml\nSitemap: {base}/news.xml\n"
        server.expect_request("/robots.txt").respond_with_data(robots)
        server.expect_request("/s.xml").respond_with_data(sitemap, content_type=XML)
        news = _urlset(base, [], news=old)
        server.expect_request("/news.xml").respond_with_data(news, content_type=XML)
        with resolving({"dates.example.net": "127.0.0.68"}):
            everything = archiver.discover(base, config=FETCH, delay=0)
            recent = archiver.discover(base, since="2d", config=FETCH, delay=0)
    finally:
        server.clear()
        server.stop()
    assert [(url.kind, url.date, url.title) for url in everything] == [
        ("news-sitemap", old[0].date, "Old")
    ]
    assert recent == []


def test_bad_sources_are_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    server = HTTPServer(host="127.0.0.66", port=0)
    server.start()
    try:
        base = f"http://bad.example.net:{server.port}"
        good = _urlset(base, [("/news/a-good-story-1.html", None)])
        index = (
            f"<sitemapindex><sitemap><loc>{base}/index.xml</loc></sitemap>"
            f"<sitemap><loc>{base}/good.xml</loc></sitemap></sitemapindex>"
        ).encode()
        bomb = gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024), compresslevel=9)
        sitemaps = ["index.xml", "html.xml", "broken.xml", "bomb.xml.gz", "sent.xml", "missing.xml"]
        robots = "".join(f"Sitemap: {base}/{name}\n" for name in sitemaps)
        server.expect_request("/robots.txt").respond_with_data(robots)
        server.expect_request("/index.xml").respond_with_data(index, content_type=XML)
        server.expect_request("/good.xml").respond_with_data(good, content_type=XML)
        server.expect_request("/html.xml").respond_with_data(
            "<html><body>Welcome</body></html>", content_type="text/html"
        )
        server.expect_request("/broken.xml").respond_with_data("<urlset><url>", content_type=XML)
        server.expect_request("/bomb.xml.gz").respond_with_data(
            bomb, content_type="application/gzip"
        )
        server.expect_request("/sent.xml").respond_with_data(  # the bomb as a coding
            bomb, content_type=XML, headers={"Content-Encoding": "gzip"}
        )
        with caplog.at_level(logging.WARNING), resolving({"bad.example.net": "127.0.0.66"}):
            found = archiver.discover(base, config=FETCH, delay=0)
    finally:
        server.clear()
        server.stop()
    assert [url.url for url in found] == [f"{base}/news/a-good-story-1.html"]
    for name in ("html.xml", "broken.xml", "bomb.xml.gz", "sent.xml", "missing.xml"):
        assert name in caplog.text


def test_a_site_that_answers_429_is_asked_ever_more_slowly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bulk run's rule: the delay doubles after a 429 or 503, halves after a 200."""
    waits: list[float] = []
    sleep = asyncio.sleep

    async def recorded(delay: float) -> None:
        waits.append(delay)
        await sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recorded)
    server = HTTPServer(host="127.0.0.68", port=0)
    server.start()
    try:
        base = f"http://busy.example.net:{server.port}"
        names = ["busy1.xml", "busy2.xml", "busy3.xml", "good1.xml", "good2.xml"]
        robots = "".join(f"Sitemap: {base}/{name}\n" for name in names)
        server.expect_request("/robots.txt").respond_with_data(robots)
        for name in names[:2]:
            server.expect_request(f"/{name}").respond_with_data("slow down", status=429)
        server.expect_request("/busy3.xml").respond_with_data("down", status=503)
        for number, name in enumerate(names[3:]):
            server.expect_request(f"/{name}").respond_with_data(
                _urlset(base, [(f"/news/a-good-story-{number}.html", None)]), content_type=XML
            )
        with resolving({"busy.example.net": "127.0.0.68"}):
            found = archiver.discover(base, config=FETCH, delay=0.5)
    finally:
        server.clear()
        server.stop()
    assert len(found) == 2
    assert [wait for wait in waits if wait > 0] == [0.5, 1.0, 2.0, 4.0, 2.0]


def _discover_through_a_linked_feed(
    link_type: bytes, shape: Callable[..., bytes], content_type: str
) -> tuple[str, list[archiver.DiscoveredURL]]:
    """Discovery on a site whose home page links (as ``link_type``) to its one feed,
    made by ``shape`` and sent as ``content_type``: the site's URL, what was found."""
    server = HTTPServer(host="127.0.0.67", port=0)
    server.start()
    try:
        base = f"http://home.example.net:{server.port}"
        home = b'<html><head><link rel="alternate" type="%s" href="/feed">' % link_type
        server.expect_request("/robots.txt").respond_with_data("", status=404)
        server.expect_request("/").respond_with_data(home, content_type="text/html")
        feed = shape(base, _articles(3)).replace(b"/a/", b"/news/story-")
        server.expect_request("/feed").respond_with_data(feed, content_type=content_type)
        with resolving({"home.example.net": "127.0.0.67"}):
            return base, archiver.discover(base, config=FETCH, delay=0)
    finally:
        server.clear()
        server.stop()


def test_a_site_without_sitemaps_is_read_from_the_feeds_its_home_page_links_to() -> None:
    base, found = _discover_through_a_linked_feed(b"application/atom+xml", _atom, XML)
    assert [url.url for url in found] == [f"{base}/news/story-{n}" for n in range(3)]
    assert {url.kind for url in found} == {"feed"}


@pytest.mark.parametrize("shape", [_rss2, _atom])
def test_a_feed_sent_as_html_is_read_as_a_feed(shape: Callable[..., bytes]) -> None:
    """It was taken for a section page, read for feed links (none), and its articles
    were lost without a word (so was a feed sent with no Content-Type)."""
    base, found = _discover_through_a_linked_feed(b"application/rss+xml", shape, "text/html")
    assert [url.url for url in found] == [f"{base}/news/story-{n}" for n in range(3)]


def test_a_site_on_an_address_or_a_one_word_host_is_discovered() -> None:
    """courlan takes no such host for a domain: every URL of the site was dropped as no
    article, and discovery found nothing without a word (--allow-private is for them)."""
    server = HTTPServer(host="127.0.0.67", port=0)
    server.start()
    try:
        base = f"http://127.0.0.67:{server.port}"
        server.expect_request("/robots.txt").respond_with_data(
            f"Sitemap: {base}/sitemap.xml\n", content_type="text/plain"
        )
        urls = "".join(f"<url><loc>{base}/news/story-{n}</loc></url>" for n in range(3))
        server.expect_request("/sitemap.xml").respond_with_data(
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
            content_type=XML,
        )
        found = archiver.discover(base, config=FETCH, delay=0)
    finally:
        server.clear()
        server.stop()
    assert [url.url for url in found] == [f"{base}/news/story-{n}" for n in range(3)]
    for home in ("http://localhost/", "http://intranet/", "http://[::1]:8000/"):
        sources = SiteSources(home=home)
        assert sources.is_article(home + "news/2024/a-long-story")
        assert not sources.is_article(home + "tag/news") and not sources.is_article(home)


XML = "application/xml"


# --- archiving and updating --------------------------------------------------------------


def _warc_uris(folder: Path) -> list[str]:
    uris = []
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    uris.append(record.rec_headers.get_header("WARC-Target-URI"))
    return uris


def _sources(farm: NewsFarm) -> set[str]:
    """The URLs of the farm's robots.txt files, sitemaps, feeds and home pages."""
    return {site.url(path) for site in farm.sites for path in site.sources()}


def test_archive_sites_then_update_fetches_only_what_is_new(farm: NewsFarm, tmp_path: Path) -> None:
    out = tmp_path / "archive"
    sites = farm.sites
    before = farm.requests()
    report = archiver.archive_sites([site.home for site in sites], out, config=FAST)
    first = farm.requests() - before
    articles = farm.articles()
    assert report.bulk.ok and report.bulk.done == len(articles) == report.new
    # Every article fetched once; no page that is not an article.
    pages = {url for url in first if url in articles}
    assert pages == articles and all(first[url] == 1 for url in pages)
    sources = {url for url in first if url not in articles}
    assert sources <= _sources(farm)
    # Every feed and sitemap fetched is in the WARC files.
    stored = set(_warc_uris(out))
    assert {url for url in sources if not url.endswith("/robots.txt")} <= stored

    added = {url for site in sites for url in site.article_urls(site.add(3))}
    before = farm.requests()
    update = archiver.update_archive(out, config=FAST)
    second = farm.requests() - before
    assert update.new == len(added) and update.bulk.done_now == len(added)
    assert {url for url in second if url in farm.articles()} == added
    assert all(second[url] == 1 for url in added)
    assert {url for url in second if url not in added} <= _sources(farm)
    # Unchanged sitemaps (dated before the last discovery by their index) are not read.
    unchanged = ("/sitemaps/articles-old.xml", "/category-sitemap.xml", "/sitemaps/sections.xml")
    assert not any(url.endswith(unchanged) for url in second)
    assert added <= set(_warc_uris(out))


def _discovery_records(folder: Path) -> list[dict[str, Any]]:
    """The ``discovery`` part of every metadata record in the WARC files of ``folder``,
    with the URL of the response it describes."""
    found = []
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "metadata":
                    data = json.loads(record.content_stream().read())
                    if "discovery" in data:
                        url = record.rec_headers.get_header("WARC-Refers-To-Target-URI")
                        found.append({"url": url, **data["discovery"]})
    return found


def test_the_archive_shows_which_source_listed_which_article(
    farm: NewsFarm, tmp_path: Path
) -> None:
    site = farm.sites[0]  # jpost.com: an index, sitemaps, a feed
    archiver.archive_sites([site.home], tmp_path, config=FAST)
    records = {record["url"]: record for record in _discovery_records(tmp_path)}
    feed = records[site.url("/rss/rssfeedsfrontpage.aspx")]
    assert feed["kind"] == "feed" and feed["site"] == site.home
    assert feed["articles"] == [site.url(a.path) for a in site.articles[:50]]
    assert records[site.url("/sitemap.xml")]["kind"] == "sitemap index"
    sections = records[site.url("/sitemaps/sections.xml")]
    # A sitemap of section pages lists no article: an empty list is left out of the JSON.
    assert sections["kind"] == "sitemap" and "articles" not in sections
    for path in tmp_path.glob("*.warc.gz"):
        warcio_check(path)


def test_an_interrupted_run_loses_and_doubles_nothing(
    farm: NewsFarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = farm.sites[3]  # insider.gr: robots.txt sitemaps, a page, an RDF feed
    out = tmp_path / "archive"
    write_capture = WarcWriter.write_capture
    writes = []

    def stop_at_the_third(self: WarcWriter, *args: Any, **kwargs: Any) -> None:
        writes.append(1)
        if len(writes) == 3:
            raise KeyboardInterrupt
        write_capture(self, *args, **kwargs)

    # Stopped in discovery: its WARC file is left .open, for the next run to salvage.
    monkeypatch.setattr(WarcWriter, "write_capture", stop_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        archiver.archive_sites([site.home], out, config=FAST)
    monkeypatch.setattr(WarcWriter, "write_capture", write_capture)
    assert list(out.glob("*.warc.gz.open"))

    def stop_after_a_few(progress: archiver.BulkProgress) -> None:
        if progress.done_now >= 3:
            raise KeyboardInterrupt

    # Stopped while archiving the pages.
    slow = dataclasses.replace(FAST, per_host_delay=0.1)
    with pytest.raises(KeyboardInterrupt):
        archiver.update_archive(out, config=slow, progress=stop_after_a_few)
    report = archiver.update_archive(out, config=FAST)
    assert report.bulk.ok and report.bulk.done == len(site.articles)
    uris = _warc_uris(out)
    assert all(uris.count(url) == 1 for url in site.article_urls())
    assert not list(out.glob("*.open"))
    for path in out.glob("*.warc.gz"):
        warcio_check(path)


def test_a_discovery_salvaged_records_no_source_as_an_article_version(
    farm: NewsFarm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = farm.sites[0]  # jpost.com: an index, sitemaps, a feed
    out = tmp_path / "archive"
    archiver.archive_sites([site.home], out, config=FAST)
    write_capture = WarcWriter.write_capture

    def stop_at_the_second(self: WarcWriter, *args: Any, **kwargs: Any) -> None:
        if stop_at_the_second.writes == 1:  # type: ignore[attr-defined]
            raise KeyboardInterrupt
        stop_at_the_second.writes += 1  # type: ignore[attr-defined]
        write_capture(self, *args, **kwargs)

    for _ in range(2):  # the second salvage finds the sources stored by the first run
        stop_at_the_second.writes = 0  # type: ignore[attr-defined]
        monkeypatch.setattr(WarcWriter, "write_capture", stop_at_the_second)
        with pytest.raises(KeyboardInterrupt):
            archiver.update_archive(out, config=FAST)
        monkeypatch.setattr(WarcWriter, "write_capture", write_capture)
        assert list(out.glob("*.warc.gz.open"))
        report = archiver.update_archive(out, config=FAST, revisit="1d")
        assert report.revisits is not None
        revisits = report.revisits
        # The round counts the articles it fetched again, not the sources salvaged.
        recorded = revisits.changed + revisits.unchanged + revisits.not_modified
        assert recorded + revisits.failed == revisits.revisited
    ledger = Ledger(out / "state.sqlite")
    try:
        assert {version.url for version in ledger.versions()} == site.article_urls()
    finally:
        ledger.close()


def test_update_of_a_folder_that_is_no_archive_of_sites(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="no archive here"):
        archiver.update_archive(tmp_path)
    archiver.archive_many([], tmp_path, config=FAST)
    with pytest.raises(StateError, match="keeps no sites"):
        archiver.update_archive(tmp_path)


def test_cli_update_of_a_url_list_folder_is_a_usage_error(tmp_path: Path) -> None:
    """A folder of `bulk urls.txt` is no archive of sites, as a missing one is none: both
    status 2 (the first was status 1, naming its state.sqlite)."""
    archiver.archive_many([], tmp_path, config=FAST)
    result = CliRunner().invoke(main, ["update", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {tmp_path}: this archive keeps no sites")
    assert "bulk --discover" in result.output


# --- the command line --------------------------------------------------------------------


def test_cli_discover_text_and_jsonl(farm: NewsFarm) -> None:
    site = farm.sites[1]
    args = ["discover", site.home, "--allow-private", "--per-host-delay", "0", "--retries", "0"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert set(result.stdout.split()) == site.article_urls()
    result = CliRunner().invoke(main, [*args, "--format", "jsonl", "--since", "3h"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    window = datetime.now(UTC) - timedelta(hours=3)
    assert len(rows) == sum(a.date >= window for a in site.articles) >= 3
    assert {"url", "source", "kind", "date", "title"} == set(rows[0])


def test_a_site_no_source_of_which_could_be_read_fails(server: HTTPServer, tmp_path: Path) -> None:
    """discover, bulk --discover and update exited 0 when every source of a site
    failed (here refused, a loopback address without --allow-private): a cron job could
    not tell a site down from one with nothing new. A site that answers is no failure."""
    dead = "http://127.0.0.1:9/"
    fast = ["--per-host-delay", "0", "--retries", "0"]
    result = CliRunner().invoke(main, ["discover", dead, *fast])
    assert result.exit_code == 1, result.output
    line = f"error: {dead}: no source of the site could be read"
    assert line in result.stderr and result.stdout == ""

    server.expect_request("/").respond_with_data("<html><body>No feeds</body></html>")
    live = server.url_for("/")
    result = CliRunner().invoke(main, ["discover", live, "--allow-private", *fast])
    assert result.exit_code == 0, result.output
    assert result.output == ""

    out = str(tmp_path / "archive")
    result = CliRunner().invoke(main, ["bulk", "--discover", dead, "-o", out, *fast])
    assert result.exit_code == 1, result.output
    assert line in result.stderr and "discovered 0 article URLs" in result.stderr
    result = CliRunner().invoke(main, ["update", out, *fast])
    assert result.exit_code == 1, result.output
    assert line in result.stderr
    report = archiver.update_archive(out, config=FAST)
    assert report.unread == (dead,) and report.bulk.ok
    # In Python too: [] with a log line read as a site with nothing new.
    with pytest.raises(archiver.FetchError, match="no source of the site could be read"):
        archiver.discover(dead, config=FAST.fetch, delay=0)
    result = CliRunner().invoke(
        main, ["bulk", "--discover", live, "-o", str(tmp_path / "b"), "--allow-private", *fast]
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["discover", "not a site"], "not a site"),
        (["discover", "x.test", "--since", "soon"], "neither a period"),
        (["bulk", "-o", "out"], "give a URL list or --discover"),
        (["bulk", "list.txt", "--discover", "x.test", "-o", "out"], "not both"),
        (["update", "nowhere"], "no archive here"),
    ],
)
def test_cli_usage_errors(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.txt").write_text("http://x.test/\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_bulk_discover_then_update(farm: NewsFarm, tmp_path: Path) -> None:
    site = farm.sites[5]
    out = str(tmp_path / "archive")
    fast = ["--allow-private", "--per-host-delay", "0", "--retries", "0", "--no-extract"]
    window = datetime.now(UTC) - timedelta(hours=2)
    inside = sum(a.date >= window for a in site.articles)
    args = ["bulk", "--discover", site.home, "--since", "2h", "-o", out, *fast]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"discovered {inside} article URLs on 1 site, {inside} new" in result.output
    new = site.article_urls(site.add(1))
    result = CliRunner().invoke(main, ["update", out, *fast])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output
    assert new <= set(_warc_uris(Path(out)))


def test_update_exits_1_for_this_runs_failures_only(farm: NewsFarm, tmp_path: Path) -> None:
    """From cron, an article gone last week made every later update exit 1: a run
    that met a new failure could not be told from one that met none."""
    site = farm.sites[4]
    out = str(tmp_path / "archive")
    fast = ["--allow-private", "--per-host-delay", "0", "--retries", "0", "--no-extract"]
    gone = site.articles[0].path
    del site.routes[gone]  # listed by the feed and sitemaps, answering 404
    result = CliRunner().invoke(main, ["bulk", "--discover", site.home, "-o", out, *fast])
    assert result.exit_code == 1 and f"{site.url(gone)}: HTTP 404" in result.stderr
    site.add(1)
    del site.routes[gone]
    result = CliRunner().invoke(main, ["update", out, *fast])
    assert result.exit_code == 0, result.output
    assert "this run: 1 archived, 0 failed," in result.stderr
    assert "1 failed" in result.stderr  # the summary still counts it
    site.add(1)
    del site.routes[gone]
    del site.routes[site.articles[0].path]  # a new failure
    result = CliRunner().invoke(main, ["update", out, *fast])
    assert result.exit_code == 1 and "this run: 0 archived, 1 failed," in result.stderr


# --- the farm of issue 15: 6 sites x 300 articles (about 20 s) ---------------------------


def test_the_farm_of_six_sites(tmp_path: Path) -> None:
    """`bulk --discover` archives every article and nothing else; `--since` keeps exactly
    the window; after 50 new articles, `update` fetches those 50 plus the sources."""
    farm = NewsFarm()  # 300 articles a site
    out = tmp_path / "archive"
    fast = ["--allow-private", "--per-host-delay", "0", "--retries", "0", "--no-extract"]
    try:
        with resolving(farm.hosts):
            for site in farm.sites:
                window = datetime.now(UTC) - timedelta(days=2)
                found = archiver.discover(site.home, since="2d", config=FETCH, delay=0)
                inside = site.article_urls([a for a in site.articles if a.date >= window])
                assert {url.url for url in found} == inside and len(inside) == 48, site.host

            before = farm.requests()
            discover = [arg for site in farm.sites for arg in ("--discover", site.home)]
            result = CliRunner().invoke(main, ["bulk", *discover, "-o", str(out), *fast])
            assert result.exit_code == 0, result.output
            first = farm.requests() - before
            articles = farm.articles()
            assert len(articles) == 6 * 300
            assert {url for url in first if url in articles} == articles
            assert all(first[url] == 1 for url in articles)
            assert {url for url in first if url not in articles} <= _sources(farm)
            stored = set(_warc_uris(out))
            assert articles <= stored
            assert {url for url in first if not url.endswith("/robots.txt")} <= stored

            added: set[str] = set()
            for number, site in enumerate(farm.sites):
                added |= site.article_urls(site.add(9 if number < 2 else 8))
            assert len(added) == 50
            before = farm.requests()
            result = CliRunner().invoke(main, ["update", str(out), *fast])
            assert result.exit_code == 0, result.output
            second = farm.requests() - before
            assert {url for url in second if url in farm.articles()} == added
            assert all(second[url] == 1 for url in added)
            assert {url for url in second if url not in added} <= _sources(farm)
            assert {url for url in second if not url.endswith("/robots.txt")} <= set(
                _warc_uris(out)
            )
            # robots.txt: read once, by discovery; the run uses the rules it read.
            robots = {url: hits for url, hits in second.items() if url.endswith("/robots.txt")}
            assert len(robots) == 6 and set(robots.values()) == {1}
            print("requests: first run", sum(first.values()), "update", sum(second.values()))
    finally:
        farm.close()


def test_a_bad_output_folder_of_archive_sites_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(archiver.StateError, match="cannot create the output folder"):
        archiver.archive_sites(["https://example.com/"], blocker / "out", config=FAST)


def test_a_url_that_urljoin_cannot_resolve_is_skipped(server: HTTPServer) -> None:
    """A bracketed host never closed (``http://[::1/a``) makes urljoin raise ValueError:
    in a sitemap index it once ended discovery with an internal error."""
    bad = "http://[::1/a.xml"
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{bad}</loc></sitemap></sitemapindex>"
    )
    server.clear()
    server.expect_request("/robots.txt").respond_with_data(
        f"User-agent: *\nSitemap: {server.url_for('/index.xml')}\nSitemap: {bad}\n"
    )
    server.expect_request("/index.xml").respond_with_data(index, content_type="application/xml")
    config = FetchConfig(allow_private=True, retries=0)
    assert archiver.discover(server.url_for("/"), config=config, delay=0) == []
    page = f'<html><head><link rel="alternate" type="application/rss+xml" href="{bad}">'
    assert feed_links(page.encode(), "http://x.test/") == []
    assert robots_sitemaps(f"Sitemap: {bad}\n", "http://x.test/") == []
    feed = f"<rss version='2.0'><channel><item><link>{bad}</link></item></channel></rss>"
    assert parse_feed(feed.encode(), "http://x.test/feed") == []


def test_a_url_refused_with_no_request_does_not_slow_the_site_down() -> None:
    """A RobotsUnreachableError made no request: the site is not slowed down."""
    from archiver.discovery.walker import Pace, Walker
    from archiver.errors import RobotsUnreachableError

    class Refusing:
        def crawl_delay(self, url: str) -> None:
            return None

        async def fetch(self, url: str) -> None:
            raise RobotsUnreachableError("robots.txt could not be reached", url=url, attempts=0)

    walker = Walker(Refusing(), delay=0.01)  # type: ignore[arg-type]
    pace = Pace(0.04)  # slowed down by earlier answers
    for _ in range(3):
        assert asyncio.run(walker.fetch("http://site.example/feed", {}, pace)) is None
    assert pace.delay is not None and pace.delay <= 0.04
    assert walker.skipped == 3
