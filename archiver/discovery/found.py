"""What discovery gives: :class:`DiscoveredURL`, and the one way its URLs are cleaned."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import courlan
from rfc3986.normalizers import remove_dot_segments

__all__ = ["DiscoveredURL", "SourceKind", "absolute_url", "clean_url", "joined", "joined_all"]

#: Where a URL was found: a sitemap (maybe a Google News one) or a feed.
SourceKind = Literal["sitemap", "news-sitemap", "feed"]


@dataclass(frozen=True, slots=True)
class DiscoveredURL:
    """An article URL found on a site, with where it was found and when it is dated.

    ``date`` is the publication date a Google News sitemap or a feed gives, else the
    sitemap's ``lastmod`` (timezone-aware, UTC), or None when the source gives none.
    """

    url: str
    #: The URL of the sitemap or feed that listed it.
    source: str
    kind: SourceKind
    date: datetime | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The fields as JSON-ready values (the date in ISO 8601)."""
        return {
            "url": self.url,
            "source": self.source,
            "kind": self.kind,
            "date": self.date.isoformat() if self.date else None,
            "title": self.title,
        }


def joined(base: str, ref: str) -> str | None:
    """``ref`` resolved against ``base``; None when it cannot be (``http://[::1/a``, a
    bracketed host never closed, on which urljoin raises ValueError)."""
    try:
        return urllib.parse.urljoin(base, ref.strip())
    except ValueError:
        return None


def joined_all(base: str, refs: Iterable[str]) -> list[str]:
    """Each of ``refs`` resolved against ``base`` (:func:`joined`), those that cannot be
    left out."""
    return [url for url in (joined(base, ref) for ref in refs) if url is not None]


def absolute_url(base: str, ref: str) -> str | None:
    """``ref`` resolved against ``base`` and cleaned (:func:`clean_url`); None when it
    cannot be resolved or is not an http(s) URL."""
    url = joined(base, ref)
    return None if url is None else clean_url(url)


def clean_url(url: str) -> str | None:
    """``url`` normalised, without dot segments, a fragment or tracking parameters (``utm_*``,
    ``fbclid`` and the like, as courlan knows them; the others are kept, sorted); None
    when it is not an http(s) URL."""
    try:
        # Not courlan's strict mode: it keeps only the query parameters it knows.
        parts = urllib.parse.urlsplit(courlan.normalize_url(url.strip()))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    # Without dot segments, as the ledger keeps a URL (/a/./b is /a/b, which is fetched).
    path: str = remove_dot_segments(parts.path)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
