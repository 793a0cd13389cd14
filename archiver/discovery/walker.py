"""Discovery of a site's article URLs: its robots.txt, sitemaps and feeds, fetched in
turn through an :class:`~archiver.capture.AsyncFetcher` (so with its robots.txt rules
and retries) with the politeness delay of a bulk run between two fetches of a site,
doubled after a 429 or 503 answer as a bulk run's (:mod:`archiver.capture.politeness`).

Every response is handed to ``on_fetch`` once read, with what it was and what it gave
(a bulk run stores them in its WARC files: the metadata record of a feed lists the
article URLs it gave).

Nothing here stops on a bad source: a sitemap that is malformed XML, an HTML page, a
gzip bomb or an index that points to itself, a feed that is not one, a source that
cannot be fetched, each is logged and skipped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from ..capture import (
    AsyncFetcher,
    DecodeError,
    Decoder,
    FetchConfig,
    FetchResult,
    Overflow,
    asks_to_slow_down,
    next_delay,
)
from ..errors import ArchiverError, FetchError, InputError
from .feeds import feed_links, looks_like_feed, parse_feed, robots_sitemaps
from .found import DiscoveredURL, SourceKind, absolute_url, clean_url, joined_all
from .period import cutoff
from .sitemaps import MAX_BYTES, parse_sitemap
from .sources import SiteSources, site_sources

__all__ = ["MAX_SITEMAPS", "OnFetch", "Walker", "adiscover", "discover", "discovery_config"]

log = logging.getLogger(__name__)

#: The most sitemap files read for one site, and how deep indexes may nest.
MAX_SITEMAPS = 1000
MAX_DEPTH = 5

#: Called with each fetch of discovery and what it was: a bulk run stores them.
OnFetch = Callable[[FetchResult, dict[str, Any]], None]


def discovery_config(config: FetchConfig | None) -> FetchConfig:
    """``config`` with room for a sitemap of the protocol's 50 MB."""
    config = config or FetchConfig()
    return dataclasses.replace(
        config,
        max_body_bytes=max(config.max_body_bytes, MAX_BYTES),
        max_decompressed_bytes=max(config.max_decompressed_bytes, MAX_BYTES),
    )


def _body(result: FetchResult) -> bytes:
    """The final body with its Content-Encoding undone (within the sitemap limit)."""
    if result.content is not None:
        return result.content
    final = result.final
    try:
        decoder = Decoder(final.header("Content-Encoding") or "", MAX_BYTES)
        decoder.feed(final.body)
        return decoder.finish()
    except (DecodeError, Overflow) as exc:
        cause = str(exc) or f"over {MAX_BYTES // 2**20} MB decoded"
        raise InputError(f"cannot decode the response ({cause})", source=result.url) from None


class Walker:
    """Discovers the article URLs of sites (see the module docstring).

    ``since`` drops URLs dated before it (undated ones are kept); ``sitemaps_since``
    skips the sitemaps an index dates (``lastmod``) before it, as unchanged since then.
    ``delay`` is the wait between two fetches for one site (more when robots.txt asks),
    doubled up to ``max_delay`` while the site answers 429 or 503.
    """

    def __init__(
        self,
        fetcher: AsyncFetcher,
        *,
        since: datetime | None = None,
        sitemaps_since: datetime | None = None,
        delay: float = 1.0,
        max_delay: float = 60.0,
        on_fetch: OnFetch | None = None,
    ) -> None:
        self.fetcher = fetcher
        self._since = since
        self._sitemaps_since = sitemaps_since
        self._delay = delay
        self._max_delay = max_delay
        self._on_fetch = on_fetch
        #: Sources fetched (and stored) and skipped, over all sites.
        self.fetched = 0
        self.skipped = 0
        #: The sites (home pages) no source of which could be read, in the order walked:
        #: their robots.txt listed no sitemap, and no sitemap, feed or page could be read
        #: (the site is down, refused, or answers errors). Nothing was found on them, and
        #: that says nothing about their articles.
        self.unread: list[str] = []

    async def sites(self, sites: Iterable[str]) -> list[DiscoveredURL]:
        """The article URLs of every site (see :meth:`site`), sites walked at once."""
        walks = await asyncio.gather(*(self._walk(site) for site in sites))
        return [url for walk in walks for url in self._found(walk)]

    async def site(self, site: str) -> list[DiscoveredURL]:
        """The article URLs of ``site`` (a host name or URL), clean and each once; a site
        no source of which could be read joins :attr:`unread`."""
        return self._found(await self._walk(site))

    async def _walk(self, site: str) -> _SiteWalk:
        walk = _SiteWalk(self, site_sources(site))
        await walk.run()
        return walk

    def _found(self, walk: _SiteWalk) -> list[DiscoveredURL]:
        if not walk.read:
            self.unread.append(walk.home)
        return walk.found()

    async def fetch(self, url: str, what: dict[str, Any], pace: Pace) -> FetchResult | None:
        """``url`` fetched after the site's delay; None when it failed or is not a 200
        (logged; a response that came is handed to on_fetch). The caller hands a 200 to
        :meth:`store` once read."""
        base = max(self._delay, self.fetcher.crawl_delay(url) or 0.0)
        if pace.delay is not None:
            await asyncio.sleep(max(base, pace.delay))
        try:
            result = await self.fetcher.fetch(url)
        except ArchiverError as exc:
            slow_down = isinstance(exc, FetchError) and asks_to_slow_down(exc.status)
            pace.delay = next_delay(pace.delay or base, base, self._max_delay, slow_down=slow_down)
            log.warning("discovery: %s: skipped", exc)
            self.skipped += 1
            return None
        slow_down = asks_to_slow_down(result.status, result.attempts)
        pace.delay = next_delay(pace.delay or base, base, self._max_delay, slow_down=slow_down)
        self.fetched += 1
        if result.status != 200:
            log.warning("discovery: %s: HTTP %d, skipped", url, result.status)
            self.skipped += 1
            self.store(result, what)
            return None
        return result

    def store(self, result: FetchResult, what: dict[str, Any]) -> None:
        """Hand a fetch of discovery to on_fetch, with what it was and what it gave."""
        if self._on_fetch is not None:
            self._on_fetch(result, {"discovery": what})

    def keep(self, date: datetime | None) -> bool:
        return date is None or self._since is None or date >= self._since

    def sitemap_changed(self, lastmod: datetime | None) -> bool:
        return lastmod is None or self._sitemaps_since is None or lastmod >= self._sitemaps_since


@dataclasses.dataclass
class Pace:
    """A site's wait before its next fetch: none before its first."""

    delay: float | None = None


class _SiteWalk:
    """One site's walk: robots.txt, then its sitemaps, then its feeds."""

    def __init__(self, walker: Walker, sources: SiteSources) -> None:
        self._walker = walker
        self._sources = sources
        self._pace = Pace()
        self._found: dict[str, DiscoveredURL] = {}
        self.home = sources.home
        #: Sources read: robots.txt listing sitemaps, and sitemaps, feeds and pages.
        self.read = 0

    async def _fetch(self, url: str, kind: str) -> FetchResult | None:
        return await self._walker.fetch(url, self._what(kind), self._pace)

    def _what(self, kind: str, **found: Any) -> dict[str, Any]:
        return {"kind": kind, "site": self._sources.home, **found}

    async def run(self) -> None:
        sources = self._sources
        sitemaps = list(sources.sitemaps)
        listed = await self._robots_sitemaps()
        sitemaps += [url for url in listed if url not in sitemaps]
        feeds = list(sources.feeds)
        # Feed autodiscovery: on the pages declared, or the home page of a site with no
        # other source.
        pages = list(sources.pages) or ([] if sitemaps or feeds else [sources.home])
        for url in pages:
            page = await self._fetch(url, "page")
            if page is None:
                continue
            links = feed_links(page.content, page.final_url) if page.content is not None else []
            self.read += 1
            self._walker.store(page, self._what("page", feeds=links))
            feeds += [link for link in links if link not in feeds]
        await self._sitemaps(sitemaps)
        await self._feeds(feeds)

    async def _robots_sitemaps(self) -> list[str]:
        """The sitemaps the site's robots.txt lists: from the fetcher's own reading of it
        when it obeys robots.txt (so it is read once), else fetched (and stored)."""
        robots = urllib.parse.urljoin(self._sources.home, "/robots.txt")
        fetcher = self._walker.fetcher
        if not fetcher.config.obey_robots:
            result = await self._fetch(robots, "robots")
            if result is None:
                return []
            try:
                text = _body(result).decode("utf-8", errors="replace")
            except InputError as exc:
                log.warning("discovery: %s", exc)
                self._walker.skipped += 1
                self._walker.store(result, self._what("robots", error=exc.message))
                return []
            listed = robots_sitemaps(text, robots)
            self.read += bool(listed)
            self._walker.store(result, self._what("robots", sitemaps=listed))
            return listed
        self._pace.delay = 0.0  # the fetcher's own request: the next one waits
        try:
            listed = await fetcher.robots_sitemaps(robots)
        except ArchiverError as exc:
            log.warning("discovery: %s: skipped", exc)
            self._walker.skipped += 1
            return []
        joined = joined_all(robots, listed)
        self.read += bool(joined)
        return joined

    async def _sitemaps(self, roots: list[str]) -> None:
        cleaned = [url for url in map(clean_url, roots) if url is not None]
        queue = deque((url, 0) for url in dict.fromkeys(cleaned))
        seen = set(cleaned)
        read = 0
        while queue:
            url, depth = queue.popleft()
            if read >= MAX_SITEMAPS:
                log.warning("discovery: %s: over %d sitemaps, the rest skipped", url, MAX_SITEMAPS)
                return
            read += 1
            result = await self._fetch(url, "sitemap")
            if result is None:
                continue
            try:
                sitemap = parse_sitemap(_body(result), url)
            except InputError as exc:
                log.warning("discovery: %s", exc)
                self._walker.skipped += 1
                self._walker.store(result, self._what("sitemap", error=exc.message))
                continue
            self.read += 1
            for child in sitemap.sitemaps:
                child_url = absolute_url(url, child.loc)
                if child_url is None or child_url in seen:
                    continue  # an index that lists itself, or a sitemap listed twice
                if depth + 1 > MAX_DEPTH:
                    log.warning("discovery: %s: indexes nested too deep, skipped", child_url)
                elif self._walker.sitemap_changed(child.lastmod):
                    seen.add(child_url)
                    queue.append((child_url, depth + 1))
            articles = []
            for entry in sitemap.urls:
                news = entry.published is not None or entry.title is not None
                kind: SourceKind = "news-sitemap" if news else "sitemap"
                date = entry.published or entry.lastmod
                articles.append(self._add(entry.loc, url, kind, date, entry.title))
            listed = [article for article in articles if article is not None]
            what = self._what("sitemap index" if sitemap.is_index else "sitemap", articles=listed)
            self._walker.store(result, what)

    async def _feeds(self, feeds: list[str]) -> None:
        queue = deque(feeds)
        seen = set(feeds)
        while queue:
            url = queue.popleft()
            result = await self._fetch(url, "feed")
            if result is None:
                continue
            page = result.content if result.is_html else None
            if page is not None and url in feeds and not looks_like_feed(page):
                # A section page given as a feed: the feeds it links to. (A feed sent
                # as text/html, or with no type, is read as the feed it is.)
                links = feed_links(page, result.final_url)
                self.read += 1
                self._walker.store(result, self._what("page", feeds=links))
                for link in links:
                    if link not in seen:
                        seen.add(link)
                        queue.append(link)
                continue
            try:
                items = parse_feed(_body(result), result.final_url, result.content_type)
            except InputError as exc:
                log.warning("discovery: %s", exc)
                self._walker.skipped += 1
                self._walker.store(result, self._what("feed", error=exc.message))
                continue
            self.read += 1
            added = (self._add(item.link, url, "feed", item.date, item.title) for item in items)
            listed = [article for article in added if article is not None]
            self._walker.store(result, self._what("feed", articles=listed))

    def _add(
        self, loc: str, source: str, kind: SourceKind, date: datetime | None, title: str | None
    ) -> str | None:
        """Keep ``loc`` if it is an article of the site; its clean URL, or None."""
        url = absolute_url(source, loc)
        if url is None or not self._sources.is_article(url):
            return None
        known = self._found.get(url)
        if known is None:
            self._found[url] = DiscoveredURL(url, source, kind, date, title)
        elif known.kind == "sitemap" and kind != "sitemap" and date is not None:
            # A publication date (a news sitemap's, a feed's) says more than a lastmod,
            # which moves with every edit.
            self._found[url] = DiscoveredURL(url, source, kind, date, title or known.title)
        elif (known.date is None and date is not None) or (known.title is None and title):
            self._found[url] = dataclasses.replace(
                known, date=known.date or date, title=known.title or title
            )
        return url

    def found(self) -> list[DiscoveredURL]:
        return [url for url in self._found.values() if self._walker.keep(url.date)]


async def adiscover(
    site: str,
    *,
    since: datetime | timedelta | str | None = None,
    config: FetchConfig | None = None,
    delay: float = 1.0,
) -> list[DiscoveredURL]:
    """The article URLs of ``site`` (a host name such as ``jpost.com``, or a URL) from its
    robots.txt, sitemaps and feeds. ``since`` (a datetime, a timedelta, a period such
    as ``"2d"`` or a date such as ``"2025-01-31"``) keeps only the URLs dated since
    then, and those with no date.

    Raises :class:`~archiver.errors.InputError` when ``site`` is not a host name or
    URL, TypeError when it is no ``str``, ValueError for a ``since`` string that is
    neither a period nor a date, and :class:`~archiver.errors.FetchError` when no
    source of the site could be read (see :attr:`Walker.unread`: the site is down,
    refused, or answers errors), which says nothing of its articles; a source that
    cannot be fetched or read is logged and skipped.
    """
    start = None if since is None else cutoff(since)
    async with AsyncFetcher(discovery_config(config)) as fetcher:
        walker = Walker(fetcher, since=start, sitemaps_since=start, delay=delay)
        found = await walker.site(site)
    if walker.unread:
        # [] would read as a site with no articles: the caller would not know to try again
        raise FetchError(
            "no source of the site could be read (its robots.txt, sitemaps, feeds and home"
            " page; each is logged with its cause)",
            url=walker.unread[0],
        )
    return found


def discover(
    site: str,
    *,
    since: datetime | timedelta | str | None = None,
    config: FetchConfig | None = None,
    delay: float = 1.0,
) -> list[DiscoveredURL]:
    """:func:`adiscover` from synchronous code."""
    return asyncio.run(adiscover(site, since=since, config=config, delay=delay))
