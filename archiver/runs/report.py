"""What a re-extraction gives back, on this machine or on a cluster: a :class:`Report`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..article import Article
from ..warc import SkippedRecord
from .inputs import Failure

__all__ = ["Report"]


@dataclass(frozen=True, slots=True)
class Report:
    """What a :func:`archiver.reprocess` run did: iterate it for the Articles archived."""

    articles: tuple[Article, ...]
    failures: tuple[Failure, ...]
    #: The WARC file written, or None when none was asked for or on a cluster.
    warc: Path | None = None
    #: Every WARC file written: ``warc``, or one per task on a cluster.
    warcs: tuple[Path, ...] = ()
    #: The records of the WARC inputs that are not pages (a crawler's log), not extracted.
    skipped: tuple[SkippedRecord, ...] = ()

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    def __len__(self) -> int:
        return len(self.articles)

    @property
    def ok(self) -> bool:
        """True when every input was archived."""
        return not self.failures
