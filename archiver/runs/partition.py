"""The unit of work of a bulk run on a Dask cluster, as a worker runs it.

:func:`archive_partition` is a plain function: it runs the ordinary local engine
(:func:`archiver.runs.scheduler.archive_locally`) into a temporary folder of its
worker, copies the finished WARC files to the output folder through fsspec (so that it
may be ``s3://...``, ``memory://...`` or a path; see :func:`upload`), and returns every
URL's outcome, which the driver (:mod:`archiver.runs.cluster`) merges into its ledger.

fsspec is an optional dependency (``pip install 'news-archiver[dask]'``), imported by
the modules of a cluster run only.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, TypedDict, cast

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from .bookkeeping import STATE_FILE
from .config import BulkConfig
from .ledger import Ledger
from .scheduler import archive_locally
from .versions import Version

__all__ = ["Outcome", "PartitionResult", "archive_partition", "upload"]

log = logging.getLogger(__name__)


class Outcome(TypedDict):
    """One URL's outcome, as :meth:`archiver.runs.ledger.Ledger.outcomes` gives it."""

    url: str
    state: str
    warc: str | None
    error: str | None
    message: str | None
    attempts: int | None
    status: int | None


class PartitionResult(TypedDict):
    """What :func:`archive_partition` returns: plain data, cheap to send back."""

    outcomes: list[Outcome]
    #: The captures recorded, each with what it is to the URL's version before it.
    versions: list[Version]
    #: Names of the WARC files copied to the output folder.
    warcs: list[str]
    bytes: int


def archive_partition(
    urls: list[str], shard: str, out_dir: str, config: BulkConfig, priors: list[Version]
) -> PartitionResult:
    """Archive ``urls`` with the local engine and copy the WARC files to ``out_dir``.

    The unit of work of a cluster run. ``urls`` are normal URLs (see
    :func:`~archiver.runs.urls.normalize_url`); ``shard`` is the partition's file prefix, so
    its WARC files are ``<shard>-<timestamp>-<serial>-<pid>~<host>.warc.gz``, named
    apart from every other partition's; ``out_dir`` is a local path or an fsspec URL;
    ``priors``: the latest version of those of ``urls`` archived before.
    Each file is complete in ``out_dir`` before the function returns, and every URL
    has its outcome in the result.
    """
    fs, root = url_to_fs(out_dir)
    # Dask runs a task again when its worker died: a file the first try copied before
    # dying would hold pages this try fetches again.
    for stale in fs.glob(f"{root}/{glob.escape(shard)}-*"):
        log.info("%s: removed, left by an earlier try of this partition", stale)
        fs.rm(stale)
    with tempfile.TemporaryDirectory(prefix="archiver-partition-") as folder:
        ledger = Ledger(Path(folder) / STATE_FILE)
        try:
            for prior in priors:
                ledger.record_version(prior)
        finally:
            ledger.close()
        report = archive_locally(urls, folder, config=replace(config, warc_prefix=shard))
        names = [Path(warc).name for warc in report.warcs]
        for warc in report.warcs:
            upload(fs, Path(warc), f"{root}/{Path(warc).name}")
        ledger = Ledger(Path(folder) / STATE_FILE)
        try:
            outcomes = cast("list[Outcome]", list(ledger.outcomes()))
            known = {prior.metadata_id for prior in priors}
            versions = [new for new in ledger.versions() if new.metadata_id not in known]
        finally:
            ledger.close()
    return {"outcomes": outcomes, "versions": versions, "warcs": names, "bytes": report.bytes}


def upload(fs: Any, local: Path, target: str) -> None:
    """Copy ``local`` to ``target`` on ``fs`` so that ``target`` only ever appears whole."""
    if isinstance(fs, LocalFileSystem):
        # Copied under another name, synced, renamed: a crash mid-copy leaves no file a
        # later run could take for a complete one.
        partial = f"{target}.part"
        shutil.copyfile(local, partial)
        with open(partial, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(partial, target)
    else:
        # Object stores (S3, GCS, ...) make an object visible only once it is all there.
        fs.put_file(os.fspath(local), target)
