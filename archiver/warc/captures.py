"""The pages stored in WARC files, for re-extraction: :func:`read_captures`.

A page is a ``resource`` or ``response`` record, or a ``revisit`` record, whose payload
is that of the response it revisits: looked for in the same file, then in others
(:class:`Originals`). It is a page by its content type (HTML), sniffed when there is
none; a plain-text ``resource`` is a page when derived records refer to it, as to the
text dumps news-archiver archives. Other records of those types (a crawler's log, its
arguments, an image, a 404) are reported as :class:`SkippedRecord`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..capture import DEFAULT_MAX_BYTES, HTML_TYPES, sniff_kind
from ..errors import ArchiverError, InputError, InputTooLargeError, WarcError
from ..files import PathArg, path_list
from .bodies import BodyError, BodyTooLarge, http_body
from .framing import records
from .reader import checked_source, header_date

__all__ = ["Capture", "Originals", "SkippedRecord", "read_captures"]

log = logging.getLogger(__name__)

#: The record types that hold a page.
_CAPTURE_TYPES = frozenset({"resource", "response"})


@dataclass(frozen=True, slots=True)
class Capture:
    """A page stored in a WARC file: a ``resource``, ``response`` or ``revisit`` record.

    ``payload`` is the page itself: the block of a ``resource`` record, or the HTTP body
    of a ``response`` record with its transfer and content encodings (chunked, gzip,
    deflate, br) undone. ``content_type`` is the page's type: the record's Content-Type
    for a resource, the HTTP Content-Type for a response (None when absent). ``date``
    is the record's WARC-Date exactly as written, for WARC-Refers-To-Date. A revisit
    record's payload and content type are those of the response it revisits.

    ``error`` is set (and ``payload`` empty) when the page cannot be had: its body is
    over the size limit, as stored or once decoded
    (:class:`~archiver.errors.InputTooLargeError`), or cannot be decoded, or the record
    has no WARC-Target-URI for derived records to refer to it by
    (:class:`~archiver.errors.InputError`). The error names the file and the record, so
    that this page fails alone: :func:`archiver.runs.process_capture` raises it.
    """

    warc: Path
    record_id: str
    record_type: str
    target_uri: str
    date: str
    content_type: str | None
    payload: bytes
    #: The HTTP status of a response record; None for a resource record.
    status: int | None = None
    #: Why the page cannot be had (the payload is then empty); None when it can.
    error: ArchiverError | None = None


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A record not extracted: a ``resource`` or ``response`` record that is not a page,
    or a ``revisit`` record whose response no file read holds (``unresolved``)."""

    warc: Path
    record_id: str
    target_uri: str
    content_type: str | None
    #: The HTTP status of a response record; None for a resource record.
    status: int | None = None
    #: A revisit record whose response (the page it stands for) no file read holds.
    unresolved: bool = False

    def __str__(self) -> str:
        """Its name (the last part of its URI) and why: ``wget.log (text/plain)``."""
        name = self.target_uri.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or self.target_uri
        why = str(self.content_type or "no type").split(";")[0].strip()
        if self.status is not None and not _whole(self.status):
            why += f", HTTP {self.status}"
        return f"{name} ({why})"


def read_captures(
    path: str | os.PathLike[str],
    *,
    originals: Originals | PathArg | Iterable[PathArg] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_skipped: Callable[[SkippedRecord], None] | None = None,
) -> Iterator[Capture]:
    """Stream the pages stored in a WARC file, in file order.

    Yields every ``resource`` and ``response`` record that is a page: HTML by its type
    (``text/html``, ``application/xhtml+xml``), or by its content when it has no
    type, and for a response a 2xx status; and a plain-text ``resource`` that the
    next record refers to (WARC-Refers-To), as news-archiver's derived records refer
    to a text dump. That is what ``archiver reprocess`` re-extracts; each other
    ``resource`` and ``response`` record is given to ``on_skipped``. A ``revisit``
    record of an HTML page (of another response, it goes to ``on_skipped`` too) comes
    after the others, with the payload of the response that has its payload digest:
    looked for in the same file, then in the
    ``originals`` files (a lone path is one file) in their order (as a bulk run that
    rotated its files leaves them: a revisit may refer to a capture of an earlier
    file); an :class:`Originals` shared by the calls of a run reads each of them once
    at most for what they lack. A revisit without a payload digest (the
    server-not-modified profile may have none) takes that of the response its
    WARC-Refers-To names, earlier in the same file. A revisit whose response is in none
    of them, or without a digest to look for, is skipped, with a log line, and given to
    ``on_skipped`` (its :attr:`SkippedRecord.unresolved` set); the ``originals`` that
    cannot be read are skipped with a log line.

    A page's body, stored or decoded, may take ``max_bytes`` (the size limit of saved
    pages, :data:`archiver.capture.DEFAULT_MAX_BYTES`, by default): one that is over
    it, or that cannot be decoded, comes with its ``error`` set, and the pages after it
    come all the same. A damaged file raises :class:`~archiver.errors.WarcError`, as
    :func:`read` does, after the pages before the damage.
    """
    return _read_captures(checked_source(path), originals, max_bytes, on_skipped)


def _read_captures(
    source: Path,
    originals: Originals | PathArg | Iterable[PathArg],
    max_bytes: int,
    on_skipped: Callable[[SkippedRecord], None] | None,
) -> Iterator[Capture]:
    # Revisit records hold no body: each is yielded after the file, with the body of the
    # response it points at (by payload digest), found in a second pass.
    revisits: dict[str, list[Any]] = {}
    own: dict[str, str] = {}  # the payload digests of the file's responses, by record ID
    keep = dict.fromkeys(_CAPTURE_TYPES, max_bytes)
    text: Capture | None = None  # a plain-text resource, a page if the next record says so
    for record, block in records(source, keep=keep):
        if text is not None:
            if record.rec_headers.get_header("WARC-Refers-To") == text.record_id:
                yield text
            else:
                _skip(text, on_skipped)
            text = None
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        if record.rec_type == "revisit":
            # The payload digest is optional in the server-not-modified profile: the
            # response named by WARC-Refers-To, earlier in the file, gives it then.
            digest = digest or own.get(str(record.rec_headers.get_header("WARC-Refers-To")))
            if digest:
                revisits.setdefault(digest, []).append(record)
            else:
                _unresolved(source, [record], on_skipped)
        elif record.rec_type in _CAPTURE_TYPES:
            if record.rec_type == "response" and digest:
                own[str(record.rec_headers.get_header("WARC-Record-ID"))] = digest
            capture = _capture(record, block, source, max_bytes)
            kind = _page_kind(capture)
            if kind == "html":
                yield capture
            elif kind == "text" and capture.record_type == "resource":
                text = capture
            else:
                _skip(capture, on_skipped)
    if text is not None:
        _skip(text, on_skipped)
    if not revisits.keys().isdisjoint(own.values()):
        for capture in _revisited(source, source, revisits, None, max_bytes):
            yield from _page(capture, on_skipped)
    if revisits:
        found = originals if isinstance(originals, Originals) else Originals(originals)
        for capture in found.revisited(source, frozenset(own.values()), revisits, max_bytes):
            yield from _page(capture, on_skipped)
    for left in revisits.values():
        _unresolved(source, left, on_skipped)


def _page(
    capture: Capture, on_skipped: Callable[[SkippedRecord], None] | None
) -> Iterator[Capture]:
    """``capture``, a revisit with its response's payload, if that is an HTML page; else
    it is reported as skipped, as its response is."""
    if _page_kind(capture) == "html":
        yield capture
    else:
        _skip(capture, on_skipped)


def _unresolved(
    source: Path, revisits: list[Any], on_skipped: Callable[[SkippedRecord], None] | None
) -> None:
    """Report ``revisits`` (records of ``source``) whose response no file read holds."""
    log.info(
        "%s: %d revisit records of %s skipped: no file read has the original",
        source,
        len(revisits),
        revisits[0].rec_headers.get_header("WARC-Payload-Digest") or "no payload digest",
    )
    if on_skipped is not None:
        for record in revisits:
            headers = record.rec_headers
            on_skipped(
                SkippedRecord(
                    warc=source,
                    record_id=str(headers.get_header("WARC-Record-ID")),
                    target_uri=str(headers.get_header("WARC-Target-URI") or ""),
                    content_type=None,
                    unresolved=True,
                )
            )


class Originals:
    """WARC files to look in for the responses that revisit records refer to.

    Given as ``originals`` to :func:`read_captures` of many files, it remembers the
    payload digests of each file it has read through, so that a file is read again only
    for a digest it holds: a revisit found nowhere costs one read of each file per run,
    not one per file with such a revisit.
    """

    def __init__(self, paths: PathArg | Iterable[PathArg]) -> None:
        # A lone path (a str or a Path) is one file: iterated, a str was its characters.
        self._paths = list(dict.fromkeys(Path(path) for path in path_list(paths)))
        self._digests: dict[Path, frozenset[str]] = {}

    def revisited(
        self,
        source: Path,
        digests: frozenset[str],
        revisits: dict[str, list[Any]],
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Iterator[Capture]:
        """The Captures of the ``revisits`` of ``source`` (by payload digest) whose
        responses are in these files; those found are taken out of ``revisits``.
        ``digests`` are those of the responses in ``source``, read through."""
        self._digests.setdefault(source, digests)
        for place in self._paths:
            if not revisits:
                return
            known = self._digests.get(place)
            if known is not None and known.isdisjoint(revisits):
                continue
            if place.resolve() != source.resolve():
                yield from _revisited(source, place, revisits, self._digests, max_bytes)


def _revisited(
    source: Path,
    place: Path,
    revisits: dict[str, list[Any]],
    digests: dict[Path, frozenset[str]] | None,
    max_bytes: int,
) -> Iterator[Capture]:
    """The Captures of ``revisits`` (by payload digest, found ones are taken out), with
    the bodies of their originals in the file ``place``. A ``place`` not yet in
    ``digests`` is read to its end, and the payload digests of its responses noted there
    (with ``digests`` None, the reading stops once all revisits are found)."""
    stored = records(place, keep={"response": max_bytes})
    note = digests is not None and place not in digests
    seen: set[str] = set()
    with contextlib.closing(stored):
        while revisits or note:
            try:
                found = next(stored, None)
            except WarcError as exc:
                if place == source:
                    raise
                # That file is an input of its own, where its error is reported.
                log.info("%s: not read for the originals of revisit records: %s", place, exc)
                found = None
            if found is None:
                if note:
                    digests[place] = frozenset(seen)  # type: ignore[index]
                return
            record, block = found
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            if record.rec_type != "response" or not digest:
                continue
            seen.add(digest)
            if digest not in revisits:
                continue
            for revisit in revisits.pop(digest):
                headers = revisit.rec_headers
                yield dataclasses.replace(
                    _capture(record, block, place, max_bytes),
                    warc=source,
                    record_id=str(headers.get_header("WARC-Record-ID")),
                    record_type="revisit",
                    target_uri=str(headers.get_header("WARC-Target-URI") or ""),
                    date=header_date(revisit, source),
                )


def _capture(record: Any, block: bytes | None, source: Path, max_bytes: int) -> Capture:
    """The Capture of a resource or response record: its body decoded, unless it has a
    status that is not 2xx or a type that is neither HTML nor plain text."""
    headers = record.rec_headers
    status: int | None = None
    http = record.http_headers
    if http is not None:
        content_type = http.get_header("Content-Type")
        try:
            status = int(http.get_statuscode())
        except (TypeError, ValueError):
            status = None
    else:
        content_type = headers.get_header("Content-Type")
    uri = str(headers.get_header("WARC-Target-URI") or "")
    mime = _media_type(content_type)
    wanted = (not mime or mime in _KINDS) and (status is None or status // 100 == 2)
    record_id = str(headers.get_header("WARC-Record-ID"))
    name = f"{source}#{uri}"
    payload = b""
    error: ArchiverError | None = None
    if not wanted:
        pass  # not a page: its body is not decoded
    elif not uri:
        # The derived records would have no URI to refer to it by, nor one of their own.
        error = InputError(
            f"record {record_id} is a {record.rec_type} record without a WARC-Target-URI",
            source=name,
        )
    elif block is None:
        size = (record.length - (http.total_len if http is not None else 0)) / 1e6
        what = "body" if http is not None else "block"
        error = InputTooLargeError(
            f"record {record_id}: its stored {what} is {size:.1f} MB, "
            f"over the {max_bytes / 1e6:.1f} MB limit",
            source=name,
        )
    elif http is None:
        payload = block
    else:
        try:
            payload = http_body(
                block,
                content_encoding=http.get_header("Content-Encoding"),
                transfer_encoding=http.get_header("Transfer-Encoding"),
                limit=max_bytes,
            )
        except BodyTooLarge as exc:
            error = InputTooLargeError(f"record {record_id}: {exc}", source=name)
        except BodyError as exc:
            error = InputError(f"record {record_id}: {exc}", source=name)
    return Capture(
        warc=source,
        record_id=record_id,
        record_type=str(record.rec_type),
        target_uri=uri,
        date=header_date(record, source),
        content_type=str(content_type) if content_type else None,
        payload=payload,
        status=status,
        error=error,
    )


#: The kind of page of each media type a page may have.
_KINDS = {**dict.fromkeys(HTML_TYPES, "html"), "text/plain": "text"}


def _media_type(content_type: str | None) -> str:
    return str(content_type or "").split(";")[0].strip().lower()


def _page_kind(capture: Capture) -> str | None:
    """``html`` or ``text`` when ``capture`` may be a page of that kind; None when not.

    With no type, its content says (an error, a body over the limit, is a page's), read
    as :func:`~archiver.capture.load` reads it: a UTF-16 page, by its byte-order mark
    or its NULs, is HTML (its raw bytes have NULs between the letters of "<html").
    """
    if capture.status is not None and not _whole(capture.status):
        return None
    mime = _media_type(capture.content_type)
    if mime:
        return _KINDS.get(mime)
    if capture.error is not None or sniff_kind(capture.payload, capture.content_type) == "html":
        return "html"
    return None


def _whole(status: int) -> bool:
    """Whether a response of HTTP ``status`` holds a whole page: a success, but for 206
    Partial Content (a range of the page, as browsers' crawlers fetch media)."""
    return status // 100 == 2 and status != 206


def _skip(capture: Capture, on_skipped: Callable[[SkippedRecord], None] | None) -> None:
    log.debug("%s: %s is not a page: skipped", capture.warc, capture.target_uri)
    if on_skipped is not None:
        on_skipped(
            SkippedRecord(
                warc=capture.warc,
                record_id=capture.record_id,
                target_uri=capture.target_uri,
                content_type=capture.content_type,
                status=capture.status,
            )
        )
