"""Reading WARC files back: the Articles stored in them, every record checked.

:func:`read` streams the Articles of a file and :func:`read_latest` the newest Article of
each capture across files; :func:`verify` reads a file through. :func:`records` is the
checked reading of records they share with :func:`~archiver.warc.read_captures`:
digests and record lengths are checked, a truncated gzip member is an error.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..article import Article
from ..errors import ArchiverError, WarcError
from .files import GZIP_MAGIC, cause

__all__ = [
    "ArchivedArticle",
    "checked_source",
    "header_date",
    "read",
    "read_latest",
    "records",
    "verify",
]

log = logging.getLogger(__name__)

# The keys Article.to_dict() always writes: a JSON metadata record holding all of them
# is ours, and failing to rebuild it is an error rather than a foreign record to skip.
_ARTICLE_KEYS = frozenset({"text", "extractor", "input_kind"})
_CHUNK = 64 * 1024
_METADATA = frozenset({"metadata"})
_FRACTION = re.compile(r"\.(\d+)")


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


def read(path: str | os.PathLike[str]) -> Iterator[Article]:
    """Stream back the Articles stored by :meth:`~archiver.warc.WarcWriter.write_article`.

    One Article is yielded per metadata record of ours, in file order (an input
    extracted twice gives two). Other records are skipped. Digests and record lengths
    are checked; a missing, unreadable, truncated or otherwise invalid file raises
    :class:`~archiver.errors.WarcError` naming the file and the cause.
    """
    # Checked now, not on the first next(), so that a wrong path fails at the call.
    return _read(checked_source(path))


def verify(path: str | os.PathLike[str]) -> int:
    """Read every record of a WARC file, checking it as :func:`read` does.

    Returns the number of records; raises :class:`~archiver.errors.WarcError` naming
    the file and the cause when it is missing, not a WARC file, truncated or corrupt.
    """
    return sum(1 for _ in records(checked_source(path), keep=frozenset()))


def checked_source(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, once it is known to exist and not to be a directory."""
    source = Path(path)
    if not source.exists():
        raise WarcError("no such file", source=str(source))
    if source.is_dir():
        raise WarcError("is a directory, not a WARC file", source=str(source))
    return source


def _read(source: Path) -> Iterator[Article]:
    for record, payload in records(source, keep=_METADATA):
        if record.rec_type != "metadata":
            continue
        article = _article(record, payload, source)
        if article is not None:
            yield article


def read_latest(paths: Iterable[str | os.PathLike[str]]) -> Iterator[ArchivedArticle]:
    """Stream the newest Article of each capture stored in the WARC files ``paths``.

    A capture extracted several times (re-extractions add records, often in another
    file) yields only its newest Article: the one whose metadata record has the latest
    WARC-Date, the later in file order on a tie. Articles come in file order, files in
    the order given. Memory holds a few IDs per capture, not the Articles: the files
    are read twice, once to find the newest records and once to yield them. Errors are
    those of :func:`read`; a missing file raises at the call.
    """
    sources = [checked_source(path) for path in paths]
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
    for record, payload in records(source, keep=_METADATA):
        if record.rec_type != "metadata":
            continue
        article = _article(record, payload, source)
        if article is None:
            continue
        headers = record.rec_headers
        record_id = str(headers.get_header("WARC-Record-ID"))
        extracted = header_date(record, source)
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


def header_date(record: Any, source: Path) -> str:
    """The WARC-Date of ``record`` exactly as written; an error when it has none."""
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


def records(source: Path, *, keep: frozenset[str]) -> Generator[tuple[Any, bytes], None, None]:
    """Every record of ``source`` with its block, checked; the block is kept (else empty)
    only for the record types in ``keep``, so that large captures cost no memory."""
    try:
        with open(source, "rb") as file:
            magic = file.read(2)
            if not magic:
                raise WarcError("the file is empty", source=str(source))
            file.seek(0)
            stream: IO[bytes] | _GzipReader = file
            if magic == GZIP_MAGIC:
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
        raise WarcError(f"not a readable WARC file ({cause(exc)})", source=str(source)) from exc


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
