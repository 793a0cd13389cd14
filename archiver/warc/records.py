"""The records of a WARC file, as :class:`~archiver.warc.WarcWriter` makes them.

Each article becomes a capture (a ``resource`` record with the input bytes unchanged,
or the ``response`` record of a fetch) and two derived records that refer to it: a
``conversion`` record with the extracted text and a ``metadata`` record with the
rest of the Article as JSON, naming the conversion record. A fetched page becomes a
``request`` and a ``response`` record per HTTP exchange, a response whose payload is
already stored a ``revisit`` record. See docs/warc.md for the layout.
:class:`RecordMaker` makes them all with warcio and writes each as a gzip member of its
own.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from zlib_ng import zlib_ng

from ..article import Article
from ..errors import WarcError
from ..files import printable_path

if TYPE_CHECKING:
    from ..capture import Exchange

__all__ = [
    "METADATA_URI_PREFIX",
    "NOT_MODIFIED_PROFILE",
    "SOFTWARE",
    "TEXT_RECORD",
    "TEXT_URI_PREFIX",
    "CaptureRef",
    "PayloadIndex",
    "RecordMaker",
    "Stored",
    "full_fetch",
    "refers_to",
    "warc_date",
]

#: The software a file's ``warcinfo`` record names, before ``/`` and the version.
SOFTWARE = "news-archiver"
#: The WARC-Profile of a revisit record that stands for a 304 (Not Modified) answer.
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
#: Prefixes of the WARC-Target-URI of a capture's ``conversion`` and ``metadata``
#: records: ``urn:text:`` is webrecorder's (browsertrix-crawler's) for extracted text.
TEXT_URI_PREFIX = "urn:text:"
METADATA_URI_PREFIX = "urn:metadata:"
#: The key of the metadata JSON that names (by WARC-Record-ID) the conversion record
#: holding the Article's text, which the JSON leaves out.
TEXT_RECORD = "text_record"

_WARC_VERSION = "WARC/1.1"
_CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
_RECORD_ID = re.compile(r"<urn:uuid:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}>")


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """Where a capture is: its record ID, WARC-Target-URI and WARC-Date."""

    record_id: str
    target_uri: str
    date: str


@dataclass(frozen=True, slots=True)
class Stored:
    """Where a capture's records went: what an index of the file needs to find them."""

    #: The WARC-Record-ID, WARC-Target-URI and WARC-Date of the capture (a ``response``,
    #: ``revisit`` or ``resource`` record; for a re-extraction, the original's).
    capture_id: str
    target_uri: str
    date: str
    #: Whether the capture is a ``revisit`` record (its payload was stored before).
    revisit: bool
    #: The WARC-Payload-Digest of the capture, when it has one.
    digest: str | None
    #: The WARC-Record-ID and WARC-Date of the metadata record.
    metadata_id: str
    metadata_date: str
    #: Where the Article's records (their first gzip member) start in the file: the
    #: conversion record, which holds the text, or the metadata record when there is
    #: none (see :func:`~archiver.warc.article_at`).
    offset: int


class PayloadIndex(Protocol):
    """The payload digests already stored, for writing revisit records."""

    def first_capture(self, digest: str, capture: CaptureRef) -> CaptureRef:
        """The first capture of the payload ``digest``: ``capture`` itself when it is new.

        A new digest is remembered, with ``capture`` as its first capture.
        """
        ...


class RecordMaker:
    """Makes the records of one WARC file and writes them, each its own gzip member
    (uncompressed with ``gzip=False``).

    ``record_id`` returns the WARC-Record-ID of each record made (it must be in
    ``<urn:uuid:...>`` form); ``path`` is the file's final path, named in errors and in
    the ``warcinfo`` record. Records are only made by the other methods: nothing
    reaches ``file`` before :meth:`write`.
    """

    def __init__(
        self, file: IO[bytes], path: Path, record_id: Callable[[], str], *, gzip: bool = True
    ) -> None:
        self._path = path
        self._record_id = record_id
        stream = _GzipMembers(file) if gzip else file
        self._writer = WARCWriter(stream, gzip=False, warc_version=_WARC_VERSION)

    def warcinfo(self, software: str, date: str) -> Any:
        """The ``warcinfo`` record that starts a file written by ``software``."""
        fields = {
            "software": software,
            "format": "WARC File Format 1.1",
            "conformsTo": _CONFORMS_TO,
        }
        block = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
        return self.record(
            "warcinfo",
            None,
            block.encode("utf-8"),
            "application/warc-fields",
            date,
            extra={"WARC-Filename": printable_path(self._path.name)},
        )

    def record(
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
        """A record of the file: the next record ID, ``date`` and ``extra`` as headers."""
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

    def derived_records(
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
        the page. The text is stored once, in the conversion record: the metadata JSON
        is the Article without it, naming the conversion record in :data:`TEXT_RECORD`.
        """
        uri = refers["WARC-Refers-To-Target-URI"]
        records = []
        data: dict[str, Any] = {}
        if article is not None:
            conversion = self.record(
                "conversion",
                TEXT_URI_PREFIX + uri,
                article.text.encode("utf-8"),
                "text/plain; charset=utf-8",
                date,
                extra=refers,
            )
            records.append(conversion)
            data = article.to_dict()
            del data["text"]
            data[TEXT_RECORD] = conversion.rec_headers.get_header("WARC-Record-ID")
        data.update(metadata)
        block = json.dumps(_without_empty(data), ensure_ascii=False, separators=(",", ":"))
        records.append(
            self.record(
                "metadata",
                METADATA_URI_PREFIX + uri,
                block.encode("utf-8"),
                "application/json",
                date,
                extra=refers,
            )
        )
        return records

    def deduplicated(self, response: Any, exchange: Exchange, payloads: PayloadIndex) -> Any:
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
        return self._revisit(response, exchange, first, digest)

    def not_modified(
        self, response: Any, exchange: Exchange, earlier: CaptureRef, digest: str
    ) -> Any:
        """A ``revisit`` record (server-not-modified profile) in place of a 304
        ``response`` to a conditional request: it refers to ``earlier``, the capture
        whose validators were sent, and carries that capture's payload ``digest``."""
        revisit = self._revisit(response, exchange, earlier, digest)
        revisit.rec_headers.replace_header("WARC-Profile", NOT_MODIFIED_PROFILE)
        return revisit

    def _revisit(self, response: Any, exchange: Exchange, earlier: CaptureRef, digest: str) -> Any:
        """A ``revisit`` record (identical-payload-digest profile) in place of
        ``response``, with its ID, date and HTTP headers, referring to ``earlier``."""
        return self._writer.create_revisit_record(
            exchange.url,
            digest,
            earlier.target_uri,
            earlier.date,
            http_headers=response.http_headers,
            warc_headers_dict={
                "WARC-Record-ID": response.rec_headers.get_header("WARC-Record-ID"),
                "WARC-Date": response.rec_headers.get_header("WARC-Date"),
                "WARC-Refers-To": earlier.record_id,
                **({"WARC-IP-Address": exchange.ip_address} if exchange.ip_address else {}),
            },
        )

    def exchange_records(self, exchange: Exchange) -> list[Any]:
        """The ``request`` and ``response`` records of one exchange, in that order."""
        date = warc_date(exchange.date)
        response_headers = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".rstrip(),
            list(exchange.headers),
            protocol=exchange.http_version,
        )
        response = self.record(
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
        request = self.record(
            "request",
            exchange.url,
            b"",
            "application/http; msgtype=request",
            date,
            extra={"WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
            http_headers=request_headers,
        )
        return [request, response]

    def write(self, record: Any) -> None:
        """Write ``record`` to the file (as a gzip member of its own, when gzipped)."""
        self._writer.write_record(record)


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


def _without_empty(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without its null values, empty lists and empty objects, nested ones too.

    Readers take a missing optional key as None or empty, so nothing is lost; empty
    strings stay, since an Article tells them from None.
    """
    kept = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            value = _without_empty(value)
        if value is not None and value != [] and value != {}:
            kept[key] = value
    return kept


def full_fetch(fetched: Mapping[str, Any], capture: Any) -> dict[str, Any]:
    """The ``fetch`` object of a metadata record, whole again, from ``capture``: the
    ``response`` or ``revisit`` record it refers to.

    The JSON leaves out what that record holds: the final URL (its WARC-Target-URI),
    the status and the Content-Type (its HTTP head), the URL asked for when it is the
    final one, and no redirects. Archives written before hold every key; their values
    are kept.
    """
    uri = capture.rec_headers.get_header("WARC-Target-URI")
    head = capture.http_headers
    return {
        "requested_url": uri,
        "url": uri,
        "status": int(head.get_statuscode()) if head is not None else None,
        "content_type": head.get_header("Content-Type") if head is not None else None,
        "redirects": [],
        **fetched,
    }


def refers_to(record: Any) -> dict[str, str]:
    """The WARC-Refers-To headers that point at ``record``."""
    headers = record.rec_headers
    return {
        "WARC-Refers-To": headers.get_header("WARC-Record-ID"),
        "WARC-Refers-To-Target-URI": headers.get_header("WARC-Target-URI"),
        "WARC-Refers-To-Date": headers.get_header("WARC-Date"),
    }


def warc_date(moment: datetime) -> str:
    """``moment`` as a WARC-Date, in UTC (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
