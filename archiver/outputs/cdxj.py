"""CDXJ indexes of WARC files, made by cdxj-indexer: what replay tools look URLs up in.

A CDXJ index has one line per capture, sorted: the SURT form of the URL, the
14-digit timestamp, and a JSON object with ``url``, ``mime``, ``status``, ``digest``,
``length``, ``offset`` and ``filename`` (the WARC's base name). pywb and
ReplayWeb.page read it to find a capture's record without reading the WARC.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from ..errors import WarcError
from ..files import PathArg, check_not_input, path_list, write_text_file
from ..warc import verify
from .progress import FileTally, Progress

__all__ = ["INDEXED_RECORDS", "write_index"]

#: The record types indexed: the captures, which are what replay needs. Conversion and
#: metadata records, under their own urn:text: and urn:metadata: URIs, would only add
#: lines.
INDEXED_RECORDS = ("response", "revisit", "resource")


class _LineCounter:
    """A text stream that passes writes on and counts the lines."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()


def write_index(
    warcs: PathArg | Iterable[PathArg],
    output: str | os.PathLike[str] | IO[str],
    *,
    progress: Progress | None = None,
) -> int:
    """Write the sorted CDXJ index of the captures in ``warcs`` to ``output``.

    ``output`` is a path, written as ``<path>.open`` and renamed when complete, or an
    open text stream. Returns the number of index lines. Raises
    :class:`~archiver.errors.WarcError` naming the file when a WARC is missing or
    cannot be indexed, or the output cannot be written. ``progress`` is called as each
    WARC file is checked, then indexed, with the bytes of the files read so far (each
    file twice) and of all.
    """
    sources = [Path(warc) for warc in path_list(warcs)]
    if isinstance(output, (str, os.PathLike)):
        check_not_input(output, sources, what="index")
    tally = FileTally(sources, passes=2, progress=progress)
    for source in sources:
        # cdxj-indexer takes a damaged file for a shorter one, and many a text file for
        # an ARC file: it gets only files that read back whole.
        tally.file_done(source, f"checked, {verify(source)} records")
    if not isinstance(output, (str, os.PathLike)):
        return _index(sources, output, tally)
    return write_text_file(Path(output), lambda stream: _index(sources, stream, tally))


def _names(sources: list[Path], tally: FileTally) -> Iterator[str]:
    """The file names for cdxj-indexer, which asks for the next when it has indexed
    one: so each file is counted as it is done."""
    for source in sources:
        yield str(source)
        tally.file_done(source, "indexed")


def _index(sources: list[Path], stream: IO[str], tally: FileTally) -> int:
    from cdxj_indexer.main import CDXJIndexer  # imported here: only indexing needs it

    counter = _LineCounter(stream)
    indexer = CDXJIndexer(
        output=counter,
        inputs=_names(sources, tally),
        sort=True,
        records=",".join(INDEXED_RECORDS),
    )
    try:
        indexer.process_all()
    except OSError as exc:
        if getattr(exc, "filename", None) is None:
            raise  # the output's (it has no file name): reported by the caller
        raise WarcError(
            f"cannot index it: {exc.strerror or exc}", source=str(exc.filename)
        ) from exc
    except Exception as exc:  # warcio and cdxj-indexer raise many kinds on a damaged file
        # curr_filename is the base name of the file being read.
        name = indexer.curr_filename
        source = next((str(s) for s in sources if s.name == name), name or "?")
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        cause = lines[0] if lines else type(exc).__name__
        raise WarcError(f"not a readable WARC file ({cause})", source=source) from exc
    return counter.lines
