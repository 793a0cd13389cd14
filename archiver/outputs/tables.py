"""Exporting the archived Articles as JSON lines or CSV, for pandas, DuckDB and the like,
or as Markdown documents, for people and for tools that read Markdown.

One row per capture: its newest Article (see :func:`archiver.warc.read_latest`). The
JSON lines are ``Article.to_dict()`` objects, so that :meth:`Article.from_dict` reads
them back, plus three columns about the capture. CSV has the same columns, flattened:
the extractor becomes ``extractor_name``, ``extractor_version`` and
``extractor_fallback``, and each list (authors, tags, captions) is one JSON array in
its cell, since any separator could also occur inside a caption. Dates are ISO 8601.

A CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a single quote in front (``'=HYPERLINK(...)``), as OWASP recommends against formula
injection: a spreadsheet would run it as a formula, and page titles and text are
whatever the pages say. JSON lines keep every value as it is.

Markdown is one document per row, one after the other, from the renderer of every
command (:func:`archiver.extraction.to_markdown`), with ``target_uri`` and
``captured`` added to its front matter.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Literal

from ..extraction import to_markdown
from ..files import PathArg, check_not_input, path_list, write_text_file
from ..warc import ArchivedArticle, read_latest
from .progress import FileTally, Progress

__all__ = [
    "CSV_COLUMNS",
    "ExportFormat",
    "export",
    "row",
    "write_csv",
    "write_jsonl",
    "write_markdown",
]

ExportFormat = Literal["jsonl", "csv", "markdown"]

#: The columns of the CSV export, in order.
CSV_COLUMNS = (
    "target_uri",
    "captured",
    "url",
    "site",
    "title",
    "published",
    "authors",
    "language",
    "section",
    "tags",
    "source",
    "description",
    "captions",
    "word_count",
    "extractor_name",
    "extractor_version",
    "extractor_fallback",
    "input_kind",
    "text",
)

_LISTS = ("authors", "tags", "captions")


def row(entry: ArchivedArticle) -> dict[str, Any]:
    """The JSON-lines row of one archived Article.

    ``Article.to_dict()`` (lists as lists, ``published`` as ISO 8601, the extractor as
    an object) plus ``word_count``, ``target_uri`` (the WARC-Target-URI) and
    ``captured`` (the capture's WARC-Date, ISO 8601 in UTC).
    """
    data = entry.article.to_dict()
    data["word_count"] = entry.article.word_count
    data["target_uri"] = entry.target_uri
    data["captured"] = entry.captured.isoformat()
    return data


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_row(entry: ArchivedArticle) -> dict[str, Any]:
    data = row(entry)
    extractor = data.pop("extractor")
    data["extractor_name"] = extractor["name"]
    data["extractor_version"] = extractor["version"]
    # Lower case, which pandas and DuckDB both read as booleans.
    data["extractor_fallback"] = "true" if extractor["fallback"] else "false"
    for key in _LISTS:
        data[key] = json.dumps(data[key], ensure_ascii=False)
    return {key: _cell(value) for key, value in data.items()}


def _cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs as a formula: one that would is given a
    leading single quote, which makes it text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_jsonl(entries: Iterable[ArchivedArticle], stream: IO[str]) -> int:
    """Write one JSON object a line to ``stream``; returns the number of rows."""
    count = 0
    for entry in entries:
        stream.write(json.dumps(row(entry), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(entries: Iterable[ArchivedArticle], stream: IO[str]) -> int:
    """Write a header and one row per Article to ``stream`` (opened with ``newline=""``).

    An empty cell is a missing value (None). Returns the number of rows.
    """
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for entry in entries:
        writer.writerow(_csv_row(entry))
        count += 1
    return count


def write_markdown(entries: Iterable[ArchivedArticle], stream: IO[str]) -> int:
    """Write one Markdown document per Article to ``stream``, a blank line between them;
    returns the number of documents."""
    count = 0
    for entry in entries:
        extra = {"target_uri": entry.target_uri, "captured": entry.captured.isoformat()}
        stream.write(("\n" if count else "") + to_markdown(entry.article, extra))
        count += 1
    return count


_WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "markdown": write_markdown}


def export(
    warcs: PathArg | Iterable[PathArg],
    output: str | os.PathLike[str] | IO[str],
    *,
    format: ExportFormat = "jsonl",
    progress: Progress | None = None,
) -> int:
    """Export the newest Article of each capture in ``warcs`` to ``output``.

    ``output`` is a path, written as ``<path>.open`` and renamed when complete (so no
    half-written file is left), or an open text stream. Returns the number of rows.
    Raises :class:`~archiver.errors.WarcError` naming the file when a WARC cannot be
    read or the output cannot be written. ``progress`` is called as each WARC file is
    exported, with the bytes of the files exported and of all of them; it is not
    called while :func:`~archiver.warc.read_latest` first reads them through.
    """
    if format not in _WRITERS:
        raise ValueError(f"format must be one of {', '.join(_WRITERS)}, not {format!r}")
    sources = [Path(warc) for warc in path_list(warcs)]
    if isinstance(output, (str, os.PathLike)):
        check_not_input(output, sources, what="export")
    tally = FileTally(sources, progress=progress)
    latest = read_latest(sources)  # a missing WARC fails here, before the output is made
    entries = tally.through(latest, sources, "exported {} articles")
    write = _WRITERS[format]
    if not isinstance(output, (str, os.PathLike)):
        return write(entries, output)
    return write_text_file(Path(output), lambda stream: write(entries, stream))
