"""Runs: one URL, a URL list in bulk, re-extraction of saved material.

:func:`archive` takes one URL (:mod:`.single`); :func:`archive_many` a URL list
(:mod:`.bulk`, on this machine or on a Dask cluster); :func:`reprocess` saved pages and
WARC files (:mod:`.reextraction`, likewise); :func:`archive_sites` and
:func:`update_archive` the articles discovered on news sites (:mod:`.updates`).
:func:`search` finds articles of an archive folder in its full-text index
(:mod:`.textindex`), which the runs keep; :func:`revisit` fetches the recent articles
of an archive folder again (:mod:`.refresh`).
"""

from .bookkeeping import BulkProgress, BulkReport, FailureCause, RunInterrupted
from .bulk import archive_many
from .checks import check_writable
from .config import BulkConfig
from .folders import check_archive_folder, warc_files
from .inputs import Failure
from .pages import process_file
from .reextraction import reprocess
from .refresh import RevisitReport, revisit
from .report import Report
from .single import aarchive, archive
from .textindex import Hit, IndexCheck, TextIndex, search
from .updates import UpdateReport, archive_sites, kept_sites, update_archive
from .urls import normalize_url, stdin_url_lines, url_lines

__all__ = [
    "BulkConfig",
    "BulkProgress",
    "BulkReport",
    "Failure",
    "FailureCause",
    "Hit",
    "IndexCheck",
    "Report",
    "RevisitReport",
    "RunInterrupted",
    "TextIndex",
    "UpdateReport",
    "aarchive",
    "archive",
    "archive_many",
    "archive_sites",
    "check_archive_folder",
    "check_writable",
    "kept_sites",
    "normalize_url",
    "process_file",
    "reprocess",
    "revisit",
    "search",
    "stdin_url_lines",
    "update_archive",
    "url_lines",
    "warc_files",
]
