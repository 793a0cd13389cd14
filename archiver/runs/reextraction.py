"""Reprocessing: many saved pages in, one WARC file and a report out.

The work unit is :func:`~archiver.runs.pages.process_file`, a plain function from a
path to plain data, so that a caller can hand it to a process pool or a cluster
unchanged. :func:`reprocess` runs it over every input, one after the other, and keeps
going when an input fails: each failure becomes a :class:`~archiver.runs.inputs.Failure`
in the :class:`~archiver.runs.report.Report`.

A WARC file given as input (a name ending in ``.warc`` or ``.warc.gz``) is re-extracted:
every page stored in it goes through the current extractors
(:func:`~archiver.runs.pages.process_capture`), and the new records refer to the
original ones, which are left untouched.

This module is the entry point: the run itself is :mod:`archiver.runs.batch` on this
machine, :mod:`archiver.runs.parts` on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..article import Article
from ..extraction import Registry
from ..files import PathArg, path_list
from .batch import reprocess_locally
from .inputs import Failure
from .report import Report
from .textindex import sync_index

__all__ = ["reprocess"]


def reprocess(
    paths: Iterable[PathArg] | PathArg,
    warc: PathArg | None = None,
    *,
    registry: Registry | None = None,
    on_result: Callable[[Path, Article | Failure], None] | None = None,
    client: Any = None,
    originals: Iterable[PathArg] | PathArg = (),
) -> Report:
    """Extract every input and, when ``warc`` is given, archive them all in one WARC file.

    ``paths`` are files and folders, expanded by
    :func:`~archiver.runs.inputs.iter_inputs`; a single path (a ``str`` or a
    ``Path``) is one input, and a single path as ``originals`` one file. An input that
    fails is recorded as a :class:`~archiver.runs.inputs.Failure` and the run goes on;
    ``on_result`` is called after each input with its path and its Article or Failure.

    A WARC input (see :func:`~archiver.runs.inputs.is_warc`) is re-extracted: each page
    stored in it counts as one input, and ``on_result`` gets the WARC's path. Its new
    ``conversion`` and ``metadata`` records refer to the original records (see
    :meth:`~archiver.warc.WarcWriter.write_derived`); the input file is only read.
    The response that a ``revisit`` record refers to is looked for in its own file,
    then in the other WARC inputs, then in the WARC files ``originals`` (see
    :func:`~archiver.warc.read_captures`).

    The WARC file is written under a temporary name and renamed when complete, so no
    half-written file is left behind. Raises :class:`~archiver.errors.WarcError` before
    processing anything when ``warc`` cannot be written, or is one of the WARC inputs.

    ``client``, a ``distributed.Client``, runs the work on its Dask cluster instead,
    writing one WARC file per task beside ``warc`` (see
    :func:`archiver.runs.parts.reprocess_on_cluster`).

    When ``warc`` goes to an archive folder with a search index (see
    :mod:`archiver.runs.textindex`), the index is brought up to date at the end.
    """
    paths, originals = path_list(paths), path_list(originals)
    if client is not None:
        from .parts import reprocess_on_cluster  # Dask is an optional dependency

        report = reprocess_on_cluster(
            client, paths, warc, registry=registry, on_result=on_result, originals=originals
        )
    else:
        report = reprocess_locally(
            paths, warc, registry=registry, on_result=on_result, originals=originals
        )
    if warc is not None:
        sync_index(Path(warc).parent)
    return report
