"""Feeds (RSS 2.0, RSS 1.0/RDF, Atom) read with feedparser, and the other small sources
of discovery: feed links in an HTML page, ``Sitemap:`` lines in a robots.txt."""

from __future__ import annotations

import calendar
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser
from lxml import etree
from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from ..errors import InputError
from .found import joined, joined_all

__all__ = [
    "FEED_TYPES",
    "MAX_ITEMS",
    "FeedItem",
    "feed_links",
    "looks_like_feed",
    "parse_feed",
    "robots_sitemaps",
]

log = logging.getLogger(__name__)

#: The most items read from one feed; a feed of more is cut (and the cut logged).
#: feedparser takes about 0.3 ms an item: a feed of 100,000 would take half a minute.
MAX_ITEMS = 5_000
#: The media types of the ``<link rel="alternate">`` that name a feed.
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
#: The start of a feed: a byte-order mark, the XML declaration, comments, processing
#: instructions and a doctype, then the root element of RSS, Atom or RSS 1.0 (RDF).
_FEED_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?[^>]*>\s*|<!--.*?-->\s*)*(?:<!DOCTYPE[^>]*>\s*)?"
    rb"(?:<!--.*?-->\s*)*<(?:rss|feed|(?:[\w.-]+:)?RDF)[\s/>]",
    re.DOTALL | re.IGNORECASE,
)

#: A feed that says its encoding: a byte-order mark, or an XML declaration naming one.
_DECLARED = re.compile(rb"(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)|\s*<\?xml\s[^>]*\bencoding\s*=")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One item of a feed: its link, its date (published, else updated) and title."""

    link: str
    date: datetime | None
    title: str | None


def _date(parsed: time.struct_time | None) -> datetime | None:
    # feedparser reads every date format feeds use into a struct_time in UTC.
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def looks_like_feed(data: bytes) -> bool:
    """Whether ``data`` starts as a feed does (its root element is ``<rss>``, ``<feed>``
    or ``<rdf:RDF>``): a feed whose server calls it ``text/html``, or names no type."""
    return _FEED_START.match(data[:4096]) is not None


def parse_feed(data: bytes, source: str, content_type: str | None = None) -> list[FeedItem]:
    """The items of the feed ``data`` fetched from ``source``, links made absolute;
    ``content_type`` is the response's Content-Type, whose charset feedparser reads (a
    feed without an XML declaration may have no other word of its encoding).

    Raises :class:`~archiver.errors.InputError` naming ``source`` when it is not a feed.
    """
    headers = {"content-location": source}
    if content_type and not _DECLARED.match(data):
        # Only for a feed that does not say its encoding itself: feedparser lets the
        # header's charset win over the XML declaration's, and a server's default one
        # (Apache's ISO-8859-1) turned a UTF-8 feed's titles and links to mojibake.
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        _trimmed(data, source),
        response_headers=headers,
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    if not parsed.get("version") and not parsed.entries:
        cause = parsed.get("bozo_exception")
        detail = f" ({type(cause).__name__}: {str(cause)[:120]})" if cause else ""
        raise InputError(f"not a feed{detail}", source=source)
    items = []
    for entry in parsed.entries[:MAX_ITEMS]:
        link = entry.get("link") or entry.get("id")
        link = joined(source, link) if link and isinstance(link, str) else None
        if link is None:
            continue
        items.append(
            FeedItem(
                link=link,
                # dict.get: FeedParserDict.get would map a missing "updated" to
                # "published", with a DeprecationWarning.
                date=_date(
                    dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
                ),
                title=entry.get("title") or None,
            )
        )
    return items


def _trimmed(data: bytes, source: str) -> bytes:
    """``data`` with its first :data:`MAX_ITEMS` items (RSS) or entries (Atom) only, so
    that feedparser's time stays bounded; lxml drops the rest in a fraction of it."""
    if data.count(b"<item") + data.count(b"<entry") <= MAX_ITEMS:
        return data  # the usual feed: nothing to cut (a count of bytes, no parse)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return data  # feedparser says what is wrong with it
    if root is None:
        return data
    items = [
        element
        for element in root.iter()
        if isinstance(element.tag, str) and etree.QName(element).localname in ("item", "entry")
    ]
    if len(items) <= MAX_ITEMS:
        return data
    for element in items[MAX_ITEMS:]:
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    log.warning("%s: %d items, the first %d read", source, len(items), MAX_ITEMS)
    result: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return result


def feed_links(html: bytes, base_url: str) -> list[str]:
    """The feeds an HTML page points to (``<link rel="alternate" type="application/rss+xml"
    href=...>`` and Atom's), as absolute URLs, in page order."""
    tree = LexborHTMLParser(html)
    found: list[str] = []
    for node in tree.css("link[rel][href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        kind = (node.attributes.get("type") or "").lower().split(";")[0].strip()
        href = (node.attributes.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            url = joined(base_url, href)
            if url is not None and url not in found:
                found.append(url)
    return found


def robots_sitemaps(text: str, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, absolute."""
    return joined_all(base_url, Protego.parse(text).sitemaps)
