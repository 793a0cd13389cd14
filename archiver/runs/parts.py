"""Re-extraction on a Dask cluster, in parts.

:func:`reprocess_on_cluster` (``reprocess(..., client=...)``) runs a re-extraction as
one task per WARC input or per group of saved pages; each task
(:func:`reprocess_part`) is a local re-extraction
(:func:`archiver.runs.batch.reprocess_locally`) writing its own WARC file, a *part* of
the output (:func:`part_path`).

Dask is an optional dependency (``pip install 'news-archiver[dask]'``), imported by the
modules of a cluster run only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from distributed import as_completed

from ..article import Article
from ..errors import WarcError
from ..extraction import Registry
from ..files import PathArg, real_path
from ..warc import SkippedRecord
from .batch import reprocess_locally
from .checks import check_writable
from .inputs import Failure, is_warc, iter_inputs
from .report import Report

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["PartResult", "part_path", "reprocess_on_cluster", "reprocess_part"]

#: Saved pages per re-extraction task (each WARC input is a task of its own).
_FILES_PER_TASK = 200


class PartResult(TypedDict):
    """What :func:`reprocess_part` returns: each input's result, in order, and the
    records of its WARC inputs that are not pages."""

    results: list[tuple[str, Article | Failure]]
    skipped: list[SkippedRecord]


def reprocess_part(
    paths: list[str], warc: str | None, registry: Registry | None, originals: list[str]
) -> PartResult:
    """:func:`~archiver.runs.batch.reprocess_locally` of ``paths`` into the WARC file
    ``warc``, revisits looked up in ``originals`` too: the unit of work of a
    re-extraction on a cluster."""
    results: list[tuple[str, Article | Failure]] = []

    def collect(path: Path, result: Article | Failure) -> None:
        results.append((str(path), result))

    report = reprocess_locally(
        paths, warc, registry=registry, on_result=collect, originals=originals
    )
    return {"results": results, "skipped": list(report.skipped)}


def part_path(warc: Path, number: int) -> Path:
    """The WARC file of task ``number`` of a re-extraction into ``warc``:
    ``new.warc.gz`` gives ``new-00000.warc.gz``, ``new-00001.warc.gz``, ..."""
    name = warc.name
    suffix = next((end for end in (".warc.gz", ".warc") if name.lower().endswith(end)), "")
    stem = name[: len(name) - len(suffix)]
    return warc.with_name(f"{stem}-{number:05d}{name[len(stem) :]}")


def reprocess_on_cluster(
    client: Client,
    paths: Iterable[PathArg],
    warc: PathArg | None = None,
    *,
    registry: Registry | None = None,
    on_result: Callable[[Path, Article | Failure], None] | None = None,
    originals: Iterable[PathArg] = (),
) -> Report:
    """:func:`~archiver.runs.reextraction.reprocess` on the Dask cluster of ``client``.

    Each WARC input is a task, and the saved pages go in groups of 200. Task ``n``
    writes its records to its own file, ``warc`` with ``-<n>`` before its ``.warc.gz``
    (see :func:`part_path`), listed in ``Report.warcs``. The inputs and the output
    folder are paths every worker must see (one machine, or a shared file system).
    ``on_result`` is called as tasks end; the Report lists the results in input
    order. A task that fails (an output that cannot be written) raises its error once
    the others are cancelled.
    """
    items = list(iter_inputs(paths))
    files = [item for item in items if isinstance(item, Path)]
    groups = _groups(files)
    outputs = _outputs(warc, len(groups), files)
    # Each task looks for the originals of its revisit records in every WARC input.
    places = [os.fspath(path) for path in files if is_warc(path)]
    places += [os.fspath(path) for path in originals]
    futures = {
        client.submit(
            reprocess_part,
            [os.fspath(path) for path in group],
            None if output is None else os.fspath(output),
            registry,
            places,
            pure=False,
        ): number
        for number, (group, output) in enumerate(zip(groups, outputs))
    }
    done: dict[int, PartResult] = {}
    for item in items:
        if isinstance(item, Failure) and on_result is not None:
            on_result(Path(item.source), item)
    try:
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            for path, result in done[futures[future]]["results"]:
                if on_result is not None:
                    on_result(Path(path), result)
    except BaseException:
        client.cancel(list(futures))
        raise
    return _merged_report(items, done, outputs)


def _outputs(warc: PathArg | None, tasks: int, files: list[Path]) -> list[Path | None]:
    """Each task's WARC file (None when none is asked for), checked before any work."""
    if warc is None:
        return [None] * tasks
    check_writable(Path(warc))
    inputs = {real_path(path) for path in files}
    parts: list[Path | None] = []
    for number in range(tasks):
        part = part_path(Path(warc), number)
        if real_path(part) in inputs:  # the original archive is never written over
            raise WarcError(
                "is also an input: write the re-extraction to another file", source=str(part)
            )
        parts.append(part)
    return parts


def _groups(files: Iterable[Path]) -> list[list[Path]]:
    """The tasks' inputs: each WARC file alone, the saved pages ``_FILES_PER_TASK`` at a time."""
    groups: list[list[Path]] = []
    pages: list[Path] = []
    for path in files:
        if is_warc(path):
            groups.append([path])
        else:
            pages.append(path)
            if len(pages) == _FILES_PER_TASK:
                groups.append(pages)
                pages = []
    if pages:
        groups.append(pages)
    return groups


def _merged_report(
    items: list[Path | Failure],
    done: dict[int, PartResult],
    outputs: list[Path | None],
) -> Report:
    """One Report of every task's results, in input order as a local run gives them."""
    by_input: dict[str, list[Article | Failure]] = {}
    skipped: list[SkippedRecord] = []
    for number in sorted(done):
        for path, result in done[number]["results"]:
            by_input.setdefault(path, []).append(result)
        skipped += done[number]["skipped"]
    articles: list[Article] = []
    failures: list[Failure] = []
    for item in items:
        found = [item] if isinstance(item, Failure) else by_input.get(os.fspath(item), [])
        for result in found:
            if isinstance(result, Failure):
                failures.append(result)
            else:
                articles.append(result)
    warcs = tuple(output for output in outputs if output is not None)
    return Report(tuple(articles), tuple(failures), None, warcs, tuple(skipped))
