"""Runs: one URL, a URL list in bulk, re-extraction of saved material."""

from .bulk import BulkConfig, BulkProgress, BulkReport, archive_many
from .reextraction import Failure, Report, process_file, reprocess
from .single import aarchive, archive

__all__ = ["BulkConfig", "BulkProgress", "BulkReport", "Failure", "Report", "aarchive", "archive", "archive_many", "process_file", "reprocess"]
