"""Reading WARC files back: the Articles stored in them, every record checked.

:func:`read` streams the Articles of a file and :func:`read_latest` the newest Article of
each capture across files; :func:`verify` reads a file through. :func:`records` is the
checked reading of records that they share with :func:`~archiver.warc.read_captures`,
and that every command reading WARC files goes through (the framing, its checks and
budgets are :mod:`.framing`'s).

A metadata record is read within budgets of its own before it becomes an Article: its
JSON may take :data:`MAX_METADATA_BYTES` (a larger one is reported, not read), hold
:data:`MAX_JSON_VALUES` values, and nest no deeper than Python's recursion limit;
and :meth:`Article.from_dict` checks every value's type.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..article import Article
from ..capture import DEFAULT_MAX_BYTES
from ..errors import ArchiverError, WarcError
from ..files import PathArg, path_list
from .bodies import warcio_decodes
from .files import cause, quote
from .framing import parse_warc_date, records
from .records import SOFTWARE, TEXT_RECORD

__all__ = [
    "MAX_JSON_VALUES",
    "MAX_METADATA_BYTES",
    "ArchivedArticle",
    "article_at",
    "checked_source",
    "entries",
    "header_date",
    "read",
    "read_latest",
    "records",
    "verify",
    "written_by_archiver",
]

log = logging.getLogger(__name__)

#: The most bytes of JSON a metadata record may hold to be read: twice the input size
#: limit, since the Article's text comes from an input at most that large and JSON
#: escaping may lengthen it.
MAX_METADATA_BYTES = 2 * DEFAULT_MAX_BYTES
#: The most values (objects, arrays, and the members and items in them) the JSON of a
#: metadata record may hold: an Article has a few dozen, and memory stays near the
#: record's own size (a 40 MB array of numbers would take 320 MB).
MAX_JSON_VALUES = 100_000

# The keys Article.to_dict() always writes: a JSON metadata record holding all of them
# (and the text or the conversion record's ID) is ours, and failing to rebuild it is an
# error rather than a foreign record to skip.
#: The records of a page capture: replay tools index them by their WARC-Target-URI.
_CAPTURES = frozenset({"response", "resource", "revisit", "request"})
_ARTICLE_KEYS = frozenset({"extractor", "input_kind"})
#: The blocks kept: a metadata record's JSON and a conversion record's text.
_KEPT = {"metadata": MAX_METADATA_BYTES, "conversion": MAX_METADATA_BYTES}
#: The most bytes of a ``warcinfo`` record read to find the software it names.
_WARCINFO_BYTES = 64 * 1024
#: All bytes but a JSON string's quotes and those that start values: ``[``, ``{``, ``,``.
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[{,')))


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
    #: The WARC file holding the metadata record, and where the Article's records start
    #: in it (its conversion record's offset, or the metadata record's when it has none).
    warc: Path
    offset: int = 0
    #: The capture's record type (``response``, ``revisit``, ``resource``) and
    #: WARC-Payload-Digest, when it is in the same file (not for a re-extraction).
    capture_type: str | None = None
    digest: str | None = None
    #: The URL asked for, when redirects led from it to ``target_uri`` (the metadata
    #: record's ``fetch.requested_url``; a re-extraction does not know it).
    requested_uri: str | None = None


def read(path: str | os.PathLike[str]) -> Iterator[Article]:
    """Stream back the Articles stored by :meth:`~archiver.warc.WarcWriter.write_article`.

    One Article is yielded per metadata record of ours, in file order (an input
    extracted twice gives two). Other records are skipped. Digests and record lengths
    are checked; a missing, unreadable, truncated or otherwise invalid file raises
    :class:`~archiver.errors.WarcError` naming the file and the cause.
    """
    # Checked now, not on the first next(), so that a wrong path fails at the call.
    return _read(checked_source(path))


def verify(path: str | os.PathLike[str], *, decodable_by_warcio: bool = False) -> int:
    """Read every record of a WARC file, checking it as :func:`read` does.

    Returns the number of records; raises :class:`~archiver.errors.WarcError` naming
    the file and the cause when it is missing, not a WARC file, truncated or corrupt,
    or when a capture record has no WARC-Target-URI (replay tools cannot index it).
    With ``decodable_by_warcio``, a record whose HTTP Content-Encoding warcio cannot
    undo here is an error too, naming the record: tools built on warcio that undo it
    for every record (the wacz package) would fail on it. That is a br body with
    warcio 1.8.1 and brotli 1.2 (see :func:`~archiver.warc.bodies.warcio_decodes`).
    """
    source = checked_source(path)
    count = 0
    for record, _ in records(source, keep={}):
        count += 1
        if record.rec_type in _CAPTURES and not record.rec_headers.get_header("WARC-Target-URI"):
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            raise WarcError(
                f"record {record_id} is a {record.rec_type} record without the"
                " WARC-Target-URI that replay tools index it by",
                source=str(source),
            )
        if decodable_by_warcio and record.http_headers is not None:
            coding = str(record.http_headers.get_header("Content-Encoding") or "")
            if coding and not warcio_decodes(coding):
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                uri = record.rec_headers.get_header("WARC-Target-URI")
                raise WarcError(
                    f"record {record_id} ({quote(str(uri))}) has a body with Content-Encoding "
                    f"{quote(coding)}, which warcio cannot decode with the brotli module "
                    "installed, so the wacz package would fail on it",
                    source=str(source),
                )
    return count


def written_by_archiver(path: str | os.PathLike[str]) -> bool:
    """Whether news-archiver wrote the WARC file ``path``: its first record is the
    ``warcinfo`` record that names news-archiver as the software, as every file that
    :class:`~archiver.warc.WarcWriter` writes starts with one (a crawler's names the
    crawler). Only that record is read; errors are those of :func:`read`.
    """
    source = checked_source(path)
    with closing(records(source, keep={"warcinfo": _WARCINFO_BYTES})) as found:
        first = next(found, None)
    if first is None or first[0].rec_type != "warcinfo" or not first[1]:
        return False
    for line in first[1].decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "software":
            return value.strip().partition("/")[0] == SOFTWARE
    return False


def checked_source(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, once it is known to be a regular file that can be opened.

    Raises :class:`~archiver.errors.WarcError` otherwise (missing, a directory, a
    FIFO or device, or not readable), so that every command reports it alike.
    """
    source = Path(path)
    try:
        mode = source.stat().st_mode
    except FileNotFoundError:
        raise WarcError("no such file or folder", source=str(source)) from None
    except OSError as exc:
        raise WarcError(f"cannot read the file: {cause(exc)}", source=str(source)) from exc
    if stat.S_ISDIR(mode):
        raise WarcError("is a directory, not a WARC file", source=str(source))
    if not stat.S_ISREG(mode):
        # Opening a FIFO would wait for a writer for ever, and a device never ends.
        raise WarcError("cannot read the file: not a regular file", source=str(source))
    try:
        with open(source, "rb"):
            pass
    except OSError as exc:
        raise WarcError(f"cannot read the file: {cause(exc)}", source=str(source)) from exc
    return source


def _read(source: Path) -> Iterator[Article]:
    for found in _articles(source):
        yield found.article
        del found


@dataclass(frozen=True)
class _Found:
    """A metadata record of ours, its Article, where its records start, and the
    captures (record ID: type and payload digest) read since the previous one."""

    record: Any
    article: Article
    offset: int
    captures: dict[str, tuple[str, str | None]]
    requested_uri: str | None


def _articles(
    source: Path, file: IO[bytes] | None = None, start: int = 0, *, first_only: bool = False
) -> Iterator[_Found]:
    """Each metadata record of ours in ``source`` with its Article, in file order; with
    ``first_only``, that of the records that start where ``file`` is (at ``start``).

    The text of an Article is in the conversion record written just before its
    metadata record (whose JSON names it in ``text_record``); archives written
    before that hold it in the JSON itself, and are read alike. The offset of an
    Article is its conversion record's when it has one, so that reading from there
    finds both records.
    """
    captures: dict[str, tuple[str, str | None]] = {}  # since the last metadata record
    conversion: tuple[str, bytes | None, int] | None = None  # the last one: ID, block, offset
    for record, payload in records(source, keep=_KEPT, file=file):
        if record.rec_type in ("response", "revisit", "resource"):
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            captures[str(record.rec_headers.get_header("WARC-Record-ID"))] = (
                record.rec_type,
                str(digest) if digest else None,
            )
        if record.rec_type == "conversion":
            record_id = str(record.rec_headers.get_header("WARC-Record-ID"))
            conversion = (record_id, payload, start + record.offset)
            continue
        if record.rec_type != "metadata":
            if first_only:
                return
            continue
        before, captures = captures, {}
        text = None if conversion is None else conversion[:2]
        offset = start + record.offset if conversion is None else conversion[2]
        found = _article(record, payload, source, text)
        del payload  # so that memory holds one record's data at a time
        conversion = None
        if found is not None:
            yield _Found(record, found[0], offset, before, found[1])
        del found
        if first_only:
            return


def read_latest(paths: PathArg | Iterable[PathArg]) -> Iterator[ArchivedArticle]:
    """Stream the newest Article of each capture stored in the WARC files ``paths``.

    A capture extracted several times (re-extractions add records, often in another
    file) yields only its newest Article: the one whose metadata record has the latest
    WARC-Date, the later in file order on a tie. Articles come in file order, files in
    the order given. Memory holds a few IDs per capture, not the Articles: the files
    are read twice, once to find the newest records and once to yield them. Errors are
    those of :func:`read`; a missing file raises at the call.
    """
    sources = [checked_source(path) for path in path_list(paths)]
    return _read_latest(sources)


def _read_latest(sources: list[Path]) -> Iterator[ArchivedArticle]:
    newest: dict[str, tuple[datetime, int]] = {}
    for number, entry in enumerate(_all_entries(sources)):
        key = (entry.extracted, number)
        if entry.capture_id not in newest or key >= newest[entry.capture_id]:
            newest[entry.capture_id] = key
        del entry  # not kept while the next record is read
    wanted = {number for _, number in newest.values()}
    for number, entry in enumerate(_all_entries(sources)):
        if number in wanted:
            yield entry
        del entry


def _all_entries(sources: list[Path]) -> Iterator[ArchivedArticle]:
    for source in sources:
        yield from _entries(source)


def entries(source: Path, *, start: int = 0) -> Iterator[ArchivedArticle]:
    """Every Article of the WARC file ``source`` with its capture, in file order (every
    extraction of a capture, not only the newest); with ``start``, from the record that
    starts at that offset on. Errors are those of :func:`read`, and a WarcError when no
    record starts at ``start``."""
    checked_source(source)
    return _entries_from(source, start) if start else _entries(source)


def _entries_from(source: Path, start: int) -> Iterator[ArchivedArticle]:
    try:
        with open(source, "rb") as file:
            file.seek(start)
            yield from _entries(source, file, start)
    except OSError as exc:
        raise WarcError(f"cannot read the file: {cause(exc)}", source=str(source)) from exc


def article_at(source: Path, offset: int) -> ArchivedArticle | None:
    """The Article of the records starting at ``offset`` of ``source`` (as an index
    holds it: its conversion record's, or its metadata record's when it has none);
    None when the records there are not ours.

    Raises :class:`~archiver.errors.WarcError` when no record starts there, or it is
    damaged, and when the file is missing.
    """
    checked_source(source)
    try:
        with open(source, "rb") as file:
            file.seek(offset)
            return next(_entries(source, file, offset, first_only=True), None)
    except OSError as exc:
        raise WarcError(f"cannot read the file: {cause(exc)}", source=str(source)) from exc


def _entries(
    source: Path, file: IO[bytes] | None = None, start: int = 0, *, first_only: bool = False
) -> Iterator[ArchivedArticle]:
    """Every Article of ``source`` with its capture, in file order; with ``first_only``,
    that of the records that start where ``file`` is (at ``start``)."""
    for found in _articles(source, file, start, first_only=first_only):
        record, article = found.record, found.article
        headers = record.rec_headers
        record_id = str(headers.get_header("WARC-Record-ID"))
        extracted = header_date(record, source)
        # A metadata record of ours refers to its capture, often in another file.
        entry = ArchivedArticle(
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
            offset=found.offset,
            requested_uri=found.requested_uri,
        )
        capture_type, digest = found.captures.get(entry.capture_id, (None, None))
        if capture_type is not None:
            entry = replace(entry, capture_type=capture_type, digest=digest)
        del article, found
        yield entry
        del entry  # not kept while the next record is read


def header_date(record: Any, source: Path) -> str:
    """The WARC-Date of ``record`` exactly as written; an error when it has none."""
    value = record.rec_headers.get_header("WARC-Date")
    if not value:
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        raise WarcError(f"record {record_id} has no WARC-Date", source=str(source))
    return str(value)


def _parse_warc_date(value: str, record_id: str, source: Path) -> datetime:
    """A WARC date (``2024-03-01T10:30:15Z``, maybe with a fraction) as an aware datetime."""
    moment = parse_warc_date(value)
    if moment is None:
        message = f"record {record_id}: invalid date {quote(value)}"
        raise WarcError(message, source=str(source))
    return moment


def _article(
    record: Any, payload: bytes | None, source: Path, conversion: tuple[str, bytes | None] | None
) -> tuple[Article, str | None] | None:
    """The Article of a metadata record and the URL asked for, when redirects led from
    it to the capture; None when the record is not one of ours.

    ``conversion`` is the conversion record just before it (its ID and block), which
    holds the text when the JSON names it.
    """
    content_type = str(record.rec_headers.get_header("Content-Type") or "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        return None
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    if payload is None:
        size = int(record.length) / 1e6
        raise WarcError(
            f"record {record_id}: its JSON is {size:.1f} MB, over the "
            f"{MAX_METADATA_BYTES / 1e6:.1f} MB limit of a metadata record: not read",
            source=str(source),
        )
    data = _json(payload, record_id, source)
    if (
        not isinstance(data, dict)
        or not _ARTICLE_KEYS <= data.keys()
        or not ("text" in data or TEXT_RECORD in data)
    ):
        log.debug("%s: skipping a metadata record that is not an Article", source)
        return None
    if "text" not in data:
        data["text"] = _text(data[TEXT_RECORD], record_id, source, conversion)
    fetched = data.get("fetch")
    requested = fetched.get("requested_url") if isinstance(fetched, dict) else None
    try:
        return Article.from_dict(data), requested if isinstance(requested, str) else None
    except ArchiverError as exc:
        raise WarcError(f"record {record_id}: {exc.message}", source=str(source)) from exc


def _text(
    text_record: Any, record_id: str, source: Path, conversion: tuple[str, bytes | None] | None
) -> str:
    """The text of the conversion record ``text_record``, which must precede the metadata."""
    if conversion is None or conversion[0] != text_record:
        raise WarcError(
            f"record {record_id}: its text is in record {quote(str(text_record))}, which is "
            "not the conversion record just before it",
            source=str(source),
        )
    block = conversion[1]
    if block is None:
        raise WarcError(
            f"record {conversion[0]}: its text is over the {MAX_METADATA_BYTES / 1e6:.1f} MB "
            "limit of a conversion record: not read",
            source=str(source),
        )
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WarcError(
            f"record {conversion[0]}: its text is not UTF-8 ({exc.reason})", source=str(source)
        ) from None


def _json(payload: bytes, record_id: str, source: Path) -> Any:
    """The JSON value of ``payload`` (None when it is not JSON), within the budgets."""
    values = payload.count(b"{") + payload.count(b"[") + payload.count(b",")
    if values > MAX_JSON_VALUES:
        # Those inside strings (an article's text) count for nothing.
        values = _values(payload, MAX_JSON_VALUES)
    if values > MAX_JSON_VALUES:
        raise WarcError(
            f"record {record_id}: its JSON holds over {MAX_JSON_VALUES} values, too many "
            "for an Article: not read",
            source=str(source),
        )
    try:
        return json.loads(payload)
    except RecursionError:
        raise WarcError(
            f"record {record_id}: its JSON is nested too deeply to be read", source=str(source)
        ) from None
    except ValueError:
        return None


def _values(payload: bytes, most: int) -> int:
    """The ``[``, ``{`` and ``,`` of ``payload`` outside JSON strings (about the number
    of values), counted up to ``most + 1``, in linear time (no regular expression,
    which could backtrack)."""
    # Escaped backslashes, then escaped quotes, go first (left to right, as JSON reads
    # them): every quote left opens or closes a string. Of the rest only quotes and
    # those that start values are kept, and "" is dropped (an empty string, or a
    # string's end and the next one's start), which keeps what is inside strings inside.
    unescaped = payload.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = unescaped.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    # Quotes are now alone, so each stretch outside strings holds at least one of
    # those: the loop ends after at most most + 1 stretches.
    count = 0
    position = 0
    while count <= most:
        start = skeleton.find(b'"', position)
        end = len(skeleton) if start < 0 else start
        count += sum(skeleton.count(char, position, end) for char in (b"[", b"{", b","))
        if start < 0:
            break
        close = skeleton.find(b'"', start + 1)
        if close < 0:
            break
        position = close + 1
    return count
