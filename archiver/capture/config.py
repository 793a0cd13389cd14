"""How pages are fetched: :class:`FetchConfig`, and what every request asks for."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..version import __version__

__all__ = [
    "ACCEPT",
    "ACCEPT_ENCODING",
    "DEFAULT_USER_AGENT",
    "HTML_TYPES",
    "REDIRECTS",
    "ROBOTS_MAX_BYTES",
    "ROBOTS_REDIRECTS",
    "FetchConfig",
]

#: The User-Agent sent by default; robots.txt rules for ``news-archiver`` apply to it.
DEFAULT_USER_AGENT = f"news-archiver/{__version__}"

#: Media types that are extracted; any other response is stored raw.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

_MB = 1024 * 1024
#: The Accept header of a page request.
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: The Accept-Encoding header: codings that the decoders undo *and* that every tool
#: reading the WARC files undoes too. Not br: warcio 1.8 with brotli 1.2 cannot read
#: br records (docs/fetching.md). A server may send br unasked; it is decoded all the same.
ACCEPT_ENCODING = "gzip, deflate"
#: The statuses of a redirect, followed hop by hop.
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# RFC 9309: follow at least five redirects for robots.txt and parse at least 500 KiB.
#: Redirects followed to reach a robots.txt.
ROBOTS_REDIRECTS = 5
#: The bytes of a robots.txt that are read; the rest is cut.
ROBOTS_MAX_BYTES = 500 * 1024


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """How pages are fetched. Every field has a default fit for fetching news sites.

    Times are in seconds. ``timeout`` bounds each network operation (connecting, sending,
    waiting for the next bytes) and ``total_timeout`` one attempt at a URL, redirects
    included, so that a server dripping bytes cannot hold a fetch for ever.
    ``retries`` is the number of tries after the first; a retry waits
    ``backoff * 2**(n-1)`` plus up to ``backoff`` of random jitter, at most
    ``backoff_max``, or what the server's Retry-After asks when it asks for at most
    ``retry_after_cap`` (a longer wait is not retried). URLs that lead to private,
    loopback, link-local or otherwise non-public addresses are refused, so that URLs
    from untrusted sources cannot reach your own network (SSRF); ``allow_private``
    fetches them (a server on localhost, an intranet). When a fetch could not reach a
    robots.txt (a network failure, a 429 or 5xx still after its retries, its host's
    name not resolving), RFC 9309 allows nothing of its origin: for
    ``robots_retry_after`` seconds the URLs of that origin are refused with no request
    (:class:`~archiver.errors.RobotsUnreachableError`), where each would have asked for
    it again with all its retries (0: each asks). A robots.txt ``Crawl-delay`` is
    honoured up to ``max_crawl_delay`` seconds, as Heritrix does by default: one of a
    day, or of 10**9 seconds, would hold its host's URLs, and the run, for that long
    (``math.inf`` honours any; a bulk run's pacing and its retries apply it).
    """

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0
    total_timeout: float | None = 120.0
    max_body_bytes: int = 20 * _MB
    max_decompressed_bytes: int = 20 * _MB
    max_redirects: int = 10
    retries: int = 2
    backoff: float = 1.0
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0
    obey_robots: bool = True
    robots_retry_after: float = 60.0
    max_crawl_delay: float = 300.0
    allow_private: bool = False

    def __post_init__(self) -> None:
        positive = {
            "timeout": self.timeout,
            "max_body_bytes": self.max_body_bytes,
            "max_decompressed_bytes": self.max_decompressed_bytes,
        }
        if self.total_timeout is not None:
            positive["total_timeout"] = self.total_timeout
        not_negative = {
            "max_redirects": self.max_redirects,
            "retries": self.retries,
            "backoff": self.backoff,
            "backoff_max": self.backoff_max,
            "retry_after_cap": self.retry_after_cap,
            "robots_retry_after": self.robots_retry_after,
            "max_crawl_delay": self.max_crawl_delay,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"FetchConfig.{name} must be positive, not {value!r}")
        for name, value in not_negative.items():
            if not value >= 0:
                raise ValueError(f"FetchConfig.{name} must not be negative, not {value!r}")
        if math.isinf(self.robots_retry_after):  # it would refuse the origin for ever
            raise ValueError("FetchConfig.robots_retry_after must be finite")
        ua = self.user_agent
        if not ua or not ua.isascii() or not ua.isprintable():
            raise ValueError(f"FetchConfig.user_agent is not a header value: {self.user_agent!r}")
