"""How far an output has got through its WARC files: bytes of the files read.

Bytes, not files, so that a display is right about one large file among small ones.
:mod:`archiver.warc` reports no position within a file, so a file counts when it has
been read through, by its size; a command that reads its files twice (to check them,
then to use them) counts them twice. Each file done is logged (at INFO: ``-v``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from ..warc import ArchivedArticle

__all__ = ["FileTally", "Progress"]

log = logging.getLogger(__name__)

#: Called with the bytes of WARC files read so far and the bytes to read in all.
Progress = Callable[[int, int], None]


class FileTally:
    """The bytes read of ``sources``, each read ``passes`` times, for ``progress``."""

    def __init__(
        self, sources: Sequence[Path], *, passes: int = 1, progress: Progress | None = None
    ) -> None:
        self.total = sum(_size(source) for source in sources) * passes
        self.done = 0
        self._progress = progress

    def file_done(self, source: Path, what: str) -> None:
        """Count ``source`` as read through; ``what`` says what was done, for the log."""
        self.done += _size(source)
        log.info("%s: %s", source, what)
        if self._progress is not None:
            self._progress(self.done, self.total)

    def through(
        self, entries: Iterable[ArchivedArticle], sources: Sequence[Path], what: str
    ) -> Iterator[ArchivedArticle]:
        """``entries``, read from ``sources`` in their order, passed on as they come;
        a file is done when an entry of a later file comes (one with no Article has
        none), the rest at the end. ``what`` is the log's message, ``{}`` the number
        of entries of the file ("exported {} articles")."""
        pending = [Path(source) for source in sources]
        count = 0
        for entry in entries:
            while pending and pending[0] != entry.warc:
                self.file_done(pending.pop(0), what.format(count))
                count = 0
            count += 1
            yield entry
        for source in pending:
            self.file_done(source, what.format(count))
            count = 0


def _size(source: Path) -> int:
    try:
        return source.stat().st_size
    except OSError:
        return 0  # the reading reports what is wrong with the file, naming it
