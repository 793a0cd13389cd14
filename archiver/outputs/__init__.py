"""Outputs made from WARC files: what users take away from an archive.

:mod:`.tables` exports the Articles as JSON lines, CSV or Markdown, :mod:`.cdxj` writes the
CDXJ index replay tools read, :mod:`.changes` compares two archives, and
:mod:`.collection` packages WARC files as a WACZ for ReplayWeb.page, and
:mod:`.revisions` tells the versions of one article. A new output
format is a module here; it reads archives only through :mod:`archiver.warc`.
"""

from .cdxj import write_index
from .changes import ArticleChange, diff
from .collection import write_wacz
from .revisions import FieldChange, TextVersion, WordChange, history
from .tables import ExportFormat, export

__all__ = [
    "ArticleChange",
    "ExportFormat",
    "FieldChange",
    "TextVersion",
    "WordChange",
    "diff",
    "export",
    "history",
    "write_index",
    "write_wacz",
]
