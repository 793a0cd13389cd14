"""Writing Articles to WARC/1.1 files and reading them back.

This is the only module that imports warcio. Each article becomes three records that
share one WARC-Target-URI: a ``resource`` record with the input bytes unchanged, a
``conversion`` record with the extracted text, and a ``metadata`` record with the
Article as JSON. See docs/warc.md for the layout.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import re
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.warcwriter import WARCWriter

from .article import Article
from .document import Document
from .errors import ArchiverError, WarcError

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self needs Python 3.11

__all__ = ["WarcWriter", "read", "target_uri"]

log = logging.getLogger(__name__)

_WARC_VERSION = "WARC/1.1"
_CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
_RECORD_ID = re.compile(r"<urn:uuid:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}>")
# The keys Article.to_dict() always writes: a JSON metadata record holding all of them
# is ours, and failing to rebuild it is an error rather than a foreign record to skip.
_ARTICLE_KEYS = frozenset({"text", "extractor", "input_kind"})
_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


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


class WarcWriter:
    """Writes one WARC/1.1 file, each record its own gzip member.

    The file is written as ``<path>.open`` and renamed to ``<path>`` by :meth:`close`,
    so that a WARC under its final name is always complete. A ``warcinfo`` record is
    written on opening. ``record_id`` returns WARC-Record-ID values in
    ``<urn:uuid:...>`` form and ``clock`` the time for WARC-Date (naive datetimes are
    taken as UTC); both exist so that output can be made reproducible. Used as a
    context manager, the file is closed on success and aborted on an exception.

    If writing fails (a full disk, say), the file is removed at once and every later
    call, :meth:`close` included, raises :class:`~archiver.errors.WarcError`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        software: str | None = None,
        record_id: Callable[[], str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._path = Path(path)
        self._open_path = Path(f"{self._path}.open")
        self._record_id = record_id or _new_record_id
        self._clock = clock or _utc_now
        self._failure: str | None = None
        self._file: IO[bytes] | None = None
        try:
            self._file = open(self._open_path, "wb")  # noqa: SIM115 (held until close/abort)
        except OSError as exc:
            raise WarcError(
                f"cannot create the file ({_cause(exc)})", source=str(self._path)
            ) from exc
        self._writer = WARCWriter(self._file, gzip=True, warc_version=_WARC_VERSION)
        try:
            self._write_warcinfo(software or f"news-archiver/{_package_version()}")
        except BaseException:
            self.abort()
            raise
        log.debug("writing %s", self._open_path)

    @property
    def path(self) -> Path:
        """The final path of the WARC file (it is ``<path>.open`` until closed)."""
        return self._path

    def write_article(self, document: Document, article: Article, *, target_uri: str) -> None:
        """Append the ``resource``, ``conversion`` and ``metadata`` records of one article.

        ``target_uri`` is normally :func:`target_uri` of the same arguments.
        """
        self._check_open()
        if not target_uri or any(ch in target_uri for ch in "\r\n"):
            raise WarcError(f"invalid WARC-Target-URI {target_uri!r}", source=str(self._path))
        date = _warc_date(self._clock())
        kind = "text/html" if document.kind == "html" else "text/plain"
        metadata = article.to_dict()
        metadata["source_name"] = document.name
        # All three records are built before any is written, so that a failure here
        # cannot leave half an article in the file.
        resource = self._record(
            "resource", target_uri, document.raw, f"{kind}; charset={document.encoding}", date
        )
        conversion = self._record(
            "conversion",
            target_uri,
            article.text.encode("utf-8"),
            "text/plain; charset=utf-8",
            date,
            refers_to=resource,
        )
        meta = self._record(
            "metadata",
            target_uri,
            json.dumps(metadata, ensure_ascii=False).encode("utf-8"),
            "application/json",
            date,
            refers_to=conversion,
        )
        self._emit(resource, conversion, meta)

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
            os.replace(self._open_path, self._path)
        except OSError as exc:
            _unlink(self._open_path)
            self._failure = f"cannot finish the file ({_cause(exc)})"
            raise WarcError(self._failure, source=str(self._path)) from exc
        _fsync_dir(self._path.parent)
        log.debug("wrote %s", self._path)

    def abort(self) -> None:
        """Close and delete the temporary file: no part of the WARC remains."""
        if self._file is None:
            return
        file, self._file = self._file, None
        try:
            file.close()
        except OSError:
            pass  # the file is being thrown away
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
        refers_to: Any = None,
        extra: dict[str, str] | None = None,
    ) -> Any:
        record_id = self._record_id()
        if not _RECORD_ID.fullmatch(record_id):
            raise WarcError(
                f"record_id() returned {record_id!r}, not a '<urn:uuid:...>' id",
                source=str(self._path),
            )
        headers = {"WARC-Type": record_type, "WARC-Record-ID": record_id, "WARC-Date": date}
        if refers_to is not None:
            headers["WARC-Refers-To"] = refers_to.rec_headers.get_header("WARC-Record-ID")
        headers.update(extra or {})
        return self._writer.create_warc_record(
            uri or "",
            record_type,
            payload=io.BytesIO(block),
            length=len(block),
            warc_content_type=content_type,
            warc_headers_dict=headers,
        )

    def _emit(self, *records: Any) -> None:
        try:
            for record in records:
                self._writer.write_record(record)
        except OSError as exc:
            # What is on disk now ends mid-record: it cannot be kept.
            self._failure = f"cannot write to the file ({_cause(exc)})"
            self.abort()
            raise WarcError(self._failure, source=str(self._path)) from exc

    def _check_open(self) -> None:
        self._check_not_failed()
        if self._file is None:
            raise WarcError("the writer is closed", source=str(self._path))

    def _check_not_failed(self) -> None:
        if self._failure:
            raise WarcError(f"not written: {self._failure}", source=str(self._path))


def read(path: str | os.PathLike[str]) -> Iterator[Article]:
    """Stream back the Articles stored by :meth:`WarcWriter.write_article`.

    One Article is yielded per metadata record of ours, in file order (an input
    extracted twice gives two). Other records are skipped. Digests and record lengths
    are checked; a missing, unreadable, truncated or otherwise invalid file raises
    :class:`~archiver.errors.WarcError` naming the file and the cause.
    """
    source = Path(path)
    # Checked now, not on the first next(), so that a wrong path fails at the call.
    if not source.exists():
        raise WarcError("no such file", source=str(source))
    if source.is_dir():
        raise WarcError("is a directory, not a WARC file", source=str(source))
    return _read(source)


def _read(source: Path) -> Iterator[Article]:
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
                payload = _read_block(record, source)
                if record.rec_type != "metadata":
                    continue
                article = _article(record, payload, source)
                if article is not None:
                    yield article
            if not count:
                raise WarcError("not a WARC file (no records found)", source=str(source))
    except ArchiverError:
        raise
    except (ArchiveLoadFailed, OSError, ValueError, EOFError, zlib.error) as exc:
        raise WarcError(f"not a readable WARC file ({_cause(exc)})", source=str(source)) from exc


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


def _read_block(record: Any, source: Path) -> bytes:
    """The record's block; only a metadata record's is kept, the others are just checked."""
    keep = record.rec_type == "metadata"
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
