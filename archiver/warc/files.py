"""The WARC files themselves: appending under a lock, cutting back, syncing, salvaging.

A :class:`~archiver.warc.WarcWriter` opens an existing file with
:func:`open_for_append`, cuts a file back with :func:`truncate` when a write fails and
makes its final rename durable with :func:`fsync_dir`. :func:`salvage` finishes a
``<name>.open`` file that a killed writer left.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator

from ..errors import WarcError
from .records import CaptureRef, Stored, full_fetch

__all__ = [
    "GZIP_MAGIC",
    "Salvaged",
    "cause",
    "close_quietly",
    "fsync_dir",
    "gzipped_name",
    "open_for_append",
    "quote",
    "salvage",
    "truncate",
    "unlink",
]

log = logging.getLogger(__name__)

#: The first bytes of a gzip-compressed file.
GZIP_MAGIC = b"\x1f\x8b"
#: Seconds an appender waits for another one to finish with the file.
_LOCK_WAIT = 30.0
#: The most characters of a file's own bytes that a message quotes.
QUOTE_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Salvaged:
    """What :func:`salvage` kept of a WARC file: its final path and what it holds."""

    path: Path
    #: The JSON of each metadata record kept, in file order, its ``fetch`` object whole
    #: (see :func:`~archiver.warc.records.full_fetch`).
    metadata: list[dict[str, Any]]
    #: The first capture of each payload digest among the 200 responses kept.
    payloads: dict[str, CaptureRef]
    #: Where each metadata record kept is, and its capture, as a writer tells it.
    stored: list[Stored]


def salvage(open_path: str | os.PathLike[str]) -> Salvaged | None:
    """Finish a ``<name>.open`` file that a killed writer left: cut it, rename it.

    Every record group a :class:`~archiver.warc.WarcWriter` writes ends with a
    ``metadata`` record, so the file is cut back to the end of its last complete
    metadata record, dropping any group the kill interrupted, and renamed to ``<name>``.
    A file with no complete group is deleted and None returned. Raises
    :class:`~archiver.errors.WarcError` when the file cannot be read, cut or renamed.
    """
    source = Path(open_path)
    if source.suffix != ".open":
        raise WarcError("not a .open file", source=str(source))
    metadata: list[dict[str, Any]] = []
    payloads: dict[str, CaptureRef] = {}
    stored: list[Stored] = []
    end = 0
    pending: dict[str, CaptureRef] = {}
    #: The captures since the last metadata record: their type and payload digest.
    captures: dict[str, tuple[str, str | None]] = {}
    #: Where the conversion record before the next metadata record starts, if any.
    conversion: int | None = None
    response = None  # the last response or revisit record: the one a metadata record follows
    try:
        with open(source, "rb") as file:
            records = ArchiveIterator(file, check_digests=True)
            try:
                for record in records:
                    headers = record.rec_headers
                    # The block as stored, never content_stream(): that would undo a
                    # response's Content-Encoding, which costs memory and fails on
                    # some (br, with brotli 1.2), cutting the file short.
                    content = record.raw_stream.read() if record.rec_type == "metadata" else b""
                    records.read_to_end(record)
                    if record.rec_type in ("response", "revisit"):
                        response = record
                    if (
                        record.rec_type == "response"
                        and record.http_headers.get_statuscode() == "200"
                    ):
                        digest = headers.get_header("WARC-Payload-Digest")
                        pending.setdefault(
                            digest,
                            CaptureRef(
                                record_id=headers.get_header("WARC-Record-ID"),
                                target_uri=headers.get_header("WARC-Target-URI"),
                                date=headers.get_header("WARC-Date"),
                            ),
                        )
                    if record.rec_type in ("response", "revisit", "resource"):
                        digest = headers.get_header("WARC-Payload-Digest")
                        captures[headers.get_header("WARC-Record-ID")] = (record.rec_type, digest)
                    if record.rec_type == "conversion":
                        conversion = records.get_record_offset()
                    if record.rec_type == "metadata":
                        data = json.loads(content)
                        if "fetch" in data and _refers_to(record, response):
                            data["fetch"] = full_fetch(data["fetch"], response)
                        metadata.append(data)
                        start = records.get_record_offset() if conversion is None else conversion
                        stored.append(_stored(headers, start, captures))
                        captures.clear()
                        conversion = None
                        end = records.get_record_offset() + records.get_record_length()
                        for digest, capture in pending.items():
                            payloads.setdefault(digest, capture)
                        pending.clear()
            except Exception as exc:  # the cut: warcio and zlib raise many kinds
                log.info("%s: cut after its last complete record (%s)", source, cause(exc))
        if not metadata:
            unlink(source)
            return None
        truncate(source, end)
        final = source.with_suffix("")
        os.replace(source, final)
    except OSError as exc:
        raise WarcError(f"cannot salvage it ({cause(exc)})", source=str(source)) from exc
    fsync_dir(final.parent)
    return Salvaged(path=final, metadata=metadata, payloads=payloads, stored=stored)


def _stored(headers: Any, offset: int, captures: dict[str, tuple[str, str | None]]) -> Stored:
    """Where the records of an Article read back start, and the capture they refer to."""
    capture_id = str(headers.get_header("WARC-Refers-To") or "")
    kind, digest = captures.get(capture_id, ("", None))
    return Stored(
        capture_id=capture_id,
        target_uri=str(headers.get_header("WARC-Refers-To-Target-URI") or ""),
        date=str(headers.get_header("WARC-Refers-To-Date") or ""),
        revisit=kind == "revisit",
        digest=digest,
        metadata_id=str(headers.get_header("WARC-Record-ID")),
        metadata_date=str(headers.get_header("WARC-Date")),
        offset=offset,
    )


def _refers_to(metadata: Any, capture: Any) -> bool:
    """True when the record ``metadata`` refers to the record ``capture`` (not None)."""
    if capture is None:
        return False
    record_id = capture.rec_headers.get_header("WARC-Record-ID")
    return bool(metadata.rec_headers.get_header("WARC-Refers-To") == record_id)


def cause(exc: BaseException) -> str:
    """What went wrong, in a few words: the first line of the message of ``exc``.

    Cut to about :data:`QUOTE_LIMIT` characters: messages of warcio and zlib may
    echo what they read (a whole "first line" of a file).
    """
    # warcio messages can span several indented lines; keep the first meaningful one.
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    if not first:
        return type(exc).__name__
    return first if len(first) <= 2 * QUOTE_LIMIT else first[: 2 * QUOTE_LIMIT] + "…"


def quote(data: bytes | str, limit: int = QUOTE_LIMIT) -> str:
    """``data`` read from a file, quoted for a message: at most ``limit`` characters.

    Bytes are decoded as UTF-8 (others as escapes), characters that are not printable
    escaped (``\\x00``, ``\\r``), and what is cut is shown by ``…``: so that a message
    about a 20 MB header line stays one short line.
    """
    head = data[: limit + 1]
    text = head.decode("utf-8", "backslashreplace") if isinstance(head, bytes) else head
    shown = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
    if len(shown) > limit or len(data) > len(head):
        shown = shown[:limit] + "…"
    return f"'{shown}'"


def unlink(path: Path) -> None:
    """Remove ``path`` if it exists; a failure is logged, not raised."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot remove %s: %s", path, exc.strerror or exc)


def open_for_append(path: Path) -> tuple[IO[bytes], int, bool]:
    """``path`` opened to append, locked, with its length and whether it is gzipped.

    It must be a WARC file, gzipped or not; an empty one is gzipped unless named
    ``.warc`` (see :func:`gzipped_name`).
    """
    try:
        file = open(path, "ab")  # held until close/abort
    except OSError as exc:
        raise WarcError(f"cannot open the file to append ({cause(exc)})", source=str(path)) from exc
    try:
        _lock(file, path)
        # Measured once locked: another appender may have just finished.
        size = os.fstat(file.fileno()).st_size
        gzipped = gzipped_name(path)
        if size:
            with open(path, "rb") as head:
                start = head.read(5)
            # Records go in as the file has them, whatever its name says: gzip members
            # after uncompressed records (or the reverse) make a file few tools read.
            gzipped = start.startswith(GZIP_MAGIC)
            if not gzipped and start != b"WARC/":
                raise WarcError("cannot append: not a WARC file", source=str(path))
    except OSError as exc:
        file.close()
        raise WarcError(f"cannot open the file to append ({cause(exc)})", source=str(path)) from exc
    except BaseException:
        file.close()
        raise
    return file, size, gzipped


def gzipped_name(path: Path) -> bool:
    """Whether a new WARC file named ``path`` is gzipped: all but a ``.warc`` one are."""
    return not path.name.lower().endswith(".warc")


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


def close_quietly(file: IO[bytes]) -> None:
    """Close ``file``, ignoring an error: another failure is being reported."""
    try:
        file.close()
    except OSError:
        pass  # the failure that matters is already being reported


def truncate(file: IO[bytes] | Path, size: int) -> None:
    """Cut ``file`` (open, or a path) back to ``size`` bytes; a failure is logged."""
    try:
        if isinstance(file, Path):
            os.truncate(file, size)
        else:
            os.ftruncate(file.fileno(), size)
    except OSError as exc:
        log.warning("cannot cut back the WARC file to %d bytes: %s", size, cause(exc))


def fsync_dir(directory: Path) -> None:
    """Sync ``directory``, so that a rename in it survives a crash."""
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
