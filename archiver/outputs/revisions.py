"""The history of one article: every version of its text, and what changed between them.

:func:`history` reads the captures of a URL from the WARC files of an archive folder
(the newest extraction of each), in the order they were captured, and groups
consecutive captures with the same title, text and metadata into one
:class:`TextVersion`. A capture whose page (its payload) changed while its text did
not stays in the version before, which counts it as a change of markup alone. Between
consecutive versions, :class:`TextVersion.changes` names the metadata fields that
changed and :class:`TextVersion.diff` the words (difflib's matching of the word
sequences, so the diff is word for word).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..article import Article
from ..errors import InputError
from ..files import PathArg
from ..runs import check_archive_folder, normalize_url, warc_files
from ..warc import ArchivedArticle, entries
from .changes import METADATA_FIELDS

__all__ = ["FieldChange", "TextVersion", "WordChange", "history", "word_diff"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """A metadata field (``title``, ``authors``, ...) whose value changed."""

    name: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class WordChange:
    """A run of words of the text: ``equal``, ``delete``, ``insert`` or ``replace``."""

    op: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class TextVersion:
    """One version of an article's text, with the captures that hold it."""

    #: 1 for the first version.
    number: int
    article: Article
    #: When each capture of this text was made, oldest first, and its WARC-Record-ID.
    captured: tuple[datetime, ...]
    capture_ids: tuple[str, ...]
    #: The WARC file and offset of the first capture's records of the Article.
    warc: Path
    offset: int
    #: Captures of this text whose page differed from the capture before (new markup,
    #: the same text).
    markup_changes: int = 0
    #: What changed since the version before (empty for the first).
    changes: tuple[FieldChange, ...] = ()
    diff: tuple[WordChange, ...] = field(default=())

    @property
    def words(self) -> int:
        return self.article.word_count

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, for ``--format json``."""
        return {
            "number": self.number,
            "title": self.article.title,
            "words": self.words,
            "captured": [moment.isoformat() for moment in self.captured],
            "capture_ids": list(self.capture_ids),
            "warc": self.warc.name,
            "offset": self.offset,
            "markup_changes": self.markup_changes,
            "changes": [
                {"field": change.name, "old": _plain(change.old), "new": _plain(change.new)}
                for change in self.changes
            ],
            "diff": [[change.op, change.old, change.new] for change in self.diff],
        }


def history(url: str, directory: PathArg) -> list[TextVersion]:
    """The versions of the article at ``url`` archived in ``directory``, oldest first.

    ``directory`` is an archive folder (its WARC files are read) or one WARC file. A
    URL with no capture there gives an empty list. Raises
    :class:`~archiver.errors.InputError` when ``directory`` does not exist or holds no
    WARC file, :class:`~archiver.errors.WarcError` when a WARC file cannot be read, and
    TypeError when ``url`` is no ``str``.
    """
    if not isinstance(url, str):
        raise TypeError(f"the URL must be a str, not {type(url).__name__}")
    folder = Path(directory)
    if folder.is_dir():
        check_archive_folder(folder)
        files = warc_files(folder)
    elif folder.is_file():
        files = [folder]
    else:
        raise InputError("no such archive folder", source=os.fspath(directory))
    captures = _captures(url, files)
    versions: list[TextVersion] = []
    previous: ArchivedArticle | None = None
    for capture in captures:
        last = versions[-1] if versions else None
        if last is not None and _same(last.article, capture.article):
            markup = previous is not None and _payload_changed(previous, capture)
            versions[-1] = _with_capture(last, capture, markup)
        else:
            versions.append(_version(len(versions) + 1, capture, last))
        previous = capture
    return versions


def _captures(url: str, files: list[Path]) -> list[ArchivedArticle]:
    """The newest extraction of each capture of ``url``, oldest capture first."""
    wanted = {url, url.rstrip("/"), url.rstrip("/") + "/"}
    try:
        wanted.add(normalize_url(url))  # as a bulk run asked for it
    except ValueError:
        pass  # not an http(s) URL: a urn:sha256: of a saved page, say
    newest: dict[str, ArchivedArticle] = {}
    for path in files:
        for entry in entries(path):
            # A capture redirected from the URL is one of its captures too. A
            # re-extraction of it names only the final URL: it is known by its capture,
            # whose own extraction is in an earlier file (the one the fetch wrote).
            if (
                entry.target_uri not in wanted
                and entry.requested_uri not in wanted
                and entry.capture_id not in newest
            ):
                continue
            kept = newest.get(entry.capture_id)
            if kept is None or entry.extracted >= kept.extracted:
                newest[entry.capture_id] = _keep_type(entry, kept)
    return sorted(newest.values(), key=lambda entry: entry.captured)


def _keep_type(entry: ArchivedArticle, kept: ArchivedArticle | None) -> ArchivedArticle:
    """``entry``, with the record type and digest its older extraction knew (a
    re-extraction in another file does not)."""
    if entry.digest is None and kept is not None and kept.digest is not None:
        return replace(entry, capture_type=kept.capture_type, digest=kept.digest)
    return entry


def _same(old: Article, new: Article) -> bool:
    return old.text == new.text and not _field_changes(old, new)


def _payload_changed(before: ArchivedArticle, capture: ArchivedArticle) -> bool:
    return before.digest is not None and capture.digest not in (None, before.digest)


def _version(number: int, capture: ArchivedArticle, last: TextVersion | None) -> TextVersion:
    changes: tuple[FieldChange, ...] = ()
    words: tuple[WordChange, ...] = ()
    if last is not None:
        changes = _field_changes(last.article, capture.article)
        words = word_diff(last.article.text, capture.article.text)
    return TextVersion(
        number=number,
        article=capture.article,
        captured=(capture.captured,),
        capture_ids=(capture.capture_id,),
        warc=capture.warc,
        offset=capture.offset,
        changes=changes,
        diff=words,
    )


def _with_capture(version: TextVersion, capture: ArchivedArticle, markup: bool) -> TextVersion:
    return replace(
        version,
        captured=(*version.captured, capture.captured),
        capture_ids=(*version.capture_ids, capture.capture_id),
        markup_changes=version.markup_changes + markup,
    )


def _field_changes(old: Article, new: Article) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(name, getattr(old, name), getattr(new, name))
        for name in METADATA_FIELDS
        if getattr(old, name) != getattr(new, name)
    )


def word_diff(old: str, new: str) -> tuple[WordChange, ...]:
    """The word-level diff of ``old`` and ``new``: runs of equal and changed words."""
    before, after = old.split(), new.split()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return tuple(
        WordChange(op, " ".join(before[i1:i2]), " ".join(after[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
    )


def _plain(value: Any) -> Any:
    """A field's value as JSON can hold it."""
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
