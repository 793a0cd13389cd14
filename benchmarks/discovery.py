"""What reading discovery's sources costs: a sitemap of the protocol's 50,000 URLs (plain
and gzipped) and a feed of 100,000 items (read to its first 5,000).

    python benchmarks/discovery.py

Prints the seconds each takes (best of three) and the process's peak memory (max RSS)
after all of them. No network: the sources are made here.
"""

from __future__ import annotations

import gzip
import resource
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from archiver.discovery import parse_feed, parse_sitemap


def _sitemap(count: int) -> bytes:
    rows = b"".join(
        b"<url><loc>https://www.jpost.com/israel-news/story-number-%d-%d</loc>"
        b"<lastmod>2026-03-01T12:00:00+00:00</lastmod></url>" % (n, 700_000 + n)
        for n in range(count)
    )
    return (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + rows
        + b"</urlset>"
    )


def _feed(count: int) -> bytes:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    items = "".join(
        f"<item><title>Story {n}</title><link>https://x.test/a/{n}</link>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=n))}</pubDate></item>"
        for n in range(count)
    )
    return f'<rss version="2.0"><channel><title>x</title>{items}</channel></rss>'.encode()


def _best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    sitemap = _sitemap(50_000)
    packed = gzip.compress(sitemap)
    feed = _feed(100_000)
    print(
        f"sitemap, 50,000 URLs ({len(sitemap) / 1e6:.1f} MB): "
        f"{_best(lambda: parse_sitemap(sitemap, 'sitemap.xml')):.2f} s"
    )
    print(
        f"the same gzipped ({len(packed) / 1e6:.2f} MB): "
        f"{_best(lambda: parse_sitemap(packed, 'sitemap.xml.gz')):.2f} s"
    )
    print(
        f"feed, 100,000 items ({len(feed) / 1e6:.1f} MB), first 5,000 read: "
        f"{_best(lambda: parse_feed(feed, 'feed.xml')):.2f} s"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
