"""Writing Articles and fetched pages to WARC/1.1 files: :class:`WarcWriter`.

Each article becomes a capture and the derived records that refer to it (see
:mod:`archiver.warc.records` and docs/warc.md); a writer also writes the records of a
re-extraction, which refer to the original records (:meth:`WarcWriter.write_derived`).
A fetched page (:meth:`WarcWriter.write_capture`) becomes a ``request`` and a
``response`` record per HTTP exchange, then ``conversion`` and ``metadata`` records; a
writer opened with ``append=True`` adds them to an existing file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from ..article import Article
from ..document import Document
from ..errors import WarcError
from ..files import check_not_special
from ..version import __version__
from .files import (
    cause,
    close_quietly,
    fsync_dir,
    gzipped_name,
    open_for_append,
    truncate,
    unlink,
)
from .records import (
    SOFTWARE,
    CaptureRef,
    PayloadIndex,
    RecordMaker,
    Stored,
    refers_to,
    warc_date,
)

if TYPE_CHECKING:
    from typing import Self

    from ..capture import FetchResult
    from .captures import Capture

__all__ = ["WarcWriter", "target_uri"]

log = logging.getLogger(__name__)


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
    """Writes one WARC/1.1 file, each record its own gzip member; a file named
    ``.warc`` (in any case) is written uncompressed, as the name says.

    The file is written as ``<path>.open`` and renamed to ``<path>`` by :meth:`close`,
    so that a WARC under its final name is always complete. A ``warcinfo`` record is
    written on opening. ``record_id`` returns WARC-Record-ID values in
    ``<urn:uuid:...>`` form and ``clock`` the time for WARC-Date (naive datetimes are
    taken as UTC); both exist so that output can be made reproducible. Used as a
    context manager, the file is closed on success and aborted on an exception.

    If writing fails (a full disk, say), the file is removed at once and every later
    call, :meth:`close` included, raises :class:`~archiver.errors.WarcError`. With
    ``keep_on_failure=True`` it is instead cut back to the end of the last complete
    write and left as ``<path>.open``, for :func:`~archiver.warc.salvage`. Each write
    reaches the operating system before the call returns, so a killed process loses
    none.

    With ``append=True`` an existing file is added to instead: new records go at its
    end, gzipped or not as the file's first record is (whatever its name), under its
    own name, with no new ``warcinfo`` record, and the file is
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
        check_not_special(self._path, "a WARC file")
        self._keep_on_failure = keep_on_failure
        self._appending = append and self._path.exists()
        self._open_path = self._path if self._appending else Path(f"{self._path}.open")
        self._clock = clock or _utc_now
        self._failure: str | None = None
        self._file: IO[bytes] | None = None
        #: Where this writer's records start: an abort cuts the file back to it.
        self._start = 0
        gzipped = gzipped_name(self._path)
        if self._appending:
            self._file, self._start, gzipped = open_for_append(self._path)
        else:
            try:
                self._file = open(self._open_path, "wb")  # held until close/abort
            except OSError as exc:
                raise WarcError(
                    f"cannot create the file ({cause(exc)})", source=str(self._path)
                ) from exc
        self._maker = RecordMaker(self._file, self._path, record_id or _new_record_id, gzip=gzipped)
        if self._start == 0:
            try:
                warcinfo = self._maker.warcinfo(
                    software or f"{SOFTWARE}/{__version__}", warc_date(self._clock())
                )
                self._emit(warcinfo)
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

    def write_article(self, document: Document, article: Article, *, target_uri: str) -> Stored:
        """Append the ``resource`` record of one input and its derived records.

        ``target_uri`` is normally :func:`target_uri` of the same arguments. Returns
        where they went.
        """
        self._check_open()
        if not target_uri or any(ch in target_uri for ch in "\r\n"):
            raise WarcError(f"invalid WARC-Target-URI {target_uri!r}", source=str(self._path))
        date = warc_date(self._clock())
        kind = "text/html" if document.kind == "html" else "text/plain"
        # All records are built before any is written, so that a failure here cannot
        # leave half an article in the file.
        resource = self._maker.record(
            "resource", target_uri, document.raw, f"{kind}; charset={document.encoding}", date
        )
        derived = self._maker.derived_records(
            refers_to(resource), article, {"source_name": document.name}, date
        )
        return _stored(resource, derived, self._emit(resource, *derived))

    def write_derived(self, capture: Capture, document: Document, article: Article) -> Stored:
        """Append the ``conversion`` and ``metadata`` records of a re-extraction of ``capture``.

        Both records refer to the original record, which stays where it is (usually in
        another file), as every derived record does (see
        :meth:`.RecordMaker.derived_records`); the metadata JSON names the extractor and
        its version. ``document`` is what ``article`` was extracted from. Returns where
        the records went (and the capture they refer to).
        """
        self._check_open()
        refers = {
            "WARC-Refers-To": capture.record_id,
            "WARC-Refers-To-Target-URI": capture.target_uri,
            "WARC-Refers-To-Date": capture.date,
        }
        date = warc_date(self._clock())
        records = self._maker.derived_records(refers, article, {"source_name": document.name}, date)
        offset = self._emit(*records)[0]
        headers = records[-1].rec_headers
        return Stored(
            capture_id=capture.record_id,
            target_uri=capture.target_uri,
            date=capture.date,
            revisit=False,
            digest=None,
            metadata_id=str(headers.get_header("WARC-Record-ID")),
            metadata_date=str(headers.get_header("WARC-Date")),
            offset=offset,
        )

    def write_capture(
        self,
        result: FetchResult,
        *,
        article: Article | None = None,
        metadata: Mapping[str, Any] | None = None,
        payloads: PayloadIndex | None = None,
        previous: tuple[CaptureRef, str] | None = None,
    ) -> Stored:
        """Append the records of one fetched page (see docs/warc.md); returns where the
        capture and its metadata record went.

        For each exchange of ``result`` (every redirect hop, then the final response) a
        ``request`` record, whose WARC-Concurrent-To names the ``response`` record that
        follows it. Then the derived records of the final response: a ``conversion``
        record with the text of ``article`` when there is one, and a ``metadata`` record
        with ``article.to_dict()`` (or ``{}``) updated with ``metadata``, as JSON.
        Request and response records are dated when the request was sent, the others
        by the writer's clock.

        With ``payloads``, a 200 response whose payload digest it already holds is
        written as a ``revisit`` record (identical-payload-digest profile) referring to
        the first capture of that payload, which saves storing the body again. With
        ``previous`` (the capture whose validators a conditional request sent, and its
        payload digest), a 304 answer is written as a ``revisit`` record
        (server-not-modified profile) referring to that capture.
        """
        self._check_open()
        # Every record is built before any is written, as in write_article().
        records: list[Any] = []
        for exchange in result.exchanges:
            records += self._maker.exchange_records(exchange)
        if payloads is not None and result.final.status == 200:
            records[-1] = self._maker.deduplicated(records[-1], result.final, payloads)
        elif previous is not None and result.final.status == 304:
            records[-1] = self._maker.not_modified(records[-1], result.final, *previous)
        date = warc_date(self._clock())
        capture = records[-1]
        derived = self._maker.derived_records(refers_to(capture), article, metadata or {}, date)
        return _stored(capture, derived, self._emit(*records, *derived))

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
                truncate(self._path, self._start)
                self._failure = f"cannot finish the file ({cause(exc)})"
                raise WarcError(self._failure, source=str(self._path)) from exc
            unlink(self._open_path)
            self._failure = f"cannot finish the file ({cause(exc)})"
            raise WarcError(self._failure, source=str(self._path)) from exc
        fsync_dir(self._path.parent)
        log.debug("wrote %s", self._path)

    def abort(self) -> None:
        """Close and delete the temporary file: no part of the WARC remains.

        When appending, the file is cut back to its length before this writer.
        """
        if self._file is None:
            return
        file, self._file = self._file, None
        if self._appending:
            # Closed before it is cut: a flush that failed (a full disk) leaves its bytes
            # in the buffer, and close() writes what it can of them again, after a cut
            # made first, in the middle of the file's last record. A duplicate of the
            # descriptor holds the lock (flock's, on the open file) until the cut is made.
            try:
                held = os.fdopen(os.dup(file.fileno()), "rb+", buffering=0)
            except OSError:
                # No descriptor left (EMFILE): cut by name, the lock let go just before,
                # as close() does; an abort raises nothing of its own.
                close_quietly(file)
                truncate(self._path, self._start)
            else:
                with held:
                    close_quietly(file)
                    truncate(held, self._start)
        else:
            close_quietly(file)  # the file is being thrown away
            unlink(self._open_path)
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

    def _emit(self, *records: Any) -> list[int]:
        """Write ``records``; returns the offset in the file where each starts."""
        file = self._file
        assert file is not None  # _check_open() said so
        start = file.tell()
        offsets = []
        try:
            for record in records:
                offsets.append(file.tell())
                self._maker.write(record)
            # To the OS at once: a process killed later loses none of it.
            file.flush()
        except OSError as exc:
            self._failure = f"cannot write to the file ({cause(exc)})"
            if self._keep_on_failure and not self._appending:
                # What came before this write stays, .open, for salvage(). Closed before
                # it is cut, so that no buffered byte lands after the cut.
                self._file = None
                close_quietly(file)
                truncate(self._open_path, start)
            else:
                # What is on disk now ends mid-record: it cannot be kept.
                self.abort()
            raise WarcError(self._failure, source=str(self._path)) from exc
        return offsets

    def _check_open(self) -> None:
        self._check_not_failed()
        if self._file is None:
            raise WarcError("the writer is closed", source=str(self._path))

    def _check_not_failed(self) -> None:
        if self._failure:
            raise WarcError(f"not written: {self._failure}", source=str(self._path))


def _stored(capture: Any, derived: list[Any], offsets: list[int]) -> Stored:
    """Where ``capture`` and its ``derived`` records (written last, at ``offsets``) went."""
    metadata = derived[-1]
    headers = capture.rec_headers
    digest = headers.get_header("WARC-Payload-Digest")
    return Stored(
        capture_id=str(headers.get_header("WARC-Record-ID")),
        target_uri=str(headers.get_header("WARC-Target-URI")),
        date=str(headers.get_header("WARC-Date")),
        revisit=capture.rec_type == "revisit",
        digest=str(digest) if digest else None,
        metadata_id=str(metadata.rec_headers.get_header("WARC-Record-ID")),
        metadata_date=str(metadata.rec_headers.get_header("WARC-Date")),
        offset=offsets[-len(derived)],
    )


def _new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _utc_now() -> datetime:
    return datetime.now(UTC)
