"""Turning input bytes into a Document: size and binary checks, encoding, HTML or text.

The input is a saved page, or a body fetched and kept; :func:`load` is the one way in.
"""

from __future__ import annotations

import codecs
import json
import re
import urllib.parse

import chardetng_py

from ..article import InputKind
from ..document import Document
from ..errors import (
    BinaryInputError,
    DecodingError,
    EmptyInputError,
    InputError,
    InputTooLargeError,
    NotHtmlError,
    checked,
)
from . import charsets

__all__ = ["DEFAULT_MAX_BYTES", "load", "sniff_kind"]

#: Inputs over this size are refused: no news article comes near it, and extraction
#: time and memory grow with the input.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"RIFF", "a RIFF (WebP, WAV or AVI) file"),
    (b"\x7fELF", "an executable"),
)
_SNIFF = 8192
#: How far the HTML standard's encoding prescan looks for <meta charset>.
_PRESCAN = 1024
_HTML_START = re.compile(
    rb"^\s*<(?:!doctype\s+html|html|head|body|meta|title|link|style|script|!--)", re.IGNORECASE
)
_HTML_TAGS = re.compile(rb"<(?:html|head|body|div|p|article|meta|title|script)\b", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_UTF16 = ("utf-16le", "utf-16be")
#: A top-level domain as chardetng takes it: ASCII, lower case, no period (on any other
#: it panics, a BaseException that no ``except Exception`` stops).
_TLD = re.compile(rb"[a-z0-9-]+")
#: The start of an HTML page in UTF-16 without a byte-order mark, and its byte order:
#: white space, then "<" and a letter or "!", each with a NUL byte after it or before.
_UTF16_STARTS = (
    (re.compile(rb"(?:[\t\n\f\r ]\x00)*<\x00[!A-Za-z]\x00"), "utf-16le"),
    (re.compile(rb"(?:\x00[\t\n\f\r ])*\x00<\x00[!A-Za-z]"), "utf-16be"),
)
#: Text in UTF-16 without a byte-order mark: at least one character in this many has a
#: NUL byte (an ASCII one: a space, a line end, a Latin letter), on one side of each pair.
_UTF16_NUL_SHARE = 10


def load(
    data: bytes | str,
    *,
    name: str = "<input>",
    url: str | None = None,
    kind: InputKind | None = None,
    content_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Document:
    """Check and decode one input.

    The encoding comes from a byte-order mark, then the ``charset`` of ``content_type``
    (an HTTP header value), then an HTML ``<meta charset>``, then strict UTF-8, then
    detection by Firefox's detector (chardetng; ``url``'s top-level domain a hint, as
    browsers give theirs); an HTML page whose first tag is written in UTF-16 (a NUL byte
    by each ASCII one), or a text whose NUL bytes are those of UTF-16, needs no mark or
    charset. A charset label counts only when it is one of the WHATWG Encoding
    Standard's (see :mod:`.charsets`); any other is ignored, as browsers ignore it.
    ``kind`` is sniffed from the content when not given. A ``str`` is taken as text; a
    lone surrogate in it (which no encoding can write) becomes U+FFFD, as in browsers.

    Raises an :class:`~archiver.errors.InputError` subclass naming ``name`` and the cause;
    :class:`~archiver.errors.NotHtmlError` for a feed, a sitemap, an SVG image, an OPML
    outline or JSON, which are neither pages nor text dumps; ValueError for a ``kind``
    that is neither (the extractors would take it for a text dump); TypeError for a
    ``url`` that is no str.
    """
    if kind not in (None, "html", "text"):
        raise ValueError(f"kind must be 'html' or 'text', not {kind!r}")
    if url is not None:
        checked(url, str, "the URL")
    if isinstance(data, str):
        data = _scalar_values(data)
        raw = data.encode("utf-8")
    else:
        try:
            # Any buffer (bytes, bytearray, an mmap); not bytes() of anything, which of
            # a Path is its name: the name would be extracted as the page.
            raw = data if isinstance(data, bytes) else bytes(memoryview(data))
        except TypeError:
            raise InputError(
                f"the page must be bytes or str, not {type(data).__name__}"
                " (a file: Path.read_bytes())",
                source=name,
            ) from None
    if len(raw) > max_bytes:
        raise InputTooLargeError(
            f"input is {len(raw) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit",
            source=name,
        )
    if isinstance(data, str):
        text, encoding = data, "utf-8"
    else:
        text, encoding = _decode(raw, name, content_type, url)
        if encoding != "utf-8":
            # A detected codec (utf-7, say) may still give what UTF-8 cannot write; text
            # that Python's UTF-8 decoder gives holds no lone surrogate (it takes their
            # bytes for invalid ones): most pages need not be encoded again to see that.
            text = _scalar_values(text)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise EmptyInputError("input is empty", source=name)
    if (what := _data_kind(text)) is not None:
        # Markup or data that is no page, whatever its file's name says: read as a page
        # or a text dump, it would be archived as an article made of its tags.
        raise NotHtmlError(f"input is {what}, not a page or a text dump", source=name)
    if kind is None:
        # A Unicode page's kind is sniffed from its text: UTF-16 and UTF-32 write "<html"
        # with NULs between its letters, and a byte-order mark stands before its first
        # tag. The other encodings write tags as ASCII bytes, sniffed as they are.
        kind = _sniff(text[:_SNIFF].encode() if encoding.startswith("utf-") else raw[:_SNIFF])
    return Document(text=text, kind=kind, raw=raw, encoding=encoding, name=name, url=url)


def sniff_kind(raw: bytes, content_type: str | None = None) -> InputKind:
    """The kind of input ``raw`` looks like: ``html`` when it starts like HTML or its
    first 8 KiB hold three HTML tags, else ``text``.

    Bytes that :func:`load` takes for UTF-16 or UTF-32 (see :func:`_unicode_encoding`;
    ``content_type`` an HTTP header whose charset may name UTF-16) are sniffed from
    their text, as :func:`load` sniffs them: "<html" has NULs between its letters.
    """
    head = raw[:_SNIFF]
    if (unicode := _unicode_encoding(head, _header_encoding(content_type))) is not None:
        encoding, bom = unicode
        head = head[len(bom) :].decode(encoding, "replace").encode()
    return _sniff(head)


def _sniff(head: bytes) -> InputKind:
    return "html" if _HTML_START.match(head) or len(_HTML_TAGS.findall(head)) >= 3 else "text"


#: The root elements of the XML documents that are no page, and what they are (a root
#: with a namespace prefix, "atom:feed", by its local name).
_XML_ROOTS = {
    "rss": "an RSS feed",
    "rdf:rdf": "RDF (an RSS 1.0 feed)",
    "feed": "an Atom feed",
    "urlset": "a sitemap",
    "sitemapindex": "a sitemap index",
    "svg": "an SVG image",
    "opml": "an OPML outline",
}
#: The start of an XML document: its declaration, comments, doctype and processing
#: instructions, then its root element. Possessive: a run of comments with no element
#: after it is given up at once, not tried again grouped every other way.
_XML_START = re.compile(
    r"\s*+(?:<\?xml\b[^>]*+>\s*+)?+(?:<!--.*?-->\s*+|<![A-Za-z][^>]*+>\s*+|<\?[^>]*+>\s*+)*+"
    r"<(?P<root>[A-Za-z][\w:.-]*+)",
    re.DOTALL,
)
#: JSON is parsed to tell it from a text dump up to this many characters only: parsing
#: takes some 25 times the text's size in memory.
_JSON_LIMIT = 1_000_000


def _data_kind(text: str) -> str | None:
    """What ``text`` is when it is neither a page nor a text dump: a feed, a sitemap, an
    SVG image or an OPML outline (by its root element, and its end tag closing the text:
    a page that opens with an inline SVG does not end with it), or JSON (up to
    :data:`_JSON_LIMIT` characters)."""
    head = text[:_SNIFF]
    if (start := _XML_START.match(head)) is not None:
        root = start["root"].lower()
        what = _XML_ROOTS.get(root) or _XML_ROOTS.get(root.rpartition(":")[2])
        if what is None:  # an HTML page, the usual case: its end is not read
            return None
        return what if text[-_SNIFF:].rstrip().lower().endswith(f"</{root}>") else None
    if head.lstrip()[:1] in ("{", "[") and len(text) <= _JSON_LIMIT:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to tell
            return None
        return "JSON data" if isinstance(data, (dict, list)) else None
    return None


def _scalar_values(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (a pair is joined into one)."""
    try:
        # UTF-8 writes every code point but the surrogates: the quickest test of a
        # text for them (in C, at a fifth of the time a regex scan for them took)
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _decode(raw: bytes, name: str, content_type: str | None, url: str | None) -> tuple[str, str]:
    """The text of ``raw`` and the name of its encoding (an IANA label, lower case)."""
    head = raw[:_SNIFF]
    header = _header_encoding(content_type)
    unicode = _unicode_encoding(head, header)
    if unicode is not None and unicode[1]:
        encoding, bom = unicode
        return _strict(raw[len(bom) :], encoding, name), encoding
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise BinaryInputError(f"input is {what}, not a page", source=name)
    meta = _meta_encoding(raw[:_PRESCAN])
    if unicode is not None:
        # UTF-16 without a byte-order mark, which a header names or its NULs show.
        encoding = unicode[0]
        if (text := _try(raw, encoding)) is not None and _control_ratio(text) <= 0.05:
            return text, encoding
    if b"\x00" in head:
        raise BinaryInputError("input is binary data (it holds NUL bytes), not a page", source=name)
    for declared in (header, meta):
        # A wrong declaration is common: when the bytes do not fit, try the next source.
        # (UTF-16 of bytes without NULs is one; the meta tag's never names it.)
        if declared is not None and declared not in _UTF16:
            if (text := _try(raw, declared)) is not None:
                return text, declared
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if (text := _nearly_utf8(raw, declared="utf-8" in (header, meta))) is not None:
        return text, "utf-8"
    # Firefox's detector, made for pages that do not say their encoding: on a sentence
    # of French in Latin-1 a detector of byte frequencies found Mac Central European. It
    # names one of the Standard's legacy encodings, decoded as browsers do (a byte that
    # the encoding leaves out is U+FFFD); the host's top-level domain weighs in.
    detected = charsets.from_label(chardetng_py.detect(raw, tld=_top_level_domain(url)))
    if detected is None:  # not one of the Standard's: chardetng names none such
        raise DecodingError("no text encoding fits the bytes (is it binary?)", source=name)
    text = charsets.decode(raw, detected, errors="replace")
    if _control_ratio(text) > 0.05:
        raise BinaryInputError("input is binary data, not a page", source=name)
    return text, detected


def _nearly_utf8(raw: bytes, *, declared: bool) -> str | None:
    """``raw`` as UTF-8 with its few invalid bytes replaced (U+FFFD), as a browser reads a
    page that says UTF-8 (``declared``); None when more than one in 10,000 bytes is
    invalid, unless the characters that UTF-8 encodes outnumber the invalid bytes
    tenfold. A stray byte in one paragraph does not make the page another encoding: a
    guess from the byte frequencies would garble all the rest. Undeclared, only the
    tenfold rule holds: a text dump or a page cut inside a character was all
    windows-1252 mojibake (chardetng never names UTF-8 with an error in it)."""
    text = raw.decode("utf-8", "replace")
    replaced = raw.count("\ufffd".encode())
    invalid = text.count("\ufffd") - replaced
    if declared and invalid <= 1 + len(raw) // 10_000:
        return text
    # A paragraph pasted in Latin-1 brings a stray byte per accent: ten of them in a
    # page of curly quotes made it all Mac Roman. A page in another encoding hardly
    # ever holds a UTF-8 sequence, so what does hold many is UTF-8.
    encoded = len(text) - len(text.encode("ascii", "ignore")) - invalid - replaced
    return text if encoded >= 10 * invalid else None


def _unicode_encoding(head: bytes, header: str | None) -> tuple[str, bytes] | None:
    """The Unicode encoding that bytes starting with ``head`` are decoded in, whatever
    follows, and its byte-order mark: the one a mark names; else UTF-16 with no mark
    (``b""``) when ``head`` holds NUL bytes and ``header`` (the encoding a Content-Type
    names) says UTF-16 or its NULs show it (see :func:`_utf16_order`). None for any other.

    :func:`_decode` and :func:`sniff_kind` both ask it: the kind of a page is sniffed
    from the text it is read as (a WARC record's with no Content-Type too).
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, bom
    if b"\x00" not in head:
        return None
    utf16 = header if header in _UTF16 else _utf16_order(head)
    return None if utf16 is None else (utf16, b"")


def _utf16_order(head: bytes) -> str | None:
    """The byte order of the UTF-16 that ``head`` is written in, if its NUL bytes show
    one: an HTML page's first tag, a NUL by each ASCII byte; or text whose NULs are all
    on one side of its byte pairs (but for one in twenty: U+0300, say, has its NUL on
    the other), one character in :data:`_UTF16_NUL_SHARE` at least having one. A text
    dump in UTF-16 without a byte-order mark was taken for binary data."""
    for start, encoding in _UTF16_STARTS:
        if start.match(head):
            return encoding
    pairs = len(head) // 2
    # An ASCII character's NUL is its second byte in little-endian order, its first in big.
    second, first = head[1 : 2 * pairs : 2].count(0), head[0 : 2 * pairs : 2].count(0)
    for nuls, others, encoding in ((second, first, "utf-16le"), (first, second, "utf-16be")):
        if nuls * _UTF16_NUL_SHARE >= pairs and others * 20 <= nuls:
            return encoding
    return None


def _header_encoding(content_type: str | None) -> str | None:
    """The encoding that the charset of a Content-Type names, if it names one."""
    match = _HEADER_CHARSET.search(content_type) if content_type else None
    return charsets.from_label(match.group(1)) if match else None


def _meta_encoding(head: bytes) -> str | None:
    """The encoding of the first ``<meta>`` whose charset names one, as the prescan reads."""
    for match in _META_CHARSET.finditer(head):
        if (encoding := charsets.from_meta(match.group(1).decode("ascii"))) is not None:
            return encoding
    return None


def _try(raw: bytes, encoding: str) -> str | None:
    """``raw`` decoded as ``encoding`` (a name of :mod:`.charsets`), or None if it does not fit."""
    try:
        return charsets.decode(raw, encoding)
    except UnicodeError:
        return None


def _strict(raw: bytes, encoding: str, name: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodingError(
            f"the byte-order mark says {encoding}, but byte {exc.start} is not", source=name
        ) from exc


def _top_level_domain(url: str | None) -> bytes | None:
    """The last label of ``url``'s host name, in ASCII (an IDN's in Punycode), for
    chardetng: a page of ``.gr`` is more likely Greek. None for an IP address."""
    try:
        host = urllib.parse.urlsplit(url).hostname if url else None
        label = host.rstrip(".").rpartition(".")[2] if host else ""
        if label.replace("-", "").isalnum() and not label[0].isdigit():
            # The IDNA codec's NFKC may make a period of an alphanumeric: "⒈" is "1.".
            tld = label.encode("idna")
            return tld if _TLD.fullmatch(tld) else None
    except (ValueError, UnicodeError):  # no URL, or no host name of one label that fits
        pass
    return None


def _control_ratio(text: str) -> float:
    sample = text[:_SNIFF]
    if not sample:
        return 0.0
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls / len(sample)
