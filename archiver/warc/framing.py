"""The records of a WARC file, found and checked within fixed budgets: :func:`iter_records`.

Every command that reads WARC files reads them through here (by way of
:func:`records`), so that the same damage gets the same verdict
everywhere. warcio parses the headers (its ``StatusAndHeaders`` objects are what the
rest of the package uses), but the framing is ours, because warcio's iterator
tolerates damage (a truncated gzip member, trailing bytes, a wrong Content-Length, a
single gzip stream of many records) that its own tools then reject or misread, and
reads header lines without a bound, in time that grows faster than the line.

The budgets:

- **size**: a header block (the WARC headers of a record, or the HTTP headers of its
  block) may take :data:`MAX_HEADER_BYTES`; a line is never searched past it. A block
  is streamed through, never held, unless the caller keeps it (up to its own limit);
- **time**: each byte is read, decompressed and hashed once, so the work is linear
  in the file (the gzip layer yields no more than is asked for);
- **depth**: nothing here nests; the JSON of metadata records has its own budget
  (:mod:`archiver.warc.reader`).

A file is damaged, and :class:`~archiver.errors.WarcError` names it and the cause,
when: it is empty or not WARC; a gzip member is corrupt or truncated; bytes that are
not a gzip member (NUL padding, say) follow the last one; a record does not start a
gzip member of its own; a record lacks a valid WARC-Type, WARC-Record-ID, WARC-Date
or Content-Length; its block is shorter than its Content-Length or is not followed by
the two CRLFs that end a record; a digest does not match.
"""

from __future__ import annotations

import collections
import re
import zlib
from collections.abc import Generator, Iterator, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.digestverifyingreader import DigestChecker
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParser, StatusAndHeadersParserException

from ..errors import ArchiverError, WarcError
from .files import GZIP_MAGIC, cause, quote

__all__ = ["MAX_HEADER_BYTES", "iter_records", "parse_warc_date", "records"]

#: The most bytes one header block (the WARC headers of a record, or the HTTP headers
#: in its block) may take.
MAX_HEADER_BYTES = 64 * 1024
#: Bytes read from the file at a time.
_CHUNK = 64 * 1024
_WARC_VERSIONS = ["WARC/1.1", "WARC/1.0", "WARC/0.18", "WARC/0.17"]
_RECORD_END = b"\r\n\r\n"
_BLANK = (b"\r\n", b"\n")
#: WARC-Date: W3C-DTF in UTC, to the second, with an optional fraction (WARC 1.1).
_WARC_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z")
_INTEGER = re.compile(r"\d{1,18}")


def records(
    source: Path, *, keep: Mapping[str, int], file: IO[bytes] | None = None
) -> Generator[tuple[Any, bytes | None], None, None]:
    """Every record of ``source`` with its block, checked (see :mod:`.framing`).

    The block (after the HTTP headers, if any) is kept only for the record types in
    ``keep``, up to the number of bytes given there: it is b"" for the other types, and
    None when it is over the limit (it is still read through, to check it), so that a
    large record costs no memory. Raises :class:`~archiver.errors.WarcError` naming
    the file and the damage. With ``file`` (``source`` opened and moved to a record),
    the records from there on.
    """
    record_id = None
    try:
        with open(source, "rb") if file is None else nullcontext(file) as stream:
            start = stream.tell()
            magic = stream.read(2)
            stream.seek(start)
            for record in iter_records(stream, gzipped=magic == GZIP_MAGIC, source=source):
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                limit = keep.get(record.rec_type)
                yield record, _read_block(record, source, limit=limit)
    except ArchiverError:
        raise
    except OSError as exc:
        raise WarcError(f"cannot read the file: {cause(exc)}", source=str(source)) from exc
    except Exception as exc:  # a digest that does not match, and what else warcio raises
        raise WarcError(f"record {record_id}: {cause(exc)}", source=str(source)) from exc


def _read_block(record: Any, source: Path, *, limit: int | None) -> bytes | None:
    """The record's block (after its HTTP headers, if any): b"" when ``limit`` is None,
    None when it is over ``limit``.

    Either way the block is read to its end, so that its length and digests are checked.
    """
    expected = record.length
    if record.http_headers is not None:
        # The HTTP headers of a response or request record have been read already.
        expected -= record.http_headers.total_len
    keep = limit is not None and expected <= limit  # known before a byte is kept
    parts: list[bytes] | None = [] if keep else None
    size = 0
    while chunk := record.raw_stream.read(_CHUNK):
        size += len(chunk)
        if parts is not None:
            parts.append(chunk)
            if limit is not None and size > limit:
                parts = None  # not kept, but still read through
    if size != expected:
        what = f"record {record.rec_headers.get_header('WARC-Record-ID')}"
        raise WarcError(
            f"truncated: {what} ends after {size} of its {expected} bytes", source=str(source)
        )
    if limit is None:
        return b""
    return None if parts is None else b"".join(parts)


def parse_warc_date(value: str) -> datetime | None:
    """A WARC date (``2024-03-01T10:30:15Z``, maybe with a fraction) as an aware UTC
    datetime; None when it is not one."""
    match = _WARC_DATE.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=UTC,
        )
    except ValueError:  # a day or hour out of range
        return None


class _Damaged(Exception):
    """Raised below the record loop, which adds the file's name."""


class _GzipMembers:
    """The data of a multi-member gzip file, member after member, checked.

    Each member's CRC and length are checked by zlib; a member cut short, bytes
    after the last member that are not one, and corrupt data are errors, raised as
    :class:`~archiver.errors.WarcError` wherever the data is read (Python's GzipFile
    skips NUL padding, and warcio takes a truncated member for the end).
    ``starts`` are the offsets in the data where members begin, each with the offset
    in the file of its first compressed byte.
    """

    def __init__(self, file: IO[bytes], source: Path) -> None:
        self._file = file
        self._source = str(source)
        self._decompressor: Any = None  # of the current member; None between members
        self._input = b""  # compressed bytes read, not yet decompressed
        self._produced = 0
        self._read = 0  # compressed bytes read from the file
        self.starts: collections.deque[tuple[int, int]] = collections.deque()

    def _fill(self, size: int) -> bool:
        """Read until ``size`` compressed bytes are at hand; False at the end of the file."""
        while len(self._input) < size:
            data = self._file.read(_CHUNK)
            if not data:
                return False
            self._read += len(data)
            self._input += data
        return True

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (at least one); b"" at the end of the last member."""
        while True:
            if self._decompressor is None:
                self._fill(2)
                if not self._input:
                    return b""
                if not self._input.startswith(GZIP_MAGIC):
                    raise WarcError(self._trailing(), source=self._source)
                self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self.starts.append((self._produced, self._read - len(self._input)))
            if not self._input and not self._fill(1):
                message = "truncated: the gzip data ends mid-record"
                raise WarcError(message, source=self._source)
            try:
                data: bytes = self._decompressor.decompress(self._input, size)
            except zlib.error as exc:
                message = f"corrupt gzip data ({cause(exc)})"
                raise WarcError(message, source=self._source) from exc
            if self._decompressor.eof:
                self._input = self._decompressor.unused_data
                self._decompressor = None
            else:
                self._input = self._decompressor.unconsumed_tail
            if data:
                self._produced += len(data)
                return data

    def _trailing(self) -> str:
        position = self._file.tell() - len(self._input)
        self._fill(_CHUNK)
        if not self._input.strip(b"\0"):
            return f"NUL bytes, not a gzip member, after the last record (at byte {position})"
        return f"bytes that are not a gzip member at byte {position}: {quote(self._input)}"

    def member_at(self, offset: int) -> int | None:
        """Where in the file the gzip member beginning at ``offset`` of the data begins;
        None when none begins there (asked in order)."""
        while self.starts and self.starts[0][0] < offset:
            self.starts.popleft()
        if self.starts and self.starts[0][0] == offset:
            return self.starts[0][1]
        return None


class _Lines:
    """A buffered reader for warcio's parsers: ``read`` and a bounded ``readline``.

    ``readline`` never looks further than what is left of the header budget
    (:data:`MAX_HEADER_BYTES` per header block, a blank line ending a block): a
    longer header is an error, found after reading at most the budget.
    """

    def __init__(self, raw: IO[bytes] | _GzipMembers) -> None:
        self._raw = raw
        self._buffer = bytearray()
        self._position = 0  # in _buffer
        self._consumed = 0  # bytes of data before _buffer
        self._eof = False
        self.header_bytes = 0  # of the current header block

    def tell(self) -> int:
        return self._consumed + self._position

    def _fill(self) -> bool:
        if self._eof:
            return False
        data = self._raw.read(_CHUNK)
        if not data:
            self._eof = True
            return False
        if self._position:
            self._consumed += self._position
            del self._buffer[: self._position]
            self._position = 0
        self._buffer += data
        return True

    def read(self, size: int | None = None) -> bytes:
        if size is None or size < 0:
            raise ValueError("reads are bounded")
        if self._position >= len(self._buffer) and not self._fill():
            return b""
        end = min(self._position + size, len(self._buffer))
        data = bytes(self._buffer[self._position : end])
        self._position = end
        return data

    def readline(self, size: int | None = None) -> bytes:
        room = MAX_HEADER_BYTES - self.header_bytes
        wanted = room + 1 if size is None or size < 0 else min(size, room + 1)
        searched = self._position
        while True:
            found = self._buffer.find(b"\n", searched, self._position + wanted)
            if found >= 0:
                end = found + 1
                break
            if len(self._buffer) - self._position >= wanted:
                end = self._position + wanted
                break
            searched = len(self._buffer)
            before = self._position
            if not self._fill():
                end = len(self._buffer)
                break
            searched -= before - self._position  # the buffer may have moved
        line = bytes(self._buffer[self._position : end])
        if len(line) > room:
            raise _HeaderTooLong(line)
        self._position = end
        self.header_bytes = 0 if line in _BLANK else self.header_bytes + len(line)
        return line


class _HeaderTooLong(Exception):
    def __init__(self, start: bytes) -> None:
        super().__init__()
        self.start = start


def iter_records(file: IO[bytes], *, gzipped: bool, source: Path) -> Iterator[Any]:
    """Every record of the open WARC ``file``, each a warcio ``ArcWarcRecord``.

    A record's ``raw_stream`` is its block (after the HTTP headers of a request,
    response or revisit), which must be read to its end before the next record is
    asked for: its digests are checked then, and its length. Its ``offset`` is where
    it starts in the file (its gzip member, in a gzipped file), counted from where
    ``file`` was when the call began: what a CDX index calls the offset. Raises
    :class:`~archiver.errors.WarcError` naming ``source`` and the damage.
    """
    members = _GzipMembers(file, source) if gzipped else None
    lines = _Lines(members if members is not None else file)
    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)
    warc_parser = StatusAndHeadersParser(_WARC_VERSIONS, verify=True)
    number = 0  # of the record being read
    previous: Any = None
    try:
        while True:
            if previous is not None:
                _check_end(previous, lines)
            number += 1
            first = _first_line(lines, number)
            if not first:
                if number == 1:
                    raise _Damaged("the file is empty" if not lines.tell() else "not a WARC file")
                return
            if not first.startswith(b"WARC/"):
                raise _Damaged(_not_a_record(first, number, previous))
            start = lines.tell() - len(first)
            offset = start if members is None else members.member_at(start)
            if offset is None and number == 1:
                offset = 0  # blank lines before the first record, in its member
            elif offset is None:
                raise _Damaged(
                    f"record {number} does not start a gzip member of its own, as in a "
                    "single gzip stream of many records, which WARC tools cannot seek in "
                    "(`warcio recompress` makes it one member per record)"
                )
            previous = _record(first, lines, loader, warc_parser, number)
            previous.offset = offset
            yield previous
    except _HeaderTooLong as exc:
        message = f"record {number}: a header runs over {MAX_HEADER_BYTES // 1024} KiB"
        raise WarcError(f"{message}: {quote(exc.start)}", source=str(source)) from None
    except _Damaged as exc:
        raise WarcError(str(exc), source=str(source)) from exc
    except ArchiverError:
        raise
    except ArchiveLoadFailed as exc:  # a digest that does not match, or cannot be read
        raise WarcError(f"record {number}: {cause(exc)}", source=str(source)) from exc
    except OSError as exc:
        raise WarcError(f"cannot read the file: {cause(exc)}", source=str(source)) from exc
    except Exception as exc:  # warcio's parsers raise many kinds on what they cannot read
        message = f"record {number}: cannot read it ({type(exc).__name__}: {cause(exc)})"
        raise WarcError(message, source=str(source)) from exc


def _first_line(lines: _Lines, number: int) -> bytes:
    """The first line of record ``number``, after any blank lines between records.

    A first line over the budget is returned cut (to be reported as not a record),
    unless it starts like one: then it is a header too long.
    """
    lines.header_bytes = 0
    try:
        first = lines.readline()
        while number > 1 and first in _BLANK:
            first = lines.readline()
    except _HeaderTooLong as exc:
        if exc.start.startswith(b"WARC/"):
            raise
        return exc.start
    return first


def _not_a_record(first: bytes, number: int, previous: Any) -> str:
    if number == 1:
        return f"not a WARC file: it starts with {quote(first)}, not WARC/1.x"
    if not first.strip(b"\0\r\n"):
        return f"NUL bytes after the last record ({_name(previous)})"
    return (
        f"no record where one should start, after {_name(previous)} (its Content-Length "
        f"may be wrong): {quote(first)}"
    )


def _name(record: Any) -> str:
    return f"record {record.rec_headers.get_header('WARC-Record-ID')}"


def _record(
    first: bytes,
    lines: _Lines,
    loader: ArcWarcRecordLoader,
    warc_parser: StatusAndHeadersParser,
    number: int,
) -> Any:
    """The record whose first line is ``first``, its headers read and checked."""
    try:
        headers = warc_parser.parse(lines, first)
    except StatusAndHeadersParserException:
        raise _Damaged(f"record {number}: not a WARC record: {quote(first)}") from None
    except EOFError:
        raise _Damaged("truncated: the file ends in a record's headers") from None
    record_id = headers.get_header("WARC-Record-ID")
    what = f"record {record_id}" if record_id else f"record {number}"
    record_type = headers.get_header("WARC-Type")
    if not record_id or not record_type:
        missing = "WARC-Record-ID" if not record_id else "WARC-Type"
        raise _Damaged(f"{what} has no {missing}")
    date = headers.get_header("WARC-Date")
    if not date:
        raise _Damaged(f"{what} has no WARC-Date")
    if parse_warc_date(date) is None:
        raise _Damaged(f"{what}: invalid WARC-Date {quote(date)}")
    length_text = (headers.get_header("Content-Length") or "").strip()
    if not length_text:
        raise _Damaged(f"{what} has no Content-Length")
    if not _INTEGER.fullmatch(length_text):
        raise _Damaged(f"{what}: invalid Content-Length {quote(length_text)}")
    length = int(length_text)
    uri = loader._ensure_target_uri_format(headers) or ""
    checker = DigestChecker("raise")
    stream: Any = LimitReader(lines, length)
    stream, verifying = loader.wrap_digest_verifying_stream(
        stream, record_type, headers, checker, length=length
    )
    http_headers = None
    lines.header_bytes = 0
    if length:
        try:
            http_headers = loader.load_http_headers(record_type, uri, stream, length)
        except StatusAndHeadersParserException:
            raise _Damaged(f"{what}: its HTTP headers cannot be read") from None
        except EOFError:
            if record_type != "revisit":
                raise _Damaged("truncated: the file ends in a record's headers") from None
    if verifying:
        stream.begin_payload()
    return ArcWarcRecord(
        "warc",
        record_type,
        headers,
        stream,
        http_headers,
        headers.get_header("Content-Type"),
        length,
        digest_checker=checker,
    )


def _check_end(record: Any, lines: _Lines) -> None:
    """The block of ``record`` has been read: it must have been whole, then end."""
    if record.raw_stream.read(1):
        raise _Damaged(f"{_name(record)} was not read to its end")  # a bug of the caller
    if record.raw_stream.limit:
        raise _Damaged("truncated: the file ends mid-record")
    end = lines.read(4)
    while len(end) < 4 and (more := lines.read(4 - len(end))):
        end += more
    if end != _RECORD_END:
        if not end:
            raise _Damaged(f"truncated: the file ends after the block of {_name(record)}")
        raise _Damaged(
            f"{_name(record)} is not followed by the two CRLFs that end a record: "
            "its Content-Length is wrong, or the file is damaged"
        )
