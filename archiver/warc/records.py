"""Writing Articles to WARC/1.1 files and reading them back.

This is the only module that imports warcio. Each article becomes a capture (a
``resource`` record with the input bytes unchanged, or the ``response`` record of a
fetch) and two derived records that refer to it: a ``conversion`` record with the
extracted text and a ``metadata`` record with the Article as JSON. See docs/warc.md
for the layout.

It also reads archives back: the Articles (:func:`read`, :func:`read_latest`) and the
stored pages (:func:`read_captures`), and writes the records of a re-extraction, which
refer to the original records (:meth:`WarcWriter.write_derived`).

A fetched page (:meth:`WarcWriter.write_capture`) becomes a ``request`` and a
``response`` record per HTTP exchange, then ``conversion`` and ``metadata`` records; a
writer opened with ``append=True`` adds them to an existing file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import io
import json
import logging
import os
import re
import time
import uuid
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from zlib_ng import zlib_ng

from ..article import Article
from ..document import Document
from ..errors import ArchiverError, WarcError

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self needs Python 3.11

    from ..capture import Exchange, FetchResult

__all__ = [
    "METADATA_URI_PREFIX",
    "TEXT_URI_PREFIX",
    "ArchivedArticle",
    "Capture",
    "CaptureRef",
    "Originals",
    "PayloadIndex",
    "Salvaged",
    "WarcWriter",
    "read",
    "read_captures",
    "read_latest",
    "salvage",
    "target_uri",
    "verify",
]

log = logging.getLogger(__name__)

#: Prefixes of the WARC-Target-URI of a capture's ``conversion`` and ``metadata``
#: records: ``urn:text:`` is webrecorder's (browsertrix-crawler's) for extracted text.
TEXT_URI_PREFIX = "urn:text:"
METADATA_URI_PREFIX = "urn:metadata:"

_WARC_VERSION = "WARC/1.1"
_CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
_RECORD_ID = re.compile(r"<urn:uuid:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}>")
# The keys Article.to_dict() always writes: a JSON metadata record holding all of them
# is ours, and failing to rebuild it is an error rather than a foreign record to skip.
_ARTICLE_KEYS = frozenset({"text", "extractor", "input_kind"})
_CHUNK = 64 * 1024
_METADATA = frozenset({"metadata"})
_GZIP_MAGIC = b"\x1f\x8b"
#: Seconds an appender waits for another one to finish with the file.
_LOCK_WAIT = 30.0


def target_uri(document: Document, article: Article) -> str:
    """The WARC-Target-URI for an article: its URL when known, else ``urn:sha256:<hex>``.

    The fallback hashes ``document.raw``, so that it is the same on every machine and
    for every path the file had, and identical inputs share one URI.
    """
    if article.url:
        return article.url
    if document.url:
        return document.url
    return "urn:sha256:" + hashlib.sha256(document.raw).hexdigest()


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """Where a capture is: its record ID, WARC-Target-URI and WARC-Date."""

    record_id: str
    target_uri: str
    date: str


class PayloadIndex(Protocol):
    """The payload digests already stored, for writing revisit records."""

    def first_capture(self, digest: str, capture: CaptureRef) -> CaptureRef:
        """The first capture of the payload ``digest``: ``capture`` itself when it is new.

        A new digest is remembered, with ``capture`` as its first capture.
        """
        ...


class WarcWriter:
    """Writes one WARC/1.1 file, each record its own gzip member.

    The file is written as ``<path>.open`` and renamed to ``<path>`` by :meth:`close`,
    so that a WARC under its final name is always complete. A ``warcinfo`` record is
    written on opening. ``record_id`` returns WARC-Record-ID values in
    ``<urn:uuid:...>`` form and ``clock`` the time for WARC-Date (naive datetimes are
    taken as UTC); both exist so that output can be made reproducible. Used as a
    context manager, the file is closed on success and aborted on an exception.

    If writing fails (a full disk, say), the file is removed at once and every later
    call, :meth:`close` included, raises :class:`~archiver.errors.WarcError`. With
    ``keep_on_failure=True`` it is instead cut back to the end of the last complete
    write and left as ``<path>.open``, for :func:`salvage`. Each write reaches the
    operating system before the call returns, so a killed process loses none.

    With ``append=True`` an existing file is added to instead: new gzip members go at
    its end, under its own name, with no new ``warcinfo`` record, and the file is
    locked against other appenders (where the system allows) until :meth:`close`. An
    abort or a failed write cuts the file back to its former length. A file that does
    not exist yet is created as above.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        software: str | None = None,
        record_id: Callable[[], str] | None = None,
        clock: Callable[[], datetime] | None = None,
        append: bool = False,
        keep_on_failure: bool = False,
    ) -> None:
        self._path = Path(path)
        self._keep_on_failure = keep_on_failure
        self._appending = append and self._path.exists()
        self._open_path = self._path if self._appending else Path(f"{self._path}.open")
        self._record_id = record_id or _new_record_id
        self._clock = clock or _utc_now
        self._failure: str | None = None
        self._file: IO[bytes] | None = None
        #: Where this writer's records start: an abort cuts the file back to it.
        self._start = 0
        if self._appending:
            self._file, self._start = _open_for_append(self._path)
        else:
            try:
                self._file = open(self._open_path, "wb")  # noqa: SIM115 (held until close/abort)
            except OSError as exc:
                raise WarcError(
                    f"cannot create the file ({_cause(exc)})", source=str(self._path)
                ) from exc
        self._writer = WARCWriter(_GzipMembers(self._file), gzip=False, warc_version=_WARC_VERSION)
        if self._start == 0:
            try:
                self._write_warcinfo(software or f"news-archiver/{_package_version()}")
            except BaseException:
                self.abort()
                raise
        log.debug("%s %s", "appending to" if self._appending else "writing", self._open_path)

    @property
    def path(self) -> Path:
        """The final path of the WARC file (it is ``<path>.open`` until closed)."""
        return self._path

    @property
    def size(self) -> int:
        """The file's length in bytes so far."""
        self._check_open()
        return self._file.tell()  # type: ignore[union-attr]

    def write_article(self, document: Document, article: Article, *, target_uri: str) -> None:
        """Append the ``resource`` record of one input and its derived records.

        ``target_uri`` is normally :func:`target_uri` of the same arguments.
        """
        self._check_open()
        if not target_uri or any(ch in target_uri for ch in "\r\n"):
            raise WarcError(f"invalid WARC-Target-URI {target_uri!r}", source=str(self._path))
        date = _warc_date(self._clock())
        kind = "text/html" if document.kind == "html" else "text/plain"
        # All records are built before any is written, so that a failure here cannot
        # leave half an article in the file.
        resource = self._record(
            "resource", target_uri, document.raw, f"{kind}; charset={document.encoding}", date
        )
        derived = self._derived_records(
            _refers_to(resource), article, {"source_name": document.name}, date
        )
        self._emit(resource, *derived)

    def write_derived(self, capture: Capture, document: Document, article: Article) -> None:
        """Append the ``conversion`` and ``metadata`` records of a re-extraction of ``capture``.

        Both records refer to the original record, which stays where it is (usually in
        another file), as every derived record does (see :meth:`_derived_records`); the
        metadata JSON names the extractor and its version. ``document`` is what
        ``article`` was extracted from.
        """
        self._check_open()
        refers = {
            "WARC-Refers-To": capture.record_id,
            "WARC-Refers-To-Target-URI": capture.target_uri,
            "WARC-Refers-To-Date": capture.date,
        }
        date = _warc_date(self._clock())
        self._emit(*self._derived_records(refers, article, {"source_name": document.name}, date))

    def write_capture(
        self,
        result: FetchResult,
        *,
        article: Article | None = None,
        metadata: Mapping[str, Any] | None = None,
        payloads: PayloadIndex | None = None,
    ) -> None:
        """Append the records of one fetched page (see docs/warc.md).

        For each exchange of ``result`` (every redirect hop, then the final response) a
        ``request`` record, whose WARC-Concurrent-To names the ``response`` record that
        follows it. Then the derived records of the final response: a ``conversion``
        record with the text of ``article`` when there is one, and a ``metadata`` record
        with ``article.to_dict()`` (or ``{}``) updated with ``metadata``, as JSON.
        Request and response records are dated when the request was sent, the others
        by the writer's clock.

        With ``payloads``, a 200 response whose payload digest it already holds is
        written as a ``revisit`` record (identical-payload-digest profile) referring to
        the first capture of that payload, which saves storing the body again.
        """
        self._check_open()
        # Every record is built before any is written, as in write_article().
        records: list[Any] = []
        for exchange in result.exchanges:
            records += self._exchange_records(exchange)
        if payloads is not None and result.final.status == 200:
            records[-1] = self._deduplicated(records[-1], result.final, payloads)
        date = _warc_date(self._clock())
        records += self._derived_records(_refers_to(records[-1]), article, metadata or {}, date)
        self._emit(*records)

    def _derived_records(
        self,
        refers: dict[str, str],
        article: Article | None,
        metadata: Mapping[str, Any],
        date: str,
    ) -> list[Any]:
        """The ``conversion`` (when there is an article) and ``metadata`` records of a capture.

        Both carry ``refers``: the capture's record ID, URI and date. Their own
        WARC-Target-URI is the capture's with a ``urn:text:`` or ``urn:metadata:`` prefix,
        so that replay tools, which look pages up by URI, never serve them in place of
        the page.
        """
        uri = refers["WARC-Refers-To-Target-URI"]
        records = []
        if article is not None:
            records.append(
                self._record(
                    "conversion",
                    TEXT_URI_PREFIX + uri,
                    article.text.encode("utf-8"),
                    "text/plain; charset=utf-8",
                    date,
                    extra=refers,
                )
            )
        data = article.to_dict() if article is not None else {}
        data.update(metadata)
        records.append(
            self._record(
                "metadata",
                METADATA_URI_PREFIX + uri,
                json.dumps(data, ensure_ascii=False).encode("utf-8"),
                "application/json",
                date,
                extra=refers,
            )
        )
        return records

    def _deduplicated(self, response: Any, exchange: Exchange, payloads: PayloadIndex) -> Any:
        """``response``, or a revisit record when ``payloads`` knows its payload."""
        capture = CaptureRef(
            record_id=response.rec_headers.get_header("WARC-Record-ID"),
            target_uri=exchange.url,
            date=response.rec_headers.get_header("WARC-Date"),
        )
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        first = payloads.first_capture(digest, capture)
        if first == capture:
            return response
        revisit = self._writer.create_revisit_record(
            exchange.url,
            digest,
            first.target_uri,
            first.date,
            http_headers=response.http_headers,
            warc_headers_dict={
                "WARC-Record-ID": capture.record_id,
                "WARC-Date": capture.date,
                "WARC-Refers-To": first.record_id,
                **({"WARC-IP-Address": exchange.ip_address} if exchange.ip_address else {}),
            },
        )
        return revisit

    def _exchange_records(self, exchange: Exchange) -> list[Any]:
        """The ``request`` and ``response`` records of one exchange, in that order."""
        date = _warc_date(exchange.date)
        response_headers = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".rstrip(),
            list(exchange.headers),
            protocol=exchange.http_version,
        )
        response = self._record(
            "response",
            exchange.url,
            exchange.body,
            "application/http; msgtype=response",
            date,
            extra={"WARC-IP-Address": exchange.ip_address} if exchange.ip_address else None,
            http_headers=response_headers,
        )
        request_headers = StatusAndHeaders(
            exchange.request_line, list(exchange.request_headers), is_http_request=True
        )
        request = self._record(
            "request",
            exchange.url,
            b"",
            "application/http; msgtype=request",
            date,
            extra={"WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
            http_headers=request_headers,
        )
        return [request, response]

    def close(self) -> None:
        """Flush and sync the file, then rename it to its final name (atomically)."""
        if self._file is None:
            self._check_not_failed()
            return
        file, self._file = self._file, None
        try:
            with file:
                file.flush()
                os.fsync(file.fileno())
            if self._appending:
                log.debug("appended to %s", self._path)
                return
            os.replace(self._open_path, self._path)
        except OSError as exc:
            if self._appending:
                _truncate(self._path, self._start)
                self._failure = f"cannot finish the file ({_cause(exc)})"
                raise WarcError(self._failure, source=str(self._path)) from exc
            _unlink(self._open_path)
            self._failure = f"cannot finish the file ({_cause(exc)})"
            raise WarcError(self._failure, source=str(self._path)) from exc
        _fsync_dir(self._path.parent)
        log.debug("wrote %s", self._path)

    def abort(self) -> None:
        """Close and delete the temporary file: no part of the WARC remains.

        When appending, the file is cut back to its length before this writer.
        """
        if self._file is None:
            return
        file, self._file = self._file, None
        if self._appending:
            try:
                file.flush()
            except OSError:
                pass  # what did reach the file is cut off below
            _truncate(file, self._start)
        try:
            file.close()
        except OSError:
            pass  # the file is being thrown away
        if not self._appending:
            _unlink(self._open_path)
        log.debug("aborted %s", self._path)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _write_warcinfo(self, software: str) -> None:
        fields = {
            "software": software,
            "format": "WARC File Format 1.1",
            "conformsTo": _CONFORMS_TO,
        }
        block = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
        warcinfo = self._record(
            "warcinfo",
            None,
            block.encode("utf-8"),
            "application/warc-fields",
            _warc_date(self._clock()),
            extra={"WARC-Filename": self._path.name},
        )
        self._emit(warcinfo)

    def _record(
        self,
        record_type: str,
        uri: str | None,
        block: bytes,
        content_type: str,
        date: str,
        *,
        extra: dict[str, str] | None = None,
        http_headers: Any = None,
    ) -> Any:
        record_id = self._record_id()
        if not _RECORD_ID.fullmatch(record_id):
            raise WarcError(
                f"record_id() returned {record_id!r}, not a '<urn:uuid:...>' id",
                source=str(self._path),
            )
        headers = {"WARC-Type": record_type, "WARC-Record-ID": record_id, "WARC-Date": date}
        headers.update(extra or {})
        return self._writer.create_warc_record(
            uri or "",
            record_type,
            payload=io.BytesIO(block),
            length=len(block),
            warc_content_type=content_type,
            warc_headers_dict=headers,
            http_headers=http_headers,
        )

    def _emit(self, *records: Any) -> None:
        file = self._file
        assert file is not None  # _check_open() said so
        start = file.tell()
        try:
            for record in records:
                self._writer.write_record(record)
            # To the OS at once: a process killed later loses none of it.
            file.flush()
        except OSError as exc:
            self._failure = f"cannot write to the file ({_cause(exc)})"
            if self._keep_on_failure and not self._appending:
                # What came before this write stays, .open, for salvage(). Closed before
                # it is cut, so that no buffered byte lands after the cut.
                self._file = None
                _close_quietly(file)
                _truncate(self._open_path, start)
            else:
                # What is on disk now ends mid-record: it cannot be kept.
                self.abort()
            raise WarcError(self._failure, source=str(self._path)) from exc

    def _check_open(self) -> None:
        self._check_not_failed()
        if self._file is None:
            raise WarcError("the writer is closed", source=str(self._path))

    def _check_not_failed(self) -> None:
        if self._failure:
            raise WarcError(f"not written: {self._failure}", source=str(self._path))


class _GzipMembers:
    """The stream warcio writes to: gzips each record into a gzip member of its own.

    warcio ends every record with a flush, which ends the member here. Its own gzip
    (zlib at level 9) takes about three times the CPU of zlib-ng at level 6 for files
    within 1% of the size (160 KB news pages: 4.8 against 1.5 ms), and in bulk archiving
    that CPU is taken from extraction.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._compressor: Any = None

    def write(self, data: bytes) -> None:
        if self._compressor is None:
            self._compressor = zlib_ng.compressobj(6, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS + 16)
        self._file.write(self._compressor.compress(data))

    def flush(self) -> None:
        if self._compressor is not None:
            self._file.write(self._compressor.flush())
            self._compressor = None


@dataclass(frozen=True, slots=True)
class Salvaged:
    """What :func:`salvage` kept of a WARC file: its final path and what it holds."""

    path: Path
    #: The JSON of each metadata record kept, in file order.
    metadata: list[dict[str, Any]]
    #: The first capture of each payload digest among the 200 responses kept.
    payloads: dict[str, CaptureRef]


def salvage(open_path: str | os.PathLike[str]) -> Salvaged | None:
    """Finish a ``<name>.open`` file that a killed writer left: cut it, rename it.

    Every record group this module writes ends with a ``metadata`` record, so the file
    is cut back to the end of its last complete metadata record, dropping any group the
    kill interrupted, and renamed to ``<name>``. A file with no complete group is
    deleted and None returned. Raises :class:`~archiver.errors.WarcError` when the
    file cannot be read, cut or renamed.
    """
    source = Path(open_path)
    if source.suffix != ".open":
        raise WarcError("not a .open file", source=str(source))
    metadata: list[dict[str, Any]] = []
    payloads: dict[str, CaptureRef] = {}
    end = 0
    pending: dict[str, CaptureRef] = {}
    try:
        with open(source, "rb") as file:
            records = ArchiveIterator(file, check_digests=True)
            try:
                for record in records:
                    headers = record.rec_headers
                    content = record.content_stream().read()
                    records.read_to_end(record)
                    if (
                        record.rec_type == "response"
                        and record.http_headers.get_statuscode() == "200"
                    ):
                        digest = headers.get_header("WARC-Payload-Digest")
                        capture = CaptureRef(
                            record_id=headers.get_header("WARC-Record-ID"),
                            target_uri=headers.get_header("WARC-Target-URI"),
                            date=headers.get_header("WARC-Date"),
                        )
                        pending.setdefault(digest, capture)
                    if record.rec_type == "metadata":
                        metadata.append(json.loads(content))
                        end = records.get_record_offset() + records.get_record_length()
                        for digest, capture in pending.items():
                            payloads.setdefault(digest, capture)
                        pending.clear()
            except Exception as exc:  # noqa: BLE001 (the cut: warcio and zlib raise many kinds)
                log.info("%s: cut after its last complete record (%s)", source, _cause(exc))
        if not metadata:
            _unlink(source)
            return None
        _truncate(source, end)
        final = source.with_suffix("")
        os.replace(source, final)
    except OSError as exc:
        raise WarcError(f"cannot salvage it ({_cause(exc)})", source=str(source)) from exc
    _fsync_dir(final.parent)
    return Salvaged(path=final, metadata=metadata, payloads=payloads)


def _refers_to(record: Any) -> dict[str, str]:
    """The WARC-Refers-To headers that point at ``record``."""
    headers = record.rec_headers
    return {
        "WARC-Refers-To": headers.get_header("WARC-Record-ID"),
        "WARC-Refers-To-Target-URI": headers.get_header("WARC-Target-URI"),
        "WARC-Refers-To-Date": headers.get_header("WARC-Date"),
    }


def read(path: str | os.PathLike[str]) -> Iterator[Article]:
    """Stream back the Articles stored by :meth:`WarcWriter.write_article`.

    One Article is yielded per metadata record of ours, in file order (an input
    extracted twice gives two). Other records are skipped. Digests and record lengths
    are checked; a missing, unreadable, truncated or otherwise invalid file raises
    :class:`~archiver.errors.WarcError` naming the file and the cause.
    """
    # Checked now, not on the first next(), so that a wrong path fails at the call.
    return _read(_checked_source(path))


def verify(path: str | os.PathLike[str]) -> int:
    """Read every record of a WARC file, checking it as :func:`read` does.

    Returns the number of records; raises :class:`~archiver.errors.WarcError` naming
    the file and the cause when it is missing, not a WARC file, truncated or corrupt.
    """
    return sum(1 for _ in _records(_checked_source(path), keep=frozenset()))


def _checked_source(path: str | os.PathLike[str]) -> Path:
    source = Path(path)
    if not source.exists():
        raise WarcError("no such file", source=str(source))
    if source.is_dir():
        raise WarcError("is a directory, not a WARC file", source=str(source))
    return source


def _read(source: Path) -> Iterator[Article]:
    for record, payload in _records(source, keep=_METADATA):
        if record.rec_type != "metadata":
            continue
        article = _article(record, payload, source)
        if article is not None:
            yield article


def _records(source: Path, *, keep: frozenset[str]) -> Generator[tuple[Any, bytes], None, None]:
    """Every record of ``source`` with its block, checked; the block is kept (else empty)
    only for the record types in ``keep``, so that large captures cost no memory."""
    try:
        with open(source, "rb") as file:
            magic = file.read(2)
            if not magic:
                raise WarcError("the file is empty", source=str(source))
            file.seek(0)
            stream: IO[bytes] | _GzipReader = file
            if magic == _GZIP_MAGIC:
                stream = _GzipReader(file, source)
            count = 0
            for record in ArchiveIterator(stream, check_digests="raise"):
                count += 1
                if record.format != "warc":
                    # warcio also reads ARC, and takes many a text line for an ARC header.
                    raise WarcError("not a WARC file (no WARC/1.x header)", source=str(source))
                yield record, _read_block(record, source, keep=record.rec_type in keep)
            if not count:
                raise WarcError("not a WARC file (no records found)", source=str(source))
    except ArchiverError:
        raise
    except (ArchiveLoadFailed, OSError, ValueError, EOFError, zlib.error) as exc:
        raise WarcError(f"not a readable WARC file ({_cause(exc)})", source=str(source)) from exc


@dataclass(frozen=True, slots=True)
class Capture:
    """A page stored in a WARC file: a ``resource``, ``response`` or ``revisit`` record.

    ``payload`` is the page itself: the block of a ``resource`` record, or the HTTP body
    of a ``response`` record with its transfer and content encodings (chunked, gzip,
    ...) undone. ``content_type`` is the page's type: the record's Content-Type for a
    resource, the HTTP Content-Type for a response (None when absent). ``date`` is the
    record's WARC-Date exactly as written, for WARC-Refers-To-Date. A revisit record's
    payload and content type are those of the response it revisits.
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


@dataclass(frozen=True, slots=True)
class ArchivedArticle:
    """An Article read from a WARC file, with the capture it was extracted from.

    ``target_uri`` is the capture's WARC-Target-URI and ``capture_id`` its
    WARC-Record-ID (the ``resource`` or ``response`` record holding the page), both
    named by the metadata record's WARC-Refers-To headers. ``captured`` is the
    capture's WARC-Date and ``extracted`` the metadata record's.
    """

    article: Article
    target_uri: str
    capture_id: str
    captured: datetime
    extracted: datetime
    #: The WARC file holding the metadata record.
    warc: Path


#: The record types that hold a page.
_CAPTURE_TYPES = frozenset({"resource", "response"})
_RESPONSE = frozenset({"response"})
#: The media types worth extracting; a capture with no Content-Type is taken too.
_PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
_FRACTION = re.compile(r"\.(\d+)")


def read_captures(
    path: str | os.PathLike[str],
    *,
    originals: Originals | Iterable[str | os.PathLike[str]] = (),
) -> Iterator[Capture]:
    """Stream the pages stored in a WARC file, in file order.

    Yields every ``resource`` and ``response`` record whose type is HTML or plain text
    (or not given), skipping responses whose HTTP status is not 2xx: what
    ``archiver reprocess`` re-extracts. A ``revisit`` record comes after the others,
    with the payload of the response that has its payload digest: looked for in the
    same file, then in the ``originals`` files in their order (as a bulk run that
    rotated its files leaves them: a revisit may refer to a capture of an earlier
    file); an :class:`Originals` shared by the calls of a run reads each of them once
    at most for what they lack. A revisit whose response is in none of them is
    skipped, with a log line, and so are the ``originals`` that cannot be read. Errors
    are those of :func:`read`.
    """
    return _read_captures(_checked_source(path), originals)


def _read_captures(
    source: Path, originals: Originals | Iterable[str | os.PathLike[str]]
) -> Iterator[Capture]:
    # Revisit records hold no body: each is yielded after the file, with the body of the
    # response it points at (by payload digest), found in a second pass.
    revisits: dict[str, list[Any]] = {}
    own: set[str] = set()  # the payload digests of the file's responses
    for record, block in _records(source, keep=_CAPTURE_TYPES):
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        if record.rec_type == "revisit" and digest:
            revisits.setdefault(digest, []).append(record)
        elif record.rec_type in _CAPTURE_TYPES:
            if record.rec_type == "response" and digest:
                own.add(digest)
            capture = _capture(record, block, source)
            if capture is not None:
                yield capture
    if not own.isdisjoint(revisits):
        yield from _revisited(source, source, revisits, None)
    if revisits:
        found = originals if isinstance(originals, Originals) else Originals(originals)
        yield from found.revisited(source, frozenset(own), revisits)
    for digest, left in revisits.items():
        log.info(
            "%s: %d revisit records of %s skipped: no file read has the original",
            source,
            len(left),
            digest,
        )


class Originals:
    """WARC files to look in for the responses that revisit records refer to.

    Given as ``originals`` to :func:`read_captures` of many files, it remembers the
    payload digests of each file it has read through, so that a file is read again only
    for a digest it holds: a revisit found nowhere costs one read of each file per run,
    not one per file with such a revisit.
    """

    def __init__(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        self._paths = list(dict.fromkeys(Path(path) for path in paths))
        self._digests: dict[Path, frozenset[str]] = {}

    def revisited(
        self, source: Path, digests: frozenset[str], revisits: dict[str, list[Any]]
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
                yield from _revisited(source, place, revisits, self._digests)


def _revisited(
    source: Path,
    place: Path,
    revisits: dict[str, list[Any]],
    digests: dict[Path, frozenset[str]] | None,
) -> Iterator[Capture]:
    """The Captures of ``revisits`` (by payload digest, found ones are taken out), with
    the bodies of their originals in the file ``place``. A ``place`` not yet in
    ``digests`` is read to its end, and the payload digests of its responses noted there
    (with ``digests`` None, the reading stops once all revisits are found)."""
    records = _records(place, keep=_RESPONSE)
    note = digests is not None and place not in digests
    seen: set[str] = set()
    with contextlib.closing(records):
        while revisits or note:
            try:
                found = next(records, None)
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
                capture = _capture(record, block, place)
                if capture is not None:
                    headers = revisit.rec_headers
                    yield dataclasses.replace(
                        capture,
                        warc=source,
                        record_id=str(headers.get_header("WARC-Record-ID")),
                        record_type="revisit",
                        target_uri=str(headers.get_header("WARC-Target-URI") or ""),
                        date=_header_date(revisit, source),
                    )


def _capture(record: Any, block: bytes, source: Path) -> Capture | None:
    """The Capture of a resource or response record; None when it is not a page."""
    headers = record.rec_headers
    status: int | None = None
    if record.http_headers is not None:
        content_type = record.http_headers.get_header("Content-Type")
        try:
            status = int(record.http_headers.get_statuscode())
        except (TypeError, ValueError):
            status = None
    else:
        content_type = headers.get_header("Content-Type")
    uri = str(headers.get_header("WARC-Target-URI") or "")
    mime = str(content_type or "").split(";")[0].strip().lower()
    if (mime and mime not in _PAGE_TYPES) or (status is not None and status // 100 != 2):
        log.debug("%s: %s is not a page (%s, status %s): skipped", source, uri, mime, status)
        return None
    return Capture(
        warc=source,
        record_id=str(headers.get_header("WARC-Record-ID")),
        record_type=str(record.rec_type),
        target_uri=uri,
        date=_header_date(record, source),
        content_type=str(content_type) if content_type else None,
        payload=_http_body(record, block, source) if record.http_headers else block,
        status=status,
    )


def _http_body(record: Any, block: bytes, source: Path) -> bytes:
    # warcio's content_stream() undoes chunking and Content-Encoding; the block has
    # already been read (to check it), so it is handed the bytes again.
    record.raw_stream = io.BytesIO(block)
    try:
        return bytes(record.content_stream().read())
    except (OSError, ValueError, EOFError, zlib.error) as exc:
        # A body that does not decompress is kept as stored: extracting it then fails
        # for this page alone, naming the cause.
        uri = record.rec_headers.get_header("WARC-Target-URI")
        log.debug("%s: %s: cannot decode the HTTP body: %s", source, uri, _cause(exc))
        return block


def read_latest(paths: Iterable[str | os.PathLike[str]]) -> Iterator[ArchivedArticle]:
    """Stream the newest Article of each capture stored in the WARC files ``paths``.

    A capture extracted several times (re-extractions add records, often in another
    file) yields only its newest Article: the one whose metadata record has the latest
    WARC-Date, the later in file order on a tie. Articles come in file order, files in
    the order given. Memory holds a few IDs per capture, not the Articles: the files
    are read twice, once to find the newest records and once to yield them. Errors are
    those of :func:`read`; a missing file raises at the call.
    """
    sources = [_checked_source(path) for path in paths]
    return _read_latest(sources)


def _read_latest(sources: list[Path]) -> Iterator[ArchivedArticle]:
    newest: dict[str, tuple[datetime, int]] = {}
    for number, entry in enumerate(_all_entries(sources)):
        key = (entry.extracted, number)
        if entry.capture_id not in newest or key >= newest[entry.capture_id]:
            newest[entry.capture_id] = key
    wanted = {number for _, number in newest.values()}
    for number, entry in enumerate(_all_entries(sources)):
        if number in wanted:
            yield entry


def _all_entries(sources: list[Path]) -> Iterator[ArchivedArticle]:
    for source in sources:
        yield from _entries(source)


def _entries(source: Path) -> Iterator[ArchivedArticle]:
    """Every Article of ``source`` with its capture, in file order."""
    for record, payload in _records(source, keep=_METADATA):
        if record.rec_type != "metadata":
            continue
        article = _article(record, payload, source)
        if article is None:
            continue
        headers = record.rec_headers
        record_id = str(headers.get_header("WARC-Record-ID"))
        extracted = _header_date(record, source)
        # A metadata record of ours refers to its capture, often in another file.
        yield ArchivedArticle(
            article=article,
            target_uri=str(
                headers.get_header("WARC-Refers-To-Target-URI")
                or headers.get_header("WARC-Target-URI")
                or ""
            ),
            capture_id=str(headers.get_header("WARC-Refers-To") or record_id),
            captured=_parse_warc_date(
                headers.get_header("WARC-Refers-To-Date") or extracted, record_id, source
            ),
            extracted=_parse_warc_date(extracted, record_id, source),
            warc=source,
        )


def _header_date(record: Any, source: Path) -> str:
    value = record.rec_headers.get_header("WARC-Date")
    if not value:
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        raise WarcError(f"record {record_id} has no WARC-Date", source=str(source))
    return str(value)


def _parse_warc_date(value: str, record_id: str, source: Path) -> datetime:
    """A WARC-Date (``2024-03-01T10:30:15Z``, maybe with a fraction) as an aware datetime."""
    # Python 3.10's fromisoformat() takes only 3 or 6 digits of fraction.
    text = _FRACTION.sub(lambda m: "." + m.group(1).ljust(6, "0")[:6], value.strip(), count=1)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        message = f"record {record_id}: invalid date {value!r}"
        raise WarcError(message, source=str(source)) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class _GzipReader:
    """Decompresses a multi-member gzip stream for warcio, failing loudly on damage.

    warcio takes a truncated gzip member for the end of the file; GzipFile checks each
    member's end marker, CRC and length, but reports a truncation as EOFError, which
    warcio would also swallow as the end of the records.
    """

    def __init__(self, file: IO[bytes], source: Path) -> None:
        self._gzip = gzip.GzipFile(fileobj=file, mode="rb")
        self._source = source

    def read(self, size: int = -1) -> bytes:
        try:
            return self._gzip.read(size)
        except EOFError as exc:
            message = "truncated: the gzip data ends mid-record"
            raise WarcError(message, source=str(self._source)) from exc

    def tell(self) -> int:
        return self._gzip.tell()


def _read_block(record: Any, source: Path, *, keep: bool) -> bytes:
    """The record's block (after its HTTP headers, if any) when ``keep``, else b"".

    Either way the block is read to its end, so that its length and digests are checked.
    """
    parts: list[bytes] = []
    size = 0
    while chunk := record.raw_stream.read(_CHUNK):
        size += len(chunk)
        if keep:
            parts.append(chunk)
    what = f"a {record.rec_type} record" if record.rec_type else "a record"
    expected = record.length
    if expected is None:
        raise WarcError(f"{what} has no Content-Length", source=str(source))
    if record.http_headers is not None:
        # warcio has already consumed the HTTP headers of a response or request record.
        expected -= record.http_headers.total_len
    if size != expected:
        raise WarcError(
            f"truncated: {what} ends after {size} of its {expected} bytes", source=str(source)
        )
    return b"".join(parts)


def _article(record: Any, payload: bytes, source: Path) -> Article | None:
    content_type = str(record.rec_headers.get_header("Content-Type") or "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not _ARTICLE_KEYS <= data.keys():
        log.debug("%s: skipping a metadata record that is not an Article", source)
        return None
    try:
        return Article.from_dict(data)
    except ArchiverError as exc:
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        raise WarcError(f"record {record_id}: {exc.message}", source=str(source)) from exc


def _cause(exc: BaseException) -> str:
    # warcio messages can span several indented lines; keep the first meaningful one.
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _warc_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _package_version() -> str:
    try:
        return version("news-archiver")
    except PackageNotFoundError:
        return "0+unknown"


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot remove %s: %s", path, exc.strerror or exc)


def _open_for_append(path: Path) -> tuple[IO[bytes], int]:
    """``path`` opened to append, locked, with its length; it must be a gzip WARC."""
    try:
        file = open(path, "ab")  # noqa: SIM115 (held until close/abort)
    except OSError as exc:
        raise WarcError(
            f"cannot open the file to append ({_cause(exc)})", source=str(path)
        ) from exc
    try:
        _lock(file, path)
        # Measured once locked: another appender may have just finished.
        size = os.fstat(file.fileno()).st_size
        if size:
            with open(path, "rb") as head:
                magic = head.read(2)
            if magic != _GZIP_MAGIC:
                # Gzip members after uncompressed records would make a file few tools read.
                raise WarcError("cannot append: not a gzip-compressed WARC file", source=str(path))
    except OSError as exc:
        file.close()
        raise WarcError(
            f"cannot open the file to append ({_cause(exc)})", source=str(path)
        ) from exc
    except BaseException:
        file.close()
        raise
    return file, size


def _lock(file: IO[bytes], path: Path) -> None:
    """Wait for the other appenders (up to :data:`_LOCK_WAIT` seconds), then lock."""
    try:
        import fcntl
    except ImportError:  # not on Windows: appenders there must take turns themselves
        return
    deadline = time.monotonic() + _LOCK_WAIT
    while True:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            # Bounded, so that a writer left open in this very process cannot hang us.
            if time.monotonic() > deadline:
                raise WarcError(
                    f"cannot append: another writer has held the file for {_LOCK_WAIT:g} s",
                    source=str(path),
                ) from None
            time.sleep(0.05)


def _close_quietly(file: IO[bytes]) -> None:
    try:
        file.close()
    except OSError:
        pass  # the failure that matters is already being reported


def _truncate(file: IO[bytes] | Path, size: int) -> None:
    try:
        if isinstance(file, Path):
            os.truncate(file, size)
        else:
            os.ftruncate(file.fileno(), size)
    except OSError as exc:
        log.warning("cannot cut back the WARC file to %d bytes: %s", size, _cause(exc))


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
