"""The WARC files of a bulk run on this machine: the current one, rotated at a size.

A page's records are written to the current file, and the file is closed only once the
ledger has every page in it (see :mod:`archiver.runs.bulk`), or left ``.open`` for the
next run to salvage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..article import Article
from ..capture import FetchResult
from ..errors import ArchiverError
from ..warc import CaptureRef, Stored, WarcWriter
from .bookkeeping import closing, next_warc_name
from .config import BulkConfig
from .ledger import Ledger
from .textindex import TextIndex

__all__ = ["RotatedWarcs"]


class RotatedWarcs:
    """The current WARC file of a run, rotated at a size."""

    def __init__(self, folder: Path, ledger: Ledger, index: TextIndex, config: BulkConfig) -> None:
        self._folder = folder
        self._ledger = ledger
        self._index = index
        self._config = config
        self._writer: WarcWriter | None = None
        self.written: list[Path] = []
        self.bytes = 0

    def write(
        self,
        result: FetchResult,
        article: Article | None,
        metadata: dict[str, Any],
        previous: tuple[CaptureRef, str] | None = None,
    ) -> tuple[str, Stored]:
        """Write one page's records, and index its text; returns the name of the file
        they went to, and where in it.

        The caller records the page in the ledger before it next awaits: a file is
        rotated only before the next write, after a commit, so that no file is closed
        (and so out of the next run's salvage) while its last pages are not marked done.
        """
        if self._writer is not None and self._writer.size >= self._config.warc_size:
            self.close()
        if self._writer is None:
            self._writer = WarcWriter(self._folder / self._next_name(), keep_on_failure=True)
        writer = self._writer
        before = writer.size
        stored = writer.write_capture(
            result, article=article, metadata=metadata, payloads=self._ledger, previous=previous
        )
        self.bytes += writer.size - before
        self._index.add(writer.path.name, stored, article)
        return writer.path.name, stored

    def close(self) -> None:
        """Close the current file, once the ledger has every page in it.

        When the ledger cannot commit (a full disk), the file stays ``.open``: the next
        run salvages it and marks its pages, which the ledger lost. When the file cannot
        be finished, the next run finds it named by :func:`closing`, and fetches its
        pages again if the writer removed it.
        """
        if self._writer is not None:
            closing(self._ledger, self._writer.path.name)  # commits the pages, too
            writer, self._writer = self._writer, None
            writer.close()
            self.written.append(writer.path)
            self._index.complete(writer.path)
            closing(self._ledger, None)

    def abort(self) -> None:
        """Leave the current file as it is, ``.open``, for the next run to salvage."""
        self._writer = None

    def stop(self) -> None:
        """Close the current file as at the end of a run, or else leave it for salvage."""
        try:
            self.close()
        except ArchiverError:  # a full disk: the ledger or the file cannot be finished
            self.abort()

    def _next_name(self) -> str:
        return next_warc_name(self._ledger, self._config.warc_prefix)
