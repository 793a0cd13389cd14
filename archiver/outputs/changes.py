"""Comparing two archives of the same pages: which Articles changed between extractions.

Articles are matched by WARC-Target-URI, which a re-extraction keeps. When an archive
holds several captures of one URI, the newest extraction of the latest capture stands
for it. The body is compared by shingle F1 (:func:`archiver.extraction.shingle_score`),
the metadata field by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from ..article import Article, ExtractorInfo
from ..extraction import shingle_score
from ..files import PathArg, path_list
from ..warc import ArchivedArticle, read_latest
from .progress import FileTally, Progress

__all__ = ["METADATA_FIELDS", "ArticleChange", "diff"]

#: The Article fields compared as metadata: all but the body and the extractor.
METADATA_FIELDS = tuple(f.name for f in fields(Article) if f.name not in {"text", "extractor"})


@dataclass(frozen=True, slots=True)
class ArticleChange:
    """How the Article of one URI differs between an old and a new archive.

    ``old`` or ``new`` is None when the URI is only in the other archive. ``text_f1``
    is the shingle F1 of the new body against the old (1.0 for the same text), None
    when one side is missing; ``fields`` names the metadata fields whose values differ.
    """

    target_uri: str
    old: Article | None
    new: Article | None
    text_f1: float | None
    fields: tuple[str, ...]

    @property
    def status(self) -> Literal["added", "removed", "changed", "same"]:
        """``added`` (only new), ``removed`` (only old), ``changed`` or ``same``."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if self.fields or self.old.text != self.new.text else "same"

    @property
    def old_extractor(self) -> ExtractorInfo | None:
        return self.old.extractor if self.old else None

    @property
    def new_extractor(self) -> ExtractorInfo | None:
        return self.new.extractor if self.new else None


def diff(
    old: PathArg | Iterable[PathArg],
    new: PathArg | Iterable[PathArg],
    *,
    progress: Progress | None = None,
) -> list[ArticleChange]:
    """Compare the Articles of the WARC file(s) ``old`` with those of ``new``, by URI.

    Returns one :class:`ArticleChange` per URI in either archive, those of ``old`` in
    its order, then those only in ``new``; unchanged ones have ``status == "same"``.
    Raises :class:`~archiver.errors.WarcError` when a file cannot be read.
    ``progress`` is called as each file's Articles have been read, with the bytes of
    the files read and of all of them (old and new); not while
    :func:`~archiver.warc.read_latest` first reads them through.
    """
    old_files, new_files = _paths(old), _paths(new)
    tally = FileTally([*old_files, *new_files], progress=progress)
    before, after = _by_uri(old_files, tally), _by_uri(new_files, tally)
    changes = [_compare(uri, article, after.get(uri)) for uri, article in before.items()]
    changes += [_compare(uri, None, article) for uri, article in after.items() if uri not in before]
    return changes


def _paths(paths: PathArg | Iterable[PathArg]) -> list[Path]:
    return [Path(path) for path in path_list(paths)]


def _by_uri(paths: list[Path], tally: FileTally) -> dict[str, Article]:
    chosen: dict[str, ArchivedArticle] = {}
    for entry in tally.through(read_latest(paths), paths, "read {} articles"):
        current = chosen.get(entry.target_uri)
        key = (entry.captured, entry.extracted)
        if current is None or key >= (current.captured, current.extracted):
            chosen[entry.target_uri] = entry
    return {uri: entry.article for uri, entry in chosen.items()}


def _compare(uri: str, old: Article | None, new: Article | None) -> ArticleChange:
    if old is None or new is None:
        return ArticleChange(uri, old, new, None, ())
    changed = tuple(name for name in METADATA_FIELDS if getattr(old, name) != getattr(new, name))
    f1 = 1.0 if old.text == new.text else shingle_score(old.text, new.text).f1
    return ArticleChange(uri, old, new, f1, changed)
