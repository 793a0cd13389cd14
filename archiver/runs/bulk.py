"""Bulk archiving: a list of URLs into rotated WARC files, politely, resumably.

:func:`archive_many` reads the list into a state ledger (:mod:`archiver.runs.ledger`,
SQLite), then fetches the pending URLs asynchronously under a global concurrency
limit and a per-host politeness gate, extracts the pages in a process pool, and
writes each page's records to the current WARC file, which is rotated at a size.
Only once a page's records are in the file (flushed to the OS) is its URL marked
done, so a run killed at any moment loses nothing: the next run salvages the WARC
file the kill left open (:func:`archiver.warc.salvage`), marks what it holds as done,
and goes on with the rest.

An output folder holds the WARC files, ``state.sqlite`` (the ledger) and
``failures.jsonl`` (one line per URL not archived: url, error, message, attempts,
last_status), rewritten at the end of every run, and ``search.sqlite``, the full-text
index of the articles (:mod:`archiver.runs.textindex`), kept up to date as pages are
written (a cluster run brings it up to date at its end).

This module is the entry point: the run itself is :mod:`archiver.runs.scheduler` on
this machine, :mod:`archiver.runs.cluster` on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import checked
from ..files import PathArg
from .bookkeeping import BulkProgress, BulkReport
from .config import BulkConfig
from .scheduler import archive_locally
from .textindex import TextIndex

__all__ = ["archive_many"]


def archive_many(
    urls: Iterable[str] | PathArg,
    out_dir: PathArg,
    *,
    config: BulkConfig | None = None,
    retry_failed: bool = False,
    progress: Callable[[BulkProgress], None] | None = None,
    client: Any = None,
) -> BulkReport:
    """Archive every URL of ``urls`` into WARC files in ``out_dir``; resume a run there.

    ``urls`` is an iterable of URLs or the path of a list file (see
    :func:`~archiver.runs.urls.url_lines`); it is streamed into the ledger, never
    held in memory. Lines that are not http(s) URLs are reported as failed. Running
    again on the same ``out_dir`` resumes: done URLs are not fetched again, and with
    ``retry_failed`` the failed ones are. ``progress`` is called about twice a second
    and at the end. ``client``, a ``distributed.Client``, runs the work on its Dask
    cluster instead (see :mod:`archiver.runs.cluster`).

    Every URL ends archived (its records in a WARC file) or in the failure report; an
    error status (404) or a page that yields no article is both stored and reported.
    Raises :class:`~archiver.errors.StateError` or
    :class:`~archiver.errors.WarcError` when the output folder cannot be used, and
    :class:`~archiver.errors.InputError` when the list file cannot be read.
    """
    config = checked(config or BulkConfig(), BulkConfig, "config")
    if client is not None:
        from .cluster import archive_on_cluster  # Dask is an optional dependency

        report = archive_on_cluster(
            client, urls, out_dir, config=config, retry_failed=retry_failed, progress=progress
        )
        if isinstance(report.out_dir, Path):  # not a remote (fsspec) folder
            index = TextIndex(report.out_dir)
            try:
                index.sync()
            finally:
                index.close()
        return report
    return archive_locally(
        urls, out_dir, config=config, retry_failed=retry_failed, progress=progress
    )
