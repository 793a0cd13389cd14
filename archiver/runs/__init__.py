"""Runs: one URL, a URL list in bulk, re-extraction of saved material.

:func:`archive` takes one URL (:mod:`.single`); :func:`archive_many` a URL list
(:mod:`.bulk`, on this machine or on a Dask cluster); :func:`reprocess` saved pages and
WARC files (:mod:`.reextraction`, likewise); :func:`archive_sites` and
:func:`update_archive` the articles discovered on news sites (:mod:`.updates`).
"""

from .bookkeeping import BulkProgress, BulkReport, FailureCause
from .bulk import archive_many
from .checks import check_writable
from .config import BulkConfig
from .inputs import Failure
from .pages import process_file
from .reextraction import reprocess
from .report import Report
from .single import aarchive, archive
from .updates import UpdateReport, archive_sites, update_archive
from .urls import url_lines

__all__ = [
    "BulkConfig",
    "BulkProgress",
    "BulkReport",
    "Failure",
    "FailureCause",
    "Report",
    "UpdateReport",
    "aarchive",
    "archive",
    "archive_many",
    "archive_sites",
    "check_writable",
    "process_file",
    "reprocess",
    "update_archive",
    "url_lines",
]
