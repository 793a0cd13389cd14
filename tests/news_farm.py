"""News sites on this machine, for the discovery tests: real host names, loopback servers.

Six sites, each a server on its own loopback address (127.0.0.60 and up), with the
feed and sitemap shapes of the five plugin sites and of a generic site that has only a
robots.txt and a Google News sitemap. :func:`resolving` maps their host names
(``www.jpost.com``...) to those addresses for this process, so that URLs carry the real
names and the site plugins know them. Every site lists its articles and, in its
sitemaps, pages that are not articles (tag, author, category, section, video and
gallery pages). Article ``n`` of a site is dated ``n`` hours and 30 minutes before the
farm was made (new articles, :meth:`NewsSite.add`, are dated just before they appear).
Each server counts the requests it gets, by path.
"""

from __future__ import annotations

import gzip
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ARTICLES = 300
XML = "application/xml"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True)
class Article:
    path: str
    date: datetime
    title: str


def _urlset(
    base: str, entries: list[tuple[str, datetime | None]], *, news: list[Article] | None = None
) -> bytes:
    rows = []
    for path, date in entries:
        lastmod = f"<lastmod>{_iso(date)}</lastmod>" if date else ""
        rows.append(f"<url><loc>{escape(base + path)}</loc>{lastmod}</url>")
    for article in news or []:
        rows.append(
            f"<url><loc>{escape(base + article.path)}</loc><news:news><news:publication>"
            "<news:name>Farm</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{_iso(article.date)}</news:publication_date>"
            f"<news:title>{escape(article.title)}</news:title></news:news></url>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        + "".join(rows)
        + "</urlset>"
    ).encode()


def _index(base: str, children: list[tuple[str, datetime]]) -> bytes:
    rows = "".join(
        f"<sitemap><loc>{escape(base + path)}</loc><lastmod>{_iso(date)}</lastmod></sitemap>"
        for path, date in children
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>'
    ).encode()


def _rss2(base: str, articles: list[Article]) -> bytes:
    items = "".join(
        f"<item><title>{escape(a.title)}</title><link>{escape(base + a.path)}?utm_source=rss"
        f"&amp;utm_medium=rss</link><pubDate>{format_datetime(a.date)}</pubDate></item>"
        for a in articles
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Farm</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


def _rdf(base: str, articles: list[Article]) -> bytes:
    items = "".join(
        f'<item rdf:about="{escape(base + a.path)}"><title>{escape(a.title)}</title>'
        f"<link>{escape(base + a.path)}</link><dc:date>{_iso(a.date)}</dc:date></item>"
        for a in articles
    )
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="{base}/"><title>Farm</title><link>{base}/</link></channel>'
        f"{items}</rdf:RDF>"
    ).encode()


def _atom(base: str, articles: list[Article]) -> bytes:
    entries = "".join(
        f'<entry><title>{escape(a.title)}</title><link href="{escape(base + a.path)}"/>'
        f"<id>{escape(base + a.path)}</id><published>{_iso(a.date)}</published>"
        f"<updated>{_iso(a.date)}</updated></entry>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Farm</title><id>{base}/</id><updated>2026-01-01T00:00:00Z</updated>"
        f"{entries}</feed>"
    ).encode()


def _page(title: str) -> bytes:
    text = "".join(
        f"<p>Paragraph {n} of the story, long enough to be read as the body of an article"
        f" about {escape(title)}.</p>"
        for n in range(6)
    )
    return (
        f"<!doctype html><html><head><title>{escape(title)}</title></head><body>"
        f"<article><h1>{escape(title)}</h1>{text}</article></body></html>"
    ).encode()


class NewsSite:
    """One site of the farm. Subclasses give the shape: paths and sources."""

    host = ""
    address = ""

    def __init__(self, now: datetime, count: int) -> None:
        self.server = HTTPServer(host=self.address, port=0, threaded=True)
        self.server.expect_request(_ANY).respond_with_handler(self._respond)
        self.server.start()
        self.base = f"http://{self.host}:{self.server.port}"
        self.now = now
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.articles = [
            Article(self.article_path(n), now - timedelta(hours=n, minutes=30), f"Story {n}")
            for n in range(count)
        ]
        self.routes: dict[str, tuple[bytes, str, dict[str, str]]] = {}
        self._build()

    # --- the shape of a site ------------------------------------------------------------

    def article_path(self, n: int) -> str:
        raise NotImplementedError

    def other_paths(self) -> list[str]:
        """Pages listed in the sitemaps that are not articles."""
        raise NotImplementedError

    def sources(self) -> dict[str, tuple[bytes, str, dict[str, str]]]:
        """The robots.txt, sitemaps and feeds, by path."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------------

    @property
    def home(self) -> str:
        return self.base + "/"

    def url(self, path: str) -> str:
        return self.base + path

    def article_urls(self, articles: list[Article] | None = None) -> set[str]:
        return {self.url(a.path) for a in (self.articles if articles is None else articles)}

    def add(self, count: int) -> list[Article]:
        """``count`` new articles, dated from a minute ago back, listed at once."""
        start = len(self.articles)
        new = [
            Article(
                self.article_path(start + k),
                datetime.now(UTC) - timedelta(seconds=k + 1),
                f"New story {start + k}",
            )
            for k in range(count)
        ]
        self.articles = new + self.articles
        self.new_since = datetime.now(UTC) - timedelta(seconds=count + 2)
        self._build()
        return new

    def _build(self) -> None:
        routes = {a.path: (_page(a.title), "text/html; charset=utf-8", {}) for a in self.articles}
        for path in self.other_paths():
            routes[path] = (_page(f"Listing {path}"), "text/html; charset=utf-8", {})
        routes.update(self.sources())
        self.routes = routes

    def _respond(self, request: Request) -> Response:
        with self._lock:
            self.hits[request.path] += 1
        found = self.routes.get(request.path)
        if found is None:
            return Response("no such page", status=404)
        body, kind, headers = found
        return Response(body, content_type=kind, headers=headers)

    def requests(self) -> Counter[str]:
        with self._lock:
            return Counter(self.hits)

    def close(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    def _robots(self, *sitemaps: str) -> tuple[bytes, str, dict[str, str]]:
        lines = ["User-agent: *", "Disallow: /private/"] + [
            f"Sitemap: {self.base}{s}" for s in sitemaps
        ]
        return ("\n".join(lines) + "\n").encode(), "text/plain", {}


_ANY = re.compile(".*")


class JPost(NewsSite):
    """An index (robots.txt and declared) of gzipped and plain sitemaps, and an RSS feed."""

    host = "www.jpost.com"
    address = "127.0.0.60"

    def article_path(self, n: int) -> str:
        if n % 2:
            return f"/israel-news/story-number-{n}-{700000 + n}"
        return f"/opinion/article-{700000 + n}"

    def other_paths(self) -> list[str]:
        return [
            "/israel-news",
            "/tags/gaza",
            "/author/jane-doe-123456",
            "/video/clip-of-the-day-900001",
            "/gallery/photos-of-the-week-900002",
            "/category/opinion",
        ]

    def sources(self) -> dict[str, tuple[bytes, str, dict[str, str]]]:
        half = len(self.articles) // 2
        newest, oldest = self.articles[:half], self.articles[half:]
        other = [(p, None) for p in self.other_paths()]
        return {
            "/robots.txt": self._robots("/sitemap.xml"),
            "/sitemap.xml": (
                _index(
                    self.base,
                    [
                        ("/sitemaps/articles-new.xml.gz", newest[0].date),
                        ("/sitemaps/articles-old.xml", oldest[0].date),
                        ("/sitemaps/sections.xml", self.now - timedelta(days=30)),
                        ("/sitemap.xml", self.now - timedelta(days=30)),  # points to itself
                    ],
                ),
                XML,
                {},
            ),
            "/sitemaps/articles-new.xml.gz": (
                gzip.compress(_urlset(self.base, [(a.path, a.date) for a in newest])),
                "application/x-gzip",
                {},
            ),
            # Sent gzipped (Content-Encoding), unlike the .xml.gz file, gzip itself.
            "/sitemaps/articles-old.xml": (
                gzip.compress(_urlset(self.base, [(a.path, a.date) for a in oldest])),
                XML,
                {"Content-Encoding": "gzip"},
            ),
            "/sitemaps/sections.xml": (_urlset(self.base, other), XML, {}),
            "/rss/rssfeedsfrontpage.aspx": (
                _rss2(self.base, self.articles[:50]),
                "application/rss+xml",
                {},
            ),
        }


class Algemeiner(NewsSite):
    """WordPress with Yoast: a sitemap index in robots.txt (post, category, author and
    tag sitemaps), and an RSS feed of the latest posts."""

    host = "www.algemeiner.com"
    address = "127.0.0.61"

    def article_path(self, n: int) -> str:
        day = self.now - timedelta(hours=n, minutes=30)
        return f"/{day:%Y/%m/%d}/a-story-of-the-day-{n}/"

    def other_paths(self) -> list[str]:
        return ["/category/news/", "/author/shiri-moshe/", "/tag/israel/", "/newsletter/"]

    def sources(self) -> dict[str, tuple[bytes, str, dict[str, str]]]:
        posts = [(a.path, a.date) for a in self.articles]
        return {
            "/robots.txt": self._robots("/sitemap_index.xml"),
            "/sitemap_index.xml": (
                _index(
                    self.base,
                    [
                        ("/post-sitemap.xml", self.articles[0].date),
                        ("/category-sitemap.xml", self.now - timedelta(days=9)),
                        ("/author-sitemap.xml", self.now - timedelta(days=9)),
                        ("/post_tag-sitemap.xml", self.now - timedelta(days=9)),
                    ],
                ),
                XML,
                {},
            ),
            "/post-sitemap.xml": (_urlset(self.base, posts), XML, {}),
            "/category-sitemap.xml": (_urlset(self.base, [("/category/news/", None)]), XML, {}),
            "/author-sitemap.xml": (_urlset(self.base, [("/author/shiri-moshe/", None)]), XML, {}),
            "/post_tag-sitemap.xml": (_urlset(self.base, [("/tag/israel/", None)]), XML, {}),
            "/feed/": (_rss2(self.base, self.articles[:30]), "application/rss+xml", {}),
        }


class EgyptToday(NewsSite):
    """A declared sitemap index (robots.txt names none) of a Google News sitemap and a
    sitemap of section and tag pages."""

    host = "www.egypttoday.com"
    address = "127.0.0.62"

    def article_path(self, n: int) -> str:
        return f"/Article/{1 + n % 5}/{60000 + n}/Story-Number-{n}-Of-The-Day"

    def other_paths(self) -> list[str]:
        return ["/Section/1/Politics", "/Tag/Cairo", "/Writer/12/Someone", "/Video/5/clip"]

    def sources(self) -> dict[str, tuple[bytes, str, dict[str, str]]]:
        return {
            "/robots.txt": self._robots(),
            "/sitemap.xml": (
                _index(
                    self.base,
                    [
                        ("/sitemap-news.xml", self.articles[0].date),
                        ("/sitemap-sections.xml", self.now - timedelta(days=9)),
                    ],
                ),
                XML,
                {},
            ),
            "/sitemap-news.xml": (_urlset(self.base, [], news=self.articles), XML, {}),
            "/sitemap-sections.xml": (
                _urlset(self.base, [(p, None) for p in self.other_paths()]),
                XML,
                {},
            ),
        }


class Insider(NewsSite):
    """A Greek business site: robots.txt names a news sitemap and one of sections; an
    RSS 1.0 (RDF) feed linked from its home page (not declared: found there)."""

    host = "www.insider.gr"
    address = "127.0.0.63"

    def article_path(self, n: int) -> str:
        section = ("oikonomia", "agores", "epixeiriseis")[n % 3]
        return f"/{section}/{180000 + n}/ena-arthro-tis-imeras-{n}"

    def other_paths(self) -> list[str]:
        return ["/oikonomia", "/tag/trapezes", "/author/giorgos-papadopoulos", "/gallery/123456"]

    def sources(self) -> dict[str, tuple[bytes, str, dict[str, str]]]:
        return {
            "/robots.txt": self._robots("/sitemap-news.xml", "/sitemap-sections.xml"),
            "/": (
                b'<!doctype html><html><head><title>Insider</title><link rel="alternate"'
                b' type="application/rss+xml" title="RSS" href="/feed.rdf"></head>'
                b"<body><p>News</p></body></html>",
                "text/html; charset=utf-8",
                {},
            ),
            "/feed.rdf": (_rdf(self.base, self.articles[:40]), "application/rdf+xml", {}),
            "/sitemap-news.xml": (_urlset(self.base, [], news=self.articles), XML, {}),
            "/sitemap-sections.xml": (
                _urlset(self.base, [(p, None) for p in self.other_paths()]),
                XML,
                {},
            ),
        }


class Eajc(NewsSite):
    """WordPress under /en/, listed by its Atom feed (declared); robots.txt has no
    sitemap."""

    host = "eajc.org"
    address = "127.0.0.64"

    def article_path(self, n: int) -> str:
        return f"/en/a-report-on-the-community-number-{n}/"

    def other_paths(self) -> list[str]:
        return ["/en/category/news/", "/en/author/editor/", "/en/tag/ukraine/"]

    def sources(self) -> dict[str, tuple[bytes, str, dict[str, str]]]:
        return {
            "/robots.txt": self._robots(),
            "/en/feed/": (_atom(self.base, self.articles), "application/atom+xml", {}),
        }


class Generic(NewsSite):
    """A site no plugin knows: a robots.txt naming a Google News sitemap, which lists its
    articles and its tag, author and category pages."""

    host = "news.example.org"
    address = "127.0.0.65"

    def article_path(self, n: int) -> str:
        return f"/world/2026/story-number-{n}.html"

    def other_paths(self) -> list[str]:
        return ["/tag/economy", "/author/jane-roe", "/category/world", "/video/evening-news"]

    def sources(self) -> dict[str, tuple[bytes, str, dict[str, str]]]:
        # One file: the news entries and the other pages together.
        other = [(p, None) for p in self.other_paths()]
        return {
            "/robots.txt": self._robots("/news-sitemap.xml"),
            "/news-sitemap.xml": (_urlset(self.base, other, news=self.articles), XML, {}),
        }


SITES: tuple[type[NewsSite], ...] = (JPost, Algemeiner, EgyptToday, Insider, Eajc, Generic)


class NewsFarm:
    """The six sites, ``count`` articles each."""

    def __init__(self, count: int = ARTICLES) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        self.sites = [site(now, count) for site in SITES]

    @property
    def hosts(self) -> dict[str, str]:
        return {site.host: site.address for site in self.sites}

    def articles(self) -> set[str]:
        return {url for site in self.sites for url in site.article_urls()}

    def requests(self) -> Counter[str]:
        """Every request the farm got, by URL."""
        return Counter(
            {site.url(path): hits for site in self.sites for path, hits in site.requests().items()}
        )

    def close(self) -> None:
        for site in self.sites:
            site.close()


@contextmanager
def resolving(hosts: dict[str, str]) -> Iterator[None]:
    """Host names resolved to the given addresses in this process (other names as usual)."""
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        return real(hosts.get(name, host), *args, **kwargs)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.getaddrinfo = real  # type: ignore[assignment]
