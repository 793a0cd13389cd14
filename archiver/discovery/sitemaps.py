"""Sitemaps (sitemaps.org 0.9, with Google News' extension) read as a stream.

A sitemap is parsed with lxml's incremental parser, a piece at a time, and each
``<url>`` element dropped once read, so that a file of 50,000 URLs costs the memory of
one. The protocol's limits hold: at most :data:`MAX_URLS` entries and
:data:`MAX_BYTES` bytes once uncompressed (a ``.gz`` sitemap is unpacked within that
budget, so a gzip bomb stops there). Entity expansion and network access are off.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.entities import html5

from dateutil.parser import isoparse
from lxml import etree

from ..capture import DecodeError, Decoder, Overflow
from ..errors import InputError, InputTooLargeError

__all__ = ["MAX_BYTES", "MAX_URLS", "Sitemap", "SitemapEntry", "parse_date", "parse_sitemap"]

log = logging.getLogger(__name__)

#: The protocol's limits of one sitemap file: URLs, and bytes uncompressed.
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
_CHUNK = 64 * 1024
#: A CDATA section (kept as it is), or an ampersand and the reference it may start.
_AMPERSANDS = re.compile(rb"<!\[CDATA\[.*?\]\]>|&(?:#?[A-Za-z0-9]{1,32};)?", re.DOTALL)
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` or ``<sitemap>`` of a sitemap."""

    loc: str
    lastmod: datetime | None = None
    #: From ``<news:news>``: the publication date and title.
    published: datetime | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A sitemap read: an index lists ``sitemaps``, a url set ``urls``."""

    is_index: bool
    urls: tuple[SitemapEntry, ...] = ()
    sitemaps: tuple[SitemapEntry, ...] = ()
    #: True when the file held more than :data:`MAX_URLS` entries (the rest ignored).
    cut: bool = False
    is_news: bool = False


def parse_date(text: str | None) -> datetime | None:
    """A W3C datetime (ISO 8601) or an RFC 822 date as an aware UTC datetime; None when
    ``text`` is neither (a zone-less time is taken as UTC)."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        # Python's own reader first: ten times dateutil's speed, on most sitemaps' dates.
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = isoparse(text)
        except (ValueError, OverflowError):
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                log.debug("not a date: %r", text[:80])
                return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _unpacked(data: bytes, source: str) -> bytes:
    """``data``, gunzipped when it is gzip, within :data:`MAX_BYTES`."""
    if not data.startswith(b"\x1f\x8b"):
        if len(data) > MAX_BYTES:
            raise InputTooLargeError(
                f"the sitemap is over the protocol's {MAX_BYTES // 2**20} MB", source=source
            )
        return data
    decoder = Decoder("gzip", MAX_BYTES)
    try:
        decoder.feed(data)
        return decoder.finish()
    except Overflow:
        raise InputTooLargeError(
            f"the sitemap unpacks to over the protocol's {MAX_BYTES // 2**20} MB"
            " (a gzip bomb?): skipped",
            source=source,
        ) from None
    except DecodeError as exc:
        raise InputError(f"the gzipped sitemap is corrupt ({exc})", source=source) from None


def _local(tag: object) -> str:
    """The local name of an element's tag (``{namespace}url`` is ``url``)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _entry(element: etree._Element) -> SitemapEntry | None:
    values: dict[str, str] = {}
    for child in element.iter():
        name = _local(child.tag)
        if name in ("loc", "lastmod", "publication_date", "title") and child.text:
            values.setdefault(name, child.text.strip())
    loc = values.get("loc")
    if not loc:
        return None
    return SitemapEntry(
        loc=loc,
        lastmod=parse_date(values.get("lastmod")),
        published=parse_date(values.get("publication_date")),
        title=values.get("title") or None,
    )


def parse_sitemap(data: bytes, source: str) -> Sitemap:
    """Read the sitemap or sitemap index ``data`` (maybe gzipped) fetched from ``source``.

    A sitemap whose URLs hold a bare ``&`` (``?a=1&b=2``: malformed XML, which some
    generators write) or an HTML entity (``&nbsp;``) is read with them escaped, with a
    warning. Raises :class:`~archiver.errors.InputError` naming ``source`` when it is
    not a sitemap (malformed XML, an HTML page, another root element) or is over the
    limits.
    """
    text = _unpacked(data, source)
    try:
        return _read(text, source)
    except etree.XMLSyntaxError as exc:
        # Bytes escaped as ASCII: not in UTF-16 or UTF-32, whose NULs would be lost.
        escaped = text if b"\x00" in text[:_CHUNK] else _escaped_ampersands(text)
        if escaped != text:
            try:
                sitemap = _read(escaped, source)
            except etree.XMLSyntaxError:
                pass  # malformed otherwise: said as first found
            else:
                log.warning("%s: malformed XML (%s), read with its bare '&' escaped", source, exc)
                return sitemap
        raise InputError(f"not a sitemap: malformed XML ({exc})", source=source) from None


def _escaped_ampersands(text: bytes) -> bytes:
    """``text`` with each ``&`` that starts no XML reference escaped, and the HTML
    entities XML does not know (``&nbsp;``) as characters; CDATA sections as they are."""
    return _AMPERSANDS.sub(_escaped, text)


def _escaped(match: re.Match[bytes]) -> bytes:
    found = match.group()
    if found.startswith(b"<") or found[1:-1] in _XML_ENTITIES or found[1:2] == b"#":
        return found
    # The whole name, "copy;" (html.unescape reads "&copy2;" as "©2;", a prefix)
    if text := html5.get(found[1:].decode("ascii")):
        return "".join(f"&#{ord(character)};" for character in text).encode("ascii")
    return b"&amp;" + found[1:]


def _read(text: bytes, source: str) -> Sitemap:
    """The sitemap of the XML ``text``; raises XMLSyntaxError when it is malformed."""
    parser = etree.XMLPullParser(
        events=("end",),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    root: str | None = None
    urls: list[SitemapEntry] = []
    sitemaps: list[SitemapEntry] = []
    news = cut = False
    for start in range(0, len(text), _CHUNK):
        parser.feed(text[start : start + _CHUNK])
        for _, element in parser.read_events():
            if root is None:
                # The first element to end: its document's root is known by then.
                root = _local(element.getroottree().getroot().tag)
                if root not in ("urlset", "sitemapindex"):
                    raise InputError(
                        f"not a sitemap (its root element is <{root[:40]}>)", source=source
                    )
            name = _local(element.tag)
            if name == "news":
                news = True
            if name not in ("url", "sitemap") or element.getparent() is None:
                continue
            if len(urls) + len(sitemaps) >= MAX_URLS:
                cut = True
            else:
                entry = _entry(element)
                if entry is not None:
                    (urls if name == "url" else sitemaps).append(entry)
            # Read: dropped, with what came before it, so memory stays flat.
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
        if cut:
            break
    if not cut:
        parser.close()
    if root is None:
        raise InputError("not a sitemap: no XML in it", source=source)
    if cut:
        log.warning("%s: over %d entries, the rest ignored", source, MAX_URLS)
    return Sitemap(
        is_index=root == "sitemapindex",
        urls=tuple(urls),
        sitemaps=tuple(sitemaps),
        cut=cut,
        is_news=news,
    )
